"""``autograd_core.nn.functional``: PyTorch's functional API on autograd_core tensors.

Convolution, pooling, batch_norm and dropout are kernel-backed ops from ``autograd_core.ops``;
the activations and losses below them are compositions of core ops (see ``_activations`` and
``_losses``), so their gradients of every order come from the op table's rules.
"""

from __future__ import annotations

import warnings
from typing import Any

from autograd_core.ops import softmax as _sm
from autograd_core.ops.activation import elu, hardtanh, leaky_relu, relu, softplus
from autograd_core.ops.conv import conv2d, conv_transpose2d
from autograd_core.ops.linear import linear
from autograd_core.ops.norm import batch_norm, dropout
from autograd_core.ops.pool import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from autograd_core.ops.shape import pad
from autograd_core.ops.unary import sigmoid, tanh

from ._activations import abs_rectify, embedding, gelu, layer_norm, logsigmoid, maxout, one_hot, prelu, silu
from ._losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)

__all__ = [
    "abs_rectify", "adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "conv2d", "conv_transpose2d", "cross_entropy", "dropout", "elu", "embedding",
    "gelu", "hardtanh", "huber_loss", "kl_div", "l1_loss", "layer_norm", "leaky_relu", "linear", "log_softmax",
    "logsigmoid", "max_pool2d", "maxout", "mse_loss", "nll_loss", "one_hot", "pad", "prelu", "relu", "sigmoid",
    "silu", "smooth_l1_loss", "softmax", "softplus", "tanh",
]



def _implicit_dim(input: Any, dim: int | None, name: str) -> int:
    if dim is not None:
        return dim
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as "
                  "an argument.", UserWarning, stacklevel=3)
    return 0 if input.ndim in (0, 1, 3) else 1  # PyTorch's legacy rule


def softmax(input: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Any:
    """exp(x) / sum(exp(x)) along ``dim`` (input cast to ``dtype`` first; no dim: PyTorch's deprecated guess)."""
    d = _implicit_dim(input, dim, "softmax")
    return _sm.softmax(input if dtype is None else input.to(dtype), d)


def log_softmax(input: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Any:
    """x - logsumexp(x) along ``dim`` (input cast to ``dtype`` first; no dim: PyTorch's deprecated guess)."""
    d = _implicit_dim(input, dim, "log_softmax")
    return _sm.log_softmax(input if dtype is None else input.to(dtype), d)


# Later families keep their functional ops in their own modules, each with its own __all__.
from . import _functional_attention, _functional_extra, _functional_layers, _functional_ops  # noqa: E402
from ._functional_attention import *  # noqa: E402, F403
from ._functional_extra import *  # noqa: E402, F403
from ._functional_layers import *  # noqa: E402, F403
from ._functional_ops import *  # noqa: E402, F403

__all__ += (_functional_attention.__all__ + _functional_layers.__all__ + _functional_ops.__all__
            + _functional_extra.__all__)
