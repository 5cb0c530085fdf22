"""numpy's BLAS thread count, set around loops of small matrix products.

A recurrence (LSTM, GRU, RNN) runs one small GEMM per time step, e.g. (20, 256) @ (256, 1024) for a batch of 20.
OpenBLAS splits each of them over its threads, and waking a second thread for 130 us of work costs as much as it
saves; where the cores are shared (several processes, test workers, a notebook beside a training run) a woken
thread that is not scheduled stalls the product: measured on this project's 2-core AMD EPYC machines,
1 thread 130 us, 2 threads 900-1,500 us per product under a load of about 2 (``python /tmp/gemm3.py``-style
harness in the issue note), but 2 threads 91 us on an otherwise idle machine. Neither choice is right
everywhere, so ``small_products`` times the loops and picks: it runs a loop with one thread and the next
with the pool, then keeps the one faster per product (a running mean), trying the other again every
``_PROBE_EVERY`` loops so that a change of load is noticed either way. The large products around those loops
(the weight gradient over all steps, the input projection) keep the pool.

OpenBLAS is found among the process's loaded libraries (Linux); elsewhere, or with another BLAS, this does nothing.

``apply_thread_timeout`` serves programs that import numpy (or PyTorch, which imports it) before autograd_core:
OpenBLAS read its environment when it loaded, before ``_threads`` set ``OPENBLAS_THREAD_TIMEOUT``, so its workers
spin after every product and take the cores from numba's kernels. It has OpenBLAS read its environment again and
restarts its thread server (the timeout is taken when the server starts). Measured on the 2-core AMD EPYC
with numpy imported first (``python -m benchmarks.layers --first numpy``): a LeNet conv2d forward 64x6x14x14
-> 16 took 1.21-1.42 ms before, 0.54-0.68 ms after.
"""

from __future__ import annotations

import contextlib
import ctypes
import threading
import time
from collections.abc import Iterator
from typing import Any

_LOCK = threading.Lock()
_API: list[Any] = []  # [(get, set)] once found, [None] when there is no OpenBLAS to drive
_DEPTH = [0]  # nested small_products() blocks (threads share the count: it is process-wide in OpenBLAS)


def _libraries() -> Iterator[Any]:
    """The OpenBLAS libraries loaded into this process (numpy's first of all)."""
    import numpy  # noqa: F401 - its BLAS must be loaded to be found

    try:
        with open("/proc/self/maps") as f:
            paths = {ln.split()[-1] for ln in f if "openblas" in ln.lower() and ".so" in ln}
    except OSError:  # not Linux
        return
    for path in sorted(paths):
        try:
            yield ctypes.CDLL(path)
        except OSError:
            continue


_RESTART = ("openblas_read_env", "blas_thread_shutdown_", "blas_thread_init")


def apply_thread_timeout() -> int:
    """Have the loaded OpenBLAS libraries take their environment (``OPENBLAS_THREAD_TIMEOUT``) again and restart
    their thread servers; returns how many were restarted. Only while this is the process's one Python thread:
    a restart under a running product would pull its workers away."""
    if threading.active_count() != 1:
        return 0
    done = 0
    for lib in _libraries():
        if all(hasattr(lib, name) for name in _RESTART):
            for name in _RESTART:
                getattr(lib, name).restype = ctypes.c_int
            lib.openblas_read_env()
            lib.blas_thread_shutdown_()  # joins the idle workers (what OpenBLAS does itself before a fork)
            lib.blas_thread_init()  # new workers, with the timeout just read
            done += 1
    return done


def _find() -> Any:
    for lib in _libraries():
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


def num_threads() -> int | None:
    """OpenBLAS's current thread count (None without OpenBLAS)."""
    api = _api()
    return None if api is None else int(api[0]())


_PROBE_EVERY = 8  # loops between two tries of the setting not in use
_WEIGHT = 0.5  # weight of the newest time in a setting's running mean
_TIMES: dict[tuple, list] = {}  # key -> [mean s per product with 1 thread, with the pool, loops run]


@contextlib.contextmanager
def small_products(key: tuple, count: int) -> Iterator[None]:
    """Run a loop of ``count`` small products on one BLAS thread or the whole pool, whichever has been faster.

    ``key`` names the loop's kind (op, dtype and shapes): loops of one kind share their timings. Inside
    another such block, or without OpenBLAS, or with a pool of one, the block runs on one thread."""
    api = _api()
    if api is None:
        yield
        return
    get, set_ = api
    with _LOCK:
        _DEPTH[0] += 1
        outer = _DEPTH[0] == 1
        pool = get() if outer else 1
        rec = _TIMES.setdefault(key, [None, None, 0]) if outer and pool > 1 else None
        if rec is None:
            threads = 1
        elif rec[0] is None or rec[1] is None:
            threads = 1 if rec[0] is None else pool  # each setting once first
        else:
            best = 1 if rec[0] <= rec[1] else pool
            threads = (pool if best == 1 else 1) if rec[2] % _PROBE_EVERY == _PROBE_EVERY - 1 else best
        if pool > 1 and threads == 1:
            set_(1)
    t0, done = time.perf_counter(), False
    try:
        yield
        done = True
    finally:
        dt = (time.perf_counter() - t0) / max(count, 1)
        with _LOCK:
            _DEPTH[0] -= 1
            if pool > 1 and threads == 1:
                set_(pool)
            if rec is not None and done:  # a loop that raised timed nothing useful
                slot = 0 if threads == 1 else 1
                # a probe replaces the other setting's mean (it says what that setting costs now, under
                # today's load); the setting in use is averaged, so one noisy loop does not flip it
                probe = rec[slot] is None or rec[1 - slot] is None or rec[slot] > rec[1 - slot]
                rec[slot] = dt if probe else (1 - _WEIGHT) * rec[slot] + _WEIGHT * dt
                rec[2] += 1
