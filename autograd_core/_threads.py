"""Thread settings that keep numba's and OpenBLAS's worker pools from fighting over 2 cores.

numba's OpenMP workers and OpenBLAS's workers both spin-wait after a parallel region; when
numba kernels alternate with matrix multiplies (every conv net step), each pool's spinning
threads steal the cores the other one needs. Measured on this project's 2-core machines
(LeNet-5 step, median of 3 processes, ``python /tmp/lenet.py``-style harness in the issue
note): 35 ms by default, 18 ms with ``OPENBLAS_THREAD_TIMEOUT=4``, 22 ms with
``OMP_WAIT_POLICY=passive``, 17 ms with both; PyTorch's own step is unaffected (11 ms).

Both variables are read when the libraries load, so they are set here, when autograd_core is
imported - before numpy when autograd_core is imported first. A value the user already set is
kept; ``AUTOGRAD_CORE_THREAD_TUNING=0`` turns this off entirely.
"""

from __future__ import annotations

import os
import sys

DEFAULTS = {"OPENBLAS_THREAD_TIMEOUT": "4", "OMP_WAIT_POLICY": "passive"}


def configure() -> dict[str, str]:
    """Set the defaults that are not already set; returns what was applied."""
    if os.environ.get("AUTOGRAD_CORE_THREAD_TUNING", "1") == "0":
        return {}
    applied = {}
    for key, value in DEFAULTS.items():
        if key not in os.environ:
            os.environ[key] = value
            applied[key] = value
    return applied


def report() -> dict[str, object]:
    """The thread-related settings in effect, and whether OpenBLAS loaded before they were set."""
    return {
        "OPENBLAS_THREAD_TIMEOUT": os.environ.get("OPENBLAS_THREAD_TIMEOUT"),
        "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY"),
        "numpy_loaded_first": _NUMPY_LOADED_FIRST,
    }


_NUMPY_LOADED_FIRST = "numpy" in sys.modules
APPLIED = configure()
