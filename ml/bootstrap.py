"""Bootstrap confidence intervals for any fitted predictor (course seed 003: the percentile method).

For b = 1..B: draw n training examples uniformly with replacement, refit, predict at the query points;
the interval at level 90 % is given by the 5th and 95th percentiles of those B predictions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core._progress import progress as _progress

from ._base import take_rows


@dataclass
class BootstrapInterval:
    lower: np.ndarray
    upper: np.ndarray
    predictions: np.ndarray  # (B, n_query): one row per bootstrap refit
    level: float

    def covers(self, values: Any) -> np.ndarray:
        """Whether each value lies inside its interval."""
        v = np.asarray(values._data if isinstance(values, Tensor) else values)
        return (self.lower <= v) & (v <= self.upper)


def bootstrap_ci(make_estimator: Callable[[], Any], X: Any, y: Any, X_query: Any, n_boot: int = 200,
                 level: float = 0.90, seed: int | None = 0, progress: bool | None = None) -> BootstrapInterval:
    """Percentile bootstrap interval of ``make_estimator().fit(X*, y*).predict(X_query)``.

    ``make_estimator`` returns a fresh unfitted estimator with ``fit`` and ``predict`` (KernelRidge,
    LinearRegression, or anything with that interface). ``progress``: a tqdm bar over the ``n_boot`` refits
    (None: only on a terminal with tqdm installed; True/False: always/never)."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"bootstrap_ci: level must be in (0, 1), got {level} (0.90 gives the 5%/95% interval)")
    if n_boot < 2:
        raise ValueError(f"bootstrap_ci: n_boot must be at least 2, got {n_boot}")
    n = len(X)
    rng = np.random.default_rng(seed)
    preds = []
    with ag.no_grad():
        for _ in _progress(range(n_boot), desc="bootstrap", unit="refit", show=progress):
            idx = rng.integers(0, n, n)
            est = make_estimator().fit(take_rows(X, idx), take_rows(y, idx))
            p = est.predict(X_query)
            preds.append(np.asarray(p._data if isinstance(p, Tensor) else p, dtype=np.float64).reshape(-1))
    preds_arr = np.stack(preds)
    tail = (1.0 - level) / 2.0
    lower, upper = np.percentile(preds_arr, [100 * tail, 100 * (1 - tail)], axis=0)
    return BootstrapInterval(lower, upper, preds_arr, level)
