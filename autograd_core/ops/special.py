"""Special functions of ``torch.special`` that numpy lacks: the normal distribution's ndtr / log_ndtr / ndtri,
erfcx, entr, the modified Bessel functions i0 / i0e / i1 / i1e, xlog1py, the regularised incomplete gamma
functions and Hurwitz's zeta.

Everything is computed in float64 from series, continued fractions and asymptotic expansions written here (scipy
is no dependency) and returned in the input's floating dtype (integers compute as float32, PyTorch's default).
Derivatives that PyTorch does not implement (gammainc w.r.t. a, zeta w.r.t. x) raise its NotImplementedError
when a backward needs them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._function import Function
from .._tensor import Tensor, _make
from .._xp import define
from .arithmetic import _float_binary
from .unary import _floating, erfc_np, lgamma_np

# the names torch also has at top level (torch.i0, torch.mvlgamma); the rest are ag.special's
__all__ = ["i0", "mvlgamma"]

_SQRT2 = math.sqrt(2.0)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _f64(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, np.float64)


# ---------------------------------------------------------------------- normal distribution, erfcx
def erfcx_np(x: np.ndarray) -> np.ndarray:
    """exp(x**2) erfc(x): the product below x = 10 (erfc is accurate in its tail), then the asymptotic series
    1/(x sqrt(pi)) * sum_k (-1)^k (2k-1)!! / (2x^2)^k (its terms fall below 1e-16 of the sum by k = 12 there)."""
    x64 = _f64(x)
    out = np.empty_like(x64)
    big = x64 >= 10
    with np.errstate(over="ignore", invalid="ignore"):
        small = ~big
        out[small] = np.exp(x64[small] ** 2) * erfc_np(x64[small])
        xb = x64[big]
        if xb.size:
            inv = 1.0 / (2.0 * xb * xb)
            term, total = np.ones_like(xb), np.ones_like(xb)
            for k in range(1, 13):
                term = term * (-(2 * k - 1)) * inv
                total += term
            out[big] = total / (xb * math.sqrt(math.pi))
    return out


def log_ndtr_np(x: np.ndarray) -> np.ndarray:
    """log ndtr(x) without underflow: log1p(-ndtr(-x)) above 0, log(erfcx(-x/sqrt2) / 2) - x^2/2 below -5."""
    x64 = _f64(x)
    out = np.empty_like(x64)
    with np.errstate(divide="ignore", invalid="ignore"):
        hi, lo = x64 > 0, x64 < -5
        mid = ~(hi | lo)
        out[hi] = np.log1p(-0.5 * erfc_np(x64[hi] / _SQRT2))
        out[mid] = np.log(0.5 * erfc_np(-x64[mid] / _SQRT2))
        xl = x64[lo]
        out[lo] = np.log(0.5 * erfcx_np(-xl / _SQRT2)) - 0.5 * xl * xl
    return out


# Acklam's rational approximation of the normal quantile (relative error 1.2e-9), refined by Newton steps
_A = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02, 1.383577518672690e02,
      -3.066479806614716e01, 2.506628277459239e00)
_B = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02, 6.680131188771972e01,
      -1.328068155288572e01)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00, -2.549732539343734e00,
      4.374664141464968e00, 2.938163982698783e00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)


def _poly(coef: tuple, x: np.ndarray) -> np.ndarray:
    out = np.zeros_like(x)
    for c in coef:
        out = out * x + c
    return out


def ndtri_np(p: np.ndarray) -> np.ndarray:
    """The normal quantile: ndtr(ndtri(p)) = p; -inf at 0, inf at 1, nan outside [0, 1]."""
    p64 = _f64(p)
    out = np.full_like(p64, np.nan)
    out[p64 == 0] = -np.inf
    out[p64 == 1] = np.inf
    ok = (p64 > 0) & (p64 < 1)
    q = p64[ok]
    lower = q < 0.5
    r = np.where(lower, q, 1.0 - q)  # the tail probability, below 1/2
    with np.errstate(divide="ignore", invalid="ignore"):
        central = r > 0.02425
        t = np.sqrt(-2.0 * np.log(np.where(central, 0.5, r)))
        z_tail = _poly(_C, t) / (_poly(_D, t) * t + 1.0)  # = ndtri(r) (negative) for the tails
        u = r - 0.5
        s = u * u
        z_cen = _poly(_A, s) * u / (_poly(_B, s) * s + 1.0)
        z = np.where(central, z_cen, z_tail)  # ndtri(r), r <= 1/2
        # Newton on log ndtr(z) = log r: the tail probability keeps its digits where 1 - r would not
        log_r = np.log(r)
        for _ in range(3):
            lz = log_ndtr_np(z)
            z = z - (lz - log_r) * np.exp(lz + 0.5 * z * z + _LOG_SQRT_2PI)
    out[ok] = np.where(lower, z, -z)
    return out


# ---------------------------------------------------------------------- modified Bessel functions
def _bessel_scaled(x: np.ndarray, order: int) -> np.ndarray:
    """exp(-|x|) I_order(|x|) for order 0 or 1: the power series up to |x| = 30, the asymptotic series beyond."""
    ax = np.abs(_f64(x))
    out = np.empty_like(ax)
    small = ax <= 30
    xs = ax[small]
    q = xs * xs / 4
    term = np.ones_like(xs) if order == 0 else xs / 2
    total = term.copy()
    for k in range(1, 75):  # all terms positive: no cancellation; k = 75 is far past the peak at k ~ |x|/2
        term = term * q / (k * (k + order))
        total += term
    out[small] = total * np.exp(-xs)
    xb = ax[~small]
    if xb.size:
        mu = 4.0 * order * order
        term, total = np.ones_like(xb), np.ones_like(xb)
        for k in range(1, 26):
            term = term * -(mu - (2 * k - 1) ** 2) / (k * 8.0 * xb)
            total += term
        out[~small] = total / np.sqrt(2 * math.pi * xb)
    return out


def i0e_np(x: np.ndarray) -> np.ndarray:
    return _bessel_scaled(x, 0)


def i1e_np(x: np.ndarray) -> np.ndarray:
    return np.sign(_f64(x)) * _bessel_scaled(x, 1)


def i0_np(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        return i0e_np(x) * np.exp(np.abs(_f64(x)))


def i1_np(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        return i1e_np(x) * np.exp(np.abs(_f64(x)))


# ---------------------------------------------------------------------- incomplete gamma, zeta
def _gamma_p_q(a: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The regularised incomplete gammas (P, Q) = (gammainc, gammaincc): the series of P for x < a + 1, the
    continued fraction of Q (modified Lentz) otherwise; PyTorch's values at the edges (a = 0, x = 0, inf)."""
    a, x = np.broadcast_arrays(_f64(a), _f64(x))
    p, q = np.full(a.shape, np.nan), np.full(a.shape, np.nan)
    ok = (a >= 0) & (x >= 0) & ~np.isnan(a) & ~np.isnan(x)
    a0 = ok & (a == 0) & (x > 0)
    p[a0], q[a0] = 1.0, 0.0
    x0 = ok & (x == 0) & (a > 0)
    p[x0], q[x0] = 0.0, 1.0
    xinf = ok & np.isinf(x) & (a > 0)
    p[xinf], q[xinf] = 1.0, 0.0
    rest = ok & (a > 0) & (x > 0) & ~np.isinf(x)
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        ar, xr = a[rest], x[rest]
        log_pref = ar * np.log(xr) - xr - lgamma_np(ar)  # x^a e^-x / Gamma(a)
        series = xr < ar + 1
        # P = x^a e^-x / Gamma(a + 1) * sum_n x^n / ((a+1)...(a+n))
        term = 1.0 / ar
        total = term.copy()
        den = ar.copy()
        for _ in range(500):
            den = den + 1
            term = term * xr / den
            total += term
        p_series = np.exp(log_pref) * total
        # Q = x^a e^-x / Gamma(a) * 1 / (x + 1 - a - 1 (1 - a) / (x + 3 - a - ...)), Lentz's evaluation
        tiny = 1e-300
        b = xr + 1 - ar
        c = np.full_like(xr, 1 / tiny)
        d = 1 / np.where(b == 0, tiny, b)
        h = d.copy()
        for i in range(1, 500):
            an = -i * (i - ar)
            b = b + 2
            d = an * d + b
            d = np.where(np.abs(d) < tiny, tiny, d)
            c = b + an / c
            c = np.where(np.abs(c) < tiny, tiny, c)
            d = 1 / d
            h = h * d * c
        q_cf = np.exp(log_pref) * h
        pr = np.where(series, p_series, 1 - q_cf)
        qr = np.where(series, 1 - p_series, q_cf)
    p[rest], q[rest] = pr, qr
    return p, q


# B_2j / (2j)! for j = 1..10, the Euler-Maclaurin corrections of the zeta sum
_BERN = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798, -174611 / 330)
_ZETA_COEF = tuple(b / math.factorial(2 * j + 2) for j, b in enumerate(_BERN))


def zeta_np(s: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Hurwitz's zeta sum_k (q + k)^-s by Euler-Maclaurin (the first 12 terms summed, then the integral and
    10 corrections); inf at s = 1 and at q a non-positive integer, nan for s < 1 (PyTorch's values)."""
    s, q = np.broadcast_arrays(_f64(s), _f64(q))
    out = np.full(s.shape, np.nan)
    out[s == 1] = np.inf
    pole = (s > 1) & (q <= 0) & (q == np.floor(q))
    out[pole] = np.inf
    rest = (s > 1) & ~pole & ~np.isnan(q)
    sr, qr = s[rest], q[rest]
    n = 12
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        total = np.zeros_like(sr)
        for k in range(n):
            total += (qr + k) ** -sr
        a = qr + n
        total += a ** (1 - sr) / (sr - 1) + 0.5 * a ** -sr
        fact = sr * a ** (-sr - 1)  # s (s+1) ... (s + 2j - 2) a^(-s - 2j + 1), built up term by term
        for j, c in enumerate(_ZETA_COEF):
            total += c * fact
            fact = fact * (sr + 2 * j + 1) * (sr + 2 * j + 2) / (a * a)
    out[rest] = total
    return out


# ---------------------------------------------------------------------- ops
def _as(x: np.ndarray, like: np.ndarray) -> np.ndarray:
    return np.asarray(x).astype(like.dtype, copy=False)


class Entr(Function):
    """y = -x log x (0 at x = 0, -inf below);  gx = -g (log x + 1)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x):
        x = _floating(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.where(x > 0, -x * np.log(np.where(x > 0, x, 1)), np.where(x == 0, 0.0, -np.inf))
        return _as(np.where(np.isnan(x), x, y), x)

    def backward(self, g):
        (x,) = self.saved()
        with np.errstate(divide="ignore", invalid="ignore"):
            return -g * (self.xp.log(x) + 1)


class LogNdtr(Function):
    """y = log Phi(x);  gx = g exp(-x^2 / 2 - y) / sqrt(2 pi)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x):
        x = _floating(x)
        return _as(log_ndtr_np(x), x)

    def backward(self, g):
        (x,) = self.saved()
        with np.errstate(over="ignore"):
            return g * self.xp.exp(-(x * x) / 2 - self.xp.log_ndtr(x)) / _SQRT_2PI


class Ndtri(Function):
    """y = Phi^-1(p);  gp = g sqrt(2 pi) exp(y^2 / 2)"""

    fresh_grads = True
    saves_output = True  # as PyTorch's: its backward reads the result, so p may change in place afterwards

    def forward(self, x):
        x = _floating(x)
        return _as(ndtri_np(x), x)

    def backward(self, g):
        y = self.saved_output()
        with np.errstate(over="ignore", invalid="ignore"):
            return g * _SQRT_2PI * self.xp.exp(y * y / 2)


class Erfcx(Function):
    """y = exp(x^2) erfc(x);  gx = g (2 x y - 2 / sqrt(pi))"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x):
        x = _floating(x)
        return _as(erfcx_np(x), x)

    def backward(self, g):
        (x,) = self.saved()
        with np.errstate(over="ignore", invalid="ignore"):
            return g * (2 * x * self.xp.erfcx(x) - 2 / math.sqrt(math.pi))


class I0(Function):
    """y = I0(x);  gx = g I1(x)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x):
        x = _floating(x)
        return _as(i0_np(x), x)

    def backward(self, g):
        (x,) = self.saved()
        return g * self.xp.i1(x)


class I0e(Function):
    """y = exp(-|x|) I0(x);  gx = g (i1e(x) - sign(x) y)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x):
        x = _floating(x)
        return _as(i0e_np(x), x)

    def backward(self, g):
        (x,) = self.saved()
        xp = self.xp
        return g * (xp.i1e(x) - np.sign(xp.value(x)) * xp.i0e(x))


class I1(Function):
    """y = I1(x);  gx = g (I0(x) - I1(x) / x)  (1/2 at x = 0)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x):
        x = _floating(x)
        return _as(i1_np(x), x)

    def backward(self, g):
        (x,) = self.saved()
        xp = self.xp
        zero = xp.value(x) == 0
        with np.errstate(divide="ignore", invalid="ignore"):
            d = xp.i0(x) - xp.i1(x) / xp.where(zero, 1.0, x)
        return g * (xp.where(zero, 0.5, d) if zero.any() else d)


class I1e(Function):
    """y = exp(-|x|) I1(x);  gx = g (i0e(x) - y (sign(x) + 1 / x))  (1/2 at x = 0)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x):
        x = _floating(x)
        return _as(i1e_np(x), x)

    def backward(self, g):
        (x,) = self.saved()
        xp = self.xp
        zero = xp.value(x) == 0
        with np.errstate(divide="ignore", invalid="ignore"):
            d = xp.i0e(x) - xp.i1e(x) * (np.sign(xp.value(x)) + 1 / xp.where(zero, 1.0, x))
        return g * (xp.where(zero, 0.5, d) if zero.any() else d)


def _xlog1py_np(x: Any, y: Any) -> np.ndarray:
    if not isinstance(y, np.ndarray):
        y = np.asarray(y, dtype=np.result_type(x, y))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(x * np.log1p(y))
    return np.where((np.asarray(x) == 0) & ~np.isnan(y), 0, out).astype(out.dtype, copy=False)


class Xlog1py(Function):
    """out = x log1p(y) (0 at x = 0 unless y is nan);  gx = g log1p(y) (0 at x = 0, y <= -1),  gy = g x / (1 + y)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x, y):
        return _xlog1py_np(x, y)

    def backward(self, g):
        x, y = self.saved()
        xp = self.xp
        gx = gy = None
        if self.needs_input_grad(0):
            with np.errstate(divide="ignore", invalid="ignore"):
                gx = g * xp.log1p(y)
            cut = (xp.value(x) == 0) & (xp.value(y) <= -1)
            if np.any(cut):
                gx = xp.where(cut, 0.0, gx)
        if self.needs_input_grad(1):
            with np.errstate(divide="ignore", invalid="ignore"):
                gy = g * x / (1 + y)
        return gx, gy


def _not_implemented(what: str) -> NotImplementedError:
    return NotImplementedError(f"the derivative for '{what}' is not implemented.")


class Gammainc(Function):
    """y = P(a, x), the regularised lower incomplete gamma;  gx = g x^(a-1) e^-x / Gamma(a);  no derivative in a
    (as PyTorch)"""

    fresh_grads = True
    saves_inputs = True
    sign = 1.0
    _name = "igamma: input"

    def forward(self, a, x):
        dt = np.result_type(a, x)
        p, q = _gamma_p_q(a, x)
        return (p if self.sign > 0 else q).astype(dt, copy=False)

    def backward(self, g):
        a, x = self.saved()
        if self.needs_input_grad(0):
            raise _not_implemented(self._name)
        xp = self.xp
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            d = xp.exp((a - 1) * xp.log(x) - x - xp.value_lgamma(a))
        return None, g * d * self.sign


class Gammaincc(Gammainc):
    """y = Q(a, x) = 1 - P(a, x);  gx = -g x^(a-1) e^-x / Gamma(a)"""

    sign = -1.0
    _name = "igammac: input"


class Zeta(Function):
    """y = zeta(s, q) = sum_k (q + k)^-s;  gq = -g s zeta(s + 1, q);  no derivative in s (as PyTorch)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, s, q):
        return zeta_np(s, q).astype(np.result_type(s, q), copy=False)

    def backward(self, g):
        s, q = self.saved()
        if self.needs_input_grad(0):
            raise _not_implemented("zeta")
        return None, -g * s * self.xp.zeta(s + 1, q)


# ---------------------------------------------------------------------- public functions
def _unary_op(cls: type, x: Any) -> Tensor:
    return cls.apply(x if isinstance(x, Tensor) else Tensor(x))


def entr(input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's names
    """-x log x elementwise (0 at 0, -inf for x < 0)."""
    return _unary_op(Entr, input)


def ndtr(input: Tensor) -> Tensor:  # noqa: A002
    """The standard normal CDF, erfc(-x / sqrt 2) / 2 (composed, as PyTorch's: what backward keeps is the
    intermediate -x / sqrt 2, so changing x in place afterwards is no error)."""
    from .unary import erfc

    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.dtype.kind in "iub":
        x = x.float()
    return erfc(x * (-1 / _SQRT2)) * 0.5


def log_ndtr(input: Tensor) -> Tensor:  # noqa: A002
    """log of the standard normal CDF, accurate far in the lower tail."""
    return _unary_op(LogNdtr, input)


def ndtri(input: Tensor) -> Tensor:  # noqa: A002
    """The standard normal quantile (inverse CDF)."""
    return _unary_op(Ndtri, input)


def erfcx(input: Tensor) -> Tensor:  # noqa: A002
    """The scaled complementary error function exp(x^2) erfc(x)."""
    return _unary_op(Erfcx, input)


def i0(input: Tensor) -> Tensor:  # noqa: A002
    """The modified Bessel function of the first kind, order 0."""
    return _unary_op(I0, input)


def i0e(input: Tensor) -> Tensor:  # noqa: A002
    """exp(-|x|) I0(x)."""
    return _unary_op(I0e, input)


def i1(input: Tensor) -> Tensor:  # noqa: A002
    """The modified Bessel function of the first kind, order 1."""
    return _unary_op(I1, input)


def i1e(input: Tensor) -> Tensor:  # noqa: A002
    """exp(-|x|) I1(x)."""
    return _unary_op(I1e, input)


def xlog1py(input: Any, other: Any) -> Tensor:  # noqa: A002
    """input * log1p(other), 0 where input == 0 (unless other is nan)."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError("xlog1py(): at least one of 'input' and 'other' must be a Tensor")
    return _float_binary(Xlog1py, input, other, "xlog1py")


def gammainc(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The regularised lower incomplete gamma function P(a = input, x = other)."""
    return _float_binary(Gammainc, input, other, "gammainc")


def gammaincc(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The regularised upper incomplete gamma function Q(a = input, x = other) = 1 - P."""
    return _float_binary(Gammaincc, input, other, "gammaincc")


def zeta(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Hurwitz's zeta function sum_k (other + k)^-input."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError("zeta(): at least one of 'input' and 'other' must be a Tensor")
    return _float_binary(Zeta, input, other, "zeta")


def mvlgamma(input: Tensor, p: int) -> Tensor:  # noqa: A002
    """The multivariate log-gamma log Gamma_p(a) = p(p-1)/4 log pi + sum_j lgamma(a - (j - 1)/2), j = 1..p."""
    from .unary import lgamma

    if not isinstance(p, int) or isinstance(p, bool) or p < 1:
        raise RuntimeError(f"mvlgamma: p has to be greater than or equal to 1, got {p!r}")
    out = lgamma(input)
    for j in range(2, p + 1):
        out = out + lgamma(input - (j - 1) / 2)
    return out + p * (p - 1) / 4 * math.log(math.pi)


def spherical_bessel_j0(input: Tensor) -> Tensor:  # noqa: A002
    """sin(x) / x (1 at 0); like PyTorch's, not differentiable: the result never requires grad."""
    x = input if isinstance(input, Tensor) else Tensor(input)
    a = _floating(x._data)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where(a == 0, 1.0, np.sin(a) / np.where(a == 0, 1, a))
        y = np.where(np.isinf(a), 0.0, y)  # the limit, where sin(inf) / inf would be nan
    return _make(np.asarray(y).astype(a.dtype, copy=False), None, False)


define("log_ndtr", lambda x: _as(log_ndtr_np(x), x), log_ndtr)
define("erfcx", lambda x: _as(erfcx_np(x), x), erfcx)
define("i0", lambda x: _as(i0_np(x), x), i0)
define("i0e", lambda x: _as(i0e_np(x), x), i0e)
define("i1", lambda x: _as(i1_np(x), x), i1)
define("i1e", lambda x: _as(i1e_np(x), x), i1e)
define("zeta", lambda s, q: zeta_np(s, q).astype(np.result_type(s, q), copy=False), zeta)
# lgamma of a saved input that needs no gradient (gammainc's a): its value only, on either side
define("value_lgamma", lambda a: lgamma_np(a), lambda a: _make(lgamma_np(a._data), None, False))

METHODS: dict[str, Any] = {"i0": i0, "mvlgamma": mvlgamma}
