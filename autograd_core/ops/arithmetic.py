"""Binary arithmetic with broadcasting and matmul.

Broadcasting is undone by the engine (one ``sum_to`` per edge), so these backward formulas
return gradients in the broadcast shape.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from .._function import Function
from .._tensor import Tensor, _make
from .._xp import define
from .shape import to_dtype
from .unary import _LN2, not_implemented, torch_dtype_name

__all__ = [  # the public functions (ag.<name>); Tensor methods are declared in METHODS below
    "add", "sub", "mul", "div", "remainder", "pow", "neg", "matmul",
    "atan2", "arctan2", "copysign", "logaddexp", "logaddexp2", "hypot", "xlogy", "nextafter", "fmod", "lerp",
    "float_power", "true_divide", "divide", "multiply", "subtract", "floor_divide", "negative", "positive", "ldexp",
    "addcmul", "addcdiv",
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
        # constant zeros, not g * 0: a nan or inf in g (or, under create_graph, in g's own derivative) must not
        # leak through a piecewise-constant op (PyTorch's zeros_like)
        z = self.xp.zeros_like(g)
        return (z if self.needs_input_grad(0) else None), (z if self.needs_input_grad(1) else None)

    def attrs(self):
        return {"rounding_mode": self.mode}


class Remainder(Function):
    """out = a - floor(a / b) * b;  ga = g,  gb = -g * floor(a / b)"""

    saves_inputs = True

    def forward(self, a, b):
        _int_zero_division(a, b, "remainder")
        with np.errstate(divide="ignore", invalid="ignore"):  # float x % 0 is nan, silently (PyTorch)
            out = np.remainder(a, b)
            if out.dtype.kind == "f":
                # PyTorch's zero takes the sign of fmod's (the dividend's), numpy's the divisor's: 4 % -1 is +0
                # there, -0.0 here, and 1 / (4 % -1) would flip from inf to -inf
                zero = out == 0
                if zero.any():
                    out = np.where(zero, np.copysign(0.0, np.fmod(a, b)), out).astype(out.dtype, copy=False)
            return out

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


# ---------------------------------------------------------------------- binary math (PyTorch's set)
class Atan2(Function):
    """out = atan2(a, b);  ga = g * b / (a**2 + b**2),  gb = -g * a / (a**2 + b**2)   (0 where a = b = 0)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, a, b):
        return np.arctan2(a, b)

    def backward(self, g):
        a, b = self.saved()
        xp = self.xp
        d = a * a + b * b
        with np.errstate(divide="ignore", invalid="ignore"):
            r = 1 / d
            zero = xp.value(d) == 0
            if zero.any():  # PyTorch's value at the origin (and where a**2 + b**2 underflows): 0, not nan
                r = xp.where(zero, 0.0, r)
            ga = g * b * r if self.needs_input_grad(0) else None
            gb = g * -a * r if self.needs_input_grad(1) else None
        return ga, gb


class Copysign(Function):
    """out = |a| with the sign bit of b;  ga = g * out / a (0 at a = 0),  gb = 0"""

    fresh_grads = True
    saves_output = True  # PyTorch's backward reads the result: changing it in place before backward is an error

    def forward(self, a, b):
        out = np.copysign(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            # +-1 (nan at a = +-inf, as PyTorch's result / self): a constant, so higher orders are zero
            self.ratio = np.where(np.asarray(a) == 0, 0, out / a).astype(out.dtype, copy=False)
        return out

    def backward(self, g):
        self.saved_output()  # the version check
        return g * self.ratio, (self.xp.zeros_like(g) if self.needs_input_grad(1) else None)


class Logaddexp(Function):
    """out = log(exp(a) + exp(b));  ga = g * sigmoid(a - b),  gb = g * sigmoid(b - a)"""

    fresh_grads = True
    saves_inputs = True
    _ufunc, _scale = staticmethod(np.logaddexp), 1.0

    def forward(self, a, b):
        return self._ufunc(a, b)

    def backward(self, g):
        a, b = self.saved()
        xp, k = self.xp, self._scale
        with np.errstate(invalid="ignore"):
            ga = g * xp.sigmoid((a - b) * k) if self.needs_input_grad(0) else None
            gb = g * xp.sigmoid((b - a) * k) if self.needs_input_grad(1) else None
        return ga, gb


class Logaddexp2(Logaddexp):
    """out = log2(2**a + 2**b);  ga = g * sigmoid((a - b) ln 2),  gb = g * sigmoid((b - a) ln 2)"""

    _ufunc, _scale = staticmethod(np.logaddexp2), _LN2


class Lerp(Function):
    """out = a + w (b - a);  ga = g (1 - w),  gb = g w,  gw = g (b - a)"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, a, b, w):
        d = b - a
        # PyTorch's two forms: exact at w = 0 (a) and at w = 1 (b)
        if isinstance(w, (int, float)):
            return a + w * d if builtins.abs(w) < 0.5 else b - d * (1 - w)
        return np.where(np.abs(w) < 0.5, a + w * d, b - d * (1 - w))

    def saved_needed(self):
        # as PyTorch saves them: a and b only for w's gradient, w only for a's and b's
        e = self.next_functions
        nw = e[2][0] is not None
        return nw, nw, e[0][0] is not None or e[1][0] is not None

    def backward(self, g):
        a, b, w = self.saved()
        ga = g * (1 - w) if self.needs_input_grad(0) else None
        gb = g * w if self.needs_input_grad(1) else None
        gw = g * (b - a) if self.needs_input_grad(2) else None
        return ga, gb, gw


class Fmod(Function):
    """out = a - trunc(a / b) * b (the sign of a, C's fmod);  ga = g,  gb = -g * trunc(a / b)"""

    saves_inputs = True

    def forward(self, a, b):
        _int_zero_division(a, b, "fmod")
        with np.errstate(divide="ignore", invalid="ignore"):  # float x fmod 0 is nan, silently (PyTorch)
            return np.fmod(a, b)

    def saved_needed(self):
        nb = self.next_functions[1][0] is not None  # a and b are read only for b's gradient
        return nb, nb

    def backward(self, g):
        gb = None
        if self.needs_input_grad(1):
            a, b = self.saved()
            with np.errstate(divide="ignore", invalid="ignore"):
                # trunc(a / b) is piecewise constant: its own derivative is zero almost everywhere
                gb = -g * np.trunc(np.true_divide(self.xp.value(a), self.xp.value(b)))
        return g, gb


class Hypot(Function):
    """out = sqrt(a**2 + b**2);  ga = g * a / out,  gb = g * b / out"""

    fresh_grads = True
    saves_inputs = True
    saves_output = True

    def forward(self, a, b):
        return np.hypot(a, b)

    def saved_needed(self):
        e = self.next_functions  # each input is read only for its own gradient (with the output)
        return e[0][0] is not None, e[1][0] is not None

    def backward(self, g):
        a, b = self.saved()
        out = self.saved_output()
        with np.errstate(divide="ignore", invalid="ignore"):
            ga = g * a / out if self.needs_input_grad(0) else None
            gb = g * b / out if self.needs_input_grad(1) else None
        return ga, gb


def xlogy_np(x: Any, y: Any) -> np.ndarray:
    """x * log(y), 0 where x == 0 unless y is nan (PyTorch's xlogy)."""
    if not isinstance(y, np.ndarray):  # a number: take its log in x's dtype (np.log(3) would be float64)
        y = np.asarray(y, dtype=np.result_type(x, y))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(x * np.log(y))
    return np.where((np.asarray(x) == 0) & ~np.isnan(y), 0, out).astype(out.dtype, copy=False)


class Xlogy(Function):
    """out = x log(y) (0 at x = 0 unless y is nan);  gx = xlogy(g, y) (0 at x = 0, y <= 0),  gy = g x / y"""

    fresh_grads = True
    saves_inputs = True

    def forward(self, x, y):
        return xlogy_np(x, y)

    def backward(self, g):
        x, y = self.saved()
        xp = self.xp
        gx = gy = None
        if self.needs_input_grad(0):
            gx = xp.xlogy(g, y)
            cut = (xp.value(x) == 0) & (xp.value(y) <= 0)
            if cut.any():
                gx = xp.where(cut, 0.0, gx)
        if self.needs_input_grad(1):
            with np.errstate(divide="ignore", invalid="ignore"):
                gy = g * x / y
        return gx, gy


class Ldexp(Function):
    """out = a * 2**b;  ga = g * 2**b,  gb = g * out * ln 2"""

    fresh_grads = True
    saves_inputs = True
    saves_output = True

    def forward(self, a, b):
        return a * np.power(2.0, b)

    def saved_needed(self):
        return False, self.next_functions[0][0] is not None  # b for a's gradient; b's uses the output

    def backward(self, g):
        _, b = self.saved()
        ga = g * 2.0 ** b if self.needs_input_grad(0) else None
        gb = g * self.saved_output() * _LN2 if self.needs_input_grad(1) else None
        return ga, gb


class Nextafter(Function):
    """out = the next float after a towards b (b where a == b);  ga = g * [a != b],  gb = 0 (PyTorch's)"""

    fresh_grads = True

    def forward(self, a, b):
        out = np.nextafter(a, b)
        self.moves = np.not_equal(a, b).astype(out.dtype)
        return out

    def backward(self, g):
        return g * self.moves, (self.xp.zeros_like(g) if self.needs_input_grad(1) else None)



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
    if isinstance(other, np.generic):  # a numpy scalar is a Python number to PyTorch (weak: float32 stays float32)
        other = other.item()
        a, b = (a, other) if ta else (other, b)
    if t._data.dtype.kind in "iub":
        if isinstance(other, float) or (isinstance(other, np.ndarray) and other.dtype.kind == "f"):
            dt = _F32 if isinstance(other, float) else other.dtype
            cast = t._data.astype(dt)
            return (cast, b) if ta else (a, cast)
    if isinstance(other, (list, tuple)):
        raise TypeError(_sequence_operand(t, other))
    return a, b


def _refuse_sequences(a: Any, b: Any) -> None:
    for t, other in ((a, b), (b, a)):
        if isinstance(t, Tensor) and isinstance(other, (list, tuple)):
            raise TypeError(_sequence_operand(t, other))


def _sequence_operand(t: Tensor, other: Any) -> str:
    # PyTorch's operators and math functions take Tensors and numbers, never Python sequences (x * [1, 2] is a
    # TypeError there, x == [1, 2] is False): refusing keeps ported code from silently meaning something else
    return (f"unsupported operand types: Tensor (shape {list(t.shape)}, {t._data.dtype}) and "
            f"{type(other).__name__}; PyTorch's operators take Tensors and numbers: wrap the {type(other).__name__} "
            f"first, e.g. ag.tensor({other!r})")


def _binary(cls: type, a: Any, b: Any, **kwargs: Any) -> Tensor:
    if not isinstance(b, Tensor) or not isinstance(a, Tensor) or a._data.dtype != b._data.dtype:
        if cls is Sub and any((isinstance(t, Tensor) and t._data.dtype == np.bool_) or isinstance(t, bool)
                              for t in (a, b)):
            raise RuntimeError(_BOOL_SUB)  # before promotion turns the mask into numbers
        a, b = _promote(a, b)
    try:
        return cls.apply(a, b, **kwargs)
    except ValueError as e:
        if "broadcast" in str(e):
            raise RuntimeError(_shape_error(cls.__name__.lower(), a, b)) from None
        if "negative integer powers" in str(e):  # numpy's ValueError; PyTorch raises a RuntimeError
            raise RuntimeError("Integers to negative integer powers are not allowed (make the base a float tensor, "
                               "e.g. x.float() ** -1)") from None
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


def _times_alpha(a: Any, b: Any, alpha: Any) -> Any:
    """alpha * b, typed as PyTorch types a +- alpha * b: by a and b alone (alpha is weak)."""
    if isinstance(b, (int, float, bool)):
        return b * alpha  # a number stays a Python number (0-d float32 + 2.3 * 2 is float32)
    if isinstance(a, Tensor) and isinstance(b, Tensor) and b._data.dtype.kind in "iub" \
            and a._data.dtype.kind in "fc":
        # an integer b takes a's float dtype first (0-d float64 - 0.5 * int64 vector is float64, where the
        # float32 of int64 * 0.5 would win over the 0-d operand); integers are constants, never requiring grad
        return b._data.astype(a._data.dtype) * alpha
    return mul(b, alpha)


def add(a: Any, b: Any, *, alpha: float = 1) -> Tensor:
    """a + alpha * b (broadcasting)."""
    return _binary(Add, a, _times_alpha(a, b, alpha) if alpha != 1 else b)


def sub(a: Any, b: Any, *, alpha: float = 1) -> Tensor:
    """a - alpha * b (broadcasting)."""
    return _binary(Sub, a, _times_alpha(a, b, alpha) if alpha != 1 else b)


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
    elif isinstance(b, Tensor) and b._data.dtype.kind in "iub" and not isinstance(a, (Tensor, float)):
        b = b._data.astype(_F32)  # likewise a number over an integer tensor (1 / t)
    return _binary(Div, a, b)


def remainder(a: Any, b: Any) -> Tensor:
    """a - floor(a / b) * b (the sign of b, Python's %), broadcasting."""
    _refuse_sequences(a, b)
    if np.result_type(_arr(a), _arr(b)).kind == "b":
        raise not_implemented("remainder_cpu", np.dtype(np.bool_), "cast first, e.g. x.int()")
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
    if getattr(a, "is_sparse", False) is True and not isinstance(a, Tensor):
        return a.matmul(b)  # a sparse COO left operand (autograd_core.sparse)
    _refuse_sequences(a, b)
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


# ---------------------------------------------------------------------- binary math: public functions
def _need_tensors(op: str, **args: Any) -> None:
    """PyTorch's TypeError for ops whose operands must be tensors (no Python-number overload)."""
    for k, (name, v) in enumerate(args.items()):
        if not isinstance(v, Tensor):
            raise TypeError(f"{op}(): argument '{name}' (position {k + 1}) must be Tensor, not {type(v).__name__} "
                            f"(wrap the number: ag.tensor({v!r}))")


def _arr(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x


def _float_binary(cls: type, a: Any, b: Any, op: str, integers: bool = True) -> Tensor:
    """A floating-point binary op with PyTorch's promotion: integer/bool operands compute in float32
    (``integers``) or are refused as torch's kernels refuse them (NotImplementedError)."""
    if not (isinstance(a, Tensor) and isinstance(b, Tensor) and a._data.dtype == b._data.dtype):
        a, b = _promote(a, b)
    dt = np.result_type(_arr(a), _arr(b))
    if dt.kind in "iub":
        if not integers:
            raise not_implemented(f"{op}_cpu", dt, f"{op} is defined for floating-point tensors; cast first, "
                                                   "e.g. x.float()")
        a, b = (np.asarray(_arr(v)).astype(_F32) if not isinstance(v, (int, float)) else v for v in (a, b))
    return _binary(cls, a, b)


def atan2(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002 - PyTorch's names
    """The angle of the point (other, input): arctan(input / other) in the right quadrant, in [-pi, pi]."""
    _need_tensors("atan2", input=input, other=other)
    return _float_binary(Atan2, input, other, "atan2")


arctan2 = atan2


def copysign(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    """|input| with the sign of other (its sign bit: -0.0 counts as negative)."""
    _need_tensors("copysign", input=input)
    return _float_binary(Copysign, input, other, "copysign")


def logaddexp(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """log(exp(input) + exp(other)) without overflow."""
    _need_tensors("logaddexp", input=input, other=other)
    return _float_binary(Logaddexp, input, other, "logaddexp", integers=False)


def logaddexp2(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """log2(2**input + 2**other) without overflow."""
    _need_tensors("logaddexp2", input=input, other=other)
    return _float_binary(Logaddexp2, input, other, "logaddexp2", integers=False)


def hypot(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """sqrt(input**2 + other**2) without overflow."""
    _need_tensors("hypot", input=input, other=other)
    return _float_binary(Hypot, input, other, "hypot", integers=False)


def xlogy(input: Any, other: Any) -> Tensor:  # noqa: A002
    """input * log(other), 0 where input == 0 (unless other is nan)."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError("xlogy(): at least one of 'input' and 'other' must be a Tensor")
    return _float_binary(Xlogy, input, other, "xlogy")


def nextafter(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The next representable float after input in the direction of other."""
    _need_tensors("nextafter", input=input, other=other)
    return _float_binary(Nextafter, input, other, "nextafter", integers=False)


def fmod(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    """C's fmod: input - trunc(input / other) * other, with the sign of input (``%`` is remainder instead)."""
    _need_tensors("fmod", input=input)
    a, b = _promote(input, other)
    dt = np.result_type(_arr(a), _arr(b))
    if dt.kind == "b":
        raise not_implemented("fmod_cpu", dt, "cast first, e.g. x.int() or x.float()")
    return _binary(Fmod, a, b)


def lerp(input: Tensor, end: Tensor, weight: Any) -> Tensor:  # noqa: A002
    """input + weight * (end - input); weight a number or a tensor (broadcasting), each gets its gradient."""
    _need_tensors("lerp", input=input, end=end)
    dt = input._data.dtype
    if dt.kind != "f":
        raise not_implemented("lerp_kernel_scalar" if not isinstance(weight, Tensor) else "lerp_kernel_tensor", dt,
                              "lerp is defined for floating-point tensors; cast first, e.g. x.float()")
    if end._data.dtype != dt:
        raise RuntimeError(f"lerp: expected dtype {_c_name(dt)} for `end` but got dtype {_c_name(end._data.dtype)} "
                           f"(shapes {list(input.shape)} and {list(end.shape)}). "
                           "Fix: cast one, e.g. end.to(input.dtype)")
    if isinstance(weight, Tensor):
        if weight._data.dtype != dt:
            if weight.ndim > 0 or weight._data.dtype.kind != "f":
                raise RuntimeError(f"lerp: expected dtype {_c_name(dt)} for `weight` but got dtype "
                                   f"{_c_name(weight._data.dtype)}. Fix: cast it, e.g. weight.to(input.dtype)")
            weight = _cast(weight, dt)  # a 0-d float weight of another precision is a number (PyTorch)
    elif isinstance(weight, (bool, int, float, np.number)):
        weight = float(weight)
    else:
        raise TypeError(f"lerp(): argument 'weight' must be Tensor or Number, not {type(weight).__name__}")
    try:
        return Lerp.apply(input, end, weight)
    except ValueError as e:
        if "broadcast" in str(e):
            shapes = [list(input.shape), list(end.shape), list(np.shape(_arr(weight)))]
            raise RuntimeError(f"lerp: the shapes of input, end and weight {shapes} do not broadcast "
                               "(aligned from the right, each dimension equal or 1)") from None
        raise


def _as_float64(v: Any) -> Any:
    if isinstance(v, Tensor):
        return v if v._data.dtype == np.float64 else _cast(v, np.dtype(np.float64))
    if isinstance(v, (bool, int, float, np.number)):
        return float(v)
    return np.asarray(v, dtype=np.float64)


def float_power(input: Any, exponent: Any) -> Tensor:  # noqa: A002
    """input ** exponent computed in float64 (the result is float64, gradients flow back in each dtype)."""
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError("float_power(): at least one of 'input' and 'exponent' must be a Tensor")
    return _binary(Pow, _as_float64(input), _as_float64(exponent))


def float_power_(self: Tensor, exponent: Any) -> Tensor:
    """In-place float_power: only a float64 tensor can hold its float64 result (PyTorch's rule)."""
    if self._data.dtype != np.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype {torch_dtype_name(self._data.dtype)} but the "
                           "operation's result requires dtype Double (float_power computes in float64: use the "
                           "out-of-place float_power, or convert first with x.double())")
    return self.pow_(_as_float64(exponent))


def true_divide(input: Any, other: Any) -> Tensor:  # noqa: A002
    """input / other (true division: integer tensors give float32); the same as div."""
    return div(input, other)


def divide(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:  # noqa: A002
    """Alias of div."""
    return div(input, other, rounding_mode=rounding_mode)


def multiply(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Alias of mul."""
    return mul(input, other)


def subtract(input: Any, other: Any, *, alpha: float = 1) -> Tensor:  # noqa: A002
    """Alias of sub."""
    return sub(input, other, alpha=alpha)


def floor_divide(input: Any, other: Any) -> Tensor:  # noqa: A002
    """floor(input / other) (PyTorch >= 1.13 rounds down, as Python's //); zero gradient."""
    if np.result_type(_arr(input), _arr(other)).kind == "b":
        raise not_implemented("div_floor_cpu", np.dtype(np.bool_), "cast first, e.g. x.int()")
    return div(input, other, rounding_mode="floor")


def negative(input: Tensor) -> Tensor:  # noqa: A002
    """Alias of neg: -input."""
    return neg(input)


def positive(input: Tensor) -> Tensor:  # noqa: A002
    """input itself (the ``+x`` operator); refused for bool tensors, as in PyTorch."""
    if input._data.dtype == np.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported. (A mask is already its own value; "
                           "convert with .int() if you meant numbers.)")
    return input


def ldexp(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """input * 2**other in the promoted dtype (float32 for integers); gradients reach both."""
    _need_tensors("ldexp", input=input, other=other)
    a, b = _promote(input, other)
    dt = np.result_type(_arr(a), _arr(b))
    if dt.kind in "iub":  # integer tensors never require grad: constants
        a, b = (np.asarray(_arr(v)).astype(_F32) for v in (a, b))
    elif np.asarray(_arr(b)).dtype.kind in "iub":
        b = np.asarray(_arr(b)).astype(dt)  # an integer exponent: 2**b in the result's float dtype
    elif np.asarray(_arr(a)).dtype.kind in "iub":
        a = np.asarray(_arr(a)).astype(dt)
    return _binary(Ldexp, a, b)


def addcmul(input: Tensor, tensor1: Any, tensor2: Any, *, value: float = 1) -> Tensor:  # noqa: A002
    """input + value * tensor1 * tensor2."""
    prod = mul(tensor1, tensor2) if value == 1 else mul(mul(tensor1, value), tensor2)
    return add(input, prod)


def addcdiv(input: Tensor, tensor1: Any, tensor2: Any, *, value: float = 1) -> Tensor:  # noqa: A002
    """input + value * tensor1 / tensor2 (integer tensor1 / tensor2 are refused, as in PyTorch)."""
    if np.result_type(_arr(tensor1), _arr(tensor2)).kind in "iub":
        raise RuntimeError("Integer division with addcdiv is no longer supported: use (input + value * "
                           "torch.trunc(tensor1 / tensor2)).to(input.dtype) for the historic integer result, or cast "
                           "tensor1 to float for a true division")
    return add(input, div(tensor1 if value == 1 else mul(tensor1, value), tensor2))



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
    # (PyTorch computes a number / x as reciprocal(x) * number, two nodes that keep 1/x rather than x; one Div
    # node here keeps the graph the lessons draw: tests/fuzz/known.py lists the in-place difference)
    if isinstance(other, np.ndarray):
        other = Tensor(other)
    return div(other, self)  # div's true division: 1 / an integer tensor is float32, as in PyTorch


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
    "__neg__": neg, "__pos__": positive,
    "add": add, "sub": sub, "mul": mul, "div": div, "remainder": remainder, "pow": pow, "neg": neg, "matmul": matmul,
    "atan2": atan2, "arctan2": arctan2, "copysign": copysign, "logaddexp": logaddexp, "logaddexp2": logaddexp2,
    "hypot": hypot, "xlogy": xlogy, "nextafter": nextafter, "fmod": fmod, "lerp": lerp, "float_power": float_power,
    "float_power_": float_power_,
    "true_divide": true_divide, "divide": divide, "multiply": multiply, "subtract": subtract,
    "floor_divide": floor_divide, "negative": negative, "positive": positive, "ldexp": ldexp, "addcmul": addcmul,
    "addcdiv": addcdiv,
}
# numpy ufuncs applied to Tensors (np.add(t, 1)) record these ops
UFUNCS = {np.add: add, np.subtract: sub, np.multiply: mul, np.true_divide: div, np.power: pow, np.negative: neg,
          np.matmul: matmul, np.positive: lambda x: x}


def _tensors(fn: Any) -> Any:
    """A ufunc's operands as tensors: numpy accepts numbers where these PyTorch functions ask for tensors."""
    return lambda *xs: fn(*(x if isinstance(x, Tensor) else _make(np.asarray(x), None, False) for x in xs))


UFUNCS.update({np.arctan2: _tensors(atan2), np.copysign: _tensors(copysign), np.logaddexp: _tensors(logaddexp),
               np.logaddexp2: _tensors(logaddexp2), np.hypot: _tensors(hypot), np.nextafter: _tensors(nextafter),
               np.fmod: _tensors(fmod), np.remainder: remainder, np.float_power: float_power,
               np.floor_divide: floor_divide, np.ldexp: _tensors(ldexp)})

define("xlogy", xlogy_np, xlogy)
