"""PyTorch's top-level linear-algebra names (``torch.svd``, ``torch.qr``, ``torch.lu``, ``torch.cholesky_solve``, ...)
and their Tensor-method twins, over ``ag.linalg`` (the legacy argument orders and result tuples of PyTorch).

``torch.svd`` returns V (not Vh) and takes ``some``; ``torch.triangular_solve(b, A)`` takes the right-hand side
first and returns (solution, cloned_coefficient); ``torch.lu_solve(b, LU, pivots)`` likewise.
"""

from __future__ import annotations

import warnings
from collections import namedtuple
from typing import Any

import numpy as np

from . import linalg as LA
from ._tensor import Tensor, _make
from .ops import linalg_more as LM
from .ops.arithmetic import _c_name
from .ops.compare import Where

__all__ = ["svd", "qr", "lu", "lu_solve", "lu_unpack", "cholesky", "cholesky_solve", "cholesky_inverse",
           "triangular_solve", "pinverse", "ger", "vdot"]

SvdResult = namedtuple("SvdResult", ["U", "S", "V"])
QrResult = namedtuple("QrResult", ["Q", "R"])
TriangularSolveResult = namedtuple("TriangularSolveResult", ["solution", "cloned_coefficient"])


def _t(x: Any, op: str, what: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{what}' must be Tensor, not {type(x).__name__}")
    return x


def svd(input: Tensor, some: bool = True, compute_uv: bool = True) -> SvdResult:  # noqa: A002 - PyTorch's names
    """(U, S, V) with input = U diag(S) V^T (V, not Vh); some=False gives the full U and V; compute_uv=False gives
    zero-filled U (m x m) and V (n x n)."""
    a = _t(input, "svd", "input")
    m, n = a.shape[-2:] if a.ndim >= 2 else (0, 0)
    if not compute_uv:
        s = LA.svdvals(a)
        z = [_make(np.zeros(tuple(a.shape[:-2]) + (k, k), dtype=a.dtype), None, False) for k in (m, n)]
        return SvdResult(z[0], s, z[1])
    u, s, vh = LA.svd(a, full_matrices=not some)
    return SvdResult(u, s, vh.mT)


def qr(input: Tensor, some: bool = True) -> QrResult:  # noqa: A002
    """(Q, R): linalg.qr with mode 'reduced' (some=True) or 'complete'."""
    q, r = LA.qr(_t(input, "qr", "input"), "reduced" if some else "complete")
    return QrResult(q, r)


def lu(A: Tensor, pivot: bool = True, get_infos: bool = False) -> tuple:  # noqa: N803
    """(A_LU, pivots) (plus infos with get_infos=True, which then does not raise at a singular matrix)."""
    f = LA.lu_factor_ex(_t(A, "lu", "A"), pivot=pivot)
    if get_infos:
        return f.LU, f.pivots, f.info
    LA._lu_check("linalg.lu_factor", f.info._data)
    return f.LU, f.pivots


def lu_solve(b: Tensor, LU_data: Tensor, LU_pivots: Tensor) -> Tensor:  # noqa: N803
    """X with A X = b from (LU_data, LU_pivots) of torch.lu: linalg.lu_solve with the right-hand side first."""
    return LA.lu_solve(LU_data, LU_pivots, _t(b, "lu_solve", "b"))


lu_unpack = LA.lu_unpack


def cholesky(input: Tensor, upper: bool = False) -> Tensor:  # noqa: A002
    """L with input = L L^T (U^T U with upper=True)."""
    return LA.cholesky(_t(input, "cholesky", "input"), upper=upper)


def cholesky_solve(B: Tensor, L: Tensor, upper: bool = False) -> Tensor:  # noqa: N803
    """X = (L L^T)^-1 B from a Cholesky factor L (U^T U with upper=True); batch dims broadcast."""
    b, lo = _t(B, "cholesky_solve", "input"), _t(L, "cholesky_solve", "input2")
    if b.ndim < 2:
        raise RuntimeError(f"b should have at least 2 dimensions, but has {b.ndim} dimensions instead (cholesky_solve;"
                           " for a vector use B.unsqueeze(-1))")
    if lo.ndim < 2 or lo.shape[-1] != lo.shape[-2]:
        raise RuntimeError(f"cholesky_solve: A must be batches of square matrices, but they are "
                           f"{lo.shape[-2] if lo.ndim > 1 else 1} by {lo.shape[-1]} matrices")
    if b.dtype != lo.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type {_c_name(b.dtype).title()} "
                           f"and A of type {_c_name(lo.dtype).title()} instead. (cholesky_solve; fix: cast one)")
    if b.dtype.kind != "f":
        raise RuntimeError(f"cholesky_solve: expected a floating point tensor, got {b.dtype.name}")
    if b.shape[-2] != lo.shape[-1]:
        raise RuntimeError(f"Incompatible matrix sizes for cholesky_solve: each A matrix is {lo.shape[-1]} by "
                           f"{lo.shape[-1]} but each b matrix is {b.shape[-2]} by {b.shape[-1]}")
    return LM.CholeskySolve.apply(b, lo, upper=bool(upper))


def cholesky_inverse(L: Tensor, upper: bool = False) -> Tensor:  # noqa: N803
    """(L L^T)^-1 from a Cholesky factor (U^T U with upper=True): cholesky_solve of the identity."""
    lo = _t(L, "cholesky_inverse", "input")
    if lo.ndim < 2 or lo.shape[-1] != lo.shape[-2]:
        raise RuntimeError(f"cholesky_inverse: A must be batches of square matrices, but they are "
                           f"{lo.shape[-2] if lo.ndim > 1 else 1} by {lo.shape[-1]} matrices")
    eye = _make(np.eye(lo.shape[-1], dtype=lo.dtype), None, False)
    return cholesky_solve(eye, lo, upper)


def triangular_solve(b: Tensor, A: Tensor, upper: bool = True, transpose: bool = False,  # noqa: N803
                     unitriangular: bool = False) -> TriangularSolveResult:
    """(X, A's copy) with op(A) X = b, op(A) = A or A^T, A triangular (its other triangle is ignored); the
    right-hand side comes first. Batch dims broadcast (the copy of A too)."""
    b, a = _t(b, "triangular_solve", "input"), _t(A, "triangular_solve", "A")
    if b.ndim < 2:
        raise RuntimeError(f"torch.triangular_solve: Expected b to have at least 2 dimensions, but it has {b.ndim} "
                           "dimensions instead")
    if a.ndim < 2:
        raise RuntimeError(f"torch.triangular_solve: Expected A to have at least 2 dimensions, but it has {a.ndim} "
                           "dimensions instead")
    if b.dtype != a.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type {_c_name(b.dtype).title()} "
                           f"and A of type {_c_name(a.dtype).title()} instead. (triangular_solve; fix: cast one)")
    op = a.mT if transpose else a
    x = LA.solve_triangular(op, b, upper=bool(upper) != bool(transpose), unitriangular=unitriangular)
    shape = np.broadcast_shapes(tuple(a.shape[:-2]), tuple(b.shape[:-2])) + tuple(a.shape[-2:])
    # A's copy, in the graph of both inputs as PyTorch's (b's gradient through it is zero): where(False, ., A)
    return TriangularSolveResult(x, Where.apply(np.zeros(shape, dtype=bool), x.sum(), a.expand(*shape)))


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:  # noqa: A002
    """A^+ with singular values at or below rcond * s_max dropped (linalg.pinv(input, rtol=rcond))."""
    return LA.pinv(_t(input, "pinverse", "input"), rtol=rcond)


def ger(input: Tensor, vec2: Tensor) -> Tensor:  # noqa: A002
    """x y^T of two 1-D tensors (the old name of outer)."""
    a, b = _t(input, "ger", "input"), _t(vec2, "ger", "vec2")
    for what, v in (("self", a), ("vec2", b)):
        if v.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {what}, but got {v.ndim}-D")
    return LA.outer(a, b)


def vdot(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """sum(conj(x) * y) of two 1-D tensors of the same length and dtype."""
    from .ops.linalg import dot

    a, b = _t(input, "vdot", "input"), _t(other, "vdot", "other")
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    return dot(a.conj() if a.dtype.kind == "c" else a, b)


# ---------------------------------------------------------------------- Tensor methods
def _mH(self: Tensor) -> Tensor:
    if self.ndim < 2:
        raise RuntimeError(f"tensor.mH is only supported on matrices or batches of matrices. Got {self.ndim}-D tensor.")
    return self.mT.conj() if self.dtype.kind == "c" else self.mT


def _H(self: Tensor) -> Tensor:
    if self.ndim == 0:
        warnings.warn("Tensor.H is deprecated on 0-D tensors. Consider using x.conj().", UserWarning, stacklevel=2)
        return self.conj() if self.dtype.kind == "c" else self
    if self.ndim != 2:
        hint = " For batches of matrices, consider using tensor.mH" if self.ndim > 2 else ""
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {self.ndim}-D tensor.{hint}")
    return _mH(self)


def adjoint(self: Tensor) -> Tensor:
    """The conjugate transpose of the last two dims (a view for real tensors)."""
    if self.ndim < 2:
        raise RuntimeError(f"tensor.adjoint() is only supported on matrices or batches of matrices. Got "
                           f"{self.ndim}-D tensor.")
    return _mH(self)


METHODS: dict[str, Any] = {
    "svd": svd, "qr": qr, "lu": lu, "lu_solve": lu_solve, "cholesky_solve": cholesky_solve,
    "cholesky_inverse": cholesky_inverse, "triangular_solve": triangular_solve, "pinverse": pinverse, "ger": ger,
    "vdot": vdot, "adjoint": adjoint, "mH": property(_mH, doc="The conjugate transpose of the last two dims."),
    "H": property(_H, doc="The conjugate transpose of a matrix (2-D tensor)."),
}
