"""Adam and AdamW (Kingma & Ba; Loshchilov & Hutter), PyTorch's formulation, plus the course's
"Adam without bias correction" (``bias_correction=False``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

import autograd_core as ag

from .optimizer import Optimizer, check_betas, check_non_negative, check_not_differentiable, to_scalar


class Adam(Optimizer):
    """m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g**2;  p <- p - lr m_hat / (sqrt(v_hat) + eps)

    ``foreach``, ``capturable`` and ``fused`` pick PyTorch's kernels, not the arithmetic: accepted and stored."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False,
                 bias_correction: bool = True) -> None:
        check_non_negative("learning rate", lr)
        check_non_negative("epsilon value", eps)
        check_betas(betas)
        check_non_negative("weight_decay value", weight_decay)
        check_not_differentiable(type(self).__name__, differentiable)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=differentiable, fused=fused,
                                      decoupled_weight_decay=decoupled_weight_decay, bias_correction=bias_correction))

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
                st["exp_avg_sq"] = ag.zeros_like(p)
                if group["amsgrad"]:
                    st["max_exp_avg_sq"] = ag.zeros_like(p)
            st["step"] += 1
            t = st["step"]
            if wd != 0:
                if group.get("decoupled_weight_decay", False):
                    p._data *= 1 - lr * wd  # AdamW: decay the weights, not the gradient
                else:
                    g = g + wd * p._data
            m, v = st["exp_avg"]._data, st["exp_avg_sq"]._data
            m += (1 - b1) * (g - m)
            v *= b2
            v += (1 - b2) * g * g
            if group["amsgrad"]:
                vmax = st["max_exp_avg_sq"]._data
                np.maximum(vmax, v, out=vmax)
                v = vmax
            if group.get("bias_correction", True):
                step_size = lr / (1 - b1**t)
                denom = np.sqrt(v) / np.sqrt(1 - b2**t) + eps
            else:
                step_size = lr
                denom = np.sqrt(v) + eps
            p._data -= step_size * m / denom
            self._touch(p)


class AdamW(Adam):
    """Adam with decoupled weight decay: p <- p (1 - lr wd) before the Adam step (default wd 1e-2)."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, bias_correction: bool = True) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True, bias_correction=bias_correction)
