"""``nn.utils``: gradient clipping, parameter <-> vector conversion, weight and spectral norm, Conv/Linear + BatchNorm
fusion, and the L1/L2 penalties."""

from __future__ import annotations

import math
import sys
import types
from collections.abc import Iterable
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core import func as _func
from autograd_core._tensor import bump_version

from . import _fusion as fusion
from . import _parametrizations as parametrizations
from . import _parametrize as parametrize
from . import _prune as prune
from . import _rnn_utils as rnn
from ._fusion import (  # noqa: F401  (torch.nn.utils' names)
    fuse_conv_bn_eval,
    fuse_conv_bn_weights,
    fuse_linear_bn_eval,
    fuse_linear_bn_weights,
)
from ._spectral_norm_hook import remove_spectral_norm, spectral_norm  # noqa: F401

# torch.nn.utils.stateless (deprecated there in favour of torch.func.functional_call)
stateless = types.ModuleType(f"{__name__}.stateless", "functional_call: see autograd_core.func")
stateless.functional_call = _func.functional_call  # type: ignore[attr-defined]

# `from autograd_core.nn.utils.rnn import pad_sequence` resolves as torch.nn.utils.rnn does (and likewise
# nn.utils.parametrize, .parametrizations, .prune, .fusion, .stateless)
for _name, _mod in (("rnn", rnn), ("parametrize", parametrize), ("parametrizations", parametrizations),
                    ("prune", prune), ("fusion", fusion), ("stateless", stateless)):
    sys.modules[f"{__name__}.{_name}"] = _mod


def _params(parameters: Any) -> list[Tensor]:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def clip_grad_norm_(parameters: Any, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
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


def get_total_norm(tensors: Any, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach: bool | None = None) -> Tensor:
    """The norm of all ``tensors`` together, as if concatenated into one vector."""
    arrs = [t._data for t in _params(tensors)]
    if not arrs:
        return ag.tensor(0.0)
    norm_type = float(norm_type)
    if math.isinf(norm_type):
        total = max(float(np.abs(a).max()) if a.size else 0.0 for a in arrs)
    else:
        total = float(sum(float(np.sum(np.abs(a.astype(np.float64)) ** norm_type)) for a in arrs)) ** (1 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
                           "it cannot be clipped. To disable this error and scale the gradients by the non-finite "
                           "norm anyway, set `error_if_nonfinite=False`")
    return ag.tensor(total, dtype=arrs[0].dtype)


def clip_grads_with_norm_(parameters: Any, max_norm: float, total_norm: Any, foreach: bool | None = None) -> None:
    """Scale the gradients by max_norm / (total_norm + 1e-6) when that is below 1 (the second half of clipping)."""
    total = float(total_norm.item() if isinstance(total_norm, Tensor) else total_norm)
    coef = min(max_norm / (total + 1e-6), 1.0)
    for p in _params(parameters):
        if p.grad is not None:
            p.grad._data *= np.asarray(coef, dtype=p.grad.dtype)


def clip_grad_norm(parameters: Any, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Deprecated name of ``clip_grad_norm_`` (warns, as PyTorch)."""
    import warnings

    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite)


def skip_init(module_cls: Any, *args: Any, **kwargs: Any) -> Any:
    """The module built without caring about its initial values (here: built normally)."""
    return module_cls(*args, **kwargs)


class _WeightNorm:
    """weight = g * v / ||v|| (norms over every dim but ``dim``), recomputed before each forward."""

    def __init__(self, name: str, dim: int | None) -> None:
        self.name, self.dim = name, dim

    def norm(self, v: Tensor) -> Tensor:
        if self.dim is None:
            return (v * v).sum().sqrt()
        d = self.dim % v.ndim
        axes = tuple(i for i in range(v.ndim) if i != d)
        return (v * v).sum(dim=axes, keepdim=True).sqrt() if axes else v.abs()

    def compute(self, module: Any) -> Tensor:
        g, v = getattr(module, self.name + "_g"), getattr(module, self.name + "_v")
        return v * (g / self.norm(v))

    def __call__(self, module: Any, args: Any) -> None:
        object.__setattr__(module, self.name, self.compute(module))


def weight_norm(module: Any, name: str = "weight", dim: int | None = 0) -> Any:
    """Reparameterise ``module.<name>`` as ``<name>_g * <name>_v / ||<name>_v||`` (Salimans & Kingma)."""
    from .parameter import Parameter

    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, _WeightNorm) and hook.name == name:
            raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
    fn = _WeightNorm(name, dim)
    w = getattr(module, name)
    with ag.no_grad():
        g = Parameter(fn.norm(w).detach().clone())
        v = Parameter(w.detach().clone())
    del module._parameters[name]
    module.register_parameter(name + "_g", g)
    module.register_parameter(name + "_v", v)
    object.__setattr__(module, name, fn.compute(module))
    module.register_forward_pre_hook(fn)
    return module


def remove_weight_norm(module: Any, name: str = "weight") -> Any:
    """Undo ``weight_norm``: ``<name>`` becomes a plain parameter again with the current value."""
    from .parameter import Parameter

    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, _WeightNorm) and hook.name == name:
            with ag.no_grad():
                w = hook.compute(module).detach().clone()
            del module._forward_pre_hooks[key]
            del module._parameters[name + "_g"], module._parameters[name + "_v"]
            object.__delattr__(module, name) if name in module.__dict__ else None
            module.register_parameter(name, Parameter(w))
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")


# PyTorch's submodules that hold functions defined here: torch.nn.utils.clip_grad (clip_grad_norm_, ...),
# .convert_parameters (parameters_to_vector, ...), .init (skip_init)
clip_grad = convert_parameters = init = sys.modules[__name__]
for _name in ("clip_grad", "convert_parameters", "init"):
    sys.modules[f"{__name__}.{_name}"] = sys.modules[__name__]
