"""Augmentations for image tensors, (C, H, W) or a batch (N, C, H, W); random choices are per sample.

They draw from ``generator`` (a numpy Generator) or the global one (``ag.manual_seed``), and never
record graph ops: apply them to inputs, not to tensors that require grad.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._creation import generator as _global_generator
from .._creation import tensor
from .._tensor import Tensor


def _batch(x: Any, op: str) -> tuple[np.ndarray, bool]:
    a = x._data if isinstance(x, Tensor) else np.asarray(x)
    if a.ndim == 3:
        return a[None], True
    if a.ndim != 4:
        raise ValueError(f"{op}: expected an image (C, H, W) or a batch (N, C, H, W), got shape {list(a.shape)}")
    return a, False


def _out(a: np.ndarray, single: bool) -> Tensor:
    return tensor(a[0] if single else a)


class Compose:
    """Apply transforms in order."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        self.transforms = list(transforms)

    def __call__(self, x: Any) -> Any:
        for t in self.transforms:
            x = t(x)
        return x


class RandomHorizontalFlip:
    """Mirror each image left-right with probability p."""

    def __init__(self, p: float = 0.5, generator: np.random.Generator | None = None) -> None:
        self.p, self.generator = p, generator

    def __call__(self, x: Any) -> Tensor:
        a, single = _batch(x, "RandomHorizontalFlip")
        flip = (self.generator or _global_generator()).random(a.shape[0]) < self.p
        out = a.copy()
        out[flip] = a[flip][..., ::-1]
        return _out(out, single)


class RandomCrop:
    """Zero-pad by ``padding`` then cut a random ``size`` window from each image."""

    def __init__(self, size: int | tuple[int, int], padding: int = 0,
                 generator: np.random.Generator | None = None) -> None:
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        self.padding, self.generator = padding, generator

    def __call__(self, x: Any) -> Tensor:
        a, single = _batch(x, "RandomCrop")
        p = self.padding
        if p:
            a = np.pad(a, ((0, 0), (0, 0), (p, p), (p, p)))
        n, _, h, w = a.shape
        th, tw = self.size
        if th > h or tw > w:
            raise ValueError(f"RandomCrop: crop size {self.size} is larger than the padded image ({h}, {w})")
        rng = self.generator or _global_generator()
        ys, xs = rng.integers(0, h - th + 1, n), rng.integers(0, w - tw + 1, n)
        out = np.stack([a[i, :, ys[i]:ys[i] + th, xs[i]:xs[i] + tw] for i in range(n)])
        return _out(out, single)


class GaussianNoise:
    """Add N(0, std**2) noise."""

    def __init__(self, std: float = 0.1, generator: np.random.Generator | None = None) -> None:
        self.std, self.generator = std, generator

    def __call__(self, x: Any) -> Tensor:
        a = x._data if isinstance(x, Tensor) else np.asarray(x)
        noise = (self.generator or _global_generator()).standard_normal(a.shape) * self.std
        return tensor((a + noise).astype(a.dtype))


class Normalize:
    """(x - mean[c]) / std[c] per channel."""

    def __init__(self, mean: Sequence[float], std: Sequence[float]) -> None:
        self.mean, self.std = np.asarray(mean, dtype=np.float64), np.asarray(std, dtype=np.float64)
        if np.any(self.std == 0):
            raise ValueError(f"Normalize: std evaluated to zero after conversion ({list(self.std)}), leading to "
                             "division by zero")

    def __call__(self, x: Any) -> Tensor:
        a, single = _batch(x, "Normalize")
        c = a.shape[1]
        if self.mean.size not in (1, c) or self.std.size not in (1, c):
            raise ValueError(f"Normalize: {self.mean.size} means / {self.std.size} stds for {c} channels")
        shape = (1, -1, 1, 1)
        out = ((a - self.mean.reshape(shape)) / self.std.reshape(shape)).astype(a.dtype)
        return _out(out, single)
