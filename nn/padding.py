"""Padding layers: ReflectionPad*, ReplicationPad*, ZeroPad*, ConstantPad*, CircularPad*."""

from __future__ import annotations

__all__: list[str] = []
