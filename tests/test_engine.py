"""Engine semantics: graph shapes, accumulation, retain/create_graph, hooks, grad mode, memory."""

from __future__ import annotations

import gc
import threading
import weakref

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import _engine


@pytest.fixture(autouse=True, params=["fast_loop", "general_loop"])
def backward_loop(request, monkeypatch):
    """Every engine test runs through both backward loops: the fast one inlines the grad-table write
    and the release of saved data, so the two must agree on every behaviour tested here."""
    monkeypatch.setattr(_engine, "FORCE_GENERAL_LOOP", request.param == "general_loop")
    return request.param


def t64(*shape, rng=None, rg=True):
    rng = rng or np.random.default_rng(0)
    return ag.tensor(rng.standard_normal(shape), requires_grad=rg)


# ---------------------------------------------------------------------- graph shapes
def test_reused_node_b_plus_b():
    a = ag.tensor(3.0, requires_grad=True)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad.item() == 4.0


def test_diamond_and_threefold_use_match_numeric():
    x = t64(3)

    def f(x):
        y = x.exp()
        return (y * x + y.sin() * x.tanh()).sum()

    assert ag.gradcheck(f, (x,))
    f(x).backward()
    xd = x.data
    expected = np.exp(xd) * xd + np.exp(xd) + np.cos(np.exp(xd)) * np.exp(xd) * np.tanh(xd) + np.sin(
        np.exp(xd)) * (1 - np.tanh(xd) ** 2)
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-12)


def test_multi_output_split_both_and_partial_use():
    x = t64(6, 2)
    a, b, c = x.split(2)
    (a * 2 + c * 3).sum().backward()
    expected = np.concatenate([np.full((2, 2), 2.0), np.zeros((2, 2)), np.full((2, 2), 3.0)])
    np.testing.assert_array_equal(x.grad.data, expected)
    assert a.grad_fn is b.grad_fn and a.grad_fn.name() == "SplitBackward"


def test_deep_chain_100k_backward_frees_and_no_recursion():
    x = ag.tensor(1.0, dtype=ag.float64, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.00001
    order = ag.topological_order([y.grad_fn])
    assert len(order) == 100_000
    y.backward()
    np.testing.assert_allclose(x.grad.item(), 1.00001**100_000, rtol=1e-9)
    assert y.grad_fn.inputs is None  # saved data released
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()
    del y, order  # dropping a 100k-deep graph must not overflow the C stack either
    gc.collect()


def test_intermediates_freed_after_backward_without_gc():
    gc.disable()
    try:
        x = t64(4)
        h = x.exp()
        ref = weakref.ref(h)
        loss = (h * 3.0).sum()
        del h
        assert ref() is not None  # still saved for backward
        loss.backward()
        assert ref() is None, "an intermediate survived backward: a reference cycle or a leak"
        h2 = x.tanh()
        ref2 = weakref.ref(h2)
        loss2 = (h2 * h2).sum()
        del h2, loss2  # dropping the graph frees it by reference counting alone
        assert ref2() is None
    finally:
        gc.enable()


def test_no_tensor_objects_accumulate_over_steps():
    w = t64(3, 3)
    x = ag.tensor(np.ones((2, 3)))

    def step():
        loss = (x @ w).tanh().sum()
        loss.backward()

    step()
    gc.collect()
    before = sum(isinstance(o, ag.Tensor) for o in gc.get_objects())
    for _ in range(50):
        step()
    gc.collect()
    after = sum(isinstance(o, ag.Tensor) for o in gc.get_objects())
    assert after - before <= 2


# ---------------------------------------------------------------------- accumulation and retain_graph
def test_retain_graph_doubles_exactly():
    x = t64(3)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    g1 = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_array_equal(x.grad.data, 2 * g1)


def test_second_backward_error_text():
    x = t64(3)
    y = x.exp().sum()
    y.backward()
    with pytest.raises(RuntimeError) as e:
        y.backward()
    assert "Trying to backward through the graph a second time" in str(e.value)
    assert "retain_graph=True" in str(e.value)


def test_grads_do_not_alias_each_other_or_the_upstream_gradient():
    x, y = t64(3), t64(3, rng=np.random.default_rng(1))
    g = np.array([1.0, 2.0, 3.0])
    g_copy = g.copy()
    (x + y).backward(g)
    assert not np.shares_memory(x.grad.data, y.grad.data)
    assert not np.shares_memory(x.grad.data, g)
    np.testing.assert_array_equal(g, g_copy)
    x.grad.data[0] = 100.0
    assert y.grad.data[0] == 1.0


def test_backward_with_inputs_only_accumulates_there():
    x, w = t64(3), t64(3, rng=np.random.default_rng(2))
    h = x * w
    (h * h).sum().backward(inputs=[w])
    assert x.grad is None
    np.testing.assert_allclose(w.grad.data, 2 * x.data**2 * w.data)


def test_backward_with_nonleaf_input():
    x = t64(3)
    h = x.exp()
    (h * 2).sum().backward(inputs=[h])
    np.testing.assert_array_equal(h.grad.data, np.full(3, 2.0))
    assert x.grad is None


def test_grad_function_does_not_touch_dot_grad_and_handles_unused():
    x, z = t64(3), t64(3)
    y = (x * x).sum()
    (gx,) = ag.grad(y, x, retain_graph=True)
    np.testing.assert_allclose(gx.data, 2 * x.data)
    assert x.grad is None
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        ag.grad(y, [x, z], retain_graph=True)
    gx2, gz = ag.grad(y, [x, z], allow_unused=True)
    assert gz is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        ag.grad((x * 2).sum(), [ag.tensor([1.0])])


def test_grad_of_intermediate():
    x = t64(3)
    h = x.sin()
    y = (h * h).sum()
    (gh,) = ag.grad(y, h)
    np.testing.assert_allclose(gh.data, 2 * np.sin(x.data))


# ---------------------------------------------------------------------- higher order
def test_create_graph_second_and_third_derivative():
    x = ag.tensor(1.5, dtype=ag.float64, requires_grad=True)
    y = x**3
    (g,) = ag.grad(y, x, create_graph=True)
    assert g.requires_grad and g.item() == pytest.approx(3 * 1.5**2)
    (gg,) = ag.grad(g, x, create_graph=True)
    assert gg.item() == pytest.approx(6 * 1.5)
    (ggg,) = ag.grad(gg, x)
    assert ggg.item() == pytest.approx(6.0)


def test_backward_create_graph_then_grad_of_grad_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    xd, wd = rng.standard_normal((2, 3)), rng.standard_normal((3, 3))
    x, w = ag.tensor(xd, requires_grad=True), ag.tensor(wd, requires_grad=True)
    loss = (x @ w).tanh().pow(2).sum()
    loss.backward(create_graph=True)
    gnorm = (w.grad * w.grad).sum()
    w.grad = None
    gnorm.backward()
    tx, tw = torch.tensor(xd, requires_grad=True), torch.tensor(wd, requires_grad=True)
    tloss = (tx @ tw).tanh().pow(2).sum()
    tloss.backward(create_graph=True)
    tg = (tw.grad * tw.grad).sum()
    tw.grad = None
    tg.backward()
    np.testing.assert_allclose(w.grad.data, tw.grad.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(x.grad.data, tx.grad.detach().numpy(), rtol=1e-10)


def test_hessian_vector_product_of_quadratic():
    rng = np.random.default_rng(4)
    a = rng.standard_normal((4, 4))
    x = ag.tensor(rng.standard_normal(4), requires_grad=True)
    v = rng.standard_normal(4)
    A = ag.tensor(a)
    f = x @ (A @ x)
    (g,) = ag.grad(f, x, create_graph=True)
    (hv,) = ag.grad(g, x, grad_outputs=ag.tensor(v))
    np.testing.assert_allclose(hv.data, (a + a.T) @ v, rtol=1e-12)


def test_once_differentiable_function_raises_on_double_backward():
    class Square(ag.Function):
        differentiable = False

        def forward(self, x):
            self.x = x
            return x * x

        def backward(self, g):
            return 2 * g * self.x

    x = t64(3)
    (g,) = ag.grad(Square.apply(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.data, 2 * x.data)
    with pytest.raises(NotImplementedError, match="once-differentiable"):
        g.sum().backward()


# ---------------------------------------------------------------------- hooks
def test_leaf_hook_can_replace_grad_and_be_removed():
    x = t64(3)
    seen = []
    h = x.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 2)
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.full(3, 6.0))
    np.testing.assert_array_equal(seen[0], np.full(3, 3.0))
    h.remove()
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.full(3, 3.0))


def test_nonleaf_hook_changes_what_flows_upstream_and_retain_grad():
    x = t64(3)
    h = x * 2
    h.retain_grad()
    h.register_hook(lambda g: g * 10)
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.data, 10 * 2 * h.data)  # retained grad sees the hooked value
    np.testing.assert_allclose(x.grad.data, 2 * 10 * 2 * h.data)
    assert h.retains_grad


def test_nonleaf_grad_access_warns():
    x = t64(2)
    h = x * 2
    h.sum().backward()
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert h.grad is None


# ---------------------------------------------------------------------- grad mode
def test_no_grad_enable_grad_set_grad_enabled_forms():
    x = t64(2)
    with ag.no_grad():
        assert not (x * 2).requires_grad
        with ag.enable_grad():
            assert (x * 2).requires_grad
    assert (x * 2).requires_grad

    @ag.no_grad()
    def f(v):
        return v * 2

    assert not f(x).requires_grad
    assert ag.is_grad_enabled()
    ag.set_grad_enabled(False)
    assert not ag.is_grad_enabled()
    ag.set_grad_enabled(True)
    with ag.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert ag.is_grad_enabled()

    @ag.set_grad_enabled(False)
    def g(v):
        return v * 2

    assert ag.is_grad_enabled()  # decorating did not switch the mode
    assert not g(x).requires_grad


def test_grad_mode_is_thread_local():
    x = t64(2)
    ready, done = threading.Event(), threading.Event()
    result = {}

    def worker():
        ready.wait()
        result["rg"] = (x * 2).requires_grad
        done.set()

    th = threading.Thread(target=worker)
    th.start()
    with ag.no_grad():
        ready.set()
        done.wait()
        assert not (x * 2).requires_grad
    th.join()
    assert result["rg"] is True


# ---------------------------------------------------------------------- in-place
def test_inplace_on_saved_tensor_raises_with_versions():
    x = t64(3)
    y = x.exp()
    y.add_(1)
    with pytest.raises(RuntimeError) as e:
        y.sum().backward()
    msg = str(e.value)
    assert "modified by an inplace operation" in msg
    assert "is at version 1; expected version 0 instead" in msg
    assert "ExpBackward" in msg


def test_inplace_not_saved_is_fine_and_matches_torch():
    torch = pytest.importorskip("torch")
    xd = np.array([0.5, -1.0, 2.0])
    x = ag.tensor(xd, requires_grad=True)
    y = x * 2
    z = y + 1  # Add saves nothing: modifying y later is allowed
    y.mul_(3)
    y += 1
    (z * y).sum().backward()
    tx = torch.tensor(xd, requires_grad=True)
    ty = tx * 2
    tz = ty + 1
    ty.mul_(3)
    ty += 1
    (tz * ty).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy())


def test_inplace_on_leaf_requiring_grad_raises_and_no_grad_allows_it():
    w = t64(3)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable"):
        w[0].add_(1)
    v0 = w._version
    with ag.no_grad():
        w.add_(1)
        w -= 0.5
    assert w._version == v0 + 2
    assert w.is_leaf and w.requires_grad


def test_setitem_grads_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    xd, vd = rng.standard_normal((3, 4)), rng.standard_normal(4)
    x, v = ag.tensor(xd, requires_grad=True), ag.tensor(vd, requires_grad=True)
    y = x * 1.0
    y[1] = v * 2
    (y * y).sum().backward()
    tx, tv = torch.tensor(xd, requires_grad=True), torch.tensor(vd, requires_grad=True)
    ty = tx * 1.0
    ty[1] = tv * 2
    (ty * ty).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy())
    np.testing.assert_allclose(v.grad.data, tv.grad.numpy())


def test_detach_shares_memory_and_version():
    x = t64(3)
    d = x.detach()
    assert np.shares_memory(d.numpy(), x.data) and not d.requires_grad
    d.add_(1)
    assert x._version == 1


# ---------------------------------------------------------------------- numpy interop and dtypes
def test_numpy_ufuncs_record_or_refuse():
    x = t64(3)
    y = np.exp(x)
    assert isinstance(y, ag.Tensor) and y.grad_fn.name() == "ExpBackward"
    z = np.ones(3) * x  # ndarray on the left defers to the Tensor
    assert isinstance(z, ag.Tensor) and z.requires_grad
    # np.spacing: a ufunc no op maps (PyTorch has no counterpart), so it stays unmapped as ops are added
    with pytest.raises(TypeError, match="silently detach"):
        np.spacing(x)
    c = ag.tensor([0.5, 1.0])
    assert isinstance(np.spacing(c), ag.Tensor)


def test_numpy_and_asarray_refused_for_grad_tensors():
    x = t64(3)
    for f in (lambda: x.numpy(), lambda: np.asarray(x)):
        with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"):
            f()
    assert np.shares_memory(np.asarray(x.detach()), x.data)


def test_dtype_rules():
    assert ag.tensor([1.0, 2.0]).dtype == ag.float32
    assert ag.tensor([1, 2]).dtype == ag.int64
    assert ag.tensor(np.zeros(2)).dtype == ag.float64
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    assert (x * 2.5 + 1).dtype == ag.float32  # Python scalars never upcast float32
    assert (ag.tensor([1, 2]) * 1.5).dtype == ag.float32
    assert (ag.tensor([1, 2]) / 2).dtype == ag.float32
    assert (ag.tensor([1, 2]) + x).dtype == ag.float32
    assert (x > 1).dtype == ag.bool and not (x > 1).requires_grad
    assert not x.argmax().requires_grad and x.argmax().dtype == ag.int64


def test_int_tensor_cannot_require_grad():
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype can require gradients"):
        ag.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        ag.arange(3).requires_grad_()


def test_repr_like_pytorch():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<MulBackward>)"
    assert repr(ag.tensor([0.5, 0.25], dtype=ag.float64)) == "tensor([0.5000, 0.2500], dtype=float64)"


# ---------------------------------------------------------------------- observers and anomaly
def test_observer_sees_each_step_of_the_grad_table():
    class Rec(ag.BackwardObserver):
        def __init__(self):
            self.nodes, self.contribs, self.leaves = [], [], []

        def on_node(self, node, grads):
            self.nodes.append(node.name())

        def on_contribution(self, node, i, target, grad):
            self.contribs.append((node.name(), i))

        def on_leaf(self, t, g):
            self.leaves.append(g.copy())

    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with ag.observe(Rec()) as rec:
        (x * x).sum().backward()
    assert rec.nodes == ["SumBackward", "MulBackward"]
    assert rec.contribs == [("SumBackward", 0), ("MulBackward", 0), ("MulBackward", 1)]
    np.testing.assert_array_equal(rec.leaves[0], [2.0, 4.0])


def test_anomaly_names_forward_op_that_made_nan():
    x = ag.tensor([1.0, -1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        with ag.detect_anomaly():
            y = x * 2
            with pytest.raises(RuntimeError, match="forward op 'Log' produced nan"):
                y.log()
    assert not ag.is_anomaly_enabled()


def test_anomaly_backward_nan_names_the_node():
    x = ag.tensor([0.0], requires_grad=True)
    with pytest.warns(UserWarning):
        with ag.detect_anomaly(check_nan=True):
            y = x.sqrt() * 0.0  # sqrt'(0) = inf; inf * 0 = nan in backward only
            with pytest.raises(RuntimeError, match="Function 'SqrtBackward' returned nan values in its 0th output"):
                y.sum().backward()


def test_hooks_registered_on_tensor_without_grad_fail():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        ag.tensor([1.0]).register_hook(lambda g: g)


def test_cast_keeps_gradient_dtype_and_second_order():
    x = ag.tensor([0.5, 1.5], requires_grad=True)  # float32
    y = x.double()
    assert y.dtype == ag.float64 and y.grad_fn.name() == "CastBackward"
    (g,) = ag.grad((y**3).sum(), x, create_graph=True)
    assert g.dtype == ag.float32
    np.testing.assert_allclose(g.data, 3 * x.data**2, rtol=1e-6)
    (gg,) = ag.grad(g.sum(), x)
    np.testing.assert_allclose(gg.data, 6 * x.data, rtol=1e-6)
    assert x.to(ag.float32) is x


def test_zero_and_fill_give_zero_gradient_to_the_overwritten_tensor():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    v = ag.tensor(3.0, requires_grad=True)
    y = x * 2
    y.zero_()
    z = x * 1
    z.fill_(v)
    (y.sum() + (z * z).sum()).backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])
    assert v.grad.item() == pytest.approx(12.0)


def test_numpy_reductions_on_tensors_stay_in_the_graph():
    x = ag.tensor([1.0, 2.0, 4.0], dtype=ag.float64, requires_grad=True)
    s = np.sum(x)
    assert isinstance(s, ag.Tensor) and s.requires_grad
    assert np.std(x).item() == pytest.approx(np.std([1.0, 2.0, 4.0]))  # numpy's ddof=0
    assert x.std().item() == pytest.approx(np.std([1.0, 2.0, 4.0], ddof=1))  # PyTorch's default
    assert np.max(x).item() == 4.0 and np.mean(x).item() == pytest.approx(7 / 3)
    (s + np.mean(x)).backward()
    np.testing.assert_allclose(x.grad.data, np.full(3, 1 + 1 / 3))


def test_gradient_buffers_kept_only_when_unshared():
    # Mul's fresh output gradient is handed by Add to both leaves: one may keep it, the other must copy.
    x, y = t64(3), t64(3, rng=np.random.default_rng(1))
    ((x + y) * 2).sum().backward()
    assert not np.shares_memory(x.grad.data, y.grad.data)
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0, 2.0])
    x.grad.data[0] = 7.0
    assert y.grad.data[0] == 2.0
    # views of one fresh buffer (reshape of a shared gradient) must not be taken over either
    a, b = t64(2, 3), t64(6, rng=np.random.default_rng(4))
    ((a.reshape(6) + b) * 2).sum().backward()
    assert not np.shares_memory(a.grad.data, b.grad.data)
    a.grad.data[0, 0] = 9.0
    assert b.grad.data[0] == 2.0
    # a kernel's fresh gradient (conv input gradient, reshaped) is kept without a copy and is its own memory
    xi = ag.tensor(np.random.default_rng(5).standard_normal((2, 1, 5, 5)), requires_grad=True)
    wk = ag.tensor(np.random.default_rng(6).standard_normal((2, 1, 3, 3)), requires_grad=True)
    ag.nn.functional.conv2d(xi, wk, padding=1).sum().backward()
    assert not np.shares_memory(xi.grad.numpy(), wk.grad.numpy()) and xi.grad.numpy().flags.writeable
    # an observer holding the gradient keeps it from being taken over
    class Keep(ag.BackwardObserver):
        def on_leaf(self, t, g):
            self.g = g

    w = t64(3)
    with ag.observe(Keep()) as k:
        (w * 3.0).sum().backward()
    assert not np.shares_memory(w.grad.data, k.g)
