"""autograd_core.distributions against torch.distributions: the same parameters (float64) give the same
log_prob, entropy, moments, cdf/icdf and KL, with the same gradients; samples have torch's shapes and dtypes,
the right statistics and (for rsample) the reparameterisation gradient torch's formulas imply; validation
raises torch's ValueErrors with torch's messages.
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import distributions as D
from autograd_core.distributions import constraints as C
from autograd_core.distributions import transforms as T

torch = pytest.importorskip("torch")
from _dist_helpers import ATOL, RTOL, _arr, assert_close, check_samples_and_expand, grads, leaves  # noqa: E402

TD = torch.distributions

R = np.random.default_rng(20240611)


# ----------------------------------------------------------------------------------------------- helpers
def _spd(n: int, rng: np.random.Generator) -> np.ndarray:
    a = rng.standard_normal((n, n))
    return a @ a.T + n * np.eye(n)










def assert_same_grads(ours_out, torch_out, P, TP, what: str, rtol: float = 1e-9, atol: float = 1e-11,
                      sym: tuple = ()) -> None:
    w = R.standard_normal(tuple(torch_out.shape))
    g1 = grads((ours_out * ag.tensor(w)).sum(), P)
    g2 = grads((torch_out * torch.tensor(w)).sum(), TP)
    assert g1.keys() == g2.keys()
    for k in g1:
        if g2[k] is None:
            assert g1[k] is None or np.allclose(_arr(g1[k]), 0), f"{what}: d/d{k} should be zero"
            continue
        a, b = g1[k], g2[k]
        if k in sym:  # a symmetric matrix parameter: only the symmetric part of the gradient is defined
            a = (a + a.mT) / 2
            b = (b + b.mT) / 2
        assert_close(a, b, f"{what} d/d{k}", rtol, atol)


# ----------------------------------------------------------------------------------------------- the cases
# Each case: parameters (numpy), a builder used with both libraries (lib is D or torch.distributions, P the
# parameters as that library's tensors), values to score (numpy) and symmetric-matrix parameters.
def _case(params, build, values, sym=(), icdf=True):
    return {"params": params, "build": build, "values": values, "sym": sym, "icdf": icdf}


def _counts(shape, hi, rng):
    return rng.integers(0, hi + 1, shape).astype(np.float64)


def _onehot(shape, k, rng):
    return np.eye(k)[rng.integers(0, k, shape)]


def _make_cases() -> dict:
    r = np.random.default_rng(7)
    n3 = _spd(3, r)
    cases = {
        "normal": _case({"loc": r.standard_normal((3, 1)), "scale": r.random(4) + 0.5},
                        lambda lib, P: lib.Normal(P["loc"], P["scale"]), r.standard_normal((2, 3, 4))),
        "normal_numbers": _case({}, lambda lib, P: lib.Normal(0.5, 2.0),
                                r.standard_normal(5).astype(np.float32)),
        "uniform": _case({"low": r.standard_normal(3), "high": r.standard_normal(3) + 4.0},
                         lambda lib, P: lib.Uniform(P["low"], P["high"]), np.full((2, 3), 1.25)),
        "laplace": _case({"loc": r.standard_normal(3), "scale": r.random(3) + 0.3},
                         lambda lib, P: lib.Laplace(P["loc"], P["scale"]), r.standard_normal((4, 3))),
        "exponential": _case({"rate": r.random(3) + 0.2}, lambda lib, P: lib.Exponential(P["rate"]),
                             r.random((4, 3)) * 3),
        "gamma": _case({"concentration": np.array([0.3, 1.0, 2.5, 9.0]), "rate": r.random(4) + 0.5},
                       lambda lib, P: lib.Gamma(P["concentration"], P["rate"]), r.random((3, 4)) * 4 + 0.01),
        "beta": _case({"c1": np.array([0.4, 1.0, 3.0]), "c0": np.array([2.0, 0.7, 5.0])},
                      lambda lib, P: lib.Beta(P["c1"], P["c0"]), r.random((2, 3)) * 0.98 + 0.01),
        "dirichlet": _case({"concentration": r.random((2, 4)) * 3 + 0.3},
                           lambda lib, P: lib.Dirichlet(P["concentration"]), r.dirichlet(np.ones(4), (3, 2))),
        "poisson": _case({"rate": r.random(4) * 5 + 0.1}, lambda lib, P: lib.Poisson(P["rate"]),
                         _counts((3, 4), 9, r)),
        "binomial": _case({"n": np.full(4, 6.0), "probs": r.random(4) * 0.9 + 0.05},
                          lambda lib, P: lib.Binomial(P["n"].detach(), probs=P["probs"]), _counts((3, 4), 6, r)),
        "binomial_logits": _case({"n": np.full(3, 4.0), "logits": r.standard_normal(3)},
                                 lambda lib, P: lib.Binomial(P["n"].detach(), logits=P["logits"]),
                                 _counts((2, 3), 4, r)),
        "geometric": _case({"probs": r.random(3) * 0.8 + 0.1}, lambda lib, P: lib.Geometric(P["probs"]),
                           _counts((4, 3), 8, r)),
        "geometric_logits": _case({"logits": r.standard_normal(3)},
                                  lambda lib, P: lib.Geometric(logits=P["logits"]), _counts((4, 3), 8, r)),
        "bernoulli": _case({"probs": r.random((3, 4)) * 0.9 + 0.05}, lambda lib, P: lib.Bernoulli(P["probs"]),
                           _counts((2, 3, 4), 1, r)),
        "bernoulli_logits": _case({"logits": np.array([-30.0, -2.0, 0.0, 0.5, 3.0, 40.0])},
                                  lambda lib, P: lib.Bernoulli(logits=P["logits"]), _counts((2, 6), 1, r)),
        "categorical": _case({"probs": r.random((3, 5)) + 0.05}, lambda lib, P: lib.Categorical(P["probs"]),
                             r.integers(0, 5, (4, 3))),
        "categorical_logits": _case({"logits": r.standard_normal((3, 5))},
                                    lambda lib, P: lib.Categorical(logits=P["logits"]), r.integers(0, 5, (2, 4, 3))),
        "onehot": _case({"logits": r.standard_normal((3, 4))},
                        lambda lib, P: lib.OneHotCategorical(logits=P["logits"]), _onehot((2, 3), 4, r)),
        "lognormal": _case({"loc": r.standard_normal(3) * 0.3, "scale": r.random(3) + 0.2},
                           lambda lib, P: lib.LogNormal(P["loc"], P["scale"]), r.random((2, 3)) * 3 + 0.05),
        "mvn_cov": _case({"loc": r.standard_normal((2, 3)), "cov": n3},
                         lambda lib, P: lib.MultivariateNormal(P["loc"], covariance_matrix=P["cov"]),
                         r.standard_normal((4, 2, 3)), sym=("cov",)),
        "mvn_prec": _case({"loc": r.standard_normal(3), "prec": _spd(3, r)[None].repeat(2, 0)},
                          lambda lib, P: lib.MultivariateNormal(P["loc"], precision_matrix=P["prec"]),
                          r.standard_normal((4, 1, 3)), sym=("prec",)),
        "mvn_tril": _case({"loc": r.standard_normal((2, 3)), "tril": np.linalg.cholesky(n3)},
                          lambda lib, P: lib.MultivariateNormal(P["loc"], scale_tril=P["tril"]),
                          r.standard_normal((4, 2, 3))),
        "independent": _case({"loc": r.standard_normal((2, 3)), "scale": r.random((2, 3)) + 0.5},
                             lambda lib, P: lib.Independent(lib.Normal(P["loc"], P["scale"]), 1),
                             r.standard_normal((4, 2, 3))),
        "tanh_normal": _case({"loc": r.standard_normal(3) * 0.5, "scale": r.random(3) + 0.3},
                             lambda lib, P: lib.TransformedDistribution(
                                 lib.Normal(P["loc"], P["scale"]), [lib.transforms.TanhTransform()]),
                             r.random((4, 3)) * 1.9 - 0.95),
        "sigmoid_affine": _case({"loc": r.standard_normal(3), "scale": r.random(3) + 0.5, "s": np.array(-2.5)},
                                lambda lib, P: lib.TransformedDistribution(
                                    lib.Normal(P["loc"], P["scale"]),
                                    [lib.transforms.SigmoidTransform(), lib.transforms.AffineTransform(1.5, P["s"])]),
                                1.5 - 2.5 * (r.random((4, 3)) * 0.9 + 0.05)),
        "cauchy": _case({"loc": r.standard_normal(3), "scale": r.random(3) + 0.3},
                        lambda lib, P: lib.Cauchy(P["loc"], P["scale"]), r.standard_normal((4, 3)) * 3),
        "half_normal": _case({"scale": r.random(3) + 0.3}, lambda lib, P: lib.HalfNormal(P["scale"]),
                             r.random((4, 3)) * 2),
        "chi2": _case({"df": np.array([0.7, 2.0, 5.5])}, lambda lib, P: lib.Chi2(P["df"]), r.random((4, 3)) * 6 + .05),
        "student_t": _case({"df": np.array([0.8, 1.5, 3.0, 12.0]), "loc": r.standard_normal(4),
                            "scale": r.random(4) + 0.5},
                           lambda lib, P: lib.StudentT(P["df"], P["loc"], P["scale"]), r.standard_normal((3, 4)) * 2),
        "multinomial": _case({"probs": r.random((2, 4)) + 0.1}, lambda lib, P: lib.Multinomial(5, P["probs"]),
                             np.stack([r.multinomial(5, np.ones(4) / 4, (3, 2))]).reshape(3, 2, 4).astype(float)),
        "exp_compose": _case({"loc": r.standard_normal(3), "scale": r.random(3) + 0.5},
                             lambda lib, P: lib.TransformedDistribution(
                                 lib.Normal(P["loc"], P["scale"]), lib.transforms.ComposeTransform(
                                     [lib.transforms.AffineTransform(0.3, 2.0), lib.transforms.ExpTransform()])),
                             r.random((4, 3)) * 4 + 0.1),
    }
    return cases


CASES = _make_cases()


def _build(name: str, grad: bool = True):
    case = CASES[name]
    P, TP = leaves(case["params"], grad)
    return case, case["build"](D, P), case["build"](TD, TP), P, TP


def _values(case):
    v = case["values"]
    return ag.tensor(v), torch.tensor(v)


def _tol(case):
    return (1e-6, 1e-6) if case["values"].dtype == np.float32 else (RTOL, ATOL)


# --------------------------------------------------------------------------------- scoring and moments
@pytest.mark.parametrize("name", list(CASES))
def test_log_prob_and_its_gradients_match_torch(name):
    case, d, td, P, TP = _build(name)
    v, tv = _values(case)
    lp, tlp = d.log_prob(v), td.log_prob(tv)
    assert_close(lp, tlp, f"{name}.log_prob", *_tol(case))
    if P:
        assert_same_grads(lp, tlp, P, TP, f"{name}.log_prob", sym=case["sym"])


def _torch_or_error(fn):
    try:
        return fn(), None
    except (NotImplementedError, ValueError) as e:
        return None, type(e)


@pytest.mark.parametrize("name", list(CASES))
def test_entropy_matches_torch(name):
    case, d, td, P, TP = _build(name)
    th, err = _torch_or_error(td.entropy)
    if err is not None:
        with pytest.raises(err):
            d.entropy()
        return
    h = d.entropy()
    tol = _tol(case)
    if name == "multinomial":
        # torch takes lgamma(total_count + 1) of an int64 tensor, in float32 (1e-8 off): check ours exactly
        # against -sum p log p over every count vector, and torch's loosely
        import itertools

        outcomes = np.array([c for c in itertools.product(range(6), repeat=4) if sum(c) == 5], dtype=np.float64)
        lp = _arr(D.Multinomial(5, ag.tensor(case["params"]["probs"])).log_prob(ag.tensor(outcomes[:, None])))
        np.testing.assert_allclose(_arr(h), -(np.exp(lp) * lp).sum(0), rtol=1e-12)
        tol = (1e-7, 1e-9)
    assert_close(h, th, f"{name}.entropy", *tol)
    if P:
        assert_same_grads(h, th, P, TP, f"{name}.entropy", sym=case["sym"])
    assert_close(d.perplexity(), td.perplexity(), f"{name}.perplexity", *tol)


@pytest.mark.parametrize("attr", ["mean", "variance", "stddev", "mode"])
@pytest.mark.parametrize("name", list(CASES))
def test_moments_match_torch(name, attr):
    case, d, td, P, TP = _build(name)
    tval, err = _torch_or_error(lambda: getattr(td, attr))
    if err is not None:
        with pytest.raises(err):
            getattr(d, attr)
        return
    val = getattr(d, attr)
    assert_close(val, tval, f"{name}.{attr}", *_tol(case))
    if P and tval.requires_grad:
        assert_same_grads(val, tval, P, TP, f"{name}.{attr}", sym=case["sym"])


@pytest.mark.parametrize("name", list(CASES))
def test_cdf_and_icdf_match_torch(name):
    case, d, td, P, TP = _build(name)
    v, tv = _values(case)
    tc, err = _torch_or_error(lambda: td.cdf(tv))
    if err is not None:
        with pytest.raises(err):
            d.cdf(v)
    else:
        c = d.cdf(v)
        assert_close(c, tc, f"{name}.cdf", *_tol(case))
        if P and name not in ("gamma", "chi2"):  # torch's gammainc has no derivative in a (ours: see below)
            assert_same_grads(c, tc, P, TP, f"{name}.cdf", sym=case["sym"])
    case, d, td, P, TP = _build(name)  # afresh: the parameters' broadcast nodes were freed by the backward
    u = np.random.default_rng(3).random(case["values"].shape) * 0.98 + 0.01
    u = u.astype(case["values"].dtype)
    ti, err = _torch_or_error(lambda: td.icdf(torch.tensor(u)))
    if err is not None:
        with pytest.raises(err):
            d.icdf(ag.tensor(u))
        return
    i = d.icdf(ag.tensor(u))
    assert_close(i, ti, f"{name}.icdf", *_tol(case))
    if P:
        assert_same_grads(i, ti, P, TP, f"{name}.icdf")


@pytest.mark.parametrize("name", ["normal", "categorical_logits", "bernoulli_logits", "gamma", "beta", "dirichlet",
                                  "mvn_tril", "tanh_normal", "poisson", "onehot"])
def test_float32_parameters_compute_in_float32_like_torch(name):
    case = CASES[name]
    params = {k: v.astype(np.float32) for k, v in case["params"].items()}
    P, TP = leaves(params)
    d, td = case["build"](D, P), case["build"](TD, TP)
    v = case["values"]
    v = v.astype(np.float32) if v.dtype.kind == "f" else v
    lp, tlp = d.log_prob(ag.tensor(v)), td.log_prob(torch.tensor(v))
    assert_close(lp, tlp, f"{name}.log_prob float32", rtol=1e-4, atol=1e-5)
    th, err = _torch_or_error(td.entropy)
    if err is None:
        assert_close(d.entropy(), th, f"{name}.entropy float32", rtol=1e-4, atol=1e-5)
    s, ts = d.sample((3,)), td.sample((3,))
    assert str(s.dtype) == str(ts.dtype).replace("torch.", "")


def test_gamma_cdf_matches_torch_gammainc_and_its_concentration_gradient_is_the_derivative():
    a = np.array([0.2, 1.0, 3.0, 30.0])
    rate = np.array([1.0, 2.0, 0.5, 1.5])
    x = np.array([0.05, 0.7, 6.0, 19.0])
    d = D.Gamma(ag.tensor(a, requires_grad=True), ag.tensor(rate))
    xv = ag.tensor(x, requires_grad=True)
    c = d.cdf(xv)
    tx = torch.tensor(x, requires_grad=True)
    tc = TD.Gamma(torch.tensor(a), torch.tensor(rate)).cdf(tx)
    assert_close(c, tc, "Gamma.cdf", rtol=1e-8)  # torch's igamma is good to ~1e-9 here; ours to ~1e-14:
    mpmath = pytest.importorskip("mpmath")
    exact = [float(mpmath.gammainc(ai, 0, ri * xi, regularized=True)) for ai, ri, xi in zip(a, rate, x)]
    np.testing.assert_allclose(_arr(c), exact, rtol=1e-13)
    g, = ag.autograd.grad(c.sum(), xv, retain_graph=True)
    tg, = torch.autograd.grad(tc.sum(), tx)
    assert_close(g, tg, "d Gamma.cdf / d value")
    # torch has no derivative in the concentration: check ours against central differences of the cdf itself
    ga, = ag.autograd.grad(c.sum(), d.concentration)
    h = 1e-6
    fd = (TD.Gamma(torch.tensor(a + h), torch.tensor(rate)).cdf(torch.tensor(x))
          - TD.Gamma(torch.tensor(a - h), torch.tensor(rate)).cdf(torch.tensor(x))) / (2 * h)
    np.testing.assert_allclose(_arr(ga), fd.numpy(), rtol=1e-6, atol=1e-9)


# ------------------------------------------------------------------------------------------ shapes, samples
@pytest.mark.parametrize("name", list(CASES))
def test_shapes_dtypes_support_and_expand_match_torch(name):
    case, d, td, P, TP = _build(name, grad=False)
    assert tuple(d.batch_shape) == tuple(td.batch_shape)
    assert tuple(d.event_shape) == tuple(td.event_shape)
    assert isinstance(d.batch_shape, ag.Size) and isinstance(d.event_shape, ag.Size)
    assert d.has_rsample == td.has_rsample
    assert d.has_enumerate_support == td.has_enumerate_support
    assert type(d.support).__name__ == type(td.support).__name__
    if not C.is_dependent(type(d).support) and not isinstance(td.support.__dict__.get("lower_bound"), torch.Tensor):
        assert repr(d.support) == repr(td.support)
    check_samples_and_expand(d, td, name)


@pytest.mark.parametrize("name", list(CASES))
def test_expanded_distribution_scores_like_torch(name):
    case, d, td, P, TP = _build(name, grad=False)
    big = (2,) + tuple(d.batch_shape)
    v = case["values"]
    v = np.broadcast_to(v.reshape((-1,) + v.shape[v.ndim - len(d.batch_shape) - len(d.event_shape):])[0],
                        big + tuple(d.event_shape)).copy()
    assert_close(d.expand(big).log_prob(ag.tensor(v)), td.expand(big).log_prob(torch.tensor(v)),
                 f"{name}.expand.log_prob", *_tol(case))


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c["build"](TD, leaves(c["params"], False)[1])
                                  .has_enumerate_support])
def test_enumerate_support_matches_torch(name):
    case, d, td, P, TP = _build(name, grad=False)
    for expand in (True, False):
        s, ts = d.enumerate_support(expand), td.enumerate_support(expand)
        assert tuple(s.shape) == tuple(ts.shape)
        assert str(s.dtype) == str(ts.dtype).replace("torch.", "")
        np.testing.assert_array_equal(_arr(s), ts.numpy())


def _stat_ok(x: np.ndarray, mean: np.ndarray, var: np.ndarray, what: str, k: float = 6.0) -> None:
    n = x.shape[0]
    m = x.mean(0)
    se_mean = np.sqrt(var / n)
    assert np.all(np.abs(m - mean) <= k * se_mean + 1e-12), f"{what}: mean {m} vs {mean} (se {se_mean})"
    c2 = (x - mean) ** 2
    se_var = c2.std(0) / math.sqrt(n)
    assert np.all(np.abs(c2.mean(0) - var) <= k * se_var + 1e-12), f"{what}: var {c2.mean(0)} vs {var}"


@pytest.mark.parametrize("name", [n for n in CASES if n not in ("normal_numbers",)])
def test_sample_statistics(name):
    case, d, td, P, TP = _build(name, grad=False)
    ag.manual_seed(11)
    n = 40000
    x = _arr(d.sample((n,))).astype(np.float64)
    if name.startswith("categorical"):
        # class frequencies against probs (mean/variance of a Categorical are nan)
        p = _arr(d.probs)
        freq = np.stack([(x == k).mean(0) for k in range(p.shape[-1])], -1)
        assert np.all(np.abs(freq - p) <= 6 * np.sqrt(p * (1 - p) / n))
        return
    mean, err = _torch_or_error(lambda: td.mean)
    if err is None and np.isfinite(mean.numpy()).all() and np.isfinite(td.variance.numpy()).all():
        mean, var = _arr(d.mean), _arr(d.variance)
        _stat_ok(x, np.broadcast_to(mean, x.shape[1:]), np.broadcast_to(var, x.shape[1:]), f"{name} samples")
        if d.has_rsample:
            xr = _arr(d.rsample((n,)))
            _stat_ok(xr, np.broadcast_to(mean, x.shape[1:]), np.broadcast_to(var, x.shape[1:]), f"{name} rsamples")
        return
    # no finite mean and variance (Cauchy, StudentT with small df, transformed distributions): the cdf of
    # the draws must be U(0, 1) instead (torch's cdf; scipy's for StudentT, which torch gives none)
    if name == "student_t":
        stats = pytest.importorskip("scipy.stats")
        p = case["params"]

        def cdf(v):
            return stats.t.cdf(v, p["df"], p["loc"], p["scale"])
    else:
        def cdf(v):
            return _arr(td.cdf(torch.tensor(v)))
    for draws in (x, _arr(d.rsample((n,)))):
        u = cdf(draws)
        _stat_ok(u, np.full(u.shape[1:], 0.5), np.full(u.shape[1:], 1 / 12), f"{name}: F(samples)")


def test_manual_seed_makes_sampling_repeatable():
    d = D.Normal(ag.zeros(3), ag.ones(3))
    c = D.Categorical(logits=ag.zeros(4))
    ag.manual_seed(5)
    a1, b1 = d.sample((4,)), c.sample((6,))
    ag.manual_seed(5)
    a2, b2 = d.sample((4,)), c.sample((6,))
    np.testing.assert_array_equal(_arr(a1), _arr(a2))
    np.testing.assert_array_equal(_arr(b1), _arr(b2))
    ag.manual_seed(6)
    assert not np.array_equal(_arr(d.sample((4,))), _arr(a1))


def test_sample_records_no_graph_and_rsample_does():
    loc = ag.zeros(3, requires_grad=True)
    d = D.Normal(loc, 1.0)
    assert not d.sample().requires_grad and d.sample().grad_fn is None
    r = d.rsample((2,))
    assert r.requires_grad
    r.sum().backward()
    np.testing.assert_allclose(_arr(loc.grad), np.full(3, 2.0))
    with pytest.raises(NotImplementedError, match="has no rsample"):
        D.Categorical(logits=ag.zeros(3)).rsample()


def test_a_distribution_can_be_scored_and_backpropagated_twice():
    # parameters that need no broadcasting are used as given (no recorded expand), so a second backward
    # through a new log_prob of the same distribution works as in torch
    mu = ag.zeros(3, requires_grad=True)
    d = D.Normal(mu, 1.0)
    assert d.loc is mu
    for _ in range(2):
        d.log_prob(ag.ones(3)).sum().backward()
    np.testing.assert_allclose(_arr(mu.grad), np.full(3, 2.0))


def test_sample_shape_must_be_a_tuple_as_in_torch():
    d = D.Normal(0.0, 1.0)
    with pytest.raises(TypeError, match=r"sample_shape must be a tuple of ints such as \(5,\)"):
        d.sample(5)
    with pytest.raises(TypeError):
        TD.Normal(0.0, 1.0).sample(5)


# ------------------------------------------------------------------------------------ rsample gradients
_IMPLICIT = ["normal", "uniform", "laplace", "exponential", "lognormal", "tanh_normal", "sigmoid_affine",
             "exp_compose", "cauchy", "half_normal"]


@pytest.mark.parametrize("name", _IMPLICIT)
def test_rsample_gradient_is_the_implicit_one_torch_implies(name):
    # For a scalar continuous distribution, a reparameterised draw x = F^-1(u; theta) has
    # dx/dtheta = -(dF(x; theta)/dtheta) / p(x; theta) at fixed u: computed here with torch's cdf and log_prob.
    case, d, td, P, TP = _build(name)
    ag.manual_seed(1)
    x = d.rsample((6,))
    w = R.standard_normal(tuple(x.shape))
    ours = grads((x * ag.tensor(w)).sum(), P)
    tx = torch.tensor(_arr(x))
    F = td.cdf(tx)
    p = td.log_prob(tx).exp().detach()
    theirs = grads(-(F * torch.tensor(w) / p).sum(), TP)
    for k in ours:
        assert_close(ours[k], theirs[k], f"{name}.rsample d/d{k}", rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", ["mvn_cov", "mvn_prec", "mvn_tril"])
def test_multivariate_normal_rsample_gradient_matches_torch_for_the_same_noise(name):
    case, d, td, P, TP = _build(name)
    ag.manual_seed(2)
    x = d.rsample((5,))
    L = _arr(d.scale_tril)
    eps = np.linalg.solve(L, (_arr(x) - _arr(d.loc))[..., None])[..., 0]  # the noise behind the draw
    tx = td.loc + (td._unbroadcasted_scale_tril @ torch.tensor(eps)[..., None])[..., 0]
    np.testing.assert_allclose(_arr(x), tx.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert_same_grads(x, tx, P, TP, f"{name}.rsample", sym=case["sym"])


def test_gamma_rsample_gradient_matches_torch_standard_gamma_grad():
    a = np.array([0.05, 0.5, 1.0, 2.0, 3.0, 7.5, 40.0, 900.0])
    rate = np.linspace(0.5, 3.0, len(a))
    conc = ag.tensor(a, requires_grad=True)
    r = ag.tensor(rate, requires_grad=True)
    ag.manual_seed(3)
    x = D.Gamma(conc, r).rsample((50,))
    w = R.standard_normal(tuple(x.shape))
    ga, gr = ag.autograd.grad((x * ag.tensor(w)).sum(), [conc, r])
    xs = _arr(x) * rate  # the standard-gamma draws
    dx = torch._standard_gamma_grad(torch.tensor(a).expand(xs.shape), torch.tensor(xs)).numpy() / rate
    # torch's rational approximations are good to a few 1e-4 relative; ours to ~1e-13 (against mpmath below)
    np.testing.assert_allclose(_arr(ga), (w * dx).sum(0), rtol=3e-3, atol=1e-9)
    np.testing.assert_allclose(_arr(gr), (w * -_arr(x) / rate).sum(0), rtol=1e-10)


def test_standard_gamma_implicit_gradient_against_mpmath():
    mpmath = pytest.importorskip("mpmath")
    from autograd_core.distributions._special import standard_gamma_grad

    mpmath.mp.dps = 40

    def exact(a, x):
        a, x = mpmath.mpf(a), mpmath.mpf(x)
        dens = x ** (a - 1) * mpmath.exp(-x) / mpmath.gamma(a)
        if x < a:  # the lower or upper incomplete function, whichever is not close to 1
            return float(-mpmath.diff(lambda s: mpmath.gammainc(s, 0, x, regularized=True), a) / dens)
        return float(mpmath.diff(lambda s: mpmath.gammainc(s, x, mpmath.inf, regularized=True), a) / dens)

    for a in [0.01, 0.3, 1.0, 2.0, 3.0, 9.0, 55.0, 400.0]:
        # integer a makes the continued fraction's value terminate early, its derivative not: covered here
        xs = np.concatenate([np.quantile(np.random.default_rng(0).standard_gamma(a, 4000), [0.01, 0.3, 0.6, 0.99]),
                             [a + 1.0, a + 1.0 + 1e-9]])
        ours = standard_gamma_grad(np.full(len(xs), a), xs)
        ref = np.array([exact(a, x) for x in xs])
        np.testing.assert_allclose(ours, ref, rtol=1e-11, err_msg=f"a={a}")


def test_gamma_rsample_is_once_differentiable_with_a_clear_error():
    conc = ag.tensor([1.5, 2.0], dtype=ag.float64, requires_grad=True)
    x = D.Gamma(conc, 1.0).rsample()
    seen = set()

    class Rec(ag.BackwardObserver):
        def on_node(self, node, grads):
            seen.add(type(node).__name__)

    with ag.observe(Rec()):
        g, = ag.autograd.grad((x * x).sum(), conc, create_graph=True)
    assert "_StandardGamma" in seen  # the implicit-reparameterisation op (its values: the mpmath test above)
    with pytest.raises(NotImplementedError, match="once-differentiable"):
        g.sum().backward()


def test_tiny_concentrations_draw_without_underflow_to_nan():
    conc = ag.tensor([[0.002, 0.003, 0.001]], dtype=ag.float64, requires_grad=True)
    ag.manual_seed(0)
    x = D.Dirichlet(conc).rsample((200,))
    assert np.all(np.isfinite(_arr(x))) and np.allclose(_arr(x).sum(-1), 1)
    g, = ag.autograd.grad(x[..., 0].sum(), conc)
    assert np.all(np.isfinite(_arr(g)))
    b = D.Beta(ag.tensor([0.001], dtype=ag.float64), ag.tensor([0.002], dtype=ag.float64)).rsample((50,))
    assert np.all(np.isfinite(_arr(b))) and np.all((_arr(b) >= 0) & (_arr(b) <= 1))


@pytest.mark.parametrize("which", ["beta", "dirichlet"])
def test_beta_and_dirichlet_rsample_gradients_are_unbiased(which):
    # E[x_0] = a_0 / sum(a) and E[x_0**2] = a_0 (a_0 + 1) / (s (s + 1)): the mean of the per-draw gradients
    # (one parameter copy per draw) must be their derivatives, within a few standard errors
    a = np.array([1.7, 0.6, 2.4]) if which == "dirichlet" else np.array([1.7, 0.6])
    n = 20000
    conc = ag.tensor(np.broadcast_to(a, (n, len(a))).copy(), requires_grad=True)
    ag.manual_seed(4)
    if which == "dirichlet":
        x0 = D.Dirichlet(conc).rsample()[:, 0]
    else:
        x0 = D.Beta(conc[:, 0], conc[:, 1]).rsample()
    for f, fx in (("x", x0), ("x^2", x0 * x0)):
        g, = ag.autograd.grad(fx.sum(), conc, retain_graph=True)
        g = _arr(g)
        ta = torch.tensor(a, requires_grad=True)
        s = ta.sum()
        expect = ta[0] / s if f == "x" else ta[0] * (ta[0] + 1) / (s * (s + 1))
        exact, = torch.autograd.grad(expect, ta)
        se = g.std(0) / math.sqrt(n)
        assert np.all(np.abs(g.mean(0) - exact.numpy()) <= 5 * se), f"{which} E[{f}]: {g.mean(0)} vs {exact}"


def test_tanh_transform_cache_scores_a_draw_by_its_exact_preimage_as_torch():
    loc = np.array([0.0, 3.0, 9.0])  # tanh(9 + ...) rounds to 1: only the cached pre-image scores it
    P, TP = leaves({"loc": loc, "scale": np.array([1.0, 0.5, 0.2])})
    d = D.TransformedDistribution(D.Normal(P["loc"], P["scale"]), [T.TanhTransform(cache_size=1)])
    td = TD.TransformedDistribution(TD.Normal(TP["loc"], TP["scale"]),
                                    [TD.transforms.TanhTransform(cache_size=1)])
    ag.manual_seed(9)
    y = d.rsample()
    lp = d.log_prob(y)
    assert np.all(np.isfinite(_arr(lp)))
    x = d.transforms[0]._cached_x_y[0]
    tx = TP["loc"] + TP["scale"] * torch.tensor((_arr(x) - loc) / np.array([1.0, 0.5, 0.2]))
    ty = td.transforms[0](tx)
    tlp = td.log_prob(ty)
    assert_close(lp, tlp, "tanh-normal log_prob of a draw")
    assert_same_grads(lp, tlp, P, TP, "tanh-normal log_prob of a draw")


# ------------------------------------------------------------------------------------------------- KL
def _kl_pairs() -> dict:
    r = np.random.default_rng(17)

    def two(make, **params):
        return {"p": {k: v[0] for k, v in params.items()}, "q": {k: v[1] for k, v in params.items()}, "make": make}

    s3 = _spd(3, r)
    return {
        "normal": two(lambda lib, P: lib.Normal(P["loc"], P["scale"]),
                      loc=[r.standard_normal(3), r.standard_normal((2, 1))],
                      scale=[r.random(3) + 0.5, r.random(3) + .5]),
        "categorical_probs": two(lambda lib, P: lib.Categorical(P["p"]),
                                 p=[r.random((2, 4)) + 0.1, np.array([0.2, 0.0, 0.5, 0.3])]),
        "categorical_logits": two(lambda lib, P: lib.Categorical(logits=P["l"]),
                                  l=[r.standard_normal((2, 4)), r.standard_normal(4)]),
        "bernoulli": two(lambda lib, P: lib.Bernoulli(P["p"]), p=[r.random(3) * 0.9 + 0.05, r.random(3) * .9 + .05]),
        "bernoulli_logits": two(lambda lib, P: lib.Bernoulli(logits=P["l"]),
                                l=[np.array([0.0, -3.0, 2.0]), np.array([1.0, 0.0, -4.0])]),
        "mvn_cov_tril": {"p": {"loc": r.standard_normal((2, 3)), "cov": s3},
                         "q": {"loc": r.standard_normal(3), "tril": np.linalg.cholesky(_spd(3, r))},
                         "make_p": lambda lib, P: lib.MultivariateNormal(P["loc"], covariance_matrix=P["cov"]),
                         "make_q": lambda lib, P: lib.MultivariateNormal(P["loc"], scale_tril=P["tril"])},
        "mvn_prec": two(lambda lib, P: lib.MultivariateNormal(P["loc"], precision_matrix=P["prec"]),
                        loc=[r.standard_normal(3), r.standard_normal(3)], prec=[_spd(3, r), _spd(3, r)]),
        "uniform": two(lambda lib, P: lib.Uniform(P["lo"], P["hi"]),
                       lo=[np.array([0.0, -1.0, 0.5]), np.array([-1.0, -0.5, -2.0])],
                       hi=[np.array([1.0, 2.0, 1.0]), np.array([2.0, 3.0, 0.8])]),
        "beta": two(lambda lib, P: lib.Beta(P["a"], P["b"]), a=[r.random(3) + 0.3, r.random(3) + 0.5],
                    b=[r.random(3) * 3 + 0.3, r.random(3) + 1.0]),
        "gamma": two(lambda lib, P: lib.Gamma(P["a"], P["r"]), a=[r.random(3) * 4 + 0.2, r.random(3) + 0.5],
                     r=[r.random(3) + 0.5, r.random(3) * 2 + 0.1]),
        "dirichlet": two(lambda lib, P: lib.Dirichlet(P["c"]), c=[r.random((2, 4)) * 3 + 0.2, r.random(4) + 0.5]),
        "exponential": two(lambda lib, P: lib.Exponential(P["r"]), r=[r.random(3) + 0.2, r.random(3) + 0.4]),
        "laplace": two(lambda lib, P: lib.Laplace(P["m"], P["s"]), m=[r.standard_normal(3), r.standard_normal(3)],
                       s=[r.random(3) + 0.3, r.random(3) + 0.6]),
        "poisson": two(lambda lib, P: lib.Poisson(P["r"]), r=[r.random(3) * 4 + 0.1, r.random(3) * 2 + 0.5]),
        "geometric": two(lambda lib, P: lib.Geometric(P["p"]), p=[r.random(3) * .8 + .1, r.random(3) * .8 + .1]),
        "binomial": two(lambda lib, P: lib.Binomial(P["n"].detach(), P["p"]), n=[np.full(3, 5.0), np.array([5., 3, 5])],
                        p=[r.random(3) * .8 + .1, r.random(3) * .8 + .1]),
        "onehot": two(lambda lib, P: lib.OneHotCategorical(P["p"]), p=[r.random(4) + .1, r.random(4) + .1]),
        "independent": two(lambda lib, P: lib.Independent(lib.Normal(P["m"], P["s"]), 1),
                           m=[r.standard_normal((2, 3)), r.standard_normal((2, 3))],
                           s=[r.random((2, 3)) + 0.5, r.random((2, 3)) + 0.5]),
        "lognormal": two(lambda lib, P: lib.LogNormal(P["m"], P["s"]), m=[r.standard_normal(3), r.standard_normal(3)],
                         s=[r.random(3) + 0.5, r.random(3) + 0.5]),
        "cauchy": two(lambda lib, P: lib.Cauchy(P["m"], P["s"]), m=[r.standard_normal(3), r.standard_normal(3)],
                      s=[r.random(3) + 0.5, r.random(3) + 0.5]),
        "half_normal": two(lambda lib, P: lib.HalfNormal(P["s"]), s=[r.random(3) + 0.5, r.random(3) + 0.5]),
    }


KL_PAIRS = _kl_pairs()


def _kl_build(name, grad=True):
    pair = KL_PAIRS[name]
    mp, mq = pair.get("make_p", pair.get("make")), pair.get("make_q", pair.get("make"))
    pp, tpp = leaves(pair["p"], grad)
    qp, tqp = leaves(pair["q"], grad)
    return (mp(D, pp), mq(D, qp), mp(TD, tpp), mq(TD, tqp), {**{f"p_{k}": v for k, v in pp.items()},
                                                          **{f"q_{k}": v for k, v in qp.items()}},
            {**{f"p_{k}": v for k, v in tpp.items()}, **{f"q_{k}": v for k, v in tqp.items()}})


@pytest.mark.parametrize("name", list(KL_PAIRS))
def test_kl_divergence_and_its_gradients_match_torch(name):
    p, q, tp, tq, P, TP = _kl_build(name)
    kl, tkl = D.kl_divergence(p, q), TD.kl_divergence(tp, tq)
    assert_close(kl, tkl, f"KL {name}")
    finite = np.isfinite(tkl.detach().numpy()).all()
    if finite:
        assert_same_grads(kl, tkl, P, TP, f"KL {name}", sym=("p_cov", "p_prec", "q_prec"))
    else:  # where KL is infinite torch's gradient there is nan or 0 by accident of its masking: check the rest
        mask = np.isfinite(tkl.detach().numpy())
        w = np.where(mask, 1.0, 0.0)
        g1 = grads((D.kl_divergence(p, q) * ag.tensor(w)).sum(), P)
        g2 = grads((TD.kl_divergence(tp, tq) * torch.tensor(w)).sum(), TP)
        for k in g1:
            if g2[k] is None:
                assert g1[k] is None, f"KL {name} d/d{k}: torch's is None"
                continue
            assert_close(g1[k], g2[k], f"KL {name} d/d{k} (finite entries)")


@pytest.mark.parametrize("name", ["normal", "gamma", "beta", "exponential", "poisson", "dirichlet", "bernoulli"])
def test_exponential_family_bregman_forms_match_the_closed_forms(name):
    from autograd_core.distributions.kl import _kl_expfamily_expfamily

    p, q, tp, tq, P, TP = _kl_build(name, grad=False)
    assert_close(_kl_expfamily_expfamily(p, q), TD.kl_divergence(tp, tq), f"Bregman KL {name}", 1e-8, 1e-10)
    th, err = _torch_or_error(lambda: TD.ExponentialFamily.entropy(tp))
    if err is not None:  # no carrier measure (Poisson, Beta, Dirichlet): neither library can do it
        with pytest.raises(err):
            D.ExponentialFamily.entropy(p)
    else:
        assert_close(D.ExponentialFamily.entropy(p), th, f"Bregman entropy {name}", 1e-8, 1e-10)


def test_kl_dispatch_picks_the_most_specific_rule_and_reports_missing_pairs():
    class MyNormal(D.Normal):
        pass

    p, q = MyNormal(0.0, 1.0), D.Normal(1.0, 2.0)
    np.testing.assert_allclose(_arr(D.kl_divergence(p, q)), _arr(D.kl_divergence(D.Normal(0.0, 1.0), q)))

    @D.register_kl(MyNormal, D.Normal)
    def _mine(p, q):
        return ag.tensor(42.0)

    assert float(D.kl_divergence(p, q)) == 42.0  # the new, more specific rule replaces the memoised choice
    with pytest.raises(NotImplementedError) as ours:
        D.kl_divergence(D.Normal(0.0, 1.0), D.Categorical(logits=ag.zeros(2)))
    with pytest.raises(NotImplementedError) as theirs:
        TD.kl_divergence(TD.Normal(0.0, 1.0), TD.Categorical(logits=torch.zeros(2)))
    assert str(ours.value) == str(theirs.value)
    with pytest.raises(TypeError, match="Expected type_p to be a Distribution subclass"):
        D.register_kl(int, D.Normal)


def test_kl_dispatch_warns_when_ambiguous():
    class A(D.Normal):
        pass

    class B(D.Normal):
        pass

    D.register_kl(A, D.Normal)(lambda p, q: ag.tensor(1.0))
    D.register_kl(D.Normal, B)(lambda p, q: ag.tensor(2.0))
    with pytest.warns(RuntimeWarning, match=r"Ambiguous kl_divergence\(A, B\)"):
        D.kl_divergence(A(0.0, 1.0), B(0.0, 1.0))


def test_mvn_kl_with_different_event_shapes_raises_value_error():
    p = D.MultivariateNormal(ag.zeros(2), ag.eye(2))
    q = D.MultivariateNormal(ag.zeros(3), ag.eye(3))
    with pytest.raises(ValueError, match="different event shapes"):
        D.kl_divergence(p, q)


# ----------------------------------------------------------------------------------------- validation
def _norm_msg(s: str) -> str:
    s = s.replace("torch.Size", "Size").replace("autograd_core.Size", "Size")
    return re.sub(r"\s+", " ", s)


def _both_raise(make_ours, make_theirs, exc=ValueError):
    with pytest.raises(exc) as a:
        make_ours()
    with pytest.raises(exc) as b:
        make_theirs()
    return str(a.value), str(b.value)


@pytest.mark.parametrize("ctor", [
    lambda lib, t: lib.Normal(t([0.0, 1.0]), t([1.0, -1.0])),
    lambda lib, t: lib.Exponential(t([0.0, 2.0])),
    lambda lib, t: lib.Bernoulli(t([0.5, 1.5])),
    lambda lib, t: lib.Categorical(t([[0.5, -0.1, 0.6]])),
    lambda lib, t: lib.Gamma(t([1.0, 2.0]), t([1.0, 0.0])),
    lambda lib, t: lib.Dirichlet(t([[1.0, -2.0]])),
    lambda lib, t: lib.Poisson(t([-1.0])),
    lambda lib, t: lib.Uniform(t([0.0, 2.0]), t([1.0, 1.0])),
    lambda lib, t: lib.Laplace(t([0.0]), t([0.0])),
    lambda lib, t: lib.Normal(t([float("nan")]), t([1.0])),
], ids=["normal", "exponential", "bernoulli", "categorical", "gamma", "dirichlet", "poisson", "uniform", "laplace",
        "nan"])
def test_invalid_parameters_raise_torchs_value_error(ctor):
    ours, theirs = _both_raise(lambda: ctor(D, lambda v: ag.tensor(v)), lambda: ctor(TD, lambda v: torch.tensor(v)))
    assert _norm_msg(ours) == _norm_msg(theirs)


def test_invalid_mvn_and_geometric_parameters_raise_value_error():
    bad = [[1.0, 2.0], [2.0, 1.0]]  # symmetric, not positive definite
    ours, theirs = _both_raise(lambda: D.MultivariateNormal(ag.zeros(2), covariance_matrix=ag.tensor(bad)),
                               lambda: TD.MultivariateNormal(torch.zeros(2), covariance_matrix=torch.tensor(bad)))
    assert "to satisfy the constraint PositiveDefinite()" in ours and "PositiveDefinite()" in theirs
    upper = [[1.0, 1.0], [0.0, 1.0]]
    ours, theirs = _both_raise(lambda: D.MultivariateNormal(ag.zeros(2), scale_tril=ag.tensor(upper)),
                               lambda: TD.MultivariateNormal(torch.zeros(2), scale_tril=torch.tensor(upper)))
    assert "LowerCholesky()" in ours and "LowerCholesky()" in theirs
    ours, theirs = _both_raise(lambda: D.Geometric(ag.tensor([0.0, 0.5])),
                               lambda: TD.Geometric(torch.tensor([0.0, 0.5])))
    assert ours.split(":")[0] == theirs.split(":")[0].replace("torch.Size", "autograd_core.Size")
    assert "to be positive but found invalid values" in ours


@pytest.mark.parametrize("case", [
    (lambda lib, t: lib.Normal(t([0.0]), t([1.0])), lambda t: t([float("nan")])),
    (lambda lib, t: lib.Exponential(t([1.0])), lambda t: t([-1.0])),
    (lambda lib, t: lib.Bernoulli(t([0.3])), lambda t: t([0.5])),
    (lambda lib, t: lib.Categorical(t([0.3, 0.7])), lambda t: t([2])),
    (lambda lib, t: lib.Poisson(t([1.0])), lambda t: t([1.5])),
    (lambda lib, t: lib.Beta(t([1.0]), t([2.0])), lambda t: t([1.5])),
    (lambda lib, t: lib.Uniform(t([0.0]), t([1.0])), lambda t: t([2.0])),
    (lambda lib, t: lib.Normal(t([0.0, 0.0]), t([1.0, 1.0])), lambda t: t([0.0, 0.0, 0.0])),
    (lambda lib, t: lib.MultivariateNormal(t([0.0, 0.0]), t([[1.0, 0.0], [0.0, 1.0]])), lambda t: t([0.0, 0.0, 0.0])),
], ids=["real", "nonnegative", "boolean", "integer_interval", "integer", "unit_interval", "interval", "broadcast",
        "event_shape"])
def test_values_outside_support_or_shape_raise_torchs_value_error(case):
    ctor, val = case
    d, td = ctor(D, lambda v: ag.tensor(v)), ctor(TD, lambda v: torch.tensor(v))
    ours, theirs = _both_raise(lambda: d.log_prob(val(lambda v: ag.tensor(v))),
                               lambda: td.log_prob(val(lambda v: torch.tensor(v))))
    assert _norm_msg(ours) == _norm_msg(theirs)


def test_validation_messages_and_switches():
    with pytest.raises(ValueError, match="The value argument to log_prob must be a Tensor"):
        D.Normal(0.0, 1.0).log_prob(0.5)
    with pytest.raises(ValueError, match=r"Either `probs` or `logits` must be specified, but not both\."):
        D.Bernoulli(probs=ag.tensor(0.5), logits=ag.tensor(0.0))
    with pytest.raises(ValueError, match=r"Either `probs` or `logits` must be specified, but not both\."):
        D.Categorical()
    with pytest.raises(ValueError, match="`probs` parameter must be at least one-dimensional."):
        D.Categorical(ag.tensor(1.0))
    with pytest.raises(ValueError, match="Exactly one of covariance_matrix or precision_matrix or scale_tril"):
        D.MultivariateNormal(ag.zeros(2))
    with pytest.raises(ValueError, match="does not match loc of shape"):
        D.MultivariateNormal(ag.zeros(3), ag.eye(2))
    with pytest.raises(ValueError, match="set_default_validate_args expects True or False"):
        D.Distribution.set_default_validate_args("yes")
    # validate_args=False: nothing is checked (torch then computes nan, as we do)
    d = D.Normal(ag.tensor([0.0]), ag.tensor([-1.0]), validate_args=False)
    assert np.isnan(_arr(d.log_prob(ag.tensor([0.0])))).all()
    try:
        D.Distribution.set_default_validate_args(False)
        D.Normal(ag.tensor([0.0]), ag.tensor([-1.0]))
        assert D.Exponential(ag.tensor([1.0])).log_prob(ag.tensor([-1.0])).shape == (1,)
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Normal(ag.tensor([0.0]), ag.tensor([-1.0]))
    with pytest.raises(ValueError, match="Input arguments must all be instances of Number or autograd_core.Tensor"):
        D.Normal(np.zeros(2), 1.0)
    with pytest.raises(NotImplementedError, match="Inhomogeneous total count not supported by `entropy`"):
        D.Binomial(ag.tensor([2.0, 3.0]), ag.tensor([0.5, 0.5])).entropy()
    with pytest.raises(NotImplementedError, match="does not implement mode"):
        _ = D.TransformedDistribution(D.Normal(0.0, 1.0), T.ExpTransform()).mode


def test_repr_matches_torch():
    assert repr(D.Normal(0.0, 1.0)) == repr(TD.Normal(0.0, 1.0))
    assert _norm_msg(repr(D.Normal(ag.zeros(2), ag.ones(2)))) == _norm_msg(repr(TD.Normal(torch.zeros(2),
                                                                                          torch.ones(2))))
    assert repr(D.Independent(D.Normal(ag.zeros(2), ag.ones(2)), 1)).startswith("Independent(Normal(loc: ")


# ------------------------------------------------------------------------------ constraints, transforms
_CONSTRAINTS = ["real", "positive", "nonnegative", "unit_interval", "boolean", "nonnegative_integer",
                "positive_integer", "simplex", "real_vector", "one_hot", "lower_cholesky", "lower_triangular",
                "positive_definite", "positive_semidefinite", "symmetric", "square"]


@pytest.mark.parametrize("name", _CONSTRAINTS)
def test_constraints_check_like_torch(name):
    r = np.random.default_rng(5)
    vals = [r.standard_normal((3, 2, 2)), np.array([[[1.0, 0.0], [0.5, 2.0]]]), np.array([[[2.0, 1.0], [1.0, 2.0]]]),
            np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [0.0, 0.0]]]), np.array([[0.3, 0.7], [0.5, 0.6]]),
            np.array([0.0, 1.0, 2.0, -1.0, 0.5, np.nan]), np.array([[1.0, 0.0], [1.0, 1.0]])]
    ours, theirs = getattr(C, name), getattr(TD.constraints, name)
    assert repr(ours) == repr(theirs)
    assert ours.event_dim == theirs.event_dim and ours.is_discrete == theirs.is_discrete
    for v in vals:
        if v.ndim < ours.event_dim:
            continue
        try:
            expect = theirs.check(torch.tensor(v))
        except (RuntimeError, ValueError):
            continue
        got = ours.check(ag.tensor(v))
        np.testing.assert_array_equal(_arr(got), expect.numpy(), err_msg=f"{name} on {v.tolist()}")


def test_parameterised_constraints_check_like_torch():
    v = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, 3.0])
    for ours, theirs in [(C.interval(0.0, 2.0), TD.constraints.interval(0.0, 2.0)),
                         (C.half_open_interval(0.0, 2.0), TD.constraints.half_open_interval(0.0, 2.0)),
                         (C.integer_interval(0, 2), TD.constraints.integer_interval(0, 2)),
                         (C.greater_than(0.5), TD.constraints.greater_than(0.5)),
                         (C.greater_than_eq(0.5), TD.constraints.greater_than_eq(0.5)),
                         (C.less_than(1.0), TD.constraints.less_than(1.0)),
                         (C.independent(C.positive, 1), TD.constraints.independent(TD.constraints.positive, 1))]:
        assert repr(ours) == repr(theirs)
        np.testing.assert_array_equal(_arr(ours.check(ag.tensor(v))), theirs.check(torch.tensor(v)).numpy())
    assert C.is_dependent(C.dependent) and not C.is_dependent(C.real)
    with pytest.raises(ValueError, match="Cannot determine validity of dependent constraint"):
        C.dependent.check(ag.zeros(1))


_TRANSFORMS = {
    "exp": (lambda lib: lib.transforms.ExpTransform(), lambda r: r.standard_normal(5)),
    "affine": (lambda lib: lib.transforms.AffineTransform(0.5, -2.0), lambda r: r.standard_normal(5)),
    "affine_event": (lambda lib: lib.transforms.AffineTransform(0.5, 3.0, event_dim=1),
                     lambda r: r.standard_normal((2, 5))),
    "sigmoid": (lambda lib: lib.transforms.SigmoidTransform(), lambda r: r.standard_normal(5) * 3),
    "tanh": (lambda lib: lib.transforms.TanhTransform(), lambda r: r.standard_normal(5) * 2),
    "softplus": (lambda lib: lib.transforms.SoftplusTransform(), lambda r: r.standard_normal(5) * 3),
    "power": (lambda lib: lib.transforms.PowerTransform(2.5), lambda r: r.random(5) + 0.1),
    "compose": (lambda lib: lib.transforms.ComposeTransform([lib.transforms.AffineTransform(0.5, 2.0),
                                                             lib.transforms.TanhTransform()]),
                lambda r: r.standard_normal(5)),
    "inverse": (lambda lib: lib.transforms.SigmoidTransform().inv, lambda r: r.random(5) * 0.9 + 0.05),
}


@pytest.mark.parametrize("name", list(_TRANSFORMS))
def test_transforms_match_torch(name):
    make, draw = _TRANSFORMS[name]
    t, tt = make(D), make(TD)
    x = draw(np.random.default_rng(2))
    ax, tx = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = t(ax), tt(tx)
    assert_close(y, ty, f"{name}(x)")
    assert_close(t.inv(y), tt.inv(ty), f"{name}.inv(y)", rtol=1e-9)
    j, tj = t.log_abs_det_jacobian(ax, y), tt.log_abs_det_jacobian(tx, ty)
    assert_close(j, tj, f"{name}.log_abs_det_jacobian", rtol=1e-9, atol=1e-10)
    assert j.requires_grad == tj.requires_grad
    if tj.requires_grad:
        assert_same_grads(j, tj, {"x": ax}, {"x": tx}, f"{name} jacobian")
    assert t.bijective == tt.bijective
    assert float(t.sign) == float(tt.sign)
    assert t.domain.event_dim == tt.domain.event_dim and t.codomain.event_dim == tt.codomain.event_dim
    assert t == make(D) and t.inv.inv == t


def test_transform_cache_and_errors():
    t = T.ExpTransform(cache_size=1)
    x = ag.tensor([0.1, 0.2])
    y = t(x)
    assert t(x) is y and t.inv(y) is x
    assert T.ExpTransform().with_cache(1)._cache_size == 1
    with pytest.raises(ValueError, match="cache_size must be 0 or 1"):
        T.ExpTransform(cache_size=2)
    with pytest.raises(ValueError, match="transforms must be a Transform or list"):
        D.TransformedDistribution(D.Normal(0.0, 1.0), "exp")
    ident = T.identity_transform
    assert ident(x) is x and T.ComposeTransform([]).inv == T.ComposeTransform([])


# ----------------------------------------------------------------------------------------------- programs
def test_reinforce_gradient_matches_torch_for_the_same_actions():
    r = np.random.default_rng(0)
    states, w0, b0 = r.standard_normal((8, 4)), r.standard_normal((4, 3)) * 0.5, r.standard_normal(3) * 0.1
    rewards = r.standard_normal(8)
    W, b = ag.tensor(w0, requires_grad=True), ag.tensor(b0, requires_grad=True)
    tW, tb = torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    ag.manual_seed(123)
    dist = D.Categorical(logits=ag.tensor(states) @ W + b)
    actions = dist.sample()
    assert actions.dtype == np.int64 and tuple(actions.shape) == (8,)
    loss = -(dist.log_prob(actions) * ag.tensor(rewards)).mean() - 0.01 * dist.entropy().mean()
    loss.backward()
    tdist = TD.Categorical(logits=torch.tensor(states) @ tW + tb)
    tactions = torch.tensor(_arr(actions))
    tloss = -(tdist.log_prob(tactions) * torch.tensor(rewards)).mean() - 0.01 * tdist.entropy().mean()
    tloss.backward()
    np.testing.assert_allclose(float(loss), float(tloss), rtol=1e-12)
    np.testing.assert_allclose(_arr(W.grad), tW.grad.numpy(), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(_arr(b.grad), tb.grad.numpy(), rtol=1e-10, atol=1e-13)


def test_reinforce_with_softmax_probs_in_float32_as_pytorch_examples_writes_it():
    # select_action of pytorch/examples: probs of shape (1, 2), action.item(), log_prob of shape (1,)
    w0 = np.random.default_rng(1).standard_normal((6, 2)).astype(np.float32)
    W, tW = ag.tensor(w0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    state = np.eye(6, dtype=np.float32)[2:3]
    logps, tlogps = [], []
    for _ in range(3):
        m = D.Categorical(ag.softmax(ag.tensor(state) @ W, dim=1))
        a = m.sample()
        assert isinstance(a.item(), int) and tuple(a.shape) == (1,)
        logps.append(m.log_prob(a))
        tm = TD.Categorical(torch.softmax(torch.tensor(state) @ tW, dim=1))
        tlogps.append(tm.log_prob(torch.tensor(_arr(a))))
    ag.cat([-lp * 0.7 for lp in logps]).sum().backward()
    torch.cat([-lp * 0.7 for lp in tlogps]).sum().backward()
    assert logps[0].dtype == np.float32
    np.testing.assert_allclose(_arr(W.grad), tW.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_gaussian_policy_and_vae_losses_match_torch():
    r = np.random.default_rng(3)
    mu0, ls0 = r.standard_normal((4, 2)), r.standard_normal((4, 2)) * 0.3
    mu, ls = ag.tensor(mu0, requires_grad=True), ag.tensor(ls0, requires_grad=True)
    tmu, tls = torch.tensor(mu0, requires_grad=True), torch.tensor(ls0, requires_grad=True)
    # actor-critic: diagonal Gaussian policy, log_prob of given actions plus entropy bonus
    acts = r.standard_normal((4, 2))
    pol = D.Independent(D.Normal(mu, ls.exp()), 1)
    tpol = TD.Independent(TD.Normal(tmu, tls.exp()), 1)
    adv = r.standard_normal(4)
    loss = -(pol.log_prob(ag.tensor(acts)) * ag.tensor(adv)).mean() - 0.1 * pol.entropy().mean()
    tloss = -(tpol.log_prob(torch.tensor(acts)) * torch.tensor(adv)).mean() - 0.1 * tpol.entropy().mean()
    # VAE: KL(q(z|x) || N(0, I)) plus a reparameterised draw's loss (same noise in both)
    q = D.Normal(mu, ls.exp())
    tq = TD.Normal(tmu, tls.exp())
    kl = D.kl_divergence(q, D.Normal(ag.zeros_like(mu), ag.ones_like(mu))).sum(-1).mean()
    tkl = TD.kl_divergence(tq, TD.Normal(torch.zeros_like(tmu), torch.ones_like(tmu))).sum(-1).mean()
    ag.manual_seed(8)
    z = q.rsample()
    eps = (_arr(z) - mu0) / np.exp(ls0)
    tz = tmu + tls.exp() * torch.tensor(eps)
    total = loss + kl + (z ** 2).sum()
    ttotal = tloss + tkl + (tz ** 2).sum()
    total.backward()
    ttotal.backward()
    np.testing.assert_allclose(float(total), float(ttotal), rtol=1e-12)
    np.testing.assert_allclose(_arr(mu.grad), tmu.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_arr(ls.grad), tls.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_float32_parameters_stay_float32():
    loc = ag.zeros(3, requires_grad=True)
    d = D.Normal(loc, 1.0)
    assert d.rsample().dtype == np.float32 and d.log_prob(ag.zeros(3)).dtype == np.float32
    assert D.Categorical(logits=ag.zeros(3)).entropy().dtype == np.float32
    assert D.Bernoulli(ag.full((2,), 0.3)).sample().dtype == np.float32
    assert D.Gamma(ag.ones(2), 1.0).rsample().dtype == np.float32
    assert D.Dirichlet(ag.ones(3)).rsample().dtype == np.float32
    assert ag.distributions is D  # reachable as the lazy subpackage


def test_each_distribution_has_torchs_arg_constraints():
    for name in ["Normal", "Bernoulli", "Categorical", "Beta", "Gamma", "Dirichlet", "Exponential", "Laplace",
                 "LogNormal", "Poisson", "Binomial", "Geometric", "OneHotCategorical", "MultivariateNormal", "Cauchy",
                 "HalfNormal", "Chi2", "StudentT", "Multinomial"]:
        ours, theirs = getattr(D, name).arg_constraints, getattr(TD, name).arg_constraints
        assert {k: repr(v) for k, v in ours.items()} == {k: repr(v) for k, v in theirs.items()}, name
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        D.Uniform(0.0, 1.0).arg_constraints  # noqa: B018  (a property: evaluating it is the check)
