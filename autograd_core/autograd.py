"""``autograd_core.autograd``: the engine's API under PyTorch's ``torch.autograd`` names.

``Function`` is one class for both ways of writing a custom op: the op contract (``forward(self,
*arrays)`` / ``backward(self, *grads)`` on ndarrays, see ``_function.py``) and PyTorch's ctx style
(``@staticmethod forward(ctx, ...)`` / ``@staticmethod backward(ctx, *grads)`` on Tensors, with
``ctx.save_for_backward`` & co). ``autograd_core.autograd.function`` mirrors ``torch.autograd.function``
(``FunctionCtx``, ``once_differentiable``).
"""

from __future__ import annotations

import sys
import types

from . import functional
from ._anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from ._engine import BackwardObserver, backward, grad, observe, topological_order
from ._function import Function, FunctionCtx, once_differentiable
from ._grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from ._runtime import inference_mode
from ._tensor import Tensor
from .gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = [
    "BackwardObserver", "Function", "FunctionCtx", "GradcheckError", "backward", "detect_anomaly", "enable_grad",
    "function", "grad", "gradcheck", "gradgradcheck", "is_anomaly_enabled", "is_grad_enabled", "no_grad",
    "observe", "once_differentiable", "set_detect_anomaly", "set_grad_enabled", "topological_order",
    "Variable", "functional", "inference_mode",
]


class _VariableMeta(type):
    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, Tensor)

    def __call__(cls, data: Tensor, requires_grad: bool = False, volatile: bool = False) -> Tensor:
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        if requires_grad and not data.requires_grad:
            data.requires_grad_()
        return data


class Variable(metaclass=_VariableMeta):
    """The pre-0.4 wrapper: ``Variable(t, requires_grad=True)`` is ``t`` itself (tensors are variables now)."""


# ``import torch.autograd.functional`` finds autograd_core.functional (jacobian, hessian, vjp, jvp, hvp, vhp)
sys.modules[f"{__name__}.functional"] = functional

# ``from torch.autograd.function import Function, once_differentiable`` is how many programs import them: the
# same names under autograd_core.autograd.function (a module object, registered so that the import finds it).
function = types.ModuleType(f"{__name__}.function", "PyTorch's torch.autograd.function names.")
function.Function = Function  # type: ignore[attr-defined]
function.FunctionCtx = FunctionCtx  # type: ignore[attr-defined]
function.once_differentiable = once_differentiable  # type: ignore[attr-defined]
function.__all__ = ["Function", "FunctionCtx", "once_differentiable"]  # type: ignore[attr-defined]
sys.modules[function.__name__] = function
