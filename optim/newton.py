"""Newton's method (the course's second-order optimiser).

Each step differentiates the loss twice. ``hessian='exact'``: the gradient with ``create_graph=True``,
then one backward per gradient entry gives the Hessian's rows (n backward passes, an n x n solve;
for small parameter counts). ``hessian='cg'``: H is never formed; (H + damping I) d = g is solved by
conjugate gradients (``ag.linalg.cg``) on Hessian-vector products, each one backward of <g, v>
(the double-backward trick ``ag.functional.hvp`` uses). Either way p <- p - lr d.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

import autograd_core as ag

from .optimizer import Optimizer, check_non_negative


class Newton(Optimizer):
    """p <- p - lr (H + damping I)^-1 g, with H the exact Hessian from double backward."""

    def __init__(self, params: Iterable[Any], lr: float = 1.0, damping: float = 0.0, max_params: int = 2000,
                 hessian: str = "exact", cg_iters: int | None = None) -> None:
        if not lr > 0.0:  # written so that NaN is refused too
            raise ValueError(f"Invalid learning rate: {lr} (must be > 0)")
        check_non_negative("damping value", damping)
        if hessian not in ("exact", "cg"):
            raise ValueError(f"Newton: hessian must be 'exact' or 'cg' (Hessian-free), got {hessian!r}")
        super().__init__(params, dict(lr=lr, damping=damping))
        self.hessian, self.cg_iters = hessian, cg_iters
        n = sum(p.numel() for g in self.param_groups for p in g["params"])
        if n > max_params and hessian == "exact":
            raise ValueError(f"Newton: {n} parameters make a {n}x{n} Hessian; this optimiser is for small problems "
                             f"(max_params={max_params}). Use hessian='cg' (never forms H), raise max_params or use a "
                             "first-order optimiser")

    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # type: ignore[override]
        """``closure`` is required: it must recompute and return the loss (its graph is differentiated twice)."""
        if closure is None:
            raise RuntimeError("Newton.step needs a closure that recomputes and returns the loss, e.g. "
                               "opt.step(lambda: loss_fn(model(x), y))")
        with ag.enable_grad():
            loss = closure()
            for group in self.param_groups:
                self._newton_group(loss, group)
        return loss

    def _newton_group(self, loss: Any, group: dict) -> None:
        params = [p for p in group["params"] if p.requires_grad]
        grads = ag.grad(loss, params, create_graph=True, retain_graph=True, allow_unused=True,
                        materialize_grads=True)
        flat_g = ag.cat([g.reshape(-1) for g in grads])
        g = flat_g._data.astype(np.float64)
        if self.hessian == "cg":
            d = ag.linalg.cg(lambda v: self._hvp(flat_g, params, v) + group["damping"] * v, g, self.cg_iters)
        else:
            d = self._exact_step(flat_g, params, group["damping"])
        i = 0
        with ag.no_grad():
            for p in params:
                k = p.numel()
                p._data -= (group["lr"] * d[i:i + k]).reshape(p.shape).astype(p.dtype)
                self._touch(p)
                i += k

    @staticmethod
    def _hvp(flat_g: Any, params: list, v: np.ndarray) -> np.ndarray:
        """H v = d<g, v>/dp: one more backward through the gradient's graph."""
        rows = ag.grad((flat_g * ag.tensor(v.astype(flat_g.dtype))).sum(), params, retain_graph=True,
                       allow_unused=True, materialize_grads=True)
        return np.concatenate([r._data.reshape(-1) for r in rows]).astype(np.float64)

    @staticmethod
    def _exact_step(flat_g: Any, params: list, damping: float) -> np.ndarray:
        n = flat_g.numel()
        hess = np.empty((n, n), dtype=np.float64)
        for i in range(n):
            rows = ag.grad(flat_g[i], params, retain_graph=True, allow_unused=True, materialize_grads=True)
            hess[i] = np.concatenate([r._data.reshape(-1) for r in rows])
        hess = 0.5 * (hess + hess.T)  # symmetric up to rounding; symmetrise before solving
        try:
            return np.linalg.solve(hess + damping * np.eye(n), flat_g._data.astype(np.float64))
        except np.linalg.LinAlgError as e:
            raise RuntimeError(f"Newton: the Hessian ({n}x{n}) is singular ({e}); pass damping > 0 (e.g. 1e-3) to "
                               "regularise it") from None
