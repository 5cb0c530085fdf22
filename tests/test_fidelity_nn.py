"""nn / optim fidelity to PyTorch at the edges: non-finite values where PyTorch's answer is finite,
bad input PyTorch refuses (and so must we), mixed dtypes, and optimiser hyper-parameter checks."""

from __future__ import annotations

import re

import autograd_core.nn as nn
import autograd_core.nn.functional as F
import numpy as np
import pytest

import autograd_core as ag
from autograd_core import optim

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _close(ours, theirs, what):
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else theirs
    ours = ours.detach().numpy() if hasattr(ours, "detach") else ours
    assert ours.shape == theirs.shape, what
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6, equal_nan=True, err_msg=what)


# ------------------------------------------------------------- A(a): cross_entropy, every target ignored
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_with_every_target_ignored_matches_torch(reduction, label_smoothing, weighted):
    """PyTorch: 'mean' is 0/0 = nan, but the logits' gradient is 0 and another path's gradient is intact.
    Before: the division by the zero total weight sent 0 * inf = nan into the logits' gradient."""
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    t = np.full(3, -100)
    w = np.array([1.0, 2.0, 0.5, 1.5], dtype=np.float32) if weighted else None
    kw = dict(reduction=reduction, label_smoothing=label_smoothing)
    xo, oo = ag.tensor(x, requires_grad=True), ag.ones(2, requires_grad=True)
    xt, ot = torch.tensor(x, requires_grad=True), torch.ones(2, requires_grad=True)
    lo = F.cross_entropy(xo, t, weight=w, **kw)
    lt = TF.cross_entropy(xt, torch.tensor(t), weight=None if w is None else torch.tensor(w), **kw)
    (lo.sum() + (oo * oo).sum()).backward()
    (lt.sum() + (ot * ot).sum()).backward()
    _close(lo, lt, "loss")
    _close(xo.grad, xt.grad, "logits' gradient")
    assert np.isfinite(xo.grad.numpy()).all()
    np.testing.assert_array_equal(oo.grad.numpy(), [2.0, 2.0])  # the other path trains normally


def test_cross_entropy_all_ignored_shares_the_logits_with_another_loss():
    """loss = ce(x, all ignored) + x.sum(): x's gradient is 1 (torch), not nan."""
    x = np.random.default_rng(1).standard_normal((2, 3))
    xo, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (F.cross_entropy(xo, np.array([-100, -100])) + xo.sum()).backward()
    (TF.cross_entropy(xt, torch.tensor([-100, -100])) + xt.sum()).backward()
    np.testing.assert_array_equal(xo.grad.numpy(), xt.grad.numpy())
    np.testing.assert_array_equal(xo.grad.numpy(), np.ones((2, 3)))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_cross_entropy_ignored_target_with_minus_inf_logit_stays_finite(reduction, label_smoothing):
    """An ignored row whose class-0 logit is -inf: before, its picked -inf times weight 0 gave a nan loss."""
    x = np.random.default_rng(2).standard_normal((4, 3)).astype(np.float32)
    x[1, 0] = -np.inf
    t = np.array([2, -100, 1, -100])
    xo, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    lo = F.cross_entropy(xo, t, reduction=reduction, label_smoothing=label_smoothing)
    lt = TF.cross_entropy(xt, torch.tensor(t), reduction=reduction, label_smoothing=label_smoothing)
    g = np.random.default_rng(3).standard_normal(lt.shape).astype(np.float32)
    lo.backward(ag.tensor(g))
    lt.backward(torch.tensor(g))
    assert np.isfinite(lo.detach().numpy()).all()
    _close(lo, lt, "loss")
    _close(xo.grad, xt.grad, "logits' gradient")


def test_nll_loss_spatial_and_1d_all_ignored_match_torch():
    for shape, t in (((4,), np.array(-100)), ((2, 3, 2, 2), np.full((2, 2, 2), 7))):
        x = np.random.default_rng(4).standard_normal(shape)
        xo, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        lo, lt = F.cross_entropy(xo, t, ignore_index=int(t.flat[0])), TF.cross_entropy(
            xt, torch.tensor(t), ignore_index=int(t.flat[0]))
        lo.backward()
        lt.backward()
        assert np.isnan(lo.item()) and np.isnan(lt.item())
        np.testing.assert_array_equal(xo.grad.numpy(), xt.grad.numpy())


# ------------------------------------------------------------- A(b): regression losses at +-inf
_INF = np.inf
# (input, target) pairs with an infinite difference, plus finite ones on both branches; d = nan pairs
# (inf - inf) are left out: there PyTorch's abs'(nan) is 0 and ours nan (a core abs rule, see report)
_X = np.array([_INF, -_INF, 0.5, 3.0, -_INF, 0.2, 0.0, 2.5], dtype=np.float32)
_Y = np.array([0.0, 0.0, _INF, -_INF, _INF, 0.1, 0.0, -1.0], dtype=np.float32)
REGRESSION = [("huber_loss", {}), ("huber_loss", {"delta": 0.5}), ("huber_loss", {"delta": 4.0}),
              ("smooth_l1_loss", {}), ("smooth_l1_loss", {"beta": 2.0}), ("smooth_l1_loss", {"beta": 0.0}),
              ("mse_loss", {}), ("l1_loss", {})]


@pytest.mark.parametrize("name,kw", REGRESSION, ids=[f"{n}{kw}" for n, kw in REGRESSION])
@pytest.mark.parametrize("reduction", ["none", "sum"])
def test_regression_losses_at_infinite_inputs_and_targets_match_torch(name, kw, reduction):
    """Before: huber/smooth_l1's quadratic branch, unselected at |d| = inf, still multiplied its 0 gradient by
    d = inf, so the gradient was nan where PyTorch's is +-delta."""
    xo, yo = ag.tensor(_X, requires_grad=True), ag.tensor(_Y, requires_grad=True)
    xt, yt = torch.tensor(_X, requires_grad=True), torch.tensor(_Y, requires_grad=True)
    lo = getattr(F, name)(xo, yo, reduction=reduction, **kw)
    lt = getattr(TF, name)(xt, yt, reduction=reduction, **kw)
    lo.sum().backward()
    lt.sum().backward()
    _close(lo, lt, "loss")
    _close(xo.grad, xt.grad, "input gradient")
    _close(yo.grad, yt.grad, "target gradient")
    assert np.isfinite(xo.grad.numpy()).all() == np.isfinite(xt.grad.numpy()).all()


def test_huber_gradient_at_inf_is_plus_minus_delta():
    x = ag.tensor(np.array([np.inf, -np.inf, 1e30]), requires_grad=True)
    F.huber_loss(x, ag.zeros(3, dtype=ag.float64), reduction="sum", delta=0.5).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.5, -0.5, 0.5])


# ------------------------------------------------------------- B: bad input PyTorch refuses
@pytest.mark.parametrize("index", [-1, 10, -11])
def test_embedding_refuses_indices_outside_the_table_like_torch(index):
    ours, theirs = nn.Embedding(10, 3), torch.nn.Embedding(10, 3)
    with pytest.raises(IndexError, match="index out of range in self"):
        theirs(torch.tensor([index]))
    with pytest.raises(IndexError, match=r"embedding: index out of range in self: indices must be in \[0, 10\)"):
        ours(ag.tensor([index]))


def test_embedding_accepts_int32_and_empty_indices_like_torch():
    ours = nn.Embedding(10, 3)
    out = ours(ag.tensor([[1, 9]], dtype=ag.int32))
    assert out.shape == (1, 2, 3)
    np.testing.assert_array_equal(out.detach().numpy()[0, 1], ours.weight.detach().numpy()[9])
    assert ours(ag.tensor(np.zeros(0, dtype=np.int64))).shape == (0, 3)
    assert torch.nn.Embedding(10, 3)(torch.zeros(0, dtype=torch.long)).shape == (0, 3)


# every hyper-parameter check of PyTorch's optimisers: (class, kwargs)
BAD_HYPERPARAMETERS = [
    ("SGD", dict(lr=-1.0)), ("SGD", dict(lr=0.1, momentum=-0.5)), ("SGD", dict(lr=0.1, weight_decay=-1e-4)),
    ("SGD", dict(lr=0.1, nesterov=True)), ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)),
    ("Adam", dict(lr=float("nan"))), ("Adam", dict(lr=-1e-3)), ("Adam", dict(eps=-1.0)),
    ("Adam", dict(eps=float("nan"))), ("Adam", dict(betas=(1.0, 0.999))), ("Adam", dict(betas=(-0.1, 0.999))),
    ("Adam", dict(betas=(0.9, float("nan")))), ("Adam", dict(weight_decay=-0.1)),
    ("Adam", dict(weight_decay=float("nan"))),
    ("AdamW", dict(lr=float("nan"))), ("AdamW", dict(betas=(0.9, 1.5))), ("AdamW", dict(weight_decay=-1.0)),
    ("RMSprop", dict(lr=float("nan"))), ("RMSprop", dict(eps=-1e-8)), ("RMSprop", dict(momentum=-0.9)),
    ("RMSprop", dict(weight_decay=float("nan"))), ("RMSprop", dict(alpha=-0.5)), ("RMSprop", dict(alpha=float("nan"))),
    ("Adagrad", dict(lr=float("nan"))), ("Adagrad", dict(lr_decay=-0.1)), ("Adagrad", dict(weight_decay=-0.1)),
    ("Adagrad", dict(initial_accumulator_value=-1.0)), ("Adagrad", dict(eps=float("nan"))),
]


@pytest.mark.parametrize("cls,kw", BAD_HYPERPARAMETERS, ids=[f"{c}-{kw}" for c, kw in BAD_HYPERPARAMETERS])
def test_optimiser_hyperparameter_checks_match_torch(cls, kw):
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim, cls)([torch.zeros(2, requires_grad=True)], **kw)
    with pytest.raises(ValueError, match="^" + re.escape(str(theirs.value))):
        getattr(optim, cls)([nn.Parameter(ag.zeros(2))], **kw)


@pytest.mark.parametrize("kw,label", [(dict(lr=float("nan")), "learning rate"),
                                      (dict(lr=0.1, momentum=float("nan")), "momentum value"),
                                      (dict(lr=0.1, weight_decay=float("nan")), "weight_decay value")])
def test_sgd_refuses_nan_hyperparameters(kw, label):
    """PyTorch's SGD tests `lr < 0`, which NaN passes, and then turns every weight into NaN at the first
    step; like its Adam, RMSprop and Adagrad we refuse NaN (a deliberate, documented difference)."""
    torch.optim.SGD([torch.zeros(1, requires_grad=True)], **kw)  # accepted there
    with pytest.raises(ValueError, match=rf"^Invalid {label}: nan \(must be a number >= 0\)"):
        optim.SGD([nn.Parameter(ag.zeros(2))], **kw)


def test_newton_refuses_nan_learning_rate_and_damping():
    p = nn.Parameter(ag.zeros(2))
    with pytest.raises(ValueError, match=r"Invalid learning rate: nan \(must be > 0\)"):
        optim.Newton([p], lr=float("nan"))
    with pytest.raises(ValueError, match=r"Invalid damping value: nan"):
        optim.Newton([p], damping=float("nan"))


def test_infinite_learning_rate_is_accepted_like_torch():
    optim.Adam([nn.Parameter(ag.zeros(1))], lr=float("inf"))
    torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=float("inf"))


def _raises(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the exception type is what is compared
        return type(e)
    return None


# mixed dtypes: raise where PyTorch raises (same exception type), else the same result dtype
MIXED = [
    ("linear_f64_input", lambda M, T: M.Linear(3, 2)(T.ones(2, 3, dtype=T.float64))),
    ("linear_f64_weight", lambda M, T: M.Linear(3, 2).double()(T.ones(2, 3))),
    ("linear_int_input", lambda M, T: M.Linear(3, 2)(T.ones(2, 3, dtype=T.int64))),
    ("prelu_f64_input", lambda M, T: M.PReLU()(T.ones(2, 3, dtype=T.float64))),
    ("layernorm_f64_input", lambda M, T: M.LayerNorm(3)(T.ones(2, 3, dtype=T.float64))),
    ("embedding_f64_weight", lambda M, T: M.Embedding(4, 2).double()(T.tensor([1, 3]))),
    ("bce_f64_target", lambda M, T: M.BCELoss()(T.ones(2) * 0.5, T.ones(2, dtype=T.float64))),
    ("bce_f64_weight", lambda M, T: M.BCELoss(weight=T.ones(2, dtype=T.float64))(T.ones(2) * 0.5, T.ones(2))),
    ("mse_f64_target", lambda M, T: M.MSELoss()(T.ones(2), T.ones(2, dtype=T.float64))),
    ("mse_int_target", lambda M, T: M.MSELoss()(T.ones(2), T.ones(2, dtype=T.int64))),
    ("l1_f64_input", lambda M, T: M.L1Loss()(T.ones(2, dtype=T.float64), T.ones(2))),
    ("smooth_l1_f64_target", lambda M, T: M.SmoothL1Loss()(T.ones(2), T.ones(2, dtype=T.float64))),
    ("ce_f64_input", lambda M, T: M.CrossEntropyLoss()(T.ones(2, 3, dtype=T.float64), T.tensor([0, 2]))),
    ("nll_f64_input", lambda M, T: M.NLLLoss()(T.ones(2, 3, dtype=T.float64), T.tensor([0, 2]))),
]


@pytest.mark.parametrize("name,fn", MIXED, ids=[m[0] for m in MIXED])
def test_mixed_dtypes_behave_like_torch(name, fn):
    theirs, ours = _raises(lambda: fn(torch.nn, torch)), _raises(lambda: fn(nn, ag))
    assert ours is theirs, f"{name}: torch raises {theirs}, ours {ours}"
    if theirs is None:
        assert str(fn(nn, ag).dtype) == str(fn(torch.nn, torch).dtype).removeprefix("torch.")


# ------------------------------------------------------------- D: edge batches
@pytest.mark.parametrize("n", [0, 1])
def test_linear_and_mlp_on_empty_and_single_batches_match_torch(n):
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2)).double()
    ours = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).double()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((n, 3))
    xo, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    assert yo.shape == tuple(yt.shape) == (n, 2)
    yo.sum().backward()
    yt.sum().backward()
    _close(xo.grad, xt.grad, "input gradient")
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        _close(p.grad, q.grad, name)  # an empty batch: exact zeros, as in PyTorch


@pytest.mark.filterwarnings("ignore:Mean of empty slice:RuntimeWarning")  # the core's mean (see report)
@pytest.mark.filterwarnings("ignore:.*divides the total loss:UserWarning")  # kl_div 'mean', both libraries
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
                                  "binary_cross_entropy_with_logits", "cross_entropy", "cross_entropy_probs",
                                  "kl_div"])
def test_losses_on_an_empty_batch_match_torch(name, reduction):
    x = np.zeros((0, 3))
    t = np.zeros(0, dtype=np.int64) if name == "cross_entropy" else np.zeros((0, 3))
    fn = name.removesuffix("_probs")
    xo, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    with np.errstate(all="ignore"):  # the core's mean of nothing divides 0 by 0 (see report)
        lo = getattr(F, fn)(xo, ag.tensor(t), reduction=reduction)
        lo.sum().backward()
    lt = getattr(TF, fn)(xt, torch.tensor(t), reduction=reduction)
    lt.sum().backward()
    _close(lo, lt, "loss")
    assert xo.grad.shape == (0, 3)


def test_kl_div_batchmean_and_probability_ce_on_an_empty_batch_are_nan_without_warnings():
    x = ag.tensor(np.zeros((0, 3)), requires_grad=True)
    with np.errstate(all="raise"):  # no 0/0 left in our own code
        kl = F.kl_div(x, ag.tensor(np.zeros((0, 3))), reduction="batchmean")
        ce = F.cross_entropy(x, ag.tensor(np.zeros((0, 3))))
        (kl + ce).backward()
    assert np.isnan(kl.item()) and np.isnan(ce.item()) and x.grad.shape == (0, 3)
    assert np.isnan(TF.kl_div(torch.zeros(0, 3), torch.zeros(0, 3), reduction="batchmean").item())


def test_bce_weight_keeps_the_input_dtype_like_torch():
    lo = F.binary_cross_entropy(ag.tensor([0.3, 0.6]), ag.tensor([1.0, 0.0]), weight=np.array([1.0, 2.0]))
    lt = TF.binary_cross_entropy(torch.tensor([0.3, 0.6]), torch.tensor([1.0, 0.0]),
                                 weight=torch.tensor([1.0, 2.0], dtype=torch.float64))
    assert lo.dtype == ag.float32 and lt.dtype == torch.float32
    np.testing.assert_allclose(lo.item(), lt.item(), rtol=1e-6)
