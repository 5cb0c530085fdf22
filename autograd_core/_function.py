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

PyTorch's ctx style is the same class used another way: a subclass whose ``forward`` is a
``@staticmethod forward(ctx, *args)`` (or ``forward(*args)`` plus ``setup_context(ctx, inputs,
output)``) works on Tensors, with ``backward(ctx, *grads)`` receiving and returning Tensors; see
``_CtxNode`` below.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import traceback
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _grad_mode
from ._tensor import INPLACE_EPOCH, Tensor, _make
from ._xp import NUMPY, TENSOR, define

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
    # Backwards are written as g * f'(x). For a complex output PyTorch's convention is g * conj(f'(z)), which is
    # conj(backward(conj(g))) for every holomorphic op and every real-linear one; ops that are neither (abs, conj)
    # write the convention themselves and set this False.
    holomorphic = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if _is_ctx_style(cls):
            _setup_ctx_class(cls)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement forward")

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple, output: Any) -> Any:
        """ctx style only: save what backward needs when ``forward`` itself takes no ``ctx``."""
        raise NotImplementedError("setup_context is not implemented.")

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
            if out.dtype.kind == "c" and cls.holomorphic:
                fn.backward = _conj_backward(fn.backward)
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


def _conj_backward(backward: Callable) -> Callable:
    """backward for a complex output: conj(backward(conj(g))) (see ``Function.holomorphic``)."""

    def conj_backward(*grads: Any) -> Any:
        res = backward(*(None if g is None else g.conj() for g in grads))
        if type(res) is tuple:
            return tuple(None if r is None else r.conj() for r in res)
        return None if res is None else res.conj()

    return conj_backward


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


# ====================================================================== PyTorch's ctx-style Function
# A subclass of Function whose ``forward`` is a staticmethod is a PyTorch-style custom function:
#
#     class Exp(autograd.Function):
#         @staticmethod
#         def forward(ctx, x):            # Tensors in, Tensors out (run under no_grad)
#             y = x.exp()
#             ctx.save_for_backward(y)
#             return y
#
#         @staticmethod
#         def backward(ctx, g):           # Tensors in, one Tensor (or None) per forward input out
#             (y,) = ctx.saved_tensors
#             return g * y
#
# ``Exp.apply(x)`` runs forward and records one node: an instance of the generated class ``ExpBackward``
# (a ``_CtxNode``), which is also the ``ctx`` both staticmethods receive, as in PyTorch. Because the user's
# backward is written with autograd_core ops on Tensors, it runs under no_grad in an ordinary backward and
# is recorded under create_graph=True, so gradients of gradients flow through it.


def _is_ctx_style(cls: type) -> bool:
    for k in cls.__mro__:
        if "forward" in k.__dict__:
            return k is not Function and isinstance(k.__dict__["forward"], staticmethod)
    return False


def _setup_ctx_class(cls: type) -> None:
    backward = cls.__dict__.get("backward", None)
    if backward is None:  # inherited (or vjp, PyTorch's other name for it)
        backward = next((k.__dict__[n] for k in cls.__mro__ for n in ("backward", "vjp")
                         if n in k.__dict__ and k is not Function), None)
    fn = backward.__func__ if isinstance(backward, staticmethod) else backward
    node_cls = type(f"{cls.__name__}Backward", (_CtxNode,), {
        "__module__": cls.__module__, "__qualname__": f"{cls.__qualname__}Backward", "__slots__": (),
        "_forward_cls": cls, "_user_backward": staticmethod(fn) if fn is not None else None,
        # once_differentiable: the engine then refuses to differentiate this node's backward
        "differentiable": not getattr(fn, "_once_differentiable", False),
    })
    cls._backward_cls = node_cls
    cls._setup_style = cls.setup_context is not Function.setup_context
    cls.apply = classmethod(_ctx_apply)


def _bind(cls: type, args: tuple, kwargs: dict) -> tuple:
    """Keyword arguments become inputs at their positions in forward's signature, as PyTorch binds them: all
    defaults with setup_context style, none in ctx style (every position up to the last one given is needed)."""
    sig = inspect.signature(cls.forward)
    if cls._setup_style:
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{cls.__name__}.apply: {e} (forward{sig})") from None
        bound.apply_defaults()
        return bound.args
    names = [p.name for p in list(sig.parameters.values())[1:]
             if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    slots: list[Any] = list(args)
    missing = object()
    for k, v in kwargs.items():
        if k not in names:
            raise TypeError(f"{cls.__name__}.apply: forward() got an unexpected keyword argument '{k}'")
        i = names.index(k)
        if i < len(args):
            raise TypeError(f"{cls.__name__}.apply: forward() got multiple values for argument '{k}'")
        slots.extend([missing] * (i + 1 - len(slots)))
        slots[i] = v
    for i, v in enumerate(slots):
        if v is missing:
            raise TypeError(f"{cls.__name__}.apply: forward() missing required argument: '{names[i]}' (position {i})")
    return tuple(slots)


def _ctx_apply(cls: type, *args: Any, **kwargs: Any) -> Any:
    """Run the staticmethod forward under no_grad and record a ``<cls>Backward`` node (the ctx)."""
    if kwargs:
        args = _bind(cls, args, kwargs)
    ctx = _new(cls._backward_cls)
    grad_on = _STATE.grad_enabled
    edges = []
    needs = []
    for a in args:
        if grad_on and isinstance(a, Tensor) and a._rg:
            gf = a.grad_fn
            edges.append((gf, a._out_idx) if gf is not None else (a, 0))
            needs.append(True)
        else:
            edges.append(_NO_EDGE)
            needs.append(False)
    ctx.needs_input_grad = tuple(needs)
    with _grad_mode.no_grad():
        if cls._setup_style:
            out = cls.forward(*args)
            cls.setup_context(ctx, args, out)
        else:
            out = cls.forward(ctx, *args)
    return _attach_outputs(ctx, cls, args, out, edges, any(needs))


def _alias(t: Tensor) -> Tensor:
    """A new Tensor viewing ``t``'s memory (an input returned unchanged becomes a view of it, as in PyTorch)."""
    a = _make(t._data.view(), None, False)
    _link_view(a, t, a._data)
    return a


def _attach_outputs(ctx: _CtxNode, cls: type, args: tuple, out: Any, edges: list, rg: bool) -> Any:
    single = type(out) is not tuple
    outs = list((out,) if single else out)
    dirty = ctx._dirty or ()
    nondiff = ctx._non_differentiable or ()
    inputs_ids = {id(a) for a in args if isinstance(a, Tensor)}
    seen: set[int] = set()
    tensors = []  # (position in outs, tensor)
    for pos, o in enumerate(outs):
        if not isinstance(o, Tensor):
            continue
        if any(o is d for d in dirty):
            if rg and o.grad_fn is None and o._rg:
                raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
            if rg and o._base is not None:
                raise NotImplementedError(
                    f"{cls.__name__}: mark_dirty on a view (of a tensor of shape {list(o._base.shape)}) is not "
                    "supported; modify the base tensor itself, or return an out-of-place result")
        elif id(o) in inputs_ids or id(o) in seen or o._rg or o.grad_fn is not None:
            # an input returned as is, a tensor returned twice, or one with a history of its own: the output is
            # a new tensor viewing it (its history must stay as it is)
            o = outs[pos] = _alias(o)
        seen.add(id(o))
        tensors.append((pos, o))
    for d in dirty:
        if not any(d is o for _, o in tensors):
            raise RuntimeError("Some elements marked as dirty during the forward method were not returned as output. "
                               "The inputs that are modified inplace must all be outputs of the Function.")
    recorded = rg and bool(tensors)
    if recorded:
        if not single or tensors[0][0] != 0 or len(outs) != 1:
            # backward receives one gradient per forward output: None for the outputs that are not tensors
            ctx._out_layout = (len(outs), tuple(pos for pos, _ in tensors))
        ctx.inputs = args
        ctx.next_functions = tuple(edges)
        ctx._seq = _next_seq()
        if len(tensors) > 1:
            ctx._n_out = len(tensors)
            ctx._plain = False
            ctx._out_meta = tuple((o._data.shape, o._data.dtype) for _, o in tensors)
        for k, (_, o) in enumerate(tensors):
            differentiable = o._data.dtype.kind in "fc" and not any(o is n for n in nondiff)
            o._rg = differentiable
            o.grad_fn = ctx if differentiable else None
            if k or o._out_idx:
                o._out_idx = k
    _store_saved(ctx, tensors if recorded else [])
    if _grad_mode.ANOMALY_THREADS:
        _anomaly_forward(ctx, cls, tuple(o._data for _, o in tensors), args, recorded)
    return outs[0] if single else tuple(outs)


def _store_saved(ctx: _CtxNode, tensors: list) -> None:
    """Turn ``save_for_backward``'s tensors into entries read back by ``ctx.saved_tensors``.

    An output of this node is kept as its array and version counter and rebuilt on access (holding the
    tensor itself would make a reference cycle node -> output -> node); anything else is held as is."""
    to_save = ctx._to_save
    if to_save is None:
        return
    outputs = {id(o): k for k, (_, o) in enumerate(tensors)}
    entries = []
    for t, version in to_save:
        if t is None:
            entries.append(None)
        elif id(t) in outputs and t.grad_fn is ctx:
            entries.append(("out", outputs[id(t)], t._data, t._vc, version))
        else:
            entries.append(("tensor", t, version))
    ctx._arrays = tuple(entries)  # the engine drops _arrays when it releases the node after backward
    ctx._to_save = None
    ctx._saved_any = True


class _CtxNode(Function):
    """The node of a ctx-style Function, and the ``ctx`` its forward and backward receive (PyTorch's
    ``FunctionCtx``): ``save_for_backward``, ``saved_tensors``, ``needs_input_grad``,
    ``mark_non_differentiable``, ``mark_dirty``, ``set_materialize_grads`` and any attribute of your own."""

    __slots__ = ()
    _forward_cls: Any = None
    _user_backward: Any = None
    needs_input_grad: Any = ()  # a tuple of bools here, as in PyTorch (the op contract's is a method)
    materialize_grads = True
    _to_save: Any = None
    _saved_any = False
    _dirty: Any = None
    _non_differentiable: Any = None
    _out_layout: Any = None  # (number of forward outputs, positions of the tensor ones) when they differ

    # ------------------------------------------------------------------ the ctx API
    def save_for_backward(self, *tensors: Tensor | None) -> None:
        """Keep tensors for backward (version-checked when ``saved_tensors`` reads them)."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} is of type "
                                f"{type(t).__name__}")
        self._to_save = tuple((t, None if t is None else t._vc[0]) for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to ``save_for_backward``; an error once backward has freed them."""
        entries = self._arrays
        if entries is None:
            if self._saved_any:  # stored after forward, dropped by the engine after backward
                raise RuntimeError(ERR_BACKWARD_TWICE)
            return tuple(t for t, _ in self._to_save) if self._to_save is not None else ()  # still in forward
        res = []
        for i, e in enumerate(entries):
            if e is None:
                res.append(None)
            elif e[0] == "tensor":
                t, v = e[1], e[2]
                if t._vc[0] != v:
                    raise RuntimeError(_modified_message(t, f"saved tensor {i} of {self.name()}", v))
                res.append(t)
            else:
                _, k, arr, vc, v = e
                if vc[0] != v:
                    raise RuntimeError(_modified_message(None, f"output {k} of {self.name()}", v, arr=arr, now=vc[0]))
                t = _make(arr, self, True, k)
                t._vc = vc
                res.append(t)
        return tuple(res)

    @property
    def saved_variables(self) -> tuple:  # PyTorch's deprecated name
        return self.saved_tensors

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        """These outputs do not require grad; backward still receives a (zero) gradient for each."""
        self._non_differentiable = tuple(tensors)

    def mark_dirty(self, *tensors: Tensor) -> None:
        """These inputs were modified in place by forward (and must be returned): their history becomes this node."""
        self._dirty = tuple(tensors)

    def set_materialize_grads(self, value: bool) -> None:
        """False: backward gets None, not zeros, for the outputs no gradient reached (as in PyTorch)."""
        self.materialize_grads = bool(value)

    # ------------------------------------------------------------------ the node
    def backward(self, *grads: Any) -> Any:
        # the namespace decides how the user's Tensor backward runs: wrapped and under no_grad for an ordinary
        # backward (ndarrays in and out), recorded as it is under create_graph
        return self.xp.ctx_backward(self, grads)

    def _run_user_backward(self, grads: tuple) -> tuple:
        fwd = self._forward_cls
        if self._user_backward is None:
            raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                      "autograd.Function to use it with backward mode AD.")
        if self._out_layout is not None:
            full: list[Any] = [None] * self._out_layout[0]
            for pos, g in zip(self._out_layout[1], grads):
                full[pos] = g
            grads = tuple(full)
        res = self._user_backward(self, *grads)
        res = res if type(res) is tuple else (res,)
        n = len(self.next_functions)
        if len(res) > n and all(r is None for r in res[n:]):
            res = res[:n]  # PyTorch accepts extra trailing Nones
        if len(res) != n:
            raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients (expected {n}, "
                               f"got {len(res)})")
        out = []
        for i, (r, a, (child, _)) in enumerate(zip(res, self.inputs, self.next_functions)):
            if r is None:
                out.append(None)
            elif not isinstance(a, Tensor):
                raise RuntimeError(f"function {self.name()} returned a gradient different than None at position "
                                   f"{i + 1}, but the corresponding forward input was not a Variable")
            elif not isinstance(r, Tensor):
                raise RuntimeError(f"expected Variable or None (got {type(r).__name__}) as gradient {i} returned by "
                                   f"{fwd.__name__}.backward")
            else:
                out.append(r if child is not None else None)
        return tuple(out)

    @classmethod
    def name(cls) -> str:
        return cls.__name__  # already "<forward class>Backward"

    def label(self) -> str:
        return self._forward_cls.__name__ if self._forward_cls is not None else type(self).__name__


FunctionCtx = _CtxNode


def _ctx_backward_arrays(node: _CtxNode, grads: tuple) -> tuple:
    with _grad_mode.no_grad():
        res = node._run_user_backward(tuple(None if g is None else _make(np.asarray(g), None, False) for g in grads))
    return tuple(None if r is None else r._data for r in res)


def _ctx_backward_tensors(node: _CtxNode, grads: tuple) -> tuple:
    return node._run_user_backward(grads)


define("ctx_backward", _ctx_backward_arrays, _ctx_backward_tensors)


def once_differentiable(fn: Any) -> Any:
    """Decorate a ctx-style ``backward`` that cannot itself be differentiated: it runs under no_grad, and
    differentiating its result (create_graph=True, gradgradcheck) raises instead of giving a wrong number."""

    @functools.wraps(fn)
    def wrapper(ctx: Any, *args: Any) -> Any:
        with _grad_mode.no_grad():
            return fn(ctx, *args)

    wrapper._once_differentiable = True  # type: ignore[attr-defined]
    return wrapper
