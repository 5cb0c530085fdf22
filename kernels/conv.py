"""im2col / col2im for convolutions (the GEMM itself is BLAS, via numpy's matmul).

Layout: ``x`` is (N, C, H, W), unpadded; ``cols`` is (C*kh*kw, N*Ho*Wo) with the row index
``(c*kh + i)*kw + j`` and column ``(n*Ho + ho)*Wo + wo``, holding x[n, c, ho*sh + i*dh - ph, wo*sw + j*dw - pw]
(zero outside the input: the padding is implicit, never materialised). One matrix for the whole
batch, so a convolution is a single large GEMM rather than N small ones. col2im is the adjoint: it
scatter-adds columns back into an (N, C, H, W) array.
"""

from __future__ import annotations

import numpy as np
from numba import prange, uint64

from ._arrays import kernel_array
from ._cache import cached_njit

_JIT = dict(parallel=True, error_model="numpy")


@cached_njit(error_model="numpy")
def _span(wo, w, sw, pw, off):
    """Output columns ox whose input column ox*sw + off - pw lies inside [0, w): lo <= hi <= wo.

    Both ends are clamped to [0, wo]: when every column reads padding, the first in-range column lies
    past the last output (e.g. w = 1, pw = 2, off = 0: lo = 2 > wo = 1), and the callers zero the
    margins [0, lo) and [hi, wo) of each output row, so an unclamped lo overran into the next image."""
    lo = min(wo, max(0, -((off - pw) // sw)))
    hi = min(wo, (w - 1 + pw - off) // sw + 1)
    return lo, max(lo, hi)


# Offsets below are unsigned and flat: numba checks every signed index for wraparound, and that check
# keeps the short inner copies scalar (measured 2x slower on the LeNet shapes).


@cached_njit(error_model="numpy")
def _copy_rows(src, s0, sstep, sw, dst, d0, dstep, nrows, ncols):
    """dst[d0 + r*dstep + t] = src[s0 + r*sstep + t*sw] for r < nrows, t < ncols."""
    for r in range(uint64(nrows)):
        s = uint64(s0) + r * uint64(sstep)
        d = uint64(d0) + r * uint64(dstep)
        if sw == 1:  # contiguous: a vectorised copy
            for t in range(uint64(ncols)):
                dst[d + t] = src[s + t]
        else:
            usw = uint64(sw)
            for t in range(uint64(ncols)):
                dst[d + t] = src[s + t * usw]


@cached_njit(error_model="numpy")
def _add_rows(src, s0, sstep, dst, d0, dstep, sw, nrows, ncols):
    """dst[d0 + r*dstep + t*sw] += src[s0 + r*sstep + t] for r < nrows, t < ncols."""
    for r in range(uint64(nrows)):
        s = uint64(s0) + r * uint64(sstep)
        d = uint64(d0) + r * uint64(dstep)
        if sw == 1:
            for t in range(uint64(ncols)):
                dst[d + t] += src[s + t]
        else:
            usw = uint64(sw)
            for t in range(uint64(ncols)):
                dst[d + t * usw] += src[s + t]


@cached_njit(**_JIT)
def _im2col_numba(x, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, cols):
    n, c, h, w = x.shape
    xf, cf = x.reshape(-1), cols.reshape(-1)
    L = ho * wo
    zero = cols.dtype.type(0)
    for t in prange(n * c):  # one (image, channel) plane fills its own rows' columns of that image
        b = t // c
        ch = t - b * c
        for i in range(kh):
            ylo, yhi = _span(ho, h, sh, ph, i * dh)  # output rows that read inside the image
            for j in range(kw):
                lo, hi = _span(wo, w, sw, pw, j * dw)
                d0 = ((ch * kh + i) * kw + j) * n * L + b * L
                # zeros where the window reads padding: whole rows above/below, then the side margins
                for e in range(uint64(d0), uint64(d0 + ylo * wo)):
                    cf[e] = zero
                for e in range(uint64(d0 + yhi * wo), uint64(d0 + L)):
                    cf[e] = zero
                if lo > 0 or hi < wo:
                    for oy in range(ylo, yhi):
                        e = uint64(d0 + oy * wo)
                        for q in range(uint64(lo)):
                            cf[e + q] = zero
                        for q in range(uint64(hi), uint64(wo)):
                            cf[e + q] = zero
                if hi > lo and yhi > ylo:
                    s0 = t * h * w + (ylo * sh + i * dh - ph) * w + lo * sw + j * dw - pw
                    _copy_rows(xf, s0, sh * w, sw, cf, d0 + ylo * wo + lo, wo, yhi - ylo, hi - lo)
    return cols


@cached_njit(**_JIT)
def _col2im_numba(cols, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, x):
    n, c, h, w = x.shape
    xf, cf = x.reshape(-1), cols.reshape(-1)
    L = ho * wo
    for t in prange(n * c):  # one (image, channel) plane receives only from its own rows and columns
        b = t // c
        ch = t - b * c
        for i in range(kh):
            ylo, yhi = _span(ho, h, sh, ph, i * dh)
            for j in range(kw):
                lo, hi = _span(wo, w, sw, pw, j * dw)
                if hi > lo and yhi > ylo:  # padding receives nothing
                    s0 = ((ch * kh + i) * kw + j) * n * L + b * L + ylo * wo + lo
                    d0 = t * h * w + (ylo * sh + i * dh - ph) * w + lo * sw + j * dw - pw
                    _add_rows(cf, s0, wo, xf, d0, sh * w, sw, yhi - ylo, hi - lo)
    return x


# The wrappers allocate outputs in numpy: an array numba allocates comes back as a view of a numba
# buffer, which the engine cannot prove unshared and so would copy before storing it as a .grad.
def im2col_numba(x, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo):
    x = kernel_array(x, "im2col")
    cols = np.empty((x.shape[1] * kh * kw, x.shape[0] * ho * wo), dtype=x.dtype)
    return _im2col_numba(x, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, cols)


def col2im_numba(cols, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo):
    cols = kernel_array(cols, "col2im")
    x = np.zeros((cols.shape[1] // (ho * wo), c, h, w), dtype=cols.dtype)
    return _col2im_numba(cols, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, x)


def _window_index(kh, kw, sh, sw, dh, dw, ho, wo):
    """(kh*kw, Ho*Wo) row and column indices into one padded image plane."""
    iy = (np.arange(kh)[:, None] * dh + np.arange(ho)[None, :] * sh)  # (kh, ho)
    ix = (np.arange(kw)[:, None] * dw + np.arange(wo)[None, :] * sw)  # (kw, wo)
    rows = np.broadcast_to(iy[:, None, :, None], (kh, kw, ho, wo)).reshape(kh * kw, ho * wo)
    colsi = np.broadcast_to(ix[None, :, None, :], (kh, kw, ho, wo)).reshape(kh * kw, ho * wo)
    return rows, colsi


def im2col_reference(x, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo):
    """numpy twin: zero-pad, then a fancy-index gather of every window."""
    n, c, h, w = x.shape
    hp, wp = max(h + ph, (ho - 1) * sh + (kh - 1) * dh + 1), max(w + pw, (wo - 1) * sw + (kw - 1) * dw + 1)
    xp = np.zeros((n, c, hp, wp), dtype=x.dtype)
    xp[:, :, ph:ph + h, pw:pw + w] = x
    rows, colsi = _window_index(kh, kw, sh, sw, dh, dw, ho, wo)
    win = xp[:, :, rows, colsi]  # (n, c, kh*kw, L)
    return np.ascontiguousarray(win.transpose(1, 2, 0, 3)).reshape(c * kh * kw, n * ho * wo)


def col2im_reference(cols, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo):
    """numpy twin: np.add.at scatter of every window into a padded array (overlaps accumulate), then crop."""
    n = cols.shape[1] // (ho * wo)
    hp, wp = max(h + ph, (ho - 1) * sh + (kh - 1) * dh + 1), max(w + pw, (wo - 1) * sw + (kw - 1) * dw + 1)
    rows, colsi = _window_index(kh, kw, sh, sw, dh, dw, ho, wo)
    xp = np.zeros((n, c, hp, wp), dtype=cols.dtype)
    per_image = cols.reshape(c, kh * kw, n, ho * wo).transpose(2, 0, 1, 3)
    np.add.at(xp, (slice(None), slice(None), rows, colsi), per_image)
    return np.ascontiguousarray(xp[:, :, ph:ph + h, pw:pw + w])


NUMBA = {"im2col": im2col_numba, "col2im": col2im_numba}
REFERENCE = {"im2col": im2col_reference, "col2im": col2im_reference}
