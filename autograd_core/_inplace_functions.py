"""PyTorch's top-level in-place functions: ``torch.exp_(t)`` is ``t.exp_()``, ``torch.clamp_(t, 0, 1)`` is
``t.clamp_(0, 1)``, ``torch.threshold_(t, 0.5, 0.0)`` is ``F.threshold(t, 0.5, 0.0, inplace=True)``.

Made from two tables rather than written one by one: ``METHOD_FORMS`` names those that call the Tensor method
of the same name, ``FUNCTIONAL_FORMS`` those whose in-place form is an activation or dropout with
``inplace=True`` (torch's argument order: ``dropout_(input, p, train)``). Each is the method or op itself, so
views, leaves and version counters behave as the method does. (rrelu_ uses nn's rrelu and is resolved
lazily by _toplevel_aliases.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import _grad_mode
from ._tensor import Tensor

METHOD_FORMS = (
    "abs_ acos_ acosh_ asin_ asinh_ atan_ atanh_ arccos_ arccosh_ arcsin_ arcsinh_ arctan_ arctanh_ ceil_ floor_ "
    "round_ trunc_ fix_ frac_ cos_ cosh_ sin_ sinh_ tan_ tanh_ sigmoid_ relu_ exp_ exp2_ expm1_ log_ log10_ log1p_ "
    "log2_ logit_ sqrt_ rsqrt_ square_ reciprocal_ neg_ negative_ erf_ erfc_ deg2rad_ rad2deg_ sinc_ xlogy_ gcd_ "
    "lcm_ ldexp_ nan_to_num_ clamp_ clamp_min_ clamp_max_ clip_ fill_ zero_ detach_ index_put_ resize_as_"
).split()


def _check(input: Any, name: str) -> Tensor:  # noqa: A002
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return input


def _method_form(name: str) -> Callable:
    def fn(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:  # noqa: A002
        return getattr(_check(input, name), name)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"In place: ``{name}(t, ...)`` is ``t.{name}(...)``."
    return fn


def _via_copy(input: Tensor, name: str, op: Callable, *args: Any) -> Tensor:  # noqa: A002
    """input = op(input, *args) written back through the recorded copy_ (as the in-place method twins: the op
    reads a clone, so its saved input is not the memory being overwritten)."""
    x = _check(input, name)
    record = _grad_mode.STATE.grad_enabled and x._rg
    return x.copy_(op(x.clone() if record else x.detach(), *args))


def selu_(input: Tensor) -> Tensor:  # noqa: A002
    """In place: input = selu(input)."""
    from .ops.activation import selu

    return _via_copy(input, "selu_", selu)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """In place: input = celu(input, alpha)."""
    from .ops.activation import celu

    return _via_copy(input, "celu_", celu, alpha)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:  # noqa: A002
    """In place: input = input where input > threshold, else value."""
    from .ops.activation import threshold as _threshold

    return _threshold(_check(input, "threshold_"), threshold, value, inplace=True)


# torch.<name>(input, p, train): (mask per element (0) or per (sample, channel) (2), alpha dropout)
DROPOUTS = {"dropout": (0, False), "alpha_dropout": (0, True), "feature_dropout": (2, False),
            "feature_alpha_dropout": (2, True)}


def _dropout_form(name: str, feature: int, alpha: bool) -> Callable:
    def fn(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
        from .ops.norm import _dropout_impl

        return _dropout_impl(_check(input, name), p, train, True, feature, alpha)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"In place: torch's ``{name}(input, p, train)`` (the dropout drawn into input's memory)."
    return fn


FUNCTIONAL_FORMS: dict[str, Callable] = {"selu_": selu_, "celu_": celu_, "threshold_": threshold_}
FUNCTIONAL_FORMS.update({f"{n}_": _dropout_form(f"{n}_", *fa) for n, fa in DROPOUTS.items()})

FUNCTIONS: dict[str, Callable] = {n: _method_form(n) for n in METHOD_FORMS}
FUNCTIONS.update(FUNCTIONAL_FORMS)
globals().update(FUNCTIONS)
__all__ = sorted(FUNCTIONS)
