"""``nn.Parameter``: a leaf tensor that a Module registers as one of its parameters."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_core import Tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A Tensor that requires grad by default and that ``Module.__setattr__`` registers.

    It shares memory with the data it wraps, as PyTorch's does: ``Parameter(t)`` for a tensor ``t``
    views ``t``'s array (no copy).
    """

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            arr = np.empty(0, dtype=np.float32)
        elif isinstance(data, Tensor):
            arr = data._data
        else:
            arr = np.asarray(data)
        if arr.dtype.kind not in "fc" and requires_grad:
            raise RuntimeError(
                f"Parameter: only floating point tensors can require gradients (got dtype {arr.dtype}); "
                "convert the data with .float() first or pass requires_grad=False"
            )
        super().__init__(arr, requires_grad=requires_grad, dtype=arr.dtype)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
