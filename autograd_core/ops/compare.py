"""Selection ops (where, maximum, minimum, clamp) and non-differentiable comparisons."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._function import Function
from .._tensor import Tensor, _make
from .._xp import define
from .arithmetic import _binary, _need_tensors, _promote
from .unary import _F32, not_implemented, sign_nan0, torch_dtype_name

__all__ = [  # the public functions (ag.<name>); Tensor methods are declared in METHODS below
    "where", "maximum", "minimum", "clamp", "clip", "eq", "ne", "lt", "le", "gt", "ge", "sign", "isnan", "isfinite",
    "allclose", "equal",
    "fmax", "fmin", "clamp_min", "clamp_max", "heaviside", "sgn", "isinf", "isposinf", "isneginf", "isreal", "signbit",
    "isclose", "logical_not", "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor",
    "bitwise_not", "bitwise_left_shift", "bitwise_right_shift", "gcd", "lcm", "greater", "greater_equal", "less",
    "less_equal", "not_equal",
]


class Where(Function):
    """out = where(c, a, b);  ga = where(c, g, 0),  gb = where(c, 0, g)"""

    fresh_grads = True

    def forward(self, cond, a, b):
        self.cond = cond
        return np.where(cond, a, b)

    def backward(self, g):
        c = self.cond
        xp = self.xp
        ga = xp.where(c, g, 0.0) if self.needs_input_grad(1) else None
        gb = xp.where(c, 0.0, g) if self.needs_input_grad(2) else None
        return None, ga, gb


def _weights(a: np.ndarray, b: np.ndarray, loses: np.ufunc, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """The share of g each argument of max/min receives: 1 unless it loses (``loses(a, b)``), a half each
    at ties; a NaN never loses, so where either side is NaN both get g, as in PyTorch."""
    tie = (a == b) * 0.5
    return (~loses(a, b) - tie).astype(dtype), (~loses(b, a) - tie).astype(dtype)


class Maximum(Function):
    """out = max(a, b);  ga = g * ([not a < b] - [a == b] / 2),  gb = g * ([not b < a] - [a == b] / 2)"""

    fresh_grads = True

    def forward(self, a, b):
        # a on ties (numpy returns its second argument): maximum(-0., 0.) is -0. as in PyTorch's scalar loop (small
        # tensors, tails); its vector loop returns b there, a difference only in the sign of a zero
        out = np.maximum(b, a)
        self.wa, self.wb = _weights(a, b, np.less, out.dtype)
        return out

    def backward(self, g):
        return self.xp.masked(g, self.wa), self.xp.masked(g, self.wb)  # a losing side's inf/nan g: 0


def _nan_ignoring(ufunc: Any, a: Any, b: Any) -> np.ndarray:
    """fmax / fmin with a on ties (PyTorch's): np.fmax's SIMD loop returns b there and its scalar tail a, so
    the tie-consistent np.maximum / np.minimum (b on ties: called as (b, a)) with the nan cases put back."""
    out = ufunc(b, a)
    if out.dtype.kind in "fc":
        out = np.where(np.isnan(a), b, out)
        out = np.where(np.isnan(b), a, out).astype(out.dtype, copy=False)
    return np.asarray(out)


class Minimum(Function):
    """out = min(a, b);  ga = g * ([not a > b] - [a == b] / 2),  gb = g * ([not b > a] - [a == b] / 2)"""

    fresh_grads = True

    def forward(self, a, b):
        out = np.minimum(b, a)  # a on ties, as PyTorch's
        self.wa, self.wb = _weights(a, b, np.greater, out.dtype)
        return out

    def backward(self, g):
        return self.xp.masked(g, self.wa), self.xp.masked(g, self.wb)  # a losing side's inf/nan g: 0


class Clamp(Function):
    """y = clip(x, lo, hi);  gx = g * (lo <= x <= hi)"""

    fresh_grads = True

    def forward(self, x, lo, hi):
        self.lo, self.hi = lo, hi
        # tensor bounds broadcast with x (the result takes the broadcast shape, as in PyTorch)
        mask = np.ones(np.broadcast_shapes(x.shape, *(np.shape(v) for v in (lo, hi) if v is not None)), dtype=bool)
        if lo is not None:
            mask &= x >= lo
        if hi is not None:
            mask &= x <= hi
        self.mask = mask
        out = np.clip(x, lo, hi)
        # a bound equal to x returns x itself in PyTorch (clamp(-0., min=0) is -0.), np.clip the bound: only
        # zero has two signs, so only a zero bound needs the fix
        if any(v is not None and np.any(np.asarray(v) == 0) for v in (lo, hi)):
            out = np.where(out == x, x, out).astype(out.dtype, copy=False)
        return out

    def backward(self, g):
        return self.xp.masked(g, self.mask)  # an inf/nan g outside the bounds gives 0, as in PyTorch

    def attrs(self):
        return {k: v for k, v in (("min", self.lo), ("max", self.hi)) if v is not None}


def _data(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x


def where(condition: Any, input: Any = None, other: Any = None) -> Any:  # noqa: A002 - PyTorch's names
    """Elementwise ``input`` where ``condition`` else ``other`` (condition has no gradient); ``where(condition)``
    alone is ``condition.nonzero(as_tuple=True)``."""
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    cond = np.asarray(_data(condition))
    if cond.dtype != np.bool_:
        raise RuntimeError(
            f"where expected condition to be a boolean tensor, but got a tensor with dtype {cond.dtype.name} "
            "(compare first, e.g. x > 0, or convert with .bool())"
        )
    input, other = _promote(input, other) if isinstance(input, Tensor) or isinstance(other, Tensor) else (
        input, other)
    try:
        np.broadcast_shapes(cond.shape, np.shape(_data(input)), np.shape(_data(other)))
    except ValueError:
        raise RuntimeError(f"where: the shapes of condition {list(cond.shape)}, input {list(np.shape(_data(input)))} "
                           f"and other {list(np.shape(_data(other)))} do not broadcast together (every dimension, "
                           "aligned from the right, must be equal or 1)") from None
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        return _make(np.asarray(np.where(cond, input, other)), None, False)
    return Where.apply(cond, input, other)


def maximum(a: Tensor, b: Any) -> Tensor:
    """Elementwise maximum (ties split the gradient evenly)."""
    return _binary(Maximum, a, b)


def minimum(a: Tensor, b: Any) -> Tensor:
    """Elementwise minimum (ties split the gradient evenly)."""
    return _binary(Minimum, a, b)


def clamp(x: Tensor, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
    """Clip to [min, max]; gradient 1 inside (bounds included), 0 outside."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    if isinstance(x, Tensor) and x._data.dtype == np.bool_ and all(isinstance(b, bool) for b in (min, max)
                                                                    if b is not None):
        raise not_implemented("clamp_scalar_cpu", x._data.dtype, "a mask has no order to clamp in; convert with "
                              ".int() first")
    if (isinstance(min, Tensor) and min._rg) or (isinstance(max, Tensor) and max._rg):
        # bounds that require grad receive it where they are the result (PyTorch's clamp.Tensor):
        # where() routes g to the selected branch; at x == bound the gradient goes to x, as in PyTorch
        y = x if min is None else where(x < min, min, x)
        y = y if max is None else where(y > max, max, y)
        # a nan in x or in a bound gives nan with no gradient to any of them, as PyTorch's clamp backward
        # (x gets g where min <= x <= max, a bound where it is the result: comparisons with nan are false)
        nan = isnan(x) if isinstance(x, Tensor) else np.isnan(np.asarray(x))
        for b in (min, max):
            if isinstance(b, Tensor):
                nan = logical_or(nan, isnan(b))
        if np.any(_data(nan)):
            y = where(nan, _make(np.full((), np.nan, dtype=y._data.dtype), None, False), y)
        return y
    if isinstance(x, Tensor) and x._data.dtype.kind in "iub" and any(
            isinstance(b, float) or (isinstance(b, Tensor) and b._data.dtype.kind == "f") for b in (min, max)):
        x = x._data.astype(np.result_type(np.float32, *[_data(b) for b in (min, max) if isinstance(b, Tensor)]))
    return Clamp.apply(x, lo=_data(min), hi=_data(max))


clip = clamp


def _compare(ufunc: np.ufunc, a: Any, b: Any) -> Tensor:
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):  # as PyTorch: Tensors and numbers only
        seq = a if isinstance(a, (list, tuple)) else b
        name = {"equal": "eq", "not_equal": "ne", "less": "lt", "less_equal": "le", "greater": "gt"}.get(
            ufunc.__name__, "ge")
        raise TypeError(f"{name}: a comparison takes Tensors and numbers, not a {type(seq).__name__}; "
                        f"wrap it first, e.g. ag.tensor({seq!r})")
    return _make(np.asarray(ufunc(_data(a), _data(b))), None, False)


def _dunder(fn: Any) -> Any:
    """The operator form: a Python sequence operand is not ours to compare (NotImplemented), so ``x == [1, 2]``
    is False and ``x < [1, 2]`` a TypeError from Python, as with PyTorch's Tensors."""
    def op(self: Tensor, other: Any) -> Any:
        return NotImplemented if isinstance(other, (list, tuple)) else fn(self, other)
    op.__name__ = op.__qualname__ = f"__{fn.__name__}__"
    op.__doc__ = fn.__doc__
    return op


def eq(a: Any, b: Any) -> Tensor:
    """a == b elementwise (bool tensor, no grad)."""
    return _compare(np.equal, a, b)


def ne(a: Any, b: Any) -> Tensor:
    """a != b elementwise (bool tensor, no grad)."""
    return _compare(np.not_equal, a, b)


def lt(a: Any, b: Any) -> Tensor:
    """a < b elementwise (bool tensor, no grad)."""
    return _compare(np.less, a, b)


def le(a: Any, b: Any) -> Tensor:
    """a <= b elementwise (bool tensor, no grad)."""
    return _compare(np.less_equal, a, b)


def gt(a: Any, b: Any) -> Tensor:
    """a > b elementwise (bool tensor, no grad)."""
    return _compare(np.greater, a, b)


def ge(a: Any, b: Any) -> Tensor:
    """a >= b elementwise (bool tensor, no grad)."""
    return _compare(np.greater_equal, a, b)


class Sign(Function):
    """y = sign(x) in {-1, 0, 1};  gx = 0 (piecewise constant; recorded, as in PyTorch, so that
    y + x still gets x's gradient through the other path and y.requires_grad matches)"""

    def forward(self, x):
        return x.copy() if x.dtype == np.bool_ else sign_nan0(np.asarray(x))

    def backward(self, g):
        return self.xp.zeros_like(g)


def sign(x: Tensor) -> Tensor:
    """-1, 0 or 1 elementwise (zero gradient)."""
    return Sign.apply(x)


def isnan(x: Tensor) -> Tensor:
    return _make(np.isnan(x._data), None, False)


def isfinite(x: Tensor) -> Tensor:
    return _make(np.isfinite(x._data), None, False)


def allclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    return bool(np.allclose(_data(a), _data(b), rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(a: Tensor, b: Tensor) -> bool:
    """True if both have the same shape and elements."""
    return bool(np.array_equal(_data(a), _data(b)))


# ---------------------------------------------------------------------- nan-ignoring max/min, more predicates
class Fmax(Function):
    """out = max(a, b), nan only where both are;  ga = g * [a >= b or b is nan],  gb = g * [otherwise]"""

    fresh_grads = True

    def forward(self, a, b):
        out = _nan_ignoring(np.maximum, a, b)
        if out.dtype.kind == "f":
            self.wa = (a >= b) | np.isnan(b)  # a tie goes to a, all of it (PyTorch; maximum splits it)
        return out

    def backward(self, g):
        return self.xp.masked(g, self.wa), self.xp.masked(g, ~self.wa)


class Fmin(Function):
    """out = min(a, b), nan only where both are;  ga = g * [a <= b or b is nan],  gb = g * [otherwise]"""

    fresh_grads = True

    def forward(self, a, b):
        out = _nan_ignoring(np.minimum, a, b)
        if out.dtype.kind == "f":
            self.wa = (a <= b) | np.isnan(b)
        return out

    def backward(self, g):
        return self.xp.masked(g, self.wa), self.xp.masked(g, ~self.wa)


class Heaviside(Function):
    """out = 0 (x < 0), values (x == 0), 1 (x > 0); no derivative (PyTorch defines none)"""

    def forward(self, x, values):
        # PyTorch's definition, x == 0 ? values : x > 0 (numpy's heaviside gives nan at a nan x; torch 0)
        return np.where(x == 0, values, x > 0).astype(np.result_type(x, values), copy=False)

    def backward(self, g):
        raise NotImplementedError(
            "derivative for aten::heaviside is not implemented (as in PyTorch): the step has no useful "
            "gradient; detach its input, or use a smooth step such as sigmoid(k * x) to differentiate")


def fmax(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002 - PyTorch's names
    """Elementwise maximum that ignores nan (nan only where both are); a tie sends the gradient to input."""
    _need_tensors("fmax", input=input, other=other)
    return _binary(Fmax, input, other)


def fmin(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Elementwise minimum that ignores nan (nan only where both are); a tie sends the gradient to input."""
    _need_tensors("fmin", input=input, other=other)
    return _binary(Fmin, input, other)


def clamp_min(input: Tensor, min: Any) -> Tensor:  # noqa: A002
    """clamp(input, min=min)."""
    return clamp(input, min=min)


def clamp_max(input: Tensor, max: Any) -> Tensor:  # noqa: A002
    """clamp(input, max=max)."""
    return clamp(input, max=max)


def heaviside(input: Tensor, values: Tensor) -> Tensor:  # noqa: A002
    """The step function: 0 below 0, ``values`` at 0, 1 above (not differentiable, as in PyTorch)."""
    _need_tensors("heaviside", input=input, values=values)
    if input._data.dtype != values._data.dtype:
        raise RuntimeError(f"heaviside is not yet implemented for tensors with different dtypes (input "
                           f"{input._data.dtype}, values {values._data.dtype}): cast values to input.dtype")
    return _binary(Heaviside, input, values)


def sgn(x: Tensor) -> Tensor:
    """sign(x) for real tensors (PyTorch's complex-aware sign)."""
    return Sign.apply(x)


def _bool_result(arr: Any) -> Tensor:
    return _make(np.asarray(arr), None, False)


def isinf(x: Tensor) -> Tensor:
    """Whether each element is +inf or -inf (bool tensor)."""
    return _bool_result(np.isinf(x._data) if x._data.dtype.kind == "f" else np.zeros(x.shape, bool))


def isposinf(x: Tensor) -> Tensor:
    """Whether each element is +inf."""
    return _bool_result(x._data == np.inf if x._data.dtype.kind == "f" else np.zeros(x.shape, bool))


def isneginf(x: Tensor) -> Tensor:
    """Whether each element is -inf."""
    return _bool_result(x._data == -np.inf if x._data.dtype.kind == "f" else np.zeros(x.shape, bool))


def isreal(x: Tensor) -> Tensor:
    """Whether each element has zero imaginary part: all True for real tensors."""
    return _bool_result(np.isreal(x._data))


def signbit(x: Tensor) -> Tensor:
    """Whether each element's sign bit is set (True for -0.0 and negative nan)."""
    d = x._data
    return _bool_result(np.signbit(d) if d.dtype.kind == "f" else (d < 0) if d.dtype.kind == "i" else
                        np.zeros(d.shape, bool))


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,  # noqa: A002
            equal_nan: bool = False) -> Tensor:
    """|input - other| <= atol + rtol * |other| elementwise (equal infinities are close; nan only with equal_nan)."""
    _need_tensors("isclose", input=input, other=other)
    a, b = input._data, other._data
    if a.dtype != b.dtype:
        raise RuntimeError(f"{torch_dtype_name(a.dtype)} did not match {torch_dtype_name(b.dtype)} (isclose compares "
                           "tensors of one dtype: cast one, e.g. other.to(input.dtype))")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    with np.errstate(invalid="ignore", over="ignore"):
        close = a == b
        if equal_nan and a.dtype.kind == "f":
            close |= np.isnan(a) & np.isnan(b)
        if rtol or atol:
            # PyTorch's formula and dtypes: bool as float32; an integer other times a float rtol is float32
            if a.dtype == np.bool_:
                a, b = a.astype(_F32), b.astype(_F32)
            scaled = b.astype(_F32) if b.dtype.kind in "iu" else b
            allowed = atol + np.abs(rtol * scaled)
            actual = np.abs(a - b)
            close |= np.isfinite(actual) & (actual <= allowed)
    return _bool_result(close)


def logical_not(x: Tensor) -> Tensor:
    """not x elementwise (nonzero is True); a bool tensor."""
    return _bool_result(np.logical_not(x._data))


def _logical(ufunc: np.ufunc, op: str) -> Any:
    def fn(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
        _need_tensors(op, input=input, other=other)
        return _bool_result(ufunc(input._data, other._data))

    fn.__name__ = op
    fn.__doc__ = f"{op.split('_')[1]} of the truth values elementwise (nonzero is True); a bool tensor."
    return fn


logical_and = _logical(np.logical_and, "logical_and")
logical_or = _logical(np.logical_or, "logical_or")
logical_xor = _logical(np.logical_xor, "logical_xor")


def _int_operands(op: str, a: Any, b: Any, bools: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The operands of a bitwise op as arrays of their common integer (or bool) dtype, PyTorch's checks."""
    ad, bd = _data(a), _data(b)  # a Python number stays one: it takes the tensor's dtype (NEP 50, as PyTorch)
    dt = np.result_type(ad, bd)
    if dt.kind not in ("iu" + ("b" if bools else "")):
        raise not_implemented(f"{op}_cpu", dt, f"{op} is defined for integer{' and bool' if bools else ''} tensors")
    # astype wraps a number outside the dtype's range (-1 into uint8 is 255), as C and PyTorch do
    return np.asarray(ad).astype(dt, copy=False), np.asarray(bd).astype(dt, copy=False)


def _bitwise(ufunc: np.ufunc, op: str) -> Any:
    def fn(input: Any, other: Any) -> Tensor:  # noqa: A002
        if not isinstance(input, Tensor) and not isinstance(other, Tensor):
            raise TypeError(f"{op}(): at least one of 'input' and 'other' must be a Tensor")
        a, b = _int_operands(op, input, other)
        return _make(np.asarray(ufunc(a, b)), None, False)

    fn.__name__ = op
    fn.__doc__ = f"Elementwise {op.split('_')[1].upper()} of integer or bool tensors (no gradient)."
    return fn


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")


def bitwise_not(x: Tensor) -> Tensor:
    """Elementwise NOT of an integer tensor (logical not for bool)."""
    if x._data.dtype.kind not in "iub":
        raise not_implemented("bitwise_not_cpu", x._data.dtype, "bitwise_not is defined for integer and bool tensors")
    return _make(np.invert(x._data), None, False)


def _shift(op: str, a: Any, b: Any, left: bool) -> Tensor:
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"{op}(): at least one of 'input' and 'other' must be a Tensor")
    x, s = _int_operands("lshift" if left else "rshift", a, b, bools=False)
    bits = x.dtype.itemsize * 8
    # PyTorch's results for shift counts numpy (and C) leave undefined: a count < 0 or >= the width gives 0
    # for <<, and the sign fill (x >> width - 1) for >>
    out_of_range = (s < 0) | (s >= bits)
    safe = np.where(out_of_range, 0, s).astype(x.dtype, copy=False)
    if left:
        out = np.where(out_of_range, 0, np.left_shift(x, safe))
    else:
        out = np.where(out_of_range, np.right_shift(x, x.dtype.type(bits - 1)), np.right_shift(x, safe))
    return _make(np.asarray(out).astype(x.dtype, copy=False), None, False)


def bitwise_left_shift(input: Any, other: Any) -> Tensor:  # noqa: A002
    """input << other for integer tensors (0 where other is negative or at least the bit width)."""
    return _shift("bitwise_left_shift", input, other, True)


def bitwise_right_shift(input: Any, other: Any) -> Tensor:  # noqa: A002
    """input >> other, arithmetic for signed integers (the sign fill where other is out of range)."""
    return _shift("bitwise_right_shift", input, other, False)


def _int_math(ufunc: np.ufunc, op: str) -> Any:
    def fn(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
        _need_tensors(op, input=input, other=other)
        a, b = _int_operands(op, input, other, bools=False)
        return _make(np.asarray(ufunc(a, b)), None, False)

    fn.__name__ = op
    fn.__doc__ = f"Elementwise {'greatest common divisor' if op == 'gcd' else 'least common multiple'} of integer " \
                 "tensors (non-negative)."
    return fn


gcd = _int_math(np.gcd, "gcd")
lcm = _int_math(np.lcm, "lcm")
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne



# ---------------------------------------------------------------------- xp: selection in backwards
def _masked_np(g: np.ndarray, w: np.ndarray) -> np.ndarray:
    # A multiplication (SIMD; np.where on a random mask is ~10x slower), redone as a select only when
    # g holds inf or nan.
    out = g * w
    if not np.isfinite(out).all():
        out = np.where(w > 0, out, 0).astype(out.dtype, copy=False)
    return out


define("where", np.where, lambda cond, a, b: Where.apply(cond, a, b))
define("maximum", np.maximum, lambda a, b: maximum(a, b))
# xp.masked(g, w) = g * w where w > 0 and exactly 0 elsewhere (w: a bool mask or nonnegative weights):
# PyTorch's masked gradients, where an inf/nan g at a cut-off element gives 0, not 0 * inf = nan.
define("masked", _masked_np, lambda g, w: Where.apply(w > 0, g * w, 0.0))


# ---------------------------------------------------------------------- declarations
def _where_method(self: Tensor, condition: Any, other: Any) -> Tensor:
    """x.where(condition, other): x where condition holds, else other."""
    return where(condition, self, other)


def masked_fill(self: Tensor, mask: Any, value: Any) -> Tensor:
    """value where mask holds, else self."""
    return where(mask, value, self)


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else _make(np.asarray(x), None, False)  # (Tensor(...) would make float32)


METHODS = {
    "__eq__": _dunder(eq), "__ne__": _dunder(ne), "__lt__": _dunder(lt), "__le__": _dunder(le), "__gt__": _dunder(gt),
    "__ge__": _dunder(ge),
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge, "clamp": clamp, "clip": clamp,
    "maximum": maximum, "minimum": minimum, "sign": sign, "isnan": isnan, "isfinite": isfinite, "equal": equal,
    "allclose": allclose, "where": _where_method,
    "fmax": fmax, "fmin": fmin, "clamp_min": clamp_min, "clamp_max": clamp_max, "heaviside": heaviside, "sgn": sgn,
    "isinf": isinf, "isposinf": isposinf, "isneginf": isneginf, "isreal": isreal, "signbit": signbit,
    "isclose": isclose, "logical_not": logical_not, "logical_and": logical_and, "logical_or": logical_or,
    "logical_xor": logical_xor, "bitwise_and": bitwise_and, "bitwise_or": bitwise_or, "bitwise_xor": bitwise_xor,
    "bitwise_not": bitwise_not, "bitwise_left_shift": bitwise_left_shift, "bitwise_right_shift": bitwise_right_shift,
    "gcd": gcd, "lcm": lcm, "greater": greater, "greater_equal": greater_equal, "less": less,
    "less_equal": less_equal, "not_equal": not_equal,
    "__lshift__": bitwise_left_shift, "__rlshift__": lambda self, other: bitwise_left_shift(other, self),
    "__rshift__": bitwise_right_shift, "__rrshift__": lambda self, other: bitwise_right_shift(other, self),
    # x <<= y etc. write into x (PyTorch), through the in-place twins _methods binds (x.bitwise_left_shift_(y))
    "__ilshift__": lambda self, other: self.bitwise_left_shift_(other),
    "__irshift__": lambda self, other: self.bitwise_right_shift_(other),
    "__iand__": lambda self, other: self.bitwise_and_(other),
    "__ior__": lambda self, other: self.bitwise_or_(other),
    "__ixor__": lambda self, other: self.bitwise_xor_(other),
}
UFUNCS = {np.maximum: maximum, np.minimum: minimum, np.greater: gt, np.greater_equal: ge, np.less: lt,
          np.less_equal: le, np.equal: eq, np.not_equal: ne, np.sign: lambda x: sign(_t(x)),
          np.isnan: lambda x: isnan(_t(x)), np.isfinite: lambda x: isfinite(_t(x)),
          np.fmax: lambda a, b: fmax(_t(a), _t(b)), np.fmin: lambda a, b: fmin(_t(a), _t(b)),
          np.heaviside: lambda a, b: heaviside(_t(a), _t(b)), np.isinf: lambda x: isinf(_t(x)),
          np.signbit: lambda x: signbit(_t(x)), np.logical_not: lambda x: logical_not(_t(x)),
          np.logical_and: lambda a, b: logical_and(_t(a), _t(b)), np.logical_or: lambda a, b: logical_or(_t(a), _t(b)),
          np.logical_xor: lambda a, b: logical_xor(_t(a), _t(b)), np.bitwise_and: bitwise_and,
          np.bitwise_or: bitwise_or, np.bitwise_xor: bitwise_xor, np.invert: lambda x: bitwise_not(_t(x)),
          np.left_shift: bitwise_left_shift, np.right_shift: bitwise_right_shift,
          np.gcd: lambda a, b: gcd(_t(a), _t(b)), np.lcm: lambda a, b: lcm(_t(a), _t(b))}
