"""Start-up cost: ``python -m benchmarks.startup`` (run twice with a fresh NUMBA_CACHE_DIR: cold, then warm).

Prints the import time of autograd_core and the time of the first call of every kernel.
"""

from __future__ import annotations

import sys
import time


def main() -> None:
    t0 = time.perf_counter()
    import autograd_core  # noqa: F401
    from autograd_core import kernels

    t1 = time.perf_counter()
    kernels.warmup(("float32",))
    t2 = time.perf_counter()
    if "--seconds" in sys.argv[1:]:
        print(f"{t2 - t0:.4f}")
    else:
        print(f"import {t1 - t0:.2f} s, first call of every kernel (float32) {t2 - t1:.2f} s, total {t2 - t0:.2f} s")


if __name__ == "__main__":
    main()
