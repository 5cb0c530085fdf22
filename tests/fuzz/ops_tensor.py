"""Fuzzer registry entries for reductions, scans, sorting, scatter/index, shape and comparison ops."""

from __future__ import annotations

from typing import Any  # noqa: F401

from .ops import float_arg, isf, lit, reg  # noqa: F401
