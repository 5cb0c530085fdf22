"""Kernel ridge regression (course seed 003): alpha_hat = (P + lam I)^-1 y with P_ij = K(x_i, x_j),
prediction f(x) = sum_i alpha_hat_i K(x_i, x). scikit-learn's ``KernelRidge`` names and defaults
(``alpha`` is the course's lambda). The closed form is one ``ag.linalg.solve``, so the bandwidth and
lambda can be learned by gradient descent through it (``fit_hyperparameters``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from autograd_core.optim import Adam

import autograd_core as ag
from autograd_core import Tensor
from autograd_core._progress import progress as _progress

from ._base import as_matrix, as_target
from .kernels import pairwise_kernel


def _value(p: Any) -> Any:
    return float(p.item()) if isinstance(p, Tensor) and p.numel() == 1 and not p.requires_grad else p


class KernelRidge:
    """Ridge regression in the feature space of ``kernel`` ('linear', 'poly', 'rbf', 'sigmoid' or K(X, Y))."""

    def __init__(self, alpha: Any = 1.0, kernel: str | Callable = "linear", gamma: Any = None, degree: int = 3,
                 coef0: Any = 1.0) -> None:
        self.alpha, self.kernel, self.gamma, self.degree, self.coef0 = alpha, kernel, gamma, degree, coef0

    def _k(self, x: Tensor, y: Tensor) -> Tensor:
        if callable(self.kernel):
            return self.kernel(x, y)
        return pairwise_kernel(x, y, self.kernel, self.gamma, self.degree, self.coef0)

    def fit(self, X: Any, y: Any) -> KernelRidge:
        x = as_matrix(X)
        y_t = as_target(y, x.shape[0])
        p = self._k(x, x)
        n = x.shape[0]
        self.X_fit_ = x
        self.dual_coef_ = ag.linalg.solve(p + self.alpha * ag.eye(n, dtype=p.dtype), y_t)
        return self

    def predict(self, X: Any) -> Tensor:
        if not hasattr(self, "dual_coef_"):
            raise RuntimeError("KernelRidge.predict: call fit(X, y) first")
        return self._k(as_matrix(X), self.X_fit_) @ self.dual_coef_

    def score(self, X: Any, y: Any) -> float:
        """R^2 of the predictions (scikit-learn's regressor score)."""
        return r2_score(y, self.predict(X).detach().numpy())

    def fit_hyperparameters(self, X: Any, y: Any, X_val: Any, y_val: Any, params: tuple[str, ...] = ("alpha", "gamma"),
                            steps: int = 100, lr: float = 0.05, progress: bool | None = None) -> list[float]:
        """Learn positive hyper-parameters (``alpha``, ``gamma``, ``coef0``) by Adam on the validation MSE,
        differentiating through the kernel and the solve; parameters are optimised in log space.
        Returns the validation loss per step and leaves the model fitted with the learned values.
        ``progress``: a tqdm bar over the steps (None: only on a terminal with tqdm installed)."""
        x = as_matrix(X)
        start = {}
        for name in params:
            v = getattr(self, name)
            v = 1.0 / x.shape[1] if (name == "gamma" and v is None) else _value(v)
            if not isinstance(v, (int, float)) or v <= 0:
                raise ValueError(f"fit_hyperparameters: {name} must start at a positive number, got {v!r}")
            start[name] = ag.tensor(np.log(float(v)), requires_grad=True)
        opt = Adam(list(start.values()), lr=lr)
        x_val = as_matrix(X_val)
        y_val_t = as_target(y_val, x_val.shape[0], "y_val")
        history = []
        for _ in _progress(range(steps), desc="fit_hyperparameters", unit="step", show=progress):
            for name, logv in start.items():
                setattr(self, name, logv.exp())
            self.fit(x, y)
            loss = ((self.predict(x_val) - y_val_t) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            history.append(float(loss.item()))
        for name, logv in start.items():
            setattr(self, name, float(np.exp(logv.item())))
        with ag.no_grad():
            self.fit(x, y)
        return history


def r2_score(y_true: Any, y_pred: Any) -> float:
    yt = np.asarray(y_true._data if isinstance(y_true, Tensor) else y_true, dtype=np.float64)
    yp = np.asarray(y_pred._data if isinstance(y_pred, Tensor) else y_pred, dtype=np.float64)
    ss_res = ((yt - yp) ** 2).sum(0)
    ss_tot = ((yt - yt.mean(0)) ** 2).sum(0)
    return float(np.mean(1.0 - ss_res / ss_tot))
