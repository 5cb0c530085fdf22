"""Reductions, scans, sorting, scatter/index and layout ops: what the op table (tests/op_db_tensor.py) cannot
check -- integer and bool results, return types, cases where the gradient has no finite-difference check,
views, error messages -- each against PyTorch where PyTorch has the op."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag

torch = pytest.importorskip("torch")


def _np(t):
    return np.asarray(t.detach().numpy() if hasattr(t, "detach") else t)


def _same(ours, theirs, dtype=True):
    ours = ours if isinstance(ours, (tuple, list)) else (ours,)
    theirs = theirs if isinstance(theirs, (tuple, list)) else (theirs,)
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert tuple(o.shape) == tuple(t.shape), (o.shape, t.shape)
        if dtype:
            assert str(o.dtype) == str(t.dtype).replace("torch.", ""), (o.dtype, t.dtype)
        np.testing.assert_allclose(_np(o), _np(t), rtol=1e-6, atol=1e-7, equal_nan=True)


RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 4))
INTS = RNG.integers(-2, 3, (3, 5))


# ---------------------------------------------------------------------- results without gradient
NO_GRAD = {
    "any": lambda m, a, i: (m.any(a > 0), a.any(), m.any(a > 0.5, 1), (a > 1).any((0, 1), keepdim=True),
                            m.any(m.zeros(0, 3), 0)),
    "all": lambda m, a, i: (m.all(a > -3), (a > 0).all(0, keepdim=True), m.all(i), m.all(i.to(m.uint8))),
    "argsort": lambda m, a, i: (a.argsort(), m.argsort(a, 0, descending=True), m.argsort(i, stable=True),
                                m.argsort(i, dim=0, descending=True, stable=True)),
    "sort_indices": lambda m, a, i: (m.sort(i, stable=True).indices,
                                     i.sort(dim=0, descending=True, stable=True).indices, m.sort(i).values),
    "count_nonzero": lambda m, a, i: (m.count_nonzero(i), i.count_nonzero(1), m.count_nonzero(i, (0, 1))),
    "nonzero": lambda m, a, i: (m.nonzero(i), *m.nonzero(i, as_tuple=True), m.argwhere(a > 0), m.nonzero(m.tensor(3.)),
                                *m.nonzero(m.tensor(0.), as_tuple=True)),
    "unique": lambda m, a, i: (m.unique(i), *m.unique(i, return_inverse=True, return_counts=True),
                               *i.unique(dim=1, return_inverse=True), *m.unique_consecutive(
                                   m.tensor([1, 1, 2, 2, 1, 3]), return_inverse=True, return_counts=True)),
    "bincount": lambda m, a, i: (m.bincount(m.tensor([0, 2, 2, 5])), m.bincount(m.tensor([0, 2]), minlength=4),
                                 m.bincount(m.tensor([0, 2, 2]), weights=m.tensor([0.5, 1.0, 2.0])),
                                 m.bincount(m.tensor([0, 2, 2]), weights=m.tensor([1, 2, 3])),
                                 m.bincount(m.tensor([], dtype=m.int64), weights=m.tensor([]), minlength=2)),
    "histc": lambda m, a, i: (m.histc(a, 5), m.histc(a.double(), 4, -1, 1), a.histc(3, 0.0, 0.5),
                              m.histc(m.tensor([1.0, 1.0]), 4)),
    "searchsorted": lambda m, a, i: (m.searchsorted(m.tensor([1.0, 3.0, 5.0]), m.tensor([3.0, 6.0, 0.0])),
                                     m.searchsorted(m.tensor([1.0, 3.0, 5.0]), m.tensor([3.0]), right=True),
                                     m.searchsorted(m.tensor([1.0, 3.0, 5.0]), m.tensor([3.0]), side="right",
                                                    out_int32=True),
                                     m.searchsorted(m.tensor([[1.0, 3.0], [0.0, 4.0]]), m.tensor([[3.0], [3.0]])),
                                     m.searchsorted(m.tensor([5.0, 1.0, 3.0]), m.tensor([2.0, 4.0]),
                                                    sorter=m.tensor([1, 2, 0])),
                                     m.bucketize(m.tensor([3.0, 6.0, 0.0]), m.tensor([1.0, 3.0, 5.0])),
                                     m.bucketize(m.tensor([3.0, 6.0]), m.tensor([1.0, 3.0, 5.0]), right=True)),
    "repeat_interleave_counts": lambda m, a, i: (m.repeat_interleave(m.tensor([1, 0, 2])),),
    "int_scans": lambda m, a, i: (i.cumprod(1), m.cumsum(i, 0), i.cummax(1).values, i.cummax(1).indices,
                                  m.cummin(i, 0).indices, m.cumprod(m.tensor([True, True, False]), 0)),
    "int_layout": lambda m, a, i: (m.tril(i), i.triu(1), m.roll(i, 1, 0), i.unfold(1, 2, 2), m.kron(i, i[:1]),
                                   m.diff(i), m.diff(i > 0), i.rot90(), m.block_diag(i, i[:1, :2].float()),
                                   m.cartesian_prod(i[0], i[1])),
    "int_selection": lambda m, a, i: (i.median(), i.median(1).values, i.mode(1).values, i.mode(1).indices,
                                      i.kthvalue(2, 1).values, i.topk(2, 0).values),
    "int_scatter": lambda m, a, i: (i.scatter(0, m.tensor([[2, 0, 1, 0, 2]]), 7),
                                    i.scatter_reduce(0, m.tensor([[0, 0, 1, 1, 0]]), i[:1], "mean",
                                                     include_self=False),
                                    (-i).scatter_reduce(0, m.tensor([[0, 0, 1, 1, 0]]), i[:1], "mean"),
                                    i.index_fill(1, m.tensor([0, 3]), 2.7), m.masked_select(i, i > 0),
                                    i.scatter(0, m.tensor([[1, 0, 2, 2, 1]]), 3, reduce="add"),
                                    i.scatter(1, m.tensor([[1, 1], [0, 2], [4, 4]]), i[:, :2] + 2, reduce="multiply")),
}


@pytest.mark.parametrize("name", sorted(NO_GRAD))
def test_integer_and_bool_results_match_torch(name):
    f = NO_GRAD[name]
    ours = f(ag, ag.tensor(A, dtype=ag.float32, requires_grad=True), ag.tensor(INTS))
    theirs = f(torch, torch.tensor(A, dtype=torch.float32, requires_grad=True), torch.tensor(INTS))
    _same(ours, theirs)
    for o, t in zip(ours, theirs):
        if o.dtype.kind not in "f":
            assert not o.requires_grad and not t.requires_grad


def test_broadcast_shapes_like_torch():
    assert ag.broadcast_shapes((2, 1), (3,), 1) == torch.broadcast_shapes((2, 1), (3,), 1) == (2, 3)
    assert isinstance(ag.broadcast_shapes((2, 1)), ag.Size)
    assert ag.broadcast_shapes() == ()
    with pytest.raises(RuntimeError, match=r"Attempting to broadcast a dimension of length 4 at -1! Mismatching "
                                           r"argument at index 2 had \(4,\)"):
        ag.broadcast_shapes((2, 1), (3,), 4)


# ---------------------------------------------------------------------- return types
def test_multi_output_ops_return_named_tuples_as_torch():
    x = ag.tensor(A)
    calls = (("sort", lambda t: t.sort()), ("topk", lambda t: t.topk(2)), ("kthvalue", lambda t: t.kthvalue(1)),
             ("median", lambda t: t.median(0)), ("mode", lambda t: t.mode()), ("cummax", lambda t: t.cummax(0)),
             ("cummin", lambda t: t.cummin(1)), ("max", lambda t: t.max(1)), ("min", lambda t: t.min(0)))
    for name, call in calls:
        r = call(x)
        assert type(r).__name__ == name == type(call(torch.tensor(A))).__name__
        assert isinstance(r, tuple) and r._fields == ("values", "indices")
        values, indices = r
        assert values is r.values and indices is r.indices and indices.dtype == np.int64
        assert repr(r).startswith(f"{name}(values=tensor(")
    std, mean = ag.std_mean(x, 1)
    assert type(ag.var_mean(x)) is tuple and mean.shape == (3,)


# ---------------------------------------------------------------------- gradients the op table cannot check
def _grads(f, *arrays):
    ours_in = [ag.tensor(a, requires_grad=True) for a in arrays]
    th_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    o, t = f(ag, *ours_in), f(torch, *th_in)
    u = np.random.default_rng(1).standard_normal(tuple(t.shape))
    o.backward(ag.tensor(u))
    t.backward(torch.tensor(u))
    _same(o, t)
    for a, b in zip(ours_in, th_in):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_mode_of_repeated_values_matches_torch_values_indices_and_gradient():
    a = np.array([[1.0, 2.0, 2.0, 3.0, 2.0, 1.0], [3.0, 1.0, 3.0, 1.0, 0.0, 0.0]])
    _same(ag.tensor(a).mode(1), torch.tensor(a).mode(1))
    _grads(lambda m, x: x.mode(1).values * 1, a)
    _grads(lambda m, x: m.mode(x, 0, keepdim=True).values * 1, a)


def test_ties_share_the_gradient_like_torch():
    a = np.array([[1.0, 2.0, 2.0, 3.0], [5.0, 5.0, 0.0, 1.0]])
    _grads(lambda m, x: x.median() * 1, a)
    src = np.array([[2.0, 5.0, 1.0, 3.0], [2.0, 1.0, 1.0, 3.0]])
    idx = np.array([[0, 1, 1, 0], [0, 1, 1, 0]])
    _grads(lambda m, x, s: x.scatter_reduce(0, m.tensor(idx), s, "amax"), a, src)
    _grads(lambda m, x, s: x.scatter_reduce(0, m.tensor(idx), s, "amin", include_self=False), a + 10, src)


def test_scatter_reduce_without_self_shares_the_gradient_among_the_sources_only():
    # torch 2.13 counts a tied self value in the share even with include_self=False (its sources then get 1/3
    # each here, summing to 2/3); ours hands each of the two sources half
    x = ag.tensor([[3.0]], requires_grad=True)
    s = ag.tensor([[3.0], [3.0]], requires_grad=True)
    x.scatter_reduce(0, ag.tensor([[0], [0]]), s, "amin", include_self=False).sum().backward()
    assert s.grad.tolist() == [[0.5], [0.5]] and x.grad.tolist() == [[0.0]]


def test_cumprod_with_zeros_has_exact_first_and_second_derivatives():
    a = np.array([[0.0, 2.0, 0.0, -1.5, 3.0], [1.5, 0.0, 2.0, 0.5, -1.0]])
    _grads(lambda m, x: x.cumprod(1), a)
    x = ag.tensor(a, requires_grad=True)
    assert ag.gradgradcheck(lambda t: t.cumprod(1), [x])
    assert ag.gradgradcheck(lambda t: t.cumprod(0), [x])
    (g,) = ag.grad(x.cumprod(1).sum(), [x], create_graph=True)
    t = torch.tensor(a, requires_grad=True)
    (tg,) = torch.autograd.grad(t.cumprod(1).sum(), [t], create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy())
    (gg,) = ag.grad(g.sum(), [x])
    (tgg,) = torch.autograd.grad(tg.sum(), [t])
    np.testing.assert_allclose(gg.numpy(), tgg.numpy(), atol=1e-12)


def test_scatter_reduce_prod_second_derivative_with_several_zeros_where_torch_refuses():
    x = np.array([[1.5, 2.0], [0.5, -1.0]])
    s = np.array([[0.0, 2.0], [0.0, 3.0], [1.2, 0.0]])  # two zeros scattered to (0, 0)
    i = np.array([[0, 1], [0, 1], [1, 0]])
    xs = [ag.tensor(x, requires_grad=True), ag.tensor(s, requires_grad=True)]
    assert ag.gradgradcheck(lambda a, b: a.scatter_reduce(0, ag.tensor(i), b, "prod"), xs)
    ts = [torch.tensor(x, requires_grad=True), torch.tensor(s, requires_grad=True)]
    out = ts[0].scatter_reduce(0, torch.tensor(i), ts[1], "prod")
    (g,) = torch.autograd.grad(out.sum(), [ts[1]], create_graph=True)
    with pytest.raises(RuntimeError, match="Double backward is unsupported"):
        torch.autograd.grad(g.sum(), [ts[1]])


def test_block_diag_with_empty_vectors_follows_the_definition():
    # torch 2.13 reads the gradient of the blocks after an empty 1-D block from the wrong rows; ours is the
    # derivative of the forward torch computes
    e, a, b = np.zeros(0), np.array([[-0.4]]), np.array(0.59)
    u = np.arange(8.0).reshape(4, 2)
    bt = ag.tensor(b, requires_grad=True)
    out = ag.block_diag(ag.tensor(e), ag.tensor(e), ag.tensor(a), bt)
    _same(out, torch.block_diag(torch.tensor(e), torch.tensor(e), torch.tensor(a), torch.tensor(b)))
    out.backward(ag.tensor(u))
    assert bt.grad.item() == u[3, 1]


def test_kron_of_non_contiguous_inputs():
    a = np.array([[0.0], [0.7]])
    base = np.arange(6.0).reshape(1, 3, 2)
    b = base.transpose(1, 2, 0)  # a permuted layout: torch 2.13's kron views it and raises
    np.testing.assert_allclose(ag.kron(ag.tensor(a), ag.from_numpy(b)).numpy(), np.kron(a, b))
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        torch.kron(torch.tensor(a), torch.from_numpy(base).permute(1, 2, 0))


def test_addmm_with_beta_zero_ignores_nan_in_input_and_gives_it_a_zero_gradient():
    c = ag.tensor([[np.nan, 1.0]], requires_grad=True)
    out = ag.addmm(c, ag.eye(2), ag.ones(2, 2), beta=0)
    assert np.isfinite(out.detach().numpy()).all()
    out.sum().backward()
    np.testing.assert_array_equal(c.grad.numpy(), [[0.0, 0.0]])


# ---------------------------------------------------------------------- views and in-place forms
def test_unfold_narrow_select_and_tensor_split_are_views():
    for m in (ag, torch):
        x = m.arange(12.0).reshape(3, 4)
        w, n, s, parts = x.unfold(1, 2, 1), x.narrow(1, 1, 2), x.select(0, 2), x.tensor_split(2, 1)
        x.mul_(10)
        assert w[2, 0, 1].item() == 90 and n[0, 0].item() == 10 and s[3].item() == 110
        assert parts[1][0, 0].item() == 20


def test_writes_through_an_unfold_view_reach_the_base_and_its_gradient():
    for m in (ag, torch):
        a = m.tensor([1.0, 2.0, 3.0, 4.0], dtype=m.float64, requires_grad=True)
        b = a * 1
        w = b.unfold(0, 2, 2)  # non-overlapping windows: an in-place op on them is allowed
        w.mul_(3)
        b.sum().backward()
        assert a.grad.tolist() == [3.0, 3.0, 3.0, 3.0]


def test_in_place_forms_match_torch():
    def prog(m, x, s):
        y = x * 1
        y.scatter_(1, m.tensor([[2], [0], [1]]), s[:, :1])
        y.scatter_add_(0, m.tensor([[0, 2, 1, 1]]), s[:1])
        y.index_add_(1, m.tensor([3, 3]), s[:, :2], alpha=0.5)
        y.index_copy_(0, m.tensor([1]), s[:1])
        y.index_fill_(1, m.tensor([0]), -1.0)
        y.masked_fill_(y > 1.0, 1.0)
        y.tril_(1)
        y.triu_(-1)
        y.scatter_reduce_(1, m.tensor([[0], [0], [3]]), s[:, :1], "amax")  # last: torch saves its output
        return y

    _grads(prog, A.copy(), np.random.default_rng(3).standard_normal((3, 4)))


def test_masked_fill_function_casts_to_the_input_dtype_like_torch():
    for m in (ag, torch):
        out = m.masked_fill(m.tensor([1, 2, 3]), m.tensor([True, False, True]), 2.7)
        assert out.tolist() == [2, 2, 2] and str(out.dtype).endswith("int64")


# ---------------------------------------------------------------------- errors
ERRORS = [
    (lambda m: m.mm(m.ones(3), m.ones(3, 2)), RuntimeError, "must be a matrix"),
    (lambda m: m.mm(m.ones(3, 4), m.ones(3, 4)), RuntimeError,
     r"mat1 and mat2 shapes cannot be multiplied \(3x4 and 3x4\)"),
    (lambda m: m.mm(m.ones(3, 4), m.ones(4, 2, dtype=m.float64)), RuntimeError,
     "expected m1 and m2 to have the same dtype"),
    (lambda m: m.bmm(m.ones(2, 3), m.ones(2, 3)), RuntimeError, "must be a 3D tensor"),
    (lambda m: m.bmm(m.ones(1, 3, 4), m.ones(1, 3, 4)), RuntimeError,
     r"Expected size for first two dimensions of batch2 tensor to be: \[1, 4\] but got: \[1, 3\]"),
    (lambda m: m.mv(m.ones(3, 4), m.ones(3)), RuntimeError, r"size mismatch, got input \(3\), mat \(3x4\), vec \(3\)"),
    (lambda m: m.addmm(m.ones(3, 4), m.ones(3, 4), m.ones(4, 3)), RuntimeError, "The expanded size of the tensor"),
    (lambda m: m.cdist(m.ones(3), m.ones(3, 2)), RuntimeError, "cdist only supports at least 2D tensors"),
    (lambda m: m.cdist(m.ones(3, 2), m.ones(4, 3)), RuntimeError, "X1 and X2 must have the same number of columns"),
    (lambda m: m.ones(3, 4).narrow(1, 3, 2), RuntimeError, r"start \(3\) \+ length \(2\) exceeds dimension size \(4\)"),
    (lambda m: m.ones(3, 4).narrow(1, 5, 0), IndexError, r"start out of range \(expected to be in range of \[-4, 4\]"),
    (lambda m: m.ones(3, 4).narrow(2, 0, 1), IndexError, "Dimension out of range"),
    (lambda m: m.ones(3, 4).select(0, 3), IndexError, "select"),
    (lambda m: m.tril(m.ones(3)), RuntimeError, "tril: input tensor must have at least 2 dimensions"),
    (lambda m: m.ones(3, 4).topk(5), RuntimeError, "selected index k out of range"),
    (lambda m: m.ones(3, 4).kthvalue(5), RuntimeError, r"kthvalue\(\): selected number k out of range"),
    (lambda m: m.ones(3, 4).sort(2), IndexError, "Dimension out of range"),
    (lambda m: m.ones(3, 0).median(1), IndexError, "Expected reduction dim 1 to have non-zero size"),
    (lambda m: m.ones(3, 4).index_select(0, m.tensor([[0]])), IndexError, "Index is supposed to be a vector"),
    (lambda m: m.ones(3, 4).index_select(0, m.tensor([5])), IndexError, "index out of range in self"),
    (lambda m: m.ones(3, 4).index_select(0, m.tensor([0.0])), RuntimeError, "Expected dtype int32 or int64 for index"),
    (lambda m: m.masked_select(m.ones(3), m.tensor([1, 0, 1])), RuntimeError, "expected BoolTensor for mask"),
    (lambda m: m.masked_fill(m.ones(3), m.tensor([True, False, True]), m.ones(3)), RuntimeError,
     "only supports a 0-dimensional value tensor"),
    (lambda m: m.ones(3, 4).scatter(0, m.tensor([[5]]), 1.0), RuntimeError,
     "index 5 is out of bounds for dimension 0 with size 3"),
    (lambda m: m.ones(3, 4).scatter(0, m.tensor([0]), 1.0), RuntimeError,
     "Index tensor must have the same number of dimensions"),
    (lambda m: m.ones(3, 4).scatter(0, m.zeros(4, 5, dtype=m.int64), 1.0), RuntimeError,
     r"Expected index \[4, 5\] to be no larger than self \[3, 4\] apart from dimension 0"),
    (lambda m: m.ones(3, 4).scatter(0, m.zeros(2, 2, dtype=m.int64), m.ones(2, 2, dtype=m.float64)), RuntimeError,
     "Expected self.dtype to be equal to src.dtype"),
    (lambda m: m.ones(3, 4).scatter(0, m.zeros(1, 1), 1.0), RuntimeError, "Expected dtype int32 or int64 for index"),
    (lambda m: m.ones(3, 4).scatter(0, m.zeros(1, 1, dtype=m.int64), m.ones(1, 1), reduce="mean"), RuntimeError,
     "reduce argument must be either add or multiply"),
    (lambda m: m.ones(3, 4).scatter_reduce(0, m.zeros(1, 1, dtype=m.int64), m.ones(1, 1), "foo"), RuntimeError,
     "reduce argument must be either sum, prod, mean, amax or amin"),
    (lambda m: m.ones(3, 4).index_add(0, m.tensor([0, 0]), m.ones(2, 3)), RuntimeError,
     "source tensor shape must match self tensor shape, excluding the specified dimension"),
    (lambda m: m.ones(3, 4).index_add(0, m.tensor([0]), m.ones(1, 4, dtype=m.float64)), RuntimeError,
     "must have the same scalar type"),
    (lambda m: m.ones(1, 3).index_copy(1, m.tensor([0, 2]), m.ones(1, 3)), IndexError,
     r"Number of indices \(2\) should be equal to source.size\(dim\) \(3\)"),
    (lambda m: m.ones(3).index_fill(0, m.tensor([0]), m.ones(1)), RuntimeError, "only supports a 0-dimensional value"),
    (lambda m: m.take_along_dim(m.ones(3, 4), m.tensor([0, 1]), 1), RuntimeError,
     "input and indices should have the same number of dimensions"),
    (lambda m: m.roll(m.ones(3, 4), (1, 2), 0), RuntimeError, "shifts and dimensions must align"),
    (lambda m: m.ones(3, 4).unfold(1, 5, 1), RuntimeError, "maximum size for tensor at dimension 1 is 4 but size is 5"),
    (lambda m: m.ones(3, 4).unfold(1, 2, 0), RuntimeError, "step is 0 but must be > 0"),
    (lambda m: m.ones(2, 4).repeat_interleave(m.tensor([1, 2, 1]), dim=0), RuntimeError,
     "repeats must have the same size as input along dim"),
    (lambda m: m.movedim(m.ones(2, 3, 4), (0, 1), (2,)), RuntimeError, "movedim: Invalid source or destination dims"),
    (lambda m: m.tensor_split(m.ones(7), 0), RuntimeError, "number of sections must be larger than 0"),
    (lambda m: m.ones(2, 4).unflatten(1, (3, -1)), RuntimeError, "don't multiply up to the size of dim"),
    (lambda m: m.rot90(m.ones(2, 3), 1, [0, 0]), RuntimeError, "expected rotation dims to be different"),
    (lambda m: m.rot90(m.ones(3), 1), RuntimeError, "expected total dims >= 2"),
    (lambda m: m.block_diag(m.ones(2, 2, 2)), RuntimeError, "Input tensors must have 2 or fewer dimensions"),
    (lambda m: m.meshgrid(m.ones(2), m.ones(2, dtype=m.float64), indexing="ij"), RuntimeError,
     "meshgrid expects all tensors to have the same dtype"),
    (lambda m: m.cartesian_prod(m.ones(2), m.ones(2, 2)), RuntimeError, "Expect a 1D vector"),
    (lambda m: m.ones(2, 3).sum_to_size(2), RuntimeError, "is not expandable to size"),
    (lambda m: m.diff(m.tensor(1.0)), RuntimeError, "diff expects input to be at least one-dimensional"),
    (lambda m: m.cross(m.ones(4, 2), m.ones(4, 2)), RuntimeError, "no dimension of size 3 in input"),
    (lambda m: m.cross(m.ones(3, 4), m.ones(3, 4), dim=-1), RuntimeError, "must have length 3"),
    (lambda m: m.cross(m.ones(3, 3), m.ones(3)), RuntimeError, "inputs must have the same number of dimensions"),
    (lambda m: m.bincount(m.tensor([0, -2, 2])), RuntimeError,
     "bincount only supports 1-d non-negative integral inputs"),
    (lambda m: m.bincount(m.tensor([0.0, 2.0])), NotImplementedError, '"bincount_cpu" not implemented'),
    (lambda m: m.histc(m.tensor([1, 2])), NotImplementedError, '"histogram_cpu" not implemented'),
    (lambda m: m.logcumsumexp(m.tensor([1, 2]), 0), NotImplementedError, '"logcumsumexp_out_cpu" not implemented'),
    (lambda m: m.nanmean(m.tensor([1, 3])), RuntimeError, "nanmean\\(\\): expected input to have floating point"),
    (lambda m: m.searchsorted(m.tensor([[1.0, 3.0]]), m.tensor([3.0, 1.0])), RuntimeError,
     "boundaries tensor should be 1 dimension or the first N-1 dimensions"),
    (lambda m: m.searchsorted(m.tensor([1.0, 3.0]), m.tensor([3.0]), side="left", right=True), RuntimeError,
     "side and right can't be set to opposites"),
    (lambda m: m.unique(m.zeros(2, 0, dtype=m.int64), dim=0), RuntimeError, "There are 0 sized dimensions"),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_bad_arguments_raise_torchs_exception_type_and_a_clear_message(k):
    f, exc, msg = ERRORS[k]
    with pytest.raises(exc) as theirs:
        f(torch)
    with pytest.raises(exc, match=msg) as ours:
        f(ag)
    assert isinstance(ours.value, type(theirs.value)) or isinstance(theirs.value, type(ours.value))


# ---------------------------------------------------------------------- indexing with Python sequences
def _index_both(f):
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    return f(ag, ag.tensor(x)), f(torch, torch.tensor(x))


@pytest.mark.parametrize("idx", [
    (range(3), [0, 1, 2]), range(3), range(0, 3, 2), [0, 2], [True, False, True],
    (slice(None), [True, False, True, True]), [[0, 2], [1, 3]], ((0, 2),), [0, slice(None)],
    (range(1, 3), slice(1, None)), [-1, 0], [],
    (0, [True, False, True, True]), (Ellipsis, [0, 3]), (None, [0, 2]), ([[0], [2]], range(2)),
], ids=str)
def test_sequences_index_like_torch(idx):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: "Using a non-tuple sequence for multidimensional indexing"
        _same(*_index_both(lambda m, x: x[idx]))


def _set(idx, value):
    def f(m, x):
        y = x.clone()
        y[idx(m) if callable(idx) else idx] = value(m) if callable(value) else value
        return y

    return f


@pytest.mark.parametrize("case", [
    _set((range(3), [0, 1, 2]), 9.0),
    _set(lambda m: (range(3), m.tensor([0, 1, 2])), lambda m: m.tensor([7.0, 8.0, 9.0])),
    _set(lambda m: m.tensor([0, 2]), lambda m: m.tensor([[7.0], [8.0]])),
    _set(lambda m: m.tensor([0, 2]), lambda m: m.tensor([7.0, 8.0, 9.0, 10.0])),
    _set(([0, 2], [1, 1]), lambda m: m.tensor([[[1.0, 2.0]]])),
    _set(range(2), lambda m: m.tensor([1.0, 2.0, 3.0, 4.0])),
    _set([True, False, True], 5.0),
    _set(lambda m: m.arange(12).reshape(3, 4) > 5, lambda m: m.tensor(0.0, dtype=m.float64)),  # 0-d via a mask: cast
    _set(0, lambda m: m.tensor([1, 2, 3, 4])),  # basic indexing casts
    _set((1, [0, 3]), lambda m: m.tensor([5.0, 6.0])),
])
def test_setitem_with_sequences_and_broadcasting_like_torch(case):
    _same(*_index_both(case))


@pytest.mark.parametrize("case,exc,msg", [
    (_set(lambda m: m.tensor([0, 2]), lambda m: m.tensor([1.0, 2.0, 3.0, 4.0], dtype=m.float64)), RuntimeError,
     "Index put requires the source and destination dtypes match, got Float for the destination and Double"),
    (_set(lambda m: m.tensor([0, 2]), lambda m: m.tensor(1)), RuntimeError, "Index put requires the source and"),
    (_set(([0, 2], [1, 1]), lambda m: m.tensor([[1.0, 2.0], [3.0, 4.0]])), RuntimeError,
     r"shape mismatch: value tensor of shape \[2, 2\] cannot be broadcast to indexing result of shape \[2\]"),
    (_set(lambda m: m.tensor([0, 2]), lambda m: m.tensor([1.0, 2.0, 3.0])), RuntimeError, "shape mismatch"),
])
def test_setitem_errors_like_torch(case, exc, msg):
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    with pytest.raises(exc):
        case(torch, torch.tensor(x))
    with pytest.raises(exc, match=msg):
        case(ag, ag.tensor(x))
    with pytest.raises(exc, match=msg):  # the recorded path too
        case(ag, ag.tensor(x, requires_grad=True) * 1)


def test_range_pick_setitem_gradients_match_torch():
    def prog(m, x, v):
        y = x * 1
        y[range(3), m.tensor([0, 3, 1])] = v * 2
        return y[range(3), [1, 1, 2]] * y[[0, 2]].sum()

    _grads(prog, A.copy(), np.array([0.5, -1.0, 2.0]))
