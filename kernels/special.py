"""Special functions numpy lacks (erf), elementwise, as a numba kernel and a numpy twin."""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, error_model="numpy")
def _erf_numba(x, out):
    xf = x.ravel()
    of = out.ravel()
    for i in range(xf.size):
        of[i] = math.erf(xf[i])
    return out


def erf_numba(x: np.ndarray) -> np.ndarray:
    x = np.ascontiguousarray(x)
    return _erf_numba(x, np.empty_like(x))


_erf_vec = np.vectorize(math.erf, otypes=[np.float64])


def erf_reference(x: np.ndarray) -> np.ndarray:
    return np.asarray(_erf_vec(x), dtype=x.dtype)


NUMBA = {"erf": erf_numba}
REFERENCE = {"erf": erf_reference}
