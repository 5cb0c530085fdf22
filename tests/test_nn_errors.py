"""Every user-facing error of nn, optim and data: the exception type and a message that names the
op, the shapes/dtypes and the fix."""

from __future__ import annotations

import autograd_core.nn as nn
import autograd_core.nn.functional as F
import numpy as np
import pytest
from autograd_core.optim import lr_scheduler as sched

import autograd_core as ag
from autograd_core import optim
from autograd_core.data import transforms


def _opt():
    return optim.SGD([nn.Parameter(ag.zeros(2))], lr=0.1, momentum=0.9)


CASES = [
    # losses
    (lambda: F.mse_loss(ag.ones(2), ag.ones(2), reduction="avg"), ValueError,
     r"mse_loss: 'avg' is not a valid value for reduction; use one of mean, sum, none"),
    (lambda: F.cross_entropy(ag.ones(3, 4), ag.tensor([0, 4, 1])), IndexError,
     r"nll_loss: Target 4 is out of bounds: class indices must be in \[0, 4\)"),
    (lambda: F.cross_entropy(ag.ones(3, 4), ag.tensor([0, 1])), ValueError,
     r"nll_loss: expected target of shape \[3\] \(input \[3, 4\] without its class dim 1\), got \[2\]"),
    (lambda: F.nll_loss(ag.ones(3, 4), ag.tensor([0.0, 1.0, 2.0])), RuntimeError,
     r"nll_loss: expected target of integer class indices \(Long\), got dtype float32"),
    (lambda: F.cross_entropy(ag.ones(3, 4), ag.ones(3, 3)), RuntimeError,
     r"cross_entropy: probability targets must have the input's shape \[3, 4\], got \[3, 3\]"),
    (lambda: F.cross_entropy(ag.ones(3, 4), ag.tensor([0, 1, 2]), label_smoothing=1.5), ValueError,
     r"label_smoothing must be between 0.0 and 1.0, got 1.5"),
    (lambda: F.cross_entropy(ag.ones(3, 4), ag.tensor([0, 1, 2]), weight=ag.ones(3)), RuntimeError,
     r"nll_loss: weight should have 4 elements \(one per class\), got shape \[3\]"),
    (lambda: F.binary_cross_entropy(ag.tensor([0.5, 1.5]), ag.tensor([1.0, 0.0])), RuntimeError,
     r"binary_cross_entropy: all elements of input should be between 0 and 1"),
    (lambda: F.binary_cross_entropy(ag.tensor([0.5, float("nan")]), ag.tensor([1.0, 0.0])), RuntimeError,
     r"binary_cross_entropy: all elements of input should be between 0 and 1 \(got values outside \[0, 1\] or NaN"),
    (lambda: F.binary_cross_entropy(ag.tensor([0.5, 0.5]), ag.tensor([2.0, 0.0])), RuntimeError,
     r"binary_cross_entropy: all elements of target should be between 0 and 1"),
    (lambda: F.binary_cross_entropy(ag.tensor([0.5, 0.5]), ag.tensor([-1.0, 0.0])), RuntimeError,
     r"binary_cross_entropy: all elements of target should be between 0 and 1"),
    (lambda: F.binary_cross_entropy(ag.tensor([0.5, 0.5]), ag.tensor([float("nan"), 0.0])), RuntimeError,
     r"binary_cross_entropy: all elements of target should be between 0 and 1"),
    (lambda: F.binary_cross_entropy(ag.tensor([0.5, 0.5]), ag.tensor([1.0, 0.0], dtype=ag.float64)), RuntimeError,
     r"binary_cross_entropy: Found dtype Double but expected Float: the target is float64 and the input float32; "
     r"convert the target with target.to\(input.dtype\)"),
    (lambda: F.binary_cross_entropy(ag.tensor([0.5, 0.5]), ag.tensor([1, 0])), RuntimeError,
     r"binary_cross_entropy: Found dtype Long but expected Float"),
    (lambda: F.binary_cross_entropy(ag.tensor([0.5, 0.5]), ag.tensor([1.0])), ValueError,
     r"binary_cross_entropy: Using a target size \(\[1\]\) that is different to the input size \(\[2\]\)"),
    (lambda: F.binary_cross_entropy_with_logits(ag.ones(2, 3), ag.ones(3)), ValueError,
     r"Target size \(\[3\]\) must be the same as input size \(\[2, 3\]\)"),
    (lambda: F.huber_loss(ag.ones(2), ag.ones(2), delta=0), ValueError, r"huber_loss: delta must be positive"),
    (lambda: F.kl_div(ag.ones(2), ag.ones(2), reduction="batch"), ValueError,
     r"kl_div: 'batch' is not a valid value for reduction; use one of mean, sum, none, batchmean"),
    # layers
    (lambda: nn.Linear(3, 2)(ag.ones(4, 5)), RuntimeError,
     r"linear: input of shape \[4, 5\] cannot be multiplied by weight of shape \[2, 3\]"),
    (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError,
     r"Conv2d: in_channels \(3\) and out_channels \(4\) must both be divisible by groups \(2\)"),
    (lambda: nn.BatchNorm2d(3)(ag.ones(2, 3, 4)), ValueError,
     r"BatchNorm2d: expected 4D input \(got 3D input of shape \[2, 3, 4\]\)"),
    (lambda: nn.BatchNorm1d(3)(ag.ones(1, 3)), ValueError, r"Expected more than 1 value per channel when training"),
    (lambda: nn.LayerNorm(4)(ag.ones(2, 3)), RuntimeError,
     r"layer_norm: given normalized_shape=\[4\], expected input with shape \[\*, 4\], but got input of size "
     r"\[2, 3\]"),
    (lambda: nn.Embedding(5, 2)(ag.tensor([1, 5])), IndexError,
     r"embedding: index out of range in self: indices must be in \[0, 5\) .*got min 1 and max 5"),
    # numpy would wrap -1 to the last row; PyTorch refuses
    (lambda: nn.Embedding(10, 3)(ag.tensor([-1])), IndexError,
     r"embedding: index out of range in self: .*\(no negative indices\), got min -1"),
    (lambda: nn.Linear(-1, 3), RuntimeError, r"Linear: Trying to create tensor with negative dimension -1: "
     r"in_features=-1 must be >= 0"),
    (lambda: nn.Embedding(4, -2), RuntimeError, r"Embedding: Trying to create tensor with negative dimension -2"),
    # a float64 batch into a float32 model: PyTorch refuses instead of promoting the activations
    (lambda: nn.Linear(3, 2)(ag.ones(4, 3, dtype=ag.float64)), RuntimeError,
     r"linear: expected m1 and m2 to have the same dtype, but got: double != float \(input is float64, weight is "
     r"float32\); cast the input with x.to\(ag.float32\), or the layer with layer.to\(ag.float64\)"),
    (lambda: nn.Linear(3, 2)(ag.ones(4, 3, dtype=ag.int64)), RuntimeError,
     r"linear: expected m1 and m2 to have the same dtype, but got: long int != float \(input is int64, weight is "
     r"float32\); cast the input with x.to\(ag.float32\)$"),
    (lambda: F.linear(ag.ones(4, 3), ag.ones(2, 3), ag.ones(2, dtype=ag.float64)), RuntimeError,
     r"linear: bias has dtype float64 but input and weight are float32 .*cast the bias with bias.to\(ag.float32\)"),
    (lambda: F.linear(ag.tensor(1.0), ag.ones(2, 1)), RuntimeError,
     r"linear: both arguments to linear need to be at least 1D, but they are 0D and 2D"),
    (lambda: F.linear(ag.ones(2, 3), ag.ones(3)), RuntimeError,
     r"linear: weight must be 2-D \(out_features, in_features\), got shape \[3\]"),
    (lambda: nn.Linear(3, 4)(ag.ones(2, 5, 2)), RuntimeError,
     r"linear: input of shape \[2, 5, 2\] cannot be multiplied by weight of shape \[4, 3\] \(mat1 and mat2 "
     r"shapes cannot be multiplied \(10x2 and 3x4\)\)"),
    (lambda: nn.PReLU()(ag.ones(2, 3, dtype=ag.float64)), RuntimeError,
     r"prelu: Type promoting not supported. Got float64 input and float32 weight"),
    (lambda: nn.LayerNorm(3)(ag.ones(2, 3, dtype=ag.float64)), RuntimeError,
     r"layer_norm: mixed dtype \(CPU\): all inputs must share same datatype, got float64 input and float32"),
    (lambda: nn.Embedding(5, 2)(ag.tensor([1.0])), RuntimeError, r"embedding: expected integer indices"),
    (lambda: nn.PReLU(3)(ag.ones(2, 4)), RuntimeError,
     r"prelu: mismatch of parameter numbers and input channel size: weight has 3 elements"),
    (lambda: nn.GELU("fast")(ag.ones(2)), ValueError, r"gelu: approximate must be 'none' or 'tanh', got 'fast'"),
    (lambda: nn.Hardtanh(1.0, -1.0), ValueError, r"Hardtanh: min_val \(1.0\) cannot be greater than max_val"),
    (lambda: F.one_hot(ag.tensor([0, 3]), 3), RuntimeError, r"one_hot: class values must be in \[0, 3\)"),
    # init and utils
    (lambda: nn.init.xavier_uniform_(ag.ones(3)), ValueError,
     r"Fan in and fan out can not be computed for tensor with fewer than 2 dimensions \(got shape \[3\]\)"),
    (lambda: nn.init.kaiming_uniform_(ag.ones(3, 3), mode="fan_avg"), ValueError, r"Mode fan_avg not supported"),
    (lambda: nn.init.calculate_gain("swish"), ValueError, r"calculate_gain: unsupported nonlinearity 'swish'"),
    (lambda: nn.init.eye_(ag.ones(2, 2, 2)), ValueError, r"eye_: only tensors with 2 dimensions are supported"),
    (lambda: nn.utils.vector_to_parameters(ag.ones(3), [nn.Parameter(ag.ones(2, 2))]), ValueError,
     r"vector_to_parameters: vec has shape \[3\] but the parameters hold 4 values"),
    (lambda: nn.utils.l2_penalty([]), ValueError, r"l2_penalty: got no parameters"),
    # schedulers
    (lambda: sched.StepLR(_opt(), 2, last_epoch=3), KeyError, r"param 'initial_lr' is not specified"),
    (lambda: sched.ReduceLROnPlateau(_opt(), factor=1.5), ValueError, r"Factor should be < 1.0"),
    (lambda: sched.OneCycleLR(_opt(), 1.0), ValueError,
     r"You must define either total_steps OR \(epochs AND steps_per_epoch\)"),
    (lambda: sched.OneCycleLR(optim.Adagrad([nn.Parameter(ag.zeros(1))]), 1.0, total_steps=5), ValueError,
     r"optimizer must support momentum or beta1 with `cycle_momentum` option enabled"),
    (lambda: sched.CosineAnnealingWarmRestarts(_opt(), T_0=0), ValueError, r"Expected positive integer T_0"),
    (lambda: optim.EarlyStopping(mode="up"), ValueError, r"EarlyStopping: mode must be 'min' or 'max'"),
    (lambda: optim.EarlyStopping().restore(nn.Linear(1, 1)), RuntimeError, r"no state recorded yet"),
    # data
    (lambda: transforms.Normalize([0.0], [0.0]), ValueError, r"Normalize: std evaluated to zero"),
    (lambda: transforms.RandomCrop(9)(ag.ones(1, 4, 4)), ValueError,
     r"RandomCrop: crop size \(9, 9\) is larger than the padded image \(4, 4\)"),
]


@pytest.mark.parametrize("call,exc,pattern", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_error_message(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_one_cycle_past_total_steps_raises():
    opt = _opt()
    s = sched.OneCycleLR(opt, 1.0, total_steps=2)
    opt.step()
    s.step()
    opt.step()
    with pytest.raises(ValueError, match="Tried to step 3 times. The specified number of total steps is 2"):
        s.step()
        s.step()


def test_mse_warns_on_broadcasting_targets():
    with pytest.warns(UserWarning, match=r"Using a target size \(\[3, 1\]\) that is different to the input size"):
        F.mse_loss(ag.ones(3, 2), ag.ones(3, 1))


def test_kl_div_mean_warns_like_pytorch():
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(ag.zeros(2, 2), ag.full((2, 2), 0.5))


def test_clip_grad_norm_nonfinite_error_and_return_value():
    p = nn.Parameter(ag.ones(2))
    p.grad = ag.tensor([3.0, 4.0])
    total = nn.utils.clip_grad_norm_([p], 1.0)
    assert total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-5)
    p.grad = ag.tensor([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is "
                                           "non-finite"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    q = nn.Parameter(ag.ones(3))
    q.grad = ag.tensor([-5.0, 0.5, 2.0])
    nn.utils.clip_grad_value_([q], 1.0)
    np.testing.assert_array_equal(q.grad.numpy(), [-1.0, 0.5, 1.0])
