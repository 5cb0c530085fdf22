"""The LKJ distribution over lower Cholesky factors of correlation matrices."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import arange, cat, full, lgamma, mvlgamma
from .._grad_mode import no_grad
from .._tensor import Tensor
from . import constraints
from .beta import Beta
from .distribution import Distribution
from .utils import broadcast_all, constant, data, rng

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    """LKJCholesky(dim, concentration eta): L with L L^T = M a dim x dim correlation matrix of density
    proportional to det(M)^(eta - 1) (uniform over correlation matrices at eta = 1). In L, the density is
    prod_{i=2..dim} L_ii^(dim - i + 2 (eta - 1)) over the normaliser of Lewandowski, Kurowicka and Joe (2009).
    ``sample`` is their onion method: row k (0-based) is sqrt(y_k) u_k, u_k uniform on the unit sphere of its
    first k coordinates and y_k ~ Beta(k/2, eta + (dim - 1 - k)/2), its diagonal completing the unit norm.
    PyTorch 2.13 draws y_k ~ Beta(k - 1/2, ...) instead, which for rows k >= 2 is not the law its own
    log_prob describes (its correlations in those rows are too spread out); this follows the paper, so
    every correlation has the LKJ marginal, 2 Beta(eta - 1 + dim/2, same) - 1. Not reparameterised
    (``has_rsample`` is False)."""

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim: int, concentration: Tensor | float = 1.0, validate_args: bool | None = None) -> None:
        if not isinstance(dim, int) or isinstance(dim, bool) or dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        super().__init__(tuple(self.concentration.shape), (dim, dim), validate_args=validate_args)
        self._beta = self._make_beta(self.concentration)

    def _make_beta(self, concentration: Tensor) -> Beta:
        """The Beta laws of the squared norms y_k of the rows' off-diagonal parts (onion method): row k >= 1
        has Beta(k/2, eta + (dim - 1 - k)/2); row 0 is e_1 (its draw is unused, Beta(1/2, ...) keeps it valid)."""
        k = arange(self.dim, dtype=concentration.dtype)
        conc1 = cat([full((1,), 0.5, dtype=concentration.dtype), k[1:] / 2])
        # not validated again: an invalid concentration is reported, with this distribution's name, above
        with no_grad():
            conc0 = concentration.detach().unsqueeze(-1) + (self.dim - 1 - k) / 2
            return Beta(conc1, conc0, validate_args=False)

    def expand(self, batch_shape: Any, _instance: Any = None) -> LKJCholesky:
        new = self._get_checked_instance(LKJCholesky, _instance)
        batch_shape = tuple(batch_shape)
        new.dim = self.dim
        new.concentration = self.concentration.expand(batch_shape)
        new._beta = self._beta.expand(batch_shape + (self.dim,))
        super(LKJCholesky, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        dtype = self.concentration.dtype
        y = data(self._beta.sample(sample_shape))[..., None]
        # rows of a strictly lower triangle, each scaled to a uniform direction on its sphere (row 0 is empty)
        u = np.tril(rng().standard_normal(shape), -1)
        norm = np.linalg.norm(u, axis=-1, keepdims=True)
        u = np.divide(u, norm, out=np.zeros_like(u), where=norm > 0)
        w = np.sqrt(y) * u
        tiny = float(np.finfo(dtype).tiny)
        diag = np.sqrt(np.clip(1 - (w**2).sum(-1), tiny, None))
        idx = np.arange(self.dim)
        w[..., idx, idx] = diag
        return constant(w, dtype)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        diag = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        # exponent of L_ii (1-based i = 2..dim): dim - i + 2 (eta - 1)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - arange(2, self.dim + 1, dtype=diag.dtype)
        unnormalised = (order * diag.log()).sum(-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        log_normaliser = 0.5 * dm1 * math.log(math.pi) + mvlgamma(alpha - 0.5, dm1) - lgamma(alpha) * dm1
        return unnormalised - log_normaliser
