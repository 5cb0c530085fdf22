"""dtypes: numpy dtype objects under PyTorch's names, and the default float dtype."""

from __future__ import annotations

from typing import Any

import numpy as np

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
complex64 = np.dtype(np.complex64)
complex128 = np.dtype(np.complex128)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)
# PyTorch's aliases (they shadow builtins, so they are only bound in the package namespace).
DTYPE_ALIASES = {"half": float16, "float": float32, "double": float64, "short": int16, "int": int32,
                 "long": int64, "bool": bool_, "cfloat": complex64, "cdouble": complex128}

_default_float = float32  # read by Tensor() and the factories


def as_dtype(dtype: Any, op: str) -> np.dtype:
    """``dtype=`` as given to a factory or a conversion: a dtype object (ag.float32, or numpy's), never a string,
    which PyTorch refuses (``zeros(2, dtype="float32")`` is a TypeError there; here it would silently work and
    then fail under PyTorch)."""
    if isinstance(dtype, str):
        fix = f"ag.{dtype}" if dtype in globals() or dtype in DTYPE_ALIASES else "a dtype such as ag.float32"
        raise TypeError(f"{op}(): argument 'dtype' must be a dtype, not str ({dtype!r}); pass {fix}")
    return np.dtype(dtype)


def set_default_dtype(dtype: Any) -> None:
    """Float dtype for Python floats and for rand/randn/zeros... (float32 unless changed)."""
    global _default_float
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"only floating-point types are supported as the default type (got {dt.name})")
    _default_float = dt


def get_default_dtype() -> np.dtype:
    return _default_float
