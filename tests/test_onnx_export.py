"""autograd_core.onnx.export: exported models run in onnxruntime and agree with our forward (and PyTorch's)."""

from __future__ import annotations

import io
import sys
import warnings

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import nn

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

ATOL = 1e-5


# ---------------------------------------------------------------------- helpers
def _run(proto, *arrays):
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    feeds = {i.name: np.asarray(a) for i, a in zip(sess.get_inputs(), arrays)}
    return sess.run(None, feeds)


def _ours(model, *args):
    with ag.no_grad():
        out = model(*args)
    return [o.numpy() for o in ag.onnx._trace.flatten(out)]


def _export(model, args, **kw):
    """Export to an in-memory file (the binary file-object target) and load it back."""
    buf = io.BytesIO()
    ag.onnx.export(model, args, buf, **kw)
    proto = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(proto)
    return proto


def _agree(proto, model, *args, atol=ATOL):
    got = _run(proto, *[a.numpy() for a in args])
    want = _ours(model, *args)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=atol)


def _batch_dyn(name="input"):
    return {name: {0: "batch"}, "output": {0: "batch"}}


class Fn(nn.Module):
    """A module around a function of the input (forward's parameter is ``x``)."""

    def __init__(self, fn, *mods):
        super().__init__()
        self.fn = fn
        self.mods = nn.ModuleList(mods)

    def forward(self, x):
        return self.fn(self, x)


def _op_types(proto):
    return [n.op_type for n in proto.graph.node if n.op_type != "Constant"]


# ---------------------------------------------------------------------- layer families
def _bn(cls, c):
    m = cls(c)
    m.running_mean.data = ag.randn(c)
    m.running_var.data = ag.rand(c) + 0.5
    m.weight.data = ag.randn(c)
    m.bias.data = ag.randn(c)
    return m


LAYERS = {
    "linear": (lambda: nn.Linear(6, 3), (2, 6), ["Gemm"]),
    "linear-3d": (lambda: nn.Linear(6, 3, bias=False), (2, 4, 6), ["Transpose", "MatMul"]),
    "conv2d": (lambda: nn.Conv2d(3, 4, 3, stride=2, padding=1), (2, 3, 9, 9), ["Conv"]),
    "conv2d-dil-groups": (lambda: nn.Conv2d(4, 6, (3, 2), padding=(2, 1), dilation=2, groups=2), (2, 4, 8, 8),
                          ["Conv"]),
    "conv1d": (lambda: nn.Conv1d(3, 5, 3, stride=2, padding=1, dilation=2), (2, 3, 12), None),
    "maxpool2d": (lambda: nn.MaxPool2d(3, 2, 1), (2, 3, 9, 9), ["MaxPool"]),
    "avgpool2d": (lambda: nn.AvgPool2d(2), (2, 3, 8, 8), ["AveragePool"]),
    "avgpool2d-pad": (lambda: nn.AvgPool2d(3, 2, 1, count_include_pad=False), (2, 3, 9, 9), ["AveragePool"]),
    "adaptive-global": (lambda: nn.AdaptiveAvgPool2d(1), (2, 3, 7, 5), ["GlobalAveragePool"]),
    "adaptive-2x2": (lambda: nn.AdaptiveAvgPool2d((2, 2)), (2, 3, 8, 8), ["AveragePool"]),
    "batchnorm2d": (lambda: _bn(nn.BatchNorm2d, 3), (4, 3, 5, 5), ["BatchNormalization"]),
    "batchnorm1d": (lambda: _bn(nn.BatchNorm1d, 5), (4, 5), ["BatchNormalization"]),
    "batchnorm1d-3d": (lambda: _bn(nn.BatchNorm1d, 5), (4, 5, 3), ["BatchNormalization"]),
    "batchnorm-noaffine": (lambda: nn.BatchNorm2d(3, affine=False), (4, 3, 2, 2), ["BatchNormalization"]),
    "batchnorm-nostats": (lambda: nn.BatchNorm2d(3, track_running_stats=False), (4, 3, 2, 2), None),
    "relu": (nn.ReLU, (3, 7), ["Relu"]),
    "leakyrelu": (lambda: nn.LeakyReLU(0.2), (3, 7), ["LeakyRelu"]),
    "sigmoid": (nn.Sigmoid, (3, 7), ["Sigmoid"]),
    "tanh": (nn.Tanh, (3, 7), ["Tanh"]),
    "gelu": (nn.GELU, (3, 7), None),
    "gelu-tanh": (lambda: nn.GELU("tanh"), (3, 7), None),
    "elu": (lambda: nn.ELU(0.5), (3, 7), ["Elu"]),
    "selu": (nn.SELU, (3, 7), None),
    "celu": (lambda: nn.CELU(0.7), (3, 7), None),
    "softmax": (lambda: nn.Softmax(dim=1), (3, 7), ["Softmax"]),
    "logsoftmax": (lambda: nn.LogSoftmax(dim=-1), (3, 7), ["LogSoftmax"]),
    "softplus": (lambda: nn.Softplus(beta=2.0, threshold=3.0), (3, 7), None),
    "hardtanh": (nn.ReLU6, (3, 7), ["Clip"]),
    "hardswish": (nn.Hardswish, (3, 7), ["HardSwish"]),
    "silu": (nn.SiLU, (3, 7), None),
    "dropout": (lambda: nn.Dropout(0.5), (3, 7), ["Identity"]),
    "flatten": (nn.Flatten, (2, 3, 4, 5), ["Reshape"]),
    "conv-transpose2d": (lambda: nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1), (2, 3, 5, 5),
                         None),
    "conv-transpose2d-groups": (lambda: nn.ConvTranspose2d(4, 6, (3, 2), stride=(2, 1), groups=2, dilation=2),
                                (2, 4, 5, 5), None),
    "zero-pad": (lambda: nn.ZeroPad2d((1, 2, 0, 1)), (2, 3, 4, 4), ["Pad"]),
    "constant-pad": (lambda: nn.ConstantPad1d((2, 1), 0.5), (2, 3, 4), ["Pad"]),
    "reflection-pad": (lambda: nn.ReflectionPad2d(2), (2, 3, 4, 4), ["Gather", "Gather"]),
    "replication-pad": (lambda: nn.ReplicationPad1d((1, 3)), (2, 3, 4), ["Gather"]),
    "layernorm": (lambda: nn.LayerNorm(7), (2, 3, 7), None),
    "layernorm-2d-noaffine": (lambda: nn.LayerNorm((3, 7), elementwise_affine=False), (2, 3, 7), None),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_matches_forward_at_two_batch_sizes(name):
    make, shape, ops = LAYERS[name]
    ag.manual_seed(0)
    model = make().eval()
    x = ag.randn(*shape)
    proto = _export(model, (x,), dynamic_axes=_batch_dyn())
    if ops is not None:
        assert _op_types(proto) == ops
    _agree(proto, model, x)
    _agree(proto, model, ag.randn(shape[0] + 3, *shape[1:]))  # another batch size: nothing baked in
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert proto.graph.output[0].type.tensor_type.shape.dim[0].dim_param == "batch"


OPS = {
    "transpose": lambda m, x: x.transpose(1, 2),
    "permute": lambda m, x: x.permute(2, 0, 1),
    "t-of-slice": lambda m, x: x[0].t(),
    "cat-stack": lambda m, x: ag.cat([x, x * 2], 1).sum(1) + ag.stack([x, -x], 1).sum(1).sum(1),
    "unsqueeze-squeeze": lambda m, x: x.unsqueeze(1).squeeze(1).unsqueeze(-1),
    "matmul": lambda m, x: x @ x.transpose(1, 2),
    "arith": lambda m, x: (x + 1) * 2 - x / 3 + 1 / (x.abs() + 1) - (-x),
    "pow": lambda m, x: x ** 2 + x.abs().pow(1.5) + 2 ** x,
    "exp-log-sqrt": lambda m, x: x.exp() + (x.abs() + 1).log() + x.abs().sqrt(),
    "sum-mean": lambda m, x: x.sum(1) + x.mean((0, 2), keepdim=True).sum() + x.sum(-1, keepdim=True).mean(1),
    "amax-var-std": lambda m, x: x.amax(1) + x.var(1) + x.std(1),
    "getitem": lambda m, x: x[:, 1:3, ::2] + x[:, None, -1, :2],
    "index-tensor": lambda m, x: x[:, :, ag.tensor([0, 3, 1])],
    "split-chunk": lambda m, x: x.chunk(2, dim=2)[1] * x.split([1, 3], dim=2)[1][..., :2],
    "inplace-relu": lambda m, x: (x * 1).relu_(),
    "clamp": lambda m, x: x.clamp(-0.5, 0.5) + x.clamp(min=0),
    "expand": lambda m, x: x[:, :1].expand(-1, 3, 4),
    "cast": lambda m, x: x.double().float(),
    "view": lambda m, x: x.view(x.size(0), -1),
    "reshape-back": lambda m, x: x.reshape(-1, 4).reshape(x.shape),
    "max-min": lambda m, x: ag.maximum(x, ag.zeros(4)) + ag.minimum(x, x * 2),
    "softmax-fn": lambda m, x: ag.softmax(x, -1) + ag.log_softmax(x, 1),
    "detach": lambda m, x: x + x.detach(),
    "repeat-flip": lambda m, x: x.repeat(1, 2, 1).flip(1),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_matches_forward_at_two_batch_sizes(name):
    ag.manual_seed(1)
    model = Fn(OPS[name])
    x = ag.randn(2, 3, 4)
    proto = _export(model, (x,), dynamic_axes=_batch_dyn("x"))
    _agree(proto, model, x)
    _agree(proto, model, ag.randn(5, 3, 4))


# ---------------------------------------------------------------------- whole models (PyTorch as a second oracle)
def mlp(lib):
    return lib.Sequential(lib.Linear(20, 32), lib.ReLU(), lib.Dropout(0.2), lib.Linear(32, 16), lib.Tanh(),
                          lib.Linear(16, 4), lib.LogSoftmax(dim=1))


def lenet(lib):
    return lib.Sequential(
        lib.Conv2d(1, 6, 5, padding=2), lib.BatchNorm2d(6), lib.ReLU(), lib.MaxPool2d(2),
        lib.Conv2d(6, 16, 5), lib.BatchNorm2d(16), lib.ReLU(), lib.AvgPool2d(2),
        lib.Flatten(), lib.Linear(16 * 5 * 5, 120), lib.BatchNorm1d(120), lib.ReLU(),
        lib.Linear(120, 84), lib.ReLU(), lib.Linear(84, 10))


def gelu_mlp(lib):
    return lib.Sequential(lib.Linear(12, 24), lib.GELU(), lib.Linear(24, 24), lib.GELU("tanh"), lib.Linear(24, 3))


def text(lib):
    class Text(lib.Module):
        def __init__(self):
            super().__init__()
            self.emb = lib.Embedding(50, 16)
            self.norm = lib.LayerNorm(16)
            self.fc = lib.Linear(16, 8)
            self.out = lib.Linear(8, 3)

        def forward(self, tokens):
            h = self.fc(self.norm(self.emb(tokens))).relu()
            return self.out(h.mean(1)).softmax(-1)

    return Text()


def _randomise_stats(model):
    for name, b in model.named_buffers():
        if name.endswith("running_mean"):
            b.data = ag.randn(*b.shape) * 0.1
        elif name.endswith("running_var"):
            b.data = ag.rand(*b.shape) + 0.5


def _torch_twin(torch, build, model):
    twin = build(torch.nn)
    twin.load_state_dict({k: torch.from_numpy(np.array(v.numpy())) for k, v in model.state_dict().items()})
    return twin.eval()


MODELS = {
    "mlp": (mlp, lambda b: ag.randn(b, 20)),
    "lenet-bn": (lenet, lambda b: ag.randn(b, 1, 28, 28)),
    "gelu-mlp": (gelu_mlp, lambda b: ag.randn(b, 12)),
    "embedding-layernorm": (text, lambda b: ag.randint(0, 50, (b, 7))),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_whole_model(name, tmp_path):
    build, data = MODELS[name]
    ag.manual_seed(2)
    model = build(nn)
    _randomise_stats(model)
    model.eval()
    x = data(4)
    path = tmp_path / f"{name}.onnx"
    ag.onnx.export(model, (x,), str(path), input_names=["input"], output_names=["logits"],
                   dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto)
    assert [o.name for o in proto.graph.output] == ["logits"]
    state = [k for k in model.state_dict() if not k.endswith("num_batches_tracked")]  # unused in eval
    assert sorted(i.name for i in proto.graph.initializer) == sorted(state)
    for b in (4, 9):
        x = data(b)
        _agree(proto, model, x)
    torch = pytest.importorskip("torch")
    twin = _torch_twin(torch, build, model)
    with torch.no_grad():
        want = twin(torch.from_numpy(x.numpy())).numpy()
    np.testing.assert_allclose(_run(proto, x.numpy())[0], want, rtol=1e-4, atol=ATOL)


def test_lenet_agrees_with_torch_own_export():
    torch = pytest.importorskip("torch")
    ag.manual_seed(3)
    model = lenet(nn)
    _randomise_stats(model)
    model.eval()
    twin = _torch_twin(torch, lenet, model)
    x = ag.randn(3, 1, 28, 28)
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(twin, (torch.from_numpy(x.numpy()),), buf, dynamo=False)  # needs no onnxscript
    theirs = onnx.load_from_string(buf.getvalue())
    ours = _export(model, (x,))
    assert ours.opset_import[0].version == theirs.opset_import[0].version == 20  # torch's default opset
    np.testing.assert_allclose(_run(ours, x.numpy())[0], _run(theirs, x.numpy())[0], rtol=1e-4, atol=ATOL)


class _Seq(nn.Module):
    """An RNN layer returning the output and the final state(s) flat."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x):
        out, h = self.rnn(x)
        return (out, *h) if isinstance(h, tuple) else (out, h)


RNNS = {
    "lstm": lambda: nn.LSTM(4, 6),
    "lstm-2layer-bidir": lambda: nn.LSTM(4, 6, num_layers=2, bidirectional=True),
    "gru-bidir": lambda: nn.GRU(4, 5, bidirectional=True),
    "rnn-relu": lambda: nn.RNN(4, 6, nonlinearity="relu"),
    "lstm-batch-first": lambda: nn.LSTM(4, 6, batch_first=True),
}


@pytest.mark.parametrize("name", sorted(RNNS))
def test_recurrent_layers_with_dynamic_time_and_batch(name):
    ag.manual_seed(4)
    model = _Seq(RNNS[name]()).eval()
    kind = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}[name.split("-")[0]]
    proto = _export(model, (ag.randn(5, 3, 4),), dynamic_axes={"x": {0: "a", 1: "b"}})
    assert kind in _op_types(proto)
    assert {i.name for i in proto.graph.initializer} == set(model.state_dict())
    _agree(proto, model, ag.randn(5, 3, 4))
    _agree(proto, model, ag.randn(2, 7, 4))
    torch = pytest.importorskip("torch")
    twin = getattr(torch.nn, type(model.rnn).__name__)(**_rnn_kwargs(model.rnn))
    twin.load_state_dict({k: torch.from_numpy(np.array(v.numpy())) for k, v in model.rnn.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((6, 2, 4)).astype(np.float32)
    with torch.no_grad():
        out, h = twin.eval()(torch.from_numpy(x))
    want = [t.numpy() for t in (out, *(h if isinstance(h, tuple) else (h,)))]
    for g, w in zip(_run(proto, x), want):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=ATOL)


def _rnn_kwargs(m):
    kw = dict(input_size=m.input_size, hidden_size=m.hidden_size, num_layers=m.num_layers,
              bidirectional=m.bidirectional, batch_first=m.batch_first, bias=m.bias)
    if type(m).__name__ == "RNN":
        kw["nonlinearity"] = m.nonlinearity
    return kw


def test_lstm_with_given_state_and_cells():
    ag.manual_seed(5)

    class Cells(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTMCell(4, 6)
            self.gru = nn.GRUCell(4, 6)

        def forward(self, x, h, c):
            h2, c2 = self.lstm(x, (h, c))
            return h2 + c2 + self.gru(x, h)

    model = Cells().eval()
    args = (ag.randn(3, 4), ag.randn(3, 6), ag.randn(3, 6))
    proto = _export(model, args)
    assert [i.name for i in proto.graph.input] == ["x", "h", "c"]
    _agree(proto, model, *args)


# ---------------------------------------------------------------------- options and targets
def test_targets_path_file_object_and_return_value(tmp_path):
    model = nn.Linear(3, 2).eval()
    x = ag.randn(4, 3)
    prog = ag.onnx.export(model, x, tmp_path / "m.onnx")  # a bare Tensor as args, a PathLike as f
    assert isinstance(prog, ag.onnx.ONNXProgram)
    buf = io.BytesIO()
    prog.save(buf)
    assert buf.getvalue() == (tmp_path / "m.onnx").read_bytes()
    (out,) = prog(x)  # runs in onnxruntime
    np.testing.assert_allclose(out.numpy(), _ours(model, x)[0], atol=ATOL)
    assert ag.onnx.export(model, (x,), io.BytesIO(), dynamo=False) is None  # as PyTorch's legacy path
    with pytest.raises(TypeError, match="text file.*binary mode"):
        ag.onnx.export(model, (x,), io.StringIO())


def test_outputs_that_repeat_or_are_inputs_weights_or_constants():
    lin = nn.Linear(3, 3)

    class Many(nn.Module):
        def forward(self, x):
            y = x * 2
            return y, y, x, lin.weight, ag.ones(2)

    x = ag.randn(2, 3)
    proto = _export(Many(), (x,))
    got = _run(proto, x.numpy())
    assert [o.name for o in proto.graph.output] == ["output", "output.1", "output.2", "output.3", "output.4"]
    for g, w in zip(got, [x.numpy() * 2, x.numpy() * 2, x.numpy(), lin.weight.detach().numpy(), np.ones(2)]):
        np.testing.assert_array_equal(g, w)


def test_default_names_and_multiple_inputs_outputs():
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 3)

        def forward(self, a, b):
            return self.fc(a), a * b

    model = Two().eval()
    a, b = ag.randn(2, 3), ag.randn(2, 3)
    proto = _export(model, (a, b))
    assert [i.name for i in proto.graph.input] == ["a", "b"]
    assert [o.name for o in proto.graph.output] == ["output", "output.1"]
    assert any(n.name == "/fc/Gemm" for n in proto.graph.node)  # nodes carry their module's path
    _agree(proto, model, a, b)
    proto = _export(model, (a,), kwargs={"b": b}, input_names=["first"], output_names=["y"])
    assert [i.name for i in proto.graph.input] == ["first", "b"]
    assert [o.name for o in proto.graph.output] == ["y", "output.1"]


def test_export_params_false_and_initializers_as_inputs():
    model = nn.Linear(3, 2).eval()
    x = ag.randn(4, 3)
    proto = _export(model, (x,), export_params=False)
    assert [i.name for i in proto.graph.input] == ["input", "weight", "bias"] and not proto.graph.initializer
    got = _run(proto, x.numpy(), model.weight.detach().numpy(), model.bias.detach().numpy())[0]
    np.testing.assert_allclose(got, _ours(model, x)[0], atol=ATOL)
    proto = _export(model, (x,), keep_initializers_as_inputs=True)
    assert [i.name for i in proto.graph.input] == ["input", "weight", "bias"]
    assert [i.name for i in proto.graph.initializer] == ["weight", "bias"]


@pytest.mark.parametrize("opset", [13, 17, 18])
def test_older_opsets(opset):
    model = Fn(lambda m, x: x.mean(1) + x.amax(1) + x.sum(1))
    x = ag.randn(3, 4, 5)
    proto = _export(model, (x,), opset_version=opset)
    assert proto.opset_import[0].version == opset
    _agree(proto, model, x)


def test_verify_and_dynamic_shapes():
    model = mlp(nn).eval()
    x = ag.randn(4, 20)
    prog = ag.onnx.export(model, (x,), verify=True, dynamic_shapes={"input": {0: "n"}})
    assert prog.model_proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "n"
    _agree(prog.model_proto, model, ag.randn(7, 20))


def test_training_mode_model_is_traced_in_eval_and_restored():
    ag.manual_seed(6)
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.9), nn.BatchNorm1d(4))
    model[2].running_var.data = ag.rand(4) + 0.5
    model.train()
    x = ag.randn(8, 4)
    proto = _export(model, (x,))
    assert model.training and model[1].training and model[2].training
    assert int(model[2].num_batches_tracked.item()) == 0  # the trace did not update running statistics
    model.eval()
    _agree(proto, model, x)


def test_is_in_onnx_export():
    seen = []

    def probe(m, x):
        seen.append(ag.onnx.is_in_onnx_export())
        return x * 2

    _export(Fn(probe), (ag.randn(2),))
    assert seen and all(seen) and not ag.onnx.is_in_onnx_export()


# ---------------------------------------------------------------------- errors
def test_unsupported_ops_listed_once_with_the_supported_ones():
    model = Fn(lambda m, x: x.cumsum(1) + x.cumsum(0) + x.cumprod(1))
    with pytest.raises(ag.onnx.UnsupportedOperatorError,
                       match=r"no ONNX conversion for the op\(s\) CumProd \(in '2'\); CumSum \(in '1', '2'\)\. "
                             r"Supported ops: Abs, .*Linear,"):
        ag.onnx.export(nn.Sequential(nn.Linear(4, 4), Fn(lambda m, x: x.cumsum(1)), model), (ag.randn(3, 4),))
    with pytest.raises(ag.onnx.UnsupportedOperatorError, match=r"CumSum \(in the top-level forward\)"):
        ag.onnx.export(Fn(lambda m, x: x.cumsum(0)), (ag.randn(3, 4),))


def test_custom_function_is_unsupported():
    class Twice(ag.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    with pytest.raises(ag.onnx.UnsupportedOperatorError, match="TwiceBackward.*Custom autograd.Function"):
        ag.onnx.export(Fn(lambda m, x: Twice.apply(x)), (ag.randn(3),))


def test_values_computed_outside_the_graph_are_refused():
    with pytest.raises(ag.onnx.OnnxExporterError, match="input 0 of op Where is a constant computed from the "
                                                         "example inputs outside the recorded graph"):
        ag.onnx.export(Fn(lambda m, x: ag.where(x > 0, x, x * 0.1)), (ag.randn(3, 4),))
    with pytest.raises(ag.onnx.OnnxExporterError, match="constant of shape \\[3, 4\\] that has shape \\[4, 4\\]"):
        ag.onnx.export(Fn(lambda m, x: x + ag.zeros(x.shape[0], 4)), (ag.randn(3, 4),),
                       dynamic_axes={"x": {0: "n"}})
    emb = nn.Embedding(10, 3)
    with pytest.raises(ag.onnx.OnnxExporterError, match="the index of op GetItem is a constant computed from the "
                                                         "example inputs.*integer arithmetic"):
        ag.onnx.export(Fn(lambda m, x: emb(x + 1)), (ag.tensor([1, 2, 3]),))
    # equal indices look the same shuffled: the unused integer input gives the alarm then
    with pytest.raises(ag.onnx.OnnxExporterError, match="integer input 'x' reaches no exported op"):
        ag.onnx.export(Fn(lambda m, x: emb(x + 1)), (ag.tensor([2, 2, 2]),))


def test_data_dependent_control_flow_is_refused():
    model = Fn(lambda m, x: x * 2 if x.shape[0] < 3 else x.exp())  # the twin trace's batch is 3
    with pytest.raises(ag.onnx.OnnxExporterError, match="different graph for other input values or sizes"):
        ag.onnx.export(model, (ag.ones(2, 3),), dynamic_axes={"x": {0: "n"}})


def test_a_model_that_cannot_take_another_size_is_named():
    with pytest.raises(ag.onnx.OnnxExporterError, match="fails on the check inputs.*view: shape '\\[2, 3\\]' is "
                                                         "invalid.*leave it out of dynamic_axes"):
        ag.onnx.export(Fn(lambda m, x: x.view(2, 3) * 1), (ag.randn(2, 3),), dynamic_axes={"x": {0: "b"}})


def test_size_dependent_settings_are_refused():
    with pytest.raises(ag.onnx.OnnxExporterError, match="op Var: its n is 3 for the example and 4 when a dynamic "
                                                         "axis is longer"):
        ag.onnx.export(Fn(lambda m, x: x.var(0)), (ag.randn(3, 2),), dynamic_axes={"x": [0]})


def test_plain_function_and_supported_ops():
    proto = ag.onnx.export(lambda x: x * 3 + 1, (ag.randn(2),)).model_proto
    assert [i.name for i in proto.graph.input] == ["x"] and not proto.graph.initializer
    np.testing.assert_allclose(_run(proto, np.array([1.0, 2.0], np.float32))[0], [4.0, 7.0])
    ops = ag.onnx.supported_ops()
    assert {"Linear", "Conv2d", "LSTMSequence", "BatchNorm", "GetItem"} <= set(ops) and ops == sorted(ops)


def test_reshape_merging_two_dynamic_axes_is_refused():
    with pytest.raises(ag.onnx.OnnxExporterError, match="merging or splitting more than one dynamic dimension"):
        ag.onnx.export(Fn(lambda m, x: (x.reshape(-1) * 2).reshape(x.shape)), (ag.randn(2, 3),),
                       dynamic_axes={"x": [0, 1]})


def test_bad_arguments():
    model, x = nn.Linear(3, 2), ag.randn(2, 3)
    with pytest.raises(ValueError, match="dynamic_axes names 'inp', which is neither an input"):
        ag.onnx.export(model, (x,), dynamic_axes={"inp": {0: "b"}})
    with pytest.raises(ValueError, match="has axis 2, but input 'input' has 2 dims"):
        ag.onnx.export(model, (x,), dynamic_axes={"input": [2]})
    with pytest.raises(ValueError, match="opset_version=9 is not supported; use 13 to"):
        ag.onnx.export(model, (x,), opset_version=9)
    with pytest.raises(ValueError, match="2 input_names for 1 example input"):
        ag.onnx.export(model, (x,), input_names=["a", "b"])
    with pytest.raises(NotImplementedError, match="custom_translation_table is not supported"):
        ag.onnx.export(model, (x,), custom_translation_table={"x": 1})
    with pytest.raises(NotImplementedError, match="model is in training mode"):
        ag.onnx.export(model.train(), (x,), training=ag.onnx.TrainingMode.PRESERVE)
    with pytest.raises(TypeError, match="the model returned int, which holds no tensor"):
        ag.onnx.export(Fn(lambda m, x: 3), (x,))


def test_missing_onnx_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    with pytest.raises(ImportError, match=r"pip install autograd_core\[onnx\]"):
        ag.onnx.export(nn.Linear(2, 2), (ag.randn(1, 2),))
