"""Fuzzer registry entries for scaled_dot_product_attention and the attention/recurrent layers' functional forms."""

from __future__ import annotations

from typing import Any

from .ops import float_arg, isf, lit, reg

# The layers (nn.RNN/LSTM/GRU and cells, nn.MultiheadAttention, nn.Transformer*) are modules, not functions the
# fuzzer draws: tests/test_nn_rnn.py and tests/test_nn_transformer.py compare them with PyTorch.
EXCLUDED_API: dict[str, str] = {}


# torch 2.13 runs 4-D SDPA on the CPU through its flash kernel, whose backward cannot be differentiated
# ("derivative for aten::_scaled_dot_product_flash_attention_for_cpu_backward is not implemented"), and
# F.multi_head_attention_forward(need_weights=False) calls it with 4-D tensors. Second derivatives are compared
# only in all-float64 programs, so those calls are drawn in float32 programs only (ours are gradgradchecked in
# tests/op_db_attention.py). A known-difference entry in tests/fuzz/known.py would let float64 programs draw them.
def _flash_in_torch(ctx: Any) -> bool:
    return ctx.fdt == "float64"


def _sizes(ctx: Any, n: int) -> list[int]:
    return [int(ctx.rng.integers(1, 5)) for _ in range(n)]


def _sdpa_gen(ctx: Any) -> Any:
    # the query from the program when one fits (a chain through attention), else new; key/value to match
    max_nd = 3 if _flash_in_torch(ctx) else 4
    q = float_arg(ctx, "normal", lambda v: 2 <= len(v.shape) <= max_nd and 0 not in v.shape, min_nd=2,
                  max_nd=max_nd)
    if q is None:
        return None
    batch, (q_len, e) = tuple(q.shape[:-2]), q.shape[-2:]
    s_len, ev = _sizes(ctx, 2)
    p: dict = {}
    kbatch = batch
    if len(batch) >= 1 and batch[-1] % 2 == 0 and ctx.rng.random() < 0.3:
        kbatch = batch[:-1] + (batch[-1] // 2,)  # grouped-query attention: fewer key/value heads
        p["enable_gqa"] = True
    elif batch and ctx.rng.random() < 0.2:
        kbatch = tuple(1 if ctx.rng.random() < 0.5 else d for d in batch)  # key/value broadcast over the batch
    k = ctx.fresh(kbatch + (s_len, e), "normal")
    v = ctx.fresh(kbatch + (s_len, ev), "normal")
    args = [q, k, v]
    r = ctx.rng.random()
    if r < 0.25:
        p["is_causal"] = True
    elif r < 0.5:
        shape = ctx.choice([(q_len, s_len), (1, s_len), batch + (q_len, s_len)])
        p["bool_mask"] = ctx.rng.random(shape) < 0.7  # a row may be fully masked: PyTorch gives zeros there
    elif r < 0.7:
        shape = ctx.choice([(q_len, s_len), (q_len, 1), batch + (q_len, s_len)])
        args.append(ctx.pick(lambda x: isf(x) and tuple(x.shape) == shape and x is not q) or ctx.fresh(shape))
    if ctx.rng.random() < 0.3:
        p["scale"] = ctx.choice([0.5, 1.0, 2.0, -0.5])
    if ctx.rng.random() < 0.1:
        p["dropout_p"] = 0.0
    return args, p


def _sdpa_code(a: list, p: dict) -> str:
    src = f"F.scaled_dot_product_attention({a[0]}, {a[1]}, {a[2]}"
    if len(a) > 3:
        src += f", attn_mask={a[3]}"
    if "bool_mask" in p:
        src += f", attn_mask={lit(p['bool_mask'])}"
    for key in ("dropout_p", "is_causal", "scale", "enable_gqa"):
        if key in p:
            src += f", {key}={p[key]!r}"
    return src + ")"


reg("scaled_dot_product_attention", "attention", _sdpa_gen, _sdpa_code)


def _mha_gen(ctx: Any) -> Any:
    heads, head_dim = int(ctx.rng.integers(1, 3)), int(ctx.rng.integers(1, 3))
    e = heads * head_dim
    q = ctx.pick(lambda v: isf(v) and len(v.shape) in (2, 3) and v.shape[-1] == e and 0 not in v.shape)
    if q is None:
        q = ctx.fresh(ctx.choice([(int(ctx.rng.integers(1, 4)), e), tuple(_sizes(ctx, 2)) + (e,)]), "normal")
    batch = tuple(q.shape[1:-1])
    s_len = int(ctx.rng.integers(1, 4))
    self_attn = ctx.rng.random() < 0.4
    if self_attn:
        k = v = q
        s_len = q.shape[0]
    else:
        k = ctx.fresh((s_len,) + batch + (e,), "normal")
        v = k if ctx.rng.random() < 0.5 else ctx.fresh((s_len,) + batch + (e,), "normal")
    args = [q, k, v, ctx.fresh((3 * e, e), "normal")]
    p: dict = {"heads": heads, "e": e, "bias": ctx.rng.random() < 0.7, "zero_attn": bool(ctx.rng.random() < 0.2),
               "training": bool(ctx.rng.random() < 0.5),
               "need_weights": _flash_in_torch(ctx) or bool(ctx.rng.random() < 0.5),
               "average": bool(ctx.rng.random() < 0.7)}
    if p["bias"]:
        args.append(ctx.fresh((3 * e,), "normal"))
    args.append(ctx.fresh((e, e), "normal"))
    if p["bias"]:
        args.append(ctx.fresh((e,), "normal"))
    n = batch[0] if batch else None
    r = ctx.rng.random()
    if r < 0.25:
        # True = ignored; keep one key free per row so no row is fully masked (NaN in the need_weights path)
        m = ctx.rng.random((q.shape[0], s_len)) < 0.4
        m[:, 0] = False
        p["attn_mask"] = m
    elif r < 0.45:
        m = ctx.rng.random((n, s_len) if n is not None else (s_len,)) < 0.4
        m[..., 0] = False
        p["kpm"] = m
    return args, p


def _mha_call(a: list, p: dict) -> str:
    it = iter(a)
    q, k, v, w_in = next(it), next(it), next(it), next(it)
    b_in = next(it) if p["bias"] else "None"
    w_out = next(it)
    b_out = next(it) if p["bias"] else "None"
    src = (f"F.multi_head_attention_forward({q}, {k}, {v}, {p['e']}, {p['heads']}, {w_in}, {b_in}, None, None, "
           f"{p['zero_attn']}, 0.0, {w_out}, {b_out}, training={p['training']}, need_weights={p['need_weights']}, "
           f"average_attn_weights={p['average']}")
    if "attn_mask" in p:
        src += f", attn_mask={lit(p['attn_mask'])}"
    if "kpm" in p:
        src += f", key_padding_mask={lit(p['kpm'])}"
    return src + ")"


reg("multi_head_attention_forward", "attention", _mha_gen, lambda a, p: _mha_call(a, p) + "[0]")
reg("multi_head_attention_weights", "attention", _mha_gen,
    lambda a, p: _mha_call(a, dict(p, need_weights=True)) + "[1]")

