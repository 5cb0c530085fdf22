"""``autograd_core.nn.functional``: PyTorch's functional API on autograd_core tensors.

Convolution, pooling, batch_norm and dropout are kernel-backed ops from ``autograd_core.ops``;
the activations and losses below them are compositions of core ops (see ``_activations`` and
``_losses``), so their gradients of every order come from the op table's rules.
"""

from __future__ import annotations

from autograd_core.ops.activation import elu, hardtanh, leaky_relu, relu, softplus
from autograd_core.ops.conv import conv2d, conv_transpose2d
from autograd_core.ops.linear import linear
from autograd_core.ops.norm import batch_norm, dropout
from autograd_core.ops.pool import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from autograd_core.ops.shape import pad
from autograd_core.ops.softmax import log_softmax, softmax
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

# Later families keep their functional ops in their own modules, each with its own __all__.
from . import _functional_attention, _functional_layers, _functional_ops  # noqa: E402
from ._functional_attention import *  # noqa: E402, F403
from ._functional_layers import *  # noqa: E402, F403
from ._functional_ops import *  # noqa: E402, F403

__all__ += _functional_attention.__all__ + _functional_layers.__all__ + _functional_ops.__all__
