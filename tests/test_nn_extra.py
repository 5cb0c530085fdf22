"""The nn-breadth ops and layers against PyTorch: gumbel_softmax, rrelu, channel_shuffle, pdist, embedding_bag,
grid_sample / affine_grid, ctc_loss, the two margin losses, AdaptiveLogSoftmaxWithLoss, and the lazy modules
with UninitializedParameter / UninitializedBuffer / Buffer.

Values and gradients of the functional ops are checked in the op table (tests/op_db_nn_extra.py) and by the fuzzer
(tests/fuzz/ops_nn_extra.py); here: random ops by their distributions, layers by parity with copied weights,
reprs and state_dict keys, the error paths (exception types as PyTorch's, messages that name the op), and the
lazy modules' life cycle (shape inference, the class they become, optimizers built before their first call).
"""

from __future__ import annotations

import copy
import math
import warnings

import autograd_core.nn as nn
import autograd_core.nn.functional as F
import numpy as np
import pytest

import autograd_core as ag
from autograd_core import optim

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.numpy(force=True)


def _same_error(ours, theirs):
    """Both calls raise, with the same exception type; returns our exception."""
    with pytest.raises(Exception) as te:
        theirs()
    with pytest.raises(Exception) as oe:
        ours()
    assert type(oe.value).__name__ == type(te.value).__name__, (oe.value, te.value)
    return oe.value


# ---------------------------------------------------------------------- gumbel_softmax
def test_gumbel_softmax_argmax_frequencies_are_the_softmax_probabilities():
    # Gumbel-max: argmax(logits + g) ~ Categorical(softmax(logits)); with 40,000 draws each frequency is within
    # 4 standard errors of its probability
    ag.manual_seed(0)
    logits = np.log(np.array([0.1, 0.2, 0.3, 0.4]))
    n = 40000
    y = F.gumbel_softmax(ag.tensor(np.tile(logits, (n, 1))), tau=0.5)
    freq = np.bincount(y.numpy().argmax(1), minlength=4) / n
    p = np.array([0.1, 0.2, 0.3, 0.4])
    assert np.all(np.abs(freq - p) < 4 * np.sqrt(p * (1 - p) / n)), freq
    assert np.allclose(y.numpy().sum(1), 1.0)


def test_gumbel_softmax_hard_is_one_hot_with_the_soft_gradient():
    x = ag.tensor(_x(5, 4), requires_grad=True)
    u = ag.tensor(_x(5, 4, seed=1))
    ag.manual_seed(3)
    hard = F.gumbel_softmax(x, tau=0.7, hard=True)
    (g_hard,) = ag.grad(hard, [x], u)
    ag.manual_seed(3)
    soft = F.gumbel_softmax(x, tau=0.7)
    (g_soft,) = ag.grad(soft, [x], u)
    h = hard.numpy(force=True)
    assert set(np.unique(h)) == {0.0, 1.0} and np.all(h.sum(1) == 1)
    assert np.array_equal(h.argmax(1), soft.numpy(force=True).argmax(1))
    np.testing.assert_allclose(g_hard.numpy(), g_soft.numpy(), rtol=1e-12, atol=1e-12)


def test_gumbel_softmax_dim_dtype_and_deprecated_eps():
    x = ag.tensor(_x(3, 5).astype(np.float32))
    y = F.gumbel_softmax(x, dim=0)
    assert y.dtype == np.float32 and np.allclose(y.numpy().sum(0), 1.0, atol=1e-6)
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        F.gumbel_softmax(x, eps=1e-5)
    with pytest.raises(RuntimeError, match="gumbel_softmax: expected floating point logits"):
        F.gumbel_softmax(ag.tensor([1, 2]))


# ---------------------------------------------------------------------- rrelu
def test_rrelu_training_slopes_are_uniform_and_are_the_gradient():
    ag.manual_seed(1)
    lo, hi = 0.1, 0.4
    x = ag.tensor(-np.abs(_x(200000)) - 0.01, requires_grad=True)
    y = F.rrelu(x, lo, hi, training=True)
    a = (y / x).numpy(force=True)
    assert lo <= a.min() and a.max() <= hi
    assert abs(a.mean() - (lo + hi) / 2) < 1e-3 and abs(a.var() - (hi - lo) ** 2 / 12) < 1e-3
    (g,) = ag.grad(y.sum(), [x])
    np.testing.assert_allclose(g.numpy(), a, rtol=1e-12)
    pos = ag.tensor(np.abs(_x(10)) + 0.1, requires_grad=True)
    assert np.array_equal(F.rrelu(pos, training=True).numpy(force=True), pos.numpy(force=True))


def test_rrelu_eval_inplace_and_module_match_pytorch():
    x = _x(4, 5)
    for lo, hi in ((1 / 8, 1 / 3), (0.2, 0.2)):
        np.testing.assert_allclose(_np(F.rrelu(ag.tensor(x), lo, hi)), _np(TF.rrelu(torch.tensor(x), lo, hi)))
    t = ag.tensor(x.copy())
    out = F.rrelu_(t)
    assert out is t and np.allclose(t.numpy(), _np(TF.rrelu(torch.tensor(x))))
    m = nn.RReLU(0.1, 0.3)
    assert repr(m) == repr(tnn.RReLU(0.1, 0.3)) and repr(nn.RReLU(inplace=True)) == repr(tnn.RReLU(inplace=True))
    m.eval()
    np.testing.assert_allclose(_np(m(ag.tensor(x))), _np(tnn.RReLU(0.1, 0.3).eval()(torch.tensor(x))))
    m.train()
    ag.manual_seed(0)
    a = m(ag.tensor(x)).numpy()
    ag.manual_seed(1)
    b = m(ag.tensor(x)).numpy()
    assert not np.array_equal(a, b) and np.array_equal(a[x > 0], x[x > 0])  # training: a new draw every call


def test_rrelu_errors_are_pytorchs():
    x = _x(3)
    _same_error(lambda: F.rrelu(ag.tensor(x), 0.5, 0.1), lambda: TF.rrelu(torch.tensor(x), 0.5, 0.1))
    _same_error(lambda: F.rrelu(ag.tensor([1, -2]), training=True), lambda: TF.rrelu(torch.tensor([1, -2]),
                                                                                     training=True))
    _same_error(lambda: F.rrelu(ag.tensor([1, -2])), lambda: TF.rrelu(torch.tensor([1, -2])))
    leaf = ag.tensor(x, requires_grad=True)
    _same_error(lambda: F.rrelu(leaf, inplace=True), lambda: TF.rrelu(torch.tensor(x, requires_grad=True),
                                                                     inplace=True))


# ---------------------------------------------------------------------- channel_shuffle
def test_channel_shuffle_module_and_errors():
    x = _x(2, 6, 3)
    m = nn.ChannelShuffle(3)
    assert repr(m) == repr(tnn.ChannelShuffle(3))
    np.testing.assert_array_equal(_np(m(ag.tensor(x))), _np(tnn.ChannelShuffle(3)(torch.tensor(x))))
    ints = np.arange(12).reshape(1, 6, 2)
    np.testing.assert_array_equal(_np(F.channel_shuffle(ag.tensor(ints), 2)),
                                  _np(TF.channel_shuffle(torch.tensor(ints), 2)))
    for bad in ((x, 4), (x, 0), (x[:, :, 0], 2)):
        e = _same_error(lambda b=bad: F.channel_shuffle(ag.tensor(b[0]), b[1]),
                        lambda b=bad: TF.channel_shuffle(torch.tensor(b[0]), b[1]))
        assert "channel" in str(e) or "groups" in str(e)
    # a new tensor, not a view: an in-place change of the result leaves the input alone
    xt = ag.tensor(x.copy())
    F.channel_shuffle(xt, 1).add_(1.0)
    assert np.array_equal(xt.numpy(), x)


# ---------------------------------------------------------------------- pdist
def test_pdist_gradients_at_ties_and_errors_match_pytorch():
    x = _x(5, 3)
    x[3] = x[1]  # a zero distance
    x[4, 0] = x[0, 0] + 0.0  # a zero element of a pair
    x[2, 1] = x[0, 1] + (x[2, 0] - x[0, 0])  # a tie for p = inf
    for p in (0.0, 0.5, 1.0, 2.0, 3.0, float("inf")):
        a, t = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ya, yt = F.pdist(a, p), TF.pdist(t, p)
        np.testing.assert_allclose(_np(ya), _np(yt), rtol=1e-12)
        u = _x(*yt.shape, seed=2)
        (ga,) = ag.grad(ya, [a], ag.tensor(u))
        (gt,) = torch.autograd.grad(yt, [t], torch.tensor(u))
        np.testing.assert_allclose(ga.numpy(), gt.numpy(), rtol=1e-10, atol=1e-12, err_msg=f"p={p}")
    for call in ((lambda f, tt: f.pdist(tt(_x(4)))), (lambda f, tt: f.pdist(tt(_x(2, 3, 3)))),
                 (lambda f, tt: f.pdist(tt(_x(3, 2)), p=-1.0)), (lambda f, tt: f.pdist(tt(np.ones((3, 2), int))))):
        e = _same_error(lambda c=call: c(F, ag.tensor), lambda c=call: c(TF, torch.tensor))
        assert "pdist" in str(e)


# ---------------------------------------------------------------------- losses
def test_multilabel_margin_loss_module_and_errors_match_pytorch():
    x, t = _x(3, 4), np.array([[3, 0, -1, 1], [0, 1, 2, 3], [2, 2, -1, 0]])
    for red in ("mean", "sum", "none"):
        m, tm = nn.MultiLabelMarginLoss(reduction=red), tnn.MultiLabelMarginLoss(reduction=red)
        assert repr(m) == repr(tm)
        np.testing.assert_allclose(_np(m(ag.tensor(x), ag.tensor(t))), _np(tm(torch.tensor(x), torch.tensor(t))))
    bad = [(x, t[:1]), (x, np.where(t == 3, 4, t)), (x, np.where(t == -1, -2, t)), (x, t.astype(np.float32)),
           (_x(2, 0), np.zeros((2, 0), int)), (_x(2, 3, 4), np.zeros((2, 3, 4), int))]
    for xb, tb in bad:
        e = _same_error(lambda a=xb, b=tb: F.multilabel_margin_loss(ag.tensor(a), ag.tensor(b)),
                        lambda a=xb, b=tb: TF.multilabel_margin_loss(torch.tensor(a), torch.tensor(b)))
        assert "multilabel_margin_loss" in str(e)
    _same_error(lambda: F.multilabel_margin_loss(ag.tensor(x), ag.tensor(t), reduction="bad"),
                lambda: TF.multilabel_margin_loss(torch.tensor(x), torch.tensor(t), reduction="bad"))


def test_triplet_margin_with_distance_loss_module_matches_pytorch():
    a, p, n = _x(4, 3), _x(4, 3, seed=1), _x(4, 3, seed=2)
    m, tm = nn.TripletMarginWithDistanceLoss(), tnn.TripletMarginWithDistanceLoss()
    assert repr(m) == repr(tm) and [k for k, _ in m.named_children()] == ["distance_function"]
    np.testing.assert_allclose(_np(m(ag.tensor(a), ag.tensor(p), ag.tensor(n))),
                               _np(tm(torch.tensor(a), torch.tensor(p), torch.tensor(n))))

    def cos(lib):
        return lambda u, v: 1.0 - lib.cosine_similarity(u, v)

    m = nn.TripletMarginWithDistanceLoss(distance_function=cos(F), margin=0.5, swap=True, reduction="none")
    tm = tnn.TripletMarginWithDistanceLoss(distance_function=cos(TF), margin=0.5, swap=True, reduction="none")
    assert repr(m) == repr(tm)
    np.testing.assert_allclose(_np(m(ag.tensor(a), ag.tensor(p), ag.tensor(n))),
                               _np(tm(torch.tensor(a), torch.tensor(p), torch.tensor(n))))
    _same_error(lambda: nn.TripletMarginWithDistanceLoss(margin=0), lambda: tnn.TripletMarginWithDistanceLoss(margin=0))
    _same_error(lambda: F.triplet_margin_with_distance_loss(ag.tensor(a), ag.tensor(p[0]), ag.tensor(n)),
                lambda: TF.triplet_margin_with_distance_loss(torch.tensor(a), torch.tensor(p[0]), torch.tensor(n)))
    with pytest.raises(TypeError):  # the options are keyword-only, as in PyTorch
        F.triplet_margin_with_distance_loss(ag.tensor(a), ag.tensor(p), ag.tensor(n), None)


# ---------------------------------------------------------------------- embedding_bag
def _bag_pair(mode="mean", **kw):
    torch.manual_seed(0)
    theirs = tnn.EmbeddingBag(7, 3, mode=mode, **kw).double()
    ours = nn.EmbeddingBag(7, 3, mode=mode, **kw).double()
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_module_matches_pytorch(mode):
    idx, off = np.array([1, 2, 4, 4, 3, 0, 6, 6]), np.array([0, 2, 2, 5])
    for kw in ({}, {"padding_idx": 4}, {"include_last_offset": True}):
        ours, theirs = _bag_pair(mode, **kw)
        assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict())
        o = np.r_[off, len(idx)] if kw.get("include_last_offset") else off
        yo = ours(ag.tensor(idx), ag.tensor(o))
        yt = theirs(torch.tensor(idx), torch.tensor(o))
        np.testing.assert_allclose(_np(yo), _np(yt), rtol=1e-12)
        u = _x(*yt.shape, seed=3)
        yo.backward(ag.tensor(u))
        yt.backward(torch.tensor(u))
        np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-12, atol=1e-15)
    ours, theirs = _bag_pair(mode)
    np.testing.assert_allclose(_np(ours(ag.tensor(idx.reshape(2, 4)))), _np(theirs(torch.tensor(idx.reshape(2, 4)))))


def test_embedding_bag_per_sample_weights_padding_row_and_from_pretrained():
    ours, theirs = _bag_pair("sum", padding_idx=2)
    assert np.all(ours.weight.numpy(force=True)[2] == 0)
    assert np.all(nn.EmbeddingBag(5, 3, padding_idx=-1).weight.numpy(force=True)[4] == 0)
    idx, off, w = np.array([1, 2, 5, 5, 3]), np.array([0, 3]), _x(5, seed=4)
    wo, wt = ag.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    yo = ours(ag.tensor(idx), ag.tensor(off), per_sample_weights=wo)
    yt = theirs(torch.tensor(idx), torch.tensor(off), per_sample_weights=wt)
    np.testing.assert_allclose(_np(yo), _np(yt), rtol=1e-12)
    u = _x(2, 3, seed=5)
    yo.backward(ag.tensor(u))
    yt.backward(torch.tensor(u))
    np.testing.assert_allclose(wo.grad.numpy(), wt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-12)
    table = ag.tensor(_x(4, 2))
    bag = nn.EmbeddingBag.from_pretrained(table, mode="max")
    assert bag.weight.requires_grad is False and np.shares_memory(bag.weight.numpy(), table.numpy())
    assert repr(bag) == repr(tnn.EmbeddingBag.from_pretrained(torch.tensor(_x(4, 2)), mode="max"))
    assert nn.EmbeddingBag.from_pretrained(table, freeze=False).weight.requires_grad is True
    with pytest.raises(AssertionError, match="2-dimensional"):
        nn.EmbeddingBag.from_pretrained(ag.tensor(_x(4)))
    with pytest.raises(AssertionError, match="padding_idx must be within num_embeddings"):
        nn.EmbeddingBag(4, 2, padding_idx=4)


def test_embedding_bag_scale_grad_by_freq_follows_the_documented_rule():
    # each index's gradient is divided by how often it occurs in the mini-batch (PyTorch's documented rule). Torch
    # 2.13's CPU backward looks the count up by its loop counter over the sorted unique indices instead of by the
    # index (here it divides rows 3 and 4, which occur once, by 3): we follow the documentation, and agree with
    # torch wherever its lookup happens to hit the right count
    w = _x(6, 3)
    idx, off, u = np.array([1, 1, 4, 3, 1, 5]), np.array([0, 4]), _x(2, 3, seed=1)
    a = ag.tensor(w, requires_grad=True)
    F.embedding_bag(ag.tensor(idx), a, ag.tensor(off), mode="sum", scale_grad_by_freq=True).backward(ag.tensor(u))
    want = np.zeros((6, 3))
    for b, bag in enumerate((idx[:4], idx[4:])):
        for i in bag:
            want[i] += u[b] / (idx == i).sum()
    np.testing.assert_allclose(a.grad.numpy(), want, rtol=1e-12)
    idx2 = np.array([3, 3, 0, 5])  # sorted unique [0, 3, 5]: torch's lookups give the counts of 0, 3, 3 -> 1, 2, 2
    for mode in ("sum", "mean"):
        a, t = ag.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
        F.embedding_bag(ag.tensor(idx2), a, ag.tensor([0, 2]), mode=mode, scale_grad_by_freq=True).backward(
            ag.tensor(u))
        TF.embedding_bag(torch.tensor(idx2), t, torch.tensor([0, 2]), mode=mode, scale_grad_by_freq=True).backward(
            torch.tensor(u))
        np.testing.assert_allclose(a.grad.numpy()[[0, 3]], t.grad.numpy()[[0, 3]], rtol=1e-12)


def test_embedding_bag_max_norm_renormalises_the_rows_in_place_as_pytorch():
    w = _x(6, 3) * 3
    a, t = ag.tensor(w.copy()), torch.tensor(w.copy())
    ya = F.embedding_bag(ag.tensor([1, 2, 4]), a, ag.tensor([0, 1]), max_norm=1.0)
    yt = TF.embedding_bag(torch.tensor([1, 2, 4]), t, torch.tensor([0, 1]), max_norm=1.0)
    np.testing.assert_allclose(_np(ya), _np(yt), rtol=1e-12)
    np.testing.assert_allclose(a.numpy(), t.numpy(), rtol=1e-12)
    assert np.allclose(a.numpy()[[0, 3, 5]], w[[0, 3, 5]])  # rows not looked up are untouched


def test_embedding_bag_errors_are_pytorchs():
    w = _x(5, 3)
    i = np.array([1, 2, 4, 4, 3, 0])
    cases = [
        (i, w, np.array([1, 2]), {}), (i, w, np.array([0, 7]), {}), (np.array([1, 7]), w, np.array([0]), {}),
        (np.array([1, -1]), w, np.array([0]), {}), (i.reshape(2, 3), w, np.array([0, 1]), {}), (i, w, None, {}),
        (i.astype(np.float32), w, np.array([0]), {}), (i, w[0], np.array([0]), {}), (i, w, np.array([[0]]), {}),
        (i.reshape(1, 2, 3), w, None, {}), (i, w, np.array([0, 2]), {"mode": "bad"}),
        (i, w, np.array([0, 2]), {"padding_idx": 5}), (i, w, np.array([0, 2]), {"padding_idx": -6}),
        (i.reshape(2, 3), w, None, {"mode": "max", "scale_grad_by_freq": True}),
        (i.reshape(2, 3), w, None, {"mode": "max", "sparse": True}), (np.array(1), w, np.array([0]), {}),
        (i, w, np.array([0, 2]), {"per_sample_weights": np.ones(6)}),
        (i, w, np.array([0, 2]), {"per_sample_weights": np.ones(5), "mode": "sum"}),
        (i, w, np.array([0, 2]), {"per_sample_weights": np.ones(6, np.float32), "mode": "sum"}),
    ]
    for idx, wt, off, kw in cases:
        def call(f, tt, idx=idx, wt=wt, off=off, kw=kw):
            kw = dict(kw)
            if "per_sample_weights" in kw:
                kw["per_sample_weights"] = tt(kw["per_sample_weights"])
            return f.embedding_bag(tt(idx), tt(wt), None if off is None else tt(off), **kw)

        e = _same_error(lambda c=call: c(F, ag.tensor), lambda c=call: c(TF, torch.tensor))
        assert str(e)
    with pytest.raises(RuntimeError, match="offsets must be non-decreasing"):
        F.embedding_bag(ag.tensor(i), ag.tensor(w), ag.tensor([0, 3, 2]))
    with pytest.warns(UserWarning, match="Argument order of nn.functional.embedding_bag was changed"):
        y = F.embedding_bag(ag.tensor(w), ag.tensor(i), ag.tensor([0, 2]))
    np.testing.assert_allclose(_np(y), _np(TF.embedding_bag(torch.tensor(i), torch.tensor(w), torch.tensor([0, 2]))))


# ---------------------------------------------------------------------- grid_sample, affine_grid
def test_identity_affine_grid_resamples_the_input_exactly():
    x = ag.tensor(_x(2, 3, 4, 5))
    theta = ag.tensor(np.tile(np.array([[1.0, 0, 0], [0, 1, 0]]), (2, 1, 1)))
    for ac in (False, True):
        grid = F.affine_grid(theta, (2, 3, 4, 5), align_corners=ac)
        for mode in ("bilinear", "nearest", "bicubic"):
            y = F.grid_sample(x, grid, mode=mode, align_corners=ac)
            np.testing.assert_allclose(y.numpy(), x.numpy(), atol=1e-12)


def test_spatial_transformer_step_matches_pytorch_to_second_order():
    x, th = _x(2, 2, 5, 6), _x(2, 2, 3, seed=1) * 0.3 + np.array([[1.0, 0, 0], [0, 1, 0]])
    xo, to = ag.tensor(x, requires_grad=True), ag.tensor(th, requires_grad=True)
    xt, tt = torch.tensor(x, requires_grad=True), torch.tensor(th, requires_grad=True)
    yo = F.grid_sample(xo, F.affine_grid(to, (2, 2, 3, 4), align_corners=False), padding_mode="reflection",
                       align_corners=False)
    yt = TF.grid_sample(xt, TF.affine_grid(tt, (2, 2, 3, 4), align_corners=False), padding_mode="reflection",
                        align_corners=False)
    np.testing.assert_allclose(_np(yo), _np(yt), rtol=1e-10, atol=1e-12)
    u = _x(*yt.shape, seed=2)
    go = ag.grad(yo, [xo, to], ag.tensor(u), create_graph=True)
    gt = torch.autograd.grad(yt, [xt, tt], torch.tensor(u), create_graph=True)
    for a, b in zip(go, gt):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-9, atol=1e-12)
    v = _x(2, 2, 3, seed=3)
    (ggo,) = ag.grad((go[1] * ag.tensor(v)).sum(), [to])
    (ggt,) = torch.autograd.grad((gt[1] * torch.tensor(v)).sum(), [tt])
    np.testing.assert_allclose(_np(ggo), _np(ggt), rtol=1e-8, atol=1e-10)


def test_grid_sample_and_affine_grid_warn_and_refuse_as_pytorch():
    x, g = _x(2, 3, 4, 5), np.random.default_rng(0).uniform(-1, 1, (2, 3, 4, 2))
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior has changed"):
        F.grid_sample(ag.tensor(x), ag.tensor(g))
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior has changed"):
        F.affine_grid(ag.tensor(_x(2, 2, 3)), (2, 3, 4, 5))
    with pytest.warns(UserWarning, match="unit-size grids"):
        F.affine_grid(ag.tensor(_x(2, 2, 3)), (2, 3, 1, 5), align_corners=True)
    bad = [
        lambda f, t: f.grid_sample(t(x), t(g[:1]), align_corners=False),
        lambda f, t: f.grid_sample(t(x), t(g[..., :1]), align_corners=False),
        lambda f, t: f.grid_sample(t(x[:, :, :0]), t(g), align_corners=False),
        lambda f, t: f.grid_sample(t(x[0]), t(g[0]), align_corners=False),
        lambda f, t: f.grid_sample(t(x[:, :, None]), t(np.zeros((2, 1, 2, 2, 3))), mode="bicubic",
                                   align_corners=False),
        lambda f, t: f.grid_sample(t(x), t(g), mode="area", align_corners=False),
        lambda f, t: f.grid_sample(t(x), t(g), padding_mode="circular", align_corners=False),
        lambda f, t: f.grid_sample(t(x), t(g.astype(np.float32)), align_corners=False),
        lambda f, t: f.grid_sample(t(x.astype(np.int64)), t(g.astype(np.int64)), align_corners=False),
        lambda f, t: f.affine_grid(t(_x(2, 2, 3)), (2, 3, 0, 5), align_corners=False),
        lambda f, t: f.affine_grid(t(_x(2, 2, 3).astype(np.int64)), (2, 3, 4, 5), align_corners=False),
        lambda f, t: f.affine_grid(t(_x(2, 3, 4)), (2, 3, 4, 5), align_corners=False),
        lambda f, t: f.affine_grid(t(_x(2, 2, 3)), (2, 3, 4), align_corners=False),
    ]
    for call in bad:
        e = _same_error(lambda c=call: c(F, ag.tensor), lambda c=call: c(TF, torch.tensor))
        assert "grid" in str(e) or "size" in str(e) or "theta" in str(e) or "not implemented" in str(e), e


# ---------------------------------------------------------------------- ctc_loss
def _ctc_inputs(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((8, 3, 5)), np.array([[1, 2, 2], [3, 1, 0], [4, 4, 4]]), [8, 7, 8], [3, 2, 3]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_ctc_loss_module_matches_pytorch_on_raw_and_normalised_inputs(reduction):
    x, tg, il, tl = _ctc_inputs()
    for zero_inf in (False, True):
        m, tm = nn.CTCLoss(blank=0, reduction=reduction, zero_infinity=zero_inf), tnn.CTCLoss(
            reduction=reduction, zero_infinity=zero_inf)
        assert repr(m) == repr(tm)
        for prep_o, prep_t in ((lambda v: v, lambda v: v), (lambda v: v.log_softmax(2), lambda v: v.log_softmax(2))):
            xo, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
            lo = m(prep_o(xo), ag.tensor(tg), ag.tensor(il), ag.tensor(tl))
            lt = tm(prep_t(xt), torch.tensor(tg), torch.tensor(il), torch.tensor(tl))
            np.testing.assert_allclose(_np(lo), _np(lt), rtol=1e-10)
            u = _x(*lt.shape, seed=1)
            lo.backward(ag.tensor(u))
            lt.backward(torch.tensor(u))
            # on raw inputs PyTorch's gradient carries an exp(log_probs) term (exact after a log_softmax): we match
            np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_ctc_loss_of_an_impossible_alignment_is_inf_unless_zeroed():
    x, tg, _, tl = _ctc_inputs()
    il = [2, 8, 8]  # 2 frames cannot emit 3 labels
    for zi in (False, True):
        xo, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        lo = F.ctc_loss(xo.log_softmax(2), ag.tensor(tg), il, tl, reduction="none", zero_infinity=zi)
        lt = TF.ctc_loss(xt.log_softmax(2), torch.tensor(tg), il, tl, reduction="none", zero_infinity=zi)
        np.testing.assert_allclose(_np(lo), _np(lt), rtol=1e-10)
        assert np.isinf(_np(lo)[0]) != zi
        lo.sum().backward()
        lt.sum().backward()
        np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)  # nan where torch's is


def test_ctc_loss_float32_unbatched_and_concatenated_targets():
    x, tg, il, tl = _ctc_inputs()
    lo = F.ctc_loss(ag.tensor(x.astype(np.float32)).log_softmax(2), ag.tensor(tg), il, tl)
    lt = TF.ctc_loss(torch.tensor(x.astype(np.float32)).log_softmax(2), torch.tensor(tg), il, tl)
    assert lo.dtype == np.float32
    np.testing.assert_allclose(_np(lo), _np(lt), rtol=1e-5)
    cat = np.concatenate([tg[b, :tl[b]] for b in range(3)])
    np.testing.assert_allclose(_np(F.ctc_loss(ag.tensor(x), ag.tensor(cat), il, tl, reduction="sum")),
                               _np(TF.ctc_loss(torch.tensor(x), torch.tensor(cat), il, tl, reduction="sum")))
    one = F.ctc_loss(ag.tensor(x[:, 0]), ag.tensor(tg[0]), ag.tensor(8), ag.tensor(3), reduction="none")
    assert one.shape == () and np.isclose(one.item(), _np(TF.ctc_loss(torch.tensor(x[:, 0]), torch.tensor(tg[0]),
                                                                      torch.tensor(8), torch.tensor(3),
                                                                      reduction="none")))


def test_ctc_loss_is_once_differentiable_as_pytorch():
    x, tg, il, tl = _ctc_inputs()
    xo, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (g,) = ag.grad(F.ctc_loss(xo, ag.tensor(tg), il, tl), [xo], create_graph=True)
    (gt,) = torch.autograd.grad(TF.ctc_loss(xt, torch.tensor(tg), il, tl), [xt], create_graph=True)
    np.testing.assert_allclose(g.numpy(force=True), _np(gt), rtol=1e-10)
    assert g.requires_grad
    with pytest.raises(RuntimeError, match="derivative for aten::_ctc_loss_backward is not implemented"):
        torch.autograd.grad((gt * gt).sum(), [xt])
    # a second derivative is refused, never a number (the engine's once-differentiable result)
    with pytest.raises((NotImplementedError, RuntimeError)):
        ag.grad((g * g).sum(), [xo])
    # also when the CTC term is one of several: grad() w.r.t. an input upstream of a log_softmax must reach the
    # once-differentiable node and refuse, not prune it and return the other terms' second derivative alone
    xo2 = ag.tensor(x[:5], requires_grad=True)
    loss = F.ctc_loss(xo2.log_softmax(2), ag.tensor(tg), [5, 4, 5], tl) + (xo2 ** 2).sum()
    (g2,) = ag.grad(loss, [xo2], create_graph=True)
    with pytest.raises(NotImplementedError, match="CTCLossBackward is once-differentiable"):
        ag.grad(g2.sum(), [xo2])
    # the first order is exact (finite differences agree after a log_softmax)
    assert ag.gradcheck(lambda v: F.ctc_loss(v.log_softmax(2), ag.tensor(tg), [5, 4, 5], tl),
                        [ag.tensor(x[:5], requires_grad=True)])


def test_ctc_loss_errors_are_pytorchs():
    x, tg, il, tl = _ctc_inputs()
    lp = x[:5]
    cases = [
        (lp, tg, [6, 4, 4], tl, {}), (lp, tg, [5, 4, 4], [4, 2, 3], {}), (lp, tg, [5, 4], tl, {}),
        (lp, tg, [5, 4, 4], [2, 2], {}), (lp, tg, [5, 4, 4], [2, -1, 2], {}), (lp, tg, [5, -4, 4], tl, {}),
        (lp.astype(np.int64), tg, [5, 4, 4], tl, {}), (lp, tg, [5, 4, 4], tl, {"blank": 5}),
        (lp, tg, [5, 4, 4], tl, {"blank": -1}), (lp, tg, [5, 4, 4], tl, {"reduction": "bad"}),
        (lp, np.array([1, 2, 3]), [5, 4, 4], tl, {}), (lp[None], tg, [5, 4, 4], tl, {}),
        (lp, tg[None], [5, 4, 4], tl, {}), (lp[:0], tg, [0, 0, 0], tl, {}),
    ]
    for lpv, t, i, tlv, kw in cases:
        e = _same_error(lambda a=lpv, b=t, c=i, d=tlv, k=kw: F.ctc_loss(ag.tensor(a), ag.tensor(b), c, d, **k),
                        lambda a=lpv, b=t, c=i, d=tlv, k=kw: TF.ctc_loss(torch.tensor(a), torch.tensor(b), c, d, **k))
        assert str(e)
    _same_error(lambda: F.ctc_loss(ag.tensor(lp), ag.tensor(tg), ag.tensor([5, 4, 4]), tl),
                lambda: TF.ctc_loss(torch.tensor(lp), torch.tensor(tg), torch.tensor([5, 4, 4]), tl))


# ---------------------------------------------------------------------- AdaptiveLogSoftmaxWithLoss
def test_adaptive_log_softmax_matches_pytorch():
    torch.manual_seed(0)
    theirs = tnn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0, head_bias=True).double()
    ours = nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0, head_bias=True).double()
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    x, t = _x(6, 8), np.array([0, 4, 9, 2, 7, 5])
    xo, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    oo, ot = ours(xo, ag.tensor(t)), theirs(xt, torch.tensor(t))
    np.testing.assert_allclose(_np(oo.output), _np(ot.output), rtol=1e-12)
    np.testing.assert_allclose(_np(oo.loss), _np(ot.loss), rtol=1e-12)
    oo.loss.backward()
    ot.loss.backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-14)
    for (n, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-10, atol=1e-14, err_msg=n)
    np.testing.assert_allclose(_np(ours.log_prob(ag.tensor(x))), _np(theirs.log_prob(torch.tensor(x))), rtol=1e-12)
    np.testing.assert_array_equal(_np(ours.predict(ag.tensor(x))), _np(theirs.predict(torch.tensor(x))))
    one_o, one_t = ours(ag.tensor(x[0]), ag.tensor(t[0])), theirs(torch.tensor(x[0]), torch.tensor(t[0]))
    assert one_o.output.shape == () and np.isclose(one_o.output.item(), one_t.output.item())
    for bad_x, bad_t in ((x, t[:3]), (x[0], t), (x, np.array([0, 1, 10, 0, 0, 0])), (x, t[None])):
        _same_error(lambda a=bad_x, b=bad_t: ours(ag.tensor(a), ag.tensor(b)),
                    lambda a=bad_x, b=bad_t: theirs(torch.tensor(a), torch.tensor(b)))
    for cut in ([], [3, 3], [0, 4], [4, 10], [5, 3]):
        _same_error(lambda c=cut: nn.AdaptiveLogSoftmaxWithLoss(8, 10, c),
                    lambda c=cut: tnn.AdaptiveLogSoftmaxWithLoss(8, 10, c))


# ---------------------------------------------------------------------- lazy modules
_LAZY = [
    ("LazyLinear", (4,), {}, (3, 5)),
    ("LazyLinear", (4,), {"bias": False}, (2, 3, 5)),
    ("LazyConv1d", (4, 3), {"padding": 1}, (2, 3, 7)),
    ("LazyConv2d", (4, 3), {"stride": 2, "groups": 2}, (2, 6, 7, 7)),
    ("LazyConv2d", (4, 3), {"bias": False}, (3, 7, 7)),  # unbatched
    ("LazyConv3d", (2, 2), {}, (1, 3, 4, 4, 4)),
    ("LazyConvTranspose1d", (4, 3), {"stride": 2}, (2, 3, 5)),
    ("LazyConvTranspose2d", (4, 3), {"groups": 2, "output_padding": 1, "stride": 2}, (2, 6, 4, 4)),
    ("LazyConvTranspose3d", (2, 2), {}, (1, 3, 3, 3, 3)),
    ("LazyBatchNorm1d", (), {}, (4, 3)),
    ("LazyBatchNorm2d", (), {"momentum": 0.3}, (4, 3, 2, 2)),
    ("LazyBatchNorm3d", (), {"affine": False}, (2, 3, 2, 2, 2)),
    ("LazyInstanceNorm1d", (), {}, (2, 3, 5)),
    ("LazyInstanceNorm2d", (), {"track_running_stats": False}, (2, 3, 4, 4)),
    ("LazyInstanceNorm3d", (), {"affine": False}, (2, 3, 2, 2, 2)),
]


@pytest.mark.parametrize("name,args,kw,shape", _LAZY, ids=[f"{c[0]}-{i}" for i, c in enumerate(_LAZY)])
def test_lazy_module_infers_its_size_and_becomes_the_eager_layer_as_pytorch(name, args, kw, shape):
    ours, theirs = getattr(nn, name)(*args, **kw), getattr(tnn, name)(*args, **kw)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    lazy = [k for k, v in theirs.state_dict().items() if "Uninitialized" in type(v).__name__]
    assert [k for k, v in ours.state_dict().items() if nn.lazy.is_lazy(v)] == lazy
    assert all(repr(ours.state_dict()[k]) == repr(theirs.state_dict()[k]) for k in lazy)
    assert ours.has_uninitialized_params() and theirs.has_uninitialized_params()
    x = _x(*shape)
    theirs = theirs.double()
    ours = ours.double()
    ours(ag.tensor(x))
    theirs(torch.tensor(x))
    assert type(ours) is getattr(nn, type(theirs).__name__), (type(ours), type(theirs))
    assert repr(ours) == repr(theirs)
    assert not any(nn.lazy.is_lazy(t) for t in list(ours.parameters()) + list(ours.buffers()))
    assert not ours._forward_pre_hooks and not hasattr(ours, "_initialize_hook")
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {
        k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    assert all(type(p) is nn.Parameter and p.dtype == np.float64 for p in ours.parameters())
    # the eager layer's init: then the same weights give the same forward and gradients
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    xo, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    np.testing.assert_allclose(_np(yo), _np(yt), rtol=1e-9, atol=1e-12)
    u = _x(*yt.shape, seed=1)
    yo.backward(ag.tensor(u))
    yt.backward(torch.tensor(u))
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_lazy_parameters_get_the_eager_default_init():
    ag.manual_seed(0)
    m = nn.LazyLinear(200)
    m(ag.ones(1, 50))
    bound = 1 / math.sqrt(50)
    w, b = m.weight.numpy(force=True), m.bias.numpy(force=True)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound and np.abs(b).max() <= bound
    bn = nn.LazyBatchNorm1d()
    bn.eval()
    bn(ag.ones(2, 3))
    assert np.all(bn.weight.numpy(force=True) == 1) and np.all(bn.bias.numpy(force=True) == 0)
    assert np.all(bn.running_mean.numpy() == 0) and np.all(bn.running_var.numpy() == 1)
    assert type(bn.running_mean) is ag.Tensor and bn.num_batches_tracked.dtype == np.int64


def test_optimizers_built_before_the_first_call_keep_working_as_pytorch():
    # the parameters are materialised in place: an optimizer holding them steps the initialised values
    for name in ("SGD", "Adam", "AdamW", "RMSprop", "Rprop", "Adadelta", "Adamax", "NAdam", "RAdam", "ASGD"):
        m = nn.LazyLinear(3)
        held = list(m.parameters())
        opt = getattr(optim, name)(m.parameters(), lr=0.1)
        x = ag.tensor(_x(2, 4).astype(np.float32))
        m(x).sum().backward()
        before = m.weight.numpy(force=True).copy()
        opt.step()
        assert [id(p) for p in m.parameters()] == [id(p) for p in held]
        assert not np.array_equal(before, m.weight.numpy(force=True)), name
    # an optimizer that builds its state at construction meets the uninitialized parameter (PyTorch raises too)
    with pytest.raises((ValueError, RuntimeError), match="uninitialized parameter"):
        optim.Adagrad(nn.LazyLinear(3).parameters())
    with pytest.raises(ValueError, match="uninitialized parameter"):
        torch.optim.Adagrad(tnn.LazyLinear(3).parameters())


def test_uninitialized_tensors_refuse_use_as_pytorch():
    m, tm = nn.LazyLinear(3), tnn.LazyLinear(3)
    assert repr(m.weight) == repr(tm.weight) == "<UninitializedParameter>" and str(m.weight) == repr(m.weight)
    _same_error(lambda: m.weight + 1, lambda: tm.weight + 1)
    _same_error(lambda: m.weight.shape, lambda: tm.weight.shape)
    _same_error(lambda: m.weight.exp(), lambda: tm.weight.exp())
    e = _same_error(lambda: ag.tensor([1.0]) * m.weight, lambda: torch.tensor([1.0]) * tm.weight)
    assert "Attempted to use an uninitialized parameter" in str(e)
    with pytest.raises((ValueError, RuntimeError), match="uninitialized parameter"):
        m.weight.sum()
    assert m.weight.requires_grad and m.weight.is_leaf and m.weight.dtype == np.float32 and m.weight.grad is None
    assert isinstance(m.weight, nn.Parameter) and isinstance(m.weight, nn.UninitializedParameter)
    m.double()
    assert m.weight.dtype == np.float64  # dtype casts work before the first call, as in PyTorch
    with pytest.raises(RuntimeError, match="Can't share memory on an uninitialized parameter"):
        m.share_memory()
    m2 = copy.deepcopy(m)
    assert m2.weight is not m.weight and isinstance(m2.weight, nn.UninitializedParameter)
    m2(ag.tensor(_x(2, 5)))
    assert type(m2) is nn.Linear and type(m) is nn.LazyLinear and m2.weight.dtype == np.float64


def test_lazy_module_life_cycle_errors_as_pytorch():
    m, tm = nn.LazyLinear(3), tnn.LazyLinear(3)
    m(ag.ones(2, 4))
    tm(torch.ones(2, 4))
    _same_error(lambda: m(ag.ones(2, 5)), lambda: tm(torch.ones(2, 5)))
    _same_error(lambda: nn.LazyConv2d(4, 3, groups=2)(ag.ones(1, 3, 5, 5)),
                lambda: tnn.LazyConv2d(4, 3, groups=2)(torch.ones(1, 3, 5, 5)))
    e = _same_error(lambda: nn.LazyConv2d(4, 3)(ag.ones(3, 5)), lambda: tnn.LazyConv2d(4, 3)(torch.ones(3, 5)))
    assert "Expected 3D (unbatched) or 4D (batched) input to LazyConv2d" in str(e)
    with pytest.raises(NotImplementedError, match="initialize_parameters is not implemented"):
        nn.lazy.LazyModuleMixin.initialize_parameters(nn.LazyLinear(2))


def test_lazy_module_loads_a_state_dict_and_keeps_it():
    src = nn.Linear(4, 3)
    dst = nn.LazyLinear(3)
    dst.load_state_dict(src.state_dict())
    assert type(dst) is nn.LazyLinear and dst.weight.shape == (3, 4) and not dst.has_uninitialized_params()
    dst(ag.ones(1, 4))  # the loaded values are not re-initialised by the first call
    assert type(dst) is nn.Linear and np.array_equal(dst.weight.numpy(force=True), src.weight.numpy(force=True))
    bn = nn.LazyBatchNorm1d()
    ref = nn.BatchNorm1d(5)
    ref.running_mean.add_(1.0)
    bn.load_state_dict(ref.state_dict())
    assert bn.running_mean.shape == (5,) and np.all(bn.running_mean.numpy() == 1)


def test_uninitialized_parameter_and_buffer_materialize_in_place():
    p = nn.UninitializedParameter(dtype=ag.float64)
    p.materialize((2, 3))
    assert type(p) is nn.Parameter and p.shape == (2, 3) and p.dtype == np.float64 and p.requires_grad
    b = nn.UninitializedBuffer(persistent=False)
    assert isinstance(b, nn.Buffer) and b.persistent is False and repr(b) == "<UninitializedBuffer>"
    b.materialize(4)
    assert type(b) is ag.Tensor and b.shape == (4,) and not b.requires_grad
    t = nn.UninitializedParameter(requires_grad=False)
    assert not t.requires_grad


def test_buffer_marks_a_detached_tensor_as_pytorch():
    src = ag.tensor([1.0, 2.0], requires_grad=True)
    b = nn.Buffer(src, persistent=False)
    tb = tnn.Buffer(torch.tensor([1.0, 2.0], requires_grad=True), persistent=False)
    assert type(b) is ag.Tensor and type(tb) is torch.Tensor  # a marked plain tensor, not a subclass instance
    assert isinstance(b, nn.Buffer) and isinstance(tb, tnn.Buffer)
    assert not isinstance(ag.ones(2), nn.Buffer) and not isinstance(torch.ones(2), tnn.Buffer)
    assert b.persistent is tb.persistent is False and b.requires_grad and tb.requires_grad and b.is_leaf
    assert np.shares_memory(b.numpy(force=True), src.numpy(force=True))
    empty = nn.Buffer()
    assert empty.shape == (0,) and empty.persistent is True and isinstance(empty, nn.Buffer)
    m = nn.Module()
    m.register_buffer("stats", nn.Buffer(ag.zeros(3)))
    assert list(m.state_dict()) == ["stats"] and isinstance(m.stats, nn.Buffer)
    with pytest.raises(TypeError, match="Buffer: expected a Tensor"):
        nn.Buffer([1.0, 2.0])


def test_lazy_classes_and_tensors_are_in_the_nn_namespace():
    assert not hasattr(nn, "LazyModuleMixin") and nn.lazy.LazyModuleMixin is not None  # torch.nn.modules.lazy's
    for name in ("Buffer", "UninitializedParameter", "UninitializedBuffer", "LazyLinear",
                 "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d",
                 "LazyConvTranspose3d", "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d",
                 "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d", "RReLU", "ChannelShuffle",
                 "EmbeddingBag", "CTCLoss", "MultiLabelMarginLoss", "TripletMarginWithDistanceLoss",
                 "AdaptiveLogSoftmaxWithLoss"):
        assert hasattr(nn, name) and hasattr(tnn, name), name
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.LazyLinear(2)  # no warning at construction (torch 2.13 has dropped its "experimental" warning)


def test_assigning_a_buffer_registers_it_with_its_persistence_as_pytorch():
    def build(lib, nnlib):
        m = nnlib.Module()
        m.a = nnlib.Buffer(lib.ones(2))
        m.b = nnlib.Buffer(lib.zeros(1), persistent=False)
        m.lin = nnlib.Linear(2, 2)
        return m
    ours, theirs = build(ag, nn), build(torch, tnn)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["a", "lin.weight", "lin.bias"]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()] == ["a", "b"]
    ours.b = nn.Buffer(ag.ones(1))  # re-assigned as persistent: now saved, as in PyTorch
    theirs.b = tnn.Buffer(torch.ones(1))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["a", "b", "lin.weight", "lin.bias"]


def test_lazy_children_load_through_the_parents_load_state_dict():
    src = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    dst = nn.Sequential(nn.LazyLinear(4), nn.ReLU(), nn.LazyLinear(2))
    assert dst.load_state_dict(src.state_dict()) == ([], [])
    assert dst[0].weight.shape == (4, 3) and dst[2].weight.shape == (2, 4)
    x = ag.randn(5, 3)
    np.testing.assert_array_equal(dst(x).detach().numpy(), src(x).detach().numpy())
    tdst = tnn.Sequential(tnn.LazyLinear(4), tnn.ReLU(), tnn.LazyLinear(2))  # torch accepts the same load
    tdst.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in src.state_dict().items()})
    assert tuple(tdst[0].weight.shape) == (4, 3)
