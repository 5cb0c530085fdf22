"""``Work``: a collective in flight, what ``async_op=True`` returns (PyTorch's ``Work``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from ._group import timeout_seconds
from ._wait import wait


class Work:
    """A collective in flight: ``wait()`` blocks until it is done (raising DistBackendError past the group's
    timeout, counted from the start), ``is_completed()`` asks without blocking; the output tensors hold the
    result only after either returned True."""

    def __init__(self, pg: Any, call: str, req: Any, finish: Callable[[], None] | None = None,
                 result: list | None = None, keep: tuple = ()) -> None:
        self._pg, self._call, self._req, self._finish = pg, call, req, finish
        self._keep = keep  # the arrays MPI reads or writes until completion (mpi4py does not hold them)
        self._result = list(result or ())
        self._deadline = time.monotonic() + pg.timeout_s
        self._done = False
        if req is None:
            self._complete()

    def _complete(self) -> None:
        self._done = True
        self._keep = ()
        finish, self._finish = self._finish, None
        if finish is not None:
            finish()  # copy-back, AVG's division, the version bump

    def is_completed(self) -> bool:
        """Whether the collective finished (polls MPI; never blocks)."""
        if not self._done and self._req.Test():
            self._complete()
        return self._done

    def wait(self, timeout: Any = None) -> bool:
        """Block until the collective finished; ``timeout`` (a timedelta; None or 0: the group's) bounds the wait."""
        if not self._done:
            deadline = self._deadline
            if timeout is not None and timeout != timedelta(0):  # PyTorch's default argument is timedelta(0)
                deadline = time.monotonic() + timeout_seconds(timeout, f"{self._call}: Work.wait")
            wait(self._req, self._pg, self._call, deadline, self._keep)
            self._complete()
        return True

    def is_success(self) -> bool:
        """Whether it completed (a failure raises instead)."""
        return self.is_completed()

    def exception(self) -> BaseException | None:
        return None

    def synchronize(self) -> None:
        self.wait()

    def result(self) -> list:
        """The output tensors, once done (waits)."""
        self.wait()
        return list(self._result)

    def __repr__(self) -> str:
        return f"Work({self._call}, {'completed' if self._done else 'in flight'})"
