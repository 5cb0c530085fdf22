"""The Wishart distribution over positive-definite matrices, parameterised by a covariance, a precision or a
Cholesky factor of the scale matrix."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import arange, broadcast_shapes, cholesky_solve, diag_embed, digamma, eye, linalg, matmul, mvlgamma, where
from .._tensor import Tensor
from . import constraints
from .exp_family import ExponentialFamily
from .gamma import standard_gamma
from .multivariate_normal import precision_to_scale_tril
from .normal import standard_normal
from .utils import constant, data, is_number, lazy_property

__all__ = ["Wishart"]

_LOG_2 = math.log(2)


def _mvdigamma(x: Tensor, p: int) -> Tensor:
    """The multivariate digamma sum_{j<p} digamma(x - j/2) (the derivative of log Gamma_p), for x > (p-1)/2."""
    if not bool(np.all(data(x) > (p - 1) / 2)):
        raise AssertionError("Wrong domain for multivariate digamma function.")
    return digamma(x.unsqueeze(-1) - arange(p, dtype=x.dtype) / 2).sum(-1)


def _all_positive_definite(v: np.ndarray) -> np.ndarray:
    """Which matrices of the stack ``v`` have a Cholesky factor: one batched factorisation when all do,
    else matrix by matrix (a failed one must not fail the rest)."""
    try:
        np.linalg.cholesky(v)
        return np.ones(v.shape[:-2], dtype=bool)
    except np.linalg.LinAlgError:
        return data(constraints.positive_definite.check(constant(v, v.dtype)))


class Wishart(ExponentialFamily):
    """Wishart(df, Sigma) on p x p positive-definite X: density
    |X|^((df-p-1)/2) exp(-tr(Sigma^-1 X) / 2) / (2^(df p/2) |Sigma|^(df/2) Gamma_p(df/2)), df > p - 1,
    with exactly one of ``covariance_matrix`` (Sigma), ``precision_matrix`` (Sigma^-1) or ``scale_tril``
    (L, Sigma = L L^T). ``rsample`` is the Bartlett decomposition X = (L A)(L A)^T, A lower triangular with
    sqrt(chi2(df - i)) on the diagonal and N(0, 1) below: differentiable in L and (through the implicitly
    reparameterised chi2 draws) in df."""

    support = constraints.positive_definite
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def arg_constraints(self) -> dict[str, constraints.Constraint]:  # type: ignore[override]
        return {"covariance_matrix": constraints.positive_definite,
                "precision_matrix": constraints.positive_definite,
                "scale_tril": constraints.lower_cholesky,
                "df": constraints.greater_than(self.event_shape[-1] - 1)}

    def __init__(self, df: Tensor | float, covariance_matrix: Tensor | None = None,
                 precision_matrix: Tensor | None = None, scale_tril: Tensor | None = None,
                 validate_args: bool | None = None) -> None:
        given = [(n, m) for n, m in (("covariance_matrix", covariance_matrix), ("precision_matrix", precision_matrix),
                                     ("scale_tril", scale_tril)) if m is not None]
        if len(given) != 1:
            # PyTorch raises AssertionError here (not ValueError)
            raise AssertionError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        name, param = given[0]
        if param.dim() < 2:
            raise ValueError(f"Wishart: {name} must be at least two-dimensional, with optional leading batch "
                             f"dimensions, got shape {tuple(param.shape)}")
        if param.shape[-1] != param.shape[-2]:
            raise ValueError(f"Wishart: {name} must be square in its last two dimensions, got shape "
                             f"{tuple(param.shape)}")
        if is_number(df):
            batch_shape = tuple(param.shape[:-2])
            self.df = constant(np.asarray(df), param.dtype)
        elif isinstance(df, Tensor):
            batch_shape = tuple(broadcast_shapes(tuple(param.shape[:-2]), tuple(df.shape)))
            self.df = df.expand(batch_shape)
        else:
            raise TypeError(f"Wishart: df must be a number or a Tensor, got {type(df).__name__}")
        event_shape = tuple(param.shape[-2:])
        p = event_shape[-1]
        df_values = data(self.df)
        # checked whatever validate_args says, as PyTorch does: no density exists for df <= p - 1
        if np.any(df_values <= p - 1):
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = {p - 1}.")
        setattr(self, name, param.expand(batch_shape + (-1, -1)))
        if np.any(df_values < p):
            warnings.warn("Low df values detected. Singular samples are highly likely to occur for "
                          "ndim - 1 < df < ndim.", UserWarning, stacklevel=2)
        super().__init__(batch_shape, event_shape, validate_args=validate_args)
        if name == "scale_tril":
            self._unbroadcasted_scale_tril = param
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = linalg.cholesky(param)
        else:
            self._unbroadcasted_scale_tril = precision_to_scale_tril(param)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Wishart:
        new = self._get_checked_instance(Wishart, _instance)
        batch_shape = tuple(batch_shape)
        cov_shape = batch_shape + tuple(self.event_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril.expand(cov_shape)
        new.df = self.df.expand(batch_shape)
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(cov_shape))
        super(Wishart, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _matrix_shape(self) -> tuple:
        return tuple(self._batch_shape) + tuple(self._event_shape)

    @lazy_property
    def scale_tril(self) -> Tensor:
        return self._unbroadcasted_scale_tril.expand(self._matrix_shape())

    @lazy_property
    def covariance_matrix(self) -> Tensor:
        L = self._unbroadcasted_scale_tril
        return matmul(L, L.mT).expand(self._matrix_shape())

    @lazy_property
    def precision_matrix(self) -> Tensor:
        L = self._unbroadcasted_scale_tril
        return cholesky_solve(eye(L.shape[-1], dtype=L.dtype), L).expand(self._matrix_shape())

    def _df_matrix(self) -> Tensor:
        return self.df.reshape(tuple(self._batch_shape) + (1, 1))

    @property
    def mean(self) -> Tensor:
        return self._df_matrix() * self.covariance_matrix

    @property
    def mode(self) -> Tensor:
        # (df - p - 1) Sigma; no mode (nan, as PyTorch) where df <= p + 1
        factor = self.df - self._event_shape[-1] - 1
        factor = where(factor > 0, factor, math.nan)
        return factor.reshape(tuple(self._batch_shape) + (1, 1)) * self.covariance_matrix

    @property
    def variance(self) -> Tensor:
        # Var(X_ij) = df (V_ij^2 + V_ii V_jj)
        V = self.covariance_matrix
        d = V.diagonal(dim1=-2, dim2=-1)
        return self._df_matrix() * (V.pow(2) + d.unsqueeze(-1) * d.unsqueeze(-2))

    def _bartlett(self, shape: tuple) -> Tensor:
        """(L A)(L A)^T for a Bartlett factor A per matrix of ``shape`` (sample_shape + batch_shape)."""
        p = self._event_shape[-1]
        L = self._unbroadcasted_scale_tril
        # chi2(k) = 2 Gamma(k / 2, 1); the diagonal of A holds sqrt(chi2(df - i)), i = 0..p-1
        half_df = (self.df.unsqueeze(-1) - arange(p, dtype=L.dtype)) / 2
        chi2 = 2 * standard_gamma(half_df.expand(shape + (p,)))
        diag = chi2.sqrt().clamp(min=float(np.finfo(L.dtype).eps))
        below = standard_normal(shape + (p, p), L.dtype)
        A = diag_embed(diag) + constant(np.tril(data(below), -1), L.dtype)
        chol = matmul(L, A)
        return matmul(chol, chol.mT)

    def rsample(self, sample_shape: Any = (), max_try_correction: int | None = None) -> Tensor:
        """A Bartlett draw; draws that come out singular in floating point (likely for df < p) are drawn
        again, up to ``max_try_correction`` (10) times, with a warning."""
        tries = 10 if max_try_correction is None else max_try_correction
        shape = tuple(self._extended_shape(sample_shape))[:-2]
        sample = self._bartlett(shape)
        singular = ~_all_positive_definite(data(sample))
        if singular.any():
            warnings.warn("Singular sample detected.", UserWarning, stacklevel=2)
            for _ in range(tries):
                sample = where(constant(singular[..., None, None], bool), self._bartlett(shape), sample)
                singular = ~_all_positive_definite(data(sample))
                if not singular.any():
                    break
        return sample

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        nu = self.df
        p = self._event_shape[-1]
        L = self._unbroadcasted_scale_tril
        batch = tuple(broadcast_shapes(tuple(L.shape[:-2]), tuple(value.shape[:-2])))
        # tr(Sigma^-1 X) through the Cholesky factor, never forming Sigma^-1
        trace = cholesky_solve(value.expand(batch + (p, p)), L.expand(batch + (p, p))).diagonal(
            dim1=-2, dim2=-1).sum(-1)
        half_log_det = L.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return (-nu * (p * _LOG_2 / 2 + half_log_det) - mvlgamma(nu / 2, p)
                + (nu - p - 1) / 2 * linalg.slogdet(value).logabsdet - trace / 2)

    def entropy(self) -> Tensor:
        nu = self.df
        p = self._event_shape[-1]
        half_log_det = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return ((p + 1) * (p * _LOG_2 / 2 + half_log_det) + mvlgamma(nu / 2, p)
                - (nu - p - 1) / 2 * _mvdigamma(nu / 2, p) + nu * p / 2)

    @property
    def _natural_params(self) -> tuple[Tensor, Tensor]:
        return -self.precision_matrix / 2, (self.df - self._event_shape[-1] - 1) / 2

    def _log_normalizer(self, x: Tensor, y: Tensor) -> Tensor:
        p = self._event_shape[-1]
        return (y + (p + 1) / 2) * (-linalg.slogdet(-2 * x).logabsdet + _LOG_2 * p) + mvlgamma(y + (p + 1) / 2, p)
