"""Softmax and log-softmax along one dimension (max-shifted, so exp never overflows)."""

from __future__ import annotations

import numpy as np

from .._function import Function
from .._tensor import Tensor
from ._dims import normalize_dims

__all__ = [  # the public functions (ag.<name>); Tensor methods are declared in METHODS below
    "softmax", "log_softmax",
]


class Softmax(Function):
    """y = exp(x - logsumexp(x));  gx = y * (g - sum(g * y))"""

    saves_output = True

    def forward(self, x, dim):
        self.dim = dim
        e = np.exp(x - np.max(x, axis=dim, keepdims=True, initial=-np.inf))  # initial: a zero-size dim is fine
        return np.ascontiguousarray(e / np.sum(e, axis=dim, keepdims=True))  # C order, as PyTorch's

    def backward(self, g):
        y = self.saved_output()
        return y * (g - (g * y).sum(axis=self.dim, keepdims=True))

    def attrs(self):
        return {"dim": self.dim}


class LogSoftmax(Function):
    """y = x - logsumexp(x);  gx = g - exp(y) * sum(g)"""

    saves_output = True

    def forward(self, x, dim):
        self.dim = dim
        if x.size == 0:
            return x.copy()  # nothing to normalise (and no log(0) warning from the empty sums)
        shifted = x - np.max(x, axis=dim, keepdims=True, initial=-np.inf)  # initial: a zero-size dim is fine
        return np.ascontiguousarray(shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True)))

    def backward(self, g):
        y = self.saved_output()
        return g - self.xp.exp(y) * g.sum(axis=self.dim, keepdims=True)

    def attrs(self):
        return {"dim": self.dim}


def _dim(x: Tensor, dim: int | None, op: str) -> int:
    if dim is None:
        raise TypeError(f"{op}(): argument 'dim' must be given (e.g. dim=-1 for the last dimension)")
    if x._data.dtype.kind not in "fc":
        # NotImplementedError (a RuntimeError) as PyTorch's kernels raise it
        raise NotImplementedError(f"{op}(): not implemented for {x._data.dtype.name} tensors (use .float())")
    nd = normalize_dims(dim, x.ndim, op)
    return nd[0] if nd else 0


def softmax(x: Tensor, dim: int | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim``."""
    d = _dim(x, dim, "softmax")
    if x.ndim == 0:
        return Softmax.apply(x.reshape(1), dim=0).reshape(())
    return Softmax.apply(x, dim=d)


def log_softmax(x: Tensor, dim: int | None = None) -> Tensor:
    """x - logsumexp(x) along ``dim``: stable log-probabilities."""
    d = _dim(x, dim, "log_softmax")
    if x.ndim == 0:
        return LogSoftmax.apply(x.reshape(1), dim=0).reshape(())
    return LogSoftmax.apply(x, dim=d)


# ---------------------------------------------------------------------- declarations
METHODS = {"softmax": softmax, "log_softmax": log_softmax}
