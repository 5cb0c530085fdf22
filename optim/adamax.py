"""Adamax (Kingma & Ba, the infinity-norm variant of Adam), PyTorch's formulation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

import autograd_core as ag

from .optimizer import Optimizer, as_real, check_betas, check_non_negative, check_not_differentiable, lerp_, to_scalar


class Adamax(Optimizer):
    """m <- b1 m + (1 - b1) g;  u <- max(b2 u, |g| + eps);  p <- p - lr / (1 - b1**t) m / u

    ``foreach`` and ``capturable`` pick PyTorch's kernels, not the arithmetic: accepted and stored."""

    def __init__(self, params: Iterable[Any], lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False, capturable: bool = False) -> None:
        check_non_negative("learning rate", lr)
        check_non_negative("epsilon value", eps)
        check_betas(betas)
        check_non_negative("weight_decay value", weight_decay)
        check_not_differentiable("Adamax", differentiable)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable, capturable=capturable))

    def _update(self, group: dict) -> None:
        lr, (b1, b2), eps, wd = to_scalar(group["lr"]), group["betas"], group["eps"], group["weight_decay"]
        for p in group["params"]:
            g = self._grad(p, group)
            if g is None:
                continue
            st = self.state[p]
            if not st:
                st["step"] = 0
                st["exp_avg"] = ag.zeros_like(p)
                st["exp_inf"] = ag.zeros_like(p)
            st["step"] += 1
            if wd != 0:
                g = g + wd * p._data
            x, g = as_real(p._data), as_real(g)
            m, u = as_real(st["exp_avg"]._data), as_real(st["exp_inf"]._data)
            lerp_(m, g, 1 - b1)
            u *= b2
            np.maximum(u, np.abs(g) + eps, out=u)
            clr = lr / (1 - b1 ** st["step"])
            x += -clr * m / u
            self._touch(p)
