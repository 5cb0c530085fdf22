"""Batch normalisation (numba kernels) and inverted dropout.

Training-mode BatchNorm is one op whose ordinary backward is a kernel; under
``create_graph`` the same gradient is built from Tensor ops (recomputing the statistics from
the recorded input), so gradients of gradients are exact. Eval mode is an affine map of the
input written with Tensor ops.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _creation
from .._function import Function
from .._tensor import Tensor, _make, bump_version
from ..kernels import get as kernel


class BatchNorm(Function):
    """y = gamma (x - mean) / sqrt(var + eps) + beta (batch statistics over all dims but 1);
    gx = gamma invstd / M (M g - sum g - xhat sum(g xhat)),  ggamma = sum(g xhat),  gbeta = sum g"""

    saves_inputs = True

    def forward(self, x, gamma, beta, eps, running):
        # running = (running_mean, running_var, momentum): the kernel updates the arrays in place
        self.eps, self.shape = eps, x.shape
        y, self.mean, self.invstd = kernel("batch_norm_forward")(x.reshape(x.shape[0], x.shape[1], -1), gamma, beta,
                                                                 eps, *running)
        return y.reshape(x.shape)

    def backward(self, g):
        x, gamma, beta = self.saved()
        if isinstance(g, Tensor):
            return _backward_composite(g, x, gamma, beta, self.eps, self.needs_input_grad)
        g3 = g.reshape(self.shape[0], self.shape[1], -1)
        dx, dgamma, dbeta = kernel("batch_norm_backward")(g3, x.reshape(g3.shape), self.mean, self.invstd, gamma)
        return (dx.reshape(self.shape) if self.needs_input_grad(0) else None,
                dgamma if self.needs_input_grad(1) else None,
                dbeta if self.needs_input_grad(2) else None)

    def attrs(self):
        return {"eps": self.eps} if self.eps != 1e-5 else {}


def _backward_composite(g: Tensor, x: Tensor, gamma: Any, beta: Any, eps: float, needs: Any) -> tuple:
    """The BatchNorm gradient from Tensor ops: differentiable again (create_graph)."""
    axes = (0,) + tuple(range(2, x.ndim))
    bshape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    m = x.data.size // x.shape[1]
    xc = x - x.mean(dim=axes, keepdim=True)
    invstd = ((xc * xc).mean(dim=axes, keepdim=True) + eps).rsqrt()
    xhat = xc * invstd
    sg = g.sum(dim=axes, keepdim=True)
    sgx = (g * xhat).sum(dim=axes, keepdim=True)
    scale = invstd / m if gamma is None else gamma.reshape(bshape) * invstd / m
    dx = scale * (g * m - sg - xhat * sgx) if needs(0) else None
    return dx, (sgx.reshape(-1) if needs(1) else None), (sg.reshape(-1) if needs(2) else None)


def _check_vec(v: Any, c: int, name: str) -> None:
    if v is not None and tuple(v.shape) != (c,):
        raise RuntimeError(f"batch_norm: {name} should contain {c} elements (one per channel) not {v.numel()} "
                           f"(shape {list(v.shape)})")


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise over every dim but 1 (inputs (N,C), (N,C,L), (N,C,H,W)), PyTorch's running-stat rules."""
    x = input
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected 2D, 3D or 4D input (got {x.ndim}D input of shape {list(x.shape)})")
    c = x.shape[1]
    for v, name in ((running_mean, "running_mean"), (running_var, "running_var"), (weight, "weight"),
                    (bias, "bias")):
        _check_vec(v, c, name)
    if not training:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean and running_var must be given when training=False")
        bshape = (1, c) + (1,) * (x.ndim - 2)
        rm, rv = running_mean.to(x.dtype), running_var.to(x.dtype)  # statistics are constants here
        y = (x - rm.reshape(bshape)) * (rv.reshape(bshape) + eps).rsqrt()
        if weight is not None:
            y = y * weight.reshape(bshape)
        if bias is not None:
            y = y + bias.reshape(bshape)
        return y
    m = x.data.size // c
    if m <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {list(x.shape)}")
    running = (None if running_mean is None else running_mean.data, None if running_var is None else running_var.data,
               momentum)
    y = BatchNorm.apply(x, weight, bias, eps=eps, running=running)
    for r in (running_mean, running_var):  # updated in place by the kernel (unbiased variance in running_var)
        if r is not None:
            bump_version(r)
    return y


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Inverted dropout: zero each element with probability p and scale the rest by 1/(1-p)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = _creation.generator().random(input.shape) >= p
    scale = np.asarray(1.0 / (1.0 - p), dtype=input.dtype)
    mask = (keep * scale).astype(input.dtype)
    return input * _make(mask, None, False)
