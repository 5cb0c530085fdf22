"""Collectives of picklable Python objects (PyTorch's ``all_gather_object``, ``broadcast_object_list``).

As in PyTorch they unpickle what other ranks sent: use them only among processes you trust."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np

from ._check import agree
from ._common import root_rank
from ._group import resolve
from ._wait import wait


def _pickled(obj: Any) -> np.ndarray:
    # a writable copy: MPI's broadcast takes an in/out buffer
    return np.frombuffer(bytearray(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)), dtype=np.uint8)


def all_gather_object(object_list: list[Any], obj: Any, group: Any = None) -> None:
    """object_list[r] = rank r's ``obj`` (pickled), on every rank; object_list must have world size entries."""
    call = "all_gather_object"
    pg = resolve(group, call)
    if not isinstance(object_list, list) or len(object_list) != pg.size():
        raise ValueError(f"{call}: object_list must be a list of world size ({pg.size()}) entries, e.g. "
                         f"[None] * get_world_size(), got {type(object_list).__name__} of "
                         f"{len(object_list) if hasattr(object_list, '__len__') else '?'}")
    mine = _pickled(obj)
    sizes = agree(pg, call, payload=mine.size)
    every = np.empty(int(sizes.sum()), dtype=np.uint8)
    wait(pg._comm.Iallgatherv(mine, [every, [int(n) for n in sizes]]), pg, call, keep=(mine, every))
    ends = np.cumsum(sizes)
    for r in range(pg.size()):
        object_list[r] = pickle.loads(every[ends[r] - sizes[r]:ends[r]].tobytes())


def broadcast_object_list(object_list: list[Any], src: int | None = None, group: Any = None, device: Any = None,
                          group_src: int | None = None) -> None:
    """object_list[:] = rank ``src``'s object_list (pickled); every rank passes a list of the same length."""
    call = "broadcast_object_list"
    pg = resolve(group, call)
    root = root_rank(pg, call, src, group_src, "src")
    if not isinstance(object_list, list):
        raise TypeError(f"{call}: object_list must be a list, got {type(object_list).__name__}")
    data = _pickled(object_list) if pg.rank() == root else None
    sizes = agree(pg, call, root=root, shape=(len(object_list),), payload=0 if data is None else data.size)
    if data is None:
        data = np.empty(int(sizes[root]), dtype=np.uint8)
    wait(pg._comm.Ibcast(data, root=root), pg, call, keep=(data,))
    if pg.rank() != root:
        object_list[:] = pickle.loads(data.tobytes())
