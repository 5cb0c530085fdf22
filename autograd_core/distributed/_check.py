"""The ranks agree before a collective: a fixed-size metadata exchange (one Iallgather of 8 int64 per rank,
a few microseconds on one machine) that every public collective makes first.

It turns the mistakes that make MPI hang or corrupt memory (ranks passing tensors of different shapes or
dtypes, different ops or roots, or calling different collectives) into the same clear error on every rank,
and it doubles as the arrival check of ``barrier``.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

from ._wait import wait

_KINDS = ("barrier", "all_reduce", "broadcast", "reduce", "all_gather", "all_gather_into_tensor", "reduce_scatter",
          "reduce_scatter_tensor", "gather", "scatter", "all_gather_object", "broadcast_object_list",
          "DistributedDataParallel")


def _crc(text: str) -> int:
    return zlib.crc32(text.encode())


def _exchange(pg: Any, call: str, meta: list[int], deadline: float | None) -> np.ndarray:
    """Every rank's 8 metadata numbers (the same format for every call, so that ranks in different calls still
    exchange matching messages and find out)."""
    mine = np.array(meta, dtype=np.int64)
    every = np.empty((pg.size(), mine.size), dtype=np.int64)
    wait(pg._comm.Iallgather(mine, every), pg, call, deadline, (mine, every))
    return every


def agree(pg: Any, call: str, *, op: Any = None, root: int = -1, dtype: Any = None, shape: tuple = (),
          payload: int = 0, deadline: float | None = None) -> np.ndarray:
    """Check that every rank makes the same ``call`` with the same op, root, dtype and shape; return every
    rank's ``payload`` (a number each rank may choose freely, e.g. a byte count). Raises on every rank alike."""
    if pg.size() == 1:
        return np.array([payload], dtype=np.int64)
    dt = "" if dtype is None else np.dtype(dtype).str
    every = _exchange(pg, call, [_KINDS.index(call), -1 if op is None else op.value, root, _crc(dt), len(shape),
                                 int(np.prod(shape, dtype=np.int64)), _crc(repr(tuple(shape))), payload], deadline)
    if (every[:, :-1] != every[0, :-1]).any():
        # every rank saw the same table, so every rank takes this path: a blocking exchange is safe here
        seen = pg._comm.allgather((_describe(call, op, root, dtype, shape), None))
        raise RuntimeError(mismatch([d for d, _ in seen]))
    return every[:, -1].copy()


def _describe(call: str, op: Any, root: int, dtype: Any, shape: tuple) -> str:
    parts = [] if op is None else [f"op=ReduceOp.{op.name}"]
    if root >= 0:
        parts.append(f"{'src' if call in ('broadcast', 'scatter', 'broadcast_object_list') else 'dst'}={root}")
    if dtype is not None:
        parts.append(f"tensor {np.dtype(dtype).name} {list(shape)}")
    elif call == "broadcast_object_list":
        parts.append(f"a list of {shape[0]} objects")
    return f"{call}({', '.join(parts)})"


def mismatch(descs: list[str]) -> str:
    """The message for ranks that made different calls: which ranks made which (PyTorch's opening words)."""
    by: dict[str, list[int]] = {}
    for r, d in enumerate(descs):
        by.setdefault(d, []).append(r)
    seen = "; ".join(f"rank{'s' if len(rs) > 1 else ''} {', '.join(map(str, rs))} called {d}" for d, rs in by.items())
    return (f"Detected mismatch between collectives on ranks: {seen}. Every rank must make the same collective "
            "calls in the same order, with tensors of the same shape and dtype and the same op and src/dst.")


def check_same(pg: Any, call: str, items: list[str]) -> None:
    """Check that every rank holds the same list of ``items`` (e.g. a model's parameter names and shapes);
    on a difference, name the first item that differs and the ranks."""
    if pg.size() == 1:
        return
    every = _exchange(pg, call, [_KINDS.index(call), -1, -1, _crc("\n".join(items)), len(items), 0, 0, 0], None)
    if (every != every[0]).any():
        seen = pg._comm.allgather((f"{call}(a model of {len(items)} tensors)", items))
        if any(lst is None for _, lst in seen):
            raise RuntimeError(mismatch([d for d, _ in seen]))
        lists = [lst for _, lst in seen]
        k = next(i for i in range(max(map(len, lists))) if len({tuple(lst[i:i + 1]) for lst in lists}) > 1)
        diff = "; ".join(f"rank {r}: {lst[k] if k < len(lst) else '(none)'}" for r, lst in enumerate(lists))
        raise RuntimeError(f"{call}: the ranks hold different models; the first difference is tensor {k}: {diff} "
                           f"(tensors per rank: {', '.join(str(len(lst)) for lst in lists)}). Every rank must build "
                           "the same model.")
