"""Tearing the MPI job down when a rank fails, so that no rank waits forever on one that is gone: an uncaught
exception, or a collective that timed out, aborts the job (mpiexec then stops every rank)."""

from __future__ import annotations

import atexit
import sys
from typing import Any

from ._state import STATE


def abort(reason: str) -> None:
    """Abort the whole MPI job: the launcher (mpiexec) then stops every rank."""
    if STATE.aborting:
        return  # MPI_Abort may run Python's exit handlers on its way out: abort once
    STATE.aborting = True
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    from mpi4py import MPI

    rank = MPI.COMM_WORLD.Get_rank()
    print(f"autograd_core.distributed: rank {rank}: aborting the MPI job ({reason}); the launcher stops the "
          "other ranks", file=sys.stderr, flush=True)
    MPI.COMM_WORLD.Abort(1)


def install_teardown() -> None:
    """An uncaught exception on one rank, or a timeout, aborts the job: otherwise the other ranks would wait
    in their next collective until the timeout (and MPI_Finalize at exit can hang on a broken communicator)."""
    if STATE.teardown_installed:
        return
    STATE.teardown_installed = True
    previous = sys.excepthook

    def excepthook(tp: type, value: BaseException, tb: Any) -> None:
        previous(tp, value, tb)
        abort(f"uncaught {tp.__name__}")

    sys.excepthook = excepthook
    atexit.register(_at_exit)


def _at_exit() -> None:
    if STATE.broken is not None:
        abort("a collective timed out")
