"""The negative binomial distribution: successes before total_count failures."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import lgamma, sigmoid
from .._tensor import Tensor
from . import constraints
from .distribution import Distribution
from .gamma import Gamma
from .utils import (
    constant,
    data,
    expand_count_and_param,
    init_count_and_param,
    lazy_property,
    logits_to_probs,
    probs_to_logits,
    rng,
    softplus,
)

__all__ = ["NegativeBinomial"]


class NegativeBinomial(Distribution):
    """NegativeBinomial(total_count r, probs p | logits): P(k) = C(k + r - 1, k) p**k (1 - p)**r, k = 0, 1, ...
    (p is the success probability of each trial; r may be any nonnegative real). Float samples, drawn as
    Poisson(Gamma(r, rate=(1 - p) / p))."""

    arg_constraints = {"total_count": constraints.greater_than_eq(0),
                       "probs": constraints.half_open_interval(0.0, 1.0), "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count: Tensor | float, probs: Tensor | float | None = None,
                 logits: Tensor | float | None = None, validate_args: bool | None = None) -> None:
        init_count_and_param(self, total_count, probs, logits)
        super().__init__(self._param.shape, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> NegativeBinomial:
        new = self._get_checked_instance(NegativeBinomial, _instance)
        batch_shape = tuple(batch_shape)
        expand_count_and_param(self, new, batch_shape)
        super(NegativeBinomial, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self) -> tuple:
        return tuple(self._param.shape)

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.logits.exp()

    @property
    def mode(self) -> Tensor:
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self) -> Tensor:
        return self.mean / sigmoid(-self.logits)

    @lazy_property
    def _gamma(self) -> Gamma:
        return Gamma(concentration=self.total_count, rate=(-self.logits).exp(), validate_args=False)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        r = np.broadcast_to(data(self.total_count).astype(np.float64), shape)
        odds = np.broadcast_to(np.exp(data(self.logits).astype(np.float64)), shape)
        gen = rng()
        lam = gen.standard_gamma(r) * odds
        return constant(gen.poisson(lam), self.total_count.dtype)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        # r log(1 - p) + k log p, with log sigmoid(x) = -softplus(-x)
        log_unnormalized = -self.total_count * softplus(self.logits) - value * softplus(-self.logits)
        log_normalization = -lgamma(self.total_count + value) + lgamma(1.0 + value) + lgamma(self.total_count)
        # r = k = 0: the sure outcome 0 (lgamma(0) is inf on both sides)
        log_normalization = log_normalization.masked_fill(self.total_count + value == 0.0, 0.0)
        return log_unnormalized - log_normalization
