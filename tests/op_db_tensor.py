"""Op-table rows for reductions, scans, sorting, scatter/index, shape and comparison ops.

Every row's numpy reference is written independently of the op (loops or numpy's own function); index
arguments are int64 constants in the sample's kwargs (the torch twin turns them into tensors). Selection
ops (sort, topk, median, ...) draw distinct values (``_uniq``): at a tie the gradient is not defined.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from op_db import COVERED_ELSEWHERE, Sample, _away, _nc, _r, _t, _uniq, op  # noqa: F401

import autograd_core as ag


def _T(a: Any) -> Any:
    """An int/bool constant as a torch tensor (the kwargs hold numpy arrays)."""
    return _t().tensor(a) if isinstance(a, np.ndarray) else a


def _A(a: Any) -> Any:
    return ag.tensor(a) if isinstance(a, np.ndarray) else a


# ---------------------------------------------------------------------- the matmul family
op("mm", op=lambda a, b: ag.mm(a, b), ref=np.matmul, torch=lambda a, b: _t().mm(a, b),
   samples=lambda rng: [Sample((_r(rng, 3, 4), _r(rng, 4, 2)), name="2d"),
                        Sample((_nc(_r(rng, 4, 3)).T, _r(rng, 4, 5)), name="noncontig"),
                        Sample((_r(rng, 3, 0), _r(rng, 0, 2)), name="empty_inner")])
op("bmm", op=lambda a, b: a.bmm(b), ref=np.matmul, torch=lambda a, b: a.bmm(b),
   samples=lambda rng: [Sample((_r(rng, 2, 3, 4), _r(rng, 2, 4, 2)), name="3d")])
op("mv", op=lambda a, v: ag.mv(a, v), ref=np.matmul, torch=lambda a, v: _t().mv(a, v),
   samples=lambda rng: [Sample((_r(rng, 3, 4), _r(rng, 4)), name="2d")])
op("dot", op=lambda a, b: a.dot(b), ref=np.dot, torch=lambda a, b: a.dot(b),
   samples=lambda rng: [Sample((_r(rng, 5), _r(rng, 5)), name="1d")])
op("addmm", op=lambda c, a, b, beta, alpha: ag.addmm(c, a, b, beta=beta, alpha=alpha),
   ref=lambda c, a, b, beta, alpha: beta * c + alpha * (a @ b),
   torch=lambda c, a, b, beta, alpha: _t().addmm(c, a, b, beta=beta, alpha=alpha),
   samples=lambda rng: [Sample((_r(rng, 3, 2), _r(rng, 3, 4), _r(rng, 4, 2)), {"beta": 1, "alpha": 1}, name="plain"),
                        Sample((_r(rng, 2), _r(rng, 3, 4), _r(rng, 4, 2)), {"beta": 0.5, "alpha": -2.0},
                               name="broadcast_scaled"),
                        Sample((_r(rng, 3, 1), _r(rng, 3, 4), _r(rng, 4, 2)), {"beta": 0, "alpha": 1.5},
                               name="beta0")])
op("baddbmm", op=lambda c, a, b: c.baddbmm(a, b, beta=0.5, alpha=2.0), ref=lambda c, a, b: 0.5 * c + 2.0 * (a @ b),
   torch=lambda c, a, b: c.baddbmm(a, b, beta=0.5, alpha=2.0),
   samples=lambda rng: [Sample((_r(rng, 3, 2), _r(rng, 2, 3, 4), _r(rng, 2, 4, 2)), name="broadcast_input")])
op("addmv", op=lambda c, a, v: ag.addmv(c, a, v, alpha=3), ref=lambda c, a, v: c + 3 * (a @ v),
   torch=lambda c, a, v: _t().addmv(c, a, v, alpha=3),
   samples=lambda rng: [Sample((_r(rng, 3), _r(rng, 3, 4), _r(rng, 4)), name="plain")])


def _np_cdist(a: np.ndarray, b: np.ndarray, p: float) -> np.ndarray:
    d = np.abs(a[..., :, None, :] - b[..., None, :, :])
    if p == np.inf:
        return d.max(-1)
    return (d ** p).sum(-1) ** (1 / p)


op("cdist", op=lambda a, b, p: ag.cdist(a, b, p), ref=_np_cdist, torch=lambda a, b, p: _t().cdist(a, b, p),
   samples=lambda rng: [Sample((_r(rng, 3, 2), _r(rng, 4, 2)), {"p": p}, name=f"p{p}") for p in (2.0, 1.0, 3.0)]
   + [Sample((_r(rng, 2, 3, 2), _r(rng, 4, 2)), {"p": 2.0}, name="batch_broadcast"),
      Sample((_uniq(rng, 3, 2), _uniq(rng, 2, 2)), {"p": np.inf}, name="pinf")])


# ---------------------------------------------------------------------- layout
op("view_as", op=lambda a, s: a.view_as(ag.zeros(s)), ref=lambda a, s: a.reshape(s),
   torch=lambda a, s: a.view_as(_t().zeros(s)), samples=lambda rng: [Sample((_r(rng, 3, 4),), {"s": (2, 6)})])
op("reshape_as", op=lambda a, s: a.reshape_as(ag.zeros(s)), ref=lambda a, s: a.reshape(s),
   torch=lambda a, s: a.reshape_as(_t().zeros(s)),
   samples=lambda rng: [Sample((_nc(_r(rng, 4, 3)).T,), {"s": (6, 2)}, name="noncontig")])
op("narrow", op=lambda a, d, s, n: a.narrow(d, s, n), ref=lambda a, d, s, n: np.take(a, range(s % a.shape[d],
                                                                                            s % a.shape[d] + n), d),
   torch=lambda a, d, s, n: a.narrow(d, s, n),
   samples=lambda rng: [Sample((_r(rng, 3, 5),), {"d": 1, "s": 1, "n": 3}, name="d1"),
                        Sample((_r(rng, 3, 5),), {"d": 0, "s": -2, "n": 2}, name="negative_start")])
op("tril", op=lambda a, k: a.tril(k), ref=np.tril, torch=lambda a, k: a.tril(k),
   samples=lambda rng: [Sample((_r(rng, 3, 4),), {"k": k}, name=f"k{k}") for k in (0, 1, -2)]
   + [Sample((_r(rng, 2, 3, 3),), {"k": 0}, name="batched")], covers=("TriMask",))
op("triu", op=lambda a, k: ag.triu(a, k), ref=np.triu, torch=lambda a, k: _t().triu(a, k),
   samples=lambda rng: [Sample((_r(rng, 4, 3),), {"k": k}, name=f"k{k}") for k in (0, -1, 2)])
op("tril_inplace", op=lambda a: (a * 1).tril_(-1), ref=lambda a: np.tril(a, -1), torch=lambda a: (a * 1).tril_(-1),
   samples=lambda rng: [Sample((_r(rng, 3, 3),))])
op("roll", op=lambda a, s, d: a.roll(s, d), ref=lambda a, s, d: np.roll(a, s, d), torch=lambda a, s, d: a.roll(s, d),
   samples=lambda rng: [Sample((_r(rng, 3, 4),), {"s": 2, "d": None}, name="flat"),
                        Sample((_r(rng, 2, 3, 4),), {"s": (1, -5), "d": (0, 2)}, name="two_dims")],
   covers=("Roll",))


def _np_unfold(a: np.ndarray, d: int, n: int, s: int) -> np.ndarray:
    d %= a.ndim  # (the windows add a last axis)
    w = np.lib.stride_tricks.sliding_window_view(a, n, axis=d)
    return np.take(w, range(0, w.shape[d], s), axis=d)


op("unfold", op=lambda a, d, n, s: a.unfold(d, n, s), ref=_np_unfold, torch=lambda a, d, n, s: a.unfold(d, n, s),
   samples=lambda rng: [Sample((_r(rng, 3, 5),), {"d": 1, "n": 2, "s": 1}, name="overlapping"),
                        Sample((_r(rng, 5, 2, 3),), {"d": 0, "n": 2, "s": 2}, name="strided"),
                        Sample((_r(rng, 2, 6),), {"d": -1, "n": 3, "s": 3}, name="tiling")], covers=("Unfold",))
op("repeat_interleave", op=lambda a, r, d: a.repeat_interleave(_A(r), d),
   ref=lambda a, r, d: np.repeat(a, r, d), torch=lambda a, r, d: a.repeat_interleave(_T(r), d),
   samples=lambda rng: [Sample((_r(rng, 3, 2),), {"r": 2, "d": None}, name="flat"),
                        Sample((_r(rng, 3, 2),), {"r": np.array([1, 0, 3]), "d": 0}, name="counts")])
op("tile", op=lambda a, r: a.tile(r), ref=lambda a, r: np.tile(a, r), torch=lambda a, r: a.tile(r),
   samples=lambda rng: [Sample((_r(rng, 2, 3),), {"r": (2,)}, name="short"),
                        Sample((_r(rng, 2, 3),), {"r": (2, 1, 2)}, name="lead")])
op("movedim", op=lambda a, s, d: ag.movedim(a, s, d), ref=lambda a, s, d: np.moveaxis(a, s, d),
   torch=lambda a, s, d: _t().movedim(a, s, d),
   samples=lambda rng: [Sample((_r(rng, 2, 3, 4),), {"s": (0, 1), "d": (2, 0)}, name="two"),
                        Sample((_r(rng, 2, 3, 4),), {"s": -1, "d": 0}, name="one")])
op("swapaxes", op=lambda a: a.swapaxes(0, 2), ref=lambda a: np.swapaxes(a, 0, 2), torch=lambda a: a.swapaxes(0, 2),
   samples=lambda rng: [Sample((_r(rng, 2, 3, 4),))])
op("stacks", op=lambda a, b: (ag.hstack([a, b]), ag.vstack([a, b]), ag.dstack([a, b]), ag.column_stack([a, b])),
   ref=lambda a, b: (np.hstack([a, b]), np.vstack([a, b]), np.dstack([a, b]), np.column_stack([a, b])),
   torch=lambda a, b: (_t().hstack([a, b]), _t().vstack([a, b]), _t().dstack([a, b]), _t().column_stack([a, b])),
   samples=lambda rng: [Sample((_r(rng, 3), _r(rng, 3)), name="1d"), Sample((_r(rng, 2, 3), _r(rng, 2, 3)), name="2d")])
op("tensor_split", op=lambda a, s, d: ag.tensor_split(a, s, d),
   ref=lambda a, s, d: tuple(np.array_split(a, s, d) if isinstance(s, int) else np.split(a, s, d)),
   torch=lambda a, s, d: _t().tensor_split(a, s, d),
   samples=lambda rng: [Sample((_r(rng, 3, 7),), {"s": 3, "d": 1}, name="sections"),
                        Sample((_r(rng, 7, 2),), {"s": [1, 5], "d": 0}, name="indices")], covers=("TensorSplit",))
op("tensor_split_overlapping", op=lambda a: ag.tensor_split(a, [4, 1, 9], 1),
   ref=lambda a: (a[:, :4], a[:, 4:1], a[:, 1:9], a[:, 9:]), torch=lambda a: _t().tensor_split(a, [4, 1, 9], 1),
   samples=lambda rng: [Sample((_r(rng, 2, 6),))])
op("unflatten", op=lambda a: a.unflatten(1, (2, -1)), ref=lambda a: a.reshape(3, 2, 3),
   torch=lambda a: a.unflatten(1, (2, -1)), samples=lambda rng: [Sample((_r(rng, 3, 6),))])
op("rot90", op=lambda a, k, d: a.rot90(k, d), ref=lambda a, k, d: np.rot90(a, k, d),
   torch=lambda a, k, d: a.rot90(k, d),
   samples=lambda rng: [Sample((_r(rng, 2, 3, 4),), {"k": k, "d": d}, name=f"k{k}")
                        for k, d in ((1, (0, 1)), (2, (1, 2)), (-1, (2, 0)), (4, (0, 1)))])
op("diagflat", op=lambda a, k: ag.diagflat(a, k), ref=np.diagflat, torch=lambda a, k: _t().diagflat(a, k),
   samples=lambda rng: [Sample((_r(rng, 2, 2),), {"k": 1}, name="2d_offset"), Sample((_r(rng, 3),), {"k": 0})])


def _np_block_diag(*ms: np.ndarray) -> np.ndarray:
    ms = [np.atleast_2d(m) for m in ms]
    out = np.zeros((sum(m.shape[0] for m in ms), sum(m.shape[1] for m in ms)))
    r = c = 0
    for m in ms:
        out[r:r + m.shape[0], c:c + m.shape[1]] = m
        r, c = r + m.shape[0], c + m.shape[1]
    return out


op("block_diag", op=lambda a, b, c: ag.block_diag(a, b, c), ref=_np_block_diag,
   torch=lambda a, b, c: _t().block_diag(a, b, c),
   samples=lambda rng: [Sample((_r(rng), _r(rng, 3), _r(rng, 2, 2)), name="0d_1d_2d")])
op("cross", op=lambda a, b, d: ag.cross(a, b, dim=d),
   ref=lambda a, b, d: np.cross(a, b, axis=d if d is not None else 0),
   torch=lambda a, b, d: _t().cross(a, b, dim=d) if d is not None else _t().linalg.cross(a, b, dim=0),
   samples=lambda rng: [Sample((_r(rng, 4, 3), _r(rng, 4, 3)), {"d": 1}, name="rows"),
                        Sample((_r(rng, 3, 2), _r(rng, 3, 1)), {"d": None}, name="first_size3_broadcast")])
op("diff", op=lambda a, p, n, d: ag.diff(a, n, d, prepend=p), ref=lambda a, p, n, d: np.diff(a, n, d, prepend=p),
   torch=lambda a, p, n, d: _t().diff(a, n, d, prepend=p),
   samples=lambda rng: [Sample((_r(rng, 3, 5), _r(rng, 3, 1)), {"n": 1, "d": -1}, name="prepend"),
                        Sample((_r(rng, 4, 2), _r(rng, 2, 2)), {"n": 2, "d": 0}, name="second_order")])
op("kron", op=lambda a, b: ag.kron(a, b), ref=np.kron, torch=lambda a, b: _t().kron(a, b),
   samples=lambda rng: [Sample((_r(rng, 2, 3), _r(rng, 2, 2)), name="2d"), Sample((_r(rng, 3), _r(rng, 2, 2)),
                                                                               name="rank_mismatch")])
op("meshgrid", op=lambda a, b, ix: ag.meshgrid(a, b, indexing=ix),
   ref=lambda a, b, ix: tuple(np.meshgrid(a, b, indexing=ix)), torch=lambda a, b, ix: _t().meshgrid(a, b, indexing=ix),
   samples=lambda rng: [Sample((_r(rng, 3), _r(rng, 2)), {"ix": ix}, name=ix) for ix in ("ij", "xy")])
op("cartesian_prod", op=lambda a, b: ag.cartesian_prod(a, b),
   ref=lambda a, b: np.array(list(itertools.product(a, b))), torch=lambda a, b: _t().cartesian_prod(a, b),
   samples=lambda rng: [Sample((_r(rng, 3), _r(rng, 2)))])
op("broadcast_tensors", op=lambda a, b: ag.broadcast_tensors(a, b), ref=lambda a, b: tuple(np.broadcast_arrays(a, b)),
   torch=lambda a, b: _t().broadcast_tensors(a, b), samples=lambda rng: [Sample((_r(rng, 3, 1), _r(rng, 4)))])
op("atleast_nd", op=lambda a, b: (ag.atleast_1d(a), ag.atleast_2d(a), ag.atleast_3d(b)),
   ref=lambda a, b: (np.atleast_1d(a), np.atleast_2d(a), np.atleast_3d(b)),
   torch=lambda a, b: (_t().atleast_1d(a), _t().atleast_2d(a), _t().atleast_3d(b)),
   samples=lambda rng: [Sample((_r(rng), _r(rng, 3)), name="0d_1d"), Sample((_r(rng), _r(rng, 2, 3)), name="0d_2d")])
op("sum_to_size", op=lambda a, s: a.sum_to_size(*s),
   ref=lambda a, s: a.sum(axis=0) if s == (3,) else a.sum(1, keepdims=True),
   torch=lambda a, s: a.sum_to_size(*s),
   samples=lambda rng: [Sample((_r(rng, 2, 3),), {"s": (3,)}, name="lead"),
                        Sample((_r(rng, 2, 3),), {"s": (2, 1)}, name="keep")])
op("select_ravel_flips", op=lambda a: (a.select(1, -1), a.ravel(), ag.fliplr(a), a.flipud()),
   ref=lambda a: (a[:, -1], a.reshape(-1), a[:, ::-1], a[::-1]),
   torch=lambda a: (a.select(1, -1), a.ravel(), _t().fliplr(a), a.flipud()),
   samples=lambda rng: [Sample((_nc(_r(rng, 4, 3)).T,), name="noncontig")])


# ---------------------------------------------------------------------- scans and reductions
op("cumprod", op=lambda a, d: a.cumprod(d), ref=lambda a, d: np.cumprod(a, d), torch=lambda a, d: a.cumprod(d),
   samples=lambda rng: [Sample((_away(rng, 3, 4),), {"d": d}, name=f"d{d}") for d in (0, 1, -1)]
   + [Sample((np.array([[1.5, 0.0, -2.0, 0.7], [0.0, 0.0, 1.2, 2.0], [0.5, 1.1, 0.9, 0.0]]),), {"d": 1},
             name="zeros"),
      Sample((np.array([[0.0, 1.5], [2.0, 0.0], [0.0, -1.0]]),), {"d": 0}, name="zeros_dim0")],
   covers=("CumProd",))


op("cummax", op=lambda a, d: a.cummax(d).values, ref=lambda a, d: np.maximum.accumulate(a, axis=d),
   torch=lambda a, d: a.cummax(d).values,
   samples=lambda rng: [Sample((_uniq(rng, 3, 5),), {"d": d}, name=f"d{d}") for d in (0, -1)])
op("cummin", op=lambda a, d: ag.cummin(a, d).values, ref=lambda a, d: np.minimum.accumulate(a, axis=d),
   torch=lambda a, d: _t().cummin(a, d).values, samples=lambda rng: [Sample((_uniq(rng, 4, 3),), {"d": 1})])
op("logcumsumexp", op=lambda a, d: a.logcumsumexp(d), ref=lambda a, d: np.logaddexp.accumulate(a, axis=d),
   torch=lambda a, d: a.logcumsumexp(d),
   samples=lambda rng: [Sample((3 * _r(rng, 3, 4),), {"d": d}, name=f"d{d}") for d in (0, 1)]
   + [Sample((np.array([[-30.0, 0.5, 40.0, 1.0]]),), {"d": 1}, name="wide_range")], covers=("LogCumSumExp",))
op("std_var_mean", op=lambda a, d, c: (*ag.std_mean(a, d, correction=c), *ag.var_mean(a, d, correction=c)),
   ref=lambda a, d, c: (np.std(a, axis=d, ddof=c), np.mean(a, axis=d), np.var(a, axis=d, ddof=c), np.mean(a, axis=d)),
   torch=lambda a, d, c: (*_t().std_mean(a, d, correction=c), *_t().var_mean(a, d, correction=c)),
   samples=lambda rng: [Sample((_r(rng, 3, 4),), {"d": d, "c": c}, name=f"d{d}c{c}")
                        for d, c in ((None, 1), (1, 0), ((0, 1), 1))])


def _with_nans(rng: np.random.Generator, *shape: int) -> np.ndarray:
    a = _r(rng, *shape)
    a.reshape(-1)[:: 3] = np.nan
    return a


op("nansum_nanmean", op=lambda a, d: (ag.nansum(a, d), a.nanmean(d)),
   ref=lambda a, d: (np.nansum(a, axis=d), np.nanmean(a, axis=d)),
   torch=lambda a, d: (_t().nansum(a, d), a.nanmean(d)),
   samples=lambda rng: [Sample((_with_nans(rng, 3, 4),), {"d": d}, name=f"d{d}") for d in (None, 1)])


# ---------------------------------------------------------------------- sorting and selection
op("sort", op=lambda a, d, desc: a.sort(d, desc).values, ref=lambda a, d, desc: a.copy() if a.ndim == 0 else (
    np.flip(np.sort(a, d), d) if desc else np.sort(a, d)), torch=lambda a, d, desc: a.sort(d, desc).values,
   samples=lambda rng: [Sample((_uniq(rng, 3, 4),), {"d": d, "desc": desc}, name=f"d{d}_desc{desc}")
                        for d, desc in ((-1, False), (0, True))] + [Sample((_uniq(rng),), {"d": 0, "desc": False},
                                                                           name="0d")])
op("msort", op=lambda a: ag.msort(a), ref=lambda a: np.sort(a, 0), torch=lambda a: _t().msort(a),
   samples=lambda rng: [Sample((_uniq(rng, 4, 3),))])
op("topk", op=lambda a, k, d, lg: a.topk(k, d, lg).values,
   ref=lambda a, k, d, lg: np.take(np.flip(np.sort(a, d), d) if lg else np.sort(a, d), range(k), d),
   torch=lambda a, k, d, lg: a.topk(k, d, lg).values,
   samples=lambda rng: [Sample((_uniq(rng, 3, 5),), {"k": k, "d": d, "lg": lg}, name=f"k{k}d{d}{lg}")
                        for k, d, lg in ((2, -1, True), (1, 0, False), (0, 1, True))])
op("kthvalue", op=lambda a, k, d, kd: a.kthvalue(k, d, kd).values,
   ref=lambda a, k, d, kd: np.take(np.sort(a, d), [k - 1] if kd else k - 1, d),
   torch=lambda a, k, d, kd: a.kthvalue(k, d, kd).values,
   samples=lambda rng: [Sample((_uniq(rng, 3, 5),), {"k": 2, "d": -1, "kd": False}, name="last"),
                        Sample((_uniq(rng, 4, 2),), {"k": 4, "d": 0, "kd": True}, name="keepdim")])
op("median_all", op=lambda a: a.median(), ref=lambda a: np.sort(a.reshape(-1))[(a.size - 1) // 2],
   torch=lambda a: a.median(),
   samples=lambda rng: [Sample((_uniq(rng, 3, 4),), name="even"), Sample((_uniq(rng, 5),), name="odd")],
   covers=("Median",))
# at a two-way tie central differences see the shared gradient (1/2 each); the second derivative jumps there
op("median_all_tie", op=lambda a: a.median(), ref=lambda a: np.sort(a.reshape(-1))[(a.size - 1) // 2],
   torch=lambda a: a.median(), samples=lambda rng: [Sample((np.array([1.0, 2.0, 2.0, 3.0]),))], gradgrad=False)
op("median_dim", op=lambda a, d, kd: ag.median(a, d, kd).values,
   ref=lambda a, d, kd: np.take(np.sort(a, d), [(a.shape[d] - 1) // 2] if kd else (a.shape[d] - 1) // 2, d),
   torch=lambda a, d, kd: _t().median(a, d, kd).values,
   samples=lambda rng: [Sample((_uniq(rng, 3, 4),), {"d": 1, "kd": False}, name="even"),
                        Sample((_uniq(rng, 3, 4),), {"d": 0, "kd": True}, name="odd_keepdim")])


def _np_mode(a: np.ndarray, d: int) -> np.ndarray:
    m = np.moveaxis(a, d, -1)
    out = np.empty(m.shape[:-1])
    for i in np.ndindex(*m.shape[:-1]):
        vals, counts = np.unique(m[i], return_counts=True)
        out[i] = vals[np.argmax(counts)]
    return out


# distinct values: the mode is then the smallest (a repeated mode's gradient has no finite-difference check;
# tests/test_tensor_ops.py compares that case's values, indices and gradient with torch)
op("mode", op=lambda a, d: a.mode(d).values, ref=_np_mode, torch=lambda a, d: a.mode(d).values,
   samples=lambda rng: [Sample((_uniq(rng, 3, 5),), {"d": d}, name=f"d{d}") for d in (1, 0)])


# ---------------------------------------------------------------------- scatter, index and masked ops
def _np_scatter(x: np.ndarray, d: int, idx: np.ndarray, src: Any) -> np.ndarray:
    out = x.copy()
    for i in np.ndindex(*idx.shape):
        j = list(i)
        j[d] = idx[i]
        out[tuple(j)] = src[i] if isinstance(src, np.ndarray) else src
    return out


def _perm_index(rng: np.random.Generator, n: int, shape: tuple, d: int) -> np.ndarray:
    """An index of ``shape`` whose entries along d are distinct (no two writes to one position)."""
    out = np.empty(shape, dtype=np.int64)
    moved = np.moveaxis(out, d, -1)
    for i in np.ndindex(*moved.shape[:-1]):
        moved[i] = rng.permutation(n)[: moved.shape[-1]]
    return out


op("scatter", op=lambda x, s, d, i: x.scatter(d, ag.tensor(i), s), ref=lambda x, s, d, i: _np_scatter(x, d, i, s),
   torch=lambda x, s, d, i: x.scatter(d, _T(i), s),
   samples=lambda rng: [Sample((_r(rng, 3, 4), _r(rng, 2, 4)), {"d": 0, "i": _perm_index(rng, 3, (2, 4), 0)},
                               name="d0"),
                        Sample((_r(rng, 3, 5), _r(rng, 3, 2)), {"d": 1, "i": _perm_index(rng, 5, (3, 2), 1)},
                               name="d1"),
                        Sample((_r(rng, 4, 3), _r(rng, 2, 2)), {"d": 0, "i": _perm_index(rng, 4, (2, 2), 0)},
                               name="index_smaller_than_self")],
   covers=("Scatter", "ScatterValue"))
op("scatter_value", op=lambda x, d, i, v: ag.scatter(x, d, ag.tensor(i), v),
   ref=lambda x, d, i, v: _np_scatter(x, d, i, v), torch=lambda x, d, i, v: _t().scatter(x, d, _T(i), v),
   samples=lambda rng: [Sample((_r(rng, 3, 4),), {"d": 1, "i": np.array([[1], [0], [3]]), "v": 1.5},
                               name="one_hot_style"),
                        Sample((_r(rng, 3, 4),), {"d": 0, "i": np.array([[0, 2, 2, 1]]), "v": -2.0}, name="d0")])
op("scatter_add", op=lambda x, s, d, i: x.scatter_add(d, ag.tensor(i), s),
   ref=lambda x, s, d, i: _np_scatter_reduce(x, d, i, s, "sum", True),
   torch=lambda x, s, d, i: x.scatter_add(d, _T(i), s),
   samples=lambda rng: [Sample((_r(rng, 3, 4), _r(rng, 2, 4)), {"d": 0, "i": rng.integers(0, 3, (2, 4))},
                               name="repeats"),
                        Sample((_r(rng, 2, 5), _r(rng, 2, 3)), {"d": 1, "i": rng.integers(0, 5, (2, 3))}, name="d1")])


def _np_scatter_reduce(x: np.ndarray, d: int, idx: np.ndarray, src: np.ndarray, red: str, inc: bool) -> np.ndarray:
    groups: dict = {}
    for i in np.ndindex(*idx.shape):
        j = list(i)
        j[d] = idx[i]
        groups.setdefault(tuple(j), []).append(src[i])
    out = x.copy()
    for j, vals in groups.items():
        vals = ([x[j]] if inc else []) + vals
        out[j] = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}[red](vals)
    return out


def _scatter_reduce_samples(rng: np.random.Generator) -> list[Sample]:
    out = []
    for red in ("sum", "prod", "mean", "amax", "amin"):
        for inc in (True, False):
            gen = _uniq if red in ("amax", "amin") else (_away if red == "prod" else _r)
            x, s = gen(rng, 3, 4), gen(rng, 3, 4)
            out.append(Sample((x, s), {"d": 0, "i": rng.integers(0, 3, (3, 4)), "red": red, "inc": inc},
                              name=f"{red}_{'self' if inc else 'noself'}"))
    x = np.array([[0.0, 2.0, 1.5], [0.5, 3.0, -1.0]])
    s = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, 0.0], [0.7, 0.0, 1.2]])  # zeros: one and two per target
    i = np.array([[0, 1, 0], [0, 1, 0], [1, 0, 1]])
    out.append(Sample((x, s), {"d": 0, "i": i, "red": "prod", "inc": True}, name="prod_zeros"))
    out.append(Sample((x, s), {"d": 0, "i": i, "red": "prod", "inc": False}, name="prod_zeros_noself"))
    return out


op("scatter_reduce", op=lambda x, s, d, i, red, inc: x.scatter_reduce(d, ag.tensor(i), s, red, include_self=inc),
   ref=lambda x, s, d, i, red, inc: _np_scatter_reduce(x, d, i, s, red, inc),
   torch=lambda x, s, d, i, red, inc: x.scatter_reduce(d, _T(i), s, red, include_self=inc),
   samples=_scatter_reduce_samples, covers=("ScatterProdOnes", "ScatterExtreme"))
# two-way ties (self and a source): central differences see the even split the backward gives (the second
# derivative jumps there: no gradgradcheck)
op("scatter_reduce_amax_ties", op=lambda x, s, i: x.scatter_reduce(0, ag.tensor(i), s, "amax"),
   ref=lambda x, s, i: _np_scatter_reduce(x, 0, i, s, "amax", True),
   torch=lambda x, s, i: x.scatter_reduce(0, _T(i), s, "amax"),
   samples=lambda rng: [Sample((np.array([[1.0, 2.0], [0.0, 5.0]]), np.array([[1.0, 3.0], [0.5, 5.0], [-1.0, 4.0]])),
                               {"i": np.array([[0, 0], [1, 1], [1, 1]])})], gradgrad=False)


def _inplace_scatters(x, s, m, lib):
    y = x * 1
    y.scatter_(1, lib(np.array([[2], [0], [1]])), s[:, :1])
    y.scatter_add_(0, lib(np.array([[0, 2, 1, 1]])), s[:1])
    y.index_add_(1, lib(np.array([3, 3])), s[:, :2], alpha=0.5)
    y.masked_fill_(lib(m), 0.25)
    return y


def _np_inplace_scatters(x, s, m, lib):
    y = _np_scatter(x, 1, np.array([[2], [0], [1]]), s[:, :1])
    y = _np_scatter_reduce(y, 0, np.array([[0, 2, 1, 1]]), s[:1], "sum", True)
    y[:, 3] += 0.5 * (s[:, 0] + s[:, 1])
    return np.where(m, 0.25, y)


op("inplace_scatters", op=lambda x, s, m: _inplace_scatters(x, s, m, ag.tensor),
   ref=lambda x, s, m: _np_inplace_scatters(x, s, m, None),
   torch=lambda x, s, m: _inplace_scatters(x, s, m, _t().tensor),
   samples=lambda rng: [Sample((_r(rng, 3, 4), _r(rng, 3, 4)), {"m": rng.random((3, 4)) < 0.3})])
op("index_select", op=lambda a, d, i: a.index_select(d, ag.tensor(i)), ref=lambda a, d, i: np.take(a, i, d),
   torch=lambda a, d, i: a.index_select(d, _T(i)),
   samples=lambda rng: [Sample((_r(rng, 3, 4),), {"d": 1, "i": np.array([3, 0, 3])}, name="repeats"),
                        Sample((_r(rng, 3, 4),), {"d": 0, "i": np.array([2])}, name="d0"),
                        Sample((_r(rng, 3, 4),), {"d": 0, "i": np.zeros(0, dtype=np.int64)}, name="empty")])


def _np_index_add(a, s, d, i, al):
    out = np.moveaxis(a.copy(), d, 0)
    src = np.moveaxis(s, d, 0)
    for k, j in enumerate(i):
        out[j] += al * src[k]
    return np.moveaxis(out, 0, d)


op("index_add", op=lambda a, s, d, i, al: a.index_add(d, ag.tensor(i), s, alpha=al), ref=_np_index_add,
   torch=lambda a, s, d, i, al: a.index_add(d, _T(i), s, alpha=al),
   samples=lambda rng: [Sample((_r(rng, 3, 4), _r(rng, 3, 3)), {"d": 1, "i": np.array([3, 0, 3]), "al": 1},
                               name="repeats"),
                        Sample((_r(rng, 3, 4), _r(rng, 2, 4)), {"d": 0, "i": np.array([2, 0]), "al": -0.5},
                               name="alpha")])


def _np_index_copy(a, s, d, i):
    out = np.moveaxis(a.copy(), d, 0)
    out[i] = np.moveaxis(s, d, 0)
    return np.moveaxis(out, 0, d)


op("index_copy", op=lambda a, s, d, i: ag.index_copy(a, d, ag.tensor(i), s), ref=_np_index_copy,
   torch=lambda a, s, d, i: _t().index_copy(a, d, _T(i), s),
   samples=lambda rng: [Sample((_r(rng, 3, 4), _r(rng, 3, 2)), {"d": 1, "i": np.array([3, 0])}, name="d1")])


def _np_index_fill(a, v, d, i):
    out = np.moveaxis(a.copy(), d, 0)
    out[i] = v
    return np.moveaxis(out, 0, d)


op("index_fill", op=lambda a, v, d, i: a.index_fill(d, ag.tensor(i), v), ref=_np_index_fill,
   torch=lambda a, v, d, i: a.index_fill(d, _T(i), v),
   samples=lambda rng: [Sample((_r(rng, 3, 4), _r(rng)), {"d": 1, "i": np.array([3, 0, 3])}, name="tensor_value")])
op("masked_fill_fn", op=lambda a, v, m: ag.masked_fill(a, ag.tensor(m), v), ref=lambda a, v, m: np.where(m, v, a),
   torch=lambda a, v, m: _t().masked_fill(a, _T(m), v),
   samples=lambda rng: [Sample((_r(rng, 3, 4), _r(rng)), {"m": rng.random((3, 4)) < 0.5}, name="tensor_value"),
                        Sample((_r(rng, 3, 4), _r(rng)), {"m": rng.random(4) < 0.5}, name="broadcast_mask")])
op("masked_select", op=lambda a, m: ag.masked_select(a, ag.tensor(m)),
   ref=lambda a, m: np.broadcast_to(a, np.broadcast_shapes(a.shape, m.shape))[
       np.broadcast_to(m, np.broadcast_shapes(a.shape, m.shape))],
   torch=lambda a, m: _t().masked_select(a, _T(m)),
   samples=lambda rng: [Sample((_r(rng, 3, 4),), {"m": rng.random((3, 4)) < 0.5}, name="same"),
                        Sample((_r(rng, 4),), {"m": rng.random((3, 4)) < 0.5}, name="broadcast_input")])
op("take_along_dim", op=lambda a, i, d: ag.take_along_dim(a, ag.tensor(i), d),
   ref=lambda a, i, d: np.take_along_axis(a.reshape(-1), i.reshape(-1), 0) if d is None
   else np.take_along_axis(a, i, d),
   torch=lambda a, i, d: _t().take_along_dim(a, _T(i), d),
   samples=lambda rng: [Sample((_r(rng, 3, 4),), {"i": rng.integers(0, 4, (3, 2)), "d": 1}, name="d1"),
                        Sample((_r(rng, 3, 4),), {"i": rng.integers(0, 3, (2, 1)), "d": 0}, name="broadcast"),
                        Sample((_r(rng, 3, 4),), {"i": np.array([5, 0, 5]), "d": None}, name="flat")])
op("take", op=lambda a, i: a.take(ag.tensor(i)), ref=lambda a, i: a.reshape(-1)[i], torch=lambda a, i: a.take(_T(i)),
   samples=lambda rng: [Sample((_r(rng, 3, 4),), {"i": np.array([[0, 11], [-1, 5]])})])

# Function classes of this family that are checked elsewhere: none (every class above has a row).
_ = COVERED_ELSEWHERE


# ---------------------------------------------------------------------- sequences as indices (PyTorch's rules)
_SEQ_INDEX = {
    "range_pick": ((range(3), [0, 3, 1]), lambda a: a[np.arange(3), [0, 3, 1]]),
    "range": (range(1, 3), lambda a: a[1:3]),
    "list": ([2, 0, 2], lambda a: a[[2, 0, 2]]),
    "bool_list": ([True, False, True], lambda a: a[np.array([True, False, True])]),
    "list_with_slice": ([1, slice(None, 2)], lambda a: a[1, :2]),  # a short list holding a slice is a tuple
    "list_of_lists": ([[0, 2], [1, 1]], lambda a: a[[0, 2], [1, 1]]),
    "tuple_in_tuple": (((0, 2),), lambda a: a[np.array([0, 2])]),
}
op("getitem_sequences", op=lambda a, k: a[_SEQ_INDEX[k][0]], ref=lambda a, k: _SEQ_INDEX[k][1](a),
   torch=lambda a, k: a[_SEQ_INDEX[k][0]],
   samples=lambda rng: [Sample((_r(rng, 3, 4),), {"k": k}, name=k) for k in _SEQ_INDEX])


def _set_pick(a: Any, v: Any) -> Any:
    out = a * 1
    out[range(3), [0, 3, 1]] = v  # one element per row, the PyTorch idiom
    return out


def _np_set_pick(a: np.ndarray, v: np.ndarray) -> np.ndarray:
    out = a.copy()
    out[np.arange(3), [0, 3, 1]] = v
    return out


op("setitem_range_pick", op=_set_pick, ref=_np_set_pick, torch=_set_pick,
   samples=lambda rng: [Sample((_r(rng, 3, 4), _r(rng, 3)), name="values"),
                        Sample((_r(rng, 3, 4), _r(rng)), name="broadcast_0d"),
                        Sample((_r(rng, 3, 4), _r(rng, 1, 3)), name="broadcast_leading_1")])
