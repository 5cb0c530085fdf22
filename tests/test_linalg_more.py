"""The rest of torch.linalg and the top-level legacy names: result tuples, integer outputs, singular and
non-positive-definite inputs (the *_ex variants' info), error messages, and what the op table cannot express
(eig's phase check, lstsq's per-driver outputs, pinv's tolerances). Values and gradients are in the op table
(tests/op_db_linalg_more.py) and the fuzzer (tests/fuzz/ops_linalg_more.py)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag

torch = pytest.importorskip("torch")
LA = ag.linalg
SINGULAR = np.array([[1.0, 2, 3], [2, 4, 6], [1, 1, 1]])


def _wc(rng, *shape):
    return rng.standard_normal(shape) + shape[-1] * np.eye(shape[-1])


def _both(a):
    return ag.tensor(a), torch.tensor(a)


# ---------------------------------------------------------------------- result tuples and integer outputs
def test_result_tuples_use_pytorchs_field_names():
    rng = np.random.default_rng(0)
    a = ag.tensor(_wc(rng, 3, 3))
    b = ag.tensor(rng.standard_normal((3, 2)))
    assert LA.lu_factor(a)._fields == ("LU", "pivots")
    assert LA.lu_factor_ex(a)._fields == ("LU", "pivots", "info")
    assert LA.lu(a)._fields == ("P", "L", "U") == ag.lu_unpack(*LA.lu_factor(a))._fields
    assert LA.lstsq(a, b)._fields == ("solution", "residuals", "rank", "singular_values")
    assert LA.eig(a)._fields == ("eigenvalues", "eigenvectors")
    assert LA.inv_ex(a)._fields == ("inverse", "info")
    assert LA.cholesky_ex(a @ a.mT)._fields == ("L", "info")
    assert LA.solve_ex(a, b)._fields == ("result", "info")
    assert ag.svd(a)._fields == ("U", "S", "V")
    assert ag.qr(a)._fields == ("Q", "R")
    assert ag.triangular_solve(b, a)._fields == ("solution", "cloned_coefficient")


def test_integer_outputs_and_dtypes_match_pytorch():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((2, 4, 3))
    ours, theirs = LA.lu_factor(ag.tensor(a)), torch.linalg.lu_factor(torch.tensor(a))
    assert ours.pivots.dtype == np.int32 and np.array_equal(ours.pivots.numpy(), theirs.pivots.numpy())
    assert LA.lu_factor_ex(ag.tensor(a)).info.dtype == np.int32
    assert LA.matrix_rank(ag.tensor(a)).dtype == np.int64
    np.testing.assert_array_equal(LA.matrix_rank(ag.tensor(a)).numpy(), torch.linalg.matrix_rank(torch.tensor(a)))
    w, v = LA.eig(ag.tensor(a[0, :3].astype(np.float32)))
    assert w.dtype == np.complex64 and v.dtype == np.complex64
    assert LA.eigvals(ag.tensor(a[0, :3])).dtype == np.complex128
    assert LA.vander(ag.tensor(np.array([1, 2, 3], dtype=np.int32))).dtype == np.int64


def test_lstsq_outputs_per_driver_follow_pytorch():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    deficient = a.copy()
    deficient[:, 2] = deficient[:, 1]
    for x in (a, deficient):
        for driver in ("gelsy", "gelsd", "gelss", "gels"):
            if driver == "gels" and x is deficient:
                continue  # gels assumes full rank
            ours = LA.lstsq(ag.tensor(x), ag.tensor(b), driver=driver)
            theirs = torch.linalg.lstsq(torch.tensor(x), torch.tensor(b), driver=driver)
            for o, t in zip(ours, theirs):
                assert o.shape == tuple(t.shape), (driver, o.shape, t.shape)
                np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-9, atol=1e-10)
    vec = LA.lstsq(ag.tensor(a), ag.tensor(b[:, 0]), driver="gelsd")
    assert vec.solution.shape == (3,) and vec.residuals.shape == (1,)


def test_pinv_and_matrix_rank_tolerances():
    rng = np.random.default_rng(3)
    u, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    a = (u * np.array([3.0, 1.0, 1e-3, 0.0])) @ u.T
    for kw in ({}, {"atol": 0.01}, {"rtol": 0.1}, {"atol": 0.5, "rtol": 0.1}, {"hermitian": True}):
        np.testing.assert_allclose(LA.pinv(ag.tensor(a), **kw).numpy(),
                                   torch.linalg.pinv(torch.tensor(a), **kw).numpy(), atol=1e-8)
        assert int(LA.matrix_rank(ag.tensor(a), **kw)) == int(torch.linalg.matrix_rank(torch.tensor(a), **kw))
    assert int(LA.matrix_rank(ag.tensor(a), 0.01)) == 2  # tol: the deprecated atol
    np.testing.assert_allclose(ag.pinverse(ag.tensor(a), rcond=1e-2).numpy(),
                               torch.pinverse(torch.tensor(a), rcond=1e-2).numpy(), atol=1e-10)
    batched = LA.pinv(ag.tensor(rng.standard_normal((4, 3))), atol=ag.tensor(np.array([[0.1], [100.0]])))
    assert batched.shape == (2, 1, 3, 4) and not np.any(batched.numpy()[1])


# ---------------------------------------------------------------------- singular / not positive-definite
def test_ex_variants_report_info_where_pytorch_does():
    rng = np.random.default_rng(4)
    stack = np.stack([_wc(rng, 3, 3), SINGULAR])
    for ours, theirs in (
        (LA.inv_ex(ag.tensor(stack)), torch.linalg.inv_ex(torch.tensor(stack))),
        (LA.lu_factor_ex(ag.tensor(stack)), torch.linalg.lu_factor_ex(torch.tensor(stack))),
        (LA.solve_ex(ag.tensor(stack), ag.tensor(np.ones(3))),
         torch.linalg.solve_ex(torch.tensor(stack), torch.ones(3, dtype=torch.float64))),
    ):
        np.testing.assert_array_equal(ours[-1].numpy(), theirs[-1].numpy())
        np.testing.assert_array_equal(np.isfinite(ours[0].numpy()), np.isfinite(theirs[0].numpy()))
    neg = -np.eye(3)
    neg[0, 0] = 1
    lo, info = LA.cholesky_ex(ag.tensor(np.stack([np.eye(3), neg])))
    t_lo, t_info = torch.linalg.cholesky_ex(torch.tensor(np.stack([np.eye(3), neg])))
    np.testing.assert_array_equal(info.numpy(), t_info.numpy())
    np.testing.assert_array_equal(lo.numpy(), t_lo.numpy())
    assert int(LA.lu_factor_ex(ag.tensor(SINGULAR)).info) == 3


def test_singular_and_indefinite_inputs_raise_with_pytorchs_message():
    s = ag.tensor(np.stack([np.eye(3), SINGULAR]))
    with pytest.raises(RuntimeError, match=r"lu_factor: \(Batch element 1\): U\[3,3\] is zero.*lu_factor_ex"):
        LA.lu_factor(s)
    with pytest.raises(RuntimeError, match=r"lu_factor_ex: \(Batch element 1\): U\[3,3\] is zero"):
        LA.lu_factor_ex(s, check_errors=True)
    with pytest.raises(RuntimeError, match=r"U\[3,3\] is zero"):
        ag.lu(ag.tensor(SINGULAR))
    assert int(ag.lu(ag.tensor(SINGULAR), get_infos=True)[2]) == 3
    with pytest.raises(LA.LinAlgError, match=r"inv_ex: \(Batch element 1\): The diagonal element 3 is zero"):
        LA.inv_ex(s, check_errors=True)
    with pytest.raises(LA.LinAlgError, match="solve_ex: The solver failed because the input matrix.*singular"):
        LA.solve_ex(ag.tensor(SINGULAR), ag.tensor(np.ones(3)), check_errors=True)
    with pytest.raises(LA.LinAlgError, match="cholesky_ex: The factorization could not be completed.*order 1"):
        LA.cholesky_ex(ag.tensor(-np.eye(2)), check_errors=True)
    with pytest.raises(RuntimeError, match="LU without pivoting is not implemented on the CPU"):
        LA.lu_factor(ag.tensor(np.eye(2)), pivot=False)


def test_cond_of_a_singular_matrix_is_inf_as_pytorch():
    for p in (None, "fro", 1, np.inf, "nuc"):
        ours = float(LA.cond(ag.tensor(SINGULAR), p))
        theirs = float(torch.linalg.cond(torch.tensor(SINGULAR), p))
        assert (ours > 1e15) == (theirs > 1e15), p
    assert float(LA.cond(ag.tensor(SINGULAR), "fro")) == np.inf


def test_cond_gradient_for_the_inverse_norm_orders():
    # (torch 2.13's backward of these raises, so the op table has no torch oracle for them: check by hand)
    rng = np.random.default_rng(5)
    a = _wc(rng, 3, 3)
    for p in ("fro", 1, -np.inf):
        x = ag.tensor(a, requires_grad=True)
        LA.cond(x, p).backward()
        fd = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            e = np.zeros_like(a)
            e[i] = 1e-6
            fd[i] = (np.linalg.cond(a + e, p) - np.linalg.cond(a - e, p)) / 2e-6
        np.testing.assert_allclose(x.grad.numpy(), fd, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------- eig's complex gradient convention
def test_eig_gradient_matches_pytorch_for_real_functions_of_complex_outputs():
    rng = np.random.default_rng(6)
    a = rng.standard_normal((4, 4))
    x, t = ag.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    w, v = LA.eig(x)
    tw, tv = torch.linalg.eig(t)
    ((w * w.conj()).abs().sum() + (v * v.conj()).abs().sum()).backward()
    ((tw * tw.conj()).abs().sum() + (tv * tv.conj()).abs().sum()).backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_eig_refuses_a_loss_that_depends_on_the_eigenvectors_phase():
    x = ag.tensor(np.random.default_rng(7).standard_normal((3, 3)), requires_grad=True)
    v = LA.eig(x).eigenvectors
    with pytest.raises(RuntimeError, match=r"specified up to multiplication by e\^\{i phi\}.*abs\(\)"):
        (v * ag.tensor(np.arange(9.0).reshape(3, 3))).sum().abs().backward()


# ---------------------------------------------------------------------- argument errors
@pytest.mark.parametrize("call,exc,match", [
    (lambda: LA.lu_solve(*LA.lu_factor(ag.eye(3, dtype=ag.float64)), ag.ones(3, 2)), RuntimeError,
     "Expected LU and B to have the same dtype, but found LU of type Double and B of type Float"),
    (lambda: LA.lu_solve(LA.lu_factor(ag.eye(3, dtype=ag.float64)).LU, ag.tensor(np.array([1, 2, 3])),
                         ag.ones(3, 2, dtype=ag.float64)), RuntimeError, "pivots should be a Tensor of scalar type "
                                                                        "torch.int32"),
    (lambda: LA.lu_solve(*LA.lu_factor(ag.eye(3, dtype=ag.float64)), ag.ones(4, 2, dtype=ag.float64)),
     RuntimeError, r"Incompatible shapes of A and B for the equation AX = B \(3x3 and 4x2\)"),
    (lambda: LA.lstsq(ag.ones(5, 3, dtype=ag.float64), ag.ones(5, 2)), RuntimeError,
     "lstsq: Expected input and other to have the same dtype, but got input's dtype Double and other's dtype Float"),
    (lambda: LA.lstsq(ag.ones(5, 3), ag.ones(4, 2)), RuntimeError, r"input.size\(-2\) should match other.size\(-2\)"),
    (lambda: LA.lstsq(ag.ones(5, 3), ag.ones(5, 2), driver="foo"), RuntimeError,
     "driver` should be one of \\(gels, gelsy, gelsd, gelss\\)"),
    (lambda: LA.pinv(ag.ones(3)), RuntimeError, "linalg.pinv"),
    (lambda: LA.cond(ag.ones(3, 3), "foo"), RuntimeError, "linalg.cond got an invalid norm type: foo"),
    (lambda: LA.cond(ag.ones(3, 4), "fro"), RuntimeError, r"cond\(ord=fro\): A must be batches of square matrices"),
    (lambda: LA.vander(ag.ones(3), N=1), RuntimeError, "N must be greater than 1"),
    (lambda: LA.vander(ag.tensor([True, False])), RuntimeError, "vander supports floating point.*but got Bool"),
    (lambda: LA.tensorinv(ag.ones(2, 3, 6), ind=0), RuntimeError, "strictly positive integer for 'ind'"),
    (lambda: LA.tensorinv(ag.ones(2, 3, 6), ind=1), RuntimeError, r"prod\(self.shape\[ind:\]\) == "
                                                                  r"prod\(self.shape\[:ind\]\), but got 18 != 2"),
    (lambda: LA.tensorsolve(ag.ones(2, 3, 5), ag.ones(2, 3)), RuntimeError, "but got 5 != 6"),
    (lambda: LA.cross(ag.ones(2, 3), ag.ones(3)), RuntimeError, "same number of dimensions"),
    (lambda: LA.householder_product(ag.ones(3, 4), ag.ones(2)), RuntimeError, r"input.shape\[-2\] must be greater"),
    (lambda: LA.householder_product(ag.ones(4, 3), ag.ones(4)), RuntimeError, r"greater than or equal to tau"),
    (lambda: ag.triangular_solve(ag.ones(3), ag.eye(3)), RuntimeError, "Expected b to have at least 2 dimensions"),
    (lambda: ag.triangular_solve(ag.ones(3, 1), ag.eye(3, dtype=ag.float64)), RuntimeError,
     "Expected b and A to have the same dtype, but found b of type Float and A of type Double"),
    (lambda: ag.cholesky_solve(ag.ones(3), ag.eye(3)), RuntimeError, "b should have at least 2 dimensions"),
    (lambda: ag.cholesky_solve(ag.ones(4, 2), ag.eye(3)), RuntimeError,
     "Incompatible matrix sizes for cholesky_solve: each A matrix is 3 by 3 but each b matrix is 4 by 2"),
    (lambda: ag.cholesky_inverse(ag.ones(4, 3)), RuntimeError, "cholesky_inverse: A must be batches of square"),
    (lambda: ag.vdot(ag.ones(3), ag.ones(3, dtype=ag.float64)), RuntimeError, "expected both vectors to have same "
                                                                              "dtype"),
    (lambda: ag.vdot(ag.ones(3, 1), ag.ones(3, 1)), RuntimeError, "1D tensors expected, but got 2D and 2D tensors"),
    (lambda: ag.ger(ag.ones(3, 1), ag.ones(2)), RuntimeError, "outer: Expected 1-D argument self, but got 2-D"),
    (lambda: ag.ones(2, 3, 4).H, RuntimeError, r"only supported on matrices \(2-D tensors\). Got 3-D tensor. For "
                                               "batches of matrices, consider using tensor.mH"),
    (lambda: ag.ones(3).mH, RuntimeError, "tensor.mH is only supported on matrices or batches of matrices. Got 1-D"),
    (lambda: ag.ones(3).adjoint(), RuntimeError, r"tensor.adjoint\(\) is only supported on matrices"),
])
def test_argument_errors_name_the_op_and_the_fix(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_the_same_calls_raise_the_same_exception_type_in_pytorch():
    # (a sample of the table above, to keep the exception types honest)
    with pytest.raises(RuntimeError):
        torch.linalg.lstsq(torch.ones(5, 3, dtype=torch.float64), torch.ones(5, 2))
    with pytest.raises(RuntimeError):
        torch.linalg.cond(torch.ones(3, 3), "foo")
    with pytest.raises(RuntimeError):
        torch.ones(2, 3, 4).H  # noqa: B018


# ---------------------------------------------------------------------- legacy names, methods, broadcasting
def test_legacy_svd_returns_v_and_zero_filled_factors_without_uv():
    a = np.random.default_rng(8).standard_normal((4, 3))
    u, s, v = ag.svd(ag.tensor(a))
    np.testing.assert_allclose((u.numpy() * s.numpy()) @ v.numpy().T, a, atol=1e-12)
    assert ag.svd(ag.tensor(a), some=False).U.shape == (4, 4)
    u0, s0, v0 = ag.svd(ag.tensor(a), compute_uv=False)
    assert u0.shape == (4, 4) and v0.shape == (3, 3) and not np.any(u0.numpy()) and not np.any(v0.numpy())
    assert ag.tensor(a).svd().V.shape == (3, 3)
    assert ag.tensor(a).qr(some=False).Q.shape == (4, 4)


def test_triangular_solve_broadcasts_and_copies_the_coefficient():
    rng = np.random.default_rng(9)
    a, b = _wc(rng, 3, 3), rng.standard_normal((2, 3, 2))
    x, c = ag.triangular_solve(ag.tensor(b), ag.tensor(a), upper=False)
    tx, tc = torch.triangular_solve(torch.tensor(b), torch.tensor(a), upper=False)
    np.testing.assert_allclose(x.numpy(), tx.numpy(), rtol=1e-12)
    assert c.shape == tuple(tc.shape) == (2, 3, 3)
    at = ag.tensor(a)
    assert not np.shares_memory(ag.triangular_solve(ag.tensor(b[0]), at).cloned_coefficient.numpy(), at.numpy())
    assert ag.triangular_solve(ag.tensor(b), at).cloned_coefficient.requires_grad is False
    bt = ag.tensor(b, requires_grad=True)
    assert ag.triangular_solve(bt, at).cloned_coefficient.requires_grad  # as PyTorch's (zero gradient to b)


def test_tensor_methods_are_bound():
    rng = np.random.default_rng(10)
    a = ag.tensor(_wc(rng, 3, 3))
    lo = LA.cholesky(a @ a.mT)
    b = ag.tensor(rng.standard_normal((3, 2)))
    np.testing.assert_allclose(b.cholesky_solve(lo).numpy(), np.linalg.solve((a @ a.mT).numpy(), b.numpy()),
                               rtol=1e-10)
    np.testing.assert_allclose(lo.cholesky_inverse().numpy(), np.linalg.inv((a @ a.mT).numpy()), rtol=1e-10)
    np.testing.assert_allclose(b.lu_solve(*a.lu()).numpy(), np.linalg.solve(a.numpy(), b.numpy()), rtol=1e-10)
    np.testing.assert_allclose(b.triangular_solve(a).solution.numpy(), np.linalg.solve(np.triu(a.numpy()),
                                                                                       b.numpy()), rtol=1e-10)
    np.testing.assert_allclose(a.pinverse().numpy(), np.linalg.inv(a.numpy()), rtol=1e-10)
    v = ag.tensor(rng.standard_normal(3))
    assert v.ger(v).shape == (3, 3) and float(v.vdot(v)) == pytest.approx(float((v * v).sum()))
    assert a.H.shape == a.mH.shape == a.adjoint().shape == (3, 3)
    c = ag.tensor(np.array([[1 + 2j, 3j]]))
    np.testing.assert_array_equal(c.mH.numpy(), np.array([[1 - 2j], [-3j]]))
    with pytest.warns(UserWarning, match="deprecated on 0-D"):
        assert float(ag.tensor(2.0).H) == 2.0


def test_lu_solve_broadcasts_batches_and_vectors_need_a_matrix():
    rng = np.random.default_rng(11)
    a, b = _wc(rng, 2, 3, 3), rng.standard_normal((4, 1, 3, 2))
    x = LA.lu_solve(*LA.lu_factor(ag.tensor(a)), ag.tensor(b))
    assert x.shape == (4, 2, 3, 2)
    np.testing.assert_allclose(x.numpy(), np.linalg.solve(a, b), rtol=1e-10)
