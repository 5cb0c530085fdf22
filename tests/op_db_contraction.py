"""Op-table rows for the contraction family: tensordot, inner, addr, addbmm, chain_matmul, matrix_power,
matrix_exp, vander, combinations and the in-place twins addmm_, addmv_, baddbmm_, addbmm_, addr_.

References are numpy's own (np.tensordot, np.inner, np.outer, np.linalg.matrix_power, np.vander) or written here:
matrix_exp's is a Taylor series summed to convergence after scaling by a power of two, independent of the Pade
approximant the op uses. vander has no torch oracle for gradients: torch 2.13's vander backward raises (its
cumprod reads a slice it has just written in place); tests/test_contraction_ops.py compares its values.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from op_db import Sample, _nc, _r, _t, op

import autograd_core as ag


def _lib(x):
    return ag if isinstance(x, ag.Tensor) else _t()


def _wc(rng: np.random.Generator, *shape: int) -> np.ndarray:
    """Well-conditioned square matrices: noise plus n on the diagonal (inverse powers stay tame)."""
    n = shape[-1]
    return rng.standard_normal(shape) + n * np.eye(n)


# ---------------------------------------------------------------------- tensordot, inner
def _np_tensordot(a, b, dims):
    return np.tensordot(a, b, axes=dims if isinstance(dims, int) else (list(dims[0]), list(dims[1])))


op("tensordot", op=lambda a, b, dims: ag.tensordot(a, b, dims), ref=_np_tensordot,
   torch=lambda a, b, dims: _t().tensordot(a, b, dims),
   samples=lambda rng: [Sample((_r(rng, 2, 3, 4), _r(rng, 3, 4, 5)), {"dims": 2}, name="int2"),
                        Sample((_r(rng, 2, 3), _r(rng, 3, 4)), {"dims": 1}, name="int1"),
                        Sample((_r(rng, 2, 3), _r(rng, 2)), {"dims": 0}, name="outer"),
                        Sample((_r(rng, 2, 3, 4), _r(rng, 4, 5, 2)), {"dims": ([0, 2], [2, 0])}, name="lists"),
                        Sample((_nc(_r(rng, 4, 3)), _r(rng, 4, 2)), {"dims": ([0], [0])}, name="noncontig"),
                        Sample((_r(rng), _r(rng, 3)), {"dims": 0}, name="0d")])
# a size-1 contracted dim pairs with any size: it is summed out of the other operand (PyTorch's rule, not numpy's)
op("tensordot_size1", op=lambda a, b: ag.tensordot(a, b, ([1], [0])),
   ref=lambda a, b: a.sum(1, keepdims=True) @ b if a.shape[1] != 1 else a @ b.sum(0, keepdims=True),
   torch=lambda a, b: _t().tensordot(a, b, ([1], [0])),
   samples=lambda rng: [Sample((_r(rng, 2, 1), _r(rng, 3, 4)), name="first_1"),
                        Sample((_r(rng, 2, 3), _r(rng, 1, 4)), name="second_1")])
op("inner", op=lambda a, b: a.inner(b), ref=np.inner, torch=lambda a, b: a.inner(b),
   samples=lambda rng: [Sample((_r(rng, 2, 3, 4), _r(rng, 5, 4)), name="nd"),
                        Sample((_r(rng, 4), _r(rng, 4)), name="vectors"),
                        Sample((_r(rng, 2, 3), _r(rng)), name="0d")])


# ---------------------------------------------------------------------- addr, addbmm and the in-place twins
op("addr", op=lambda c, a, b, beta, alpha: ag.addr(c, a, b, beta=beta, alpha=alpha),
   ref=lambda c, a, b, beta, alpha: beta * c + alpha * np.outer(a, b),
   torch=lambda c, a, b, beta, alpha: _t().addr(c, a, b, beta=beta, alpha=alpha),
   samples=lambda rng: [Sample((_r(rng, 2, 3), _r(rng, 2), _r(rng, 3)), {"beta": 1, "alpha": 1}, name="plain"),
                        Sample((_r(rng, 3), _r(rng, 2), _r(rng, 3)), {"beta": 0.5, "alpha": -2.0}, name="broadcast"),
                        Sample((_r(rng, 2, 1), _r(rng, 2), _r(rng, 3)), {"beta": 0, "alpha": 1.5}, name="beta0")])
op("addbmm", op=lambda c, a, b, beta, alpha: c.addbmm(a, b, beta=beta, alpha=alpha),
   ref=lambda c, a, b, beta, alpha: beta * c + alpha * np.einsum("bij,bjk->ik", a, b),
   torch=lambda c, a, b, beta, alpha: c.addbmm(a, b, beta=beta, alpha=alpha),
   samples=lambda rng: [Sample((_r(rng, 2, 5), _r(rng, 3, 2, 4), _r(rng, 3, 4, 5)), {"beta": 1, "alpha": 1},
                               name="plain"),
                        Sample((_r(rng, 5), _r(rng, 2, 2, 3), _r(rng, 2, 3, 5)), {"beta": 0.5, "alpha": 2.0},
                               name="broadcast_scaled"),
                        Sample((_r(rng, 2, 1), _r(rng, 1, 2, 3), _r(rng, 1, 3, 2)), {"beta": 0, "alpha": -1.0},
                               name="beta0")])


def _inplace_family(c, d, e, v, m1, m2, b1, b2):
    # each twin on a fresh non-leaf copy: the results are functions of every input
    return ((c * 1).addmm_(m1, m2, beta=0.5, alpha=2), (d * 1).addmv_(m1, v, alpha=-1),
            (e * 1).baddbmm_(b1, b2, beta=2), (c * 1).addbmm_(b1[:, :, :3], b2[:, :3, :2]),
            (c * 1).addr_(d, v[:2], beta=0.5))


def _np_inplace_family(c, d, e, v, m1, m2, b1, b2):
    return (0.5 * c + 2 * (m1 @ m2), d - m1 @ v, 2 * e + b1 @ b2,
            c + np.einsum("bij,bjk->ik", b1[:, :, :3], b2[:, :3, :2]), 0.5 * c + np.outer(d, v[:2]))


op("addmm_family_inplace", op=_inplace_family, ref=_np_inplace_family, torch=_inplace_family,
   samples=lambda rng: [Sample((_r(rng, 3, 2), _r(rng, 3), _r(rng, 2, 3, 2), _r(rng, 4), _r(rng, 3, 4),
                                _r(rng, 4, 2), _r(rng, 2, 3, 4), _r(rng, 2, 4, 2)))])


# ---------------------------------------------------------------------- chain_matmul, matrix_power, matrix_exp
def _chain(mod):
    import warnings

    def f(a, b, c):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # deprecated in PyTorch (and so here): it warns once
            return mod().chain_matmul(a, b, c), mod().chain_matmul(a)

    return f


op("chain_matmul", op=_chain(lambda: ag), ref=lambda a, b, c: (a @ b @ c, a), torch=_chain(_t),
   samples=lambda rng: [Sample((_r(rng, 2, 3), _r(rng, 3, 4), _r(rng, 4, 2)), name="three")])
op("matrix_power", op=lambda a, n: a.matrix_power(n), ref=lambda a, n: np.linalg.matrix_power(a, n),
   torch=lambda a, n: a.matrix_power(n),
   samples=lambda rng: [Sample((_wc(rng, 3, 3) / 3,), {"n": n}, name=f"n{n}") for n in (1, 2, 3, 5, 6, -1, -2, -3)]
   + [Sample((_wc(rng, 2, 3, 3) / 3,), {"n": 4}, name="batched"),
      Sample((_nc(_wc(rng, 3, 3) / 3),), {"n": 3}, name="noncontig")])
op("matrix_power_0", op=lambda a: ag.matrix_power(a, 0), ref=lambda a: np.broadcast_to(np.eye(a.shape[-1]), a.shape),
   torch=lambda a: _t().matrix_power(a, 0), samples=lambda rng: [Sample((_r(rng, 2, 3, 3),))])


def _np_expm(a: np.ndarray) -> np.ndarray:
    """exp(A) by a Taylor series after scaling A by 2^-s (norm <= 1/2), then squaring s times."""
    out = np.empty(a.shape)
    for idx in np.ndindex(*a.shape[:-2]):
        m = a[idx]
        s = max(0, math.ceil(math.log2(max(np.abs(m).sum(0).max(), 1e-300) / 0.5)))
        m = m / 2.0 ** s
        term = np.eye(m.shape[0])
        e = term.copy()
        for k in range(1, 40):
            term = term @ m / k
            e = e + term
        for _ in range(s):
            e = e @ e
        out[idx] = e
    return out


op("matrix_exp", op=lambda a: a.matrix_exp(), ref=_np_expm, torch=lambda a: a.matrix_exp(),
   samples=lambda rng: [Sample((_r(rng, 3, 3),), name="3x3"),
                        Sample((_r(rng, 2, 2, 2) * 0.3,), name="batched_small"),
                        Sample((_r(rng, 3, 3) * 2.5,), name="scaled"),
                        Sample((_nc(_r(rng, 3, 3)),), name="noncontig"),
                        Sample((_r(rng, 1, 1),), name="1x1")], covers=("MatrixExp",))


# ---------------------------------------------------------------------- vander, combinations
op("vander", op=lambda x, n, inc: ag.vander(x, n, inc), ref=lambda x, n, inc: np.vander(x, n, inc), torch=None,
   samples=lambda rng: [Sample((_r(rng, 4),), {"n": None, "inc": False}, name="square"),
                        Sample((_r(rng, 3),), {"n": 5, "inc": True}, name="wide_increasing"),
                        Sample((np.array([0.7, 0.0, -1.3]),), {"n": 4, "inc": False}, name="zero_in_x")])


def _np_combinations(x, r, rep):
    pick = itertools.combinations_with_replacement if rep else itertools.combinations
    return np.array(list(pick(x, r))).reshape(-1, r)


op("combinations", op=lambda x, r, rep: ag.combinations(x, r, rep), ref=_np_combinations,
   torch=lambda x, r, rep: _t().combinations(x, r, rep),
   samples=lambda rng: [Sample((_r(rng, 4),), {"r": 2, "rep": False}, name="pairs"),
                        Sample((_r(rng, 4),), {"r": 3, "rep": True}, name="with_replacement"),
                        Sample((_r(rng, 3),), {"r": 1, "rep": False}, name="r1")])
