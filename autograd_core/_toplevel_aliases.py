"""PyTorch's top-level forms of nn.functional ops: ``torch.conv2d``, ``torch.batch_norm``, ``torch.embedding``,
``torch.kl_div`` ... Several take other arguments than their ``F.`` twins, and the adapters here translate:

* ``batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled)`` (all
  required) and ``instance_norm`` likewise; ``group_norm`` / ``layer_norm`` end with ``cudnn_enabled``;
* ``embedding(weight, indices, padding_idx=-1, ...)`` -- weight first, and any negative padding_idx means none;
* losses take ``reduction`` as an int (0 'none', 1 'mean', 2 'sum'), and ``binary_cross_entropy_with_logits``
  has pos_weight before it;
* ``max_pool{1,2,3}d`` have no return_indices (``max_pool1d_with_indices`` and ``adaptive_max_pool1d`` return
  (values, indices)); ``dropout(input, p, train)`` needs all three.

``TABLE`` maps each name to (module, attribute, adapter); the adapter receives the resolved function and
returns the top-level one (None: the function as it is). Names of modules under ``autograd_core.ops`` are
resolved at import (``EAGER``); those implemented in nn are resolved on first use by the package's
``__getattr__`` (``resolve``), so ``import autograd_core`` does not load nn.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any

from ._inplace_functions import DROPOUTS
from ._tensor import Tensor

_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}


def _reduction(r: Any, op: str, pos: int) -> str:
    if isinstance(r, bool) or not isinstance(r, int):
        raise TypeError(f"{op}(): argument 'reduction' (position {pos}) must be int, not {type(r).__name__} "
                        "(torch's top-level losses take 0 = 'none', 1 = 'mean', 2 = 'sum'; F.{op} takes the string)")
    if r not in _REDUCTIONS:
        raise ValueError(f"{op}: {r} is not a valid value for reduction (0 = 'none', 1 = 'mean', 2 = 'sum')")
    return _REDUCTIONS[r]


def _stride(s: Any) -> Any:
    """torch's pooling default stride is [] (meaning kernel_size); F's is None."""
    return None if s is None or (isinstance(s, (tuple, list)) and len(s) == 0) else s


def _named(name: str, fn: Callable, doc: str) -> Callable:
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


# ---------------------------------------------------------------------- adapters
def _same(f: Callable, name: str) -> Callable:
    return f


def _no_indices(f: Callable, name: str) -> Callable:
    def fn(input: Tensor, kernel_size: Any, stride: Any = (), padding: Any = 0, dilation: Any = 1,  # noqa: A002
           ceil_mode: bool = False) -> Tensor:
        return f(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)

    return _named(name, fn, f"torch.{name}: F.{f.__name__} without return_indices.")


def _with_indices(f: Callable, name: str) -> Callable:
    def fn(input: Tensor, kernel_size: Any, stride: Any = (), padding: Any = 0, dilation: Any = 1,  # noqa: A002
           ceil_mode: bool = False) -> tuple[Tensor, Tensor]:
        return tuple(f(input, kernel_size, _stride(stride), padding, dilation, ceil_mode, return_indices=True))

    return _named(name, fn, f"torch.{name}: (values, indices) of F.{f.__name__}.")


def _avg_pool1d(f: Callable, name: str) -> Callable:
    def fn(input: Tensor, kernel_size: Any, stride: Any = (), padding: Any = 0, ceil_mode: bool = False,  # noqa: A002
           count_include_pad: bool = True) -> Tensor:
        return f(input, kernel_size, _stride(stride), padding, ceil_mode, count_include_pad)

    return _named(name, fn, "torch.avg_pool1d: F.avg_pool1d (stride [] means kernel_size).")


def _adaptive_max(f: Callable, name: str) -> Callable:
    def fn(input: Tensor, output_size: Any) -> tuple[Tensor, Tensor]:  # noqa: A002
        return tuple(f(input, output_size, return_indices=True))

    return _named(name, fn, "torch.adaptive_max_pool1d: (values, indices).")


def _convolution(f: Callable, name: str) -> Callable:
    from .ops import conv

    def fn(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any, dilation: Any,  # noqa: A002
           transposed: bool, output_padding: Any, groups: int) -> Tensor:
        n = weight.ndim - 2
        if n not in (1, 2, 3):
            raise RuntimeError(f"convolution: expected a weight of 3, 4 or 5 dimensions (1-3 spatial), got "
                               f"{weight.ndim} dimensions of shape {list(weight.shape)}")
        if transposed:
            return getattr(conv, f"conv_transpose{n}d")(input, weight, bias, stride, padding, output_padding, groups,
                                                        dilation)
        if any(int(p) for p in ([output_padding] if isinstance(output_padding, int) else output_padding)):
            raise RuntimeError("convolution: output_padding is only supported for transposed convolution "
                               f"(got output_padding={output_padding} with transposed=False)")
        return getattr(conv, f"conv{n}d")(input, weight, bias, stride, padding, dilation, groups)

    return _named(name, fn, "torch.convolution: conv{1,2,3}d or conv_transpose{1,2,3}d by weight's rank.")


def _batch_norm(f: Callable, name: str) -> Callable:
    def fn(input: Tensor, weight: Tensor | None, bias: Tensor | None, running_mean: Tensor | None,  # noqa: A002
           running_var: Tensor | None, training: bool, momentum: float, eps: float, cudnn_enabled: bool) -> Tensor:
        return f(input, running_mean, running_var, weight, bias, training, momentum, eps)

    return _named(name, fn, "torch.batch_norm(input, weight, bias, running_mean, running_var, training, momentum, "
                  "eps, cudnn_enabled): F.batch_norm with torch's argument order.")


def _instance_norm(f: Callable, name: str) -> Callable:
    def fn(input: Tensor, weight: Tensor | None, bias: Tensor | None, running_mean: Tensor | None,  # noqa: A002
           running_var: Tensor | None, use_input_stats: bool, momentum: float, eps: float,
           cudnn_enabled: bool) -> Tensor:
        return f(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)

    return _named(name, fn, "torch.instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, "
                  "momentum, eps, cudnn_enabled): F.instance_norm with torch's argument order.")


def _group_norm(f: Callable, name: str) -> Callable:
    def fn(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,  # noqa: A002
           eps: float = 1e-5, cudnn_enabled: bool = True) -> Tensor:
        return f(input, num_groups, weight, bias, eps)

    return _named(name, fn, "torch.group_norm: F.group_norm (cudnn_enabled is accepted and has no effect).")


def _layer_norm(f: Callable, name: str) -> Callable:
    def fn(input: Tensor, normalized_shape: Any, weight: Tensor | None = None, bias: Tensor | None = None,  # noqa: A002
           eps: float = 1e-5, cudnn_enable: bool = True) -> Tensor:
        return f(input, normalized_shape, weight, bias, eps)

    return _named(name, fn, "torch.layer_norm: F.layer_norm (cudnn_enable is accepted and has no effect).")


def _dropout(f: Callable, name: str) -> Callable:
    feature, alpha = DROPOUTS[name]

    def fn(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
        return f(input, p, train, False, feature, alpha)

    return _named(name, fn, f"torch.{name}(input, p, train) (all required; F.{name}'s training= is train here).")


def _embedding(f: Callable, name: str) -> Callable:
    def fn(weight: Tensor, indices: Tensor, padding_idx: int = -1, scale_grad_by_freq: bool = False,
           sparse: bool = False) -> Tensor:
        return f(indices, weight, None if padding_idx < 0 else padding_idx, None, 2.0, scale_grad_by_freq, sparse)

    return _named(name, fn, "torch.embedding(weight, indices, padding_idx=-1, ...): weight first; a negative "
                  "padding_idx means none.")


def _rrelu(f: Callable, name: str) -> Callable:
    inplace = name.endswith("_")

    def fn(input: Tensor, lower: float = 0.125, upper: float = 1.0 / 3.0, training: bool = False,  # noqa: A002
           generator: Any = None) -> Tensor:
        if generator is not None:
            raise NotImplementedError(f"{name}: generator= is not supported here (rrelu draws from the global "
                                      "generator: seed it with autograd_core.manual_seed)")
        return f(input, lower, upper, training, inplace)

    return _named(name, fn, f"torch.{name}(input, lower, upper, training): F.rrelu"
                  f"{' in place' if inplace else ''}.")


def _loss(params: str, kw: str = "", pos: int | None = None) -> Callable:
    """A loss whose torch form takes the positional ``params`` then ``reduction`` (an int); ``kw`` names the
    keyword-only ones. The call is F's with the same names and reduction as its string."""
    names = params.split()

    def adapter(f: Callable, name: str) -> Callable:
        where = pos if pos is not None else len(names) + 1

        def fn(*args: Any, **kwargs: Any) -> Tensor:
            bound = dict(zip(names, args))
            if len(args) > len(names) + 1:
                raise TypeError(f"{name}() takes at most {len(names) + 1} positional arguments ({len(args)} given)")
            red = args[len(names)] if len(args) > len(names) else kwargs.pop("reduction", 1)
            for k in kwargs:
                if k not in names and k not in kw.split():
                    raise TypeError(f"{name}() got an unexpected keyword argument '{k}'")
            bound.update(kwargs)
            return f(**bound, reduction=_reduction(red, name, where))

        return _named(name, fn, f"torch.{name}({', '.join(names)}, reduction=1): F.{name} with reduction as an "
                      "int (0 'none', 1 'mean', 2 'sum').")

    return adapter


def _bce_logits(f: Callable, name: str) -> Callable:
    def fn(input: Tensor, target: Tensor, weight: Tensor | None = None, pos_weight: Tensor | None = None,  # noqa: A002
           reduction: int = 1) -> Tensor:
        return f(input, target, weight, _reduction(reduction, name, 5), pos_weight)

    return _named(name, fn, "torch.binary_cross_entropy_with_logits(input, target, weight, pos_weight, "
                  "reduction=1): pos_weight before reduction, reduction an int.")


def _poisson(f: Callable, name: str) -> Callable:
    def fn(input: Tensor, target: Tensor, log_input: bool, full: bool, eps: float, reduction: int) -> Tensor:  # noqa: A002
        return f(input, target, log_input, full, None, eps, None, _reduction(reduction, name, 6))

    return _named(name, fn, "torch.poisson_nll_loss(input, target, log_input, full, eps, reduction): all required.")


def _ctc(f: Callable, name: str) -> Callable:
    def fn(log_probs: Tensor, targets: Tensor, input_lengths: Any, target_lengths: Any, blank: int = 0,
           reduction: int = 1, zero_infinity: bool = False) -> Tensor:
        return f(log_probs, targets, input_lengths, target_lengths, blank, _reduction(reduction, name, 6),
                 zero_infinity)

    return _named(name, fn, "torch.ctc_loss(..., blank=0, reduction=1, zero_infinity=False): reduction an int.")


_OPS_NORM = "autograd_core.ops.norm"
_OPS_POOL = "autograd_core.ops.pool"
_OPS_CONV = "autograd_core.ops.conv"
_NN_EXTRA = "autograd_core.nn._functional_extra"
_NN_OPS = "autograd_core.nn._functional_ops"
_NN_ACT = "autograd_core.nn._activations"
_NN_LOSS = "autograd_core.nn._losses"

TABLE: dict[str, tuple[str, str, Callable]] = {
    **{n: (_OPS_CONV, n, _same) for n in (
        "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")},
    "convolution": (_OPS_CONV, "conv2d", _convolution),
    **{n: (_OPS_POOL, n, _no_indices) for n in ("max_pool1d", "max_pool2d", "max_pool3d")},
    "max_pool1d_with_indices": (_OPS_POOL, "max_pool1d", _with_indices),
    "avg_pool1d": (_OPS_POOL, "avg_pool1d", _avg_pool1d),
    "adaptive_avg_pool1d": (_OPS_POOL, "adaptive_avg_pool1d", _same),
    "adaptive_max_pool1d": (_OPS_POOL, "adaptive_max_pool1d", _adaptive_max),
    "batch_norm": (_OPS_NORM, "batch_norm", _batch_norm),
    "instance_norm": (_OPS_NORM, "instance_norm", _instance_norm),
    "group_norm": (_OPS_NORM, "group_norm", _group_norm),
    "rms_norm": (_OPS_NORM, "rms_norm", _same),
    **{n: (_OPS_NORM, "_dropout_impl", _dropout) for n in DROPOUTS},
    # implemented in nn: resolved on first use
    "layer_norm": (_NN_ACT, "layer_norm", _layer_norm),
    "embedding": (_NN_ACT, "embedding", _embedding),
    "prelu": (_NN_ACT, "prelu", _same),
    "cosine_similarity": (_NN_OPS, "cosine_similarity", _same),
    "pairwise_distance": (_NN_OPS, "pairwise_distance", _same),
    "bilinear": (_NN_OPS, "bilinear", _same),
    "pdist": (_NN_EXTRA, "pdist", _same),
    "channel_shuffle": (_NN_EXTRA, "channel_shuffle", _same),
    "native_channel_shuffle": (_NN_EXTRA, "native_channel_shuffle", _same),
    "rrelu": (_NN_EXTRA, "rrelu", _rrelu),
    "rrelu_": (_NN_EXTRA, "rrelu", _rrelu),
    "ctc_loss": (_NN_EXTRA, "ctc_loss", _ctc),
    "kl_div": (_NN_LOSS, "kl_div", _loss("input target", kw="log_target", pos=3)),
    "binary_cross_entropy_with_logits": (_NN_LOSS, "binary_cross_entropy_with_logits", _bce_logits),
    "cosine_embedding_loss": (_NN_LOSS, "cosine_embedding_loss", _loss("input1 input2 target margin")),
    "hinge_embedding_loss": (_NN_LOSS, "hinge_embedding_loss", _loss("input target margin")),
    "margin_ranking_loss": (_NN_LOSS, "margin_ranking_loss", _loss("input1 input2 target margin")),
    "poisson_nll_loss": (_NN_LOSS, "poisson_nll_loss", _poisson),
    "triplet_margin_loss": (_NN_LOSS, "triplet_margin_loss", _loss("anchor positive negative margin p eps swap")),
}

EAGER = tuple(n for n, (mod, _, _) in TABLE.items() if mod.startswith("autograd_core.ops."))
LAZY = tuple(n for n in TABLE if n not in EAGER)


@functools.cache
def resolve(name: str) -> Callable:
    """The top-level function ``name`` (importing its module on first use)."""
    mod, attr, adapter = TABLE[name]
    return adapter(getattr(importlib.import_module(mod), attr), name)


globals().update({n: resolve(n) for n in EAGER})
__all__ = list(EAGER)
