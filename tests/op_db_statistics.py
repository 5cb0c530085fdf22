"""Op-table rows for the statistics family (skeleton)."""

from __future__ import annotations
