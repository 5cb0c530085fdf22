"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay (PyTorch's formulation)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from autograd_core.kernels import get as kernel
from autograd_core.kernels.optim import sgd_step_reference

import autograd_core as ag

from .optimizer import Optimizer, check_non_negative, check_not_differentiable, to_scalar


class SGD(Optimizer):
    """g += wd p;  b <- mu b + (1 - dampening) g (b = g at step 1);  p <- p - lr (g + mu b if nesterov else b)"""

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False, fused: bool | None = None) -> None:
        # foreach / fused choose PyTorch's kernels, not the arithmetic: accepted and stored, the update is the same
        # PyTorch's SGD tests lr < 0 and so lets lr=nan through; refusing NaN here is deliberate
        check_non_negative("learning rate", lr)
        check_non_negative("momentum value", momentum)
        check_non_negative("weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        check_not_differentiable("SGD", differentiable)
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))

    def _update(self, group: dict) -> None:
        lr, mu, damp, wd = to_scalar(group["lr"]), group["momentum"], group["dampening"], group["weight_decay"]
        step = kernel("sgd_step")
        for p in group["params"]:
            if p.grad is None:
                continue
            g = p.grad._data
            st = self.state[p]
            buf = st.get("momentum_buffer")
            first = mu != 0 and buf is None
            if first:
                buf = st["momentum_buffer"] = ag.zeros_like(p)
            if p._data.flags.c_contiguous and g.dtype == p._data.dtype and g.flags.c_contiguous:
                # one fused pass over weight, gradient and momentum buffer (kernels/optim.py)
                flat_b = buf._data.reshape(-1) if mu != 0 else p._data.reshape(-1)
                step(p._data.reshape(-1), g.reshape(-1), flat_b, lr, mu, damp, wd, group["nesterov"],
                     group["maximize"], first)
            else:
                # non-contiguous parameter or gradient of another dtype: the numpy formulation, in place
                sgd_step_reference(p._data, g.astype(p._data.dtype), buf._data if mu != 0 else None, lr, mu, damp, wd,
                                   group["nesterov"], group["maximize"], first)
            self._touch(p)
