"""Newton's method (course seed 001): theta <- theta - H^-1 g, with H from ``ag.functional``.

``method='exact'`` builds the Hessian with ``ag.functional.hessian`` (n reverse passes over the
gradient graph) and solves with ``ag.linalg.solve``; ``method='cg'`` never forms H: it solves
H d = g by conjugate gradients using Hessian-vector products (``ag.functional.hvp``), the way
second-order methods scale past the "3.8 TB Hessian" the course warns about.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import autograd_core as ag
from autograd_core import Tensor


@dataclass
class NewtonResult:
    x: Tensor
    n_iter: int
    converged: bool
    grad_norm: float
    history: list[float] = field(default_factory=list)  # f at each iterate


def _value_and_grad(f: Callable[[Tensor], Tensor], x: np.ndarray) -> tuple[float, np.ndarray]:
    xt = ag.tensor(x, requires_grad=True)
    val = f(xt)
    (g,) = ag.grad(val, [xt])
    return float(val.item()), g._data


def newton(f: Callable[[Tensor], Tensor], x0: Tensor | np.ndarray, *, method: str = "exact", max_iter: int = 50,
           tol: float = 1e-10, damping: float = 0.0, line_search: bool = True, cg_iters: int | None = None
           ) -> NewtonResult:
    """Minimise the scalar function ``f`` of one tensor from ``x0`` (any shape).

    Stops when |grad|_inf < tol. ``damping`` adds lambda I to H (Levenberg); ``line_search`` halves the
    step until f decreases enough (Armijo), which the pure course update (line_search=False) omits."""
    if method not in ("exact", "cg"):
        raise ValueError(f"newton: method must be 'exact' or 'cg', got {method!r}")
    x = np.array(x0._data if isinstance(x0, Tensor) else x0, dtype=np.float64)
    n = x.size
    history = []
    val, g = _value_and_grad(f, x)
    history.append(val)
    it = 0
    while it < max_iter and np.max(np.abs(g)) >= tol:
        it += 1
        xt = ag.tensor(x)
        if method == "exact":
            h = ag.functional.hessian(f, xt)._data.reshape(n, n)
            h = 0.5 * (h + h.T) + damping * np.eye(n)
            try:
                d = ag.linalg.solve(ag.tensor(h), ag.tensor(g.reshape(-1)))._data.reshape(x.shape)
            except ag.linalg.LinAlgError:
                raise ag.linalg.LinAlgError(
                    f"newton: the Hessian ({n}x{n}) is singular at iteration {it}; pass damping > 0 (e.g. 1e-6) "
                    "or use method='cg'") from None
        else:
            def hvp(v: np.ndarray, at: Tensor = xt) -> np.ndarray:
                return ag.functional.hvp(f, at, ag.tensor(v))[1]._data + damping * v

            d = ag.linalg.cg(hvp, g, cg_iters or 2 * n, tol * 1e-2)
        if float(np.sum(d * g)) <= 0:  # not a descent direction (H not positive-definite here): use -g
            d = g
        step = 1.0
        new_val, new_g = _value_and_grad(f, x - d)
        if line_search:
            while not new_val <= val - 1e-4 * step * float(np.sum(d * g)) and step > 1e-10:
                step *= 0.5
                new_val, new_g = _value_and_grad(f, x - step * d)
        x = x - step * d
        val, g = new_val, new_g
        history.append(val)
    return NewtonResult(ag.tensor(x), it, bool(np.max(np.abs(g)) < tol), float(np.max(np.abs(g))), history)
