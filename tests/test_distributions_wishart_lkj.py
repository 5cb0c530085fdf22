"""Wishart and LKJCholesky against torch.distributions on the same float64 parameters: log_prob, entropy and
moments with their parameter gradients, gradcheck through our engine, shapes, expand, KL, sample statistics,
the reparameterised Wishart draw's gradient in df, and validation messages."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import distributions as D

torch = pytest.importorskip("torch")
from _dist_helpers import _arr, assert_close, grads, leaves  # noqa: E402

TD = torch.distributions
R = np.random.default_rng(20240917)


def spd(batch: tuple, p: int, rng: np.random.Generator = R) -> np.ndarray:
    """Well-conditioned symmetric positive-definite matrices of shape batch + (p, p)."""
    a = rng.standard_normal(batch + (p, p))
    return a @ np.swapaxes(a, -1, -2) / p + np.eye(p)


def wishart_values(batch: tuple, p: int, n: int) -> np.ndarray:
    """n positive-definite matrices per batch entry, to score."""
    return spd((n,) + batch, p)


def scale_param(kind: str, S: np.ndarray) -> np.ndarray:
    if kind == "covariance_matrix":
        return S
    if kind == "precision_matrix":
        return np.linalg.inv(S)
    return np.linalg.cholesky(S)


def assert_same_grads(ours, theirs, P, TP, what: str, rtol: float = 1e-9, atol: float = 1e-11) -> None:
    w = R.standard_normal(tuple(theirs.shape))
    g1 = grads((ours * ag.tensor(w)).sum(), P)
    g2 = grads((theirs * torch.tensor(w)).sum(), TP)
    assert g1.keys() == g2.keys()
    for k in g1:
        assert g1[k] is not None, f"{what}: no gradient for {k}"
        assert_close(g1[k], g2[k], f"{what}: d/d{k}", rtol=rtol, atol=atol)


# ----------------------------------------------------------------------------------------------- Wishart
WISHART_CASES = [
    # (df, batch of the matrix, p)
    (np.array(4.5), (), 3),
    (np.array([3.2, 7.0]), (2,), 3),
    (np.array([2.5, 4.0, 9.0]), (), 2),       # df batch only: the matrix broadcasts
    (np.array(5.0), (2, 1), 4),
    (np.array([[6.0], [3.5]]), (3,), 3),       # df (2, 1) with a (3,)-batch matrix: batch (2, 3)
]


@pytest.mark.parametrize("kind", ["covariance_matrix", "precision_matrix", "scale_tril"])
@pytest.mark.parametrize("case", range(len(WISHART_CASES)))
def test_wishart_matches_torch(kind, case):
    df, mbatch, p = WISHART_CASES[case]
    S = spd(mbatch, p)
    P, TP = leaves({"df": df, kind: scale_param(kind, S)})

    def make():
        # fresh distributions per quantity: each backward frees the graph of the Cholesky factor they share
        return D.Wishart(P["df"], **{kind: P[kind]}), TD.Wishart(TP["df"], **{kind: TP[kind]})

    d, t = make()
    assert d.batch_shape == tuple(t.batch_shape) and d.event_shape == tuple(t.event_shape)
    batch = tuple(t.batch_shape)
    X = wishart_values(batch, p, 4)
    ours_lp, theirs_lp = d.log_prob(ag.tensor(X)), t.log_prob(torch.tensor(X))
    assert_close(ours_lp, theirs_lp, f"Wishart {kind} log_prob")
    assert_same_grads(ours_lp, theirs_lp, P, TP, f"Wishart {kind} log_prob")
    for name in ("entropy", "mean", "variance", "mode"):
        d, t = make()
        ours = d.entropy() if name == "entropy" else getattr(d, name)
        theirs = t.entropy() if name == "entropy" else getattr(t, name)
        assert_close(ours, theirs, f"Wishart {kind} {name}")
        if np.isfinite(_arr(theirs)).all():
            assert_same_grads(ours, theirs, P, TP, f"Wishart {kind} {name}")
    d, t = make()
    for name in ("covariance_matrix", "precision_matrix", "scale_tril"):
        assert_close(getattr(d, name), getattr(t, name), f"Wishart {kind} .{name}")


def test_wishart_log_prob_gradient_in_value_and_numbers_df():
    S = spd((), 3)
    X = wishart_values((), 3, 2)
    P, TP = leaves({"x": X, "S": S})
    ours = D.Wishart(5.0, covariance_matrix=P["S"]).log_prob(P["x"])
    theirs = TD.Wishart(5.0, covariance_matrix=TP["S"]).log_prob(TP["x"])
    assert_close(ours, theirs, "Wishart(number df) log_prob")
    assert_same_grads(ours, theirs, P, TP, "Wishart log_prob in value")
    assert D.Wishart(5.0, covariance_matrix=P["S"]).df.dtype == ag.float64


def test_wishart_mode_is_nan_without_a_mode():
    # df <= p + 1 has no mode: nan, as torch
    S = spd((), 3)
    df = np.array([3.5, 4.0, 4.5])
    d = D.Wishart(ag.tensor(df), covariance_matrix=ag.tensor(S))
    t = TD.Wishart(torch.tensor(df), covariance_matrix=torch.tensor(S))
    assert_close(d.mode, t.mode, "Wishart mode")
    assert np.isnan(d.mode.numpy()[:2]).all() and np.isfinite(d.mode.numpy()[2]).all()


def test_wishart_log_prob_gradcheck_through_our_engine():
    S = spd((2,), 3)
    X = ag.tensor(wishart_values((2,), 3, 2))
    df = ag.tensor(np.array([4.5, 6.0]), requires_grad=True)
    L = ag.tensor(np.linalg.cholesky(S), requires_grad=True)
    assert ag.gradcheck(lambda a, b: D.Wishart(a, scale_tril=b.tril(), validate_args=False).log_prob(X),
                        (df, L), eps=1e-6, atol=1e-6, rtol=1e-5)
    C = ag.tensor(S, requires_grad=True)
    # a symmetric perturbation of the covariance keeps it a covariance
    assert ag.gradcheck(lambda a, c: D.Wishart(a, covariance_matrix=(c + c.mT) / 2).entropy(),
                        (df, C), eps=1e-6, atol=1e-6, rtol=1e-5)


def test_wishart_kl_matches_torch():
    S1, S2 = spd((2,), 3), spd((2,), 3)
    df1, df2 = np.array([4.0, 6.5]), np.array([5.5, 3.0])
    P, TP = leaves({"df1": df1, "S1": S1, "df2": df2, "S2": S2})
    ours = D.kl_divergence(D.Wishart(P["df1"], covariance_matrix=P["S1"]),
                           D.Wishart(P["df2"], covariance_matrix=P["S2"]))
    theirs = TD.kl_divergence(TD.Wishart(TP["df1"], covariance_matrix=TP["S1"]),
                              TD.Wishart(TP["df2"], covariance_matrix=TP["S2"]))
    assert_close(ours, theirs, "Wishart KL", rtol=1e-8, atol=1e-10)


def test_wishart_expand():
    S = spd((), 3)
    for kind in ("covariance_matrix", "precision_matrix", "scale_tril"):
        d = D.Wishart(ag.tensor(4.5, dtype=ag.float64), **{kind: ag.tensor(scale_param(kind, S))}).expand((2, 3))
        t = TD.Wishart(torch.tensor(4.5, dtype=torch.float64),
                       **{kind: torch.tensor(scale_param(kind, S))}).expand((2, 3))
        assert d.batch_shape == (2, 3) and d.event_shape == (3, 3)
        X = wishart_values((2, 3), 3, 1)
        assert_close(d.log_prob(ag.tensor(X)), t.log_prob(torch.tensor(X)), f"expanded Wishart {kind} log_prob")
        assert_close(d.mean, t.mean, "expanded Wishart mean")
        assert_close(d.entropy(), t.entropy(), "expanded Wishart entropy")
        assert tuple(getattr(d, kind).shape) == (2, 3, 3, 3)
        assert tuple(d.sample((4,)).shape) == (4, 2, 3, 3, 3)


@pytest.mark.parametrize("dtype", [ag.float32, ag.float64])
def test_wishart_sample_shapes_and_dtypes(dtype):
    S = ag.tensor(spd((2,), 3), dtype=dtype)
    d = D.Wishart(ag.tensor([4.0, 5.0], dtype=dtype), covariance_matrix=S)
    assert D.Wishart.has_rsample is True
    for shape in [(), (5,), (2, 3)]:
        s = d.sample(shape)
        assert tuple(s.shape) == tuple(shape) + (2, 3, 3) and s.dtype == dtype
        assert not s.requires_grad
        assert bool(D.constraints.positive_definite.check(s.double()).all())


def test_wishart_sample_statistics_and_repeatability():
    p = 3
    S = spd((), p, np.random.default_rng(3))
    df = 5.5
    d = D.Wishart(ag.tensor(df, dtype=ag.float64), covariance_matrix=ag.tensor(S))
    ag.manual_seed(11)
    n = 20000
    s = d.sample((n,)).numpy()
    # E[X] = df Sigma; Var(X_ij) = df (S_ij^2 + S_ii S_jj): the sample mean within 4 standard errors
    var = df * (S**2 + np.outer(np.diag(S), np.diag(S)))
    z = (s.mean(0) - df * S) / np.sqrt(var / n)
    assert np.abs(z).max() < 4.5, z
    np.testing.assert_allclose(s.var(0), var, rtol=0.1)
    ag.manual_seed(11)
    np.testing.assert_array_equal(d.sample((n,)).numpy(), s)


def test_wishart_rsample_is_differentiable_in_df_and_scale():
    # d E[X] / d df = Sigma and d E[X] / d L = 2 df L per entry: the mean of the pathwise gradients estimates
    # them (the chi2 diagonal is reparameterised implicitly, so df gets a gradient, as in torch)
    p = 2
    S = spd((), p, np.random.default_rng(5))
    L0 = np.linalg.cholesky(S)
    df = ag.tensor(4.0, dtype=ag.float64, requires_grad=True)
    L = ag.tensor(L0, requires_grad=True)
    ag.manual_seed(2)
    n = 20000
    W = np.array([[1.0, 0.3], [0.3, -0.5]])
    x = D.Wishart(df, scale_tril=L).rsample((n,))
    (x * ag.tensor(W)).sum().backward()
    # E[sum(W * X)] = df tr(W Sigma): derivative in df is tr(W S), in L it is df (W + W^T) L
    np.testing.assert_allclose(df.grad.item() / n, np.sum(W * S), rtol=0.05)
    np.testing.assert_allclose(np.tril(L.grad.numpy()) / n, np.tril(4.0 * (W + W.T) @ L0), rtol=0.05, atol=0.05)


def test_wishart_validation_messages():
    S = ag.tensor(spd((), 3))
    with pytest.raises(AssertionError, match="Exactly one of covariance_matrix or precision_matrix or scale_tril"):
        D.Wishart(4.0)
    with pytest.raises(AssertionError, match="Exactly one"):
        D.Wishart(4.0, covariance_matrix=S, scale_tril=S)
    with pytest.raises(ValueError, match="at least two-dimensional"):
        D.Wishart(4.0, covariance_matrix=ag.ones(3, dtype=ag.float64))
    with pytest.raises(ValueError, match="square"):
        D.Wishart(4.0, covariance_matrix=ag.ones(2, 3, dtype=ag.float64))
    with pytest.raises(ValueError, match=r"Value of df=1.5 expected to be greater than ndim - 1 = 2"):
        D.Wishart(1.5, covariance_matrix=S)
    with pytest.raises(ValueError, match=r"expected to be greater than ndim - 1 = 2"):
        D.Wishart(ag.tensor([4.0, 2.0], dtype=ag.float64), covariance_matrix=S, validate_args=False)
    with pytest.raises(ValueError, match=r"Expected parameter covariance_matrix .*PositiveDefinite"):
        D.Wishart(4.0, covariance_matrix=-S)
    with pytest.raises(ValueError, match=r"Expected parameter scale_tril .*LowerCholesky"):
        D.Wishart(4.0, scale_tril=S)
    with pytest.warns(UserWarning, match="Low df values detected"):
        D.Wishart(2.5, covariance_matrix=S)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        D.Wishart(3.0, covariance_matrix=S)  # df >= p: no warning
    d = D.Wishart(4.0, covariance_matrix=S)
    with pytest.raises(ValueError, match="support"):
        d.log_prob(-S)
    with pytest.raises(ValueError, match="right-most size"):
        d.log_prob(ag.eye(2, dtype=ag.float64))


# ----------------------------------------------------------------------------------------------- LKJCholesky
def torch_lkj_values(dim: int, conc: np.ndarray, n: int) -> np.ndarray:
    torch.manual_seed(0)
    return TD.LKJCholesky(dim, torch.tensor(conc)).sample((n,)).numpy()


@pytest.mark.parametrize("dim,conc", [(2, np.array(0.7)), (3, np.array([0.5, 1.0, 3.0])), (5, np.array(2.0)),
                                      (4, np.array([[1.5], [0.3]]))])
def test_lkj_log_prob_matches_torch(dim, conc):
    P, TP = leaves({"c": conc})
    d, t = D.LKJCholesky(dim, P["c"]), TD.LKJCholesky(dim, TP["c"])
    assert d.batch_shape == tuple(t.batch_shape) and d.event_shape == tuple(t.event_shape) == (dim, dim)
    X = torch_lkj_values(dim, conc, 6)
    ours, theirs = d.log_prob(ag.tensor(X)), t.log_prob(torch.tensor(X))
    assert_close(ours, theirs, f"LKJCholesky({dim}) log_prob")
    assert_same_grads(ours, theirs, P, TP, f"LKJCholesky({dim}) log_prob")
    # the value's gradient too
    Pv, TPv = leaves({"x": X})
    ours = D.LKJCholesky(dim, ag.tensor(conc)).log_prob(Pv["x"])
    theirs = TD.LKJCholesky(dim, torch.tensor(conc)).log_prob(TPv["x"])
    assert_same_grads(ours, theirs, Pv, TPv, f"LKJCholesky({dim}) log_prob in value")


def test_lkj_number_concentration_and_no_moments():
    d, t = D.LKJCholesky(3, 2.0), TD.LKJCholesky(3, 2.0)
    assert d.batch_shape == () and d.concentration.dtype == ag.float32 and t.concentration.dtype == torch.float32
    X = torch_lkj_values(3, np.array(2.0), 3).astype(np.float32)
    assert_close(d.log_prob(ag.tensor(X)), t.log_prob(torch.tensor(X)), "LKJCholesky float32", rtol=1e-5, atol=1e-5)
    assert D.LKJCholesky.has_rsample is False
    with pytest.raises(NotImplementedError, match="rsample"):
        d.rsample()
    for name in ("mean", "variance"):  # torch defines neither
        with pytest.raises(NotImplementedError):
            getattr(t, name)
        with pytest.raises(NotImplementedError):
            getattr(d, name)
    with pytest.raises(NotImplementedError):
        d.entropy()


def test_lkj_log_prob_gradcheck_through_our_engine():
    X = ag.tensor(torch_lkj_values(4, np.array([0.8, 2.5]), 3))
    c = ag.tensor(np.array([0.8, 2.5]), requires_grad=True)
    assert ag.gradcheck(lambda a: D.LKJCholesky(4, a).log_prob(X), (c,), eps=1e-6, atol=1e-6, rtol=1e-5)
    x = ag.tensor(X.numpy()[0, 0], requires_grad=True)
    assert ag.gradcheck(lambda v: D.LKJCholesky(4, 1.7, validate_args=False).log_prob(v), (x,),
                        eps=1e-6, atol=1e-6, rtol=1e-5)


def test_lkj_expand():
    d = D.LKJCholesky(3, ag.tensor(1.5, dtype=ag.float64)).expand((2, 4))
    t = TD.LKJCholesky(3, torch.tensor(1.5, dtype=torch.float64)).expand((2, 4))
    assert d.batch_shape == (2, 4) and d.event_shape == (3, 3) and d.dim == 3
    X = torch_lkj_values(3, np.full((2, 4), 1.5), 2)
    assert_close(d.log_prob(ag.tensor(X)), t.log_prob(torch.tensor(X)), "expanded LKJCholesky log_prob")
    assert tuple(d.sample((5,)).shape) == (5, 2, 4, 3, 3)


@pytest.mark.parametrize("dtype", [ag.float32, ag.float64])
def test_lkj_samples_are_correlation_cholesky_factors(dtype):
    d = D.LKJCholesky(5, ag.tensor([0.3, 1.0, 4.0], dtype=dtype))
    ag.manual_seed(4)
    s = d.sample((200,))
    assert tuple(s.shape) == (200, 3, 5, 5) and s.dtype == dtype and not s.requires_grad
    v = s.numpy().astype(np.float64)
    tol = 1e-5 if dtype == ag.float32 else 1e-12
    np.testing.assert_allclose(np.linalg.norm(v, axis=-1), 1.0, atol=tol)
    assert (np.triu(v, 1) == 0).all()
    assert (np.diagonal(v, axis1=-2, axis2=-1) > 0).all()
    assert bool(D.constraints.corr_cholesky.check(s).all())
    ag.manual_seed(4)
    np.testing.assert_array_equal(d.sample((200,)).numpy(), s.numpy())


@pytest.mark.parametrize("dim,eta", [(3, 1.0), (4, 1.0), (5, 2.0), (3, 0.5)])
def test_lkj_sample_correlations_have_the_lkj_marginal(dim, eta):
    # Every correlation r of an LKJ(eta) matrix is 2 B - 1, B ~ Beta(b, b), b = eta - 1 + dim/2: mean 0 and
    # variance 1 / (2 b + 1), in every row (torch 2.13's onion draw is off in rows >= 2; ours follows the paper)
    ag.manual_seed(7)
    n = 40000
    L = D.LKJCholesky(dim, ag.tensor(eta, dtype=ag.float64)).sample((n,)).numpy()
    M = L @ np.swapaxes(L, -1, -2)
    i, j = np.tril_indices(dim, -1)
    r = M[:, i, j]
    var = 1 / (2 * (eta - 1 + dim / 2) + 1)
    assert np.abs(r.mean(0)).max() < 4.5 * math.sqrt(var / n), r.mean(0)
    # the variance of r^2 is at most var (r^2 <= 1): a 5-standard-error band on the sample variance
    np.testing.assert_allclose(r.var(0), var, atol=5 * math.sqrt(var / n))
    np.testing.assert_allclose(np.diagonal(M, axis1=-2, axis2=-1), 1.0, atol=1e-12)


def test_lkj_sample_density_is_consistent_with_log_prob():
    # at dim 2, L = [[1, 0], [r, sqrt(1 - r^2)]] with r = 2 B - 1, B ~ Beta(eta, eta): the draws' r follow
    # the density that log_prob normalises (exp(log_prob) integrates to 1 over r in (-1, 1) with dr measure)
    eta = 2.5
    d = D.LKJCholesky(2, ag.tensor(eta, dtype=ag.float64))
    r = np.linspace(-0.999, 0.999, 4001)
    X = np.zeros((len(r), 2, 2))
    X[:, 0, 0], X[:, 1, 0], X[:, 1, 1] = 1.0, r, np.sqrt(1 - r**2)
    dens = np.exp(d.log_prob(ag.tensor(X)).numpy())
    np.testing.assert_allclose(np.trapezoid(dens, r), 1.0, atol=1e-3)
    ag.manual_seed(9)
    s = d.sample((40000,)).numpy()[:, 1, 0]
    np.testing.assert_allclose(s.var(), 1 / (2 * eta + 1), atol=0.005)


def test_lkj_validation_messages():
    for dim in (1, 0):
        with pytest.raises(ValueError, match=f"integer greater than or equal to 2. Found dim={dim}"):
            D.LKJCholesky(dim, 1.0)
    with pytest.raises(ValueError, match=r"Expected parameter concentration .*GreaterThan"):
        D.LKJCholesky(3, ag.tensor([1.0, -0.5]))
    D.LKJCholesky(3, ag.tensor([1.0, -0.5]), validate_args=False)  # not checked when asked not to
    d = D.LKJCholesky(3, 1.0)
    with pytest.raises(ValueError, match="support"):
        d.log_prob(ag.eye(3) * 2)
    with pytest.raises(ValueError, match="right-most size"):
        d.log_prob(ag.eye(2))


def test_module_aliases_like_torch():
    assert D.wishart.Wishart is D.Wishart and TD.wishart.Wishart is TD.Wishart
    assert D.lkj_cholesky.LKJCholesky is D.LKJCholesky and TD.lkj_cholesky.LKJCholesky is TD.LKJCholesky
    assert "Wishart" in D.__all__ and "LKJCholesky" in D.__all__
    assert D.Wishart.support is D.constraints.positive_definite
    assert D.LKJCholesky.support is D.constraints.corr_cholesky
    d = D.Wishart(4.0, covariance_matrix=ag.eye(3))
    assert set(d.arg_constraints) == set(TD.Wishart(4.0, covariance_matrix=torch.eye(3)).arg_constraints)
    assert repr(d.arg_constraints["df"]) == "GreaterThan(lower_bound=2)"
