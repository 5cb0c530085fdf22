"""Derivation cards: the matrix-calculus identity behind each linalg backward, checked on a random input.

The course derives gradients such as d(x^T A x)/dx = (A + A^T) x or d|K|/dK = |K| K^-T by hand. A
card states one identity, computes its right-hand side with plain numpy, and ``check()`` compares it
with (1) the gradient this engine's backward produces and (2) a central finite difference of the
left-hand side along a random direction. Ops with matrix outputs are scalarised with a random
cotangent G: d<G, f(A)>/dA is then the vector-Jacobian product the backward implements.

This module is the card machinery and the registry; the cards themselves are declared in ``linalg.py``
next to the ops they check, and registered here when it loads. So linalg imports this module and
this module never imports linalg.

    >>> import autograd_core as ag
    >>> print(ag.linalg.derivation("det").check())      # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ._creation import tensor
from ._engine import grad as _grad
from ._tensor import Tensor

Arrays = tuple[np.ndarray, ...]


@dataclass(frozen=True)
class CheckResult:
    name: str
    autograd_err: float  # max |engine gradient - formula| / max |formula|
    fd_err: float  # |<formula, D> - finite difference along D| / scale
    extra_err: float | None
    tol: float

    @property
    def ok(self) -> bool:
        errs = [self.autograd_err, self.fd_err] + ([self.extra_err] if self.extra_err is not None else [])
        return all(e <= self.tol for e in errs)

    def __str__(self) -> str:
        extra = f", side condition {self.extra_err:.1e}" if self.extra_err is not None else ""
        return (f"{self.name}: engine vs formula {self.autograd_err:.1e}, formula vs finite difference "
                f"{self.fd_err:.1e}{extra} -> {'OK' if self.ok else 'FAILED'} (tol {self.tol:.0e})")


@dataclass(frozen=True)
class Derivation:
    """One identity: ``statement`` is what the backward uses; ``source`` where the course derives it."""

    name: str
    statement: str
    inputs: Callable[[np.random.Generator], Arrays]  # random point (and constants) in the op's domain
    f: Callable[..., Tensor]  # scalar function of the inputs, written with autograd_core ops
    formula: Callable[..., Arrays]  # closed-form gradient, numpy only
    wrt: tuple[int, ...] = (0,)  # which inputs the formula differentiates
    symmetric: tuple[int, ...] = ()  # inputs restricted to symmetric matrices (perturbed symmetrically)
    source: str = ""
    extra: Callable[..., float] | None = field(default=None)  # a side condition, returns an error

    def check(self, seed: int = 0, tol: float = 1e-6) -> CheckResult:
        rng = np.random.default_rng(seed)
        xs = self.inputs(rng)
        ts = [tensor(x, requires_grad=i in self.wrt) for i, x in enumerate(xs)]
        engine = _grad(self.f(*ts), [ts[i] for i in self.wrt])
        want = self.formula(*xs)
        scale = max(float(np.max(np.abs(w))) for w in want) or 1.0
        ag_err = max(float(np.max(np.abs(e._data - w))) for e, w in zip(engine, want)) / scale
        # directional finite difference of the left-hand side
        dirs = []
        for i in self.wrt:
            d = rng.standard_normal(xs[i].shape)
            dirs.append((d + np.swapaxes(d, -1, -2)) / 2 if i in self.symmetric else d)
        eps = 1e-6

        def at(sign: float) -> float:
            moved = list(xs)
            for i, d in zip(self.wrt, dirs):
                moved[i] = xs[i] + sign * eps * d
            return float(self.f(*[tensor(m) for m in moved])._data)

        fd = (at(1.0) - at(-1.0)) / (2 * eps)
        lin = sum(float(np.sum(w * d)) for w, d in zip(want, dirs))
        fd_err = abs(fd - lin) / max(1.0, abs(lin))
        extra = self.extra(*xs) if self.extra is not None else None
        return CheckResult(self.name, ag_err, fd_err, extra, tol)

    def __str__(self) -> str:
        src = f"\n  course: {self.source}" if self.source else ""
        return f"{self.name}: {self.statement}{src}"


CARDS: dict[str, Derivation] = {}


def register(card: Derivation) -> Derivation:
    """Add ``card`` to CARDS under its name (a later card of the same name replaces it)."""
    CARDS[card.name] = card
    return card


def derivation(name: str) -> Derivation:
    try:
        return CARDS[name]
    except KeyError:
        raise KeyError(f"derivation: no card named {name!r}; available: {sorted(CARDS)}") from None
