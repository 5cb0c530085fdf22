"""Fuzzer registry entries for nn.functional ops (activations, padding modes, interpolation, attention, ...)."""

from __future__ import annotations

from typing import Any  # noqa: F401

from .ops import float_arg, isf, lit, reg  # noqa: F401
