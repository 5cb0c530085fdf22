"""Run a model once with gradient recording on and collect the graph it records.

The example inputs are fed as fresh copies: a float input becomes a leaf that requires grad (behind one
``Clone`` node, so that in-place ops inside the model are allowed on it), so that every op between the
inputs and the outputs records a node; integer inputs (indices) cannot require grad and are recognised by
identity or by sharing memory with what an op received.

The exporter traces twice: the second ("twin") trace gets the same inputs with their values shuffled and
their dynamic axes one longer. Comparing the two tells which dimensions of every value follow the dynamic
axes, and which constants were computed from the inputs outside the recorded graph (they differ).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _grad_mode
from .._engine import topological_order
from .._function import Function, sequence_mark
from .._tensor import Tensor, _make
from ..ops.shape import Clone


@dataclass
class Trace:
    """The recorded nodes (creation order), the fed inputs and the flattened outputs of one forward."""

    nodes: list[Function]
    inputs: list[Tensor]  # one per graph input: the leaf (float) or the tensor itself (integer)
    outputs: list[Tensor]
    meta: dict = field(default_factory=dict)  # (node, output index) -> (shape, dtype)
    spans: list = field(default_factory=list)  # (start, end, module scope) of each module call


def flatten(obj: Any) -> list[Tensor]:
    """The tensors inside nested tuples, lists and dicts, in order."""
    if isinstance(obj, Tensor):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for o in obj for t in flatten(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in flatten(o)]
    return []


def rebuild(obj: Any, feed: Callable[[Tensor], Any]) -> Any:
    """``obj`` with each tensor replaced by ``feed(tensor)`` (same nesting)."""
    if isinstance(obj, Tensor):
        return feed(obj)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # a namedtuple
        return type(obj)(*(rebuild(o, feed) for o in obj))
    if isinstance(obj, (tuple, list)):
        return type(obj)(rebuild(o, feed) for o in obj)
    if isinstance(obj, dict):
        return type(obj)((k, rebuild(v, feed)) for k, v in obj.items())
    return obj


def run(model: Any, args: tuple, kwargs: dict, arrays: list[np.ndarray], modules: list[tuple[str, Any]]) -> Trace:
    """Call ``model`` on ``args``/``kwargs`` with its tensors replaced by ``arrays`` (in flatten order)."""
    leaves: list[Tensor] = []
    pending = iter(arrays)

    def feed(_: Tensor) -> Tensor:
        arr = np.array(next(pending), copy=True)
        t = _make(arr, None, False)
        leaves.append(t)
        if arr.dtype.kind not in "fc":
            return t
        t.requires_grad_(True)
        return Clone.apply(t)

    call_args, call_kwargs = rebuild(args, feed), rebuild(kwargs, feed)
    mark = sequence_mark()
    with _grad_mode.enable_grad():
        out = model(*call_args, **call_kwargs)
    outputs = flatten(out)
    if not outputs:
        raise TypeError(f"autograd_core.onnx.export: the model returned {type(out).__name__}, which holds no "
                        "tensor; the model must return a Tensor or a tuple/list/dict of Tensors")
    roots = list({o.grad_fn: None for o in outputs if o.grad_fn is not None})
    nodes = sorted(topological_order(roots), key=operator.attrgetter("_seq"))
    trace = Trace(nodes, leaves, outputs)
    for node in nodes:
        for i, (child, idx) in enumerate(node.next_functions):
            if isinstance(child, Function):
                a = node.inputs[i]
                trace.meta[(child, idx)] = (tuple(a.shape), a.dtype)
        if node._out_meta is not None:  # a multi-output node: its outputs even where nothing uses them
            for k, (shape, dtype) in enumerate(node._out_meta):
                trace.meta.setdefault((node, k), (tuple(shape), dtype))
    for o in outputs:
        if o.grad_fn is not None:
            trace.meta[(o.grad_fn, o._out_idx)] = (tuple(o.shape), o.dtype)
    for scope, m in modules:
        span = m.__dict__.get("_call_span")  # set by nn.Module.__call__: the node numbers of its last call
        if span is not None and span[0] >= mark:
            trace.spans.append((span[0], span[1], scope))
    return trace


def scope_of(spans: list, seq: int) -> str:
    """The innermost module call whose span holds node number ``seq``, as an ONNX scope ('/fc1')."""
    best = None
    for start, end, scope in spans:
        if start <= seq < end and (best is None or end - start < best[1] - best[0]):
            best = (start, end, scope)
    if best is None or not best[2]:
        return ""
    return "/" + best[2].replace(".", "/")


def twin_arrays(arrays: list[np.ndarray], dynamic: list[dict[int, str]], seed: int = 0) -> list[np.ndarray]:
    """The inputs of the twin trace: each dynamic axis one longer (its first slice repeated), values shuffled."""
    rng = np.random.default_rng(seed)
    out = []
    for arr, axes in zip(arrays, dynamic):
        a = np.asarray(arr)
        for ax in sorted(axes):
            if a.shape[ax] == 0:
                raise ValueError(f"autograd_core.onnx.export: dynamic axis {ax} of an example input has size 0; "
                                 "give an example with at least one element along it")
            a = np.take(a, list(range(a.shape[ax])) + [0], axis=ax)
        if a.size > 1:
            a = rng.permutation(a.reshape(-1)).reshape(a.shape)
        out.append(a)
    return out


def same_structure(a: Trace, b: Trace) -> str | None:
    """None when the two traces recorded the same ops wired the same way, else what differs."""
    if len(a.nodes) != len(b.nodes) or len(a.outputs) != len(b.outputs):
        return f"{len(a.nodes)} ops recorded the first time, {len(b.nodes)} the second"
    pos_a = {n: k for k, n in enumerate(a.nodes)}
    pos_b = {n: k for k, n in enumerate(b.nodes)}
    for na, nb in zip(a.nodes, b.nodes):
        if type(na) is not type(nb) or len(na.next_functions) != len(nb.next_functions):
            return f"op {type(na).__name__} was recorded as {type(nb).__name__} the second time"
        for (ca, ia), (cb, ib) in zip(na.next_functions, nb.next_functions):
            if isinstance(ca, Function) != isinstance(cb, Function) or ia != ib or (
                    isinstance(ca, Function) and pos_a[ca] != pos_b[cb]):
                return f"the inputs of op {type(na).__name__} are wired differently the second time"
    for oa, ob in zip(a.outputs, b.outputs):
        fa, fb = oa.grad_fn, ob.grad_fn
        if (fa is None) != (fb is None) or (fa is not None and (pos_a[fa], oa._out_idx) != (pos_b[fb], ob._out_idx)):
            return "the outputs come from different ops the second time"
    return None
