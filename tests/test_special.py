"""torch.special's namespace: tails and edge values (against mpmath, then PyTorch), dtypes, the derivatives
PyTorch does not implement, non-differentiable functions and the aliases. Smooth values and gradients are in
the op table (tests/op_db_special.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_core as ag
import autograd_core.special as S


def _torch():
    return pytest.importorskip("torch")


def _v(name, *xs):
    return getattr(S, name)(*(ag.tensor(np.asarray(x, np.float64)) for x in xs)).numpy()


def test_tails_are_accurate():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    # far in the lower tail log Phi(x) ~ -x^2/2: no underflow to -inf
    for x in (-40.0, -300.0):
        want = float(mpmath.log(mpmath.ncdf(x)))
        np.testing.assert_allclose(_v("log_ndtr", [x]), [want], rtol=1e-13)
    for p in (1e-300, 1e-20, 1e-5, 0.3, 0.999):  # the quantile maps back onto p (in exact arithmetic)
        np.testing.assert_allclose(float(mpmath.re(mpmath.ncdf(float(_v("ndtri", [p])[0])))), p, rtol=1e-13)
    for x in (0.5, 9.9, 10.1, 1e3, 1e5):
        np.testing.assert_allclose(_v("erfcx", [x]), [float(mpmath.exp(x * x) * mpmath.erfc(x))], rtol=1e-13)
    for x in (29.0, 31.0, 1e4):
        want = float(mpmath.besseli(0, x) * mpmath.exp(-x))
        np.testing.assert_allclose(_v("i0e", [x]), [want], rtol=1e-14)
        np.testing.assert_allclose(_v("i1e", [-x]), [-float(mpmath.besseli(1, x) * mpmath.exp(-x))], rtol=1e-14)
    a, x = [0.5, 10.0, 100.0, 1000.0], [1.0, 12.0, 90.0, 1010.0]
    want = [float(mpmath.gammainc(u, 0, v, regularized=True)) for u, v in zip(a, x)]
    np.testing.assert_allclose(_v("gammainc", a, x), want, rtol=1e-12)
    # a negative q with an integer s sums real powers: zeta(2, -1.5) = (-1.5)^-2 + (-0.5)^-2 + zeta(2, 0.5)
    np.testing.assert_allclose(_v("zeta", [2.0, 30.0, 2.0, 1.5], [1.0, 0.9, -1.5, -1.5]),
                               [math.pi ** 2 / 6, float(mpmath.zeta(30, 0.9)),
                                1 / 2.25 + 4 + float(mpmath.zeta(2, 0.5)), np.nan], rtol=1e-13)


def test_edges_and_dtypes_match_torch():
    torch = _torch()
    T = torch.special
    x = [-np.inf, -2.0, -0.0, 0.0, 0.5, np.inf, np.nan]
    for name in ("entr", "ndtr", "log_ndtr", "erfcx", "i0", "i0e", "i1", "i1e", "spherical_bessel_j0"):
        ours, theirs = _v(name, x), getattr(T, name)(torch.tensor(x, dtype=torch.float64)).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-300, err_msg=name)
    p = [-0.1, 0.0, 1.0, 1.5, np.nan]
    np.testing.assert_array_equal(_v("ndtri", p), T.ndtri(torch.tensor(p, dtype=torch.float64)).numpy())
    a, y = [0.0, 1.0, 2.0, -1.0, 2.0], [1.0, 0.0, np.inf, 1.0, -1.0]
    for name in ("gammainc", "gammaincc"):
        np.testing.assert_array_equal(_v(name, a, y), getattr(T, name)(torch.tensor(a, dtype=torch.float64),
                                                                         torch.tensor(y, dtype=torch.float64)).numpy())
    s, q = [1.0, 0.5, 2.0, 2.0], [1.0, 1.0, 0.0, -1.0]
    np.testing.assert_array_equal(_v("zeta", s, q), T.zeta(torch.tensor(s), torch.tensor(q)).double().numpy())
    xs, ys = [0.0, 0.0, 2.0], [-1.0, np.nan, 1.0]
    np.testing.assert_array_equal(_v("xlog1py", xs, ys), T.xlog1py(torch.tensor(xs, dtype=torch.float64),
                                                                    torch.tensor(ys, dtype=torch.float64)).numpy())
    # integers compute in the default float dtype; float32 stays float32
    for name in ("i0", "ndtr", "entr", "erfcx"):
        assert getattr(S, name)(ag.tensor([1, 2])).dtype == np.float32
        assert getattr(S, name)(ag.tensor([1.0], dtype=ag.float32)).dtype == np.float32


def test_gradients_at_the_edges_match_torch():
    torch = _torch()
    T = torch.special
    for name, x in (("entr", [0.0, -1.0, 2.0]), ("i1", [0.0, 1.5]), ("i1e", [0.0, -2.0]), ("i0e", [0.0, 3.0]),
                    ("log_ndtr", [-30.0, 5.0]), ("ndtri", [1e-300, 0.5])):
        a = ag.tensor(x, dtype=ag.float64, requires_grad=True)
        t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        getattr(S, name)(a).sum().backward()
        getattr(T, name)(t).sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-10, err_msg=name)
    xs = ag.tensor([0.0, 0.0, 2.0], dtype=ag.float64, requires_grad=True)
    ys = ag.tensor([-1.0, 2.0, 1.0], dtype=ag.float64, requires_grad=True)
    txs = torch.tensor([0.0, 0.0, 2.0], dtype=torch.float64, requires_grad=True)
    tys = torch.tensor([-1.0, 2.0, 1.0], dtype=torch.float64, requires_grad=True)
    S.xlog1py(xs, ys).sum().backward()
    T.xlog1py(txs, tys).sum().backward()
    np.testing.assert_allclose(xs.grad.numpy(), txs.grad.numpy(), rtol=1e-15)
    np.testing.assert_allclose(ys.grad.numpy(), tys.grad.numpy(), rtol=1e-15)


def test_missing_derivatives_raise_as_pytorch():
    a = ag.tensor([2.0], requires_grad=True)
    x = ag.tensor([1.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="the derivative for 'igamma: input' is not implemented"):
        S.gammainc(a, x).sum().backward()
    with pytest.raises(NotImplementedError, match="the derivative for 'igammac: input' is not implemented"):
        S.gammaincc(a, x).sum().backward()
    with pytest.raises(NotImplementedError, match="the derivative for 'zeta' is not implemented"):
        S.zeta(a + 1, x).sum().backward()
    # the second argument alone differentiates: d/dx P(a, x) = x^(a-1) e^-x / Gamma(a)
    S.gammainc(ag.tensor([2.0]), x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [math.exp(-1.0)], rtol=1e-6)
    for fn in (S.spherical_bessel_j0, S.modified_bessel_i0, S.modified_bessel_i1):
        assert not fn(ag.tensor([0.5], requires_grad=True)).requires_grad
    with pytest.raises(RuntimeError, match="mvlgamma: p has to be greater than or equal to 1, got 0"):
        S.multigammaln(ag.tensor([3.0]), 0)


def test_aliases_and_names():
    torch = _torch()
    x = ag.tensor([0.3, 1.7], dtype=ag.float64)
    t = torch.tensor([0.3, 1.7], dtype=torch.float64)
    for name in ("expit", "gammaln", "psi", "erf", "erfc", "expm1", "exp2", "log1p", "sinc", "digamma", "i0"):
        np.testing.assert_allclose(getattr(S, name)(x).numpy(), getattr(torch.special, name)(t).numpy(),
                                   rtol=1e-12, err_msg=name)
    np.testing.assert_allclose(S.softmax(x, 0).numpy(), torch.special.softmax(t, 0).numpy())
    np.testing.assert_allclose(S.log_softmax(x, 0, dtype=ag.float32).numpy(),
                               torch.special.log_softmax(t, 0, dtype=torch.float32).numpy(), rtol=1e-6)
    assert S.log_softmax(x, 0, dtype=ag.float32).dtype == np.float32
    np.testing.assert_allclose(S.logit(x * 0.5).numpy(), torch.special.logit(t * 0.5).numpy())
    np.testing.assert_allclose(S.polygamma(2, x).numpy(), torch.special.polygamma(2, t).numpy())
    np.testing.assert_allclose(ag.mvlgamma(x + 2, 3).numpy(), torch.mvlgamma(t + 2, 3).numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.mvlgamma(1).numpy(), t.mvlgamma(1).numpy())
    assert not hasattr(ag, "xlog1py") and not hasattr(x, "xlog1py")  # torch.special only
    assert ag.special is S and set(S.__all__) <= set(dir(torch.special))
