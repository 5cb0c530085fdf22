"""F.scaled_dot_product_attention, nn.MultiheadAttention and the Transformer layers against PyTorch.

Weights are copied through load_state_dict (so parameter names agree); every comparison is float64 with a
tight tolerance on outputs, input gradients and every parameter's gradient, with random upstream gradients.
"""

from __future__ import annotations

import inspect
import warnings

import autograd_core.nn as nn
import autograd_core.nn.functional as F
import numpy as np
import pytest
from _parity import check_outputs_and_grads

import autograd_core as ag

torch = pytest.importorskip("torch")
TOL = 1e-10
E, H = 8, 2


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _copy(theirs, ours):
    theirs, ours = theirs.double(), ours.double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    return theirs, ours


def _const(v, lib):
    return lib.tensor(v) if isinstance(v, np.ndarray) else v


def _check(ours, theirs, outs_o, outs_t, leaves_o, leaves_t):
    check_outputs_and_grads(ours, theirs, outs_o, outs_t, leaves_o, leaves_t, TOL)


def _run(make, inputs, kwargs=None, train=True, same=()):
    """Build both, copy weights, call with ``inputs`` (arrays; indices in ``same`` reuse input 0, as self-
    attention passes one tensor three times) and constant keyword arguments, compare everything."""
    theirs, ours = _copy(make(torch.nn), make(nn))
    theirs.train(train)
    ours.train(train)
    lo = [ag.tensor(a, requires_grad=True) for a in inputs]
    lt = [torch.tensor(a, requires_grad=True) for a in inputs]
    args_o = [lo[0] if i in same else t for i, t in enumerate(lo)]
    args_t = [lt[0] if i in same else t for i, t in enumerate(lt)]
    kwargs = kwargs or {}
    yo = ours(*args_o, **{k: _const(v, ag) for k, v in kwargs.items()})
    yt = theirs(*args_t, **{k: _const(v, torch) for k, v in kwargs.items()})
    yo, yt = (list(yo), list(yt)) if isinstance(yt, tuple) else ([yo], [yt])
    assert [o is None for o in yo] == [o is None for o in yt]
    used = sorted({0} | {i for i in range(len(inputs)) if i not in same})
    _check(ours, theirs, yo, yt, [lo[i] for i in used], [lt[i] for i in used])


# ---------------------------------------------------------------------- scaled_dot_product_attention
def test_sdpa_dropout_drops_weights_and_rescales():
    ag.manual_seed(0)
    s = 50
    q = ag.zeros(20, 1, 3, dtype=ag.float64)  # zero scores: every weight is 1/S before dropout
    k = ag.zeros(20, s, 3, dtype=ag.float64)
    v = ag.tensor(np.broadcast_to(np.eye(s), (20, s, s)).copy())  # the output row is the weight row
    w = F.scaled_dot_product_attention(q, k, v, dropout_p=0.4).numpy()
    kept = w != 0
    np.testing.assert_allclose(w[kept], 1 / s / 0.6)
    assert abs(kept.mean() - 0.6) < 0.03
    np.testing.assert_allclose(F.scaled_dot_product_attention(q, k, v, dropout_p=0.0).numpy(), 1 / s)


def test_sdpa_float32_result_dtype_and_torch_values():
    q, k, v = (_x(2, 3, 4, seed=i).astype(np.float32) for i in range(3))
    ours = F.scaled_dot_product_attention(*(ag.tensor(a) for a in (q, k, v)), is_causal=True)
    theirs = torch.nn.functional.scaled_dot_product_attention(*(torch.tensor(a) for a in (q, k, v)), is_causal=True)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)


def test_sdpa_signature_matches_torch():
    ours = inspect.signature(F.scaled_dot_product_attention)
    # torch's is a builtin: its documented signature
    assert [(p.name, p.default) for p in ours.parameters.values()] == [
        ("query", inspect.Parameter.empty), ("key", inspect.Parameter.empty), ("value", inspect.Parameter.empty),
        ("attn_mask", None), ("dropout_p", 0.0), ("is_causal", False), ("scale", None), ("enable_gqa", False)]


@pytest.mark.parametrize("args,kw,msg", [
    (((2, 3), (2, 3), (2, 3)), dict(attn_mask=np.ones((2, 2), bool), is_causal=True),
     "Explicit attn_mask should not be set when is_causal=True"),
    (((3,), (3,), (3,)), {}, "Expected query, key, and value to all be  at least 2 dimensional"),
    (((2, 3), (2, 4), (2, 3)), {}, "query's last dim 3 must equal key's 4"),
    (((2, 3), (4, 3), (2, 3)), {}, "key and value must have the same sequence length"),
    (((1, 3, 2, 4), (1, 2, 2, 4), (1, 2, 2, 4)), dict(enable_gqa=True), "Number of heads in key and value must "
                                                                       "divide the number of heads in query"),
    (((2, 3), (2, 3), (2, 3)), dict(attn_mask=np.ones((2, 2), np.int64)), "Expected attn_mask dtype to be bool or "
                                                                          "float or to match query dtype"),
    (((2, 3), (2, 3), (2, 3)), dict(attn_mask=np.zeros((5, 2, 2))), "does not broadcast to the attention scores"),
    (((2, 3), (2, 3), (2, 3)), dict(dropout_p=1.5), "dropout probability has to be between 0 and 1"),
])
def test_sdpa_errors_are_runtime_errors_as_torch(args, kw, msg):
    qkv = [_x(*s, seed=i) for i, s in enumerate(args)]
    with pytest.raises(RuntimeError, match=msg):
        F.scaled_dot_product_attention(*(ag.tensor(a) for a in qkv), **{k: _const(v, ag) for k, v in kw.items()})
    with pytest.raises(RuntimeError):
        torch.nn.functional.scaled_dot_product_attention(*(torch.tensor(a) for a in qkv),
                                                         **{k: _const(v, torch) for k, v in kw.items()})


def test_sdpa_dtype_mismatch_error():
    with pytest.raises(RuntimeError, match="Expected query, key, and value to have the same dtype, but got "
                                           "query.dtype: float key.dtype: double"):
        F.scaled_dot_product_attention(ag.randn(2, 3), ag.randn(2, 3).double(), ag.randn(2, 3))


# ---------------------------------------------------------------------- MultiheadAttention
def _mha(**kw):
    return lambda lib: lib.MultiheadAttention(E, H, **kw)


def _bool(*shape, seed=0, p=0.3):
    m = np.random.default_rng(seed).random(shape) < p
    m[..., 0] = False  # every query keeps a key: no NaN row in PyTorch's need_weights path
    return m


KPM = np.array([[False] * 5, [False] * 3 + [True] * 2, [False] * 4 + [True]])
MHA_CASES = {
    "cross": (dict(), {}, ((4, 3, E), (5, 3, E), (5, 3, E)), ()),
    "self": (dict(), {}, ((5, 3, E),) * 3, (1, 2)),
    "self_batch_first": (dict(batch_first=True), {}, ((3, 5, E),) * 3, (1, 2)),
    "key_is_value_batch_first": (dict(batch_first=True), {}, ((3, 4, E), (3, 5, E), (3, 5, E)), ()),
    "kdim_vdim": (dict(kdim=3, vdim=5), {}, ((4, 3, E), (5, 3, 3), (5, 3, 5)), ()),
    "bias_kv_zero_attn": (dict(add_bias_kv=True, add_zero_attn=True), {}, ((4, 3, E), (5, 3, E), (5, 3, E)), ()),
    "no_bias": (dict(bias=False), {}, ((4, 3, E), (5, 3, E), (5, 3, E)), ()),
    "unbatched": (dict(), {}, ((4, E), (5, E), (5, E)), ()),
    "no_weights": (dict(), dict(need_weights=False), ((4, 3, E), (5, 3, E), (5, 3, E)), ()),
    "per_head_weights": (dict(), dict(average_attn_weights=False), ((4, 3, E), (5, 3, E), (5, 3, E)), ()),
    "bool_attn_mask": (dict(), dict(attn_mask=_bool(4, 5)), ((4, 3, E), (5, 3, E), (5, 3, E)), ()),
    "float_attn_mask_3d": (dict(), dict(attn_mask=_x(3 * H, 4, 5)), ((4, 3, E), (5, 3, E), (5, 3, E)), ()),
    "key_padding_mask": (dict(), dict(key_padding_mask=KPM), ((4, 3, E), (5, 3, E), (5, 3, E)), ()),
    "key_padding_mask_sdpa": (dict(), dict(key_padding_mask=KPM, need_weights=False),
                              ((4, 3, E), (5, 3, E), (5, 3, E)), ()),
    "both_masks_bias_kv": (dict(add_bias_kv=True), dict(key_padding_mask=KPM, attn_mask=_bool(4, 5),
                                                         need_weights=False), ((4, 3, E), (5, 3, E), (5, 3, E)), ()),
    "causal_hint": (dict(), dict(attn_mask=np.triu(np.ones((5, 5), bool), 1), is_causal=True, need_weights=False),
                    ((5, 3, E),) * 3, (1, 2)),
    "causal_hint_with_kpm": (dict(batch_first=True), dict(attn_mask=np.triu(np.ones((5, 5), bool), 1),
                                                         is_causal=True, key_padding_mask=KPM), ((3, 5, E),) * 3,
                             (1, 2)),
    "unbatched_kpm_3d_mask": (dict(), dict(key_padding_mask=KPM[1], attn_mask=_x(H, 4, 5)), ((4, E), (5, E), (5, E)),
                              ()),
}


@pytest.mark.parametrize("case", MHA_CASES)
def test_multihead_attention_matches_torch(case):
    kw, fkw, shapes, same = MHA_CASES[case]
    _run(_mha(**kw), [_x(*s, seed=i) for i, s in enumerate(shapes)], fkw, same=same)


def test_multihead_attention_eval_ignores_dropout():
    _run(_mha(dropout=0.5), [_x(4, 3, E), _x(5, 3, E, seed=1), _x(5, 3, E, seed=2)], train=False)


def test_multihead_attention_dropout_in_training_is_random():
    ag.manual_seed(0)
    mha = nn.MultiheadAttention(E, H, dropout=0.5).double()
    x = ag.tensor(_x(4, 3, E))
    assert not np.allclose(mha(x, x, x)[1].detach().numpy(), mha(x, x, x)[1].detach().numpy())


def test_multihead_attention_parameters_and_init():
    ag.manual_seed(0)
    for kw in (dict(), dict(kdim=3, vdim=5, add_bias_kv=True), dict(bias=False)):
        ours, theirs = nn.MultiheadAttention(E, H, **kw), torch.nn.MultiheadAttention(E, H, **kw)
        assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
               [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    mha = nn.MultiheadAttention(64, 4)
    w = mha.in_proj_weight.detach().numpy()
    bound = np.sqrt(6 / (64 + 3 * 64))  # xavier_uniform over the packed (3E, E) matrix, as PyTorch
    assert w.min() >= -bound and w.max() <= bound and w.max() > 0.95 * bound
    assert not mha.in_proj_bias.detach().numpy().any() and not mha.out_proj.bias.detach().numpy().any()
    assert isinstance(mha.out_proj, nn.Linear)
    assert repr(mha) == repr(torch.nn.MultiheadAttention(64, 4))


def test_multihead_attention_signatures_match_torch():
    for meth in ("__init__", "forward"):
        ours = inspect.signature(getattr(nn.MultiheadAttention, meth))
        theirs = inspect.signature(getattr(torch.nn.MultiheadAttention, meth))
        assert [(p.name, p.default) for p in ours.parameters.values()] == \
               [(p.name, p.default) for p in theirs.parameters.values()]
    ours = inspect.signature(F.multi_head_attention_forward)
    theirs = inspect.signature(torch.nn.functional.multi_head_attention_forward)
    assert [(p.name, p.default) for p in ours.parameters.values()] == \
           [(p.name, p.default) for p in theirs.parameters.values()]


def test_multi_head_attention_forward_static_kv_matches_torch():
    rng = np.random.default_rng(0)
    q, k = _x(4, 2, E), _x(5, 2, E, seed=1)
    w_in, b_in, w_out, b_out = rng.standard_normal((3 * E, E)), rng.standard_normal(3 * E), \
        rng.standard_normal((E, E)), rng.standard_normal(E)
    sk, sv = _x(2 * H, 6, E // H, seed=2), _x(2 * H, 6, E // H, seed=3)
    outs = []
    for lib, fn in ((ag, F), (torch, torch.nn.functional)):
        leaves = [lib.tensor(a, requires_grad=True) for a in (q, w_in, sk, sv)]
        out, w = fn.multi_head_attention_forward(leaves[0], lib.tensor(k), lib.tensor(k), E, H, leaves[1],
                                                 lib.tensor(b_in), None, None, False, 0.0, lib.tensor(w_out),
                                                 lib.tensor(b_out), static_k=leaves[2], static_v=leaves[3])
        (out.sum() + (w * w).sum()).backward()
        outs.append([out.detach().numpy(), w.detach().numpy()] + [t.grad.numpy() for t in leaves])
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, rtol=TOL, atol=TOL)


@pytest.mark.parametrize("call,exc,msg", [
    (lambda: nn.MultiheadAttention(6, 4), AssertionError, "embed_dim must be divisible by num_heads"),
    (lambda: nn.MultiheadAttention(0, 2), ValueError, "embed_dim and num_heads must be greater than 0"),
    (lambda: nn.MultiheadAttention(4, 2)(ag.randn(3, 2, 4), ag.randn(3, 4), ag.randn(3, 4)), AssertionError,
     "For batched \\(3-D\\) `query`, expected `key` and `value` to be 3-D but found 2-D and 2-D"),
    (lambda: nn.MultiheadAttention(4, 2)(ag.randn(3, 2, 4), ag.randn(5, 2, 4), ag.randn(4, 2, 4)), AssertionError,
     "key shape \\(5, 2, 4\\) does not match value shape \\(4, 2, 4\\)"),
    (lambda: nn.MultiheadAttention(4, 2)(ag.randn(3, 2, 4), ag.randn(5, 2, 4), ag.randn(5, 2, 4),
                                         attn_mask=ag.zeros(3, 4)), RuntimeError,
     "The shape of the 2D attn_mask is \\[3, 4\\], but should be \\(3, 5\\)."),
    (lambda: nn.MultiheadAttention(4, 2)(ag.randn(3, 2, 4), ag.randn(5, 2, 4), ag.randn(5, 2, 4),
                                         key_padding_mask=ag.zeros(2, 4).bool()), AssertionError,
     "Expected key_padded_mask.shape\\[1\\] to be 5, but got 4"),
    (lambda: nn.MultiheadAttention(4, 2)(ag.randn(3, 2, 4), ag.randn(5, 2, 4), ag.randn(5, 2, 4),
                                         attn_mask=ag.zeros(3, 5).long()), AssertionError,
     "only bool and floating types of attn_mask are supported"),
    (lambda: nn.MultiheadAttention(4, 2)(ag.randn(3, 2, 4), ag.randn(5, 2, 4), ag.randn(5, 2, 4), is_causal=True),
     RuntimeError, "Need attn_mask if specifying the is_causal hint"),
    (lambda: nn.MultiheadAttention(4, 2)(ag.randn(1, 3, 2, 4), ag.randn(5, 2, 4), ag.randn(5, 2, 4)),
     AssertionError, "query should be unbatched 2D or batched 3D tensor but received 4-D query tensor"),
    (lambda: nn.TransformerEncoderLayer(4, 2, activation="tanh"), RuntimeError,
     "activation should be relu/gelu, not tanh"),
    (lambda: nn.Transformer(4, 2, 1, 1, 8)(ag.randn(3, 2, 4), ag.randn(3, 1, 4)), RuntimeError,
     "the batch number of src and tgt must be equal"),
    (lambda: nn.Transformer(4, 2, 1, 1, 8)(ag.randn(3, 2, 4), ag.randn(3, 2, 5)), RuntimeError,
     "the feature number of src and tgt must be equal to d_model"),
])
def test_errors(call, exc, msg):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(exc, match=msg):
            call()


def test_mismatched_mask_types_warn_as_torch():
    mha = nn.MultiheadAttention(4, 2)
    x = ag.randn(3, 2, 4)
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and attn_mask is deprecated"):
        mha(x, x, x, key_padding_mask=ag.zeros(2, 3).bool(), attn_mask=ag.zeros(3, 3))


# ---------------------------------------------------------------------- Transformer layers
def _enc_layer(**kw):
    kw = dict(dict(dim_feedforward=16, dropout=0.0), **kw)
    return lambda lib: lib.TransformerEncoderLayer(E, H, **kw)


def _dec_layer(**kw):
    kw = dict(dict(dim_feedforward=16, dropout=0.0), **kw)
    return lambda lib: lib.TransformerDecoderLayer(E, H, **kw)


SRC_MASK = np.triu(np.full((5, 5), -np.inf), 1)
ENC_CASES = {
    "post_norm_relu": (dict(), (5, 3, E), {}),
    "pre_norm_gelu": (dict(norm_first=True, activation="gelu"), (5, 3, E), {}),
    "batch_first_no_bias": (dict(batch_first=True, bias=False), (3, 5, E), {}),
    "unbatched": (dict(), (5, E), {}),
    "float_src_mask_and_kpm": (dict(), (5, 3, E), dict(src_mask=SRC_MASK, src_key_padding_mask=KPM)),
    "bool_src_mask": (dict(batch_first=True), (3, 5, E), dict(src_mask=np.triu(np.ones((5, 5), bool), 1))),
    "causal_hint": (dict(layer_norm_eps=1e-3), (5, 3, E), dict(src_mask=SRC_MASK, is_causal=True)),
}


@pytest.mark.parametrize("case", ENC_CASES)
def test_encoder_layer_matches_torch(case):
    kw, shape, fkw = ENC_CASES[case]
    _run(_enc_layer(**kw), [_x(*shape)], fkw)


def test_encoder_layer_with_a_callable_or_module_activation():
    _run(_enc_layer(activation=lambda x: x.tanh()), [_x(5, 3, E)])
    ours, theirs = nn.TransformerEncoderLayer(E, H, activation=nn.GELU()), \
        torch.nn.TransformerEncoderLayer(E, H, activation=torch.nn.GELU())
    assert ours.activation_relu_or_gelu == theirs.activation_relu_or_gelu == 2
    assert list(dict(ours.named_modules())) == list(dict(theirs.named_modules()))


def test_encoder_layer_eval_with_dropout_matches_torch():
    _run(lambda lib: lib.TransformerEncoderLayer(E, H, 16, dropout=0.3), [_x(5, 3, E)], train=False)
    _run(lambda lib: lib.TransformerDecoderLayer(E, H, 16, dropout=0.3), [_x(4, 3, E), _x(5, 3, E, seed=1)],
         train=False)


DEC_CASES = {
    "post_norm": (dict(), {}),
    "pre_norm_gelu": (dict(norm_first=True, activation="gelu"), {}),
    "masks": (dict(), dict(tgt_mask=np.triu(np.full((4, 4), -np.inf), 1), memory_mask=_bool(4, 5),
                           tgt_key_padding_mask=KPM[:, 1:], memory_key_padding_mask=KPM)),
    "causal_hint": (dict(), dict(tgt_mask=np.triu(np.full((4, 4), -np.inf), 1), tgt_is_causal=True)),
}


@pytest.mark.parametrize("case", DEC_CASES)
def test_decoder_layer_matches_torch(case):
    kw, fkw = DEC_CASES[case]
    _run(_dec_layer(**kw), [_x(4, 3, E), _x(5, 3, E, seed=1)], fkw)


def _quiet(make):
    def build(lib):
        with warnings.catch_warnings():  # the nested-tensor notice, checked separately
            warnings.simplefilter("ignore")
            return make(lib)

    return build


@pytest.mark.parametrize("fkw", [dict(), dict(mask=SRC_MASK, src_key_padding_mask=KPM), dict(mask=SRC_MASK),
                                 dict(mask=SRC_MASK, is_causal=True)], ids=["plain", "masks", "causal_detected",
                                                                            "causal_given"])
def test_encoder_matches_torch(fkw):
    make = _quiet(lambda lib: lib.TransformerEncoder(lib.TransformerEncoderLayer(E, H, 16, 0.0), 2,
                                                     lib.LayerNorm(E)))
    _run(make, [_x(5, 3, E)], fkw)


def test_decoder_matches_torch():
    make = lambda lib: lib.TransformerDecoder(lib.TransformerDecoderLayer(E, H, 16, 0.0, batch_first=True), 2,  # noqa: E731
                                              lib.LayerNorm(E))
    _run(make, [_x(3, 4, E), _x(3, 5, E, seed=1)], dict(tgt_mask=np.triu(np.full((4, 4), -np.inf), 1),
                                                        memory_key_padding_mask=KPM))


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_matches_torch(norm_first):
    make = _quiet(lambda lib: lib.Transformer(E, H, 2, 2, 16, 0.0, norm_first=norm_first))
    _run(make, [_x(5, 3, E), _x(4, 3, E, seed=1)],
         dict(tgt_mask=np.triu(np.full((4, 4), -np.inf), 1), src_key_padding_mask=KPM,
              memory_key_padding_mask=KPM))


def test_transformer_structure_init_and_signatures_match_torch():
    ag.manual_seed(0)
    ours, theirs = _quiet(lambda lib: lib.Transformer(16, 4, 2, 1, 32))(nn), \
        _quiet(lambda lib: lib.Transformer(16, 4, 2, 1, 32))(torch.nn)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    # (PyTorch's ModuleList repr folds identical layers into "(0-1): 2 x ..."; compare one layer's repr)
    assert repr(ours.encoder.layers[0]) == repr(theirs.encoder.layers[0])
    assert repr(ours.decoder.layers[0]) == repr(theirs.decoder.layers[0])
    w = ours.encoder.layers[0].linear1.weight.detach().numpy()  # xavier_uniform on every matrix
    bound = np.sqrt(6 / (16 + 32))
    assert w.min() >= -bound and w.max() <= bound and w.max() > 0.9 * bound
    for name in ("Transformer", "TransformerEncoder", "TransformerDecoder", "TransformerEncoderLayer",
                 "TransformerDecoderLayer"):
        for meth in ("__init__", "forward"):
            o = inspect.signature(getattr(getattr(nn, name), meth)).parameters.values()
            t = inspect.signature(getattr(getattr(torch.nn, name), meth)).parameters.values()
            defaults = [(p.name, getattr(p.default, "__name__", p.default)) for p in o]
            assert defaults == [(p.name, getattr(p.default, "__name__", p.default)) for p in t], (name, meth)


def test_generate_square_subsequent_mask_matches_torch():
    for kw in (dict(), dict(dtype=ag.float64)):
        ours = nn.Transformer.generate_square_subsequent_mask(4, **kw)
        theirs = torch.nn.Transformer.generate_square_subsequent_mask(
            4, **({"dtype": torch.float64} if kw else {}))
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        assert ours.dtype == (np.float64 if kw else np.float32)


def test_encoder_nested_tensor_warning_and_eval_inference_path():
    with pytest.warns(UserWarning, match="enable_nested_tensor is True, but self.use_nested_tensor is False because "
                                         "encoder_layer.self_attn.batch_first was not True"):
        nn.TransformerEncoder(nn.TransformerEncoderLayer(E, H), 1)
    # PyTorch's inference path (eval, no grad, batch_first, a key padding mask) returns zeros at the padding
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        theirs, ours = _copy(torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(E, H, 16, 0.0,
                                                                                          batch_first=True), 2),
                             nn.TransformerEncoder(nn.TransformerEncoderLayer(E, H, 16, 0.0, batch_first=True), 2))
    theirs.eval()
    ours.eval()
    x = _x(3, 5, E)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's nested-tensor prototype notice
        with torch.no_grad():
            yt = theirs(torch.tensor(x), src_key_padding_mask=torch.tensor(KPM))
    with ag.no_grad():
        yo = ours(ag.tensor(x), src_key_padding_mask=ag.tensor(KPM))
    assert not yt[1, 3:].any()
    np.testing.assert_allclose(yo.numpy(), yt.numpy(), rtol=TOL, atol=TOL)
    # with gradients recorded both run the padded computation: the padding positions are not zero
    yo = ours(ag.tensor(x, requires_grad=True), src_key_padding_mask=ag.tensor(KPM))
    assert yo.detach().numpy()[1, 3:].any()


def test_transformer_second_order_gradients():
    ag.manual_seed(0)
    layer = nn.TransformerEncoderLayer(4, 2, 6, 0.0).double()
    x = ag.tensor(_x(3, 2, 4), requires_grad=True)
    mask = ag.tensor(np.triu(np.full((3, 3), -np.inf), 1))
    assert ag.gradgradcheck(lambda x: layer(x, src_mask=mask), [x])


@pytest.mark.parametrize("arch,sizes", [("lstm_lm", dict(vocab=30, embed=6, hidden=8, steps=5, batch=3)),
                                        ("transformer", dict(vocab=30, d_model=8, nhead=2, ff=12, steps=5, batch=3))])
def test_sequence_benchmark_steps_agree_with_torch(arch, sizes):
    """The benchmark rows (benchmarks/workloads_models.py) at a small size: same loss and gradients, and a step."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks.workloads_models import make_seq_step

    (step_o, check_o), (_, check_t) = make_seq_step("ag", arch, sizes), make_seq_step("torch", arch, sizes)
    got, want = check_o(), check_t()
    assert len(got) == len(want) > 3
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    first = float(step_o().detach().numpy())
    assert float(step_o().detach().numpy()) < first  # SGD steps lower the loss on the fixed batch
