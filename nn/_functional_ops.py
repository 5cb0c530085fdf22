"""Functional ops: activations, padding modes, resampling, attention, distances."""

from __future__ import annotations

__all__: list[str] = []
