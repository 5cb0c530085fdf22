"""Op-table rows for nn.functional ops (activations, padding modes, interpolation, im2col, distances, losses).

The numpy references are direct and independent of the implementations: padding through ``np.pad`` (its
reflect / edge / wrap modes), interpolation through a dense (out x in) matrix per dim built from PyTorch's
documented source-index rules, im2col and col2im through loops over the output blocks, pixel shuffle through
its index formula, activations and losses from their textbook formulas.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from op_db import _F, Sample, _pos, _r, _t, op

import autograd_core as ag


def _TF():
    return _t().nn.functional


def _avoid(kinks, lo=-4.0, hi=4.0, gap=0.1):
    """Uniform values in [lo, hi] at least ``gap`` away from every kink (finite differences stay smooth)."""
    def gen(rng, *shape):
        a = rng.uniform(lo, hi, shape)
        for k in kinks:
            near = np.abs(a - k) < gap
            a = np.where(near, k + np.copysign(gap * 2, a - k + 1e-12), a)
        return a

    return gen


def _act_samples(gen):
    def samples(rng):
        return [Sample((gen(rng, 3, 4),), name="2d"), Sample((gen(rng),), name="0d"),
                Sample((np.asfortranarray(gen(rng, 4, 3)).T,), name="noncontig")]

    return samples


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def _softplus(a):
    return np.logaddexp(0, a)


# ---------------------------------------------------------------------- activations
_SELU_A, _SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

op("relu6", op=lambda a: _F().relu6(a), ref=lambda a: np.clip(a, 0, 6), torch=lambda a: _TF().relu6(a),
   samples=_act_samples(_avoid([0, 6], -2, 8)))
op("hardsigmoid", op=lambda a: _F().hardsigmoid(a), ref=lambda a: np.clip(a + 3, 0, 6) / 6,
   torch=lambda a: _TF().hardsigmoid(a), samples=_act_samples(_avoid([-3, 3], -5, 5)), covers=("Hardsigmoid",))
op("hardswish", op=lambda a: _F().hardswish(a), ref=lambda a: a * np.clip(a + 3, 0, 6) / 6,
   torch=lambda a: _TF().hardswish(a), samples=_act_samples(_avoid([-3, 3], -5, 5)), covers=("Hardswish",))
op("selu", op=lambda a: ag.selu(a), ref=lambda a: _SELU_S * np.where(a > 0, a, _SELU_A * np.expm1(a)),
   torch=lambda a: _t().selu(a), samples=_act_samples(_avoid([0])))
op("celu", op=lambda a, al: ag.celu(a, al), ref=lambda a, al: np.where(a > 0, a, al * np.expm1(a / al)),
   torch=lambda a, al: _t().celu(a, al),
   samples=lambda rng: [Sample((_avoid([0])(rng, 3, 4),), {"al": al}, name=f"alpha{al}") for al in (1.0, 0.5, 2.0)])
op("threshold", op=lambda a, th, v: ag.threshold(a, th, v), ref=lambda a, th, v: np.where(a > th, a, v),
   torch=lambda a, th, v: _t().threshold(a, th, v), covers=("Threshold",),
   samples=lambda rng: [Sample((_avoid([0.3])(rng, 3, 4),), {"th": 0.3, "v": -2.0}),
                        Sample((_avoid([-1.0])(rng, 5),), {"th": -1.0, "v": 0.0}, name="v0")])
op("hardshrink", op=lambda a, lam: ag.hardshrink(a, lam), ref=lambda a, lam: np.where(np.abs(a) > lam, a, 0.0),
   torch=lambda a, lam: _t().hardshrink(a, lam), covers=("Hardshrink",),
   samples=lambda rng: [Sample((_avoid([-0.5, 0.5])(rng, 3, 4),), {"lam": 0.5}),
                        Sample((_avoid([-1.5, 1.5])(rng, 2, 3, 2),), {"lam": 1.5}, name="lam1.5")])
op("hardshrink_method", op=lambda a: a.hardshrink(), ref=lambda a: np.where(np.abs(a) > 0.5, a, 0.0),
   torch=lambda a: a.hardshrink(), samples=_act_samples(_avoid([-0.5, 0.5])))
op("softshrink", op=lambda a, lam: _F().softshrink(a, lam),
   ref=lambda a, lam: np.where(a > lam, a - lam, np.where(a < -lam, a + lam, 0.0)),
   torch=lambda a, lam: _TF().softshrink(a, lam), covers=("Softshrink",),
   samples=lambda rng: [Sample((_avoid([-0.5, 0.5])(rng, 3, 4),), {"lam": 0.5}),
                        Sample((_avoid([-1.0, 1.0])(rng, 6),), {"lam": 1.0}, name="lam1")])
op("softsign", op=lambda a: _F().softsign(a), ref=lambda a: a / (1 + np.abs(a)), torch=lambda a: _TF().softsign(a),
   samples=_act_samples(_avoid([0])))
op("tanhshrink", op=lambda a: _F().tanhshrink(a), ref=lambda a: a - np.tanh(a), torch=lambda a: _TF().tanhshrink(a),
   samples=_act_samples(_r))
op("mish", op=lambda a: _F().mish(a), ref=lambda a: a * np.tanh(_softplus(a)), torch=lambda a: _TF().mish(a),
   samples=_act_samples(_avoid([], -6, 6)))
op("gelu", op=lambda a, ap: _F().gelu(a, approximate=ap),
   ref=lambda a, ap: (0.5 * a * (1 + np.tanh(math.sqrt(2 / math.pi) * (a + 0.044715 * a ** 3)))) if ap == "tanh"
   else 0.5 * a * (1 + np.vectorize(math.erf)(a / math.sqrt(2))),
   torch=lambda a, ap: _TF().gelu(a, approximate=ap),
   samples=lambda rng: [Sample((_r(rng, 3, 4) * 2,), {"ap": ap}, name=ap) for ap in ("none", "tanh")])
op("silu", op=lambda a: _F().silu(a), ref=lambda a: a * _sigmoid(a), torch=lambda a: _TF().silu(a),
   samples=_act_samples(_r))
op("logsigmoid", op=lambda a: _F().logsigmoid(a), ref=lambda a: -_softplus(-a), torch=lambda a: _TF().logsigmoid(a),
   samples=lambda rng: [Sample((_r(rng, 3, 4) * 10,), name="wide"), Sample((_r(rng),), name="0d")])
op("softmin", op=lambda a, d: _F().softmin(a, d),
   ref=lambda a, d: np.exp(-a - np.log(np.exp(-a).sum(d, keepdims=True))),
   torch=lambda a, d: _TF().softmin(a, d),
   samples=lambda rng: [Sample((_r(rng, 3, 4),), {"d": d}, name=f"dim{d}") for d in (0, 1, -1)])
op("glu", op=lambda a, d: _F().glu(a, d),
   ref=lambda a, d: np.split(a, 2, d)[0] * _sigmoid(np.split(a, 2, d)[1]), torch=lambda a, d: _TF().glu(a, d),
   samples=lambda rng: [Sample((_r(rng, 3, 4),), {"d": -1}, name="last"),
                        Sample((_r(rng, 2, 6, 3),), {"d": 1}, name="dim1"), Sample((_r(rng, 2),), {"d": 0}, name="1d")])

# in-place forms (nn.functional's inplace=True and the *_ functions), on a non-leaf copy of the input
op("selu_inplace", op=lambda a: _F().selu(a * 1.0, inplace=True),
   ref=lambda a: _SELU_S * np.where(a > 0, a, _SELU_A * np.expm1(a)),
   torch=lambda a: _TF().selu(a * 1.0, inplace=True), samples=_act_samples(_avoid([0])))
op("hardswish_inplace", op=lambda a: _F().hardswish(a * 1.0, inplace=True), ref=lambda a: a * np.clip(a + 3, 0, 6) / 6,
   torch=lambda a: _TF().hardswish(a * 1.0, inplace=True), samples=_act_samples(_avoid([-3, 3], -5, 5)))
op("leaky_relu_", op=lambda a: _F().leaky_relu_(a * 1.0, 0.2), ref=lambda a: np.where(a > 0, a, 0.2 * a),
   torch=lambda a: _TF().leaky_relu_(a * 1.0, 0.2), samples=_act_samples(_avoid([0])))
# alpha 0.75: PyTorch's celu gradient carries float32 rounding of an alpha that float32 cannot hold (0.7: ~1e-8)
op("celu_", op=lambda a: _F().celu_(a * 1.0, 0.75), ref=lambda a: np.where(a > 0, a, 0.75 * np.expm1(a / 0.75)),
   torch=lambda a: _TF().celu_(a * 1.0, 0.75), samples=_act_samples(_avoid([0])))
op("elu_inplace", op=lambda a: _F().elu(a * 1.0, 1.5, inplace=True),
   ref=lambda a: np.where(a > 0, a, 1.5 * np.expm1(a)),
   torch=lambda a: _TF().elu(a * 1.0, 1.5, inplace=True), samples=_act_samples(_avoid([0])))
op("mish_inplace", op=lambda a: _F().mish(a * 1.0, inplace=True), ref=lambda a: a * np.tanh(_softplus(a)),
   torch=lambda a: _TF().mish(a * 1.0, inplace=True), samples=_act_samples(_r))
op("threshold_", op=lambda a: _F().threshold_(a * 1.0, 0.2, 5.0), ref=lambda a: np.where(a > 0.2, a, 5.0),
   torch=lambda a: _TF().threshold_(a * 1.0, 0.2, 5.0), samples=_act_samples(_avoid([0.2])))


# ---------------------------------------------------------------------- padding modes
_NP_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _np_pad_mode(x, pad, mode):
    """np.pad's reflect / edge / wrap on the last len(pad) // 2 dims; negative pads crop first (circular: the
    wrap is around the cropped part, as PyTorch; reflect / replicate: the crop is taken from the padded result)."""
    k = len(pad) // 2
    pairs = [(0, 0)] * (x.ndim - k) + [(pad[2 * j], pad[2 * j + 1]) for j in reversed(range(k))]
    if mode == "circular":
        x = x[tuple(slice(max(-lo, 0), x.shape[i] - max(-hi, 0)) for i, (lo, hi) in enumerate(pairs))]
        return np.pad(x, [(max(lo, 0), max(hi, 0)) for lo, hi in pairs], mode="wrap")
    y = np.pad(x, [(max(lo, 0), max(hi, 0)) for lo, hi in pairs], mode=_NP_MODE[mode])
    return y[tuple(slice(max(-lo, 0), y.shape[i] - max(-hi, 0)) for i, (lo, hi) in enumerate(pairs))]


_PADS = [
    ((2, 3, 5), (2, 1), "1d"), ((3, 4), (1, 3), "1d_unbatched"), ((2, 2, 4, 5), (1, 2, 3, 0), "2d"),
    ((2, 3, 4), (2, 2, 1, 1), "2d_unbatched"), ((1, 2, 3, 4, 3), (1, 1, 2, 0, 1, 2), "3d"),
    ((2, 3, 5), (-1, 2), "crop_left"), ((1, 2, 4, 5), (2, -2, -1, 1), "2d_crop"),
]
for _mode in ("reflect", "replicate", "circular"):
    op(f"pad_{_mode}", op=lambda a, p, m=_mode: _F().pad(a, p, mode=m), ref=lambda a, p, m=_mode: _np_pad_mode(a, p, m),
       torch=lambda a, p, m=_mode: _TF().pad(a, p, mode=m), covers=("PadGather", "PadFold"),
       samples=lambda rng: [Sample((_r(rng, *s),), {"p": p}, name=n) for s, p, n in _PADS])


# ---------------------------------------------------------------------- interpolation
def _np_scale(n_in, n_out, sf, align):
    if align:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return 1.0 / sf if sf else n_in / n_out


def _np_matrix(n_in, n_out, sf, mode, align, shortcut):
    """The dense (n_out, n_in) resampling matrix of one dim, from PyTorch's documented rules."""
    m = np.zeros((n_out, n_in))
    s = _np_scale(n_in, n_out, sf, align)
    for o in range(n_out):
        if mode == "nearest":
            i = o if shortcut and n_out == n_in else o // 2 if shortcut and n_out == 2 * n_in else \
                min(int(math.floor(o * s)), n_in - 1)
            m[o, i] = 1
        elif mode == "nearest-exact":
            m[o, min(int(math.floor((o + 0.5) * s)), n_in - 1)] = 1
        elif mode == "linear":
            if n_out == n_in:
                m[o, o] = 1
                continue
            src = s * o if align else max(s * (o + 0.5) - 0.5, 0.0)
            i0 = min(int(math.floor(src)), n_in - 1)
            lam = min(max(src - i0, 0.0), 1.0)
            m[o, i0] += 1 - lam
            m[o, min(i0 + 1, n_in - 1)] += lam
        else:  # cubic, Keys' kernel with A = -0.75 at the 4 nearest taps, indices clamped to the border
            src = s * o if align else s * (o + 0.5) - 0.5
            i0 = int(math.floor(src))
            for i in range(i0 - 1, i0 + 3):
                d, a = abs(src - i), -0.75
                w = ((a + 2) * d - (a + 3)) * d * d + 1 if d <= 1 else ((a * d - 5 * a) * d + 8 * a) * d - 4 * a
                m[o, min(max(i, 0), n_in - 1)] += w
    return m


def _np_interp(x, size=None, scale_factor=None, mode="nearest", align_corners=None):
    k = x.ndim - 2
    sfs = (scale_factor if isinstance(scale_factor, tuple) else (scale_factor,) * k) if scale_factor else (None,) * k
    sizes = (size if isinstance(size, tuple) else (size,) * k) if size else \
        tuple(int(x.shape[2 + j] * sfs[j]) for j in range(k))
    kind = {"bilinear": "linear", "trilinear": "linear", "bicubic": "cubic"}.get(mode, mode)
    for j in range(k):
        mat = _np_matrix(x.shape[2 + j], sizes[j], sfs[j], kind, bool(align_corners), k == 2)
        x = np.moveaxis(np.tensordot(mat, np.moveaxis(x, 2 + j, 0), axes=1), 0, 2 + j)
    return x


_INTERP = [
    ((2, 2, 5), {"size": 8, "mode": "nearest"}), ((1, 2, 3, 4), {"scale_factor": 2, "mode": "nearest"}),
    ((1, 1, 2, 3, 2), {"size": (3, 4, 5), "mode": "nearest"}), ((2, 1, 7), {"size": 3, "mode": "nearest-exact"}),
    ((1, 2, 3, 5), {"scale_factor": (1.5, 0.6), "mode": "nearest-exact"}),
    ((2, 2, 4), {"size": 7, "mode": "linear"}), ((1, 2, 4), {"scale_factor": 2.5, "mode": "linear",
                                                              "align_corners": True}),
    ((1, 2, 3, 4), {"size": (5, 3), "mode": "bilinear"}),
    ((2, 1, 3, 3), {"scale_factor": 2, "mode": "bilinear", "align_corners": True}),
    ((1, 1, 2, 3, 3), {"size": (4, 2, 5), "mode": "trilinear"}),
    ((1, 2, 4, 3), {"size": (6, 7), "mode": "bicubic"}),
    ((1, 1, 3, 4), {"scale_factor": 1.5, "mode": "bicubic", "align_corners": True}),
]
op("interpolate", op=lambda a, kw: _F().interpolate(a, **kw), ref=lambda a, kw: _np_interp(a, **kw),
   torch=lambda a, kw: _TF().interpolate(a, **kw), covers=("Resample", "ResampleAdjoint"),
   samples=lambda rng: [Sample((_r(rng, *s),), {"kw": kw}, name=f"{kw['mode']}_{'_'.join(map(str, s))}")
                        for s, kw in _INTERP])


def _np_area(x, size):
    out = np.zeros(x.shape[:2] + size)
    for o in itertools.product(*[range(v) for v in size]):
        sl = tuple(slice((o[i] * x.shape[2 + i]) // size[i], -(-((o[i] + 1) * x.shape[2 + i]) // size[i]))
                   for i in range(len(size)))
        out[(slice(None), slice(None)) + o] = x[(slice(None), slice(None)) + sl].mean(
            axis=tuple(range(2, x.ndim)))
    return out


op("interpolate_area", op=lambda a, s: _F().interpolate(a, size=s, mode="area"), ref=lambda a, s: _np_area(a, s),
   torch=lambda a, s: _TF().interpolate(a, size=s, mode="area"),
   samples=lambda rng: [Sample((_r(rng, 2, 2, 5, 4),), {"s": (3, 2)}), Sample((_r(rng, 1, 2, 7),), {"s": (3,)})])


# ---------------------------------------------------------------------- pixel shuffle, im2col
def _np_pixel_shuffle(x, r):
    *lead, c, h, w = x.shape
    out = np.zeros(tuple(lead) + (c // (r * r), h * r, w * r))
    for ch, i, j in itertools.product(range(c // (r * r)), range(r), range(r)):
        out[..., ch, i::r, j::r] = x[..., ch * r * r + i * r + j, :, :]
    return out


def _np_pixel_unshuffle(x, r):
    *lead, c, h, w = x.shape
    out = np.zeros(tuple(lead) + (c * r * r, h // r, w // r))
    for ch, i, j in itertools.product(range(c), range(r), range(r)):
        out[..., ch * r * r + i * r + j, :, :] = x[..., ch, i::r, j::r]
    return out


op("pixel_shuffle", op=lambda a, r: ag.pixel_shuffle(a, r), ref=_np_pixel_shuffle,
   torch=lambda a, r: _t().pixel_shuffle(a, r),
   samples=lambda rng: [Sample((_r(rng, 2, 8, 2, 3),), {"r": 2}), Sample((_r(rng, 9, 2, 2),), {"r": 3}, name="3d"),
                        Sample((_r(rng, 2, 1, 4, 1, 2),), {"r": 2}, name="5d")])
op("pixel_unshuffle", op=lambda a, r: _F().pixel_unshuffle(a, r), ref=_np_pixel_unshuffle,
   torch=lambda a, r: _TF().pixel_unshuffle(a, r),
   samples=lambda rng: [Sample((_r(rng, 2, 2, 4, 6),), {"r": 2}), Sample((_r(rng, 1, 3, 3),), {"r": 3}, name="3d")])


def _pair(v):
    return tuple(v) if isinstance(v, tuple) else (v, v)


def _np_unfold(x, k, d=1, p=0, s=1):
    batched = x.ndim == 4
    x = x if batched else x[None]
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = _pair(k), _pair(d), _pair(p), _pair(s)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    n, c, h, w = xp.shape
    oh, ow = (h - dh * (kh - 1) - 1) // sh + 1, (w - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, c * kh * kw, oh * ow))
    for ch, i, j, y, z in itertools.product(range(c), range(kh), range(kw), range(oh), range(ow)):
        out[:, ch * kh * kw + i * kw + j, y * ow + z] = xp[:, ch, y * sh + i * dh, z * sw + j * dw]
    return out if batched else out[0]


def _np_fold(cols, size, k, d=1, p=0, s=1):
    batched = cols.ndim == 3
    cols = cols if batched else cols[None]
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = _pair(k), _pair(d), _pair(p), _pair(s)
    h, w = size[0] + 2 * ph, size[1] + 2 * pw
    oh, ow = (h - dh * (kh - 1) - 1) // sh + 1, (w - dw * (kw - 1) - 1) // sw + 1
    c = cols.shape[1] // (kh * kw)
    out = np.zeros((cols.shape[0], c, h, w))
    for ch, i, j, y, z in itertools.product(range(c), range(kh), range(kw), range(oh), range(ow)):
        out[:, ch, y * sh + i * dh, z * sw + j * dw] += cols[:, ch * kh * kw + i * kw + j, y * ow + z]
    out = out[:, :, ph:ph + size[0], pw:pw + size[1]]
    return out if batched else out[0]


_UNFOLD = [((2, 2, 4, 5), {"k": 2}), ((1, 3, 5, 5), {"k": (2, 3), "d": (2, 1), "p": 1, "s": (1, 2)}),
           ((2, 4, 4), {"k": 3, "p": (1, 0), "s": 2})]
op("F.unfold", op=lambda a, kw: _F().unfold(a, kw["k"], kw.get("d", 1), kw.get("p", 0), kw.get("s", 1)),
   ref=lambda a, kw: _np_unfold(a, **kw),
   torch=lambda a, kw: _TF().unfold(a, kw["k"], kw.get("d", 1), kw.get("p", 0), kw.get("s", 1)),
   covers=("Im2Col", "Col2Im"), samples=lambda rng: [Sample((_r(rng, *s),), {"kw": kw}, name=f"k{kw['k']}")
                                                     for s, kw in _UNFOLD])
_FOLD = [((2, 8, 12), {"size": (4, 5), "k": 2}), ((1, 12, 9), {"size": (5, 5), "k": (2, 3), "p": 1, "s": (2, 2)}),
         ((18, 2), {"size": (4, 4), "k": 3, "d": (1, 2), "p": (1, 1), "s": 2})]
op("F.fold", op=lambda a, kw: _F().fold(a, kw["size"], kw["k"], kw.get("d", 1), kw.get("p", 0), kw.get("s", 1)),
   ref=lambda a, kw: _np_fold(a, **kw),
   torch=lambda a, kw: _TF().fold(a, kw["size"], kw["k"], kw.get("d", 1), kw.get("p", 0), kw.get("s", 1)),
   covers=("Col2Im", "Im2Col"), samples=lambda rng: [Sample((_r(rng, *s),), {"kw": kw}, name=f"k{kw['k']}")
                                                     for s, kw in _FOLD])


# ---------------------------------------------------------------------- distances, bilinear
def _np_pnorm(a, p, axis, keepdims=False):
    if p == math.inf:
        return np.abs(a).max(axis, keepdims=keepdims)
    return (np.abs(a) ** p).sum(axis, keepdims=keepdims) ** (1 / p)


op("normalize", op=lambda a, p, d: _F().normalize(a, p, d),
   ref=lambda a, p, d: a / np.maximum(_np_pnorm(a, p, d, True), 1e-12), torch=lambda a, p, d: _TF().normalize(a, p, d),
   samples=lambda rng: [Sample((_r(rng, 3, 4),), {"p": 2.0, "d": 1}), Sample((_r(rng, 2, 3, 4),), {"p": 1.5, "d": 0},
                                                                              name="p1.5"),
                        Sample((_r(rng, 5),), {"p": 3.0, "d": -1}, name="1d")])


def _np_cos(a, b, d, eps=1e-8):
    a, b = np.broadcast_arrays(a, b)
    na = np.maximum(np.sqrt((a * a).sum(d, keepdims=True)), eps)
    nb = np.maximum(np.sqrt((b * b).sum(d, keepdims=True)), eps)
    return ((a / na) * (b / nb)).sum(d)


op("cosine_similarity", op=lambda a, b, d: _F().cosine_similarity(a, b, d), ref=_np_cos,
   torch=lambda a, b, d: _TF().cosine_similarity(a, b, d),
   samples=lambda rng: [Sample((_r(rng, 3, 4), _r(rng, 3, 4)), {"d": 1}), Sample((_r(rng, 2, 3, 4), _r(rng, 3, 1)),
                                                                                 {"d": -2}, name="broadcast"),
                        Sample((_r(rng, 5), _r(rng, 5)), {"d": 0}, name="1d")])
op("pairwise_distance", op=lambda a, b, p, k: _F().pairwise_distance(a, b, p, keepdim=k),
   ref=lambda a, b, p, k: _np_pnorm(a - b + 1e-6, p, -1, k),
   torch=lambda a, b, p, k: _TF().pairwise_distance(a, b, p, keepdim=k),
   samples=lambda rng: [Sample((_r(rng, 3, 4), _r(rng, 3, 4)), {"p": 2.0, "k": False}),
                        Sample((_r(rng, 3, 4), _r(rng, 4)), {"p": 1.0, "k": True}, name="p1_broadcast"),
                        Sample((_r(rng, 2, 5), _r(rng, 2, 5)), {"p": 3.0, "k": False}, name="p3")])
op("bilinear", op=lambda a, b, w, bias: _F().bilinear(a, b, w, bias),
   ref=lambda a, b, w, bias: np.einsum("...i,oij,...j->...o", a, w, b) + bias,
   torch=lambda a, b, w, bias: _TF().bilinear(a, b, w, bias),
   samples=lambda rng: [Sample((_r(rng, 4, 2), _r(rng, 4, 3), _r(rng, 5, 2, 3), _r(rng, 5))),
                        Sample((_r(rng, 2, 3, 2), _r(rng, 2, 3, 4), _r(rng, 2, 2, 4), _r(rng, 2)), name="batch2d")])


# ---------------------------------------------------------------------- losses
def _red(loss, r):
    return loss.mean() if r == "mean" else loss.sum() if r == "sum" else loss


def _sign(rng, *shape):
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0)


def _reductions(make):
    return lambda rng: [_with_red(make(rng), r) for r in ("mean", "sum", "none")]


def _c(y, like):
    """A constant target in the input's dtype (so the float32 runs stay float32)."""
    return ag.tensor(np.asarray(y, dtype=like.dtype))


def _with_red(args_kwargs, r):
    args, kw = args_kwargs
    return Sample(args, {**kw, "r": r}, name=r)


def _np_margin_ranking(a, b, y, m, r):
    return _red(np.maximum(0, -y * (a - b) + m), r)


op("margin_ranking_loss", op=lambda a, b, y, m, r: _F().margin_ranking_loss(a, b, _c(y, a), m, reduction=r),
   ref=_np_margin_ranking, torch=lambda a, b, y, m, r: _TF().margin_ranking_loss(a, b, _t().tensor(y), m, reduction=r),
   samples=_reductions(lambda rng: ((_r(rng, 6), _r(rng, 6)), {"y": _sign(rng, 6), "m": 0.1})))
op("hinge_embedding_loss", op=lambda a, y, m, r: _F().hinge_embedding_loss(a, _c(y, a), m, reduction=r),
   ref=lambda a, y, m, r: _red(np.where(y == 1, a, 0) + np.where(y == -1, np.maximum(0, m - a), 0), r),
   torch=lambda a, y, m, r: _TF().hinge_embedding_loss(a, _t().tensor(y), m, reduction=r),
   samples=_reductions(lambda rng: ((_avoid([1.5])(rng, 3, 4),), {"y": _sign(rng, 3, 4), "m": 1.5})))
op("soft_margin_loss", op=lambda a, y, r: _F().soft_margin_loss(a, _c(y, a), reduction=r),
   ref=lambda a, y, r: _red(np.log1p(np.exp(-y * a)), r),
   torch=lambda a, y, r: _TF().soft_margin_loss(a, _t().tensor(y), reduction=r),
   samples=_reductions(lambda rng: ((_r(rng, 3, 4),), {"y": _sign(rng, 3, 4)})))


def _np_mlsm(a, y, w, r):
    loss = -(y * -_softplus(-a) + (1 - y) * -_softplus(a))
    if w is not None:
        loss = loss * w
    return _red(loss.mean(-1), r)


op("multilabel_soft_margin_loss",
   op=lambda a, y, w, r: _F().multilabel_soft_margin_loss(a, _c(y, a), None if w is None else ag.tensor(w),
                                                          reduction=r),
   ref=_np_mlsm, torch=lambda a, y, w, r: _TF().multilabel_soft_margin_loss(
       a, _t().tensor(y), None if w is None else _t().tensor(w), reduction=r),
   samples=lambda rng: [Sample((_r(rng, 3, 4),), {"y": (rng.random((3, 4)) < 0.5) * 1.0, "w": None, "r": r}, name=r)
                        for r in ("mean", "sum", "none")]
   + [Sample((_r(rng, 3, 4),), {"y": rng.random((3, 4)), "w": _pos(rng, 4), "r": "mean"}, name="weighted")])


def _np_cel(a, b, y, m, r):
    d = y.ndim
    cos = (a * b).sum(d) / np.sqrt(((a * a).sum(d) + 1e-12) * ((b * b).sum(d) + 1e-12))
    return _red(np.where(y == 1, 1 - cos, 0) + np.where(y == -1, np.maximum(0, cos - m), 0), r)


op("cosine_embedding_loss",
   op=lambda a, b, y, m, r: _F().cosine_embedding_loss(a, b, _c(y, a), m, reduction=r), ref=_np_cel,
   torch=lambda a, b, y, m, r: _TF().cosine_embedding_loss(a, b, _t().tensor(y), m, reduction=r),
   samples=lambda rng: [_with_red(((_r(rng, 5, 3), _r(rng, 5, 3)), {"y": _sign(rng, 5), "m": -0.9}), r)
                        for r in ("mean", "sum", "none")]
   + [Sample((_r(rng, 4), _r(rng, 4)), {"y": np.array(-1.0), "m": -0.9, "r": "mean"}, name="0d_target")])


def _np_triplet(a, p, n, m, pn, swap, r):
    dp, dn = _np_pnorm(a - p + 1e-6, pn, -1), _np_pnorm(a - n + 1e-6, pn, -1)
    if swap:
        dn = np.minimum(dn, _np_pnorm(p - n + 1e-6, pn, -1))
    return _red(np.maximum(0, m + dp - dn), r)


op("triplet_margin_loss",
   op=lambda a, p, n, m, pn, swap, r: _F().triplet_margin_loss(a, p, n, m, pn, swap=swap, reduction=r),
   ref=_np_triplet,
   torch=lambda a, p, n, m, pn, swap, r: _TF().triplet_margin_loss(a, p, n, m, pn, swap=swap, reduction=r),
   samples=lambda rng: [Sample((_r(rng, 4, 3), _r(rng, 4, 3), _r(rng, 4, 3)),
                               {"m": 5.0, "pn": pn, "swap": sw, "r": r}, name=f"p{pn}_swap{sw}_{r}")
                        for pn, sw, r in ((2.0, False, "mean"), (1.0, True, "sum"), (3.0, False, "none"))])


def _np_multi_margin(a, t, p, m, w, r):
    a2 = a.reshape(-1, a.shape[-1]) if a.ndim else a.reshape(1, 1)
    n, c = a2.shape
    out = np.zeros(n)
    for i in range(n):
        y = int(t.reshape(-1)[i])
        for j in range(c):
            if j != y:
                z = max(0.0, m - a2[i, y] + a2[i, j]) ** p
                out[i] += z * (1.0 if w is None else w[y])
    out /= c
    return _red(out, r) if r != "none" else out.reshape(t.shape)


op("multi_margin_loss",
   op=lambda a, t, p, m, w, r: _F().multi_margin_loss(a, ag.tensor(t), p, m, None if w is None else _c(w, a),
                                                      reduction=r),
   ref=_np_multi_margin,
   torch=lambda a, t, p, m, w, r: _TF().multi_margin_loss(a, _t().tensor(t), p, m,
                                                          None if w is None else _t().tensor(w), reduction=r),
   samples=lambda rng: [Sample((_avoid([], -1, 1)(rng, 4, 5) * 3,), {"t": rng.integers(0, 5, 4), "p": p, "m": m,
                                                                  "w": w, "r": r}, name=f"p{p}_{r}")
                        for p, m, w, r in ((1, 1.0, None, "mean"), (2, 0.5, _pos(rng, 5), "sum"),
                                           (1, 2.0, None, "none"))]
   + [Sample((_r(rng, 5),), {"t": np.array(2), "p": 1, "m": 1.0, "w": None, "r": "none"}, name="1d")])


def _np_poisson(a, y, li, full, r):
    loss = np.exp(a) - y * a if li else a - y * np.log(a + 1e-8)
    if full:
        with np.errstate(divide="ignore", invalid="ignore"):
            st = y * np.log(y) - y + 0.5 * np.log(2 * np.pi * y)
        loss = loss + np.where(y <= 1, 0, st)
    return _red(loss, r)


op("poisson_nll_loss", op=lambda a, y, li, full, r: _F().poisson_nll_loss(a, _c(y, a), li, full, reduction=r),
   ref=_np_poisson, torch=lambda a, y, li, full, r: _TF().poisson_nll_loss(a, _t().tensor(y), li, full, reduction=r),
   samples=lambda rng: [Sample((_r(rng, 3, 4),), {"y": rng.integers(0, 5, (3, 4)) * 1.0, "li": True, "full": f,
                                                  "r": r}, name=f"log_full{f}_{r}")
                        for f, r in ((False, "mean"), (True, "sum"), (True, "none"))]
   + [Sample((_pos(rng, 3, 4),), {"y": _pos(rng, 3, 4) * 2, "li": False, "full": True, "r": "mean"}, name="rate")])


def _np_gaussian(a, y, v, full, r):
    v = np.maximum(v, 1e-6)
    loss = 0.5 * (np.log(v) + (a - y) ** 2 / v) + (0.5 * math.log(2 * math.pi) if full else 0)
    return _red(loss, r)


op("gaussian_nll_loss", op=lambda a, y, v, full, r: _F().gaussian_nll_loss(a, y, v, full, reduction=r),
   ref=lambda a, y, v, full, r: _np_gaussian(a, y, v if v.shape == a.shape or v.ndim == a.ndim else v[..., None],
                                             full, r),
   torch=lambda a, y, v, full, r: _TF().gaussian_nll_loss(a, y, v, full, reduction=r),
   samples=lambda rng: [Sample((_r(rng, 3, 4), _r(rng, 3, 4), _pos(rng, 3, 4)), {"full": False, "r": "mean"}),
                        Sample((_r(rng, 3, 4), _r(rng, 3, 4), _pos(rng, 3)), {"full": True, "r": "sum"},
                               name="homoscedastic"),
                        Sample((_r(rng, 2, 3), _r(rng, 2, 3), _pos(rng, 2, 1)), {"full": False, "r": "none"},
                               name="broadcast_var")])
