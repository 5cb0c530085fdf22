"""``DataParallel``: PyTorch's single-process multi-GPU wrapper; here (CPU only) it just calls the module, so
that ported programs run unchanged."""

from __future__ import annotations

from typing import Any

from ..module import Module

__all__ = ["DataParallel"]


class DataParallel(Module):
    """Runs ``module`` as is (PyTorch's DataParallel without GPUs does the same); ``.module`` is the wrapped
    module and ``state_dict()`` keys carry the ``module.`` prefix. For several processes use
    DistributedDataParallel."""

    def __init__(self, module: Module, device_ids: Any = None, output_device: Any = None, dim: int = 0) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel: module must be an nn.Module, got {type(module).__name__}")
        self.module = module
        self.device_ids: list = []
        self.output_device = None
        self.dim = dim

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        """The wrapped module's forward."""
        return self.module(*inputs, **kwargs)
