"""Functional attention: scaled_dot_product_attention and multi_head_attention_forward (PyTorch's semantics).

Both are compositions of core ops (matmul, softmax, masked_fill, where), so every order of gradient is exact.
Masks follow PyTorch: in ``scaled_dot_product_attention`` a boolean mask marks the positions that *take part*
(True = attend); in ``multi_head_attention_forward`` (and nn.MultiheadAttention / the Transformer layers) a
boolean mask marks the positions that are *ignored* (True = masked out). Float masks are added to the scores.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.ops.arithmetic import _c_name
from autograd_core.ops.linear import linear
from autograd_core.ops.norm import dropout
from autograd_core.ops.softmax import softmax

__all__ = ["multi_head_attention_forward", "scaled_dot_product_attention"]


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else ag.tensor(np.asarray(x))


def _safe_softmax(scores: Tensor) -> Tensor:
    """softmax over the last dim, with rows whose every score is -inf giving zeros (not NaN), as PyTorch's SDPA.

    The double ``where`` keeps those rows' gradient zero as well: softmax's backward at a NaN row would
    otherwise spread NaN to every key through the matmul."""
    dead = np.isneginf(scores._data).all(-1, keepdims=True)
    if not dead.any():
        return softmax(scores, -1)
    return ag.where(dead, 0.0, softmax(ag.where(dead, 0.0, scores), -1))


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Any = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(q k^T * scale + mask) v over the last two dims, q (..., L, E), k (..., S, E), v (..., S, Ev).

    ``attn_mask``: bool (True = take part) or float (added), broadcast to (..., L, S); ``is_causal``: the
    lower-triangular mask tril(ones(L, S)); ``scale``: 1/sqrt(E) when None; ``enable_gqa``: key/value heads
    (dim -3) are repeated to match the query's; ``dropout_p``: dropout on the attention weights (always applied,
    as in PyTorch: pass 0.0 in evaluation).
    """
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"scaled_dot_product_attention(): argument '{name}' must be Tensor, not "
                            f"{type(t).__name__}")
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise RuntimeError(f"Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
                           f"{query.ndim} key.dim: {key.ndim} and value.dim: {value.ndim} instead.")
    if not query.dtype == key.dtype == value.dtype:
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{_c_name(query.dtype)} key.dtype: {_c_name(key.dtype)} and value.dtype: "
                           f"{_c_name(value.dtype)} instead.")
    if query.dtype.kind != "f":
        raise RuntimeError(f"scaled_dot_product_attention: expected floating-point query, key and value, got "
                           f"{_c_name(query.dtype)}; convert with .float()")
    if not 0.0 <= dropout_p <= 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(f"scaled_dot_product_attention: query's last dim {query.shape[-1]} must equal key's "
                           f"{key.shape[-1]} (query {list(query.shape)}, key {list(key.shape)})")
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"scaled_dot_product_attention: key and value must have the same sequence length "
                           f"(dim -2), got key {list(key.shape)} and value {list(value.shape)}")
    if enable_gqa and query.ndim >= 3 and key.ndim >= 3:
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        if hk == 0 or hv == 0 or hq % hk or hq % hv:
            raise RuntimeError(f"Number of heads in key and value must divide the number of heads in query, got "
                               f"{hq} query heads, {hk} key heads and {hv} value heads")
        if hk != hq:
            key = key.repeat_interleave(hq // hk, -3)
        if hv != hq:
            value = value.repeat_interleave(hq // hv, -3)
    q_len, s_len = query.shape[-2], key.shape[-2]
    factor = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    # each side scaled by sqrt(scale), as PyTorch's math path: the matmul then saves those copies, not the
    # caller's query and key (which may be modified in place after the call)
    root = math.sqrt(abs(factor))
    scores = (query * root) @ (key * (root if factor >= 0 else -root)).transpose(-2, -1)
    masked = False
    if is_causal:
        scores = scores.masked_fill(~np.tril(np.ones((q_len, s_len), dtype=bool)), float("-inf"))
        masked = True
    if attn_mask is not None:
        m = _as_tensor(attn_mask)
        if m.dtype != np.bool_ and m.dtype != query.dtype:
            raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                               f"attn_mask.dtype: {_c_name(m.dtype)} and  query.dtype: {_c_name(query.dtype)} "
                               "instead.")
        try:
            full = np.broadcast_shapes(m.shape, scores.shape)
        except ValueError:
            full = None
        if full != tuple(scores.shape):
            raise RuntimeError(f"scaled_dot_product_attention: attn_mask of shape {list(m.shape)} does not broadcast "
                               f"to the attention scores' shape {list(scores.shape)} (..., L={q_len}, S={s_len})")
        if m.dtype == np.bool_:
            scores = scores.masked_fill(~m._data, float("-inf"))
        else:
            scores = scores + m
        masked = True
    attn = _safe_softmax(scores) if masked else softmax(scores, -1)
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p, True)
    return attn @ value


# ---------------------------------------------------------------------- multi-head attention
def _none_or_dtype(input: Any) -> Any:  # noqa: A002
    if input is None:
        return None
    if isinstance(input, Tensor):
        return input.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or torch.Tensor")


def _canonical_mask(mask: Any, mask_name: str, other_type: Any, other_name: str, target_type: Any,
                    check_other: bool = True) -> Tensor | None:
    """A boolean mask (True = ignore) as a float mask of ``target_type`` with -inf where True; floats pass."""
    if mask is None:
        return None
    mask = _as_tensor(mask)
    is_float = mask.dtype.kind == "f"
    if mask.dtype != np.bool_ and not is_float:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type for both "
                      "instead.", stacklevel=3)
    if not is_float:
        out = np.zeros(mask.shape, dtype=target_type)
        out[mask._data] = -np.inf
        mask = ag.tensor(out)
    return mask


def _mha_shape_check(query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Any, attn_mask: Any,
                     num_heads: int) -> bool:
    """Whether the input is batched (3-D query); PyTorch's AssertionErrors for inconsistent dims."""
    if query.ndim == 3:
        if key.ndim != 3 or value.ndim != 3:
            raise AssertionError(f"For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                                 f"{key.ndim}-D and {value.ndim}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 2:
            raise AssertionError(f"For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but "
                                 f"found {key_padding_mask.ndim}-D tensor instead")
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            raise AssertionError(f"For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                                 f"found {attn_mask.ndim}-D tensor instead")
        return True
    if query.ndim == 2:
        if key.ndim != 2 or value.ndim != 2:
            raise AssertionError(f"For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                                 f"{key.ndim}-D and {value.ndim}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 1:
            raise AssertionError(f"For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D but "
                                 f"found {key_padding_mask.ndim}-D tensor instead")
        if attn_mask is not None:
            if attn_mask.ndim not in (2, 3):
                raise AssertionError(f"For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                                     f"but found {attn_mask.ndim}-D tensor instead")
            if attn_mask.ndim == 3:
                want = (num_heads, query.shape[0], key.shape[0])
                if tuple(attn_mask.shape) != want:
                    raise AssertionError(f"Expected `attn_mask` shape to be {want} but got {tuple(attn_mask.shape)}")
        return False
    raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.ndim}-D query "
                         "tensor")


def _in_projection(query: Tensor, key: Tensor, value: Tensor, w: Tensor | None, b: Tensor | None,
                   separate: tuple, embed_dim: int) -> tuple[Tensor, Tensor, Tensor]:
    """q, k, v = the input projections: one matmul for self-attention, two when key is value."""
    if separate[0] is None:  # packed in_proj_weight (3E, E)
        if key is value and query is key:
            return linear(query, w, b).chunk(3, -1)
        wq, wkv = w.split([embed_dim, 2 * embed_dim])
        bq, bkv = (None, None) if b is None else b.split([embed_dim, 2 * embed_dim])
        if key is value:
            k, v = linear(key, wkv, bkv).chunk(2, -1)
            return linear(query, wq, bq), k, v
        wk, wv = wkv.chunk(2)
        bk, bv = (None, None) if bkv is None else bkv.chunk(2)
        return linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)
    bq, bk, bv = (None, None, None) if b is None else b.chunk(3)
    wq, wk, wv = separate
    for name, wt, x in (("q", wq, query), ("k", wk, key), ("v", wv, value)):
        if wt.shape[1] != x.shape[-1] or wt.shape[0] != embed_dim:
            raise AssertionError(f"expecting {name}_proj_weight of shape ({embed_dim}, {x.shape[-1]}), got "
                                 f"{tuple(wt.shape)}")
    return linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)


def multi_head_attention_forward(
    query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
    in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None, bias_v: Tensor | None,
    add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor, out_proj_bias: Tensor | None,
    training: bool = True, key_padding_mask: Any = None, need_weights: bool = True, attn_mask: Any = None,
    use_separate_proj_weight: bool = False, q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None, v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
    static_v: Tensor | None = None, average_attn_weights: bool = True, is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention over sequence-first query (L, N, E) / key, value (S, N, E) (or unbatched (L, E)).

    Returns (attn_output (L, N, E), attn_weights (N, L, S) averaged over heads, (N, H, L, S) per head with
    average_attn_weights=False, or None without need_weights). Boolean masks: True = ignored.
    """
    key_padding_mask = None if key_padding_mask is None else _as_tensor(key_padding_mask)
    attn_mask = None if attn_mask is None else _as_tensor(attn_mask)
    batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", _none_or_dtype(attn_mask), "attn_mask",
                                       query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint stands for the mask: SDPA builds the causal mask itself
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        if key_padding_mask is not None:
            is_causal = False  # the merged mask is no longer causal
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {tuple(key.shape[:2])} do not match value's "
                                 f"{tuple(value.shape[:2])}")
        for name, wt in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight)):
            if wt is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name}_proj_weight is None")
        q, k, v = _in_projection(query, key, value, None, in_proj_bias, (q_proj_weight, k_proj_weight,
                                                                         v_proj_weight), embed_dim)
    else:
        if tuple(key.shape) != tuple(value.shape):
            raise AssertionError(f"key shape {tuple(key.shape)} does not match value shape {tuple(value.shape)}")
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection(query, key, value, in_proj_weight, in_proj_bias, (None,), embed_dim)

    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {list(attn_mask.shape)}, but should be "
                                   f"{(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.ndim == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {list(attn_mask.shape)}, but should be "
                                   f"{(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")

    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = ag.cat([k, bias_k.expand(1, bsz, embed_dim)], 0)
        v = ag.cat([v, bias_v.expand(1, bsz, embed_dim)], 0)
        attn_mask = None if attn_mask is None else ag.pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else ag.pad(key_padding_mask, (0, 1))
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")

    # heads into the batch: (L, N, E) -> (N * H, L, head_dim)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _static(static_k, "static_k", bsz * num_heads, head_dim) if static_k is not None else \
        k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    v = _static(static_v, "static_v", bsz * num_heads, head_dim) if static_v is not None else \
        v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    if add_zero_attn:
        k = ag.cat([k, ag.zeros(bsz * num_heads, 1, head_dim, dtype=k.dtype)], 1)
        v = ag.cat([v, ag.zeros(bsz * num_heads, 1, head_dim, dtype=v.dtype)], 1)
        attn_mask = None if attn_mask is None else ag.pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else ag.pad(key_padding_mask, (0, 1))
    src_len = k.shape[1]

    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                                 f"{key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                                 f"{key_padding_mask.shape[1]}")
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(bsz, num_heads, 1, src_len)
        kpm = kpm.reshape(bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0

    if need_weights:
        scores = (q * math.sqrt(1.0 / head_dim)) @ k.transpose(-2, -1)
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = softmax(scores, -1)  # PyTorch's explicit path: a fully masked row is NaN here
        if dropout_p > 0.0:
            weights = dropout(weights, dropout_p, True)
        out = weights @ v
        out = linear(out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim), out_proj_weight, out_proj_bias)
        out = out.reshape(tgt_len, bsz, embed_dim)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = linear(out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim), out_proj_weight, out_proj_bias)
    out = out.reshape(tgt_len, bsz, embed_dim)
    return (out if batched else out.squeeze(1)), None


def _static(t: Tensor, name: str, batch_heads: int, head_dim: int) -> Tensor:
    if t.shape[0] != batch_heads:
        raise AssertionError(f"expecting {name}.size(0) of {batch_heads}, but got {t.shape[0]}")
    if t.shape[2] != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {t.shape[2]}")
    return t
