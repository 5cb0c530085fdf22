"""Fuzzer registry entries for reductions, scans, sorting, scatter/index, shape and comparison ops.

Selection ops (sort, topk, kthvalue, median(dim), cummax) are drawn only on values distinct along the
selected dim: at a tie PyTorch leaves the chosen index unspecified. Scatters that overwrite (scatter,
index_copy) get indices without repeats, for the same reason; their ``src`` has the index's shape (torch 2.13's
scatter backward returns a gradient of the index's shape for a larger src and then fails its own shape check).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .ops import anyf, float_arg, isf, isint, lit, rdim, rdims, reg, small

# Names the fuzzer cannot compare, with the test that covers them instead.
EXCLUDED_API = {
    "M.broadcast_shapes": "returns a Size, not a tensor (tests/test_tensor_ops.py::test_broadcast_shapes_like_torch)",
}


def _f(ctx: Any, kind: str = "normal", pred: Any = None, min_nd: int = 0, max_nd: int = 4) -> Any:
    return float_arg(ctx, kind, pred, min_nd=min_nd, max_nd=max_nd)


def _distinct(ctx: Any, v: Any, d: int | None) -> bool:
    """Whether v's values are distinct along d (along all of v when d is None) and finite, by more than rounding:
    values equal in one engine and a few ulps apart in the other would order differently."""
    a = ctx.value(v).astype(np.float64)
    if a.size == 0 or a.ndim == 0:
        return True
    if not np.isfinite(a).all():
        return False
    s = np.sort(a.reshape(-1) if d is None else np.moveaxis(a, d, -1), axis=-1)
    return not (np.diff(s, axis=-1) <= 1e-4 * (1 + np.abs(a).max())).any()


def _std(x: str) -> str:
    """Source for x re-laid out with the standard strides (flatten, then the shape back)."""
    return f"{x}.reshape(-1).reshape({x}.shape)"


def _form(ctx: Any) -> str:
    return ctx.choice(["method", "func"])


def _call(name: str, a: list, args: str, p: dict) -> str:
    """``x.name(args)`` or ``M.name(x, args)`` by ``p['form']``."""
    if p.get("form") == "method":
        return f"{a[0]}.{name}({args})"
    return f"M.{name}({a[0]}{', ' + args if args else ''})"


# ---------------------------------------------------------------------- the matmul family
def _mm_family_gen(ctx: Any) -> Any:
    from .ops_math import _cycle

    # every (function, call form) pair in turn (so .mm and .dot are drawn within a few rounds)
    fn, form = _cycle(ctx, [(f, m) for f in ("mm", "dot", "bmm", "mv", "addmm", "baddbmm", "addmv")
                            for m in ("method", "func")])
    rng = ctx.rng
    n, k, m = (int(rng.integers(1, 5)) for _ in range(3))
    b = int(rng.integers(1, 3))
    shapes = {"mm": ((n, k), (k, m)), "addmm": ((n, k), (k, m)), "bmm": ((b, n, k), (b, k, m)),
              "baddbmm": ((b, n, k), (b, k, m)), "mv": ((n, k), (k,)), "addmv": ((n, k), (k,)), "dot": ((k,), (k,))}
    sa, sb = shapes[fn]
    # no empty operands: torch 2.13's addmv of an empty matrix returns beta * input unbroadcast (shape ())
    x = ctx.pick(lambda v: isf(v) and len(v.shape) == len(sa) and 0 not in v.shape and small(v, 100))
    if x is not None:
        sa = x.shape
        sb = (sa[0], sa[2], m) if fn in ("bmm", "baddbmm") else ((sa[-1], m) if len(sb) == 2 else (sa[-1],))
    else:
        x = ctx.fresh(sa, "normal")
    y = ctx.fresh(sb, "normal")
    args, p = [x, y], {"fn": fn, "form": form}
    if fn.startswith("add") or fn == "baddbmm":
        out = (sa[0], sb[1]) if fn == "addmm" else ((sa[0], sa[1], sb[2]) if fn == "baddbmm" else (sa[0],))
        ish = ctx.choice([out, out[1:], tuple(1 if rng.random() < 0.5 else s for s in out), ()])
        args = [ctx.fresh(ish, "normal")] + args
        p.update(beta=ctx.choice([1, 0.5, 0, -2.0]), alpha=ctx.choice([1, 2.0, -0.5]))
    return args, p


def _mm_family_code(a: list, p: dict) -> str:
    extra = f", beta={p['beta']}, alpha={p['alpha']}" if "beta" in p else ""
    if p["form"] == "method":
        return f"{a[0]}.{p['fn']}({', '.join(a[1:])}{extra})"
    return f"M.{p['fn']}({', '.join(a)}{extra})"


reg("mm_family", "matmul", _mm_family_gen, _mm_family_code)


def _cdist_gen(ctx: Any) -> Any:
    # float32 operands: torch 2.13's cdist backward is not differentiable again (ours is: the op table's
    # gradgradcheck covers it), and a float32 leaf keeps the runner from taking second derivatives
    x = ctx.pick(lambda v: v.dtype == "float32" and 2 <= len(v.shape) <= 3 and 0 not in v.shape and small(v))
    if x is None:
        x = ctx.fresh(ctx.shape(2, 3), "normal", dtype="float32")
        if 0 in x.shape:
            return None
    y = ctx.fresh(x.shape[:-2] + (int(ctx.rng.integers(1, 4)), x.shape[-1]), "normal", dtype="float32")
    return [x, y], {"p": ctx.choice([2.0, 1.0, 3.0, 1.5])}


reg("cdist", "matmul", _cdist_gen, lambda a, p: f"M.cdist({a[0]}, {a[1]}, p={p['p']})")


# ---------------------------------------------------------------------- layout
def _as_gen(ctx: Any) -> Any:
    x = ctx.pick(lambda v: anyf(v) and small(v)) or ctx.fresh(ctx.shape(), "normal")
    n = int(np.prod(x.shape))
    o = ctx.pick(lambda v: v is not x and int(np.prod(v.shape)) == n)
    if o is None:
        shape = ctx.choice([(n,), (1, n), (n, 1)] + ([(2, n // 2)] if n % 2 == 0 and n else []))
        o = ctx.fresh(shape, "normal", rg=False)
    return [x, o], {"fn": ctx.choice(["view_as", "reshape_as"])}


reg("view_reshape_as", "shape", _as_gen, lambda a, p: f"{a[0]}.{p['fn']}({a[1]})")


def _narrow_gen(ctx: Any) -> Any:
    x = ctx.pick(lambda v: anyf(v) and small(v) and len(v.shape) >= 1) or ctx.fresh(ctx.shape(1), "normal")
    d = rdim(ctx, len(x.shape))
    n = x.shape[d]
    fn = ctx.choice(["narrow", "narrow", "select"])
    if fn == "select":
        return [x], {"fn": fn, "d": d, "i": int(ctx.rng.integers(-n - 1, n + 1)), "form": _form(ctx)}
    start = int(ctx.rng.integers(-n, n + 1))
    length = int(ctx.rng.integers(0, n - (start % n if n and start < 0 else start) + 1)) if n else 0
    if ctx.rng.random() < 0.05:
        length = n + 1  # too long: RuntimeError
    return [x], {"fn": fn, "d": d, "s": start, "n": length, "form": _form(ctx)}


def _narrow_code(a: list, p: dict) -> str:
    if p["fn"] == "select":
        return _call("select", a, f"{p['d']}, {p['i']}", p)
    return _call("narrow", a, f"{p['d']}, {p['s']}, {max(p['n'], 0)}", p)


reg("narrow_select", "shape", _narrow_gen, _narrow_code)


def _tri_gen(ctx: Any) -> Any:
    x = ctx.pick(lambda v: anyf(v) and small(v) and len(v.shape) >= 2) or ctx.fresh(ctx.shape(2), "normal")
    fn = ctx.choice(["tril", "triu", "tril_", "triu_"])
    return [x], {"fn": fn, "k": int(ctx.rng.integers(-2, 3)), "form": _form(ctx)}


def _tri_code(a: list, p: dict) -> str:
    if p["fn"].endswith("_"):
        return f"{{o0}} = {a[0]} * 1\n{{o0}}.{p['fn']}({p['k']})"
    return "{o0} = " + _call(p["fn"], a, str(p["k"]), p)


reg("tril_triu", "shape", _tri_gen, _tri_code, stmt=True)


def _roll_gen(ctx: Any) -> Any:
    x = ctx.pick(lambda v: anyf(v) and small(v)) or ctx.fresh(ctx.shape(), "normal")
    nd = len(x.shape)
    if ctx.rng.random() < 0.3 or nd == 0:
        return [x], {"s": int(ctx.rng.integers(-5, 6)), "d": None, "form": _form(ctx)}
    ds = rdims(ctx, nd)
    return [x], {"s": tuple(int(v) for v in ctx.rng.integers(-5, 6, size=len(ds))), "d": ds, "form": _form(ctx)}


reg("roll", "shape", _roll_gen,
    lambda a, p: _call("roll", a, f"{p['s']!r}" + ("" if p["d"] is None else f", {p['d']!r}"), p))


def _unfold_gen(ctx: Any) -> Any:
    x = ctx.pick(lambda v: anyf(v) and small(v, 200)) or ctx.fresh(ctx.shape(), "normal")
    d = rdim(ctx, len(x.shape))
    n = x.shape[d] if x.shape else 1
    size = int(ctx.rng.integers(0, n + 1)) if ctx.rng.random() < 0.95 else n + 1
    return [x], {"d": d, "n": size, "s": int(ctx.rng.integers(1, 4))}


reg("unfold", "shape", _unfold_gen, lambda a, p: f"{a[0]}.unfold({p['d']}, {p['n']}, {p['s']})")


def _repeat_interleave_gen(ctx: Any) -> Any:
    x = ctx.pick(lambda v: anyf(v) and small(v, 100)) or ctx.fresh(ctx.shape(0, 3), "normal")
    if ctx.rng.random() < 0.3 or not x.shape:
        return [x], {"r": int(ctx.rng.integers(0, 4)), "d": None, "form": _form(ctx)}
    d = rdim(ctx, len(x.shape))
    r = np.asarray(ctx.rng.integers(0, 3, size=x.shape[d]), dtype=np.int64) if ctx.rng.random() < 0.6 else int(
        ctx.rng.integers(1, 3))
    return [x], {"r": r, "d": d, "form": _form(ctx)}


reg("repeat_interleave", "shape", _repeat_interleave_gen,
    lambda a, p: _call("repeat_interleave", a, lit(p["r"]) + ("" if p["d"] is None else f", dim={p['d']}"), p))


def _relayout_gen(ctx: Any, fns: tuple = ("tile", "ravel", "movedim", "moveaxis", "swapaxes", "swapdims",
                                          "unflatten")) -> Any:
    x = ctx.pick(lambda v: anyf(v) and small(v, 200)) or ctx.fresh(ctx.shape(), "normal")
    nd = len(x.shape)
    fns = [f for f in fns if nd >= {"fliplr": 2, "rot90": 2, "flipud": 1}.get(f, 0)]
    if not fns:
        return None
    fn = ctx.choice(fns)
    p: dict = {"fn": fn, "form": _form(ctx)}
    n = max(nd, 1)
    if fn == "tile":
        p["args"] = repr(tuple(int(v) for v in ctx.rng.integers(1, 3, size=int(ctx.rng.integers(0, 4)))))
    elif fn in ("movedim", "moveaxis"):
        k = int(ctx.rng.integers(1, n + 1))
        src = [int(v) for v in ctx.rng.choice(n, k, replace=False)]
        dst = [int(v) - (n if ctx.rng.random() < 0.3 else 0) for v in ctx.rng.choice(n, k, replace=False)]
        p["args"] = f"{src[0]}, {dst[0]}" if k == 1 and ctx.rng.random() < 0.5 else f"{tuple(src)!r}, {tuple(dst)!r}"
    elif fn in ("swapaxes", "swapdims"):
        p["args"] = f"{rdim(ctx, nd)}, {rdim(ctx, nd)}"
    elif fn == "rot90":
        a, b = (int(v) for v in ctx.rng.choice(nd, 2, replace=False))
        p["args"] = f"{int(ctx.rng.integers(-3, 5))}, [{a}, {b - nd if ctx.rng.random() < 0.3 else b}]"
    elif fn == "unflatten":
        if not nd:
            return None
        d = rdim(ctx, nd)
        s = x.shape[d]
        split = ctx.choice([(s,), (1, s), (s, 1), (-1, 1)] + ([(2, -1)] if s % 2 == 0 else []))
        p["args"] = f"{d}, {split!r}"
    else:
        p["args"] = ""
    return [x], p


reg("relayout", "shape", _relayout_gen, lambda a, p: _call(p["fn"], a, p["args"], p))
reg("flips_rot90", "shape", lambda ctx: _relayout_gen(ctx, ("fliplr", "flipud", "rot90")),
    lambda a, p: _call(p["fn"], a, p["args"], p))


def _stack_like_gen(ctx: Any) -> Any:
    fn = ctx.choice(["hstack", "vstack", "row_stack", "dstack", "column_stack", "concatenate"])
    x = _f(ctx, "normal", lambda v: len(v.shape) <= 3, max_nd=3)
    if x is None:
        return None
    s = list(x.shape)
    k = int(ctx.rng.integers(1, 4))
    args = [x]
    for _ in range(k - 1):
        t = list(s)
        cat_dim = {"hstack": 0 if len(s) == 1 else 1, "vstack": 0, "row_stack": 0, "dstack": 2,
                   "column_stack": 1, "concatenate": 0}[fn]
        if cat_dim < len(t) and ctx.rng.random() < 0.7:
            t[cat_dim] = int(ctx.rng.integers(0, 3))
        args.append(ctx.fresh(tuple(t), "normal"))
    return args, {"fn": fn}


reg("stack_like", "shape", _stack_like_gen, lambda a, p: f"M.{p['fn']}([{', '.join(a)}])")


def _tensor_split_gen(ctx: Any) -> Any:
    x = ctx.pick(lambda v: anyf(v) and small(v) and len(v.shape) >= 1) or ctx.fresh(ctx.shape(1), "normal")
    d = rdim(ctx, len(x.shape))
    n = x.shape[d]
    if ctx.rng.random() < 0.5:
        ios: Any = int(ctx.rng.integers(1, 5))
    else:
        ios = [int(v) for v in ctx.rng.integers(0, n + 2, size=int(ctx.rng.integers(1, 4)))]
    return [x], {"ios": ios, "d": d, "form": _form(ctx)}


reg("tensor_split", "shape", _tensor_split_gen,
    lambda a, p: _call("tensor_split", a, f"{p['ios']!r}, {p['d']}", p), multi=True)


def _combine_gen(ctx: Any) -> Any:
    fn = ctx.choice(["block_diag", "kron", "cross", "diff", "diagflat"])
    rng = ctx.rng
    if fn == "block_diag":
        # no empty 1-D blocks: torch 2.13's block_diag backward reads the rows after one from the wrong place
        # (tests/test_tensor_ops.py::test_block_diag_with_empty_vectors checks ours against the definition)
        xs = [ctx.fresh(tuple(max(s, 1) for s in ctx.shape(0, 2)), "normal") for _ in range(int(rng.integers(1, 4)))]
        x = _f(ctx, "normal", lambda v: len(v.shape) <= 2 and 0 not in v.shape, max_nd=2)
        return ([x] if x is not None else []) + xs, {"fn": fn}
    if fn == "kron":
        x = _f(ctx, "normal", lambda v: len(v.shape) <= 3 and small(v, 30), max_nd=3)
        return None if x is None else ([x, ctx.fresh(ctx.shape(0, 3), "normal")], {"fn": fn, "form": _form(ctx)})
    if fn == "cross":
        x = _f(ctx, "normal", lambda v: 3 in v.shape, min_nd=1, max_nd=3)
        if x is None:
            return None
        d = x.shape.index(3)
        other = tuple(s if i == d or rng.random() < 0.7 else 1 for i, s in enumerate(x.shape))
        dim = ctx.choice([d, d - len(x.shape), None])
        return [x, ctx.fresh(other, "normal")], {"fn": fn, "d": dim, "form": _form(ctx)}
    if fn == "diff":
        x = ctx.pick(lambda v: anyf(v) and small(v) and len(v.shape) >= 1) or ctx.fresh(ctx.shape(1), "normal")
        d = rdim(ctx, len(x.shape))
        p = {"fn": fn, "n": int(rng.integers(0, 4)), "d": d, "form": _form(ctx)}
        args = [x]
        if isf(x) and rng.random() < 0.4:
            s = list(x.shape)
            s[d] = int(rng.integers(1, 3))
            args.append(ctx.fresh(tuple(s), "normal"))
        return args, p
    x = _f(ctx, "normal", lambda v: len(v.shape) <= 2 and small(v, 16), max_nd=2)
    return None if x is None else ([x], {"fn": fn, "k": int(rng.integers(-2, 3)), "form": _form(ctx)})


def _combine_code(a: list, p: dict) -> str:
    fn = p["fn"]
    if fn == "block_diag":
        return f"M.block_diag({', '.join(a)})"
    if fn == "kron":
        # operands in the standard layout: torch 2.13's kron views its inputs and raises for some strides (even of
        # "contiguous" tensors with size-1 dims); ours computes them (tests/test_tensor_ops.py::
        # test_kron_of_non_contiguous_inputs)
        return _call("kron", [_std(a[0])], _std(a[1]), p)
    if fn == "cross":
        return _call("cross", a, a[1] + ("" if p["d"] is None else f", dim={p['d']}"), p)
    if fn == "diff":
        return _call("diff", a, f"{p['n']}, {p['d']}" + (f", prepend={a[1]}" if len(a) > 1 else ""), p)
    return _call("diagflat", a, str(p["k"]), p)


reg("combine", "shape", _combine_gen, _combine_code)


def _grids_gen(ctx: Any) -> Any:
    fn = ctx.choice(["meshgrid", "cartesian_prod", "broadcast_tensors", "atleast", "sum_to_size"])
    rng = ctx.rng
    if fn in ("meshgrid", "cartesian_prod"):
        k = int(rng.integers(1, 4))
        xs = [ctx.fresh((int(rng.integers(0, 4)),) if fn == "cartesian_prod" or rng.random() < 0.8 else (),
                        "normal") for _ in range(k)]
        return xs, {"fn": fn, "ix": ctx.choice(["ij", "xy"])}
    if fn == "broadcast_tensors":
        x = ctx.pick(lambda v: anyf(v) and small(v)) or ctx.fresh(ctx.shape(), "normal")
        from .ops import bshape

        return [x, ctx.fresh(bshape(ctx, x.shape), "normal")], {"fn": fn}
    if fn == "atleast":
        xs = [ctx.pick(lambda v: anyf(v) and small(v)) or ctx.fresh(ctx.shape(0, 3), "normal")]
        xs += [ctx.fresh(ctx.shape(0, 3), "normal") for _ in range(int(rng.integers(0, 2)))]
        return xs, {"fn": fn, "k": ctx.choice([1, 2, 3])}
    x = ctx.pick(lambda v: isf(v) and small(v)) or ctx.fresh(ctx.shape(), "normal")
    lead = int(rng.integers(0, len(x.shape) + 1))
    size = tuple(1 if rng.random() < 0.5 else s for s in x.shape[lead:])
    return [x], {"fn": fn, "size": size}


def _grids_code(a: list, p: dict) -> str:
    fn = p["fn"]
    if fn == "meshgrid":
        return f"{{o0}} = M.meshgrid({', '.join(a)}, indexing={p['ix']!r})[-1]"
    if fn == "cartesian_prod":
        return f"{{o0}} = M.cartesian_prod({', '.join(a)})"
    if fn == "broadcast_tensors":
        return f"{{o0}}, __b = M.broadcast_tensors({a[0]}, {a[1]})\n{{o0}} = {{o0}} * 1 + __b * 2"
    if fn == "atleast":
        if len(a) == 1:
            return f"{{o0}} = M.atleast_{p['k']}d({a[0]})"
        return f"__t = M.atleast_{p['k']}d({', '.join(a)})\n{{o0}} = __t[0] * 1 + __t[-1].sum()"
    return f"{{o0}} = {a[0]}.sum_to_size({', '.join(map(str, p['size']))})"


reg("grids", "shape", _grids_gen, _grids_code, stmt=True)


# ---------------------------------------------------------------------- scans and reductions
def _scan_gen(ctx: Any, fns: tuple = ("cumprod", "cumprod", "logcumsumexp")) -> Any:
    fn = ctx.choice(fns)
    if fn == "cumprod" and ctx.rng.random() < 0.1:
        x = ctx.pick(isint) or ctx.fresh(ctx.shape(), "int", dtype="int64")
    else:
        x = _f(ctx, "normal", lambda v: small(v, 100))
    if x is None:
        return None
    d = rdim(ctx, len(x.shape))
    if fn in ("cummax", "cummin") and not _distinct(ctx, x, d % max(len(x.shape), 1) if x.shape else None):
        return None
    p = {"fn": fn, "d": d, "form": _form(ctx), "zeros": fn == "cumprod" and isf(x) and ctx.rng.random() < 0.4}
    return [x], p


def _scan_code(a: list, p: dict) -> str:
    x = f"({a[0]} * ({a[0]}.abs() > 0.5))" if p["zeros"] else a[0]  # zeros in the scan: the exact gradient path
    return _call(p["fn"], [x], str(p["d"]), p)


reg("scans", "reduction", _scan_gen, _scan_code)
reg("cummax_cummin", "reduction", lambda ctx: _scan_gen(ctx, ("cummax", "cummin")), _scan_code, multi=True)


def _moments_gen(ctx: Any, fns: tuple) -> Any:
    fn = ctx.choice(fns)
    x = _f(ctx, "normal")
    if x is None:
        return None
    nd = len(x.shape)
    r = ctx.rng.random()
    dim = None if r < 0.3 else (rdims(ctx, nd) if r < 0.6 else rdim(ctx, nd))
    shape = x.shape if nd else (1,)
    axes = range(nd) if dim is None else ((dim,) if isinstance(dim, int) else dim)
    count = int(np.prod([shape[a] for a in axes])) if nd else 1
    # a correction below the count: at n - correction <= 0 the double backward differs by design (known.py,
    # var-zero-dof-double-backward, matched for the var_std entry)
    p = {"fn": fn, "dim": dim, "keepdim": bool(ctx.rng.random() < 0.4), "c": ctx.choice(range(min(3, max(count, 1)))),
         "nan": bool(ctx.rng.random() < 0.6)}
    if fn in ("count_nonzero", "nansum", "nanmean") and ctx.rng.random() < 0.5:
        p["form"] = "method"
    return [x], p


def _moments_code(a: list, p: dict) -> str:
    fn, dim = p["fn"], p["dim"]
    x = f"M.where({a[0]} > 0.8, float('nan'), {a[0]})" if p["nan"] and fn.startswith("nan") else a[0]
    if fn == "count_nonzero":
        return f"{x}.count_nonzero({dim!r})" if p.get("form") == "method" else f"M.count_nonzero({x}, {dim!r})"
    if fn in ("nansum", "nanmean"):
        args = "" if dim is None and not p["keepdim"] else f"{dim!r}, keepdim={p['keepdim']}"
        return _call(fn, [x], args, p)
    return f"M.{fn}({x}{'' if dim is None else f', {dim!r}'}, correction={p['c']}, keepdim={p['keepdim']})"


reg("std_var_mean", "reduction", lambda ctx: _moments_gen(ctx, ("std_mean", "var_mean")), _moments_code, multi=True)
reg("nan_reductions", "reduction", lambda ctx: _moments_gen(ctx, ("nansum", "nanmean", "count_nonzero")),
    _moments_code)


def _any_all_gen(ctx: Any) -> Any:
    r = ctx.rng.random()
    if r < 0.4:
        x = ctx.pick(lambda v: v.dtype == "bool" and small(v)) or ctx.fresh(ctx.shape(), "bool", dtype="bool")
    elif r < 0.6:
        x = ctx.pick(isint) or ctx.fresh(ctx.shape(), "int", dtype="int64")
    else:
        x = ctx.pick(lambda v: isf(v) and small(v)) or ctx.fresh(ctx.shape(), "normal")
    nd = len(x.shape)
    r = ctx.rng.random()
    dim = None if r < 0.35 else (rdims(ctx, nd) if r < 0.55 else rdim(ctx, nd))
    return [x], {"fn": ctx.choice(["any", "all"]), "dim": dim, "keepdim": bool(ctx.rng.random() < 0.4),
                 "form": _form(ctx), "cmp": isf(x) and ctx.rng.random() < 0.5}


def _any_all_code(a: list, p: dict) -> str:
    x = f"({a[0]} > 0)" if p["cmp"] else a[0]
    args = "" if p["dim"] is None else f"{p['dim']!r}, keepdim={p['keepdim']}"
    return _call(p["fn"], [x], args, p)


reg("any_all", "reduction", _any_all_gen, _any_all_code)


# ---------------------------------------------------------------------- sorting and selection
def _select_gen(ctx: Any, fns: tuple) -> Any:
    fn = ctx.choice(fns)
    x = _f(ctx, "uniq", lambda v: small(v, 100))
    if x is None:
        return None
    nd = len(x.shape)
    d = rdim(ctx, nd)
    dd = 0 if fn == "msort" else d % max(nd, 1)
    if not _distinct(ctx, x, dd if nd else None):
        return None
    n = x.shape[dd] if nd else 1
    p = {"fn": fn, "d": d, "form": _form(ctx), "desc": bool(ctx.rng.random() < 0.5),
         "keepdim": bool(ctx.rng.random() < 0.4)}
    if fn == "topk":
        p["k"] = int(ctx.rng.integers(0, n + 1)) if ctx.rng.random() < 0.95 else n + 1
    if fn == "kthvalue":
        p["k"] = int(ctx.rng.integers(1, n + 1)) if n else 1
    if fn == "msort":
        p["form"] = "func" if nd else "method"
    if fn == "median_dim" and n == 0:
        return None
    return [x], p


def _select_code(a: list, p: dict) -> str:
    fn, d = p["fn"], p["d"]
    if fn == "sort":
        return _call("sort", a, f"dim={d}, descending={p['desc']}", p)
    if fn == "argsort":
        return _call("argsort", a, f"dim={d}, descending={p['desc']}", p)
    if fn == "msort":
        return f"M.msort({a[0]})" if p["form"] == "func" else f"{a[0]}.msort()"
    if fn == "topk":
        return _call("topk", a, f"{p['k']}, dim={d}, largest={not p['desc']}", p)
    if fn == "kthvalue":
        return _call("kthvalue", a, f"{p['k']}, {d}, keepdim={p['keepdim']}", p)
    return _call("median", a, f"{d}, keepdim={p['keepdim']}", p)


reg("sort_topk_kth", "sorting", lambda ctx: _select_gen(ctx, ("sort", "topk", "kthvalue", "median_dim")), _select_code,
    multi=True)
reg("argsort_msort", "sorting", lambda ctx: _select_gen(ctx, ("argsort", "msort")), _select_code)


def _median_all_gen(ctx: Any) -> Any:
    x = _f(ctx, "normal", lambda v: int(np.prod(v.shape)) > 0)  # ties share the gradient alike: any values
    return None if x is None or 0 in x.shape else ([x], {"form": _form(ctx)})


reg("median_all", "sorting", _median_all_gen, lambda a, p: _call("median", a, "", p))


def _mode_gen(ctx: Any) -> Any:
    x = ctx.fresh(ctx.shape(1, 3), "int", dtype=ctx.fdt)  # few distinct values: real modes (ties resolved alike)
    if 0 in x.shape:
        return None
    return [x], {"d": rdim(ctx, len(x.shape)), "keepdim": bool(ctx.rng.random() < 0.4), "form": _form(ctx)}


reg("mode", "sorting", _mode_gen, lambda a, p: _call("mode", a, f"{p['d']}, keepdim={p['keepdim']}", p), multi=True)


def _unique_gen(ctx: Any) -> Any:
    fn = ctx.choice(["unique", "unique", "unique_consecutive"])
    x = ctx.pick(lambda v: (isint(v) or (isf(v) and not v.rg)) and small(v)) or ctx.fresh(
        ctx.shape(0, 3), "int", dtype="int64")
    nd = len(x.shape)
    p = {"fn": fn, "inv": bool(ctx.rng.random() < 0.5), "counts": bool(ctx.rng.random() < 0.5), "form": _form(ctx),
         "dim": rdim(ctx, nd) if nd and ctx.rng.random() < 0.3 else None}
    return [x], p


def _unique_code(a: list, p: dict) -> str:
    # detached: torch's unique of a tensor that requires grad returns one that requires grad (with no derivative),
    # ours returns a constant (a deliberate difference; an in-place op may have made the picked value require grad)
    args = f"return_inverse={p['inv']}, return_counts={p['counts']}" + ("" if p["dim"] is None else f", dim={p['dim']}")
    call = _call(p["fn"], [f"{a[0]}.detach()"], args, p)
    return f"__u = {call}\n{{o0}} = __u if isinstance(__u, M.Tensor) else __u[-1]"


reg("unique", "sorting", _unique_gen, _unique_code, stmt=True)


def _counting_gen(ctx: Any) -> Any:
    fn = ctx.choice(["bincount", "histc", "searchsorted", "bucketize"])
    rng = ctx.rng
    if fn == "bincount":
        x = ctx.fresh((int(rng.integers(0, 6)),), "int_pos", dtype="int64")
        args = [x] + ([ctx.fresh(x.shape, "normal", rg=False)] if rng.random() < 0.4 else [])
        return args, {"fn": fn, "ml": int(rng.integers(0, 7)), "form": _form(ctx)}
    if fn == "histc":
        x = ctx.pick(lambda v: isf(v) and not v.rg and small(v)) or ctx.fresh(ctx.shape(), "normal", rg=False)
        lo, hi = ctx.choice([(0, 0), (-1.0, 1.0), (-0.5, 2.0)])
        return [x], {"fn": fn, "bins": int(rng.integers(1, 8)), "lo": lo, "hi": hi, "form": _form(ctx)}
    seq = np.sort(np.round(rng.normal(size=int(rng.integers(1, 6))), 1))
    vals = ctx.pick(lambda v: isf(v) and small(v) and len(v.shape) <= 2) or ctx.fresh(ctx.shape(0, 2), "normal")
    return [vals], {"fn": fn, "seq": seq, "right": bool(rng.random() < 0.5), "i32": bool(rng.random() < 0.2)}


def _counting_code(a: list, p: dict) -> str:
    fn = p["fn"]
    if fn == "bincount":
        w = f", weights={a[1]}" if len(a) > 1 else ""
        return _call("bincount", a[:1], f"minlength={p['ml']}{w}" if w or p["ml"] else "", p)
    if fn == "histc":
        return _call("histc", a, f"bins={p['bins']}, min={p['lo']}, max={p['hi']}", p)
    seq = lit(p["seq"]) + f".to({a[0]}.dtype)"
    if fn == "searchsorted":
        return f"M.searchsorted({seq}, {a[0]}, right={p['right']}, out_int32={p['i32']})"
    return f"M.bucketize({a[0]}, {seq}, right={p['right']}, out_int32={p['i32']})"


reg("counting", "sorting", _counting_gen, _counting_code)


# ---------------------------------------------------------------------- scatter family
def _index_for(ctx: Any, xshape: tuple, d: int, unique: bool) -> np.ndarray | None:
    """An int64 index for scatter/gather along d: no larger than xshape off d; distinct along d if unique."""
    rng = ctx.rng
    n = xshape[d]
    if n == 0:
        return None
    shape = [int(rng.integers(1, s + 1)) if s and rng.random() < 0.5 else s for s in xshape]
    shape[d] = int(rng.integers(1, (n if unique else 4) + 1))
    if 0 in shape:
        return None
    if not unique:
        return np.asarray(rng.integers(0, n, size=shape), dtype=np.int64)
    out = np.empty(shape, dtype=np.int64)
    moved = np.moveaxis(out, d, -1)
    for i in np.ndindex(*moved.shape[:-1]):
        moved[i] = rng.permutation(n)[: moved.shape[-1]]
    return out


def _scatter_gen(ctx: Any, fns: tuple = ("scatter", "scatter_value", "scatter_add")) -> Any:
    fn = ctx.choice(fns)
    x = _f(ctx, "normal", lambda v: len(v.shape) >= 1 and 0 not in v.shape and small(v, 100), min_nd=1)
    if x is None:
        return None
    nd = len(x.shape)
    d = rdim(ctx, nd)
    idx = _index_for(ctx, x.shape, d % nd, unique=fn in ("scatter", "scatter_value"))
    if idx is None:
        return None
    p: dict = {"fn": fn, "d": d, "idx": idx, "form": _form(ctx), "inplace": bool(ctx.rng.random() < 0.25)}
    if fn == "scatter_value":
        p["v"] = ctx.choice([1.0, -2.5, 0.0])
        return [x], p
    src = ctx.fresh(idx.shape, "pos" if ctx.rng.random() < 0.3 else "normal")
    if fn == "scatter_reduce":
        p["red"] = ctx.choice(["sum", "prod", "prod", "mean", "amax", "amin"])
        p["inc"] = bool(ctx.rng.random() < 0.6)
    return [x, src], p


def _scatter_code(a: list, p: dict) -> str:
    fn, d, i = p["fn"], p["d"], lit(p["idx"])
    if fn == "scatter_value":
        name, rest = "scatter", f"{d}, {i}, {p['v']}"
    elif fn == "scatter_reduce":
        name, rest = fn, f"{d}, {i}, {a[1]}, {p['red']!r}, include_self={p['inc']}"
    else:
        name, rest = fn, f"{d}, {i}, {a[1]}"
    if p["inplace"]:
        return f"{{o0}} = {a[0]} * 1\n{{o0}}.{name}_({rest})"
    return "{o0} = " + _call(name, a[:1], rest, p)


reg("scatter_family", "indexing", _scatter_gen, _scatter_code, stmt=True)
reg("scatter_reduce", "indexing", lambda ctx: _scatter_gen(ctx, ("scatter_reduce",)), _scatter_code, stmt=True)


def _index_gen(ctx: Any) -> Any:
    fn = ctx.choice(["index_select", "index_add", "index_copy", "index_fill", "take", "take_along_dim",
                     "masked_select", "masked_fill"])
    rng = ctx.rng
    x = _f(ctx, "normal", lambda v: small(v, 100) and len(v.shape) >= 1, min_nd=1)
    if x is None:
        return None
    nd = len(x.shape)
    d = rdim(ctx, nd)
    n = x.shape[d]
    p: dict = {"fn": fn, "d": d, "form": _form(ctx), "inplace": bool(rng.random() < 0.4)}
    if fn in ("index_select", "index_add", "index_copy", "index_fill"):
        if n == 0:
            return None
        k = int(rng.integers(0, n + 1)) if fn == "index_copy" else int(rng.integers(0, 4))
        p["idx"] = np.asarray(rng.permutation(n)[:k] if fn == "index_copy" else rng.integers(0, n, size=k),
                              dtype=np.int64)
        if fn in ("index_add", "index_copy"):
            s = list(x.shape)
            s[d] = k
            src = ctx.fresh(tuple(s), "normal")
            p["alpha"] = ctx.choice([1, 2.0, -0.5])
            return [x, src], p
        if fn == "index_fill":
            if rng.random() < 0.5:
                return [x, ctx.fresh((), "normal")], p
            p["v"] = ctx.choice([0.5, -1.0])
        return [x], p
    if fn == "take":
        m = int(np.prod(x.shape))
        if m == 0:
            return None
        p["idx"] = np.asarray(rng.integers(-m, m, size=ctx.choice([(3,), (2, 2), ()])), dtype=np.int64)
        return [x], p
    if fn == "take_along_dim":
        if n == 0 or not nd:
            return None
        ish = [s if rng.random() < 0.6 else 1 for s in x.shape]
        ish[d] = int(rng.integers(1, 4))
        p["idx"] = np.asarray(rng.integers(0, n, size=ish), dtype=np.int64)
        p["flat"] = bool(rng.random() < 0.2)
        return [x], p
    from .ops import bshape

    p["mask"] = rng.random(bshape(ctx, x.shape) if rng.random() < 0.4 else x.shape) < 0.5
    if fn == "masked_fill":
        p["mask"] = np.asarray(rng.random(x.shape[int(rng.integers(0, nd + 1)):]) < 0.5)
        if rng.random() < 0.4:
            return [x, ctx.fresh((), "normal")], p
        p["v"] = ctx.choice([0.0, -1.5, float("-inf")])
    return [x], p


def _index_code(a: list, p: dict) -> str:
    fn, d = p["fn"], p["d"]
    val = a[1] if len(a) > 1 else lit(p.get("v"))
    if fn in ("index_select", "index_add", "index_copy", "index_fill"):
        rest = f"{d}, {lit(p['idx'])}" + ("" if fn == "index_select" else f", {val}")
        if fn == "index_add" and p["alpha"] != 1:
            rest += f", alpha={p['alpha']}"
    elif fn == "take":
        rest = lit(p["idx"])
    elif fn == "take_along_dim":
        rest = lit(p["idx"]) if p["flat"] else f"{lit(p['idx'])}, {d}"
        if p["flat"]:  # (contiguous: torch 2.13's flat take_along_dim views its input and raises for some layouts)
            return f"{{o0}} = M.take_along_dim({_std(a[0])}, {lit(p['idx'])}.reshape(-1))"
    elif fn == "masked_select":
        rest = lit(p["mask"])
    else:
        rest = f"{lit(p['mask'])}, {val}"
    inplace_ok = fn in ("index_add", "index_copy", "index_fill", "masked_fill")
    if p["inplace"] and inplace_ok:
        return f"{{o0}} = {a[0]} * 1\n{{o0}}.{fn}_({rest})"
    if fn == "masked_fill" and p["form"] == "method":
        p = dict(p, form="func")  # the method is the comparison family's; the function is ours
    return "{o0} = " + _call(fn, a[:1], rest, p)


reg("index_family", "indexing", _index_gen, _index_code, stmt=True)


def _nonzero_gen(ctx: Any) -> Any:
    x = ctx.pick(lambda v: anyf(v) and small(v)) or ctx.fresh(ctx.shape(), "bool", dtype="bool")
    return [x], {"fn": ctx.choice(["nonzero", "nonzero_tuple", "argwhere"]), "form": _form(ctx)}


def _nonzero_code(a: list, p: dict) -> str:
    if p["fn"] == "nonzero_tuple":
        call = _call("nonzero", a, "as_tuple=True", p)
        return f"__n = {call}\n{{o0}} = __n[-1] * 1"
    return "{o0} = " + _call(p["fn"], a, "", p)


reg("nonzero", "indexing", _nonzero_gen, _nonzero_code, stmt=True)


# ---------------------------------------------------------------------- sequences as indices
def _seq_index_gen(ctx: Any) -> Any:
    """``x[range(n), idx]`` (the PyTorch idiom for picking one element per row), lists and bool lists as
    indices, a list holding slices (a tuple of indices), read or written (with a broadcasting value)."""
    x = ctx.pick(lambda v: isf(v) and small(v) and len(v.shape) >= 1 and 0 not in v.shape)
    if x is None:
        x = ctx.fresh(tuple(max(s, 1) for s in ctx.shape(1, 3)), "normal")
    rng = ctx.rng
    n = x.shape[0]
    form = ctx.choice(["range_pick", "list", "bool_list", "list_tuple", "range"])
    if form == "range_pick" and len(x.shape) >= 2:
        idx: Any = (range(n), [int(v) for v in rng.integers(-x.shape[1], x.shape[1], size=n)])
    elif form == "bool_list":
        idx = ([bool(v) for v in rng.random(n) < 0.5],)
    elif form == "list_tuple":
        idx = ([int(rng.integers(0, n)), slice(None)],)  # a list with a slice in it is a tuple of indices
    elif form == "range":
        idx = (range(int(rng.integers(0, n + 1))),)
    else:
        idx = ([int(v) for v in rng.integers(-n, n, size=int(rng.integers(0, 4)))],)
    write = bool(rng.random() < 0.5)
    p = {"idx": idx, "write": write, "unwrap": form in ("bool_list", "list_tuple", "range", "list")}
    if write:
        if form in ("range_pick", "list") and any(isinstance(k, list) and len(set(k)) != len(k) for k in idx):
            return None  # a repeated position written twice: which write wins is unspecified
        try:
            sub = ctx.torch_index_shape(x, _src_idx(p))
        except Exception:  # noqa: BLE001 - an invalid index: let torch reject it in the program
            sub = None
        args = [x]
        if sub is not None and rng.random() < 0.7:
            args.append(ctx.fresh(sub[int(rng.integers(0, len(sub) + 1)):] if rng.random() < 0.4 else sub, "normal"))
        else:
            p["s"] = round(float(rng.normal()), 3)
        return args, p
    return [x], p


def _src_idx(p: dict) -> Any:
    return p["idx"][0] if p["unwrap"] else p["idx"]


def _seq_index_code(a: list, p: dict) -> str:
    idx = _src_idx(p)
    src = repr(idx) if not isinstance(idx, tuple) else ", ".join(repr(k) for k in idx)
    if not p["write"]:
        return f"{{o0}} = {a[0]}[{src}]"
    val = a[1] if len(a) > 1 else lit(p["s"])
    return f"{{o0}} = {a[0]} * 1\n{{o0}}[{src}] = {val}"


reg("index_sequences", "indexing", _seq_index_gen, _seq_index_code, stmt=True)
