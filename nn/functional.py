"""``autograd_core.nn.functional``: PyTorch's functional API on autograd_core tensors.

Convolution and pooling come from the kernels issue; losses, dropout, batch_norm and the
layer modules come with the nn/optim issue.
"""

from __future__ import annotations

from autograd_core.ops.activation import elu, hardtanh, leaky_relu, relu, softplus
from autograd_core.ops.conv import conv2d, conv_transpose2d
from autograd_core.ops.norm import batch_norm, dropout
from autograd_core.ops.pool import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from autograd_core.ops.shape import pad
from autograd_core.ops.softmax import log_softmax, softmax
from autograd_core.ops.unary import sigmoid, tanh

__all__ = [
    "adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "conv2d", "conv_transpose2d", "dropout", "elu",
    "hardtanh", "leaky_relu", "log_softmax", "max_pool2d", "pad", "relu", "sigmoid", "softmax", "softplus", "tanh",
]
