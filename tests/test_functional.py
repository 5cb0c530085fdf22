"""ag.functional against torch.autograd.functional (float64), and against hand-derived results."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag

torch = pytest.importorskip("torch")
TF = torch.autograd.functional
F = ag.functional


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _lib_pair(a):
    return ag.tensor(a), torch.tensor(a)


def _np(t):
    if isinstance(t, tuple):
        return tuple(_np(x) for x in t)
    return t.detach().numpy()


def _close(a, b):
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for x, y in zip(a, b):
            _close(x, y)
    else:
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-10, atol=1e-12)


FUNCS = {  # single input -> single output, written once for both libraries
    "poly": lambda x: (x ** 3).sum() + x.prod(),
    "vector": lambda x: x.sin() * x,
    "matrix": lambda x: (x @ x.T).tanh(),
}


@pytest.mark.parametrize("name", ["vector", "matrix"])
def test_jacobian_vjp_jvp_match_pytorch(name):
    f = FUNCS[name]
    a = _x(3) if name == "vector" else _x(2, 3)
    xo, xt = _lib_pair(a)
    _close(F.jacobian(f, xo), TF.jacobian(f, xt))
    out_shape = tuple(f(xt).shape)
    v = _x(*out_shape, seed=1)
    _close(F.vjp(f, xo, ag.tensor(v)), TF.vjp(f, xt, torch.tensor(v)))
    u = _x(*a.shape, seed=2)
    _close(F.jvp(f, xo, ag.tensor(u)), TF.jvp(f, xt, torch.tensor(u)))


def test_tuple_inputs_and_outputs():
    def f(x, y):
        return x * y.sum(), (x.exp() @ y)

    a, b = _x(3), _x(3, 2, seed=1)
    (xo, xt), (yo, yt) = _lib_pair(a), _lib_pair(b)
    _close(F.jacobian(f, (xo, yo)), TF.jacobian(f, (xt, yt)))
    v = (_x(3, seed=2), _x(2, seed=3))
    _close(F.vjp(f, (xo, yo), tuple(ag.tensor(t) for t in v)), TF.vjp(f, (xt, yt), tuple(torch.tensor(t) for t in v)))


def test_hessian_hvp_vhp_match_pytorch_and_the_quadratic_form():
    f = FUNCS["poly"]
    a, v = _x(4), _x(4, seed=1)
    xo, xt = _lib_pair(a)
    _close(F.hessian(f, xo), TF.hessian(f, xt))
    _close(F.hvp(f, xo, ag.tensor(v)), TF.hvp(f, xt, torch.tensor(v)))
    _close(F.vhp(f, xo, ag.tensor(v)), TF.vhp(f, xt, torch.tensor(v)))
    # the course's identity: the Hessian of x^T A x is A + A^T
    A = _x(4, 4, seed=5)
    h = F.hessian(lambda x: x @ (ag.tensor(A) @ x), ag.tensor(a))
    np.testing.assert_allclose(h.numpy(), A + A.T, rtol=1e-12)
    # tuple inputs: a tuple of tuples of blocks
    g = lambda x, y: (x * y).sum() ** 2  # noqa: E731
    b = _x(4, seed=6)
    _close(F.hessian(g, (ag.tensor(a), ag.tensor(b))), TF.hessian(g, (torch.tensor(a), torch.tensor(b))))


def test_create_graph_allows_differentiating_the_result():
    x = ag.tensor(_x(3), requires_grad=True)
    _, hv = F.hvp(FUNCS["poly"], x, ag.ones(3, dtype=ag.float64), create_graph=True)
    (g,) = ag.grad(hv.sum(), x)
    xt = torch.tensor(_x(3), requires_grad=True)
    _, hvt = TF.hvp(FUNCS["poly"], xt, torch.ones(3, dtype=torch.float64), create_graph=True)
    (gt,) = torch.autograd.grad(hvt.sum(), xt)
    np.testing.assert_allclose(g.numpy(), gt.numpy(), rtol=1e-10)
    out, jac = F.vjp(lambda t: t * t, ag.tensor([1.0, 2.0]), ag.ones(2))
    assert not out.requires_grad and not jac.requires_grad  # detached without create_graph


def test_grad_and_value_and_grad_transforms():
    f = lambda t: t ** 4  # noqa: E731
    d1 = F.grad(f, create_graph=True)
    assert F.grad(d1)(ag.tensor(2.0)).item() == pytest.approx(48.0)  # 12 x^2
    value, (ga, gb) = F.value_and_grad(lambda a, b: (a * b).sum(), argnums=(0, 1))(ag.ones(2), ag.full((2,), 3.0))
    assert value.item() == 6.0 and ga.tolist() == [3.0, 3.0] and gb.tolist() == [1.0, 1.0]


def test_errors_are_clear():
    with pytest.raises(RuntimeError, match="the vector v can only be None if the user-provided function returns a "
                                           "single Tensor with a single element"):
        F.vjp(lambda t: t * 2, ag.ones(3))
    with pytest.raises(RuntimeError, match="is independent of input 1. This is not allowed in strict mode"):
        F.jacobian(lambda a, b: a * 2, (ag.ones(2), ag.ones(2)), strict=True)
    zero = F.jacobian(lambda a, b: a * 2, (ag.ones(2), ag.ones(2)))[1]
    assert np.all(zero.numpy() == 0) and zero.shape == (2, 2)
    with pytest.raises(RuntimeError, match="hessian should return a single Tensor with a single element"):
        F.hessian(lambda t: t * t, ag.ones(2))
    with pytest.raises(RuntimeError, match="v has shapes \\[\\[2\\]\\] but the input has shapes \\[\\[3\\]\\]"):
        F.jvp(lambda t: t * t, ag.ones(3), ag.ones(2))
    with pytest.raises(TypeError, match="the inputs must be a Tensor or a tuple of Tensors, got list"):
        F.jacobian(lambda t: t, [1.0])
    with pytest.raises(NotImplementedError, match="only strategy='reverse-mode'"):
        F.jacobian(lambda t: t, ag.ones(1), strategy="forward-mode")
