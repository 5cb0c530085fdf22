"""Elementwise math ops (trig, rounding, special functions, binary math, predicates, bitwise) against PyTorch:
result dtypes for every input dtype, values and gradients at the edges of each domain, error types and messages,
numpy ufunc dispatch, and the special functions against mpmath (an independent arbitrary-precision oracle)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_core as ag

torch = pytest.importorskip("torch")

DTYPES = ("int64", "int32", "uint8", "bool", "float32", "float64")
UNARY = ("tan asin acos atan sinh cosh asinh acosh atanh log2 log10 exp2 square reciprocal floor ceil trunc fix round "
         "frac sign sgn deg2rad rad2deg logit sinc nan_to_num negative positive erfinv erfc lgamma digamma isinf "
         "isposinf isneginf isreal signbit logical_not bitwise_not arcsin arccos arctan arcsinh arccosh arctanh "
         "absolute").split()
BINARY = ("atan2 arctan2 copysign logaddexp logaddexp2 fmod remainder hypot xlogy fmax fmin float_power true_divide "
          "divide multiply subtract floor_divide clamp_min clamp_max isclose logical_and logical_or logical_xor "
          "bitwise_and bitwise_or bitwise_xor bitwise_left_shift bitwise_right_shift ldexp heaviside nextafter gcd lcm "
          "greater greater_equal less less_equal not_equal").split()


def _both(values, dtype):
    a = np.asarray(values).astype(dtype)
    return ag.tensor(a), torch.tensor(a)


def _run(fn):
    try:
        return fn(), None
    except Exception as e:  # noqa: BLE001 - compared with torch's exception below
        return None, e


def _same_outcome(ours, theirs, what):
    (o, oe), (t, te) = ours, theirs
    if te is not None:
        assert oe is not None, f"{what}: torch raised {type(te).__name__}: {te}, ours returned {o}"
        base = next(c for c in type(te).__mro__ if c.__module__ == "builtins")
        assert isinstance(oe, base), f"{what}: ours raised {type(oe).__name__}, torch {type(te).__name__}: {te}"
        return
    assert oe is None, f"{what}: ours raised {type(oe).__name__}: {oe}"
    if isinstance(t, bool):
        assert o == t, what
        return
    assert str(o.dtype) == str(t.dtype).replace("torch.", ""), f"{what}: dtype {o.dtype} vs torch {t.dtype}"
    assert o.shape == tuple(t.shape), what
    np.testing.assert_allclose(o.numpy().astype(np.float64), t.numpy().astype(np.float64), rtol=2e-6, atol=1e-6,
                               equal_nan=True, err_msg=what)


# values in every op's domain for every dtype (uint8 and bool included)
_VALUES = [0, 1, 2, 3]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", UNARY)
def test_unary_result_dtype_values_and_refusals_match_torch(name, dtype):
    x, tx = _both(np.array(_VALUES) * (0.25 if dtype.startswith("float") and name in ("asin", "acos", "atanh",
                                                                                       "erfinv", "logit") else 1),
                  dtype)
    for form in ("func", "method"):
        if form == "method" and not hasattr(torch.Tensor, name):
            continue
        def call(m, v, form=form):
            return getattr(m, name)(v) if form == "func" else getattr(v, name)()

        _same_outcome(_run(lambda: call(ag, x)), _run(lambda: call(torch, tx)), f"{form} {name}({dtype})")


_PAIRS = [("int64", "int64"), ("int64", "float32"), ("bool", "bool"), ("float32", "float64"), ("uint8", "int32"),
          ("float32", "float32"), ("float64", "int64"), ("int32", "bool")]


@pytest.mark.parametrize("da,db", _PAIRS, ids=[f"{a}-{b}" for a, b in _PAIRS])
@pytest.mark.parametrize("name", BINARY)
def test_binary_result_dtype_values_and_refusals_match_torch(name, da, db):
    a, ta = _both([1, 2, 3, 0], da)
    b, tb = _both([2, 1, 3, 1], db)
    _same_outcome(_run(lambda: getattr(ag, name)(a, b)), _run(lambda: getattr(torch, name)(ta, tb)),
                  f"{name}({da}, {db})")
    if hasattr(torch.Tensor, name):
        _same_outcome(_run(lambda: getattr(a, name)(b)), _run(lambda: getattr(ta, name)(tb)),
                      f"x.{name}({da}, {db})")


@pytest.mark.parametrize("scalar", [2, 2.5, -1, True])
@pytest.mark.parametrize("dtype", ("int64", "float32", "float64", "bool"))
@pytest.mark.parametrize("name", BINARY)
def test_binary_with_a_python_number_matches_torch(name, dtype, scalar):
    a, ta = _both([1, 2, 3, 0], dtype)
    _same_outcome(_run(lambda: getattr(ag, name)(a, scalar)), _run(lambda: getattr(torch, name)(ta, scalar)),
                  f"{name}({dtype}, {scalar!r})")
    if hasattr(torch.Tensor, name):
        _same_outcome(_run(lambda: getattr(a, name)(scalar)), _run(lambda: getattr(ta, name)(scalar)),
                      f"x.{name}({dtype}, {scalar!r})")


# ---------------------------------------------------------------------- values and gradients at the edges
def _grads(mod, fn, arrays, create_graph=False):
    xs = [mod.tensor(a, dtype=mod.float64, requires_grad=True) for a in arrays]
    out = fn(mod, *xs)
    up = mod.tensor(np.linspace(0.5, 1.5, out.numel()).reshape(tuple(out.shape)), dtype=mod.float64)
    g = (ag.grad if mod is ag else torch.autograd.grad)((out * up).sum(), xs, create_graph=create_graph,
                                                          allow_unused=True)
    return out, xs, g


def _np(t):
    return np.asarray(t.detach().numpy(force=True) if isinstance(t, torch.Tensor) else t.detach().numpy())


_INF, _NAN = math.inf, math.nan
EDGES = {
    # name: (function of (module, *tensors), input arrays with each domain's edges)
    "acos": (lambda m, x: m.acos(x), [[2.0, -2.0, 1.0, -1.0, 0.5, _NAN]]),
    "asin": (lambda m, x: m.asin(x), [[2.0, -2.0, 1.0, -1.0, 0.5, _NAN]]),
    "acosh": (lambda m, x: m.acosh(x), [[0.5, 1.0, 2.0, _INF, -1.0]]),
    "atanh": (lambda m, x: m.atanh(x), [[1.0, -1.0, 2.0, 0.5, 0.0]]),
    "log2": (lambda m, x: m.log2(x), [[0.0, -1.0, _INF, 8.0]]),
    "log10": (lambda m, x: m.log10(x), [[0.0, -1.0, _INF, 100.0]]),
    "reciprocal": (lambda m, x: m.reciprocal(x), [[0.0, -0.0, _INF, 4.0]]),
    "tan": (lambda m, x: m.tan(x), [[0.0, 1.5707963, -1.0, _INF]]),
    "exp2": (lambda m, x: m.exp2(x), [[-_INF, 1024.0, -3.0, 0.5]]),
    "sinh_cosh": (lambda m, x: m.sinh(x) + m.cosh(x), [[710.0, -710.0, 0.0, 2.0]]),
    "sinc": (lambda m, x: m.sinc(x), [[0.0, 1.0, -2.0, 0.5, _INF, 7.9e-250, 4.2e145]]),
    "logit": (lambda m, x: m.logit(x), [[-0.5, 0.0, 0.05, 0.5, 0.95, 1.0, 1.5]]),
    "logit_eps": (lambda m, x: m.logit(x, eps=0.1), [[-0.5, 0.0, 0.05, 0.1, 0.5, 0.9, 0.95, 1.0, 1.5]]),
    "nan_to_num": (lambda m, x: m.nan_to_num(x), [[_NAN, _INF, -_INF, 1.0]]),
    "nan_to_num_set": (lambda m, x: m.nan_to_num(x, nan=2.0, posinf=1.0, neginf=-3.0), [[_NAN, _INF, -_INF, 1.0]]),
    "erfinv": (lambda m, x: m.erfinv(x), [[1.0, -1.0, 1.5, 0.0, -0.0, 1 - 1e-16, -0.999999, _NAN]]),
    "erfc": (lambda m, x: m.erfc(x), [[-_INF, _INF, 27.0, -6.0, 0.0]]),
    "lgamma": (lambda m, x: m.lgamma(x), [[0.0, -1.0, -2.5, 1e-300, _INF, -_INF, 1e306]]),
    "digamma": (lambda m, x: m.digamma(x), [[0.0, -0.0, -1.0, -2.5, 1e-300, _INF, -_INF, 1e20]]),
    "polygamma2": (lambda m, x: m.polygamma(2, x), [[0.0, -1.0, -2.5, 3.0, 1e-5]]),
    # 0-d and far below 0 (the zeta sum's long stretch), up to the third derivative of lgamma
    "digamma_0d_negative": (lambda m, x: m.digamma(x), [-24.889087691059647]),
    "polygamma3_0d_negative": (lambda m, x: m.polygamma(3, x), [-13.3]),
    "round_half_even": (lambda m, x: m.round(x), [[0.5, 1.5, 2.5, -0.5, -1.5, _INF, _NAN]]),
    "round_decimals": (lambda m, x: m.round(x, decimals=2), [[1.005, 0.125, -2.675, 1e300, _NAN]]),
    "round_negative_decimals": (lambda m, x: m.round(x, decimals=-2), [[150.0, 250.0, -1234.5, 49.9]]),
    "frac": (lambda m, x: m.frac(x), [[-1.5, 2.25, -0.0, 3.0]]),
    "atan2_origin": (lambda m, a, b: m.atan2(a, b), [[0.0, 0.0, 1e-200, _INF, 3.0, -0.0],
                                                     [0.0, -1.0, 0.0, 1.0, _NAN, -0.0]]),
    "copysign": (lambda m, a, b: m.copysign(a, b), [[0.0, 0.0, 1.0, -2.0, 3.0], [-1.0, 2.0, -0.0, _NAN, -_INF]]),
    "hypot_origin": (lambda m, a, b: m.hypot(a, b), [[0.0, 3.0, _INF, 1e300], [0.0, 4.0, 1.0, 1e300]]),
    "xlogy": (lambda m, a, b: m.xlogy(a, b), [[0.0, 0.0, 0.0, 1.0, 2.0, _NAN], [0.0, -1.0, _NAN, 0.0, 3.0, 1.0]]),
    "logaddexp": (lambda m, a, b: m.logaddexp(a, b), [[-_INF, _INF, 0.0, 1000.0], [-_INF, _INF, -_INF, 1000.0]]),
    "logaddexp2": (lambda m, a, b: m.logaddexp2(a, b), [[-_INF, 3.0, 0.0], [-_INF, 3.0, -_INF]]),
    "fmax_ties_nan": (lambda m, a, b: m.fmax(a, b), [[1.0, 2.0, _NAN, _NAN, 0.0], [1.0, _NAN, 3.0, _NAN, -0.0]]),
    "fmin_ties_nan": (lambda m, a, b: m.fmin(a, b), [[1.0, 2.0, _NAN, _NAN, 0.0], [1.0, _NAN, 3.0, _NAN, -0.0]]),
    "fmod": (lambda m, a, b: m.fmod(a, b), [[5.5, -5.5, 1.0, _INF], [2.0, 2.0, 0.0, 1.0]]),
    "remainder": (lambda m, a, b: m.remainder(a, b), [[5.5, -5.5, 1.0], [2.0, 2.0, -3.0]]),
    "lerp_ends": (lambda m, a, b, w: m.lerp(a, b, w), [[1.0, 1.0, 2.0, -3.0], [3.0, 3.0, 5.0, 7.0],
                                                       [0.0, 1.0, 0.5, 2.0]]),
    "float_power": (lambda m, a, b: m.float_power(a, b), [[0.0, 2.0, -2.0, 0.0], [0.0, 0.5, 2.0, -1.0]]),
    "clamp_tensor_bounds": (lambda m, x, lo, hi: m.clamp(x, lo, hi), [[0.5, 2.0, -1.0, 0.3], [0.0, 2.0, 0.0, 0.5],
                                                                     [1.0, 3.0, -0.5, 0.2]]),
}


# logaddexp's second derivative at (0, -inf): torch computes exp(a - b) / (1 + exp(a - b))**2 = inf / inf = nan; our
# gradient is sigmoid(a - b), whose derivative there is the limit, 0
OVERFLOWS_IN_TORCH = {"logaddexp", "logaddexp2"}


@pytest.mark.parametrize("name", sorted(EDGES))
def test_values_and_first_and_second_derivatives_at_domain_edges_match_torch(name):
    fn, arrays = EDGES[name]
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    with np.errstate(all="ignore"):
        o, xs, g = _grads(ag, fn, arrays, create_graph=True)
    t, txs, tg = _grads(torch, fn, arrays, create_graph=True)
    np.testing.assert_allclose(_np(o), _np(t), rtol=1e-12, atol=0, err_msg=f"{name} values")
    assert str(o.dtype) == str(t.dtype).replace("torch.", "")
    for k, (a, b) in enumerate(zip(g, tg)):
        a = np.zeros(arrays[k].shape) if a is None else _np(a)
        b = np.zeros(arrays[k].shape) if b is None else _np(b)
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=0, err_msg=f"{name} gradient {k}")
    # second derivatives where both define one (sum of the gradients, differentiated again)
    live = [x for x in g if x is not None and x.requires_grad]
    tlive = [x for x in tg if x is not None and x.requires_grad]
    if live and tlive:
        with np.errstate(all="ignore"):
            gg = ag.grad(sum(x.sum() for x in live), xs, allow_unused=True)
        tgg = torch.autograd.grad(sum(x.sum() for x in tlive), txs, allow_unused=True)
        for k, (a, b) in enumerate(zip(gg, tgg)):
            a = np.zeros(arrays[k].shape) if a is None else _np(a)
            b = np.zeros(arrays[k].shape) if b is None else _np(b)
            if name in OVERFLOWS_IN_TORCH:
                # torch's formula overflows (inf / inf) where the exact value is the limit 0
                b = np.where(np.isnan(b) & ~np.isnan(a), 0.0, b)
                assert (a[np.isnan(b) != np.isnan(_np(tgg[k]))] == 0).all()
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-300, err_msg=f"{name} second derivative {k}")


@pytest.mark.parametrize("name", ["floor", "ceil", "trunc", "fix", "round", "sign", "sgn"])
def test_piecewise_constant_ops_record_a_zero_gradient_like_torch(name):
    x = ag.tensor([0.3, -1.7, 2.5], dtype=ag.float64, requires_grad=True)
    y = getattr(ag, name)(x)
    assert y.requires_grad and y.grad_fn is not None
    (g,) = ag.grad((y * 3 + x).sum(), [x])
    tx = torch.tensor([0.3, -1.7, 2.5], dtype=torch.float64, requires_grad=True)
    (tg,) = torch.autograd.grad((getattr(torch, name)(tx) * 3 + tx).sum(), [tx])
    np.testing.assert_array_equal(g.numpy(), tg.numpy())
    np.testing.assert_array_equal(y.detach().numpy(), getattr(torch, name)(tx).detach().numpy())


def test_integer_rounding_keeps_the_dtype_and_bool_is_refused_with_torchs_error():
    x = ag.tensor([3, -2, 7], dtype=ag.int32)
    for name in ("floor", "ceil", "trunc", "round"):
        y = getattr(x, name)()
        assert y.dtype == ag.int32 and y.tolist() == [3, -2, 7]
    for name in ("floor", "ceil", "trunc", "round", "frac"):
        with pytest.raises(NotImplementedError, match=rf'"{name}" not implemented for \'Bool\''):
            getattr(ag, name)(ag.tensor([True]))
    with pytest.raises(NotImplementedError, match=r"\"round\" not implemented for 'Long'.*needs a float tensor"):
        ag.round(ag.tensor([15, 25]), decimals=-1)
    with pytest.raises(NotImplementedError, match=r"\"frac\" not implemented for 'Long'"):
        ag.tensor([1]).frac()
    with pytest.raises(TypeError, match="'decimals' must be int"):
        ag.round(ag.tensor([1.5]), decimals=1.0)


# ---------------------------------------------------------------------- special functions against mpmath
def _sweep(rng, n=400):
    return np.concatenate([rng.uniform(-15, 15, n), rng.uniform(1e-4, 3, n // 4), -rng.uniform(1e-4, 3, n // 4),
                           10.0 ** rng.uniform(1, 8, n // 8)])


def _mp_ref(fn, x):
    import mpmath

    with mpmath.workdps(40):
        return np.array([float(fn(mpmath, mpmath.mpf(float(v)))) for v in x])


@pytest.mark.parametrize("name,mp,rtol", [
    ("digamma", lambda m, v: m.digamma(v), 1e-13),
    ("trigamma", lambda m, v: m.polygamma(1, v), 1e-9),  # PyTorch's own formula, accurate to ~5e-10
    ("polygamma2", lambda m, v: m.polygamma(2, v), 1e-13),
    ("polygamma3", lambda m, v: m.polygamma(3, v), 1e-13),
    ("lgamma", lambda m, v: m.re(m.loggamma(v)), 1e-13),
])
def test_gamma_family_matches_mpmath_over_a_wide_range(name, mp, rtol):
    rng = np.random.default_rng(3)
    x = _sweep(rng)
    x = x[np.abs(x - np.round(x)) > 1e-3]  # off the poles (and the roots, where relative error is meaningless)
    n = {"digamma": 0, "trigamma": 1, "polygamma2": 2, "polygamma3": 3}.get(name)
    t = ag.tensor(x)
    ours = (ag.lgamma(t) if n is None else ag.polygamma(n, t)).numpy()
    ref = _mp_ref(mp, x)
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=1e-14)  # (near a root only the absolute error counts)
    th = (torch.lgamma if n is None else lambda v: torch.polygamma(n, v))(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, th, rtol=1e-12, atol=1e-14)


def test_erfinv_and_erfc_match_mpmath_including_the_far_tails():
    rng = np.random.default_rng(4)
    y = np.concatenate([rng.uniform(-1, 1, 300), 1 - 10.0 ** -rng.uniform(1, 15.9, 200),
                        10.0 ** -rng.uniform(5, 300, 50)])
    y = np.concatenate([y, -y])
    np.testing.assert_allclose(ag.erfinv(ag.tensor(y)).numpy(), _mp_ref(lambda m, v: m.erfinv(v), y), rtol=1e-14)
    x = np.concatenate([rng.uniform(-6, 27, 300), [0.0, 26.5]])
    np.testing.assert_allclose(ag.erfc(ag.tensor(x)).numpy(), _mp_ref(lambda m, v: m.erfc(v), x), rtol=1e-14)
    # float32 in, float32 out, within float32 rounding of the exact values
    y32 = rng.uniform(-0.999, 0.999, 200).astype(np.float32)
    out = ag.erfinv(ag.tensor(y32))
    assert out.dtype == ag.float32
    np.testing.assert_allclose(out.numpy(), _mp_ref(lambda m, v: m.erfinv(v), y32), rtol=2e-7)


def test_gamma_family_third_derivatives_chain_through_polygamma():
    x = ag.tensor([0.7, 2.5, -1.3], dtype=ag.float64, requires_grad=True)
    (g1,) = ag.grad(ag.lgamma(x).sum(), [x], create_graph=True)
    (g2,) = ag.grad(g1.sum(), [x], create_graph=True)
    (g3,) = ag.grad(g2.sum(), [x])
    tx = torch.tensor([0.7, 2.5, -1.3], dtype=torch.float64, requires_grad=True)
    (t1,) = torch.autograd.grad(torch.lgamma(tx).sum(), [tx], create_graph=True)
    (t2,) = torch.autograd.grad(t1.sum(), [tx], create_graph=True)
    (t3,) = torch.autograd.grad(t2.sum(), [tx])
    for a, b in ((g1, t1), (g2, t2), (g3, t3)):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)
    assert ag.gradgradcheck(lambda v: ag.erfinv(v), [ag.tensor([0.3, -0.8], dtype=ag.float64, requires_grad=True)])


def test_polygamma_refuses_a_negative_or_non_integer_order():
    x = ag.tensor([1.0])
    with pytest.raises(RuntimeError, match="polygamma.*does not support negative n"):
        ag.polygamma(-1, x)
    with pytest.raises(TypeError, match="'n' must be int"):
        ag.polygamma(1.0, x)


# ---------------------------------------------------------------------- binary ops: errors, torch-side bugs
def test_binary_math_errors_name_the_op_and_the_fix():
    x, d = ag.tensor([1.0, 2.0]), ag.tensor([1.0, 2.0], dtype=ag.float64)
    with pytest.raises(TypeError, match=r"atan2\(\): argument 'other' \(position 2\) must be Tensor, not int"):
        ag.atan2(x, 2)
    with pytest.raises(TypeError, match=r"fmax\(\): argument 'other'.*must be Tensor.*ag.tensor\(2.0\)"):
        x.fmax(2.0)
    with pytest.raises(NotImplementedError, match=r"\"hypot_cpu\" not implemented for 'Long'.*cast first"):
        ag.hypot(ag.tensor([1]), ag.tensor([2]))
    with pytest.raises(RuntimeError, match=r"lerp: expected dtype float for `end` but got dtype double.*end.to"):
        ag.lerp(x, d, 0.5)
    with pytest.raises(RuntimeError, match=r"expected dtype float for `weight` but got dtype double"):
        ag.lerp(x, x, d)
    with pytest.raises(NotImplementedError, match="lerp_kernel_scalar"):
        ag.lerp(ag.tensor([1]), ag.tensor([2]), 0.5)
    with pytest.raises(RuntimeError, match="lerp: the shapes of input, end and weight"):
        ag.lerp(ag.zeros(2), ag.zeros(3), 0.5)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        ag.fmod(ag.tensor([1]), 0)
    with pytest.raises(RuntimeError, match="Integer division with addcdiv is no longer supported"):
        ag.addcdiv(ag.tensor([1]), ag.tensor([1]), ag.tensor([2]))
    with pytest.raises(RuntimeError, match="float_power_ has dtype Float but the operation's result requires dtype "
                                           "Double.*x.double"):
        ag.tensor([1.5]).float_power_(2)
    with pytest.raises(RuntimeError, match=r"The `\+` operator, on a bool tensor is not supported"):
        +ag.tensor([True])
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with a bool tensor"):
        ag.subtract(x, True)
    for mod in (ag, torch):  # same types as torch
        with pytest.raises(TypeError):
            mod.copysign(2, mod.tensor([1.0]))
        with pytest.raises(RuntimeError):
            mod.tensor([1.5]).float_power_(2)


def test_ldexp_gradient_for_negative_integer_exponents_is_the_derivative():
    # torch 2.13 computes the gradient's 2**other in integer arithmetic, giving 0 for other < 0; ours is 2**other
    # (the fuzzer draws non-negative integer exponents only, tests/fuzz/ops_math.py)
    x = ag.tensor([[[1.5]]], requires_grad=True)
    e = ag.tensor([[[0, 3, -2]]])
    y = ag.ldexp(x, e)
    assert y.dtype == ag.float32 and y.tolist() == [[[1.5, 12.0, 0.375]]]
    (g,) = ag.grad((y * ag.tensor([1.0, 10.0, 100.0])).sum(), [x])
    assert g.tolist() == [[[1 + 80 + 25.0]]]
    xd = ag.tensor([0.8, -0.3], dtype=ag.float64, requires_grad=True)
    assert ag.gradcheck(lambda v: ag.ldexp(v, ag.tensor([-3, 2])), [xd])


def test_nextafter_gradient_is_one_where_the_result_moves_with_input_and_zero_where_it_is_other():
    a = np.array([1.0, 2.0, 3.0, 3.0, -0.0, 0.0, _NAN, 1.0, _INF])
    b = np.array([1.0, 3.0, 3.0, 2.0, 0.0, -0.0, 1.0, _NAN, _INF])
    x, y = ag.tensor(a, requires_grad=True), ag.tensor(b, requires_grad=True)
    out = ag.nextafter(x, y)
    np.testing.assert_array_equal(out.detach().numpy(), np.nextafter(a, b))
    gx, gy = ag.grad(out.sum(), [x, y])
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    tgx, tgy = torch.autograd.grad(torch.nextafter(tx, ty).sum(), [tx, ty])
    np.testing.assert_array_equal(gx.numpy(), tgx.numpy())
    np.testing.assert_array_equal(gy.numpy(), tgy.numpy())
    assert gx.tolist() == [0, 1, 0, 1, 0, 0, 1, 1, 0]
    # broadcast first operand: the gradient sums over the elements where the result moves with it
    x = ag.tensor([[2.0]], requires_grad=True)
    (g,) = ag.grad((ag.nextafter(x, ag.tensor([[[0.0]], [[2.0]], [[5.0]]])) * ag.tensor([[[1.0]], [[10.0]], [[100.0]]])
                    ).sum(), [x])
    assert g.tolist() == [[101.0]]


def test_heaviside_matches_torch_and_has_no_derivative():
    for dt in ("float64", "int64"):
        x, tx = _both([-1.5, 0.0, 2.0, -0.0] + ([_NAN, _INF] if dt == "float64" else []), dt)
        v, tv = _both([0.5], dt)
        np.testing.assert_array_equal(ag.heaviside(x, v).numpy(), torch.heaviside(tx, tv).numpy())
        assert ag.heaviside(x, v).dtype == getattr(ag, dt)
    with pytest.raises(RuntimeError, match="heaviside is not yet implemented for tensors with different dtypes"):
        ag.heaviside(ag.tensor([1.0]), ag.tensor([1]))
    x = ag.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    y = x.heaviside(ag.tensor([0.5]))
    assert y.requires_grad and y.grad_fn.name() == "HeavisideBackward"  # recorded, as torch
    with pytest.raises(NotImplementedError, match="derivative for aten::heaviside is not implemented"):
        y.sum().backward()
    tx = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="derivative for aten::heaviside is not implemented"):
        torch.heaviside(tx, torch.tensor([0.5])).sum().backward()


# ---------------------------------------------------------------------- predicates, logical and bitwise ops
_SPECIAL = np.array([-_INF, -1.5, -0.0, 0.0, 2.0, _INF, _NAN])


@pytest.mark.parametrize("name,ref", [
    ("isinf", np.isinf), ("isposinf", np.isposinf), ("isneginf", np.isneginf), ("signbit", np.signbit),
    ("isreal", np.isreal), ("logical_not", np.logical_not), ("isnan", np.isnan), ("isfinite", np.isfinite),
])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_predicates_match_numpy_and_torch_and_never_require_grad(name, ref, dtype):
    a = _SPECIAL if dtype.startswith("float") else np.array([-3, 0, 5])
    a = a.astype(dtype)
    x = ag.tensor(a, requires_grad=dtype.startswith("float"))
    out = getattr(ag, name)(x)
    assert out.dtype == ag.bool and not out.requires_grad and out.grad_fn is None
    np.testing.assert_array_equal(out.numpy(), ref(a))
    np.testing.assert_array_equal(out.numpy(), getattr(torch, name)(torch.tensor(a)).numpy())
    np.testing.assert_array_equal(getattr(x, name)().numpy(), ref(a))


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
def test_logical_ops_take_any_dtype_and_broadcast(name):
    a, b = np.array([[0.0, 2.0, _NAN]]), np.array([[1], [0]])
    out = getattr(ag, name)(ag.tensor(a), ag.tensor(b))
    np.testing.assert_array_equal(out.numpy(), getattr(np, name)(a, b))
    np.testing.assert_array_equal(out.numpy(), getattr(torch, name)(torch.tensor(a), torch.tensor(b)).numpy())
    with pytest.raises(TypeError, match=rf"{name}\(\): argument 'other'"):
        getattr(ag.tensor(a), name)(1)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "int8"])
def test_shifts_match_torch_including_out_of_range_counts(dtype):
    bits = np.dtype(dtype).itemsize * 8
    a = np.array([1, -1, 5, -5, 7, -8, 3, 100], dtype=np.int64)
    s = np.array([1, 1, bits - 1, bits, bits + 3, -1, 0, 2], dtype=np.int64)
    if dtype == "uint8":
        a, s = np.abs(a), np.abs(s)
    a, s = a.astype(dtype), s.astype(dtype)
    for fn, op in (("bitwise_left_shift", "__lshift__"), ("bitwise_right_shift", "__rshift__")):
        ours = getattr(ag, fn)(ag.tensor(a), ag.tensor(s))
        theirs = getattr(torch, fn)(torch.tensor(a), torch.tensor(s))
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=fn)
        np.testing.assert_array_equal(getattr(ag.tensor(a), op)(ag.tensor(s)).numpy(), theirs.numpy())
    for k in (0, 2, bits, -1):
        np.testing.assert_array_equal((ag.tensor(a) << k).numpy(), (torch.tensor(a) << k).numpy())
        np.testing.assert_array_equal((ag.tensor(a) >> k).numpy(), (torch.tensor(a) >> k).numpy())
    np.testing.assert_array_equal((3 << ag.tensor(s[:3])).numpy(), (3 << torch.tensor(s[:3])).numpy())
    np.testing.assert_array_equal((300 >> ag.tensor(s[:3])).numpy(), (300 >> torch.tensor(s[:3])).numpy())


def test_bitwise_ops_match_numpy_and_refuse_floats():
    a, b = np.array([[12, -7, 0, 255]]), np.array([[10], [-3]])
    for name in ("bitwise_and", "bitwise_or", "bitwise_xor", "gcd", "lcm"):
        out = getattr(ag, name)(ag.tensor(a), ag.tensor(b))
        np.testing.assert_array_equal(out.numpy(), getattr(np, name)(a, b))
        np.testing.assert_array_equal(out.numpy(), getattr(torch, name)(torch.tensor(a), torch.tensor(b)).numpy())
    np.testing.assert_array_equal(ag.bitwise_not(ag.tensor(a)).numpy(), ~a)
    m = np.array([True, False])
    assert ag.bitwise_xor(ag.tensor(m), True).tolist() == [False, True]
    assert ag.bitwise_and(ag.tensor(m), 3).dtype == torch_dtype(torch.bitwise_and(torch.tensor(m), 3))
    with pytest.raises(NotImplementedError, match=r"\"bitwise_and_cpu\" not implemented for 'Float'"):
        ag.tensor([1.0]).bitwise_and(ag.tensor([1.0]))
    with pytest.raises(NotImplementedError, match=r"\"lshift_cpu\" not implemented for 'Bool'"):
        ag.tensor([True]) << ag.tensor([True])
    with pytest.raises(NotImplementedError, match=r"\"bitwise_not_cpu\" not implemented for 'Double'"):
        ag.bitwise_not(ag.tensor([1.0], dtype=ag.float64))


def torch_dtype(t):
    return getattr(ag, str(t.dtype).replace("torch.", ""))


def test_in_place_bitwise_operators_write_into_the_tensor():
    for mod in (ag, torch):
        x = mod.tensor([1, 2, 12])
        alias = x
        x <<= 2
        x >>= mod.tensor([1, 0, 3])
        x &= 6
        x |= mod.tensor([1, 0, 0])
        x ^= 3
        assert x is alias and x.tolist() == [0, 3, 5]
        m = mod.tensor([True, False])
        m &= mod.tensor([True, True])
        assert m.tolist() == [True, False] and m.dtype == mod.bool


def test_isclose_matches_torch_and_numpy():
    a = np.array([1.0, 1.0, _INF, _INF, _NAN, 0.0, 1e-9, 100.0])
    b = np.array([1.0 + 1e-6, 1.1, _INF, -_INF, _NAN, 1e-9, 0.0, 101.0])
    for kw in ({}, {"equal_nan": True}, {"rtol": 0.0, "atol": 0.0}, {"rtol": 0.02}, {"atol": 1e-8, "rtol": 0.0}):
        for dt in ("float32", "float64"):
            ours = ag.isclose(ag.tensor(a.astype(dt)), ag.tensor(b.astype(dt)), **kw).numpy()
            np.testing.assert_array_equal(ours, torch.isclose(torch.tensor(a.astype(dt)), torch.tensor(b.astype(dt)),
                                                              **kw).numpy(), err_msg=str(kw))
            np.testing.assert_array_equal(ours, np.isclose(a, b, **kw), err_msg=str(kw))
    ia, ib = np.array([100, 1, -5]), np.array([101, 1, -6])
    np.testing.assert_array_equal(ag.tensor(ia).isclose(ag.tensor(ib), rtol=0.01, atol=0).numpy(),
                                  torch.tensor(ia).isclose(torch.tensor(ib), rtol=0.01, atol=0).numpy())
    with pytest.raises(RuntimeError, match="Float did not match Double"):
        ag.isclose(ag.tensor([1.0]), ag.tensor([1.0], dtype=ag.float64))
    with pytest.raises(RuntimeError, match="rtol must be greater than or equal to zero, but got -1"):
        ag.isclose(ag.tensor([1.0]), ag.tensor([1.0]), rtol=-1)


# ---------------------------------------------------------------------- numpy ufuncs on tensors record the ops
@pytest.mark.parametrize("ufunc,ours", [
    (np.tan, "tan"), (np.arcsin, "asin"), (np.arccos, "acos"), (np.sinh, "sinh"), (np.cosh, "cosh"),
    (np.arcsinh, "asinh"), (np.arctanh, "atanh"), (np.log2, "log2"), (np.log10, "log10"), (np.exp2, "exp2"),
    (np.square, "square"), (np.reciprocal, "reciprocal"), (np.floor, "floor"), (np.ceil, "ceil"), (np.trunc, "trunc"),
    (np.rint, "round"), (np.deg2rad, "deg2rad"), (np.radians, "deg2rad"), (np.rad2deg, "rad2deg"),
    (np.degrees, "rad2deg"),
])
def test_numpy_unary_ufuncs_on_tensors_record_our_op(ufunc, ours):
    x = ag.tensor([0.3, 0.6], dtype=ag.float64, requires_grad=True)
    y = ufunc(x)
    assert isinstance(y, ag.Tensor) and y.requires_grad
    np.testing.assert_allclose(y.detach().numpy(), ufunc(np.array([0.3, 0.6])), rtol=1e-15)
    np.testing.assert_allclose(ag.grad(y.sum(), [x])[0].numpy(), ag.grad(getattr(ag, ours)(x).sum(), [x])[0].numpy())


@pytest.mark.parametrize("ufunc,ours", [
    (np.arctan2, "atan2"), (np.copysign, "copysign"), (np.logaddexp, "logaddexp"), (np.logaddexp2, "logaddexp2"),
    (np.hypot, "hypot"), (np.fmod, "fmod"), (np.remainder, "remainder"), (np.fmax, "fmax"), (np.fmin, "fmin"),
    (np.float_power, "float_power"), (np.floor_divide, "floor_divide"), (np.nextafter, "nextafter"),
])
def test_numpy_binary_ufuncs_on_tensors_take_numbers_and_arrays(ufunc, ours):
    x = ag.tensor([0.3, 1.6], dtype=ag.float64, requires_grad=True)
    for other in (0.7, np.array([0.5, -2.0])):
        y = ufunc(x, other)
        assert isinstance(y, ag.Tensor) and y.requires_grad
        np.testing.assert_allclose(y.detach().numpy(), ufunc(np.array([0.3, 1.6]), other), rtol=1e-15)
        ref = getattr(ag, ours)(x, ag.tensor(np.asarray(other)))
        np.testing.assert_allclose(ag.grad(y.sum(), [x])[0].numpy(), ag.grad(ref.sum(), [x])[0].numpy())


def test_numpy_predicate_and_bitwise_ufuncs_on_tensors():
    x = ag.tensor([-_INF, -0.0, 1.0, _NAN])
    np.testing.assert_array_equal(np.isinf(x).numpy(), [True, False, False, False])
    np.testing.assert_array_equal(np.signbit(x).numpy(), [True, True, False, False])
    np.testing.assert_array_equal(np.logical_and(x, np.array([1, 1, 0, 1])).numpy(), [True, False, False, True])
    i = ag.tensor([5, 12])
    assert np.left_shift(i, 2).tolist() == [20, 48] and np.invert(i).tolist() == [-6, -13]
    assert np.gcd(i, 8).tolist() == [1, 4] and np.bitwise_and(i, 4).tolist() == [4, 4]


# ---------------------------------------------------------------------- aliases and the Tensor methods
ALIASES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh", "arccosh": "acosh",
           "arctanh": "atanh", "arctan2": "atan2", "absolute": "abs", "fix": "trunc", "negative": "neg",
           "true_divide": "div", "divide": "div", "multiply": "mul", "subtract": "sub", "greater": "gt",
           "greater_equal": "ge", "less": "lt", "less_equal": "le", "not_equal": "ne", "clip": "clamp"}


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_aliases_are_torchs_and_exist_as_functions_and_methods(alias):
    assert getattr(ag, alias) is getattr(ag, ALIASES[alias]) or alias in ("true_divide", "divide", "multiply",
                                                                           "subtract", "negative")
    assert hasattr(torch, alias) and hasattr(ag.Tensor, alias) and hasattr(torch.Tensor, alias)
    x = ag.tensor([0.3, 0.6], dtype=ag.float64)
    args = () if alias in ("arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "absolute", "fix",
                           "negative") else (
        (0.5, 0.55) if alias == "clip" else (ag.tensor([0.5, 0.2], dtype=ag.float64),))
    if alias == "arccosh":
        x = x + 1
    np.testing.assert_array_equal(getattr(x, alias)(*args).numpy(), getattr(x, ALIASES[alias])(*args).numpy())


def test_atan2_of_a_bool_input_differentiates_where_torch_raises():
    m, o = np.array([True, False, True]), np.array([-0.5, 2.0, 0.3], dtype=np.float32)
    y = ag.tensor(o, requires_grad=True)
    (g,) = ag.grad(ag.atan2(ag.tensor(m), y).sum(), [y])
    ty = torch.tensor(o, requires_grad=True)
    with pytest.raises(RuntimeError, match="Negation, the `-` operator, on a bool tensor"):
        torch.autograd.grad(torch.atan2(torch.tensor(m), ty).sum(), [ty])  # torch 2.13's bug (tests/fuzz/known)
    (tg,) = torch.autograd.grad(torch.atan2(torch.tensor(m).float(), ty).sum(), [ty])
    np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-6)
