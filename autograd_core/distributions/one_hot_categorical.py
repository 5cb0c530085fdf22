"""PyTorch's module path for OneHotCategorical (``torch.distributions.one_hot_categorical``; the class lives
with Categorical in categorical.py) and its straight-through variant."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from .categorical import OneHotCategorical

__all__ = ["OneHotCategorical", "OneHotCategoricalStraightThrough"]


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """A OneHotCategorical whose ``rsample`` is the one-hot draw in the forward pass with the gradient of
    ``probs`` in the backward pass (the straight-through estimator, Bengio et al. 2013):
    sample + (probs - probs.detach())."""

    has_rsample = True

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        samples = self.sample(sample_shape)
        probs = self._categorical.probs
        return samples + (probs - probs.detach())
