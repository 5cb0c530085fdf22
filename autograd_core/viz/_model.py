"""The drawable graph: tensor and op nodes, edges, module clusters and folding, with no graphviz in it.

Built from the roots with the engine's iterative ``topological_order`` (no recursion: a 100,000-op
chain is fine). Node ids are assigned in visit order (``t0, t1, ...`` for tensors, ``op0, ...`` for
ops), so the DOT text of a given graph is deterministic and can be asserted exactly.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._engine import topological_order
from .._function import Function
from .._tensor import Tensor

SMALL = 9  # tensors with at most this many elements show their values; larger ones a min/mean/max summary


@dataclass
class TensorNode:
    id: str
    name: str
    shape: tuple | None  # None: not known any more (backward freed the graph)
    dtype: str
    kind: str  # 'output', 'param', 'leaf', 'saved', 'intermediate'
    data: np.ndarray | None = None
    grad: np.ndarray | None = None
    cluster: str | None = None


@dataclass
class OpNode:
    id: str
    label: str
    name: str  # e.g. MulBackward
    rule: str  # the local backward rule from the op's docstring, e.g. "gx = g * (1 - y**2)"
    cluster: str | None = None
    fn: Any = None


@dataclass
class Cluster:
    id: str
    label: str
    parent: str | None
    span: tuple[int, int]


@dataclass
class GraphModel:
    tensors: dict[str, TensorNode] = field(default_factory=dict)
    ops: dict[str, OpNode] = field(default_factory=dict)
    edges: list[tuple[str, str, str]] = field(default_factory=list)  # (src, dst, style: '' | 'saved')
    clusters: dict[str, Cluster] = field(default_factory=dict)
    folded: str = ""  # what was folded, said in the drawing
    key_of: dict[Any, str] = field(default_factory=dict)  # leaf Tensor or (Function, out_idx) -> tensor id
    op_of: dict[Function, str] = field(default_factory=dict)
    group_of: dict[Function, str] = field(default_factory=dict)  # ops drawn as a collapsed module or the fold


def rule_of(fn: Function) -> str:
    """The backward half of the op's one-line math docstring ("y = tanh(x);  gx = g * (1 - y**2)")."""
    doc = (type(fn).__doc__ or "").strip().splitlines()
    first = " ".join(line.strip() for line in doc[:2]) if doc else ""
    return first.split(";", 1)[1].strip() if ";" in first else first


def named_tensors(params: Any) -> dict[int, str]:
    """id(tensor) -> name from a Module (named_parameters), a dict or (name, tensor) pairs."""
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        items = list(params.named_parameters())
        if hasattr(params, "named_buffers"):
            items += list(params.named_buffers())
    elif isinstance(params, dict):
        items = list(params.items())
    else:
        items = list(params)
    return {id(t): n for n, t in items if isinstance(t, Tensor)}


def module_clusters(params: Any) -> list[Cluster]:
    """One cluster per module whose last call recorded a span of node numbers (nn.Module.__call__)."""
    if not hasattr(params, "named_modules"):
        return []
    found = []
    for name, mod in params.named_modules():
        span = mod.__dict__.get("_call_span")
        if span is None:
            continue
        label = f"{name}: {type(mod).__name__}" if name else type(mod).__name__
        found.append((span, name, label))
    found.sort(key=lambda s: (s[0][0], -s[0][1]))  # outer spans first
    clusters: list[Cluster] = []
    for k, (span, _, label) in enumerate(found):
        parent = None
        for c in reversed(clusters):  # innermost enclosing span seen so far
            if c.span[0] <= span[0] and span[1] <= c.span[1]:
                parent = c.id
                break
        clusters.append(Cluster(f"cluster_{k}", label, parent, span))
    return clusters


def _innermost(seq: int, clusters: list[Cluster]) -> str | None:
    best = None
    for c in clusters:
        if c.span[0] <= seq < c.span[1] and (best is None or c.span[1] - c.span[0] < best.span[1] - best.span[0]):
            best = c
    return best.id if best is not None else None


def build(roots: list[Tensor], params: Any = None, max_ops: int = 300,
          group_modules: bool = True, show_saved: bool = False, collapse: tuple[str, ...] = ()) -> GraphModel:
    """The graph model of everything ``roots`` depend on. The ops of each module named in ``collapse``
    become one node; past ``max_ops`` drawn ops the middle of the topological order is folded into one
    node that lists what it holds."""
    g = GraphModel()
    names = named_tensors(params)
    clusters = module_clusters(params) if (group_modules or collapse) else []
    fns = [r.grad_fn for r in roots if r.grad_fn is not None]
    order = topological_order(fns)
    group_of = _collapsed(order, params, collapse, clusters, g)
    if not group_modules:
        clusters = []
    rest = [fn for fn in order if fn not in group_of]
    budget = max(2, max_ops - len(set(group_of.values())))
    if len(rest) > budget:
        head, tail = rest[: budget // 2], rest[len(rest) - (budget - budget // 2):]
        middle = rest[len(head): len(rest) - len(tail)]
        counts = Counter(type(f).__name__ for f in middle)
        top = ", ".join(f"{n} x {c:,}" for n, c in counts.most_common(4))
        more = f" and {len(counts) - 4} more kinds" if len(counts) > 4 else ""
        g.folded = f"{len(middle):,} ops folded ({top}{more})"
        g.ops["fold"] = OpNode("fold", f"... {g.folded} ...", "Folded", "")
        for fn in middle:
            group_of[fn] = "fold"
    g.clusters = {c.id: c for c in clusters}
    g.group_of = group_of
    n_t = 0

    def tensor_id(key: Any, make: Any) -> str:
        nonlocal n_t
        tid = g.key_of.get(key)
        if tid is None:
            tid = f"t{n_t}"
            n_t += 1
            g.key_of[key] = tid
            g.tensors[tid] = make(tid)
        return tid

    root_keys = {}
    for r in roots:
        key = r if r.grad_fn is None else (r.grad_fn, r._out_idx)
        root_keys[key] = r
    for i, fn in enumerate(order):
        if fn in group_of:
            continue
        oid = f"op{i}"
        g.op_of[fn] = oid
        g.ops[oid] = OpNode(oid, fn.label(), fn.name(), rule_of(fn), _innermost(fn._seq, clusters), fn)
    saved_in = {fn for fn in g.op_of if show_saved and type(fn).saves_inputs}
    saved_out = [fn for fn in g.op_of if show_saved and type(fn).saves_output]
    edge_set = set()

    def add_edge(a: str, b: str, style: str = "") -> None:
        if (a, b) not in edge_set:
            edge_set.add((a, b))
            g.edges.append((a, b, style))

    def node_of(fn: Function) -> str:
        return g.op_of.get(fn) or group_of[fn]

    for fn in order:
        oid = node_of(fn)
        inputs = fn.inputs
        for i, (child, idx) in enumerate(fn.next_functions):
            if child is None:
                continue
            if isinstance(child, Tensor):
                if oid == "fold" and id(child) not in names:
                    continue  # an anonymous leaf only the folded part uses
                t = child
                tid = tensor_id(t, lambda tid, t=t: TensorNode(
                    tid, names.get(id(t), "leaf"), tuple(t.shape), t.dtype.name,
                    "param" if id(t) in names else "leaf", t._data, _grad_of(t)))
            else:
                key = (child, idx)
                producer = node_of(child)
                if producer == oid:
                    continue  # inside one collapsed module or inside the folded part
                t_in = inputs[i] if inputs is not None else None
                data = t_in._data if isinstance(t_in, Tensor) else None
                tid = tensor_id(key, lambda tid, key=key, t_in=t_in, data=data, producer=producer: TensorNode(
                    tid, "", _shape(key, t_in, data), _dtype(key, t_in, data), "intermediate", data,
                    _grad_of(t_in) if isinstance(t_in, Tensor) else None, g.ops[producer].cluster))
                add_edge(producer, tid)
            add_edge(tid, oid, "saved" if fn in saved_in else "")
            if fn in saved_in and g.tensors[tid].kind == "intermediate":
                g.tensors[tid].kind = "saved"
    for key, r in root_keys.items():
        if isinstance(key, Tensor):
            tid = tensor_id(key, lambda tid, r=r: TensorNode(tid, names.get(id(r), _root_name(r)), tuple(r.shape),
                                                               r.dtype.name, "output", r._data, _grad_of(r)))
        else:
            fn, idx = key
            tid = tensor_id(key, lambda tid, r=r: TensorNode(tid, "", tuple(r.shape), r.dtype.name, "output",
                                                               r._data, _grad_of(r)))
            g.tensors[tid].kind = "output"
            g.tensors[tid].name = names.get(id(r), _root_name(r))
            g.tensors[tid].data = r._data
            g.tensors[tid].cluster = None
            add_edge(node_of(fn), tid)
    for fn in saved_out:
        for idx in range(fn._n_out):
            tid = g.key_of.get((fn, idx))
            if tid is not None:
                add_edge(tid, g.op_of[fn], "saved_output")
                if g.tensors[tid].kind == "intermediate":
                    g.tensors[tid].kind = "saved"
    return g


def _collapsed(order: list[Function], params: Any, collapse: tuple[str, ...], clusters: list[Cluster],
               g: GraphModel) -> dict[Function, str]:
    """fn -> id of the one node that stands for its collapsed module (the outermost one named)."""
    if not collapse:
        return {}
    spans = {}
    if hasattr(params, "named_modules"):
        for name, mod in params.named_modules():
            span = mod.__dict__.get("_call_span")
            if name in collapse and span is not None:
                spans[name] = (span, type(mod).__name__)
    missing = [n for n in collapse if n not in spans]
    if missing:
        raise ValueError(f"draw_graph: cannot collapse {missing}: collapse names submodules of params that ran "
                         "forward (e.g. collapse=('features',) with params=model)")
    out: dict[Function, str] = {}
    for k, (name, (span, kind)) in enumerate(sorted(spans.items(), key=lambda s: s[1][0][0] - s[1][0][1])):
        members = [fn for fn in order if span[0] <= fn._seq < span[1] and fn not in out]
        gid = f"module{k}"
        parent = None
        for c in clusters:  # the smallest enclosing module other than itself
            if c.span[0] <= span[0] and span[1] <= c.span[1] and c.span != span:
                if parent is None or c.span[1] - c.span[0] < parent.span[1] - parent.span[0]:
                    parent = c
        g.ops[gid] = OpNode(gid, f"{name}: {kind} ({len(members)} ops, collapsed)", "Collapsed", "",
                            parent.id if parent else None)
        for fn in members:
            out[fn] = gid
    return out


def _root_name(r: Tensor) -> str:
    return "loss" if r._data.size == 1 else "output"


def _grad_of(t: Any) -> np.ndarray | None:
    """The stored gradient (leaves, retain_grad tensors) without PyTorch's non-leaf warning."""
    gr = t._grad if isinstance(t, Tensor) else None
    return None if gr is None else gr._data


def _shape(key: Any, t: Any, data: Any) -> tuple:
    if isinstance(t, Tensor):
        return tuple(t.shape)
    if data is not None:
        return tuple(np.shape(data))
    fn, idx = key
    meta = fn._out_meta
    return tuple(meta[idx][0]) if meta is not None else None  # unknown once backward freed the graph


def _dtype(key: Any, t: Any, data: Any) -> str:
    if isinstance(t, Tensor):
        return t.dtype.name
    if data is not None:
        return np.asarray(data).dtype.name
    fn, idx = key
    meta = fn._out_meta
    return np.dtype(meta[idx][1]).name if meta is not None else ""


def summary(a: np.ndarray | None, precision: int = 4) -> str:
    """Values of a small array, or min / mean / max of a large one."""
    if a is None:
        return ""
    a = np.asarray(a)
    if a.size <= SMALL:
        return np.array2string(a, precision=precision, separator=", ", suppress_small=True).replace("\n", "")
    if a.dtype.kind not in "fiu":
        return f"{a.size} values"
    return f"min {a.min():.{precision}g} / mean {a.mean():.{precision}g} / max {a.max():.{precision}g}"
