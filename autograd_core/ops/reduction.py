"""Reductions over one, several or all dimensions (``dim`` int/tuple/None; ``axis`` accepted)."""

from __future__ import annotations

import builtins
import functools
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
    "cumsum", "cumprod", "cummax", "cummin", "logcumsumexp", "any", "all", "std_mean", "var_mean", "nanmean",
    "nansum", "count_nonzero",
]


def return_type(name: str, fields: tuple[str, ...] = ("values", "indices")) -> type:
    """A tuple subclass with named fields, as PyTorch's ``torch.return_types.<name>`` (``values, indices =
    x.max(0)`` unpacks it; ``.values`` / ``.indices`` name the parts)."""
    cls = namedtuple(name, fields)
    cls.__module__ = "autograd_core.return_types"
    return cls


MaxResult = return_type("max")
MinResult = return_type("min")


def _kshape(shape: tuple[int, ...], axes: tuple[int, ...] | None) -> tuple[int, ...]:
    """The shape with reduced axes kept as size 1."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _count(shape: tuple[int, ...], axes: tuple[int, ...] | None) -> int:
    if axes is None:
        return int(np.prod(shape, dtype=np.int64))
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


def _c_order(out: Any) -> Any:
    """The result(s) in C order: numpy's reductions keep a transposed input's layout, PyTorch's return contiguous
    tensors, so that x.t().sum(0).view(-1) works there (and must here)."""
    if isinstance(out, tuple):
        return tuple(_c_order(o) for o in out)
    if isinstance(out, np.ndarray) and not out.flags.c_contiguous:
        return np.ascontiguousarray(out)
    return out


class _Reduce(Function):
    """Shared bookkeeping: input shape, kept-dims shape, and the op label; results are C-ordered (PyTorch's)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fwd = cls.__dict__.get("forward")
        if fwd is not None:
            @functools.wraps(fwd)
            def forward(self: Any, *args: Any, _fwd: Any = fwd, **kw: Any) -> Any:
                return _c_order(_fwd(self, *args, **kw))

            cls.forward = forward

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
        if dof <= 0 and self.axes is None:
            # PyTorch's full reduction (dim=None, or a 0-d input) without degrees of freedom: g * inf whatever the
            # sign of x - mean, nan where x - mean is 0 (its reduction over dims uses 2 / dof, negative included)
            with np.errstate(invalid="ignore"):
                return self._expand(g) * self.xp.abs(_centered(x, self.axes)) * np.inf
        scale = 2.0 / dof if dof != 0 else np.inf  # PyTorch's formula, negative dof included
        return self._expand(g) * _centered(x, self.axes) * scale

    def _var(self, x: np.ndarray, cast: bool = True) -> np.ndarray:
        dof = self.n - self.c
        # float16/32 in float64, as PyTorch's CPU kernel accumulates: the squares of values above ~1.8e19 would
        # overflow float32 where the variance itself is representable (std of [0, 250, 3.4e38] is 1.96e38)
        xa = x.astype(np.float64) if x.dtype in (np.float32, np.float16) else x
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # dof <= 0 gives inf/nan, as PyTorch
            ss = np.sum(np.square(_centered(xa, self.axes)), axis=self.axes, keepdims=self.keepdim)
            v = ss / builtins.max(dof, 0)
        return v.astype(x.dtype, copy=False) if cast else v


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
        return np.sqrt(self._var(x, cast=False)).astype(x.dtype, copy=False)  # the root before the cast

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
    # PyTorch's backward compares x with the result it returned: changing that in place first is an error
    saves_output = True

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
        self.saved_output()  # the version check
        if self.select:
            return self.xp.masked(self._expand(g), self.w)  # non-extremes get 0 even from an inf/nan g
        return self._expand(g) * self.w


class InfNorm(_Reduce):
    """y = max |x| (or min |x|: lo=True) over dims;  gx = g sgn(x) m / sum(m), m = [|x| == y or |x| is nan]
    (PyTorch's vector_norm at p = +-inf: a nan norm sends its gradient to the nan elements, whose sgn is 0)"""

    fresh_grads = True
    saves_output = True  # PyTorch's backward reads the norm it returned

    def forward(self, x, axes, keepdim, lo=False):
        self._setup(x, axes, keepdim)
        _check_empty_reduction(x.shape, axes, "linalg.vector_norm")
        a = np.abs(x)
        out = (np.minimum if lo else np.maximum).reduce(a, axis=axes, keepdims=True)
        m = (a == out) | np.isnan(a)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.w = (np.sign(np.where(np.isnan(x), 0, x)) * (m / m.sum(axis=axes, keepdims=True))).astype(x.dtype)
        return out if keepdim else out.reshape(_reduced_shape(x.shape, axes))

    def backward(self, g):
        self.saved_output()  # the version check
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
        with np.errstate(divide="ignore"):  # p < 0: |0|**p = inf, and the norm is 0, as in PyTorch
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
        # for p < 1, |x|**(p-1) is inf at every x = 0; PyTorch takes the gradient there as 0 (sign(0) = 0 times
        # a finite stand-in), where 0 * inf would give nan
        mask = (xd == 0) if p < 1 else np.broadcast_to(zero, xd.shape)
        x_safe = xp.where(mask, 1.0, x) if mask.any() else x
        return xp.where(zero, 0.0, g * np.sign(xd) * xp.abs(x_safe) ** (p - 1) / y_safe ** (p - 1))

    def attrs(self):
        out = super().attrs()
        if self.p != 2:
            out["p"] = self.p
        return out


class CountNonzero(_Reduce):
    """y = #{x != 0} (the 0-"norm");  gx = none (PyTorch's vector_norm with ord=0 leaves x.grad unset)"""

    def forward(self, x, axes, keepdim):
        self._setup(x, axes, keepdim)
        return np.asarray(np.count_nonzero(x, axis=axes, keepdims=keepdim), dtype=x.dtype)

    def backward(self, g):
        return None


class CumSum(Function):
    """y_i = sum_{j <= i} x_j;  gx = reverse cumsum of g"""

    def forward(self, x, dim):
        self.dim = dim
        return np.ascontiguousarray(np.cumsum(x, axis=dim))  # contiguous, as PyTorch's scans

    def backward(self, g):
        d = self.dim
        xp = self.xp
        return xp.flip(xp.cumsum(xp.flip(g, (d,)), d), (d,))

    def attrs(self):
        return {"dim": self.dim}


class CumProd(Function):
    """y_i = prod_{j <= i} x_j;  gx_k = sum_{i >= k} g_i prod_{j <= i, j != k} x_j
    (= revcumsum(g y) / x without zeros in x; exact, to every order, with zeros)"""

    saves_inputs = True
    saves_output = True

    def forward(self, x, dim):
        self.dim, self.n = dim, x.shape[dim]
        return np.ascontiguousarray(np.cumprod(x, axis=dim))

    def backward(self, g):
        (x,) = self.saved()
        xp = self.xp
        d = self.dim
        if not (xp.value(x) == 0).any():
            return xp.flip(xp.cumsum(xp.flip(g * self.saved_output(), (d,)), d), (d,)) / x
        # With zeros, dividing by x is 0/0: form prod_{j <= i, j != k} x_j for every (k, i) as a cumprod over
        # copies of x whose entry k is 1 (O(n^2) in the scanned length, but differentiable again).
        nd = len(x.shape)
        xt, gt = _to_last(xp, x, d, nd), _to_last(xp, g, d, nd)
        n = self.n
        lead = tuple(xt.shape[:-1])
        rows = xp.expand(xp.unsqueeze(xt, -2), lead + (n, n))  # rows[..., k, j] = x_j
        c = xp.cumprod(xp.where(np.eye(n, dtype=bool), 1.0, rows), -1)  # c[..., k, i] = prod_{j<=i, j!=k} x_j
        upper = np.triu(np.ones((n, n), dtype=bool))  # i >= k
        gx = xp.where(upper, c * xp.unsqueeze(gt, -2), 0.0).sum(axis=-1)
        return _from_last(xp, gx, d, nd)

    def attrs(self):
        return {"dim": self.dim}


class LogCumSumExp(Function):
    """y_i = log sum_{j <= i} exp(x_j);  gx_j = sum_{i >= j} g_i exp(x_j - y_i)"""

    saves_inputs = True
    saves_output = True

    def forward(self, x, dim):
        self.dim, self.n = dim, x.shape[dim]
        with np.errstate(invalid="ignore"):  # -inf - -inf inside logaddexp: the result is -inf, as in PyTorch
            return np.ascontiguousarray(np.logaddexp.accumulate(x, axis=dim))

    def backward(self, g):
        (x,) = self.saved()
        y = self.saved_output()
        xp = self.xp
        d = self.dim
        nd = len(x.shape)
        xt, yt, gt = _to_last(xp, x, d, nd), _to_last(xp, y, d, nd), _to_last(xp, g, d, nd)
        n = self.n
        # w[..., i, j] = exp(x_j - y_i) for j <= i (each <= 1: no overflow), 0 above the diagonal; O(n^2) memory
        # in the scanned length, written with recorded ops so that it differentiates again
        lower = np.tril(np.ones((n, n), dtype=bool))
        w = xp.exp(xp.where(lower, xp.unsqueeze(xt, -2) - xp.unsqueeze(yt, -1), -np.inf))
        return _from_last(xp, (w * xp.unsqueeze(gt, -1)).sum(axis=-2), d, nd)

    def attrs(self):
        return {"dim": self.dim}


def _to_last(xp: Any, x: Any, d: int, nd: int) -> Any:
    """x with axis d moved to the end (a recorded permute under create_graph)."""
    if d == nd - 1:
        return x
    return xp.permute(x, tuple(i for i in range(nd) if i != d) + (d,))


def _from_last(xp: Any, x: Any, d: int, nd: int) -> Any:
    """The inverse of _to_last."""
    if d == nd - 1:
        return x
    perm = tuple(i for i in range(nd) if i != d) + (d,)
    return xp.permute(x, tuple(int(i) for i in np.argsort(perm)))


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
    result = MaxResult if largest else MinResult
    if x.ndim == 0:
        return result(x.clone(), _make(np.asarray(0, dtype=np.int64), None, False))
    if x.shape[d] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")
    idx = (np.argmax if largest else np.argmin)(x._data, axis=d, keepdims=True)
    values = gather_along(x, idx, d)
    if not keepdim:
        values = values.squeeze(d)
        idx = np.squeeze(idx, d)
    return result(values, _make(idx.astype(np.int64), None, False))


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
    if p == np.inf or p == -np.inf:
        return InfNorm.apply(x, axes=axes, keepdim=keepdim, lo=p < 0)
    if p == 1:
        return sum(x.abs(), dim=axes, keepdim=keepdim)
    if p == 0:
        return CountNonzero.apply(x, axes=axes, keepdim=keepdim)
    return Norm.apply(x, p=float(p) if p != 2 else 2, axes=axes, keepdim=keepdim)


def _scan_dim(x: Tensor, dim: Any, axis: Any, op: str) -> int:
    if axis is not None:
        dim = axis
    if dim is None:
        raise TypeError(f"{op}() missing required argument 'dim' (an int: the dimension to scan along)")
    (d,) = normalize_dims(dim, x.ndim, op) or (0,)
    return d


def _scan_input(x: Tensor, dtype: Any) -> Tensor:
    """The input a sum/product scan computes on: cast to dtype=, integers and bools to int64 (PyTorch)."""
    if dtype is not None:
        return x.to(dtype)
    if x._data.dtype.kind in "iub" and x._data.dtype != np.int64:
        return _make(x._data.astype(np.int64), None, False)
    return x


def cumsum(x: Tensor, dim: Any = None, *, dtype: Any = None, axis: Any = None) -> Tensor:
    """Cumulative sum along ``dim``."""
    d = _scan_dim(x, dim, axis, "cumsum")
    x = _scan_input(x, dtype)
    if x.ndim == 0:
        return x.clone()
    return CumSum.apply(x, dim=d)


def cumprod(x: Tensor, dim: Any = None, *, dtype: Any = None, axis: Any = None) -> Tensor:
    """Cumulative product along ``dim``; the gradient is exact where x has zeros."""
    d = _scan_dim(x, dim, axis, "cumprod")
    x = _scan_input(x, dtype)
    if x.ndim == 0:
        return x.clone()
    return CumProd.apply(x, dim=d)


def logcumsumexp(x: Tensor, dim: Any = None, *, axis: Any = None) -> Tensor:
    """log(cumsum(exp(x))) along ``dim``, computed stably (logaddexp)."""
    d = _scan_dim(x, dim, axis, "logcumsumexp")
    if x._data.dtype.kind not in "fc":
        raise NotImplementedError(f'"logcumsumexp_out_cpu" not implemented for {x._data.dtype.name!r} (convert '
                                  "first with .float())")
    if x.ndim == 0:
        return x.clone()
    return LogCumSumExp.apply(x, dim=d)


CummaxResult = return_type("cummax")
CumminResult = return_type("cummin")


def _cum_extreme(x: Tensor, dim: Any, largest: bool) -> Any:
    op = "cummax" if largest else "cummin"
    d = _scan_dim(x, dim, None, op)
    result = CummaxResult if largest else CumminResult
    if x.ndim == 0:
        return result(x.clone(), _make(np.asarray(0, dtype=np.int64), None, False))
    a = x._data
    acc = (np.maximum if largest else np.minimum).accumulate(a, axis=d)  # nan propagates, as in PyTorch
    # the index of the running extreme: the last position where it was attained (PyTorch updates on >= / <=),
    # or the last nan so far
    pos = np.arange(a.shape[d]).reshape((-1,) + (1,) * (a.ndim - 1 - d))
    hit = (a == acc) | (np.isnan(a) if a.dtype.kind in "fc" else False)
    idx = np.maximum.accumulate(np.where(hit, pos, 0), axis=d).astype(np.int64)
    if a.size == 0:
        return result(x.clone(), _make(idx, None, False))
    return result(gather_along(x, idx, d), _make(idx, None, False))


def cummax(x: Tensor, dim: int) -> Any:
    """(values, indices) of the running maximum along ``dim``; the gradient goes to the selected elements."""
    return _cum_extreme(x, dim, True)


def cummin(x: Tensor, dim: int) -> Any:
    """(values, indices) of the running minimum along ``dim``; the gradient goes to the selected elements."""
    return _cum_extreme(x, dim, False)


def _bool_reduce(x: Tensor, dim: Any, keepdim: bool, axis: Any, keepdims: Any, out: Any, fn: Any,
                 op: str) -> Tensor:
    _no_out(out, op)
    dim, keepdim = _resolve(dim, axis, keepdim, keepdims)
    a = x._data if isinstance(x, Tensor) else np.asarray(x)
    axes = normalize_dims(dim, a.ndim, op)
    res = np.asarray(fn(a, axis=axes, keepdims=keepdim))
    # uint8 stays uint8 in PyTorch (a legacy mask type); everything else gives bool
    return _make(res.astype(np.uint8) if a.dtype == np.uint8 else res, None, False)


def any(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,  # noqa: A001 - PyTorch's name
        keepdims: Any = None, out: Any = None) -> Tensor:
    """Whether any element (along ``dim``) is nonzero: a bool tensor, no gradient."""
    return _bool_reduce(x, dim, keepdim, axis, keepdims, out, np.any, "any")


def all(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,  # noqa: A001 - PyTorch's name
        keepdims: Any = None, out: Any = None) -> Tensor:
    """Whether every element (along ``dim``) is nonzero: a bool tensor, no gradient."""
    return _bool_reduce(x, dim, keepdim, axis, keepdims, out, np.all, "all")


def std_mean(x: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
             correction: Any = None) -> tuple[Tensor, Tensor]:
    """(std, mean) over ``dim`` (Bessel's correction by default, as ``std``)."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return std(x, dim, unbiased, keepdim, correction=correction), mean(x, dim, keepdim)


def var_mean(x: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
             correction: Any = None) -> tuple[Tensor, Tensor]:
    """(var, mean) over ``dim`` (Bessel's correction by default, as ``var``)."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return var(x, dim, unbiased, keepdim, correction=correction), mean(x, dim, keepdim)


def nansum(x: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Sum over ``dim`` treating nan as 0 (nan elements get no gradient)."""
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind in "fc":
        x = _where(np.isnan(x._data), 0.0, x)
    return sum(x, dim, keepdim)


def nanmean(x: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Mean over ``dim`` of the non-nan elements (nan where there are none)."""
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind not in "fc":
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got "
                           f"{x._data.dtype.name} (convert first with .float())")
    axes = normalize_dims(dim, x.ndim, "nanmean")
    count = np.sum(~np.isnan(x._data), axis=axes, keepdims=keepdim).astype(x._data.dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        return nansum(x, dim, keepdim) / count


def count_nonzero(x: Tensor, dim: Any = None) -> Tensor:
    """The number of nonzero elements (along ``dim``): int64, no gradient."""
    axes = normalize_dims(dim, x.ndim, "count_nonzero")
    return _make(np.asarray(np.count_nonzero(x._data, axis=axes), dtype=np.int64), None, False)


def _where(cond: np.ndarray, a: Any, b: Any) -> Tensor:
    from .compare import where

    return where(cond, a, b)



# ---------------------------------------------------------------------- xp: reductions in backwards
define("prod", lambda x, axis, keepdims: np.prod(x, axis=axis, keepdims=keepdims),
       lambda x, axis, keepdims: Prod.apply(x, axes=normalize_dims(axis, len(x.shape), "prod"), keepdim=keepdims))
define("cumsum", lambda x, axis: np.cumsum(x, axis=axis),
       lambda x, axis: CumSum.apply(x, dim=axis % builtins.max(len(x.shape), 1)))
define("cumprod", lambda x, axis: np.cumprod(x, axis=axis),
       lambda x, axis: CumProd.apply(x, dim=axis % builtins.max(len(x.shape), 1)))


# ---------------------------------------------------------------------- declarations
METHODS = {"sum": sum, "mean": mean, "var": var, "std": std, "amax": amax, "amin": amin, "max": max, "min": min,
           "argmax": argmax, "argmin": argmin, "logsumexp": logsumexp, "prod": prod, "norm": norm, "cumsum": cumsum,
           "cumprod": cumprod, "cummax": cummax, "cummin": cummin, "logcumsumexp": logcumsumexp, "any": any,
           "all": all, "nanmean": nanmean, "nansum": nansum, "count_nonzero": count_nonzero}
