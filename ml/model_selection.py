"""k-fold cross-validation (course seed 001): train on k-1 folds, validate on the held-out one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._base import take_rows
from .metrics import accuracy_score


def k_fold(n: int, k: int = 5, shuffle: bool = False, seed: int | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train_idx, val_idx) per fold; the first n % k folds get one extra sample (scikit-learn's KFold layout)."""
    if not 2 <= k <= n:
        raise ValueError(f"k_fold: k must be between 2 and n_samples={n}, got k={k}")
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    sizes = np.full(k, n // k)
    sizes[: n % k] += 1
    folds, start = [], 0
    for s in sizes:
        val = order[start:start + s]
        train = np.concatenate([order[:start], order[start + s:]])
        folds.append((train, val))
        start += s
    return folds


def cross_val_score(make_estimator: Callable[[], Any], X: Any, y: Any, k: int = 5,
                    scoring: Callable[[Any, Any], float] = accuracy_score, shuffle: bool = False,
                    seed: int | None = None) -> np.ndarray:
    """scoring(y_val, estimator.predict(X_val)) for each of the k folds."""
    scores = []
    for train, val in k_fold(len(X), k, shuffle, seed):
        est = make_estimator().fit(take_rows(X, train), take_rows(y, train))
        pred = est.predict(take_rows(X, val))
        scores.append(scoring(take_rows(y, val), pred))
    return np.asarray(scores, dtype=np.float64)
