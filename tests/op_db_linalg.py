"""Op-table rows of ``ag.linalg`` and the diagonal/einsum ops (registered into ``op_db.OPS``).

Factorisations are only unique up to a gauge (the sign of each eigen-/singular vector, of each
column of Q), and LAPACK builds may pick different signs, so their rows fix the sign the same way
for us, numpy and PyTorch (a piecewise-constant factor, which does not change the gradient).
Inputs that must be symmetric (positive-definite) are built inside the row from a free matrix, as
PyTorch's OpInfos do: finite differences then perturb a matrix that stays in the op's domain.
"""

from __future__ import annotations

import numpy as np
from op_db import Sample, _nc, _r, _t, op

import autograd_core as ag

LA = ag.linalg


def _wc(rng: np.random.Generator, *shape: int) -> np.ndarray:
    """Well-conditioned square matrices: noise plus n on the diagonal."""
    n = shape[-1]
    return rng.standard_normal(shape) + n * np.eye(n)


def _illc(rng: np.random.Generator, n: int, cond: float = 1e3) -> np.ndarray:
    """An ill-conditioned but valid matrix: singular values from 1 down to 1/cond."""
    u, _ = np.linalg.qr(rng.standard_normal((n, n)))
    v, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return (u * np.geomspace(1.0, 1.0 / cond, n)) @ v.T


def _square_samples(rng: np.random.Generator) -> list[Sample]:
    return [
        Sample((_wc(rng, 3, 3),), name="3x3"),
        Sample((_wc(rng, 2, 3, 3),), name="batched"),
        Sample((_nc(_wc(rng, 4, 4)),), name="noncontig"),
        Sample((_wc(rng, 1, 1),), name="1x1"),
        Sample((_illc(rng, 3),), name="ill_conditioned"),
    ]


def _spd(a):
    """A A^T + n I: symmetric positive-definite, for us, numpy and PyTorch alike."""
    n = a.shape[-1]
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n) if isinstance(a, np.ndarray) else a @ a.mT + n * _eye_like(a)


def _sym(a):
    return (a + np.swapaxes(a, -1, -2)) / 2 if isinstance(a, np.ndarray) else (a + a.mT) / 2


def _eye_like(a):
    n = a.shape[-1]
    if isinstance(a, ag.Tensor):
        return ag.eye(n, dtype=a.dtype)
    return _t().eye(n, dtype=a.dtype)


def _arr(x) -> np.ndarray:
    return x if isinstance(x, np.ndarray) else (x.data if isinstance(x, ag.Tensor) else x.detach().numpy())


def _const(x, s: np.ndarray):
    """``s`` as a constant of x's kind (array, our tensor or a torch tensor)."""
    if isinstance(x, (np.ndarray, ag.Tensor)):
        return s
    return _t().from_numpy(s)


def _col_signs(v) -> np.ndarray:
    """Sign of each column's largest-magnitude entry, shaped (..., 1, k)."""
    a = _arr(v)
    idx = np.argmax(np.abs(a), axis=-2)[..., None, :]
    return np.sign(np.take_along_axis(a, idx, axis=-2))


def _gauge_eigh(w, v):
    return w, v * _const(v, _col_signs(v))


def _gauge_qr(q, r):
    s = np.sign(np.diagonal(_arr(r), axis1=-2, axis2=-1))  # R with a positive diagonal
    return q * _const(q, s[..., None, :]), r * _const(r, s[..., :, None])


def _gauge_svd(u, s, vh):
    sg = _col_signs(u)
    return u * _const(u, sg), s, vh * _const(vh, np.swapaxes(sg, -1, -2))


# ---------------------------------------------------------------------- inverse, determinants, solves
op(
    "linalg.inv",
    op=LA.inv,
    ref=np.linalg.inv,
    torch=lambda a: _t().linalg.inv(a),
    samples=_square_samples,
    covers=("Inv",),
)
op(
    "linalg.det",
    op=LA.det,
    ref=np.linalg.det,
    torch=lambda a: _t().linalg.det(a),
    samples=_square_samples,
    covers=("Det",),
)
op(
    "linalg.slogdet",
    op=lambda a: LA.slogdet(a).logabsdet,
    ref=lambda a: np.linalg.slogdet(a)[1],
    torch=lambda a: _t().linalg.slogdet(a).logabsdet,
    samples=lambda rng: (
        _square_samples(rng) + [Sample((_wc(rng, 3, 3) * np.array([[-1.0], [1], [1]]),), name="negdet")]
    ),
    covers=("Slogdet",),
)
op(
    "linalg.logdet_spd",
    op=lambda a: LA.logdet(_spd(a)),
    ref=lambda a: np.linalg.slogdet(_spd(a))[1],
    torch=lambda a: _t().logdet(_spd(a)),
    samples=lambda rng: [Sample((_r(rng, 3, 3),)), Sample((_r(rng, 2, 4, 4),), name="batched")],
)
op(
    "linalg.solve",
    op=lambda a, b: LA.solve(a, b),
    ref=np.linalg.solve,
    torch=lambda a, b: _t().linalg.solve(a, b),
    samples=lambda rng: [
        Sample((_wc(rng, 3, 3), _r(rng, 3, 2)), name="matrix"),
        Sample((_wc(rng, 2, 3, 3), _r(rng, 3, 4)), name="broadcast_B"),
        Sample((_wc(rng, 3, 3), _r(rng, 2, 1, 3, 2)), name="broadcast_A"),
        Sample((_illc(rng, 3), _r(rng, 3, 1)), name="ill_conditioned"),
    ],
    covers=("Solve",),
)
op(
    "linalg.solve_vector",
    op=lambda a, b: LA.solve(a, b),
    ref=lambda a, b: np.linalg.solve(a, b[..., None])[..., 0],
    torch=lambda a, b: _t().linalg.solve(a, b),
    samples=lambda rng: [
        Sample((_wc(rng, 3, 3), _r(rng, 3)), name="1d"),
        Sample((_wc(rng, 2, 3, 3), _r(rng, 2, 3)), name="batch"),
    ],
)
op(
    "linalg.solve_right",
    op=lambda a, b: LA.solve(a, b, left=False),
    ref=lambda a, b: b @ np.linalg.inv(a),
    torch=lambda a, b: _t().linalg.solve(a, b, left=False),
    samples=lambda rng: [Sample((_wc(rng, 3, 3), _r(rng, 2, 3)))],
)


def _np_solve_tri(a, b, upper, left, unitriangular):
    t = np.triu(a) if upper else np.tril(a)
    if unitriangular:
        t = t - np.diag(np.diag(t)) + np.eye(a.shape[-1])
    return np.linalg.solve(t, b) if left else b @ np.linalg.inv(t)


op(
    "linalg.solve_triangular",
    op=lambda a, b, **kw: LA.solve_triangular(a, b, **kw),
    ref=_np_solve_tri,
    torch=lambda a, b, **kw: _t().linalg.solve_triangular(a, b, **kw),
    samples=lambda rng: [
        Sample(
            (_wc(rng, 3, 3), _r(rng, 3, 2) if left else _r(rng, 2, 3)),
            {"upper": up, "left": left, "unitriangular": unit},
            name=f"u{up:d}l{left:d}t{unit:d}",
        )
        for up in (True, False)
        for left in (True, False)
        for unit in (False, True)
    ],
    covers=("SolveTriangular",),
)
op(
    "linalg.cholesky",
    op=lambda a, upper: LA.cholesky(_spd(a), upper=upper),
    ref=lambda a, upper: (lambda c: np.swapaxes(c, -1, -2) if upper else c)(np.linalg.cholesky(_spd(a))),
    torch=lambda a, upper: _t().linalg.cholesky(_spd(a), upper=upper),
    samples=lambda rng: [
        Sample((_r(rng, 3, 3),), {"upper": False}, name="lower"),
        Sample((_r(rng, 2, 4, 4),), {"upper": True}, name="batched_upper"),
    ],
    covers=("Cholesky",),
)

# ---------------------------------------------------------------------- factorisations (gauge fixed)
op(
    "linalg.qr",
    op=lambda a: _gauge_qr(*LA.qr(a)),
    ref=lambda a: _gauge_qr(*np.linalg.qr(a)),
    torch=lambda a: _gauge_qr(*_t().linalg.qr(a)),
    samples=lambda rng: [
        Sample((_r(rng, 4, 3),), name="tall"),
        Sample((_r(rng, 3, 3),), name="square"),
        Sample((_r(rng, 3, 5),), name="wide"),
        Sample((_r(rng, 2, 4, 2),), name="batched"),
    ],
    covers=("QR",),
)
op(
    "linalg.eigh",
    op=lambda a: _gauge_eigh(*LA.eigh(_sym(a))),
    ref=lambda a: _gauge_eigh(*np.linalg.eigh(_sym(a))),
    torch=lambda a: _gauge_eigh(*_t().linalg.eigh(_sym(a))),
    samples=lambda rng: [Sample((_r(rng, 3, 3),)), Sample((_r(rng, 2, 4, 4),), name="batched")],
    covers=("Eigh",),
)
op(
    "linalg.eigvalsh",
    op=lambda a: LA.eigvalsh(_sym(a)),
    ref=lambda a: np.linalg.eigvalsh(_sym(a)),
    torch=lambda a: _t().linalg.eigvalsh(_sym(a)),
    samples=lambda rng: [Sample((_r(rng, 4, 4),))],
)
op(
    "linalg.svd",
    op=lambda a: _gauge_svd(*LA.svd(a, full_matrices=False)),
    ref=lambda a: _gauge_svd(*np.linalg.svd(a, full_matrices=False)),
    torch=lambda a: _gauge_svd(*_t().linalg.svd(a, full_matrices=False)),
    samples=lambda rng: [
        Sample((_r(rng, 4, 3),), name="tall"),
        Sample((_r(rng, 3, 3),), name="square"),
        Sample((_r(rng, 2, 5),), name="wide"),
        Sample((_r(rng, 2, 3, 2),), name="batched"),
    ],
    covers=("SVD",),
)
op(
    "linalg.svdvals",
    op=LA.svdvals,
    ref=lambda a: np.linalg.svd(a, compute_uv=False),
    torch=lambda a: _t().linalg.svdvals(a),
    samples=lambda rng: [Sample((_r(rng, 4, 3),)), Sample((_r(rng, 2, 2, 3),), name="batched")],
)


def _np_matrix_norm(a, p):
    s = np.linalg.svd(a, compute_uv=False)
    return {
        "fro": lambda: np.sqrt((a * a).sum((-2, -1))),
        "nuc": lambda: s.sum(-1),
        2: lambda: s.max(-1),
        -2: lambda: s.min(-1),
        1: lambda: np.abs(a).sum(-2).max(-1),
        -1: lambda: np.abs(a).sum(-2).min(-1),
        np.inf: lambda: np.abs(a).sum(-1).max(-1),
        -np.inf: lambda: np.abs(a).sum(-1).min(-1),
    }[p]()


op(
    "linalg.matrix_norm",
    op=lambda a, p: LA.matrix_norm(a, p),
    ref=_np_matrix_norm,
    torch=lambda a, p: _t().linalg.matrix_norm(a, p),
    samples=lambda rng: [
        Sample((_r(rng, 2, 4, 3),), {"p": o}, name=f"ord{o}") for o in ("fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf)
    ],
)
op(
    "linalg.norm_dims",
    op=lambda a, p, dim: LA.norm(a, p, dim, keepdim=True),
    ref=lambda a, p, dim: (
        np.sqrt((a * a).sum(dim, keepdims=True)) if p is None else np.linalg.norm(a, p, dim, keepdims=True)
    ),
    torch=lambda a, p, dim: _t().linalg.norm(a, p, dim, keepdim=True),
    samples=lambda rng: [
        Sample((_r(rng, 3, 4, 2),), {"p": None, "dim": (0, 2)}, name="fro_dims02"),
        Sample((_r(rng, 3, 4, 2),), {"p": "nuc", "dim": (2, 0)}, name="nuc_dims20"),
        Sample((_r(rng, 3, 4),), {"p": 3, "dim": 1}, name="vector_p3"),
    ],
)
op(
    "linalg.vector_norm",
    op=lambda a, p: LA.vector_norm(a, p),
    ref=lambda a, p: np.linalg.norm(a.ravel(), p),
    torch=lambda a, p: _t().linalg.vector_norm(a, p),
    samples=lambda rng: [Sample((_r(rng, 3, 4),), {"p": o}, name=f"ord{o}") for o in (2, 1, 4)],
)

# ---------------------------------------------------------------------- diagonals, products, einsum
op(
    "trace",
    op=lambda a: a.trace(),
    ref=np.trace,
    torch=lambda a: a.trace(),
    samples=lambda rng: [Sample((_r(rng, 3, 4),))],
)
op(
    "diagonal",
    op=lambda a, **kw: ag.diagonal(a, **kw),
    ref=lambda a, offset, dim1=0, dim2=1: np.diagonal(a, offset, dim1, dim2),
    torch=lambda a, **kw: _t().diagonal(a, **kw),
    samples=lambda rng: [
        Sample((_r(rng, 3, 4),), {"offset": 0}, name="main"),
        Sample((_r(rng, 3, 4),), {"offset": 1}, name="above"),
        Sample((_r(rng, 2, 3, 4),), {"offset": -1, "dim1": 2, "dim2": 0}, name="3d_below"),
    ],
    covers=("Diagonal",),
)
op(
    "diag",
    op=lambda a, k: ag.diag(a, k),
    ref=lambda a, k: np.diag(a, k),
    torch=lambda a, k: _t().diag(a, k),
    samples=lambda rng: [
        Sample((_r(rng, 3),), {"k": 0}, name="vec"),
        Sample((_r(rng, 3),), {"k": -2}, name="vec_below"),
        Sample((_r(rng, 3, 4),), {"k": 1}, name="mat_above"),
    ],
)
op(
    "diag_embed",
    op=lambda a, **kw: ag.diag_embed(a, **kw),
    ref=lambda a, offset=0, dim1=-2, dim2=-1: np.moveaxis(
        np.stack([np.diag(v, offset) for v in a.reshape(-1, a.shape[-1])]).reshape(
            a.shape[:-1] + (a.shape[-1] + abs(offset),) * 2
        ),
        (-2, -1),
        (dim1, dim2),
    ),
    torch=lambda a, **kw: _t().diag_embed(a, **kw),
    samples=lambda rng: [
        Sample((_r(rng, 2, 3),), {}, name="default"),
        Sample((_r(rng, 2, 3),), {"offset": 1, "dim1": 0, "dim2": 2}, name="dims"),
    ],
    covers=("DiagEmbed",),
)
op(
    "outer",
    op=ag.outer,
    ref=np.outer,
    torch=lambda a, b: _t().outer(a, b),
    samples=lambda rng: [Sample((_r(rng, 3), _r(rng, 4)))],
)

EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->ji", [(2, 3)]),
    ("i,j", [(3,), (4,)]),
    ("...ij,...jk", [(2, 1, 2, 3), (5, 3, 4)]),
    ("bii,bj->bj", [(2, 3, 3), (2, 4)]),
    ("ijk,k->i", [(2, 3, 4), (4,)]),
    ("ij,ij,ij->i", [(2, 3), (2, 3), (2, 3)]),
    ("i,i->", [(1,), (4,)]),
    ("iij->j", [(2, 2, 3)]),
]
op(
    "einsum",
    op=lambda *xs, eq: ag.einsum(eq, *xs),
    ref=lambda *xs, eq: np.einsum(eq, *xs),
    torch=lambda *xs, eq: _t().einsum(eq, *xs),
    samples=lambda rng: [
        Sample(
            tuple(_r(rng, *s) for s in shapes),
            {"eq": eq},
            name=eq.replace("->", "_to_").replace(",", "_").replace("...", "E"),
        )
        for eq, shapes in EINSUMS
    ],
    covers=("Einsum",),
)
