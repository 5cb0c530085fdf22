"""``ag.linalg``: PyTorch's ``torch.linalg`` names, differentiable twice, batched over leading dims.

    import autograd_core as ag
    K = ag.randn(5, 5, dtype=ag.float64); K = K @ K.mT + ag.eye(5, dtype=ag.float64)
    K.requires_grad_()
    ag.linalg.logdet(K).backward()       # K.grad == K^-T   (course: d log|K| / dK = K^-T)
    print(ag.linalg.derivation("logdet"))  # the identity, checked on a random input

Caveats (as in PyTorch): ``eigh`` and ``svd`` gradients involve 1/(w_j - w_i) and 1/(s_j^2 - s_i^2),
so they are infinite/NaN at repeated eigenvalues or singular values unless the loss depends only
on gauge-invariant quantities (eigenvalues alone, or U diag(s) V^T); QR's gradient needs R to be
invertible (full column rank); singular inputs to inv/solve and non-positive-definite inputs to
cholesky raise ``ag.linalg.LinAlgError`` naming the op and the batch element.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from . import derivations as _derivations
from ._creation import tensor as _new_tensor
from ._einsum import einsum
from ._engine import grad as _grad
from ._tensor import Tensor, _make
from .ops import contraction as _C
from .ops import einsum as E
from .ops import linalg as L
from .ops import linalg_more as LM
from .ops.arithmetic import _c_name
from .ops.linalg import LinAlgError
from .ops.reduction import amax, amin
from .ops.reduction import norm as _vector_norm_impl
from .ops.reduction import sum as _sum
from .ops.shape import permute
from .ops.shape import tril as _tril
from .ops.shape import triu as _triu

__all__ = [
    "LinAlgError", "cg", "cholesky", "derivation", "derivations", "det", "diagonal", "eigh", "eigvalsh", "einsum",
    "inv", "logdet", "matmul", "matrix_norm", "multi_dot", "norm", "outer", "qr", "slogdet", "solve",
    "solve_triangular", "svd", "svdvals", "trace", "vector_norm", "vecdot", "diag", "diag_embed",
    # the rest of torch.linalg (the section "more of torch.linalg" below; primitives in ops/linalg_more.py)
    "cholesky_ex", "cond", "cross", "eig", "eigvals", "householder_product", "inv_ex", "lstsq", "lu", "lu_factor",
    "lu_factor_ex", "lu_solve", "lu_unpack", "matrix_exp", "matrix_power", "matrix_rank", "pinv", "solve_ex",
    "tensorinv", "tensorsolve", "vander",
]

SlogdetResult = namedtuple("SlogdetResult", ["sign", "logabsdet"])
QRResult = namedtuple("QRResult", ["Q", "R"])
EighResult = namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
SVDResult = namedtuple("SVDResult", ["U", "S", "Vh"])


def _as_tensor(a: Any) -> Tensor:
    return a if isinstance(a, Tensor) else Tensor(np.asarray(a))


def _float_matrix(op: str, a: Any, square: bool = True) -> Tensor:
    a = _as_tensor(a)
    if a.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point tensor, got {a.dtype.name} (shape {list(a.shape)}). "
                        "Fix: convert with .double() or .float()")
    if a.ndim < 2 or (square and a.shape[-1] != a.shape[-2]):
        what = "square matrices of shape (*, n, n)" if square else "matrices of shape (*, m, n)"
        raise RuntimeError(f"{op}: expected a matrix or a batch of {what}, got shape {list(a.shape)} "
                         f"({a.dtype.name})")
    return a


# ---------------------------------------------------------------------- inverse, determinants, solves


def inv(A: Tensor) -> Tensor:
    """A^-1 (batched). Singular input raises LinAlgError."""
    return L.Inv.apply(_float_matrix("linalg.inv", A))


def det(A: Tensor) -> Tensor:
    """det(A) (batched); its gradient det(A) A^-T is the cofactor matrix, defined for singular A too."""
    return L.Det.apply(_float_matrix("linalg.det", A))


def slogdet(A: Tensor) -> SlogdetResult:
    """(sign, log|det A|); the sign is piecewise constant: recorded with zero gradient, as in PyTorch."""
    sign, logabs = L.Slogdet.apply(_float_matrix("linalg.slogdet", A))
    return SlogdetResult(sign, logabs)  # Slogdet's backward gives the sign's gradient no weight


def logdet(A: Tensor) -> Tensor:
    """log det(A): nan where det(A) < 0, -inf where it is 0 (PyTorch's convention)."""
    sign, logabs = slogdet(A)
    with np.errstate(invalid="ignore", divide="ignore"):
        return logabs + np.log(sign._data)


def _solve_shapes(op: str, a: Tensor, b: Tensor) -> bool:
    """Whether B is a (batch of) vector(s), following torch.linalg.solve's rule."""
    vec = b.ndim == 1 or (b.ndim == a.ndim - 1 and tuple(b.shape) == tuple(a.shape[:-1]))
    n = a.shape[-1]
    rows = b.shape[-1] if vec else (b.shape[-2] if b.ndim >= 2 else -1)
    if rows != n:
        raise RuntimeError(f"{op}: A of shape {list(a.shape)} and B of shape {list(b.shape)} do not match: B needs "
                         f"{n} rows (shape (*, {n}) for vectors or (*, {n}, k) for matrices)")
    return vec


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """X with A X = B (or X A = B when left=False); batched with broadcasting."""
    a = _float_matrix("linalg.solve", A)
    b = _as_tensor(B)
    if not left:
        return solve(a.mT, b.mT).mT.contiguous()  # PyTorch's result is contiguous (view() of it must work)
    vec = _solve_shapes("linalg.solve", a, b)
    if b.dtype != a.dtype:  # PyTorch refuses rather than promotes
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{_c_name(a.dtype).title()} and B of type {_c_name(b.dtype).title()} instead "
                           f"(shapes {list(a.shape)} and {list(b.shape)}). Fix: cast one, e.g. B.to(A.dtype)")
    if vec:
        return L.Solve.apply(a, b.unsqueeze(-1)).squeeze(-1)
    return L.Solve.apply(a, b)


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True,
                     unitriangular: bool = False) -> Tensor:
    """X with A X = B (left) or X A = B, reading only A's upper or lower triangle."""
    a = _float_matrix("linalg.solve_triangular", A)
    b = _as_tensor(B)
    if b.ndim < 2:
        raise RuntimeError(f"linalg.solve_triangular: B must be a matrix (*, n, k), got shape {list(b.shape)}; "
                         "for a vector use B.unsqueeze(-1)")
    need = b.shape[-2] if left else b.shape[-1]
    if need != a.shape[-1]:
        raise RuntimeError(f"linalg.solve_triangular: A of shape {list(a.shape)} and B of shape {list(b.shape)} "
                         f"do not match (left={left})")
    if b.dtype != a.dtype:  # PyTorch computes in A's dtype (B is cast; its gradient comes back in B's dtype)
        b = b.to(a.dtype)
    return L.SolveTriangular.apply(a, b, upper=bool(upper), left=bool(left), unitriangular=bool(unitriangular))


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """L lower-triangular with A = L L^T (U = L^T with upper=True); reads A's lower triangle."""
    lo = L.Cholesky.apply(_float_matrix("linalg.cholesky", A))
    return lo.mT if upper else lo


# ---------------------------------------------------------------------- factorisations


def qr(A: Tensor, mode: str = "reduced") -> QRResult:
    """A = QR with mode 'reduced' (default), 'complete' or 'r' (Q empty; not differentiable)."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"linalg.qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    q, r = L.QR.apply(_float_matrix("linalg.qr", A, square=False), mode=mode)
    return QRResult(q, r)


def eigh(A: Tensor, UPLO: str = "L") -> EighResult:
    """Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric matrix (reads one triangle)."""
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"linalg.eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    w, v = L.Eigh.apply(_float_matrix("linalg.eigh", A), uplo=UPLO)
    return EighResult(w, v)


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """Eigenvalues of a symmetric matrix; gradient V diag(g) V^T (finite even for repeated eigenvalues)."""
    return eigh(A, UPLO).eigenvalues


def svd(A: Tensor, full_matrices: bool = True) -> SVDResult:
    """A = U diag(S) Vh; differentiable with full_matrices=False (or square A)."""
    u, s, vh = L.SVD.apply(_float_matrix("linalg.svd", A, square=False), full_matrices=bool(full_matrices))
    return SVDResult(u, s, vh)


def svdvals(A: Tensor) -> Tensor:
    """Singular values (descending); gradient U diag(g) V^T."""
    return L.SVD.apply(_float_matrix("linalg.svdvals", A, square=False), full_matrices=False)[1]


# ---------------------------------------------------------------------- norms


def vector_norm(x: Tensor, ord: Any = 2, dim: Any = None, keepdim: bool = False) -> Tensor:
    """(sum |x|^ord)^(1/ord) over dim (all elements if None); ord = inf, -inf, 0 or a number."""
    x = _as_tensor(x)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number (got {ord!r}); 'fro' and 'nuc' are "
                         "matrix norms: use linalg.matrix_norm")
    return _vector_norm_impl(x, ord, dim, keepdim)


def matrix_norm(A: Tensor, ord: Any = "fro", dim: tuple[int, int] = (-2, -1), keepdim: bool = False) -> Tensor:
    """Matrix norm over the two dims: 'fro', 'nuc', 2, -2 (singular values), 1, -1 (columns), inf, -inf (rows)."""
    a = _float_matrix("linalg.matrix_norm", A, square=False)
    d0, d1 = (d % a.ndim for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dim must name two different dimensions, got {dim}")
    if ord == "fro":
        return _vector_norm_impl(a, 2, (d0, d1), keepdim)
    rest = [i for i in range(a.ndim) if i not in (d0, d1)]
    m = permute(a, (*rest, d0, d1))  # the matrix dims last
    if ord == "nuc":
        out = _sum(svdvals(m), -1)
    elif ord in (2, -2):
        out = (amax if ord == 2 else amin)(svdvals(m), -1)
    elif ord in (1, -1):
        out = (amax if ord == 1 else amin)(_sum(m.abs(), -2), -1)
    elif ord in (np.inf, -np.inf):
        out = (amax if ord > 0 else amin)(_sum(m.abs(), -1), -1)
    else:
        raise RuntimeError(f"linalg.matrix_norm: ord must be 'fro', 'nuc', 2, -2, 1, -1, inf or -inf, got {ord!r}")
    if keepdim:
        for d in sorted((d0, d1)):
            out = out.unsqueeze(d)
    return out


def norm(A: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False) -> Tensor:
    """torch.linalg.norm: a vector norm when dim is an int (or A is 1-D), a matrix norm for two dims."""
    a = _as_tensor(A)
    if isinstance(dim, int):
        dim = (dim,)
    if dim is None:
        if ord is None:
            return _vector_norm_impl(a, 2, None, keepdim)
        if a.ndim == 1:
            return vector_norm(a, ord, None, keepdim)
        if a.ndim == 2:
            return matrix_norm(a, ord, (-2, -1), keepdim)
        raise RuntimeError(f"linalg.norm: with ord={ord!r} the input must be 1-D or 2-D when dim is None, got shape "
                         f"{list(a.shape)}; pass dim")
    if len(dim) == 1:
        return vector_norm(a, 2 if ord is None else ord, dim, keepdim)
    if len(dim) == 2:
        return matrix_norm(a, "fro" if ord is None else ord, tuple(dim), keepdim)
    raise RuntimeError(f"linalg.norm: dim must be an int or a 2-tuple, got {dim}")


# ---------------------------------------------------------------------- products and diagonals


def matmul(A: Tensor, B: Tensor) -> Tensor:
    return _as_tensor(A) @ _as_tensor(B)


def multi_dot(tensors: list[Tensor]) -> Tensor:
    """A_1 @ A_2 @ ... @ A_k (1-D first/last operands allowed, as in PyTorch)."""
    if len(tensors) < 2:
        raise RuntimeError(f"linalg.multi_dot: expected at least 2 tensors, got {len(tensors)}")
    ts = [_as_tensor(t) for t in tensors]
    # PyTorch's evaluation order (which products are formed decides which operands backward reads):
    # the cheaper of (AB)C and A(BC) for three, the optimal matrix-chain order for more
    dims = [1 if ts[0].ndim == 1 else ts[0].shape[0]] + [t.shape[-1] if t.ndim == 2 else 1 for t in ts]
    n = len(ts)
    if n == 2:
        return ts[0] @ ts[1]
    if n == 3:
        a, b, c, d = dims
        return ts[0] @ (ts[1] @ ts[2]) if a * c * (b + d) > b * d * (a + c) else (ts[0] @ ts[1]) @ ts[2]
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None  # type: ignore[call-overload]
            for k in range(i, j):
                q = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or q < cost[i][j]:
                    cost[i][j], split[i][j] = q, k

    def product(i: int, j: int) -> Tensor:
        return ts[i] if i == j else product(i, split[i][j]) @ product(split[i][j] + 1, j)

    return product(0, n - 1)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """sum(x * y, dim) (real inputs)."""
    return _sum(_as_tensor(x) * _as_tensor(y), dim)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The ``offset`` diagonal over (dim1, dim2) as the last dim (torch.linalg.diagonal's defaults)."""
    return _diagonal(A, offset, dim1, dim2)


def _diagonal(A: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    a = _as_tensor(A)
    if a.ndim < 2:
        raise RuntimeError(f"diagonal: expected at least 2 dimensions, got shape {list(a.shape)}")
    d1, d2 = dim1 % a.ndim, dim2 % a.ndim
    if d1 == d2:
        raise RuntimeError(f"diagonal: dim1 and dim2 cannot be the same dimension ({dim1}, {dim2})")
    return E.Diagonal.apply(a, offset=int(offset), dim1=d1, dim2=d2)


def diag_embed(x: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices (over dim1, dim2 of the output) with x's last dim on the ``offset`` diagonal."""
    x = _as_tensor(x)
    nd = x.ndim + 1
    d1, d2 = dim1 % nd, dim2 % nd
    if d1 == d2:
        raise RuntimeError(f"diag_embed: dim1 and dim2 cannot be the same dimension ({dim1}, {dim2})")
    n = x.shape[-1] + abs(offset) if x.ndim else 1 + abs(offset)
    batch = iter(x.shape[:-1])
    shape = tuple(n if i in (d1, d2) else next(batch) for i in range(nd))
    return E.DiagEmbed.apply(x, shape=shape, offset=int(offset), dim1=d1, dim2=d2)


def diag(x: Tensor, diagonal: int = 0) -> Tensor:
    """1-D -> square matrix with x on the ``diagonal``-th diagonal; 2-D -> that diagonal."""
    x = _as_tensor(x)
    if x.ndim == 1:
        return diag_embed(x, diagonal)
    if x.ndim == 2:
        return _diagonal(x, diagonal)
    raise RuntimeError(f"diag: expected a 1-D or 2-D tensor, got shape {list(x.shape)}")


def trace(A: Tensor) -> Tensor:
    """sum_i A_ii of a 2-D tensor; gradient g I."""
    a = _as_tensor(A)
    if a.ndim != 2:
        raise RuntimeError(f"trace: expected a 2-D tensor, got shape {list(a.shape)}")
    return _sum(_diagonal(a), -1)


def outer(x: Tensor, y: Tensor) -> Tensor:
    """x y^T of two 1-D tensors."""
    x, y = _as_tensor(x), _as_tensor(y)
    if x.ndim != 1 or y.ndim != 1:
        raise RuntimeError(f"outer: expected two 1-D tensors, got shapes {list(x.shape)} and {list(y.shape)}")
    return x.unsqueeze(1) * y.unsqueeze(0)


def cg(matvec: Any, b: np.ndarray, max_iter: int | None = None, tol: float = 1e-12) -> np.ndarray:
    """Solve A x = b by conjugate gradients for symmetric positive-definite A given only x -> A x
    (e.g. a Hessian-vector product). Stops early on non-positive curvature and then returns the
    iterate so far (b itself if none), which is still a descent direction for Newton's method."""
    b = np.asarray(b, dtype=np.float64)
    x = np.zeros_like(b)
    r = b.copy()
    p = r.copy()
    rr = float(r.ravel() @ r.ravel())
    for _ in range(max_iter or 2 * b.size):
        ap = np.asarray(matvec(p), dtype=np.float64)
        curv = float(p.ravel() @ ap.ravel())
        if curv <= 0:
            break
        step = rr / curv
        x += step * p
        r -= step * ap
        rr_new = float(r.ravel() @ r.ravel())
        if np.sqrt(rr_new) < tol:
            break
        p = r + (rr_new / rr) * p
        rr = rr_new
    return x if np.any(x) else b


def derivation(op: str) -> Any:
    """The derivation card of ``op`` (identity used by its backward, checked numerically by ``.check()``)."""
    return _derivations.derivation(op)


def derivations() -> list:
    """All derivation cards (one per linalg op and per course identity)."""
    return list(_derivations.CARDS.values())


# ---------------------------------------------------------------------- more of torch.linalg
# LU, pinv, lstsq, eig, the *_ex variants, cond, tensorinv/tensorsolve, vander, cross, householder_product. Where a
# composition of recorded ops is exact it is used (lstsq = pinv(A) @ B, which is also PyTorch's backward; lu and
# lu_solve through lu_factor's packed factor and triangular solves); the primitives are in ops/linalg_more.py.

LUFactorResult = namedtuple("LUFactorResult", ["LU", "pivots"])
LUFactorExResult = namedtuple("LUFactorExResult", ["LU", "pivots", "info"])
LUResult = namedtuple("LUResult", ["P", "L", "U"])
LstsqResult = namedtuple("LstsqResult", ["solution", "residuals", "rank", "singular_values"])
EigResult = namedtuple("EigResult", ["eigenvalues", "eigenvectors"])
InvExResult = namedtuple("InvExResult", ["inverse", "info"])
CholeskyExResult = namedtuple("CholeskyExResult", ["L", "info"])
SolveExResult = namedtuple("SolveExResult", ["result", "info"])


def _const(a: Any) -> Tensor:
    return _make(np.asarray(a), None, False)


def _batch_msg(info: np.ndarray) -> tuple[str, int]:
    """'(Batch element i): ' for the first failing element (PyTorch's prefix; none for a single matrix), its info."""
    flat = info.reshape(-1)
    i = int(np.flatnonzero(flat)[0])
    return ("" if info.ndim == 0 else f"(Batch element {i}): "), int(flat[i])


def _lu_check(op: str, info: np.ndarray) -> None:
    if np.any(info):
        where, k = _batch_msg(info)
        raise LinAlgError(f"torch.{op}: {where}U[{k},{k}] is zero and using it on lu_solve would result in a division "
                          "by zero. If you still want to perform the factorization, consider calling linalg.lu(A, "
                          "pivot) or linalg.lu_factor_ex(A, pivot)")


def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False) -> LUFactorExResult:
    """(LU, pivots, info): A = P L U packed as L - I + U, getrf's 1-based int32 pivots, info > 0 at a zero pivot."""
    a = _float_matrix("linalg.lu_factor_ex", A, square=False)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU. Fix: pivot=True")
    lu, piv, info = LM.lu_array(a._data)
    if check_errors:
        _lu_check("linalg.lu_factor_ex", info)
    return LUFactorExResult(LM.LUFactor.apply(a, lu=lu, piv=piv), _const(piv), _const(info))


def lu_factor(A: Tensor, *, pivot: bool = True) -> LUFactorResult:
    """(LU, pivots) of A = P L U; a zero pivot (singular A) raises (lu_factor_ex reports it in info instead)."""
    lu, piv, info = lu_factor_ex(A, pivot=pivot)
    _lu_check("linalg.lu_factor", info._data)
    return LUFactorResult(lu, piv)


def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True,  # noqa: N803 - PyTorch's names
              unpack_pivots: bool = True) -> LUResult:
    """(P, L, U) from a packed LU and its pivots (empty tensors for the parts not asked for)."""
    lu = _as_tensor(LU_data)
    m, n = lu.shape[-2:]
    k = min(m, n)
    empty = _const(np.zeros(0, dtype=lu.dtype))
    p = _const(LM.perm_matrix(_as_tensor(LU_pivots)._data, m, lu.dtype)) if unpack_pivots else empty
    if not unpack_data:
        return LUResult(p, empty, empty)
    lo = _tril(lu, -1)[..., :, :k] + np.eye(m, k, dtype=lu.dtype)
    return LUResult(p, lo, _triu(lu)[..., :k, :])


def lu(A: Tensor, *, pivot: bool = True) -> LUResult:
    """(P, L, U) with A = P L U (L unit lower m x k, U upper k x n); defined for singular A too."""
    f = lu_factor_ex(A, pivot=pivot)
    return lu_unpack(f.LU, f.pivots)


def lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True,  # noqa: N803
             adjoint: bool = False) -> Tensor:
    """X with A X = B from lu_factor's (LU, pivots) (A^T X = B with adjoint; X A = B with left=False)."""
    lu_, piv, b = _as_tensor(LU), _as_tensor(pivots), _as_tensor(B)
    if lu_.ndim < 2 or lu_.shape[-1] != lu_.shape[-2]:
        raise RuntimeError(f"torch.linalg.lu_solve: A must be batches of square matrices, but they are "
                           f"{lu_.shape[-2] if lu_.ndim > 1 else 1} by {lu_.shape[-1]} matrices")
    if piv.dtype != np.int32:
        raise RuntimeError(f"linalg.lu_solve: pivots should be a Tensor of scalar type torch.int32 (got "
                           f"{piv.dtype.name}). Fix: pass the pivots linalg.lu_factor returned")
    if b.dtype != lu_.dtype:
        raise RuntimeError(f"linalg.lu_solve: Expected LU and B to have the same dtype, but found LU of type "
                           f"{_c_name(lu_.dtype).title()} and B of type {_c_name(b.dtype).title()} instead. Fix: "
                           "cast one, e.g. B.to(LU.dtype)")
    n = lu_.shape[-1]
    if b.ndim < 2 or b.shape[-2 if left else -1] != n:
        eq = "AX = B" if left else "XA = B"
        bs = "x".join(map(str, b.shape[-2:]))
        raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation {eq} ({n}x{n} and {bs})")
    p = _const(LM.perm_matrix(piv._data, n, lu_.dtype))
    st = solve_triangular
    if left and not adjoint:  # X = U^-1 L^-1 P^T B
        return st(lu_, st(lu_, p.mT @ b, upper=False, unitriangular=True), upper=True)
    if left:  # A^T = U^T L^T P^T:  X = P L^-T U^-T B
        return p @ st(lu_.mT, st(lu_.mT, b, upper=False), upper=True, unitriangular=True)
    if not adjoint:  # X = B U^-1 L^-1 P^T
        return st(lu_, st(lu_, b, upper=True, left=False), upper=False, left=False, unitriangular=True) @ p.mT
    return st(lu_.mT, st(lu_.mT, b @ p, upper=True, left=False, unitriangular=True), upper=False, left=False)


def _tolerances(op: str, a: Tensor, atol: Any, rtol: Any) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's (atol, rtol) defaults: rtol = eps * max(m, n) unless only a positive atol is given (then 0)."""
    def arr(v: Any) -> np.ndarray | None:
        return None if v is None else np.asarray(v._data if isinstance(v, Tensor) else v, dtype=np.float64)

    at, rt = arr(atol), arr(rtol)
    default = np.finfo(a.dtype).eps * max(a.shape[-2:])
    if rt is None:
        rt = np.where(at > 0, 0.0, default) if at is not None else np.asarray(default)
    return (np.zeros(()) if at is None else at), rt


def pinv(A: Tensor, rcond: Any = None, hermitian: bool = False, *, atol: Any = None, rtol: Any = None) -> Tensor:
    """A^+ (singular values at or below max(atol, rtol * s_max) dropped; hermitian: from eigh of the lower
    triangle); ``rcond`` is the deprecated name of rtol. Gradient valid while the rank is constant."""
    a = _float_matrix("linalg.pinv", A, square=bool(hermitian))
    if rcond is not None:
        rtol, atol = rcond, None if atol is None else atol
    at, rt = _tolerances("linalg.pinv", a, atol, rtol)
    batch = np.broadcast_shapes(a.shape[:-2], at.shape, rt.shape)
    if batch != tuple(a.shape[:-2]):
        a = a.expand(*batch, *a.shape[-2:])
    return LM.Pinv.apply(a, atol=at.astype(a.dtype), rtol=rt.astype(a.dtype), hermitian=bool(hermitian))


def matrix_rank(A: Tensor, tol: Any = None, hermitian: bool = False, *, atol: Any = None, rtol: Any = None) -> Tensor:
    """The number of singular values above max(atol, rtol * s_max) (int64; ``tol`` is the deprecated atol)."""
    a = _float_matrix("linalg.matrix_rank", A, square=bool(hermitian))
    if tol is not None:
        atol, rtol = tol, 0.0
    at, rt = _tolerances("linalg.matrix_rank", a, atol, rtol)
    d = a._data
    if d.size == 0:
        return _const(np.zeros(np.broadcast_shapes(d.shape[:-2], at.shape, rt.shape), dtype=np.int64))
    s = np.abs(np.linalg.eigvalsh(d)) if hermitian else np.linalg.svd(d, compute_uv=False)
    thr = np.maximum(at, rt * s.max(-1))
    return _const(np.sum(s > thr[..., None], axis=-1).astype(np.int64))


_LSTSQ_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def lstsq(A: Tensor, B: Tensor, rcond: float | None = None, *, driver: str | None = None) -> LstsqResult:
    """The least-squares (minimum-norm) X = A^+ B with PyTorch's CPU outputs per driver (default 'gelsy'):
    residuals ||A X - B||^2 per column only for gels/gelsd/gelss with m > n and full rank, rank except for gels,
    singular values for gelsd/gelss (empty tensors otherwise)."""
    a = _as_tensor(A)
    if a.ndim < 2:
        raise RuntimeError(f"torch.linalg.lstsq: input must have at least 2 dimensions (got shape {list(a.shape)})")
    a = _float_matrix("linalg.lstsq", a, square=False)
    b = _as_tensor(B)
    if b.dtype != a.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got input's "
                           f"dtype {_c_name(a.dtype).title()} and other's dtype {_c_name(b.dtype).title()}. Fix: "
                           "cast one, e.g. B.to(A.dtype)")
    driver = "gelsy" if driver is None else driver
    if driver not in _LSTSQ_DRIVERS:
        raise RuntimeError(f"torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss), "
                           f"got {driver!r}")
    vec = b.ndim == a.ndim - 1
    bm = b.unsqueeze(-1) if vec else b
    m, n = a.shape[-2:]
    if bm.ndim < 2 or bm.shape[-2] != m:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size(-2) (input "
                           f"{list(a.shape)}, other {list(b.shape)})")
    r = np.finfo(a.dtype).eps * max(m, n) if rcond is None or rcond < 0 else float(rcond)
    x = pinv(a, rtol=r) @ bm  # PyTorch's backward is this formula too
    empty = _const(np.zeros(0, dtype=a.dtype))
    rank = _const(np.zeros(0, dtype=np.int64)) if driver == "gels" else matrix_rank(a.detach(), atol=0.0, rtol=r)
    res = x.reshape(-1)[:0]  # empty, but (as PyTorch's) part of the graph: it requires grad when A or B does
    full = driver == "gels" or bool(np.all(rank._data == n))
    if driver != "gelsy" and m > n and full:
        res = ((a @ x - bm) ** 2).sum(-2)
    sv = _const(np.linalg.svd(a._data, compute_uv=False)) if driver in ("gelsd", "gelss") else empty
    return LstsqResult(x.squeeze(-1) if vec else x, res, rank, sv)


def eig(A: Tensor) -> EigResult:
    """Complex eigenvalues and unit-norm eigenvectors of a general square matrix (complex64/complex128, as
    PyTorch for real input); the gradient needs distinct eigenvalues and a phase-invariant loss."""
    w, v = LM.Eig.apply(_float_matrix("linalg.eig", A))
    return EigResult(w, v)


def eigvals(A: Tensor) -> Tensor:
    """Complex eigenvalues of a general square matrix; gradient V^-H diag(g) V^H (real part for real A)."""
    return eig(A).eigenvalues


def _ex_info(a: np.ndarray) -> np.ndarray:
    return LM.lu_array(a)[2]


def inv_ex(A: Tensor, *, check_errors: bool = False) -> InvExResult:
    """(A^-1, info): info > 0 marks a singular matrix (the first zero pivot of its LU), whose inverse holds inf/nan
    and is not differentiable; check_errors=True raises instead."""
    a = _float_matrix("linalg.inv_ex", A)
    try:
        return InvExResult(inv(a), _const(np.zeros(a.shape[:-2], dtype=np.int32)))
    except LinAlgError:
        lu_, piv, info = LM.lu_array(a._data)
    if check_errors and np.any(info):
        where, k = _batch_msg(info)
        raise LinAlgError(f"linalg.inv_ex: {where}The diagonal element {k} is zero, the inversion could not be "
                          "completed because the input matrix is singular.")
    eye = np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)
    return InvExResult(_const(LM.lu_solve_array(lu_, piv, eye)), _const(info))


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False) -> SolveExResult:
    """(X, info) with A X = B (X A = B if not left); info > 0 marks a singular A (its X holds inf/nan and is not
    differentiable); check_errors=True raises instead."""
    a = _float_matrix("linalg.solve_ex", A)
    try:
        return SolveExResult(solve(a, B, left=left), _const(np.zeros(a.shape[:-2], dtype=np.int32)))
    except LinAlgError:
        pass
    if check_errors:
        raise LinAlgError(f"torch.linalg.solve_ex: The solver failed because the input matrix of shape "
                          f"{list(a.shape)} is singular.")
    b = _as_tensor(B)._data
    ad = a._data if left else np.swapaxes(a._data, -1, -2)
    bd = b if left else np.swapaxes(b, -1, -2)
    vec = left and (b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1]))
    lu_, piv, info = LM.lu_array(ad)
    x = LM.lu_solve_array(lu_, piv, bd[..., None] if vec else bd)
    x = x[..., 0] if vec else (x if left else np.swapaxes(x, -1, -2))
    return SolveExResult(_const(np.ascontiguousarray(x)), _const(info))


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False) -> CholeskyExResult:
    """(L, info): info > 0 is the order of the first leading minor that is not positive-definite (then L is the
    partial factor, not differentiable); check_errors=True raises instead."""
    a = _float_matrix("linalg.cholesky_ex", A)
    try:
        return CholeskyExResult(cholesky(a, upper=upper), _const(np.zeros(a.shape[:-2], dtype=np.int32)))
    except LinAlgError:
        lo, info = LM.cholesky_partial(a._data)
    if check_errors:
        where, k = _batch_msg(info)
        raise LinAlgError(f"linalg.cholesky_ex: {where}The factorization could not be completed because the input is "
                          f"not positive-definite (the leading minor of order {k} is not positive-definite).")
    return CholeskyExResult(_const(np.ascontiguousarray(np.swapaxes(lo, -1, -2)) if upper else lo), _const(info))


_COND_ORDS = (None, 2, -2, "fro", "nuc", np.inf, -np.inf, 1, -1)


def cond(A: Tensor, p: Any = None) -> Tensor:
    """The condition number: s_max / s_min for p in (None, 2) (s_min / s_max for -2; any shape), else
    ||A||_p ||A^-1||_p for square A (inf where A is singular, then without a gradient)."""
    if not any(p is q or (type(p) is not bool and p == q) for q in _COND_ORDS):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    if p in (None, 2, -2):
        s = svdvals(_float_matrix("linalg.cond", A, square=False))
        with np.errstate(divide="ignore", invalid="ignore"):
            return s[..., 0] / s[..., -1] if p != -2 else s[..., -1] / s[..., 0]
    a = _as_tensor(A)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"linalg.cond(ord={p}): A must be batches of square matrices, but they are "
                           f"{a.shape[-2] if a.ndim > 1 else 1} by {a.shape[-1]} matrices")
    a = _float_matrix("linalg.cond", a)
    ai, info = inv_ex(a)
    if not np.any(info._data):
        return matrix_norm(a, p) * matrix_norm(ai, p)
    bad = info._data > 0
    finite_inv = _const(np.where(bad[..., None, None], 0, ai._data))  # (the singular ones' value is inf anyway)
    with np.errstate(invalid="ignore", over="ignore"):
        val = matrix_norm(a.detach(), p)._data * matrix_norm(finite_inv, p)._data
    return _const(np.where(bad, np.inf, val).astype(a.dtype))


def tensorinv(A: Tensor, ind: int = 2) -> Tensor:
    """The inverse of A read as a matrix (prod(shape[:ind]) x prod(shape[ind:])), shaped shape[ind:] + shape[:ind]."""
    a = _as_tensor(A)
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = int(np.prod(a.shape[:ind])), int(np.prod(a.shape[ind:]))
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {cols} != {rows} (shape {list(a.shape)}, ind={ind})")
    return inv(a.reshape(rows, cols)).reshape(*a.shape[ind:], *a.shape[:ind])


def tensorsolve(A: Tensor, B: Tensor, dims: Any = None) -> Tensor:
    """X with tensordot(A, X, X.ndim) = B (``dims``: A's dims moved to the end first); X has shape A.shape[B.ndim:]."""
    a, b = _as_tensor(A), _as_tensor(B)
    if dims is not None:
        from .ops.shape import movedim

        dims = [int(d) for d in dims]
        a = movedim(a, dims, list(range(a.ndim - len(dims), a.ndim)))
    out = tuple(a.shape[b.ndim:])
    cols, rows = int(np.prod(out)), int(np.prod(a.shape[:b.ndim]))
    if cols != rows or b.numel() != rows:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
                           f"prod(self.shape[:other.ndim]), but got {cols} != {rows} (A {list(a.shape)}, "
                           f"B {list(b.shape)})")
    return solve(a.reshape(rows, cols), b.reshape(rows)).reshape(*out)


def vander(x: Tensor, N: int | None = None) -> Tensor:  # noqa: N803 - PyTorch's name
    """[1, x, x^2, ..., x^(N-1)] along a new last dim (batched over x's leading dims; N defaults to x.shape[-1])."""
    x = _as_tensor(x)
    if x.dtype == np.bool_:
        raise RuntimeError("linalg.vander supports floating point, complex, and integer tensors, but got Bool")
    n = (x.shape[-1] if x.ndim else 1) if N is None else int(N)
    if n <= 1:
        raise RuntimeError(f"N must be greater than 1. (linalg.vander got N={n})")
    if x.dtype.kind in "iu" and x.dtype != np.int64:
        x = x.to(np.int64)  # PyTorch's cumprod promotes integers to int64
    from .ops.reduction import cumprod
    from .ops.shape import cat

    ones = _const(np.ones(tuple(x.shape) + (1,), dtype=x.dtype))
    return cat([ones, cumprod(x.unsqueeze(-1).expand(*x.shape, n - 1), -1)], -1)


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:  # noqa: A002 - PyTorch's names
    """The 3-vector cross product along ``dim`` (batch dims broadcast; both inputs have the same ndim)."""
    from .ops.shape import cross as _cross

    return _cross(_as_tensor(input), _as_tensor(other), dim)


def householder_product(A: Tensor, tau: Tensor) -> Tensor:
    """The first n columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^T with v_i = [0, .., 1, A[i+1:, i]] (the Q of a
    geqrf factorisation); a composition of matmuls, so its gradient is exact (A's upper triangle is not read)."""
    a, t = _as_tensor(A), _as_tensor(tau)
    op = "torch.linalg.householder_product"
    if a.ndim < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions. (got shape {list(a.shape)})")
    m, n = a.shape[-2:]
    k = t.shape[-1] if t.ndim else 1
    if m < n:
        raise RuntimeError(f"{op}: input.shape[-2] must be greater than or equal to input.shape[-1] (got {m} < {n})")
    if n < k:
        raise RuntimeError(f"{op}: input.shape[-1] must be greater than or equal to tau.shape[-1] (got {n} < {k})")
    if t.ndim != a.ndim - 1 or tuple(t.shape[:-1]) != tuple(a.shape[:-2]):
        raise RuntimeError(f"{op}: Expected batch dimensions of tau to be equal to input.shape[:-2], but got "
                           f"{list(t.shape[:-1])}")
    if t.dtype != a.dtype:
        raise RuntimeError(f"{op}: tau dtype {_c_name(t.dtype).title()} does not match input dtype "
                           f"{_c_name(a.dtype).title()}")
    v = _tril(a, -1) + np.eye(m, n, dtype=a.dtype)  # the reflectors' vectors, unit diagonal
    q = _const(np.broadcast_to(np.eye(m, dtype=a.dtype), tuple(a.shape[:-2]) + (m, m)).copy())
    for i in range(k):
        vi = v[..., :, i:i + 1]
        q = q - (q @ vi) * t[..., i:i + 1].unsqueeze(-1) @ vi.mT
    return q[..., :, :n]


def matrix_power(A: Tensor, n: int) -> Tensor:
    """A^n (torch.linalg.matrix_power; the same op as ag.matrix_power)."""
    return _C.matrix_power(A, n)


def matrix_exp(A: Tensor) -> Tensor:
    """exp(A) (torch.linalg.matrix_exp; the same op as ag.matrix_exp)."""
    return _C.matrix_exp(A)


# ---------------------------------------------------------------------- derivation cards
# Declared here, next to the ops they check, because each card calls them; derivations.py holds only the
# card machinery and the registry, so it needs nothing from this module and imports point one way.


def _card(*args: Any, **kwargs: Any) -> None:
    """Declare one card (the fields of derivations.Derivation) in the registry, derivations.CARDS."""
    _derivations.register(_derivations.Derivation(*args, **kwargs))


def _spd(rng: np.random.Generator, n: int = 4) -> np.ndarray:
    m = rng.standard_normal((n, n))
    return m @ m.T + n * np.eye(n)


def _wc(rng: np.random.Generator, n: int = 4) -> np.ndarray:
    return rng.standard_normal((n, n)) + n * np.eye(n)


def _sym(rng: np.random.Generator, n: int = 4) -> np.ndarray:
    m = rng.standard_normal((n, n))
    return (m + m.T) / 2


def _inner(g: Any, y: Tensor) -> Tensor:
    return (y * _new_tensor(g)).sum()


# ---------------------------------------------------------------------- the course's identities
_card("quadratic_form", "d(x^T A x)/dx = (A + A^T) x,   d(x^T A x)/dA = x x^T",
      lambda r: (r.standard_normal(4), r.standard_normal((4, 4))),
      lambda x, a: x @ (a @ x), lambda x, a: ((a + a.T) @ x, np.outer(x, x)), wrt=(0, 1),
      source="seed 001, vector/matrix derivatives")
_card("trace_product", "d tr(W A)/dW = A^T",
      lambda r: (r.standard_normal((3, 4)), r.standard_normal((4, 3))),
      lambda w, a: trace(w @ a), lambda w, a: (a.T,), source="seed 001, derivative of a trace")
_card("det", "d|K|/dK = |K| K^-T  (the cofactor matrix)", lambda r: (_wc(r),), lambda k: det(k),
      lambda k: (np.linalg.det(k) * np.linalg.inv(k).T,), source="seed 001, derivative of a determinant")
_card("inv", "d<G, K^-1>/dK = -K^-T G K^-T   (from dK^-1 = -K^-1 dK K^-1)",
      lambda r: (_wc(r), r.standard_normal((4, 4))), lambda k, g: _inner(g._data, inv(k)),
      lambda k, g: (-np.linalg.inv(k).T @ g @ np.linalg.inv(k).T,), source="seed 001, derivative of an inverse")
_card("logdet", "d log|K|/dK = K^-T  (K^-1 for symmetric K)", lambda r: (_spd(r),), lambda k: logdet(k),
      lambda k: (np.linalg.inv(k).T,), symmetric=(0,), source="seed 001 homework, log|K|")
_card("inv_quadratic", "d(y^T K^-1 y)/dK = -K^-T y y^T K^-T,   d(y^T K^-1 y)/dy = (K^-1 + K^-T) y",
      lambda r: (_wc(r), r.standard_normal(4)), lambda k, y: y @ solve(k, y),
      lambda k, y: (-np.linalg.inv(k).T @ np.outer(y, y) @ np.linalg.inv(k).T,
                    (np.linalg.inv(k) + np.linalg.inv(k).T) @ y), wrt=(0, 1),
      source="seed 001 homework, y^T K^-1 y")


def _normal_equation_residual(t: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    """Largest entry of the engine's gradient of ||X t - y||^2 at the normal-equation solution."""
    x_t, y_t = _new_tensor(x), _new_tensor(y)
    theta = solve(x_t.mT @ x_t, x_t.mT @ y_t).requires_grad_()
    (g,) = _grad(((x_t @ theta - y_t) ** 2).sum(), [theta])
    return float(np.max(np.abs(g._data))) / float(np.max(np.abs(2 * x.T @ y)))


_card("normal_equation", "d||X t - y||^2/dt = 2 X^T (X t - y), which vanishes at t = (X^T X)^-1 X^T y",
      lambda r: (r.standard_normal(3), r.standard_normal((8, 3)), r.standard_normal(8)),
      lambda t, x, y: ((x @ t - y) ** 2).sum(), lambda t, x, y: (2 * x.T @ (x @ t - y),),
      source="seed 001, least squares and the normal equation", extra=_normal_equation_residual)

# ---------------------------------------------------------------------- one card per linalg op
_card("slogdet", "d log|det A|/dA = A^-T  (any non-singular A; the sign is piecewise constant)",
      lambda r: (_wc(r) * np.array([[-1.0], [1], [1], [1]]),), lambda a: slogdet(a).logabsdet,
      lambda a: (np.linalg.inv(a).T,))
_card("solve", "X = A^-1 B:  d<G, X>/dB = A^-T G,   d<G, X>/dA = -A^-T G X^T",
      lambda r: (_wc(r), r.standard_normal((4, 2)), r.standard_normal((4, 2))),
      lambda a, b, g: _inner(g._data, solve(a, b)),
      lambda a, b, g: (-np.linalg.solve(a.T, g) @ np.linalg.solve(a, b).T, np.linalg.solve(a.T, g)), wrt=(0, 1))
_card("solve_triangular", "X = tril(A)^-1 B:  d<G, X>/dA = -tril(A^-T G X^T),   d<G, X>/dB = A^-T G",
      lambda r: (_wc(r), r.standard_normal((4, 2)), r.standard_normal((4, 2))),
      lambda a, b, g: _inner(g._data, solve_triangular(a, b, upper=False)),
      lambda a, b, g: (-np.tril(np.linalg.solve(np.tril(a).T, g) @ np.linalg.solve(np.tril(a), b).T),
                       np.linalg.solve(np.tril(a).T, g)), wrt=(0, 1))


def _chol_formula(a: np.ndarray, g: np.ndarray) -> _derivations.Arrays:
    lo = np.linalg.cholesky(a)
    p = np.tril(lo.T @ g)
    phi = np.tril(p, -1) + np.diag(np.diag(p)) / 2
    s = np.linalg.solve(lo.T, np.linalg.solve(lo.T, phi.T).T)  # L^-T Phi L^-1
    return ((s + s.T) / 2,)


_card("cholesky", "A = L L^T:  d<G, L>/dA = sym(L^-T Phi(L^T G) L^-1),  Phi = lower triangle, halved diagonal",
      lambda r: (_spd(r), r.standard_normal((4, 4))), lambda a, g: _inner(g._data, cholesky(a)),
      _chol_formula, symmetric=(0,))


def _qr_formula(a: np.ndarray, gq: np.ndarray, gr: np.ndarray) -> _derivations.Arrays:
    q, r = np.linalg.qr(a)
    m = r @ gr.T - gq.T @ q
    copyltu = np.tril(m) + np.tril(m, -1).T
    return (np.linalg.solve(r, (gq + q @ copyltu).T).T,)


_card("qr", "A = QR (m >= n):  gA = [gQ + Q copyltu(R gR^T - gQ^T Q)] R^-T,  copyltu(M) = tril(M) + tril(M, -1)^T",
      lambda r: (r.standard_normal((5, 3)), r.standard_normal((5, 3)), r.standard_normal((3, 3))),
      lambda a, gq, gr: _inner(gq._data, qr(a).Q) + _inner(gr._data, qr(a).R), _qr_formula)
_card("eigh", "d<g, eigenvalues(A)>/dA = V diag(g) V^T   (dw_i = v_i^T dA v_i)",
      lambda r: (_sym(r), r.standard_normal(4)), lambda a, g: _inner(g._data, eigvalsh(a)),
      lambda a, g: ((lambda w, v: (v * g) @ v.T)(*np.linalg.eigh(a)),), symmetric=(0,))


def _eigvec_formula(a: np.ndarray, gv: np.ndarray) -> _derivations.Arrays:
    w, v = np.linalg.eigh(a)
    e = w[None, :] - w[:, None]
    np.fill_diagonal(e, 1.0)
    m = v.T @ gv
    return (v @ (((m - m.T) / 2) / e) @ v.T,)


_card("eigh_vectors", "d<G, V>/dA = V (skew(V^T G) / E) V^T,  E_ij = w_j - w_i  (distinct eigenvalues only)",
      lambda r: (_sym(r), r.standard_normal((4, 4))),
      lambda a, g: _inner(g._data * _col_sign(eigh(a).eigenvectors._data), eigh(a).eigenvectors),
      lambda a, g: _eigvec_formula(a, g * _col_sign(np.linalg.eigh(a)[1])), symmetric=(0,))


def _col_sign(v: np.ndarray) -> np.ndarray:
    """Eigenvectors are defined up to sign: fold the sign into the cotangent so <G, V> is gauge-free."""
    idx = np.argmax(np.abs(v), axis=0)
    return np.sign(v[idx, np.arange(v.shape[1])])[None, :]


_card("svd", "d<g, singular values(A)>/dA = U diag(g) V^T   (ds_i = u_i^T dA v_i)",
      lambda r: (r.standard_normal((5, 3)), r.standard_normal(3)), lambda a, g: _inner(g._data, svdvals(a)),
      lambda a, g: ((lambda u, s, vh: (u * g) @ vh)(*np.linalg.svd(a, full_matrices=False)),))
_card("nuclear_norm", "d||A||_*/dA = U V^T", lambda r: (r.standard_normal((4, 3)),),
      lambda a: matrix_norm(a, "nuc"), lambda a: ((lambda u, s, vh: u @ vh)(*np.linalg.svd(a, False)),))
_card("spectral_norm", "d||A||_2/dA = u_1 v_1^T", lambda r: (r.standard_normal((4, 3)),),
      lambda a: matrix_norm(a, 2), lambda a: ((lambda u, s, vh: np.outer(u[:, 0], vh[0]))(*np.linalg.svd(a)),))
_card("frobenius_norm", "d||A||_F/dA = A / ||A||_F", lambda r: (r.standard_normal((4, 3)),),
      lambda a: norm(a), lambda a: (a / np.linalg.norm(a),))
_card("trace", "d tr(A)/dA = I", lambda r: (r.standard_normal((4, 4)),), lambda a: trace(a),
      lambda a: (np.eye(4),))
_card("diagonal", "d<g, diag(A)>/dA = diag_embed(g)", lambda r: (r.standard_normal((4, 4)), r.standard_normal(4)),
      lambda a, g: _inner(g._data, diagonal(a)), lambda a, g: (np.diag(g),))
_card("outer", "d<G, x y^T>/dx = G y,   d<G, x y^T>/dy = G^T x",
      lambda r: (r.standard_normal(3), r.standard_normal(4), r.standard_normal((3, 4))),
      lambda x, y, g: _inner(g._data, outer(x, y)), lambda x, y, g: (g @ y, g.T @ x), wrt=(0, 1))
_card("einsum_matmul", "C = einsum('ij,jk->ik', A, B):  gA = einsum('ik,jk->ij', G, B) = G B^T,  gB = A^T G",
      lambda r: (r.standard_normal((3, 4)), r.standard_normal((4, 2)), r.standard_normal((3, 2))),
      lambda a, b, g: _inner(g._data, einsum("ij,jk->ik", a, b)), lambda a, b, g: (g @ b.T, a.T @ g), wrt=(0, 1))
_card("einsum_diagonal", "y = einsum('ii->i', A):  gA = einsum('i,ij->ij', g, I) (the gradient lives on the diagonal)",
      lambda r: (r.standard_normal((4, 4)), r.standard_normal(4)),
      lambda a, g: _inner(g._data, einsum("ii->i", a)), lambda a, g: (np.diag(g),))


# ---------------------------------------------------------------------- declarations
METHODS = {"det": det, "logdet": logdet, "slogdet": slogdet, "inverse": inv, "trace": trace, "diag": diag,
           "diag_embed": diag_embed, "diagonal": _diagonal, "outer": outer, "cholesky": cholesky}
