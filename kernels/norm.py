"""BatchNorm statistics, forward and backward over (N, C, L) arrays (L = flattened spatial dims).

Per channel: mean and biased variance over N*L elements (accumulated in float64, column partial sums),
``y = gamma * (x - mean) * invstd + beta``, running statistics ``r = (1 - momentum) r + momentum s``
(unbiased variance) updated in place; the backward uses
``dx = gamma * invstd / M * (M * g - sum(g) - xhat * sum(g * xhat))``. x-hat is recomputed from x
in the backward instead of being stored (one N*C*L array less to keep alive).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, uint64

_JIT = dict(cache=True, parallel=True, error_model="numpy")


_BLOCK = 1024  # columns of one channel summed at a time: two float64 rows of partial sums stay in L1
_MIN_COLUMNS = 8  # below this many columns per channel the partial-sum rows cost more than they save


# The two helpers below sum one channel (``sz`` elements at ``base + i*stride`` for each batch row i)
# of flat arrays. Per column, partial sums run down the batch; that update is elementwise over
# columns, so LLVM vectorises it without fastmath (one running sum would be a serial chain of float64
# adds). The columns are then added in order, so results are deterministic. Offsets are unsigned:
# numba checks every signed index for wraparound, and that check keeps loops scalar.


@njit(cache=True, error_model="numpy")
def _moments(a, base, n, stride, sz, shift, ps, pq):
    """sum(a - shift) and sum((a - shift)**2) over one channel."""
    s = q = 0.0
    if sz < _MIN_COLUMNS:  # (N, C)-like input: too few columns to vectorise over; plain running sums
        for i in range(n):
            for k in range(uint64(base + i * stride), uint64(base + i * stride + sz)):
                d = np.float64(a[k]) - shift
                s += d
                q += d * d
        return s, q
    st, n4 = uint64(stride), n - n % 4
    for k0 in range(0, sz, _BLOCK):
        w = uint64(min(_BLOCK, sz - k0))
        ps[:w] = 0.0
        pq[:w] = 0.0
        for i in range(0, n4, 4):  # four rows per update: a quarter of the partial-sum loads and stores
            o0 = uint64(base + i * stride + k0)
            o1 = o0 + st  # chained: a literal times st (2 * st) would be typed signed again
            o2 = o1 + st
            o3 = o2 + st
            for k in range(w):
                d0, d1 = np.float64(a[o0 + k]) - shift, np.float64(a[o1 + k]) - shift
                d2, d3 = np.float64(a[o2 + k]) - shift, np.float64(a[o3 + k]) - shift
                ps[k] += (d0 + d1) + (d2 + d3)
                pq[k] += (d0 * d0 + d1 * d1) + (d2 * d2 + d3 * d3)
        for i in range(n4, n):
            o0 = uint64(base + i * stride + k0)
            for k in range(w):
                d0 = np.float64(a[o0 + k]) - shift
                ps[k] += d0
                pq[k] += d0 * d0
        for k in range(w):
            s += ps[k]
            q += pq[k]
    return s, q


@njit(cache=True, error_model="numpy")
def _co_sums(g, x, base, n, stride, sz, mu, ps, pq):
    """sum(g) and sum(g * (x - mu)) over one channel."""
    s = q = 0.0
    if sz < _MIN_COLUMNS:
        for i in range(n):
            for k in range(uint64(base + i * stride), uint64(base + i * stride + sz)):
                gv = np.float64(g[k])
                s += gv
                q += gv * (np.float64(x[k]) - mu)
        return s, q
    st, n4 = uint64(stride), n - n % 4
    for k0 in range(0, sz, _BLOCK):
        w = uint64(min(_BLOCK, sz - k0))
        ps[:w] = 0.0
        pq[:w] = 0.0
        for i in range(0, n4, 4):
            o0 = uint64(base + i * stride + k0)
            o1 = o0 + st
            o2 = o1 + st
            o3 = o2 + st
            for k in range(w):
                g0, g1 = np.float64(g[o0 + k]), np.float64(g[o1 + k])
                g2, g3 = np.float64(g[o2 + k]), np.float64(g[o3 + k])
                ps[k] += (g0 + g1) + (g2 + g3)
                pq[k] += ((g0 * (np.float64(x[o0 + k]) - mu) + g1 * (np.float64(x[o1 + k]) - mu))
                          + (g2 * (np.float64(x[o2 + k]) - mu) + g3 * (np.float64(x[o3 + k]) - mu)))
        for i in range(n4, n):
            o0 = uint64(base + i * stride + k0)
            for k in range(w):
                g0 = np.float64(g[o0 + k])
                ps[k] += g0
                pq[k] += g0 * (np.float64(x[o0 + k]) - mu)
        for k in range(w):
            s += ps[k]
            q += pq[k]
    return s, q


@njit(**_JIT)
def _bn_fwd(x, gamma, beta, eps, y, rmean, rvar, momentum):
    n, c, sz = x.shape
    m = n * sz
    xf, yf = x.reshape(-1), y.reshape(-1)
    mean = np.empty(c, dtype=np.float64)
    invstd = np.empty(c, dtype=np.float64)
    # Partial-sum rows for every channel, allocated once: per-channel allocations inside the loop cost
    # 30-60% of the kernel on (N, C) inputs, whose channels are a single column each.
    part = np.empty((c, 2, min(_BLOCK, sz) if sz >= _MIN_COLUMNS else 0))
    for ch in prange(c):  # channels are independent
        pa, pb = part[ch, 0], part[ch, 1]
        # Shifted sums of (x - x0) keep the one-pass variance free of catastrophic cancellation.
        shift = np.float64(xf[ch * sz])
        s, q = _moments(xf, ch * sz, n, c * sz, sz, shift, pa, pb)
        dm = s / m
        mu = shift + dm
        v = max(q / m - dm * dm, 0.0)
        inv = 1.0 / np.sqrt(v + eps)
        gm = np.float64(gamma[ch]) if gamma.size else 1.0
        bt = np.float64(beta[ch]) if beta.size else 0.0
        # y = x * a + c with the per-channel constants in x's dtype: the loop then runs in float32
        # SIMD lanes for float32 input instead of converting every element to float64.
        a = x.dtype.type(gm * inv)
        c0 = x.dtype.type(bt - mu * gm * inv)
        for b in range(n):
            o = uint64(b * c * sz + ch * sz)
            for k in range(o, o + uint64(sz)):
                yf[k] = xf[k] * a + c0
        mean[ch] = mu
        invstd[ch] = inv
        # Running statistics in place (as PyTorch's native kernel): the unbiased variance goes in.
        if rmean.size:
            rmean[ch] = (1.0 - momentum) * rmean[ch] + momentum * mu
        if rvar.size:
            rvar[ch] = (1.0 - momentum) * rvar[ch] + momentum * v * m / (m - 1)
    return y, mean, invstd


@njit(**_JIT)
def _bn_bwd(g, x, mean, invstd, gamma, dx):
    n, c, sz = x.shape
    m = n * sz
    xf, gf, df = x.reshape(-1), g.reshape(-1), dx.reshape(-1)
    dgamma = np.empty(c, dtype=x.dtype)
    dbeta = np.empty(c, dtype=x.dtype)
    part = np.empty((c, 2, min(_BLOCK, sz) if sz >= _MIN_COLUMNS else 0))
    for ch in prange(c):
        pa, pb = part[ch, 0], part[ch, 1]
        mu, inv = mean[ch], invstd[ch]
        sg, sgxc = _co_sums(gf, xf, ch * sz, n, c * sz, sz, mu, pa, pb)
        sgx = sgxc * inv
        scale = (np.float64(gamma[ch]) if gamma.size else 1.0) * inv / m
        # dx = scale * (m g - sg - xhat sgx) rearranged to A g + B x + C (constants in x's dtype)
        ca = x.dtype.type(scale * m)
        cb = x.dtype.type(-scale * inv * sgx)
        cc = x.dtype.type(scale * (inv * sgx * mu - sg))
        for b in range(n):
            o = uint64(b * c * sz + ch * sz)
            for k in range(o, o + uint64(sz)):
                df[k] = gf[k] * ca + xf[k] * cb + cc
        dgamma[ch] = sgx
        dbeta[ch] = sg
    return dx, dgamma, dbeta


# The wrappers below share one contract for both backends. x and g are (N, C, L); gamma and beta are
# per-channel vectors or None (1 and 0); running_mean / running_var are per-channel arrays updated in
# place, or None (not tracked). Per-channel outputs (mean, invstd) are float64; dgamma, dbeta and dx
# have x's dtype.


def _vec(v, dt):
    """A per-channel vector as a contiguous array of x's dtype (no copy when it already is); None -> empty."""
    return np.empty(0, dt) if v is None else np.ascontiguousarray(v, dtype=dt)


def batch_norm_forward_numba(x, gamma, beta, eps, running_mean=None, running_var=None, momentum=0.1):
    """-> (y, batch mean, invstd = 1 / sqrt(biased batch var + eps)); updates the running statistics."""
    x = np.ascontiguousarray(x)
    dt = x.dtype
    rm, rv = _vec(running_mean, dt), _vec(running_var, dt)
    out = _bn_fwd(x, _vec(gamma, dt), _vec(beta, dt), float(eps), np.empty_like(x), rm, rv, float(momentum))
    # A running statistic of another dtype or layout was updated in a converted copy: write it back.
    for dst, src in ((running_mean, rm), (running_var, rv)):
        if dst is not None and dst is not src:
            dst[...] = src
    return out


def batch_norm_backward_numba(g, x, mean, invstd, gamma):
    """-> (dx, dgamma, dbeta)."""
    x = np.ascontiguousarray(x)
    # dx allocated by numpy, not numba: the engine can then keep it as a .grad without copying
    return _bn_bwd(np.ascontiguousarray(g), x, mean, invstd, _vec(gamma, x.dtype), np.empty_like(x))


def batch_norm_forward_reference(x, gamma, beta, eps, running_mean=None, running_var=None, momentum=0.1):
    m = x.shape[0] * x.shape[2]
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=(0, 2))
    var = ((x64 - mean[None, :, None]) ** 2).mean(axis=(0, 2))
    inv = 1.0 / np.sqrt(var + eps)
    gamma = np.ones(x.shape[1]) if gamma is None else np.asarray(gamma, np.float64)
    beta = np.zeros(x.shape[1]) if beta is None else np.asarray(beta, np.float64)
    y = (x64 - mean[None, :, None]) * (gamma * inv)[None, :, None] + beta[None, :, None]
    if running_mean is not None:
        running_mean[...] = (1 - momentum) * running_mean + momentum * mean
    if running_var is not None:
        running_var[...] = (1 - momentum) * running_var + momentum * var * (m / (m - 1))
    return y.astype(x.dtype), mean, inv


def batch_norm_backward_reference(g, x, mean, invstd, gamma):
    m = x.shape[0] * x.shape[2]
    g64 = g.astype(np.float64)
    xh = (x.astype(np.float64) - mean[None, :, None]) * invstd[None, :, None]
    sg = g64.sum(axis=(0, 2))
    sgx = (g64 * xh).sum(axis=(0, 2))
    gamma = np.ones(x.shape[1]) if gamma is None else np.asarray(gamma, np.float64)
    dx = (gamma * invstd / m)[None, :, None] * (m * g64 - sg[None, :, None] - xh * sgx[None, :, None])
    return dx.astype(x.dtype), sgx.astype(x.dtype), sg.astype(x.dtype)


NUMBA = {"batch_norm_forward": batch_norm_forward_numba, "batch_norm_backward": batch_norm_backward_numba}
REFERENCE = {"batch_norm_forward": batch_norm_forward_reference,
             "batch_norm_backward": batch_norm_backward_reference}
