"""Special functions numpy lacks (erf), elementwise, as a numba kernel and a numpy twin."""

from __future__ import annotations

import math

import numpy as np

from ._cache import cached_njit


@cached_njit(error_model="numpy")
def _erf_numba(xf, of):
    for i in range(xf.size):
        of[i] = math.erf(xf[i])


def erf_numba(x: np.ndarray) -> np.ndarray:
    x = x if x.flags.c_contiguous else x.copy()  # (np.ascontiguousarray would make a 0-d array 1-d)
    out = np.empty_like(x)
    _erf_numba(x.reshape(-1), out.reshape(-1))  # flat views (0-d arrays included) write into out
    return out


_erf_vec = np.vectorize(math.erf, otypes=[np.float64])


def erf_reference(x: np.ndarray) -> np.ndarray:
    return np.asarray(_erf_vec(x), dtype=x.dtype)


NUMBA = {"erf": erf_numba}
REFERENCE = {"erf": erf_reference}
