"""The Dirichlet distribution on the probability simplex."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import digamma, lgamma, softmax, where
from .._tensor import Tensor
from . import constraints
from .exp_family import ExponentialFamily
from .gamma import standard_gamma
from .utils import constant, data, xlogy

__all__ = ["Dirichlet"]


class Dirichlet(ExponentialFamily):
    """Dirichlet(concentration): event_shape (K,) = concentration.shape[-1:]. ``rsample`` normalises
    standard-gamma draws, x = G / sum(G) (in logs: softmax(log G)), each G differentiable by implicit
    reparameterisation: an unbiased reparameterised gradient, though per draw not PyTorch's (which
    differentiates the Beta marginals)."""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration: Tensor, validate_args: bool | None = None) -> None:
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:], validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Dirichlet:
        new = self._get_checked_instance(Dirichlet, _instance)
        batch_shape = tuple(batch_shape)
        new.concentration = self.concentration.expand(batch_shape + tuple(self.event_shape))
        super(Dirichlet, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        log_g = standard_gamma(self.concentration.expand(shape), log=True)
        return softmax(log_g, dim=-1).clamp(min=float(np.finfo(self.concentration.dtype).tiny))

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        c = self.concentration
        return xlogy(c - 1.0, value).sum(-1) + lgamma(c.sum(-1)) - lgamma(c).sum(-1)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self) -> Tensor:
        cm1 = (self.concentration - 1).clamp(min=0.0)
        total = cm1.sum(-1, keepdim=True)
        # every concentration < 1: the density is unbounded at each vertex; PyTorch reports the first
        # (its argmax of the 0/0 row), and so do we
        allsmall = data(self.concentration < 1).all(-1, keepdims=True)
        vertex = np.eye(cm1.shape[-1])[0]
        interior = cm1 / where(constant(allsmall, bool), 1.0, total)
        return where(constant(allsmall, bool), constant(vertex, cm1.dtype), interior)

    @property
    def variance(self) -> Tensor:
        c = self.concentration
        c0 = c.sum(-1, keepdim=True)
        return c * (c0 - c) / (c0.pow(2) * (c0 + 1))

    def entropy(self) -> Tensor:
        c = self.concentration
        k = c.shape[-1]
        a0 = c.sum(-1)
        return lgamma(c).sum(-1) - lgamma(a0) - (k - a0) * digamma(a0) - ((c - 1.0) * digamma(c)).sum(-1)

    @property
    def _natural_params(self) -> tuple[Tensor]:
        return (self.concentration,)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        return lgamma(x).sum(-1) - lgamma(x.sum(-1))
