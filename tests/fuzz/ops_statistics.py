"""Fuzzer registry entries for the statistics family (skeleton)."""

from __future__ import annotations

EXCLUDED_API: dict[str, str] = {}
