"""Op-table rows for the linalg_more family: the rest of torch.linalg (pinv, lstsq, LU, eig, the *_ex variants,
cond, tensorinv/tensorsolve, vander, cross, householder_product) and the top-level legacy names (torch.svd, qr,
lu, cholesky_solve, cholesky_inverse, triangular_solve, pinverse, ger, vdot).

Inputs are well conditioned (noise plus n on the diagonal) or built inside the row from a free matrix (symmetric,
triangular), as in op_db_linalg. eig's outputs are complex: rows compare |w|^2 and |v|^2 (real, and free of each
eigenvector's phase), the form PyTorch's own tests use. The LU reference is a plain per-matrix Doolittle
elimination with partial pivoting, written independently of the batched one in autograd_core.
"""

from __future__ import annotations

import numpy as np
from op_db import Sample, _nc, _r, _t, op
from op_db_linalg import _gauge_qr, _gauge_svd, _spd, _sym, _wc

import autograd_core as ag
from autograd_core.ops.linalg_more import RealPart

LA = ag.linalg


def _sq(z):
    """|z|^2 as a real tensor (ours through RealPart, torch's through .real)."""
    if isinstance(z, ag.Tensor):
        return RealPart.apply(z * z.conj())
    return (z * z.conj()).real


def _np_lu(a: np.ndarray) -> np.ndarray:
    """Packed LU (L - I + U) of each matrix by Doolittle elimination with partial pivoting (first largest |pivot|)."""
    out = np.array(a, dtype=np.float64, copy=True)
    flat = out.reshape((-1,) + a.shape[-2:])
    m, n = a.shape[-2:]
    for mat in flat:
        for j in range(min(m, n)):
            p = j + int(np.argmax(np.abs(mat[j:, j])))
            mat[[j, p]] = mat[[p, j]]
            for i in range(j + 1, m):
                mat[i, j] /= mat[j, j]
                mat[i, j + 1:] -= mat[i, j] * mat[j, j + 1:]
    return out


def _np_lu_lu(a: np.ndarray) -> tuple:
    packed = _np_lu(a)
    m, n = a.shape[-2:]
    k = min(m, n)
    return np.tril(packed, -1)[..., :, :k] + np.eye(m, k), np.triu(packed)[..., :k, :]


def _tril(a):
    return np.tril(a) if isinstance(a, np.ndarray) else a.tril()


def _triu(a):
    return np.triu(a) if isinstance(a, np.ndarray) else a.triu()


# ---------------------------------------------------------------------- pinv, lstsq, matrix_rank-free rows
op(
    "linalg.pinv",
    op=lambda a, **kw: LA.pinv(a, **kw),
    ref=lambda a, **kw: np.linalg.pinv(a, rcond=kw.get("rtol", 1e-15)),
    torch=lambda a, **kw: _t().linalg.pinv(a, **kw),
    samples=lambda rng: [
        Sample((_r(rng, 4, 3),), name="tall"),
        Sample((_r(rng, 2, 3, 5),), name="wide_batched"),
        Sample((_nc(_r(rng, 4, 4)),), {"rtol": 1e-3}, name="noncontig_rtol"),
    ],
    covers=("Pinv",),
)
op(
    "linalg.pinv_hermitian",
    op=lambda a: LA.pinv(_sym(a), hermitian=True),
    ref=lambda a: np.linalg.pinv(_sym(a), hermitian=True),
    torch=lambda a: _t().linalg.pinv(_sym(a), hermitian=True),
    samples=lambda rng: [Sample((_r(rng, 3, 3),)), Sample((_r(rng, 2, 4, 4),), name="batched")],
)
op(
    "pinverse",
    op=lambda a: ag.pinverse(a),
    ref=np.linalg.pinv,
    torch=lambda a: _t().pinverse(a),
    samples=lambda rng: [Sample((_r(rng, 3, 5),))],
)


def _np_lstsq(a, b, driver="gelsy"):
    x = np.linalg.pinv(a) @ b
    if driver == "gelsy":
        return x
    return x, ((a @ x - b) ** 2).sum(-2)


op(
    "linalg.lstsq",
    op=lambda a, b, driver="gelsy": (lambda r: r.solution if driver == "gelsy" else r[:2])(
        LA.lstsq(a, b, driver=driver)),
    ref=_np_lstsq,
    torch=lambda a, b, driver="gelsy": (lambda r: r.solution if driver == "gelsy" else r[:2])(
        _t().linalg.lstsq(a, b, driver=driver)),
    samples=lambda rng: [
        Sample((_r(rng, 5, 3), _r(rng, 5, 2)), name="tall_gelsy"),
        Sample((_r(rng, 5, 3), _r(rng, 5, 2)), {"driver": "gelsd"}, name="tall_gelsd_residuals"),
        Sample((_r(rng, 2, 5, 3), _r(rng, 1, 5, 2)), {"driver": "gels"}, name="batched_gels"),
        Sample((_r(rng, 3, 5), _r(rng, 3, 2)), name="wide_min_norm"),
    ],
)

# ---------------------------------------------------------------------- LU
op(
    "linalg.lu_factor",
    op=lambda a: LA.lu_factor(a).LU,
    ref=_np_lu,
    torch=lambda a: _t().linalg.lu_factor(a).LU,
    samples=lambda rng: [
        Sample((_r(rng, 3, 3),), name="square"),
        Sample((_r(rng, 4, 2),), name="tall"),
        Sample((_r(rng, 2, 5),), name="wide"),
        Sample((_nc(_r(rng, 2, 4, 4)),), name="batched_noncontig"),
    ],
    covers=("LUFactor",),
)
op(
    "linalg.lu",
    op=lambda a: LA.lu(a)[1:],
    ref=_np_lu_lu,
    torch=lambda a: _t().linalg.lu(a)[1:],
    samples=lambda rng: [Sample((_r(rng, 4, 3),), name="tall"), Sample((_r(rng, 2, 3, 4),), name="wide_batched")],
)
op(
    "lu_legacy",
    op=lambda a: ag.lu(a)[0],
    ref=_np_lu,
    torch=lambda a: _t().lu(a)[0],
    samples=lambda rng: [Sample((_wc(rng, 3, 3),))],
)


def _np_lu_solve(a, b, left, adjoint):
    m = np.swapaxes(a, -1, -2) if adjoint else a
    return np.linalg.solve(m, b) if left else np.swapaxes(np.linalg.solve(np.swapaxes(m, -1, -2),
                                                                          np.swapaxes(b, -1, -2)), -1, -2)


op(
    "linalg.lu_solve",
    op=lambda a, b, **kw: LA.lu_solve(*LA.lu_factor(a), b, **kw),
    ref=_np_lu_solve,
    torch=lambda a, b, **kw: _t().linalg.lu_solve(*_t().linalg.lu_factor(a), b, **kw),
    samples=lambda rng: [
        Sample((_wc(rng, 2, 3, 3), _r(rng, 3, 2) if left else _r(rng, 2, 3)), {"left": left, "adjoint": adj},
               name=f"left{left:d}_adj{adj:d}")
        for left in (True, False) for adj in (False, True)
    ],
)
op(
    "lu_solve_legacy",
    op=lambda b, a: ag.lu_solve(b, *ag.lu(a)),
    ref=lambda b, a: np.linalg.solve(a, b),
    torch=lambda b, a: _t().lu_solve(b, *_t().lu(a)),
    samples=lambda rng: [Sample((_r(rng, 3, 2), _wc(rng, 3, 3)))],
)
op(
    "lu_unpack",
    op=lambda a: ag.lu_unpack(*LA.lu_factor(a))[1:],
    ref=_np_lu_lu,
    torch=lambda a: _t().lu_unpack(*_t().linalg.lu_factor(a))[1:],
    samples=lambda rng: [Sample((_r(rng, 4, 3),))],
)

# ---------------------------------------------------------------------- eig (complex outputs, compared as |.|^2)
op(
    "linalg.eig",
    op=lambda a: tuple(_sq(z) for z in LA.eig(a)),
    ref=lambda a: tuple(np.abs(z) ** 2 for z in np.linalg.eig(a)),
    torch=lambda a: tuple(_sq(z) for z in _t().linalg.eig(a)),
    samples=lambda rng: [Sample((_r(rng, 3, 3),)), Sample((_r(rng, 2, 4, 4),), name="batched")],
    covers=("Eig", "RealPart"),
)
op(
    "linalg.eigvals",
    op=lambda a: _sq(LA.eigvals(a)),
    ref=lambda a: np.abs(np.linalg.eigvals(a)) ** 2,
    torch=lambda a: _sq(_t().linalg.eigvals(a)),
    samples=lambda rng: [Sample((_r(rng, 4, 4),))],
)

# ---------------------------------------------------------------------- the *_ex variants (non-failing inputs)
op(
    "linalg.inv_ex",
    op=lambda a: LA.inv_ex(a).inverse,
    ref=np.linalg.inv,
    torch=lambda a: _t().linalg.inv_ex(a).inverse,
    samples=lambda rng: [Sample((_wc(rng, 2, 3, 3),))],
)
op(
    "linalg.solve_ex",
    op=lambda a, b: LA.solve_ex(a, b).result,
    ref=np.linalg.solve,
    torch=lambda a, b: _t().linalg.solve_ex(a, b).result,
    samples=lambda rng: [Sample((_wc(rng, 3, 3), _r(rng, 3, 2)))],
)
op(
    "linalg.cholesky_ex",
    op=lambda a, upper: LA.cholesky_ex(_spd(a), upper=upper).L,
    ref=lambda a, upper: (lambda c: np.swapaxes(c, -1, -2) if upper else c)(np.linalg.cholesky(_spd(a))),
    torch=lambda a, upper: _t().linalg.cholesky_ex(_spd(a), upper=upper).L,
    samples=lambda rng: [Sample((_r(rng, 3, 3),), {"upper": False}), Sample((_r(rng, 3, 3),), {"upper": True},
                                                                          name="upper")],
)

# ---------------------------------------------------------------------- cond, tensorinv, tensorsolve


def _np_cond(a, p=None):
    return np.linalg.cond(a, p)


op(
    "linalg.cond",
    op=lambda a, p=None: LA.cond(a, p),
    ref=_np_cond,
    torch=lambda a, p=None: _t().linalg.cond(a, p),
    samples=lambda rng: [
        Sample((_r(rng, 2, 4, 3),), name="svd_ratio"),
        Sample((_wc(rng, 3, 3),), {"p": -2}, name="minus2"),
        Sample((_wc(rng, 3, 3),), {"p": "nuc"}, name="nuc"),
    ],
)
op(
    # torch 2.13's backward of these orders raises (it modifies linalg.inv_ex's output in place): no torch oracle
    "linalg.cond_inverse_norms",
    op=lambda a, p: LA.cond(a, p),
    ref=_np_cond,
    torch=None,
    samples=lambda rng: [Sample((_wc(rng, 3, 3),), {"p": p}, name=f"p{p}") for p in ("fro", 1, -1, np.inf, -np.inf)],
)
op(
    "linalg.tensorinv",
    op=lambda a: LA.tensorinv(a.reshape(2, 3, 6), 2),
    ref=lambda a: np.linalg.tensorinv(a.reshape(2, 3, 6), 2),
    torch=lambda a: _t().linalg.tensorinv(a.reshape(2, 3, 6), 2),
    samples=lambda rng: [Sample((_wc(rng, 6, 6),))],
)
op(
    "linalg.tensorsolve",
    op=lambda a, b, dims=None: LA.tensorsolve(a, b, dims),
    ref=lambda a, b, dims=None: np.linalg.tensorsolve(a, b, dims),
    torch=lambda a, b, dims=None: _t().linalg.tensorsolve(a, b, dims),
    samples=lambda rng: [
        Sample((_wc(rng, 6, 6).reshape(2, 3, 6), _r(rng, 2, 3)), name="plain"),
        Sample((_wc(rng, 6, 6).reshape(6, 2, 3), _r(rng, 2, 3)), {"dims": (0,)}, name="dims"),
    ],
)

# ---------------------------------------------------------------------- vander, cross, householder_product
op(
    "linalg.vander",
    op=lambda x, N=None: LA.vander(x, N=N),
    ref=lambda x, N=None: np.vander(x.reshape(-1), N, increasing=True).reshape(x.shape + (N or x.shape[-1],)),
    torch=lambda x, N=None: _t().linalg.vander(x, N=N),
    samples=lambda rng: [Sample((_r(rng, 3),), name="square"), Sample((_r(rng, 2, 3),), {"N": 4}, name="batched_N4")],
)
op(
    "linalg.cross",
    op=lambda a, b, dim=-1: LA.cross(a, b, dim=dim),
    ref=lambda a, b, dim=-1: np.cross(a, b, axis=dim),
    torch=lambda a, b, dim=-1: _t().linalg.cross(a, b, dim=dim),
    samples=lambda rng: [
        Sample((_r(rng, 2, 3), _r(rng, 1, 3)), name="broadcast"),
        Sample((_r(rng, 3, 2), _r(rng, 3, 2)), {"dim": 0}, name="dim0"),
    ],
)


def _np_householder(a, tau):
    m, n = a.shape[-2:]
    q = np.eye(m)
    for i in range(tau.shape[-1]):
        v = np.concatenate([np.zeros(i), [1.0], a[i + 1:, i]])
        q = q @ (np.eye(m) - tau[i] * np.outer(v, v))
    return q[:, :n]


op(
    "linalg.householder_product",
    op=lambda a, tau: LA.householder_product(a, tau),
    ref=_np_householder,
    torch=lambda a, tau: _t().linalg.householder_product(a, tau),
    samples=lambda rng: [Sample((_r(rng, 4, 3), _r(rng, 2)), name="k2"), Sample((_r(rng, 3, 3), _r(rng, 3)),
                                                                                 name="square")],
)
op(
    "linalg.matrix_power_exp",
    op=lambda a: (LA.matrix_power(a, -2), LA.matrix_exp(a * 0.3)),
    ref=lambda a: (np.linalg.matrix_power(np.linalg.inv(a), 2), _np_expm(a * 0.3)),
    torch=lambda a: (_t().linalg.matrix_power(a, -2), _t().linalg.matrix_exp(a * 0.3)),
    samples=lambda rng: [Sample((_wc(rng, 3, 3),))],
)


def _np_expm(a):
    out, term = np.eye(a.shape[-1]), np.eye(a.shape[-1])
    for k in range(1, 40):
        term = term @ a / k
        out = out + term
    return out


# ---------------------------------------------------------------------- top-level legacy names
op(
    "svd_legacy",
    op=lambda a, some=True: (lambda u, s, v: _gauge_svd(u, s, v.mT))(*ag.svd(a, some=some)),
    ref=lambda a, some=True: _gauge_svd(*np.linalg.svd(a, full_matrices=False)),
    torch=lambda a, some=True: (lambda u, s, v: _gauge_svd(u, s, v.mT))(*_t().svd(a, some=some)),
    samples=lambda rng: [Sample((_r(rng, 4, 3),), name="tall"), Sample((_r(rng, 2, 3, 3),), {"some": False},
                                                                       name="square_full")],
)
op(
    "svd_legacy_values",
    op=lambda a: ag.svd(a, compute_uv=False).S,
    ref=lambda a: np.linalg.svd(a, compute_uv=False),
    torch=lambda a: _t().svd(a, compute_uv=False).S,
    samples=lambda rng: [Sample((_r(rng, 3, 5),))],
)
op(
    "qr_legacy",
    op=lambda a: _gauge_qr(*ag.qr(a)),
    ref=lambda a: _gauge_qr(*np.linalg.qr(a)),
    torch=lambda a: _gauge_qr(*_t().qr(a)),
    samples=lambda rng: [Sample((_r(rng, 4, 3),))],
)


def _np_chol_solve(b, a, upper=False):
    t = np.triu(a) if upper else np.tril(a)
    m = np.swapaxes(t, -1, -2) @ t if upper else t @ np.swapaxes(t, -1, -2)
    return np.linalg.solve(m, b)


op(
    # the factor is a free matrix's triangle (PyTorch's gradient formula is for a triangular input)
    "cholesky_solve",
    op=lambda b, a, upper=False: ag.cholesky_solve(b, _triu(a) if upper else _tril(a), upper),
    ref=_np_chol_solve,
    torch=lambda b, a, upper=False: _t().cholesky_solve(b, _triu(a) if upper else _tril(a), upper),
    samples=lambda rng: [
        Sample((_r(rng, 3, 2), _wc(rng, 3, 3)), name="lower"),
        Sample((_r(rng, 2, 3, 1), _wc(rng, 3, 3)), {"upper": True}, name="upper_broadcast"),
    ],
    covers=("CholeskySolve",),
)
op(
    "cholesky_inverse",
    op=lambda a, upper=False: ag.cholesky_inverse(_triu(a) if upper else _tril(a), upper),
    ref=lambda a, upper=False: _np_chol_solve(np.eye(a.shape[-1]), a, upper),
    torch=lambda a, upper=False: _t().cholesky_inverse(_triu(a) if upper else _tril(a), upper),
    samples=lambda rng: [Sample((_wc(rng, 3, 3),), name="lower"), Sample((_wc(rng, 3, 3),), {"upper": True},
                                                                         name="upper")],
)


def _np_tri_solve(b, a, upper=True, transpose=False, unitriangular=False):
    t = np.triu(a) if upper else np.tril(a)
    if unitriangular:
        t = t - np.diag(np.diag(t)) + np.eye(a.shape[-1])
    if transpose:
        t = t.T
    return np.linalg.solve(t, b), np.broadcast_to(a, b.shape[:-2] + a.shape)


op(
    "triangular_solve",
    op=lambda b, a, **kw: tuple(ag.triangular_solve(b, a, **kw)),
    ref=_np_tri_solve,
    torch=lambda b, a, **kw: tuple(_t().triangular_solve(b, a, **kw)),
    samples=lambda rng: [
        Sample((_r(rng, 2, 3, 2), _wc(rng, 3, 3)), {"upper": up, "transpose": tr, "unitriangular": un},
               name=f"u{up:d}t{tr:d}n{un:d}")
        for up, tr, un in ((True, False, False), (False, True, False), (True, True, True))
    ],
)
op(
    "ger",
    op=lambda a, b: ag.ger(a, b),
    ref=np.outer,
    torch=lambda a, b: _t().ger(a, b),
    samples=lambda rng: [Sample((_r(rng, 3), _r(rng, 4)))],
)
op(
    "vdot",
    op=lambda a, b: a.vdot(b),
    ref=np.vdot,
    torch=lambda a, b: a.vdot(b),
    samples=lambda rng: [Sample((_r(rng, 4), _r(rng, 4)))],
)
op(
    "mH_adjoint",
    op=lambda a: (a.mH * 1, a.adjoint() * 2),
    ref=lambda a: (np.swapaxes(a, -1, -2), 2 * np.swapaxes(a, -1, -2)),
    torch=lambda a: (a.mH * 1, a.adjoint() * 2),
    samples=lambda rng: [Sample((_r(rng, 2, 3, 4),))],
)
