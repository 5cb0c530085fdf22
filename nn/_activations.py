"""Functional activations and layer maths built from core ops (so every order of gradient is exact)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core._tensor import bump_version


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)); 'tanh': 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3)))."""
    if approximate == "none":
        return 0.5 * input * (1.0 + ag.erf(input * (1.0 / math.sqrt(2.0))))
    if approximate == "tanh":
        return 0.5 * input * (1.0 + ag.tanh(math.sqrt(2.0 / math.pi) * (input + 0.044715 * input * input * input)))
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x)  (swish)."""
    if inplace:
        return write_into(input, silu)
    return input * ag.sigmoid(input)


def write_into(input: Tensor, fn: Any, *args: Any, **kwargs: Any) -> Tensor:
    """``inplace=True`` for a composite activation: fn computed out of place, then copied into ``input`` through
    the recorded copy_ (PyTorch's version counter and leaf rules; the clone keeps fn's saved input intact)."""
    record = ag.is_grad_enabled() and input.requires_grad
    return input.copy_(fn(input.clone() if record else input.detach(), *args, **kwargs))


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), finite for every x."""
    return -ag.softplus(-input)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x if x > 0 else a x, with a learned slope per channel (dim 1) or one shared slope."""
    if input.dtype != weight.dtype:  # numpy would promote a float32 model's activations to float64 silently
        raise RuntimeError(f"prelu: Type promoting not supported. Got {input.dtype} input and {weight.dtype} "
                           f"weight; cast the input with x.to(ag.{weight.dtype})")
    a = weight
    if weight.numel() != 1:
        if input.ndim < 2 or input.shape[1] != weight.numel():
            raise RuntimeError(
                f"prelu: mismatch of parameter numbers and input channel size: weight has {weight.numel()} "
                f"elements but input of shape {list(input.shape)} has "
                f"{input.shape[1] if input.ndim > 1 else 1} channels (dim 1); use num_parameters=1 or C"
            )
        a = weight.reshape((1, -1) + (1,) * (input.ndim - 2))
    pos = input._data > 0
    # double where: the slope's gradient sums x over the negative branch only (a * inf would give 0 * inf = nan)
    return ag.where(pos, input, a * ag.where(pos, 0.0, input))


def maxout(input: Tensor, pool_size: int, dim: int = -1) -> Tensor:
    """Max over consecutive groups of ``pool_size`` units along ``dim`` (Goodfellow et al.)."""
    d = dim % input.ndim
    n = input.shape[d]
    if pool_size < 1 or n % pool_size:
        raise ValueError(f"maxout: {n} units along dim {dim} cannot be split into groups of {pool_size}; "
                         "the unit count must be a multiple of pool_size")
    shape = input.shape[:d] + (n // pool_size, pool_size) + input.shape[d + 1:]
    return input.reshape(shape).amax(dim=d + 1)


def abs_rectify(input: Tensor) -> Tensor:
    """|x|: absolute-value rectification."""
    return ag.abs(input)


def layer_norm(input: Tensor, normalized_shape: Sequence[int] | int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """(x - mean) / sqrt(var + eps) * weight + bias over the trailing ``normalized_shape`` dims (biased var)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if tuple(input.shape[input.ndim - k:]) != shape or k == 0:
        raise RuntimeError(
            f"layer_norm: given normalized_shape={list(shape)}, expected input with shape [*, "
            f"{', '.join(map(str, shape))}], but got input of size {list(input.shape)}"
        )
    bad = [t.dtype for t in (weight, bias) if t is not None and t.dtype != input.dtype]
    if bad:  # as PyTorch: no silent float64 promotion of a float32 model's activations
        raise RuntimeError(f"layer_norm: mixed dtype (CPU): all inputs must share same datatype, got {input.dtype} "
                           f"input and {bad[0]} weight/bias; cast the input with x.to(ag.{bad[0]})")
    dims = tuple(range(input.ndim - k, input.ndim))
    xc = input - input.mean(dim=dims, keepdim=True)
    y = xc * ((xc * xc).mean(dim=dims, keepdim=True) + eps).rsqrt()
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def embedding(input: Any, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` picked by integer indices; the row ``padding_idx`` receives no gradient. max_norm:
    the rows looked up are first renormalised in place to norm <= max_norm (PyTorch's embedding_renorm_).
    sparse=True is accepted and gives the same gradient as a dense tensor."""
    idx = np.asarray(input._data if isinstance(input, Tensor) else input)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"embedding: expected integer indices (Long/Int), got dtype {idx.dtype}; "
                           "convert with .long()")
    if scale_grad_by_freq:
        raise NotImplementedError("embedding: scale_grad_by_freq=True is not implemented; divide the loss of "
                                  "frequent indices yourself, or leave it False")
    n = weight.shape[0]
    # negative indices are refused as in PyTorch: numpy would wrap -1 to the last row silently
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError(f"embedding: index out of range in self: indices must be in [0, {n}) for a table of {n} "
                         f"rows (no negative indices), got min {idx.min()} and max {idx.max()}")
    if max_norm is not None and idx.size:
        rows = np.unique(idx)
        w = weight._data  # in place and unrecorded, as PyTorch's embedding_renorm_ under no_grad
        norms = np.linalg.norm(w[rows], ord=norm_type, axis=1)
        big = norms > max_norm
        if big.any():
            w[rows[big]] *= (max_norm / (norms[big] + 1e-7))[:, None].astype(w.dtype)
            bump_version(weight)
    # advanced indexing on the flattened indices: a copy even for a 0-d index (weight[0] would be a view of
    # the leaf weight, and an in-place op on the embedding would then be refused)
    out = weight[idx.reshape(-1)].reshape(idx.shape + tuple(weight.shape[1:]))
    if padding_idx is not None:
        out = ag.where((idx == padding_idx % n)[..., None], out.detach(), out)
    return out


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding with a trailing class dim."""
    idx = np.asarray(tensor._data if isinstance(tensor, Tensor) else tensor)
    if idx.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor (integer dtype)")
    k = int(idx.max()) + 1 if num_classes < 0 else num_classes
    if idx.size and (idx.min() < 0 or idx.max() >= k):
        raise RuntimeError(f"one_hot: class values must be in [0, {k}), got min {idx.min()} and max {idx.max()}")
    return ag.tensor((idx[..., None] == np.arange(k)).astype(np.int64))
