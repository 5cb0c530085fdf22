"""NAdam (Dozat 2016: Adam with Nesterov momentum and a momentum schedule), PyTorch's formulation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

import autograd_core as ag

from .optimizer import Optimizer, as_real, check_betas, check_non_negative, check_not_differentiable, lerp_, to_scalar


class NAdam(Optimizer):
    """mu_t = b1 (1 - 0.96**(t psi) / 2);  m, v as Adam;  p <- p - lr ((1 - mu_t) g / (1 - prod mu)
    + mu_{t+1} m / (1 - prod mu mu_{t+1})) / (sqrt(v / (1 - b2**t)) + eps)

    ``momentum_decay`` is psi; ``decoupled_weight_decay`` decays the weights (AdamW style) instead of adding
    ``weight_decay * p`` to the gradient. ``foreach`` and ``capturable`` are accepted and stored.
    ``mu_product`` is kept as a Python float (PyTorch keeps a float32 tensor unless its default dtype is float64)."""

    def __init__(self, params: Iterable[Any], lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False) -> None:
        check_non_negative("learning rate", lr)
        check_non_negative("epsilon value", eps)
        check_betas(betas)
        check_non_negative("weight_decay value", weight_decay)
        check_non_negative("momentum_decay value", momentum_decay)
        check_not_differentiable("NAdam", differentiable)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=differentiable))

    def _update(self, group: dict) -> None:
        lr, (b1, b2), eps, wd = to_scalar(group["lr"]), group["betas"], group["eps"], group["weight_decay"]
        psi = group["momentum_decay"]
        for p in group["params"]:
            g = self._grad(p, group)
            if g is None:
                continue
            st = self.state[p]
            if not st:
                st["step"] = 0
                st["mu_product"] = 1.0
                st["exp_avg"] = ag.zeros_like(p)
                st["exp_avg_sq"] = ag.zeros_like(p)
            st["step"] += 1
            t = st["step"]
            bias_correction2 = 1 - b2**t
            if wd != 0:
                if group["decoupled_weight_decay"]:
                    p._data *= 1 - lr * wd
                else:
                    g = g + wd * p._data
            mu = b1 * (1.0 - 0.5 * 0.96 ** (t * psi))
            mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
            mu_product = float(st["mu_product"]) * mu  # float(): a loaded state may hold a 0-d tensor
            st["mu_product"] = mu_product
            x, g = as_real(p._data), as_real(g)
            m, v = as_real(st["exp_avg"]._data), as_real(st["exp_avg_sq"]._data)
            lerp_(m, g, 1 - b1)
            v *= b2
            v += (1 - b2) * g * g
            denom = np.sqrt(v / bias_correction2) + eps
            x += (-lr * (1.0 - mu) / (1.0 - mu_product)) * g / denom
            x += (-lr * mu_next / (1.0 - mu_product * mu_next)) * m / denom
            self._touch(p)
