"""The geometric distribution: failures before the first success (support 0, 1, 2, ...)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import zeros_like
from .._tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import (
    all_true,
    broadcast_all,
    constant,
    data,
    is_number,
    lazy_property,
    logits_to_probs,
    probs_to_logits,
    rng,
    softplus,
)

__all__ = ["Geometric"]


class Geometric(Distribution):
    """Geometric(probs) or Geometric(logits=...): P(k) = (1 - p)**k p, k = 0, 1, ... (float samples)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs: Tensor | float | None = None, logits: Tensor | float | None = None,
                 validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
            given, param = probs, self.probs
        else:
            (self.logits,) = broadcast_all(logits)
            given, param = logits, self.logits
        super().__init__(() if is_number(given) else param.shape, validate_args=validate_args)
        if self._validate_args and probs is not None:
            valid = self.probs > 0  # p = 0 never succeeds: not a distribution
            if not all_true(valid):
                raise ValueError(f"Expected parameter probs ({type(self.probs).__name__} of shape "
                                 f"{tuple(self.probs.shape)}) of distribution {self!r} to be positive but found "
                                 f"invalid values:\n{self.probs.detach()[~valid]}")

    def expand(self, batch_shape: Any, _instance: Any = None) -> Geometric:
        new = self._get_checked_instance(Geometric, _instance)
        batch_shape = tuple(batch_shape)
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(batch_shape)
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(batch_shape)
        super(Geometric, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def mean(self) -> Tensor:
        return 1.0 / self.probs - 1.0

    @property
    def mode(self) -> Tensor:
        return zeros_like(self.probs)

    @property
    def variance(self) -> Tensor:
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        dtype = self.probs.dtype
        tiny = float(np.finfo(dtype).tiny)
        u = rng().uniform(tiny, 1, shape)
        with np.errstate(divide="ignore"):
            k = np.floor(np.log(u) / np.log1p(-data(self.probs).astype(np.float64)))
        return constant(k, dtype)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        value, probs = broadcast_all(value, self.probs)
        # p = 1 and k = 0: 0 * log(0) is taken as 0 (a sure first success)
        probs = probs.masked_fill((probs == 1) & (value == 0), 0.0)
        return value * (-probs).log1p() + self.probs.log()

    def entropy(self) -> Tensor:
        # binary_cross_entropy_with_logits(logits, probs) / probs
        return (softplus(self.logits) - self.probs * self.logits) / self.probs
