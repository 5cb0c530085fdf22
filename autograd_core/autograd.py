"""``autograd_core.autograd``: the engine's API under PyTorch's ``torch.autograd`` names."""

from __future__ import annotations

from ._anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from ._engine import BackwardObserver, backward, grad, observe, topological_order
from ._function import Function
from ._grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = [
    "BackwardObserver", "Function", "GradcheckError", "backward", "detect_anomaly", "enable_grad",
    "grad", "gradcheck", "gradgradcheck", "is_anomaly_enabled", "is_grad_enabled", "no_grad", "observe",
    "set_detect_anomaly", "set_grad_enabled", "topological_order",
]
