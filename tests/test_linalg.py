"""ag.linalg beyond the op table: derivation cards, errors, singular and degenerate inputs, methods."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.derivations import CARDS

LA = ag.linalg


def _t(a, rg=False):
    return ag.tensor(np.asarray(a, dtype=np.float64), requires_grad=rg)


# ---------------------------------------------------------------------- derivation cards


@pytest.mark.parametrize("name", sorted(CARDS))
def test_derivation_card_holds_on_random_inputs(name):
    card = LA.derivation(name)
    for seed in (0, 1):
        res = card.check(seed=seed)
        assert res.ok, str(res)
    assert name in str(card) and card.statement in str(card)


def test_a_wrong_formula_fails_its_card():
    # the check is not vacuous: the transposed determinant identity (|K| K^-1, not K^-T) is caught
    wrong = dataclasses.replace(CARDS["det"], formula=lambda k: (np.linalg.det(k) * np.linalg.inv(k),))
    res = wrong.check()
    assert not res.ok and res.autograd_err > 1e-3 and res.fd_err > 1e-3
    assert "FAILED" in str(res)


def test_every_linalg_op_and_course_identity_has_a_card():
    needed = {"quadratic_form", "trace_product", "det", "inv", "logdet", "inv_quadratic", "normal_equation",
              "slogdet", "solve", "solve_triangular", "cholesky", "qr", "eigh", "svd", "nuclear_norm",
              "spectral_norm", "frobenius_norm", "trace", "diagonal", "outer", "einsum_matmul"}
    assert needed <= set(CARDS)
    assert len(LA.derivations()) == len(CARDS)
    with pytest.raises(KeyError, match="no card named 'nope'; available"):
        LA.derivation("nope")


# ---------------------------------------------------------------------- errors


def test_singular_inverse_names_op_batch_element_and_fix():
    a = np.stack([np.eye(3), np.ones((3, 3))])
    x = _t(a, True)
    with pytest.raises(LA.LinAlgError, match=r"linalg\.inv: \(batch element 1\) the input matrix of shape "
                                             r"\[2, 3, 3\] \(float64\) is singular.*Fix: .*ridge term"):
        LA.inv(x)
    with pytest.raises(RuntimeError, match="singular"):  # LinAlgError is a RuntimeError, as in PyTorch
        x.inverse()
    np.testing.assert_array_equal(x.data, a)  # no state lost


def test_singular_solve_and_triangular_solve():
    with pytest.raises(LA.LinAlgError, match=r"linalg\.solve: the input matrix of shape \[2, 2\].*singular"):
        LA.solve(_t([[1.0, 2.0], [2.0, 4.0]]), _t([1.0, 1.0]))
    tri = _t([[1.0, 0.0], [3.0, 0.0]])
    # a zero on the diagonal is no error in PyTorch: the substitution divides by it (fuzz seed 326260)
    with np.errstate(all="ignore"):
        out = LA.solve_triangular(tri, _t(np.ones((2, 1))), upper=False)
    assert out.data[0, 0] == 1.0 and np.isinf(out.data[1, 0])
    # unitriangular ignores the diagonal, so the same matrix is fine then
    out = LA.solve_triangular(tri, _t(np.ones((2, 1))), upper=False, unitriangular=True)
    np.testing.assert_allclose(out.data, [[1.0], [-2.0]])


def test_cholesky_of_non_pd_input_names_leading_minor():
    a = np.stack([np.eye(3), np.diag([1.0, -1.0, 2.0])])
    with pytest.raises(LA.LinAlgError, match=r"linalg\.cholesky: \(batch element 1\) .*not positive-definite "
                                             r"\(the leading minor of order 2 is not positive-definite\)"):
        LA.cholesky(_t(a, True))


def test_non_square_and_integer_inputs_are_rejected():
    with pytest.raises(RuntimeError, match=r"linalg\.det: expected a matrix or a batch of square matrices.*"
                                           r"got shape \[2, 3\]"):
        LA.det(_t(np.zeros((2, 3))))
    with pytest.raises(RuntimeError, match=r"linalg\.inv: expected a floating point tensor, got int64.*\.double\(\)"):
        LA.inv(ag.tensor(np.eye(2, dtype=np.int64)))
    with pytest.raises(RuntimeError, match=r"linalg\.solve: A of shape \[3, 3\] and B of shape \[2\] do not match"):
        LA.solve(_t(np.eye(3)), _t(np.ones(2)))
    with pytest.raises(RuntimeError, match="matrix_norm: ord must be"):
        LA.matrix_norm(_t(np.eye(2)), 3)
    with pytest.raises(RuntimeError, match="vector_norm: ord must be a number"):
        LA.vector_norm(_t(np.eye(2)), "fro")


def test_einsum_errors_name_the_equation():
    a, b = _t(np.zeros((2, 3))), _t(np.zeros((2, 3)))
    with pytest.raises(RuntimeError, match=r"einsum\('ij,jk'\): label 'j' has size 3 in one operand and 2"):
        ag.einsum("ij,jk", a, b)
    with pytest.raises(RuntimeError, match="has 2 operand.* but 1 tensor"):
        ag.einsum("ij,jk", a)
    with pytest.raises(RuntimeError, match="subscript 'ijk' has 3 labels but its operand has 2 dimension"):
        ag.einsum("ijk->i", a)
    with pytest.raises(RuntimeError, match=r"output label\(s\) \['z'\] do not appear"):
        ag.einsum("ij->z", a)
    with pytest.raises(RuntimeError, match="invalid subscript 'i1'"):
        ag.einsum("i1->i", a)


def test_slogdet_backward_at_singular_matrix_raises_instead_of_nan():
    x = _t([[1.0, 2.0], [2.0, 4.0]], True)
    sign, logabs = LA.slogdet(x)
    assert sign.item() == 0.0 and logabs.item() == -np.inf
    with pytest.raises(LA.LinAlgError, match=r"linalg\.slogdet \(backward\).*singular.*ridge"):
        logabs.backward()


def test_qr_and_svd_non_differentiable_modes_explain_themselves():
    x = _t(np.random.default_rng(0).standard_normal((4, 3)), True)
    q, r = LA.qr(x, mode="r")
    assert q.numel() == 0
    np.testing.assert_allclose(np.abs(r.data), np.abs(np.linalg.qr(x.data)[1]))
    with pytest.raises(RuntimeError, match="mode='r'.*mode='reduced'"):
        r.sum().backward()
    q, r = LA.qr(x, mode="complete")
    assert q.shape == (4, 4)
    with pytest.raises(RuntimeError, match="mode='complete' and nrows > ncols"):
        (q.sum() + r.sum()).backward()
    u, s, vh = LA.svd(x)  # PyTorch's default full_matrices=True
    assert u.shape == (4, 4)
    # the extra column of U is not unique: its gradient is dropped (PyTorch's rule), the rest is the reduced one
    (u[:, :3].abs().sum() + s.sum()).backward()
    full = x.grad.clone()
    x.grad = None
    ur, sr, _ = LA.svd(x, full_matrices=False)
    (ur.abs().sum() + sr.sum()).backward()
    np.testing.assert_allclose(full.numpy(), x.grad.numpy(), atol=1e-12)
    with pytest.raises(RuntimeError, match="mode must be"):
        LA.qr(x, mode="full")


# ---------------------------------------------------------------------- singular / degenerate inputs


def _fd_grad(f, a, eps=1e-6):
    g = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        d = np.zeros_like(a)
        d[idx] = eps
        g[idx] = (f(a + d) - f(a - d)) / (2 * eps)
    return g


@pytest.mark.parametrize("rank", [2, 1])
def test_det_gradient_at_singular_matrix_is_the_cofactor_matrix(rank):
    rng = np.random.default_rng(rank)
    a = rng.standard_normal((3, rank)) @ rng.standard_normal((rank, 3))  # det = 0
    x = _t(a, True)
    LA.det(x).backward()
    np.testing.assert_allclose(x.grad.data, _fd_grad(np.linalg.det, a), atol=1e-7)
    if rank == 2:  # rank n-1: the cofactor matrix is non-zero
        assert np.abs(x.grad.data).max() > 1e-3
    # (PyTorch 2.13 returns zeros for the exactly singular [[1, 2], [2, 4]]; its cofactor is [[4, -2], [-2, 1]])
    y = _t([[1.0, 2.0], [2.0, 4.0]], True)
    LA.det(y).backward()
    np.testing.assert_allclose(y.grad.data, [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)


def test_det_second_derivative_at_singular_matrix_raises():
    x = _t([[1.0, 2.0], [2.0, 4.0]], True)
    (g,) = ag.grad(LA.det(x), [x], create_graph=False)
    assert g.shape == (2, 2)
    with pytest.raises(LA.LinAlgError, match="second derivative at a singular matrix"):
        ag.grad(LA.det(x), [x], create_graph=True)


def test_eigvalsh_gradient_is_finite_with_repeated_eigenvalues():
    # only eigenvalues used: V diag(g) V^T, no 1/(w_j - w_i) term (the degenerate-spectrum caveat is for V)
    x = _t(np.diag([2.0, 2.0, 5.0]), True)
    LA.eigvalsh(x).sum().backward()
    np.testing.assert_allclose(x.grad.data, np.eye(3), atol=1e-12)  # d tr(A) = I


def test_logdet_of_negative_determinant_is_nan_as_in_pytorch():
    x = _t(np.diag([-1.0, 2.0]))
    assert np.isnan(LA.logdet(x).item())
    assert np.isclose(LA.logdet(_t(np.diag([3.0, 2.0]))).item(), np.log(6.0))


# ---------------------------------------------------------------------- API surface and second order vs PyTorch


def test_tensor_methods_and_top_level_aliases():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    x = _t(a)
    np.testing.assert_allclose(x.det().item(), np.linalg.det(a))
    np.testing.assert_allclose(x.inverse().data, np.linalg.inv(a))
    np.testing.assert_allclose(ag.inverse(x).data, np.linalg.inv(a))
    np.testing.assert_allclose(x.trace().item(), np.trace(a))
    np.testing.assert_allclose(x.diagonal(1).data, np.diagonal(a, 1))
    np.testing.assert_allclose(x.diag().data, np.diag(a))
    np.testing.assert_allclose(x.logdet().item(), np.log(np.linalg.det(a)))
    np.testing.assert_allclose(x.slogdet().logabsdet.item(), np.linalg.slogdet(a)[1])
    np.testing.assert_allclose(x[0].outer(x[1]).data, np.outer(a[0], a[1]))
    np.testing.assert_allclose(ag.einsum("ij,jk", [x, x]).data, a @ a)  # list form, implicit output
    spd = a @ a.T + np.eye(3)
    np.testing.assert_allclose(_t(spd).cholesky().data, np.linalg.cholesky(spd))
    np.testing.assert_allclose(LA.multi_dot([x, x, x]).data, a @ a @ a)
    np.testing.assert_allclose(LA.vecdot(x, x).data, (a * a).sum(-1))
    np.testing.assert_allclose(LA.norm(x, 2).item(), np.linalg.norm(a, 2))
    np.testing.assert_allclose(LA.norm(x).item(), np.linalg.norm(a))


def test_hessians_through_linalg_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    m = rng.standard_normal((3, 3))
    y = rng.standard_normal(3)

    def ours(m):  # the GP marginal-likelihood pieces: log|K| + y^T K^-1 y with K = M M^T + I
        k = m @ m.mT + ag.eye(3, dtype=ag.float64)
        return LA.logdet(k) + _t(y) @ LA.solve(k, _t(y))

    def theirs(m):
        k = m @ m.mT + torch.eye(3, dtype=torch.float64)
        return torch.logdet(k) + torch.tensor(y) @ torch.linalg.solve(k, torch.tensor(y))

    h = ag.functional.hessian(ours, _t(m))
    ht = torch.autograd.functional.hessian(theirs, torch.tensor(m))
    np.testing.assert_allclose(h.data, ht.numpy(), rtol=1e-9, atol=1e-10)

    def ours2(a):
        u, s, vh = LA.svd(a, full_matrices=False)
        return (s ** 3).sum() + (LA.eigvalsh(a @ a.mT) ** 2).sum() + LA.qr(a).R.diagonal().abs().sum()

    def theirs2(a):
        u, s, vh = torch.linalg.svd(a, full_matrices=False)
        r = torch.linalg.qr(a).R
        return (s ** 3).sum() + (torch.linalg.eigvalsh(a @ a.mT) ** 2).sum() + r.diagonal().abs().sum()

    a = rng.standard_normal((4, 3))
    h2 = ag.functional.hessian(ours2, _t(a))
    h2t = torch.autograd.functional.hessian(theirs2, torch.tensor(a))
    np.testing.assert_allclose(h2.data, h2t.numpy(), rtol=1e-7, atol=1e-9)


def test_backward_of_linalg_ops_detects_in_place_changes():
    x = _t(np.eye(3) * 2, True)
    y = LA.inv(x)
    y.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*output 0 of InvBackward"):
        y.sum().backward()
    w, v = LA.eigh(_t(np.diag([1.0, 2.0, 3.0]), True))
    v.mul_(2.0)
    with pytest.raises(RuntimeError, match="output 1 of EighBackward"):
        (w.sum() + v.sum()).backward()


def test_conjugate_gradients_solves_spd_systems_from_matvecs_only():
    rng = np.random.default_rng(0)
    m = rng.standard_normal((6, 6))
    a = m @ m.T + 6 * np.eye(6)
    b = rng.standard_normal(6)
    calls = []

    def matvec(v):
        calls.append(1)
        return a @ v

    np.testing.assert_allclose(LA.cg(matvec, b), np.linalg.solve(a, b), rtol=1e-9)
    assert len(calls) <= 12
    # indefinite: stops at the first non-positive curvature and still returns a usable direction
    d = LA.cg(lambda v: -v, b)
    np.testing.assert_array_equal(d, b)
