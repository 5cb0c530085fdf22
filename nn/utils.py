"""``nn.utils``: gradient clipping, parameter <-> vector conversion, and the L1/L2 penalties."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core._tensor import bump_version


def _params(parameters: Any) -> list[Tensor]:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def clip_grad_norm_(parameters: Any, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Scale all gradients together so their joint norm is at most max_norm; returns the norm before clipping."""
    grads = [p.grad._data for p in _params(parameters) if p.grad is not None]
    if not grads:
        return ag.tensor(0.0)
    norm_type = float(norm_type)
    if math.isinf(norm_type):
        total = max(float(np.abs(g).max()) if g.size else 0.0 for g in grads)
    else:
        total = float(sum(float(np.sum(np.abs(g.astype(np.float64)) ** norm_type)) for g in grads)) ** (1 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`"
        )
    coef = min(max_norm / (total + 1e-6), 1.0)  # PyTorch's eps keeps a zero norm finite
    for g in grads:
        g *= np.asarray(coef, dtype=g.dtype)
    return ag.tensor(total, dtype=grads[0].dtype)


def clip_grad_value_(parameters: Any, clip_value: float) -> None:
    """Clamp every gradient element into [-clip_value, clip_value] in place."""
    for p in _params(parameters):
        if p.grad is not None:
            np.clip(p.grad._data, -clip_value, clip_value, out=p.grad._data)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated (differentiable)."""
    ps = list(parameters)
    if not ps:
        raise ValueError("parameters_to_vector: got no parameters")
    return ag.cat([p.reshape(-1) for p in ps])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Write consecutive slices of ``vec`` into the parameters (in place, no graph)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    ps = list(parameters)
    total = sum(p.numel() for p in ps)
    if vec.ndim != 1 or vec.numel() != total:
        raise ValueError(f"vector_to_parameters: vec has shape {list(vec.shape)} but the parameters hold {total} "
                         "values; pass a 1-D vector of exactly that length")
    i = 0
    for p in ps:
        n = p.numel()
        p._data[...] = vec._data[i:i + n].reshape(p.shape)
        bump_version(p)
        i += n


def l1_penalty(parameters: Any, weight: float = 1.0) -> Tensor:
    """weight * sum |p| over the parameters: the L1 regulariser to add to a loss."""
    ps = list(parameters)
    if not ps:
        raise ValueError("l1_penalty: got no parameters")
    return weight * sum(ag.abs(p).sum() for p in ps)


def l2_penalty(parameters: Any, weight: float = 1.0) -> Tensor:
    """weight * sum p**2 over the parameters (the L2 regulariser; SGD's weight_decay=2*weight is the same)."""
    ps = list(parameters)
    if not ps:
        raise ValueError("l2_penalty: got no parameters")
    return weight * sum((p * p).sum() for p in ps)
