"""Op-table rows for torch.special's own functions (autograd_core/ops/special.py): ndtr, log_ndtr, ndtri,
erfcx, entr, i0, i0e, i1, i1e, xlog1py, gammainc, gammaincc, zeta, and the composite multigammaln.

The references are mpmath at 50 digits (independent of the series and continued fractions of the
implementation); gammainc / gammaincc / zeta differentiate only in their second argument, as PyTorch's do, so
their rows hold the first one as a constant (kwargs). Samples keep to where finite differences are meaningful
(away from x = 0 for i1's 1/x form, inside (0, 1) for ndtri); the edges are checked in tests/test_special.py.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from op_db import Sample, _binary_samples, _nc, _r, _t, op
from op_db import _unary_samples as _us

import autograd_core as ag
import autograd_core.special as S


def _mp1(fn: Callable) -> Callable:
    import mpmath

    def ref(a):
        with mpmath.workdps(50):
            return np.vectorize(lambda v: float(fn(mpmath, mpmath.mpf(float(v)))), otypes=[np.float64])(a)

    return ref


def _u(lo: float, hi: float) -> Callable:
    return lambda rng, *s: rng.uniform(lo, hi, s)


def _ndtr(m, v):
    return (1 + m.erf(v / m.sqrt(2))) / 2


def _special(name: str, ref: Callable, gen: Callable, cls: str, **kw) -> None:
    op(f"special_{name}", op=lambda a: getattr(S, name)(a), ref=ref,
       torch=lambda a: getattr(_t().special, name)(a), samples=_us(gen), covers=(cls,), **kw)


op("special_ndtr", op=lambda a: S.ndtr(a), ref=_mp1(_ndtr), torch=lambda a: _t().special.ndtr(a),
   samples=_us(lambda rng, *s: 3 * _r(rng, *s)))  # composed of erfc, as PyTorch's
_special("log_ndtr", _mp1(lambda m, v: m.log(_ndtr(m, v))), _u(-12.0, 4.0), "LogNdtr")
_special("ndtri", _mp1(lambda m, p: m.sqrt(2) * m.erfinv(2 * p - 1)), _u(0.02, 0.98), "Ndtri")
_special("erfcx", _mp1(lambda m, v: m.exp(v * v) * m.erfc(v)), _u(-2.0, 12.0), "Erfcx")
_special("entr", _mp1(lambda m, v: -v * m.log(v)), _u(0.1, 3.0), "Entr")
_special("i0", _mp1(lambda m, v: m.besseli(0, v)), _u(-6.0, 6.0), "I0")
_special("i0e", _mp1(lambda m, v: m.besseli(0, v) * m.exp(-abs(v))), _u(-35.0, 35.0), "I0e")
_special("i1", _mp1(lambda m, v: m.besseli(1, v)), _u(0.3, 6.0), "I1")
_special("i1e", _mp1(lambda m, v: m.besseli(1, v) * m.exp(-abs(v))), _u(0.3, 35.0), "I1e")


def _xlog1py_samples(rng):
    return [s for s in _binary_samples(_r, _u(-0.8, 3.0))(rng)]


op("special_xlog1py", op=lambda a, b: S.xlog1py(a, b), ref=lambda a, b: a * np.log1p(b),
   torch=lambda a, b: _t().special.xlog1py(a, b), samples=_xlog1py_samples, covers=("Xlog1py",))


def _second_arg_samples(ga: Callable, gb: Callable) -> Callable:
    """The first operand a constant (no derivative in it, as PyTorch), the second differentiated."""
    def samples(rng):
        return [Sample((gb(rng, 3, 4),), {"a": ga(rng, 3, 4)}, name="same"),
                Sample((gb(rng, 1, 4),), {"a": ga(rng, 3, 1)}, name="broadcast"),
                Sample((_nc(gb(rng, 4, 3)).T,), {"a": ga(rng, 3, 4)}, name="noncontig")]

    return samples


def _mp2(fn: Callable) -> Callable:
    import mpmath

    def ref(x, a):
        with mpmath.workdps(50):
            return np.vectorize(lambda u, v: float(fn(mpmath, mpmath.mpf(float(u)), mpmath.mpf(float(v)))),
                                otypes=[np.float64])(a, x)

    return ref


def _lib(x):
    return ag if isinstance(x, ag.Tensor) else _t()


for _name, _fn, _ga, _gx, _cls in (
        ("gammainc", lambda m, a, x: m.gammainc(a, 0, x, regularized=True), _u(0.5, 6.0), _u(0.2, 8.0), "Gammainc"),
        ("gammaincc", lambda m, a, x: m.gammainc(a, x, m.inf, regularized=True), _u(0.5, 6.0), _u(0.2, 8.0),
         "Gammaincc"),
        ("zeta", lambda m, s, q: m.zeta(s, q), _u(1.5, 5.0), _u(0.3, 3.0), "Zeta")):
    op(f"special_{_name}", op=lambda x, a, n=_name: getattr(S, n)(ag.tensor(a, dtype=x.dtype), x), ref=_mp2(_fn),
       torch=lambda x, a, n=_name: getattr(_t().special, n)(_t().tensor(a, dtype=x.dtype), x),
       samples=_second_arg_samples(_ga, _gx), covers=(_cls,))


def _multigammaln_ref(a, p):
    import math

    return p * (p - 1) / 4 * math.log(math.pi) + sum(np.vectorize(math.lgamma)(a - (j - 1) / 2)
                                                       for j in range(1, p + 1))


op("special_multigammaln", op=lambda a, p: S.multigammaln(a, p), ref=_multigammaln_ref,
   torch=lambda a, p: _t().special.multigammaln(a, p),
   samples=lambda rng: [Sample((rng.uniform(2.0, 5.0, (3, 4)),), {"p": p}, name=f"p{p}") for p in (1, 3)])
