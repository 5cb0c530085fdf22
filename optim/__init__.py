"""``autograd_core.optim``: optimisers and learning-rate schedulers with PyTorch's names, defaults and formulas."""

from . import lr_scheduler, swa_utils
from .adadelta import Adadelta
from .adafactor import Adafactor
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .asgd import ASGD
from .early_stopping import EarlyStopping
from .lbfgs import LBFGS
from .nadam import NAdam
from .newton import Newton
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = ["ASGD", "LBFGS", "SGD", "Adadelta", "Adafactor", "Adagrad", "Adam", "AdamW", "Adamax", "EarlyStopping",
           "NAdam", "Newton", "Optimizer", "RAdam", "RMSprop", "Rprop", "lr_scheduler"]
