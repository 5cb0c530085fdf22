"""The per-op chain itself: its (n, n) float32 inputs and the 100 ops, shared by every engine.

``workloads_ops`` times it for autograd_core and PyTorch and ``engines`` for the other engines; both
import it from here, so neither needs the other to get it.
"""

from __future__ import annotations

import numpy as np

N_OPS = 100


def inputs(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, a, b of shape (n, n): the same arrays for every engine, from a fixed seed."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    a = rng.uniform(-0.1, 0.1, (n, n)).astype(np.float32)
    b = rng.uniform(0.9, 1.1, (n, n)).astype(np.float32)
    return x, a, b


def chain(x, a, b):
    """The timed chain, written once for every engine with a PyTorch-like API."""
    y = x
    for i in range(N_OPS):
        k = i % 3
        if k == 0:
            y = y + a
        elif k == 1:
            y = y * b
        else:
            y = y.tanh()
    return y
