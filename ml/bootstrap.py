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

from ._base import take_rows
from .model_selection import check_n_jobs, parallel_map


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


def _refit_predict(make_estimator: Callable[[], Any], X: Any, y: Any, idx: np.ndarray, X_query: Any) -> np.ndarray:
    """make_estimator().fit(X[idx], y[idx]).predict(X_query) as a flat float64 array, without a graph."""
    with ag.no_grad():  # inside the worker: grad mode is per thread and per process
        est = make_estimator().fit(take_rows(X, idx), take_rows(y, idx))
        p = est.predict(X_query)
    return np.asarray(p._data if isinstance(p, Tensor) else p, dtype=np.float64).reshape(-1)


def bootstrap_ci(make_estimator: Callable[[], Any], X: Any, y: Any, X_query: Any, n_boot: int = 200,
                 level: float = 0.90, seed: int | None = 0, progress: bool | None = None,
                 n_jobs: int | None = None) -> BootstrapInterval:
    """Percentile bootstrap interval of ``make_estimator().fit(X*, y*).predict(X_query)``.

    ``make_estimator`` returns a fresh unfitted estimator with ``fit`` and ``predict`` (KernelRidge,
    LinearRegression, or anything with that interface). ``progress``: a tqdm bar over the ``n_boot`` refits
    (None: only on a terminal with tqdm installed; True/False: always/never). ``n_jobs``: the refits run in
    parallel through joblib (None or 1: serially); all ``n_boot`` resamples are drawn here from ``seed`` first,
    so the interval is the same for every n_jobs and backend."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"bootstrap_ci: level must be in (0, 1), got {level} (0.90 gives the 5%/95% interval)")
    if n_boot < 2:
        raise ValueError(f"bootstrap_ci: n_boot must be at least 2, got {n_boot}")
    check_n_jobs(n_jobs, "bootstrap_ci")
    n = len(X)
    rng = np.random.default_rng(seed)
    resamples = [rng.integers(0, n, n) for _ in range(n_boot)]  # the serial loop's draws, in its order
    preds = parallel_map(_refit_predict, [(make_estimator, X, y, idx, X_query) for idx in resamples], n_jobs,
                         "bootstrap_ci", progress=progress, desc="bootstrap", unit="refit")
    preds_arr = np.stack(preds)
    tail = (1.0 - level) / 2.0
    lower, upper = np.percentile(preds_arr, [100 * tail, 100 * (1 - tail)], axis=0)
    return BootstrapInterval(lower, upper, preds_arr, level)
