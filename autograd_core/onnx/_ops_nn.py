"""Converters of the layer ops: linear, convolution, pooling, normalisation and activations."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._function import Function
from .._tensor import Tensor
from ._convert import Converter, Ctx, converts, fuses
from ._ops_tensor import reduce

# ---------------------------------------------------------------------- linear and convolution


@converts("Linear")
def _linear(c: Ctx) -> str:
    dt = c.out_dtype()
    has_bias = c.n > 2 and c.raw(2) is not None
    x, w = c.x(0, dt), c.x(1, dt)
    b = c.x(2, dt) if has_bias else ""
    if len(c.shape(0)) != 2:
        return _linear_nd(c, x, w, b)
    y = c.op("Gemm", [x, w, b] if b else [x, w], transB=1)  # y = x W^T + b: Gemm, as PyTorch exports it
    out = c.out_shape()[-1]
    for shape, twin_shape, _, _ in list(c.cv.alts.get(x, ())):  # x is flattened rows: the same Linear on the
        # unflattened form gives the unflattened result, made only if something asks for it (an LSTM's gx)
        c.cv.add_alt(y, shape[:-1] + (out,), twin_shape[:-1] + (out,),
                     lambda s=shape, t=twin_shape: _linear_nd(c, c.cv.alt(x, s, t), w, b))
    return y


def _linear_nd(c: Ctx, x: str, w: str, b: str) -> str:
    y = c.op("MatMul", [x, c.op("Transpose", [w], perm=[1, 0])])
    return c.op("Add", [y, b]) if b else y


def _conv_geom(c: Ctx) -> Any:
    g, g2 = c.attr("geom", static=False), c.twin.geom
    fields = ("kh", "kw", "sh", "sw", "pads", "dh", "dw", "groups")
    c.same("convolution settings", tuple(getattr(g, f) for f in fields), tuple(getattr(g2, f) for f in fields))
    return g


@converts("Conv2d")
def _conv2d(c: Ctx) -> str:
    g = _conv_geom(c)
    dt = c.out_dtype()
    ins = [c.x(0, dt), c.x(1, dt)]
    if c.n > 2 and c.raw(2) is not None:
        ins.append(c.x(2, dt))
    top, bottom, left, right = g.pads
    return c.op("Conv", ins, kernel_shape=[g.kh, g.kw], strides=[g.sh, g.sw], pads=[top, left, bottom, right],
                dilations=[g.dh, g.dw], group=g.groups)


@converts("Conv2dGradInput")
def _conv_transpose2d(c: Ctx) -> str:
    g = _conv_geom(c)
    dt = c.out_dtype()
    top, bottom, left, right = g.pads
    ho, wo = c.out_shape()[2:]
    # the engine's forward geometry is the transposed conv's output; ONNX derives it from pads and output_padding
    extra_h = ho - ((g.ho - 1) * g.sh - top - bottom + g.dh * (g.kh - 1) + 1)
    extra_w = wo - ((g.wo - 1) * g.sw - left - right + g.dw * (g.kw - 1) + 1)
    return c.op("ConvTranspose", [c.x(0, dt), c.x(1, dt)], kernel_shape=[g.kh, g.kw], strides=[g.sh, g.sw],
                pads=[top, left, bottom, right], dilations=[g.dh, g.dw], group=g.groups,
                output_padding=[extra_h, extra_w] if extra_h or extra_w else None)


# ---------------------------------------------------------------------- pooling
def _pool_geom(c: Ctx) -> Any:
    g, g2 = c.attr("geom", static=False), c.twin.geom
    fields = ("kh", "kw", "sh", "sw", "ph", "pw", "dh", "dw", "ceil_mode", "count_include_pad", "divisor")
    c.same("pooling settings", tuple(getattr(g, f) for f in fields), tuple(getattr(g2, f) for f in fields))
    return g


def _is_global(g: Any) -> bool:
    return (g.kh, g.kw) == (g.h, g.w) and (g.ho, g.wo) == (1, 1) and not (g.ph or g.pw)


@converts("MaxPool2d")
def _max_pool2d(c: Ctx) -> str:
    g = _pool_geom(c)
    return c.op("MaxPool", [c.x(0)], kernel_shape=[g.kh, g.kw], strides=[g.sh, g.sw], pads=[g.ph, g.pw, g.ph, g.pw],
                dilations=[g.dh, g.dw], ceil_mode=int(g.ceil_mode))


@converts("AvgPool2d")
def _avg_pool2d(c: Ctx) -> str:
    g = c.attr("geom", static=False)
    if _is_global(g) and _is_global(c.twin.geom):  # adaptive_avg_pool2d(x, 1), also for dynamic H, W
        return c.op("GlobalAveragePool", [c.x(0)])
    g = _pool_geom(c)
    if g.divisor and g.divisor != g.kh * g.kw:
        raise c.fail(f"avg_pool2d(divisor_override={g.divisor}) has no ONNX form (AveragePool divides by the "
                     "window size)")
    return c.op("AveragePool", [c.x(0)], kernel_shape=[g.kh, g.kw], strides=[g.sh, g.sw],
                pads=[g.ph, g.pw, g.ph, g.pw], ceil_mode=int(g.ceil_mode), count_include_pad=int(g.count_include_pad))


# ---------------------------------------------------------------------- activations
@converts("LeakyRelu")
def _leaky_relu(c: Ctx) -> str:
    return c.op("LeakyRelu", [c.x(0)], alpha=float(c.attr("slope")))


@converts("Elu")
def _elu(c: Ctx) -> str:
    # y = s x (x > 0), s a (e^(k x) - 1) (x <= 0): ELU (s = k = 1), SELU (its a, s), CELU (k = 1 / a)
    alpha, scale, k = float(c.attr("alpha")), float(c.attr("scale")), float(c.attr("input_scale"))
    dt = c.out_dtype()
    x = c.x(0)
    if k == 1.0:
        y = c.op("Elu", [x], alpha=alpha)
        return y if scale == 1.0 else c.op("Mul", [y, c.const(scale, dt)])
    if scale == 1.0:  # celu(x, a) = max(0, x) + min(0, a (e^(x/a) - 1)) = a elu(x / a, 1)
        y = c.op("Elu", [c.op("Mul", [x, c.const(k, dt)])], alpha=1.0)
        return c.op("Mul", [y, c.const(1.0 / k, dt)]) if alpha * k == 1.0 else c.op(
            "Where", [c.op("Greater", [x, c.const(0, dt)]), x, c.op("Mul", [y, c.const(alpha, dt)])])
    raise c.fail(f"an ELU with alpha={alpha}, scale={scale}, input_scale={k} has no ONNX form here")


@converts("Softplus")
def _softplus(c: Ctx) -> str:
    beta, threshold = float(c.attr("beta")), float(c.attr("threshold"))
    dt = c.out_dtype()
    x = c.x(0)
    bx = x if beta == 1.0 else c.op("Mul", [x, c.const(beta, dt)])
    soft = c.op("Softplus", [bx])
    if beta != 1.0:
        soft = c.op("Div", [soft, c.const(beta, dt)])
    return c.op("Where", [c.op("Greater", [bx, c.const(threshold, dt)]), x, soft])  # linear above the threshold


@converts("Hardtanh")
def _hardtanh(c: Ctx) -> str:
    dt = c.out_dtype()
    return c.op("Clip", [c.x(0), c.const(c.attr("lo"), dt), c.const(c.attr("hi"), dt)])


@converts("Hardsigmoid")
def _hardsigmoid(c: Ctx) -> str:
    return c.op("HardSigmoid", [c.x(0)], alpha=1.0 / 6.0, beta=0.5)


@converts("Hardswish")
def _hardswish(c: Ctx) -> str:
    if c.opset >= 14:
        return c.op("HardSwish", [c.x(0)])
    x = c.x(0)
    return c.op("Mul", [x, c.op("HardSigmoid", [x], alpha=1.0 / 6.0, beta=0.5)])


@converts("Threshold")
def _threshold(c: Ctx) -> str:
    dt = c.out_dtype()
    x = c.x(0)
    t, v = c.attr("threshold"), c.attr("value")
    return c.op("Where", [c.op("Greater", [x, c.const(t, dt)]), x, c.const(v, dt)])


# ---------------------------------------------------------------------- normalisation
@converts("BatchNorm")
def _batch_norm_batch_stats(c: Ctx) -> str:
    # batch statistics (batch_norm(training=True), or a BatchNorm with track_running_stats=False in eval)
    dt = c.out_dtype()
    x = c.x(0, dt)
    rank = len(c.shape(0))
    axes = [0] + list(range(2, rank))
    bshape = [1, -1] + [1] * (rank - 2)
    d = c.op("Sub", [x, reduce(c, "ReduceMean", x, axes, True)])
    var = reduce(c, "ReduceMean", c.op("Mul", [d, d]), axes, True)
    y = c.op("Div", [d, c.op("Sqrt", [c.op("Add", [var, c.const(float(c.attr("eps")), dt)])])])
    if c.raw(1) is not None:
        y = c.op("Mul", [y, c.op("Reshape", [c.x(1, dt), c.ints(bshape)])])
    if c.n > 2 and c.raw(2) is not None:
        y = c.op("Add", [y, c.op("Reshape", [c.x(2, dt), c.ints(bshape)])])
    return y


def _known_source(cv: Converter, node: Function, slot: int) -> Tensor | None:
    """The parameter or buffer that input ``slot`` of ``node`` is (directly, or reshaped)."""
    child, _ = node.next_functions[slot]
    t = node.inputs[slot]
    if isinstance(child, Function):
        if type(child).__name__ != "Reshape" or not isinstance(child.next_functions[0][0], Tensor):
            return None
        t = child.inputs[0]
    if not isinstance(t, Tensor):
        return None
    if id(t) in cv.tensors:
        return t
    base = t._base
    return base if base is not None and id(base) in cv.tensors else None


def _next(cv: Converter, node: Function, op: str) -> tuple | None:
    """The only consumer of ``node``'s output when it is an ``op`` node (and the output is no graph output)."""
    uses = cv.consumers.get((node, 0), [])
    if len(uses) != 1 or (node, 0) in cv.output_keys or type(uses[0][0]).__name__ != op:
        return None
    return uses[0]


@fuses
def _batch_norm_eval(cv: Converter, node: Function) -> bool:
    """BatchNorm in eval mode runs as (x - mean) * rsqrt(var + eps) [* weight] [+ bias]: one BatchNormalization."""
    if type(node).__name__ != "Sub" or isinstance(node.next_functions[1][0], Function):
        return False
    mean = _known_source(cv, node, 1)
    name = cv.tensors.get(id(mean), "") if mean is not None else ""
    if not name.endswith("running_mean"):
        return False
    mod = cv.modules.get(name[: -len("running_mean")].rstrip("."))
    if mod is None or getattr(mod, "running_var", None) is None or not hasattr(mod, "eps"):
        return False
    step = _next(cv, node, "Mul")
    if step is None:
        return False
    mul, slot = step
    inv = mul.inputs[1 - slot]
    expect = 1.0 / np.sqrt(mod.running_var._data.astype(np.float64) + mod.eps)
    if isinstance(mul.next_functions[1 - slot][0], Function) or not isinstance(inv, Tensor):
        return False
    if inv._data.size != expect.size or not np.allclose(inv._data.astype(np.float64).reshape(-1), expect, rtol=1e-5):
        return False
    chain, tail = [mul], mul
    weight = bias = None
    step = _next(cv, tail, "Mul")
    if step is not None and _known_source(cv, step[0], 1 - step[1]) is getattr(mod, "weight", None) is not None:
        weight, tail = mod.weight, step[0]
        chain.append(tail)
    step = _next(cv, tail, "Add")
    if step is not None and _known_source(cv, step[0], 1 - step[1]) is getattr(mod, "bias", None) is not None:
        bias, tail = mod.bias, step[0]
        chain.append(tail)
    if (weight is None) != (getattr(mod, "weight", None) is None):
        return False  # an affine BatchNorm whose weight was not found right after: not the pattern
    c = Ctx(cv, node)
    dt = c.out_dtype()
    if any(t is not None and t.dtype != dt for t in (mean, mod.running_var, weight, bias)):
        return False
    ch = mean._data.size
    scale = cv.leaf_name(weight) if weight is not None else c.const(np.ones(ch, dt))
    shift = cv.leaf_name(bias) if bias is not None else c.const(np.zeros(ch, dt))
    y = c.op("BatchNormalization", [c.x(0), scale, shift, cv.leaf_name(mean), cv.leaf_name(mod.running_var)],
             epsilon=float(mod.eps))
    cv.done.update(chain)
    cv.values[(tail, 0)] = y
    return True
