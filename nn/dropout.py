"""Dropout: elementwise, channel-wise (1-d to 3-d) and alpha dropout (for SELU networks)."""

from __future__ import annotations

from autograd_core import Tensor

from . import functional as F
from .module import Module

__all__ = ["AlphaDropout", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "FeatureAlphaDropout"]


class _DropoutNd(Module):
    _fn = "dropout"

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input: Tensor) -> Tensor:
        return getattr(F, self._fn)(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Inverted dropout in training mode (zero with probability p, scale by 1/(1-p)); identity in eval."""

    _fn = "dropout"


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) with probability p (scale the rest by 1/(1-p)) in training mode."""

    _fn = "dropout1d"


class Dropout2d(_DropoutNd):
    """Zero whole channels of (N, C, H, W) with probability p (scale the rest by 1/(1-p)) in training mode."""

    _fn = "dropout2d"


class Dropout3d(_DropoutNd):
    """Zero whole channels of (N, C, D, H, W) with probability p (scale the rest by 1/(1-p)) in training mode."""

    _fn = "dropout3d"


class AlphaDropout(_DropoutNd):
    """Alpha dropout: keeps zero mean and unit variance of SELU activations in training mode."""

    _fn = "alpha_dropout"


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels in training mode."""

    _fn = "feature_alpha_dropout"
