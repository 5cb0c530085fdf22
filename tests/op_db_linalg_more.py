"""Op-table rows for the linalg_more family (being filled)."""

from __future__ import annotations
