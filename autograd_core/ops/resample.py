"""Resampling: interpolate (nearest, linear, bilinear, bicubic), pixel_shuffle, unfold/fold (im2col)."""

from __future__ import annotations

from typing import Any

__all__: list[str] = []  # public functions (autograd_core.<name>)

METHODS: dict[str, Any] = {}  # Tensor methods
