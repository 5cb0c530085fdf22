"""numpy's BLAS thread count, set around loops of small matrix products.

A recurrence (LSTM, GRU, RNN) runs one small GEMM per time step, e.g. (20, 256) @ (256, 1024) for a batch of 20.
OpenBLAS splits each of them over its threads, and waking a second thread for 130 us of work costs as much as it
saves; where the cores are shared (several processes, test workers, a notebook beside a training run) a woken
thread that is not scheduled stalls the product: measured on this project's 2-core AMD EPYC machines,
1 thread 130 us, 2 threads 900-1,500 us per product under a load of about 2 (``python /tmp/gemm3.py``-style
harness in the issue note). So those loops run with one BLAS thread, and the large products around them (the
weight gradient over all steps, the input projection) keep the pool.

OpenBLAS is found among the process's loaded libraries (Linux); elsewhere, or with another BLAS, this does nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import threading
from collections.abc import Iterator
from typing import Any

_LOCK = threading.Lock()
_API: list[Any] = []  # [(get, set)] once found, [None] when there is no OpenBLAS to drive
_DEPTH = [0]  # nested single_threaded() blocks (threads share the count: it is process-wide in OpenBLAS)


def _find() -> Any:
    import numpy  # noqa: F401 - its BLAS must be loaded to be found

    try:
        with open("/proc/self/maps") as f:
            paths = {ln.split()[-1] for ln in f if "openblas" in ln.lower() and ".so" in ln}
    except OSError:  # not Linux
        return None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for get, set_ in (("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
                          ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
                          ("openblas_get_num_threads", "openblas_set_num_threads")):
            if hasattr(lib, get) and hasattr(lib, set_):
                g, s = getattr(lib, get), getattr(lib, set_)
                g.restype, s.argtypes, s.restype = ctypes.c_int, [ctypes.c_int], None
                return g, s
    return None


def _api() -> Any:
    if not _API:
        with _LOCK:
            if not _API:
                _API.append(_find())
    return _API[0]


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """Run the block's BLAS calls on one thread (for loops of small products; see the module docstring)."""
    api = _api()
    if api is None:
        yield
        return
    get, set_ = api
    with _LOCK:
        _DEPTH[0] += 1
        before = get() if _DEPTH[0] == 1 else None
        if before is not None and before > 1:
            set_(1)
    try:
        yield
    finally:
        with _LOCK:
            _DEPTH[0] -= 1
            if before is not None and before > 1:
                set_(before)


def num_threads() -> int | None:
    """OpenBLAS's current thread count (None without OpenBLAS)."""
    api = _api()
    return None if api is None else int(api[0]())
