"""Scatter, index and masked ops: scatter, scatter_add, scatter_reduce, index_select, index_add, masked_select,
take_along_dim."""

from __future__ import annotations

from typing import Any

__all__: list[str] = []  # public functions (autograd_core.<name>)

METHODS: dict[str, Any] = {}  # Tensor methods
