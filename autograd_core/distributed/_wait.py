"""Waiting for an MPI request with a deadline: every collective here is non-blocking underneath, so a rank
that died or never arrives is reported after the process group's timeout instead of hanging the job."""

from __future__ import annotations

import time
from typing import Any

from ._errors import DistBackendError
from ._state import STATE

# MPI progresses a non-blocking operation only inside MPI calls, so the wait keeps calling Test(): first
# back to back (yielding the core now and then to a rank that shares it), and after _PATIENT seconds in
# short bursts between sleeps, so that a rank waiting long for a late peer does not burn a core.
_PATIENT = 0.2
_BURST = 64
_NAP = 0.0005


def wait(req: Any, pg: Any, call: str, deadline: float | None = None, keep: tuple = ()) -> None:
    """Poll ``req`` until it completes; past ``deadline`` (default: now + the group's timeout) mark the group
    broken and raise DistBackendError naming the call and this rank. ``keep``: the arrays the operation
    uses; on a timeout they are kept alive for good, since MPI may still write into them."""
    if req.Test():
        return
    start = time.monotonic()
    end = start + pg.timeout_s if deadline is None else deadline
    test = req.Test
    while True:
        for _ in range(_BURST):
            if test():
                return
        now = time.monotonic()
        if now > end:
            STATE.leaked.append(keep)
            raise timed_out(pg, call, now - start)
        time.sleep(0 if now - start < _PATIENT else _NAP)


def timed_out(pg: Any, call: str, waited: float) -> DistBackendError:
    """Mark ``pg`` broken (the job is aborted when this process exits) and build the error."""
    msg = (f"{call}: rank {pg.rank()} (of world size {pg.size()}) waited {waited:.1f} s, the process group's "
           f"timeout of {pg.timeout_s:g} s, for the other ranks to reach the same collective and gave up: a rank "
           "has died or hangs, or the ranks make different collective calls. The MPI job is aborted when this "
           "process exits (mpiexec then stops every rank); to wait longer pass "
           "init_process_group(timeout=datetime.timedelta(...)).")
    pg.broken = STATE.broken = msg
    return DistBackendError(msg)
