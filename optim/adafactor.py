"""Adafactor (Shazeer & Stern 2018), PyTorch's formulation (``torch.optim.Adafactor``): the second moment of a
matrix is kept factored as row and column means, so its state is O(n + m) instead of O(n m)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

import autograd_core as ag

from .optimizer import Optimizer, lerp_, to_scalar


class Adafactor(Optimizer):
    """b_t = t**beta2_decay;  R <- lerp(R, mean_cols(g**2), b_t), C <- lerp(C, mean_rows(g**2), b_t) (matrices;
    vectors keep v <- lerp(v, g**2, b_t));  V = R C / mean(R);  u = g / sqrt(max(V, eps1**2));
    p <- p - max(eps2, rms(p)) min(lr, 1 / sqrt t) u / max(1, rms(u) / d)

    ``eps1=None`` means the parameter dtype's machine epsilon; ``weight_decay`` is decoupled (p *= 1 - lr wd)."""

    _state_matches_params = False  # row_var / col_var are the factors, not parameter-shaped

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, beta2_decay: float = -0.8,
                 eps: tuple[float | None, float] = (None, 1e-3), d: float = 1.0, weight_decay: float = 0.0, *,
                 foreach: bool | None = None, maximize: bool = False) -> None:
        # PyTorch words these checks differently from its other optimisers; its messages are kept
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        super().__init__(params, dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay,
                                      foreach=foreach, maximize=maximize))

    def _update(self, group: dict) -> None:
        lr, beta2_decay, (eps1, eps2), d = to_scalar(group["lr"]), group["beta2_decay"], group["eps"], group["d"]
        wd = group["weight_decay"]
        for p in group["params"]:
            g = self._grad(p, group)
            if g is None:
                continue
            if p._data.dtype.kind == "c":
                raise RuntimeError("Adafactor does not support complex parameters")
            st = self.state[p]
            if not st:
                st["step"] = 0
                if g.ndim > 1:
                    st["row_var"] = ag.zeros(*g.shape[:-1], 1, dtype=p.dtype)
                    st["col_var"] = ag.zeros(*g.shape[:-2], 1, g.shape[-1], dtype=p.dtype)
                else:
                    st["variance"] = ag.zeros_like(p)
            st["step"] += 1
            t = float(st["step"])
            e1 = np.finfo(p._data.dtype).eps if eps1 is None else eps1
            x = p._data
            one_minus_beta2_t = t**beta2_decay
            rho_t = min(lr, 1 / (t**0.5))
            alpha = max(eps2, float(np.sqrt(np.sum(x * x))) / (x.size**0.5)) * rho_t  # from the weights before decay
            if wd != 0:
                x *= 1 - lr * wd
            if g.ndim > 1:
                row, col = st["row_var"]._data, st["col_var"]._data
                lerp_(row, np.sqrt(np.sum(g * g, axis=-1, keepdims=True)) ** 2 / g.shape[-1], one_minus_beta2_t)
                lerp_(col, np.sqrt(np.sum(g * g, axis=-2, keepdims=True)) ** 2 / g.shape[-2], one_minus_beta2_t)
                var_estimate = row @ col
                var_estimate /= np.maximum(row.mean(axis=-2, keepdims=True), e1)
            else:
                v = st["variance"]._data
                lerp_(v, g * g, one_minus_beta2_t)
                var_estimate = v.copy()
            update = 1 / np.sqrt(np.maximum(var_estimate, e1 * e1)) * g
            denom = max(1.0, float(np.sqrt(np.sum(update * update))) / ((update.size**0.5) * d))
            x += (-alpha / denom) * update
            self._touch(p)
