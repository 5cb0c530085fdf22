"""Run under ``mpiexec``: a rank that fails must not hang the job. ``python failures.py MODE``:

- ``exit``: rank 1 leaves right after init; rank 0's all_reduce (timeout 2 s) raises DistBackendError naming
  the call and the rank, later collectives refuse the broken group, and the job is aborted at exit;
- ``crash``: rank 1 raises an uncaught error; rank 0 waits in all_reduce with a 60 s timeout, and the abort
  that the uncaught error triggers ends the job long before that;
- ``hang``: rank 1 sleeps instead of joining the collective; rank 0's all_reduce (timeout 2 s) raises, uncaught,
  and the abort stops rank 1 too;
- ``noinit``: rank 1 never joins; rank 0's init_process_group (timeout 2 s) raises DistBackendError;
- ``single`` (mpiexec -n 1): init_process_group's own checks, and a world of one.
"""

from __future__ import annotations

import os
import re
import sys
import time
from datetime import timedelta

import numpy as np

import autograd_core as ag
import autograd_core.distributed as dist
from autograd_core import nn


def expect(fn, exc, pattern: str) -> None:
    try:
        fn()
    except exc as e:
        assert re.search(pattern, str(e)), (str(e), pattern)
        print(f"RAISED {type(e).__name__}: {e}", flush=True)
        return
    raise AssertionError(f"no {exc.__name__} matching {pattern!r}")


def exit_mode() -> None:
    dist.init_process_group("mpi", timeout=timedelta(seconds=2))
    if dist.get_rank() == 1:
        sys.exit(0)  # gone before the collective
    expect(lambda: dist.all_reduce(ag.ones(3)), dist.DistBackendError,
           r"all_reduce: rank 0 \(of world size 2\) waited \d+\.\d s, the process group's timeout of 2 s")
    expect(lambda: dist.all_reduce(ag.ones(3)), RuntimeError, r"all_reduce: the process group is broken")
    print("EXITING NORMALLY", flush=True)  # the atexit hook aborts the job: a broken group cannot finalise


def crash_mode() -> None:
    dist.init_process_group("mpi", timeout=timedelta(seconds=60))
    if dist.get_rank() == 1:
        raise ValueError("boom on rank 1")
    dist.all_reduce(ag.ones(3))
    print("NOT REACHED", flush=True)


def hang_mode() -> None:
    dist.init_process_group("mpi", timeout=timedelta(seconds=2))
    if dist.get_rank() == 1:
        time.sleep(600)
    dist.all_reduce(ag.ones(3))
    print("NOT REACHED", flush=True)


def noinit_mode() -> None:
    from mpi4py import MPI

    if MPI.COMM_WORLD.Get_rank() == 1:
        return
    expect(lambda: dist.init_process_group(timeout=timedelta(seconds=2)), dist.DistBackendError,
           r"init_process_group: rank 0 \(of world size 2\) waited 2\.\d s")
    assert not dist.is_initialized()


def single_mode() -> None:
    expect(lambda: dist.init_process_group(world_size=2), ValueError,
           r"init_process_group: world_size=2 but MPI gave this process world_size 1: launch the program with "
           r"`mpiexec -n 2 python")
    expect(lambda: dist.init_process_group(rank=1), ValueError, r"init_process_group: rank=1 but MPI gave")
    assert not dist.is_initialized()
    dist.init_process_group(init_method="env://", world_size=1, rank=0)
    assert dist.is_initialized() and dist.get_backend() == "mpi" and dist.get_world_size() == 1
    assert os.environ["RANK"] == "0" and os.environ["WORLD_SIZE"] == "1" and os.environ["LOCAL_RANK"] == "0"
    expect(lambda: dist.init_process_group(), ValueError, r"trying to initialize the default process group twice")
    assert dist.new_group() is dist.group.WORLD
    expect(lambda: dist.new_group([0, 1]), NotImplementedError, r"new_group: only the whole world is supported")
    t = ag.tensor(np.arange(3.0))
    dist.all_reduce(t, op=dist.ReduceOp.AVG)
    np.testing.assert_array_equal(t.numpy(), [0.0, 1.0, 2.0])
    m = nn.Linear(3, 2)
    ddp = nn.parallel.DistributedDataParallel(m)
    ddp(ag.ones(4, 3)).sum().backward()
    np.testing.assert_allclose(m.weight.grad.numpy(), np.full((2, 3), 4.0))
    dist.destroy_process_group()
    expect(lambda: dist.get_rank(), RuntimeError, r"get_rank: Default process group has not been initialized")
    dist.init_process_group("gloo")  # again, after destroy
    dist.barrier(timeout=timedelta(seconds=5))
    dist.destroy_process_group()
    print("SINGLE OK", flush=True)


if __name__ == "__main__":
    {"exit": exit_mode, "crash": crash_mode, "hang": hang_mode, "noinit": noinit_mode,
     "single": single_mode}[sys.argv[1]]()
