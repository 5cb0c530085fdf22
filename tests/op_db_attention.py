"""Op-table rows for scaled_dot_product_attention and the attention/recurrent layers' functional forms."""

from __future__ import annotations

import autograd_core.nn.functional as agF
import numpy as np
from op_db import Sample, _r, op

import autograd_core as ag


def _sdpa_ref(q, k, v, m=None, bool_mask=None, is_causal=False, scale=None, enable_gqa=False):
    """softmax(q k^T * scale + mask) v in numpy, rows whose every score is -inf giving zeros (PyTorch's rule)."""
    if enable_gqa:
        k = np.repeat(k, q.shape[-3] // k.shape[-3], axis=-3)
        v = np.repeat(v, q.shape[-3] // v.shape[-3], axis=-3)
    s = q @ np.swapaxes(k, -1, -2) * (1 / np.sqrt(q.shape[-1]) if scale is None else scale)
    if is_causal:
        s = np.where(np.tril(np.ones(s.shape[-2:], dtype=bool)), s, -np.inf)
    if bool_mask is not None:
        s = np.where(bool_mask, s, -np.inf)
    if m is not None:
        s = s + m
    dead = np.isneginf(s).all(-1, keepdims=True)
    s = np.where(dead, 0.0, s)
    e = np.exp(s - s.max(-1, keepdims=True))
    return np.where(dead, 0.0, e / e.sum(-1, keepdims=True)) @ v


def _sdpa(lib_f, to_tensor):
    def f(q, k, v, m=None, bool_mask=None, **kw):
        mask = m if bool_mask is None else to_tensor(bool_mask)
        return lib_f.scaled_dot_product_attention(q, k, v, attn_mask=mask, **kw)

    return f


def _torch_sdpa(*args, **kw):
    import torch

    return _sdpa(torch.nn.functional, torch.tensor)(*args, **kw)


def _sdpa_samples(rng: np.random.Generator) -> list[Sample]:
    holes = rng.random((3, 5)) < 0.7
    holes[:, 0] = True
    dead_row = holes.copy()
    dead_row[1] = False  # a query that may attend nothing: zeros, and zero gradients
    return [
        Sample((_r(rng, 2, 3, 4), _r(rng, 2, 5, 4), _r(rng, 2, 5, 3)), name="3d"),
        Sample((_r(rng, 3, 4), _r(rng, 5, 4), _r(rng, 5, 2)), name="2d"),
        Sample((_r(rng, 2, 2, 3, 4), _r(rng, 2, 2, 5, 4), _r(rng, 2, 2, 5, 3), _r(rng, 3, 5)), name="float_mask"),
        Sample((_r(rng, 2, 3, 4), _r(rng, 1, 5, 4), _r(rng, 1, 5, 3), _r(rng, 2, 1, 5)),
               name="float_mask_broadcast_kv"),
        Sample((_r(rng, 2, 3, 4), _r(rng, 2, 5, 4), _r(rng, 2, 5, 3)), {"bool_mask": holes}, name="bool_mask"),
        Sample((_r(rng, 2, 3, 4), _r(rng, 2, 5, 4), _r(rng, 2, 5, 3)), {"bool_mask": dead_row},
               name="bool_mask_dead_row"),
        Sample((_r(rng, 2, 4, 3), _r(rng, 2, 4, 3), _r(rng, 2, 4, 3)), {"is_causal": True}, name="causal"),
        Sample((_r(rng, 2, 4, 3), _r(rng, 2, 3, 3), _r(rng, 2, 3, 2)), {"is_causal": True, "scale": 0.7},
               name="causal_rect_scale"),
        Sample((_r(rng, 1, 4, 3, 2), _r(rng, 1, 2, 5, 2), _r(rng, 1, 2, 5, 3)), {"enable_gqa": True}, name="gqa"),
        Sample((_r(rng, 3, 4), _r(rng, 5, 4), _r(rng, 5, 2)), {"scale": -0.6}, name="negative_scale"),
    ]


op("scaled_dot_product_attention", op=_sdpa(agF, ag.tensor), ref=_sdpa_ref, torch=_torch_sdpa,
   samples=_sdpa_samples)
