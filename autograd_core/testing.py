"""``torch.testing``: ``assert_close`` with PyTorch's default tolerances per dtype, and ``make_tensor``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._creation import generator
from ._device import check_device
from ._tensor import Tensor, _make

# PyTorch's defaults (rtol, atol) by dtype; integers and bools compare exactly
_TOLERANCES = {np.dtype(np.float16): (1e-3, 1e-5), np.dtype(np.float32): (1.3e-6, 1e-5),
               np.dtype(np.float64): (1e-7, 1e-7), np.dtype(np.complex64): (1.3e-6, 1e-5),
               np.dtype(np.complex128): (1e-7, 1e-7)}


def _tols(a: np.dtype, b: np.dtype) -> tuple[float, float]:
    ta, tb = _TOLERANCES.get(a, (0.0, 0.0)), _TOLERANCES.get(b, (0.0, 0.0))
    return max(ta[0], tb[0]), max(ta[1], tb[1])


def _compare(actual: Any, expected: Any, rtol: float | None, atol: float | None, equal_nan: bool,
             check_dtype: bool, path: str, msg: Any) -> None:
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping) or set(actual) != set(expected):
            raise AssertionError(f"The keys of the mappings do not match{path}: {sorted(actual)} != {sorted(expected)}")
        for k in expected:
            _compare(actual[k], expected[k], rtol, atol, equal_nan, check_dtype, f"{path}[{k!r}]", msg)
        return
    if isinstance(expected, Sequence) and not isinstance(expected, str) and not isinstance(actual, Tensor) and \
            isinstance(actual, Sequence) and any(isinstance(e, (Tensor, Sequence)) for e in expected):
        if len(actual) != len(expected):
            raise AssertionError(f"The length of the sequences mismatch{path}: {len(actual)} != {len(expected)}")
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, rtol, atol, equal_nan, check_dtype, f"{path}[{i}]", msg)
        return
    if isinstance(actual, Tensor) != isinstance(expected, Tensor) and check_dtype:
        raise AssertionError(f"Type mismatch{path}: {type(actual).__name__} != {type(expected).__name__} "
                             "(pass both as tensors, or check_dtype=False)")
    a = actual._data if isinstance(actual, Tensor) else np.asarray(actual)
    e = expected._data if isinstance(expected, Tensor) else np.asarray(expected)
    if a.shape != e.shape:
        raise AssertionError(f"The values for attribute 'shape' do not match{path}: {a.shape} != {e.shape}.")
    if check_dtype and a.dtype != e.dtype:
        raise AssertionError(f"The values for attribute 'dtype' do not match{path}: {a.dtype} != {e.dtype}.")
    if (rtol is None) != (atol is None):
        raise ValueError("Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"rtol={rtol} and atol={atol}")
    r, t = (rtol, atol) if rtol is not None else _tols(a.dtype, e.dtype)
    a64 = a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)
    e64 = e.astype(a64.dtype)
    ok = np.isclose(a64, e64, rtol=r, atol=t, equal_nan=equal_nan) if a.size else np.ones(0, bool)
    if not ok.all():
        bad = np.flatnonzero(~ok.ravel())
        diff = np.abs(a64 - e64).ravel()
        i = int(np.nanargmax(np.where(~ok.ravel(), diff, -np.inf)))
        rel = diff / np.abs(e64.ravel())
        text = (f"Tensor-likes are not close!{path}\n\nMismatched elements: {bad.size} / {a.size} "
                f"({100 * bad.size / a.size:.1f}%)\nGreatest absolute difference: {diff[i]} at index "
                f"{tuple(int(j) for j in np.unravel_index(i, a.shape)) if a.ndim else ()} (up to {t} allowed)\n"
                f"Greatest relative difference: {np.nanmax(np.where(~ok.ravel(), rel, -np.inf))} "
                f"(up to {r} allowed)")
        raise AssertionError(msg(text) if callable(msg) else msg or text)


def assert_close(actual: Any, expected: Any, *, allow_subclasses: bool = True, rtol: float | None = None,
                 atol: float | None = None, equal_nan: bool = False, check_device: bool = True,
                 check_dtype: bool = True, check_layout: bool = True, check_stride: bool = False,
                 msg: Any = None) -> None:
    """Raise AssertionError unless |actual - expected| <= atol + rtol * |expected| elementwise (shapes, dtypes and
    containers must match); the tolerances default to PyTorch's for the dtypes."""
    _compare(actual, expected, rtol, atol, equal_nan, check_dtype, "", msg)


def make_tensor(*shape: Any, dtype: Any, device: Any, low: float | None = None, high: float | None = None,
                requires_grad: bool = False, noncontiguous: bool = False, exclude_zero: bool = False,
                memory_format: Any = None) -> Tensor:
    """A random tensor: floats uniform in [low, high) (default [-9, 9)), integers in [low, high) (default
    [-9, 10)), bools fair coin flips."""
    check_device(device, "make_tensor")
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    dt = np.dtype(dtype)
    rng = generator()
    if dt.kind == "b":
        arr = rng.random(shape) < 0.5
    elif dt.kind in "iu":
        lo = int(low if low is not None else (0 if dt.kind == "u" else -9))
        arr = rng.integers(lo, int(high if high is not None else 10), shape).astype(dt)
    else:
        arr = rng.uniform(-9.0 if low is None else low, 9.0 if high is None else high, shape).astype(dt)
    if exclude_zero:
        arr[arr == 0] = 1 if dt.kind in "iub" else np.finfo(dt).eps
    t = _make(arr, None, False)
    if requires_grad:
        t.requires_grad_()
    return t
