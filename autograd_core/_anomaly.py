"""Anomaly detection: find the op that first produced nan/inf, and where it was created."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

from . import _grad_mode

_STATE = _grad_mode.STATE


def is_anomaly_enabled() -> bool:
    return _STATE.anomaly


class set_detect_anomaly:  # noqa: N801  (PyTorch's name)
    """Switch anomaly mode on or off for this thread; as a context manager, restore the previous mode on exit."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._prev = (_STATE.anomaly, _STATE.anomaly_check_nan)
        if mode:
            _warn()
        _grad_mode.set_anomaly(mode, check_nan)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        _grad_mode.set_anomaly(*self._prev)


def _warn() -> None:
    warnings.warn(
        "Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
        "enabled for debugging.",
        UserWarning,
        stacklevel=3,
    )


class detect_anomaly:
    """Context manager / decorator for anomaly mode.

    While active, every recorded op keeps the stack where it was created; a forward op whose
    output becomes nan/inf from finite inputs raises at once, naming the op; a backward node
    that returns nan raises ``Function 'XBackward' returned nan values in its 0th output``
    together with the forward stack of that node; any error raised inside a backward node is
    re-raised with that stack.
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self) -> None:
        _warn()
        self._prev = (_STATE.anomaly, _STATE.anomaly_check_nan)
        _grad_mode.set_anomaly(True, self.check_nan)

    def __exit__(self, *exc: object) -> None:
        _grad_mode.set_anomaly(*self._prev)

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with detect_anomaly(self.check_nan):
                return func(*args, **kwargs)

        return wrapper
