"""The process group: ``init_process_group`` over MPI, the world's rank and size, and tearing the job down
when a rank fails (so that no rank waits forever on one that is gone).

MPI is imported here and only here, inside ``init_process_group``: ``from mpi4py import MPI`` initialises
MPI, which ``import autograd_core`` must never do.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from ._errors import not_initialized
from ._state import STATE
from ._teardown import install_teardown
from ._wait import wait

# PyTorch's default for its CPU backends (gloo, mpi): a rank that is gone is noticed after this long.
DEFAULT_TIMEOUT = timedelta(minutes=30)


class Backend(str):
    """Backend names (PyTorch's ``torch.distributed.Backend``). Here every CPU backend runs over MPI."""

    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    UCC = "ucc"
    MPI = "mpi"

    def __new__(cls, name: str) -> Backend:
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, got {name!r}")
        return str.__new__(cls, name.lower())


_CPU = ("mpi", "gloo")
_GPU = ("nccl", "ucc", "xccl", "hccl")


def _backend_name(backend: Any) -> str:
    """The backend we run for ``backend``: 'mpi' for None, 'mpi', 'gloo' (an alias) and 'cpu:gloo,cuda:nccl'."""
    if backend is None:
        return "mpi"
    if not isinstance(backend, str):
        raise TypeError(f"init_process_group: backend must be a string such as 'mpi' or 'gloo', got "
                        f"{type(backend).__name__}")
    names = [part.split(":")[-1].strip().lower() for part in backend.split(",")]
    if any(n in _CPU for n in names):
        return "mpi"
    if any(n in _GPU for n in names):
        raise RuntimeError(
            f"Distributed package doesn't have NCCL built in: init_process_group(backend={backend!r}) needs "
            "GPUs; autograd_core runs on CPUs over MPI. Use backend='mpi' (or 'gloo', an alias for it here).")
    raise ValueError(f"Invalid backend: '{backend}' (autograd_core.distributed offers 'mpi', and 'gloo' as an "
                     "alias for it)")


def timeout_seconds(timeout: Any, call: str) -> float | None:
    """``timeout`` (a datetime.timedelta, or None for the default) in seconds."""
    if timeout is None:
        return None
    if not isinstance(timeout, timedelta):
        raise TypeError(f"{call}: Expected timeout argument to be of type datetime.timedelta, got "
                        f"{type(timeout).__name__} (e.g. timeout=datetime.timedelta(seconds=30))")
    secs = timeout.total_seconds()
    if secs <= 0:
        raise ValueError(f"{call}: timeout must be positive, got {timeout!r}")
    return secs


class ProcessGroup:
    """The ranks a collective runs over: one MPI communicator of its own (a duplicate of COMM_WORLD), its
    timeout, and whether a timeout has left it unusable."""

    def __init__(self, mpi: Any, comm: Any, rank: int, size: int, timeout_s: float) -> None:
        self._mpi, self._comm, self.timeout_s = mpi, comm, timeout_s
        self._rank, self._size = rank, size
        self.broken: str | None = None  # the message of the timeout that broke it

    def rank(self) -> int:
        """This process's rank in the group."""
        return self._rank

    def size(self) -> int:
        """The number of ranks in the group."""
        return self._size

    def name(self) -> str:
        return "mpi"

    def __repr__(self) -> str:
        return f"ProcessGroup(backend='mpi', rank={self._rank}, size={self._size})"




class GroupMember:
    """``group.WORLD``: the default process group once ``init_process_group`` ran (None before)."""

    WORLD: ProcessGroup | None = None
    NON_GROUP_MEMBER = -100


group = GroupMember  # PyTorch's torch.distributed.group


def world(call: str) -> ProcessGroup:
    """The default process group; ``call`` made before ``init_process_group`` raises PyTorch's error."""
    pg = STATE.world
    if pg is None:
        raise not_initialized(call)
    return pg


def resolve(pg: Any, call: str) -> ProcessGroup:
    """The process group a collective runs over (None: the default one)."""
    if pg is None:
        pg = world(call)
    elif not isinstance(pg, ProcessGroup):
        raise TypeError(f"{call}: group must be a ProcessGroup (from new_group) or None, got {type(pg).__name__}")
    elif pg is not STATE.world:
        raise ValueError(f"{call}: this process group was destroyed (destroy_process_group); use the current one")
    if pg.broken is not None:
        from ._errors import DistBackendError

        raise DistBackendError(f"{call}: the process group is broken by an earlier timeout ({pg.broken})")
    return pg


def _mpi(call: str) -> Any:
    try:
        from mpi4py import MPI  # initialises MPI: only ever here
    except ImportError as e:
        raise RuntimeError(
            f"{call}: the MPI backend needs mpi4py and an MPI library: pip install 'autograd_core[distributed]' "
            f"(mpi4py and the mpich wheel), then launch with mpiexec -n N ({e})") from None
    return MPI


def _check_size(name: str, given: Any, actual: int) -> None:
    if given is None or given == -1:
        return
    if not isinstance(given, int) or given != actual:
        hint = (f"launch the program with `mpiexec -n {given} python ...`" if name == "world_size"
                else "pass rank=-1 (MPI numbers the processes) and read it back with get_rank()")
        raise ValueError(f"init_process_group: {name}={given!r} but MPI gave this process {name} {actual}: {hint}")


def init_process_group(backend: str | None = None, init_method: str | None = None, timeout: timedelta | None = None,
                       world_size: int = -1, rank: int = -1, store: Any = None, group_name: str = "",
                       pg_options: Any = None, device_id: Any = None) -> None:
    """Join this MPI job's process group (launch with ``mpiexec -n N python prog.py``): PyTorch's signature.

    ``backend``: 'mpi' (the default here); 'gloo', which ported CPU programs name, is accepted as an alias
    that runs over MPI; 'nccl' is refused (no GPUs). The launcher decides the ranks and the world size, so
    ``init_method`` and ``store`` are accepted and ignored, and ``world_size``/``rank``, when given, must
    agree with MPI's. ``timeout`` (default 30 minutes, as PyTorch's): a collective still incomplete after it
    raises DistBackendError and the job is aborted when the process exits. RANK, WORLD_SIZE, LOCAL_RANK and
    LOCAL_WORLD_SIZE are set in os.environ where unset (torchrun sets them; code may read them).
    """
    if STATE.world is not None:
        raise ValueError("trying to initialize the default process group twice!")
    _backend_name(backend)
    secs = timeout_seconds(timeout, "init_process_group")
    MPI = _mpi("init_process_group")  # noqa: N806 - the module's own name
    _check_size("world_size", world_size, MPI.COMM_WORLD.Get_size())
    _check_size("rank", rank, MPI.COMM_WORLD.Get_rank())
    w = MPI.COMM_WORLD
    # a communicator of our own, so the user's own MPI traffic on COMM_WORLD cannot match our collectives;
    # made without blocking, so a rank that never arrives is reported after the timeout, not waited for
    comm, req = w.Idup()
    secs = DEFAULT_TIMEOUT.total_seconds() if secs is None else secs
    pg = ProcessGroup(MPI, comm, w.Get_rank(), w.Get_size(), secs)
    if pg.size() > 1:
        install_teardown()  # before the first wait: a timeout there must abort the job at exit too
    wait(req, pg, "init_process_group")
    local_rank, local_size = _local_rank(pg)
    for key, val in (("RANK", pg.rank()), ("WORLD_SIZE", pg.size()), ("LOCAL_RANK", local_rank),
                     ("LOCAL_WORLD_SIZE", local_size)):
        os.environ.setdefault(key, str(val))
    STATE.world = GroupMember.WORLD = pg


def _local_rank(pg: ProcessGroup) -> tuple[int, int]:
    """This rank's number among the ranks on its machine, and their count (from the host names)."""
    import zlib

    import numpy as np

    host = np.array([zlib.crc32(pg._mpi.Get_processor_name().encode())], dtype=np.int64)
    hosts = np.empty(pg.size(), dtype=np.int64)
    wait(pg._comm.Iallgather(host, hosts), pg, "init_process_group", keep=(host, hosts))
    same = hosts == host[0]
    return int(same[:pg.rank()].sum()), int(same.sum())


def is_initialized() -> bool:
    """Whether ``init_process_group`` ran (and ``destroy_process_group`` did not since)."""
    return STATE.world is not None


def get_rank(group: ProcessGroup | None = None) -> int:
    """This process's rank (0 .. world size - 1)."""
    return resolve(group, "get_rank").rank()


def get_world_size(group: ProcessGroup | None = None) -> int:
    """The number of processes in the group."""
    return resolve(group, "get_world_size").size()


def get_backend(group: ProcessGroup | None = None) -> Backend:
    """'mpi': what runs here, also when the program asked for 'gloo'."""
    resolve(group, "get_backend")
    return Backend("mpi")


def get_process_group_ranks(group: ProcessGroup | None) -> list[int]:
    """The global ranks of the group's members (here always every rank)."""
    return list(range(resolve(group, "get_process_group_ranks").size()))


def get_global_rank(group: ProcessGroup | None, group_rank: int) -> int:
    """The global rank of ``group_rank`` (the same number: every group is the whole world)."""
    resolve(group, "get_global_rank")
    return group_rank


def get_group_rank(group: ProcessGroup | None, global_rank: int) -> int:
    """The rank in ``group`` of ``global_rank`` (the same number: every group is the whole world)."""
    resolve(group, "get_group_rank")
    return global_rank


def new_group(ranks: list[int] | None = None, timeout: timedelta | None = None, backend: str | None = None,
              pg_options: Any = None, use_local_synchronization: bool = False, group_desc: str | None = None,
              device_id: Any = None) -> ProcessGroup:
    """A process group over ``ranks``: minimal here, only the whole world (ranks=None or every rank)."""
    pg = world("new_group")
    if ranks is not None and sorted(ranks) != list(range(pg.size())):
        raise NotImplementedError(
            f"new_group: only the whole world is supported here (ranks=None or all of 0..{pg.size() - 1}), got "
            f"ranks={list(ranks)}; sub-groups are not implemented")
    return pg


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Leave the process group; ``init_process_group`` may be called again afterwards."""
    pg = world("destroy_process_group")
    if group is not None and group is not pg:
        raise ValueError("Invalid process group specified")
    if pg.broken is None:
        pg._comm.Free()
    STATE.world = GroupMember.WORLD = None
