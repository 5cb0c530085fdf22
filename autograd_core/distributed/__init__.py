"""``autograd_core.distributed``: PyTorch's ``torch.distributed`` names over MPI (mpi4py), for data-parallel
training on many processes, on one machine or many.

Launch with MPI's launcher, ``mpiexec -n 4 python train.py``, and call ``init_process_group()`` (backend
'mpi'; 'gloo' is accepted as an alias, 'nccl' refused). Collectives write into their tensors in place, as
PyTorch's do; every one first checks, in a small exchange, that every rank makes the same call with the same
shapes and dtypes (a mismatch raises on every rank instead of hanging), and a rank that never arrives is
reported after the group's timeout (a DistBackendError), after which the job is aborted. ``new_group`` is
minimal: only the whole world.

``import autograd_core`` never loads MPI: mpi4py is imported by ``init_process_group`` only.
"""

from __future__ import annotations

import importlib.util

from ._errors import DistBackendError, DistError, NotInitializedError
from ._group import (
    Backend,
    GroupMember,
    ProcessGroup,
    destroy_process_group,
    get_backend,
    get_global_rank,
    get_group_rank,
    get_process_group_ranks,
    get_rank,
    get_world_size,
    group,
    init_process_group,
    is_initialized,
    new_group,
)
from ._objects import all_gather_object, broadcast_object_list
from ._reduce_op import ReduceOp
from ._work import Work
from .collectives import (
    all_gather,
    all_gather_into_tensor,
    all_reduce,
    barrier,
    broadcast,
    gather,
    reduce,
    reduce_scatter,
    reduce_scatter_tensor,
    scatter,
)


def is_available() -> bool:
    """Whether the MPI backend can run (mpi4py is installed); checks without importing it."""
    return importlib.util.find_spec("mpi4py") is not None


def is_mpi_available() -> bool:
    """Whether the MPI backend can run (mpi4py is installed)."""
    return is_available()


def is_gloo_available() -> bool:
    """Whether backend 'gloo' can be asked for: here it is an alias of 'mpi'."""
    return is_available()


def is_nccl_available() -> bool:
    """False: no GPUs here."""
    return False


def is_torchelastic_launched() -> bool:
    """False: jobs are launched by mpiexec, not torchrun."""
    return False


__all__ = ["Backend", "DistBackendError", "DistError", "GroupMember", "NotInitializedError", "ProcessGroup",
           "ReduceOp", "Work", "all_gather", "all_gather_into_tensor", "all_gather_object", "all_reduce",
           "barrier", "broadcast", "broadcast_object_list", "destroy_process_group", "gather", "get_backend",
           "get_global_rank", "get_group_rank", "get_process_group_ranks", "get_rank", "get_world_size", "group",
           "init_process_group", "is_available", "is_gloo_available", "is_initialized", "is_mpi_available",
           "is_nccl_available", "is_torchelastic_launched", "new_group", "reduce", "reduce_scatter",
           "reduce_scatter_tensor", "scatter"]
