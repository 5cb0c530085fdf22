"""Categorical distributions: integer classes (Categorical) and one-hot vectors (OneHotCategorical)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import arange, broadcast_shapes, eye, full
from .._tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import constant, data, lazy_property, logits_to_probs, probs_to_logits, rng

__all__ = ["Categorical", "OneHotCategorical"]

_CHUNK = 1 << 22  # elements of the (draws x classes) comparison made at a time while sampling


def sample_categorical(probs: np.ndarray, n: int) -> np.ndarray:
    """``n`` class indices per row of ``probs`` (rows, K), shape (n, rows): inverse CDF of uniform draws."""
    cdf = np.cumsum(probs.astype(np.float64), axis=-1)
    cdf /= cdf[:, -1:]  # the last entry exactly 1, so a draw u < 1 never lands past the last class
    u = rng().random((n, probs.shape[0]))
    out = np.empty(u.shape, dtype=np.int64)
    step = max(1, _CHUNK // max(1, cdf.size))
    for s in range(0, n, step):
        # class k is drawn when cdf[k-1] <= u < cdf[k]: count the cdf entries <= u
        out[s:s + step] = (u[s:s + step, :, None] >= cdf[None]).sum(-1)
    return out


class Categorical(Distribution):
    """A distribution over the classes 0..K-1 given by ``probs`` (normalised along the last dim) or
    ``logits`` (unnormalised log-probabilities). Samples are int64 of shape sample_shape + batch_shape."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs: Tensor | None = None, logits: Tensor | None = None,
                 validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
            self._param = self.probs
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
            self._param = self.logits
        self._num_events = self._param.shape[-1]
        super().__init__(self._param.shape[:-1], validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Categorical:
        new = self._get_checked_instance(Categorical, _instance)
        batch_shape = tuple(batch_shape)
        param_shape = batch_shape + (self._num_events,)
        if "probs" in self.__dict__:
            new.probs = new._param = self.probs.expand(param_shape)
        if "logits" in self.__dict__:
            new.logits = new._param = self.logits.expand(param_shape)
        new._num_events = self._num_events
        super(Categorical, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self) -> constraints.Constraint:
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits)

    @property
    def param_shape(self) -> tuple:
        return tuple(self._param.shape)

    @property
    def mean(self) -> Tensor:
        return full(tuple(self._extended_shape()), math.nan, dtype=self.probs.dtype)

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(dim=-1)

    @property
    def variance(self) -> Tensor:
        return full(tuple(self._extended_shape()), math.nan, dtype=self.probs.dtype)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        p = data(self.probs).reshape(-1, self._num_events)
        n = int(np.prod(shape[: len(shape) - len(self._batch_shape)], dtype=np.int64))
        return constant(sample_categorical(p, n).reshape(tuple(shape)), np.int64)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        batch = broadcast_shapes(tuple(value.shape[:-1]), tuple(self.logits.shape[:-1]))
        logits = self.logits.expand(tuple(batch) + (self._num_events,))
        return logits.gather(-1, value.expand(tuple(batch) + (1,))).squeeze(-1)

    def entropy(self) -> Tensor:
        # probs * logits with logits clamped to the dtype's min, so that a zero probability adds 0 (not nan)
        logits = self.logits.clamp(min=float(np.finfo(self.logits.dtype).min))
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = arange(self._num_events, dtype=np.int64).reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values


class OneHotCategorical(Distribution):
    """A Categorical whose draws are one-hot vectors of its probs' dtype (event_shape (K,))."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs: Tensor | None = None, logits: Tensor | None = None,
                 validate_args: bool | None = None) -> None:
        self._categorical = Categorical(probs, logits)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> OneHotCategorical:
        new = self._get_checked_instance(OneHotCategorical, _instance)
        new._categorical = self._categorical.expand(batch_shape)
        super(OneHotCategorical, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def _param(self) -> Tensor:
        return self._categorical._param

    @property
    def probs(self) -> Tensor:
        return self._categorical.probs

    @property
    def logits(self) -> Tensor:
        return self._categorical.logits

    @property
    def param_shape(self) -> tuple:
        return self._categorical.param_shape

    @property
    def mean(self) -> Tensor:
        return self._categorical.probs

    @property
    def mode(self) -> Tensor:
        probs = self._categorical.probs
        return self._one_hot(data(probs.argmax(dim=-1)), probs.dtype)

    @property
    def variance(self) -> Tensor:
        return self._categorical.probs * (1 - self._categorical.probs)

    def _one_hot(self, indices: np.ndarray, dtype: Any) -> Tensor:
        return constant(np.eye(self._categorical._num_events)[indices], dtype)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        return self._one_hot(data(self._categorical.sample(sample_shape)), self.probs.dtype)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return self._categorical.log_prob(value.max(-1)[1])

    def entropy(self) -> Tensor:
        return self._categorical.entropy()

    def enumerate_support(self, expand: bool = True) -> Tensor:
        n = self.event_shape[0]
        values = eye(n, dtype=self._param.dtype).reshape((n,) + (1,) * len(self.batch_shape) + (n,))
        return values.expand((n,) + tuple(self.batch_shape) + (n,)) if expand else values
