"""Hyper-parameter search by k-fold cross-validation: ``GridSearchCV`` (every point of a grid) and
``RandomizedSearchCV`` (n_iter draws), with scikit-learn's names and results layout.

Each candidate ``params`` is scored on the k folds of ``k_fold`` as in ``cross_val_score``: fit
``make_estimator(**params)`` on k-1 folds, score on the held-out one (``scoring(y_val, y_pred)``, higher is
better; None: the estimator's own ``score``). ``cv_results_`` holds ``params``, ``param_<name>``,
``split<i>_test_score``, ``mean_test_score``, ``std_test_score`` and ``rank_test_score``; the best candidate (the
first of the highest mean) is refitted on all the data as ``best_estimator_``, to which ``predict`` & co delegate.
The candidate x fold fits run through joblib with ``n_jobs``; folds and random candidates are drawn first.
A fit that raises stops the search (scikit-learn's error_score='raise').
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .model_selection import check_n_jobs, fit_and_score, k_fold, parallel_map


def _grids(param_grid: Any, caller: str, sampler: bool = False) -> list[dict]:
    """param_grid as a list of dicts whose values are non-empty sequences (or, for a sampler, distributions)."""
    grids = [param_grid] if isinstance(param_grid, dict) else param_grid
    if not isinstance(grids, (list, tuple)):
        raise TypeError(f"{caller}: the parameter grid must be a dict or a list of dicts, got "
                        f"{type(param_grid).__name__}")
    if not grids:
        raise ValueError(f"{caller}: the parameter grid is an empty list; pass a dict such as {{'alpha': [0.1, 1.0]}}")
    for g in grids:
        if not isinstance(g, dict):
            raise TypeError(f"{caller}: each parameter grid must be a dict, got {type(g).__name__} {g!r}")
        for key, v in g.items():
            if not isinstance(key, str):
                raise TypeError(f"{caller}: parameter names must be strings, got {key!r}")
            if sampler and hasattr(v, "rvs"):
                continue
            if isinstance(v, (str, bytes)) or not isinstance(v, (list, tuple, np.ndarray)) or np.ndim(v) != 1:
                what = "a list, a 1-D array or a distribution with rvs" if sampler else "a list or a 1-D array"
                raise TypeError(f"{caller}: the values for {key!r} must be {what}, got {type(v).__name__} {v!r}; "
                                f"wrap a single value in a list: {{{key!r}: [{v!r}]}}")
            if len(v) == 0:
                raise ValueError(f"{caller}: the values for {key!r} are an empty sequence; give at least one value")
    return list(grids)


def _check_n_iter(n_iter: Any, caller: str) -> int:
    if isinstance(n_iter, bool) or not isinstance(n_iter, (int, np.integer)) or n_iter < 1:
        raise ValueError(f"{caller}: n_iter must be an int >= 1, got {n_iter!r}")
    return int(n_iter)


class ParameterGrid:
    """Every combination of a dict (or list of dicts) of value lists; keys sorted, the last one varying fastest."""

    def __init__(self, param_grid: dict | list[dict]) -> None:
        self.param_grid = _grids(param_grid, "ParameterGrid")

    def __iter__(self) -> Iterator[dict]:
        for g in self.param_grid:
            items = sorted(g.items())
            keys = [k for k, _ in items]
            for values in itertools.product(*(v for _, v in items)):
                yield dict(zip(keys, values))

    def __len__(self) -> int:
        return sum(int(np.prod([len(v) for v in g.values()])) for g in self.param_grid)

    def __getitem__(self, index: int) -> dict:
        """list(self)[index] without building the list."""
        if not -len(self) <= index < len(self):
            raise IndexError(f"ParameterGrid: index {index} out of range for {len(self)} candidates")
        index %= len(self)
        for g in self.param_grid:
            items = sorted(g.items())
            size = int(np.prod([len(v) for _, v in items]))
            if index >= size:
                index -= size
                continue
            out = {}
            for key, v in reversed(items):  # the last key cycles fastest
                index, offset = divmod(index, len(v))
                out[key] = v[offset]
            return dict(sorted(out.items()))
        raise AssertionError("unreachable")


class ParameterSampler:
    """n_iter random candidates: from lists uniformly, from distributions by ``rvs(random_state=rng)``.

    When every value is a list the candidates are distinct points of the grid (sampling without replacement;
    all of them, with a warning, if the grid has fewer than n_iter). A list of dicts picks a dict uniformly per
    draw. An int seed gives the same candidates on every iteration."""

    def __init__(self, param_distributions: dict | list[dict], n_iter: int,
                 seed: int | np.random.Generator | None = None) -> None:
        self.param_distributions = _grids(param_distributions, "ParameterSampler", sampler=True)
        self.n_iter, self.seed = _check_n_iter(n_iter, "ParameterSampler"), seed

    def __iter__(self) -> Iterator[dict]:
        rng = np.random.default_rng(self.seed)
        if not any(hasattr(v, "rvs") for g in self.param_distributions for v in g.values()):
            grid = ParameterGrid(self.param_distributions)
            n_iter = self.n_iter
            if len(grid) < n_iter:
                warnings.warn(f"ParameterSampler: the grid has {len(grid)} points, fewer than n_iter={n_iter}; "
                              f"running {len(grid)} (GridSearchCV searches them all)", UserWarning, stacklevel=2)
                n_iter = len(grid)
            for i in rng.choice(len(grid), n_iter, replace=False):
                yield grid[int(i)]
            return
        for _ in range(self.n_iter):
            g = self.param_distributions[int(rng.integers(len(self.param_distributions)))]
            yield {key: v.rvs(random_state=rng) if hasattr(v, "rvs") else v[int(rng.integers(len(v)))]
                   for key, v in sorted(g.items())}

    def __len__(self) -> int:
        if any(hasattr(v, "rvs") for g in self.param_distributions for v in g.values()):
            return self.n_iter
        return min(self.n_iter, len(ParameterGrid(self.param_distributions)))


def _ranks(means: np.ndarray) -> np.ndarray:
    """1 + the number of candidates with a strictly higher mean (ties share the best rank); NaN ranks last."""
    m = np.where(np.isnan(means), -np.inf, means)
    return np.array([1 + int(np.sum(m > v)) for v in m], dtype=np.int32)


def _cv_results(candidates: list[dict], scores: np.ndarray) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name in sorted({key for c in candidates for key in c}):
        col = np.ma.MaskedArray(np.empty(len(candidates), dtype=object), mask=True)
        for i, c in enumerate(candidates):
            if name in c:
                col[i] = c[name]
        results[f"param_{name}"] = col
    results["params"] = candidates
    for i in range(scores.shape[1]):
        results[f"split{i}_test_score"] = scores[:, i]
    results["mean_test_score"] = scores.mean(axis=1)
    results["std_test_score"] = scores.std(axis=1)
    results["rank_test_score"] = _ranks(results["mean_test_score"])
    return results


class _SearchCV:
    def __init__(self, make_estimator: Callable[..., Any], *, k: int = 5,
                 scoring: Callable[[Any, Any], float] | None = None, shuffle: bool = False,
                 seed: int | None = None, refit: bool = True, n_jobs: int | None = None,
                 progress: bool | None = None) -> None:
        name = type(self).__name__
        if not callable(make_estimator):
            raise TypeError(f"{name}: make_estimator must be a callable make_estimator(**params) returning an "
                            f"unfitted estimator (a class such as ml.KernelRidge works), got "
                            f"{type(make_estimator).__name__}")
        if scoring is not None and not callable(scoring):
            raise TypeError(f"{name}: scoring must be None or a function scoring(y_true, y_pred) -> float (higher "
                            f"is better), got {type(scoring).__name__} {scoring!r}")
        check_n_jobs(n_jobs, name)
        self.make_estimator, self.k, self.scoring, self.shuffle = make_estimator, k, scoring, shuffle
        self.seed, self.refit, self.n_jobs, self.progress = seed, refit, n_jobs, progress

    def _candidates(self) -> list[dict]:
        raise NotImplementedError

    def fit(self, X: Any, y: Any) -> Any:
        """Score every candidate on the k folds, pick the best mean, refit it on all of X, y (refit=True)."""
        name = type(self).__name__
        candidates = self._candidates()
        folds = k_fold(len(X), self.k, self.shuffle, self.seed)
        tasks = [(self.make_estimator, params, X, y, train, val, self.scoring)
                 for params in candidates for train, val in folds]
        scores = parallel_map(fit_and_score, tasks, self.n_jobs, f"{name}.fit", progress=self.progress,
                              desc=name, unit="fit")
        self.cv_results_ = _cv_results(candidates, np.asarray(scores, dtype=np.float64).reshape(len(candidates), -1))
        self.n_splits_ = len(folds)
        self.best_index_ = int(np.argmin(self.cv_results_["rank_test_score"]))  # the first of rank 1
        self.best_params_ = candidates[self.best_index_]
        self.best_score_ = float(self.cv_results_["mean_test_score"][self.best_index_])
        if self.refit:
            self.best_estimator_ = self.make_estimator(**self.best_params_).fit(X, y)
            if hasattr(self.best_estimator_, "classes_"):
                self.classes_ = self.best_estimator_.classes_
        return self

    def _best(self, method: str) -> Any:
        name = type(self).__name__
        if not hasattr(self, "cv_results_"):
            raise RuntimeError(f"{name}.{method}: call fit(X, y) first")
        if not self.refit:
            raise RuntimeError(f"{name}.{method}: refit=False keeps no best_estimator_; pass refit=True, or build "
                               f"make_estimator(**best_params_) and fit it yourself")
        return self.best_estimator_

    def predict(self, X: Any) -> Any:
        """best_estimator_.predict(X)."""
        return self._best("predict").predict(X)

    def predict_proba(self, X: Any) -> Any:
        """best_estimator_.predict_proba(X)."""
        return self._best("predict_proba").predict_proba(X)

    def decision_function(self, X: Any) -> Any:
        """best_estimator_.decision_function(X)."""
        return self._best("decision_function").decision_function(X)

    def score(self, X: Any, y: Any) -> float:
        """The search's scoring on (X, y) with best_estimator_ (its own score when scoring is None)."""
        est = self._best("score")
        return float(est.score(X, y) if self.scoring is None else self.scoring(y, est.predict(X)))


class GridSearchCV(_SearchCV):
    """Exhaustive search over ``param_grid`` (a dict of value lists, or a list of such dicts)."""

    def __init__(self, make_estimator: Callable[..., Any], param_grid: dict | list[dict], *, k: int = 5,
                 scoring: Callable[[Any, Any], float] | None = None, shuffle: bool = False, seed: int | None = None,
                 refit: bool = True, n_jobs: int | None = None, progress: bool | None = None) -> None:
        super().__init__(make_estimator, k=k, scoring=scoring, shuffle=shuffle, seed=seed, refit=refit, n_jobs=n_jobs,
                         progress=progress)
        self.param_grid = _grids(param_grid, "GridSearchCV")  # a bad grid fails here, not after the first fits

    def _candidates(self) -> list[dict]:
        return list(ParameterGrid(self.param_grid))


class RandomizedSearchCV(_SearchCV):
    """``n_iter`` candidates drawn from ``param_distributions`` by ``ParameterSampler`` with ``seed``."""

    def __init__(self, make_estimator: Callable[..., Any], param_distributions: dict | list[dict], n_iter: int = 10,
                 *, k: int = 5, scoring: Callable[[Any, Any], float] | None = None, shuffle: bool = False,
                 seed: int | None = None, refit: bool = True, n_jobs: int | None = None,
                 progress: bool | None = None) -> None:
        super().__init__(make_estimator, k=k, scoring=scoring, shuffle=shuffle, seed=seed, refit=refit, n_jobs=n_jobs,
                         progress=progress)
        self.param_distributions = _grids(param_distributions, "RandomizedSearchCV", sampler=True)
        self.n_iter = _check_n_iter(n_iter, "RandomizedSearchCV")

    def _candidates(self) -> list[dict]:
        return list(ParameterSampler(self.param_distributions, self.n_iter, self.seed))
