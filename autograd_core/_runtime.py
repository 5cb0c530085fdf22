"""Process-wide switches PyTorch programs call on their first lines: threads, print options, inference mode,
determinism, ``compile``, ``Size``. Each does what it can on a numpy/numba CPU engine and nothing surprising.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._grad_mode import STATE, _GradModeContext

_DETERMINISTIC = [False]
_MATMUL_PRECISION = ["highest"]


class Size(tuple):
    """A shape: a tuple of ints (PyTorch's ``torch.Size``), equal to the plain tuple with the same entries."""

    def __new__(cls, sizes: Any = ()) -> Size:
        return super().__new__(cls, (int(s) for s in sizes))

    def __repr__(self) -> str:
        return f"autograd_core.Size({list(self)})"

    def numel(self) -> int:
        return int(np.prod(self, dtype=np.int64))


class inference_mode(_GradModeContext):  # noqa: N801  (PyTorch's name)
    """``no_grad`` under PyTorch's newer name: a context manager or decorator; ``inference_mode(False)`` is a no-op."""

    def __init__(self, mode: bool = True) -> None:
        # inference_mode(False) leaves the grad mode as it is
        self._mode = False if mode else STATE.grad_enabled

    def _clone(self) -> inference_mode:
        obj = object.__new__(inference_mode)
        obj._mode = self._mode
        return obj


def is_inference_mode_enabled() -> bool:
    """Whether grad recording is off (inference mode and no_grad are one mode here)."""
    return not STATE.grad_enabled


def set_num_threads(n: int) -> None:
    """Threads for numba's parallel kernels (BLAS keeps its own pool; see OPENBLAS_NUM_THREADS)."""
    if int(n) < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {n}")
    import numba

    numba.set_num_threads(min(int(n), numba.config.NUMBA_NUM_THREADS))


def get_num_threads() -> int:
    """Threads numba's parallel kernels use."""
    import numba

    return int(numba.get_num_threads())


def set_num_interop_threads(n: int) -> None:
    """Accepted for compatibility: there is no inter-op thread pool."""
    if int(n) < 1:
        raise RuntimeError(f"set_num_interop_threads expects a positive integer, got {n}")


def get_num_interop_threads() -> int:
    return 1


# read by Tensor.__repr__ (PyTorch's defaults); set_printoptions changes these, never numpy's own options
PRINT_OPTIONS: dict[str, Any] = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}
_PROFILES = {"default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
             "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
             "full": dict(precision=4, threshold=np.inf, edgeitems=3, linewidth=80)}


def set_printoptions(precision: int | None = None, threshold: float | None = None, edgeitems: int | None = None,
                     linewidth: int | None = None, profile: str | None = None, sci_mode: bool | None = None) -> None:
    """How tensors print: PyTorch's keywords and profiles ('default', 'short', 'full')."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: unknown profile {profile!r} (use 'default', 'short' or 'full')")
        PRINT_OPTIONS.update(_PROFILES[profile])
    for k, v in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                 ("linewidth", linewidth)):
        if v is not None:
            PRINT_OPTIONS[k] = v
    PRINT_OPTIONS["sci_mode"] = sci_mode


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Recorded only: every kernel here is deterministic already."""
    _DETERMINISTIC[0] = bool(mode)


def are_deterministic_algorithms_enabled() -> bool:
    return _DETERMINISTIC[0]


def set_float32_matmul_precision(precision: str) -> None:
    """Recorded only: float32 matmuls run at full precision on the CPU."""
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"Invalid precision {precision!r}: expected 'highest', 'high' or 'medium'")
    _MATMUL_PRECISION[0] = precision


def get_float32_matmul_precision() -> str:
    return _MATMUL_PRECISION[0]


def compile(model: Callable | None = None, **kwargs: Any) -> Any:  # noqa: A001  (PyTorch's name)
    """``torch.compile``: returns the function or module unchanged (eager execution is the only mode here)."""
    if model is None:  # used as @compile(mode=...)
        return lambda m: m
    return model


def finfo(dtype: Any = None) -> np.finfo:
    """Machine limits of a float dtype (eps, max, min, tiny, resolution, bits); the default dtype when None."""
    from . import _dtypes

    dt = np.dtype(_dtypes._default_float if dtype is None else dtype)
    if dt.kind not in "fc":
        raise TypeError(f"torch.finfo() requires a floating point input type, got {dt.name}; use iinfo for integers")
    return np.finfo(dt)


def iinfo(dtype: Any) -> np.iinfo:
    """Machine limits of an integer dtype (max, min, bits)."""
    dt = np.dtype(dtype)
    if dt.kind not in "iub":
        raise TypeError(f"torch.iinfo() requires an integer input type, got {dt.name}; use finfo for floats")
    return np.iinfo(np.uint8 if dt.kind == "b" else dt)


def set_default_device(device: Any) -> None:
    """Only the CPU exists: "cpu" (or None) is accepted, any other device is a RuntimeError."""
    from ._device import check_device

    check_device(device, "set_default_device")


def get_default_device() -> Any:
    from ._device import CPU

    return CPU


def is_complex(input: Any) -> bool:  # noqa: A002  (PyTorch's name)
    """Whether input's dtype is complex."""
    return input.dtype.kind == "c"
