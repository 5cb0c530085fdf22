"""The drawable graph: tensor and op nodes, edges, module clusters, composite calls and folding, with no
graphviz in it.

Built from the roots with the engine's iterative ``topological_order`` (no recursion: a 100,000-op
chain is fine). Node ids are assigned in visit order (``t0, t1, ...`` for tensors, ``op0, ...`` for
ops), so the DOT text of a given graph is deterministic and can be asserted exactly.

Clusters are spans of node creation numbers (``Function._seq``): an ``nn.Module`` call records its span
on the module (``_call_span``), a function marked with ``ag.viz.composite`` records its span on the node
that made its output (``_composites``). A *composite* cluster (a marked function, or a module call
without parameters or submodules that recorded two or more ops, such as ``nn.CrossEntropyLoss``) is
drawn as one box unless expanded.
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
    composite: bool = False  # drawn as one box (``box``) unless expanded
    module: bool = True  # a module call (False: a function marked with ag.viz.composite)
    box: str = ""  # the node id of that box, e.g. "composite0"
    n_ops: int = 0  # drawn ops inside (composites)


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
    roots: list[str] = field(default_factory=list)  # tensor ids of the roots

    def within(self, cid: str | None, ancestor: str) -> bool:
        """Whether cluster ``cid`` is ``ancestor`` or nested inside it."""
        while cid is not None:
            if cid == ancestor:
                return True
            cid = self.clusters[cid].parent
        return False

    def composites(self) -> list[Cluster]:
        return [c for c in self.clusters.values() if c.composite]

    def box_of(self, cid: str | None, collapsed: Any) -> str | None:
        """The outermost collapsed composite that holds cluster ``cid`` (its box id), or None."""
        box = None
        while cid is not None:
            c = self.clusters[cid]
            if c.composite and c.id in collapsed:
                box = c.box
            cid = c.parent
        return box

    def composite_of_box(self, box: str) -> Cluster:
        return next(c for c in self.clusters.values() if c.box == box)

    def hidden(self, collapsed: Any) -> dict[str, str]:
        """Node id -> the id of the collapsed composite's box that stands for it (nodes not drawn)."""
        out: dict[str, str] = {}
        if not collapsed:
            return out
        for nodes in (self.tensors.values(), self.ops.values()):
            for n in nodes:
                box = self.box_of(n.cluster, collapsed)
                if box is not None:
                    out[n.id] = box
        return out


def rule_of(fn: Function) -> str:
    """The backward half of the op's one-line math docstring ("y = tanh(x);  gx = g * (1 - y**2)")."""
    doc = (type(fn).__doc__ or "").strip().splitlines()
    first = " ".join(line.strip() for line in doc[:2]) if doc else ""
    return first.split(";", 1)[1].strip() if ";" in first else first


def _is_module(x: Any) -> bool:
    return hasattr(x, "named_parameters") and hasattr(x, "named_modules")


def _parts(params: Any) -> tuple[list[tuple[str, Any]], list[tuple[str, Tensor]]]:
    """(prefix, module) pairs and (name, tensor) pairs of ``params``: a Module, a dict name -> tensor or
    Module, or a list of Modules and (name, tensor) pairs (``[model, criterion]``)."""
    if params is None:
        return [], []
    if _is_module(params):
        return [("", params)], []
    items = list(params.items()) if isinstance(params, dict) else list(params)
    mods, tensors = [], []
    for it in items:
        if _is_module(it):
            mods.append(("", it))
        elif isinstance(it, tuple) and len(it) == 2 and _is_module(it[1]):
            mods.append((str(it[0]), it[1]))
        elif isinstance(it, tuple) and len(it) == 2 and isinstance(it[1], Tensor):
            tensors.append((str(it[0]), it[1]))
    return mods, tensors


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix and name else prefix or name


def named_tensors(params: Any) -> dict[int, str]:
    """id(tensor) -> name from a Module (named_parameters and buffers), a dict or (name, tensor) pairs."""
    mods, tensors = _parts(params)
    names: dict[int, str] = {}
    for prefix, mod in mods:
        items = list(mod.named_parameters())
        if hasattr(mod, "named_buffers"):
            items += list(mod.named_buffers())
        for n, t in items:
            names.setdefault(id(t), _join(prefix, n))
    for n, t in tensors:
        names.setdefault(id(t), n)
    return names


def _named_modules(params: Any) -> list[tuple[str, Any]]:
    mods, _ = _parts(params)
    return [(_join(prefix, n), m) for prefix, mod in mods for n, m in mod.named_modules()]


def _is_functional(mod: Any) -> bool:
    """A module that only composes ops (no parameters, no submodules): a loss, an activation."""
    return next(iter(mod.parameters()), None) is None and next(iter(mod.children()), None) is None


Found = tuple[tuple[int, int], str, bool, bool]  # span, label, composite, module call


def _nest(found: list[Found]) -> list[Cluster]:
    """Clusters from (span, label, composite, module), each with its innermost enclosing cluster as parent."""
    found = sorted(found, key=lambda s: (s[0][0], -s[0][1]))  # outer spans first
    clusters: list[Cluster] = []
    for k, (span, label, comp, module) in enumerate(found):
        parent = None
        for c in reversed(clusters):  # innermost enclosing span seen so far
            if c.span[0] <= span[0] and span[1] <= c.span[1]:
                parent = c.id
                break
        clusters.append(Cluster(f"cluster_{k}", label, parent, span, comp, module))
    return clusters


def module_clusters(params: Any) -> list[Cluster]:
    """One cluster per module whose last call recorded a span of node numbers (nn.Module.__call__)."""
    found = []
    for name, mod in _named_modules(params):
        span = mod.__dict__.get("_call_span")
        if span is None:
            continue
        label = f"{name}: {type(mod).__name__}" if name else type(mod).__name__
        found.append((span, label, _is_functional(mod), True))
    return _nest(found)


def composite_spans(order: list[Function]) -> list[Found]:
    """The span and label of every ``ag.viz.composite`` call recorded on the nodes of the graph."""
    seen: dict[tuple[int, int], str] = {}
    for fn in order:
        tags = getattr(fn, "_composites", None)
        if tags:
            for label, start, end in tags:
                seen.setdefault((start, end), label)
    return [(span, label, True, False) for span, label in seen.items()]


def tensor_name(t: Any) -> str:
    """A name the user gave the tensor: ``t.name = "z"`` (or micrograd's ``t.label = "z"``)."""
    if not isinstance(t, Tensor):
        return ""
    name = t.name or t.__dict__.get("label")
    return str(name) if name else ""


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
    node that lists what it holds. Composite calls become composite clusters (``Cluster.composite``)."""
    g = GraphModel()
    names = named_tensors(params)
    fns = [r.grad_fn for r in roots if r.grad_fn is not None]
    order = topological_order(fns)
    mods = module_clusters(params) if (group_modules or collapse) else []
    tags = composite_spans(order)
    every = _nest([(c.span, c.label, c.composite, True) for c in mods] + tags)
    group_of, group_span = _collapsed(order, params, collapse, every, g)
    clusters = every if group_modules else _nest(tags)
    if not group_modules:  # the collapsed modules' boxes: into the clusters that remain
        for gid, span in group_span.items():
            g.ops[gid].cluster = _innermost(span[0], clusters)
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
    _settle_composites(g)
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
                    tid, names.get(id(t)) or tensor_name(t) or "leaf", tuple(t.shape), t.dtype.name,
                    "param" if id(t) in names else "leaf", t._data, _grad_of(t)))
            else:
                key = (child, idx)
                producer = node_of(child)
                if producer == oid:
                    continue  # inside one collapsed module or inside the folded part
                t_in = inputs[i] if inputs is not None else None
                data = t_in._data if isinstance(t_in, Tensor) else None
                tid = tensor_id(key, lambda tid, key=key, t_in=t_in, data=data, producer=producer: TensorNode(
                    tid, names.get(id(t_in)) or tensor_name(t_in), _shape(key, t_in, data), _dtype(key, t_in, data),
                    "intermediate", data, _grad_of(t_in) if isinstance(t_in, Tensor) else None,
                    g.ops[producer].cluster))
                add_edge(producer, tid)
            add_edge(tid, oid, "saved" if fn in saved_in else "")
            if fn in saved_in and g.tensors[tid].kind == "intermediate":
                g.tensors[tid].kind = "saved"
    for key, r in root_keys.items():
        name = names.get(id(r)) or tensor_name(r) or _root_name(r)
        if isinstance(key, Tensor):
            tid = tensor_id(key, lambda tid, r=r, name=name: TensorNode(
                tid, name, tuple(r.shape), r.dtype.name, "output", r._data, _grad_of(r)))
        else:
            fn, idx = key
            tid = tensor_id(key, lambda tid, r=r: TensorNode(tid, "", tuple(r.shape), r.dtype.name, "output",
                                                               r._data, _grad_of(r)))
            g.tensors[tid].kind = "output"
            g.tensors[tid].name = name
            g.tensors[tid].data = r._data
            g.tensors[tid].cluster = None
            add_edge(node_of(fn), tid)
        g.roots.append(tid)
    for fn in saved_out:
        for idx in range(fn._n_out):
            tid = g.key_of.get((fn, idx))
            if tid is not None:
                add_edge(tid, g.op_of[fn], "saved_output")
                if g.tensors[tid].kind == "intermediate":
                    g.tensors[tid].kind = "saved"
    _lift_outputs(g)
    _place_params(g)
    return g


def _settle_composites(g: GraphModel) -> None:
    """Composites hold at least two drawn ops and differ from the composite around them; the others
    give their ops and sub-clusters to their parent (a functional module of one op stays a plain cluster)."""
    counts = Counter(op.cluster for op in g.ops.values())
    for c in sorted(g.clusters.values(), key=lambda c: c.span[1] - c.span[0]):  # innermost first
        c.n_ops = counts.get(c.id, 0) + sum(k.n_ops for k in g.clusters.values() if k.parent == c.id)
    for c in sorted(g.clusters.values(), key=lambda c: c.span[1] - c.span[0]):
        if not c.composite:
            continue
        parent = g.clusters.get(c.parent) if c.parent else None
        same = parent is not None and parent.composite and parent.n_ops == c.n_ops
        if c.n_ops >= 2 and not same:
            continue
        if not same and c.module:
            c.composite = False  # a module call of one op (e.g. Tanh): drawn as a cluster, as any module
            continue
        for op in g.ops.values():
            if op.cluster == c.id:
                op.cluster = c.parent
        for k in g.clusters.values():
            if k.parent == c.id:
                k.parent = c.parent
        del g.clusters[c.id]
    for k, c in enumerate(c for c in g.clusters.values() if c.composite):
        c.box = f"composite{k}"


def _place_params(g: GraphModel) -> None:
    """A parameter used only inside one module call is drawn inside that module's cluster (next to its op,
    not off to the side); a shared one stays outside. Never inside a composite (a box would hide it)."""
    if not g.clusters:
        return
    consumers: dict[str, set] = {}
    for a, b, _ in g.edges:
        if a in g.tensors and g.tensors[a].kind == "param" and b in g.ops:
            consumers.setdefault(a, set()).add(g.ops[b].cluster)
    for tid, cs in consumers.items():
        if len(cs) != 1:
            continue
        c = next(iter(cs))
        while c is not None and g.clusters[c].composite:
            c = g.clusters[c].parent
        g.tensors[tid].cluster = c


def _lift_outputs(g: GraphModel) -> None:
    """A tensor made inside a composite but used outside it (or a root) is the composite's output: it is
    drawn outside, so that the collapsed box has it as its output."""
    if not any(c.composite for c in g.clusters.values()):
        return
    consumers: dict[str, list[str]] = {}
    for a, b, _ in g.edges:
        if a in g.tensors:
            consumers.setdefault(a, []).append(b)
    roots = set(g.roots)
    for tid, t in g.tensors.items():
        c = t.cluster
        while c is not None and g.clusters[c].composite and (
                tid in roots or not all(g.within(g.ops[o].cluster, c) for o in consumers.get(tid, ()))):
            c = g.clusters[c].parent
        t.cluster = c


def _collapsed(order: list[Function], params: Any, collapse: tuple[str, ...], clusters: list[Cluster],
               g: GraphModel) -> tuple[dict[Function, str], dict[str, tuple[int, int]]]:
    """fn -> id of the one node that stands for its collapsed module (the outermost one named), and the
    span of each such node."""
    if not collapse:
        return {}, {}
    spans = {}
    for name, mod in _named_modules(params):
        span = mod.__dict__.get("_call_span")
        if name in collapse and span is not None:
            spans[name] = (span, type(mod).__name__)
    missing = [n for n in collapse if n not in spans]
    if missing:
        raise ValueError(f"draw_graph: cannot collapse {missing}: collapse names submodules of params that ran "
                         "forward (e.g. collapse=('features',) with params=model)")
    out: dict[Function, str] = {}
    group_span = {}
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
        group_span[gid] = span
        for fn in members:
            out[fn] = gid
    return out, group_span


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
