"""Op-table rows for the nn-breadth ops: channel_shuffle, pdist, embedding_bag, grid_sample, affine_grid, ctc_loss,
rrelu, gumbel_softmax, multilabel_margin_loss and triplet_margin_with_distance_loss.

The numpy references are direct and naive: scalar loops over output positions, bags and pairs, PyTorch's
coordinate rules for grid_sample written out per pixel, and for ctc_loss the sum over every alignment path (tiny
inputs), so none shares code with the implementations. Samples keep away from kinks (integer grid coordinates,
zero margins, ties) so that finite differences are meaningful.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from op_db import _F, COVERED_ELSEWHERE, Sample, _r, _t, _uniq, op

import autograd_core as ag

# ctc_loss is one once-differentiable node (as PyTorch's): the rows below gradcheck its backward; covers= would ask
# the second order too, which raises by design
COVERED_ELSEWHERE["CTCLoss"] = ("rows ctc_loss_* in tests/op_db_nn_extra.py (first order; once-differentiable) and "
                                "tests/test_nn_extra.py::test_ctc_loss_is_once_differentiable_as_pytorch")


# ---------------------------------------------------------------------- channel_shuffle
def _np_shuffle(x, g):
    c = x.shape[1]
    k = c // g
    out = np.empty_like(x)
    for i in range(g):
        for j in range(k):
            out[:, j * g + i] = x[:, i * k + j]
    return out


op("channel_shuffle", op=lambda x, g: _F().channel_shuffle(x, g), ref=_np_shuffle,
   torch=lambda x, g: _t().nn.functional.channel_shuffle(x, g),
   samples=lambda rng: [Sample((_r(rng, 2, 6, 3),), {"g": 3}, name="ncl"),
                        Sample((_r(rng, 1, 4, 2, 3),), {"g": 2}, name="nchw"),
                        Sample((np.asfortranarray(_r(rng, 2, 4, 3)),), {"g": 4}, name="noncontig")])


# ---------------------------------------------------------------------- pdist
def _np_pdist(x, p):
    n = x.shape[0]
    out = []
    for i in range(n):
        for j in range(i + 1, n):
            d = np.abs(x[i] - x[j])
            if p == 0:
                out.append(float((d != 0).sum()))
            elif math.isinf(p):
                out.append(d.max())
            else:
                out.append((d ** p).sum() ** (1.0 / p))
    return np.array(out)


op("pdist", op=lambda x, p: _F().pdist(x, p), ref=_np_pdist, torch=lambda x, p: _t().nn.functional.pdist(x, p),
   samples=lambda rng: [Sample((_uniq(rng, 4, 3),), {"p": p}, name=f"p{p}")
                        for p in (2.0, 1.0, 3.0, 1.5, 0.5, float("inf"), 0.0)])


# ---------------------------------------------------------------------- triplet_margin_with_distance_loss
def _np_pair(a, b):
    return np.sqrt(((a - b + 1e-6) ** 2).sum(-1))


def _np_l1(a, b):
    return np.abs(a - b).sum(-1)


def _np_triplet(a, p, n, dist, margin, swap, reduction):
    dn = dist(a, n)
    if swap:
        dn = np.minimum(dn, dist(p, n))
    loss = np.maximum(margin + dist(a, p) - dn, 0)
    return {"mean": loss.mean(), "sum": loss.sum(), "none": loss}[reduction]


def _triplet_kw(kw):
    if kw.get("dist") == "l1":
        return dict(kw, dist=None), lambda u, v: (u - v).abs().sum(-1), _np_l1
    return dict(kw, dist=None), None, _np_pair


def _triplet_op(lib_f):
    def run(a, p, n, kw):
        kw, d, _ = _triplet_kw(kw)
        return lib_f().triplet_margin_with_distance_loss(a, p, n, distance_function=d, margin=kw["margin"],
                                                         swap=kw["swap"], reduction=kw["reduction"])

    return run


op("triplet_margin_with_distance_loss", op=_triplet_op(_F),
   ref=lambda a, p, n, kw: _np_triplet(a, p, n, _triplet_kw(kw)[2], kw["margin"], kw["swap"], kw["reduction"]),
   torch=_triplet_op(lambda: _t().nn.functional),
   samples=lambda rng: [Sample((_r(rng, 5, 3), _r(rng, 5, 3), _r(rng, 5, 3)),
                               {"kw": {"margin": m, "swap": s, "reduction": r, "dist": d}}, name=f"{d}_{s}_{r}")
                        for m, s, r, d in ((1.0, False, "mean", None), (2.0, True, "none", None),
                                           (3.0, False, "sum", "l1"), (1.5, True, "mean", "l1"))])


# ---------------------------------------------------------------------- multilabel_margin_loss
def _np_mlm(x, t, red):
    x2, t2 = (x[None], t[None]) if x.ndim == 1 else (x, t)
    c = x2.shape[1]
    losses = []
    for row, tr in zip(x2, t2):
        labels = []
        for v in tr:
            if v == -1:
                break
            labels.append(int(v))
        s = 0.0
        for j in labels:
            for i in range(c):
                if i not in labels:
                    s += max(0.0, 1.0 - (row[j] - row[i]))
        losses.append(s / c)
    loss = np.array(losses)
    if red == "none":
        return loss if x.ndim == 2 else loss[0]
    return loss.mean() if red == "mean" else loss.sum()


op("multilabel_margin_loss", op=lambda x, t, red: _F().multilabel_margin_loss(x, ag.tensor(t), reduction=red),
   ref=_np_mlm, torch=lambda x, t, red: _t().nn.functional.multilabel_margin_loss(x, _t().tensor(t), reduction=red),
   samples=lambda rng: [
       Sample((_uniq(rng, 3, 5) * 0.3,), {"t": np.array([[3, 0, -1, 1, 2], [0, 1, 2, 3, 4], [4, 4, -1, 0, 0]]),
                                          "red": r}, name=r) for r in ("mean", "sum", "none")]
   + [Sample((_uniq(rng, 4) * 0.3,), {"t": np.array([2, 0, -1, 1]), "red": "none"}, name="1d")])


# ---------------------------------------------------------------------- embedding_bag
def _np_bags(idx, offsets, include_last):
    if idx.ndim == 2:
        return [list(r) for r in idx]
    ends = list(offsets[1:]) + ([] if include_last else [len(idx)])
    return [list(idx[s:e]) for s, e in zip(offsets, ends)]


def _np_bag(w, *psw, idx, off, kw):
    bags = _np_bags(idx, off, kw.get("include_last_offset", False))
    psw_bags = _np_bags(psw[0].reshape(idx.shape), off, kw.get("include_last_offset", False)) if psw else None
    pad = kw.get("padding_idx")
    pad = None if pad is None else pad % w.shape[0]
    out = np.zeros((len(bags), w.shape[1]))
    for b, bag in enumerate(bags):
        rows = [(w[i] * (psw_bags[b][k] if psw else 1.0)) for k, i in enumerate(bag) if i != pad]
        if not rows:
            continue
        mode = kw.get("mode", "mean")
        out[b] = np.max(rows, 0) if mode == "max" else np.sum(rows, 0) / (len(rows) if mode == "mean" else 1)
    return out


def _ag_bag(w, *psw, idx, off, kw):
    return _F().embedding_bag(ag.tensor(idx), w, None if off is None else ag.tensor(off),
                              per_sample_weights=psw[0] if psw else None, **kw)


def _torch_bag(w, *psw, idx, off, kw):
    t = _t()
    return t.nn.functional.embedding_bag(t.tensor(idx), w, None if off is None else t.tensor(off),
                                         per_sample_weights=psw[0] if psw else None, **kw)


# (scale_grad_by_freq changes the gradient on purpose, so finite differences cannot check it: tests/test_nn_extra.py)
_BAG_CASES = [
    ("mean_offsets", np.array([1, 2, 4, 4, 3, 0, 5, 5]), np.array([0, 2, 2, 5]), {}),
    ("sum_2d", np.array([[1, 2, 4], [4, 3, 0]]), None, {"mode": "sum"}),
    ("max_offsets", np.array([1, 2, 4, 3, 0, 5]), np.array([0, 3, 3]), {"mode": "max"}),
    ("mean_padding", np.array([1, 2, 4, 4, 3, 0, 5, 5]), np.array([0, 2, 5]), {"padding_idx": 4}),
    ("max_padding_last", np.array([1, 2, 4, 3, 0]), np.array([0, 2, 5]), {"mode": "max", "padding_idx": -1,
                                                                          "include_last_offset": True}),
]
op("embedding_bag", op=_ag_bag, ref=_np_bag, torch=_torch_bag,
   samples=lambda rng: [Sample((_uniq(rng, 6, 3),), {"idx": i, "off": o, "kw": kw}, name=n)
                        for n, i, o, kw in _BAG_CASES])
op("embedding_bag_per_sample_weights", op=_ag_bag, ref=_np_bag, torch=_torch_bag,
   samples=lambda rng: [Sample((_r(rng, 6, 3), _r(rng, 7)), {"idx": np.array([1, 2, 4, 4, 3, 0, 5]),
                                                             "off": np.array([0, 3, 3]), "kw": {"mode": "sum"}}),
                        Sample((_r(rng, 6, 3), _r(rng, 2, 3)), {"idx": np.array([[1, 2, 5], [4, 4, 0]]), "off": None,
                                                               "kw": {"mode": "sum", "padding_idx": 5}},
                               name="2d_padding")])


# ---------------------------------------------------------------------- grid_sample (per-pixel reference)
def _np_unnorm(c, size, ac):
    return (c + 1) / 2 * (size - 1) if ac else ((c + 1) * size - 1) / 2


def _np_reflect(x, lo2, hi2):
    if lo2 == hi2:
        return 0.0
    mn, span = lo2 / 2, (hi2 - lo2) / 2
    x = abs(x - mn)
    extra, flips = math.fmod(x, span), math.floor(x / span)
    return extra + mn if flips % 2 == 0 else span - extra + mn


def _np_padc(x, size, pm, ac):
    if pm == "border":
        return min(max(x, 0.0), size - 1.0)
    if pm == "reflection":
        x = _np_reflect(x, 0, 2 * (size - 1)) if ac else _np_reflect(x, -1, 2 * size - 1)
        return min(max(x, 0.0), size - 1.0)
    return x


def _np_read(img, pos):
    if all(0 <= p < s for p, s in zip(pos, img.shape[1:])):
        return img[(slice(None),) + tuple(pos)]
    return np.zeros(img.shape[0])


def _np_cubic(t):
    a = -0.75

    def near(v):
        return ((a + 2) * v - (a + 3)) * v * v + 1

    def far(v):
        return ((a * v - 5 * a) * v + 8 * a) * v - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _np_grid_sample(x, grid, mode, pm, ac):
    n, c = x.shape[:2]
    sizes = x.shape[2:]
    nsp = len(sizes)
    out = np.zeros((n, c) + grid.shape[1:-1])
    for b in range(n):
        for o in itertools.product(*[range(s) for s in grid.shape[1:-1]]):
            g = grid[(b,) + o]
            coords = [_np_unnorm(g[nsp - 1 - d], sizes[d], ac) for d in range(nsp)]  # spatial-dim order
            if mode == "bicubic":
                y, xx = coords
                y0, x0 = math.floor(y), math.floor(xx)
                wy, wx = _np_cubic(y - y0), _np_cubic(xx - x0)
                acc = np.zeros(c)
                for i in range(4):
                    for j in range(4):
                        py, px = y0 - 1 + i, x0 - 1 + j
                        if pm != "zeros":
                            py, px = int(_np_padc(py, sizes[0], pm, ac)), int(_np_padc(px, sizes[1], pm, ac))
                        acc += wy[i] * wx[j] * _np_read(x[b], (py, px))
                out[(b, slice(None)) + o] = acc
                continue
            coords = [_np_padc(v, s, pm, ac) for v, s in zip(coords, sizes)]
            if mode == "nearest":
                out[(b, slice(None)) + o] = _np_read(x[b], [int(np.rint(v)) for v in coords])
                continue
            acc = np.zeros(c)
            lo = [math.floor(v) for v in coords]
            for corner in itertools.product((0, 1), repeat=nsp):
                w = 1.0
                for d in range(nsp):
                    w *= (coords[d] - lo[d]) if corner[d] else (lo[d] + 1 - coords[d])
                acc += w * _np_read(x[b], [lo[d] + corner[d] for d in range(nsp)])
            out[(b, slice(None)) + o] = acc
    return out


def _grid(rng, *shape):
    """Grid coordinates in [-1.3, 1.3] whose source coordinates are not near an integer (no kinks)."""
    return rng.uniform(-1.3, 1.3, shape)


_GS = [(m, pm, ac) for m in ("bilinear", "nearest", "bicubic") for pm in ("zeros", "border", "reflection")
       for ac in (False, True)]
op("grid_sample", op=lambda x, g, kw: _F().grid_sample(x, g, **kw),
   ref=lambda x, g, kw: _np_grid_sample(x, g, kw["mode"], kw["padding_mode"], kw["align_corners"]),
   torch=lambda x, g, kw: _t().nn.functional.grid_sample(x, g, **kw),
   samples=lambda rng: [Sample((_r(rng, 2, 2, 3, 4), _grid(rng, 2, 2, 3, 2)),
                               {"kw": {"mode": m, "padding_mode": pm, "align_corners": ac}}, name=f"{m}_{pm}_{ac}")
                        for m, pm, ac in _GS])
op("grid_sample_3d", op=lambda x, g, kw: _F().grid_sample(x, g, **kw),
   ref=lambda x, g, kw: _np_grid_sample(x, g, kw["mode"], kw["padding_mode"], kw["align_corners"]),
   torch=lambda x, g, kw: _t().nn.functional.grid_sample(x, g, **kw),
   samples=lambda rng: [Sample((_r(rng, 1, 2, 2, 3, 3), _grid(rng, 1, 2, 1, 2, 3)),
                               {"kw": {"mode": m, "padding_mode": pm, "align_corners": ac}}, name=f"{m}_{pm}_{ac}")
                        for m, pm, ac in _GS if m != "bicubic"])


# ---------------------------------------------------------------------- affine_grid
def _np_axis(n, ac):
    if n == 1:
        return np.zeros(1)
    r = np.linspace(-1, 1, n)
    return r if ac else r * (n - 1) / n


def _np_affine_grid(theta, size, ac):
    spatial = size[2:]
    nsp = len(spatial)
    axes = [_np_axis(s, ac) for s in spatial]
    out = np.zeros((size[0],) + tuple(spatial) + (nsp,))
    for b in range(size[0]):
        for pos in itertools.product(*[range(s) for s in spatial]):
            v = np.array([axes[nsp - 1 - k][pos[nsp - 1 - k]] for k in range(nsp)] + [1.0])  # (x, y[, z], 1)
            out[(b,) + pos] = theta[b] @ v
    return out


op("affine_grid", op=lambda t, size, ac: _F().affine_grid(t, size, align_corners=ac), ref=_np_affine_grid,
   torch=lambda t, size, ac: _t().nn.functional.affine_grid(t, size, align_corners=ac),
   samples=lambda rng: [Sample((_r(rng, 2, 2, 3),), {"size": (2, 3, 4, 5), "ac": False}, name="2d"),
                        Sample((_r(rng, 2, 2, 3),), {"size": (2, 1, 3, 1), "ac": False}, name="2d_unit"),
                        Sample((_r(rng, 1, 3, 4),), {"size": (1, 2, 2, 3, 4), "ac": True}, name="3d")])


# ---------------------------------------------------------------------- ctc_loss (brute force over alignments)
def _np_collapse(path, blank):
    out, prev = [], None
    for s in path:
        if s != prev and s != blank:
            out.append(s)
        prev = s
    return out


def _np_ctc(x, targets, il, tl, blank=0, reduction="mean", zero_infinity=False):
    lp = x - np.log(np.exp(x).sum(2, keepdims=True))  # log_softmax
    n, c = lp.shape[1], lp.shape[2]
    ends = np.cumsum(tl)
    losses = []
    for b in range(n):
        tgt = list(targets[b, :tl[b]]) if targets.ndim == 2 else list(targets[ends[b] - tl[b]:ends[b]])
        terms = [sum(lp[t, b, s] for t, s in enumerate(path))
                 for path in itertools.product(range(c), repeat=int(il[b])) if _np_collapse(path, blank) == tgt]
        nll = -np.logaddexp.reduce(terms) if terms else np.inf
        losses.append(0.0 if (zero_infinity and np.isinf(nll)) else nll)
    loss = np.array(losses)
    if reduction == "mean":
        return (loss / np.maximum(np.asarray(tl), 1)).mean()
    return loss.sum() if reduction == "sum" else loss


def _ctc_op(f):
    def run(x, targets, il, tl, **kw):
        return f().ctc_loss(x.log_softmax(2), (ag if f is _F else _t()).tensor(targets), il, tl, **kw)

    return run


_CTC = [
    ("mean", np.array([[1, 2], [2, 2], [1, 0]]), [4, 4, 3], [2, 2, 1], {}),
    ("sum_blank2", np.array([[1, 0], [0, 1], [1, 1]]), [4, 3, 4], [2, 1, 2], {"blank": 2, "reduction": "sum"}),
    ("none_concat", np.array([1, 2, 2, 1]), [4, 4, 2], [2, 1, 1], {"reduction": "none"}),
    ("zero_infinity", np.array([[1, 1], [2, 1], [1, 2]]), [4, 2, 4], [2, 2, 2],
     {"reduction": "none", "zero_infinity": True}),
]
op("ctc_loss_log_softmax", op=_ctc_op(_F), ref=_np_ctc, torch=_ctc_op(lambda: _t().nn.functional), gradgrad=False,
   samples=lambda rng: [Sample((_r(rng, 4, 3, 3),), dict(kw, targets=t, il=il, tl=tl), name=n)
                        for n, t, il, tl, kw in _CTC])


# ---------------------------------------------------------------------- rrelu and gumbel_softmax
def _np_rrelu_eval(x, lo, hi):
    return np.where(x >= 0, x, x * (lo + hi) / 2)


op("rrelu_eval", op=lambda x, lo, hi: _F().rrelu(x, lo, hi), ref=_np_rrelu_eval,
   torch=lambda x, lo, hi: _t().nn.functional.rrelu(x, lo, hi),
   samples=lambda rng: [Sample((_uniq(rng, 3, 4),), {"lo": 1 / 8, "hi": 1 / 3}, name="default"),
                        Sample((_uniq(rng, 5),), {"lo": 0.1, "hi": 0.5}, name="wide")])


# Training mode and Gumbel noise are random: seeded, with the reference redrawing the same stream by the
# documented rule (one slope a ~ U(lower, upper) per element, kept where x <= 0; E ~ Exp(1) per logit and
# g = -log E). No torch twin (its own generator); tests/test_nn_extra.py checks the distributions.
def _rrelu_train(x, lo, hi):
    ag.manual_seed(11)
    return _F().rrelu(x, lo, hi, training=True)


def _np_rrelu_train(x, lo, hi):
    a = np.random.default_rng(11).uniform(lo, hi, x.shape)
    return np.where(x <= 0, a * x, x)


op("rrelu_train", op=_rrelu_train, ref=_np_rrelu_train, torch=None,
   samples=lambda rng: [Sample((_uniq(rng, 3, 4),), {"lo": 0.1, "hi": 0.4})])


def _gumbel(x, tau, dim):
    ag.manual_seed(11)
    return _F().gumbel_softmax(x, tau=tau, dim=dim)


def _np_gumbel(x, tau, dim):
    z = (x - np.log(np.random.default_rng(11).exponential(1.0, x.shape))) / tau
    e = np.exp(z - z.max(dim, keepdims=True))
    return e / e.sum(dim, keepdims=True)


op("gumbel_softmax", op=_gumbel, ref=_np_gumbel, torch=None,
   samples=lambda rng: [Sample((_r(rng, 3, 4),), {"tau": 1.0, "dim": -1}, name="last"),
                        Sample((_r(rng, 3, 4),), {"tau": 0.5, "dim": 0}, name="dim0_tau")])
