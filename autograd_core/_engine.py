"""The backward pass: an iterative topological sort and an explicit grad table.

This is the course's backward algorithm (seed 004): visit nodes so that every consumer of a
value runs before its producer, keep ``grad_table[node]`` = the sum of the contributions its
consumers sent, and hand each node's complete gradient to its local backward rule.
"""

from __future__ import annotations

import contextlib
import operator
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from . import _grad_mode
from ._function import ERR_BACKWARD_TWICE, Function
from ._tensor import Tensor, _make
from ._xp import TENSOR, sum_to

_STATE = _grad_mode.STATE


# ---------------------------------------------------------------------- the backward pass
# Set by the differential test (tests/test_engine.py runs every engine test through both loops).
FORCE_GENERAL_LOOP = False


def run_backward(
    tensors: Sequence[Tensor],
    grad_tensors: Sequence[Any],
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Sequence[Tensor] | None = None,
    accumulate: bool = True,
    allow_unused: bool = True,
) -> list[Any] | None:
    """Run backward from ``tensors``; accumulate into leaves' ``.grad`` or return grads of ``inputs``.

    1. seed the grad table with d(output)/d(output) (ones, or the given gradients);
    2. visit the nodes in topological order, consumers before producers: pop the node's complete
       gradient from the table, apply its local backward rule, and send each input its share
       (``grad_table[u(j)] += grad_table[u(i)] du(i)/du(j)``, in ``_send``);
    3. hand the leaves their gradients (accumulated into ``.grad``) or return the requested ones.
    """
    if retain_graph is None:
        retain_graph = create_graph
    roots, seeds = _roots_and_seeds(tensors, grad_tensors, create_graph)
    leaf_targets, nonleaf_targets = _targets(inputs)
    order = topological_order(roots)
    run_set = None if inputs is None else _needed(order, leaf_targets or {}, nonleaf_targets)
    observers = list(_observers)
    for ob in observers:
        ob.on_begin(order, [t for t, _ in seeds])

    results: list[Any] = [None] * (len(inputs) if inputs is not None else 0)
    table: dict[Function, Any] = {}  # the grad table: node -> gradient of its output(s)
    leaf_grads: dict[Tensor, Any] = {}  # leaf -> its gradient so far
    owned: set[Tensor] = set()  # leaves whose gradient array only the engine holds (it may become .grad)
    for t, s in seeds:
        fn = t.grad_fn
        _send(table, leaf_grads, owned, t if fn is None else fn, t._out_idx, s, False)

    with _grad_mode.enable_grad() if create_graph else _grad_mode.no_grad():
        if FORCE_GENERAL_LOOP or observers or create_graph or _STATE.anomaly or inputs is not None:
            _loop_general(order, table, leaf_grads, owned, retain_graph, create_graph, observers,
                          nonleaf_targets, run_set, results)
        else:
            _loop_fast(order, table, leaf_grads, owned, retain_graph)
        _deliver_leaves(leaf_grads, owned, observers, create_graph, leaf_targets, accumulate, results)
    for ob in observers:
        ob.on_end()
    return _results(inputs, nonleaf_targets, results, accumulate, allow_unused, create_graph)


def _send(table: dict, leaf_grads: dict, owned: set, child: Any, idx: int, gi: Any, fresh: bool) -> None:
    """grad_table[child] += gi: the one place the grad table is written (``_loop_fast`` inlines it).

    Added out of place, never in place: the same upstream array may have been handed to two
    inputs. ``fresh``: ``gi`` is a new array nobody else holds, so a leaf may keep it as its .grad.
    """
    if isinstance(child, Tensor):  # a leaf
        prev = leaf_grads.get(child)
        if prev is None:
            leaf_grads[child] = gi
            if fresh:
                owned.add(child)
        else:
            leaf_grads[child] = prev + gi
            owned.add(child)  # a sum the engine just made
    elif child._n_out == 1:
        prev = table.get(child)
        table[child] = gi if prev is None else prev + gi
    else:
        lst = table.get(child)
        if lst is None:
            lst = table[child] = [None] * child._n_out
        lst[idx] = gi if lst[idx] is None else lst[idx] + gi


def _loop_fast(order: list[Function], table: dict, leaf_grads: dict, owned: set, retain_graph: bool) -> None:
    """The ordinary backward: ndarrays only, no observers, no targets (the hot path).

    Same steps as ``_loop_general``, with ``_send`` and ``Function._release`` inlined: a call costs
    as much as a small numpy op. The engine tests run through both loops (FORCE_GENERAL_LOOP).
    """
    pop = table.pop
    get = table.get
    for node in order:
        entry = pop(node, None)  # pop on read: the gradient is freed once used
        if entry is None:
            continue
        inputs = node.inputs
        if inputs is None:
            raise RuntimeError(ERR_BACKWARD_TWICE)
        if node._plain:
            res = node.backward(entry)
        else:
            res = node.backward(*_prepare(node, entry, False))
        if type(res) is not tuple:
            res = (res,)
        edges = node.next_functions
        if len(res) != len(edges):
            _check_arity(node, res)
        for (child, idx), gi, inp in zip(edges, res, inputs):
            if child is None or gi is None:
                continue
            d = inp._data
            if gi.shape != d.shape or gi.dtype != d.dtype:
                gi = _fix_grad(node, _edge_index(gi, res), gi, inp, False)
                _send(table, leaf_grads, owned, child, idx, gi, True)  # a sum or a cast it just made
                continue
            # ---- inlined _send(table, leaf_grads, owned, child, idx, gi, node.fresh_grads)
            if isinstance(child, Tensor):
                prev = leaf_grads.get(child)
                if prev is None:
                    leaf_grads[child] = gi
                    if node.fresh_grads:
                        owned.add(child)
                else:
                    leaf_grads[child] = prev + gi
                    owned.add(child)
            elif child._n_out == 1:
                prev = get(child)
                table[child] = gi if prev is None else prev + gi
            else:
                lst = get(child)
                if lst is None:
                    lst = table[child] = [None] * child._n_out
                lst[idx] = gi if lst[idx] is None else lst[idx] + gi
            # ---- end of inlined _send
        if not retain_graph:  # inlined node._release(): drop saved data, keep the edges
            node.inputs = None
            if node._arrays is not None:
                node._arrays = None
            if node._out is not None:
                node._out = None


def _loop_general(order: list[Function], table: dict, leaf_grads: dict, owned: set, retain_graph: bool,
                  create_graph: bool, observers: list, nonleaf_targets: dict, run_set: set | None,
                  results: list) -> None:
    """Backward with observers, anomaly checks, create_graph or gradient targets."""
    anomaly = _STATE.anomaly
    for node in order:
        entry = table.pop(node, None)
        if entry is None:
            continue
        grads = _prepare(node, entry, create_graph)
        if nonleaf_targets:
            for k, g in enumerate(grads):
                pos = nonleaf_targets.get((node, k))
                if pos is not None:
                    results[pos] = g
        if run_set is not None and node not in run_set:
            continue
        if node.inputs is None:
            raise RuntimeError(ERR_BACKWARD_TWICE)
        for ob in observers:
            ob.on_node(node, grads)
        if anomaly:
            try:
                res = _call_backward(node, grads, create_graph)
            except Exception as e:
                raise RuntimeError(f"Error detected in {node.name()}: {e}" + _forward_trace(node)) from e
            _anomaly_backward(node, res)
        else:
            res = _call_backward(node, grads, create_graph)
        _check_arity(node, res)
        edges = node.next_functions
        node_inputs = node.inputs
        fresh = node.fresh_grads and not create_graph
        for i, gi in enumerate(res):
            child, idx = edges[i]
            if child is None or gi is None:
                continue
            inp = node_inputs[i]
            fresh_i = fresh
            if create_graph or gi.shape != inp._data.shape or gi.dtype != inp._data.dtype:
                fixed = _fix_grad(node, i, gi, inp, create_graph)
                fresh_i = fresh or (fixed is not gi and not create_graph)
                gi = fixed
            for ob in observers:
                ob.on_contribution(node, i, child if isinstance(child, Tensor) else (child, idx), gi)
            _send(table, leaf_grads, owned, child, idx, gi, fresh_i)
        if not retain_graph:
            node._release()


def _deliver_leaves(leaf_grads: dict, owned: set, observers: list, create_graph: bool,
                    leaf_targets: dict | None, accumulate: bool, results: list) -> None:
    """Leaf hooks, then ``.grad += g`` (or the result slot of ``grad()``'s inputs)."""
    while leaf_grads:
        leaf, g = leaf_grads.popitem()
        keep = leaf in owned and not observers  # an observer may hold on to the arrays it was shown
        if leaf._hooks:
            g = _run_hooks(leaf._hooks, g, create_graph)
            keep = False  # a hook was shown the gradient (it may keep it) or returned an array of its own
        for ob in observers:
            ob.on_leaf(leaf, g)
        if leaf_targets is not None:
            pos = leaf_targets.get(leaf)
            if pos is None:
                continue
            if not accumulate:
                results[pos] = g
                continue
        if accumulate:
            _accumulate(leaf, g, create_graph, keep)
            post = leaf.__dict__.get("_post_acc_hooks")  # register_post_accumulate_grad_hook: after .grad is set
            if post:
                _run_post_accumulate_hooks(leaf, post)


def _run_post_accumulate_hooks(leaf: Tensor, hooks: list) -> None:
    for hook in tuple(hooks):
        res = hook(leaf)
        if res is not None:
            raise TypeError(f"a post accumulate grad hook must return None (it is called with the tensor after its "
                            f".grad was accumulated), but hook {getattr(hook, '__name__', hook)!r} returned "
                            f"{type(res).__name__!r}")


def _results(inputs: Sequence[Tensor] | None, nonleaf_targets: dict, results: list, accumulate: bool,
             allow_unused: bool, create_graph: bool) -> list[Any] | None:
    """What ``grad()`` returns (or, for ``backward(inputs=...)``, the non-leaf inputs' accumulation)."""
    if inputs is None:
        return None
    if accumulate:
        for pos in nonleaf_targets.values():
            g = results[pos]
            if g is not None:
                _accumulate(inputs[pos], g, create_graph, False)
        return None
    out = []
    for k, g in enumerate(results):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors appears to not have been used in the graph "
                    f"(inputs[{k}], shape {list(inputs[k].shape)}). Set allow_unused=True if this is the "
                    "desired behavior."
                )
            out.append(None)
        else:
            out.append(g if isinstance(g, Tensor) else _make(np.array(g, copy=True), None, False))
    return out


# ---------------------------------------------------------------------- roots, seeds and targets
def _roots_and_seeds(tensors: Sequence[Tensor], grad_tensors: Sequence[Any],
                     create_graph: bool) -> tuple[list[Function], list[tuple[Tensor, Any]]]:
    roots: list[Function] = []
    seeds: list[tuple[Tensor, Any]] = []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not isinstance(t, Tensor):
            raise TypeError(f"backward: expected Tensors as outputs, got {type(t).__name__} at position {i}")
        if not t._rg:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn "
                "(was it computed under no_grad(), from detached tensors, or from tensors created "
                "without requires_grad=True?)"
            )
        seeds.append((t, _seed(t, g, i, create_graph)))
        if t.grad_fn is not None:
            roots.append(t.grad_fn)
    return roots, seeds


def _targets(inputs: Sequence[Tensor] | None) -> tuple[dict[Tensor, int] | None, dict[tuple[Function, int], int]]:
    """Which leaves / non-leaf outputs receive results (``grad()`` and ``backward(inputs=)``)."""
    nonleaf_targets: dict[tuple[Function, int], int] = {}
    if inputs is None:
        return None, nonleaf_targets
    leaf_targets: dict[Tensor, int] = {}
    for k, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"inputs[{k}] must be a Tensor, got {type(t).__name__}")
        if not t._rg:
            raise RuntimeError(f"One of the differentiated Tensors does not require grad (inputs[{k}], "
                               f"shape {list(t.shape)})")
        if t.grad_fn is None:
            leaf_targets[t] = k
        else:
            nonleaf_targets[(t.grad_fn, t._out_idx)] = k
    return leaf_targets, nonleaf_targets


def _needed(order: list[Function], leaf_targets: dict, nonleaf_targets: dict) -> set:
    """Nodes whose backward must run to reach a target (post-order pass over the sorted graph)."""
    needed: set = set()
    for node in reversed(order):
        for child, idx in node.next_functions:
            if child is None:
                continue
            if isinstance(child, Tensor):
                if child in leaf_targets:
                    needed.add(node)
                    break
            elif child in needed or (child, idx) in nonleaf_targets:
                needed.add(node)
                break
    return needed


# ---------------------------------------------------------------------- topological sort
def topological_order(roots: Sequence[Function]) -> list[Function]:
    """Nodes reachable from ``roots``, each listed before every node it consumes.

    A node is always created after the nodes that produced its inputs, so sorting the
    reachable nodes by creation number (newest first) is a topological order. The traversal
    uses an explicit stack, never recursion, so graph depth is unlimited.
    """
    seen = set(roots)
    stack = list(seen)
    nodes = []
    while stack:
        node = stack.pop()
        nodes.append(node)
        for child, _ in node.next_functions:
            if child is not None and child not in seen and not isinstance(child, Tensor):
                seen.add(child)
                stack.append(child)
    nodes.sort(key=_seq_of, reverse=True)
    return nodes


_seq_of = operator.attrgetter("_seq")


# ---------------------------------------------------------------------- per-node steps
def _seed(t: Tensor, g: Any, i: int, create_graph: bool) -> Any:
    if g is None:
        if t._data.size != 1:
            raise RuntimeError(
                "grad can be implicitly created only for scalar outputs "
                f"(output {i} has shape {list(t.shape)}; pass gradient=... of that shape, "
                "or reduce it first, e.g. y.sum().backward())"
            )
        arr = np.ones(t.shape, dtype=t.dtype)
        return _make(arr, None, False) if create_graph else arr
    if isinstance(g, Tensor):
        arr = g._data
    else:
        arr = np.asarray(g, dtype=t.dtype)
    if arr.shape != t.shape:
        raise RuntimeError(
            f"Mismatch in shape: grad_output[{i}] has a shape of {list(arr.shape)} and output[{i}] has a "
            f"shape of {list(t.shape)}."
        )
    if arr.dtype != t.dtype:
        arr = arr.astype(t.dtype)
        g = None
    if create_graph:
        return g if isinstance(g, Tensor) else _make(arr, None, False)
    return arr


def _as_tensor_grad(g: Any) -> Tensor:
    return g if isinstance(g, Tensor) else _make(np.asarray(g), None, False)


def _run_hooks(hooks: list, g: Any, create_graph: bool) -> Any:
    for hook in hooks:
        res = hook(_as_tensor_grad(g))
        if res is not None:
            if not isinstance(res, Tensor):
                res = _make(np.asarray(res), None, False)
            if res.shape != np.shape(g):
                raise RuntimeError(
                    f"hook {getattr(hook, '__name__', hook)!r} has changed the size of value: expected "
                    f"{list(np.shape(g))}, got {list(res.shape)}"
                )
            g = res if create_graph else res._data
    return g


def _zeros_for(meta: tuple, create_graph: bool) -> Any:
    arr = np.zeros(meta[0], dtype=meta[1])
    return _make(arr, None, False) if create_graph else arr


def _fix_grad(node: Function, i: int, gi: Any, inp: Tensor, create_graph: bool) -> Any:
    """Undo broadcasting (once per edge) and restore the input's dtype; name the op on failure."""
    if create_graph and not isinstance(gi, Tensor):
        gi = _make(np.asarray(gi), None, False)
    if gi.shape != inp._data.shape:
        try:
            gi = sum_to(gi, inp._data.shape)
        except ValueError:
            raise RuntimeError(
                f"Function {node.name()} returned an invalid gradient at index {i} - got "
                f"{list(gi.shape)} but expected shape compatible with {list(inp._data.shape)}"
            ) from None
    if gi.dtype != inp._data.dtype:
        if np.dtype(gi.dtype).kind == "c" and inp._data.dtype.kind != "c":
            # a real input of a complex computation receives the real part (PyTorch's rule), silently: the
            # imaginary part is not lost information here, as it is in a user's complex-to-real cast
            gi = TENSOR.real_part(gi) if isinstance(gi, Tensor) else np.real(gi)
        if gi.dtype != inp._data.dtype:
            gi = gi.to(inp._data.dtype) if isinstance(gi, Tensor) else np.asarray(gi).astype(inp._data.dtype)
    return gi


class _NotDifferentiable(Function):
    """Stands for the result of a once-differentiable backward: differentiating it raises."""

    def forward(self, g, *deps, op):
        # deps: what the gradient depends on (upstream gradients, the node's inputs), as edges only, so that a
        # grad() of this gradient w.r.t. them reaches this node and raises instead of pruning it and
        # silently leaving its term out
        self.op = op
        return g

    def backward(self, g):
        raise NotImplementedError(
            f"the derivative of {self.op}'s backward is not implemented: {self.op} is "
            "once-differentiable, so gradients of its gradients (create_graph=True, gradgradcheck, "
            "hessian) cannot flow through it"
        )


def _call_backward(node: Function, grads: tuple, create_graph: bool) -> tuple:
    if create_graph:
        if node.differentiable:
            node.xp = TENSOR  # an instance attribute over the class's NUMPY, for this call only
            try:
                res = node.backward(*grads)
            finally:
                del node.xp
        else:
            arrays = tuple(g._data for g in grads)
            res = node.backward(*arrays)
            res = res if type(res) is tuple else (res,)
            deps = [t for t in (*grads, *(node.inputs or ())) if isinstance(t, Tensor) and t._rg]
            res = tuple(None if r is None else
                        (_NotDifferentiable.apply(_make(np.asarray(r), None, False), *deps, op=node.name())
                         if deps else _make(np.asarray(r), None, False)) for r in res)
    else:
        res = node.backward(*grads)
    return res if type(res) is tuple else (res,)


def _anomaly_backward(node: Function, res: tuple) -> None:
    for k, r in enumerate(res):
        if r is None:
            continue
        arr = r._data if isinstance(r, Tensor) else np.asarray(r)
        if arr.dtype.kind in "fc" and np.isnan(arr).any():
            raise RuntimeError(
                f"Function '{node.name()}' returned nan values in its {k}th output."
                + _forward_trace(node)
            )


def _forward_trace(node: Function) -> str:
    if node._trace is None:
        return ""
    return "\nTraceback of forward call that created this node:\n" + "".join(node._trace[-6:])


def _prepare(node: Function, entry: Any, create_graph: bool) -> tuple:
    """The node's incoming gradients as a tuple: zeros for unused outputs, then tensor hooks."""
    if node._n_out == 1:
        grads: tuple = (entry,)
    else:
        # an output no gradient reached gets zeros, or None where a ctx-style Function asked for that
        # (ctx.set_materialize_grads(False), as in PyTorch)
        fill = getattr(node, "materialize_grads", True)
        grads = tuple((_zeros_for(m, create_graph) if fill else None) if e is None else e
                      for e, m in zip(entry, node._out_meta))
    if node._tensor_hooks is not None or node._retain is not None:
        grads = _nonleaf_hooks(node, grads, create_graph)
    return grads


def _check_arity(node: Function, res: tuple) -> None:
    if len(res) != len(node.next_functions):
        raise RuntimeError(
            f"function {node.name()} returned an incorrect number of gradients (expected "
            f"{len(node.next_functions)}, got {len(res)})"
        )


def _edge_index(gi: Any, res: tuple) -> int:
    """Position of gradient ``gi`` in ``res`` (by identity; only used for error messages)."""
    return next(i for i, r in enumerate(res) if r is gi)


def _nonleaf_hooks(node: Function, grads: tuple, create_graph: bool) -> tuple:
    grads = list(grads)
    hooks = node._tensor_hooks or {}
    for k, hs in hooks.items():
        if grads[k] is not None and hs:
            grads[k] = _run_hooks(hs, grads[k], create_graph)
    if node._retain is not None:
        for k, ref in node._retain.items():
            t = ref()
            if t is not None and grads[k] is not None and t.grad_fn is node:
                _accumulate(t, grads[k], create_graph)
    return tuple(grads)


# ---------------------------------------------------------------------- .grad
# Backward passes in several threads may share leaves (a model trained by worker threads): the
# read-add-write of .grad is a critical section, or concurrent additions are lost.
_ACCUMULATE_LOCK = threading.Lock()


def _accumulate(t: Tensor, g: Any, create_graph: bool, owned: bool = False) -> None:
    """PyTorch semantics: leaves accumulate into ``.grad`` (out of place, never aliasing).

    ``owned``: the engine made ``g`` (a sum, a cast, or the result of a backward that declares
    ``fresh_grads``) and nobody else holds it, so the first gradient keeps it instead of a copy
    (PyTorch's AccumulateGrad steals a buffer it holds alone). Decided by where the array came
    from, not by reference counts, which CPython does not promise to be exact (3.14 skips some).
    """
    with _ACCUMULATE_LOCK:
        if create_graph:
            g = _as_tensor_grad(g)
            t._grad = g if t._grad is None else t._grad + g
            return
        if isinstance(g, Tensor):
            g = g._data
            owned = False
        dt = t._data.dtype
        if t._grad is None:
            if owned and type(g) is np.ndarray and g.dtype == dt and g.flags.writeable and g.flags.c_contiguous:
                t._grad = _make(g, None, False)
            else:
                t._grad = _make(np.array(g, dtype=dt, copy=True), None, False)
        else:
            t._grad = _make(np.asarray(t._grad._data + g, dtype=dt), None, False)


# ---------------------------------------------------------------------- observers
class BackwardObserver:
    """Receives each step of a backward pass (used by the visualiser and ``trace_backward``).

    Methods are called in this order: ``on_begin`` once with the visit order, then per node
    ``on_node`` (its complete incoming gradients) followed by one ``on_contribution`` per
    gradient it sends to an input, and finally ``on_leaf`` per leaf and ``on_end``.
    Gradients are ndarrays in an ordinary backward and Tensors under ``create_graph``.
    """

    def on_begin(self, order: list[Function], roots: list[Tensor]) -> None:
        pass

    def on_node(self, node: Function, grads: tuple) -> None:
        pass

    def on_contribution(self, node: Function, input_index: int, target: Any, grad: Any) -> None:
        """``target`` is ``(producer_node, output_index)`` or a leaf Tensor."""

    def on_leaf(self, tensor: Tensor, grad: Any) -> None:
        pass

    def on_end(self) -> None:
        pass


_observers: list[BackwardObserver] = []


@contextlib.contextmanager
def observe(observer: BackwardObserver) -> Iterator[BackwardObserver]:
    """Attach an observer to every backward pass run inside the ``with`` block."""
    _observers.append(observer)
    try:
        yield observer
    finally:
        _observers.remove(observer)


# ---------------------------------------------------------------------- public API
def backward(
    tensors: Any,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Any = None,
) -> None:
    """Accumulate d(tensors)/d(leaf) into every leaf's ``.grad`` (or only into ``inputs``)."""
    tensors = (tensors,) if isinstance(tensors, Tensor) else tuple(tensors)
    if grad_tensors is None:
        grad_tensors = (None,) * len(tensors)
    elif isinstance(grad_tensors, (Tensor, np.ndarray)):
        grad_tensors = (grad_tensors,)
    grad_tensors = tuple(grad_tensors)
    if len(grad_tensors) != len(tensors):
        raise RuntimeError(f"grad_tensors has {len(grad_tensors)} entries but there are {len(tensors)} tensors")
    if inputs is not None:
        inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
        if len(inputs) == 0:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs=inputs, accumulate=True)


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool | None = None,
    materialize_grads: bool = False,
) -> tuple[Tensor | None, ...]:
    """Return d(outputs)/d(inputs) without touching ``.grad`` (PyTorch's ``autograd.grad``)."""
    outputs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    single = isinstance(inputs, Tensor)
    inputs = (inputs,) if single else tuple(inputs)
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    elif isinstance(grad_outputs, (Tensor, np.ndarray)):
        grad_outputs = (grad_outputs,)
    grad_outputs = tuple(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(
            f"grad requires one grad_output per output: got {len(grad_outputs)} for {len(outputs)} outputs"
        )
    if allow_unused is None:
        allow_unused = materialize_grads
    res = run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs=inputs,
                       accumulate=False, allow_unused=allow_unused)
    assert res is not None
    if materialize_grads:
        res = [_make(np.zeros_like(t._data), None, False) if g is None else g for g, t in zip(res, inputs)]
    return tuple(res)

