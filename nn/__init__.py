"""``autograd_core.nn``: modules, layers, losses and initialisers with PyTorch's names and defaults.

Port PyTorch code by changing ``import torch.nn as nn`` to ``import autograd_core.nn as nn``.
"""

from . import functional, init, utils
from .activation import (
    ELU,
    GELU,
    AbsRectify,
    Hardtanh,
    LeakyReLU,
    LogSoftmax,
    Maxout,
    PReLU,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from .container import ModuleDict, ModuleList, Sequential
from .conv import Conv2d, ConvTranspose2d
from .dropout import Dropout
from .linear import Embedding, Flatten, Identity, Linear, Unflatten
from .loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from .module import Module, RemovableHandle
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .parameter import Parameter
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d

__all__ = [n for n in dir() if not n.startswith("_")]
