"""Run the same function on autograd_core and on torch and compare: values, dtypes, requires_grad, gradients.

Shared by the op-family parity tests (tests/test_statistics_ops.py, tests/test_contraction_ops.py)."""

from __future__ import annotations

import warnings

import numpy as np

import autograd_core as ag


def np_of(t) -> np.ndarray:
    return np.asarray(t.detach().numpy())


def dtype_name(t) -> str:
    return str(t.dtype).replace("torch.", "")


def same(ours, theirs, rtol=None, atol=1e-9, f32_scale: bool = False) -> None:
    """Equal shapes, dtypes and requires_grad, and close values (float32: a few ulps; ``f32_scale`` also allows
    a few ulps of the result's largest magnitude, for results torch rounds in float32 along the way)."""
    ours = ours if isinstance(ours, (tuple, list)) else (ours,)
    theirs = theirs if isinstance(theirs, (tuple, list)) else (theirs,)
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert tuple(o.shape) == tuple(t.shape), (o.shape, t.shape)
        assert dtype_name(o) == dtype_name(t), (o.dtype, t.dtype)
        assert o.requires_grad == t.requires_grad, (o.requires_grad, t.requires_grad)
        f32 = dtype_name(t) == "float32"
        tol = rtol if rtol is not None else (2e-6 if f32 else 1e-7)
        extra = 0.0
        if f32_scale and f32:
            extra = 2e-6 * float(np.abs(np_of(t)[np.isfinite(np_of(t))]).max(initial=0.0))
        np.testing.assert_allclose(np_of(o), np_of(t), rtol=tol, atol=atol + extra, equal_nan=True)


def both(f, *arrays, grad: bool = True, f32_scale: bool = False):
    """f(module, *tensors) in both libraries: values, dtypes, requires_grad and (grad) the gradients for one
    random upstream gradient; returns both outputs."""
    import torch

    outs, grads = [], []
    for m in (ag, torch):
        ins = [m.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            out = f(m, *ins)
        outs.append(out)
        res = out if isinstance(out, (tuple, list)) else (out,)
        diff = [r for r in res if r.requires_grad]
        leaves = [t for t in ins if t.requires_grad]
        if diff and leaves:
            us = [m.tensor(np.random.default_rng(3).standard_normal(tuple(r.shape)).astype(dtype_name(r)))
                  for r in diff]
            g = (ag.grad if m is ag else torch.autograd.grad)(diff, leaves, us, allow_unused=True)
            grads.append([np.zeros(tuple(t.shape)) if v is None else np_of(v) for v, t in zip(g, leaves)])
    same(outs[0], outs[1], f32_scale=f32_scale)
    for a, b in zip(*grads) if grads else ():
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9, equal_nan=True)
    return outs
