"""Resampling: interpolation (nearest, nearest-exact, linear, cubic), pixel_shuffle, im2col / col2im.

Interpolation is separable: along each resized dim, output position ``o`` is a weighted sum of a few input
positions (1 tap for nearest, 2 for linear, 4 for cubic), with PyTorch's source-index rules and its arithmetic
in the input's float type (so float32 picks the same neighbours and weights as PyTorch does). One ``Resample``
node per resized dim gathers and weights; its adjoint ``ResampleAdjoint`` adds each output gradient back onto
the taps it came from, and the two are each other's backward (every order of derivative).

``Im2Col`` (F.unfold) and ``Col2Im`` (F.fold) are adjoint linear maps, likewise each other's backward.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._function import Function
from .._tensor import Tensor

__all__ = ["pixel_shuffle", "pixel_unshuffle"]  # public functions (autograd_core.<name>)


# ---------------------------------------------------------------------- interpolation along one dim
def _bshape(ndim: int, d: int, n: int) -> tuple:
    return (1,) * d + (n,) + (1,) * (ndim - d - 1)


_DENSE_MAX = 1 << 22  # entries of a dim's dense (n_out, n_in) weight matrix worth a BLAS product


def _dense(idx: np.ndarray, w: np.ndarray, n_in: int) -> np.ndarray:
    m = np.zeros((idx.shape[1], n_in), dtype=w.dtype)
    rows = np.arange(idx.shape[1])
    for t in range(idx.shape[0]):
        np.add.at(m, (rows, idx[t]), w[t])
    return m


def _along(x: np.ndarray, d: int, m: np.ndarray) -> np.ndarray:
    """x's dim d multiplied by m (new size m.shape[0]): one BLAS product."""
    return np.moveaxis(np.moveaxis(x, d, -1) @ m.T, -1, d)


def _resample(x: np.ndarray, plan: tuple) -> np.ndarray:
    for d, idx, w, _n in plan:
        if w is not None and idx.shape[1] * _n <= _DENSE_MAX and np.isfinite(x).all():
            # the weighted taps as one dense matrix product, several times faster than gathering each tap (its
            # sums round within an ulp or two of PyTorch's, whose kernels fuse multiply-adds); only for finite
            # values (a 0 weight times inf would be nan where the taps never read the inf)
            x = np.ascontiguousarray(_along(x, d, _dense(idx, w, _n)))
            continue
        out = None
        for t in range(idx.shape[0]):
            term = np.take(x, idx[t], axis=d)
            if w is not None:
                term = term * w[t].reshape(_bshape(x.ndim, d, w.shape[1]))
            out = term if out is None else out + term
        x = out
    return x


def _resample_adjoint(g: np.ndarray, plan: tuple) -> np.ndarray:
    for d, idx, w, n in reversed(plan):
        if w is not None and idx.shape[1] * n <= _DENSE_MAX and np.isfinite(g).all():
            g = np.ascontiguousarray(_along(g, d, _dense(idx, w, n).T))
            continue
        shape = list(g.shape)
        shape[d] = n
        out = np.zeros(shape, dtype=g.dtype)
        if g.size:
            om, gm = np.moveaxis(out, d, 0), np.moveaxis(g, d, 0)  # views: the sums land in out
            for t in range(idx.shape[0]):
                vals = gm if w is None else gm * w[t].reshape((-1,) + (1,) * (g.ndim - 1))
                it = idx[t]
                # every tap's source index is non-decreasing along the output, so the outputs reading one
                # source position are a contiguous run: one reduceat instead of an element-wise add.at
                starts = np.flatnonzero(np.r_[True, it[1:] != it[:-1]])
                om[it[starts]] += np.add.reduceat(vals, starts, axis=0)
        g = out
    return g


class Resample(Function):
    """y[..., o, ...] = sum_t w_t[o] x[..., i_t[o], ...] along each resized dim;  gx = the adjoint (ResampleAdjoint)"""

    fresh_grads = True

    def forward(self, x, plan, mode):
        self.plan, self.mode = plan, mode
        return _resample(x, plan)

    def backward(self, g):
        return self.xp.apply(ResampleAdjoint, g, plan=self.plan, mode=self.mode)

    def attrs(self):
        return {"mode": self.mode, "size": tuple(p[1].shape[1] for p in self.plan)}


class ResampleAdjoint(Function):
    """y = each g[..., o, ...] w_t[o] added onto x's position i_t[o] (the adjoint of Resample);  gg = Resample(gy)"""

    fresh_grads = True

    def forward(self, g, plan, mode):
        self.plan, self.mode = plan, mode
        return _resample_adjoint(g, plan)

    def backward(self, gy):
        return self.xp.apply(Resample, gy, plan=self.plan, mode=self.mode)

    def attrs(self):
        return {"mode": self.mode}


def _scale_f32(n_in: int, n_out: int, scale: float | None) -> np.float32:
    """PyTorch's compute_scales_value<float>: 1/scale_factor when one was given, else in/out (in float32)."""
    if scale is not None and scale > 0:
        return np.float32(1.0 / scale)
    return np.float32(n_in) / np.float32(n_out)


def _nearest_index(n_in: int, n_out: int, scale: float | None, exact: bool, shortcut: bool) -> np.ndarray:
    o = np.arange(n_out)
    if not exact:
        # PyTorch's 2-d nearest kernel skips the float scale for equal and doubled sizes (even when a
        # scale_factor such as 1.3 or 2.01 gave that size); its 1-d and 3-d kernels always use the scale
        if shortcut and n_out == n_in:
            return o
        if shortcut and n_out == 2 * n_in:
            return o >> 1
        s = _scale_f32(n_in, n_out, scale)
        src = np.floor(o.astype(np.float32) * s)  # float32 product, as PyTorch's floorf(i * scale)
    else:
        s = _scale_f32(n_in, n_out, scale)
        src = np.floor(((o + 0.5) * np.float64(s)).astype(np.float32))  # double product rounded to float
    return np.minimum(src.astype(np.int64), n_in - 1)


def _linear_source(n_in: int, n_out: int, scale: float | None, align_corners: bool, cubic: bool,
                   dt: np.dtype) -> np.ndarray:
    """PyTorch's area_pixel_compute_source_index over all outputs, in the input's float type."""
    o = np.arange(n_out).astype(dt)
    if align_corners:
        s = dt.type(n_in - 1) / dt.type(n_out - 1) if n_out > 1 else dt.type(0)
        return s * o
    if scale is not None and scale > 0:
        s = dt.type(1.0 / scale)
    else:
        s = dt.type(n_in) / dt.type(n_out)
    src = s * (o + dt.type(0.5)) - dt.type(0.5)
    return src if cubic else np.maximum(src, dt.type(0))


def _cubic_coeffs(t: np.ndarray) -> np.ndarray:
    """The 4 weights of Keys' cubic convolution (A = -0.75, PyTorch's) at fractional offset t."""
    a = t.dtype.type(-0.75)

    def conv1(v):  # |v| <= 1
        return ((a + 2) * v - (a + 3)) * v * v + 1

    def conv2(v):  # 1 < |v| < 2
        return ((a * v - 5 * a) * v + 8 * a) * v - 4 * a

    one = t.dtype.type(1)
    return np.stack([conv2(t + one), conv1(t), conv1(one - t), conv2(one - t + one)])


def _plan_dim(d: int, n_in: int, n_out: int, scale: float | None, mode: str, align_corners: bool,
              dt: np.dtype, k: int) -> tuple:
    if mode in ("nearest", "nearest-exact"):
        return d, _nearest_index(n_in, n_out, scale, mode == "nearest-exact", k == 2)[None], None, n_in
    if mode == "linear" and n_out == n_in:  # PyTorch copies a dim whose size is unchanged (whatever the scale)
        return d, np.arange(n_in)[None], None, n_in
    if mode == "linear":
        src = _linear_source(n_in, n_out, scale, align_corners, False, dt)
        i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
        lam = np.clip(src - i0.astype(dt), 0, 1).astype(dt)
        i1 = np.where(i0 < n_in - 1, i0 + 1, i0)
        return d, np.stack([i0, i1]), np.stack([1 - lam, lam]).astype(dt), n_in
    src = _linear_source(n_in, n_out, scale, align_corners, True, dt)  # cubic
    i0 = np.floor(src).astype(np.int64)
    w = _cubic_coeffs((src - i0.astype(dt)).astype(dt)).astype(dt)
    idx = np.stack([np.clip(i0 - 1 + k, 0, n_in - 1) for k in range(4)])  # taps clamped at the borders
    return d, idx, w, n_in


def interpolate_nd(x: Tensor, sizes: tuple, scales: tuple, mode: str, align_corners: bool) -> Tensor:
    """Resample the trailing ``len(sizes)`` dims of x to ``sizes``; ``scales`` are the user's scale factors (or
    None each), which PyTorch uses for the source coordinates instead of in/out when given.
    mode: nearest | nearest-exact | linear (each dim; bilinear / trilinear are linear per dim) | cubic."""
    if x.dtype.kind != "f":
        raise NotImplementedError(f"interpolate: mode {mode!r} is not implemented for integer tensors "
                                  f"(got {x.dtype}); convert the input with .float()")
    dt = np.dtype(x.dtype)
    k = len(sizes)
    # the last dim first, then the others outwards: PyTorch's order of operations (the same rounding)
    plan = tuple(_plan_dim(x.ndim - k + j, x.shape[x.ndim - k + j], int(sizes[j]), scales[j], mode,
                           align_corners, dt, k) for j in reversed(range(k)))
    return Resample.apply(x, plan=plan, mode=mode)


# ---------------------------------------------------------------------- im2col / col2im
def _im2col(x: np.ndarray, kernel: tuple, dilation: tuple, padding: tuple, stride: tuple, blocks: tuple):
    (kh, kw), (dh, dw), (ph, pw), (sh, sw), (oh, ow) = kernel, dilation, padding, stride, blocks
    n, c = x.shape[:2]
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x
    cols = np.empty((n, c, kh, kw, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = xp[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]
    return cols.reshape(n, c * kh * kw, oh * ow)


def _col2im(cols: np.ndarray, size: tuple, kernel: tuple, dilation: tuple, padding: tuple, stride: tuple,
            blocks: tuple):
    (kh, kw), (dh, dw), (ph, pw), (sh, sw), (oh, ow) = kernel, dilation, padding, stride, blocks
    n = cols.shape[0]
    c = cols.shape[1] // (kh * kw)
    cols = cols.reshape(n, c, kh, kw, oh, ow)
    out = np.zeros((n, c, size[0] + 2 * ph, size[1] + 2 * pw), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw] += cols[:, :, i, j]
    return np.ascontiguousarray(out[:, :, ph:ph + size[0], pw:pw + size[1]])


class Im2Col(Function):
    """y[n, (c, i, j), l] = x_padded[n, c, oh(l) s + i d, ow(l) s + j d] (F.unfold);  gx = col2im(g)"""

    fresh_grads = True

    def forward(self, x, kernel, dilation, padding, stride, blocks):
        self.size = x.shape[2:]
        self.geom = (kernel, dilation, padding, stride, blocks)
        return _im2col(x, kernel, dilation, padding, stride, blocks)

    def backward(self, g):
        k, d, p, s, b = self.geom
        return self.xp.apply(Col2Im, g, size=self.size, kernel=k, dilation=d, padding=p, stride=s, blocks=b)

    def attrs(self):
        return {"kernel_size": self.geom[0], "stride": self.geom[3]}


class Col2Im(Function):
    """y = the sum of every column's block placed back at its position (F.fold, the adjoint of Im2Col);
    gx = im2col(g)"""

    fresh_grads = True

    def forward(self, cols, size, kernel, dilation, padding, stride, blocks):
        self.geom = (kernel, dilation, padding, stride, blocks)
        return _col2im(cols, size, kernel, dilation, padding, stride, blocks)

    def backward(self, g):
        k, d, p, s, b = self.geom
        return self.xp.apply(Im2Col, g, kernel=k, dilation=d, padding=p, stride=s, blocks=b)

    def attrs(self):
        return {"kernel_size": self.geom[0], "stride": self.geom[3]}


def _pair(v: Any, name: str, op: str) -> tuple:
    t = tuple(int(a) for a in v) if isinstance(v, (tuple, list)) else (int(v), int(v))
    if len(t) != 2:
        raise RuntimeError(f"{op}: It is expected {name} equals to 2, but got size {len(t)}")
    return t


def _geometry(size: tuple, kernel_size: Any, dilation: Any, padding: Any, stride: Any, op: str) -> tuple:
    k, d = _pair(kernel_size, "kernel_size", op), _pair(dilation, "dilation", op)
    p, s = _pair(padding, "padding", op), _pair(stride, "stride", op)
    if min(k) <= 0:
        raise RuntimeError(f"{op}: kernel size should be greater than zero, but got kernel_height: {k[0]} "
                           f"kernel_width: {k[1]}")
    if min(d) <= 0:
        raise RuntimeError(f"{op}: dilation should be greater than zero, but got dilation_height: {d[0]} "
                           f"dilation_width: {d[1]}")
    if min(p) < 0:
        raise RuntimeError(f"{op}: padding should be non-negative, but got pad_height: {p[0]} pad_width: {p[1]}")
    if min(s) <= 0:
        raise RuntimeError(f"{op}: stride should be greater than zero, but got stride_height: {s[0]} "
                           f"stride_width: {s[1]}")
    blocks = tuple((size[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(2))
    return k, d, p, s, blocks


def im2col(x: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Tensor:
    """F.unfold: the sliding blocks of a (N, C, H, W) or (C, H, W) input as columns (N, C * kh * kw, L)."""
    if x.ndim < 3:  # PyTorch indexes dim -3 first
        raise IndexError(f"unfold: Dimension out of range (expected to be in range of [{-max(x.ndim, 1)}, "
                         f"{max(x.ndim, 1) - 1}], but got {x.ndim}): the input must be (N, C, H, W) or (C, H, W), "
                         f"got shape {list(x.shape)}")
    if x.ndim not in (3, 4) or 0 in x.shape[x.ndim - 3:]:
        raise RuntimeError(f"unfold: Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other "
                           f"non-zero dimensions for input, but got: {list(x.shape)}")
    k, d, p, s, b = _geometry(tuple(x.shape[-2:]), kernel_size, dilation, padding, stride, "unfold")
    if min(b) < 1:
        raise RuntimeError(f"unfold: Given input with spatial size {tuple(x.shape[-2:])}, kernel_size={k}, "
                           f"dilation={d}, padding={p}, calculated shape of the array of sliding blocks as {b}, but "
                           "its components must be at least one.")
    xb = x if x.ndim == 4 else x.unsqueeze(0)
    out = Im2Col.apply(xb, kernel=k, dilation=d, padding=p, stride=s, blocks=b)
    return out if x.ndim == 4 else out.squeeze(0)


def col2im(x: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
           stride: Any = 1) -> Tensor:
    """F.fold: sum (N, C * kh * kw, L) or (C * kh * kw, L) columns back into a (N, C, H, W) image."""
    if x.ndim not in (2, 3) or 0 in x.shape[x.ndim - 2:]:
        raise RuntimeError(f"fold: Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and "
                           f"non-zero dimensions for input, but got: {list(x.shape)}")
    size = _pair(output_size, "output_size", "fold")
    k, d, p, s, b = _geometry(size, kernel_size, dilation, padding, stride, "fold")
    rows, cols = x.shape[-2:]
    if rows % (k[0] * k[1]):
        raise RuntimeError(f"fold: Expected size of input's dimension {x.ndim - 2} to be divisible by the product of "
                           f"kernel_size, but got input.size({x.ndim - 2})={rows} and kernel_size={k}.")
    if min(b) < 1 or b[0] * b[1] != cols:
        raise RuntimeError(f"fold: Given output_size={size}, kernel_size={k}, dilation={d}, padding={p}, "
                           f"stride={s}, expected size of input's dimension {x.ndim - 1} to match the calculated "
                           f"number of sliding blocks {b[0]} * {b[1]} = {b[0] * b[1]}, but got "
                           f"input.size({x.ndim - 1})={cols}.")
    xb = x if x.ndim == 3 else x.unsqueeze(0)
    out = Col2Im.apply(xb, size=size, kernel=k, dilation=d, padding=p, stride=s, blocks=b)
    return out if x.ndim == 3 else out.squeeze(0)


# ---------------------------------------------------------------------- pixel shuffle
def _check_factor(x: Any, r: Any, op: str, what: str) -> int:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")
    if isinstance(r, bool) or not isinstance(r, (int, np.integer)):
        raise TypeError(f"{op}(): argument '{what}' (position 2) must be int, not {type(r).__name__}")
    if x.ndim < 3:
        raise RuntimeError(f"{op} expects input to have at least 3 dimensions, but got input with {x.ndim} "
                           "dimension(s)")
    if r <= 0:
        raise RuntimeError(f"{op} expects a positive {what}, but got {r}")
    return int(r)


def _fresh(y: Tensor, x: Tensor) -> Tensor:
    """PyTorch's pixel (un)shuffle returns new memory, never a view (where the reshapes happened to be views)."""
    return y.clone() if np.shares_memory(y._data, x._data) else y


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:  # noqa: A002 - PyTorch's names
    """(*, C r**2, H, W) -> (*, C, H r, W r): sub-pixel convolution's rearrangement (Shi et al., 2016)."""
    r = _check_factor(input, upscale_factor, "pixel_shuffle", "upscale_factor")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    n = len(lead)
    y = input.reshape(tuple(lead) + (c // (r * r), r, r, h, w))
    y = y.permute(tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2))
    return _fresh(y.reshape(tuple(lead) + (c // (r * r), h * r, w * r)), input)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:  # noqa: A002 - PyTorch's names
    """(*, C, H r, W r) -> (*, C r**2, H, W): the inverse of pixel_shuffle."""
    r = _check_factor(input, downscale_factor, "pixel_unshuffle", "downscale_factor")
    *lead, c, h, w = input.shape
    if h % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, but "
                           f"input.size(-2)={h} is not divisible by {r}")
    if w % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, but "
                           f"input.size(-1)={w} is not divisible by {r}")
    n = len(lead)
    y = input.reshape(tuple(lead) + (c, h // r, r, w // r, r))
    y = y.permute(tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3))
    return _fresh(y.reshape(tuple(lead) + (c * r * r, h // r, w // r)), input)



METHODS: dict[str, Any] = {}  # Tensor methods
