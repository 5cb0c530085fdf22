"""Adadelta (Zeiler 2012), PyTorch's formulation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

import autograd_core as ag

from .optimizer import Optimizer, as_real, check_non_negative, check_not_differentiable, to_scalar


class Adadelta(Optimizer):
    """v <- rho v + (1 - rho) g**2;  d = sqrt(u + eps) / sqrt(v + eps) g;  u <- rho u + (1 - rho) d**2;  p <- p - lr d

    ``foreach`` and ``capturable`` pick PyTorch's kernels, not the arithmetic: accepted and stored."""

    def __init__(self, params: Iterable[Any], lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False) -> None:
        check_non_negative("learning rate", lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho} (must be in [0, 1])")
        check_non_negative("epsilon value", eps)
        check_non_negative("weight_decay value", weight_decay)
        check_not_differentiable("Adadelta", differentiable)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                                      capturable=capturable, foreach=foreach, differentiable=differentiable))

    def _update(self, group: dict) -> None:
        lr, rho, eps, wd = to_scalar(group["lr"]), group["rho"], group["eps"], group["weight_decay"]
        for p in group["params"]:
            g = self._grad(p, group)
            if g is None:
                continue
            st = self.state[p]
            if not st:
                st["step"] = 0
                st["square_avg"] = ag.zeros_like(p)
                st["acc_delta"] = ag.zeros_like(p)
            st["step"] += 1
            if wd != 0:
                g = g + wd * p._data
            x, g = as_real(p._data), as_real(g)
            v, u = as_real(st["square_avg"]._data), as_real(st["acc_delta"]._data)
            v *= rho
            v += (1 - rho) * g * g
            delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
            u *= rho
            u += (1 - rho) * delta * delta
            x -= lr * delta
            self._touch(p)
