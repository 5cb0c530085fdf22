"""BatchNorm statistics, forward and backward over (N, C, L) arrays (L = flattened spatial dims).

Per channel: mean and biased variance over N*L elements (accumulated in float64, column partial sums),
``y = gamma * (x - mean) * invstd + beta``, running statistics ``r = (1 - momentum) r + momentum s``
(unbiased variance) updated in place; the backward uses
``dx = gamma * invstd / M * (M * g - sum(g) - xhat * sum(g * xhat))``. x-hat is recomputed from x
in the backward instead of being stored (one N*C*L array less to keep alive). Large outputs are
written with streaming stores (see _STREAM_BYTES).
"""

from __future__ import annotations

import numpy as np
from numba import prange, uint64

from ._arrays import kernel_array
from ._cache import cached_njit
from ._llvm import fma, store_fence, stream_copy

_JIT = dict(parallel=True, error_model="numpy")


_BLOCK = 1024  # columns of one channel summed at a time: two float64 rows of partial sums stay in L1
# Below this many columns per channel ((N, C) input: one), a channel is a strided gather, one element
# per cache line; those inputs take the "narrow" kernels, which walk whole rows instead.
_MIN_COLUMNS = 8
_MIN_BLOCK = 64  # fewest columns per task in the narrow kernels
# Outputs (y, dx) of at least this many bytes are written with streaming stores (_llvm.stream_copy):
# far beyond the cache, they save reading every output line in before writing it and keep the
# channel's input in cache between the sum pass and the write pass (kernels alone, fwd+bwd: -12% at
# 32x64x32x32, -5% at 64x16x28x28). Smaller outputs stay in cache for the next op, which reads them.
_STREAM_BYTES = 1 << 21


# The two helpers below sum one channel (``sz`` elements at ``base + i*stride`` for each batch row i)
# of flat arrays. Per column, partial sums run down the batch; that update is elementwise over
# columns, so LLVM vectorises it without fastmath (one running sum would be a serial chain of float64
# adds). The columns are then added in order, so results are deterministic. Offsets are unsigned:
# numba checks every signed index for wraparound, and that check keeps loops scalar.


@cached_njit(error_model="numpy")
def _moments(a, base, n, stride, sz, shift, ps, pq):
    """sum(a - shift) and sum((a - shift)**2) over one channel."""
    s = q = 0.0
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
                pq[k] = fma(d3, d3, fma(d2, d2, fma(d1, d1, fma(d0, d0, pq[k]))))
        for i in range(n4, n):
            o0 = uint64(base + i * stride + k0)
            for k in range(w):
                d0 = np.float64(a[o0 + k]) - shift
                ps[k] += d0
                pq[k] = fma(d0, d0, pq[k])
        for k in range(w):
            s += ps[k]
            q += pq[k]
    return s, q


@cached_njit(error_model="numpy")
def _co_sums(g, x, base, n, stride, sz, mu, ps, pq):
    """sum(g) and sum(g * (x - mu)) over one channel.

    Four rows are combined in x's dtype before the float64 partial sums (twice the SIMD lanes for
    float32: kernel -7 to -18%), around mx = mu rounded to x's dtype, where x - mx is exact or nearly.
    For float32, dgamma and dbeta then err by about eps32 * sqrt(sum of the squared terms) (measured:
    0.9-1.6 times that; PyTorch 2.13's float32 kernel 3-5 times, ~500 with a 1e3 offset in x); dx
    depends on these sums only through terms ~1/sqrt(N*L) of its size."""
    s = q = 0.0
    mx = x.dtype.type(mu)
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
                g0, g1, g2, g3 = g[o0 + k], g[o1 + k], g[o2 + k], g[o3 + k]
                ps[k] += np.float64((g0 + g1) + (g2 + g3))
                pq[k] += np.float64((g0 * (x[o0 + k] - mx) + g1 * (x[o1 + k] - mx))
                                    + (g2 * (x[o2 + k] - mx) + g3 * (x[o3 + k] - mx)))
        for i in range(n4, n):
            o0 = uint64(base + i * stride + k0)
            for k in range(w):
                ps[k] += np.float64(g[o0 + k])
                pq[k] += np.float64(g[o0 + k] * (x[o0 + k] - mx))
        for k in range(w):
            s += ps[k]
            q += pq[k]
    return s, q + (np.float64(mx) - mu) * s  # sum g (x - mx) + (mx - mu) sum g = sum g (x - mu)


# Narrow inputs: x seen as (N, W) rows, W = C * L. One task per group of consecutive channels whose
# columns span at least _MIN_BLOCK: per-column partial sums down the rows of its slab (the elementwise
# update again, four rows per update, every column summed in row order: deterministic), the channel
# statistics, then the output over the same slab, still in cache. One parallel region per kernel: each costs a thread
# wake-up, which dominates at (64, 256).


@cached_njit(error_model="numpy")
def _slab_sums(a, b, n, w, j0, j1, sa, sb, ps, pq):
    """For columns j0 <= j < j1 of flat (N, W) arrays a, b: ps[j] = sum_i (a[i, j] - sa[j]) and
    pq[j] = sum_i (a[i, j] - sa[j]) * (b[i, j] - sb[j])."""
    ps[j0:j1] = 0.0
    pq[j0:j1] = 0.0
    uw, n4 = uint64(w), n - n % 4
    for i in range(0, n4, 4):
        o0 = uint64(i * w)
        o1 = o0 + uw
        o2 = o1 + uw
        o3 = o2 + uw
        for j in range(uint64(j0), uint64(j1)):
            s, t = sa[j], sb[j]
            d0, d1 = np.float64(a[o0 + j]) - s, np.float64(a[o1 + j]) - s
            d2, d3 = np.float64(a[o2 + j]) - s, np.float64(a[o3 + j]) - s
            ps[j] += (d0 + d1) + (d2 + d3)
            pq[j] = fma(d3, np.float64(b[o3 + j]) - t, fma(d2, np.float64(b[o2 + j]) - t,
                        fma(d1, np.float64(b[o1 + j]) - t, fma(d0, np.float64(b[o0 + j]) - t, pq[j]))))
    for i in range(n4, n):
        o = uint64(i * w)
        for j in range(uint64(j0), uint64(j1)):
            d = np.float64(a[o + j]) - sa[j]
            ps[j] += d
            pq[j] = fma(d, np.float64(b[o + j]) - sb[j], pq[j])


@cached_njit(error_model="numpy")
def _channel_total(ps, pq, lo, hi):
    """sum(ps[lo:hi]) and sum(pq[lo:hi]), the columns added in order."""
    s = q = 0.0
    for j in range(lo, hi):
        s += ps[j]
        q += pq[j]
    return s, q


@cached_njit(error_model="numpy")
def _slab_affine(g, x, n, w, j0, j1, pa, pm, pb, pc, out):
    """out[i, j] = g[i, j] pa[j] + (x[i, j] - pm[j]) pb[j] + pc[j] for columns j0 <= j < j1 (g None: no g term)."""
    for i in range(n):
        o = uint64(i * w)
        if g is None:
            for j in range(uint64(j0), uint64(j1)):
                out[o + j] = (x[o + j] - pm[j]) * pb[j] + pc[j]
        else:
            for j in range(uint64(j0), uint64(j1)):
                out[o + j] = g[o + j] * pa[j] + (x[o + j] - pm[j]) * pb[j] + pc[j]


# Both passes write y and dx with x centred on the mean rounded to x's dtype, mx: for float32 x - mx is
# exact or nearly (the two are close), where x * a + c would cancel two large terms when |mean| >> std
# (pixel values, un-normalised features). The rounding mean - mx goes into the constant.


@cached_njit(error_model="numpy")
def _channel_stats(x, ch, s, q, shift, m, eps, gamma, beta, rmean, rvar, momentum, mean, invstd):
    """From channel ch's shifted sums: store mean and invstd, update the running statistics in place
    (as PyTorch's native kernel: the unbiased variance goes in); -> (mx, a, c) in x's dtype for
    y = (x - mx) * a + c."""
    dm = s / m
    mu = shift + dm
    v = max(q / m - dm * dm, 0.0)
    inv = 1.0 / np.sqrt(v + eps)
    gm = np.float64(gamma[ch]) if gamma.size else 1.0
    bt = np.float64(beta[ch]) if beta.size else 0.0
    mean[ch] = mu
    invstd[ch] = inv
    if rmean.size:
        rmean[ch] = (1.0 - momentum) * rmean[ch] + momentum * mu
    if rvar.size:
        rvar[ch] = (1.0 - momentum) * rvar[ch] + momentum * v * m / (m - 1)
    mx = x.dtype.type(mu)
    return mx, x.dtype.type(gm * inv), x.dtype.type(bt + (np.float64(mx) - mu) * gm * inv)


@cached_njit(error_model="numpy")
def _channel_grads(x, ch, sg, sgxc, m, mean, invstd, gamma, dgamma, dbeta):
    """From channel ch's sum(g) and sum(g (x - mean)): store dgamma, dbeta; -> (A, mx, B, C) in x's dtype
    for dx = A g + B (x - mx) + C, the rearranged scale * (m g - sg - xhat sgx), scale = gamma invstd / m."""
    mu, inv = mean[ch], invstd[ch]
    sgx = sgxc * inv
    scale = (np.float64(gamma[ch]) if gamma.size else 1.0) * inv / m
    dgamma[ch] = sgx
    dbeta[ch] = sg
    b = -scale * inv * sgx
    mx = x.dtype.type(mu)
    return x.dtype.type(scale * m), mx, x.dtype.type(b), x.dtype.type(b * (np.float64(mx) - mu) - scale * sg)


@cached_njit(error_model="numpy")
def _affine(g, x, o, w, ca, mx, cb, cc, out, p):
    """out[p + k] = g[o + k] ca + (x[o + k] - mx) cb + cc for k < w (g None: no g term)."""
    if g is None:
        for k in range(w):
            out[p + k] = (x[o + k] - mx) * cb + cc
    else:
        for k in range(w):
            out[p + k] = g[o + k] * ca + (x[o + k] - mx) * cb + cc


@cached_njit(error_model="numpy")
def _write_channel(g, x, n, stride, base, sz, ca, mx, cb, cc, out, buf, stream):
    """_affine over one channel's n rows of sz elements (at base + i * stride); with stream, each
    block of a row goes through buf (in L1) and on to out with streaming stores."""
    for i in range(n):
        o = uint64(base + i * stride)
        if stream:
            for k0 in range(uint64(0), uint64(sz), uint64(_BLOCK)):
                w = min(uint64(_BLOCK), uint64(sz) - k0)
                _affine(g, x, o + k0, w, ca, mx, cb, cc, buf, uint64(0))
                stream_copy(out, o + k0, buf, w)
        else:
            _affine(g, x, o, uint64(sz), ca, mx, cb, cc, out, o)
    if stream:
        store_fence()


@cached_njit(**_JIT)
def _bn_fwd(x, gamma, beta, eps, y, rmean, rvar, momentum, stream):
    n, c, sz = x.shape
    m = n * sz
    xf, yf = x.reshape(-1), y.reshape(-1)
    mean = np.empty(c, dtype=np.float64)
    invstd = np.empty(c, dtype=np.float64)
    # Partial-sum rows for every channel, allocated once (not per channel inside the loop).
    part = np.empty((c, 2, min(_BLOCK, sz)))
    buf = np.empty((c, min(_BLOCK, sz) if stream else 0), dtype=x.dtype)  # staging rows for streaming stores
    for ch in prange(c):  # channels are independent
        # Shifted sums of (x - x0), x0 = the channel's first element, keep the one-pass variance free
        # of catastrophic cancellation.
        shift = np.float64(xf[ch * sz])
        s, q = _moments(xf, ch * sz, n, c * sz, sz, shift, part[ch, 0], part[ch, 1])
        # constants in x's dtype: the loop runs in float32 SIMD lanes for float32 input
        mx, a, c0 = _channel_stats(x, ch, s, q, shift, m, eps, gamma, beta, rmean, rvar, momentum, mean, invstd)
        _write_channel(None, xf, n, c * sz, ch * sz, sz, a, mx, a, c0, yf, buf[ch], stream)
    return y, mean, invstd


@cached_njit(**_JIT)
def _bn_fwd_narrow(x, gamma, beta, eps, y, rmean, rvar, momentum):
    """_bn_fwd for narrow x: one task per group of channels, see _slab_sums."""
    n, c, sz = x.shape
    m, w, grp = n * sz, c * sz, max(1, _MIN_BLOCK // sz)
    xf, yf = x.reshape(-1), y.reshape(-1)
    mean = np.empty(c, dtype=np.float64)
    invstd = np.empty(c, dtype=np.float64)
    sh, ps, pq = np.empty(w), np.empty(w), np.empty(w)
    pm, pa, pc = np.empty(w, dtype=x.dtype), np.empty(w, dtype=x.dtype), np.empty(w, dtype=x.dtype)
    for t in prange((c + grp - 1) // grp):
        c0, c1 = t * grp, min(c, t * grp + grp)
        for j in range(c0 * sz, c1 * sz):
            sh[j] = xf[(j // sz) * sz]
        _slab_sums(xf, xf, n, w, c0 * sz, c1 * sz, sh, sh, ps, pq)
        for ch in range(c0, c1):
            s, q = _channel_total(ps, pq, ch * sz, ch * sz + sz)
            mx, a, cc = _channel_stats(x, ch, s, q, sh[ch * sz], m, eps, gamma, beta, rmean, rvar, momentum,
                                       mean, invstd)
            for j in range(ch * sz, ch * sz + sz):
                pm[j], pa[j], pc[j] = mx, a, cc
        _slab_affine(None, xf, n, w, c0 * sz, c1 * sz, pa, pm, pa, pc, yf)
    return y, mean, invstd


@cached_njit(**_JIT)
def _bn_bwd(g, x, mean, invstd, gamma, dx, stream):
    n, c, sz = x.shape
    m = n * sz
    xf, gf, df = x.reshape(-1), g.reshape(-1), dx.reshape(-1)
    dgamma = np.empty(c, dtype=x.dtype)
    dbeta = np.empty(c, dtype=x.dtype)
    part = np.empty((c, 2, min(_BLOCK, sz)))
    buf = np.empty((c, min(_BLOCK, sz) if stream else 0), dtype=x.dtype)
    for ch in prange(c):
        sg, sgxc = _co_sums(gf, xf, ch * sz, n, c * sz, sz, mean[ch], part[ch, 0], part[ch, 1])
        ca, mx, cb, cc = _channel_grads(x, ch, sg, sgxc, m, mean, invstd, gamma, dgamma, dbeta)
        _write_channel(gf, xf, n, c * sz, ch * sz, sz, ca, mx, cb, cc, df, buf[ch], stream)
    return dx, dgamma, dbeta


@cached_njit(**_JIT)
def _bn_bwd_narrow(g, x, mean, invstd, gamma, dx):
    """_bn_bwd for narrow x."""
    n, c, sz = x.shape
    m, w, grp = n * sz, c * sz, max(1, _MIN_BLOCK // sz)
    xf, gf, df = x.reshape(-1), g.reshape(-1), dx.reshape(-1)
    dgamma = np.empty(c, dtype=x.dtype)
    dbeta = np.empty(c, dtype=x.dtype)
    zero, mc, ps, pq = np.zeros(w), np.empty(w), np.empty(w), np.empty(w)
    pa, pm = np.empty(w, dtype=x.dtype), np.empty(w, dtype=x.dtype)
    pb, pc = np.empty(w, dtype=x.dtype), np.empty(w, dtype=x.dtype)
    for t in prange((c + grp - 1) // grp):
        c0, c1 = t * grp, min(c, t * grp + grp)
        for j in range(c0 * sz, c1 * sz):
            mc[j] = mean[j // sz]
        _slab_sums(gf, xf, n, w, c0 * sz, c1 * sz, zero, mc, ps, pq)
        for ch in range(c0, c1):
            sg, sgxc = _channel_total(ps, pq, ch * sz, ch * sz + sz)
            ca, mx, cb, cc = _channel_grads(x, ch, sg, sgxc, m, mean, invstd, gamma, dgamma, dbeta)
            for j in range(ch * sz, ch * sz + sz):
                pa[j], pm[j], pb[j], pc[j] = ca, mx, cb, cc
        _slab_affine(gf, xf, n, w, c0 * sz, c1 * sz, pa, pm, pb, pc, df)
    return dx, dgamma, dbeta


# The wrappers below share one contract for both backends. x and g are (N, C, L); gamma and beta are
# per-channel vectors or None (1 and 0); running_mean / running_var are per-channel arrays updated in
# place, or None (not tracked). Per-channel outputs (mean, invstd) are float64; dgamma, dbeta and dx
# have x's dtype.


def _vec(v, dt):
    """A per-channel vector as a contiguous array of x's dtype (no copy when it already is); None -> empty."""
    return np.empty(0, dt) if v is None else np.ascontiguousarray(v, dtype=dt)


def _empty_forward(x):
    """An input without elements (N = 0, L = 0 or C = 0) has no statistics: as PyTorch, the output is
    empty and the running statistics are left alone (the kernels would divide by M = 0)."""
    nan = np.full(x.shape[1], np.nan)
    return np.empty_like(x), nan, nan.copy()


def _empty_backward(x, dt):
    return np.empty_like(x), np.zeros(x.shape[1], dt), np.zeros(x.shape[1], dt)


def batch_norm_forward_numba(x, gamma, beta, eps, running_mean=None, running_var=None, momentum=0.1):
    """-> (y, batch mean, invstd = 1 / sqrt(biased batch var + eps)); updates the running statistics."""
    x = kernel_array(x, "batch_norm_forward")
    if x.size == 0:
        return _empty_forward(x)
    dt = x.dtype
    rm, rv = _vec(running_mean, dt), _vec(running_var, dt)
    # narrow inputs get their own kernels, compiled only when first met (BatchNorm1d after a Linear)
    narrow = x.shape[2] < _MIN_COLUMNS
    y = np.empty_like(x)
    args = (x, _vec(gamma, dt), _vec(beta, dt), float(eps), y, rm, rv, float(momentum))
    out = _bn_fwd_narrow(*args) if narrow else _bn_fwd(*args, y.nbytes >= _STREAM_BYTES)
    # A running statistic of another dtype or layout was updated in a converted copy: write it back.
    for dst, src in ((running_mean, rm), (running_var, rv)):
        if dst is not None and dst is not src:
            dst[...] = src
    return out


def batch_norm_backward_numba(g, x, mean, invstd, gamma):
    """-> (dx, dgamma, dbeta)."""
    x = kernel_array(x, "batch_norm_backward")
    if x.size == 0:
        return _empty_backward(x, x.dtype)
    # dx allocated by numpy, not numba: the engine can then keep it as a .grad without copying
    args = (kernel_array(g, "batch_norm_backward"), x, mean, invstd, _vec(gamma, x.dtype), np.empty_like(x))
    if x.shape[2] < _MIN_COLUMNS:
        return _bn_bwd_narrow(*args)
    return _bn_bwd(*args, x.nbytes >= _STREAM_BYTES)


def batch_norm_forward_reference(x, gamma, beta, eps, running_mean=None, running_var=None, momentum=0.1):
    if x.size == 0:
        return _empty_forward(x)
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
    if x.size == 0:
        return _empty_backward(x, x.dtype)
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
