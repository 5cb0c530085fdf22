"""Tearing the MPI job down when a rank fails, so that no rank waits forever on one that is gone: an uncaught
exception, or a collective that timed out, aborts the job (mpiexec then stops every rank)."""

from __future__ import annotations

import atexit
import sys
import time
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
    _let_the_launcher_forward_output()
    MPI.COMM_WORLD.Abort(1)


def _unread_bytes(fd: int) -> int | None:
    """Bytes written to the pipe behind ``fd`` that its reader has not taken yet (None: not a pipe, or unknown)."""
    try:
        import fcntl
        import os
        import stat
        import struct
        import termios

        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            return None
        return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
    except (OSError, ImportError, AttributeError, ValueError):
        return None


def _let_the_launcher_forward_output(limit: float = 3.0, grace: float = 0.2) -> None:
    """Wait (at most ``limit`` s) until the launcher has read this rank's stdout/stderr pipes, then ``grace`` s
    more. Why: MPI_Abort makes mpiexec kill every rank's proxy at once, and output still in a pipe (or in the proxy)
    is dropped, so the traceback that explains the abort went missing on loaded machines."""
    deadline = time.monotonic() + limit
    fds = []
    for stream in (sys.stdout, sys.stderr):
        try:
            fds.append(stream.fileno())
        except (OSError, ValueError, AttributeError):
            pass
    while time.monotonic() < deadline:
        if not any(_unread_bytes(fd) for fd in fds):
            break
        time.sleep(0.01)
    time.sleep(grace)


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
