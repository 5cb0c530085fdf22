"""Which implementation of each kernel the ops call: numba (default) or the numpy reference."""

from __future__ import annotations

import os
from collections.abc import Callable

_CHOICES = ("numba", "reference")
_current = os.environ.get("AUTOGRAD_CORE_KERNELS", "numba").strip().lower() or "numba"
if _current not in _CHOICES:
    raise ValueError(
        f"AUTOGRAD_CORE_KERNELS={_current!r} is not a kernel backend; use one of {', '.join(_CHOICES)}"
    )


def use(name: str) -> str:
    """Select the kernel implementation ('numba' or 'reference'); returns the previous one."""
    global _current
    name = name.strip().lower()
    if name not in _CHOICES:
        raise ValueError(f"kernels.use: unknown backend {name!r}; choose one of {', '.join(_CHOICES)}")
    prev, _current = _current, name
    return prev


def backend() -> str:
    """The kernel implementation in use."""
    return _current


_TABLES: dict[str, dict[str, Callable]] = {}


def _table(which: str) -> dict[str, Callable]:
    """Every kernel of one implementation by name, merged once (``get`` is on the hot path of each op)."""
    table = _TABLES.get(which)
    if table is None:
        from . import conv, norm, optim, pool, recurrent, scatter, special

        table = {}
        for mod in (conv, pool, norm, special, optim, recurrent, scatter):
            table.update(getattr(mod, "NUMBA" if which == "numba" else "REFERENCE"))
        _TABLES[which] = table
    return table


def get(name: str) -> Callable:
    """The kernel called ``name`` in the current implementation."""
    impl = _table(_current).get(name)
    if impl is None:
        raise KeyError(f"no kernel named {name!r}")
    return impl


def warmup(dtypes: tuple = ("float32", "float64")) -> None:
    """Compile (or load from numba's cache) every numba kernel for the given dtypes."""
    import numpy as np

    from . import conv, norm, optim, pool, recurrent, scatter, special

    for dt in dtypes:
        special.NUMBA["erf"](np.zeros(2, dtype=dt))
        for size in (2, optim._PARALLEL_MIN):
            z = np.zeros(size, dtype=dt)
            optim.NUMBA["sgd_step"](z, z, z.copy(), 0.1, 0.9, 0.0, 0.0, False, False, False)
        x = np.zeros((1, 1, 4, 4), dtype=dt)
        cols = conv.NUMBA["im2col"](x, 2, 2, 1, 1, 1, 1, 1, 1, 5, 5)
        conv.NUMBA["col2im"](cols, 1, 4, 4, 2, 2, 1, 1, 1, 1, 1, 1, 5, 5)
        # max-pool has three forward kernels: 2x2/2 windows, other windows inside the image, the general one
        pool.NUMBA["max_pool_forward"](x, 3, 3, 1, 1, 0, 0, 1, 1, 2, 2)
        pool.NUMBA["max_pool_forward"](x, 2, 2, 2, 2, 1, 1, 1, 1, 3, 3)
        vals, idx = pool.NUMBA["max_pool_forward"](x, 2, 2, 2, 2, 0, 0, 1, 1, 2, 2)
        pool.NUMBA["max_pool_backward"](vals, idx, 4, 4)
        pool.NUMBA["avg_pool_forward"](x, 2, 2, 2, 2, 0, 0, 2, 2, True, 0)
        pool.NUMBA["avg_pool_backward"](vals, 4, 4, 2, 2, 2, 2, 0, 0, True, 0)
        for x3 in (x.reshape(1, 1, 16), x.reshape(2, 8, 1)):  # BatchNorm's wide and narrow kernels
            ones = np.ones(x3.shape[1], dtype=dt)
            y, mean, invstd = norm.NUMBA["batch_norm_forward"](x3, ones, ones, 1e-5, ones.copy(), ones.copy())
            norm.NUMBA["batch_norm_backward"](y, x3, mean, invstd, ones)
        # one LSTM step forward and backward (the forward is compiled for float32 only; see recurrent.py)
        z4, z1 = np.zeros((1, 4), dtype=dt), np.zeros((1, 1), dtype=dt)
        recurrent.NUMBA["lstm_forward_step"](z4, z4, z4[0], 0, 1, z1, z1.copy(), z1.copy(), z1.copy())
        recurrent.NUMBA["lstm_backward_step"](z4, z1, z1, z1, 0, 1, z1.copy(), z1.copy(), z4.copy())
        for it in (np.int64, np.int32):  # an embedding's backward, for both index widths
            scatter.NUMBA["index_add_rows"](z4.copy(), np.zeros(1, it), z4)
