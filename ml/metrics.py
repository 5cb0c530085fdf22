"""Classification and regression metrics with scikit-learn's names, defaults and conventions."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_core import Tensor


def _np(a: Any) -> np.ndarray:
    return np.asarray(a._data if isinstance(a, Tensor) else a)


def _pair(y_true: Any, y_pred: Any, fn: str) -> tuple[np.ndarray, np.ndarray]:
    t, p = _np(y_true).reshape(-1), _np(y_pred).reshape(-1)
    if t.shape != p.shape:
        raise ValueError(f"{fn}: y_true has {t.size} entries but y_pred has {p.size}")
    return t, p


def accuracy_score(y_true: Any, y_pred: Any) -> float:
    """Fraction of exact matches."""
    t, p = _pair(y_true, y_pred, "accuracy_score")
    return float(np.mean(t == p))


def confusion_matrix(y_true: Any, y_pred: Any, labels: Any = None) -> np.ndarray:
    """C[i, j] = number of samples of true class labels[i] predicted as labels[j]."""
    t, p = _pair(y_true, y_pred, "confusion_matrix")
    labels = np.unique(np.concatenate([t, p])) if labels is None else np.asarray(labels)
    index = {v: i for i, v in enumerate(labels.tolist())}
    c = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for a, b in zip(t.tolist(), p.tolist()):
        if a in index and b in index:
            c[index[a], index[b]] += 1
    return c


def _prf(y_true: Any, y_pred: Any, average: str | None, pos_label: Any, fn: str) -> tuple:
    """Per-label (true positives, predicted positives, actual positives)."""
    t, p = _pair(y_true, y_pred, fn)
    labels = np.unique(np.concatenate([t, p]))
    if average == "binary":
        if len(labels) > 2:
            raise ValueError(f"{fn}: average='binary' needs two classes, got {len(labels)} ({labels.tolist()}); "
                             "pass average='macro', 'micro', 'weighted' or None")
        labels = np.asarray([pos_label])
    tp = np.array([np.sum((t == c) & (p == c)) for c in labels], dtype=np.float64)
    pred_pos = np.array([np.sum(p == c) for c in labels], dtype=np.float64)
    true_pos = np.array([np.sum(t == c) for c in labels], dtype=np.float64)
    if average == "micro":
        tp, pred_pos, true_pos = tp.sum(keepdims=True), pred_pos.sum(keepdims=True), true_pos.sum(keepdims=True)
    return tp, pred_pos, true_pos


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # scikit-learn's zero_division default: 0 where the denominator is 0
    return np.divide(a, b, out=np.zeros_like(a), where=b > 0)


def _average(values: np.ndarray, true_pos: np.ndarray, average: str | None) -> Any:
    if average is None:
        return values
    if average == "weighted":
        return float(np.sum(values * true_pos) / true_pos.sum()) if true_pos.sum() else 0.0
    if average in ("macro", "micro", "binary"):
        return float(np.mean(values))
    raise ValueError(f"unknown average {average!r}; use 'binary', 'micro', 'macro', 'weighted' or None")


def precision_score(y_true: Any, y_pred: Any, average: str | None = "binary", pos_label: Any = 1) -> Any:
    """tp / (tp + fp)."""
    tp, pp, t = _prf(y_true, y_pred, average, pos_label, "precision_score")
    return _average(_div(tp, pp), t, average)


def recall_score(y_true: Any, y_pred: Any, average: str | None = "binary", pos_label: Any = 1) -> Any:
    """tp / (tp + fn)."""
    tp, pp, t = _prf(y_true, y_pred, average, pos_label, "recall_score")
    return _average(_div(tp, t), t, average)


def f1_score(y_true: Any, y_pred: Any, average: str | None = "binary", pos_label: Any = 1) -> Any:
    """Harmonic mean of precision and recall: 2 tp / (2 tp + fp + fn)."""
    tp, pp, t = _prf(y_true, y_pred, average, pos_label, "f1_score")
    return _average(_div(2 * tp, pp + t), t, average)


def log_loss(y_true: Any, y_prob: Any, labels: Any = None) -> float:
    """Mean cross-entropy -mean log p(true class); y_prob is (n, K) or the positive-class probability (n,)."""
    t = _np(y_true).reshape(-1)
    p = _np(y_prob).astype(np.float64)
    if p.ndim == 1:
        p = np.stack([1.0 - p, p], axis=1)
    labels = np.unique(t) if labels is None else np.asarray(labels)
    if p.shape != (t.size, len(labels)):
        raise ValueError(f"log_loss: y_prob of shape {list(p.shape)} does not match {t.size} samples and "
                         f"{len(labels)} classes {labels.tolist()}")
    eps = np.finfo(p.dtype).eps
    p = np.clip(p, eps, 1 - eps)
    idx = np.searchsorted(labels, t)
    return float(-np.mean(np.log(p[np.arange(t.size), idx])))


def mean_squared_error(y_true: Any, y_pred: Any) -> float:
    """mean (y - y_hat)^2 over all entries."""
    t, p = _np(y_true).astype(np.float64), _np(y_pred).astype(np.float64)
    if t.shape != p.shape:
        t, p = t.reshape(-1), p.reshape(-1)
    return float(np.mean((t - p) ** 2))


# the short names
accuracy, precision, recall, f1, mse = accuracy_score, precision_score, recall_score, f1_score, mean_squared_error
