"""Elementwise math functions."""

from __future__ import annotations

import math

import numpy as np

from .._function import Function
from .._tensor import Tensor
from .._xp import define
from ..kernels import get as kernel

__all__ = [  # the public functions (ag.<name>); Tensor methods are declared in METHODS below
    "exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "abs", "sin", "cos", "tanh", "atan", "erf", "sigmoid",
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
        self.sign = sign_nan0(x)
        return np.abs(x)

    def backward(self, g):
        return g * self.sign


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
    return Abs.apply(x)


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



# ---------------------------------------------------------------------- xp: the functions backwards use
define("exp", np.exp, exp)
define("log", np.log, log)
define("log1p", np.log1p, log1p)
define("sqrt", np.sqrt, sqrt)
define("abs", np.abs, abs)
define("sin", np.sin, sin)
define("cos", np.cos, cos)
define("tanh", np.tanh, tanh)
define("sigmoid", stable_sigmoid, sigmoid)


# ---------------------------------------------------------------------- declarations
METHODS = {"exp": exp, "log": log, "log1p": log1p, "expm1": expm1, "sqrt": sqrt, "rsqrt": rsqrt, "abs": abs,
           "__abs__": abs, "sin": sin, "cos": cos, "tanh": tanh, "atan": atan, "sigmoid": sigmoid, "erf": erf}
UFUNCS = {np.exp: exp, np.log: log, np.log1p: log1p, np.expm1: expm1, np.sqrt: sqrt, np.absolute: abs,
          np.sin: sin, np.cos: cos, np.tanh: tanh, np.arctan: atan}
