"""Fused optimiser updates: one pass over (param, grad, state) instead of a numpy temporary per term.

Flat, C-contiguous float arrays of one dtype; the update happens in place. The numpy twin does
the same arithmetic in the same order (so both agree with PyTorch's single-tensor formulas).
"""

from __future__ import annotations

from numba import prange

from ._cache import cached_njit

_PARALLEL_MIN = 1 << 15  # below this many elements a thread launch costs more than it saves


def _sgd_body(p, g, buf, lr, mu, damp, wd, nesterov, maximize, first):
    for i in prange(p.size):
        gi = -g[i] if maximize else g[i]
        if wd != 0.0:
            gi = gi + wd * p[i]
        if mu != 0.0:
            b = gi if first else buf[i] * mu + (1.0 - damp) * gi
            buf[i] = b
            gi = gi + mu * b if nesterov else b
        p[i] = p[i] - lr * gi


_sgd_par = cached_njit(parallel=True, error_model="numpy")(_sgd_body)
_sgd_ser = cached_njit(error_model="numpy")(_sgd_body)


def sgd_step_numba(p, g, buf, lr, mu, damp, wd, nesterov, maximize, first):
    """p, g, buf: flat arrays (buf unused when mu == 0); ``first``: buf is initialised to g."""
    fn = _sgd_par if p.size >= _PARALLEL_MIN else _sgd_ser
    dt = p.dtype.type
    fn(p, g, buf, dt(lr), dt(mu), dt(damp), dt(wd), bool(nesterov), bool(maximize), bool(first))


def sgd_step_reference(p, g, buf, lr, mu, damp, wd, nesterov, maximize, first):
    gi = -g if maximize else g
    if wd != 0:
        gi = gi + wd * p
    if mu != 0:
        if first:
            buf[...] = gi
        else:
            buf *= mu
            buf += (1 - damp) * gi
        gi = gi + mu * buf if nesterov else buf
    p -= lr * gi


NUMBA = {"sgd_step": sgd_step_numba}
REFERENCE = {"sgd_step": sgd_step_reference}
