"""Collectives without the agreement exchange, for callers that already guarantee every rank makes the same
calls with the same sizes (DistributedDataParallel: one model, checked once when it is wrapped)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._wait import wait
from ._work import Work


def allreduce_sum_start(pg: Any, buf: np.ndarray, call: str) -> Work:
    """Start buf = sum over ranks of buf (in place, a contiguous 1-d array); wait on the returned Work."""
    return Work(pg, call, pg._comm.Iallreduce(pg._mpi.IN_PLACE, buf, op=pg._mpi.SUM), keep=(buf,))


def broadcast_arrays(pg: Any, arrays: list[np.ndarray], src: int, call: str) -> None:
    """Every array = rank ``src``'s, in place: one broadcast per dtype of all of them packed together."""
    if pg.size() == 1:
        return
    by_dtype: dict[np.dtype, list[np.ndarray]] = {}
    for a in arrays:
        by_dtype.setdefault(a.dtype, []).append(a)
    for dt, group in by_dtype.items():
        packed = np.concatenate([a.reshape(-1) for a in group]) if group else np.empty(0, dt)
        wait(pg._comm.Ibcast(packed, root=src), pg, call, keep=(packed,))
        if pg.rank() != src:
            at = 0
            for a in group:
                a[...] = packed[at:at + a.size].reshape(a.shape)
                at += a.size
