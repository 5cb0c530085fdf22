"""Statistics ops against PyTorch where the op table (tests/op_db_statistics.py) cannot look: bool and integer
results (isin, histogram, nanmedian's indices), nan and empty inputs, dtypes, return types, warnings, the gradient
quantile sends to q, and every error path (type and message)."""

from __future__ import annotations

import numpy as np
import pytest
from _torch_twins import both, dtype_name, np_of, same

import autograd_core as ag

torch = pytest.importorskip("torch")
# nan, inf and zero-dof inputs are on purpose: numpy's warnings from their backwards are expected
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

NAN = float("nan")
RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 5))
X3 = RNG.permutation(24).reshape(2, 3, 4) * 0.37 - 2.0  # distinct values


_np, _dt = np_of, dtype_name


def _same(ours, theirs, rtol=None, atol=1e-9):
    same(ours, theirs, rtol, atol, f32_scale=False)


def _both(f, *arrays, grad=True):
    return both(f, *arrays, grad=grad, f32_scale=False)


# ---------------------------------------------------------------------- values and gradients torch computes alike

CASES = {
    "quantile_all_modes": lambda m, x: tuple(m.quantile(x, m.tensor([0.0, 0.3, 0.5, 1.0], dtype=x.dtype), 1,
                                                        interpolation=i) for i in
                                             ("linear", "lower", "higher", "midpoint", "nearest")),
    "quantile_half_ranks_nearest": lambda m, x: m.quantile(x, m.tensor([0.125, 0.375, 0.625, 0.875], dtype=x.dtype),
                                                           1, interpolation="nearest"),
    "quantile_nan_slice": lambda m, x: m.quantile(m.where(x > 0.9, NAN, x), 0.4, dim=-1),
    "quantile_keepdim_all": lambda m, x: (m.quantile(x, 0.3, keepdim=True), x.quantile(m.tensor([0.2], dtype=x.dtype),
                                                                                      keepdim=True)),
    "quantile_float32": lambda m, x: m.quantile(x.float(), m.tensor([0.37, 0.91]), dim=0),
    "nanquantile_all_nan_slice": lambda m, x: m.nanquantile(m.where(x > -1.0, NAN, x),
                                                            m.tensor([0.2, 0.7], dtype=x.dtype), dim=1),
    "nanquantile_all": lambda m, x: m.where(x > 1.0, NAN, x).nanquantile(0.45),
    "nanmedian_all_nan": lambda m, x: (m.nanmedian(x * NAN), *m.nanmedian(x * NAN, 1)),
    "nanmedian_rows": lambda m, x: tuple(m.nanmedian(m.where(x > 0.2, NAN, x), 1, keepdim=True)),
    "nanmedian_empty": lambda m, x: m.nanmedian(x[:0]),
    "cov_one_observation": lambda m, x: (m.cov(x[:, :1] * 1), m.cov(x[:, :1] * 1, aweights=m.tensor([1.5])),
                                         m.cov(x[:, :1] * 1, fweights=m.tensor([2])),
                                         m.cov(x[:, :1] * 1, fweights=m.tensor([2]), aweights=m.tensor([1.5]))),
    "cov_no_dof": lambda m, x: (m.cov(x, correction=5), m.cov(x, correction=7), m.cov(x[0], correction=9)),
    "cov_weighted_corrected": lambda m, x: m.cov(x, correction=3, fweights=m.tensor([1, 2, 0, 3, 1]),
                                                 aweights=m.tensor([0.5, 1.0, 2.0, 1.5, 1.0], dtype=x.dtype)),
    "cov_promotes": lambda m, x: m.cov(x.float(), aweights=m.tensor([0.5, 1.0, 2.0, 1.5, 1.0], dtype=m.float64)),
    "corrcoef_constant_row": lambda m, x: m.corrcoef(m.cat([x[:2], m.ones(1, 5, dtype=x.dtype)])),
    "corrcoef_one_variable": lambda m, x: (m.corrcoef(x[0]), m.corrcoef(x[:1] * 0)),
    "aminmax_ties": lambda m, x: tuple(m.aminmax(m.tensor([[1.0, 3.0, 3.0, 1.0], [2.0, 2.0, 2.0, 0.0]],
                                                          dtype=x.dtype) * x[:2, :4] ** 0, dim=1)),
    "aminmax_reduce_empty_other_dim": lambda m, x: tuple(m.aminmax(x[:0], dim=1)),
    "trapezoid_integers": lambda m, x: (m.trapezoid(m.tensor([1, 2, 4])), m.trapezoid(m.tensor([1, 2, 4]),
                                                                                     m.tensor([0, 1, 3])),
                                        m.cumulative_trapezoid(m.tensor([1, 2, 4]), dx=2)),
    "trapezoid_empty": lambda m, x: (m.trapezoid(x[:, :0]), m.trapezoid(x[:, :0], x[:, :0]),
                                     m.cumulative_trapezoid(x[:, :0]), m.cumulative_trapezoid(x[:, :1], x[:, :1]),
                                     m.trapezoid(m.zeros(2, 0, dtype=m.int64))),
    "trapezoid_mixed_dtypes": lambda m, x: m.trapezoid(x.float(), x[0]),
    "gradient_integers": lambda m, x: (*m.gradient(m.tensor([1, 2, 4, 7])), *m.gradient(m.tensor([1, 2, 4, 7]),
                                                                                       spacing=[m.tensor([0, 1, 3, 4])],
                                                                                       edge_order=2)),
    "gradient_0d": lambda m, x: m.gradient(x[0, 0]),
    "gradient_mismatched_coordinates": lambda m, x: m.gradient(x, spacing=[m.tensor([1.0, 2.0], dtype=x.dtype)],
                                                               dim=0),
    "renorm_all_within": lambda m, x: m.renorm(x * 0.01, 1, 0, 5.0),
    "renorm_zero_element_p_below_1": lambda m, x: m.renorm(x * m.tensor([[1.0, 0.0, 1, 1, 1]] * 3, dtype=x.dtype)
                                                           * 0.01, 0.5, 0, 5.0),
    # (values only: torch 2.13's backward of dist(p=0) raises "Expected a proper Tensor but got None")
    "dist_p0_same_shape": lambda m, x: m.dist(x.detach(), x.detach() * m.tensor([1.0, 2, 1, 1, 3], dtype=x.dtype), 0),
    "dist_mixed": lambda m, x: m.dist(x.float(), x[0] + 1),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_dtypes_and_gradients_match_torch(name):
    x = X3.reshape(4, 6)[:3, :5].copy() if name.startswith("quantile") else X
    _both(CASES[name], x)


def test_quantile_sends_a_gradient_to_q_as_torch():
    x, q = X3, np.array([0.15, 0.62, 0.9])
    _both(lambda m, a, b: m.quantile(a, b, dim=1, keepdim=True), x, q)
    _both(lambda m, a, b: m.nanquantile(m.where(a > 2.0, NAN, a), b, dim=-1), x, q)
    _both(lambda m, a, b: m.quantile(a, b[1]), x, q)  # a 0-d q: no q dim in the result


def test_second_derivatives_match_torch():
    def gg(m, f, *arrays):
        ins = [m.tensor(a, requires_grad=True) for a in arrays]
        grad = ag.grad if m is ag else torch.autograd.grad
        out = f(m, *ins)
        u = m.tensor(np.random.default_rng(0).standard_normal(tuple(out.shape)))
        gs = grad([out], ins, [u], create_graph=True)
        s = sum((g * m.tensor(np.random.default_rng(k + 1).standard_normal(tuple(g.shape)))).sum()
                for k, g in enumerate(gs))
        return [_np(v) for v in grad([s], ins, allow_unused=True)]

    fns = [lambda m, a, q: m.quantile(a, q, dim=0), lambda m, a, q: m.cov(a, aweights=q[:2].exp().repeat(2)),
           lambda m, a, q: m.corrcoef(a.T) * q.sum(), lambda m, a, q: m.renorm(a, 3, 1, 0.5) * q.sum()]
    for f in fns:
        a, q = X3[0] * 0.5, np.array([0.3, 0.8, 0.55, 0.2])
        for o, t in zip(gg(ag, f, a, q), gg(torch, f, a, q)):
            np.testing.assert_allclose(o, t, rtol=1e-7, atol=1e-9)


# ---------------------------------------------------------------------- results without gradient
_TORCH_LINSPACE = torch.linspace(-1, 1, 13).numpy()  # values on torch's bin edges
NO_GRAD = {
    "isin": lambda m: (m.isin(m.tensor([1, 2, 3]), m.tensor([2, 5])), m.isin(m.tensor([1, 2, 3]), m.tensor([2, 5]),
                                                                           invert=True),
                       m.isin(m.tensor([[1, 2], [3, 4]]), m.tensor([[4]]), assume_unique=True)),
    "isin_scalars": lambda m: (m.isin(m.tensor([1, 2, 3]), 2), m.isin(2, m.tensor([1, 2, 3])),
                               m.isin(2.5, m.tensor([1, 2])), m.isin(m.tensor([1, 2]), 2.5)),
    "isin_promotes": lambda m: (m.isin(m.tensor([1.0, 2.5, 3.0]), m.tensor([2.5, 5.0])),
                                m.isin(m.tensor([1, 2, 3]), m.tensor([2.0, 3.5])),
                                m.isin(m.tensor([1.5, 2.0, 3.0]), m.tensor([2, 3]))),
    "isin_nan_and_empty": lambda m: (m.isin(m.tensor([NAN, 1.0]), m.tensor([NAN])), m.isin(m.zeros(0), m.tensor([1.0])),
                                     m.isin(m.tensor([1.0]), m.zeros(0)), m.isin(m.zeros(2, 0, 3), m.tensor([1.0]))),
    "histogram_bins": lambda m: tuple(m.histogram(m.tensor([1.0, 2.0, 1.0, 2.5, 4.0]), 3)),
    "histogram_edges": lambda m: tuple(m.histogram(m.tensor([1.0, 2.0, 1.0, 2.5, 4.0]),
                                                   m.tensor([0.0, 1.5, 2.0, 5.0]))),
    "histogram_range_weight_density": lambda m: (
        *m.histogram(m.tensor([1.0, 2.0, 1.0, 2.5, 4.0]), 3, range=(0.0, 3.0), weight=m.tensor([1.0, 2, 3, 4, 5])),
        *m.tensor([1.0, 2.0, 1.0, 2.5, 4.0]).histogram(4, density=True),
        *m.histogram(m.tensor([0.1, 0.7, -0.3], dtype=m.float64), 5, density=True, weight=m.tensor(
            [1.0, 0.5, 2.0], dtype=m.float64))),
    "histogram_degenerate": lambda m: (*m.histogram(m.tensor([2.0, 2.0]), 2), *m.histogram(m.zeros(0), 2),
                                       *m.histogram(m.tensor([1.0, 3.0]), 2, range=(1.0, 1.0)),
                                       *m.histogram(m.tensor([1.0, float("inf"), NAN]), 2, range=(0.0, 2.0)),
                                       *m.histogram(m.tensor([[1.0, 2.0], [3.0, 4.0]]), 3)),
    "histogram_edges_bitwise": lambda m: (*m.histogram(m.tensor(0.3), 6, range=(-1.0, 1.0)),
                                          *m.histogram(m.tensor(_TORCH_LINSPACE), 6),
                                          *m.histogram(m.tensor(1.2345, dtype=m.float64), 6)),
    "histogram_default_bins": lambda m: tuple(m.histogram(m.tensor(np.linspace(-2, 3, 37, dtype=np.float32)))),
    "nanmedian_indices": lambda m: (m.nanmedian(m.tensor([[NAN, 1.0, 2.0], [NAN] * 3, [3.0, NAN, 1.0]]), 1).indices,
                                    m.nanmedian(m.full((2, 7), NAN), 1).indices,
                                    m.nanmedian(m.full((6, 2), NAN), 0).indices,
                                    m.nanmedian(m.tensor([[1, 5, 2], [3, 3, 0]]), 1).indices),
    "nanmedian_integers": lambda m: (m.nanmedian(m.tensor([[1, 5, 2], [3, 3, 0]])),
                                     m.nanmedian(m.tensor([[1, 5, 2], [3, 3, 0]]), 0).values,
                                     m.nanmedian(m.zeros(0, dtype=m.int64))),
    "aminmax_integers_bools": lambda m: (*m.aminmax(m.tensor([[3, 1], [2, 5]]), dim=0),
                                         *m.aminmax(m.tensor([True, False]))),
}


@pytest.mark.parametrize("name", sorted(NO_GRAD))
def test_integer_bool_and_nograd_results_match_torch(name):
    _same(NO_GRAD[name](ag), NO_GRAD[name](torch), rtol=0, atol=0)


def test_histogram_edges_match_torch_to_the_bit():
    rng = np.random.default_rng(5)
    for k in range(300):
        dt = (ag.float32, torch.float32) if k % 2 else (ag.float64, torch.float64)
        a = np.round(rng.normal(size=int(rng.integers(1, 30))) * 3, int(rng.integers(0, 4)))
        bins = int(rng.integers(1, 40))
        o = ag.histogram(ag.tensor(a, dtype=dt[0]), bins)
        t = torch.histogram(torch.tensor(a, dtype=dt[1]), bins)
        np.testing.assert_array_equal(_np(o.bin_edges), _np(t.bin_edges))
        np.testing.assert_array_equal(_np(o.hist), _np(t.hist))


def test_return_types_are_named_tuples_as_torch():
    x = ag.tensor(X)
    for name, call, fields in (("aminmax", lambda m, t: m.aminmax(t, dim=0), ("min", "max")),
                               ("nanmedian", lambda m, t: m.nanmedian(t, 1), ("values", "indices")),
                               ("histogram", lambda m, t: m.histogram(t.float(), 3), ("hist", "bin_edges"))):
        r, rt = call(ag, x), call(torch, torch.tensor(X))
        assert type(r).__name__ == type(rt).__name__ == name
        assert r._fields == fields
        assert getattr(r, fields[0]) is r[0] and getattr(r, fields[1]) is r[1]
    assert isinstance(ag.gradient(x), tuple) and len(ag.gradient(x)) == 2


def test_methods_are_bound_as_torch():
    x = ag.tensor(X)
    for name in ("quantile", "nanquantile", "nanmedian", "cov", "corrcoef", "aminmax", "histogram", "renorm",
                 "renorm_", "dist"):
        assert hasattr(ag.Tensor, name) and hasattr(torch.Tensor, name), name
    for name in ("isin", "trapezoid", "trapz", "cumulative_trapezoid", "gradient"):
        assert not hasattr(ag.Tensor, name) and not hasattr(torch.Tensor, name), name
    y = x * 1
    assert y.renorm_(2, 0, 1.0) is y and y._version == 1


def test_cov_warns_when_degrees_of_freedom_run_out():
    for m in (ag, torch):
        with pytest.warns(UserWarning, match=r"cov\(\): degrees of freedom is <= 0"):
            m.cov(m.tensor(X), correction=5)


def test_cov_leaves_its_input_alone_with_one_observation():
    # PyTorch 2.13 zeroes the input in place here (one observation, one kind of weights): ours does not
    x = ag.tensor([[0.7], [0.2]], dtype=ag.float64, requires_grad=True) * 1
    c = ag.cov(x, fweights=ag.tensor([2]))
    np.testing.assert_array_equal(_np(x), [[0.7], [0.2]])
    np.testing.assert_array_equal(_np(c), np.zeros((2, 2)))
    assert c.requires_grad


def test_histogram_and_isin_results_are_constants():
    x = ag.tensor(X, requires_grad=True)
    h = ag.histogram(x, 4)
    assert not h.hist.requires_grad and not h.bin_edges.requires_grad
    assert not ag.isin(x, x[0]).requires_grad


# ---------------------------------------------------------------------- errors: type and message
F32 = ag.tensor(X, dtype=ag.float32)
ERRORS = [
    ("quantile", lambda m, x: m.quantile(x, 1.3), RuntimeError, r"quantile\(\) q must be in the range \[0, 1\]"),
    ("quantile_q_values", lambda m, x: m.quantile(x, m.tensor([0.5, -0.1])), RuntimeError,
     r"q values must be in the range \[0, 1\]"),
    ("quantile_q_2d", lambda m, x: m.quantile(x, m.tensor([[0.5]])), RuntimeError, "q must be a scalar or 1D tensor"),
    ("quantile_q_dtype", lambda m, x: m.quantile(x, m.tensor([0.5], dtype=m.float64)), RuntimeError,
     "q tensor must be same dtype as the input tensor"),
    ("quantile_int", lambda m, x: m.quantile(x.long(), 0.5), RuntimeError, "must be either float or double dtype"),
    ("quantile_empty", lambda m, x: m.quantile(x[:0], 0.5), RuntimeError, "input tensor must be non-empty"),
    ("quantile_mode", lambda m, x: m.quantile(x, 0.5, interpolation="cubic"), RuntimeError,
     "interpolation must be one of linear, lower, higher, midpoint or nearest"),
    ("quantile_list_q", lambda m, x: m.quantile(x, [0.5]), TypeError, "argument 'q' .* must be Tensor or float"),
    ("quantile_dim", lambda m, x: m.quantile(x, 0.5, dim=2), IndexError, "Dimension out of range"),
    ("nanmedian_empty_dim", lambda m, x: m.nanmedian(x[:0], 0), IndexError,
     "Expected reduction dim 0 to have non-zero size"),
    ("cov_3d", lambda m, x: m.cov(x[None]), RuntimeError, "expected input to have two or fewer dimensions"),
    ("cov_bool", lambda m, x: m.cov(x > 0), RuntimeError, "bool dtype is not supported"),
    ("cov_correction_float", lambda m, x: m.cov(x, correction=0.5), TypeError, "must be int"),
    ("cov_fweights_float", lambda m, x: m.cov(x, fweights=m.ones(5)), RuntimeError,
     "expected fweights to have integral dtype"),
    ("cov_fweights_numel", lambda m, x: m.cov(x, fweights=m.ones(4, dtype=m.int64)), RuntimeError,
     r"same numel as there are observations in the input but got 4 != 5"),
    ("cov_fweights_2d", lambda m, x: m.cov(x, fweights=m.ones(1, 5, dtype=m.int64)), RuntimeError,
     "expected fweights to have one or fewer dimensions"),
    ("cov_fweights_negative", lambda m, x: m.cov(x, fweights=m.tensor([1, -1, 1, 1, 1])), RuntimeError,
     "fweights cannot be negative"),
    ("cov_aweights_int", lambda m, x: m.cov(x, aweights=m.ones(5, dtype=m.int64)), RuntimeError,
     "expected aweights to have floating point dtype"),
    ("cov_aweights_negative", lambda m, x: m.cov(x, aweights=-m.ones(5)), RuntimeError, "aweights cannot be negative"),
    ("cov_zero_weights", lambda m, x: m.cov(x, fweights=m.zeros(5, dtype=m.int64)), RuntimeError,
     "weights sum to zero, can't be normalized"),
    ("corrcoef_3d", lambda m, x: m.corrcoef(x[None]), RuntimeError, "two or fewer dimensions"),
    ("aminmax_empty", lambda m, x: m.aminmax(x[:0]), RuntimeError, "cannot compute aminmax over an empty dimension"),
    ("aminmax_empty_dim", lambda m, x: m.aminmax(x[:0], dim=0), IndexError,
     "Expected reduction dim 0 to have non-zero size"),
    ("aminmax_tuple_dim", lambda m, x: m.aminmax(x, dim=(0, 1)), TypeError, "must be int"),
    ("aminmax_positional_dim", lambda m, x: m.aminmax(x, 1), TypeError, "positional argument"),
    ("isin_bool", lambda m, x: m.isin(x > 0, m.tensor([True])), RuntimeError,
     "Unsupported input type encountered for isin"),
    ("isin_two_numbers", lambda m, x: m.isin(2, 3), TypeError, "at least one of elements and test_elements"),
    ("isin_list", lambda m, x: m.isin(x, [1.0]), TypeError, "must be Tensor or Number, not list"),
    ("histogram_int", lambda m, x: m.histogram(x.long(), 3), NotImplementedError, "not implemented for 'Long'"),
    ("histogram_zero_bins", lambda m, x: m.histogram(x, 0), RuntimeError, "bins must be > 0"),
    ("histogram_range", lambda m, x: m.histogram(x, 2, range=(3.0, 1.0)), RuntimeError,
     "min should not exceed max"),
    ("histogram_nan", lambda m, x: m.histogram(x * NAN, 2), RuntimeError, "is not finite"),
    ("histogram_edges_dtype", lambda m, x: m.histogram(x, m.tensor([0.0, 1.0], dtype=m.float64)), RuntimeError,
     "input tensor and bins tensors should have the same dtype"),
    ("histogram_edges_2d", lambda m, x: m.histogram(x, m.tensor([[0.0, 1.0]])), RuntimeError,
     "bins tensor should have one dimension"),
    ("histogram_weight_dtype", lambda m, x: m.histogram(x, 2, weight=x.double()), RuntimeError,
     "input tensor and weight tensor should have the same dtype"),
    ("histogram_weight_shape", lambda m, x: m.histogram(x, 2, weight=x[0]), RuntimeError,
     "it should have the same shape as the input tensor"),
    ("trapezoid_bool", lambda m, x: m.trapezoid(x > 0), RuntimeError, "bool is not supported"),
    ("trapezoid_x_count", lambda m, x: m.trapezoid(x, x[0, :3]), RuntimeError,
     "There must be one `x` value for each sample point"),
    ("trapezoid_number_x", lambda m, x: m.trapezoid(x, 2.0), TypeError, "pass a constant spacing as dx="),
    ("trapezoid_0d", lambda m, x: m.trapezoid(x[0, 0]), IndexError, "tensor has no dimensions"),
    ("trapezoid_dim", lambda m, x: m.trapezoid(x, dim=2), IndexError, "Dimension out of range"),
    ("cumulative_trapezoid_x_count", lambda m, x: m.cumulative_trapezoid(x, x[0, :2]), RuntimeError,
     "There must be one `x` value for each sample point"),
    ("gradient_edge_order", lambda m, x: m.gradient(x, edge_order=3), RuntimeError,
     "only supports edge_order=1 and edge_order=2"),
    ("gradient_size", lambda m, x: m.gradient(x[:, :2], edge_order=2), RuntimeError,
     "expected each dimension size to be at least edge_order\\+1"),
    ("gradient_spacing_count", lambda m, x: m.gradient(x, spacing=[2.0]), RuntimeError,
     "since dim argument was not given, but got a list of length 1"),
    ("gradient_spacing_dim_count", lambda m, x: m.gradient(x, spacing=[2.0, 3.0], dim=1), RuntimeError,
     "spacing and dim arguments to have the same length"),
    ("gradient_coordinates_2d", lambda m, x: m.gradient(x, spacing=[m.ones(1, 3)], dim=0), RuntimeError,
     "expected each element of spacing to have one dimension"),
    ("gradient_tensor_spacing", lambda m, x: m.gradient(x, spacing=x[0], dim=1), TypeError,
     r"wrap a coordinate tensor in a list: spacing=\[t\]"),
    ("gradient_mixed_spacing", lambda m, x: m.gradient(x, spacing=[1, x[0]]), TypeError,
     "expected Tensor as element 0 in argument 1"),
    ("gradient_uint8", lambda m, x: m.gradient(x.to(m.uint8)), RuntimeError, "does not support uint8 input"),
    ("gradient_repeated_dim", lambda m, x: m.gradient(x, dim=[1, 1]), RuntimeError, "appears multiple times"),
    ("renorm_p", lambda m, x: m.renorm(x, 0, 0, 1.0), RuntimeError, "non-positive-norm not supported"),
    ("renorm_maxnorm", lambda m, x: m.renorm(x, 2, 0, -1.0), RuntimeError, "expected maxnorm to be >= 0"),
    ("renorm_1d", lambda m, x: m.renorm(x[0], 2, 0, 1.0), RuntimeError, "input needs at least 2 dimensions"),
    ("renorm_int", lambda m, x: m.renorm(x.long(), 2, 0, 1.0), RuntimeError,
     "Expected a floating point or complex tensor as input"),
    ("dist_int", lambda m, x: m.dist(x.long(), x.long()), RuntimeError,
     "input dtype should be either floating point or complex"),
    ("dist_number", lambda m, x: m.dist(x, 2.0), TypeError, "argument 'other' .* must be Tensor, not float"),
    ("dist_shapes", lambda m, x: m.dist(x, x[:2]), RuntimeError, "must match the size"),
]


@pytest.mark.parametrize("name,f,exc,msg", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_have_torch_types_and_clear_messages(name, f, exc, msg):
    with pytest.raises(exc, match=msg):
        f(ag, F32)
    with pytest.raises(exc):
        f(torch, torch.tensor(X, dtype=torch.float32))
