"""``export``: trace a model, convert its graph and write the ONNX file (PyTorch's ``torch.onnx.export``)."""

from __future__ import annotations

import enum
import inspect
import io
import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._tensor import Tensor, _make
from . import _ops_nn, _ops_rnn, _ops_tensor  # noqa: F401  (they register the converters)
from ._convert import Converter
from ._graph import Graph, ValueSpec
from ._trace import flatten, run, same_structure, twin_arrays
from .errors import OnnxExporterError

DEFAULT_OPSET = 20  # torch.onnx's default (torch.onnx._constants.ONNX_DEFAULT_OPSET in PyTorch 2.13)
MIN_OPSET = 13  # Split/Squeeze/Unsqueeze/ReduceSum with their sizes and axes as inputs
EXPORTING = [0]  # > 0 while a forward runs for an export (is_in_onnx_export)


class TrainingMode(enum.IntEnum):
    """The mode a model is traced in (PyTorch's ``torch.onnx.TrainingMode``)."""

    EVAL = 0
    PRESERVE = 1
    TRAINING = 2


class OperatorExportTypes(enum.IntEnum):
    """Only plain ONNX is exported (PyTorch's ``torch.onnx.OperatorExportTypes``)."""

    ONNX = 0


class ONNXProgram:
    """The exported model: ``model_proto`` (an ``onnx.ModelProto``), ``save(f)``, and a call that runs it in
    onnxruntime on Tensors (PyTorch's ``torch.onnx.ONNXProgram``)."""

    def __init__(self, model_proto: Any) -> None:
        self.model_proto = model_proto
        self._session: Any = None

    def save(self, destination: Any) -> None:
        """Write the model to a path or a binary file object."""
        _write(self.model_proto, destination)

    def __call__(self, *args: Any, **kwargs: Any) -> tuple:
        """Run the model in onnxruntime (CPU); Tensors in, a tuple of Tensors out."""
        if self._session is None:
            import onnxruntime

            self._session = onnxruntime.InferenceSession(self.model_proto.SerializeToString(),
                                                         providers=["CPUExecutionProvider"])
        names = [i.name for i in self._session.get_inputs()]
        arrays = [t._data for t in flatten((args, kwargs))]
        outs = self._session.run(None, dict(zip(names, arrays)))
        return tuple(_make(np.asarray(o), None, False) for o in outs)

    def __repr__(self) -> str:
        g = self.model_proto.graph
        return (f"ONNXProgram(inputs={[i.name for i in g.input]}, outputs={[o.name for o in g.output]}, "
                f"nodes={len(g.node)}, opset={self.model_proto.opset_import[0].version})")


def _import_onnx() -> Any:
    try:
        import onnx
        import onnx.checker
        import onnx.helper
        import onnx.numpy_helper
    except ImportError as e:
        raise ImportError("autograd_core.onnx.export needs the onnx package, which is not installed: "
                          "pip install autograd_core[onnx]  (installs onnx and onnxruntime)") from e
    return onnx


def export(
    model: Any,
    args: Any = (),
    f: Any = None,
    *,
    kwargs: dict[str, Any] | None = None,
    verbose: bool | None = None,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
    opset_version: int | None = None,
    dynamo: bool = True,
    external_data: bool = True,
    dynamic_shapes: Any = None,
    custom_translation_table: Any = None,
    report: bool = False,
    optimize: bool = True,
    verify: bool = False,
    profile: bool = False,
    dump_exported_program: bool = False,
    artifacts_dir: str | os.PathLike = ".",
    export_params: bool = True,
    keep_initializers_as_inputs: bool = False,
    dynamic_axes: Mapping[str, Mapping[int, str]] | Mapping[str, Sequence[int]] | None = None,
    training: Any = TrainingMode.EVAL,
    operator_export_type: Any = OperatorExportTypes.ONNX,
    do_constant_folding: bool = True,
    custom_opsets: Mapping[str, int] | None = None,
    export_modules_as_functions: Any = False,
    autograd_inlining: bool = True,
) -> ONNXProgram | None:
    """Trace ``model(*args, **kwargs)`` and write it as an ONNX model to ``f`` (a path or binary file object).

    PyTorch 2.13's signature. The forward runs with gradient recording on (twice: the second run, on shuffled
    and resized inputs, finds the dims that follow ``dynamic_axes`` and any value computed outside the
    recorded graph), and each recorded op becomes one ONNX node or a few. Parameters and buffers become
    initializers named as in ``state_dict()``; inputs are named after forward()'s parameters unless
    ``input_names`` says otherwise, outputs ``output``, ``output.1``, ... unless ``output_names`` does.
    The model is traced in eval mode and put back in its modes afterwards (``training=TrainingMode.EVAL``,
    the meaning PyTorch's ``training`` argument had; its default dynamo path exports the current mode).
    Default opset 20, PyTorch's. Returns an ``ONNXProgram`` (None with ``dynamo=False``, as PyTorch).
    Accepted and without effect: ``dynamo``, ``external_data`` (weights are stored in the file), ``report``,
    ``optimize`` (unused nodes are always pruned), ``profile``, ``dump_exported_program``, ``artifacts_dir``,
    ``do_constant_folding`` (always on), ``autograd_inlining``; ``verify=True`` runs the file in onnxruntime
    and compares it with the traced outputs; ``dynamic_shapes`` ({input: {axis: name or Dim}}) is read as
    ``dynamic_axes``.
    """
    onnx = _import_onnx()
    _check_unsupported_options(custom_translation_table, custom_opsets, export_modules_as_functions,
                               operator_export_type)
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    newest = int(onnx.defs.onnx_opset_version())
    if not MIN_OPSET <= opset <= newest:
        raise ValueError(f"autograd_core.onnx.export: opset_version={opset} is not supported; use {MIN_OPSET} to "
                         f"{newest} (the installed onnx package's newest), default {DEFAULT_OPSET}")
    args, kwargs = _split_args(args, kwargs)
    examples = flatten((args, kwargs))
    names_in = _input_names(model, args, kwargs, examples, input_names)
    mode = _mode(training)
    modules = list(model.named_modules()) if hasattr(model, "named_modules") else []
    trained = [(m, m.training) for _, m in modules]
    if modules and mode == "EVAL":
        model.eval()
    EXPORTING[0] += 1
    try:
        if any(m.training for _, m in modules):
            raise NotImplementedError(
                "autograd_core.onnx.export: only inference graphs are exported, and the model is in training mode "
                f"(training=TrainingMode.{mode}); call model.eval() first or pass training=TrainingMode.EVAL "
                "(the default). Dropout and batch statistics in training mode are not exported.")
        trace_out, twin_out, dyn_in, n_out = _trace_twice(model, args, kwargs, examples, names_in, output_names,
                                                          dynamic_axes, dynamic_shapes, modules)
    finally:
        EXPORTING[0] -= 1
        for m, was in trained:
            object.__setattr__(m, "training", was)
    names_out = _output_names(output_names, n_out, names_in)
    dyn_out = _normalize_axes(dynamic_axes, names_in, names_out, [t.ndim for t in trace_out.outputs], "output")
    graph = Graph(opset)
    for t, name, axes in zip(trace_out.inputs, names_in, dyn_in):
        graph.reserve(name)
        graph.inputs.append(ValueSpec(name, t.dtype, tuple(axes.get(d, s) for d, s in enumerate(t.shape))))
    tensors = _named_tensors(model)
    cv = Converter(graph, trace_out, twin_out, names_in, tensors, dict(modules), export_params)
    cv.run()
    _set_outputs(cv, names_out, dyn_out)
    graph.prune()
    _check_inputs_used(graph, trace_out)
    proto = graph.to_model(onnx, "autograd_core", keep_initializers_as_inputs)
    onnx.checker.check_model(proto)
    if verify:
        _verify(proto, trace_out)
    if f is not None:
        _write(proto, f)
    if verbose:
        print(onnx.helper.printable_graph(proto.graph))
    return ONNXProgram(proto) if dynamo else None


# ---------------------------------------------------------------------- arguments
def _check_unsupported_options(table: Any, opsets: Any, as_functions: Any, export_type: Any) -> None:
    if table:
        raise NotImplementedError("autograd_core.onnx.export: custom_translation_table is not supported (it maps "
                                  "torch.ops targets); leave it None")
    if opsets:
        raise NotImplementedError("autograd_core.onnx.export: custom_opsets is not supported; only the default "
                                  "ONNX domain is exported")
    if as_functions:
        raise NotImplementedError("autograd_core.onnx.export: export_modules_as_functions is not supported; the "
                                  "graph is exported flat (node names carry the module path, e.g. /fc1/Gemm)")
    if getattr(export_type, "name", export_type) not in ("ONNX", 0):
        raise ValueError(f"autograd_core.onnx.export: operator_export_type={export_type} is not supported; only "
                         "OperatorExportTypes.ONNX")


def _mode(training: Any) -> str:
    name = getattr(training, "name", None) or str(training)  # ours or torch's TrainingMode, or a name
    name = name.rsplit(".", 1)[-1].upper()
    if name not in ("EVAL", "PRESERVE", "TRAINING"):
        raise ValueError(f"autograd_core.onnx.export: training must be a TrainingMode (EVAL, PRESERVE or TRAINING), "
                         f"got {training!r}")
    return name


def _split_args(args: Any, kwargs: dict | None) -> tuple[tuple, dict]:
    if isinstance(args, Tensor):
        args = (args,)
    elif isinstance(args, list):
        args = tuple(args)
    elif not isinstance(args, tuple):
        raise TypeError(f"autograd_core.onnx.export: args must be a Tensor or a tuple of example inputs, got "
                        f"{type(args).__name__}")
    kwargs = dict(kwargs or {})
    if args and isinstance(args[-1], dict) and not kwargs:  # PyTorch's older convention: trailing kwargs dict
        args, kwargs = args[:-1], dict(args[-1])
    return args, kwargs


def _input_names(model: Any, args: tuple, kwargs: dict, examples: list, given: Sequence[str] | None) -> list[str]:
    """Given names first; the others after forward()'s parameters ('x'), as PyTorch's exporter names them."""
    auto = []
    try:
        params = list(inspect.signature(model.forward if hasattr(model, "forward") else model).parameters.values())
    except (TypeError, ValueError):
        params = []
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    for k, a in enumerate(args):
        base = positional[k] if k < len(positional) else "input"
        n = len(flatten(a))
        auto += [base] if n == 1 else [f"{base}_{j}" for j in range(n)]
    for key, v in kwargs.items():
        n = len(flatten(v))
        auto += [key] if n == 1 else [f"{key}_{j}" for j in range(n)]
    given = list(given or [])
    if len(given) > len(examples):
        raise ValueError(f"autograd_core.onnx.export: {len(given)} input_names for {len(examples)} example input "
                         "tensor(s)")
    names = given + auto[len(given):]
    if len(set(names)) != len(names):
        raise ValueError(f"autograd_core.onnx.export: input names {names} are not all different; pass input_names")
    return names


def _output_names(given: Sequence[str] | None, n: int, names_in: list[str]) -> list[str]:
    given = list(given or [])
    if len(given) > n:
        raise ValueError(f"autograd_core.onnx.export: {len(given)} output_names for a model with {n} output(s)")
    auto = ["output" if k == 0 else f"output.{k}" for k in range(n)]
    names = given + auto[len(given):]
    if len(set(names) | set(names_in)) != len(names) + len(names_in):
        raise ValueError(f"autograd_core.onnx.export: output names {names} must differ from each other and from "
                         f"the input names {names_in}")
    return names


def _normalize_axes(dynamic_axes: Any, names_in: list[str], names_out: list[str], ranks: list[int],
                    which: str) -> list[dict[int, str]]:
    """Per input (or output): {axis: symbolic name}; validates names and axes."""
    names = names_in if which == "input" else names_out
    out: list[dict[int, str]] = [{} for _ in names]
    if not dynamic_axes:
        return out
    for key, axes in dynamic_axes.items():
        if key not in names_in and key not in names_out:
            raise ValueError(f"autograd_core.onnx.export: dynamic_axes names {key!r}, which is neither an input "
                             f"{names_in} nor an output {names_out}")
        if key not in names:
            continue
        k = names.index(key)
        items = axes.items() if isinstance(axes, Mapping) else ((a, f"{key}_dynamic_axes_{j + 1}")
                                                                for j, a in enumerate(axes))
        for a, sym in items:
            a = int(a)
            if not -ranks[k] <= a < ranks[k]:
                raise ValueError(f"autograd_core.onnx.export: dynamic_axes[{key!r}] has axis {a}, but {which} "
                                 f"{key!r} has {ranks[k]} dims")
            out[k][a % ranks[k]] = str(sym)
    return out


def _from_dynamic_shapes(dynamic_shapes: Any, names_in: list[str]) -> dict:
    """dynamo-style dynamic_shapes ({arg: {axis: Dim or name}} or one entry per input) as dynamic_axes."""
    if isinstance(dynamic_shapes, Mapping):
        items = list(dynamic_shapes.items())
    else:
        items = list(zip(names_in, dynamic_shapes))
    out = {}
    for key, spec in items:
        if spec is None:
            continue
        if key not in names_in:
            raise ValueError(f"autograd_core.onnx.export: dynamic_shapes names {key!r}, which is no input "
                             f"{names_in}")
        pairs = spec.items() if isinstance(spec, Mapping) else enumerate(spec)
        axes = {int(a): getattr(d, "__name__", None) or (d if isinstance(d, str) else f"{key}_dim_{a}")
                for a, d in pairs if d is not None}
        out[key] = axes
    return out


# ---------------------------------------------------------------------- tracing
def _trace_twice(model: Any, args: tuple, kwargs: dict, examples: list, names_in: list[str], output_names: Any,
                 dynamic_axes: Any, dynamic_shapes: Any, modules: list) -> tuple:
    if dynamic_shapes is not None:
        if dynamic_axes:
            raise ValueError("autograd_core.onnx.export: pass dynamic_axes or dynamic_shapes, not both")
        dynamic_axes = _from_dynamic_shapes(dynamic_shapes, names_in)
    arrays = [t._data for t in examples]
    t1 = run(model, args, kwargs, arrays, modules)
    names_out = _output_names(output_names, len(t1.outputs), names_in)
    dyn_in = _normalize_axes(dynamic_axes, names_in, names_out, [a.ndim for a in arrays], "input")
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t2 = run(model, args, kwargs, twin_arrays(arrays, dyn_in), modules)
    except Exception as e:
        raise OnnxExporterError(
            "autograd_core.onnx.export: the model fails on the check inputs (the example inputs with their "
            "values shuffled and each dynamic axis one longer), so its graph cannot be checked for sizes and "
            f"values baked into it: {type(e).__name__}: {e}. If a dynamic axis cannot change size, leave it "
            "out of dynamic_axes.") from e
    diff = same_structure(t1, t2)
    if diff is not None:
        raise OnnxExporterError(
            "autograd_core.onnx.export: the model records a different graph for other input values or sizes "
            f"({diff}): its forward() has data-dependent control flow (an if or loop on tensor values or on "
            "a dynamic axis's size), which one ONNX graph cannot hold. Export with static shapes, or move the "
            "decision out of forward().")
    return t1, t2, dyn_in, len(t1.outputs)


def _named_tensors(model: Any) -> dict[int, str]:
    """id(parameter or buffer) -> its state_dict name (the first name of a shared one)."""
    out: dict[int, str] = {}
    if not hasattr(model, "named_parameters"):
        return out
    for name, t in list(model.named_parameters(remove_duplicate=False)) + list(
            model.named_buffers(remove_duplicate=False)):
        out.setdefault(id(t), name)
    return out


# ---------------------------------------------------------------------- outputs
def _set_outputs(cv: Converter, names: list[str], dyn_out: list[dict[int, str]]) -> None:
    g = cv.graph
    producer = {o: node.op for node in g.nodes for o in node.outputs}
    renamed: dict[str, str] = {}  # a node output -> the graph output name it now has
    for k, (t, t2) in enumerate(zip(cv.t1.outputs, cv.t2.outputs)):
        if t.grad_fn is not None:
            src = cv.values[(t.grad_fn, t._out_idx)]
        else:
            src = cv.leaf(t, t2, f"output {k}")
        name = g.reserve(names[k])
        if producer.get(src) not in (None, "Constant") and src not in renamed:
            _rename(g, src, name)  # the node that computes it writes the output directly (constants are shared)
            renamed[src] = name
        else:  # an input, initializer, constant or another output returned as it is
            g.nodes.append(_identity(renamed.get(src, src), name))
        shape = []
        for d, (s1, s2) in enumerate(zip(t.shape, t2.shape)):
            sym = dyn_out[k].get(d)
            shape.append(sym if sym is not None else (s1 if s1 == s2 else f"{names[k]}_dynamic_axes_{d + 1}"))
        g.outputs.append(ValueSpec(name, t.dtype, tuple(shape)))


def _check_inputs_used(g: Graph, trace: Any) -> None:
    """An integer input no exported op reads was used by unrecorded integer ops: its results are frozen."""
    used = {i for node in g.nodes for i in node.inputs}
    for spec, t in zip(g.inputs, trace.inputs):
        if t.dtype.kind not in "fc" and spec.name not in used:
            raise OnnxExporterError(
                f"autograd_core.onnx.export: the integer input {spec.name!r} reaches no exported op: ops on integer "
                "tensors (arithmetic, comparisons, indexing other than embedding/gather) are not recorded, so "
                "their results would be frozen into the file. Pass the tensor that the model finally uses (or "
                "float inputs), or compute it with recorded ops.")


def _identity(src: str, name: str) -> Any:
    from ._graph import Node

    return Node("Identity", [src], [name], {}, f"/Identity_{name}")


def _rename(g: Graph, old: str, new: str) -> None:
    for node in g.nodes:
        node.inputs = [new if i == old else i for i in node.inputs]
        node.outputs = [new if o == old else o for o in node.outputs]


def _write(proto: Any, f: Any) -> None:
    data = proto.SerializeToString()
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            fh.write(data)
    elif hasattr(f, "write"):
        if isinstance(f, io.TextIOBase):
            raise TypeError("autograd_core.onnx.export: f is a text file; open it in binary mode ('wb')")
        f.write(data)
    else:
        raise TypeError(f"autograd_core.onnx.export: f must be a path or a binary file object, got "
                        f"{type(f).__name__}")


def _verify(proto: Any, trace: Any) -> None:
    import onnxruntime

    sess = onnxruntime.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    feeds = {i.name: t._data for i, t in zip(sess.get_inputs(), trace.inputs)}
    for k, (got, want) in enumerate(zip(sess.run(None, feeds), trace.outputs)):
        want = want._data
        if got.shape != want.shape or not np.allclose(got, want, rtol=1e-3, atol=1e-5, equal_nan=True):
            err = float(np.max(np.abs(got - want))) if got.shape == want.shape else float("nan")
            raise OnnxExporterError(f"autograd_core.onnx.export(verify=True): output {k} differs between "
                                    f"onnxruntime and autograd_core (shapes {list(got.shape)} vs {list(want.shape)}, "
                                    f"max abs difference {err:.3g})")
