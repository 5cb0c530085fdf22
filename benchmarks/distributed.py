"""Data-parallel scaling: one MLP training step (784-512-256-10, float32, batch 256 in total, cross-entropy,
SGD with momentum) under DistributedDataParallel on 1 and on 2 ranks, ``python -m benchmarks.distributed
[--ranks 1 2] [--steps N]``.

Each rank count is its own MPI job (``mpiexec -n N python -m benchmarks.distributed --worker``); every rank
runs with OPENBLAS_NUM_THREADS=1 and NUMBA_NUM_THREADS=1, so N ranks use N cores, and takes 256 / N samples of
the same batch. Reported: ms per step (the slowest rank's mean over the timed steps), samples per second and
the speedup over 1 rank. This process only orchestrates (it never imports autograd_core).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

BATCH = 256
SIZES = (784, 512, 256, 10)
ROOT = Path(__file__).resolve().parent.parent


def worker(steps: int, warmup: int) -> None:
    """One rank: time ``steps`` DDP training steps on this rank's share of the batch (run under mpiexec)."""
    import numpy as np

    import autograd_core as ag
    import autograd_core.distributed as dist
    from autograd_core import nn, optim

    F = nn.functional

    dist.init_process_group("mpi")
    rank, n = dist.get_rank(), dist.get_world_size()
    if BATCH % n:
        raise SystemExit(f"the batch of {BATCH} does not split over {n} ranks")
    ag.manual_seed(0)
    layers = []
    for fin, fout in zip(SIZES[:-1], SIZES[1:]):
        layers += [nn.Linear(fin, fout), nn.ReLU()]
    model = nn.parallel.DistributedDataParallel(nn.Sequential(*layers[:-1]))
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(0)
    xs, ys = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32), rng.integers(0, SIZES[-1], BATCH)
    share = slice(rank * BATCH // n, (rank + 1) * BATCH // n)
    x, y = ag.tensor(xs[share]), ag.tensor(ys[share])

    def step() -> None:
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    for _ in range(warmup):
        step()
    dist.barrier()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    mine = (time.perf_counter() - start) / steps
    every = [None] * n
    dist.all_gather_object(every, mine)
    if rank == 0:
        print(json.dumps({"ranks": n, "ms_per_step": 1e3 * max(every)}), flush=True)
    dist.destroy_process_group()


def run(ranks: int, steps: int, warmup: int, timeout: float) -> dict:
    """One MPI job of ``ranks`` ranks; its result line."""
    exe = Path(sys.executable).parent / "mpiexec"
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1")
    cmd = [str(exe), "-n", str(ranks), sys.executable, "-m", "benchmarks.distributed", "--worker",
           "--steps", str(steps), "--warmup", str(warmup)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)
    if out.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stdout}{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.distributed", description=__doc__.split("\n\n")[0])
    ap.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.steps, args.warmup)
        return 0
    from .__main__ import machine

    m = machine()
    print(f"Machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, numpy {m['numpy']} ({m['blas']})")
    command = " ".join(["python -m benchmarks.distributed", *(argv if argv is not None else sys.argv[1:])])
    print(f"Command: `{command}`")
    print(f"\nMLP {'-'.join(map(str, SIZES))} training step, float32, batch {BATCH} split over the ranks, "
          "DistributedDataParallel + SGD(momentum), 1 BLAS/numba thread per rank\n")
    print("| ranks | ms / step | samples / s | speedup |\n|---:|---:|---:|---:|")
    one_rank = None  # ms per step on 1 rank: the speedup's reference
    for n in args.ranks:
        ms = run(n, args.steps, args.warmup, args.timeout)["ms_per_step"]
        if n == 1:
            one_rank = ms
        speed = f"{one_rank / ms:.2f}x" if one_rank else "- (no 1-rank run first)"
        print(f"| {n} | {ms:.2f} | {BATCH / ms * 1e3:,.0f} | {speed} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
