"""Sparse COO tensors: ``sparse_coo_tensor``, ``Tensor.to_sparse``, ``to_dense``, ``sparse.mm`` / ``spmm``,
``sparse.sum``, ``coalesce`` (issue 18).

A sparse tensor here is its own small class, ``SparseTensor``, not a ``Tensor`` subclass: every dense op
reads ``Tensor._data`` as the full array, and a sparse layout inside Tensor would have to be refused by each
of them. A ``SparseTensor`` holds

* ``indices``: an int64 ndarray of shape (sparse_dim, nnz), constants (never differentiated), and
* ``values``: a dense ``Tensor`` of shape (nnz, *dense_dims), with its graph,

so everything differentiable is an ordinary op on ``values``: gradients reach the values a user passed to
``sparse_coo_tensor`` (and whatever computed them), ``to_dense`` is differentiable, and second derivatives
come free. ``A @ X`` with A sparse is ``segment_sum(values[:, None] * X[cols], rows)``: the gather, the
product and the segment sum are recorded ops, so the gradient of X is ``A^T G`` and that of the values is
``(G[rows] * X[cols]).sum(1)``, each computed by those ops' own backwards.

A sparse leaf (``sparse_coo_tensor(..., requires_grad=True)``) keeps its gradient as PyTorch does: ``A.grad``
is a coalesced SparseTensor with A's pattern holding dL/dA at each stored position.

``ag.mm(A, X)`` / ``ag.spmm`` / ``ag.sparse.mm`` / ``A @ X`` / ``A.mm(X)`` all take a sparse left operand.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._device import CPU, check_device
from ._function import Function
from ._tensor import Tensor, _make

__all__ = ["SparseTensor", "sparse_coo", "sparse_coo_tensor", "spmm", "strided"]  # exported as autograd_core.<name>


class layout:  # noqa: N801 - PyTorch's name
    """A memory layout: ``strided`` (dense tensors) or ``sparse_coo``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"autograd_core.{self.name}"

    def __reduce__(self) -> str:
        return self.name


strided = layout("strided")
sparse_coo = layout("sparse_coo")


# ---------------------------------------------------------------------- the one op
class SegmentSum(Function):
    """y[s] = sum of v[k] over the k with index[k] == s, for s < n;  gv = g[index]"""

    def forward(self, v: np.ndarray, index: np.ndarray, n: int) -> np.ndarray:
        self.index, self.n = index, n
        out = np.zeros((n,) + v.shape[1:], dtype=v.dtype)
        if index.size == 0:
            return out
        if v.ndim == 1 and v.dtype.kind == "f":
            # bincount adds in float64: for float32 as accurate as torch's float32 sums or more
            return np.bincount(index, weights=v, minlength=n).astype(v.dtype, copy=False)
        # sort once, then one reduceat over the runs of equal indices (np.add.at is much slower on 2-D values)
        order = np.argsort(index, kind="stable")
        sorted_index = index[order]
        starts = np.flatnonzero(np.r_[True, sorted_index[1:] != sorted_index[:-1]])
        out[sorted_index[starts]] = np.add.reduceat(v[order], starts, axis=0)
        return out

    def backward(self, g: Any) -> Any:
        return g[self.index]

    def attrs(self) -> dict[str, Any]:
        return {"n": self.n}


def _segment_sum(v: Tensor, index: np.ndarray, n: int) -> Tensor:
    return SegmentSum.apply(v, index=index, n=n)


# ---------------------------------------------------------------------- the sparse tensor
def _coalesce_plan(indices: np.ndarray, sparse_shape: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sorted unique indices, inverse: entry -> unique position, first entry of each unique position)."""
    if indices.shape[1] == 0:
        return indices, np.zeros(0, np.int64), np.zeros(0, np.int64)
    linear = np.ravel_multi_index(tuple(indices), sparse_shape) if sparse_shape else np.zeros(indices.shape[1],
                                                                                              np.int64)
    uniq, first, inverse = np.unique(linear, return_index=True, return_inverse=True)
    new = np.stack(np.unravel_index(uniq, sparse_shape)).astype(np.int64) if sparse_shape else indices[:, :1]
    return new.reshape(len(sparse_shape), -1), inverse.reshape(-1), first


class SparseTensor:
    """A sparse COO tensor (PyTorch's ``layout=torch.sparse_coo``): int64 ``indices`` (sparse_dim, nnz) and a
    dense ``values`` Tensor (nnz, *dense_dims). Made by ``sparse_coo_tensor`` or ``Tensor.to_sparse()``."""

    __slots__ = ("_idx", "_vals", "_shape", "_coalesced", "_leaf", "__weakref__")
    is_sparse = True
    layout = sparse_coo
    is_cuda = False
    __array_priority__ = 2000  # numpy operators defer to ours
    __hash__ = object.__hash__

    def __init__(self, indices: np.ndarray, values: Tensor, shape: tuple[int, ...], coalesced: bool = False,
                 leaf: bool = False) -> None:
        self._idx = indices
        self._vals = values
        self._shape = tuple(int(s) for s in shape)
        self._coalesced = coalesced
        self._leaf = leaf  # a sparse leaf that requires grad: its values are its own (made for it), and .grad is kept

    # ------------------------------------------------------------------ introspection
    @property
    def shape(self) -> tuple[int, ...]:
        return self._shape

    def size(self, dim: int | None = None) -> Any:
        return self._shape if dim is None else self._shape[dim]

    def dim(self) -> int:
        return len(self._shape)

    @property
    def ndim(self) -> int:
        return len(self._shape)

    def __len__(self) -> int:
        if not self._shape:
            raise TypeError("len() of a 0-d tensor")
        return self._shape[0]

    def numel(self) -> int:
        return math.prod(self._shape)

    nelement = numel

    @property
    def dtype(self) -> np.dtype:
        return self._vals.dtype

    @property
    def device(self) -> Any:
        return CPU

    def sparse_dim(self) -> int:
        return self._idx.shape[0]

    def dense_dim(self) -> int:
        return self._vals.ndim - 1

    def _nnz(self) -> int:
        return self._idx.shape[1]

    def is_coalesced(self) -> bool:
        return self._coalesced

    def is_floating_point(self) -> bool:
        return self._vals.dtype.kind == "f"

    # ------------------------------------------------------------------ parts
    def _indices(self) -> Tensor:
        return _make(self._idx, None, False)

    def _values(self) -> Tensor:
        return self._vals

    def indices(self) -> Tensor:
        if not self._coalesced:
            raise RuntimeError("Cannot get indices on an uncoalesced tensor, please call .coalesce() first")
        return _make(self._idx, None, False)

    def values(self) -> Tensor:
        """The values (differentiable: the Tensor this sparse tensor was built from, or its coalesced sums)."""
        if not self._coalesced:
            raise RuntimeError("Cannot get values on an uncoalesced tensor, please call .coalesce() first")
        return self._vals

    def coalesce(self) -> SparseTensor:
        """Sorted indices without duplicates; the values of duplicate entries are summed (differentiably)."""
        if self._coalesced:
            return self
        idx, inverse, _ = _coalesce_plan(self._idx, self._shape[:self.sparse_dim()])
        return SparseTensor(idx, _segment_sum(self._vals, inverse, idx.shape[1]), self._shape, True)

    def to_dense(self, dtype: Any = None, *, masked_grad: bool | None = None) -> Tensor:
        """The dense Tensor (duplicate entries summed); differentiable with respect to the values."""
        vals = self._vals if dtype is None else self._vals.to(dtype)
        k = self.sparse_dim()
        sparse_shape = self._shape[:k]
        if self._nnz() and k:
            linear = np.ravel_multi_index(tuple(self._idx), sparse_shape)
        else:
            linear = np.zeros(self._nnz(), np.int64)
        return _segment_sum(vals, linear, math.prod(sparse_shape)).reshape(self._shape)

    # ------------------------------------------------------------------ autograd
    @property
    def requires_grad(self) -> bool:
        return self._vals.requires_grad

    def requires_grad_(self, requires_grad: bool = True) -> SparseTensor:
        if not self.is_leaf:
            raise RuntimeError("you can only change requires_grad flags of leaf variables.")
        if requires_grad and not self._leaf:
            # values of its own (sharing memory), so the Tensor it was built from does not start requiring grad
            self._vals = _make(self._vals._data, None, False)
            self._leaf = True
        self._vals.requires_grad_(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self._leaf or not self._vals.requires_grad

    @property
    def grad_fn(self) -> Any:
        return None if self._leaf else self._vals.grad_fn

    @property
    def grad(self) -> SparseTensor | None:
        """dL/dA at the stored positions, as a coalesced SparseTensor (PyTorch's grad of a sparse leaf)."""
        g = self._vals.grad if self._leaf else None
        if g is None:
            return None
        if self._coalesced:
            return SparseTensor(self._idx, g, self._shape, True)
        # every duplicate of a position received the same dL/dA[position]: keep one of them
        idx, _, first = _coalesce_plan(self._idx, self._shape[:self.sparse_dim()])
        return SparseTensor(idx, _make(np.ascontiguousarray(g._data[first]), None, False), self._shape, True)

    @grad.setter
    def grad(self, value: Any) -> None:
        if value is not None:
            raise RuntimeError("assigning a gradient to a sparse tensor is not supported; set it to None")
        self._vals.grad = None

    def detach(self) -> SparseTensor:
        return SparseTensor(self._idx, self._vals.detach(), self._shape, self._coalesced)

    def clone(self) -> SparseTensor:
        return SparseTensor(self._idx.copy(), self._vals.clone(), self._shape, self._coalesced)

    # ------------------------------------------------------------------ conversions
    def to(self, *args: Any, **kwargs: Any) -> SparseTensor:
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)``: the values are converted (differentiably)."""
        vals = self._vals.to(*args, **kwargs)
        return self if vals is self._vals else SparseTensor(self._idx, vals, self._shape, self._coalesced)

    def cpu(self) -> SparseTensor:
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> SparseTensor:
        check_device("cuda", "SparseTensor.cuda()")
        return self  # pragma: no cover - check_device raises

    def float(self) -> SparseTensor:
        return self.to(np.float32)

    def double(self) -> SparseTensor:
        return self.to(np.float64)

    def numpy(self) -> np.ndarray:
        raise TypeError("can't convert Sparse layout tensor to numpy. Use Tensor.to_dense() first.")

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise TypeError("can't convert Sparse layout tensor to numpy. Use Tensor.to_dense() first.")

    def to_sparse(self, *args: Any, **kwargs: Any) -> SparseTensor:
        return self

    to_sparse_coo = to_sparse

    # ------------------------------------------------------------------ shape
    def t(self) -> SparseTensor:
        if self.sparse_dim() != 2 or self.dense_dim():
            raise RuntimeError("t() expects a 2-D sparse tensor without dense dimensions, got shape "
                               f"{list(self._shape)} (sparse_dim {self.sparse_dim()}, dense_dim {self.dense_dim()})")
        return self.transpose(0, 1)

    def transpose(self, dim0: int, dim1: int) -> SparseTensor:
        """Swap two sparse dimensions (the values are unchanged, so their graph is kept)."""
        k = self.sparse_dim()
        d0, d1 = (d + self.ndim if d < 0 else d for d in (dim0, dim1))
        if not (0 <= d0 < k and 0 <= d1 < k):
            raise IndexError(f"transpose: sparse tensors can transpose sparse dimensions only (0..{k - 1}), got "
                             f"{dim0} and {dim1} for shape {list(self._shape)}")
        idx = self._idx.copy()
        idx[[d0, d1]] = idx[[d1, d0]]
        shape = list(self._shape)
        shape[d0], shape[d1] = shape[d1], shape[d0]
        return SparseTensor(idx, self._vals, tuple(shape), False)

    @property
    def T(self) -> SparseTensor:  # noqa: N802 - PyTorch's name
        return self.t()

    # ------------------------------------------------------------------ arithmetic
    def mm(self, mat2: Any) -> Tensor:
        return _spmm(self, mat2, "mm")

    def matmul(self, other: Any) -> Tensor:
        return _spmm(self, other, "matmul")

    __matmul__ = matmul

    def _scaled(self, other: Any, op: str) -> SparseTensor:
        if isinstance(other, SparseTensor):
            raise NotImplementedError(f"sparse {op} sparse is not implemented: convert one operand with .to_dense()")
        if isinstance(other, Tensor) and other.ndim:
            if other.shape != self._shape:
                raise RuntimeError(f"sparse {op}: a dense operand must be a scalar or have the sparse tensor's shape "
                                   f"{list(self._shape)}, got {list(other.shape)}")
            other = other[tuple(self._idx)]  # the dense values at the stored positions (differentiable)
            if self.dense_dim():
                raise NotImplementedError(f"sparse {op} by a dense tensor with dense dimensions is not implemented")
        vals = self._vals * other if op == "mul" else self._vals / other
        return SparseTensor(self._idx, vals, self._shape, self._coalesced)

    def __mul__(self, other: Any) -> SparseTensor:
        return self._scaled(other, "mul")

    __rmul__ = __mul__
    mul = __mul__

    def __truediv__(self, other: Any) -> SparseTensor:
        return self._scaled(other, "div")

    div = __truediv__

    def __neg__(self) -> SparseTensor:
        return SparseTensor(self._idx, -self._vals, self._shape, self._coalesced)

    def sum(self, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Any:
        if keepdim:
            raise NotImplementedError("sum(keepdim=True) of a sparse tensor is not implemented (PyTorch has none)")
        return _sparse_sum(self, dim, dtype)

    # ------------------------------------------------------------------ printing
    def __repr__(self) -> str:
        pad = " " * 15
        idx = repr(_make(self._idx, None, False)).replace("\n", "\n" + pad)
        vals = repr(self._vals.detach()).replace("\n", "\n" + " " * 14)
        extra = ""
        if self.grad_fn is not None:
            extra = f",\n       grad_fn=<{self.grad_fn.name()}>"
        elif self._vals.requires_grad:
            extra = ", requires_grad=True"
        return (f"tensor(indices={idx},\n       values={vals},\n       size={self._shape}, nnz={self._nnz()}, "
                f"layout=sparse_coo{extra})")


# ---------------------------------------------------------------------- construction
def _index_array(indices: Any) -> np.ndarray:
    arr = indices._data if isinstance(indices, Tensor) else np.asarray(indices)
    if arr.size == 0 and arr.dtype.kind == "f":
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise RuntimeError(f"sparse_coo_tensor: indices must be an int64 tensor, got dtype {arr.dtype} (cast with "
                           ".long())")
    if arr.ndim != 2:
        raise RuntimeError(f"sparse_coo_tensor: indices must be sparse_dim x nnz (2-D), but got shape "
                           f"{list(arr.shape)}")
    return arr.astype(np.int64, copy=True)


def sparse_coo_tensor(indices: Any, values: Any, size: Any = None, dtype: Any = None, device: Any = None, *,
                      requires_grad: bool = False, check_invariants: bool | None = None,
                      is_coalesced: bool | None = None) -> SparseTensor:
    """A sparse COO tensor with ``values[k]`` at position ``indices[:, k]`` (duplicates add up).

    Differentiable with respect to ``values`` when it is a Tensor that requires grad; with
    ``requires_grad=True`` the result is a leaf whose ``.grad`` is sparse. The indices are always checked
    against ``size`` (PyTorch checks only with check_invariants=True; here an out-of-range index is an error)."""
    from ._creation import tensor

    check_device(device, "sparse_coo_tensor")
    idx = _index_array(indices)
    if isinstance(values, Tensor):
        vals = values if dtype is None or values.dtype == np.dtype(dtype) else values.to(dtype)
    else:
        vals = tensor(values, dtype=dtype)
    nnz = idx.shape[1]
    if vals.ndim == 0 or vals.shape[0] != nnz:
        raise RuntimeError(f"indices and values must have same nnz, but got nnz from indices: {nnz}, nnz from values: "
                           f"{vals.shape[0] if vals.ndim else 'a 0-d tensor'}")
    k, dense = idx.shape[0], tuple(vals.shape[1:])
    if nnz and idx.min() < 0:
        d = int(np.argmin(idx.min(axis=1)))
        raise RuntimeError(f"sparse_coo_tensor: found negative index {int(idx[d].min())} for dim {d}")
    if size is None:
        shape = tuple(int(m) + 1 for m in idx.max(axis=1)) if nnz else (0,) * k
        shape += dense
    else:
        shape = tuple(int(s) for s in (size if isinstance(size, (tuple, list)) else tuple(size)))
        if len(shape) != k + len(dense):
            raise RuntimeError(f"number of dimensions must be sparse_dim ({k}) + dense_dim ({len(dense)}), but got "
                               f"{len(shape)}")
        if shape[k:] != dense:
            raise RuntimeError(f"values has incorrect size, expected {[nnz, *shape[k:]]}, got {list(vals.shape)}")
        if nnz:
            over = idx.max(axis=1) >= np.asarray(shape[:k], dtype=np.int64)
            if over.any():
                d = int(np.argmax(over))
                raise RuntimeError(f"size is inconsistent with indices: for dim {d}, size is {shape[d]} but found "
                                   f"index {int(idx[d].max())}")
    if requires_grad:
        if vals.dtype.kind not in "fc":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        vals = _make(vals._data.copy(), None, True)  # a leaf of its own, as PyTorch's sparse leaf
    return SparseTensor(idx, vals, shape, bool(is_coalesced), leaf=requires_grad)


def to_sparse(self: Tensor, sparse_dim: int | None = None, *, layout: Any = None, blocksize: Any = None,
              dense_dim: int | None = None) -> SparseTensor:
    """The COO form of a dense tensor (its non-zeros; differentiable: the values are gathered from it)."""
    if layout not in (None, sparse_coo) or blocksize is not None:
        raise NotImplementedError(f"to_sparse: only layout=sparse_coo is supported, got layout={layout!r}")
    nd = self.ndim
    k = nd if sparse_dim is None else int(sparse_dim)
    if dense_dim is not None:
        k = nd - int(dense_dim)
    if not 0 <= k <= nd:
        raise RuntimeError(f"to_sparse: sparse_dim must be between 0 and {nd} for a tensor of shape "
                           f"{list(self.shape)}, got {k}")
    mask = self._data != 0
    if k < nd:
        mask = mask.any(axis=tuple(range(k, nd)))
    pos = np.nonzero(mask) if k else ()
    idx = np.stack(pos).astype(np.int64) if k else np.zeros((0, 1), np.int64)
    vals = self[tuple(pos)] if k else self.reshape((1,) + self.shape)
    return SparseTensor(idx.reshape(k, -1), vals, self.shape, True)


def _to_dense(self: Tensor, dtype: Any = None, *, masked_grad: bool | None = None) -> Tensor:
    return self if dtype is None else self.to(dtype)


# ---------------------------------------------------------------------- products and sums
def _spmm(a: SparseTensor, b: Any, op: str) -> Tensor:
    """``a @ b`` for a 2-D sparse ``a`` and a dense 1-D or 2-D ``b`` (dense result)."""
    if isinstance(b, SparseTensor):
        raise NotImplementedError(f"{op}: sparse @ sparse is not implemented; convert one operand with .to_dense()")
    if not isinstance(b, Tensor):
        raise TypeError(f"{op}(): argument 'mat2' must be Tensor, not {type(b).__name__}")
    if a.sparse_dim() != 2 or a.dense_dim():
        raise RuntimeError(f"{op}: the sparse operand must be a 2-D matrix without dense dimensions, got shape "
                           f"{list(a.shape)} (sparse_dim {a.sparse_dim()}, dense_dim {a.dense_dim()})")
    vector = b.ndim == 1
    if b.ndim not in (1, 2) or (op == "mm" and vector):
        raise RuntimeError(f"{op}: the dense operand must be a {'matrix' if op == 'mm' else 'vector or matrix'}, got "
                           f"shape {list(b.shape)}")
    n, m = a.shape
    if b.shape[0] != m:
        got = f"{b.shape[0]}x{b.shape[1]}" if not vector else f"{b.shape[0]}"
        raise RuntimeError(f"{op}: sparse and dense shapes cannot be multiplied ({n}x{m} and {got}). Fix: transpose "
                           "one operand or check the sizes")
    if a.dtype != b.dtype:
        raise RuntimeError(f"{op}: expected the sparse and dense operands to have the same dtype, but got "
                           f"{a.dtype} (sparse) and {b.dtype} (dense). Fix: cast one, e.g. dense.to(sparse.dtype)")
    rows, cols = a._idx[0], a._idx[1]
    x = b.reshape(m, 1) if vector else b
    out = _segment_sum(x[cols] * a._vals.reshape(-1, 1), rows, n)  # sum_k v_k X[c_k, :] into row r_k
    return out.reshape(n) if vector else out


def spmm(input: Any, mat2: Any) -> Tensor:  # noqa: A002 - PyTorch's names
    """``torch.spmm``: the product of a sparse (or dense) matrix and a dense matrix."""
    if isinstance(input, SparseTensor):
        return _spmm(input, mat2, "spmm")
    if not isinstance(input, Tensor):
        raise TypeError(f"spmm(): argument 'input' must be Tensor, not {type(input).__name__}")
    return input.mm(mat2)  # dense: torch.spmm is torch.mm (the method, not an import of ops.linalg: no circle)


def _mm(mat1: Any, mat2: Any, reduce: str | None = None) -> Tensor:
    """``torch.sparse.mm``: sparse ``mat1`` @ dense ``mat2`` (gradients to both)."""
    if reduce not in (None, "sum"):
        raise NotImplementedError(f"sparse.mm: reduce={reduce!r} is not implemented (only the default sum)")
    return spmm(mat1, mat2)


def addmm(mat: Tensor, mat1: Any, mat2: Any, *, beta: float = 1.0, alpha: float = 1.0) -> Tensor:
    """``torch.sparse.addmm``: ``beta * mat + alpha * (mat1 @ mat2)`` with a sparse ``mat1``."""
    prod = spmm(mat1, mat2)
    return (mat if beta == 1 else mat * beta) + (prod if alpha == 1 else prod * alpha)


def _sparse_sum(input: SparseTensor, dim: Any = None, dtype: Any = None) -> Any:  # noqa: A002
    """``torch.sparse.sum``: over all dims (a 0-d dense Tensor), or over ``dim`` (dense once every sparse
    dim is reduced, otherwise a coalesced SparseTensor)."""
    if not isinstance(input, SparseTensor):
        raise TypeError(f"sparse.sum: expected a sparse tensor, got {type(input).__name__} (use .sum() on dense ones)")
    vals = input._vals if dtype is None else input._vals.to(dtype)
    if dim is None:
        return vals.sum()
    nd, k = input.ndim, input.sparse_dim()
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    norm = []
    for d in dims:
        if not -nd <= d < nd:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {d})")
        norm.append(d % nd)
    if len(set(norm)) != len(norm):
        raise RuntimeError(f"sparse.sum: dim {list(dims)} appears multiple times in the list of dims")
    sparse_red = [d for d in norm if d < k]
    dense_axes = tuple(d - k + 1 for d in norm if d >= k)  # axes of the values tensor
    if dense_axes:
        vals = vals.sum(dim=dense_axes)
    keep = [d for d in range(k) if d not in sparse_red]
    shape = tuple(s for d, s in enumerate(input.shape) if d not in norm)
    if not keep:
        return vals.sum(dim=0) if sparse_red else vals
    if not sparse_red:
        return SparseTensor(input._idx, vals, shape, input._coalesced)
    return SparseTensor(input._idx[keep], vals, shape, False).coalesce()


def FloatTensor(indices: Any, values: Any, size: Any = None) -> SparseTensor:  # noqa: N802 - PyTorch's legacy name
    """``torch.sparse.FloatTensor(indices, values, size)`` (legacy; pygcn uses it): a float32 sparse_coo_tensor."""
    return sparse_coo_tensor(indices, values, size, dtype=np.float32)


def DoubleTensor(indices: Any, values: Any, size: Any = None) -> SparseTensor:  # noqa: N802
    """``torch.sparse.DoubleTensor(indices, values, size)`` (legacy): a float64 sparse_coo_tensor."""
    return sparse_coo_tensor(indices, values, size, dtype=np.float64)


# torch.sparse.<name> (the module namespace; not exported at the top level, where mm and sum are dense ops)
mm = _mm
sum = _sparse_sum  # noqa: A001 - PyTorch's torch.sparse.sum

def _is_sparse(self: Tensor) -> bool:
    """False: a Tensor is dense (sparse tensors are SparseTensor objects)."""
    return False


def _layout(self: Tensor) -> layout:
    """``strided``: a Tensor is dense."""
    return strided


METHODS: dict[str, Any] = {
    "to_sparse": to_sparse, "to_sparse_coo": to_sparse, "to_dense": _to_dense,
    "is_sparse": property(_is_sparse), "layout": property(_layout),
}
