"""Functional losses with PyTorch's signatures, reductions and numerics."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.ops.loss import binary_cross_entropy_elementwise

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss: Tensor, reduction: str, op: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{op}: {reduction!r} is not a valid value for reduction; use one of {', '.join(_REDUCTIONS)}")


def _check_reduction(reduction: str, op: str, extra: tuple = ()) -> None:
    if reduction not in _REDUCTIONS + extra:
        raise ValueError(f"{op}: {reduction!r} is not a valid value for reduction; use one of "
                         f"{', '.join(_REDUCTIONS + extra)}")


def _as_tensor(t: Any, like: Tensor) -> Tensor:
    return t if isinstance(t, Tensor) else ag.tensor(np.asarray(t, dtype=like.dtype))


def _same_size(input: Tensor, target: Tensor, op: str) -> None:
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(
            f"{op}: Using a target size ({list(target.shape)}) that is different to the input size "
            f"({list(input.shape)}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.", UserWarning, stacklevel=3)


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """(x - y)**2, reduced."""
    target = _as_tensor(target, input)
    _check_reduction(reduction, "mse_loss")
    _same_size(input, target, "mse_loss")
    d = input - target
    return _reduce(d * d, reduction, "mse_loss")


def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """|x - y|, reduced."""
    target = _as_tensor(target, input)
    _check_reduction(reduction, "l1_loss")
    _same_size(input, target, "l1_loss")
    return _reduce(ag.abs(input - target), reduction, "l1_loss")


def huber_loss(input: Tensor, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """0.5 d**2 if |d| < delta else delta (|d| - 0.5 delta), d = x - y."""
    target = _as_tensor(target, input)
    _check_reduction(reduction, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    _same_size(input, target, "huber_loss")
    d = input - target
    ad = ag.abs(d)
    loss = ag.where(ad.data < delta, 0.5 * d * d, delta * (ad - 0.5 * delta))
    return _reduce(loss, reduction, "huber_loss")


def smooth_l1_loss(input: Tensor, target: Any, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d**2 / beta if |d| < beta else |d| - 0.5 beta (beta = 0: plain L1)."""
    target = _as_tensor(target, input)
    _check_reduction(reduction, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    _same_size(input, target, "smooth_l1_loss")
    d = input - target
    ad = ag.abs(d)
    if beta == 0:
        return _reduce(ad, reduction, "smooth_l1_loss")
    loss = ag.where(ad.data < beta, (0.5 / beta) * d * d, ad - 0.5 * beta)
    return _reduce(loss, reduction, "smooth_l1_loss")


def binary_cross_entropy(input: Tensor, target: Any, weight: Any = None, reduction: str = "mean") -> Tensor:
    """-w (y log x + (1 - y) log(1 - x)) with the logs clamped at -100 (PyTorch's numerics)."""
    target = _as_tensor(target, input)
    _check_reduction(reduction, "binary_cross_entropy")
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(
            f"binary_cross_entropy: Using a target size ({list(target.shape)}) that is different to the input size "
            f"({list(input.shape)}) is deprecated. Please ensure they have the same size."
        )
    x = input.data
    if x.size and (np.nanmin(x) < 0 or np.nanmax(x) > 1):
        raise RuntimeError("binary_cross_entropy: all elements of input should be between 0 and 1 "
                           "(pass probabilities, or use binary_cross_entropy_with_logits on raw scores)")
    loss = binary_cross_entropy_elementwise(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(input: Tensor, target: Any, weight: Any = None, reduction: str = "mean",
                                     pos_weight: Any = None) -> Tensor:
    """(1 - y) x + (1 + (p - 1) y) softplus(-x): sigmoid + BCE in one stable formula."""
    target = _as_tensor(target, input)
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"binary_cross_entropy_with_logits: Target size ({list(target.shape)}) must be the same "
                         f"as input size ({list(input.shape)})")
    sp = ag.softplus(-input)  # log(1 + e^-x), exact for large |x| (threshold switch)
    if pos_weight is None:
        loss = (1 - target) * input + sp
    else:
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * sp
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")


def _class_dim(input: Tensor, op: str) -> int:
    if input.ndim == 0:
        raise ValueError(f"{op}: input must have a class dimension, got a 0-d tensor")
    return 0 if input.ndim == 1 else 1


def _check_targets(input: Tensor, t: np.ndarray, cdim: int, op: str) -> None:
    expected = input.shape[:cdim] + input.shape[cdim + 1:]
    if tuple(t.shape) != tuple(expected):
        raise ValueError(
            f"{op}: expected target of shape {list(expected)} (input {list(input.shape)} without its class "
            f"dim {cdim}), got {list(t.shape)}"
        )


def nll_loss(input: Tensor, target: Any, weight: Any = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """-w[y] * input[y] over class dim 1 (0 for 1-D input); 'mean' divides by the summed weights."""
    _check_reduction(reduction, "nll_loss")
    cdim = _class_dim(input, "nll_loss")
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if t.dtype.kind not in "iu":
        raise RuntimeError(f"nll_loss: expected target of integer class indices (Long), got dtype {t.dtype}; "
                           "use .long(), or pass probabilities to cross_entropy")
    _check_targets(input, t, cdim, "nll_loss")
    n_classes = input.shape[cdim]
    valid = t != ignore_index
    safe = np.where(valid, t, 0)
    if safe.size and (safe.min() < 0 or safe.max() >= n_classes):
        bad = safe[(safe < 0) | (safe >= n_classes)].flat[0]
        raise IndexError(f"nll_loss: Target {bad} is out of bounds: class indices must be in [0, {n_classes}) "
                         f"(or equal ignore_index={ignore_index})")
    picked = input.gather(cdim, ag.tensor(np.expand_dims(safe, cdim))).squeeze(cdim)
    w = np.ones(n_classes, dtype=input.dtype) if weight is None else np.asarray(
        weight.data if isinstance(weight, Tensor) else weight, dtype=input.dtype)
    if w.shape != (n_classes,):
        raise RuntimeError(f"nll_loss: weight should have {n_classes} elements (one per class), got shape "
                           f"{list(w.shape)}")
    wi = np.where(valid, w[safe], 0).astype(input.dtype)
    loss = -(picked * wi)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / wi.sum()


def cross_entropy(input: Tensor, target: Any, weight: Any = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """log_softmax over class dim then nll_loss (class indices) or -sum(p log q) (class probabilities)."""
    _check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    cdim = _class_dim(input, "cross_entropy")
    n_classes = input.shape[cdim]
    logp = ag.log_softmax(input, dim=cdim)
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    wshape = (n_classes,) + (1,) * (input.ndim - cdim - 1)
    wc = None if weight is None else np.asarray(weight.data if isinstance(weight, Tensor) else weight,
                                                dtype=input.dtype)
    if t.dtype.kind == "f":  # class probabilities
        if tuple(t.shape) != tuple(input.shape):
            raise ValueError(f"cross_entropy: probability targets must have the input's shape {list(input.shape)}, "
                             f"got {list(t.shape)}")
        target = _as_tensor(target, input)
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        prod = logp * target if wc is None else logp * target * wc.reshape(wshape)
        if reduction == "none":
            return -prod.sum(cdim)
        total = -prod.sum()
        return total if reduction == "sum" else total / (input.numel() // n_classes)
    nll = nll_loss(logp, t, weight, ignore_index, reduction)
    if label_smoothing == 0:
        return nll
    valid = t != ignore_index
    smooth = -(logp.sum(cdim) if wc is None else (logp * wc.reshape(wshape)).sum(cdim))
    smooth = smooth * valid.astype(input.dtype)
    if reduction == "none":
        ret = smooth
    elif reduction == "sum":
        ret = smooth.sum()
    else:
        denom = valid.sum() if wc is None else wc[t[valid]].sum()
        ret = smooth.sum() / float(denom)  # a Python float keeps float32 losses float32
    return (1 - label_smoothing) * nll + ret * (label_smoothing / n_classes)


def kl_div(input: Tensor, target: Any, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """target * (log target - input) pointwise (input holds log-probabilities); 0 where target = 0."""
    _check_reduction(reduction, "kl_div", ("batchmean",))
    target = _as_tensor(target, input)
    if log_target:
        loss = ag.exp(target) * (target - input)
    else:
        pos = target.data > 0
        safe = ag.where(pos, target, 1.0)
        loss = ag.where(pos, target * ag.log(safe), 0.0) - target * input
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    if reduction == "mean":
        warnings.warn(
            "kl_div: reduction: 'mean' divides the total loss by both the batch size and the support size. "
            "'batchmean' divides only by the batch size, and aligns with the KL div math definition.",
            UserWarning, stacklevel=2)
    return _reduce(loss, reduction, "kl_div")
