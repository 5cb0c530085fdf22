"""``autograd_core.nn``: modules, layers, losses and initialisers with PyTorch's names and defaults.

Port PyTorch code by changing ``import torch.nn as nn`` to ``import autograd_core.nn as nn``.
Each layer family module declares its public names in ``__all__``.
"""

from . import functional, init, parallel, utils
from .activation import *  # noqa: F403
from .attention import *  # noqa: F403
from .container import *  # noqa: F403
from .conv import *  # noqa: F403
from .distance import *  # noqa: F403
from .dropout import *  # noqa: F403
from .extra import *  # noqa: F403
from .lazy import *  # noqa: F403
from .linear import *  # noqa: F403
from .loss import *  # noqa: F403
from .module import *  # noqa: F403
from .normalization import *  # noqa: F403
from .padding import *  # noqa: F403
from .parameter import *  # noqa: F403
from .pooling import *  # noqa: F403
from .rnn import *  # noqa: F403
from .transformer import *  # noqa: F403
from .upsampling import *  # noqa: F403

__all__ = [n for n in dir() if not n.startswith("_")]

from . import modules  # noqa: E402  (torch.nn.modules paths; after __all__, which it reads)
