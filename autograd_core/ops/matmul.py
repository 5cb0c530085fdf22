"""The matmul family's declarations: mm, bmm, mv, addmm, baddbmm, addmv, dot, cdist (defined in ops/linalg.py).

ops/linalg.py holds the ops; autograd_core/linalg.py is the ag.linalg namespace built on them. The declarations
live in this file, which nothing imports, so binding them creates no import cycle.
"""

from __future__ import annotations

from typing import Any

from .linalg import addmm, addmv, baddbmm, bmm, cdist, dot, mm, mv

__all__ = ["mm", "bmm", "mv", "addmm", "baddbmm", "addmv", "dot", "cdist"]

METHODS: dict[str, Any] = {"mm": mm, "bmm": bmm, "mv": mv, "addmm": addmm, "baddbmm": baddbmm, "addmv": addmv,
                           "dot": dot}
