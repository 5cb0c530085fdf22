"""PyTorch's remaining optimisers and schedulers against PyTorch itself, step by step (float64, same weights, same
data): Adadelta, Adamax, NAdam, RAdam, ASGD, Rprop, LBFGS; MultiplicativeLR, ConstantLR, LinearLR, PolynomialLR,
CyclicLR, SequentialLR, ChainedScheduler (and the older ones' last_epoch / step(epoch) semantics); the Optimizer
base (param groups, state_dict layout in both directions, hooks); error messages.

PyTorch keeps a few scalar states (NAdam's mu_product, ASGD's eta and mu) as tensors of its *default* dtype, float32
unless set otherwise, which would put a 1e-7 relative difference into every step; the module fixture sets
PyTorch's default dtype to float64 so that both sides do float64 arithmetic throughout.
"""

from __future__ import annotations

import re
import warnings

import autograd_core.nn as nn
import autograd_core.nn.functional as F
import numpy as np
import pytest
from autograd_core.optim import lr_scheduler as sched
from autograd_core.optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook

import autograd_core as ag
from autograd_core import optim

torch = pytest.importorskip("torch")

RTOL, ATOL = 1e-10, 1e-12


@pytest.fixture(autouse=True, scope="module")
def _torch_float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def _models(seed=0):
    torch.manual_seed(seed)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2)).double()
    ours = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 2)).double()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def _data(step):
    rng = np.random.default_rng(100 + step)
    return rng.standard_normal((8, 4)), rng.standard_normal((8, 2))


def _loss_step(ours, theirs, o_opt, t_opt, s):
    x, y = _data(s)
    o_opt.zero_grad()
    t_opt.zero_grad()
    F.mse_loss(ours(ag.tensor(x)), ag.tensor(y)).backward()
    torch.nn.functional.mse_loss(theirs(torch.tensor(x)), torch.tensor(y)).backward()


def _assert_params(ours, theirs, what):
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=RTOL, atol=ATOL,
                                   err_msg=f"{what}: {name}")


def _train(ours, theirs, o_opt, t_opt, steps, start=0):
    for s in range(start, start + steps):
        _loss_step(ours, theirs, o_opt, t_opt, s)
        o_opt.step()
        t_opt.step()
        _assert_params(ours, theirs, f"step {s}")


def _np(v):
    return v.detach().numpy() if hasattr(v, "detach") else np.asarray(v)


def _assert_state_matches(o_opt, t_opt):
    """Same state keys per parameter index and the same values (PyTorch's step is a float tensor, ours an int)."""
    ours, theirs = o_opt.state_dict()["state"], t_opt.state_dict()["state"]
    assert sorted(ours) == sorted(theirs)
    for i in theirs:
        assert list(ours[i]) == list(theirs[i]), i
        for k, v in theirs[i].items():
            np.testing.assert_allclose(np.asarray(_np(ours[i][k]), dtype=complex), np.asarray(_np(v), dtype=complex),
                                       rtol=RTOL, atol=ATOL, err_msg=f"state[{i}][{k!r}]")


# (class name, kwargs); every case runs 30 steps of the same model and data on both sides
OPTIMIZERS = [
    ("Adadelta", {}),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1)),
    ("Adadelta", dict(lr=2.0, maximize=True, foreach=False, capturable=False)),
    ("Adamax", {}),
    ("Adamax", dict(lr=0.02, betas=(0.3, 0.99), eps=1e-6, weight_decay=0.05)),  # beta1 < 0.5: lerp's other branch
    ("Adamax", dict(lr=0.01, maximize=True, foreach=False)),
    ("NAdam", {}),
    ("NAdam", dict(lr=0.01, betas=(0.8, 0.95), momentum_decay=0.01, weight_decay=0.05)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", {}),  # rho_t > 5 only from step 6: both branches
    ("RAdam", dict(lr=0.01, betas=(0.9, 0.9), weight_decay=0.05)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True, foreach=False)),
    ("ASGD", {}),
    ("ASGD", dict(lr=0.05, lambd=1e-2, alpha=0.5, t0=5, weight_decay=0.01)),  # averaging starts after 5 steps
    ("ASGD", dict(lr=0.02, t0=3, maximize=True)),
    ("Rprop", {}),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-4, 0.08))),
    ("Rprop", dict(lr=0.001, maximize=True, foreach=False)),
    ("Adafactor", {}),
    ("Adafactor", dict(lr=0.05, beta2_decay=-0.5, eps=(1e-20, 1e-2), d=1.5, weight_decay=0.1, maximize=True)),
    # the older optimisers with the keywords PyTorch 2 added
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, foreach=False, fused=None)),
    ("SGD", dict(lr=0.05, momentum=0.9, foreach=False, fused=None)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, capturable=False, foreach=False)),
    ("Adagrad", dict(lr=0.05, foreach=False, fused=None)),
]
_IDS = [f"{c}-{i}" for i, (c, _) in enumerate(OPTIMIZERS)]
NEW = ["Adadelta", "Adamax", "NAdam", "RAdam", "ASGD", "Rprop", "Adafactor"]
REAL_ONLY = {"Adafactor"}  # refuses complex parameters, has no `differentiable` keyword (as in PyTorch)


@pytest.mark.parametrize("cls,kw", OPTIMIZERS, ids=_IDS)
def test_optimizer_trajectory_matches_torch(cls, kw):
    ours, theirs = _models()
    o_opt = getattr(optim, cls)(ours.parameters(), **kw)
    t_opt = getattr(torch.optim, cls)(theirs.parameters(), **kw)
    _train(ours, theirs, o_opt, t_opt, 30)
    _assert_state_matches(o_opt, t_opt)


@pytest.mark.parametrize("cls", NEW)
def test_param_group_keys_and_defaults_are_torchs(cls):
    p, q = nn.Parameter(ag.zeros(2)), torch.zeros(2, requires_grad=True)
    ours, theirs = getattr(optim, cls)([p]).param_groups[0], getattr(torch.optim, cls)([q]).param_groups[0]
    assert set(ours) == set(theirs)
    assert {k: v for k, v in ours.items() if k != "params"} == {k: v for k, v in theirs.items() if k != "params"}


@pytest.mark.parametrize("cls", NEW)
def test_per_group_options_and_add_param_group(cls):
    ours, theirs = _models()
    lr = {"Adadelta": 0.5, "ASGD": 0.05, "Rprop": 0.02}.get(cls, 0.01)
    o_opt = getattr(optim, cls)([{"params": ours[0].parameters(), "lr": lr / 2}], lr=lr)
    t_opt = getattr(torch.optim, cls)([{"params": theirs[0].parameters(), "lr": lr / 2}], lr=lr)
    _train(ours, theirs, o_opt, t_opt, 5)  # the last layer has grads but no optimiser: it must stay put
    extra = {"weight_decay": 0.1} if cls != "Rprop" else {"etas": (0.4, 1.1)}
    o_opt.add_param_group({"params": list(ours[2].parameters()), **extra})
    t_opt.add_param_group({"params": list(theirs[2].parameters()), **extra})
    assert {k: v for k, v in o_opt.param_groups[1].items() if k != "params"} == {
        k: v for k, v in t_opt.param_groups[1].items() if k != "params"}
    _train(ours, theirs, o_opt, t_opt, 10, start=5)
    _assert_state_matches(o_opt, t_opt)


@pytest.mark.parametrize("cls", [c for c in NEW if c not in REAL_ONLY])
def test_complex_parameters_are_pairs_of_reals_as_in_torch(cls):
    rng = np.random.default_rng(3)
    z0 = rng.standard_normal(5) + 1j * rng.standard_normal(5)
    c = rng.standard_normal(5) + 1j * rng.standard_normal(5)
    zo, zt = nn.Parameter(ag.tensor(z0.copy())), torch.tensor(z0.copy(), requires_grad=True)
    kw = dict(lr=0.05) if cls != "Adadelta" else {}
    o_opt, t_opt = getattr(optim, cls)([zo], **kw), getattr(torch.optim, cls)([zt], **kw)
    for s in range(15):
        o_opt.zero_grad()
        t_opt.zero_grad()
        w = 1.0 + 0.1 * s  # a changing objective keeps the gradients from settling into one sign pattern
        ((zo - ag.tensor(c)).abs() ** 3 * w + (zo + ag.tensor(c)).abs()).sum().backward()
        ((zt - torch.tensor(c)).abs() ** 3 * w + (zt + torch.tensor(c)).abs()).sum().backward()
        o_opt.step()
        t_opt.step()
        np.testing.assert_allclose(zo.detach().numpy(), zt.detach().numpy(), rtol=RTOL, atol=ATOL, err_msg=str(s))


def _rosenbrock(xy):
    x, y = xy[0], xy[1]
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


@pytest.mark.parametrize("cls,kw", [("Adadelta", dict(lr=1.0)), ("Adamax", dict(lr=0.05)), ("NAdam", dict(lr=0.02)),
                                    ("RAdam", dict(lr=1e-3)), ("ASGD", dict(lr=1e-3, t0=10)),
                                    ("Rprop", dict(lr=0.01)), ("Adafactor", dict(lr=0.05))])
def test_rosenbrock_trajectory_matches_torch(cls, kw):
    xo, xt = nn.Parameter(ag.tensor([-1.5, 2.0], dtype=ag.float64)), torch.tensor([-1.5, 2.0], requires_grad=True)
    o_opt, t_opt = getattr(optim, cls)([xo], **kw), getattr(torch.optim, cls)([xt], **kw)
    for s in range(50):
        o_opt.zero_grad()
        t_opt.zero_grad()
        _rosenbrock(xo).backward()
        _rosenbrock(xt).backward()
        o_opt.step()
        t_opt.step()
        np.testing.assert_allclose(xo.detach().numpy(), xt.detach().numpy(), rtol=RTOL, atol=ATOL, err_msg=str(s))


# ---------------------------------------------------------------------- state dicts
def _to_torch(v):
    if isinstance(v, ag.Tensor):
        return torch.from_numpy(v.detach().numpy().copy())
    if isinstance(v, list):
        return [_to_torch(x) for x in v]
    return v


@pytest.mark.parametrize("cls,kw", [(c, kw) for c, kw in OPTIMIZERS if c in NEW and kw],
                         ids=[i for i, (c, kw) in zip(_IDS, OPTIMIZERS) if c in NEW and kw])
def test_state_dict_round_trip_and_exchange_with_torch(cls, kw, tmp_path):
    ours, theirs = _models()
    o_opt = getattr(optim, cls)(ours.parameters(), **kw)
    t_opt = getattr(torch.optim, cls)(theirs.parameters(), **kw)
    _train(ours, theirs, o_opt, t_opt, 7)
    sd = o_opt.state_dict()
    assert sorted(sd) == ["param_groups", "state"] and sorted(sd["state"]) == [0, 1, 2, 3]
    assert [g["params"] for g in sd["param_groups"]] == [g["params"] for g in t_opt.state_dict()["param_groups"]]

    # 1. through a checkpoint file into a fresh optimiser on fresh weights
    ag.save({"model": ours.state_dict(), "opt": sd}, tmp_path / "ckpt.npz")
    ck = ag.load(tmp_path / "ckpt.npz")
    resumed, _ = _models(seed=5)
    resumed.load_state_dict(ck["model"])
    r_opt = getattr(optim, cls)(resumed.parameters(), **kw)
    r_opt.load_state_dict(ck["opt"])

    # 2. PyTorch's own state dict loaded into ours, and ours into PyTorch
    from_torch, _ = _models(seed=6)
    from_torch.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    f_opt = getattr(optim, cls)(from_torch.parameters(), **kw)
    f_opt.load_state_dict(t_opt.state_dict())
    to_torch = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2)).double()
    to_torch.load_state_dict(theirs.state_dict())
    tt_opt = getattr(torch.optim, cls)(to_torch.parameters(), **kw)
    tt_opt.load_state_dict({"state": {i: {k: _to_torch(v) for k, v in st.items()} for i, st in sd["state"].items()},
                            "param_groups": sd["param_groups"]})

    _train(resumed, theirs, r_opt, t_opt, 5, start=7)
    for s in range(7, 12):  # the same five steps, now for the two exchanged optimisers
        _loss_step(from_torch, to_torch, f_opt, tt_opt, s)
        f_opt.step()
        tt_opt.step()
    _assert_params(from_torch, theirs, "loaded from torch")
    _assert_params(resumed, to_torch, "torch loaded from ours")


def test_named_parameters_keep_their_names_in_the_state_dict():
    ours, theirs = _models()
    o_opt = optim.NAdam(ours.named_parameters(), lr=0.01)
    t_opt = torch.optim.NAdam(theirs.named_parameters(), lr=0.01)
    _train(ours, theirs, o_opt, t_opt, 3)
    o_groups, t_groups = o_opt.state_dict()["param_groups"], t_opt.state_dict()["param_groups"]
    assert o_groups[0]["param_names"] == t_groups[0]["param_names"] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert o_groups[0]["params"] == t_groups[0]["params"] == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="all optimizer param groups should be with/without names"):
        o_opt.add_param_group({"params": [nn.Parameter(ag.zeros(1))]})


def test_zero_grad_sets_to_none_by_default_or_zeros():
    ours, _ = _models()
    opt = optim.Rprop(ours.parameters())
    F.mse_loss(ours(ag.tensor(_data(0)[0])), ag.tensor(_data(0)[1])).backward()
    opt.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.detach().numpy().any() for p in ours.parameters())
    opt.zero_grad()
    assert all(p.grad is None for p in ours.parameters())


def test_step_hooks_run_in_torchs_order_and_can_replace_the_arguments():
    calls = []
    for lib, mod in (("ours", optim), ("torch", torch.optim)):
        p = nn.Parameter(ag.tensor([1.0])) if lib == "ours" else torch.tensor([1.0], requires_grad=True)
        opt = mod.Adamax([p], lr=0.1)
        seen = []
        h1 = opt.register_step_pre_hook(lambda o, a, k, seen=seen: seen.append(("pre", a, k)))
        opt.register_step_post_hook(lambda o, a, k, seen=seen: seen.append(("post", a, k)))

        def swap(o, a, k, seen=seen):
            seen.append("swap")
            return a, {"closure": lambda: 7.0}  # a[0] is the optimiser, as in PyTorch

        opt.register_step_pre_hook(swap)
        p.grad = p.detach() * 0 + 1  # a gradient of 1
        out = opt.step()
        h1.remove()
        opt.step()
        calls.append((seen, out))
    (ours, o_out), (theirs, t_out) = calls
    assert o_out == t_out == 7.0  # the hook's closure ran
    assert [s if isinstance(s, str) else s[0] for s in ours] == [s if isinstance(s, str) else s[0] for s in theirs]
    assert [s if isinstance(s, str) else s[0] for s in ours] == ["pre", "swap", "post", "swap", "post"]


def test_global_step_hooks_and_subclass_steps_run_them_once():
    seen = []
    pre = register_optimizer_step_pre_hook(lambda o, a, k: seen.append(("pre", type(o).__name__)))
    post = register_optimizer_step_post_hook(lambda o, a, k: seen.append(("post", type(o).__name__)))
    try:
        p = nn.Parameter(ag.tensor([1.0, 2.0]))

        class Mine(optim.SGD):  # a subclass whose own step calls super().step(): the hooks still run once
            def step(self, closure=None):
                return super().step(closure)

        for opt in (optim.RAdam([p]), Mine([p], lr=0.1)):
            p.grad = ag.ones(2)
            opt.step()
    finally:
        pre.remove()
        post.remove()
    assert seen == [("pre", "RAdam"), ("post", "RAdam"), ("pre", "Mine"), ("post", "Mine")]
    optim.RAdam([p]).step()
    assert len(seen) == 4  # removed


def test_state_dict_hooks():
    p = nn.Parameter(ag.tensor([1.0]))
    opt = optim.Adadelta([p])
    order = []
    opt.register_state_dict_pre_hook(lambda o: order.append("pre"))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    opt.register_load_state_dict_pre_hook(lambda o, sd: order.append("load-pre"))
    opt.register_load_state_dict_post_hook(lambda o: order.append("load-post"))
    sd = opt.state_dict()
    assert sd["extra"] == 1
    opt.load_state_dict(sd)
    assert order == ["pre", "load-pre", "load-post"]


# ---------------------------------------------------------------------- L-BFGS
def _ar_problem(lib, seed=0, k=4):
    """An autoregressive model of order k fitted to noisy two-tone sequences by least squares (convex)."""
    rng = np.random.default_rng(seed)
    t = np.arange(40)[None, :] + rng.integers(0, 20, (6, 1))
    seq = np.sin(t / 4.0) + 0.5 * np.sin(t / 1.7) + 0.05 * rng.standard_normal(t.shape)
    windows = np.stack([seq[:, i:i + seq.shape[1] - k] for i in range(k)], -1)  # (6, T - k, k) lagged values
    mk = ag.tensor if lib == "ours" else torch.tensor
    params = [nn.Parameter(ag.zeros(k, dtype=ag.float64)), nn.Parameter(ag.zeros(1, dtype=ag.float64))] \
        if lib == "ours" else [torch.zeros(k, requires_grad=True), torch.zeros(1, requires_grad=True)]
    x, y = mk(windows), mk(seq[:, k:])

    def loss_fn():
        a, b = params
        return ((x @ a + b - y) ** 2).mean()

    return params, loss_fn


def _rnn_problem(lib, seed=0):
    """A tanh RNN (hidden 4) fitting the next value of noisy sine sequences by least squares (non-convex)."""
    rng = np.random.default_rng(seed)
    t = np.arange(12)[None, :] + rng.integers(0, 20, (5, 1))
    seq = np.sin(t / 3.0) + 0.05 * rng.standard_normal(t.shape)
    w0 = [0.3 * rng.standard_normal(s) for s in ((4, 4), (1, 4), (4, 1), (1,))]
    if lib == "ours":
        params = [nn.Parameter(ag.tensor(w.copy())) for w in w0]
        mk, tanh = ag.tensor, ag.tanh
    else:
        params = [torch.tensor(w.copy(), requires_grad=True) for w in w0]
        mk, tanh = torch.tensor, torch.tanh
    x, y = mk(seq[:, :-1]), mk(seq[:, 1:])

    def loss_fn():
        w, u, v, b = params
        h = mk(np.zeros((5, 4)))
        total = 0.0
        for i in range(x.shape[1]):
            h = tanh(h @ w + x[:, i:i + 1] @ u)
            total = total + (((h @ v)[:, 0] + b - y[:, i]) ** 2).mean()
        return total / x.shape[1]

    return params, loss_fn


def _lbfgs_run(lib, problem, steps, **kw):
    params, loss_fn = problem(lib)
    opt = (optim.LBFGS if lib == "ours" else torch.optim.LBFGS)(params, **kw)
    evals, firsts, starts = [], [], []

    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        evals.append(loss.item())
        return loss

    for _ in range(steps):
        starts.append(len(evals))
        firsts.append(opt.step(closure).item())
    assert firsts == [evals[i] for i in starts]  # step returns the loss of its first closure call
    return params, opt, evals


LBFGS_OPTIONS = [dict(), dict(lr=0.5, max_iter=7, history_size=4), dict(line_search_fn="strong_wolfe"),
                 dict(line_search_fn="strong_wolfe", max_iter=10, max_eval=12, history_size=3,
                      tolerance_change=1e-12, tolerance_grad=1e-9)]
LBFGS_IDS = ["fixed-step", "fixed-step-short-history", "strong-wolfe", "strong-wolfe-limits"]


# Rounding differences between the two libraries' forward passes (last bits of a matmul) grow along an L-BFGS run
# on the non-convex RNN (measured: 1e-16 at the first evaluation, ~1e-9 after 40); on the convex AR problem the
# runs agree to ~1e-14. Hence two steps and 5e-9 there, 1e-10 on the AR problem.
@pytest.mark.parametrize("kw", LBFGS_OPTIONS, ids=LBFGS_IDS)
@pytest.mark.parametrize("problem,steps,rtol", [(_ar_problem, 3, 1e-10), (_rnn_problem, 2, 5e-9)], ids=["ar", "rnn"])
def test_lbfgs_matches_torch_evaluation_by_evaluation(problem, steps, rtol, kw):
    p_o, o_opt, evals_o = _lbfgs_run("ours", problem, steps, **kw)
    p_t, t_opt, evals_t = _lbfgs_run("torch", problem, steps, **kw)
    assert len(evals_o) == len(evals_t)  # the same number of closure calls: the same line-search decisions
    np.testing.assert_allclose(evals_o, evals_t, rtol=rtol, atol=1e-14)
    for a, b in zip(p_o, p_t):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=100 * rtol, atol=1e-10)
    so, st = o_opt.state[p_o[0]], t_opt.state[p_t[0]]
    assert set(so) == set(st)
    assert so["func_evals"] == st["func_evals"] and so["n_iter"] == st["n_iter"]
    assert len(so["old_dirs"]) == len(st["old_dirs"]) <= t_opt.param_groups[0]["history_size"]
    np.testing.assert_allclose(so["d"].detach().numpy(), st["d"].numpy(), rtol=1e3 * rtol, atol=1e-9)
    assert evals_o[-1] < 0.5 * evals_o[0]


def test_lbfgs_strong_wolfe_minimises_rosenbrock_like_torch():
    runs = []
    for lib in ("ours", "torch"):
        x = (nn.Parameter(ag.tensor([-1.2, 1.0], dtype=ag.float64)) if lib == "ours"
             else torch.tensor([-1.2, 1.0], requires_grad=True))
        opt = (optim.LBFGS if lib == "ours" else torch.optim.LBFGS)([x], line_search_fn="strong_wolfe",
                                                                    max_iter=100)

        def closure(opt=opt, x=x):
            opt.zero_grad()
            loss = _rosenbrock(x)
            loss.backward()
            return loss

        opt.step(closure)
        runs.append((x.detach().numpy().copy(), opt.state[x]["func_evals"], opt.state[x]["n_iter"]))
    (xo, fo, no), (xt, ft, nt) = runs
    np.testing.assert_allclose(xo, [1.0, 1.0], atol=1e-4)
    np.testing.assert_allclose(xo, xt, rtol=1e-9, atol=1e-12)
    assert (fo, no) == (ft, nt)


def test_lbfgs_state_dict_round_trip_resumes_exactly():
    kw = dict(line_search_fn="strong_wolfe", history_size=5)
    _, _, evals_t = _lbfgs_run("torch", _rnn_problem, 2, **kw)
    params, loss_fn = _rnn_problem("ours")
    holder = [optim.LBFGS(params, **kw)]
    evals = []

    def closure():
        holder[0].zero_grad()
        loss = loss_fn()
        loss.backward()
        evals.append(loss.item())
        return loss

    holder[0].step(closure)
    sd = holder[0].state_dict()
    assert sorted(sd["state"]) == [0] and {"d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad",
                                          "prev_loss", "func_evals", "n_iter"} <= set(sd["state"][0])
    assert len(sd["state"][0]["old_dirs"]) == 5  # the history is full: the shift-out path ran
    holder[0] = optim.LBFGS(params, **kw)
    holder[0].load_state_dict(sd)
    assert holder[0].state[params[0]]["old_dirs"][0] is not sd["state"][0]["old_dirs"][0]  # copied
    holder[0].step(closure)
    np.testing.assert_allclose(evals, evals_t, rtol=5e-9, atol=1e-14)


def test_lbfgs_errors():
    p = nn.Parameter(ag.zeros(2))
    with pytest.raises(ValueError, match=r"^LBFGS doesn't support per-parameter options \(parameter groups\)"):
        optim.LBFGS([{"params": [p]}, {"params": [nn.Parameter(ag.zeros(1))]}])
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'closure'"):
        optim.LBFGS([p]).step()
    with pytest.raises(TypeError):
        torch.optim.LBFGS([torch.zeros(2, requires_grad=True)]).step()
    with pytest.raises(RuntimeError, match="^only 'strong_wolfe' is supported"):
        optim.LBFGS([p], line_search_fn="armijo")
    with pytest.raises(ValueError, match="^Invalid learning rate: -1"):
        optim.LBFGS([p], lr=-1)


def test_lbfgs_stops_at_once_when_the_gradient_is_already_zero():
    p = nn.Parameter(ag.tensor([1.0, 1.0]))
    opt = optim.LBFGS([p])
    loss = opt.step(lambda: _closure_zero_grad(opt, p))
    assert loss.item() == 0.0 and opt.state[p]["func_evals"] == 1 and "d" not in opt.state[p]


def _closure_zero_grad(opt, p):
    opt.zero_grad()
    loss = _rosenbrock(p)
    loss.backward()
    return loss


# ---------------------------------------------------------------------- schedulers
def _sched_pair(name, kw, opt_name="SGD", groups=1, okw=None):
    ours, theirs = _models()
    okw = okw or (dict(lr=0.1, momentum=0.9) if opt_name == "SGD" else dict(lr=0.1))
    if groups == 2:
        o_params = [{"params": ours[0].parameters()}, {"params": ours[2].parameters(), "lr": 0.05}]
        t_params = [{"params": theirs[0].parameters()}, {"params": theirs[2].parameters(), "lr": 0.05}]
    else:
        o_params, t_params = ours.parameters(), theirs.parameters()
    o_opt, t_opt = getattr(optim, opt_name)(o_params, **okw), getattr(torch.optim, opt_name)(t_params, **okw)
    o_kw, t_kw = kw(o_opt, "ours") if callable(kw) else kw, kw(t_opt, "torch") if callable(kw) else kw
    o_s = getattr(sched, name)(o_opt, **o_kw) if name != "ChainedScheduler" else sched.ChainedScheduler(**o_kw)
    t_s = (getattr(torch.optim.lr_scheduler, name)(t_opt, **t_kw) if name != "ChainedScheduler"
           else torch.optim.lr_scheduler.ChainedScheduler(**t_kw))
    return (ours, o_opt, o_s), (theirs, t_opt, t_s)


def _assert_lrs(o_opt, t_opt, o_s, t_s, step):
    assert o_s.get_last_lr() == pytest.approx(t_s.get_last_lr(), rel=1e-12, abs=1e-15), step
    for go, gt in zip(o_opt.param_groups, t_opt.param_groups):
        assert go["lr"] == pytest.approx(gt["lr"], rel=1e-12, abs=1e-15), step
        for key in ("momentum", "betas"):
            if key in gt:
                assert go[key] == pytest.approx(gt[key], rel=1e-12, abs=1e-15), (step, key)


def _children(specs):
    """kw builder for SequentialLR / ChainedScheduler: each side builds its own children on its optimiser."""
    def build(opt, lib):
        mod = sched if lib == "ours" else torch.optim.lr_scheduler
        return [getattr(mod, n)(opt, **k) for n, k in specs]
    return build


def _triangle(x):
    return 1 / (1 + 0.1 * x)


SCHEDULERS = [
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.95)),
    ("MultiplicativeLR", dict(lr_lambda=[lambda e: 0.9, lambda e: 1.0 - 0.01 * e]), 2),
    ("ConstantLR", {}),
    ("ConstantLR", dict(factor=0.5, total_iters=4)),
    ("LinearLR", {}),
    ("LinearLR", dict(start_factor=0.25, end_factor=0.9, total_iters=7)),
    ("PolynomialLR", {}),
    ("PolynomialLR", dict(total_iters=8, power=2.0)),
    ("LambdaLR", dict(lr_lambda=[lambda e: 0.5**e, lambda e: 1 / (1 + e)]), 2),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=4)),
    ("CyclicLR", dict(base_lr=[0.01, 0.02], max_lr=[0.1, 0.3], step_size_up=3, step_size_down=5,
                      mode="triangular2", base_momentum=[0.7, 0.8], max_momentum=0.95), 2),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=3, mode="exp_range", gamma=0.9)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=2, cycle_momentum=False)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=3, scale_fn=_triangle, scale_mode="iterations")),
    ("OneCycleLR", dict(max_lr=[1.0, 0.5], total_steps=31, base_momentum=[0.8, 0.85], pct_start=0.25), 2),
    ("OneCycleLR", dict(max_lr=0.5, epochs=3, steps_per_epoch=11, three_phase=True, anneal_strategy="linear")),
    ("SequentialLR", lambda o, lib: dict(schedulers=_children([("LinearLR", dict(start_factor=0.1, total_iters=5)),
                                                               ("ExponentialLR", dict(gamma=0.9))])(o, lib),
                                         milestones=[5])),
    ("SequentialLR", lambda o, lib: dict(schedulers=_children([("ConstantLR", dict(factor=0.2, total_iters=2)),
                                                               ("CosineAnnealingLR", dict(T_max=6)),
                                                               ("StepLR", dict(step_size=3, gamma=0.5))])(o, lib),
                                         milestones=[3, 10]), 2),
    ("ChainedScheduler", lambda o, lib: dict(schedulers=_children([("ConstantLR", dict(factor=0.1, total_iters=2)),
                                                                   ("ExponentialLR", dict(gamma=0.9))])(o, lib))),
    ("ChainedScheduler", lambda o, lib: dict(schedulers=_children([("LinearLR", dict(total_iters=4)),
                                                                   ("MultiStepLR", dict(milestones=[3, 6]))])(o, lib),
                                             optimizer=o), 2),
    ("CosineAnnealingWarmRestarts", dict(T_0=4, T_mult=2, eta_min=0.001)),
    ("StepLR", dict(step_size=4, gamma=0.5), 2),
]


def _sched_case(case):
    name, kw, groups = (*case, 1) if len(case) == 2 else case
    return name, kw, groups


@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
@pytest.mark.parametrize("case", SCHEDULERS, ids=[f"{c[0]}{i}" for i, c in enumerate(SCHEDULERS)])
def test_scheduler_matches_torch_for_30_steps(case, opt_name):
    name, kw, groups = _sched_case(case)
    (ours, o_opt, o_s), (theirs, t_opt, t_s) = _sched_pair(name, kw, opt_name, groups)
    for s in range(30):
        _assert_lrs(o_opt, t_opt, o_s, t_s, s)
        _loss_step(ours, theirs, o_opt, t_opt, s)
        o_opt.step()
        t_opt.step()
        o_s.step()
        t_s.step()
        _assert_params(ours, theirs, f"step {s}")
    _assert_lrs(o_opt, t_opt, o_s, t_s, 30)


@pytest.mark.parametrize("case", [c for c in SCHEDULERS if c[0] not in ("OneCycleLR",)],
                         ids=[f"{c[0]}{i}" for i, c in enumerate(SCHEDULERS) if c[0] not in ("OneCycleLR",)])
def test_scheduler_state_dict_round_trip_resumes_exactly(case, tmp_path):
    name, kw, groups = _sched_case(case)
    (ours, o_opt, o_s), (theirs, t_opt, t_s) = _sched_pair(name, kw, "SGD", groups)
    for _ in range(7):
        o_opt.step()
        t_opt.step()
        o_s.step()
        t_s.step()
    sd_o, sd_t = o_s.state_dict(), t_s.state_dict()
    assert set(sd_o) <= set(sd_t) | {"_get_lr_called_within_step", "_is_initial"}, set(sd_o) ^ set(sd_t)
    ag.save({"opt": o_opt.state_dict(), "sched": sd_o}, tmp_path / "ckpt.npz")  # storable without pickle
    ck = ag.load(tmp_path / "ckpt.npz")
    # a fresh optimiser and scheduler (as a resumed program builds them), then both state dicts loaded
    (_, r_opt, r_s), _ = _sched_pair(name, kw, "SGD", groups)
    r_s.load_state_dict(ck["sched"])
    r_opt.load_state_dict(ck["opt"])
    for s in range(7, 20):
        _assert_lrs(r_opt, t_opt, r_s, t_s, s)
        r_opt.step()
        t_opt.step()
        r_s.step()
        t_s.step()


def test_one_cycle_state_dict_round_trip():
    (_, o_opt, o_s), (_, t_opt, t_s) = _sched_pair("OneCycleLR", dict(max_lr=1.0, total_steps=20), "Adam")
    for _ in range(6):
        o_opt.step(), t_opt.step(), o_s.step(), t_s.step()
    assert set(o_s.state_dict()) <= set(t_s.state_dict()) | {"_get_lr_called_within_step", "_is_initial"}
    (_, r_opt, r_s), _ = _sched_pair("OneCycleLR", dict(max_lr=1.0, total_steps=20), "Adam")
    r_s.load_state_dict(o_s.state_dict())
    r_opt.load_state_dict(o_opt.state_dict())
    for s in range(6, 20):
        _assert_lrs(r_opt, t_opt, r_s, t_s, s)
        r_opt.step(), t_opt.step(), r_s.step(), t_s.step()


@pytest.mark.parametrize("name,kw", [("StepLR", dict(step_size=3, gamma=0.5)), ("ExponentialLR", dict(gamma=0.8)),
                                     ("MultiStepLR", dict(milestones=[2, 5])), ("ConstantLR", dict(factor=0.5)),
                                     ("LinearLR", dict(start_factor=0.2)), ("PolynomialLR", dict(power=2.0)),
                                     ("CosineAnnealingLR", dict(T_max=6)),
                                     ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.9))])
def test_resuming_with_last_epoch_matches_torch(name, kw):
    """A scheduler built with last_epoch=k (after the optimiser's state dict restored 'initial_lr')."""
    (_, o_opt, o_s), (_, t_opt, t_s) = _sched_pair(name, kw)
    for _ in range(4):
        o_opt.step(), t_opt.step(), o_s.step(), t_s.step()
    o_s2 = getattr(sched, name)(o_opt, last_epoch=4, **kw)
    t_s2 = getattr(torch.optim.lr_scheduler, name)(t_opt, last_epoch=4, **kw)
    for s in range(10):
        _assert_lrs(o_opt, t_opt, o_s2, t_s2, s)
        o_opt.step(), t_opt.step(), o_s2.step(), t_s2.step()


@pytest.mark.parametrize("name,kw", [("StepLR", dict(step_size=3, gamma=0.5)), ("ExponentialLR", dict(gamma=0.8)),
                                     ("MultiStepLR", dict(milestones=[2, 5, 5])), ("ConstantLR", dict(factor=0.5)),
                                     ("LinearLR", dict(start_factor=0.2)), ("PolynomialLR", dict(power=2.0)),
                                     ("CosineAnnealingLR", dict(T_max=6)), ("LambdaLR", dict(lr_lambda=lambda e: e)),
                                     ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2))])
def test_step_with_an_epoch_uses_the_closed_form_and_warns(name, kw):
    (_, o_opt, o_s), (_, t_opt, t_s) = _sched_pair(name, kw)
    o_opt.step(), t_opt.step()
    for epoch in (3, 1, 7, 7, 2, 10, 4.5 if name == "CosineAnnealingWarmRestarts" else 4):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            o_s.step(epoch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_s.step(epoch)
        if name != "CosineAnnealingWarmRestarts":
            assert any("The epoch parameter in `scheduler.step()` was not necessary" in str(w.message)
                       for w in caught)
        _assert_lrs(o_opt, t_opt, o_s, t_s, epoch)


def test_scheduler_warnings_programs_see():
    ours, _ = _models()
    opt = optim.SGD(ours.parameters(), lr=0.1)
    s = sched.LinearLR(opt)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`"):
        s.step()
    with pytest.warns(UserWarning, match=r"please use `get_last_lr\(\)`"):
        s.get_lr()
    opt2 = optim.SGD(ours.parameters(), lr=0.1)
    s2 = sched.CyclicLR(opt2, 0.01, 0.1, step_size_up=2)
    opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s2.step()  # the right order: silent
        s2.get_last_lr()
    assert isinstance(sched.ReduceLROnPlateau(opt2), sched.LRScheduler)  # as in PyTorch 2


def test_lambda_scheduler_state_dict_keeps_callable_objects_state():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, e):
            return self.rate**e

    for lib in (sched, torch.optim.lr_scheduler):
        p = nn.Parameter(ag.zeros(1)) if lib is sched else torch.zeros(1, requires_grad=True)
        opt = (optim if lib is sched else torch.optim).SGD([p], lr=1.0)
        fn = Decay()
        s = lib.LambdaLR(opt, [fn])
        sd = s.state_dict()
        assert sd["lr_lambdas"] == [{"rate": 0.5}]
        fn.rate = 0.1
        s.load_state_dict(sd)
        assert fn.rate == 0.5
        assert lib.LambdaLR(opt, lambda e: 1.0).state_dict()["lr_lambdas"] == [None]


def _same_error(build_theirs, build_ours, exc=ValueError):
    with pytest.raises(exc) as theirs:
        build_theirs()
    with pytest.raises(exc, match="^" + re.escape(str(theirs.value).split("\n")[0])):
        build_ours()


@pytest.mark.parametrize("name,kw", [
    ("ConstantLR", dict(factor=1.5)), ("ConstantLR", dict(factor=-0.1)), ("LinearLR", dict(start_factor=0)),
    ("LinearLR", dict(start_factor=1.5)), ("LinearLR", dict(end_factor=1.5)),
    ("CyclicLR", dict(base_lr=0.1, max_lr=1, mode="sawtooth")),
    ("CyclicLR", dict(base_lr=[0.1, 0.2], max_lr=1)),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=10, pct_start=0)), ("OneCycleLR", dict(max_lr=1.0, total_steps=0)),
    ("OneCycleLR", dict(max_lr=1.0, epochs=0, steps_per_epoch=3)),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=10, anneal_strategy="exp")),
    ("CosineAnnealingWarmRestarts", dict(T_0=2, eta_min="0")),
    ("ReduceLROnPlateau", dict(mode="mid")), ("ReduceLROnPlateau", dict(threshold_mode="pct")),
])
def test_scheduler_errors_match_torch(name, kw):
    p, q = nn.Parameter(ag.zeros(1)), torch.zeros(1, requires_grad=True)
    _same_error(lambda: getattr(torch.optim.lr_scheduler, name)(torch.optim.SGD([q], lr=0.1, momentum=0.9), **kw),
                lambda: getattr(sched, name)(optim.SGD([p], lr=0.1, momentum=0.9), **kw))


def test_scheduler_container_and_momentum_errors_match_torch():
    p, q = nn.Parameter(ag.zeros(1)), torch.zeros(1, requires_grad=True)
    o, t = optim.SGD([p], lr=0.1), torch.optim.SGD([q], lr=0.1)
    ts, os_ = torch.optim.lr_scheduler, sched
    _same_error(lambda: ts.CyclicLR(torch.optim.Adagrad([q]), 0.1, 1.0), lambda: os_.CyclicLR(optim.Adagrad([p]),
                                                                                               0.1, 1.0))
    _same_error(lambda: ts.SequentialLR(t, [ts.ConstantLR(t)], milestones=[2]),
                lambda: os_.SequentialLR(o, [os_.ConstantLR(o)], milestones=[2]))
    _same_error(lambda: ts.SequentialLR(t, [], milestones=[]), lambda: os_.SequentialLR(o, [], milestones=[]))
    _same_error(lambda: ts.ChainedScheduler([]), lambda: os_.ChainedScheduler([]))
    _same_error(lambda: ts.ChainedScheduler([ts.ReduceLROnPlateau(t)]),
                lambda: os_.ChainedScheduler([os_.ReduceLROnPlateau(o)]))
    o2, t2 = optim.SGD([nn.Parameter(ag.zeros(1))], lr=0.1), torch.optim.SGD([torch.zeros(1, requires_grad=True)])
    with pytest.raises(ValueError, match="expects all schedulers to belong to the same optimizer"):
        os_.SequentialLR(o, [os_.ConstantLR(o), os_.ConstantLR(o2)], milestones=[2])
    with pytest.raises(ValueError, match="expects all schedulers to belong to the same optimizer"):
        ts.SequentialLR(t, [ts.ConstantLR(t), ts.ConstantLR(t2)], milestones=[2])
    _same_error(lambda: ts.MultiplicativeLR(t, 0.9), lambda: os_.MultiplicativeLR(o, 0.9), TypeError)
    _same_error(lambda: ts.LambdaLR(t, [lambda e: 1, lambda e: 1]), lambda: os_.LambdaLR(o, [lambda e: 1] * 2))
    cawr_o, cawr_t = os_.CosineAnnealingWarmRestarts(o, 2), ts.CosineAnnealingWarmRestarts(t, 2)
    _same_error(lambda: cawr_t.step(-1), lambda: cawr_o.step(-1))
    oc_o, oc_t = os_.OneCycleLR(o, 1.0, total_steps=2), ts.OneCycleLR(torch.optim.SGD([q], lr=0.1, momentum=0.9),
                                                                      1.0, total_steps=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        oc_o.step(), oc_o.step(), oc_t.step(), oc_t.step()
        _same_error(oc_t.step, oc_o.step)


# ---------------------------------------------------------------------- optimiser errors
BAD = [
    ("Adadelta", dict(lr=-0.1)), ("Adadelta", dict(rho=1.1)), ("Adadelta", dict(rho=float("nan"))),
    ("Adadelta", dict(eps=-1.0)), ("Adadelta", dict(weight_decay=-1.0)),
    ("Adamax", dict(lr=-0.1)), ("Adamax", dict(eps=-1.0)), ("Adamax", dict(betas=(1.0, 0.9))),
    ("Adamax", dict(betas=(0.9, -0.1))), ("Adamax", dict(weight_decay=-1.0)),
    ("NAdam", dict(lr=float("nan"))), ("NAdam", dict(betas=(0.9, 1.0))), ("NAdam", dict(momentum_decay=-1.0)),
    ("NAdam", dict(weight_decay=-0.1)), ("NAdam", dict(eps=-1e-8)),
    ("RAdam", dict(lr=-1.0)), ("RAdam", dict(betas=(-0.5, 0.9))), ("RAdam", dict(weight_decay=-0.1)),
    ("RAdam", dict(eps=-1.0)),
    ("ASGD", dict(lr=-1.0)), ("ASGD", dict(weight_decay=-1.0)),
    ("Rprop", dict(lr=-1.0)), ("Rprop", dict(etas=(1.2, 0.5))), ("Rprop", dict(etas=(0.0, 1.2))),
    ("Rprop", dict(etas=(0.5, 1.0))),
    ("LBFGS", dict(lr=-1.0)),
    ("Adafactor", dict(lr=-1.0)), ("Adafactor", dict(beta2_decay=0.5)), ("Adafactor", dict(eps=(-1.0, 1e-3))),
    ("Adafactor", dict(eps=(None, -1.0))), ("Adafactor", dict(d=0.5)), ("Adafactor", dict(weight_decay=-0.1)),
]


@pytest.mark.parametrize("cls,kw", BAD, ids=[f"{c}-{kw}" for c, kw in BAD])
def test_bad_hyperparameters_raise_torchs_value_error(cls, kw):
    _same_error(lambda: getattr(torch.optim, cls)([torch.zeros(2, requires_grad=True)], **kw),
                lambda: getattr(optim, cls)([nn.Parameter(ag.zeros(2))], **kw))


def test_adafactor_refuses_complex_parameters_as_torch():
    p = nn.Parameter(ag.tensor(np.array([1 + 1j, 2j])))
    p.grad = ag.tensor(np.array([1j, 1 + 0j]))
    with pytest.raises(RuntimeError, match="^Adafactor does not support complex parameters"):
        optim.Adafactor([p]).step()


@pytest.mark.parametrize("cls", [*[c for c in NEW if c not in REAL_ONLY], "SGD", "Adam", "AdamW", "Adagrad",
                                 "RMSprop"])
def test_differentiable_true_is_refused_clearly(cls):
    with pytest.raises(NotImplementedError, match=rf"^{cls}\(differentiable=True\): autograd through the optimiser"):
        getattr(optim, cls)([nn.Parameter(ag.zeros(2))], differentiable=True)


def test_base_optimizer_errors_match_torch():
    p, q = nn.Parameter(ag.zeros(2)), torch.zeros(2, requires_grad=True)
    _same_error(lambda: torch.optim.NAdam([]), lambda: optim.NAdam([]))
    _same_error(lambda: torch.optim.NAdam([{"params": {q}}]), lambda: optim.NAdam([{"params": {p}}]), TypeError)
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts, but got"):
        torch.optim.Rprop(q)
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts, but got Parameter"):
        optim.Rprop(p)
    _same_error(lambda: torch.optim.RAdam([q * 2]), lambda: optim.RAdam([p * 2]))
    _same_error(lambda: torch.optim.Adamax([{"params": [q]}, {"params": [q]}]),
                lambda: optim.Adamax([{"params": [p]}, {"params": [p]}]))
    _same_error(lambda: torch.optim.ASGD([("w", q), q]), lambda: optim.ASGD([("w", p), p]))
    _same_error(lambda: torch.optim.Adadelta([q]).load_state_dict({"state": {}, "param_groups": []}),
                lambda: optim.Adadelta([p]).load_state_dict({"state": {}, "param_groups": []}))
    _same_error(lambda: torch.optim.Adadelta([q]).load_state_dict({"state": {}, "param_groups": [{"params": []}]}),
                lambda: optim.Adadelta([p]).load_state_dict({"state": {}, "param_groups": [{"params": []}]}))


@pytest.mark.parametrize("cls", [*NEW, "LBFGS", "SGD", "Adagrad", "RMSprop"])
def test_repr_is_torchs(cls):
    assert repr(getattr(optim, cls)([nn.Parameter(ag.zeros(1))])) == repr(
        getattr(torch.optim, cls)([torch.zeros(1, requires_grad=True)]))


def test_deepcopy_keeps_groups_and_state_but_not_hooks_and_tensor_lr_works():
    import copy

    p = nn.Parameter(ag.tensor([1.0, 2.0], dtype=ag.float64))
    opt = optim.NAdam([p], lr=ag.tensor(0.01, dtype=ag.float64))  # a one-element Tensor lr, as PyTorch allows
    q = torch.tensor([1.0, 2.0], requires_grad=True)
    t_opt = torch.optim.NAdam([q], lr=torch.tensor(0.01))
    for o, x in ((opt, p), (t_opt, q)):
        x.grad = x.detach() * 0 + 1
        o.step()
    np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=RTOL)
    opt.register_step_pre_hook(lambda *a: None)
    twin = copy.deepcopy(opt)
    assert not twin._optimizer_step_pre_hooks and twin.param_groups[0]["betas"] == (0.9, 0.999)
    assert list(twin.state.values())[0]["step"] == 1
    twin.register_step_post_hook(lambda *a: None)  # the registries are back after the copy


def test_multistep_state_dict_is_storable_and_keeps_repeated_milestones(tmp_path):
    (_, o_opt, o_s), (_, t_opt, t_s) = _sched_pair("MultiStepLR", dict(milestones=[2, 4, 4], gamma=0.5))
    ag.save(o_s.state_dict(), tmp_path / "s.npz")
    (_, r_opt, r_s), _ = _sched_pair("MultiStepLR", dict(milestones=[9], gamma=0.5))
    r_s.load_state_dict(ag.load(tmp_path / "s.npz"))
    assert r_s.milestones == t_s.milestones  # a Counter again: the closed form below needs its elements()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in (1, 3, 5):
            r_opt.step(), t_opt.step(), r_s.step(epoch), t_s.step(epoch)
            _assert_lrs(r_opt, t_opt, r_s, t_s, epoch)
