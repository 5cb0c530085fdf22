"""From two traces of one model to an ONNX ``Graph``: value naming, leaves, constants and the op registry.

Every recorded node is handed to the converter registered for its op class (``@converts``), through a
``Ctx`` that names its inputs in the ONNX graph and reads its attributes. A fusion (``@fuses``) may claim a
chain of nodes first (BatchNorm's eval-mode arithmetic becomes one BatchNormalization).

Inputs of a node that are not outputs of other recorded nodes are leaves: a graph input (the example inputs),
an initializer (a parameter or buffer, by its state_dict name), a reshaped view of either, or a constant.
A constant must be the same in the twin trace (see ``_trace``): one that differs was computed from the
inputs outside the recorded graph, and freezing it into the file would give wrong answers silently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._function import Function
from .._tensor import Tensor
from ._graph import Graph
from ._trace import Trace, scope_of
from .errors import OnnxExporterError, UnsupportedOperatorError

CONVERTERS: dict[str, Callable[[Ctx], Any]] = {}
FUSIONS: list[Callable[[Converter, Function], bool]] = []


def converts(*names: str) -> Callable:
    """Register a converter for the op classes ``names``; it returns the output name (or a list of them)."""

    def deco(fn: Callable) -> Callable:
        for n in names:
            CONVERTERS[n] = fn
        return fn

    return deco


def fuses(fn: Callable) -> Callable:
    """Register a fusion: ``fn(converter, node)`` converts a chain starting at ``node`` and returns True."""
    FUSIONS.append(fn)
    return fn


def supported_ops() -> list[str]:
    """The op classes the exporter converts."""
    return sorted(CONVERTERS)


def _data_ptr(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def _same_memory(view: np.ndarray, base: np.ndarray) -> bool:
    """``view`` is ``base`` reshaped: same buffer start, size and dtype, both C-ordered."""
    return (view.size == base.size and view.dtype == base.dtype and _data_ptr(view) == _data_ptr(base)
            and view.flags.c_contiguous and base.flags.c_contiguous)


class Converter:
    """Converts the nodes of ``t1`` (with ``t2`` its twin trace) into ``graph``."""

    def __init__(self, graph: Graph, t1: Trace, t2: Trace, input_names: list[str], tensors: dict[int, str],
                 modules: dict[str, Any], export_params: bool) -> None:
        self.graph, self.t1, self.t2 = graph, t1, t2
        self.twin = dict(zip(t1.nodes, t2.nodes))
        self.values: dict[tuple, str] = {}  # (node, output index) -> ONNX value name
        # value name -> [[shape, twin shape, make, made name]]: other shapes of the same data (a flattened
        # value's unflattened form), made on first use; a reshape back to one of them is then no reshape
        self.alts: dict[str, list] = {}
        self.tensors = tensors  # id(parameter or buffer) -> state_dict name
        self.modules = modules  # dotted name -> module
        self.export_params = export_params
        self.leaves: dict[int, str] = {}  # id(leaf tensor) -> ONNX name (created on first use)
        self.inputs = {id(t): name for t, name in zip(t1.inputs, input_names)}
        self.twin_inputs = {id(t2.inputs[k]): k for k in range(len(t2.inputs))}
        self.done: set = set()  # nodes a fusion has converted
        self.consumers: dict[tuple, list] = {}
        self.arrays: dict[int, list] = {}  # data address -> [(array, (node, output index))] of recorded values
        for node in t1.nodes:
            for slot, (child, idx) in enumerate(node.next_functions):
                if isinstance(child, Function):
                    self.consumers.setdefault((child, idx), []).append((node, slot))
                    arr = node.inputs[slot]._data
                    self.arrays.setdefault(_data_ptr(arr), []).append((arr, (child, idx)))
        self.output_keys = {(o.grad_fn, o._out_idx) for o in t1.outputs if o.grad_fn is not None}

    # ------------------------------------------------------------------ the pass
    def check_supported(self) -> None:
        """Raise once, naming every op class without a converter (and where it was recorded)."""
        missing: dict[str, set] = {}
        for node in self.t1.nodes:
            name = type(node).__name__
            if name not in CONVERTERS or not type(node).__module__.startswith("autograd_core."):
                scope = scope_of(self.t1.spans, node._seq)[1:].replace("/", ".")
                missing.setdefault(name, set()).add(f"'{scope}'" if scope else "the top-level forward")
        if missing:
            found = "; ".join(f"{k} (in {', '.join(sorted(v))})" for k, v in sorted(missing.items()))
            raise UnsupportedOperatorError(
                f"autograd_core.onnx.export: no ONNX conversion for the op(s) {found}. Supported ops: "
                f"{', '.join(supported_ops())}. Custom autograd.Function subclasses cannot be exported; "
                "rewrite that part of forward() with supported ops.")

    def run(self) -> None:
        """Convert every node (in creation order, a topological order)."""
        self.check_supported()
        for node in self.t1.nodes:
            if node in self.done:
                continue
            if any(f(self, node) for f in FUSIONS):
                continue
            out = CONVERTERS[type(node).__name__](Ctx(self, node))
            for k, name in enumerate(out if isinstance(out, list) else [out]):
                self.values[(node, k)] = name

    def scope(self, node: Function) -> str:
        return scope_of(self.t1.spans, node._seq)

    def meta(self, node: Function, k: int, twin: bool = False) -> tuple:
        """(shape, dtype) of output ``k`` of ``node`` (in the twin trace when ``twin``)."""
        if twin:
            return self.t2.meta[(self.twin[node], k)]
        return self.t1.meta[(node, k)]

    def output_array(self, node: Function, k: int) -> np.ndarray | None:
        """The values of output ``k`` of ``node`` (from a consumer or the model's outputs), if kept."""
        uses = self.consumers.get((node, k))
        if uses:
            user, slot = uses[0]
            return user.inputs[slot]._data
        for o in self.t1.outputs:
            if o.grad_fn is node and o._out_idx == k:
                return o._data
        return None

    # ------------------------------------------------------------------ leaves
    def leaf_name(self, t: Tensor) -> str | None:
        """The graph input or initializer for an example input, parameter or buffer; None for others."""
        key = id(t)
        if key in self.leaves:
            return self.leaves[key]
        if key in self.inputs:
            return self.inputs[key]
        name = self.tensors.get(key)
        if name is None:
            return None
        if self.export_params:
            self.graph.initializer(name, t._data)
        else:  # export_params=False: the weights are inputs the caller feeds
            from ._graph import ValueSpec

            self.graph.reserve(name)
            self.graph.inputs.append(ValueSpec(name, t.dtype, tuple(t.shape)))
        self.leaves[key] = name
        return name

    def recorded_value(self, arr: np.ndarray, twin: Any) -> str | None:
        """The ONNX value whose data ``arr`` is (the same memory, any shape), reshaped as ``arr``."""
        found = self.arrays.get(_data_ptr(arr), ())
        for other, key in sorted(found, key=lambda e: e[0].shape != arr.shape):  # the same shape first
            if key in self.values and _same_memory(arr, other):
                name = self.values[key]
                if arr.shape == other.shape:
                    return name
                twin_shape = tuple(np.shape(twin._data if isinstance(twin, Tensor) else twin))
                target = self.reshape_target(other.shape, arr.shape, self.meta(*key, twin=True)[0], twin_shape,
                                             "a view of a recorded value")
                return self.graph.op("Reshape", [name, self.graph.ints(target)])
        return None

    def input_view(self, arr: np.ndarray) -> Tensor | None:
        """The example input whose data ``arr`` is a reshape of (integer indices reach ops this way)."""
        for t in self.t1.inputs:
            if _same_memory(arr, t._data):
                return t
        return None

    def leaf(self, obj: Any, twin: Any, what: str, dtype: Any = None) -> str:
        """The ONNX name for a leaf input of a node: input, initializer, reshaped view of one, or constant."""
        if obj is None:
            return ""
        if isinstance(obj, Tensor):
            name = self.leaf_name(obj)
            if name is not None:
                return name if dtype is None or obj.dtype == dtype else self.cast(name, dtype)
            base = obj._base
            if base is not None and self.leaf_name(base) is not None and _same_memory(obj._data, base._data):
                out = self.reshape_leaf(self.leaf_name(base), base, obj, twin, what)
                return out if dtype is None or obj.dtype == dtype else self.cast(out, dtype)
        arr = obj._data if isinstance(obj, Tensor) else obj
        if isinstance(arr, np.ndarray):
            name = self.recorded_value(arr, twin)
            if name is not None:  # y.detach() inside forward: the same values as y (only gradients differ)
                return name if dtype is None or arr.dtype == dtype else self.cast(name, dtype)
            src = self.input_view(arr)
            if src is not None:
                out = self.reshape_leaf(self.inputs[id(src)], src, obj, twin, what)
                return out if dtype is None or arr.dtype == dtype else self.cast(out, dtype)
        self.check_constant(arr, twin, what)
        return self.graph.const(arr, dtype)

    def reshape_leaf(self, name: str, base: Tensor, view: Any, twin_view: Any, what: str) -> str:
        """``name`` reshaped as ``view`` (a reshape of ``base``'s memory); following the dynamic axes."""
        shape = tuple(np.shape(view._data if isinstance(view, Tensor) else view))
        if shape == tuple(base.shape):
            return name
        twin_base = self.twin_of_input(base)
        twin_shape = tuple(np.shape(twin_view._data if isinstance(twin_view, Tensor) else twin_view))
        target = self.reshape_target(tuple(base.shape), shape, twin_base, twin_shape, what)
        return self.graph.op("Reshape", [name, self.graph.ints(target)], scope="")

    def twin_of_input(self, base: Tensor) -> tuple:
        for k, t in enumerate(self.t1.inputs):
            if t is base:
                return tuple(self.t2.inputs[k].shape)
        return tuple(base.shape)  # a parameter or buffer: the same tensor in both traces

    def check_constant(self, a: Any, b: Any, what: str) -> None:
        """A constant must be the same in both traces; say what it depends on if it is not."""
        if isinstance(a, Tensor):
            a = a._data
        if isinstance(b, Tensor):
            b = b._data
        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            if np.shape(a) != np.shape(b):
                raise OnnxExporterError(
                    f"autograd_core.onnx.export: {what} is a constant of shape {list(np.shape(a))} that has shape "
                    f"{list(np.shape(b))} when a dynamic axis is longer: it was made with the example's size "
                    "(e.g. zeros(batch, ...) inside forward) or computed from the inputs outside the recorded graph "
                    "(e.g. a comparison such as x > 0), and cannot follow dynamic_axes. Make it with recorded ops "
                    "from the input, or export without dynamic_axes.")
            a, b = np.asarray(a), np.asarray(b)
            nan = a.dtype.kind in "fc" and b.dtype.kind in "fc"
            if not np.array_equal(a, b, equal_nan=nan):
                raise OnnxExporterError(self._derived(what))
        elif not _scalar_equal(a, b):
            raise OnnxExporterError(self._derived(what))

    @staticmethod
    def _derived(what: str) -> str:
        return (f"autograd_core.onnx.export: {what} is a constant computed from the example inputs outside the "
                "recorded graph (a comparison such as x > 0, integer arithmetic, .detach(), .item() or .numpy(), "
                "or random numbers): the ONNX file would freeze the example's value. Compute it with recorded "
                "float ops, or leave it out of the exported forward().")

    # ------------------------------------------------------------------ shapes
    def add_alt(self, name: str, shape: tuple, twin_shape: tuple, make: Callable[[], str]) -> None:
        """Record that ``make()`` gives the data of ``name`` in the shape ``shape`` (``twin_shape``)."""
        self.alts.setdefault(name, []).append([tuple(shape), tuple(twin_shape), make, None])

    def alt(self, name: str, shape: tuple, twin_shape: tuple) -> str | None:
        """The data of ``name`` in the shape ``shape`` (twin trace: ``twin_shape``) if recorded, else None."""
        for entry in self.alts.get(name, ()):
            if (entry[0], entry[1]) == (tuple(shape), tuple(twin_shape)):
                if entry[3] is None:
                    entry[3] = entry[2]()
                return entry[3]
        return None

    def reshape_target(self, in1: tuple, out1: tuple, in2: tuple, out2: tuple, what: str) -> list[int]:
        """Reshape's shape input: static sizes, 0 (copy the input's size) and at most one -1 for the sizes
        that follow the dynamic axes (seen as the sizes that differ between the two traces)."""
        target = list(out1)
        if tuple(out1) == tuple(out2):
            return target
        free = []
        for j in range(len(out1)):
            if out1[j] == out2[j]:
                continue
            if j < len(in1) and j < len(in2) and in1[j] == out1[j] and in2[j] == out2[j]:
                target[j] = 0
            else:
                free.append(j)
        if len(free) > 1:
            raise OnnxExporterError(
                f"autograd_core.onnx.export: {what} reshapes {list(in1)} to {list(out1)}, merging or splitting "
                f"more than one dynamic dimension (dims {free} of the result follow dynamic axes); the exporter "
                "cannot express that reshape without baking in sizes. Reshape one dynamic axis at a time, or "
                "export with fewer dynamic axes.")
        if free:
            target[free[0]] = -1
        return target

    def cast(self, name: str, dtype: Any, scope: str = "") -> str:
        from onnx.helper import np_dtype_to_tensor_dtype

        return self.graph.op("Cast", [name], scope=scope, to=int(np_dtype_to_tensor_dtype(np.dtype(dtype))))


def _scalar_equal(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    try:
        return bool(a == b)
    except Exception:  # objects without a plain equality: compare their text
        return repr(a) == repr(b)


class Ctx:
    """What a converter sees of one node: its inputs as ONNX names, shapes, attributes, and ``op`` to emit."""

    def __init__(self, cv: Converter, node: Function) -> None:
        self.cv, self.node, self.graph = cv, node, cv.graph
        self.twin = cv.twin[node]
        self.scope = cv.scope(node)
        self.opset = cv.graph.opset

    @property
    def op_name(self) -> str:
        return type(self.node).__name__

    def where(self) -> str:
        return f"op {self.op_name}" + (f" (in module '{self.scope[1:].replace('/', '.')}')" if self.scope else "")

    def fail(self, msg: str) -> OnnxExporterError:
        """An error about this node, to raise."""
        return OnnxExporterError(f"autograd_core.onnx.export: {self.where()}: {msg}")

    # ------------------------------------------------------------------ inputs
    @property
    def n(self) -> int:
        return len(self.node.next_functions)

    def raw(self, i: int) -> Any:
        """Input ``i`` as the op received it (Tensor, ndarray, Python number or None)."""
        return self.node.inputs[i]

    def is_value(self, i: int) -> bool:
        """Input ``i`` is a tensor (not None or a Python number)."""
        return isinstance(self.node.inputs[i], Tensor)

    def x(self, i: int, dtype: Any = None) -> str:
        """The ONNX name of input ``i`` (cast to ``dtype`` when given and different)."""
        child, idx = self.node.next_functions[i]
        if isinstance(child, Function):
            name = self.cv.values[(child, idx)]
            if dtype is not None and self.cv.meta(child, idx)[1] != np.dtype(dtype):
                name = self.cv.cast(name, dtype, self.scope)
            return name
        return self.cv.leaf(self.node.inputs[i], self.twin.inputs[i], f"input {i} of {self.where()}", dtype)

    def array(self, arr: Any, twin_arr: Any, what: str, dtype: Any = None) -> str:
        """An array the node keeps as an attribute (an index, say) as an ONNX value."""
        return self.cv.leaf(arr, twin_arr, f"{what} of {self.where()}", dtype)

    def shape(self, i: int, twin: bool = False) -> tuple:
        a = (self.twin if twin else self.node).inputs[i]
        return tuple(np.shape(a._data if isinstance(a, Tensor) else a))

    def dtype(self, i: int) -> np.dtype | None:
        a = self.node.inputs[i]
        return a.dtype if isinstance(a, Tensor) else (a.dtype if isinstance(a, np.ndarray) else None)

    def dynamic(self, i: int) -> set[int]:
        """The dims of input ``i`` that follow the dynamic axes."""
        s1, s2 = self.shape(i), self.shape(i, True)
        return {d for d in range(len(s1)) if s1[d] != s2[d]}

    def out_shape(self, k: int = 0, twin: bool = False) -> tuple:
        return tuple(self.cv.meta(self.node, k, twin)[0])

    def out_dtype(self, k: int = 0) -> np.dtype:
        return np.dtype(self.cv.meta(self.node, k)[1])

    def out_dynamic(self, k: int = 0) -> set[int]:
        s1, s2 = self.out_shape(k), self.out_shape(k, True)
        return {d for d in range(len(s1)) if s1[d] != s2[d]}

    # ------------------------------------------------------------------ attributes
    def attr(self, name: str, *, static: bool = True) -> Any:
        """Attribute ``name`` of the node; with ``static`` it must be the same in the twin trace."""
        v, w = self.node.__dict__[name], self.twin.__dict__[name]
        if static:
            if isinstance(v, np.ndarray) or isinstance(w, np.ndarray):
                self.cv.check_constant(v, w, f"the {name} of {self.where()}")
            else:  # a setting (an axis, a count) that changed with the size of a dynamic axis
                self.same(name, v, w)
        return v

    def same(self, what: str, a: Any, b: Any) -> Any:
        """``a``, after checking it equals its twin-trace counterpart ``b``."""
        if not _scalar_equal(a, b):
            raise self.fail(f"its {what} is {a} for the example and {b} when a dynamic axis is longer: that "
                            "size-dependent setting cannot follow dynamic_axes (export without them)")
        return a

    # ------------------------------------------------------------------ emitting
    def op(self, op: str, inputs: list[str], n_out: int = 1, **attrs: Any) -> Any:
        """Emit an ONNX node in this node's module scope; returns its output name(s)."""
        return self.graph.op(op, inputs, scope=self.scope, n_out=n_out, **attrs)

    def const(self, value: Any, dtype: Any = None) -> str:
        return self.graph.const(value, dtype)

    def ints(self, values: Any) -> str:
        return self.graph.ints(values)

    def cast(self, name: str, dtype: Any) -> str:
        return self.cv.cast(name, dtype, self.scope)
