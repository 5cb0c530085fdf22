"""glibc malloc settings that stop every training step from page-faulting its arrays back in.

A training step allocates tens of MB of short-lived arrays (activations, gate buffers, gradients) and frees
them at its end. glibc hands freed memory at the top of the heap back to the OS once more than
``M_TRIM_THRESHOLD`` is free (dynamically about twice the largest array seen, a few MB here), and serves large
requests from fresh ``mmap`` pages, so the next step page-faults the same memory in again: measured as 10-13 ms
of system time per LSTM language-model step and 9 ms per Transformer step on this project's AMD EPYC machines
(1 thread, ``python /tmp/cpu_lm.py``-style harness in the issue note), a third of the Transformer's step.
Keeping freed memory in the process (as PyTorch's and JAX's caching allocators do) removes it: the memory
is reused by the next step, so the resident size stays at one step's peak.

Applied once at import through ``mallopt``; a no-op off glibc. ``AUTOGRAD_CORE_MALLOC_TUNING=0`` turns it off,
and ``MALLOC_TRIM_THRESHOLD_`` / ``MALLOC_MMAP_THRESHOLD_`` set by the user are kept.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameter numbers (malloc.h)
TRIM_THRESHOLD = 1 << 30  # keep up to 1 GiB of freed heap: more than one step of any workload here
MMAP_THRESHOLD = 1 << 25  # 32 MiB, glibc's own upper bound for its dynamic threshold: bigger arrays still
# get their own pages (and go straight back to the OS), so one huge temporary never pins heap memory


def configure() -> dict[str, int]:
    """Apply the settings where glibc is the allocator; returns what was applied."""
    if os.environ.get("AUTOGRAD_CORE_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return {}
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and other libcs have no mallopt
        return {}
    applied = {}
    for env, param, value in (("MALLOC_TRIM_THRESHOLD_", _M_TRIM_THRESHOLD, TRIM_THRESHOLD),
                              ("MALLOC_MMAP_THRESHOLD_", _M_MMAP_THRESHOLD, MMAP_THRESHOLD)):
        if env not in os.environ and mallopt(param, value) == 1:
            applied[env] = value
    return applied


APPLIED = configure()
