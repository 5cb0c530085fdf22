"""Elementwise math functions."""

from __future__ import annotations

import builtins
import math

import numpy as np

from .._function import Function
from .._tensor import Tensor
from .._xp import define
from ..kernels import get as kernel

__all__ = [  # the public functions (ag.<name>); Tensor methods are declared in METHODS below
    "exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "abs", "sin", "cos", "tanh", "atan", "erf", "sigmoid",
    "tan", "asin", "acos", "sinh", "cosh", "asinh", "acosh", "atanh", "log2", "log10", "exp2", "square",
    "reciprocal", "floor", "ceil", "trunc", "fix", "round", "frac", "deg2rad", "rad2deg", "logit", "sinc",
    "nan_to_num", "erfc", "erfinv", "lgamma", "digamma", "polygamma", "conj",
    # PyTorch's numpy-style aliases
    "absolute", "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh",
]

# Integer and bool inputs compute in float32 (PyTorch's default dtype; numpy would pick float64):
# each forward below casts them first (they never require grad, so no backward sees them). Written
# inline rather than as a helper call: these forwards are on the per-op path the benchmark measures.
_F32 = np.dtype(np.float32)


def sign_nan0(x: np.ndarray) -> np.ndarray:
    """np.sign with PyTorch's value at nan: 0 (numpy gives nan)."""
    s = np.sign(x)
    if s.dtype.kind == "f" and np.isnan(s).any():
        s = np.where(np.isnan(s), 0, s).astype(s.dtype)
    return s


def stable_sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) without overflow: exp is only taken of -|x|."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


class Exp(Function):
    """y = exp(x);  gx = g * y"""

    fresh_grads = True
    saves_output = True

    def forward(self, x):
        if type(x) is np.ndarray and x.dtype.kind in "iub":
            x = x.astype(_F32)
        return np.exp(x)

    def backward(self, g):
        return g * self.saved_output()


class Log(Function):
    """y = log(x);  gx = g / x"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x):
        if type(x) is np.ndarray and x.dtype.kind in "iub":
            x = x.astype(_F32)
        return np.log(x)

    def backward(self, g):
        (x,) = self.saved()
        return g / x


class Log1p(Function):
    """y = log(1 + x);  gx = g / (1 + x)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x):
        if type(x) is np.ndarray and x.dtype.kind in "iub":
            x = x.astype(_F32)
        return np.log1p(x)

    def backward(self, g):
        (x,) = self.saved()
        return g / (x + 1)


class Expm1(Function):
    """y = exp(x) - 1;  gx = g * (y + 1)"""

    fresh_grads = True
    saves_output = True

    def forward(self, x):
        if type(x) is np.ndarray and x.dtype.kind in "iub":
            x = x.astype(_F32)
        return np.expm1(x)

    def backward(self, g):
        return g * (self.saved_output() + 1)


class Sqrt(Function):
    """y = sqrt(x);  gx = g / (2 y)   (inf at 0, as in PyTorch)"""

    fresh_grads = True
    saves_output = True

    def forward(self, x):
        if type(x) is np.ndarray and x.dtype.kind in "iub":
            x = x.astype(_F32)
        return np.sqrt(x)

    def backward(self, g):
        return g / (self.saved_output() * 2)


class Rsqrt(Function):
    """y = 1 / sqrt(x);  gx = -g * y**3 / 2"""

    fresh_grads = True
    saves_output = True

    def forward(self, x):
        if type(x) is np.ndarray and x.dtype.kind in "iub":
            x = x.astype(_F32)
        return 1 / np.sqrt(x)

    def backward(self, g):
        y = self.saved_output()
        return g * (y * y * y) * -0.5


class Abs(Function):
    """y = |x|;  gx = g * sign(x)   (0 at x = 0: the minimum-norm subgradient; 0 at nan, as in PyTorch)"""

    fresh_grads = True

    def forward(self, x):
        if x.dtype == np.bool_:
            raise not_implemented("abs_cpu", x.dtype, "a mask is its own absolute value; convert with .int() first")
        self.sign = sign_nan0(x)
        return np.abs(x)

    def backward(self, g):
        return g * self.sign


class AbsComplex(Function):
    """y = |z| of a complex z;  gz = g * z / |z|  (0 at z = 0; PyTorch's convention), differentiable again:
    unlike a real sign, z / |z| varies with z"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x):
        return np.abs(x)

    def backward(self, g):
        (z,) = self.saved()
        xp = self.xp
        r = xp.abs(z)
        zero = xp.value(r) == 0
        if zero.any():
            return xp.where(zero, 0.0, g * (z / xp.where(zero, 1.0, r)))
        return g * (z / r)


class Conj(Function):
    """y = conj(x);  gx = conj(g)   (not holomorphic: written in PyTorch's complex convention itself)"""

    holomorphic = False  # (no fresh_grads: a real g's conj() is g itself)

    def forward(self, x):
        return np.conj(x) if x.dtype.kind == "c" else x.copy()

    def backward(self, g):
        return g.conj()


class Sin(Function):
    """y = sin(x);  gx = g * cos(x)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x):
        if type(x) is np.ndarray and x.dtype.kind in "iub":
            x = x.astype(_F32)
        return np.sin(x)

    def backward(self, g):
        (x,) = self.saved()
        return g * self.xp.cos(x)


class Cos(Function):
    """y = cos(x);  gx = -g * sin(x)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x):
        if type(x) is np.ndarray and x.dtype.kind in "iub":
            x = x.astype(_F32)
        return np.cos(x)

    def backward(self, g):
        (x,) = self.saved()
        return -g * self.xp.sin(x)


class Tanh(Function):
    """y = tanh(x);  gx = g * (1 - y**2)"""

    fresh_grads = True
    saves_output = True

    def forward(self, x):
        if type(x) is np.ndarray and x.dtype.kind in "iub":
            x = x.astype(_F32)
        return np.tanh(x)

    def backward(self, g):
        y = self.saved_output()
        return g * (1 - y * y)


class Atan(Function):
    """y = atan(x);  gx = g / (1 + x**2)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x):
        if type(x) is np.ndarray and x.dtype.kind in "iub":
            x = x.astype(_F32)
        return np.arctan(x)

    def backward(self, g):
        (x,) = self.saved()
        return g / (x * x + 1)


class Sigmoid(Function):
    """y = 1 / (1 + exp(-x));  gx = g * y * (1 - y)"""

    fresh_grads = True
    saves_output = True

    def forward(self, x):
        if type(x) is np.ndarray and x.dtype.kind in "iub":
            x = x.astype(_F32)
        return stable_sigmoid(x)

    def backward(self, g):
        y = self.saved_output()
        return g * y * (1 - y)


class Erf(Function):
    """y = erf(x);  gx = g * 2/sqrt(pi) * exp(-x**2)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x):
        if type(x) is np.ndarray and x.dtype.kind in "iub":
            x = x.astype(_F32)
        if x.dtype.kind != "f":
            x = x.astype(np.float32)
        return kernel("erf")(x)

    def backward(self, g):
        (x,) = self.saved()
        return g * (2.0 / math.sqrt(math.pi)) * self.xp.exp(-(x * x))


# ---------------------------------------------------------------------- more elementwise math (PyTorch's set)
_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TORCH_DTYPE = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long",
                "float16": "Half", "float32": "Float", "float64": "Double"}


def torch_dtype_name(dt: np.dtype) -> str:
    """PyTorch's name of a dtype in its "not implemented for 'Long'" messages."""
    return _TORCH_DTYPE.get(np.dtype(dt).name, np.dtype(dt).name)


def not_implemented(op: str, dt: np.dtype, fix: str = "cast first, e.g. x.float()") -> NotImplementedError:
    """PyTorch's error for an op its kernels do not define on a dtype (a RuntimeError subclass, as torch's)."""
    return NotImplementedError(f'"{op}" not implemented for {torch_dtype_name(dt)!r} ({fix})')


def _floating(x: np.ndarray) -> np.ndarray:
    """Integer and bool arrays as float32 (PyTorch's default dtype), float arrays unchanged."""
    return x.astype(_F32) if x.dtype.kind in "iub" else x


class Tan(Function):
    """y = tan(x);  gx = g * (1 + y**2)"""

    fresh_grads = True
    saves_output = True

    def forward(self, x):
        return np.tan(_floating(x))

    def backward(self, g):
        y = self.saved_output()
        return g * (y * y + 1)


class Asin(Function):
    """y = asin(x);  gx = g / sqrt(1 - x**2)   (nan outside [-1, 1], as in PyTorch)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x):
        with np.errstate(invalid="ignore"):
            return np.arcsin(_floating(x))

    def backward(self, g):
        (x,) = self.saved()
        with np.errstate(invalid="ignore", divide="ignore"):
            return g * self.xp.rsqrt(1 - x * x)


class Acos(Function):
    """y = acos(x);  gx = -g / sqrt(1 - x**2)   (nan outside [-1, 1], as in PyTorch)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x):
        with np.errstate(invalid="ignore"):
            return np.arccos(_floating(x))

    def backward(self, g):
        (x,) = self.saved()
        with np.errstate(invalid="ignore", divide="ignore"):
            return g * -self.xp.rsqrt(1 - x * x)


class Sinh(Function):
    """y = sinh(x);  gx = g * cosh(x)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x):
        return np.sinh(_floating(x))

    def backward(self, g):
        (x,) = self.saved()
        return g * self.xp.cosh(x)


class Cosh(Function):
    """y = cosh(x);  gx = g * sinh(x)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x):
        return np.cosh(_floating(x))

    def backward(self, g):
        (x,) = self.saved()
        return g * self.xp.sinh(x)


class Asinh(Function):
    """y = asinh(x);  gx = g / sqrt(x**2 + 1)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x):
        return np.arcsinh(_floating(x))

    def backward(self, g):
        (x,) = self.saved()
        return g * self.xp.rsqrt(x * x + 1)


class Acosh(Function):
    """y = acosh(x);  gx = g / sqrt(x**2 - 1)   (nan below 1, as in PyTorch)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x):
        with np.errstate(invalid="ignore"):
            return np.arccosh(_floating(x))

    def backward(self, g):
        (x,) = self.saved()
        with np.errstate(invalid="ignore", divide="ignore"):
            return g * self.xp.rsqrt(x * x - 1)


class Atanh(Function):
    """y = atanh(x);  gx = g / (1 - x**2)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x):
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.arctanh(_floating(x))

    def backward(self, g):
        (x,) = self.saved()
        with np.errstate(divide="ignore"):
            return g / (1 - x * x)


class Log2(Function):
    """y = log2(x);  gx = g / (x ln 2)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x):
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.log2(_floating(x))

    def backward(self, g):
        (x,) = self.saved()
        return g / (x * _LN2)


class Log10(Function):
    """y = log10(x);  gx = g / (x ln 10)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x):
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.log10(_floating(x))

    def backward(self, g):
        (x,) = self.saved()
        return g / (x * _LN10)


class Exp2(Function):
    """y = 2**x;  gx = g * y * ln 2"""

    fresh_grads = True
    saves_output = True

    def forward(self, x):
        return np.exp2(_floating(x))

    def backward(self, g):
        return g * self.saved_output() * _LN2


class Square(Function):
    """y = x**2;  gx = 2 g x   (integers stay integers; bool gives int64, as in PyTorch)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x):
        if x.dtype == np.bool_:
            x = x.astype(np.int64)
        return x * x

    def backward(self, g):
        (x,) = self.saved()
        return g * x * 2


class Reciprocal(Function):
    """y = 1 / x;  gx = -g * y**2"""

    fresh_grads = True
    saves_output = True

    def forward(self, x):
        with np.errstate(divide="ignore"):
            return 1 / _floating(x)

    def backward(self, g):
        y = self.saved_output()
        return -g * (y * y)


class _Rounding(Function):
    """A piecewise-constant op: gradient zero everywhere (PyTorch defines it so at the jumps too)."""

    op = ""

    def round(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def forward(self, x):
        if x.dtype.kind == "b":
            raise not_implemented(self.op, x.dtype, "PyTorch does not round bool tensors; cast first, e.g. x.float()")
        if x.dtype.kind in "iu":
            return x.copy()  # an integer is its own floor/ceil/trunc/round; the dtype stays (PyTorch)
        return self.round(x)

    def backward(self, g):
        return self.xp.zeros_like(g)


class Floor(_Rounding):
    """y = floor(x);  gx = 0"""

    fresh_grads = True

    op = "floor"

    def round(self, x):
        return np.floor(x)


class Ceil(_Rounding):
    """y = ceil(x);  gx = 0"""

    fresh_grads = True

    op = "ceil"

    def round(self, x):
        return np.ceil(x)


class Trunc(_Rounding):
    """y = trunc(x) (towards zero);  gx = 0"""

    fresh_grads = True

    op = "trunc"

    def round(self, x):
        return np.trunc(x)


class Round(_Rounding):
    """y = round(x * 10**d) / 10**d, halves to even;  gx = 0"""

    fresh_grads = True

    op = "round"

    def forward(self, x, decimals=0):
        self.decimals = decimals
        if decimals != 0 and x.dtype.kind in "iu":
            raise not_implemented("round", x.dtype, "round(decimals=) needs a float tensor; cast first, e.g. x.float()")
        return super().forward(x)

    def round(self, x):
        d = self.decimals
        if d == 0:
            return np.rint(x)
        # PyTorch's order of operations: scale up (or down, for d < 0), round half to even, scale back
        scale = x.dtype.type(10.0 ** builtins.abs(d))
        with np.errstate(over="ignore", invalid="ignore"):
            return np.rint(x * scale) / scale if d > 0 else np.rint(x / scale) * scale

    def attrs(self):
        return {"decimals": self.decimals} if self.decimals else {}


class Frac(Function):
    """y = x - trunc(x) (the sign of x);  gx = g"""

    def forward(self, x):
        if x.dtype.kind in "iub":
            raise not_implemented("frac", x.dtype, "frac of an integer is 0; cast first, e.g. x.float()")
        return x - np.trunc(x)

    def backward(self, g):
        return g


class Logit(Function):
    """y = log(x / (1 - x)), x clamped to [eps, 1 - eps];  gx = g / (x (1 - x)), 0 where clamped (nan off [0, 1])"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x, eps=None):
        x = _floating(x)
        self.eps = eps
        if eps is not None:
            x = np.clip(x, eps, 1 - eps)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.log(x / (1 - x))

    def backward(self, g):
        (x,) = self.saved()
        xp = self.xp
        v = xp.value(x)
        eps = self.eps
        if eps is None:
            outside, fill = (v < 0) | (v > 1), math.nan
        else:
            outside, fill = (v < eps) | (v > 1 - eps), 0.0
        with np.errstate(invalid="ignore", divide="ignore"):
            d = g / (x * (1 - x))
        return xp.where(outside, fill, d) if outside.any() else d

    def attrs(self):
        return {} if self.eps is None else {"eps": self.eps}


class Sinc(Function):
    """y = sin(pi x) / (pi x), 1 at 0;  gx = g * (pi x cos(pi x) - sin(pi x)) / (pi x**2), 0 where pi x**2 = 0"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x):
        return np.sinc(_floating(x))

    def backward(self, g):
        (x,) = self.saved()
        xp = self.xp
        px = x * math.pi
        den = x * x * math.pi
        # PyTorch's formula, masked where its denominator is 0 (x = 0, or x**2 underflows) afterwards: the
        # second derivative there is nan, as torch's
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            d = g * (px * xp.cos(px) - xp.sin(px)) / den
            return xp.where(xp.value(den) == 0, 0.0, d)


class NanToNum(Function):
    """y = x with nan, +inf, -inf replaced;  gx = g * isfinite(x)"""

    fresh_grads = True

    def forward(self, x, nan=0.0, posinf=None, neginf=None):
        if x.dtype.kind in "iub":
            self.finite = None
            return x.copy()  # integers hold no nan or inf (PyTorch keeps the dtype)
        self.finite = np.isfinite(x).astype(x.dtype)
        return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    def backward(self, g):
        return g * self.finite  # g * 0 at a replaced element: an inf g gives nan there, as in PyTorch


class Erfc(Function):
    """y = 1 - erf(x) (accurate in the tail);  gx = -g * 2/sqrt(pi) * exp(-x**2)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x):
        x = _floating(x)
        return erfc_np(x)

    def backward(self, g):
        (x,) = self.saved()
        return g * (-2.0 / math.sqrt(math.pi)) * self.xp.exp(-(x * x))


class Erfinv(Function):
    """y = erf^-1(x), +-inf at +-1, nan outside [-1, 1];  gx = g * sqrt(pi)/2 * exp(y**2)"""

    fresh_grads = True
    saves_inputs = True  # y is recomputed from x, as in PyTorch: an in-place change of y is no error

    def forward(self, x):
        return erfinv_np(_floating(x))

    def backward(self, g):
        (x,) = self.saved()
        y = self.xp.erfinv(x)
        return g * (math.sqrt(math.pi) / 2) * self.xp.exp(y * y)


class Lgamma(Function):
    """y = log|Gamma(x)| (inf at the poles);  gx = g * digamma(x)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x):
        return lgamma_np(_floating(x))

    def backward(self, g):
        (x,) = self.saved()
        return g * self.xp.digamma(x)


class Digamma(Function):
    """y = digamma(x) = d/dx log Gamma(x);  gx = g * polygamma(1, x)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x):
        return polygamma_np(0, _floating(x))

    def backward(self, g):
        (x,) = self.saved()
        return g * self.xp.polygamma(1, x)


class Polygamma(Function):
    """y = polygamma(n, x), the n-th derivative of digamma;  gx = g * polygamma(n + 1, x)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x, n):
        self.n = n
        return polygamma_np(n, _floating(x))

    def backward(self, g):
        (x,) = self.saved()
        return g * self.xp.polygamma(self.n + 1, x)

    def attrs(self):
        return {"n": self.n}


# ---------------------------------------------------------------------- special functions on ndarrays
# numpy has no erfc/erfinv/lgamma/digamma/polygamma (and scipy is no dependency): the math module's
# scalar functions, vectorised, and short series. Computed in float64, returned in the input's dtype.
def _lgamma1(v: float) -> float:
    try:
        return math.lgamma(v)
    except (OverflowError, ValueError):  # beyond ~2.5e305, or at a pole: inf, as in PyTorch
        return math.inf


_lgamma_scalar = np.frompyfunc(lambda v: _lgamma1(v) if v == v else v, 1, 1)
_erfc_scalar = np.frompyfunc(math.erfc, 1, 1)


def erfc_np(x: np.ndarray) -> np.ndarray:
    """1 - erf(x) without the cancellation for large x (math.erfc per element)."""
    return np.asarray(_erfc_scalar(np.asarray(x, np.float64)), np.float64).astype(x.dtype, copy=False)


def lgamma_np(x: np.ndarray) -> np.ndarray:
    """log|Gamma(x)|; inf at 0 and the negative integers, as in PyTorch (math.lgamma raises there)."""
    x64 = np.asarray(x, np.float64)
    poles = (x64 <= 0) & (x64 == np.floor(x64))
    out = np.asarray(_lgamma_scalar(np.where(poles, 1.0, x64)), np.float64)
    out[poles] = np.inf
    return out.astype(x.dtype, copy=False)


# B_2k / 2k for the asymptotic series of digamma, k = 1..7
_DIGAMMA_SERIES = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12)


def _digamma64(x: np.ndarray) -> np.ndarray:
    out = np.zeros_like(x)
    # reflection psi(x) = psi(1 - x) - pi / tan(pi x) for x < 0, with the fractional part of x in tan
    # (PyTorch's way: pi * x itself would lose the digits that matter for large |x|)
    neg = x < 0
    if neg.any():
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = x - np.trunc(x)
            out = np.where(neg, -math.pi / np.tan(math.pi * frac), 0.0)
        x = np.where(neg, 1 - x, x)
    # psi(x) = psi(x + 1) - 1 / x up to x >= 10, then the asymptotic series (error < 1e-17 there)
    with np.errstate(divide="ignore", invalid="ignore"):
        while True:
            small = x < 10
            if not small.any():
                break
            out = out - np.where(small, 1 / x, 0.0)
            x = np.where(small, x + 1, x)
        inv2 = 1 / (x * x)
        series = np.zeros_like(x)
        for c in reversed(_DIGAMMA_SERIES):
            series = (series + c) * inv2
        return out + np.log(x) - 0.5 / x - series


def _trigamma64(x: np.ndarray) -> np.ndarray:
    # PyTorch's calc_trigamma, step for step (reflection below 1/2, six shifts, a four-term series): its
    # relative accuracy is about 5e-10 in float64, and agreeing with PyTorch is the specification here
    sign = np.where(x < 0.5, -1.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.sin(math.pi * x)
        out = np.where(x < 0.5, -(math.pi * math.pi) / (s * s), 0.0)
        x = np.where(x < 0.5, 1 - x, x)
        for _ in range(6):
            out = out + 1 / (x * x)
            x = x + 1
        ixx = 1 / (x * x)
        out = out + (1 + 1 / (2 * x) + ixx * (1.0 / 6 - ixx * (1.0 / 30 - ixx * (1.0 / 42)))) / x
    return sign * out


# Euler-Maclaurin coefficients (2k)! / B_2k of the Hurwitz zeta function (as in Cephes' zeta)
_ZETA_A = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9, 7.47242496e10,
           -2.950130727918164224e12, 1.1646782814350067249e14, -4.5979787224074726105e15, 1.8152105401943546773e17,
           -7.1661652561756670113e18)


def _zeta64(s: float, q: np.ndarray) -> np.ndarray:
    """Hurwitz zeta(s, q) = sum_k (q + k)**-s for an integer s >= 2: a direct sum up to q + k > 9, then
    Euler-Maclaurin (Cephes' method, which PyTorch's polygamma uses)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        pole = (q <= 0) & (q == np.floor(q))
        finite = np.isfinite(q)
        qf = np.where(finite, q, 1.0)
        total = qf ** -s
        a = qf.copy()
        for _ in range(9):
            a = a + 1
            total = total + a ** -s
        far = np.flatnonzero(a <= 9)  # negative q: sum on (those elements only) until a passes 9
        if far.size:
            af, tf = a.flat[far], total.flat[far]
            for _ in range(int(math.ceil(9 - af.min()))):
                more = af <= 9
                af = np.where(more, af + 1, af)
                tf = tf + np.where(more, af ** -s, 0.0)
            a.flat[far], total.flat[far] = af, tf
        b = a ** -s
        w = a
        total = total + b * w / (s - 1) - 0.5 * b
        fac = 1.0
        k = 0.0
        for coeff in _ZETA_A:
            fac *= s + k
            b = b / w
            total = total + fac * b / coeff
            k += 1
            fac *= s + k
            b = b / w
            k += 1
        total = np.where(finite, total, np.nan)  # PyTorch: nan at +-inf
        return np.where(pole, np.inf, total)


def polygamma_np(n: int, x: np.ndarray) -> np.ndarray:
    """The n-th derivative of digamma at x (n = 0: digamma), with PyTorch's values at the poles."""
    x64 = np.asarray(x, np.float64).reshape(-1)  # 1-d: 0-d arithmetic gives numpy scalars, which the sums write into
    if n == 0:
        out = _digamma64(x64)
        zero = x64 == 0  # -inf at +0 and +inf at -0 (the side the pole is approached from), as in PyTorch
        out = np.where(zero, np.copysign(np.inf, -x64), out)
        out = np.where((x64 < 0) & (x64 == np.floor(x64)), np.nan, out)  # negative integers and -inf
    elif n == 1:
        out = _trigamma64(x64)
    else:
        out = (1.0 if n % 2 else -1.0) * math.factorial(n) * _zeta64(float(n + 1), x64)
    return np.asarray(out).astype(x.dtype, copy=False).reshape(np.shape(x))


def _erfinv_guess(a: np.ndarray) -> np.ndarray:
    """Giles' single-precision approximation of erfinv on [0, 1) (relative error ~ 1e-7)."""
    with np.errstate(divide="ignore"):
        w = -np.log((1 - a) * (1 + a))
    c = w - 2.5
    p = 2.81022636e-08
    for k in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503, -0.00417768164,
              0.246640727, 1.50140941):
        p = k + p * c
    t = np.sqrt(w) - 3
    q = -0.000200214257
    for k in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047,
              1.00167406, 2.83297682):
        q = k + q * t
    return np.where(w < 5, p, q) * a


def erfinv_np(y: np.ndarray) -> np.ndarray:
    """erf^-1: Giles' approximation refined by Newton steps in float64. In the tails (|y| > 1/2) the steps
    solve log erfc(x) = log(1 - |y|) instead: 1 - |y| is exact there, and log erfc is nearly quadratic, so
    the steps converge from the guess even where it is poor (|y| within 1e-8 of 1, beyond its fit)."""
    y64 = np.asarray(y, np.float64).reshape(-1)  # 1-d: the steps below write into their elements
    a = np.abs(y64)
    inside = a < 1
    a_in = np.where(inside, a, 0.0)
    x = _erfinv_guess(a_in)
    k = 2.0 / math.sqrt(math.pi)
    tail = np.flatnonzero(a_in > 0.5)
    central = np.flatnonzero(a_in <= 0.5)
    erf = kernel("erf")
    xc, ac = x.flat[central], a_in.flat[central]
    for _ in range(2):
        xc = xc - (erf(xc) - ac) / (k * np.exp(-xc * xc))
    x.flat[central] = xc
    if tail.size:
        xt, log_r = x.flat[tail], np.log(1 - a_in.flat[tail])
        for _ in range(5):
            e = erfc_np(xt)
            xt = xt + (np.log(e) - log_r) * e / (k * np.exp(-xt * xt))
        x.flat[tail] = xt
    out = np.where(inside, x, np.where(a == 1, np.inf, np.nan))
    out = np.copysign(out, y64).astype(y.dtype, copy=False)  # copysign keeps -0.0 and the sign at +-1
    return out.reshape(np.shape(y))


def exp(x: Tensor) -> Tensor:
    """e**x"""
    return Exp.apply(x)


def log(x: Tensor) -> Tensor:
    """Natural logarithm."""
    return Log.apply(x)


def log1p(x: Tensor) -> Tensor:
    """log(1 + x), accurate for small x."""
    return Log1p.apply(x)


def expm1(x: Tensor) -> Tensor:
    """exp(x) - 1, accurate for small x."""
    return Expm1.apply(x)


def sqrt(x: Tensor) -> Tensor:
    """Square root."""
    return Sqrt.apply(x)


def rsqrt(x: Tensor) -> Tensor:
    """1 / sqrt(x)."""
    return Rsqrt.apply(x)


def abs(x: Tensor) -> Tensor:  # noqa: A001 - PyTorch's name
    """|x|"""
    if isinstance(x, Tensor) and x._data.dtype.kind == "c":
        return AbsComplex.apply(x)
    return Abs.apply(x)


def conj(x: Tensor) -> Tensor:
    """The complex conjugate; a real tensor itself (PyTorch returns the same tensor, so in-place changes of x
    show through what conj returned)."""
    if isinstance(x, Tensor) and x._data.dtype.kind != "c":
        return x
    return Conj.apply(x)


def sin(x: Tensor) -> Tensor:
    """Sine."""
    return Sin.apply(x)


def cos(x: Tensor) -> Tensor:
    """Cosine."""
    return Cos.apply(x)


def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return Tanh.apply(x)


def atan(x: Tensor) -> Tensor:
    """arctan(x), in (-pi/2, pi/2)."""
    return Atan.apply(x)


def erf(x: Tensor) -> Tensor:
    """Gauss error function 2/sqrt(pi) * integral_0^x exp(-t**2) dt."""
    return Erf.apply(x)


def sigmoid(x: Tensor) -> Tensor:
    """Logistic sigmoid 1 / (1 + e**-x), overflow-free."""
    return Sigmoid.apply(x)


def tan(x: Tensor) -> Tensor:
    """Tangent."""
    return Tan.apply(x)


def asin(x: Tensor) -> Tensor:
    """arcsin(x), in [-pi/2, pi/2]; nan outside [-1, 1]."""
    return Asin.apply(x)


def acos(x: Tensor) -> Tensor:
    """arccos(x), in [0, pi]; nan outside [-1, 1]."""
    return Acos.apply(x)


def sinh(x: Tensor) -> Tensor:
    """Hyperbolic sine."""
    return Sinh.apply(x)


def cosh(x: Tensor) -> Tensor:
    """Hyperbolic cosine."""
    return Cosh.apply(x)


def asinh(x: Tensor) -> Tensor:
    """Inverse hyperbolic sine."""
    return Asinh.apply(x)


def acosh(x: Tensor) -> Tensor:
    """Inverse hyperbolic cosine; nan below 1."""
    return Acosh.apply(x)


def atanh(x: Tensor) -> Tensor:
    """Inverse hyperbolic tangent; +-inf at +-1, nan outside [-1, 1]."""
    return Atanh.apply(x)


def log2(x: Tensor) -> Tensor:
    """Base-2 logarithm."""
    return Log2.apply(x)


def log10(x: Tensor) -> Tensor:
    """Base-10 logarithm."""
    return Log10.apply(x)


def exp2(x: Tensor) -> Tensor:
    """2**x"""
    return Exp2.apply(x)


def square(x: Tensor) -> Tensor:
    """x * x (integer tensors stay integer)."""
    return Square.apply(x)


def reciprocal(x: Tensor) -> Tensor:
    """1 / x (integer tensors give float32)."""
    return Reciprocal.apply(x)


def floor(x: Tensor) -> Tensor:
    """Largest integer <= x (zero gradient; integer tensors keep their dtype)."""
    return Floor.apply(x)


def ceil(x: Tensor) -> Tensor:
    """Smallest integer >= x (zero gradient; integer tensors keep their dtype)."""
    return Ceil.apply(x)


def trunc(x: Tensor) -> Tensor:
    """x rounded towards zero (zero gradient; integer tensors keep their dtype)."""
    return Trunc.apply(x)


fix = trunc


def round(x: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001 - PyTorch's name
    """x rounded to ``decimals`` decimal places, halves to even (zero gradient)."""
    if not isinstance(decimals, (int, np.integer)) or isinstance(decimals, bool):
        raise TypeError(f"round(): argument 'decimals' must be int, not {type(decimals).__name__}")
    return Round.apply(x, decimals=int(decimals))


def frac(x: Tensor) -> Tensor:
    """x - trunc(x), the fractional part with the sign of x (gradient 1)."""
    return Frac.apply(x)


def deg2rad(x: Tensor) -> Tensor:
    """Degrees to radians: x * pi / 180."""
    return _scaled(x, math.pi / 180)


def rad2deg(x: Tensor) -> Tensor:
    """Radians to degrees: x * 180 / pi."""
    return _scaled(x, 180 / math.pi)


def _scaled(x: Tensor, c: float) -> Tensor:
    if x._data.dtype.kind in "iub":  # integer tensors never require grad: compute on their float32 values
        x = Tensor(x._data.astype(_F32))
    return x * c


def logit(x: Tensor, eps: float | None = None) -> Tensor:
    """log(x / (1 - x)); with ``eps``, x is first clamped to [eps, 1 - eps]."""
    return Logit.apply(x, eps=None if eps is None else float(eps))


def sinc(x: Tensor) -> Tensor:
    """Normalised sinc sin(pi x) / (pi x), 1 at 0."""
    return Sinc.apply(x)


def nan_to_num(x: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Tensor:
    """x with nan -> ``nan``, +inf -> ``posinf``, -inf -> ``neginf`` (default: the dtype's largest and
    smallest finite values); gradient 1 at finite elements, 0 at replaced ones."""
    return NanToNum.apply(x, nan=nan, posinf=posinf, neginf=neginf)


def erfc(x: Tensor) -> Tensor:
    """Complementary error function 1 - erf(x)."""
    return Erfc.apply(x)


def erfinv(x: Tensor) -> Tensor:
    """Inverse error function on [-1, 1]."""
    return Erfinv.apply(x)


def lgamma(x: Tensor) -> Tensor:
    """log|Gamma(x)|."""
    return Lgamma.apply(x)


def digamma(x: Tensor) -> Tensor:
    """The logarithmic derivative of Gamma, psi(x) = Gamma'(x) / Gamma(x)."""
    return Digamma.apply(x)


def polygamma(n: int, x: Tensor) -> Tensor:
    """The n-th derivative of digamma (n >= 0)."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"polygamma(): argument 'n' must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError(f"polygamma(n, x) does not support negative n (got n = {n}): n is the order of the "
                           "derivative of digamma (0 is digamma itself)")
    return Digamma.apply(x) if n == 0 else Polygamma.apply(x, n=int(n))


def _polygamma_method(self: Tensor, n: int) -> Tensor:
    """x.polygamma(n): the n-th derivative of digamma at x."""
    return polygamma(n, self)


absolute = abs
arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh


# ---------------------------------------------------------------------- xp: the functions backwards use
define("exp", np.exp, exp)
define("log", np.log, log)
define("log1p", np.log1p, log1p)
define("sqrt", np.sqrt, sqrt)
define("rsqrt", lambda x: 1 / np.sqrt(x), rsqrt)
define("abs", np.abs, abs)
define("sin", np.sin, sin)
define("cos", np.cos, cos)
define("sinh", np.sinh, sinh)
define("cosh", np.cosh, cosh)
define("tanh", np.tanh, tanh)
define("sigmoid", stable_sigmoid, sigmoid)
define("digamma", lambda x: polygamma_np(0, x), digamma)
define("erfinv", erfinv_np, erfinv)
define("polygamma", polygamma_np, polygamma)


# ---------------------------------------------------------------------- declarations
METHODS = {"exp": exp, "log": log, "log1p": log1p, "expm1": expm1, "sqrt": sqrt, "rsqrt": rsqrt, "abs": abs,
           "__abs__": abs, "sin": sin, "cos": cos, "tanh": tanh, "atan": atan, "sigmoid": sigmoid, "erf": erf,
           "tan": tan, "asin": asin, "acos": acos, "sinh": sinh, "cosh": cosh, "asinh": asinh, "acosh": acosh,
           "atanh": atanh, "log2": log2, "log10": log10, "exp2": exp2, "square": square, "reciprocal": reciprocal,
           "floor": floor, "ceil": ceil, "trunc": trunc, "fix": fix, "round": round, "frac": frac,
           "deg2rad": deg2rad, "rad2deg": rad2deg, "logit": logit, "sinc": sinc, "nan_to_num": nan_to_num,
           "erfc": erfc, "erfinv": erfinv, "lgamma": lgamma, "digamma": digamma, "polygamma": _polygamma_method,
           "absolute": absolute, "arcsin": arcsin, "arccos": arccos, "arctan": arctan, "arcsinh": arcsinh,
           "arccosh": arccosh, "arctanh": arctanh}
UFUNCS = {np.exp: exp, np.log: log, np.log1p: log1p, np.expm1: expm1, np.sqrt: sqrt, np.absolute: abs,
          np.sin: sin, np.cos: cos, np.tanh: tanh, np.arctan: atan, np.tan: tan, np.arcsin: asin, np.arccos: acos,
          np.sinh: sinh, np.cosh: cosh, np.arcsinh: asinh, np.arccosh: acosh, np.arctanh: atanh, np.log2: log2,
          np.log10: log10, np.exp2: exp2, np.square: square, np.reciprocal: reciprocal, np.floor: floor,
          np.ceil: ceil, np.trunc: trunc, np.rint: round, np.deg2rad: deg2rad, np.radians: deg2rad,
          np.rad2deg: rad2deg, np.degrees: rad2deg}
METHODS.update({"conj": conj, "resolve_conj": lambda self: self})
UFUNCS[np.conjugate] = conj
