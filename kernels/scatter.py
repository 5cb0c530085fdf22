"""Scatter-add of whole rows: ``out[idx[k]] += g[k]`` for every k, repeated indices accumulating.

The backward of indexing a table by one integer array (``weight[idx]``: embeddings, ``x[perm]``). numpy's
``np.add.at`` takes the general path for it, ~50 ns an element (an embedding of 700 lookups of 128
features: 0.4 ms); the compiled loop adds each row as one vectorised run (~20 us). Indices must be in
``[-rows, rows)`` (negative ones count from the end, as in the forward's indexing): the caller has checked.
"""

from __future__ import annotations

import numpy as np
from numba import uint64

from ._cache import cached_njit


@cached_njit(error_model="numpy")
def _add_rows(out, idx, g, rows, width):
    for k in range(idx.size):
        i = idx[k]
        if i < 0:
            i += rows
        o, s = uint64(i) * uint64(width), uint64(k) * uint64(width)
        for j in range(uint64(width)):
            out[o + j] += g[s + j]


def index_add_rows_numba(out: np.ndarray, idx: np.ndarray, g: np.ndarray) -> None:
    """out[idx[k]] += g[k] in place; out (rows, ...) and g (len(idx), ...) C-contiguous, one float dtype."""
    rows = out.shape[0]
    width = out.size // rows if rows else 0
    if out.dtype != g.dtype or not (out.flags.c_contiguous and g.flags.c_contiguous) or out.dtype.kind != "f":
        np.add.at(out, idx, g)
        return
    _add_rows(out.reshape(-1), idx.reshape(-1), g.reshape(-1), rows, width)


def index_add_rows_reference(out: np.ndarray, idx: np.ndarray, g: np.ndarray) -> None:
    """out[idx[k]] += g[k] in place with numpy's unbuffered add."""
    np.add.at(out, idx, g)


NUMBA = {"index_add_rows": index_add_rows_numba}
REFERENCE = {"index_add_rows": index_add_rows_reference}
