"""Fuzzer registry entries for conv1d/3d, pooling 1d/3d and adaptive, group/instance/RMS norm, dropout variants."""

from __future__ import annotations

from typing import Any

import numpy as np

from .ops import float_arg, isf, lit, reg, small


def _ri(ctx: Any, lo: int, hi: int) -> int:
    """An int in [lo, hi]."""
    return int(ctx.rng.integers(lo, hi + 1))


def _vol(ctx: Any, nd: int, min_size: int = 1, kind: str = "normal") -> Any:
    """A float (N, C, *nd sizes) value of the program, or a new one (unbatched (C, *sizes) now and then)."""
    def ok(v: Any) -> bool:
        return (isf(v) and len(v.shape) in (nd + 1, nd + 2) and 0 not in v.shape
                and min(v.shape[len(v.shape) - nd:]) >= min_size and small(v, 300))

    v = ctx.pick(ok) if kind == "normal" else None
    if v is None:
        hi = {1: 8, 2: 6, 3: 4}[nd]
        shape = (_ri(ctx, 1, 3), _ri(ctx, 1, 3)) + tuple(_ri(ctx, min_size, max(hi, min_size)) for _ in range(nd))
        if ctx.rng.random() < 0.15:
            shape = shape[1:]
        v = ctx.fresh(shape, kind)
    return v


def _kw(p: dict, keys: tuple) -> str:
    return "".join(f", {k}={p[k]!r}" for k in keys if k in p)


def _per_dim(ctx: Any, nd: int, options: list) -> Any:
    """One of ``options`` for every dim, or a tuple of them (one per dim) a third of the time."""
    if nd > 1 and ctx.rng.random() < 0.33:
        return tuple(ctx.choice(options) for _ in range(nd))
    return ctx.choice(options)


# ---------------------------------------------------------------------- convolution
def _conv_gen(nd: int) -> Any:
    def gen(ctx: Any) -> Any:
        x = _vol(ctx, nd)
        c = x.shape[len(x.shape) - nd - 1]
        groups = ctx.choice([g for g in (1, 2, 3) if c % g == 0])
        o = groups * _ri(ctx, 1, 2)
        ks = tuple(_ri(ctx, 1, 3 if nd == 1 else 2) for _ in range(nd))
        pads = ctx.choice([0, 1, "same", "valid", _per_dim(ctx, nd, [0, 1])])
        p = {"stride": _per_dim(ctx, nd, [1, 2]), "padding": pads,
             "dilation": _per_dim(ctx, nd, [1, 1, 2]), "groups": groups}
        if p["padding"] == "same":
            p["stride"] = 1
        w = ctx.fresh((o, c // groups) + ks, "normal")
        return [x, w] + ([ctx.fresh((o,), "normal")] if ctx.rng.random() < 0.5 else []), p

    return gen


def _conv_code(fn: str, keys: tuple) -> Any:
    return lambda a, p: f"F.{fn}({a[0]}, {a[1]}" + (f", {a[2]}" if len(a) > 2 else "") + _kw(p, keys) + ")"


for _nd in (1, 3):
    reg(f"conv{_nd}d", "kernel", _conv_gen(_nd), _conv_code(f"conv{_nd}d", ("stride", "padding", "dilation", "groups")))


def _convt_gen(nd: int) -> Any:
    def gen(ctx: Any) -> Any:
        x = _vol(ctx, nd)
        c = x.shape[len(x.shape) - nd - 1]
        groups = ctx.choice([g for g in (1, 2) if c % g == 0])
        og = _ri(ctx, 1, 2)
        ks = tuple(_ri(ctx, 1, 3 if nd == 1 else 2) for _ in range(nd))
        stride, dilation = ctx.choice([1, 2]), ctx.choice([1, 1, 2])
        p = {"stride": stride, "padding": _per_dim(ctx, nd, [0, 1]),
             "output_padding": _ri(ctx, 0, max(stride, dilation) - 1), "groups": groups, "dilation": dilation}
        sizes = x.shape[len(x.shape) - nd:]
        pads = _tup(p["padding"], nd)
        if any((i - 1) * stride - 2 * q + dilation * (k - 1) + p["output_padding"] + 1 < 1
               for i, q, k in zip(sizes, pads, ks)):
            # an empty output: torch 2.13 refuses it or returns an empty tensor depending on its kernel path
            # (known.py's conv-transpose-empty-output names conv_transpose2d only)
            return None
        w = ctx.fresh((c, og) + ks, "normal")
        return [x, w] + ([ctx.fresh((og * groups,), "normal")] if ctx.rng.random() < 0.5 else []), p

    return gen


for _nd in (1, 3):
    reg(f"conv_transpose{_nd}d", "kernel", _convt_gen(_nd),
        _conv_code(f"conv_transpose{_nd}d", ("stride", "padding", "output_padding", "groups", "dilation")))


# ---------------------------------------------------------------------- pooling
def _tup(v: Any, n: int) -> tuple:
    return tuple(v) if isinstance(v, tuple) else (v,) * n


def _padding_only_window(sizes: tuple, p: dict) -> bool:
    """Whether some max-pool window covers only padding (torch 2.13's max-pool backward writes out of bounds)."""
    nd = len(sizes)
    ks, pads, dils = _tup(p["kernel_size"], nd), _tup(p["padding"], nd), _tup(p.get("dilation", 1), nd)
    strides = ks if p["stride"] is None else _tup(p["stride"], nd)
    for size, k, s, pad, d in zip(sizes, ks, strides, pads, dils):
        span = size + 2 * pad - d * (k - 1) - 1
        out = (-(-span // s) if p["ceil_mode"] else span // s) + 1
        if p["ceil_mode"] and (out - 1) * s >= size + pad:
            out -= 1
        if any(not any(0 <= o * s - pad + j * d < size for j in range(k)) for o in range(max(out, 0))):
            return True
    return False


def _pool_gen(nd: int) -> Any:
    def gen(ctx: Any) -> Any:
        x = _vol(ctx, nd, 2)
        fn = ctx.choice([f"max_pool{nd}d", f"avg_pool{nd}d"])
        k = _per_dim(ctx, nd, [1, 2, 3] if nd == 1 else [1, 2])
        kmin = min(_tup(k, nd))
        p = {"fn": fn, "kernel_size": k, "stride": ctx.choice([None, 1, 2, _per_dim(ctx, nd, [1, 2])]),
             "padding": _ri(ctx, 0, kmin // 2), "ceil_mode": bool(ctx.rng.random() < 0.4)}
        if fn.startswith("max"):
            p["dilation"] = ctx.choice([1, 1, 2])
            if _padding_only_window(tuple(x.shape[len(x.shape) - nd:]), p):
                return None
        else:
            p["count_include_pad"] = bool(ctx.rng.random() < 0.5)
            if nd == 3 and ctx.rng.random() < 0.2:
                p["divisor_override"] = 3
        return [x], p

    return gen


for _nd in (1, 3):
    reg(f"pool{_nd}d", "kernel", _pool_gen(_nd),
        lambda a, p: f"F.{p['fn']}({a[0]}" + _kw(p, ("kernel_size", "stride", "padding", "dilation", "ceil_mode",
                                                      "count_include_pad", "divisor_override")) + ")")


def _adaptive_gen(ctx: Any) -> Any:
    nd = ctx.choice([1, 1, 2, 3, 3])
    x = _vol(ctx, nd)
    fn = ctx.choice([f"adaptive_max_pool{nd}d"] + ([f"adaptive_avg_pool{nd}d"] if nd != 2 else []))
    sizes = x.shape[len(x.shape) - nd:]
    if nd == 1:
        o: Any = _ri(ctx, 1, sizes[0] + 1)
    elif ctx.rng.random() < 0.3:
        o = _ri(ctx, 1, 3)
    else:
        o = tuple(ctx.choice([_ri(ctx, 1, s + 1), None]) for s in sizes)
    return [x], {"fn": fn, "o": o}


reg("adaptive_pool_nd", "kernel", _adaptive_gen, lambda a, p: f"F.{p['fn']}({a[0]}, {p['o']!r})")


def _indices_gen(ctx: Any) -> Any:
    """Max pooling that also returns the argmax indices (compared exactly)."""
    from .ops_math import _cycle

    # every (pooling kind, dims, alias) in turn, so each *_with_indices alias is drawn within a few rounds
    adaptive, nd, alias = _cycle(ctx, [(a, n, al) for a in (False, True) for n in (1, 2, 3) for al in (True, False)])
    if not adaptive:
        x = _vol(ctx, nd, 2)
        p = {"fn": f"max_pool{nd}d", "kernel_size": 2, "stride": ctx.choice([None, 1]), "padding": ctx.choice([0, 1]),
             "ceil_mode": bool(ctx.rng.random() < 0.3), "alias": alias}
        if _padding_only_window(tuple(x.shape[len(x.shape) - nd:]), p):
            return None
        return [x], p
    x = _vol(ctx, nd)
    return [x], {"fn": f"adaptive_max_pool{nd}d", "o": _ri(ctx, 1, 3), "alias": alias}


def _indices_code(a: list, p: dict) -> str:
    # the *_with_indices forms return (values, indices) whatever return_indices says
    fn, flag = (f"{p['fn']}_with_indices", "") if p["alias"] else (p["fn"], ", return_indices=True")
    if "o" in p:
        return f"F.{fn}({a[0]}, {p['o']}{flag})"
    return f"F.{fn}({a[0]}" + _kw(p, ("kernel_size", "stride", "padding", "ceil_mode")) + f"{flag})"


reg("pool_indices_nd", "kernel", _indices_gen, _indices_code, multi=True)


def _unpool_gen(ctx: Any) -> Any:
    # non-overlapping windows only: an index written twice gets PyTorch's gradient at both (its forward keeps one)
    nd = ctx.choice([1, 2, 3])
    x = _vol(ctx, nd, 2)
    p = {"nd": nd, "k": ctx.choice([1, 2]) if nd == 3 else ctx.choice([2, 3])}
    if ctx.rng.random() < 0.3:
        p["os"] = [(s // p["k"]) * p["k"] + int(ctx.rng.integers(0, p["k"])) for s in x.shape[len(x.shape) - nd:]]
    return [x], p


reg("max_unpool_nd", "kernel", _unpool_gen,
    lambda a, p: f"F.max_unpool{p['nd']}d(*F.max_pool{p['nd']}d({a[0]}, {p['k']}, return_indices=True), {p['k']}"
    + (f", output_size={p['os']!r}" if "os" in p else "") + ")")


def _lp_gen(ctx: Any) -> Any:
    nd = ctx.choice([1, 2, 3])
    norm = ctx.choice([1.0, 2.0, 3.0, 1.5, float("inf")])
    x = _vol(ctx, nd, 2, "normal" if norm == float("inf") else "pos")
    return [x], {"nd": nd, "norm": norm, "k": _per_dim(ctx, nd, [1, 2]), "stride": ctx.choice([None, 1, 2]),
                 "ceil_mode": bool(ctx.rng.random() < 0.3)}


reg("lp_pool_nd", "kernel", _lp_gen,
    lambda a, p: f"F.lp_pool{p['nd']}d({a[0]}, {lit(p['norm'])}, {p['k']!r}, {p['stride']!r}, {p['ceil_mode']})")


# ---------------------------------------------------------------------- normalisation
def _group_norm_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "normal", lambda v: 2 <= len(v.shape) <= 5 and 0 not in v.shape[1:], min_nd=2, max_nd=4)
    if x is None:
        return None
    c = x.shape[1]
    g = ctx.choice([d for d in range(1, c + 1) if c % d == 0])
    args = [x] + ([ctx.fresh((c,), "normal"), ctx.fresh((c,), "normal")] if ctx.rng.random() < 0.6 else [])
    return args, {"g": g, "eps": ctx.choice([1e-5, 1e-2])}


reg("group_norm", "kernel", _group_norm_gen,
    lambda a, p: f"F.group_norm({a[0]}, {p['g']}" + (f", {a[1]}, {a[2]}" if len(a) > 1 else "") + f", eps={p['eps']})")


def _instance_norm_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "normal", lambda v: 3 <= len(v.shape) <= 5 and 0 not in v.shape
                  and int(np.prod(v.shape[2:])) > 1, min_nd=3, max_nd=4)
    if x is None:
        return None
    c = x.shape[1]
    args = [x] + ([ctx.fresh((c,), "normal"), ctx.fresh((c,), "normal")] if ctx.rng.random() < 0.5 else [])
    p = {"uis": bool(ctx.rng.random() < 0.7), "momentum": ctx.choice([0.1, 0.5]), "eps": ctx.choice([1e-5, 1e-3])}
    if not p["uis"] or ctx.rng.random() < 0.4:
        p["rm"] = np.round(ctx.rng.normal(size=c), 3)
        p["rv"] = np.round(ctx.rng.uniform(0.5, 2.0, size=c), 3)
    return args, p


def _instance_norm_code(a: list, p: dict) -> str:
    stats = (f"{lit(p['rm'])}.to({a[0]}.dtype), {lit(p['rv'])}.to({a[0]}.dtype)" if "rm" in p else "None, None")
    wb = f", {a[1]}, {a[2]}" if len(a) > 1 else ", None, None"
    return (f"F.instance_norm({a[0]}, {stats}{wb}, use_input_stats={p['uis']}, momentum={p['momentum']}, "
            f"eps={p['eps']})")


reg("instance_norm", "kernel", _instance_norm_gen, _instance_norm_code)


def _rms_norm_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "normal", lambda v: len(v.shape) >= 1, min_nd=1)
    if x is None:
        return None
    k = _ri(ctx, 1, min(len(x.shape), 2))
    ns = tuple(x.shape[len(x.shape) - k:])
    args = [x] + ([ctx.fresh(ns, "normal")] if ctx.rng.random() < 0.6 else [])
    return args, {"ns": ns, "eps": ctx.choice([None, 1e-6, 1e-2])}


reg("rms_norm", "kernel", _rms_norm_gen,
    lambda a, p: f"F.rms_norm({a[0]}, {p['ns']!r}" + (f", {a[1]}" if len(a) > 1 else ", None") + f", eps={p['eps']})")


def _lrn_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "normal", lambda v: 3 <= len(v.shape) <= 5, min_nd=3, max_nd=4)
    if x is None:
        return None
    return [x], {"size": _ri(ctx, 1, 4), "alpha": ctx.choice([1e-4, 0.1, 1.0]), "beta": ctx.choice([0.75, 0.5, 1.0]),
                 "k": ctx.choice([1.0, 2.0])}


reg("local_response_norm", "kernel", _lrn_gen,
    lambda a, p: f"F.local_response_norm({a[0]}, {p['size']}, alpha={p['alpha']}, beta={p['beta']}, k={p['k']})")


# ---------------------------------------------------------------------- dropout (deterministic cases only)
def _dropout_gen(ctx: Any) -> Any:
    # p=0, p=1 and evaluation mode: the random masks themselves differ from PyTorch's by design
    # (tests/test_nn_layers_nd.py compares their statistics and shapes)
    fn = ctx.choice(["dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"])
    want = {"dropout1d": (2, 3), "dropout2d": (3, 4), "dropout3d": (4, 5)}.get(fn, (1, 4))
    x = float_arg(ctx, "normal", lambda v: len(v.shape) in want, min_nd=want[0], max_nd=want[-1])
    if x is None:
        return None
    p, training = ctx.choice([(0.0, True), (1.0, True), (0.5, False)])
    return [x], {"fn": fn, "p": p, "training": training}


reg("dropout_nd", "kernel", _dropout_gen, lambda a, p: f"F.{p['fn']}({a[0]}, p={p['p']}, training={p['training']})")
