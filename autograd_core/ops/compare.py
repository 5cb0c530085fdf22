"""Selection ops (where, maximum, minimum, clamp) and non-differentiable comparisons."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._function import Function
from .._tensor import Tensor, _make
from .._xp import define
from .arithmetic import _binary, _promote
from .unary import sign_nan0

__all__ = [  # the public functions (ag.<name>); Tensor methods are declared in METHODS below
    "where", "maximum", "minimum", "clamp", "clip", "eq", "ne", "lt", "le", "gt", "ge", "sign", "isnan", "isfinite",
    "allclose", "equal",
]


class Where(Function):
    """out = where(c, a, b);  ga = where(c, g, 0),  gb = where(c, 0, g)"""

    fresh_grads = True

    def forward(self, cond, a, b):
        self.cond = cond
        return np.where(cond, a, b)

    def backward(self, g):
        c = self.cond
        xp = self.xp
        ga = xp.where(c, g, 0.0) if self.needs_input_grad(1) else None
        gb = xp.where(c, 0.0, g) if self.needs_input_grad(2) else None
        return None, ga, gb


def _weights(a: np.ndarray, b: np.ndarray, loses: np.ufunc, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """The share of g each argument of max/min receives: 1 unless it loses (``loses(a, b)``), a half each
    at ties; a NaN never loses, so where either side is NaN both get g, as in PyTorch."""
    tie = (a == b) * 0.5
    return (~loses(a, b) - tie).astype(dtype), (~loses(b, a) - tie).astype(dtype)


class Maximum(Function):
    """out = max(a, b);  ga = g * ([not a < b] - [a == b] / 2),  gb = g * ([not b < a] - [a == b] / 2)"""

    fresh_grads = True

    def forward(self, a, b):
        out = np.maximum(a, b)
        self.wa, self.wb = _weights(a, b, np.less, out.dtype)
        return out

    def backward(self, g):
        return self.xp.masked(g, self.wa), self.xp.masked(g, self.wb)  # a losing side's inf/nan g: 0


class Minimum(Function):
    """out = min(a, b);  ga = g * ([not a > b] - [a == b] / 2),  gb = g * ([not b > a] - [a == b] / 2)"""

    fresh_grads = True

    def forward(self, a, b):
        out = np.minimum(a, b)
        self.wa, self.wb = _weights(a, b, np.greater, out.dtype)
        return out

    def backward(self, g):
        return self.xp.masked(g, self.wa), self.xp.masked(g, self.wb)  # a losing side's inf/nan g: 0


class Clamp(Function):
    """y = clip(x, lo, hi);  gx = g * (lo <= x <= hi)"""

    fresh_grads = True

    def forward(self, x, lo, hi):
        self.lo, self.hi = lo, hi
        mask = np.ones(x.shape, dtype=bool)
        if lo is not None:
            mask &= x >= lo
        if hi is not None:
            mask &= x <= hi
        self.mask = mask
        out = np.clip(x, lo, hi)
        return out

    def backward(self, g):
        return self.xp.masked(g, self.mask)  # an inf/nan g outside the bounds gives 0, as in PyTorch

    def attrs(self):
        return {k: v for k, v in (("min", self.lo), ("max", self.hi)) if v is not None}


def _data(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x


def where(condition: Any, input: Any, other: Any) -> Tensor:  # noqa: A002 - PyTorch's names
    """Elementwise ``input`` where ``condition`` else ``other`` (condition has no gradient)."""
    cond = np.asarray(_data(condition))
    if cond.dtype != np.bool_:
        raise RuntimeError(
            f"where expected condition to be a boolean tensor, but got a tensor with dtype {cond.dtype.name} "
            "(compare first, e.g. x > 0, or convert with .bool())"
        )
    input, other = _promote(input, other) if isinstance(input, Tensor) or isinstance(other, Tensor) else (
        input, other)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        return _make(np.asarray(np.where(cond, input, other)), None, False)
    return Where.apply(cond, input, other)


def maximum(a: Tensor, b: Any) -> Tensor:
    """Elementwise maximum (ties split the gradient evenly)."""
    return _binary(Maximum, a, b)


def minimum(a: Tensor, b: Any) -> Tensor:
    """Elementwise minimum (ties split the gradient evenly)."""
    return _binary(Minimum, a, b)


def clamp(x: Tensor, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
    """Clip to [min, max]; gradient 1 inside (bounds included), 0 outside."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    if (isinstance(min, Tensor) and min._rg) or (isinstance(max, Tensor) and max._rg):
        # bounds that require grad receive it where they are the result (PyTorch's clamp.Tensor):
        # where() routes g to the selected branch; at x == bound the gradient goes to x, as in PyTorch
        y = x if min is None else where(x < min, min, x)
        return y if max is None else where(y > max, max, y)
    if isinstance(x, Tensor) and x._data.dtype.kind in "iub" and any(
            isinstance(b, float) or (isinstance(b, Tensor) and b._data.dtype.kind == "f") for b in (min, max)):
        x = x._data.astype(np.result_type(np.float32, *[_data(b) for b in (min, max) if isinstance(b, Tensor)]))
    return Clamp.apply(x, lo=_data(min), hi=_data(max))


clip = clamp


def _compare(ufunc: np.ufunc, a: Any, b: Any) -> Tensor:
    return _make(np.asarray(ufunc(_data(a), _data(b))), None, False)


def eq(a: Any, b: Any) -> Tensor:
    """a == b elementwise (bool tensor, no grad)."""
    return _compare(np.equal, a, b)


def ne(a: Any, b: Any) -> Tensor:
    """a != b elementwise (bool tensor, no grad)."""
    return _compare(np.not_equal, a, b)


def lt(a: Any, b: Any) -> Tensor:
    """a < b elementwise (bool tensor, no grad)."""
    return _compare(np.less, a, b)


def le(a: Any, b: Any) -> Tensor:
    """a <= b elementwise (bool tensor, no grad)."""
    return _compare(np.less_equal, a, b)


def gt(a: Any, b: Any) -> Tensor:
    """a > b elementwise (bool tensor, no grad)."""
    return _compare(np.greater, a, b)


def ge(a: Any, b: Any) -> Tensor:
    """a >= b elementwise (bool tensor, no grad)."""
    return _compare(np.greater_equal, a, b)


class Sign(Function):
    """y = sign(x) in {-1, 0, 1};  gx = 0 (piecewise constant; recorded, as in PyTorch, so that
    y + x still gets x's gradient through the other path and y.requires_grad matches)"""

    def forward(self, x):
        return x.copy() if x.dtype == np.bool_ else sign_nan0(np.asarray(x))

    def backward(self, g):
        return self.xp.zeros_like(g)


def sign(x: Tensor) -> Tensor:
    """-1, 0 or 1 elementwise (zero gradient)."""
    return Sign.apply(x)


def isnan(x: Tensor) -> Tensor:
    return _make(np.isnan(x._data), None, False)


def isfinite(x: Tensor) -> Tensor:
    return _make(np.isfinite(x._data), None, False)


def allclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    return bool(np.allclose(_data(a), _data(b), rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(a: Tensor, b: Tensor) -> bool:
    """True if both have the same shape and elements."""
    return bool(np.array_equal(_data(a), _data(b)))


# ---------------------------------------------------------------------- xp: selection in backwards
def _masked_np(g: np.ndarray, w: np.ndarray) -> np.ndarray:
    # A multiplication (SIMD; np.where on a random mask is ~10x slower), redone as a select only when
    # g holds inf or nan.
    out = g * w
    if not np.isfinite(out).all():
        out = np.where(w > 0, out, 0).astype(out.dtype, copy=False)
    return out


define("where", np.where, lambda cond, a, b: Where.apply(cond, a, b))
define("maximum", np.maximum, lambda a, b: maximum(a, b))
# xp.masked(g, w) = g * w where w > 0 and exactly 0 elsewhere (w: a bool mask or nonnegative weights):
# PyTorch's masked gradients, where an inf/nan g at a cut-off element gives 0, not 0 * inf = nan.
define("masked", _masked_np, lambda g, w: Where.apply(w > 0, g * w, 0.0))


# ---------------------------------------------------------------------- declarations
def _where_method(self: Tensor, condition: Any, other: Any) -> Tensor:
    """x.where(condition, other): x where condition holds, else other."""
    return where(condition, self, other)


def masked_fill(self: Tensor, mask: Any, value: Any) -> Tensor:
    """value where mask holds, else self."""
    return where(mask, value, self)


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x))


METHODS = {
    "__eq__": eq, "__ne__": ne, "__lt__": lt, "__le__": le, "__gt__": gt, "__ge__": ge,
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge, "clamp": clamp, "clip": clamp,
    "maximum": maximum, "minimum": minimum, "sign": sign, "isnan": isnan, "isfinite": isfinite, "equal": equal,
    "allclose": allclose, "where": _where_method, "masked_fill": masked_fill,
}
UFUNCS = {np.maximum: maximum, np.minimum: minimum, np.greater: gt, np.greater_equal: ge, np.less: lt,
          np.less_equal: le, np.equal: eq, np.not_equal: ne, np.sign: lambda x: sign(_t(x)),
          np.isnan: lambda x: isnan(_t(x)), np.isfinite: lambda x: isfinite(_t(x))}
