"""Every layer and loss against PyTorch (forward, input gradient, parameter gradients) and gradcheck.

PyTorch is the second oracle: the layer maths is checked first by float64 gradcheck (our own
finite differences) on the composite functions, then against PyTorch with identical weights
moved through ``load_state_dict`` (which also checks that parameter names agree).
"""

from __future__ import annotations

import autograd_core.nn as nn
import autograd_core.nn.functional as F
import numpy as np
import pytest

import autograd_core as ag

torch = pytest.importorskip("torch")
tnn = torch.nn


def _to_ours(tmod, ours):
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in tmod.state_dict().items()})
    return ours


def _compare(ours, theirs, x: np.ndarray, train: bool = True, tol: float = 1e-10, int_input: bool = False):
    """Same weights, same input: outputs, input gradients and parameter gradients agree."""
    theirs = theirs.double() if not int_input else theirs.double()
    ours = _to_ours(theirs, ours.double())
    ours.train(train)
    theirs.train(train)
    if int_input:
        xo, xt = ag.tensor(x), torch.tensor(x)
    else:
        xo, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=tol, atol=tol)
    g = np.random.default_rng(7).standard_normal(yt.shape)
    yo.backward(ag.tensor(g))
    yt.backward(torch.tensor(g))
    if not int_input:
        np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=tol, atol=tol)
    tp = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tp[name].grad.numpy(), rtol=tol, atol=tol, err_msg=name)
    for name, b in ours.named_buffers():
        np.testing.assert_allclose(b.numpy(), dict(theirs.named_buffers())[name].numpy(), rtol=tol, atol=tol,
                                   err_msg=name)


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


LAYERS = [
    ("Linear", lambda: nn.Linear(5, 3), lambda: tnn.Linear(5, 3), (4, 5)),
    ("Linear_nobias_3d", lambda: nn.Linear(5, 3, bias=False), lambda: tnn.Linear(5, 3, bias=False), (2, 4, 5)),
    ("Conv2d", lambda: nn.Conv2d(2, 3, 3, padding=1), lambda: tnn.Conv2d(2, 3, 3, padding=1), (2, 2, 6, 5)),
    ("Conv2d_groups_stride", lambda: nn.Conv2d(4, 6, (3, 2), stride=2, groups=2, bias=False),
     lambda: tnn.Conv2d(4, 6, (3, 2), stride=2, groups=2, bias=False), (2, 4, 7, 6)),
    ("Conv2d_same_dilated", lambda: nn.Conv2d(2, 2, 3, padding="same", dilation=2),
     lambda: tnn.Conv2d(2, 2, 3, padding="same", dilation=2), (1, 2, 7, 7)),
    ("ConvTranspose2d", lambda: nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1),
     lambda: tnn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1), (2, 3, 4, 4)),
    ("MaxPool2d", lambda: nn.MaxPool2d(2), lambda: tnn.MaxPool2d(2), (2, 3, 6, 6)),
    ("MaxPool2d_pad_ceil", lambda: nn.MaxPool2d(3, 2, padding=1, ceil_mode=True),
     lambda: tnn.MaxPool2d(3, 2, padding=1, ceil_mode=True), (2, 2, 7, 6)),
    ("AvgPool2d", lambda: nn.AvgPool2d(3, 2, padding=1, count_include_pad=False),
     lambda: tnn.AvgPool2d(3, 2, padding=1, count_include_pad=False), (2, 2, 7, 6)),
    ("AdaptiveAvgPool2d", lambda: nn.AdaptiveAvgPool2d((3, 2)), lambda: tnn.AdaptiveAvgPool2d((3, 2)), (2, 2, 7, 5)),
    ("BatchNorm1d_2d", lambda: nn.BatchNorm1d(4), lambda: tnn.BatchNorm1d(4), (6, 4)),
    ("BatchNorm1d_3d", lambda: nn.BatchNorm1d(3), lambda: tnn.BatchNorm1d(3), (4, 3, 5)),
    ("BatchNorm2d", lambda: nn.BatchNorm2d(3), lambda: tnn.BatchNorm2d(3), (4, 3, 5, 5)),
    ("BatchNorm2d_noaffine", lambda: nn.BatchNorm2d(3, affine=False), lambda: tnn.BatchNorm2d(3, affine=False),
     (4, 3, 2, 2)),
    ("BatchNorm2d_momentum_none", lambda: nn.BatchNorm2d(2, momentum=None),
     lambda: tnn.BatchNorm2d(2, momentum=None), (3, 2, 3, 3)),
    ("LayerNorm", lambda: nn.LayerNorm(5), lambda: tnn.LayerNorm(5), (3, 4, 5)),
    ("LayerNorm_2d_shape", lambda: nn.LayerNorm((4, 5)), lambda: tnn.LayerNorm((4, 5)), (3, 4, 5)),
    ("Flatten", lambda: nn.Flatten(), lambda: tnn.Flatten(), (2, 3, 4)),
    ("Unflatten", lambda: nn.Unflatten(1, (2, 3)), lambda: tnn.Unflatten(1, (2, 3)), (4, 6)),
    ("Identity", lambda: nn.Identity(), lambda: tnn.Identity(), (3, 2)),
    ("ReLU", lambda: nn.ReLU(), lambda: tnn.ReLU(), (3, 4)),
    ("LeakyReLU", lambda: nn.LeakyReLU(0.2), lambda: tnn.LeakyReLU(0.2), (3, 4)),
    ("PReLU", lambda: nn.PReLU(), lambda: tnn.PReLU(), (3, 4)),
    ("PReLU_channels", lambda: nn.PReLU(3), lambda: tnn.PReLU(3), (2, 3, 4)),
    ("ELU", lambda: nn.ELU(0.7), lambda: tnn.ELU(0.7), (3, 4)),
    ("Softplus", lambda: nn.Softplus(2.0, 3.0), lambda: tnn.Softplus(2.0, 3.0), (3, 4)),
    ("Sigmoid", lambda: nn.Sigmoid(), lambda: tnn.Sigmoid(), (3, 4)),
    ("Tanh", lambda: nn.Tanh(), lambda: tnn.Tanh(), (3, 4)),
    ("Hardtanh", lambda: nn.Hardtanh(-0.5, 0.8), lambda: tnn.Hardtanh(-0.5, 0.8), (3, 4)),
    ("GELU", lambda: nn.GELU(), lambda: tnn.GELU(), (3, 4)),
    ("GELU_tanh", lambda: nn.GELU("tanh"), lambda: tnn.GELU("tanh"), (3, 4)),
    ("SiLU", lambda: nn.SiLU(), lambda: tnn.SiLU(), (3, 4)),
    ("Softmax", lambda: nn.Softmax(dim=1), lambda: tnn.Softmax(dim=1), (3, 4)),
    ("LogSoftmax", lambda: nn.LogSoftmax(dim=-1), lambda: tnn.LogSoftmax(dim=-1), (3, 4)),
    ("Sequential_mlp", lambda: nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)),
     lambda: tnn.Sequential(tnn.Linear(4, 8), tnn.ReLU(), tnn.Linear(8, 2)), (5, 4)),
]


@pytest.mark.parametrize("name,ours,theirs,shape", LAYERS, ids=[r[0] for r in LAYERS])
def test_layer_matches_pytorch(name, ours, theirs, shape):
    ag.manual_seed(0)
    torch.manual_seed(0)
    _compare(ours(), theirs(), _x(*shape))


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("n", [1, 0], ids=["batch1", "batch0"])
@pytest.mark.parametrize("name,ours,theirs,shape", LAYERS, ids=[r[0] for r in LAYERS])
def test_layer_matches_pytorch_on_a_single_and_an_empty_batch(name, ours, theirs, shape, n, train):
    """PyTorch accepts a batch of 1 and a zero-size batch in every layer here (parameter gradients of an
    empty batch are exact zeros), except BatchNorm training on one value per channel."""
    x = _x(n, *shape[1:])
    if name == "BatchNorm1d_2d" and n == 1 and train:
        with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training, got input "
                                             r"size \[1, 4\]"):
            ours()(ag.tensor(x))
        return
    _compare(ours(), theirs(), x, train=train)


def test_embedding_matches_pytorch_with_padding_idx():
    idx = np.array([[1, 0, 3], [4, 0, 1]])
    torch.manual_seed(0)
    _compare(nn.Embedding(5, 3, padding_idx=0), tnn.Embedding(5, 3, padding_idx=0), idx, int_input=True)


def test_batchnorm_eval_uses_running_stats_after_training_steps():
    ours, theirs = nn.BatchNorm2d(3).double(), tnn.BatchNorm2d(3).double()
    for s in range(4):
        x = _x(5, 3, 4, 4, seed=s) * 2 + 1
        ours(ag.tensor(x))
        theirs(torch.tensor(x))
    for k in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(getattr(ours, k).numpy(), getattr(theirs, k).numpy(), rtol=1e-12)
    assert int(ours.num_batches_tracked.item()) == 4
    ours.eval()
    theirs.eval()
    x = _x(2, 3, 4, 4, seed=9)
    np.testing.assert_allclose(ours(ag.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-12)


def test_dropout_statistics_and_eval_identity():
    ag.manual_seed(3)
    d = nn.Dropout(0.3)
    x = ag.ones(200, 500)
    y = d(x).numpy()
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.01  # 100,000 Bernoulli(0.7) draws: sd 0.0015
    np.testing.assert_allclose(y[kept], 1 / 0.7)  # inverted: survivors scaled so E[y] = x
    assert abs(y.mean() - 1.0) < 0.02
    d.eval()
    assert d(x) is x or np.array_equal(d(x).numpy(), x.numpy())
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)


def test_maxout_and_abs_rectify():
    x = ag.tensor(_x(3, 6), requires_grad=True)
    y = nn.Maxout(3)(x)
    np.testing.assert_array_equal(y.detach().numpy(), x.detach().numpy().reshape(3, 2, 3).max(-1))
    assert ag.gradcheck(lambda t: F.maxout(t, 2), (x,))
    np.testing.assert_array_equal(nn.AbsRectify()(x).detach().numpy(), np.abs(x.detach().numpy()))
    with pytest.raises(ValueError, match="6 units along dim -1 cannot be split into groups of 4"):
        F.maxout(x, 4)


@pytest.mark.parametrize("fn", [
    lambda x: F.gelu(x), lambda x: F.gelu(x, "tanh"), lambda x: F.silu(x), lambda x: F.logsigmoid(x),
    lambda x: F.layer_norm(x, (4,)), lambda x: F.prelu(x, ag.tensor([0.3, 0.1, 0.2], dtype=ag.float64)),
], ids=["gelu", "gelu_tanh", "silu", "logsigmoid", "layer_norm", "prelu"])
def test_composite_activations_gradcheck(fn):
    x = ag.tensor(_x(2, 3, 4), requires_grad=True)
    assert ag.gradcheck(fn, (x,))
    assert ag.gradgradcheck(fn, (x,))


# ---------------------------------------------------------------------- losses
def _cls_target(n=6, c=4, seed=1):
    return np.random.default_rng(seed).integers(0, c, n)


def _pair(seed_a=0, seed_b=1, shape=(4, 3)):
    return lambda: (_x(*shape, seed=seed_a), _x(*shape, seed=seed_b))


LOSSES = [
    ("mse", lambda: (nn.MSELoss(), tnn.MSELoss()), lambda: (_x(4, 3), _x(4, 3, seed=1))),
    ("mse_sum", lambda: (nn.MSELoss(reduction="sum"), tnn.MSELoss(reduction="sum")), _pair()),
    ("l1_none", lambda: (nn.L1Loss(reduction="none"), tnn.L1Loss(reduction="none")), _pair()),
    ("huber", lambda: (nn.HuberLoss(delta=0.5), tnn.HuberLoss(delta=0.5)), _pair(shape=(5, 3))),
    ("smooth_l1", lambda: (nn.SmoothL1Loss(beta=0.7), tnn.SmoothL1Loss(beta=0.7)), _pair(shape=(5, 3))),
    ("bce", lambda: (nn.BCELoss(), tnn.BCELoss()),
     lambda: (np.random.default_rng(0).uniform(0.05, 0.95, (4, 3)), np.random.default_rng(1).uniform(0, 1, (4, 3)))),
    ("bce_weight_sum", lambda: (nn.BCELoss(weight=ag.tensor(np.array([1.0, 2.0, 0.5])), reduction="sum"),
                                tnn.BCELoss(weight=torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64),
                                            reduction="sum")),
     lambda: (np.random.default_rng(0).uniform(0.05, 0.95, (4, 3)), np.random.default_rng(1).uniform(0, 1, (4, 3)))),
    ("bce_logits", lambda: (nn.BCEWithLogitsLoss(), tnn.BCEWithLogitsLoss()),
     lambda: (_x(4, 3) * 3, np.random.default_rng(1).uniform(0, 1, (4, 3)))),
    ("bce_logits_pos_weight", lambda: (nn.BCEWithLogitsLoss(pos_weight=ag.tensor(np.array([1.0, 3.0, 0.5]))),
                                       tnn.BCEWithLogitsLoss(pos_weight=torch.tensor([1.0, 3.0, 0.5],
                                                                                     dtype=torch.float64))),
     lambda: (_x(4, 3) * 3, np.random.default_rng(1).integers(0, 2, (4, 3)).astype(float))),
    ("ce", lambda: (nn.CrossEntropyLoss(), tnn.CrossEntropyLoss()), lambda: (_x(6, 4), _cls_target())),
    ("ce_weight_ignore_smooth", lambda: (
        nn.CrossEntropyLoss(weight=ag.tensor(np.array([1.0, 2.0, 0.5, 1.5])), ignore_index=2, label_smoothing=0.1),
        tnn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 0.5, 1.5], dtype=torch.float64), ignore_index=2,
                             label_smoothing=0.1)),
     lambda: (_x(6, 4), _cls_target())),
    ("ce_smooth_none", lambda: (nn.CrossEntropyLoss(reduction="none", label_smoothing=0.2),
                                tnn.CrossEntropyLoss(reduction="none", label_smoothing=0.2)),
     lambda: (_x(6, 4), _cls_target())),
    ("ce_smooth_sum_ignore", lambda: (nn.CrossEntropyLoss(reduction="sum", label_smoothing=0.3, ignore_index=1),
                                      tnn.CrossEntropyLoss(reduction="sum", label_smoothing=0.3, ignore_index=1)),
     lambda: (_x(6, 4), _cls_target())),
    ("ce_spatial", lambda: (nn.CrossEntropyLoss(), tnn.CrossEntropyLoss()),
     lambda: (_x(2, 4, 3, 3), np.random.default_rng(2).integers(0, 4, (2, 3, 3)))),
    ("ce_probs", lambda: (nn.CrossEntropyLoss(label_smoothing=0.1), tnn.CrossEntropyLoss(label_smoothing=0.1)),
     lambda: (_x(5, 4), np.random.default_rng(3).dirichlet(np.ones(4), 5))),
    ("ce_probs_weight", lambda: (nn.CrossEntropyLoss(weight=ag.tensor(np.array([1.0, 2.0, 0.5, 1.5]))),
                                 tnn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 0.5, 1.5], dtype=torch.float64))),
     lambda: (_x(5, 4), np.random.default_rng(3).dirichlet(np.ones(4), 5))),
    ("ce_1d_input", lambda: (nn.CrossEntropyLoss(), tnn.CrossEntropyLoss()), lambda: (_x(4), np.array(2))),
    ("nll", lambda: (nn.NLLLoss(weight=ag.tensor(np.array([1.0, 2.0, 0.5, 1.5])), ignore_index=0),
                     tnn.NLLLoss(weight=torch.tensor([1.0, 2.0, 0.5, 1.5], dtype=torch.float64), ignore_index=0)),
     lambda: (np.log(np.random.default_rng(0).dirichlet(np.ones(4), 6)), _cls_target())),
    ("kl_batchmean", lambda: (nn.KLDivLoss(reduction="batchmean"), tnn.KLDivLoss(reduction="batchmean")),
     lambda: (np.log(np.random.default_rng(0).dirichlet(np.ones(4), 3)),
              np.r_[[[0.0, 0.5, 0.25, 0.25]], np.random.default_rng(1).dirichlet(np.ones(4), 2)])),
    ("kl_log_target_sum", lambda: (nn.KLDivLoss(reduction="sum", log_target=True),
                                   tnn.KLDivLoss(reduction="sum", log_target=True)),
     lambda: (np.log(np.random.default_rng(0).dirichlet(np.ones(4), 3)),
              np.log(np.random.default_rng(1).dirichlet(np.ones(4), 3)))),
]


@pytest.mark.parametrize("name,mods,data", LOSSES, ids=[r[0] for r in LOSSES])
def test_loss_matches_pytorch(name, mods, data):
    ours, theirs = mods()
    x, t = data()
    xo, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    to, tt = ag.tensor(t), torch.tensor(t)
    lo, lt = ours(xo, to), theirs(xt, tt)
    np.testing.assert_allclose(lo.detach().numpy(), lt.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = np.random.default_rng(5).standard_normal(lt.shape)
    lo.backward(ag.tensor(g))
    lt.backward(torch.tensor(g))
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    # our own oracle: float64 gradcheck of the same loss (targets held constant)
    assert ag.gradcheck(lambda a: ours(a, to), (ag.tensor(x, requires_grad=True),))


@pytest.mark.filterwarnings("ignore:Mean of empty slice:RuntimeWarning")  # the core's mean of nothing
@pytest.mark.filterwarnings("ignore:.*divides the total loss:UserWarning")  # kl_div's 'mean', both libraries
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("n", [1, 0], ids=["batch1", "batch0"])
@pytest.mark.parametrize("name,mods,data", [r for r in LOSSES if r[0] != "ce_1d_input"],
                         ids=[r[0] for r in LOSSES if r[0] != "ce_1d_input"])
def test_loss_matches_pytorch_on_a_single_and_an_empty_batch(name, mods, data, n, reduction):
    """Every reduction of every loss on 1 and 0 samples: PyTorch's values (nan for 'mean' of nothing)."""
    ours, theirs = mods()
    ours.reduction = theirs.reduction = reduction
    x, t = (a[:n] for a in data())
    xo, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    with np.errstate(all="ignore"):  # the core's mean of nothing divides 0 by 0
        lo = ours(xo, ag.tensor(t))
        lo.sum().backward()
    lt = theirs(xt, torch.tensor(t))
    lt.sum().backward()
    assert lo.shape == tuple(lt.shape)
    np.testing.assert_allclose(lo.detach().numpy(), lt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)


TF = None if torch is None else torch.nn.functional
HUGE = [
    ("ce", lambda F_, T, x: F_.cross_entropy(x, T([0, 1, 2]))),
    ("ce_smooth", lambda F_, T, x: F_.cross_entropy(x, T([0, 1, 2]), label_smoothing=0.1)),
    ("bce_logits_pos", lambda F_, T, x: F_.binary_cross_entropy_with_logits(x, x.detach() * 0 + 1)),
    ("bce_logits_neg", lambda F_, T, x: F_.binary_cross_entropy_with_logits(x, x.detach() * 0)),
    ("nll_log_softmax", lambda F_, T, x: F_.nll_loss(F_.log_softmax(x, 1), T([2, 0, 1]))),
    ("kl", lambda F_, T, x: F_.kl_div(F_.log_softmax(x, 1), F_.softmax(x.detach() * 0.5, 1), reduction="batchmean")),
]


@pytest.mark.parametrize("name,fn", HUGE, ids=[h[0] for h in HUGE])
def test_losses_stable_at_huge_logits_float32(name, fn):
    """Logits of +-1e4 in float32: finite loss and gradients, equal to PyTorch's."""
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0], [3.0, -1e4, 1e4]], dtype=np.float32)
    xo, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    lo = fn(F, lambda v: ag.tensor(v), xo)
    lt = fn(TF, lambda v: torch.tensor(v), xt)
    lo.backward()
    lt.backward()
    assert lo.dtype == ag.float32
    assert np.isfinite(lo.item()) and np.isfinite(xo.grad.numpy()).all()
    np.testing.assert_allclose(lo.item(), lt.item(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_bce_at_exact_zero_and_one_matches_pytorch_clamping():
    x = np.array([0.0, 1.0, 0.5, 1e-30])
    y = np.array([1.0, 0.0, 1.0, 1.0])
    xo, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    lo = F.binary_cross_entropy(xo, ag.tensor(y), reduction="sum")
    lt = torch.nn.functional.binary_cross_entropy(xt, torch.tensor(y), reduction="sum")
    lo.backward()
    lt.backward()
    np.testing.assert_allclose(lo.item(), lt.item(), rtol=1e-12)
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-12)
