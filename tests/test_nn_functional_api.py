"""nn.functional ops and the simple layers built on them, against PyTorch.

Layer parity: the same weights (copied through load_state_dict, which also checks the parameter names), the same
float64 input and upstream gradient; outputs, input gradients and parameter gradients must agree. Constructors
follow PyTorch's signatures (names and defaults) and reprs. Error paths raise PyTorch's exception type with a
message that names the op. The op-level numerics (gradcheck, gradgradcheck, float32) are in tests/op_db_nn.py.
"""

from __future__ import annotations

import inspect
import warnings

import autograd_core.nn as nn
import autograd_core.nn.functional as F
import numpy as np
import pytest

import autograd_core as ag

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional


def _x(*shape, seed=0, scale=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def _load(theirs, ours):
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    return ours


def _compare(ours, theirs, *inputs, tol=1e-10, n_grad=None):
    """Same weights and inputs: outputs, input gradients (of the first n_grad float inputs; all by default) and
    parameter gradients agree (float64)."""
    theirs = theirs.double()
    ours = _load(theirs, ours.double())
    rg = [x.dtype.kind == "f" and (n_grad is None or i < n_grad) for i, x in enumerate(inputs)]
    xo = [ag.tensor(x, requires_grad=r) for x, r in zip(inputs, rg)]
    xt = [torch.tensor(x, requires_grad=r) for x, r in zip(inputs, rg)]
    yo, yt = ours(*xo), theirs(*xt)
    assert tuple(yo.shape) == tuple(yt.shape)
    assert yo.dtype == np.float64
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=tol, atol=tol)
    if not yt.requires_grad:
        return
    g = np.random.default_rng(7).standard_normal(tuple(yt.shape))
    yo.backward(ag.tensor(g))
    yt.backward(torch.tensor(g))
    for a, b in zip(xo, xt):
        if b.requires_grad:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=tol, atol=tol)
    tp = dict(theirs.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(tp)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tp[name].grad.numpy(), rtol=tol, atol=tol, err_msg=name)


def _away(*shape, seed=0, kinks=(0.0,)):
    a = _x(*shape, seed=seed, scale=3.0)
    for k in kinks:
        a = np.where(np.abs(a - k) < 0.05, k + 0.1, a)
    return a


# ---------------------------------------------------------------------- layers vs torch
ACTIVATIONS = [
    ("ReLU6", lambda m: m.ReLU6(), (0.0, 6.0)), ("Hardswish", lambda m: m.Hardswish(), (-3.0, 3.0)),
    ("Hardsigmoid", lambda m: m.Hardsigmoid(), (-3.0, 3.0)), ("CELU", lambda m: m.CELU(0.5), (0.0,)),
    ("SELU", lambda m: m.SELU(), (0.0,)), ("Mish", lambda m: m.Mish(), ()), ("Softsign", lambda m: m.Softsign(), ()),
    ("Softmin", lambda m: m.Softmin(1), ()), ("GLU", lambda m: m.GLU(1), ()),
    ("Hardshrink", lambda m: m.Hardshrink(0.7), (-0.7, 0.7)), ("Softshrink", lambda m: m.Softshrink(), (-0.5, 0.5)),
    ("Tanhshrink", lambda m: m.Tanhshrink(), ()), ("Threshold", lambda m: m.Threshold(0.2, -3.0), (0.2,)),
    ("LogSigmoid", lambda m: m.LogSigmoid(), ()), ("Softmax2d", lambda m: m.Softmax2d(), ()),
    ("PReLU", lambda m: m.PReLU(4, 0.1), (0.0,)), ("ReLU", lambda m: m.ReLU(), (0.0,)),
    ("LeakyReLU", lambda m: m.LeakyReLU(0.3), (0.0,)), ("ELU", lambda m: m.ELU(0.8), (0.0,)),
    ("Hardtanh", lambda m: m.Hardtanh(-0.5, 1.5), (-0.5, 1.5)), ("SiLU", lambda m: m.SiLU(), ()),
]


@pytest.mark.parametrize("name,factory,kinks", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_layers_match_pytorch(name, factory, kinks):
    _compare(factory(nn), factory(tnn), _away(2, 4, 3, 2, kinks=kinks))


INPLACE = ["ReLU", "ReLU6", "Hardswish", "Hardsigmoid", "CELU", "SELU", "Mish", "SiLU", "ELU", "LeakyReLU",
           "Hardtanh"]


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_activation_layers_write_into_their_input_as_pytorch(name):
    x = _away(3, 4, kinks=(0.0, 3.0, -3.0, 6.0, 1.0, -1.0))
    a = ag.tensor(x, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    ha, hb = a * 1.0, b * 1.0  # non-leaf: in-place is allowed
    ya, yb = getattr(nn, name)(inplace=True)(ha), getattr(tnn, name)(inplace=True)(hb)
    assert ya is ha and yb is hb
    np.testing.assert_allclose(ha.detach().numpy(), hb.detach().numpy(), rtol=1e-12, atol=1e-12)
    (ya * ya).sum().backward()
    (yb * yb).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("fn", ["relu", "selu", "mish", "hardswish", "celu", "elu", "silu"])
def test_inplace_on_a_leaf_that_requires_grad_is_refused_as_in_pytorch(fn):
    leaf = ag.tensor([1.0, -2.0], requires_grad=True)
    with pytest.raises(RuntimeError) as ours:
        getattr(F, fn)(leaf, inplace=True)
    with pytest.raises(RuntimeError) as theirs:
        getattr(TF, fn)(torch.tensor([1.0, -2.0], requires_grad=True), inplace=True)
    assert "leaf" in str(ours.value) and "leaf" in str(theirs.value)
    with ag.no_grad():  # allowed under no_grad, as in PyTorch
        out = getattr(F, fn)(leaf, inplace=True)
    assert out is leaf
    np.testing.assert_allclose(leaf.detach().numpy()[0], getattr(TF, fn)(torch.tensor([1.0])).item(), rtol=1e-6)


def test_inplace_functional_forms_bump_the_version_and_catch_a_stale_saved_value():
    x = ag.tensor([1.0, -2.0, 3.0], requires_grad=True)
    h = x * 2
    y = h.exp()  # saves its output
    v = h._version
    F.relu_(h)
    assert h._version > v
    F.selu_(h * 1.0)  # a fresh tensor: fine
    z = y * 1.0
    F.leaky_relu_(y, 0.1)  # y was saved by exp: backward must refuse, as in PyTorch
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_prelu_bilinear_linear_embedding_take_device_and_dtype():
    for layer in (nn.PReLU(3, device="cpu", dtype=ag.float64), nn.Linear(2, 3, device="cpu", dtype=ag.float64),
                  nn.Bilinear(2, 3, 4, device=ag.device("cpu"), dtype=ag.float64),
                  nn.Embedding(5, 2, device="cpu", dtype=ag.float64)):
        assert all(p.dtype == np.float64 for p in layer.parameters())
    assert all(p.dtype == np.float32 for p in nn.Bilinear(2, 3, 4).parameters())
    for make in (lambda: nn.Linear(2, 3, device="cuda"), lambda: nn.Bilinear(1, 1, 1, device="cuda:0"),
                 lambda: nn.PReLU(device="mps"), lambda: nn.Embedding(2, 2, device="cuda")):
        with pytest.raises(RuntimeError, match="CPU only"):
            make()


def test_bilinear_layer_matches_pytorch_and_its_init_bounds():
    for bias in (True, False):
        _compare(nn.Bilinear(3, 4, 5, bias=bias), tnn.Bilinear(3, 4, 5, bias=bias), _x(6, 3), _x(6, 4, seed=1))
    _compare(nn.Bilinear(2, 3, 2), tnn.Bilinear(2, 3, 2), _x(2, 3, 2), _x(2, 3, 3, seed=1))  # extra batch dims
    w = nn.Bilinear(16, 3, 200).weight.detach().numpy()
    assert np.abs(w).max() <= 0.25 and np.abs(w).max() > 0.2  # U(-1/sqrt(in1), 1/sqrt(in1))


def test_embedding_max_norm_and_from_pretrained_match_pytorch():
    w = np.arange(20.0).reshape(5, 4) / 5
    ours = nn.Embedding.from_pretrained(ag.tensor(w.copy()), freeze=False, max_norm=1.5, norm_type=1.0)
    theirs = tnn.Embedding.from_pretrained(torch.tensor(w.copy()), freeze=False, max_norm=1.5, norm_type=1.0)
    idx = np.array([[1, 3], [3, 0]])
    yo, yt = ours(ag.tensor(idx)), theirs(torch.tensor(idx))
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-12)
    yo.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy())
    assert repr(ours) == repr(theirs)
    frozen = nn.Embedding.from_pretrained(ag.tensor(w))
    assert not frozen.weight.requires_grad
    with pytest.raises(NotImplementedError, match="scale_grad_by_freq"):
        nn.Embedding(3, 2, scale_grad_by_freq=True)(ag.tensor([0]))


PADS = [
    ("ReflectionPad1d", lambda m: m.ReflectionPad1d((2, 1)), (2, 3, 5)),
    ("ReflectionPad2d", lambda m: m.ReflectionPad2d(2), (1, 2, 4, 3)),
    ("ReflectionPad3d", lambda m: m.ReflectionPad3d((1, 0, 2, 1, 1, 1)), (1, 2, 3, 3, 4)),
    ("ReplicationPad1d", lambda m: m.ReplicationPad1d(3), (2, 5)),
    ("ReplicationPad2d", lambda m: m.ReplicationPad2d((1, 2, 0, 3)), (2, 1, 3, 3)),
    ("ReplicationPad3d", lambda m: m.ReplicationPad3d(1), (2, 2, 2, 3)),
    ("CircularPad1d", lambda m: m.CircularPad1d((1, 3)), (2, 2, 4)),
    ("CircularPad2d", lambda m: m.CircularPad2d(1), (1, 2, 3, 3)),
    ("CircularPad3d", lambda m: m.CircularPad3d((1, 1, 0, 2, 1, 0)), (1, 1, 2, 3, 3)),
    ("ZeroPad1d", lambda m: m.ZeroPad1d((1, 2)), (2, 3, 4)), ("ZeroPad2d", lambda m: m.ZeroPad2d(1), (1, 1, 2, 2)),
    ("ZeroPad3d", lambda m: m.ZeroPad3d((0, 1, 1, 0, 2, 2)), (1, 2, 2, 2)),
    ("ConstantPad1d", lambda m: m.ConstantPad1d(2, 3.5), (2, 4)),
    ("ConstantPad2d", lambda m: m.ConstantPad2d((1, 0, -1, 2), -1.0), (1, 2, 3, 3)),
    ("ConstantPad3d", lambda m: m.ConstantPad3d(1, 0.5), (1, 1, 2, 2, 2)),
]


@pytest.mark.parametrize("name,factory,shape", PADS, ids=[p[0] for p in PADS])
def test_padding_layers_match_pytorch(name, factory, shape):
    ours, theirs = factory(nn), factory(tnn)
    assert repr(ours) == repr(theirs)
    _compare(ours, theirs, _x(*shape))


RESAMPLE = [
    ("Upsample_nearest", lambda m: m.Upsample(scale_factor=2), (1, 2, 3, 3)),
    ("Upsample_linear", lambda m: m.Upsample(size=7, mode="linear"), (2, 2, 4)),
    ("Upsample_bilinear_ac", lambda m: m.Upsample(scale_factor=(1.5, 2.5), mode="bilinear", align_corners=True),
     (1, 1, 4, 3)),
    ("Upsample_bicubic", lambda m: m.Upsample(size=(5, 6), mode="bicubic"), (1, 2, 3, 4)),
    ("Upsample_trilinear", lambda m: m.Upsample(scale_factor=1.5, mode="trilinear"), (1, 1, 2, 3, 2)),
    ("Upsample_nearest_exact", lambda m: m.Upsample(size=(3, 5), mode="nearest-exact"), (1, 1, 5, 3)),
    ("Upsample_area", lambda m: m.Upsample(size=(2, 3), mode="area"), (1, 2, 5, 7)),
    ("Upsample_recompute", lambda m: m.Upsample(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True),
     (1, 1, 3, 4)),
    ("UpsamplingNearest2d", lambda m: m.UpsamplingNearest2d(size=(5, 4)), (1, 2, 3, 2)),
    ("UpsamplingBilinear2d", lambda m: m.UpsamplingBilinear2d(scale_factor=2), (2, 1, 3, 3)),
    ("PixelShuffle", lambda m: m.PixelShuffle(2), (2, 8, 2, 3)),
    ("PixelUnshuffle", lambda m: m.PixelUnshuffle(3), (1, 2, 3, 6)),
    ("Unfold", lambda m: m.Unfold((2, 3), dilation=(1, 2), padding=1, stride=(2, 1)), (2, 2, 5, 6)),
    ("Fold", lambda m: m.Fold((4, 5), 2, padding=(1, 0), stride=(1, 2)), (2, 12, 10)),
]


@pytest.mark.parametrize("name,factory,shape", RESAMPLE, ids=[r[0] for r in RESAMPLE])
def test_resampling_layers_match_pytorch(name, factory, shape):
    ours, theirs = factory(nn), factory(tnn)
    assert repr(ours) == repr(theirs)
    _compare(ours, theirs, _x(*shape))


def test_distance_layers_match_pytorch():
    _compare(nn.CosineSimilarity(), tnn.CosineSimilarity(), _x(4, 5), _x(4, 5, seed=1))
    _compare(nn.CosineSimilarity(0, eps=0.5), tnn.CosineSimilarity(0, eps=0.5), _x(3, 2, scale=0.1),
             _x(3, 1, seed=1))  # eps clamps the norms
    _compare(nn.PairwiseDistance(), tnn.PairwiseDistance(), _x(4, 5), _x(4, 5, seed=1))
    _compare(nn.PairwiseDistance(1.0, eps=0.1, keepdim=True), tnn.PairwiseDistance(1.0, eps=0.1, keepdim=True),
             _x(2, 3, 5), _x(5, seed=1))


def _signs(*shape, seed=3):
    return np.where(np.random.default_rng(seed).random(shape) < 0.5, -1.0, 1.0)


LOSSES = [  # name, factory, inputs, how many of them are differentiated (the rest are targets)
    ("MarginRankingLoss", lambda m: m.MarginRankingLoss(0.3), lambda: (_x(6), _x(6, seed=1), _signs(6)), 3),
    ("HingeEmbeddingLoss", lambda m: m.HingeEmbeddingLoss(0.7, reduction="sum"), lambda: (_x(3, 4), _signs(3, 4)),
     1),
    ("SoftMarginLoss", lambda m: m.SoftMarginLoss(reduction="none"), lambda: (_x(3, 4), _signs(3, 4)), 1),
    ("MultiLabelSoftMarginLoss", lambda m: m.MultiLabelSoftMarginLoss(),
     lambda: (_x(3, 4), (_signs(3, 4) > 0) * 1.0), 2),
    ("CosineEmbeddingLoss", lambda m: m.CosineEmbeddingLoss(-0.2), lambda: (_x(5, 3), _x(5, 3, seed=1), _signs(5)),
     2),
    ("TripletMarginLoss", lambda m: m.TripletMarginLoss(2.0, p=1.0, swap=True),
     lambda: (_x(4, 3), _x(4, 3, seed=1), _x(4, 3, seed=2)), 3),
    ("MultiMarginLoss", lambda m: m.MultiMarginLoss(p=2, margin=0.8), lambda: (_x(4, 5), np.array([0, 4, 2, 2])), 1),
    ("PoissonNLLLoss", lambda m: m.PoissonNLLLoss(full=True),
     lambda: (_x(3, 4), np.arange(12.0).reshape(3, 4) % 5 + 2), 2),
    ("PoissonNLLLoss_rate", lambda m: m.PoissonNLLLoss(log_input=False, reduction="sum"),
     lambda: (np.abs(_x(3, 4)) + 0.1, np.arange(12.0).reshape(3, 4) % 3), 2),
    ("GaussianNLLLoss", lambda m: m.GaussianNLLLoss(full=True), lambda: (_x(3, 4), _x(3, 4, seed=1),
                                                                         np.abs(_x(3, 1, seed=2))), 3),
]


@pytest.mark.parametrize("name,factory,data,n_grad", LOSSES, ids=[c[0] for c in LOSSES])
def test_loss_layers_match_pytorch(name, factory, data, n_grad):
    ours, theirs = factory(nn), factory(tnn)
    assert repr(ours) == repr(theirs)
    _compare(ours, theirs, *data(), n_grad=n_grad)


def test_weighted_margin_losses_match_pytorch():
    w = np.array([0.5, 2.0, 1.0, 3.0, 0.1])
    _compare(nn.MultiMarginLoss(weight=ag.tensor(w), reduction="none"), tnn.MultiMarginLoss(weight=torch.tensor(w),
                                                                                            reduction="none"),
             _x(4, 5), np.array([0, 4, 2, 1]))
    _compare(nn.MultiLabelSoftMarginLoss(weight=ag.tensor(w[:4])),
             tnn.MultiLabelSoftMarginLoss(weight=torch.tensor(w[:4])), _x(3, 4), np.eye(4)[:3], n_grad=1)


def test_legacy_size_average_and_reduce_arguments_map_to_reduction_with_pytorch_warning():
    for sa, red in ((False, None), (None, False), (True, True)):
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            ours = nn.MarginRankingLoss(0.1, sa, red)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = tnn.MarginRankingLoss(0.1, sa, red)
        assert ours.reduction == theirs.reduction
    with pytest.warns(UserWarning, match="reduction='sum'"):
        out = F.soft_margin_loss(ag.tensor([1.0, -2.0]), ag.tensor([1.0, 1.0]), size_average=False)
    assert out.shape == ()
    assert nn.MSELoss(None, None, "sum").reduction == "sum"  # PyTorch's positional order
    assert nn.CrossEntropyLoss(None, None, 3).ignore_index == 3


# ---------------------------------------------------------------------- signatures and reprs
NEW_LAYERS = [
    "ReLU6", "Hardswish", "Hardsigmoid", "CELU", "SELU", "Mish", "Softsign", "Softmin", "GLU", "Hardshrink",
    "Softshrink", "Tanhshrink", "Threshold", "LogSigmoid", "Softmax2d", "Upsample", "UpsamplingNearest2d",
    "UpsamplingBilinear2d", "PixelShuffle", "PixelUnshuffle", "Fold", "Unfold", "ReflectionPad1d", "ReflectionPad2d",
    "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d",
    "ZeroPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "CircularPad1d", "CircularPad2d",
    "CircularPad3d", "CosineSimilarity", "PairwiseDistance", "Bilinear", "Linear", "Embedding", "PReLU", "ReLU",
    "LeakyReLU", "ELU", "Hardtanh", "SiLU", "MarginRankingLoss", "HingeEmbeddingLoss", "SoftMarginLoss",
    "MultiLabelSoftMarginLoss", "CosineEmbeddingLoss", "TripletMarginLoss", "MultiMarginLoss", "PoissonNLLLoss",
    "GaussianNLLLoss", "MSELoss", "L1Loss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss", "NLLLoss",
    "CrossEntropyLoss", "KLDivLoss", "HuberLoss",
]


def _params(fn):
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


@pytest.mark.parametrize("name", NEW_LAYERS)
def test_layer_constructor_signature_is_pytorchs(name):
    theirs = getattr(tnn, name).__init__
    if theirs is tnn.Module.__init__:  # no constructor arguments of its own (Softsign, Tanhshrink, ...)
        assert getattr(nn, name).__init__ is nn.Module.__init__
        return
    assert _params(getattr(nn, name).__init__) == _params(theirs)


FUNCTIONALS = [
    "relu", "relu6", "hardswish", "hardsigmoid", "celu", "selu", "mish", "softsign", "softmin", "glu", "hardshrink",
    "softshrink", "tanhshrink", "threshold", "logsigmoid", "gelu", "silu", "elu", "leaky_relu", "hardtanh", "pad",
    "normalize", "cosine_similarity", "pairwise_distance", "interpolate", "upsample", "upsample_nearest",
    "upsample_bilinear", "pixel_shuffle", "pixel_unshuffle", "unfold", "fold", "bilinear", "triplet_margin_loss",
    "cosine_embedding_loss", "margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss",
    "multilabel_soft_margin_loss", "multi_margin_loss", "gaussian_nll_loss", "poisson_nll_loss", "embedding",
    "relu_", "elu_", "leaky_relu_", "hardtanh_", "celu_", "selu_", "threshold_",
]


def _torch_params(fn):
    try:
        return [(p.name, p.default) for p in inspect.signature(fn).parameters.values() if not p.name.startswith("_")]
    except ValueError:  # a builtin without a signature: its docstring's first line holds it
        return None


@pytest.mark.parametrize("name", FUNCTIONALS)
def test_functional_keywords_and_defaults_are_pytorchs(name):
    theirs = _torch_params(getattr(TF, name))
    ours = [(p.name, p.default) for p in inspect.signature(getattr(F, name)).parameters.values()
            if not p.name.startswith("_")]
    if theirs is None:  # builtins (relu_, hardshrink, pixel_shuffle, ...): the names parse from the docstring
        doc = getattr(TF, name).__doc__.strip().splitlines()[0]
        names = [a.split("=")[0].strip().lstrip("*") for a in doc[doc.index("(") + 1:doc.index(")")].split(",")]
        names = [n for n in names if n]
        assert [n for n, _ in ours][:len(names)] == names, (ours, doc)
        return
    assert ours[:len(theirs)] == theirs and len(ours) == len(theirs)


def test_top_level_names_are_torchs_and_f_only_names_stay_in_nn():
    for n in ("selu", "celu", "threshold", "hardshrink", "pixel_shuffle", "pixel_unshuffle", "constant_pad_nd"):
        assert hasattr(torch, n) and callable(getattr(ag, n))
    for n in ("relu6", "hardswish", "hardsigmoid", "mish", "softsign", "softshrink", "tanhshrink", "glu", "softmin",
              "interpolate", "normalize"):
        assert not hasattr(torch, n) and not hasattr(ag, n) and callable(getattr(F, n))
    x = ag.tensor([-1.0, 0.2, 2.0])
    np.testing.assert_array_equal(x.hardshrink(0.5).numpy(), torch.tensor([-1.0, 0.2, 2.0]).hardshrink(0.5).numpy())
    np.testing.assert_array_equal(ag.constant_pad_nd(x, [1, 2], 7.0).numpy(),
                                  torch.constant_pad_nd(torch.tensor([-1.0, 0.2, 2.0]), [1, 2], 7.0).numpy())


# ---------------------------------------------------------------------- numerics pinned against torch
def test_interpolate_float32_picks_pytorchs_neighbours_and_weights():
    # PyTorch computes source indices in float32 (nearest) and the input's float type (linear, cubic): a float64
    # computation would pick a different neighbour at some sizes. Every small size pair, both ways.
    for mode, k in (("nearest", 1), ("nearest", 2), ("nearest-exact", 1), ("linear", 1), ("bicubic", 2)):
        for n_in in range(1, 9):
            for n_out in range(1, 13):
                x = _x(1, 1, *([n_in] * k)).astype(np.float32)
                kw = {} if mode.startswith("nearest") else {"align_corners": n_out % 2 == 0}
                ours = F.interpolate(ag.tensor(x), size=n_out, mode=mode, **kw).numpy()
                theirs = TF.interpolate(torch.tensor(x), size=n_out, mode=mode, **kw).numpy()
                np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=5e-6, err_msg=f"{mode} {n_in}->{n_out}")
    for sf in (0.3, 0.6, 1.7, 2.5, 3.3):  # scale_factor: PyTorch uses 1 / scale_factor, not in / out
        for mode in ("nearest", "linear", "nearest-exact"):
            x = _x(2, 1, 7).astype(np.float32)
            np.testing.assert_allclose(F.interpolate(ag.tensor(x), scale_factor=sf, mode=mode).numpy(),
                                       TF.interpolate(torch.tensor(x), scale_factor=sf, mode=mode).numpy(),
                                       rtol=1e-5, atol=1e-6)


def test_pad_modes_with_negative_pads_and_corners_match_pytorch():
    x = _x(2, 3, 5, 4)
    for mode in ("reflect", "replicate", "circular"):
        for pad in ((1, 2, 3, -1), (-1, 3, 0, 2), (3, 3, 4, 4) if mode != "reflect" else (3, 3, 4, 4)[:2] + (2, 2)):
            ours = F.pad(ag.tensor(x, requires_grad=True), pad, mode)
            theirs = TF.pad(torch.tensor(x, requires_grad=True), pad, mode)
            np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    x3 = _x(2, 3, 4)
    y = F.pad(ag.tensor(x3), (0, 0), "reflect")
    assert not np.shares_memory(y.numpy(), x3)  # a new tensor even when nothing is padded


def test_conv_padding_modes_now_run_and_match_pytorch():
    for mode in ("reflect", "replicate", "circular"):
        torch.manual_seed(0)
        theirs = tnn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode)
        ours = nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode)
        _compare(ours, theirs, _x(1, 2, 5, 6))


def test_gelu_tanh_and_logsigmoid_at_wide_inputs_match_pytorch():
    x = np.linspace(-40, 40, 81)
    for ours, theirs in ((F.gelu(ag.tensor(x), approximate="tanh"), TF.gelu(torch.tensor(x), approximate="tanh")),
                         (F.logsigmoid(ag.tensor(x)), TF.logsigmoid(torch.tensor(x)))):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10, atol=1e-300)


# ---------------------------------------------------------------------- errors: PyTorch's type, a clear message
def _same_error(ours, theirs, pattern):
    with pytest.raises(Exception) as a:
        ours()
    with pytest.raises(Exception) as b:
        theirs()
    assert type(a.value) is type(b.value), (a.value, b.value)
    assert pytest.raises  # (readability)
    import re

    assert re.search(pattern, str(a.value)), str(a.value)


ERRORS = [
    ("pad_reflect_too_large", lambda M: M.pad(_t(M, 2, 3, 4), (4, 1), "reflect"), r"reflect.*less than"),
    ("pad_mode_dims", lambda M: M.pad(_t(M, 2, 3, 4), (1, 1, 1, 1, 1, 1), "reflect"), r"Padding size 6.*3D"),
    ("pad_circular_wrap", lambda M: M.pad(_t(M, 1, 2, 3), (4, 0), "circular"), r"wrapping around"),
    ("pad_unknown_mode", lambda M: M.pad(_t(M, 1, 2, 3), (1, 0), "mirror"), r"Unrecognised padding mode mirror"),
    ("pad_value_with_reflect", lambda M: M.pad(_t(M, 1, 2, 3), (1, 0), "reflect", 2.0), r"doesn't take in value"),
    ("pad_odd", lambda M: M.pad(_t(M, 1, 2, 3), (1, 0, 1), "replicate"), r"divisible by 2"),
    ("pad_empty_dim", lambda M: M.pad(_t(M, 2, 0, 3), (1, 1), "replicate"), r"non-zero dimensions"),
    ("interp_align_nearest", lambda M: M.interpolate(_t(M, 1, 1, 3), size=4, align_corners=True), r"align_corners"),
    ("interp_mode_dims", lambda M: M.interpolate(_t(M, 1, 1, 3), size=4, mode="bilinear"), r"bilinear mode needs 4D"),
    ("interp_both", lambda M: M.interpolate(_t(M, 1, 1, 3), size=4, scale_factor=2), r"only one of size"),
    ("interp_neither", lambda M: M.interpolate(_t(M, 1, 1, 3)), r"either size or scale_factor"),
    ("interp_size_len", lambda M: M.interpolate(_t(M, 1, 1, 3), size=(2, 3)), r"same number of spatial"),
    ("interp_zero_out", lambda M: M.interpolate(_t(M, 1, 1, 4), scale_factor=0.1), r"greater than 0"),
    ("interp_2d_input", lambda M: M.interpolate(_t(M, 2, 3), size=2), r"Only 3D, 4D and 5D"),
    ("interp_antialias_nearest", lambda M: M.interpolate(_t(M, 1, 1, 3, 3), size=2, antialias=True),
     r"Anti-alias option is restricted"),
    ("unfold_too_big", lambda M: M.unfold(_t(M, 1, 2, 3, 3), 4), r"sliding blocks.*at least one"),
    ("unfold_2d", lambda M: M.unfold(_t(M, 3, 3), 2), r""),
    ("fold_kernel_product", lambda M: M.fold(_t(M, 1, 7, 9), (4, 4), 2), r"divisible by the product of kernel_size"),
    ("fold_blocks", lambda M: M.fold(_t(M, 1, 8, 8), (4, 4), 2), r"number of sliding blocks 3 \* 3 = 9"),
    ("pixel_shuffle_channels", lambda M: M.pixel_shuffle(_t(M, 5, 3, 3), 2), r"divisible by the square"),
    ("pixel_unshuffle_width", lambda M: M.pixel_unshuffle(_t(M, 2, 4, 3), 2), r"width to be divisible"),
    ("pixel_shuffle_rank", lambda M: M.pixel_shuffle(_t(M, 3, 3), 1), r"at least 3 dimensions"),
    ("glu_odd", lambda M: M.glu(_t(M, 3, 3), 1), r"Halving dimension must be even"),
    ("glu_scalar", lambda M: M.glu(_t(M), 0), r"does not support scalars"),
    ("softshrink_negative", lambda M: M.softshrink(_t(M, 3), -1.0), r"lambda must be"),
    ("celu_alpha0", lambda M: M.celu(_t(M, 3), 0.0), r"alpha cannot be 0"),
    ("multi_margin_p3", lambda M: M.multi_margin_loss(_t(M, 2, 3), _i(M, [0, 1]), p=3), r"only p == 1 and p == 2"),
    ("multi_margin_target", lambda M: M.multi_margin_loss(_t(M, 2, 3), _i(M, [0, 5])), r"target out of range"),
    ("multi_margin_target_size", lambda M: M.multi_margin_loss(_t(M, 2, 3), _i(M, [0, 1, 2])),
     r"inconsistent target size"),
    ("gaussian_negative_var", lambda M: M.gaussian_nll_loss(_t(M, 3), _t(M, 3), -_t(M, 3).abs() - 1), r"negative"),
    ("gaussian_var_size", lambda M: M.gaussian_nll_loss(_t(M, 3, 4), _t(M, 3, 4), _t(M, 2, 4).abs()),
     r"var is of incorrect size"),
    ("triplet_margin", lambda M: M.triplet_margin_loss(_t(M, 2, 3), _t(M, 2, 3), _t(M, 2, 3), margin=0.0),
     r"margin must be greater than 0"),
    ("triplet_dims", lambda M: M.triplet_margin_loss(_t(M, 2, 3), _t(M, 3), _t(M, 2, 3)), r"same number of dim"),
    ("cosine_embedding_dims", lambda M: M.cosine_embedding_loss(_t(M, 2, 3), _t(M, 2, 3), _t(M)),
     r"0D target tensor expects 1D input"),
    ("margin_ranking_dims", lambda M: M.margin_ranking_loss(_t(M, 2), _t(M, 2), _t(M, 1, 2)), r"same dimension"),
    ("bilinear_dims", lambda M: M.bilinear(_t(M, 2, 3), _t(M, 3), _t(M, 2, 3, 3)), r"input dimensions do not match"),
    ("bilinear_dtypes", lambda M: M.bilinear(_t(M, 2, 3), _t(M, 2, 3).float(), _t(M, 2, 3, 3)),
     r"All tensors must have the same dtype"),
    ("multi_margin_weight_dtype", lambda M: M.multi_margin_loss(_t(M, 2, 3).float(), _i(M, [0, 1]),
                                                                weight=_t(M, 3)), r"expected scalar type Float"),
    ("bad_reduction", lambda M: M.soft_margin_loss(_t(M, 2), _t(M, 2), reduction="avg"), r"not a valid value"),
    ("cosine_similarity_int", lambda M: M.cosine_similarity(_i(M, [1, 2]), _i(M, [1, 2]), 0), r"floating point"),
]


def _t(M, *shape):
    x = _x(*shape) if shape else np.array(0.5)
    return torch.tensor(x) if M is TF else ag.tensor(x)


def _i(M, v):
    return torch.tensor(v) if M is TF else ag.tensor(np.array(v))


@pytest.mark.parametrize("name,call,pattern", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_have_pytorchs_type_and_a_clear_message(name, call, pattern):
    _same_error(lambda: call(F), lambda: call(TF), pattern)


def test_layer_errors_match_pytorch():
    _same_error(lambda: nn.Softmax2d()(ag.zeros(2, 3)), lambda: tnn.Softmax2d()(torch.zeros(2, 3)), r"3D or 4D")
    _same_error(lambda: nn.CircularPad2d(1)(ag.zeros(2, 3)), lambda: tnn.CircularPad2d(1)(torch.zeros(2, 3)),
                r"expected 3D or 4D input")
    _same_error(lambda: nn.TripletMarginLoss(margin=-1.0), lambda: tnn.TripletMarginLoss(margin=-1.0), r"")
    _same_error(lambda: nn.MultiMarginLoss(p=3), lambda: tnn.MultiMarginLoss(p=3), r"only p == 1 and p == 2")
    with pytest.raises(NotImplementedError, match="antialias=True is not implemented"):
        F.interpolate(ag.zeros(1, 1, 4, 4), size=2, mode="bilinear", antialias=True)


def test_deprecated_upsample_aliases_warn_and_resample():
    x = _x(1, 1, 3, 3)
    for ours, theirs in ((F.upsample, TF.upsample), (F.upsample_nearest, TF.upsample_nearest),
                         (F.upsample_bilinear, TF.upsample_bilinear)):
        with pytest.warns(UserWarning, match="deprecated"):
            a = ours(ag.tensor(x), scale_factor=2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            b = theirs(torch.tensor(x), scale_factor=2)
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


def test_softmin_without_dim_warns_and_picks_pytorchs_dim():
    for shape in ((3,), (2, 3), (2, 3, 4), (2, 3, 4, 5)):
        x = _x(*shape)
        with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
            a = F.softmin(ag.tensor(x))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            b = TF.softmin(torch.tensor(x))
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
    y = F.softmin(ag.tensor(_x(2, 3)), 1, dtype=ag.float32)
    assert y.dtype == np.float32


def test_loss_result_dtypes_follow_pytorch_with_mixed_float_inputs():
    x32, t64 = _x(3, 4).astype(np.float32), np.sign(_x(3, 4, seed=1))
    for fn, args in (("soft_margin_loss", (x32, t64)), ("hinge_embedding_loss", (x32, t64)),
                     ("margin_ranking_loss", (x32[:, 0], x32[:, 1], t64[:, 0])),
                     ("cosine_embedding_loss", (x32, x32, t64[:, 0])), ("poisson_nll_loss", (x32, np.abs(t64))),
                     ("multilabel_soft_margin_loss", (x32, (t64 > 0) * 1.0))):
        ours = getattr(F, fn)(*[ag.tensor(a) for a in args])
        theirs = getattr(TF, fn)(*[torch.tensor(a) for a in args])
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), fn


def test_interpolate_keeps_inf_and_nan_where_pytorch_does():
    # a zero weight times inf would be nan: non-finite values take the tap-by-tap path (forward and backward)
    x = _x(1, 1, 4, 5)
    x[0, 0, 1, 2], x[0, 0, 3, 0] = np.inf, np.nan
    g = _x(1, 1, 7, 8, seed=2)
    g[0, 0, 2, 3] = -np.inf
    for mode, kw in (("bilinear", {"align_corners": False}), ("bicubic", {"align_corners": True}),
                     ("nearest", {})):
        xo, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        yo, yt = F.interpolate(xo, size=(7, 8), mode=mode, **kw), TF.interpolate(xt, size=(7, 8), mode=mode, **kw)
        np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-12)
        yo.backward(ag.tensor(g))
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-12)
