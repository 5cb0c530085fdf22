"""Fuzzer registry entries for torch.special (``M.special.<name>``): the unary functions (on values from the
program or new inputs in their domain), xlog1py, gammainc / gammaincc / zeta (their first argument drawn without
grad: neither library differentiates it) and multigammaln, plus torch's top-level and method forms of i0 and mvlgamma.

spherical_bessel_j0 is drawn too: neither library records a graph for it (the output never requires grad).
"""

from __future__ import annotations

from typing import Any

from .ops import float_arg, other_operand, reg

EXCLUDED_API: dict[str, str] = {}

# name -> (input kind, domain) for new inputs; values already in the program are used when in the domain
_UNARY = {
    "ndtr": ("normal", None), "log_ndtr": ("normal", None), "ndtri": ("unit", {"lo": 0.0, "hi": 1.0}),
    "erfcx": ("normal", {"lo": -5.0, "hi": 30.0}), "entr": ("pos", None), "i0": ("normal", {"lo": -20, "hi": 20}),
    "i0e": ("normal", None), "i1": ("normal", {"lo": -20, "hi": 20}), "i1e": ("normal", None),
    "expit": ("normal", None), "gammaln": ("pos", None), "psi": ("pos", {"lo": 0.1}), "erfinv": ("unit", None),
    "spherical_bessel_j0": ("normal", None), "modified_bessel_i0": ("normal", {"lo": -20, "hi": 20}),
}


def _cycle(ctx: Any, options: list) -> Any:
    from .ops_math import _cycle as cycle

    return cycle(ctx, options)


def _special_unary_gen(fn: str) -> Any:
    kind, dom = _UNARY[fn]

    def gen(ctx: Any) -> Any:
        x = float_arg(ctx, kind, (lambda v: ctx.in_domain(v, **dom)) if dom else None)
        return None if x is None else ([x], {})

    return gen


# one registry entry per function, so that the CI slice (which forces every entry) draws each of them
for _fn in sorted(_UNARY):
    reg(f"special_{_fn}", "unary", _special_unary_gen(_fn), lambda a, p, fn=_fn: f"M.special.{fn}({a[0]})")


def _xlog1py_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "normal")
    if x is None:
        return None
    rest, scalar = other_operand(ctx, x, "pos", allow_int=False)
    return [x, *rest], {"scalar": scalar}


def _xlog1py_code(a: list, p: dict) -> str:
    return f"M.special.xlog1py({a[0]}, {repr(p['scalar']) if p['scalar'] is not None else a[1]})"


reg("special_xlog1py", "binary", _xlog1py_gen, _xlog1py_code)


def _second_arg_gen(ctx: Any) -> Any:
    fn = _cycle(ctx, ["gammainc", "gammaincc", "zeta"])
    x = float_arg(ctx, "pos", lambda v: ctx.in_domain(v, lo=0.05, hi=30.0))
    if x is None:
        return None
    first = ctx.fresh(x.shape if ctx.rng.random() < 0.7 else (), "pos", rg=False)
    return [first, x], {"fn": fn}


def _second_arg_code(a: list, p: dict) -> str:
    first = f"({a[0]} + 1.2)" if p["fn"] == "zeta" else a[0]  # zeta's s > 1
    return f"M.special.{p['fn']}({first}, {a[1]})"


reg("special_second_arg", "binary", _second_arg_gen, _second_arg_code)


def _multigammaln_gen(ctx: Any) -> Any:
    p = int(ctx.choice([1, 2, 3]))
    x = float_arg(ctx, "pos", lambda v: ctx.in_domain(v, lo=(p - 1) / 2 + 0.05, hi=50.0))
    return None if x is None else ([x], {"p": p, "form": _cycle(ctx, ["special", "top", "method"])})


def _multigammaln_code(a: list, p: dict) -> str:
    if p["form"] == "special":
        return f"M.special.multigammaln({a[0]}, {p['p']})"
    return f"{a[0]}.mvlgamma({p['p']})" if p["form"] == "method" else f"M.mvlgamma({a[0]}, {p['p']})"


reg("special_multigammaln", "unary", _multigammaln_gen, _multigammaln_code)


def _i0_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "normal", lambda v: ctx.in_domain(v, lo=-20, hi=20))
    return None if x is None else ([x], {"form": _cycle(ctx, ["top", "method"])})


reg("i0", "unary", _i0_gen, lambda a, p: f"{a[0]}.i0()" if p["form"] == "method" else f"M.i0({a[0]})")
