"""Fuzzer registry entries for elementwise math ops (trig, rounding, binary math)."""

from __future__ import annotations

from typing import Any  # noqa: F401

from .ops import float_arg, isf, lit, reg  # noqa: F401
