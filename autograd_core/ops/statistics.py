"""Statistics: quantile, nanquantile, nanmedian, cov, corrcoef, aminmax, isin, histogram, trapezoid (trapz),
cumulative_trapezoid, gradient, renorm, dist.

All but ``NanMedian`` are compositions of recorded ops in PyTorch's own order of operations (its ATen
composites), so the values round as torch's do, the gradient reaches the inputs torch's reaches (quantile's
``q`` included) and every derivative order is exact. Selection (quantile, nanmedian(dim)) sorts on the data and
gathers the values from the input, so their gradient goes to the selected elements; at ties the element chosen
follows the stable sort (PyTorch leaves it unspecified). isin and histogram have no gradient.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .._inplace import _dtype_name as _tname  # PyTorch's dtype names (Float, Long, ...)
from .._tensor import Tensor, _make
from ._dims import normalize_dims
from .arithmetic import lerp
from .compare import where
from .indexing import gather_along
from .legacy import result_type
from .reduction import _Reduce, amax, amin, norm, return_type
from .reduction import cumsum as _cumsum
from .reduction import sum as _sum
from .shape import cat, movedim, narrow
from .sorting import _one_dim, _order, _select, sort

__all__ = [  # public functions (autograd_core.<name>)
    "quantile", "nanquantile", "nanmedian", "cov", "corrcoef", "aminmax", "isin", "histogram", "trapezoid", "trapz",
    "cumulative_trapezoid", "gradient", "renorm", "dist",
]

NanmedianResult = return_type("nanmedian")
AminmaxResult = return_type("aminmax", ("min", "max"))
HistogramResult = return_type("histogram", ("hist", "bin_edges"))


def _tensor(x: Any, op: str, what: str = "input", pos: int | None = 1) -> Tensor:
    if not isinstance(x, Tensor):
        at = f" (position {pos})" if pos is not None else ""
        raise TypeError(f"{op}(): argument '{what}'{at} must be Tensor, not {type(x).__name__}")
    return x


def _const(a: Any) -> Tensor:
    return _make(np.asarray(a), None, False)


# ---------------------------------------------------------------------- quantile, nanquantile
_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(x: Any, q: Any, dim: Any, keepdim: bool, interpolation: str, ignore_nan: bool, op: str) -> Tensor:
    x = _tensor(x, op)
    if isinstance(q, Tensor):
        qa = q._data
    elif isinstance(q, (int, float, np.floating, np.integer)) and not isinstance(q, bool):
        if not 0 <= q <= 1:
            raise RuntimeError(f"{op}() q must be in the range [0, 1] but got {q}")
        qa = np.asarray(q, dtype=x.dtype if x.dtype.kind == "f" else np.float64)
    else:
        raise TypeError(f"{op}(): argument 'q' (position 2) must be Tensor or float, not {type(q).__name__}")
    if x._data.size == 0:
        raise RuntimeError(f"{op}() input tensor must be non-empty (got shape {list(x.shape)})")
    if qa.ndim > 1:
        raise RuntimeError(f"{op}() q must be a scalar or 1D tensor (got shape {list(qa.shape)})")
    dt = x._data.dtype
    if dt not in (np.float32, np.float64):
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype (got {_tname(dt)}; convert "
                           "first with .float())")
    if isinstance(q, Tensor) and qa.dtype != dt:
        raise RuntimeError(f"{op}() q tensor must be same dtype as the input tensor (input {_tname(dt)}, q "
                           f"{_tname(qa.dtype)})")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{op}() interpolation must be one of linear, lower, higher, midpoint or nearest, but "
                           f"got {interpolation}")
    if not ((qa >= 0) & (qa <= 1)).all():
        raise RuntimeError(f"{op}() q values must be in the range [0, 1] (got {qa.tolist()})")

    # the reduced dim last: (*lead, n); lead is the output's shape without q's dim
    if dim is None:
        s = x.reshape(-1)
        out_shape = (1,) * x.ndim if keepdim else ()
    else:
        d = _one_dim(x, dim, op)
        if x.ndim == 0:
            s, out_shape = x.reshape(1), ()
        else:
            s = movedim(x, d, -1) if d != x.ndim - 1 else x
            out_shape = tuple(1 if i == d else n for i, n in enumerate(x.shape)) if keepdim else \
                tuple(n for i, n in enumerate(x.shape) if i != d)
    srt = sort(s, -1).values  # nan sorts last
    sa = srt._data
    n = sa.shape[-1]
    lead = sa.shape[:-1]
    qv = np.atleast_1d(qa).astype(dt)
    nq = qv.shape[0]
    nan = np.isnan(sa)
    # PyTorch's ranks, in the input's dtype: q * (n - 1), or q * (count of non-nan - 1) for nanquantile
    if ignore_nan:
        scale = (np.count_nonzero(~nan, axis=-1)[..., None] - 1).astype(dt)
        ranks = qv * scale
        fixed = ranks < 0  # a slice of nans only: rank 0, where the value is nan
        ranks = np.where(fixed, dt.type(0), ranks)
    else:
        scale = np.full(lead + (1,), n - 1, dtype=dt)
        fixed = np.broadcast_to(nan.any(axis=-1, keepdims=True), lead + (nq,))
        ranks = np.where(fixed, dt.type(n - 1), qv * scale)  # a slice with a nan: the last (nan) value
    ranks = np.broadcast_to(ranks, lead + (nq,))
    if interpolation == "lower":
        ranks = np.floor(ranks)
    elif interpolation == "higher":
        ranks = np.ceil(ranks)
    elif interpolation == "nearest":
        ranks = np.round(ranks)  # half to even, as torch.round
    below = ranks.astype(np.int64)
    out = gather_along(srt, below, -1)
    if interpolation in ("linear", "midpoint"):
        above = np.ceil(ranks).astype(np.int64)
        if interpolation == "midpoint":
            w = _const(np.full(ranks.shape, 0.5, dtype=dt))
        elif isinstance(q, Tensor) and q.requires_grad:
            # the weight is rank - floor(rank) with the rank a function of q: q gets its gradient, as in PyTorch
            qt = q.reshape(-1)
            rank = where(fixed, _const(ranks), qt * _const(scale))
            w = rank - _const(below.astype(dt))
        else:
            w = _const((ranks - below).astype(dt))
        out = lerp(out, gather_along(srt, above, -1), w)
    out = movedim(out, -1, 0) if out.ndim > 1 else out  # q's dim first
    if qa.ndim == 0:
        return out.reshape(out_shape)
    return out.reshape((nq,) + out_shape)


def quantile(input: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *,  # noqa: A002
             interpolation: str = "linear", out: Any = None) -> Tensor:
    """The q-th quantiles along ``dim`` (all elements if None), interpolating between the order statistics at
    rank q (n - 1) (linear, lower, higher, midpoint or nearest); q a number or a 1-D tensor (its dim first).
    nan in a slice gives nan."""
    if out is not None:
        raise TypeError("quantile: out= is not supported (results are new tensors in the graph)")
    return _quantile(input, q, dim, keepdim, interpolation, False, "quantile")


def nanquantile(input: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *,  # noqa: A002
                interpolation: str = "linear", out: Any = None) -> Tensor:
    """quantile ignoring nan (rank q (count of non-nan - 1)); a slice of nans only gives nan."""
    if out is not None:
        raise TypeError("nanquantile: out= is not supported (results are new tensors in the graph)")
    return _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")


# ---------------------------------------------------------------------- nanmedian
class NanMedian(_Reduce):
    """y = the lower median of the non-nan elements (nan if all are nan);  gx = g / k at the k elements equal to y
    (at the nans when y is nan: PyTorch's evenly_distribute_backward)"""

    fresh_grads = True

    def forward(self, x):
        self._setup(x, None, False)
        flat = x.reshape(-1)
        nan = np.isnan(flat) if x.dtype.kind == "f" else np.zeros(flat.shape, dtype=bool)
        ok = flat[~nan]
        if ok.size == 0:  # all nan (or no elements): nan, its gradient shared by the nans
            val = np.asarray(np.nan, dtype=x.dtype) if x.dtype.kind == "f" else flat[:1].reshape(())
            hit = np.isnan(x) if x.dtype.kind == "f" else np.zeros(x.shape, dtype=bool)
        else:
            k = (ok.size - 1) // 2
            val = np.partition(ok, k)[k]
            hit = x == val
        cnt = hit.sum()
        self.w = (hit / cnt).astype(x.dtype) if cnt else np.zeros(x.shape, dtype=x.dtype)
        return np.asarray(val, dtype=x.dtype)

    def backward(self, g):
        return self.xp.masked(self._expand(g), self.w)


def nanmedian(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A002
    """``nanmedian(x)``: the lower median of the non-nan elements (nan if there are none);
    ``nanmedian(x, dim)``: (values, indices) of it along ``dim`` (an all-nan slice gives nan at its first nan)."""
    x = _tensor(input, "nanmedian")
    if dim is None:
        if x._data.size == 0 and x.dtype.kind != "f":
            return _const(np.asarray(np.iinfo(np.int64).min if x.dtype.kind in "iu" else False, dtype=x.dtype))
        return NanMedian.apply(x)  # (no elements: nan, still a function of x)
    d = _one_dim(x, dim, "nanmedian")
    xs = x.reshape(1) if x.ndim == 0 else x
    if xs.shape[d] == 0:
        raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size. (nanmedian of shape "
                         f"{list(x.shape)})")
    a = xs._data
    order = _order(a, d, False)  # nan last
    nan = np.isnan(a) if a.dtype.kind == "f" else np.zeros(a.shape, dtype=bool)
    cnt = np.count_nonzero(~nan, axis=d, keepdims=True)
    idx = np.take_along_axis(order, np.maximum((cnt - 1) // 2, 0), axis=d)
    if (cnt == 0).any():  # an all-nan slice: nan, at the index PyTorch's selection leaves in front
        idx = np.where(cnt == 0, _nth_of_equivalents(a.shape[d]), idx)
    res = _select(xs, idx, d, keepdim or x.ndim == 0, NanmedianResult)
    if x.ndim == 0:
        return NanmedianResult(res.values.reshape(()), res.indices.reshape(()))
    return res


@functools.lru_cache(maxsize=64)
def _nth_of_equivalents(n: int) -> int:
    """The index std::nth_element (libstdc++'s introselect, which PyTorch's CPU nanmedian calls on the slice's
    indices) leaves at position 0 when all n elements compare equivalent (an all-nan slice): the pivot moves and
    the partition's swaps, replayed. Elsewhere the comparison is a strict order and the result the stable sort's."""
    idx = list(range(n))
    first, last = 0, n
    while last - first > 3:
        mid = first + (last - first) // 2
        idx[first], idx[mid] = idx[mid], idx[first]  # the median of three equivalents: the middle one
        f, lo = first + 1, last
        while True:  # the unguarded partition: every comparison false, so it swaps inwards from both ends
            lo -= 1
            if not f < lo:
                break
            idx[f], idx[lo] = idx[lo], idx[f]
            f += 1
        last = f  # the cut lies beyond position 0: select in the left part
    return idx[0]


# ---------------------------------------------------------------------- cov, corrcoef
def _weights(w: Any, name: str, n: int, integral: bool) -> Tensor:
    w = _tensor(w, "cov", name, None)
    if w.ndim > 1:
        raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got {name} with {w.ndim} "
                           "dimensions")
    if integral and w.dtype.kind not in "iu":
        raise RuntimeError(f"cov(): expected {name} to have integral dtype but got {name} with "
                           f"{_tname(w.dtype)} dtype")
    if not integral and w.dtype.kind != "f":
        raise RuntimeError(f"cov(): expected {name} to have floating point dtype but got {name} with "
                           f"{_tname(w.dtype)} dtype")
    if w._data.size != n:
        raise RuntimeError(f"cov(): expected {name} to have the same numel as there are observations in the input "
                           f"but got {w._data.size} != {n}")
    if (w._data < 0).any():
        raise RuntimeError(f"cov(): {name} cannot be negative")
    return w


def cov(input: Tensor, *, correction: int = 1, fweights: Any = None, aweights: Any = None) -> Tensor:  # noqa: A002
    """Covariance of the variables in input's rows (observations in columns; a 1-D input is one variable):
    sum_k w_k (x_ik - m_i)(x_jk - m_j) / (sum w - correction), with frequency and/or reliability weights."""
    x = _tensor(input, "cov")
    if x.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with {x.ndim} "
                           "dimensions")
    if x.dtype == np.bool_:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    if isinstance(correction, bool) or not isinstance(correction, (int, np.integer)):
        raise TypeError(f"cov(): argument 'correction' must be int, not {type(correction).__name__}")
    if x.ndim < 2:
        x = x.reshape(1, -1)
    n = x.shape[1]
    w = None
    if fweights is not None:
        w = _weights(fweights, "fweights", n, True)
    if aweights is not None:
        aw = _weights(aweights, "aweights", n, False)
        w = aw if w is None else w * aw
    # PyTorch's composite (ATen cov), step by step: weighted sums over the observations, one matrix product
    if w is None:
        w_sum: Any = n
    else:
        w_sum = w.sum()
        if w_sum._data.item() == 0:
            raise RuntimeError("cov(): weights sum to zero, can't be normalized")
    avg = _sum(x if w is None else x * w, 1) / w_sum
    if w is None:
        norm_factor: Any = n - correction
    elif correction == 0:
        norm_factor = w_sum
    elif aweights is None:
        norm_factor = w_sum - correction
    elif fweights is None and n == 1 and correction == 1:
        norm_factor = 0  # (PyTorch's special case, to match numpy exactly)
    else:
        norm_factor = w_sum - correction * _sum(w * aw) / w_sum
    nf = norm_factor._data if isinstance(norm_factor, Tensor) else norm_factor
    if nf <= 0:
        import warnings

        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of "
                      "observations.", UserWarning, stacklevel=2)
        norm_factor = 0  # PyTorch zeroes it: inf/nan entries, no gradient through the factor
    if n == 1 and (fweights is None) != (aweights is None):
        # one observation and one kind of weights: the deviations are exactly 0 (PyTorch zeroes them, in place
        # in the input itself; here a new constant, the input is left alone)
        # still a function of x (with a zero gradient), as PyTorch's zeroed tensor stays in the graph
        xc = where(np.ones(x.shape, dtype=bool), _const(np.zeros((), dtype=x.dtype)), x) if x.dtype.kind == "f" \
            else _const(np.zeros(x.shape, dtype=np.float32))
    else:
        xc = x - avg.unsqueeze(1)
    c = xc @ (xc if w is None else xc * w).T
    with np.errstate(divide="ignore", invalid="ignore"):
        return (c / norm_factor).squeeze()


def corrcoef(input: Tensor) -> Tensor:  # noqa: A002
    """Pearson correlation coefficients of the rows of input: cov / (std_i std_j), clipped to [-1, 1]."""
    x = _tensor(input, "corrcoef")
    if x.ndim > 2:
        raise RuntimeError(f"corrcoef(): expected input to have two or fewer dimensions but got an input with "
                           f"{x.ndim} dimensions")
    c = cov(x)
    if c.ndim == 0:
        with np.errstate(divide="ignore", invalid="ignore"):
            return c / c  # one variable: 1, or nan for a constant / non-finite one
    std = c.diagonal().sqrt()
    with np.errstate(divide="ignore", invalid="ignore"):
        c = c / std.reshape(-1, 1)
        c = c / std.reshape(1, -1)
    return c.clip(-1, 1)


# ---------------------------------------------------------------------- aminmax
def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> Any:  # noqa: A002
    """(min, max) over ``dim`` (all elements if None); ties share each gradient, as amin/amax."""
    x = _tensor(input, "aminmax")
    if dim is not None and (isinstance(dim, bool) or not isinstance(dim, (int, np.integer))):
        raise TypeError(f"aminmax(): argument 'dim' must be int, not {type(dim).__name__}")
    if dim is None:
        if x._data.size == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                               f"identity. (input of shape {list(x.shape)}; pass dim= to reduce a non-empty dim)")
        axes: Any = ()
    else:
        d = _one_dim(x, dim, "aminmax")
        if x.ndim and x.shape[d] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {d} to have non-zero size. (input of shape "
                             f"{list(x.shape)})")
        axes = d
    return AminmaxResult(amin(x, axes, keepdim), amax(x, axes, keepdim))


# ---------------------------------------------------------------------- isin (no gradient)
def isin(elements: Any, test_elements: Any, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """Whether each element of ``elements`` is in ``test_elements`` (either may be a number): a bool tensor of
    elements' shape, no gradient; nan is in nothing. (``assume_unique`` is accepted; the result is the same.)"""
    te, tt = isinstance(elements, Tensor), isinstance(test_elements, Tensor)
    if not (te or tt):
        raise TypeError(f"isin() received an invalid combination of arguments - got ({type(elements).__name__}, "
                        f"{type(test_elements).__name__}): at least one of elements and test_elements must be a "
                        "Tensor")
    for v, name in ((elements, "elements"), (test_elements, "test_elements")):
        if not isinstance(v, (Tensor, bool, int, float, np.number)):
            raise TypeError(f"isin(): argument '{name}' must be Tensor or Number, not {type(v).__name__}")
        if (v._data.dtype if isinstance(v, Tensor) else np.asarray(v).dtype) == np.bool_:
            raise RuntimeError("Unsupported input type encountered for isin(): Bool")
    dt = result_type(elements, test_elements)  # compared in the promoted dtype, as in PyTorch
    a = elements._data if te else np.asarray(elements)
    b = test_elements._data if tt else np.asarray(test_elements)
    res = np.isin(a.astype(dt, copy=False), b.astype(dt, copy=False).reshape(-1), invert=bool(invert))
    return _make(np.asarray(res, dtype=bool), None, False)


# ---------------------------------------------------------------------- histogram (no gradient)
def _linspace(lo: float, hi: float, steps: int, dt: np.dtype) -> np.ndarray:
    """PyTorch's CPU linspace in dtype dt: start + i step for the first half, end - (steps - 1 - i) step after,
    each a fused multiply-add (one rounding of the exact value, as its compiled kernel does): the bin edges then
    match torch's to the bit, and so does which bin a value on an edge falls in."""
    from fractions import Fraction

    start, end = dt.type(lo), dt.type(hi)
    step = (end - start) / dt.type(steps - 1)
    fs, fe, fstep = Fraction(float(start)), Fraction(float(end)), Fraction(float(step))
    half = steps // 2
    vals = [float(fs + fstep * i) if i < half else float(fe - fstep * (steps - 1 - i)) for i in range(steps)]
    return np.array(vals, dtype=np.float64).astype(dt)


def histogram(input: Tensor, bins: Any = 100, *, range: Any = None, weight: Any = None,  # noqa: A002
              density: bool = False, out: Any = None) -> Any:
    """(hist, bin_edges): counts (or summed ``weight``) of the elements in each bin; ``bins`` a count of equal
    bins over ``range`` (the data's [min, max] by default) or a 1-D tensor of increasing edges. The last bin
    holds its right edge; ``density`` divides by the total and the bin widths. No gradient."""
    if out is not None:
        raise TypeError("histogram: out= is not supported (results are new tensors)")
    x = _tensor(input, "histogram")
    a = x._data
    dt = a.dtype
    if dt.kind != "f":
        raise NotImplementedError(f'"histogramdd" not implemented for \'{_tname(dt)}\' (histogram takes floating '
                                  "point input: convert with .float())")
    if isinstance(bins, Tensor):
        edges = bins._data
        if edges.ndim != 1:
            raise RuntimeError(f"torch.histogramdd: bins tensor should have one dimension, but got {edges.ndim} "
                               "dimensions in the bins tensor for dimension 0")
        if edges.dtype != dt:
            raise RuntimeError(f"torch.histogramdd: input tensor and bins tensors should have the same dtype, but got "
                               f"input with dtype {_tname(dt).lower()} and bins for dimension 0 with dtype "
                               f"{_tname(edges.dtype).lower()}")
        if edges.size - 1 <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {edges.size - 1} for dimension 0")
        if range is not None:
            raise TypeError("histogram(): range= applies to an integer bins count, not to a bins tensor")
    else:
        if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)):
            raise TypeError(f"histogram(): argument 'bins' (position 2) must be int or Tensor, not "
                            f"{type(bins).__name__}")
        if bins <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
        if range is not None:
            if len(range) != 2:
                raise RuntimeError(f"torch.histogramdd: for a 1-dimensional histogram range should have 2 elements, "
                                   f"but got {len(range)}")
            lo, hi = float(range[0]), float(range[1])
        elif a.size:
            lo, hi = float(a.min()), float(a.max())
        else:
            lo, hi = 0.0, 1.0  # numpy's default range for no data
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise RuntimeError(f"torch.histogramdd: dimension 0's range [{lo:g}, {hi:g}] is not finite")
        if lo > hi:
            raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min {lo:g} max {hi:g} for "
                               "dimension 0")
        if lo == hi:  # an empty range widens to one unit, as numpy.histogram
            lo, hi = lo - 0.5, hi + 0.5
        edges = _linspace(lo, hi, int(bins) + 1, dt)
    nb = edges.size - 1
    flat = a.reshape(-1)
    w = None
    if weight is not None:
        wt = _tensor(weight, "histogram", "weight", None)
        if wt.shape != x.shape:
            raise RuntimeError(f"torch.histogramdd: if weight tensor is provided it should have the same shape as the "
                               f"input tensor excluding its innermost dimension, but got input with shape "
                               f"{list(x.shape)} and weight with shape {list(wt.shape)}")
        if wt.dtype != dt:
            raise RuntimeError("torch.histogramdd: if weight tensor is provided, input tensor and weight tensor "
                               f"should have the same dtype, but got input({_tname(dt).lower()}), and "
                               f"weight({_tname(wt.dtype).lower()})")
        w = wt._data.reshape(-1)
    with np.errstate(invalid="ignore"):
        keep = (flat >= edges[0]) & (flat <= edges[-1])  # outside the edges (and nan): not counted
    pos = np.searchsorted(edges, flat[keep], side="right") - 1
    pos = np.minimum(pos, nb - 1)  # the last bin holds its right edge
    hist = np.bincount(pos, weights=None if w is None else w[keep], minlength=nb)[:nb].astype(dt)
    if density:
        with np.errstate(divide="ignore", invalid="ignore"):
            hist = (hist / hist.sum(dtype=dt)) / np.diff(edges)
        hist = hist.astype(dt)
    return HistogramResult(_const(hist), _const(np.array(edges, dtype=dt)))


# ---------------------------------------------------------------------- trapezoid, cumulative_trapezoid
def _y(y: Any, op: str) -> Tensor:
    y = _tensor(y, op, "y")
    if y.dtype == np.bool_:
        raise RuntimeError(f"{op}: received a bool input for `y`, but bool is not supported")
    return y


def _dx_number(dx: Any, op: str) -> float:
    if isinstance(dx, Tensor) and dx.ndim == 0:
        dx = dx.item()
    if isinstance(dx, bool) or not isinstance(dx, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}(): argument 'dx' must be Number, not {type(dx).__name__}")
    return float(dx)


def _spacing(y: Tensor, x: Tensor, d: int, op: str) -> Tensor:
    """x's differences along d, x viewed against y as PyTorch does (not broadcast to y first, as numpy)."""
    if x.dtype == np.bool_:
        raise RuntimeError(f"{op}: received a bool input for `x` or `y`, but bool is not supported")
    if x.ndim == 1:
        if x.shape[0] != y.shape[d]:
            raise RuntimeError(f"{op}: There must be one `x` value for each sample point (x has {x.shape[0]}, y has "
                               f"{y.shape[d]} along dim {d})")
        xv = x.reshape([x.shape[0] if i == d else 1 for i in range(y.ndim)])
    elif x.ndim < y.ndim:
        xv = x.reshape((1,) * (y.ndim - x.ndim) + tuple(x.shape))
    else:
        xv = x
    return _sl(xv, d, 1) - _sl(xv, d, 0, -1)


def _trapezoid(y: Any, x: Any, dx: Any, dim: int, op: str) -> Tensor:
    y = _y(y, op)
    if y.ndim == 0:
        raise IndexError(f"{op}: Dimension specified as {dim} but tensor has no dimensions")
    d = _wrap_dim(dim, y.ndim, op)
    n = y.shape[d]
    if isinstance(x, Tensor):
        if dx is not None:
            raise TypeError(f"{op}(): pass either x (a tensor of sample points) or dx (a number), not both")
        if n == 0:  # no samples: 0, as numpy (before x is looked at)
            return _zeros_except(y, d)
        dxs = _spacing(y, x, d, op)
        # PyTorch: ((y[1:] + y[:-1]) * dx).sum(dim) / 2
        return _sum((narrow(y, d, 1, n - 1) + narrow(y, d, 0, n - 1)) * dxs, d) / 2.0
    if x is not None:
        raise TypeError(f"{op}() received an invalid combination of arguments: x must be a Tensor (got "
                        f"{type(x).__name__}); pass a constant spacing as dx=")
    h = 1.0 if dx is None else _dx_number(dx, op)
    if n == 0:
        return _zeros_except(y, d)
    # PyTorch's constant-spacing form: (sum(y) - (y_first + y_last) / 2) * dx
    return (_sum(y, d) - (y.select(d, 0) + y.select(d, -1)) * 0.5) * h


def _zeros_except(y: Tensor, d: int) -> Tensor:
    shape = tuple(s for i, s in enumerate(y.shape) if i != d)
    return _const(np.zeros(shape, dtype=y.dtype))  # in y's dtype, integers too (PyTorch's zeros(y.options()))


def _wrap_dim(dim: Any, nd: int, op: str) -> int:
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
    n = max(nd, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim}) "
                         f"({op})")
    return int(dim) % n


def trapezoid(y: Tensor, x: Any = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """The trapezoid rule along ``dim``: sum_i (y_i + y_(i+1)) / 2 * (x_(i+1) - x_i), sample points x (a tensor)
    or a constant spacing dx (default 1)."""
    return _trapezoid(y, x, dx, dim, "trapezoid")


def trapz(y: Tensor, x: Any = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """trapezoid's older name."""
    return _trapezoid(y, x, dx, dim, "trapz")


def cumulative_trapezoid(y: Tensor, x: Any = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """The running trapezoid rule along ``dim`` (one value fewer than y along it)."""
    op = "cumulative_trapezoid"
    y = _y(y, op)
    if y.ndim == 0:
        raise IndexError("slice() cannot be applied to a 0-dim tensor. (cumulative_trapezoid of a 0-d y)")
    d = _wrap_dim(dim, y.ndim, op)
    n = y.shape[d]
    m = max(n - 1, 0)
    left, right = _sl(y, d, 0, m), _sl(y, d, 1)
    if isinstance(x, Tensor):
        if dx is not None:
            raise TypeError(f"{op}(): pass either x (a tensor of sample points) or dx (a number), not both")
        # PyTorch: ((left + right) * dx).cumsum(dim) / 2
        return _cumsum((left + right) * _spacing(y, x, d, op), d) / 2.0
    if x is not None:
        raise TypeError(f"{op}() received an invalid combination of arguments: x must be a Tensor (got "
                        f"{type(x).__name__}); pass a constant spacing as dx=")
    h = 1.0 if dx is None else _dx_number(dx, op)
    return _cumsum((left + right) * (h / 2.0), d)  # PyTorch: (dx / 2 * (left + right)).cumsum(dim)


# ---------------------------------------------------------------------- gradient
def _gradient_args(x: Tensor, spacing: Any, dim: Any) -> tuple[list[int], list, bool]:
    """(dims, spacings, coordinates?) from torch.gradient's overloads."""
    if dim is None:
        dims = list(range(x.ndim))
    elif isinstance(dim, (int, np.integer)) and not isinstance(dim, bool):
        dims = [int(dim)]
    elif isinstance(dim, (list, tuple)):
        dims = [int(d) for d in dim]
    else:
        raise TypeError(f"gradient(): argument 'dim' must be int or tuple of ints, not {type(dim).__name__}")
    coords = False
    if spacing is None:
        sp: list = [1.0] * len(dims)
    elif isinstance(spacing, (int, float, np.integer, np.floating)) and not isinstance(spacing, bool):
        sp = [spacing] * len(dims)
    elif isinstance(spacing, (list, tuple)):
        sp = list(spacing)
        if sp and all(isinstance(s, Tensor) for s in sp):
            coords = True
        else:
            # a list holding a tensor is read as coordinates: its first non-tensor is the wrong element (PyTorch)
            tensors = any(isinstance(s, Tensor) for s in sp)
            for i, s in enumerate(sp):
                if (not isinstance(s, Tensor)) if tensors else not isinstance(s, (int, float, np.integer, np.floating)):
                    raise TypeError(f"expected Tensor as element {i} in argument 1, but got {type(s).__name__} "
                                    "(spacing is a number, a list of numbers, or a list of 1-D coordinate tensors)")
        n_sp = len(sp)
        if dim is None and n_sp != x.ndim:
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar, or a list of length "
                               f"equal to 'self.dim() = {x.ndim}', since dim argument was not given, but got a list "
                               f"of length {n_sp}")
        if dim is not None and n_sp != len(dims):
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim "
                               f"arguments to have the same length, but got a spacing argument of length {n_sp} and "
                               f"a dim argument of length {len(dims)}.")
    else:
        raise TypeError(f"gradient(): argument 'spacing' must be a Number or a tuple of Numbers or Tensors, not "
                        f"{type(spacing).__name__} (wrap a coordinate tensor in a list: spacing=[t])")
    return dims, sp, coords


def gradient(input: Tensor, *, spacing: Any = 1, dim: Any = None, edge_order: int = 1) -> tuple[Tensor, ...]:  # noqa: A002
    """The derivative estimated by central differences inside and one-sided ones at the edges (first or second
    order), along each of ``dim`` (all dims by default), one tensor per dim; ``spacing`` a number, one per dim,
    or 1-D coordinate tensors (unevenly spaced samples)."""
    x = _tensor(input, "gradient")
    if x.dtype == np.uint8:
        raise RuntimeError("torch.gradient does not support uint8 input.")
    dims, sp, coords = _gradient_args(x, spacing, dim)
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    if dim is not None:
        normalize_dims(dims, x.ndim, "gradient")  # range and repeats
    for d in dims:
        if x.shape[d] < edge_order + 1:
            raise RuntimeError(f"torch.gradient expected each dimension size to be at least edge_order+1 (dim {d} "
                               f"has size {x.shape[d]}, edge_order={edge_order})")
    if x.dtype == np.bool_:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                           "`logical_xor()` operator instead. (torch.gradient of a bool tensor)")
    out = []
    for d, s in zip(dims, sp):
        d %= max(x.ndim, 1)
        out.append(_gradient_coords(x, s, d, edge_order) if coords else _gradient_uniform(x, s, d, edge_order))
    return tuple(out)


def _sl(x: Tensor, d: int, start: int, stop: int | None = None) -> Tensor:
    """x[start:stop] along d, Python slice semantics (negative bounds count from the end)."""
    n = x.shape[d]
    lo, hi, _ = slice(start, stop).indices(n)
    return narrow(x, d, lo, max(hi - lo, 0))


def _gradient_uniform(x: Tensor, h: Any, d: int, edge_order: int) -> Tensor:
    # PyTorch's formulas (gradient_helper_float), term by term
    center = (_sl(x, d, 2) - _sl(x, d, 0, -2)) / h
    if edge_order == 1:
        first = (_sl(x, d, 1, 2) - _sl(x, d, 0, 1)) / h
        last = (_sl(x, d, -1) - _sl(x, d, -2, -1)) / h
    else:
        first = (_sl(x, d, 0, 1) * -1.5 + _sl(x, d, 1, 2) * 2 - _sl(x, d, 2, 3) * 0.5) / h
        last = (_sl(x, d, -3, -2) * 0.5 + _sl(x, d, -2, -1) * -2 + _sl(x, d, -1) * 1.5) / h
    return cat([first, center / 2, last], d)


def _gradient_coords(x: Tensor, c: Tensor, d: int, edge_order: int) -> Tensor:
    if c.ndim != 1:
        raise RuntimeError(f"torch.gradient expected each element of spacing to have one dimension, but got an "
                           f"element with {c.ndim} dimensions!")
    shape = [1] * x.ndim
    shape[d] = -1
    ax = c[1:] - c[:-1]  # PyTorch's coordinates.diff(1, 0)
    dx1, dx2 = ax[:-1], ax[1:]
    a = (-dx2 / (dx1 * (dx1 + dx2))).reshape(shape)
    b = ((dx2 - dx1) / (dx1 * dx2)).reshape(shape)
    cc = (dx1 / (dx2 * (dx1 + dx2))).reshape(shape)
    center = a * _sl(x, d, 0, -2) + b * _sl(x, d, 1, -1) + cc * _sl(x, d, 2)
    if edge_order == 1:
        first = (_sl(x, d, 1, 2) - _sl(x, d, 0, 1)) / ax[0]
        last = (_sl(x, d, -1) - _sl(x, d, -2, -1)) / ax[-1]
    else:
        a = -(2.0 * ax[0] + ax[1]) / (ax[0] * (ax[0] + ax[1]))
        b = (ax[0] + ax[1]) / (ax[0] * ax[1])
        cc = (-ax[0]) / (ax[1] * (ax[0] + ax[1]))
        first = a * _sl(x, d, 0, 1) + b * _sl(x, d, 1, 2) + cc * _sl(x, d, 2, 3)
        a = ax[-1] / (ax[-2] * (ax[-1] + ax[-2]))
        b = -(ax[-1] + ax[-2]) / (ax[-1] * ax[-2])
        cc = (2 * ax[-1] + ax[-2]) / (ax[-1] * (ax[-1] + ax[-2]))
        last = a * _sl(x, d, -3, -2) + b * _sl(x, d, -2, -1) + cc * _sl(x, d, -1)
    return cat([first, center, last], d)


# ---------------------------------------------------------------------- renorm, dist
def renorm(input: Tensor, p: Any, dim: int, maxnorm: Any) -> Tensor:  # noqa: A002
    """Each slice along ``dim`` whose p-norm exceeds maxnorm scaled to norm maxnorm (by maxnorm / (norm + 1e-7));
    the others unchanged."""
    x = _tensor(input, "renorm")
    if x.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {x.ndim} dimensions")
    d = _wrap_dim(dim, x.ndim, "renorm")
    p, maxnorm = float(p), float(maxnorm)
    if not p > 0:
        raise RuntimeError(f"renorm: non-positive-norm not supported (got p={p:g})")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm:g}")
    if x.dtype.kind != "f":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{_tname(x.dtype)} (renorm: convert first with .float())")
    dims = tuple(i for i in range(x.ndim) if i != d)
    # the norms in float64, as PyTorch's CPU kernel accumulates them: |x|^p of a large float32 would overflow
    xn = x if x.dtype == np.float64 else x.to(np.float64)
    big = norm(xn.detach(), p, dims, True)._data > maxnorm
    if not big.any():
        return x * _const(np.ones((), dtype=x.dtype))  # every slice within maxnorm: unchanged (a new tensor)
    # the norm that scales, taken over the slices that exceed maxnorm only: the others (factor 1, no gradient) give
    # it zero slices, whose norm gradient is 0, so a zero element there cannot turn 0 * |0|^(p-1) into nan
    nrm = norm(where(np.broadcast_to(big, x.shape), xn, _const(np.zeros((), dtype=np.float64))), p, dims, True)
    # PyTorch's scale factor: maxnorm / (norm + 1e-7) where the norm is too large, else 1
    factor = where(big, maxnorm / (nrm + 1e-7), _const(np.ones((), dtype=np.float64)))
    return x * (factor if x.dtype == np.float64 else factor.to(x.dtype))


def dist(input: Tensor, other: Tensor, p: Any = 2) -> Tensor:  # noqa: A002
    """The p-norm of input - other (broadcast): ||input - other||_p (p = 0 counts the differing elements)."""
    a = _tensor(input, "dist", "input", 1)
    b = _tensor(other, "dist", "other", 2)
    diff = a - b
    if diff.dtype.kind not in "fc":
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. Got "
                           f"{_tname(diff.dtype)} instead. (dist: convert first with .float())")
    if p == 0:
        # the count of nonzero differences, a function of the inputs with a zero gradient (as PyTorch's)
        zero = where(np.zeros(diff.shape, dtype=bool), diff, _const(np.zeros((), dtype=diff.dtype))).sum()
        return zero + _const(np.asarray(np.count_nonzero(diff._data), dtype=diff.dtype))
    return norm(diff, p)


# ---------------------------------------------------------------------- declarations
METHODS: dict[str, Any] = {  # Tensor methods
    "quantile": quantile, "nanquantile": nanquantile, "nanmedian": nanmedian, "cov": cov, "corrcoef": corrcoef,
    "aminmax": aminmax, "histogram": histogram, "renorm": renorm, "dist": dist,
}
