"""Convolution: the 2-D trio of ops (the grad-op pattern), and 1-D / 3-D convolutions built on it.

``Conv2d(x, w)``, ``Conv2dGradInput(gy, w)`` (= conv_transpose2d) and ``Conv2dGradWeight(x, gy)``
are the three bilinear faces of one trilinear form <gy, conv(x, w)>: each one's backward is
made of the other two, so gradients of every order are exact. Each forward is an im2col
gather (numba kernel or numpy twin, see ``autograd_core.kernels``) plus one batched BLAS GEMM.
conv1d / conv_transpose1d are the 2-D ops with H = 1; conv3d / conv_transpose3d stack the depth
taps into the channels of one 2-D op (see the section at the end).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .._function import Function
from .._tensor import Tensor
from .._xp import NUMPY
from ..kernels import get as kernel


@dataclass(frozen=True)
class ConvGeom:
    """Everything about a convolution except the batch size and the values."""

    c: int  # input channels
    h: int
    w: int
    k: int  # output channels
    kh: int
    kw: int
    sh: int
    sw: int
    pads: tuple[int, int, int, int]  # top, bottom, left, right
    dh: int
    dw: int
    groups: int
    ho: int
    wo: int

    @property
    def rows(self) -> int:
        return self.c // self.groups * self.kh * self.kw


def _cols(x: np.ndarray, g: ConvGeom) -> np.ndarray:
    """(C*kh*kw, N*Ho*Wo) windows of the zero-padded input; group k owns rows [k*rows, (k+1)*rows)."""
    t, _, left, _ = g.pads
    return kernel("im2col")(x, g.kh, g.kw, g.sh, g.sw, t, left, g.dh, g.dw, g.ho, g.wo)


def _channels_first(a: np.ndarray, n: int, k: int, g: ConvGeom) -> np.ndarray:
    """(N, K, Ho, Wo) -> (K, N*Ho*Wo), the column layout of ``_cols``."""
    return np.ascontiguousarray(a.reshape(n, k, g.ho * g.wo).transpose(1, 0, 2)).reshape(k, n * g.ho * g.wo)


def _per_group(a: np.ndarray, b: np.ndarray, ga: int, gb: int, g: ConvGeom, ta: bool = False,
               tb: bool = False) -> np.ndarray:
    """Stack over groups of one GEMM each: (a_k)^T? @ (b_k)^T? with row blocks of size ga / gb."""
    out = []
    for k in range(g.groups):
        ak = a[k * ga:(k + 1) * ga]
        bk = b[k * gb:(k + 1) * gb]
        out.append((ak.T if ta else ak) @ (bk.T if tb else bk))
    return out[0] if g.groups == 1 else np.concatenate(out, axis=0)


def _half_in_float32(fn: Any) -> Any:
    """Run a conv face on float16 arrays in float32 and round the result back to float16, as PyTorch's
    CPU kernels accumulate half precision in float: the numba kernels exist for float32 and float64 only,
    and a float16 GEMM would accumulate in float16."""
    def run(a: np.ndarray, b: np.ndarray, g: ConvGeom) -> np.ndarray:
        if a.dtype == np.float16:
            return fn(a.astype(np.float32), b.astype(np.float32), g).astype(np.float16)
        return fn(a, b, g)

    run.__doc__ = fn.__doc__
    return run


def _forward_from_cols(cols: np.ndarray, w: np.ndarray, g: ConvGeom, n: int) -> np.ndarray:
    y = _per_group(w.reshape(g.k, g.rows), cols, g.k // g.groups, g.rows, g)  # (K, N*L)
    return np.ascontiguousarray(y.reshape(g.k, n, g.ho * g.wo).transpose(1, 0, 2)).reshape(n, g.k, g.ho, g.wo)


@_half_in_float32
def conv_forward(x: np.ndarray, w: np.ndarray, g: ConvGeom) -> np.ndarray:
    return _forward_from_cols(_cols(x, g), w, g, x.shape[0])


@_half_in_float32
def conv_grad_input(gy: np.ndarray, w: np.ndarray, g: ConvGeom) -> np.ndarray:
    n = gy.shape[0]
    kg = g.k // g.groups
    # gcols rows of group k = W_k^T @ gy_k: (rows, Kg) @ (Kg, N*L)
    gcols = _per_group(w.reshape(g.k, g.rows), _channels_first(gy, n, g.k, g), kg, kg, g, ta=True)
    t, _, left, _ = g.pads
    return kernel("col2im")(gcols, g.c, g.h, g.w, g.kh, g.kw, g.sh, g.sw, t, left, g.dh, g.dw, g.ho, g.wo)


def _grad_weight_from_cols(cols: np.ndarray, gy: np.ndarray, g: ConvGeom) -> np.ndarray:
    n = gy.shape[0]
    # gw_k = gy_k @ cols_k^T: (Kg, N*L) @ (N*L, rows): one GEMM per group over the whole batch
    gw = _per_group(_channels_first(gy, n, g.k, g), cols, g.k // g.groups, g.rows, g, tb=True)
    return gw.reshape(g.k, g.c // g.groups, g.kh, g.kw)


@_half_in_float32
def conv_grad_weight(x: np.ndarray, gy: np.ndarray, g: ConvGeom) -> np.ndarray:
    return _grad_weight_from_cols(_cols(x, g), gy, g)


# The forward's im2col columns are kept for the weight gradient (one im2col instead of two per training step:
# a fifth of a LeNet-5 step) when they are this small; larger ones are gathered again in backward, so that a
# wide convolution does not hold kh*kw copies of its input until backward.
KEEP_COLS_BYTES = 16 << 20


class Conv2d(Function):
    """y[n,k] = sum_{c,i,j} w[k,c,i,j] x_pad[n,c,s*o+d*i] (+ b[k]);  gx = conv_transpose(gy, w),  gw = corr(x, gy),
    gb = sum of gy over n, h, w"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x, w, b=None, *, geom):
        self.geom = geom
        if x.dtype == np.float16 or _cols_bytes(x, geom) > KEEP_COLS_BYTES:
            y = conv_forward(x, w, geom)
        else:
            self.cols = cols = _cols(x, geom)
            y = _forward_from_cols(cols, w, geom, x.shape[0])
        if b is not None:  # the bias in place on the fresh output: no second (N, K, Ho, Wo) array, no extra node
            y += b.reshape(1, -1, 1, 1)
        return y

    def saved_needed(self):
        e = self.next_functions  # x only for W's gradient, W only for x's; the bias enters none
        return (e[1][0] is not None, e[0][0] is not None) + ((False,) if len(e) == 3 else ())

    def backward(self, gy):
        gb = gy.sum((0, 2, 3)) if len(self.next_functions) == 3 and self.needs_input_grad(2) else None
        x, w = self.saved()[:2]
        cols = self.__dict__.pop("cols", None)  # used once: a retained graph's next backward gathers again
        gx = self.xp.apply(Conv2dGradInput, gy, w, geom=self.geom) if self.needs_input_grad(0) else None
        gw = None
        if self.needs_input_grad(1):
            if cols is not None and self.xp is NUMPY:
                gw = _grad_weight_from_cols(cols, gy, self.geom)
            else:  # create_graph: the recorded op (its own backward gives the second derivatives)
                gw = self.xp.apply(Conv2dGradWeight, x, gy, geom=self.geom)
        return (gx, gw, gb) if len(self.next_functions) == 3 else (gx, gw)

    def attrs(self):
        return _geom_attrs(self.geom)


class Conv2dGradInput(Function):
    """gx = conv_transpose2d(gy, w);  d/dgy = conv2d(ggx, w),  d/dw = corr(ggx, gy)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, gy, w, geom):
        self.geom = geom
        return conv_grad_input(gy, w, geom)

    def backward(self, ggx):
        gy, w = self.saved()
        dgy = self.xp.apply(Conv2d, ggx, w, geom=self.geom) if self.needs_input_grad(0) else None
        dw = self.xp.apply(Conv2dGradWeight, ggx, gy, geom=self.geom) if self.needs_input_grad(1) else None
        return dgy, dw

    def attrs(self):
        return _geom_attrs(self.geom)


class Conv2dGradWeight(Function):
    """gw = sum_n corr(x, gy);  d/dx = conv_transpose2d(gy, ggw),  d/dgy = conv2d(x, ggw)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x, gy, geom):
        self.geom = geom
        return conv_grad_weight(x, gy, geom)

    def backward(self, ggw):
        x, gy = self.saved()
        dx = self.xp.apply(Conv2dGradInput, gy, ggw, geom=self.geom) if self.needs_input_grad(0) else None
        dgy = self.xp.apply(Conv2d, x, ggw, geom=self.geom) if self.needs_input_grad(1) else None
        return dx, dgy

    def attrs(self):
        return _geom_attrs(self.geom)


def _cols_bytes(x: np.ndarray, g: ConvGeom) -> int:
    """The size of x's im2col columns (C*kh*kw, N*Ho*Wo)."""
    return g.c * g.kh * g.kw * x.shape[0] * g.ho * g.wo * x.dtype.itemsize


def _geom_attrs(g: ConvGeom) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if (g.sh, g.sw) != (1, 1):
        out["stride"] = g.sh if g.sh == g.sw else (g.sh, g.sw)
    t, b, left, r = g.pads
    if any(g.pads):
        out["padding"] = t if len({t, b, left, r}) == 1 else ((t, left) if (t, left) == (b, r) else g.pads)
    if (g.dh, g.dw) != (1, 1):
        out["dilation"] = g.dh if g.dh == g.dw else (g.dh, g.dw)
    if g.groups != 1:
        out["groups"] = g.groups
    return out


# ---------------------------------------------------------------------- public functions


def _pair(v: Any, name: str, op: str) -> tuple[int, int]:
    if isinstance(v, (int, np.integer)):
        return int(v), int(v)
    v = tuple(int(a) for a in v)
    if len(v) != 2:
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {v}")
    return v  # type: ignore[return-value]


def out_size(size: int, k: int, s: int, p_total: int, d: int, ceil_mode: bool = False) -> int:
    """Output length of a sliding window (PyTorch's formula, including ceil_mode's last-window rule)."""
    span = size + p_total - d * (k - 1) - 1
    if ceil_mode:
        out = -(-span // s) + 1
        if (out - 1) * s >= size + p_total // 2:
            out -= 1
        return out
    return span // s + 1


# PyTorch's names for dtypes in its messages ("expected scalar type Double but found Float")
_TORCH_NAME = {"float16": "Half", "float32": "Float", "float64": "Double"}


def native(dt: np.dtype) -> np.dtype:
    """dt in native byte order: a big-endian ``>f4`` array is float32 like any other (PyTorch has no byte
    order), so dtype checks compare this, and the kernels byte-swap such input first."""
    return dt if dt.isnative else dt.newbyteorder("=")


def check_float(op: str, dt: np.dtype) -> None:
    """The kernels compute float16 (in float32), float32 and float64; refuse the rest with the fix."""
    if dt.kind != "f" or dt.itemsize not in (2, 4, 8):  # float16/32/64 in any byte order
        raise RuntimeError(f"{op}: input of dtype {dt.name} is not supported (autograd_core computes float16, "
                           "float32 and float64); convert it with .float() or .double()")


def check_same_dtype(op: str, x: Any, w: Any) -> None:
    """PyTorch refuses an input and a weight of different dtypes (no promotion): so do we, naming both."""
    a, b = native(x.dtype), native(w.dtype)
    if a != b:
        raise RuntimeError(
            f"{op}: expected scalar type {_TORCH_NAME.get(a.name, a.name)} but found "
            f"{_TORCH_NAME.get(b.name, b.name)}: Input type ({a.name}) and weight type ({b.name}) should be the "
            f"same; convert one, e.g. weight.to({a.name}) or input.to({b.name}) (.float() / .double())")


def conv_geometry(x_shape: tuple, w_shape: tuple, stride: Any, padding: Any, dilation: Any, groups: int,
                  op: str = "conv2d", check_size: bool = True) -> ConvGeom:
    """Validate a conv2d call in Python (numba does not bounds-check) and describe it. ``check_size=False``
    skips the window-fits-the-input check (an empty batch of conv_transpose2d, which PyTorch lets through)."""
    if len(x_shape) != 4:
        raise RuntimeError(f"{op}: expected a 4-D input (N, C, H, W) (or 3-D unbatched), got shape {list(x_shape)}")
    if len(w_shape) != 4:
        raise RuntimeError(f"{op}: expected a 4-D weight (out_channels, in_channels/groups, kH, kW), "
                           f"got shape {list(w_shape)}")
    n, c, h, w = x_shape
    k, cg, kh, kw = w_shape
    if kh < 1 or kw < 1:  # an empty window would give zeros (nn.Conv2d(3, 4, 0) builds such a weight)
        raise RuntimeError(f"{op}: kernel size should be greater than zero, but got kernel_height: {kh} "
                           f"kernel_width: {kw}")
    if k < 1:
        raise RuntimeError(f"{op}: Given groups={groups}, expected weight to be at least {max(groups, 1)} at "
                           f"dimension 0, but got weight of size {list(w_shape)} instead")
    if groups < 1 or c % groups or k % groups:
        raise RuntimeError(
            f"{op}: groups={groups} must divide both in_channels ({c}) and out_channels ({k})")
    if cg * groups != c:
        raise RuntimeError(
            f"{op}: Given groups={groups}, weight of size {list(w_shape)}, expected input{list(x_shape)} to have "
            f"{cg * groups} channels, but got {c} channels instead")
    sh, sw = _pair(stride, "stride", op)
    dh, dw = _pair(dilation, "dilation", op)
    if min(sh, sw) < 1:
        raise RuntimeError(f"{op}: non-positive stride is not supported, got stride={(sh, sw)}")
    if min(dh, dw) < 1:
        raise RuntimeError(f"{op}: dilation should be greater than zero, but got {[dh, dw]}")
    if isinstance(padding, str):
        if padding == "valid":
            pads = (0, 0, 0, 0)
        elif padding == "same":
            if (sh, sw) != (1, 1):
                raise RuntimeError(f"{op}: padding='same' is not supported for strided convolutions")
            th, tw = dh * (kh - 1), dw * (kw - 1)
            pads = (th // 2, th - th // 2, tw // 2, tw - tw // 2)  # the extra row/col goes last
        else:
            raise ValueError(f"{op}: Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
    else:
        ph, pw = _pair(padding, "padding", op)
        if min(ph, pw) < 0:
            raise RuntimeError(f"{op}: negative padding is not supported, got {(ph, pw)}")
        pads = (ph, ph, pw, pw)
    hp, wp = h + pads[0] + pads[1], w + pads[2] + pads[3]
    if check_size and (hp < dh * (kh - 1) + 1 or wp < dw * (kw - 1) + 1):
        raise RuntimeError(
            f"{op}: Calculated padded input size per channel: ({hp} x {wp}). Kernel size: "
            f"({dh * (kh - 1) + 1} x {dw * (kw - 1) + 1}). Kernel size can't be greater than actual input size")
    ho = out_size(h, kh, sh, pads[0] + pads[1], dh)
    wo = out_size(w, kw, sw, pads[2] + pads[3], dw)
    return ConvGeom(c, h, w, k, kh, kw, sh, sw, pads, dh, dw, groups, ho, wo)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation (PyTorch's conv2d): input (N, C, H, W), weight (K, C/groups, kH, kW)."""
    return _conv2d(input, weight, bias, stride, padding, dilation, groups, "conv2d")


def _check_bias_dtype(op: str, x: Tensor, bias: Tensor | None) -> None:
    if bias is not None and native(bias.dtype) != native(x.dtype):
        raise RuntimeError(f"{op}: Input type ({native(x.dtype).name}) and bias type ({native(bias.dtype).name}) "
                           f"should be the same; convert the bias with bias.to({native(x.dtype).name})")


def _add_bias(op: str, y: Tensor, bias: Tensor | None, k: int) -> Tensor:
    if bias is None:
        return y
    if tuple(bias.shape) != (k,):
        raise RuntimeError(f"{op}: bias must have shape [{k}] (one per output channel), got {list(bias.shape)}")
    return y + bias.reshape((1, k) + (1,) * (y.ndim - 2))


def _conv2d(input: Any, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any, dilation: Any, groups: int,
            op: str) -> Tensor:
    x = input if isinstance(input, Tensor) else Tensor(input)
    unbatched = x.ndim == 3
    if unbatched:
        x = x.unsqueeze(0)
    check_float(op, x.dtype)
    check_same_dtype(op, x, weight)
    _check_bias_dtype(op, x, bias)
    geom = conv_geometry(x.shape, weight.shape, stride, padding, dilation, groups, op)
    top, bottom, left, right = geom.pads
    if top != bottom or left != right:
        # padding='same' with an even span: PyTorch pads the odd row/column explicitly and convolves the padded
        # copy, so that copy (not the input) is what backward keeps, and changing the input in place afterwards
        # is allowed; the same here
        from .shape import pad

        x = pad(x, (0, right - left, 0, bottom - top))
        geom = conv_geometry(x.shape, weight.shape, stride, (top, left), dilation, groups, op)
    if bias is None:
        y = Conv2d.apply(x, weight, geom=geom)
    else:
        if tuple(bias.shape) != (geom.k,):
            raise RuntimeError(f"{op}: bias must have shape [{geom.k}] (one per output channel), got "
                               f"{list(bias.shape)}")
        y = Conv2d.apply(x, weight, bias, geom=geom)
    return y.squeeze(0) if unbatched else y


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    """Transposed convolution (the gradient of conv2d w.r.t. its input); weight (C_in, C_out/groups, kH, kW)."""
    return _conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation,
                             "conv_transpose2d")


def _conv_transpose2d(input: Any, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any,
                      output_padding: Any, groups: int, dilation: Any, op: str) -> Tensor:
    x = input if isinstance(input, Tensor) else Tensor(input)
    unbatched = x.ndim == 3
    if unbatched:
        x = x.unsqueeze(0)
    if x.ndim != 4 or weight.ndim != 4:
        raise RuntimeError(f"{op}: expected 4-D input and weight, got {list(x.shape)} and {list(weight.shape)}")
    check_float(op, x.dtype)
    check_same_dtype(op, x, weight)
    n, cin, hin, win = x.shape
    if weight.shape[0] != cin:
        raise RuntimeError(f"{op}: weight of size {list(weight.shape)} expects {weight.shape[0]} input "
                           f"channels, but the input{list(x.shape)} has {cin}")
    sh, sw = _pair(stride, "stride", op)
    ph, pw = _pair(padding, "padding", op)
    oph, opw = _pair(output_padding, "output_padding", op)
    dh, dw = _pair(dilation, "dilation", op)
    if min(sh, sw) < 1:
        raise RuntimeError(f"{op}: non-positive stride is not supported, got stride={(sh, sw)}")
    if min(ph, pw) < 0 or min(oph, opw) < 0:
        raise RuntimeError(f"{op}: negative padding is not supported, got padding={(ph, pw)}, "
                           f"output_padding={(oph, opw)}")
    cout = weight.shape[1] * groups
    kh, kw = weight.shape[2], weight.shape[3]
    h = (hin - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    w = (win - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    # PyTorch checks output_padding and the output size only for a non-empty batch (an empty one just
    # needs a shape, which may have zero rows but not fewer)
    if n and (oph >= max(sh, dh) or opw >= max(sw, dw)):
        raise RuntimeError(f"{op}: output padding must be smaller than either stride or dilation, but got "
                           f"output_padding_height: {oph} output_padding_width: {opw} stride_height: {sh} "
                           f"stride_width: {sw} dilation_height: {dh} dilation_width: {dw}")
    if kh >= 1 and kw >= 1 and (min(h, w) < 0 or n and min(h, w) < 1):
        raise RuntimeError(f"{op}: Given input size per channel: ({hin} x {win}). Calculated output size per "
                           f"channel: ({h} x {w}). Output size is too small")
    # conv_transpose2d(x, W) is conv2d's input-gradient for a conv2d mapping (N, cout, h, w) -> x's shape
    # with weight W read as (K=cin, C/groups=cout/groups, kh, kw).
    geom = conv_geometry((n, cout, h, w), weight.shape, (sh, sw), (ph, pw), (dh, dw), groups, op, check_size=n > 0)
    # That conv2d's own output is hin + oph // sh rows: an output_padding of at least the stride (allowed
    # while it is below the dilation) adds rows that no input reaches. The transpose reads only the
    # first hin x win of them, which the kernels take as given (ho, wo).
    geom = replace(geom, ho=hin, wo=win)
    y = Conv2dGradInput.apply(x, weight, geom=geom)
    if bias is not None:
        # PyTorch converts a bias of another float dtype to the input's (conv2d refuses it instead)
        y = y + bias.to(x.dtype).reshape(1, cout, 1, 1)
    return y.squeeze(0) if unbatched else y


# ---------------------------------------------------------------------- 1-d and 3-d convolutions
# conv1d is conv2d on (N, C, 1, L). conv3d is one conv2d too: the kD depth taps of every output depth are
# stacked into the channels (a depth-only im2col, kD strided slices of the input), so the whole convolution is
# still a single GEMM and its gradients of every order come from the conv2d trio and the slicing ops.
# conv_transpose3d is that map's adjoint: the transposed conv2d of every input depth, its kD taps added back
# into strided depth slices of the output.


def _ntuple(v: Any, n: int, name: str, op: str) -> tuple[int, ...]:
    """An int or a sequence of 1 or n ints as n ints (PyTorch expands a single value)."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return (int(v),) * n
    try:
        t = tuple(int(a) for a in v)
    except TypeError:
        raise TypeError(f"{op}: {name} must be an int or a tuple of {n} ints, got {type(v).__name__}") from None
    if len(t) == 1:
        return t * n
    if len(t) != n:
        raise RuntimeError(f"{op}: expected {name} to be a single integer value or a list of {n} values to match the "
                           f"convolution dimensions, but got {name}={list(t)}")
    return t


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _conv_input(op: str, x: Any, weight: Tensor, nd: int) -> tuple[Tensor, bool]:
    """The (batched) input of an nd-dimensional convolution and whether it came unbatched; checks ranks, dtypes."""
    x = _as_tensor(x)
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{op}: Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {op}, but got "
                           f"input of size: {list(x.shape)}")
    if weight.ndim != nd + 2:
        what = "(in_channels, out_channels/groups, *kernel)" if "transpose" in op else \
            "(out_channels, in_channels/groups, *kernel)"
        raise RuntimeError(f"{op}: expected a {nd + 2}-D weight {what}, got shape {list(weight.shape)}")
    check_float(op, x.dtype)
    check_same_dtype(op, x, weight)
    return (x.unsqueeze(0), True) if x.ndim == nd + 1 else (x, False)


def _conv_pads(op: str, padding: Any, ks: tuple, strides: tuple, dil: tuple) -> list[tuple[int, int]]:
    """(before, after) padding per spatial dim; 'same' puts the odd one after, as PyTorch."""
    if isinstance(padding, str):
        if padding == "valid":
            return [(0, 0)] * len(ks)
        if padding == "same":
            if any(s != 1 for s in strides):
                raise RuntimeError(f"{op}: padding='same' is not supported for strided convolutions")
            return [(d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(ks, dil)]
        raise ValueError(f"{op}: Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
    p = _ntuple(padding, len(ks), "padding", op)
    if min(p) < 0:
        raise RuntimeError(f"{op}: negative padding is not supported, got padding={list(p)}")
    return [(a, a) for a in p]


def _check_conv(op: str, x_shape: tuple, w_shape: tuple, groups: int, strides: tuple, dil: tuple,
                pads: list) -> None:
    """PyTorch's checks of a convolution (kernel, groups, channels, window size), with its messages."""
    c, k, cg = x_shape[1], w_shape[0], w_shape[1]
    ks = tuple(w_shape[2:])
    if min(ks) < 1:
        raise RuntimeError(f"{op}: kernel size should be greater than zero, but got kernel size {list(ks)}")
    if groups < 1 or k % groups or c % groups or k < 1:
        raise RuntimeError(f"{op}: groups={groups} must divide both in_channels ({c}) and out_channels ({k})")
    if cg * groups != c:
        raise RuntimeError(f"{op}: Given groups={groups}, weight of size {list(w_shape)}, expected input"
                           f"{list(x_shape)} to have {cg * groups} channels, but got {c} channels instead")
    if min(strides) < 1:
        raise RuntimeError(f"{op}: non-positive stride is not supported, got stride={list(strides)}")
    if min(dil) < 1:
        raise RuntimeError(f"{op}: dilation should be greater than zero, but got {list(dil)}")
    padded = [s + a + b for s, (a, b) in zip(x_shape[2:], pads)]
    span = [d * (kk - 1) + 1 for kk, d in zip(ks, dil)]
    if any(p < q for p, q in zip(padded, span)):
        raise RuntimeError(f"{op}: Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
                           f"Kernel size: ({' x '.join(map(str, span))}). Kernel size can't be greater than actual "
                           "input size")


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D cross-correlation: input (N, C, L) or (C, L), weight (K, C/groups, k); conv2d with H = 1."""
    op = "conv1d"
    x, unbatched = _conv_input(op, input, weight, 1)
    (s,), (d,) = _ntuple(stride, 1, "stride", op), _ntuple(dilation, 1, "dilation", op)
    pads = _conv_pads(op, padding, tuple(weight.shape[2:]), (s,), (d,))
    _check_conv(op, tuple(x.shape), tuple(weight.shape), groups, (s,), (d,), pads)
    y = _conv2d(x.unsqueeze(2), weight.unsqueeze(2), bias, (1, s), padding if isinstance(padding, str) else
                (0, pads[0][0]), (1, d), groups, op).squeeze(2)
    return y.squeeze(0) if unbatched else y


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """3-D cross-correlation: input (N, C, D, H, W) or (C, D, H, W), weight (K, C/groups, kD, kH, kW)."""
    from .shape import pad, stack

    op = "conv3d"
    x, unbatched = _conv_input(op, input, weight, 3)
    _check_bias_dtype(op, x, bias)
    strides = _ntuple(stride, 3, "stride", op)
    dil = _ntuple(dilation, 3, "dilation", op)
    ks = tuple(weight.shape[2:])
    pads = _conv_pads(op, padding, ks, strides, dil)
    _check_conv(op, tuple(x.shape), tuple(weight.shape), groups, strides, dil, pads)
    n, c, _, h, w = x.shape
    k, cg, kd, kh, kw = weight.shape
    do, ho, wo = (out_size(x.shape[2 + i], ks[i], strides[i], sum(pads[i]), dil[i]) for i in range(3))
    sd, dd = strides[0], dil[0]
    if any(pads[0]):
        x = pad(x, (0, 0, 0, 0) + pads[0])
    xt = x.transpose(1, 2)  # (N, Dp, C, H, W)
    taps = [xt[:, i * dd:i * dd + sd * (do - 1) + 1:sd] for i in range(kd)]  # each (N, Do, C, H, W)
    cols = taps[0].unsqueeze(2) if kd == 1 else stack(taps, 2)  # (N, Do, kD, C, H, W)
    # channels ordered (group, depth tap, channel of the group), matching the weight's rows (tap, channel)
    cols = cols.reshape(n * do, kd, groups, cg, h, w).permute(0, 2, 1, 3, 4, 5).reshape(n * do, groups * kd * cg, h, w)
    w2 = weight.permute(0, 2, 1, 3, 4).reshape(k, kd * cg, kh, kw)
    geom = ConvGeom(groups * kd * cg, h, w, k, kh, kw, strides[1], strides[2], pads[1] + pads[2], dil[1], dil[2],
                    groups, ho, wo)
    y = Conv2d.apply(cols, w2, geom=geom).reshape(n, do, k, ho, wo).transpose(1, 2).contiguous()
    y = _add_bias(op, y, bias, k)
    return y.squeeze(0) if unbatched else y


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    """Transposed 1-D convolution (conv1d's input gradient); weight (C_in, C_out/groups, k)."""
    op = "conv_transpose1d"
    x, unbatched = _conv_input(op, input, weight, 1)
    one = [_ntuple(v, 1, name, op)[0] for v, name in ((stride, "stride"), (padding, "padding"),
                                                      (output_padding, "output_padding"), (dilation, "dilation"))]
    s, p, op_, d = one
    y = _conv_transpose2d(x.unsqueeze(2), weight.unsqueeze(2), bias, (1, s), (0, p), (0, op_), groups, (1, d),
                          op).squeeze(2)
    return y.squeeze(0) if unbatched else y


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    """Transposed 3-D convolution (conv3d's input gradient); weight (C_in, C_out/groups, kD, kH, kW)."""
    from .indexing import IndexAddZeros

    op = "conv_transpose3d"
    x, unbatched = _conv_input(op, input, weight, 3)
    n, cin, din, hin, win = x.shape
    if weight.shape[0] != cin:
        raise RuntimeError(f"{op}: weight of size {list(weight.shape)} expects {weight.shape[0]} input channels, "
                           f"but the input{list(x.shape)} has {cin}")
    if groups < 1 or cin % groups:
        raise RuntimeError(f"{op}: groups={groups} must divide in_channels ({cin})")
    strides, pads, opads, dil = (_ntuple(v, 3, name, op) for v, name in (
        (stride, "stride"), (padding, "padding"), (output_padding, "output_padding"), (dilation, "dilation")))
    if min(strides) < 1 or min(dil) < 1:
        raise RuntimeError(f"{op}: stride and dilation must be positive, got stride={list(strides)}, "
                           f"dilation={list(dil)}")
    if min(pads) < 0 or min(opads) < 0:
        raise RuntimeError(f"{op}: negative padding is not supported, got padding={list(pads)}, "
                           f"output_padding={list(opads)}")
    k_in, cg, kd, kh, kw = weight.shape
    cout = cg * groups
    ks = (kd, kh, kw)
    outs = [(i - 1) * s - 2 * p + d * (kk - 1) + o + 1 for i, s, p, d, kk, o in
            zip(x.shape[2:], strides, pads, dil, ks, opads)]
    if n and any(o >= max(s, d) for o, s, d in zip(opads, strides, dil)):
        raise RuntimeError(f"{op}: output padding must be smaller than either stride or dilation, but got "
                           f"output_padding={list(opads)}, stride={list(strides)}, dilation={list(dil)}")
    if min(ks) >= 1 and (min(outs) < 0 or n and min(outs) < 1):
        raise RuntimeError(f"{op}: Given input size per channel: ({din} x {hin} x {win}). Calculated output size "
                           f"per channel: ({' x '.join(map(str, outs))}). Output size is too small")
    dout, hout, wout = outs
    sd, pd, dd = strides[0], pads[0], dil[0]
    # the adjoint of conv3d's depth stacking: weight rows (tap, channel), channels (group, tap, channel)
    w2 = weight.permute(0, 2, 1, 3, 4).reshape(cin, kd * cg, kh, kw)
    geom = conv_geometry((n * din, groups * kd * cg, hout, wout), tuple(w2.shape), strides[1:], pads[1:], dil[1:],
                         groups, op, check_size=n > 0)
    geom = replace(geom, ho=hin, wo=win)
    x2 = x.transpose(1, 2).reshape(n * din, cin, hin, win)
    taps = Conv2dGradInput.apply(x2, w2, geom=geom)  # (N*Din, groups*kD*cg, Hout, Wout)
    taps = taps.reshape(n, din, groups, kd, cg, hout, wout).permute(0, 1, 3, 2, 4, 5, 6)
    taps = taps.reshape(n, din, kd, cout, hout, wout)
    full_shape = (n, dout + 2 * pd, cout, hout, wout)
    full = None
    for i in range(kd):  # tap i of input depth j lands on padded output depth j*sd + i*dd
        at = (slice(None), slice(i * dd, i * dd + sd * (din - 1) + 1, sd))
        part = IndexAddZeros.apply(taps[:, :, i], shape=full_shape, index=at, basic=True)
        full = part if full is None else full + part
    y = full[:, pd:pd + dout].transpose(1, 2).contiguous()
    if bias is not None:  # PyTorch converts a bias of another float dtype to the input's, as conv_transpose2d
        y = _add_bias(op, y, bias.to(x.dtype), cout)
    return y.squeeze(0) if unbatched else y
