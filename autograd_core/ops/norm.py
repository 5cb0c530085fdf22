"""Batch normalisation (numba kernels) and inverted dropout.

Training-mode BatchNorm is one op whose ordinary backward is a kernel; under
``create_graph`` the same gradient is built from Tensor ops (recomputing the statistics from
the recorded input), so gradients of gradients are exact. Eval mode is an affine map of the
input written with Tensor ops.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _creation
from .._function import Function
from .._tensor import Tensor, _make, bump_version
from ..kernels import get as kernel
from .conv import check_float, native


class BatchNorm(Function):
    """y = gamma (x - mean) / sqrt(var + eps) + beta (batch statistics over all dims but 1);
    gx = gamma invstd / M (M g - sum g - xhat sum(g xhat)),  ggamma = sum(g xhat),  gbeta = sum g"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x, gamma, beta, eps, running):
        # running = (running_mean, running_var, momentum): the kernel updates the arrays in place
        self.eps, self.shape = eps, x.shape
        x3 = _as3d(x)
        y, self.mean, self.invstd = kernel("batch_norm_forward")(_compute(x3), gamma, beta, eps, *running)
        return _back(y.reshape(x.shape), x)

    def saved_needed(self):
        return True, True, False  # beta's value enters no gradient (PyTorch does not save it either)

    def backward(self, g):
        x, gamma, beta = self.saved()
        if self.xp.records:  # the kernel's backward is not recorded: its composite twin is
            return _backward_composite(g, x, gamma, beta, self.eps, self.needs_input_grad)
        g3 = _compute(_as3d(g))
        dx, dgamma, dbeta = kernel("batch_norm_backward")(g3, _compute(_as3d(x)), self.mean, self.invstd, gamma)
        dx = _back(dx, x)  # the engine casts dgamma, dbeta to the parameters' dtypes
        return (dx.reshape(self.shape) if self.needs_input_grad(0) else None,
                dgamma if self.needs_input_grad(1) else None,
                dbeta if self.needs_input_grad(2) else None)

    def attrs(self):
        return {"eps": self.eps} if self.eps != 1e-5 else {}


def _as3d(a: np.ndarray) -> np.ndarray:
    """(N, C, *spatial) as the kernels' (N, C, L); explicit sizes (-1 is ambiguous for an empty input)."""
    return a.reshape(a.shape[0], a.shape[1], math.prod(a.shape[2:]))


def _compute(a: np.ndarray) -> np.ndarray:
    """float16 is normalised in float32 (PyTorch's CPU kernel accumulates half in float too; the numba
    kernels exist for float32 and float64) and the results rounded back to float16."""
    return a.astype(np.float32) if a.dtype == np.float16 else a


def _back(out: np.ndarray, like: np.ndarray) -> np.ndarray:
    return out.astype(np.float16) if like.dtype == np.float16 else out


def _backward_composite(g: Tensor, x: Tensor, gamma: Any, beta: Any, eps: float, needs: Any) -> tuple:
    """The BatchNorm gradient from Tensor ops: differentiable again (create_graph)."""
    axes = (0,) + tuple(range(2, x.ndim))
    bshape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    m = x.shape[0] * math.prod(x.shape[2:])
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


def _check_dtypes(x: Tensor, params: tuple) -> None:
    """PyTorch's CPU rule: every parameter given has the input's dtype, or (mixed precision) the input is
    float16 and every parameter float32. Anything else is a RuntimeError there, no promotion."""
    xd = x.dtype
    if all(v is None or v.dtype is xd for v, _ in params):  # the common case, decided without a loop of checks
        return
    check_float("batch_norm", xd)
    xd = native(xd)
    given = [(native(v.dtype), name) for v, name in params if v is not None]
    if all(d == xd for d, _ in given) or (xd == np.float16 and all(d == np.float32 for d, _ in given)):
        return
    names = ", ".join(f"{name} ({d.name})" for d, name in given)
    mixed = " (or all float32 for a float16 input)" if xd == np.float16 else ""
    raise RuntimeError(f"batch_norm: mixed dtype (CPU): input ({xd.name}) and {names} must share the input's "
                       f"dtype{mixed}; convert them with .to({xd.name}) (or the input with .to(weight.dtype))")


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise over every dim but 1 (inputs (N,C), (N,C,L), (N,C,H,W)), PyTorch's running-stat rules."""
    x = input
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected 2D, 3D or 4D input (got {x.ndim}D input of shape {list(x.shape)})")
    c = x.shape[1]
    # values per channel: N * H * W (x.size // C would divide by zero for C = 0)
    m = x.shape[0] * math.prod(x.shape[2:])
    if training and m == 1:  # PyTorch refuses exactly one value; an empty batch is allowed
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {list(x.shape)}")
    if x._data.size == 0:
        # PyTorch's result for an input without elements, before any other check: input * weight[0] + bias[0]
        # (so C = 0 with affine parameters raises IndexError there, and here); statistics stay untouched
        y = x * 1
        if weight is not None:
            y = y * weight[0]
        if bias is not None:
            y = y + bias[0]
        return y
    params = ((weight, "weight"), (bias, "bias"), (running_mean, "running_mean"), (running_var, "running_var"))
    for v, name in params:
        _check_vec(v, c, name)
    _check_dtypes(x, params)
    if training and (running_mean is None) != (running_var is None):
        raise ValueError("batch_norm: running_mean and running_var must either both be None or neither be None")
    if not training:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean and running_var must be given when training=False")
        bshape = (1, c) + (1,) * (x.ndim - 2)
        rm, rv = running_mean.to(x.dtype), running_var.to(x.dtype)  # statistics are constants here
        y = (x - rm.reshape(bshape)) * (rv.reshape(bshape) + eps).rsqrt()
        # .to: float16 input with float32 parameters gives float16 (PyTorch's mixed-precision rule)
        if weight is not None:
            y = y * weight.to(x.dtype).reshape(bshape)
        if bias is not None:
            y = y + bias.to(x.dtype).reshape(bshape)
        return y
    running = (None if running_mean is None else running_mean._data, None if running_var is None else running_var._data,
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
