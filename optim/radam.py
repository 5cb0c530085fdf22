"""RAdam (Liu et al. 2019: Adam with a rectified adaptive learning rate), PyTorch's formulation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

import autograd_core as ag

from .optimizer import Optimizer, as_real, check_betas, check_non_negative, check_not_differentiable, lerp_, to_scalar


class RAdam(Optimizer):
    """rho_t = rho_inf - 2 t b2**t / (1 - b2**t);  p <- p - lr m_hat r_t sqrt(1 - b2**t) / (sqrt(v) + eps) when
    rho_t > 5, else p <- p - lr m_hat  (r_t the variance rectification term)

    ``decoupled_weight_decay`` decays the weights (AdamW style); ``foreach`` and ``capturable`` are accepted."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        check_non_negative("learning rate", lr)
        check_non_negative("epsilon value", eps)
        check_betas(betas)
        check_non_negative("weight_decay value", weight_decay)
        check_not_differentiable("RAdam", differentiable)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize,
                                      foreach=foreach, capturable=capturable,
                                      decoupled_weight_decay=decoupled_weight_decay, differentiable=differentiable))

    def _update(self, group: dict) -> None:
        lr, (b1, b2), eps, wd = to_scalar(group["lr"]), group["betas"], group["eps"], group["weight_decay"]
        rho_inf = 2 / (1 - b2) - 1
        for p in group["params"]:
            g = self._grad(p, group)
            if g is None:
                continue
            st = self.state[p]
            if not st:
                st["step"] = 0
                st["exp_avg"] = ag.zeros_like(p)
                st["exp_avg_sq"] = ag.zeros_like(p)
            st["step"] += 1
            t = st["step"]
            if wd != 0:
                if group["decoupled_weight_decay"]:
                    p._data *= 1 - lr * wd
                else:
                    g = g + wd * p._data
            x, g = as_real(p._data), as_real(g)
            m, v = as_real(st["exp_avg"]._data), as_real(st["exp_avg_sq"]._data)
            lerp_(m, g, 1 - b1)
            v *= b2
            v += (1 - b2) * g * g
            bias_correction1 = 1 - b1**t
            bias_correction2 = 1 - b2**t
            m_hat = m / bias_correction1
            rho_t = rho_inf - 2 * t * (b2**t) / bias_correction2
            if rho_t > 5.0:
                rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                adaptive = bias_correction2**0.5 / (np.sqrt(v) + eps)
                x -= m_hat * lr * adaptive * rect
            else:
                x -= m_hat * lr
            self._touch(p)
