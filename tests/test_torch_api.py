"""PyTorch's API surface (issue: programs run by changing imports), checked against torch itself."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import nn

torch = pytest.importorskip("torch")


def _pair(values, requires_grad=True):
    a = np.asarray(values, dtype=np.float64)
    return ag.tensor(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad)


# ---------------------------------------------------------------------- .data
def test_data_is_a_detached_tensor_sharing_memory():
    for lib, p in zip(("ag", "torch"), _pair([1.0, 2.0])):
        d = p.data
        assert type(d).__name__ == "Tensor" and not d.requires_grad and d.is_leaf and d.grad_fn is None, lib
        d.add_(1.0)  # writes p's memory, unrecorded
        assert p.tolist() == [2.0, 3.0], lib
        assert p._version == 0, lib  # .data has its own version counter in PyTorch


def test_a_saved_value_changed_through_data_is_used_silently_as_in_pytorch():
    grads = []
    for x, w in zip(_pair([1.0, 2.0]), _pair([3.0, 4.0])):
        y = (x * w).sum()
        w.data.mul_(2.0)  # no version error: the change is invisible to autograd
        y.backward()
        grads.append(np.asarray(x.grad.tolist()))
    np.testing.assert_array_equal(grads[0], grads[1])
    np.testing.assert_array_equal(grads[0], [6.0, 8.0])


def test_assigning_data_swaps_the_values_and_keeps_the_parameter():
    m = nn.Linear(3, 2)
    w = m.weight
    m.weight.data = ag.zeros(2, 4)  # any shape, as PyTorch allows
    assert m.weight is w and w.shape == (2, 4) and w.requires_grad
    m.bias.data.fill_(0.5)
    assert m.bias.tolist() == [0.5, 0.5]
    w.data = np.ones((2, 3), dtype=np.float32)
    assert w.tolist() == [[1.0, 1.0, 1.0]] * 2


def test_manual_sgd_through_data_matches_pytorch():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 1))
    w0, b0 = rng.standard_normal((1, 3)), rng.standard_normal(1)
    results = []
    for lib, mod in (("ag", ag), ("torch", torch)):
        model = (nn if lib == "ag" else torch.nn).Linear(3, 1).double()
        with mod.no_grad():
            model.weight.copy_(mod.tensor(w0))
            model.bias.copy_(mod.tensor(b0))
        xs, ys = mod.tensor(x), mod.tensor(y)
        for _ in range(5):
            loss = ((model(xs) - ys) ** 2).mean()
            model.zero_grad()
            loss.backward()
            for p in model.parameters():
                p.data -= 0.1 * p.grad.data  # the PyTorch 0.3 tutorials' update
        results.append(np.asarray(model.weight.detach().tolist()))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)


# ---------------------------------------------------------------------- formatting
def test_format_of_a_0d_tensor_formats_its_value_and_others_refuse_a_spec():
    for lib, mod in (("ag", ag), ("torch", torch)):
        t = mod.tensor(3.14159)
        assert f"{t:.3f}" == "3.142" and f"{t:>8.2f}" == "    3.14", lib
        v = mod.tensor([1.0, 2.0])
        assert f"{v}" == str(v), lib
        with pytest.raises(TypeError, match="unsupported format string"):
            f"{v:.2f}"
