"""Converters of the fused recurrences (LSTM, GRU, Elman RNN): each becomes one ONNX LSTM / GRU / RNN node.

The engine's recurrence ops take ``gx = x W_ih^T + b_ih`` (one Linear over all steps, exported before them)
rather than x. The ONNX node gets that as its input X, with an input weight W that only reorders the gate
blocks from PyTorch's order to ONNX's (LSTM: i f g o -> i o f c; GRU: r z n -> z r h): X W^T is then exactly
gx in ONNX's order. The recurrent weight R is the state_dict's weight_hh with its rows reordered (a Gather on
the initializer), and GRU runs with linear_before_reset=1, PyTorch's form of the candidate gate.
"""

from __future__ import annotations

import numpy as np

from .._function import Function
from .._tensor import Tensor
from ._convert import Ctx, converts

# ONNX op, gate count, PyTorch's gate block for each ONNX gate, and where the inputs sit in the engine's op
_KINDS = {
    "LSTMSequence": ("LSTM", 4, (0, 3, 1, 2), dict(h0=1, c0=2, w=3, b=4, proj=5)),
    "LSTMCellFused": ("LSTM", 4, (0, 3, 1, 2), dict(h0=1, c0=2, w=3, b=4)),
    "GRUSequence": ("GRU", 3, (1, 0, 2), dict(h0=1, w=2, b=3)),
    "GRUCellFused": ("GRU", 3, (1, 0, 2), dict(h0=1, w=2, b=3)),
    "RNNSequence": ("RNN", 1, (0,), dict(h0=1, w=2, b=3)),
    "RNNCellFused": ("RNN", 1, (0,), dict(h0=1, w=2, b=3)),
}


def _zero_constant(c: Ctx, i: int) -> bool:
    """Input ``i`` is an all-zero constant in both traces (nn.LSTM's default initial state)."""
    if isinstance(c.node.next_functions[i][0], (Function, Tensor)):
        return False
    a, b = c.raw(i), c.twin.inputs[i]
    if isinstance(a, Tensor) and c.cv.leaf_name(a) is not None:
        return False
    arrays = [t._data if isinstance(t, Tensor) else np.asarray(t) for t in (a, b)]
    return all(not arr.any() for arr in arrays)


@converts(*_KINDS)
def _recurrence(c: Ctx) -> list[str]:
    kind, gates, order, at = _KINDS[c.op_name]
    cell = c.op_name.endswith("CellFused")
    if "proj" in at and c.raw(at["proj"]) is not None:
        raise c.fail("an LSTM with proj_size > 0 has no ONNX form (ONNX's LSTM has no projection)")
    dt = c.out_dtype()
    rows, width = c.shape(0)
    hidden = width // gates
    if cell:
        x = c.op("Unsqueeze", [c.x(0, dt), c.ints([0])])
        reverse = False
    else:
        steps, twin_steps = c.attr("steps", static=False), c.twin.steps
        for s in (steps, twin_steps):
            if len({n for _, n in s}) != 1:
                raise c.fail("a packed sequence (steps of different batch sizes) has no ONNX form here; "
                             "export with padded, equal-length sequences")
        t1, b1, t2, b2 = len(steps), steps[0][1], len(twin_steps), twin_steps[0][1]
        reverse = t1 > 1 and steps[0][0] > steps[-1][0]
        x = c.x(0, dt)
        # gx is x W_ih^T + b_ih of the (T * B, I) rows nn.LSTM made from the (T, B, I) input: that Linear on the
        # unflattened input gives (T, B, 4H) without splitting T * B (impossible when both T and B are dynamic)
        alt = c.cv.alt(x, (t1, b1, width), (t2, b2, width))
        if alt is None:
            target = c.cv.reshape_target((rows, width), (t1, b1, width), c.shape(0, True), (t2, b2, width),
                                         c.where())
            alt = c.op("Reshape", [x, c.ints(target)])
        x = alt
    perm = np.concatenate([np.arange(k * hidden, (k + 1) * hidden) for k in order]).astype(np.int64)
    w_in = np.zeros((1, width, width), dt)
    w_in[0, np.arange(width), perm] = 1.0  # X W^T reorders gx's gate blocks into ONNX's order
    r = c.op("Unsqueeze", [c.op("Gather", [c.x(at["w"], dt), c.ints(perm)], axis=0), c.ints([0])])
    bias = ""
    if c.raw(at["b"]) is not None:
        rb = c.op("Gather", [c.x(at["b"], dt), c.ints(perm)], axis=0)
        bias = c.op("Unsqueeze", [c.op("Concat", [c.const(np.zeros(width, dt)), rb], axis=0), c.ints([0])])
    ins = [x, c.const(w_in), r, bias, ""]
    for key in ("h0", "c0"):
        if key in at:
            ins.append("" if _zero_constant(c, at[key]) else c.op("Unsqueeze", [c.x(at[key], dt), c.ints([0])]))
    while ins[-1] == "":
        ins.pop()
    attrs: dict = {"hidden_size": hidden, "direction": "reverse" if reverse else "forward"}
    if kind == "GRU":
        attrs["linear_before_reset"] = 1
    if kind == "RNN":
        attrs["activations"] = ["Relu" if c.attr("relu") else "Tanh"]
    n_out = 3 if kind == "LSTM" else 2
    outs = c.op(kind, ins, n_out=n_out, **attrs)
    states = [c.op("Squeeze", [o, c.ints([0])]) for o in outs[1:]]
    if cell:
        return states if kind == "LSTM" else [states[0]]
    seq = c.op("Squeeze", [outs[0], c.ints([1])])  # (T, 1, B, H) -> (T, B, H)
    flat = c.op("Reshape", [seq, c.ints([-1, hidden])])  # the engine's time-major rows (T * B, H)
    c.cv.add_alt(flat, (t1, b1, hidden), (t2, b2, hidden), lambda: seq)  # nn.LSTM reshapes them back
    return [flat, *states]
