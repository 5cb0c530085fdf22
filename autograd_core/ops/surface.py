"""PyTorch's smaller top-level functions and Tensor methods that real programs call: detach, fill, rsub,
scalar_tensor, randint_like, the predicates (is_nonzero, is_same_size, is_signed, is_conj, is_neg), typename,
split_with_sizes / unsafe_split / unsafe_chunk / vsplit / hsplit / dsplit, unravel_index, frexp, range and the
process switches (set_default_tensor_type, set_anomaly_enabled, set_flush_denormal, set_warn_always).

Everything but ``Frexp`` is a composition of recorded ops (or no op at all), so the gradients and every
derivative order come from those ops.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import _dtypes, _grad_mode
from .._creation import _gen
from .._device import check_device
from .._function import Function
from .._inplace import inplace_of
from .._tensor import Tensor, _make
from .legacy import _BY_NAME, _TypedMeta
from .reduction import return_type
from .shape import chunk, split, tensor_split

__all__ = [  # public functions (autograd_core.<name>)
    "detach", "fill", "rsub", "scalar_tensor", "randint_like", "is_nonzero", "is_same_size", "is_signed", "is_conj",
    "is_neg", "typename", "split_with_sizes", "unsafe_split", "unsafe_chunk", "unsafe_split_with_sizes", "vsplit",
    "hsplit", "dsplit", "unravel_index", "frexp", "range", "set_default_tensor_type", "set_anomaly_enabled",
    "is_anomaly_check_nan_enabled", "set_flush_denormal", "set_warn_always", "is_warn_always_enabled", "narrow_copy",
]

FrexpResult = return_type("frexp", ("mantissa", "exponent"))


def _tensor(x: Any, op: str, what: str = "input", pos: int = 1) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{what}' (position {pos}) must be Tensor, not {type(x).__name__}")
    return x


# ---------------------------------------------------------------------- small functions
def detach(input: Tensor) -> Tensor:  # noqa: A002
    """input.detach(): the same values, cut from the graph."""
    return _tensor(input, "detach").detach()


def fill(input: Tensor, value: Any) -> Tensor:  # noqa: A002
    """A new tensor of input's shape and dtype holding ``value`` (a number or a 0-d tensor, which gets the
    gradient sum(g); input gets a zero gradient, as PyTorch's)."""
    x = _tensor(input, "fill")
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"fill only supports 0-dimension value tensor but got tensor with {value.ndim} dimensions.")
    return x.clone().fill_(value)


def rsub(input: Tensor, other: Any, alpha: Any = 1) -> Tensor:  # noqa: A002
    """other - alpha * input (the reversed subtraction)."""
    from .arithmetic import sub

    return sub(other, _tensor(input, "rsub"), alpha=alpha)


def scalar_tensor(s: Any, *, dtype: Any = None, layout: Any = None, device: Any = None,
                  pin_memory: Any = None, requires_grad: bool = False) -> Tensor:
    """A 0-d tensor holding the number ``s``, in the default float dtype unless ``dtype`` says otherwise."""
    check_device(device, "scalar_tensor")
    if isinstance(s, Tensor):
        if s.numel() != 1:
            raise RuntimeError(f"a Tensor with {s.numel()} elements cannot be converted to Scalar")
        s = s.item()
    if not isinstance(s, (int, float, bool, complex, np.number, np.bool_)):
        raise TypeError(f"scalar_tensor(): argument 's' (position 1) must be Number, not {type(s).__name__}")
    dt = _dtypes.get_default_dtype() if dtype is None else np.dtype(dtype)
    out = _make(np.array(s, dtype=dt), None, False)
    return out.requires_grad_() if requires_grad else out


def randint_like(input: Tensor, low: int = 0, high: int | None = None, *, dtype: Any = None, layout: Any = None,  # noqa: A002
                 device: Any = None, pin_memory: Any = None, memory_format: Any = None, generator: Any = None,
                 requires_grad: bool = False) -> Tensor:
    """Integers uniform in [low, high) (``randint_like(x, high)`` is [0, high)), with input's shape and dtype."""
    x = _tensor(input, "randint_like")
    check_device(device, "randint_like")
    if high is None:
        low, high = 0, low
    if isinstance(high, Tensor):
        high = int(high.item())
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dt = x.dtype if dtype is None else np.dtype(dtype)
    out = _make(_gen(generator).integers(low, high, size=x.shape).astype(dt), None, False)
    return out.requires_grad_() if requires_grad else out


def is_nonzero(input: Tensor) -> bool:  # noqa: A002
    """The truth value of a one-element tensor (RuntimeError for any other)."""
    return _tensor(input, "is_nonzero").is_nonzero()


def is_same_size(input: Tensor, other: Tensor) -> bool:  # noqa: A002
    """Whether the two tensors have the same shape."""
    return _tensor(input, "is_same_size").is_same_size(_tensor(other, "is_same_size", "other", 2))


def is_signed(input: Tensor) -> bool:  # noqa: A002
    """Whether input's dtype is a signed type (floats, complex and signed ints)."""
    return _tensor(input, "is_signed").is_signed()


def is_conj(input: Tensor) -> bool:  # noqa: A002
    """False: conjugation is never lazy here (conj() computes the values)."""
    return _tensor(input, "is_conj").is_conj()


def is_neg(input: Tensor) -> bool:  # noqa: A002
    """False: negation is never lazy here."""
    return _tensor(input, "is_neg").is_neg()


def typename(obj: Any, /) -> str:
    """The type name of ``obj``: 'torch.FloatTensor' for a float32 tensor, 'module.Qualname' otherwise."""
    if isinstance(obj, Tensor):
        return obj.type()
    cls = type(obj)
    module = getattr(cls, "__module__", "") or ""
    qual = getattr(cls, "__qualname__", cls.__name__)
    return qual if module in ("", "builtins") else f"{module}.{qual}"


# ---------------------------------------------------------------------- splits
def split_with_sizes(input: Tensor, split_sizes: Any, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """Views of input along ``dim`` with the given sizes, which must sum to the dim's size."""
    x = _tensor(input, "split_with_sizes")
    if isinstance(split_sizes, (int, np.integer)) or isinstance(split_sizes, Tensor):
        raise TypeError(f"split_with_sizes(): argument 'split_sizes' (position 2) must be tuple of ints, not "
                        f"{type(split_sizes).__name__}")
    sizes = [int(s) for s in split_sizes]
    d = dim + x.ndim if dim < 0 else dim
    n = x.shape[d] if 0 <= d < x.ndim else None
    if n is not None and (sum(sizes) != n or any(s < 0 for s in sizes)):
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
                           f"dimension {dim}), but got split_sizes={sizes}")
    return split(x, sizes, dim)


def _untracked(pieces: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
    """PyTorch's unsafe_* pieces: they share input's memory, but autograd does not know them as views (no
    multi-view refusal of in-place ops, no rebasing of input when one is changed, a version counter of their
    own): an in-place op on a piece changes input's values behind the graph's back, as in PyTorch."""
    for p in pieces:
        p.__dict__.pop("_base", None)
        p.__dict__.pop("_multi_view", None)
        p._vc = [0]
    return pieces


def unsafe_split(input: Tensor, split_size: int, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """split whose pieces autograd does not track as views of input (see ``_untracked``)."""
    return _untracked(split(_tensor(input, "unsafe_split"), split_size, dim))


def unsafe_split_with_sizes(input: Tensor, split_sizes: Any, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """split_with_sizes whose pieces autograd does not track as views of input."""
    return _untracked(split_with_sizes(input, split_sizes, dim))


def unsafe_chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """chunk whose pieces autograd does not track as views of input."""
    return _untracked(chunk(_tensor(input, "unsafe_chunk"), chunks, dim))


def _dir_split(x: Tensor, ios: Any, dim: int, min_nd: int, name: str) -> tuple[Tensor, ...]:
    if x.ndim < min_nd:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_nd} dimension, but got a tensor with "
                           f"{x.ndim} dimensions!")
    if isinstance(ios, (int, np.integer)):
        k = int(ios)
        if k == 0 or x.shape[dim] % k:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                               f"dimension {x.shape[dim]} is not divisible by the split_size {k}!")
    return tensor_split(x, ios, dim)


def vsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:  # noqa: A002
    """tensor_split along dim 0 (input needs 2+ dims; a section count must divide the size)."""
    return _dir_split(_tensor(input, "vsplit"), indices_or_sections, 0, 2, "vsplit")


def hsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:  # noqa: A002
    """tensor_split along dim 1 (dim 0 for a 1-d input; a section count must divide the size)."""
    x = _tensor(input, "hsplit")
    return _dir_split(x, indices_or_sections, 1 if x.ndim > 1 else 0, 1, "hsplit")


def dsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:  # noqa: A002
    """tensor_split along dim 2 (input needs 3+ dims; a section count must divide the size)."""
    return _dir_split(_tensor(input, "dsplit"), indices_or_sections, 2, 3, "dsplit")


def unravel_index(indices: Tensor, shape: Any) -> tuple[Tensor, ...]:
    """The coordinates of flat (C-order) ``indices`` in ``shape``: one int64 tensor per dim. As PyTorch's,
    the last coordinate is index mod shape[-1], the next (index // shape[-1]) mod shape[-2] ... (floor
    division: -1 is the last element; out-of-range indices wrap)."""
    if not isinstance(indices, Tensor):
        raise TypeError(f"unravel_index(): argument 'indices' must be Tensor, not {type(indices).__name__}")
    if indices.dtype.kind not in "iu":
        raise TypeError(f"expected 'indices' to be integer dtype, but got {_torch_dtype(indices.dtype)}")
    dims = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
    if any(s < 0 for s in dims):
        raise ValueError(f"'shape' cannot have negative values, but got {tuple(dims)}")
    rest = indices._data.astype(np.int64)
    out = []
    for s in reversed(dims):
        if s == 0:
            raise ValueError("unravel_index: cannot unravel into a shape with a 0-sized dimension")
        out.append(rest % s)
        rest = rest // s
    return tuple(_make(np.asarray(a), None, False) for a in reversed(out))


def _torch_dtype(dt: np.dtype) -> str:
    return "torch." + {"float32": "float32", "float64": "float64", "float16": "float16", "bool": "bool"}.get(
        np.dtype(dt).name, np.dtype(dt).name)


# ---------------------------------------------------------------------- frexp
class FrexpMantissa(Function):
    """m = x / 2**e, e = the exponent with |m| in [0.5, 1) (0 for x = 0);  gx = g / 2**e"""

    def forward(self, x):
        m, e = np.frexp(x)
        self.exponent = e.astype(np.int32)
        # 1 / 2**e, exact in x's dtype (a power of two), computed as PyTorch's backward divides by exp2(e)
        self.scale = np.ldexp(np.ones((), x.dtype), -e).astype(x.dtype)
        return m

    def backward(self, g):
        return g * self.scale


def frexp(input: Tensor) -> tuple[Tensor, Tensor]:  # noqa: A002
    """(mantissa, exponent) with input = mantissa * 2**exponent, |mantissa| in [0.5, 1), exponent int32."""
    x = _tensor(input, "frexp")
    if x.dtype.kind != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    m = FrexpMantissa.apply(x)
    e = m.grad_fn.exponent if m.grad_fn is not None else np.frexp(x._data)[1].astype(np.int32)
    return FrexpResult(m, _make(np.asarray(e), None, False))


# ---------------------------------------------------------------------- range (deprecated)
def range(start: Any = 0, end: Any = None, step: Any = 1, *, dtype: Any = None, layout: Any = None,  # noqa: A001
          device: Any = None, pin_memory: Any = None, requires_grad: bool = False) -> Tensor:
    """start, start + step, ... up to and including ``end`` (deprecated in PyTorch, which warns: use arange);
    the default float dtype unless ``dtype`` is given."""
    warnings.warn("torch.range is deprecated and will be removed in a future release because its behavior is "
                  "inconsistent with Python's range builtin. Instead, use torch.arange, which produces values in "
                  "[start, end).", UserWarning, stacklevel=2)
    check_device(device, "range")
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    dt = _dtypes.get_default_dtype() if dtype is None else np.dtype(dtype)
    n = int(np.floor((end - start) / step)) + 1
    # computed in double as PyTorch's CPU kernel: start + i * step, then cast
    vals_ = (start + np.arange(n, dtype=np.float64) * step)
    out = _make(vals_.astype(dt) if dt.kind in "fc" else np.asarray(vals_, dtype=np.float64).astype(dt), None, False)
    return out.requires_grad_() if requires_grad else out


# ---------------------------------------------------------------------- process switches
def set_default_tensor_type(t: Any, /) -> None:
    """Deprecated PyTorch switch (warns): ``FloatTensor`` / ``DoubleTensor`` / ``HalfTensor`` (or their
    'torch.*' names) set the default float dtype; only floating-point types are accepted."""
    warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "torch.set_default_dtype() and torch.set_default_device() as alternatives.", UserWarning,
                  stacklevel=2)
    if isinstance(t, str):
        if t.startswith("torch.cuda."):
            raise TypeError(f"type {t} not available. Torch not compiled with CUDA enabled.")
        mod, _, name = t.rpartition(".")
        if mod != "torch":
            raise ModuleNotFoundError(f"No module named {mod or t!r}")
        if name not in _BY_NAME:
            raise ValueError(f"invalid type: {t!r}")
        dt = _BY_NAME[name]
        if dt.kind != "f":
            raise TypeError("only floating-point types are supported as the default type")
    elif isinstance(t, _TypedMeta):
        dt = t._dtype
        if dt.kind != "f":
            raise TypeError("only floating-point types are supported as the default type")
    else:
        raise TypeError("invalid type object: only floating-point types are supported as the default type")
    _dtypes.set_default_dtype(dt)


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Switch anomaly mode on or off for this thread (``set_detect_anomaly`` without the context manager)."""
    _grad_mode.set_anomaly(enabled, check_nan)


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly mode (when on) checks backward results for nan."""
    return bool(_grad_mode.STATE.anomaly_check_nan)


def set_flush_denormal(mode: bool) -> bool:
    """Whether flushing denormals to zero could be set: numpy has no such switch, so enabling it reports False
    (PyTorch's answer on a CPU without the feature) and values stay IEEE; disabling it succeeds (True)."""
    return not mode


_WARN_ALWAYS = [False]


def set_warn_always(b: bool, /) -> None:
    """Record PyTorch's 'warn every time' flag (our warnings go through Python's own filters regardless)."""
    _WARN_ALWAYS[0] = bool(b)


def is_warn_always_enabled() -> bool:
    """The flag set by ``set_warn_always`` (False by default)."""
    return _WARN_ALWAYS[0]


# ---------------------------------------------------------------------- Tensor methods that are no op
class _PostAccumulateHandle:
    """Returned by ``register_post_accumulate_grad_hook``; ``remove()`` unregisters the hook."""

    def __init__(self, hooks: list, hook: Any) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def register_post_accumulate_grad_hook(self: Tensor, hook: Any) -> Any:
    """Call ``hook(tensor)`` after backward has accumulated this leaf's ``.grad`` (hook returns None)."""
    if not self._rg:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if self.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    hooks = self.__dict__.setdefault("_post_acc_hooks", [])  # read by the engine's leaf delivery
    hooks.append(hook)
    return _PostAccumulateHandle(hooks, hook)


def _output_nr(self: Tensor) -> int:
    """Which output of its grad_fn this tensor is (0 for leaves and tensors outside the graph)."""
    return int(self._out_idx) if self.grad_fn is not None else 0


def _sizes(size: tuple, op: str) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    dims = tuple(int(n) for n in size)
    if any(n < 0 for n in dims):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(dims)}: {list(dims)} ({op})")
    return dims


def resize_(self: Tensor, *size: Any, memory_format: Any = None) -> Tensor:
    """Give self the shape ``size``, in place: the first elements (in row-major order) keep their values; new
    ones are uninitialised (here zero), as PyTorch's. Refused on a tensor that requires grad."""
    from .._tensor import bump_version

    if self._rg:
        raise RuntimeError("cannot resize variables that require grad")
    dims = _sizes(size, "resize_")
    n = int(np.prod(dims, dtype=np.int64))
    a = self._data
    if n <= a.size and a.flags.c_contiguous:
        new = a.reshape(-1)[:n].reshape(dims)  # still the same memory (PyTorch keeps the storage when it fits)
    else:
        new = np.zeros(n, dtype=a.dtype)
        k = min(n, a.size)
        new[:k] = a.reshape(-1)[:k]
        new = new.reshape(dims)
    self._data = new
    bump_version(self)
    return self


def resize_as_(self: Tensor, the_template: Tensor, *, memory_format: Any = None) -> Tensor:
    """``resize_`` to the shape of ``the_template``."""
    return resize_(self, tuple(the_template.shape))


def new_empty_strided(self: Tensor, size: Any, stride: Any, *, dtype: Any = None, layout: Any = None,
                      device: Any = None, pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """An uninitialised (here zero) tensor of ``size`` laid out with ``stride`` (in elements), self's dtype
    unless given."""
    check_device(device, "new_empty_strided")
    dims, st = _sizes((size,), "new_empty_strided"), tuple(int(s) for s in stride)
    if len(st) != len(dims):
        raise RuntimeError(f"mismatch in length of strides and shape (size {list(dims)}, stride {list(st)})")
    dt = self.dtype if dtype is None else np.dtype(dtype)
    need = 1 + sum((n - 1) * s for n, s in zip(dims, st)) if all(dims) else 0
    buf = np.zeros(max(need, 0), dtype=dt)
    arr = np.lib.stride_tricks.as_strided(buf, dims, tuple(s * dt.itemsize for s in st)) if need else \
        np.zeros(dims, dtype=dt)
    out = _make(arr, None, False)
    return out.requires_grad_() if requires_grad else out


def narrow_copy(input: Tensor, dim: int, start: Any, length: int) -> Tensor:  # noqa: A002
    """A new tensor holding input.narrow(dim, start, length) (not a view)."""
    return _tensor(input, "narrow_copy").narrow(dim, start, length).clone()


# ---------------------------------------------------------------------- methods
def _method_split_with_sizes(self: Tensor, split_sizes: Any, dim: int = 0) -> tuple[Tensor, ...]:
    return split_with_sizes(self, split_sizes, dim)


METHODS: dict[str, Any] = {  # Tensor methods
    "split_with_sizes": _method_split_with_sizes, "unsafe_split": unsafe_split, "unsafe_chunk": unsafe_chunk,
    "unsafe_split_with_sizes": unsafe_split_with_sizes, "vsplit": vsplit, "hsplit": hsplit, "dsplit": dsplit,
    "frexp": frexp, "is_conj": lambda self: False, "is_neg": lambda self: False,
    # in-place twins PyTorch has whose out-of-place method is ours (the _inplace tables do not list them)
    "gcd_": inplace_of("gcd"), "lcm_": inplace_of("lcm"), "nextafter_": inplace_of("nextafter"),
    "register_post_accumulate_grad_hook": register_post_accumulate_grad_hook,
    "output_nr": property(_output_nr, doc="Which output of its grad_fn this tensor is."),
    "resize_": resize_, "resize_as_": resize_as_, "new_empty_strided": new_empty_strided, "narrow_copy": narrow_copy,
}
