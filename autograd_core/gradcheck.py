"""Finite-difference gradient checks that explain their failures.

``gradcheck`` compares, for a random upstream gradient ``u``, the analytic vector-Jacobian
product ``J^T u`` from ``backward`` with central differences of ``<u, f(x)>`` taken element by
element (a random ``u``, unlike all-ones, exposes missing transposes and wrong reductions).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import _engine
from ._tensor import Tensor, _make


class GradcheckError(RuntimeError):
    """Raised when analytic and numerical gradients disagree."""


def _as_tuple(x: Any) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _numeric_dot(fn: Callable, inputs: tuple, us: list) -> float:
    # Grad mode stays on: gradgradcheck's function itself calls grad() inside.
    outs = _as_tuple(fn(*inputs))
    total = 0.0
    for o, u in zip(outs, us):
        if u is not None:
            total += float(np.sum(np.asarray(o._data, dtype=np.float64) * u))
    return total


def _numeric_grad(fn: Callable, inputs: tuple, us: list, x: Tensor, eps: float) -> np.ndarray:
    # The input is perturbed in place, one element at a time (any memory layout).
    arr = x._data
    grad = np.zeros(arr.shape, dtype=np.float64)
    for idx in np.ndindex(arr.shape):
        orig = arr[idx]
        arr[idx] = orig + eps
        fp = _numeric_dot(fn, inputs, us)
        arr[idx] = orig - eps
        fm = _numeric_dot(fn, inputs, us)
        arr[idx] = orig
        grad[idx] = (fp - fm) / (2 * eps)
    return grad


def _one_sided(fn: Callable, inputs: tuple, us: list, x: Tensor, j: int, eps: float) -> tuple[float, float]:
    arr = x._data
    idx = np.unravel_index(j, arr.shape) if arr.ndim else ()
    orig = arr[idx]
    f0 = _numeric_dot(fn, inputs, us)
    arr[idx] = orig + eps
    fp = _numeric_dot(fn, inputs, us)
    arr[idx] = orig - eps
    fm = _numeric_dot(fn, inputs, us)
    arr[idx] = orig
    return (fp - f0) / eps, (f0 - fm) / eps


def _diagnose(fn: Callable, inputs: tuple, us: list, x: Tensor, k: int, a: np.ndarray, n: np.ndarray,
              worst: int, eps: float) -> str:
    causes = []
    if x.dtype != np.float64:
        causes.append(
            f"input {k} is {x.dtype.name}: finite differences need float64 (rounding error swamps "
            "eps); call .double() on the inputs"
        )
    right, left = _one_sided(fn, inputs, us, x, worst, max(eps, 1e-4))
    if abs(right - left) > 1e-3 * max(1.0, abs(right), abs(left)):
        causes.append(
            f"the function has a kink at this point (one-sided slopes {left:.6g} and {right:.6g} "
            "differ): relu/abs/max/clamp at a tie or boundary; move the input away from it"
        )
    nz = np.abs(n) > 1e-8
    if nz.any():
        ratios = a[nz] / n[nz]
        r = float(np.median(ratios))
        if abs(r - round(r)) < 1e-3 and round(r) not in (0, 1) and np.allclose(ratios, r, rtol=1e-3):
            causes.append(
                f"the analytic gradient is {round(r)}x the numerical one everywhere: a gradient is "
                "counted several times (a missing or repeated broadcast reduction, or double accumulation)"
            )
    if not causes and np.isclose(a.sum(), n.sum(), rtol=1e-4, atol=1e-6) and not np.allclose(a, n, atol=1e-6):
        causes.append(
            "the total matches but the elements do not: the gradient is spread over the wrong elements "
            "(a missing broadcast reduction - sum_to - or a transposed/permuted gradient)"
        )
    if not causes:
        causes.append("the backward formula of an op on the path from this input is wrong")
    return "; ".join(causes)


def gradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    *,
    raise_exception: bool = True,
    grad_outputs: Sequence[Any] | None = None,
    seed: int = 0,
) -> bool:
    """Check ``backward`` of ``fn`` at ``inputs`` against central differences (float64 advised).

    Returns True on success. On failure raises ``GradcheckError`` naming the input, the worst
    element, the analytic and numerical values and the likely cause (or returns False when
    ``raise_exception=False``).
    """
    inputs = _as_tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    for i in diff:
        if inputs[i].dtype != np.float64:
            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point; gradcheck "
                "results will likely be unreliable (use .double())",
                UserWarning,
                stacklevel=2,
            )
    outs = _as_tuple(fn(*inputs))
    rng = np.random.default_rng(seed)
    us: list = []
    for k, o in enumerate(outs):
        if not isinstance(o, Tensor) or o.dtype.kind not in "fc":
            us.append(None)
            continue
        if grad_outputs is not None:
            g = grad_outputs[k]
            us.append(np.asarray(g._data if isinstance(g, Tensor) else g, dtype=np.float64))
        else:
            us.append(rng.standard_normal(o.shape))
    roots = [o for o, u in zip(outs, us) if u is not None and o.requires_grad]
    targets = [inputs[i] for i in diff]
    if roots:
        seeds = [_make(np.asarray(u, dtype=o.dtype), None, False) for o, u in zip(outs, us)
                 if u is not None and o.requires_grad]
        analytic = _engine.grad(roots, targets, seeds, retain_graph=True, allow_unused=True)
    else:
        analytic = (None,) * len(targets)
    for k, x, ga in zip(diff, targets, analytic):
        a = np.zeros(x.shape) if ga is None else np.asarray(ga._data, dtype=np.float64)
        n = _numeric_grad(fn, inputs, us, x, eps)
        if a.shape != n.shape:
            msg = (f"gradcheck: the gradient for input {k} has shape {list(a.shape)} but the input has "
                   f"shape {list(n.shape)} (a missing broadcast reduction)")
            if raise_exception:
                raise GradcheckError(msg)
            return False
        err = np.abs(a - n) - (atol + rtol * np.abs(n))
        if np.all(err <= 0) and not (np.isnan(a).any() ^ np.isnan(n).any()):
            continue
        worst = int(np.nanargmax(np.where(np.isnan(err), np.inf, err).reshape(-1)))
        idx = np.unravel_index(worst, a.shape) if a.ndim else ()
        cause = _diagnose(fn, inputs, us, x, k, a.reshape(-1), n.reshape(-1), worst, eps)
        if ga is None:
            cause = "the backward produced no gradient for this input although it changes the output; " + cause
        msg = (
            f"Jacobian mismatch for input {k} (shape {list(x.shape)}, {x.dtype.name}) with a random upstream "
            f"gradient: worst element {tuple(int(i) for i in idx)}: analytic {a.reshape(-1)[worst]:.8g} vs "
            f"numerical {n.reshape(-1)[worst]:.8g} (atol={atol}, rtol={rtol}; {int(np.sum(err > 0))} of "
            f"{err.size} elements differ).\nLikely cause: {cause}.\nnumerical:\n{n}\nanalytical:\n{a}"
        )
        if raise_exception:
            raise GradcheckError(msg)
        return False
    return True


def gradgradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    grad_outputs: Sequence[Any] | None = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    *,
    raise_exception: bool = True,
    seed: int = 0,
) -> bool:
    """Check second derivatives: gradcheck of ``(x, u) -> grad(fn(x), x, u, create_graph=True)``."""
    inputs = _as_tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    outs = _as_tuple(fn(*inputs))
    rng = np.random.default_rng(seed + 1)
    us = []
    for k, o in enumerate(outs):
        if grad_outputs is not None:
            g = grad_outputs[k]
            arr = np.array(g._data if isinstance(g, Tensor) else g, dtype=o.dtype)
        else:
            arr = rng.standard_normal(o.shape).astype(o.dtype)
        us.append(_make(arr, None, False).requires_grad_(True))
    n_in = len(inputs)
    live = [k for k, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad]

    def first_derivative(*args: Any) -> tuple:
        xs, gs = args[:n_in], args[n_in:]
        out = _as_tuple(fn(*xs))
        grads = _engine.grad([out[k] for k in live], [xs[i] for i in diff], [gs[k] for k in live],
                             create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivative, tuple(inputs) + tuple(us), eps, atol, rtol,
                     raise_exception=raise_exception, seed=seed + 2)
