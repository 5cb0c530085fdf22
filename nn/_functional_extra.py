"""Functional ops of the nn-breadth work: gumbel_softmax, rrelu, channel_shuffle, pdist, embedding_bag, grid_sample,
affine_grid, ctc_loss and the margin losses multilabel_margin_loss / triplet_margin_with_distance_loss.

Each is a composition of recorded core ops (so every order of gradient comes from their rules) except ctc_loss,
whose forward-backward recursion is one once-differentiable op (``autograd_core.ops.ctc``), as in PyTorch.
Where PyTorch's gradient differs from the plain derivative of its forward (pdist's ties, grid_sample's clipped
coordinates) the composition is arranged to give PyTorch's numbers; comments say where.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor, _creation
from autograd_core._tensor import bump_version
from autograd_core.ops.ctc import ctc_loss_nll

from ._activations import write_into
from ._functional_ops import pairwise_distance
from ._losses import _TORCH_NAMES, _legacy, _mean_over

__all__: list[str] = [
    "affine_grid", "channel_shuffle", "ctc_loss", "embedding_bag", "grid_sample", "gumbel_softmax",
    "multilabel_margin_loss", "native_channel_shuffle", "pdist", "rrelu", "rrelu_",
    "triplet_margin_with_distance_loss",
]

_REDUCTIONS = ("mean", "sum", "none")


def _arr(x: Any) -> np.ndarray:
    return np.asarray(x._data if isinstance(x, Tensor) else x)


def _torch_name(dt: Any) -> str:
    return _TORCH_NAMES.get(str(np.dtype(dt)), str(dt))


def _keep_graph(out: Tensor, *others: Tensor) -> Tensor:
    """``out`` unchanged, recorded as depending on ``others`` with a zero gradient: PyTorch's result requires grad
    whenever an input does, even where the derivative is identically zero (pdist p=0, nearest grid_sample)."""
    for o in others:
        if isinstance(o, Tensor) and o.requires_grad and ag.is_grad_enabled():
            s = o.sum() if o.ndim else o
            out = ag.where(np.ones(out.shape, dtype=bool), out, s)  # where's gradient to s is 0 everywhere
    return out


# ---------------------------------------------------------------------- activations
def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1) -> Tensor:
    """softmax((logits + g) / tau) with g ~ Gumbel(0, 1) i.i.d.; hard: the one-hot of its argmax, with the soft
    sample's gradient (straight-through)."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    if logits.dtype.kind != "f":
        raise RuntimeError(f"gumbel_softmax: expected floating point logits, got dtype {logits.dtype}; convert them "
                           "with .float()")
    # -log(E) with E ~ Exp(1) is Gumbel(0, 1): the same construction as PyTorch's (not the same random stream)
    gumbels = -ag.empty_like(logits).exponential_().log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = ag.zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


def _rrelu_checks(input: Tensor, lower: float, upper: float, training: bool) -> None:
    if lower > upper:
        raise RuntimeError("rrelu: Lower bound should be less than or equal to the upper bound "
                           f"(got lower={lower}, upper={upper})")
    if input.dtype.kind != "f":
        kernel = "rrelu_with_noise_out_cpu" if training else "leaky_relu_cpu"
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_torch_name(input.dtype)}\': rrelu needs a '
                                  "floating point input; convert it with .float()")


def _rrelu(input: Tensor, lower: float, upper: float, training: bool) -> Tensor:
    if not training:
        return ag.nn.functional.leaky_relu(input, (lower + upper) / 2)
    x = input._data
    # PyTorch draws a slope a ~ U(lower, upper) for every x <= 0 and keeps it as the gradient there (1 elsewhere)
    a = _creation.generator().uniform(lower, upper, x.shape).astype(x.dtype)
    noise = np.where(x <= 0, a, np.ones((), dtype=x.dtype))
    return input * noise


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """x for x > 0, a x otherwise, with a ~ U(lower, upper) per element in training and a = (lower + upper) / 2
    in evaluation."""
    _rrelu_checks(input, lower, upper, training)
    if inplace:
        return write_into(input, _rrelu, lower, upper, training)
    return _rrelu(input, lower, upper, training)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:
    """In-place rrelu."""
    return rrelu(input, lower, upper, training, inplace=True)


# ---------------------------------------------------------------------- shape
def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """(N, g * k, *) -> (N, k * g, *): channel c = i k + j moves to j g + i (ShuffleNet's channel shuffle)."""
    if input.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes "
                           f"{list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    n, c = input.shape[:2]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")
    rest = tuple(input.shape[2:])
    # clone: a new tensor, never a view of the input (as PyTorch's; an in-place op on it must not reach the input)
    return input.reshape((n, groups, c // groups) + rest).transpose(1, 2).clone().reshape((n, c) + rest)


def native_channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """channel_shuffle (PyTorch's kernel-level name; here differentiable too, where PyTorch 2.13's raises in
    backward)."""
    return channel_shuffle(input, groups)


# ---------------------------------------------------------------------- distances
def pdist(input: Tensor, p: float = 2) -> Tensor:
    """||x_i - x_j||_p for every pair of rows i < j of an (N, M) input, in row-major order: N (N - 1) / 2 values.

    Gradients are PyTorch's: 0 where a pair (or, for p < 1, an element of it) is equal, and for p = inf the full
    sign to every element attaining the max (a max's gradient would split it among ties)."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if input.dtype.kind != "f":
        raise RuntimeError(f"pdist only supports floating-point dtypes (got {input.dtype}); convert with .float()")
    if p < 0:
        raise RuntimeError(f"pdist only supports non-negative p values (got p={p})")
    n = input.shape[0]
    i, j = np.triu_indices(n, 1)
    d = input[i] - input[j]
    if d.shape[1] == 0 or d.shape[0] == 0:
        return d.sum(1)
    a = ag.abs(d)
    ad = a._data
    if p == 0:
        return _keep_graph(ag.tensor((ad != 0).sum(1).astype(ad.dtype)), d)
    if math.isinf(p):
        m = ad.max(1)
        ties = ad == m[:, None]  # every element at the max gets the whole gradient (PyTorch's pdist backward)
        return ag.tensor(m) + ((a - a.detach()) * ties).sum(1)
    if p == 1:
        return a.sum(1)
    zero = ad == 0
    if p == 2:
        s = (d * d).sum(1)
    else:
        s = ag.where(zero, 0.0, ag.where(zero, 1.0, a) ** p).sum(1)  # |0|**p: no 0 * inf in the gradient
    sd = s._data
    if p == 2:
        return ag.where(sd == 0, 0.0, ag.where(sd == 0, 1.0, s).sqrt())
    return ag.where(sd == 0, 0.0, ag.where(sd == 0, 1.0, s) ** (1.0 / p))


# ---------------------------------------------------------------------- losses
def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
                                      margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)) with a user distance d (default pairwise_distance); swap: d(a, n) ->
    min(d(a, n), d(p, n)); reduced."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and negative "
                           f"{negative.ndim}D inputs")
    dist = pairwise_distance if distance_function is None else distance_function
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = ag.minimum(d_neg, dist(positive, negative))
    return _reduce((margin + d_pos - d_neg).clamp(min=0), reduction)


def multilabel_margin_loss(input: Tensor, target: Any, size_average: bool | None = None, reduce: bool | None = None,
                           reduction: str = "mean") -> Tensor:
    """sum over target classes j (the labels before the first -1) and non-target classes i of
    max(0, 1 - (x[j] - x[i])) / C, per sample; reduced."""
    if size_average is not None or reduce is not None:
        reduction = _legacy(size_average, reduce, reduction, "multilabel_margin_loss")
    elif reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    nd = input.ndim
    if not ((nd == 2 and input.shape[1] != 0) or (nd == 1 and input.shape[0] != 0) or nd == 0):
        raise RuntimeError(f"multilabel_margin_loss: Expected non-empty vector or matrix with optional 0-dim batch "
                           f"size, but got: {list(input.shape)}")
    t = _arr(target)
    if t.dtype != np.int64:
        raise RuntimeError(f"multilabel_margin_loss: expected scalar type Long but found {_torch_name(t.dtype)} "
                           "(the target holds class indices); convert it with .long()")
    nframe, c = (1, 1 if nd == 0 else input.shape[0]) if nd <= 1 else input.shape
    if (nd <= 1 and t.size != c) or (nd == 2 and tuple(t.shape) != (nframe, c)):
        raise RuntimeError(f"multilabel_margin_loss: inconsistent target size: {list(t.shape)} for input of size: "
                           f"{list(input.shape)}")
    t = t.reshape(nframe, c)
    if t.size and (t.min() < -1 or t.max() >= c):
        raise RuntimeError(f"multilabel_margin_loss: argument #2 'target' is out of range: labels must be in "
                           f"[0, {c}) with -1 ending the list, got min {t.min()} and max {t.max()}")
    # the labels are those before the first -1; a label listed twice counts twice (PyTorch's loop over the list)
    valid = np.cumprod(t != -1, axis=1).astype(bool)
    count = np.zeros((nframe, c))
    rows = np.repeat(np.arange(nframe), c).reshape(nframe, c)
    np.add.at(count, (rows[valid], t[valid]), 1.0)
    is_target = count > 0
    pair_w = (count[:, :, None] * ~is_target[:, None, :]).astype(input.dtype)  # [n, j (target), i (other)]
    x = input.reshape(nframe, c)
    z = 1.0 - x.unsqueeze(2) + x.unsqueeze(1)
    # PyTorch's loop adds z for the (target, other) pairs with z > 0 only: a nan z, or an inf one of a pair that
    # does not count (inf * 0), adds nothing; 0 gradient at z = 0
    take = (z.detach().numpy() > 0) & (pair_w != 0)
    loss = ag.where(take, z * pair_w, 0.0).sum((1, 2)) / c
    if reduction == "none":
        return loss.reshape(()) if nd <= 1 else loss
    if reduction == "sum":
        return loss.sum()
    return _mean_over(loss.sum(), nframe)


# ---------------------------------------------------------------------- embedding_bag
def _renorm_rows(weight: Tensor, idx: np.ndarray, max_norm: float, norm_type: float) -> None:
    """PyTorch's embedding_renorm_: the rows looked up scaled in place (unrecorded) to norm <= max_norm."""
    if not idx.size:
        return
    rows = np.unique(idx)
    w = weight._data
    norms = np.linalg.norm(w[rows].astype(np.float64), ord=norm_type, axis=1)
    big = norms > max_norm
    if big.any():
        w[rows[big]] *= (max_norm / (norms[big] + 1e-7))[:, None].astype(w.dtype)
        bump_version(weight)


def _bags(n_idx: int, offsets: np.ndarray, include_last_offset: bool) -> tuple[int, np.ndarray]:
    """(number of bags, bag of each input position or -1 where a position belongs to none)."""
    if offsets.size and offsets[0] != 0:
        raise RuntimeError(f"embedding_bag: offsets[0] has to be 0, i.e., the first sequence in the mini-batch has "
                           f"to start from position 0. However, got {offsets[0]}")
    if offsets.size and offsets[-1] > n_idx:
        raise RuntimeError(f"embedding_bag: offsets[-1] can not be greater than input's length {n_idx} but got "
                           f"offsets[-1] of {offsets[-1]}")
    if offsets.size > 1 and (np.diff(offsets) < 0).any():
        raise RuntimeError(f"embedding_bag: offsets must be non-decreasing (each bag starts where the previous one "
                           f"ends or later), got {offsets.tolist()}")
    if include_last_offset:
        nb = max(offsets.size - 1, 0)
        starts, end = offsets[:nb], (offsets[-1] if offsets.size else 0)
    else:
        nb = offsets.size
        starts, end = offsets, n_idx
    pos = np.arange(n_idx)
    bag = np.searchsorted(starts, pos, side="right") - 1  # empty bags repeat a start: the last one holds it
    bag[pos >= end] = -1
    if not nb:
        bag[:] = -1
    return nb, bag


def embedding_bag(input: Any, weight: Tensor, offsets: Any = None, max_norm: float | None = None,
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Per bag b: sum / mean / max over its indices i of weight[i] (times per_sample_weights in 'sum' mode); bags
    are the rows of a 2-D input, or the slices offsets[b]:offsets[b+1] of a 1-D one; padding_idx entries are
    left out (and not counted by 'mean'); an empty bag gives zeros."""
    if isinstance(weight, Tensor) and weight.dtype.kind in "iu" and isinstance(input, Tensor) \
            and input.dtype.kind == "f":
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage `embedding_bag(weight, "
                      "input, ...)` is deprecated, and should now be `embedding_bag(input, weight, ...)`.",
                      stacklevel=2)
        weight, input = input, weight
    idx = _arr(input)
    psw = per_sample_weights
    if psw is not None and tuple(idx.shape) != tuple(psw.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({list(psw.shape)}) is not None, then it must have "
                         f"the same shape as the input ({list(idx.shape)})")
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.ndim}")
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {type(offsets)}")
        if idx.shape[1] == 0 and idx.shape[0]:
            raise RuntimeError(f"embedding_bag: a 2-D input of bags of length 0 (shape {list(idx.shape)}) has no "
                               "offsets to split it by; pass a 1-D input with offsets for empty bags")
        offs = np.arange(0, idx.size, max(idx.shape[1], 1), dtype=np.int64)
        include_last_offset = False
        idx = idx.reshape(-1)
        if psw is not None:
            psw = psw.reshape(-1)
    elif idx.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        offs = _arr(offsets)
        if offs.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {idx.ndim}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    for name, a in (("indices", idx), ("offsets", offs)):
        if a.dtype not in (np.int64, np.int32):
            raise RuntimeError(f"embedding_bag: Expected tensor for argument '{name}' to have one of the following "
                               f"scalar types: Long, Int; but got {_torch_name(a.dtype)} instead")
    n = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        k = int(np.flatnonzero((idx < 0) | (idx >= n))[0])
        raise RuntimeError(f"embedding_bag: Index {k} of input takes value {idx[k]} which is not in the valid range "
                           f"[0, {n})")
    if max_norm is not None:
        _renorm_rows(weight, idx, max_norm, norm_type)
    if psw is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                                  "GitHub.")
    if psw is not None and psw.dtype != weight.dtype:
        raise RuntimeError(f"embedding_bag: Expected tensor for argument 'per_sample_weights' to have the same type "
                           f"as the weight; but type {_torch_name(psw.dtype)} does not equal "
                           f"{_torch_name(weight.dtype)}; cast it with per_sample_weights.to(weight.dtype)")
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, {-n} through {n - 1}, but got "
                               f"{padding_idx}")
        padding_idx %= n
    nb, bag = _bags(idx.size, offs.astype(np.int64), include_last_offset)
    keep = bag >= 0
    if padding_idx is not None:
        keep &= idx != padding_idx
    kept, kbag = idx[keep].astype(np.int64), bag[keep]
    d = weight.shape[1]
    if mode == "max" and kept.size:
        return _bag_max(weight, kept, kbag, nb)
    rows = weight[kept]
    if scale_grad_by_freq and kept.size:
        # the gradient reaching row i is divided by how often i occurs in the whole input (PyTorch's rule); the
        # value is unchanged: rows + (rows - rows) * s is rows exactly
        uniq, inv, cnt = np.unique(idx, return_inverse=True, return_counts=True)
        freq = cnt[np.searchsorted(uniq, kept)].astype(weight.dtype)
        fin = np.isfinite(rows._data)
        rows = ag.where(fin, rows.detach() + (rows - rows.detach()) * (1 / freq)[:, None], rows)
    if psw is not None:
        rows = rows * psw.reshape(-1)[ag.tensor(keep)].unsqueeze(1)
    out = ag.zeros((nb, d), dtype=weight.dtype).index_add(0, ag.tensor(kbag), rows)
    if mode == "mean":
        count = np.bincount(kbag, minlength=nb).astype(weight.dtype)
        out = out / np.maximum(count, 1)[:, None]  # sum, then divided by the bag's size (1 for an empty bag)
    return out


def _bag_max(weight: Tensor, kept: np.ndarray, kbag: np.ndarray, nb: int) -> Tensor:
    """Per bag and column, the first row attaining the max, picked by one gather from weight (the gradient goes
    to that one row, as PyTorch's max_indices)."""
    vals = weight._data[kept]  # (K, D), bags in contiguous runs
    starts = np.flatnonzero(np.r_[True, kbag[1:] != kbag[:-1]])
    bags = kbag[starts]
    m = np.maximum.reduceat(vals, starts, axis=0)
    pos = np.arange(kept.size)[:, None]
    first = np.minimum.reduceat(np.where(vals == np.repeat(m, np.diff(np.r_[starts, kept.size]), axis=0), pos,
                                         kept.size), starts, axis=0)
    first = np.where(first == kept.size, starts[:, None], first)  # an all-nan column: its first row
    rows = np.zeros((nb, weight.shape[1]), dtype=np.int64)
    rows[bags] = kept[first]
    out = weight.gather(0, ag.tensor(rows))
    empty = np.ones(nb, dtype=bool)
    empty[bags] = False
    return ag.where(empty[:, None], 0.0, out) if empty.any() else out


# ---------------------------------------------------------------------- ctc_loss
def _lengths(v: Any, what: str) -> tuple[np.ndarray, bool]:
    """(lengths as int64, given as a tensor)."""
    if isinstance(v, Tensor):
        a = v._data
        if a.dtype.kind not in "iu":
            raise RuntimeError(f"ctc_loss: {what} must hold integers (Long or Int), got dtype {a.dtype}")
        return a.astype(np.int64).reshape(-1), True
    if isinstance(v, (int, np.integer)):
        return np.array([int(v)], dtype=np.int64), False
    return np.asarray(list(v), dtype=np.int64).reshape(-1), False


def ctc_loss(log_probs: Tensor, targets: Any, input_lengths: Any, target_lengths: Any, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """-log p(target | log_probs), summed over all alignments of the target (with blanks and repeats) to the
    input_length frames: log_probs (T, N, C) (or (T, C)), targets (N, S) padded or 1-D concatenated. 'mean': each
    loss divided by its target length (at least 1), then averaged over the batch."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    tgt = _arr(targets)
    il, il_t = _lengths(input_lengths, "input_lengths")
    tl, tl_t = _lengths(target_lengths, "target_lengths")
    if il_t != tl_t or (log_probs.ndim == 3 and not il_t and (isinstance(input_lengths, (int, np.integer))
                                                             or isinstance(target_lengths, (int, np.integer)))):
        raise TypeError("ctc_loss(): input_lengths and target_lengths must both be tensors or both be sequences of "
                        f"ints, got {type(input_lengths).__name__} and {type(target_lengths).__name__}")
    if log_probs.dtype.kind != "f":
        raise NotImplementedError(f'"ctc_loss_cpu" not implemented for \'{_torch_name(log_probs.dtype)}\': '
                                  "log_probs must be floating point (a log_softmax output)")
    batched = log_probs.ndim == 3
    lp = log_probs if batched else log_probs.unsqueeze(1)
    if lp.ndim != 3:
        raise RuntimeError(f"ctc_loss: Expected 3-dimensional tensor, but got {log_probs.ndim}-dimensional tensor "
                           "for argument #1 'log_probs' (T, N, C), or (T, C) unbatched")
    if not batched and tgt.ndim == 1:
        tgt = tgt[None]
    if tgt.dtype.kind not in "iuf":
        raise RuntimeError(f"ctc_loss: targets must hold class indices (Long or Int), got dtype {tgt.dtype}")
    tgt = tgt.astype(np.int64)  # PyTorch converts other dtypes of targets to Long too
    if lp.numel() == 0:
        raise RuntimeError(f"ctc_loss: log_probs tensor must not be empty (got shape {list(log_probs.shape)})")
    t_max, n, c = lp.shape
    if not 0 <= blank < c:
        raise RuntimeError(f"ctc_loss: blank must be in label range [0, {c}), got {blank}")
    if il.size != n:
        raise RuntimeError(f"ctc_loss: input_lengths must be of size batch_size ({n}), got {il.size}")
    if tl.size != n:
        raise RuntimeError(f"ctc_loss: target_lengths must be of size batch_size ({n}), got {tl.size}")
    if tgt.ndim not in (1, 2):
        raise RuntimeError(f"ctc_loss: Expected 1 to 2 dimensions, but got {tgt.ndim}-dimensional tensor for "
                           "argument #2 'targets'")
    for what, a in (("input_lengths", il), ("target_lengths", tl)):
        if a.size and a.min() < 0:
            raise RuntimeError(f"ctc_loss: Expected {what} to have value at least 0, but got value {a.min()}")
    if il.size and il.max() > t_max:
        raise RuntimeError(f"ctc_loss: Expected input_lengths to have value at most {t_max}, but got value "
                           f"{il.max()}")
    smax = int(tl.max()) if tl.size else 0
    if tgt.ndim == 1:
        if tgt.shape[0] != tl.sum():
            raise RuntimeError(f"ctc_loss: Expected tensor to have size {tl.sum()} at dimension 0, but got size "
                               f"{tgt.shape[0]} for argument #2 'targets' (the concatenated targets hold "
                               "sum(target_lengths) labels)")
        padded = np.zeros((n, smax), dtype=np.int64)
        ends = np.cumsum(tl)
        for b in range(n):
            padded[b, :tl[b]] = tgt[ends[b] - tl[b]:ends[b]]
    else:
        if tgt.shape[1] < smax:
            raise RuntimeError(f"ctc_loss: Expected tensor to have size at least {smax} at dimension 1, but got size "
                               f"{tgt.shape[1]} for argument #2 'targets'")
        if tgt.shape[0] != n:
            raise RuntimeError(f"ctc_loss: Expected tensor to have size {n} at dimension 0, but got size "
                               f"{tgt.shape[0]} for argument #2 'targets' (one row per batch element)")
        padded = np.where(np.arange(smax)[None, :] < tl[:, None], tgt[:, :smax], 0).astype(np.int64)
    if padded.size and (padded.min() < 0 or padded.max() >= c):
        raise RuntimeError(f"ctc_loss: target labels must be in [0, {c}), got min {padded.min()} and max "
                           f"{padded.max()}")
    nll = ctc_loss_nll(lp, padded, il, tl, blank, zero_infinity)
    if zero_infinity:
        nll = ag.where(np.isinf(nll._data), 0.0, nll)
    if reduction == "mean":
        return (nll / np.maximum(tl, 1).astype(lp.dtype)).mean()
    if reduction == "sum":
        return nll.sum()
    return nll if batched else nll.reshape(())


# ---------------------------------------------------------------------- grid_sample, affine_grid
_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                  "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                  "grid_sample for details.")


def _source_coords(g: np.ndarray, size: int, padding_mode: str, align_corners: bool,
                   bicubic: bool) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's grid_sampler_compute_source_index on normalised coordinates g in [-1, 1], in g's float type:
    (source pixel coordinate, its derivative with respect to g). The map is piecewise linear (unnormalise, clip,
    reflect), so the derivative is a constant per element; at a clip boundary it is 0, as in PyTorch."""
    dt = g.dtype.type
    one, two = dt(1), dt(2)
    if align_corners:
        x = ((g + one) / two) * dt(size - 1)
        d = np.full(g.shape, dt(size - 1) / two, dtype=g.dtype)
    else:
        x = ((g + one) * dt(size) - one) / two
        d = np.full(g.shape, dt(size) / two, dtype=g.dtype)
    if bicubic:  # bicubic pads its 16 taps, not the coordinate
        return x, d
    if padding_mode == "border":
        x, d = _clip(x, d, size)
    elif padding_mode == "reflection":
        if align_corners:
            x, d = _reflect(x, d, 0, 2 * (size - 1))
        else:
            x, d = _reflect(x, d, -1, 2 * size - 1)
        x, d = _clip(x, d, size)
    return x, d


def _clip(x: np.ndarray, d: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    hi = x.dtype.type(size - 1)
    inside = (x > 0) & (x < hi)
    return np.minimum(hi, np.maximum(x, x.dtype.type(0))), np.where(inside, d, 0).astype(d.dtype)


def _reflect(x: np.ndarray, d: np.ndarray, twice_low: int, twice_high: int) -> tuple[np.ndarray, np.ndarray]:
    dt = x.dtype.type
    if twice_low == twice_high:
        return np.zeros_like(x), np.zeros_like(d)
    lo, span = dt(twice_low) / dt(2), dt(twice_high - twice_low) / dt(2)
    x = x - lo
    sign = np.where(x < 0, dt(-1), dt(1))
    x = np.abs(x)
    with np.errstate(invalid="ignore"):
        extra = np.fmod(x, span)
        flips = np.floor(x / span)
    even = np.fmod(flips, 2) == 0
    out = np.where(even, extra + lo, span - extra + lo).astype(x.dtype)
    return out, (d * np.where(even, sign, -sign)).astype(d.dtype)


def _coord(grid: Tensor, k: int, size: int, padding_mode: str, align_corners: bool,
           bicubic: bool = False) -> tuple[np.ndarray, Any]:
    """(the source coordinate's value, the same as a recorded function of grid[..., k] when grid requires grad)."""
    gk = grid[..., k]
    x, d = _source_coords(gk._data, size, padding_mode, align_corners, bicubic)
    if not (grid.requires_grad and ag.is_grad_enabled()):
        return x, x
    # x + d (g - g): x's value exactly, and d as its derivative (every higher one is 0: the map is piecewise linear)
    delta = gk - gk.detach()
    fin = np.isfinite(gk._data)
    if not fin.all():
        delta = ag.where(fin, delta, 0.0)
    return x, ag.tensor(x) + delta * d


def _gather(flat: Tensor, lin: np.ndarray) -> Tensor:
    """flat (N, C, P) at per-sample positions lin (N, Q) -> (N, C, Q)."""
    n, c = flat.shape[:2]
    idx = np.broadcast_to(lin[:, None, :], (n, c, lin.shape[1]))
    return flat.gather(2, ag.tensor(np.ascontiguousarray(idx)))


def _tap(flat: Tensor, idx: list, sizes: tuple, out_shape: tuple) -> Tensor:
    """input values at integer positions idx (per spatial dim, each (N, *out)), 0 outside (zeros padding)."""
    inb = np.ones(idx[0].shape, dtype=bool)
    lin = np.zeros(idx[0].shape, dtype=np.int64)
    for i, s in zip(idx, sizes):
        inb &= (i >= 0) & (i < s)
        lin = lin * s + np.clip(i, 0, s - 1)
    n = lin.shape[0]
    v = _gather(flat, lin.reshape(n, math.prod(lin.shape[1:]))).reshape(out_shape)
    if inb.all():
        return v
    return ag.where(inb.reshape(n, 1, *inb.shape[1:]), v, 0.0)  # where: no 0 * inf, no gradient to the clamp


def _as_index(x: np.ndarray) -> np.ndarray:
    """A float coordinate as an int64 position; non-finite ones land out of range (their taps read 0)."""
    return np.where(np.isfinite(x), np.clip(x, -2 ** 40, 2 ** 40), -2 ** 40).astype(np.int64)


def _cubic_weights(t: Any) -> list:
    """Keys' cubic convolution weights (A = -0.75, PyTorch's) of the 4 taps at fractional offset t."""
    a = -0.75

    def near(v: Any) -> Any:  # |v| <= 1
        return ((a + 2) * v - (a + 3)) * v * v + 1

    def far(v: Any) -> Any:  # 1 < |v| < 2
        return ((a * v - 5 * a) * v + 8 * a) * v - 4 * a

    return [far(t + 1.0), near(t), near(1.0 - t), far(2.0 - t)]


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool | None = None) -> Tensor:
    """out[n, c, p] = input[n, c] sampled at the normalised location grid[n, p] ((x, y) or (x, y, z) in [-1, 1])
    by bilinear / nearest / bicubic interpolation, with zeros / border / reflection padding outside."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', "
                         f"but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    ish, gsh = list(input.shape), list(grid.shape)
    if input.ndim == 0 or grid.ndim == 0 or input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got input with "
                           f"sizes {ish} and grid with sizes {gsh}")
    if grid.shape[-1] != input.ndim - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.ndim - 2} in last dimension, but got "
                           f"grid with sizes {gsh}")
    for i in range(2, input.ndim):
        if input.shape[i] <= 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial dimensions, but input has "
                               f"sizes {ish} with dimension {i} being empty")
    if input.ndim not in (4, 5) or grid.ndim != input.ndim:
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, but "
                           f"got input with sizes {ish} and grid with sizes {gsh}")
    if mode == "bicubic" and input.ndim != 4:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if input.dtype.kind != "f" or grid.dtype.kind != "f":
        bad = input.dtype if input.dtype.kind != "f" else grid.dtype
        raise NotImplementedError(f'"grid_sampler_{input.ndim - 2}d_cpu" not implemented for \'{_torch_name(bad)}\': '
                                  "input and grid must be floating point")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"grid_sampler(): expected scalar type {_torch_name(input.dtype)} but found "
                           f"{_torch_name(grid.dtype)}: input and grid must share a dtype; cast the grid with "
                           "grid.to(input.dtype)")
    nsp = input.ndim - 2
    n, c = input.shape[:2]
    sizes = tuple(input.shape[2:])  # (H, W) or (D, H, W)
    out_sp = tuple(grid.shape[1:-1])
    out_shape = (n, c) + out_sp
    flat = input.reshape(n, c, math.prod(sizes))
    # grid's last dim runs x (W), y (H), z (D): coordinate k indexes spatial dim nsp - 1 - k
    coords = [_coord(grid, k, sizes[nsp - 1 - k], padding_mode, align_corners, mode == "bicubic")
              for k in range(nsp)][::-1]  # now in spatial-dim order (z,) y, x
    if mode == "nearest":
        idx = [_as_index(np.rint(v)) for v, _ in coords]  # nearbyint: half to even, as PyTorch
        return _keep_graph(_tap(flat, idx, sizes, out_shape), grid)
    if mode == "bilinear":
        lo = [np.floor(v) for v, _ in coords]
        out = None
        for corner in range(2 ** nsp):
            bits = [(corner >> (nsp - 1 - j)) & 1 for j in range(nsp)]
            # PyTorch's weights: (x_hi - x) for the low corner, (x - x_lo) for the high one, multiplied over dims
            w = None
            for j in reversed(range(nsp)):  # x first, then y (then z): PyTorch's order of the products
                x = coords[j][1]
                f = (x - lo[j]) if bits[j] else ((lo[j] + 1) - x)
                w = f if w is None else w * f
            pos = [_as_index(lo[j]) + bits[j] for j in range(nsp)]
            sh = (n, 1) + out_sp
            term = _tap(flat, pos, sizes, out_shape) * w.reshape(sh)
            out = term if out is None else out + term
        return out
    # bicubic: 4 x 4 taps around floor(x), each padded by padding_mode on its integer position
    (yv, y), (xv, x) = coords
    y0, x0 = np.floor(yv), np.floor(xv)
    wy, wx = _cubic_weights(y - y0), _cubic_weights(x - x0)
    out = None
    sh = (n, 1) + out_sp
    for i in range(4):
        for j in range(4):
            py = _pad_tap(y0 - 1 + i, sizes[0], padding_mode, align_corners)
            px = _pad_tap(x0 - 1 + j, sizes[1], padding_mode, align_corners)
            w = wy[i] * wx[j]
            term = _tap(flat, [py, px], sizes, out_shape) * w.reshape(sh)
            out = term if out is None else out + term
    return out


def _pad_tap(p: np.ndarray, size: int, padding_mode: str, align_corners: bool) -> np.ndarray:
    """A bicubic tap's integer position under the padding mode (PyTorch's get_value_bounded)."""
    if padding_mode == "zeros":
        return _as_index(p)
    x, _ = _source_coords_pixels(p, size, padding_mode, align_corners)
    return _as_index(x)


def _source_coords_pixels(x: np.ndarray, size: int, padding_mode: str, align_corners: bool) -> tuple:
    d = np.ones_like(x)
    if padding_mode == "border":
        return _clip(x, d, size)
    if align_corners:
        x, d = _reflect(x, d, 0, 2 * (size - 1))
    else:
        x, d = _reflect(x, d, -1, 2 * size - 1)
    return _clip(x, d, size)


def _linspace_neg_one(num: int, align_corners: bool, dt: np.dtype) -> np.ndarray:
    """PyTorch's linspace_from_neg_one: linspace(-1, 1, num) (times (num - 1) / num unless align_corners)."""
    if num <= 1:
        return np.zeros(1, dtype=dt)
    t = dt.type
    step = (t(1) - t(-1)) / t(num - 1)
    i = np.arange(num)
    half = num // 2
    # torch.linspace's two-sided formula: from the start for the first half, from the end for the second; its
    # float32 kernel fuses the multiply-add (one rounding), which float64 arithmetic reproduces
    wide = np.float64 if dt == np.float32 else dt.type
    s = wide(step)
    r = np.where(i < half, wide(-1) + s * i, wide(1) - s * (num - 1 - i)).astype(dt)
    if not align_corners:
        r = (r * t(num - 1) / t(num)).astype(dt)
    return r


def affine_grid(theta: Tensor, size: Sequence[int], align_corners: bool | None = None) -> Tensor:
    """The sampling grid (N, H, W, 2) (or (N, D, H, W, 3)) of the affine maps theta (N, 2, 3) (or (N, 3, 4)):
    grid[n, i, j] = theta[n] @ (x_j, y_i, 1) over the normalised output coordinates, for grid_sample."""
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if theta.dtype.kind != "f":
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(int(s) for s in size)
    if len(size) == 4:
        if theta.ndim != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. Got "
                             f"{list(theta.shape)}.")
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.ndim != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. Got "
                             f"{list(theta.shape)}.")
        spatial = size[-3:]
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the documentation of "
                      "affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        raise RuntimeError(f"affine_grid: theta holds {theta.shape[0]} matrices but size asks for a batch of "
                           f"{size[0]}; they must match")
    dt = np.dtype(theta.dtype)
    axes = [_linspace_neg_one(s, align_corners, dt) for s in spatial]  # (D,) H, W
    nsp = len(spatial)
    mesh = np.meshgrid(*axes, indexing="ij")
    # base grid rows (x, y[, z], 1): x varies along the last spatial dim
    base = np.stack([mesh[nsp - 1 - k] for k in range(nsp)] + [np.ones(mesh[0].shape, dtype=dt)], axis=-1)
    base = base.reshape(-1, nsp + 1).astype(dt)
    grid = ag.tensor(base) @ theta.transpose(1, 2)  # (N, P, nsp)
    return grid.reshape((size[0],) + tuple(spatial) + (nsp,))
