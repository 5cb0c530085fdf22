"""Thread settings that keep numba's and OpenBLAS's worker pools from fighting over 2 cores.

numba's OpenMP workers and OpenBLAS's workers both spin-wait after a parallel region; when
numba kernels alternate with matrix multiplies (every conv net step), each pool's spinning
threads steal the cores the other one needs. Measured on this project's 2-core machines
(LeNet-5 step, median of 3 processes, ``python /tmp/lenet.py``-style harness in the issue
note): 35 ms by default, 18 ms with ``OPENBLAS_THREAD_TIMEOUT=4``, 22 ms with
``OMP_WAIT_POLICY=passive``, 17 ms with both; PyTorch's own step is unaffected (11 ms).

OpenBLAS (numpy's BLAS) picks its kernels by CPU model, and its table of models lags the hardware: on
AMD EPYC of family 26 (Zen 5, full-width AVX-512) numpy's OpenBLAS 0.3.31 falls back to its AVX2 "Haswell"
kernels. Measured there, 1 thread (``python /tmp/gemm.py``-style harness in the issue note): a
700x256x1000 sgemm takes 3.2 ms with them and 1.6 ms with the AVX-512 "SkylakeX" kernels, which every AVX-512
CPU runs. So on an AMD CPU that reports AVX-512 (F, BW, DQ, VL) ``OPENBLAS_CORETYPE=SkylakeX`` is set; on
Zen 4 that is the kernel OpenBLAS picks anyway, and Intel CPUs are left to OpenBLAS's own detection.

A passive wait policy alone makes every numba parallel kernel wake its sleeping workers, and on these
shared 2-core VMs that wake-up costs 45-75 us per launch (a trivial prange kernel: 1.5 us with spinning
workers, 43-74 us passive; ``python /tmp/gap.py``-style harness in the issue note) - more than a small
BatchNorm takes (256x512 fwd+bwd 0.37 ms passive, 0.14 ms). So workers spin briefly first:
``GOMP_SPINCOUNT=2000`` (libgomp's spin count, which takes precedence over the policy) keeps them spinning
for 30-100 us after a region, long enough for the next kernel of a step and short enough that OpenBLAS's
threads get the cores back for the matrix multiplies in between. It is set only when the user set neither
OMP_WAIT_POLICY nor GOMP_SPINCOUNT.

When an OpenMP runtime (libgomp) is already running as autograd_core is imported - PyTorch imported first,
which uses the same system libgomp as numba's 'omp' threading layer - it has read its wait policy already
(PyTorch's default: spin), and numba's kernels on that runtime then wait for its threads: a LeNet conv2d forward
went from 0.56 ms to 8.0 ms with torch imported first (``python -m benchmarks kernels --contestants ag ag+torch
torch``). numba's own 'workqueue' threading layer does not use OpenMP and measured 0.50-0.55 ms there, but it
wakes its workers through the OS on every kernel (BatchNorm1d 256x512 fwd+bwd 0.70-1.10 ms against 0.19 ms).

numba's 'tbb' layer (Intel TBB, ``pip install tbb``: a dependency on Linux x86-64) has neither problem: it
keeps its own workers and is the same speed whether or not PyTorch came first (``python -m benchmarks.layers``:
BatchNorm1d 256x512 fwd+bwd 0.19 ms both ways, LeNet conv2d forward 0.58-0.70 ms, max-pool fwd+bwd 0.50-0.78 ms
against workqueue's 1.15-1.63 ms), and it is fork-safe, which the 'omp' layer on GNU OpenMP is not. numba
looks for it first, but pip puts ``libtbb.so.12`` in the environment's ``lib/``, where the dynamic loader of a
virtual environment's python does not look; so it is loaded here by path (Linux), and numba's search then finds
it. Most of the 8 ms above turned out to be numpy's OpenBLAS, which PyTorch had loaded before autograd_core set
its thread timeout, spinning against numba's workers: with the timeout reapplied (``_blas.apply_thread_timeout``)
the 'omp' layer measured 0.58-0.65 ms there, so without TBB it stays numba's choice; only where the reapply
could not run does the search order become tbb, workqueue, omp (``after_blas_restart``).
NUMBA_THREADING_LAYER, NUMBA_THREADING_LAYER_PRIORITY or OMP_WAIT_POLICY set by the user are respected (TBB is
loaded for a user-chosen 'tbb' too); ``AUTOGRAD_CORE_TBB=0`` leaves TBB unloaded.

All these variables are read when the libraries load, so they are set here, when autograd_core is
imported - before numpy when autograd_core is imported first (``report()`` says whether it was). A value the
user already set is kept; ``AUTOGRAD_CORE_THREAD_TUNING=0`` turns this off entirely.
"""

from __future__ import annotations

import os
import sys

DEFAULTS = {"OPENBLAS_THREAD_TIMEOUT": "4", "OMP_WAIT_POLICY": "passive"}
SPIN_COUNT = "2000"  # libgomp spins before a passive worker sleeps (see the module docstring)
_AVX512 = {"avx512f", "avx512bw", "avx512dq", "avx512vl"}  # what OpenBLAS's SkylakeX kernels use


def blas_coretype(cpuinfo: str) -> str | None:
    """The OpenBLAS kernel family to ask for on the CPU that /proc/cpuinfo's text describes, or None to leave
    OpenBLAS's own choice: SkylakeX on AMD CPUs with AVX-512 (see the module docstring)."""
    head = cpuinfo.split("\n\n", 1)[0]  # the first processor's block
    fields = dict(line.split(":", 1) for line in head.splitlines() if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    if fields.get("vendor_id") == "AuthenticAMD" and _AVX512 <= set(fields.get("flags", "").split()):
        return "SkylakeX"
    return None


def _cpuinfo() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return f.read(1 << 16)  # the first processor's block is a few KB
    except OSError:  # not Linux
        return ""


def openmp_running() -> bool:
    """Whether a libgomp is already loaded into this process (by PyTorch, scikit-learn, ...)."""
    try:
        with open("/proc/self/maps") as f:
            return any("libgomp" in line for line in f)
    except OSError:  # not Linux
        return False


TBB_SONAME = "libtbb.so.12"  # the TBB 2021+ runtime numba's tbbpool links against


def tbb_candidates() -> list[str]:
    """Where pip puts TBB's runtime: the environment's ``lib/`` (``sys.prefix``), or the user base for
    ``pip install --user``."""
    import site

    bases = [sys.prefix, site.getuserbase()]
    return [os.path.join(base, "lib", TBB_SONAME) for base in dict.fromkeys(bases)]


def load_tbb() -> str | None:
    """Load pip's TBB runtime into the process (so numba's 'tbb' layer finds it); its path, or None."""
    if not sys.platform.startswith("linux") or os.environ.get("AUTOGRAD_CORE_TBB", "1") == "0":
        return None  # elsewhere numba's own search applies
    for path in tbb_candidates():
        if os.path.exists(path):
            import ctypes

            try:
                ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
            except OSError:  # a broken or foreign build: numba falls back to its other layers
                continue
            return path
    return None


TBB_LOADED: str | None = None


def configure() -> dict[str, str]:
    """Set the defaults that are not already set; returns what was applied."""
    global TBB_LOADED
    if os.environ.get("AUTOGRAD_CORE_THREAD_TUNING", "1") == "0":
        return {}
    applied = {}
    defaults = dict(DEFAULTS)
    if "numba" not in sys.modules and os.environ.get("NUMBA_THREADING_LAYER", "default") not in ("omp", "workqueue"):
        TBB_LOADED = load_tbb()  # also for a user who asked for tbb (or 'safe'): numba would not find it either
    if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
        defaults["GOMP_SPINCOUNT"] = SPIN_COUNT
    core = blas_coretype(_cpuinfo())
    if core is not None:
        defaults["OPENBLAS_CORETYPE"] = core
    for key, value in defaults.items():
        if key not in os.environ:
            os.environ[key] = value
            applied[key] = value
    return applied


def report() -> dict[str, object]:
    """The thread-related settings in effect, and whether OpenBLAS loaded before they were set."""
    return {
        "OPENBLAS_THREAD_TIMEOUT": os.environ.get("OPENBLAS_THREAD_TIMEOUT"),
        "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY"),
        "GOMP_SPINCOUNT": os.environ.get("GOMP_SPINCOUNT"),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "NUMBA_THREADING_LAYER": os.environ.get("NUMBA_THREADING_LAYER"),
        "NUMBA_THREADING_LAYER_PRIORITY": os.environ.get("NUMBA_THREADING_LAYER_PRIORITY"),
        "tbb_loaded": TBB_LOADED,
        "numpy_loaded_first": _NUMPY_LOADED_FIRST,
        "openblas_restarted": BLAS_RESTARTED,
    }


_NUMPY_LOADED_FIRST = "numpy" in sys.modules
APPLIED = configure()
# OpenBLAS loaded before the timeout was set: autograd_core/__init__.py has it read it again (_blas.py says why)
NEEDS_BLAS_RESTART = _NUMPY_LOADED_FIRST and "OPENBLAS_THREAD_TIMEOUT" in APPLIED
BLAS_RESTARTED = 0  # how many OpenBLAS libraries took the timeout that way


def after_blas_restart(restarted: int) -> None:
    """Called once the OpenBLAS restart was tried: where it could not be done, OpenBLAS's workers keep spinning,
    and next to a running OpenMP runtime numba's 'omp' layer then took 8 ms for a 0.56 ms conv2d, so the search
    order becomes tbb, workqueue, omp (unless the user chose a layer, an order or a wait policy)."""
    global BLAS_RESTARTED
    BLAS_RESTARTED = restarted
    if restarted or "numba" in sys.modules or not APPLIED:
        return
    user_set = {k for k in os.environ if k not in APPLIED}
    if user_set & {"NUMBA_THREADING_LAYER", "NUMBA_THREADING_LAYER_PRIORITY", "OMP_WAIT_POLICY"}:
        return
    if openmp_running():
        os.environ["NUMBA_THREADING_LAYER_PRIORITY"] = APPLIED["NUMBA_THREADING_LAYER_PRIORITY"] = "tbb workqueue omp"
