"""Rprop (Riedmiller & Braun 1993: resilient backpropagation), PyTorch's formulation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

import autograd_core as ag

from .optimizer import Optimizer, as_real, check_non_negative, check_not_differentiable, to_scalar


class Rprop(Optimizer):
    """s <- clamp(s * (eta+ if g g_prev > 0, eta- if < 0, else 1), *step_sizes);  g <- 0 where g g_prev < 0;
    p <- p - sign(g) s

    Only the signs of the gradients matter; ``lr`` is the initial step size of every entry.
    ``foreach`` and ``capturable`` are accepted and stored."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False, differentiable: bool = False) -> None:
        check_non_negative("learning rate", lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]} (need 0 < etaminus < 1 < etaplus)")
        check_not_differentiable("Rprop", differentiable)
        super().__init__(params, dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, capturable=capturable))

    def _update(self, group: dict) -> None:
        etaminus, etaplus = group["etas"]
        lo, hi = group["step_sizes"]
        for p in group["params"]:
            g = self._grad(p, group)
            if g is None:
                continue
            st = self.state[p]
            if not st:
                lr = to_scalar(group["lr"])
                st["step"] = 0
                st["prev"] = ag.zeros_like(p)
                # a complex entry is two reals, each with its own step size
                st["step_size"] = ag.tensor(np.full(p.shape, complex(lr, lr) if p._data.dtype.kind == "c" else lr,
                                                    dtype=p._data.dtype))
            st["step"] += 1
            x, g = as_real(p._data), as_real(g)
            prev, size = as_real(st["prev"]._data), as_real(st["step_size"]._data)
            factor = np.sign(g * prev)  # NaN stays NaN, as in PyTorch
            factor[factor > 0] = etaplus
            factor[factor < 0] = etaminus
            factor[factor == 0] = 1
            size *= factor
            np.clip(size, lo, hi, out=size)
            g = np.where(factor == etaminus, 0, g).astype(g.dtype)  # after a sign change: no step, forget g
            x -= np.sign(g) * size
            prev[...] = g
            self._touch(p)
