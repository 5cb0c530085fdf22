"""In-place operations (``add_``, ``x += y``, ``x[idx] = v``, ...) with PyTorch's safety rules.

An in-place op bumps the tensor's version counter, so a backward that needs the old value
raises instead of silently using the new one. When the op must be recorded, the tensor is
*rebased*: a snapshot takes over its old place in the graph, the op is recorded on the
snapshot, and the result is written back into the same memory.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _dual as D
from . import _grad_mode
from ._function import Function
from ._tensor import Tensor, _make, bump_version
from .ops import arithmetic as A
from .ops import compare as C
from .ops.indexing import SetItem, normalize_index, put

_STATE = _grad_mode.STATE
_UFUNC_OUT = {A.Add: np.add, A.Sub: np.subtract, A.Mul: np.multiply, A.Div: np.true_divide}


class Fill(Function):
    """y = full_like(x, v);  gx = 0,  gv = sum(g)"""

    def forward(self, x, value):
        return np.full(x.shape, value, dtype=x.dtype)

    def backward(self, g):
        # PyTorch hands the overwritten tensor a zero gradient rather than none.
        gx = D.zeros_like(g) if self.needs_input_grad(0) else None
        return gx, (g.sum() if self.needs_input_grad(1) else None)


class Copy(Function):
    """y = broadcast(src) cast to x's dtype;  gx = 0,  gsrc = g (reduced by the engine)"""

    def forward(self, x, src):
        return np.array(np.broadcast_to(src, x.shape), dtype=x.dtype)

    def backward(self, g):
        return (D.zeros_like(g) if self.needs_input_grad(0) else None), g


def _check_leaf(t: Tensor) -> None:
    if t.grad_fn is None and t._rg:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation. "
            "(Wrap the update in `with autograd_core.no_grad():`, as optimizers do, or use an "
            "out-of-place op.)"
        )
    base = t._base
    if base is not None and base.grad_fn is None and base._rg:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place operation. "
            "(Wrap the update in `with autograd_core.no_grad():` or use an out-of-place op.)"
        )


def _write(t: Tensor, value: np.ndarray, op: str) -> None:
    """Copy ``value`` into ``t``'s memory and bump its version."""
    dst = t.data
    if np.shape(value) != dst.shape:
        raise RuntimeError(
            f"{op}: output with shape {list(dst.shape)} doesn't match the broadcast shape "
            f"{list(np.shape(value))} (an in-place op cannot change the shape of its target)"
        )
    if not dst.flags.writeable:
        raise RuntimeError(
            f"{op}: unsupported operation: more than one element of the written-to tensor refers to a "
            "single memory location (it was made by expand/broadcast_to). Please clone() the tensor "
            "before performing the operation."
        )
    try:
        np.copyto(dst, value, casting="same_kind")
    except TypeError:
        raise RuntimeError(
            f"{op}: result type {np.asarray(value).dtype.name} can't be cast to the desired output type "
            f"{dst.dtype.name}"
        ) from None
    bump_version(t)


def apply_inplace(t: Tensor, cls: type, op: str, *args: Any, **kwargs: Any) -> Tensor:
    """Run op ``cls`` on (t, *args) and store the result in ``t``, recording it if needed."""
    record = _STATE.grad_enabled and (t._rg or any(isinstance(a, Tensor) and a._rg for a in args))
    if not record:
        arrays = [a.data if isinstance(a, Tensor) else a for a in args]
        ufunc = _UFUNC_OUT.get(cls)
        if ufunc is not None and t.data.flags.writeable:
            # Fast path (optimizer updates under no_grad): write straight into the memory.
            try:
                ufunc(t.data, arrays[0], out=t.data, casting="same_kind")
            except (TypeError, ValueError):
                pass  # fall through to the checked path for a precise error
            else:
                bump_version(t)
                return t
        if cls is SetItem and t.data.flags.writeable:
            put(t.data, kwargs["index"], arrays[0])
            bump_version(t)
            return t
        out = object.__new__(cls).forward(t.data, *arrays, **kwargs)
        _write(t, out, op)
        return t
    _check_leaf(t)
    base = t._base
    if base is not None and (base._rg or t._rg):
        raise RuntimeError(
            f"{op}: in-place modification of a view of a tensor that is part of a graph is not "
            "supported by autograd_core (the base tensor's history would have to be rewritten). "
            "Fix: assign through the base tensor (base[idx] = value) or use out-of-place ops / clone()."
        )
    old = _make(t.data, t.grad_fn, t._rg, t._out_idx)
    if cls.saves_inputs:
        # The backward needs the value before the write: keep a private copy of it.
        old.data = t.data.copy()
    else:
        old._vc = t._vc
    result = cls.apply(old, *args, **kwargs)
    if result.data.shape != t.shape:
        raise RuntimeError(
            f"{op}: output with shape {list(t.shape)} doesn't match the broadcast shape "
            f"{list(result.shape)}"
        )
    _write(t, result.data, op)
    t.grad_fn, t._rg = result.grad_fn, result._rg
    t.__dict__.pop("_out_idx", None)
    return t


# ---------------------------------------------------------------------- the methods
def add_(self: Tensor, other: Any, *, alpha: float = 1) -> Tensor:
    """self += alpha * other"""
    if alpha != 1:
        other = other * alpha
    return apply_inplace(self, A.Add, "add_", other)


def sub_(self: Tensor, other: Any, *, alpha: float = 1) -> Tensor:
    """self -= alpha * other"""
    if alpha != 1:
        other = other * alpha
    return apply_inplace(self, A.Sub, "sub_", other)


def mul_(self: Tensor, other: Any) -> Tensor:
    """self *= other"""
    return apply_inplace(self, A.Mul, "mul_", other)


def div_(self: Tensor, other: Any) -> Tensor:
    """self /= other"""
    return apply_inplace(self, A.Div, "div_", other)


def pow_(self: Tensor, other: Any) -> Tensor:
    """self **= other"""
    return apply_inplace(self, A.Pow, "pow_", other)


def neg_(self: Tensor) -> Tensor:
    """self = -self"""
    return apply_inplace(self, A.Neg, "neg_")


def clamp_(self: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """self = clip(self, min, max)"""
    if min is None and max is None:
        raise RuntimeError("clamp_: at least one of 'min' or 'max' must not be None")
    return apply_inplace(self, C.Clamp, "clamp_", lo=min, hi=max)


def relu_(self: Tensor) -> Tensor:
    """self = max(self, 0)"""
    from .ops.activation import Relu

    return apply_inplace(self, Relu, "relu_")


def zero_(self: Tensor) -> Tensor:
    """Fill with zeros."""
    return apply_inplace(self, Fill, "zero_", 0)


def fill_(self: Tensor, value: Any) -> Tensor:
    """Fill with ``value`` (a number or a one-element tensor)."""
    return apply_inplace(self, Fill, "fill_", value)


def copy_(self: Tensor, src: Any) -> Tensor:
    """Copy ``src`` (broadcast, cast to self's dtype) into self."""
    if not isinstance(src, Tensor):
        src = np.asarray(src)
    try:
        np.broadcast_shapes(np.shape(src.data if isinstance(src, Tensor) else src), self.shape)
    except ValueError:
        raise RuntimeError(
            f"copy_: the source of shape {list(np.shape(src))} cannot be broadcast to the destination "
            f"shape {list(self.shape)}"
        ) from None
    return apply_inplace(self, Copy, "copy_", src)


def setitem(self: Tensor, idx: Any, value: Any) -> None:
    """self[idx] = value, recorded so gradients flow to ``value`` and the rest of ``self``."""
    index, _ = normalize_index(idx)
    if isinstance(value, (list, tuple)):
        value = np.asarray(value, dtype=self.dtype)
    apply_inplace(self, SetItem, "__setitem__", value, index=index)
