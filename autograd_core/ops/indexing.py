"""Indexing: ``x[idx]`` (basic, advanced, boolean), functional set-item, gather/scatter."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dual as D
from .._function import Function
from .._tensor import Tensor


def normalize_index(idx: Any) -> tuple[Any, bool]:
    """Turn an index into numpy form; report whether it is basic (ints/slices/None/...)."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    out = []
    basic = True
    for k in idx:
        if isinstance(k, Tensor):
            k = k.data
        if isinstance(k, (list, np.ndarray)):
            k = np.asarray(k)
            if k.dtype.kind not in "iub":
                raise IndexError(
                    f"tensors used as indices must be long, int, byte or bool tensors (got {k.dtype.name})"
                )
            basic = False
        elif isinstance(k, (bool, np.bool_)):
            basic = False
        elif not (k is None or k is Ellipsis or isinstance(k, (slice, int, np.integer))):
            raise IndexError(
                f"only integers, slices (`:`), ellipsis (`...`), None and long or boolean tensors "
                f"are valid indices (got {type(k).__name__})"
            )
        out.append(k)
    if basic and not any(k is Ellipsis for k in out):
        # x[0, 1, ...] returns a 0-d *view* where x[0, 1] would return a copied scalar.
        out.append(Ellipsis)
    return tuple(out), basic


class GetItem(Function):
    """y = x[idx];  gx = zeros_like(x) with g added at idx (repeated indices accumulate)"""

    is_view = True

    def forward(self, x, index, basic):
        self.shape, self.index, self.basic = x.shape, index, basic
        return x[index]

    def backward(self, g):
        return D.index_add_zeros(self.shape, self.index, g, self.basic)

    def attrs(self):
        return {"index": _index_repr(self.index)}


def index_add_into_zeros(shape: tuple[int, ...], index: Any, g: np.ndarray, basic: bool) -> np.ndarray:
    """zeros(shape) with ``g`` added at ``index`` (repeated advanced indices accumulate)."""
    out = np.zeros(shape, dtype=g.dtype)
    if basic:
        out[index] = g  # basic indices never repeat an element: plain assignment suffices
    else:
        np.add.at(out, index, g)
    return out


class IndexAddZeros(Function):
    """y = zeros(shape) with g added at idx;  gg = gy[idx]   (the adjoint of GetItem)"""

    def forward(self, g, shape, index, basic):
        self.index, self.basic = index, basic
        return index_add_into_zeros(shape, index, g, basic)

    def backward(self, gy):
        return GetItem.apply(gy, index=self.index, basic=self.basic) if D.is_tensor(gy) else gy[self.index]


class SetItem(Function):
    """y = x with y[idx] = v;  gx = g with g[idx] = 0,  gv = g[idx]"""

    def forward(self, x, v, index):
        self.index = index
        out = x.copy()
        out[index] = v
        return out

    def backward(self, g):
        idx = self.index
        gx = gv = None
        if self.needs_input_grad(0):
            if D.is_tensor(g):
                gx = SetItem.apply(g, 0.0, index=idx)
            else:
                gx = g.copy()
                gx[idx] = 0
        if self.needs_input_grad(1):
            gv = g[idx]
        return gx, gv

    def attrs(self):
        return {"index": _index_repr(self.index)}


def scatter_add_along(out: np.ndarray, index: np.ndarray, g: np.ndarray, axis: int) -> np.ndarray:
    """out[..., index[...], ...] += g along ``axis`` (accumulating repeats); returns out."""
    grid = list(np.ix_(*[np.arange(s) for s in index.shape]))
    grid[axis] = index
    np.add.at(out, tuple(grid), g)
    return out


class Gather(Function):
    """y = take_along_axis(x, index, dim);  gx = scatter_add(zeros_like(x), index, g)"""

    def forward(self, x, index, dim):
        self.shape, self.index, self.dim = x.shape, index, dim
        return np.take_along_axis(x, index, axis=dim)

    def backward(self, g):
        return D.scatter_zeros(self.shape, self.index, g, self.dim)

    def attrs(self):
        return {"dim": self.dim}


class ScatterAddZeros(Function):
    """y = scatter_add(zeros(shape), index, g, dim);  gg = take_along_axis(gy, index, dim)"""

    def forward(self, g, shape, index, dim):
        self.index, self.dim = index, dim
        return scatter_add_along(np.zeros(shape, dtype=g.dtype), index, g, dim)

    def backward(self, gy):
        return D.gather(gy, self.index, self.dim)


def _index_repr(index: Any) -> str:
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
    index, basic = normalize_index(idx)
    try:
        return GetItem.apply(x, index=index, basic=basic)
    except IndexError as e:
        raise IndexError(f"index {_index_repr(index)} is invalid for a tensor of shape {list(x.shape)}: {e}") from None


def gather(x: Tensor, index: Any, dim: int) -> Tensor:
    """Values of ``x`` at ``index`` along ``dim`` (PyTorch ``gather`` / numpy ``take_along_axis``)."""
    index = np.asarray(index.data if isinstance(index, Tensor) else index)
    if index.dtype.kind not in "iu":
        raise RuntimeError(f"gather(): Expected dtype int64 for index, got {index.dtype.name}")
    if index.ndim != x.ndim:
        raise RuntimeError(
            f"gather(): Index tensor must have the same number of dimensions as input tensor "
            f"(index {list(index.shape)}, input {list(x.shape)})"
        )
    return Gather.apply(x, index=index, dim=dim % max(x.ndim, 1))
