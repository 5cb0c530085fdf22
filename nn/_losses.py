"""Functional losses with PyTorch's signatures, reductions and numerics."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.ops.loss import binary_cross_entropy_elementwise
from autograd_core.viz._composite import composite

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss: Tensor, reduction: str, op: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{op}: {reduction!r} is not a valid value for reduction; use one of {', '.join(_REDUCTIONS)}")


def _mean_over(total: Tensor, n: int) -> Tensor:
    """total / n; an empty batch gives nan as in PyTorch, without numpy's divide-by-zero warnings."""
    return total / n if n else total * float("nan")


def _check_reduction(reduction: str, op: str, extra: tuple = ()) -> None:
    if reduction not in _REDUCTIONS + extra:
        raise ValueError(f"{op}: {reduction!r} is not a valid value for reduction; use one of "
                         f"{', '.join(_REDUCTIONS + extra)}")


def _as_tensor(t: Any, like: Tensor) -> Tensor:
    return t if isinstance(t, Tensor) else ag.tensor(np.asarray(t, dtype=like.dtype))


def _as_weight(w: Any, like: Tensor) -> Any:
    """A rescaling weight in the input's dtype: PyTorch's loss keeps the input's dtype (a float64 weight does
    not turn a float32 loss into float64)."""
    if isinstance(w, Tensor):
        return w if w.dtype == like.dtype else w.to(like.dtype)
    return np.asarray(w, dtype=like.dtype)


# PyTorch's scalar-type names, so dtype errors read like torch's
_TORCH_NAMES = {"float64": "Double", "float32": "Float", "float16": "Half", "int64": "Long", "int32": "Int",
                "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


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
    if target.dtype != input.dtype and target.dtype.kind == "f" and input.dtype.kind == "f":
        target = target.to(input.dtype)  # PyTorch's huber_loss keeps the input's dtype (its smooth_l1 promotes)
    d = input - target
    ad = ag.abs(d)
    small = ad._data < delta
    # double where: the quadratic branch only sees the d it is chosen for (0 elsewhere), so where |d| is
    # large or inf its gradient is 0 * 0, not 0 * inf = nan (PyTorch: +-delta there)
    dq = ag.where(small, d, 0.0)
    loss = ag.where(small, 0.5 * dq * dq, delta * (ad - 0.5 * delta))
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
    small = ad._data < beta
    dq = ag.where(small, d, 0.0)  # double where: see huber_loss
    loss = ag.where(small, (0.5 / beta) * dq * dq, ad - 0.5 * beta)
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
    if target.dtype != input.dtype:  # PyTorch refuses rather than promote the loss to the wider dtype
        raise RuntimeError(
            f"binary_cross_entropy: Found dtype {_TORCH_NAMES.get(str(target.dtype), target.dtype)} but expected "
            f"{_TORCH_NAMES.get(str(input.dtype), input.dtype)}: the target is {target.dtype} and the input "
            f"{input.dtype}; convert the target with target.to(input.dtype)")
    # "not (0 <= v <= 1)" also catches NaN, which a min/max test lets through (PyTorch refuses NaN too)
    if not ((input._data >= 0) & (input._data <= 1)).all():
        raise RuntimeError("binary_cross_entropy: all elements of input should be between 0 and 1 (got values "
                           "outside [0, 1] or NaN; pass probabilities, or use binary_cross_entropy_with_logits on "
                           "raw scores)")
    if not ((target._data >= 0) & (target._data <= 1)).all():
        raise RuntimeError("binary_cross_entropy: all elements of target should be between 0 and 1 (got values "
                           "outside [0, 1] or NaN; targets are probabilities, e.g. 0/1 labels)")
    loss = binary_cross_entropy_elementwise(input, target)
    if weight is not None:
        loss = loss * _as_weight(weight, input)
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
    t = np.asarray(target._data if isinstance(target, Tensor) else target)
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
    w = np.ones(n_classes, dtype=input.dtype) if weight is None else np.asarray(
        weight._data if isinstance(weight, Tensor) else weight, dtype=input.dtype)
    if w.shape != (n_classes,):
        raise RuntimeError(f"nll_loss: weight should have {n_classes} elements (one per class), got shape "
                           f"{list(w.shape)}")
    picked = input.gather(cdim, ag.tensor(np.expand_dims(safe, cdim))).squeeze(cdim)
    # ignored targets never enter the loss, as in PyTorch: their picked value (class 0 stands in) is replaced,
    # not multiplied by 0, so a -inf logit there cannot make 0 * -inf = nan
    picked = ag.where(valid, picked, 0.0)
    nw = np.where(valid, -w[safe], 0).astype(input.dtype)
    loss = picked * nw
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    total = nw.sum()
    if total != 0:
        return loss.sum() / -total
    # Every target ignored (or their weights sum to 0): PyTorch's value is 0/0 = nan, but its gradient is
    # -w[t]/0 at the counted targets and exactly 0 at the ignored ones (they are skipped, not multiplied by
    # inf), so the logits get 0 and a loss like `ce + other` still trains `other`. Dividing by the total
    # here would send 0 * inf = nan into every gradient.
    with np.errstate(divide="ignore", invalid="ignore"):
        coef = np.where(valid, nw / total, 0).astype(input.dtype)
        return (picked * coef).sum() + float("nan")


@composite("cross_entropy")  # drawn as one box (log_softmax + nll_loss inside), as the course draws it
def cross_entropy(input: Tensor, target: Any, weight: Any = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """log_softmax over class dim then nll_loss (class indices) or -sum(p log q) (class probabilities)."""
    _check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    cdim = _class_dim(input, "cross_entropy")
    n_classes = input.shape[cdim]
    logp = ag.log_softmax(input, dim=cdim)
    t = target._data if isinstance(target, Tensor) else np.asarray(target)
    wshape = (n_classes,) + (1,) * (input.ndim - cdim - 1)
    wc = None if weight is None else np.asarray(weight._data if isinstance(weight, Tensor) else weight,
                                                dtype=input.dtype)
    if t.dtype.kind == "f":  # class probabilities
        if tuple(t.shape) != tuple(input.shape):
            raise RuntimeError(f"cross_entropy: probability targets must have the input's shape {list(input.shape)}, "
                             f"got {list(t.shape)}")
        target = _as_tensor(target, input)
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        prod = logp * target if wc is None else logp * target * wc.reshape(wshape)
        if reduction == "none":
            return -prod.sum(cdim)
        total = -prod.sum()
        return total if reduction == "sum" else _mean_over(total, input.numel() // n_classes)
    nll = nll_loss(logp, t, weight, ignore_index, reduction)
    if label_smoothing == 0:
        return nll
    valid = t != ignore_index
    smooth = -(logp.sum(cdim) if wc is None else (logp * wc.reshape(wshape)).sum(cdim))
    smooth = ag.where(valid, smooth, 0.0)  # masked as PyTorch's masked_fill: no 0 * inf at ignored targets
    if reduction == "none":
        ret = smooth
    elif reduction == "sum":
        ret = smooth.sum()
    else:
        denom = valid.sum() if wc is None else wc[t[valid]].sum()
        # nothing counted: nan as in PyTorch, with a 0 gradient at the ignored targets (see nll_loss)
        ret = smooth.sum() / float(denom) if denom != 0 else smooth.sum() * float("nan")
    return (1 - label_smoothing) * nll + ret * (label_smoothing / n_classes)


def kl_div(input: Tensor, target: Any, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """target * (log target - input) pointwise (input holds log-probabilities); 0 where target = 0."""
    _check_reduction(reduction, "kl_div", ("batchmean",))
    target = _as_tensor(target, input)
    if log_target:
        loss = ag.exp(target) * (target - input)
    else:
        pos = target._data > 0
        safe = ag.where(pos, target, 1.0)
        loss = ag.where(pos, target * ag.log(safe), 0.0) - target * input
    if reduction == "batchmean":
        return _mean_over(loss.sum(), input.shape[0] if input.ndim else 1)
    if reduction == "mean":
        warnings.warn(
            "kl_div: reduction: 'mean' divides the total loss by both the batch size and the support size. "
            "'batchmean' divides only by the batch size, and aligns with the KL div math definition.",
            UserWarning, stacklevel=2)
    return _reduce(loss, reduction, "kl_div")


# ---------------------------------------------------------------------- margin, embedding and likelihood losses
# Compositions of core ops in PyTorch's own formulas (ATen's and torch.nn.functional's), so values, kinks and
# gradients of every order follow PyTorch's. The legacy size_average / reduce arguments keep their positions.
def _legacy(size_average: bool | None, reduce: bool | None, reduction: str, op: str) -> str:
    """PyTorch's _Reduction.legacy_get_string (with its deprecation warning) and the check of ``reduction``."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' "
                      "instead.", UserWarning, stacklevel=3)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: {reduction} is not a valid value for reduction; use 'mean', 'sum' or 'none'")
    return reduction


def _tensor_arg(t: Any, like: Tensor) -> Tensor:
    return t if isinstance(t, Tensor) else ag.tensor(np.asarray(t, dtype=like.dtype))


def _float_dtype(*ts: Tensor) -> None:
    for t in ts:
        if t.dtype.kind != "f":
            raise RuntimeError(f"expected a floating point input, got {t.dtype}; convert it with .float()")


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Any, margin: float = 0,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    """max(0, -y (x1 - x2) + margin), reduced."""
    reduction = _legacy(size_average, reduce, reduction, "margin_ranking_loss")
    target = _tensor_arg(target, input1)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {list(input1.shape)}, input2: {list(input2.shape)}, target: "
                           f"{list(target.shape)} ")
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction, "margin_ranking_loss")


def hinge_embedding_loss(input: Tensor, target: Any, margin: float = 1.0, size_average: bool | None = None,
                         reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """x where y = 1, max(0, margin - x) where y = -1 (both terms where y is neither), reduced."""
    reduction = _legacy(size_average, reduce, reduction, "hinge_embedding_loss")
    target = _tensor_arg(target, input)
    t = target._data
    margin_clamp = (margin - input).clamp(min=0)
    loss = ag.where(t != 1, margin_clamp, 0.0) + ag.where(t != -1, input, 0.0)
    return _reduce(loss, reduction, "hinge_embedding_loss")


def soft_margin_loss(input: Tensor, target: Any, size_average: bool | None = None, reduce: bool | None = None,
                     reduction: str = "mean") -> Tensor:
    """log(1 + exp(-y x)), reduced (PyTorch's formula, which overflows to inf as PyTorch's does)."""
    reduction = _legacy(size_average, reduce, reduction, "soft_margin_loss")
    target = _tensor_arg(target, input)
    if target.dtype != input.dtype and target.dtype.kind == "f" and input.dtype.kind == "f":
        target = target.to(input.dtype)  # PyTorch computes into a tensor of the input's dtype
    return _reduce(ag.log1p(ag.exp(-input * target)), reduction, "soft_margin_loss")


def multilabel_soft_margin_loss(input: Tensor, target: Any, weight: Any = None, size_average: bool | None = None,
                                reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """-(y log sigmoid(x) + (1 - y) log sigmoid(-x)) averaged over the classes (last dim), then reduced."""
    from ._activations import logsigmoid

    reduction = _legacy(size_average, reduce, reduction, "multilabel_soft_margin_loss")
    target = _tensor_arg(target, input)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * _as_weight(weight, input)
    cdim = input.ndim - 1
    if input.ndim == 0:
        raise IndexError("multilabel_soft_margin_loss: input must have a class dimension, got a 0-d tensor")
    loss = loss.sum(dim=cdim) / input.shape[cdim]
    return _reduce(loss, reduction, "multilabel_soft_margin_loss")


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Any, margin: float = 0,
                          size_average: bool | None = None, reduce: bool | None = None,
                          reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1, reduced."""
    reduction = _legacy(size_average, reduce, reduction, "cosine_embedding_loss")
    target = _tensor_arg(target, input1)
    td = target.ndim
    if td not in (0, 1):
        raise RuntimeError(f"cosine_embedding_loss: 0D or 1D target tensor expected, multi-target not supported, "
                           f"got a target of shape {list(target.shape)}")
    if td == 1 and not (input1.ndim == 2 and input2.ndim == 2):
        raise RuntimeError(f"cosine_embedding_loss: 1D target tensor expects 2D input tensors, but found inputs with "
                           f"sizes {list(input1.shape)} and {list(input2.shape)}.")
    if td == 0 and not (input1.ndim == 1 and input2.ndim == 1):
        raise RuntimeError(f"cosine_embedding_loss: 0D target tensor expects 1D input tensors, but found inputs with "
                           f"sizes {list(input1.shape)} and {list(input2.shape)}.")
    eps = 1e-12  # PyTorch's EPSILON, added to each squared magnitude
    prod = (input1 * input2).sum(td)
    mag = (((input1 * input1).sum(td) + eps) * ((input2 * input2).sum(td) + eps)).sqrt()
    cos = prod / mag
    t = target._data
    loss = ag.where(t == 1, 1 - cos, 0.0) + ag.where(t == -1, (cos - margin).clamp(min=0), 0.0)
    return _reduce(loss, reduction, "cosine_embedding_loss")


def _pairwise(x1: Tensor, x2: Tensor, p: float, eps: float, keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim of the broadcast shape (PyTorch's pairwise_distance)."""
    nd = max(x1.ndim, x2.ndim)
    d = x1 - x2 + eps
    if nd == 0:
        return ag.abs(d) if p != 0 else (d != 0).to(d.dtype)
    return d.norm(p, dim=nd - 1, keepdim=keepdim)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average: bool | None = None,
                        reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)) with d the pairwise p-norm distance (swap: d(a, n) -> min with
    d(p, n)), reduced."""
    reduction = _legacy(size_average, reduce, reduction, "triplet_margin_loss")
    if margin <= 0:
        raise ValueError(f"triplet_margin_loss: margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(f"triplet_margin_loss: The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, "
                           f"and negative {negative.ndim}D inputs")
    d_pos = _pairwise(anchor, positive, p, eps)
    d_neg = _pairwise(anchor, negative, p, eps)
    if swap:
        d_neg = ag.minimum(d_neg, _pairwise(positive, negative, p, eps))
    return _reduce((margin + d_pos - d_neg).clamp(min=0), reduction, "triplet_margin_loss")


def multi_margin_loss(input: Tensor, target: Any, p: int = 1, margin: float = 1.0, weight: Any = None,
                      size_average: bool | None = None, reduce: bool | None = None,
                      reduction: str = "mean") -> Tensor:
    """sum over classes j != y of max(0, margin - x[y] + x[j])**p (times weight[y]) / C per sample, reduced."""
    reduction = _legacy(size_average, reduce, reduction, "multi_margin_loss")
    if p not in (1, 2):
        raise ValueError("multi_margin_loss: only p == 1 and p == 2 supported")
    if weight is not None and np.ndim(weight._data if isinstance(weight, Tensor) else weight) != 1:
        raise ValueError("multi_margin_loss: weight must be one-dimensional")
    nd = input.ndim
    if not ((nd == 2 and input.shape[1] != 0) or (nd == 1 and input.shape[0] != 0) or nd == 0):
        raise RuntimeError(f"multi_margin_loss: Expected non-empty vector or matrix with optional 0-dim batch size, "
                           f"but got: {list(input.shape)}")
    nframe, c = (1, 1 if nd == 0 else input.shape[0]) if nd <= 1 else input.shape
    t = np.asarray(target._data if isinstance(target, Tensor) else target)
    if t.dtype.kind not in "iu":
        raise RuntimeError(f"multi_margin_loss: expected target of integer class indices (Long), got dtype {t.dtype}")
    if t.ndim > 1 or t.size != nframe:
        raise RuntimeError(f"multi_margin_loss: inconsistent target size, expected {nframe} but got {list(t.shape)}")
    if t.size and (t.min() < 0 or t.max() >= c):
        raise RuntimeError(f"multi_margin_loss: target out of range: class indices must be in [0, {c}), got min "
                           f"{t.min()} and max {t.max()}")
    x = input.reshape(nframe, c)
    ti = t.reshape(nframe, 1).astype(np.int64)
    picked = x.gather(1, ag.tensor(ti))
    z = margin - picked + x
    # z where z > 0 only, as PyTorch's kernel tests it: a nan z adds nothing (relu would keep it), 0 gradient at 0
    h = ag.where(z.detach().numpy() > 0, z, 0.0)
    if p == 2:
        h = h * h
    h = ag.where(np.arange(c) == ti, 0.0, h)  # the target's own class does not count
    if weight is not None:
        if isinstance(weight, Tensor) and weight.dtype != input.dtype:
            raise RuntimeError(f"multi_margin_loss: expected scalar type {_TORCH_NAMES.get(str(input.dtype))} but "
                               f"found {_TORCH_NAMES.get(str(weight.dtype))}: the weight is {weight.dtype} and the "
                               f"input {input.dtype}; cast the weight with weight.to(input.dtype)")
        w = _as_weight(weight, input)
        wv = w._data if isinstance(w, Tensor) else w
        if wv.size != c:
            raise RuntimeError(f"multi_margin_loss: inconsistent weight size, expected {c} but got "
                               f"{list(np.shape(wv))}")
        h = h * (w[ag.tensor(t.reshape(-1).astype(np.int64))] if isinstance(w, Tensor)
                 else w[t.reshape(-1)]).reshape(nframe, 1)
    # PyTorch's kernel multiplies its local gradient by the upstream one, so a nan upstream gradient reaches every
    # element (0 * nan), where the masks above would stop it: a term worth exactly 0 carries that product
    carrier = (ag.where(np.isfinite(x._data), x, 0.0) * 0.0).sum(1)
    loss = (h.sum(1) + carrier) / c
    if reduction == "none":
        return loss if t.ndim > 0 else loss.reshape(())
    return _reduce(loss, reduction, "multi_margin_loss")


def poisson_nll_loss(input: Tensor, target: Any, log_input: bool = True, full: bool = False,
                     size_average: bool | None = None, eps: float = 1e-8, reduce: bool | None = None,
                     reduction: str = "mean") -> Tensor:
    """exp(x) - y x (log_input) or x - y log(x + eps); full adds Stirling's y log y - y + log(2 pi y) / 2
    where y > 1."""
    reduction = _legacy(size_average, reduce, reduction, "poisson_nll_loss")
    target = _tensor_arg(target, input)
    loss = ag.exp(input) - target * input if log_input else input - target * ag.log(input + eps)
    if full:
        with np.errstate(divide="ignore", invalid="ignore"):  # log(0) at the targets the mask then drops
            stirling = target * ag.log(target) - target + 0.5 * ag.log(2 * math.pi * target)
            loss = loss + ag.where(target._data <= 1, 0.0, stirling)
    return _reduce(loss, reduction, "poisson_nll_loss")


def gaussian_nll_loss(input: Tensor, target: Any, var: Any, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """(log(max(var, eps)) + (x - y)**2 / max(var, eps)) / 2 (+ log(2 pi) / 2 if full), reduced; the clamp
    is not differentiated (PyTorch clamps var under no_grad)."""
    target = _tensor_arg(target, input)
    if isinstance(var, float):
        if var < 0:
            raise ValueError("gaussian_nll_loss: var has negative entry/entries")
        var = ag.full(tuple(input.shape), var, dtype=input.dtype)
    else:
        var = _tensor_arg(var, input)
        if (var._data < 0).any():
            raise ValueError("gaussian_nll_loss: var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)  # homoscedastic: one variance per row
        elif not (input.ndim == var.ndim
                  and sum(b for a, b in zip(input.shape, var.shape) if a != b) == 1):
            raise ValueError(f"gaussian_nll_loss: var is of incorrect size: {list(var.shape)} for input "
                             f"{list(input.shape)} (use the input's shape, or it with one dim of size 1, or without "
                             "its last dim)")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"gaussian_nll_loss: {reduction} is not valid")
    v = var.detach()
    var = var + (v.clamp(min=eps) - v)  # the clamped value with the unclamped gradient
    d = input - target
    loss = 0.5 * (ag.log(var) + d * d / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction, "gaussian_nll_loss")
