"""MixtureSameFamily: a Categorical mixture of components from one (batched) distribution."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import log_softmax
from .._tensor import Tensor
from . import constraints
from .categorical import Categorical
from .distribution import Distribution
from .utils import as_size, constant, data

__all__ = ["MixtureSameFamily"]


class MixtureSameFamily(Distribution):
    """p(x) = sum_k pi_k p_k(x): ``mixture_distribution`` a Categorical over k components and
    ``component_distribution`` a distribution whose rightmost batch dimension (size k) indexes them.
    log_prob is logsumexp_k(log pi_k + log p_k(x)), differentiable in both; there is no rsample."""

    arg_constraints: dict[str, constraints.Constraint] = {}
    has_rsample = False

    def __init__(self, mixture_distribution: Categorical, component_distribution: Distribution,
                 validate_args: bool | None = None) -> None:
        if not isinstance(mixture_distribution, Categorical):
            raise ValueError(" The Mixture distribution needs to be an  instance of "
                             "autograd_core.distributions.Categorical")
        if not isinstance(component_distribution, Distribution):
            raise ValueError("The Component distribution needs to be an instance of "
                             "autograd_core.distributions.Distribution")
        self._mixture_distribution = mixture_distribution
        self._component_distribution = component_distribution
        mdbs = mixture_distribution.batch_shape
        cdbs = component_distribution.batch_shape[:-1]
        for a, b in zip(reversed(mdbs), reversed(cdbs)):
            if a != 1 and b != 1 and a != b:
                raise ValueError(f"`mixture_distribution.batch_shape` ({mdbs}) is not compatible with "
                                 f"`component_distribution.batch_shape`({cdbs})")
        if len(component_distribution.batch_shape) == 0:
            raise ValueError("MixtureSameFamily: component_distribution needs a batch dimension indexing the "
                             "components (its batch_shape is ())")
        km = mixture_distribution.logits.shape[-1]
        kc = component_distribution.batch_shape[-1]
        if km != kc:
            raise ValueError(f"`mixture_distribution component` ({km}) does not equal "
                             f"`component_distribution.batch_shape[-1]` ({kc})")
        self._num_component = km
        self._event_ndims = len(component_distribution.event_shape)
        super().__init__(cdbs, component_distribution.event_shape, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> MixtureSameFamily:
        new = self._get_checked_instance(MixtureSameFamily, _instance)
        batch_shape = tuple(batch_shape)
        new._component_distribution = self._component_distribution.expand(batch_shape + (self._num_component,))
        new._mixture_distribution = self._mixture_distribution.expand(batch_shape)
        new._num_component = self._num_component
        new._event_ndims = self._event_ndims
        super(MixtureSameFamily, new).__init__(batch_shape, new._component_distribution.event_shape,
                                               validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property
    def support(self) -> constraints.Constraint:
        return constraints.MixtureSameFamilyConstraint(self._component_distribution.support)

    @property
    def mixture_distribution(self) -> Categorical:
        return self._mixture_distribution

    @property
    def component_distribution(self) -> Distribution:
        return self._component_distribution

    def _pad(self, x: Tensor) -> Tensor:
        return x.unsqueeze(-1 - self._event_ndims)

    def _pad_mixture_dimensions(self, x: Tensor) -> Tensor:
        # the mixture weights (B', k) aligned with the component moments (B, k, E...)
        nb, nc = len(self.batch_shape), len(self.mixture_distribution.batch_shape)
        pad = 0 if nc == 1 else nb - nc
        xs = tuple(x.shape)
        return x.reshape(xs[:-1] + (1,) * pad + xs[-1:] + (1,) * self._event_ndims)

    @property
    def mean(self) -> Tensor:
        probs = self._pad_mixture_dimensions(self.mixture_distribution.probs)
        return (probs * self.component_distribution.mean).sum(-1 - self._event_ndims)

    @property
    def variance(self) -> Tensor:
        # the law of total variance: E[Var(X | k)] + Var(E[X | k])
        probs = self._pad_mixture_dimensions(self.mixture_distribution.probs)
        dim = -1 - self._event_ndims
        mean_cond_var = (probs * self.component_distribution.variance).sum(dim)
        var_cond_mean = (probs * (self.component_distribution.mean - self._pad(self.mean)).pow(2.0)).sum(dim)
        return mean_cond_var + var_cond_mean

    def cdf(self, x: Tensor) -> Tensor:
        cdf_x = self.component_distribution.cdf(self._pad(x))
        return (cdf_x * self.mixture_distribution.probs).sum(-1)

    def log_prob(self, x: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(x)
        log_prob_x = self.component_distribution.log_prob(self._pad(x))  # (S, B, k)
        log_mix_prob = log_softmax(self.mixture_distribution.logits, dim=-1)  # (B, k)
        return (log_prob_x + log_mix_prob).logsumexp(dim=-1)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        sshape = tuple(as_size(sample_shape))
        batch = tuple(self.batch_shape)
        mix = data(self.mixture_distribution.sample(sample_shape))  # sample_shape + mixture batch
        comp = self.component_distribution.sample(sample_shape)  # sample_shape + batch + (k,) + event
        # the chosen component's index, its batch right-aligned with (and broadcast to) the components'
        mb = mix.shape[len(sshape):]
        idx = mix.reshape(sshape + (1,) * (len(batch) - len(mb)) + mb + (1,) * (self._event_ndims + 1))
        idx = np.broadcast_to(idx, sshape + batch + (1,) + tuple(self.event_shape))
        out = np.take_along_axis(data(comp), idx, axis=len(sshape) + len(batch))
        return constant(np.squeeze(out, axis=len(sshape) + len(batch)), comp.dtype)

    def __repr__(self) -> str:
        return (f"MixtureSameFamily(\n  {self.mixture_distribution!r},\n  "
                f"{self.component_distribution!r})")
