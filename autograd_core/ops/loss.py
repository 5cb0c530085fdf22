"""Loss primitives that need their own gradient rule (the rest of the losses are compositions in nn)."""

from __future__ import annotations

import numpy as np

from .._function import Function
from .._tensor import Tensor

_EPS = float(np.float32(1e-12))  # PyTorch's BCE backward clamps x(1 - x) at 1e-12 rounded to float32


class BinaryCrossEntropy(Function):
    """l = -(y max(log x, -100) + (1 - y) max(log(1 - x), -100));
    gx = g (x - y) / max(x (1 - x), 1e-12),  gy = g (max(log(1 - x), -100) - max(log x, -100))"""

    saves_inputs = True

    def forward(self, x, y):
        with np.errstate(divide="ignore"):  # log(0) = -inf is clamped to -100, as PyTorch does
            lx = np.maximum(np.log(x), -100)
            l1x = np.maximum(np.log1p(-x), -100)
        return -(y * lx + (1 - y) * l1x)

    def backward(self, g):
        x, y = self.saved()
        xp = self.xp
        # PyTorch's rule: finite at x = 0 and x = 1 (where the clamped log's slope would be 0/0)
        gx = g * (x - y) / xp.maximum(x * (1 - x), _EPS) if self.needs_input_grad(0) else None
        gy = None
        if self.needs_input_grad(1):
            with np.errstate(divide="ignore"):
                gy = g * (xp.maximum(xp.log1p(-x), -100) - xp.maximum(xp.log(x), -100))
        return gx, gy


def binary_cross_entropy_elementwise(input: Tensor, target: Tensor) -> Tensor:
    """Unreduced binary cross-entropy of probabilities ``input`` against ``target``."""
    return BinaryCrossEntropy.apply(input, target)
