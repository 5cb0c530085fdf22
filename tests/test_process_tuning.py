"""The process-wide settings autograd_core applies at import: thread pools, OpenBLAS's kernels, glibc malloc."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from autograd_core import _malloc, _threads

AMD_AVX512 = ("processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\n"
              "flags\t\t: fpu sse2 avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl\n\nprocessor\t: 1\n")
AMD_AVX2 = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 23\nflags\t\t: fpu sse2 avx2 fma\n"
INTEL_AVX512 = ("processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\n"
                "flags\t\t: fpu avx2 avx512f avx512dq avx512cd avx512bw avx512vl amx_tile\n")


@pytest.mark.parametrize("text, want", [(AMD_AVX512, "SkylakeX"), (AMD_AVX2, None), (INTEL_AVX512, None), ("", None)],
                         ids=["amd-avx512", "amd-avx2", "intel-avx512", "no-cpuinfo"])
def test_openblas_kernel_choice_by_cpu(text, want):
    # AVX-512 kernels on AMD CPUs that have them (OpenBLAS's table misses Zen 5); Intel left to OpenBLAS
    assert _threads.blas_coretype(text) == want


def _fresh(env_extra: dict, code: str) -> str:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MALLOC_", "OPENBLAS_", "OMP_", "AUTOGRAD_CORE_"))}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                          timeout=120).stdout.strip()


def test_settings_apply_in_a_fresh_process_and_user_values_win():
    code = "import autograd_core._threads as t, autograd_core._malloc as m, os; " \
           "print(sorted(m.APPLIED), os.environ['OPENBLAS_THREAD_TIMEOUT'], os.environ.get('OPENBLAS_CORETYPE'))"
    out = _fresh({}, code)
    if sys.platform.startswith("linux") and _malloc.APPLIED:
        assert "MALLOC_TRIM_THRESHOLD_" in out and "MALLOC_MMAP_THRESHOLD_" in out
    assert " 4 " in out
    # a value the user set is kept, for both kinds of setting
    out = _fresh({"OPENBLAS_THREAD_TIMEOUT": "7", "OPENBLAS_CORETYPE": "Haswell", "MALLOC_TRIM_THRESHOLD_": "1000"},
                 code)
    assert out.endswith(" 7 Haswell") and "MALLOC_TRIM_THRESHOLD_" not in out
    # and the switches turn everything off
    out = _fresh({"AUTOGRAD_CORE_THREAD_TUNING": "0", "AUTOGRAD_CORE_MALLOC_TUNING": "0"},
                 "import autograd_core._threads as t, autograd_core._malloc as m; print(t.APPLIED, m.APPLIED)")
    assert out == "{} {}"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc is Linux's")
def test_freed_step_memory_is_reused_not_faulted_back_in():
    # the point of the malloc settings: a loop that allocates and frees 40 MB per iteration makes (almost) no
    # minor page faults after the first iteration; with glibc's defaults it faults every page in every time
    code = ("import resource, numpy as np, autograd_core\n"
            "def step():\n"
            "    xs = [np.ones(1 << 20, np.float32) for _ in range(10)]\n"
            "    return sum(float(x[0]) for x in xs)\n"
            "step()\n"
            "r0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
            "for _ in range(20): step()\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - r0)\n")
    tuned = int(_fresh({}, code))
    default = int(_fresh({"AUTOGRAD_CORE_MALLOC_TUNING": "0"}, code))
    pages = 20 * 10 * (4 << 20) // 4096  # every page of every array, every time
    assert default > pages // 4, f"glibc's default reused the memory ({default} faults): the test shows nothing"
    assert tuned < pages // 20, f"{tuned} minor faults in 20 steps: freed memory went back to the OS"


def test_small_product_loops_on_real_openblas_set_one_thread_first_and_restore_the_pool(monkeypatch):
    from autograd_core import _blas

    if _blas.num_threads() is None:
        pytest.skip("numpy's BLAS here is not OpenBLAS: nothing to set")
    monkeypatch.setattr(_blas, "_TIMES", {})
    original = _blas.num_threads()
    _blas._api()[1](2)  # a pool of 2 (test workers run with 1), so that there is something to switch
    try:
        with _blas.small_products(("test",), 4):
            assert _blas.num_threads() == 1  # the first loop of a kind: one thread
            with _blas.small_products(("test",), 4):  # nested (a GRU cell inside a loop of them): still one
                assert _blas.num_threads() == 1
            assert _blas.num_threads() == 1
        assert _blas.num_threads() == 2
        with _blas.small_products(("test",), 4):
            assert _blas.num_threads() == 2  # the second: the pool
        with pytest.raises(ZeroDivisionError), _blas.small_products(("other",), 4):
            raise ZeroDivisionError  # an error inside restores it too
        assert _blas.num_threads() == 2
    finally:
        _blas._api()[1](original)


def test_an_openmp_runtime_loaded_first_keeps_numba_off_it():
    # PyTorch imported first starts the system libgomp with its spinning wait policy; numba's 'omp' layer would
    # then share it (a LeNet conv 0.56 -> 8 ms, mostly numpy's OpenBLAS spinning: PyTorch loaded it first):
    # autograd_core makes numba pick TBB (pip's runtime, loaded by path), and reapplies OpenBLAS's timeout
    pytest.importorskip("torch")
    if not sys.platform.startswith("linux"):
        pytest.skip("/proc/self/maps: Linux only")
    run = ("ag.nn.functional.conv2d(ag.ones(2, 1, 8, 8), ag.ones(2, 1, 3, 3)); "
           "print(numba.threading_layer(), ag._threads.report()['tbb_loaded'])")
    torch_first = "import torch; torch.ones(64, 64) @ torch.ones(64, 64); import autograd_core as ag, numba; " + run
    out = _fresh({}, torch_first).split()
    tbb = next((p for p in _threads.tbb_candidates() if os.path.exists(p)), None)
    assert out == (["tbb", tbb] if tbb else ["omp", "None"])
    # without TBB: numba's omp, now that OpenBLAS's workers no longer spin (its timeout reapplied at import) ...
    assert _fresh({"AUTOGRAD_CORE_TBB": "0"}, torch_first).split() == ["omp", "None"]
    # ... and its workqueue where that reapply could not run (another thread was up while autograd_core loaded)
    busy = ("import threading, torch; torch.ones(64, 64) @ torch.ones(64, 64); ev = threading.Event(); "
            "th = threading.Thread(target=ev.wait); th.start(); import autograd_core as ag, numba; ev.set(); " + run)
    assert _fresh({"AUTOGRAD_CORE_TBB": "0"}, busy).split() == ["workqueue", "None"]
    # autograd_core first (its passive wait policy reaches the runtime when torch loads it): numba's own order
    default = _fresh({}, "import autograd_core as ag, numba; " + run).split()
    assert default[0] == ("tbb" if tbb else "omp")
    code = "import autograd_core as ag; import torch, numba; torch.ones(64, 64) @ torch.ones(64, 64); " + run
    assert _fresh({}, code).split() == default
    # a layer, or a wait policy, that the user set is respected
    assert _fresh({"NUMBA_THREADING_LAYER": "omp"}, torch_first).split() == ["omp", "None"]
    if tbb:  # asked for by name, TBB is found too (numba alone would not find pip's runtime in a venv)
        assert _fresh({"NUMBA_THREADING_LAYER": "tbb"}, torch_first).split() == ["tbb", tbb]
    code = ("import torch; torch.ones(4, 4) @ torch.ones(4, 4); import autograd_core._threads as t; "
            "print(t.APPLIED.get('NUMBA_THREADING_LAYER_PRIORITY'))")
    assert _fresh({"OMP_WAIT_POLICY": "passive"}, code).endswith("None")


def test_tbb_is_looked_for_where_pip_puts_it(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    assert os.path.join(str(tmp_path), "lib", "libtbb.so.12") in _threads.tbb_candidates()
    monkeypatch.setattr(_threads, "tbb_candidates", lambda: [str(tmp_path / "lib" / "libtbb.so.12")])
    assert _threads.load_tbb() is None  # not installed there: nothing loaded, numba's own search applies
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "libtbb.so.12").write_bytes(b"not an ELF file")
    assert _threads.load_tbb() is None  # a broken file is skipped, not an import error


_SPIN_PROBE = ("import numpy as np, time\n{imp}\n"
               "a = np.random.rand(400, 400); a @ a; worst = 0.0\n"
               "for _ in range(3):\n"
               "    a @ a; c0 = time.process_time(); time.sleep(0.25); worst = max(worst, time.process_time() - c0)\n"
               "print(worst{extra})")


def test_numpy_imported_first_still_gets_the_blas_thread_timeout():
    # OpenBLAS reads OPENBLAS_THREAD_TIMEOUT when it loads; with numpy imported first autograd_core has it read
    # its environment again and restart its workers. Observed through the CPU time the process burns while it
    # sleeps after a product: spinning workers take ~0.1 s of it at OpenBLAS's default, idle ones nothing.
    if not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2:
        pytest.skip("needs Linux and two cores")
    from autograd_core import _blas

    if _blas.num_threads() is None:
        pytest.skip("numpy is not on OpenBLAS here")
    env = {"OPENBLAS_NUM_THREADS": "2"}
    spun = float(_fresh(env, _SPIN_PROBE.format(imp="", extra="")))
    assert spun > 0.02, f"the probe sees no spinning workers at OpenBLAS's default ({spun:.4f} s): it proves nothing"
    out = _fresh(env, _SPIN_PROBE.format(
        imp="import autograd_core as ag", extra=", ag._threads.report()['openblas_restarted']")).split()
    assert float(out[0]) < 0.02 and int(out[1]) >= 1, out
    # a timeout the user set was read at load: nothing is restarted
    out = _fresh(dict(env, OPENBLAS_THREAD_TIMEOUT="4"), _SPIN_PROBE.format(
        imp="import autograd_core as ag", extra=", ag._threads.report()['openblas_restarted']")).split()
    assert float(out[0]) < 0.02 and out[1] == "0", out


def test_the_blas_restart_waits_for_a_lone_thread():
    import threading

    from autograd_core import _blas

    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert _blas.apply_thread_timeout() == 0  # another thread could be inside a product: leave it
    finally:
        stop.set()
        other.join()
