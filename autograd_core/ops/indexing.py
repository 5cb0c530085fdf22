"""Indexing: ``x[idx]`` (basic, advanced, boolean), functional set-item, gather/scatter."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._function import Function
from .._tensor import Tensor
from .._xp import define
from ..kernels import get as kernel
from .shape import reshape

__all__ = [  # the public functions (ag.<name>); Tensor methods are declared in METHODS below
    "gather",
]


class SplitIndex:
    """``a[first][second]``: PyTorch applies integer indices as selections before the tensor
    (advanced) indices, so they never join the advanced indices' broadcasting as in numpy:
    for x of shape (2, 3, 4), ``x[0, :, idx]`` is (3, len(idx)) in PyTorch, (len(idx), 3) in numpy.
    ``first`` is basic (a view), ``second`` holds the advanced indices."""

    __slots__ = ("first", "second")

    def __init__(self, first: tuple, second: tuple) -> None:
        self.first, self.second = first, second


def take(a: Any, index: Any) -> Any:
    """a[index] for a numpy-form index or a SplitIndex."""
    if type(index) is SplitIndex:
        return a[index.first][index.second]
    return a[index]


def put(a: np.ndarray, index: Any, v: Any) -> None:
    """a[index] = v for a numpy-form index or a SplitIndex (a[first] is a view, so this writes into a), with
    PyTorch's rules: an integer-array index does not cast a tensor value (a one-element value through one mask
    does, as masked_fill_), and a value that does not broadcast to the indexed region is a RuntimeError."""
    if type(v) is np.ndarray:
        _check_put_dtype(a, index, v)
    try:
        if type(index) is SplitIndex:
            a[index.first][index.second] = v
        else:
            a[index] = v
    except ValueError:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(np.shape(v))} cannot be broadcast to "
                           f"indexing result of shape {list(np.shape(take(a, index)))}") from None


def _is_int(k: Any) -> bool:
    return isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_))


def _split(idx: tuple) -> SplitIndex:
    first: list = []
    second: list = []
    for k in idx:
        if _is_int(k):
            first.append(k)  # the dim is selected away before the advanced step
        elif k is Ellipsis:
            first.append(k)
            second.append(k)
        elif k is None or isinstance(k, slice):
            first.append(k)
            second.append(slice(None))
        elif isinstance(k, (bool, np.bool_)):
            first.append(None)  # x[True] is x[None]; x[False] is x[None][0:0]
            second.append(slice(None) if k else slice(0, 0))
        else:  # an index array: a boolean mask spans k.ndim dims
            first.extend([slice(None)] * max(k.ndim if k.dtype == np.bool_ else 1, 1))
            second.append(k)
    if Ellipsis not in first:
        first.append(Ellipsis)
    return SplitIndex(tuple(first), tuple(second))


def _consumed(index: list) -> int:
    """How many dims of the indexed tensor an index list uses (an Ellipsis and None use none)."""
    n = 0
    for k in index:
        if isinstance(k, np.ndarray) and k.dtype == np.bool_:
            n += k.ndim
        elif k is not None and k is not Ellipsis and not isinstance(k, (bool, np.bool_)):
            n += 1
    return n


def _sequence_as_tuple(idx: Any) -> bool:
    """PyTorch's (and old numpy's) rule for a non-tuple sequence index: a short list that holds a sequence, a
    slice, a tensor, ``...`` or None is a tuple of indices (``x[[0, slice(None)]]`` is ``x[0, :]``); any
    other (``x[[0, 2]]``, ``x[range(3)]``) is one integer or boolean index."""
    if not isinstance(idx, (list, range)) or len(idx) >= 32:
        return False
    return any(isinstance(k, (list, tuple, range, slice, Tensor, np.ndarray)) or k is Ellipsis or k is None
               for k in idx)


def _sequence_index(k: Any) -> np.ndarray:
    """A list/tuple/range used as one index (nested lists and tensors inside it allowed) as an array."""
    if isinstance(k, range):
        return np.arange(k.start, k.stop, k.step, dtype=np.int64)
    if len(k) == 0:
        return np.zeros(0, dtype=np.int64)
    items = [e._data if isinstance(e, Tensor) else (_sequence_index(e) if isinstance(e, (list, tuple, range))
                                                    else e) for e in k]
    return np.asarray(items)


def normalize_index(idx: Any, ndim: int | None = None) -> tuple[Any, bool]:
    """Turn an index into numpy form (or a SplitIndex); report whether it is basic (ints/slices/None/...)."""
    if type(idx) is SplitIndex:
        return idx, False
    if not isinstance(idx, tuple):
        idx = tuple(idx) if _sequence_as_tuple(idx) else (idx,)
    out = []
    basic = True
    for k in idx:
        if isinstance(k, Tensor):
            k = k._data
        if isinstance(k, (list, tuple, range)):
            k = _sequence_index(k)
        if isinstance(k, np.ndarray):
            k = np.asarray(k)
            if k.dtype.kind not in "iub":
                raise IndexError(
                    f"tensors used as indices must be long, int, byte or bool tensors (got {k.dtype.name})"
                )
            if k.ndim == 0 and k.dtype.kind in "iu":
                k = int(k)  # a 0-d integer tensor selects, as an int does
            else:
                basic = False
        elif isinstance(k, (bool, np.bool_)):
            basic = False
        elif isinstance(k, slice) and k.step is not None and k.step <= 0:
            # numpy reverses with x[::-1]; PyTorch refuses, and a program relying on it would not port back
            raise ValueError(f"step must be greater than zero (got the slice {k}); to reverse, use x.flip(dim)")
        elif not (k is None or k is Ellipsis or isinstance(k, (slice, int, np.integer))):
            raise IndexError(
                f"only integers, slices (`:`), ellipsis (`...`), None and long or boolean tensors "
                f"are valid indices (got {type(k).__name__})"
            )
        out.append(k)
    if not basic:
        if ndim is not None and any(k is Ellipsis for k in out) and _consumed(out) == ndim:
            # an Ellipsis that stands for no dims does not separate the advanced indices around it (PyTorch
            # expands it first: x[:1, i, ..., j] of a 3-d x keeps i and j adjacent; numpy would move them first)
            out = [k for k in out if k is not Ellipsis]
        if any(_is_int(k) for k in out):
            return _split(tuple(out)), False
        return tuple(out), False
    if not any(k is Ellipsis for k in out):
        # x[0, 1, ...] returns a 0-d *view* where x[0, 1] would return a copied scalar.
        out.append(Ellipsis)
    return tuple(out), basic


class GetItem(Function):
    """y = x[idx];  gx = zeros_like(x) with g added at idx (repeated indices accumulate)"""

    fresh_grads = True
    is_view = True

    def forward(self, x, index, basic):
        self.shape, self.index, self.basic = x.shape, index, basic
        out = take(x, index)
        if not basic and not out.flags.c_contiguous:
            # numpy lays an advanced index's result out in its own order; PyTorch's is contiguous (for a
            # contiguous input), which later view()s rely on
            out = np.ascontiguousarray(out)
        return out

    def backward(self, g):
        return self.xp.apply(IndexAddZeros, g, shape=self.shape, index=self.index, basic=self.basic)

    def attrs(self):
        return {"index": _index_repr(self.index)}


def index_add_into_zeros(shape: tuple[int, ...], index: Any, g: np.ndarray, basic: bool) -> np.ndarray:
    """zeros(shape) with ``g`` added at ``index`` (repeated advanced indices accumulate)."""
    out = np.zeros(shape, dtype=g.dtype)
    if basic:
        out[index] = g  # basic indices never repeat an element: plain assignment suffices
    elif type(index) is SplitIndex:
        np.add.at(out[index.first], index.second, g)  # out[first] is a view of out
    elif type(index) is np.ndarray and index.ndim == 1 and index.dtype.kind in "iu" and len(shape) >= 1:
        kernel("index_add_rows")(out, index, g)  # rows of a table (an embedding's backward): compiled
    else:
        np.add.at(out, index, g)
    return out


class IndexAddZeros(Function):
    """y = zeros(shape) with g added at idx;  gg = gy[idx]   (the adjoint of GetItem)"""

    def forward(self, g, shape, index, basic):
        self.index, self.basic = index, basic
        return index_add_into_zeros(shape, index, g, basic)

    def backward(self, gy):
        return self.xp.apply(GetItem, gy, index=self.index, basic=self.basic)


# xp.index_add_zeros: the adjoint of indexing, for backwards in families indexing itself imports (shape's unfold)
define("index_add_zeros", lambda g, shape, index, basic: index_add_into_zeros(shape, index, g, basic),
       lambda g, shape, index, basic: IndexAddZeros.apply(g, shape=shape, index=index, basic=basic))


class SetItem(Function):
    """y = x with y[idx] = v;  gx = g with g[idx] = 0,  gv = g[idx]"""

    def forward(self, x, v, index):
        self.index = index
        self.lead = 0
        out = x.copy()
        if type(v) is np.ndarray:
            _check_put_dtype(x, index, v)  # before the value is reshaped below
        else:
            v = np.asarray(v, dtype=x.dtype)  # a Python number takes the tensor's dtype (2.7 into int64 is 2)
        region = np.ndim(take(x, index)) if v.ndim else 0
        while v.ndim > region and v.shape[0] == 1:  # PyTorch broadcasts (1, 1) into a (3,) region
            v = v[0]
            self.lead += 1
        put(out, index, v)
        return out

    def backward(self, g):
        idx = self.index
        gx = gv = None
        if self.needs_input_grad(0):
            gx = self.xp.apply(SetItem, g, 0.0, index=idx)  # g with zeros where v was written
        if self.needs_input_grad(1):
            gv = self.xp.apply(GetItem, g, index=idx, basic=False)
            if self.lead:  # back to the value's own rank (the engine then sums the broadcast away)
                gv = gv.reshape((1,) * self.lead + tuple(gv.shape))
        return gx, gv

    def attrs(self):
        return {"index": _index_repr(self.index)}


_SCALAR_NAMES = {"float64": "Double", "float32": "Float", "float16": "Half", "int64": "Long", "int32": "Int",
                 "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _scalar_name(dt: np.dtype) -> str:
    """PyTorch's ScalarType name of a dtype, as its messages print it."""
    return _SCALAR_NAMES.get(np.dtype(dt).name, np.dtype(dt).name)


def _parts(index: Any) -> tuple:
    return index.first + index.second if type(index) is SplitIndex else tuple(index)


def _check_put_dtype(a: np.ndarray, index: Any, v: np.ndarray) -> None:
    # PyTorch writes a one-element value through a single boolean mask with masked_fill_, which casts
    if v.dtype != a.dtype and not _is_basic(index) and not (v.size == 1 and _single_mask(index)):
        raise RuntimeError(
            f"Index put requires the source and destination dtypes match, got {_scalar_name(a.dtype)} for the "
            f"destination and {_scalar_name(v.dtype)} for the source. (Fix: value.to(x.dtype))")


def _is_basic(index: Any) -> bool:
    return not any(isinstance(k, np.ndarray) or isinstance(k, (bool, np.bool_)) for k in _parts(index))


def _single_mask(index: Any) -> bool:
    arrays = [k for k in _parts(index) if isinstance(k, np.ndarray)]
    return len(arrays) == 1 and arrays[0].dtype == np.bool_


def _along(index: np.ndarray, axis: int) -> tuple:
    """The numpy index of PyTorch's gather/scatter: element ``i`` of ``index`` picks position
    ``index[i]`` along ``axis`` and position ``i`` along every other dim. Unlike
    ``take_along_axis`` nothing broadcasts: the result has ``index``'s shape."""
    grid = list(np.ix_(*[np.arange(s) for s in index.shape]))
    grid[axis] = index
    return tuple(grid)


def scatter_add_along(out: np.ndarray, index: np.ndarray, g: np.ndarray, axis: int) -> np.ndarray:
    """out[..., index[...], ...] += g along ``axis`` (accumulating repeats); returns out."""
    np.add.at(out, _along(index, axis), g)
    return out


class Gather(Function):
    """y[i] = x[i with i_dim replaced by index[i]] (y has index's shape);  gx = scatter_add(zeros_like(x), index, g)"""

    fresh_grads = True

    def forward(self, x, index, dim):
        self.shape, self.index, self.dim = x.shape, index, dim
        return x[_along(index, dim)]

    def backward(self, g):
        return self.xp.apply(ScatterAddZeros, g, shape=self.shape, index=self.index, dim=self.dim)

    def attrs(self):
        return {"dim": self.dim}


class ScatterAddZeros(Function):
    """y = scatter_add(zeros(shape), index, g, dim);  gg = gather(gy, index, dim)"""

    def forward(self, g, shape, index, dim):
        self.index, self.dim = index, dim
        return scatter_add_along(np.zeros(shape, dtype=g.dtype), index, g, dim)

    def backward(self, gy):
        return self.xp.apply(Gather, gy, index=self.index, dim=self.dim)


def _index_repr(index: Any) -> str:
    if type(index) is SplitIndex:
        return _index_repr(index.first) + _index_repr(index.second)
    parts = []
    for k in index:
        if k is Ellipsis:
            continue
        if isinstance(k, slice):
            parts.append(":".join("" if v is None else str(v) for v in (k.start, k.stop, k.step)).rstrip(":")
                         or ":")
        elif isinstance(k, np.ndarray):
            parts.append(f"<{k.dtype.name} array {list(k.shape)}>")
        else:
            parts.append(repr(k))
    return "[" + ", ".join(parts) + "]"


def getitem(x: Tensor, idx: Any) -> Tensor:
    """x[idx] with numpy/PyTorch semantics."""
    index, basic = normalize_index(idx, x.ndim)
    try:
        return GetItem.apply(x, index=index, basic=basic)
    except IndexError as e:
        raise IndexError(f"index {_index_repr(index)} is invalid for a tensor of shape {list(x.shape)}: {e}") from None


def gather(input: Tensor, dim: int, index: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """torch.gather(input, dim, index): out[i][j] = input[index[i][j]][j] for dim=0 (likewise for other dims)."""
    return gather_along(input, index, dim)


def gather_along(x: Tensor, index: Any, dim: int) -> Tensor:
    """out[i][j] = x[index[i][j]][j] for dim=0 (likewise for other dims): ``index``'s shape, no broadcasting."""
    index = np.asarray(index._data if isinstance(index, Tensor) else index)
    if index.dtype.kind not in "iu":
        raise RuntimeError(f"gather(): Expected dtype int32/int64 for index, got {index.dtype.name}")
    nd = max(x.ndim, 1)  # a 0-d tensor gathers as a 1-element vector, as in PyTorch
    if not -nd <= dim < nd:
        raise IndexError(f"gather(): Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], "
                         f"but got {dim})")
    dim %= nd
    xs = x.shape if x.ndim else (1,)
    if max(index.ndim, 1) != nd:
        raise RuntimeError(
            f"gather(): Index tensor must have the same number of dimensions as input tensor "
            f"(index {list(index.shape)}, input {list(x.shape)})"
        )
    ishape = index.shape if index.ndim else (1,)
    for d in range(nd):
        if d != dim and ishape[d] > xs[d]:
            raise RuntimeError(
                f"gather(): Size does not match at dimension {d} expected index {list(index.shape)} to be no "
                f"larger than self {list(x.shape)} apart from dimension {dim}"
            )
    if index.size:
        lo, hi = int(index.min()), int(index.max())
        if lo < 0 or hi >= xs[dim]:
            bad = lo if lo < 0 else hi
            raise RuntimeError(f"gather(): index {bad} is out of bounds for dimension {dim} with size {xs[dim]}")
    if x.ndim == 0 or index.ndim == 0:
        out = Gather.apply(reshape(x, xs) if x.ndim == 0 else x, index=index.reshape(ishape), dim=dim)
        return reshape(out, index.shape) if index.ndim == 0 else out
    return Gather.apply(x, index=index, dim=dim)


def _gather_method(self: Tensor, dim: int, index: Any) -> Tensor:
    """x.gather(dim, index)"""
    return gather_along(self, index, dim)


# ---------------------------------------------------------------------- declarations
METHODS = {"__getitem__": getitem, "gather": _gather_method}
