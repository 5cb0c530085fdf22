"""Converters of the tensor ops: elementwise math, reductions, shapes and indexing."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._convert import Ctx, converts

_INT64_MAX = np.iinfo(np.int64).max

# ---------------------------------------------------------------------- elementwise
_UNARY = {
    "Neg": "Neg", "Exp": "Exp", "Log": "Log", "Sqrt": "Sqrt", "Abs": "Abs", "Sin": "Sin", "Cos": "Cos", "Tan": "Tan",
    "Tanh": "Tanh", "Sigmoid": "Sigmoid", "Erf": "Erf", "Relu": "Relu", "Atan": "Atan", "Asin": "Asin",
    "Acos": "Acos", "Sinh": "Sinh", "Cosh": "Cosh", "Asinh": "Asinh", "Acosh": "Acosh", "Atanh": "Atanh",
    "Floor": "Floor", "Ceil": "Ceil", "Reciprocal": "Reciprocal", "Sign": "Sign",
}
_BINARY = {"Add": "Add", "Sub": "Sub", "Mul": "Mul", "Div": "Div", "Pow": "Pow", "Maximum": "Max",
           "Minimum": "Min"}


@converts(*_UNARY)
def _unary(c: Ctx) -> str:
    return c.op(_UNARY[c.op_name], [c.x(0, c.out_dtype())])


@converts(*_BINARY)
def _binary(c: Ctx) -> str:
    # ONNX wants one element type: every operand (Python numbers too) takes the result's dtype, which is the
    # engine's promotion result (int / int is a float division here, as in PyTorch)
    dt = c.out_dtype()
    return c.op(_BINARY[c.op_name], [c.x(0, dt), c.x(1, dt)])


@converts("Rsqrt")
def _rsqrt(c: Ctx) -> str:
    return c.op("Reciprocal", [c.op("Sqrt", [c.x(0, c.out_dtype())])])


@converts("Square")
def _square(c: Ctx) -> str:
    x = c.x(0, c.out_dtype())
    return c.op("Mul", [x, x])


@converts("Log1p", "Expm1", "Log2", "Log10", "Exp2")
def _log_exp(c: Ctx) -> str:
    dt = c.out_dtype()
    x = c.x(0, dt)
    kind = c.op_name
    if kind == "Log1p":
        return c.op("Log", [c.op("Add", [x, c.const(1, dt)])])
    if kind == "Expm1":
        return c.op("Sub", [c.op("Exp", [x]), c.const(1, dt)])
    if kind == "Exp2":
        return c.op("Pow", [c.const(2, dt), x])
    return c.op("Div", [c.op("Log", [x]), c.const(np.log(2.0 if kind == "Log2" else 10.0), dt)])


@converts("Round")
def _round(c: Ctx) -> str:
    decimals = c.raw(1) if c.n > 1 else 0
    if decimals:
        raise c.fail(f"round(decimals={decimals}) has no ONNX form here; only decimals=0 is exported")
    return c.op("Round", [c.x(0)])  # ONNX rounds half to even, as numpy and PyTorch do


@converts("Where")
def _where(c: Ctx) -> str:
    dt = c.out_dtype()
    a, b = c.x(1, dt), c.x(2, dt)
    if a == b:  # where(mask, y.detach(), y) (Embedding's padding_idx): the value is y whatever the mask
        return a
    return c.op("Where", [c.x(0, np.bool_), a, b])


@converts("Clamp")
def _clamp(c: Ctx) -> str:
    dt = c.out_dtype()
    x = c.x(0, dt)
    lo, hi = c.attr("lo"), c.attr("hi")
    if (lo is None or np.ndim(lo) == 0) and (hi is None or np.ndim(hi) == 0):
        bounds = ["" if v is None else c.const(v, dt) for v in (lo, hi)]
        return c.op("Clip", [x, *bounds])
    if lo is not None:  # tensor bounds broadcast with x: Max/Min do
        x = c.op("Max", [x, c.array(lo, c.twin.lo, "the lower bound", dt)])
    if hi is not None:
        x = c.op("Min", [x, c.array(hi, c.twin.hi, "the upper bound", dt)])
    return x


@converts("Clone")
def _clone(c: Ctx) -> str:
    return c.x(0)


@converts("Cast")
def _cast(c: Ctx) -> str:
    return c.cast(c.x(0), c.out_dtype())


@converts("Matmul")
def _matmul(c: Ctx) -> str:
    dt = c.out_dtype()  # numpy's matmul semantics, 1-d operands included, are ONNX MatMul's
    return c.op("MatMul", [c.x(0, dt), c.x(1, dt)])


# ---------------------------------------------------------------------- reductions
def reduce(c: Ctx, op: str, x: str, axes: Any, keepdims: bool) -> str:
    """An ONNX Reduce* over ``axes`` (None: all); axes are an input from opset 18 (ReduceSum: 13)."""
    if axes is None:
        return c.op(op, [x], keepdims=int(keepdims))
    axes = [int(a) for a in (axes if isinstance(axes, (tuple, list)) else (axes,))]
    if c.opset >= 18 or (op == "ReduceSum" and c.opset >= 13):
        return c.op(op, [x, c.ints(axes)], keepdims=int(keepdims))
    return c.op(op, [x], axes=axes, keepdims=int(keepdims))


_REDUCE = {"Sum": "ReduceSum", "Mean": "ReduceMean", "Amax": "ReduceMax", "Amin": "ReduceMin", "Prod": "ReduceProd",
           "LogSumExp": "ReduceLogSumExp"}


@converts(*_REDUCE)
def _reduce(c: Ctx) -> str:
    return reduce(c, _REDUCE[c.op_name], c.x(0, c.out_dtype()), c.attr("axes"), c.attr("keepdim"))


@converts("Var", "Std")
def _moment(c: Ctx) -> str:
    dt = c.out_dtype()
    x = c.x(0, dt)
    axes, keep = c.attr("axes"), c.attr("keepdim")
    n, corr = c.attr("n"), c.attr("c")  # the count is baked in: the reduced dims must be static (checked)
    d = c.op("Sub", [x, reduce(c, "ReduceMean", x, axes, True)])
    var = c.op("Div", [reduce(c, "ReduceSum", c.op("Mul", [d, d]), axes, keep), c.const(max(n - corr, 0), dt)])
    return c.op("Sqrt", [var]) if c.op_name == "Std" else var


@converts("Softmax", "LogSoftmax")
def _softmax(c: Ctx) -> str:
    return c.op(c.op_name, [c.x(0)], axis=int(c.attr("dim")))


# ---------------------------------------------------------------------- shapes
@converts("Reshape")
def _reshape(c: Ctx) -> str:
    x = c.x(0)
    out1, out2 = c.out_shape(), c.out_shape(twin=True)
    alt = c.cv.alt(x, out1, out2)
    if alt is not None:  # the same data in this shape exists (the unflattened form of a flattened value)
        return alt
    if c.shape(0) == out1 and c.shape(0, True) == out2:
        return x
    target = c.cv.reshape_target(c.shape(0), out1, c.shape(0, True), out2, c.where())
    y = c.op("Reshape", [x, c.ints(target)])
    c.cv.add_alt(y, c.shape(0), c.shape(0, True), lambda: x)
    return y


@converts("Permute")
def _permute(c: Ctx) -> str:
    return c.op("Transpose", [c.x(0)], perm=[int(d) for d in c.attr("dims")])


@converts("Expand")
def _expand(c: Ctx) -> str:
    out1, out2 = c.out_shape(), c.out_shape(twin=True)
    in1, in2 = c.shape(0), c.shape(0, True)
    lead = len(out1) - len(in1)
    target = list(out1)
    for j in range(len(out1)):
        if out1[j] != out2[j]:
            k = j - lead
            if k < 0 or in1[k] == in2[k]:
                raise c.fail(f"expands {list(in1)} to {list(out1)}, where dim {j} of the result follows a dynamic "
                             "axis the input does not have; the exporter cannot size that broadcast")
            target[j] = 1  # Expand broadcasts: 1 keeps the input's (dynamic) size
    return c.op("Expand", [c.x(0), c.ints(target)])


@converts("Repeat")
def _repeat(c: Ctx) -> str:
    reps = [int(r) for r in c.attr("reps")]
    in1 = c.shape(0)
    x = c.x(0)
    if len(reps) > len(in1):  # numpy's tile promotes the input with leading 1s first
        x = c.op("Unsqueeze", [x, c.ints(range(len(reps) - len(in1)))])
    reps = [1] * (len(in1) - len(reps)) + reps
    return c.op("Tile", [x, c.ints(reps)])


@converts("Cat")
def _cat(c: Ctx) -> str:
    dt = c.out_dtype()
    xs = [c.x(i, dt) for i in range(c.n)]
    dim = int(c.attr("dim", static=False))
    y = c.op("Concat", xs, axis=dim)
    if dim in (-1, len(c.out_shape()) - 1):  # features of flattened rows: the unflattened forms concatenate too
        for shape, twin_shape, _, _ in list(c.cv.alts.get(xs[0], ())):
            parts = [(x, shape[:-1] + (c.shape(i)[-1],), twin_shape[:-1] + (c.shape(i, True)[-1],))
                     for i, x in enumerate(xs)]
            if all(any(e[0] == p[1] and e[1] == p[2] for e in c.cv.alts.get(p[0], ())) for p in parts):
                c.cv.add_alt(y, shape[:-1] + (c.out_shape()[-1],), twin_shape[:-1] + (c.out_shape(twin=True)[-1],),
                             _concat_alts(c, parts, len(shape) - 1))
    return y


def _concat_alts(c: Ctx, parts: list, axis: int) -> Any:
    return lambda: c.op("Concat", [c.cv.alt(*p) for p in parts], axis=axis)


@converts("Split")
def _split(c: Ctx) -> list[str]:
    dim = int(c.attr("dim", static=False))
    k = len(c.node._out_meta)
    sizes = [c.out_shape(j)[dim] for j in range(k)]
    for j in range(k):
        c.same("split sizes", sizes[j], c.out_shape(j, twin=True)[dim])
    return c.op("Split", [c.x(0), c.ints(sizes)], n_out=k, axis=dim) if k > 1 else [c.x(0)]


@converts("Flip")
def _flip(c: Ctx) -> str:
    dims = [int(d) for d in np.atleast_1d(c.attr("dims"))]
    n = len(dims)
    return c.op("Slice", [c.x(0), c.ints([-1] * n), c.ints([-_INT64_MAX] * n), c.ints(dims), c.ints([-1] * n)])


@converts("Pad")
def _pad(c: Ctx) -> str:
    pads = c.attr("pads")  # ((before, after), ...) per dim; negative crops, as ONNX Pad does
    ints = [int(b) for b, _ in pads] + [int(a) for _, a in pads]
    return c.op("Pad", [c.x(0), c.ints(ints), c.const(_pad_value(c, pads), c.out_dtype())], mode="constant")


def _pad_value(c: Ctx, pads: tuple) -> float:
    """The fill value: the Pad node keeps only the widths, so it is read off the output at a padded position."""
    out = c.cv.output_array(c.node, 0)
    for d, (before, after) in enumerate(pads):
        if before > 0 or after > 0:
            if out is None:
                raise c.fail("its fill value cannot be recovered (the padded tensor is not kept)")
            at = [0] * out.ndim
            at[d] = 0 if before > 0 else out.shape[d] - 1
            return float(out[tuple(at)]) if out.size else 0.0
    return 0.0  # only crops: no value is written


@converts("PadGather")
def _pad_gather(c: Ctx) -> str:
    # reflect / replicate / circular padding reads each padded dim at fixed source positions: one Gather per dim
    x = c.x(0)
    plan, twin_plan = c.attr("plan", static=False), c.twin.plan
    for (d, idx, _, _), (_, twin_idx, _, _) in zip(plan, twin_plan):
        x = c.op("Gather", [x, c.array(np.asarray(idx, np.int64), np.asarray(twin_idx, np.int64),
                                        f"the {c.attr('mode')} padding positions")], axis=int(d))
    return x


# ---------------------------------------------------------------------- indexing
@converts("GetItem")
def _getitem(c: Ctx) -> str:
    index, twin = c.node.index, c.twin.index
    if type(index).__name__ == "SplitIndex":  # x[ints and slices][advanced], PyTorch's order
        c.same("index", index.first, twin.first)
        x = _basic_index(c, c.x(0), index.first, c.shape(0))
        return _advanced_index(c, x, index.second, twin.second, _basic_shape(index.first, c.shape(0)))
    if c.node.basic:
        c.same("index", index, twin)
        return _basic_index(c, c.x(0), index, c.shape(0))
    return _advanced_index(c, c.x(0), index, twin, c.shape(0))


def _expand_ellipsis(index: tuple, ndim: int) -> list:
    """The index with its Ellipsis (or the implied trailing one) spelled out as whole-dim slices."""
    used = sum(1 for k in index if k is not None and k is not Ellipsis)
    out: list = []
    seen = False
    for k in index:
        if k is Ellipsis:
            if not seen:
                out.extend([slice(None)] * (ndim - used))
            seen = True
        else:
            out.append(k)
    if not seen:
        out.extend([slice(None)] * (ndim - used))
    return out


def _basic_shape(index: tuple, shape: tuple) -> tuple:
    return np.empty(shape, dtype=np.int8)[index].shape


def _basic_index(c: Ctx, x: str, index: tuple, shape: tuple) -> str:
    """ints and slices as one Slice, ints squeezed away, None as Unsqueeze (numpy's basic indexing)."""
    starts, ends, axes, steps, squeeze, unsqueeze = [], [], [], [], [], []
    dim = out = 0
    for k in _expand_ellipsis(tuple(index), len(shape)):
        if k is None:
            unsqueeze.append(out)
            out += 1
            continue
        if isinstance(k, slice):
            if k != slice(None):
                starts.append(0 if k.start is None else int(k.start))
                ends.append(_INT64_MAX if k.stop is None else int(k.stop))
                steps.append(1 if k.step is None else int(k.step))
                axes.append(dim)
            out += 1
        else:  # an int: a one-long slice, squeezed below (-1 runs to the end)
            i = int(k)
            starts.append(i)
            ends.append(_INT64_MAX if i == -1 else i + 1)
            steps.append(1)
            axes.append(dim)
            squeeze.append(dim)
        dim += 1
    if axes:
        x = c.op("Slice", [x, c.ints(starts), c.ints(ends), c.ints(axes), c.ints(steps)])
    if squeeze:
        x = c.op("Squeeze", [x, c.ints(squeeze)])
    if unsqueeze:
        x = c.op("Unsqueeze", [x, c.ints(unsqueeze)])
    return x


def _advanced_index(c: Ctx, x: str, index: tuple, twin_index: tuple, shape: tuple) -> str:
    """One integer index array on one dim (the others whole): Gather, as numpy/PyTorch lay the result out."""
    items = _expand_ellipsis(tuple(index), len(shape))
    twin_items = _expand_ellipsis(tuple(twin_index), len(shape))
    arrays = [(d, k) for d, k in enumerate(items) if isinstance(k, np.ndarray)]
    if len(arrays) != 1 or arrays[0][1].dtype.kind not in "iu" or any(
            k != slice(None) for k in items if not isinstance(k, np.ndarray)):
        raise c.fail("only one integer index tensor on one dim, with every other dim taken whole (x[idx], "
                     "x[:, idx]), is exported; boolean masks and combined index tensors have data-dependent "
                     "shapes or no single ONNX op")
    d, idx = arrays[0]
    out = c.op("Gather", [x, c.array(idx, twin_items[d], "the index")], axis=d)
    src = c.cv.input_view(idx)
    if src is not None and idx.ndim == 1 and src.ndim > 1 and len(shape) == 2 and d == 0:
        # an embedding lookup gathers with the flattened indices and reshapes back to their shape: gather
        # with the indices as they are too, so that the reshape that follows is this one (no sizes baked in)
        ids = c.cv.inputs[id(src)]
        twin_src = c.cv.twin_of_input(src)
        c.cv.add_alt(out, tuple(src.shape) + shape[1:], tuple(twin_src) + shape[1:],
                     lambda: c.op("Gather", [x, ids], axis=0))
    return out
