"""Grad mode: whether new operations are recorded in the graph (thread-local, like PyTorch)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _State(threading.local):
    # Class attributes are the defaults every new thread starts from: each thread
    # sees its own copy once it assigns, so grad mode never leaks between threads.
    grad_enabled = True
    anomaly = False
    anomaly_check_nan = True


STATE = _State()

# How many threads have anomaly mode on: the per-op hot path reads this plain global and
# consults the (slower) thread-local state only when it is non-zero.
ANOMALY_THREADS = 0
_lock = threading.Lock()


def set_anomaly(mode: bool, check_nan: bool = True) -> None:
    """Switch anomaly mode for the calling thread."""
    global ANOMALY_THREADS
    mode = bool(mode)
    with _lock:
        if mode and not STATE.anomaly:
            ANOMALY_THREADS += 1
        elif not mode and STATE.anomaly:
            ANOMALY_THREADS -= 1
        STATE.anomaly = mode
    STATE.anomaly_check_nan = bool(check_nan)


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad are being recorded."""
    return STATE.grad_enabled


class _GradModeContext:
    """Base for context managers that are also decorators."""

    _mode: bool

    def __call__(self, func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__._clone(self):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    def _clone(self) -> _GradModeContext:
        return self.__class__()

    def __enter__(self) -> None:
        self._prev = STATE.grad_enabled
        STATE.grad_enabled = self._mode

    def __exit__(self, *exc: object) -> None:
        STATE.grad_enabled = self._prev


class no_grad(_GradModeContext):
    """Context manager / decorator that disables graph recording (outputs have requires_grad=False)."""

    _mode = False


class enable_grad(_GradModeContext):
    """Context manager / decorator that re-enables graph recording inside a no_grad block."""

    _mode = True


class set_grad_enabled(_GradModeContext):
    """Set grad mode on or off; works as a function, a context manager and a decorator.

    Like PyTorch, calling ``set_grad_enabled(False)`` as a plain function switches the mode
    immediately; using it in a ``with`` block restores the previous mode on exit.
    """

    def __init__(self, mode: bool) -> None:
        self._mode = bool(mode)
        self._prev = STATE.grad_enabled
        STATE.grad_enabled = self._mode

    def __call__(self, func: F) -> F:
        # Used as a decorator: undo the switch __init__ made at decoration time.
        STATE.grad_enabled = self._prev
        return super().__call__(func)

    def _clone(self) -> set_grad_enabled:
        obj = object.__new__(set_grad_enabled)
        obj._mode = self._mode
        return obj

    def __enter__(self) -> None:
        # Clones made by the decorator have no _prev yet; __init__ already recorded it otherwise.
        if not hasattr(self, "_prev"):
            self._prev = STATE.grad_enabled
        STATE.grad_enabled = self._mode

    def __exit__(self, *exc: object) -> None:
        STATE.grad_enabled = self._prev
