"""The two namespaces a backward computes with: ``self.xp`` is ``NUMPY`` or ``TENSOR``.

A backward is written once, with operators, the methods ndarray and Tensor share (``reshape``,
``sum(axis=, keepdims=)``, ``shape``, ``dtype``, ``T``) and functions of ``self.xp``. The engine
picks the namespace: ``NUMPY`` (plain numpy on ndarrays, no wrappers: the fast ordinary
backward) or, under ``create_graph=True``, ``TENSOR`` (every function records an op on Tensors,
so gradients of gradients come free). Both namespaces hold the same names: each op family
declares its functions with both twins next to its ops (``define``), and a test checks the sets
agree. A name that only one side has is an AttributeError at once, in an ordinary backward too,
rather than a silently detached value under ``create_graph`` (what a stray ``np.arctan`` gives).

This module imports nothing from the package: the op modules depend on it, never the reverse.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Namespace:
    """Functions of one kind of backward (ndarray or recorded Tensor), filled in by ``define``."""

    def __init__(self, kind: str, records: bool) -> None:
        self.kind = kind
        # True when the functions record ops (create_graph). Read only where a numpy-only kernel has no
        # recorded twin and the backward must say so (det at a singular matrix) or take a composite path.
        self.records = records

    def __getattr__(self, name: str) -> Any:  # called only for names nobody defined
        raise AttributeError(
            f"xp.{name} is not defined for {self.kind} backwards: declare it with both twins, "
            f"autograd_core._xp.define({name!r}, numpy_fn, tensor_fn), in the op family file that owns the op"
        )

    def __repr__(self) -> str:
        return f"<xp namespace for {self.kind} backwards>"


NUMPY = Namespace("ndarray", False)
TENSOR = Namespace("create_graph (Tensor)", True)


def define(name: str, numpy_fn: Callable, tensor_fn: Callable) -> None:
    """Declare ``xp.name``: ``numpy_fn`` in an ordinary backward, ``tensor_fn`` (recorded) under create_graph."""
    if name in NUMPY.__dict__:
        raise ValueError(f"xp.{name} is defined twice")
    setattr(NUMPY, name, numpy_fn)
    setattr(TENSOR, name, tensor_fn)


def names(ns: Namespace) -> set[str]:
    """The functions a namespace holds (for the test that both agree)."""
    return {k for k in ns.__dict__ if k not in ("kind", "records")}


# ---------------------------------------------------------------------- written once for both
def sum_to(x: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``x`` down to ``shape``: the adjoint of broadcasting ``shape`` up to ``x.shape``."""
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    if lead < 0:
        raise ValueError(f"sum_to: cannot reduce shape {x.shape} to the larger shape {shape}")
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and x.shape[i + lead] != 1
    )
    if axes:
        x = x.sum(axis=axes, keepdims=True)
    if lead:
        x = x.reshape(shape)
    if x.shape != shape:
        raise ValueError(f"sum_to: shape {x.shape} is not broadcastable to {shape}")
    return x


def _np_apply(cls: type, *args: Any, **kwargs: Any) -> Any:
    # The grad-op pattern's ordinary half: run the op's forward (a kernel) on arrays, record nothing.
    return object.__new__(cls).forward(*args, **kwargs)


def _tensor_apply(cls: type, *args: Any, **kwargs: Any) -> Any:
    return cls.apply(*args, **kwargs)


define("sum_to", sum_to, sum_to)
define("apply", _np_apply, _tensor_apply)
