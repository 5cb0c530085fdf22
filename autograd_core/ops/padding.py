"""Padding modes beyond constant: reflect, replicate, circular (PyTorch's F.pad rules and errors).

Each mode is a gather along every padded dim: output position ``i`` of a dim reads source position
``index[i]`` (reflect mirrors without repeating the edge, replicate clamps, circular wraps around the
kept part). Negative pads crop first. The gradient is the adjoint, a fold: the centre of ``g`` is added
back in one slice and the (small) borders one position at a time, so no ``np.add.at`` over the whole
tensor. Gather and fold are each other's backward, so every order of derivative exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._function import Function
from .._tensor import Tensor

__all__ = ["constant_pad_nd"]  # public functions (autograd_core.<name>)

MODES = ("reflect", "replicate", "circular")


def _source_index(n: int, lo: int, hi: int, mode: str) -> np.ndarray:
    """For each output position of a dim of size n padded by (lo, hi), the source position it reads."""
    out = n + lo + hi
    if mode == "circular":
        start = max(-lo, 0)
        m = n - start - max(-hi, 0)  # the kept (cropped) part, which the pads wrap around
        return start + (np.arange(out) - max(lo, 0)) % max(m, 1)
    i = np.arange(out) - lo
    if mode == "replicate":
        return np.clip(i, 0, n - 1)
    i = np.abs(i)  # reflect about 0 and about n - 1, the edge itself not repeated
    return np.where(i > n - 1, 2 * (n - 1) - i, i)


def _gather(x: np.ndarray, plan: tuple) -> np.ndarray:
    if not plan:
        return x.copy()  # nothing to pad: still a new array, as PyTorch's pad returns a new tensor
    for d, idx, _n, _centre in plan:
        x = np.take(x, idx, axis=d)
    return x


def _fold(g: np.ndarray, plan: tuple) -> np.ndarray:
    """The adjoint of _gather: every output element added back onto the source position it was read from."""
    if not plan:
        return g.copy()
    for d, idx, n, (o0, s0, m) in reversed(plan):
        shape = list(g.shape)
        shape[d] = n
        out = np.zeros(shape, dtype=g.dtype)
        om, gm = np.moveaxis(out, d, 0), np.moveaxis(g, d, 0)  # views: writes land in out
        om[s0:s0 + m] += gm[o0:o0 + m]  # the centre maps one to one
        for j in range(len(idx)):  # the border: pad-width many slices
            if not o0 <= j < o0 + m:
                om[idx[j]] += gm[j]
        g = out
    return g


class PadGather(Function):
    """y = x read at reflected / replicated / wrapped positions along the padded dims;  gx = fold(g) (the adjoint)"""

    fresh_grads = True

    def forward(self, x, plan, mode):
        self.plan, self.mode = plan, mode
        return _gather(x, plan)

    def backward(self, g):
        return self.xp.apply(PadFold, g, plan=self.plan, mode=self.mode)

    def attrs(self):
        return {"mode": self.mode, "pad": tuple((len(i) - n) for _d, i, n, _c in self.plan)}


class PadFold(Function):
    """y = g summed back onto the source positions PadGather read;  gg = PadGather(gy)"""

    fresh_grads = True

    def forward(self, g, plan, mode):
        self.plan, self.mode = plan, mode
        return _fold(g, plan)

    def backward(self, gy):
        return self.xp.apply(PadGather, gy, plan=self.plan, mode=self.mode)

    def attrs(self):
        return {"mode": self.mode}


def pad_mode(x: Tensor, pad: Sequence[int], mode: str) -> Tensor:
    """F.pad for mode reflect / replicate / circular: ``pad = (left, right, top, bottom, front, back)`` pads
    the last 1, 2 or 3 dims of a batched (N, C, ...) or unbatched (C, ...) input."""
    if mode not in MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}: use 'constant', 'reflect', 'replicate' or "
                                  "'circular'")
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError(f"pad: Padding length must be divisible by 2, got {len(pad)} values {list(pad)}")
    k = len(pad) // 2
    if k not in (1, 2, 3) or x.ndim not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {x.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    shape = tuple(x.shape)
    if mode != "circular" and 0 in shape[x.ndim - k - 1:]:
        raise RuntimeError(
            f"pad ({mode}): Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size and other "
            f"non-zero dimensions for input, but got: {list(shape)}")
    outs = [shape[x.ndim - 1 - j] + pad[2 * j] + pad[2 * j + 1] for j in range(k)]
    if mode != "circular" and max(outs) < 1:  # PyTorch's check: some padded dim must keep an element
        sizes = ", ".join(f"{'WHD'[j]}: {shape[x.ndim - 1 - j]}" for j in reversed(range(k)))
        got = ", ".join(f"{'WHD'[j]}: {outs[j]}" for j in reversed(range(k)))
        raise RuntimeError(f"pad ({mode}): input ({sizes}) is too small. Calculated output {got}")
    plan = []
    for j in range(k):
        d = x.ndim - 1 - j
        lo, hi = pad[2 * j], pad[2 * j + 1]
        n = shape[d]
        out = n + lo + hi
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(
                f"pad (reflect): Padding size should be less than the corresponding input dimension, but got: "
                f"padding ({lo}, {hi}) at dimension {d} of input {list(shape)}")
        if mode == "circular":
            if lo > n or hi > n:
                raise RuntimeError(f"pad (circular): Padding value causes wrapping around more than once: padding "
                                   f"({lo}, {hi}) at dimension {d} of input {list(shape)}")
            if out < 0:
                raise RuntimeError(f"pad (circular): Negative padding value is resulting in an empty dimension: "
                                   f"padding ({lo}, {hi}) at dimension {d} of input {list(shape)}")
            m = n - max(-lo, 0) - max(-hi, 0)
            if out > 0 and (max(lo, 0) > m or max(hi, 0) > m):
                # PyTorch refuses this too where it can tell (its copy would read the elements it is writing)
                raise RuntimeError(f"pad (circular): padding ({lo}, {hi}) at dimension {d} wraps around the "
                                   f"{m} elements left after cropping more than once; pad at most {m}")
        elif out < 0:
            raise RuntimeError(f"pad ({mode}): Trying to create tensor with negative dimension {out}: padding ({lo}, "
                               f"{hi}) at dimension {d} of input {list(shape)}")
        if lo == 0 and hi == 0:
            continue
        o0, s0 = max(lo, 0), max(-lo, 0)
        plan.append((d, _source_index(n, lo, hi, mode), n, (o0, s0, max(n - s0 - max(-hi, 0), 0))))
    return PadGather.apply(x, plan=tuple(plan), mode=mode)


def constant_pad_nd(input: Tensor, pad: Sequence[int], value: float = 0) -> Tensor:  # noqa: A002 - torch's name
    """Pad (or crop, with negative sizes) the last dims with ``value``: ``pad = (left, right, top, bottom, ...)``."""
    from .shape import pad as _constant_pad

    return _constant_pad(input, pad, value=value)


METHODS: dict[str, Any] = {}  # Tensor methods
