"""Op-table rows for the surface family (being filled)."""

from __future__ import annotations
