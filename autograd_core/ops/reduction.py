"""Reductions over one, several or all dimensions (``dim`` int/tuple/None; ``axis`` accepted)."""

from __future__ import annotations

import builtins
from collections import namedtuple
from typing import Any

import numpy as np

from .._function import Function
from .._tensor import Tensor, _make
from .._xp import define
from ._dims import normalize_dims
from .compare import maximum, minimum
from .indexing import gather_along

__all__ = [  # the public functions (ag.<name>); Tensor methods are declared in METHODS below
    "sum", "mean", "var", "std", "amax", "amin", "argmax", "argmin", "max", "min", "logsumexp", "prod", "norm",
    "cumsum",
]

MaxResult = namedtuple("MaxResult", ["values", "indices"])


def _kshape(shape: tuple[int, ...], axes: tuple[int, ...] | None) -> tuple[int, ...]:
    """The shape with reduced axes kept as size 1."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _count(shape: tuple[int, ...], axes: tuple[int, ...] | None) -> int:
    if axes is None:
        return int(np.prod(shape, dtype=np.int64))
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


class _Reduce(Function):
    """Shared bookkeeping: input shape, kept-dims shape, and the op label."""

    def _setup(self, x: np.ndarray, axes: Any, keepdim: bool) -> None:
        self.shape = x.shape
        self.axes = axes
        self.keepdim = keepdim
        self.kshape = _kshape(x.shape, axes)

    def _expand(self, g: Any) -> Any:
        return self.xp.expand(g.reshape(self.kshape), self.shape)

    def attrs(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.axes is not None:
            out["dim"] = self.axes[0] if len(self.axes) == 1 else self.axes
        if self.keepdim:
            out["keepdim"] = True
        return out


class Sum(_Reduce):
    """y = sum(x, dims);  gx = broadcast(g)"""

    def forward(self, x, axes, keepdim):
        self._setup(x, axes, keepdim)
        return x.sum(axis=axes, keepdims=keepdim)

    def backward(self, g):
        return self._expand(g)


class Mean(_Reduce):
    """y = sum(x, dims) / n;  gx = broadcast(g) / n"""

    def forward(self, x, axes, keepdim):
        self._setup(x, axes, keepdim)
        self.n = _count(x.shape, axes)
        if self.n == 0:  # an empty mean is nan, silently (PyTorch; numpy warns)
            return np.full(_reduced_shape(x.shape, axes) if not keepdim else self.kshape, np.nan, dtype=x.dtype)
        return x.mean(axis=axes, keepdims=keepdim)

    def backward(self, g):
        if self.n == 0:
            return self._expand(g * 0)  # no elements: the (empty) gradient is never divided by zero
        return self._expand(g / self.n)


class _Moment(_Reduce):
    """Shared by var and std: the count, the correction and the variance's gradient."""

    saves_inputs = True

    def _setup_moment(self, x: np.ndarray, axes: Any, correction: int, keepdim: bool) -> None:
        self._setup(x, axes, keepdim)
        self.n, self.c = _count(x.shape, axes), correction

    def _var_grad(self, g: Any, x: Any) -> Any:
        """d var / dx applied to g: broadcast(g) * 2 (x - mean) / (n - c)."""
        dof = self.n - self.c
        scale = 2.0 / dof if dof != 0 else np.inf  # PyTorch's formula, negative dof included
        return self._expand(g) * _centered(x, self.axes) * scale

    def _var(self, x: np.ndarray) -> np.ndarray:
        dof = self.n - self.c
        with np.errstate(divide="ignore", invalid="ignore"):  # dof <= 0 gives inf/nan, as in PyTorch
            ss = np.sum(np.square(_centered(x, self.axes)), axis=self.axes, keepdims=self.keepdim)
            return ss / builtins.max(dof, 0)


def _centered(x: Any, axes: Any) -> Any:
    """x - mean(x), corrected by a second pass (the rounding error of the mean is subtracted):
    the deviations then sum to zero, so a slice of equal values has variance 0 and gradient 0
    instead of a rounding-sized std and a gradient of +-1/sqrt(n) (works on arrays and Tensors)."""
    c = x - x.mean(axis=axes, keepdims=True)
    return c - c.mean(axis=axes, keepdims=True)


class Var(_Moment):
    """y = sum((x - mean)**2) / (n - c);  gx = broadcast(g) * 2 (x - mean) / (n - c)"""

    def forward(self, x, axes, correction, keepdim):
        self._setup_moment(x, axes, correction, keepdim)
        return self._var(x)

    def backward(self, g):
        (x,) = self.saved()
        return self._var_grad(g, x)


class Std(_Moment):
    """y = sqrt(var(x));  gx = var_backward(g / (2 y)), 0 where y = 0 (PyTorch's convention)"""

    saves_output = True

    def forward(self, x, axes, correction, keepdim):
        self._setup_moment(x, axes, correction, keepdim)
        return np.sqrt(self._var(x))

    def backward(self, g):
        (x,) = self.saved()
        y = self.saved_output()
        xp = self.xp
        zero = xp.value(y) == 0
        y_safe = xp.where(zero, 1.0, y)  # double-where: no inf in the unused branch
        return self._var_grad(xp.where(zero, 0.0, g / (y_safe * 2)), x)


class _Extreme(_Reduce):
    """amax/amin: the gradient is shared evenly among tied extreme elements."""

    ufunc: Any = None

    def forward(self, x, axes, keepdim, select=False):
        # select: PyTorch's max()/min() of all elements hands g to the extremes only (masked), while its
        # amax/amin multiply g by the tie weights everywhere (an inf/nan g then reaches every element)
        self.select = select
        self._setup(x, axes, keepdim)
        _check_empty_reduction(x.shape, axes, type(self).__name__.lower())
        out = self.ufunc.reduce(x, axis=axes, keepdims=True)
        hit = x == out
        self.w = (hit / hit.sum(axis=axes, keepdims=True)).astype(x.dtype)
        return out if keepdim else out.reshape(_reduced_shape(x.shape, axes))

    def backward(self, g):
        if self.select:
            return self.xp.masked(self._expand(g), self.w)  # non-extremes get 0 even from an inf/nan g
        return self._expand(g) * self.w


class Amax(_Extreme):
    """y = max(x, dims);  gx = broadcast(g) * [x == y] / count(x == y)"""

    ufunc = np.maximum


class Amin(_Extreme):
    """y = min(x, dims);  gx = broadcast(g) * [x == y] / count(x == y)"""

    ufunc = np.minimum


def _check_empty_reduction(shape: tuple[int, ...], axes: tuple[int, ...] | None, op: str) -> None:
    """An extreme (max, argmax, ...) over no elements has no value; reducing other dims of an empty tensor is fine."""
    if axes is None:
        if 0 in shape:
            raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0 (input of "
                               f"shape {list(shape)}; pass dim= to reduce a non-empty dim)")
        return
    for d in axes:
        if shape[d] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size (input of shape {list(shape)})")


def _reduced_shape(shape: tuple[int, ...], axes: tuple[int, ...] | None) -> tuple[int, ...]:
    if axes is None:
        return ()
    return tuple(s for i, s in enumerate(shape) if i not in axes)


class LogSumExp(_Reduce):
    """y = log(sum(exp(x)));  gx = broadcast(g) * exp(x - y)"""

    saves_inputs = True
    saves_output = True

    def forward(self, x, axes, keepdim):
        self._setup(x, axes, keepdim)
        m = np.max(x, axis=axes, keepdims=True, initial=-np.inf)  # over a zero-size dim: -inf, as in PyTorch
        m = np.where(np.isfinite(m), m, 0)  # an all -inf slice gives -inf, not nan
        with np.errstate(divide="ignore"):
            out = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
        return out if keepdim else out.reshape(_reduced_shape(x.shape, axes))

    def backward(self, g):
        (x,) = self.saved()
        y = self.saved_output()
        return self._expand(g) * self.xp.exp(x - y.reshape(self.kshape))


class Prod(_Reduce):
    """y = prod(x);  gx = broadcast(g) * prod_{j != i} x_j   (exact, to every order, with zeros in x)"""

    saves_inputs = True

    def forward(self, x, axes, keepdim):
        self._setup(x, axes, keepdim)
        return np.prod(x, axis=axes, keepdims=keepdim)

    def backward(self, g):
        (x,) = self.saved()
        if _count(self.shape, self.axes) == 1:
            return self._expand(g)  # the product of no other elements is 1 (even where x is nan or inf)
        if not (self.xp.value(x) == 0).any():
            return self._expand(g) * (self.xp.prod(x, self.axes, True) / x)
        return self._expand(g) * self._others_with_zeros(x)

    def _others_with_zeros(self, x):
        # prod_{j != i} x_j written as a product over a matrix whose diagonal is replaced by 1:
        # O(n^2) in the reduced size, but differentiable again (prod/x would divide by zero and
        # a masked formula would lose the second derivative through the zero entries).
        nd = len(self.shape)
        axes = self.axes if self.axes is not None else tuple(range(nd))
        perm = [a for a in range(nd) if a not in axes] + list(axes)
        xp = self.xp
        xt = xp.permute(x, perm) if perm != list(range(nd)) else x
        lead = xt.shape[: nd - len(axes)]
        n = _count(self.shape, axes)
        rows = xp.expand(xp.unsqueeze(xt.reshape(lead + (n,)), -2), lead + (n, n))
        others = xp.prod(xp.where(np.eye(n, dtype=bool), 1.0, rows), -1, False).reshape(xt.shape)
        return xp.permute(others, tuple(np.argsort(perm))) if perm != list(range(nd)) else others


class Norm(_Reduce):
    """y = (sum |x|**p)**(1/p);  gx = g * sign(x) |x|**(p-1) / y**(p-1), 0 where y = 0"""

    saves_inputs = True
    saves_output = True

    def forward(self, x, p, axes, keepdim):
        self._setup(x, axes, keepdim)
        self.p = p
        if p == 2:
            return np.sqrt(np.sum(x * x, axis=axes, keepdims=keepdim))
        return np.sum(np.abs(x) ** p, axis=axes, keepdims=keepdim) ** (1.0 / p)

    def backward(self, g):
        (x,) = self.saved()
        y = self.saved_output().reshape(self.kshape)
        xp = self.xp
        zero = xp.value(y) == 0
        y_safe = xp.where(zero, 1.0, y)
        g = self._expand(g)
        if self.p == 2:
            return xp.where(zero, 0.0, g * x / y_safe)
        p = self.p
        xd = xp.value(x)
        # double where on x too: in an all-zero slice |x|**(p-1) is inf for p < 1, and its derivative in the
        # unused branch would turn the zero weight into nan under create_graph
        x_safe = xp.where(np.broadcast_to(zero, xd.shape), 1.0, x) if zero.any() else x
        return xp.where(zero, 0.0, g * np.sign(xd) * xp.abs(x_safe) ** (p - 1) / y_safe ** (p - 1))

    def attrs(self):
        out = super().attrs()
        if self.p != 2:
            out["p"] = self.p
        return out


class CumSum(Function):
    """y_i = sum_{j <= i} x_j;  gx = reverse cumsum of g"""

    def forward(self, x, dim):
        self.dim = dim
        return np.cumsum(x, axis=dim)

    def backward(self, g):
        d = self.dim
        xp = self.xp
        return xp.flip(xp.cumsum(xp.flip(g, (d,)), d), (d,))

    def attrs(self):
        return {"dim": self.dim}


# ---------------------------------------------------------------------- public functions


def _resolve(dim: Any, axis: Any, keepdim: bool, keepdims: Any) -> tuple[Any, bool]:
    if axis is not None:
        if dim is not None:
            raise TypeError("got both 'dim' and its alias 'axis'")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return dim, bool(keepdim)


def _no_out(out: Any, op: str) -> None:
    # numpy's np.sum(t), np.mean(t), ... call t.sum(axis=..., out=None): accept that, refuse a buffer.
    if out is not None:
        raise TypeError(f"{op}: out= is not supported (results are new tensors in the graph)")


def _float_only(x: Tensor, op: str) -> None:
    if x._data.dtype.kind not in "fc":
        raise RuntimeError(
            f"{op}(): could not infer output dtype. Input dtype must be either a floating point or "
            f"complex dtype. Got: {x._data.dtype.name} (convert first with .float())"
        )


def sum(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None, out: Any = None,  # noqa: A001
        keepdims: Any = None, dtype: Any = None) -> Tensor:
    """Sum over ``dim`` (all if None)."""
    _no_out(out, "sum")
    dim, keepdim = _resolve(dim, axis, keepdim, keepdims)
    if dtype is not None:
        x = x.to(dtype)
    return Sum.apply(x, axes=normalize_dims(dim, x.ndim, "sum"), keepdim=keepdim)


def mean(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None, out: Any = None,
         keepdims: Any = None, dtype: Any = None) -> Tensor:
    """Arithmetic mean over ``dim`` (all if None)."""
    _no_out(out, "mean")
    dim, keepdim = _resolve(dim, axis, keepdim, keepdims)
    if dtype is not None:
        x = x.to(dtype)
    _float_only(x, "mean")
    return Mean.apply(x, axes=normalize_dims(dim, x.ndim, "mean"), keepdim=keepdim)


def _correction(dim: Any, unbiased: Any, correction: Any) -> tuple[Any, int]:
    if isinstance(dim, bool):  # var(x, True): PyTorch's (unbiased) overload
        dim, unbiased = None, dim
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return dim, correction


def var(x: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
        correction: Any = None, axis: Any = None, keepdims: Any = None, ddof: Any = None, out: Any = None,
        dtype: Any = None) -> Tensor:
    """Variance with Bessel's correction by default (``correction=1``; numpy's ``ddof`` accepted)."""
    _no_out(out, "var")
    correction = ddof if ddof is not None else correction
    dim, keepdim = _resolve(dim, axis, keepdim, keepdims)
    dim, correction = _correction(dim, unbiased, correction)
    _float_only(x, "var")
    axes = normalize_dims(dim, x.ndim, "var")
    return Var.apply(x, axes=axes, correction=correction, keepdim=keepdim)


def std(x: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
        correction: Any = None, axis: Any = None, keepdims: Any = None, ddof: Any = None, out: Any = None,
        dtype: Any = None) -> Tensor:
    """Standard deviation with Bessel's correction by default (numpy's ``ddof`` accepted)."""
    _no_out(out, "std")
    correction = ddof if ddof is not None else correction
    dim, keepdim = _resolve(dim, axis, keepdim, keepdims)
    dim, correction = _correction(dim, unbiased, correction)
    _float_only(x, "std")
    axes = normalize_dims(dim, x.ndim, "std")
    return Std.apply(x, axes=axes, correction=correction, keepdim=keepdim)


def amax(x: Tensor, dim: Any = (), keepdim: bool = False, *, axis: Any = None,
         keepdims: Any = None) -> Tensor:
    """Maximum over ``dim`` (all if empty); ties share the gradient."""
    dim, keepdim = _resolve(dim, axis, keepdim, keepdims)
    return Amax.apply(x, axes=normalize_dims(dim, x.ndim, "amax"), keepdim=keepdim)


def amin(x: Tensor, dim: Any = (), keepdim: bool = False, *, axis: Any = None,
         keepdims: Any = None) -> Tensor:
    """Minimum over ``dim`` (all if empty); ties share the gradient."""
    dim, keepdim = _resolve(dim, axis, keepdim, keepdims)
    return Amin.apply(x, axes=normalize_dims(dim, x.ndim, "amin"), keepdim=keepdim)


def _arg(x: Tensor, dim: Any, keepdim: bool, fn: Any, op: str) -> Tensor:
    _check_empty_reduction(x.shape, None if dim is None else normalize_dims(dim, x.ndim, op), op)
    if dim is None:
        idx = np.asarray(fn(x._data.reshape(-1)))
        if keepdim:
            idx = idx.reshape((1,) * x.ndim)
        return _make(idx.astype(np.int64), None, False)
    (d,) = normalize_dims(dim, x.ndim, op) or (0,)
    idx = fn(x._data, axis=d, keepdims=keepdim) if x.ndim else np.asarray(0)
    return _make(np.asarray(idx, dtype=np.int64), None, False)


def argmax(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Tensor:
    """Index of the maximum (flattened if ``dim`` is None); no grad."""
    dim, keepdim = _resolve(dim, axis, keepdim, None)
    return _arg(x, dim, keepdim, np.argmax, "argmax")


def argmin(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Tensor:
    """Index of the minimum (flattened if ``dim`` is None); no grad."""
    dim, keepdim = _resolve(dim, axis, keepdim, None)
    return _arg(x, dim, keepdim, np.argmin, "argmin")


def _max_min(x: Tensor, dim: Any, keepdim: bool, other: Any, largest: bool) -> Any:
    if isinstance(dim, Tensor):
        other, dim = dim, None
    if other is not None:
        return maximum(x, other) if largest else minimum(x, other)
    if dim is None:
        return (Amax if largest else Amin).apply(x, axes=None, keepdim=False, select=True)
    op = "max" if largest else "min"
    (d,) = normalize_dims(dim, x.ndim, op) or (0,)
    if x.ndim == 0:
        return MaxResult(x.clone(), _make(np.asarray(0, dtype=np.int64), None, False))
    if x.shape[d] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")
    idx = (np.argmax if largest else np.argmin)(x._data, axis=d, keepdims=True)
    values = gather_along(x, idx, d)
    if not keepdim:
        values = values.squeeze(d)
        idx = np.squeeze(idx, d)
    return MaxResult(values, _make(idx.astype(np.int64), None, False))


def max(x: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None,  # noqa: A001
        axis: Any = None, out: Any = None, keepdims: Any = None) -> Any:
    """``max(x)``: the largest element; ``max(x, dim)``: (values, indices); ``max(x, y)``: maximum."""
    _no_out(out, "max")
    dim, keepdim = _resolve(dim, axis, keepdim, keepdims)
    return _max_min(x, dim, keepdim, other, True)


def min(x: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None,  # noqa: A001
        axis: Any = None, out: Any = None, keepdims: Any = None) -> Any:
    """``min(x)``: the smallest element; ``min(x, dim)``: (values, indices); ``min(x, y)``: minimum."""
    _no_out(out, "min")
    dim, keepdim = _resolve(dim, axis, keepdim, keepdims)
    return _max_min(x, dim, keepdim, other, False)


def logsumexp(x: Tensor, dim: Any, keepdim: bool = False, *, axis: Any = None) -> Tensor:
    """log(sum(exp(x))) over ``dim``, shifted by the max for stability."""
    dim, keepdim = _resolve(dim, axis, keepdim, None)
    _float_only(x, "logsumexp")
    return LogSumExp.apply(x, axes=normalize_dims(dim, x.ndim, "logsumexp"), keepdim=keepdim)


def prod(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
         dtype: Any = None) -> Tensor:
    """Product over ``dim`` (all if None); the gradient is exact when x contains zeros."""
    dim, keepdim = _resolve(dim, axis, keepdim, None)
    if dtype is not None:
        x = x.to(dtype)
    return Prod.apply(x, axes=normalize_dims(dim, x.ndim, "prod"), keepdim=keepdim)


def norm(x: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False, *,
         axis: Any = None) -> Tensor:
    """Vector p-norm over ``dim`` (all elements if None): p = 'fro', 2, 1, inf, -inf or a number."""
    dim, keepdim = _resolve(dim, axis, keepdim, None)
    _float_only(x, "norm")
    if p == "fro" or p is None:
        p = 2
    if isinstance(p, str):
        raise ValueError(
            f"norm: p={p!r} is not supported here; use 'fro' or a number (matrix norms such as 'nuc' "
            "belong to autograd_core.linalg)"
        )
    axes = normalize_dims(dim, x.ndim, "norm")
    if p == np.inf:
        return amax(x.abs(), dim=axes or (), keepdim=keepdim)
    if p == -np.inf:
        return amin(x.abs(), dim=axes or (), keepdim=keepdim)
    if p == 1:
        return sum(x.abs(), dim=axes, keepdim=keepdim)
    if p == 0:
        return _make(np.asarray(np.count_nonzero(x._data, axis=axes, keepdims=keepdim), dtype=x.dtype),
                     None, False)
    return Norm.apply(x, p=float(p) if p != 2 else 2, axes=axes, keepdim=keepdim)


def cumsum(x: Tensor, dim: int, *, axis: Any = None) -> Tensor:
    """Cumulative sum along ``dim``."""
    if axis is not None:
        dim = axis
    (d,) = normalize_dims(dim, x.ndim, "cumsum") or (0,)
    if x.ndim == 0:
        return x.clone()
    return CumSum.apply(x, dim=d)


# ---------------------------------------------------------------------- xp: reductions in backwards
define("prod", lambda x, axis, keepdims: np.prod(x, axis=axis, keepdims=keepdims),
       lambda x, axis, keepdims: Prod.apply(x, axes=normalize_dims(axis, len(x.shape), "prod"), keepdim=keepdims))
define("cumsum", lambda x, axis: np.cumsum(x, axis=axis),
       lambda x, axis: CumSum.apply(x, dim=axis % builtins.max(len(x.shape), 1)))


# ---------------------------------------------------------------------- declarations
METHODS = {"sum": sum, "mean": mean, "var": var, "std": std, "amax": amax, "amin": amin, "max": max, "min": min,
           "argmax": argmax, "argmin": argmin, "logsumexp": logsumexp, "prod": prod, "norm": norm, "cumsum": cumsum}
