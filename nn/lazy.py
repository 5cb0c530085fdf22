"""Lazy modules and the tensors they start with (PyTorch's torch.nn.modules.lazy and nn.parameter).

``UninitializedParameter`` / ``UninitializedBuffer`` hold no data yet: their shape is unknown, and any arithmetic
on them raises PyTorch's ValueError. A lazy module (``LazyLinear``, ``LazyConv2d``, ``LazyBatchNorm1d``...) holds
such tensors until its first call, which infers the missing size from the input (``in_features``,
``in_channels``, ``num_features``), materialises them in place (same objects: an optimizer built before the
first call keeps working, as in PyTorch), initialises them as the eager layer would, and turns the module into
that layer (``type(m) is nn.Linear`` afterwards). ``Buffer`` marks a tensor as a module buffer.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor, _dtypes
from autograd_core._device import factory_kwargs

from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .linear import Linear
from .module import Module
from .normalization import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
)
from .parameter import Parameter

__all__: list[str] = [
    "Buffer", "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyConv1d", "LazyConv2d", "LazyConv3d",
    "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d",
    "LazyInstanceNorm3d", "LazyLinear", "UninitializedBuffer", "UninitializedParameter",
]


# ---------------------------------------------------------------------- Buffer
class _BufferMeta(type):
    # isinstance(t, Buffer) is True for every tensor that Buffer(...) marked (Buffer returns plain Tensors)
    def __instancecheck__(cls, instance: Any) -> bool:
        if cls is Buffer:
            return isinstance(instance, Tensor) and bool(instance.__dict__.get("_is_buffer", False))
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """A tensor that is module state but not a parameter (PyTorch's nn.Buffer): ``Buffer(t)`` is ``t.detach()``
    (same memory, same requires_grad) marked as a buffer, with ``persistent`` (False: kept out of state_dict).
    Assigning one as a Module attribute registers it as a buffer with that persistence, as in PyTorch."""

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> Tensor:  # type: ignore[misc]
        if data is None:
            data = Tensor(np.empty(0, dtype=_dtypes._default_float))
        if not isinstance(data, Tensor):
            raise TypeError(f"Buffer: expected a Tensor, got {type(data).__name__}")
        t = data.detach().requires_grad_(data.requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t


# ---------------------------------------------------------------------- uninitialized tensors
def _uninit_message(what: str, cls: str) -> str:
    return (f"Attempted to use an uninitialized parameter in {what}. This error happens when you are using a "
            f"`LazyModule` or explicitly manipulating `torch.nn.parameter.{cls}` objects. When using LazyModules "
            "Call `forward` with a dummy batch to initialize the parameters before calling torch functions")


class _UninitArray(np.ndarray):
    """The empty array behind an uninitialized tensor: numpy functions and ufuncs on it raise PyTorch's ValueError
    (every op reaches the array through them), while dtype casts (``module.double()``) still work."""

    _owner = "UninitializedParameter"

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        raise ValueError(_uninit_message(f"<ufunc '{ufunc.__name__}'>", self._owner))

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        raise ValueError(_uninit_message(f"<function {func.__name__}>", self._owner))

    def __array_finalize__(self, obj: Any) -> None:
        self._owner = getattr(obj, "_owner", "UninitializedParameter")


def _uninit_array(dtype: Any, owner: str) -> np.ndarray:
    a = np.empty(0, dtype=dtype).view(_UninitArray)
    a._owner = owner
    return a


class UninitializedTensorMixin:
    """What the two uninitialized kinds share: no shape, no data, ``materialize(shape)``."""

    cls_to_become: type = Tensor

    def materialize(self, shape: Any, device: Any = None, dtype: Any = None) -> None:
        """Give the tensor data of ``shape`` (zeros; the lazy module then initialises it) and make it the class it
        stands for (Parameter / Tensor), in place."""
        factory_kwargs(device, None, f"{type(self).__name__}.materialize")
        dt = np.dtype(self._data.dtype if dtype is None else _dtypes.as_dtype(dtype, "materialize"))
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
        Tensor._data.__set__(self, np.zeros(shape, dtype=dt))
        self.__class__ = self.cls_to_become

    @property
    def shape(self) -> tuple:
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error usually happens in "
            "`load_state_dict` when trying to load an uninitialized parameter into an initialized one. Call "
            "`forward` to initialize the parameters before accessing their attributes.")

    @property
    def ndim(self) -> int:
        return self.shape  # type: ignore[return-value]  (raises, as the shape does)

    def numel(self) -> int:
        raise ValueError(_uninit_message("<method 'numel'>", type(self).__name__))

    def size(self, dim: int | None = None) -> Any:
        raise ValueError(_uninit_message("<method 'size'>", type(self).__name__))

    def share_memory_(self) -> Any:
        raise RuntimeError("Can't share memory on an uninitialized parameter or buffer. Call `forward` to initialize "
                           "the parameters before calling `module.share_memory()`.")

    def detach(self) -> Any:
        # a module's state_dict lists its lazy tensors themselves (PyTorch's LazyModuleMixin does the same)
        return self

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    __str__ = __repr__

    def __deepcopy__(self, memo: dict) -> Any:
        if id(self) in memo:
            return memo[id(self)]
        new = type(self)(self.requires_grad, None, self._data.dtype)
        memo[id(self)] = new
        return new

    def __reduce_ex__(self, proto: Any) -> Any:
        return (type(self), (self.requires_grad,))


def is_lazy(param: Any) -> bool:
    """Whether ``param`` is an UninitializedParameter or UninitializedBuffer."""
    return isinstance(param, UninitializedTensorMixin)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A parameter whose shape is not known yet (a lazy module's, until its first call)."""

    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device: Any = None, dtype: Any = None) -> None:
        fk = factory_kwargs(device, dtype, "nn.UninitializedParameter")
        dt = np.dtype(fk.get("dtype") or _dtypes._default_float)
        super().__init__(Tensor(np.empty(0, dtype=dt)), requires_grad=requires_grad)
        Tensor._data.__set__(self, _uninit_array(dt, "UninitializedParameter"))


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is not known yet (a lazy module's running statistics, until its first call)."""

    cls_to_become = Tensor

    def __init__(self, requires_grad: bool = False, device: Any = None, dtype: Any = None,
                 persistent: bool = True) -> None:
        fk = factory_kwargs(device, dtype, "nn.UninitializedBuffer")
        dt = np.dtype(fk.get("dtype") or _dtypes._default_float)
        super().__init__(np.empty(0, dtype=dt), requires_grad=requires_grad, dtype=dt)
        Tensor._data.__set__(self, _uninit_array(dt, "UninitializedBuffer"))
        self.persistent = persistent
        self._is_buffer = True


# ---------------------------------------------------------------------- the mixin
class LazyModuleMixin:
    """Modules whose parameters are inferred from their first input (PyTorch's LazyModuleMixin).

    A forward pre-hook calls ``initialize_parameters(*args, **kwargs)`` on the first call, then removes itself
    and turns the module into ``cls_to_become``. Until then ``state_dict()`` lists the uninitialized tensors, and
    ``load_state_dict`` materialises them with the loaded shapes first."""

    cls_to_become: type | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters, with_kwargs=True)

    def has_uninitialized_params(self) -> bool:
        """Whether some parameter or buffer of this module is still uninitialized."""
        return any(is_lazy(p) for p in itertools.chain(self._parameters.values(), self._buffers.values()))

    def initialize_parameters(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(f"initialize_parameters is not implemented for {type(self).__name__}")

    def _infer_parameters(self, module: Module, args: tuple, kwargs: dict | None = None) -> None:
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {module._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        delattr(module, "_initialize_hook")
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def _lazy_load_hook(self, state_dict: dict, prefix: str, *args: Any) -> None:
        """Materialise the uninitialized tensors that ``state_dict`` holds initialized values for (PyTorch's
        load_state_dict pre-hook of lazy modules), so that they load like any other."""
        for name, param in itertools.chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if key in state_dict and param is not None and is_lazy(param):
                src = state_dict[key]
                if not is_lazy(src):
                    param.materialize(tuple(np.shape(src._data if isinstance(src, Tensor) else src)))

    def _replicate_for_data_parallel(self) -> None:
        raise RuntimeError("Modules with uninitialized parameters can't be used with `DataParallel`. Run a dummy "
                           "forward pass to correctly initialize the modules")


# ---------------------------------------------------------------------- LazyLinear
class LazyLinear(LazyModuleMixin, Linear):
    """Linear whose in_features is input.shape[-1] of the first call."""

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        # bias=False here: a bias of size 0 would be made only to be replaced
        super().__init__(0, 0, False)
        fk = {"device": device, "dtype": dtype}
        self.weight = UninitializedParameter(**fk)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(**fk)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:
        if self.has_uninitialized_params():
            self.in_features = input.shape[-1]
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()


# ---------------------------------------------------------------------- lazy convolutions
class _LazyConvXdMixin(LazyModuleMixin):
    _nd = 2

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor, *args: Any, **kwargs: Any) -> None:
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            if self.transposed:
                self.weight.materialize((self.in_channels, self.out_channels // self.groups, *self.kernel_size))
            else:
                self.weight.materialize((self.out_channels, self.in_channels // self.groups, *self.kernel_size))
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()

    def _get_in_channels(self, input: Tensor) -> int:
        nb = self._nd + 1
        if input.ndim not in (nb, nb + 1):
            raise RuntimeError(f"Expected {nb}D (unbatched) or {nb + 1}D (batched) input to {type(self).__name__}, "
                               f"but got input of size: {list(input.shape)}")
        return input.shape[1] if input.ndim == nb + 1 else input.shape[0]


class _LazyConv(_LazyConvXdMixin):
    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None) -> None:
        # in/out channels 0 and no bias here: size-0 tensors would be made only to be replaced
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode)
        fk = {"device": device, "dtype": dtype}
        self.weight = UninitializedParameter(**fk)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(**fk)


class _LazyConvTranspose(_LazyConvXdMixin):
    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 output_padding: Any = 0, groups: int = 1, bias: bool = True, dilation: Any = 1,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation, padding_mode)
        fk = {"device": device, "dtype": dtype}
        self.weight = UninitializedParameter(**fk)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(**fk)


class LazyConv1d(_LazyConv, Conv1d):
    """Conv1d whose in_channels is the channel count (dim 1, or 0 unbatched) of the first input."""

    cls_to_become, _nd = Conv1d, 1


class LazyConv2d(_LazyConv, Conv2d):
    """Conv2d whose in_channels is the channel count (dim 1, or 0 unbatched) of the first input."""

    cls_to_become, _nd = Conv2d, 2


class LazyConv3d(_LazyConv, Conv3d):
    """Conv3d whose in_channels is the channel count (dim 1, or 0 unbatched) of the first input."""

    cls_to_become, _nd = Conv3d, 3


class LazyConvTranspose1d(_LazyConvTranspose, ConvTranspose1d):
    """ConvTranspose1d whose in_channels is the channel count (dim 1, or 0 unbatched) of the first input."""

    cls_to_become, _nd = ConvTranspose1d, 1


class LazyConvTranspose2d(_LazyConvTranspose, ConvTranspose2d):
    """ConvTranspose2d whose in_channels is the channel count (dim 1, or 0 unbatched) of the first input."""

    cls_to_become, _nd = ConvTranspose2d, 2


class LazyConvTranspose3d(_LazyConvTranspose, ConvTranspose3d):
    """ConvTranspose3d whose in_channels is the channel count (dim 1, or 0 unbatched) of the first input."""

    cls_to_become, _nd = ConvTranspose3d, 3


# ---------------------------------------------------------------------- lazy normalisation
class _LazyNormBase(LazyModuleMixin):
    def __init__(self, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        # affine, bias and the running statistics False here: size-0 tensors would be made only to be replaced
        super().__init__(0, eps, momentum, False, False, bias=False)
        fk = {"device": device, "dtype": dtype}
        self.affine, self.track_running_stats, self.has_bias = affine, track_running_stats, affine and bias
        if affine:
            self.weight = UninitializedParameter(**fk)
            if bias:
                self.bias = UninitializedParameter(**fk)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(**fk)
            self.running_var = UninitializedBuffer(**fk)
            self.num_batches_tracked = ag.tensor(0, dtype=ag.int64)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:
        if self.has_uninitialized_params():
            self.num_features = input.shape[1]
            if self.affine:
                self.weight.materialize((self.num_features,))
                if self.bias is not None:
                    self.bias.materialize((self.num_features,))
            if self.track_running_stats:
                self.running_mean.materialize((self.num_features,))
                self.running_var.materialize((self.num_features,))
            self.reset_parameters()


class LazyBatchNorm1d(_LazyNormBase, BatchNorm1d):
    """BatchNorm1d whose num_features is input.shape[1] of the first call."""

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNormBase, BatchNorm2d):
    """BatchNorm2d whose num_features is input.shape[1] of the first call."""

    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyNormBase, BatchNorm3d):
    """BatchNorm3d whose num_features is input.shape[1] of the first call."""

    cls_to_become = BatchNorm3d


class LazyInstanceNorm1d(_LazyNormBase, InstanceNorm1d):
    """InstanceNorm1d whose num_features is input.shape[1] of the first call (affine and running statistics on by
    default, as PyTorch's lazy instance norms)."""

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyNormBase, InstanceNorm2d):
    """InstanceNorm2d whose num_features is input.shape[1] of the first call (affine and running statistics on by
    default, as PyTorch's lazy instance norms)."""

    cls_to_become = InstanceNorm2d


class LazyInstanceNorm3d(_LazyNormBase, InstanceNorm3d):
    """InstanceNorm3d whose num_features is input.shape[1] of the first call (affine and running statistics on by
    default, as PyTorch's lazy instance norms)."""

    cls_to_become = InstanceNorm3d
