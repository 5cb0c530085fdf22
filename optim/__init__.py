"""``autograd_core.optim``: optimisers and learning-rate schedulers with PyTorch's names, defaults and formulas."""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .early_stopping import EarlyStopping
from .newton import Newton
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "EarlyStopping", "Newton", "Optimizer", "RMSprop", "lr_scheduler"]
