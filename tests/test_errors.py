"""Every user-facing error path: the message names the op, the shapes/dtypes and the fix."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag


def test_backward_of_non_scalar_needs_gradient():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs") as e:
        (x * 2).backward()
    assert "[3]" in str(e.value)
    (x * 2).sum().backward()  # 0-d works
    ag.tensor([[1.0]], requires_grad=True).mul(2).backward()  # one element works too


def test_backward_without_graph():
    x = ag.tensor([1.0], requires_grad=True)
    with ag.no_grad():
        y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does not have a grad_fn"):
        y.backward()


def test_gradient_shape_mismatch():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_output\[0\] has a shape of \[3\] and output\[0\]"):
        (x * 2).backward(ag.ones(3))


def test_broadcast_mismatch_names_op_and_shapes():
    a, b = ag.ones(2, 3, requires_grad=True), ag.ones(4)
    with pytest.raises(RuntimeError) as e:
        a + b
    msg = str(e.value)
    assert msg.startswith("add:") and "[2, 3]" in msg and "[4]" in msg and "Fix" in msg
    assert a.grad is None and a._version == 0  # no state lost


def test_matmul_mismatch():
    with pytest.raises(RuntimeError, match=r"matmul: shapes \[2, 3\] and \[4, 5\] cannot be multiplied \(3 != 4\)"):
        ag.ones(2, 3) @ ag.ones(4, 5)
    with pytest.raises(RuntimeError, match="need at least 1 dimension"):
        ag.matmul(ag.tensor(1.0), ag.ones(3))


def test_shape_op_errors():
    x = ag.ones(2, 3)
    with pytest.raises(RuntimeError, match=r"shape '\[4, 2\]' is invalid for input of size 6"):
        x.reshape(4, 2)
    with pytest.raises(RuntimeError, match=r"The expanded size of the tensor \(4\) must match the existing size \(3\)"):
        x.expand(2, 4)
    with pytest.raises(RuntimeError, match="Sizes of tensors must match except in dimension 0"):
        ag.cat([x, ag.ones(2, 4)])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        ag.stack([x, ag.ones(3, 2)])
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        x.sum(2)
    with pytest.raises(RuntimeError, match="split_with_sizes expects split_sizes to sum exactly to 3"):
        x.split([1, 1], 1)
    with pytest.raises(RuntimeError, match="Number of dimensions of repeat dims can not be smaller"):
        x.repeat(2)
    with pytest.raises(IndexError, match=r"is invalid for a tensor of shape \[2, 3\]"):
        x[5]


def test_reduction_dtype_errors():
    with pytest.raises(RuntimeError, match="mean.*Input dtype must be either a floating point.*Got: int64"):
        ag.arange(3).mean()
    with pytest.raises(TypeError, match="softmax.*'dim' must be given"):
        ag.ones(3).softmax()


def test_inplace_errors_leave_state_intact():
    x = ag.ones(3)
    with pytest.raises(RuntimeError, match=r"add_: output with shape \[3\] doesn't match the broadcast shape \[2, 3\]"):
        x.add_(ag.ones(2, 3))
    assert x._version == 0 and np.all(x.data == 1)
    e = ag.ones(3).expand(2, 3)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor refers to a single memory"):
        e.add_(1)
    i = ag.arange(3)
    with pytest.raises(RuntimeError, match="result type float64 can't be cast to the desired output type int64"):
        i.add_(0.5)
    assert i.tolist() == [0, 1, 2]


def test_inplace_on_an_expanded_view_is_refused_clearly():
    x = ag.ones(2, 3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor refers to a single "
                                           "memory location.*clone"):
        y[:1].expand(4, 3).mul_(2)
    np.testing.assert_array_equal(y.detach().numpy(), np.full((2, 3), 2.0))  # nothing written


def test_hook_changing_shape():
    x = ag.ones(3, requires_grad=True)
    x.register_hook(lambda g: g.sum())
    with pytest.raises(RuntimeError, match=r"has changed the size of value: expected \[3\], got \[\]"):
        (x * 2).sum().backward()


def test_custom_function_with_bad_gradient_shape_or_count():
    class Bad(ag.Function):
        def forward(self, x):
            return x * 2

        def backward(self, g):
            return g[:1]

    class TwoGrads(ag.Function):
        def forward(self, x):
            return x * 2

        def backward(self, g):
            return g, g

    x = ag.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Function BadBackward returned an invalid gradient at index 0 - got \[1\]"):
        Bad.apply(x * 1).sum().backward()
    with pytest.raises(RuntimeError, match="TwoGradsBackward returned an incorrect number of gradients"):
        TwoGrads.apply(x).sum().backward()


def test_item_and_bool_errors():
    with pytest.raises(RuntimeError, match="a Tensor with 3 elements cannot be converted to Scalar"):
        ag.ones(3).item()
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        bool(ag.ones(2))


def test_devices_other_than_cpu_are_refused():
    with pytest.raises(RuntimeError, match="runs on the CPU only"):
        ag.ones(2).to("cuda")
    assert ag.ones(2).to("cpu").shape == (2,)


# ---------------------------------------------------------------------- gradcheck explains failures
class _Transposed(ag.Function):
    """A deliberately wrong backward: forgets to transpose."""

    saves_inputs = True

    def forward(self, a, b):
        return a @ b

    def backward(self, g):
        a, b = self.saved()
        return g @ b, a.T @ g


class _Doubled(ag.Function):
    def forward(self, x):
        return x * 3

    def backward(self, g):
        return g * 6


def test_gradcheck_reports_input_element_and_values():
    a = ag.tensor(np.random.default_rng(0).standard_normal((3, 3)), requires_grad=True)
    b = ag.tensor(np.random.default_rng(1).standard_normal((3, 3)), requires_grad=True)
    with pytest.raises(ag.GradcheckError) as e:
        ag.gradcheck(_Transposed.apply, (a, b))
    msg = str(e.value)
    assert "Jacobian mismatch for input 0" in msg and "worst element" in msg
    assert "analytic" in msg and "numerical" in msg and "Likely cause" in msg
    assert ag.gradcheck(_Transposed.apply, (a, b), raise_exception=False) is False


def test_gradcheck_diagnoses_repeated_counting():
    x = ag.tensor(np.linspace(0.5, 2.0, 4), requires_grad=True)
    with pytest.raises(ag.GradcheckError, match="the analytic gradient is 2x the numerical one"):
        ag.gradcheck(_Doubled.apply, (x,))


def test_gradcheck_diagnoses_kinks_and_float32():
    x = ag.tensor([0.0, 1.0], dtype=ag.float64, requires_grad=True)

    class WrongAtZero(ag.Function):  # abs with a gradient of 1 at the kink
        def forward(self, x):
            self.s = np.where(x >= 0, 1.0, -1.0)
            return np.abs(x)

        def backward(self, g):
            return g * self.s

    with pytest.raises(ag.GradcheckError, match="kink"):
        ag.gradcheck(WrongAtZero.apply, (x,))
    x32 = ag.tensor([0.3, 1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="not a double precision"):
        with pytest.raises(ag.GradcheckError, match="float32: finite differences need float64"):
            ag.gradcheck(lambda t: t.exp() * 1000, (x32,))
