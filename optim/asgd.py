"""Averaged SGD (Polyak & Juditsky 1992), PyTorch's formulation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import autograd_core as ag

from .optimizer import Optimizer, as_real, check_non_negative, check_not_differentiable, to_scalar


class ASGD(Optimizer):
    """p <- p (1 - lambd eta) - eta g;  ax <- ax + mu (p - ax);  eta = lr / (1 + lambd lr t)**alpha,
    mu = 1 / max(1, t - t0)

    ``state['ax']`` is the running average of the iterates (averaging starts after ``t0`` steps).
    ``eta`` and ``mu`` are kept as Python floats (PyTorch keeps float32 tensors unless its default dtype is
    float64). ``foreach`` and ``capturable`` are accepted and stored."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        check_non_negative("learning rate", lr)
        check_non_negative("weight_decay value", weight_decay)
        check_not_differentiable("ASGD", differentiable)
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                                      foreach=foreach, maximize=maximize, differentiable=differentiable,
                                      capturable=capturable))

    def _update(self, group: dict) -> None:
        lr, lambd, alpha, t0, wd = (to_scalar(group["lr"]), group["lambd"], group["alpha"], group["t0"],
                                    group["weight_decay"])
        for p in group["params"]:
            g = self._grad(p, group)
            if g is None:
                continue
            st = self.state[p]
            if not st:
                st["step"] = 0
                st["eta"] = float(lr)
                st["mu"] = 1.0
                st["ax"] = ag.zeros_like(p)
            st["step"] += 1
            t = st["step"]
            if wd != 0:
                g = g + wd * p._data
            eta, mu = float(st["eta"]), float(st["mu"])  # float(): a loaded state may hold 0-d tensors
            x, g, ax = as_real(p._data), as_real(g), as_real(st["ax"]._data)
            x *= 1 - lambd * eta
            x -= eta * g
            if mu != 1:
                ax += (x - ax) * mu
            else:
                ax[...] = x
            st["eta"] = lr / ((1 + lambd * lr * t) ** alpha)
            st["mu"] = 1 / max(1, t - t0)
            self._touch(p)
