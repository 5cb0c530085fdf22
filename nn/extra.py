"""(skeleton: layers filled in by the nn-breadth work)."""

from __future__ import annotations

__all__: list[str] = []
