"""Input conversion shared by the estimators, and the classifier ``score``."""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor


def as_matrix(x: Any, name: str = "X") -> Tensor:
    """A float Tensor of shape (n, d); 1-D input is one feature per sample, as a column."""
    t = x if isinstance(x, Tensor) else ag.tensor(np.asarray(x, dtype=np.float64))
    if t.dtype.kind != "f":
        t = t.double()
    if t.ndim == 1:
        t = t.unsqueeze(1)
    if t.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (n_samples, n_features), got shape {list(t.shape)}")
    return t


def as_target(y: Any, n: int, name: str = "y") -> Tensor:
    """Regression targets as a float Tensor with n rows."""
    t = y if isinstance(y, Tensor) else ag.tensor(np.asarray(y, dtype=np.float64))
    if t.dtype.kind != "f":
        t = t.double()
    if t.shape[0] != n:
        raise ValueError(f"{name} has {t.shape[0]} rows but X has {n} samples")
    return t


def as_labels(y: Any) -> np.ndarray:
    """Class labels as a flat ndarray."""
    return np.asarray(y._data if isinstance(y, Tensor) else y).reshape(-1)


def take_rows(a: Any, idx: np.ndarray) -> Any:
    """a[idx] for arrays, lists and Tensors alike."""
    return a[ag.tensor(idx)] if isinstance(a, Tensor) else np.asarray(a)[idx]


class ClassifierMixin:
    """``score``: mean accuracy of ``predict`` (scikit-learn's classifier score)."""

    def score(self, X: Any, y: Any) -> float:
        return float(np.mean(self.predict(X) == as_labels(y)))  # type: ignore[attr-defined]
