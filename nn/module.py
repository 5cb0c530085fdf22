"""``nn.Module``: the base class of layers and models, with PyTorch's registration rules.

Assigning a ``Parameter`` to an attribute registers it as a parameter, a ``Module`` as a
submodule; ``register_buffer`` registers a tensor that is state but not trained (BatchNorm's
running statistics). Registries keep insertion order, which fixes the order of
``parameters()`` and the dotted names of ``state_dict()`` - identical to PyTorch's for the same
model, so weights move between the two.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor, _device
from autograd_core._function import sequence_mark
from autograd_core._tensor import bump_version

from . import _module_hooks
from .parameter import Parameter

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])
__all__ = ["Module", "RemovableHandle"]


_hook_ids = itertools.count()


class RemovableHandle:
    """Returned by ``register_*_hook``; ``remove()`` unregisters the hook."""

    def __init__(self, registry: dict, key: int) -> None:
        self._registry, self._key = registry, key

    def remove(self) -> None:
        self._registry.pop(self._key, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


class Module:
    """Base class for all layers and models: subclass it, build layers in ``__init__`` and write ``forward``."""

    training: bool

    def __init__(self) -> None:
        # object.__setattr__: our __setattr__ needs these registries to exist already
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())

    # ------------------------------------------------------------------ calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function: define '
            f"forward(self, ...) in your subclass"
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if "_forward_hooks" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}: Module.__init__() was not called; call super().__init__() first "
                "in your __init__"
            )
        with_kw = self.__dict__.get("_hooks_with_kwargs", ())
        for key, hook in tuple(self._forward_pre_hooks.items()):
            if key in with_kw:
                res = hook(self, args, kwargs)
                if res is not None:
                    args, kwargs = res
                continue
            res = hook(self, args)
            if res is not None:
                args = res if isinstance(res, tuple) else (res,)
        bw, call = self.__dict__.get("_backward_hooks"), None
        if bw:
            args, call = _module_hooks.wrap_inputs(self, args)
        start = sequence_mark()
        out = self.forward(*args, **kwargs)
        # the nodes of this call have creation numbers in [start, end): ag.viz draws them as one cluster
        self.__dict__["_call_span"] = (start, sequence_mark())
        for key, hook in tuple(self._forward_hooks.items()):
            res = hook(self, args, kwargs, out) if key in with_kw else hook(self, args, out)
            if res is not None:
                out = res
        if bw or self.__dict__.get("_backward_pre_hooks"):
            out = _module_hooks.wrap_outputs(self, out, call)
        return out

    def _add_hook(self, registry: str, hook: Callable, prepend: bool, with_kwargs: bool) -> RemovableHandle:
        if registry not in self.__dict__:
            object.__setattr__(self, registry, OrderedDict())
        hooks = self.__dict__[registry]
        key = next(_hook_ids)
        hooks[key] = hook
        if prepend:
            hooks.move_to_end(key, last=False)
        if with_kwargs:
            self.__dict__.setdefault("_hooks_with_kwargs", set()).add(key)
        return RemovableHandle(hooks, key)

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """hook(module, args, output) (or (module, args, kwargs, output) with_kwargs) runs after forward; a
        non-None return replaces the output."""
        return self._add_hook("_forward_hooks", hook, prepend, with_kwargs)

    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """hook(module, args) (or (module, args, kwargs) -> (args, kwargs) with_kwargs) runs before forward; a
        non-None return replaces the arguments."""
        return self._add_hook("_forward_pre_hooks", hook, prepend, with_kwargs)

    def register_full_backward_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """hook(module, grad_input, grad_output) runs when the gradients w.r.t. this call's inputs are computed; a
        non-None return (a tuple) replaces grad_input."""
        return self._add_hook("_backward_hooks", hook, prepend, False)

    def register_backward_hook(self, hook: Callable) -> RemovableHandle:
        """The deprecated name: behaves as ``register_full_backward_hook``."""
        return self.register_full_backward_hook(hook)

    def register_full_backward_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """hook(module, grad_output) runs when the gradients w.r.t. this call's outputs are computed; a non-None
        return (a tuple) replaces grad_output."""
        return self._add_hook("_backward_pre_hooks", hook, prepend, False)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() call: call super().__init__() first in "
                f"{type(self).__name__}.__init__"
            )
        params, modules, buffers = d["_parameters"], d["_modules"], d["_buffers"]
        if isinstance(value, Parameter):
            if name not in params:  # re-assigning (tied weights) keeps the registry position, as PyTorch
                self._forget(name)
            params[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' (nn.Parameter or None "
                    "expected); wrap the tensor: nn.Parameter(t)"
                )
            params[name] = None
        elif isinstance(value, Module):
            if name not in modules:
                self._forget(name)
            modules[name] = value
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' "
                                "(nn.Module or None expected)")
            modules[name] = None
        elif isinstance(value, Tensor) and getattr(value, "_is_buffer", False):
            # ``self.x = nn.Buffer(t, persistent=...)`` registers a buffer with the Buffer's persistence, as PyTorch
            self.register_buffer(name, value, persistent=getattr(value, "persistent", True))
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(Tensor or None expected)")
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        self.__dict__.pop(name, None)
        for reg in ("_parameters", "_modules", "_buffers"):
            self.__dict__[reg].pop(name, None)
        self._non_persistent_buffers.discard(name)

    def __getattr__(self, name: str) -> Any:
        # only called when normal lookup fails: look in the registries
        d = self.__dict__
        for reg in ("_parameters", "_buffers", "_modules"):
            r = d.get(reg)
            if r is not None and name in r:
                return r[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for reg in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__[reg]:
                del self.__dict__[reg][name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))

    def _check_name(self, name: Any, kind: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if "." in name or name == "":
            raise KeyError(f'{kind} name can\'t contain "." and can\'t be empty: {name!r}')
        if hasattr(self, name) and name not in getattr(self, f"_{kind}s", {}):
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or None, a declared but absent parameter such as a missing bias)."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        self._check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                            "(nn.Parameter or None required)")
        if name not in self._parameters:  # re-registering keeps the name's place in state_dict, as in PyTorch
            self._forget(name)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a buffer: module state that is not a parameter (saved in state_dict if persistent)."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        self._check_name(name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' (Tensor or None "
                            "required)")
        if name not in self._buffers:  # re-registering keeps the name's place in state_dict, as in PyTorch
            self._forget(name)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under ``name`` (what attribute assignment does)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_name(name, "module")
        self._forget(name)
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """The submodule at a dotted path ('' is self)."""
        mod = self
        for part in target.split(".") if target else []:
            if part not in mod._modules:
                raise AttributeError(f"{type(mod).__name__} has no submodule `{part}` (looking up {target!r})")
            mod = mod._modules[part]
        return mod

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at dotted path ``target``."""
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path) if mod_path else self
        if name not in mod._buffers:
            raise AttributeError(f"{mod._get_name()} has no buffer `{name}`")
        return mod._buffers[name]

    def set_submodule(self, target: str, module: Module, strict: bool = False) -> None:
        """Replace (or add, unless strict) the submodule at dotted path ``target``."""
        parent_path, _, name = target.rpartition(".")
        parent = self.get_submodule(parent_path) if parent_path else self
        if strict and name not in parent._modules:
            raise AttributeError(f"{parent._get_name()} has no attribute `{name}`")
        setattr(parent, name, module)

    def get_extra_state(self) -> Any:
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never be called: "
                           "override it together with set_extra_state")

    def set_extra_state(self, state: Any) -> None:
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never be called: "
                           "override it together with get_extra_state")

    def get_parameter(self, target: str) -> Parameter:
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        if name not in mod._parameters:
            raise AttributeError(f"{type(mod).__name__} has no parameter `{name}`")
        return mod._parameters[name]

    # ------------------------------------------------------------------ iteration
    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for self and every descendant, depth first, each module once."""
        if memo is None:
            memo = set()
        stack = [(prefix, self)]
        while stack:  # explicit stack: deep nesting never hits the recursion limit
            pre, mod = stack.pop()
            if remove_duplicate:
                if id(mod) in memo:
                    continue
                memo.add(id(mod))
            yield pre, mod
            children = [(pre + ("." if pre else "") + n, m) for n, m in mod._modules.items() if m is not None]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named_members(self, registry: str, prefix: str, recurse: bool,
                       remove_duplicate: bool) -> Iterator[tuple[str, Tensor]]:
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        seen = set()
        for pre, mod in mods:
            for name, t in mod.__dict__[registry].items():
                if t is None or (remove_duplicate and id(t) in seen):
                    continue
                seen.add(id(t))
                yield pre + ("." if pre else "") + name, t

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs; a parameter shared by two modules is listed once."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ------------------------------------------------------------------ modes and bulk changes
    def train(self, mode: bool = True) -> Module:
        """Set the training flag of this module and all descendants (Dropout, BatchNorm read it)."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters (to None by default, as PyTorch 2 does)."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad._data[...] = 0  # in place, like PyTorch's grad.zero_()

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call fn on every submodule (children first) and on self; returns self."""
        for m in reversed(list(self.modules())):
            fn(m)
        return self

    def _cast(self, dtype: Any) -> Module:
        dt = np.dtype(ag.DTYPE_ALIASES.get(dtype, dtype) if isinstance(dtype, str) else dtype)
        for m in self.modules():
            for reg in ("_parameters", "_buffers"):
                for t in m.__dict__[reg].values():
                    if t is None or t._data.dtype.kind != "f" or t._data.dtype == dt:
                        continue
                    t._data = t._data.astype(dt)  # in place: optimisers holding the parameter see the change
                    if t._grad is not None:
                        t._grad = ag.tensor(t._grad._data.astype(dt))
        return self

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(tensor)``: cast floating-point parameters and
        buffers in place; the CPU is the only device (another one is a RuntimeError naming the fix)."""
        dtype, dev = kwargs.pop("dtype", None), kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"Module.to() got an unexpected keyword argument {next(iter(kwargs))!r}")
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif a is None or isinstance(a, bool):
                continue
            elif isinstance(a, (str, _device.device)) or isinstance(a, int):
                dev = a
            else:
                dtype = a
        _device.check_device(dev, f"{type(self).__name__}.to")
        if dtype is not None and np.dtype(dtype).kind not in "fc":
            raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got desired "
                            f"dtype={np.dtype(dtype).name}")
        return self if dtype is None else self._cast(dtype)

    def cuda(self, device: Any = None) -> Module:
        """Always an error: no CUDA device is available."""
        _device.check_device("cuda" if device is None else f"cuda:{device}" if isinstance(device, int) else device,
                             f"{type(self).__name__}.cuda")
        return self

    def share_memory(self) -> Module:
        """Move parameters, their existing grads and buffers into shared memory (``share_memory_``); returns self."""
        for t in list(self.parameters()) + list(self.buffers()):
            t.share_memory_()
            if t.grad is not None:  # PyTorch shares the grads that exist too
                t.grad.share_memory_()
        return self

    def float(self) -> Module:
        return self._cast(np.float32)

    def double(self) -> Module:
        return self._cast(np.float64)

    def cpu(self) -> Module:
        return self

    def half(self) -> Module:
        return self._cast(np.float16)

    def bfloat16(self) -> Module:
        raise TypeError(f"{type(self).__name__}.bfloat16: numpy has no bfloat16; use float32 (the default) or half()")

    def type(self, dst_type: Any) -> Module:
        """Cast floating-point parameters and buffers to ``dst_type``."""
        return self._cast(dst_type)

    def to_empty(self, *, device: Any = None, recurse: bool = True) -> Module:
        """Moves to ``device`` without copying values: here (one device) the module itself."""
        _device.check_device(device, f"{type(self).__name__}.to_empty")
        return self

    def compile(self, *args: Any, **kwargs: Any) -> None:
        """``torch.compile`` in place: nothing to do, eager execution is the only mode here."""

    # ------------------------------------------------------------------ state dicts
    def state_dict(self, destination: dict | None = None, prefix: str = "",
                   keep_vars: bool = False) -> OrderedDict:
        """Parameters and persistent buffers by dotted name (detached tensors sharing memory)."""
        out = OrderedDict() if destination is None else destination
        for pre, mod in self.named_modules(prefix=prefix.rstrip("."), remove_duplicate=False):
            dot = pre + "." if pre else ""
            for name, p in mod._parameters.items():
                if p is not None:
                    out[dot + name] = p if keep_vars else p.detach()
            for name, b in mod._buffers.items():
                if b is not None and name not in mod._non_persistent_buffers:
                    out[dot + name] = b if keep_vars else b.detach()
        return out

    def load_state_dict(self, state_dict: dict, strict: bool = True, assign: bool = False) -> IncompatibleKeys:
        """Copy values into the parameters and buffers in place; all-or-nothing.

        Every key and shape is checked before anything is copied, so a failed load leaves the module
        unchanged. Returns (missing_keys, unexpected_keys); with strict=True either being non-empty is
        an error.
        """
        if not hasattr(state_dict, "items"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict).__name__}.")
        for prefix, m in self.named_modules():  # lazy modules anywhere below take their shapes from the checkpoint
            hook = getattr(m, "_lazy_load_hook", None)
            if hook is not None:
                hook(state_dict, prefix + "." if prefix else "")
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        if strict:
            if unexpected:
                errors.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". ")
        arrays = {}
        for k, target in own.items():
            if k not in state_dict:
                continue
            src = state_dict[k]
            arr = src._data if isinstance(src, Tensor) else np.asarray(src)
            if arr.dtype.kind not in "biuf":  # checked before copying anything: a failed load changes nothing
                errors.append(f"While copying the parameter named \"{k}\", expected a numeric tensor from "
                              f"checkpoint but received dtype {arr.dtype}.")
                continue
            if target.ndim == 0 and arr.shape == (1,):
                arr = arr.reshape(())  # as PyTorch: a 0-d entry saved with shape [1] (old checkpoints) loads
            if tuple(arr.shape) != tuple(target.shape):
                errors.append(f"size mismatch for {k}: copying a param with shape {list(arr.shape)} from checkpoint, "
                              f"the shape in current model is {list(target.shape)}.")
                continue
            arrays[k] = arr
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors))
        with ag.no_grad():
            for k, arr in arrays.items():
                target = own[k]
                if assign:
                    target._data = np.array(arr, dtype=target._data.dtype, copy=True)
                else:
                    target._data[...] = arr  # in place: optimisers and views keep seeing this array
                bump_version(target)
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr line (override in layers)."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        for name, m in self._modules.items():
            child = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {child}")
        head = self._get_name() + "("
        if not self._modules and len(lines) <= 1:
            return head + (lines[0] if lines else "") + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"
