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
from ._tensor import Tensor
from .ops import einsum as E
from .ops import linalg as L
from .ops.arithmetic import _c_name
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
