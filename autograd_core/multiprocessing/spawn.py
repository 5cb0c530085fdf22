"""``spawn`` / ``start_processes``: run ``fn(i, *args)`` in ``nprocs`` processes and surface the first failure.

A child that raises writes its traceback to a private file and exits with code 1; the parent's
``ProcessContext.join`` waits on the processes' sentinels, and at the first failure terminates the rest and
raises ``ProcessRaisedException`` (with the child's traceback) or, for a child that died by a signal or
exited non-zero without raising, ``ProcessExitedException`` - PyTorch's classes, attributes and messages.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import secrets
import signal
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["ProcessContext", "ProcessException", "ProcessExitedException", "ProcessRaisedException", "spawn",
           "start_processes"]


class ProcessException(Exception):
    """A process of ``spawn`` / ``start_processes`` failed: ``error_index`` is its index, ``error_pid`` its pid."""

    def __init__(self, msg: str, error_index: int, error_pid: int) -> None:
        super().__init__(msg)
        self.msg = msg
        self.error_index = error_index
        self.error_pid = error_pid

    def __reduce__(self) -> tuple:
        return type(self), (self.msg, self.error_index, self.error_pid)


class ProcessRaisedException(ProcessException):
    """The process's function raised; the message carries its traceback."""


class ProcessExitedException(ProcessException):
    """The process died by a signal (``signal_name``) or exited with a non-zero ``exit_code`` without raising."""

    def __init__(self, msg: str, error_index: int, error_pid: int, exit_code: int,
                 signal_name: str | None = None) -> None:
        super().__init__(msg, error_index, error_pid)
        self.exit_code = exit_code
        self.signal_name = signal_name

    def __reduce__(self) -> tuple:
        return type(self), (self.msg, self.error_index, self.error_pid, self.exit_code, self.signal_name)


def _die_with_parent() -> None:
    # Linux: a child whose parent dies gets SIGINT instead of living on as an orphan (no effect elsewhere)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGINT))  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def _run(fn: Callable[..., Any], i: int, args: tuple, error_file: str) -> None:
    """The child's entry point: ``fn(i, *args)``; an exception's traceback goes to ``error_file``, exit code 1."""
    _die_with_parent()
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass  # the parent interrupting the group (SIGINT), not a failure of fn
    except Exception:  # noqa: BLE001 - any failure of user code is reported to the parent
        with open(error_file, "w", encoding="utf-8") as fh:
            fh.write(traceback.format_exc())
        sys.exit(1)


def _signal_name(exitcode: int) -> str:
    try:
        return signal.Signals(-exitcode).name
    except ValueError:
        return f"<Unknown signal {-exitcode}>"


class ProcessContext:
    """The processes started by ``start_processes``; ``join()`` waits for them and raises the first failure."""

    def __init__(self, processes: list, error_files: list[str]) -> None:
        self.processes = processes
        self.error_files = error_files
        self.sentinels = {p.sentinel: i for i, p in enumerate(processes)}

    def pids(self) -> list[int]:
        """The processes' ids, by index."""
        return [int(p.pid) for p in self.processes]

    def _join_all(self, timeout: float) -> None:
        end = time.monotonic() + timeout
        for p in self.processes:
            p.join(max(0.0, end - time.monotonic()))

    def join(self, timeout: float | None = None, grace_period: float | None = None) -> bool:
        """Wait (up to ``timeout`` s) for processes to end: True once all ended well, False while some still run.

        At the first failure, the others get ``grace_period`` s to end, then SIGTERM, then SIGKILL, and the
        failure is raised as ``ProcessRaisedException`` or ``ProcessExitedException``."""
        if not self.sentinels:
            return True
        failed = None
        for sentinel in multiprocessing.connection.wait(list(self.sentinels), timeout=timeout):
            i = self.sentinels.pop(sentinel)
            self.processes[i].join()
            if self.processes[i].exitcode != 0:
                failed = i
                break
        if failed is None:
            if not self.sentinels:
                self._remove_error_files()
            return not self.sentinels
        self._stop_others(grace_period)
        raise self._failure(failed)

    def _stop_others(self, grace_period: float | None) -> None:
        if grace_period is not None:
            self._join_all(grace_period)
        for p in self.processes:
            if p.is_alive():
                p.terminate()
        self._join_all(30.0 if grace_period is None else grace_period)
        for p in self.processes:
            if p.is_alive():
                p.kill()
            p.join()
        self.sentinels.clear()

    def _failure(self, i: int) -> ProcessException:
        proc, path = self.processes[i], self.error_files[i]
        try:
            with open(path, encoding="utf-8") as fh:
                trace = fh.read()
        except FileNotFoundError:
            trace = None
        self._remove_error_files()
        if trace is not None:
            return ProcessRaisedException(f"\n\n-- Process {i:d} terminated with the following error:\n{trace}",
                                          i, proc.pid)
        code = proc.exitcode
        if code < 0:
            name = _signal_name(code)
            return ProcessExitedException(f"process {i:d} terminated with signal {name}", i, proc.pid,
                                          exit_code=code, signal_name=name)
        return ProcessExitedException(f"process {i:d} terminated with exit code {code:d}", i, proc.pid,
                                      exit_code=code)

    def _remove_error_files(self) -> None:
        for path in self.error_files:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass


class SpawnContext(ProcessContext):
    """PyTorch's old name for ``ProcessContext`` (deprecated there since 1.4)."""

    def __init__(self, processes: list, error_files: list[str]) -> None:
        warnings.warn("SpawnContext is renamed to ProcessContext since 1.4 release.", stacklevel=2)
        super().__init__(processes, error_files)


def start_processes(fn: Callable[..., Any], args: tuple = (), nprocs: int = 1, join: bool = True,
                    daemon: bool = False, start_method: str = "spawn") -> ProcessContext | None:
    """Start ``nprocs`` processes running ``fn(i, *args)`` with ``start_method``; join them unless ``join=False``."""
    if not isinstance(nprocs, int) or isinstance(nprocs, bool) or nprocs < 1:
        raise ValueError(f"start_processes: nprocs must be a positive int (got {nprocs!r})")
    if not callable(fn):
        raise TypeError(f"start_processes: fn must be callable, got {type(fn).__name__}")
    ctx = multiprocessing.get_context(start_method)
    from .. import _shared_memory

    _shared_memory.register_all()  # shared tensors (of any Tensor class) in args travel by handle

    processes, error_files = [], []
    tmp = tempfile.gettempdir()
    for i in range(nprocs):
        path = os.path.join(tmp, f"autograd_core-errorfile-{os.getpid()}-{secrets.token_hex(6)}.txt")
        p = ctx.Process(target=_run, args=(fn, i, tuple(args), path), daemon=daemon)
        p.start()
        processes.append(p)
        error_files.append(path)
    context = ProcessContext(processes, error_files)
    if not join:
        return context
    while not context.join():
        pass
    return None


def spawn(fn: Callable[..., Any], args: tuple = (), nprocs: int = 1, join: bool = True, daemon: bool = False,
          start_method: str = "spawn") -> ProcessContext | None:
    """Run ``fn(i, *args)`` for i in range(nprocs) in fresh ('spawn') processes; see ``start_processes``."""
    if start_method != "spawn":
        warnings.warn(f"This method only supports start_method=spawn (got: {start_method}).\nTo use a different "
                      "start_method use:\n\t\t autograd_core.multiprocessing.start_processes(...)",
                      FutureWarning, stacklevel=2)
    return start_processes(fn, args, nprocs, join, daemon, start_method="spawn")
