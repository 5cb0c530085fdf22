"""More matrix functions' primitives (``ag.linalg``): LU, pseudo-inverse, eig, cholesky_solve.

Each backward is written once with recorded ops (matmul, the triangular solves of ops/linalg.py, masks), so
gradients of gradients work. The public wrappers (argument checks, PyTorch's result tuples) are in
``autograd_core/linalg.py`` (torch.linalg names) and ``autograd_core/_linalg_toplevel.py`` (torch.svd, torch.lu,
...). Identities:

* LU (A = P L U, L unit lower m x k, U upper k x n, k = min(m, n)): dA -> L^-1 P^T dA U^-1 = L^-1 dL + dU U^-1
  splits into its strict lower and upper triangles, so for square A
  gA = P L^-T [tril_-1(L^T gL) + triu(gU U^T)] U^-T; the wide and tall cases fold the extra block of U or L in.
* pinv (P = A^+, constant rank): dP = -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P, whose adjoint is
  gA = -P^T G P^T + (I - A P) G^T P P^T + P^T P G^T (I - P A).
* eig (A = V diag(w) V^-1, unit-norm columns; PyTorch's convention for complex outputs):
  gA = V^-H [diag(gw) + (V^H gV - V^H V diag(Re diag(V^H gV))) / conj(E)] V^H, E_ij = w_j - w_i; the real part for
  a real A. The loss must not depend on each eigenvector's phase (Im diag(V^H gV) = 0), as PyTorch checks.
* cholesky_solve (X = (L L^T)^-1 B): gB = (L L^T)^-1 G, gL = -(gB X^T + X gB^T) L (PyTorch's formula, which treats
  L as a full matrix although the forward reads only its triangle).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._function import Function
from .._xp import define
from .linalg import _eye, solve_triangular

# ---------------------------------------------------------------------- LU on arrays


def lu_array(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Partial-pivoting LU of a batch (LAPACK getrf's conventions): the packed LU, 1-based int32 pivots (row i
    was swapped with row pivots[i] - 1, in order) and info (int32: the first exactly zero pivot, 1-based; 0 if none)."""
    m, n = a.shape[-2:]
    k = min(m, n)
    lu = np.array(a, dtype=a.dtype, copy=True).reshape((-1, m, n))
    b = lu.shape[0]
    piv = np.zeros((b, k), dtype=np.int32)
    info = np.zeros(b, dtype=np.int32)
    rows = np.arange(b)
    with np.errstate(invalid="ignore", over="ignore"):
        for j in range(k):
            p = np.argmax(np.abs(lu[:, j:, j]), axis=1) + j  # the first largest |entry| (LAPACK's idamax)
            piv[:, j] = p + 1
            top = lu[rows, j].copy()
            lu[rows, j] = lu[rows, p]
            lu[rows, p] = top
            pivot = lu[:, j, j]
            zero = pivot == 0
            info[(info == 0) & zero] = j + 1
            recip = np.where(zero, 0, 1 / np.where(zero, 1, pivot))  # getrf scales by the reciprocal
            scaled = lu[:, j + 1:, j] * recip[:, None]
            lu[:, j + 1:, j] = np.where(zero[:, None], lu[:, j + 1:, j], scaled)
            lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j:j + 1] * lu[:, j:j + 1, j + 1:]
    bs = a.shape[:-2]
    return lu.reshape(a.shape), piv.reshape(bs + (k,)), info.reshape(bs)


def perm_matrix(piv: np.ndarray, m: int, dtype: Any) -> np.ndarray:
    """P with A = P L U from getrf's pivots (..., k): the row swaps applied in order to the identity."""
    flat = piv.reshape((-1, piv.shape[-1])).astype(np.int64) - 1
    perm = np.tile(np.arange(m), (flat.shape[0], 1))
    rows = np.arange(flat.shape[0])
    for j in range(flat.shape[1]):
        p = flat[:, j]
        top = perm[rows, j].copy()
        perm[rows, j] = perm[rows, p]
        perm[rows, p] = top
    # (P^T A)[i] = A[perm[i]]: P[perm[i], i] = 1
    out = np.zeros((flat.shape[0], m, m), dtype=dtype)
    out[rows[:, None], perm, np.arange(m)[None, :]] = 1
    return out.reshape(piv.shape[:-1] + (m, m))


def lu_solve_array(lu: np.ndarray, piv: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A^-1 B from a (possibly singular) packed LU: substitution with IEEE inf/nan where a pivot is zero
    (what LAPACK's getrs gives; solve_ex and inv_ex report such elements in ``info``)."""
    n = lu.shape[-1]
    p = perm_matrix(piv, n, lu.dtype)
    x = np.swapaxes(p, -1, -2) @ b
    x = np.array(np.broadcast_to(x, np.broadcast_shapes(x.shape, lu.shape[:-2] + x.shape[-2:])), copy=True)
    lu = np.broadcast_to(lu, x.shape[:-2] + (n, n))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for i in range(1, n):  # L y = P^T B (unit diagonal)
            x[..., i, :] -= np.einsum("...j,...jk->...k", lu[..., i, :i], x[..., :i, :])
        for i in range(n - 1, -1, -1):  # U x = y
            x[..., i, :] -= np.einsum("...j,...jk->...k", lu[..., i, i + 1:], x[..., i + 1:, :])
            x[..., i, :] /= lu[..., i, i:i + 1]
    return x


def cholesky_partial(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower Cholesky factor and info (the order of the first leading minor that is not positive-definite) of a
    batch, continuing past failures as LAPACK's unblocked potf2 leaves them: the failing column's diagonal holds
    the non-positive pivot, the columns after it A's values (lower triangle)."""
    n = a.shape[-1]
    flat = np.tril(np.array(a, copy=True).reshape((-1, n, n)))
    info = np.zeros(flat.shape[0], dtype=np.int32)
    for bi in range(flat.shape[0]):
        m = flat[bi]
        for j in range(n):
            d = m[j, j] - m[j, :j] @ m[j, :j]
            if not d > 0:
                m[j, j] = d
                info[bi] = j + 1
                break
            m[j, j] = np.sqrt(d)
            m[j + 1:, j] = (m[j + 1:, j] - m[j + 1:, :j] @ m[j, :j]) / m[j, j]
    return flat.reshape(a.shape), info.reshape(a.shape[:-2])


# ---------------------------------------------------------------------- LU factorisation


def _tril1(x: Any) -> Any:
    """The strict lower triangle of each (rectangular) matrix."""
    return x * _tril_mask_rect(x.shape[-2], x.shape[-1], -1, x.dtype)


def _triu0(x: Any) -> Any:
    return x * (1 - _tril_mask_rect(x.shape[-2], x.shape[-1], -1, x.dtype))


def _tril_mask_rect(m: int, n: int, k: int, dtype: Any) -> np.ndarray:
    return np.tril(np.ones((m, n), dtype=dtype), k)


def lu_backward(xp: Any, p: np.ndarray, lo: Any, up: Any, gl: Any, gu: Any) -> Any:
    """gA for A = P L U (L: m x k unit lower, U: k x n upper) from the cotangents of L and U (see the module doc)."""
    m, n = lo.shape[-2], up.shape[-1]
    mt = xp.mT
    if m == n:
        phi = _tril1(mt(lo) @ gl) + _triu0(gu @ mt(up))
        x = solve_triangular(xp, mt(lo), phi, upper=True, left=True, unitriangular=True)
        return p @ solve_triangular(xp, mt(up), x, upper=False, left=False)
    if m < n:  # U = [U1 | U2]: U2 = L^-1 P^T A2 also depends on L
        u1, u2 = up[..., :, :m], up[..., :, m:]
        gu1, gu2 = gu[..., :, :m], gu[..., :, m:]
        phi = _tril1(mt(lo) @ gl - gu2 @ mt(u2)) + _triu0(gu1 @ mt(u1))
        right = xp.cat([solve_triangular(xp, mt(u1), phi, upper=False, left=False), gu2], -1)
        return p @ solve_triangular(xp, mt(lo), right, upper=True, left=True, unitriangular=True)
    # m > n: L = [L1; L2]: L2 = (P^T A)_2 U^-1 also depends on U
    l1, l2 = lo[..., :n, :], lo[..., n:, :]
    gl1, gl2 = gl[..., :n, :], gl[..., n:, :]
    phi = _tril1(mt(l1) @ gl1) + _triu0(gu @ mt(up) - mt(l2) @ gl2)
    left = xp.cat([solve_triangular(xp, mt(l1), phi, upper=True, left=True, unitriangular=True), gl2], -2)
    return p @ solve_triangular(xp, mt(up), left, upper=False, left=False)


class LUFactor(Function):
    """LU = L - I + U packed, A = P L U (partial pivoting; the factorisation is computed by the caller);
    gA = P L^-T [tril_-1(L^T gL) + triu(gU U^T)] U^-T with gL = tril_-1(gLU), gU = triu(gLU) (square; wide and tall
    fold in the rest of U or L)"""

    saves_output = True

    def forward(self, a, lu, piv):
        self.piv = piv
        return lu

    def backward(self, g):
        xp = self.xp
        lu = self.saved_output()
        m, n = lu.shape[-2:]
        k = min(m, n)
        p = perm_matrix(self.piv, m, g.dtype)
        lo = _tril1(lu)[..., :, :k] + _eye(m, g.dtype)[:, :k]
        up = _triu0(lu)[..., :k, :]
        return lu_backward(xp, p, lo, up, _tril1(g)[..., :, :k], _triu0(g)[..., :k, :])


# ---------------------------------------------------------------------- pseudo-inverse


def pinv_array(a: np.ndarray, atol: np.ndarray, rtol: np.ndarray, hermitian: bool) -> np.ndarray:
    """A^+ with singular values (|eigenvalues| when hermitian) at or below max(atol, rtol * largest) dropped."""
    m, n = a.shape[-2:]
    if a.size == 0:
        return np.zeros(a.shape[:-2] + (n, m), dtype=a.dtype)
    if hermitian:
        w, v = np.linalg.eigh(a)
        s = np.abs(w)
        u, vh = v, np.swapaxes(v, -1, -2)
    else:
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        w = s
    tol = np.maximum(atol, rtol * s.max(-1))[..., None]
    with np.errstate(divide="ignore"):
        inv = np.where(s > tol, 1 / np.where(s > tol, w, 1), 0).astype(a.dtype)
    return (np.swapaxes(vh, -1, -2) * inv[..., None, :]) @ np.swapaxes(u, -1, -2)


def pinv_backward(xp: Any, g: Any, p: Any, a: Any) -> Any:
    """gA of P = A^+ (constant rank): -P^T G P^T + (I - A P) G^T P P^T + P^T P G^T (I - P A)."""
    mt = xp.mT
    pt, gt = mt(p), mt(g)
    t2 = gt @ (p @ pt)
    t2 = t2 - a @ (p @ t2)
    t3 = (pt @ p) @ gt
    t3 = t3 - (t3 @ p) @ a
    return -(pt @ g @ pt) + t2 + t3


class Pinv(Function):
    """P = A^+ (thresholded SVD, or eigh when hermitian);
    gA = -P^T G P^T + (I - A P) G^T P P^T + P^T P G^T (I - P A)   (valid while the rank is constant)"""

    saves_inputs = True
    saves_output = True

    def forward(self, a, atol, rtol, hermitian):
        self.hermitian = hermitian
        return pinv_array(a, atol, rtol, hermitian)

    def backward(self, g):
        (a,) = self.saved()
        return pinv_backward(self.xp, g, self.saved_output(), a)

    def attrs(self):
        return {"hermitian": True} if self.hermitian else {}


# ---------------------------------------------------------------------- eig (complex outputs)


class RealPart(Function):
    """y = Re(z);  gz = g (as a complex number: PyTorch's convention for real-valued functions of z)"""

    holomorphic = False

    def forward(self, z):
        self.src = z.dtype
        return np.real(z).copy() if z.dtype.kind == "c" else z.copy()

    def backward(self, g):
        return self.xp.cast(g, self.src)


define("real_part", lambda z: np.real(z), lambda z: RealPart.apply(z))


def _complex_of(dt: np.dtype) -> np.dtype:
    return np.dtype(np.complex64) if dt in (np.float32, np.complex64) else np.dtype(np.complex128)


def _mdiag(x: Any) -> Any:
    """The diagonal of each matrix (..., n) through shared methods (a masked row sum)."""
    return (x * _eye(x.shape[-1], np.float64).astype(x.dtype)).sum(axis=-1)


class Eig(Function):
    """(w, V) with A V = V diag(w), complex, unit-norm columns;
    gA = V^-H [diag(gw) + (V^H gV - V^H V diag(Re diag(V^H gV))) / conj(E)] V^H,  E_ij = w_j - w_i (real part for a
    real A; PyTorch's convention for complex outputs, written here directly)"""

    saves_output = True
    holomorphic = False

    def forward(self, a):
        self.real_input = a.dtype.kind != "c"
        cdt = _complex_of(a.dtype)
        w, v = np.linalg.eig(a)
        return w.astype(cdt), v.astype(cdt)

    def backward(self, gw, gv):
        xp = self.xp
        w, v = self.saved_outputs()
        n = w.shape[-1]
        eye = _eye(n, w.dtype)
        vh = xp.mT(v).conj()
        inner = xp.unsqueeze(gw, -1) * eye
        if not _gv_zero(xp, gv):
            vhgv = vh @ gv
            d = _mdiag(vhgv)
            if np.any(np.abs(np.imag(xp.value(d))) > 1e-6 * (1 + np.abs(xp.value(d)))):
                raise RuntimeError(
                    "linalg_eig_backward: The eigenvectors in the complex case are specified up to multiplication by "
                    "e^{i phi}. The specified loss function depends on this quantity, so it is ill-defined. Fix: use a "
                    "function of the eigenvectors that each column's phase does not change (e.g. abs())"
                )
            re_d = xp.cast(xp.real_part(d), w.dtype)
            off = vhgv - vh @ (v * xp.unsqueeze(re_d, -2))
            e = xp.unsqueeze(w, -2) - xp.unsqueeze(w, -1) + eye  # w_j - w_i, 1 on the diagonal (masked below)
            inner = inner + off / e.conj() * (1 - eye)
        ga = xp.apply(_solve_cls(), vh, inner @ vh)
        return xp.real_part(ga) if self.real_input else ga


def _gv_zero(xp: Any, g: Any) -> bool:
    return not getattr(g, "requires_grad", False) and not np.any(xp.value(g))


def _solve_cls() -> type:
    from .linalg import Solve

    return Solve


# ---------------------------------------------------------------------- cholesky_solve


class CholeskySolve(Function):
    """X = (L L^T)^-1 B (U^T U with upper=True), reading L's triangle;
    gB = (L L^T)^-1 G,  gL = -(gB X^T + X gB^T) L  (gU = -U (gB X^T + X gB^T)), PyTorch's full-matrix formula"""

    saves_inputs = True
    saves_output = True

    def forward(self, b, lo, upper):
        self.upper = upper
        t = np.triu(lo) if upper else np.tril(lo)
        tt = np.swapaxes(t, -1, -2)
        first, second = (tt, t) if upper else (t, tt)  # A = first @ second
        try:
            return np.linalg.solve(second, np.linalg.solve(first, b))
        except np.linalg.LinAlgError:
            from .linalg import singular_error

            raise singular_error("cholesky_solve", t, "a Cholesky factor has a positive diagonal: pass "
                                                      "linalg.cholesky(A)") from None

    def saved_needed(self):
        return False, True

    def backward(self, g):
        xp = self.xp
        lo = self.saved()[1]
        x = self.saved_output()
        gb = xp.apply(CholeskySolve, g, lo, upper=self.upper)
        gl = None
        if self.needs_input_grad(1):
            common = gb @ xp.mT(x)
            common = common + xp.mT(common)
            gl = -(lo @ common) if self.upper else -(common @ lo)
        return gb, gl

    def attrs(self):
        return {"upper": True} if self.upper else {}

