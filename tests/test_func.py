"""``autograd_core.func`` against ``torch.func``: values of every transform and their compositions (per-sample
gradients, ensembles, Hessians), pytrees, has_aux, and the error messages; the first checks need no PyTorch
(closed forms), the rest compare with torch 2.13."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import autograd_core.func as agf
from autograd_core import nn

F = nn.functional


def _torch():
    return pytest.importorskip("torch")


def _np(t):
    return t.detach().numpy()


# ---------------------------------------------------------------------- closed forms (no PyTorch)
def test_grad_hessian_and_jacobian_closed_forms():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 3))
    x0 = rng.standard_normal(3)
    x = ag.tensor(x0)
    A = ag.tensor(a)

    def quad(v):
        return v @ A @ v

    np.testing.assert_allclose(_np(agf.grad(quad)(x)), (a + a.T) @ x0, atol=1e-12)
    np.testing.assert_allclose(_np(agf.hessian(quad)(x)), a + a.T, atol=1e-12)
    np.testing.assert_allclose(_np(agf.jacrev(lambda v: A @ v)(x)), a, atol=1e-12)
    np.testing.assert_allclose(_np(agf.jacfwd(lambda v: A @ v)(x)), a, atol=1e-12)
    # grad of grad: d/dx of d/dx sin(x) = -sin(x)
    np.testing.assert_allclose(_np(agf.grad(agf.grad(ag.sin))(ag.tensor(0.7, dtype=ag.float64))), -np.sin(0.7))
    # results of a transform called on inputs that need no grad carry no graph
    assert agf.grad(quad)(x).grad_fn is None and agf.jacrev(lambda v: A @ v)(x).grad_fn is None


def test_vjp_jvp_closed_forms():
    a = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    A = ag.tensor(a)
    x = ag.tensor([0.5, -1.0], dtype=ag.float64)
    out, fn = agf.vjp(lambda v: A @ v, x)
    np.testing.assert_allclose(_np(out), a @ [0.5, -1.0])
    (g,) = fn(ag.tensor([1.0, 0.0, -1.0], dtype=ag.float64))
    np.testing.assert_allclose(_np(g), a.T @ [1.0, 0.0, -1.0])
    out, jv = agf.jvp(lambda v: A @ v, (x,), (ag.tensor([1.0, 2.0], dtype=ag.float64),))
    np.testing.assert_allclose(_np(jv), a @ [1.0, 2.0])


def test_vmap_stacks_slices_along_in_and_out_dims():
    x = ag.tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_allclose(_np(agf.vmap(ag.sum)(x)), [3.0, 12.0])
    np.testing.assert_allclose(_np(agf.vmap(ag.sum, in_dims=1)(x)), [3.0, 5.0, 7.0])
    y = agf.vmap(lambda r, s: r * s, in_dims=(0, None))(x, 2.0)
    np.testing.assert_allclose(_np(y), 2 * np.arange(6.0).reshape(2, 3))
    a, b = agf.vmap(lambda r: (r, r.sum()), out_dims=(1, 0))(x)
    assert tuple(a.shape) == (3, 2) and tuple(b.shape) == (2,)
    d = agf.vmap(lambda t: t["a"] * 2, in_dims=({"a": 0},))({"a": x})
    assert tuple(d.shape) == (2, 3)


def test_functional_call_swaps_and_restores():
    m = nn.Linear(2, 1)
    w0 = _np(m.weight).copy()
    params = {"weight": ag.tensor([[1.0, 2.0]]), "bias": ag.tensor([0.5])}
    out = agf.functional_call(m, params, (ag.tensor([[1.0, 1.0]]),))
    np.testing.assert_allclose(_np(out), [[3.5]])
    np.testing.assert_array_equal(_np(m.weight), w0)
    assert isinstance(m.weight, nn.Parameter)


# ---------------------------------------------------------------------- against torch.func
def _mlp_pair(torch):
    ag.manual_seed(0)
    m = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3)).double()
    tm = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3)).double()
    tm.load_state_dict({k: torch.tensor(_np(v)) for k, v in m.state_dict().items()})
    return m, tm


def test_per_sample_gradients_match_torch():
    # the torch.func tutorial's pattern: vmap(grad(loss of functional_call)) over a batch
    torch = _torch()
    tf = torch.func
    m, tm = _mlp_pair(torch)
    rng = np.random.default_rng(1)
    xs, ys = rng.standard_normal((6, 4)), rng.integers(0, 3, 6)

    def loss(params, buffers, x, y, mod, lib, Fn, fc):
        out = fc(mod, (params, buffers), (x.unsqueeze(0),))
        return Fn.cross_entropy(out, y.unsqueeze(0))

    params = {k: v.detach() for k, v in m.named_parameters()}
    tparams = {k: v.detach() for k, v in tm.named_parameters()}
    ours = agf.vmap(agf.grad(lambda p, b, x, y: loss(p, b, x, y, m, ag, F, agf.functional_call)),
                    in_dims=(None, None, 0, 0))(params, {}, ag.tensor(xs), ag.tensor(ys))
    theirs = tf.vmap(tf.grad(lambda p, b, x, y: loss(p, b, x, y, tm, torch, torch.nn.functional,
                                                     tf.functional_call)),
                     in_dims=(None, None, 0, 0))(tparams, {}, torch.tensor(xs), torch.tensor(ys))
    assert set(ours) == set(theirs)
    for k in ours:
        assert tuple(ours[k].shape) == tuple(theirs[k].shape) == (6, *params[k].shape)
        np.testing.assert_allclose(_np(ours[k]), theirs[k].numpy(), atol=1e-12)


def test_ensemble_with_stack_module_state_matches_torch():
    torch = _torch()
    tf = torch.func
    pairs = [_mlp_pair(torch) for _ in range(3)]
    for i, (m, tm) in enumerate(pairs):  # make the members differ
        with ag.no_grad():
            m[0].bias.add_(float(i))
        with torch.no_grad():
            tm[0].bias.add_(float(i))
    p, b = agf.stack_module_state([m for m, _ in pairs])
    tp, tb = tf.stack_module_state([tm for _, tm in pairs])
    assert all(v.requires_grad and v.is_leaf for v in p.values())
    x = np.random.default_rng(2).standard_normal((2, 4))
    base, tbase = pairs[0]

    def call(params, buffers, data):
        return agf.functional_call(base, (params, buffers), (data,))

    def tcall(params, buffers, data):
        return tf.functional_call(tbase, (params, buffers), (data,))

    ours = agf.vmap(call, in_dims=(0, 0, None))(p, b, ag.tensor(x))
    theirs = tf.vmap(tcall, in_dims=(0, 0, None))(tp, tb, torch.tensor(x))
    np.testing.assert_allclose(_np(ours), theirs.detach().numpy(), atol=1e-12)
    # and gradients flow to the stacked leaves through the vmapped calls
    ours.sum().backward()
    theirs.sum().backward()
    for k in p:
        np.testing.assert_allclose(p[k].grad.numpy(), tp[k].grad.numpy(), atol=1e-12)


def test_jacobians_hessians_pytrees_and_aux_match_torch():
    torch = _torch()
    tf = torch.func
    rng = np.random.default_rng(3)
    xa, ya = rng.standard_normal(3), rng.standard_normal(3)

    def f(lib):
        return lambda x, y: ((x * y).sin(), (x ** 2 * y).sum())

    ours = agf.jacrev(f(ag), argnums=(0, 1))(ag.tensor(xa), ag.tensor(ya))
    theirs = tf.jacrev(f(torch), argnums=(0, 1))(torch.tensor(xa), torch.tensor(ya))
    for o_out, t_out in zip(ours, theirs):
        for o, t in zip(o_out, t_out):
            np.testing.assert_allclose(_np(o), t.numpy(), atol=1e-12)
    h = agf.hessian(lambda x: (x.exp() * x).sum())(ag.tensor(xa))
    th = tf.hessian(lambda x: (x.exp() * x).sum())(torch.tensor(xa))
    np.testing.assert_allclose(_np(h), th.numpy(), atol=1e-12)
    # pytree input and has_aux
    g, aux = agf.grad(lambda d: ((d["a"] * d["b"]).sum(), d["a"].mean()), has_aux=True)(
        {"a": ag.tensor(xa), "b": ag.tensor(ya)})
    tg, taux = tf.grad(lambda d: ((d["a"] * d["b"]).sum(), d["a"].mean()), has_aux=True)(
        {"a": torch.tensor(xa), "b": torch.tensor(ya)})
    np.testing.assert_allclose(_np(g["a"]), tg["a"].numpy())
    np.testing.assert_allclose(_np(g["b"]), tg["b"].numpy())
    np.testing.assert_allclose(_np(aux), taux.numpy())
    # jvp with a tuple output, and jacfwd == jacrev
    o, t = agf.jvp(f(ag), (ag.tensor(xa), ag.tensor(ya)), (ag.ones(3, dtype=ag.float64), ag.zeros(3, dtype=ag.float64)))
    to, tt = tf.jvp(f(torch), (torch.tensor(xa), torch.tensor(ya)), (torch.ones(3, dtype=torch.float64),
                                                                       torch.zeros(3, dtype=torch.float64)))
    for a, b in zip(t, tt):
        np.testing.assert_allclose(_np(a), b.numpy(), atol=1e-12)
    jf = agf.jacfwd(lambda x: x.tanh() * 2)(ag.tensor(xa))
    np.testing.assert_allclose(_np(jf), tf.jacfwd(lambda x: x.tanh() * 2)(torch.tensor(xa)).numpy(), atol=1e-12)


def test_outer_autograd_reaches_through_a_transform_as_torch():
    # grad(f)(x) with x requiring grad is itself differentiable with ordinary backward (torch.func does that)
    torch = _torch()
    x = ag.tensor([0.3, -0.4], dtype=ag.float64, requires_grad=True)
    tx = torch.tensor([0.3, -0.4], dtype=torch.float64, requires_grad=True)
    agf.grad(lambda v: (v ** 3).sum())(x).sum().backward()
    torch.func.grad(lambda v: (v ** 3).sum())(tx).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())  # 6 x


# ---------------------------------------------------------------------- errors (messages as torch's)
@pytest.mark.parametrize("call, exc, pattern", [
    (lambda: agf.grad(lambda x: x * 2)(ag.ones(3)), RuntimeError,
     r"Expected f\(\*args\) to return a scalar Tensor, got tensor with 1 dims. Maybe you wanted to use the vjp or "
     r"jacrev APIs instead\?"),
    (lambda: agf.grad(lambda x: x.sum())(3.0), ValueError, "Thing passed to transform API must be Tensor"),
    (lambda: agf.grad(lambda x: x.sum(), argnums=2)(ag.ones(3)), RuntimeError,
     "Got argnum=2, but only 1 positional inputs"),
    (lambda: agf.grad(lambda x: x.sum(), has_aux=True)(ag.ones(3)), RuntimeError,
     r"output of function f should be a tuple: \(output, aux\) if has_aux is True"),
    (lambda: agf.grad(lambda x: x.sum())(ag.ones(3, dtype=ag.int64)), RuntimeError,
     "grad: can only differentiate with respect to floating-point tensors, got int64"),
    (lambda: agf.vmap(lambda a, b: a + b)(ag.ones(2, 3), ag.ones(3, 3)), ValueError,
     r"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes \[2, 3\]"),
    (lambda: agf.vmap(lambda a: a.sum(), in_dims=2)(ag.ones(3)), ValueError,
     r"Got in_dim=2 for some input, but that input is a Tensor of dimensionality 1 so expected in_dim to satisfy "
     r"-1 <= in_dim < 1"),
    (lambda: agf.vmap(lambda a: a, in_dims=(0, 1))(ag.ones(3)), ValueError,
     "in_dims is not compatible with the structure of `inputs`"),
    (lambda: agf.vmap(lambda a: 3)(ag.ones(3)), ValueError,
     "must only return Tensors, got type <class 'int'>. Did you mean to set out_dims= to None for output"),
    (lambda: agf.vjp(lambda x: x * 2, ag.ones(2))[1](ag.ones(3)), RuntimeError,
     r"Mismatch in shape: grad_output has a shape of \(3,\) and output has a shape of \(2,\)"),
    (lambda: agf.jvp(lambda x: x, ag.ones(2), ag.ones(2)), RuntimeError,
     "Expected primals and tangents to be tuples"),
    (lambda: agf.functional_call(nn.Linear(2, 1), {"weight": ag.ones(1, 2)}, (ag.ones(1, 2),), strict=True),
     RuntimeError, r"(?s)Error\(s\) in reparametrizing for Linear:.*Missing key\(s\): 'bias'"),
    (lambda: agf.stack_module_state([]), RuntimeError, "Expected at least one model, got 0"),
])
def test_errors_name_the_transform_and_the_fix(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_functional_call_restores_after_an_error():
    m = nn.Linear(2, 1)
    w = m.weight
    with pytest.raises(RuntimeError):
        agf.functional_call(m, {"weight": ag.ones(1, 3)}, (ag.ones(1, 2),))
    assert m.weight is w
