"""Linear, logistic and softmax regression (course seeds 000-002) on the autograd Tensor.

``LinearRegression`` solves the normal equation theta = (X^T X)^-1 X^T y with ``ag.linalg.solve``
or runs batch gradient descent on the MSE; ``LogisticRegression`` minimises scikit-learn's objective
C * sum_i CE_i + ||W||^2 / 2 (intercept not penalised; C=inf: no penalty) by Newton's method with the
exact Hessian from double backward (``ml.newton``) or by gradient descent. Two classes use one
sigmoid unit, more use softmax (``SoftmaxRegression`` forces softmax).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor

from ._base import ClassifierMixin, as_labels, as_matrix, as_target
from .kernel_ridge import r2_score
from .newton import newton


def _design(x: Tensor, fit_intercept: bool) -> Tensor:
    return ag.cat([x, ag.ones(x.shape[0], 1, dtype=x.dtype)], 1) if fit_intercept else x


def gradient_descent(loss_fn: Any, theta0: np.ndarray, lr: float, max_iter: int, tol: float
                     ) -> tuple[Tensor, list[float], int]:
    """theta <- theta - lr * grad loss(theta) until |grad|_inf < tol; returns (theta, losses, iterations)."""
    theta = ag.tensor(np.asarray(theta0, dtype=np.float64), requires_grad=True)
    history = []
    it = 0
    while it < max_iter:
        it += 1
        loss = loss_fn(theta)
        (g,) = ag.grad(loss, [theta])
        history.append(float(loss.item()))
        with ag.no_grad():
            theta -= lr * g
        if float(g.abs().max().item()) < tol:
            break
    return theta.detach(), history, it


class LinearRegression:
    """Least squares y ~ X w + b: solver='normal' (closed form) or 'gd' (batch gradient descent)."""

    def __init__(self, fit_intercept: bool = True, solver: str = "normal", lr: float = 0.1, max_iter: int = 10000,
                 tol: float = 1e-10) -> None:
        if solver not in ("normal", "gd"):
            raise ValueError(f"LinearRegression: solver must be 'normal' or 'gd', got {solver!r}")
        self.fit_intercept, self.solver, self.lr, self.max_iter, self.tol = fit_intercept, solver, lr, max_iter, tol

    def fit(self, X: Any, y: Any) -> LinearRegression:
        x = as_matrix(X)
        y_t = as_target(y, x.shape[0])
        a = _design(x, self.fit_intercept)
        if self.solver == "normal":
            d = a.shape[1]
            if np.linalg.matrix_rank(a._data) < d:  # rounding can hide an exact singularity from the LU pivots
                raise ag.linalg.LinAlgError(
                    f"LinearRegression: X^T X ({d}x{d}) is singular (collinear or constant features, or fewer "
                    "samples than features); drop redundant columns or use KernelRidge / ridge (alpha > 0)")
            theta = ag.linalg.solve(a.mT @ a, a.mT @ y_t)  # the normal equation (X^T X) theta = X^T y
            self.n_iter_ = 0
        else:
            theta = self._gradient_descent(a, y_t)
        self._store(theta)
        return self

    def _gradient_descent(self, a: Tensor, y: Tensor) -> Tensor:
        n = a.shape[0]
        theta0 = np.zeros((a.shape[1],) + tuple(y.shape[1:]))
        # the course's J = (1/m) sum (h(x) - y)^2
        theta, self.loss_history_, self.n_iter_ = gradient_descent(
            lambda th: ((a @ th - y) ** 2).sum() / n, theta0, self.lr, self.max_iter, self.tol)
        return theta

    def _store(self, theta: Tensor) -> None:
        theta = theta.detach()
        if self.fit_intercept:
            self.coef_, self.intercept_ = theta[:-1], theta[-1]
        else:
            self.coef_, self.intercept_ = theta, ag.zeros(*theta.shape[1:], dtype=theta.dtype)

    def predict(self, X: Any) -> Tensor:
        return as_matrix(X) @ self.coef_ + self.intercept_

    def score(self, X: Any, y: Any) -> float:
        return r2_score(y, self.predict(X))


class LogisticRegression(ClassifierMixin):
    """Binary (sigmoid) or multinomial (softmax) logistic regression with scikit-learn's L2 objective."""

    def __init__(self, C: float = 1.0, fit_intercept: bool = True, solver: str = "newton", max_iter: int = 100,
                 tol: float = 1e-8, lr: float = 0.1) -> None:
        if solver not in ("newton", "gd"):
            raise ValueError(f"LogisticRegression: solver must be 'newton' or 'gd', got {solver!r}")
        if not C > 0:
            raise ValueError(f"LogisticRegression: C must be positive (np.inf for no penalty), got {C}")
        self.C, self.fit_intercept, self.solver, self.max_iter, self.tol, self.lr = (
            C, fit_intercept, solver, max_iter, tol, lr)

    _softmax_always = False

    def fit(self, X: Any, y: Any) -> LogisticRegression:
        x = as_matrix(X)
        y_np = as_labels(y)
        self.classes_ = np.unique(y_np)
        k = len(self.classes_)
        if k < 2:
            raise ValueError(f"LogisticRegression needs at least 2 classes in y, got {self.classes_.tolist()}")
        self._softmax = k > 2 or self._softmax_always
        idx = np.searchsorted(self.classes_, y_np)
        a = _design(x, self.fit_intercept)
        d = a.shape[1]
        rows = k if self._softmax else 1
        penalised = np.ones((rows, d))
        if self.fit_intercept:
            penalised[:, -1] = 0.0
        reg = 0.0 if np.isinf(self.C) else 1.0 / self.C
        target = ag.tensor(np.eye(k)[idx] if self._softmax else (idx == 1).astype(np.float64))

        def objective(theta: Tensor) -> Tensor:
            w = theta.reshape(rows, d)
            z = a @ w.mT
            if self._softmax:
                data = -(target * z.log_softmax(1)).sum()
            else:  # sum of log(1 + e^z) - y z, written stably with softplus
                z = z.squeeze(1)
                data = (ag.softplus(z) - target * z).sum()
            return data + 0.5 * reg * (w * w * ag.tensor(penalised)).sum()

        theta0 = np.zeros(rows * d)
        if self.solver == "newton":
            # the unpenalised softmax intercepts are only defined up to a common shift: a tiny damping
            # picks the minimum-norm step there, and the shift is removed below
            res = newton(objective, theta0, max_iter=self.max_iter, tol=self.tol,
                         damping=1e-12 if self._softmax and self.fit_intercept else 0.0)
            theta, self.n_iter_ = res.x, res.n_iter
        else:
            theta, self.loss_history_, self.n_iter_ = gradient_descent(
                objective, theta0, self.lr / a.shape[0], self.max_iter, self.tol)
        w = theta._data.reshape(rows, d)
        if self.fit_intercept:
            b = w[:, -1] - (w[:, -1].mean() if self._softmax else 0.0)
            w = w[:, :-1]
        else:
            b = np.zeros(rows)
        self.coef_, self.intercept_ = ag.tensor(w), ag.tensor(b)
        return self

    def decision_function(self, X: Any) -> Tensor:
        z = as_matrix(X) @ self.coef_.mT + self.intercept_
        return z if self._softmax else z.squeeze(1)

    def predict_proba(self, X: Any) -> Tensor:
        z = self.decision_function(X)
        if self._softmax:
            return z.softmax(1)
        p = z.sigmoid()
        return ag.stack([1.0 - p, p], 1)

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X)._data, axis=1)]


class SoftmaxRegression(LogisticRegression):
    """Multinomial logistic regression, softmax over all classes even when there are two."""

    _softmax_always = True
