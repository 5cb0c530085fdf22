"""k-nearest-neighbour classification (course seed 001): store the training set; predict the most
common label among the k closest points. Hyper-parameters: k and the distance metric."""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor

from ._base import ClassifierMixin, as_labels, as_matrix
from .kernels import squared_distances

METRICS = ("euclidean", "manhattan", "chebyshev", "minkowski", "cosine")


def pairwise_distances(x: Any, y: Any, metric: str = "euclidean", p: float = 2) -> Tensor:
    """(n, m) distances between the rows of x and y."""
    x, y = as_matrix(x, "X"), as_matrix(y, "Y")
    if metric == "minkowski":
        metric = {1: "manhattan", 2: "euclidean", np.inf: "chebyshev"}.get(p, metric)
    if metric == "euclidean":
        return squared_distances(x, y).sqrt()
    if metric == "cosine":
        xn = x / x.norm(2, 1, keepdim=True)
        yn = y / y.norm(2, 1, keepdim=True)
        return 1.0 - xn @ yn.T
    diff = (x.unsqueeze(1) - y.unsqueeze(0)).abs()  # (n, m, d)
    if metric == "manhattan":
        return diff.sum(2)
    if metric == "chebyshev":
        return diff.amax(2)
    if metric == "minkowski":
        if not p >= 1:
            raise ValueError(f"minkowski distance needs p >= 1, got p={p}")
        return (diff ** p).sum(2) ** (1.0 / p)
    raise ValueError(f"unknown metric {metric!r}; choose one of {METRICS}")


class KNeighborsClassifier(ClassifierMixin):
    """scikit-learn's names and defaults: n_neighbors=5, weights='uniform' | 'distance', metric='minkowski', p=2."""

    def __init__(self, n_neighbors: int = 5, weights: str = "uniform", metric: str = "minkowski", p: float = 2) -> None:
        if weights not in ("uniform", "distance"):
            raise ValueError(f"KNeighborsClassifier: weights must be 'uniform' or 'distance', got {weights!r}")
        if metric not in METRICS:
            raise ValueError(f"KNeighborsClassifier: unknown metric {metric!r}; choose one of {METRICS}")
        self.n_neighbors, self.weights, self.metric, self.p = n_neighbors, weights, metric, p

    def fit(self, X: Any, y: Any) -> KNeighborsClassifier:
        self.X_fit_ = as_matrix(X).detach()
        y_np = as_labels(y)
        if len(y_np) != self.X_fit_.shape[0]:
            raise ValueError(f"KNeighborsClassifier.fit: X has {self.X_fit_.shape[0]} samples but y has {len(y_np)}")
        if not 1 <= self.n_neighbors <= len(y_np):
            raise ValueError(f"KNeighborsClassifier: n_neighbors={self.n_neighbors} must be between 1 and the "
                             f"number of training samples ({len(y_np)})")
        self.classes_, self._y = np.unique(y_np, return_inverse=True)
        return self

    def kneighbors(self, X: Any, n_neighbors: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(distances, indices) of the k nearest training points, nearest first (stable on ties)."""
        k = n_neighbors or self.n_neighbors
        with ag.no_grad():
            d = pairwise_distances(X, self.X_fit_, self.metric, self.p)._data
        idx = np.argsort(d, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(d, idx, axis=1), idx

    def predict_proba(self, X: Any) -> np.ndarray:
        dist, idx = self.kneighbors(X)
        labels = self._y[idx]
        if self.weights == "uniform":
            w = np.ones_like(dist)
        else:  # 1/d; a query that coincides with training points takes only those (scikit-learn's rule)
            with np.errstate(divide="ignore"):
                w = 1.0 / dist
            exact = np.isinf(w)
            rows = exact.any(1)
            w[rows] = exact[rows].astype(np.float64)
        proba = np.zeros((len(idx), len(self.classes_)))
        np.add.at(proba, (np.arange(len(idx))[:, None], labels), w)
        return proba / proba.sum(1, keepdims=True)

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]  # ties -> the smallest label
