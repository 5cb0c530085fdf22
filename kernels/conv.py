"""im2col / col2im for convolutions (the GEMM itself is BLAS, via numpy's matmul).

Layout: ``x`` is (N, C, H, W) and already zero-padded; ``cols`` is (C*kh*kw, N*Ho*Wo) with the
row index ``(c*kh + i)*kw + j`` and column ``(n*Ho + ho)*Wo + wo``, holding
x[n, c, ho*sh + i*dh, wo*sw + j*dw]. One matrix for the whole batch, so a convolution is a single
large GEMM rather than N small ones. col2im is the adjoint: it scatter-adds columns back into an
(N, C, H, W) array.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

_JIT = dict(cache=True, parallel=True, error_model="numpy")


@njit(**_JIT)
def _im2col_numba(x, kh, kw, sh, sw, dh, dw, ho, wo):
    n, c, _, _ = x.shape
    cols = np.empty((c * kh * kw, n * ho * wo), dtype=x.dtype)
    for b in prange(n):  # each image writes only its own columns
        for ch in range(c):
            for i in range(kh):
                for j in range(kw):
                    r = (ch * kh + i) * kw + j
                    for oy in range(ho):
                        y = oy * sh + i * dh
                        base = (b * ho + oy) * wo
                        for ox in range(wo):
                            cols[r, base + ox] = x[b, ch, y, ox * sw + j * dw]
    return cols


@njit(**_JIT)
def _col2im_numba(cols, c, h, w, kh, kw, sh, sw, dh, dw, ho, wo):
    n = cols.shape[1] // (ho * wo)
    x = np.zeros((n, c, h, w), dtype=cols.dtype)
    for b in prange(n):  # images are independent: no two iterations add into one element
        for ch in range(c):
            for i in range(kh):
                for j in range(kw):
                    r = (ch * kh + i) * kw + j
                    for oy in range(ho):
                        y = oy * sh + i * dh
                        base = (b * ho + oy) * wo
                        for ox in range(wo):
                            x[b, ch, y, ox * sw + j * dw] += cols[r, base + ox]
    return x


def im2col_numba(x, kh, kw, sh, sw, dh, dw, ho, wo):
    return _im2col_numba(np.ascontiguousarray(x), kh, kw, sh, sw, dh, dw, ho, wo)


def col2im_numba(cols, c, h, w, kh, kw, sh, sw, dh, dw, ho, wo):
    return _col2im_numba(np.ascontiguousarray(cols), c, h, w, kh, kw, sh, sw, dh, dw, ho, wo)


def _window_index(kh, kw, sh, sw, dh, dw, ho, wo):
    """(kh*kw, Ho*Wo) row and column indices into one padded image plane."""
    iy = (np.arange(kh)[:, None] * dh + np.arange(ho)[None, :] * sh)  # (kh, ho)
    ix = (np.arange(kw)[:, None] * dw + np.arange(wo)[None, :] * sw)  # (kw, wo)
    rows = np.broadcast_to(iy[:, None, :, None], (kh, kw, ho, wo)).reshape(kh * kw, ho * wo)
    colsi = np.broadcast_to(ix[None, :, None, :], (kh, kw, ho, wo)).reshape(kh * kw, ho * wo)
    return rows, colsi


def im2col_reference(x, kh, kw, sh, sw, dh, dw, ho, wo):
    """numpy twin: fancy-index gather of every window."""
    n, c = x.shape[:2]
    rows, colsi = _window_index(kh, kw, sh, sw, dh, dw, ho, wo)
    win = x[:, :, rows, colsi]  # (n, c, kh*kw, L)
    return np.ascontiguousarray(win.transpose(1, 2, 0, 3)).reshape(c * kh * kw, n * ho * wo)


def col2im_reference(cols, c, h, w, kh, kw, sh, sw, dh, dw, ho, wo):
    """numpy twin: np.add.at scatter of every window (overlaps accumulate)."""
    n = cols.shape[1] // (ho * wo)
    rows, colsi = _window_index(kh, kw, sh, sw, dh, dw, ho, wo)
    x = np.zeros((n, c, h, w), dtype=cols.dtype)
    per_image = cols.reshape(c, kh * kw, n, ho * wo).transpose(2, 0, 1, 3)
    np.add.at(x, (slice(None), slice(None), rows, colsi), per_image)
    return x


NUMBA = {"im2col": im2col_numba, "col2im": col2im_numba}
REFERENCE = {"im2col": im2col_reference, "col2im": col2im_reference}
