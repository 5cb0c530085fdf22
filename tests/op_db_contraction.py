"""Op-table rows for the contraction family (skeleton)."""

from __future__ import annotations
