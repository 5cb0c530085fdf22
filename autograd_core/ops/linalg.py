"""Matrix functions (``ag.linalg``): inverse, determinants, solves, factorisations.

Every op works on a batch of matrices (leading dimensions) and its backward is written with
other recorded ops (matmul, transpose, these solves), so gradients of gradients work too. The
public wrappers with argument checks live in ``autograd_core/linalg.py``; the identities each
backward uses are stated in the docstrings and checked by ``ag.linalg.derivation``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._function import Function

# ---------------------------------------------------------------------- helpers


class LinAlgError(RuntimeError):
    """A matrix function cannot be computed for this input (singular, not positive-definite)."""


def _batch_where(a: np.ndarray, bad: Any) -> str:
    """'(batch element i) ' for the first matrix of a batch that fails ``bad``, else ''."""
    if a.ndim == 2:
        return ""
    flat = a.reshape((-1,) + a.shape[-2:])
    for i, m in enumerate(flat):
        if bad(m):
            idx = np.unravel_index(i, a.shape[:-2])
            return f"(batch element {tuple(int(j) for j in idx) if len(idx) > 1 else int(idx[0])}) "
    return ""


def _is_singular(m: np.ndarray) -> bool:
    try:
        np.linalg.inv(m)
    except np.linalg.LinAlgError:
        return True
    return False


def _desc(a: np.ndarray) -> str:
    return f"{list(a.shape)} ({a.dtype.name})"


def singular_error(op: str, a: np.ndarray, fix: str) -> LinAlgError:
    where = _batch_where(a, _is_singular)
    return LinAlgError(
        f"{op}: {where}the input matrix of shape {_desc(a)} is singular (LU factorisation found a zero "
        f"pivot), so the result is not defined. Fix: {fix}"
    )


def _not_pd_order(m: np.ndarray) -> int:
    """Order of the first leading minor of ``m`` that is not positive-definite (0 if none)."""
    for k in range(1, m.shape[-1] + 1):
        try:
            np.linalg.cholesky(m[:k, :k])
        except np.linalg.LinAlgError:
            return k
    return 0


def not_pd_error(op: str, a: np.ndarray) -> LinAlgError:
    where = _batch_where(a, lambda m: _not_pd_order(m) > 0)
    flat = a.reshape((-1,) + a.shape[-2:])
    order = next(k for k in map(_not_pd_order, flat) if k)
    return LinAlgError(
        f"{op}: {where}the factorisation could not be completed because the input of shape {_desc(a)} is not "
        f"positive-definite (the leading minor of order {order} is not positive-definite). Fix: pass a "
        "symmetric positive-definite matrix, e.g. A @ A.mT + eps * I, or add a jitter term eps * I "
        "(eps ~ 1e-6 times the diagonal's scale)"
    )


def _eye(n: int, dtype: Any) -> np.ndarray:
    return np.eye(n, dtype=dtype)


def _diag_mat(xp: Any, v: Any) -> Any:
    """Batch of diagonal matrices with ``v`` (..., n) on the diagonal."""
    n = v.shape[-1]
    return xp.unsqueeze(v, -1) * _eye(n, v.dtype)


def _tril_mask(n: int, k: int, dtype: Any) -> np.ndarray:
    return np.tril(np.ones((n, n), dtype=dtype), k)


def _rows(xp: Any, x: Any, v: Any) -> Any:
    """diag(v) @ x: scale row i of each matrix by v_i."""
    return xp.unsqueeze(v, -1) * x


def _cols(xp: Any, x: Any, v: Any) -> Any:
    """x @ diag(v): scale column j of each matrix by v_j."""
    return x * xp.unsqueeze(v, -2)


def _scalar_to_mat(xp: Any, s: Any) -> Any:
    return xp.unsqueeze(xp.unsqueeze(s, -1), -1)


def _is_const_zero(xp: Any, g: Any) -> bool:
    """A cotangent that is identically zero and carries no graph (an unused output): skip its terms."""
    return not getattr(g, "requires_grad", False) and not np.any(xp.value(g))


def inv_array(a: np.ndarray, op: str) -> np.ndarray:
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        raise singular_error(op, a, "check for duplicated/collinear rows, add a ridge term lam * I, or use "
                                    "linalg.solve / a least-squares formulation") from None


# ---------------------------------------------------------------------- inverse and determinants


class Inv(Function):
    """Y = A^-1;  gA = -Y^T g Y^T"""

    saves_output = True

    def forward(self, a):
        return inv_array(a, "linalg.inv")

    def backward(self, g):
        xp = self.xp
        yt = xp.mT(self.saved_output())
        return -(yt @ g @ yt)


def inv(xp: Any, a: Any) -> Any:
    """A^-1 on arrays or Tensors (the grad-op helper used by other backwards)."""
    return xp.apply(Inv, a)


class Det(Function):
    """d = det(A);  gA = g d A^-T  (= g cof(A), the cofactor matrix, which also covers singular A)"""

    saves_inputs = True
    saves_output = True

    def forward(self, a):
        return np.linalg.det(a)

    def backward(self, g):
        xp = self.xp
        (a,) = self.saved()
        d = self.saved_output()
        if not _near_singular(xp.value(a), xp.value(d)):
            return _scalar_to_mat(xp, g * d) * xp.mT(inv(xp, a))
        # d A^-T is a tiny number times a huge matrix there (rank n-1 in floating point: det ~ 1e-16): accurate
        # to first order at best, and its derivative is garbage (a det(B C) with B 4x3, C 3x4 is 0 for every B
        # and C, yet gave a Hessian of 11 where the finite difference is 4.3). The cofactor matrix comes from an
        # SVD (numpy only): the one branch on the kind of backward here
        if xp.records:
            raise LinAlgError(
                f"linalg.det: the second derivative at a singular matrix (input {list(a.shape)}, or one within "
                f"rounding of singular) is not "
                "implemented: det's gradient there is the cofactor matrix, computed from an SVD that is not "
                "differentiated again. Fix: perturb the input off the singular set, or use "
                "create_graph=False"
            )
        return _scalar_to_mat(xp, g) * cofactor(a)


def _near_singular(a: np.ndarray, d: np.ndarray) -> bool:
    """Whether some matrix of the batch is singular or within rounding of it (condition number above 1e10 in the
    max-row-sum norm, estimated from a solve): there d A^-T loses the cofactor matrix's digits."""
    if not np.all(d != 0):
        return True
    if a.shape[-1] <= 1:
        return False
    with np.errstate(all="ignore"):
        try:
            ai = np.linalg.inv(a)
        except np.linalg.LinAlgError:
            return True
        cond = np.abs(a).sum(-1).max(-1) * np.abs(ai).sum(-1).max(-1)
    return bool(np.any(~np.isfinite(cond) | (cond > 1e10)))


def cofactor(a: np.ndarray) -> np.ndarray:
    """The cofactor matrix det(A) A^-T, valid for singular A: det(U)det(V) U diag(prod_{j!=i} s_j) V^T."""
    u, s, vh = np.linalg.svd(a)
    n = s.shape[-1]
    ones = np.ones(s.shape[:-1] + (1,), dtype=s.dtype)
    left = np.cumprod(np.concatenate([ones, s[..., :-1]], -1), -1)  # prod_{j<i} s_j
    right = np.flip(np.cumprod(np.concatenate([ones, np.flip(s, -1)[..., :-1]], -1), -1), -1)  # prod_{j>i}
    sign = np.linalg.det(u) * np.linalg.det(vh)
    return sign[..., None, None] * (u * (left * right)[..., None, :]) @ vh if n else u


class Slogdet(Function):
    """(sign, log|det A|);  gA = g_logabsdet A^-T   (the sign is piecewise constant)"""

    saves_inputs = True

    def forward(self, a):
        sign, logabs = np.linalg.slogdet(a)
        return sign, logabs

    def backward(self, g_sign, g_logabs):
        xp = self.xp
        (a,) = self.saved()
        try:
            a_inv = inv(xp, a)
        except LinAlgError:
            raise singular_error("linalg.slogdet (backward)", xp.value(a),
                                 "log|det A| = -inf at a singular matrix and has no gradient there; add a "
                                 "ridge term lam * I before taking slogdet/logdet") from None
        return _scalar_to_mat(xp, g_logabs) * xp.mT(a_inv)


# ---------------------------------------------------------------------- solves


class Solve(Function):
    """X = A^-1 B (batched, broadcasting);  gB = A^-T g,  gA = -gB X^T"""

    saves_inputs = True
    saves_output = True

    def forward(self, a, b):
        try:
            return np.linalg.solve(a, b)
        except np.linalg.LinAlgError:
            raise singular_error("linalg.solve", a, "the system has no unique solution; add a ridge term "
                                                    "lam * I, or use a least-squares formulation") from None

    def saved_needed(self):
        return True, False  # B's value enters no gradient (X, the saved output, stands for it)

    def backward(self, g):
        xp = self.xp
        a = self.saved()[0]
        gb = solve(xp, xp.mT(a), g)
        ga = -(gb @ xp.mT(self.saved_output())) if self.needs_input_grad(0) else None
        return ga, gb


def solve(xp: Any, a: Any, b: Any) -> Any:
    return xp.apply(Solve, a, b)


def _tri(a: Any, upper: bool, unit: bool) -> Any:
    """The triangle the solver reads (the other entries are ignored, as LAPACK's trtrs does)."""
    n = a.shape[-1]
    mask = _tril_mask(n, -1 if unit else 0, a.dtype)
    if upper:
        mask = mask.T
    t = a * mask
    return t + _eye(n, a.dtype) if unit else t


def _substitute(t: np.ndarray, b: np.ndarray, lower: bool) -> np.ndarray:
    """X with T X = B by forward (lower) or back substitution, row by row: inf/nan where T has a zero pivot."""
    shape = np.broadcast_shapes(t.shape[:-2], b.shape[:-2])
    t = np.broadcast_to(t, shape + t.shape[-2:])
    x = np.array(np.broadcast_to(b, shape + b.shape[-2:]), dtype=np.result_type(t, b))
    n = t.shape[-1]
    rows = range(n) if lower else range(n - 1, -1, -1)
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in rows:
            done = slice(0, i) if lower else slice(i + 1, n)
            acc = np.einsum("...j,...jk->...k", t[..., i, done], x[..., done, :])
            x[..., i, :] = (x[..., i, :] - acc) / t[..., i, i:i + 1]
    return x


class SolveTriangular(Function):
    """X = A^-1 B (left) or B A^-1 (right), A triangular;
    left: gB = A^-T g, gA = -tri(gB X^T);  right: gB = g A^-T, gA = -tri(X^T gB)"""

    saves_inputs = True
    saves_output = True

    def forward(self, a, b, upper, left, unitriangular):
        self.upper, self.left, self.unit = upper, left, unitriangular
        t = _tri(a, upper, unitriangular)
        tt, bb = (t, b) if left else (np.swapaxes(t, -1, -2), np.swapaxes(b, -1, -2))
        if not unitriangular and np.any(np.diagonal(t, axis1=-2, axis2=-1) == 0):
            # a zero on the diagonal: PyTorch's substitution divides by it and returns inf/nan, not an error
            # (an LU with pivoting could even return finite nonsense for it)
            x = _substitute(tt, bb, lower=(upper != left))
        else:
            x = np.linalg.solve(tt, bb)
        return x if left else np.swapaxes(x, -1, -2)

    def saved_needed(self):
        return True, False  # B's value enters no gradient (X, the saved output, stands for it)

    def backward(self, g):
        xp = self.xp
        a = self.saved()[0]
        x = self.saved_output()
        at = xp.mT(a)
        gb = solve_triangular(xp, at, g, not self.upper, self.left, self.unit)
        ga = None
        if self.needs_input_grad(0):
            full = -(gb @ xp.mT(x)) if self.left else -(xp.mT(x) @ gb)
            n = a.shape[-1]
            mask = _tril_mask(n, -1 if self.unit else 0, a.dtype)
            ga = full * (mask.T if self.upper else mask)
        return ga, gb

    def attrs(self):
        return {"upper": self.upper, "left": self.left, **({"unitriangular": True} if self.unit else {})}


def solve_triangular(xp: Any, a: Any, b: Any, upper: bool, left: bool = True, unitriangular: bool = False) -> Any:
    return xp.apply(SolveTriangular, a, b, upper=upper, left=left, unitriangular=unitriangular)


# ---------------------------------------------------------------------- factorisations


class Cholesky(Function):
    """L = chol(A), A = L L^T;  gA = L^-T Phi(L^T gL) L^-1, Phi = symmetric part with halved diagonal
    (the adjoint of dA -> dL = L Phi(L^-1 dA L^-T) on symmetric dA)"""

    saves_output = True

    def forward(self, a):
        try:
            return np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            raise not_pd_error("linalg.cholesky", a) from None

    def backward(self, g):
        xp = self.xp
        lo = self.saved_output()
        n = lo.shape[-1]
        p = (xp.mT(lo) @ g) * _tril_mask(n, 0, g.dtype)
        p = 0.5 * (p + xp.mT(p * _tril_mask(n, -1, g.dtype)))  # symmetric, diagonal halved
        p = solve_triangular(xp, xp.mT(lo), p, upper=True, left=True)
        return solve_triangular(xp, lo, p, upper=False, left=False)


class QR(Function):
    """A = QR (reduced; m >= n):  gA = [gQ + Q copyltu(M)] R^-T,  M = R gR^T - gQ^T Q,
    copyltu(M) = tril(M) + tril(M, -1)^T;  m < n: A = [X | Y], R = [R_X | Q^T Y] reduces to that case"""

    saves_inputs = True  # the wide case needs Y
    saves_output = True

    def forward(self, a, mode):
        self.mode = mode
        self.m, self.n = a.shape[-2:]
        q, r = np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
        if mode == "r":
            q = np.zeros((0,), dtype=a.dtype)
        return q, r

    def backward(self, gq, gr):
        xp = self.xp
        if self.mode == "r":
            raise RuntimeError(
                "linalg.qr: the derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                "Fix: use linalg.qr(A, mode='reduced') if you are going to differentiate through it"
            )
        if self.mode == "complete" and self.m > self.n:
            raise RuntimeError(
                f"linalg.qr: the QR decomposition is not differentiable when mode='complete' and nrows > ncols "
                f"(input {self.m}x{self.n}): the extra columns of Q are not unique. Fix: use mode='reduced'"
            )
        q, r = self.saved_outputs()
        m, n = self.m, self.n
        if m >= n:
            return _qr_backward_tall(xp, q, r, gq, gr)
        # A = [X | Y] with X square: R = [R_X | Q^T Y], and Y only enters through R_Y = Q^T Y
        y = self.saved()[0][..., :, m:]
        gr_x, gr_y = gr[..., :, :m], gr[..., :, m:]
        gy = q @ gr_y
        gx = _qr_backward_tall(xp, q, r[..., :, :m], gq + y @ xp.mT(gr_y), gr_x)
        return xp.cat([gx, gy], -1)

    def attrs(self):
        return {"mode": self.mode} if self.mode != "reduced" else {}


def _qr_backward_tall(xp: Any, q: Any, r: Any, gq: Any, gr: Any) -> Any:
    n = r.shape[-1]
    m_ = r @ xp.mT(gr) - xp.mT(gq) @ q
    low = m_ * _tril_mask(n, 0, m_.dtype)
    copyltu = low + xp.mT(m_ * _tril_mask(n, -1, m_.dtype))
    b = gq + q @ copyltu
    return solve_triangular(xp, xp.mT(r), b, upper=False, left=False)  # b R^-T


class Eigh(Function):
    """A = V diag(w) V^T (symmetric);  gA = V (diag(gw) + skew(V^T gV) / E) V^T,
    skew(X) = (X - X^T)/2, E_ij = w_j - w_i (off the diagonal; undefined for repeated eigenvalues)"""

    saves_output = True

    def forward(self, a, uplo):
        self.uplo = uplo
        w, v = np.linalg.eigh(a, UPLO=uplo)
        return w, v

    def backward(self, gw, gv):
        xp = self.xp
        w, v = self.saved_outputs()
        inner = _diag_mat(xp, gw)
        if not _is_const_zero(xp, gv):
            vtgv = xp.mT(v) @ gv
            n = w.shape[-1]
            e = xp.unsqueeze(w, -2) - xp.unsqueeze(w, -1) + _eye(n, w.dtype)  # 1 on the diagonal: skew is 0 there
            inner = inner + 0.5 * (vtgv - xp.mT(vtgv)) / e
        return v @ inner @ xp.mT(v)

    def attrs(self):
        return {"UPLO": self.uplo} if self.uplo != "L" else {}


class SVD(Function):
    """A = U diag(s) V^T (reduced);  gA = U [F.(U^T gU - gU^T U) S + diag(gs) + S F.(V^T gV - gV^T V)] V^T
    + (I - U U^T) gU S^-1 V^T + U S^-1 gV^T (I - V V^T),  F_ij = 1/(s_j^2 - s_i^2) off the diagonal"""

    saves_output = True

    def forward(self, a, full_matrices):
        self.full = full_matrices
        self.m, self.n = a.shape[-2:]
        u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
        return u, s, vh

    def backward(self, gu, gs, gvh):
        xp = self.xp
        u, s, vh = self.saved_outputs()
        m, n = self.m, self.n
        k = s.shape[-1]
        if self.full and m != n:
            # the extra singular vectors (beyond k = min(m, n)) are not unique: PyTorch drops their gradient
            u, gu = u[..., :, :k], gu[..., :, :k]
            vh, gvh = vh[..., :k, :], gvh[..., :k, :]
        no_u, no_v = _is_const_zero(xp, gu), _is_const_zero(xp, gvh)
        inner = _diag_mat(xp, gs)
        if not (no_u and no_v):
            s2 = s * s
            f = xp.unsqueeze(s2, -2) - xp.unsqueeze(s2, -1) + _eye(k, s.dtype)  # s_j^2 - s_i^2; 1 on the diagonal
            off = 1.0 - _eye(k, s.dtype)
            if not no_u:
                utgu = xp.mT(u) @ gu
                inner = inner + _cols(xp, (utgu - xp.mT(utgu)) * off / f, s)
            if not no_v:
                v, gv = xp.mT(vh), xp.mT(gvh)
                vtgv = xp.mT(v) @ gv
                inner = inner + _rows(xp, (vtgv - xp.mT(vtgv)) * off / f, s)
        ga = u @ inner @ vh
        if not no_u and m > k:
            ga = ga + _cols(xp, gu - u @ (xp.mT(u) @ gu), 1.0 / s) @ vh
        if not no_v and n > k:
            ga = ga + u @ _rows(xp, gvh - (gvh @ xp.mT(vh)) @ vh, 1.0 / s)
        return ga

    def attrs(self):
        return {"full_matrices": True} if self.full else {}


# ---------------------------------------------------------------------- the matmul family (mm, bmm, mv, add*)
# Composites over matmul (one Matmul node, whose backward is written once for both modes): PyTorch's stricter
# shape rules are checked here, so a batch that matmul would broadcast is refused by bmm, as in PyTorch. These
# are declared as Tensor methods and ag.<name> by the reduction family (ops/reduction.py: _MATMUL_FAMILY).


def _mat(x: Any, op: str, what: str, nd: int) -> Any:
    from .._tensor import Tensor

    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{what}' must be Tensor, not {type(x).__name__}")
    if x.ndim != nd:
        kind = {1: "a vector", 2: "a matrix", 3: "a 3D tensor"}[nd]
        raise RuntimeError(f"{op}: {what} must be {kind}, got a tensor of shape {list(x.shape)} ({x.ndim}-D)")
    return x


def _same_dtype(op: str, a: Any, b: Any) -> None:
    from .arithmetic import _c_name

    if a.dtype != b.dtype:
        raise RuntimeError(
            f"{op}: expected m1 and m2 to have the same dtype, but got: {_c_name(a.dtype)} != {_c_name(b.dtype)} "
            f"(shapes {list(a.shape)} and {list(b.shape)}). Fix: cast one operand, e.g. b.to(a.dtype)"
        )


def mm(input: Any, mat2: Any) -> Any:  # noqa: A002 - PyTorch's names
    """Matrix product of two 2-D tensors (no broadcasting; use matmul for that)."""
    if not hasattr(input, "_data") and getattr(input, "is_sparse", False):
        from .. import sparse

        return sparse.mm(input, mat2)  # a sparse COO left operand (autograd_core.sparse)
    a, b = _mat(input, "mm", "self", 2), _mat(mat2, "mm", "mat2", 2)
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
                           f"{b.shape[0]}x{b.shape[1]}). Fix: transpose one operand (x.T) or check the sizes")
    _same_dtype("mm", a, b)
    return a @ b


def bmm(input: Any, mat2: Any) -> Any:  # noqa: A002
    """Batched matrix product of (b, n, m) and (b, m, p) tensors (the batch sizes must be equal)."""
    a, b = _mat(input, "bmm", "batch1", 3), _mat(mat2, "bmm", "batch2", 3)
    if b.shape[:2] != (a.shape[0], a.shape[2]):
        raise RuntimeError(f"bmm: Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}] (batch1 "
                           f"{list(a.shape)}, batch2 {list(b.shape)}; bmm does not broadcast, matmul does)")
    _same_dtype("bmm", a, b)
    return a @ b


def mv(input: Any, vec: Any) -> Any:  # noqa: A002
    """Matrix-vector product of an (n, m) matrix and an (m,) vector."""
    a, v = _mat(input, "mv", "self", 2), _mat(vec, "mv", "vec", 1)
    if a.shape[1] != v.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x{a.shape[1]}), vec "
                           f"({v.shape[0]})")
    _same_dtype("mv", a, v)
    return a @ v


def _scaled_sum(inp: Any, prod: Any, beta: Any, alpha: Any, op: str) -> Any:
    """beta * inp + alpha * prod, with inp broadcast to prod's shape; beta = 0 ignores inp's values (nan too)."""
    from .._tensor import Tensor

    if not isinstance(inp, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(inp).__name__}")
    if not _broadcasts(inp.shape, prod.shape) or np.broadcast_shapes(inp.shape, prod.shape) != prod.shape:
        inp.detach().expand(prod.shape)  # raises PyTorch's message: input must broadcast to the product's shape
    out = prod if alpha == 1 else prod * alpha
    if beta == 0:
        if not inp.requires_grad:
            return out
        from .compare import Where

        # input's values are ignored (a nan there does not propagate) but it gets its (zero) gradient, as in PyTorch
        return out + Where.apply(np.zeros(prod.shape, dtype=bool), inp, np.zeros((), dtype=prod.dtype))
    return (inp if beta == 1 else inp * beta) + out


def _broadcasts(a: tuple, b: tuple) -> bool:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


def addmm(input: Any, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:  # noqa: A002
    """beta * input + alpha * (mat1 @ mat2), input broadcast to (n, p)."""
    return _scaled_sum(input, mm(mat1, mat2), beta, alpha, "addmm")


def baddbmm(input: Any, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:  # noqa: A002
    """beta * input + alpha * bmm(batch1, batch2), input broadcast to (b, n, p)."""
    return _scaled_sum(input, bmm(batch1, batch2), beta, alpha, "baddbmm")


def addmv(input: Any, mat: Any, vec: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:  # noqa: A002
    """beta * input + alpha * (mat @ vec), input broadcast to (n,)."""
    return _scaled_sum(input, mv(mat, vec), beta, alpha, "addmv")


def dot(input: Any, tensor: Any) -> Any:  # noqa: A002
    """Inner product of two 1-D tensors of the same length."""
    a, b = _mat(input, "dot", "self", 1), _mat(tensor, "dot", "tensor", 1)
    if a.shape != b.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to "
                           "have the same number of elements, but got "
                           f"{a.shape[0]} and {b.shape[0]} elements respectively")
    if a.dtype != b.dtype:
        from .arithmetic import _c_name

        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {_c_name(a.dtype).title()} "
                           f"and {_c_name(b.dtype).title()}")
    return a @ b


def cdist(x1: Any, x2: Any, p: float = 2.0, compute_mode: Any = None) -> Any:
    """Pairwise p-norm distances between the rows of x1 (..., P, M) and x2 (..., R, M): (..., P, R).
    The gradient at a zero distance is 0 (the norm's subgradient PyTorch picks)."""
    from .._tensor import Tensor

    for name, x in (("X1", x1), ("X2", x2)):
        if not isinstance(x, Tensor):
            raise TypeError(f"cdist(): argument '{name.lower()}' must be Tensor, not {type(x).__name__}")
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {x.ndim}D")
        if x.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: {x.dtype.name}")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values (got p={p})")
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)  # (..., P, R, M): the batch dims broadcast
    if diff.shape[-1] == 0:
        return diff.sum(-1)
    return diff.norm(p, -1)
