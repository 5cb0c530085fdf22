"""One contestant in its own process, driven line by line over stdin/stdout.

``python -m benchmarks._worker KEY THREADS``. Commands: ``info`` (JSON: versions, thread settings),
``build SUITE QUICK NAME`` (``ok`` or ``unsupported REASON``), ``check PATH`` (writes the check arrays
as a0, a1, ... into the .npz PATH), ``warm`` (ms of one call), ``time N W`` (seconds per call over N
calls, after W seconds of untimed calls), ``quit``. Each contestant gets its own thread environment:
autograd_core's worker applies the OpenMP/OpenBLAS settings autograd_core sets on import, PyTorch's
keeps PyTorch's defaults.
"""

from __future__ import annotations

import json
import os
import sys
import time


def _info(c) -> dict:
    info = {"pid": os.getpid(), "threads_env": {k: os.environ.get(k) for k in (
        "OPENBLAS_THREAD_TIMEOUT", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS", "NUMBA_NUM_THREADS")}}
    if c.engine == "ag":
        import numba
        import numpy as np
        from autograd_core.kernels import get

        import autograd_core

        # one parallel kernel launch: numba picks its threading layer then
        get("max_pool_forward")(np.zeros((1, 1, 2, 2), np.float32), 2, 2, 2, 2, 0, 0, 1, 1, 1, 1)
        info.update(autograd_core=autograd_core.__version__, numba=numba.__version__,
                    numba_threading_layer=numba.threading_layer(), numba_threads=numba.get_num_threads())
    elif c.engine == "torch":
        import torch

        info.update(torch=torch.__version__, torch_threads=torch.get_num_threads())
    return info


def main() -> None:
    from .contestants import all_contestants

    key, threads = sys.argv[1], int(sys.argv[2])
    c = all_contestants(threads)[key]
    if c.torch_first:
        import torch

        torch.set_num_threads(max(threads, 1))
        x = torch.ones(256, 256)
        torch.nn.functional.conv2d(torch.ones(8, 4, 32, 32), torch.ones(8, 4, 3, 3))
        (x @ x).sum().item()  # PyTorch's OpenMP pool is running before autograd_core and numba load
    if c.engine == "ag":
        import autograd_core  # noqa: F401 - first: its thread settings precede numpy's BLAS load
        from autograd_core import kernels

        kernels.use(c.backend or "numba")
    if c.engine == "torch":
        import torch

        torch.set_num_threads(c.threads)
    from .engines import Unsupported
    from .registry import find

    step = check = None
    for line in sys.stdin:
        cmd, _, arg = line.strip().partition(" ")
        try:
            if cmd == "info":
                out = json.dumps(_info(c))
            elif cmd == "build":
                suite, quick, name = arg.split(" ", 2)
                wl = find(suite, quick == "1", name)
                if c.backend == "reference" and not wl.kernels:
                    raise Unsupported("runs no kernel: identical to autograd_core")
                step, check = wl.make(c.engine)
                out = "ok"
            elif cmd == "check":
                import numpy as np

                np.savez(arg, **{f"a{i}": np.asarray(a) for i, a in enumerate(check())})
                out = "ok"
            elif cmd == "warm":
                t0 = time.perf_counter()
                step()
                out = repr((time.perf_counter() - t0) * 1e3)
            elif cmd == "time":
                calls, _, warm = arg.partition(" ")
                step()  # untimed: an idle process runs slow until it has been busy a while
                t0 = time.perf_counter()
                while time.perf_counter() - t0 < float(warm or 0):
                    step()
                n = int(calls)
                t0 = time.perf_counter()
                for _ in range(n):
                    step()
                out = repr((time.perf_counter() - t0) / n)
            elif cmd == "quit":
                print("bye", flush=True)
                return
            else:
                out = f"error unknown command {cmd!r}"
        except Unsupported as e:
            out = f"unsupported {e}"
        except Exception as e:  # noqa: BLE001 - reported to the parent as this contestant's failure
            out = f"error {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        print(out.replace("\n", " "), flush=True)


if __name__ == "__main__":
    main()
