"""``ag.functional``: PyTorch's ``torch.autograd.functional`` on this engine, plus ``grad`` /
``value_and_grad`` function transforms.

All of them are built on reverse mode (``ag.grad``): a Jacobian is one backward pass per output
element, a Hessian is the Jacobian of the gradient, and the forward-mode products (``jvp``, ``hvp``)
use the double-backward trick: with a dummy cotangent u, g(u) = J^T u is linear in u, so
differentiating <g(u), v> with respect to u gives J v.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from . import _engine
from ._creation import zeros_like
from ._grad_mode import enable_grad
from ._tensor import Tensor


def _tuple(x: Any, arg: str, fn: str) -> tuple[tuple, bool]:
    """(tuple of tensors, whether the user passed a tuple)."""
    if isinstance(x, Tensor):
        return (x,), False
    if isinstance(x, (tuple, list)) and all(isinstance(t, Tensor) for t in x):
        return tuple(x), True
    raise TypeError(f"{fn}: the {arg} must be a Tensor or a tuple of Tensors, got {type(x).__name__}")


def _prepare(inputs: tuple, create_graph: bool) -> tuple:
    # Fresh leaves to differentiate against; with create_graph, inputs that already require grad
    # stay connected so the result can be differentiated with respect to them too.
    out = []
    for t in inputs:
        if create_graph and t.requires_grad:
            out.append(t.reshape(t.shape))  # a view that keeps the graph (reshape to the same shape)
        else:
            out.append(t.detach().requires_grad_(True))
    return tuple(out)


def _finish(ts: Sequence[Any], create_graph: bool) -> tuple:
    return tuple(t if (t is None or create_graph) else t.detach() for t in ts)


def _grads(outputs: tuple, inputs: tuple, grad_outputs: Any, create_graph: bool, strict: bool, fn: str,
           retain: bool = True) -> tuple:
    res = _engine.grad(outputs, inputs, grad_outputs, retain_graph=retain or create_graph, create_graph=create_graph,
                       allow_unused=True)
    out = []
    for i, (g, x) in enumerate(zip(res, inputs)):
        if g is None:
            if strict:
                raise RuntimeError(f"{fn}: the output of the user-provided function is independent of input {i}. "
                                   "This is not allowed in strict mode.")
            g = zeros_like(x)
        out.append(g)
    return tuple(out)


def _check_v(v: Any, like: tuple, fn: str, what: str) -> tuple:
    vs, _ = _tuple(v, "v", fn)
    if len(vs) != len(like) or any(tuple(a.shape) != tuple(b.shape) for a, b in zip(vs, like)):
        raise RuntimeError(f"{fn}: v has shapes {[list(a.shape) for a in vs]} but the {what} has shapes "
                           f"{[list(b.shape) for b in like]}; they must match")
    return vs


def _default_v(outputs: tuple, fn: str) -> tuple:
    if len(outputs) != 1 or outputs[0].numel() != 1:
        raise RuntimeError(f"{fn}: the vector v can only be None if the user-provided function returns a single "
                           "Tensor with a single element")
    return None


def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    """(func(inputs), v^T J): the vector-Jacobian product."""
    with enable_grad():
        xs, is_tuple = _tuple(inputs, "inputs", "vjp")
        xs = _prepare(xs, create_graph)
        out = func(*xs)
        outs, out_tuple = _tuple(out, "outputs", "vjp")
        vs = _default_v(outs, "vjp") if v is None else _check_v(v, outs, "vjp", "output")
        gs = _grads(outs, xs, vs, create_graph, strict, "vjp")
    outs, gs = _finish(outs, create_graph), _finish(gs, create_graph)
    return (outs if out_tuple else outs[0]), (gs if is_tuple else gs[0])


def jvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    """(func(inputs), J v): the Jacobian-vector product, by the double-backward trick."""
    with enable_grad():
        xs, is_tuple = _tuple(inputs, "inputs", "jvp")
        if v is None:
            if len(xs) != 1 or xs[0].numel() != 1:
                raise RuntimeError("jvp: the vector v can only be None if the input to the user-provided function "
                                   "is a single Tensor with a single element")
            vs = (zeros_like(xs[0]) + 1,)
        else:
            vs = _check_v(v, xs, "jvp", "input")
        xs = _prepare(xs, create_graph)
        out = func(*xs)
        outs, out_tuple = _tuple(out, "outputs", "jvp")
        us = tuple(zeros_like(o).requires_grad_(True) for o in outs)  # dummy cotangents
        gs = _grads(outs, xs, us, True, strict, "jvp")  # J^T u, linear in u
        res = _engine.grad(gs, us, vs, retain_graph=create_graph, create_graph=create_graph, allow_unused=True)
        res = tuple(zeros_like(o) if r is None else r for r, o in zip(res, outs))
    outs, res = _finish(outs, create_graph), _finish(res, create_graph)
    return (outs if out_tuple else outs[0]), (res if out_tuple else res[0])


def jacobian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """d func / d inputs, shaped output.shape + input.shape (nested tuples for tuple inputs/outputs).

    One backward pass per output element (reverse mode); ``vectorize`` and ``strategy`` are accepted
    for PyTorch compatibility ('forward-mode' is not available: this engine is reverse mode only).
    """
    if strategy != "reverse-mode":
        raise NotImplementedError("jacobian: only strategy='reverse-mode' is available (no forward-mode AD here)")
    from .ops.shape import stack

    with enable_grad():
        xs, is_tuple = _tuple(inputs, "inputs", "jacobian")
        xs = _prepare(xs, create_graph)
        out = func(*xs)
        outs, out_tuple = _tuple(out, "outputs", "jacobian")
        rows_per_out = []
        for o in outs:
            flat = o.reshape(-1)
            per_input: list[list] = [[] for _ in xs]
            for j in range(flat.numel()):
                gs = _grads((flat[j],), xs, None, create_graph, strict, "jacobian")
                for k, g in enumerate(gs):
                    per_input[k].append(g)
            blocks = []
            for k, x in enumerate(xs):
                if per_input[k]:
                    blocks.append(stack(per_input[k]).reshape(tuple(o.shape) + tuple(x.shape)))
                else:  # an output with no elements
                    blocks.append(zeros_like(x).reshape((0,) + tuple(x.shape)).reshape(tuple(o.shape) +
                                                                                          tuple(x.shape)))
            rows_per_out.append(_finish(blocks, create_graph))
    result = tuple(r if is_tuple else r[0] for r in rows_per_out)
    return result if out_tuple else result[0]


def hessian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """Second derivatives of a scalar function: input.shape + input.shape (tuple of tuples for tuple inputs)."""
    xs, is_tuple = _tuple(inputs, "inputs", "hessian")

    def gradient(*args: Tensor) -> Any:
        out = func(*args)
        outs, _ = _tuple(out, "outputs", "hessian")
        if len(outs) != 1 or outs[0].numel() != 1:
            raise RuntimeError("hessian: the function given to hessian should return a single Tensor with a single "
                               f"element, got shapes {[list(o.shape) for o in outs]}")
        gs = _grads(outs, args, None, True, strict, "hessian")
        return gs if is_tuple else gs[0]

    return jacobian(gradient, inputs if is_tuple else xs[0], create_graph=create_graph, strict=strict,
                    strategy=outer_jacobian_strategy)


def _second_order(func: Callable, inputs: Any, v: Any, create_graph: bool, strict: bool, fn: str, mode: str) -> tuple:
    with enable_grad():
        xs, is_tuple = _tuple(inputs, "inputs", fn)
        xs = _prepare(xs, create_graph)
        out = func(*xs)
        outs, _ = _tuple(out, "outputs", fn)
        if len(outs) != 1 or outs[0].numel() != 1:
            raise RuntimeError(f"{fn}: the function given to {fn} should return a single Tensor with a single element")
        if v is None:
            if len(xs) != 1 or xs[0].numel() != 1:
                raise RuntimeError(f"{fn}: the vector v can only be None if the input to the user-provided function "
                                   "is a single Tensor with a single element")
            vs = (zeros_like(xs[0]) + 1,)
        else:
            vs = _check_v(v, xs, fn, "input")
        gs = _grads(outs, xs, None, True, strict, fn)  # the gradient, differentiable
        if mode == "vhp":  # v^T H = grad(<g, v>, x)
            res = _grads(gs, xs, vs, create_graph, strict, fn)
        else:  # H v by double backward: w(u) = grad(<g, u>, x) = H u (H^T u in general); grad(<w, v>, u) = H v
            us = tuple(zeros_like(x).requires_grad_(True) for x in xs)
            w = _grads(gs, xs, us, True, strict, fn)
            res = _engine.grad(w, us, vs, retain_graph=create_graph, create_graph=create_graph, allow_unused=True)
            res = tuple(zeros_like(x) if r is None else r for r, x in zip(res, xs))
    o, res = _finish(outs, create_graph)[0], _finish(res, create_graph)
    return o, (res if is_tuple else res[0])


def vhp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    """(func(inputs), v^T H) for a scalar func."""
    return _second_order(func, inputs, v, create_graph, strict, "vhp", "vhp")


def hvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    """(func(inputs), H v) for a scalar func (equal to vhp when the Hessian is symmetric)."""
    return _second_order(func, inputs, v, create_graph, strict, "hvp", "hvp")


def value_and_grad(func: Callable, argnums: int | Sequence[int] = 0, create_graph: bool = False) -> Callable:
    """A function returning (func(*args), d func / d args[argnums]) for a scalar-valued func."""
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)

    def wrapped(*args: Any, **kwargs: Any) -> tuple:
        with enable_grad():
            args = list(args)
            for i in nums:
                if not isinstance(args[i], Tensor):
                    raise TypeError(f"value_and_grad: argument {i} must be a Tensor to differentiate with respect "
                                    f"to it, got {type(args[i]).__name__}")
                args[i] = _prepare((args[i],), create_graph)[0]
            value = func(*args, **kwargs)
            if not isinstance(value, Tensor) or value.numel() != 1:
                shape = list(value.shape) if isinstance(value, Tensor) else ""
                raise RuntimeError("value_and_grad: the function must return a Tensor with a single element "
                                   f"(got {type(value).__name__}{shape})")
            gs = _grads((value,), tuple(args[i] for i in nums), None, create_graph, False, "value_and_grad",
                        retain=create_graph)
        value, gs = _finish((value,), create_graph)[0], _finish(gs, create_graph)
        return value, (gs[0] if isinstance(argnums, int) else gs)

    return wrapped


def grad(func: Callable, argnums: int | Sequence[int] = 0, create_graph: bool = False) -> Callable:
    """The gradient function of a scalar func: ``grad(f)(x)`` is df/dx; ``grad(grad(f))`` needs create_graph=True
    on the inner one."""
    vg = value_and_grad(func, argnums, create_graph)
    return lambda *args, **kwargs: vg(*args, **kwargs)[1]
