"""Device moves and PyTorch's older Tensor API: ``to``/``cpu``/``cuda``, ``type``, ``new_*``, typed constructors
(``FloatTensor``...), in-place samplers (``normal_``, ``uniform_``...) and the random functions built on them.

None of these records an op of its own: a move is the identity (the CPU is the only device), a dtype
change goes through the recorded cast, ``new_*`` make leaves, and a sampler overwrites its target through
the recorded in-place copy (so a leaf that requires grad is refused outside ``no_grad``, as in PyTorch).
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from .. import _dtypes
from .._creation import _new, _size
from .._creation import generator as _rng
from .._device import check_device, device
from .._inplace import Copy, apply_inplace
from .._tensor import Tensor, _make, _to_array
from .shape import to_dtype

__all__ = [
    "FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor", "ByteTensor",
    "CharTensor", "BoolTensor", "multinomial", "normal", "bernoulli", "poisson", "is_tensor", "is_floating_point",
    "numel", "result_type", "promote_types", "can_cast",
]

# ---------------------------------------------------------------------- devices and dtypes


def _is_device(a: Any) -> bool:
    return isinstance(a, (str, device)) or (isinstance(a, int) and not isinstance(a, bool))


def to(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``; self when nothing changes."""
    dtype = kwargs.pop("dtype", None)
    dev = kwargs.pop("device", None)
    kwargs.pop("non_blocking", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument {next(iter(kwargs))!r}")
    for a in args:
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif a is None or isinstance(a, bool):  # to(device, dtype, non_blocking)
            continue
        elif _is_device(a):
            dev = a
        else:
            dtype = a
    check_device(dev, "Tensor.to")
    out = self if dtype is None else to_dtype(self, dtype)
    return out.clone() if copy and out is self else out


def cpu(self: Tensor, memory_format: Any = None) -> Tensor:
    """self: tensors already live on the CPU."""
    return self


def cuda(self: Tensor, device: Any = None, non_blocking: bool = False, memory_format: Any = None) -> Tensor:
    """Always an error: no CUDA device is available."""
    check_device("cuda" if device is None else f"cuda:{device}" if isinstance(device, int) else device, "Tensor.cuda")
    return self


# torch's legacy type names, both ways
_TYPE_NAMES = {
    np.dtype(np.float32): "FloatTensor", np.dtype(np.float64): "DoubleTensor", np.dtype(np.float16): "HalfTensor",
    np.dtype(np.int64): "LongTensor", np.dtype(np.int32): "IntTensor", np.dtype(np.int16): "ShortTensor",
    np.dtype(np.int8): "CharTensor", np.dtype(np.uint8): "ByteTensor", np.dtype(np.bool_): "BoolTensor",
}
_BY_NAME = {v: k for k, v in _TYPE_NAMES.items()}


def type_(self: Tensor, dtype: Any = None, non_blocking: bool = False, **kwargs: Any) -> Any:
    """``t.type()`` is the type name ('torch.FloatTensor'); ``t.type(dtype_or_name)`` casts."""
    if dtype is None:
        return "torch." + _TYPE_NAMES.get(self.dtype, f"{self.dtype.name}Tensor")
    if isinstance(dtype, str):
        name = dtype.rsplit(".", 1)[-1]
        if name not in _BY_NAME or dtype.startswith("torch.cuda"):
            raise ValueError(f"Tensor.type: invalid type {dtype!r} (expected e.g. 'torch.FloatTensor')")
        dtype = _BY_NAME[name]
    elif isinstance(dtype, _TypedMeta):
        dtype = dtype._dtype
    return to_dtype(self, dtype)


class _TypedMeta(type):
    """``isinstance(t, FloatTensor)`` is a dtype test, as in PyTorch."""

    _dtype: np.dtype

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls._dtype

    def __call__(cls, *data: Any, **kwargs: Any) -> Tensor:  # FloatTensor(2, 3), FloatTensor([1, 2])
        kwargs.setdefault("dtype", cls._dtype)
        return Tensor(*data, **kwargs)


def _typed(name: str, dt: Any) -> type:
    return _TypedMeta(name, (), {"_dtype": np.dtype(dt), "__doc__": f"Legacy constructor for {np.dtype(dt).name}"
                                 " tensors: ``{name}(2, 3)`` (zeros) or ``{name}(data)``."})


FloatTensor = _typed("FloatTensor", np.float32)
DoubleTensor = _typed("DoubleTensor", np.float64)
HalfTensor = _typed("HalfTensor", np.float16)
LongTensor = _typed("LongTensor", np.int64)
IntTensor = _typed("IntTensor", np.int32)
ShortTensor = _typed("ShortTensor", np.int16)
CharTensor = _typed("CharTensor", np.int8)
ByteTensor = _typed("ByteTensor", np.uint8)
BoolTensor = _typed("BoolTensor", np.bool_)


# ---------------------------------------------------------------------- new_* (same dtype as self by default)
def _new_kw(self: Tensor, dtype: Any, dev: Any, op: str) -> np.dtype:
    check_device(dev, op)
    return self.dtype if dtype is None else np.dtype(dtype)


def new_zeros(self: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
              **_: Any) -> Tensor:
    """zeros of ``size``, with self's dtype unless given."""
    return _new(np.zeros(_size(size), _new_kw(self, dtype, device, "new_zeros")), requires_grad)


def new_ones(self: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
             **_: Any) -> Tensor:
    """ones of ``size``, with self's dtype unless given."""
    return _new(np.ones(_size(size), _new_kw(self, dtype, device, "new_ones")), requires_grad)


def new_empty(self: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
              **_: Any) -> Tensor:
    """An uninitialised (here zero) tensor of ``size``, with self's dtype unless given."""
    return _new(np.zeros(_size(size), _new_kw(self, dtype, device, "new_empty")), requires_grad)


def new_full(self: Tensor, size: Any, fill_value: Any, dtype: Any = None, device: Any = None,
             requires_grad: bool = False, **_: Any) -> Tensor:
    """``fill_value`` everywhere in ``size``, with self's dtype unless given."""
    return _new(np.full(_size((size,)), fill_value, _new_kw(self, dtype, device, "new_full")), requires_grad)


def new_tensor(self: Tensor, data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
               **_: Any) -> Tensor:
    """A copy of ``data`` as a leaf, with self's dtype unless given."""
    return _new(_to_array(data, _new_kw(self, dtype, device, "new_tensor"), copy=True), requires_grad)


# ---------------------------------------------------------------------- in-place samplers
def _fill_random(self: Tensor, values: np.ndarray, op: str) -> Tensor:
    if self.dtype.kind not in "fc" and values.dtype.kind == "f":
        raise RuntimeError(f"{op}: expected a floating-point tensor, got {self.dtype.name} "
                           f"(cast first: t = t.float())")
    return apply_inplace(self, Copy, op, values.astype(self.dtype, copy=False))


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with samples of N(mean, std**2)."""
    if std < 0:
        raise RuntimeError(f"normal_ expects std >= 0.0, but found std {std}")
    return _fill_random(self, _rng().normal(mean, std, self.shape), "normal_")


def uniform_(self: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with samples of U[a, b)."""
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a} > to={b}")
    return _fill_random(self, _rng().uniform(a, b, self.shape), "uniform_")


def bernoulli_(self: Tensor, p: Any = 0.5) -> Tensor:
    """Fill with 0/1 samples, 1 with probability p (a number or a tensor broadcast to self)."""
    pa = p._data if isinstance(p, Tensor) else np.asarray(p, dtype=np.float64)
    if np.any((pa < 0) | (pa > 1)):
        raise RuntimeError("bernoulli_: expected all probabilities p to be in [0, 1]")
    return apply_inplace(self, Copy, "bernoulli_", (_rng().random(self.shape) < pa).astype(self.dtype))


def exponential_(self: Tensor, lambd: float = 1.0) -> Tensor:
    """Fill with samples of Exp(lambd) (density lambd * exp(-lambd x))."""
    if lambd <= 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    return _fill_random(self, _rng().exponential(1.0 / lambd, self.shape), "exponential_")


def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0) -> Tensor:
    """Fill with exp(N(mean, std**2)) samples."""
    return _fill_random(self, _rng().lognormal(mean, std, self.shape), "log_normal_")


def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0) -> Tensor:
    """Fill with Cauchy(median, sigma) samples."""
    return _fill_random(self, median + sigma * _rng().standard_cauchy(self.shape), "cauchy_")


def geometric_(self: Tensor, p: float) -> Tensor:
    """Fill with the number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
    return apply_inplace(self, Copy, "geometric_", _rng().geometric(p, self.shape).astype(self.dtype))


def random_(self: Tensor, from_: int = 0, to: int | None = None) -> Tensor:
    """Fill with integers uniform in [from, to) (``random_(to)`` is [0, to))."""
    if to is None:
        if from_ == 0:  # torch: [0, 2**mantissa] for floats, the dtype's range for integers
            to = 2 ** 24 if self.dtype == np.float32 else 2 ** 53 if self.dtype.kind == "f" else \
                int(np.iinfo(self.dtype).max) + 1 if self.dtype.kind in "iu" else 2
        else:
            from_, to = 0, from_
    return apply_inplace(self, Copy, "random_", _rng().integers(from_, to, self.shape).astype(self.dtype))


# ---------------------------------------------------------------------- random functions
def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *, generator: Any = None) -> Tensor:
    """Indices drawn from each row's (unnormalised) weights: (num_samples,) or (rows, num_samples), int64."""
    w = np.asarray(input._data if isinstance(input, Tensor) else input, dtype=np.float64)
    if w.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got shape {list(w.shape)}")
    rows = w.reshape(-1, w.shape[-1])
    if np.any(rows < 0) or not np.all(np.isfinite(rows)):
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or element < 0")
    if np.any(rows.sum(-1) <= 0):
        raise RuntimeError("multinomial: invalid multinomial distribution (sum of probabilities <= 0)")
    if not replacement and num_samples > rows.shape[-1]:
        raise RuntimeError(f"multinomial: cannot sample n_sample > prob_dist.size(-1) samples without replacement "
                           f"(got num_samples={num_samples} for {rows.shape[-1]} categories)")
    if not replacement and np.any((rows > 0).sum(-1) < num_samples):
        raise RuntimeError("multinomial: invalid multinomial distribution (with replacement=False, not enough "
                           "non-negative category to sample)")
    rng = _rng()
    out = np.empty((rows.shape[0], num_samples), dtype=np.int64)
    for r, p in enumerate(rows):
        out[r] = rng.choice(p.size, size=num_samples, replace=replacement, p=p / p.sum())
    return _make(out.reshape(w.shape[:-1] + (num_samples,)), None, False)


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, *, generator: Any = None, dtype: Any = None,
           requires_grad: bool = False, **_: Any) -> Tensor:
    """Samples of N(mean, std**2): tensor means/stds broadcast, or a ``size`` for scalar ones."""
    m = mean._data if isinstance(mean, Tensor) else np.asarray(mean)
    s = std._data if isinstance(std, Tensor) else np.asarray(std)
    shape = _size((size,)) if size is not None else np.broadcast_shapes(m.shape, s.shape)
    # a float tensor's dtype wins; Python numbers give the default float dtype (float32), as in PyTorch
    floats = [t.dtype for t in (mean, std) if isinstance(t, Tensor) and t.dtype.kind == "f"]
    dt = dtype or (np.result_type(*floats) if floats else _dtypes._default_float)
    if np.any(s < 0):
        raise RuntimeError("normal expects std >= 0.0")
    return _new((m + s * _rng().standard_normal(shape)).astype(dt), requires_grad)


def bernoulli(input: Tensor, p: float | None = None, *, generator: Any = None) -> Tensor:
    """0/1 samples with probabilities ``input`` (or the constant ``p``), in input's dtype."""
    pa = input._data if p is None else np.full(input.shape, p)
    if np.any((pa < 0) | (pa > 1)):
        raise RuntimeError("bernoulli: expected all probabilities to be in [0, 1]")
    return _make((_rng().random(input.shape) < pa).astype(input.dtype), None, False)


def poisson(input: Tensor, generator: Any = None) -> Tensor:
    """Poisson samples with rates ``input``, in input's dtype."""
    return _make(_rng().poisson(input._data).astype(input.dtype), None, False)


# ---------------------------------------------------------------------- predicates and dtype helpers
def is_tensor(obj: Any) -> bool:
    """Whether obj is a Tensor."""
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> bool:
    """Whether input's dtype is a floating-point type."""
    return input.dtype.kind == "f"


def numel(input: Tensor) -> int:
    """The number of elements."""
    return int(input._data.size)


def result_type(a: Any, b: Any) -> np.dtype:
    """The dtype PyTorch's promotion gives ``a op b`` (a Python float is weak: it keeps a float tensor's dtype)."""
    return (_as_operand(a) + _as_operand(b)).dtype


def _as_operand(x: Any) -> Tensor | Any:
    return _make(np.zeros(0, x.dtype), None, False) if isinstance(x, Tensor) else x


def promote_types(a: Any, b: Any) -> np.dtype:
    """The dtype two tensors of these dtypes promote to (PyTorch's rule: int with float gives the float)."""
    return (_make(np.zeros(0, a), None, False) + _make(np.zeros(0, b), None, False)).dtype


def can_cast(from_: Any, to: Any) -> bool:
    """Whether PyTorch's same-kind rule allows casting from_ to to (no float -> int, no int -> bool)."""
    return bool(np.can_cast(from_, to, casting="same_kind"))


def _is_contiguous(self: Tensor, memory_format: Any = None) -> bool:
    return bool(self._data.flags.c_contiguous)


def _stride(self: Tensor, dim: int | None = None) -> Any:
    st = tuple(s // self._data.itemsize for s in self._data.strides)
    return st if dim is None else st[dim]


def _share_memory_(self: Tensor) -> Tensor:
    """Move the values into shared memory, in place (no-op if already shared): other processes then see writes."""
    from .. import _shared_memory  # imports multiprocessing: loaded on first use only

    return _shared_memory.share_(self)


def _is_shared(self: Tensor) -> bool:
    """Whether the values live in shared memory (after ``share_memory_()``, or received from another process)."""
    mod = sys.modules.get("autograd_core._shared_memory")
    return mod is not None and mod.is_shared(self)


def _new_legacy(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``t.new(2, 3)`` / ``t.new(data)``: the legacy constructor with t's dtype."""
    kwargs.setdefault("dtype", self.dtype)
    return Tensor(*args, **kwargs)


def _is_nonzero(self: Tensor) -> bool:
    if self._data.size != 1:
        what = "no values" if self._data.size == 0 else "more than one value"
        raise RuntimeError(f"Boolean value of Tensor with {what}"
                           " is ambiguous")
    return bool(self._data.reshape(()))


def _apply_(self: Tensor, fn: Any) -> Tensor:
    """Apply a Python function to every element in place (slow; no gradient, as in PyTorch)."""
    if self.requires_grad:
        raise RuntimeError("apply_ is only implemented on CPU tensors that do not require grad")
    flat = self._data.reshape(-1)
    for i, v in enumerate(flat.tolist()):
        flat[i] = fn(v)
    return self


def _map_(self: Tensor, other: Tensor, fn: Any) -> Tensor:
    """self[i] = fn(self[i], other[i]) elementwise in place (other broadcast to self)."""
    o = np.broadcast_to(other._data, self.shape).reshape(-1).tolist()
    flat = self._data.reshape(-1)
    for i, (a, b) in enumerate(zip(flat.tolist(), o)):
        flat[i] = fn(a, b)
    return self


def _cast(dt: Any) -> Any:
    return lambda self, memory_format=None: to_dtype(self, dt)


METHODS: dict[str, Any] = {
    "byte": _cast(np.uint8), "char": _cast(np.int8), "short": _cast(np.int16), "cfloat": _cast(np.complex64),
    "cdouble": _cast(np.complex128),
    "is_cpu": property(lambda self: True, doc="True: tensors live on the CPU."),
    "is_meta": property(lambda self: False), "is_mps": property(lambda self: False),
    "is_xpu": property(lambda self: False), "is_quantized": property(lambda self: False),
    "is_inference": lambda self: False,
    "is_complex": lambda self: self.dtype.kind == "c", "is_signed": lambda self: self.dtype.kind in "fci",
    "is_same_size": lambda self, other: tuple(self.shape) == tuple(other.shape),
    "itemsize": property(lambda self: int(self._data.itemsize)),
    "nbytes": property(lambda self: int(self._data.nbytes)),
    "ndimension": lambda self: self.ndim, "get_device": lambda self: -1, "is_nonzero": _is_nonzero,
    "new": _new_legacy, "apply_": _apply_, "map_": _map_,
    "to": to, "cpu": cpu, "cuda": cuda, "type": type_,
    "is_cuda": property(lambda self: False, doc="False: tensors live on the CPU."),
    "new_zeros": new_zeros, "new_ones": new_ones, "new_empty": new_empty, "new_full": new_full,
    "new_tensor": new_tensor, "normal_": normal_, "uniform_": uniform_, "bernoulli_": bernoulli_,
    "exponential_": exponential_, "log_normal_": log_normal_, "cauchy_": cauchy_, "geometric_": geometric_,
    "random_": random_, "multinomial": multinomial, "bernoulli": bernoulli,
    "is_contiguous": _is_contiguous, "stride": _stride,
    "storage_offset": lambda self: 0 if self._base is None else int(
        (self._data.__array_interface__["data"][0] - self._base._data.__array_interface__["data"][0])
        // self._data.itemsize),
    "data_ptr": lambda self: int(self._data.__array_interface__["data"][0]),
    "share_memory_": _share_memory_, "is_shared": _is_shared,
    "pin_memory": lambda self, device=None: self, "is_pinned": lambda self, device=None: False,
}

