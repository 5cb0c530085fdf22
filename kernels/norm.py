"""BatchNorm statistics, forward and backward over (N, C, L) arrays (L = flattened spatial dims).

Per channel: mean and biased variance over N*L elements (accumulated in float64),
``y = gamma * (x - mean) * invstd + beta``; the backward uses
``dx = gamma * invstd / M * (M * g - sum(g) - xhat * sum(g * xhat))``. x-hat is recomputed from x
in the backward instead of being stored (one N*C*L array less to keep alive).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

_JIT = dict(cache=True, parallel=True, error_model="numpy")


@njit(cache=True, error_model="numpy")
def _sums(x, ch, shift):
    """sum(x - shift) and sum((x - shift)**2) over one channel, with four independent float64
    accumulators: without fastmath numba keeps the order of a single running sum, whose add
    latency (not memory) would then bound the whole kernel."""
    n, _, sz = x.shape
    a0 = a1 = a2 = a3 = 0.0
    q0 = q1 = q2 = q3 = 0.0
    for b in range(n):
        k = 0
        while k + 4 <= sz:
            d0 = x[b, ch, k] - shift
            d1 = x[b, ch, k + 1] - shift
            d2 = x[b, ch, k + 2] - shift
            d3 = x[b, ch, k + 3] - shift
            a0 += d0
            a1 += d1
            a2 += d2
            a3 += d3
            q0 += d0 * d0
            q1 += d1 * d1
            q2 += d2 * d2
            q3 += d3 * d3
            k += 4
        while k < sz:
            d0 = x[b, ch, k] - shift
            a0 += d0
            q0 += d0 * d0
            k += 1
    return (a0 + a1) + (a2 + a3), (q0 + q1) + (q2 + q3)


@njit(**_JIT)
def _bn_fwd(x, gamma, beta, eps, y):
    n, c, sz = x.shape
    m = n * sz
    mean = np.empty(c, dtype=np.float64)
    var = np.empty(c, dtype=np.float64)
    for ch in prange(c):  # channels are independent
        # Shifted single pass: sums of (x - x0) keep the variance free of catastrophic cancellation.
        shift = np.float64(x[0, ch, 0])
        s, q = _sums(x, ch, shift)
        dm = s / m
        mu = shift + dm
        v = max(q / m - dm * dm, 0.0)
        inv = 1.0 / np.sqrt(v + eps)
        # y = x * a + c with the per-channel constants in x's dtype: the loop then runs in float32
        # SIMD lanes for float32 input instead of converting every element to float64.
        a = x.dtype.type(gamma[ch] * inv)
        c0 = x.dtype.type(beta[ch] - mu * gamma[ch] * inv)
        for b in range(n):
            for k in range(sz):
                y[b, ch, k] = x[b, ch, k] * a + c0
        mean[ch] = mu
        var[ch] = v
    return y, mean, var


@njit(**_JIT)
def _bn_bwd(g, x, mean, invstd, gamma, dx):
    n, c, sz = x.shape
    m = n * sz
    dgamma = np.empty(c, dtype=np.float64)
    dbeta = np.empty(c, dtype=np.float64)
    for ch in prange(c):
        mu, inv = mean[ch], invstd[ch]
        s0 = s1 = t0 = t1 = 0.0
        for b in range(n):
            k = 0
            while k + 2 <= sz:
                g0 = np.float64(g[b, ch, k])
                g1 = np.float64(g[b, ch, k + 1])
                s0 += g0
                s1 += g1
                t0 += g0 * (x[b, ch, k] - mu)
                t1 += g1 * (x[b, ch, k + 1] - mu)
                k += 2
            if k < sz:
                g0 = np.float64(g[b, ch, k])
                s0 += g0
                t0 += g0 * (x[b, ch, k] - mu)
        sg = s0 + s1
        sgx = (t0 + t1) * inv
        scale = gamma[ch] * inv / m
        # dx = scale * (m g - sg - xhat sgx) rearranged to A g + B x + C (constants in x's dtype)
        ca = x.dtype.type(scale * m)
        cb = x.dtype.type(-scale * inv * sgx)
        cc = x.dtype.type(scale * (inv * sgx * mu - sg))
        for b in range(n):
            for k in range(sz):
                dx[b, ch, k] = g[b, ch, k] * ca + x[b, ch, k] * cb + cc
        dgamma[ch] = sgx
        dbeta[ch] = sg
    return dx, dgamma, dbeta


def batch_norm_forward_numba(x, gamma, beta, eps):
    """-> (y, batch mean, biased batch var); gamma/beta are per-channel float64 arrays."""
    x = np.ascontiguousarray(x)
    return _bn_fwd(x, gamma, beta, float(eps), np.empty_like(x))


def batch_norm_backward_numba(g, x, mean, invstd, gamma):
    """-> (dx, dgamma, dbeta)."""
    x = np.ascontiguousarray(x)
    # dx allocated by numpy, not numba: the engine can then keep it as a .grad without copying
    return _bn_bwd(np.ascontiguousarray(g), x, mean, invstd, gamma, np.empty_like(x))


def batch_norm_forward_reference(x, gamma, beta, eps):
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=(0, 2))
    var = ((x64 - mean[None, :, None]) ** 2).mean(axis=(0, 2))
    inv = 1.0 / np.sqrt(var + eps)
    y = (x64 - mean[None, :, None]) * (gamma * inv)[None, :, None] + beta[None, :, None]
    return y.astype(x.dtype), mean, var


def batch_norm_backward_reference(g, x, mean, invstd, gamma):
    m = x.shape[0] * x.shape[2]
    g64 = g.astype(np.float64)
    xh = (x.astype(np.float64) - mean[None, :, None]) * invstd[None, :, None]
    sg = g64.sum(axis=(0, 2))
    sgx = (g64 * xh).sum(axis=(0, 2))
    dx = (gamma * invstd / m)[None, :, None] * (m * g64 - sg[None, :, None] - xh * sgx[None, :, None])
    return dx.astype(x.dtype), sgx, sg


NUMBA = {"batch_norm_forward": batch_norm_forward_numba, "batch_norm_backward": batch_norm_backward_numba}
REFERENCE = {"batch_norm_forward": batch_norm_forward_reference,
             "batch_norm_backward": batch_norm_backward_reference}
