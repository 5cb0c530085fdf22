"""Exponential families p(x; theta) = h(x) exp(<theta, t(x)> - F(theta)) (PyTorch's ``ExponentialFamily``).

A subclass gives its natural parameters theta, the log normalizer F and E[log h(x)]; the entropy then
follows from the Bregman divergence of F (the gradient of F is the mean of t(x)), computed by autograd.
"""

from __future__ import annotations

from typing import Any

from .. import _engine
from .._tensor import Tensor
from .distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """Base of the exponential-family distributions: entropy and same-family KL from ``_log_normalizer``."""

    @property
    def _natural_params(self) -> tuple[Tensor, ...]:
        raise NotImplementedError

    def _log_normalizer(self, *natural_params: Tensor) -> Tensor:
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self) -> Any:
        raise NotImplementedError

    def entropy(self) -> Tensor:
        # H = F(theta) - <theta, grad F(theta)> - E[log h(x)]
        result: Any = -self._mean_carrier_measure
        nparams = [p.detach().requires_grad_() for p in self._natural_params]
        lg_normal = self._log_normalizer(*nparams)
        grads = _engine.grad(lg_normal.sum(), nparams, create_graph=True)
        result = result + lg_normal
        for p, g in zip(nparams, grads):
            result = result - (p * g).reshape(tuple(self._batch_shape) + (-1,)).sum(-1)
        return result
