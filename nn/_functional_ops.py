"""Functional ops: activations, padding modes, resampling, distances, margin losses and bilinear.

PyTorch's nn.functional signatures and argument checks; the numerics live in the op families
(``autograd_core.ops.activation``, ``.padding``, ``.resample``) and in ``_losses`` / ``_activations``.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.ops import activation as A
from autograd_core.ops import pool as _pool
from autograd_core.ops.padding import pad_mode
from autograd_core.ops.resample import col2im, im2col, interpolate_nd, pixel_shuffle, pixel_unshuffle
from autograd_core.ops.shape import pad as _constant_pad

from ._activations import write_into
from ._losses import (
    _pairwise,
    cosine_embedding_loss,
    gaussian_nll_loss,
    hinge_embedding_loss,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_soft_margin_loss,
    poisson_nll_loss,
    soft_margin_loss,
    triplet_margin_loss,
)

__all__ = [
    # activations
    "celu", "celu_", "elu_", "glu", "hardshrink", "hardsigmoid", "hardswish", "hardtanh_", "leaky_relu_", "mish",
    "relu6", "relu_", "selu", "selu_", "softmin", "softshrink", "softsign", "tanhshrink", "threshold", "threshold_",
    # padding, resampling
    "fold", "interpolate", "pad", "pixel_shuffle", "pixel_unshuffle", "unfold", "upsample", "upsample_bilinear",
    "upsample_nearest",
    # distances, bilinear
    "bilinear", "cosine_similarity", "normalize", "pairwise_distance",
    # losses
    "cosine_embedding_loss", "gaussian_nll_loss", "hinge_embedding_loss", "margin_ranking_loss", "multi_margin_loss",
    "multilabel_soft_margin_loss", "poisson_nll_loss", "soft_margin_loss", "triplet_margin_loss",
]


# ---------------------------------------------------------------------- activations
relu6, hardsigmoid, hardswish = A.relu6, A.hardsigmoid, A.hardswish
softshrink, softsign, tanhshrink = A.softshrink, A.softsign, A.tanhshrink
threshold, hardshrink = A.threshold, A.hardshrink


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha), alpha = 1.6733, scale = 1.0507 (self-normalising, Klambauer et al.)."""
    return write_into(input, A.selu) if inplace else A.selu(input)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha (exp(x / alpha) - 1) otherwise."""
    return write_into(input, A.celu, alpha) if inplace else A.celu(input, alpha)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))"""
    return write_into(input, A.mish) if inplace else A.mish(input)


def relu_(input: Tensor) -> Tensor:
    """relu written into input."""
    return A.relu(input, inplace=True)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """elu written into input."""
    return A.elu(input, alpha, inplace=True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """leaky_relu written into input."""
    return A.leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """hardtanh written into input."""
    return A.hardtanh(input, min_val, max_val, inplace=True)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """threshold written into input."""
    return A.threshold(input, threshold, value, inplace=True)


def selu_(input: Tensor) -> Tensor:
    """selu written into input."""
    return selu(input, inplace=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """celu written into input."""
    return celu(input, alpha, inplace=True)


def _softmax_dim(name: str, ndim: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as "
                  "an argument.", UserWarning, stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    """softmax(-x) along dim."""
    if dim is None:
        dim = _softmax_dim("softmin", input.ndim)
    x = input if dtype is None else input.to(dtype)
    return ag.softmax(-x, dim)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), where a and b are the two halves of input along dim (Dauphin et al.)."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim % input.ndim if -input.ndim <= dim < input.ndim else None
    if d is None:
        raise IndexError(f"glu: Dimension out of range (expected to be in range of [{-input.ndim}, {input.ndim - 1}], "
                         f"but got {dim})")
    n = input.shape[d]
    if n % 2:
        raise RuntimeError(f"glu: Halving dimension must be even, but dimension {d} is size {n}")
    lead = (slice(None),) * d
    return input[lead + (slice(0, n // 2),)] * ag.sigmoid(input[lead + (slice(n // 2, n),)])


# ---------------------------------------------------------------------- padding
def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last dims: ``pad = (left, right, top, bottom, front, back)``. mode: constant (any number of dims,
    negative pads crop) | reflect | replicate | circular (the last 1-3 dims of a batched or unbatched input)."""
    if mode == "constant":
        return _constant_pad(input, pad, value=value)
    if len(pad) % 2:
        raise RuntimeError(f"pad: Padding length must be divisible by 2, got {len(pad)}")
    if len(pad) > 2 * input.ndim:
        raise RuntimeError(f"pad: Padding length should be less than or equal to two times the input dimension but "
                           f"got padding length {len(pad)} and input of dimension {input.ndim}")
    if mode in ("reflect", "replicate", "circular") and value is not None and value != 0:
        raise RuntimeError(f'pad: Padding mode "{mode}" doesn\'t take in value argument')
    return pad_mode(input, pad, mode)


# ---------------------------------------------------------------------- resampling
_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
_NEEDS = {"linear": 3, "bilinear": 4, "trilinear": 5, "bicubic": 4}


def _is_int(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize the spatial dims of a (N, C, ...) input to ``size`` or by ``scale_factor``.
    mode: nearest | nearest-exact (3-5D) | linear (3D) | bilinear | bicubic (4D) | trilinear (5D) | area."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    scales: Any = None
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input "
                                 f"with spatial dimensions of {list(input.shape[2:])} and output size of {size}. "
                                 "Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in "
                                 "(o1, o2, ...,oK) format.")
            if not all(_is_int(v) for v in size):
                raise TypeError(f"interpolate: expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                                f"Tuple[int, int, int], but got size with types {[type(v) for v in size]}")
            out = [int(v) for v in size]
        elif _is_int(size):
            out = [int(size)] * dim
        else:
            raise TypeError(f"interpolate: size must be an int or a tuple of ints, got {type(size).__name__}")
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got "
                                 f"input with spatial dimensions of {list(input.shape[2:])} and scale_factor of "
                                 f"shape {scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) "
                                 "format and scale_factor in (s1, s2, ...,sK) format.")
            scales = [float(s) for s in scale_factor]
        else:
            scales = [float(scale_factor)] * dim
        out = None
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and out is None:
        recompute_scale_factor = True
    if out is None:
        out = [int(input.shape[2 + i] * scales[i]) for i in range(dim)]  # truncation, as PyTorch
        if recompute_scale_factor:
            scales = None
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a 4-D "
                         "tensor as input")
    if mode not in _MODES or input.ndim not in (3, 4, 5) or _NEEDS.get(mode, input.ndim) != input.ndim:
        if mode in _NEEDS and input.ndim in (3, 4, 5):
            raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {_NEEDS[mode]}D input")
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for the modes: nearest | "
            f"linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact (got {mode})")
    if antialias:
        raise NotImplementedError(f"interpolate: antialias=True is not implemented (mode {mode!r}); resample without "
                                  "it, or low-pass filter the input first (e.g. F.avg_pool2d)")
    spatial = tuple(input.shape[2:])
    if 0 in spatial or min(out) <= 0:
        names = "DHW"[3 - dim:]
        sizes_in = ", ".join(f"{n}: {s}" for n, s in zip(names, spatial))
        sizes_out = ", ".join(f"{n}: {s}" for n, s in zip(names, out))
        raise RuntimeError(f"interpolate: Input and output sizes should be greater than 0, but got input "
                           f"({sizes_in}) and output ({sizes_out})")
    if input.shape[1] == 0:
        raise RuntimeError(f"interpolate: Non-empty {input.ndim}D data tensor expected but got a tensor with sizes "
                           f"{list(input.shape)}")
    if mode == "area":
        return getattr(_pool, f"adaptive_avg_pool{dim}d")(input, out)
    kind = {"bicubic": "cubic", "bilinear": "linear", "trilinear": "linear"}.get(mode, mode)
    return interpolate_nd(input, tuple(out), tuple(scales) if scales is not None else (None,) * dim, kind,
                          bool(align_corners))


def upsample(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    """Deprecated alias of interpolate (PyTorch's warning included)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", UserWarning,
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: interpolate(mode='nearest')."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  UserWarning, stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: interpolate(mode='bilinear', align_corners=True)."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  UserWarning, stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Tensor:
    """im2col: the sliding kernel_size blocks of a (N, C, H, W) input as columns (N, C * prod(kernel_size), L)."""
    return im2col(input, kernel_size, dilation, padding, stride)


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> Tensor:
    """col2im: columns (N, C * prod(kernel_size), L) summed back into a (N, C, *output_size) image."""
    return col2im(input, output_size, kernel_size, dilation, padding, stride)


# ---------------------------------------------------------------------- distances
def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Tensor | None = None) -> Tensor:
    """x / max(||x||_p, eps) along dim."""
    denom = input.norm(p, dim, keepdim=True).clamp(min=eps)
    result = input / denom
    if out is not None:
        return out.copy_(result)
    return result


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """<x1 / max(||x1||, eps), x2 / max(||x2||, eps)> along dim (PyTorch's formula: |result| <= 1)."""
    for name, x in (("x1", x1), ("x2", x2)):
        if not isinstance(x, Tensor):
            raise TypeError(f"cosine_similarity(): argument '{name}' must be Tensor, not {type(x).__name__}")
    if np.result_type(x1.dtype, x2.dtype).kind != "f":
        raise RuntimeError(f"cosine_similarity: expected common dtype to be floating point, yet common dtype is "
                           f"{np.result_type(x1.dtype, x2.dtype)}")
    try:
        shape = np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    except ValueError:
        raise RuntimeError(f"cosine_similarity: The size of tensor a ({list(x1.shape)}) must match the size of "
                           f"tensor b ({list(x2.shape)}) at every non-singleton dimension") from None
    a = x1.expand(shape) if tuple(x1.shape) != shape else x1
    b = x2.expand(shape) if tuple(x2.shape) != shape else x2

    def unit(v: Tensor) -> Tensor:
        n = v.norm(2, dim, keepdim=True)
        nd = n.detach()
        # PyTorch clamps the norm in place under no_grad: the clamped value, the unclamped norm's gradient
        return v / (n + (nd.clamp(min=eps) - nd))

    return (unit(a) * unit(b)).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim (of the broadcast shape)."""
    return _pairwise(x1, x2, p, eps, keepdim)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x1^T W x2 + b: weight (out, in1, in2), inputs (*, in1) and (*, in2) with the same leading dims."""
    if input1.ndim != input2.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.ndim} and {input2.ndim}")
    if tuple(input1.shape[:-1]) != tuple(input2.shape[:-1]):
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {list(input1.shape[:-1])} and "
                           f"{list(input2.shape[:-1])}")
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be three-dimensional (out, in1, in2), got shape "
                           f"{list(weight.shape)}")
    if input1.ndim == 0 or input1.shape[-1] != weight.shape[1] or input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input sizes {list(input1.shape)} and {list(input2.shape)} do not match "
                           f"weight of shape {list(weight.shape)} (expected (*, {weight.shape[1]}) and "
                           f"(*, {weight.shape[2]}))")
    ts = [("input1", input1), ("input2", input2), ("weight", weight)] + ([("bias", bias)] if bias is not None else [])
    if len({t.dtype for _, t in ts}) > 1:
        names = {"float32": "float", "float64": "double"}
        got = ", ".join(f"{n}: {names.get(str(t.dtype), t.dtype)}" for n, t in ts)
        raise RuntimeError(f"bilinear(): All tensors must have the same dtype, got {got}")
    y = ag.einsum("...i,oij,...j->...o", input1, weight, input2)
    if bias is not None:
        if bias.ndim != 1 or bias.shape[0] != weight.shape[0]:
            got = bias.shape[0] if bias.ndim else 1
            raise RuntimeError(f"bilinear(): bias size does not match weight size: got {got} but expected "
                               f"{weight.shape[0]}")
        y = y + bias
    return y


