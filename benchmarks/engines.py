"""Adapters: the per-op chain and the MLP step for engines other than autograd_core and PyTorch.

Each ``make_*`` returns ``(step, check)`` or raises ``Unsupported`` with the reason (an engine that
is not installed, or cannot run here, is skipped with that note, never an error). They use only
each engine's public API.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .op_chain import N_OPS, chain, inputs


class Unsupported(Exception):
    """This contestant cannot run this workload (the message says why)."""


def _need(module: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise Unsupported(f"{module} is not installed ({e})") from None


# ---------------------------------------------------------------------- per-op chain
def chain_numpy_floor(n: int) -> tuple[Callable, Callable]:
    """Forward and backward written out by hand, no graph: the floor for any numpy engine."""
    x, a, b = inputs(n)

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

    return step, lambda: [step()]


def chain_mygrad(n: int) -> tuple[Callable, Callable]:
    mg = _need("mygrad")
    x, a, b = (mg.tensor(v) for v in inputs(n))

    def step():
        y = x
        for i in range(N_OPS):
            k = i % 3
            y = y + a if k == 0 else (y * b if k == 1 else mg.tanh(y))
        mg.sum(y).backward()
        return x.grad

    return step, lambda: [np.asarray(step())]


def chain_hips(n: int) -> tuple[Callable, Callable]:
    _need("autograd")
    import autograd.numpy as anp
    from autograd import grad

    x, a, b = inputs(n)

    def f(xv):
        y = xv
        for i in range(N_OPS):
            k = i % 3
            y = y + a if k == 0 else (y * b if k == 1 else anp.tanh(y))
        return anp.sum(y)

    df = grad(f)
    return (lambda: df(x)), (lambda: [np.asarray(df(x))])


def chain_micrograd(n: int) -> tuple[Callable, Callable]:
    _need("micrograd")
    from micrograd.engine import Value

    if not hasattr(Value, "tanh"):
        raise Unsupported("this micrograd's Value has no tanh (nor exp) to build the chain's tanh steps from")
    xs, a, b = inputs(n)

    def step():
        x = [Value(float(v)) for v in xs.ravel()]
        y = x
        for i in range(N_OPS):
            k = i % 3
            if k == 0:
                y = [yi + float(ai) for yi, ai in zip(y, a.ravel())]
            elif k == 1:
                y = [yi * float(bi) for yi, bi in zip(y, b.ravel())]
            else:
                y = [yi.tanh() for yi in y]
        total = y[0]
        for yi in y[1:]:
            total = total + yi
        total.backward()
        return np.array([v.grad for v in x]).reshape(xs.shape)

    return step, lambda: [step()]


def chain_tinygrad(n: int) -> tuple[Callable, Callable]:
    _need("tinygrad")
    from tinygrad import Tensor

    x, a, b = inputs(n)
    try:
        xt = Tensor(x).requires_grad_()
        at, bt = Tensor(a), Tensor(b)
        Tensor.ones(1).numpy()  # device probe
    except Exception as e:  # noqa: BLE001 - any failure of the probe means "cannot run here"
        raise Unsupported(f"tinygrad cannot run here: {type(e).__name__}: {e}") from None

    def step():
        xt.grad = None
        chain(xt, at, bt).sum().backward()
        return xt.grad.numpy()

    return step, lambda: [step()]


# ---------------------------------------------------------------------- MLP 784-512-256-10
MLP_SIZES = (784, 512, 256, 10)


def mlp_init(seed: int = 0) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """PyTorch's default Linear init U(-1/sqrt(in), 1/sqrt(in)) from a fixed seed, and one batch of 128.

    Weights are (out, in) as in PyTorch; every engine starts from these same arrays.
    """
    rng = np.random.default_rng(seed)
    params = []
    for fin, fout in zip(MLP_SIZES[:-1], MLP_SIZES[1:]):
        bound = 1 / np.sqrt(fin)
        params += [rng.uniform(-bound, bound, (fout, fin)).astype(np.float32),
                   rng.uniform(-bound, bound, fout).astype(np.float32)]
    x = rng.standard_normal((128, MLP_SIZES[0])).astype(np.float32)
    y = rng.integers(0, 10, 128)
    return params, x, y


def _sgd_momentum(params: list[np.ndarray], grads: list[np.ndarray], bufs: list, lr: float = 0.01,
                  mu: float = 0.9) -> None:
    for i, (p, g) in enumerate(zip(params, grads)):
        if bufs[i] is None:
            bufs[i] = g.copy()
        else:
            bufs[i] *= mu
            bufs[i] += g
        p -= lr * bufs[i]


def mlp_numpy_floor() -> tuple[Callable, Callable]:
    """Forward, backward and SGD-with-momentum written out in numpy: no graph, no engine."""
    params, x, y = mlp_init()
    params = [p.copy() for p in params]
    bufs: list = [None] * len(params)
    onehot = np.eye(10, dtype=np.float32)[y]

    def grads():
        w1, b1, w2, b2, w3, b3 = params
        h1 = np.maximum(x @ w1.T + b1, 0)
        h2 = np.maximum(h1 @ w2.T + b2, 0)
        z = h2 @ w3.T + b3
        z = z - z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        loss = -np.log(p[np.arange(len(y)), y]).mean()
        gz = (p - onehot) / len(y)
        g3, gb3 = gz.T @ h2, gz.sum(0)
        gh2 = (gz @ w3) * (h2 > 0)
        g2, gb2 = gh2.T @ h1, gh2.sum(0)
        gh1 = (gh2 @ w2) * (h1 > 0)
        g1, gb1 = gh1.T @ x, gh1.sum(0)
        return loss, [g1, gb1, g2, gb2, g3, gb3]

    def step():
        loss, gs = grads()
        _sgd_momentum(params, gs, bufs)
        return loss

    def check():
        loss, gs = grads()
        return [np.asarray(loss)] + gs

    return step, check


def mlp_mygrad() -> tuple[Callable, Callable]:
    mg = _need("mygrad")
    from mygrad.nnet.activations import relu
    from mygrad.nnet.losses import softmax_crossentropy

    arrays, x, y = mlp_init()
    params = [mg.tensor(p.copy()) for p in arrays]
    bufs: list = [None] * len(params)

    def loss_fn():
        w1, b1, w2, b2, w3, b3 = params
        h = relu(mg.matmul(x, w1.T) + b1)
        h = relu(mg.matmul(h, w2.T) + b2)
        return softmax_crossentropy(mg.matmul(h, w3.T) + b3, y)

    def step():
        for p in params:
            p.null_grad()
        loss = loss_fn()
        loss.backward()
        _sgd_momentum([p.data for p in params], [p.grad for p in params], bufs)
        return loss

    def check():
        for p in params:
            p.null_grad()
        loss = loss_fn()
        loss.backward()
        return [np.asarray(loss.data)] + [np.asarray(p.grad) for p in params]

    return step, check


def mlp_hips() -> tuple[Callable, Callable]:
    _need("autograd")
    import autograd.numpy as anp
    from autograd import value_and_grad

    arrays, x, y = mlp_init()
    params = [p.copy() for p in arrays]
    bufs: list = [None] * len(params)

    def loss_fn(ps):
        w1, b1, w2, b2, w3, b3 = ps
        h = anp.maximum(anp.dot(x, w1.T) + b1, 0)
        h = anp.maximum(anp.dot(h, w2.T) + b2, 0)
        z = anp.dot(h, w3.T) + b3
        z = z - anp.max(z, axis=1, keepdims=True)
        logp = z - anp.log(anp.sum(anp.exp(z), axis=1, keepdims=True))
        return -anp.mean(logp[np.arange(len(y)), y])

    vg = value_and_grad(loss_fn)

    def step():
        loss, gs = vg(params)
        _sgd_momentum(params, list(gs), bufs)
        return loss

    def check():
        loss, gs = vg(params)
        return [np.asarray(loss)] + [np.asarray(g) for g in gs]

    return step, check
