"""Sorting and selection: sort, argsort, topk, kthvalue, median, mode, unique, searchsorted."""

from __future__ import annotations

from typing import Any

__all__: list[str] = []  # public functions (autograd_core.<name>)

METHODS: dict[str, Any] = {}  # Tensor methods
