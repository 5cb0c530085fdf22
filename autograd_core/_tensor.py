"""The Tensor: a numpy array plus the bookkeeping reverse-mode autodiff needs.

Operators and methods that record ops are declared by the op families (``ops/*.py``) and bound
in ``_methods.py`` (they need the ops, which need this class), so this file holds only the data
model; ``_tensor.pyi``, generated from the assembled class, shows static tools all of it.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from . import _device, _dtypes
from ._runtime import PRINT_OPTIONS, Size
from ._xp import define

_FLOAT_KINDS = ("f", "c")


def _dtype_name(dt: np.dtype) -> str:
    return np.dtype(dt).name


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    ``data`` is the underlying ``numpy.ndarray``; ``grad`` (a Tensor or None) receives
    gradients from ``backward``; ``grad_fn`` is the Function node that produced the tensor
    (None for leaves).
    """

    # Only what every op touches is a slot; rarely-set state (grad, hooks, views, names) lives
    # in the instance __dict__ with the class attributes below as defaults, which keeps the
    # construction of a new tensor - paid on every op - to four writes.
    __slots__ = ("_data", "_rg", "grad_fn", "_vc", "__dict__", "__weakref__")
    _data: np.ndarray  # the values (t.numpy() / np.asarray(t) outside the package)
    _rg: bool  # requires_grad
    grad_fn: Any  # the Function node that made this tensor, or None
    _vc: list[int]  # the version counter, shared by the views of one storage

    _grad: Tensor | None = None
    _out_idx = 0  # which output of grad_fn this tensor is (multi-output ops)
    _hooks: list | None = None  # hooks of a leaf tensor
    _base: Tensor | None = None  # the tensor this one is a view of
    _views: list | None = None  # weak references to the live views of this tensor (when it is a base)
    _multi_view: str | None = None  # the node name when made by a multi-view function (split, chunk, unbind)
    name: str | None = None  # optional label, shown by repr and the graph drawings

    # Let numpy binary operators defer to ours (``ndarray * Tensor`` -> ``Tensor.__rmul__``)
    # for the ufuncs we do not map; mapped ufuncs go through ``__array_ufunc__``.
    __array_priority__ = 1000
    __hash__ = object.__hash__

    def __init__(self, *data: Any, requires_grad: bool = False, dtype: Any = None, device: Any = None) -> None:
        # PyTorch's legacy constructor: Tensor(2, 3) / Tensor(size) is an uninitialised (here zero) tensor of that
        # shape, Tensor(data) a copy of data in the default float dtype unless dtype= says otherwise.
        _device.check_device(device, "Tensor()")
        if not data or all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in data):
            arr = np.zeros(tuple(int(d) for d in data) if data else (0,), dtype=dtype or _dtypes._default_float)
        elif len(data) == 1 and isinstance(data[0], tuple) and data[0] and all(
                isinstance(d, (int, np.integer)) for d in data[0]) and type(data[0]).__name__ == "Size":
            arr = np.zeros(data[0], dtype=dtype or _dtypes._default_float)
        elif len(data) == 1:
            arr = _to_array(data[0], dtype or _dtypes._default_float, copy=False)
        else:
            raise TypeError(f"Tensor(): expected sizes (ints) or one sequence of data, got {len(data)} arguments "
                            f"of types {[type(d).__name__ for d in data]}")
        self._data = arr
        self._rg = False
        self.grad_fn = None
        self._vc = [0]
        if requires_grad:
            self.requires_grad = True

    @property
    def data(self) -> Tensor:
        """A new leaf sharing this tensor's memory, cut from the graph (PyTorch's ``.data``).

        Changes through it (``p.data.add_(u)``, ``m.bias.data.fill_(0)``) write the same memory without
        being recorded or version-counted, as in PyTorch: what autograd saved is not checked against them.
        """
        return _make(self._data, None, False)

    @data.setter
    def data(self, value: Any) -> None:
        # p.data = t swaps the values (any shape), keeping the tensor's identity, grad and graph role
        self._data = value._data if isinstance(value, Tensor) else _to_array(value, None, copy=False)

    # ------------------------------------------------------------------ autograd state
    @property
    def requires_grad(self) -> bool:
        """Whether gradients flow to this tensor."""
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        value = bool(value)
        if self.grad_fn is not None and not value:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if value and self._data.dtype.kind not in _FLOAT_KINDS:
            raise RuntimeError(
                "Only Tensors of floating point and complex dtype can require gradients "
                f"(got dtype {_dtype_name(self._data.dtype)}; convert first with .float() or .double())"
            )
        self._rg = value

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set requires_grad in place and return self."""
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op (user-created or requires_grad=False)."""
        return self.grad_fn is None

    @property
    def grad(self) -> Tensor | None:
        """Accumulated gradient (leaves, and non-leaves that called ``retain_grad()``)."""
        if self.grad_fn is not None and self._grad is None and not self.retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed want "
                "the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the "
                "non-leaf Tensor.",
                UserWarning,
                stacklevel=2,
            )
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(
                    f"assigned grad has data of a different size: grad shape {value.shape}, "
                    f"tensor shape {self.shape}"
                )
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        """True for a non-leaf tensor on which ``retain_grad()`` was called."""
        fn = self.grad_fn
        if fn is None or fn._retain is None:
            return False
        ref = fn._retain.get(self._out_idx)
        return ref is not None and ref() is self

    @property
    def _version(self) -> int:
        """How many in-place modifications the underlying storage has seen."""
        return self._vc[0]

    # ------------------------------------------------------------------ array attributes
    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def device(self) -> _device.device:
        return _device.CPU

    def dim(self) -> int:
        return self._data.ndim

    def size(self, dim: int | None = None) -> Any:
        """Shape as a ``Size`` (a tuple), or the length of one dimension."""
        if dim is None:
            return tuple.__new__(Size, self._data.shape)
        return self._data.shape[dim]

    def numel(self) -> int:
        return self._data.size

    def nelement(self) -> int:
        return self._data.size

    def element_size(self) -> int:
        return self._data.itemsize

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    # ------------------------------------------------------------------ conversions
    def _check_no_grad(self, what: str) -> None:
        if self._rg:
            raise RuntimeError(
                f"Can't call {what} on Tensor that requires grad. Use tensor.detach().{what} instead."
            )

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The underlying ndarray (shares memory). Refused for tensors that require grad."""
        if not force:
            self._check_no_grad("numpy()")
        return self._data

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        # np.asarray(t) must not silently detach a tensor that is part of a graph.
        if self._rg:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
            )
        arr = self._data
        if dtype is not None and arr.dtype != np.dtype(dtype):
            return arr.astype(dtype)
        if copy:
            return arr.copy()
        return arr

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar "
                "(item() needs exactly one element)"
            )
        return self._data.item()

    def __format__(self, spec: str) -> str:
        # f"{loss:.4f}" of a 0-d tensor formats its value, as PyTorch does; other tensors take no format spec
        if self._data.ndim == 0:
            return self._data.item().__format__(spec)
        return object.__format__(self, spec)

    def tolist(self) -> Any:
        return self._data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous (shape {self.shape})"
            )
        return bool(self._data.item())

    def detach(self) -> Tensor:
        """A new leaf sharing data and version counter, cut from the graph.

        Not a view for autograd (as in PyTorch): an in-place change of it modifies self's memory
        and version, so graphs that saved self notice, but self's history is not rewritten."""
        t = _make(self._data, None, False)
        t._vc = self._vc
        return t

    def detach_(self) -> Tensor:
        """Cut this tensor from the graph in place, making it a leaf."""
        if self._base is not None and self._base.grad_fn is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self.__dict__.pop("_out_idx", None)
        self._rg = False
        return self

    def __deepcopy__(self, memo: dict) -> Tensor:
        """A leaf with copied data (and copied .grad), of the same class (Parameter stays Parameter)."""
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol "
                "at the moment. If you were attempting to deepcopy a module, this may be because of a "
                "non-leaf tensor attribute: call .detach() on it first"
            )
        import copy

        new = object.__new__(type(self))
        new._data = np.array(self._data, copy=True)
        new._rg = self._rg
        new.grad_fn = None
        new._vc = [0]
        memo[id(self)] = new
        if self._grad is not None:
            new._grad = copy.deepcopy(self._grad, memo)
        if self.name is not None:
            new.name = self.name
        return new

    def __reduce_ex__(self, protocol: Any) -> tuple:
        """Pickle as a leaf: values (dtype, shape), requires_grad and user attributes; never .grad or the graph."""
        # PyTorch's rule: a non-leaf arrives as a leaf with the same requires_grad; a view arrives as its own
        # values only; a Parameter stays a Parameter. Processes get shared tensors by handle instead
        # (_shared_memory.py registers that reduction with multiprocessing's pickler).
        return _rebuild_tensor, (type(self), self._data, self._rg, _pickle_state(self))

    # ------------------------------------------------------------------ printing
    def __repr__(self) -> str:
        arr = self._data
        prefix = "tensor("
        if arr.size == 0:
            body = f"[], size={arr.shape}" if arr.ndim > 1 else "[]"
        else:
            opt = PRINT_OPTIONS
            body = np.array2string(
                arr,
                precision=opt["precision"],
                separator=", ",
                prefix=prefix,
                threshold=opt["threshold"],
                edgeitems=opt["edgeitems"],
                max_line_width=opt["linewidth"],
                floatmode=_float_mode(arr),
                suppress_small=opt["sci_mode"] is False or None,
            )
        extras = []
        if arr.dtype not in (np.float32, np.int64, np.bool_):
            extras.append(f"dtype={_dtype_name(arr.dtype)}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name()}>")
        elif self._rg:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return prefix + body + "".join(", " + e for e in extras) + ")"

    __str__ = __repr__


# __dict__ entries that are graph or process bookkeeping, never pickled (all others are: name, user attributes)
_UNPICKLED = frozenset({"_grad", "_hooks", "_base", "_views", "_multi_view", "_out_idx"})


def _pickle_state(t: Tensor) -> dict | None:
    state = {k: v for k, v in t.__dict__.items() if k not in _UNPICKLED}
    return state or None


def _rebuild_tensor(cls: type, data: np.ndarray, requires_grad: bool, state: dict | None) -> Tensor:
    """Unpickle a tensor of class ``cls`` (a Tensor subclass such as Parameter) as a leaf over ``data``."""
    t = object.__new__(cls)
    t._data = data
    t._rg = bool(requires_grad)
    t.grad_fn = None
    t._vc = [0]
    if state:
        t.__dict__.update(state)
    return t


def _float_mode(arr: np.ndarray) -> str:
    # PyTorch prints whole numbers as "1." and everything else with 4 fixed decimals.
    if arr.dtype.kind != "f":
        return "maxprec"
    finite = arr[np.isfinite(arr)]
    return "maxprec_equal" if np.all(finite == np.round(finite)) else "fixed"


def _to_array(data: Any, dtype: Any = None, copy: bool = True) -> np.ndarray:
    """ndarray for ``data``: Python floats become the default float dtype, ndarrays keep theirs."""
    if isinstance(data, Tensor):
        arr = data._data
    elif isinstance(data, np.ndarray):
        arr = data
    elif isinstance(data, np.generic):
        arr = np.asarray(data)
    else:
        if isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in data):
            data = [d._data if isinstance(d, Tensor) else d for d in data]
        arr = np.asarray(data)
        if arr.dtype == np.float64 and dtype is None:
            arr = arr.astype(_dtypes._default_float)  # Python floats are float32 (PyTorch's default)
        elif arr.dtype.kind == "c" and dtype is None:
            arr = arr.astype(np.complex64)
        elif arr.dtype.kind not in "biufc":
            raise TypeError(
                f"Could not infer dtype of {type(data).__name__} (got a numpy array of dtype "
                f"{arr.dtype.name}); pass numbers, nested lists of numbers or an ndarray"
            )
    if not arr.dtype.isnative:
        # big-endian (or other non-native) data, e.g. from a file: every op, and the numba kernels
        # above all, expect native byte order; PyTorch converts on the way in too
        arr = arr.astype(arr.dtype.newbyteorder("="))
        copy = False
    if dtype is not None:
        dt = _dtypes.as_dtype(dtype, "tensor")
        if arr.dtype != dt:
            return arr.astype(dt)
    if copy:
        return np.array(arr, copy=True)
    return arr


_new = object.__new__


def _make(data: np.ndarray, grad_fn: Any, requires_grad: bool, out_idx: int = 0) -> Tensor:
    """Fast internal constructor: no validation, ``data`` must already be an ndarray."""
    t = _new(Tensor)
    t._data = data
    t._rg = requires_grad
    t.grad_fn = grad_fn
    t._vc = [0]
    if out_idx:
        t._out_idx = out_idx
    return t


# Bumped by every in-place write anywhere: while it is unchanged since a node saved its
# inputs, none of them can have been modified, so backward skips the per-tensor check.
INPLACE_EPOCH = [0]


def bump_version(t: Tensor) -> None:
    """Record an in-place modification of ``t``'s storage."""
    t._vc[0] += 1
    INPLACE_EPOCH[0] += 1



# ---------------------------------------------------------------------- xp: values as constants
def _value_t(x: Any) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


# xp.value(x): the values of x as an ndarray, a constant (masks, signs, the points a piecewise
# function switches at: what a backward reads but never differentiates).
define("value", np.asarray, _value_t)
define("zeros_like", lambda x: np.zeros(x.shape, dtype=x.dtype),
       lambda x: _make(np.zeros(x.shape, dtype=x.dtype), None, False))
