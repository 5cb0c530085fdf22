"""Kernel workloads (conv2d, max-pool, BatchNorm forward+backward) and a LeNet-5 training step.

Each ``make_*`` returns ``(step, check)``: ``step()`` runs the workload once; ``check()`` returns
arrays (output and gradients) that are compared across contestants before anything is timed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

CONV_SHAPES = [  # (N, C, H, W, K, kernel, stride, pad)
    (64, 1, 28, 28, 6, 5, 1, 2),
    (64, 6, 14, 14, 16, 5, 1, 0),
    (32, 64, 32, 32, 64, 3, 1, 1),
    (32, 128, 16, 16, 128, 3, 1, 1),
]
POOL_SHAPES = [(64, 16, 28, 28), (32, 64, 32, 32)]
BN_SHAPES = [(64, 16, 28, 28), (32, 64, 32, 32), (256, 512)]  # the last: BatchNorm1d after a Linear layer


def _rng_arrays(*shapes: tuple, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(np.float32) for s in shapes]


def _engine(name: str):
    if name not in ("ag", "torch"):
        from .engines import Unsupported

        raise Unsupported(f"no {name} adapter for the kernel workloads (autograd_core and PyTorch only)")
    if name == "torch":
        import torch

        return torch, torch.nn.functional
    import autograd_core.nn.functional as F

    import autograd_core as ag

    return ag, F


def _leaf(lib, arr: np.ndarray):
    return lib.tensor(arr, requires_grad=True)


def _np(t) -> np.ndarray:
    return t.detach().numpy()


def make_conv(engine: str, shape: tuple, part: str) -> tuple[Callable, Callable]:
    lib, F = _engine(engine)
    n, c, h, w, k, ks, s, p = shape
    xa, wa, ga = _rng_arrays((n, c, h, w), (k, c, ks, ks), (n, k, (h + 2 * p - ks) // s + 1, (w + 2 * p - ks) // s + 1))
    x, wt = _leaf(lib, xa), _leaf(lib, wa)
    g = lib.tensor(ga)
    if part == "forward":
        def step():
            with lib.no_grad():
                return F.conv2d(x, wt, stride=s, padding=p)
        return step, lambda: [_np(step())]
    y = F.conv2d(x, wt, stride=s, padding=p)

    def step_b():
        x.grad = wt.grad = None
        y.backward(g, retain_graph=True)

    def check():
        step_b()
        return [_np(x.grad), _np(wt.grad)]

    return step_b, check


def make_pool(engine: str, shape: tuple, part: str) -> tuple[Callable, Callable]:
    lib, F = _engine(engine)
    (xa,) = _rng_arrays(shape)
    x = _leaf(lib, xa)
    if part == "forward":
        def step():
            with lib.no_grad():
                return F.max_pool2d(x, 2, 2)
        return step, lambda: [_np(step())]
    y = F.max_pool2d(x, 2, 2)
    g = lib.tensor(_rng_arrays(tuple(y.shape), seed=1)[0])

    def step_b():
        x.grad = None
        y.backward(g, retain_graph=True)

    def check():
        step_b()
        return [_np(x.grad)]

    return step_b, check


def make_bn(engine: str, shape: tuple, part: str = "fwd+bwd") -> tuple[Callable, Callable]:
    lib, F = _engine(engine)
    xa, ga = _rng_arrays(shape, shape)
    x = _leaf(lib, xa)
    wt, b = _leaf(lib, np.ones(shape[1], np.float32)), _leaf(lib, np.zeros(shape[1], np.float32))
    g = lib.tensor(ga)
    rm, rv = lib.zeros(shape[1]), lib.ones(shape[1])

    def step():
        x.grad = wt.grad = b.grad = None
        y = F.batch_norm(x, rm, rv, wt, b, training=True)
        y.backward(g)
        return y

    def check():
        y = step()
        return [_np(y), _np(x.grad), _np(wt.grad), _np(b.grad)]

    return step, check


def make_lenet(engine: str, batch: int = 64) -> tuple[Callable, Callable]:
    """LeNet-5 step: conv 1->6 5x5 pad 2, ReLU, max-pool 2; conv 6->16 5x5, ReLU, max-pool 2; 400-120-84-10."""
    lib, F = _engine(engine)
    rng = np.random.default_rng(0)

    def init(*shape):
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
        return _leaf(lib, (rng.uniform(-1, 1, shape) / np.sqrt(fan_in)).astype(np.float32))

    params = [init(6, 1, 5, 5), init(6), init(16, 6, 5, 5), init(16), init(120, 400), init(120), init(84, 120),
              init(84), init(10, 84), init(10)]
    xa = rng.standard_normal((batch, 1, 28, 28)).astype(np.float32)
    ya = rng.integers(0, 10, batch)
    x = lib.tensor(xa)
    onehot = lib.tensor(np.eye(10, dtype=np.float32)[ya])

    def loss_fn():
        c1w, c1b, c2w, c2b, f1w, f1b, f2w, f2b, f3w, f3b = params
        h = F.max_pool2d(F.relu(F.conv2d(x, c1w, c1b, padding=2)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, c2w, c2b)), 2)
        h = h.reshape(batch, 400)
        h = F.relu(h @ f1w.T + f1b)
        h = F.relu(h @ f2w.T + f2b)
        logits = h @ f3w.T + f3b
        return -(F.log_softmax(logits, 1) * onehot).sum() / batch

    def step():
        for p in params:
            p.grad = None
        loss = loss_fn()
        loss.backward()
        with lib.no_grad():
            for p in params:
                p -= 0.01 * p.grad
        return loss

    def check():
        saved = [_np(p).copy() for p in params]
        loss = step()
        grads = [_np(p.grad) for p in params]
        with lib.no_grad():  # undo the update so timing runs start from the same weights
            for p, s in zip(params, saved):
                p.copy_(lib.tensor(s))
        return [np.asarray(_np(loss))] + grads

    return step, check
