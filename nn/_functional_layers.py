"""Functional forms of the conv, pooling, normalisation and dropout layers beyond the 2-d core ones."""

from __future__ import annotations

__all__: list[str] = []
