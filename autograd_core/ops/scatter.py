"""Scatter, index and masked ops: scatter, scatter_add, scatter_reduce, index_select, index_add, index_copy,
index_fill, masked_select, masked_fill, take_along_dim, nonzero (and the in-place ``_`` forms).

Index arguments are constants (integer arrays); the differentiable inputs are ``self`` and ``src``/``source``/
``value``. Where an op is a composite of the indexing ops (GetItem, SetItem, IndexAddZeros, Gather,
ScatterAddZeros in ops/indexing.py) it reuses their backwards; the ops below add what those cannot express.
Scattering two values to one position (``scatter``, ``index_copy``) keeps one of them, unspecified which,
as in PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._function import Function
from .._tensor import Tensor, _make
from ._dims import normalize_dims
from .arithmetic import _c_name
from .indexing import Gather, IndexAddZeros, ScatterAddZeros, SetItem, _along, gather_along

__all__ = [  # public functions (autograd_core.<name>)
    "scatter", "scatter_add", "scatter_reduce", "index_select", "index_add", "index_copy", "index_fill",
    "masked_select", "masked_fill", "take_along_dim", "nonzero", "argwhere", "take",
]


# ---------------------------------------------------------------------- ops
class ScatterValue(Function):
    """y = x with y[i with i_dim = index[i]] = value;  gx = g with those positions 0"""

    fresh_grads = True

    def forward(self, x, index, dim, value):
        self.index, self.dim = index, dim
        out = x.copy()
        out[_along(index, dim)] = value
        return out

    def backward(self, g):
        return self.xp.apply(ScatterValue, g, index=self.index, dim=self.dim, value=0.0)

    def attrs(self):
        return {"dim": self.dim}


class Scatter(Function):
    """y = x with y[i with i_dim = index[i]] = src[i];  gx = g with those positions 0,  gsrc = gather(g, index)"""

    def forward(self, x, src, index, dim):
        self.index, self.dim = index, dim
        out = x.copy()
        out[_along(index, dim)] = src
        return out

    def backward(self, g):
        xp = self.xp
        gx = xp.apply(ScatterValue, g, index=self.index, dim=self.dim, value=0.0) if self.needs_input_grad(0) else None
        gs = xp.apply(Gather, g, index=self.index, dim=self.dim) if self.needs_input_grad(1) else None
        return gx, gs

    def attrs(self):
        return {"dim": self.dim}


class ScatterProdOnes(Function):
    """y = ones(shape) with y[t] *= src[i] for every i with target t;
    gsrc_i = gather(g)_i * prod_{k != i, same target} src_k   (exact with zeros, to every order)"""

    saves_inputs = True
    saves_output = True

    def forward(self, src, shape, index, dim):
        self.shape, self.index, self.dim = shape, index, dim
        out = np.ones(shape, dtype=src.dtype)
        np.multiply.at(out, _along(index, dim), src)
        return out

    def backward(self, g):
        (src,) = self.saved()
        xp = self.xp
        idx, d = self.index, self.dim
        s = xp.value(src)
        zero = s == 0
        gg = xp.apply(Gather, g, index=idx, dim=d)
        if not zero.any():
            return gg * xp.apply(Gather, self.saved_output(), index=idx, dim=d) / src
        # With zeros: a nonzero src_i still divides its target's product (0 where the target holds a zero; the
        # recorded product keeps the derivative in those zeros). A zero's product of the others is recomputed
        # with it replaced by 1: at once for every zero alone in its target, one by one for the others.
        nz = scatter_add_along_np(np.zeros(self.shape), idx, zero.astype(np.float64), d)[_along(idx, d)]
        safe = xp.where(zero, 1.0, src)  # double where: no 0 divisor even in the branch not taken
        excl = xp.apply(Gather, self.saved_output(), index=idx, dim=d) / safe
        if (zero & (nz == 1)).any():
            others = xp.apply(Gather, xp.apply(ScatterProdOnes, safe, shape=self.shape, index=idx, dim=d),
                              index=idx, dim=d)
            excl = xp.where(zero & (nz == 1), others, excl)
        for pos in zip(*np.nonzero(zero & (nz > 1))):
            one = np.zeros(s.shape, dtype=bool)
            one[pos] = True
            alone = xp.apply(ScatterProdOnes, xp.where(one, 1.0, src), shape=self.shape, index=idx, dim=d)
            excl = xp.where(one, xp.apply(Gather, alone, index=idx, dim=d), excl)
        return gg * excl

    def attrs(self):
        return {"dim": self.dim}


class ScatterExtreme(Function):
    """y = x (or, without include_self, -inf/+inf at scattered positions) with y[t] = max/min(y[t], src[i]);
    ties share g evenly: gx = g [x == y] / N,  gsrc_i = gather(g / N)_i [src_i == y_t],  N = number of tied
    contributors of each target (without include_self x is no contributor; torch 2.13 still counts it in N,
    so there its sources' shares do not add up to g)"""

    fresh_grads = True

    def forward(self, x, src, index, dim, largest, include_self):
        self.index, self.dim = index, dim
        along = _along(index, dim)
        hit = np.zeros(x.shape, dtype=bool)
        hit[along] = True
        out = x.copy()
        if not include_self:
            fill = _lowest(x.dtype) if largest else _highest(x.dtype)
            out[hit] = fill
        (np.maximum if largest else np.minimum).at(out, along, src)  # every scattered position gets a src
        self_is = (x == out) & (~hit if not include_self else True)
        src_is = src == out[along]
        n = self_is.astype(np.float64)
        np.add.at(n, along, src_is)
        inv = np.where(n > 0, 1.0 / np.maximum(n, 1), 0.0)
        self.w_self = (self_is * inv).astype(x.dtype)
        self.self_is = np.broadcast_to(self_is, x.shape)
        self.inv_n = inv.astype(x.dtype)
        self.src_is = src_is
        return out

    def backward(self, g):
        # masked, not multiplied by 0/1 weights: an inf/nan g at a position a value did not win gives 0 there
        xp = self.xp
        gx = xp.masked(g * self.w_self, self.self_is) if self.needs_input_grad(0) else None
        gs = None
        if self.needs_input_grad(1):
            gs = xp.masked(xp.apply(Gather, g * self.inv_n, index=self.index, dim=self.dim), self.src_is)
        return gx, gs

    def attrs(self):
        return {"dim": self.dim}


def _lowest(dt: np.dtype) -> Any:
    return -np.inf if dt.kind == "f" else (np.iinfo(dt).min if dt.kind in "iu" else False)


def _highest(dt: np.dtype) -> Any:
    return np.inf if dt.kind == "f" else (np.iinfo(dt).max if dt.kind in "iu" else True)


def scatter_add_along_np(out: np.ndarray, index: np.ndarray, src: np.ndarray, dim: int) -> np.ndarray:
    np.add.at(out, _along(index, dim), src)
    return out


# ---------------------------------------------------------------------- argument checks
def _t(x: Any, what: str, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{what}' must be Tensor, not {type(x).__name__}")
    return x


def _index_array(index: Any, op: str, allow_int32: bool = True) -> np.ndarray:
    a = index._data if isinstance(index, Tensor) else np.asarray(index)
    if a.dtype.kind not in "iu" or (a.dtype != np.int64 and not allow_int32):
        want = "int32 or int64" if allow_int32 else "int64"
        raise RuntimeError(f"{op}(): Expected dtype {want} for index (got {a.dtype.name}; convert with .long())")
    return a.astype(np.int64, copy=False)


def _dim(x: Tensor, dim: Any, op: str) -> int:
    if isinstance(dim, (list, tuple)) or dim is None:
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
    (d,) = normalize_dims(dim, x.ndim, op) or (0,)
    return d


def _scatter_checks(x: Tensor, d: int, index: np.ndarray, src: Any, op: str) -> None:
    """PyTorch's scatter/gather shape rules: same rank; index no larger than self (except along dim) and src."""
    nd = max(x.ndim, 1)
    if max(index.ndim, 1) != nd:
        raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as self tensor (index "
                           f"{list(index.shape)}, self {list(x.shape)})")
    xs = x.shape if x.ndim else (1,)
    ish = index.shape if index.ndim else (1,)
    if src is not None:
        ss = src.shape if src.ndim else (1,)
        if max(src.ndim, 1) != nd:
            raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as src tensor "
                               f"(index {list(index.shape)}, src {list(src.shape)})")
        if any(i > s for i, s in zip(ish, ss)) or any(i > s for k, (i, s) in enumerate(zip(ish, xs)) if k != d):
            raise RuntimeError(f"{op}(): Expected index {list(index.shape)} to be no larger than self "
                               f"{list(x.shape)} apart from dimension {d} and to be no larger size than src "
                               f"{list(src.shape)}")
        if src.dtype != x.dtype:
            raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype (self {x.dtype.name}, src "
                               f"{src.dtype.name}). Fix: src.to(self.dtype)")
    elif any(i > s for k, (i, s) in enumerate(zip(ish, xs)) if k != d):
        raise RuntimeError(f"{op}(): Expected index {list(index.shape)} to be no larger than self {list(x.shape)} "
                           f"apart from dimension {d}")
    if index.size:
        lo, hi = int(index.min()), int(index.max())
        if lo < 0 or hi >= xs[d]:
            raise RuntimeError(f"{op}(): index {lo if lo < 0 else hi} is out of bounds for dimension {d} with size "
                               f"{xs[d]}")


def _crop(src: Tensor, shape: tuple) -> Tensor:
    """src[:shape[0], :shape[1], ...]: the part of src an index of that shape reads (a view, recorded)."""
    if src.shape == tuple(shape):
        return src
    return src[tuple(slice(0, s) for s in shape)]


def _as_1d(x: Tensor) -> Tensor:
    return x.reshape(1) if x.ndim == 0 else x


def _back(out: Tensor, x: Tensor) -> Tensor:
    return out.reshape(()) if x.ndim == 0 else out


# ---------------------------------------------------------------------- scatter family
_SCATTER_REDUCE = {"add": "sum", "multiply": "prod"}


def scatter(input: Tensor, dim: int, index: Any, src: Any = None, *, value: Any = None,  # noqa: A002
            reduce: Any = None) -> Tensor:
    """out = input with out[i with i_dim = index[i]] = src[i] (or ``value``); ``reduce='add'|'multiply'``
    combines instead of overwriting."""
    x = _t(input, "input", "scatter")
    d = _dim(x, dim, "scatter")
    idx = _index_array(index, "scatter")
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src  # scatter(dim, index, 1.5): the value overload
    if src is None and value is None:
        raise TypeError("scatter() missing the src tensor or value (scatter(input, dim, index, src) or "
                        "scatter(input, dim, index, value=...))")
    _scatter_checks(x, d, idx, src, "scatter")
    if reduce is not None:
        if reduce not in _SCATTER_REDUCE:
            raise RuntimeError(f"reduce argument must be either add or multiply. (got {reduce!r})")
        if src is None:
            src = _make(np.full(idx.shape, value, dtype=x.dtype), None, False)
        return scatter_reduce(x, dim, index, src, _SCATTER_REDUCE[reduce])
    xs, i1 = _as_1d(x), idx.reshape(idx.shape or (1,))
    if src is None:
        out = ScatterValue.apply(xs, index=i1, dim=d, value=_cast_value(value, x.dtype))
    else:
        out = Scatter.apply(xs, _as_1d(_crop(src, idx.shape)) if idx.ndim else src.reshape(1), index=i1, dim=d)
    return _back(out, x)


def _cast_value(value: Any, dt: np.dtype) -> Any:
    """A Python number written into a tensor of dtype dt: cast as PyTorch does (1.5 into int64 is 1)."""
    if isinstance(value, Tensor):
        value = value.item()
    return np.asarray(value).astype(dt)


def scatter_add(input: Tensor, dim: int, index: Any, src: Tensor) -> Tensor:  # noqa: A002
    """out = input with src[i] added at position i with i_dim = index[i] (repeats accumulate)."""
    x = _t(input, "input", "scatter_add")
    d = _dim(x, dim, "scatter_add")
    idx = _index_array(index, "scatter_add")
    _scatter_checks(x, d, idx, _t(src, "src", "scatter_add"), "scatter_add")
    xs, i1 = _as_1d(x), idx.reshape(idx.shape or (1,))
    added = ScatterAddZeros.apply(_as_1d(_crop(src, idx.shape)) if idx.ndim else src.reshape(1), shape=xs.shape,
                                  index=i1, dim=d)
    return _back(xs + added, x)


_REDUCES = ("sum", "prod", "mean", "amax", "amin")


def scatter_reduce(input: Tensor, dim: int, index: Any, src: Tensor, reduce: str, *,  # noqa: A002
                   include_self: bool = True) -> Tensor:
    """out = input with each src[i] reduced into position i with i_dim = index[i]: 'sum', 'prod', 'mean',
    'amax' or 'amin' (``include_self=False``: input's values at scattered positions do not take part)."""
    x = _t(input, "input", "scatter_reduce")
    d = _dim(x, dim, "scatter_reduce")
    idx = _index_array(index, "scatter_reduce")
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # PyTorch accepts these spellings too
    if reduce not in _REDUCES:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    _scatter_checks(x, d, idx, _t(src, "src", "scatter_reduce"), "scatter_reduce")
    xs, i1 = _as_1d(x), idx.reshape(idx.shape or (1,))
    s = _as_1d(_crop(src, idx.shape)) if idx.ndim else src.reshape(1)
    hit = np.zeros(xs.shape, dtype=bool)
    hit[_along(i1, d)] = True
    if reduce in ("amax", "amin"):
        out = ScatterExtreme.apply(xs, s, index=i1, dim=d, largest=reduce == "amax", include_self=bool(include_self))
    elif reduce == "prod":
        base = xs if include_self else _where(hit, 1, xs)
        out = base * ScatterProdOnes.apply(s, shape=xs.shape, index=i1, dim=d)
    else:
        base = xs if include_self else _where(hit, 0, xs)
        out = base + ScatterAddZeros.apply(s, shape=xs.shape, index=i1, dim=d)
        if reduce == "mean":
            count = np.zeros(xs.shape, dtype=np.int64)
            np.add.at(count, _along(i1, d), 1)
            count = count + (1 if include_self else 0)
            count = np.where(hit, count, 1)
            if x.dtype.kind in "iub":
                out = _make(np.floor_divide(out._data, count).astype(x.dtype), None, False)
            else:
                out = out / count.astype(x.dtype)
    return _back(out, x)


def _where(cond: np.ndarray, a: Any, b: Tensor) -> Tensor:
    from .compare import Where

    return Where.apply(cond, np.asarray(a, dtype=b.dtype), b)


# ---------------------------------------------------------------------- index_* family
def _vector_index(index: Any, op: str) -> np.ndarray:
    a = index._data if isinstance(index, Tensor) else np.asarray(index)
    if a.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): Expected dtype int32 or int64 for index (got {a.dtype.name})")
    if a.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector (got index of shape {list(a.shape)})")
    return a.astype(np.int64, copy=False).reshape(-1)


def _in_range(idx: np.ndarray, n: int, op: str, x: Tensor, d: int) -> None:
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = int(idx.min() if idx.min() < 0 else idx.max())
        raise IndexError(f"index out of range in self ({op}: index {bad} for dimension {d} of size {n}, self of "
                         f"shape {list(x.shape)})")


def _dim_index(nd: int, d: int, idx: np.ndarray) -> tuple:
    return (slice(None),) * d + (idx,)


def index_select(input: Tensor, dim: int, index: Any) -> Tensor:  # noqa: A002
    """The slices of ``input`` at positions ``index`` (a vector) along ``dim``."""
    x = _t(input, "input", "index_select")
    d = _dim(x, dim, "index_select")
    idx = _vector_index(index, "index_select")
    if x.ndim == 0:
        if idx.size != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {idx.size} value(s)")
        _in_range(idx, 1, "index_select", x, 0)
        return x.reshape(1)[idx].reshape(())
    _in_range(idx, x.shape[d], "index_select", x, d)
    return x[_dim_index(x.ndim, d, idx)]


def _source_checks(x: Tensor, d: int, idx: np.ndarray, source: Tensor, op: str, what: str = "source") -> None:
    xs = x.shape if x.ndim else (1,)
    ss = source.shape if source.ndim else (1,)
    if len(ss) != len(xs) or any(a != b for k, (a, b) in enumerate(zip(xs, ss)) if k != d):
        raise RuntimeError(f"{op}(): {what} tensor shape must match self tensor shape, excluding the specified "
                           f"dimension. Got self.shape = {list(x.shape)} {what}.shape = {list(source.shape)}")
    if ss[d] != idx.size:
        raise IndexError(f"{op}(): Number of indices ({idx.size}) should be equal to {what}.size(dim) ({ss[d]})")
    if source.dtype != x.dtype:
        raise RuntimeError(f"{op}(): self ({_c_name(x.dtype).title()}) and {what} ({_c_name(source.dtype).title()}) "
                           "must have the same scalar type")


def index_add(input: Tensor, dim: int, index: Any, source: Tensor, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    """out = input with alpha * source[..., i, ...] added at position index[i] along ``dim`` (repeats add up)."""
    x = _t(input, "input", "index_add")
    d = _dim(x, dim, "index_add")
    idx = _vector_index(index, "index_add")
    _t(source, "source", "index_add")
    _source_checks(x, d, idx, source, "index_add_")
    xs = _as_1d(x)
    _in_range(idx, xs.shape[d], "index_add", x, d)
    src = _as_1d(source)
    if alpha != 1:
        src = src * alpha
    return _back(xs + IndexAddZeros.apply(src, shape=xs.shape, index=_dim_index(xs.ndim, d, idx), basic=False), x)


def index_copy(input: Tensor, dim: int, index: Any, source: Tensor) -> Tensor:  # noqa: A002
    """out = input with the slice at position index[i] along ``dim`` replaced by source's slice i."""
    x = _t(input, "input", "index_copy")
    d = _dim(x, dim, "index_copy")
    idx = _vector_index(index, "index_copy")
    _t(source, "source", "index_copy")
    xs, src = _as_1d(x), _as_1d(source)
    if src.ndim != xs.ndim or any(a != b for k, (a, b) in enumerate(zip(xs.shape, src.shape)) if k != d):
        k = next((k for k, (a, b) in enumerate(zip(xs.shape, src.shape)) if k != d and a != b), 0)
        raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice shapes. Destination "
                           f"slice shape: {xs.shape[k] if k < xs.ndim else 1} at dimension {k} and source slice "
                           f"shape: {src.shape[k] if k < src.ndim else 1} at dimension {k} (self {list(x.shape)}, "
                           f"source {list(source.shape)}, dim {d})")
    if src.shape[d] != idx.size:
        raise IndexError(f"index_copy_(): Number of indices ({idx.size}) should be equal to source.size(dim) "
                         f"({src.shape[d]})")
    if source.dtype != x.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but got (self) "
                           f"{_c_name(x.dtype).title()} and (source) {_c_name(source.dtype).title()}")
    _in_range(idx, xs.shape[d], "index_copy", x, d)
    return _back(SetItem.apply(xs, src, index=_dim_index(xs.ndim, d, idx)), x)


def index_fill(input: Tensor, dim: int, index: Any, value: Any) -> Tensor:  # noqa: A002
    """out = input with every element of the slices at positions ``index`` along ``dim`` set to ``value``
    (a number or a 0-d tensor, which then receives the sum of their gradients)."""
    x = _t(input, "input", "index_fill")
    d = _dim(x, dim, "index_fill")
    idx = np.unique(_vector_index(index, "index_fill"))  # a slice filled twice counts once (PyTorch)
    xs = _as_1d(x)
    _in_range(idx, xs.shape[d], "index_fill", x, d)
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value.ndim} dimension(s).")
        if value.dtype != x.dtype:
            value = value.to(x.dtype)
    else:
        value = _cast_value(value, x.dtype)
    return _back(SetItem.apply(xs, value, index=_dim_index(xs.ndim, d, idx)), x)


# ---------------------------------------------------------------------- masks, take_along_dim, nonzero
def _bool_mask(mask: Any, op: str) -> np.ndarray:
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(f"{op} only supports boolean masks, but got mask with dtype {_c_name(m.dtype)} (compare "
                           "first, e.g. x > 0, or convert with .bool())")
    return m


def masked_select(input: Tensor, mask: Any) -> Tensor:  # noqa: A002
    """The elements of ``input`` where ``mask`` (broadcast with it) holds, as a 1-D tensor."""
    x = _t(input, "input", "masked_select")
    m = _bool_mask(mask, "masked_select: expected BoolTensor for mask;")
    try:
        shape = np.broadcast_shapes(x.shape, m.shape)
    except ValueError:
        raise RuntimeError(f"masked_select: the shape of the mask {list(m.shape)} must broadcast with the input "
                           f"shape {list(x.shape)}") from None
    xb = x if x.shape == shape else x.expand(shape)
    return xb[np.broadcast_to(m, shape)]


def masked_fill(input: Tensor, mask: Any, value: Any) -> Tensor:  # noqa: A002
    """``value`` where ``mask`` holds, else ``input`` (mask broadcast with input); value: a number or a 0-d
    tensor (which then receives the sum of the gradients of the filled elements)."""
    x = _t(input, "input", "masked_fill")
    m = _bool_mask(mask, "masked_fill_")
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value.ndim} dimension(s).")
        if value.dtype != x.dtype:
            value = value.to(x.dtype)  # the result keeps input's dtype (recorded cast: value's gradient flows)
    else:
        value = _cast_value(value, x.dtype)
    from .compare import Where

    try:
        return Where.apply(m, value, x)
    except ValueError:
        raise RuntimeError(f"masked_fill: the shape of the mask {list(m.shape)} must broadcast with the input "
                           f"shape {list(x.shape)}") from None


def take_along_dim(input: Tensor, indices: Any, dim: Any = None) -> Tensor:  # noqa: A002
    """Values of ``input`` at ``indices`` along ``dim`` (the other dims broadcast); dim None: of the
    flattened input."""
    x = _t(input, "input", "take_along_dim")
    idx = _index_array(indices, "torch.take_along_dim", allow_int32=True)
    if dim is None:
        return gather_along(x.reshape(-1), idx.reshape(-1), 0)
    if idx.ndim != x.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {x.ndim} dimensions for input, and {idx.ndim} dimensions for indices")
    d = _dim(x, dim, "take_along_dim")
    xs, ish = list(x.shape), list(idx.shape)
    xs[d] = ish[d] = 1
    try:
        b = list(np.broadcast_shapes(tuple(xs), tuple(ish)))
    except ValueError:
        raise RuntimeError(f"take_along_dim: the shapes of input {list(x.shape)} and indices {list(idx.shape)} "
                           f"must broadcast apart from dimension {d}") from None
    xshape = tuple(x.shape[k] if k == d else b[k] for k in range(x.ndim))
    ishape = tuple(idx.shape[k] if k == d else b[k] for k in range(x.ndim))
    xb = x if x.shape == xshape else x.expand(xshape)
    n = x.shape[d]
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise RuntimeError(f"take_along_dim(): index {int(idx.max() if idx.max() >= n else idx.min())} is out of "
                           f"bounds for dimension {d} with size {n}")
    ib = np.broadcast_to(np.where(idx < 0, idx + n, idx), ishape)
    return gather_along(xb, np.ascontiguousarray(ib), d)


def take(input: Tensor, index: Any) -> Tensor:  # noqa: A002
    """The elements of the flattened ``input`` at ``index`` (negative counts from the end); index's shape."""
    x = _t(input, "input", "take")
    idx = _index_array(index, "take")
    n = x._data.size
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = int(idx.max() if idx.max() >= n else idx.min())
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    flat = np.where(idx < 0, idx + n, idx).reshape(-1)  # a 1-D index: a copy even for one element, as in PyTorch
    return x.reshape(-1)[flat].reshape(idx.shape)


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:  # noqa: A002
    """The indices of the nonzero elements: an (n, ndim) int64 tensor, or a tuple of ndim index vectors."""
    a = input._data if isinstance(input, Tensor) else np.asarray(input)
    if as_tuple:
        if a.ndim == 0:
            return (_make(np.zeros(int(bool(a)), dtype=np.int64), None, False),)
        return tuple(_make(i.astype(np.int64), None, False) for i in np.nonzero(a))
    return _make(np.argwhere(a).astype(np.int64), None, False)


def argwhere(input: Tensor) -> Tensor:  # noqa: A002
    """``nonzero(input)``: the (n, ndim) indices of the nonzero elements."""
    return nonzero(input)


# ---------------------------------------------------------------------- in-place forms
def _inplace(self: Tensor, result: Tensor, op: str) -> Tensor:  # noqa: ARG001 - op names the caller
    """Write an out-of-place result into self (a recorded copy_: the gradient reaches self's old value
    through ``result``, which was computed from it)."""
    return self.copy_(result)


def _src_of(self: Tensor, *others: Any) -> Tensor:
    # the out-of-place op reads a private copy when it will be recorded, so the in-place write into self does not
    # invalidate what it saved
    if self._rg or any(isinstance(o, Tensor) and o._rg for o in others):
        return self.clone()
    return self


def scatter_(self: Tensor, dim: int, index: Any, src: Any = None, *, value: Any = None,
             reduce: Any = None) -> Tensor:
    """In-place ``scatter``."""
    return _inplace(self, scatter(_src_of(self, src), dim, index, src, value=value, reduce=reduce), "scatter_")


def scatter_add_(self: Tensor, dim: int, index: Any, src: Tensor) -> Tensor:
    """In-place ``scatter_add``."""
    return _inplace(self, scatter_add(_src_of(self, src), dim, index, src), "scatter_add_")


def scatter_reduce_(self: Tensor, dim: int, index: Any, src: Tensor, reduce: str, *,
                    include_self: bool = True) -> Tensor:
    """In-place ``scatter_reduce``."""
    return _inplace(self, scatter_reduce(_src_of(self, src), dim, index, src, reduce, include_self=include_self),
                    "scatter_reduce_")


def index_add_(self: Tensor, dim: int, index: Any, source: Tensor, *, alpha: Any = 1) -> Tensor:
    """In-place ``index_add``."""
    return _inplace(self, index_add(_src_of(self, source), dim, index, source, alpha=alpha), "index_add_")


def index_copy_(self: Tensor, dim: int, index: Any, source: Tensor) -> Tensor:
    """In-place ``index_copy``."""
    return _inplace(self, index_copy(_src_of(self, source), dim, index, source), "index_copy_")


def index_fill_(self: Tensor, dim: int, index: Any, value: Any) -> Tensor:
    """In-place ``index_fill``."""
    return _inplace(self, index_fill(_src_of(self, value), dim, index, value), "index_fill_")


def masked_fill_(self: Tensor, mask: Any, value: Any) -> Tensor:
    """In-place ``masked_fill`` (the mask broadcasts to self's shape)."""
    out = masked_fill(_src_of(self, value), mask, value)
    if out.shape != self.shape:
        raise RuntimeError(f"masked_fill_: the mask of shape {list(np.shape(mask))} must broadcast to self's shape "
                           f"{list(self.shape)} (an in-place op cannot change the shape)")
    return _inplace(self, out, "masked_fill_")


# ---------------------------------------------------------------------- declarations

METHODS: dict[str, Any] = {  # Tensor methods
    "scatter": scatter, "scatter_add": scatter_add, "scatter_reduce": scatter_reduce, "index_select": index_select,
    "index_add": index_add, "index_copy": index_copy, "index_fill": index_fill, "masked_select": masked_select,
    "take_along_dim": take_along_dim, "take": take, "nonzero": nonzero, "argwhere": argwhere,
    "scatter_": scatter_, "scatter_add_": scatter_add_, "scatter_reduce_": scatter_reduce_,
    "index_add_": index_add_, "index_copy_": index_copy_, "index_fill_": index_fill_, "masked_fill_": masked_fill_,
    "masked_fill": masked_fill,
}
