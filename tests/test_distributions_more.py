"""The second set of autograd_core.distributions (Gumbel, MixtureSameFamily, the relaxed/straight-through
categoricals, LowRankMultivariateNormal, Weibull, Pareto, HalfCauchy, InverseGamma, NegativeBinomial,
Kumaraswamy, ContinuousBernoulli, VonMises, FisherSnedecor, GeneralizedPareto, LogisticNormal), the structured
transforms and biject_to / transform_to, against torch.distributions on the same float64 parameters: values
and gradients of log_prob, entropy, moments, cdf/icdf and KL; gradcheck through our engine; shapes, expand and
sample statistics; rsample gradients; validation messages.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import distributions as D
from autograd_core.distributions import constraints as C
from autograd_core.distributions import transforms as T
from autograd_core.distributions.utils import rng as _engine_rng

torch = pytest.importorskip("torch")
from _dist_helpers import ATOL, RTOL, _arr, assert_close, check_samples_and_expand, grads, leaves  # noqa: E402

TD = torch.distributions

R = np.random.default_rng(20240612)


# ----------------------------------------------------------------------------------------------- helpers
@pytest.fixture(autouse=True)
def _torch_gpd_in_float64(request):
    # torch 2.x's GeneralizedPareto compares float64 parameters with torch.tensor(0.0) (the default dtype),
    # which raises "Double did not match Float": its float64 oracle needs float64 as the default dtype
    if "generalized_pareto" not in request.node.name and "gpd" not in request.node.name:
        yield
        return
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(old)










def assert_same_grads(ours_out, torch_out, P, TP, what: str, rtol: float = 1e-9, atol: float = 1e-11) -> None:
    w = R.standard_normal(tuple(torch_out.shape))
    fin = np.isfinite(_arr(torch_out))
    w = np.where(fin, w, 0.0)  # an infinite entry's gradient is not compared
    g1 = grads((ag.where(ag.tensor(fin), ours_out, 0.0) * ag.tensor(w)).sum(), P)
    g2 = grads((torch.where(torch.tensor(fin), torch_out, 0.0) * torch.tensor(w)).sum(), TP)
    assert g1.keys() == g2.keys()
    for k in g1:
        if g2[k] is None:
            assert g1[k] is None or np.allclose(_arr(g1[k]), 0), f"{what}: d/d{k} should be zero"
            continue
        assert g1[k] is not None, f"{what}: d/d{k} missing"
        a, b = g1[k], g2[k]
        if not fin.all():  # torch's nan-valued entries may leak nan into its gradient: not compared
            bad = torch.isnan(b)
            a, b = ag.where(ag.tensor(bad.numpy()), 0.0, a), torch.where(bad, 0.0, b)
        assert_close(a, b, f"{what} d/d{k}", rtol, atol)


def _torch_or_error(fn):
    try:
        return fn(), None
    except (NotImplementedError, ValueError) as e:
        return None, type(e)


# ----------------------------------------------------------------------------------------------- the cases
def _case(params, build, values, tol=(RTOL, ATOL), skip=()):
    return {"params": params, "build": build, "values": values, "tol": tol, "skip": set(skip)}


def _counts(shape, hi, r):
    return r.integers(0, hi + 1, shape).astype(np.float64)


def _make_cases() -> dict:
    r = np.random.default_rng(11)
    simplex4 = r.dirichlet(np.ones(4), (3, 2))
    w = r.standard_normal((3, 2))
    return {
        "gumbel": _case({"loc": r.standard_normal(3), "scale": r.random(3) + 0.5},
                        lambda lib, P: lib.Gumbel(P["loc"], P["scale"]), r.standard_normal((4, 3)) * 2),
        "gumbel_numbers": _case({}, lambda lib, P: lib.Gumbel(0.5, 2.0), r.standard_normal(5)),
        "weibull": _case({"scale": r.random(3) + 0.5, "k": np.array([0.7, 1.5, 3.0])},
                         lambda lib, P: lib.Weibull(P["scale"], P["k"]), r.random((4, 3)) * 2 + 0.05),
        "pareto": _case({"scale": r.random(4) + 0.5, "alpha": np.array([0.7, 1.5, 2.5, 6.0])},
                        lambda lib, P: lib.Pareto(P["scale"], P["alpha"]), r.random((3, 4)) * 3 + 1.6),
        "half_cauchy": _case({"scale": r.random(3) + 0.3}, lambda lib, P: lib.HalfCauchy(P["scale"]),
                             r.random((4, 3)) * 3),
        "inverse_gamma": _case({"a": np.array([0.7, 1.5, 2.5, 6.0]), "b": r.random(4) + 0.5},
                               lambda lib, P: lib.InverseGamma(P["a"], P["b"]), r.random((3, 4)) * 2 + 0.05),
        "kumaraswamy": _case({"a": np.array([0.7, 1.5, 3.0]), "b": np.array([2.0, 0.6, 4.0])},
                             lambda lib, P: lib.Kumaraswamy(P["a"], P["b"]), r.random((4, 3)) * 0.96 + 0.02,
                             skip=("mode",)),  # torch 2.x's mode is nan everywhere: tested on its own below
        "negative_binomial": _case({"n": np.array([0.5, 2.0, 7.5]), "probs": np.array([0.2, 0.5, 0.85])},
                                   lambda lib, P: lib.NegativeBinomial(P["n"], probs=P["probs"]),
                                   _counts((4, 3), 12, r)),
        "negative_binomial_logits": _case({"n": np.array([3.0, 0.0]), "logits": np.array([-1.0, 0.7])},
                                          lambda lib, P: lib.NegativeBinomial(P["n"].detach(), logits=P["logits"]),
                                          np.array([[0.0, 0.0], [4.0, 0.0]])),
        "continuous_bernoulli": _case({"probs": np.array([0.05, 0.3, 0.4995, 0.5, 0.5008, 0.7, 0.97])},
                                      lambda lib, P: lib.ContinuousBernoulli(P["probs"]),
                                      r.random((3, 7))),
        "continuous_bernoulli_logits": _case({"logits": np.array([-4.0, -0.5, 0.001, 1.3])},
                                             lambda lib, P: lib.ContinuousBernoulli(logits=P["logits"]),
                                             r.random((3, 4))),
        # torch's log I0 is a 1e-7 polynomial approximation: compared loosely here, ours exactly below
        "von_mises": _case({"loc": r.standard_normal(4), "k": np.array([0.05, 1.0, 3.7, 25.0])},
                           lambda lib, P: lib.VonMises(P["loc"], P["k"]), r.random((3, 4)) * 6 - 3,
                           tol=(2e-5, 1e-6)),
        "fisher_snedecor": _case({"d1": np.array([1.5, 3.0, 6.0, 10.0]), "d2": np.array([1.0, 3.0, 4.5, 12.0])},
                                 lambda lib, P: lib.FisherSnedecor(P["d1"], P["d2"]), r.random((3, 4)) * 3 + 0.05),
        "generalized_pareto": _case({"loc": np.array([0.0, 0.5, -1.0]), "scale": np.array([1.0, 2.0, 0.5]),
                                     "xi": np.array([0.3, 0.0, -0.4])},
                                    lambda lib, P: lib.GeneralizedPareto(P["loc"], P["scale"], P["xi"]),
                                    np.array([[0.1, 0.7, -0.9], [3.0, 4.0, 0.2]])),
        "logistic_normal": _case({"loc": r.standard_normal((2, 3)), "scale": r.random((2, 3)) + 0.5},
                                 lambda lib, P: lib.LogisticNormal(P["loc"], P["scale"]), simplex4),
        "logistic_normal_numbers": _case({}, lambda lib, P: lib.LogisticNormal(0.3, 1.5),
                                         r.dirichlet(np.ones(2), 5).astype(np.float32), tol=(1e-5, 1e-6)),
        "relaxed_bernoulli": _case({"t": np.array(0.7), "probs": r.random(3) * 0.8 + 0.1},
                                   lambda lib, P: lib.RelaxedBernoulli(P["t"], probs=P["probs"]),
                                   r.random((4, 3)) * 0.98 + 0.01),
        "relaxed_bernoulli_logits": _case({"t": np.array([0.3, 1.0, 2.0]), "logits": r.standard_normal(3)},
                                          lambda lib, P: lib.RelaxedBernoulli(P["t"], logits=P["logits"]),
                                          r.random((2, 3)) * 0.98 + 0.01),
        "relaxed_onehot": _case({"t": np.array(0.5), "logits": r.standard_normal((3, 4))},
                                lambda lib, P: lib.RelaxedOneHotCategorical(P["t"], logits=P["logits"]),
                                r.dirichlet(np.ones(4), (2, 3))),
        "relaxed_onehot_probs": _case({"t": np.array(1.5), "probs": r.dirichlet(np.ones(3), 2)},
                                      lambda lib, P: lib.RelaxedOneHotCategorical(P["t"], probs=P["probs"]),
                                      r.dirichlet(np.ones(3), (4, 2))),
        "onehot_st": _case({"logits": r.standard_normal((3, 4))},
                           lambda lib, P: lib.OneHotCategoricalStraightThrough(logits=P["logits"]),
                           np.eye(4)[r.integers(0, 4, (2, 3))]),
        "lowrank_mvn": _case({"loc": r.standard_normal((2, 3)), "w": w, "d": r.random(3) + 0.5},
                             lambda lib, P: lib.LowRankMultivariateNormal(P["loc"], P["w"], P["d"]),
                             r.standard_normal((4, 2, 3))),
        "lowrank_mvn_batched_factor": _case({"loc": r.standard_normal(3), "w": r.standard_normal((2, 3, 1)),
                                             "d": r.random((2, 3)) + 0.5},
                                            lambda lib, P: lib.LowRankMultivariateNormal(P["loc"], P["w"], P["d"]),
                                            r.standard_normal((4, 1, 3))),
        "mixture_normal": _case({"p": np.array([0.2, 0.5, 0.3]), "loc": np.array([-2.0, 0.0, 3.0]),
                                 "scale": np.array([0.5, 1.0, 2.0])},
                                lambda lib, P: lib.MixtureSameFamily(lib.Categorical(P["p"]),
                                                                     lib.Normal(P["loc"], P["scale"])),
                                r.standard_normal(6) * 3),
        "mixture_batched_2d": _case({"logits": r.standard_normal((2, 4)), "loc": r.standard_normal((2, 4, 3)),
                                     "scale": r.random((2, 4, 3)) + 0.4},
                                    lambda lib, P: lib.MixtureSameFamily(
                                        lib.Categorical(logits=P["logits"]),
                                        lib.Independent(lib.Normal(P["loc"], P["scale"]), 1)),
                                    r.standard_normal((5, 2, 3))),
        "mixture_gamma": _case({"p": np.array([[0.3, 0.7], [0.9, 0.1]]), "a": np.array([[1.0, 4.0], [2.0, 9.0]]),
                                "b": np.array([[1.0, 2.0], [0.5, 3.0]])},
                               lambda lib, P: lib.MixtureSameFamily(lib.Categorical(P["p"]),
                                                                    lib.Gamma(P["a"], P["b"])),
                               r.random((3, 2)) * 5 + 0.05),
    }


CASES = _make_cases()


def _build(name: str, grad: bool = True):
    case = CASES[name]
    P, TP = leaves(case["params"], grad)
    return case, case["build"](D, P), case["build"](TD, TP), P, TP


def _values(case):
    return ag.tensor(case["values"]), torch.tensor(case["values"])


# --------------------------------------------------------------------------------- scoring and moments
@pytest.mark.parametrize("name", list(CASES))
def test_log_prob_and_its_gradients_match_torch(name):
    case, d, td, P, TP = _build(name)
    v, tv = _values(case)
    lp, tlp = d.log_prob(v), td.log_prob(tv)
    assert_close(lp, tlp, f"{name}.log_prob", *case["tol"])
    if P:
        rtol, atol = case["tol"]
        assert_same_grads(lp, tlp, P, TP, f"{name}.log_prob", rtol=max(rtol, 1e-9), atol=max(atol, 1e-11))


@pytest.mark.parametrize("name", list(CASES))
def test_entropy_matches_torch(name):
    case, d, td, P, TP = _build(name)
    th, err = _torch_or_error(td.entropy)
    if err is not None:
        with pytest.raises(err):
            d.entropy()
        return
    h = d.entropy()
    assert_close(h, th, f"{name}.entropy", *case["tol"])
    if P and th.requires_grad:
        assert_same_grads(h, th, P, TP, f"{name}.entropy")


@pytest.mark.parametrize("attr", ["mean", "variance", "stddev", "mode"])
@pytest.mark.parametrize("name", list(CASES))
def test_moments_match_torch(name, attr):
    case, d, td, P, TP = _build(name)
    if attr in case["skip"]:
        return
    tval, err = _torch_or_error(lambda: getattr(td, attr))
    if err is not None:
        with pytest.raises(err):
            getattr(d, attr)
        return
    val = getattr(d, attr)
    assert_close(val, tval, f"{name}.{attr}", *case["tol"])
    if P and tval.requires_grad and name != "onehot_st":
        rtol, atol = case["tol"]
        assert_same_grads(val, tval, P, TP, f"{name}.{attr}", rtol=max(rtol, 1e-9), atol=max(atol, 1e-11))


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
        assert_close(c, tc, f"{name}.cdf", *case["tol"])
        if P and "gamma" not in name:  # torch's gammainc has no derivative in the concentration
            assert_same_grads(c, tc, P, TP, f"{name}.cdf")
    case, d, td, P, TP = _build(name)
    u = np.random.default_rng(3).random(case["values"].shape) * 0.98 + 0.01
    ti, err = _torch_or_error(lambda: td.icdf(torch.tensor(u)))
    if err is not None:
        with pytest.raises(err):
            d.icdf(ag.tensor(u))
        return
    i = d.icdf(ag.tensor(u))
    assert_close(i, ti, f"{name}.icdf", *case["tol"])
    if P:
        assert_same_grads(i, ti, P, TP, f"{name}.icdf")


_GRADCHECK = [n for n in CASES if CASES[n]["params"] and n != "onehot_st"]


@pytest.mark.parametrize("name", _GRADCHECK)
def test_log_prob_passes_gradcheck_through_our_engine(name):
    case = CASES[name]
    names = [k for k, v in case["params"].items() if v.dtype.kind == "f"]
    if name == "negative_binomial_logits":
        names = ["logits"]  # total_count is passed detached
    params = dict(case["params"])
    if name == "generalized_pareto":
        # at xi = 0 exactly the exponential limit is used, flat in xi: central differences straddle the switch
        params["xi"] = np.array([0.3, 0.05, -0.4])
    fixed = {k: ag.tensor(v) for k, v in params.items() if k not in names}
    v = ag.tensor(case["values"])

    def fn(*xs):
        return case["build"](D, {**fixed, **dict(zip(names, xs))}).log_prob(v)

    inputs = [ag.tensor(params[k], requires_grad=True) for k in names]
    assert ag.gradcheck(fn, inputs, eps=1e-6, atol=1e-6, rtol=1e-5)


# ------------------------------------------------------------------------------------------ shapes, samples
@pytest.mark.parametrize("name", list(CASES))
def test_shapes_dtypes_support_and_expand_match_torch(name):
    case, d, td, P, TP = _build(name, grad=False)
    assert tuple(d.batch_shape) == tuple(td.batch_shape)
    assert tuple(d.event_shape) == tuple(td.event_shape)
    assert d.has_rsample == td.has_rsample
    assert d.has_enumerate_support == td.has_enumerate_support
    assert type(d.support).__name__.lstrip("_") == type(td.support).__name__.lstrip("_")
    assert {k: repr(c) for k, c in d.arg_constraints.items()} == {k: repr(c) for k, c in td.arg_constraints.items()}
    big, e, te = check_samples_and_expand(d, td, name)
    v = case["values"]
    nd = len(d.batch_shape) + len(d.event_shape)
    v1 = np.broadcast_to(v.reshape((-1,) + v.shape[v.ndim - nd:])[0] if nd else v.reshape(-1)[0],
                         big + tuple(d.event_shape)).copy()
    assert_close(e.log_prob(ag.tensor(v1)), te.log_prob(torch.tensor(v1)), f"{name}.expand.log_prob", *case["tol"])
    assert tuple(e.sample((2,)).shape) == (2,) + big + tuple(d.event_shape)


def _stat_ok(x: np.ndarray, mean: np.ndarray, var: np.ndarray, what: str, k: float = 6.0) -> None:
    n = x.shape[0]
    m = x.mean(0)
    assert np.all(np.abs(m - mean) <= k * np.sqrt(var / n) + 1e-12), f"{what}: mean {m} vs {mean}"
    c2 = (x - mean) ** 2
    se_var = c2.std(0) / math.sqrt(n)
    assert np.all(np.abs(c2.mean(0) - var) <= k * se_var + 1e-12), f"{what}: var {c2.mean(0)} vs {var}"


_STAT_SPECIAL = {"von_mises", "logistic_normal_numbers", "relaxed_bernoulli", "relaxed_bernoulli_logits",
                 "relaxed_onehot", "relaxed_onehot_probs", "logistic_normal", "onehot_st"}


@pytest.mark.parametrize("name", [n for n in CASES if n not in _STAT_SPECIAL])
def test_sample_statistics(name):
    case, d, td, P, TP = _build(name, grad=False)
    ag.manual_seed(12)
    n = 40000
    draws = [_arr(d.sample((n,)))] + ([_arr(d.rsample((n,)))] if d.has_rsample else [])
    mean, err = _torch_or_error(lambda: td.mean)
    var = None if err else _torch_or_error(lambda: td.variance)[0]
    finite = (err is None and var is not None and np.isfinite(mean.numpy()).all() and np.isfinite(var.numpy()).all()
              and name != "fisher_snedecor")  # F's 4th moment diverges for df2 <= 8: use its cdf (below)
    for x in draws:
        if finite:
            _stat_ok(x, np.broadcast_to(_arr(d.mean), x.shape[1:]), np.broadcast_to(_arr(d.variance), x.shape[1:]),
                     f"{name} samples")
        else:  # heavy tails: the cdf of the draws must be U(0, 1) (torch's cdf; scipy's for F)
            if name == "fisher_snedecor":
                stats = pytest.importorskip("scipy.stats")
                u = stats.f.cdf(x, case["params"]["d1"], case["params"]["d2"])
            else:
                u = _arr(td.cdf(torch.tensor(x)))
            _stat_ok(u, np.full(u.shape[1:], 0.5), np.full(u.shape[1:], 1 / 12), f"{name}: F(samples)")


def test_von_mises_samples_have_the_circular_moments():
    loc = np.array([0.3, -2.9, 3.0, 0.0])
    k = np.array([0.01, 0.8, 4.0, 60.0])
    d = D.VonMises(ag.tensor(loc), ag.tensor(k))
    ag.manual_seed(3)
    n = 40000
    x = _arr(d.sample((n,)))
    assert x.dtype == np.float64 and np.all((x >= -math.pi) & (x < math.pi))
    # E[cos(x - loc)] = I1(k) / I0(k) = 1 - circular variance, E[sin(x - loc)] = 0
    r1 = 1 - _arr(d.variance)
    c, s = np.cos(x - loc), np.sin(x - loc)
    se_c, se_s = c.std(0) / math.sqrt(n), s.std(0) / math.sqrt(n)
    assert np.all(np.abs(c.mean(0) - r1) <= 6 * se_c + 1e-12), (c.mean(0), r1)
    assert np.all(np.abs(s.mean(0)) <= 6 * se_s + 1e-12)
    assert D.VonMises(ag.tensor(0.0, dtype=ag.float32), 1.0).sample((3,)).dtype == np.float32


def test_von_mises_log_normaliser_and_variance_against_mpmath():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 30
    k = np.array([1e-6, 0.02, 0.9, 3.75, 12.0, 19.999, 20.001, 45.0, 700.0, 5000.0])
    conc = ag.tensor(k, requires_grad=True)
    d = D.VonMises(ag.zeros(len(k), dtype=ag.float64), conc)
    lp = d.log_prob(ag.zeros(len(k), dtype=ag.float64))  # k - log(2 pi) - log I0(k)
    ref = np.array([float(mpmath.mpf(x) - mpmath.log(2 * mpmath.pi) - mpmath.log(mpmath.besseli(0, x))) for x in k])
    np.testing.assert_allclose(_arr(lp), ref, rtol=1e-13, atol=1e-14)
    g, = ag.autograd.grad(lp.sum(), conc)  # 1 - I1/I0
    ratio = np.array([float(mpmath.besseli(1, x) / mpmath.besseli(0, x)) for x in k])
    # 1 - I1/I0 from the two logs: their ~1e-16 relative error becomes ~1e-13 absolute at k ~ 1e3
    np.testing.assert_allclose(_arr(g), 1 - ratio, rtol=1e-12, atol=2e-13)
    np.testing.assert_allclose(_arr(D.VonMises(ag.zeros(len(k), dtype=ag.float64), ag.tensor(k)).variance),
                               1 - ratio, rtol=1e-12, atol=2e-13)
    assert ag.gradcheck(lambda c: D.VonMises(ag.zeros(3, dtype=ag.float64), c).variance,
                        [ag.tensor([0.5, 4.0, 30.0], dtype=ag.float64, requires_grad=True)])


def test_relaxed_bernoulli_and_onehot_samples_match_their_discrete_limits():
    ag.manual_seed(4)
    n = 40000
    p = np.array([0.1, 0.5, 0.8])
    x = _arr(D.RelaxedBernoulli(ag.tensor(0.6), probs=ag.tensor(p)).sample((n,)))
    assert np.all((x > 0) & (x < 1))
    freq = (x > 0.5).mean(0)  # P(logit X > 0) = p at any temperature
    assert np.all(np.abs(freq - p) <= 6 * np.sqrt(p * (1 - p) / n))
    probs = np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]])
    y = _arr(D.RelaxedOneHotCategorical(ag.tensor(np.array(0.9)), probs=ag.tensor(probs)).rsample((n,)))
    np.testing.assert_allclose(y.sum(-1), 1.0, rtol=1e-12)
    freq = np.stack([(y.argmax(-1) == k).mean(0) for k in range(3)], -1)  # Gumbel-max: argmax ~ Categorical
    assert np.all(np.abs(freq - probs) <= 6 * np.sqrt(probs * (1 - probs) / n))
    ln = D.LogisticNormal(ag.tensor(np.array([0.3, -0.2])), ag.tensor(np.array([0.5, 1.0])))
    z = _arr(ln.sample((n,)))
    np.testing.assert_allclose(z.sum(-1), 1.0, rtol=1e-12)
    # its pre-image is the Normal draw: stick-breaking inverted, the normal statistics
    pre = _arr(T.StickBreakingTransform().inv(ag.tensor(z)))
    _stat_ok(pre, np.array([0.3, -0.2]), np.array([0.25, 1.0]), "logistic normal pre-image")


def test_one_hot_straight_through_rsample_is_one_hot_with_the_probs_gradient():
    logits = np.random.default_rng(0).standard_normal((3, 4))
    L, TL = ag.tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
    ag.manual_seed(0)
    d = D.OneHotCategoricalStraightThrough(logits=L)
    x = d.rsample((5,))
    assert set(np.unique(_arr(x))) <= {0.0, 1.0} and np.all(_arr(x).sum(-1) == 1)
    tprobs = TD.OneHotCategorical(logits=TL).probs
    tx = torch.tensor(_arr(x)) + (tprobs - tprobs.detach())
    assert_same_grads(x, tx, {"l": L}, {"l": TL}, "straight-through rsample")


# ------------------------------------------------------------------------------------ rsample gradients
_IMPLICIT = ["gumbel", "weibull", "pareto", "half_cauchy", "kumaraswamy", "generalized_pareto",
             "continuous_bernoulli", "continuous_bernoulli_logits", "inverse_gamma"]


@pytest.mark.parametrize("name", _IMPLICIT)
def test_rsample_gradient_is_the_implicit_one_torch_implies(name):
    # x = F^-1(u; theta) at fixed u: dx/dtheta = -(dF(x; theta)/dtheta) / p(x; theta), from torch's cdf/log_prob
    case, d, td, P, TP = _build(name)
    if name == "inverse_gamma":
        TP = {k: v for k, v in TP.items() if k == "b"}  # torch's gammainc has no derivative in a
        P = {k: (v if k == "b" else v.detach()) for k, v in P.items()}
        d = case["build"](D, P)
    ag.manual_seed(1)
    x = d.rsample((6,))
    w = R.standard_normal(tuple(x.shape))
    ours = grads((x * ag.tensor(w)).sum(), P)
    tx = torch.tensor(_arr(x))
    F = td.cdf(tx)
    p = td.log_prob(tx).exp().detach()
    theirs = grads(-(F * torch.tensor(w) / p).sum(), TP)
    for k in theirs:
        assert_close(ours[k], theirs[k], f"{name}.rsample d/d{k}", rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", ["relaxed_bernoulli", "relaxed_bernoulli_logits"])
def test_relaxed_bernoulli_rsample_gradient_matches_torch_for_the_same_noise(name):
    case, d, td, P, TP = _build(name)
    ag.manual_seed(2)
    x = d.rsample((5,))
    t = case["params"]["t"]
    p = _arr(d.probs)
    logit_u = t * np.log(_arr(x) / (1 - _arr(x))) - np.log(p / (1 - p))  # the noise behind each draw
    tprobs = td.probs.clamp(min=np.finfo(np.float64).eps, max=1 - np.finfo(np.float64).eps)
    tx = torch.sigmoid((torch.tensor(logit_u) + tprobs.log() - (-tprobs).log1p()) / TP["t"])
    np.testing.assert_allclose(_arr(x), tx.detach().numpy(), rtol=1e-9)
    assert_same_grads(x, tx, P, TP, f"{name}.rsample", rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", ["relaxed_onehot", "relaxed_onehot_probs"])
def test_relaxed_onehot_rsample_gradient_matches_torch_for_the_same_noise(name):
    case, d, td, P, TP = _build(name)
    ag.manual_seed(2)
    x = d.rsample((5,))
    t = case["params"]["t"]
    g = t * np.log(_arr(x)) - _arr(d.logits)  # the Gumbel noise, up to a per-draw constant softmax ignores
    tx = torch.softmax((td.logits + torch.tensor(g)) / TP["t"], -1)
    np.testing.assert_allclose(_arr(x), tx.detach().numpy(), rtol=1e-9)
    assert_same_grads(x, tx, P, TP, f"{name}.rsample", rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", ["lowrank_mvn", "lowrank_mvn_batched_factor"])
def test_lowrank_rsample_matches_torch_for_the_same_noise(name):
    case, d, td, P, TP = _build(name)
    ag.manual_seed(5)
    x = d.rsample((4,))
    ag.manual_seed(5)
    shape = (4,) + tuple(d.batch_shape) + tuple(d.event_shape)
    ew = _engine_rng().standard_normal(shape[:-1] + (case["params"]["w"].shape[-1],))
    ed = _engine_rng().standard_normal(shape)
    tx = TP["loc"] + (TP["w"] @ torch.tensor(ew)[..., None])[..., 0] + TP["d"].sqrt() * torch.tensor(ed)
    assert_close(x, tx, f"{name}.rsample")
    assert_same_grads(x, tx, P, TP, f"{name}.rsample")


def test_fisher_snedecor_rsample_gradient_is_unbiased():
    # E[X] = d2 / (d2 - 2): the mean of per-draw gradients (one parameter copy per draw) is its derivative
    n = 20000
    d1 = ag.tensor(np.full(n, 4.0), requires_grad=True)
    d2 = ag.tensor(np.full(n, 9.0), requires_grad=True)
    ag.manual_seed(6)
    x = D.FisherSnedecor(d1, d2).rsample()
    g1, g2 = ag.autograd.grad(x.sum(), [d1, d2])
    g1, g2 = _arr(g1), _arr(g2)
    assert abs(g1.mean()) <= 5 * g1.std() / math.sqrt(n)
    assert abs(g2.mean() - (-2 / 49)) <= 5 * g2.std() / math.sqrt(n)


def test_mixture_has_no_rsample_and_a_differentiable_log_prob():
    case, d, td, P, TP = _build("mixture_normal")
    with pytest.raises(NotImplementedError, match="has no rsample"):
        d.rsample()
    assert ag.gradcheck(lambda p, m, s: D.MixtureSameFamily(D.Categorical(p), D.Normal(m, s)).cdf(ag.tensor([0.4])),
                        [P["p"], P["loc"], P["scale"]])


# ------------------------------------------------------------------------------------------------- KL
def _kl_pairs() -> dict:
    r = np.random.default_rng(17)
    lr = {"loc": r.standard_normal((2, 3)), "w": r.standard_normal((3, 2)), "d": r.random(3) + 0.5}
    lr2 = {"loc": r.standard_normal(3), "w": r.standard_normal((2, 3, 1)), "d": r.random((2, 3)) + 0.5}
    a = r.standard_normal((3, 3))
    mvn = {"loc": r.standard_normal(3), "tril": np.linalg.cholesky(a @ a.T + 3 * np.eye(3))}

    def lowrank(lib, P):
        return lib.LowRankMultivariateNormal(P["loc"], P["w"], P["d"])

    def mvn_(lib, P):
        return lib.MultivariateNormal(P["loc"], scale_tril=P["tril"])

    def pair(make_p, p, make_q, q):
        return (make_p, p, make_q, q)

    def gumbel(lib, P):
        return lib.Gumbel(P["loc"], P["scale"])

    def pareto(lib, P):
        return lib.Pareto(P["scale"], P["alpha"])

    def cb(lib, P):
        return lib.ContinuousBernoulli(P["probs"])

    def normal(lib, P):
        return lib.Normal(P["loc"], P["scale"])

    def expo(lib, P):
        return lib.Exponential(P["rate"])

    def gamma(lib, P):
        return lib.Gamma(P["a"], P["b"])

    def unif(lib, P):
        return lib.Uniform(P["lo"], P["hi"])

    def beta(lib, P):
        return lib.Beta(P["a"], P["b"])

    def laplace(lib, P):
        return lib.Laplace(P["loc"], P["scale"])

    g3 = {"loc": r.standard_normal(3), "scale": r.random(3) + 0.5}
    g3b = {"loc": r.standard_normal(3), "scale": r.random(3) + 0.5}
    par = {"scale": np.array([1.0, 2.0, 0.5]), "alpha": np.array([0.8, 2.5, 3.5])}
    par2 = {"scale": np.array([0.5, 2.5, 0.5]), "alpha": np.array([1.5, 1.0, 2.0])}
    cbp = {"probs": np.array([0.2, 0.5003, 0.9])}
    cbq = {"probs": np.array([0.6, 0.1, 0.4995])}
    nm = {"loc": r.standard_normal(3), "scale": r.random(3) + 0.5}
    ex = {"rate": r.random(3) + 0.5}
    ga = {"a": r.random(3) * 3 + 0.5, "b": r.random(3) + 0.5}
    un = {"lo": np.array([0.2, -0.5, 1.1]), "hi": np.array([0.9, 1.5, 3.0])}
    be = {"a": r.random(3) + 0.5, "b": r.random(3) + 0.5}
    return {
        "gumbel_gumbel": pair(gumbel, g3, gumbel, g3b),
        "pareto_pareto": pair(pareto, par, pareto, par2),
        "cb_cb": pair(cb, cbp, cb, cbq),
        "lowrank_lowrank": pair(lowrank, lr, lowrank, lr2),
        "mvn_lowrank": pair(mvn_, mvn, lowrank, lr),
        "lowrank_mvn": pair(lowrank, lr2, mvn_, mvn),
        "beta_cb": pair(beta, be, cb, cbq),
        "cb_exponential": pair(cb, cbp, expo, ex),
        "cb_normal": pair(cb, cbp, normal, nm),
        "cb_uniform": pair(cb, cbp, unif, {"lo": np.array([-0.5, 0.0, -1.0]), "hi": np.array([1.5, 2.0, 1.0])}),
        "exponential_gumbel": pair(expo, ex, gumbel, g3),
        "gamma_gumbel": pair(gamma, ga, gumbel, g3),
        "gumbel_normal": pair(gumbel, g3, normal, nm),
        "normal_gumbel": pair(normal, nm, gumbel, g3),
        "pareto_exponential": pair(pareto, par, expo, ex),
        "pareto_gamma": pair(pareto, par, gamma, ga),
        "pareto_normal": pair(pareto, par, normal, nm),
        "uniform_cb": pair(unif, {"lo": np.array([0.1, 0.0, 0.3]), "hi": np.array([0.9, 0.5, 1.0])}, cb, cbq),
        "uniform_gumbel": pair(unif, un, gumbel, g3),
        "uniform_pareto": pair(unif, {"lo": np.array([1.5, 1.0, 0.3]), "hi": np.array([3.0, 2.5, 1.0])}, pareto, par),
        "gumbel_beta_inf": pair(gumbel, g3, beta, be),
        "normal_pareto_inf": pair(normal, nm, pareto, par),
        "laplace_cb_inf": pair(laplace, nm, cb, cbq),
        "gamma_uniform_inf": pair(gamma, ga, unif, un),
        "exponential_pareto_inf": pair(expo, ex, pareto, par),
        "pareto_beta_inf": pair(pareto, par, beta, be),
        "beta_pareto_inf": pair(beta, be, pareto, par),
        "cb_pareto_inf": pair(cb, cbp, pareto, par),
    }


KL_PAIRS = _kl_pairs()


@pytest.mark.parametrize("name", list(KL_PAIRS))
def test_kl_divergence_and_its_gradients_match_torch(name):
    make_p, pp, make_q, qp = KL_PAIRS[name]
    Pp, TPp = leaves(pp)
    Pq, TPq = leaves(qp)
    kl = D.kl_divergence(make_p(D, Pp), make_q(D, Pq))
    tkl = TD.kl_divergence(make_p(TD, TPp), make_q(TD, TPq))
    assert_close(kl, tkl, f"KL {name}", rtol=1e-9, atol=1e-11)
    if tkl.requires_grad:
        P = {**{"p_" + k: v for k, v in Pp.items()}, **{"q_" + k: v for k, v in Pq.items()}}
        TP = {**{"p_" + k: v for k, v in TPp.items()}, **{"q_" + k: v for k, v in TPq.items()}}
        assert_same_grads(kl, tkl, P, TP, f"KL {name}", rtol=1e-8, atol=1e-10)


def test_kl_lowrank_agrees_with_the_dense_multivariate_normal_formula():
    make_p, pp, make_q, qp = KL_PAIRS["lowrank_lowrank"]
    p, q = make_p(D, leaves(pp)[0]), make_q(D, leaves(qp)[0])
    dense = D.kl_divergence(D.MultivariateNormal(p.loc, p.covariance_matrix),
                            D.MultivariateNormal(q.loc, q.covariance_matrix))
    np.testing.assert_allclose(_arr(D.kl_divergence(p, q)), _arr(dense), rtol=1e-10)
    with pytest.raises(ValueError, match="different event shapes"):
        D.kl_divergence(p, D.LowRankMultivariateNormal(ag.zeros(2, dtype=ag.float64),
                                                       ag.ones((2, 1), dtype=ag.float64),
                                                       ag.ones(2, dtype=ag.float64)))


# ------------------------------------------------------------------------------ transforms, registry
def _corr_vec(r):
    return r.standard_normal((2, 6))


_TRANSFORMS = {
    "stick_breaking": (lambda lib: lib.transforms.StickBreakingTransform(), lambda r: r.standard_normal((2, 4))),
    "softmax": (lambda lib: lib.transforms.SoftmaxTransform(), lambda r: r.standard_normal((2, 4))),
    "lower_cholesky": (lambda lib: lib.transforms.LowerCholeskyTransform(), lambda r: r.standard_normal((2, 3, 3))),
    "positive_definite": (lambda lib: lib.transforms.PositiveDefiniteTransform(),
                          lambda r: np.tril(r.standard_normal((2, 3, 3)))),
    "corr_cholesky": (lambda lib: lib.transforms.CorrCholeskyTransform(), _corr_vec),
    "reshape": (lambda lib: lib.transforms.ReshapeTransform((2, 3), (3, 2)), lambda r: r.standard_normal((4, 2, 3))),
    "cdf_normal": (lambda lib: lib.transforms.CumulativeDistributionTransform(lib.Normal(0.5, 2.0)),
                   lambda r: r.standard_normal(5)),
    "cat": (lambda lib: lib.transforms.CatTransform([lib.transforms.ExpTransform(),
                                                     lib.transforms.SigmoidTransform()], dim=1, lengths=[2, 3]),
            lambda r: r.standard_normal((3, 5))),
    "cat_event": (lambda lib: lib.transforms.CatTransform(
        [lib.transforms.ExpTransform(), lib.transforms.IndependentTransform(lib.transforms.SigmoidTransform(), 1)],
        dim=0, lengths=[2, 1]),
                  lambda r: r.standard_normal((3, 4))),
    "stack": (lambda lib: lib.transforms.StackTransform([lib.transforms.ExpTransform(),
                                                         lib.transforms.TanhTransform()], dim=-1),
              lambda r: r.standard_normal((4, 2))),
}


@pytest.mark.parametrize("name", list(_TRANSFORMS))
def test_structured_transforms_match_torch(name):
    make, draw = _TRANSFORMS[name]
    t, tt = make(D), make(TD)
    x = draw(np.random.default_rng(2))
    ax, tx = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = t(ax), tt(tx)
    assert_close(y, ty, f"{name}(x)")
    assert_same_grads(y, ty, {"x": ax}, {"x": tx}, f"{name}(x)")
    assert_close(t.inv(y), tt.inv(ty), f"{name}.inv(y)", rtol=1e-9, atol=1e-10)
    assert t.bijective == tt.bijective
    assert t.domain.event_dim == tt.domain.event_dim and t.codomain.event_dim == tt.codomain.event_dim
    assert tuple(t.forward_shape(x.shape)) == tuple(tt.forward_shape(torch.Size(x.shape)))
    assert tuple(t.inverse_shape(tuple(ty.shape))) == tuple(tt.inverse_shape(ty.shape))
    try:
        tok = bool(tt.codomain.check(ty).all())
    except RuntimeError:  # torch's cat constraint cannot check parts of different event_dim; nor can ours
        with pytest.raises(RuntimeError):
            t.codomain.check(y)
    else:
        assert bool(_arr(t.codomain.check(y)).all()) == tok
    y, ty = t(ax), tt(tx)  # afresh: the gradient check above freed the graphs
    jt, err = _torch_or_error(lambda: tt.log_abs_det_jacobian(tx, ty))
    if err is not None:
        with pytest.raises(err):
            t.log_abs_det_jacobian(ax, y)
        return
    j = t.log_abs_det_jacobian(ax, y)
    assert_close(j, jt, f"{name}.log_abs_det_jacobian", rtol=1e-9, atol=1e-10)
    if jt.requires_grad:
        assert_same_grads(j, jt, {"x": ax}, {"x": tx}, f"{name} jacobian")


def test_stick_breaking_jacobian_is_the_log_det_of_the_jacobian_matrix():
    # the map R^(K-1) -> first K-1 simplex coordinates: its Jacobian's log|det| (by autograd, row by row)
    x = ag.tensor(np.random.default_rng(4).standard_normal(3), requires_grad=True)
    t = T.StickBreakingTransform()
    y = t(x)
    rows = [ag.autograd.grad(y[i], x, retain_graph=True)[0] for i in range(3)]
    J = np.stack([_arr(g) for g in rows])
    np.testing.assert_allclose(float(t.log_abs_det_jacobian(x, y)), np.linalg.slogdet(J)[1], rtol=1e-12)


_REGISTRY_CONSTRAINTS = [
    ("real", lambda c: c.real), ("positive", lambda c: c.positive), ("nonnegative", lambda c: c.nonnegative),
    ("greater_than", lambda c: c.greater_than(1.5)), ("less_than", lambda c: c.less_than(-0.5)),
    ("unit_interval", lambda c: c.unit_interval), ("interval", lambda c: c.interval(-1.0, 3.0)),
    ("half_open", lambda c: c.half_open_interval(0.0, 2.0)), ("simplex", lambda c: c.simplex),
    ("real_vector", lambda c: c.real_vector), ("positive_vector", lambda c: c.independent(c.positive, 1)),
    ("lower_cholesky", lambda c: c.lower_cholesky), ("positive_definite", lambda c: c.positive_definite),
    ("corr_cholesky", lambda c: c.corr_cholesky),
    ("cat", lambda c: c.cat([c.positive, c.real], dim=-1, lengths=[2, 1])),
    ("stack", lambda c: c.stack([c.positive, c.unit_interval], dim=-1)),
]


@pytest.mark.parametrize("which", ["biject_to", "transform_to"])
@pytest.mark.parametrize("name,make", _REGISTRY_CONSTRAINTS, ids=[n for n, _ in _REGISTRY_CONSTRAINTS])
def test_biject_to_and_transform_to_match_torch(which, name, make):
    ours_reg, theirs_reg = getattr(D, which), getattr(TD, which)
    c, tc = make(C), make(TD.constraints)
    tt, err = _torch_or_error(lambda: theirs_reg(tc))
    if err is not None:
        with pytest.raises(err, match="Cannot transform"):
            ours_reg(c)
        return
    t = ours_reg(c)
    assert type(t).__name__ == type(tt).__name__
    shape = {"simplex": (2, 3), "real_vector": (2, 3), "positive_vector": (2, 3), "lower_cholesky": (2, 3, 3),
             "positive_definite": (2, 3, 3), "corr_cholesky": (2, 3), "cat": (2, 3), "stack": (4, 2)}.get(name, (5,))
    x = np.random.default_rng(8).standard_normal(shape)
    y, ty = t(ag.tensor(x)), tt(torch.tensor(x))
    assert_close(y, ty, f"{which}({name})(x)")
    assert bool(_arr(c.check(y)).all()), f"{which}({name}) leaves the constraint"
    assert D.biject_to is D.constraint_registry.biject_to


def test_registry_register_and_errors():
    reg = D.constraint_registry.ConstraintRegistry()
    with pytest.raises(NotImplementedError, match="Cannot transform _Real constraints"):
        reg(C.real)
    reg.register(C.real, lambda c: T.ExpTransform())
    assert isinstance(reg(C.real), T.ExpTransform)
    with pytest.raises(TypeError, match="Expected constraint to be either a Constraint subclass or instance"):
        reg.register(3, lambda c: None)
    with pytest.raises(NotImplementedError, match="Cannot transform"):
        D.biject_to(C.lower_cholesky)  # as torch: only transform_to (LowerCholeskyTransform is not bijective)


def test_new_constraints_check_like_torch():
    r = np.random.default_rng(1)
    L = np.linalg.cholesky(np.corrcoef(r.standard_normal((3, 10))))
    vals = [L, L * 1.01, np.tril(r.standard_normal((3, 3))), np.eye(3)]
    for v in vals:
        np.testing.assert_array_equal(_arr(C.corr_cholesky.check(ag.tensor(v))),
                                      TD.constraints.corr_cholesky.check(torch.tensor(v)).numpy())
    assert repr(C.corr_cholesky) == repr(TD.constraints.corr_cholesky)
    m, tm = C.MixtureSameFamilyConstraint(C.positive), TD.constraints.MixtureSameFamilyConstraint(
        TD.constraints.positive)
    v = np.array([[1.0, -1.0], [2.0, 0.5]])
    np.testing.assert_array_equal(_arr(m.check(ag.tensor(v))), tm.check(torch.tensor(v)).numpy())
    assert repr(m) == repr(tm)


# ----------------------------------------------------------------------------------------- validation
def _both_raise(fn, tfn, exc=ValueError):
    with pytest.raises(exc) as e1:
        fn()
    with pytest.raises(exc) as e2:
        tfn()
    return str(e1.value), str(e2.value)


@pytest.mark.parametrize("ctor", [
    lambda lib, t: lib.Gumbel(t([0.0]), t([-1.0])),
    lambda lib, t: lib.Weibull(t([1.0]), t([0.0])),
    lambda lib, t: lib.Pareto(t([-1.0]), t([1.0])),
    lambda lib, t: lib.HalfCauchy(t([0.0])),
    lambda lib, t: lib.InverseGamma(t([1.0]), t([-2.0])),
    lambda lib, t: lib.Kumaraswamy(t([-1.0]), t([1.0])),
    lambda lib, t: lib.NegativeBinomial(t([2.0]), t([1.0])),
    lambda lib, t: lib.NegativeBinomial(t([-1.0]), t([0.5])),
    lambda lib, t: lib.VonMises(t([0.0]), t([0.0])),
    lambda lib, t: lib.FisherSnedecor(t([1.0]), t([-1.0])),
    lambda lib, t: lib.GeneralizedPareto(t([0.0]), t([-1.0]), t([0.1])),
    lambda lib, t: lib.LogisticNormal(t([0.0]), t([-1.0])),
    lambda lib, t: lib.RelaxedBernoulli(t(0.5), t([1.5])),
    lambda lib, t: lib.LowRankMultivariateNormal(t([0.0, 0.0]), t([[1.0], [1.0]]), t([1.0, -1.0])),
], ids=["gumbel", "weibull", "pareto", "half_cauchy", "inverse_gamma", "kumaraswamy", "negbin_probs",
        "negbin_count", "von_mises", "fisher", "gpd", "logistic_normal", "relaxed_bernoulli", "lowrank"])
def test_invalid_parameters_raise_torchs_value_error(ctor):
    ours, theirs = _both_raise(lambda: ctor(D, lambda v: ag.tensor(v)), lambda: ctor(TD, lambda v: torch.tensor(v)))
    name = ours.split("of distribution")[0]
    assert name.replace("autograd_core.", "") == theirs.split("of distribution")[0].replace("torch.", "")
    assert "to satisfy the constraint" in ours


@pytest.mark.parametrize("case", [
    (lambda lib, t: lib.Pareto(t([2.0]), t([1.0])), lambda t: t([1.5])),
    (lambda lib, t: lib.NegativeBinomial(t([2.0]), t([0.5])), lambda t: t([1.5])),
    (lambda lib, t: lib.Kumaraswamy(t([2.0]), t([1.0])), lambda t: t([1.5])),
    (lambda lib, t: lib.GeneralizedPareto(t([0.0]), t([1.0]), t([-0.5])), lambda t: t([2.5])),
    (lambda lib, t: lib.MixtureSameFamily(lib.Categorical(t([0.5, 0.5])), lib.Gamma(t([1.0, 2.0]), t([1.0, 1.0]))),
     lambda t: t([-1.0])),
    (lambda lib, t: lib.LowRankMultivariateNormal(t([0.0, 0.0]), t([[1.0], [1.0]]), t([1.0, 1.0])),
     lambda t: t([0.0, 0.0, 0.0])),
], ids=["pareto", "negbin", "kumaraswamy", "gpd_upper", "mixture", "lowrank_event"])
def test_values_outside_support_raise_like_torch(case):
    ctor, val = case
    d, td = ctor(D, lambda v: ag.tensor(v)), ctor(TD, lambda v: torch.tensor(v))
    ours, theirs = _both_raise(lambda: d.log_prob(val(lambda v: ag.tensor(v))),
                               lambda: td.log_prob(val(lambda v: torch.tensor(v))))
    assert ours.split("(")[0].replace("autograd_core.Size", "torch.Size") == theirs.split("(")[0]


def test_constructor_errors_match_torch():
    cat = D.Categorical(ag.ones(3))
    with pytest.raises(ValueError, match="The Mixture distribution needs to be an  instance of"):
        D.MixtureSameFamily(D.Normal(0.0, 1.0), D.Normal(ag.zeros(3), ag.ones(3)))
    with pytest.raises(ValueError, match="The Component distribution needs to be an instance of"):
        D.MixtureSameFamily(cat, "normal")
    with pytest.raises(ValueError, match=r"`mixture_distribution component` \(3\) does not equal"):
        D.MixtureSameFamily(cat, D.Normal(ag.zeros(4), ag.ones(4)))
    with pytest.raises(ValueError, match="is not compatible with `component_distribution.batch_shape`"):
        D.MixtureSameFamily(D.Categorical(ag.ones((2, 3))), D.Normal(ag.zeros((4, 3)), ag.ones((4, 3))))
    with pytest.raises(ValueError, match="loc must be at least one-dimensional"):
        D.LowRankMultivariateNormal(ag.tensor(0.0), ag.ones((1, 1)), ag.ones(1))
    with pytest.raises(ValueError, match="cov_factor must be at least two-dimensional"):
        D.LowRankMultivariateNormal(ag.zeros(2), ag.ones(2), ag.ones(2))
    with pytest.raises(ValueError, match="cov_factor must be a batch of matrices with shape 2 x m"):
        D.LowRankMultivariateNormal(ag.zeros(2), ag.ones((3, 1)), ag.ones(2))
    with pytest.raises(ValueError, match=r"cov_diag must be a batch of vectors with shape \(2,\)"):
        D.LowRankMultivariateNormal(ag.zeros(2), ag.ones((2, 1)), ag.ones(3))
    with pytest.raises(ValueError, match="Incompatible batch shapes"):
        D.LowRankMultivariateNormal(ag.zeros((3, 2)), ag.ones((4, 2, 1)), ag.ones(2))
    for ctor in (lambda: D.NegativeBinomial(2.0), lambda: D.ContinuousBernoulli(),
                 lambda: D.RelaxedBernoulli(ag.tensor(1.0)), lambda: D.RelaxedOneHotCategorical(ag.tensor(1.0))):
        with pytest.raises(ValueError, match=r"Either `probs` or `logits` must be specified, but not both\."):
            ctor()
    with pytest.raises(ValueError, match="The parameter probs has invalid values"):
        D.ContinuousBernoulli(ag.tensor([1.5]), validate_args=True)
    with pytest.raises(ValueError, match="in_shape, out_shape have different numbers of elements"):
        T.ReshapeTransform((2, 3), (4,))
    with pytest.raises(ValueError, match=r"Shape mismatch"):
        T.ReshapeTransform((2, 3), (3, 2)).forward_shape((4, 3, 2))
    with pytest.raises(ValueError, match="Input is not a flattened lower-diagonal number"):
        T.CorrCholeskyTransform().forward_shape((4,))
    with pytest.raises(ValueError, match="CatTransform: x.size\\(0\\) = 2 must equal 3"):
        T.CatTransform([T.ExpTransform(), T.ExpTransform()], 0, [1, 2])(ag.zeros(2))
    with pytest.raises(ValueError, match="cannot be expressed as the lower triangular part"):
        D.utils.vec_to_tril_matrix(ag.zeros(4))


def test_kumaraswamy_mode_is_the_density_maximum():
    a, b = np.array([2.0, 3.0, 1.5, 0.5]), np.array([3.0, 1.2, 1.0, 2.0])
    mode = _arr(D.Kumaraswamy(ag.tensor(a), ag.tensor(b)).mode)
    expect = ((a - 1) / (a * b - 1)) ** (1 / a)
    np.testing.assert_allclose(mode[:3], expect[:3], rtol=1e-13)
    assert np.isnan(mode[3])  # a < 1: the density is unbounded at 0
    xs = np.linspace(1e-4, 1 - 1e-4, 20001)
    lp = _arr(D.Kumaraswamy(ag.tensor(a[:2, None]), ag.tensor(b[:2, None])).log_prob(ag.tensor(xs)))
    np.testing.assert_allclose(xs[lp.argmax(-1)], expect[:2], atol=1e-4)


def test_module_paths_mirror_torch():
    import importlib
    import pkgutil

    ours = {m.name for m in pkgutil.iter_modules(D.__path__)}
    theirs = {m.name for m in pkgutil.iter_modules(TD.__path__)}
    missing = theirs - ours
    assert missing <= {"lkj_cholesky", "wishart"}, missing  # not there yet (see the report)
    for name in sorted(theirs & ours):
        mod, tmod = importlib.import_module(f"autograd_core.distributions.{name}"), getattr(TD, name)
        public = [n for n in getattr(tmod, "__all__", []) if n not in {"Number", "Tensor"}]
        lacking = [n for n in public if not hasattr(mod, n)]
        if name == "constraints":
            lacking = [n for n in lacking if n != "Constraint"]
        assert not [n for n in lacking if n not in {"LKJCholesky", "Wishart"}], (name, lacking)
    assert set(TD.__all__) - set(D.__all__) <= {"LKJCholesky", "Wishart"}


def test_float32_parameters_stay_float32():
    f = ag.float32
    assert D.Gumbel(ag.zeros(2, dtype=f), 1.0).rsample().dtype == np.float32
    assert D.RelaxedOneHotCategorical(ag.tensor(0.5, dtype=f), logits=ag.zeros(3, dtype=f)).rsample().dtype == f
    assert D.NegativeBinomial(ag.ones(2, dtype=f), probs=ag.full((2,), 0.5, dtype=f)).sample().dtype == f
    assert D.VonMises(ag.zeros(2, dtype=f), ag.ones(2, dtype=f)).log_prob(ag.zeros(2, dtype=f)).dtype == f
    lr = D.LowRankMultivariateNormal(ag.zeros(3, dtype=f), ag.ones((3, 1), dtype=f), ag.ones(3, dtype=f))
    assert lr.log_prob(ag.zeros(3, dtype=f)).dtype == f and lr.rsample().dtype == f
