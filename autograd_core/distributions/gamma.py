"""The gamma distribution (shape ``concentration``, inverse scale ``rate``)."""

from __future__ import annotations

from typing import Any

from .. import as_tensor, digamma, lgamma
from .._tensor import Tensor
from . import constraints
from ._special import _GammaInc, _StandardGamma, sample_log_standard_gamma
from .exp_family import ExponentialFamily
from .utils import broadcast_all, data, is_number, rng, xlogy

__all__ = ["Gamma"]


def standard_gamma(concentration: Tensor, log: bool = False) -> Tensor:
    """Gamma(concentration, 1) draws (or their logs) of concentration's shape, differentiable in
    concentration by implicit reparameterisation."""
    logx = sample_log_standard_gamma(data(concentration), rng())
    return _StandardGamma.apply(concentration, logx, log=log)


class Gamma(ExponentialFamily):
    """Gamma(concentration, rate): density rate**a x**(a-1) exp(-rate x) / Gamma(a) on x > 0.
    ``rsample`` is reparameterised (implicit gradient of the draw with respect to concentration)."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, concentration: Tensor | float, rate: Tensor | float,
                 validate_args: bool | None = None) -> None:
        self.concentration, self.rate = broadcast_all(concentration, rate)
        batch_shape = () if is_number(concentration) and is_number(rate) else self.concentration.shape
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Gamma:
        new = self._get_checked_instance(Gamma, _instance)
        batch_shape = tuple(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        new.rate = self.rate.expand(batch_shape)
        super(Gamma, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.rate

    @property
    def mode(self) -> Tensor:
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self) -> Tensor:
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        return standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)

    def log_prob(self, value: Any) -> Tensor:
        value = as_tensor(value, dtype=self.rate.dtype)
        if self._validate_args:
            self._validate_sample(value)
        a, r = self.concentration, self.rate
        return xlogy(a, r) + xlogy(a - 1, value) - r * value - lgamma(a)

    def cdf(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return _GammaInc.apply(*broadcast_all(self.concentration, self.rate * value))

    def entropy(self) -> Tensor:
        a = self.concentration
        return a - self.rate.log() + lgamma(a) + (1.0 - a) * digamma(a)

    @property
    def _natural_params(self) -> tuple[Tensor, Tensor]:
        return self.concentration - 1, -self.rate

    def _log_normalizer(self, x: Tensor, y: Tensor) -> Tensor:
        return lgamma(x + 1) + (x + 1) * (-y.reciprocal()).log()
