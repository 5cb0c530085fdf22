"""Activation functions (piecewise ops keep their masks: the masks have zero derivative)."""

from __future__ import annotations

import numpy as np

from .. import _grad_mode
from .._function import Function
from .._tensor import Tensor
from .unary import abs as _abs
from .unary import tanh

__all__ = [  # the public functions (ag.<name>); Tensor methods are declared in METHODS below
    "relu", "leaky_relu", "elu", "softplus", "hardtanh", "selu", "celu", "threshold", "hardshrink",
]
# nn.functional-only activations (no torch.<name>): exported by nn.functional, kept out of ag's namespace
FUNCTIONAL = ["relu6", "hardsigmoid", "hardswish", "softshrink", "softsign", "tanhshrink", "mish"]


class Relu(Function):
    """y = max(x, 0);  gx = g where x > 0, else 0   (0 at x = 0)"""

    fresh_grads = True
    # PyTorch saves the output (threshold_backward(g, y, 0)), so changing y in place before backward is an
    # error there; the version check of the saved output reproduces that (the mask alone would not notice)
    saves_output = True

    def forward(self, x):
        self.mask = ~(x <= 0)  # nan passes the gradient, as PyTorch's threshold_backward
        return np.maximum(0, x)  # keeps nan and -0.0 (numpy returns the second of equal values), like PyTorch

    def backward(self, g):
        self.saved_output()  # the version check
        # masked (PyTorch's threshold_backward): an inf/nan g where x <= 0 gives 0, not nan
        return self.xp.masked(g, self.mask)


class LeakyRelu(Function):
    """y = x if x > 0 else a x;  gx = g * (1 if x > 0 else a)"""

    fresh_grads = True

    def forward(self, x, negative_slope):
        self.slope = negative_slope
        self.mask = x > 0
        return np.where(self.mask, x, x * negative_slope)

    def backward(self, g):
        return self.xp.where(self.mask, g, g * self.slope)

    def attrs(self):
        return {"negative_slope": self.slope} if self.slope != 0.01 else {}


class Elu(Function):
    """y = s x if x > 0 else s a (e**(c x) - 1);  gx = g s if x > 0 else g s a c e**(c x)
    (elu: s = c = 1; selu: PyTorch's alpha and scale; celu: c = 1 / a)"""

    fresh_grads = True
    saves_inputs = True  # the input, as PyTorch: the output may then be modified in place

    def forward(self, x, alpha, scale=1.0, input_scale=1.0):
        self.alpha, self.scale, self.input_scale = alpha, scale, input_scale
        self.mask = ~(x <= 0)  # nan takes the identity branch, as in PyTorch
        # PyTorch's double backward keeps the exp branch's dependence on x only for x < 0 (none at x = 0)
        self.neg = x < 0
        neg = np.expm1(np.minimum(0, x) * input_scale) * (alpha * scale)  # -0.0 stays -0.0, as PyTorch's
        return np.where(self.mask, x * scale if scale != 1.0 else x, neg).astype(x.dtype, copy=False)

    def backward(self, g):
        (x,) = self.saved()
        xp = self.xp
        c = self.input_scale
        neg = g * (c * self.alpha * self.scale) * xp.exp(xp.where(self.neg, x, 0.0) * c)
        return xp.where(self.mask, g * self.scale if self.scale != 1.0 else g, neg)

    def attrs(self):
        out = {"alpha": self.alpha} if self.alpha != 1.0 else {}
        if self.scale != 1.0:
            out["scale"] = self.scale
        if self.input_scale != 1.0:
            out["input_scale"] = self.input_scale
        return out


class Softplus(Function):
    """y = log(1 + e**(b x)) / b (linear above the threshold);  gx = g * sigmoid(b x)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x, beta, threshold):
        self.beta, self.threshold = beta, threshold
        bx = x * beta
        self.linear = bx > threshold
        with np.errstate(invalid="ignore"):  # nan in, nan out (no warning, as PyTorch)
            return np.where(self.linear, x, np.logaddexp(0, bx) / beta).astype(x.dtype, copy=False)

    def backward(self, g):
        (x,) = self.saved()
        xp = self.xp
        return xp.where(self.linear, g, g * xp.sigmoid(x * self.beta))

    def attrs(self):
        out = {}
        if self.beta != 1.0:
            out["beta"] = self.beta
        if self.threshold != 20.0:
            out["threshold"] = self.threshold
        return out


class Hardtanh(Function):
    """y = clip(x, lo, hi);  gx = g where lo < x < hi (and at nan, as in PyTorch), else 0"""

    fresh_grads = True

    def forward(self, x, min_val, max_val):
        self.lo, self.hi = min_val, max_val
        self.mask = ~((x <= min_val) | (x >= max_val))
        return np.clip(x, min_val, max_val)

    def backward(self, g):
        return self.xp.masked(g, self.mask)

    def attrs(self):
        return {"min_val": self.lo, "max_val": self.hi} if (self.lo, self.hi) != (-1.0, 1.0) else {}


_ONE_SIXTH_F32 = float(np.float32(1.0) / np.float32(6.0))


class Hardsigmoid(Function):
    """y = clip(x + 3, 0, 6) / 6;  gx = g / 6 where -3 < x < 3, else 0"""

    fresh_grads = True

    def forward(self, x):
        self.mask = (x > -3) & (x < 3)
        return np.minimum(np.maximum(x + 3, 0), 6) / 6  # PyTorch's order of operations (float32 rounding)

    def backward(self, g):
        # PyTorch multiplies by the float32 constant 1.0f / 6.0f, in every dtype
        return self.xp.masked(g, self.mask) * _ONE_SIXTH_F32


class Hardswish(Function):
    """y = x clip(x + 3, 0, 6) / 6;  gx = 0 for x <= -3, g (x / 3 + 1/2) for x < 3, g above (and at nan)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x):
        self.mid = (x > -3) & (x < 3)
        self.upper = (~(x <= -3) & ~self.mid).astype(x.dtype)  # 1 at x >= 3 and at nan, as PyTorch
        return x * np.minimum(np.maximum(x + 3, 0), 6) / 6

    def backward(self, g):
        (x,) = self.saved()
        return g * self.xp.where(self.mid, x / 3 + 0.5, self.upper)


class Threshold(Function):
    """y = x if x > threshold else value;  gx = g where x > threshold (and at nan), else 0"""

    fresh_grads = True

    def forward(self, x, threshold, value):
        self.threshold, self.value = threshold, value
        self.mask = ~(x <= threshold)
        return np.where(self.mask, x, np.asarray(value, dtype=x.dtype))

    def backward(self, g):
        return self.xp.masked(g, self.mask)

    def attrs(self):
        return {"threshold": self.threshold, "value": self.value}


class Hardshrink(Function):
    """y = x where |x| > lambd, else 0;  gx = g where |x| > lambd (and at nan), else 0"""

    fresh_grads = True

    def forward(self, x, lambd):
        self.lambd = lambd
        self.mask = ~((x >= -lambd) & (x <= lambd))
        return np.where(self.mask, x, np.zeros((), dtype=x.dtype))

    def backward(self, g):
        return self.xp.masked(g, self.mask)

    def attrs(self):
        return {"lambd": self.lambd} if self.lambd != 0.5 else {}


class Softshrink(Function):
    """y = x - lambd above lambd, x + lambd below -lambd, 0 between;  gx = g where |x| > lambd (0 at nan)"""

    fresh_grads = True

    def forward(self, x, lambd):
        self.lambd = lambd
        self.mask = np.abs(x) > lambd  # PyTorch's: no gradient at nan (its output is nan there)
        # x * 0 in the dead zone keeps nan (as PyTorch) and the sign of zero (PyTorch's scalar loop, which runs
        # tensors smaller than a vector register and the tails of others; its vector loop gives +0 there)
        return np.where(x > lambd, x - lambd, np.where(x < -lambd, x + lambd, x * 0)).astype(x.dtype, copy=False)

    def backward(self, g):
        return self.xp.masked(g, self.mask)

    def attrs(self):
        return {"lambd": self.lambd} if self.lambd != 0.5 else {}


def _in_place(x: Tensor, cls: type, op: str, **params: object) -> Tensor:
    """nn.functional's inplace=True: the op computed on a copy (its saved input stays intact) and written into x
    by the recorded copy_ (PyTorch's version counter and leaf rules); one write and no graph without grad."""
    record = _grad_mode.STATE.grad_enabled and x.requires_grad
    return x.copy_(cls.apply(x.clone() if record else x.detach(), **params))


def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002 - PyTorch's name
    """max(x, 0)"""
    return input.relu_() if inplace else Relu.apply(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    """x for x > 0, negative_slope * x otherwise."""
    if inplace:
        return _in_place(input, LeakyRelu, "leaky_relu_", negative_slope=negative_slope)
    return LeakyRelu.apply(input, negative_slope=negative_slope)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002 - PyTorch's name
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    return _in_place(input, Elu, "elu_", alpha=alpha) if inplace else Elu.apply(input, alpha=alpha)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002 - PyTorch's name
    """log(1 + exp(beta x)) / beta, reverting to x where beta x > threshold."""
    return Softplus.apply(input, beta=beta, threshold=threshold)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """clip(x, min_val, max_val)."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")
    if inplace:
        return _in_place(input, Hardtanh, "hardtanh_", min_val=min_val, max_val=max_val)
    return Hardtanh.apply(input, min_val=min_val, max_val=max_val)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002 - PyTorch's name
    """min(max(x, 0), 6): PyTorch's relu6 is hardtanh(x, 0, 6), gradients at the kinks included."""
    return hardtanh(input, 0.0, 6.0, inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002 - PyTorch's name
    """relu6(x + 3) / 6"""
    return _in_place(input, Hardsigmoid, "hardsigmoid_") if inplace else Hardsigmoid.apply(input)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002 - PyTorch's name
    """x * relu6(x + 3) / 6"""
    return _in_place(input, Hardswish, "hardswish_") if inplace else Hardswish.apply(input)


def selu(input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
    """scale * elu(x, alpha) with the self-normalising constants of Klambauer et al."""
    return Elu.apply(input, alpha=_SELU_ALPHA, scale=_SELU_SCALE)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def celu(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002 - PyTorch's name
    """x for x > 0, alpha * (exp(x / alpha) - 1) otherwise."""
    if alpha == 0:
        raise RuntimeError("celu: ZeroDivisionError: alpha cannot be 0 for CELU")
    return Elu.apply(input, alpha=alpha, input_scale=1.0 / alpha)  # PyTorch's celu is this elu


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:  # noqa: A002
    """x where x > threshold, else value."""
    if inplace:
        return _in_place(input, Threshold, "threshold_", threshold=threshold, value=value)
    return Threshold.apply(input, threshold=threshold, value=value)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002 - PyTorch's name
    """x where |x| > lambd, else 0."""
    return Hardshrink.apply(input, lambd=lambd)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002 - PyTorch's name
    """x - lambd above lambd, x + lambd below -lambd, 0 in between."""
    if lambd < 0:
        raise RuntimeError(f"softshrink: lambda must be in range [0, inf) for input dtype {input.dtype}, but found "
                           f"{lambd}")
    return Softshrink.apply(input, lambd=lambd)


def softsign(input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
    """x / (1 + |x|)"""
    return input / (_abs(input) + 1)


def tanhshrink(input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
    """x - tanh(x)"""
    return input - tanh(input)


def mish(input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
    """x * tanh(softplus(x))  (Misra, 2019)."""
    return input * tanh(softplus(input))


# ---------------------------------------------------------------------- declarations
METHODS = {"relu": relu, "hardshrink": hardshrink}
