"""``torch.nn.utils.spectral_norm`` (the hook form, before parametrizations): W = W_orig / sigma, sigma = u^T W v
from power iteration on the buffers ``<name>_u``, ``<name>_v``, recomputed before every forward."""

from __future__ import annotations

from typing import Any

import autograd_core as ag
from autograd_core import Tensor

from .parameter import Parameter

__all__ = ["remove_spectral_norm", "spectral_norm"]


def _normalize(v: Tensor, eps: float) -> Tensor:
    return v / ag.clamp(v.norm(), min=eps)


class _SpectralNormHook:
    def __init__(self, name: str, n_power_iterations: int, dim: int, eps: float) -> None:
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.name, self.n_power_iterations, self.dim, self.eps = name, n_power_iterations, dim, eps

    def matrix(self, w: Tensor) -> Tensor:
        if self.dim != 0:
            w = w.permute(self.dim, *(d for d in range(w.ndim) if d != self.dim))
        return w.reshape(w.shape[0], -1)

    def compute(self, module: Any, power_iteration: bool) -> Tensor:
        w = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        mat = self.matrix(w)
        if power_iteration:
            with ag.no_grad():  # in place, as PyTorch: the buffers carry the estimate to the next forward
                for _ in range(self.n_power_iterations):
                    v.copy_(_normalize(ag.mv(mat.detach().t(), u), self.eps))
                    u.copy_(_normalize(ag.mv(mat.detach(), v), self.eps))
            u, v = u.clone(), v.clone()  # backward must not see the next forward's update
        sigma = ag.dot(u, ag.mv(mat, v))
        return w / sigma

    def __call__(self, module: Any, args: Any) -> None:
        object.__setattr__(module, self.name, self.compute(module, power_iteration=module.training))


def spectral_norm(module: Any, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> Any:
    """Divide ``module.<name>`` by its spectral norm before each forward (Miyato et al.); the parameter becomes
    ``<name>_orig`` with buffers ``<name>_u`` and ``<name>_v`` (PyTorch's state-dict names)."""
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, _SpectralNormHook) and hook.name == name:
            raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
    weight = module._parameters.get(name)
    if weight is None:
        raise ValueError(f"spectral_norm: {type(module).__name__} has no parameter named '{name}'")
    if dim is None:
        dim = 1 if type(module).__name__.startswith("ConvTranspose") else 0
    fn = _SpectralNormHook(name, n_power_iterations, dim, eps)
    with ag.no_grad():
        h, w = fn.matrix(weight).shape
        u = _normalize(ag.randn(h, dtype=weight.dtype), eps)
        v = _normalize(ag.randn(w, dtype=weight.dtype), eps)
    del module._parameters[name]
    module.register_parameter(name + "_orig", weight)
    object.__setattr__(module, name, weight.data)
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    module.register_forward_pre_hook(fn)
    return module


def remove_spectral_norm(module: Any, name: str = "weight") -> Any:
    """Undo ``spectral_norm``: ``<name>`` becomes a plain parameter holding the current normalised value."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, _SpectralNormHook) and hook.name == name:
            with ag.no_grad():
                w = hook.compute(module, power_iteration=False).detach().clone()
            del module._forward_pre_hooks[key]
            del module._parameters[name + "_orig"]
            del module._buffers[name + "_u"], module._buffers[name + "_v"]
            if name in module.__dict__:
                object.__delattr__(module, name)
            module.register_parameter(name, Parameter(w))
            return module
    raise ValueError(f"spectral_norm of '{name}' not found in {module}")


