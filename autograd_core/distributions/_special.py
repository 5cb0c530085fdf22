"""Gamma-function numerics the Gamma family needs, on ndarrays: the regularised lower incomplete gamma
P(a, x), and the implicit reparameterisation gradient of a standard-gamma draw (Figurnov et al. 2018):
x ~ Gamma(a, 1) is x = F^-1(u; a) for a uniform u, so at fixed u

    dx/da = -(dP(a, x)/da) / (dP(a, x)/dx),    dP/dx = x**(a-1) exp(-x) / Gamma(a).

With P = x**a exp(-x) / Gamma(a) * T(a, x) (series, used for x < a + 1) or 1 - P = x**a exp(-x) / Gamma(a)
* C(a, x) (continued fraction, x >= a + 1), the prefactors cancel and

    d log x / da = -(T (log x - digamma(a)) + dT/da)   or   C (log x - digamma(a)) + dC/da,

no exponentials, so it holds for draws that underflow. dT/da and dC/da come from the complex step
(evaluating T and C at a + i h: Im / h is the derivative to working precision, with no cancellation).
"""

from __future__ import annotations

import math

import numpy as np

from .._function import Function

_EPS = np.finfo(np.float64).eps
_STEP = 1e-30  # the complex step
_TINY = 1e-300
_lgamma_scalar = np.frompyfunc(math.lgamma, 1, 1)


def lgamma_np(a: np.ndarray) -> np.ndarray:
    return _lgamma_scalar(np.asarray(a, dtype=np.float64)).astype(np.float64)


def digamma_np(a: np.ndarray) -> np.ndarray:
    """digamma(a) for a > 0: recurrence up to a >= 8, then the asymptotic series (error < 1e-14)."""
    a = np.array(a, dtype=np.float64, copy=True)
    acc = np.zeros_like(a)
    for _ in range(8):
        low = a < 8
        if not low.any():
            break
        acc[low] -= 1.0 / a[low]
        a[low] += 1.0
    inv2 = 1.0 / (a * a)
    series = inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 * (1 / 132
                     - inv2 * 691 / 32760)))))
    return acc + np.log(a) - 0.5 / a - series


def _max_iter(a: np.ndarray) -> int:
    # both expansions need O(sqrt(a)) terms where x is near a (the ratio of terms is ~ exp(-n / a))
    return int(100 + 20 * math.sqrt(float(a.max()) if a.size else 0.0))


def _converged(step: np.ndarray, total: np.ndarray) -> bool:
    # the value (real part) and the derivative (imaginary part) separately: for integer a the continued
    # fraction's value terminates (a coefficient is exactly 0) while its derivative still changes
    return bool(np.all(np.abs(step.real) <= _EPS * np.abs(total.real))
                and np.all(np.abs(step.imag) <= _EPS * np.abs(total.imag)))


def _series(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """T(a, x) = sum_n x**n / (a (a+1) ... (a+n)) (a may be complex)."""
    term = 1.0 / a
    total = term.copy()
    for n in range(1, _max_iter(a.real)):
        term = term * x / (a + n)
        total = total + term
        if _converged(term, total):
            break
    return total


def _cont_frac(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """C(a, x) = Gamma(a, x) exp(x) x**-a by the modified Lentz method (a may be complex)."""
    b = x + 1.0 - a
    c = np.full_like(b, 1.0 / _TINY)
    d = 1.0 / b
    h = d
    for i in range(1, _max_iter(a.real)):
        an = -i * (i - a)
        b = b + 2.0
        d = an * d + b
        d = np.where(np.abs(d) < _TINY, _TINY, d)
        c = b + an / c
        c = np.where(np.abs(c) < _TINY, _TINY, c)
        d = 1.0 / d
        delta = d * c
        step = h * (delta - 1.0)
        h = h + step
        if _converged(step, h):
            break
    return h


def _split(a: np.ndarray, logx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a, logx = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(logx, dtype=np.float64))
    x = np.exp(logx)
    return a, logx, x < a + 1.0


def dlogx_da(a: np.ndarray, logx: np.ndarray) -> np.ndarray:
    """d log x / d a at fixed P(a, x), for standard-gamma draws x = exp(logx) of concentration a."""
    a, logx, low = _split(a, logx)
    out = np.empty(a.shape, dtype=np.float64)
    psi = digamma_np(a)
    for mask, fn, sign in ((low, _series, -1.0), (~low, _cont_frac, 1.0)):
        if not mask.any():
            continue
        am, lm = a[mask], logx[mask]
        v = fn(am + 1j * _STEP, np.exp(lm))
        out[mask] = sign * (v.real * (lm - psi[mask]) + v.imag / _STEP)
    return out


def gammainc_np(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The regularised lower incomplete gamma function P(a, x) (0 at x <= 0, 1 at x = inf)."""
    a, x = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(x, dtype=np.float64))
    out = np.zeros(a.shape, dtype=np.float64)
    pos = (x > 0) & np.isfinite(x)
    out[x == np.inf] = 1.0
    out[np.isnan(x) | np.isnan(a)] = np.nan
    if pos.any():
        ap, xp = a[pos], x[pos]
        with np.errstate(divide="ignore"):
            pre = np.exp(ap * np.log(xp) - xp - lgamma_np(ap))
        low = xp < ap + 1.0
        res = np.empty(ap.shape)
        if low.any():
            res[low] = pre[low] * _series(ap[low], xp[low])
        if (~low).any():
            res[~low] = 1.0 - pre[~low] * _cont_frac(ap[~low], xp[~low])
        out[pos] = res
    return out


def sample_log_standard_gamma(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """log of Gamma(a, 1) draws, finite even where the draw itself underflows (a << 1): for a < 1 the draw
    is Gamma(a + 1) * U**(1/a), taken in logs."""
    a = np.asarray(a, dtype=np.float64)
    small = a < 1
    g = rng.standard_gamma(np.where(small, a + 1, a))
    with np.errstate(divide="ignore"):
        out = np.log(g)
    if small.any():
        u = rng.random(a.shape)
        out = np.where(small, out + np.log1p(-u) / np.where(small, a, 1.0), out)  # 1 - u is in (0, 1]
    return out


def standard_gamma_grad(alpha: np.ndarray, x: np.ndarray) -> np.ndarray:
    """dx/dalpha of standard-gamma draws x (PyTorch's ``torch._standard_gamma_grad``)."""
    with np.errstate(divide="ignore"):
        return dlogx_da(alpha, np.log(x)) * x


def draw_grad(alpha: np.ndarray, logx: np.ndarray, log: bool) -> np.ndarray:
    """d log x / d alpha (log) or dx / d alpha of standard-gamma draws exp(logx)."""
    d = dlogx_da(alpha, logx)
    return d if log else d * np.exp(logx)


def gammainc_grads(a: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(dP/da, dP/dx) of P(a, x): dP/dx is the Gamma(a, 1) density, dP/da = -dP/dx * (dx/da at fixed P)."""
    af, xf = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(x, dtype=np.float64))
    dens = np.zeros(af.shape)
    da = np.zeros(af.shape)
    pos = (xf > 0) & np.isfinite(xf)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        dens[pos] = np.exp((af[pos] - 1) * np.log(xf[pos]) - xf[pos] - lgamma_np(af[pos]))
        da[pos] = -dens[pos] * standard_gamma_grad(af[pos], xf[pos])
    return da, dens


# Both ops below compute their gradients with numpy routines (series and continued fractions with no
# Tensor twin), so they are once-differentiable: differentiating their backward raises, never a silent 0.
class _StandardGamma(Function):
    """y = x or log x for a fixed draw x ~ Gamma(alpha, 1);  galpha = g * dy/dalpha at fixed P(alpha, x)
    (implicit reparameterisation)."""

    saves_inputs = True
    differentiable = False

    def forward(self, alpha: np.ndarray, logx: np.ndarray, log: bool = False) -> np.ndarray:
        self.log = log
        if log:
            return logx.astype(alpha.dtype)
        # as PyTorch, a draw that underflows is reported as the dtype's smallest normal number
        return np.maximum(np.exp(logx), np.finfo(alpha.dtype).tiny).astype(alpha.dtype)

    def backward(self, g: np.ndarray) -> tuple:
        alpha, logx = self.saved()
        return g * draw_grad(alpha, logx, self.log), None


class _GammaInc(Function):
    """y = P(a, x), the regularised lower incomplete gamma function;
    gx = g * x**(a-1) exp(-x) / Gamma(a),  ga = -gx * (dx/da at fixed P)"""

    saves_inputs = True
    differentiable = False

    def forward(self, a: np.ndarray, x: np.ndarray) -> np.ndarray:
        return gammainc_np(a, x).astype(np.result_type(a, x))

    def backward(self, g: np.ndarray) -> tuple:
        a, x = self.saved()
        da, dx = gammainc_grads(a, x)
        return g * da, g * dx
