"""nn.Module behaviour: registration, naming (identical to PyTorch's), modes, state dicts, repr, hooks."""

from __future__ import annotations

import copy

import autograd_core.nn as nn
import numpy as np
import pytest

import autograd_core as ag

torch = pytest.importorskip("torch")


def _build(lib):
    """The same architecture in either library: nested containers, a custom module, shared weights."""
    m = lib.nn if lib is torch else None
    nnm = torch.nn if lib is torch else nn

    class Block(nnm.Module):
        def __init__(self):
            super().__init__()
            self.conv = nnm.Conv2d(1, 4, 3, padding=1)
            self.bn = nnm.BatchNorm2d(4)
            self.heads = nnm.ModuleList([nnm.Linear(4, 2), nnm.Linear(4, 3)])
            self.extra = nnm.ModuleDict({"act": nnm.ReLU(), "proj": nnm.Linear(2, 2, bias=False)})

        def forward(self, x):
            h = self.extra["act"](self.bn(self.conv(x))).mean((2, 3))
            return self.heads[0](h), self.heads[1](h)

    del m
    net = nnm.Sequential(Block(), nnm.Identity())
    return net


def test_state_dict_names_and_order_equal_pytorch():
    ours, theirs = _build(ag), _build(torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [type(c).__name__ for c in ours.children()] == [type(c).__name__ for c in theirs.children()]
    for (_, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert tuple(a.shape) == tuple(b.shape) and a.dtype.name == str(b.dtype).replace("torch.", "")


@pytest.mark.parametrize("make", [
    lambda nn_: nn_.Sequential(nn_.Conv2d(1, 6, 5, padding=2), nn_.ReLU(), nn_.MaxPool2d(2), nn_.Conv2d(6, 16, 5),
                               nn_.BatchNorm2d(16), nn_.ReLU(), nn_.MaxPool2d(2), nn_.Flatten(),
                               nn_.Linear(400, 120), nn_.Dropout(0.2), nn_.Linear(120, 10)),
    lambda nn_: nn_.Sequential(nn_.Linear(3, 4, bias=False), nn_.LeakyReLU(0.2), nn_.LayerNorm(4), nn_.GELU(),
                               nn_.Softmax(dim=1), nn_.Embedding(10, 3, padding_idx=0), nn_.PReLU(3),
                               nn_.ConvTranspose2d(3, 2, 3, stride=2), nn_.AdaptiveAvgPool2d(1),
                               nn_.AvgPool2d(2), nn_.Unflatten(1, (2, 5)), nn_.Hardtanh(), nn_.ELU(),
                               nn_.BatchNorm1d(5, affine=False), nn_.Conv2d(2, 4, 3, padding="same", groups=2),
                               nn_.ModuleList([nn_.Tanh(), nn_.ModuleDict({"s": nn_.Sigmoid()})])),
], ids=["lenet", "zoo"])
def test_repr_equals_pytorch(make):
    assert repr(make(nn)) == repr(make(torch.nn))


def test_load_state_dict_from_pytorch_gives_identical_outputs_and_back():
    torch.manual_seed(0)
    theirs = _build(torch).double().eval()
    ours = _build(ag).double().eval()
    res = ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert res.missing_keys == [] and res.unexpected_keys == []
    x = np.random.default_rng(0).standard_normal((2, 1, 5, 5))
    for a, b in zip(ours(ag.tensor(x)), theirs(torch.tensor(x))):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)
    # and back: PyTorch loads our weights
    ag.manual_seed(3)
    fresh = _build(ag).double()
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in fresh.state_dict().items()})
    fresh.eval()
    for a, b in zip(fresh(ag.tensor(x)), theirs(torch.tensor(x))):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)


def test_load_state_dict_errors_leave_the_model_unchanged():
    m = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    before = {k: v.numpy().copy() for k, v in m.state_dict().items()}
    bad = {k: np.ones(v.shape) for k, v in m.state_dict().items()}
    bad["0.weight"] = np.ones((4, 3))
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict(bad)
    msg = str(e.value)
    assert "Error(s) in loading state_dict for Sequential" in msg
    assert "size mismatch for 0.weight: copying a param with shape [4, 3] from checkpoint, the shape in current " \
           "model is [2, 3]" in msg
    for k, v in m.state_dict().items():  # nothing was copied, not even the well-shaped entries
        np.testing.assert_array_equal(v.numpy(), before[k])
    partial = {k: np.ones(v.shape) for k, v in m.state_dict().items() if k != "1.running_var"}
    partial["stray"] = np.zeros(1)
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "1.running_var"'):
        m.load_state_dict(partial)
    with pytest.raises(RuntimeError, match='Unexpected key\\(s\\) in state_dict: "stray"'):
        m.load_state_dict(partial)
    res = m.load_state_dict(partial, strict=False)
    assert res.missing_keys == ["1.running_var"] and res.unexpected_keys == ["stray"]
    np.testing.assert_array_equal(m[0].weight.detach().numpy(), np.ones((2, 3)))


def test_load_state_dict_copies_in_place():
    m = nn.Linear(2, 2)
    w = m.weight
    arr = w._data
    m.load_state_dict({"weight": np.eye(2), "bias": np.zeros(2)})
    assert m.weight is w and w._data is arr  # optimisers holding the parameter see the new values
    np.testing.assert_array_equal(arr, np.eye(2))


def test_shared_parameters_listed_once_and_state_dict_keeps_both_names():
    lin = nn.Linear(2, 2)
    m = nn.Sequential(lin, nn.ReLU(), lin)
    t_lin = torch.nn.Linear(2, 2)
    t = torch.nn.Sequential(t_lin, torch.nn.ReLU(), t_lin)
    assert len(list(m.parameters())) == 2 == len(list(t.parameters()))
    assert list(m.state_dict()) == list(t.state_dict())


def test_train_eval_is_recursive_and_per_module():
    m = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(), nn.BatchNorm1d(2)))
    assert all(x.training for x in m.modules())
    m.eval()
    assert not any(x.training for x in m.modules())
    m[1].train()
    assert m[1][0].training and not m.training and not m[0].training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        m.train("no")


def test_zero_grad_requires_grad_apply_and_casts():
    m = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    m(ag.randn(4, 3)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["BatchNorm1d", "Linear", "Sequential"]  # children first, as PyTorch
    w = m[0].weight
    m.double()
    assert m[0].weight is w and w.dtype == ag.float64 and m[1].running_mean.dtype == ag.float64
    assert m[1].num_batches_tracked.dtype == ag.int64  # integer buffers are not cast
    m.to(ag.float32)
    assert w.dtype == ag.float32


def test_forward_hooks_and_handles():
    m = nn.Linear(2, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: calls.append("pre"))
    h2 = m.register_forward_hook(lambda mod, args, out: out * 0)
    y = m(ag.ones(1, 2))
    assert calls == ["pre"] and np.all(y.detach().numpy() == 0)
    h1.remove()
    h2.remove()
    assert np.any(m(ag.ones(1, 2)).detach().numpy() != 0) and calls == ["pre"]


def test_deepcopy_gives_independent_parameters():
    m = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    m(ag.randn(3, 2)).sum().backward()
    c = copy.deepcopy(m)
    assert isinstance(c[0].weight, nn.Parameter) and c[0].weight is not m[0].weight
    np.testing.assert_array_equal(c[0].weight.detach().numpy(), m[0].weight.detach().numpy())
    np.testing.assert_array_equal(c[0].weight.grad.numpy(), m[0].weight.grad.numpy())
    c[0].weight.data[...] = 0
    assert np.any(m[0].weight.detach().numpy() != 0)


def test_registration_errors_name_the_problem():
    class NoInit(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(ag.ones(2))

    with pytest.raises(AttributeError, match="cannot assign 'w' before Module.__init__\\(\\) call"):
        NoInit()
    m = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'weight'"):
        m.weight = ag.ones(2, 2)
    with pytest.raises(KeyError, match="attribute 'in_features' already exists"):
        m.register_buffer("in_features", ag.zeros(1))
    with pytest.raises(KeyError, match="contain"):
        m.register_buffer("a.b", ag.zeros(1))
    with pytest.raises(NotImplementedError, match='missing the required "forward" function'):
        nn.Module()(1)
    with pytest.raises(RuntimeError, match="linear: input of shape \\[3, 4\\] cannot be multiplied by weight of "
                                           "shape \\[2, 2\\]"):
        m(ag.ones(3, 4))
    assert m.weight.shape == (2, 2)  # the failed call changed nothing


def test_parameter_and_buffer_semantics():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.p = nn.Parameter(ag.zeros(2))
            self.register_buffer("stat", ag.ones(2))
            self.register_buffer("tmp", ag.ones(1), persistent=False)
            self.plain = ag.ones(3)  # a plain tensor attribute is neither

    m = M()
    assert [n for n, _ in m.named_parameters()] == ["p"]
    assert [n for n, _ in m.named_buffers()] == ["stat", "tmp"]
    assert list(m.state_dict()) == ["p", "stat"]
    assert m.p.requires_grad and not m.stat.requires_grad
    del m.p
    assert list(m.state_dict()) == ["stat"]
    with pytest.raises(RuntimeError, match="only floating point tensors can require gradients"):
        nn.Parameter(ag.tensor([1, 2]))
    assert repr(nn.Parameter(ag.zeros(1))).startswith("Parameter containing:\ntensor(")


def test_containers_index_like_pytorch():
    s = nn.Sequential(nn.Linear(1, 1), nn.ReLU(), nn.Tanh())
    assert isinstance(s[-1], nn.Tanh) and isinstance(s[1:], nn.Sequential) and len(s[1:]) == 2
    with pytest.raises(IndexError, match="index 3 is out of range"):
        s[3]
    ml = nn.ModuleList([nn.ReLU()])
    ml.append(nn.Tanh())
    ml.insert(0, nn.Sigmoid())
    assert [type(x).__name__ for x in ml] == ["Sigmoid", "ReLU", "Tanh"]
    assert [n for n, _ in ml.named_children()] == ["0", "1", "2"]
    md = nn.ModuleDict({"a": nn.ReLU()})
    md["b"] = nn.Linear(1, 1)
    assert list(md.keys()) == ["a", "b"] and "b" in md and len(list(md.parameters())) == 2


def test_init_functions_follow_pytorch_formulas():
    ag.manual_seed(0)
    init = nn.init
    for name in ("linear", "sigmoid", "tanh", "relu", "selu", "conv2d"):
        assert init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(torch.nn.init.calculate_gain("leaky_relu", 0.2))
    w = ag.empty(300, 200, dtype=ag.float64)
    init.xavier_uniform_(w, gain=2.0)
    bound = 2.0 * np.sqrt(6 / 500)
    assert np.abs(w.numpy()).max() <= bound and np.abs(w.numpy()).max() > 0.95 * bound
    init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert w.numpy().std() == pytest.approx(np.sqrt(2 / 300), rel=0.02)
    conv = ag.empty(16, 8, 3, 3, dtype=ag.float64)
    init.kaiming_uniform_(conv, a=0.0, nonlinearity="relu")
    assert np.abs(conv.numpy()).max() <= np.sqrt(2) * np.sqrt(3 / 72)
    init.xavier_normal_(w)
    assert w.numpy().std() == pytest.approx(np.sqrt(2 / 500), rel=0.02)
    q = ag.empty(6, 4, dtype=ag.float64)
    init.orthogonal_(q)
    np.testing.assert_allclose(q.numpy().T @ q.numpy(), np.eye(4), atol=1e-12)
    r = ag.empty(3, 5, dtype=ag.float64)
    init.orthogonal_(r, gain=2.0)
    np.testing.assert_allclose(r.numpy() @ r.numpy().T, 4 * np.eye(3), atol=1e-12)
    np.testing.assert_array_equal(init.eye_(ag.empty(2, 3)).numpy(), np.eye(2, 3))
    assert np.all(init.constant_(ag.empty(2), 0.5).numpy() == 0.5) and np.all(init.zeros_(ag.ones(2)).numpy() == 0)
    t = init.trunc_normal_(ag.empty(1000, dtype=ag.float64), std=1.0, a=-0.5, b=0.5)
    assert t.numpy().min() >= -0.5 and t.numpy().max() <= 0.5
    # the layers' defaults: Linear / Conv2d weights and biases within PyTorch's 1/sqrt(fan_in) bounds
    lin = nn.Linear(50, 40)
    assert np.abs(lin.weight.detach().numpy()).max() <= 1 / np.sqrt(50)
    assert np.abs(lin.weight.detach().numpy()).max() > 0.9 / np.sqrt(50)
    c = nn.Conv2d(4, 6, 3)
    assert np.abs(c.bias.detach().numpy()).max() <= 1 / np.sqrt(36)


def test_parameters_vector_round_trip():
    m = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    v = nn.utils.parameters_to_vector(m.parameters())
    assert v.shape == (11,) and v.requires_grad
    nn.utils.vector_to_parameters(ag.arange(11).float(), m.parameters())
    np.testing.assert_array_equal(m[0].weight.detach().numpy().ravel(), np.arange(6))
    np.testing.assert_array_equal(m[1].bias.detach().numpy(), [10.0])
    v.sum().backward()  # differentiable: every parameter gets a gradient of ones
    assert all(np.all(p.grad.numpy() == 1) for p in m.parameters())
