"""Sparse COO tensors: ``sparse_coo_tensor``, ``to_dense``, ``sparse.mm`` (issue 18)."""

from __future__ import annotations

from typing import Any

__all__: list[str] = []  # the names exported as autograd_core.<name>

METHODS: dict[str, Any] = {}  # Tensor methods (to_sparse, to_dense, is_sparse, ...)
