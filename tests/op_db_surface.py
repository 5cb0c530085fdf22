"""Op-table rows for the surface family: the scatter-style ops (index_put, masked_scatter, put, index_reduce,
select_scatter, slice_scatter, diagonal_scatter and the in-place forms), frexp, rsub, fill and the splits
(split_with_sizes, unsafe_split, unsafe_chunk, vsplit, hsplit, dsplit, narrow_copy).

References are numpy loops and slicing written here. Index arguments are constants in the kwargs (built as
the library's tensors inside the row); index_put / put without accumulate write distinct positions (at a
repeated one either value may win). index_reduce's amax/amin draw distinct values (no ties).
"""

from __future__ import annotations

import numpy as np
from op_db import Sample, _nc, _r, _t, _uniq, op

import autograd_core as ag


def _L(x):
    """The library of x (autograd_core or torch): rows build their constant index tensors with it."""
    return ag if isinstance(x, ag.Tensor) else _t()


def _c(x, a):
    """The constant array a as a tensor of x's library."""
    return _L(x).tensor(np.asarray(a))


# ---------------------------------------------------------------------- index_put
def _np_index_put(x, v, idx, accumulate):
    out = x.copy()
    ix = tuple(np.asarray(i) for i in idx)
    if accumulate:
        np.add.at(out, ix, np.broadcast_to(v, out[ix].shape))
    else:
        out[ix] = v
    return out


def _index_put_samples(rng):
    return [
        Sample((_r(rng, 4, 3), _r(rng, 2, 3)), {"idx": ([3, 0],), "accumulate": False}, name="rows"),
        Sample((_r(rng, 4, 3), _r(rng, 3, 3)), {"idx": ([1, 1, 2],), "accumulate": True}, name="rows_acc_repeat"),
        Sample((_r(rng, 4, 3), _r(rng, 3)), {"idx": ([0, 2, 3], [2, 0, 1]), "accumulate": False}, name="points"),
        Sample((_r(rng, 4, 3), _r(rng, 1)), {"idx": ([0, 0, 3], [1, 1, 2]), "accumulate": True},
               name="points_acc_broadcast"),
        Sample((_nc(_r(rng, 3, 4)), _r(rng, 4)), {"idx": ([2, 0],), "accumulate": True}, name="noncontig_bcast"),
        Sample((_r(rng, 2, 3, 2), _r(rng, 2, 2)), {"idx": ([1, 0], [2, 2]), "accumulate": False}, name="3d"),
    ]


def _index_put(x, v, idx, accumulate):
    return _L(x).index_put(x, tuple(_c(x, i) for i in idx), v, accumulate)


def _index_put_method_inplace(x, v, idx, accumulate):
    return (x * 1).index_put_(tuple(_c(x, i) for i in idx), v, accumulate=accumulate)


op("index_put", op=_index_put, ref=_np_index_put, torch=_index_put, samples=_index_put_samples)
op("index_put_", op=_index_put_method_inplace, ref=_np_index_put, torch=_index_put_method_inplace,
   samples=_index_put_samples)
op("index_put_bool_mask", op=lambda x, v, m: _L(x).index_put(x, (_c(x, m),), v),
   ref=lambda x, v, m: _np_index_put(x, v, (m,), False), torch=lambda x, v, m: _t().index_put(x, (_c(x, m),), v),
   samples=lambda rng: [Sample((_r(rng, 3, 4), _r(rng, 2, 4)), {"m": np.array([True, False, True])}, name="rows"),
                        Sample((_r(rng, 3, 2), _r(rng, 3)),
                               {"m": np.array([[True, False], [True, True], [False, False]])}, name="elements")])


# ---------------------------------------------------------------------- masked_scatter
def _np_masked_scatter(x, src, mask):
    shape = np.broadcast_shapes(x.shape, np.shape(mask))
    out = np.broadcast_to(x, shape).copy()
    m = np.broadcast_to(mask, shape)
    out[m] = src.reshape(-1)[: int(m.sum())]
    return out


def _masked_scatter_samples(rng):
    return [
        Sample((_r(rng, 3, 4), _r(rng, 14)), {"mask": _r(rng, 3, 4) > 0}, name="2d"),
        Sample((_r(rng, 3, 4), _r(rng, 2, 6)), {"mask": _r(rng, 4) > 0}, name="mask_broadcasts"),
        Sample((_r(rng, 4), _r(rng, 12)), {"mask": _r(rng, 3, 4) > 0}, name="input_broadcasts"),
        Sample((_nc(_r(rng, 3, 3)), _r(rng, 9)), {"mask": np.ones((3, 3), bool)}, name="all"),
    ]


op("masked_scatter", op=lambda x, s, mask: _L(x).masked_scatter(x, _c(x, mask), s), ref=_np_masked_scatter,
   torch=lambda x, s, mask: _t().masked_scatter(x, _c(x, mask), s), samples=_masked_scatter_samples)
op("masked_scatter_", op=lambda x, s, mask: (x * 1).masked_scatter_(_c(x, mask), s),
   ref=_np_masked_scatter, torch=lambda x, s, mask: (x * 1).masked_scatter_(_c(x, mask), s),
   samples=lambda rng: _masked_scatter_samples(rng)[:2] + _masked_scatter_samples(rng)[3:])


# ---------------------------------------------------------------------- put
def _np_put(x, src, idx, accumulate):
    flat = x.reshape(-1).copy()
    i = np.asarray(idx).reshape(-1)
    i = np.where(i < 0, i + flat.size, i)
    if accumulate:
        np.add.at(flat, i, src.reshape(-1))
    else:
        flat[i] = src.reshape(-1)
    return flat.reshape(x.shape)


def _put_samples(rng):
    return [
        Sample((_r(rng, 3, 4), _r(rng, 3)), {"idx": [0, -1, 5], "accumulate": False}, name="flat"),
        Sample((_r(rng, 3, 4), _r(rng, 2, 2)), {"idx": [[1, 1], [-12, 7]], "accumulate": True}, name="acc_repeat"),
        Sample((_r(rng), _r(rng, 1)), {"idx": [0], "accumulate": False}, name="0d"),
        Sample((_nc(_r(rng, 3, 4)), _r(rng, 2)), {"idx": [1, 4], "accumulate": True}, name="noncontig"),
    ]


op("put", op=lambda x, s, idx, accumulate: _L(x).put(x, _c(x, idx), s, accumulate), ref=_np_put,
   torch=lambda x, s, idx, accumulate: _t().put(x, _c(x, idx), s, accumulate), samples=_put_samples)
op("put_", op=lambda x, s, idx, accumulate: (x * 1).put_(_c(x, idx), s, accumulate=accumulate), ref=_np_put,
   torch=lambda x, s, idx, accumulate: (x * 1).put_(_c(x, idx), s, accumulate=accumulate), samples=_put_samples)


# ---------------------------------------------------------------------- index_reduce
def _np_index_reduce(x, src, dim, idx, reduce, include_self):
    xm, sm = np.moveaxis(x, dim, 0), np.moveaxis(src, dim, 0)
    out = xm.copy()
    for j in sorted(set(idx)):
        rows = [sm[k] for k, i in enumerate(idx) if i == j] + ([xm[j]] if include_self else [])
        stack = np.stack(rows)
        out[j] = {"prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}[reduce](stack, axis=0)
    return np.moveaxis(out, 0, dim)


def _index_reduce_samples(rng):
    out = []
    for reduce in ("prod", "mean", "amax", "amin"):
        gen = _uniq if reduce in ("amax", "amin") else _r
        for inc in (True, False):
            both = gen(rng, 4 * 3 + 5 * 3)
            out.append(Sample((both[:12].reshape(4, 3), both[12:].reshape(5, 3)),
                              {"dim": 0, "idx": [0, 2, 0, 3, 0], "reduce": reduce, "include_self": inc},
                              name=f"{reduce}_{'self' if inc else 'noself'}"))
        both = gen(rng, 2 * 3 + 2 * 2)
        out.append(Sample((both[:6].reshape(2, 3), both[6:].reshape(2, 2)),
                          {"dim": -1, "idx": [2, 2], "reduce": reduce, "include_self": True},
                          name=f"{reduce}_last_dim"))
    return out


def _index_reduce(x, s, dim, idx, reduce, include_self):
    return x.index_reduce(dim, _c(x, idx), s, reduce, include_self=include_self)


op("index_reduce", op=_index_reduce, ref=_np_index_reduce, torch=_index_reduce, samples=_index_reduce_samples)
op("index_reduce_", op=lambda x, s, dim, idx, reduce, include_self: (x * 1).index_reduce_(
    dim, _c(x, idx), s, reduce, include_self=include_self), ref=_np_index_reduce,
   torch=lambda x, s, dim, idx, reduce, include_self: (x * 1).index_reduce_(
       dim, _c(x, idx), s, reduce, include_self=include_self),
   samples=lambda rng: _index_reduce_samples(rng)[::3])


# ---------------------------------------------------------------------- select / slice / diagonal scatter
def _np_select_scatter(x, s, dim, index):
    out = x.copy()
    out[(slice(None),) * (dim % x.ndim) + (index,)] = s
    return out


op("select_scatter", op=lambda x, s, dim, index: _L(x).select_scatter(x, s, dim, index), ref=_np_select_scatter,
   torch=lambda x, s, dim, index: _t().select_scatter(x, s, dim, index),
   samples=lambda rng: [Sample((_r(rng, 3, 4), _r(rng, 4)), {"dim": 0, "index": 1}, name="row"),
                        Sample((_r(rng, 3, 4, 2), _r(rng, 3, 2)), {"dim": -2, "index": -1}, name="negative"),
                        Sample((_r(rng, 3), _r(rng)), {"dim": 0, "index": 2}, name="to_0d")])


def _np_slice_scatter(x, s, dim, start, end, step):
    out = x.copy()
    out[(slice(None),) * (dim % x.ndim) + (slice(start, end, step),)] = s
    return out


op("slice_scatter", op=lambda x, s, **k: _L(x).slice_scatter(x, s, **k), ref=_np_slice_scatter,
   torch=lambda x, s, **k: _t().slice_scatter(x, s, **k),
   samples=lambda rng: [
       Sample((_r(rng, 5, 3), _r(rng, 2, 3)), {"dim": 0, "start": 1, "end": 5, "step": 2}, name="step"),
       Sample((_r(rng, 3, 4), _r(rng, 3, 2)), {"dim": 1, "start": -2, "end": None, "step": 1}, name="negative"),
       Sample((_nc(_r(rng, 4, 3)), _r(rng, 4, 0)), {"dim": 1, "start": 3, "end": 3, "step": 1}, name="empty")])


def _np_diagonal_scatter(x, s, offset, dim1, dim2):
    out = x.copy()
    pos = np.diagonal(np.arange(x.size).reshape(x.shape), offset, dim1, dim2)
    out.reshape(-1)[pos.reshape(-1)] = s.reshape(-1)
    return out


op("diagonal_scatter", op=lambda x, s, **k: _L(x).diagonal_scatter(x, s, **k), ref=_np_diagonal_scatter,
   torch=lambda x, s, **k: _t().diagonal_scatter(x, s, **k),
   samples=lambda rng: [Sample((_r(rng, 3, 4), _r(rng, 3)), {"offset": 0, "dim1": 0, "dim2": 1}, name="main"),
                        Sample((_r(rng, 3, 4), _r(rng, 2)), {"offset": -1, "dim1": 0, "dim2": 1}, name="below"),
                        Sample((_r(rng, 2, 3, 4), _r(rng, 3, 2)), {"offset": -1, "dim1": 2, "dim2": 0},
                               name="3d_swapped")])


# ---------------------------------------------------------------------- frexp, rsub, fill
def _away_from_powers_of_two(rng, *shape):
    # mantissa * 2**e with the mantissa in [0.55, 0.95]: finite differences never cross an exponent step
    return rng.uniform(0.55, 0.95, shape) * 2.0 ** rng.integers(-4, 5, shape) * rng.choice([-1.0, 1.0], shape)


# (the int32 exponent: tests/test_torch_surface.py)
op("frexp_mantissa", op=lambda x: x.frexp()[0], ref=lambda x: np.frexp(x)[0], torch=lambda x: x.frexp()[0],
   covers=("FrexpMantissa",),
   samples=lambda rng: [Sample((_away_from_powers_of_two(rng, 3, 4),), name="2d"),
                        Sample((_away_from_powers_of_two(rng),), name="0d")])
op("toplevel_rsub", op=lambda a, b, alpha: _L(a).rsub(a, b, alpha=alpha), ref=lambda a, b, alpha: b - alpha * a,
   torch=lambda a, b, alpha: _t().rsub(a, b, alpha=alpha),
   samples=lambda rng: [Sample((_r(rng, 3, 4), _r(rng, 4)), {"alpha": 1}, name="broadcast"),
                        Sample((_r(rng, 3), _r(rng, 2, 3)), {"alpha": -2.5}, name="alpha")])
op("toplevel_rsub_scalar", op=lambda a, s: _L(a).rsub(a, s, 2), ref=lambda a, s: s - 2 * a,
   torch=lambda a, s: _t().rsub(a, s, 2), samples=lambda rng: [Sample((_r(rng, 3, 2),), {"s": 1.5})])
op("fill_tensor_value", op=lambda x, v: _L(x).fill(x, v), ref=lambda x, v: np.full_like(x, v),
   torch=lambda x, v: _t().fill(x, v), samples=lambda rng: [Sample((_r(rng, 3, 4), _r(rng)), name="2d"),
                                                              Sample((_r(rng), _r(rng)), name="0d")])


# ---------------------------------------------------------------------- splits
def _np_split_sizes(x, sizes, dim):
    return tuple(np.split(x, np.cumsum(sizes)[:-1], axis=dim))


op("split_with_sizes", op=lambda x, sizes, dim: x.split_with_sizes(sizes, dim), ref=_np_split_sizes,
   torch=lambda x, sizes, dim: x.split_with_sizes(sizes, dim),
   samples=lambda rng: [Sample((_r(rng, 5, 3),), {"sizes": [2, 0, 3], "dim": 0}, name="rows"),
                        Sample((_nc(_r(rng, 3, 4)),), {"sizes": [1, 3], "dim": -1}, name="noncontig")])
op("unsafe_split", op=lambda x, s, dim: _L(x).unsafe_split(x, s, dim),
   ref=lambda x, s, dim: tuple(np.split(x, range(s, x.shape[dim], s), axis=dim)),
   torch=lambda x, s, dim: _t().unsafe_split(x, s, dim),
   samples=lambda rng: [Sample((_r(rng, 5, 3),), {"s": 2, "dim": 0}), Sample((_r(rng, 2, 6),), {"s": 3, "dim": 1})])
op("unsafe_chunk", op=lambda x, n, dim: x.unsafe_chunk(n, dim),
   ref=lambda x, n, dim: tuple(np.split(x, range(-(-x.shape[dim] // n), x.shape[dim], -(-x.shape[dim] // n)),
                                        axis=dim)),
   torch=lambda x, n, dim: x.unsafe_chunk(n, dim), samples=lambda rng: [Sample((_r(rng, 5, 3),), {"n": 2, "dim": 0})])
op("unsafe_split_with_sizes", op=lambda x, sizes, dim: x.unsafe_split_with_sizes(sizes, dim), ref=_np_split_sizes,
   torch=lambda x, sizes, dim: x.unsafe_split_with_sizes(sizes, dim),
   samples=lambda rng: [Sample((_r(rng, 3, 4),), {"sizes": [3, 1], "dim": 1})])


def _np_dir_split(axis):
    def ref(x, ios):
        ax = axis if x.ndim > 1 or axis != 1 else 0
        return tuple(np.split(x, ios, axis=ax))

    return ref


for _fn, _ax, _shape in (("vsplit", 0, (4, 3)), ("hsplit", 1, (2, 6)), ("dsplit", 2, (2, 1, 4))):
    op(_fn, op=(lambda f: lambda x, ios: getattr(_L(x), f)(x, ios))(_fn), ref=_np_dir_split(_ax),
       torch=(lambda f: lambda x, ios: getattr(_t(), f)(x, ios))(_fn),
       samples=(lambda shape: lambda rng: [Sample((_r(rng, *shape),), {"ios": 2}, name="sections"),
                                           Sample((_r(rng, *shape),), {"ios": [1, 3]}, name="indices")])(_shape))
op("hsplit_1d", op=lambda x, ios: x.hsplit(ios), ref=lambda x, ios: tuple(np.split(x, ios)),
   torch=lambda x, ios: x.hsplit(ios), samples=lambda rng: [Sample((_r(rng, 6),), {"ios": 3})])
op("narrow_copy", op=lambda x, dim, start, length: x.narrow_copy(dim, start, length),
   ref=lambda x, dim, start, length: np.take(x, range(start, start + length), axis=dim),
   torch=lambda x, dim, start, length: x.narrow_copy(dim, start, length),
   samples=lambda rng: [Sample((_r(rng, 4, 3),), {"dim": 0, "start": 1, "length": 2}),
                        Sample((_nc(_r(rng, 3, 5)),), {"dim": 1, "start": 4, "length": 1}, name="noncontig")])
