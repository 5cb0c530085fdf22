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


# ---------------------------------------------------------------------- sequence models (LSTM LM, Transformer)
# The sizes of each sequence workload: a word-level LSTM language model (PTB-small-like, batch x steps tokens)
# and a small Transformer encoder LM over the same tokens. Dropout is 0 so the engines' checks agree.
SEQ_SIZES = {
    "lstm_lm": dict(vocab=1000, embed=128, hidden=256, layers=2, steps=35, batch=20),
    "transformer": dict(vocab=1000, d_model=128, nhead=4, ff=256, layers=2, steps=32, batch=16),
}


def _seq_arch(nn, arch: str, s: dict):
    """The model: embedding -> 2-layer LSTM (or TransformerEncoder, batch_first) -> linear over the vocabulary."""

    class LSTMLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(s["vocab"], s["embed"])
            self.lstm = nn.LSTM(s["embed"], s["hidden"], s["layers"])
            self.head = nn.Linear(s["hidden"], s["vocab"])

        def forward(self, tokens):  # tokens (steps, batch)
            out, _ = self.lstm(self.embed(tokens))
            return self.head(out).reshape(-1, s["vocab"])

    class EncoderLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(s["vocab"], s["d_model"])
            layer = nn.TransformerEncoderLayer(s["d_model"], s["nhead"], s["ff"], dropout=0.0, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, s["layers"])
            self.head = nn.Linear(s["d_model"], s["vocab"])

        def forward(self, tokens, mask):  # tokens (batch, steps); mask: causal (steps, steps)
            return self.head(self.encoder(self.embed(tokens), mask=mask)).reshape(-1, s["vocab"])

    return LSTMLM() if arch == "lstm_lm" else EncoderLM()


def seq_initial_state(names_shapes: list, seed: int = 0) -> dict:
    """The same weights for every engine, by parameter name: U(-0.1, 0.1), LayerNorm weight 1 and bias 0."""
    rng = np.random.default_rng(seed)
    sd = {}
    for name, shape in sorted(names_shapes):
        if ".norm" in name:
            sd[name] = np.full(shape, 1.0 if name.endswith("weight") else 0.0, dtype=np.float32)
        else:
            sd[name] = rng.uniform(-0.1, 0.1, shape).astype(np.float32)
    return sd


def make_seq_step(engine: str, arch: str, sizes: dict | None = None) -> tuple[Callable, Callable]:
    """One SGD(lr=0.1) step of next-token prediction: zero_grad, forward, cross_entropy, backward, step."""
    if engine not in ("ag", "torch"):
        raise Unsupported(f"no {arch} adapter for {engine} (no recurrent/attention layers in its public API here)")
    s = dict(SEQ_SIZES[arch], **(sizes or {}))
    if engine == "torch":
        import torch

        lib, nn, opt_mod, F = torch, torch.nn, torch.optim, torch.nn.functional
    else:
        import autograd_core.nn.functional as F

        import autograd_core as ag
        from autograd_core import nn, optim

        lib, opt_mod = ag, optim
    import warnings

    with warnings.catch_warnings():  # TransformerEncoder's nested-tensor notice
        warnings.simplefilter("ignore")
        model = _seq_arch(nn, arch, s)
    shapes = [(k, tuple(v.shape)) for k, v in model.state_dict().items()]
    sd = seq_initial_state(shapes)
    model.load_state_dict({k: lib.tensor(v) for k, v in sd.items()})
    rng = np.random.default_rng(1)
    tok = rng.integers(0, s["vocab"], (s["steps"] + 1, s["batch"]))
    if arch == "lstm_lm":
        x, y = lib.tensor(tok[:-1]), lib.tensor(tok[1:].reshape(-1))
        args = (x,)
    else:
        x, y = lib.tensor(tok[:-1].T.copy()), lib.tensor(tok[1:].T.reshape(-1).copy())
        mask = np.triu(np.full((s["steps"], s["steps"]), -np.inf, dtype=np.float32), 1)
        args = (x, lib.tensor(mask))
    opt = opt_mod.SGD(model.parameters(), lr=0.1)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(*args), y)
        loss.backward()
        opt.step()
        return loss

    def check():
        saved = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
        loss = step()
        out = [np.asarray(loss.detach().numpy())] + [p.grad.detach().numpy().copy() for p in model.parameters()]
        model.load_state_dict({k: lib.tensor(v) for k, v in saved.items()})
        return out

    return step, check
