"""Model training steps built from ``nn`` and ``optim`` (and from torch.nn / torch.optim for PyTorch).

Every engine starts from the same weights (PyTorch's default initialisation formula drawn with numpy
from a fixed seed, loaded through ``load_state_dict``), sees the same batch, and takes one step per
call: zero_grad, forward, cross-entropy, backward, SGD(lr=0.01, momentum=0.9) step.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .engines import Unsupported, mlp_init


def _arch(nn, name: str):
    if name == "mlp":
        return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84),
                         nn.ReLU(), nn.Linear(84, 10))


_LENET = [("0", (6, 1, 5, 5)), ("3", (16, 6, 5, 5)), ("7", (120, 400)), ("9", (84, 120)), ("11", (10, 84))]


def initial_state(arch: str, seed: int = 0) -> tuple[dict, np.ndarray, np.ndarray]:
    """state_dict (numpy arrays, PyTorch's key names), input batch and labels."""
    if arch == "mlp":
        params, x, y = mlp_init(seed)
        keys = [f"{i}.{k}" for i in ("0", "2", "4") for k in ("weight", "bias")]
        return dict(zip(keys, params)), x, y
    rng = np.random.default_rng(seed)
    sd = {}
    for name, shape in _LENET:
        bound = 1 / np.sqrt(np.prod(shape[1:]))
        sd[f"{name}.weight"] = rng.uniform(-bound, bound, shape).astype(np.float32)
        sd[f"{name}.bias"] = rng.uniform(-bound, bound, shape[0]).astype(np.float32)
    return sd, rng.standard_normal((64, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 64)


def make_model_step(engine: str, arch: str) -> tuple[Callable, Callable]:
    """One SGD-with-momentum step of the MLP (batch 128, 784-512-256-10) or LeNet-5 (batch 64, 1x28x28)."""
    if engine not in ("ag", "torch"):
        if arch != "mlp":
            raise Unsupported(f"no LeNet-5 adapter for {engine} (no conv2d/max-pool in its public API here)")
        from . import engines

        make = {"numpy": engines.mlp_numpy_floor, "mygrad": engines.mlp_mygrad, "hips": engines.mlp_hips}.get(engine)
        if make is None:
            raise Unsupported(f"no MLP adapter for {engine}")
        return make()
    sd, xa, ya = initial_state(arch)
    if engine == "torch":
        import torch

        lib, nn, opt_mod, F = torch, torch.nn, torch.optim, torch.nn.functional
    else:
        import autograd_core.nn.functional as F

        import autograd_core as ag
        from autograd_core import nn, optim

        lib, opt_mod = ag, optim
    model = _arch(nn, arch)
    model.load_state_dict({k: lib.tensor(v) for k, v in sd.items()})
    x, y = lib.tensor(xa), lib.tensor(ya)
    opt = opt_mod.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    def check():
        # one step from the initial weights: loss and every gradient, compared with PyTorch's; then
        # the weights and the optimiser state are put back, so every check starts from the same point
        saved = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
        loss = step()
        out = [np.asarray(loss.detach().numpy())] + [p.grad.detach().numpy().copy() for p in model.parameters()]
        model.load_state_dict({k: lib.tensor(v) for k, v in saved.items()})
        opt.state.clear()
        return out

    return step, check
