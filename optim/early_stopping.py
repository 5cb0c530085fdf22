"""Early stopping: stop when a validation metric has not improved for ``patience`` checks."""

from __future__ import annotations

import copy
import math
from typing import Any


class EarlyStopping:
    """``step(metric, model)`` returns True when training should stop; the best state dict is kept.

    ``min_delta`` is the smallest change that counts as an improvement; with ``restore_best`` the
    model gets its best weights back when stopping (or on ``restore(model)``).
    """

    def __init__(self, patience: int = 5, min_delta: float = 0.0, mode: str = "min", restore_best: bool = True) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' or 'max', got {mode!r}")
        if patience < 0 or min_delta < 0:
            raise ValueError(f"EarlyStopping: patience ({patience}) and min_delta ({min_delta}) must be >= 0")
        self.patience, self.min_delta, self.mode, self.restore_best = patience, min_delta, mode, restore_best
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch = -1
        self.bad_epochs = 0
        self.epoch = -1
        self.best_state: dict | None = None
        self.stopped = False

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def step(self, metric: Any, model: Any = None) -> bool:
        value = float(metric.item() if hasattr(metric, "item") else metric)
        self.epoch += 1
        if self._improved(value):
            self.best, self.best_epoch, self.bad_epochs = value, self.epoch, 0
            if model is not None:
                self.best_state = copy.deepcopy(model.state_dict())
        else:
            self.bad_epochs += 1
        self.stopped = self.bad_epochs > self.patience
        if self.stopped and self.restore_best and model is not None:
            self.restore(model)
        return self.stopped

    def restore(self, model: Any) -> None:
        """Load the best state dict seen so far into ``model``."""
        if self.best_state is None:
            raise RuntimeError("EarlyStopping.restore: no state recorded yet; pass the model to step(metric, model)")
        model.load_state_dict(self.best_state)
