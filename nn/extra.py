"""Layers of the nn-breadth work: RReLU, ChannelShuffle, EmbeddingBag, CTCLoss, MultiLabelMarginLoss,
TripletMarginWithDistanceLoss and AdaptiveLogSoftmaxWithLoss, with PyTorch's arguments, defaults, reprs and
state_dict keys; each calls its functional form in ``nn.functional``."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core._device import factory_kwargs

from . import functional as F
from . import init
from .container import ModuleList, Sequential
from .distance import PairwiseDistance
from .linear import Linear
from .loss import _Loss
from .module import Module
from .parameter import Parameter

__all__: list[str] = [
    "AdaptiveLogSoftmaxWithLoss", "CTCLoss", "ChannelShuffle", "EmbeddingBag", "MultiLabelMarginLoss", "RReLU",
    "TripletMarginWithDistanceLoss",
]


class RReLU(Module):
    """x if x >= 0 else a x: a ~ U(lower, upper) per element in training, (lower + upper) / 2 in evaluation."""

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False) -> None:
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" if self.inplace else "")


class ChannelShuffle(Module):
    """Interleaves the channels of ``groups`` groups (ShuffleNet)."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input: Tensor) -> Tensor:
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"


class EmbeddingBag(Module):
    """Sums, means or maxes of bags of embeddings without materialising the per-index rows' batch; init N(0, 1)."""

    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                 _weight: Tensor | None = None, include_last_offset: bool = False, padding_idx: int | None = None,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        fk = factory_kwargs(device, dtype, "nn.EmbeddingBag")
        for name, v in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if v < 0:
                raise RuntimeError(f"EmbeddingBag: Trying to create tensor with negative dimension {v}: {name}={v} "
                                   "must be >= 0")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type, self.scale_grad_by_freq = max_norm, norm_type, scale_grad_by_freq
        if padding_idx is not None:
            if padding_idx > 0 and padding_idx >= num_embeddings:
                raise AssertionError("padding_idx must be within num_embeddings")
            if padding_idx < 0:
                if padding_idx < -num_embeddings:
                    raise AssertionError("padding_idx must be within num_embeddings")
                padding_idx = num_embeddings + padding_idx
        self.padding_idx = padding_idx
        if _weight is None:
            self.weight = Parameter(ag.empty(num_embeddings, embedding_dim, **fk))
            self.reset_parameters()
        else:
            if list(_weight.shape) != [num_embeddings, embedding_dim]:
                raise AssertionError("Shape of weight does not match num_embeddings and embedding_dim")
            self.weight = Parameter(_weight)
        self.mode, self.sparse, self.include_last_offset = mode, sparse, include_last_offset

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with ag.no_grad():
                self.weight[self.padding_idx].fill_(0)

    def forward(self, input: Any, offsets: Any = None, per_sample_weights: Tensor | None = None) -> Tensor:
        return F.embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type, self.scale_grad_by_freq,
                               self.mode, self.sparse, per_sample_weights, self.include_last_offset, self.padding_idx)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings!r}, {self.embedding_dim!r}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm!r}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type!r}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq!r}"
        s += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx!r}"
        return s

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True, max_norm: float | None = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False, mode: str = "mean",
                        sparse: bool = False, include_last_offset: bool = False,
                        padding_idx: int | None = None) -> EmbeddingBag:
        """An EmbeddingBag whose weight is ``embeddings`` (2-D, shared, not copied), frozen unless freeze=False."""
        if embeddings.ndim != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        bag = cls(num_embeddings=rows, embedding_dim=cols, _weight=embeddings, max_norm=max_norm, norm_type=norm_type,
                  scale_grad_by_freq=scale_grad_by_freq, mode=mode, sparse=sparse,
                  include_last_offset=include_last_offset, padding_idx=padding_idx)
        bag.weight.requires_grad = not freeze
        return bag


class CTCLoss(_Loss):
    """The connectionist temporal classification loss (log_probs (T, N, C), targets, input and target lengths)."""

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> None:
        super().__init__(reduction=reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs: Tensor, targets: Any, input_lengths: Any, target_lengths: Any) -> Tensor:
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank, self.reduction,
                          self.zero_infinity)


class MultiLabelMarginLoss(_Loss):
    """sum over target labels j and other classes i of max(0, 1 - (x[j] - x[i])) / C (multi-label hinge)."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """max(0, margin + d(a, p) - d(a, n)) with any distance d (a PairwiseDistance module by default)."""

    def __init__(self, *, distance_function: Callable[[Tensor, Tensor], Tensor] | None = None, margin: float = 1.0,
                 swap: bool = False, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got {margin} "
                             "instead")
        # the default is a module, so it shows in the repr and among the children (as in PyTorch)
        self.distance_function = distance_function if distance_function is not None else PairwiseDistance()
        self.margin, self.swap = margin, swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_with_distance_loss(anchor, positive, negative, distance_function=self.distance_function,
                                                   margin=self.margin, swap=self.swap, reduction=self.reduction)


_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """Efficient softmax approximation (Grave et al. 2016): a head over the frequent classes plus one cluster token
    per tail cluster, each tail cluster a low-rank (in_features / div_value**i) projection and its own softmax."""

    def __init__(self, in_features: int, n_classes: int, cutoffs: Sequence[int], div_value: float = 4.0,
                 head_bias: bool = False, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        fk = {"device": device, "dtype": dtype}
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > (n_classes - 1)
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted in an increasing "
                             "order, where each value is between 1 and n_classes-1")
        self.in_features, self.n_classes = in_features, n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value, self.head_bias = div_value, head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, **fk)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hsz = int(in_features // (div_value ** (i + 1)))
            osz = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(Linear(in_features, hsz, bias=False, **fk), Linear(hsz, osz, bias=False, **fk)))

    def reset_parameters(self) -> None:
        self.head.reset_parameters()
        for i2h, h2o in self.tail:
            i2h.reset_parameters()
            h2o.reset_parameters()

    def forward(self, input_: Tensor, target_: Any) -> _ASMoutput:
        """(log-probability of each target (N,), mean negative log-likelihood)."""
        targ_dim = np.ndim(target_._data if isinstance(target_, Tensor) else target_)
        if targ_dim == 1:
            if input_.shape[0] != np.shape(target_._data if isinstance(target_, Tensor) else target_)[0]:
                raise RuntimeError("Input and target should have the same size in the batch dimension.")
            if input_.ndim != 2:
                raise RuntimeError("1D target tensor expects 2D input tensors, but found inputs with size "
                                   f"{list(input_.shape)}")
        elif targ_dim == 0:
            if input_.ndim != 1:
                raise RuntimeError("0D target tensor expects 1D input tensors, but found inputs with size "
                                   f"{list(input_.shape)}")
        else:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        is_batched = targ_dim > 0
        x = input_ if is_batched else input_.unsqueeze(0)
        t = np.asarray(target_._data if isinstance(target_, Tensor) else target_).reshape(-1).astype(np.int64)
        if t.size and (t.min() < 0 or t.max() >= self.n_classes):
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but values in range "
                               f"[{t.min()}, {t.max()}] were found. ")
        head_out = self.head(x)
        head_lsm = F.log_softmax(head_out, dim=1)
        # the head's column for each row: the class itself in the shortlist, else its cluster's token
        gather_inds = np.where(t < self.shortlist_size, t, 0)
        output = None
        for i in range(self.n_clusters):
            lo, hi = self.cutoffs[i], self.cutoffs[i + 1]
            rows = np.flatnonzero((t >= lo) & (t < hi))
            if rows.size == 0:
                continue
            gather_inds[rows] = self.shortlist_size + i
            sel = ag.tensor(rows)
            cluster_lsm = F.log_softmax(self.tail[i](x[sel]), dim=1)
            local = cluster_lsm.gather(1, ag.tensor((t[rows] - lo)[:, None])).squeeze(1)
            part = ag.zeros(x.shape[0], dtype=x.dtype).index_add(0, sel, local)
            output = part if output is None else output + part
        head_part = head_lsm.gather(1, ag.tensor(gather_inds[:, None])).squeeze()
        if head_part.ndim == 0:
            head_part = head_part.reshape(1)
        output = head_part if output is None else output + head_part
        loss = (-output).mean()
        if not is_batched:
            output = output.squeeze(0)
        return _ASMoutput(output, loss)

    def _get_full_log_prob(self, input: Tensor, head_output: Tensor) -> Tensor:
        head_lsm = F.log_softmax(head_output, dim=1)
        parts = [head_lsm[:, :self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster_lsm = F.log_softmax(self.tail[i](input), dim=1)
            parts.append(cluster_lsm + head_lsm[:, self.shortlist_size + i].unsqueeze(1))
        return ag.cat(parts, dim=1)

    def log_prob(self, input: Tensor) -> Tensor:
        """log-probabilities of every class, (N, n_classes)."""
        return self._get_full_log_prob(input, self.head(input))

    def predict(self, input: Tensor) -> Tensor:
        """The most probable class of each row: the head's argmax when it is a shortlist class (no tail class can
        then be more probable), else the argmax of the full distribution."""
        head_output = self.head(input)
        output = head_output.argmax(dim=1)
        outside = output._data >= self.shortlist_size
        if not outside.any():
            return output
        full = self._get_full_log_prob(input[ag.tensor(outside)], head_output[ag.tensor(outside)])
        res = output._data.copy()
        res[outside] = full.argmax(dim=1)._data
        return ag.tensor(res)
