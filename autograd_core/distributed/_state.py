"""The module-wide state of ``autograd_core.distributed``: the default process group and the teardown flags."""

from __future__ import annotations

from typing import Any


class _State:
    world: Any = None  # the default ProcessGroup, once init_process_group ran
    broken: str | None = None  # set by a timeout: the job is aborted when this process exits
    teardown_installed = False
    aborting = False
    leaked: list = []  # the buffers of operations that timed out (MPI may still write into them)


STATE = _State()
