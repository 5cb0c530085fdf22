"""Fuzzer registry entries for the linalg_more family (being filled)."""

from __future__ import annotations

EXCLUDED_API: dict[str, str] = {}
