"""Max and average pooling (2-D kernels in ``autograd_core.kernels.pool``; 1-D and 3-D built on them), adaptive,
power-average (LP) pooling and max-unpooling.

Max pooling is a gather at the argmax positions: its backward is a scatter (MaxPoolScatter)
whose backward is the gather again (MaxPoolGather), so every order is exact. Average pooling
is linear: its backward (AvgPool2dTranspose) and that op's backward (AvgPool2d) form a pair.
"""

from __future__ import annotations

import math
from collections import namedtuple
from typing import Any

import numpy as np

from .._function import Function
from .._tensor import Tensor, _make
from ..kernels import get as kernel
from .conv import _pair, out_size
from .shape import cat

PoolGeom = namedtuple("PoolGeom", "h w kh kw sh sw ph pw dh dw ho wo ceil_mode count_include_pad divisor")


def _run(name: str, a: np.ndarray, *args: Any) -> Any:
    """Kernel ``name`` on ``a``; float16 runs in float32 and its float results are rounded back, as
    PyTorch's CPU pooling accumulates half in float (the numba kernels exist for float32 and float64)."""
    if a.dtype != np.float16:
        return kernel(name)(a, *args)
    out = kernel(name)(a.astype(np.float32), *args)
    if isinstance(out, tuple):  # max pooling: (values, indices)
        return (out[0].astype(np.float16),) + out[1:]
    return out.astype(np.float16)


class MaxPool2d(Function):
    """y = max over each window;  gx = scatter of g into each window's argmax"""

    fresh_grads = True

    def forward(self, x, geom):
        g = self.geom = geom
        vals, self.idx = _run("max_pool_forward", x, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.ho, g.wo)
        return vals

    def backward(self, gy):
        return self.xp.apply(MaxPoolScatter, gy, idx=self.idx, hw=(self.geom.h, self.geom.w))

    def attrs(self):
        return _pool_attrs(self.geom)


class MaxPoolScatter(Function):
    """gx = zeros with g added at the argmax positions;  d/dg = gather(ggx, argmax)"""

    def forward(self, g, idx, hw):
        self.idx, self.hw = idx, hw
        return _run("max_pool_backward", g, idx, hw[0], hw[1])

    def backward(self, ggx):
        return self.xp.apply(MaxPoolGather, ggx, idx=self.idx, hw=self.hw)


class MaxPoolGather(Function):
    """y = x at the argmax positions;  gx = scatter(g, argmax)"""

    def forward(self, x, idx, hw):
        self.idx, self.hw = idx, hw
        n, c, ho, wo = idx.shape
        hw = hw[0] * hw[1]
        idx = idx.reshape(n, c, ho * wo)  # explicit sizes: -1 is ambiguous for an empty batch
        inside = idx < hw  # a window made only of padding points past the plane: it gathers 0
        safe = idx if inside.all() else np.where(inside, idx, 0)
        flat = np.take_along_axis(x.reshape(n, c, hw), safe, axis=2)
        if safe is not idx:
            flat = np.where(inside, flat, 0).astype(x.dtype)
        return flat.reshape(n, c, ho, wo)

    def backward(self, g):
        return self.xp.apply(MaxPoolScatter, g, idx=self.idx, hw=self.hw)


class AvgPool2d(Function):
    """y = window sum / divisor;  gx = g / divisor spread over each window"""

    fresh_grads = True

    def forward(self, x, geom):
        g = self.geom = geom
        return _run("avg_pool_forward", x, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.ho, g.wo, g.count_include_pad,
                    g.divisor)

    def backward(self, gy):
        return self.xp.apply(AvgPool2dTranspose, gy, geom=self.geom)

    def attrs(self):
        return _pool_attrs(self.geom)


class AvgPool2dTranspose(Function):
    """gx = g / divisor spread over each window (adjoint of AvgPool2d);  d/dg = avg_pool2d(ggx)"""

    def forward(self, gy, geom):
        g = self.geom = geom
        return _run("avg_pool_backward", gy, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.count_include_pad,
                    g.divisor)

    def backward(self, ggx):
        return self.xp.apply(AvgPool2d, ggx, geom=self.geom)


def _pool_attrs(g: PoolGeom) -> dict[str, Any]:
    out: dict[str, Any] = {"kernel_size": g.kh if g.kh == g.kw else (g.kh, g.kw)}
    if (g.sh, g.sw) != (g.kh, g.kw):
        out["stride"] = g.sh if g.sh == g.sw else (g.sh, g.sw)
    if g.ph or g.pw:
        out["padding"] = g.ph if g.ph == g.pw else (g.ph, g.pw)
    if (g.dh, g.dw) != (1, 1):
        out["dilation"] = (g.dh, g.dw)
    if g.ceil_mode:
        out["ceil_mode"] = True
    return out


def _geometry(x: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: bool,
              op: str, count_include_pad: bool = True, divisor: int = 0) -> PoolGeom:
    if x.ndim != 4:
        raise RuntimeError(f"{op}: expected a 4-D input (N, C, H, W) (or 3-D unbatched), got shape {list(x.shape)}")
    if x.dtype.kind != "f" or x.dtype.itemsize not in (2, 4, 8):
        raise RuntimeError(f"{op}: expected a floating point input (float16, float32 or float64), got "
                           f"{x.dtype.name}; convert it with .float()")
    if 0 in x.shape[1:]:  # only the batch may be empty
        raise RuntimeError(f"{op}: Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
                           f"but got: {list(x.shape)}")
    kh, kw = _pair(kernel_size, "kernel_size", op)
    sh, sw = _pair(kernel_size if stride is None or stride == () else stride, "stride", op)
    ph, pw = _pair(padding, "padding", op)
    dh, dw = _pair(dilation, "dilation", op)
    if min(kh, kw, sh, sw, dh, dw) < 1:
        raise RuntimeError(f"{op}: kernel_size, stride and dilation must be positive, got kernel_size={(kh, kw)}, "
                           f"stride={(sh, sw)}, dilation={(dh, dw)}")
    if ph > kh // 2 or pw > kw // 2 or ph < 0 or pw < 0:
        raise RuntimeError(f"{op}: pad should be at most half of effective kernel size, but got pad={(ph, pw)}, "
                           f"kernel_size={(kh, kw)}")
    h, w = x.shape[2], x.shape[3]
    ho = out_size(h, kh, sh, 2 * ph, dh, ceil_mode)
    wo = out_size(w, kw, sw, 2 * pw, dw, ceil_mode)
    if ho < 1 or wo < 1:
        raise RuntimeError(f"{op}: Given input size: ({x.shape[1]}x{h}x{w}). Calculated output size: "
                           f"({x.shape[1]}x{ho}x{wo}). Output size is too small (kernel {(kh, kw)} larger than "
                           f"the padded input)")
    return PoolGeom(h, w, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, bool(ceil_mode), bool(count_include_pad),
                    int(divisor or 0))


def _batched(x: Any) -> tuple[Tensor, bool]:
    x = x if isinstance(x, Tensor) else Tensor(x)
    return (x.unsqueeze(0), True) if x.ndim == 3 else (x, False)


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Max over sliding windows; with ``return_indices`` also the flat (H*W) index of each maximum."""
    return _max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, "max_pool2d")


def _max_pool2d(input: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: bool,
                return_indices: bool, op: str) -> Any:
    x, unbatched = _batched(input)
    geom = _geometry(x, kernel_size, stride, padding, dilation, ceil_mode, op)
    y = MaxPool2d.apply(x, geom=geom)
    if unbatched:
        y = y.squeeze(0)
    if not return_indices:
        return y
    idx = y.grad_fn.idx if y.grad_fn is not None and not unbatched else None
    if idx is None:
        _, idx = _run("max_pool_forward", x._data, geom.kh, geom.kw, geom.sh, geom.sw, geom.ph, geom.pw, geom.dh,
                      geom.dw, geom.ho, geom.wo)
        if unbatched:
            idx = idx[0]
    return y, _make(np.asarray(idx, dtype=np.int64), None, False)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Mean over sliding windows (PyTorch's divisor rules)."""
    return _avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override,
                       "avg_pool2d")


def _avg_pool2d(input: Any, kernel_size: Any, stride: Any, padding: Any, ceil_mode: bool, count_include_pad: bool,
                divisor_override: int | None, op: str) -> Tensor:
    x, unbatched = _batched(input)
    if divisor_override is not None and divisor_override <= 0:
        raise RuntimeError(f"{op}: divisor must be not zero, got {divisor_override}")
    geom = _geometry(x, kernel_size, stride, padding, 1, ceil_mode, op, count_include_pad, divisor_override or 0)
    y = AvgPool2d.apply(x, geom=geom)
    return y.squeeze(0) if unbatched else y


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average over PyTorch's adaptive windows [floor(i*H/oh), ceil((i+1)*H/oh))."""
    return _adaptive_avg(input, output_size, 2, "adaptive_avg_pool2d")


# ---------------------------------------------------------------------- 1-d, 3-d and adaptive pooling
# 1-d pooling is 2-d pooling with H = 1. 3-d pooling is separable into two 2-d kernel calls: the (H, W) windows
# of every depth slice, then the depth windows of those results. For averages the divisor factors per dim under
# each of PyTorch's rules (count_include_pad or not); for maxima, taking (H, W) first and depth second picks the
# first maximum in (d, h, w) scan order and the last NaN, as PyTorch's 3-d loop does. Gradients of every order
# come from the 2-d ops.


def _pool_input(op: str, input: Any, nd: int) -> tuple[Tensor, bool]:
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{op}: Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with optional 0 dim batch size "
                           f"for input, but got: {list(x.shape)}")
    return (x.unsqueeze(0), True) if x.ndim == nd + 1 else (x, False)


def _pool_params(op: str, nd: int, kernel_size: Any, stride: Any, padding: Any, dilation: Any = 1) -> tuple:
    """(kernel, stride, padding, dilation) as nd-tuples, checked as PyTorch does (stride defaults to kernel)."""
    from .conv import _ntuple

    ks = _ntuple(kernel_size, nd, "kernel_size", op)
    st = ks if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) else \
        _ntuple(stride, nd, "stride", op)
    pads, dils = _ntuple(padding, nd, "padding", op), _ntuple(dilation, nd, "dilation", op)
    if min(ks) < 1 or min(st) < 1 or min(dils) < 1:
        raise RuntimeError(f"{op}: kernel_size, stride and dilation must be positive, got kernel_size={list(ks)}, "
                           f"stride={list(st)}, dilation={list(dils)}")
    for k, p, d in zip(ks, pads, dils):
        if p < 0 or p > k // 2:
            raise RuntimeError(f"{op}: pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation={d}")
    return ks, st, pads, dils


def _squeezed(out: Any, dims: tuple) -> Any:
    """``out`` (a tensor, or a (values, indices) pair) with the size-1 dims ``dims`` (descending) removed."""
    if isinstance(out, tuple):
        return tuple(_squeezed(o, dims) for o in out)
    for d in dims:
        out = out.squeeze(d)
    return out


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Max over sliding windows of (N, C, L) or (C, L); max_pool2d with H = 1 (indices index L)."""
    op = "max_pool1d"
    x, unbatched = _pool_input(op, input, 1)
    (k,), (s,), (p,), (d,) = _pool_params(op, 1, kernel_size, stride, padding, dilation)
    out = _max_pool2d(x.unsqueeze(2), (1, k), (1, s), (0, p), (1, d), ceil_mode, return_indices, op)
    return _squeezed(out, (2, 0) if unbatched else (2,))


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """Mean over sliding windows of (N, C, L) or (C, L); avg_pool2d with H = 1."""
    op = "avg_pool1d"
    x, unbatched = _pool_input(op, input, 1)
    (k,), (s,), (p,), _ = _pool_params(op, 1, kernel_size, stride, padding)
    y = _avg_pool2d(x.unsqueeze(2), (1, k), (1, s), (0, p), ceil_mode, count_include_pad, None, op)
    return _squeezed(y, (2, 0) if unbatched else (2,))


def _check_3d(op: str, x: Tensor, ks: tuple, st: tuple, pads: tuple, dils: tuple, ceil_mode: bool) -> tuple:
    if 0 in x.shape[1:]:
        raise RuntimeError(f"{op}: non-empty 4D or 5D (batch mode) tensor expected for input, got {list(x.shape)}")
    outs = tuple(out_size(x.shape[2 + i], ks[i], st[i], 2 * pads[i], dils[i], ceil_mode) for i in range(3))
    if min(outs) < 1:
        c = x.shape[1]
        raise RuntimeError(f"{op}: Given input size: ({c}x{'x'.join(map(str, x.shape[2:]))}). Calculated output "
                           f"size: ({c}x{'x'.join(map(str, outs))}). Output size is too small")
    return outs


def max_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Max over sliding (kD, kH, kW) windows of (N, C, D, H, W); indices are flat into D*H*W."""
    op = "max_pool3d"
    x, unbatched = _pool_input(op, input, 3)
    ks, st, pads, dils = _pool_params(op, 3, kernel_size, stride, padding, dilation)
    do, ho, wo = _check_3d(op, x, ks, st, pads, dils, ceil_mode)
    n, c, d, h, w = x.shape
    plane = _max_pool2d(x.reshape(n, c * d, h, w), ks[1:], st[1:], pads[1:], dils[1:], ceil_mode, return_indices,
                        op)
    y1, i1 = plane if return_indices else (plane, None)
    depth = _max_pool2d(y1.reshape(n, c, d, ho * wo), (ks[0], 1), (st[0], 1), (pads[0], 0), (dils[0], 1), ceil_mode,
                        return_indices, op)
    y2, i2 = depth if return_indices else (depth, None)
    y = y2.reshape(n, c, do, ho, wo)
    if unbatched:
        y = y.squeeze(0)
    if not return_indices:
        return y
    # depth pass: flat index into (D, Ho*Wo), its column being the output's own; plane pass: index into H*W
    dsel = i2._data // (ho * wo)
    hw = np.take_along_axis(i1._data.reshape(n, c, d, ho * wo), np.clip(dsel, 0, d - 1), axis=2)
    idx = (dsel * (h * w) + hw).reshape(n, c, do, ho, wo)
    return y, _make(idx[0] if unbatched else idx, None, False)


def avg_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Mean over sliding (kD, kH, kW) windows of (N, C, D, H, W) (PyTorch's divisor rules)."""
    op = "avg_pool3d"
    x, unbatched = _pool_input(op, input, 3)
    if divisor_override is not None and divisor_override <= 0:
        raise RuntimeError(f"{op}: divisor must be not zero, got {divisor_override}")
    ks, st, pads, _ = _pool_params(op, 3, kernel_size, stride, padding)
    do, ho, wo = _check_3d(op, x, ks, st, pads, (1, 1, 1), ceil_mode)
    n, c, d, h, w = x.shape
    # with an override the plane pass sums (divisor 1) and the depth pass divides by the override
    y = _avg_pool2d(x.reshape(n, c * d, h, w), ks[1:], st[1:], pads[1:], ceil_mode, count_include_pad,
                    1 if divisor_override else None, op)
    y = _avg_pool2d(y.reshape(n, c, d, ho * wo), (ks[0], 1), (st[0], 1), (pads[0], 0), ceil_mode, count_include_pad,
                    divisor_override, op)
    y = y.reshape(n, c, do, ho, wo)
    return y.squeeze(0) if unbatched else y


def _adaptive_size(op: str, output_size: Any, sizes: tuple) -> tuple[int, ...]:
    nd = len(sizes)
    if output_size is None or isinstance(output_size, (int, np.integer)):
        out = (output_size,) * nd
    else:
        out = tuple(output_size)
        if len(out) != nd:
            raise RuntimeError(f"{op}: output_size must be {nd} (one per spatial dim), got {list(out)}")
    out = tuple(s if o is None else int(o) for o, s in zip(out, sizes))
    if min(out) < 0:
        raise RuntimeError(f"{op}: output size must not be negative, got {list(out)}")
    return out


def _windows_1d(size: int, o: int) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's adaptive windows [floor(i*size/o), ceil((i+1)*size/o)) for i < o."""
    i = np.arange(o)
    return (i * size) // o, -(-((i + 1) * size) // o)


def _adaptive_avg(input: Any, output_size: Any, nd: int, op: str) -> Tensor:
    """Adaptive averages are separable: one constant (o, L) averaging matrix applied along each spatial dim."""
    x, unbatched = _pool_input(op, input, nd)
    if x.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got {x.dtype.name}; convert it with .float()")
    if 0 in x.shape[1:]:
        raise RuntimeError(f"{op}: Expected input to have non-zero size for non-batch dimensions, but input has "
                           f"sizes {list(x.shape)}")
    sizes = tuple(x.shape[2:])
    out = _adaptive_size(op, output_size, sizes)
    n, c = x.shape[:2]
    if all(o > 0 and s % o == 0 for s, o in zip(sizes, out)) and nd == 2:  # uniform windows: one kernel call
        y = avg_pool2d(x, tuple(s // o for s, o in zip(sizes, out)))
    else:
        y = x
        for k, (size, o) in enumerate(zip(sizes, out)):
            if o == size:  # windows of one element: the identity
                continue
            start, end = _windows_1d(size, o)
            # each window's mean (PyTorch's loop), not a product with a constant averaging matrix: its zeros times
            # an inf or nan - in the input, or in the gradient coming back - would spread nan to other windows
            d = 2 + k
            y = cat([y.narrow(d, int(s0), int(e0 - s0)).mean(d, keepdim=True) for s0, e0 in zip(start, end)], d)
        # a new, contiguous tensor as PyTorch's (also when output size = input size, and for a strided input)
        y = x.clone() if y is x else y.contiguous()
    return y.squeeze(0) if unbatched else y


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """Average over PyTorch's adaptive windows of (N, C, L) or (C, L)."""
    return _adaptive_avg(input, output_size, 1, "adaptive_avg_pool1d")


def adaptive_avg_pool3d(input: Tensor, output_size: Any) -> Tensor:
    """Average over PyTorch's adaptive windows of (N, C, D, H, W) or (C, D, H, W)."""
    return _adaptive_avg(input, output_size, 3, "adaptive_avg_pool3d")


def _adaptive_argmax(a: np.ndarray, out: tuple) -> np.ndarray:
    """Flat index (into the spatial plane) of each adaptive window's maximum, by PyTorch's rule: the first
    maximum in scan order, the last NaN if there is one. Windows are gathered at once, padded to the widest
    by repeating their last element (a repeat never beats the original: ties keep the first)."""
    n, c = a.shape[:2]
    sizes = a.shape[2:]
    nd = len(sizes)
    strides = [math.prod(sizes[k + 1:]) for k in range(nd)]
    grids, flat, widths = [], 0, []
    for k, (size, o) in enumerate(zip(sizes, out)):
        start, end = _windows_1d(size, o)
        width = int((end - start).max()) if o else 1
        pos = np.minimum(start[:, None] + np.arange(width)[None, :], end[:, None] - 1)  # (o, width)
        shape = [1] * (2 * nd)
        shape[2 * k], shape[2 * k + 1] = o, width
        grids.append(pos.reshape(shape))
        flat = flat + grids[-1] * strides[k]
        widths.append(width)
    win = a[(slice(None), slice(None)) + tuple(grids)]  # (n, c, o1, w1, o2, w2, ...)
    perm = [2 * k for k in range(nd)] + [2 * k + 1 for k in range(nd)]
    kk = math.prod(widths)
    win = win.transpose([0, 1] + [2 + p for p in perm]).reshape((n, c) + out + (kk,))
    flat = np.broadcast_to(flat, tuple(s for pair in zip(out, widths) for s in pair))
    flat = flat.transpose(perm).reshape(out + (kk,))
    nan = np.isnan(win)
    pick = win.argmax(-1) if win.size else np.zeros(win.shape[:-1], dtype=np.int64)
    if nan.any():
        pick = np.where(nan.any(-1), kk - 1 - nan[..., ::-1].argmax(-1), pick)
    return np.take_along_axis(np.broadcast_to(flat, win.shape), pick[..., None], -1)[..., 0].astype(np.int64)


def _adaptive_max(input: Any, output_size: Any, return_indices: bool, nd: int, op: str) -> Any:
    x, unbatched = _pool_input(op, input, nd)
    if x.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got {x.dtype.name}; convert it with .float()")
    if 0 in x.shape[1:]:
        raise RuntimeError(f"{op}: Expected input to have non-zero size for non-batch dimensions, but input has "
                           f"sizes {list(x.shape)}")
    sizes = tuple(x.shape[2:])
    out = _adaptive_size(op, output_size, sizes)
    n, c = x.shape[:2]
    idx = _adaptive_argmax(x._data, out)
    s, o = math.prod(sizes), math.prod(out)
    # the values are a gather at the argmax (gradient: MaxPoolScatter, and back again: every order exact)
    y = MaxPoolGather.apply(x.reshape(n, c, 1, s), idx=idx.reshape(n, c, 1, o), hw=(1, s)).reshape((n, c) + out)
    if unbatched:
        y, idx = y.squeeze(0), idx[0]
    return (y, _make(idx, None, False)) if return_indices else y


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max over PyTorch's adaptive windows of (N, C, L) or (C, L); indices index L."""
    return _adaptive_max(input, output_size, return_indices, 1, "adaptive_max_pool1d")


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max over PyTorch's adaptive windows of (N, C, H, W) or (C, H, W); indices are flat into H*W."""
    return _adaptive_max(input, output_size, return_indices, 2, "adaptive_max_pool2d")


def adaptive_max_pool3d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max over PyTorch's adaptive windows of (N, C, D, H, W) or (C, D, H, W); indices are flat into D*H*W."""
    return _adaptive_max(input, output_size, return_indices, 3, "adaptive_max_pool3d")


def _max_unpool(input: Any, indices: Any, kernel_size: Any, stride: Any, padding: Any, output_size: Any, nd: int,
                op: str) -> Tensor:
    """Each input value written at its flat index into a zero (N, C, *output) array (max pooling's inverse)."""
    from .conv import _ntuple

    x, unbatched = _pool_input(op, input, nd)
    idx = np.asarray(indices._data if isinstance(indices, Tensor) else indices)
    if idx.dtype != np.int64:
        raise RuntimeError(f"{op}: elements in indices should be type int64 but got: {idx.dtype.name}")
    if unbatched:
        idx = idx[None]
    if idx.shape != tuple(x.shape):
        raise RuntimeError(f"{op}: Expected shape of indices to be same as that of the input tensor "
                           f"({list(x.shape)}) but got indices tensor with shape: {list(idx.shape)}")
    ks = _ntuple(kernel_size, nd, "kernel_size", op)
    st = ks if stride is None else _ntuple(stride, nd, "stride", op)
    pads = _ntuple(padding, nd, "padding", op)
    default = [(x.shape[2 + k] - 1) * st[k] + ks[k] - 2 * pads[k] for k in range(nd)]
    if output_size is None:
        out = default
    else:
        out = [int(v) for v in output_size]
        if len(out) == nd + 2:
            out = out[2:]
        if len(out) != nd:
            raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} elements, but it has a "
                             f"length of '{len(out)}'")
        for k in range(nd):
            lo, hi = default[k] - st[k], default[k] + st[k]
            if not lo < out[k] < hi:
                raise ValueError(f'invalid output_size "{out}" (dim {k} must be between {lo} and {hi})')
    n, c = x.shape[:2]
    s, m = math.prod(out), math.prod(x.shape[2:])
    flat = idx.reshape(n * c, m)
    bad = (flat < 0) | (flat >= s)
    if bad.any():
        raise RuntimeError(f"{op}: Found an invalid max index: {int(flat[bad][0])} (output volumes are of size "
                           f"{'x'.join(map(str, out))})")
    xs = x.reshape(n, c, 1, m)
    # an index written twice (overlapping pooling windows) keeps the later value, as PyTorch's loop does
    order = np.argsort(flat, axis=1, kind="stable")
    ranked = np.take_along_axis(flat, order, axis=1)
    if m > 1 and (ranked[:, 1:] == ranked[:, :-1]).any():
        last = np.ones_like(ranked, dtype=bool)
        last[:, :-1] = ranked[:, 1:] != ranked[:, :-1]
        keep = np.empty_like(last)
        np.put_along_axis(keep, order, last, axis=1)
        xs = xs * _make(keep.reshape(n, c, 1, m).astype(x.dtype), None, False)
    y = MaxPoolScatter.apply(xs, idx=idx.reshape(n, c, 1, m), hw=(1, s)).reshape([n, c] + out)
    return y.squeeze(0) if unbatched else y


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 output_size: Any = None) -> Tensor:
    """Inverse of max_pool1d: values at their indices, zeros elsewhere."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1, "max_unpool1d")


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 output_size: Any = None) -> Tensor:
    """Inverse of max_pool2d: values at their flat H*W indices, zeros elsewhere."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2, "max_unpool2d")


def max_unpool3d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 output_size: Any = None) -> Tensor:
    """Inverse of max_pool3d: values at their flat D*H*W indices, zeros elsewhere."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3, "max_unpool3d")


def _lp_pool(input: Any, norm_type: float, kernel_size: Any, stride: Any, ceil_mode: bool, nd: int) -> Tensor:
    """PyTorch's formula: (sign(a) relu(|a|) * prod(kernel))^(1/p), a = avg_pool(x^p) (no padding)."""
    from .activation import relu
    from .conv import _ntuple

    pool = {1: (max_pool1d, avg_pool1d), 2: (max_pool2d, avg_pool2d), 3: (max_pool3d, avg_pool3d)}[nd]
    x = input if isinstance(input, Tensor) else Tensor(input)
    if norm_type == float("inf"):
        return pool[0](x.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -float("inf"):
        return -pool[0](-x.abs(), kernel_size, stride, 0, 1, ceil_mode)
    out = pool[1](x.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    k = math.prod(_ntuple(kernel_size, nd, "kernel_size", f"lp_pool{nd}d"))
    return (out.sign() * relu(out.abs()) * k).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False) -> Tensor:
    """Power-average pooling: (sum over the window of x^p)^(1/p) over (N, C, L)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1)


def lp_pool2d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False) -> Tensor:
    """Power-average pooling: (sum over the window of x^p)^(1/p) over (N, C, H, W)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2)


def lp_pool3d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False) -> Tensor:
    """Power-average pooling: (sum over the window of x^p)^(1/p) over (N, C, D, H, W)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3)


# PyTorch's *_with_indices forms: the same pooling, always returning (values, indices)
def max_pool1d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                            ceil_mode: bool = False, return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """max_pool1d returning (values, indices)."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                            ceil_mode: bool = False, return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """max_pool2d returning (values, indices)."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                            ceil_mode: bool = False, return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """max_pool3d returning (values, indices)."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(input: Tensor, output_size: Any,
                                     return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """adaptive_max_pool1d returning (values, indices)."""
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size: Any,
                                     return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """adaptive_max_pool2d returning (values, indices)."""
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input: Tensor, output_size: Any,
                                     return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """adaptive_max_pool3d returning (values, indices)."""
    return adaptive_max_pool3d(input, output_size, True)
