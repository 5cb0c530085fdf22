"""PyTorch's smaller top-level surface, checked against torch itself: the in-place functions (torch.exp_(t)), the
top-level forms of nn.functional ops with torch's own signatures (torch.batch_norm, torch.embedding, losses with
an int reduction ...), the scatter-style ops' errors, the small functions (rsub, fill, frexp, splits, range,
unravel_index ...), the process switches and the Tensor methods added with them (post-accumulate-grad hooks,
output_nr, resize_, new_empty_strided, narrow_copy). Values and gradients of the differentiable ones are also
op-table rows (tests/op_db_surface.py) and fuzzer entries (tests/fuzz/ops_surface.py)."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

import autograd_core as ag
from autograd_core._inplace_functions import FUNCTIONAL_FORMS, METHOD_FORMS
from autograd_core._toplevel_aliases import TABLE

torch = pytest.importorskip("torch")


def _pair(a, requires_grad=False):
    a = np.asarray(a)
    return ag.tensor(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad)


def _close(ours, theirs, **kw):
    np.testing.assert_allclose(np.asarray(ours.detach().numpy()), theirs.detach().numpy(), **kw)


def _both_raise(f, exc=Exception):
    """f(ag) and f(torch) raise the same exception type; returns both messages."""
    msgs = []
    types = []
    for M in (ag, torch):
        with pytest.raises(exc) as e:
            f(M)
        msgs.append(str(e.value))
        types.append(type(e.value))
    assert types[0] is types[1] or issubclass(types[0], types[1]), types
    return msgs


# ---------------------------------------------------------------------- laziness and dir()
def test_import_does_not_load_nn_and_lazy_names_resolve_and_show_in_dir():
    code = ("import sys, autograd_core as ag; assert 'autograd_core.nn' not in sys.modules; "
            "assert 'layer_norm' in dir(ag) and 'kl_div' in ag.__all__ and 'conv2d' in dir(ag); "
            "assert 'autograd_core.nn' not in sys.modules; f = ag.layer_norm; "
            "assert 'autograd_core.nn' in sys.modules and ag.layer_norm is f; print('ok')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.stdout.strip() == "ok", r.stderr
    with pytest.raises(AttributeError, match="no attribute 'not_a_torch_name'"):
        ag.not_a_torch_name  # noqa: B018


def test_every_new_top_level_name_exists_in_torch():
    names = set(METHOD_FORMS) | set(FUNCTIONAL_FORMS) | set(TABLE)
    assert names <= set(dir(torch)), sorted(names - set(dir(torch)))
    assert names <= set(dir(ag))


def _schema_args(name):
    """torch's positional parameter names of aten::name (the first overload)."""
    s = str(torch._C._jit_get_schemas_for_operator(f"aten::{name}")[0])
    inner = s[s.index("(") + 1: s.index(") ->")]
    out = []
    for part in inner.split(", "):
        if part == "*":
            break
        out.append(part.split("=")[0].split(" ")[-1])
    return out


@pytest.mark.parametrize("name", ["batch_norm", "instance_norm", "group_norm", "layer_norm", "embedding",
                                  "binary_cross_entropy_with_logits", "poisson_nll_loss", "ctc_loss", "convolution",
                                  "max_pool1d", "max_pool2d", "max_pool1d_with_indices", "avg_pool1d",
                                  "adaptive_max_pool1d", "rrelu", "rrelu_", "selu_", "celu_", "threshold_",
                                  "dropout_", "feature_alpha_dropout_", "triplet_margin_loss", "margin_ranking_loss"])
def test_adapters_take_torchs_parameters_in_torchs_order(name):
    import inspect

    ours = [p for p, v in inspect.signature(getattr(ag, name)).parameters.items()
            if v.kind in (v.POSITIONAL_ONLY, v.POSITIONAL_OR_KEYWORD) or v.kind == v.VAR_POSITIONAL]
    theirs = _schema_args(name)
    theirs = ["input" if t == "self" else t for t in theirs]
    if name == "margin_ranking_loss" or name == "triplet_margin_loss":  # the table-made loss adapters: *args
        return
    assert ours == theirs, (ours, theirs)


# ---------------------------------------------------------------------- in-place functions
_UNARY_DOMAIN = {"acos_": 0.5, "arccos_": 0.5, "asin_": 0.5, "arcsin_": 0.5, "atanh_": 0.5, "arctanh_": 0.5,
                 "acosh_": 2.0, "arccosh_": 2.0, "log_": 2.0, "log10_": 2.0, "log2_": 2.0, "log1p_": 2.0,
                 "sqrt_": 2.0, "rsqrt_": 2.0, "logit_": 0.5}
_ARGS = {"xlogy_": lambda M: (M.tensor([1.5, 2.0]),), "ldexp_": lambda M: (M.tensor([1, 2]),),
         "clamp_": lambda M: (-0.2, 0.3), "clamp_min_": lambda M: (0.1,), "clamp_max_": lambda M: (0.1,),
         "clip_": lambda M: (None, 0.25), "fill_": lambda M: (2.5,), "nan_to_num_": lambda M: (0.0, 1.0, -1.0),
         "round_": lambda M: ()}


@pytest.mark.parametrize("name", [n for n in METHOD_FORMS if n not in ("gcd_", "lcm_", "index_put_", "resize_as_",
                                                                        "detach_")])
def test_in_place_function_is_the_method_and_matches_torch(name):
    outs = []
    for M in (ag, torch):
        base = _UNARY_DOMAIN.get(name, -0.7)
        x = M.tensor([base, base * 0.5 + 0.1])
        res = getattr(M, name)(x, *_ARGS.get(name, lambda M: ())(M))
        assert res is x  # in place: the same tensor back
        outs.append(x)
    _close(outs[0], outs[1], rtol=1e-6)


def test_in_place_functions_on_ints_and_the_odd_ones():
    for name in ("gcd_", "lcm_"):
        a, ta = _pair([4, 6, 9])
        getattr(ag, name)(a, ag.tensor([6, 4, 3]))
        getattr(torch, name)(ta, torch.tensor([6, 4, 3]))
        assert a.tolist() == ta.tolist()
    a, ta = ag.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    ag.index_put_(a, (ag.tensor([1]),), ag.tensor([9.0, 8.0]))
    torch.index_put_(ta, (torch.tensor([1]),), torch.tensor([9.0, 8.0]))
    assert a.tolist() == ta.tolist()
    x = ag.tensor([1.0], requires_grad=True) * 2
    assert ag.detach_(x) is x and not x.requires_grad


def test_in_place_function_type_error_and_leaf_refusal_as_torch():
    msgs = _both_raise(lambda M: M.exp_(1.0), TypeError)
    assert msgs[0] == msgs[1] == "exp_(): argument 'input' (position 1) must be Tensor, not float"
    _both_raise(lambda M: M.sin_(M.tensor([1.0], requires_grad=True)), RuntimeError)
    _both_raise(lambda M: M.selu_(M.tensor([1.0], requires_grad=True)), RuntimeError)


def test_functional_in_place_forms_match_torch_values_and_gradients():
    calls = {
        "selu_": lambda M, x: M.selu_(x), "celu_": lambda M, x: M.celu_(x, 1.5),
        "threshold_": lambda M, x: M.threshold_(x, 0.1, -2.0), "rrelu_": lambda M, x: M.rrelu_(x, 0.1, 0.3),
        "dropout_": lambda M, x: M.dropout_(x, 0.5, False),
        "alpha_dropout_": lambda M, x: M.alpha_dropout_(x, 1.0, True),
        "feature_dropout_": lambda M, x: M.feature_dropout_(x, 0.0, True),
        "feature_alpha_dropout_": lambda M, x: M.feature_alpha_dropout_(x, 1.0, True),
    }
    assert set(calls) == set(FUNCTIONAL_FORMS) | {"rrelu_"}
    vals = np.array([[[-1.5, 0.05, 0.7], [2.0, -0.3, 0.2]]])
    for name, call in calls.items():
        res = []
        for M in (ag, torch):
            leaf = M.tensor(vals, requires_grad=True)
            y = leaf * 1
            out = call(M, y)
            assert out is y, name
            (g,) = (ag if M is ag else torch).autograd.grad((y * y).sum(), leaf) if M is torch else ag.grad(
                (y * y).sum(), leaf)
            res.append((y, g))
        _close(res[0][0], res[1][0], rtol=1e-6, err_msg=name)
        _close(res[0][1], res[1][1], rtol=1e-6, err_msg=name)


def test_dropout_in_place_draws_a_mask_in_training():
    ag.manual_seed(0)
    x = ag.ones(200)
    ag.dropout_(x, 0.5, True)
    vals = set(np.unique(x.numpy()).tolist())
    assert vals == {0.0, 2.0}


# ---------------------------------------------------------------------- top-level forms of nn ops
def _r(*shape, seed=0):
    return np.random.default_rng(seed + len(shape)).standard_normal(shape)


class _C:
    """A constant argument of _compare (a tensor that does not require grad)."""

    def __init__(self, a):
        self.a = np.asarray(a)


def _compare(f, *arrays, grads=True, rtol=1e-5, atol=1e-6):
    """f(M, *tensors) in both libraries: values (tuples elementwise) and gradients of a fixed projection with
    respect to every float argument not wrapped in _C."""
    outs, gs = [], []
    for M in (ag, torch):
        ts = [M.tensor(a.a) if isinstance(a, _C) else M.tensor(a, requires_grad=grads and a.dtype.kind == "f")
              for a in arrays]
        out = f(M, *ts)
        outs.append(out)
        if grads:
            o = out[0] if isinstance(out, tuple) else out
            w = M.tensor(np.linspace(-1, 1, o.numel()).reshape(tuple(o.shape)))
            diff = [t for t in ts if t.requires_grad]
            gs.append((ag if M is ag else torch).autograd.grad((o * w).sum(), diff, allow_unused=True))
    for a, b in zip(outs[0] if isinstance(outs[0], tuple) else (outs[0],),
                    outs[1] if isinstance(outs[1], tuple) else (outs[1],)):
        _close(a, b, rtol=rtol, atol=atol)
        assert str(a.dtype) == str(b.dtype).replace("torch.", "")
    for a, b in zip(*gs) if grads else ():
        assert (a is None) == (b is None)
        if a is not None:
            _close(a, b, rtol=rtol, atol=atol)


def test_convolutions_and_convolution_match_torch():
    x1, w1, b = _r(2, 3, 7), _r(4, 3, 3), _r(4)
    _compare(lambda M, x, w, b: M.conv1d(x, w, b, 2, 1), x1, w1, b)
    _compare(lambda M, x, w: M.conv2d(x, w, None, 1, "same"), _r(1, 2, 5, 5), _r(3, 2, 3, 3))
    _compare(lambda M, x, w: M.conv_transpose1d(x, w, None, 2, 0, 1), _r(1, 3, 4), _r(3, 2, 2))
    _compare(lambda M, x, w: M.conv3d(x, w), _r(1, 1, 3, 3, 3), _r(2, 1, 2, 2, 2))
    _compare(lambda M, x, w, b: M.convolution(x, w, b, [1], [0], [1], False, [0], 1), x1, w1, b)
    _compare(lambda M, x, w: M.convolution(x, w, None, [2, 1], [0, 0], [1, 1], True, [1, 0], 1),
             _r(1, 3, 3, 3), _r(3, 2, 2, 2))
    with pytest.raises(RuntimeError, match="output_padding"):
        ag.convolution(ag.tensor(x1), ag.tensor(w1), None, [1], [0], [1], False, [1], 1)


def test_pooling_forms_match_torch():
    x = _r(2, 3, 8)
    _compare(lambda M, x: M.max_pool1d(x, 2), x)
    _compare(lambda M, x: M.max_pool1d(x, 3, [], 1, 1, True), x)
    _compare(lambda M, x: M.max_pool2d(x, 2, 1), _r(1, 2, 4, 5))
    _compare(lambda M, x: M.max_pool3d(x, 2), _r(1, 1, 4, 4, 4))
    _compare(lambda M, x: M.avg_pool1d(x, 3, [], 1, True, False), x)
    _compare(lambda M, x: M.adaptive_avg_pool1d(x, 3), x)
    _compare(lambda M, x: M.max_pool1d_with_indices(x, 2), x)
    _compare(lambda M, x: M.adaptive_max_pool1d(x, 3), x)
    for M in (ag, torch):
        with pytest.raises(TypeError):
            M.max_pool2d(M.tensor(_r(1, 1, 4, 4)), 2, return_indices=True)  # no such parameter at top level
        assert isinstance(M.adaptive_max_pool1d(M.tensor(x), 2), tuple)


def test_norms_take_torchs_argument_order():
    x, w, b = _r(4, 3, 5), _r(3), _r(3)
    rm, rv = _r(3), np.abs(_r(3)) + 0.5
    _compare(lambda M, x, w, b: M.batch_norm(x, w, b, None, None, True, 0.1, 1e-5, False), x, w, b)
    _compare(lambda M, x, w, b, rm, rv: M.batch_norm(x, w, b, rm, rv, False, 0.1, 1e-5, True), x, w, b, _C(rm),
             _C(rv))
    _compare(lambda M, x, w, b: M.instance_norm(x, w, b, None, None, True, 0.1, 1e-5, False), x, w, b)
    _compare(lambda M, x: M.group_norm(x, 3), _r(2, 6, 4))
    _compare(lambda M, x, w, b: M.group_norm(x, 3, w, b, 1e-3, False), _r(2, 3, 4), w, b)
    _compare(lambda M, x, w, b: M.layer_norm(x, [5], w, b, 1e-5, True), x, _r(5), _r(5))
    _compare(lambda M, x, w: M.rms_norm(x, [5], w, 1e-6), x, _r(5))
    # running stats are updated in place, as torch's
    stats = []
    for M in (ag, torch):
        m, v = M.zeros(3, dtype=M.float64), M.ones(3, dtype=M.float64)
        M.batch_norm(M.tensor(x), None, None, m, v, True, 0.3, 1e-5, False)
        stats.append((m, v))
    _close(stats[0][0], stats[1][0], rtol=1e-6)
    _close(stats[0][1], stats[1][1], rtol=1e-6)
    _both_raise(lambda M: M.batch_norm(M.tensor(x), None, None, None, None, True), TypeError)


def test_dropout_forms_need_train_and_match_torch_where_deterministic():
    x = _r(3, 4, 2)
    for name in ("dropout", "alpha_dropout", "feature_dropout", "feature_alpha_dropout"):
        _compare(lambda M, x, n=name: getattr(M, n)(x, 0.5, False), x)
        _compare(lambda M, x, n=name: getattr(M, n)(x, 1.0, True), x)
        _both_raise(lambda M, n=name: getattr(M, n)(M.tensor(x), 0.5), TypeError)
    ag.manual_seed(1)
    y = ag.feature_dropout(ag.ones(50, 4, 3), 0.5, True)
    per_channel = y.numpy().reshape(50 * 4, 3)
    assert (per_channel == per_channel[:, :1]).all()  # one mask value per (sample, channel)


def test_embedding_takes_weight_first_and_negative_padding_idx_means_none():
    w = _r(5, 3)
    idx = np.array([[0, 2], [2, 4]])
    _compare(lambda M, w: M.embedding(w, M.tensor(idx)), w)
    _compare(lambda M, w: M.embedding(w, M.tensor(idx), 2), w)  # row 2 gets no gradient
    _compare(lambda M, w: M.embedding(w, M.tensor(idx), -3, False, False), w)


def test_distances_activations_and_bilinear_match_torch():
    a, b = _r(3, 4), _r(3, 4, seed=1)
    _compare(lambda M, a, b: M.cosine_similarity(a, b, 1, 1e-8), a, b)
    _compare(lambda M, a, b: M.pairwise_distance(a, b, 1.5, 1e-6, True), a, b)
    _compare(lambda M, a: M.pdist(a, 3.0), a)
    _compare(lambda M, a, w: M.prelu(a, w), a, np.array([0.25]))
    _compare(lambda M, a: M.rrelu(a, 0.1, 0.3, False), a)
    _compare(lambda M, a, b, w, bias: M.bilinear(a, b, w, bias), a, b, _r(2, 4, 4), _r(2))
    _compare(lambda M, a: M.channel_shuffle(a, 2), _r(1, 4, 3))
    _compare(lambda M, a: M.native_channel_shuffle(a, 2), _r(1, 4, 3), grads=False)
    with pytest.raises(NotImplementedError, match="generator"):
        ag.rrelu(ag.tensor(a), generator=ag.Generator())


@pytest.mark.parametrize("red", [0, 1, 2])
def test_losses_take_an_int_reduction(red):
    x, y = _r(3, 4), _r(3, 4, seed=1)
    t = np.abs(_r(3, 4, seed=2)) / 3
    sign = np.array([1.0, -1.0, 1.0])
    if True:
        _compare(lambda M, x, t: M.kl_div(x.log_softmax(1), t, red), x, t)
        _compare(lambda M, x, t: M.kl_div(x, t.log(), red, log_target=True), x, t)
        _compare(lambda M, x, t, pw: M.binary_cross_entropy_with_logits(x, t, None, pw, red), x, t,
                 _C(np.abs(_r(4))))
        _compare(lambda M, x, y: M.cosine_embedding_loss(x, y, M.tensor(sign), 0.1, red), x, y)
        _compare(lambda M, x: M.hinge_embedding_loss(x, M.tensor(np.sign(y)), 0.5, red), x)
        _compare(lambda M, a, b: M.margin_ranking_loss(a, b, M.tensor(sign), 0.2, red), x[:, 0], y[:, 0])
        _compare(lambda M, x, t: M.poisson_nll_loss(x, t, True, False, 1e-8, red), x, t)
        _compare(lambda M, x, t: M.poisson_nll_loss(x.exp(), t, False, True, 1e-8, red), x, t + 1.5)
        _compare(lambda M, a, p, n: M.triplet_margin_loss(a, p, n, 0.5, 1.0, 1e-6, True, red), x, y, t)
    msgs = _both_raise(lambda M: M.kl_div(M.tensor(x), M.tensor(t), "sum"), TypeError)
    assert "reduction" in msgs[0] and "must be int" in msgs[0]
    _both_raise(lambda M: M.poisson_nll_loss(M.tensor(x), M.tensor(t), True, False), TypeError)


@pytest.mark.parametrize("red", [0, 1, 2])
def test_ctc_loss_top_level_matches_torch(red):
    lp = _r(6, 2, 4)
    tgt = np.array([[1, 2], [3, 3]])
    _compare(lambda M, lp: M.ctc_loss(lp.log_softmax(2), M.tensor(tgt), [6, 5], [2, 2], 0, red, False), lp)


# ---------------------------------------------------------------------- scatter-style ops: errors as torch's
@pytest.mark.parametrize("call,exc", [
    (lambda M, x: M.index_put(x, (M.tensor([0]),), M.tensor([1.0], dtype=M.float64)), RuntimeError),
    (lambda M, x: M.index_put(x, (M.tensor([0]),), 1.0), TypeError),
    (lambda M, x: M.index_put(x, (M.tensor([0, 5]),), M.ones(4)), IndexError),
    (lambda M, x: M.index_put(x, (M.tensor([0.0]),), M.ones(4)), IndexError),
    (lambda M, x: M.index_put(x, (M.tensor([0]),) * 3, M.ones(1)), IndexError),
    (lambda M, x: M.index_put(x, (M.tensor([0]),), M.ones(3)), RuntimeError),
    (lambda M, x: M.index_put(x, M.tensor([0]), M.ones(4)), TypeError),
    (lambda M, x: M.masked_scatter(x, M.ones(3, 4, dtype=M.bool), M.ones(5)), RuntimeError),
    (lambda M, x: M.masked_scatter(x, M.ones(4), M.ones(12)), RuntimeError),
    (lambda M, x: M.masked_scatter(x, M.ones(4, dtype=M.bool), M.ones(12, dtype=M.float64)), RuntimeError),
    (lambda M, x: M.zeros(4).masked_scatter_(M.ones(3, 4, dtype=M.bool), M.ones(12)), RuntimeError),
    (lambda M, x: M.put(x, M.tensor([0, 20]), M.ones(2)), IndexError),
    (lambda M, x: M.put(x, M.tensor([0, 1]), M.ones(3)), IndexError),
    (lambda M, x: M.put(x, M.tensor([0.0, 1.0]), M.ones(2)), RuntimeError),
    (lambda M, x: M.put(x, M.tensor([0, 1]), M.ones(2, dtype=M.float64)), RuntimeError),
    (lambda M, x: x.index_reduce(0, M.tensor([0, 1]), M.ones(2, 4), "sum"), RuntimeError),
    (lambda M, x: x.index_reduce(0, M.tensor([0, 1]), M.ones(3, 4), "prod"), RuntimeError),
    (lambda M, x: x.index_reduce(0, M.tensor([0, 5]), M.ones(2, 4), "prod"), IndexError),
    (lambda M, x: x.index_reduce(0, M.tensor([[0, 1]]), M.ones(2, 4), "prod"), IndexError),
    (lambda M, x: x.index_reduce(0, M.tensor([0, 1]), M.ones(2, 3), "prod"), RuntimeError),
    (lambda M, x: x.index_reduce(0, M.tensor([0, 1]), M.ones(2, 4, dtype=M.float64), "prod"), RuntimeError),
    (lambda M, x: M.select_scatter(x, M.ones(3), 0, 0), RuntimeError),
    (lambda M, x: M.select_scatter(x, M.ones(4), 0, 5), IndexError),
    (lambda M, x: M.slice_scatter(x, M.ones(3, 2), 1, 0, 3), RuntimeError),
    (lambda M, x: M.slice_scatter(x, M.ones(3, 2), 1, 0, 4, 0), RuntimeError),
    (lambda M, x: M.diagonal_scatter(x, M.ones(4)), RuntimeError),
    (lambda M, x: M.diagonal_scatter(x, M.ones(3), 0, 1, 1), RuntimeError),
])
def test_scatter_more_errors_match_torch(call, exc):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's index_reduce is 'in beta'
        msgs = _both_raise(lambda M: call(M, M.zeros(3, 4)), exc)
    # the gist of torch's message is in ours (first words), but for torch's expand() internals
    gist = msgs[1].split(",")[0].split(":")[0][:25]
    assert gist.lower() in msgs[0].lower() or msgs[1].startswith("expand("), msgs


def test_scatter_more_casts_and_in_place_forms():
    for M in (ag, torch):
        x = M.zeros(3, 4)
        y = M.select_scatter(x, M.ones(4, dtype=M.float64), 0, 0)  # a cast, as torch's copy_
        assert y.dtype == M.float32 and y.sum().item() == 4
        z = M.zeros(3, 4)
        assert z.index_put_((M.tensor([0, 0]), M.tensor([1, 1])), M.tensor(2.0), accumulate=True) is z
        assert z[0, 1].item() == 4.0
        assert z.put_(M.tensor([-1]), M.tensor([7.0])) is z and z[2, 3].item() == 7.0


# ---------------------------------------------------------------------- small functions
def test_detach_fill_rsub_scalar_tensor():
    for M in (ag, torch):
        x = M.tensor([1.0, 2.0], requires_grad=True)
        d = M.detach(x)
        assert not d.requires_grad and d.tolist() == [1.0, 2.0]
        f = M.fill(x, 3)
        assert f.tolist() == [3.0, 3.0] and f.requires_grad and x.tolist() == [1.0, 2.0]
        (g,) = (ag if M is ag else torch).autograd.grad(f.sum(), x)
        assert g.tolist() == [0.0, 0.0]
        assert M.rsub(M.tensor([1, 2]), 3).tolist() == [2, 1] and M.rsub(M.tensor([1, 2]), 3).dtype == M.int64
        assert M.rsub(M.tensor([1.0, 2.0]), 3, 2).tolist() == [1.0, -1.0]
        assert M.scalar_tensor(3).dtype == M.float32 and M.scalar_tensor(True).dtype == M.float32
        assert M.scalar_tensor(2, dtype=M.int64).dtype == M.int64 and M.scalar_tensor(2).ndim == 0
        assert M.scalar_tensor(M.tensor(2)).item() == 2.0
    _both_raise(lambda M: M.fill(M.zeros(2), M.ones(2)), RuntimeError)


def test_randint_like_shape_dtype_and_range():
    for M in (ag, torch):
        r = M.randint_like(M.zeros(50, dtype=M.float64), 3)
        assert r.dtype == M.float64 and tuple(r.shape) == (50,) and set(r.tolist()) <= {0.0, 1.0, 2.0}
        r = M.randint_like(M.zeros(2, 3, dtype=M.int32), 5, 7)
        assert r.dtype == M.int32 and 5 <= r.min().item() and r.max().item() < 7
        assert M.randint_like(M.zeros(2), 4, dtype=M.int64).dtype == M.int64


def test_predicates_and_typename():
    for M in (ag, torch):
        assert M.is_nonzero(M.tensor([1.5])) and not M.is_nonzero(M.tensor(0))
        assert M.is_same_size(M.zeros(2, 3), M.ones(2, 3)) and not M.is_same_size(M.zeros(2), M.zeros(3))
        assert M.is_signed(M.zeros(1)) and not M.is_signed(M.zeros(1, dtype=M.uint8))
        assert not M.is_conj(M.zeros(1)) and not M.is_neg(M.zeros(1))
        assert not M.zeros(1).is_conj() and not M.zeros(1).is_neg()
        assert M.typename(M.zeros(2)) == "torch.FloatTensor" and M.typename(M.zeros(2, dtype=M.int64)) == \
            "torch.LongTensor"
        assert M.typename(3) == "int" and M.typename("a") == "str"
        assert M.typename(M.nn.Linear(2, 2)).endswith("Linear")
    _both_raise(lambda M: M.is_nonzero(M.tensor([1, 2])), RuntimeError)


def test_splits_match_torch_and_refuse_as_torch():
    for M in (ag, torch):
        x = M.arange(12.0).reshape(4, 3)
        assert [p.tolist() for p in M.split_with_sizes(x, [1, 3])] == [p.tolist() for p in x.split([1, 3])]
        assert [tuple(p.shape) for p in M.vsplit(x, [1, 3])] == [(1, 3), (2, 3), (1, 3)]
        assert [tuple(p.shape) for p in M.hsplit(M.arange(6.0), 3)] == [(2,), (2,), (2,)]
        assert [tuple(p.shape) for p in M.dsplit(M.zeros(1, 2, 4), 2)] == [(1, 2, 2)] * 2
    for f in (lambda M: M.vsplit(M.zeros(3), 1), lambda M: M.dsplit(M.zeros(3, 3), 1),
              lambda M: M.hsplit(M.zeros(4, 4), 3), lambda M: M.split_with_sizes(M.zeros(4), [1, 2])):
        a, b = _both_raise(f, RuntimeError)
        assert a.split(",")[0].split("(")[0] == b.split(",")[0].split("(")[0], (a, b)


def test_unsafe_split_pieces_share_memory_but_are_not_tracked_views_as_torch():
    for M in (ag, torch):
        leaf = M.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        x = leaf * 1
        a, b = M.unsafe_split(x, 2)
        a.mul_(3)  # allowed (split's views would refuse); x's values change behind the graph's back
        assert x.tolist() == [3.0, 6.0, 3.0, 4.0]
        p, q = x.unsafe_chunk(2)
        assert p.tolist() == [3.0, 6.0]
        (p.sum() + a.sum()).backward()
        assert leaf.grad.tolist() == [4.0, 4.0, 0.0, 0.0]
        assert [t.tolist() for t in x.unsafe_split_with_sizes([1, 3])] == [[3.0], [6.0, 3.0, 4.0]]


def test_unravel_index_matches_torch():
    for idx, shape in (([4, 1, 0], (2, 3)), ([-1, 7], (2, 3)), (5, (2, 3)), ([[3, 2]], (4,)), ([], (2, 2))):
        ours = ag.unravel_index(ag.tensor(idx, dtype=ag.int64), shape)
        theirs = torch.unravel_index(torch.tensor(idx, dtype=torch.int64), shape)
        assert [o.tolist() for o in ours] == [t.tolist() for t in theirs]
        assert all(o.dtype == ag.int64 for o in ours)
    _both_raise(lambda M: M.unravel_index(M.tensor([1.0]), (2, 3)), TypeError)


def test_frexp_returns_mantissa_and_int32_exponent():
    vals = [3.0, 0.0, -0.1, 1e-30, 1024.0, float("inf")]
    for dt in ("float32", "float64"):
        m, e = ag.frexp(ag.tensor(vals, dtype=getattr(ag, dt)))
        tm, te = torch.frexp(torch.tensor(vals, dtype=getattr(torch, dt)))
        assert m.tolist() == tm.tolist() and e.tolist() == te.tolist()
        assert e.dtype == ag.int32 and str(m.dtype) == dt
        assert ag.tensor(vals, dtype=getattr(ag, dt)).frexp().mantissa.tolist() == m.tolist()
    _both_raise(lambda M: M.frexp(M.tensor([1, 2])), RuntimeError)


def test_range_is_inclusive_deprecated_and_default_float():
    for M in (ag, torch):
        with pytest.warns(UserWarning, match="deprecated"):
            r = M.range(0, 1, 0.25)
        assert r.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0] and r.dtype == M.float32
        with pytest.warns(UserWarning):
            assert M.range(1, 4, dtype=M.int64).tolist() == [1, 2, 3, 4]
            assert M.range(3, 1, -1).tolist() == [3.0, 2.0, 1.0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for f in (lambda M: M.range(0, 1, 0), lambda M: M.range(1, 0)):
            a, b = _both_raise(f, RuntimeError)
            assert a == b


def test_process_switches():
    try:
        with pytest.warns(UserWarning, match="deprecated"):
            ag.set_default_tensor_type(ag.DoubleTensor)
        assert ag.get_default_dtype() == ag.float64 and ag.tensor([1.0]).dtype == ag.float64
        with pytest.warns(UserWarning):
            ag.set_default_tensor_type("torch.FloatTensor")
        assert ag.get_default_dtype() == ag.float32
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for bad, exc in ((ag.LongTensor, TypeError), ("torch.LongTensor", TypeError), (ag.float64, TypeError),
                             ("torch.cuda.FloatTensor", TypeError), ("DoubleTensor", ModuleNotFoundError)):
                with pytest.raises(exc):
                    ag.set_default_tensor_type(bad)
    finally:
        ag.set_default_dtype(ag.float32)
    try:
        ag.set_anomaly_enabled(True, False)
        assert ag.is_anomaly_enabled() and not ag.is_anomaly_check_nan_enabled()
    finally:
        ag.set_anomaly_enabled(False)
    assert not ag.is_anomaly_enabled() and ag.is_anomaly_check_nan_enabled()
    assert ag.set_flush_denormal(False) is True and ag.set_flush_denormal(True) is False  # numpy cannot flush
    assert ag.set_flush_denormal(False) is True
    assert not ag.is_warn_always_enabled()
    ag.set_warn_always(True)
    assert ag.is_warn_always_enabled()
    ag.set_warn_always(False)


# ---------------------------------------------------------------------- Tensor methods
def test_post_accumulate_grad_hook_runs_after_accumulation_in_order():
    logs = []
    for M in (ag, torch):
        x = M.tensor([1.0, 2.0], requires_grad=True)
        log = []
        h = x.register_post_accumulate_grad_hook(lambda t, log=log: log.append(("post", t.grad.tolist())))
        x.register_hook(lambda g, log=log: log.append(("pre", g.tolist())))
        (x * 3).sum().backward(retain_graph=True)
        y = (x * x).sum()
        y.backward(create_graph=True)  # the hook sees the accumulated (graph-carrying) .grad
        (ag if M is ag else torch).autograd.grad((x * 2).sum(), x)  # grad() does not accumulate: no hook
        h.remove()
        (x * 1).sum().backward()
        logs.append(log)
    # (grad() runs the tensor hook but accumulates nothing; after remove() only the tensor hook runs)
    assert logs[0] == logs[1] == [("pre", [3.0, 3.0]), ("post", [3.0, 3.0]), ("pre", [2.0, 4.0]),
                                  ("post", [5.0, 7.0]), ("pre", [2.0, 2.0]), ("pre", [1.0, 1.0])]


def test_post_accumulate_grad_hook_refusals():
    for M in (ag, torch):
        with pytest.raises(RuntimeError, match="non-leaf"):
            (M.ones(1, requires_grad=True) * 2).register_post_accumulate_grad_hook(lambda t: None)
        with pytest.raises(RuntimeError, match="doesn't require gradient"):
            M.ones(1).register_post_accumulate_grad_hook(lambda t: None)
        x = M.ones(1, requires_grad=True)
        x.register_post_accumulate_grad_hook(lambda t: 5)
        with pytest.raises(TypeError):
            (x * 1).sum().backward()


def test_output_nr():
    for M in (ag, torch):
        x = M.randn(6, requires_grad=True)
        assert x.output_nr == 0 and (x * 2).output_nr == 0 and M.randn(3).split(1)[2].output_nr == 0
        assert x.split(2)[2].output_nr == 2


def test_resize_as_torch():
    for M in (ag, torch):
        x = M.arange(6.0)
        assert x.resize_(2, 2) is x and x.tolist() == [[0.0, 1.0], [2.0, 3.0]]
        y = M.arange(6.0)
        y.resize_((3, 3))
        assert tuple(y.shape) == (3, 3) and y.reshape(-1)[:6].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
        z = M.arange(4.0)
        assert z.resize_as_(M.zeros(2, 1)) is z and z.tolist() == [[0.0], [1.0]]
        assert M.resize_as_(M.arange(3.0), M.zeros(1)).tolist() == [0.0]
        with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
            M.ones(2, requires_grad=True).resize_(3)


def test_new_empty_strided_narrow_copy_nextafter_():
    for M in (ag, torch):
        e = M.zeros(1, dtype=M.float64).new_empty_strided((2, 3), (1, 2))
        assert tuple(e.shape) == (2, 3) and e.stride() == (1, 2) and e.dtype == M.float64
        assert M.zeros(1).new_empty_strided((2,), (1,), dtype=M.int64).dtype == M.int64
        x = M.arange(6.0).reshape(2, 3)
        n = x.narrow_copy(1, 1, 2)
        n[0, 0] = 100.0
        assert x[0, 1].item() == 1.0 and M.narrow_copy(x, 0, 1, 1).tolist() == [[3.0, 4.0, 5.0]]
        y = M.tensor([1.0, 2.0])
        assert y.nextafter_(M.tensor([2.0, 0.0])) is y
    a, b = ag.tensor([1.0, 2.0]).nextafter_(ag.tensor([2.0, 0.0])), torch.tensor([1.0, 2.0]).nextafter_(
        torch.tensor([2.0, 0.0]))
    assert a.tolist() == b.tolist() and a.tolist()[0] > 1.0
