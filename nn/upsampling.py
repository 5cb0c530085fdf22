"""Resampling layers: Upsample, UpsamplingNearest2d, UpsamplingBilinear2d, PixelShuffle, PixelUnshuffle, Fold, Unfold
(im2col)."""

from __future__ import annotations

__all__: list[str] = []
