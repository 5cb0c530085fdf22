"""What every collective does around its MPI call: check its arguments, find a contiguous buffer for each
tensor it writes, start the non-blocking operation, then wait or hand back a Work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._tensor import Tensor, bump_version
from ._work import Work


def tensor_arg(x: Any, call: str, what: str = "tensor") -> Tensor:
    """``x``, checked to be a Tensor."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{call}: {what} must be an autograd_core.Tensor, got {type(x).__name__}")
    return x


def tensor_list(xs: Any, call: str, what: str, n: int, like: Tensor) -> list[Tensor]:
    """``xs``: a list of ``n`` tensors of ``like``'s shape and dtype (one per rank)."""
    if not isinstance(xs, (list, tuple)):
        raise TypeError(f"{call}: {what} must be a list of tensors, got {type(xs).__name__}")
    if len(xs) != n:
        raise ValueError(f"{call}: {what} has {len(xs)} tensors but the group has {n} ranks: pass one tensor per "
                         "rank")
    for i, t in enumerate(xs):
        tensor_arg(t, call, f"{what}[{i}]")
        if t.shape != like.shape or t.dtype != like.dtype:
            raise ValueError(f"{call}: {what}[{i}] is {t._data.dtype.name} {list(t.shape)} but the tensor is "
                             f"{like._data.dtype.name} {list(like.shape)}: every tensor must have the same shape "
                             "and dtype")
    return list(xs)


def out_buffer(t: Tensor, call: str, what: str = "tensor") -> tuple[np.ndarray, bool]:
    """A C-contiguous array the collective may write ``t``'s result into: ``t``'s own memory when it is
    contiguous (then True: written in place), else a copy written back when the collective finishes."""
    a = t._data
    if not a.flags.writeable:
        raise RuntimeError(f"{call}: the {what} (shape {list(t.shape)}) is read-only, e.g. made by expand or "
                           "broadcast_to, and a collective writes into it: clone() it first")
    if a.flags.c_contiguous:
        return a, True
    return np.ascontiguousarray(a), False


def flat(a: np.ndarray) -> np.ndarray:
    """A 1-d view of a contiguous array (0-d arrays too), as MPI takes buffers."""
    return a.reshape(-1)


def root_rank(pg: Any, call: str, rank: int | None, group_rank: int | None, what: str,
              default: int | None = None) -> int:
    """The source/destination rank (``src``/``group_src``; one of them, or ``default``), checked."""
    if rank is not None and group_rank is not None:
        raise ValueError(f"{call}: can't specify both {what} and group_{what}")
    r = rank if rank is not None else group_rank if group_rank is not None else default
    if r is None:
        raise ValueError(f"{call}: Must specify {what} (or group_{what}): the rank that "
                         f"{'sends' if what == 'src' else 'receives'}")
    if not isinstance(r, (int, np.integer)) or not 0 <= r < pg.size():
        raise ValueError(f"{call}: {what}={r!r} is not a rank of the group (ranks 0..{pg.size() - 1})")
    return int(r)


def start(pg: Any, call: str, req: Any, finish: Callable[[], None] | None, async_op: bool,
          result: list | None = None, keep: tuple = ()) -> Work | None:
    """Hand back the operation: a Work for ``async_op``, else wait for it (and return None, as PyTorch).
    ``keep``: the temporary arrays the operation reads or writes, held until it completes."""
    work = Work(pg, call, req, finish, result, keep)
    if async_op:
        return work
    work.wait()
    return None


def written(t: Tensor, buf: np.ndarray, in_place: bool) -> None:
    """``t`` now holds the collective's result: copy it back if it went to a copy, and bump the version (so
    a backward that saved the old value raises instead of using the new one, as for any in-place op)."""
    if not in_place:
        np.copyto(t._data, buf)
    bump_version(t)
