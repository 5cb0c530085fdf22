"""Binary arithmetic with broadcasting and matmul.

Broadcasting is undone by the engine (one ``sum_to`` per edge), so these backward formulas
return gradients in the broadcast shape.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._function import Function
from .._tensor import Tensor
from .shape import to_dtype

__all__ = [  # the public functions (ag.<name>); Tensor methods are declared in METHODS below
    "add", "sub", "mul", "div", "remainder", "pow", "neg", "matmul",
]

_F32 = np.dtype(np.float32)
_BOOL_SUB = ("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a "
             "mask, use the `~` or `logical_not()` operator instead.")


class Add(Function):
    """out = a + b;  ga = g,  gb = g"""

    def forward(self, a, b):
        return a + b

    def backward(self, g):
        return g, g


class Sub(Function):
    """out = a - b;  ga = g,  gb = -g"""

    def forward(self, a, b):
        if getattr(a, "dtype", None) == np.bool_ or getattr(b, "dtype", None) == np.bool_:
            raise RuntimeError(_BOOL_SUB)
        return a - b

    def backward(self, g):
        return g, (-g if self.needs_input_grad(1) else None)


class Mul(Function):
    """out = a * b;  ga = g * b,  gb = g * a"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, a, b):
        return a * b

    def saved_needed(self):
        e = self.next_functions  # a is read only for b's gradient and vice versa
        return e[1][0] is not None, e[0][0] is not None

    def backward(self, g):
        a, b = self.saved()
        e = self.next_functions
        return (g * b if e[0][0] is not None else None), (g * a if e[1][0] is not None else None)


class Div(Function):
    """out = a / b;  ga = g / b,  gb = -(g / b) * (a / b)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, a, b):
        return a / b

    def saved_needed(self):
        return self.next_functions[1][0] is not None, True  # a only for b's gradient

    def backward(self, g):
        a, b = self.saved()
        g_b = g / b
        # -(g / b) * (a / b), not -g * a / b**2: b**2 underflows (float32 b = 1e-38 gave -inf for a = b)
        gb = -g_b * (a / b) if self.needs_input_grad(1) else None
        return (g_b if self.needs_input_grad(0) else None), gb


class DivRounded(Function):
    """out = floor(a / b) or trunc(a / b);  ga = 0,  gb = 0 (piecewise constant, as in PyTorch)"""

    def forward(self, a, b, mode):
        _int_zero_division(a, b, f"div(rounding_mode={mode!r})")
        self.mode = mode
        if mode == "floor":
            return np.floor_divide(a, b)
        if np.result_type(a, b).kind in "iub":  # truncate towards zero in integer arithmetic
            q = np.floor_divide(a, b)
            return q + ((np.remainder(a, b) != 0) & ((np.asarray(a) < 0) != (np.asarray(b) < 0)))
        return np.trunc(np.true_divide(a, b))

    def backward(self, g):
        return g * 0, g * 0

    def attrs(self):
        return {"rounding_mode": self.mode}


class Remainder(Function):
    """out = a - floor(a / b) * b;  ga = g,  gb = -g * floor(a / b)"""

    saves_inputs = True

    def forward(self, a, b):
        _int_zero_division(a, b, "remainder")
        with np.errstate(divide="ignore", invalid="ignore"):  # float x % 0 is nan, silently (PyTorch)
            return np.remainder(a, b)

    def saved_needed(self):
        nb = self.next_functions[1][0] is not None  # a and b are read only for b's gradient
        return nb, nb

    def backward(self, g):
        gb = None
        if self.needs_input_grad(1):
            a, b = self.saved()
            # floor(a / b) is a constant: its own derivative is zero almost everywhere
            gb = -g * np.floor_divide(self.xp.value(a), self.xp.value(b))
        return g, gb


class Pow(Function):
    """out = a ** b;  ga = g * b * a**(b-1),  gb = g * out * log(a)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, a, b):
        return a**b

    def backward(self, g):
        a, b = self.saved()
        xp = self.xp
        ga = gb = None
        if self.needs_input_grad(0):
            if isinstance(b, (int, float)):  # a Python exponent (not a branch on ndarray vs Tensor)
                # PyTorch's rule: exponent 0 gives gradient 0 (not 0 * a**-1 = nan at a == 0).
                ga = g * 0.0 if b == 0 else g * b * a ** (b - 1)
            else:
                ga = xp.where(xp.value(b) == 0, 0.0, g * b * a ** (b - 1))
        if self.needs_input_grad(1):
            # d/db a**b = a**b log a; at a == 0 with b >= 0 PyTorch defines it as 0.
            zero = (xp.value(a) == 0) & (xp.value(b) >= 0)
            safe_a = xp.where(zero, 1.0, a) if zero.any() else a
            gb = xp.where(zero, 0.0, g * (safe_a**b) * xp.log(safe_a))
        return ga, gb


class Neg(Function):
    """out = -a;  ga = -g"""

    def forward(self, a):
        if a.dtype == np.bool_:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
                               "invert a mask, use the `~` or `logical_not()` operator instead.")
        return -a

    def backward(self, g):
        return -g


class Matmul(Function):
    """out = a @ b;  ga = g @ b^T,  gb = a^T @ g (1-D operands promoted as in numpy)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, a, b):
        self.nd = (a.ndim, b.ndim)
        return a @ b

    def saved_needed(self):
        e = self.next_functions  # a is read only for b's gradient and vice versa
        return e[1][0] is not None, e[0][0] is not None

    def backward(self, g):
        a, b = self.saved()
        xp = self.xp
        na, nb = self.nd
        need_a, need_b = self.needs_input_grad(0), self.needs_input_grad(1)
        ga = gb = None
        if na == 1 and nb == 1:
            ga = g * b if need_a else None
            gb = g * a if need_b else None
        elif na == 1:  # (n) @ (..., n, p) -> (..., p)
            if need_a:
                ga = xp.squeeze(b @ xp.unsqueeze(g, -1), -1)
            if need_b:
                gb = xp.unsqueeze(a, -1) * xp.unsqueeze(g, -2)
        elif nb == 1:  # (..., m, n) @ (n) -> (..., m)
            if need_a:
                ga = xp.unsqueeze(g, -1) * b
            if need_b:
                gb = xp.squeeze(xp.mT(a) @ xp.unsqueeze(g, -1), -1)
        else:
            ga = g @ xp.mT(b) if need_a else None
            gb = xp.mT(a) @ g if need_b else None
        return ga, gb


# ---------------------------------------------------------------------- public functions


_C_NAMES = {"float64": "double", "float32": "float", "float16": "c10::Half", "int64": "long int", "int32": "int",
            "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def _c_name(dt: np.dtype) -> str:
    """PyTorch's C++ name of a dtype, as its error messages print it (double, float, long int...)."""
    return _C_NAMES.get(np.dtype(dt).name, np.dtype(dt).name)


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _cast(t: Tensor, dt: np.dtype) -> Any:
    """t in dtype dt: recorded (a differentiable cast) when t requires grad, else a plain array."""
    if t._rg:
        return to_dtype(t, dt)
    return t._data.astype(dt)


def _promote(a: Any, b: Any) -> tuple[Any, Any]:
    """Apply PyTorch's result-type rules where numpy's differ.

    numpy already keeps float32 with Python scalars (NEP 50). The differences handled here:
    an integer tensor meeting a float (PyTorch gives the float type / float32, numpy float64).
    Integer and bool tensors never require grad, so casting them as constants is safe.
    """
    ta = isinstance(a, Tensor)
    tb = isinstance(b, Tensor)
    if ta and tb:
        da, db = a._data.dtype, b._data.dtype
        if da is db or da == db:
            return a, b
        ka, kb = da.kind, db.kind
        if ka == "f" and kb in "iub":
            return a, b._data.astype(da)
        if kb == "f" and ka in "iub":
            return a._data.astype(db), b
        if _CATEGORY[ka] == _CATEGORY[kb] and (a.ndim == 0) != (b.ndim == 0):
            # a 0-d tensor of the same category does not widen a dimensioned one (float32 vector
            # + float64 scalar tensor is float32 in PyTorch; numpy would give float64)
            return (_cast(a, db), b) if a.ndim == 0 else (a, _cast(b, da))
        return a, b
    if not (ta or tb):
        return a, b
    t, other = (a, b) if ta else (b, a)
    if t._data.dtype.kind in "iub":
        if isinstance(other, float) or (isinstance(other, np.ndarray) and other.dtype.kind == "f"):
            dt = _F32 if isinstance(other, float) else other.dtype
            cast = t._data.astype(dt)
            return (cast, b) if ta else (a, cast)
    if isinstance(other, (list, tuple)):
        other = np.asarray(other, dtype=t._data.dtype if t._data.dtype.kind == "f" else None)
        return (a, other) if ta else (other, b)
    return a, b


def _binary(cls: type, a: Any, b: Any, **kwargs: Any) -> Tensor:
    if not isinstance(b, Tensor) or not isinstance(a, Tensor) or a._data.dtype != b._data.dtype:
        if cls is Sub and any(isinstance(t, Tensor) and t._data.dtype == np.bool_ for t in (a, b)):
            raise RuntimeError(_BOOL_SUB)  # before promotion turns the mask into numbers
        a, b = _promote(a, b)
    try:
        return cls.apply(a, b, **kwargs)
    except ValueError as e:
        if "broadcast" in str(e):
            raise RuntimeError(_shape_error(cls.__name__.lower(), a, b)) from None
        raise


def _shape(x: Any) -> tuple:
    return tuple(np.shape(x._data if isinstance(x, Tensor) else x))


def _shape_error(op: str, a: Any, b: Any) -> str:
    sa, sb = _shape(a), _shape(b)
    return (
        f"{op}: the size of tensor a {list(sa)} must match the size of tensor b {list(sb)} at every "
        "non-singleton dimension (broadcasting aligns shapes from the right; a dimension must be "
        "equal or 1). Fix: reshape/unsqueeze one operand so the shapes broadcast."
    )


def add(a: Any, b: Any, *, alpha: float = 1) -> Tensor:
    """a + alpha * b (broadcasting)."""
    if alpha != 1:
        b = mul(b, alpha)
    return _binary(Add, a, b)


def sub(a: Any, b: Any, *, alpha: float = 1) -> Tensor:
    """a - alpha * b (broadcasting)."""
    if alpha != 1:
        b = mul(b, alpha)
    return _binary(Sub, a, b)


def mul(a: Any, b: Any) -> Tensor:
    """a * b (broadcasting)."""
    return _binary(Mul, a, b)


def div(a: Any, b: Any, *, rounding_mode: str | None = None) -> Tensor:
    """a / b (true division, broadcasting); ``rounding_mode='floor'|'trunc'`` rounds (zero gradient)."""
    if rounding_mode is not None:
        if rounding_mode not in ("floor", "trunc"):
            raise RuntimeError(
                f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found {rounding_mode!r}"
            )
        return _binary(DivRounded, a, b, mode=rounding_mode)
    if isinstance(a, Tensor) and a._data.dtype.kind in "iub" and (
        not isinstance(b, Tensor) or b._data.dtype.kind in "iub"
    ) and not isinstance(b, float):
        # True division of integers gives float32 in PyTorch (numpy: float64).
        a = a._data.astype(_F32)
    return _binary(Div, a, b)


def remainder(a: Any, b: Any) -> Tensor:
    """a - floor(a / b) * b (the sign of b, Python's %), broadcasting."""
    return _binary(Remainder, a, b)


def _int_zero_division(a: Any, b: Any, op: str) -> None:
    """Integer division by zero raises in PyTorch (numpy returns 0 with a warning)."""
    ad, bd = np.asarray(a), np.asarray(b)
    if ad.dtype.kind in "iub" and bd.dtype.kind in "iub" and (bd == 0).any():
        raise RuntimeError(f"ZeroDivisionError: {op} of integer tensors by zero (cast to float first for inf/nan)")


def pow(a: Any, b: Any) -> Tensor:  # noqa: A001 - PyTorch's name
    """a ** b (broadcasting)."""
    return _binary(Pow, a, b)


def neg(a: Tensor) -> Tensor:
    """-a"""
    return Neg.apply(a)


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product with numpy/PyTorch semantics (1-D, 2-D, batched with broadcasting)."""
    if not isinstance(a, Tensor):
        a = Tensor(a, dtype=np.asarray(a).dtype)
    if not isinstance(b, Tensor):
        b = Tensor(b, dtype=np.asarray(b).dtype)
    sa, sb = a.shape, b.shape
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(
            f"matmul: both arguments need at least 1 dimension, got shapes {list(sa)} and {list(sb)}"
            " (use * for scalar multiplication)"
        )
    if sa[-1] != sb[-2 if b.ndim > 1 else 0]:
        k = sb[-2] if b.ndim > 1 else sb[0]
        raise RuntimeError(
            f"matmul: shapes {list(sa)} and {list(sb)} cannot be multiplied ({sa[-1]} != {k}): the "
            "last dimension of the first operand must equal the second-to-last (or only) dimension "
            "of the second. Fix: transpose one operand (x.T / x.mT) or check the layer sizes."
        )
    if a._data.dtype != b._data.dtype:
        # numpy would promote; PyTorch refuses (a float64 batch into a float32 model is a bug to report)
        raise RuntimeError(
            f"matmul: expected m1 and m2 to have the same dtype, but got: {_c_name(a._data.dtype)} != "
            f"{_c_name(b._data.dtype)} (shapes {list(sa)} and {list(sb)}, dtypes {a._data.dtype} and {b._data.dtype}). "
            f"Fix: cast one operand, e.g. b.to(a.dtype) or a.to(b.dtype)"
        )
    try:
        return Matmul.apply(a, b)
    except ValueError:
        raise RuntimeError(
            f"matmul: batch dimensions of shapes {list(sa)} and {list(sb)} do not broadcast"
        ) from None


# ---------------------------------------------------------------------- operators and declarations
_ADD, _MUL, _SUB = Add.apply, Mul.apply, Sub.apply


def __add__(self: Tensor, other: Any) -> Tensor:
    # Fast path for the common same-dtype case; _binary handles promotion and errors.
    if isinstance(other, Tensor) and other._data.dtype is self._data.dtype:
        try:
            return _ADD(self, other)
        except ValueError:  # shapes do not broadcast: _binary raises the explanatory error
            pass
    return _binary(Add, self, other)


def __sub__(self: Tensor, other: Any) -> Tensor:
    if isinstance(other, Tensor) and other._data.dtype is self._data.dtype:
        try:
            return _SUB(self, other)
        except ValueError:
            pass
    return _binary(Sub, self, other)


def __mul__(self: Tensor, other: Any) -> Tensor:
    if isinstance(other, Tensor) and other._data.dtype is self._data.dtype:
        try:
            return _MUL(self, other)
        except ValueError:
            pass
    return _binary(Mul, self, other)


def __rtruediv__(self: Tensor, other: Any) -> Tensor:
    if not isinstance(other, Tensor):
        other = Tensor(np.asarray(other)) if isinstance(other, (list, np.ndarray)) else other
    return _binary(Div, other, self)


METHODS = {
    "__add__": __add__, "__radd__": lambda self, other: _binary(Add, other, self),
    "__sub__": __sub__, "__rsub__": lambda self, other: _binary(Sub, other, self),
    "__mul__": __mul__, "__rmul__": lambda self, other: _binary(Mul, other, self),
    "__truediv__": div, "__rtruediv__": __rtruediv__,
    "__pow__": pow, "__rpow__": lambda self, other: _binary(Pow, other, self),
    "__matmul__": matmul, "__rmatmul__": lambda self, other: matmul(other, self),
    "__floordiv__": lambda self, other: div(self, other, rounding_mode="floor"),
    "__rfloordiv__": lambda self, other: div(other, self, rounding_mode="floor"),
    "__mod__": remainder, "__rmod__": lambda self, other: remainder(other, self),
    "__neg__": neg, "__pos__": lambda self: self,
    "add": add, "sub": sub, "mul": mul, "div": div, "remainder": remainder, "pow": pow, "neg": neg, "matmul": matmul,
}
# numpy ufuncs applied to Tensors (np.add(t, 1)) record these ops
UFUNCS = {np.add: add, np.subtract: sub, np.multiply: mul, np.true_divide: div, np.power: pow, np.negative: neg,
          np.matmul: matmul, np.square: lambda x: mul(x, x), np.positive: lambda x: x}
