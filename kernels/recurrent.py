"""One LSTM time step's elementwise work, forward and backward, fused into one compiled call per step.

The caller computes the step's matrix product (``gates[rows] = h @ W_hh^T``, ``dh = dgates @ W_hh``) with
numpy's BLAS; these kernels do everything around it. Forward, per element of the step's ``(n, H)`` block:

    z = gates + gx + b;  i, f, o = sigmoid(z_i, z_f, z_o);  g = tanh(z_g)
    c' = f c + i g;  tc = tanh(c');  out = o tc            (gates is overwritten by i, f, g, o)

backward, with d = dh + dhs (the gradient of the step's output) and dc the running cell gradient:

    dc += d o (1 - tc^2);  dg_i = dc g i (1 - i);  dg_f = dc c f (1 - f);  dg_g = dc i (1 - g^2)
    dg_o = d tc o (1 - o);  dc <- dc f          (c the cell state before the step)

Arrays are the whole sequence's time-major ``(rows, ...)`` buffers with the step at row offset ``off``; the
running state (``c``, ``h``, ``dh``, ``dc``) is ``(batch, H)`` and the step uses its first ``n`` rows.

Why numba: numpy spends most of a step in a dozen calls on arrays of a few thousand elements, each
about as long as its loop (LSTM LM at batch 20, hidden 256: ~50 us of elementwise work per step beside
a ~130 us product). The compiled step is a few vectorised loops, ~10 us. It needs a vectorisable exp: numba calls
libm's scalar expf (~2.4 ns an element, no faster than numpy), so float32 uses ``_exp_parts`` below
(Cody-Waite reduction and a degree-8 Taylor polynomial: within 3 ulp of the exact sigmoid and tanh over
2 million float32 in [-30, 30] and the 4096 around each of 0, +-1/2 and +-1, tests/test_kernels_recurrent.py).
Other dtypes run the numpy twin. The backward has no transcendental functions and is compiled for
every float dtype.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import float32, int32, njit, uint64

from ._cache import cached_njit
from ._llvm import float32_from_bits, fma

_LOG2E = float32(1.4426950408889634)
# ln 2 split in two (Cody-Waite): the high part has trailing zero bits, so n * _LN2_HI is exact for |n| < 2**9
_LN2_HI = float32(0.693145751953125)
_LN2_LO = float32(1.428606765330187e-06)
# exp(y) is exact enough for these uses below -86 (sigmoid and tanh take 1 + exp or 2 + expm1 of it, and
# the smallest normal 2**-126 needs n - 1 >= -126); above 89 it is +inf either way
_Y_MIN, _Y_MAX = float32(-86.0), float32(89.0)
_C = tuple(float32(1.0 / math.factorial(k)) for k in range(2, 9))  # 1/2!, ..., 1/8!

# The helpers are inlined into the cached kernels at numba's IR level (inline="always"): as cached_njit
# functions of their own they would stay calls, and a loop with a call in it is not vectorised (4-5x slower).


@njit(error_model="numpy", inline="always")
def _exp_parts(y):
    """(h, q) with exp(y) = 2 (h + h q) and expm1(y) = 2 h q + (2 h - 1): h = 2**(n-1), q = expm1(y - n ln 2).

    2**(n-1) rather than 2**n so that the largest n (128, from y near 89) is a normal float32; the
    caller's factor 2 then overflows to inf exactly when exp(y) does."""
    y = min(max(y, _Y_MIN), _Y_MAX)
    n = np.floor(y * _LOG2E + float32(0.5))
    r = fma(-n, _LN2_HI, y)
    r = fma(-n, _LN2_LO, r)  # |r| <= ln(2)/2 + a little: the series' next term is below 2**-31
    p = fma(r, _C[6], _C[5])
    p = fma(r, p, _C[4])
    p = fma(r, p, _C[3])
    p = fma(r, p, _C[2])
    p = fma(r, p, _C[1])
    p = fma(r, p, _C[0])
    p = fma(r, p, float32(1.0))
    h = float32_from_bits((int32(n) + int32(126)) << int32(23))
    return h, r * p


@njit(error_model="numpy", inline="always")
def _sigmoid32(x):
    """1 / (1 + exp(-x)); nan stays nan."""
    h, q = _exp_parts(-x)
    s = float32(1.0) / (float32(1.0) + float32(2.0) * fma(h, q, h))
    return x if x != x else s


@njit(error_model="numpy", inline="always")
def _tanh32(x):
    """tanh(x) = -expm1(-2|x|) / (2 + expm1(-2|x|)) with x's sign (no cancellation near 0); nan stays nan."""
    h, q = _exp_parts(float32(-2.0) * abs(x))
    h2 = float32(2.0) * h
    em = fma(h2, q, h2 - float32(1.0))
    t = math.copysign(-em / (float32(2.0) + em), x)
    return x if x != x else t


# The compiled steps take flat (1-D) views and unsigned offsets: numba checks every signed index for
# wraparound, and that check keeps the loops scalar. Row r of the step is row off + r of the sequence's
# buffers (gate rows 4H wide, state rows H wide) and row r of the running state. Each step is three short
# loops rather than one: LLVM vectorises a loop only after checking at run time that the arrays it writes
# do not overlap the others, and gives up beyond 8 such checks (one loop over all nine arrays stays
# scalar, 4x slower).


@cached_njit(error_model="numpy")
def _forward32(gates, gx, b, off, n, hid, c, cp, tc, out):
    # every offset uint64 (a signed int times a uint64 is a float64 to numba)
    hu, h2, h3, wu = uint64(hid), uint64(2 * hid), uint64(3 * hid), uint64(4 * hid)
    for r in range(n):
        zr = uint64(off + r) * wu  # the step's gate row in the sequence's buffers
        sr = uint64(off + r) * hu  # ... its state row
        cr = uint64(r) * hu  # ... and its row of the running state
        for ju in range(h2):  # pre-activations, activated in place: i and f by sigmoid
            gates[zr + ju] = _sigmoid32(gates[zr + ju] + gx[zr + ju] + b[ju])
        for ju in range(hu):  # g by tanh, o by sigmoid
            k, m = zr + h2 + ju, zr + h3 + ju
            gates[k] = _tanh32(gates[k] + gx[k] + b[h2 + ju])
            gates[m] = _sigmoid32(gates[m] + gx[m] + b[h3 + ju])
        for ju in range(hu):  # c' = f c + i g, tanh(c')
            cv = c[cr + ju]
            cp[sr + ju] = cv
            cn = gates[zr + hu + ju] * cv + gates[zr + ju] * gates[zr + h2 + ju]
            c[cr + ju] = cn
            tc[sr + ju] = _tanh32(cn)
        for ju in range(hu):  # h' = o tanh(c')
            out[sr + ju] = gates[zr + h3 + ju] * tc[sr + ju]


@cached_njit(error_model="numpy")
def _backward_body(gates, tc, cp, dhs, off, n, hid, dh, dc, dg):
    hu, h2, h3, wu = uint64(hid), uint64(2 * hid), uint64(3 * hid), uint64(4 * hid)
    for r in range(n):
        zr, sr, cr = uint64(off + r) * wu, uint64(off + r) * hu, uint64(r) * hu
        # x - x y rather than x (1 - y): a literal 1 is an int64 to numba and would promote float32 to float64
        for ju in range(hu):  # dc += d o (1 - tc^2)
            d = dh[cr + ju] + dhs[sr + ju]
            o, t = gates[zr + h3 + ju], tc[sr + ju]
            dc[cr + ju] += d * (o - o * t * t)
        for ju in range(hu):  # the gate gradients
            d = dh[cr + ju] + dhs[sr + ju]
            i, f, g, o = gates[zr + ju], gates[zr + hu + ju], gates[zr + h2 + ju], gates[zr + h3 + ju]
            dcv = dc[cr + ju]
            dg[zr + ju] = dcv * g * (i - i * i)
            dg[zr + hu + ju] = dcv * cp[sr + ju] * (f - f * f)
            dg[zr + h2 + ju] = dcv * (i - i * g * g)
            dg[zr + h3 + ju] = d * tc[sr + ju] * (o - o * o)
        for ju in range(hu):  # the cell gradient carried to the step before: dc f
            dc[cr + ju] *= gates[zr + hu + ju]


def _sigmoid_np(a: np.ndarray) -> None:
    """a <- 1 / (1 + exp(-a)) in place (exp overflows to inf far below 0: the limit 0, warning silenced)."""
    np.negative(a, out=a)
    with np.errstate(over="ignore"):
        np.exp(a, out=a)
    a += 1
    np.reciprocal(a, out=a)


def lstm_forward_step_np(gates: np.ndarray, gx: np.ndarray, b: np.ndarray, off: int, n: int, c: np.ndarray,
                         cp: np.ndarray, tc: np.ndarray, out: np.ndarray) -> None:
    """The forward step with numpy's ufuncs (the reference twin; every dtype)."""
    hid = c.shape[1]
    rows = slice(off, off + n)
    z = gates[rows]
    z += gx[rows]
    z += b
    zg = z[:, 2 * hid:3 * hid]
    g = np.tanh(zg)
    _sigmoid_np(z)
    zg[...] = g
    c_t = c[:n]
    cp[rows] = c_t
    c_t *= z[:, hid:2 * hid]
    c_t += z[:, :hid] * g
    np.tanh(c_t, out=tc[rows])
    np.multiply(z[:, 3 * hid:], tc[rows], out=out[rows])


def lstm_backward_step_np(gates: np.ndarray, tc: np.ndarray, cp: np.ndarray, dhs: np.ndarray, off: int, n: int,
                          dh: np.ndarray, dc: np.ndarray, dg: np.ndarray) -> None:
    """The backward step with numpy's ufuncs (the reference twin; every dtype)."""
    hid = dc.shape[1]
    rows = slice(off, off + n)
    d = dh[:n] + dhs[rows]
    z = gates[rows]
    i, f, g, o = z[:, :hid], z[:, hid:2 * hid], z[:, 2 * hid:3 * hid], z[:, 3 * hid:]
    t = tc[rows]
    dcv = dc[:n]
    dcv += d * o * (1 - t * t)
    out = dg[rows]
    np.multiply(dcv * g, i * (1 - i), out=out[:, :hid])
    np.multiply(dcv * cp[rows], f * (1 - f), out=out[:, hid:2 * hid])
    np.multiply(dcv * i, 1 - g * g, out=out[:, 2 * hid:3 * hid])
    np.multiply(d * t, o * (1 - o), out=out[:, 3 * hid:])
    dcv *= f


def _float32_only(*arrays: Any) -> bool:
    return all(a.dtype == np.float32 for a in arrays)


def _flat_ok(*arrays: Any) -> bool:
    """Every array C-contiguous, so that its flat view shares its memory (the kernels write through them)."""
    return all(a.flags.c_contiguous for a in arrays)


def lstm_forward_step(gates: np.ndarray, gx: np.ndarray, b: np.ndarray, off: int, n: int, c: np.ndarray,
                      cp: np.ndarray, tc: np.ndarray, out: np.ndarray) -> None:
    """The forward step compiled for float32 C-contiguous buffers; the numpy twin otherwise."""
    arrays = (gates, gx, b, c, cp, tc, out)
    if _float32_only(*arrays) and _flat_ok(*arrays):
        _forward32(gates.reshape(-1), gx.reshape(-1), b, off, n, c.shape[1], c.reshape(-1),
                   cp.reshape(-1), tc.reshape(-1), out.reshape(-1))
    else:
        lstm_forward_step_np(gates, gx, b, off, n, c, cp, tc, out)


def lstm_backward_step(gates: np.ndarray, tc: np.ndarray, cp: np.ndarray, dhs: np.ndarray, off: int, n: int,
                       dh: np.ndarray, dc: np.ndarray, dg: np.ndarray) -> None:
    """The backward step compiled (no transcendental functions: every float dtype); the numpy twin otherwise."""
    arrays = (gates, tc, cp, dhs, dh, dc, dg)
    if gates.dtype.kind == "f" and len({a.dtype for a in arrays}) == 1 and _flat_ok(*arrays):
        _backward_body(gates.reshape(-1), tc.reshape(-1), cp.reshape(-1), dhs.reshape(-1), off, n, dc.shape[1],
                       dh.reshape(-1), dc.reshape(-1), dg.reshape(-1))
    else:
        lstm_backward_step_np(gates, tc, cp, dhs, off, n, dh, dc, dg)


NUMBA = {"lstm_forward_step": lstm_forward_step, "lstm_backward_step": lstm_backward_step}
REFERENCE = {"lstm_forward_step": lstm_forward_step_np, "lstm_backward_step": lstm_backward_step_np}
