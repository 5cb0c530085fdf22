"""The one array check every numba kernel wrapper makes before calling compiled code."""

from __future__ import annotations

import numpy as np


def kernel_array(a: np.ndarray, kernel: str) -> np.ndarray:
    """``a`` as a C-contiguous float32/float64 array in native byte order (no copy when it already is).

    The compiled kernels are typed for exactly those two dtypes: anything else (float16, integers, a
    big-endian ``>f4`` array read from a file) would reach numba and fail there with a TypingError that
    names neither the kernel nor the fix. Big-endian input is byte-swapped (same values); other dtypes
    raise here. The autograd_core ops compute float16 in float32 before they get this far."""
    dt = a.dtype
    if dt.kind != "f" or dt.itemsize not in (4, 8):
        raise TypeError(f"kernels.{kernel}: the numba kernels take float32 or float64 arrays, got {dt}; "
                        "convert first (e.g. a.astype(np.float32))")
    if not dt.isnative:
        return np.ascontiguousarray(a, dtype=dt.newbyteorder("="))
    return np.ascontiguousarray(a)
