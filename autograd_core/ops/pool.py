"""2-D max and average pooling (kernels in ``autograd_core.kernels.pool``).

Max pooling is a gather at the argmax positions: its backward is a scatter (MaxPoolScatter)
whose backward is the gather again (MaxPoolGather), so every order is exact. Average pooling
is linear: its backward (AvgPool2dTranspose) and that op's backward (AvgPool2d) form a pair.
"""

from __future__ import annotations

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
    x, unbatched = _batched(input)
    geom = _geometry(x, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d")
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
    x, unbatched = _batched(input)
    if divisor_override is not None and divisor_override <= 0:
        raise RuntimeError(f"avg_pool2d: divisor must be not zero, got {divisor_override}")
    geom = _geometry(x, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d", count_include_pad,
                     divisor_override or 0)
    y = AvgPool2d.apply(x, geom=geom)
    return y.squeeze(0) if unbatched else y


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average over PyTorch's adaptive windows [floor(i*H/oh), ceil((i+1)*H/oh))."""
    x, unbatched = _batched(input)
    if x.ndim != 4:
        raise RuntimeError(f"adaptive_avg_pool2d: expected a 3-D or 4-D input, got shape {list(input.shape)}")
    h, w = x.shape[2], x.shape[3]
    oh, ow = (output_size, output_size) if isinstance(output_size, int) else output_size
    oh, ow = h if oh is None else int(oh), w if ow is None else int(ow)
    if oh < 1 or ow < 1:
        raise RuntimeError(f"adaptive_avg_pool2d: output size must be positive, got {(oh, ow)}")
    if h % oh == 0 and w % ow == 0:  # uniform windows: one kernel call
        y = avg_pool2d(x, (h // oh, w // ow))
    else:
        rows = []
        for i in range(oh):
            h0, h1 = (i * h) // oh, -(-((i + 1) * h) // oh)
            cells = [x[:, :, h0:h1, (j * w) // ow:-(-((j + 1) * w) // ow)].mean(dim=(2, 3)) for j in range(ow)]
            rows.append(cat([c.unsqueeze(-1) for c in cells], -1).unsqueeze(-2))
        y = cat(rows, -2)
    return y.squeeze(0) if unbatched else y
