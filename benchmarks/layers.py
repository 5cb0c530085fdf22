"""Threading layers and import order: three small kernels timed in fresh processes, ``python -m
benchmarks.layers [--rounds N] [--layers ...] [--first ...]``.

Each configuration is its own process: numba's threading layer (``auto`` = what autograd_core picks, or one
forced through NUMBA_THREADING_LAYER) crossed with what the program imported first (nothing, numpy, or PyTorch
with one threaded op run). The workloads: BatchNorm1d 256x512 train fwd+bwd, a LeNet conv2d forward 64x6x14x14
-> 16 5x5, max-pool 2x2 fwd+bwd 64x16x28x28 (float32). Configurations alternate round by round so that the
machine's drift hits them alike; the table gives each one's median over the rounds (ms per call) and the layer
numba reported. This process only orchestrates (it never imports autograd_core).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("auto", "tbb", "omp", "workqueue")
FIRST = ("nothing", "numpy", "torch")
KERNELS = ("batch_norm", "conv2d", "max_pool")  # the worker's JSON keys, in the table's order


def worker(first: str, quick: bool = False) -> None:
    """Time the three kernels in this process and print one JSON line (``quick``: a few calls, no claim)."""
    if first == "torch":
        import torch

        torch.ones(256, 256) @ torch.ones(256, 256)  # PyTorch's OpenMP pool runs before autograd_core loads
    elif first == "numpy":
        import numpy  # noqa: F401 - its OpenBLAS loads before autograd_core sets the thread timeout
    import time

    # autograd_core before numba: it picks numba's threading layer as it loads
    import autograd_core.nn.functional as F

    import autograd_core as ag

    def per_call(fn, n: int) -> float:
        n = 2 if quick else n
        for _ in range(2 if quick else 20):
            fn()
        times = []
        for _ in range(1 if quick else 5):
            t = time.perf_counter()
            for _ in range(n):
                fn()
            times.append((time.perf_counter() - t) / n)
        return statistics.median(times) * 1e3

    x = ag.randn(256, 512, requires_grad=True)
    w, b = ag.ones(512, requires_grad=True), ag.zeros(512, requires_grad=True)
    xc, wc = ag.randn(64, 6, 14, 14), ag.randn(16, 6, 5, 5)
    xp = ag.randn(64, 16, 28, 28, requires_grad=True)
    row = {
        "batch_norm": per_call(lambda: F.batch_norm(x, None, None, w, b, training=True).sum().backward(), 200),
        "conv2d": per_call(lambda: F.conv2d(xc, wc), 200),
        "max_pool": per_call(lambda: F.max_pool2d(xp, 2).sum().backward(), 100),
    }
    import numba  # loaded by autograd_core already

    row["layer"] = numba.threading_layer()
    print(json.dumps(row), flush=True)


def run(layer: str, first: str, quick: bool = False) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_THREADING_LAYER"}
    if layer != "auto":
        env["NUMBA_THREADING_LAYER"] = layer
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    cmd = [sys.executable, "-m", "benchmarks.layers", "--worker", first] + (["--quick"] if quick else [])
    out = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:  # e.g. a layer that is not installed here
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--layers", nargs="+", default=list(LAYERS), choices=LAYERS)
    ap.add_argument("--first", nargs="+", default=list(FIRST), choices=FIRST)
    ap.add_argument("--quick", action="store_true", help="a few calls per kernel: checks the script, times nothing")
    ap.add_argument("--worker", choices=FIRST, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.quick)
        return
    configs = [(layer, first) for layer in args.layers for first in args.first]
    rows: dict[tuple, list] = {c: [] for c in configs}
    for _ in range(args.rounds):
        for c in configs:
            rows[c].append(run(*c, quick=args.quick))
    print("| layer asked | imported first | layer used | batch_norm 256x512 ms | conv2d ms | max_pool ms |")
    print("|---|---|---|---|---|---|")
    for (layer, first), results in rows.items():
        good = [r for r in results if "error" not in r]
        if not good:
            print(f"| {layer} | {first} | unavailable: {results[0]['error'][:60]} | | | |")
            continue
        med = " | ".join(f"{statistics.median(r[k] for r in good):.3f}" for k in KERNELS)
        print(f"| {layer} | {first} | {good[0]['layer']} | {med} |")


if __name__ == "__main__":
    main()
