"""Per-op overhead: a chain of 100 elementwise ops (add, mul, tanh) then sum().backward().

Time per op = (forward + backward of the whole chain) / 100. Tiny tensors make this the cost of
the engine itself (graph recording, dispatch, the backward loop), not of the arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

N_OPS = 100


def _inputs(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


def make_autograd_core(n: int) -> Callable[[], np.ndarray]:
    import autograd_core as ag

    x, a, b = (ag.tensor(v, requires_grad=True) for v in _inputs(n))

    def step() -> np.ndarray:
        x.grad = a.grad = b.grad = None
        chain(x, a, b).sum().backward()
        return x.grad.data

    return step


def make_torch(n: int, threads: int = 2) -> Callable[[], np.ndarray]:
    import torch

    torch.set_num_threads(threads)
    x, a, b = (torch.tensor(v, requires_grad=True) for v in _inputs(n))

    def step() -> np.ndarray:
        x.grad = a.grad = b.grad = None
        chain(x, a, b).sum().backward()
        return x.grad.numpy()

    return step


def make_numpy_floor(n: int) -> Callable[[], np.ndarray]:
    """Forward and backward written out by hand, no graph: the floor for any numpy engine."""
    x, a, b = _inputs(n)

    def step() -> np.ndarray:
        saved = []
        y = x
        for i in range(N_OPS):
            k = i % 3
            if k == 0:
                y = y + a
            elif k == 1:
                saved.append(y)
                y = y * b
            else:
                y = np.tanh(y)
                saved.append(y)
        g = np.ones_like(y)
        ga = np.zeros_like(a)
        gb = np.zeros_like(b)
        for i in reversed(range(N_OPS)):
            k = i % 3
            if k == 0:
                ga = ga + g
            elif k == 1:
                gb = gb + g * saved.pop()
                g = g * b
            else:
                t = saved.pop()
                g = g * (1 - t * t)
        return g

    return step


CONTESTANTS = {
    "autograd_core": make_autograd_core,
    "torch (2 threads)": lambda n: make_torch(n, 2),
    "numpy floor": make_numpy_floor,
}
