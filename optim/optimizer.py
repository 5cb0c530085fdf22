"""The ``Optimizer`` base class: parameter groups, per-parameter state, state dicts, step hooks.

A subclass is ``__init__`` (validate hyper-parameters, call ``super().__init__(params, defaults)``)
plus ``_update(group)``, the rule that moves every parameter of one group. ``step`` runs the
rules under ``no_grad``, in place on the parameters' arrays. Every ``step`` (the base's and any
subclass's own) runs the step pre/post hooks, as PyTorch's ``Optimizer`` does.
"""

from __future__ import annotations

import copy
import functools
import itertools
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from autograd_core.nn.module import RemovableHandle

import autograd_core as ag
from autograd_core import Tensor
from autograd_core._tensor import bump_version

__all__ = ["Optimizer", "register_optimizer_step_post_hook", "register_optimizer_step_pre_hook"]

_hook_ids = itertools.count()
_global_step_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
_global_step_post_hooks: OrderedDict[int, Callable] = OrderedDict()


def _add_hook(registry: OrderedDict, hook: Callable, prepend: bool = False) -> RemovableHandle:
    key = next(_hook_ids)
    registry[key] = hook
    if prepend:
        registry.move_to_end(key, last=False)
    return RemovableHandle(registry, key)


def register_optimizer_step_pre_hook(hook: Callable) -> RemovableHandle:
    """A pre hook run by every optimiser's ``step``: ``hook(optimizer, args, kwargs) -> None or (args, kwargs)``."""
    return _add_hook(_global_step_pre_hooks, hook)


def register_optimizer_step_post_hook(hook: Callable) -> RemovableHandle:
    """A post hook run after every optimiser's ``step``: ``hook(optimizer, args, kwargs) -> None``."""
    return _add_hook(_global_step_post_hooks, hook)


def check_non_negative(label: str, value: Any) -> None:
    """PyTorch's hyper-parameter check and message ("Invalid learning rate: nan").

    Written ``not 0 <= value`` rather than ``value < 0`` so that NaN, for which every comparison is
    False, is refused too instead of silently turning every parameter into NaN at the first step."""
    if not 0.0 <= value:
        raise ValueError(f"Invalid {label}: {value} (must be a number >= 0)")


def check_betas(betas: Any) -> None:
    """PyTorch's check of Adam-style ``betas``: two coefficients in [0, 1) ("Invalid beta parameter at index 1")."""
    if len(betas) != 2:
        raise ValueError(f"Invalid betas: {betas} (expected two coefficients, e.g. (0.9, 0.999))")
    for i, b in enumerate(betas):
        if not 0.0 <= b < 1.0:  # also refuses NaN
            raise ValueError(f"Invalid beta parameter at index {i}: {b} (must be in [0, 1))")


def check_not_differentiable(name: str, differentiable: bool) -> None:
    """``differentiable=True`` asks for autograd through the update itself, which these in-place updates do not
    record; refusing it is better than silently training with a step that carries no graph."""
    if differentiable:
        raise NotImplementedError(f"{name}(differentiable=True): autograd through the optimiser step is not "
                                  "supported (the update runs in place on the parameters' arrays); use "
                                  "differentiable=False, or write the update with tensor ops under enable_grad")


def to_scalar(x: Any) -> Any:
    """A learning rate given as a one-element Tensor, as a Python number (PyTorch accepts both)."""
    return x.item() if isinstance(x, Tensor) else x


def as_real(a: np.ndarray) -> np.ndarray:
    """A complex array as a float view with a trailing (real, imag) axis (PyTorch's ``view_as_real``: the
    optimisers treat a complex number as two independent reals); real arrays are returned unchanged."""
    if a.dtype.kind != "c":
        return a
    return a[..., None].view(a.real.dtype)  # the new length-1 axis is contiguous, so this is a view


def lerp_(start: np.ndarray, end: np.ndarray, weight: float) -> None:
    """start <- start + weight (end - start), in place, evaluated from the nearer end as PyTorch's lerp kernel."""
    if weight < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1 - weight)


def _hooked_step(step: Callable) -> Callable:
    """``step`` with the step hooks around it. As in PyTorch, hooks see ``args`` with the optimiser first
    (``args[0]``) and a pre hook may return replacement ``(args, kwargs)``."""

    @functools.wraps(step)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        self = args[0]
        if self.__dict__.get("_in_step"):  # a subclass's step calling super().step(): hooks have run already
            return step(*args, **kwargs)
        self._opt_called = True  # read by the LR schedulers' "stepped before the optimiser" warning
        for hook in itertools.chain(list(_global_step_pre_hooks.values()),
                                    list(getattr(self, "_optimizer_step_pre_hooks", {}).values())):
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"{type(self).__name__}.step pre hook must return None or a tuple of "
                                       f"(new_args, new_kwargs), but got {result}.")
                args, kwargs = result
        self._in_step = True
        try:
            out = step(*args, **kwargs)
        finally:
            self._in_step = False
        for hook in itertools.chain(list(getattr(self, "_optimizer_step_post_hooks", {}).values()),
                                    list(_global_step_post_hooks.values())):
            hook(self, args, kwargs)
        return out

    wrapper._wrapped_by_lr_sched = True
    wrapper.hooked = True
    return wrapper


class Optimizer:
    """Base class: holds ``param_groups`` (list of dicts with 'params' and hyper-parameters) and ``state``."""

    # each array in a parameter's state has that parameter's shape (checked on load); L-BFGS's flat vectors do not
    _state_matches_params = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__ and not getattr(cls.__dict__["step"], "hooked", False):
            cls.step = _hooked_step(cls.__dict__["step"])

    def __init__(self, params: Iterable[Any], defaults: dict) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_state_dict_post_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_load_state_dict_post_hooks: OrderedDict[int, Callable] = OrderedDict()
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict] = []
        self._opt_called = False
        if isinstance(params, Tensor):
            raise TypeError(
                f"params argument given to the optimizer should be an iterable of Tensors or dicts, but got "
                f"{type(params).__name__}; pass [tensor] or model.parameters()"
            )
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def __getstate__(self) -> dict:
        # as PyTorch: pickling / deep-copying keeps the hyper-parameters and the state, not the hooks
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        for name in ("step_pre", "step_post", "state_dict_pre", "state_dict_post", "load_state_dict_pre",
                     "load_state_dict_post"):
            self.__dict__.setdefault(f"_optimizer_{name}_hooks", OrderedDict())
        self.__dict__.setdefault("_opt_called", False)

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {g[k]}" for k in sorted(g) if k != "params")
        return "\n".join(lines) + "\n)"

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own hyper-parameters (missing ones take the defaults).

        ``params`` may hold ``(name, tensor)`` pairs (``model.named_parameters()``): the names are kept in
        the group's ``'param_names'``, as PyTorch does."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of "
                            "tensors in sets will change between runs. Please use a list instead.")
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            params = [p[1] for p in params]
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
            if p.grad_fn is not None and not self.defaults.get("differentiable", False):
                raise ValueError("can't optimize a non-leaf Tensor (call .detach().requires_grad_() on it to make a "
                                 "leaf)")
        group = dict(param_group, params=params)
        if names:
            group["param_names"] = names
        for k, v in self.defaults.items():
            group.setdefault(k, v)
        for g in self.param_groups:
            if ("param_names" in group) != ("param_names" in g):
                raise ValueError("all optimizer param groups should be with/without names. cannot add param group "
                                 f"{'with' if 'param_names' in group else 'without'} names to the optimizer")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params) or len({id(p) for p in params}) != len(params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset gradients: to None (default, PyTorch 2) or to zeros in place."""
        for g in self.param_groups:
            for p in g["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad._data[...] = 0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; ``closure`` re-evaluates and returns the loss."""
        loss = None
        if closure is not None:
            with ag.enable_grad():
                loss = closure()
        with ag.no_grad():
            for group in self.param_groups:
                self._update(group)
        return loss

    def _update(self, group: dict) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement _update(group) or step()")

    @staticmethod
    def _grad(p: Tensor, group: dict) -> np.ndarray | None:
        """The gradient to use (negated when maximizing), or None when p has none."""
        if p.grad is None:
            return None
        g = p.grad._data
        if g.dtype != p._data.dtype:
            g = g.astype(p._data.dtype)
        return -g if group.get("maximize", False) else g

    @staticmethod
    def _touch(p: Tensor) -> None:
        bump_version(p)  # parameters change in place: graphs that saved them must notice

    # ------------------------------------------------------------------ hooks
    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs)``, run before each ``step``."""
        return _add_hook(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(optimizer, args, kwargs) -> None``, run after each ``step``."""
        return _add_hook(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """``hook(optimizer) -> None``, run before ``state_dict()`` builds the dict."""
        return _add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """``hook(optimizer, state_dict) -> state_dict or None``, run on the dict ``state_dict()`` returns."""
        return _add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """``hook(optimizer, state_dict) -> state_dict or None``, run before ``load_state_dict`` reads it."""
        return _add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """``hook(optimizer) -> None``, run after ``load_state_dict``."""
        return _add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ------------------------------------------------------------------ state dicts
    def state_dict(self) -> dict:
        """{'state': {index: {name: value}}, 'param_groups': [{hyper-parameters, 'params': [indices]}]}."""
        for hook in list(getattr(self, "_optimizer_state_dict_pre_hooks", {}).values()):
            hook(self)
        index: dict[int, int] = {}
        groups = []
        for g in self.param_groups:
            packed = {k: v for k, v in g.items() if k != "params"}
            packed["params"] = []
            for p in g["params"]:
                index.setdefault(id(p), len(index))
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {}
        for g in self.param_groups:
            for p in g["params"]:
                if p in self.state and self.state[p]:
                    state[index[id(p)]] = {k: _detached(v) for k, v in self.state[p].items()}
        out = {"state": state, "param_groups": groups}
        for hook in list(getattr(self, "_optimizer_state_dict_post_hooks", {}).values()):
            result = hook(self, out)
            if result is not None:
                out = result
        return out

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyper-parameters and per-parameter state (copied, cast to each parameter's dtype)."""
        state_dict = dict(state_dict) if isinstance(state_dict, dict) else state_dict
        for hook in list(getattr(self, "_optimizer_load_state_dict_pre_hooks", {}).values()):
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = state_dict.get("param_groups") if isinstance(state_dict, dict) else None
        if groups is None or "state" not in state_dict:
            raise ValueError("load_state_dict: expected a dict with 'state' and 'param_groups' (from "
                             "optimizer.state_dict())")
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups "
                             f"({len(groups)} vs {len(self.param_groups)})")
        for mine, theirs in zip(self.param_groups, groups):
            if len(mine["params"]) != len(theirs["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                                 f"optimizer's group ({len(theirs['params'])} vs {len(mine['params'])} parameters)")
        by_index = {}
        for mine, theirs in zip(self.param_groups, groups):
            for p, i in zip(mine["params"], theirs["params"]):
                by_index[int(i)] = p
        new_state: defaultdict = defaultdict(dict)
        for i, st in state_dict["state"].items():
            p = by_index.get(int(i))
            if p is None:
                continue
            new_state[p] = {k: _cast_state(p, k, v, i, self._state_matches_params) for k, v in st.items()}
        for mine, theirs in zip(self.param_groups, groups):
            mine.update({k: copy.deepcopy(v) for k, v in theirs.items() if k != "params"})
        self.state = new_state
        for hook in list(getattr(self, "_optimizer_load_state_dict_post_hooks", {}).values()):
            hook(self)


Optimizer.step = _hooked_step(Optimizer.step)


def _detached(v: Any) -> Any:
    if isinstance(v, Tensor):
        return v.detach()
    if isinstance(v, (list, tuple)):
        return type(v)(_detached(x) for x in v)
    return v


def _array_of(v: Any) -> np.ndarray | None:
    """The array behind a saved state value: ours (Tensor), numpy's, or another library's tensor (PyTorch's)."""
    if isinstance(v, Tensor):
        return v._data
    if isinstance(v, np.ndarray):
        return v
    if hasattr(v, "detach") and hasattr(v, "numpy") and hasattr(v, "shape"):
        return np.asarray(v.detach().cpu().numpy())
    return None


def _cast_state(p: Tensor, key: Any, v: Any, index: Any, check_shape: bool) -> Any:
    """A copy of one saved state value: float arrays become Tensors in a float parameter's dtype (except 'step', a
    count), lists and dicts are copied item by item (L-BFGS keeps lists of history vectors)."""
    if isinstance(v, (list, tuple)):
        return type(v)(_cast_state(p, key, x, index, check_shape) for x in v)
    if isinstance(v, dict):
        return {k: _cast_state(p, k, x, index, check_shape) for k, x in v.items()}
    arr = _array_of(v)
    if arr is None:
        return copy.deepcopy(v)
    if key == "step":
        return int(arr) if arr.ndim == 0 and float(arr).is_integer() else float(arr)
    if arr.dtype.kind == "f" and p._data.dtype.kind == "f":
        arr = arr.astype(p._data.dtype)
    if check_shape and arr.ndim > 0 and arr.shape != p._data.shape:
        raise ValueError(f"load_state_dict: state {key!r} of parameter {index} has shape {list(arr.shape)} but the "
                         f"parameter has shape {list(p.shape)}")
    return ag.tensor(np.array(arr, copy=True))
