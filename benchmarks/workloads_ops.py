"""Per-op overhead: a chain of 100 elementwise ops (add, mul, tanh) then sum().backward().

Time per op = (forward + backward of the whole chain) / 100. Tiny tensors make this the cost of
the engine itself (graph recording, dispatch, the backward loop), not of the arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import engines
from .op_chain import N_OPS, chain, inputs

# N_OPS and chain are re-exported: registry labels the workload with wo.N_OPS
__all__ = ["N_OPS", "chain", "make_chain", "make_scaling"]


def _grad_tensors(lib, arrays):
    return tuple(lib.tensor(v, requires_grad=True) for v in arrays)


def make_chain(engine: str, n: int) -> tuple[Callable, Callable]:
    """The chain on (n, n) float32 tensors, for any engine with an adapter."""
    if engine in ("ag", "torch"):
        if engine == "ag":
            import autograd_core as lib
        else:
            import torch as lib
        x, a, b = _grad_tensors(lib, inputs(n))

        def step():
            x.grad = a.grad = b.grad = None
            chain(x, a, b).sum().backward()
            return x.grad

        return step, lambda: [step().numpy()]
    make = {"numpy": engines.chain_numpy_floor, "mygrad": engines.chain_mygrad, "hips": engines.chain_hips,
            "micrograd": engines.chain_micrograd, "tinygrad": engines.chain_tinygrad}.get(engine)
    if make is None:
        raise engines.Unsupported(f"no per-op adapter for {engine}")
    return make(n)


def make_scaling(engine: str, n_ops: int) -> tuple[Callable, Callable]:
    """A chain of n_ops alternating y * 1.0001 and y + 0.001 on a (4, 4) tensor, then sum().backward():
    the backward pass's time per op should not grow with the graph."""
    if engine not in ("ag", "torch"):
        raise engines.Unsupported("graph-size scaling is measured for autograd_core and PyTorch")
    if engine == "ag":
        import autograd_core as lib
    else:
        import torch as lib
    x = lib.tensor(np.random.default_rng(0).standard_normal((4, 4)).astype(np.float32), requires_grad=True)

    def step():
        x.grad = None
        y = x
        for i in range(n_ops):
            y = y * 1.0001 if i % 2 == 0 else y + 0.001
        y.sum().backward()
        return x.grad

    return step, lambda: [step().numpy()]
