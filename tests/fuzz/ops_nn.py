"""Fuzzer registry entries for nn.functional ops (activations and their in-place forms, padding modes,
interpolation, pixel shuffle, im2col, distances, bilinear, margin / embedding / likelihood losses)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .ops import _inplace_target, float_arg, isf, lit, reg, small

EXCLUDED_API: dict[str, str] = {}


def _ri(ctx: Any, lo: int, hi: int) -> int:
    return int(ctx.rng.integers(lo, hi + 1))


def _form(ctx: Any, top: bool) -> str:
    """Where the call is spelled: F.<name> or, for names torch also has at top level, M.<name>."""
    return ctx.choice(["F", "M"]) if top else "F"


# ---------------------------------------------------------------------- activations
def _act(name: str, kind: str, params: Any, code: Any, top: bool = False) -> None:
    def gen(ctx: Any) -> Any:
        x = float_arg(ctx, kind)
        if x is None:
            return None
        return [x], {"form": _form(ctx, top), **params(ctx)}

    reg(name, "activation", gen, code)


def _call(name: str, extra: Any = None) -> Any:
    def code(a: list, p: dict) -> str:
        rest = extra(p) if extra else ""
        return f"{p['form']}.{name}({a[0]}{rest})"

    return code


_act("relu6", "away", lambda c: {}, _call("relu6"))


def _hardsigmoid_gen(ctx: Any) -> Any:
    # torch 2.13 has no second derivative of hardsigmoid ("derivative for aten::hardsigmoid_backward is not
    # implemented"); second derivatives are compared in all-float64 programs only, so there the input is a new
    # constant (ours is gradgradchecked in tests/op_db_nn.py)
    x = ctx.fresh(ctx.shape(), "normal", rg=False) if ctx.fdt == "float64" else float_arg(ctx, "normal")
    return None if x is None else ([x], {"form": "F"})


reg("hardsigmoid", "activation", _hardsigmoid_gen, _call("hardsigmoid"))
_act("hardswish", "normal", lambda c: {}, _call("hardswish"))
_act("selu", "normal", lambda c: {}, _call("selu"), top=True)
_act("celu", "normal", lambda c: {"al": c.choice([1.0, 0.5, 2.0])}, _call("celu", lambda p: f", {p['al']}"), top=True)
_act("mish", "normal", lambda c: {}, _call("mish"))
_act("softsign", "normal", lambda c: {}, _call("softsign"))
_act("tanhshrink", "normal", lambda c: {}, _call("tanhshrink"))
_act("softshrink", "normal", lambda c: {"lam": c.choice([0.5, 0.2, 1.0])},
     _call("softshrink", lambda p: f", {p['lam']}"))
_act("threshold", "normal", lambda c: {"th": c.choice([0.0, 0.3, -0.5]), "v": c.choice([0.0, -1.0, 2.5])},
     _call("threshold", lambda p: f", {p['th']}, {p['v']}"), top=True)


def _hardshrink_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "normal")
    if x is None:
        return None
    return [x], {"form": ctx.choice(["F", "M", "method"]), "lam": ctx.choice([0.5, 0.2, 1.0, None])}


def _hardshrink_code(a: list, p: dict) -> str:
    lam = "" if p["lam"] is None else (f"{p['lam']}" if p["form"] == "method" else f", {p['lam']}")
    if p["form"] == "method":
        return f"{a[0]}.hardshrink({lam})"
    return f"{p['form']}.hardshrink({a[0]}{lam})"


reg("hardshrink", "activation", _hardshrink_gen, _hardshrink_code)


def _softmin_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "normal", lambda v: len(v.shape) >= 1, min_nd=1)
    if x is None:
        return None
    return [x], {"d": _ri(ctx, -len(x.shape), len(x.shape) - 1)}


reg("softmin", "activation", _softmin_gen, lambda a, p: f"F.softmin({a[0]}, dim={p['d']})")


def _glu_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "normal", lambda v: any(s % 2 == 0 for s in v.shape), min_nd=1)
    if x is None:
        x = ctx.fresh(ctx.shape(0, 2) + (2 * _ri(ctx, 1, 2),), "normal")
    dims = [d for d, s in enumerate(x.shape) if s % 2 == 0]
    if not dims:
        return None
    d = ctx.choice(dims)
    return [x], {"d": d - len(x.shape) if ctx.rng.random() < 0.5 else d}


reg("glu", "activation", _glu_gen, lambda a, p: f"F.glu({a[0]}, {p['d']})")


# in-place: F.<name>_(x, ...) and F.<name>(x, ..., inplace=True) on a value of the program
_INPLACE = {  # name -> (extra positional arguments, whether the name has a trailing-underscore F form)
    "relu": ("", True), "elu": (", 0.5", True), "leaky_relu": (", 0.2", True), "hardtanh": (", -0.5, 0.5", True),
    "celu": (", 1.5", True), "selu": ("", True), "threshold": (", 0.1, -2.0", True), "relu6": ("", False),
    "hardswish": ("", False), "hardsigmoid": ("", False), "mish": ("", False), "silu": ("", False),
}


def _inplace_act_gen(name: str | None) -> Any:
    def gen(ctx: Any) -> Any:
        t = _inplace_target(ctx)
        if t is None:
            return None
        # no hardsigmoid where second derivatives are compared (torch has none; see _hardsigmoid_gen)
        names = [n for n in sorted(_INPLACE) if n != "hardsigmoid" or ctx.fdt != "float64"]
        fn = name or ctx.choice(names)
        a = ctx.value(t)
        if fn == "threshold" and any(st == 0 and n > 1 for st, n in zip(a.strides, a.shape)):
            # torch 2.13's threshold_ alone skips the internal-overlap check and writes into an expanded tensor;
            # every other in-place op (and autograd_core's threshold_) refuses it
            return None
        return [t], {"fn": fn, "under": name is not None}

    return gen


def _inplace_act_code(a: list, p: dict) -> str:
    extra = _INPLACE[p["fn"]][0]
    if p["under"]:
        return f"{{o0}} = F.{p['fn']}_({a[0]}{extra})"
    return f"{{o0}} = F.{p['fn']}({a[0]}{extra}, inplace=True)"


reg("activation_inplace", "inplace", _inplace_act_gen(None), _inplace_act_code, stmt=True, inplace=True)
for _n in sorted(n for n, (_e, under) in _INPLACE.items() if under):
    reg(f"F.{_n}_", "inplace", _inplace_act_gen(_n), _inplace_act_code, stmt=True, inplace=True)


# ---------------------------------------------------------------------- padding modes
def _pad_mode_gen(ctx: Any) -> Any:
    k = _ri(ctx, 1, 3)
    x = ctx.pick(lambda v: isf(v) and len(v.shape) in (k + 1, k + 2) and 0 not in v.shape and small(v, 300))
    if x is None:
        x = ctx.fresh(tuple(_ri(ctx, 1, 3) for _ in range(_ri(ctx, 1, 2))) + tuple(_ri(ctx, 1, 4) for _ in range(k)),
                      "normal")
    mode = ctx.choice(["reflect", "replicate", "circular", "constant"])
    pads = []
    for j in range(k):
        n = x.shape[-1 - j]
        for _ in range(2):
            hi = n - 1 if mode == "reflect" else min(n, 3)
            pads.append(_ri(ctx, -min(n - 1, 1), max(hi, 0)))
        lo, hi_ = pads[-2], pads[-1]
        m = n - max(-lo, 0) - max(-hi_, 0)
        if m < 1 or (mode == "circular" and max(lo, hi_) > m):
            # an empty dim (PyTorch leaves the gradient of an empty reflect/replicate pad uninitialised) or a
            # circular pad longer than what is left after cropping (PyTorch then reads uninitialised memory)
            pads[-2:] = [max(lo, 0) if mode != "reflect" else min(max(lo, 0), n - 1), 0]
    p = {"p": tuple(pads), "mode": mode, "form": "F"}
    if mode == "constant":
        p["v"] = ctx.choice([0.0, 1.5])
    return [x], p


def _pad_mode_code(a: list, p: dict) -> str:
    if p["form"] == "M":
        return f"M.constant_pad_nd({a[0]}, {list(p['p'])!r}, {p['v']})"
    if p["mode"] == "constant":
        return f"F.pad({a[0]}, {p['p']!r}, mode='constant', value={p['v']})"
    return f"F.pad({a[0]}, {p['p']!r}, mode={p['mode']!r})"


reg("pad_modes", "shape", _pad_mode_gen, _pad_mode_code)


def _constant_pad_nd_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "normal", lambda v: len(v.shape) >= 1, min_nd=1)
    if x is None:
        return None
    pads = [_ri(ctx, -min(s // 2, 1), 2) for s in x.shape[::-1][:_ri(ctx, 1, min(len(x.shape), 3))] for _ in (0, 1)]
    return [x], {"p": tuple(pads), "v": ctx.choice([0.0, 1.5]), "form": "M", "mode": "constant"}


reg("constant_pad_nd", "shape", _constant_pad_nd_gen, _pad_mode_code)


# ---------------------------------------------------------------------- interpolation
_MODE_DIMS = {"nearest": (1, 2, 3), "nearest-exact": (1, 2, 3), "area": (1, 2, 3), "linear": (1,), "bilinear": (2,),
              "trilinear": (3,), "bicubic": (2,)}


def _interp_gen(ctx: Any, fn: str = "interpolate") -> Any:
    mode = {"upsample_nearest": "nearest", "upsample_bilinear": "bilinear"}.get(fn) or ctx.choice(sorted(_MODE_DIMS))
    k = ctx.choice(_MODE_DIMS[mode])
    x = ctx.pick(lambda v: isf(v) and len(v.shape) == k + 2 and 0 not in v.shape and small(v, 200))
    if x is None:
        x = ctx.fresh((_ri(ctx, 1, 2), _ri(ctx, 1, 2)) + tuple(_ri(ctx, 1, 5) for _ in range(k)), "normal")
    sizes = x.shape[2:]
    p: dict = {"mode": mode, "fn": fn}
    if ctx.rng.random() < 0.5:
        out = tuple(_ri(ctx, 1, 7) for _ in range(k))
        p["size"] = out if k > 1 or ctx.rng.random() < 0.5 else out[0]
    else:
        sf = tuple(ctx.choice([0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 0.75]) for _ in range(k))
        outs = [int(s * f) for s, f in zip(sizes, sf)]
        if min(outs) < 1:
            return None
        # PyTorch's own backward disagrees with its forward when a scale factor other than 1 or 2 gives an
        # unchanged or doubled size (nearest 1-d / 3-d, bicubic): keep away from those
        if any(o in (s, 2 * s) and f not in (1.0, 2.0) for o, s, f in zip(outs, sizes, sf)):
            return None
        p["scale_factor"] = sf if k > 1 or ctx.rng.random() < 0.5 else sf[0]
        if mode != "area" and fn == "interpolate" and ctx.rng.random() < 0.2:
            p["rsf"] = True
    if mode in ("linear", "bilinear", "trilinear", "bicubic") and fn in ("interpolate", "upsample") \
            and ctx.rng.random() < 0.6:
        p["ac"] = bool(ctx.rng.random() < 0.5)
    return [x], p


def _interp_code(a: list, p: dict) -> str:
    what = f"size={p['size']!r}" if "size" in p else f"scale_factor={p['scale_factor']!r}"
    if p["fn"] in ("upsample_nearest", "upsample_bilinear"):
        return f"F.{p['fn']}({a[0]}, {what})"
    src = f"F.{p['fn']}({a[0]}, {what}, mode={p['mode']!r}"
    if "ac" in p:
        src += f", align_corners={p['ac']}"
    if "rsf" in p:
        src += ", recompute_scale_factor=True"
    return src + ")"


reg("interpolate", "kernel", _interp_gen, _interp_code)
for _fn in ("upsample", "upsample_nearest", "upsample_bilinear"):  # deprecated aliases (they warn, as PyTorch's)
    reg(_fn, "kernel", lambda ctx, fn=_fn: _interp_gen(ctx, fn), _interp_code)


# ---------------------------------------------------------------------- pixel shuffle, im2col
def _shuffle_gen(ctx: Any) -> Any:
    r = ctx.choice([1, 2, 2, 3])
    lead = tuple(_ri(ctx, 1, 2) for _ in range(_ri(ctx, 0, 2)))
    if ctx.rng.random() < 0.5:
        fn = "pixel_shuffle"
        x = ctx.pick(lambda v: isf(v) and len(v.shape) >= 3 and v.shape[-3] % (r * r) == 0 and small(v, 300))
        x = x or ctx.fresh(lead + (r * r * _ri(ctx, 1, 2), _ri(ctx, 1, 3), _ri(ctx, 1, 3)), "normal")
    else:
        fn = "pixel_unshuffle"
        x = ctx.pick(lambda v: isf(v) and len(v.shape) >= 3 and v.shape[-1] % r == 0 and v.shape[-2] % r == 0
                     and small(v, 300))
        x = x or ctx.fresh(lead + (_ri(ctx, 1, 2), r * _ri(ctx, 1, 2), r * _ri(ctx, 1, 2)), "normal")
    return [x], {"fn": fn, "r": r, "form": ctx.choice(["F", "M"])}


reg("pixel_shuffle", "shape", _shuffle_gen, lambda a, p: f"{p['form']}.{p['fn']}({a[0]}, {p['r']})")


def _geom(ctx: Any) -> dict:
    def one(lo: int, hi: int) -> Any:
        return _ri(ctx, lo, hi) if ctx.rng.random() < 0.6 else (_ri(ctx, lo, hi), _ri(ctx, lo, hi))

    return {"k": one(1, 3), "d": one(1, 2), "p": one(0, 1), "s": one(1, 2)}


def _pair(v: Any) -> tuple:
    return v if isinstance(v, tuple) else (v, v)


def _blocks(size: tuple, g: dict) -> tuple:
    k, d, p, s = (_pair(g[n]) for n in ("k", "d", "p", "s"))
    return tuple((size[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(2))


def _unfold_gen(ctx: Any) -> Any:
    g = _geom(ctx)
    x = ctx.pick(lambda v: isf(v) and len(v.shape) in (3, 4) and 0 not in v.shape and small(v, 200))
    if x is None:
        x = ctx.fresh(((_ri(ctx, 1, 2),) if ctx.rng.random() < 0.7 else ()) + (_ri(ctx, 1, 2), _ri(ctx, 2, 5),
                                                                               _ri(ctx, 2, 5)), "normal")
    if min(_blocks(tuple(x.shape[-2:]), g)) < 1:
        return None
    return [x], g


def _fold_gen(ctx: Any) -> Any:
    g = _geom(ctx)
    size = (_ri(ctx, 2, 5), _ri(ctx, 2, 5))
    b = _blocks(size, g)
    if min(b) < 1:
        return None
    k = _pair(g["k"])
    shape = (_ri(ctx, 1, 2) * k[0] * k[1], b[0] * b[1])
    if ctx.rng.random() < 0.7:
        shape = (_ri(ctx, 1, 2),) + shape
    x = ctx.pick(lambda v: isf(v) and tuple(v.shape) == shape) or ctx.fresh(shape, "normal")
    return [x], {**g, "size": size}


def _geom_src(p: dict) -> str:
    return f"{p['k']!r}, dilation={p['d']!r}, padding={p['p']!r}, stride={p['s']!r}"


reg("F.unfold", "kernel", _unfold_gen, lambda a, p: f"F.unfold({a[0]}, {_geom_src(p)})")
reg("F.fold", "kernel", _fold_gen, lambda a, p: f"F.fold({a[0]}, {p['size']!r}, {_geom_src(p)})")


# ---------------------------------------------------------------------- distances, bilinear
def _normalize_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "normal", lambda v: len(v.shape) >= 1, min_nd=1)
    if x is None:
        return None
    return [x], {"p": ctx.choice([2.0, 1.0, 3.0, float("inf")]), "d": _ri(ctx, -len(x.shape), len(x.shape) - 1)}


reg("normalize", "reduction", _normalize_gen, lambda a, p: f"F.normalize({a[0]}, p={lit(p['p'])}, dim={p['d']})")


def _pairs_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "normal", lambda v: len(v.shape) >= 1 and 0 not in v.shape, min_nd=1, max_nd=3)
    if x is None:
        return None
    shape = tuple(x.shape)
    if ctx.rng.random() < 0.3:
        shape = tuple(1 if ctx.rng.random() < 0.4 else s for s in shape)[int(ctx.rng.integers(0, len(shape))):]
    y = ctx.pick(lambda v: isf(v) and v is not x and tuple(v.shape) == shape) or ctx.fresh(shape, "normal")
    fn = ctx.choice(["cosine_similarity", "pairwise_distance"])
    nd = max(len(x.shape), len(shape))
    p: dict = {"fn": fn}
    if fn == "cosine_similarity":
        p["d"] = _ri(ctx, -nd, nd - 1)
        if ctx.rng.random() < 0.3:
            p["eps"] = 0.5  # clamps the norm: the no-grad clamp's gradient path
    else:
        p["p"] = ctx.choice([2.0, 1.0, 3.0])
        p["k"] = bool(ctx.rng.random() < 0.3)
    if ctx.rng.random() < 0.5:
        return [y, x], p
    return [x, y], p


def _pairs_code(a: list, p: dict) -> str:
    if p["fn"] == "cosine_similarity":
        eps = f", eps={p['eps']}" if "eps" in p else ""
        return f"F.cosine_similarity({a[0]}, {a[1]}, dim={p['d']}{eps})"
    return f"F.pairwise_distance({a[0]}, {a[1]}, p={p['p']}, keepdim={p['k']})"


reg("distances", "reduction", _pairs_gen, _pairs_code)


def _bilinear_gen(ctx: Any) -> Any:
    x1 = float_arg(ctx, "normal", lambda v: 1 <= len(v.shape) <= 3 and 0 not in v.shape, min_nd=1, max_nd=3)
    if x1 is None:
        return None
    i2, o = _ri(ctx, 1, 3), _ri(ctx, 1, 3)
    x2 = ctx.fresh(tuple(x1.shape[:-1]) + (i2,), "normal")
    w = ctx.fresh((o, x1.shape[-1], i2), "normal")
    args = [x1, x2, w] + ([ctx.fresh((o,), "normal")] if ctx.rng.random() < 0.6 else [])
    return args, {}


reg("bilinear", "matmul", _bilinear_gen, lambda a, p: f"F.bilinear({', '.join(a)})")


# ---------------------------------------------------------------------- losses
def _red(ctx: Any) -> str:
    return ctx.choice(["mean", "sum", "none"])


def _signs(ctx: Any, shape: tuple) -> np.ndarray:
    return np.where(ctx.rng.random(shape) < 0.5, -1.0, 1.0).astype(ctx.fdt)


def _margin_losses_gen(ctx: Any, fn: str) -> Any:
    x = float_arg(ctx, "normal", (lambda v: len(v.shape) >= 1) if fn == "multilabel_soft_margin_loss" else None,
                  min_nd=1 if fn == "multilabel_soft_margin_loss" else 0)
    if x is None:
        return None
    shape = tuple(x.shape)
    p: dict = {"fn": fn, "red": _red(ctx)}
    args = [x]
    if fn == "margin_ranking_loss":
        args.append(ctx.fresh(shape, "normal"))
        p["t"] = _signs(ctx, shape)
        p["m"] = ctx.choice([0.0, 0.5])
    elif fn == "hinge_embedding_loss":
        p["t"] = _signs(ctx, shape)
        p["m"] = ctx.choice([1.0, 0.5, 2.0])
    elif fn == "soft_margin_loss":
        p["t"] = _signs(ctx, shape)
    else:
        p["t"] = (ctx.rng.random(shape) < 0.5).astype(ctx.fdt)
        if ctx.rng.random() < 0.3:
            args.append(ctx.fresh((shape[-1],), "pos", rg=False))
    return args, p


def _margin_losses_code(a: list, p: dict) -> str:
    fn, t = p["fn"], lit(p["t"])
    if fn == "margin_ranking_loss":
        return f"F.margin_ranking_loss({a[0]}, {a[1]}, {t}, margin={p['m']}, reduction={p['red']!r})"
    if fn == "hinge_embedding_loss":
        return f"F.hinge_embedding_loss({a[0]}, {t}, margin={p['m']}, reduction={p['red']!r})"
    if fn == "soft_margin_loss":
        return f"F.soft_margin_loss({a[0]}, {t}, reduction={p['red']!r})"
    w = f", weight={a[1]}" if len(a) > 1 else ""
    return f"F.multilabel_soft_margin_loss({a[0]}, {t}{w}, reduction={p['red']!r})"


for _fn in ("margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss", "multilabel_soft_margin_loss"):
    reg(_fn, "loss", lambda ctx, fn=_fn: _margin_losses_gen(ctx, fn), _margin_losses_code)


def _embedding_losses_gen(ctx: Any) -> Any:
    fn = ctx.choice(["cosine_embedding_loss", "triplet_margin_loss"])
    batched = ctx.rng.random() < 0.8
    x = float_arg(ctx, "normal", lambda v: len(v.shape) == (2 if batched else 1) and 0 not in v.shape,
                  min_nd=2 if batched else 1, max_nd=2 if batched else 1)
    if x is None:
        return None
    shape = tuple(x.shape)
    p: dict = {"fn": fn, "red": _red(ctx)}
    if fn == "cosine_embedding_loss":
        p["t"] = _signs(ctx, shape[:1] if batched else ())
        p["m"] = ctx.choice([0.0, 0.3, -0.5])
        return [x, ctx.fresh(shape, "normal")], p
    p.update(m=ctx.choice([1.0, 0.5, 3.0]), p=ctx.choice([2.0, 1.0, 3.0]), swap=bool(ctx.rng.random() < 0.3))
    return [x, ctx.fresh(shape, "normal"), ctx.fresh(shape, "normal")], p


def _embedding_losses_code(a: list, p: dict) -> str:
    if p["fn"] == "cosine_embedding_loss":
        return f"F.cosine_embedding_loss({a[0]}, {a[1]}, {lit(p['t'])}, margin={p['m']}, reduction={p['red']!r})"
    return (f"F.triplet_margin_loss({a[0]}, {a[1]}, {a[2]}, margin={p['m']}, p={p['p']}, swap={p['swap']}, "
            f"reduction={p['red']!r})")


reg("embedding_losses", "loss", _embedding_losses_gen, _embedding_losses_code)


def _multi_margin_gen(ctx: Any) -> Any:
    if ctx.fdt == "float64":
        # torch 2.13 has no second derivative of multi_margin_loss ("derivative for
        # aten::multi_margin_loss_backward is not implemented"), and second derivatives are compared in all-float64
        # programs only: there the input is a new constant (forward compared; ours are gradgradchecked in
        # tests/op_db_nn.py). A known-difference entry in tests/fuzz/known.py would let these differentiate too.
        x = ctx.fresh(ctx.choice([(_ri(ctx, 1, 3), _ri(ctx, 1, 4)), (_ri(ctx, 1, 4),)]), "normal", rg=False)
    else:
        x = float_arg(ctx, "normal", lambda v: 1 <= len(v.shape) <= 2 and 0 not in v.shape, min_nd=1, max_nd=2)
    if x is None:
        return None
    n, c = (1, x.shape[0]) if len(x.shape) == 1 else x.shape
    t = ctx.rng.integers(0, c, size=(n,) if len(x.shape) == 2 or ctx.rng.random() < 0.5 else ())
    args = [x]
    if ctx.rng.random() < 0.3:
        args.append(ctx.fresh((c,), "pos", rg=False))
    return args, {"t": np.asarray(t, dtype=np.int64), "p": ctx.choice([1, 2]), "m": ctx.choice([1.0, 0.5]),
                  "red": _red(ctx)}


def _multi_margin_code(a: list, p: dict) -> str:
    w = f", weight={a[1]}" if len(a) > 1 else ""
    return f"F.multi_margin_loss({a[0]}, {lit(p['t'])}, p={p['p']}, margin={p['m']}{w}, reduction={p['red']!r})"


reg("multi_margin_loss", "loss", _multi_margin_gen, _multi_margin_code)


def _nll_losses_gen(ctx: Any) -> Any:
    fn = ctx.choice(["poisson_nll_loss", "gaussian_nll_loss"])
    if fn == "poisson_nll_loss":
        log_input = bool(ctx.rng.random() < 0.6)
        x = float_arg(ctx, "normal" if log_input else "pos",
                      None if log_input else (lambda v: ctx.in_domain(v, lo=0.05)))
        if x is None:
            return None
        t = ctx.rng.integers(0, 5, size=tuple(x.shape)).astype(ctx.fdt)
        return [x], {"fn": fn, "t": t, "li": log_input, "full": bool(ctx.rng.random() < 0.5), "red": _red(ctx)}
    x = float_arg(ctx, "normal", lambda v: len(v.shape) >= 1 and 0 not in v.shape, min_nd=1)
    if x is None:
        return None
    shape = tuple(x.shape)
    r = ctx.rng.random()
    vshape = shape if r < 0.5 else shape[:-1] if r < 0.75 else shape[:-1] + (1,)
    var = ctx.fresh(vshape, "pos")
    return [x, ctx.fresh(shape, "normal"), var], {"fn": fn, "full": bool(ctx.rng.random() < 0.5), "red": _red(ctx),
                                                  "eps": ctx.choice([1e-6, 1.0])}


def _nll_losses_code(a: list, p: dict) -> str:
    if p["fn"] == "poisson_nll_loss":
        return (f"F.poisson_nll_loss({a[0]}, {lit(p['t'])}, log_input={p['li']}, full={p['full']}, "
                f"reduction={p['red']!r})")
    return f"F.gaussian_nll_loss({a[0]}, {a[1]}, {a[2]}, full={p['full']}, eps={p['eps']}, reduction={p['red']!r})"


reg("nll_losses", "loss", _nll_losses_gen, _nll_losses_code)
