"""Fuzzer registry entries for the nn-breadth ops: channel_shuffle, pdist, embedding_bag, grid_sample, affine_grid,
ctc_loss, rrelu (evaluation mode), multilabel_margin_loss, triplet_margin_with_distance_loss.

PyTorch 2.13 has no second derivative of pdist, embedding_bag, ctc_loss and multilabel_margin_loss ("the derivative
for '_pdist_backward' is not implemented" and the like), and the runner compares second derivatives in all-float64
programs: there these ops get new constant inputs (their forward is still compared; ours, compositions of recorded
ops except ctc_loss, are gradgradchecked in tests/op_db_nn_extra.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .ops import _inplace_target, float_arg, isf, lit, reg, small

EXCLUDED_API: dict[str, str] = {
    "F.gumbel_softmax": "random (Gumbel noise): streams differ by design; tests/test_nn_extra.py checks its "
                        "distribution, the straight-through gradient, and tests/op_db_nn_extra.py gradchecks it seeded",
}


def _ri(ctx: Any, lo: int, hi: int) -> int:
    return int(ctx.rng.integers(lo, hi + 1))


def _red(ctx: Any) -> str:
    return ctx.choice(["mean", "sum", "none"])


def _no_gradgrad_arg(ctx: Any, shape: tuple, pred: Any = None) -> Any:
    """A float input for an op without a second derivative in torch: a new constant in float64 programs."""
    if ctx.fdt == "float64":
        return ctx.fresh(shape, "normal", rg=False)
    v = ctx.pick(lambda v: isf(v) and tuple(v.shape) == tuple(shape) and small(v, 300) and (pred is None or pred(v)))
    return v if v is not None else ctx.fresh(shape, "normal")


# ---------------------------------------------------------------------- channel_shuffle
def _shuffle_gen(ctx: Any) -> Any:
    x = ctx.pick(lambda v: (isf(v) or v.dtype == "int64") and len(v.shape) >= 3 and small(v, 300))
    if x is None:
        g = _ri(ctx, 1, 3)
        x = ctx.fresh((_ri(ctx, 1, 2), g * _ri(ctx, 1, 3)) + tuple(_ri(ctx, 1, 3) for _ in range(_ri(ctx, 1, 2))),
                      "normal")
    fn = ctx.choice(["channel_shuffle", "native_channel_shuffle"])
    if fn == "native_channel_shuffle" and x.rg:
        # torch 2.13's native_channel_shuffle has no derivative ("derivative for aten::native_channel_shuffle is
        # not implemented"); ours is channel_shuffle, differentiable: compared on a constant
        x = ctx.fresh(tuple(x.shape), "normal", dtype=x.dtype, rg=False)
    c = x.shape[1]
    divs = [g for g in range(1, c + 1) if c % g == 0] or [1]
    g = ctx.choice(divs) if ctx.rng.random() < 0.95 else c + 1  # a group count that does not divide: an error
    return [x], {"g": g, "fn": fn}


reg("channel_shuffle", "shape", _shuffle_gen, lambda a, p: f"F.{p['fn']}({a[0]}, {p['g']})")


# ---------------------------------------------------------------------- pdist
def _pdist_gen(ctx: Any) -> Any:
    shape = (_ri(ctx, 0 if ctx.rng.random() < 0.1 else 1, 5), _ri(ctx, 1, 4))
    # torch 2.13 segfaults in pdist's backward of a 0-row input: that case only as a constant
    x = ctx.fresh(shape, "normal", rg=False) if shape[0] == 0 else _no_gradgrad_arg(ctx, shape)
    return [x], {"p": ctx.choice([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, float("inf")])}


reg("pdist", "reduction", _pdist_gen, lambda a, p: f"F.pdist({a[0]}, p={lit(p['p'])})")


# ---------------------------------------------------------------------- triplet_margin_with_distance_loss
_DISTANCES = {
    None: "",
    "l1": "lambda u, v: F.pairwise_distance(u, v, p=1.0)",
    "cos": "lambda u, v: 1.0 - F.cosine_similarity(u, v)",
}


def _triplet_gen(ctx: Any) -> Any:
    batched = ctx.rng.random() < 0.8
    x = float_arg(ctx, "normal", lambda v: len(v.shape) == (2 if batched else 1) and 0 not in v.shape,
                  min_nd=2 if batched else 1, max_nd=2 if batched else 1)
    if x is None:
        return None
    shape = tuple(x.shape)
    d = ctx.choice([None, None, "l1", "cos"]) if batched else ctx.choice([None, "l1"])
    return [x, ctx.fresh(shape, "normal"), ctx.fresh(shape, "normal")], {
        "d": d, "m": ctx.choice([1.0, 0.5, 2.0]), "swap": bool(ctx.rng.random() < 0.3), "red": _red(ctx)}


def _triplet_code(a: list, p: dict) -> str:
    d = f", distance_function={_DISTANCES[p['d']]}" if p["d"] else ""
    return (f"F.triplet_margin_with_distance_loss({a[0]}, {a[1]}, {a[2]}{d}, margin={p['m']}, swap={p['swap']}, "
            f"reduction={p['red']!r})")


reg("triplet_margin_with_distance_loss", "loss", _triplet_gen, _triplet_code)


# ---------------------------------------------------------------------- multilabel_margin_loss
def _mlm_gen(ctx: Any) -> Any:
    nd = ctx.choice([1, 2, 2])
    c = _ri(ctx, 1, 5)
    n = _ri(ctx, 1, 3)
    shape = (n, c) if nd == 2 else (c,)
    x = _no_gradgrad_arg(ctx, shape)
    t = np.full((n, c), -1, dtype=np.int64)
    for r in range(n):
        k = _ri(ctx, 0, c)
        t[r, :k] = ctx.rng.integers(0, c, k)  # labels (repeats allowed), then -1, then anything valid
        if k + 1 < c:
            t[r, k + 1:] = ctx.rng.integers(-1, c, c - k - 1)
    return [x], {"t": t if nd == 2 else t[0], "red": _red(ctx)}


reg("multilabel_margin_loss", "loss", _mlm_gen,
    lambda a, p: f"F.multilabel_margin_loss({a[0]}, {lit(p['t'])}, reduction={p['red']!r})")


# ---------------------------------------------------------------------- embedding_bag
def _bag_gen(ctx: Any) -> Any:
    num, dim = _ri(ctx, 1, 6), _ri(ctx, 1, 4)
    w = _no_gradgrad_arg(ctx, (num, dim))
    mode = ctx.choice(["sum", "mean", "max"])
    p: dict = {"mode": mode}
    if ctx.rng.random() < 0.5:
        idx = ctx.rng.integers(0, num, (_ri(ctx, 0, 3), _ri(ctx, 1, 4)))
        p["off"] = None
    else:
        n = _ri(ctx, 0, 8)
        idx = ctx.rng.integers(0, num, n)
        nb = _ri(ctx, 1, 4)
        off = np.sort(ctx.rng.integers(0, n + 1, nb))
        off[0] = 0
        if ctx.rng.random() < 0.3:  # CSR form: one more offset, the input's length (torch misreads any other)
            p["ilo"] = True
            off = np.r_[off, n]
        p["off"] = off.astype(np.int64)
    p["idx"] = np.asarray(idx, dtype=ctx.choice(["int64", "int64", "int32"]))
    if p["off"] is not None and p["idx"].dtype == np.int32:
        p["off"] = p["off"].astype(np.int32)
    if ctx.rng.random() < 0.3:
        p["pi"] = int(ctx.rng.integers(-num, num))
    # no scale_grad_by_freq: torch 2.13's CPU backward divides each index's gradient by the count of another
    # index (it looks the count up by its loop counter over the sorted unique indices, not by the index), which
    # autograd_core does not copy; tests/test_nn_extra.py checks ours against the documented rule
    if ctx.rng.random() < 0.1:
        p["mn"] = ctx.choice([1.0, 0.5])
    args = [w]
    if mode == "sum" and ctx.rng.random() < 0.4:
        args.append(_no_gradgrad_arg(ctx, p["idx"].shape))
    return args, p


def _bag_code(a: list, p: dict) -> str:
    s = f"F.embedding_bag({lit(p['idx'])}, {a[0]}"
    s += f", {lit(p['off'])}" if p["off"] is not None else ""
    s += f", mode={p['mode']!r}"
    for key, name in (("pi", "padding_idx"), ("mn", "max_norm"), ("ilo", "include_last_offset")):
        if key in p:
            s += f", {name}={p[key]!r}"
    if len(a) > 1:
        s += f", per_sample_weights={a[1]}"
    return s + ")"


reg("embedding_bag", "kernel", _bag_gen, _bag_code)


# ---------------------------------------------------------------------- grid_sample, affine_grid
def _grid_sample_gen(ctx: Any) -> Any:
    nsp = 2 if ctx.rng.random() < 0.75 else 3
    n, c = _ri(ctx, 1, 2), _ri(ctx, 1, 3)
    x = ctx.pick(lambda v: isf(v) and len(v.shape) == nsp + 2 and 0 not in v.shape[2:] and small(v, 300))
    if x is None:
        x = ctx.fresh((n, c) + tuple(_ri(ctx, 1, 4) for _ in range(nsp)), "normal")
    n = x.shape[0]
    gshape = (n,) + tuple(_ri(ctx, 1, 3) for _ in range(nsp)) + (nsp,)
    g = ctx.pick(lambda v: isf(v) and tuple(v.shape) == gshape and v.dtype == x.dtype)
    if g is None:
        g = ctx.fresh(gshape, "normal", dtype=x.dtype)
    mode = ctx.choice(["bilinear", "nearest"] + (["bicubic"] if nsp == 2 else []))
    return [x, g], {"mode": mode, "pm": ctx.choice(["zeros", "border", "reflection"]),
                    "ac": bool(ctx.rng.random() < 0.5)}


reg("grid_sample", "kernel", _grid_sample_gen,
    lambda a, p: f"F.grid_sample({a[0]}, {a[1]}, mode={p['mode']!r}, padding_mode={p['pm']!r}, "
                 f"align_corners={p['ac']})")


def _affine_grid_gen(ctx: Any) -> Any:
    nsp = 2 if ctx.rng.random() < 0.7 else 3
    n = _ri(ctx, 1, 2)
    theta = float_arg(ctx, "normal", lambda v: tuple(v.shape) == (n, nsp, nsp + 1), shape=(n, nsp, nsp + 1))
    if theta is None:
        return None
    size = (theta.shape[0], _ri(ctx, 1, 3)) + tuple(_ri(ctx, 1, 4) for _ in range(nsp))
    return [theta], {"size": size, "ac": bool(ctx.rng.random() < 0.5)}


reg("affine_grid", "kernel", _affine_grid_gen,
    lambda a, p: f"F.affine_grid({a[0]}, {p['size']!r}, align_corners={p['ac']})")


# ---------------------------------------------------------------------- ctc_loss
def _ctc_gen(ctx: Any) -> Any:
    t_max, n, c = _ri(ctx, 1, 6), _ri(ctx, 1, 3), _ri(ctx, 2, 5)
    lp = _no_gradgrad_arg(ctx, (t_max, n, c))
    blank = ctx.choice([0, 0, c - 1])
    labels = [k for k in range(c) if k != blank]
    il = ctx.rng.integers(0, t_max + 1, n)
    il[0] = t_max
    tl = ctx.rng.integers(0, 4, n)
    p: dict = {"blank": blank, "red": _red(ctx), "zi": bool(ctx.rng.random() < 0.3),
               "lsm": bool(ctx.rng.random() < 0.7), "il": il.tolist(), "tl": tl.tolist(),
               "tens": bool(ctx.rng.random() < 0.5)}
    if ctx.rng.random() < 0.5:
        p["t"] = np.asarray(ctx.rng.choice(labels, (n, int(tl.max()) + _ri(ctx, 0, 1))), dtype=np.int64)
    else:
        p["t"] = np.asarray(ctx.rng.choice(labels, int(tl.sum())), dtype=np.int64)  # concatenated form
    return [lp], p


def _ctc_code(a: list, p: dict) -> str:
    lp = f"{a[0]}.log_softmax(2)" if p["lsm"] else a[0]
    if p["tens"]:
        il, tl = lit(np.asarray(p["il"], dtype=np.int64)), lit(np.asarray(p["tl"], dtype=np.int64))
    else:
        il, tl = repr(tuple(p["il"])), repr(tuple(p["tl"]))
    return (f"F.ctc_loss({lp}, {lit(p['t'])}, {il}, {tl}, blank={p['blank']}, reduction={p['red']!r}, "
            f"zero_infinity={p['zi']})")


reg("ctc_loss", "loss", _ctc_gen, _ctc_code)


# ---------------------------------------------------------------------- rrelu (evaluation mode: deterministic)
def _rrelu_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "normal")
    if x is None:
        return None
    lo, hi = ctx.choice([(1 / 8, 1 / 3), (0.1, 0.3), (0.2, 0.2), (0.4, 0.1)])  # the last: lower > upper, an error
    return [x], {"lo": lo, "hi": hi}


reg("rrelu", "activation", _rrelu_gen, lambda a, p: f"F.rrelu({a[0]}, {p['lo']!r}, {p['hi']!r})")


def _rrelu_inplace_gen(ctx: Any) -> Any:
    t = _inplace_target(ctx)
    if t is None:
        return None
    return [t], {"under": bool(ctx.rng.random() < 0.5)}


def _rrelu_inplace_code(a: list, p: dict) -> str:
    if p["under"]:
        return f"{{o0}} = F.rrelu_({a[0]}, 0.1, 0.3)"
    return f"{{o0}} = F.rrelu({a[0]}, 0.1, 0.3, inplace=True)"


reg("F.rrelu_", "inplace", _rrelu_inplace_gen, _rrelu_inplace_code, stmt=True, inplace=True)
