"""``autograd_core.nn``: modules, layers and losses (the nn/optim issue); ``functional`` is usable now."""

from . import functional

__all__ = ["functional"]
