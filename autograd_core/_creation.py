"""Tensor creation, dtypes and the random generator."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _dtypes as _dt
from ._device import check_device
from ._dtypes import (  # noqa: F401  (re-exported: the dtypes are part of this module's API)
    DTYPE_ALIASES,
    bool_,
    complex64,
    complex128,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    set_default_dtype,
    uint8,
)
from ._tensor import Tensor, _make, _to_array  # noqa: F401

# Created on first use: importing numpy.random costs ~15 ms of every start-up otherwise.
_rng: np.random.Generator | None = None


def manual_seed(seed: Any) -> np.random.Generator:
    """Seed the generator behind rand, randn, randint, randperm and dropout."""
    global _rng
    _initial_seed[0] = int(seed)
    _rng = np.random.default_rng(seed)
    return _rng


def generator(gen: Any = None) -> np.random.Generator:
    """The numpy ``Generator`` behind ``gen`` (a ``Generator``), or the global one when gen is None."""
    if gen is not None:
        if not isinstance(gen, Generator):
            raise TypeError(f"generator must be an autograd_core.Generator, got {type(gen).__name__}")
        return gen._np
    global _rng
    if _rng is None:
        _rng = np.random.default_rng()
    return _rng


class Generator:
    """A random generator of its own (PyTorch's ``torch.Generator``): ``Generator().manual_seed(42)``."""

    def __init__(self, device: Any = "cpu") -> None:
        check_device(device, "Generator")
        self._seed = int(np.random.SeedSequence().entropy % (2**63))
        self._np = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed)
        self._np = np.random.default_rng(self._seed)
        return self

    def seed(self) -> int:
        return self.manual_seed(int(np.random.SeedSequence().entropy % (2**63)))._seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Tensor:
        return _state_tensor(self._np)

    def set_state(self, state: Tensor) -> Generator:
        _load_state(self._np, state)
        return self

    @property
    def device(self) -> Any:
        from ._device import CPU

        return CPU


def _state_tensor(g: np.random.Generator) -> Tensor:
    import json

    return _make(np.frombuffer(json.dumps(g.bit_generator.state).encode(), dtype=np.uint8).copy(), None, False)


def _load_state(g: np.random.Generator, state: Tensor) -> None:
    import json

    try:
        g.bit_generator.state = json.loads(bytes(np.asarray(state._data, dtype=np.uint8)).decode())
    except (ValueError, TypeError, UnicodeDecodeError) as e:
        raise RuntimeError(f"set_rng_state: not a state from get_rng_state ({e})") from None


def get_rng_state() -> Tensor:
    """The global generator's state, as a uint8 tensor (restore it with ``set_rng_state``)."""
    return _state_tensor(generator())


def set_rng_state(state: Tensor) -> None:
    """Restore the global generator's state from ``get_rng_state()``."""
    _load_state(generator(), state)


_initial_seed: list[int] = [0]


def seed() -> int:
    """Seed the global generator non-deterministically; returns the seed."""
    s = int(np.random.SeedSequence().entropy % (2**63))
    manual_seed(s)
    return s


def initial_seed() -> int:
    """The seed last given to ``manual_seed`` (or ``seed``)."""
    return _initial_seed[0]


def _new(arr: np.ndarray, requires_grad: bool) -> Tensor:
    t = _make(arr, None, False)
    if requires_grad:
        t.requires_grad = True  # validates the dtype
    return t


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """A new leaf tensor holding a copy of ``data``."""
    _check_device(device)
    return _new(_to_array(data, dtype, copy=True), requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like ``tensor`` but shares memory with an ndarray / Tensor when no conversion is needed."""
    _check_device(device)
    if isinstance(data, Tensor) and (dtype is None or np.dtype(dtype) == data.dtype):
        return data
    return _new(_to_array(data, dtype, copy=False), False)


def from_numpy(arr: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``arr`` (dtype kept)."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(arr).__name__})")
    if not arr.dtype.isnative:  # sharing memory rules out a conversion; ag.tensor(arr) converts
        raise ValueError(
            f"from_numpy: given numpy array has byte order different from the native byte order (dtype "
            f"{arr.dtype.str}); conversion is not possible without a copy: use ag.tensor(arr) or "
            "arr.astype(arr.dtype.newbyteorder('='))"
        )
    return _make(arr, None, False)


_gen = generator  # the random factories' ``generator=`` keyword shadows the function's name


def _check_device(device: Any) -> None:
    check_device(device, "tensor creation")


_IGNORED = ("layout", "pin_memory", "memory_format", "non_blocking")  # no meaning on dense CPU tensors


def _sized(size: Sequence[Any], kw: dict, fn: str) -> tuple[int, ...]:
    """The shape from ``*size`` or ``size=``, refusing keywords PyTorch does not have."""
    extra = set(kw) - {"size", *_IGNORED}
    if extra:
        raise TypeError(f"{fn}() got an unexpected keyword argument {sorted(extra)[0]!r}")
    if "size" in kw:
        if size:
            raise TypeError(f"{fn}() got multiple values for argument 'size'")
        size = (kw["size"],)
    return _size(size)


def _check_kw(kw: dict, fn: str) -> None:
    extra = set(kw) - set(_IGNORED)
    if extra:
        raise TypeError(f"{fn}() got an unexpected keyword argument {sorted(extra)[0]!r}")


def _size(size: Sequence[Any]) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return tuple(int(s) for s in size)


def _float(dtype: Any, op: str = "factory") -> np.dtype:
    return _dt._default_float if dtype is None else _dt.as_dtype(dtype, op)


def _real_float(dtype: Any, op: str, kernel: str) -> np.dtype:
    """A sampler's float dtype: PyTorch has no integer or bool uniform/normal sampler (NotImplementedError)."""
    dt = _float(dtype, op)
    if dt.kind not in "fc":
        name = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                "bool": "Bool"}.get(dt.name, dt.name)  # PyTorch's ScalarType names, as its message prints them
        raise NotImplementedError(f'{op}: "{kernel}" not implemented for \'{name}\' (samples are floating '
                                  "point: use a float dtype, or randint for integers)")
    return dt


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None, **kw: Any) -> Tensor:
    """Tensor of zeros (default float32)."""
    _check_device(device)
    return _new(np.zeros(_sized(size, kw, "zeros"), dtype=_float(dtype, "zeros")), requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None, **kw: Any) -> Tensor:
    """Tensor of ones (default float32)."""
    _check_device(device)
    return _new(np.ones(_sized(size, kw, "ones"), dtype=_float(dtype, "ones")), requires_grad)


def empty(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None, **kw: Any) -> Tensor:
    """Uninitialised in PyTorch; zeros here (numpy's empty would expose garbage to learners)."""
    return zeros(*size, dtype=dtype, requires_grad=requires_grad, device=device, **kw)


def _scalar_dtype(value: Any) -> np.dtype:
    if isinstance(value, (bool, np.bool_)):
        return bool_
    if isinstance(value, (int, np.integer)):
        return int64
    return _dt._default_float


def full(size: Sequence[int], fill_value: Any, dtype: Any = None, requires_grad: bool = False,
         device: Any = None) -> Tensor:
    """Tensor filled with ``fill_value`` (dtype inferred from it: bool, int64 or float32)."""
    _check_device(device)
    dt = _scalar_dtype(fill_value) if dtype is None else _dt.as_dtype(dtype, "full")
    return _new(np.full(_size((size,)), fill_value, dtype=dt), requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None, requires_grad: bool = False,
           device: Any = None) -> Tensor:
    """Values in [start, end) with spacing ``step`` (int64 for integer arguments, else float32)."""
    _check_device(device)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (start, end, step))
        dtype = int64 if ints else _dt._default_float
    return _new(np.arange(start, end, step).astype(dtype), requires_grad)


def linspace(start: float, end: float, steps: int, dtype: Any = None, requires_grad: bool = False,
             device: Any = None) -> Tensor:
    """``steps`` evenly spaced values from start to end inclusive."""
    _check_device(device)
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative (got {steps})")
    return _new(_linspace(start, end, int(steps), _float(dtype, "linspace")), requires_grad)


def _linspace(start: float, end: float, steps: int, dt: np.dtype) -> np.ndarray:
    """PyTorch's CPU linspace: step = (end - start) / (steps - 1) in dt, then start + i step for the first half
    and end - (steps - 1 - i) step for the second, each rounded once (its kernel's fused multiply-add): wider
    arithmetic rounded to dt gives the same values (numpy's linspace differs from it in the last bit)."""
    if dt.kind not in "fc" or steps < 2:
        return np.linspace(start, end, steps).astype(dt)
    s, e = dt.type(start), dt.type(end)
    step = (e - s) / dt.type(steps - 1)
    wide = np.float64 if dt.itemsize <= 4 else np.longdouble  # float32 products are exact in float64
    i = np.arange(steps)
    head = wide(s) + wide(step) * i
    tail = wide(e) - wide(step) * (steps - 1 - i)
    return np.where(i < steps // 2, head, tail).astype(dt)


def logspace(start: float, end: float, steps: int, base: float = 10.0, dtype: Any = None,
             requires_grad: bool = False, device: Any = None) -> Tensor:
    """``steps`` values base**t for t evenly spaced from start to end inclusive."""
    _check_device(device)
    if steps < 0:
        raise RuntimeError(f"logspace: number of steps must be non-negative (got {steps})")
    return _new(np.logspace(start, end, int(steps), base=base).astype(_float(dtype)), requires_grad)


def _tri_indices(row: int, col: int, offset: int, upper: bool, dtype: Any, device: Any, fn: str) -> Tensor:
    _check_device(device)
    if row < 0 or col < 0:
        raise RuntimeError(f"{fn}: row and col must be non-negative, got row={row}, col={col}")
    r, c = np.triu_indices(row, offset, col) if upper else np.tril_indices(row, offset, col)
    return _make(np.stack([r, c]).astype(int64 if dtype is None else dtype), None, False)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None,
                 layout: Any = None) -> Tensor:
    """The (2, N) row/column indices of the lower triangle of a row x col matrix (below diagonal ``offset``)."""
    return _tri_indices(row, col, offset, False, dtype, device, "tril_indices")


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None,
                 layout: Any = None) -> Tensor:
    """The (2, N) row/column indices of the upper triangle of a row x col matrix (above diagonal ``offset``)."""
    return _tri_indices(row, col, offset, True, dtype, device, "triu_indices")


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False,
        device: Any = None) -> Tensor:
    """Identity matrix (n x m)."""
    _check_device(device)
    return _new(np.eye(n, m, dtype=_float(dtype, "eye")), requires_grad)


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None,
         generator: Any = None, **kw: Any) -> Tensor:
    """Uniform samples in [0, 1)."""
    _check_device(device)
    dt = _real_float(dtype, "rand", "check_uniform_bounds")
    return _new(_gen(generator).random(_sized(size, kw, "rand")).astype(dt), requires_grad)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None,
          generator: Any = None, **kw: Any) -> Tensor:
    """Standard normal samples."""
    _check_device(device)
    return _new(_gen(generator).standard_normal(_sized(size, kw, "randn")).astype(
        _real_float(dtype, "randn", "normal_kernel_cpu")), requires_grad)


def randint(*args: Any, size: Any = None, dtype: Any = None, device: Any = None, generator: Any = None,
            requires_grad: bool = False, **kw: Any) -> Tensor:
    """``randint(high, size)`` or ``randint(low, high, size)``: integers in [low, high) (int64)."""
    _check_device(device)
    args = list(args)
    if size is None:
        if not args or not isinstance(args[-1], (tuple, list)):
            raise TypeError("randint() missing required argument 'size' (a tuple, e.g. randint(0, 10, (3,)))")
        size = args.pop()
    if len(args) == 1:
        low, high = 0, args[0]
    elif len(args) == 2:
        low, high = args
    else:
        raise TypeError("randint() takes (high, size) or (low, high, size)")
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    _check_kw(kw, "randint")
    return _make(_gen(generator).integers(low, high, size=tuple(size)).astype(int64 if dtype is None else dtype),
                 None, False)


def randperm(n: int, dtype: Any = None, generator: Any = None, device: Any = None, **kw: Any) -> Tensor:
    """A random permutation of 0..n-1 (int64)."""
    _check_device(device)
    _check_kw(kw, "randperm")
    return _make(_gen(generator).permutation(n).astype(int64 if dtype is None else dtype), None, False)


def _like(t: Tensor, dtype: Any) -> np.dtype:
    return t.dtype if dtype is None else _dt.as_dtype(dtype, "like")


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False, device: Any = None, **kw: Any) -> Tensor:
    _check_device(device)
    _check_kw(kw, "zeros_like")
    return _new(np.zeros(t.shape, dtype=_like(t, dtype)), requires_grad)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False, device: Any = None, **kw: Any) -> Tensor:
    _check_device(device)
    _check_kw(kw, "ones_like")
    return _new(np.ones(t.shape, dtype=_like(t, dtype)), requires_grad)


def empty_like(t: Tensor, dtype: Any = None, requires_grad: bool = False, device: Any = None, **kw: Any) -> Tensor:
    _check_device(device)
    _check_kw(kw, "empty_like")
    return zeros_like(t, dtype, requires_grad)


def full_like(t: Tensor, fill_value: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None,
              **kw: Any) -> Tensor:
    _check_device(device)
    _check_kw(kw, "full_like")
    return _new(np.full(t.shape, fill_value, dtype=_like(t, dtype)), requires_grad)


def rand_like(t: Tensor, dtype: Any = None, requires_grad: bool = False, device: Any = None, **kw: Any) -> Tensor:
    _check_device(device)
    _check_kw(kw, "rand_like")
    return _new(generator().random(t.shape).astype(_like(t, dtype)), requires_grad)


def randn_like(t: Tensor, dtype: Any = None, requires_grad: bool = False, device: Any = None, **kw: Any) -> Tensor:
    _check_device(device)
    _check_kw(kw, "randn_like")
    return _new(generator().standard_normal(t.shape).astype(_like(t, dtype)), requires_grad)


def asarray(obj: Any, *, dtype: Any = None, device: Any = None, copy: bool | None = None,
            requires_grad: bool = False) -> Tensor:
    """``as_tensor`` with the array-API keywords: shares obj's memory unless a copy is needed or asked for."""
    t = tensor(obj, dtype=dtype, requires_grad=requires_grad) if copy else as_tensor(obj, dtype, device)
    if requires_grad and not t.requires_grad:
        t = t.detach().requires_grad_()
    return t
