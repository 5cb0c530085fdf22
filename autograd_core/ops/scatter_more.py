"""Scatter-style ops beyond scatter.py: index_put, masked_scatter, put, index_reduce, select_scatter,
slice_scatter, diagonal_scatter (and the in-place forms index_put_, masked_scatter_, put_, index_reduce_).

All are compositions of the indexing ops' Functions (SetItem: y = x with y[idx] = v, whose backward zeroes
the written positions for x and gathers them for v; IndexAddZeros: zeros with v added at idx, repeats
accumulating) and of scatter_reduce, so gradients and every derivative order come from those. Index
arguments are constants. Writing two values to one position (index_put / put without accumulate) keeps one
of them, unspecified which, as in PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from .indexing import IndexAddZeros, SetItem, _scalar_name, normalize_index, take
from .scatter import _inplace, _src_of, scatter_reduce

__all__ = [  # public functions (autograd_core.<name>)
    "index_put", "index_put_", "masked_scatter", "put", "index_reduce", "select_scatter", "slice_scatter",
    "diagonal_scatter",
]


def _t(x: Any, what: str, op: str, pos: int) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{what}' (position {pos}) must be Tensor, not {type(x).__name__}")
    return x


def _same_dtype(x: Tensor, v: Tensor, op: str) -> None:
    if v.dtype != x.dtype:
        raise RuntimeError(f"{op}: self and source expected to have the same dtype, but got self.dtype = "
                           f"{_scalar_name(x.dtype)} and source.dtype = {_scalar_name(v.dtype)} (fix: "
                           "source.to(self.dtype))")


def _flat_write(x: Tensor, pos: np.ndarray, v: Tensor, accumulate: bool) -> Tensor:
    """x with v written (or added) at the flat positions ``pos`` (v has pos's shape)."""
    flat = x.reshape(-1)
    index = (pos.reshape(-1),)
    vals = v.reshape(-1)
    out = flat + IndexAddZeros.apply(vals, shape=flat.shape, index=index, basic=False) if accumulate else \
        SetItem.apply(flat, vals, index=index)
    return out.reshape(x.shape)


# ---------------------------------------------------------------------- index_put
def _index_put_index(x: Tensor, indices: Any, op: str) -> tuple[Any, bool]:
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"{op}(): argument 'indices' (position 2) must be tuple of Tensors, not "
                        f"{type(indices).__name__}")
    arrays = []
    for k, i in enumerate(indices):
        if not isinstance(i, Tensor):
            raise TypeError(f"expected Tensor as element {k} in argument 1, but got {type(i).__name__}")
        if i.dtype.kind not in "iub":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        arrays.append(i._data if i.dtype != np.uint8 else i._data.astype(bool))
    used = sum(a.ndim if a.dtype == np.bool_ else 1 for a in arrays)
    if used > x.ndim:
        raise IndexError(f"too many indices for tensor of dimension {x.ndim} (got {used})")
    for d, a in enumerate(arrays):
        if a.dtype.kind in "iu" and a.size and d < x.ndim:
            n = x.shape[d]
            bad = a[(a >= n) | (a < -n)]
            if bad.size:
                raise IndexError(f"index {int(bad.reshape(-1)[0])} is out of bounds for dimension {d} with size {n}")
    # each integer index tensor is an advanced index, even a 0-d one (PyTorch's index_put never selects a dim): a
    # 0-d one is made 1-d, which gives the region a leading size-1 dim that the value broadcasts into
    index, basic = normalize_index(tuple(a if a.ndim else a.reshape(1) for a in arrays) if arrays else (Ellipsis,),
                                   x.ndim)
    return index, basic


def index_put(input: Tensor, indices: Any, values: Tensor, accumulate: bool = False) -> Tensor:  # noqa: A002
    """out = input with out[indices] = values (``accumulate=True``: out[indices] += values, repeated positions
    summing); ``indices`` is a tuple of integer or boolean tensors, as ``x[i0, i1, ...]`` takes them."""
    x = _t(input, "input", "index_put", 1)
    index, basic = _index_put_index(x, indices, "index_put")
    v = _t(values, "values", "index_put", 3)
    if v.dtype != x.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{_scalar_name(x.dtype)} for the destination and {_scalar_name(v.dtype)} for the source.")
    region = np.shape(take(x._data, index))
    try:
        np.broadcast_shapes(tuple(v.shape), region)
        ok = len(v.shape) <= len(region) or all(s == 1 for s in v.shape[:len(v.shape) - len(region)])
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(v.shape)} cannot be broadcast to indexing "
                           f"result of shape {list(region)}")
    if not accumulate:
        return SetItem.apply(x, v, index=index)
    vb = v.reshape(v.shape[len(v.shape) - len(region):]) if len(v.shape) > len(region) else v
    if tuple(vb.shape) != region:
        vb = vb.expand(region)
    return x + IndexAddZeros.apply(vb, shape=x.shape, index=index, basic=basic)


def index_put_(input: Tensor, indices: Any, values: Tensor, accumulate: bool = False) -> Tensor:  # noqa: A002
    """In-place ``index_put``."""
    x = _t(input, "input", "index_put_", 1)
    return _inplace(x, index_put(_src_of(x, values), indices, values, accumulate), "index_put_")


# ---------------------------------------------------------------------- masked_scatter
def _mask_positions(x: Tensor, mask: Any, source: Tensor, op: str, shape: tuple) -> np.ndarray:
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype "
                           f"{_scalar_name(m.dtype)}")
    if source.dtype != x.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got"
                           f"{_scalar_name(x.dtype)} and {_scalar_name(source.dtype)}")
    m = np.broadcast_to(m, shape)
    if int(m.sum()) > source.numel():
        raise RuntimeError("Number of elements of source < number of ones in mask")
    return m


def masked_scatter(input: Tensor, mask: Any, source: Tensor) -> Tensor:  # noqa: A002
    """out = input with the positions where mask holds (input and mask broadcast together) filled, in
    row-major order, by the first elements of the flattened source."""
    x = _t(input, "input", "masked_scatter", 1)
    src = _t(source, "source", "masked_scatter", 3)
    m_shape = np.shape(mask._data if isinstance(mask, Tensor) else mask)
    try:
        shape = np.broadcast_shapes(tuple(x.shape), m_shape)
    except ValueError:
        raise RuntimeError(f"masked_scatter: the mask of shape {list(m_shape)} does not broadcast with the input's "
                           f"shape {list(x.shape)}") from None
    m = _mask_positions(x, mask, src, "masked_scatter", shape)
    xb = x if tuple(x.shape) == shape else x.expand(shape)
    k = int(m.sum())
    return SetItem.apply(xb, src.reshape(-1)[:k], index=(m,))


def masked_scatter_(self: Tensor, mask: Any, source: Tensor) -> Tensor:
    """In-place ``masked_scatter`` (the mask broadcasts to self's shape)."""
    m_shape = np.shape(mask._data if isinstance(mask, Tensor) else mask)
    try:
        if np.broadcast_shapes(tuple(self.shape), m_shape) != tuple(self.shape):
            raise ValueError
    except ValueError:
        raise RuntimeError(f"masked_scatter_: the mask of shape {list(m_shape)} must broadcast to self's shape "
                           f"{list(self.shape)} (an in-place op cannot change the shape)") from None
    return _inplace(self, masked_scatter(_src_of(self, source), mask, source), "masked_scatter_")


# ---------------------------------------------------------------------- put
def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:  # noqa: A002
    """out = input with out.flatten()[index] = source (``accumulate=True``: +=, repeats summing); negative
    indices count from the end."""
    x = _t(input, "input", "put", 1)
    idx = _t(index, "index", "put", 2)
    src = _t(source, "source", "put", 3)
    if idx.dtype != np.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got {_scalar_name(idx.dtype)}")
    if src.dtype != x.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got self.dtype = "
                           f"{_scalar_name(x.dtype)} and source.dtype = {_scalar_name(src.dtype)}")
    if src.numel() != idx.numel():
        raise IndexError(f"put_(): Expected source and index to have the same number of elements, but got "
                         f"source.numel() = {src.numel()}, index.numel() = {idx.numel()}")
    n = x.numel()
    a = idx._data
    if a.size and (a.min() < -n or a.max() >= n):
        bad = int(a.max() if a.max() >= n else a.min())
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    return _flat_write(x, np.where(a < 0, a + n, a), src, bool(accumulate))


def put_(self: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """In-place ``put``."""
    return _inplace(self, put(_src_of(self, source), index, source, accumulate), "put_")


# ---------------------------------------------------------------------- index_reduce
def index_reduce(input: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,  # noqa: A002
                 include_self: bool = True) -> Tensor:
    """out = input with source's slices along ``dim`` reduced into out's slices ``index[i]`` by 'prod', 'mean',
    'amax' or 'amin' (``include_self=False``: input's values at those slices do not take part): scatter_reduce
    with index spread over source's shape."""
    x = _t(input, "input", "index_reduce", 1)
    src = _t(source, "source", "index_reduce", 4)
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"index_reduce_(): Expected dtype int32/int64 for index but got: {_scalar_name(idx.dtype)}")
    if idx.ndim > 1:
        raise IndexError(f"index_reduce_(): Index is supposed to be a vector, but got dim: {idx.ndim} with type: "
                         f"{_scalar_name(idx.dtype)} and size: {list(idx.shape)}")
    nd = max(x.ndim, 1)
    if not -nd <= dim < nd:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {dim})")
    d = dim % nd
    xs, ss = (tuple(x.shape) or (1,)), (tuple(src.shape) or (1,))
    if len(ss) != len(xs) or any(a != b for k, (a, b) in enumerate(zip(xs, ss)) if k != d):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {list(x.shape)} source.shape = {list(src.shape)}")
    idx = idx.reshape(-1)
    if idx.size != ss[d]:
        raise RuntimeError(f"index_reduce_(): Number of indices ({idx.size}) should be equal to source.size(dim): "
                           f"({ss[d]}), for dim: {dim}")
    if src.dtype != x.dtype:
        raise RuntimeError(f"index_reduce_(): self ({_scalar_name(x.dtype)}) and source ({_scalar_name(src.dtype)}) "
                           "must have the same scalar type")
    if idx.size and (idx.min() < -xs[d] or idx.max() >= xs[d]):
        raise IndexError("index out of range in self")
    idx = np.where(idx < 0, idx + xs[d], idx).astype(np.int64)
    spread = np.broadcast_to(idx.reshape((1,) * d + (-1,) + (1,) * (len(ss) - d - 1)), ss)
    s = src.reshape(ss) if src.ndim == 0 else src
    xin = x.reshape(xs) if x.ndim == 0 else x
    out = scatter_reduce(xin, d, np.ascontiguousarray(spread), s, reduce, include_self=include_self)
    return out.reshape(()) if x.ndim == 0 else out


def index_reduce_(self: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,
                  include_self: bool = True) -> Tensor:
    """In-place ``index_reduce``."""
    return _inplace(self, index_reduce(_src_of(self, source), dim, index, source, reduce, include_self=include_self),
                    "index_reduce_")


# ---------------------------------------------------------------------- select / slice / diagonal scatter
def _embed(x: Tensor, src: Tensor, index: tuple, region: tuple) -> Tensor:
    """x with x[index] = src (src exactly the region's shape, cast to x's dtype as PyTorch's copy_ does)."""
    if tuple(src.shape) != tuple(region):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = {list(src.shape)}, "
                           f"slice size = {list(region)}")
    v = src if src.dtype == x.dtype else src.to(x.dtype)
    return SetItem.apply(x, v, index=index)


def _wrap(dim: int, nd: int) -> int:
    n = max(nd, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:  # noqa: A002
    """out = input with out.select(dim, index) = src."""
    x = _t(input, "input", "select_scatter", 1)
    s = _t(src, "src", "select_scatter", 2)
    d = _wrap(dim, x.ndim)
    n = x.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(x.shape)} at dimension {d}")
    sel = (slice(None),) * d + (index % n, Ellipsis)
    return _embed(x, s, sel, x.shape[:d] + x.shape[d + 1:])


def slice_scatter(input: Tensor, src: Tensor, dim: int = 0, start: int | None = None,  # noqa: A002
                  end: int | None = None, step: int = 1) -> Tensor:
    """out = input with out[..., start:end:step, ...] (along dim) = src."""
    x = _t(input, "input", "slice_scatter", 1)
    s = _t(src, "src", "slice_scatter", 2)
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    d = _wrap(dim, x.ndim)
    sl = slice(start, end, step)
    length = len(range(*sl.indices(x.shape[d])))
    index = (slice(None),) * d + (sl, Ellipsis)
    return _embed(x, s, index, x.shape[:d] + (length,) + x.shape[d + 1:])


def diagonal_scatter(input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:  # noqa: A002
    """out = input with out.diagonal(offset, dim1, dim2) = src (src has the diagonal's shape: the other dims,
    then the diagonal)."""
    x = _t(input, "input", "diagonal_scatter", 1)
    s = _t(src, "src", "diagonal_scatter", 2)
    d1, d2 = _wrap(dim1, x.ndim), _wrap(dim2, x.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    pos = np.diagonal(np.arange(x.numel()).reshape(x.shape), offset, d1, d2)
    if tuple(s.shape) != pos.shape:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = {list(s.shape)}, "
                           f"slice size = {list(pos.shape)}")
    v = s if s.dtype == x.dtype else s.to(x.dtype)
    return _flat_write(x, np.ascontiguousarray(pos), v, False)


METHODS: dict[str, Any] = {  # Tensor methods
    "index_put": index_put, "index_put_": index_put_, "masked_scatter": masked_scatter,
    "masked_scatter_": masked_scatter_, "put": put, "put_": put_, "index_reduce": index_reduce,
    "index_reduce_": index_reduce_, "select_scatter": select_scatter, "slice_scatter": slice_scatter,
    "diagonal_scatter": diagonal_scatter,
}
