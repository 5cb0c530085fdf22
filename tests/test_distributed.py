"""autograd_core.distributed (torch.distributed's names over MPI), nn.parallel and DistributedSampler.

The checks that need ranks run in MPI jobs (``mpiexec -n 2`` of tests/distributed/*.py, with a timeout);
the rest run here, in this process, which never initialises MPI.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

import autograd_core as ag
import autograd_core.distributed as dist
from autograd_core import nn
from autograd_core.data import DataLoader, DistributedSampler, TensorDataset

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = Path(__file__).resolve().parent / "distributed"
needs_mpi = pytest.mark.skipif(not dist.is_available(),
                               reason="mpi4py is not installed (pip install 'autograd_core[distributed]')")


def mpiexec() -> str:
    exe = Path(sys.executable).parent / "mpiexec"
    found = str(exe) if exe.exists() else shutil.which("mpiexec")
    assert found, "mpi4py is installed but no mpiexec next to python or on PATH (pip install mpich)"
    return found


def run_mpi(n: int, *args: str, timeout: float = 120) -> tuple[int, str, float]:
    """Run ``mpiexec -n n python tests/distributed/<args>``: (return code, stdout + stderr, seconds). The job
    runs in a session of its own, killed as a whole if it outlives ``timeout``."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    cmd = [mpiexec(), "-n", str(n), sys.executable, str(SCRIPTS / args[0]), *args[1:]]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"mpiexec job {args} still running after {timeout} s (killed):\n{out[-4000:]}")
    return proc.returncode, out, time.monotonic() - start


# ---------------------------------------------------------------------- in this process: no MPI
def test_import_never_loads_mpi():
    code = ("import sys, autograd_core, autograd_core.distributed, autograd_core.nn, autograd_core.data;"
            "autograd_core.nn.parallel.DistributedDataParallel; print('mpi4py.MPI' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.stdout.strip() == "False", out.stdout + out.stderr


@pytest.mark.parametrize("call", [
    lambda: dist.all_reduce(ag.ones(2)), lambda: dist.broadcast(ag.ones(2), src=0),
    lambda: dist.all_gather([ag.ones(2)], ag.ones(2)), lambda: dist.reduce_scatter(ag.ones(2), [ag.ones(2)]),
    lambda: dist.barrier(), lambda: dist.get_rank(), lambda: dist.get_world_size(),
    lambda: dist.all_gather_object([None], 1), lambda: nn.parallel.DistributedDataParallel(nn.Linear(2, 2)),
    lambda: DistributedSampler(range(4)), lambda: dist.destroy_process_group()],
    ids=["all_reduce", "broadcast", "all_gather", "reduce_scatter", "barrier", "get_rank", "get_world_size",
         "all_gather_object", "DistributedDataParallel", "DistributedSampler", "destroy_process_group"])
def test_before_init_process_group(call):
    assert not dist.is_initialized()
    # PyTorch 2.13 raises ValueError, older releases RuntimeError: the error is both
    with pytest.raises(RuntimeError, match=r"^\w+: Default process group has not been initialized, please make "
                                           r"sure to call init_process_group\.$") as e:
        call()
    assert isinstance(e.value, ValueError)


def test_named_call_before_init():
    with pytest.raises(RuntimeError, match=r"^all_reduce: Default process group"):
        dist.all_reduce(ag.ones(2))
    with pytest.raises(RuntimeError, match=r"^DistributedDataParallel: Default process group"):
        nn.parallel.DistributedDataParallel(nn.Linear(2, 2))


def test_init_process_group_refuses_before_touching_mpi():
    with pytest.raises(RuntimeError, match=r"Distributed package doesn't have NCCL built in.*backend='mpi' \(or "
                                           r"'gloo', an alias for it here\)"):
        dist.init_process_group("nccl")
    with pytest.raises(ValueError, match=r"Invalid backend: 'tcp'"):
        dist.init_process_group("tcp")
    with pytest.raises(TypeError, match=r"init_process_group: Expected timeout argument to be of type "
                                        r"datetime.timedelta, got int"):
        dist.init_process_group("gloo", timeout=30)
    with pytest.raises(ValueError, match=r"init_process_group: timeout must be positive"):
        dist.init_process_group(timeout=timedelta(0))
    assert not dist.is_initialized()


def test_names_match_torch():
    torch_dist = pytest.importorskip("torch.distributed")
    for name in ("SUM", "AVG", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR"):
        assert getattr(dist.ReduceOp, name).value == int(getattr(torch_dist.ReduceOp.RedOpType, name))
    for name in ("init_process_group", "is_initialized", "get_rank", "get_world_size", "get_backend", "barrier",
                 "destroy_process_group", "all_reduce", "broadcast", "all_gather", "all_gather_into_tensor",
                 "reduce_scatter", "reduce_scatter_tensor", "reduce", "gather", "scatter", "new_group",
                 "all_gather_object", "broadcast_object_list", "is_available", "Backend", "group"):
        assert hasattr(torch_dist, name) and hasattr(dist, name), name
    assert dist.Backend("GLOO") == "gloo" and dist.is_nccl_available() is False


def test_data_parallel_passes_through_with_torch_keys():
    torch = pytest.importorskip("torch")
    ag.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    dp = nn.parallel.DataParallel(m)
    x = ag.randn(5, 3)
    np.testing.assert_array_equal(dp(x).detach().numpy(), m(x).detach().numpy())
    assert dp.module is m
    twin = torch.nn.DataParallel(torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4)))
    assert list(dp.state_dict()) == list(twin.state_dict())
    dp.load_state_dict({k: ag.tensor(v.numpy()) for k, v in twin.state_dict().items()})
    np.testing.assert_array_equal(m[0].weight.detach().numpy(), twin.module[0].weight.detach().numpy())
    with pytest.raises(TypeError, match=r"DataParallel: module must be an nn.Module, got function"):
        nn.parallel.DataParallel(lambda x: x)


# ---------------------------------------------------------------------- DistributedSampler (no MPI needed)
@pytest.mark.parametrize("drop_last", [False, True])
def test_sampler_matches_torch_without_shuffle(drop_last):
    TorchSampler = pytest.importorskip("torch.utils.data.distributed").DistributedSampler
    for n in (0, 1, 2, 5, 7, 10, 11, 16):
        for replicas in (1, 2, 3, 4, 6):
            for rank in range(replicas):
                ours = DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
                theirs = TorchSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
                assert list(ours) == list(theirs), (n, replicas, rank)
                assert len(ours) == len(theirs) == ours.num_samples and ours.total_size == theirs.total_size


def shares(n, replicas, **kw):
    return [list(DistributedSampler(range(n), replicas, r, **kw)) for r in range(replicas)]


def test_sampler_shuffle_properties():
    for n, replicas in ((12, 3), (11, 3), (5, 4), (2, 3)):
        parts = shares(n, replicas, seed=3)
        assert len({len(p) for p in parts}) == 1  # an even share on every rank
        flat = sum(parts, [])
        assert sorted(set(flat)) == list(range(n))  # every index is visited
        # padding repeats indices only to even the shares out
        assert len(flat) == -(-n // replicas) * replicas and len(flat) - len(set(flat)) == len(flat) - n
        # every rank draws the same permutation: interleaving the shares rebuilds it
        perm = ag.randperm(n, generator=ag.Generator().manual_seed(3)).tolist()
        assert [parts[i % replicas][i // replicas] for i in range(min(n, len(flat)))] == perm[:min(n, len(flat))]
    dropped = shares(11, 3, seed=3, drop_last=True)
    assert [len(p) for p in dropped] == [3, 3, 3] and len(set(sum(dropped, []))) == 9  # disjoint, tail dropped
    assert not set(dropped[0]) & set(dropped[1])


def test_sampler_set_epoch_and_seed():
    s = DistributedSampler(range(50), 2, 1, seed=7)
    first = list(s)
    assert list(s) == first == list(DistributedSampler(range(50), 2, 1, seed=7))  # deterministic
    s.set_epoch(1)
    second = list(s)
    other = DistributedSampler(range(50), 2, 0, seed=7)
    other.set_epoch(1)
    assert second != first and sorted(second + list(other)) == list(range(50))  # the epoch's shares still partition
    assert list(DistributedSampler(range(50), 2, 1, seed=8)) == second  # the order is drawn from seed + epoch
    assert list(DistributedSampler(range(50), 2, 1, seed=9)) != second
    assert sorted(list(DistributedSampler(range(50), 2, 0, seed=7)) + first) == list(range(50))


def test_sampler_in_a_dataloader():
    ds = TensorDataset(ag.arange(10) * 10)
    sampler = DistributedSampler(ds, num_replicas=3, rank=2, shuffle=False)
    got = [v.tolist() for (v,) in DataLoader(ds, batch_size=2, sampler=sampler)]
    assert got == [[20, 50], [80, 10]]  # indices 2, 5, 8 and 1 (the padding repeats the start)


def test_sampler_bad_rank():
    with pytest.raises(ValueError, match=r"Invalid rank 3, rank should be in the interval \[0, 2\]"):
        DistributedSampler(range(4), num_replicas=3, rank=3)
    with pytest.raises(ValueError, match=r"Invalid rank -1"):
        DistributedSampler(range(4), num_replicas=3, rank=-1)
    with pytest.raises(ValueError, match=r"DistributedSampler: num_replicas must be a positive integer, got 0"):
        DistributedSampler(range(4), num_replicas=0, rank=0)


def test_abort_waits_for_the_launcher_to_read_the_pipes(tmp_path):
    """Before MPI_Abort a rank waits until its output pipes are drained: mpiexec drops what is still in them."""
    from autograd_core.distributed import _teardown

    r, w = os.pipe()
    try:
        assert _teardown._unread_bytes(w) == 0
        os.write(w, b"traceback\n")
        assert _teardown._unread_bytes(w) == 10
        os.read(r, 10)
        assert _teardown._unread_bytes(w) == 0
    finally:
        os.close(r)
        os.close(w)
    with open(tmp_path / "f", "w") as f:
        assert _teardown._unread_bytes(f.fileno()) is None  # a file: nothing to wait for


# ---------------------------------------------------------------------- in MPI jobs
CHECKS = {
    "collectives": ["reduce_ops_float", "reduce_ops_int_and_bool", "async_work", "broadcast_from_rank1",
                    "all_gather_variants", "reduce_scatter_variants", "reduce_gather_scatter", "objects"],
    "errors": ["reduce_op_errors", "mismatched_shapes"],
    "autograd": ["versions_and_autograd"],
    "ddp_parity": ["ddp_matches_one_process"],
    "ddp_other": ["ddp_state_dict_and_forward", "ddp_no_sync_accumulates", "ddp_find_unused_parameters",
                  "ddp_errors"],
    "sampler": ["sampler_from_group"],
}


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory):
    """The results of tests/distributed/checks.py on 2 ranks: {rank: {check: 'ok' or the failure}}."""
    if not dist.is_available():
        pytest.skip("mpi4py is not installed (pip install 'autograd_core[distributed]')")
    out = tmp_path_factory.mktemp("mpi")
    rc, log, _ = run_mpi(2, "checks.py", str(out))
    assert rc == 0, log[-4000:]
    results = {r: json.loads((out / f"rank{r}.json").read_text()) for r in (0, 1)}
    expected = sorted(sum(CHECKS.values(), []))
    assert sorted(results[0]) == sorted(results[1]) == expected, "the job ran other checks than listed here"
    return results


@needs_mpi
@pytest.mark.parametrize("area", sorted(CHECKS))
def test_on_two_ranks(two_ranks, area):
    failed = {f"rank {r} {name}": two_ranks[r][name] for r in (0, 1) for name in CHECKS[area]
              if two_ranks[r][name] != "ok"}
    assert not failed, "\n\n".join(f"{k}: {v}" for k, v in failed.items())


@needs_mpi
def test_dead_rank_times_out_and_the_job_ends():
    rc, log, secs = run_mpi(2, "failures.py", "exit")
    assert rc != 0 and secs < 60, log
    assert re.search(r"RAISED DistBackendError: all_reduce: rank 0 \(of world size 2\) waited 2\.\d s, the process "
                     r"group's timeout of 2 s, for the other ranks", log), log
    assert "RAISED DistBackendError: all_reduce: the process group is broken by an earlier timeout" in log, log
    assert "aborting the MPI job (a collective timed out)" in log, log


@needs_mpi
def test_hung_rank_is_stopped_with_the_job():
    rc, log, secs = run_mpi(2, "failures.py", "hang")  # rank 1 sleeps 600 s: the abort must stop it
    assert rc != 0 and secs < 60 and "NOT REACHED" not in log, log
    assert "DistBackendError: all_reduce: rank 0" in log and "aborting the MPI job (uncaught DistBackendError)" in log


@needs_mpi
def test_uncaught_error_on_one_rank_aborts_the_job():
    rc, log, secs = run_mpi(2, "failures.py", "crash")  # rank 0 would wait 60 s
    assert rc != 0 and secs < 30 and "NOT REACHED" not in log, log
    assert "ValueError: boom on rank 1" in log and "rank 1: aborting the MPI job (uncaught ValueError)" in log, log


@needs_mpi
def test_rank_missing_at_init_times_out():
    rc, log, secs = run_mpi(2, "failures.py", "noinit")
    assert rc != 0 and secs < 60, log
    assert "RAISED DistBackendError: init_process_group: rank 0 (of world size 2) waited 2." in log, log
    assert "aborting the MPI job (a collective timed out)" in log, log


@needs_mpi
def test_world_of_one_and_init_checks():
    rc, log, _ = run_mpi(1, "failures.py", "single")
    assert rc == 0 and "SINGLE OK" in log, log
