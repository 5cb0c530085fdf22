"""Shape and layout ops: reshape, permute, expand, repeat, cat, split, flip, pad, clone, cast."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._function import Function, register_view
from .._tensor import Tensor, _make
from .._xp import define
from ._dims import normalize_dims

__all__ = [  # the public functions (ag.<name>); Tensor methods are declared in METHODS below
    "broadcast_to", "cat", "chunk", "clone", "concat", "expand", "flatten", "flip", "pad", "permute", "repeat",
    "reshape", "split", "squeeze", "stack", "t", "transpose", "unbind", "unsqueeze", "view",
    "narrow", "tril", "triu", "roll", "repeat_interleave", "tile", "movedim", "moveaxis", "swapaxes", "swapdims",
    "hstack", "vstack", "row_stack", "dstack", "column_stack", "concatenate", "tensor_split", "unflatten", "rot90",
    "diagflat", "block_diag", "meshgrid", "cartesian_prod", "broadcast_tensors", "broadcast_shapes", "atleast_1d",
    "atleast_2d", "atleast_3d", "diff", "kron", "cross", "ravel", "select", "fliplr", "flipud",
]


class Reshape(Function):
    """y = reshape(x, s);  gx = reshape(g, x.shape)"""

    is_view = True

    def forward(self, x, shape):
        self.in_shape, self.out_shape = x.shape, shape
        return x.reshape(shape)

    def backward(self, g):
        return g.reshape(self.in_shape)

    def attrs(self):
        return {"shape": self.out_shape}


class Permute(Function):
    """y = transpose(x, dims);  gx = transpose(g, argsort(dims))"""

    is_view = True

    def forward(self, x, dims):
        self.dims = dims
        return np.transpose(x, dims)

    def backward(self, g):
        return self.xp.permute(g, tuple(np.argsort(self.dims)))

    def attrs(self):
        return {"dims": self.dims}


class Expand(Function):
    """y = broadcast_to(x, s);  gx = sum_to(g, x.shape)"""

    is_view = True

    def forward(self, x, shape):
        self.in_shape = x.shape
        if math.prod(shape) == 0:
            return np.zeros(shape, dtype=x.dtype)  # no elements: nothing can overlap, so it may be written to
        if math.prod(shape) == x.size:
            # nothing repeats (only size-1 dims added, or no elements at all): a writeable view, as PyTorch
            # allows in-place ops on an expand that has no overlapping elements; broadcast_to's views are
            # always read-only
            return x.reshape(shape)
        return np.broadcast_to(x, shape)

    def backward(self, g):
        return self.xp.sum_to(g, self.in_shape)


class Repeat(Function):
    """y = tile(x, reps);  gx = sum of g over the tiles"""

    def forward(self, x, reps):
        self.in_shape, self.reps = x.shape, reps
        return np.tile(x, reps)

    def backward(self, g):
        padded = (1,) * (len(self.reps) - len(self.in_shape)) + tuple(self.in_shape)
        split = []
        for r, s in zip(self.reps, padded):
            split += [r, s]
        g = g.reshape(tuple(split)).sum(axis=tuple(range(0, len(split), 2)))
        return g.reshape(self.in_shape)

    def attrs(self):
        return {"repeats": self.reps}


class Cat(Function):
    """y = concat(xs, dim);  gx_i = the slice of g that came from x_i"""

    def forward(self, *xs, dim):
        self.dim = dim
        self.sizes = tuple(x.shape[dim] for x in xs)
        out = np.concatenate(xs, axis=dim)
        return out if out.flags.c_contiguous else np.ascontiguousarray(out)  # PyTorch's cat is contiguous

    def backward(self, g):
        return self.xp.split(g, self.sizes, self.dim)

    def attrs(self):
        return {"dim": self.dim} if self.dim else {}


class Split(Function):
    """ys = split(x, sizes, dim);  gx = concat(gys, dim)   (multi-output; missing grads are zeros)"""

    is_view = True

    def forward(self, x, sizes, dim):
        self.dim = dim
        return tuple(np.split(x, np.cumsum(sizes)[:-1], axis=dim))

    def backward(self, *grads):
        return self.xp.cat(grads, self.dim)

    def attrs(self):
        return {"dim": self.dim} if self.dim else {}


class Flip(Function):
    """y = x reversed along dims;  gx = g reversed along dims"""

    def forward(self, x, dims):
        self.dims = dims
        return np.flip(x, dims).copy()  # PyTorch's flip copies; a view would alias x

    def backward(self, g):
        return self.xp.flip(g, self.dims)

    def attrs(self):
        return {"dims": self.dims}


class Pad(Function):
    """y = x padded by (before, after) per dim with a constant (negative = crop);  gx = pad(g, -pads)"""

    def forward(self, x, pads, value):
        self.pads = pads
        return _pad_array(x, pads, value)

    def backward(self, g):
        neg = tuple((-b, -a) for b, a in self.pads)
        return self.xp.apply(Pad, g, pads=neg, value=0.0)

    def attrs(self):
        return {"pad": self.pads}


def _pad_array(x: np.ndarray, pads: tuple, value: float) -> np.ndarray:
    crop = tuple(slice(max(-b, 0), x.shape[i] - max(-a, 0)) for i, (b, a) in enumerate(pads))
    x = x[crop]
    widths = tuple((max(b, 0), max(a, 0)) for b, a in pads)
    if any(b or a for b, a in widths):
        # C order, as PyTorch's pad (np.pad keeps a transposed input's layout)
        return np.ascontiguousarray(np.pad(x, widths, mode="constant", constant_values=value))
    return x.copy()


class Clone(Function):
    """y = copy(x);  gx = g"""

    def forward(self, x):
        return x.copy()

    def backward(self, g):
        return g


class Cast(Function):
    """y = x.astype(dtype);  gx = g.astype(x.dtype)"""

    def forward(self, x, dtype):
        self.src = x.dtype
        self.dst = dtype
        return x.astype(dtype)

    def backward(self, g):
        return self.xp.cast(g, self.src)

    def attrs(self):
        return {"dtype": self.dst.name}


class TriMask(Function):
    """y = tril(x, k) or triu(x, k) (the last two dims);  gx = the same triangle of g"""

    fresh_grads = True

    def forward(self, x, k, upper):
        self.k, self.upper = k, upper
        n, m = x.shape[-2:]
        mask = (np.triu if upper else np.tril)(np.ones((n, m), dtype=bool), k)
        return np.where(mask, x, np.zeros((), dtype=x.dtype))

    def backward(self, g):
        return self.xp.apply(TriMask, g, k=self.k, upper=self.upper)

    def attrs(self):
        return {"upper": self.upper, **({"diagonal": self.k} if self.k else {})}


class Roll(Function):
    """y = x shifted cyclically by shifts along dims (flattened when dims is None);  gx = g shifted back"""

    def forward(self, x, shifts, dims):
        self.shifts, self.dims = shifts, dims
        out = np.roll(x, shifts, axis=dims)
        return out if out.flags.c_contiguous else out.copy()  # a contiguous result, as PyTorch's

    def backward(self, g):
        back = tuple(-s for s in self.shifts) if isinstance(self.shifts, tuple) else -self.shifts
        return self.xp.apply(Roll, g, shifts=back, dims=self.dims)

    def attrs(self):
        return {"shifts": self.shifts, **({"dims": self.dims} if self.dims is not None else {})}


# ---------------------------------------------------------------------- public functions


def _sizes(args: tuple) -> tuple:
    """Accept f(2, 3) and f((2, 3)) like PyTorch."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _infer_shape(shape: tuple, numel: int, op: str) -> tuple[int, ...]:
    shape = tuple(int(s) for s in shape)
    if shape.count(-1) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred (got shape {list(shape)})")
    known = math.prod(s for s in shape if s != -1)
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"{op}: shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(
            f"{op}: shape '{list(shape)}' is invalid for input of size {numel} (the product of the new "
            "shape must equal the number of elements)"
        )
    return shape


def reshape(x: Tensor, *shape: Any) -> Tensor:
    """Same data, new shape (one dimension may be -1)."""
    shape = _infer_shape(_sizes(shape), x._data.size, "reshape")
    if shape == x.shape:
        return _alias(x)
    return Reshape.apply(x, shape=shape)


def _alias(x: Tensor) -> Tensor:
    """x itself as a new view: recorded (an identity Reshape) when x requires grad, so gradients
    flow through it; a plain alias sharing x's version counter otherwise."""
    if x._rg:
        return Reshape.apply(x, shape=x.shape)
    t = _make(x._data, None, False)
    t._vc = x._vc
    register_view(t, x._base if x._base is not None else x)
    return t


def view(x: Tensor, *shape: Any) -> Tensor:
    """Same memory, new shape; refuses (as PyTorch) when the strides would need a copy."""
    shape = _infer_shape(_sizes(shape), x._data.size, "view")
    try:
        x._data.reshape(shape, copy=False)  # a check only: raises where reshape would copy
    except ValueError:
        raise RuntimeError(
            f"view size is not compatible with input tensor's size and stride (at least one dimension spans "
            f"across two contiguous subspaces): view{tuple(shape)} of a tensor of shape {list(x.shape)} with "
            f"strides {[st // x._data.itemsize for st in x._data.strides]}. Use .reshape(...) instead "
            "(or .contiguous().view(...))."
        ) from None
    return _alias(x) if shape == x.shape else Reshape.apply(x, shape=shape)


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims start_dim..end_dim into one."""
    if x.ndim == 0:
        return reshape(x, 1)
    s = normalize_dims(start_dim, x.ndim, "flatten")[0]  # type: ignore[index]
    e = normalize_dims(end_dim, x.ndim, "flatten")[0]  # type: ignore[index]
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = x.shape[:s] + (math.prod(x.shape[s:e + 1]),) + x.shape[e + 1:]
    return Reshape.apply(x, shape=shape)


def squeeze(x: Tensor, dim: Any = None) -> Tensor:
    """Remove size-1 dims (only the given ones if ``dim``; others are left alone, as in PyTorch)."""
    if dim is None:
        shape = tuple(s for s in x.shape if s != 1)
    else:
        dims = normalize_dims(dim, x.ndim, "squeeze") or ()
        shape = tuple(s for i, s in enumerate(x.shape) if not (i in dims and s == 1))
    return Reshape.apply(x, shape=shape)


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dim at ``dim`` (in [-ndim-1, ndim])."""
    n = x.ndim + 1
    if not -n <= dim < n:
        raise IndexError(f"unsqueeze: Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    d = dim % n
    return Reshape.apply(x, shape=x.shape[:d] + (1,) + x.shape[d:])


def permute(x: Tensor, *dims: Any) -> Tensor:
    """Reorder dimensions."""
    dims = _sizes(dims)
    if len(dims) != x.ndim:
        raise RuntimeError(
            f"permute(): number of dimensions in the tensor input does not match the length of "
            f"the desired ordering of dimensions i.e. input.dim() = {x.ndim} is not equal to len(dims) = "
            f"{len(dims)}"
        )
    nd = normalize_dims(dims, x.ndim, "permute")
    return Permute.apply(x, dims=tuple(int(d) % max(x.ndim, 1) for d in dims)) if nd is not None else _alias(x)


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dimensions."""
    if x.ndim < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return _alias(x)
    a = normalize_dims(dim0, x.ndim, "transpose")[0]  # type: ignore[index]
    b = normalize_dims(dim1, x.ndim, "transpose")[0]  # type: ignore[index]
    dims = list(range(x.ndim))
    dims[a], dims[b] = dims[b], dims[a]
    return Permute.apply(x, dims=tuple(dims))


def t(x: Tensor) -> Tensor:
    """Transpose of a tensor with at most 2 dims."""
    if x.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    return transpose(x, 0, -1) if x.ndim == 2 else _alias(x)


def expand(x: Tensor, *sizes: Any) -> Tensor:
    """Broadcast to a larger shape without copying (-1 keeps a dim)."""
    sizes = _sizes(sizes)
    if len(sizes) < x.ndim:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to the number "
            f"of dimensions in the tensor ({x.ndim})"
        )
    lead = len(sizes) - x.ndim
    shape = []
    for i, s in enumerate(sizes):
        cur = x.shape[i - lead] if i >= lead else None
        if s == -1:
            if cur is None:
                raise RuntimeError(f"expand: -1 is not allowed in a leading, non-existing dimension ({i})")
            s = cur
        if cur is not None and cur != 1 and cur != s:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: {list(x.shape)}"
            )
        shape.append(int(s))
    return Expand.apply(x, shape=tuple(shape))


def broadcast_to(x: Tensor, shape: Sequence[int]) -> Tensor:
    """Broadcast to ``shape`` (numpy rules)."""
    return expand(x, tuple(shape))


def expand_as(x: Tensor, other: Tensor) -> Tensor:
    return expand(x, other.shape)


def repeat(x: Tensor, *sizes: Any) -> Tensor:
    """Tile the tensor ``sizes`` times along each dim (PyTorch ``repeat`` = numpy ``tile``)."""
    sizes = _sizes(sizes)
    if len(sizes) < x.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor "
            f"(repeat dims {list(sizes)}, tensor shape {list(x.shape)})"
        )
    return Repeat.apply(x, reps=tuple(int(s) for s in sizes))


def _as_tensors(tensors: Sequence[Any], op: str) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}(): argument 'tensors' must be a tuple or list of Tensors, not "
                        f"{type(tensors).__name__}")
    if len(tensors) == 0:
        raise RuntimeError(f"{op}(): expected a non-empty list of Tensors")
    return [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]


def cat(tensors: Sequence[Tensor], dim: int = 0, *, axis: Any = None) -> Tensor:
    """Concatenate along an existing dimension."""
    if axis is not None:
        dim = axis
    ts = _as_tensors(tensors, "cat")
    nd = ts[0].ndim
    if nd == 0:
        raise RuntimeError("cat(): zero-dimensional tensor (at position 0) cannot be concatenated")
    d = normalize_dims(dim, nd, "cat")[0]  # type: ignore[index]
    for i, t_ in enumerate(ts):
        if t_.ndim != nd:
            raise RuntimeError(
                f"cat(): Tensors must have same number of dimensions: got {nd} and {t_.ndim} "
                f"(tensor number {i})"
            )
        for k in range(nd):
            if k != d and t_.shape[k] != ts[0].shape[k]:
                raise RuntimeError(
                    f"cat(): Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ts[0].shape[k]} but got size {t_.shape[k]} for tensor number {i} in the list."
                )
    return Cat.apply(*_promoted(ts), dim=d)


def _promoted(ts: list) -> list:
    """The tensors cast to PyTorch's common dtype: with any float among them, the widest float (an int64 joined
    to float32 stays float32, where numpy's concatenate would give float64); else numpy's integer promotion."""
    dts = {t_.dtype for t_ in ts}
    if len(dts) == 1:
        return ts
    floats = [d for d in dts if d.kind in "fc"]
    target = np.result_type(*floats) if floats else np.result_type(*dts)
    return [t_ if t_.dtype == target else to_dtype(t_, target) for t_ in ts]


concat = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join along a new dimension."""
    ts = _as_tensors(tensors, "stack")
    for i, t_ in enumerate(ts):
        if t_.shape != ts[0].shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(ts[0].shape)} at entry 0 and "
                f"{list(t_.shape)} at entry {i}"
            )
    n = ts[0].ndim + 1
    if not -n <= dim < n:
        raise IndexError(f"stack: Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return Cat.apply(*_promoted([unsqueeze(t_, dim) for t_ in ts]), dim=dim % n)


def split(x: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into chunks of a given size (last may be smaller) or of the given sizes."""
    d = normalize_dims(dim, x.ndim, "split")[0]  # type: ignore[index]
    n = x.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        step = int(split_size_or_sections)
        if step <= 0 and n > 0:
            raise RuntimeError(f"split: split_size must be positive, got {step}")
        sizes = [step] * (n // step) + ([n % step] if n % step else []) if n else [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
                f"dimension {d}), but got split_sizes={sizes}"
            )
    return Split.apply(x, sizes=tuple(sizes), dim=d)


def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into ``chunks`` pieces of size ceil(n / chunks) (may return fewer)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = normalize_dims(dim, x.ndim, "chunk")[0]  # type: ignore[index]
    if x.shape[d] == 0:
        return Split.apply(x, sizes=(0,) * chunks, dim=d)  # PyTorch: `chunks` empty pieces
    step = max(-(-x.shape[d] // chunks), 1)
    return split(x, step, d)


def unbind(x: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """Remove a dimension, returning the slices along it."""
    d = normalize_dims(dim, x.ndim, "unbind")[0]  # type: ignore[index]
    return tuple(squeeze(p, d) for p in split(x, 1, d))


def flip(x: Tensor, dims: Any) -> Tensor:
    """Reverse the order of elements along ``dims``."""
    nd = normalize_dims(dims, x.ndim, "flip")
    return Flip.apply(x, dims=nd if nd is not None else ())


def pad(x: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad (or crop, with negative sizes) the last dims: ``pad = (left, right, top, bottom, ...)``."""
    if mode != "constant":
        raise NotImplementedError(
            f"pad: mode={mode!r} is not implemented yet; only 'constant' is supported"
        )
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise RuntimeError(
            f"pad: padding length must be even and at most 2 * ndim = {2 * x.ndim}, got {len(pad)} "
            f"for input of shape {list(x.shape)}"
        )
    pairs = [(0, 0)] * x.ndim
    for k in range(len(pad) // 2):
        pairs[x.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    for i, (b, a) in enumerate(pairs):
        if x.shape[i] + b + a < 0:
            raise RuntimeError(
                f"pad: the padded size of dim {i} would be {x.shape[i] + b + a} (input {x.shape[i]}, pads "
                f"{b}, {a}); it must be non-negative"
            )
    return Pad.apply(x, pads=tuple(pairs), value=0.0 if value is None else value)


def clone(x: Tensor) -> Tensor:
    """A copy that is still connected to the graph."""
    return Clone.apply(x)


def to_dtype(x: Tensor, dtype: Any) -> Tensor:
    """Convert to ``dtype`` (the gradient is cast back)."""
    dt = np.dtype(dtype)
    if dt == x._data.dtype:
        return x
    if x._rg and dt.kind not in "fc":
        # The result is an integer tensor: it cannot carry gradient, so do not record it.
        return _make(x._data.astype(dt), None, False)
    return Cast.apply(x, dtype=dt)



# ---------------------------------------------------------------------- more layout ops (PyTorch's names)
# Composites over the ops above and the indexing ops (reached through Tensor methods and operators at call
# time: this module sits below ops/indexing.py and ops/arithmetic.py, which import it).
def _tensor_arg(x: Any, op: str, what: str = "input") -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{what}' must be Tensor, not {type(x).__name__}")
    return x


def _dim1(x: Tensor, dim: Any, op: str) -> int:
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
    return normalize_dims(dim, x.ndim, op)[0] if x.ndim else 0  # type: ignore[index]


def view_as(x: Tensor, other: Tensor) -> Tensor:
    """``x.view(other.shape)``."""
    return view(x, tuple(other.shape))


def reshape_as(x: Tensor, other: Tensor) -> Tensor:
    """``x.reshape(other.shape)``."""
    return reshape(x, tuple(other.shape))


def narrow(x: Tensor, dim: int, start: Any, length: int) -> Tensor:
    """The view of ``length`` elements from ``start`` along ``dim``."""
    if x.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _dim1(x, dim, "narrow")
    n = x.shape[d]
    start = int(start.item() if isinstance(start, Tensor) else start)
    length = int(length)
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    if start < 0:
        start += n
    if length < 0:
        raise RuntimeError(f"narrow(): length must be non-negative (got {length}).")
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return x[(slice(None),) * d + (slice(start, start + length),)]


def _tri(x: Tensor, diagonal: int, upper: bool) -> Tensor:
    op = "triu" if upper else "tril"
    _tensor_arg(x, op)
    if x.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions (got shape {list(x.shape)})")
    return TriMask.apply(x, k=int(diagonal), upper=upper)


def tril(x: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle (j <= i + diagonal) of the last two dims; zeros above."""
    return _tri(x, diagonal, False)


def triu(x: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle (j >= i + diagonal) of the last two dims; zeros below."""
    return _tri(x, diagonal, True)


def roll(x: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Shift elements cyclically along ``dims`` (of the flattened tensor when dims is None)."""
    _tensor_arg(x, "roll")
    multi = isinstance(shifts, (tuple, list))
    sh = tuple(int(s) for s in shifts) if multi else (int(shifts),)
    if dims is None:
        if len(sh) != 1:
            raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(sh)}, dims:0 (pass dims= for "
                               "more than one shift)")
        return Roll.apply(x, shifts=sh[0], dims=None)
    ds = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if len(sh) != len(ds):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(sh)}, dims:{len(ds)}")
    axes = tuple(normalize_dims(d, x.ndim, "roll")[0] if x.ndim else 0 for d in ds)  # type: ignore[index]
    if x.ndim == 0:
        return clone(x)
    return Roll.apply(x, shifts=sh, dims=axes)


def unfold(x: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """Tensor.unfold: the windows of ``size`` elements every ``step`` along ``dimension``, as a new last dim
    (a view of x where the memory allows, as in PyTorch)."""
    d = _dim1(x, dimension, "unfold")
    n = x.shape[d] if x.ndim else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if x.ndim == 0:
        return reshape(x, 1)[:size]
    return Unfold.apply(x, dim=d, size=int(size), step=int(step))


class Unfold(Function):
    """y[..., w, ..., j] = x[..., w * step + j, ...] (windows along dim, a new last axis);
    gx = the windows of g added back (overlapping windows accumulate)"""

    is_view = True

    def forward(self, x, dim, size, step):
        self.shape, self.dim, self.size, self.step = x.shape, dim, size, step
        n = x.shape[dim]
        nw = (n - size) // step + 1
        shape = x.shape[:dim] + (nw,) + x.shape[dim + 1:] + (size,)
        strides = x.strides[:dim] + (x.strides[dim] * step,) + x.strides[dim + 1:] + (x.strides[dim],)
        root = x if x.base is None else x.base
        if isinstance(root, np.ndarray):
            # a view whose base is x's memory owner, so the engine links it as a view of x (writes through it,
            # version counters); numpy's as_strided would hide the owner behind a helper object
            try:
                off = x.__array_interface__["data"][0] - root.__array_interface__["data"][0]
                return np.ndarray(shape, x.dtype, buffer=root, offset=off, strides=strides)
            except (TypeError, ValueError):
                pass
        return np.lib.stride_tricks.as_strided(x, shape, strides).copy()

    def backward(self, g):
        xp = self.xp
        d, nd = self.dim, len(self.shape)
        # the window axis (last) back next to the window-count axis (d), then add each window at its positions
        perm = tuple(range(d + 1)) + (nd,) + tuple(range(d + 1, nd))
        idx = np.arange((self.shape[d] - self.size) // self.step + 1)[:, None] * self.step + np.arange(self.size)
        return xp.index_add_zeros(xp.permute(g, perm), self.shape, (slice(None),) * d + (idx,), False)

    def attrs(self):
        return {"dimension": self.dim, "size": self.size, "step": self.step}


def repeat_interleave(x: Any, repeats: Any = None, dim: Any = None, *, output_size: Any = None) -> Tensor:
    """Repeat each element (each slice along ``dim``; of the flattened tensor when dim is None) ``repeats``
    times (an int or one count per element). ``repeat_interleave(counts)`` repeats the indices 0..n-1."""
    if repeats is None:  # torch.repeat_interleave(repeats): the index of each repeated position
        r = _tensor_arg(x, "repeat_interleave", "repeats")._data
        if r.ndim > 1 or r.dtype.kind not in "iu":
            raise RuntimeError("repeat_interleave: repeats must be a 0-dim or 1-dim integer tensor")
        return _make(np.repeat(np.arange(r.size), r.reshape(-1)).astype(np.int64), None, False)
    _tensor_arg(x, "repeat_interleave")
    if dim is None:
        x = reshape(x, -1)
        d = 0
    else:
        d = _dim1(x, dim, "repeat_interleave")
        if x.ndim == 0:
            x = reshape(x, 1)
    n = x.shape[d]
    r = np.asarray(repeats._data if isinstance(repeats, Tensor) else repeats)
    if r.dtype.kind not in "iu" or r.ndim > 1:
        raise RuntimeError(f"repeat_interleave: repeats must be an int or a 0-dim/1-dim integer tensor (got "
                           f"{r.dtype.name} of shape {list(r.shape)})")
    if r.ndim == 1 and r.size != n and r.size != 1:
        raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = {r.size} "
                           f"and input.size({d}) = {n}")
    if (r < 0).any():
        raise RuntimeError("repeat_interleave: repeats can not be negative")
    idx = np.repeat(np.arange(n), r.reshape(-1) if r.ndim else int(r))
    if output_size is not None and int(output_size) != idx.size:
        raise RuntimeError(f"repeat_interleave: output_size {output_size} does not match the repeated size "
                           f"{idx.size}")
    return x[(slice(None),) * d + (idx,)]


def tile(x: Tensor, dims: Any) -> Tensor:
    """``repeat`` with ``dims`` padded by leading 1s to x's rank (numpy's tile)."""
    dims = tuple(int(v) for v in (dims if isinstance(dims, (tuple, list)) else (dims,)))
    if len(dims) < x.ndim:
        dims = (1,) * (x.ndim - len(dims)) + dims
    return repeat(x, dims)


def movedim(x: Tensor, source: Any, destination: Any) -> Tensor:
    """Move the dims ``source`` to the positions ``destination`` (the others keep their order)."""
    src = tuple(source) if isinstance(source, (tuple, list)) else (source,)
    dst = tuple(destination) if isinstance(destination, (tuple, list)) else (destination,)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should contain "
                           f"the same number of dims as destination ({list(dst)} dims)")
    n = max(x.ndim, 1)
    s = [normalize_dims(v, x.ndim, "movedim")[0] if x.ndim else 0 for v in src]  # type: ignore[index]
    t_ = [normalize_dims(v, x.ndim, "movedim")[0] if x.ndim else 0 for v in dst]  # type: ignore[index]
    if len(set(s)) != len(s) or len(set(t_)) != len(t_):
        raise RuntimeError(f"movedim: repeated dim in `{'source' if len(set(s)) != len(s) else 'destination'}` "
                           f"({list(src) if len(set(s)) != len(s) else list(dst)})")
    if x.ndim == 0:
        return _alias(x)
    rest = [i for i in range(n) if i not in s]
    perm = [-1] * n
    for a, b in zip(s, t_):
        perm[b] = a
    it = iter(rest)
    perm = [p if p >= 0 else next(it) for p in perm]
    return permute(x, perm) if perm != list(range(n)) else _alias(x)


moveaxis = movedim


def swapaxes(x: Tensor, axis0: int, axis1: int) -> Tensor:
    """``transpose(x, axis0, axis1)`` (numpy's name)."""
    return transpose(x, axis0, axis1)


def swapdims(x: Tensor, dim0: int, dim1: int) -> Tensor:
    """``transpose(x, dim0, dim1)``."""
    return transpose(x, dim0, dim1)


def _seq(tensors: Any, op: str) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}(): argument 'tensors' must be a tuple or list of Tensors, not "
                        f"{type(tensors).__name__}")
    return _as_tensors(tensors, op)


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenate along dim 1 (dim 0 for 1-D tensors); 0-d tensors count as 1-D."""
    ts = atleast_1d(*_seq(tensors, "hstack"))
    ts = [ts] if isinstance(ts, Tensor) else list(ts)
    return cat(ts, 0 if all(t_.ndim == 1 for t_ in ts) else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenate along dim 0, 0-d and 1-D tensors made rows (1, n) first."""
    ts = atleast_2d(*_seq(tensors, "vstack"))
    return cat([ts] if isinstance(ts, Tensor) else list(ts), 0)


row_stack = vstack


def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenate along dim 2 (depth), each tensor made at least 3-D first (as atleast_3d)."""
    ts = atleast_3d(*_seq(tensors, "dstack"))
    return cat([ts] if isinstance(ts, Tensor) else list(ts), 2)


def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """Stack 0-d/1-D tensors as columns (n, 1) and 2-D tensors as they are, along dim 1."""
    ts = _seq(tensors, "column_stack")
    return cat([reshape(t_, t_._data.size, 1) if t_.ndim <= 1 else t_ for t_ in ts], 1)


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """``cat(tensors, axis)`` (numpy's name)."""
    return cat(tensors, axis)


def tensor_split(x: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Views of x split along ``dim``: into ``sections`` nearly equal parts (the first n % sections one
    longer), or at the given indices (x[:i0], x[i0:i1], ..., x[ik:])."""
    if x.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    d = _dim1(x, dim, "tensor_split")
    n = x.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        a = ios._data
        if a.dtype.kind not in "iu" or a.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have integer dtype and be 0-D or "
                               f"1-D (got {a.dtype.name} of shape {list(a.shape)})")
        ios = int(a) if a.ndim == 0 else [int(v) for v in a]
    if isinstance(ios, (int, np.integer)):
        k = int(ios)
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        sizes = [n // k + 1] * (n % k) + [n // k] * (k - n % k)
        bounds = list(np.cumsum([0] + sizes))
        pairs = list(zip(bounds[:-1], bounds[1:]))
    else:
        cuts = [int(v) for v in ios]
        pairs = list(zip([0] + cuts, cuts + [None]))
    bounds = tuple(slice(a, b).indices(n)[:2] for a, b in pairs)
    parts = TensorSplit.apply(x, bounds=tuple((a, max(b, a)) for a, b in bounds), dim=d)
    for p_ in parts:
        p_.__dict__.pop("_multi_view", None)  # ordinary views: PyTorch allows in-place ops on these (not on split's)
    return parts


class TensorSplit(Function):
    """ys = x[..., a_k:b_k, ...] along dim (views; the pieces may overlap or be empty);
    gx = sum_k g_k padded back to x's size"""

    is_view = True

    def forward(self, x, bounds, dim):
        self.bounds, self.dim, self.n = bounds, dim, x.shape[dim]
        pre = (slice(None),) * dim
        # an empty piece of a broadcast (read-only) array: a fresh empty array, so in-place ops on it work (nothing
        # to write) as in PyTorch
        return tuple(x[pre + (slice(a, b),)] if b > a or x.flags.writeable else
                     np.zeros(x.shape[:dim] + (0,) + x.shape[dim + 1:], dtype=x.dtype) for a, b in bounds)

    def backward(self, *grads):
        nd = len(grads[0].shape)
        gx = None
        for (a, b), g in zip(self.bounds, grads):
            pads = tuple((a, self.n - b) if i == self.dim else (0, 0) for i in range(nd))
            part = self.xp.apply(Pad, g, pads=pads, value=0.0)
            gx = part if gx is None else gx + part
        return gx

    def attrs(self):
        return {"dim": self.dim} if self.dim else {}


def unflatten(x: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Split dim ``dim`` into ``sizes`` (one of them may be -1)."""
    d = _dim1(x, dim, "unflatten")
    sizes = tuple(int(v) for v in sizes)
    if len(sizes) == 0:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = x.shape[d] if x.ndim else 1
    known = math.prod(v for v in sizes if v != -1)
    if sizes.count(-1) > 1 or (-1 not in sizes and known != n) or (-1 in sizes and (known == 0 or n % known)):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} ({n}) "
                           "in the input tensor")
    sizes = tuple(n // known if v == -1 else v for v in sizes)
    return reshape(x, x.shape[:d] + sizes + x.shape[d + 1:])


def rot90(x: Tensor, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
    """Rotate by 90 degrees k times in the plane ``dims`` (from the first towards the second)."""
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if x.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {x.ndim}")
    a, b = (normalize_dims(v, x.ndim, "rot90")[0] for v in dims)  # type: ignore[index]
    if a == b:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}")
    k %= 4
    if k == 1:
        return transpose(flip(x, (b,)), a, b)
    if k == 2:
        return flip(x, (a, b))
    if k == 3:
        return transpose(flip(x, (a,)), a, b)
    return clone(x)


def diagflat(x: Tensor, offset: int = 0) -> Tensor:
    """The square matrix with the flattened x on its ``offset``-th diagonal."""
    flat = reshape(x, -1)
    k, o = flat.shape[0], abs(offset)
    # diag(flat) from rows [f_i, 0, ..., 0] of length k + 1: their first k * k values, read as k x k, put f_i at
    # (i, i) (a product with I would give -0.0 beside negative values and nan beside inf/nan, where PyTorch
    # gives 0); then the offset by zero padding: above the main diagonal it shifts right, below it shifts down
    rows = cat([reshape(flat, (k, 1)), _make(np.zeros((k, k), flat.dtype), None, False)], 1)
    m = reshape(reshape(rows, -1)[:k * k], (k, k))
    return pad(m, (o, 0, 0, o) if offset > 0 else (0, o, o, 0)) if o else m


def _result_dtype(ts: Sequence[Tensor]) -> np.dtype:
    """PyTorch's promotion of a list of tensors: floats win over integers (the widest float among them)."""
    floats = [t_._data.dtype for t_ in ts if t_._data.dtype.kind in "fc"]
    return np.result_type(*floats) if floats else np.result_type(*[t_._data.dtype for t_ in ts])


def block_diag(*tensors: Tensor) -> Tensor:
    """The block-diagonal matrix of the given 0-d, 1-D (a row) or 2-D tensors."""
    ts = [_tensor_arg(t_, "block_diag", "tensors") for t_ in tensors]
    for i, t_ in enumerate(ts):
        if t_.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{t_.ndim} dimensions")
    if not ts:
        return _make(np.zeros((1, 0), dtype=np.float32), None, False)
    dt = _result_dtype(ts)
    mats = [reshape(t_, 1, 1) if t_.ndim == 0 else (reshape(t_, 1, -1) if t_.ndim == 1 else t_) for t_ in ts]
    mats = [to_dtype(m, dt) for m in mats]
    width = sum(m.shape[1] for m in mats)
    rows, at = [], 0
    for m in mats:
        rows.append(Pad.apply(m, pads=((0, 0), (at, width - at - m.shape[1])), value=0))
        at += m.shape[1]
    return cat(rows, 0)


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids of 0-d/1-D tensors: 'ij' (default; output i varies along dim i) or 'xy' (the first
    two dims swapped, as numpy's default). The grids are broadcast views."""
    ts = list(tensors[0]) if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else list(tensors)
    ts = [_tensor_arg(t_, "meshgrid", "tensors") for t_ in ts]
    indexing = "ij" if indexing is None else indexing
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    if not ts:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t_ in ts:
        if t_.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {list(t_.shape)}")
        if t_.dtype != ts[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype (got "
                               f"{ts[0].dtype.name} and {t_.dtype.name})")
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t_._data.size for t_ in ts)
    grids = []
    for i, t_ in enumerate(ts):
        view_shape = (1,) * i + (t_._data.size,) + (1,) * (len(ts) - i - 1)
        grids.append(expand(reshape(t_, view_shape), shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """All combinations of the elements of 1-D tensors, as the rows of an (n1 * n2 * ..., k) tensor."""
    ts = [_tensor_arg(t_, "cartesian_prod", "tensors") for t_ in tensors]
    for t_ in ts:
        if t_.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t_.shape)}")
    if len(ts) == 1:
        return ts[0]
    return stack([reshape(g, -1) for g in meshgrid(*ts, indexing="ij")], 1)


def broadcast_shapes(*shapes: Any) -> Any:
    """The shape the given shapes broadcast to (an ``autograd_core.Size``)."""
    from .._runtime import Size

    norm = [(int(s),) if isinstance(s, (int, np.integer)) else tuple(int(v) for v in s) for s in shapes]
    out: list[int] = []
    for k, s in enumerate(norm):
        try:
            out = list(np.broadcast_shapes(tuple(out), s))
        except ValueError:
            nd = max(len(out), len(s))
            a, b = [1] * (nd - len(out)) + out, [1] * (nd - len(s)) + list(s)
            j = next(j for j in range(nd - 1, -1, -1) if a[j] != b[j] and 1 not in (a[j], b[j]))
            raise RuntimeError(f"Attempting to broadcast a dimension of length {b[j]} at {j - nd}! Mismatching "
                               f"argument at index {k} had {tuple(s)}; but expected shape should be broadcastable "
                               f"to {out}") from None
    return Size(out)


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """The tensors expanded to their common broadcast shape (views)."""
    ts = list(tensors[0]) if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else list(tensors)
    ts = [_tensor_arg(t_, "broadcast_tensors", "tensors") for t_ in ts]
    shape = tuple(broadcast_shapes(*[t_.shape for t_ in ts]))
    return tuple(t_ if t_.shape == shape and not t_._rg else expand(t_, shape) for t_ in ts)


def _atleast(tensors: tuple, nd: int, op: str) -> Any:
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    ts = list(tensors[0]) if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else list(tensors)
    out = []
    for t_ in ts:
        t_ = _tensor_arg(t_, op, "tensors")
        if t_.ndim >= nd:
            out.append(t_)
        elif nd == 3 and t_.ndim == 2:
            out.append(reshape(t_, t_.shape + (1,)))
        elif nd == 3 and t_.ndim == 1:
            out.append(reshape(t_, (1,) + t_.shape + (1,)))
        else:
            out.append(reshape(t_, (1,) * (nd - t_.ndim) + t_.shape))
    return out[0] if single else tuple(out)


def atleast_1d(*tensors: Any) -> Any:
    """Each tensor with at least 1 dim (a 0-d tensor becomes shape (1,)); one tensor in, one out."""
    return _atleast(tensors, 1, "atleast_1d")


def atleast_2d(*tensors: Any) -> Any:
    """Each tensor with at least 2 dims (1-D (n) becomes (1, n))."""
    return _atleast(tensors, 2, "atleast_2d")


def atleast_3d(*tensors: Any) -> Any:
    """Each tensor with at least 3 dims ((n) becomes (1, n, 1), (m, n) becomes (m, n, 1))."""
    return _atleast(tensors, 3, "atleast_3d")


def sum_to_size(x: Tensor, *size: Any) -> Tensor:
    """x summed down to ``size``, a shape x's shape broadcasts from (the adjoint of expand)."""
    from .._xp import sum_to

    shape = tuple(int(v) for v in _sizes(size))
    lead = x.ndim - len(shape)
    if lead < 0 or any(s != 1 and s != x.shape[lead + i] for i, s in enumerate(shape)):
        raise RuntimeError(f"size {{{list(shape)}}} is not expandable to size {{{list(x.shape)}}}.")
    out = sum_to(x, shape)
    return out if out is not x else _alias(x)


def diff(x: Tensor, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None) -> Tensor:
    """The n-th forward difference along ``dim`` (out[i] = x[i + 1] - x[i]), after concatenating
    ``prepend``/``append``; bool tensors give x[i + 1] != x[i]."""
    _tensor_arg(x, "diff")
    if x.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = _dim1(x, dim, "diff")
    parts = [p if isinstance(p, Tensor) else Tensor(np.asarray(p, dtype=x.dtype))
             for p in (prepend, x, append) if p is not None]
    parts = [expand(p, x.shape[:d] + (1,) + x.shape[d + 1:]) if p.ndim == 0 else p for p in parts]
    if n == 0:
        return clone(x)  # PyTorch ignores prepend/append then
    y = cat(parts, d) if len(parts) > 1 else x
    for _ in range(n):
        m = y.shape[d]
        if m == 0:
            break
        hi = narrow(y, d, 1, m - 1)
        lo = narrow(y, d, 0, m - 1)
        y = (hi != lo) if y.dtype == np.bool_ else hi - lo
    return y


def kron(a: Tensor, b: Tensor) -> Tensor:
    """The Kronecker product: blocks a[i, j, ...] * b, for tensors of any rank (the smaller padded with 1s)."""
    _tensor_arg(a, "kron"), _tensor_arg(b, "kron", "other")
    nd = max(a.ndim, b.ndim)
    sa = (1,) * (nd - a.ndim) + tuple(a.shape)
    sb = (1,) * (nd - b.ndim) + tuple(b.shape)
    ia = tuple(v for s in sa for v in (s, 1))
    ib = tuple(v for s in sb for v in (1, s))
    out = reshape(a, ia) * reshape(b, ib)
    return reshape(out, tuple(p * q for p, q in zip(sa, sb)))


def cross(input: Tensor, other: Tensor, dim: Any = None) -> Tensor:  # noqa: A002 - PyTorch's names
    """The 3-vector cross product along ``dim`` (the inputs broadcast); dim None: the first dim of size 3."""
    a, b = _tensor_arg(input, "cross"), _tensor_arg(other, "cross", "other")
    if a.ndim != b.ndim:
        raise RuntimeError(f"linalg.cross: inputs must have the same number of dimensions (got shapes "
                           f"{list(a.shape)} and {list(b.shape)})")
    shape = tuple(broadcast_shapes(a.shape, b.shape))
    if dim is None:
        d = next((i for i, s in enumerate(shape) if s == 3), None)
        if d is None:
            raise RuntimeError(f"no dimension of size 3 in input (shapes {list(a.shape)} and {list(b.shape)})")
    else:
        d = _dim1(a, dim, "linalg.cross")
    if a.shape[d] != 3 or b.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim if dim is not None else d} must have length 3. Got "
                           f"{a.shape[d]} and {b.shape[d]}")
    ax = [narrow(a, d, i, 1) for i in range(3)]
    bx = [narrow(b, d, i, 1) for i in range(3)]
    return cat([ax[1] * bx[2] - ax[2] * bx[1], ax[2] * bx[0] - ax[0] * bx[2], ax[0] * bx[1] - ax[1] * bx[0]], d)


def ravel(x: Tensor) -> Tensor:
    """The flattened tensor (a view when possible)."""
    return reshape(x, -1)


def select(x: Tensor, dim: int, index: int) -> Tensor:
    """The view of x at ``index`` along ``dim`` (that dim removed)."""
    if x.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _dim1(x, dim, "select")
    n = x.shape[d]
    index = int(index)
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(x.shape)} at dimension {d}")
    return x[(slice(None),) * d + (index,)]


def fliplr(x: Tensor) -> Tensor:
    """Reverse dim 1 (left/right)."""
    if x.ndim < 2:
        raise RuntimeError(f"Input must be >= 2-d. (fliplr of shape {list(x.shape)})")
    return flip(x, (1,))


def flipud(x: Tensor) -> Tensor:
    """Reverse dim 0 (up/down)."""
    if x.ndim < 1:
        raise RuntimeError("Input must be >= 1-d. (flipud of a 0-d tensor)")
    return flip(x, (0,))


def _tril_(self: Tensor, diagonal: int = 0) -> Tensor:
    """In-place ``tril`` (a recorded copy_ of the masked result)."""
    return self.copy_(tril(self, diagonal))


def _triu_(self: Tensor, diagonal: int = 0) -> Tensor:
    """In-place ``triu``."""
    return self.copy_(triu(self, diagonal))


# ---------------------------------------------------------------------- xp: the shape functions backwards use
# Tensor twins go through the op classes directly: under create_graph a saved input may be a plain
# array (a constant operand), which the public functions would not accept.
def _axis(ndim: int, axis: int) -> int:
    return axis % ndim if ndim else 0


def _unsqueeze_t(x: Any, axis: int) -> Tensor:
    nd = np.ndim(x._data if isinstance(x, Tensor) else x) + 1
    d = _axis(nd, axis)
    return Reshape.apply(x, shape=x.shape[:d] + (1,) + x.shape[d:])


def _squeeze_t(x: Any, axis: int) -> Tensor:
    d = _axis(len(x.shape), axis)
    return Reshape.apply(x, shape=x.shape[:d] + x.shape[d + 1:])


def _mT_t(x: Any) -> Tensor:
    dims = list(range(len(x.shape)))
    dims[-2], dims[-1] = dims[-1], dims[-2]
    return Permute.apply(x, dims=tuple(dims))


define("expand", np.broadcast_to, lambda x, shape: Expand.apply(x, shape=tuple(shape)))
define("permute", np.transpose, lambda x, axes: Permute.apply(x, dims=tuple(axes)))
define("mT", lambda x: np.swapaxes(x, -1, -2), _mT_t)  # swap the last two axes
define("unsqueeze", np.expand_dims, _unsqueeze_t)
define("squeeze", np.squeeze, _squeeze_t)
define("flip", np.flip, lambda x, axes: Flip.apply(x, dims=tuple(axes)))
define("cat", lambda xs, axis: np.concatenate(xs, axis=axis), lambda xs, axis: Cat.apply(*xs, dim=axis))
define("split", lambda x, sizes, axis: tuple(np.split(x, np.cumsum(sizes)[:-1], axis=axis)),
       lambda x, sizes, axis: Split.apply(x, sizes=tuple(sizes), dim=axis))
define("cast", lambda x, dtype: x if x.dtype == dtype else x.astype(dtype),
       lambda x, dtype: x if x.dtype == dtype else Cast.apply(x, dtype=np.dtype(dtype)))


# ---------------------------------------------------------------------- declarations
def contiguous(self: Tensor) -> Tensor:
    """self if C-contiguous, else a contiguous copy (recorded)."""
    return self if self._data.flags.c_contiguous else clone(self)


def _T(self: Tensor) -> Tensor:
    return permute(self, tuple(range(self.ndim - 1, -1, -1))) if self.ndim > 1 else self


def _mT(self: Tensor) -> Tensor:
    return transpose(self, -2, -1)


METHODS: dict[str, Any] = {
    "reshape": reshape, "view": view, "flatten": flatten, "squeeze": squeeze, "unsqueeze": unsqueeze,
    "transpose": transpose, "permute": permute, "t": t, "expand": expand, "expand_as": expand_as,
    "broadcast_to": broadcast_to, "repeat": repeat, "split": split, "chunk": chunk, "unbind": unbind, "flip": flip,
    "clone": clone, "contiguous": contiguous,
    "float": lambda self: to_dtype(self, np.float32), "double": lambda self: to_dtype(self, np.float64),
    "half": lambda self: to_dtype(self, np.float16), "long": lambda self: to_dtype(self, np.int64),
    "int": lambda self: to_dtype(self, np.int32), "bool": lambda self: to_dtype(self, np.bool_),
    "type_as": lambda self, other: to_dtype(self, other.dtype),
    "T": property(_T), "mT": property(_mT),
    "view_as": view_as, "reshape_as": reshape_as, "narrow": narrow, "tril": tril, "triu": triu, "tril_": _tril_,
    "triu_": _triu_, "roll": roll, "unfold": unfold, "repeat_interleave": repeat_interleave, "tile": tile,
    "movedim": movedim, "moveaxis": moveaxis, "swapaxes": swapaxes, "swapdims": swapdims,
    "tensor_split": tensor_split, "unflatten": unflatten, "rot90": rot90, "diagflat": diagflat, "diff": diff,
    "kron": kron, "cross": cross, "ravel": ravel, "select": select, "fliplr": fliplr, "flipud": flipud,
    "sum_to_size": sum_to_size,
}
