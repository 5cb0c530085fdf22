"""``torch.nn.utils.rnn``: variable-length sequences for the recurrent layers.

A ``PackedSequence`` holds a batch of sequences sorted by decreasing length, time step by time step:
``data`` has ``sum(lengths)`` rows, the ``batch_sizes[t]`` rows of step ``t`` first-to-last sequence.
Packing and padding are one gather each (advanced indexing), so gradients flow through them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np

import autograd_core as ag
from autograd_core import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pack_sequence", "pad_packed_sequence",
           "pad_sequence", "unpack_sequence", "unpad_sequence"]


def _ints(x: Any) -> np.ndarray:
    """An index/length argument (list, ndarray, our Tensor) as an int64 ndarray."""
    return np.asarray(x._data if isinstance(x, Tensor) else x).astype(np.int64)


def _long(a: np.ndarray) -> Tensor:
    return ag.tensor(np.asarray(a, dtype=np.int64))


class _PackedSequenceBase(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedSequenceBase):
    """(data, batch_sizes, sorted_indices, unsorted_indices); build it with pack_padded_sequence/pack_sequence."""

    def __new__(cls, data: Any, batch_sizes: Tensor | None = None, sorted_indices: Tensor | None = None,
                unsorted_indices: Tensor | None = None) -> PackedSequence:
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # PackedSequence((data, batch_sizes)) as in PyTorch
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else type(self)(data, self.batch_sizes, self.sorted_indices,
                                                         self.unsorted_indices)

    def cpu(self, *args: Any, **kwargs: Any) -> PackedSequence:
        return self

    def double(self) -> PackedSequence:
        return self.to(dtype=ag.float64)

    def float(self) -> PackedSequence:
        return self.to(dtype=ag.float32)

    def half(self) -> PackedSequence:
        return self.to(dtype=ag.float16)

    def long(self) -> PackedSequence:
        return self.to(dtype=ag.int64)

    def int(self) -> PackedSequence:
        return self.to(dtype=ag.int32)

    @property
    def is_cuda(self) -> bool:
        return False

    def is_pinned(self) -> bool:
        return False


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The permutation q with q[p[i]] = i (None stays None)."""
    if permutation is None:
        return None
    p = _ints(permutation)
    out = np.empty_like(p)
    out[p] = np.arange(p.size)
    return _long(out)


def _packed_rows(batch_sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(time index, batch index) of each row of packed data, in packed order."""
    t = np.repeat(np.arange(batch_sizes.size), batch_sizes)
    starts = np.repeat(np.cumsum(batch_sizes) - batch_sizes, batch_sizes)
    return t, np.arange(t.size) - starts


def pack_padded_sequence(input: Tensor, lengths: Any, batch_first: bool = False,  # noqa: A002
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded (T, B, *) batch (B, T, * with batch_first) of sequences of the given lengths."""
    lens = _ints(lengths).reshape(-1)
    batch_dim = 0 if batch_first else 1
    if input.ndim < 2:
        raise RuntimeError(f"pack_padded_sequence: expected a padded batch with at least 2 dims (T, B, *), got "
                           f"shape {list(input.shape)}")
    if lens.size != input.shape[batch_dim]:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {lens.size} "
                           f"(batch_size={input.shape[batch_dim]})")
    sorted_indices = None
    if not enforce_sorted:
        order = np.argsort(-lens, kind="stable")  # PyTorch's descending sort keeps ties in order too
        lens = lens[order]
        sorted_indices = _long(order)
    elif lens.size and np.any(np.diff(lens) > 0):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You "
                           "can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep "
                           "this requirement if you do not need ONNX exportability.")
    if lens.size and lens.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that "
                           "is <= 0")
    steps = input.shape[1 - batch_dim]
    if lens.size and lens.max() > steps:
        raise RuntimeError(f"pack_padded_sequence: a length of {int(lens.max())} exceeds the {steps} time steps of "
                           f"the padded input of shape {list(input.shape)}")
    batch_sizes = (lens[None, :] > np.arange(int(lens.max()) if lens.size else 0)[:, None]).sum(1)
    t, b = _packed_rows(batch_sizes)
    if sorted_indices is not None:
        b = order[b]
    data = input[b, t] if batch_first else input[t, b]
    return PackedSequence(data, _long(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Undo pack_padded_sequence: (padded batch, lengths), in the original batch order."""
    bs = _ints(sequence.batch_sizes)
    steps = bs.size
    if total_length is not None:
        if total_length < steps:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, but "
                             f"got total_length={total_length} and max sequence length being {steps}")
        steps = total_length
    data = sequence.data
    batch = int(bs[0]) if bs.size else 0
    t, b = _packed_rows(bs)
    # every padded position gathers a packed row, or the extra padding row appended at index len(data)
    where = np.full((steps, batch), data.shape[0], dtype=np.int64)
    where[t, b] = np.arange(t.size)
    lengths = (bs[None, :] > np.arange(batch)[:, None]).sum(1)
    if sequence.unsorted_indices is not None:
        unsorted = _ints(sequence.unsorted_indices)
        where, lengths = where[:, unsorted], lengths[unsorted]
    pad_row = ag.full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype)
    ext = ag.cat([data, pad_row], 0)
    out = ext[where.T] if batch_first else ext[where]
    return out, _long(lengths)


def pad_sequence(sequences: Any, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack sequences of shapes (L_i, *) into (L_max, B, *) ((B, L_max, *) with batch_first), padding the rest."""
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    if not isinstance(sequences, Iterable):
        raise RuntimeError(f"pad_sequence: Expected iterable for input sequences, but got arg of type: "
                           f"{type(sequences)}")
    seqs = list(sequences)
    if not seqs:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    for s in seqs:
        if not isinstance(s, Tensor):
            raise TypeError(f"pad_sequence: expected a sequence of Tensors, got {type(s).__name__}")
        if s.ndim == 0:
            raise RuntimeError("pad_sequence: each sequence must have at least one dim (its length), got a 0-d "
                               "tensor")
        if tuple(s.shape[1:]) != tuple(seqs[0].shape[1:]):
            raise RuntimeError(f"pad_sequence: the sequences' trailing dims must match, got {list(seqs[0].shape)} "
                               f"and {list(s.shape)}")
    lens = np.array([s.shape[0] for s in seqs], dtype=np.int64)
    steps, total = int(lens.max()), int(lens.sum())
    dtype = np.result_type(*[s.dtype for s in seqs])
    pad_row = ag.full((1,) + tuple(seqs[0].shape[1:]), padding_value, dtype=dtype)
    ext = ag.cat([s.to(dtype) for s in seqs] + [pad_row], 0)
    where = np.full((len(seqs), steps), total, dtype=np.int64)
    offsets = np.cumsum(lens) - lens
    for i, (n, off) in enumerate(zip(lens, offsets)):
        start = 0 if padding_side == "right" else steps - n
        where[i, start:start + n] = np.arange(off, off + n)
    return ext[where] if batch_first else ext[where.T]


def unpad_sequence(padded_sequences: Tensor, lengths: Any, batch_first: bool = False) -> list[Tensor]:
    """The list of unpadded sequences of a padded batch."""
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [x[i, :int(n)] for i, n in enumerate(_ints(lengths).reshape(-1))]


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences of shapes (L_i, *) (sorted by decreasing length unless enforce_sorted=False)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences a PackedSequence holds, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
