"""Layer parity with PyTorch: outputs, then every input and parameter gradient for one random upstream gradient."""

from __future__ import annotations

import numpy as np

import autograd_core as ag


def check_outputs_and_grads(ours, theirs, outs_o, outs_t, leaves_o, leaves_t, tol: float = 1e-10) -> None:
    """``ours``/``theirs``: modules with the same parameter names; outs/leaves: matching tensors (None skipped)."""
    import torch

    outs_o = [o for o in outs_o if o is not None]
    outs_t = [o for o in outs_t if o is not None]
    assert len(outs_o) == len(outs_t)
    for a, b in zip(outs_o, outs_t):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tol, atol=tol)
    rng = np.random.default_rng(7)
    gs = [rng.standard_normal(tuple(b.shape)) for b in outs_t]
    ag.backward(outs_o, [ag.tensor(g) for g in gs])
    torch.autograd.backward(outs_t, [torch.tensor(g) for g in gs])
    for a, b in zip(leaves_o, leaves_t):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=tol, atol=tol)
    tp = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tp[name].grad.numpy(), rtol=tol, atol=tol, err_msg=name)
