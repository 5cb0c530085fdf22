"""PyTorch's top-level linear-algebra names (``torch.svd``, ``torch.qr``, ``torch.lu``, ...) (being filled)."""

from __future__ import annotations

__all__: list[str] = []
