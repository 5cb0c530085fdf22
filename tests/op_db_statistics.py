"""Op-table rows for the statistics family: quantile, nanquantile, nanmedian, cov, corrcoef, aminmax, trapezoid,
trapz, cumulative_trapezoid, gradient, renorm, dist (isin and histogram have no gradient: tests/test_statistics_ops.py).

The references are numpy's own functions (np.quantile, np.cov, np.gradient, np.trapezoid ...) or loops written
here, never the implementation. Selection ops draw distinct values (``_uniq``) and keep q away from the ranks
where the interpolation pair changes; nan-ignoring ops put nan at fixed positions inside the row (a constant
mask in the kwargs), so finite differences perturb only real values.
"""

from __future__ import annotations

import numpy as np
from op_db import Sample, _nc, _pos, _r, _t, _uniq, op

import autograd_core as ag


def _lib(x):
    """The library of x: autograd_core for our tensors, torch for torch's (rows build constants with it)."""
    return ag if isinstance(x, ag.Tensor) else _t()


def _nanify(x, mask):
    """x with nan where mask holds (for us, numpy and torch alike)."""
    if isinstance(x, np.ndarray):
        return np.where(mask, np.nan, x)
    m = _lib(x)
    return m.where(m.tensor(mask), float("nan"), x)


# ---------------------------------------------------------------------- quantile, nanquantile, nanmedian
def _quantile_samples(rng):
    out = []
    for mode in ("linear", "lower", "higher", "midpoint", "nearest"):
        out.append(Sample((_uniq(rng, 2, 5, 3),), {"q": 0.3, "dim": 1, "keepdim": False, "mode": mode}, name=mode))
    out += [
        Sample((_uniq(rng, 3, 4),), {"q": 0.62, "dim": None, "keepdim": False, "mode": "linear"}, name="all"),
        Sample((_uniq(rng, 3, 4),), {"q": 0.41, "dim": None, "keepdim": True, "mode": "linear"}, name="all_keepdim"),
        Sample((_uniq(rng, 4, 3),), {"q": 0.7, "dim": -2, "keepdim": True, "mode": "linear"}, name="keepdim"),
        Sample((_nc(_uniq(rng, 5, 3)),), {"q": 0.45, "dim": 0, "keepdim": False, "mode": "linear"}, name="noncontig"),
        Sample((_r(rng),), {"q": 0.5, "dim": None, "keepdim": False, "mode": "linear"}, name="0d"),
    ]
    return out


def _quantile_q_samples(rng):
    # q as a tensor: its own dim comes first, and q gets the gradient (rank q (n - 1) moves the interpolation)
    return [
        Sample((_uniq(rng, 2, 5), np.array([0.1, 0.55, 0.9])), {"dim": 1, "keepdim": False, "mode": "linear"},
               name="vector_q"),
        Sample((_uniq(rng, 4, 2, 3), np.array([0.2, 0.7])), {"dim": 0, "keepdim": True, "mode": "linear"},
               name="vector_q_keepdim"),
        Sample((_uniq(rng, 6), np.array(0.35)), {"dim": None, "keepdim": False, "mode": "linear"}, name="0d_q"),
    ]


def _q_const(x, q):
    """q as a constant tensor of x's library and dtype (modes in which q gets no gradient)."""
    return _lib(x).tensor(q, dtype=x.dtype)


def _quantile_qc_samples(rng):
    return [Sample((_uniq(rng, 3, 5),), {"q": np.array([0.1, 0.85]), "dim": -1, "mode": m}, name=m)
            for m in ("midpoint", "nearest", "lower", "higher")]


def _np_quantile(x, q, dim, keepdim, mode, nan=False):
    f = np.nanquantile if nan else np.quantile
    return np.asarray(f(x, q, axis=dim, keepdims=keepdim, method=mode))


op("quantile", op=lambda x, q, dim, keepdim, mode: ag.quantile(x, q, dim, keepdim, interpolation=mode),
   ref=_np_quantile, torch=lambda x, q, dim, keepdim, mode: _t().quantile(x, q, dim, keepdim, interpolation=mode),
   samples=_quantile_samples)
op("quantile_q_tensor", op=lambda x, q, dim, keepdim, mode: x.quantile(q, dim, keepdim, interpolation=mode),
   ref=_np_quantile, torch=lambda x, q, dim, keepdim, mode: x.quantile(q, dim, keepdim, interpolation=mode),
   samples=_quantile_q_samples)
op("quantile_q_constant_tensor", op=lambda x, q, dim, mode: x.quantile(_q_const(x, q), dim, interpolation=mode),
   ref=lambda x, q, dim, mode: _np_quantile(x, q, dim, False, mode),
   torch=lambda x, q, dim, mode: x.quantile(_q_const(x, q), dim, interpolation=mode), samples=_quantile_qc_samples)


def _nan_mask(rng, shape, frac=0.3):
    """A mask of nan positions leaving at least one real value in every slice along the last two dims."""
    m = rng.random(shape) < frac
    m[..., 0, 0] = False
    m[..., -1, -1] = False
    return m


def _nanquantile_samples(rng):
    x = _uniq(rng, 3, 6)
    m = _nan_mask(rng, (3, 6))
    m[:, 0] = False  # every row keeps a real value (dim=1)
    m2 = _nan_mask(rng, (2, 4, 3))
    m2[:, 0, :] = False  # every slice along dim 1 keeps a real value (an all-nan one: tests/test_statistics_ops.py)
    # (q times every count of real values minus 1 stays off the integers, where the interpolated pair changes)
    return [
        Sample((x, np.array([0.15, 0.62])), {"mask": m, "dim": 1, "keepdim": False, "mode": "linear"}, name="rows"),
        Sample((_uniq(rng, 3, 6), np.array(0.37)), {"mask": m, "dim": None, "keepdim": False, "mode": "linear"},
               name="all"),
        Sample((_uniq(rng, 2, 4, 3), np.array([0.3])), {"mask": m2, "dim": 1, "keepdim": True, "mode": "linear"},
               name="3d_keepdim"),
    ]


def _nanquantile_op(x, q, mask, dim, keepdim, mode):
    return _lib(x).nanquantile(_nanify(x, mask), q, dim, keepdim, interpolation=mode)


def _nanquantile_ref(x, q, mask, dim, keepdim, mode):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy warns on the all-nan slice
        return _np_quantile(_nanify(x, mask), q, dim, keepdim, mode, nan=True)


op("nanquantile", op=_nanquantile_op, ref=_nanquantile_ref, torch=_nanquantile_op, samples=_nanquantile_samples)
op("nanquantile_modes", op=lambda x, mask, mode: _lib(x).nanquantile(_nanify(x, mask), _q_const(x, [0.27, 0.83]), 1,
                                                                     interpolation=mode),
   ref=lambda x, mask, mode: _nanquantile_ref(x, np.array([0.27, 0.83]), mask, 1, False, mode),
   torch=lambda x, mask, mode: _lib(x).nanquantile(_nanify(x, mask), _q_const(x, [0.27, 0.83]), 1,
                                                   interpolation=mode),
   samples=lambda rng: [Sample((_uniq(rng, 3, 6),), {"mask": _nan_mask(rng, (3, 6)), "mode": m}, name=m)
                        for m in ("lower", "higher", "nearest", "midpoint")])
def _np_nanmedian_dim(x, d, keepdim):
    # the lower median of the non-nan values (np.nanmedian averages the two middle ones)
    s = np.sort(x, axis=d)  # nan last
    k = np.maximum((np.sum(~np.isnan(x), axis=d, keepdims=True) - 1) // 2, 0)
    v = np.take_along_axis(s, k, axis=d)
    return v if keepdim else np.squeeze(v, d)


def _np_nanmedian(x):
    v = x[~np.isnan(x)]
    return np.asarray(np.nan if v.size == 0 else np.sort(v)[(v.size - 1) // 2])


op("nanmedian", op=lambda x, mask: ag.nanmedian(_nanify(x, mask)), ref=lambda x, mask: _np_nanmedian(_nanify(x, mask)),
   torch=lambda x, mask: _t().nanmedian(_nanify(x, mask)),
   samples=lambda rng: [Sample((_uniq(rng, 3, 4),), {"mask": _nan_mask(rng, (3, 4))}, name="even_count"),
                        Sample((_uniq(rng, 3, 3),), {"mask": np.eye(3, dtype=bool)}, name="odd_count"),
                        Sample((_uniq(rng, 5),), {"mask": np.zeros(5, dtype=bool)}, name="no_nan")],
   covers=("NanMedian",))
# two tied medians share the gradient (finite differences see 1/2 each side); a nan in the input is ignored
op("nanmedian_ties", op=lambda x: ag.nanmedian(x), ref=_np_nanmedian, torch=lambda x: _t().nanmedian(x),
   samples=lambda rng: [Sample((np.array([1.0, 2.0, np.nan, 2.0, 3.0]),))], gradgrad=False)
op("nanmedian_dim", op=lambda x, mask, d, keepdim: ag.nanmedian(_nanify(x, mask), d, keepdim).values,
   ref=lambda x, mask, d, keepdim: _np_nanmedian_dim(_nanify(x, mask), d, keepdim),
   torch=lambda x, mask, d, keepdim: _t().nanmedian(_nanify(x, mask), d, keepdim).values,
   samples=lambda rng: [Sample((_uniq(rng, 3, 5),), {"mask": _nan_mask(rng, (3, 5)), "d": 1, "keepdim": False}),
                        Sample((_uniq(rng, 4, 2, 3),), {"mask": _nan_mask(rng, (4, 2, 3)), "d": 0, "keepdim": True},
                               name="keepdim"),
                        Sample((_uniq(rng, 2, 4),), {"mask": np.array([[True, False, True, True],
                                                                       [False, True, False, False]]), "d": 1,
                                                     "keepdim": False}, name="one_real_value")])


# ---------------------------------------------------------------------- cov, corrcoef
def _cov_op(x, *aw, correction, fw):
    m = _lib(x)
    kw = {}
    if fw is not None:
        kw["fweights"] = m.tensor(fw)
    if aw:
        kw["aweights"] = aw[0]
    return m.cov(x, correction=correction, **kw)


def _cov_ref(x, *aw, correction, fw):
    return np.asarray(np.cov(x, ddof=correction, fweights=fw, aweights=aw[0] if aw else None))


op("cov", op=_cov_op, ref=_cov_ref, torch=_cov_op,
   samples=lambda rng: [Sample((_r(rng, 3, 6),), {"correction": 1, "fw": None}, name="plain"),
                        Sample((_r(rng, 3, 6),), {"correction": 0, "fw": None}, name="biased"),
                        Sample((_r(rng, 6),), {"correction": 1, "fw": None}, name="one_variable_0d"),
                        Sample((_nc(_r(rng, 6, 2)).T,), {"correction": 2, "fw": None}, name="noncontig"),
                        Sample((_r(rng, 2, 5),), {"correction": 1, "fw": np.array([1, 3, 0, 2, 1])}, name="fweights"),
                        Sample((_r(rng, 2, 5), _pos(rng, 5)), {"correction": 1, "fw": None}, name="aweights"),
                        Sample((_r(rng, 3, 5), _pos(rng, 5)), {"correction": 2, "fw": np.array([2, 1, 1, 3, 1])},
                               name="both_weights"),
                        Sample((_r(rng, 2, 4), _pos(rng, 4)), {"correction": 0, "fw": np.array([1, 2, 1, 1])},
                               name="both_biased")])
op("corrcoef", op=lambda x: x.corrcoef(), ref=np.corrcoef, torch=lambda x: x.corrcoef(),
   samples=lambda rng: [Sample((_r(rng, 3, 6),), name="3_variables"),
                        Sample((_nc(_r(rng, 5, 2)).T,), name="noncontig"),
                        Sample((_r(rng, 5),), name="one_variable")])


# ---------------------------------------------------------------------- aminmax
def _np_aminmax(x, dim, keepdim):
    return np.amin(x, axis=dim, keepdims=keepdim), np.amax(x, axis=dim, keepdims=keepdim)


op("aminmax", op=lambda x, dim, keepdim: tuple(ag.aminmax(x, dim=dim, keepdim=keepdim)), ref=_np_aminmax,
   torch=lambda x, dim, keepdim: tuple(_t().aminmax(x, dim=dim, keepdim=keepdim)),
   samples=lambda rng: [Sample((_uniq(rng, 2, 3, 4),), {"dim": d, "keepdim": k}, name=f"dim{d}_k{k}")
                        for d, k in ((None, False), (None, True), (1, False), (-1, True))]
   + [Sample((_r(rng),), {"dim": 0, "keepdim": False}, name="0d")])
op("aminmax_ties", op=lambda x: tuple(x.aminmax(dim=1)), ref=lambda x: _np_aminmax(x, 1, False),
   torch=lambda x: tuple(x.aminmax(dim=1)),
   samples=lambda rng: [Sample((np.array([[1.0, 3.0, 3.0, 1.0], [2.0, 0.7, 2.0, 0.5]]),))], gradgrad=False)


# ---------------------------------------------------------------------- trapezoid, cumulative_trapezoid
def _np_cumtrapz(y, x=None, dx=1.0, dim=-1):
    y = np.moveaxis(y, dim, -1)
    if x is None:
        d = dx
    elif x.ndim == 1:
        d = np.diff(x)
    else:
        d = np.diff(np.moveaxis(x, dim, -1), axis=-1)
    return np.moveaxis(np.cumsum((y[..., 1:] + y[..., :-1]) / 2 * d, axis=-1), -1, dim)


op("trapezoid", op=lambda y, dx, dim: ag.trapezoid(y, dx=dx, dim=dim),
   ref=lambda y, dx, dim: np.asarray(np.trapezoid(y, dx=dx, axis=dim)),
   torch=lambda y, dx, dim: _t().trapezoid(y, dx=dx, dim=dim),
   samples=lambda rng: [Sample((_r(rng, 3, 5),), {"dx": 1, "dim": -1}, name="unit"),
                        Sample((_r(rng, 4, 2, 3),), {"dx": 0.25, "dim": 0}, name="dx"),
                        Sample((_nc(_r(rng, 4, 3)),), {"dx": 2.0, "dim": 1}, name="noncontig"),
                        Sample((_r(rng, 2, 1),), {"dx": 1, "dim": 1}, name="one_sample")])
op("trapezoid_x", op=lambda y, x, dim: ag.trapezoid(y, x, dim=dim),
   ref=lambda y, x, dim: np.asarray(np.trapezoid(y, x, axis=dim)),
   torch=lambda y, x, dim: _t().trapezoid(y, x, dim=dim),
   samples=lambda rng: [Sample((_r(rng, 3, 4), np.cumsum(_pos(rng, 4))), {"dim": -1}, name="1d_x"),
                        Sample((_r(rng, 4, 3), np.cumsum(_pos(rng, 4))), {"dim": 0}, name="1d_x_dim0"),
                        Sample((_r(rng, 3, 4), _r(rng, 3, 4)), {"dim": 1}, name="x_like_y")])
op("trapz", op=lambda y, x: (ag.trapz(y), ag.trapz(y, x), ag.trapz(y, dx=0.5, dim=0)),
   ref=lambda y, x: (np.trapezoid(y), np.trapezoid(y, x), np.trapezoid(y, dx=0.5, axis=0)),
   torch=lambda y, x: (_t().trapz(y), _t().trapz(y, x), _t().trapz(y, dx=0.5, dim=0)),
   samples=lambda rng: [Sample((_r(rng, 3, 4), np.cumsum(_pos(rng, 4))))])
op("cumulative_trapezoid", op=lambda y, dx, dim: ag.cumulative_trapezoid(y, dx=dx, dim=dim),
   ref=lambda y, dx, dim: _np_cumtrapz(y, dx=dx, dim=dim),
   torch=lambda y, dx, dim: _t().cumulative_trapezoid(y, dx=dx, dim=dim),
   samples=lambda rng: [Sample((_r(rng, 3, 5),), {"dx": 1, "dim": -1}, name="unit"),
                        Sample((_r(rng, 4, 2),), {"dx": 0.5, "dim": 0}, name="dx")])
op("cumulative_trapezoid_x", op=lambda y, x, dim: ag.cumulative_trapezoid(y, x, dim=dim),
   ref=lambda y, x, dim: _np_cumtrapz(y, x, dim=dim),
   torch=lambda y, x, dim: _t().cumulative_trapezoid(y, x, dim=dim),
   samples=lambda rng: [Sample((_r(rng, 3, 4), np.cumsum(_pos(rng, 4))), {"dim": -1}, name="1d_x"),
                        Sample((_r(rng, 3, 4), _r(rng, 3, 4)), {"dim": 1}, name="x_like_y")])


# ---------------------------------------------------------------------- gradient
def _np_gradient(y, *coords, spacing, dim, edge_order):
    sp = list(coords) if coords else ([spacing] * (y.ndim if dim is None else len(dim)) if not isinstance(
        spacing, list) else spacing)
    g = np.gradient(y, *sp, axis=dim, edge_order=edge_order)
    return tuple(g) if isinstance(g, (list, tuple)) else (g,)


def _gradient_op(y, *coords, spacing, dim, edge_order):
    sp = list(coords) if coords else spacing
    return _lib(y).gradient(y, spacing=sp, dim=dim, edge_order=edge_order)


op("gradient", op=_gradient_op, ref=_np_gradient, torch=_gradient_op,
   samples=lambda rng: [Sample((_r(rng, 4, 5),), {"spacing": 1, "dim": None, "edge_order": 1}, name="all_dims"),
                        Sample((_r(rng, 4, 5),), {"spacing": 0.5, "dim": (1,), "edge_order": 2}, name="edge_order2"),
                        Sample((_r(rng, 3, 4, 3),), {"spacing": [2.0, 0.5], "dim": (2, 0), "edge_order": 1},
                               name="spacings"),
                        Sample((_nc(_r(rng, 5, 3)),), {"spacing": 1, "dim": (0,), "edge_order": 2}, name="noncontig")])
op("gradient_coordinates", op=_gradient_op, ref=_np_gradient, torch=_gradient_op,
   samples=lambda rng: [Sample((_r(rng, 4, 5), np.cumsum(_pos(rng, 4)), np.cumsum(_pos(rng, 5))),
                               {"spacing": None, "dim": None, "edge_order": 1}, name="edge_order1"),
                        Sample((_r(rng, 3, 5), np.cumsum(_pos(rng, 5))), {"spacing": None, "dim": (1,),
                                                                          "edge_order": 2}, name="edge_order2")])


# ---------------------------------------------------------------------- renorm, dist
def _np_renorm(x, p, dim, maxnorm):
    xm = np.moveaxis(x, dim, 0)
    flat = np.abs(xm.reshape(xm.shape[0], -1))
    n = flat.max(axis=1) if p == np.inf else (flat ** p).sum(axis=1) ** (1 / p)
    f = np.where(n > maxnorm, maxnorm / (n + 1e-7), 1.0)
    return np.moveaxis(xm * f.reshape((-1,) + (1,) * (x.ndim - 1)), 0, dim)


def _renorm_samples(rng):
    # rows scaled so that some slices are above maxnorm and some well below (no norm near the switch)
    def rows(*shape, dim):
        x = _r(rng, *shape)
        x = np.moveaxis(x, dim, 0)
        scale = np.where(np.arange(x.shape[0]) % 2 == 0, 3.0, 0.05).reshape((-1,) + (1,) * (x.ndim - 1))
        return np.moveaxis(x * scale, 0, dim)

    return [Sample((rows(3, 4, dim=0),), {"p": 2, "dim": 0, "maxnorm": 1.0}, name="p2"),
            Sample((rows(2, 4, 3, dim=1),), {"p": 1, "dim": 1, "maxnorm": 0.8}, name="p1_3d"),
            Sample((rows(3, 5, dim=-1),), {"p": 3.5, "dim": -1, "maxnorm": 0.6}, name="p3.5"),
            Sample((_nc(rows(4, 3, dim=0)),), {"p": 2, "dim": 0, "maxnorm": 1.0}, name="noncontig")]


op("renorm", op=lambda x, p, dim, maxnorm: x.renorm(p, dim, maxnorm), ref=_np_renorm,
   torch=lambda x, p, dim, maxnorm: x.renorm(p, dim, maxnorm), samples=_renorm_samples)
# (every column above maxnorm)
op("renorm_inplace", op=lambda x: (x * 1).renorm_(2, 1, 0.9), ref=lambda x: _np_renorm(x, 2, 1, 0.9),
   torch=lambda x: (x * 1).renorm_(2, 1, 0.9), samples=lambda rng: [Sample((_pos(rng, 3, 4) * 2,))])


def _np_dist(a, b, p):
    d = np.abs(np.ravel(a - b))
    if p == np.inf:
        return np.asarray(d.max())
    if p == -np.inf:
        return np.asarray(d.min())
    return np.asarray((d ** p).sum() ** (1 / p))


def _dist_samples(rng):
    out = [Sample((_r(rng, 3, 4), _r(rng, 3, 4)), {"p": p}, name=f"p{p}") for p in (2, 1, 3, 0.5)]
    out += [Sample((_r(rng, 3, 4), _r(rng, 4)), {"p": 2}, name="broadcast"),
            Sample((_uniq(rng, 3), _uniq(rng, 3) + 10), {"p": np.inf}, name="pinf"),
            Sample((_uniq(rng, 3), _uniq(rng, 3) + 10), {"p": -np.inf}, name="pneginf"),
            Sample((_r(rng), _r(rng)), {"p": 2}, name="0d")]
    return out


op("dist", op=lambda a, b, p: a.dist(b, p), ref=_np_dist, torch=lambda a, b, p: a.dist(b, p), samples=_dist_samples)
