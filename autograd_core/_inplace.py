"""In-place operations (``add_``, ``x += y``, ``x[idx] = v``, ...) with PyTorch's safety rules.

An in-place op bumps the tensor's version counter, so a backward that needs the old value
raises instead of silently using the new one. When the op must be recorded, the tensor is
*rebased*: a snapshot takes over its old place in the graph, the op is recorded on the
snapshot, and the result is written back into the same memory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import _grad_mode
from ._function import Function, sequence_mark
from ._tensor import Tensor, _make, bump_version
from .ops import arithmetic as A
from .ops import compare as C
from .ops.indexing import GetItem, SetItem, normalize_index, put

_STATE = _grad_mode.STATE
_UFUNC_OUT = {A.Add: np.add, A.Sub: np.subtract, A.Mul: np.multiply, A.Div: np.true_divide}


class Fill(Function):
    """y = full_like(x, v);  gx = 0,  gv = sum(g)"""

    def forward(self, x, value):
        return np.full(x.shape, value, dtype=x.dtype)

    def backward(self, g):
        # PyTorch hands the overwritten tensor a zero gradient rather than none.
        gx = self.xp.zeros_like(g) if self.needs_input_grad(0) else None
        return gx, (g.sum() if self.needs_input_grad(1) else None)


class Copy(Function):
    """y = broadcast(src) cast to x's dtype;  gx = 0,  gsrc = g (reduced by the engine)"""

    def forward(self, x, src):
        return np.array(np.broadcast_to(src, x.shape), dtype=x.dtype)

    def backward(self, g):
        return (self.xp.zeros_like(g) if self.needs_input_grad(0) else None), g


class ViewWrite(Function):
    """y = base with the elements a view covers replaced by v (an in-place op through the view);
    gbase = g with those elements 0,  gv = g at those elements"""

    def forward(self, base, v, pos):
        # the new values were already written through the view: y is the base's own memory
        self.pos, self.shape = pos, base.shape
        return base

    def backward(self, g):
        flat = g.reshape(-1)
        gb = gv = None
        if self.needs_input_grad(0):
            gb = self.xp.apply(SetItem, flat, 0.0, index=(self.pos,)).reshape(self.shape)
        if self.needs_input_grad(1):
            gv = self.xp.apply(GetItem, flat, index=(self.pos,), basic=False)
        return gb, gv


def view_positions(root: np.ndarray, view: np.ndarray) -> np.ndarray | None:
    """For each element of ``view`` (an array aliasing ``root``'s memory), its C-order flat index in
    ``root``; None when the view does not map onto distinct elements of root (then it is refused)."""
    isz = root.itemsize
    if view.dtype != root.dtype or root.size == 0:
        return None if root.size or view.size else np.zeros(view.shape, dtype=np.int64)

    def span(a: np.ndarray) -> tuple[int, int, int]:
        start = a.__array_interface__["data"][0]
        lo = start + sum(st * (n - 1) for st, n in zip(a.strides, a.shape) if st < 0 and n > 0)
        hi = start + sum(st * (n - 1) for st, n in zip(a.strides, a.shape) if st > 0 and n > 0) + isz
        return start, lo, hi

    r0, rlo, rhi = span(root)
    v0, vlo, vhi = span(view)
    if view.size and (vlo < rlo or vhi > rhi):
        return None
    if any(st % isz for st in root.strides + view.strides) or (r0 - rlo) % isz or (v0 - rlo) % isz:
        return None
    # an image of root's memory, one int64 per item, holding each element's flat index
    mem = np.full((rhi - rlo) // isz, -1, dtype=np.int64)
    strided = np.lib.stride_tricks.as_strided
    img = strided(mem[(r0 - rlo) // isz:], root.shape, tuple(st // isz * 8 for st in root.strides))
    img[...] = np.arange(root.size, dtype=np.int64).reshape(root.shape)
    if np.count_nonzero(mem >= 0) != root.size:  # root overlaps itself (a broadcast array)
        return None
    if view.size == 0:
        return np.zeros(view.shape, dtype=np.int64)
    pos = strided(mem[(v0 - rlo) // isz:], view.shape, tuple(st // isz * 8 for st in view.strides)).copy()
    return None if (pos < 0).any() else pos


_MULTI_VIEW = ("This view is the output of a function that returns multiple views. Such functions do not allow "
               "the output views to be modified inplace. You should replace the inplace operation by an "
               "out-of-place one (or clone() the outputs first).")


class _StaleMultiView(Function):
    """Stands for a view made by split/chunk/unbind whose base was modified in place afterwards:
    PyTorch cannot regenerate such views, and reaching one in backward raises its error."""

    def backward(self, g):
        raise RuntimeError(f"{self.what} is a view and its base or another view of its base has been modified "
                           f"inplace. {_MULTI_VIEW}")


def _stale(v: Tensor, root: Tensor) -> None:
    node = object.__new__(_StaleMultiView)
    # an edge to the base's new history puts the node on every path to the inputs, so backward reaches it
    edge = (root.grad_fn, root._out_idx) if root.grad_fn is not None else ((root, 0) if root._rg else (None, 0))
    node.inputs, node.next_functions = (root,), (edge,)
    node._seq = sequence_mark()
    node.what = f"Output {v._out_idx} of {v._multi_view}"
    v.grad_fn, v._rg = node, True
    v.__dict__.pop("_out_idx", None)


def _live_views(root: Tensor, skip: Tensor | None) -> list[Tensor]:
    out = []
    for ref in root._views or ():
        v = ref()
        if v is not None and v is not skip and v._base is root:
            out.append(v)
    return out


def _regenerate_views(root: Tensor, skip: Tensor | None) -> None:
    """After root's history was rewritten by an in-place op, every other live view of it gets the
    history of 'those elements of the new root' (PyTorch regenerates views the same way), so a view
    read later sends its gradient through the in-place op instead of around it."""
    from .ops.shape import Reshape

    for v in _live_views(root, skip):
        if v._multi_view is not None:
            _stale(v, root)
            continue
        pos = view_positions(root._data, v._data)
        if pos is None:
            raise RuntimeError(
                f"an in-place op changed a tensor of shape {list(root.shape)} that has a live view of shape "
                f"{list(v.shape)} whose elements could not be located in it; clone() the view before the change"
            )
        with _grad_mode.enable_grad():
            new = GetItem.apply(Reshape.apply(root, shape=(-1,)), index=(pos,), basic=False)
        v.grad_fn, v._rg = new.grad_fn, new._rg
        v.__dict__.pop("_out_idx", None)


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
    dst = t._data
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
        arrays = [a._data if isinstance(a, Tensor) else a for a in args]
        ufunc = _UFUNC_OUT.get(cls)
        if ufunc is not None and t._data.flags.writeable:
            # Fast path (optimizer updates under no_grad): write straight into the memory.
            try:
                ufunc(t._data, arrays[0], out=t._data, casting="same_kind")
            except (TypeError, ValueError):
                pass  # fall through to the checked path for a precise error
            else:
                bump_version(t)
                return t
        if cls is SetItem and t._data.flags.writeable:
            put(t._data, kwargs["index"], arrays[0])
            bump_version(t)
            return t
        out = object.__new__(cls).forward(t._data, *arrays, **kwargs)
        _write(t, out, op)
        return t
    _check_leaf(t)
    if t._multi_view is not None:
        raise RuntimeError(f"{op}: Output {t._out_idx} of {t._multi_view} is a view and is being modified inplace. "
                           + _MULTI_VIEW)
    base = t._base
    pos = None
    if base is not None:
        pos = view_positions(base._data, t._data)
        if pos is None:
            raise RuntimeError(
                f"{op}: in-place modification of this view (shape {list(t.shape)}) of a tensor of shape "
                f"{list(base.shape)} is not supported: its elements do not map one-to-one onto the base's "
                "(e.g. a broadcast/expanded view). Fix: clone() the view, or assign through the base "
                "(base[idx] = value)."
            )
    old = _make(t._data, t.grad_fn, t._rg, t._out_idx)
    if cls.saves_inputs:
        # The backward needs the value before the write: keep a private copy of it.
        old._data = t._data.copy()
    else:
        old._vc = t._vc
    result = cls.apply(old, *args, **kwargs)
    if result._data.shape != t.shape:
        raise RuntimeError(
            f"{op}: output with shape {list(t.shape)} doesn't match the broadcast shape "
            f"{list(result.shape)}"
        )
    _write(t, result._data, op)
    t.grad_fn, t._rg = result.grad_fn, result._rg
    t.__dict__.pop("_out_idx", None)
    if base is not None:
        # the base's memory changed through t: its history becomes "old base with t's elements
        # replaced by the result" (PyTorch's CopySlices), so later reads of the base see the op
        b_old = _make(base._data, base.grad_fn, base._rg, base._out_idx)
        new_base = ViewWrite.apply(b_old, result, pos=pos)
        base.grad_fn, base._rg = new_base.grad_fn, new_base._rg
        base.__dict__.pop("_out_idx", None)
        _regenerate_views(base, skip=t)
    elif t._views:
        _regenerate_views(t, skip=None)
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
        np.broadcast_shapes(np.shape(src._data if isinstance(src, Tensor) else src), self.shape)
    except ValueError:
        raise RuntimeError(
            f"copy_: the source of shape {list(np.shape(src))} cannot be broadcast to the destination "
            f"shape {list(self.shape)}"
        ) from None
    return apply_inplace(self, Copy, "copy_", src)


def setitem(self: Tensor, idx: Any, value: Any) -> None:
    """self[idx] = value, recorded so gradients flow to ``value`` and the rest of ``self``."""
    index, _ = normalize_index(idx, self.ndim)
    if isinstance(value, (list, tuple)):
        value = np.asarray(value, dtype=self.dtype)
    apply_inplace(self, SetItem, "__setitem__", value, index=index)


# ---------------------------------------------------------------------- declarations
# PyTorch's in-place twins of out-of-place methods (x.exp_(), x.atan2_(y), x.eq_(y), ...), bound by _methods for
# each name whose out-of-place method exists. Each computes the out-of-place op on a clone (so the op's saved input
# is not the memory being overwritten) and writes the result back through the recorded copy_, which handles views,
# leaves and version counters as every other in-place op; without a graph it is one op and one write.
INPLACE_OF = (
    "abs absolute acos arccos acosh arccosh asin arcsin asinh arcsinh atan arctan atanh arctanh ceil cos cosh "
    "deg2rad digamma erf erfc erfinv exp exp2 expm1 fix floor frac lgamma log log10 log1p log2 logit negative "
    "rad2deg reciprocal round rsqrt sgn sigmoid sign sin sinc sinh sqrt square tan tanh trunc nan_to_num "
    "atan2 arctan2 copysign divide fmod hypot lerp multiply remainder subtract true_divide floor_divide xlogy "
    "ldexp clamp_min clamp_max clip heaviside float_power addcmul addcdiv logical_and logical_or logical_xor "
    "logical_not bitwise_and bitwise_or bitwise_xor bitwise_not bitwise_left_shift bitwise_right_shift eq ne lt le "
    "gt ge greater greater_equal less less_equal not_equal cumsum cumprod masked_fill index_fill index_add "
    "index_copy scatter scatter_add scatter_reduce tril triu renorm"
).split()


def inplace_of(name: str) -> Callable:
    """``Tensor.<name>_``: the out-of-place ``Tensor.<name>`` written into self."""

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        fn = getattr(Tensor, name)
        record = _STATE.grad_enabled and (self._rg or any(isinstance(a, Tensor) and a._rg for a in args))
        out = fn(self.clone() if record else self.detach(), *args, **kwargs)
        if out.dtype != self.dtype and not np.can_cast(out.dtype, self.dtype, casting="same_kind"):
            raise RuntimeError(f"{name}_: result type {_dtype_name(out.dtype)} can't be cast to the desired output "
                               f"type {_dtype_name(self.dtype)} (use the out-of-place {name}, or cast first)")
        if tuple(out.shape) != tuple(self.shape):
            raise RuntimeError(f"{name}_: output with shape {list(self.shape)} doesn't match the broadcast shape "
                               f"{list(out.shape)}")
        if not record:
            _write(self, out._data.astype(self.dtype, copy=False), f"{name}_")  # bumps the version
            return self
        return copy_(self, out)

    method.__name__ = name + "_"
    method.__doc__ = f"In-place ``{name}``: self = self.{name}(...)."
    return method


# In-place shape changes (x.unsqueeze_(0), x.t_()): the tensor takes the out-of-place result's view and, when
# recorded, its node, as PyTorch's do; the version is bumped as PyTorch does, so a node that saved the old tensor
# refuses to backward through it.
SHAPE_INPLACE = ("unsqueeze", "squeeze", "t", "transpose", "swapaxes", "swapdims")


def shape_inplace_of(name: str) -> Callable:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        record = _STATE.grad_enabled and self._rg
        if record:
            _check_leaf(self)
        if self._base is not None or any(r() is not None for r in (self._views or ())):
            raise NotImplementedError(f"{name}_: not supported on a view or on a tensor that has views here; use "
                                      f"the out-of-place x = x.{name}(...)")
        # the op reads an alias of self (same node, same memory): nodes keep referring to tensors of the old shape
        src = _make(self._data, self.grad_fn, self._rg, self._out_idx) if record else self.detach()
        out = getattr(Tensor, name)(src, *args, **kwargs)
        self._data = out._data
        if record:
            self.grad_fn, self._out_idx = out.grad_fn, out._out_idx
        bump_version(self)
        return self

    method.__name__ = name + "_"
    method.__doc__ = f"In-place ``{name}``: self takes the shape of self.{name}(...)."
    return method


def fill_diagonal_(self: Tensor, fill_value: Any, wrap: bool = False) -> Tensor:
    """Fill the main diagonal (all indices equal) with ``fill_value``; a tall matrix restarts it below with wrap."""
    if self.ndim < 2 or (self.ndim > 2 and len(set(self.shape)) != 1):
        raise RuntimeError(f"fill_diagonal_: dimensions must larger than 1 and all of equal length for a tensor of "
                           f"more than 2 dimensions (got shape {list(self.shape)})")
    mask = np.zeros(self.shape, dtype=bool)
    np.fill_diagonal(mask, True, wrap=wrap)
    return self.masked_fill_(_make(mask, None, False), fill_value)


def _dtype_name(dt: np.dtype) -> str:
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
            "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}.get(np.dtype(dt).name, str(dt))


METHODS = {
    "__setitem__": setitem, "__iadd__": add_, "__isub__": sub_, "__imul__": mul_, "__itruediv__": div_,
    "__ipow__": pow_,  # x += y is x.add_(y): PyTorch semantics, same memory
    "add_": add_, "sub_": sub_, "mul_": mul_, "div_": div_, "pow_": pow_, "neg_": neg_, "clamp_": clamp_,
    "relu_": relu_, "zero_": zero_, "fill_": fill_, "copy_": copy_, "fill_diagonal_": fill_diagonal_,
}
