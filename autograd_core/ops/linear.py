"""The affine map of a fully connected layer as one node (PyTorch's ``F.linear``)."""

from __future__ import annotations

import math

import numpy as np

from .._function import Function
from .._tensor import Tensor
from .arithmetic import _c_name  # PyTorch's C++ dtype names, as its messages print them


class Linear(Function):
    """y = x @ W^T + b;  gx = g @ W,  gW = g^T @ x (over all leading dims),  gb = sum of g over leading dims"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x, w, b=None):
        if x.ndim > 2:  # one (rows, in) @ (in, out) GEMM: numpy's batched matmul would run a small GEMM per batch
            y = (x.reshape(math.prod(x.shape[:-1]), x.shape[-1]) @ w.T).reshape(x.shape[:-1] + (w.shape[0],))
        else:
            y = x @ w.T
        if b is not None:
            y += b  # y is a fresh array: adding in place saves one temporary
        return y

    def saved_needed(self):
        e = self.next_functions  # x only for W's gradient, W only for x's; the bias enters none
        return (e[1][0] is not None, e[0][0] is not None) + ((False,) if len(e) == 3 else ())

    def backward(self, g):
        x, w = self.saved()[:2]
        gx = None
        if self.needs_input_grad(0):
            if len(g.shape) > 2:  # one GEMM over all leading dims, as in forward
                gx = (g.reshape(math.prod(g.shape[:-1]), g.shape[-1]) @ w).reshape(tuple(g.shape[:-1]) + (w.shape[1],))
            else:
                gx = g @ w
        need_b = len(self.next_functions) == 3 and self.needs_input_grad(2)
        gw = gb = None
        if self.needs_input_grad(1) or need_b:
            rows = math.prod(g.shape[:-1])  # not -1: that cannot be inferred at size 0
            g2 = g.reshape(rows, g.shape[-1])
            if self.needs_input_grad(1):
                gw = g2.T @ x.reshape(rows, x.shape[-1])
            if need_b:
                gb = g2.sum(0)
        return (gx, gw, gb) if len(self.next_functions) == 3 else (gx, gw)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight^T + bias, for input (*, in_features), weight (out_features, in_features)."""
    if input.ndim == 0:
        raise RuntimeError(f"linear: both arguments to linear need to be at least 1D, but they are 0D and "
                           f"{weight.ndim}D; give the input a feature dimension, e.g. x.reshape(1, 1)")
    if weight.ndim != 2:
        raise RuntimeError(f"linear: weight must be 2-D (out_features, in_features), got shape {list(weight.shape)}")
    if input.shape[-1] != weight.shape[1]:
        rows = int(np.prod(input.shape[:-1]))
        raise RuntimeError(
            f"linear: input of shape {list(input.shape)} cannot be multiplied by weight of shape "
            f"{list(weight.shape)} (mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} and "
            f"{weight.shape[1]}x{weight.shape[0]})): the input's last dimension must equal weight.shape[1] "
            "(in_features)"
        )
    # numpy's matmul would promote silently: a float64 batch into a float32 model would give float64
    # activations and gradients that no longer match the parameters; PyTorch refuses, so do we
    if input.dtype != weight.dtype:
        fix = f"cast the input with x.to(ag.{weight.dtype})"
        if input.dtype.kind == "f":
            fix += f", or the layer with layer.to(ag.{input.dtype})"
        raise RuntimeError(
            f"linear: expected m1 and m2 to have the same dtype, but got: {_c_name(input.dtype)} != "
            f"{_c_name(weight.dtype)} (input is {input.dtype}, weight is {weight.dtype}); {fix}"
        )
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(
            f"linear: bias of shape {list(bias.shape)} does not match out_features={weight.shape[0]}; "
            f"expected shape [{weight.shape[0]}]"
        )
    if bias is not None and bias.dtype != weight.dtype:
        raise RuntimeError(
            f"linear: bias has dtype {bias.dtype} but input and weight are {weight.dtype} (self and mat2 must "
            f"have the same dtype); cast the bias with bias.to(ag.{weight.dtype})"
        )
    if bias is None:
        return Linear.apply(input, weight)
    return Linear.apply(input, weight, bias)
