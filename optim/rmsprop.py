"""RMSprop (Hinton), with momentum and the centred variant, PyTorch's formulation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

import autograd_core as ag

from .optimizer import Optimizer, check_non_negative, check_not_differentiable, to_scalar


class RMSprop(Optimizer):
    """v <- a v + (1 - a) g**2;  d = sqrt(v - m**2 if centered else v) + eps;  p <- p - lr g / d (or via momentum)"""

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False, differentiable: bool = False) -> None:
        for label, v in (("learning rate", lr), ("epsilon value", eps), ("momentum value", momentum),
                         ("weight_decay value", weight_decay), ("alpha value", alpha)):
            check_non_negative(label, v)
        check_not_differentiable("RMSprop", differentiable)
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                                      weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable))

    def _update(self, group: dict) -> None:
        a, mu = group["alpha"], group["momentum"]
        for p in group["params"]:
            g = self._grad(p, group)
            if g is None:
                continue
            st = self.state[p]
            if not st:
                st["step"] = 0
                st["square_avg"] = ag.zeros_like(p)
                if mu > 0:
                    st["momentum_buffer"] = ag.zeros_like(p)
                if group["centered"]:
                    st["grad_avg"] = ag.zeros_like(p)
            st["step"] += 1
            if group["weight_decay"] != 0:
                g = g + group["weight_decay"] * p._data
            v = st["square_avg"]._data
            v *= a
            v += (1 - a) * g * g
            if group["centered"]:
                m = st["grad_avg"]._data
                m += (1 - a) * (g - m)
                denom = np.sqrt(v - m * m) + group["eps"]
            else:
                denom = np.sqrt(v) + group["eps"]
            if mu > 0:
                buf = st["momentum_buffer"]._data
                buf *= mu
                buf += g / denom
                p._data -= to_scalar(group["lr"]) * buf
            else:
                p._data -= to_scalar(group["lr"]) * g / denom
            self._touch(p)
