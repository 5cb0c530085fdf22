"""The course's Gaussian class-conditional classifier (seed 001, "MLE - classification").

Each class j is modelled as N(mu_j, Sigma_j); maximising the log-likelihood gives mu_j = class mean
and Sigma_j = class covariance (divisor n_j, or n_j - ddof); prediction takes argmax_j of
log P(j) + log N(x | mu_j, Sigma_j). ``log_likelihood`` is differentiable in mu and Sigma, so the
closed form can be checked to be a stationary point with autograd (tests do).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor

from ._base import ClassifierMixin, as_labels, as_matrix


def gaussian_log_density(x: Tensor, mean: Tensor, cov: Tensor) -> Tensor:
    """log N(x_i | mean, cov) per row: -(d log 2 pi + log|cov| + (x-mu)^T cov^-1 (x-mu)) / 2, via Cholesky."""
    d = x.shape[1]
    chol = ag.linalg.cholesky(cov)
    z = ag.linalg.solve_triangular(chol, (x - mean).T, upper=False)  # L^-1 (x - mu)^T
    maha = (z * z).sum(0)
    logdet = 2.0 * chol.diagonal().log().sum()
    return -0.5 * (d * np.log(2 * np.pi) + logdet + maha)


class GaussianClassifier(ClassifierMixin):
    """priors: 'uniform' (the course's 1/k), 'empirical' (n_j / n) or an array; ddof=0 is the MLE (as in
    scikit-learn's QuadraticDiscriminantAnalysis with priors=None), ddof=1 the unbiased covariance;
    reg adds reg * I."""

    def __init__(self, priors: Any = "uniform", ddof: int = 0, reg: float = 0.0) -> None:
        self.priors, self.ddof, self.reg = priors, ddof, reg

    def fit(self, X: Any, y: Any) -> GaussianClassifier:
        x = as_matrix(X).detach()
        y_np = as_labels(y)
        self.classes_, inv = np.unique(y_np, return_inverse=True)
        d = x.shape[1]
        means, covs, counts = [], [], []
        for j in range(len(self.classes_)):
            xj = x[ag.tensor(np.flatnonzero(inv == j))]
            n_j = xj.shape[0]
            if n_j - self.ddof < 1:
                raise ValueError(f"GaussianClassifier: class {self.classes_[j]!r} has {n_j} sample(s), too few for a "
                                 f"covariance with ddof={self.ddof}")
            mu = xj.mean(0)
            xc = xj - mu
            means.append(mu)
            covs.append(xc.T @ xc / (n_j - self.ddof) + self.reg * ag.eye(d, dtype=x.dtype))
            counts.append(n_j)
        self.means_, self.covariances_ = ag.stack(means), ag.stack(covs)
        k = len(self.classes_)
        if isinstance(self.priors, str):
            if self.priors not in ("uniform", "empirical"):
                raise ValueError(f"GaussianClassifier: priors must be 'uniform', 'empirical' or an array, got "
                                 f"{self.priors!r}")
            pri = np.full(k, 1.0 / k) if self.priors == "uniform" else np.asarray(counts, dtype=np.float64) / len(y_np)
        else:
            pri = np.asarray(self.priors, dtype=np.float64)
        self.priors_ = pri
        return self

    def log_likelihood(self, X: Any, y: Any, means: Tensor | None = None, covs: Tensor | None = None) -> Tensor:
        """sum_i log N(x_i | mu_{y_i}, Sigma_{y_i}) (the course's log L without the prior constant)."""
        x = as_matrix(X)
        means = self.means_ if means is None else means
        covs = self.covariances_ if covs is None else covs
        y_np = as_labels(y)
        total = 0.0
        for j, c in enumerate(self.classes_):
            rows = ag.tensor(np.flatnonzero(y_np == c))
            total = total + gaussian_log_density(x[rows], means[j], covs[j]).sum()
        return total

    def joint_log_likelihood(self, X: Any) -> Tensor:
        """(n, k): log P(j) + log N(x | mu_j, Sigma_j)."""
        x = as_matrix(X)
        cols = [gaussian_log_density(x, self.means_[j], self.covariances_[j]) + float(np.log(self.priors_[j]))
                for j in range(len(self.classes_))]
        return ag.stack(cols, 1)

    def predict_log_proba(self, X: Any) -> Tensor:
        return self.joint_log_likelihood(X).log_softmax(1)

    def predict_proba(self, X: Any) -> Tensor:
        return self.joint_log_likelihood(X).softmax(1)

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[np.argmax(self.joint_log_likelihood(X)._data, axis=1)]

