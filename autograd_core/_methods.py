"""Operators and PyTorch-named methods of ``Tensor``, bound to the op functions."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _engine, _inplace
from ._tensor import Tensor, _make, bump_version
from .ops import activation as act
from .ops import arithmetic as ar
from .ops import compare as cmp
from .ops import indexing as ix
from .ops import reduction as red
from .ops import shape as sh
from .ops import softmax as sm
from .ops import unary as un

T = Tensor


# ---------------------------------------------------------------------- operators
_ADD, _MUL, _SUB = ar.Add.apply, ar.Mul.apply, ar.Sub.apply


def _add(self, other):
    # Fast path for the common same-dtype case; _binary handles promotion and errors.
    if isinstance(other, Tensor) and other.data.dtype is self.data.dtype:
        try:
            return _ADD(self, other)
        except ValueError:  # shapes do not broadcast: _binary raises the explanatory error
            pass
    return ar._binary(ar.Add, self, other)


def _radd(self, other):
    return ar._binary(ar.Add, other, self)


def _sub(self, other):
    if isinstance(other, Tensor) and other.data.dtype is self.data.dtype:
        try:
            return _SUB(self, other)
        except ValueError:  # shapes do not broadcast: _binary raises the explanatory error
            pass
    return ar._binary(ar.Sub, self, other)


def _rsub(self, other):
    return ar._binary(ar.Sub, other, self)


def _mul(self, other):
    if isinstance(other, Tensor) and other.data.dtype is self.data.dtype:
        try:
            return _MUL(self, other)
        except ValueError:  # shapes do not broadcast: _binary raises the explanatory error
            pass
    return ar._binary(ar.Mul, self, other)


def _rmul(self, other):
    return ar._binary(ar.Mul, other, self)


def _truediv(self, other):
    return ar.div(self, other)


def _rtruediv(self, other):
    if not isinstance(other, Tensor):
        other = Tensor(np.asarray(other)) if isinstance(other, (list, np.ndarray)) else other
    return ar._binary(ar.Div, other, self)


def _pow(self, other):
    return ar._binary(ar.Pow, self, other)


def _rpow(self, other):
    return ar._binary(ar.Pow, other, self)


def _matmul(self, other):
    return ar.matmul(self, other)


def _rmatmul(self, other):
    return ar.matmul(other, self)


def _floordiv(self, other):
    return ar.div(self, other, rounding_mode="floor")


def _mod(self, other):
    return ar.remainder(self, other)


def _rmod(self, other):
    return ar.remainder(other, self)


def _rfloordiv(self, other):
    return ar.div(other, self, rounding_mode="floor")


T.__add__ = _add
T.__radd__ = _radd
T.__sub__ = _sub
T.__rsub__ = _rsub
T.__mul__ = _mul
T.__rmul__ = _rmul
T.__truediv__ = _truediv
T.__rtruediv__ = _rtruediv
T.__pow__ = _pow
T.__rpow__ = _rpow
T.__matmul__ = _matmul
T.__rmatmul__ = _rmatmul
T.__floordiv__ = _floordiv
T.__mod__ = _mod
T.__rmod__ = _rmod
T.__rfloordiv__ = _rfloordiv
T.__neg__ = ar.neg
T.__pos__ = lambda self: self
T.__abs__ = un.abs
T.__eq__ = cmp.eq  # type: ignore[assignment]
T.__ne__ = cmp.ne  # type: ignore[assignment]
T.__lt__ = cmp.lt
T.__le__ = cmp.le
T.__gt__ = cmp.gt
T.__ge__ = cmp.ge
T.__getitem__ = ix.getitem
T.__setitem__ = _inplace.setitem


def _iter(self):
    if self.ndim == 0:
        raise TypeError("iteration over a 0-d tensor")
    return (self[i] for i in range(self.shape[0]))


T.__iter__ = _iter


def _logical(ufunc: Callable) -> Callable:
    def op(self, other):
        b = other.data if isinstance(other, Tensor) else other
        return _make(np.asarray(ufunc(self.data, b)), None, False)

    return op


T.__and__ = T.__rand__ = _logical(np.bitwise_and)
T.__or__ = T.__ror__ = _logical(np.bitwise_or)
T.__xor__ = T.__rxor__ = _logical(np.bitwise_xor)
T.__invert__ = lambda self: _make(np.invert(self.data), None, False)


# In-place operators: ``x += y`` is ``x.add_(y)`` (PyTorch semantics, same memory).
T.__iadd__ = _inplace.add_
T.__isub__ = _inplace.sub_
T.__imul__ = _inplace.mul_
T.__itruediv__ = _inplace.div_
T.__ipow__ = _inplace.pow_


# ---------------------------------------------------------------------- numpy interop
_UFUNCS: dict[Any, Callable] = {
    np.add: ar.add, np.subtract: ar.sub, np.multiply: ar.mul, np.true_divide: ar.div,
    np.power: ar.pow, np.negative: ar.neg, np.matmul: ar.matmul,
    np.exp: un.exp, np.log: un.log, np.log1p: un.log1p, np.expm1: un.expm1, np.sqrt: un.sqrt,
    np.absolute: un.abs, np.sin: un.sin, np.cos: un.cos, np.tanh: un.tanh,
    np.maximum: cmp.maximum, np.minimum: cmp.minimum, np.square: lambda x: ar.mul(x, x),
    np.greater: cmp.gt, np.greater_equal: cmp.ge, np.less: cmp.lt, np.less_equal: cmp.le,
    np.equal: cmp.eq, np.not_equal: cmp.ne, np.sign: lambda x: cmp.sign(_t(x)),
    np.positive: lambda x: x, np.isnan: lambda x: cmp.isnan(_t(x)),
    np.isfinite: lambda x: cmp.isfinite(_t(x)),
}


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x))


def _array_ufunc(self, ufunc, method, *inputs, **kwargs):
    """numpy ufuncs on Tensors: mapped ones are recorded; others never silently detach."""
    if method == "__call__" and not kwargs:
        fn = _UFUNCS.get(ufunc)
        if fn is not None:
            return fn(*inputs)
    tensors = [x for x in inputs + tuple(kwargs.get("out", ())) if isinstance(x, Tensor)]
    if any(t._rg for t in tensors):
        raise TypeError(
            f"numpy.{ufunc.__name__}{'' if method == '__call__' else '.' + method} is not supported on a "
            "Tensor that requires grad: applying it to the raw data would silently detach the result "
            "from the graph. Use the autograd_core function of the same name if there is one, or "
            "call .detach() first if you do not need gradients."
        )
    arrays = [x.data if isinstance(x, Tensor) else x for x in inputs]
    if "out" in kwargs:
        kwargs["out"] = tuple(o.data if isinstance(o, Tensor) else o for o in kwargs["out"])
        for o in tensors:
            bump_version(o)
    res = getattr(ufunc, method)(*arrays, **kwargs)
    if isinstance(res, tuple):
        return tuple(_make(np.asarray(r), None, False) for r in res)
    return _make(np.asarray(res), None, False) if res is not None else None


T.__array_ufunc__ = _array_ufunc


# ---------------------------------------------------------------------- autograd methods
def backward(self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
             inputs: Any = None) -> None:
    """Accumulate the gradient of this tensor w.r.t. graph leaves into their ``.grad``."""
    _engine.backward(self, None if gradient is None else gradient, retain_graph, create_graph, inputs)


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    def __init__(self, hooks: list, hook: Callable) -> None:
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
    """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor replaces it."""
    if not self._rg:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if self.grad_fn is None:
        if self._hooks is None:
            self._hooks = []
        hooks = self._hooks
    else:
        fn = self.grad_fn
        if fn._tensor_hooks is None:
            fn._tensor_hooks = {}
            fn._plain = False
        hooks = fn._tensor_hooks.setdefault(self._out_idx, [])
    hooks.append(hook)
    return RemovableHandle(hooks, hook)


def retain_grad(self) -> None:
    """Make a non-leaf tensor keep its ``.grad`` after backward (no-op on leaves)."""
    if not self._rg:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    fn = self.grad_fn
    if fn is None:
        return
    if fn._retain is None:
        fn._retain = {}
        fn._plain = False
    fn._retain[self._out_idx] = weakref.ref(self)


T.backward = backward
T.register_hook = register_hook
T.retain_grad = retain_grad


# ---------------------------------------------------------------------- conversions
def _to(self, *args: Any, **kwargs: Any) -> Tensor:
    """``to(dtype)``, ``to('cpu')``, ``to(other_tensor)``; returns self when nothing changes."""
    dtype = kwargs.pop("dtype", None)
    for a in args:
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, str) or a is None:
            if a not in (None, "cpu"):
                raise RuntimeError(f"device {a!r} is not available: autograd_core runs on the CPU only")
        else:
            dtype = a
    device = kwargs.pop("device", None)
    if device not in (None, "cpu"):
        raise RuntimeError(f"device {device!r} is not available: autograd_core runs on the CPU only")
    return self if dtype is None else sh.to_dtype(self, dtype)


T.to = _to
T.float = lambda self: sh.to_dtype(self, np.float32)
T.double = lambda self: sh.to_dtype(self, np.float64)
T.half = lambda self: sh.to_dtype(self, np.float16)
T.long = lambda self: sh.to_dtype(self, np.int64)
T.int = lambda self: sh.to_dtype(self, np.int32)
T.bool = lambda self: sh.to_dtype(self, np.bool_)
T.type_as = lambda self, other: sh.to_dtype(self, other.dtype)
T.clone = sh.clone
T.contiguous = lambda self: self if self.data.flags.c_contiguous else sh.clone(self)
T.cpu = lambda self: self


# ---------------------------------------------------------------------- math methods
for _name, _fn in {
    "add": ar.add, "sub": ar.sub, "mul": ar.mul, "div": ar.div, "remainder": ar.remainder, "pow": ar.pow, "neg": ar.neg,
    "matmul": ar.matmul, "exp": un.exp, "log": un.log, "log1p": un.log1p, "expm1": un.expm1,
    "sqrt": un.sqrt, "rsqrt": un.rsqrt, "abs": un.abs, "sin": un.sin, "cos": un.cos, "tanh": un.tanh,
    "sigmoid": un.sigmoid, "erf": un.erf, "relu": act.relu, "clamp": cmp.clamp, "clip": cmp.clamp,
    "maximum": cmp.maximum, "minimum": cmp.minimum, "sign": cmp.sign,
    "eq": cmp.eq, "ne": cmp.ne, "lt": cmp.lt, "le": cmp.le, "gt": cmp.gt, "ge": cmp.ge,
    "isnan": cmp.isnan, "isfinite": cmp.isfinite, "equal": cmp.equal, "allclose": cmp.allclose,
    "sum": red.sum, "mean": red.mean, "var": red.var, "std": red.std, "amax": red.amax,
    "amin": red.amin, "max": red.max, "min": red.min, "argmax": red.argmax, "argmin": red.argmin,
    "logsumexp": red.logsumexp, "prod": red.prod, "norm": red.norm, "cumsum": red.cumsum,
    "reshape": sh.reshape, "view": sh.view, "flatten": sh.flatten, "squeeze": sh.squeeze,
    "unsqueeze": sh.unsqueeze, "transpose": sh.transpose, "permute": sh.permute, "t": sh.t,
    "expand": sh.expand, "expand_as": sh.expand_as, "broadcast_to": sh.broadcast_to,
    "repeat": sh.repeat, "split": sh.split, "chunk": sh.chunk, "unbind": sh.unbind, "flip": sh.flip,
    "gather": lambda self, dim, index: ix.gather(self, index, dim),
    "softmax": sm.softmax, "log_softmax": sm.log_softmax,
    "add_": _inplace.add_, "sub_": _inplace.sub_, "mul_": _inplace.mul_, "div_": _inplace.div_,
    "pow_": _inplace.pow_, "neg_": _inplace.neg_, "clamp_": _inplace.clamp_, "relu_": _inplace.relu_,
    "zero_": _inplace.zero_, "fill_": _inplace.fill_, "copy_": _inplace.copy_,
}.items():
    setattr(T, _name, _fn)


def _where(self, condition: Any, other: Any) -> Tensor:
    return cmp.where(condition, self, other)


def _masked_fill(self, mask: Any, value: Any) -> Tensor:
    return cmp.where(mask, value, self)


def _linalg(name: str) -> Callable:
    def method(self, *args: Any, **kwargs: Any) -> Any:
        from . import linalg

        return getattr(linalg, name)(self, *args, **kwargs)

    method.__name__ = name
    return method


for _name, _target in {"det": "det", "logdet": "logdet", "slogdet": "slogdet", "inverse": "inv", "trace": "trace",
                       "diag": "diag", "diag_embed": "diag_embed", "diagonal": "_diagonal", "outer": "outer",
                       "cholesky": "cholesky"}.items():
    setattr(T, _name, _linalg(_target))

T.where = _where
T.masked_fill = _masked_fill
T.T = property(lambda self: sh.permute(self, tuple(range(self.ndim - 1, -1, -1))) if self.ndim > 1 else self)
T.mT = property(lambda self: sh.transpose(self, -2, -1))
