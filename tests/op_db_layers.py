"""Op-table rows for conv1d/3d, pooling 1d/3d and adaptive, group/instance/RMS norm, dropout variants.

The numpy references here are naive and direct (loops over kernel taps or output windows on tiny inputs),
independent of the implementations, which reuse the 2-d kernels.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from op_db import _F, Sample, _pos, _r, _t, _uniq, op

import autograd_core as ag


# ---------------------------------------------------------------------- references
def _tup(v, n):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def _np_conv(x, w, stride=1, padding=0, dilation=1, groups=1):
    """N-d cross-correlation by its definition: one einsum per kernel tap and group."""
    nd = x.ndim - 2
    s, d = _tup(stride, nd), _tup(dilation, nd)
    ks = w.shape[2:]
    if padding == "same":
        pads = [(dd * (k - 1) // 2, dd * (k - 1) - dd * (k - 1) // 2) for dd, k in zip(d, ks)]
    elif padding == "valid":
        pads = [(0, 0)] * nd
    else:
        pads = [(p, p) for p in _tup(padding, nd)]
    x = np.pad(x, [(0, 0), (0, 0)] + pads)
    outs = [(x.shape[2 + i] - d[i] * (ks[i] - 1) - 1) // s[i] + 1 for i in range(nd)]
    k, cg = w.shape[:2]
    kg = k // groups
    out = np.zeros((x.shape[0], k, *outs))
    for tap in itertools.product(*[range(kk) for kk in ks]):
        sl = tuple(slice(t * dd, t * dd + ss * (o - 1) + 1, ss) for t, dd, ss, o in zip(tap, d, s, outs))
        for g in range(groups):
            patch = x[(slice(None), slice(g * cg, (g + 1) * cg)) + sl]
            out[:, g * kg:(g + 1) * kg] += np.einsum("nc...,kc->nk...", patch, w[(slice(g * kg, (g + 1) * kg),
                                                                                 slice(None)) + tap])
    return out


def _np_conv_t(x, w, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """N-d transposed convolution by its definition: every input element scatters weight * value."""
    nd = x.ndim - 2
    s, p, op_, d = (_tup(v, nd) for v in (stride, padding, output_padding, dilation))
    cin, cg = w.shape[:2]
    ks = w.shape[2:]
    sp = x.shape[2:]
    full = np.zeros((x.shape[0], cg * groups) + tuple((i - 1) * ss + dd * (k - 1) + 1 + o
                                                       for i, ss, dd, k, o in zip(sp, s, d, ks, op_)))
    ing = cin // groups
    for tap in itertools.product(*[range(kk) for kk in ks]):
        sl = tuple(slice(t * dd, t * dd + ss * (i - 1) + 1, ss) for t, dd, ss, i in zip(tap, d, s, sp))
        for g in range(groups):
            full[(slice(None), slice(g * cg, (g + 1) * cg)) + sl] += np.einsum(
                "nc...,cd->nd...", x[:, g * ing:(g + 1) * ing], w[(slice(g * ing, (g + 1) * ing), slice(None)) + tap])
    outs = [(i - 1) * ss - 2 * pp + dd * (k - 1) + o + 1 for i, ss, pp, dd, k, o in zip(sp, s, p, d, ks, op_)]
    return full[(slice(None), slice(None)) + tuple(slice(pp, pp + o) for pp, o in zip(p, outs))]


def _out(size, k, s, p, d, ceil):
    span = size + 2 * p - d * (k - 1) - 1
    if ceil:
        o = -(-span // s) + 1
        return o - 1 if (o - 1) * s >= size + p else o
    return span // s + 1


def _np_pool(x, kernel, stride=None, padding=0, dilation=1, ceil_mode=False, mode="max", count_include_pad=True,
             divisor=None):
    """N-d max / average pooling, one output window at a time (PyTorch's window and divisor rules)."""
    nd = x.ndim - 2
    k = _tup(kernel, nd)
    s = k if stride is None else _tup(stride, nd)
    p, d = _tup(padding, nd), _tup(dilation, nd)
    sizes = x.shape[2:]
    outs = [_out(sizes[i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(nd)]
    out = np.zeros(x.shape[:2] + tuple(outs))
    for o in itertools.product(*[range(v) for v in outs]):
        idx, padded = [], 1
        for i in range(nd):
            start = o[i] * s[i] - p[i]
            pos = start + np.arange(k[i]) * d[i]
            idx.append(pos[(pos >= 0) & (pos < sizes[i])])
            padded *= min(start + k[i], sizes[i] + p[i]) - start
        win = x[(slice(None), slice(None)) + np.ix_(*idx)].reshape(x.shape[0], x.shape[1], -1)
        if mode == "max":
            out[(slice(None), slice(None)) + o] = win.max(-1)
        else:
            div = divisor or (padded if count_include_pad else win.shape[-1])
            out[(slice(None), slice(None)) + o] = win.sum(-1) / div
    return out


def _np_adaptive(x, size, mode):
    nd = x.ndim - 2
    outs = _tup(size, nd)
    outs = tuple(x.shape[2 + i] if o is None else o for i, o in enumerate(outs))
    out = np.zeros(x.shape[:2] + outs)
    for o in itertools.product(*[range(v) for v in outs]):
        sl = tuple(slice((o[i] * x.shape[2 + i]) // outs[i], -(-((o[i] + 1) * x.shape[2 + i]) // outs[i]))
                   for i in range(nd))
        win = x[(slice(None), slice(None)) + sl].reshape(x.shape[0], x.shape[1], -1)
        out[(slice(None), slice(None)) + o] = win.max(-1) if mode == "max" else win.mean(-1)
    return out


def _np_unpool(x, idx, out_sizes):
    n, c = x.shape[:2]
    y = np.zeros((n, c, math.prod(out_sizes)))
    for b in range(n):
        for ch in range(c):
            y[b, ch, idx[b, ch].ravel()] = x[b, ch].ravel()
    return y.reshape((n, c) + tuple(out_sizes))


def _np_group_norm(x, g, w=None, b=None, eps=1e-5):
    n, c = x.shape[:2]
    xg = x.reshape(n, g, -1)
    y = ((xg - xg.mean(-1, keepdims=True)) / np.sqrt(xg.var(-1, keepdims=True) + eps)).reshape(x.shape)
    shp = (1, c) + (1,) * (x.ndim - 2)
    if w is not None:
        y = y * w.reshape(shp)
    if b is not None:
        y = y + b.reshape(shp)
    return y


def _np_instance_norm(x, w=None, b=None, rm=None, rv=None, eps=1e-5):
    axes = tuple(range(2, x.ndim))
    shp = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if rm is None:
        y = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + eps)
    else:
        y = (x - rm.reshape(shp)) / np.sqrt(rv.reshape(shp) + eps)
    if w is not None:
        y = y * w.reshape(shp) + b.reshape(shp)
    return y


def _np_rms_norm(x, k, w=None, eps=None):
    eps = np.finfo(x.dtype).eps if eps is None else eps
    axes = tuple(range(x.ndim - k, x.ndim))
    y = x / np.sqrt((x * x).mean(axes, keepdims=True) + eps)
    return y if w is None else y * w


def _np_lrn(x, size, alpha=1e-4, beta=0.75, k=1.0):
    c = x.shape[1]
    sq = x * x
    div = np.zeros_like(x)
    for ch in range(c):  # the window [ch - size//2, ch + (size-1)//2], zero-padded, divided by size
        lo, hi = ch - size // 2, ch + (size - 1) // 2
        div[:, ch] = sq[:, max(lo, 0):min(hi, c - 1) + 1].sum(1) / size
    return x / (k + alpha * div) ** beta


# ---------------------------------------------------------------------- convolution
_CONV1D = [
    ({}, (2, 3, 7), (4, 3, 3)),
    ({"stride": 2, "padding": 1, "dilation": 2}, (2, 2, 9), (3, 2, 3)),
    ({"groups": 2, "padding": "same"}, (1, 4, 6), (6, 2, 4)),
    ({"padding": "valid"}, (3, 5), (2, 3, 2)),  # unbatched
]
_CONV3D = [
    ({}, (2, 2, 4, 5, 4), (3, 2, 2, 3, 2)),
    ({"stride": (2, 1, 2), "padding": (1, 0, 1), "dilation": (1, 2, 1)}, (1, 2, 5, 6, 5), (2, 2, 3, 2, 3)),
    ({"groups": 2, "padding": "same"}, (1, 4, 3, 4, 3), (4, 2, 2, 3, 2)),
    ({"stride": 2}, (2, 4, 4, 3), (2, 2, 2, 2, 2)),  # unbatched
]


def _kw_name(kw):
    return "_".join(f"{k}{v}" for k, v in kw.items()).replace(" ", "") or "plain"


def _conv_samples(cases):
    def samples(rng):
        return [Sample((_r(rng, *xs), _r(rng, *ws)), {"kw": kw}, name=_kw_name(kw)) for kw, xs, ws in cases]

    return samples


def _batched_ref(fn, nd):
    """A reference over batched input applied to a possibly unbatched one."""
    def ref(x, *rest, **kw):
        if x.ndim == nd + 1:
            return fn(x[None], *rest, **kw)[0]
        return fn(x, *rest, **kw)

    return ref


op("conv1d", op=lambda x, w, kw: _F().conv1d(x, w, **kw), ref=lambda x, w, kw: _batched_ref(_np_conv, 1)(x, w, **kw),
   torch=lambda x, w, kw: _t().nn.functional.conv1d(x, w, **kw), samples=_conv_samples(_CONV1D))
op("conv3d", op=lambda x, w, kw: _F().conv3d(x, w, **kw), ref=lambda x, w, kw: _batched_ref(_np_conv, 3)(x, w, **kw),
   torch=lambda x, w, kw: _t().nn.functional.conv3d(x, w, **kw), samples=_conv_samples(_CONV3D))
op("conv1d_bias", op=lambda x, w, b: _F().conv1d(x, w, b, stride=2),
   ref=lambda x, w, b: _np_conv(x, w, stride=2) + b[None, :, None],
   torch=lambda x, w, b: _t().nn.functional.conv1d(x, w, b, stride=2),
   samples=lambda rng: [Sample((_r(rng, 2, 2, 7), _r(rng, 3, 2, 3), _r(rng, 3)))])
op("conv3d_bias", op=lambda x, w, b: _F().conv3d(x, w, b, padding=1),
   ref=lambda x, w, b: _np_conv(x, w, padding=1) + b[None, :, None, None, None],
   torch=lambda x, w, b: _t().nn.functional.conv3d(x, w, b, padding=1),
   samples=lambda rng: [Sample((_r(rng, 1, 2, 3, 3, 3), _r(rng, 3, 2, 2, 2, 2), _r(rng, 3)))])

_CONVT1D = [
    ({"stride": 2, "padding": 1, "output_padding": 1}, (2, 3, 4), (3, 2, 3)),
    ({"groups": 2, "dilation": 2}, (1, 4, 5), (4, 1, 3)),
    ({"stride": 3}, (2, 4), (2, 3, 2)),  # unbatched
]
_CONVT3D = [
    ({"stride": 2, "padding": 1, "output_padding": 1}, (1, 2, 3, 2, 3), (2, 2, 3, 2, 3)),
    ({"groups": 2, "stride": (1, 2, 1), "dilation": (2, 1, 1)}, (2, 4, 2, 3, 2), (4, 1, 2, 2, 2)),
    ({"stride": 2, "dilation": 3, "output_padding": 2}, (2, 2, 2, 2), (2, 1, 2, 2, 2)),  # output_padding >= stride
]
op("conv_transpose1d", op=lambda x, w, kw: _F().conv_transpose1d(x, w, **kw),
   ref=lambda x, w, kw: _batched_ref(_np_conv_t, 1)(x, w, **kw),
   torch=lambda x, w, kw: _t().nn.functional.conv_transpose1d(x, w, **kw), samples=_conv_samples(_CONVT1D))
op("conv_transpose3d", op=lambda x, w, kw: _F().conv_transpose3d(x, w, **kw),
   ref=lambda x, w, kw: _batched_ref(_np_conv_t, 3)(x, w, **kw),
   torch=lambda x, w, kw: _t().nn.functional.conv_transpose3d(x, w, **kw), samples=_conv_samples(_CONVT3D))
op("conv_transpose3d_bias", op=lambda x, w, b: _F().conv_transpose3d(x, w, b, stride=2),
   ref=lambda x, w, b: _np_conv_t(x, w, stride=2) + b[None, :, None, None, None],
   torch=lambda x, w, b: _t().nn.functional.conv_transpose3d(x, w, b, stride=2),
   samples=lambda rng: [Sample((_r(rng, 1, 2, 2, 2, 2), _r(rng, 2, 3, 2, 2, 2), _r(rng, 3)))])


# ---------------------------------------------------------------------- pooling
def _pool_samples(gen, cases):
    def samples(rng):
        return [Sample((gen(rng, *shape),), {"kw": kw}, name=_kw_name(kw)) for kw, shape in cases]

    return samples


_MAX1D = [({"kernel_size": 2}, (2, 3, 6)), ({"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 1}, (1, 2, 7)),
          ({"kernel_size": 2, "dilation": 2, "ceil_mode": True}, (2, 7)), ({"kernel_size": 3, "stride": 1}, (1, 2, 5))]
_MAX3D = [({"kernel_size": 2}, (1, 2, 4, 4, 4)),
          ({"kernel_size": (3, 2, 3), "stride": (2, 1, 2), "padding": (1, 0, 1)}, (1, 2, 5, 4, 5)),
          ({"kernel_size": 2, "stride": 1, "dilation": (2, 1, 1), "ceil_mode": True}, (2, 5, 3, 4)),
          ({"kernel_size": 2, "stride": 2, "ceil_mode": True}, (1, 1, 5, 3, 5))]
_AVG1D = [({"kernel_size": 2}, (2, 3, 6)), ({"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
                                            (1, 2, 7)),
          ({"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, (2, 8))]
_AVG3D = [({"kernel_size": 2}, (1, 2, 4, 4, 4)),
          ({"kernel_size": (3, 2, 3), "stride": (2, 1, 2), "padding": (1, 0, 1), "count_include_pad": False},
           (1, 2, 5, 4, 5)),
          ({"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, (2, 4, 5, 4)),
          ({"kernel_size": 2, "divisor_override": 3}, (1, 1, 4, 3, 4))]


def _pool_ref(nd, mode):
    def ref(x, kw):
        kw = dict(kw)
        k = kw.pop("kernel_size")
        args = dict(stride=kw.get("stride"), padding=kw.get("padding", 0), dilation=kw.get("dilation", 1),
                    ceil_mode=kw.get("ceil_mode", False), mode=mode,
                    count_include_pad=kw.get("count_include_pad", True), divisor=kw.get("divisor_override"))
        return _batched_ref(_np_pool, nd)(x, k, **args)

    return ref


for _nd, _cases in ((1, _MAX1D), (3, _MAX3D)):
    op(f"max_pool{_nd}d", op=lambda x, kw, n=_nd: getattr(_F(), f"max_pool{n}d")(x, **kw), ref=_pool_ref(_nd, "max"),
       torch=lambda x, kw, n=_nd: getattr(_t().nn.functional, f"max_pool{n}d")(x, **kw),
       samples=_pool_samples(_uniq, _cases))
for _nd, _cases in ((1, _AVG1D), (3, _AVG3D)):
    op(f"avg_pool{_nd}d", op=lambda x, kw, n=_nd: getattr(_F(), f"avg_pool{n}d")(x, **kw), ref=_pool_ref(_nd, "avg"),
       torch=lambda x, kw, n=_nd: getattr(_t().nn.functional, f"avg_pool{n}d")(x, **kw),
       samples=_pool_samples(_r, _cases))
op("max_pool3d_indices", op=lambda x: _F().max_pool3d(x, 2, 1, return_indices=True)[0],
   ref=lambda x: _np_pool(x, 2, 1), torch=lambda x: _t().nn.functional.max_pool3d(x, 2, 1, return_indices=True)[0],
   samples=lambda rng: [Sample((_uniq(rng, 1, 2, 3, 4, 3),))])

_ADAPTIVE = {
    1: [((2, 3, 7), 3), ((2, 5), 5), ((1, 2, 4), 6)],
    2: [((2, 2, 5, 7), (2, 3)), ((2, 6, 4), (None, 3)), ((1, 1, 4, 3), 1)],
    3: [((1, 2, 5, 4, 3), (2, 3, 2)), ((2, 3, 4, 5), 2), ((1, 1, 3, 4, 4), (3, None, 2))],
}
for _nd, _cases in _ADAPTIVE.items():
    for _mode in ("avg", "max"):
        if (_nd, _mode) == (2, "avg"):
            continue  # adaptive_avg_pool2d has its row in tests/op_db.py
        _name = f"adaptive_{_mode}_pool{_nd}d"
        op(_name, op=lambda x, o, n=_name: getattr(_F(), n)(x, o),
           ref=lambda x, o, nd=_nd, m=_mode: _batched_ref(_np_adaptive, nd)(x, o, m),
           torch=lambda x, o, n=_name: getattr(_t().nn.functional, n)(x, o),
           samples=lambda rng, cases=_cases, m=_mode: [Sample(((_uniq if m == "max" else _r)(rng, *s),), {"o": o},
                                                              name=f"{s}_{o}".replace(" ", "")) for s, o in cases])


def _unpool_samples(nd):
    def samples(rng):
        out = []
        for n, c, ins, outs in [(2, 2, (2,) * nd, (4,) * nd), (1, 3, (3,) * nd, (5,) * nd)]:
            m, s = math.prod(ins), math.prod(outs)
            idx = np.stack([rng.choice(s, m, replace=False) for _ in range(n * c)]).reshape((n, c) + ins)
            out.append(Sample((_r(rng, n, c, *ins),), {"idx": idx, "os": outs}, name=f"out{outs[0]}"))
        return out

    return samples


for _nd in (1, 2, 3):
    _name = f"max_unpool{_nd}d"
    op(_name, op=lambda x, idx, os, n=_name: getattr(_F(), n)(x, ag.tensor(idx), 2, output_size=os),
       ref=lambda x, idx, os: _np_unpool(x, idx, os),
       torch=lambda x, idx, os, n=_name: getattr(_t().nn.functional, n)(x, _t().tensor(idx), 2, output_size=os),
       samples=_unpool_samples(_nd))
op("max_unpool2d_of_pool", op=lambda x: _F().max_unpool2d(*_F().max_pool2d(x, 2, return_indices=True), 2),
   ref=lambda x: np.where(x == np.repeat(np.repeat(_np_pool(x, 2), 2, 2), 2, 3), x, 0.0),
   torch=lambda x: _t().nn.functional.max_unpool2d(*_t().nn.functional.max_pool2d(x, 2, return_indices=True), 2),
   samples=lambda rng: [Sample((_uniq(rng, 2, 2, 4, 6),))])

for _nd, _shape, _k in ((1, (2, 3, 7), 3), (2, (1, 2, 5, 6), (2, 3)), (3, (1, 2, 4, 3, 5), 2)):
    _name = f"lp_pool{_nd}d"
    op(_name, op=lambda x, p, kw, n=_name, k=_k: getattr(_F(), n)(x, p, k, **kw),
       ref=lambda x, p, kw, nd=_nd, k=_k: (_np_pool(x ** p, k, kw.get("stride"), ceil_mode=kw.get("ceil_mode", False),
                                                    mode="avg") * math.prod(_tup(k, nd))) ** (1 / p),
       torch=lambda x, p, kw, n=_name, k=_k: getattr(_t().nn.functional, n)(x, p, k, **kw),
       samples=lambda rng, s=_shape: [Sample((_pos(rng, *s),), {"p": 2.0, "kw": {}}, name="p2"),
                                      Sample((_pos(rng, *s),), {"p": 1.5, "kw": {"stride": 1}}, name="p1.5_s1"),
                                      Sample((_pos(rng, *s),), {"p": 3.0, "kw": {"stride": 2, "ceil_mode": True}},
                                             name="p3_ceil")])


# ---------------------------------------------------------------------- normalisation
op("group_norm", op=lambda x, w, b, g: _F().group_norm(x, g, w, b),
   ref=lambda x, w, b, g: _np_group_norm(x, g, w, b),
   torch=lambda x, w, b, g: _t().nn.functional.group_norm(x, g, w, b),
   samples=lambda rng: [Sample((_r(rng, 2, 4, 3), _r(rng, 4), _r(rng, 4)), {"g": 2}, name="NCL_g2"),
                        Sample((_r(rng, 2, 6, 2, 3), _r(rng, 6), _r(rng, 6)), {"g": 3}, name="NCHW_g3"),
                        Sample((_r(rng, 3, 4), _r(rng, 4), _r(rng, 4)), {"g": 1}, name="NC_g1")])
op("group_norm_noaffine", op=lambda x: _F().group_norm(x, 2, eps=1e-3), ref=lambda x: _np_group_norm(x, 2, eps=1e-3),
   torch=lambda x: _t().nn.functional.group_norm(x, 2, eps=1e-3),
   samples=lambda rng: [Sample((_r(rng, 2, 4, 2, 2, 2),), name="NCDHW")])
op("instance_norm", op=lambda x, w, b: _F().instance_norm(x, weight=w, bias=b),
   ref=lambda x, w, b: _np_instance_norm(x, w, b),
   torch=lambda x, w, b: _t().nn.functional.instance_norm(x, weight=w, bias=b),
   samples=lambda rng: [Sample((_r(rng, 2, 3, 4), _r(rng, 3), _r(rng, 3)), name="NCL"),
                        Sample((_r(rng, 2, 2, 3, 3), _r(rng, 2), _r(rng, 2)), name="NCHW")])
op("instance_norm_noaffine", op=lambda x: _F().instance_norm(x), ref=lambda x: _np_instance_norm(x),
   torch=lambda x: _t().nn.functional.instance_norm(x), samples=lambda rng: [Sample((_r(rng, 2, 2, 2, 3, 2),))])
op("instance_norm_eval", op=lambda x, w, b, rm, rv: _F().instance_norm(
    x, ag.tensor(rm, dtype=x.dtype), ag.tensor(rv, dtype=x.dtype), w, b, use_input_stats=False),
   ref=lambda x, w, b, rm, rv: _np_instance_norm(x, w, b, rm, rv),
   torch=lambda x, w, b, rm, rv: _t().nn.functional.instance_norm(
       x, _t().tensor(rm, dtype=x.dtype), _t().tensor(rv, dtype=x.dtype), w, b, use_input_stats=False),
   samples=lambda rng: [Sample((_r(rng, 2, 3, 4), _r(rng, 3), _r(rng, 3)), {"rm": _r(rng, 3), "rv": _pos(rng, 3)})])
op("rms_norm", op=lambda x, w, ns: _F().rms_norm(x, ns, w), ref=lambda x, w, ns: _np_rms_norm(x, len(ns), w),
   torch=lambda x, w, ns: _t().nn.functional.rms_norm(x, ns, w),
   samples=lambda rng: [Sample((_r(rng, 2, 3, 4), _r(rng, 4)), {"ns": (4,)}, name="last"),
                        Sample((_r(rng, 2, 3, 4), _r(rng, 3, 4)), {"ns": (3, 4)}, name="last2")])
op("rms_norm_eps", op=lambda x: _F().rms_norm(x, (3,), eps=0.1), ref=lambda x: _np_rms_norm(x, 1, eps=0.1),
   torch=lambda x: _t().nn.functional.rms_norm(x, (3,), eps=0.1), samples=lambda rng: [Sample((_r(rng, 4, 3),))])
op("local_response_norm", op=lambda x, kw: _F().local_response_norm(x, **kw), ref=lambda x, kw: _np_lrn(x, **kw),
   torch=lambda x, kw: _t().nn.functional.local_response_norm(x, **kw),
   samples=lambda rng: [Sample((_r(rng, 2, 5, 3),), {"kw": {"size": 3}}, name="NCL_3"),
                        Sample((_r(rng, 1, 6, 2, 3),), {"kw": {"size": 2, "alpha": 0.1, "beta": 0.5, "k": 2.0}},
                               name="NCHW_2"),
                        Sample((_r(rng, 1, 4, 2, 2, 2),), {"kw": {"size": 4, "alpha": 0.3}}, name="NCDHW_4")])


# ---------------------------------------------------------------------- dropout (seeded: the mask is a constant)
# No torch twin: PyTorch's masks come from its own generator. The reference redraws the mask from the same seed
# by the documented rule (keep where uniform >= p, one value per channel for channel dropout); tests in
# tests/test_nn_layers_nd.py check the statistics and the mask shapes.
def _seeded(fn):
    def run(x, p, **kw):
        ag.manual_seed(11)
        return fn(x, p, training=True, **kw)

    return run


def _np_mask(shape, p, feature):
    shp = tuple(shape[:feature]) + (1,) * (len(shape) - feature) if feature else tuple(shape)
    return np.random.default_rng(11).random(shp) >= p


def _np_alpha(x, p, feature):
    alpha = 1.7580993408473766
    keep = _np_mask(x.shape, p, feature)
    a = 1 / np.sqrt((alpha ** 2 * p + 1) * (1 - p))
    return x * keep * a + (keep - 1.0) * alpha * a + alpha * a * p


for _name, _shape, _feat in (("dropout1d", (3, 4, 5), 2), ("dropout2d", (2, 3, 2, 3), 2),
                             ("dropout3d", (3, 2, 2, 2), 1)):  # the last is an unbatched (C, D, H, W)
    op(_name, op=lambda x, p, n=_name: _seeded(getattr(_F(), n))(x, p),
       ref=lambda x, p, f=_feat: x * _np_mask(x.shape, p, f) / (1 - p), torch=None,
       samples=lambda rng, s=_shape: [Sample((_r(rng, *s),), {"p": 0.4})])
op("alpha_dropout", op=lambda x, p: _seeded(_F().alpha_dropout)(x, p), ref=lambda x, p: _np_alpha(x, p, 0), torch=None,
   samples=lambda rng: [Sample((_r(rng, 4, 5),), {"p": 0.3})])
op("feature_alpha_dropout", op=lambda x, p: _seeded(_F().feature_alpha_dropout)(x, p),
   ref=lambda x, p: _np_alpha(x, p, 2), torch=None, samples=lambda rng: [Sample((_r(rng, 3, 4, 2),), {"p": 0.3})])
