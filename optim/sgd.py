"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay (PyTorch's formulation)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

import autograd_core as ag

from .optimizer import Optimizer


def _check(name: str, value: float) -> None:
    if value < 0.0:
        raise ValueError(f"Invalid {name} value: {value} (must be >= 0)")


class SGD(Optimizer):
    """g += wd p;  b <- mu b + (1 - dampening) g (b = g at step 1);  p <- p - lr (g + mu b if nesterov else b)"""

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        _check("momentum", momentum)
        _check("weight_decay", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize))

    def _update(self, group: dict) -> None:
        lr, mu, damp, wd = group["lr"], group["momentum"], group["dampening"], group["weight_decay"]
        for p in group["params"]:
            g = self._grad(p, group)
            if g is None:
                continue
            if wd != 0:
                g = g + wd * p.data
            if mu != 0:
                st = self.state[p]
                buf = st.get("momentum_buffer")
                if buf is None:
                    buf = st["momentum_buffer"] = ag.tensor(np.array(g, copy=True))
                else:
                    b = buf.data
                    b *= mu
                    b += (1 - damp) * g if damp else g
                g = g + mu * buf.data if group["nesterov"] else buf.data
            p.data -= lr * g
            self._touch(p)
