"""Adagrad (Duchi et al.), PyTorch's formulation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

import autograd_core as ag

from .optimizer import Optimizer, check_non_negative, check_not_differentiable, to_scalar


class Adagrad(Optimizer):
    """s <- s + g**2;  p <- p - lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps)"""

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False, fused: bool | None = None) -> None:
        for label, v in (("learning rate", lr), ("lr_decay value", lr_decay), ("weight_decay value", weight_decay),
                         ("initial_accumulator_value value", initial_accumulator_value), ("epsilon value", eps)):
            check_non_negative(label, v)
        check_not_differentiable("Adagrad", differentiable)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable, fused=fused))
        for group in self.param_groups:  # PyTorch creates Adagrad's state eagerly
            for p in group["params"]:
                self.state[p] = {"step": 0, "sum": ag.tensor(np.full(p.shape, group["initial_accumulator_value"],
                                                                      dtype=p.dtype))}

    def _update(self, group: dict) -> None:
        for p in group["params"]:
            g = self._grad(p, group)
            if g is None:
                continue
            st = self.state[p]
            st["step"] += 1
            if group["weight_decay"] != 0:
                g = g + group["weight_decay"] * p._data
            clr = to_scalar(group["lr"]) / (1 + (st["step"] - 1) * group["lr_decay"])
            s = st["sum"]._data
            s += g * g
            p._data -= clr * g / (np.sqrt(s) + group["eps"])
            self._touch(p)
