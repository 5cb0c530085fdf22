"""Fuzzer registry entries for scaled_dot_product_attention and the attention/recurrent layers' functional forms."""

from __future__ import annotations

from typing import Any  # noqa: F401

from .ops import float_arg, isf, lit, reg  # noqa: F401
