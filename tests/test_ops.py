"""Generic tests expanded from the op table (tests/op_db.py)."""

from __future__ import annotations

import numpy as np
import pytest
from op_db import COVERED_ELSEWHERE, OPS, OpInfo, Sample

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


# ---------------------------------------------------------------------- coverage of the table
def _all_function_classes():
    import importlib
    import pkgutil

    import autograd_core.ops
    from autograd_core._function import Function

    for m in pkgutil.iter_modules(autograd_core.ops.__path__):  # some families load only on first use
        importlib.import_module(f"autograd_core.ops.{m.name}")

    out, stack = set(), [Function]
    while stack:
        c = stack.pop()
        for s in c.__subclasses__():
            stack.append(s)
            if s.__module__.startswith("autograd_core") and not s.__name__.startswith("_"):
                out.add(s)
    return out


def _classes_run_by(info: OpInfo) -> set[str]:
    """The Function classes whose backward (or backward of backward) a row's samples run."""
    seen: set[str] = set()

    class Rec(ag.BackwardObserver):
        def on_node(self, node, grads):
            seen.add(type(node).__name__)

    with ag.observe(Rec()):
        for s in info.samples(np.random.default_rng(0)):
            xs = _tensors(s)
            outs = _as_tuple(info.op(*xs, **s.kwargs))
            us = [ag.ones_like(o, requires_grad=True) for o in outs]  # as in gradgradcheck
            first = ag.grad(outs, xs, us, create_graph=True, allow_unused=True)
            live = [g for g in first if g is not None and g.requires_grad]
            if live:
                ag.grad([g.sum() for g in live], xs + us, allow_unused=True)
    return seen


def test_every_op_class_is_covered_by_a_row():
    covered = {c for info in OPS for c in info.covers} | set(COVERED_ELSEWHERE)
    classes = {c.__name__ for c in _all_function_classes()}
    assert classes <= covered, f"op classes no row covers (add covers=(...) to the row): {classes - covered}"
    assert covered <= classes, f"covers= names a class that does not exist: {covered - classes}"


@pytest.mark.parametrize("info", [i for i in OPS if i.covers], ids=lambda i: i.name)
def test_each_row_runs_the_backward_of_the_classes_it_covers(info: OpInfo):
    missing = set(info.covers) - _classes_run_by(info)
    assert not missing, f"row {info.name} claims covers={info.covers} but never ran the backward of {missing}"


NO_GRAD_OPS = {
    "eq": (lambda a, b: a == b, np.equal), "ne": (lambda a, b: a != b, np.not_equal),
    "lt": (lambda a, b: a < b, np.less), "le": (lambda a, b: a <= b, np.less_equal),
    "gt": (lambda a, b: a > b, np.greater), "ge": (lambda a, b: a >= b, np.greater_equal),
    "argmax": (lambda a, b: a.argmax(1), lambda a, b: np.argmax(a, 1)),
    "argmin": (lambda a, b: ag.argmin(a), lambda a, b: np.argmin(a)),
    "isnan": (lambda a, b: (a / b).isnan(), lambda a, b: np.isnan(a / b)),
    "max_indices": (lambda a, b: a.max(0).indices, lambda a, b: np.argmax(a, 0)),
}


@pytest.mark.parametrize("name", sorted(NO_GRAD_OPS))
def test_non_differentiable_ops_match_numpy_and_do_not_require_grad(name):
    ours, ref = NO_GRAD_OPS[name]
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    b[0, 0] = 0.0
    a[0, 0] = 0.0
    out = ours(ag.tensor(a, requires_grad=True), ag.tensor(b, requires_grad=True))
    with np.errstate(invalid="ignore", divide="ignore"):
        np.testing.assert_array_equal(out.data, ref(a, b))
    assert not out.requires_grad and out.grad_fn is None
