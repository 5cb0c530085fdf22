"""Kernel functions K(X, Y) -> (n, m) Gram matrices, differentiable in X, Y and their hyper-parameters.

Names and defaults follow scikit-learn's ``sklearn.metrics.pairwise`` (gamma=None means
1 / n_features); the course's forms are the special cases noted on each function. Hyper-parameters
may be Tensors that require grad (learn a bandwidth by gradient descent through a solve).
"""

from __future__ import annotations

from typing import Any

import autograd_core as ag
from autograd_core import Tensor

from ._base import as_matrix


def _pair(x: Any, y: Any) -> tuple[Tensor, Tensor]:
    x = as_matrix(x, "X")
    y = x if y is None else as_matrix(y, "Y")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"kernel: X has {x.shape[1]} features but Y has {y.shape[1]}; they must match")
    return x, y


def _gamma(gamma: Any, x: Tensor) -> Any:
    return 1.0 / x.shape[1] if gamma is None else gamma


def squared_distances(x: Any, y: Any = None) -> Tensor:
    """||x_i - y_j||^2 = |x_i|^2 + |y_j|^2 - 2 x_i.y_j, clamped at 0 (rounding can make it slightly negative)."""
    x, y = _pair(x, y)
    d = (x * x).sum(1, keepdim=True) + (y * y).sum(1).unsqueeze(0) - 2.0 * (x @ y.T)
    return d.clamp(min=0.0)


def linear_kernel(x: Any, y: Any = None) -> Tensor:
    """K = x^T x'."""
    x, y = _pair(x, y)
    return x @ y.T


def polynomial_kernel(x: Any, y: Any = None, degree: int = 3, gamma: Any = None, coef0: Any = 1.0) -> Tensor:
    """K = (gamma x^T x' + coef0)^degree; the course's "degree exactly k" is gamma=1, coef0=0 and its
    "degree up to k" is gamma=1, coef0=1."""
    x, y = _pair(x, y)
    return (_gamma(gamma, x) * (x @ y.T) + coef0) ** degree


def polynomial_kernel_exact(x: Any, y: Any = None, k: int = 2) -> Tensor:
    """K = (x^T x')^k: the monomials of degree exactly k."""
    return polynomial_kernel(x, y, degree=k, gamma=1.0, coef0=0.0)


def polynomial_kernel_up_to(x: Any, y: Any = None, k: int = 2) -> Tensor:
    """K = (1 + x^T x')^k: all monomials of degree up to k."""
    return polynomial_kernel(x, y, degree=k, gamma=1.0, coef0=1.0)


def rbf_kernel(x: Any, y: Any = None, gamma: Any = None, sigma: Any = None) -> Tensor:
    """K = exp(-gamma ||x - x'||^2) = exp(-||x - x'||^2 / (2 sigma^2)) (pass gamma or sigma, not both)."""
    if sigma is not None:
        if gamma is not None:
            raise ValueError("rbf_kernel: pass gamma or sigma, not both (gamma = 1 / (2 sigma^2))")
        gamma = 1.0 / (2.0 * sigma * sigma)
    x, y = _pair(x, y)
    return ag.exp(-_gamma(gamma, x) * squared_distances(x, y))


def sigmoid_kernel(x: Any, y: Any = None, gamma: Any = None, coef0: Any = 1.0) -> Tensor:
    """K = tanh(gamma x^T x' + coef0) (not positive semi-definite in general)."""
    x, y = _pair(x, y)
    return ag.tanh(_gamma(gamma, x) * (x @ y.T) + coef0)


KERNELS = {"linear": linear_kernel, "poly": polynomial_kernel, "polynomial": polynomial_kernel,
           "rbf": rbf_kernel, "sigmoid": sigmoid_kernel}


def pairwise_kernel(x: Any, y: Any, kernel: str, gamma: Any = None, degree: int = 3, coef0: Any = 1.0) -> Tensor:
    """Dispatch by name with scikit-learn's parameter names."""
    if kernel == "linear":
        return linear_kernel(x, y)
    if kernel in ("poly", "polynomial"):
        return polynomial_kernel(x, y, degree, gamma, coef0)
    if kernel == "rbf":
        return rbf_kernel(x, y, gamma)
    if kernel == "sigmoid":
        return sigmoid_kernel(x, y, gamma, coef0)
    raise ValueError(f"unknown kernel {kernel!r}; choose one of {sorted(KERNELS)} or pass a callable K(X, Y)")
