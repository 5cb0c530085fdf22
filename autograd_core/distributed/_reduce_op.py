"""``ReduceOp``: how a reducing collective combines the ranks' values (PyTorch's names and numbers)."""

from __future__ import annotations

import enum
from typing import Any

import numpy as np


class ReduceOp(enum.Enum):
    """SUM, AVG (the mean over ranks, floating point only), PRODUCT, MIN, MAX, and BAND/BOR/BXOR (integers and
    bools)."""

    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7


def mpi_op(op: Any, dtype: np.dtype, call: str, mpi: Any) -> Any:
    """The MPI reduction for ``op`` on ``dtype`` (AVG is a SUM divided afterwards)."""
    if not isinstance(op, ReduceOp):
        raise TypeError(f"{call}: op must be a ReduceOp (e.g. ReduceOp.SUM), got {op!r}")
    kind = np.dtype(dtype).kind
    if kind == "b":
        # MPI reduces bools with its logical ops; a sum or max of bools is their OR, a product or min their AND
        table = {ReduceOp.SUM: mpi.LOR, ReduceOp.MAX: mpi.LOR, ReduceOp.BOR: mpi.LOR, ReduceOp.PRODUCT: mpi.LAND,
                 ReduceOp.MIN: mpi.LAND, ReduceOp.BAND: mpi.LAND, ReduceOp.BXOR: mpi.LXOR}
        if op in table:
            return table[op]
    elif op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR):
        if kind in "iu":
            return {ReduceOp.BAND: mpi.BAND, ReduceOp.BOR: mpi.BOR, ReduceOp.BXOR: mpi.BXOR}[op]
    elif op is ReduceOp.AVG:
        if kind in "fc":
            return mpi.SUM
    elif op in (ReduceOp.MIN, ReduceOp.MAX) and kind == "c":
        pass
    else:
        return {ReduceOp.SUM: mpi.SUM, ReduceOp.PRODUCT: mpi.PROD, ReduceOp.MIN: mpi.MIN, ReduceOp.MAX: mpi.MAX}[op]
    raise ValueError(f"{call}: ReduceOp.{op.name} is not defined for a {np.dtype(dtype).name} tensor (AVG needs a "
                     "floating-point tensor, BAND/BOR/BXOR integers or bools, MIN/MAX real numbers)")
