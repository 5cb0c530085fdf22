"""Contraction ops against PyTorch where the op table (tests/op_db_contraction.py) cannot look: integer and empty
inputs, dtypes, the in-place twins' semantics, deprecation warnings, vander's values (torch cannot differentiate
it), second derivatives of matrix_exp, and every error path (type and message)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _torch_twins import both, dtype_name, np_of, same

import autograd_core as ag

torch = pytest.importorskip("torch")
# nan, inf and zero-dof inputs are on purpose: numpy's warnings from their backwards are expected
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

RNG = np.random.default_rng(0)


def _r(*shape):
    return RNG.standard_normal(shape)


_np, _dt = np_of, dtype_name


def _same(ours, theirs, rtol=None, atol=1e-9):
    same(ours, theirs, rtol, atol, f32_scale=True)


def _both(f, *arrays, grad=True):
    return both(f, *arrays, grad=grad, f32_scale=True)


CASES = {
    "tensordot_forms": (lambda m, a, b: (m.tensordot(a, b), m.tensordot(a, b, 0),
                                         m.tensordot(a, b, ([1, 2], [0, 1])), m.tensordot(a, b, [[-1], [-2]]),
                                         m.tensordot(a, b, m.tensor([[2], [1]])), m.tensordot(a, b, ([], []))),
                        (_r(2, 3, 4), _r(3, 4, 5))),
    "tensordot_one_dim": (lambda m, a, b: (m.tensordot(a, b, 1), m.tensordot(a, b, m.tensor(1))),
                          (_r(2, 3), _r(3, 4))),
    "tensordot_size1": (lambda m, a, b, c: (m.tensordot(a, b, ([1], [0])), m.tensordot(b, c, ([0], [1]))),
                        (_r(2, 1), _r(3, 4), _r(2, 1))),
    "tensordot_integers": (lambda m: m.tensordot(m.tensor([[1, 2], [3, 4]]), m.tensor([[1, 0], [2, 1]]), 1), ()),
    "tensordot_0d": (lambda m, a, b: m.tensordot(a, b, 0), (np.array(2.0), np.array(3.0))),
    "inner": (lambda m, a, b, s: (m.inner(a, b), a.inner(b[0]), m.inner(a, s), m.inner(s, a),
                                  m.inner(m.tensor([1, 2]), m.tensor(2.5))), (_r(2, 3, 4), _r(5, 4), np.array(1.5))),
    "addr": (lambda m, c, a, b: (m.addr(c, a, b), m.addr(c[0], a, b, beta=0.5, alpha=-2), c.addr(a, b, beta=0),
                                 m.addr(c * float("nan"), a, b, beta=0)), (_r(2, 3), _r(2), _r(3))),
    "addr_promotes": (lambda m, c, a, b: m.addr(c.float(), a, b), (_r(2, 3), _r(2), _r(3))),
    "addr_integers": (lambda m: (m.addr(m.tensor([[1, 2, 3]]), m.tensor([1]), m.tensor([1, 2, 3])),
                                 m.addr(m.tensor([[1, 2]]), m.tensor([1]), m.tensor([2, 3]), beta=2, alpha=3)), ()),
    "addbmm": (lambda m, c, a, b: (m.addbmm(c, a, b), m.addbmm(c[0], a, b, beta=0.5, alpha=2), c.addbmm(a, b, beta=0),
                                   m.addbmm(c, a[:0], b[:0], beta=2)), (_r(2, 5), _r(3, 2, 4), _r(3, 4, 5))),
    "inplace_twins": (lambda m, c, d, e, m1, m2, v, b1, b2: (
        (c * 1).addmm_(m1, m2, beta=0.5, alpha=2), (d * 1).addmv_(m1, v), (e * 1).baddbmm_(b1, b2, beta=0),
        (c * 1).addbmm_(b1, b2, alpha=-1), (c * 1).addr_(d, v[:2], beta=2)),
        (_r(3, 2), _r(3), _r(2, 3, 2), _r(3, 4), _r(4, 2), _r(4), _r(2, 3, 4), _r(2, 4, 2))),
    "chain_matmul": (lambda m, a, b, c, d: (m.chain_matmul(a, b, c, d), m.chain_matmul(a), m.chain_matmul(a, b)),
                     (_r(2, 3), _r(3, 4), _r(4, 2), _r(2, 5))),
    "matrix_power": (lambda m, a: tuple(m.matrix_power(a * 0.3 + m.eye(3, dtype=a.dtype), n) for n in range(-4, 9)),
                     (_r(2, 3, 3),)),
    "matrix_power_integers": (lambda m: (m.matrix_power(m.tensor([[1, 2], [3, 4]]), 3),
                                         m.matrix_power(m.tensor([[1, 2], [3, 4]]), 0),
                                         m.matrix_power(m.zeros(0, 3, 3), 2),
                                         m.matrix_power(m.zeros(2, 0, 0), -2)), ()),
    "matrix_exp": (lambda m, a: (m.matrix_exp(a), a[0].matrix_exp(), m.matrix_exp(a * 8), m.matrix_exp(a * 0),
                                 m.matrix_exp(a.float()), m.matrix_exp(a[:, :1, :1])), (_r(2, 3, 3),)),
    "matrix_exp_degenerate": (lambda m: (m.matrix_exp(m.zeros(0, 0)), m.matrix_exp(m.zeros(2, 0, 0)),
                                         m.matrix_exp(m.tensor([[1.0, float("nan")], [0.0, 1.0]])),
                                         m.matrix_exp(m.tensor([[1.0, float("inf")], [0.0, 1.0]]))), ()),
    "combinations": (lambda m, x: (m.combinations(x), m.combinations(x, 3), m.combinations(x, 1), m.combinations(x, 0),
                                   m.combinations(x, 5), m.combinations(x, 5, True), m.combinations(x, 2, True)),
                     (_r(4),)),
    "combinations_integers_empty": (lambda m: (m.combinations(m.zeros(0), 2), m.combinations(m.zeros(0), 1),
                                               m.combinations(m.tensor([True, False])),
                                               m.combinations(m.tensor([1, 2, 3]), 2)), ()),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_dtypes_and_gradients_match_torch(name):
    f, arrays = CASES[name]
    _both(f, *arrays)


def test_vander_values_match_torch_and_its_gradient_is_checked_here():
    x = _r(4)
    for args in ((), (5,), (0,), (1,), (2,)):
        for inc in (False, True):
            _same(ag.vander(ag.tensor(x), *args, increasing=inc), torch.vander(torch.tensor(x), *args, increasing=inc))
    for t in (lambda m: m.tensor([1, 2, 3]), lambda m: m.tensor([True, False]),
              lambda m: m.tensor([1, 2], dtype=m.int8), lambda m: m.zeros(0)):
        _same(ag.vander(t(ag), N=4, increasing=True), torch.vander(t(torch), N=4, increasing=True))
    # torch 2.13 cannot differentiate it (its cumprod reads the slice it has just written); ours is exact,
    # zeros in x included, to second order
    xt = torch.tensor(x, requires_grad=True)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        torch.vander(xt, 4).sum().backward()
    xs = ag.tensor(np.array([0.7, 0.0, -1.3, 2.0]), requires_grad=True)
    assert ag.gradcheck(lambda v: ag.vander(v, 5), [xs]) and ag.gradgradcheck(lambda v: ag.vander(v, 5), [xs])
    assert not ag.vander(ag.tensor(x, requires_grad=True), 1).requires_grad  # a column of ones only, as torch


def test_matrix_exp_second_derivative_matches_torch():
    a = _r(2, 3, 3) * 0.7
    res = []
    for m, grad in ((ag, ag.grad), (torch, torch.autograd.grad)):
        x = m.tensor(a, requires_grad=True)
        u = m.tensor(np.random.default_rng(1).standard_normal((2, 3, 3)))
        (g,) = grad([m.matrix_exp(x)], [x], [u], create_graph=True)
        (gg,) = grad([(g * m.tensor(np.random.default_rng(2).standard_normal((2, 3, 3)))).sum()], [x])
        res.append((_np(g), _np(gg)))
    for o, t in zip(*res):
        np.testing.assert_allclose(o, t, rtol=1e-9, atol=1e-11)


def test_matrix_power_zero_keeps_a_zero_gradient_as_torch():
    for m in (ag, torch):
        x = m.tensor(_r(2, 3, 3), requires_grad=True)
        y = m.matrix_power(x, 0)
        assert y.requires_grad
        (g,) = (ag.grad if m is ag else torch.autograd.grad)(y.sum(), [x])
        np.testing.assert_array_equal(_np(g), np.zeros((2, 3, 3)))


def test_inplace_twins_write_into_self_as_torch():
    for name, args in (("addmm_", (_r(3, 4), _r(4, 2))), ("addmv_", (_r(3, 4), _r(4))), ("addr_", (_r(3), _r(2))),
                       ("baddbmm_", (_r(1, 3, 4), _r(1, 4, 2))), ("addbmm_", (_r(2, 3, 4), _r(2, 4, 2)))):
        shape = (3,) if name == "addmv_" else ((1, 3, 2) if name == "baddbmm_" else (3, 2))
        base = _r(*shape)
        got = []
        for m in (ag, torch):
            c = m.tensor(base)
            r = getattr(c, name)(*[m.tensor(a) for a in args], beta=0.5, alpha=2)
            assert r is c and c._version == 1
            got.append(_np(c))
            with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
                getattr(m.tensor(base, requires_grad=True), name)(*[m.tensor(a) for a in args])
        np.testing.assert_allclose(got[0], got[1], rtol=1e-12)
    for m in (ag, torch):  # a self that would have to grow: refused (torch's addbmm_ alone resizes it)
        with pytest.raises(RuntimeError):
            m.tensor(_r(2)).addmm_(m.tensor(_r(3, 4)), m.tensor(_r(4, 2)))
        with pytest.raises(RuntimeError):
            m.tensor(_r(2)).addr_(m.tensor(_r(3)), m.tensor(_r(2)))


def test_chain_matmul_is_deprecated_as_in_torch():
    from autograd_core.ops import contraction

    contraction._CHAIN_WARNED[0] = False
    with pytest.warns(UserWarning, match="torch.chain_matmul is deprecated.*linalg.multi_dot"):
        ag.chain_matmul(ag.ones(2, 3), ag.ones(3, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ag.chain_matmul(ag.ones(2, 3), ag.ones(3, 2))  # once per process, as torch's TORCH_WARN_ONCE


def test_methods_are_bound_as_torch():
    for name in ("inner", "addr", "addbmm", "matrix_power", "matrix_exp", "addmm_", "addmv_", "baddbmm_", "addbmm_",
                 "addr_"):
        assert hasattr(ag.Tensor, name) and hasattr(torch.Tensor, name), name
    for name in ("tensordot", "chain_matmul", "vander", "combinations"):
        assert not hasattr(ag.Tensor, name) and not hasattr(torch.Tensor, name), name


# ---------------------------------------------------------------------- errors: type and message
A, B = _r(2, 3, 4), _r(3, 4, 5)
ERRORS = [
    ("tensordot_size", lambda m: m.tensordot(m.tensor(A), m.tensor(B), ([1], [1])), RuntimeError,
     "contracted dimensions need to match, but first has size 3 in dim 1 and second has size 4 in dim 1"),
    ("tensordot_repeat", lambda m: m.tensordot(m.tensor(A), m.tensor(B), ([1, 1], [0, 0])), RuntimeError,
     "appears multiple times"),
    ("tensordot_lengths", lambda m: m.tensordot(m.tensor(A), m.tensor(B), ([1], [0, 1])), RuntimeError,
     "both dimension lists should have same length"),
    ("tensordot_negative", lambda m: m.tensordot(m.tensor(A), m.tensor(B), -1), RuntimeError,
     "tensordot expects dims >= 0"),
    ("tensordot_too_many", lambda m: m.tensordot(m.tensor(A), m.tensor(B), 4), RuntimeError,
     "tensordot expects dims < ndim_a or ndim_b"),
    ("tensordot_float", lambda m: m.tensordot(m.tensor(A), m.tensor(B), 1.5), RuntimeError,
     "tensordot expects dims to be int or"),
    ("tensordot_ints", lambda m: m.tensordot(m.tensor(A), m.tensor(B), (1, 0)), TypeError, "must be tuple of ints"),
    ("tensordot_dim_range", lambda m: m.tensordot(m.tensor(A), m.tensor(B), ([3], [0])), IndexError,
     "Dimension out of range"),
    ("tensordot_dtype", lambda m: m.tensordot(m.tensor(A), m.tensor(B).float(), 1), RuntimeError,
     "both inputs should have same dtype"),
    ("inner_last_dim", lambda m: m.inner(m.tensor(A), m.tensor(_r(3))), RuntimeError,
     r"inner\(\) the last dimension must match on both input tensors but got shapes \[2, 3, 4\] and \[3\]"),
    ("inner_dtype", lambda m: m.inner(m.tensor(A), m.tensor(_r(4)).float()), RuntimeError,
     "both inputs should have same dtype"),
    ("addr_2d", lambda m: m.addr(m.tensor(_r(2, 3)), m.tensor(_r(2, 1)), m.tensor(_r(3))), RuntimeError,
     "addr: Expected 1-D argument vec1, but got 2-D"),
    ("addr_shape", lambda m: m.addr(m.tensor(_r(4, 3)), m.tensor(_r(2)), m.tensor(_r(3))), RuntimeError,
     "expanded size"),
    ("addr_integral_beta", lambda m: m.addr(m.tensor([[1, 2]]), m.tensor([1]), m.tensor([2, 3]), beta=0.5),
     RuntimeError, "For integral input tensors, argument beta must not be a floating point number"),
    ("addbmm_2d", lambda m: m.addbmm(m.tensor(_r(2, 5)), m.tensor(_r(2, 4)), m.tensor(_r(3, 4, 5))), RuntimeError,
     ""),
    ("addbmm_batches", lambda m: m.addbmm(m.tensor(_r(2, 5)), m.tensor(_r(3, 2, 4)), m.tensor(_r(2, 4, 5))),
     RuntimeError, "batch1 and batch2 must have same number of batches, got 3 and 2"),
    ("addbmm_sizes", lambda m: m.addbmm(m.tensor(_r(2, 5)), m.tensor(_r(3, 2, 4)), m.tensor(_r(3, 3, 5))),
     RuntimeError, r"Incompatible matrix sizes for bmm \(2x4 and 3x5\)"),
    ("addbmm_dtype", lambda m: m.addbmm(m.tensor(_r(2, 5)), m.tensor(_r(3, 2, 4)), m.tensor(_r(3, 4, 5)).float()),
     RuntimeError, "same dtype"),
    ("addbmm_shape", lambda m: m.addbmm(m.tensor(_r(3, 5)), m.tensor(_r(3, 2, 4)), m.tensor(_r(3, 4, 5))),
     RuntimeError, "expanded size"),
    ("chain_none", lambda m: m.chain_matmul(), RuntimeError, "Expected one or more matrices"),
    ("chain_1d", lambda m: m.chain_matmul(m.ones(2, 3), m.ones(3)), RuntimeError,
     "Tensor dimension is 1, expected 2 instead"),
    ("chain_list", lambda m: m.chain_matmul([m.ones(2, 3), m.ones(3, 2)]), TypeError,
     "expected Tensor as element 0 in argument 0"),
    ("chain_sizes", lambda m: m.chain_matmul(m.ones(2, 3), m.ones(4, 2)), RuntimeError, "cannot be multiplied"),
    ("matrix_power_square", lambda m: m.matrix_power(m.ones(3, 4), 2), RuntimeError,
     "linalg.matrix_power: A must be batches of square matrices, but they are 3 by 4 matrices"),
    ("matrix_power_1d", lambda m: m.matrix_power(m.ones(3), 2), RuntimeError, "must have at least 2 dimensions"),
    ("matrix_power_float_n", lambda m: m.matrix_power(m.ones(3, 3), 2.0), TypeError, "must be int"),
    ("matrix_power_int_inverse", lambda m: m.matrix_power(m.tensor([[1, 2], [3, 4]]), -1), RuntimeError,
     "floating point"),
    ("matrix_power_singular", lambda m: m.matrix_power(m.tensor([[1.0, 2.0], [2.0, 4.0]]), -2), RuntimeError,
     "singular"),
    ("matrix_exp_square", lambda m: m.matrix_exp(m.ones(3, 4)), RuntimeError,
     "linalg.matrix_exp: A must be batches of square matrices"),
    ("matrix_exp_int", lambda m: m.matrix_exp(m.tensor([[1, 2], [3, 4]])), RuntimeError,
     "linalg.matrix_exp: Expected a floating point or complex tensor as input. Got Long"),
    ("matrix_exp_1d", lambda m: m.matrix_exp(m.ones(3)), RuntimeError, "must have at least 2 dimensions"),
    ("vander_2d", lambda m: m.vander(m.ones(1, 3)), RuntimeError, "x must be a one-dimensional tensor"),
    ("vander_N", lambda m: m.vander(m.ones(3), N=-1), RuntimeError, "N must be non-negative"),
    ("combinations_2d", lambda m: m.combinations(m.ones(1, 2)), RuntimeError, r"Expect a 1D vector, but got shape"),
    ("combinations_r", lambda m: m.combinations(m.ones(3), -1), RuntimeError,
     "Expect a non-negative number, but got -1"),
]


@pytest.mark.parametrize("name,f,exc,msg", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_have_torch_types_and_clear_messages(name, f, exc, msg):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(exc, match=msg or None):
            f(ag)
        with pytest.raises(exc):
            f(torch)
