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

from ._einsum import einsum
from ._tensor import Tensor
from .ops import einsum as E
from .ops import linalg as L
from .ops.linalg import LinAlgError
from .ops.reduction import amax, amin
from .ops.reduction import norm as _vector_norm_impl
from .ops.reduction import sum as _sum
from .ops.shape import permute

__all__ = [
    "LinAlgError", "cg", "cholesky", "derivation", "derivations", "det", "diagonal", "eigh", "eigvalsh", "einsum",
    "inv", "logdet", "matmul", "matrix_norm", "multi_dot", "norm", "outer", "qr", "slogdet", "solve",
    "solve_triangular", "svd", "svdvals", "trace", "vector_norm", "vecdot", "diag", "diag_embed",
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
        return logabs + np.log(sign.data)


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
    if b.dtype != a.dtype:
        b = b.to(np.result_type(a.dtype, b.dtype))
        a = a.to(b.dtype)
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
    from .derivations import derivation as _derivation

    return _derivation(op)


def derivations() -> list:
    """All derivation cards (one per linalg op and per course identity)."""
    from .derivations import CARDS

    return list(CARDS.values())
