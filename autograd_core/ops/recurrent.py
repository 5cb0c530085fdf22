"""Fused recurrent ops: the LSTM, GRU and Elman RNN recurrence as one node per sequence (or per cell step).

The input's share of the gates, ``gx = x W_ih^T + b_ih`` for every step, is computed outside as one matmul
over the whole sequence; these ops run only the recurrence over time-major rows: step t owns rows
``[off_t, off_t + b_t)`` of ``gx`` and of the output, ``b_t`` non-increasing (a PackedSequence's batch
sizes; a padded batch has them all equal). A sequence that has ended keeps its last state, and in reverse a
sequence joins from the initial state when its last step is reached, as PyTorch's packed recurrence.

Forward is numpy on a few buffers: one matmul ``h W_hh^T`` per step, the gate nonlinearities in place. The
ordinary backward walks the steps in reverse with one matmul per step (the gradient of h) and forms the
weight gradient as one matmul over all steps, ``dW_hh = dgates^T h_prev`` -- no per-step temporaries of
W's size and no per-step accumulation. The gate derivatives that do not depend on the incoming gradient
are computed for all steps at once before that loop.

Each backward goes through an ``xp`` twin (declared at the bottom): the ndarray twin reads the
forward's buffers (plain data kept on the node, as BatchNorm keeps its batch statistics), the Tensor twin
(create_graph) recomputes the forward from the saved inputs with recorded ops and writes the gradients as
recorded ops, so gradients of every order are exact.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from .._blas import small_products
from .._function import Function
from .._tensor import Tensor
from .._xp import define
from ..kernels import get as kernel
from .shape import cat

__all__: list[str] = []  # used by nn.LSTM/GRU/RNN and their cells; no torch.<name> of their own
METHODS: dict[str, Any] = {}


# ---------------------------------------------------------------------- shapes and steps
def _steps(op: str, n_rows: int, batch: int, batch_sizes: Any, reverse: bool) -> tuple:
    """((row offset, rows), ...) in the order the recurrence visits the steps."""
    if batch_sizes is None:
        if batch == 0 or n_rows % batch:
            raise RuntimeError(f"{op}: {n_rows} input rows are not a whole number of steps of the initial "
                               f"state's batch {batch}; pass batch_sizes for a packed sequence")
        batch_sizes = (batch,) * (n_rows // batch)
    sizes = [int(b) for b in batch_sizes]
    if not sizes or sizes[0] != batch or sum(sizes) != n_rows or any(
            b < 0 or b > a for a, b in zip(sizes, sizes[1:])):
        raise RuntimeError(f"{op}: batch_sizes {sizes} must be at least one non-increasing size that starts with "
                           f"the initial state's batch {batch} and sums to the {n_rows} input rows")
    offs = np.cumsum([0] + sizes[:-1]).tolist()
    steps = tuple(zip(offs, sizes))
    return steps[::-1] if reverse else steps


def _check(op: str, gates: int, gx: Any, h0: Any, w_hh: Any, b_hh: Any, c0: Any = None, w_hr: Any = None) -> None:
    """Shapes and dtypes of the inputs; the error names the first that does not fit and what it must be."""
    given = {k: t for k, t in (("gx", gx), ("h0", h0), ("c0", c0), ("w_hh", w_hh), ("b_hh", b_hh), ("w_hr", w_hr))
             if t is not None}
    bad = next((k for k in ("w_hh", "gx", "h0") if given[k].ndim != 2), None)
    if bad is None and w_hh.shape[0] % gates:
        bad = "w_hh"
    if bad is None:
        hid, batch = w_hh.shape[0] // gates, h0.shape[0]
        real = hid if w_hr is None else w_hr.shape[0]  # the projected size of h (LSTM's proj_size)
        want = {"gx": (gx.shape[0], gates * hid), "h0": (batch, real), "c0": (batch, hid), "w_hh": (gates * hid, real),
                "b_hh": (gates * hid,), "w_hr": (real, hid)}
        bad = next((k for k, t in given.items() if tuple(t.shape) != want[k]), None)
    if bad is not None:
        shapes = ", ".join(f"{k} {list(t.shape)}" for k, t in given.items())
        size = f"{gates} x hidden" if gates > 1 else "hidden"
        raise RuntimeError(f"{op}: {bad} does not fit ({shapes}); expected gx (rows, {size}) = x W_ih^T + b_ih "
                           f"of every step, h0 (batch, hidden), w_hh ({size}, hidden), b_hh ({size},)"
                           + (", c0 (batch, hidden)" if c0 is not None else "")
                           + (", w_hr (proj, hidden) with h0 (batch, proj)" if w_hr is not None else ""))
    for name, t in given.items():
        if t.dtype != gx.dtype:
            raise RuntimeError(f"{op}: {name} is {t.dtype} but gx is {gx.dtype}; convert one, e.g. "
                               f"{name}.to(gx.dtype)")


def _sigmoid_(a: np.ndarray) -> None:
    """a <- 1 / (1 + exp(-a)) in place (exp overflows to inf far below 0, giving the limit 0; callers ignore
    the overflow warning)."""
    np.negative(a, out=a)
    np.exp(a, out=a)
    a += 1
    np.reciprocal(a, out=a)


_SCRATCH = threading.local()


def _scratch(role: str, shape: tuple, dtype: Any) -> np.ndarray:
    """A per-thread buffer for a temporary that dies with the call, reused by the next call: fresh multi-MB
    temporaries would be page-faulted in anew every time (glibc hands freed top-of-heap memory back to the
    OS), which measured as a quarter of an LSTM layer's time."""
    n = int(np.prod(shape))
    key = (role, np.dtype(dtype).str)
    buf = _SCRATCH.__dict__.get(key)
    if buf is None or buf.size < n:
        buf = _SCRATCH.__dict__[key] = np.empty(n, dtype)
    return buf[:n].reshape(shape)


def _wt(w: np.ndarray, steps: tuple) -> np.ndarray:
    # h @ W^T with W^T made contiguous once: numpy's small matmul is ~1.5x faster on it than on the view
    if len(steps) == 1:
        return w.T
    wt = _scratch("w_t", w.shape[::-1], w.dtype)
    np.copyto(wt, w.T)
    return wt


def _needs(node: Function) -> tuple:
    return tuple(node.needs_input_grad(i) for i in range(len(node.next_functions)))


def _rows(x: Any, n: int) -> Any:
    """The running state's first n rows (the sequences still running at this step)."""
    return x if n == x.shape[0] else x[:n]


def _step(x: Any, off: int, n: int) -> Any:
    """Rows [off, off + n) of a time-major Tensor (the whole of it for a cell: no slicing node)."""
    return x if off == 0 and n == x.shape[0] else x[off:off + n]


def _put_rows(x: Any, new: Any) -> Any:
    """The running state with its first rows replaced by ``new`` (recorded ops: the Tensor twins)."""
    return new if new.shape[0] == x.shape[0] else cat([new, x[new.shape[0]:]], 0)


def _by_offset(pairs: list) -> Tensor:
    """Per-step rows (offset, Tensor) as one time-major Tensor."""
    pairs = sorted(pairs, key=lambda p: p[0])
    return pairs[0][1] if len(pairs) == 1 else cat([p[1] for p in pairs], 0)


# ---------------------------------------------------------------------- LSTM
def _lstm_forward(gx: np.ndarray, h0: np.ndarray, c0: np.ndarray, w: np.ndarray, b: Any, w_hr: Any,
                  steps: tuple) -> tuple:
    n_rows, hid, real, dt = gx.shape[0], c0.shape[1], h0.shape[1], gx.dtype
    wt = _wt(w, steps)
    step = kernel("lstm_forward_step")  # the elementwise rest of a step, fused (kernels/recurrent.py)
    gx = np.ascontiguousarray(gx)
    b = np.zeros(4 * hid, dt) if b is None else np.ascontiguousarray(b)
    gates = np.empty((n_rows, 4 * hid), dt)  # h W^T, then the activated gates i, f, tanh(g), o
    tc, cp = np.empty((n_rows, hid), dt), np.empty((n_rows, hid), dt)  # tanh(c') and c before each step
    hp, hs = np.empty((n_rows, real), dt), np.empty((n_rows, real), dt)  # h before and after each step
    m = None if w_hr is None else np.empty((n_rows, hid), dt)  # o tanh(c') before the projection
    h, c = np.array(h0, dt, order="C"), np.array(c0, dt, order="C")  # the running state
    with small_products(("lstm", dt.str, h.shape, wt.shape), len(steps)):
        for off, n in steps:
            rows = slice(off, off + n)
            hp_t = hp[rows]
            hp_t[...] = h[:n]
            np.matmul(hp_t, wt, out=gates[rows])
            if m is None:
                step(gates, gx, b, off, n, c, cp, tc, hs)
            else:
                step(gates, gx, b, off, n, c, cp, tc, m)
                np.matmul(m[rows], w_hr.T, out=hs[rows])
            h[:n] = hs[rows]
    return hs, h, c, (gates, tc, cp, hp, m)


def _lstm_backward_np(stash: tuple, saved: Any, grads: tuple, steps: tuple, needs: tuple) -> tuple:
    gates, tc, cp, hp, m = stash
    w, b, w_hr = saved[3], saved[4], saved[5]
    g_hs, g_h, g_c = grads
    dt = gates.dtype
    step = kernel("lstm_backward_step")
    dg = np.empty_like(gates)  # the gate gradients: the gradient of gx, and dW_hh = dg^T hp
    dh, dc = np.array(g_h, dt, order="C"), np.array(g_c, dt, order="C")
    dhs = np.zeros(tc.shape, dt) if g_hs is None or w_hr is not None else np.ascontiguousarray(g_hs, dt)
    dproj = None if w_hr is None else np.empty(hp.shape, dt)
    last = len(steps) - 1
    with small_products(("lstm_back", dt.str, dh.shape, w.shape), len(steps)):  # one small GEMM a step
        for k, (off, n) in enumerate(reversed(steps)):
            rows = slice(off, off + n)
            if w_hr is None:
                step(gates, tc, cp, dhs, off, n, dh, dc, dg)
            else:  # the gradient of o tanh(c') is the output's, through the projection
                d = dproj[rows]
                np.copyto(d, dh[:n]) if g_hs is None else np.add(dh[:n], g_hs[rows], out=d)
                step(gates, tc, cp, dhs, off, n, d @ w_hr, dc, dg)
            if k < last or needs[1]:  # the last one only feeds dh0
                np.matmul(dg[rows], w, out=dh[:n])
    return (dg if needs[0] else None, dh if needs[1] else None, dc if needs[2] else None,
            dg.T @ hp if needs[3] else None, dg.sum(0) if b is not None and needs[4] else None,
            dproj.T @ m if w_hr is not None and needs[5] else None)


def _lstm_backward_t(stash: Any, saved: Any, grads: tuple, steps: tuple, needs: tuple) -> tuple:
    """The same gradients from recorded ops, the forward recomputed from the inputs (create_graph)."""
    gx, h0, c0, w, b, w_hr = saved
    g_hs, g_h, g_c = grads
    hid = c0.shape[1]
    wt = w.t()
    h, c, rec = h0, c0, []
    for off, n in steps:
        hp_t, cp_t = _rows(h, n), _rows(c, n)
        pre = _step(gx, off, n) + hp_t.mm(wt)
        if b is not None:
            pre = pre + b
        i, f, g, o = pre.split(hid, 1)
        i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
        c_new = f * cp_t + i * g
        tc = c_new.tanh()
        m = o * tc
        rec.append((hp_t, cp_t, i, f, g, o, tc, m))
        h, c = _put_rows(h, m if w_hr is None else m.mm(w_hr.t())), _put_rows(c, c_new)
    dh, dc, dgs, hps, dproj = g_h, g_c, [], [], None
    for (off, n), (hp_t, cp_t, i, f, g, o, tc, m) in zip(reversed(steps), reversed(rec)):
        d = _rows(dh, n)
        if g_hs is not None:
            d = d + _step(g_hs, off, n)
        if w_hr is not None:
            t = d.t().mm(m)
            dproj = t if dproj is None else dproj + t
            d = d.mm(w_hr)
        dcc = _rows(dc, n) + d * o * (1 - tc * tc)
        dg = cat([dcc * g * i * (1 - i), dcc * cp_t * f * (1 - f), dcc * i * (1 - g * g), d * tc * o * (1 - o)], 1)
        dgs.append((off, dg))
        hps.append((off, hp_t))
        dh, dc = _put_rows(dh, dg.mm(w)), _put_rows(dc, dcc * f)
    dgx = _by_offset(dgs)
    return (dgx if needs[0] else None, dh if needs[1] else None, dc if needs[2] else None,
            dgx.t().mm(_by_offset(hps)) if needs[3] else None, dgx.sum(0) if b is not None and needs[4] else None,
            dproj if w_hr is not None and needs[5] else None)


class LSTMSequence(Function):
    """per step: i,f,g,o = gx + h W^T + b; c = s(f) c + s(i) tanh(g); h = s(o) tanh(c) [W_hr^T];  dW = dgates^T h"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, gx, h0, c0, w, b, w_hr, steps):
        self.steps = steps
        hs, h, c, self.stash = _lstm_forward(gx, h0, c0, w, b, w_hr, steps)
        return hs, h, c

    def backward(self, g_hs, g_h, g_c):
        return self.xp.lstm_backward(self.stash, self.saved(), (g_hs, g_h, g_c), self.steps, _needs(self))

    def attrs(self):
        return {"steps": len(self.steps)}


class LSTMCellFused(Function):
    """c' = s(f) c + s(i) tanh(g), h' = s(o) tanh(c'), i,f,g,o = gx + h W^T + b;  dh = dgates W, dW = dgates^T h"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, gx, h, c, w, b):
        self.steps = ((0, gx.shape[0]),)
        _, h, c, self.stash = _lstm_forward(gx, h, c, w, b, None, self.steps)
        return h, c

    def backward(self, g_h, g_c):
        return self.xp.lstm_backward(self.stash, (*self.saved(), None), (None, g_h, g_c), self.steps,
                                     (*_needs(self), False))[:5]


def lstm_sequence(gx: Tensor, h0: Tensor, c0: Tensor, w_hh: Tensor, b_hh: Tensor | None = None,
                  w_hr: Tensor | None = None, batch_sizes: Any = None, reverse: bool = False) -> tuple:
    """The LSTM recurrence over time-major rows gx = x W_ih^T + b_ih: (outputs, h_T, c_T)."""
    _check("lstm_sequence", 4, gx, h0, w_hh, b_hh, c0, w_hr)
    steps = _steps("lstm_sequence", gx.shape[0], h0.shape[0], batch_sizes, reverse)
    return LSTMSequence.apply(gx, h0, c0, w_hh, b_hh, w_hr, steps=steps)


def lstm_cell(gx: Tensor, h: Tensor, c: Tensor, w_hh: Tensor, b_hh: Tensor | None = None) -> tuple:
    """One LSTM step from gx = x W_ih^T + b_ih: (h', c')."""
    _check("lstm_cell", 4, gx, h, w_hh, b_hh, c)
    return LSTMCellFused.apply(gx, h, c, w_hh, b_hh)


# ---------------------------------------------------------------------- GRU
def _gru_forward(gx: np.ndarray, h0: np.ndarray, w: np.ndarray, b: Any, steps: tuple) -> tuple:
    n_rows, hid, dt = gx.shape[0], h0.shape[1], gx.dtype
    wt = _wt(w, steps)
    gh = np.empty((n_rows, 3 * hid), dt)  # h W_hh^T + b_hh (its n part is multiplied by r)
    rz = np.empty((n_rows, 2 * hid), dt)  # r, z: their own contiguous array (column blocks are slow in numpy)
    nn, hp, hs = np.empty((n_rows, hid), dt), np.empty((n_rows, hid), dt), np.empty((n_rows, hid), dt)
    h = np.array(h0, dt, order="C")
    with np.errstate(over="ignore"), small_products(("gru", dt.str, h.shape, wt.shape), len(steps)):
        for off, n in steps:
            rows = slice(off, off + n)
            hp_t, gh_t, rz_t, n_t, gx_t = hp[rows], gh[rows], rz[rows], nn[rows], gx[rows]
            hp_t[...] = h[:n]
            np.matmul(hp_t, wt, out=gh_t)
            if b is not None:
                gh_t += b
            np.add(gx_t[:, :2 * hid], gh_t[:, :2 * hid], out=rz_t)
            _sigmoid_(rz_t)
            np.multiply(rz_t[:, :hid], gh_t[:, 2 * hid:], out=n_t)
            n_t += gx_t[:, 2 * hid:]
            np.tanh(n_t, out=n_t)
            out = hs[rows]
            np.subtract(hp_t, n_t, out=out)  # h' = n + z (h - n)
            out *= rz_t[:, hid:]
            out += n_t
            h[:n] = out
    return hs, h, (rz, nn, gh, hp)


def _gru_backward_np(stash: tuple, saved: Any, grads: tuple, steps: tuple, needs: tuple) -> tuple:
    rz, n_, gh, hp = stash
    w, b = saved[2], saved[3]
    g_hs, g_h = grads
    hid, dt = hp.shape[1], rz.dtype
    r, z = rz[:, :hid], rz[:, hid:]
    # for all steps at once: dgx = fx * dh and dgh = fh * dh (per gate block), dh_prev = dh z + dgh W
    fx = _scratch("gru_fx", (rz.shape[0], 3 * hid), dt)
    fr, fz, fn = fx[:, :hid], fx[:, hid:2 * hid], fx[:, 2 * hid:]
    np.multiply(n_, n_, out=fn)
    np.subtract(1, fn, out=fn)
    fn *= 1 - z  # (1 - z)(1 - n^2)
    np.subtract(hp, n_, out=fz)
    fz *= z
    fz *= 1 - z  # (h - n) z (1 - z)
    np.multiply(fn, gh[:, 2 * hid:], out=fr)
    fr *= r
    fr *= 1 - r  # (1 - z)(1 - n^2) (h W_hn^T + b_hn) r (1 - r)
    fh = _scratch("gru_fh", fx.shape, dt)
    np.copyto(fh, fx)
    fh[:, 2 * hid:] *= r
    dx, dhh = np.empty(fx.shape, dt), np.empty(fx.shape, dt)
    dh = np.array(g_h, dt, order="C")
    last = len(steps) - 1
    with small_products(("gru_back", dt.str, dh.shape, w.shape), len(steps)):  # one small GEMM a step
        for k, (off, n) in enumerate(reversed(steps)):
            rows = slice(off, off + n)
            d = dh[:n]
            if g_hs is not None:
                d += g_hs[rows]
            np.multiply(fx[rows].reshape(n, 3, hid), d[:, None], out=dx[rows].reshape(n, 3, hid))
            np.multiply(fh[rows].reshape(n, 3, hid), d[:, None], out=dhh[rows].reshape(n, 3, hid))
            if k < last or needs[1]:
                back = dhh[rows] @ w
                d *= z[rows]
                d += back
    return (dx if needs[0] else None, dh if needs[1] else None, dhh.T @ hp if needs[2] else None,
            dhh.sum(0) if b is not None and needs[3] else None)


def _gru_backward_t(stash: Any, saved: Any, grads: tuple, steps: tuple, needs: tuple) -> tuple:
    gx, h0, w, b = saved
    g_hs, g_h = grads
    hid = h0.shape[1]
    wt = w.t()
    h, rec = h0, []
    for off, n in steps:
        hp_t = _rows(h, n)
        ghh = hp_t.mm(wt)
        if b is not None:
            ghh = ghh + b
        gxr, gxz, gxn = _step(gx, off, n).split(hid, 1)
        ghr, ghz, ghn = ghh.split(hid, 1)
        r, z = (gxr + ghr).sigmoid(), (gxz + ghz).sigmoid()
        nn = (gxn + r * ghn).tanh()
        rec.append((hp_t, r, z, nn, ghn))
        h = _put_rows(h, nn + z * (hp_t - nn))
    dh, dxs, dhs, hps = g_h, [], [], []
    for (off, n), (hp_t, r, z, nn, ghn) in zip(reversed(steps), reversed(rec)):
        d = _rows(dh, n)
        if g_hs is not None:
            d = d + _step(g_hs, off, n)
        dn = d * (1 - z) * (1 - nn * nn)
        dr = dn * ghn * r * (1 - r)
        dz = d * (hp_t - nn) * z * (1 - z)
        dgh = cat([dr, dz, dn * r], 1)
        dxs.append((off, cat([dr, dz, dn], 1)))
        dhs.append((off, dgh))
        hps.append((off, hp_t))
        dh = _put_rows(dh, d * z + dgh.mm(w))
    dgh_all = _by_offset(dhs)
    return (_by_offset(dxs) if needs[0] else None, dh if needs[1] else None,
            dgh_all.t().mm(_by_offset(hps)) if needs[2] else None,
            dgh_all.sum(0) if b is not None and needs[3] else None)


class GRUSequence(Function):
    """per step: r,z = s(gx + h W^T + b); n = tanh(gx_n + r (h W_n^T + b_n)); h = n + z (h - n);  dW = dgh^T h"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, gx, h0, w, b, steps):
        self.steps = steps
        hs, h, self.stash = _gru_forward(gx, h0, w, b, steps)
        return hs, h

    def backward(self, g_hs, g_h):
        return self.xp.gru_backward(self.stash, self.saved(), (g_hs, g_h), self.steps, _needs(self))

    def attrs(self):
        return {"steps": len(self.steps)}


class GRUCellFused(Function):
    """r,z = s(gx + h W^T + b); n = tanh(gx_n + r (h W_n^T + b_n)); h' = n + z (h - n);  dh = dh' z + dgh W"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, gx, h, w, b):
        self.steps = ((0, gx.shape[0]),)
        hs, _, self.stash = _gru_forward(gx, h, w, b, self.steps)
        return hs

    def backward(self, g):
        return self.xp.gru_backward(self.stash, self.saved(), (None, g), self.steps, _needs(self))


def gru_sequence(gx: Tensor, h0: Tensor, w_hh: Tensor, b_hh: Tensor | None = None, batch_sizes: Any = None,
                 reverse: bool = False) -> tuple:
    """The GRU recurrence over time-major rows gx = x W_ih^T + b_ih (gates r, z, n): (outputs, h_T)."""
    _check("gru_sequence", 3, gx, h0, w_hh, b_hh)
    steps = _steps("gru_sequence", gx.shape[0], h0.shape[0], batch_sizes, reverse)
    return GRUSequence.apply(gx, h0, w_hh, b_hh, steps=steps)


def gru_cell(gx: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None = None) -> Tensor:
    """One GRU step from gx = x W_ih^T + b_ih: h'."""
    _check("gru_cell", 3, gx, h, w_hh, b_hh)
    return GRUCellFused.apply(gx, h, w_hh, b_hh)


# ---------------------------------------------------------------------- Elman RNN (tanh or relu)
def _rnn_forward(gx: np.ndarray, h0: np.ndarray, w: np.ndarray, b: Any, relu: bool, steps: tuple) -> tuple:
    n_rows, hid, dt = gx.shape[0], h0.shape[1], gx.dtype
    wt = _wt(w, steps)
    hp, hs = np.empty((n_rows, hid), dt), np.empty((n_rows, hid), dt)
    h = np.array(h0, dt, order="C")
    with small_products(("rnn", dt.str, h.shape, wt.shape), len(steps)):  # one small GEMM a step
        for off, n in steps:
            rows = slice(off, off + n)
            hp_t, out = hp[rows], hs[rows]
            hp_t[...] = h[:n]
            np.matmul(hp_t, wt, out=out)
            out += gx[rows]
            if b is not None:
                out += b
            if relu:
                np.maximum(out, 0, out=out)
            else:
                np.tanh(out, out=out)
            h[:n] = out
    # the activation's derivative for all steps at once, from the output (as PyTorch's tanh/relu backward)
    fac = (hs > 0).astype(dt) if relu else 1 - hs * hs
    return hs, h, (fac, hp)


def _rnn_backward_np(stash: tuple, saved: Any, grads: tuple, steps: tuple, needs: tuple) -> tuple:
    fac, hp = stash
    w, b = saved[2], saved[3]
    g_hs, g_h = grads
    dp = np.empty_like(fac)  # the pre-activation gradients: the gradient of gx
    dh = np.array(g_h, fac.dtype, order="C")
    last = len(steps) - 1
    with small_products(("rnn_back", fac.dtype.str, dh.shape, w.shape), len(steps)):  # one small GEMM a step
        for k, (off, n) in enumerate(reversed(steps)):
            rows = slice(off, off + n)
            d = dh[:n]
            if g_hs is not None:
                d += g_hs[rows]
            np.multiply(d, fac[rows], out=dp[rows])
            if k < last or needs[1]:
                np.matmul(dp[rows], w, out=d)
    return (dp if needs[0] else None, dh if needs[1] else None, dp.T @ hp if needs[2] else None,
            dp.sum(0) if b is not None and needs[3] else None)


def _rnn_backward_t(relu: bool, saved: Any, grads: tuple, steps: tuple, needs: tuple) -> tuple:
    gx, h0, w, b = saved
    g_hs, g_h = grads
    wt = w.t()
    h, rec = h0, []
    for off, n in steps:
        hp_t = _rows(h, n)
        pre = _step(gx, off, n) + hp_t.mm(wt)
        if b is not None:
            pre = pre + b
        h_new = pre.relu() if relu else pre.tanh()
        rec.append((hp_t, h_new))
        h = _put_rows(h, h_new)
    dh, dps, hps = g_h, [], []
    for (off, n), (hp_t, h_new) in zip(reversed(steps), reversed(rec)):
        d = _rows(dh, n)
        if g_hs is not None:
            d = d + _step(g_hs, off, n)
        dp = d * (h_new > 0) if relu else d * (1 - h_new * h_new)
        dps.append((off, dp))
        hps.append((off, hp_t))
        dh = _put_rows(dh, dp.mm(w))
    dp_all = _by_offset(dps)
    return (dp_all if needs[0] else None, dh if needs[1] else None,
            dp_all.t().mm(_by_offset(hps)) if needs[2] else None,
            dp_all.sum(0) if b is not None and needs[3] else None)


class RNNSequence(Function):
    """per step: h = act(gx + h W^T + b), act tanh or relu;  dpre = dh act'(h), dh_prev = dpre W, dW = dpre^T h"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, gx, h0, w, b, steps, relu):
        self.steps, self.relu = steps, relu
        hs, h, self.stash = _rnn_forward(gx, h0, w, b, relu, steps)
        return hs, h

    def backward(self, g_hs, g_h):
        return self.xp.rnn_backward((self.stash, self.relu), self.saved(), (g_hs, g_h), self.steps, _needs(self))

    def attrs(self):
        return {"steps": len(self.steps)} | ({"nonlinearity": "relu"} if self.relu else {})


class RNNCellFused(Function):
    """h' = act(gx + h W^T + b), act tanh or relu;  dpre = g act'(h'), dgx = dpre, dh = dpre W, dW = dpre^T h"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, gx, h, w, b, relu):
        self.steps, self.relu = ((0, gx.shape[0]),), relu
        hs, _, self.stash = _rnn_forward(gx, h, w, b, relu, self.steps)
        return hs

    def backward(self, g):
        return self.xp.rnn_backward((self.stash, self.relu), self.saved(), (None, g), self.steps, _needs(self))

    def attrs(self):
        return {"nonlinearity": "relu"} if self.relu else {}


def _nonlinearity(nonlinearity: str) -> bool:
    if nonlinearity not in ("tanh", "relu"):
        raise RuntimeError(f"Unknown nonlinearity: {nonlinearity}")
    return nonlinearity == "relu"


def rnn_sequence(gx: Tensor, h0: Tensor, w_hh: Tensor, b_hh: Tensor | None = None, batch_sizes: Any = None,
                 reverse: bool = False, nonlinearity: str = "tanh") -> tuple:
    """The Elman recurrence over time-major rows gx = x W_ih^T + b_ih: (outputs, h_T)."""
    _check("rnn_sequence", 1, gx, h0, w_hh, b_hh)
    steps = _steps("rnn_sequence", gx.shape[0], h0.shape[0], batch_sizes, reverse)
    return RNNSequence.apply(gx, h0, w_hh, b_hh, steps=steps, relu=_nonlinearity(nonlinearity))


def rnn_cell(gx: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None = None, nonlinearity: str = "tanh") -> Tensor:
    """One Elman step from gx = x W_ih^T + b_ih: h'."""
    _check("rnn_cell", 1, gx, h, w_hh, b_hh)
    return RNNCellFused.apply(gx, h, w_hh, b_hh, relu=_nonlinearity(nonlinearity))


# ---------------------------------------------------------------------- the backwards' two twins
# first argument: the forward's buffers (ndarray twin) -- the Tensor twin recomputes them from the inputs
define("lstm_backward", _lstm_backward_np, _lstm_backward_t)
define("gru_backward", _gru_backward_np, _gru_backward_t)
define("rnn_backward", lambda st, *a: _rnn_backward_np(st[0], *a), lambda st, *a: _rnn_backward_t(st[1], *a))
