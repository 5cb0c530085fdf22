"""Op-table rows for scaled_dot_product_attention and the attention/recurrent layers' functional forms."""

from __future__ import annotations

import autograd_core.nn.functional as agF
import numpy as np
from op_db import Sample, _nc, _r, op

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


# ---------------------------------------------------------------------- fused recurrent ops (nn.LSTM/GRU/RNN)
# gx is x W_ih^T + b_ih of every step, time-major rows; batch_sizes shrinking as in a PackedSequence. The
# positional arrays after the weight are b_hh (bias=True) and, for LSTM, W_hr (proj=True).
def _sig(x):
    return 1 / (1 + np.exp(-x))


def _ref_cells(mode):
    """One step of each cell in numpy: (gx_t, state tuple, w, b) -> new state tuple (h first)."""

    def lstm(gx, s, w, b, w_hr=None):
        i, f, g, o = np.split(gx + s[0] @ w.T + (0 if b is None else b), 4, axis=1)
        c = _sig(f) * s[1] + _sig(i) * np.tanh(g)
        h = _sig(o) * np.tanh(c)
        return (h if w_hr is None else h @ w_hr.T, c)

    def gru(gx, s, w, b, w_hr=None):
        gh = s[0] @ w.T + (0 if b is None else b)
        xr, xz, xn = np.split(gx, 3, axis=1)
        hr, hz, hn = np.split(gh, 3, axis=1)
        r, z = _sig(xr + hr), _sig(xz + hz)
        n = np.tanh(xn + r * hn)
        return ((1 - z) * n + z * s[0],)

    def rnn(gx, s, w, b, w_hr=None, act=np.tanh):
        return (act(gx + s[0] @ w.T + (0 if b is None else b)),)

    return {"lstm": lstm, "gru": gru, "rnn_tanh": rnn,
            "rnn_relu": lambda *a: rnn(*a, act=lambda v: np.maximum(v, 0))}[mode]


def _torch_cells(mode):
    """The same steps through torch's own cell functions (W_ih = identity: the input is gx itself)."""

    def cell(gx, s, w, b, w_hr=None):
        import torch

        eye = torch.eye(gx.shape[1], dtype=gx.dtype)
        if mode == "lstm" and w_hr is None:
            return torch.lstm_cell(gx, tuple(s), eye, w, None, b)
        if mode == "lstm":  # torch's cell has no projection (its h is hidden-sized): torch ops, as nn.LSTM's
            i, f, g, o = (gx + s[0] @ w.T + (0 if b is None else b)).chunk(4, 1)
            c = f.sigmoid() * s[1] + i.sigmoid() * g.tanh()
            return ((o.sigmoid() * c.tanh()) @ w_hr.T, c)
        fn = {"gru": torch.gru_cell, "rnn_tanh": torch.rnn_tanh_cell, "rnn_relu": torch.rnn_relu_cell}[mode]
        return (fn(gx, s[0], eye, w, None, b),)

    return cell


def _recurrence(cell, cat, gx, state, w, b, w_hr, batch_sizes, reverse):
    """Run ``cell`` over the steps (ended sequences keep their state; in reverse they join from the initial
    one): (outputs in time order, final state...)."""
    sizes = batch_sizes or [state[0].shape[0]] * (gx.shape[0] // state[0].shape[0])
    offs = np.cumsum([0] + list(sizes[:-1]))
    order = range(len(sizes) - 1, -1, -1) if reverse else range(len(sizes))
    outs = {}
    for t in order:
        n, off = sizes[t], int(offs[t])
        new = cell(gx[off:off + n], tuple(s[:n] for s in state), w, b, w_hr)
        state = tuple(cat([a, s[n:]]) if n < s.shape[0] else a for a, s in zip(new, state))
        outs[t] = new[0]
    return (cat([outs[t] for t in range(len(sizes))]),) + state


def _split_args(args, mode, bias, proj):
    gx, h0 = args[0], args[1]
    k = 3 if mode == "lstm" else 2
    state = (h0, args[2]) if mode == "lstm" else (h0,)
    w = args[k]
    rest = list(args[k + 1:])
    b = rest.pop(0) if bias else None
    w_hr = rest.pop(0) if proj else None
    return gx, state, w, b, w_hr


def _seq_fns(mode):
    from autograd_core.ops import recurrent as R

    def ours(*args, bias=False, proj=False, batch_sizes=None, reverse=False):
        gx, state, w, b, w_hr = _split_args(args, mode, bias, proj)
        if mode == "lstm":
            return R.lstm_sequence(gx, *state, w, b, w_hr, batch_sizes, reverse)
        if mode == "gru":
            return R.gru_sequence(gx, *state, w, b, batch_sizes, reverse)
        return R.rnn_sequence(gx, *state, w, b, batch_sizes, reverse, mode.split("_")[1])

    def ref(*args, bias=False, proj=False, batch_sizes=None, reverse=False):
        gx, state, w, b, w_hr = _split_args(args, mode, bias, proj)
        return _recurrence(_ref_cells(mode), np.concatenate, gx, state, w, b, w_hr, batch_sizes, reverse)

    def theirs(*args, bias=False, proj=False, batch_sizes=None, reverse=False):
        import torch

        gx, state, w, b, w_hr = _split_args(args, mode, bias, proj)
        return _recurrence(_torch_cells(mode), torch.cat, gx, state, w, b, w_hr, batch_sizes, reverse)

    return ours, ref, theirs


def _cell_fns(mode):
    from autograd_core.ops import recurrent as R

    def ours(*args, bias=False):
        gx, state, w, b, _ = _split_args(args, mode, bias, False)
        if mode == "lstm":
            return R.lstm_cell(gx, *state, w, b)
        if mode == "gru":
            return R.gru_cell(gx, *state, w, b)
        return R.rnn_cell(gx, *state, w, b, mode.split("_")[1])

    def run(cell):
        def f(*args, bias=False):
            gx, state, w, b, _ = _split_args(args, mode, bias, False)
            out = cell(gx, state, w, b)
            return out if mode == "lstm" else out[0]

        return f

    return ours, run(_ref_cells(mode)), run(_torch_cells(mode))


_GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}


def _seq_samples(mode):
    g, hid, proj_hid = _GATES[mode], 3, 2

    def samples(rng: np.random.Generator) -> list[Sample]:
        def arrays(rows, batch, bias, proj=False):
            real = proj_hid if proj else hid
            out = [_r(rng, rows, g * hid), _r(rng, batch, real)] + ([_r(rng, batch, hid)] if mode == "lstm" else [])
            out.append(_r(rng, g * hid, real) * 0.7)
            return tuple(out + ([_r(rng, g * hid)] if bias else []) + ([_r(rng, real, hid)] if proj else []))

        out = [Sample(arrays(6, 2, True), {"bias": True}, name="padded_bias"),
               Sample(arrays(8, 3, False), {"batch_sizes": [3, 2, 2, 1]}, name="packed"),
               Sample(arrays(8, 3, True), {"bias": True, "batch_sizes": [3, 2, 2, 1], "reverse": True},
                      name="packed_reverse_bias"),
               Sample(arrays(4, 4, False), {"reverse": True}, name="one_step_reverse")]
        if mode == "lstm":
            out.append(Sample(arrays(7, 3, True, True), {"bias": True, "proj": True, "batch_sizes": [3, 3, 1]},
                              name="packed_proj"))
            out.append(Sample(arrays(7, 3, False, True), {"proj": True, "batch_sizes": [3, 3, 1], "reverse": True},
                              name="packed_proj_reverse"))
        return out

    return samples


def _cell_samples(mode):
    g, hid = _GATES[mode], 3

    def samples(rng: np.random.Generator) -> list[Sample]:
        def arrays(batch, bias):
            out = [_r(rng, batch, g * hid), _r(rng, batch, hid)] + ([_r(rng, batch, hid)] if mode == "lstm" else [])
            return tuple(out + [_r(rng, g * hid, hid) * 0.7] + ([_r(rng, g * hid)] if bias else []))

        return [Sample(arrays(2, True), {"bias": True}, name="bias"), Sample(arrays(3, False), name="nobias"),
                Sample(tuple(_nc(a) for a in arrays(2, True)), {"bias": True}, name="noncontig")]

    return samples


for _mode, _name in (("lstm", "LSTM"), ("gru", "GRU"), ("rnn_tanh", "RNN"), ("rnn_relu", "RNN")):
    _ours, _ref, _theirs = _seq_fns(_mode)
    op(f"{_mode}_sequence", op=_ours, ref=_ref, torch=_theirs, samples=_seq_samples(_mode),
       covers=(f"{_name}Sequence",) if _mode != "rnn_relu" else ())
    _ours, _ref, _theirs = _cell_fns(_mode)
    op(f"{_mode}_cell", op=_ours, ref=_ref, torch=_theirs, samples=_cell_samples(_mode),
       covers=(f"{_name}CellFused",) if _mode != "rnn_relu" else ())
