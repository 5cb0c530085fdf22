"""``torch.amp`` names for CPU programs: ``autocast`` runs its block in full precision, ``GradScaler`` scales by 1.

Mixed precision is a speed tool of GPUs; numpy has no bfloat16 and float16 arithmetic is slower than float32 on
these CPUs. So code written for AMP runs here unchanged and computes in the tensors' own dtypes: ``autocast``
only records that it is active, and a ``GradScaler`` (enabled or not) behaves as a disabled one does in PyTorch.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

_ACTIVE = [0]


class autocast:  # noqa: N801  (PyTorch's name)
    """A context manager / decorator that changes no dtype here (see the module docstring)."""

    def __init__(self, device_type: str = "cpu", dtype: Any = None, enabled: bool = True,
                 cache_enabled: bool | None = None) -> None:
        self.device_type, self.fast_dtype, self.enabled = device_type, dtype, bool(enabled)

    def __enter__(self) -> autocast:
        _ACTIVE.append(self.enabled)
        return self

    def __exit__(self, *exc: Any) -> None:
        _ACTIVE.pop()

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with autocast(self.device_type, self.fast_dtype, self.enabled):
                return func(*args, **kwargs)

        return wrapper


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Whether an enabled ``autocast`` block is active (it changes no dtype here)."""
    return bool(_ACTIVE[-1])


class GradScaler:
    """PyTorch's loss scaler with a scale of 1: ``scale(loss)`` is the loss, ``step(opt)`` is ``opt.step()``."""

    def __init__(self, device: str = "cpu", init_scale: float = 2.0**16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000, enabled: bool = True) -> None:
        self._enabled = False  # float32 gradients do not underflow: nothing to scale

    def is_enabled(self) -> bool:
        return self._enabled

    def scale(self, outputs: Any) -> Any:
        return outputs

    def unscale_(self, optimizer: Any) -> None:
        return None

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale: Any = None) -> None:
        return None

    def get_scale(self) -> float:
        return 1.0

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state_dict: dict) -> None:
        return None
