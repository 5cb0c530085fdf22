"""The Fisher-Snedecor (F) distribution (module name as PyTorch's ``torch.distributions.fishersnedecor``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import lgamma, where
from .._tensor import Tensor
from . import constraints
from .distribution import Distribution
from .gamma import Gamma
from .utils import broadcast_all, is_number

__all__ = ["FisherSnedecor"]


class FisherSnedecor(Distribution):
    """F(df1, df2): the ratio (X1 / df1) / (X2 / df2) of chi-squared draws; rsample as the ratio of two
    reparameterised Gamma(df / 2, df) draws."""

    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1: Tensor | float, df2: Tensor | float, validate_args: bool | None = None) -> None:
        self.df1, self.df2 = broadcast_all(df1, df2)
        self._gamma1 = Gamma(self.df1 * 0.5, self.df1)
        self._gamma2 = Gamma(self.df2 * 0.5, self.df2)
        super().__init__(() if is_number(df1) and is_number(df2) else self.df1.shape, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> FisherSnedecor:
        new = self._get_checked_instance(FisherSnedecor, _instance)
        batch_shape = tuple(batch_shape)
        new.df1 = self.df1.expand(batch_shape)
        new.df2 = self.df2.expand(batch_shape)
        new._gamma1 = self._gamma1.expand(batch_shape)
        new._gamma2 = self._gamma2.expand(batch_shape)
        super(FisherSnedecor, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        ok = self.df2 > 2  # undefined (nan) otherwise
        d2 = where(ok, self.df2, 3.0)
        return where(ok, d2 / (d2 - 2), math.nan)

    @property
    def mode(self) -> Tensor:
        ok = self.df1 > 2
        d1 = where(ok, self.df1, 3.0)
        return where(ok, (d1 - 2) / d1 * self.df2 / (self.df2 + 2), math.nan)

    @property
    def variance(self) -> Tensor:
        ok = self.df2 > 4
        d2 = where(ok, self.df2, 5.0)
        v = 2 * d2.pow(2) * (self.df1 + d2 - 2) / (self.df1 * (d2 - 2).pow(2) * (d2 - 4))
        return where(ok, v, math.nan)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        tiny = float(np.finfo(self.df1.dtype).tiny)
        x1 = self._gamma1.rsample(sample_shape)
        x2 = self._gamma2.rsample(sample_shape).clamp(min=tiny)
        return (x1 / x2).clamp(min=tiny)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        ct1, ct2 = self.df1 * 0.5, self.df2 * 0.5
        ct3 = self.df1 / self.df2
        t1 = lgamma(ct1 + ct2) - lgamma(ct1) - lgamma(ct2)
        t2 = ct1 * ct3.log() + (ct1 - 1) * value.log()
        t3 = (ct1 + ct2) * (ct3 * value).log1p()
        return t1 + t2 - t3
