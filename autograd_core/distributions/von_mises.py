"""The von Mises (circular normal) distribution."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._tensor import Tensor
from . import constraints
from ._bessel import log_i0, log_i1
from .distribution import Distribution
from .utils import broadcast_all, constant, data, rng

__all__ = ["VonMises"]


def _proposal_r(kappa: np.ndarray) -> np.ndarray:
    # Best & Fisher (1979): the wrapped-Cauchy envelope's parameter r = (1 + rho**2) / (2 rho)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = 1 + np.sqrt(1 + 4 * kappa**2)
        rho = (tau - np.sqrt(2 * tau)) / (2 * kappa)
        r = (1 + rho**2) / (2 * rho)
    return np.where(kappa < 1e-5, 1 / kappa + kappa, r)  # the series where rho loses its digits


def sample_von_mises(loc: np.ndarray, kappa: np.ndarray, gen: np.random.Generator) -> np.ndarray:
    """Draws of loc.shape by Best-Fisher rejection (in float64), wrapped into [-pi, pi)."""
    loc, kappa = np.broadcast_arrays(np.asarray(loc, np.float64), np.asarray(kappa, np.float64))
    r = _proposal_r(kappa)
    x = np.zeros(loc.shape)
    todo = np.ones(loc.shape, dtype=bool)
    while todo.any():
        u1, u2, u3 = gen.random((3,) + loc.shape)
        z = np.cos(math.pi * u1)
        f = (1 + r * z) / (r + z)
        c = kappa * (r - f)
        with np.errstate(divide="ignore", invalid="ignore"):
            accept = ((c * (2 - c) - u2) > 0) | (np.log(c / u2) + 1 - c >= 0)
        accept &= todo
        x = np.where(accept, np.sign(u3 - 0.5) * np.arccos(np.clip(f, -1.0, 1.0)), x)
        todo &= ~accept
    return np.mod(x + math.pi + loc, 2 * math.pi) - math.pi


class VonMises(Distribution):
    """VonMises(loc, concentration kappa): density exp(kappa cos(x - loc)) / (2 pi I0(kappa)) on the circle.
    Samples lie in [-pi, pi); ``log_prob`` scores any real angle. No rsample (rejection sampling)."""

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc: Tensor | float, concentration: Tensor | float, validate_args: bool | None = None) -> None:
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(self.loc.shape, (), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> VonMises:
        new = self._get_checked_instance(VonMises, _instance)
        batch_shape = tuple(batch_shape)
        new.loc = self.loc.expand(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        super(VonMises, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return self.concentration * (value - self.loc).cos() - math.log(2 * math.pi) - log_i0(self.concentration)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        loc = np.broadcast_to(data(self.loc), shape)
        kappa = np.broadcast_to(data(self.concentration), shape)
        return constant(sample_von_mises(loc, kappa, rng()), self.loc.dtype)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        # the circular variance 1 - I1(kappa) / I0(kappa)
        k = self.concentration
        return 1 - (log_i1(k) - log_i0(k)).exp()
