"""Device moves and PyTorch's older Tensor API: ``to``/``cpu``/``cuda``, ``type``, ``new_*`` and in-place samplers.

None of these records an op of its own: a move is the identity (the CPU is the only device), a dtype
change goes through the recorded cast, and ``new_*`` and the samplers make or fill leaf values.
"""

from __future__ import annotations

from typing import Any

from .._device import check_device, device
from .._tensor import Tensor
from .shape import to_dtype

__all__: list[str] = []


def _is_device(a: Any) -> bool:
    return isinstance(a, (str, device)) or (isinstance(a, int) and not isinstance(a, bool))


def to(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``; self when nothing changes."""
    dtype = kwargs.pop("dtype", None)
    dev = kwargs.pop("device", None)
    kwargs.pop("non_blocking", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument {next(iter(kwargs))!r}")
    for a in args:
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif a is None:
            continue
        elif _is_device(a):
            dev = a
        else:
            dtype = a
    check_device(dev, "Tensor.to")
    out = self if dtype is None else to_dtype(self, dtype)
    return out.clone() if copy and out is self else out


def cpu(self: Tensor, memory_format: Any = None) -> Tensor:
    """self: tensors already live on the CPU."""
    return self


def cuda(self: Tensor, device: Any = None, non_blocking: bool = False, memory_format: Any = None) -> Tensor:
    """Always an error: no CUDA device is available."""
    check_device("cuda" if device is None else device if not isinstance(device, int) else f"cuda:{device}",
                 "Tensor.cuda")
    return self


METHODS: dict[str, Any] = {
    "to": to, "cpu": cpu, "cuda": cuda,
    "is_cuda": property(lambda self: False, doc="False: tensors live on the CPU."),
}
