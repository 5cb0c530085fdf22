"""nn.RNN / LSTM / GRU, their cells and nn.utils.rnn against PyTorch (weights copied through load_state_dict).

Every comparison is float64 with a tight tolerance: outputs, final states, the gradients of the input and of
the initial state, and every parameter's gradient, with a random upstream gradient on every output.
"""

from __future__ import annotations

import inspect
import warnings

import autograd_core.nn as nn
import numpy as np
import pytest
from _parity import check_outputs_and_grads
from autograd_core.nn import _rnn_utils as R

import autograd_core as ag

torch = pytest.importorskip("torch")
TR = torch.nn.utils.rnn
TOL = 1e-10


def _copy(theirs, ours):
    theirs, ours = theirs.double(), ours.double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    return theirs, ours


def _flat(out) -> list:
    """(output, h_n) or (output, (h_n, c_n)) as a flat list of tensors."""
    y, s = out
    y = y.data if isinstance(y, (R.PackedSequence, TR.PackedSequence)) else y
    return [y] + (list(s) if isinstance(s, tuple) else [s])


def _leaves(arrays, lib):
    return [lib.tensor(a, requires_grad=True) for a in arrays]


def _compare_outputs_and_grads(ours, theirs, outs_o, outs_t, leaves_o, leaves_t):
    check_outputs_and_grads(ours, theirs, outs_o, outs_t, leaves_o, leaves_t, TOL)


def _parity(make, kwargs, x, hx=None, train=True):
    """Same weights, same input (and initial state): everything agrees."""
    theirs, ours = _copy(make(torch.nn, **kwargs), make(nn, **kwargs))
    theirs.train(train)
    ours.train(train)
    lo, lt = _leaves([x], ag), _leaves([x], torch)
    args_o, args_t = [lo[0]], [lt[0]]
    if hx is not None:
        ho, ht = _leaves(hx, ag), _leaves(hx, torch)
        lo, lt = lo + ho, lt + ht
        args_o.append(tuple(ho) if len(hx) == 2 else ho[0])
        args_t.append(tuple(ht) if len(hx) == 2 else ht[0])
    _compare_outputs_and_grads(ours, theirs, _flat(ours(*args_o)), _flat(theirs(*args_t)), lo, lt)


def _mk(mode, nonlinearity=None):
    def make(lib, **kw):
        if nonlinearity is not None:
            kw = dict(kw, nonlinearity=nonlinearity)
        return getattr(lib, mode)(4, 5, **kw)

    return make


MODES = {"RNN_tanh": _mk("RNN"), "RNN_relu": _mk("RNN", "relu"), "LSTM": _mk("LSTM"), "GRU": _mk("GRU")}
CONFIGS = {
    "1layer": dict(),
    "2layer_bidirectional": dict(num_layers=2, bidirectional=True),
    "3layer_batch_first_nobias": dict(num_layers=3, bias=False, batch_first=True),
    "bidirectional_batch_first": dict(bidirectional=True, batch_first=True),
    "eval_dropout": dict(num_layers=2, dropout=0.5),
}


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("mode", MODES)
def test_layer_matches_torch(mode, config):
    kw = CONFIGS[config]
    _parity(MODES[mode], kw, _x(6, 3, 4), train=config != "eval_dropout")


@pytest.mark.parametrize("mode", MODES)
def test_layer_unbatched_matches_torch(mode):
    for bf in (False, True):
        _parity(MODES[mode], dict(num_layers=2, bidirectional=True, batch_first=bf), _x(6, 4))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("batched", [True, False])
def test_layer_with_initial_state_matches_torch(mode, batched):
    shape = (4, 3, 5) if batched else (4, 5)
    hx = [_x(*shape, seed=1)] + ([_x(*shape, seed=2)] if mode == "LSTM" else [])
    x = _x(6, 3, 4) if batched else _x(6, 4)
    _parity(MODES[mode], dict(num_layers=2, bidirectional=True), x, hx)


def test_lstm_proj_size_matches_torch():
    kw = dict(num_layers=2, bidirectional=True, proj_size=3)
    _parity(_mk("LSTM"), kw, _x(5, 2, 4))
    _parity(_mk("LSTM"), kw, _x(5, 2, 4), [_x(4, 2, 3, seed=1), _x(4, 2, 5, seed=2)])
    _parity(_mk("LSTM"), dict(kw, batch_first=True), _x(5, 4))
    ours = nn.LSTM(4, 5, proj_size=3)
    assert [tuple(p.shape) for p in ours.parameters()] == [(20, 4), (20, 3), (20,), (20,), (3, 5)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_sequence_matches_torch(mode, bidirectional):
    x, lengths = _x(5, 4, 4), [3, 5, 1, 4]
    dirs = 2 if bidirectional else 1
    theirs, ours = _copy(MODES[mode](torch.nn, num_layers=2, bidirectional=bidirectional),
                         MODES[mode](nn, num_layers=2, bidirectional=bidirectional))
    h0 = [_x(2 * dirs, 4, 5, seed=3)] + ([_x(2 * dirs, 4, 5, seed=4)] if mode == "LSTM" else [])
    lo, lt = _leaves([x] + h0, ag), _leaves([x] + h0, torch)
    po = R.pack_padded_sequence(lo[0], lengths, enforce_sorted=False)
    pt = TR.pack_padded_sequence(lt[0], lengths, enforce_sorted=False)
    yo, so = ours(po, tuple(lo[1:]) if mode == "LSTM" else lo[1])
    yt, st = theirs(pt, tuple(lt[1:]) if mode == "LSTM" else lt[1])
    assert isinstance(yo, R.PackedSequence)
    for a, b in zip(yo[1:], yt[1:]):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    padded_o, len_o = R.pad_packed_sequence(yo, batch_first=True)
    padded_t, len_t = TR.pad_packed_sequence(yt, batch_first=True)
    np.testing.assert_array_equal(len_o.numpy(), len_t.numpy())
    outs_o = [padded_o, yo.data] + (list(so) if mode == "LSTM" else [so])
    outs_t = [padded_t, yt.data] + (list(st) if mode == "LSTM" else [st])
    _compare_outputs_and_grads(ours, theirs, outs_o, outs_t, lo, lt)


def test_packed_sorted_input_without_initial_state():
    theirs, ours = _copy(torch.nn.GRU(4, 5, bidirectional=True), nn.GRU(4, 5, bidirectional=True))
    seqs = [_x(n, 4, seed=n) for n in (5, 3, 3, 1)]
    lo, lt = _leaves(seqs, ag), _leaves(seqs, torch)
    yo, ho = ours(R.pack_sequence(lo))
    yt, ht = theirs(TR.pack_sequence(lt))
    assert yo.sorted_indices is None and yo.unsorted_indices is None
    _compare_outputs_and_grads(ours, theirs, [yo.data, ho], [yt.data, ht], lo, lt)


CELLS = {"RNNCell": dict(), "RNNCell_relu": dict(nonlinearity="relu"), "LSTMCell": dict(), "GRUCell": dict()}


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("case", ["batched", "batched_hx", "unbatched_hx", "nobias"])
def test_cell_matches_torch(cell, case):
    cls = cell.split("_")[0]
    kw = dict(CELLS[cell], **({"bias": False} if case == "nobias" else {}))
    theirs, ours = _copy(getattr(torch.nn, cls)(4, 5, **kw), getattr(nn, cls)(4, 5, **kw))
    batched = case != "unbatched_hx"
    x = _x(3, 4) if batched else _x(4)
    arrays = [x]
    if case.endswith("hx"):
        shape = (3, 5) if batched else (5,)
        arrays += [_x(*shape, seed=1)] + ([_x(*shape, seed=2)] if cls == "LSTMCell" else [])
    lo, lt = _leaves(arrays, ag), _leaves(arrays, torch)
    args_o, args_t = [lo[0]], [lt[0]]
    if len(arrays) > 1:
        args_o.append(tuple(lo[1:]) if cls == "LSTMCell" else lo[1])
        args_t.append(tuple(lt[1:]) if cls == "LSTMCell" else lt[1])
    yo, yt = ours(*args_o), theirs(*args_t)
    outs_o = list(yo) if isinstance(yo, tuple) else [yo]
    outs_t = list(yt) if isinstance(yt, tuple) else [yt]
    _compare_outputs_and_grads(ours, theirs, outs_o, outs_t, lo, lt)


def test_cell_steps_equal_the_layer():
    """Running LSTMCell over the steps with the layer's weights gives the layer's output."""
    layer = nn.LSTM(3, 4).double()
    cell = nn.LSTMCell(3, 4).double()
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = ag.tensor(_x(5, 2, 3))
    out, (h, c) = layer(x)
    state = None
    for t in range(5):
        state = cell(x[t], state)
        np.testing.assert_allclose(state[0].detach().numpy(), out[t].detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(state[1].detach().numpy(), c[0].detach().numpy(), rtol=1e-12, atol=1e-12)


def test_second_order_gradients_through_the_recurrence():
    ag.manual_seed(0)
    for layer in (nn.LSTM(2, 3, bidirectional=True), nn.GRU(2, 3, num_layers=2), nn.RNN(2, 3),
                  nn.LSTM(2, 3, proj_size=2)):
        layer = layer.double()
        x = ag.tensor(_x(3, 2, 2), requires_grad=True)
        assert ag.gradgradcheck(lambda x, layer=layer: layer(x)[0], [x])


@pytest.mark.parametrize("cell", CELLS)
def test_second_order_gradients_through_the_cells(cell):
    ag.manual_seed(0)
    cls = cell.split("_")[0]
    module = getattr(nn, cls)(2, 3, **CELLS[cell]).double()
    x, h = ag.tensor(_x(2, 2), requires_grad=True), ag.tensor(_x(2, 3, seed=1), requires_grad=True)
    if cls == "LSTMCell":
        c = ag.tensor(_x(2, 3, seed=2), requires_grad=True)
        assert ag.gradgradcheck(lambda x, h, c: module(x, (h, c)), [x, h, c])
    else:
        assert ag.gradgradcheck(lambda x, h: module(x, h), [x, h])


def test_third_order_gradient_through_the_fused_lstm():
    """create_graph runs the op's recorded twin, whose own backward is made of op-table ops: any order."""
    theirs, ours = _copy(torch.nn.LSTM(2, 3), nn.LSTM(2, 3))
    x = _x(3, 2, 2)
    xo, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    grads = []
    for grad, v, m in ((ag.grad, xo, ours), (torch.autograd.grad, xt, theirs)):
        (g1,) = grad((m(v)[0] ** 2).sum(), v, create_graph=True)
        (g2,) = grad((g1 ** 2).sum(), v, create_graph=True)
        (g3,) = grad(g2.sum(), v)
        grads.append([g.detach().numpy() for g in (g1, g2, g3)])
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


def test_each_layer_and_direction_is_one_fused_node():
    """The recurrence is one graph node per layer and direction (not a dozen per time step)."""
    from autograd_core._engine import topological_order

    out, (h, c) = nn.LSTM(3, 4, num_layers=2, bidirectional=True)(ag.randn(50, 2, 3, requires_grad=True))
    names = [type(n).__name__ for n in topological_order([out.grad_fn, h.grad_fn, c.grad_fn])]
    assert names.count("LSTMSequence") == 4
    assert len(names) < 40  # per layer and direction: input projection, bias, state slices; 50 steps make none
    out, h = nn.GRU(3, 4)(ag.randn(50, 2, 3, requires_grad=True))
    assert [type(n).__name__ for n in topological_order([out.grad_fn])].count("GRUSequence") == 1


def test_float32_layers_match_torch():
    for mode in ("LSTM", "GRU", "RNN"):
        theirs, ours = getattr(torch.nn, mode)(4, 5, 2), getattr(nn, mode)(4, 5, 2)
        ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
        x = _x(6, 3, 4).astype(np.float32)
        lo, lt = _leaves([x], ag), _leaves([x], torch)
        yo, yt = ours(lo[0])[0], theirs(lt[0])[0]
        assert yo.dtype == np.float32
        np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
        yo.sum().backward()
        yt.sum().backward()
        np.testing.assert_allclose(lo[0].grad.numpy(), lt[0].grad.numpy(), rtol=1e-4, atol=1e-5)
        tp = dict(theirs.named_parameters())
        for name, p in ours.named_parameters():
            assert p.grad.dtype == np.float32
            np.testing.assert_allclose(p.grad.numpy(), tp[name].grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=name)


@pytest.mark.parametrize("mode", MODES)
def test_empty_batch_gives_empty_outputs_as_torch(mode):
    x = ag.tensor(np.zeros((4, 0, 4)), requires_grad=True)
    layer = MODES[mode](nn, num_layers=2, bidirectional=True).double()
    out, state = layer(x)
    theirs = MODES[mode](torch.nn, num_layers=2, bidirectional=True)(torch.zeros(4, 0, 4))
    assert tuple(out.shape) == tuple(theirs[0].shape) == (4, 0, 10)
    assert [tuple(s.shape) for s in _flat((out, state))] == [tuple(s.shape) for s in _flat(theirs)]
    out.sum().backward()
    assert x.grad.shape == (4, 0, 4) and layer.weight_hh_l0.grad.shape == layer.weight_hh_l0.shape


def test_layers_in_threads_give_the_serial_results():
    """The fused ops reuse per-thread scratch buffers: concurrent layers must not see each other's."""
    import threading

    layers = [nn.LSTM(3, 16, 2).double(), nn.GRU(3, 16).double(), nn.LSTM(3, 8, bidirectional=True).double()]
    xs = [_x(20, 4, 3, seed=k) for k in range(len(layers))]

    def run(k, out):
        x = ag.tensor(xs[k], requires_grad=True)
        for _ in range(5):
            y = layers[k](x)[0]
            (y * y).sum().backward()
        out[k] = (y.detach().numpy(), x.grad.numpy())

    serial, threaded = {}, {}
    for k in range(len(layers)):
        run(k, serial)
    threads = [threading.Thread(target=run, args=(k, threaded)) for k in range(len(layers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(len(layers)):
        for a, b in zip(serial[k], threaded[k]):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN"])
def test_backward_twice_with_retain_graph_gives_the_same_gradients(mode):
    """The ordinary backward reads the forward's buffers without changing them, so it can run again."""
    layer = getattr(nn, mode)(3, 4, bidirectional=True).double()
    x = ag.tensor(_x(5, 2, 3), requires_grad=True)
    out = layer(x)[0]
    g = ag.tensor(_x(5, 2, 8, seed=3))
    out.backward(g, retain_graph=True)
    first = (x.grad.numpy().copy(), layer.weight_hh_l0.grad.numpy().copy())
    out.backward(g)
    np.testing.assert_allclose(x.grad.numpy(), 2 * first[0], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(layer.weight_hh_l0.grad.numpy(), 2 * first[1], rtol=1e-13, atol=1e-15)
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        out.backward(g)


def test_weights_modified_in_place_before_backward_are_an_error():
    """The fused op keeps forward buffers for its backward: a weight changed in between must not be used."""
    layer = nn.LSTM(2, 3).double()
    out = layer(ag.tensor(_x(4, 1, 2), requires_grad=True))[0]
    with ag.no_grad():
        layer.weight_hh_l0.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


@pytest.mark.parametrize("call,msg", [
    (lambda R: R.lstm_sequence(ag.randn(6, 8), ag.randn(2, 2), ag.randn(2, 2), ag.randn(8, 3)),
     r"lstm_sequence: w_hh does not fit \(gx \[6, 8\], h0 \[2, 2\], c0 \[2, 2\], w_hh \[8, 3\]\); expected gx "
     r"\(rows, 4 x hidden\)"),
    (lambda R: R.gru_sequence(ag.randn(6, 9), ag.randn(2, 3), ag.randn(9, 3), ag.randn(6)),
     r"gru_sequence: b_hh does not fit .* b_hh \(3 x hidden,\)"),
    (lambda R: R.rnn_sequence(ag.randn(5, 3), ag.randn(2, 3), ag.randn(3, 3)),
     "rnn_sequence: 5 input rows are not a whole number of steps of the initial state's batch 2; pass batch_sizes"),
    (lambda R: R.rnn_sequence(ag.randn(5, 3), ag.randn(2, 3), ag.randn(3, 3), batch_sizes=[2, 3]),
     r"rnn_sequence: batch_sizes \[2, 3\] must be at least one non-increasing size"),
    (lambda R: R.lstm_cell(ag.randn(2, 8), ag.randn(2, 2), ag.randn(2, 2).double(), ag.randn(8, 2)),
     "lstm_cell: c0 is float64 but gx is float32; convert one"),
    (lambda R: R.rnn_cell(ag.randn(2, 3), ag.randn(2, 3), ag.randn(3, 3), nonlinearity="gelu"),
     "Unknown nonlinearity: gelu"),
])
def test_fused_op_errors(call, msg):
    from autograd_core.ops import recurrent

    with pytest.raises(RuntimeError, match=msg):
        call(recurrent)


# ---------------------------------------------------------------------- parameters, init, repr, signatures
@pytest.mark.parametrize("kw", [dict(), dict(num_layers=3, bidirectional=True), dict(bias=False, num_layers=2),
                                dict(proj_size=2, bidirectional=True)])
@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_parameter_names_and_shapes_match_torch(mode, kw):
    if "proj_size" in kw and mode != "LSTM":
        return
    ours, theirs = getattr(nn, mode)(3, 5, **kw), getattr(torch.nn, mode)(3, 5, **kw)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert ours._flat_weights_names == theirs._flat_weights_names
    assert [[tuple(p.shape) for p in ws] for ws in ours.all_weights] == \
           [[tuple(p.shape) for p in ws] for ws in theirs.all_weights]
    assert repr(ours) == repr(theirs)


def test_cell_parameter_names_and_repr_match_torch():
    for cls, kw in (("RNNCell", dict(nonlinearity="relu")), ("LSTMCell", dict(bias=False)), ("GRUCell", dict())):
        ours, theirs = getattr(nn, cls)(3, 5, **kw), getattr(torch.nn, cls)(3, 5, **kw)
        assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
               [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
        assert repr(ours) == repr(theirs)


def test_init_is_uniform_within_one_over_sqrt_hidden():
    ag.manual_seed(0)
    for layer in (nn.LSTM(10, 64, 2, bidirectional=True), nn.GRUCell(10, 64)):
        bound = 1 / np.sqrt(64)
        vals = np.concatenate([p.detach().numpy().ravel() for p in layer.parameters()])
        assert vals.min() >= -bound and vals.max() <= bound
        assert vals.min() < -0.95 * bound and vals.max() > 0.95 * bound  # spread over the whole interval
        assert abs(vals.mean()) < 0.05 * bound and abs(vals.std() - bound / np.sqrt(3)) < 0.05 * bound


def test_dtype_and_device_keywords():
    assert nn.LSTM(2, 3, dtype=ag.float64).weight_ih_l0.dtype == np.float64
    assert nn.GRUCell(2, 3, device="cpu").weight_hh.dtype == np.float32
    with pytest.raises(RuntimeError, match="nn.LSTM: device 'cuda' is not available"):
        nn.LSTM(2, 3, device="cuda")


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_signatures_match_torch(name):
    for meth in ("__init__", "forward"):
        ours = inspect.signature(getattr(getattr(nn, name), meth))
        theirs = inspect.signature(getattr(getattr(torch.nn, name), meth))
        assert [(p.name, p.default) for p in ours.parameters.values()] == \
               [(p.name, p.default) for p in theirs.parameters.values()]


def test_layer_positional_arguments_follow_torch():
    # RNN(input_size, hidden_size, num_layers, nonlinearity, bias, batch_first, dropout, bidirectional)
    r = nn.RNN(3, 4, 2, "relu", False, True, 0.0, True)
    assert (r.num_layers, r.nonlinearity, r.bias, r.batch_first, r.bidirectional) == (2, "relu", False, True, True)
    lstm = nn.LSTM(3, 4, 1, True, False, 0.0, False, 2)
    assert lstm.proj_size == 2


def test_load_state_dict_from_torch_and_back():
    theirs = torch.nn.LSTM(3, 4, 2, bidirectional=True)
    ours = nn.LSTM(3, 4, 2, bidirectional=True)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    back = torch.nn.LSTM(3, 4, 2, bidirectional=True)
    back.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    for (k, a), b in zip(theirs.state_dict().items(), back.state_dict().values()):
        assert torch.equal(a, b), k


# ---------------------------------------------------------------------- dropout between layers
def test_dropout_applies_between_layers_in_training_only():
    ag.manual_seed(0)
    layer = nn.LSTM(3, 8, num_layers=2, dropout=0.5).double()
    x = ag.tensor(_x(4, 2, 3))
    a, b = layer(x)[0].detach().numpy(), layer(x)[0].detach().numpy()
    assert not np.allclose(a, b)  # a fresh mask per call
    layer.eval()
    np.testing.assert_array_equal(layer(x)[0].detach().numpy(), layer(x)[0].detach().numpy())
    one = nn.LSTM(3, 8, num_layers=1).double()
    one.load_state_dict({k: v for k, v in layer.state_dict().items() if "_l0" in k})
    one.train()
    # the last layer's output is never dropped: a 1-layer network in training is deterministic
    np.testing.assert_array_equal(one(x)[0].detach().numpy(), one(x)[0].detach().numpy())


def test_dropout_with_one_layer_warns_as_torch():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1, but got dropout=0.3 "
                                         "and num_layers=1"):
        nn.GRU(2, 3, dropout=0.3)


# ---------------------------------------------------------------------- errors (PyTorch's types and texts)
@pytest.mark.parametrize("call,exc,msg", [
    (lambda: nn.GRU(2, 3, proj_size=1), ValueError, "proj_size argument is only supported for LSTM, not RNN or GRU"),
    (lambda: nn.RNN(2, 3, nonlinearity="gelu"), ValueError, "Unknown nonlinearity 'gelu'. Select from 'tanh' or "
                                                            "'relu'."),
    (lambda: nn.LSTM(2, 3, dropout=1.5), ValueError, "dropout should be a number in range"),
    (lambda: nn.LSTM(2, 3, proj_size=3), ValueError, "proj_size has to be smaller than hidden_size"),
    (lambda: nn.LSTM(2, 3, proj_size=-1), ValueError, "proj_size should be a positive integer"),
    (lambda: nn.LSTM(2, 0), ValueError, "hidden_size must be greater than zero"),
    (lambda: nn.LSTM(2, 3, num_layers=0), ValueError, "num_layers must be greater than zero"),
    (lambda: nn.LSTM(2.5, 3), TypeError, "input_size should be of type int, got: float"),
    (lambda: nn.LSTM(2, 3, bias=1), TypeError, "bias should be of type bool, got: int"),
    (lambda: nn.LSTM(2, 3)(ag.randn(2, 1, 1, 2)), ValueError, "LSTM: Expected input to be 2D or 3D, got 4D "
                                                               "instead"),
    (lambda: nn.RNN(2, 3)(ag.randn(2)), ValueError, "RNN: Expected input to be 2D or 3D, got 1D tensor instead"),
    (lambda: nn.GRU(2, 3)(ag.randn(4, 1, 3)), RuntimeError, r"input.size\(-1\) must be equal to input_size. Expected "
                                                            "2, got 3"),
    (lambda: nn.GRU(2, 3)(ag.randn(4, 1, 2), ag.randn(1, 2, 3)), RuntimeError, r"Expected hidden size \(1, 1, 3\), "
                                                                               r"got \[1, 2, 3\]"),
    (lambda: nn.LSTM(2, 3)(ag.randn(4, 1, 2), (ag.randn(1, 1, 3), ag.randn(1, 1, 4))), RuntimeError,
     r"Expected hidden\[1\] size \(1, 1, 3\), got \[1, 1, 4\]"),
    (lambda: nn.RNN(2, 3)(ag.randn(4, 1, 2), ag.randn(1, 3)), RuntimeError, "For batched 3-D input, hx should "
                                                                            "also be 3-D but got 2-D tensor"),
    (lambda: nn.RNN(2, 3)(ag.randn(4, 2), ag.randn(1, 1, 3)), RuntimeError, "For unbatched 2-D input, hx should "
                                                                            "also be 2-D but got 3-D tensor"),
    (lambda: nn.LSTM(2, 3)(ag.randn(4, 1, 2), (ag.randn(1, 3), ag.randn(1, 3))), RuntimeError,
     r"For batched 3-D input, hx and cx should also be 3-D but got \(2-D, 2-D\) tensors"),
    (lambda: nn.LSTM(2, 3)(ag.randn(4, 1, 2), ag.randn(1, 1, 3)), RuntimeError, r"LSTM: hx must be a tuple \(h_0, "
                                                                                "c_0\\)"),
    (lambda: nn.LSTM(2, 3)(ag.randn(4, 1, 2).double()), ValueError,
     r"RNN input dtype \(ag.float64\) does not match weight dtype \(ag.float32\). Convert input: "
     r"input.to\(ag.float32\), or convert model: model.to\(ag.float64\)"),
    (lambda: nn.LSTM(2, 3)(ag.randn(0, 1, 2)), RuntimeError, "Expected sequence length to be larger than 0 in RNN"),
    (lambda: nn.LSTMCell(2, 3)(ag.randn(4, 3)), RuntimeError, "input has inconsistent input_size: got 3 expected 2"),
    (lambda: nn.GRUCell(2, 3)(ag.randn(4, 2), ag.randn(3, 3)), RuntimeError, "Input batch size 4 doesn't match "
                                                                             "hidden0 batch size 3"),
    (lambda: nn.LSTMCell(2, 3)(ag.randn(4, 2), (ag.randn(4, 3), ag.randn(4, 4))), RuntimeError,
     "hidden1 has inconsistent hidden_size: got 4, expected 3"),
    (lambda: nn.RNNCell(2, 3)(ag.randn(1, 4, 2)), ValueError, "RNNCell: Expected input to be 1D or 2D, got 3D "
                                                              "instead"),
    (lambda: nn.LSTMCell(2, 3)(ag.randn(4, 2), (ag.randn(4, 3), ag.randn(1, 4, 3))), ValueError,
     r"LSTMCell: Expected hx\[1\] to be 1D or 2D, got 3D instead"),
    (lambda: nn.RNNCell(2, 3, nonlinearity="gelu")(ag.randn(4, 2)), RuntimeError, "Unknown nonlinearity: gelu"),
])
def test_errors(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()


def test_error_types_agree_with_torch():
    for build in (lambda lib: lib.nn.GRU(2, 3)(lib.randn(4, 1, 3)),
                  lambda lib: lib.nn.RNN(2, 3)(lib.randn(4, 2), lib.randn(1, 1, 3)),
                  lambda lib: lib.nn.LSTM(2, 3)(lib.randn(2, 1, 1, 2)),
                  lambda lib: lib.nn.GRUCell(2, 3)(lib.randn(4, 2), lib.randn(3, 3))):
        with pytest.raises(Exception) as theirs:
            build(torch)
        with pytest.raises(Exception) as ours:
            build(ag)
        assert type(ours.value) is type(theirs.value)


# ---------------------------------------------------------------------- nn.utils.rnn
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted", [False, True])
def test_pack_and_pad_match_torch(batch_first, enforce_sorted):
    lengths = [5, 4, 3, 1] if enforce_sorted else [3, 5, 1, 4]
    x = _x(4, 5, 3) if batch_first else _x(5, 4, 3)
    lo, lt = _leaves([x], ag), _leaves([x], torch)
    po = R.pack_padded_sequence(lo[0], lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    pt = TR.pack_padded_sequence(lt[0], torch.tensor(lengths), batch_first=batch_first,
                                 enforce_sorted=enforce_sorted)
    for a, b in zip(po[1:], pt[1:]):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    padded_o, lo_len = R.pad_packed_sequence(po, batch_first, padding_value=-2.0, total_length=7)
    padded_t, lt_len = TR.pad_packed_sequence(pt, batch_first, padding_value=-2.0, total_length=7)
    np.testing.assert_array_equal(lo_len.numpy(), lt_len.numpy())
    assert lo_len.dtype == np.int64
    for a, b in ((po.data, pt.data), (padded_o, padded_t)):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    g = _x(*padded_t.shape, seed=9)
    padded_o.backward(ag.tensor(g))
    padded_t.backward(torch.tensor(g))
    np.testing.assert_array_equal(lo[0].grad.numpy(), lt[0].grad.numpy())


@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pad_sequence_matches_torch(batch_first, padding_side):
    seqs = [_x(n, 2, seed=n) for n in (2, 4, 3)]
    lo, lt = _leaves(seqs, ag), _leaves(seqs, torch)
    a = R.pad_sequence(lo, batch_first, 0.5, padding_side)
    b = TR.pad_sequence(lt, batch_first, 0.5, padding_side)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    g = _x(*b.shape, seed=1)
    a.backward(ag.tensor(g))
    b.backward(torch.tensor(g))
    for s, t in zip(lo, lt):
        np.testing.assert_array_equal(s.grad.numpy(), t.grad.numpy())


def test_pack_sequence_unpack_and_unpad():
    seqs = [_x(n, 3, seed=n) for n in (2, 4, 3)]
    po = R.pack_sequence([ag.tensor(s) for s in seqs], enforce_sorted=False)
    pt = TR.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    np.testing.assert_array_equal(po.data.numpy(), pt.data.numpy())
    for a, s in zip(R.unpack_sequence(po), seqs):
        np.testing.assert_array_equal(a.numpy(), s)
    padded = R.pad_sequence([ag.tensor(s) for s in seqs])
    for a, s in zip(R.unpad_sequence(padded, ag.tensor([2, 4, 3])), seqs):
        np.testing.assert_array_equal(a.numpy(), s)
    np.testing.assert_array_equal(R.invert_permutation(ag.tensor([2, 0, 1])).numpy(), [1, 2, 0])
    assert R.invert_permutation(None) is None
    assert po.double().data.dtype == np.float64 and not po.is_cuda
    assert R.PackedSequence((po.data, po.batch_sizes)).batch_sizes is po.batch_sizes


def test_pack_gradcheck():
    x = ag.tensor(_x(4, 3, 2), requires_grad=True)

    def f(x):
        return R.pad_packed_sequence(R.pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False), True)[0]

    assert ag.gradcheck(f, [x])


@pytest.mark.parametrize("call,msg", [
    (lambda: R.pack_padded_sequence(ag.randn(4, 3, 2), [2, 3, 1]), "`lengths` array must be sorted in decreasing "
                                                                   "order when `enforce_sorted` is True"),
    (lambda: R.pack_padded_sequence(ag.randn(4, 3, 2), [3, 2, 0]), "Length of all samples has to be greater than 0"),
    (lambda: R.pack_padded_sequence(ag.randn(4, 3, 2), [3, 2]), r"Expected `len\(lengths\)` to be equal to "
                                                                r"batch_size, but got 2 \(batch_size=3\)"),
    (lambda: R.pack_padded_sequence(ag.randn(4, 3, 2), [5, 2, 1]), "a length of 5 exceeds the 4 time steps"),
    (lambda: R.pad_sequence([]), "received an empty list of sequences"),
    (lambda: R.pad_sequence([ag.randn(2, 3), ag.randn(3, 2)]), "the sequences' trailing dims must match"),
])
def test_utils_errors(call, msg):
    with pytest.raises(RuntimeError, match=msg):
        call()


def test_pad_packed_total_length_error():
    p = R.pack_sequence([ag.randn(3, 2), ag.randn(2, 2)])
    with pytest.raises(ValueError, match="Expected total_length to be at least the length of the longest sequence "
                                         "in input, but got total_length=2 and max sequence length being 3"):
        R.pad_packed_sequence(p, total_length=2)


# ---------------------------------------------------------------------- a model: train an LSTM LM for 3 steps
def test_lstm_language_model_training_steps_match_torch():
    from autograd_core import optim

    def build(lib_nn):
        return lib_nn.ModuleDict({"embed": lib_nn.Embedding(20, 6), "lstm": lib_nn.LSTM(6, 8, 2),
                                  "head": lib_nn.Linear(8, 20)})

    theirs, ours = _copy(build(torch.nn), build(nn))
    rng = np.random.default_rng(0)
    tok = rng.integers(0, 20, (7, 3))
    opt_o, opt_t = optim.SGD(ours.parameters(), lr=0.5), torch.optim.SGD(theirs.parameters(), lr=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            for m, lib, opt in ((ours, ag, opt_o), (theirs, torch, opt_t)):
                opt.zero_grad()
                out, _ = m["lstm"](m["embed"](lib.tensor(tok[:-1])))
                logits = m["head"](out).reshape(-1, 20)
                F = nn.functional if lib is ag else torch.nn.functional
                F.cross_entropy(logits, lib.tensor(tok[1:].reshape(-1))).backward()
                opt.step()
    tp = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.detach().numpy(), tp[name].detach().numpy(), rtol=1e-10, atol=1e-10)
