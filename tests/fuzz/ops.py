"""The fuzzer's op registry: one ``OpSpec`` per op (and per call form worth telling apart).

An op's ``gen(ctx)`` chooses its arguments -- values already in the program (``ctx.pick``) or
new inputs (``ctx.fresh``) -- and its constant parameters, and returns ``(args, params)`` or
None when it does not apply. ``code(a, p)`` renders the call as Python source over the argument
names ``a``; that source runs unchanged in autograd_core and in torch, where ``M`` is the module
(``ag`` / ``torch``), ``F`` its ``nn.functional``, ``LA`` its ``linalg`` and ``C`` turns a numpy
literal into a constant tensor. Statement ops (``stmt=True``) render whole statements that assign
``{o0}``, ``{o1}``...; ``multi=True`` ops return a sequence (split, max(dim), qr ...).

Generators are allowed to produce calls that PyTorch rejects (out-of-range dims, views of
non-contiguous data, negative slice steps): the generator keeps a few of those as error
programs, where autograd_core must raise the same exception type.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

FLOATS = ("float32", "float64")


@dataclass
class OpSpec:
    name: str
    family: str
    gen: Callable[[Any], tuple[list, dict] | None]
    code: Callable[[list[str], dict], str]
    multi: bool = False
    stmt: bool = False
    inplace: bool = False  # mutates its first argument (the shrinker keeps it while that value lives)


REGISTRY: list[OpSpec] = []


def reg(name: str, family: str, gen: Callable, code: Callable, **kw: Any) -> None:
    REGISTRY.append(OpSpec(name, family, gen, code, **kw))


# ---------------------------------------------------------------------- rendering helpers
def lit(a: Any) -> str:
    """Source for a constant: numpy arrays become ``C(np.array(...))`` tensors."""
    if isinstance(a, np.ndarray):
        return f"C(np.array({a.tolist()!r}, dtype=np.{a.dtype.name}))"
    if isinstance(a, float) and not math.isfinite(a):
        return f"float('{a}')"
    return repr(a)


def idx_src(idx: tuple) -> str:
    """Source of an index tuple (slices as a:b:c, arrays as constant tensors, lists verbatim)."""
    parts = []
    for it in idx:
        if isinstance(it, slice):
            s = "" if it.start is None else str(it.start)
            s += ":" + ("" if it.stop is None else str(it.stop))
            if it.step is not None:
                s += f":{it.step}"
            parts.append(s)
        elif it is Ellipsis:
            parts.append("...")
        else:
            parts.append(lit(it))
    return ", ".join(parts)


def kwargs_src(p: dict, keys: tuple) -> str:
    return "".join(f", {k}={lit(p[k])}" for k in keys if k in p)


# ---------------------------------------------------------------------- value predicates
def isf(v: Any) -> bool:
    return v.dtype in FLOATS


def isint(v: Any) -> bool:
    return v.dtype == "int64"


def anyf(v: Any) -> bool:
    return isf(v) or v.dtype in ("int64", "bool")


def arr(ctx: Any, v: Any) -> np.ndarray:
    return ctx.value(v)


def in_domain(ctx: Any, v: Any, lo: float | None = None, hi: float | None = None, away: float | None = None) -> bool:
    a = arr(ctx, v)
    if a.size == 0:
        return True
    if not np.isfinite(a).all():
        return False
    if lo is not None and a.min() <= lo:
        return False
    if hi is not None and a.max() >= hi:
        return False
    return not (away is not None and np.abs(a).min() < away)


def small(v: Any, n: int = 400) -> bool:
    return int(np.prod(v.shape)) <= n


def float_arg(ctx: Any, kind: str = "normal", pred: Callable | None = None, shape: tuple | None = None,
              min_nd: int = 0, max_nd: int = 4) -> Any:
    """A float value from the program (satisfying ``pred``) or a new input of ``kind``."""
    def ok(v: Any) -> bool:
        return isf(v) and small(v) and (pred is None or pred(v))

    v = ctx.pick(ok)
    if v is None:
        v = ctx.fresh(shape if shape is not None else ctx.shape(min_nd, max_nd), kind)
        if pred is not None and not pred(v):
            return None
    return v


def rdim(ctx: Any, nd: int) -> int:
    """A valid dim for ``nd`` dims, negative half the time (0-d tensors accept 0 and -1)."""
    n = max(nd, 1)
    d = int(ctx.rng.integers(0, n))
    return d - n if ctx.rng.random() < 0.4 else d


def rdims(ctx: Any, nd: int) -> tuple:
    n = max(nd, 1)
    k = int(ctx.rng.integers(1, n + 1))
    ds = ctx.rng.choice(n, size=k, replace=False)
    return tuple(int(d) - n if ctx.rng.random() < 0.3 else int(d) for d in ds)


def bshape(ctx: Any, s: tuple) -> tuple:
    """A random shape that broadcasts with ``s`` (fewer dims, size-1 dims, or growing s's 1s)."""
    rng = ctx.rng
    s = list(s)
    if s and rng.random() < 0.3:
        s = s[int(rng.integers(0, len(s) + 1)):]
    out = []
    for d in s:
        r = rng.random()
        if r < 0.25:
            out.append(1)
        elif d == 1 and r < 0.45:
            out.append(int(rng.integers(2, 4)))
        else:
            out.append(d)
    if rng.random() < 0.1 and len(out) < 4:
        out = [int(rng.integers(1, 4))] + out
    return tuple(out)


def broadcasts(a: tuple, b: tuple) -> bool:
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


def other_operand(ctx: Any, a: Any, kind: str = "normal", allow_int: bool = True) -> tuple[list, Any]:
    """The second operand of a binary op: a value, a new (broadcasting) tensor, or a Python scalar."""
    rng = ctx.rng
    r = rng.random()
    if r < 0.12:
        val = {"pos": 1.5, "away": -0.75}.get(kind, round(float(rng.normal()), 3))
        return [], val
    if r < 0.18 and allow_int:
        return [], {"pos": 2, "away": -3}.get(kind, int(rng.integers(-3, 4)))
    if r < 0.4:
        b = ctx.pick(lambda v: isf(v) and v is not a and broadcasts(a.shape, v.shape) and small(v)
                     and (kind == "normal" or ctx.domain_ok(v, kind)))
        if b is not None:
            return [b], None
    if r < 0.46 and allow_int and kind != "pos":
        ik = "int_away" if kind == "away" else "int"
        return [ctx.fresh(bshape(ctx, a.shape), ik, dtype="int64")], None
    dtype = None
    if rng.random() < 0.06:
        dtype = "float32" if ctx.fdt == "float64" else "float64"  # type promotion between floats
    return [ctx.fresh(bshape(ctx, a.shape), kind, dtype=dtype)], None


# ---------------------------------------------------------------------- elementwise unary
def _op_table_unary() -> dict[str, tuple]:
    """The elementwise unary ops, from the op table's rows that declare ``fuzz=`` (so a new op is drawn
    from its row alone): name -> (input kind for new inputs, domain check)."""
    import sys
    from pathlib import Path

    tests = str(Path(__file__).resolve().parents[1])
    if tests not in sys.path:  # python -m tests.fuzz runs from the repository root
        sys.path.insert(0, tests)
    from op_db import OPS

    return {info.name: info.fuzz for info in OPS if info.fuzz is not None}


UNARY = _op_table_unary()


def _unary_gen(name: str, kind: str, dom: dict | None) -> Callable:
    def gen(ctx: Any) -> Any:
        dom_ = dom
        x = float_arg(ctx, kind, (lambda v: ctx.in_domain(v, **dom_)) if dom_ else None)
        if x is None:
            return None
        forms = ["method", "func"] + (["op"] if name in ("neg", "abs") else [])
        return [x], {"form": ctx.choice(forms)}

    return gen


def _unary_code(name: str) -> Callable:
    def code(a: list, p: dict) -> str:
        if p["form"] == "op":
            return f"-{a[0]}" if name == "neg" else f"abs({a[0]})"
        return f"{a[0]}.{name}()" if p["form"] == "method" else f"M.{name}({a[0]})"

    return code


for _n, (_k, _d) in UNARY.items():
    reg(_n, "unary", _unary_gen(_n, _k, _d), _unary_code(_n))


def _int_unary_gen(ctx: Any) -> Any:
    # Integer tensors through float ops: PyTorch computes in the default float dtype (float32).
    x = ctx.pick(isint) or ctx.fresh(ctx.shape(0, 3), "int_pos", dtype="int64")
    fn = ctx.choice(["exp", "sqrt", "sin", "sigmoid", "tanh", "log1p", "rsqrt", "erf"])
    return [x], {"fn": fn}


reg("int_float_unary", "unary", _int_unary_gen, lambda a, p: f"{a[0]}.{p['fn']}()")


def _sign_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "away")
    return None if x is None else ([x], {"form": ctx.choice(["method", "func"])})


reg("sign", "unary", _sign_gen, lambda a, p: f"{a[0]}.sign()" if p["form"] == "method" else f"M.sign({a[0]})")


def _isnan_gen(ctx: Any) -> Any:
    x = ctx.pick(lambda v: anyf(v) and small(v)) or ctx.fresh(ctx.shape(), "normal")
    return [x], {"fn": ctx.choice(["isnan", "isfinite"]), "form": ctx.choice(["method", "func"])}


reg("isnan_isfinite", "compare", _isnan_gen,
    lambda a, p: f"{a[0]}.{p['fn']}()" if p["form"] == "method" else f"M.{p['fn']}({a[0]})")


# ---------------------------------------------------------------------- activations (nn.functional)
def _act(name: str, kind: str, params: Callable[[Any], dict], code: Callable) -> None:
    def gen(ctx: Any) -> Any:
        x = float_arg(ctx, kind)
        return None if x is None else ([x], params(ctx))

    reg(name, "activation", gen, code)


_act("leaky_relu", "away", lambda c: {"s": c.choice([0.01, 0.2, -0.5])},
     lambda a, p: f"F.leaky_relu({a[0]}, {p['s']})")
_act("elu", "away", lambda c: {"al": c.choice([1.0, 0.5, 2.0])}, lambda a, p: f"F.elu({a[0]}, {p['al']})")
_act("softplus", "normal", lambda c: {"b": c.choice([1.0, 2.0, 0.5]), "t": c.choice([20.0, 1.0, 0.5])},
     lambda a, p: f"F.softplus({a[0]}, beta={p['b']}, threshold={p['t']})")
_act("hardtanh", "normal", lambda c: {"lo": c.choice([-1.0, -0.5]), "hi": c.choice([1.0, 0.3])},
     lambda a, p: f"F.hardtanh({a[0]}, {p['lo']}, {p['hi']})")
_act("gelu", "normal", lambda c: {"ap": c.choice(["none", "tanh"])},
     lambda a, p: f"F.gelu({a[0]}, approximate={p['ap']!r})")
_act("silu", "normal", lambda c: {}, lambda a, p: f"F.silu({a[0]})")
_act("logsigmoid", "normal", lambda c: {}, lambda a, p: f"F.logsigmoid({a[0]})")
_act("F.relu", "away", lambda c: {}, lambda a, p: f"F.relu({a[0]})")
_act("F.sigmoid", "normal", lambda c: {}, lambda a, p: f"F.sigmoid({a[0]})")
_act("F.tanh", "normal", lambda c: {}, lambda a, p: f"F.tanh({a[0]})")


def _prelu_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "away", lambda v: len(v.shape) >= 1, min_nd=1)
    if x is None:
        return None
    c = x.shape[1] if len(x.shape) >= 2 else 1
    w = ctx.fresh((c if ctx.rng.random() < 0.7 else 1,), "normal")
    return [x, w], {}


reg("prelu", "activation", _prelu_gen, lambda a, p: f"F.prelu({a[0]}, {a[1]})")


def _clamp_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "uniq")
    if x is None:
        return None
    lo, hi = ctx.choice([(-0.5, 0.8), (None, 0.3), (-0.2, None), (0.5, -0.5)])
    return [x], {"lo": lo, "hi": hi, "form": ctx.choice(["method", "func", "clip", "M.clip"])}


def _clamp_code(a: list, p: dict) -> str:
    args = f"{lit(p['lo'])}, {lit(p['hi'])}"
    return {"method": f"{a[0]}.clamp({args})", "func": f"M.clamp({a[0]}, {args})",
            "clip": f"{a[0]}.clip({args})", "M.clip": f"M.clip({a[0]}, {args})"}[p["form"]]


reg("clamp", "unary", _clamp_gen, _clamp_code)


# ---------------------------------------------------------------------- binary arithmetic
BINARY = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}


def _binary_gen(name: str) -> Callable:
    def gen(ctx: Any) -> Any:
        if name == "pow":
            a = float_arg(ctx, "pos", lambda v: ctx.in_domain(v, lo=0.05, hi=20))
        else:
            a = ctx.pick(lambda v: anyf(v) and small(v)) if ctx.rng.random() < 0.1 else None
            a = a or float_arg(ctx, "normal")
        if a is None:
            return None
        bkind = {"div": "away", "pow": "exp"}.get(name, "normal")
        if name == "pow":
            bkind = "normal"
        b, scalar = other_operand(ctx, a, "away" if name == "div" else bkind)
        if name == "pow" and scalar is not None:
            scalar = ctx.choice([2, 3, 0.5, -1.5, 0, 1.0, -2])
        if name == "pow" and b and not ctx.in_domain(b[0], lo=-3, hi=3):
            return None
        forms = ["op", "method", "func"] + (["alpha"] if name in ("add", "sub") else [])
        p = {"form": ctx.choice(forms), "scalar": scalar, "rev": scalar is not None and ctx.rng.random() < 0.35}
        if p["rev"] and name in ("div", "pow"):
            # scalar / x and scalar ** x: keep x in the op's domain
            if name == "div" and not ctx.in_domain(a, away=0.1):
                p["rev"] = False
            if name == "pow":
                p["scalar"] = ctx.choice([2.0, 0.5, 3])
                if not ctx.in_domain(a, hi=10):
                    p["rev"] = False
        if p["rev"]:
            p["form"] = "op"
        if p["form"] == "alpha":
            p["alpha"] = ctx.choice([2, -0.5])
        return [a] + b, p

    return gen


def _binary_code(name: str) -> Callable:
    def code(a: list, p: dict) -> str:
        y = a[1] if len(a) > 1 else lit(p["scalar"])
        if p["form"] == "op":
            return f"{y} {BINARY[name]} {a[0]}" if p["rev"] else f"{a[0]} {BINARY[name]} {y}"
        if p["form"] == "method":
            return f"{a[0]}.{name}({y})"
        if p["form"] == "alpha":
            return f"M.{name}({a[0]}, {y}, alpha={p['alpha']})"
        return f"M.{name}({a[0]}, {y})"

    return code


for _n in BINARY:
    reg(_n, "binary", _binary_gen(_n), _binary_code(_n))


def _rounding_div_gen(ctx: Any) -> Any:
    a = ctx.pick(lambda v: anyf(v) and small(v)) or ctx.fresh(ctx.shape(), "normal")
    b, scalar = other_operand(ctx, a, "away")
    if b and b[0].dtype in ("int64", "bool") and a.dtype in ("int64", "bool"):
        if not ctx.in_domain(b[0], away=0.5):
            return None
    if scalar == 0:
        scalar = 2
    mode = ctx.choice(["floor", "trunc"])
    return [a] + b, {"scalar": scalar, "mode": mode, "form": ctx.choice(["func", "floordiv"])}


def _rounding_div_code(a: list, p: dict) -> str:
    y = a[1] if len(a) > 1 else lit(p["scalar"])
    if p["form"] == "floordiv" and p["mode"] == "floor":
        return f"{a[0]} // {y}"
    return f"M.div({a[0]}, {y}, rounding_mode={p['mode']!r})"


reg("div_rounding", "binary", _rounding_div_gen, _rounding_div_code)


def _remainder_gen(ctx: Any) -> Any:
    a = ctx.pick(lambda v: anyf(v) and small(v)) or ctx.fresh(ctx.shape(), "normal")
    b, scalar = other_operand(ctx, a, "away")
    if scalar == 0:
        scalar = 3
    return [a] + b, {"scalar": scalar, "form": ctx.choice(["op", "method", "func"])}


def _remainder_code(a: list, p: dict) -> str:
    y = a[1] if len(a) > 1 else lit(p["scalar"])
    return {"op": f"{a[0]} % {y}", "method": f"{a[0]}.remainder({y})", "func": f"M.remainder({a[0]}, {y})"}[p["form"]]


reg("remainder", "binary", _remainder_gen, _remainder_code)


def _maxmin_gen(ctx: Any) -> Any:
    a = float_arg(ctx, "uniq")
    if a is None:
        return None
    b = ctx.pick(lambda v: isf(v) and v is not a and broadcasts(a.shape, v.shape) and small(v))
    b = b or ctx.fresh(bshape(ctx, a.shape), "uniq")
    return [a, b], {"fn": ctx.choice(["maximum", "minimum"]), "form": ctx.choice(["method", "func"])}


reg("maximum_minimum", "binary", _maxmin_gen,
    lambda a, p: f"{a[0]}.{p['fn']}({a[1]})" if p["form"] == "method" else f"M.{p['fn']}({a[0]}, {a[1]})")


CMP = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


def _cmp_gen(ctx: Any) -> Any:
    a = ctx.pick(lambda v: anyf(v) and small(v)) or ctx.fresh(ctx.shape(), "normal")
    b, scalar = other_operand(ctx, a)
    if scalar is not None and ctx.rng.random() < 0.5:
        scalar = 0.0
    return [a] + b, {"scalar": scalar, "fn": ctx.choice(list(CMP)), "form": ctx.choice(["op", "method", "func"])}


def _cmp_code(a: list, p: dict) -> str:
    y = a[1] if len(a) > 1 else lit(p["scalar"])
    if p["form"] == "op":
        return f"({a[0]} {CMP[p['fn']]} {y})"
    return f"{a[0]}.{p['fn']}({y})" if p["form"] == "method" else f"M.{p['fn']}({a[0]}, {y})"


reg("compare", "compare", _cmp_gen, _cmp_code)


def _logical_gen(ctx: Any) -> Any:
    a = ctx.pick(lambda v: v.dtype == "bool" and small(v)) or ctx.fresh(ctx.shape(), "bool", dtype="bool")
    b = ctx.pick(lambda v: v.dtype == "bool" and v is not a and broadcasts(a.shape, v.shape))
    b = b or ctx.fresh(bshape(ctx, a.shape), "bool", dtype="bool")
    return [a, b], {"op": ctx.choice(["&", "|", "^", "~"])}


reg("logical", "compare", _logical_gen,
    lambda a, p: f"~{a[0]}" if p["op"] == "~" else f"({a[0]} {p['op']} {a[1]})")


def _mask_for(ctx: Any, shape: tuple) -> Any:
    m = ctx.pick(lambda v: v.dtype == "bool" and broadcasts(shape, v.shape)
                 and np.broadcast_shapes(shape, v.shape) == tuple(shape))
    return m or ctx.fresh(bshape(ctx, shape) if ctx.rng.random() < 0.4 else tuple(shape), "bool", dtype="bool")


def _where_gen(ctx: Any) -> Any:
    a = float_arg(ctx, "normal")
    if a is None:
        return None
    b, scalar = other_operand(ctx, a)
    cond = _mask_for(ctx, np.broadcast_shapes(a.shape, b[0].shape) if b else a.shape)
    return [cond, a] + b, {"scalar": scalar, "form": ctx.choice(["func", "method"])}


def _where_code(a: list, p: dict) -> str:
    y = a[2] if len(a) > 2 else lit(p["scalar"])
    return f"M.where({a[0]}, {a[1]}, {y})" if p["form"] == "func" else f"{a[1]}.where({a[0]}, {y})"


reg("where", "binary", _where_gen, _where_code)


def _masked_fill_gen(ctx: Any) -> Any:
    a = float_arg(ctx, "normal")
    if a is None:
        return None
    return [a, _mask_for(ctx, a.shape)], {"val": ctx.choice([0.0, -1.5, float("-inf"), 2])}


reg("masked_fill", "binary", _masked_fill_gen, lambda a, p: f"{a[0]}.masked_fill({a[1]}, {lit(p['val'])})")


# ---------------------------------------------------------------------- reductions
def _red_gen(name: str, allow_none: bool = True, tuple_dims: bool = True, kind: str = "normal",
             int_ok: bool = False) -> Callable:
    def gen(ctx: Any) -> Any:
        if int_ok and ctx.rng.random() < 0.1:
            x = ctx.pick(isint) or ctx.fresh(ctx.shape(), "int", dtype="int64")
        else:
            x = float_arg(ctx, kind)
        if x is None:
            return None
        nd = len(x.shape)
        r = ctx.rng.random()
        if allow_none and r < 0.25:
            dim = None
        elif tuple_dims and r < 0.5:
            dim = rdims(ctx, nd)
        else:
            dim = rdim(ctx, nd)
        return [x], {"dim": dim, "keepdim": bool(ctx.rng.random() < 0.4), "form": ctx.choice(["method", "func"])}

    return gen


def _red_code(name: str) -> Callable:
    def code(a: list, p: dict) -> str:
        if p["dim"] is None and not p["keepdim"]:
            args = ""
        else:
            args = f"dim={p['dim']!r}, keepdim={p['keepdim']}"
        if p["form"] == "method":
            return f"{a[0]}.{name}({args})"
        return f"M.{name}({a[0]}{', ' + args if args else ''})"

    return code


for _n, _kw in {"sum": dict(int_ok=True), "mean": dict(int_ok=True), "amax": dict(kind="uniq"),
                "amin": dict(kind="uniq"), "logsumexp": dict(allow_none=False)}.items():
    reg(_n, "reduction", _red_gen(_n, **_kw), _red_code(_n))


def _var_gen(ctx: Any) -> Any:
    g = _red_gen("var")(ctx)
    if g is None:
        return None
    g[1]["c"] = ctx.choice([0, 1, 2])
    g[1]["fn"] = ctx.choice(["var", "std"])
    return g


def _var_code(a: list, p: dict) -> str:
    dim = "" if p["dim"] is None else f"{p['dim']!r}, "
    if p["form"] == "func":
        return f"M.{p['fn']}({a[0]}, {dim}correction={p['c']}, keepdim={p['keepdim']})"
    return f"{a[0]}.{p['fn']}({dim}correction={p['c']}, keepdim={p['keepdim']})"


reg("var_std", "reduction", _var_gen, _var_code)


def _prod_gen(ctx: Any) -> Any:
    x = float_arg(ctx, ctx.choice(["normal", "pos"]))
    if x is None:
        return None
    dim = None if ctx.rng.random() < 0.3 else rdim(ctx, len(x.shape))
    return [x], {"dim": dim, "keepdim": bool(ctx.rng.random() < 0.3), "form": ctx.choice(["method", "func"])}


def _prod_code(a: list, p: dict) -> str:
    call = f"{a[0]}.prod(" if p["form"] == "method" else f"M.prod({a[0]}" + (", " if p["dim"] is not None else "")
    return call + ("" if p["dim"] is None else f"{p['dim']}, keepdim={p['keepdim']}") + ")"


reg("prod", "reduction", _prod_gen, _prod_code)


def _norm_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "away")
    if x is None:
        return None
    p = ctx.choice([2, 1, 3, "fro", float("inf"), 0, 0.5])
    nd = len(x.shape)
    dim = None if ctx.rng.random() < 0.3 else rdim(ctx, nd)
    return [x], {"p": p, "dim": dim, "keepdim": bool(ctx.rng.random() < 0.3), "form": ctx.choice(["method", "func"])}


reg("norm", "reduction", _norm_gen,
    lambda a, p: (f"{a[0]}.norm(" if p["form"] == "method" else f"M.norm({a[0]}, ")
    + f"{lit(p['p'])}, {p['dim']!r}, keepdim={p['keepdim']})")


def _maxdim_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "uniq")
    if x is None:
        return None
    return [x], {"fn": ctx.choice(["max", "min"]), "dim": rdim(ctx, len(x.shape)),
                 "keepdim": bool(ctx.rng.random() < 0.4), "form": ctx.choice(["method", "func"])}


def _maxdim_code(a: list, p: dict) -> str:
    if p["form"] == "method":
        return f"{a[0]}.{p['fn']}(dim={p['dim']}, keepdim={p['keepdim']})"
    return f"M.{p['fn']}({a[0]}, {p['dim']}, {p['keepdim']})"


reg("max_min_dim", "reduction", _maxdim_gen, _maxdim_code, multi=True)


def _maxfull_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "uniq")
    return None if x is None else ([x], {"fn": ctx.choice(["max", "min"])})


reg("max_min_full", "reduction", _maxfull_gen, lambda a, p: f"{a[0]}.{p['fn']}()")


def _arg_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "uniq")
    if x is None:
        return None
    dim = None if ctx.rng.random() < 0.3 else rdim(ctx, len(x.shape))
    return [x], {"fn": ctx.choice(["argmax", "argmin"]), "dim": dim, "keepdim": bool(ctx.rng.random() < 0.3),
                 "form": ctx.choice(["method", "func"])}


def _arg_code(a: list, p: dict) -> str:
    if p["form"] == "method":
        return f"{a[0]}.{p['fn']}(dim={p['dim']!r}, keepdim={p['keepdim']})"
    return f"M.{p['fn']}({a[0]}, {p['dim']!r}, {p['keepdim']})"


reg("argmax_argmin", "reduction", _arg_gen, _arg_code)


def _cumsum_gen(ctx: Any) -> Any:
    x = float_arg(ctx)
    return None if x is None else ([x], {"dim": rdim(ctx, len(x.shape)), "form": ctx.choice(["method", "func"])})


reg("cumsum", "reduction", _cumsum_gen,
    lambda a, p: f"{a[0]}.cumsum({p['dim']})" if p["form"] == "method" else f"M.cumsum({a[0]}, dim={p['dim']})")


def _softmax_gen(ctx: Any) -> Any:
    x = float_arg(ctx)
    if x is None:
        return None
    return [x], {"fn": ctx.choice(["softmax", "log_softmax"]), "dim": rdim(ctx, len(x.shape)),
                 "form": ctx.choice(["method", "F", "M"])}


def _softmax_code(a: list, p: dict) -> str:
    if p["form"] == "method":
        return f"{a[0]}.{p['fn']}({p['dim']})"
    return f"{p['form']}.{p['fn']}({a[0]}, dim={p['dim']})"


reg("softmax", "softmax", _softmax_gen, _softmax_code)


# ---------------------------------------------------------------------- shape ops
def _factor_shape(ctx: Any, n: int) -> tuple:
    """A random shape with ``n`` elements (1 to 4 dims, size-1 dims sprinkled in)."""
    if n == 0:
        return ctx.choice([(0,), (2, 0), (0, 3, 1)])
    fs, k, m = [], 2, n
    while m > 1:
        while m % k:
            k += 1
        fs.append(k)
        m //= k
    ndim = int(ctx.rng.integers(1, 5))
    dims = [1] * ndim
    for f in fs:
        dims[int(ctx.rng.integers(0, ndim))] *= f
    return tuple(dims)


def _reshape_gen(ctx: Any) -> Any:
    x = ctx.pick(lambda v: anyf(v) and small(v)) or ctx.fresh(ctx.shape(), "normal")
    n = int(np.prod(x.shape))
    s = list(_factor_shape(ctx, n))
    if n > 0 and ctx.rng.random() < 0.4:
        s[int(ctx.rng.integers(0, len(s)))] = -1
    if n == 1 and ctx.rng.random() < 0.3:
        s = []
    return [x], {"s": tuple(s), "form": ctx.choice(["method", "star", "func", "view"])}


def _reshape_code(a: list, p: dict) -> str:
    s = p["s"]
    star = ", ".join(map(str, s))
    return {"method": f"{a[0]}.reshape({s!r})", "star": f"{a[0]}.reshape({star})",
            "func": f"M.reshape({a[0]}, {s!r})", "view": f"{a[0]}.view({s!r})"}[p["form"]]


reg("reshape", "shape", _reshape_gen, _reshape_code)


def _flatten_gen(ctx: Any) -> Any:
    x = ctx.pick(lambda v: anyf(v) and small(v)) or ctx.fresh(ctx.shape(), "normal")
    nd = len(x.shape)
    s = rdim(ctx, nd)
    e = rdim(ctx, nd)
    if (s % max(nd, 1)) > (e % max(nd, 1)) and ctx.rng.random() < 0.9:
        s, e = e, s
    return [x], {"s": s, "e": e, "form": ctx.choice(["method", "func"])}


reg("flatten", "shape", _flatten_gen,
    lambda a, p: f"{a[0]}.flatten({p['s']}, {p['e']})" if p["form"] == "method"
    else f"M.flatten({a[0]}, {p['s']}, {p['e']})")


def _squeeze_gen(ctx: Any) -> Any:
    x = ctx.pick(lambda v: anyf(v) and small(v) and 1 in v.shape) or ctx.pick(lambda v: anyf(v) and small(v))
    x = x or ctx.fresh(ctx.shape(), "normal")
    nd = len(x.shape)
    r = ctx.rng.random()
    dim = None if r < 0.3 else (rdims(ctx, nd) if r < 0.45 else rdim(ctx, nd))
    return [x], {"dim": dim, "form": ctx.choice(["method", "func"])}


def _squeeze_code(a: list, p: dict) -> str:
    args = "" if p["dim"] is None else repr(p["dim"])
    return f"{a[0]}.squeeze({args})" if p["form"] == "method" else f"M.squeeze({a[0]}{', ' + args if args else ''})"


reg("squeeze", "shape", _squeeze_gen, _squeeze_code)


def _unsqueeze_gen(ctx: Any) -> Any:
    x = ctx.pick(lambda v: anyf(v) and small(v) and len(v.shape) < 5) or ctx.fresh(ctx.shape(), "normal")
    nd = len(x.shape) + 1
    d = int(ctx.rng.integers(0, nd))
    return [x], {"d": d - nd if ctx.rng.random() < 0.4 else d, "form": ctx.choice(["method", "func"])}


reg("unsqueeze", "shape", _unsqueeze_gen,
    lambda a, p: f"{a[0]}.unsqueeze({p['d']})" if p["form"] == "method" else f"M.unsqueeze({a[0]}, {p['d']})")


def _permute_gen(ctx: Any) -> Any:
    x = ctx.pick(lambda v: anyf(v) and small(v) and len(v.shape) >= 1) or ctx.fresh(ctx.shape(1), "normal")
    nd = len(x.shape)
    perm = [int(d) - nd if ctx.rng.random() < 0.2 else int(d) for d in ctx.rng.permutation(nd)]
    return [x], {"perm": tuple(perm), "form": ctx.choice(["method", "star", "func"])}


def _permute_code(a: list, p: dict) -> str:
    star = ", ".join(map(str, p["perm"]))
    return {"method": f"{a[0]}.permute({p['perm']!r})", "star": f"{a[0]}.permute({star})",
            "func": f"M.permute({a[0]}, {p['perm']!r})"}[p["form"]]


reg("permute", "shape", _permute_gen, _permute_code)


def _transpose_gen(ctx: Any) -> Any:
    x = ctx.pick(lambda v: anyf(v) and small(v)) or ctx.fresh(ctx.shape(1), "normal")
    nd = len(x.shape)
    form = ctx.choice(["transpose", "func", "t", "Mt", "T", "mT"])
    if form in ("t", "Mt") and nd > 2:
        form = "transpose"
    if form == "mT" and nd < 2:
        form = "T" if nd == 0 else "t"
    return [x], {"d0": rdim(ctx, nd), "d1": rdim(ctx, nd), "form": form}


def _transpose_code(a: list, p: dict) -> str:
    return {"transpose": f"{a[0]}.transpose({p['d0']}, {p['d1']})",
            "func": f"M.transpose({a[0]}, {p['d0']}, {p['d1']})",
            "t": f"{a[0]}.t()", "Mt": f"M.t({a[0]})", "T": f"{a[0]}.T", "mT": f"{a[0]}.mT"}[p["form"]]


reg("transpose", "shape", _transpose_gen, _transpose_code)


def _expand_gen(ctx: Any) -> Any:
    x = ctx.pick(lambda v: anyf(v) and small(v, 60)) or ctx.fresh(ctx.shape(0, 3), "normal")
    sizes = [(-1 if ctx.rng.random() < 0.4 else (int(ctx.rng.integers(2, 4)) if d == 1 and ctx.rng.random() < 0.6
                                                     else d)) for d in x.shape]
    if ctx.rng.random() < 0.4:
        sizes = [int(ctx.rng.integers(1, 4))] + sizes
    form = ctx.choice(["expand", "star", "broadcast_to", "M.broadcast_to", "expand_as"])
    args = [x]
    if form == "expand_as":
        tgt = tuple(d if d != -1 else x.shape[i - len(sizes) + len(x.shape)] for i, d in enumerate(sizes))
        args.append(ctx.fresh(tgt, "normal", rg=False))
    return args, {"s": tuple(sizes), "form": form}


def _expand_code(a: list, p: dict) -> str:
    s = p["s"]
    if p["form"] in ("broadcast_to", "M.broadcast_to"):
        # broadcast_to takes the full shape (-1 keeps a dim only in expand)
        return f"{a[0]}.expand({s!r})" if -1 in s else (
            f"{a[0]}.broadcast_to({s!r})" if p["form"] == "broadcast_to" else f"M.broadcast_to({a[0]}, {s!r})")
    if p["form"] == "expand_as":
        return f"{a[0]}.expand_as({a[1]})"
    return f"{a[0]}.expand({s!r})" if p["form"] == "expand" else f"{a[0]}.expand({', '.join(map(str, s))})"


reg("expand", "shape", _expand_gen, _expand_code)


def _repeat_gen(ctx: Any) -> Any:
    x = ctx.pick(lambda v: anyf(v) and small(v, 60)) or ctx.fresh(ctx.shape(0, 3), "normal")
    k = len(x.shape) + int(ctx.rng.integers(0, 2))
    reps = tuple(int(r) for r in ctx.rng.integers(1, 3, size=max(k, 1)))
    return [x], {"r": reps}


reg("repeat", "shape", _repeat_gen, lambda a, p: f"{a[0]}.repeat({', '.join(map(str, p['r']))})")


def _flip_gen(ctx: Any) -> Any:
    x = ctx.pick(lambda v: anyf(v) and small(v)) or ctx.fresh(ctx.shape(1), "normal")
    return [x], {"d": rdims(ctx, len(x.shape)), "form": ctx.choice(["method", "func"])}


reg("flip", "shape", _flip_gen,
    lambda a, p: f"{a[0]}.flip({p['d']!r})" if p["form"] == "method" else f"M.flip({a[0]}, {p['d']!r})")


def _cat_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "normal", lambda v: len(v.shape) >= 1, min_nd=1)
    if x is None:
        return None
    nd = len(x.shape)
    d = rdim(ctx, nd)
    n = int(ctx.rng.integers(2, 4))
    args = [x]
    for _ in range(n - 1):
        s = list(x.shape)
        s[d] = int(ctx.rng.integers(0, 4))
        other = ctx.pick(lambda v, s=tuple(s): isf(v) and v.shape == s and v is not x)
        args.append(other or ctx.fresh(tuple(s), "normal"))
    return args, {"d": d, "form": ctx.choice(["cat", "concat"])}


reg("cat", "shape", _cat_gen, lambda a, p: f"M.{p['form']}([{', '.join(a)}], {p['d']})")


def _stack_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "normal")
    if x is None:
        return None
    nd = len(x.shape) + 1
    d = int(ctx.rng.integers(0, nd))
    args = [x] + [ctx.pick(lambda v: isf(v) and v.shape == x.shape and v is not x) or ctx.fresh(x.shape, "normal")
                  for _ in range(int(ctx.rng.integers(1, 3)))]
    return args, {"d": d - nd if ctx.rng.random() < 0.3 else d}


reg("stack", "shape", _stack_gen, lambda a, p: f"M.stack([{', '.join(a)}], {p['d']})")


def _split_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "normal", lambda v: len(v.shape) >= 1 and max(v.shape) >= 2, min_nd=1)
    if x is None:
        return None
    nd = len(x.shape)
    d = rdim(ctx, nd)
    n = x.shape[d]
    fn = ctx.choice(["split", "split_sections", "chunk", "unbind"])
    if fn == "unbind" and n > 5:
        fn = "chunk"
    if fn == "split":
        arg = int(ctx.rng.integers(1, max(n, 1) + 1))
        if n // arg > 5:
            arg = max(1, -(-n // 5))
    elif fn == "split_sections":
        cuts = sorted(int(c) for c in ctx.rng.integers(0, n + 1, size=int(ctx.rng.integers(1, 3))))
        arg = [b - a for a, b in zip([0] + cuts, cuts + [n])]
    else:
        arg = int(ctx.rng.integers(1, 5))
    return [x], {"fn": fn, "arg": arg, "d": d, "form": ctx.choice(["method", "func"])}


def _split_code(a: list, p: dict) -> str:
    fn = "split" if p["fn"] == "split_sections" else p["fn"]
    args = f"{p['d']}" if fn == "unbind" else f"{p['arg']!r}, {p['d']}"
    return f"{a[0]}.{fn}({args})" if p["form"] == "method" else f"M.{fn}({a[0]}, {args})"


reg("split_chunk_unbind", "shape", _split_gen, _split_code, multi=True)


def _pad_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "normal", lambda v: len(v.shape) >= 1, min_nd=1)
    if x is None:
        return None
    k = int(ctx.rng.integers(1, min(len(x.shape), 3) + 1))
    pads = []
    for i in range(k):
        size = x.shape[-1 - i]
        for _ in range(2):
            pads.append(int(ctx.rng.integers(-min(size // 2, 1), 3)))
    return [x], {"p": tuple(pads), "v": ctx.choice([0.0, 0.5, -1.0])}


reg("pad", "shape", _pad_gen, lambda a, p: f"F.pad({a[0]}, {p['p']!r}, value={p['v']})")


def _clone_gen(ctx: Any) -> Any:
    x = ctx.pick(lambda v: anyf(v) and small(v)) or ctx.fresh(ctx.shape(), "normal")
    return [x], {"fn": ctx.choice(["clone", "M.clone", "detach", "contiguous"])}


reg("clone_detach", "shape", _clone_gen,
    lambda a, p: f"M.clone({a[0]})" if p["fn"] == "M.clone" else f"{a[0]}.{p['fn']}()")


def _cast_gen(ctx: Any) -> Any:
    x = ctx.pick(lambda v: anyf(v) and small(v)) or ctx.fresh(ctx.shape(), "normal")
    return [x], {"fn": ctx.choice(["float", "double", "to64", "to32", "type_as", "long", "int", "bool"])}


def _cast_code(a: list, p: dict) -> str:
    fn = p["fn"]
    if fn == "to64":
        return f"{a[0]}.to(M.float64)"
    if fn == "to32":
        return f"{a[0]}.to(dtype=M.float32)"
    if fn == "type_as":
        return f"{a[0]}.type_as(M.zeros(1, dtype=M.float64))"
    return f"{a[0]}.{fn}()"


reg("cast", "shape", _cast_gen, _cast_code)


# ---------------------------------------------------------------------- indexing
def _rand_index(ctx: Any, shape: tuple, allow_adv: bool = True, allow_bad: bool = True) -> tuple:
    """A random index tuple for ``shape``: ints, slices (steps), None, Ellipsis, int/bool tensors."""
    rng = ctx.rng
    items: list = []
    nd = len(shape)
    adv_shape = ctx.choice([(2,), (3,), (2, 2), (), (1,), (0,)])
    used_ellipsis = False
    d = 0
    while d < nd:
        size = shape[d]
        r = rng.random()
        if r < 0.08:
            items.append(None)
            continue
        if r < 0.14 and not used_ellipsis:
            used_ellipsis = True
            skip = int(rng.integers(0, nd - d + 1))
            items.append(Ellipsis)
            d += skip
            continue
        if r < 0.3 and size > 0:
            items.append(int(rng.integers(-size, size)))
        elif r < 0.62:
            start = int(rng.integers(-size - 1, size + 1)) if rng.random() < 0.5 else None
            stop = int(rng.integers(-size - 1, size + 2)) if rng.random() < 0.5 else None
            step = int(rng.integers(1, 4)) if rng.random() < 0.4 else None
            if allow_bad and rng.random() < 0.03:
                step = -1  # PyTorch refuses negative steps (ValueError)
            items.append(slice(start, stop, step))
        elif r < 0.85 and allow_adv and size > 0:
            a = rng.integers(-size, size, size=adv_shape)
            items.append(a.tolist() if rng.random() < 0.15 and a.ndim == 1 else np.asarray(a, dtype=np.int64))
        elif allow_adv and rng.random() < 0.5 and d + 1 <= nd:
            k = 1 if rng.random() < 0.6 or d + 2 > nd else 2
            m = rng.random(shape[d:d + k]) < 0.5
            items.append(m)
            d += k
            continue
        else:
            items.append(slice(None))
        d += 1
    if allow_bad and rng.random() < 0.02 and nd:
        items.append(0)  # too many indices: IndexError
    if not items:
        items = [Ellipsis]
    return tuple(items)


def _getitem_gen(ctx: Any) -> Any:
    x = ctx.pick(lambda v: anyf(v) and small(v) and len(v.shape) >= 1) or ctx.fresh(ctx.shape(1), "normal")
    return [x], {"idx": _rand_index(ctx, x.shape)}


reg("getitem", "indexing", _getitem_gen, lambda a, p: f"{a[0]}[{idx_src(p['idx'])}]")


def _getitem_split_adv_gen(ctx: Any) -> Any:
    # advanced indices separated by a slice (the result's advanced dims go first), and x[0, :, idx]
    x = ctx.pick(lambda v: isf(v) and len(v.shape) == 3 and 0 not in v.shape) or ctx.fresh(
        (int(ctx.rng.integers(2, 4)), int(ctx.rng.integers(1, 4)), int(ctx.rng.integers(2, 5))), "normal")
    s = x.shape
    k = ctx.choice([(2,), (3,), (2, 2)])
    first = int(ctx.rng.integers(0, s[0])) if ctx.rng.random() < 0.5 else np.asarray(
        ctx.rng.integers(0, s[0], size=k), dtype=np.int64)
    last = np.asarray(ctx.rng.integers(0, s[2], size=k), dtype=np.int64)
    mid = ctx.choice([slice(None), slice(0, 1), slice(None, None, 2)])
    return [x], {"idx": (first, mid, last)}


reg("getitem_split_advanced", "indexing", _getitem_split_adv_gen, lambda a, p: f"{a[0]}[{idx_src(p['idx'])}]")


def _setitem_gen(ctx: Any) -> Any:
    x = ctx.pick(lambda v: isf(v) and not v.leaf and small(v) and len(v.shape) >= 1)
    if x is None:
        base = float_arg(ctx, "normal", lambda v: len(v.shape) >= 1, min_nd=1)
        if base is None:
            return None
        x, clone = base, True
    else:
        clone = False
    idx = _rand_index(ctx, x.shape, allow_bad=False)
    if any(isinstance(i, np.ndarray) and i.dtype == np.int64 and i.size > 1 for i in idx):
        # repeated indices make an assignment's winner unspecified: keep advanced indices unique
        idx = tuple(np.unique(i) if isinstance(i, np.ndarray) and i.dtype == np.int64 and i.ndim == 1 else i
                    for i in idx)
    try:
        sub = ctx.torch_index_shape(x, idx)
    except Exception:  # noqa: BLE001 - an invalid index: let torch reject it in the program
        sub = None
    if sub is not None and ctx.rng.random() < 0.7:
        val = ctx.fresh(bshape(ctx, sub) if ctx.rng.random() < 0.4 else sub, "normal")
        return [x, val], {"idx": idx, "clone": clone}
    return [x], {"idx": idx, "clone": clone, "s": round(float(ctx.rng.normal()), 3)}


def _setitem_code(a: list, p: dict) -> str:
    val = a[1] if len(a) > 1 else lit(p["s"])
    tgt = "{o0}"
    head = f"{tgt} = {a[0]}.clone()\n" if p["clone"] else f"{tgt} = {a[0]}\n"
    return head + f"{tgt}[{idx_src(p['idx'])}] = {val}"


reg("setitem", "inplace", _setitem_gen, _setitem_code, stmt=True, inplace=True)


def _gather_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "normal", lambda v: len(v.shape) >= 1 and 0 not in v.shape, min_nd=1)
    if x is None:
        return None
    nd = len(x.shape)
    d = rdim(ctx, nd)
    ishape = tuple(int(ctx.rng.integers(1, s + 1)) if ctx.rng.random() < 0.5 else s for s in x.shape)
    ishape = tuple(int(ctx.rng.integers(1, 4)) if i == d % nd else s for i, s in enumerate(ishape))
    idx = np.asarray(ctx.rng.integers(0, x.shape[d], size=ishape), dtype=np.int64)
    return [x], {"d": d, "idx": idx, "form": ctx.choice(["method", "method", "func"])}


reg("gather", "indexing", _gather_gen,
    lambda a, p: f"{a[0]}.gather({p['d']}, {lit(p['idx'])})" if p["form"] == "method"
    else f"M.gather({a[0]}, {p['d']}, {lit(p['idx'])})")


# ---------------------------------------------------------------------- in-place ops
def _inplace_target(ctx: Any) -> Any:
    t = ctx.pick(lambda v: isf(v) and small(v) and (not v.leaf or not v.rg))
    if t is None and ctx.rng.random() < 0.08:
        t = ctx.pick(lambda v: isf(v) and small(v))  # a leaf that requires grad: torch refuses
    return t


def _inplace_gen(name: str) -> Callable:
    def gen(ctx: Any) -> Any:
        t = _inplace_target(ctx)
        if t is None:
            return None
        if name in ("neg_", "relu_", "zero_"):
            return [t], {"form": "method"}
        if name == "clamp_":
            return [t], {"lo": -0.5, "hi": ctx.choice([0.5, None])}
        if name == "fill_":
            if ctx.rng.random() < 0.5:
                return [t, ctx.fresh((), "normal")], {}
            return [t], {"s": round(float(ctx.rng.normal()), 3)}
        kind = "away" if name == "div_" else "normal"
        if name == "pow_":
            exps = [2, 3] + ([0.5, -1.0] if ctx.in_domain(t, lo=0.05, hi=20) else [])
            return [t], {"s": ctx.choice(exps), "form": ctx.choice(["method", "op"])}
        r = ctx.rng.random()
        if r < 0.2:
            return [t], {"s": {"div_": -2.0}.get(name, round(float(ctx.rng.normal()), 3)),
                         "form": ctx.choice(["method", "op"])}
        s = t.shape if r < 0.6 else tuple(d if ctx.rng.random() < 0.6 else 1 for d in t.shape)[
            int(ctx.rng.integers(0, len(t.shape) + 1)):]
        b = ctx.pick(lambda v: isf(v) and v.shape == s and v is not t) if name != "copy_" else None
        b = b or ctx.fresh(s, kind)
        form = "method" if name == "copy_" else ctx.choice(["method", "op"] + (["alpha"] if name in ("add_", "sub_")
                                                                              else []))
        return [t, b], {"form": form}

    return gen


IOP = {"add_": "+=", "sub_": "-=", "mul_": "*=", "div_": "/=", "pow_": "**="}


def _inplace_code(name: str) -> Callable:
    def code(a: list, p: dict) -> str:
        o = "{o0}"
        if name == "clamp_":
            return f"{o} = {a[0]}.clamp_({p['lo']}, {p['hi']})"
        if name in ("neg_", "relu_", "zero_"):
            return f"{o} = {a[0]}.{name}()"
        y = a[1] if len(a) > 1 else lit(p["s"])
        if p.get("form") == "op":
            return f"{a[0]} {IOP[name]} {y}\n{o} = {a[0]}"
        if p.get("form") == "alpha":
            return f"{o} = {a[0]}.{name}({y}, alpha=0.5)"
        return f"{o} = {a[0]}.{name}({y})"

    return code


for _n in ("add_", "sub_", "mul_", "div_", "pow_", "neg_", "clamp_", "relu_", "zero_", "fill_", "copy_"):
    reg(_n, "inplace", _inplace_gen(_n), _inplace_code(_n), stmt=True, inplace=True)


def _masked_fill_inplace_gen(ctx: Any) -> Any:
    t = _inplace_target(ctx)
    if t is None:
        return None
    return [t, _mask_for(ctx, t.shape)], {"val": ctx.choice([0.0, -1.5, float("-inf"), 2])}


reg("masked_fill_", "inplace", _masked_fill_inplace_gen,
    lambda a, p: f"{{o0}} = {a[0]}.masked_fill_({a[1]}, {lit(p['val'])})", stmt=True, inplace=True)


def _inplace_view_gen(ctx: Any) -> Any:
    """An in-place op written through a view of a graph value, with a second view taken before the
    write that is read afterwards (both must see the write, in the forward and in the gradients)."""
    x = float_arg(ctx, "normal", lambda v: len(v.shape) >= 2 and 0 not in v.shape, min_nd=2)
    if x is None:
        return None
    nd = len(x.shape)
    views = [".transpose(0, -1)", "[0]", "[..., ::2]", ".unsqueeze(0)", f"[:, {x.shape[1] - 1}]", "[1:]", ".mT"]
    view = ctx.choice(views if x.shape[0] > 1 else [v for v in views if v != "[1:]"])
    stale = ctx.choice([".t()" if nd == 2 else ".transpose(0, 1)", "[0]", "[:, 0]", ".reshape(-1)"
                        if nd == 2 else "[0, 0]"])
    op = ctx.choice(["mul_", "add_", "clamp_", "setitem", "sub_"])
    args = [x]
    if op in ("mul_", "add_", "sub_") and ctx.rng.random() < 0.6:
        args.append(ctx.fresh((), "normal"))  # a 0-d operand that requires grad (broadcasts into the view)
    return args, {"view": view, "stale": stale, "op": op, "s": round(float(ctx.rng.normal()), 3)}


def _inplace_view_code(a: list, p: dict) -> str:
    y = a[1] if len(a) > 1 else lit(p["s"])
    if p["op"] == "clamp_":
        write = f"__b{p['view']}.clamp_(-0.3, 0.4)"
    elif p["op"] == "setitem":
        write = f"__b{p['view']}[...] = {y}"
    else:
        write = f"__b{p['view']}.{p['op']}({y})"
    return (f"__b = {a[0]} * 1\n__s = __b{p['stale']}\n{write}\n"
            "{o0} = __b * 1 + (__s * 2).sum()")


reg("inplace_view", "inplace", _inplace_view_gen, _inplace_view_code, stmt=True)


# ---------------------------------------------------------------------- matmul family
def _mm_gen(ctx: Any) -> Any:
    a = float_arg(ctx, "normal", lambda v: 1 <= len(v.shape) <= 4 and small(v, 200), min_nd=1)
    if a is None:
        return None
    n = a.shape[-1]
    r = ctx.rng.random()
    m = int(ctx.rng.integers(1, 5))
    if r < 0.25:
        bs = (n,)
    elif r < 0.7:
        bs = (n, m)
    else:
        batch = a.shape[:-2] if len(a.shape) > 2 else (int(ctx.rng.integers(1, 3)),)
        bs = tuple(1 if ctx.rng.random() < 0.3 else d for d in batch) + (n, m)
    b = ctx.pick(lambda v: isf(v) and v.shape == bs) or ctx.fresh(bs, "normal")
    return [a, b], {"form": ctx.choice(["op", "func", "method", "LA"])}


reg("matmul", "matmul", _mm_gen,
    lambda a, p: {"op": f"{a[0]} @ {a[1]}", "func": f"M.matmul({a[0]}, {a[1]})",
                  "method": f"{a[0]}.matmul({a[1]})", "LA": f"LA.matmul({a[0]}, {a[1]})"}[p["form"]])


def _linear_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "normal", lambda v: 1 <= len(v.shape) <= 3, min_nd=1)
    if x is None:
        return None
    out = int(ctx.rng.integers(1, 5))
    w = ctx.fresh((out, x.shape[-1]), "normal")
    args = [x, w] + ([ctx.fresh((out,), "normal")] if ctx.rng.random() < 0.6 else [])
    return args, {}


reg("linear", "matmul", _linear_gen, lambda a, p: f"F.linear({', '.join(a)})")


EINSUM = [("i->", 1), ("i,i->", 1), ("i,j->ij", 1), ("i,ij->j", 1), ("ij->ji", 2), ("ij->", 2), ("ii->i", 2),
          ("ij,jk->ik", 2), ("ij,ij->i", 2), ("ij,j->i", 2), ("bij,bjk->bik", 3), ("ijk->kji", 3),
          ("...j,j->...", None), ("...ij,...jk->...ik", None), ("ij,kj", 2), ("ii", 2)]


def _einsum_gen(ctx: Any) -> Any:
    eqs = []
    x = ctx.pick(lambda v: isf(v) and 1 <= len(v.shape) <= 3 and small(v, 100))
    for eq, nd in EINSUM:
        first = eq.split("->")[0].split(",")[0]
        if x is None or (nd == len(x.shape) and ("ii" not in first or x.shape[0] == x.shape[1])) or (
                nd is None and len(x.shape) >= first.count("i") + first.count("j")):
            eqs.append(eq)
    eq = ctx.choice(eqs)
    ops = eq.split("->")[0].split(",")
    sizes: dict = {}
    if x is not None and ops[0].replace("...", "") and len(x.shape) >= len(ops[0].replace("...", "")):
        letters = ops[0].replace("...", "")
        ell = x.shape[:len(x.shape) - len(letters)]
        for ch, s in zip(letters, x.shape[len(ell):]):
            sizes.setdefault(ch, s)
        if sizes and all(sizes.get(ch) == s for ch, s in zip(letters, x.shape[len(ell):])):
            sizes["..."] = ell
        else:
            x = None
    else:
        x = None
    args = [x] if x is not None else []
    for k, o in enumerate(ops):
        if k == 0 and x is not None:
            continue
        shape: tuple = ()
        if "..." in o:
            ell = tuple(int(s) for s in ctx.rng.integers(1, 3, size=int(ctx.rng.integers(0, 2))))
            shape = sizes.setdefault("...", ell)
        for ch in o.replace("...", ""):
            shape += (sizes.setdefault(ch, int(ctx.rng.integers(1, 4))),)
        args.append(ctx.fresh(shape, "normal"))
    return args, {"eq": eq}


reg("einsum", "matmul", _einsum_gen, lambda a, p: f"M.einsum({p['eq']!r}, {', '.join(a)})")


def _outer_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "normal", lambda v: len(v.shape) == 1, shape=(int(ctx.rng.integers(1, 5)),))
    if x is None:
        return None
    return [x, ctx.fresh((int(ctx.rng.integers(1, 4)),), "normal")], {"form": ctx.choice(["func", "method"])}


reg("outer", "matmul", _outer_gen,
    lambda a, p: f"M.outer({a[0]}, {a[1]})" if p["form"] == "func" else f"{a[0]}.outer({a[1]})")


def _diag_gen(ctx: Any) -> Any:
    from .ops_math import _cycle  # (a registry family module: imported after this one)

    # every (function, call form) pair in turn, so each is drawn within a few rounds of forced programs
    fn, form = _cycle(ctx, [(f, m) for f in ("diag", "diagonal", "diag_embed", "trace", "LA.diagonal")
                            for m in ("func", "method")])
    lo, hi = {"trace": (2, 2), "diag": (1, 2), "diagonal": (2, 3), "LA.diagonal": (2, 3)}.get(fn, (1, 3))
    x = float_arg(ctx, "normal", lambda v: lo <= len(v.shape) <= hi, min_nd=lo, max_nd=hi)
    if x is None:
        return None
    nd = len(x.shape)
    if fn == "diag" and nd > 2 or fn == "trace" and nd != 2 or fn in ("diagonal", "LA.diagonal") and nd < 2:
        fn = "diag_embed"
    p = {"fn": fn, "off": int(ctx.rng.integers(-2, 3)), "form": form}
    if fn == "diagonal" or fn == "diag_embed":
        n = nd if fn == "diagonal" else nd + 1
        d1, d2 = (int(d) for d in ctx.rng.choice(n, 2, replace=False))
        p["d1"], p["d2"] = d1, d2 - n if ctx.rng.random() < 0.3 else d2
    return [x], p


def _diag_code(a: list, p: dict) -> str:
    fn, x = p["fn"], a[0]
    if fn == "trace":
        return f"M.trace({x})" if p["form"] == "func" else f"{x}.trace()"
    if fn == "diag":
        return f"M.diag({x}, {p['off']})" if p["form"] == "func" else f"{x}.diag({p['off']})"
    if fn == "LA.diagonal":
        return f"LA.diagonal({x}, offset={p['off']})"
    call = f"{fn}({{}}offset={p['off']}, dim1={p['d1']}, dim2={p['d2']})"
    return "M." + call.format(x + ", ") if p["form"] == "func" else f"{x}." + call.format("")


reg("diag_trace", "matmul", _diag_gen, _diag_code)


def _multi_dot_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "normal", lambda v: len(v.shape) in (1, 2), min_nd=2, max_nd=2)
    if x is None:
        return None
    n = x.shape[-1]
    m = int(ctx.rng.integers(1, 4))
    last = (m,) if ctx.rng.random() < 0.3 else (m, int(ctx.rng.integers(1, 4)))
    return [x, ctx.fresh((n, m), "normal"), ctx.fresh(last, "normal")], {}


reg("multi_dot", "matmul", _multi_dot_gen, lambda a, p: f"LA.multi_dot([{', '.join(a)}])")


def _vecdot_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "normal", lambda v: len(v.shape) >= 1, min_nd=1)
    if x is None:
        return None
    d = rdim(ctx, len(x.shape))
    return [x, ctx.fresh(x.shape, "normal")], {"d": d}


reg("vecdot", "matmul", _vecdot_gen, lambda a, p: f"LA.vecdot({a[0]}, {a[1]}, dim={p['d']})")


# ---------------------------------------------------------------------- linalg (well-conditioned inputs)
def _square(ctx: Any, nmax: int = 4, cond: float = 50.0, shift: bool = True) -> Any:
    """A square (batched) float value; the op adds n*I (``shift``), so check that matrix's conditioning."""
    def ok(v: Any) -> bool:
        if not (isf(v) and len(v.shape) >= 2 and v.shape[-1] == v.shape[-2] and 1 <= v.shape[-1] <= nmax
                and small(v, 100)):
            return False
        a = ctx.value(v).astype(np.float64)
        if not np.isfinite(a).all() or np.abs(a).max() > 10:
            return False
        if shift:
            a = a + a.shape[-1] * np.eye(a.shape[-1])
        return bool(np.all(np.linalg.cond(a) < cond)) if a.size else True

    v = ctx.pick(ok)
    if v is None:
        n = int(ctx.rng.integers(1, nmax + 1))
        batch = ctx.choice([(), (), (2,), (1, 2)])
        v = ctx.fresh(batch + (n, n), "normal")
        if not ok(v):
            return None
    return v


def _wc(x: str) -> str:
    return f"({x} + {x}.shape[-1] * M.eye({x}.shape[-1], dtype={x}.dtype))"


def _spd(x: str) -> str:
    return f"({x} @ {x}.mT + {x}.shape[-1] * M.eye({x}.shape[-1], dtype={x}.dtype))"


def _sym(x: str) -> str:
    return f"(({x} + {x}.mT) / 2)"


def _la_unary_gen(fns: list) -> Callable:
    def gen(ctx: Any) -> Any:
        x = _square(ctx)
        return None if x is None else ([x], {"fn": ctx.choice(fns)})

    return gen


_LA_UNARY = {
    "inv": lambda x: f"LA.inv({_wc(x)})", "inverse": lambda x: f"M.inverse({_wc(x)})",
    "inverse_m": lambda x: f"{_wc(x)}.inverse()", "det": lambda x: f"LA.det({_wc(x)})",
    "det_m": lambda x: f"{_wc(x)}.det()", "M.det": lambda x: f"M.det({x})",
    "logdet": lambda x: f"M.logdet({_spd(x)})", "logdet_m": lambda x: f"{_spd(x)}.logdet()",
    "cholesky": lambda x: f"LA.cholesky({_spd(x)})", "cholesky_u": lambda x: f"LA.cholesky({_spd(x)}, upper=True)",
    "cholesky_m": lambda x: f"{_spd(x)}.cholesky()", "eigvalsh": lambda x: f"LA.eigvalsh({_sym(x)})",
    "svdvals": lambda x: f"LA.svdvals({_wc(x)})",
}
reg("linalg_unary", "linalg", _la_unary_gen(list(_LA_UNARY)), lambda a, p: _LA_UNARY[p["fn"]](a[0]))


def _slogdet_gen(ctx: Any) -> Any:
    x = _square(ctx)
    return None if x is None else ([x], {"form": ctx.choice(["LA", "M", "method"]), "neg": ctx.rng.random() < 0.5})


def _slogdet_code(a: list, p: dict) -> str:
    m = _wc(a[0]) if not p["neg"] else f"(-{_wc(a[0])})"
    return {"LA": f"LA.slogdet({m})", "M": f"M.slogdet({m})", "method": f"{m}.slogdet()"}[p["form"]]


reg("slogdet", "linalg", _slogdet_gen, _slogdet_code, multi=True)


def _solve_gen(ctx: Any) -> Any:
    a = _square(ctx)
    if a is None:
        return None
    n = a.shape[-1]
    left = ctx.rng.random() < 0.8
    r = ctx.rng.random()
    k = int(ctx.rng.integers(1, 4))
    if r < 0.3 and left:
        bs = a.shape[:-1]  # a batch of vectors
    elif r < 0.5:
        bs = (2,) + a.shape[:-2] + ((n, k) if left else (k, n))
    else:
        bs = a.shape[:-2] + ((n, k) if left else (k, n))
    tri = ctx.rng.random() < 0.35
    p = {"left": left, "tri": tri}
    if tri:
        if len(bs) < 2:
            bs = bs + (k,)
        p.update(upper=bool(ctx.rng.random() < 0.5), unit=bool(ctx.rng.random() < 0.3))
    return [a, ctx.fresh(bs, "normal")], p


def _solve_code(a: list, p: dict) -> str:
    if p["tri"]:
        return (f"LA.solve_triangular({_wc(a[0])}, {a[1]}, upper={p['upper']}, left={p['left']}, "
                f"unitriangular={p['unit']})")
    return f"LA.solve({_wc(a[0])}, {a[1]}" + (")" if p["left"] else ", left=False)")


reg("solve", "linalg", _solve_gen, _solve_code)


def _gap_ok(w: np.ndarray, gap: float = 0.1) -> bool:
    w = np.sort(w, axis=-1)
    return bool(w.shape[-1] < 2 or np.diff(w, axis=-1).min() > gap)


def _factor_gen(ctx: Any) -> Any:
    fn = ctx.choice(["qr", "eigh", "svd"])
    if fn == "eigh":
        x = _square(ctx, shift=False)
        if x is None:
            return None
        a = ctx.value(x).astype(np.float64)
        if not _gap_ok(np.linalg.eigvalsh((a + np.swapaxes(a, -1, -2)) / 2)):
            return None
        return [x], {"fn": fn}
    x = float_arg(ctx, "normal", lambda v: 2 <= len(v.shape) <= 3 and 0 not in v.shape and max(v.shape[-2:]) <= 5
                  and small(v, 60), min_nd=2, max_nd=3)
    if x is None:
        return None
    a = ctx.value(x).astype(np.float64)
    if not np.isfinite(a).all():
        return None
    s = np.linalg.svd(a, compute_uv=False)
    if s.min() < 0.1 or (fn == "svd" and not _gap_ok(s)):
        return None
    m, n = a.shape[-2:]
    if fn == "qr" and m < n and np.linalg.svd(a[..., :m], compute_uv=False).min() < 0.1:
        return None  # a wide QR's gradient inverts R's leading m x m block: its columns must be independent too
    return [x], {"fn": fn}


def _factor_code(a: list, p: dict) -> str:
    # Outputs are made gauge-invariant (eigen/singular vector and Q column signs are not unique);
    # sign() is piecewise constant, so the gradient is unchanged.
    x, t = a[0], "{o0}_"
    if p["fn"] == "qr":
        return (f"{t}q, {t}r = LA.qr({x})\n{t}s = {t}r.diagonal(0, -2, -1).sign()\n"
                f"{{o0}} = {t}q * {t}s.unsqueeze(-2)\n{{o1}} = {t}r * {t}s.unsqueeze(-1)")
    if p["fn"] == "eigh":
        return f"{{o0}}, {t}v = LA.eigh({_sym(x)})\n{{o1}} = {t}v * {t}v"
    return (f"{t}u, {{o0}}, {t}vh = LA.svd({x}, full_matrices=False)\n{{o1}} = {t}u * {t}u\n"
            f"{{o2}} = {t}vh * {t}vh")


reg("factorizations", "linalg", _factor_gen, _factor_code, stmt=True)


def _norms_gen(ctx: Any) -> Any:
    fn = ctx.choice(["matrix_norm", "vector_norm", "norm"])
    if fn == "vector_norm":
        x = float_arg(ctx, "away")
        if x is None:
            return None
        dim = None if ctx.rng.random() < 0.4 else rdim(ctx, len(x.shape))
        return [x], {"fn": fn, "ord": ctx.choice([2, 1, 3, float("inf"), 0.5]), "dim": dim,
                     "keepdim": bool(ctx.rng.random() < 0.3)}
    x = float_arg(ctx, "away", lambda v: 2 <= len(v.shape) <= 3 and 0 not in v.shape and small(v, 60),
                  min_nd=2, max_nd=3)
    if x is None:
        return None
    ords = ["fro", 1, -1, float("inf"), float("-inf")]
    a = ctx.value(x).astype(np.float64)
    if np.isfinite(a).all() and _gap_ok(np.linalg.svd(a, compute_uv=False), 0.05):
        ords += ["nuc", 2, -2]
    return [x], {"fn": fn, "ord": ctx.choice(ords), "dim": (-2, -1) if ctx.rng.random() < 0.7 else (-1, -2),
                 "keepdim": bool(ctx.rng.random() < 0.3)}


def _norms_code(a: list, p: dict) -> str:
    return f"LA.{p['fn']}({a[0]}, {lit(p['ord'])}, {p['dim']!r}, keepdim={p['keepdim']})"


reg("linalg_norms", "linalg", _norms_gen, _norms_code)


# ---------------------------------------------------------------------- losses
def _loss_pair(ctx: Any, kind: str = "normal", tkind: str = "normal") -> Any:
    x = float_arg(ctx, kind, (lambda v: ctx.in_domain(v, lo=0.02, hi=0.98)) if kind == "unit" else None)
    if x is None:
        return None
    t = ctx.fresh(x.shape, tkind, rg=bool(ctx.rng.random() < 0.4))
    return x, t


def _regloss_gen(ctx: Any) -> Any:
    pair = _loss_pair(ctx)
    if pair is None:
        return None
    fn = ctx.choice(["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss"])
    p = {"fn": fn, "red": ctx.choice(["mean", "sum", "none"])}
    if fn == "huber_loss":
        p["extra"] = f", delta={ctx.choice([1.0, 0.5])}"
    elif fn == "smooth_l1_loss":
        p["extra"] = f", beta={ctx.choice([1.0, 0.3])}"
    return list(pair), p


reg("regression_losses", "loss", _regloss_gen,
    lambda a, p: f"F.{p['fn']}({a[0]}, {a[1]}, reduction={p['red']!r}{p.get('extra', '')})")


def _bce_gen(ctx: Any) -> Any:
    logits = ctx.rng.random() < 0.5
    pair = _loss_pair(ctx, "normal" if logits else "unit", "unit")
    if pair is None:
        return None
    x, t = pair
    args = [x, t]
    p = {"logits": logits, "red": ctx.choice(["mean", "sum", "none"]), "w": False, "pw": False}
    if ctx.rng.random() < 0.3:
        args.append(ctx.fresh(bshape(ctx, x.shape), "pos", rg=False))
        p["w"] = True
    if logits and ctx.rng.random() < 0.3 and len(x.shape) >= 1:
        args.append(ctx.fresh((x.shape[-1],), "pos", rg=False))
        p["pw"] = True
    return args, p


def _bce_code(a: list, p: dict) -> str:
    fn = "binary_cross_entropy_with_logits" if p["logits"] else "binary_cross_entropy"
    extra = (f", weight={a[2]}" if p["w"] else "") + (f", pos_weight={a[-1]}" if p["pw"] else "")
    return f"F.{fn}({a[0]}, {a[1]}{extra}, reduction={p['red']!r})"


reg("bce_losses", "loss", _bce_gen, _bce_code)


def _ce_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "normal", lambda v: 1 <= len(v.shape) <= 3 and 0 not in v.shape, min_nd=2, max_nd=3)
    if x is None:
        return None
    fn = ctx.choice(["cross_entropy", "nll_loss"])
    nd = len(x.shape)
    c = x.shape[1] if nd >= 2 else x.shape[0]
    tshape = (x.shape[0],) + x.shape[2:] if nd >= 2 else ()
    p = {"fn": fn, "red": ctx.choice(["mean", "sum", "none"])}
    args = [x]
    if fn == "cross_entropy" and ctx.rng.random() < 0.25:
        args.append(ctx.fresh(x.shape, "unit", rg=False))  # class probabilities
        p["probs"] = True
    else:
        tgt = ctx.rng.integers(0, c, size=tshape)
        if ctx.rng.random() < 0.3 and tgt.size:
            p["ii"] = int(ctx.rng.integers(0, c))
        p["t"] = np.asarray(tgt, dtype=np.int64)
    if ctx.rng.random() < 0.3:
        args.append(ctx.fresh((c,), "pos", rg=False))
        p["w"] = True
    if fn == "cross_entropy" and ctx.rng.random() < 0.3:
        p["ls"] = ctx.choice([0.1, 0.5])
    return args, p


def _ce_code(a: list, p: dict) -> str:
    tgt = a[1] if p.get("probs") else lit(p["t"])
    extra = (f", weight={a[-1]}" if p.get("w") else "") + (f", ignore_index={p['ii']}" if "ii" in p else "")
    extra += f", label_smoothing={p['ls']}" if "ls" in p else ""
    return f"F.{p['fn']}({a[0]}, {tgt}{extra}, reduction={p['red']!r})"


reg("classification_losses", "loss", _ce_gen, _ce_code)


def _kl_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "normal")
    if x is None:
        return None
    log_t = bool(ctx.rng.random() < 0.5)
    t = ctx.fresh(x.shape, "normal" if log_t else "unit", rg=bool(ctx.rng.random() < 0.3))
    return [x, t], {"red": ctx.choice(["mean", "sum", "none", "batchmean"]), "lt": log_t}


reg("kl_div", "loss", _kl_gen, lambda a, p: f"F.kl_div({a[0]}, {a[1]}, reduction={p['red']!r}, log_target={p['lt']})")


# ---------------------------------------------------------------------- kernels: conv, pool, norm
def _img(ctx: Any, min_hw: int = 1) -> Any:
    def ok(v: Any) -> bool:
        return isf(v) and len(v.shape) in (3, 4) and 0 not in v.shape and min(v.shape[-2:]) >= min_hw and small(v, 300)

    v = ctx.pick(ok)
    if v is None:
        shape = (int(ctx.rng.integers(1, 4)), int(ctx.rng.integers(1, 4)), int(ctx.rng.integers(min_hw, 7)),
                 int(ctx.rng.integers(min_hw, 7)))
        if ctx.rng.random() < 0.15:
            shape = shape[1:]  # unbatched (C, H, W)
        v = ctx.fresh(shape, "normal")
    return v


def _conv_gen(ctx: Any) -> Any:
    x = _img(ctx)
    c = x.shape[-3]
    groups = ctx.choice([g for g in (1, 2, 3) if c % g == 0])
    o = groups * int(ctx.rng.integers(1, 3))
    kh, kw = int(ctx.rng.integers(1, 4)), int(ctx.rng.integers(1, 4))
    p = {"stride": ctx.choice([1, 2, (1, 2)]), "padding": ctx.choice([0, 1, 2, (1, 0), "same", "valid"]),
         "dilation": ctx.choice([1, 1, 2, (2, 1)]), "groups": groups}
    if p["padding"] == "same":
        p["stride"] = 1
    w = ctx.fresh((o, c // groups, kh, kw), "normal")
    args = [x, w] + ([ctx.fresh((o,), "normal")] if ctx.rng.random() < 0.5 else [])
    return args, p


def _kw(p: dict, keys: tuple) -> str:
    return "".join(f", {k}={p[k]!r}" for k in keys if k in p)


reg("conv2d", "kernel", _conv_gen,
    lambda a, p: f"F.conv2d({a[0]}, {a[1]}" + (f", {a[2]}" if len(a) > 2 else "")
    + _kw(p, ("stride", "padding", "dilation", "groups")) + ")")


def _convt_gen(ctx: Any) -> Any:
    x = _img(ctx)
    c = x.shape[-3]
    groups = ctx.choice([g for g in (1, 2) if c % g == 0])
    og = int(ctx.rng.integers(1, 3))
    kh, kw = int(ctx.rng.integers(1, 4)), int(ctx.rng.integers(1, 4))
    stride = ctx.choice([1, 2, (2, 1)])
    dilation = ctx.choice([1, 1, 2])
    smax = max(stride) if isinstance(stride, tuple) else stride
    p = {"stride": stride, "padding": ctx.choice([0, 1, (0, 1)]),
         "output_padding": int(ctx.rng.integers(0, max(smax, dilation))), "groups": groups, "dilation": dilation}
    w = ctx.fresh((c, og, kh, kw), "normal")
    args = [x, w] + ([ctx.fresh((og * groups,), "normal")] if ctx.rng.random() < 0.5 else [])
    return args, p


reg("conv_transpose2d", "kernel", _convt_gen,
    lambda a, p: f"F.conv_transpose2d({a[0]}, {a[1]}" + (f", {a[2]}" if len(a) > 2 else "")
    + _kw(p, ("stride", "padding", "output_padding", "groups", "dilation")) + ")")


def _has_padding_only_window(hw: tuple, p: dict) -> bool:
    """Whether some max-pool window covers only padding (possible with dilation or ceil_mode)."""
    def pair(v: Any) -> tuple:
        return v if isinstance(v, tuple) else (v, v)

    ks, pads, dils = pair(p["kernel_size"]), pair(p["padding"]), pair(p["dilation"])
    strides = ks if p["stride"] is None else pair(p["stride"])
    for size, k, s, pad, d in zip(hw, ks, strides, pads, dils):
        span = size + 2 * pad - d * (k - 1) - 1
        out = (-(-span // s) if p["ceil_mode"] else span // s) + 1
        if p["ceil_mode"] and (out - 1) * s >= size + pad:
            out -= 1
        for o in range(max(out, 0)):
            if not any(0 <= o * s - pad + j * d < size for j in range(k)):
                return True
    return False


def _pool_gen(ctx: Any) -> Any:
    x = _img(ctx, 2)
    fn = ctx.choice(["max_pool2d", "avg_pool2d"])
    k = ctx.choice([2, 3, (2, 1), (3, 2)])
    kmin = min(k) if isinstance(k, tuple) else k
    p = {"fn": fn, "kernel_size": k, "stride": ctx.choice([None, 1, 2, (2, 1)]),
         "padding": int(ctx.rng.integers(0, kmin // 2 + 1)), "ceil_mode": bool(ctx.rng.random() < 0.4)}
    if fn == "max_pool2d":
        p["dilation"] = ctx.choice([1, 1, 2])
        if _has_padding_only_window(tuple(x.shape[-2:]), p):
            return None  # torch 2.13's max-pool backward writes out of bounds there (known.py: heap corruption)
    else:
        p["count_include_pad"] = bool(ctx.rng.random() < 0.5)
        if ctx.rng.random() < 0.15:
            p["divisor_override"] = 3
    return [x], p


reg("pool2d", "kernel", _pool_gen,
    lambda a, p: f"F.{p['fn']}({a[0]}"
    + _kw(p, ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "count_include_pad", "divisor_override"))
    + ")")


def _adaptive_gen(ctx: Any) -> Any:
    x = _img(ctx)
    h, w = x.shape[-2:]
    o = ctx.choice([(int(ctx.rng.integers(1, h + 2)), int(ctx.rng.integers(1, w + 1))), int(ctx.rng.integers(1, 4))])
    return [x], {"o": o}


reg("adaptive_avg_pool2d", "kernel", _adaptive_gen, lambda a, p: f"F.adaptive_avg_pool2d({a[0]}, {p['o']!r})")


def _bn_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "normal", lambda v: 2 <= len(v.shape) <= 4 and 0 not in v.shape and small(v, 300),
                  min_nd=2, max_nd=4)
    if x is None:
        return None
    c = x.shape[1]
    training = bool(ctx.rng.random() < 0.7)
    args, p = [x], {"training": training, "affine": bool(ctx.rng.random() < 0.6),
                    "momentum": ctx.choice([0.1, 0.5]), "eps": ctx.choice([1e-5, 1e-3])}
    if training and int(np.prod(x.shape)) // c < 2:
        return None  # PyTorch needs more than one value per channel in training
    if p["affine"]:
        args += [ctx.fresh((c,), "normal"), ctx.fresh((c,), "normal")]
    p["rm"] = np.round(ctx.rng.normal(size=c), 3)
    p["rv"] = np.round(ctx.rng.uniform(0.5, 2.0, size=c), 3)
    p["stats"] = (not training) or bool(ctx.rng.random() < 0.5)
    return args, p


def _bn_code(a: list, p: dict) -> str:
    rm, rv = (f"{lit(p['rm'])}.to({a[0]}.dtype)", f"{lit(p['rv'])}.to({a[0]}.dtype)") if p["stats"] else ("None",
                                                                                                          "None")
    wb = f", {a[1]}, {a[2]}" if p["affine"] else ""
    return f"F.batch_norm({a[0]}, {rm}, {rv}{wb}, training={p['training']}, momentum={p['momentum']}, eps={p['eps']})"


reg("batch_norm", "kernel", _bn_gen, _bn_code)


def _ln_gen(ctx: Any) -> Any:
    x = float_arg(ctx, "normal", lambda v: len(v.shape) >= 1 and v.shape[-1] > 1, min_nd=1)
    if x is None:
        return None
    k = int(ctx.rng.integers(1, min(len(x.shape), 2) + 1))
    ns = x.shape[len(x.shape) - k:]
    args = [x]
    affine = ctx.rng.random() < 0.6
    if affine:
        args += [ctx.fresh(ns, "normal"), ctx.fresh(ns, "normal")]
    return args, {"ns": tuple(ns), "eps": ctx.choice([1e-5, 1e-2])}


reg("layer_norm", "kernel", _ln_gen,
    lambda a, p: f"F.layer_norm({a[0]}, {p['ns']!r}" + (f", {a[1]}, {a[2]}" if len(a) > 1 else "")
    + f", eps={p['eps']})")


def _dropout_gen(ctx: Any) -> Any:
    # Only the deterministic cases: p=0, p=1 and evaluation mode (the random masks differ by design).
    x = float_arg(ctx, "normal")
    if x is None:
        return None
    p, training = ctx.choice([(0.0, True), (1.0, True), (0.5, False)])
    return [x], {"p": p, "training": training}


reg("dropout", "kernel", _dropout_gen, lambda a, p: f"F.dropout({a[0]}, p={p['p']}, training={p['training']})")


def _embedding_gen(ctx: Any) -> Any:
    n, d = int(ctx.rng.integers(1, 6)), int(ctx.rng.integers(1, 4))
    w = ctx.pick(lambda v: isf(v) and len(v.shape) == 2 and 0 not in v.shape) or ctx.fresh((n, d), "normal")
    idx = np.asarray(ctx.rng.integers(0, w.shape[0], size=ctx.choice([(3,), (2, 2), ()])), dtype=np.int64)
    p = {"idx": idx}
    if ctx.rng.random() < 0.3:
        p["pi"] = int(ctx.rng.integers(0, w.shape[0]))
    return [w], p


reg("embedding", "kernel", _embedding_gen,
    lambda a, p: f"F.embedding({lit(p['idx'])}, {a[0]}" + (f", padding_idx={p['pi']}" if "pi" in p else "") + ")")


def _one_hot_gen(ctx: Any) -> Any:
    idx = np.asarray(ctx.rng.integers(0, 4, size=ctx.choice([(3,), (2, 2), ()])), dtype=np.int64)
    return [], {"idx": idx, "n": ctx.choice([-1, 5])}


reg("one_hot", "kernel", _one_hot_gen, lambda a, p: f"F.one_hot({lit(p['idx'])}, {p['n']})")

# Op families added later register from their own files (each imports reg and the helpers above).
from . import (  # noqa: E402, F401
    ops_attention,
    ops_contraction,
    ops_layers,
    ops_linalg_more,
    ops_math,
    ops_nn,
    ops_nn_extra,
    ops_special,
    ops_statistics,
    ops_surface,
    ops_tensor,
)

OPS_BY_NAME = {o.name: o for o in REGISTRY}
assert len(OPS_BY_NAME) == len(REGISTRY), "duplicate op names in the fuzzer registry"
