"""Generic tests expanded from the op table (tests/op_db.py)."""

from __future__ import annotations

import numpy as np
import pytest
from op_db import OPS, OpInfo, Sample

import autograd_core as ag

CASES = []
for _info in OPS:
    for _k, _s in enumerate(_info.samples(np.random.default_rng(0))):
        CASES.append(pytest.param(_info, _k, id=f"{_info.name}-{_s.name or _k}"))


def _sample(info: OpInfo, k: int, seed: int = 0) -> Sample:
    return info.samples(np.random.default_rng(seed))[k]


def _tensors(s: Sample, dtype=np.float64, requires_grad=True):
    return [ag.tensor(np.asarray(a, dtype=dtype), requires_grad=requires_grad) for a in s.args]


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


@pytest.mark.parametrize("info,k", CASES)
def test_forward_matches_numpy(info: OpInfo, k: int) -> None:
    s = _sample(info, k)
    outs = _as_tuple(info.op(*_tensors(s), **s.kwargs))
    refs = _as_tuple(info.ref(*[np.array(a) for a in s.args], **s.kwargs))
    assert len(outs) == len(refs)
    for o, r in zip(outs, refs):
        assert isinstance(o, ag.Tensor)
        assert o.shape == np.shape(r), (o.shape, np.shape(r))
        np.testing.assert_allclose(o.data, r, rtol=1e-10, atol=1e-12)
        assert o.requires_grad and o.grad_fn is not None


@pytest.mark.parametrize("info,k", CASES)
def test_gradcheck_float64(info: OpInfo, k: int) -> None:
    s = _sample(info, k)
    assert ag.gradcheck(lambda *xs: info.op(*xs, **s.kwargs), _tensors(s))


@pytest.mark.parametrize("info,k", [c for c in CASES if c.values[0].gradgrad])
def test_gradgradcheck_float64(info: OpInfo, k: int) -> None:
    s = _sample(info, k)
    assert ag.gradgradcheck(lambda *xs: info.op(*xs, **s.kwargs), _tensors(s))


@pytest.mark.parametrize("info,k", CASES)
def test_float32_in_float32_out(info: OpInfo, k: int) -> None:
    s = _sample(info, k)
    x32 = _tensors(s, np.float32)
    x64 = _tensors(s, np.float64)
    o32 = _as_tuple(info.op(*x32, **s.kwargs))
    o64 = _as_tuple(info.op(*x64, **s.kwargs))
    rng = np.random.default_rng(5)
    us = [rng.standard_normal(o.shape) for o in o64]
    for a, b in zip(o32, o64):
        assert a.dtype == np.float32, f"{info.name} turned float32 into {a.dtype}"
        np.testing.assert_allclose(a.data, b.data, rtol=info.float32_tol, atol=1e-5)
    ag.backward(o32, [u.astype(np.float32) for u in us])
    ag.backward(o64, us)
    for a, b in zip(x32, x64):
        assert a.grad is not None and a.grad.dtype == np.float32
        np.testing.assert_allclose(a.grad.data, b.grad.data, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("info,k", [c for c in CASES if c.values[0].torch is not None])
def test_matches_pytorch(info: OpInfo, k: int) -> None:
    torch = pytest.importorskip("torch")
    s = _sample(info, k)
    ours_in = _tensors(s)
    th_in = [torch.tensor(np.array(a), dtype=torch.float64, requires_grad=True) for a in s.args]
    ours = _as_tuple(info.op(*ours_in, **s.kwargs))
    theirs = _as_tuple(info.torch(*th_in, **s.kwargs))
    assert len(ours) == len(theirs)
    rng = np.random.default_rng(7)
    us = [rng.standard_normal(o.shape) for o in ours]
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.data, t.detach().numpy(), rtol=1e-10, atol=1e-12)
    ag.backward(ours, us)
    torch.autograd.backward(theirs, [torch.tensor(u) for u in us])
    for a, t in zip(ours_in, th_in):
        expected = np.zeros(a.shape) if t.grad is None else t.grad.numpy()
        got = np.zeros(a.shape) if a.grad is None else a.grad.data
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
