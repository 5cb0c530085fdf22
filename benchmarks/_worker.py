"""One contestant of the kernels/models suites in its own process, driven line by line over stdin/stdout.

``python -m benchmarks._worker SUITE WORKLOAD ENGINE QUICK THREADS``; commands: ``ready``,
``check PATH`` (writes the check arrays as a0, a1, ... into PATH.npz), ``warm`` (ms of one call),
``time N W`` (seconds per call over N calls, after W seconds of untimed calls), ``quit``. Running
PyTorch here keeps its thread environment its own: the parent process carries autograd_core's
OpenMP/OpenBLAS settings.
"""

from __future__ import annotations

import sys
import time


def main() -> None:
    suite, name, engine, quick, threads = sys.argv[1:6]
    if engine == "ag":
        import autograd_core  # noqa: F401 - thread settings first
    import numpy as np

    from .registry import workloads

    if engine == "torch":
        import torch

        torch.set_num_threads(int(threads))
    make = dict(workloads(suite, quick == "1"))[name]
    step, check = make(engine)
    for line in sys.stdin:
        cmd, _, arg = line.strip().partition(" ")
        if cmd == "ready":
            out = "ok"
        elif cmd == "check":
            np.savez(arg, **{f"a{i}": np.asarray(a) for i, a in enumerate(check())})
            out = "ok"
        elif cmd == "warm":
            t0 = time.perf_counter()
            step()
            out = repr((time.perf_counter() - t0) * 1e3)
        elif cmd == "time":
            calls, _, warm = arg.partition(" ")
            n = int(calls)
            step()  # untimed, as in the parent: after an idle pause the process needs to spin up
            t0 = time.perf_counter()
            while time.perf_counter() - t0 < float(warm or 0):
                step()
            t0 = time.perf_counter()
            for _ in range(n):
                step()
            out = repr((time.perf_counter() - t0) / n)
        elif cmd == "quit":
            print("bye", flush=True)
            return
        else:
            out = f"error unknown command {cmd!r}"
        print(out, flush=True)


if __name__ == "__main__":
    main()
