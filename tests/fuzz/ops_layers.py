"""Fuzzer registry entries for conv1d/3d, pooling 1d/3d and adaptive, group/instance/RMS norm, dropout variants."""

from __future__ import annotations

from typing import Any  # noqa: F401

from .ops import float_arg, isf, lit, reg  # noqa: F401
