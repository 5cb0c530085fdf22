"""Fuzzer registry entries for the contraction family (skeleton)."""

from __future__ import annotations

EXCLUDED_API: dict[str, str] = {}
