"""PyTorch's module path for OneHotCategorical (``torch.distributions.one_hot_categorical``); the class lives
with Categorical in categorical.py."""

from __future__ import annotations

from .categorical import OneHotCategorical

__all__ = ["OneHotCategorical"]
