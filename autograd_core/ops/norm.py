"""Batch normalisation (numba kernels), the norms built on it (group, instance), RMS and local response norm,
and dropout (elementwise, channel-wise and alpha).

Training-mode BatchNorm is one op whose ordinary backward is a kernel; under
``create_graph`` the same gradient is built from Tensor ops (recomputing the statistics from
the recorded input), so gradients of gradients are exact. Eval mode is an affine map of the
input written with Tensor ops.
"""

from __future__ import annotations

import math
import warnings
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
    x = input if isinstance(input, Tensor) else Tensor(input)
    return _dropout_impl(x, p, training, inplace, 0, False)


# ---------------------------------------------------------------------- group, instance, RMS and LRN norms
# Group and instance norm are batch norm of a reshaped input, as PyTorch computes instance norm: the statistics
# of each (sample, group) are those of one channel of the (1, N*G, rest) view, so they run through the BatchNorm
# kernel (and its composite twin under create_graph).


def _stats_norm(x: Tensor, rows: int, gamma: Tensor | None, beta: Tensor | None, eps: float) -> Tensor:
    """Normalise each of ``rows`` equal slices of x by its own mean and biased variance (BatchNorm of (1, rows, -1))."""
    x3 = x.reshape(1, rows, math.prod(x.shape) // rows if rows else 0)
    y = BatchNorm.apply(x3, gamma, beta, eps=eps, running=(None, None, 0.0))
    return y.reshape(x.shape)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise each group of C/num_groups channels of each sample over those channels and all spatial dims."""
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.ndim < 2:
        raise RuntimeError(f"group_norm: Expected at least 2 dimensions for input tensor but received {x.ndim}")
    n, c = x.shape[:2]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"group_norm: Expected number of channels in input to be divisible by num_groups, but got "
                           f"input of shape {list(x.shape)} and num_groups={num_groups}")
    for v, name in ((weight, "weight"), (bias, "bias")):
        if v is not None and (v.ndim != 1 or v.shape[0] != c):
            raise RuntimeError(f"group_norm: Expected {name} to be a vector of size equal to the number of channels "
                               f"in input, but got {name} of shape {list(v.shape)} and input of shape {list(x.shape)}")
    check_float("group_norm", x.dtype)
    bshape = (1, c) + (1,) * (x.ndim - 2)
    y = x * 1 if x._data.size == 0 else _stats_norm(x, n * num_groups, None, None, eps)
    if weight is not None:  # contiguous first, as PyTorch's kernel: a strided weight is saved as a copy
        y = y * weight.contiguous().reshape(bshape)
    if bias is not None:
        y = y + bias.reshape(bshape)
    return y


def instance_norm(input: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None,
                  weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of each sample over its spatial dims (batch_norm of the (1, N*C, ...) view)."""
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.ndim < 2:
        raise ValueError(f"instance_norm: expected at least 2D input (got {x.ndim}D input)")
    if use_input_stats and math.prod(x.shape[2:]) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {list(x.shape)}")
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("instance_norm: Expected running_mean and running_var to be defined when use_input_stats "
                           "is false")
    n, c = x.shape[:2]
    for v, name in ((running_mean, "running_mean"), (running_var, "running_var"), (weight, "weight"),
                    (bias, "bias")):
        if v is not None and tuple(v.shape) != (c,):
            raise RuntimeError(f"instance_norm: {name} should contain {c} elements (one per channel), got shape "
                               f"{list(v.shape)}")

    def rep(v: Tensor | None, stat: bool) -> Tensor | None:
        if v is None:
            return None
        return _make(np.tile(v._data, n), None, False) if stat else v.repeat(n)

    rm, rv = rep(running_mean, True), rep(running_var, True)
    y = batch_norm(x.reshape((1, n * c) + tuple(x.shape[2:])), rm, rv, rep(weight, False), rep(bias, False),
                   use_input_stats, momentum, eps)
    for r, rr in ((running_mean, rm), (running_var, rv)):
        if r is not None and use_input_stats:  # the per-sample statistics' mean becomes the running one
            with np.errstate(invalid="ignore", divide="ignore"):  # an empty batch gives NaN, as in PyTorch
                r._data[...] = rr._data.reshape(n, c).sum(0) / n
            bump_version(r)
    return y.reshape(x.shape)


def rms_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None, eps: float | None = None) -> Tensor:
    """y = x / sqrt(mean(x^2 over the trailing normalized_shape dims) + eps) * weight (eps: the dtype's epsilon)."""
    x = input if isinstance(input, Tensor) else Tensor(input)
    if isinstance(normalized_shape, (int, np.integer)):
        raise TypeError("rms_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not int "
                        f"(pass ({int(normalized_shape)},))")
    ns = tuple(int(s) for s in normalized_shape)
    k = len(ns)
    if k == 0 or x.ndim < k or tuple(x.shape[x.ndim - k:]) != ns:
        raise RuntimeError(f"rms_norm: Given normalized_shape={list(ns)}, expected input with shape "
                           f"[*{', '.join(map(str, ns))}], but got input of size{list(x.shape)}")
    if weight is not None and tuple(weight.shape) != ns:
        raise RuntimeError(f"rms_norm: Expected weight to be of same shape as normalized_shape, but got weight of "
                           f"shape {list(weight.shape)} and normalized_shape = {list(ns)}")
    check_float("rms_norm", x.dtype)
    if eps is None:
        eps = float(np.finfo(x.dtype).eps)
    dims = tuple(range(x.ndim - k, x.ndim))
    y = x * ((x * x).mean(dim=dims, keepdim=True) + eps).rsqrt()
    if weight is None:
        return y
    y = y * weight
    return y if y.dtype == x.dtype else y.to(x.dtype)  # PyTorch's result has the input's dtype (type_as)


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:
    """y = x / (k + alpha * mean of x^2 over `size` neighbouring channels)^beta (PyTorch's zero-padded window)."""
    from .pool import avg_pool2d
    from .shape import pad

    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.ndim < 3:
        raise ValueError(f"local_response_norm: Expected 3D or higher dimensionality input (got {x.ndim} dimensions)")
    if x._data.size == 0:
        return x
    n, c = x.shape[:2]
    rest = math.prod(x.shape[2:])
    sq = (x * x).reshape(n, 1, c, rest)
    div = avg_pool2d(pad(sq, (0, 0, size // 2, (size - 1) // 2)), (size, 1), stride=1).reshape(x.shape)
    return x / (div * alpha + k).pow(beta)


# ---------------------------------------------------------------------- channel and alpha dropout
_ALPHA = 1.7580993408473766  # SELU's -alpha * scale: alpha dropout's saturation value


def _check_p(p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _mul(x: Tensor, m: np.ndarray, inplace: bool) -> Tensor:
    c = _make(np.asarray(m, dtype=x.dtype), None, False)
    return x.mul_(c) if inplace else x * c


def _dropout_impl(x: Tensor, p: float, training: bool, inplace: bool, feature: int, alpha: bool) -> Tensor:
    """PyTorch's _dropout_impl: inverted dropout, or alpha dropout (which keeps mean 0 and variance 1), with one
    mask value per element (feature=0) or per index of the first ``feature`` dims (channel dropout)."""
    _check_p(p)
    if p == 0.0 or not training or x._data.size == 0:
        return x
    if p == 1.0:
        return _mul(x, np.zeros((), dtype=x.dtype), inplace)
    if feature and x.ndim < 2:  # checked where PyTorch draws the noise: after the cases above
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    shape = tuple(x.shape[:feature]) + (1,) * (x.ndim - feature) if feature else tuple(x.shape)
    keep = _creation.generator().random(shape) >= p
    if not alpha:
        return _mul(x, keep * (1.0 / (1.0 - p)), inplace)
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    b = _make(((keep - 1.0) * (_ALPHA * a) + _ALPHA * a * p).astype(x.dtype), None, False)
    y = _mul(x, keep * a, inplace)
    return y.add_(b) if inplace else y + b


def _channel_dropout(op: str, input: Tensor, p: float, training: bool, inplace: bool, nd: int) -> Tensor:
    _check_p(p)
    x = input if isinstance(input, Tensor) else Tensor(input)
    dims = (nd + 1, nd + 2)
    note = (f"Note that {op} exists to provide channel-wise dropout on inputs with {nd} spatial dimension"
            f"{'s' if nd > 1 else ''}, a channel dimension, and an optional batch dimension (i.e. {dims[0]}D or "
            f"{dims[1]}D inputs).")
    if x.ndim not in dims:
        if nd == 1:
            raise RuntimeError(f"{op}: Expected 2D or 3D input, but received a {x.ndim}D input. {note}")
        warnings.warn(f"{op}: Received a {x.ndim}-D input to {op}, which is deprecated and will result in an error in "
                      f"a future release. To retain the behavior and silence this warning, please use dropout "
                      f"instead. {note}", stacklevel=3)
    if nd == 2 and x.ndim == 3:  # PyTorch's historical reading of a 3-D input: (N, C, L)
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior "
                      "is desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior "
                      "will change in a future release to interpret the input as one without a batch dimension, i.e. "
                      "shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using "
                      "dropout1d instead.", stacklevel=3)
    # an unbatched (C, *spatial) input (dropout1d/3d) is a batch of one: one mask value per channel
    unbatched = nd != 2 and x.ndim == nd + 1
    return _dropout_impl(x, p, training, inplace, 1 if unbatched else 2, False)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) / (C, L) with probability p, scaling the rest by 1/(1-p)."""
    return _channel_dropout("dropout1d", input, p, training, inplace, 1)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) with probability p, scaling the rest by 1/(1-p)."""
    return _channel_dropout("dropout2d", input, p, training, inplace, 2)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) / (C, D, H, W) with probability p, scaling the rest by 1/(1-p)."""
    return _channel_dropout("dropout3d", input, p, training, inplace, 3)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Dropout for SELU networks: dropped values become SELU's saturation, then an affine map keeps mean and var."""
    x = input if isinstance(input, Tensor) else Tensor(input)
    return _dropout_impl(x, p, training, inplace, 0, True)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Alpha dropout of whole channels (one mask value per sample and channel)."""
    x = input if isinstance(input, Tensor) else Tensor(input)
    return _dropout_impl(x, p, training, inplace, 2, True)
