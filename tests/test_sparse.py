"""Sparse COO tensors against torch.sparse: construction, coalescing (duplicates add up), to_dense, to_sparse,
sparse @ dense with gradients to the dense operand and to the values, sparse.sum, a GCN layer, and errors."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.sparse import SegmentSum, SparseTensor

torch = pytest.importorskip("torch")
# torch warns once that it does not check indices by default (autograd_core always checks them)
pytestmark = [pytest.mark.filterwarnings("ignore:Sparse invariant checks are implicitly disabled"),
              pytest.mark.filterwarnings("ignore:torch.sparse.SparseTensor.* is deprecated")]


def _np(t):
    return t.detach().numpy()


def _coo(rng, n=5, m=4, nnz=12, dense=()):
    """Random indices with duplicates (nnz > n*m/2, plus one explicit repeat) and values."""
    idx = np.stack([rng.integers(0, n, nnz), rng.integers(0, m, nnz)])
    idx = np.concatenate([idx, idx[:, :1]], axis=1)
    vals = rng.standard_normal((nnz + 1,) + dense)
    return idx, vals, (n, m) + dense


def _both(idx, vals, shape, dtype="float64", requires_grad=True):
    """(our sparse, torch sparse, our values leaf, torch values leaf) built from the same arrays."""
    v = ag.tensor(vals.astype(dtype), requires_grad=requires_grad)
    tv = torch.tensor(vals.astype(dtype), requires_grad=requires_grad)
    return (ag.sparse_coo_tensor(idx, v, shape), torch.sparse_coo_tensor(torch.tensor(idx), tv, shape), v, tv)


# ---------------------------------------------------------------------- construction, coalesce, to_dense
@pytest.mark.parametrize("dense", [(), (3,)], ids=["matrix", "hybrid"])
def test_to_dense_and_coalesce_sum_duplicates_as_torch(dense):
    rng = np.random.default_rng(0)
    idx, vals, shape = _coo(rng, dense=dense)
    a, ta, v, tv = _both(idx, vals, shape)
    assert not a.is_coalesced() and not ta.is_coalesced() and a._nnz() == ta._nnz() == idx.shape[1]
    assert (a.sparse_dim(), a.dense_dim()) == (ta.sparse_dim(), ta.dense_dim())
    assert a.shape == tuple(ta.shape) and a.dtype == np.float64 and a.is_sparse and a.layout is ag.sparse_coo
    np.testing.assert_allclose(_np(a.to_dense()), _np(ta.to_dense()), rtol=1e-12)
    c, tc = a.coalesce(), ta.coalesce()
    assert c.is_coalesced() and c.coalesce() is c and c._nnz() == tc._nnz() < a._nnz()
    np.testing.assert_array_equal(c.indices().numpy(), tc.indices().numpy())
    np.testing.assert_allclose(_np(c.values()), _np(tc.values()), rtol=1e-12)
    # gradients reach the original (duplicated) values through coalesce and through to_dense
    u = rng.standard_normal(c.values().shape)
    (g,) = ag.grad(c.values(), v, ag.tensor(u))
    (tg,) = torch.autograd.grad(tc.values(), tv, torch.tensor(u), retain_graph=True)  # ta's node is used again
    np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-12)
    w = rng.standard_normal(shape)
    (g,) = ag.grad(a.to_dense(), v, ag.tensor(w))
    (tg,) = torch.autograd.grad(ta.to_dense(), tv, torch.tensor(w))
    np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-12)


def test_uncoalesced_tensors_refuse_indices_and_values_as_torch():
    rng = np.random.default_rng(1)
    a, ta, _, _ = _both(*_coo(rng))
    for name in ("indices", "values"):
        with pytest.raises(RuntimeError) as theirs:
            getattr(ta, name)()
        with pytest.raises(RuntimeError, match="^Cannot get .* on an uncoalesced tensor, please call") as ours:
            getattr(a, name)()
        assert str(ours.value) == str(theirs.value)
    np.testing.assert_array_equal(a._indices().numpy(), ta._indices().numpy())
    np.testing.assert_allclose(_np(a._values()), _np(ta._values()))


def test_size_and_dtype_are_inferred_as_torch():
    idx = np.array([[0, 3, 1], [2, 0, 4]])
    for values, kw in (([1, 2, 3], {}), ([1.0, 2.0, 3.0], {}), ([1, 2, 3], {"dtype": ag.float64})):
        ours = ag.sparse_coo_tensor(idx, values, **kw)
        tkw = {"dtype": torch.float64} if kw else {}
        theirs = torch.sparse_coo_tensor(torch.tensor(idx), values, **tkw)
        assert ours.shape == tuple(theirs.shape) == (4, 5)
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    # the legacy constructor pygcn uses
    leg = ag.sparse.FloatTensor(idx, [1, 2, 3], (4, 5))
    tleg = torch.sparse.FloatTensor(torch.tensor(idx), torch.tensor([1.0, 2, 3]), (4, 5))
    assert leg.dtype == np.float32 and ag.sparse.DoubleTensor(idx, [1.0, 2, 3]).dtype == np.float64
    np.testing.assert_array_equal(leg.to_dense().numpy(), tleg.to_dense().numpy())
    empty = ag.sparse_coo_tensor(np.zeros((2, 0), np.int64), np.zeros(0, np.float32), (3, 3))
    np.testing.assert_array_equal(empty.to_dense().numpy(), np.zeros((3, 3)))
    assert empty.grad is None and (empty @ ag.ones(3, 2)).shape == (3, 2)


def test_to_sparse_of_dense_tensors_matches_torch_and_is_differentiable():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 5)) * (rng.random((4, 5)) < 0.4)
    d, td = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    s, ts = d.to_sparse(), td.to_sparse()
    assert s.is_coalesced() and ts.is_coalesced() and not d.is_sparse and d.layout is ag.strided
    np.testing.assert_array_equal(s.indices().numpy(), ts.indices().numpy())
    np.testing.assert_allclose(_np(s.values()), _np(ts.values()))
    u = rng.standard_normal(s.values().shape)
    (s.values() * ag.tensor(u)).sum().backward()
    (ts.values() * torch.tensor(u)).sum().backward()
    np.testing.assert_allclose(d.grad.numpy(), td.grad.numpy())
    # hybrid: the first dim sparse, the rest dense
    h, th = ag.tensor(x).to_sparse(1), torch.tensor(x).to_sparse(1)
    assert (h.sparse_dim(), h.dense_dim()) == (th.sparse_dim(), th.dense_dim()) == (1, 1)
    np.testing.assert_array_equal(h.indices().numpy(), th.indices().numpy())
    np.testing.assert_allclose(_np(h.values()), _np(th.values()))
    assert d.to_dense() is d and s.to_sparse() is s


# ---------------------------------------------------------------------- sparse @ dense
_PRODUCTS = {
    "sparse.mm": lambda M, a, x: M.sparse.mm(a, x), "spmm": lambda M, a, x: M.spmm(a, x),
    "mm": lambda M, a, x: M.mm(a, x), "matmul_operator": lambda M, a, x: a @ x, "method": lambda M, a, x: a.mm(x),
}


@pytest.mark.parametrize("name", list(_PRODUCTS))
def test_sparse_times_dense_matches_torch_with_gradients_to_both(name):
    rng = np.random.default_rng(3)
    a, ta, v, tv = _both(*_coo(rng, n=6, m=5, nnz=14))
    xv = rng.standard_normal((5, 3))
    x, tx = ag.tensor(xv, requires_grad=True), torch.tensor(xv, requires_grad=True)
    y, ty = _PRODUCTS[name](ag, a, x), _PRODUCTS[name](torch, ta, tx)
    np.testing.assert_allclose(_np(y), _np(ty), rtol=1e-12)
    u = rng.standard_normal((6, 3))
    y.backward(ag.tensor(u))
    ty.backward(torch.tensor(u))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(v.grad.numpy(), tv.grad.numpy(), rtol=1e-12)


def test_sparse_times_vector_matches_torch_mv():
    rng = np.random.default_rng(4)
    a, ta, v, tv = _both(*_coo(rng))
    x, tx = ag.tensor(rng.standard_normal(4), requires_grad=True), None
    tx = torch.tensor(_np(x), requires_grad=True)
    y, ty = a @ x, torch.mv(ta, tx)
    np.testing.assert_allclose(_np(y), _np(ty), rtol=1e-12)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(v.grad.numpy(), tv.grad.numpy(), rtol=1e-12)


def test_spmm_to_dense_and_coalesce_pass_gradcheck_and_gradgradcheck():
    rng = np.random.default_rng(5)
    idx, vals, shape = _coo(rng, n=4, m=3, nnz=8)
    v = ag.tensor(vals, requires_grad=True)
    x = ag.tensor(rng.standard_normal((3, 2)), requires_grad=True)

    def product(v, x):
        return ag.sparse.mm(ag.sparse_coo_tensor(idx, v, shape), x)

    def product_squared(v, x):  # a product of two: the second derivative is not zero
        y = product(v, x)
        return y * y

    def dense(v):
        return ag.sparse_coo_tensor(idx, v, shape).coalesce().to_dense() ** 2

    for fn, args in ((product, (v, x)), (product_squared, (v, x)), (dense, (v,))):
        assert ag.gradcheck(fn, args)
        assert ag.gradgradcheck(fn, args)


def test_float32_products_agree_with_float64_and_torch():
    rng = np.random.default_rng(6)
    idx, vals, shape = _coo(rng, n=30, m=20, nnz=200)
    xv = rng.standard_normal((20, 8))
    a32, ta32, _, _ = _both(idx, vals, shape, dtype="float32", requires_grad=False)
    a64, _, _, _ = _both(idx, vals, shape, requires_grad=False)
    y32 = _np(a32 @ ag.tensor(xv.astype(np.float32)))
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32, _np(a64 @ ag.tensor(xv)), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(y32, _np(torch.sparse.mm(ta32, torch.tensor(xv.astype(np.float32)))), rtol=1e-4,
                               atol=1e-5)


def test_a_sparse_leaf_gets_a_sparse_grad_as_in_torch():
    rng = np.random.default_rng(7)
    idx, vals, shape = _coo(rng)
    xv = rng.standard_normal((4, 2))
    for use in ("mm", "to_dense"):
        a = ag.sparse_coo_tensor(idx, vals, shape, requires_grad=True)
        ta = torch.sparse_coo_tensor(torch.tensor(idx), torch.tensor(vals), shape, requires_grad=True)
        assert a.is_leaf and ta.is_leaf and a.requires_grad and a.grad is None
        w = rng.standard_normal((5, 2) if use == "mm" else shape)
        if use == "mm":
            (ag.sparse.mm(a, ag.tensor(xv)) * ag.tensor(w)).sum().backward()
            (torch.sparse.mm(ta, torch.tensor(xv)) * torch.tensor(w)).sum().backward()
        else:
            (a.to_dense() * ag.tensor(w)).sum().backward()
            (ta.to_dense() * torch.tensor(w)).sum().backward()
        g, tg = a.grad, ta.grad.coalesce()
        assert isinstance(g, SparseTensor) and g.is_coalesced()
        np.testing.assert_array_equal(g.indices().numpy(), tg.indices().numpy())
        np.testing.assert_allclose(g.values().numpy(), tg.values().numpy(), rtol=1e-12)
    # a sparse tensor made from values that require grad is not a leaf; its values are
    v = ag.tensor(vals, requires_grad=True)
    b = ag.sparse_coo_tensor(idx, v, shape)
    assert not b.is_leaf and b.grad_fn is None and b.requires_grad
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        b.requires_grad_(False)
    c = ag.sparse_coo_tensor(idx, ag.tensor(vals), shape).requires_grad_()
    assert c.is_leaf and c.requires_grad


def test_gcn_layer_gradients_match_torch():
    """A two-layer GCN, log_softmax(A relu(A X W1 + b1) W2 + b2), its loss and every gradient vs torch."""
    rng = np.random.default_rng(8)
    n, f, h, k = 12, 5, 6, 3
    a = np.triu(rng.random((n, n)) < 0.3, 1)
    a = a | a.T | np.eye(n, dtype=bool)
    rows, cols = np.nonzero(a)
    deg = a.sum(1)
    vals = 1.0 / np.sqrt(deg[rows] * deg[cols])
    idx = np.vstack([rows, cols])
    arrays = {"x": rng.standard_normal((n, f)), "w1": rng.standard_normal((f, h)) * 0.5, "b1": rng.standard_normal(h),
              "w2": rng.standard_normal((h, k)) * 0.5, "b2": rng.standard_normal(k)}
    labels = rng.integers(0, k, n)

    def run(M, F, adj):
        p = {name: M.tensor(arr, requires_grad=True) for name, arr in arrays.items()}
        hid = F.relu(M.spmm(adj, M.mm(p["x"], p["w1"])) + p["b1"])
        out = F.log_softmax(M.spmm(adj, hid @ p["w2"]) + p["b2"], dim=1)
        loss = F.nll_loss(out, M.tensor(labels))
        loss.backward()
        return _np(loss), {name: t.grad.numpy() for name, t in p.items()}

    import autograd_core.nn.functional as agF
    import torch.nn.functional as tF

    ours = run(ag, agF, ag.sparse_coo_tensor(idx, vals, (n, n)))
    theirs = run(torch, tF, torch.sparse_coo_tensor(torch.tensor(idx), torch.tensor(vals), (n, n)))
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
    for name in arrays:
        np.testing.assert_allclose(ours[1][name], theirs[1][name], rtol=1e-10, atol=1e-14, err_msg=name)


# ---------------------------------------------------------------------- sparse.sum and elementwise
@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1), -1, (1, 2), 2], ids=str)
def test_sparse_sum_matches_torch(dim):
    rng = np.random.default_rng(9)
    a, ta, v, tv = _both(*_coo(rng, dense=(2,)))
    s, ts = ag.sparse.sum(a, dim), torch.sparse.sum(ta) if dim is None else torch.sparse.sum(ta, dim)
    assert isinstance(s, SparseTensor) == ts.is_sparse
    dense, tdense = (s.to_dense(), ts.to_dense()) if ts.is_sparse else (s, ts)
    np.testing.assert_allclose(_np(dense), _np(tdense), rtol=1e-12)
    u = rng.standard_normal(tuple(tdense.shape))
    (g,) = ag.grad(dense, v, ag.tensor(u))
    (tg,) = torch.autograd.grad(tdense, tv, torch.tensor(u))
    np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-12)


def test_transpose_scaling_and_masked_products_match_torch():
    rng = np.random.default_rng(10)
    a, ta, v, tv = _both(*_coo(rng))
    d = rng.standard_normal((5, 4))
    cases = [(a.t(), ta.t()), (a * 2.5, ta * 2.5), (3.0 * a, 3.0 * ta), (a / 4, ta / 4), (-a, -ta),
             (a.coalesce() * ag.tensor(d), ta.coalesce() * torch.tensor(d)), (a.transpose(1, 0), ta.transpose(1, 0))]
    for ours, theirs in cases:
        assert isinstance(ours, SparseTensor) and theirs.is_sparse and ours.shape == tuple(theirs.shape)
        np.testing.assert_allclose(_np(ours.to_dense()), _np(theirs.to_dense()), rtol=1e-12)
    ours = sum((o.to_dense() ** 2).sum() for o, _ in cases)
    theirs = sum((t.to_dense() ** 2).sum() for _, t in cases)
    ours.backward()
    theirs.backward()
    np.testing.assert_allclose(v.grad.numpy(), tv.grad.numpy(), rtol=1e-12)
    assert a.to(ag.float32).dtype == np.float32 and a.double() is a and a.cpu() is a


def test_addmm_and_dense_spmm():
    rng = np.random.default_rng(11)
    a, ta, _, _ = _both(*_coo(rng), requires_grad=False)
    x, m = rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    ours = ag.sparse.addmm(ag.tensor(m), a, ag.tensor(x), beta=0.5, alpha=2.0)
    theirs = torch.sparse.addmm(torch.tensor(m), ta, torch.tensor(x), beta=0.5, alpha=2.0)
    np.testing.assert_allclose(_np(ours), _np(theirs), rtol=1e-12)
    np.testing.assert_allclose(ag.spmm(ag.tensor(m.T), ag.tensor(m)).numpy(), m.T @ m)


# ---------------------------------------------------------------------- the op itself
def test_segment_sum_paths_agree_with_a_numpy_reference():
    rng = np.random.default_rng(12)
    index = rng.integers(0, 7, 40)
    for shape, dtype in (((40,), np.float64), ((40,), np.float32), ((40, 3), np.float64), ((40,), np.int64),
                         ((40, 2, 2), np.complex128)):
        v = (rng.standard_normal(shape) * 10).astype(dtype)
        ref = np.zeros((9,) + shape[1:], dtype)
        np.add.at(ref, index, v)
        out = SegmentSum.apply(ag.tensor(v), index=index, n=9).numpy()
        assert out.dtype == dtype and out.shape == ref.shape
        np.testing.assert_allclose(out, ref, rtol=1e-6)
    empty = SegmentSum.apply(ag.zeros(0, 3), index=np.zeros(0, np.int64), n=2)
    np.testing.assert_array_equal(empty.numpy(), np.zeros((2, 3)))


# ---------------------------------------------------------------------- errors
def test_construction_errors_name_the_problem():
    idx = np.array([[0, 1], [1, 2]])
    cases = [
        (lambda: ag.sparse_coo_tensor(idx, [1.0, 2.0, 3.0], (2, 3)),
         r"indices and values must have same nnz, but got nnz from indices: 2, nnz from values: 3"),
        (lambda: ag.sparse_coo_tensor(idx, [1.0, 2.0], (2, 2)),
         r"size is inconsistent with indices: for dim 1, size is 2 but found index 2"),
        (lambda: ag.sparse_coo_tensor(np.array([[0, -1], [1, 2]]), [1.0, 2.0], (2, 3)),
         r"found negative index -1 for dim 0"),
        (lambda: ag.sparse_coo_tensor(idx, [1.0, 2.0], (2, 3, 4)),
         r"number of dimensions must be sparse_dim \(2\) \+ dense_dim \(0\), but got 3"),
        (lambda: ag.sparse_coo_tensor(idx.astype(float), [1.0, 2.0], (2, 3)), r"indices must be an int64 tensor"),
        (lambda: ag.sparse_coo_tensor(idx[0], [1.0, 2.0], (2, 3)), r"indices must be sparse_dim x nnz \(2-D\)"),
        (lambda: ag.sparse_coo_tensor(idx, [[1.0], [2.0]], (2, 3, 2)), r"values has incorrect size, expected \[2, 2\]"),
        (lambda: ag.sparse_coo_tensor(idx, [1, 2], (2, 3), requires_grad=True),
         r"Only Tensors of floating point and complex dtype can require gradients"),
        (lambda: ag.sparse_coo_tensor(idx, [1.0, 2.0], (2, 3), device="cuda"), r"runs on the CPU only"),
    ]
    for make, msg in cases:
        with pytest.raises(RuntimeError, match=msg):
            make()


def test_product_errors_are_torch_types_with_clear_messages():
    a = ag.sparse_coo_tensor(np.array([[0, 1], [1, 2]]), [1.0, 2.0], (2, 3))
    with pytest.raises(RuntimeError, match=r"mm: sparse and dense shapes cannot be multiplied \(2x3 and 4x2\)"):
        ag.sparse.mm(a, ag.ones(4, 2))
    with pytest.raises(RuntimeError, match=r"the same dtype, but got float32 \(sparse\) and float64 \(dense\)"):
        ag.mm(a, ag.ones(3, 2, dtype=ag.float64))
    with pytest.raises(RuntimeError, match=r"expected scalar type Float but found Double"):
        torch.sparse.mm(torch.sparse_coo_tensor(torch.tensor([[0, 1], [1, 2]]), [1.0, 2.0], (2, 3)),
                        torch.ones(3, 2, dtype=torch.float64))  # torch refuses the same thing
    with pytest.raises(NotImplementedError, match="sparse @ sparse is not implemented; convert one operand"):
        a @ a.t()
    with pytest.raises(TypeError, match="argument 'mat2' must be Tensor, not list"):
        a.mm([[1.0], [2.0], [3.0]])
    with pytest.raises(RuntimeError, match="the sparse operand must be a 2-D matrix without dense dimensions"):
        ag.sparse_coo_tensor(np.array([[0, 1]]), np.ones((2, 3), np.float32)) @ ag.ones(3, 1)
    msg = "can't convert Sparse layout tensor to numpy. Use Tensor.to_dense() first."
    with pytest.raises(TypeError) as theirs:
        torch.sparse_coo_tensor(torch.tensor([[0]]), [1.0], (1,)).numpy()
    assert str(theirs.value) == msg
    for convert in (a.numpy, lambda: np.asarray(a)):
        with pytest.raises(TypeError, match="^can't convert Sparse layout tensor to numpy"):
            convert()
    with pytest.raises(IndexError, match="Dimension out of range"):
        ag.sparse.sum(a, 2)
    with pytest.raises(TypeError, match="sparse.sum: expected a sparse tensor"):
        ag.sparse.sum(ag.ones(2))
