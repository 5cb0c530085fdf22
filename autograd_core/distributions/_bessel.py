"""log I0 and log I1 (modified Bessel functions of the first kind) for VonMises, differentiable to every order:
log I_nu(x) = log(i_nu_e(x)) + |x|, with the scaled functions of ``ops/special.py`` (i0e, i1e), whose exp(-|x|)
keeps them finite where I_nu itself overflows (x > ~713)."""

from __future__ import annotations

from .._tensor import Tensor
from ..ops.special import i0e, i1e


def log_i0(x: Tensor) -> Tensor:
    """log I0(x)."""
    return i0e(x).log() + x.abs()


def log_i1(x: Tensor) -> Tensor:
    """log I1(x) for x > 0 (-inf at 0)."""
    return i1e(x).log() + x.abs()
