"""Fuzzer registry entries for the surface family (being filled)."""

from __future__ import annotations

EXCLUDED_API: dict[str, str] = {}
