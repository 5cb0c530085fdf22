"""The 1-d / 3-d conv, pooling, normalisation and dropout layers against PyTorch.

Parity tests copy PyTorch's weights through ``load_state_dict`` (which also checks that parameter and buffer
names agree) and compare outputs, input gradients and parameter gradients in float64; norms with running
statistics are compared over several training steps (buffers after each) and then in eval mode. Random layers
(dropout) are compared by statistics and mask shapes, never by values. Error paths check their messages.
"""

from __future__ import annotations

import warnings

import autograd_core.nn as nn
import autograd_core.nn.functional as F
import numpy as np
import pytest

import autograd_core as ag

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _load(theirs, ours):
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    return ours


def _compare(ours, theirs, x, train=True, tol=1e-10, call=None):
    """Same weights and input: outputs, input gradient, parameter gradients and buffers agree."""
    theirs = theirs.double()
    ours = _load(theirs, ours.double())
    ours.train(train)
    theirs.train(train)
    xo, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = (ours(xo), theirs(xt)) if call is None else (call(ours, xo), call(theirs, xt))
    assert tuple(yo.shape) == tuple(yt.shape)
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=tol, atol=tol)
    g = np.random.default_rng(7).standard_normal(tuple(yt.shape))
    yo.backward(ag.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=tol, atol=tol)
    tp = dict(theirs.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(tp)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tp[name].grad.numpy(), rtol=tol, atol=tol, err_msg=name)
    tb = dict(theirs.named_buffers())
    assert [n for n, _ in ours.named_buffers()] == list(tb)
    for name, b in ours.named_buffers():
        np.testing.assert_allclose(b.numpy(), tb[name].numpy(), rtol=tol, atol=tol, err_msg=name)


def _both(factory):
    """(ours, theirs) from one factory over the nn namespace."""
    return factory(nn), factory(tnn)


LAYERS = [
    ("Conv1d", lambda m: m.Conv1d(2, 3, 3, padding=1), (2, 2, 7)),
    ("Conv1d_groups_stride_dil", lambda m: m.Conv1d(4, 6, 3, stride=2, dilation=2, groups=2, bias=False), (2, 4, 11)),
    ("Conv1d_same_even", lambda m: m.Conv1d(2, 2, 4, padding="same"), (1, 2, 7)),
    ("Conv1d_unbatched", lambda m: m.Conv1d(3, 2, 2), (3, 6)),
    ("Conv3d", lambda m: m.Conv3d(2, 3, 3, padding=1), (2, 2, 4, 5, 4)),
    ("Conv3d_groups_stride", lambda m: m.Conv3d(4, 4, (2, 3, 2), stride=(2, 1, 2), groups=2, dilation=(1, 2, 1)),
     (1, 4, 5, 6, 5)),
    ("Conv3d_same", lambda m: m.Conv3d(2, 2, (2, 3, 3), padding="same", bias=False), (1, 2, 3, 4, 4)),
    ("Conv3d_unbatched", lambda m: m.Conv3d(2, 2, 2), (2, 3, 3, 3)),
    ("ConvTranspose1d", lambda m: m.ConvTranspose1d(3, 2, 3, stride=2, padding=1, output_padding=1), (2, 3, 5)),
    ("ConvTranspose1d_groups", lambda m: m.ConvTranspose1d(4, 2, 2, groups=2, dilation=2), (1, 4, 4)),
    ("ConvTranspose3d", lambda m: m.ConvTranspose3d(2, 3, 3, stride=2, padding=1, output_padding=1),
     (1, 2, 2, 3, 2)),
    ("ConvTranspose3d_groups", lambda m: m.ConvTranspose3d(4, 2, (2, 1, 2), stride=(1, 2, 1), groups=2, bias=False),
     (2, 4, 2, 2, 3)),
    ("MaxPool1d", lambda m: m.MaxPool1d(3, 2, padding=1), (2, 3, 9)),
    ("MaxPool1d_ceil_dil", lambda m: m.MaxPool1d(2, dilation=2, ceil_mode=True), (2, 2, 8)),
    ("MaxPool3d", lambda m: m.MaxPool3d(2), (2, 2, 4, 4, 4)),
    ("MaxPool3d_pad_ceil", lambda m: m.MaxPool3d((3, 2, 3), (2, 1, 2), padding=1, ceil_mode=True), (1, 2, 5, 4, 6)),
    ("AvgPool1d", lambda m: m.AvgPool1d(3, 2, padding=1, count_include_pad=False), (2, 3, 8)),
    ("AvgPool3d", lambda m: m.AvgPool3d(3, 2, padding=1, ceil_mode=True), (1, 2, 5, 4, 5)),
    ("AvgPool3d_divisor", lambda m: m.AvgPool3d(2, divisor_override=5), (1, 2, 4, 4, 2)),
    ("AdaptiveAvgPool1d", lambda m: m.AdaptiveAvgPool1d(4), (2, 3, 7)),
    ("AdaptiveAvgPool3d", lambda m: m.AdaptiveAvgPool3d((2, None, 3)), (2, 2, 5, 3, 7)),
    ("AdaptiveMaxPool1d", lambda m: m.AdaptiveMaxPool1d(3), (2, 3, 7)),
    ("AdaptiveMaxPool2d", lambda m: m.AdaptiveMaxPool2d((3, 4)), (2, 2, 7, 5)),
    ("AdaptiveMaxPool3d", lambda m: m.AdaptiveMaxPool3d(2), (1, 2, 5, 3, 4)),
    ("LPPool1d", lambda m: m.LPPool1d(2, 3, 2), (2, 3, 7)),
    ("LPPool2d", lambda m: m.LPPool2d(1.5, (2, 3)), (2, 2, 6, 6)),
    ("LPPool3d", lambda m: m.LPPool3d(3, 2), (1, 2, 4, 4, 4)),
    ("GroupNorm", lambda m: m.GroupNorm(2, 4), (3, 4, 5)),
    ("GroupNorm_4d_noaffine", lambda m: m.GroupNorm(3, 6, affine=False, eps=1e-3), (2, 6, 3, 3)),
    ("RMSNorm", lambda m: m.RMSNorm(5), (3, 4, 5)),
    ("RMSNorm_2d_eps", lambda m: m.RMSNorm((4, 5), eps=1e-3), (3, 4, 5)),
    ("RMSNorm_noaffine", lambda m: m.RMSNorm(5, elementwise_affine=False), (3, 5)),
    ("LocalResponseNorm", lambda m: m.LocalResponseNorm(3), (2, 5, 4, 4)),
    ("LocalResponseNorm_3d", lambda m: m.LocalResponseNorm(2, 0.1, 0.5, 2.0), (2, 4, 6)),
    ("InstanceNorm1d", lambda m: m.InstanceNorm1d(3), (2, 3, 6)),
    ("InstanceNorm1d_unbatched_affine", lambda m: m.InstanceNorm1d(3, affine=True), (3, 6)),
    ("InstanceNorm2d_affine", lambda m: m.InstanceNorm2d(3, affine=True), (2, 3, 4, 4)),
    ("InstanceNorm3d", lambda m: m.InstanceNorm3d(2, affine=True), (2, 2, 3, 3, 3)),
]

# random in training mode: compared in eval mode (the identity) here, by statistics below
EVAL_ONLY = [
    ("Dropout1d", lambda m: m.Dropout1d(0.3), (2, 3, 4)),
    ("Dropout2d", lambda m: m.Dropout2d(0.3), (2, 3, 4, 4)),
    ("Dropout3d", lambda m: m.Dropout3d(0.3), (2, 3, 2, 2, 2)),
    ("AlphaDropout", lambda m: m.AlphaDropout(0.3), (4, 5)),
    ("FeatureAlphaDropout", lambda m: m.FeatureAlphaDropout(0.3), (2, 3, 4)),
]


@pytest.mark.parametrize("name,factory,shape", LAYERS, ids=[r[0] for r in LAYERS])
def test_layer_matches_pytorch(name, factory, shape):
    ag.manual_seed(0)
    torch.manual_seed(0)
    x = _x(*shape)
    if name.startswith("LPPool"):  # x^p of a negative x is NaN for fractional p (in PyTorch too)
        x = np.abs(x) + 0.1
    _compare(*_both(factory), x)


@pytest.mark.parametrize("name,factory,shape", EVAL_ONLY, ids=[r[0] for r in EVAL_ONLY])
def test_random_layer_is_the_identity_in_eval_mode_as_in_pytorch(name, factory, shape):
    _compare(*_both(factory), _x(*shape), train=False)


@pytest.mark.parametrize("name,factory,shape",
                         [r for r in LAYERS if r[0].split("_")[0] in ("Conv1d", "Conv3d", "ConvTranspose1d",
                                                                      "ConvTranspose3d", "MaxPool3d", "AvgPool3d",
                                                                      "GroupNorm", "InstanceNorm1d", "RMSNorm",
                                                                      "AdaptiveMaxPool2d", "LocalResponseNorm")
                          and "unbatched" not in r[0]], ids=lambda v: v if isinstance(v, str) else "")
def test_layer_matches_pytorch_on_an_empty_batch(name, factory, shape):
    """PyTorch accepts a zero-size batch in these layers (parameter gradients of an empty batch are zeros)."""
    _compare(*_both(factory), _x(0, *shape[1:]))


# ---------------------------------------------------------------------- running statistics
NORMS = [
    ("BatchNorm3d", lambda m: m.BatchNorm3d(3), (4, 3, 2, 3, 2)),
    ("BatchNorm3d_momentum_none", lambda m: m.BatchNorm3d(2, momentum=None), (3, 2, 2, 2, 2)),
    ("SyncBatchNorm_3d", lambda m: m.SyncBatchNorm(3), (4, 3, 5)),
    ("SyncBatchNorm_5d", lambda m: m.SyncBatchNorm(2, affine=False), (3, 2, 2, 3, 2)),
    ("InstanceNorm1d_tracked", lambda m: m.InstanceNorm1d(3, affine=True, track_running_stats=True), (4, 3, 6)),
    ("InstanceNorm2d_tracked", lambda m: m.InstanceNorm2d(2, track_running_stats=True, momentum=0.3), (3, 2, 4, 3)),
    ("InstanceNorm3d_tracked", lambda m: m.InstanceNorm3d(2, track_running_stats=True, affine=True),
     (2, 2, 3, 2, 3)),
]


@pytest.mark.parametrize("name,factory,shape", NORMS, ids=[r[0] for r in NORMS])
def test_norm_running_statistics_train_and_eval_match_pytorch(name, factory, shape):
    ours, theirs = _both(factory)
    theirs = theirs.double()
    ours = _load(theirs, ours.double())
    for step in range(3):  # training steps: outputs, gradients and buffers after each
        x = _x(*shape, seed=step) * (step + 1) + step
        _compare(ours, theirs, x, train=True)
    # eval mode uses the running statistics (inherited from the steps above, not reloaded)
    ours.eval()
    theirs.eval()
    x = _x(*shape, seed=9)
    xo, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-10)
    yo.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-10)
    for k, b in ours.named_buffers():
        np.testing.assert_allclose(b.numpy(), dict(theirs.named_buffers())[k].numpy(), rtol=1e-12, err_msg=k)


def test_convert_sync_batchnorm_shares_parameters_and_buffers():
    model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.Sequential(nn.BatchNorm1d(4)))
    bn = model[1]
    conv = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert isinstance(conv[1], nn.SyncBatchNorm) and isinstance(conv[2][0], nn.SyncBatchNorm)
    assert conv[1].weight is bn.weight and conv[1].running_mean is bn.running_mean
    assert isinstance(conv[0], nn.Conv2d)
    assert list(conv.state_dict()) == list(tnn.SyncBatchNorm.convert_sync_batchnorm(
        tnn.Sequential(tnn.Conv2d(2, 3, 3), tnn.BatchNorm2d(3), tnn.Sequential(tnn.BatchNorm1d(4)))).state_dict())


# ---------------------------------------------------------------------- indices and unpooling
@pytest.mark.parametrize("nd", [1, 2, 3])
def test_max_pool_and_unpool_round_trip_match_pytorch(nd):
    shape = {1: (2, 3, 8), 2: (2, 2, 6, 4), 3: (1, 2, 4, 4, 6)}[nd]
    x = np.round(_x(*shape) * 2) / 2  # ties: the first maximum in scan order must win, as in PyTorch
    pool_o = getattr(nn, f"MaxPool{nd}d")(2, return_indices=True)
    pool_t = getattr(tnn, f"MaxPool{nd}d")(2, return_indices=True)
    unpool_o, unpool_t = getattr(nn, f"MaxUnpool{nd}d")(2), getattr(tnn, f"MaxUnpool{nd}d")(2)
    xo, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (yo, io), (yt, it) = pool_o(xo), pool_t(xt)
    np.testing.assert_array_equal(io.numpy(), it.numpy())
    size = [s + 1 for s in shape[2:]]
    uo, ut = unpool_o(yo, io, output_size=size), unpool_t(yt, it, output_size=size)
    np.testing.assert_array_equal(uo.detach().numpy(), ut.detach().numpy())
    g = _x(*ut.shape, seed=4)
    uo.backward(ag.tensor(g))
    ut.backward(torch.tensor(g))
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_adaptive_max_pool_indices_match_pytorch_with_ties_and_nan(nd):
    shape = {1: (2, 3, 9), 2: (2, 2, 7, 5), 3: (1, 2, 5, 4, 3)}[nd]
    x = np.round(_x(*shape))
    x.flat[[3, 4, 11]] = np.nan
    fo, ft = getattr(F, f"adaptive_max_pool{nd}d"), getattr(TF, f"adaptive_max_pool{nd}d")
    (yo, io), (yt, it) = fo(ag.tensor(x), 3, return_indices=True), ft(torch.tensor(x), 3, return_indices=True)
    np.testing.assert_array_equal(io.numpy(), it.numpy())
    np.testing.assert_array_equal(yo.numpy(), yt.numpy())


def test_max_pool3d_indices_match_pytorch_with_padding_dilation_and_nan():
    x = np.round(_x(2, 2, 5, 6, 5))
    x[0, 0, 1, 2, 2] = np.nan
    kw = dict(kernel_size=3, stride=2, padding=1, dilation=(1, 2, 1), ceil_mode=True, return_indices=True)
    (yo, io), (yt, it) = F.max_pool3d(ag.tensor(x), **kw), TF.max_pool3d(torch.tensor(x), **kw)
    np.testing.assert_array_equal(io.numpy(), it.numpy())
    np.testing.assert_array_equal(yo.numpy(), yt.numpy())


def test_max_unpool_with_repeated_indices_keeps_one_value():
    """Overlapping windows can point twice at one element: PyTorch writes it once (the later value)."""
    x = np.array([[[3.0, 1.0, 2.0, 0.0]]])
    y, idx = TF.max_pool1d(torch.tensor(x), 2, 1, return_indices=True)
    assert len(set(idx.flatten().tolist())) < idx.numel()
    ours = F.max_unpool1d(ag.tensor(y.numpy()), ag.tensor(idx.numpy()), 2, 1)
    np.testing.assert_array_equal(ours.numpy(), TF.max_unpool1d(y, idx, 2, 1).numpy())


def test_conv_transpose_output_size_matches_pytorch():
    for nd, shape in ((1, (2, 3, 4)), (3, (1, 3, 2, 3, 2))):
        torch.manual_seed(0)
        theirs = getattr(tnn, f"ConvTranspose{nd}d")(3, 2, 3, stride=2, padding=1).double()
        ours = _load(theirs, getattr(nn, f"ConvTranspose{nd}d")(3, 2, 3, stride=2, padding=1).double())
        size = [2 * s for s in shape[2:]]
        _compare(ours, theirs, _x(*shape), call=lambda m, x, s=size: m(x, output_size=s))
        with pytest.raises(ValueError, match="requested an output size of"):
            ours(ag.tensor(_x(*shape)), output_size=[s + 5 for s in size])


# ---------------------------------------------------------------------- dropout by statistics
@pytest.mark.parametrize("nd,shape", [(1, (200, 50, 4)), (2, (200, 50, 3, 3)), (3, (100, 50, 2, 2, 2)),
                                      (1, (500, 6)), (3, (500, 2, 2, 2))], ids=str)
def test_channel_dropout_zeroes_whole_channels_with_probability_p(nd, shape):
    ag.manual_seed(1)
    layer = getattr(nn, f"Dropout{nd}d")(0.4)
    x = ag.ones(*shape, requires_grad=True)
    y = layer(x)
    m = y.detach().numpy()
    batched = len(shape) == nd + 2
    per_channel = m.reshape(shape[:2] + (-1,)) if batched else m.reshape(shape[:1] + (-1,))
    # one mask value per (sample, channel): constant over the spatial dims, as PyTorch's (N, C, 1, ...) noise
    assert (per_channel == per_channel[..., :1]).all()
    kept = per_channel[..., 0] != 0
    n = kept.size
    assert abs(kept.mean() - 0.6) < 5 * np.sqrt(0.24 / n)
    np.testing.assert_allclose(per_channel[..., 0][kept], 1 / 0.6)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), m)  # the gradient is the (scaled) mask
    layer.eval()
    assert np.array_equal(layer(x).detach().numpy(), x.detach().numpy())


def test_torch_channel_dropout_masks_have_the_same_shape_rule():
    """The same check on PyTorch's own output: its masks are constant per (sample, channel) too."""
    torch.manual_seed(0)
    for nd, shape in ((1, (8, 5, 6)), (2, (8, 5, 3, 3)), (3, (8, 5, 2, 2, 2))):
        m_t = getattr(TF, f"dropout{nd}d")(torch.ones(shape), 0.5).numpy().reshape(8, 5, -1)
        m_o = getattr(F, f"dropout{nd}d")(ag.ones(*shape), 0.5).numpy().reshape(8, 5, -1)
        for m in (m_t, m_o):
            assert (m == m[..., :1]).all() and set(np.unique(m)) <= {0.0, 2.0}


def test_dropout2d_on_3d_input_is_channel_dropout_of_n_c_l_with_pytorchs_warning():
    ag.manual_seed(0)
    with pytest.warns(UserWarning, match="dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
                                         "1D dropout behavior is desired"):
        m = F.dropout2d(ag.ones(100, 20, 5), 0.5).numpy()
    assert (m == m[..., :1]).all() and 0.4 < (m[..., 0] == 0).mean() < 0.6
    with pytest.warns(UserWarning, match="dropout3d: Received a 2-D input to dropout3d, which is deprecated"):
        F.dropout3d(ag.ones(4, 3), 0.5)


@pytest.mark.parametrize("fn,feature", [(F.alpha_dropout, False), (F.feature_alpha_dropout, True)])
def test_alpha_dropout_keeps_zero_mean_and_unit_variance(fn, feature):
    ag.manual_seed(2)
    x = ag.tensor(_x(400, 50, 20), requires_grad=True)
    y = fn(x, 0.2, training=True)
    v = y.detach().numpy()
    assert abs(v.mean()) < 0.02 and abs(v.std() - 1) < 0.02
    y.sum().backward()
    alpha, a = 1.7580993408473766, 1 / np.sqrt((1.7580993408473766 ** 2 * 0.2 + 1) * 0.8)
    g = x.grad.numpy()
    dropped = g == 0
    np.testing.assert_allclose(g[~dropped], a)  # kept values are scaled by a
    np.testing.assert_allclose(v[dropped], -alpha * a + alpha * a * 0.2)  # dropped ones sit at the saturation
    np.testing.assert_allclose(v[~dropped], x.detach().numpy()[~dropped] * a + alpha * a * 0.2)
    assert abs(dropped.mean() - 0.2) < 0.01
    if feature:  # dropped as whole channels
        assert (dropped == dropped[..., :1]).all()
    assert fn(x, 0.2) is x  # training=False is PyTorch's default here
    np.testing.assert_array_equal(fn(x, 1.0, training=True).detach().numpy(), 0.0)


def test_dropout_inplace_writes_the_callers_tensor():
    ag.manual_seed(0)
    x = ag.ones(50, 10, 4)
    out = F.dropout1d(x, 0.5, inplace=True)
    assert out is x
    m = x.numpy()
    assert set(np.unique(m)) == {0.0, 2.0} and (m == m[..., :1]).all()
    y = ag.ones(100, 100)
    assert F.alpha_dropout(y, 0.3, True, inplace=True) is y and abs(y.numpy().mean() - 1.0) > 0.01


# ---------------------------------------------------------------------- device / dtype keywords
FACTORIES = [
    ("Conv1d", lambda **k: nn.Conv1d(2, 3, 3, **k)), ("Conv2d", lambda **k: nn.Conv2d(2, 3, 3, **k)),
    ("Conv3d", lambda **k: nn.Conv3d(2, 3, 3, **k)), ("ConvTranspose1d", lambda **k: nn.ConvTranspose1d(2, 3, 3, **k)),
    ("ConvTranspose2d", lambda **k: nn.ConvTranspose2d(2, 3, 3, **k)),
    ("ConvTranspose3d", lambda **k: nn.ConvTranspose3d(2, 3, 3, **k)),
    ("BatchNorm1d", lambda **k: nn.BatchNorm1d(3, **k)), ("BatchNorm2d", lambda **k: nn.BatchNorm2d(3, **k)),
    ("BatchNorm3d", lambda **k: nn.BatchNorm3d(3, **k)), ("SyncBatchNorm", lambda **k: nn.SyncBatchNorm(3, **k)),
    ("InstanceNorm2d", lambda **k: nn.InstanceNorm2d(3, affine=True, track_running_stats=True, **k)),
    ("GroupNorm", lambda **k: nn.GroupNorm(1, 3, **k)), ("LayerNorm", lambda **k: nn.LayerNorm(3, **k)),
    ("RMSNorm", lambda **k: nn.RMSNorm(3, **k)),
]


@pytest.mark.parametrize("name,make", FACTORIES, ids=[f[0] for f in FACTORIES])
def test_layers_take_device_and_dtype_keywords(name, make):
    m = make(device="cpu", dtype=ag.float64)
    tensors = list(m.parameters()) + [b for b in m.buffers() if b.dtype.kind == "f"]
    assert tensors and all(t.dtype == np.float64 for t in tensors)
    assert all(t.dtype == np.float32 for t in make().parameters())
    make(device=ag.device("cpu"))
    with pytest.raises(RuntimeError, match=f"nn.{name}: device 'cuda' is not available"):
        make(device="cuda")


def test_device_and_dtype_follow_pytorchs_positional_order():
    assert nn.Conv1d(2, 3, 3, 1, 0, 1, 1, True, "zeros", "cpu", ag.float64).weight.dtype == np.float64
    assert nn.BatchNorm3d(3, 1e-5, 0.1, True, True, "cpu", ag.float64).running_mean.dtype == np.float64
    assert nn.GroupNorm(1, 3, 1e-5, True, "cpu", ag.float64).weight.dtype == np.float64
    assert nn.RMSNorm(3, None, True, "cpu", ag.float64).weight.dtype == np.float64
    assert nn.BatchNorm1d(3, bias=False).bias is None


def test_reprs_match_pytorch():
    for make in (lambda m: m.Conv1d(2, 3, 3), lambda m: m.Conv3d(2, 4, 3, padding="same", groups=2),
                 lambda m: m.ConvTranspose1d(2, 3, 3, stride=2, output_padding=1), lambda m: m.MaxPool3d(2),
                 lambda m: m.AvgPool1d(3), lambda m: m.AdaptiveMaxPool2d(3), lambda m: m.MaxUnpool1d(2),
                 lambda m: m.LPPool2d(2, 3), lambda m: m.BatchNorm3d(3), lambda m: m.InstanceNorm1d(3),
                 lambda m: m.GroupNorm(2, 4), lambda m: m.RMSNorm([3, 4]), lambda m: m.LocalResponseNorm(3),
                 lambda m: m.Dropout2d(0.2), lambda m: m.FeatureAlphaDropout(), lambda m: m.SyncBatchNorm(2)):
        assert repr(make(nn)) == repr(make(tnn))


# ---------------------------------------------------------------------- errors name the op and the fix
def _raises(exc, ours, theirs, match):
    """Ours raises ``exc`` with ``match`` in the message, and PyTorch raises the same type."""
    with pytest.raises(exc, match=match):
        ours()
    with pytest.raises(exc):
        theirs()


def test_conv_errors():
    x1, w1 = _x(2, 3, 5), _x(4, 3, 2)
    _raises(RuntimeError, lambda: F.conv1d(ag.tensor(_x(2, 3, 5, 5)), ag.tensor(w1)),
            lambda: TF.conv1d(torch.tensor(_x(2, 3, 5, 5)), torch.tensor(w1)),
            r"conv1d: Expected 2D \(unbatched\) or 3D \(batched\) input to conv1d, but got input of size: "
            r"\[2, 3, 5, 5\]")
    _raises(RuntimeError, lambda: F.conv1d(ag.tensor(x1), ag.tensor(_x(4, 2, 2))),
            lambda: TF.conv1d(torch.tensor(x1), torch.tensor(_x(4, 2, 2))),
            r"conv1d: Given groups=1, weight of size \[4, 2, 2\], expected input\[2, 3, 5\] to have 2 channels")
    _raises(RuntimeError, lambda: F.conv1d(ag.tensor(x1), ag.tensor(_x(4, 3, 7))),
            lambda: TF.conv1d(torch.tensor(x1), torch.tensor(_x(4, 3, 7))),
            r"conv1d: Calculated padded input size per channel: \(5\). Kernel size: \(7\)")
    _raises(RuntimeError, lambda: F.conv3d(ag.tensor(_x(1, 2, 3, 3, 3)), ag.tensor(_x(2, 2, 2, 2, 2)), stride=2,
                                           padding="same"),
            lambda: TF.conv3d(torch.tensor(_x(1, 2, 3, 3, 3)), torch.tensor(_x(2, 2, 2, 2, 2)), stride=2,
                              padding="same"),
            "conv3d: padding='same' is not supported for strided convolutions")
    _raises(RuntimeError, lambda: F.conv3d(ag.tensor(_x(1, 2, 3, 3, 3)), ag.tensor(_x(2, 2, 2, 2, 2)), stride=(1, 2)),
            lambda: TF.conv3d(torch.tensor(_x(1, 2, 3, 3, 3)), torch.tensor(_x(2, 2, 2, 2, 2)), stride=(1, 2)),
            r"conv3d: expected stride to be a single integer value or a list of 3 values")
    _raises(RuntimeError, lambda: F.conv3d(ag.tensor(_x(1, 2, 3, 3, 3)), ag.tensor(_x(2, 2, 2, 2, 2)).float()),
            lambda: TF.conv3d(torch.tensor(_x(1, 2, 3, 3, 3)), torch.tensor(_x(2, 2, 2, 2, 2)).float()),
            r"conv3d: expected scalar type Double but found Float")
    _raises(RuntimeError, lambda: F.conv_transpose3d(ag.tensor(_x(1, 2, 2, 2, 2)), ag.tensor(_x(2, 1, 1, 1, 1)),
                                                     padding=1),
            lambda: TF.conv_transpose3d(torch.tensor(_x(1, 2, 2, 2, 2)), torch.tensor(_x(2, 1, 1, 1, 1)), padding=1),
            r"conv_transpose3d: Given input size per channel: \(2 x 2 x 2\). Calculated output size per channel: "
            r"\(0 x 0 x 0\). Output size is too small")
    _raises(RuntimeError, lambda: F.conv_transpose1d(ag.tensor(_x(1, 2, 4)), ag.tensor(_x(2, 1, 2)), stride=2,
                                                     output_padding=2),
            lambda: TF.conv_transpose1d(torch.tensor(_x(1, 2, 4)), torch.tensor(_x(2, 1, 2)), stride=2,
                                        output_padding=2),
            "conv_transpose1d: output padding must be smaller than either stride or dilation")


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("nd", [1, 2, 3])
def test_conv_padding_modes_match_pytorch(nd, mode):
    """Non-zero padding modes pad with F.pad(mode=...) first, as PyTorch."""
    def make(m):
        return getattr(m, f"Conv{nd}d")(2, 3, 3, padding="same" if nd == 2 else 1, padding_mode=mode)

    torch.manual_seed(0)
    _compare(make(nn), make(tnn), _x(*((2, 2) + (5,) * nd)))


def test_conv_layer_errors():
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv1d(2, 2, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose3d'):
        nn.ConvTranspose3d(2, 2, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="Conv3d: padding='same' is not supported for strided convolutions"):
        nn.Conv3d(2, 2, 3, stride=2, padding="same")


def test_pool_errors():
    _raises(RuntimeError, lambda: F.max_pool1d(ag.tensor(_x(1, 2, 9)), 3, padding=2),
            lambda: TF.max_pool1d(torch.tensor(_x(1, 2, 9)), 3, padding=2),
            "max_pool1d: pad should be at most half of effective kernel size, but got pad=2, kernel_size=3")
    _raises(RuntimeError, lambda: F.max_pool1d(ag.tensor(_x(9)), 3), lambda: TF.max_pool1d(torch.tensor(_x(9)), 3),
            r"max_pool1d: Expected 2D or 3D \(batch mode\) tensor with optional 0 dim batch size for input, but got: "
            r"\[9\]")
    _raises(RuntimeError, lambda: F.max_pool3d(ag.tensor(_x(1, 1, 2, 9, 9)), 3),
            lambda: TF.max_pool3d(torch.tensor(_x(1, 1, 2, 9, 9)), 3),
            r"max_pool3d: Given input size: \(1x2x9x9\). Calculated output size: \(1x0x3x3\). Output size is too small")
    _raises(RuntimeError, lambda: F.avg_pool3d(ag.tensor(_x(2, 9, 9)), 3),
            lambda: TF.avg_pool3d(torch.tensor(_x(2, 9, 9)), 3), "avg_pool3d: Expected 4D or 5D")
    _raises(RuntimeError, lambda: F.avg_pool3d(ag.tensor(_x(1, 1, 4, 4, 4)), 2, divisor_override=0),
            lambda: TF.avg_pool3d(torch.tensor(_x(1, 1, 4, 4, 4)), 2, divisor_override=0), "divisor must be not zero")
    _raises(RuntimeError, lambda: F.adaptive_max_pool2d(ag.tensor(_x(1, 0, 4, 4)), 2),
            lambda: TF.adaptive_max_pool2d(torch.tensor(_x(1, 0, 4, 4)), 2),
            "adaptive_max_pool2d: Expected input to have non-zero size for non-batch dimensions")
    y, idx = TF.max_pool2d(torch.tensor(_x(1, 1, 4, 4)), 2, return_indices=True)
    bad = idx.clone()
    bad[0, 0, 0, 0] = 99
    _raises(RuntimeError, lambda: F.max_unpool2d(ag.tensor(y.numpy()), ag.tensor(bad.numpy()), 2),
            lambda: TF.max_unpool2d(y, bad, 2), r"max_unpool2d: Found an invalid max index: 99 \(output volumes are of "
                                                r"size 4x4\)")
    _raises(ValueError, lambda: F.max_unpool2d(ag.tensor(y.numpy()), ag.tensor(idx.numpy()), 2, output_size=[9, 9]),
            lambda: TF.max_unpool2d(y, idx, 2, output_size=[9, 9]),
            r'invalid output_size "\[9, 9\]" \(dim 0 must be between 2 and 6\)')
    _raises(ValueError, lambda: F.max_unpool2d(ag.tensor(y.numpy()), ag.tensor(idx.numpy()), 2, output_size=[4]),
            lambda: TF.max_unpool2d(y, idx, 2, output_size=[4]), "output_size should be a sequence containing 2 or 4")


def test_norm_errors():
    x = _x(2, 6, 4)
    _raises(RuntimeError, lambda: F.group_norm(ag.tensor(x), 4), lambda: TF.group_norm(torch.tensor(x), 4),
            r"group_norm: Expected number of channels in input to be divisible by num_groups, but got input of shape "
            r"\[2, 6, 4\] and num_groups=4")
    _raises(RuntimeError, lambda: F.group_norm(ag.tensor(x), 3, ag.ones(5, dtype=ag.float64)),
            lambda: TF.group_norm(torch.tensor(x), 3, torch.ones(5, dtype=torch.float64)),
            r"group_norm: Expected weight to be a vector of size equal to the number of channels in input")
    _raises(ValueError, lambda: F.instance_norm(ag.tensor(_x(2, 6, 1))),
            lambda: TF.instance_norm(torch.tensor(_x(2, 6, 1))),
            r"Expected more than 1 spatial element when training, got input size \[2, 6, 1\]")
    _raises(RuntimeError, lambda: F.instance_norm(ag.tensor(x), use_input_stats=False),
            lambda: TF.instance_norm(torch.tensor(x), use_input_stats=False),
            "Expected running_mean and running_var to be defined when use_input_stats is false")
    _raises(RuntimeError, lambda: F.rms_norm(ag.tensor(x), (6,)), lambda: TF.rms_norm(torch.tensor(x), (6,)),
            r"rms_norm: Given normalized_shape=\[6\], expected input with shape \[\*6\], but got input of "
            r"size\[2, 6, 4\]")
    _raises(TypeError, lambda: F.rms_norm(ag.tensor(x), 4), lambda: TF.rms_norm(torch.tensor(x), 4),
            "must be tuple of ints, not int")
    _raises(ValueError, lambda: F.local_response_norm(ag.tensor(_x(2, 6)), 3),
            lambda: TF.local_response_norm(torch.tensor(_x(2, 6)), 3),
            r"local_response_norm: Expected 3D or higher dimensionality input \(got 2 dimensions\)")
    # an empty batch with affine parameters: PyTorch's batch_norm of the (1, 0, ...) view indexes weight[0]
    _raises(IndexError, lambda: F.instance_norm(ag.tensor(_x(0, 3, 4)), weight=ag.ones(3, dtype=ag.float64)),
            lambda: TF.instance_norm(torch.tensor(_x(0, 3, 4)), weight=torch.ones(3, dtype=torch.float64)),
            "index")
    with pytest.raises(ValueError, match=r"num_channels \(6\) must be divisible by num_groups \(4\)"):
        nn.GroupNorm(4, 6)
    with pytest.raises(ValueError, match=r"expected input's size at dim=1 to match num_features \(4\), but got: 5"):
        nn.InstanceNorm1d(4, affine=True)(ag.tensor(_x(2, 5, 3)))
    with pytest.warns(UserWarning, match="input's size at dim=1 does not match num_features"):
        nn.InstanceNorm1d(4)(ag.tensor(_x(2, 5, 3)))
    with pytest.raises(ValueError, match=r"BatchNorm3d: expected 5D input \(got 4D input"):
        nn.BatchNorm3d(4)(ag.tensor(_x(5, 4, 3, 3)))
    with pytest.raises(ValueError, match=r"expected at least 2D input \(got 1D input\)"):
        nn.SyncBatchNorm(4)(ag.tensor(_x(5)))


def test_dropout_errors():
    _raises(RuntimeError, lambda: F.dropout1d(ag.tensor(_x(2, 6, 3, 3))),
            lambda: TF.dropout1d(torch.tensor(_x(2, 6, 3, 3))),
            "dropout1d: Expected 2D or 3D input, but received a 4D input")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _raises(RuntimeError, lambda: F.dropout2d(ag.tensor(_x(2))), lambda: TF.dropout2d(torch.tensor(_x(2))),
                "Feature dropout requires at least 2 dimensions in the input")
    _raises(ValueError, lambda: F.alpha_dropout(ag.tensor(_x(2, 6)), 1.5, True),
            lambda: TF.alpha_dropout(torch.tensor(_x(2, 6)), 1.5, True),
            "dropout probability has to be between 0 and 1, but got 1.5")
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got -0.1"):
        nn.Dropout3d(-0.1)


# ---------------------------------------------------------------------- signatures follow PyTorch's
LAYER_NAMES = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "MaxPool1d",
               "MaxPool3d", "AvgPool1d", "AvgPool3d", "AdaptiveAvgPool1d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d",
               "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d", "LPPool1d",
               "LPPool2d", "LPPool3d", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm", "InstanceNorm1d",
               "InstanceNorm2d", "InstanceNorm3d", "GroupNorm", "LayerNorm", "RMSNorm", "LocalResponseNorm",
               "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]


def _params(fn):
    import inspect

    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


@pytest.mark.parametrize("name", LAYER_NAMES)
def test_layer_constructor_signature_is_pytorchs(name):
    assert _params(getattr(nn, name).__init__) == _params(getattr(tnn, name).__init__)


def test_functional_signatures_are_pytorchs_where_pytorch_has_one():
    import inspect

    import autograd_core.nn._functional_layers as L

    checked = 0
    for n in L.__all__:
        try:
            theirs = _params(getattr(TF, n))
        except (TypeError, ValueError):  # a C builtin without a Python signature
            continue
        if any(k == inspect.Parameter.VAR_POSITIONAL for _, k, _ in theirs):  # torch's *args dispatch wrappers
            continue
        assert [(p, d) for p, _, d in _params(getattr(F, n))] == [(p, d) for p, _, d in theirs], n
        checked += 1
    assert checked >= 15
