"""Helpers shared by the distribution tests (tests/test_distributions*.py): the same parameters as leaves of
both libraries, their gradients, and a close-comparison that also checks shapes and dtypes."""

from __future__ import annotations

import numpy as np
import torch

import autograd_core as ag

RTOL, ATOL = 1e-10, 1e-12


def _arr(t) -> np.ndarray:
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t.detach().numpy())


def assert_close(ours, theirs, what: str, rtol: float = RTOL, atol: float = ATOL) -> None:
    assert isinstance(ours, ag.Tensor), f"{what}: expected a Tensor, got {type(ours).__name__}"
    a, b = _arr(ours), _arr(theirs)
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs torch {b.shape}"
    assert str(a.dtype) == str(b.dtype), f"{what}: dtype {a.dtype} vs torch {b.dtype}"
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)


def leaves(params: dict[str, np.ndarray], grad: bool = True) -> tuple[dict, dict]:
    """The same parameters as autograd_core and torch leaves (float ones require grad)."""
    ours, theirs = {}, {}
    for k, v in params.items():
        g = grad and v.dtype.kind == "f"
        ours[k] = ag.tensor(v, requires_grad=g)
        theirs[k] = torch.tensor(v, requires_grad=g)
    return ours, theirs


def grads(out, params: dict) -> dict:
    """d out / d params (those that require grad), by name."""
    names = [k for k, p in params.items() if p.requires_grad]
    if not names:
        return {}
    lib = torch if isinstance(out, torch.Tensor) else ag
    gs = lib.autograd.grad(out, [params[k] for k in names], allow_unused=True)
    return dict(zip(names, gs))


def check_samples_and_expand(d, td, name: str) -> tuple:
    """Seeded draws of three sample shapes: torch's shapes and dtypes, no grad, inside the support (rsample's
    shape too); expand to a longer batch keeps the class and torch's shapes. Returns (batch, ours, torch's)."""
    ag.manual_seed(0)
    for shape in [(), (5,), (2, 3)]:
        s, ts = d.sample(shape), td.sample(shape)
        assert tuple(s.shape) == tuple(ts.shape), f"{name}.sample({shape})"
        assert str(s.dtype) == str(ts.dtype).replace("torch.", ""), f"{name}.sample dtype"
        assert not s.requires_grad
        assert bool(d.support.check(s).all()), f"{name}: a draw outside the support"
        if d.has_rsample:
            assert tuple(d.rsample(shape).shape) == tuple(ts.shape)
    big = (5,) + tuple(d.batch_shape)
    e, te = d.expand(big), td.expand(big)
    assert tuple(e.batch_shape) == tuple(te.batch_shape) and tuple(e.event_shape) == tuple(te.event_shape)
    assert type(e) is type(d)
    return big, e, te
