"""Dimension arguments as the ops take them: shared by every family (so none imports another for it)."""

from __future__ import annotations

from typing import Any

import numpy as np


def normalize_dims(dim: Any, ndim: int, op: str) -> tuple[int, ...] | None:
    """Turn int / tuple / None into a sorted tuple of non-negative axes (None = all)."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    if len(dims) == 0:
        return None
    out = []
    n = max(ndim, 1)
    lo, hi = -n, n - 1
    for d in dims:
        d = int(d)
        if not lo <= d <= hi:
            raise IndexError(
                f"{op}: Dimension out of range (expected to be in range of [{lo}, {hi}], but got {d})"
            )
        d = d % n if ndim else 0
        if d in out:
            raise RuntimeError(f"{op}: dim {d} appears multiple times in the list of dims")
        out.append(d)
    return tuple(sorted(out)) if ndim else None
