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
        if x.size and math.prod(shape) == x.size:
            # nothing repeats (only size-1 dims added): a writeable view, as PyTorch allows in-place ops
            # on an expand that has no overlapping elements; broadcast_to's views are always read-only
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
        return np.concatenate(xs, axis=dim)

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
        return np.pad(x, widths, mode="constant", constant_values=value)
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
    return Cat.apply(*ts, dim=d)


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
    return Cat.apply(*[unsqueeze(t_, dim) for t_ in ts], dim=dim % n)


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
}
