"""nn.utils' hook-style spectral_norm, Conv/Linear + BatchNorm fusion, the torch.nn.utils submodule paths and
nn.init's deprecated names, against closed forms and against PyTorch 2.13."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import nn


def _torch():
    return pytest.importorskip("torch")


def _np(t):
    return t.detach().numpy()


def test_spectral_norm_divides_by_the_largest_singular_value():
    ag.manual_seed(0)
    m = nn.utils.spectral_norm(nn.Linear(5, 4).double(), n_power_iterations=50)
    assert sorted(m.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight_orig"]
    m(ag.ones(1, 5, dtype=ag.float64))
    s = np.linalg.svd(_np(m.weight_orig), compute_uv=False)
    np.testing.assert_allclose(np.linalg.svd(_np(m.weight), compute_uv=False)[0], 1.0, rtol=1e-10)
    np.testing.assert_allclose(_np(m.weight), _np(m.weight_orig) / s[0], rtol=1e-10)
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks on the same parameter weight"):
        nn.utils.spectral_norm(m)
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive, but got n_power_iterations=0"):
        nn.utils.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(ValueError, match="spectral_norm of 'bias' not found"):
        nn.utils.remove_spectral_norm(m, "bias")


def test_spectral_norm_steps_match_torch():
    torch = _torch()
    for make, tmake, shape in ((lambda: nn.Linear(4, 3), lambda: torch.nn.Linear(4, 3), (2, 4)),
                               (lambda: nn.Conv2d(2, 3, 3), lambda: torch.nn.Conv2d(2, 3, 3), (1, 2, 5, 5)),
                               (lambda: nn.ConvTranspose2d(2, 3, 3), lambda: torch.nn.ConvTranspose2d(2, 3, 3),
                                (1, 2, 4, 4))):
        m = nn.utils.spectral_norm(make().double())
        tm = torch.nn.utils.spectral_norm(tmake().double())
        m.load_state_dict({k: ag.tensor(v.numpy()) for k, v in tm.state_dict().items()})  # incl. u and v
        x = np.random.default_rng(0).standard_normal(shape)
        for _ in range(3):  # training mode: a power iteration per forward, buffers updated in place
            y, ty = m(ag.tensor(x)), tm(torch.tensor(x))
            np.testing.assert_allclose(_np(y), ty.detach().numpy(), atol=1e-12)
            (y * y).sum().backward()
            (ty * ty).sum().backward()
            np.testing.assert_allclose(m.weight_orig.grad.numpy(), tm.weight_orig.grad.numpy(), atol=1e-10)
            np.testing.assert_allclose(_np(m.weight_u), tm.weight_u.numpy(), atol=1e-12)
        m.eval()
        tm.eval()
        np.testing.assert_allclose(_np(m(ag.tensor(x))), tm(torch.tensor(x)).detach().numpy(), atol=1e-12)
        nn.utils.remove_spectral_norm(m)
        torch.nn.utils.remove_spectral_norm(tm)
        assert sorted(m.state_dict()) == sorted(tm.state_dict())
        np.testing.assert_allclose(_np(m.weight), tm.weight.detach().numpy(), atol=1e-12)


def test_fusion_equals_the_eval_pair_and_matches_torch():
    torch = _torch()
    rng = np.random.default_rng(1)
    cases = [(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4),
              (2, 3, 6, 6), False),
             (nn.ConvTranspose2d(3, 4, 3, bias=False), nn.BatchNorm2d(4), torch.nn.ConvTranspose2d(3, 4, 3, bias=False),
              torch.nn.BatchNorm2d(4), (2, 3, 4, 4), True),
             (nn.Linear(5, 4), nn.BatchNorm1d(4), torch.nn.Linear(5, 4), torch.nn.BatchNorm1d(4), (3, 5), None)]
    for conv, bn, tconv, tbn, shape, transpose in cases:
        conv, bn, tconv, tbn = conv.double(), bn.double(), tconv.double(), tbn.double()
        sd = {"running_mean": rng.standard_normal(4), "running_var": rng.uniform(0.5, 2, 4),
              "weight": rng.standard_normal(4), "bias": rng.standard_normal(4)}
        tbn.load_state_dict({**tbn.state_dict(), **{k: torch.tensor(v) for k, v in sd.items()}})
        bn.load_state_dict({k: ag.tensor(v.numpy()) for k, v in tbn.state_dict().items()})
        conv.load_state_dict({k: ag.tensor(v.numpy()) for k, v in tconv.state_dict().items()})
        for mod in (conv, bn, tconv, tbn):
            mod.eval()
        x = rng.standard_normal(shape)
        if transpose is None:
            fused, tfused = nn.utils.fuse_linear_bn_eval(conv, bn), torch.nn.utils.fuse_linear_bn_eval(tconv, tbn)
        else:
            fused = nn.utils.fuse_conv_bn_eval(conv, bn, transpose=transpose)
            tfused = torch.nn.utils.fuse_conv_bn_eval(tconv, tbn, transpose=transpose)
        want = _np(bn(conv(ag.tensor(x))))
        np.testing.assert_allclose(_np(fused(ag.tensor(x))), want, atol=1e-12)
        np.testing.assert_allclose(_np(fused(ag.tensor(x))), tfused(torch.tensor(x)).detach().numpy(), atol=1e-12)
        assert isinstance(fused.weight, nn.Parameter) and isinstance(fused.bias, nn.Parameter)
        assert fused is not conv and _np(conv.weight).shape == _np(fused.weight).shape
    conv, bn = nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        nn.utils.fuse_conv_bn_eval(conv, bn)
    with pytest.raises(AssertionError, match="linear.out_features must equal bn.num_features"):
        nn.utils.fuse_linear_bn_eval(nn.Linear(2, 3).eval(), nn.BatchNorm1d(2).eval())


def test_submodule_paths_and_deprecated_init_names():
    from autograd_core.nn.utils.clip_grad import clip_grad_norm_
    from autograd_core.nn.utils.convert_parameters import parameters_to_vector
    from autograd_core.nn.utils.fusion import fuse_conv_bn_weights
    from autograd_core.nn.utils.stateless import functional_call

    m = nn.Linear(2, 1)
    assert clip_grad_norm_ is nn.utils.clip_grad_norm_ and fuse_conv_bn_weights is nn.utils.fuse_conv_bn_weights
    assert parameters_to_vector(m.parameters()).shape == (3,)
    out = functional_call(m, {"weight": ag.tensor([[1.0, 1.0]]), "bias": ag.tensor([1.0])}, (ag.ones(1, 2),))
    assert out.item() == 3.0
    t = ag.empty(3, 3)
    with pytest.warns(FutureWarning, match=r"`nn.init.eye` is now deprecated in favor of `nn.init.eye_`"):
        nn.init.eye(t)
    np.testing.assert_array_equal(t.numpy(), np.eye(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nn.init.constant(t, 2.5)
    assert (t.numpy() == 2.5).all()
