"""Op-table rows for elementwise math ops (trig, rounding, special functions, binary math).

Numpy references are numpy's own functions where numpy has them, else mpmath (arbitrary precision: an oracle
independent of the implementation) for erfc, erfinv, lgamma, digamma and polygamma. Samples keep away from the
points where an op jumps (integers for floor/ceil/round, x = 0 for sinc's second derivative, poles) so that
finite differences are meaningful; the behaviour at those points is checked against torch in
tests/test_math_ops.py. Non-differentiable ops (predicates, bitwise) are checked there too: every row here
records a graph node.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from op_db import COVERED_ELSEWHERE, Sample, _away, _binary_samples, _nc, _pos, _r, _remainder_samples, _t, op
from op_db import _unary_samples as _us

import autograd_core as ag

COVERED_ELSEWHERE["Heaviside"] = (
    "tests/test_math_ops.py::test_heaviside_matches_torch_and_has_no_derivative (no derivative, as in PyTorch)")


def _u(lo: float, hi: float) -> Callable:
    return lambda rng, *s: rng.uniform(lo, hi, s)


def _off_poles(rng: np.random.Generator, *s: int) -> np.ndarray:
    """k + u, k in -3..3 and u in [0.2, 0.8]: away from the poles of lgamma/digamma at 0, -1, -2, ..."""
    return rng.integers(-3, 4, s) + rng.uniform(0.2, 0.8, s)


def _mp(fn: Callable) -> Callable:
    """An elementwise reference from mpmath at 50 digits."""
    import mpmath

    def ref(a, **kw):
        with mpmath.workdps(50):
            return np.vectorize(lambda v: float(fn(mpmath, mpmath.mpf(float(v)), **kw)), otypes=[np.float64])(a)

    return ref


def _unary(name: str, ref: Callable, gen: Callable, cls: str, fuzz: tuple | None = ("normal", None), **kw) -> None:
    op(name, op=lambda a: getattr(a, name)(), ref=ref, torch=lambda a: getattr(a, name)(), samples=_us(gen),
       covers=(cls,), fuzz=fuzz, **kw)


# ---------------------------------------------------------------------- trigonometric, hyperbolic, logs, powers
_unary("tan", np.tan, _u(-1.3, 1.3), "Tan")
_unary("asin", np.arcsin, _u(-0.9, 0.9), "Asin", ("unit", {"lo": -0.99, "hi": 0.99}))
_unary("acos", np.arccos, _u(-0.9, 0.9), "Acos", ("unit", {"lo": -0.99, "hi": 0.99}))
_unary("sinh", np.sinh, _r, "Sinh", ("normal", {"lo": -20.0, "hi": 20.0}))
_unary("cosh", np.cosh, _r, "Cosh", ("normal", {"lo": -20.0, "hi": 20.0}))
_unary("asinh", np.arcsinh, lambda rng, *s: 3 * _r(rng, *s), "Asinh")
_unary("acosh", np.arccosh, _u(1.1, 4.0), "Acosh", None)  # domain x > 1: drawn by tests/fuzz/ops_math.py
_unary("atanh", np.arctanh, _u(-0.9, 0.9), "Atanh", ("unit", {"lo": -0.99, "hi": 0.99}))
_unary("log2", np.log2, _pos, "Log2", ("pos", {"lo": 0.05}))
_unary("log10", np.log10, _pos, "Log10", ("pos", {"lo": 0.05}))
_unary("exp2", np.exp2, _r, "Exp2", ("normal", {"hi": 20.0}))
_unary("square", np.square, _r, "Square")
_unary("reciprocal", np.reciprocal, _away, "Reciprocal", ("away", {"away": 0.1}))
_unary("sinc", np.sinc, _away, "Sinc")
_unary("erfc", _mp(lambda m, v: m.erfc(v)), lambda rng, *s: 2 * _r(rng, *s), "Erfc")
_unary("erfinv", _mp(lambda m, v: m.erfinv(v)), _u(-0.97, 0.97), "Erfinv", ("unit", {"lo": -0.99, "hi": 0.99}))
_unary("lgamma", _mp(lambda m, v: m.re(m.loggamma(v))), _off_poles, "Lgamma")
_unary("digamma", _mp(lambda m, v: m.digamma(v)), _off_poles, "Digamma")
op("polygamma", op=lambda a, n: ag.polygamma(n, a), ref=_mp(lambda m, v, n: m.polygamma(n, v)),
   torch=lambda a, n: _t().polygamma(n, a),
   # n = 1 (trigamma) is PyTorch's own formula, accurate to ~5e-10 only: compared with mpmath at that
   # tolerance in tests/test_math_ops.py; its gradient (n = 2) runs here
   samples=lambda rng: [Sample((_u(0.3, 4.0)(rng, 3, 4),), {"n": n}, name=f"n{n}") for n in (2, 3)]
   + [Sample((-_u(0.1, 0.9)(rng, 4) - 2,), {"n": 2}, name="negative")],
   covers=("Polygamma",))
op("polygamma_method", op=lambda a: a.polygamma(2), ref=_mp(lambda m, v: m.polygamma(2, v)),
   torch=lambda a: a.polygamma(2), samples=_us(_u(0.3, 4.0)))
for _n, _np_fn in (("deg2rad", np.deg2rad), ("rad2deg", np.rad2deg)):
    op(_n, op=(lambda n: lambda a: getattr(a, n)())(_n), ref=_np_fn, torch=(lambda n: lambda a: getattr(a, n)())(_n),
       samples=_us(_r), fuzz=("normal", None))


# ---------------------------------------------------------------------- rounding (zero gradient) and frac
for _n, _np_fn, _cls in (("floor", np.floor, "Floor"), ("ceil", np.ceil, "Ceil"), ("trunc", np.trunc, "Trunc"),
                         ("round", np.round, "Round")):
    _unary(_n, _np_fn, lambda rng, *s: 3 * _r(rng, *s), _cls)
op("round_decimals", op=lambda a, d: ag.round(a, decimals=d), ref=lambda a, d: np.round(a, d),
   torch=lambda a, d: _t().round(a, decimals=d),
   samples=lambda rng: [Sample((50 * _r(rng, 3, 4),), {"d": d}, name=f"d{d}") for d in (1, 2, -1)])
_unary("frac", lambda a: np.modf(a)[0], lambda rng, *s: 3 * _r(rng, *s), "Frac")
_unary("fix", np.trunc, lambda rng, *s: 3 * _r(rng, *s), "Trunc", None)


# ---------------------------------------------------------------------- logit, nan_to_num
def _logit_ref(a, eps=None):
    if eps is not None:
        a = np.clip(a, eps, 1 - eps)
    return np.log(a) - np.log1p(-a)


op("logit", op=lambda a, eps: a.logit(eps), ref=_logit_ref, torch=lambda a, eps: a.logit(eps),
   samples=lambda rng: [Sample((_u(0.05, 0.95)(rng, 3, 4),), {"eps": None}, name="plain"),
                        Sample((_nc(_u(0.05, 0.95)(rng, 4, 3)).T,), {"eps": None}, name="noncontig"),
                        # values on both sides of eps (clamped ones get gradient 0)
                        Sample((np.array([0.01, 0.05, 0.3, 0.5, 0.8, 0.95, 0.99]),), {"eps": 0.1}, name="eps")],
   covers=("Logit",), fuzz=("unit", {"lo": 0.01, "hi": 0.99}))


def _nan_samples(rng: np.random.Generator) -> list[Sample]:
    x = _r(rng, 3, 4)
    x[0, 0], x[1, 2] = np.nan, np.nan
    y = x.copy()
    y[1, 2], y[2, 3] = np.inf, -np.inf
    kw = {"nan": 0.0, "posinf": None, "neginf": None}  # (the default infinities differ between float32 and 64)
    return [Sample((x,), kw, name="nan"), Sample((y,), {"nan": 1.5, "posinf": 9.0, "neginf": -7.0}, name="set"),
            Sample((_r(rng),), kw, name="0d")]


op("nan_to_num", op=lambda a, nan, posinf, neginf: a.nan_to_num(nan, posinf, neginf), ref=np.nan_to_num,
   torch=lambda a, nan, posinf, neginf: a.nan_to_num(nan, posinf, neginf), samples=_nan_samples,
   covers=("NanToNum",), fuzz=("normal", None))


# ---------------------------------------------------------------------- binary math
def _bin(name: str, ref: Callable, ga: Callable, gb: Callable, cls: str | None = None, **kw) -> None:
    op(name, op=lambda a, b: getattr(ag, name)(a, b), ref=ref, torch=lambda a, b: getattr(_t(), name)(a, b),
       samples=_binary_samples(ga, gb), covers=(cls,) if cls else (), **kw)


_bin("atan2", np.arctan2, _r, _r, "Atan2")
_bin("copysign", np.copysign, _away, _away, "Copysign")
_bin("logaddexp", np.logaddexp, lambda rng, *s: 3 * _r(rng, *s), _r, "Logaddexp")
_bin("logaddexp2", np.logaddexp2, lambda rng, *s: 3 * _r(rng, *s), _r, "Logaddexp2")
_bin("hypot", np.hypot, _away, _r, "Hypot")
_bin("xlogy", lambda a, b: a * np.log(b), _r, _pos, "Xlogy")
_bin("fmax", np.fmax, _r, lambda rng, *s: _r(rng, *s) + 0.05, "Fmax")
_bin("fmin", np.fmin, _r, lambda rng, *s: _r(rng, *s) + 0.05, "Fmin")
_bin("nextafter", np.nextafter, _r, _r, "Nextafter")
_bin("true_divide", np.true_divide, _r, _away)
_bin("ldexp", lambda a, b: a * 2.0 ** b, _r, _r, "Ldexp")
op("fmod", op=lambda a, b: a.fmod(b), ref=np.fmod, torch=lambda a, b: a.fmod(b), samples=_remainder_samples,
   covers=("Fmod",))
# torch defines no derivative of floor_divide (its backward raises; autograd_core gives the zero gradient, the
# derivative almost everywhere, as tests/fuzz/known.py documents), so no torch twin here: its values are compared
# with torch in tests/test_math_ops.py and by the fuzzer
op("floor_divide", op=lambda a, b: a.floor_divide(b), ref=np.floor_divide, torch=None, samples=_remainder_samples)
def _scalar_samples(scalars: tuple) -> Callable:
    return lambda rng: [Sample((_pos(rng, 3, 4),), {"s": s}, name=f"s{s}") for s in scalars]


for _n, _fn, _ss in (("fmod", np.fmod, (-1.5, 2.0, 3)), ("remainder", np.remainder, (-1.5, 2.0, 3)),
                     ("copysign", np.copysign, (-1.5, 2.0, 3)), ("xlogy", lambda a, b: a * np.log(b), (1.5, 2.0, 3))):
    op(f"{_n}_scalar", op=(lambda n: lambda a, s: getattr(a, n)(s))(_n), ref=(lambda f: lambda a, s: f(a, s))(_fn),
       torch=(lambda n: lambda a, s: getattr(a, n)(s))(_n), samples=_scalar_samples(_ss))
op("xlogy_scalar_self", op=lambda b: ag.xlogy(2.5, b), ref=lambda b: 2.5 * np.log(b),
   torch=lambda b: _t().xlogy(2.5, b), samples=_us(_pos))
op("xlogy_zeros", op=lambda a, b, z: ag.xlogy(a * ag.tensor(z).to(a.dtype), b),
   ref=lambda a, b, z: np.where(z == 0, 0, a * z * np.log(b)),
   torch=lambda a, b, z: _t().xlogy(a * _t().tensor(z).to(a.dtype), b),
   samples=lambda rng: [Sample((_r(rng, 3, 4), _pos(rng, 3, 4)), {"z": (rng.random((3, 4)) < 0.5) * 1.0})])
# float_power computes in float64; cast back so that the float32 run of the table compares like for like
op("float_power", op=lambda a, b: ag.float_power(a, b).to(a.dtype), ref=np.float_power,
   torch=lambda a, b: _t().float_power(a, b).to(a.dtype), samples=_binary_samples(_pos, _r))
op("float_power_scalar", op=lambda a, s: a.float_power(s).to(a.dtype), ref=lambda a, s: np.float_power(a, s),
   torch=lambda a, s: a.float_power(s).to(a.dtype),
   samples=lambda rng: [Sample((_pos(rng, 3, 4),), {"s": s}, name=f"s{s}") for s in (-1.5, 2, 0.5)])


def _lerp_samples(rng: np.random.Generator) -> list[Sample]:
    w = _u(-0.3, 1.3)
    return [Sample((_r(rng, 3, 4), _r(rng, 3, 4), w(rng, 3, 4)), name="same"),
            Sample((_r(rng, 3, 1), _r(rng, 4), w(rng, 3, 4)), name="broadcast"),
            Sample((_r(rng, 2, 3), _r(rng, 2, 3), w(rng)), name="0d_weight"),
            Sample((_nc(_r(rng, 4, 3)).T, _r(rng, 3, 4), w(rng, 4)), name="noncontig")]


def _lerp_ref(a, b, w):
    return a + w * (b - a)


op("lerp", op=lambda a, b, w: a.lerp(b, w), ref=_lerp_ref, torch=lambda a, b, w: a.lerp(b, w), samples=_lerp_samples,
   covers=("Lerp",))
op("lerp_scalar", op=lambda a, b, w: ag.lerp(a, b, w), ref=_lerp_ref, torch=lambda a, b, w: _t().lerp(a, b, w),
   samples=lambda rng: [Sample((_r(rng, 3, 4), _r(rng, 4)), {"w": w}, name=f"w{w}") for w in (0.3, 0.7, -0.5, 1.5)])
op("addcmul", op=lambda a, b, c, v: ag.addcmul(a, b, c, value=v), ref=lambda a, b, c, v: a + v * b * c,
   torch=lambda a, b, c, v: _t().addcmul(a, b, c, value=v),
   samples=lambda rng: [Sample((_r(rng, 3, 4), _r(rng, 3, 1), _r(rng, 4)), {"v": v}, name=f"v{v}") for v in (1, -0.5)])
op("addcdiv", op=lambda a, b, c, v: a.addcdiv(b, c, value=v), ref=lambda a, b, c, v: a + v * b / c,
   torch=lambda a, b, c, v: a.addcdiv(b, c, value=v),
   samples=lambda rng: [Sample((_r(rng, 3, 4), _r(rng, 3, 1), _away(rng, 4)), {"v": v}, name=f"v{v}")
                        for v in (1, 2.0)])


def _bound_samples(rng: np.random.Generator) -> list[Sample]:
    # values 0.1 or more from the bound, so finite differences do not cross it
    x = _r(rng, 3, 4)
    lo = x + np.where(rng.random((3, 4)) < 0.5, 0.3, -0.3)
    return [Sample((x, lo), name="same"), Sample((x[:1], lo[:, :1]), name="broadcast")]


op("clamp_min_tensor", op=lambda a, b: a.clamp_min(b), ref=np.maximum, torch=lambda a, b: a.clamp_min(b),
   samples=_bound_samples)
op("clamp_max_tensor", op=lambda a, b: ag.clamp_max(a, b), ref=np.minimum, torch=lambda a, b: _t().clamp_max(a, b),
   samples=_bound_samples)
op("clamp_min_scalar", op=lambda a: ag.clamp_min(a, 0.2), ref=lambda a: np.maximum(a, 0.2),
   torch=lambda a: _t().clamp_min(a, 0.2), samples=_us(lambda rng, *s: _away(rng, *s) + 0.2))
op("clamp_max_scalar", op=lambda a: a.clamp_max(-0.1), ref=lambda a: np.minimum(a, -0.1),
   torch=lambda a: a.clamp_max(-0.1), samples=_us(lambda rng, *s: _away(rng, *s) - 0.1))
# torch's sgn backward returns a ZeroTensor that test_ops cannot read back: the twin is sign, equal to sgn on real
# tensors (values and gradient); tests/test_math_ops.py compares sgn's own gradient with torch's
op("sgn", op=lambda a: a.sgn(), ref=np.sign, torch=lambda a: a.sign(), samples=_us(_away))
op("special_composite", op=lambda a: (a.tan() * a.sinh()).erfc() + a.lgamma().exp2(),
   ref=lambda a: np.vectorize(math.erfc)(np.tan(a) * np.sinh(a)) + np.exp2(np.vectorize(math.lgamma)(a)),
   torch=lambda a: (a.tan() * a.sinh()).erfc() + a.lgamma().exp2(), samples=_us(_u(0.2, 1.2)))
# conj of a real tensor is that tensor itself (as in PyTorch: no node); on a complex value (a made complex here,
# brought back to a real loss by abs) it records Conj; the complex convention: tests/test_torch_api.py
op("conj", op=lambda a: ((a * 1j).conj() + a * 0.5).abs(), ref=lambda a: np.abs(np.conj(a * 1j) + a * 0.5),
   torch=lambda a: ((a * 1j).conj() + a * 0.5).abs(), samples=_us(_away), covers=("Conj", "AbsComplex"),
   fuzz=("normal", None))
