"""Bagging (bootstrap aggregating): fit copies of one estimator on random row subsets and average them.

scikit-learn's ``BaggingRegressor`` / ``BaggingClassifier`` names and defaults (n_estimators=10, max_samples=1.0,
bootstrap=True). Member b is fitted on the rows ``estimators_samples_[b]``: n_b = max_samples rows drawn with
replacement (bootstrap=True) or a sorted subset drawn without it (bootstrap=False, so max_samples=1.0 is the
training set in its own order and the ensemble equals the base estimator). The regressor predicts the mean of
the members' predictions; the classifier averages their ``predict_proba`` (soft vote), or counts their
``predict`` votes when the members have no ``predict_proba``. Every subset is drawn from ``seed`` before the
fits are sent out, so ``n_jobs`` (joblib's meaning) never changes the fitted ensemble.

``estimator`` follows this package's ``make_estimator`` convention: a zero-argument factory returning a fresh
unfitted estimator (a class such as ``ml.KernelRidge``, a lambda, ``functools.partial``); an unfitted instance
is accepted too, as in scikit-learn, and deep-copied for each member. ``seed`` is scikit-learn's random_state.
With a process backend (loky) the factory travels by cloudpickle, so lambdas work; a fitted ensemble pickles
with plain ``pickle`` when its factory does (a class or a partial, not a lambda).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd_core import Tensor

from ._base import ClassifierMixin, as_labels, take_rows
from .kernel_ridge import r2_score
from .model_selection import check_n_jobs, parallel_map


def _np(a: Any) -> np.ndarray:
    return np.asarray(a._data if isinstance(a, Tensor) else a)


def _fit_member(factory: Callable[[], Any], X: Any, y: Any, idx: np.ndarray) -> Any:
    """factory().fit(X[idx], y[idx]), ready to travel back from a worker."""
    return factory().fit(take_rows(X, idx), take_rows(y, idx))


def _as_factory(estimator: Any, caller: str) -> Callable[[], Any]:
    if isinstance(estimator, type) or (callable(estimator) and not hasattr(estimator, "fit")):
        return estimator
    if hasattr(estimator, "fit"):  # an unfitted prototype: each member is a deep copy (scikit-learn's clone)
        return functools.partial(copy.deepcopy, estimator)
    raise TypeError(f"{caller}: estimator must be a zero-argument factory (a class such as ml.KernelRidge, a lambda, "
                    f"functools.partial) or an unfitted estimator with fit/predict, got {type(estimator).__name__}")


class _Bagging:
    def __init__(self, estimator: Any, n_estimators: int = 10, *, max_samples: int | float = 1.0,
                 bootstrap: bool = True, seed: int | np.random.Generator | None = None, n_jobs: int | None = None
                 ) -> None:
        name = type(self).__name__
        self._factory = _as_factory(estimator, name)
        if isinstance(n_estimators, bool) or not isinstance(n_estimators, (int, np.integer)) or n_estimators < 1:
            raise ValueError(f"{name}: n_estimators must be an int >= 1, got {n_estimators!r}")
        if isinstance(max_samples, bool) or not isinstance(max_samples, (int, float, np.integer, np.floating)):
            raise TypeError(f"{name}: max_samples must be an int (rows) or a float in (0, 1] (a fraction of the rows), "
                            f"got {type(max_samples).__name__}")
        if isinstance(max_samples, (float, np.floating)) and not 0.0 < max_samples <= 1.0:
            raise ValueError(f"{name}: max_samples={max_samples} as a fraction must be in (0, 1]; pass an int for a "
                             "number of rows")
        check_n_jobs(n_jobs, name)
        self.estimator, self.n_estimators, self.max_samples = estimator, int(n_estimators), max_samples
        self.bootstrap, self.seed, self.n_jobs = bootstrap, seed, n_jobs

    def _n_rows(self, n: int) -> int:
        m = int(self.max_samples * n) if isinstance(self.max_samples, (float, np.floating)) else int(self.max_samples)
        if not 1 <= m <= n:
            raise ValueError(f"{type(self).__name__}.fit: max_samples={self.max_samples!r} gives {m} rows per member, "
                             f"but it must be between 1 and the {n} training samples")
        return m

    def _draw(self, n: int) -> list[np.ndarray]:
        """The row indices of every member, all drawn here from ``seed``."""
        m = self._n_rows(n)
        rng = np.random.default_rng(self.seed)
        if self.bootstrap:
            return [rng.integers(0, n, m) for _ in range(self.n_estimators)]
        return [np.sort(rng.choice(n, m, replace=False)) for _ in range(self.n_estimators)]

    def fit(self, X: Any, y: Any) -> Any:
        """Fit the n_estimators members on their row subsets (in parallel with n_jobs)."""
        name = type(self).__name__
        n = len(X)
        if len(y) != n:
            raise ValueError(f"{name}.fit: X has {n} samples but y has {len(y)}")
        self.estimators_samples_ = self._draw(n)
        tasks = [(self._factory, X, y, idx) for idx in self.estimators_samples_]
        self.estimators_ = parallel_map(_fit_member, tasks, self.n_jobs, f"{name}.fit")
        return self

    def _members(self, method: str) -> list[Any]:
        if not hasattr(self, "estimators_"):
            raise RuntimeError(f"{type(self).__name__}.{method}: call fit(X, y) first")
        return self.estimators_


class BaggingRegressor(_Bagging):
    """Bagged regressor: predict(X) = mean over the members of member.predict(X)."""

    def predict(self, X: Any) -> np.ndarray:
        """Mean of the members' predictions (float64, the members' output shape)."""
        preds = [_np(m.predict(X)).astype(np.float64) for m in self._members("predict")]
        return np.mean(np.stack(preds), axis=0)

    def score(self, X: Any, y: Any) -> float:
        """R^2 of the predictions (scikit-learn's regressor score)."""
        return r2_score(y, self.predict(X))


class BaggingClassifier(ClassifierMixin, _Bagging):
    """Bagged classifier: the mean of the members' class probabilities (their vote shares without predict_proba)."""

    def fit(self, X: Any, y: Any) -> BaggingClassifier:
        self.classes_ = np.unique(as_labels(y))
        return super().fit(X, y)

    def predict_proba(self, X: Any) -> np.ndarray:
        """(n, n_classes) over ``classes_``; a class a member never saw gets probability 0 from it."""
        members = self._members("predict_proba")
        k = len(self.classes_)
        total = None
        for m in members:
            if hasattr(m, "predict_proba"):
                p = _np(m.predict_proba(X)).astype(np.float64)
                votes = np.zeros((p.shape[0], k))
                votes[:, np.searchsorted(self.classes_, np.asarray(getattr(m, "classes_", self.classes_)))] = p
            else:  # a hard vote: one-hot of the member's prediction
                pred = _np(m.predict(X)).reshape(-1)
                votes = np.zeros((len(pred), k))
                votes[np.arange(len(pred)), np.searchsorted(self.classes_, pred)] = 1.0
            total = votes if total is None else total + votes
        return total / len(members)

    def predict(self, X: Any) -> np.ndarray:
        """The class of highest mean probability (ties: the smallest label)."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]
