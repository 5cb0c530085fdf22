"""``torch.utils.checkpoint``: activation checkpointing (trade compute for memory).

``checkpoint(function, *args, use_reentrant=...)`` runs ``function`` and records ONE node for it instead of
its whole graph: the intermediate values the inner ops would save are not kept. The node's backward runs
``function`` again (with the random state of the forward restored, so dropout draws the same mask) and
differentiates that recomputation. The gradients equal those without checkpointing.

Two variants, as in PyTorch:

* ``use_reentrant=True`` (PyTorch's default when the argument is omitted, with its warning): the forward runs
  under ``no_grad``; only the tensor arguments are inputs of the node. Its backward recomputes on detached
  copies of them and calls ``autograd.backward`` from inside backward ("reentrant"), which accumulates the
  gradients of the parameters the function reads straight into their ``.grad``. So, as in PyTorch, it cannot
  be used with ``autograd.grad`` (or ``backward(inputs=...)``), and gives no gradients when no argument
  requires grad (a warning says so).
* ``use_reentrant=False`` (recommended): the forward runs recorded once, the tensors where its graph meets the
  rest of the world are found (arguments, parameters the function reads, any outside tensor it uses), and then
  the inner graph is dropped: the node has exactly those tensors as inputs. Backward recomputes the function and
  differentiates it with ``autograd.grad`` with respect to them, so it works with ``autograd.grad``, with
  parameters that are not arguments, with keyword arguments, and under ``create_graph=True`` (second
  derivatives). The forward's graph lives only while the function runs: peak memory is one segment's graph.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any

from .. import _engine
from .._function import Function, sequence_mark
from .._grad_mode import enable_grad, is_grad_enabled, no_grad
from .._tensor import Tensor

__all__ = [
    "CheckpointError", "CheckpointFunction", "DefaultDeviceType", "check_backward_validity", "checkpoint",
    "checkpoint_sequential", "detach_variable", "get_device_states", "noop_context_fn",
    "set_checkpoint_debug_enabled", "set_checkpoint_early_stop", "set_device_states",
]


class CheckpointError(RuntimeError):
    """The recomputation in backward did not reproduce the forward (different outputs or shapes)."""


# ---------------------------------------------------------------------- small public helpers (PyTorch's names)
def detach_variable(inputs: tuple) -> tuple:
    """Each tensor detached, keeping its ``requires_grad``; other values unchanged."""
    if not isinstance(inputs, tuple):
        raise RuntimeError(f"Only tuple of tensors is supported. Got Unsupported input type: {type(inputs).__name__}")
    out = []
    for x in inputs:
        if isinstance(x, Tensor):
            d = x.detach()
            d.requires_grad = x.requires_grad
            out.append(d)
        else:
            out.append(x)
    return tuple(out)


def check_backward_validity(inputs: Any) -> None:
    """Warn (as PyTorch) when no tensor argument requires grad: the reentrant variant then gives no gradients."""
    if not any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", stacklevel=3)


def get_device_states(*args: Any) -> tuple[list, list]:
    """Accelerator random states of the tensors' devices: none here (the CPU is the only device)."""
    return [], []


def set_device_states(devices: list, states: list, *, device_type: Any = None) -> None:
    """Restore accelerator random states: nothing to do on the CPU."""


class DefaultDeviceType:
    """The device type whose random state checkpoint preserves besides the CPU's (PyTorch's default: cuda)."""

    _default_device_type = "cuda"

    @staticmethod
    def set_device_type(device: str = "cuda") -> None:
        DefaultDeviceType._default_device_type = device

    @staticmethod
    def get_device_type() -> str:
        return DefaultDeviceType._default_device_type


def noop_context_fn() -> tuple[contextlib.AbstractContextManager, contextlib.AbstractContextManager]:
    """The default ``context_fn``: no extra context around the forward or the recomputation."""
    return contextlib.nullcontext(), contextlib.nullcontext()


_early_stop = [True]
_debug = [False]


@contextlib.contextmanager
def set_checkpoint_early_stop(enable: bool) -> Iterator[None]:
    """PyTorch stops a recomputation once the needed tensors exist; here the recomputation always runs the whole
    function (a function has no cheaper exit point to stop at), so the flag is only recorded."""
    prev = _early_stop[0]
    _early_stop[0] = bool(enable)
    try:
        yield
    finally:
        _early_stop[0] = prev


@contextlib.contextmanager
def set_checkpoint_debug_enabled(enabled: bool | None) -> Iterator[None]:
    """Recorded for API compatibility: a recomputation mismatch always raises ``CheckpointError`` naming it."""
    prev = _debug[0]
    _debug[0] = bool(enabled)
    try:
        yield
    finally:
        _debug[0] = prev


# ---------------------------------------------------------------------- nested outputs
def _flatten(obj: Any, leaves: list) -> Any:
    """A spec of ``obj`` (tuples, lists, dicts nested) with its tensors moved into ``leaves``."""
    if isinstance(obj, Tensor):
        leaves.append(obj)
        return None
    # only types are kept in the spec: holding the containers would hold the forward's outputs (and graph)
    if isinstance(obj, (tuple, list)):
        return (type(obj), [_flatten(o, leaves) for o in obj])
    if isinstance(obj, dict):
        return (type(obj), [(k, _flatten(v, leaves)) for k, v in obj.items()])
    return ("const", obj)


def _unflatten(spec: Any, it: Iterator) -> Any:
    if spec is None:
        return next(it)
    kind, body = spec[0], spec[1]
    if kind == "const":
        return body
    if issubclass(kind, dict):
        return kind((k, _unflatten(s, it)) for k, s in body)
    items = [_unflatten(s, it) for s in body]
    return kind(*items) if hasattr(kind, "_fields") else kind(items)  # a namedtuple takes its fields one by one


@contextlib.contextmanager
def _forked_rng(state: Any) -> Iterator[None]:
    """Run with the generator at ``state``, then put back the state the caller had."""
    if state is None:
        yield
        return
    from .. import _creation

    now = _creation.get_rng_state()
    _creation.set_rng_state(state)
    try:
        yield
    finally:
        _creation.set_rng_state(now)


def _rng_state(preserve: bool) -> Any:
    if not preserve:
        return None
    from .. import _creation

    return _creation.get_rng_state()


# ---------------------------------------------------------------------- use_reentrant=True
def _outer_backward_targets() -> bool:
    """Whether the backward pass that is running this node was asked for chosen ``inputs`` (``autograd.grad`` or
    ``backward(inputs=...)``). The engine keeps no flag for it, so this reads the innermost engine frame."""
    code = _engine.run_backward.__code__
    f = sys._getframe(1)
    while f is not None:
        if f.f_code is code:
            return f.f_locals.get("inputs") is not None
        f = f.f_back
    return False


class _CheckpointFunction(Function):
    """The reentrant checkpoint node (PyTorch's ``CheckpointFunction``): ``apply(function, preserve_rng_state,
    *args)``; the forward keeps no graph, backward recomputes and runs a nested ``autograd.backward``."""

    @staticmethod
    def forward(ctx: Any, run_function: Callable, preserve_rng_state: bool, *args: Any) -> Any:
        check_backward_validity(args)
        ctx.run_function = run_function
        ctx.fwd_rng_state = _rng_state(preserve_rng_state)
        # the non-tensor arguments stay on ctx; the tensors are saved (version-checked when backward reads them)
        ctx.inputs_const = [None if isinstance(a, Tensor) else a for a in args]
        ctx.tensor_indices = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.save_for_backward(*[a for a in args if isinstance(a, Tensor)])
        with no_grad():
            return run_function(*args)

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        return _reentrant_backward(ctx, grads)


def _reentrant_backward(ctx: Any, grads: tuple) -> tuple:
    """Recompute on detached copies of the arguments and run a nested backward. (A ctx-style backward sees Tensors
    in both backward modes; the type tests here sort the user's outputs and arguments from plain Python values.)"""
    if _outer_backward_targets():
        raise RuntimeError(
            "When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() or passing an `inputs` "
            "parameter to .backward(). To resolve this error, you can either set use_reentrant=False, or call "
            ".backward() without passing the `inputs` argument.")
    inputs = list(ctx.inputs_const)
    for i, t in zip(ctx.tensor_indices, ctx.saved_tensors):
        inputs[i] = t
    with _forked_rng(ctx.fwd_rng_state):
        detached = detach_variable(tuple(inputs))
        with enable_grad():
            outputs = ctx.run_function(*detached)
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    outs, gs = [], []
    for o, g in zip(outputs, grads):
        if isinstance(o, Tensor) and o.requires_grad:
            outs.append(o)
            gs.append(g)
    if not outs:
        raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not necessary")
    # a nested backward: parameters the function reads get their .grad here, the detached copies of the
    # arguments collect what this node returns. Under create_graph it is not recorded (as in PyTorch).
    with no_grad():
        gs = [g.detach() if isinstance(g, Tensor) else g for g in gs]
    _engine.backward(outs, gs)
    return (None, None) + tuple(d.grad if isinstance(d, Tensor) else None for d in detached)


CheckpointFunction = _CheckpointFunction  # PyTorch's public name for the reentrant node's Function


# ---------------------------------------------------------------------- use_reentrant=False
def _boundary(outs: list[Tensor], mark: int) -> list[Tensor]:
    """The tensors where the graph recorded since ``mark`` (the function's) reads values made before it: leaves
    that require grad and outside non-leaf tensors, each once (by graph position, so two tensor objects naming
    one output of one node are one input)."""
    found: list[Tensor] = []
    keys: set = set()

    def add(t: Tensor, key: Any) -> None:
        if key not in keys:
            keys.add(key)
            found.append(t)

    stack, visited = [], set()
    for o in outs:
        if not o.requires_grad:
            continue
        gf = o.grad_fn
        if gf is None:
            add(o, ("leaf", id(o)))
        elif gf._seq >= mark:
            stack.append(gf)
        else:
            add(o, ("node", id(gf), o._out_idx))
    while stack:  # explicit stack: a long function never meets the recursion limit
        node = stack.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        for a, (child, idx) in zip(node.inputs, node.next_functions):
            if child is None:
                continue
            if isinstance(child, Tensor):  # a leaf edge is the leaf itself
                add(child, ("leaf", id(child)))
            elif child._seq >= mark:
                stack.append(child)
            else:
                add(a, ("node", id(child), idx))
    return found


class _Box:
    """What the non-reentrant node needs besides its tensor inputs (a plain value, not an input of the node)."""

    __slots__ = ("function", "args", "kwargs", "rng", "recompute_ctx", "meta", "outputs", "diff", "check")


class _NonReentrantCheckpoint(Function):
    """The non-reentrant checkpoint node: its inputs are the boundary tensors of the function's graph; its
    forward hands out the values the (already dropped) recorded forward computed."""

    @staticmethod
    def forward(ctx: Any, box: _Box, *boundary: Tensor) -> Any:
        ctx.box = box
        ctx.save_for_backward(*boundary)
        outs = box.outputs
        box.outputs = None  # the node must not hold its own outputs
        fixed = [o.detach() for o in outs]
        ctx.mark_non_differentiable(*[o for o, d in zip(fixed, box.diff) if not d])
        return tuple(fixed)

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        return _nonreentrant_backward(ctx, grads)


def _key(t: Tensor) -> tuple:
    """A tensor's place in the graph: the leaf itself, or (node, output index)."""
    gf = t.grad_fn
    return ("leaf", id(t)) if gf is None else ("node", id(gf), t._out_idx)


def _standin(b: Tensor, differentiable: bool) -> Tensor:
    """What the cut edges point at: a new leaf with ``b``'s value, or under create_graph a recorded view of ``b``
    (the recomputed nodes are also part of the graph of the gradients; through the view that graph reaches ``b``).
    Made before the recomputation: the engine orders nodes by creation, and the recomputed nodes consume these."""
    if not differentiable:
        return b.detach().requires_grad_()
    with enable_grad():
        return b.view_as(b)


def _cut_at_boundary(outs: list[Tensor], mark: int, index: dict, standins: list) -> list[bool]:
    """Point the recomputed graph's edges into the outside at the stand-ins, one per boundary tensor.

    ``autograd.grad`` with the boundary tensors themselves as targets would also follow paths *between* them
    through the outside graph (h2 = 2 * h made outside, both read inside: the gradient at h would include the path
    through h2, which the outer backward adds again) and would run and free those outside nodes. With the edges
    cut, the gradients stop at the stand-ins; under create_graph a stand-in is a view of its boundary tensor, so the
    graph of the gradients (which runs through the recomputed nodes too) still reaches the boundary's history."""
    used = [False] * len(standins)
    stack = [o.grad_fn for o in outs if o.grad_fn is not None and o.grad_fn._seq >= mark]
    visited: set = set()
    while stack:
        node = stack.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        edges = list(node.next_functions)
        changed = False
        for j, (child, idx) in enumerate(edges):
            if child is None or isinstance(child, Tensor):  # leaves have no history to leak into
                continue
            if child._seq >= mark:
                stack.append(child)
                continue
            k = index.get(("node", id(child), idx))
            if k is None:
                raise CheckpointError("torch.utils.checkpoint: the recomputation in backward read a tensor that the "
                                      f"forward did not (an input of {node.name()}); the function must read the "
                                      "same tensors when run again")
            s_ = standins[k]
            edges[j] = (s_, 0) if s_.grad_fn is None else (s_.grad_fn, s_._out_idx)
            used[k] = True
            changed = True
        if changed:
            node.next_functions = tuple(edges)
    return used


def _nonreentrant_backward(ctx: Any, grads: tuple) -> tuple:
    box = ctx.box
    boundary = ctx.saved_tensors  # raises if one of them was modified in place since the forward
    create_graph = is_grad_enabled()  # the engine records this backward only under create_graph=True
    standins = [b if b.grad_fn is None else _standin(b, create_graph) for b in boundary]
    mark = sequence_mark()
    with _forked_rng(box.rng), enable_grad(), box.recompute_ctx:
        out = box.function(*box.args, **box.kwargs)
    outs: list[Tensor] = []
    _flatten(out, outs)
    meta = [(tuple(o.shape), o.dtype) for o in outs]
    if len(outs) != len(box.meta) or (box.check and meta != box.meta):
        raise CheckpointError(
            "torch.utils.checkpoint: the recomputation in backward gave different tensors than the forward: "
            f"{len(outs)} outputs with (shape, dtype) {meta}, expected {len(box.meta)} with {box.meta}. The "
            "function must compute the same thing when run again (no state that changes between the calls "
            "other than the random generator, which checkpoint restores when preserve_rng_state=True).")
    index = {_key(b): k for k, b in enumerate(boundary)}
    result: list = [None] * len(boundary)
    inner, inner_grads = [], []
    for o, g, d in zip(outs, grads, box.diff):
        if not d or g is None or not o.requires_grad:
            continue
        if o.grad_fn is not None and o.grad_fn._seq >= mark:
            inner.append(o)
            inner_grads.append(g)
        else:  # the function returned an outside tensor (or a leaf) as it is: its gradient is the incoming one
            k = index[_key(o)]
            result[k] = g if result[k] is None else result[k] + g
    if inner:
        used = _cut_at_boundary(inner, mark, index, standins)
        # a leaf is its own target; an outside tensor no recomputed edge reads gets nothing from here
        live = [k for k, b in enumerate(boundary) if used[k] or b.grad_fn is None]
        if live:
            res = _engine.grad(inner, [standins[k] for k in live], inner_grads, create_graph=create_graph,
                               allow_unused=True)
            for k, r in zip(live, res):
                if r is not None:
                    result[k] = r if result[k] is None else result[k] + r
    return (None, *result)


def _checkpoint_nonreentrant(function: Callable, preserve: bool, context_fn: Callable, determinism_check: str,
                             args: tuple, kwargs: dict) -> Any:
    forward_ctx, recompute_ctx = context_fn()
    if not is_grad_enabled():  # nothing is recorded anyway: just run it
        with forward_ctx:
            return function(*args, **kwargs)
    rng = _rng_state(preserve)
    mark = sequence_mark()
    with forward_ctx:
        out = function(*args, **kwargs)
    outs: list[Tensor] = []
    spec = _flatten(out, outs)
    del out
    boundary = _boundary(outs, mark)
    if not boundary:  # nothing the outputs depend on requires grad: no node to record
        return _unflatten(spec, iter(outs))
    box = _Box()
    box.function, box.args, box.kwargs, box.rng, box.recompute_ctx = function, args, kwargs, rng, recompute_ctx
    box.meta = [(tuple(o.shape), o.dtype) for o in outs]
    box.diff = [o.requires_grad for o in outs]
    box.check = determinism_check != "none"  # "none": only the number of outputs must match
    box.outputs = outs
    del outs  # from here only the node's outputs hold these values; the recorded forward graph is gone
    results = _NonReentrantCheckpoint.apply(box, *boundary)
    return _unflatten(spec, iter(results))


# ---------------------------------------------------------------------- the public functions
_WARN_REENTRANT = (
    "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting in PyTorch 2.9, "
    "calling checkpoint without use_reentrant will raise an exception. use_reentrant=False is recommended, but if "
    "you need to preserve the current default behavior, you can pass use_reentrant=True. Refer to docs for more "
    "details on the differences between the two variants.")


def checkpoint(function: Callable, *args: Any, use_reentrant: bool | None = None,
               context_fn: Callable = noop_context_fn, determinism_check: str = "default", debug: bool = False,
               early_stop: bool = True, **kwargs: Any) -> Any:
    """Run ``function(*args, **kwargs)`` without keeping its graph; backward recomputes it (same gradients).

    ``preserve_rng_state=True`` (a keyword, default) restores the random state of the forward for the
    recomputation, so dropout inside draws the same mask."""
    if use_reentrant is None:
        warnings.warn(_WARN_REENTRANT, stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if determinism_check not in ("default", "none"):
        raise ValueError(f"determinism_check should be one of ['default', 'none'], but got {determinism_check}")
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if use_reentrant:
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
        return _CheckpointFunction.apply(function, preserve, *args)
    return _checkpoint_nonreentrant(function, preserve, context_fn, determinism_check, args, kwargs)


_WARN_SEQUENTIAL = (
    "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be passed explicitly. In "
    "version 2.9 we will raise an exception if use_reentrant is not passed. use_reentrant=False is recommended, "
    "but if you need to preserve the current default behavior, you can pass use_reentrant=True. Refer to docs for "
    "more details on the differences between the two variants.")


def checkpoint_sequential(functions: Any, segments: int, input: Any,  # noqa: A002  (PyTorch's name)
                          use_reentrant: bool | None = None, **kwargs: Any) -> Any:
    """Run a Sequential (or a list of modules/functions) in ``segments`` chunks, checkpointing every chunk but the
    last: only the chunks' inputs are kept for backward."""
    if use_reentrant is None:
        warnings.warn(_WARN_SEQUENTIAL, stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    # an nn.Sequential runs as its children (nn is above this package, so the class is recognised by name)
    if any(k.__name__ == "Sequential" for k in type(functions).__mro__) and hasattr(functions, "children"):
        functions = list(functions.children())
    functions = list(functions)

    def run(start: int, end: int) -> Callable:
        def forward(x: Any) -> Any:
            for j in range(start, end + 1):
                x = functions[j](x)
            return x

        return forward

    size = len(functions) // segments
    end, x = -1, input
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        x = checkpoint(run(start, end), x, use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return run(end + 1, len(functions) - 1)(x)
