"""``autograd_core.special``: PyTorch's ``torch.special`` namespace.

The functions of the normal distribution (ndtr, log_ndtr, ndtri), erfcx, entr, the modified Bessel functions
i0 / i0e / i1 / i1e, xlog1py, gammainc / gammaincc and zeta are ops of their own (``ops/special.py``); the rest
are the engine's ops under torch.special's names. Not here (PyTorch has them, without derivatives): the Bessel
functions J, Y, K, the Airy function and the orthogonal polynomial families (chebyshev_*, hermite_*, laguerre_*,
legendre_*).
"""

from __future__ import annotations

from typing import Any

from ._grad_mode import no_grad
from ._tensor import Tensor
from .ops.arithmetic import xlogy
from .ops.reduction import logsumexp
from .ops.softmax import log_softmax as _log_softmax
from .ops.softmax import softmax as _softmax
from .ops.special import (
    entr,
    erfcx,
    gammainc,
    gammaincc,
    i0,
    i0e,
    i1,
    i1e,
    log_ndtr,
    mvlgamma,
    ndtr,
    ndtri,
    spherical_bessel_j0,
    xlog1py,
    zeta,
)
from .ops.unary import digamma, erf, erfc, erfinv, exp2, expm1, lgamma, log1p, logit, polygamma, round, sigmoid, sinc  # noqa: A004

__all__ = ["digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammainc", "gammaincc",
           "gammaln", "i0", "i0e", "i1", "i1e", "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp",
           "modified_bessel_i0", "modified_bessel_i1", "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round",
           "sinc", "softmax", "spherical_bessel_j0", "xlog1py", "xlogy", "zeta"]

expit = sigmoid
gammaln = lgamma
psi = digamma
multigammaln = mvlgamma


def modified_bessel_i0(input: Tensor) -> Tensor:  # noqa: A002
    """I0(x), as i0 but, like PyTorch's, not differentiable: the result never requires grad."""
    with no_grad():
        return i0(input)


def modified_bessel_i1(input: Tensor) -> Tensor:  # noqa: A002
    """I1(x), as i1 but, like PyTorch's, not differentiable: the result never requires grad."""
    with no_grad():
        return i1(input)


def softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:  # noqa: A002
    """softmax along dim (torch.special's positional dim), computed in dtype when given."""
    return _softmax(input if dtype is None else input.to(dtype), dim)


def log_softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:  # noqa: A002
    """log_softmax along dim (torch.special's positional dim), computed in dtype when given."""
    return _log_softmax(input if dtype is None else input.to(dtype), dim)

