"""Folding an eval-mode BatchNorm into the Conv or Linear before it (``torch.nn.utils.fusion``): with
s = gamma / sqrt(running_var + eps), W' = W * s (per output channel) and b' = (b - running_mean) * s + beta."""

from __future__ import annotations

import copy
from typing import Any

import autograd_core as ag
from autograd_core import Tensor

from .parameter import Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights"]


def _scale_and_bias(w: Tensor, b: Tensor | None, rm: Tensor, rv: Tensor, eps: float, gamma: Tensor | None,
                    beta: Tensor | None) -> tuple[Tensor, Tensor]:
    gamma = ag.ones_like(rm) if gamma is None else gamma
    beta = ag.zeros_like(rm) if beta is None else beta
    b = ag.zeros_like(rm) if b is None else b
    scale = gamma * ag.rsqrt(rv + eps)
    return scale, (b - rm) * scale + beta


def fuse_conv_bn_weights(conv_w: Tensor, conv_b: Tensor | None, bn_rm: Tensor, bn_rv: Tensor, bn_eps: float,
                         bn_w: Tensor | None, bn_b: Tensor | None,
                         transpose: bool = False) -> tuple[Parameter, Parameter]:
    """(W', b') of the convolution that equals conv followed by the eval-mode BatchNorm."""
    with ag.no_grad():
        scale, bias = _scale_and_bias(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b)
        shape = [1] * conv_w.ndim
        shape[1 if transpose else 0] = -1  # the output-channel axis (1 for ConvTranspose weights)
        w = (conv_w * scale.reshape(shape)).to(conv_w.dtype)
        b = bias.to(conv_w.dtype if conv_b is None else conv_b.dtype)
    return Parameter(w, conv_w.requires_grad), Parameter(b, True if conv_b is None else conv_b.requires_grad)


def fuse_linear_bn_weights(linear_w: Tensor, linear_b: Tensor | None, bn_rm: Tensor, bn_rv: Tensor, bn_eps: float,
                           bn_w: Tensor, bn_b: Tensor) -> tuple[Parameter, Parameter]:
    """(W', b') of the Linear that equals linear followed by the eval-mode BatchNorm1d."""
    with ag.no_grad():
        scale, bias = _scale_and_bias(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b)
        w = linear_w * scale.unsqueeze(-1)
    return Parameter(w, linear_w.requires_grad), Parameter(bias, True if linear_b is None else linear_b.requires_grad)


def _check_eval(*mods: Any) -> None:
    if any(m.training for m in mods):
        raise AssertionError("Fusion only for eval!")


def fuse_conv_bn_eval(conv: Any, bn: Any, transpose: bool = False) -> Any:
    """A copy of conv with bn folded in (both in eval mode)."""
    _check_eval(conv, bn)
    fused = copy.deepcopy(conv)
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("fuse_conv_bn_eval: the BatchNorm must track running statistics")
    fused.weight, fused.bias = fuse_conv_bn_weights(fused.weight, fused.bias, bn.running_mean, bn.running_var,
                                                    bn.eps, bn.weight, bn.bias, transpose)
    return fused


def fuse_linear_bn_eval(linear: Any, bn: Any) -> Any:
    """A copy of linear with bn folded in (both in eval mode)."""
    _check_eval(linear, bn)
    if not (linear.out_features == bn.num_features or bn.num_features == 1):
        raise AssertionError("To fuse, linear.out_features must equal bn.num_features or bn.num_features must be 1 "
                             f"(got {linear.out_features} and {bn.num_features})")
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("fuse_linear_bn_eval: the BatchNorm must track running statistics")
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(fused.weight, fused.bias, bn.running_mean, bn.running_var,
                                                      bn.eps, bn.weight, bn.bias)
    return fused
