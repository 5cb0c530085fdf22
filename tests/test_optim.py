"""Optimisers and schedulers step by step against PyTorch (float64, same weights, same data)."""

from __future__ import annotations

import warnings

import autograd_core.nn as nn
import autograd_core.nn.functional as F
import numpy as np
import pytest
from autograd_core.optim import lr_scheduler as sched

import autograd_core as ag
from autograd_core import optim

torch = pytest.importorskip("torch")


def _models(seed=0):
    torch.manual_seed(seed)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2)).double()
    ours = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 2)).double()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def _data(step):
    rng = np.random.default_rng(100 + step)
    return rng.standard_normal((8, 4)), rng.standard_normal((8, 2))


OPTIMIZERS = [
    ("sgd", dict(lr=0.1), {}),
    ("sgd_momentum_dampening_wd", dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01), {}),
    ("sgd_nesterov_maximize", dict(lr=0.05, momentum=0.8, nesterov=True, maximize=True), {}),
    ("adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.02, initial_accumulator_value=0.1), {}),
    ("rmsprop", dict(lr=0.01), {}),
    ("rmsprop_centered_momentum_wd", dict(lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.01), {}),
    ("adam", dict(lr=0.01), {}),
    ("adam_amsgrad_wd", dict(lr=0.02, betas=(0.8, 0.99), weight_decay=0.05, amsgrad=True), {}),
    ("adamw", dict(lr=0.02), {}),
    ("adamw_amsgrad_maximize", dict(lr=0.02, weight_decay=0.1, amsgrad=True, maximize=True), {}),
]
_CLASSES = {"sgd": "SGD", "adagrad": "Adagrad", "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW"}


def _cls(name):
    return _CLASSES[name.split("_")[0]]


def _train(ours, theirs, o_opt, t_opt, steps, start=0):
    for s in range(start, start + steps):
        x, y = _data(s)
        o_opt.zero_grad()
        t_opt.zero_grad()
        F.mse_loss(ours(ag.tensor(x)), ag.tensor(y)).backward()
        torch.nn.functional.mse_loss(theirs(torch.tensor(x)), torch.tensor(y)).backward()
        o_opt.step()
        t_opt.step()
        for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
            np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-10, atol=1e-12,
                                       err_msg=f"step {s}: {name}")


@pytest.mark.parametrize("name,kw,_", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_optimizer_matches_pytorch_step_by_step(name, kw, _):
    ours, theirs = _models()
    o_opt = getattr(optim, _cls(name))(ours.parameters(), **kw)
    t_opt = getattr(torch.optim, _cls(name))(theirs.parameters(), **kw)
    _train(ours, theirs, o_opt, t_opt, 6)


def test_param_groups_with_their_own_hyperparameters():
    ours, theirs = _models()
    o_opt = optim.SGD([{"params": ours[0].parameters()}, {"params": ours[2].parameters(), "lr": 0.5}], lr=0.1,
                      momentum=0.9)
    t_opt = torch.optim.SGD([{"params": theirs[0].parameters()}, {"params": theirs[2].parameters(), "lr": 0.5}],
                            lr=0.1, momentum=0.9)
    _train(ours, theirs, o_opt, t_opt, 4)
    assert [g["lr"] for g in o_opt.param_groups] == [0.1, 0.5]


@pytest.mark.parametrize("name", ["sgd_momentum_dampening_wd", "adam_amsgrad_wd", "rmsprop_centered_momentum_wd",
                                  "adagrad"])
def test_optimizer_state_dict_round_trip_resumes_exactly(name, tmp_path):
    kw = dict(next(o[1] for o in OPTIMIZERS if o[0] == name))
    ours, theirs = _models()
    o_opt = getattr(optim, _cls(name))(ours.parameters(), **kw)
    t_opt = getattr(torch.optim, _cls(name))(theirs.parameters(), **kw)
    _train(ours, theirs, o_opt, t_opt, 3)
    ag.save({"model": ours.state_dict(), "opt": o_opt.state_dict()}, tmp_path / "ckpt.npz")
    ck = ag.load(tmp_path / "ckpt.npz")
    resumed, _ = _models(seed=5)  # different initial weights: everything must come from the checkpoint
    resumed.load_state_dict(ck["model"])
    r_opt = getattr(optim, _cls(name))(resumed.parameters(), **kw)
    r_opt.load_state_dict(ck["opt"])
    _train(resumed, theirs, r_opt, t_opt, 3, start=3)


def test_optimizer_errors():
    p = nn.Parameter(ag.zeros(2))
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1: 1.0"):
        optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.Adam([])
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([p * 2], lr=0.1)
    opt = optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict({"state": {}, "param_groups": []})


def test_step_with_closure_and_no_grad_update():
    w = nn.Parameter(ag.tensor([1.0, -2.0], dtype=ag.float64))
    opt = optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 5.0
    np.testing.assert_allclose(w.detach().numpy(), [0.5, -1.0])
    assert w.grad_fn is None and w.requires_grad  # the update recorded nothing


def test_adam_without_bias_correction_is_the_course_formula():
    w = nn.Parameter(ag.tensor([1.0], dtype=ag.float64))
    opt = optim.Adam([w], lr=0.1, bias_correction=False)
    m = v = 0.0
    x = 1.0
    for _ in range(3):
        opt.zero_grad()
        (w * w).sum().backward()
        g = 2 * x
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        x = x - 0.1 * m / (np.sqrt(v) + 1e-8)
        opt.step()
        np.testing.assert_allclose(w.item(), x, rtol=1e-12)


def test_newton_solves_a_quadratic_in_one_step():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 4))
    h = a @ a.T + 4 * np.eye(4)  # positive definite
    b = rng.standard_normal(4)
    x = nn.Parameter(ag.zeros(4, dtype=ag.float64))
    opt = optim.Newton([x])
    loss = opt.step(lambda: 0.5 * (x @ (ag.tensor(h) @ x)) - ag.tensor(b) @ x)
    assert loss.item() == 0.0
    np.testing.assert_allclose(x.detach().numpy(), np.linalg.solve(h, b), rtol=1e-10)


def test_newton_logistic_regression_converges_quadratically():
    ds = ag.data.datasets.make_logistic(200, 2, seed=1)
    xs, ys = ds.tensors[0].double(), ds.tensors[1].double()
    w = nn.Parameter(ag.zeros(2, dtype=ag.float64))
    b = nn.Parameter(ag.zeros(1, dtype=ag.float64))
    opt = optim.Newton([w, b], damping=1e-8)
    losses = [opt.step(lambda: F.binary_cross_entropy_with_logits(xs @ w + b, ys)).item() for _ in range(8)]
    assert losses[-1] <= min(losses) + 1e-12 and abs(losses[-1] - losses[-2]) < 1e-10
    with pytest.raises(RuntimeError, match="Newton.step needs a closure"):
        opt.step()
    with pytest.raises(ValueError, match="this optimiser is for small problems.*hessian='cg'"):
        optim.Newton([nn.Parameter(ag.zeros(3000))])
    optim.Newton([nn.Parameter(ag.zeros(3000))], hessian="cg")  # Hessian-free: no n x n matrix
    with pytest.raises(ValueError, match="hessian must be 'exact' or 'cg'"):
        optim.Newton([w], hessian="bfgs")


def test_hessian_free_newton_takes_the_exact_newton_step():
    # CG on Hessian-vector products solves the n-dimensional system exactly within n iterations
    ds = ag.data.datasets.make_logistic(100, 3, seed=2)
    xs, ys = ds.tensors[0].double(), ds.tensors[1].double()
    runs = []
    for hess in ("exact", "cg"):
        w = nn.Parameter(ag.zeros(3, dtype=ag.float64))
        b = nn.Parameter(ag.zeros(1, dtype=ag.float64))
        opt = optim.Newton([w, b], hessian=hess, damping=1e-6)
        for _ in range(3):
            opt.step(lambda w=w, b=b: F.binary_cross_entropy_with_logits(xs @ w + b, ys))
        runs.append(np.concatenate([w.detach().numpy(), b.detach().numpy()]))
    np.testing.assert_allclose(runs[1], runs[0], rtol=1e-8, atol=1e-10)


# ---------------------------------------------------------------------- schedulers
SCHEDULERS = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 9], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.8)),
    ("CosineAnnealingLR", dict(T_max=5, eta_min=0.01)),
    ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2, eta_min=0.001)),
    ("LambdaLR", dict(lr_lambda=lambda e: 1 / (1 + e))),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=14)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=14, anneal_strategy="linear", three_phase=True)),
]


@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
@pytest.mark.parametrize("name,kw", SCHEDULERS, ids=[f"{s[0]}{i}" for i, s in enumerate(SCHEDULERS)])
def test_scheduler_matches_pytorch(name, kw, opt_name):
    ours, theirs = _models()
    okw = dict(lr=0.1, momentum=0.9) if opt_name == "SGD" else dict(lr=0.1)
    o_opt = getattr(optim, opt_name)(ours.parameters(), **okw)
    t_opt = getattr(torch.optim, opt_name)(theirs.parameters(), **okw)
    o_s = getattr(sched, name)(o_opt, **kw)
    t_s = getattr(torch.optim.lr_scheduler, name)(t_opt, **kw)
    for step in range(13):
        assert o_s.get_last_lr() == pytest.approx(t_s.get_last_lr(), rel=1e-12, abs=1e-15), step
        if name == "OneCycleLR":
            key = "momentum" if opt_name == "SGD" else "betas"
            assert o_opt.param_groups[0][key] == pytest.approx(t_opt.param_groups[0][key], rel=1e-12)
        o_opt.step()
        t_opt.step()
        o_s.step()
        t_s.step()


def test_reduce_lr_on_plateau_matches_pytorch():
    ours, theirs = _models()
    o_opt, t_opt = optim.SGD(ours.parameters(), lr=1.0), torch.optim.SGD(theirs.parameters(), lr=1.0)
    kw = dict(mode="min", factor=0.5, patience=2, threshold=0.01, cooldown=1, min_lr=0.05)
    o_s, t_s = sched.ReduceLROnPlateau(o_opt, **kw), torch.optim.lr_scheduler.ReduceLROnPlateau(t_opt, **kw)
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.89, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]
    for m in metrics:
        o_s.step(m)
        t_s.step(m)
        assert o_s.get_last_lr() == pytest.approx(t_s.get_last_lr(), rel=1e-12)
    assert o_s.get_last_lr()[0] < 1.0


def test_scheduler_warns_when_stepped_before_the_optimizer():
    ours, _ = _models()
    opt = optim.SGD(ours.parameters(), lr=0.1)
    s = sched.StepLR(opt, 2)
    with pytest.warns(UserWarning, match="Detected call of `lr_scheduler.step\\(\\)` before `optimizer.step\\(\\)`"):
        s.step()
    opt2 = optim.SGD(ours.parameters(), lr=0.1)
    s2 = sched.StepLR(opt2, 2)
    opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s2.step()  # the right order: no warning


def test_early_stopping_restores_the_best_state():
    m = nn.Linear(2, 1)
    es = optim.EarlyStopping(patience=2, min_delta=0.01)
    losses = [1.0, 0.5, 0.495, 0.6, 0.7]
    stops = []
    for i, loss in enumerate(losses):
        m.weight.data[...] = i  # a recognisable state per epoch
        stops.append(es.step(loss, m))
    assert stops == [False, False, False, False, True]
    assert es.best == 0.5 and es.best_epoch == 1
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.ones((1, 2)))  # epoch 1's weights are back


def test_sgd_on_non_contiguous_parameters_uses_the_numpy_path_with_the_same_result():
    base = np.arange(6.0).reshape(2, 3)
    a = nn.Parameter(ag.tensor(np.asfortranarray(base)))  # non-contiguous (Fortran order)
    b = nn.Parameter(ag.tensor(base.copy()))
    assert not a.detach().numpy().flags.c_contiguous
    oa, ob = optim.SGD([a], lr=0.1, momentum=0.9, weight_decay=0.1), optim.SGD([b], lr=0.1, momentum=0.9,
                                                                               weight_decay=0.1)
    for _ in range(3):
        for p, o in ((a, oa), (b, ob)):
            o.zero_grad()
            (p * p * p).sum().backward()
            o.step()
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-14)
