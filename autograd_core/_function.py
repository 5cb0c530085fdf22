"""The op contract: one ``Function`` subclass per primitive op, one instance per graph node.

* ``forward(*arrays, **attrs)`` computes on raw ndarrays (constants arrive unchanged) and may
  keep non-differentiable data on ``self`` (axes, shapes, masks, argmax indices).
* ``backward(*grads)`` returns one gradient per input (None where there is none). It is written
  once with operators, the methods ndarray and Tensor share and the functions of ``self.xp``
  (``_xp.py``): the engine sets ``xp`` to plain numpy in an ordinary backward and to recorded
  Tensor ops under ``create_graph=True`` (every step recorded: gradients of gradients). A
  backward never asks which of the two it has.
* Saved values are read through ``self.saved()`` / ``self.saved_output()``, which check the
  version counters (in-place safety) and return arrays or Tensors to match the mode.
"""

from __future__ import annotations

import itertools
import traceback
import weakref
from typing import Any

import numpy as np

from . import _grad_mode
from ._tensor import INPLACE_EPOCH, Tensor, _make
from ._xp import NUMPY, TENSOR

_STATE = _grad_mode.STATE
_next_seq = itertools.count().__next__


def sequence_mark() -> int:
    """A number above every graph node created so far and below every node created later: two
    marks bracket the nodes an nn.Module call records (the visualiser groups them by module)."""
    return _next_seq()

_NO_EDGE = (None, 0)
_new = object.__new__

ERR_BACKWARD_TWICE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
)


class Function:
    """Base class of graph nodes (PyTorch's ``grad_fn`` objects).

    Subclasses set the class flags ``saves_inputs`` / ``saves_output`` when their backward
    reads the inputs / output, ``is_view`` when forward may return a view of input 0, and
    ``differentiable = False`` when their backward cannot itself be differentiated, and
    ``fresh_grads`` when every gradient backward returns is a new array no one else holds.
    """

    __slots__ = ("inputs", "next_functions", "_seq", "__weakref__", "__dict__")

    saves_inputs = False
    saves_output = False
    is_view = False
    differentiable = True
    # backward returns new arrays that nothing else holds, so a leaf may keep one as its .grad without
    # a copy (tests/test_op_contract.py checks the claim for every op that makes it)
    fresh_grads = False

    # Rarely-set per-node state lives in the instance __dict__; these class attributes are the
    # defaults, which keeps node creation (the per-op overhead) to four slot writes.
    _arrays: Any = None  # the inputs' arrays, when saves_inputs
    _saved_versions: Any = None  # (in-place epoch, [input versions]) when saves_inputs
    _out: Any = None  # (output array, its version counter, version at save) when saves_output
    _out_meta: Any = None  # ((shape, dtype), ...) of a multi-output node's outputs
    _n_out = 1
    xp = NUMPY  # the namespace backward computes with; the engine sets TENSOR under create_graph
    _tensor_hooks: Any = None  # {output index: [hook, ...]} for non-leaf tensor hooks
    _retain: Any = None  # {output index: weakref to the tensor} for retain_grad()
    _trace: Any = None  # forward stack, recorded in anomaly mode
    _plain = True  # single output, no tensor hooks, no retain_grad: the engine's fast case

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement forward")

    def backward(self, *grads: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement backward")

    # ------------------------------------------------------------------ graph construction
    @classmethod
    def apply(cls, *inputs: Any, **kwargs: Any) -> Any:
        """Run forward on the inputs' data and, if any input requires grad, record a node."""
        # Everything is inlined here on purpose: this is the per-op overhead the benchmark
        # measures (a helper call or a comprehension costs as much as a numpy op on 4x4 data).
        fn = _new(cls)
        arrays = []
        edges = []
        rg = False
        for a in inputs:
            if isinstance(a, Tensor):
                arrays.append(a._data)
                if a._rg:
                    rg = True
                    gf = a.grad_fn
                    edges.append((gf, a._out_idx) if gf is not None else (a, 0))
                else:
                    edges.append(_NO_EDGE)
            else:
                arrays.append(a)
                edges.append(_NO_EDGE)
        out = fn.forward(*arrays, **kwargs) if kwargs else fn.forward(*arrays)
        if rg:
            rg = _STATE.grad_enabled
        if type(out) is tuple:
            return _wrap_multi(fn, cls, out, rg, inputs, arrays, edges)
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        t = _new(Tensor)
        t._data = out
        t._vc = vc = [0]
        if rg:
            t._rg = True
            t.grad_fn = fn
            fn.inputs = inputs
            fn.next_functions = tuple(edges)
            fn._seq = _next_seq()  # creation order is a topological order of the graph
            if cls.saves_inputs:
                _save_inputs(fn, inputs, arrays)
            if cls.saves_output:
                fn._out = (out, vc, 0)
        else:
            t._rg = False
            t.grad_fn = None
        if cls.is_view:
            _link_view(t, inputs[0], out)
        if _grad_mode.ANOMALY_THREADS:
            _anomaly_forward(fn, cls, (out,), inputs, rg)
        return t

    # ------------------------------------------------------------------ saved values
    def saved(self) -> Any:
        """The inputs as ndarrays (ordinary backward) or Tensors (create_graph), version-checked."""
        inputs = self.inputs
        if inputs is None:
            raise RuntimeError(ERR_BACKWARD_TWICE)
        versions = self._saved_versions
        if versions[0] != INPLACE_EPOCH[0]:  # something was modified in place since the save
            need = self.saved_needed()  # asked only here, so the forward pays nothing for it
            for i, (a, v) in enumerate(zip(inputs, versions[1])):
                if v is not None and (need is None or need[i]) and a._vc[0] != v:
                    raise RuntimeError(_modified_message(a, f"input {i} of {self.name()}", v))
        return inputs if self.xp is TENSOR else self._arrays

    def saved_output(self) -> Any:
        """The (single) output as an ndarray, or under create_graph a Tensor produced by this node."""
        if self.inputs is None:
            raise RuntimeError(ERR_BACKWARD_TWICE)
        arr, vc, v = self._out
        if vc[0] != v:
            raise RuntimeError(
                _modified_message(None, f"output 0 of {self.name()}", v, arr=arr, now=vc[0])
            )
        if self.xp is TENSOR:
            t = _make(arr, self, True)
            t._vc = vc
            return t
        return arr

    def saved_outputs(self) -> tuple:
        """All outputs of a multi-output node (``saves_output``), version-checked, as ``saved_output``."""
        if self.inputs is None:
            raise RuntimeError(ERR_BACKWARD_TWICE)
        res = []
        for i, (arr, vc, v) in enumerate(self._out):
            if vc[0] != v:
                raise RuntimeError(
                    _modified_message(None, f"output {i} of {self.name()}", v, arr=arr, now=vc[0])
                )
            if self.xp is TENSOR:
                t = _make(arr, self, True, i)
                t._vc = vc
                res.append(t)
            else:
                res.append(arr)
        return tuple(res)

    def saved_needed(self) -> Any:
        """Which inputs' saved values backward will read (None: all of them), given the edges.

        Only those are version-checked, so an in-place change of an input whose value no
        gradient needs (``y`` in ``3 * y``) is no error, as in PyTorch, which saves only those.
        """
        return None

    def needs_input_grad(self, i: int) -> bool:
        """Whether input ``i`` receives a gradient (skip work for constants)."""
        return self.next_functions[i][0] is not None

    def _release(self) -> None:
        # Drop saved data; keep next_functions so the graph can still be drawn and so a
        # second backward finds this node and reports the PyTorch error (inputs None = freed).
        self.inputs = None
        if self._arrays is not None:
            self._arrays = None
        if self._out is not None:
            self._out = None

    # ------------------------------------------------------------------ description
    @classmethod
    def name(cls) -> str:
        """PyTorch-style node name, e.g. ``MulBackward``."""
        return cls.__name__ + "Backward"

    def label(self) -> str:
        """Op with its non-default arguments, for graph drawings (e.g. ``Sum(dim=1)``)."""
        attrs = self.attrs()
        if not attrs:
            return type(self).__name__
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in attrs.items())})"

    def attrs(self) -> dict[str, Any]:
        """Non-default op arguments worth showing; subclasses override."""
        return {}

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"


def _save_inputs(fn: Function, inputs: tuple, arrays: list) -> None:
    fn._arrays = arrays
    vers = []
    for a in inputs:
        vers.append(a._vc[0] if isinstance(a, Tensor) else None)
    fn._saved_versions = (INPLACE_EPOCH[0], vers)


def _wrap_multi(fn: Function, cls: type, outs: tuple, rg: bool, inputs: tuple, arrays: list,
                edges: list) -> tuple:
    outs = tuple(o if type(o) is np.ndarray else np.asarray(o) for o in outs)
    if rg:
        fn.inputs = inputs
        fn.next_functions = tuple(edges)
        fn._seq = _next_seq()
        if cls.saves_inputs:
            _save_inputs(fn, inputs, arrays)
        fn._n_out = len(outs)
        fn._plain = False
        fn._out_meta = tuple((o.shape, o.dtype) for o in outs)
        result = tuple(_make(o, fn, True, i) for i, o in enumerate(outs))
        if cls.saves_output:
            fn._out = tuple((o, t._vc, 0) for o, t in zip(outs, result))
    else:
        result = tuple(_make(o, None, False) for o in outs)
    if cls.is_view:
        for t, o in zip(result, outs):
            _link_view(t, inputs[0], o)
            if t._base is not None:
                # PyTorch forbids in-place changes through views made by a multi-view function (split,
                # chunk, unbind) and of their base while they are used (_inplace.py enforces both)
                t._multi_view = cls.name()
    if _grad_mode.ANOMALY_THREADS:
        _anomaly_forward(fn, cls, outs, inputs, rg)
    return result


def _link_view(t: Tensor, src: Any, out: np.ndarray) -> None:
    # A numpy view aliases its source: share the version counter so an in-place change through
    # either one invalidates saved values of both, as PyTorch does for views.
    if not isinstance(src, Tensor):
        return
    base = out.base
    if base is not None and (base is src._data or base is src._data.base):
        t._vc = src._vc
        register_view(t, src._base if src._base is not None else src)
        if src._multi_view is not None:
            t._multi_view = src._multi_view  # a view of such a view keeps the restriction


def register_view(t: Tensor, root: Tensor) -> None:
    """Record that ``t`` is a view of ``root``: an in-place op on either rewrites the other's history
    (``_inplace.py``), so root keeps weak references to its live views."""
    t._base = root
    views = root._views
    if views is None:
        root._views = views = []
    elif len(views) > 32:  # drop dead references now and then, so a long loop of views stays small
        views[:] = [r for r in views if r() is not None]
    views.append(weakref.ref(t))


def _describe(a: Any, arr: np.ndarray | None = None) -> str:
    arr = a._data if arr is None else arr
    return f"[{arr.dtype.name} {list(arr.shape)}]"


def _modified_message(a: Any, where: str, expected: int, arr: Any = None, now: Any = None) -> str:
    if a is not None:
        now = a._vc[0]
        gf = a.grad_fn
        origin = f"output {a._out_idx} of {gf.name()}" if gf is not None else "a leaf tensor"
        desc = _describe(a)
    else:
        origin = where
        desc = _describe(None, arr)
    return (
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: {desc}, which is {origin} (saved as {where}), is at version {now}; expected "
        f"version {expected} instead. Hint: enable anomaly detection to find the operation that "
        "failed to compute its gradient, with autograd_core.set_detect_anomaly(True). Fix: use the "
        "out-of-place form (e.g. y = y + 1 instead of y.add_(1)) or clone() before modifying."
    )


def _anomaly_forward(fn: Function, cls: type, outs: tuple, inputs: tuple, rg: bool) -> None:
    if not _STATE.anomaly:  # another thread has anomaly mode on, this one does not
        return
    if rg:
        fn._trace = traceback.format_stack()[:-3]
    if not _STATE.anomaly_check_nan:
        return
    for k, o in enumerate(outs):
        if o.dtype.kind in "fc" and not np.all(np.isfinite(o)):
            bad = [i for i, a in enumerate(inputs)
                   if isinstance(a, Tensor) and a._data.dtype.kind in "fc" and not np.all(np.isfinite(a._data))]
            shapes = ", ".join(
                f"{a._data.dtype.name}{list(a._data.shape)}" if isinstance(a, Tensor) else repr(a) for a in inputs
            )
            what = "nan" if np.isnan(o).any() else "inf"
            if bad:
                cause = (f"input(s) {bad} were already non-finite when they reached it (a leaf or "
                         "constant holds nan/inf)")
            else:
                cause = "all its inputs were finite, so this op created the value"
            raise RuntimeError(
                f"Anomaly detected: forward op '{cls.__name__}' produced {what} in output {k} "
                f"(inputs: {shapes}); {cause}. Op created at:\n"
                + "".join(traceback.format_stack()[:-3][-4:])
            )
