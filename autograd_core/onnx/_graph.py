"""An ONNX graph under construction, kept as plain Python data until ``to_model`` turns it into protobuf.

Only ``to_model`` touches the ``onnx`` package (handed in by the caller), so building the graph, pruning it
and naming its values need no optional dependency.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Node:
    """One ONNX node: op type, input and output value names ('' for an omitted optional input), attributes."""

    op: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict[str, Any]
    name: str


@dataclass
class ValueSpec:
    """A graph input or output: name, numpy dtype and shape (a str is a symbolic dimension)."""

    name: str
    dtype: np.dtype
    shape: tuple


@dataclass
class Graph:
    """Nodes in topological order, initializers by name, and the graph's inputs and outputs."""

    opset: int
    nodes: list[Node] = field(default_factory=list)
    initializers: dict[str, np.ndarray] = field(default_factory=dict)
    inputs: list[ValueSpec] = field(default_factory=list)
    outputs: list[ValueSpec] = field(default_factory=list)
    _taken: set = field(default_factory=set)
    _consts: dict = field(default_factory=dict)

    def unique(self, base: str) -> str:
        """``base``, or ``base.1``, ``base.2``, ... (the first free one): every value name is used once."""
        name, k = base, 0
        while name in self._taken:
            k += 1
            name = f"{base}.{k}"
        self._taken.add(name)
        return name

    def reserve(self, name: str) -> str:
        """Claim an exact name (a graph input, an initializer named after the state_dict)."""
        if name in self._taken:
            raise ValueError(f"autograd_core.onnx.export: the name {name!r} is used twice (input_names, "
                             "output_names and the model's parameter names must all differ)")
        self._taken.add(name)
        return name

    def initializer(self, name: str, array: np.ndarray) -> str:
        """Add a named initializer (the state_dict name of a parameter or buffer)."""
        self.initializers[self.reserve(name)] = np.ascontiguousarray(array)
        return name

    def const(self, value: Any, dtype: Any = None) -> str:
        """A Constant node (identical small constants share one); Python numbers need ``dtype``.

        Constants are nodes, not initializers, so that the initializers are exactly the model's parameters
        and buffers under their state_dict names (as PyTorch exports them)."""
        arr = np.ascontiguousarray(np.asarray(value, dtype=dtype))
        key = (arr.dtype.str, arr.shape, arr.tobytes()) if arr.size <= 64 else None
        if key is not None and key in self._consts:
            return self._consts[key]
        name = self.op("Constant", [], scope="", value=arr)
        if key is not None:
            self._consts[key] = name
        return name

    def ints(self, values: Any) -> str:
        """An int64 1-D constant (shapes, axes, slice bounds)."""
        return self.const(np.asarray(list(values), dtype=np.int64).reshape(-1))

    def op(self, op: str, inputs: list[str], scope: str = "", n_out: int = 1, **attrs: Any) -> Any:
        """Append a node; returns its output name (a list of names when ``n_out`` > 1)."""
        name = self.unique(f"{scope}/{op}")
        outs = [self.unique(f"{name}_output_{k}") for k in range(n_out)]
        self.nodes.append(Node(op, list(inputs), outs, {k: v for k, v in attrs.items() if v is not None}, name))
        return outs if n_out > 1 else outs[0]

    def prune(self) -> None:
        """Drop nodes and initializers nothing needs (dead-code elimination from the outputs)."""
        needed = {o.name for o in self.outputs}
        kept = []
        for node in reversed(self.nodes):
            if any(o in needed for o in node.outputs):
                kept.append(node)
                needed.update(i for i in node.inputs if i)
        self.nodes = kept[::-1]
        self.initializers = {k: v for k, v in self.initializers.items() if k in needed}

    def to_model(self, onnx: Any, producer: str, keep_initializers_as_inputs: bool = False) -> Any:
        """The ``onnx.ModelProto`` of this graph."""
        helper = onnx.helper
        nodes = [helper.make_node(n.op, n.inputs, n.outputs, name=n.name, **{
            k: onnx.numpy_helper.from_array(v) if isinstance(v, np.ndarray) else v for k, v in n.attrs.items()})
            for n in self.nodes]
        inits = [onnx.numpy_helper.from_array(a, name) for name, a in self.initializers.items()]
        inputs = [_value_info(helper, v) for v in self.inputs]
        if keep_initializers_as_inputs:
            inputs += [_value_info(helper, ValueSpec(k, a.dtype, a.shape)) for k, a in self.initializers.items()]
        outputs = [_value_info(helper, v) for v in self.outputs]
        graph = helper.make_graph(nodes, "main_graph", inputs, outputs, initializer=inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)],
                                  producer_name=producer)
        # the IR version the opset came with, not the newest one: older runtimes refuse newer IR versions
        model.ir_version = min(model.ir_version, _ir_version_for(onnx, self.opset))
        return model


def _value_info(helper: Any, v: ValueSpec) -> Any:
    elem = helper.np_dtype_to_tensor_dtype(np.dtype(v.dtype))
    return helper.make_tensor_value_info(v.name, elem, list(v.shape))


def _ir_version_for(onnx: Any, opset: int) -> int:
    best = 7
    for row in onnx.helper.VERSION_TABLE:  # (release, IR version, ai.onnx opset, ...)
        if row[2] <= opset:
            best = max(best, row[1])
    return best
