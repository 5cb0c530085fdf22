"""Fuzzer registry entries for elementwise math ops (trig, rounding, binary math, predicates, bitwise).

The plain unary ops are drawn from their op-table rows (``fuzz=`` in tests/op_db_math.py); this file adds the
ones with parameters (round(decimals=), logit(eps=), polygamma(n, x), nan_to_num), the aliases, integer
inputs, the binary ops, the predicates and bitwise ops, and the in-place twins (x.tan_(), x.atan2_(y), x <<= y).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .known import KNOWN, Known, _torch_error
from .ops import anyf, bshape, float_arg, isf, isint, lit, other_operand, reg, small


def _form(ctx: Any) -> str:
    return _cycle(ctx, ["method", "func"], 1)


def _cycle(ctx: Any, options: list, period: int = 1) -> Any:
    """The option for this program: program s forces registry op s % len(REGISTRY), so the k-th program that
    forces an op (k = s // len(REGISTRY)) takes option k // period (cycling), and the CI slice draws every
    option of an op within its first few rounds; programs that draw the op at random get one the same way."""
    from .ops import REGISTRY

    return options[(ctx.seed // len(REGISTRY) // period) % len(options)]


def _fn_form(ctx: Any, fns: list | tuple, forms: tuple = ("method", "func")) -> tuple[str, str]:
    """A (function, call form) pair cycling through all of them (see _cycle)."""
    return _cycle(ctx, [(f, m) for f in fns for m in forms])


def _call(name: str, a: list, rest: str, p: dict) -> str:
    """``x.name(rest)`` or ``M.name(x, rest)`` by ``p['form']``."""
    if p.get("form") == "method":
        return f"{a[0]}.{name}({rest})"
    return f"M.{name}({a[0]}{', ' + rest if rest else ''})"


def _into(ctx: Any, shape: tuple) -> tuple:
    """A shape that broadcasts *to* ``shape`` (some dims 1, leading dims dropped): an in-place operand."""
    s = [d if ctx.rng.random() < 0.7 else 1 for d in shape]
    if s and ctx.rng.random() < 0.3:
        s = s[int(ctx.rng.integers(0, len(s) + 1)):]
    return tuple(s)


def _dom(ctx: Any, **kw: Any) -> Any:
    return lambda v: ctx.in_domain(v, **kw)


# ---------------------------------------------------------------------- unary ops with parameters, aliases
def _round_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "normal", _dom(ctx, lo=-1e6, hi=1e6))
    return None if x is None else ([x], {"d": ctx.choice([0, 1, 2, -1]), "form": _form(ctx),
                                         "scale": ctx.choice([1, 10])})


def _round_code(a: list, p: dict) -> str:
    x = a[0] if p["scale"] == 1 else f"({a[0]} * {p['scale']})"
    return _call("round", [x], f"decimals={p['d']}", p)


reg("round_decimals", "unary", _round_gen, _round_code)


def _logit_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "unit", _dom(ctx, lo=0.0, hi=1.0))
    return None if x is None else ([x], {"eps": ctx.choice([None, 0.1, 0.3, 1e-6]), "form": _form(ctx)})


reg("logit_eps", "unary", _logit_gen, lambda a, p: _call("logit", a, f"eps={p['eps']}", p))


def _polygamma_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "pos", _dom(ctx, lo=0.1, hi=50))
    return None if x is None else ([x], {"n": ctx.choice([0, 1, 2, 3]), "form": _form(ctx)})


reg("polygamma", "unary", _polygamma_gen,
    lambda a, p: f"{a[0]}.polygamma({p['n']})" if p["form"] == "method" else f"M.polygamma({p['n']}, {a[0]})")


def _nan_to_num_gen(ctx: Any) -> Any:
    # log of a normal value: nan below 0, -inf at 0 (a zero-size or exact zero now and then), so there is
    # something to replace; exp of a large one gives +inf
    x = float_arg(ctx, "normal")
    if x is None:
        return None
    kw = ctx.choice([{}, {"nan": 1.5}, {"nan": 0.0, "posinf": 3.0, "neginf": -2.0}, {"neginf": -1e3}])
    return [x], {"kw": kw, "pre": ctx.choice(["log", "exp", "none"]), "form": _form(ctx)}


def _nan_to_num_code(a: list, p: dict) -> str:
    x = {"log": f"{a[0]}.log()", "exp": f"({a[0]} * 200).exp()", "none": a[0]}[p["pre"]]
    return _call("nan_to_num", [x], ", ".join(f"{k}={v!r}" for k, v in p["kw"].items()), p)


reg("nan_to_num_params", "unary", _nan_to_num_gen, _nan_to_num_code)

# name -> input kind, domain of values taken from the program (None: any finite value), shift added first
_ALIASES = {"arcsin": ("unit", dict(lo=-0.99, hi=0.99)), "arccos": ("unit", dict(lo=-0.99, hi=0.99)),
            "arctan": ("normal", None), "arcsinh": ("normal", None), "arctanh": ("unit", dict(lo=-0.99, hi=0.99)),
            "absolute": ("away", dict(away=0.1)), "fix": ("normal", None), "negative": ("normal", None),
            "positive": ("normal", None), "sgn": ("away", None), "acosh": ("pos", dict(lo=0.0)),
            "arccosh": ("pos", dict(lo=0.0))}


def _alias_gen(names: list) -> Any:
    def gen(ctx: Any) -> Any:
        fn, form = _fn_form(ctx, names)
        kind, dom = _ALIASES[fn]
        x = float_arg(ctx, kind, _dom(ctx, **dom) if dom else None)
        return None if x is None else ([x], {"fn": fn, "form": form})

    return gen


def _alias_code(a: list, p: dict) -> str:
    x = f"({a[0]} + 1.05)" if p["fn"] in ("acosh", "arccosh") else a[0]  # acosh's domain is x >= 1
    return _call(p["fn"], [x], "", p)


reg("math_aliases", "unary", _alias_gen(list(_ALIASES)[:6]), _alias_code)
reg("math_aliases_2", "unary", _alias_gen(list(_ALIASES)[6:]), _alias_code)

_INT_UNARY = ("tan asin acos sinh cosh asinh acosh atanh log2 log10 exp2 square reciprocal floor ceil trunc round "
              "sign sgn deg2rad rad2deg logit sinc nan_to_num erfc erfinv lgamma digamma negative positive "
              "frac abs").split()


def _int_unary_gen(ctx: Any) -> Any:
    # integer and bool tensors: float ops compute in float32, rounding ops keep the dtype, some refuse (frac)
    x = ctx.pick(lambda v: v.dtype in ("int64", "bool") and small(v))
    x = x or ctx.fresh(ctx.shape(0, 3), ctx.choice(["int", "int_pos", "bool"]),
                       dtype="bool" if ctx.rng.random() < 0.2 else "int64")
    return [x], {"fn": ctx.choice(_INT_UNARY), "form": _form(ctx)}


reg("int_math_unary", "unary", _int_unary_gen, lambda a, p: _call(p["fn"], a, "", p))


# ---------------------------------------------------------------------- binary math
def _binary(name: str, akind: str = "normal", bkind: str = "normal", scalars: bool = True, ints: bool = True,
            adom: dict | None = None, bdom: dict | None = None, fns: tuple | None = None) -> None:
    """A binary op: a float value of the program (or an int one now and then), and another operand from
    ``other_operand`` (a value, a broadcasting tensor, an int tensor, or a number where the op takes one)."""
    def gen(ctx: Any) -> Any:
        a = None
        if ints and ctx.rng.random() < 0.1:
            a = ctx.pick(lambda v: anyf(v) and small(v) and (adom is None or ctx.in_domain(v, **adom)))
        a = a or float_arg(ctx, akind, _dom(ctx, **adom) if adom else None)
        if a is None:
            return None
        b, scalar = other_operand(ctx, a, bkind if bkind in ("normal", "pos", "away") else "normal", allow_int=ints)
        if (scalar is not None and not scalars) or (b and bkind not in ("normal", "pos", "away")):
            b, scalar = [ctx.fresh(bshape(ctx, a.shape), bkind)], None
        if b and ctx.rng.random() < 0.1 and _bc(a, b[0]):
            b = [a]  # the op of a value with itself (ties: fmax/fmin's, nextafter's a == b)
        if b and bdom and not ctx.in_domain(b[0], **bdom):
            return None
        fn, form = _fn_form(ctx, fns or (name,))
        return [a] + b, {"scalar": scalar, "form": form, "fn": fn}

    def code(a: list, p: dict) -> str:
        y = a[1] if len(a) > 1 else lit(p["scalar"])
        return _call(p["fn"], a[:1], y, p)

    reg(name, "binary", gen, code)


_binary("atan2", scalars=False, fns=("atan2", "arctan2"))
_binary("copysign")
_binary("logaddexp", scalars=False, fns=("logaddexp", "logaddexp2"))
_binary("hypot", scalars=False)
_binary("fmod", bkind="away")
_binary("xlogy", bkind="pos", bdom=dict(lo=0.05))
_binary("fmax_fmin", bkind="uniq", scalars=False, fns=("fmax", "fmin"))
_binary("nextafter", scalars=False, ints=False)
_binary("math_divide", bkind="away", fns=("true_divide", "divide", "floor_divide"))
_binary("multiply_subtract", fns=("multiply", "subtract"))
_binary("compare_aliases", fns=("greater", "greater_equal", "less", "less_equal", "not_equal"))


def _float_power_gen(ctx: Any) -> Any:
    a = float_arg(ctx, "pos", _dom(ctx, lo=0.05, hi=20))
    if a is None:
        return None
    if ctx.rng.random() < 0.4:
        return [a], {"scalar": ctx.choice([2, 0.5, -1.5, 3.0]), "form": _form(ctx)}
    b = ctx.pick(lambda v: isf(v) and v is not a and small(v) and _bc(a, v) and ctx.in_domain(v, lo=-3, hi=3))
    return [a, b or ctx.fresh(bshape(ctx, a.shape), "normal")], {"form": _form(ctx)}


def _bc(a: Any, b: Any) -> bool:
    try:
        np.broadcast_shapes(a.shape, b.shape)
        return True
    except ValueError:
        return False


reg("float_power", "binary", _float_power_gen,
    lambda a, p: _call("float_power", a[:1], a[1] if len(a) > 1 else lit(p["scalar"]), p))


def _clamp_bound_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "uniq")
    if x is None:
        return None
    fn, form = _fn_form(ctx, ["clamp_min", "clamp_max"])
    if ctx.rng.random() < 0.4:
        return [x], {"fn": fn, "scalar": ctx.choice([0.2, -0.5, 1, 0]), "form": form}
    b = ctx.fresh(bshape(ctx, x.shape), "uniq", rg=bool(ctx.rng.random() < 0.5))
    return [x, b], {"fn": fn, "form": form}


reg("clamp_min_max", "binary", _clamp_bound_gen,
    lambda a, p: _call(p["fn"], a[:1], a[1] if len(a) > 1 else lit(p["scalar"]), p))


def _ldexp_gen(ctx: Any) -> Any:
    a = float_arg(ctx, "normal")
    if a is None:
        return None
    # non-negative integer exponents: torch 2.13 computes the gradient's 2**other in integer arithmetic, so it
    # is 0 for a negative integer exponent (tests/test_math_ops.py checks ours there); float ones are any
    b = ctx.fresh(bshape(ctx, a.shape), "int_pos", dtype="int64") if ctx.rng.random() < 0.6 else \
        ctx.fresh(bshape(ctx, a.shape), "normal")
    return [a, b], {"form": _form(ctx)}


reg("ldexp", "binary", _ldexp_gen, lambda a, p: _call("ldexp", a[:1], a[1], p))


def _lerp_gen(ctx: Any) -> Any:
    a = float_arg(ctx, "normal")
    if a is None:
        return None
    end = ctx.pick(lambda v: isf(v) and v is not a and v.dtype == a.dtype and small(v) and _bc(a, v))
    end = end or ctx.fresh(bshape(ctx, a.shape), "normal", dtype=a.dtype)
    if ctx.rng.random() < 0.5:
        return [a, end], {"w": ctx.choice([0.3, 0.7, -0.5, 1.5, 0, 1]), "form": _form(ctx)}
    w = ctx.fresh(bshape(ctx, a.shape) if ctx.rng.random() < 0.8 else (), "unit", dtype=a.dtype)
    return [a, end, w], {"form": _form(ctx)}


reg("lerp", "binary", _lerp_gen,
    lambda a, p: _call("lerp", a[:1], f"{a[1]}, {a[2] if len(a) > 2 else lit(p['w'])}", p))


def _addc_gen(ctx: Any) -> Any:
    a = float_arg(ctx, "normal")
    if a is None:
        return None
    fn, form = _fn_form(ctx, ["addcmul", "addcdiv"])
    t1 = ctx.fresh(bshape(ctx, a.shape), "normal")
    t2 = ctx.fresh(bshape(ctx, a.shape), "away" if fn == "addcdiv" else "normal")
    return [a, t1, t2], {"fn": fn, "v": ctx.choice([1, 0.5, -2]), "form": form}


reg("addcmul_addcdiv", "binary", _addc_gen,
    lambda a, p: _call(p["fn"], a[:1], f"{a[1]}, {a[2]}" + (f", value={p['v']}" if p["v"] != 1 else ""), p))


def _heaviside_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "normal")
    if x is None:
        return None
    # detached now and then: otherwise the program's backward reaches heaviside, which has no derivative
    # (torch raises there, and so must we)
    return [x], {"v": np.asarray(ctx.choice([0.5, 0.0, 2.0]), dtype=x.dtype), "round": bool(ctx.rng.random() < 0.5),
                 "detach": bool(ctx.rng.random() < 0.6), "form": _form(ctx)}


def _heaviside_code(a: list, p: dict) -> str:
    x = a[0] + (".round()" if p["round"] else "") + (".detach()" if p["detach"] else "")
    return _call("heaviside", [x], lit(p["v"]), p)


reg("heaviside", "binary", _heaviside_gen, _heaviside_code)


# ---------------------------------------------------------------------- predicates, logical and bitwise ops
def _predicate_gen(ctx: Any) -> Any:
    fn, form = _fn_form(ctx, ["isinf", "isposinf", "isneginf", "isreal", "signbit"])
    # signbit of no nan: the sign bit of the nan an invalid operation makes is unspecified by IEEE 754 (numpy's
    # log(-1) sets it, torch's does not)
    x = ctx.pick(lambda v: anyf(v) and small(v) and (fn != "signbit" or not np.isnan(ctx.value(v)).any()))
    x = x or ctx.fresh(ctx.shape(), "normal")
    pre = ctx.choice(["", ".log()" if fn != "signbit" else "", " * 0"]) if isf(x) else ""  # nan, -inf; signed 0
    return [x], {"fn": fn, "pre": pre, "form": form}


def _predicate_code(a: list, p: dict) -> str:
    return _call(p["fn"], [f"({a[0]}{p['pre']})" if p["pre"] else a[0]], "", p)


reg("predicates", "compare", _predicate_gen, _predicate_code)


def _isclose_gen(ctx: Any) -> Any:
    a = float_arg(ctx, "normal")
    if a is None:
        return None
    b = ctx.pick(lambda v: isf(v) and v.dtype == a.dtype and v is not a and _bc(a, v))
    b = b or ctx.fresh(bshape(ctx, a.shape), "normal", dtype=a.dtype)
    return [a, b], {"rtol": ctx.choice([1e-5, 0.5]), "atol": ctx.choice([1e-8, 0.3, 1.0]),
                    "nan": bool(ctx.rng.random() < 0.5), "form": _form(ctx)}


reg("isclose", "compare", _isclose_gen,
    lambda a, p: _call("isclose", a[:1], f"{a[1]}, rtol={p['rtol']}, atol={p['atol']}, equal_nan={p['nan']}", p))


def _logical_fn_gen(ctx: Any) -> Any:
    a = ctx.pick(lambda v: small(v)) or ctx.fresh(ctx.shape(), ctx.choice(["bool", "normal", "int"]),
                                                  dtype=ctx.choice(["bool", None, "int64"]))
    fn, form = _fn_form(ctx, ["logical_not", "logical_and", "logical_or", "logical_xor"])
    if fn == "logical_not":
        return [a], {"fn": fn, "form": form}
    b = ctx.pick(lambda v: v is not a and small(v) and _bc(a, v))
    b = b or ctx.fresh(bshape(ctx, a.shape), "bool", dtype="bool")
    return [a, b], {"fn": fn, "form": form}


reg("logical_fns", "compare", _logical_fn_gen, lambda a, p: _call(p["fn"], a[:1], ", ".join(a[1:]), p))

def _bitwise_gen(names: list) -> Any:
    return lambda ctx: _bitwise_args(ctx, *_fn_form(ctx, names))


def _bitwise_args(ctx: Any, fn: str, form: str) -> Any:
    shifts = fn in ("bitwise_left_shift", "bitwise_right_shift", "<<", ">>")
    kinds = ("int", "int_pos") if shifts or fn in ("gcd", "lcm") else ("int", "int_pos", "bool")
    a = ctx.pick(lambda v: (isint(v) or (v.dtype == "bool" and "bool" in kinds)) and small(v))
    if a is None or ctx.rng.random() < 0.3:
        k = ctx.choice(kinds)
        a = ctx.fresh(ctx.shape(0, 3), k, dtype="bool" if k == "bool" else "int64")
    if ctx.rng.random() < 0.05:
        a = float_arg(ctx, "normal")  # a float tensor: NotImplementedError in both
    if fn == "bitwise_not":
        return [a], {"fn": fn, "form": form}
    p: dict = {"fn": fn, "form": form, "rev": False}
    if shifts and ctx.rng.random() < 0.3:
        p["scalar"] = ctx.choice([0, 1, 3, 64, -1])  # out-of-range counts: PyTorch's values, not C's
        p["rev"] = fn in ("<<", ">>") and ctx.rng.random() < 0.3
        return [a], p
    if not shifts and fn not in ("gcd", "lcm") and ctx.rng.random() < 0.2:
        p["scalar"] = ctx.choice([1, 6, True])
        return [a], p
    b = ctx.fresh(bshape(ctx, a.shape), "int_pos" if shifts else ("bool" if a.dtype == "bool" else "int"),
                  dtype="bool" if a.dtype == "bool" and not shifts else "int64")
    return [a, b], p


def _bitwise_code(a: list, p: dict) -> str:
    y = a[1] if len(a) > 1 else lit(p.get("scalar"))
    if p["fn"] in ("<<", ">>"):
        return f"({y} {p['fn']} {a[0]})" if p["rev"] else f"({a[0]} {p['fn']} {y})"
    return _call(p["fn"], a[:1], "" if p["fn"] == "bitwise_not" else y, p)


reg("bitwise", "compare", _bitwise_gen(["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "<<"]),
    _bitwise_code)
reg("bitwise_2", "compare", _bitwise_gen(["bitwise_left_shift", "bitwise_right_shift", "gcd", "lcm", ">>"]),
    _bitwise_code)


# ---------------------------------------------------------------------- in-place twins
# name -> (input kind, prefix making the values fit the op's domain)
_UNARY_INPLACE = {
    **{n: ("normal", "") for n in ("atan arctan asinh arcsinh ceil cos cosh deg2rad erf erfc exp exp2 expm1 fix floor "
                                   "frac negative rad2deg round sgn sigmoid sign sin sinc sinh square tan tanh trunc "
                                   "nan_to_num lgamma digamma").split()},
    **{n: ("unit", "") for n in "acos arccos asin arcsin atanh arctanh erfinv logit".split()},
    **{n: ("pos", "") for n in "log log10 log1p log2 rsqrt sqrt".split()},
    **{n: ("away", "") for n in "abs absolute reciprocal".split()},
    "acosh": ("pos", " + 1.05"), "arccosh": ("pos", " + 1.05"),
}
_COMPARE = set("eq ne lt le gt ge greater greater_equal less less_equal not_equal".split())
_NO_TORCH_DERIVATIVE = {"asinh", "arcsinh", "acosh", "arccosh", "atanh", "arctanh"}
_BINARY_INPLACE = {
    **{n: "normal" for n in ("atan2 arctan2 copysign hypot multiply subtract clamp_min clamp_max eq ne lt le gt ge "
                             "greater greater_equal less less_equal not_equal").split()},
    **{n: "away" for n in "divide true_divide fmod remainder floor_divide".split()},
    "xlogy": "pos",
}


_BINARY_EXTRA = ("lerp", "float_power", "ldexp", "heaviside", "addcmul", "addcdiv", "clip", "cumsum", "cumprod")
_TENSOR_ONLY = {"atan2", "arctan2", "hypot", "float_power", "lerp", "ldexp", "heaviside", "addcmul", "addcdiv",
                "clip", "cumsum", "cumprod"}


def _inplace_args(ctx: Any, fn: str) -> Any:
    if fn in _UNARY_INPLACE:
        kind, _ = _UNARY_INPLACE[fn]
        pred = {"pos": _dom(ctx, lo=0.05), "away": _dom(ctx, away=0.1), "unit": _dom(ctx, lo=0.0, hi=1.0)}.get(kind)
        x = float_arg(ctx, kind, pred)
        return None if x is None else ([x], {"fn": fn})
    if fn == "float_power":  # a float64 base (a float32 one raises, in both; drawn now and then)
        dt = "float64" if ctx.rng.random() < 0.9 else "float32"
        x = ctx.pick(lambda v: v.dtype == dt and small(v) and ctx.in_domain(v, lo=0.05, hi=20))
        x = x or ctx.fresh(ctx.shape(), "pos", dtype=dt)
    else:
        x = float_arg(ctx, "normal")
    if x is None:
        return None
    kind = _BINARY_INPLACE.get(fn, "normal")
    p: dict = {"fn": fn}
    if fn == "float_power":
        p["scalar"] = ctx.choice([2, 0.5])  # float64 bases only can take it (float32 ones raise, as in torch)
        return [x], p
    if fn == "clip":
        p["scalar"] = (-0.5, 0.6)
        return [x], p
    if fn in ("cumsum", "cumprod"):
        p["scalar"] = -1 if not x.shape else int(ctx.rng.integers(-len(x.shape), len(x.shape)))
        return [x], p
    if fn not in _TENSOR_ONLY and ctx.rng.random() < 0.3:
        p["scalar"] = {"away": 1.5, "pos": 2.0}.get(kind, -0.5)
        return [x], p
    # (comparison twins get a constant operand: torch's x.eq_(y) makes x require grad when y does, though eq
    # itself never does; autograd_core's twins follow the out-of-place op)
    y = ctx.fresh(_into(ctx, x.shape), kind, dtype=x.dtype, rg=False if fn in _COMPARE else None)
    if fn == "ldexp":
        y = ctx.fresh(_into(ctx, x.shape), "int_pos", dtype="int64")
    if fn in ("addcmul", "addcdiv"):
        return [x, y, ctx.fresh(_into(ctx, x.shape), "away", dtype=x.dtype)], p
    if fn == "lerp":
        p["w"] = ctx.choice([0.3, 0.8])
    return [x, y], p


def _inplace_code(a: list, p: dict) -> str:
    fn = p["fn"]
    pre = _UNARY_INPLACE.get(fn, ("", ""))[1]
    # torch defines no derivative of asinh_, acosh_, atanh_ (their backward raises; autograd_core differentiates
    # them as the out-of-place ops): those run on a detached copy
    src = f"{a[0]}.detach()" if fn in _NO_TORCH_DERIVATIVE else a[0]
    head = f"{{o0}} = {src} * 1{pre}\n"
    if fn in _UNARY_INPLACE:
        return head + f"{{o0}}.{fn}_()"
    if fn == "clip":
        return head + f"{{o0}}.clip_({p['scalar'][0]}, {p['scalar'][1]})"
    if "scalar" in p:
        return head + f"{{o0}}.{fn}_({lit(p['scalar'])})"
    if fn == "heaviside":
        return head + f"{{o0}} = {{o0}}.detach()\n{{o0}}.heaviside_({a[1]}.detach())"
    if fn == "lerp":
        return head + f"{{o0}}.lerp_({a[1]}, {p['w']})"
    return head + f"{{o0}}.{fn}_({', '.join(a[1:])})"


# one registry entry per eight twins, each cycling through its own (so the CI slice draws all of them)
_INPLACE_NAMES = list(_UNARY_INPLACE) + list(_BINARY_INPLACE) + list(_BINARY_EXTRA)
for _k in range(0, len(_INPLACE_NAMES), 8):
    reg(f"math_inplace_{_k // 8}", "inplace",
        (lambda names: lambda ctx: _inplace_args(ctx, _cycle(ctx, names)))(_INPLACE_NAMES[_k:_k + 8]),
        _inplace_code, stmt=True)


def _inplace_logical_gen(names: list) -> Any:
    def gen(ctx: Any) -> Any:
        fn = _cycle(ctx, names)
        shifts = fn in ("bitwise_left_shift", "bitwise_right_shift", "<<=", ">>=")
        dtype = "int64" if shifts or ctx.rng.random() < 0.6 else "bool"
        x = ctx.fresh(ctx.shape(0, 3), "int" if dtype == "int64" else "bool", dtype=dtype)
        if fn in ("logical_not", "bitwise_not"):
            return [x], {"fn": fn}
        y = ctx.fresh(_into(ctx, x.shape), "int_pos" if shifts else ("int" if dtype == "int64" else "bool"),
                      dtype=dtype)
        return [x, y], {"fn": fn}

    return gen


def _inplace_logical_code(a: list, p: dict) -> str:
    fn = p["fn"]
    head = f"{{o0}} = {a[0]}.clone()\n"  # (x * 1 would turn a bool tensor into int64)
    if fn in ("<<=", ">>="):  # as explicit calls: program.api_names knows no augmented shift operator
        return head + f"{{o0}}.{'__ilshift__' if fn == '<<=' else '__irshift__'}({a[1]})"
    if fn.endswith("="):
        return head + f"{{o0}} {fn} {a[1]}"
    return head + f"{{o0}}.{fn}_({', '.join(a[1:])})"


reg("logical_inplace", "inplace", _inplace_logical_gen(["logical_and", "logical_or", "logical_xor", "logical_not",
                                                        "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not"]),
    _inplace_logical_code, stmt=True)
reg("logical_inplace_2", "inplace", _inplace_logical_gen(["bitwise_left_shift", "bitwise_right_shift", "<<=", ">>=",
                                                          "&=", "|=", "^="]), _inplace_logical_code, stmt=True)


# ---------------------------------------------------------------------- known torch-side differences
KNOWN.append(Known(
    "floor-divide-function-no-derivative",
    "torch-side limitation (as 'floor-divide-no-derivative' for div(rounding_mode='floor')): torch.floor_divide "
    "raises 'derivative for aten::floor_divide is not implemented' in backward; autograd_core returns the zero "
    "gradient, the derivative almost everywhere (tests/op_db_math.py's floor_divide row checks it by finite "
    "differences).",
    lambda prog, f, o, t: f.kind in ("grad:missing_error", "gradgrad:missing_error")
    and any((n.op == "math_divide" or n.op.startswith("math_inplace")) and n.params.get("fn") == "floor_divide"
            for n in prog.nodes)
    and _torch_error(t, "floor_divide"),
))
KNOWN.append(Known(
    "bool-input-backward",
    "torch-side bug (torch 2.13): atan2 / logaddexp / logaddexp2 of a bool input and an other that requires grad "
    "raise 'Negation (or Subtraction), the `-` operator, on a bool tensor is not supported' in backward (their "
    "formulas use the bool input without promoting it); autograd_core promotes it to float32 first and returns "
    "the gradient torch gives for input.float() "
    "(tests/test_math_ops.py::test_atan2_of_a_bool_input_differentiates_where_torch_raises).",
    lambda prog, f, o, t: f.kind in ("grad:missing_error", "gradgrad:missing_error")
    and any(n.op in ("atan2", "logaddexp") for n in prog.nodes)
    and (_torch_error(t, "Negation, the `-` operator, on a bool") or _torch_error(t, "Subtraction, the `-` operator, "
                                                                                        "with a bool")),
))


def _draws_sgn(prog: Any) -> bool:
    return any(n.params.get("fn") in ("sgn",) for n in prog.nodes)


KNOWN.append(Known(
    "sgn-zerotensor-backward",
    "torch-side bug (torch 2.13): sgn's backward returns a ZeroTensor, and a backward (or double backward) of an op "
    "that writes into its incoming gradient (var's, layer_norm's) then raises 'ZeroTensors are immutable'; "
    "autograd_core's sgn gradient is an ordinary zero array (as torch's sign gives), so the derivatives exist.",
    lambda prog, f, o, t: f.kind in ("grad:missing_error", "gradgrad:missing_error") and _draws_sgn(prog)
    and _torch_error(t, "ZeroTensors are immutable"),
))
