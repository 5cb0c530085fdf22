"""Activation functions (piecewise ops keep their masks: the masks have zero derivative)."""

from __future__ import annotations

import numpy as np

from .._function import Function
from .._tensor import Tensor

__all__ = [  # the public functions (ag.<name>); Tensor methods are declared in METHODS below
    "relu", "leaky_relu", "elu", "softplus", "hardtanh",
]


class Relu(Function):
    """y = max(x, 0);  gx = g where x > 0, else 0   (0 at x = 0)"""

    fresh_grads = True

    def forward(self, x):
        self.mask = ~(x <= 0)  # nan passes the gradient, as PyTorch's threshold_backward
        return np.maximum(x, 0)  # keeps nan, like PyTorch

    def backward(self, g):
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
    """y = x if x > 0 else a (e**x - 1);  gx = g if x > 0 else g a e**x"""

    fresh_grads = True
    saves_inputs = True  # the input, as PyTorch: the output may then be modified in place

    def forward(self, x, alpha):
        self.alpha = alpha
        self.mask = ~(x <= 0)  # nan takes the identity branch, as in PyTorch
        return np.where(self.mask, x, alpha * np.expm1(np.minimum(x, 0)))

    def backward(self, g):
        (x,) = self.saved()
        xp = self.xp
        return xp.where(self.mask, g, g * self.alpha * xp.exp(xp.where(self.mask, 0.0, x)))

    def attrs(self):
        return {"alpha": self.alpha} if self.alpha != 1.0 else {}


class Softplus(Function):
    """y = log(1 + e**(b x)) / b (linear above the threshold);  gx = g * sigmoid(b x)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x, beta, threshold):
        self.beta, self.threshold = beta, threshold
        bx = x * beta
        self.linear = bx > threshold
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


def relu(x: Tensor) -> Tensor:
    """max(x, 0)"""
    return Relu.apply(x)


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, negative_slope * x otherwise."""
    return LeakyRelu.apply(x, negative_slope=negative_slope)


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    return Elu.apply(x, alpha=alpha)


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, reverting to x where beta x > threshold."""
    return Softplus.apply(x, beta=beta, threshold=threshold)


def hardtanh(x: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """clip(x, min_val, max_val)."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")
    return Hardtanh.apply(x, min_val=min_val, max_val=max_val)


# ---------------------------------------------------------------------- declarations
METHODS = {"relu": relu}
