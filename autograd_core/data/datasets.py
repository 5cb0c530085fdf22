"""Real datasets that ship with scikit-learn (no download) and the course's toy problems.

Every loader returns a ``TensorDataset`` of (features float32, targets); classification targets
are int64 class indices, regression targets float32. Generators take a ``seed``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._creation import tensor
from .dataset import TensorDataset


def _sklearn(name: str) -> Any:
    try:
        from sklearn import datasets
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(f"{name} needs scikit-learn, which ships the data: pip install scikit-learn "
                          "(or pip install autograd_core[datasets])") from None
    return getattr(datasets, name)


def _standardize(x: np.ndarray) -> np.ndarray:
    return (x - x.mean(0)) / np.where(x.std(0) > 0, x.std(0), 1)


def _pack(x: np.ndarray, y: np.ndarray, classification: bool) -> TensorDataset:
    ds = TensorDataset(tensor(x.astype(np.float32)), tensor(y.astype(np.int64 if classification else np.float32)))
    return ds


def load_digits(images: bool = False, scale: bool = True) -> TensorDataset:
    """8x8 handwritten digits (1797 samples, 10 classes); pixels scaled to [0, 1]; images=True gives (N, 1, 8, 8)."""
    d = _sklearn("load_digits")()
    x = d.data / 16.0 if scale else d.data
    if images:
        x = x.reshape(-1, 1, 8, 8)
    return _pack(x, d.target, True)


def load_iris(standardize: bool = True) -> TensorDataset:
    """Iris (150 samples, 4 features, 3 classes)."""
    d = _sklearn("load_iris")()
    return _pack(_standardize(d.data) if standardize else d.data, d.target, True)


def load_breast_cancer(standardize: bool = True) -> TensorDataset:
    """Wisconsin breast cancer (569 samples, 30 features, 2 classes)."""
    d = _sklearn("load_breast_cancer")()
    return _pack(_standardize(d.data) if standardize else d.data, d.target, True)


def load_diabetes(standardize: bool = True) -> TensorDataset:
    """Diabetes progression regression (442 samples, 10 features, float target)."""
    d = _sklearn("load_diabetes")()
    return _pack(_standardize(d.data) if standardize else d.data, d.target, False)


def make_xor(n: int = 200, noise: float = 0.1, seed: int | None = 0) -> TensorDataset:
    """Points around the four corners of the unit square; label = x1 XOR x2."""
    rng = np.random.default_rng(seed)
    corners = rng.integers(0, 2, (n, 2))
    x = corners + noise * rng.standard_normal((n, 2))
    return _pack(x, corners[:, 0] ^ corners[:, 1], True)


def make_moons(n: int = 200, noise: float = 0.1, seed: int | None = 0) -> TensorDataset:
    """Two interleaving half circles (labels 0 and 1)."""
    rng = np.random.default_rng(seed)
    n0 = n // 2
    t0 = np.linspace(0, np.pi, n0)
    t1 = np.linspace(0, np.pi, n - n0)
    x = np.concatenate([np.c_[np.cos(t0), np.sin(t0)], np.c_[1 - np.cos(t1), 0.5 - np.sin(t1)]])
    y = np.r_[np.zeros(n0, int), np.ones(n - n0, int)]
    perm = rng.permutation(n)
    return _pack(x[perm] + noise * rng.standard_normal((n, 2)), y[perm], True)


def make_spirals(n: int = 300, classes: int = 3, noise: float = 0.2, turns: float = 1.0,
                 seed: int | None = 0) -> TensorDataset:
    """``classes`` interleaved spiral arms in 2-D (the classic non-linearly-separable toy problem)."""
    rng = np.random.default_rng(seed)
    per = np.full(classes, n // classes)
    per[: n % classes] += 1
    xs, ys = [], []
    for k in range(classes):
        r = np.linspace(0.05, 1, per[k])
        theta = 2 * np.pi * turns * r + 2 * np.pi * k / classes + noise * rng.standard_normal(per[k])
        xs.append(np.c_[r * np.sin(theta), r * np.cos(theta)])
        ys.append(np.full(per[k], k))
    return _pack(np.concatenate(xs), np.concatenate(ys), True)


def make_linear_regression(n: int = 100, n_features: int = 1, noise: float = 0.1,
                           seed: int | None = 0) -> TensorDataset:
    """y = X w + b + noise; the true ``coef`` and ``intercept`` are attributes of the returned dataset."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, n_features))
    w = rng.uniform(-2, 2, n_features)
    b = float(rng.uniform(-1, 1))
    ds = _pack(x, x @ w + b + noise * rng.standard_normal(n), False)
    ds.coef, ds.intercept = w, b
    return ds


def make_logistic(n: int = 200, n_features: int = 2, seed: int | None = 0) -> TensorDataset:
    """Labels drawn from sigmoid(X w + b); the true ``coef`` and ``intercept`` are attributes."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, n_features))
    w = rng.uniform(-3, 3, n_features)
    b = float(rng.uniform(-0.5, 0.5))
    p = 1 / (1 + np.exp(-(x @ w + b)))
    ds = _pack(x, (rng.random(n) < p).astype(int), True)
    ds.coef, ds.intercept = w, b
    return ds
