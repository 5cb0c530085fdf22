"""Helpers that run on ndarrays and on Tensors alike.

Backward formulas are written once. Operators, numpy ufuncs (via ``Tensor.__array_ufunc__``)
and the methods ``sum/mean/reshape`` already work on both types; this module covers the rest.
On an ndarray each helper is plain numpy (the fast ordinary backward); on a Tensor it applies
the corresponding recorded op, so backward-of-backward is differentiated too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._tensor import Tensor


def is_tensor(x: Any) -> bool:
    return isinstance(x, Tensor)


def sum_to(x: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``x`` down to ``shape``: the adjoint of broadcasting ``shape`` up to ``x.shape``."""
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    if lead < 0:
        raise ValueError(f"sum_to: cannot reduce shape {x.shape} to the larger shape {shape}")
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and x.shape[i + lead] != 1
    )
    if axes:
        x = x.sum(axis=axes, keepdims=True)
    if lead:
        x = x.reshape(shape)
    if x.shape != shape:
        raise ValueError(f"sum_to: shape {x.shape} is not broadcastable to {shape}")
    return x


def expand(x: Any, shape: tuple[int, ...]) -> Any:
    """Broadcast ``x`` to ``shape`` (read-only view for arrays)."""
    if isinstance(x, Tensor):
        from .ops.shape import Expand

        return Expand.apply(x, shape=tuple(shape))
    return np.broadcast_to(x, shape)


def where(cond: np.ndarray, a: Any, b: Any) -> Any:
    """Elementwise select with a non-differentiable boolean ``cond``."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        from .ops.compare import Where

        return Where.apply(cond, a, b)
    return np.where(cond, a, b)


def masked(g: Any, w: np.ndarray) -> Any:
    """g * w where w > 0 and exactly 0 elsewhere (w: a bool mask or nonnegative weights): PyTorch's masked
    gradients, where an inf/nan g at a cut-off element gives 0, not 0 * inf = nan. A multiplication (SIMD;
    numpy's where() is ~10x slower on a random mask), redone as a select only when g holds inf or nan."""
    if isinstance(g, Tensor):
        return where(w > 0, g * w, 0.0)
    out = g * w
    if not np.isfinite(out).all():
        out = np.where(w > 0, out, 0).astype(out.dtype, copy=False)
    return out


def unsqueeze(x: Any, axis: int) -> Any:
    if isinstance(x, Tensor):
        return x.unsqueeze(axis)
    return np.expand_dims(x, axis)


def squeeze(x: Any, axis: int) -> Any:
    if isinstance(x, Tensor):
        return x.squeeze(axis)
    return np.squeeze(x, axis)


def permute(x: Any, axes: Sequence[int]) -> Any:
    if isinstance(x, Tensor):
        from .ops.shape import Permute

        return Permute.apply(x, dims=tuple(axes))
    return np.transpose(x, axes)


def mT(x: Any) -> Any:
    """Swap the last two axes."""
    if isinstance(x, Tensor):
        return x.transpose(-2, -1)
    return np.swapaxes(x, -1, -2)


def flip(x: Any, axes: Sequence[int]) -> Any:
    if isinstance(x, Tensor):
        from .ops.shape import Flip

        return Flip.apply(x, dims=tuple(axes))
    return np.flip(x, axes)


def cat(xs: Sequence[Any], axis: int) -> Any:
    if any(isinstance(x, Tensor) for x in xs):
        from .ops.shape import Cat

        return Cat.apply(*xs, dim=axis)
    return np.concatenate(xs, axis=axis)


def split(x: Any, sizes: Sequence[int], axis: int) -> tuple:
    """Split along ``axis`` into pieces of the given sizes."""
    if isinstance(x, Tensor):
        from .ops.shape import Split

        return Split.apply(x, sizes=tuple(sizes), dim=axis)
    return tuple(np.split(x, np.cumsum(sizes)[:-1], axis=axis))


def index_add_zeros(shape: tuple[int, ...], index: Any, g: Any, basic: bool) -> Any:
    """zeros(shape) with ``g`` added at ``index`` (repeated indices accumulate)."""
    if isinstance(g, Tensor):
        from .ops.indexing import IndexAddZeros

        return IndexAddZeros.apply(g, shape=shape, index=index, basic=basic)
    from .ops.indexing import index_add_into_zeros

    return index_add_into_zeros(shape, index, g, basic)


def gather(x: Any, index: np.ndarray, axis: int) -> Any:
    """PyTorch's gather: x at ``index`` along one axis, in ``index``'s shape (no broadcasting)."""
    from .ops.indexing import Gather, _along

    if isinstance(x, Tensor):
        return Gather.apply(x, index=index, dim=axis)
    return x[_along(index, axis)]


def scatter_zeros(shape: tuple[int, ...], index: np.ndarray, g: Any, axis: int) -> Any:
    """zeros(shape) with ``g`` added along ``axis`` at ``index`` (adjoint of gather)."""
    if isinstance(g, Tensor):
        from .ops.indexing import ScatterAddZeros

        return ScatterAddZeros.apply(g, shape=shape, index=index, dim=axis)
    from .ops.indexing import scatter_add_along

    return scatter_add_along(np.zeros(shape, dtype=g.dtype), index, g, axis)


def sigmoid(x: Any) -> Any:
    if isinstance(x, Tensor):
        return x.sigmoid()
    from .ops.unary import stable_sigmoid

    return stable_sigmoid(x)


def cumsum(x: Any, axis: int) -> Any:
    if isinstance(x, Tensor):
        return x.cumsum(axis)
    return np.cumsum(x, axis=axis)


def prod(x: Any, axis: Any, keepdims: bool) -> Any:
    if isinstance(x, Tensor):
        return x.prod(axis, keepdim=keepdims)
    return np.prod(x, axis=axis, keepdims=keepdims)


def cast(x: Any, dtype: np.dtype) -> Any:
    if x.dtype == dtype:
        return x
    if isinstance(x, Tensor):
        return x.to(dtype)
    return x.astype(dtype)


def zeros_like(x: Any) -> Any:
    z = np.zeros(x.shape, dtype=x.dtype)
    return Tensor(z) if isinstance(x, Tensor) else z


def dual_apply(cls: Any, *args: Any, **kwargs: Any) -> Any:
    """Apply op ``cls``: recorded when any argument is a Tensor, plain forward on ndarrays.

    This is the grad-op pattern: a backward that calls another op (whose forward is a
    kernel) stays fast in an ordinary backward and differentiable under create_graph.
    """
    if any(isinstance(a, Tensor) for a in args):
        return cls.apply(*args, **kwargs)
    return object.__new__(cls).forward(*args, **kwargs)
