"""(family skeleton: filled in by the statistics family work)."""

from __future__ import annotations

from typing import Any

__all__: list[str] = []  # public functions (autograd_core.<name>)
METHODS: dict[str, Any] = {}  # Tensor methods
