"""Model training steps built from ``nn`` and ``optim`` (and from torch.nn / torch.optim for PyTorch).

Both engines start from the same weights (PyTorch's initialisation, copied through
``load_state_dict``), see the same batch, and take one step per call: zero_grad, forward,
cross-entropy, backward, optimiser step.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def _arch(nn, name: str):
    if name == "mlp":
        return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84),
                         nn.ReLU(), nn.Linear(84, 10))


def make_model_step(engine: str, arch: str) -> tuple[Callable, Callable]:
    """One SGD-with-momentum step of the MLP (batch 128, 784-512-256-10) or LeNet-5 (batch 64, 1x28x28)."""
    import torch

    torch.manual_seed(0)
    tmodel = _arch(torch.nn, arch)
    batch, shape = (128, (784,)) if arch == "mlp" else (64, (1, 28, 28))
    rng = np.random.default_rng(0)
    xa = rng.standard_normal((batch, *shape)).astype(np.float32)
    ya = rng.integers(0, 10, batch)
    if engine == "torch":
        lib, model, opt_mod, F = torch, tmodel, torch.optim, torch.nn.functional
    else:
        import autograd_core.nn.functional as F

        import autograd_core as ag
        from autograd_core import nn, optim

        lib, model, opt_mod = ag, _arch(nn, arch), optim
        model.load_state_dict({k: v.numpy() for k, v in tmodel.state_dict().items()})
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
