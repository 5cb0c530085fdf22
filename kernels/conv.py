"""im2col / col2im for convolutions (the GEMM itself is BLAS, via numpy's matmul).

Layout: ``x`` is (N, C, H, W), unpadded; ``cols`` is (C*kh*kw, N*Ho*Wo) with the row index
``(c*kh + i)*kw + j`` and column ``(n*Ho + ho)*Wo + wo``, holding x[n, c, ho*sh + i*dh - ph, wo*sw + j*dw - pw]
(zero outside the input: the padding is implicit, never materialised). One matrix for the whole
batch, so a convolution is a single large GEMM rather than N small ones. col2im is the adjoint: it
scatter-adds columns back into an (N, C, H, W) array.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

_JIT = dict(cache=True, parallel=True, error_model="numpy")


@njit(cache=True, error_model="numpy")
def _span(wo, w, sw, pw, off):
    """Output columns ox whose input column ox*sw + off - pw lies inside [0, w)."""
    lo = max(0, -((off - pw) // sw))
    hi = min(wo, (w - 1 + pw - off) // sw + 1)
    return lo, max(lo, hi)


@njit(**_JIT)
def _im2col_numba(x, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, cols):
    n, c, h, w = x.shape
    zero = cols.dtype.type(0)
    for b in prange(n):  # each image writes only its own columns
        for ch in range(c):
            for i in range(kh):
                for j in range(kw):
                    r = (ch * kh + i) * kw + j
                    lo, hi = _span(wo, w, sw, pw, j * dw)
                    xo = j * dw - pw
                    for oy in range(ho):
                        y = oy * sh + i * dh - ph
                        base = (b * ho + oy) * wo
                        if y < 0 or y >= h:  # a padding row
                            for ox in range(wo):
                                cols[r, base + ox] = zero
                            continue
                        for ox in range(lo):
                            cols[r, base + ox] = zero
                        for ox in range(lo, hi):
                            cols[r, base + ox] = x[b, ch, y, ox * sw + xo]
                        for ox in range(hi, wo):
                            cols[r, base + ox] = zero
    return cols


@njit(**_JIT)
def _col2im_numba(cols, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, x):
    n, c, h, w = x.shape
    for b in prange(n):  # images are independent: no two iterations add into one element
        for ch in range(c):
            for i in range(kh):
                for j in range(kw):
                    r = (ch * kh + i) * kw + j
                    lo, hi = _span(wo, w, sw, pw, j * dw)
                    xo = j * dw - pw
                    for oy in range(ho):
                        y = oy * sh + i * dh - ph
                        if y < 0 or y >= h:  # padding receives nothing
                            continue
                        base = (b * ho + oy) * wo
                        for ox in range(lo, hi):
                            x[b, ch, y, ox * sw + xo] += cols[r, base + ox]
    return x


# The wrappers allocate outputs in numpy: an array numba allocates comes back as a view of a numba
# buffer, which the engine cannot prove unshared and so would copy before storing it as a .grad.
def im2col_numba(x, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo):
    cols = np.empty((x.shape[1] * kh * kw, x.shape[0] * ho * wo), dtype=x.dtype)
    return _im2col_numba(np.ascontiguousarray(x), kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, cols)


def col2im_numba(cols, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo):
    x = np.zeros((cols.shape[1] // (ho * wo), c, h, w), dtype=cols.dtype)
    return _col2im_numba(np.ascontiguousarray(cols), kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, x)


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
