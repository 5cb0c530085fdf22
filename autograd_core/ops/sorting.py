"""Sorting and selection: sort, argsort, topk, kthvalue, median, mode, unique, searchsorted, bincount, histc.

The order (argsort) is computed on the data; the values are then gathered from the input (``Gather``), so
their gradient goes to the selected elements through the same node max(dim) uses. Ties keep their input
order (a stable sort); PyTorch leaves the order of ties unspecified unless ``stable=True``. nan sorts as the
largest value, as in PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor, _make
from ._dims import normalize_dims
from .indexing import gather_along
from .reduction import _Reduce, return_type

__all__ = [  # public functions (autograd_core.<name>)
    "sort", "argsort", "msort", "topk", "kthvalue", "median", "mode", "unique", "unique_consecutive",
    "searchsorted", "bucketize", "bincount", "histc",
]

SortResult = return_type("sort")
TopkResult = return_type("topk")
KthvalueResult = return_type("kthvalue")
MedianResult = return_type("median")
ModeResult = return_type("mode")


def _long(a: Any) -> Tensor:
    return _make(np.asarray(a, dtype=np.int64), None, False)


def _one_dim(x: Tensor, dim: Any, op: str) -> int:
    if isinstance(dim, (list, tuple)):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
    (d,) = normalize_dims(dim, x.ndim, op) or (0,)
    return d


def _order(a: np.ndarray, d: int, descending: bool) -> np.ndarray:
    """Stable argsort along d; descending keeps ties in input order too (nan first, as the largest)."""
    if not descending:
        return np.argsort(a, axis=d, kind="stable")
    n = a.shape[d]
    # sort the reversed array ascending (stable), then reverse: equal elements come out in input order
    return (n - 1) - np.flip(np.argsort(np.flip(a, d), axis=d, kind="stable"), d)


def _as_1d(x: Tensor) -> tuple[Tensor, bool]:
    """A 0-d tensor as a 1-element vector (PyTorch sorts/selects it as such); whether it was 0-d."""
    if x.ndim:
        return x, False
    return x.reshape(1), True


def sort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
    """(values, indices) sorted along ``dim``; ties keep input order (``stable`` is accepted, always true)."""
    d = _one_dim(x, dim, "sort")
    xs, zero_d = _as_1d(x)
    idx = _order(xs._data, d, bool(descending))
    values = gather_along(xs, idx, d) if xs._data.size else xs.clone()
    if zero_d:
        return SortResult(values.reshape(()), _long(idx.reshape(())))
    return SortResult(values, _long(idx))


def argsort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort ``x`` along ``dim`` (int64, no gradient)."""
    d = _one_dim(x, dim, "argsort")
    if x.ndim == 0:
        return _long(0)
    return _long(_order(x._data, d, bool(descending)))


def msort(x: Tensor) -> Tensor:
    """``sort(x, dim=0).values``."""
    return sort(x, 0).values


def topk(x: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
    """(values, indices) of the k largest (``largest=False``: smallest) elements along ``dim``, in order."""
    d = _one_dim(x, dim, "topk")
    k = int(k)
    if x.ndim == 0 and k in (0, 1):  # PyTorch returns (a copy of) the element for k = 0 too
        return TopkResult(x.clone(), _long(0))
    xs, zero_d = _as_1d(x)
    n = xs.shape[d]
    if not 0 <= k <= n:
        raise RuntimeError(f"selected index k out of range (topk: k={k} for a dimension of size {n}, input shape "
                           f"{list(x.shape)}, dim={dim})")
    idx = np.take(_order(xs._data, d, bool(largest)), np.arange(k), axis=d)
    values = gather_along(xs, idx, d) if idx.size or k else _empty_like_values(xs, d)
    if zero_d:
        return TopkResult(values.reshape(()), _long(idx.reshape(())))
    return TopkResult(values, _long(idx))


def _empty_like_values(x: Tensor, d: int) -> Tensor:
    """x with no elements along d, still recorded (so it requires grad when x does, as in PyTorch); an
    advanced index, so that it is a new tensor and not a view (in-place ops on it are allowed)."""
    return x[(slice(None),) * d + (np.zeros(0, dtype=np.int64),)]


def _select(x: Tensor, idx: np.ndarray, d: int, keepdim: bool, result: type) -> Any:
    """(x gathered at idx along d, idx): idx keeps dim d with size 1."""
    values = gather_along(x, idx, d)
    if not keepdim:
        values = values.squeeze(d)
        idx = np.squeeze(idx, d)
    return result(values, _long(idx))


def _check_nonempty(x: Tensor, d: int, op: str) -> None:
    if x.shape[d] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size (input of shape "
                         f"{list(x.shape)})")


def kthvalue(x: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    """(values, indices) of the k-th smallest element (1-based) along ``dim``."""
    d = _one_dim(x, dim, "kthvalue")
    xs, zero_d = _as_1d(x)
    n = xs.shape[d]
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d} (k={k}, size {n})")
    idx = np.take(_order(xs._data, d, False), [k - 1], axis=d)
    out = _select(xs, idx, d, keepdim or zero_d, KthvalueResult)
    return KthvalueResult(out.values.reshape(()), out.indices.reshape(())) if zero_d else out


class Median(_Reduce):
    """y = the lower median of all elements;  gx = g / k at the k elements equal to y (nan: at the nans)"""

    fresh_grads = True

    def forward(self, x):
        self._setup(x, None, False)
        flat = x.reshape(-1)
        nan = np.isnan(flat) if x.dtype.kind == "f" else np.zeros(flat.shape, dtype=bool)
        if nan.any():  # nan propagates; the gradient is shared by the nans (PyTorch's evenly_distribute_backward)
            val = flat[nan][0]
            hit = np.isnan(x)
        else:
            val = np.partition(flat, (flat.size - 1) // 2)[(flat.size - 1) // 2]
            hit = x == val
        self.w = (hit / hit.sum()).astype(x.dtype)
        return np.asarray(val, dtype=x.dtype)

    def backward(self, g):
        return self.xp.masked(self._expand(g), self.w)


def median(x: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """``median(x)``: the lower of the two middle values of all elements (nan if any is nan);
    ``median(x, dim)``: (values, indices) along ``dim``."""
    if dim is None:
        if x._data.size == 0:
            return _make(np.asarray(np.nan, dtype=x._data.dtype if x._data.dtype.kind == "f" else np.float32),
                         None, False)
        return Median.apply(x)
    d = _one_dim(x, dim, "median")
    xs, zero_d = _as_1d(x)
    _check_nonempty(xs, d, "median")
    a = xs._data
    n = a.shape[d]
    idx = np.take(_order(a, d, False), [(n - 1) // 2], axis=d)
    if a.dtype.kind == "f":
        nan = np.isnan(a)
        has = nan.any(axis=d, keepdims=True)
        if has.any():  # a slice holding nan has median nan, at its first nan
            idx = np.where(has, np.argmax(nan, axis=d, keepdims=True), idx)
    out = _select(xs, idx, d, keepdim or zero_d, MedianResult)
    return MedianResult(out.values.reshape(()), out.indices.reshape(())) if zero_d else out


def mode(x: Tensor, dim: int = -1, keepdim: bool = False) -> Any:
    """(values, indices): the most frequent value along ``dim`` (the smallest among equally frequent ones) and
    the index of its last occurrence."""
    d = _one_dim(x, dim, "mode")
    xs, zero_d = _as_1d(x)
    _check_nonempty(xs, d, "mode")
    a = np.moveaxis(xs._data, d, -1)
    rows = a.reshape(-1, a.shape[-1])
    idx = np.empty(rows.shape[0], dtype=np.int64)
    for r, row in enumerate(rows):
        vals, counts = np.unique(row, return_counts=True)
        best = vals[np.argmax(counts)]  # np.unique sorts: the first maximal count is the smallest value
        idx[r] = np.flatnonzero(row == best)[-1] if best == best else np.flatnonzero(row != row)[-1]
    idx = np.expand_dims(idx.reshape(a.shape[:-1]), d)
    out = _select(xs, idx, d, keepdim or zero_d, ModeResult)
    return ModeResult(out.values.reshape(()), out.indices.reshape(())) if zero_d else out


# ---------------------------------------------------------------------- unique, counting, binning (no gradient)
def _arr(x: Any) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def unique(x: Tensor, sorted: bool = True, return_inverse: bool = False,  # noqa: A002 - PyTorch's name
           return_counts: bool = False, dim: Any = None) -> Any:
    """The distinct values (sorted; with ``dim``, the distinct slices along it), optionally the inverse
    indices (input position -> position in the result) and the counts. No gradient."""
    a = _arr(x)
    if dim is None:
        vals, inv, counts = np.unique(a.reshape(-1), return_inverse=True, return_counts=True, equal_nan=False)
        inv = inv.reshape(a.shape)
    else:
        d = _unique_dim(a, dim, "unique")
        if a.shape[d] == 0:
            vals, inv, counts = a, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        else:
            vals, inv, counts = np.unique(a, return_inverse=True, return_counts=True, axis=d, equal_nan=False)
        inv = inv.reshape(-1)
    out = _make(np.ascontiguousarray(vals), None, False)
    if not (return_inverse or return_counts):
        return out
    res = [out]
    if return_inverse:
        res.append(_long(inv))
    if return_counts:
        res.append(_long(counts))
    return tuple(res)


def _unique_dim(a: np.ndarray, dim: Any, op: str) -> int:
    d = normalize_dims(dim, a.ndim, op)[0]  # type: ignore[index]
    if any(s == 0 for i, s in enumerate(a.shape) if i != d):
        raise RuntimeError(f"There are 0 sized dimensions, and they aren't selected, so unique cannot be applied "
                           f"({op} of shape {list(a.shape)} along dim {d})")
    return d


def unique_consecutive(x: Tensor, return_inverse: bool = False, return_counts: bool = False,
                       dim: Any = None) -> Any:
    """Collapse runs of equal consecutive values (slices along ``dim``); optional inverse and counts."""
    a = _arr(x)
    if dim is None:
        flat = a.reshape(-1)
        start = np.ones(flat.shape, dtype=bool)
        start[1:] = flat[1:] != flat[:-1]
        vals = flat[start]
    else:
        d = _unique_dim(a, dim, "unique_consecutive")
        m = np.moveaxis(a, d, 0).reshape(a.shape[d], a.size // a.shape[d] if a.shape[d] else 0)
        start = np.ones(m.shape[0], dtype=bool)
        start[1:] = (m[1:] != m[:-1]).any(axis=1)
        vals = np.compress(start, a, axis=d)
    inv = np.cumsum(start) - 1
    counts = np.diff(np.append(np.flatnonzero(start), start.size))
    out = _make(np.ascontiguousarray(vals), None, False)
    if not (return_inverse or return_counts):
        return out
    res = [out]
    if return_inverse:
        res.append(_long(inv.reshape(a.shape) if dim is None else inv))
    if return_counts:
        res.append(_long(counts))
    return tuple(res)


def _side(right: bool, side: Any, op: str) -> str:
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"{op}(): side can only be 'left' or 'right' but got {side!r}")
        if right and side == "left":
            raise RuntimeError(f"{op}(): side and right can't be set to opposites, got side of left while right "
                               "was True")
        return side
    return "right" if right else "left"


def searchsorted(sorted_sequence: Any, input: Any, *, out_int32: bool = False,  # noqa: A002 - PyTorch's names
                 right: bool = False, side: Any = None, sorter: Any = None) -> Tensor:
    """Indices at which ``input``'s values would be inserted into the sorted last dim of ``sorted_sequence``
    (its leading dims, if any, pair with input's). int64 (int32 with ``out_int32``), no gradient."""
    seq = _arr(sorted_sequence)
    vals = _arr(input)
    side = _side(right, side, "searchsorted")
    if seq.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 "
                           "dimension")
    if sorter is not None:
        order = _arr(sorter)
        if order.shape != seq.shape:
            raise RuntimeError(f"torch.searchsorted(): boundary and sorter must have the same size, but got "
                               f"boundary tensor {list(seq.shape)} and got sorter tensor {list(order.shape)}")
        seq = np.take_along_axis(seq, order.astype(np.int64), -1)
    if seq.ndim == 1:
        res = np.searchsorted(seq, vals, side=side)
    else:
        if vals.ndim != seq.ndim or vals.shape[:-1] != seq.shape[:-1]:
            raise RuntimeError(
                "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of "
                f"boundaries tensor and input value tensor must match, but we got boundaries tensor "
                f"{list(seq.shape)} and input value tensor {list(vals.shape)}")
        res = np.empty(vals.shape, dtype=np.int64)
        for i in np.ndindex(*seq.shape[:-1]):
            res[i] = np.searchsorted(seq[i], vals[i], side=side)
    return _make(np.asarray(res, dtype=np.int32 if out_int32 else np.int64), None, False)


def bucketize(input: Any, boundaries: Any, *, out_int32: bool = False, right: bool = False) -> Tensor:  # noqa: A002
    """The bucket of each value for the sorted 1-D ``boundaries``: i with b[i-1] < x <= b[i]
    (``right=True``: b[i-1] <= x < b[i]). int64, no gradient."""
    b = _arr(boundaries)
    if b.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({b.ndim})")
    return searchsorted(b, input, out_int32=out_int32, right=right)


def bincount(input: Any, weights: Any = None, minlength: int = 0) -> Tensor:  # noqa: A002 - PyTorch's name
    """Count of each value 0..max(input) of a 1-D non-negative integer tensor (sum of ``weights`` if given)."""
    a = _arr(input)
    if a.dtype.kind not in "iub":
        raise NotImplementedError(f'"bincount_cpu" not implemented for {a.dtype.name!r} (bincount counts '
                                  "integers: convert with .long())")
    if a.ndim != 1 or (a.size and a.min() < 0):
        raise RuntimeError(f"bincount only supports 1-d non-negative integral inputs (got shape {list(a.shape)}"
                           + (f", min {int(a.min())})" if a.size else ")"))
    if minlength < 0:
        raise RuntimeError(f"minlength should be >= 0 (got {minlength})")
    if weights is None or a.size == 0:  # (an empty input gives int64 counts even with weights, as in PyTorch)
        return _long(np.bincount(a, minlength=minlength))
    w = _arr(weights)
    if w.ndim != 1 or w.shape[0] != a.shape[0]:
        raise RuntimeError(f"weights should be 1-d and have the same length as input (input {list(a.shape)}, "
                           f"weights {list(w.shape)})")
    dt = w.dtype if w.dtype.kind == "f" else np.float64  # float weights keep their dtype, others give float64
    return _make(np.bincount(a, weights=w, minlength=minlength).astype(dt), None, False)


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002
    """Histogram of ``bins`` equal-width bins over [min, max] (the data's range when min == max); values
    outside are ignored. In the input's float dtype, no gradient."""
    a = _arr(input)
    if a.dtype.kind != "f":
        raise NotImplementedError(f'"histogram_cpu" not implemented for {a.dtype.name!r} (convert first with '
                                  ".float())")
    if bins <= 0:
        raise RuntimeError(f"torch.histc(): bins must be > 0, but got {bins} for dimension 0")
    lo, hi = a.dtype.type(min), a.dtype.type(max)
    if lo > hi:
        raise RuntimeError(f"torch.histc(): max must be larger than min (got min={min}, max={max})")
    if lo == hi and a.size:
        fin = a[np.isfinite(a)]
        lo, hi = (fin.min(), fin.max()) if fin.size else (lo, hi)
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histc(): range of [{lo}, {hi}] is not finite")
    with np.errstate(invalid="ignore"):
        v = a[(a >= lo) & (a <= hi)]
    # PyTorch's bin formula, in the input's dtype: (x - lo) * bins / (hi - lo), the right edge in the last bin
    pos = ((v - lo) * a.dtype.type(bins) / (hi - lo)).astype(np.int64)
    pos = np.minimum(pos, bins - 1)
    return _make(np.bincount(pos, minlength=bins).astype(a.dtype), None, False)


# ---------------------------------------------------------------------- declarations
METHODS: dict[str, Any] = {  # Tensor methods
    "sort": sort, "argsort": argsort, "msort": msort, "topk": topk, "kthvalue": kthvalue, "median": median,
    "mode": mode, "unique": unique, "unique_consecutive": unique_consecutive, "bincount": bincount, "histc": histc,
}
