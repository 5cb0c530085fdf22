"""k-fold cross-validation (course seed 001): train on k-1 folds, validate on the held-out one.

Also the fan-out shared by the model-selection tools (``cross_val_score``, ``bootstrap_ci``, the bagging
ensembles, the hyper-parameter searches): ``n_jobs`` has joblib's meaning (None or 1: serial, -1: all cores,
n: n workers). Every random draw happens in the calling process from the seed, before any fit is sent out, and
the results come back in submission order, so a run gives the same numbers for any ``n_jobs`` and backend.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd_core._progress import enabled as _bar_enabled
from autograd_core._progress import progress as _progress

from ._base import take_rows
from .metrics import accuracy_score


def check_n_jobs(n_jobs: Any, caller: str) -> int | None:
    """``n_jobs`` validated: None or a non-zero int (joblib's convention)."""
    if n_jobs is None:
        return None
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)):
        raise TypeError(f"{caller}: n_jobs must be None or an int (None or 1: serial, -1: all cores, n: n workers), "
                        f"got {type(n_jobs).__name__} {n_jobs!r}")
    if n_jobs == 0:
        raise ValueError(f"{caller}: n_jobs=0 has no meaning; pass None or 1 (serial), -1 (all cores) or n >= 2")
    return int(n_jobs)


def parallel_map(fn: Callable[..., Any], tasks: Sequence[tuple], n_jobs: int | None, caller: str,
                 progress: bool | None = False, desc: str = "", unit: str = "fit") -> list[Any]:
    """[fn(*t) for t in tasks], in order, fanned out with ``joblib.Parallel(n_jobs)`` unless n_jobs is 1.

    n_jobs=None runs serially without importing joblib; when joblib is already imported it goes through
    ``joblib.Parallel(n_jobs=None)``, which runs serially too unless a ``joblib.parallel_config(n_jobs=...)``
    block says otherwise (scikit-learn's behaviour). ``fn`` must be a module-level function so that process
    backends (loky, dask, ray) can ship it."""
    n_jobs = check_n_jobs(n_jobs, caller)
    if n_jobs == 1 or (n_jobs is None and sys.modules.get("joblib") is None):
        return [fn(*t) for t in _progress(tasks, total=len(tasks), desc=desc, unit=unit, show=progress)]
    try:
        import joblib
    except ImportError as e:
        raise ImportError(f"{caller}: n_jobs={n_jobs} needs joblib; pip install 'autograd_core[parallel]' "
                          "(scikit-learn also brings it), or pass n_jobs=None to run serially") from e
    # the bar follows completed fits, so the results are consumed lazily (still in submission order)
    show = _bar_enabled(progress)
    out = joblib.Parallel(n_jobs=n_jobs, return_as="generator" if show else "list")(
        joblib.delayed(fn)(*t) for t in tasks)
    return list(_progress(out, total=len(tasks), desc=desc, unit=unit, show=progress) if show else out)


def fit_and_score(make_estimator: Callable[..., Any], params: dict, X: Any, y: Any, train: np.ndarray,
                  val: np.ndarray, scoring: Callable[[Any, Any], float] | None) -> float:
    """Fit ``make_estimator(**params)`` on the train rows; scoring(y_val, predict(X_val)), or its ``score``."""
    est = make_estimator(**params).fit(take_rows(X, train), take_rows(y, train))
    x_val, y_val = take_rows(X, val), take_rows(y, val)
    return float(est.score(x_val, y_val) if scoring is None else scoring(y_val, est.predict(x_val)))


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
                    scoring: Callable[[Any, Any], float] | None = accuracy_score, shuffle: bool = False,
                    seed: int | None = None, n_jobs: int | None = None) -> np.ndarray:
    """scoring(y_val, estimator.predict(X_val)) for each of the k folds (scoring=None: estimator.score).

    ``n_jobs``: the folds are fitted in parallel through joblib (None or 1: serially); the folds are drawn
    here first, so the scores are the same for every n_jobs."""
    check_n_jobs(n_jobs, "cross_val_score")
    tasks = [(make_estimator, {}, X, y, train, val, scoring) for train, val in k_fold(len(X), k, shuffle, seed)]
    scores = parallel_map(fit_and_score, tasks, n_jobs, "cross_val_score")
    return np.asarray(scores, dtype=np.float64)
