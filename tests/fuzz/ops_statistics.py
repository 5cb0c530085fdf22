"""Fuzzer registry entries for the statistics family: quantile, nanquantile, nanmedian, cov, corrcoef, aminmax, isin,
histogram, trapezoid, trapz, cumulative_trapezoid, gradient, renorm (and renorm_), dist.

Selections (quantile, nanmedian(dim)) are drawn on values distinct along the reduced dim (at a tie PyTorch leaves
the chosen element unspecified); renorm's maxnorm keeps away from every slice's norm (the scale switches there).
histogram runs on detached values: torch marks its outputs as requiring grad when the input does (with no
derivative), ours are constants, as for unique. dist with p=0 is drawn with operands of one shape only: torch
2.13's backward of a broadcast p=0 dist raises ("Expected a proper Tensor but got None").
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .ops import float_arg, isf, isint, lit, rdim, rdims, reg, small
from .ops_tensor import _distinct, _std

EXCLUDED_API: dict[str, str] = {}


def _form(ctx: Any) -> str:
    return ctx.choice(["method", "func"])


def _call(name: str, a: list, args: str, p: dict) -> str:
    if p.get("form") == "method":
        return f"{a[0]}.{name}({args})"
    return f"M.{name}({a[0]}{', ' + args if args else ''})"


def _nan(x: str, p: dict) -> str:
    """x with nan where it exceeds a threshold (the nan-ignoring ops' inputs), when the draw says so."""
    return f"M.where({x} > {p['thr']}, float('nan'), {x})" if p.get("thr") is not None else x


# ---------------------------------------------------------------------- quantile, nanquantile
def _quantile_gen(ctx: Any) -> Any:
    rng = ctx.rng
    fn = ctx.choice(["quantile", "nanquantile"])
    x = float_arg(ctx, "uniq", lambda v: small(v, 120))
    if x is None:
        return None
    nd = len(x.shape)
    dim = None if rng.random() < 0.3 else rdim(ctx, nd)
    if not _distinct(ctx, x, None if dim is None or nd == 0 else dim % nd):
        return None
    p: dict = {"fn": fn, "dim": dim, "keepdim": bool(rng.random() < 0.4), "form": _form(ctx),
               "mode": ctx.choice(["linear", "linear", "lower", "higher", "midpoint", "nearest"]),
               "thr": ctx.choice([None, 0.8, 1.5]) if fn == "nanquantile" or rng.random() < 0.2 else None}
    args = [x]
    r = rng.random()
    if r < 0.4:
        p["q"] = round(float(rng.uniform(0, 1)), 3) if rng.random() < 0.95 else 1.5  # (1.5: RuntimeError)
    elif r < 0.7:
        p["qc"] = np.round(rng.uniform(0, 1, size=ctx.choice([(), (1,), (3,)])), 3)
    else:
        args.append(ctx.fresh(ctx.choice([(), (2,), (4,)]), "unit"))  # q as a tensor: it gets a gradient
    return args, p


def _quantile_code(a: list, p: dict) -> str:
    x = _nan(a[0], p)
    if "q" in p:
        q = repr(p["q"])
    elif "qc" in p:
        q = f"{lit(p['qc'])}.to({a[0]}.dtype)"
    else:
        q = f"{a[1]}.to({a[0]}.dtype)"
    args = f"{q}, {p['dim']!r}, keepdim={p['keepdim']}, interpolation={p['mode']!r}"
    return _call(p["fn"], [x], args, p) if p["thr"] is None or p["form"] == "func" else f"({x}).{p['fn']}({args})"


reg("quantile", "statistics", _quantile_gen, _quantile_code)


# ---------------------------------------------------------------------- nanmedian
def _nanmedian_gen(ctx: Any, by_dim: bool) -> Any:
    rng = ctx.rng
    x = float_arg(ctx, "uniq" if by_dim else "normal", lambda v: small(v, 120))
    if x is None:
        return None
    if not by_dim and rng.random() < 0.1:
        x = ctx.fresh(ctx.shape(1, 3), "int", dtype="int64")
    nd = len(x.shape)
    p = {"form": _form(ctx), "thr": ctx.choice([None, 0.5, 1.2, -5.0]) if isf(x) else None,
         "keepdim": bool(rng.random() < 0.4), "dim": rdim(ctx, nd) if by_dim else None}
    if by_dim and not _distinct(ctx, x, None if nd == 0 else p["dim"] % nd):
        return None
    return [x], p


def _nanmedian_code(a: list, p: dict) -> str:
    x = _nan(a[0], p)
    if p["dim"] is None:
        return f"({x}).nanmedian()" if p["form"] == "method" else f"M.nanmedian({x})"
    args = f"{p['dim']}, keepdim={p['keepdim']}"
    return f"({x}).nanmedian({args})" if p["form"] == "method" else f"M.nanmedian({x}, {args})"


# (-5.0 as the threshold: nearly every element nan, the all-nan case)
reg("nanmedian", "statistics", lambda ctx: _nanmedian_gen(ctx, False), _nanmedian_code)
reg("nanmedian_dim", "statistics", lambda ctx: _nanmedian_gen(ctx, True), _nanmedian_code, multi=True)


# ---------------------------------------------------------------------- cov, corrcoef
def _cov_gen(ctx: Any) -> Any:
    rng = ctx.rng
    x = float_arg(ctx, "normal", lambda v: len(v.shape) <= 2 and small(v, 60), max_nd=2)
    if x is None:
        return None
    if rng.random() < 0.05:
        x = ctx.fresh(ctx.shape(3, 3), "normal")  # 3-D: RuntimeError
    n = x.shape[-1] if x.shape else 1
    fn = ctx.choice(["cov", "cov", "corrcoef"])
    if fn == "corrcoef" and len(x.shape) == 2 and x.shape[0] > 1 and n < 3:
        return None  # two observations: every correlation is +-1, on the clip, where 1-ulp differences show
    p: dict = {"fn": fn, "form": _form(ctx)}
    args = [x]
    if fn == "cov":
        p["c"] = ctx.choice([1, 1, 0, 2])
        if rng.random() < 0.35:
            p["fw"] = np.asarray(rng.integers(0, 4, size=n), dtype=np.int64)
        if rng.random() < 0.35:
            args.append(ctx.fresh((n,), "pos"))
        if n == 1 and ("fw" in p) != (len(args) > 1):
            # one observation and one kind of weights: torch 2.13 zeroes its input in place (ours leaves it)
            p.pop("fw", None)
            del args[1:]
    return args, p


def _cov_code(a: list, p: dict) -> str:
    if p["fn"] == "corrcoef":
        return _call("corrcoef", a, "", p)
    kw = f"correction={p['c']}"
    if "fw" in p:
        kw += f", fweights={lit(p['fw'])}"
    if len(a) > 1:
        kw += f", aweights={a[1]}"
    return _call("cov", a[:1], kw, p)


reg("cov_corrcoef", "statistics", _cov_gen, _cov_code)


# ---------------------------------------------------------------------- aminmax
def _aminmax_gen(ctx: Any) -> Any:
    rng = ctx.rng
    r = rng.random()
    if r < 0.1:
        x = ctx.pick(isint) or ctx.fresh(ctx.shape(), "int", dtype="int64")
    elif r < 0.3:
        x = ctx.fresh(ctx.shape(), "int", dtype=ctx.fdt)  # ties: the gradient is shared, as amin/amax
    else:
        x = float_arg(ctx, "normal")
    if x is None:
        return None
    nd = len(x.shape)
    return [x], {"dim": None if rng.random() < 0.4 else rdim(ctx, nd), "keepdim": bool(rng.random() < 0.4),
                 "form": _form(ctx)}


def _aminmax_code(a: list, p: dict) -> str:
    args = ("" if p["dim"] is None else f"dim={p['dim']}, ") + f"keepdim={p['keepdim']}"
    return _call("aminmax", a, args, p)


reg("aminmax", "statistics", _aminmax_gen, _aminmax_code, multi=True)


# ---------------------------------------------------------------------- isin
def _isin_gen(ctx: Any) -> Any:
    rng = ctx.rng
    if rng.random() < 0.5:
        x = ctx.pick(lambda v: isint(v) and small(v)) or ctx.fresh(ctx.shape(), "int", dtype="int64")
        test = np.asarray(rng.integers(-3, 4, size=ctx.choice([(0,), (2,), (4,), (2, 2)])), dtype=np.int64)
    else:
        x = ctx.fresh(ctx.shape(), "int", dtype=ctx.fdt)  # small integers as floats: real hits
        test = np.asarray(rng.integers(-3, 4, size=ctx.choice([(1,), (3,)])) + ctx.choice([0.0, 0.5]))
    p = {"test": test, "invert": bool(rng.random() < 0.3), "form": ctx.choice(["tensor", "tensor", "scalar_test",
                                                                              "scalar_elem"])}
    return [x], p


def _isin_code(a: list, p: dict) -> str:
    inv = ", invert=True" if p["invert"] else ""
    t = p["test"]
    if p["form"] == "scalar_test":
        return f"M.isin({a[0]}, {t.reshape(-1)[0].item() if t.size else 1!r}{inv})"
    if p["form"] == "scalar_elem":  # (test_elements re-laid out: torch 2.13 views it, failing on some strides)
        return f"M.isin({t.reshape(-1)[0].item() if t.size else 1!r}, {_std(a[0])}{inv})"
    return f"M.isin({a[0]}, {lit(t)}{inv})"


reg("isin", "statistics", _isin_gen, _isin_code)


# ---------------------------------------------------------------------- histogram
def _histogram_gen(ctx: Any) -> Any:
    rng = ctx.rng
    x = ctx.pick(lambda v: isf(v) and small(v)) or ctx.fresh(ctx.shape(), "normal", rg=False)
    p: dict = {"form": _form(ctx), "density": bool(rng.random() < 0.3)}
    if rng.random() < 0.3:
        p["edges"] = np.sort(np.round(rng.normal(size=int(rng.integers(1, 6))), 2))
    else:
        p["bins"] = int(rng.integers(1, 8)) if rng.random() < 0.97 else 0  # (0: RuntimeError)
        p["range"] = ctx.choice([None, None, (-1.0, 1.0), (-0.5, 2.0), (0.3, 0.3)])
    args = [x]
    if rng.random() < 0.3:
        args.append(ctx.fresh(x.shape, "pos", dtype=x.dtype, rg=False))
    return args, p


def _histogram_code(a: list, p: dict) -> str:
    x = f"{a[0]}.detach()"
    bins = f"{lit(p['edges'])}.to({x}.dtype)" if "edges" in p else str(p["bins"])
    kw = f", range={p['range']!r}" if p.get("range") is not None else ""
    kw += f", weight={a[1]}.detach()" if len(a) > 1 else ""
    kw += ", density=True" if p["density"] else ""
    call = f"{x}.histogram({bins}{kw})" if p["form"] == "method" else f"M.histogram({x}, {bins}{kw})"
    return call


reg("histogram", "statistics", _histogram_gen, _histogram_code, multi=True)


# ---------------------------------------------------------------------- trapezoid, trapz, cumulative_trapezoid
def _trapezoid_gen(ctx: Any) -> Any:
    rng = ctx.rng
    fn = ctx.choice(["trapezoid", "trapz", "cumulative_trapezoid"])
    y = float_arg(ctx, "normal", lambda v: len(v.shape) >= 1, min_nd=1) if rng.random() < 0.9 else \
        ctx.fresh(ctx.shape(1, 3), "int", dtype="int64")
    if y is None:
        return None
    nd = len(y.shape)
    d = rdim(ctx, nd)
    p: dict = {"fn": fn, "dim": d}
    r = rng.random()
    if r < 0.3:
        return [y], p
    if r < 0.55:
        p["dx"] = ctx.choice([0.5, 2, -1.5])
        return [y], p
    n = y.shape[d]
    if r < 0.85:
        xs = (n,) if rng.random() < 0.9 else (n + 1,)  # one x per sample (else RuntimeError)
    else:
        xs = y.shape
    return [y, ctx.fresh(xs, "normal", dtype=y.dtype if isf(y) else None)], p


def _trapezoid_code(a: list, p: dict) -> str:
    x = f", {a[1]}" if len(a) > 1 else ""
    dx = f", dx={p['dx']}" if "dx" in p else ""
    return f"M.{p['fn']}({a[0]}{x}{dx}, dim={p['dim']})"


reg("trapezoid", "statistics", _trapezoid_gen, _trapezoid_code)


# ---------------------------------------------------------------------- gradient
def _gradient_gen(ctx: Any) -> Any:
    rng = ctx.rng
    x = float_arg(ctx, "normal", lambda v: len(v.shape) >= 1 and small(v, 150), min_nd=1)
    if x is None:
        return None
    if rng.random() < 0.08:
        x = ctx.fresh(ctx.shape(1, 2), "int", dtype="int64")
    nd = len(x.shape)
    r = rng.random()
    dims = None if r < 0.35 else (rdim(ctx, nd) if r < 0.7 else rdims(ctx, nd))
    ds = list(range(nd)) if dims is None else ([dims] if isinstance(dims, int) else list(dims))
    p: dict = {"dim": dims, "eo": 1 if rng.random() < 0.6 else 2}
    args = [x]
    r = rng.random()
    if r < 0.25:
        p["sp"] = None
    elif r < 0.5:
        p["sp"] = ctx.choice([0.5, 2, -1.0])
    elif r < 0.75:
        p["sp"] = [ctx.choice([0.5, 1, 3.0]) for _ in ds]
    else:
        p["sp"] = "coords"
        for d in ds:  # coordinates as the running sum of values in [0.5, 2]: increasing, no near-zero spacing
            args.append(ctx.fresh((x.shape[d],), "pos"))
    return args, p


def _gradient_code(a: list, p: dict) -> str:
    kw = []
    if p["sp"] == "coords":
        kw.append(f"spacing=[{', '.join(f'{c}.cumsum(0)' for c in a[1:])}]")
    elif p["sp"] is not None:
        kw.append(f"spacing={p['sp']!r}")
    if p["dim"] is not None:
        kw.append(f"dim={p['dim']!r}")
    if p["eo"] != 1:
        kw.append(f"edge_order={p['eo']}")
    return f"M.gradient({a[0]}{''.join(', ' + k for k in kw)})"


reg("gradient", "statistics", _gradient_gen, _gradient_code, multi=True)


# ---------------------------------------------------------------------- renorm, dist
def _renorm_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "normal", lambda v: len(v.shape) >= 2 and 0 not in v.shape and small(v, 150), min_nd=2)
    if x is None:
        return None
    nd = len(x.shape)
    d = rdim(ctx, nd)
    pn = ctx.choice([2, 2, 1, 3, 0.5, float("inf")])
    a = np.abs(np.moveaxis(ctx.value(x).astype(np.float64), d, 0).reshape(x.shape[d], -1))
    if not np.isfinite(a).all():
        return None
    norms = np.sort(a.max(axis=1) if pn == float("inf") else (a ** pn).sum(axis=1) ** (1 / pn))
    # a maxnorm in the widest gap between the slices' norms (or below/above all of them)
    cands = np.concatenate([[norms[0] / 2], (norms[:-1] + norms[1:]) / 2, [norms[-1] * 2 + 0.1]])
    mn = float(ctx.choice(cands))
    if (np.abs(norms - mn) < 1e-3 * (1 + mn)).any():
        return None
    return [x], {"p": pn, "d": d, "mn": round(mn, 6), "form": ctx.choice(["method", "func", "inplace"])}


def _renorm_code(a: list, p: dict) -> str:
    args = f"{lit(p['p'])}, {p['d']}, {p['mn']}"
    if p["form"] == "inplace":
        return f"{{o0}} = {a[0]} * 1\n{{o0}}.renorm_({args})"
    return "{o0} = " + _call("renorm", a, args, p)


reg("renorm", "statistics", _renorm_gen, _renorm_code, stmt=True)


def _dist_gen(ctx: Any) -> Any:
    from .ops import bshape

    a = float_arg(ctx, "normal", lambda v: small(v, 150))
    if a is None:
        return None
    pn = ctx.choice([2, 2, 1, 3, 0.5, 1.5, float("inf"), -float("inf"), 0])
    shape = a.shape if pn == 0 or ctx.rng.random() < 0.5 else bshape(ctx, a.shape)
    b = ctx.fresh(shape, "normal")
    return [a, b], {"p": pn, "form": _form(ctx)}


def _dist_code(a: list, p: dict) -> str:
    if p["p"] == 0:  # values only: torch 2.13's backward of dist(p=0) raises inside a larger graph
        a = [f"{v}.detach()" for v in a]
    return _call("dist", a, f"{a[1]}, {lit(p['p'])}", p)


reg("dist", "statistics", _dist_gen, _dist_code)
