"""Derivation cards: the matrix-calculus identity behind each linalg backward, checked on a random input.

The course derives gradients such as d(x^T A x)/dx = (A + A^T) x or d|K|/dK = |K| K^-T by hand. A
card states one identity, computes its right-hand side with plain numpy, and ``check()`` compares it
with (1) the gradient this engine's backward produces and (2) a central finite difference of the
left-hand side along a random direction. Ops with matrix outputs are scalarised with a random
cotangent G: d<G, f(A)>/dA is then the vector-Jacobian product the backward implements.

    >>> import autograd_core as ag
    >>> print(ag.linalg.derivation("det").check())      # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import linalg as la
from ._creation import tensor
from ._engine import grad as _grad
from ._tensor import Tensor

Arrays = tuple[np.ndarray, ...]


@dataclass(frozen=True)
class CheckResult:
    name: str
    autograd_err: float  # max |engine gradient - formula| / max |formula|
    fd_err: float  # |<formula, D> - finite difference along D| / scale
    extra_err: float | None
    tol: float

    @property
    def ok(self) -> bool:
        errs = [self.autograd_err, self.fd_err] + ([self.extra_err] if self.extra_err is not None else [])
        return all(e <= self.tol for e in errs)

    def __str__(self) -> str:
        extra = f", side condition {self.extra_err:.1e}" if self.extra_err is not None else ""
        return (f"{self.name}: engine vs formula {self.autograd_err:.1e}, formula vs finite difference "
                f"{self.fd_err:.1e}{extra} -> {'OK' if self.ok else 'FAILED'} (tol {self.tol:.0e})")


@dataclass(frozen=True)
class Derivation:
    """One identity: ``statement`` is what the backward uses; ``source`` where the course derives it."""

    name: str
    statement: str
    inputs: Callable[[np.random.Generator], Arrays]  # random point (and constants) in the op's domain
    f: Callable[..., Tensor]  # scalar function of the inputs, written with autograd_core ops
    formula: Callable[..., Arrays]  # closed-form gradient, numpy only
    wrt: tuple[int, ...] = (0,)  # which inputs the formula differentiates
    symmetric: tuple[int, ...] = ()  # inputs restricted to symmetric matrices (perturbed symmetrically)
    source: str = ""
    extra: Callable[..., float] | None = field(default=None)  # a side condition, returns an error

    def check(self, seed: int = 0, tol: float = 1e-6) -> CheckResult:
        rng = np.random.default_rng(seed)
        xs = self.inputs(rng)
        ts = [tensor(x, requires_grad=i in self.wrt) for i, x in enumerate(xs)]
        engine = _grad(self.f(*ts), [ts[i] for i in self.wrt])
        want = self.formula(*xs)
        scale = max(float(np.max(np.abs(w))) for w in want) or 1.0
        ag_err = max(float(np.max(np.abs(e.data - w))) for e, w in zip(engine, want)) / scale
        # directional finite difference of the left-hand side
        dirs = []
        for i in self.wrt:
            d = rng.standard_normal(xs[i].shape)
            dirs.append((d + np.swapaxes(d, -1, -2)) / 2 if i in self.symmetric else d)
        eps = 1e-6

        def at(sign: float) -> float:
            moved = list(xs)
            for i, d in zip(self.wrt, dirs):
                moved[i] = xs[i] + sign * eps * d
            return float(self.f(*[tensor(m) for m in moved]).data)

        fd = (at(1.0) - at(-1.0)) / (2 * eps)
        lin = sum(float(np.sum(w * d)) for w, d in zip(want, dirs))
        fd_err = abs(fd - lin) / max(1.0, abs(lin))
        extra = self.extra(*xs) if self.extra is not None else None
        return CheckResult(self.name, ag_err, fd_err, extra, tol)

    def __str__(self) -> str:
        src = f"\n  course: {self.source}" if self.source else ""
        return f"{self.name}: {self.statement}{src}"


CARDS: dict[str, Derivation] = {}


def _card(*args: Any, **kwargs: Any) -> None:
    d = Derivation(*args, **kwargs)
    CARDS[d.name] = d


def derivation(name: str) -> Derivation:
    try:
        return CARDS[name]
    except KeyError:
        raise KeyError(f"derivation: no card named {name!r}; available: {sorted(CARDS)}") from None


# ---------------------------------------------------------------------- inputs


def _spd(rng: np.random.Generator, n: int = 4) -> np.ndarray:
    m = rng.standard_normal((n, n))
    return m @ m.T + n * np.eye(n)


def _wc(rng: np.random.Generator, n: int = 4) -> np.ndarray:
    return rng.standard_normal((n, n)) + n * np.eye(n)


def _sym(rng: np.random.Generator, n: int = 4) -> np.ndarray:
    m = rng.standard_normal((n, n))
    return (m + m.T) / 2


def _tri_l(n: int) -> np.ndarray:
    return np.tril(np.ones((n, n)))


def _inner(g: Any, y: Tensor) -> Tensor:
    return (y * tensor(g)).sum()


# ---------------------------------------------------------------------- the course's identities
_card("quadratic_form", "d(x^T A x)/dx = (A + A^T) x,   d(x^T A x)/dA = x x^T",
      lambda r: (r.standard_normal(4), r.standard_normal((4, 4))),
      lambda x, a: x @ (a @ x), lambda x, a: ((a + a.T) @ x, np.outer(x, x)), wrt=(0, 1),
      source="seed 001, vector/matrix derivatives")
_card("trace_product", "d tr(W A)/dW = A^T",
      lambda r: (r.standard_normal((3, 4)), r.standard_normal((4, 3))),
      lambda w, a: la.trace(w @ a), lambda w, a: (a.T,), source="seed 001, derivative of a trace")
_card("det", "d|K|/dK = |K| K^-T  (the cofactor matrix)", lambda r: (_wc(r),), lambda k: la.det(k),
      lambda k: (np.linalg.det(k) * np.linalg.inv(k).T,), source="seed 001, derivative of a determinant")
_card("inv", "d<G, K^-1>/dK = -K^-T G K^-T   (from dK^-1 = -K^-1 dK K^-1)",
      lambda r: (_wc(r), r.standard_normal((4, 4))), lambda k, g: _inner(g.data, la.inv(k)),
      lambda k, g: (-np.linalg.inv(k).T @ g @ np.linalg.inv(k).T,), source="seed 001, derivative of an inverse")
_card("logdet", "d log|K|/dK = K^-T  (K^-1 for symmetric K)", lambda r: (_spd(r),), lambda k: la.logdet(k),
      lambda k: (np.linalg.inv(k).T,), symmetric=(0,), source="seed 001 homework, log|K|")
_card("inv_quadratic", "d(y^T K^-1 y)/dK = -K^-T y y^T K^-T,   d(y^T K^-1 y)/dy = (K^-1 + K^-T) y",
      lambda r: (_wc(r), r.standard_normal(4)), lambda k, y: y @ la.solve(k, y),
      lambda k, y: (-np.linalg.inv(k).T @ np.outer(y, y) @ np.linalg.inv(k).T,
                    (np.linalg.inv(k) + np.linalg.inv(k).T) @ y), wrt=(0, 1),
      source="seed 001 homework, y^T K^-1 y")


def _normal_equation_residual(t: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    """Largest entry of the engine's gradient of ||X t - y||^2 at the normal-equation solution."""
    x_t, y_t = tensor(x), tensor(y)
    theta = la.solve(x_t.mT @ x_t, x_t.mT @ y_t).requires_grad_()
    (g,) = _grad(((x_t @ theta - y_t) ** 2).sum(), [theta])
    return float(np.max(np.abs(g.data))) / float(np.max(np.abs(2 * x.T @ y)))


_card("normal_equation", "d||X t - y||^2/dt = 2 X^T (X t - y), which vanishes at t = (X^T X)^-1 X^T y",
      lambda r: (r.standard_normal(3), r.standard_normal((8, 3)), r.standard_normal(8)),
      lambda t, x, y: ((x @ t - y) ** 2).sum(), lambda t, x, y: (2 * x.T @ (x @ t - y),),
      source="seed 001, least squares and the normal equation", extra=_normal_equation_residual)

# ---------------------------------------------------------------------- one card per linalg op
_card("slogdet", "d log|det A|/dA = A^-T  (any non-singular A; the sign is piecewise constant)",
      lambda r: (_wc(r) * np.array([[-1.0], [1], [1], [1]]),), lambda a: la.slogdet(a).logabsdet,
      lambda a: (np.linalg.inv(a).T,))
_card("solve", "X = A^-1 B:  d<G, X>/dB = A^-T G,   d<G, X>/dA = -A^-T G X^T",
      lambda r: (_wc(r), r.standard_normal((4, 2)), r.standard_normal((4, 2))),
      lambda a, b, g: _inner(g.data, la.solve(a, b)),
      lambda a, b, g: (-np.linalg.solve(a.T, g) @ np.linalg.solve(a, b).T, np.linalg.solve(a.T, g)), wrt=(0, 1))
_card("solve_triangular", "X = tril(A)^-1 B:  d<G, X>/dA = -tril(A^-T G X^T),   d<G, X>/dB = A^-T G",
      lambda r: (_wc(r), r.standard_normal((4, 2)), r.standard_normal((4, 2))),
      lambda a, b, g: _inner(g.data, la.solve_triangular(a, b, upper=False)),
      lambda a, b, g: (-np.tril(np.linalg.solve(np.tril(a).T, g) @ np.linalg.solve(np.tril(a), b).T),
                       np.linalg.solve(np.tril(a).T, g)), wrt=(0, 1))


def _chol_formula(a: np.ndarray, g: np.ndarray) -> Arrays:
    lo = np.linalg.cholesky(a)
    p = np.tril(lo.T @ g)
    phi = np.tril(p, -1) + np.diag(np.diag(p)) / 2
    s = np.linalg.solve(lo.T, np.linalg.solve(lo.T, phi.T).T)  # L^-T Phi L^-1
    return ((s + s.T) / 2,)


_card("cholesky", "A = L L^T:  d<G, L>/dA = sym(L^-T Phi(L^T G) L^-1),  Phi = lower triangle, halved diagonal",
      lambda r: (_spd(r), r.standard_normal((4, 4))), lambda a, g: _inner(g.data, la.cholesky(a)),
      _chol_formula, symmetric=(0,))


def _qr_formula(a: np.ndarray, gq: np.ndarray, gr: np.ndarray) -> Arrays:
    q, r = np.linalg.qr(a)
    m = r @ gr.T - gq.T @ q
    copyltu = np.tril(m) + np.tril(m, -1).T
    return (np.linalg.solve(r, (gq + q @ copyltu).T).T,)


_card("qr", "A = QR (m >= n):  gA = [gQ + Q copyltu(R gR^T - gQ^T Q)] R^-T,  copyltu(M) = tril(M) + tril(M, -1)^T",
      lambda r: (r.standard_normal((5, 3)), r.standard_normal((5, 3)), r.standard_normal((3, 3))),
      lambda a, gq, gr: _inner(gq.data, la.qr(a).Q) + _inner(gr.data, la.qr(a).R), _qr_formula)
_card("eigh", "d<g, eigenvalues(A)>/dA = V diag(g) V^T   (dw_i = v_i^T dA v_i)",
      lambda r: (_sym(r), r.standard_normal(4)), lambda a, g: _inner(g.data, la.eigvalsh(a)),
      lambda a, g: ((lambda w, v: (v * g) @ v.T)(*np.linalg.eigh(a)),), symmetric=(0,))


def _eigvec_formula(a: np.ndarray, gv: np.ndarray) -> Arrays:
    w, v = np.linalg.eigh(a)
    e = w[None, :] - w[:, None]
    np.fill_diagonal(e, 1.0)
    m = v.T @ gv
    return (v @ (((m - m.T) / 2) / e) @ v.T,)


_card("eigh_vectors", "d<G, V>/dA = V (skew(V^T G) / E) V^T,  E_ij = w_j - w_i  (distinct eigenvalues only)",
      lambda r: (_sym(r), r.standard_normal((4, 4))),
      lambda a, g: _inner(g.data * _col_sign(la.eigh(a).eigenvectors.data), la.eigh(a).eigenvectors),
      lambda a, g: _eigvec_formula(a, g * _col_sign(np.linalg.eigh(a)[1])), symmetric=(0,))


def _col_sign(v: np.ndarray) -> np.ndarray:
    """Eigenvectors are defined up to sign: fold the sign into the cotangent so <G, V> is gauge-free."""
    idx = np.argmax(np.abs(v), axis=0)
    return np.sign(v[idx, np.arange(v.shape[1])])[None, :]


_card("svd", "d<g, singular values(A)>/dA = U diag(g) V^T   (ds_i = u_i^T dA v_i)",
      lambda r: (r.standard_normal((5, 3)), r.standard_normal(3)), lambda a, g: _inner(g.data, la.svdvals(a)),
      lambda a, g: ((lambda u, s, vh: (u * g) @ vh)(*np.linalg.svd(a, full_matrices=False)),))
_card("nuclear_norm", "d||A||_*/dA = U V^T", lambda r: (r.standard_normal((4, 3)),),
      lambda a: la.matrix_norm(a, "nuc"), lambda a: ((lambda u, s, vh: u @ vh)(*np.linalg.svd(a, False)),))
_card("spectral_norm", "d||A||_2/dA = u_1 v_1^T", lambda r: (r.standard_normal((4, 3)),),
      lambda a: la.matrix_norm(a, 2), lambda a: ((lambda u, s, vh: np.outer(u[:, 0], vh[0]))(*np.linalg.svd(a)),))
_card("frobenius_norm", "d||A||_F/dA = A / ||A||_F", lambda r: (r.standard_normal((4, 3)),),
      lambda a: la.norm(a), lambda a: (a / np.linalg.norm(a),))
_card("trace", "d tr(A)/dA = I", lambda r: (r.standard_normal((4, 4)),), lambda a: la.trace(a),
      lambda a: (np.eye(4),))
_card("diagonal", "d<g, diag(A)>/dA = diag_embed(g)", lambda r: (r.standard_normal((4, 4)), r.standard_normal(4)),
      lambda a, g: _inner(g.data, la.diagonal(a)), lambda a, g: (np.diag(g),))
_card("outer", "d<G, x y^T>/dx = G y,   d<G, x y^T>/dy = G^T x",
      lambda r: (r.standard_normal(3), r.standard_normal(4), r.standard_normal((3, 4))),
      lambda x, y, g: _inner(g.data, la.outer(x, y)), lambda x, y, g: (g @ y, g.T @ x), wrt=(0, 1))
_card("einsum_matmul", "C = einsum('ij,jk->ik', A, B):  gA = einsum('ik,jk->ij', G, B) = G B^T,  gB = A^T G",
      lambda r: (r.standard_normal((3, 4)), r.standard_normal((4, 2)), r.standard_normal((3, 2))),
      lambda a, b, g: _inner(g.data, la.einsum("ij,jk->ik", a, b)), lambda a, b, g: (g @ b.T, a.T @ g), wrt=(0, 1))
_card("einsum_diagonal", "y = einsum('ii->i', A):  gA = einsum('i,ij->ij', g, I) (the gradient lives on the diagonal)",
      lambda r: (r.standard_normal((4, 4)), r.standard_normal(4)),
      lambda a, g: _inner(g.data, la.einsum("ii->i", a)), lambda a, g: (np.diag(g),))
