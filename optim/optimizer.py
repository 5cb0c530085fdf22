"""The ``Optimizer`` base class: parameter groups, per-parameter state, state dicts.

A subclass is ``__init__`` (validate hyper-parameters, call ``super().__init__(params, defaults)``)
plus ``_update(group)``, the rule that moves every parameter of one group. ``step`` runs the
rules under ``no_grad``, in place on the parameters' arrays.
"""

from __future__ import annotations

import copy
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core._tensor import bump_version


def check_non_negative(label: str, value: Any) -> None:
    """PyTorch's hyper-parameter check and message ("Invalid learning rate: nan").

    Written ``not 0 <= value`` rather than ``value < 0`` so that NaN, for which every comparison is
    False, is refused too instead of silently turning every parameter into NaN at the first step."""
    if not 0.0 <= value:
        raise ValueError(f"Invalid {label}: {value} (must be a number >= 0)")


def _mark_called(step: Callable) -> Callable:
    @functools.wraps(step)
    def wrapper(self: Optimizer, *args: Any, **kwargs: Any) -> Any:
        self._opt_called = True  # read by the LR schedulers' "stepped before the optimiser" warning
        return step(self, *args, **kwargs)

    wrapper._wrapped_by_lr_sched = True
    return wrapper


class Optimizer:
    """Base class: holds ``param_groups`` (list of dicts with 'params' and hyper-parameters) and ``state``."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = _mark_called(cls.__dict__["step"])

    def __init__(self, params: Iterable[Any], defaults: dict) -> None:
        self.defaults = defaults
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

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {g[k]}" for k in sorted(g) if k != "params")
        return "\n".join(lines) + "\n)"

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own hyper-parameters (missing ones take the defaults)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of "
                            "tensors in sets will change between runs. Please use a list instead.")
        params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
            if p.grad_fn is not None:
                raise ValueError("can't optimize a non-leaf Tensor (call .detach().requires_grad_() on it to make a "
                                 "leaf)")
        group = dict(param_group, params=params)
        for k, v in self.defaults.items():
            group.setdefault(k, v)
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
        self._opt_called = True
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

    # ------------------------------------------------------------------ state dicts
    def state_dict(self) -> dict:
        """{'state': {index: {name: value}}, 'param_groups': [{hyper-parameters, 'params': [indices]}]}."""
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
                    state[index[id(p)]] = {k: (v.detach() if isinstance(v, Tensor) else v)
                                           for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyper-parameters and per-parameter state (copied, cast to each parameter's dtype)."""
        groups = state_dict.get("param_groups")
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
            entry = {}
            for k, v in st.items():
                if isinstance(v, Tensor) or isinstance(v, np.ndarray):
                    arr = v._data if isinstance(v, Tensor) else v
                    if k != "step" and arr.dtype.kind == "f":
                        arr = arr.astype(p._data.dtype)
                    if k != "step" and arr.shape != p._data.shape and arr.ndim > 0:
                        raise ValueError(f"load_state_dict: state {k!r} of parameter {i} has shape "
                                         f"{list(arr.shape)} but the parameter has shape {list(p.shape)}")
                    entry[k] = ag.tensor(np.array(arr, copy=True)) if k != "step" else (
                        int(arr) if arr.ndim == 0 and float(arr).is_integer() else float(arr))
                else:
                    entry[k] = copy.deepcopy(v)
            new_state[p] = entry
        for mine, theirs in zip(self.param_groups, groups):
            mine.update({k: copy.deepcopy(v) for k, v in theirs.items() if k != "params"})
        self.state = new_state
