"""nn.utils.parametrize / parametrizations / prune, optim.swa_utils, utils.checkpoint and the StackDataset /
ChainDataset datasets against PyTorch itself (same weights copied through state_dict, same data, float64):
values, gradients, state_dict keys, reprs, and the errors of the same mistakes."""

from __future__ import annotations

import copy
import gc
import pickle
import warnings
import weakref
from collections import namedtuple

import autograd_core.nn.utils.parametrizations as PZ
import autograd_core.nn.utils.parametrize as P
import autograd_core.nn.utils.prune as PR
import numpy as np
import pytest
from autograd_core.optim import swa_utils as S

import autograd_core as ag
from autograd_core import nn, optim
from autograd_core.data import ChainDataset, IterableDataset, StackDataset, TensorDataset
from autograd_core.utils.checkpoint import CheckpointError, checkpoint, checkpoint_sequential

torch = pytest.importorskip("torch")
TP = pytest.importorskip("torch.nn.utils.parametrize")
TPZ = pytest.importorskip("torch.nn.utils.parametrizations")
TPR = pytest.importorskip("torch.nn.utils.prune")
TS = pytest.importorskip("torch.optim.swa_utils")
TCK = pytest.importorskip("torch.utils.checkpoint")

TOL = 1e-10


def _np(t) -> np.ndarray:
    return t.detach().numpy()


def _copy_state(theirs, ours) -> None:
    """PyTorch's state_dict loaded into ours (same keys required)."""
    ours.load_state_dict({k: ag.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})


def _pair(ours_cls, theirs_cls, *args):
    t = theirs_cls(*args).double()
    m = ours_cls(*args).double()
    _copy_state(t, m)
    return m, t


def _assert_same_state(m, t, tol: float = TOL) -> None:
    sd, tsd = m.state_dict(), t.state_dict()
    assert list(sd) == list(tsd)
    for k in sd:
        np.testing.assert_allclose(sd[k].numpy(), tsd[k].detach().numpy(), rtol=tol, atol=tol, err_msg=k)


def _assert_same_grads(m, t, tol: float = TOL) -> None:
    tp = dict(t.named_parameters())
    names = [n for n, _ in m.named_parameters()]
    assert names == list(tp)
    for n, p in m.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tp[n].grad.numpy(), rtol=tol, atol=tol, err_msg=n)


# ====================================================================== parametrize
class _Sym(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).mT

    def right_inverse(self, A):
        return A.triu()


class _TSym(torch.nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).mT

    def right_inverse(self, A):
        return A.triu()


class _Scale(nn.Module):
    def forward(self, X):
        return 3.0 * X

    def right_inverse(self, A):
        return A / 3.0


class _TScale(torch.nn.Module):
    def forward(self, X):
        return 3.0 * X

    def right_inverse(self, A):
        return A / 3.0


class _RankOne(nn.Module):
    def forward(self, x, y):
        return x.unsqueeze(-1) @ y.unsqueeze(-2)

    def right_inverse(self, Z):
        return Z[:, 0].clone(), Z[0, :].clone() / Z[0, 0]


class _TRankOne(torch.nn.Module):
    def forward(self, x, y):
        return x.unsqueeze(-1) @ y.unsqueeze(-2)

    def right_inverse(self, Z):
        return Z[:, 0].clone(), Z[0, :].clone() / Z[0, 0]


def test_register_parametrization_matches_pytorch_values_grads_keys_and_repr():
    m, t = _pair(nn.Linear, torch.nn.Linear, 4, 4)
    w_before = m.weight
    P.register_parametrization(m, "weight", _Sym())
    TP.register_parametrization(t, "weight", _TSym())
    assert type(m).__name__ == type(t).__name__ == "ParametrizedLinear"
    assert repr(m).replace("_Sym", "X") == repr(t).replace("_TSym", "X")
    assert list(m.state_dict()) == list(t.state_dict()) == ["bias", "parametrizations.weight.original"]
    # the original is the same tensor object as the old parameter (an optimiser built before keeps training it)
    assert m.parametrizations.weight.original is w_before
    assert isinstance(m.parametrizations.weight, P.ParametrizationList)
    np.testing.assert_allclose(_np(m.weight), _np(t.weight), rtol=0, atol=0)
    w = _np(m.weight)
    np.testing.assert_array_equal(w, w.T)
    x = np.random.default_rng(0).standard_normal((3, 4))
    m(ag.tensor(x)).tanh().sum().backward()
    t(torch.tensor(x)).tanh().sum().backward()
    _assert_same_grads(m, t)
    assert P.is_parametrized(m) and P.is_parametrized(m, "weight") and not P.is_parametrized(m, "bias")
    assert P.type_before_parametrizations(m) is nn.Linear


def test_assignment_goes_through_right_inverse_and_chained_parametrizations_apply_in_order():
    m, t = _pair(nn.Linear, torch.nn.Linear, 4, 4)
    for reg, mod, ps in ((P.register_parametrization, m, (_Sym(), _Scale())),
                         (TP.register_parametrization, t, (_TSym(), _TScale()))):
        for p in ps:
            reg(mod, "weight", p)
    assert len(m.parametrizations.weight) == 2
    np.testing.assert_allclose(_np(m.weight), _np(t.weight), rtol=TOL, atol=TOL)
    a = np.random.default_rng(1).standard_normal((4, 4))
    a = a + a.T
    m.weight = ag.tensor(a)
    t.weight = torch.tensor(a)
    np.testing.assert_allclose(_np(m.weight), a, rtol=TOL, atol=TOL)
    _assert_same_state(m, t)
    x = np.random.default_rng(2).standard_normal((2, 4))
    (m(ag.tensor(x)) ** 2).sum().backward()
    (t(torch.tensor(x)) ** 2).sum().backward()
    _assert_same_grads(m, t)


def test_remove_parametrizations_leave_parametrized_both_ways():
    for leave in (True, False):
        m, t = _pair(nn.Linear, torch.nn.Linear, 3, 3)
        P.register_parametrization(m, "weight", _Sym())
        TP.register_parametrization(t, "weight", _TSym())
        orig = m.parametrizations.weight.original
        P.remove_parametrizations(m, "weight", leave_parametrized=leave)
        TP.remove_parametrizations(t, "weight", leave_parametrized=leave)
        assert type(m) is nn.Linear and not P.is_parametrized(m)
        assert "parametrizations" not in m._modules
        assert m.weight is orig and isinstance(m.weight, nn.Parameter)
        _assert_same_state(m, t)
        assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]


def test_several_originals_from_right_inverse():
    z = np.outer([1.0, 2.0, -1.0], [2.0, 0.5, 1.0, 3.0])
    m, t = nn.Linear(4, 3).double(), torch.nn.Linear(4, 3).double()
    with ag.no_grad():
        m.weight.copy_(ag.tensor(z))
    with torch.no_grad():
        t.weight.copy_(torch.tensor(z))
    m.bias.data = ag.tensor(t.bias.detach().numpy().copy())
    P.register_parametrization(m, "weight", _RankOne())
    TP.register_parametrization(t, "weight", _TRankOne())
    assert list(m.state_dict()) == list(t.state_dict()) == [
        "bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
    _assert_same_state(m, t)
    np.testing.assert_allclose(_np(m.weight), z, rtol=TOL, atol=TOL)
    with pytest.raises(ValueError, match="Cannot leave unparametrized"):
        P.remove_parametrizations(m, "weight", leave_parametrized=False)
    P.remove_parametrizations(m, "weight")
    np.testing.assert_allclose(_np(m.weight), z, rtol=TOL, atol=TOL)
    assert isinstance(m.weight, nn.Parameter)


def test_unsafe_allows_a_shape_change_and_safe_mode_names_it():
    class Flat(nn.Module):
        def forward(self, X):
            return X.reshape(-1)

    with pytest.raises(ValueError, match="may not change the shape"):
        P.register_parametrization(nn.Linear(3, 2), "weight", Flat())
    m = P.register_parametrization(nn.Linear(3, 2), "weight", Flat(), unsafe=True)
    assert tuple(m.weight.shape) == (6,)
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized element"):
        P.register_parametrization(nn.Linear(3, 2), "nope", Flat())
    with pytest.raises(ValueError, match="does not have a parametrization on bias"):
        P.remove_parametrizations(m, "bias")
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        m.weight = nn.Parameter(ag.zeros(6))


def test_cached_computes_each_parametrized_tensor_once():
    calls = []

    class Count(nn.Module):
        def forward(self, X):
            calls.append(1)
            return X * 2

    m = P.register_parametrization(nn.Linear(3, 3), "weight", Count())
    calls.clear()
    m.weight, m.weight  # noqa: B018
    assert len(calls) == 2
    calls.clear()
    with P.cached():
        w1, w2 = m.weight, m.weight
    assert len(calls) == 1 and w1 is w2
    m.weight  # noqa: B018  (outside the block: computed again)
    assert len(calls) == 2


def test_parametrized_module_deepcopies_but_refuses_pickle():
    m = PZ.orthogonal(nn.Linear(3, 3).double())
    c = copy.deepcopy(m)
    assert type(c).__name__ == "ParametrizedLinear"
    assert c.parametrizations.weight.original is not m.parametrizations.weight.original
    np.testing.assert_array_equal(_np(c.weight), _np(m.weight))
    with pytest.raises(RuntimeError, match="Serialization of parametrized modules is only supported through"):
        pickle.dumps(m)


def test_transfer_parametrizations_and_params():
    a = P.register_parametrization(nn.Linear(3, 3).double(), "weight", _Sym())
    b = nn.Linear(3, 3).double()
    P.transfer_parametrizations_and_params(a, b)
    assert P.is_parametrized(b, "weight")
    assert b.parametrizations.weight.original is a.parametrizations.weight.original
    np.testing.assert_array_equal(_np(b.weight), _np(a.weight))


# ====================================================================== parametrizations
@pytest.mark.parametrize("orthogonal_map", [None, "matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("shape", [(5, 5), (6, 3), (3, 6)])
@pytest.mark.parametrize("use_trivialization", [True, False])
def test_orthogonal_matches_pytorch(orthogonal_map, shape, use_trivialization):
    t = torch.nn.Linear(shape[1], shape[0]).double()
    m = nn.Linear(shape[1], shape[0]).double()
    _copy_state(t, m)
    TPZ.orthogonal(t, orthogonal_map=orthogonal_map, use_trivialization=use_trivialization)
    PZ.orthogonal(m, orthogonal_map=orthogonal_map, use_trivialization=use_trivialization)
    assert repr(m) == repr(t)
    # the initial value: PyTorch's own QR-based orthogonalisation, reproduced (except the random completion of a
    # non-square base, copied over with the rest of the state next)
    if use_trivialization and shape[0] == shape[1] or not use_trivialization:
        _assert_same_state(m, t, tol=1e-12)
    _copy_state(t, m)
    q = _np(m.weight)
    np.testing.assert_allclose(q, _np(t.weight), rtol=1e-12, atol=1e-12)
    gram = q.T @ q if shape[0] >= shape[1] else q @ q.T
    np.testing.assert_allclose(gram, np.eye(min(shape)), atol=1e-12)
    x = np.random.default_rng(3).standard_normal((2, shape[1]))
    (m(ag.tensor(x)) ** 2).sum().backward()
    (t(torch.tensor(x)) ** 2).sum().backward()
    _assert_same_grads(m, t, tol=1e-10)


@pytest.mark.parametrize("kind", ["complex", "batched-tall", "batched-wide"])
def test_orthogonal_complex_and_batched_weights_match_pytorch(kind):
    rng = np.random.default_rng(8)
    shape = {"complex": (4, 4), "batched-tall": (2, 5, 3), "batched-wide": (3, 2, 4)}[kind]
    w = rng.standard_normal(shape) + (1j * rng.standard_normal(shape) if kind == "complex" else 0)

    class Ours(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(ag.tensor(w))

    class Theirs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = torch.nn.Parameter(torch.tensor(w))

    m, t = Ours(), Theirs()
    PZ.orthogonal(m)
    TPZ.orthogonal(t)
    if shape[-1] != shape[-2]:
        _copy_state(t, m)  # a non-square base is completed with random columns
    np.testing.assert_allclose(_np(m.weight), _np(t.weight), rtol=1e-12, atol=1e-12)
    c = rng.standard_normal(shape)
    (m.weight.abs() ** 2 * ag.tensor(c)).sum().backward()
    (t.weight.abs() ** 2 * torch.tensor(c)).sum().backward()
    _assert_same_grads(m, t)


def test_orthogonal_second_derivatives_and_errors():
    m = PZ.orthogonal(nn.Linear(4, 4).double())
    orig = m.parametrizations.weight.original
    plist = m.parametrizations.weight
    o = ag.tensor(_np(orig) + 0.1 * np.random.default_rng(4).standard_normal((4, 4)), requires_grad=True)
    assert ag.gradcheck(lambda z: plist[0](z), (o,))
    assert ag.gradgradcheck(lambda z: plist[0](z), (o,))
    h = PZ.orthogonal(nn.Linear(3, 5).double(), orthogonal_map="householder")
    o2 = ag.tensor(np.random.default_rng(5).standard_normal((5, 3)), requires_grad=True)
    assert ag.gradgradcheck(lambda z: h.parametrizations.weight[0](z), (o2,))
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices. Got a tensor of 1 dimensions"):
        PZ.orthogonal(nn.Linear(3, 3), name="bias")
    with pytest.raises(ValueError, match='orthogonal_map has to be one of "matrix_exp", "cayley", "householder"'):
        PZ.orthogonal(nn.Linear(3, 3), orthogonal_map="qr")
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'w'"):
        PZ.orthogonal(nn.Linear(3, 3), name="w")
    m = PZ.orthogonal(nn.Linear(3, 3), use_trivialization=False)
    with pytest.raises(NotImplementedError, match="not possible to assign to the matrix exponential"):
        m.weight = ag.eye(3)


@pytest.mark.parametrize("dim", [0, 1, -2, None])
def test_weight_norm_parametrization_matches_pytorch(dim):
    m, t = _pair(nn.Conv2d, torch.nn.Conv2d, 2, 3, 3)
    PZ.weight_norm(m, dim=dim)
    TPZ.weight_norm(t, dim=dim)
    assert repr(m) == repr(t)
    assert tuple(m.parametrizations.weight.original0.shape) == tuple(t.parametrizations.weight.original0.shape)
    _assert_same_state(m, t, tol=1e-12)
    x = np.random.default_rng(6).standard_normal((2, 2, 5, 5))
    (m(ag.tensor(x)) ** 2).sum().backward()
    (t(torch.tensor(x)) ** 2).sum().backward()
    _assert_same_grads(m, t)
    g, v = m.parametrizations.weight.original0, m.parametrizations.weight.original1
    wn = m.parametrizations.weight[0]
    assert ag.gradgradcheck(lambda a, b: wn(a, b), (g.detach().requires_grad_(), v.detach().requires_grad_()))


def test_spectral_norm_power_iteration_matches_pytorch_step_by_step():
    for ours, theirs, kw, shape in ((nn.Linear(4, 6), torch.nn.Linear(4, 6), {}, (2, 4)),
                                    (nn.ConvTranspose2d(3, 2, 3), torch.nn.ConvTranspose2d(3, 2, 3),
                                     {"n_power_iterations": 3, "eps": 1e-10}, (1, 3, 4, 4))):
        ours.double()
        theirs.double()
        _copy_state(theirs, ours)
        PZ.spectral_norm(ours, **kw)
        TPZ.spectral_norm(theirs, **kw)
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        assert ours.parametrizations.weight[0].dim == theirs.parametrizations.weight[0].dim  # 1 for ConvTranspose
        _copy_state(theirs, ours)  # the random starting u, v
        for step in range(3):
            x = np.random.default_rng(step).standard_normal(shape)
            y, ty = ours(ag.tensor(x)), theirs(torch.tensor(x))
            np.testing.assert_allclose(_np(y), _np(ty), rtol=TOL, atol=TOL)
            y.sum().backward()
            ty.sum().backward()
            _assert_same_grads(ours, theirs, tol=1e-9)
            _assert_same_state(ours, theirs, tol=1e-12)  # _u, _v after the power iteration
        ours.eval()
        theirs.eval()
        u = _np(ours.parametrizations.weight[0]._u).copy()
        np.testing.assert_allclose(_np(ours.weight), _np(theirs.weight), rtol=TOL, atol=TOL)
        np.testing.assert_array_equal(_np(ours.parametrizations.weight[0]._u), u)  # no iteration in eval mode
    w = _np(ours.weight)
    mat = w.transpose(1, 0, 2, 3).reshape(w.shape[1], -1)
    assert abs(np.linalg.svd(mat, compute_uv=False)[0] - 1.0) < 1e-2
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive"):
        PZ.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        PZ.spectral_norm(nn.Linear(2, 2), dim=2)


def test_spectral_norm_of_a_vector_normalises_it():
    m = PZ.spectral_norm(nn.Linear(3, 4).double(), name="bias")
    np.testing.assert_allclose(np.linalg.norm(_np(m.bias)), 1.0, rtol=1e-12)


# ====================================================================== prune
def _prune_both(m, t, fn: str, *args, **kwargs):
    getattr(PR, fn)(m, *args, **kwargs)
    getattr(TPR, fn)(t, *args, **kwargs)
    _assert_same_state(m, t, tol=0)


def test_l1_and_ln_structured_pruning_combine_as_pytorch_and_gradients_follow_the_mask():
    m, t = _pair(nn.Conv2d, torch.nn.Conv2d, 3, 4, 3)
    _prune_both(m, t, "l1_unstructured", "weight", amount=0.3)
    assert list(m.state_dict()) == ["bias", "weight_orig", "weight_mask"]
    assert not isinstance(m.weight, nn.Parameter) and isinstance(m.weight_orig, nn.Parameter)
    _prune_both(m, t, "ln_structured", "weight", amount=0.5, n=2, dim=0)
    _prune_both(m, t, "l1_unstructured", "weight", amount=5)
    hook = next(iter(m._forward_pre_hooks.values()))
    assert isinstance(hook, PR.PruningContainer) and len(hook) == 3
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6))
    m(ag.tensor(x)).sum().backward()
    t(torch.tensor(x)).sum().backward()
    _assert_same_grads(m, t)
    assert np.all(m.weight_orig.grad.numpy()[m.weight_mask.numpy() == 0] == 0)
    assert PR.is_pruned(m)
    PR.remove(m, "weight")
    TPR.remove(t, "weight")
    _assert_same_state(m, t, tol=0)
    assert isinstance(m.weight, nn.Parameter) and not PR.is_pruned(m)
    with pytest.raises(ValueError, match="has to be pruned before pruning can be removed"):
        PR.remove(m, "weight")


@pytest.mark.parametrize("n", [1, 2, 3, float("inf"), "fro"])
def test_ln_structured_norms(n):
    m, t = _pair(nn.Linear, torch.nn.Linear, 5, 6)
    _prune_both(m, t, "ln_structured", "weight", amount=2, n=n, dim=-1)
    _prune_both(m, t, "ln_structured", "weight", amount=0.34, n=n, dim=0)


def test_global_unstructured_custom_from_mask_identity_and_importance_scores():
    m1, t1 = _pair(nn.Linear, torch.nn.Linear, 5, 6)
    m2, t2 = _pair(nn.Linear, torch.nn.Linear, 6, 2)
    _prune_both(m1, t1, "l1_unstructured", "bias", amount=2)
    PR.global_unstructured([(m1, "weight"), (m2, "weight"), (m1, "bias")], PR.L1Unstructured, amount=0.4)
    TPR.global_unstructured([(t1, "weight"), (t2, "weight"), (t1, "bias")], TPR.L1Unstructured, amount=0.4)
    _assert_same_state(m1, t1, tol=0)
    _assert_same_state(m2, t2, tol=0)
    total = m1.weight_mask.numel() + m2.weight_mask.numel() + m1.bias_mask.numel()
    zeros = sum(int((b.numpy() == 0).sum()) for b in (m1.weight_mask, m2.weight_mask, m1.bias_mask))
    assert zeros == 2 + round(0.4 * (total - 2))  # 40% of what the earlier bias pruning left alive
    mask = (np.random.default_rng(1).random((6, 5)) > 0.5).astype(np.float64)
    m, t = _pair(nn.Linear, torch.nn.Linear, 5, 6)
    PR.custom_from_mask(m, "weight", ag.tensor(mask))
    TPR.custom_from_mask(t, "weight", torch.tensor(mask))
    _assert_same_state(m, t, tol=0)
    _prune_both(m, t, "identity", "bias")
    scores = np.arange(30.0).reshape(6, 5)[::-1].copy()
    m, t = _pair(nn.Linear, torch.nn.Linear, 5, 6)
    PR.l1_unstructured(m, "weight", 7, importance_scores=ag.tensor(scores))
    TPR.l1_unstructured(t, "weight", 7, importance_scores=torch.tensor(scores))
    _assert_same_state(m, t, tol=0)
    np.testing.assert_array_equal(_np(PR.L1Unstructured(0.5).prune(ag.tensor([1.0, -3, 2, 0.5]))),
                                  TPR.L1Unstructured(0.5).prune(torch.tensor([1.0, -3, 2, 0.5])).numpy())


def test_random_pruning_counts_and_errors():
    ag.manual_seed(0)
    m = nn.Linear(5, 6)
    PR.random_unstructured(m, "weight", amount=0.5)
    assert int((m.weight_mask.numpy() == 0).sum()) == 15
    PR.random_structured(m, "weight", amount=2, dim=1)
    mask = m.weight_mask.numpy()
    assert int((mask.sum(0) == 0).sum()) >= 2
    assert int((mask == 0).sum()) >= 15
    for mod in (PR, TPR):
        with pytest.raises(ValueError, match=r"amount=1.5 should either be a float in the range \[0, 1\]"):
            mod.L1Unstructured(1.5)
        with pytest.raises(TypeError, match="Invalid type for amount: a. Must be int or float."):
            mod.L1Unstructured("a")
    with pytest.raises(ValueError, match="amount=7 should be smaller than the number of parameters to prune=3"):
        PR.l1_unstructured(nn.Linear(2, 3), "bias", amount=7)
    with pytest.raises(ValueError, match="Structured pruning can only be applied to multidimensional tensors"):
        PR.ln_structured(nn.Linear(2, 3), "bias", amount=1, n=2, dim=0)
    lin = nn.Linear(2, 3)
    with pytest.raises(ValueError):
        PR.l1_unstructured(lin, "bias", amount=7)
    assert list(lin.state_dict()) == ["weight", "bias"]  # a failed prune leaves the module as it was


def test_a_custom_pruning_method_written_with_tensor_ops():
    class EveryOther(PR.BasePruningMethod):
        PRUNING_TYPE = "unstructured"

        def compute_mask(self, t, default_mask):
            mask = default_mask.clone()
            mask.view(-1)[::2] = 0
            return mask

    m = nn.Linear(3, 2)
    EveryOther.apply(m, "weight")
    np.testing.assert_array_equal(m.weight_mask.numpy().reshape(-1), [0, 1, 0, 1, 0, 1])
    np.testing.assert_array_equal(_np(m.weight), _np(m.weight_orig) * m.weight_mask.numpy())


# ====================================================================== swa_utils
def _mlp_pair():
    t = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2)).double()
    m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2)).double()
    _copy_state(t, m)
    return m, t


@pytest.mark.parametrize("kind", ["swa", "avg_fn_ema", "multi_ema", "multi_swa", "use_buffers"])
def test_averaged_model_swalr_and_update_bn_match_pytorch(kind):
    m, t = _mlp_pair()
    kw = {"swa": ({}, {}),
          "avg_fn_ema": ({"avg_fn": S.get_ema_avg_fn(0.9)}, {"avg_fn": TS.get_ema_avg_fn(0.9)}),
          "multi_ema": ({"multi_avg_fn": S.get_ema_multi_avg_fn(0.9)}, {"multi_avg_fn": TS.get_ema_multi_avg_fn(0.9)}),
          "multi_swa": ({"multi_avg_fn": S.get_swa_multi_avg_fn()}, {"multi_avg_fn": TS.get_swa_multi_avg_fn()}),
          "use_buffers": ({"use_buffers": True}, {"use_buffers": True})}[kind]
    am, at = S.AveragedModel(m, **kw[0]), TS.AveragedModel(t, **kw[1])
    assert repr(am) == repr(at)
    opt, topt = optim.SGD(m.parameters(), lr=0.1), torch.optim.SGD(t.parameters(), lr=0.1)
    sch, tsch = S.SWALR(opt, swa_lr=0.05, anneal_epochs=3), TS.SWALR(topt, swa_lr=0.05, anneal_epochs=3)
    rng = np.random.default_rng(0)
    for _ in range(5):
        x = rng.standard_normal((8, 3))
        opt.zero_grad()
        topt.zero_grad()
        m(ag.tensor(x)).tanh().sum().backward()
        t(torch.tensor(x)).tanh().sum().backward()
        opt.step()
        topt.step()
        sch.step()
        tsch.step()
        np.testing.assert_allclose(sch.get_last_lr(), tsch.get_last_lr(), rtol=1e-14)
        am.update_parameters(m)
        at.update_parameters(t)
        _assert_same_state(am, at, tol=1e-12)
    assert int(am.n_averaged.item()) == 5
    batches = [rng.standard_normal((8, 3)) for _ in range(3)]
    S.update_bn([(ag.tensor(b), 0) for b in batches], am)
    TS.update_bn([(torch.tensor(b), 0) for b in batches], at)
    _assert_same_state(am, at, tol=1e-12)
    assert am.module[1].momentum == 0.1 and am.training
    x = rng.standard_normal((4, 3))
    np.testing.assert_allclose(_np(am(ag.tensor(x))), _np(at(torch.tensor(x))), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("anneal_epochs", [0, 1, 4])
def test_swalr_schedule_and_state_dict(strategy, anneal_epochs):
    p, tp = nn.Parameter(ag.zeros(2)), torch.nn.Parameter(torch.zeros(2))
    opt = optim.SGD([{"params": [p], "lr": 0.3}], lr=0.3)
    topt = torch.optim.SGD([{"params": [tp], "lr": 0.3}], lr=0.3)
    sch = S.SWALR(opt, swa_lr=[0.01], anneal_epochs=anneal_epochs, anneal_strategy=strategy)
    tsch = TS.SWALR(topt, swa_lr=[0.01], anneal_epochs=anneal_epochs, anneal_strategy=strategy)
    for _ in range(7):
        opt.step()
        topt.step()
        sch.step()
        tsch.step()
        np.testing.assert_allclose(sch.get_last_lr(), tsch.get_last_lr(), rtol=1e-14)
    sd = sch.state_dict()
    assert "optimizer" not in sd and "anneal_func" not in sd and sd["_anneal_strategy"] == strategy
    sch2 = S.SWALR(optim.SGD([nn.Parameter(ag.zeros(1))], lr=1.0), swa_lr=0.5)
    sch2.load_state_dict(sd)
    assert sch2.anneal_func(0.5) == sch.anneal_func(0.5)
    with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear'"):
        S.SWALR(opt, swa_lr=0.1, anneal_strategy="exp")
    with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0"):
        S.SWALR(opt, swa_lr=0.1, anneal_epochs=-1)
    with pytest.raises(ValueError, match="Invalid decay value 1.5"):
        S.get_ema_avg_fn(1.5)
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        S.AveragedModel(nn.Linear(1, 1), avg_fn=S.get_swa_avg_fn(), multi_avg_fn=S.get_swa_multi_avg_fn())


def test_averaged_model_of_a_parametrized_model():
    m = PZ.orthogonal(nn.Linear(3, 3).double())
    am = S.AveragedModel(m)
    am.update_parameters(m)
    np.testing.assert_array_equal(_np(am.module.weight), _np(m.weight))


# ====================================================================== checkpoint
def _observed_nodes(fn) -> set:
    seen = set()

    class Rec(ag.BackwardObserver):
        def on_node(self, node, grads):
            seen.add(type(node).__name__)

    with ag.observe(Rec()):
        fn()
    return seen


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_gradients_equal_pytorch_and_the_inner_graph_is_not_kept(use_reentrant):
    rng = np.random.default_rng(0)
    xa, wa = rng.standard_normal((4, 5)), rng.standard_normal((5, 5))
    x, w = ag.tensor(xa, requires_grad=True), ag.tensor(wa, requires_grad=True)
    xt, wt = torch.tensor(xa, requires_grad=True), torch.tensor(wa, requires_grad=True)
    refs = []

    def f(a):
        h = (a @ w).tanh()
        refs.append(weakref.ref(h))
        return h @ w

    pre = x * 2  # an input with a history of its own: backward must continue through it
    y = checkpoint(f, pre, use_reentrant=use_reentrant)
    gc.collect()
    assert refs[0]() is None  # the intermediate is not held by any node
    # the recorded node points straight at the outside tensors, not at any op of f
    kinds = {type(c).__name__ for c, _ in y.grad_fn.next_functions if c is not None}
    assert kinds <= {"Mul", "Tensor"}
    g = np.random.default_rng(1).standard_normal((4, 5))
    name = "_CheckpointFunctionBackward" if use_reentrant else "_NonReentrantCheckpointBackward"
    assert name in _observed_nodes(lambda: y.backward(ag.tensor(g)))
    yt = TCK.checkpoint(lambda a: (a @ wt).tanh() @ wt, xt * 2, use_reentrant=use_reentrant)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=TOL, atol=TOL)
    np.testing.assert_allclose(w.grad.numpy(), wt.grad.numpy(), rtol=TOL, atol=TOL)
    np.testing.assert_allclose(_np(y), _np(yt), rtol=TOL, atol=TOL)


def test_non_reentrant_checkpoint_works_with_grad_and_second_derivatives():
    rng = np.random.default_rng(2)
    xa, wa = rng.standard_normal((3, 4)), rng.standard_normal((4, 4))
    x, w = ag.tensor(xa, requires_grad=True), ag.tensor(wa, requires_grad=True)
    y = checkpoint(lambda a: (a @ w).sin(), x, use_reentrant=False).sum()
    gx, gw = ag.grad(y, [x, w], create_graph=True)
    hx, hw = ag.grad((gx ** 2).sum() + (gw ** 2).sum(), [x, w])
    xt, wt = torch.tensor(xa, requires_grad=True), torch.tensor(wa, requires_grad=True)
    yt = TCK.checkpoint(lambda a: (a @ wt).sin(), xt, use_reentrant=False).sum()
    gxt, gwt = torch.autograd.grad(yt, [xt, wt], create_graph=True)
    hxt, hwt = torch.autograd.grad((gxt ** 2).sum() + (gwt ** 2).sum(), [xt, wt])
    for a, b in ((gx, gxt), (gw, gwt), (hx, hxt), (hw, hwt)):
        np.testing.assert_allclose(_np(a), _np(b), rtol=TOL, atol=TOL)
    assert ag.gradgradcheck(lambda a, b: checkpoint(lambda u: (u @ b).sin(), a, use_reentrant=False),
                            (ag.tensor(xa, requires_grad=True), ag.tensor(wa, requires_grad=True)))


def test_non_reentrant_checkpoint_of_outside_tensors_that_depend_on_each_other():
    # h and h2 = 2h are made outside and both read inside (one as an argument, one from the closure): the gradient
    # must stop at them, or the path h2 -> h would be counted twice and the outside nodes freed mid-backward
    xa = np.array([0.3, -0.2, 0.1])
    x, xt = ag.tensor(xa, requires_grad=True), torch.tensor(xa, requires_grad=True)
    h, ht = x * 5, xt * 5
    h2, h2t = h * 2, ht * 2
    y = checkpoint(lambda a, b: (a * b * h2).sin(), h, h2 + 1, use_reentrant=False).sum() + h2.sum()
    yt = ((ht * (h2t + 1) * h2t).sin()).sum() + h2t.sum()
    g, = ag.grad(y, [x], create_graph=True)
    gt, = torch.autograd.grad(yt, [xt], create_graph=True)
    np.testing.assert_allclose(_np(g), _np(gt), rtol=TOL, atol=TOL)
    gg, = ag.grad((g ** 2).sum(), [x])
    ggt, = torch.autograd.grad((gt ** 2).sum(), [xt])
    np.testing.assert_allclose(_np(gg), _np(ggt), rtol=TOL, atol=TOL)
    x.grad = None
    h = x * 5
    h2 = h * 2
    (checkpoint(lambda a: a * h + a * h2, ag.tensor(np.full(3, 2.0)), use_reentrant=False).sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, 30.0))
    # a function returning an outside tensor unchanged passes its gradient straight through
    x.grad = None
    h = x * 5
    out, same = checkpoint(lambda a: (a * 2, h), x, use_reentrant=False)
    (out.sum() + 3 * same.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, 17.0))


def test_reentrant_checkpoint_refuses_grad_and_warns_without_grad_inputs():
    w = ag.tensor(np.ones((3, 3)), requires_grad=True)
    x = ag.tensor(np.ones((2, 3)), requires_grad=True)
    y = checkpoint(lambda a: a @ w, x, use_reentrant=True).sum()
    with pytest.raises(RuntimeError, match="When use_reentrant=True, torch.utils.checkpoint is incompatible with"):
        ag.grad(y, [x])
    z = ag.tensor(np.ones((2, 3)))
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True. Gradients will be None"):
        out = checkpoint(lambda a: a @ w, z, use_reentrant=True)
    assert not out.requires_grad  # as PyTorch: the parameters' gradients are lost
    assert checkpoint(lambda a: a @ w, z, use_reentrant=False).requires_grad
    with pytest.warns(UserWarning, match="the use_reentrant parameter should be passed explicitly"):
        checkpoint(lambda a: a * 2, x)
    with pytest.raises(ValueError, match="Unexpected keyword arguments: s"):
        checkpoint(lambda a, s=1: a * s, x, use_reentrant=True, s=2)
    with pytest.raises(ValueError, match="only supported when use_reentrant=False"):
        checkpoint(lambda a: a, x, use_reentrant=True, debug=True)


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_with_dropout_restores_the_random_state(use_reentrant):
    drop = nn.Dropout(0.5)
    xa = np.random.default_rng(3).standard_normal((6, 7))
    x = ag.tensor(xa, requires_grad=True)
    ag.manual_seed(11)
    y = checkpoint(lambda a: drop(a) * a, x, use_reentrant=use_reentrant)
    after_forward = ag.rand(3).numpy()
    y.sum().backward()
    g = x.grad.numpy().copy()
    x.grad = None
    ag.manual_seed(11)
    y2 = drop(x) * x
    np.testing.assert_array_equal(ag.rand(3).numpy(), after_forward)  # the recomputation left the stream alone
    y2.sum().backward()
    np.testing.assert_array_equal(_np(y), _np(y2))
    np.testing.assert_array_equal(g, x.grad.numpy())
    # without preserving the state the recomputation draws another mask: the gradient is then not the forward's
    ag.manual_seed(11)
    x.grad = None
    y3 = checkpoint(lambda a: drop(a) * a, x, use_reentrant=use_reentrant, preserve_rng_state=False)
    y3.sum().backward()
    assert not np.array_equal(g, x.grad.numpy())


def test_checkpoint_sequential_matches_pytorch():
    t = torch.nn.Sequential(torch.nn.Linear(5, 6), torch.nn.Tanh(), torch.nn.Linear(6, 6), torch.nn.Tanh(),
                            torch.nn.Linear(6, 2)).double()
    m = nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.Linear(6, 6), nn.Tanh(), nn.Linear(6, 2)).double()
    _copy_state(t, m)
    xa = np.random.default_rng(4).standard_normal((3, 5))
    for use_reentrant in (True, False):
        m.zero_grad()
        t.zero_grad()
        x, xt = ag.tensor(xa, requires_grad=True), torch.tensor(xa, requires_grad=True)
        y = checkpoint_sequential(m, 2, x, use_reentrant=use_reentrant)
        yt = TCK.checkpoint_sequential(t, 2, xt, use_reentrant=use_reentrant)
        np.testing.assert_allclose(_np(y), _np(yt), rtol=TOL, atol=TOL)
        y.sum().backward()
        yt.sum().backward()
        _assert_same_grads(m, t)
        np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=TOL, atol=TOL)


def test_non_reentrant_checkpoint_keyword_arguments_nested_outputs_and_errors():
    NT = namedtuple("NT", "a b")
    x = ag.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    out = checkpoint(lambda a, scale=1.0: {"x": NT(a * scale, 3), "y": [a.sum(), "s"]}, x, use_reentrant=False,
                     scale=3.0)
    assert isinstance(out["x"], NT) and out["x"].b == 3 and out["y"][1] == "s"
    (out["x"].a.sum() + out["y"][0]).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 4.0))
    # a parameter changed in place between forward and backward: the recomputation would differ
    w = nn.Parameter(ag.ones(3, 3, dtype=ag.float64))
    y = checkpoint(lambda a: (a @ w).sin(), x, use_reentrant=False)
    with ag.no_grad():
        w.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    calls = []

    def changing(a):
        calls.append(1)
        return a * 2 if len(calls) == 1 else a[:1] * 2

    y = checkpoint(changing, x, use_reentrant=False)
    with pytest.raises(CheckpointError, match="the recomputation in backward gave different tensors"):
        y.sum().backward()
    with ag.no_grad():  # nothing is recorded: the function just runs
        assert not checkpoint(lambda a: a * 2, x, use_reentrant=False).requires_grad


def test_checkpoint_context_fn_wraps_forward_and_recomputation():
    log = []

    class Ctx:
        def __init__(self, name):
            self.name = name

        def __enter__(self):
            log.append(self.name)

        def __exit__(self, *exc):
            return False

    x = ag.tensor(np.ones(3), requires_grad=True)
    y = checkpoint(lambda a: a * 3, x, use_reentrant=False, context_fn=lambda: (Ctx("fwd"), Ctx("recompute")))
    y.sum().backward()
    assert log == ["fwd", "recompute"]


def test_checkpoint_of_a_module_trains_like_the_plain_module():
    ag.manual_seed(0)
    block = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 4))
    plain = copy.deepcopy(block)
    opt_a, opt_b = optim.SGD(block.parameters(), lr=0.1), optim.SGD(plain.parameters(), lr=0.1)
    rng = np.random.default_rng(5)
    for step in range(3):
        x = ag.tensor(rng.standard_normal((5, 4)).astype(np.float32))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ag.manual_seed(step)
            la = checkpoint(block, x, use_reentrant=False).pow(2).mean()
        ag.manual_seed(step)
        lb = plain(x).pow(2).mean()
        opt_a.zero_grad()
        opt_b.zero_grad()
        la.backward()
        lb.backward()
        opt_a.step()
        opt_b.step()
        assert la.item() == lb.item()
    for a, b in zip(block.parameters(), plain.parameters()):
        np.testing.assert_array_equal(_np(a), _np(b))


# ====================================================================== datasets
def test_stack_dataset_matches_pytorch():
    a, b = np.arange(10.0).reshape(5, 2), np.arange(5)
    ours = StackDataset(TensorDataset(ag.tensor(a)), ag.tensor(b))
    theirs = torch.utils.data.StackDataset(torch.utils.data.TensorDataset(torch.tensor(a)), torch.tensor(b))
    assert len(ours) == len(theirs) == 5
    s, ts = ours[2], theirs[2]
    assert isinstance(s, tuple) and len(s) == 2
    np.testing.assert_array_equal(s[0][0].numpy(), ts[0][0].numpy())
    assert s[1].item() == ts[1].item()
    kw = StackDataset(x=ag.tensor(a), y=ag.tensor(b))
    assert set(kw[1]) == {"x", "y"} and kw[1]["y"].item() == 1
    batch = kw.__getitems__([0, 3])
    assert [d["y"].item() for d in batch] == [0, 3]
    assert [t[1].item() for t in ours.__getitems__([4, 1])] == [4, 1]
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        StackDataset(ag.tensor(a), ag.tensor(np.arange(4)))
    with pytest.raises(ValueError, match="both types are given"):
        StackDataset(ag.tensor(a), y=ag.tensor(b))
    with pytest.raises(ValueError, match="At least one dataset should be passed"):
        StackDataset()
    from autograd_core.utils.data.dataset import StackDataset as ByTorchPath

    assert ByTorchPath is StackDataset


def test_chain_dataset_matches_pytorch():
    class Count(IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n))

        def __len__(self):
            return self.n

    class TCount(torch.utils.data.IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n))

        def __len__(self):
            return self.n

    ours, theirs = ChainDataset([Count(2), Count(3)]), torch.utils.data.ChainDataset([TCount(2), TCount(3)])
    assert list(ours) == list(theirs) == [0, 1, 0, 1, 2]
    assert len(ours) == len(theirs) == 5
    with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
        list(ChainDataset([TensorDataset(ag.ones(2))]))
    with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
        len(ChainDataset([TensorDataset(ag.ones(2))]))
