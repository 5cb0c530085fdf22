"""``autograd_core.multiprocessing``: the stdlib's ``multiprocessing`` plus shared tensors (PyTorch's module).

Every name of ``multiprocessing`` (``Process``, ``Queue``, ``Pool``, ``get_context``, ``set_start_method``...)
is re-exported. Importing this module installs the reductions that send shared tensors
(``Tensor.share_memory_()``, ``Module.share_memory()``) between processes by handle, with the 'fork' and
'spawn' start methods alike, so several processes can train one model in place (Hogwild!). ``spawn`` /
``start_processes`` run ``fn(i, *args)`` in a group of processes and raise the first failure.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing import *  # noqa: F403 - re-exported, as PyTorch's module does

from .. import _shared_memory
from .spawn import (
    ProcessContext,
    ProcessException,
    ProcessExitedException,
    ProcessRaisedException,
    SpawnContext,
    spawn,
    start_processes,
)

__all__ = ["set_sharing_strategy", "get_sharing_strategy", "get_all_sharing_strategies", "init_reductions",
           "spawn", "start_processes", "ProcessContext", "ProcessException", "ProcessRaisedException",
           "ProcessExitedException", "SpawnContext", *multiprocessing.__all__]

# Named shared-memory blocks (/dev/shm) are PyTorch's "file_system" strategy; its fd-passing
# "file_descriptor" strategy is not implemented.
_STRATEGIES = {"file_system"}
_strategy = "file_system"


def set_sharing_strategy(new_strategy: str) -> None:
    """Choose how shared tensors travel between processes; only 'file_system' (named blocks) exists here."""
    global _strategy
    if new_strategy not in _STRATEGIES:
        raise ValueError(f"set_sharing_strategy: unknown strategy {new_strategy!r}; this package implements only "
                         f"'file_system' (named shared-memory blocks), use that (or leave the default)")
    _strategy = new_strategy


def get_sharing_strategy() -> str:
    """The current sharing strategy ('file_system')."""
    return _strategy


def get_all_sharing_strategies() -> set[str]:
    """The strategies ``set_sharing_strategy`` accepts."""
    return set(_STRATEGIES)


def init_reductions() -> None:
    """Install the shared-tensor reductions in multiprocessing's pickler, for every Tensor class (idempotent)."""
    _shared_memory.register_all()
