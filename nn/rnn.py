"""Recurrent layers: RNN, LSTM, GRU and their cells, with PyTorch's parameter names, shapes, gate order and init.

The input projection ``x @ W_ih^T + b`` is one matmul over all time steps; the recurrence of each layer and
direction is then one fused node (``autograd_core.ops.recurrent``: numpy forward, a backward with one matmul
per step and the W_hh gradient as one matmul over all steps, recorded ops under create_graph). The steps are
the rows of a time-major (sum of batch sizes, features) matrix, split by batch size: a padded batch (every
step holds the whole batch) and a PackedSequence (steps shrink as sequences end) take the same path.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core._device import factory_kwargs
from autograd_core.ops import recurrent as R

from . import functional as F
from . import init
from ._rnn_utils import PackedSequence
from .module import Module
from .parameter import Parameter

__all__ = ["GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNBase", "RNNCell", "RNNCellBase"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _dtype_name(dt: Any) -> str:
    return f"ag.{np.dtype(dt).name}"


def _check_size(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be greater than zero")


# ---------------------------------------------------------------------- multi-layer recurrent layers
class RNNBase(Module):
    """Parameters and the multi-layer, optionally bidirectional recurrence shared by RNN, LSTM and GRU."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        fk = factory_kwargs(device, dtype, f"nn.{type(self).__name__}")
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an element "
                             "being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                          stacklevel=3)
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
        _check_size("input_size", input_size)
        _check_size("hidden_size", hidden_size)
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode, self.input_size, self.hidden_size, self.num_layers = mode, input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        dirs = 2 if bidirectional else 1
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if direction else "")
                layer_in = input_size if layer == 0 else real_hidden * dirs
                shapes = [("weight_ih", (gate_size, layer_in)), ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                names = []
                for base, shape in shapes:
                    setattr(self, base + sfx, Parameter(ag.empty(*shape, **fk)))
                    names.append(base + sfx)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    @property
    def _flat_weights(self) -> list[Tensor | None]:
        return [getattr(self, n, None) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """Nothing to do: cuDNN's packed weight buffer does not exist on the CPU (as in PyTorch on the CPU)."""

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ------------------------------------------------------------------ checks (PyTorch's messages)
    def _name(self) -> str:
        return {"RNN_TANH": "RNN", "RNN_RELU": "RNN"}.get(self.mode, self.mode)

    def _state_sizes(self) -> tuple[int, ...]:
        """The feature size of each state tensor: (h,) or, for LSTM, (h, c)."""
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (real_hidden, self.hidden_size) if self.mode == "LSTM" else (real_hidden,)

    def check_input(self, input: Tensor, batch_sizes: Any) -> None:  # noqa: A002
        w = self._flat_weights[0]
        if input.dtype != w.dtype:
            raise ValueError(f"RNN input dtype ({_dtype_name(input.dtype)}) does not match weight dtype "
                             f"({_dtype_name(w.dtype)}). Convert input: input.to({_dtype_name(w.dtype)}), or "
                             f"convert model: model.to({_dtype_name(input.dtype)})")
        expected = 2 if batch_sizes is not None else 3
        if input.ndim != expected:
            raise RuntimeError(f"input must have {expected} dimensions, got {input.ndim}")
        if self.input_size != input.shape[-1]:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                               f"{input.shape[-1]}")

    def _check_hidden(self, hx: tuple, batch: int) -> None:
        dirs = 2 if self.bidirectional else 1
        for i, (h, size) in enumerate(zip(hx, self._state_sizes())):
            want = (self.num_layers * dirs, batch, size)
            if tuple(h.shape) != want:
                what = f"hidden[{i}] size" if self.mode == "LSTM" else "hidden size"
                raise RuntimeError(f"Expected {what} {want}, got {list(h.shape)}")
            if h.dtype != self._flat_weights[0].dtype:
                raise RuntimeError(f"{self._name()}: the initial state's dtype {_dtype_name(h.dtype)} differs from "
                                   f"the input's {_dtype_name(self._flat_weights[0].dtype)}; convert it with "
                                   f"hx.to({_dtype_name(self._flat_weights[0].dtype)})")

    def _split_hx(self, hx: Any, batched: bool) -> tuple | None:
        """hx as a tuple of state tensors (h,) or (h, c), with the batch dim added for unbatched input."""
        if hx is None:
            return None
        if self.mode == "LSTM":
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise RuntimeError(f"LSTM: hx must be a tuple (h_0, c_0) of two tensors, got "
                                   f"{type(hx).__name__}")
            hx = tuple(hx)
            want = 3 if batched else 2
            if hx[0].ndim != want or hx[1].ndim != want:
                kind = "batched 3-D" if batched else "unbatched 2-D"
                raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                                   f"({hx[0].ndim}-D, {hx[1].ndim}-D) tensors")
        else:
            if not isinstance(hx, Tensor):
                raise TypeError(f"{self._name()}: hx must be a Tensor, got {type(hx).__name__}")
            want = 3 if batched else 2
            if hx.ndim != want:
                kind = "batched 3-D" if batched else "unbatched 2-D"
                raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got {hx.ndim}-D tensor")
            hx = (hx,)
        return hx if batched else tuple(h.unsqueeze(1) for h in hx)

    # ------------------------------------------------------------------ forward
    def forward(self, input: Any, hx: Any = None) -> tuple[Any, Any]:  # noqa: A002
        packed = isinstance(input, PackedSequence)
        if packed:
            data, bs_t, sorted_indices, unsorted_indices = input
            batch_sizes = [int(b) for b in np.asarray(bs_t._data if isinstance(bs_t, Tensor) else bs_t)]
            self.check_input(data, batch_sizes)
            batch = batch_sizes[0] if batch_sizes else 0
            state = self._split_hx(hx, True)
            if state is not None and sorted_indices is not None:
                state = tuple(h.index_select(1, sorted_indices) for h in state)
            x2d, batched = data, True
        else:
            if not isinstance(input, Tensor):
                raise TypeError(f"{self._name()}: input must be a Tensor or a PackedSequence, got "
                                f"{type(input).__name__}")
            if input.ndim not in (2, 3):
                tail = " tensor" if self.mode.startswith("RNN") else ""
                raise ValueError(f"{self._name()}: Expected input to be 2D or 3D, got {input.ndim}D{tail} instead")
            batched = input.ndim == 3
            x = input if batched else input.unsqueeze(1 if not self.batch_first else 0)
            state = self._split_hx(hx, batched)
            self.check_input(x, None)
            if self.batch_first:
                x = x.transpose(0, 1)
            steps, batch = x.shape[0], x.shape[1]
            if steps == 0:
                raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
            batch_sizes = [batch] * steps
            x2d = x.reshape(steps * batch, x.shape[2])
        if state is None:
            dirs = 2 if self.bidirectional else 1
            state = tuple(ag.zeros(self.num_layers * dirs, batch, size, dtype=x2d.dtype)
                          for size in self._state_sizes())
        else:
            self._check_hidden(state, batch)
        out2d, finals = self._layers(x2d, batch_sizes, state)
        if packed:
            if unsorted_indices is not None:
                finals = tuple(h.index_select(1, unsorted_indices) for h in finals)
            return PackedSequence(out2d, bs_t, sorted_indices, unsorted_indices), self._pack_state(finals)
        out = out2d.reshape(len(batch_sizes), batch, out2d.shape[-1])
        if self.batch_first:
            out = out.transpose(0, 1)
        if not batched:
            out = out.squeeze(0 if self.batch_first else 1)
            finals = tuple(h.squeeze(1) for h in finals)
        return out, self._pack_state(finals)

    def _pack_state(self, finals: tuple) -> Any:
        return finals if self.mode == "LSTM" else finals[0]

    def _layers(self, x2d: Tensor, batch_sizes: list[int], state: tuple) -> tuple[Tensor, tuple]:
        """All layers and directions over time-major rows; returns the last layer's rows and (h_n[, c_n])."""
        dirs = 2 if self.bidirectional else 1
        mode = self.mode
        fold_bias = mode != "GRU"  # GRU's b_hn is multiplied by r: it cannot join the input projection
        per_state = [s.unbind(0) if s.shape[0] > 1 else (s[0],) for s in state]
        finals: list[list[Tensor]] = [[] for _ in state]
        inp = x2d
        for layer in range(self.num_layers):
            outs = []
            for direction in range(dirs):
                k = layer * dirs + direction
                w = dict(zip((n.split("_l")[0] for n in self._all_weights[k]), self.all_weights[k]))
                b_ih, b_hh = w.get("bias_ih"), w.get("bias_hh")
                if b_ih is not None and fold_bias:
                    gx, b_hh = F.linear(inp, w["weight_ih"], b_ih + b_hh), None
                else:
                    gx = F.linear(inp, w["weight_ih"], b_ih)
                s0 = tuple(s[k] for s in per_state)
                rev = direction == 1
                if mode == "LSTM":
                    rows, *last = R.lstm_sequence(gx, s0[0], s0[1], w["weight_hh"], None, w.get("weight_hr"),
                                                  batch_sizes, rev)
                elif mode == "GRU":
                    rows, *last = R.gru_sequence(gx, s0[0], w["weight_hh"], b_hh, batch_sizes, rev)
                else:
                    rows, *last = R.rnn_sequence(gx, s0[0], w["weight_hh"], b_hh, batch_sizes, rev,
                                                 "relu" if mode == "RNN_RELU" else "tanh")
                outs.append(rows)
                for f, s in zip(finals, last):
                    f.append(s)
            inp = ag.cat(outs, 1) if dirs == 2 else outs[0]
            if self.training and self.dropout > 0 and layer < self.num_layers - 1:
                inp = F.dropout(inp, self.dropout, True)
        return inp, tuple(ag.stack(f, 0) for f in finals)


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu), stacked num_layers deep."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:  # RNN(input_size, hidden_size, num_layers, nonlinearity, ...)
            nonlinearity, args = args[3], args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", *args, **kwargs)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory, gates (i, f, g, o); ``proj_size > 0`` projects h_t by W_hr (LSTMP).

    forward(input, (h_0, c_0)=None) -> output, (h_n, c_n)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit, gates (r, z, n): n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1-z) n + z h."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


# ---------------------------------------------------------------------- cells (one time step)
class RNNCellBase(Module):
    """weight_ih (chunks*hidden, input), weight_hh (chunks*hidden, hidden), bias_ih, bias_hh; U(-1/sqrt(h), ..)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        fk = factory_kwargs(device, dtype, f"nn.{type(self).__name__}")
        _check_size("input_size", input_size)
        _check_size("hidden_size", hidden_size)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = Parameter(ag.empty(num_chunks * hidden_size, input_size, **fk))
        self.weight_hh = Parameter(ag.empty(num_chunks * hidden_size, hidden_size, **fk))
        if bias:
            self.bias_ih = Parameter(ag.empty(num_chunks * hidden_size, **fk))
            self.bias_hh = Parameter(ag.empty(num_chunks * hidden_size, **fk))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, input: Tensor, hx: tuple | None, n_state: int) -> tuple[Tensor, tuple, bool]:  # noqa: A002
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if hx is not None:
            for i, h in enumerate(hx):
                if h.ndim not in (1, 2):
                    what = f"hx[{i}]" if n_state == 2 else "hidden"
                    raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {h.ndim}D instead")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        if x.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {x.shape[1]} expected {self.input_size}")
        if x.dtype != self.weight_ih.dtype:
            raise RuntimeError(f"{name}: input dtype {_dtype_name(x.dtype)} does not match weight dtype "
                               f"{_dtype_name(self.weight_ih.dtype)}; convert the input with "
                               f"input.to({_dtype_name(self.weight_ih.dtype)})")
        if hx is None:
            z = ag.zeros(x.shape[0], self.hidden_size, dtype=x.dtype)
            return x, (z,) * n_state, batched
        state = tuple(h if batched else h.unsqueeze(0) for h in hx)
        for i, h in enumerate(state):
            if h.shape[0] != x.shape[0]:
                raise RuntimeError(f"Input batch size {x.shape[0]} doesn't match hidden{i} batch size {h.shape[0]}")
            if h.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got {h.shape[1]}, expected "
                                   f"{self.hidden_size}")
        return x, state, batched

    def _gx(self, x: Tensor) -> Tensor:
        """The input's share of the gates; b_hh goes to the fused cell op (one node fewer than b_ih + b_hh)."""
        return F.linear(x, self.weight_ih, self.bias_ih)


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        x, state, batched = self._prepare(input, None if hx is None else (hx,), 1)
        h = R.rnn_cell(self._gx(x), state[0], self.weight_hh, self.bias_hh, self.nonlinearity)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step: forward(input, (h, c)=None) -> (h', c'), gates (i, f, g, o)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:  # noqa: A002
        x, state, batched = self._prepare(input, None if hx is None else tuple(hx), 2)
        h, c = R.lstm_cell(self._gx(x), state[0], state[1], self.weight_hh, self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step, gates (r, z, n)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        x, state, batched = self._prepare(input, None if hx is None else (hx,), 1)
        h = R.gru_cell(self._gx(x), state[0], self.weight_hh, self.bias_hh)
        return h if batched else h.squeeze(0)
