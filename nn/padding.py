"""Padding layers: ReflectionPad*, ReplicationPad*, ZeroPad*, ConstantPad*, CircularPad* (PyTorch's names,
argument forms and reprs). An int pads every side; a tuple is (left, right[, top, bottom[, front, back]])."""

from __future__ import annotations

from collections.abc import Sequence

from autograd_core import Tensor

from . import functional as F
from .module import Module

__all__ = [
    "CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
    "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
    "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
]


def _sides(padding: int | Sequence[int], nd: int) -> tuple[int, ...]:
    return tuple(padding) if isinstance(padding, Sequence) else (int(padding),) * (2 * nd)


class _PadNd(Module):
    mode = "constant"
    nd = 1

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__()
        self.padding = _sides(padding, self.nd)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding: int | Sequence[int], value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _CircularPadNd(_PadNd):
    mode = "circular"

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (self.nd + 1, self.nd + 2):  # PyTorch's _check_input_dim
            raise ValueError(f"{type(self).__name__}: expected {self.nd + 1}D or {self.nd + 2}D input (got "
                             f"{input.ndim}D input)")
        return F.pad(input, self.padding, "circular")


class ReflectionPad1d(_PadNd):
    """Pad the last dim by mirroring the input at its edges (the edge itself not repeated)."""

    mode, nd = "reflect", 1


class ReflectionPad2d(_PadNd):
    """Pad the last 2 dims by mirroring the input at its edges (the edge itself not repeated)."""

    mode, nd = "reflect", 2


class ReflectionPad3d(_PadNd):
    """Pad the last 3 dims by mirroring the input at its edges (the edge itself not repeated)."""

    mode, nd = "reflect", 3


class ReplicationPad1d(_PadNd):
    """Pad the last dim by repeating the edge values."""

    mode, nd = "replicate", 1


class ReplicationPad2d(_PadNd):
    """Pad the last 2 dims by repeating the edge values."""

    mode, nd = "replicate", 2


class ReplicationPad3d(_PadNd):
    """Pad the last 3 dims by repeating the edge values."""

    mode, nd = "replicate", 3


class CircularPad1d(_CircularPadNd):
    """Pad the last dim by wrapping around (periodic boundary)."""

    nd = 1


class CircularPad2d(_CircularPadNd):
    """Pad the last 2 dims by wrapping around (periodic boundary)."""

    nd = 2


class CircularPad3d(_CircularPadNd):
    """Pad the last 3 dims by wrapping around (periodic boundary)."""

    nd = 3


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with a constant value."""

    nd = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last 2 dims with a constant value."""

    nd = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last 3 dims with a constant value."""

    nd = 3


class ZeroPad1d(_ZeroPadNd):
    """Pad the last dim with zeros."""

    nd = 1


class ZeroPad2d(_ZeroPadNd):
    """Pad the last 2 dims with zeros."""

    nd = 2


class ZeroPad3d(_ZeroPadNd):
    """Pad the last 3 dims with zeros."""

    nd = 3
