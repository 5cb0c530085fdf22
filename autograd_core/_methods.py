"""Assembles the Tensor class: every op family's declared methods, plus the few that are no op.

Each family module declares ``METHODS`` (Tensor methods and operators, by name) and may declare
``UFUNCS`` (numpy ufuncs that record its ops when applied to Tensors). This module binds them
onto ``Tensor`` once, at import; a new op in an existing family needs no line here. Static
tools see the result through ``_tensor.pyi``, generated from the assembled class
(``python -m autograd_core._stubgen``; a test checks it is current).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _engine, _inplace, _linalg_toplevel, linalg, sparse
from ._tensor import Tensor, _make, bump_version
from .ops import (
    activation,
    arithmetic,
    compare,
    contraction,
    indexing,
    legacy,
    matmul,
    padding,
    reduction,
    resample,
    scatter,
    scatter_more,
    shape,
    softmax,
    sorting,
    special,
    statistics,
    surface,
    unary,
)

# The families, in the order their declarations are bound (a later one may not redefine a name).
FAMILIES = (arithmetic, unary, activation, compare, reduction, shape, indexing, softmax, _inplace, linalg, legacy,
            sorting, scatter, padding, resample, sparse, matmul, statistics, contraction, surface, special,
            scatter_more, _linalg_toplevel)


# ---------------------------------------------------------------------- methods that are not ops
def _iter(self: Tensor) -> Any:
    if self.ndim == 0:
        raise TypeError("iteration over a 0-d tensor")
    return (self[i] for i in range(self.shape[0]))


def _logical(ufunc: Callable) -> Callable:
    def op(self: Tensor, other: Any) -> Tensor:
        b = other._data if isinstance(other, Tensor) else other
        return _make(np.asarray(ufunc(self._data, b)), None, False)

    return op


def backward(self: Tensor, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
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


def register_hook(self: Tensor, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
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


def retain_grad(self: Tensor) -> None:
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


UFUNCS: dict[Any, Callable] = {}


def __array_ufunc__(self: Tensor, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
    """numpy ufuncs on Tensors: declared ones are recorded; others never silently detach."""
    if method == "__call__" and not kwargs:
        fn = UFUNCS.get(ufunc)
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
    arrays = [x._data if isinstance(x, Tensor) else x for x in inputs]
    if "out" in kwargs:
        kwargs["out"] = tuple(o._data if isinstance(o, Tensor) else o for o in kwargs["out"])
        for o in tensors:
            bump_version(o)
    res = getattr(ufunc, method)(*arrays, **kwargs)
    if isinstance(res, tuple):
        return tuple(_make(np.asarray(r), None, False) for r in res)
    return _make(np.asarray(res), None, False) if res is not None else None


METHODS: dict[str, Any] = {
    "__iter__": _iter,
    "__and__": _logical(np.bitwise_and), "__rand__": _logical(np.bitwise_and),
    "__or__": _logical(np.bitwise_or), "__ror__": _logical(np.bitwise_or),
    "__xor__": _logical(np.bitwise_xor), "__rxor__": _logical(np.bitwise_xor),
    "__invert__": lambda self: _make(np.invert(self._data), None, False),
    "__array_ufunc__": __array_ufunc__,
    "backward": backward, "register_hook": register_hook, "retain_grad": retain_grad,
}


def _assemble(families: tuple, cls: type) -> None:
    """Bind every family's METHODS (then this module's) onto ``cls``; a name declared twice is an error."""
    owner: dict[str, str] = {}
    for mod in (*families, None):
        decl = METHODS if mod is None else mod.METHODS
        where = __name__ if mod is None else mod.__name__
        for name in decl:
            if name in owner:
                raise RuntimeError(f"Tensor.{name} is declared by both {owner[name]} and {where}")
            if name in cls.__dict__:
                raise RuntimeError(f"Tensor.{name} declared by {where} would replace the data model's own")
            owner[name] = where
        for name, fn in decl.items():
            setattr(cls, name, fn)
        if mod is not None:
            UFUNCS.update(getattr(mod, "UFUNCS", {}))


_assemble(FAMILIES, Tensor)
for _name in _inplace.INPLACE_OF:  # the in-place twins whose out-of-place op exists and has no own in-place form
    if hasattr(Tensor, _name) and not hasattr(Tensor, _name + "_"):
        setattr(Tensor, _name + "_", _inplace.inplace_of(_name))
for _name in _inplace.SHAPE_INPLACE:
    if hasattr(Tensor, _name) and not hasattr(Tensor, _name + "_"):
        setattr(Tensor, _name + "_", _inplace.shape_inplace_of(_name))
