"""Fuzzer registry entries for the contraction family: tensordot, inner, addr, addbmm, chain_matmul, matrix_power,
matrix_exp, vander, combinations and the in-place twins addmm_, addmv_, baddbmm_, addbmm_, addr_.

vander runs on detached values: torch 2.13's vander backward raises (its cumprod reads a slice it has just written
in place), ours differentiates (the op table checks that gradient). addr's operands share one dtype: torch 2.13's
backward of a mixed-dtype addr raises (addmv of mixed dtypes). matrix_power's negative powers and matrix_exp take
I + 0.3 A (well conditioned, moderate norm), so high powers and exponentials stay in range.
"""

from __future__ import annotations

from typing import Any

from .ops import float_arg, isf, isint, reg, small

EXCLUDED_API: dict[str, str] = {}


def _form(ctx: Any) -> str:
    return ctx.choice(["method", "func"])


def _size(ctx: Any, lo: int = 1, hi: int = 4) -> int:
    return int(ctx.rng.integers(lo, hi + 1))


# ---------------------------------------------------------------------- tensordot, inner
def _tensordot_gen(ctx: Any) -> Any:
    rng = ctx.rng
    fn = ctx.choice(["tensordot", "tensordot", "inner"])
    a = float_arg(ctx, "normal", lambda v: small(v, 120) and len(v.shape) <= 3, max_nd=3)
    if a is None:
        return None
    na = len(a.shape)
    if fn == "inner":
        if na == 0 or rng.random() < 0.15:
            shape = ctx.shape(0, 2)
        else:
            shape = ctx.shape(0, 2) + (a.shape[-1] if rng.random() < 0.95 else a.shape[-1] + 1,)
        return [a, ctx.fresh(shape, "normal", dtype=a.dtype)], {"fn": fn, "form": _form(ctx)}
    r = rng.random()
    if r < 0.5:
        n = int(rng.integers(0, na + 1))
        contracted = list(a.shape[na - n:])
        if contracted and rng.random() < 0.15:
            contracted[0] = 1  # a size-1 dim pairs with any size (summed out first)
        shape = tuple(contracted) + ctx.shape(0, 2)
        dims: Any = n if rng.random() < 0.9 else n + 1  # too many dims: RuntimeError (or a size mismatch)
    else:
        k = int(rng.integers(0, na + 1))
        da = [int(d) for d in rng.permutation(na)[:k]]
        nb = int(rng.integers(k, k + 3))
        db = [int(d) for d in rng.permutation(nb)[:k]]
        shape_l = [_size(ctx) for _ in range(nb)]
        for i, j in zip(da, db):
            shape_l[j] = a.shape[i] if rng.random() < 0.95 else a.shape[i] + 1
        shape = tuple(shape_l)
        da = [d - na if rng.random() < 0.3 else d for d in da]
        dims = (da, db)
    return [a, ctx.fresh(shape, "normal", dtype=a.dtype)], {"fn": fn, "dims": dims}


def _tensordot_code(a: list, p: dict) -> str:
    if p["fn"] == "inner":
        return f"{a[0]}.inner({a[1]})" if p["form"] == "method" else f"M.inner({a[0]}, {a[1]})"
    return f"M.tensordot({a[0]}, {a[1]}, {p['dims']!r})"


reg("tensordot_inner", "matmul", _tensordot_gen, _tensordot_code)


# ---------------------------------------------------------------------- addr, addbmm, the in-place twins
def _addmm_family_gen(ctx: Any) -> Any:
    rng = ctx.rng
    fn = ctx.choice(["addr", "addbmm", "addr_", "addbmm_", "addmm_", "addmv_", "baddbmm_"])
    n, k, m, b = _size(ctx), _size(ctx), _size(ctx), _size(ctx, 0, 3)
    dt = ctx.fdt
    ops = {"addr": [(n,), (m,)], "addbmm": [(b, n, k), (b, k, m)], "addmm": [(n, k), (k, m)], "addmv": [(n, k), (k,)],
           "baddbmm": [(b, n, k), (b, k, m)]}[fn.rstrip("_")]
    out = {"addr": (n, m), "addbmm": (n, m), "addmm": (n, m), "addmv": (n,), "baddbmm": (b, n, m)}[fn.rstrip("_")]
    if fn.endswith("_"):
        # a self of another shape: RuntimeError (but torch 2.13's addbmm_ resizes a smaller self in place to the
        # result's shape; ours refuses to change a tensor's shape in an in-place op)
        ish = out if rng.random() < 0.93 or fn == "addbmm_" else out[1:]
    else:
        ish = ctx.choice([out, out[1:], tuple(1 if rng.random() < 0.5 else s for s in out), ()])
    c = ctx.pick(lambda v: v.dtype == dt and tuple(v.shape) == tuple(ish) and small(v)) or ctx.fresh(ish, "normal")
    args = [c] + [ctx.fresh(s, "normal", dtype=dt) for s in ops]
    return args, {"fn": fn, "beta": ctx.choice([1, 0.5, 0, -2.0]), "alpha": ctx.choice([1, 2.0, -0.5]),
                  "form": _form(ctx)}


def _addmm_family_code(a: list, p: dict) -> str:
    fn, kw = p["fn"], f"beta={p['beta']}, alpha={p['alpha']}"
    if fn.endswith("_"):
        return f"{{o0}} = {a[0]} * 1\n{{o0}}.{fn}({a[1]}, {a[2]}, {kw})"
    if p["form"] == "method":
        return f"{{o0}} = {a[0]}.{fn}({a[1]}, {a[2]}, {kw})"
    return f"{{o0}} = M.{fn}({a[0]}, {a[1]}, {a[2]}, {kw})"


reg("addr_addbmm_inplace", "matmul", _addmm_family_gen, _addmm_family_code, stmt=True)


def _chain_gen(ctx: Any) -> Any:
    k = _size(ctx, 1, 4)
    dims = [_size(ctx) for _ in range(k + 1)]
    shapes = [(dims[i], dims[i + 1]) for i in range(k)]
    if ctx.rng.random() < 0.05:
        shapes[-1] = shapes[-1][::-1] if shapes[-1][0] != shapes[-1][1] else (shapes[-1][0],)  # RuntimeError
    return [ctx.fresh(s, "normal") for s in shapes], {}


reg("chain_matmul", "matmul", _chain_gen, lambda a, p: f"M.chain_matmul({', '.join(a)})")


# ---------------------------------------------------------------------- matrix_power, matrix_exp
def _square_gen(ctx: Any) -> Any:
    rng = ctx.rng
    fn = ctx.choice(["matrix_power", "matrix_power", "matrix_exp"])
    n = _size(ctx, 0 if rng.random() < 0.05 else 1, 4)
    batch = ctx.choice([(), (), (2,), (1, 2)])
    x = ctx.pick(lambda v: (isf(v) or (isint(v) and fn == "matrix_power")) and len(v.shape) >= 2
                 and v.shape[-1] == v.shape[-2] and small(v, 64))
    if x is None:
        if fn == "matrix_power" and rng.random() < 0.15:
            x = ctx.fresh(batch + (n, n), "int", dtype="int64")
        else:
            x = ctx.fresh(batch + (n, n) if rng.random() < 0.95 else (n, n + 1), "normal")  # non-square: error
    p: dict = {"fn": fn, "form": _form(ctx), "cond": isf(x) and x.shape[-1] == x.shape[-2]}
    if fn == "matrix_power":
        p["k"] = int(rng.integers(-3, 7)) if isf(x) else int(rng.integers(0, 5))
    return [x], p


def _square_code(a: list, p: dict) -> str:
    x = a[0]
    if p["cond"]:  # I + 0.3 A: invertible and of moderate norm
        x = f"({a[0]} * 0.3 + M.eye({a[0]}.shape[-1], dtype={a[0]}.dtype))"
    if p["fn"] == "matrix_exp":
        return f"{x}.matrix_exp()" if p["form"] == "method" else f"M.matrix_exp({x})"
    return f"{x}.matrix_power({p['k']})" if p["form"] == "method" else f"M.matrix_power({x}, {p['k']})"


reg("matrix_power_exp", "matmul", _square_gen, _square_code)


# ---------------------------------------------------------------------- vander, combinations
def _vander_comb_gen(ctx: Any) -> Any:
    rng = ctx.rng
    fn = ctx.choice(["vander", "combinations"])
    x = ctx.pick(lambda v: (isf(v) or isint(v)) and len(v.shape) == 1 and v.shape[0] <= 5)
    if x is None:
        x = ctx.fresh((_size(ctx, 0, 5),) if rng.random() < 0.95 else (2, 2), "normal")  # 2-D: RuntimeError
    if fn == "vander":
        return [x], {"fn": fn, "N": ctx.choice([None, 0, 1, 2, 4]), "inc": bool(rng.random() < 0.5)}
    return [x], {"fn": fn, "r": int(rng.integers(0, 4)), "rep": bool(rng.random() < 0.4)}


def _vander_comb_code(a: list, p: dict) -> str:
    if p["fn"] == "vander":
        return f"M.vander({a[0]}.detach(), N={p['N']!r}, increasing={p['inc']})"
    return f"M.combinations({a[0]}, r={p['r']}, with_replacement={p['rep']})"


reg("vander_combinations", "shape", _vander_comb_gen, _vander_comb_code)
