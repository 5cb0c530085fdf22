"""Command line: ``python -m benchmarks ops [--rounds N] [--out DIR] [--quick]``."""

from __future__ import annotations

import os
import sys

if sys.argv[1:2] == ["ops"]:
    # The per-op workload runs no numba kernel: let PyTorch keep its default OpenMP wait policy
    # (passive waiting, which autograd_core sets for its kernels, slows PyTorch's (32,32) chain).
    os.environ.setdefault("AUTOGRAD_CORE_THREAD_TUNING", "0")

import autograd_core  # noqa: F401, E402 - before numpy: its thread settings must precede OpenBLAS's load
import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np


def _machine() -> dict:
    info = {"python": platform.python_version(), "numpy": np.__version__, "cores": os.cpu_count(),
            "cpu": platform.processor() or platform.machine()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        import torch

        info["torch"] = torch.__version__
    except ImportError:
        info["torch"] = None
    return info


def _time_per_call(fn: Callable[[], object], calls: int) -> float:
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - t0) / calls


def run_ops(rounds: int, calls: int) -> dict:
    from . import workloads_ops as w

    results: dict = {"workload": "per-op overhead", "n_ops": w.N_OPS, "shapes": {}}
    for n in (4, 32):
        steps = {}
        for name, make in w.CONTESTANTS.items():
            try:
                steps[name] = make(n)
            except ImportError as e:
                print(f"  skipping {name}: {e}", file=sys.stderr)
        # Correctness first: every contestant's gradient must match (else it is not timed).
        ref = None
        checks = {}
        for name, fn in steps.items():
            g = np.asarray(fn(), dtype=np.float64)
            if ref is None:
                ref = g
            checks[name] = float(np.max(np.abs(g - ref)) / (np.max(np.abs(ref)) + 1e-30))
        for fn in steps.values():  # warm-up
            _time_per_call(fn, max(calls // 5, 1))
        samples: dict[str, list[float]] = {k: [] for k in steps}
        for _ in range(rounds):  # round-robin so machine noise hits everyone alike
            for name, fn in steps.items():
                samples[name].append(_time_per_call(fn, calls) / w.N_OPS * 1e6)
        shape_res = {}
        base = statistics.median(samples["torch (2 threads)"]) if "torch (2 threads)" in samples else None
        for name, s in samples.items():
            med = statistics.median(s)
            shape_res[name] = {"median_us_per_op": med, "min": min(s), "max": max(s), "samples": s,
                               "max_rel_diff_vs_first": checks[name],
                               "ratio_to_torch": (med / base) if base else None}
        results["shapes"][f"({n},{n})"] = shape_res
    return results


def _with_backend(make: Callable, engine: str, backend: str) -> tuple[Callable, Callable]:
    from autograd_core import kernels

    prev = kernels.use(backend)
    try:
        step, check = make(engine)
    finally:
        kernels.use(prev)

    def wrap(fn: Callable) -> Callable:
        def run():
            old = kernels.use(backend)
            try:
                return fn()
            finally:
                kernels.use(old)
        return run

    return wrap(step), wrap(check)


SETTLE_S = 0.3
# A process that has been idle (blocked on the other contestant) runs its next calls several times
# slower on these VMs - measured: a small conv2d 1.5 ms -> 8 ms, the LeNet step 14 -> 35 ms - until it
# has been busy for about 0.1 s. Every timed sample is therefore preceded by this much untimed work.
WARM_S = 0.15


def _spin_up(step: Callable, seconds: float) -> None:
    step()
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        step()


class _Local:
    """A contestant in this process (autograd_core, with its thread settings)."""

    def __init__(self, step: Callable, check: Callable) -> None:
        self.step, self.check = step, check

    def warm(self) -> float:
        t0 = time.perf_counter()
        self.step()
        return (time.perf_counter() - t0) * 1e3

    def time(self, calls: int, warm_s: float = 0.0) -> float:
        _spin_up(self.step, warm_s)
        return _time_per_call(self.step, calls)

    def close(self) -> None:
        pass


class _Remote:
    """A contestant in a worker process (``benchmarks._worker``): PyTorch runs there with its own default
    thread environment, without the OpenMP/OpenBLAS settings autograd_core applies to this process."""

    def __init__(self, suite: str, name: str, quick: bool, threads: int) -> None:
        import subprocess

        env = {k: v for k, v in os.environ.items() if k not in autograd_core._threads.APPLIED}
        env["AUTOGRAD_CORE_THREAD_TUNING"] = "0"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks._worker", suite, name, "torch", str(int(quick)), str(threads)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
            cwd=str(Path(__file__).resolve().parents[1]))
        self._ask("ready")

    def _ask(self, cmd: str) -> str:
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"benchmark worker died on {cmd!r} (exit code {self.proc.poll()})")
        return line.strip()

    def check(self) -> list:
        import tempfile

        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "check.npz")
            self._ask(f"check {path}")
            with np.load(path) as z:
                return [z[f"a{i}"] for i in range(len(z.files))]

    def warm(self) -> float:
        return float(self._ask("warm"))

    def time(self, calls: int, warm_s: float = 0.0) -> float:
        return float(self._ask(f"time {calls} {warm_s}"))

    def close(self) -> None:
        self._ask("quit")
        self.proc.wait(timeout=30)


def run_kernels(rounds: int, calls: int, quick: bool, with_reference: bool, suite: str = "kernels") -> dict:
    """Every workload, contestants interleaved round-robin; a contestant off by more than 1e-3 (relative,
    first step vs PyTorch) is reported as wrong and not timed."""
    from .registry import workloads

    contestants = {"autograd_core": lambda name, mk: _Local(*_with_backend(mk, "ag", "numba"))}
    if with_reference:
        contestants["autograd_core (numpy kernels)"] = lambda name, mk: _Local(*_with_backend(mk, "ag", "reference"))
    contestants["torch (2 threads)"] = lambda name, mk: _Remote(suite, name, quick, 2)
    results = {}
    for name, make in workloads(suite, quick):
        built = {c: f(name, make) for c, f in contestants.items()}
        ref = [np.asarray(a, dtype=np.float64) for a in built["torch (2 threads)"].check()]
        rows = {}
        for c, runner in built.items():
            got = [np.asarray(a, dtype=np.float64) for a in runner.check()]
            diff = max(float(np.max(np.abs(a - b)) / (np.max(np.abs(b)) + 1e-30)) for a, b in zip(got, ref))
            # warm-up (JIT compile or cache load), reported separately
            rows[c] = {"warmup_ms": runner.warm(), "max_rel_diff": diff, "samples": []}
        for _ in range(rounds):
            for c, runner in built.items():
                if rows[c]["max_rel_diff"] <= 1e-3:
                    rows[c]["samples"].append(runner.time(calls, 0.0 if quick else WARM_S) * 1e3)
                    if isinstance(runner, _Remote) and not quick:
                        # PyTorch's OpenMP workers spin for a while after a parallel region (up to
                        # 200 ms); let them go idle before the next contestant is timed.
                        time.sleep(SETTLE_S)
        for runner in built.values():
            runner.close()
        base = statistics.median(rows["torch (2 threads)"]["samples"])
        for r in rows.values():
            if r["samples"]:
                r["median_ms"] = statistics.median(r["samples"])
                r["ratio_to_torch"] = r["median_ms"] / base
        results[name] = rows
        print(f"  {name}: " + ", ".join(
            f"{c} {r.get('median_ms', float('nan')):.2f} ms" for c, r in rows.items()), file=sys.stderr)
    return results


def _kernels_markdown(res: dict) -> str:
    lines = ["", "### Kernels and LeNet-5 (float32, forward and backward, ms per call)", "",
             "| workload | contestant | median ms | min–max | ratio to torch | first call ms | max rel diff |",
             "|---|---|---|---|---|---|---|"]
    for name, rows in res.items():
        for c, r in rows.items():
            if "median_ms" not in r:
                lines.append(f"| {name} | {c} | WRONG (not timed) | | | | {r['max_rel_diff']:.1e} |")
                continue
            lines.append(f"| {name} | {c} | {r['median_ms']:.2f} | {min(r['samples']):.2f}–{max(r['samples']):.2f} | "
                         f"{r['ratio_to_torch']:.2f}× | {r['warmup_ms']:.0f} | {r['max_rel_diff']:.1e} |")
    return "\n".join(lines) + "\n"


def _markdown(res: dict, machine: dict) -> str:
    lines = [f"Machine: {machine['cpu']}, {machine['cores']} cores, Python {machine['python']}, "
             f"numpy {machine['numpy']}, torch {machine['torch']}", "",
             f"### Per-op overhead (chain of {res['n_ops']} elementwise ops + sum().backward())", "",
             "| shape | contestant | median µs/op | min–max | ratio to torch | grad check (max rel diff) |",
             "|---|---|---|---|---|---|"]
    for shape, rows in res["shapes"].items():
        for name, r in rows.items():
            ratio = f"{r['ratio_to_torch']:.2f}×" if r["ratio_to_torch"] else "–"
            lines.append(f"| {shape} | {name} | {r['median_us_per_op']:.2f} | {r['min']:.2f}–{r['max']:.2f} | "
                         f"{ratio} | {r['max_rel_diff_vs_first']:.1e} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    p.add_argument("suite", choices=["ops", "kernels", "models"], nargs="?", default="ops")
    p.add_argument("--no-reference", action="store_true", help="skip the numpy-reference-kernel contestant")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--calls", type=int, default=50, help="chain runs per round and contestant")
    p.add_argument("--quick", action="store_true", help="one short round (smoke test, no timing claims)")
    p.add_argument("--out", type=Path, default=None, help="directory for report.md and results.json")
    args = p.parse_args(argv)
    rounds, calls = (1, 2) if args.quick else (args.rounds, args.calls)
    machine = _machine()
    machine["threads"] = {k: os.environ.get(k) for k in ("OPENBLAS_THREAD_TIMEOUT", "OMP_WAIT_POLICY")}
    payload: dict = {"machine": machine}
    md = ""
    status = 0
    if args.suite == "ops":
        res = run_ops(rounds, calls)
        payload["ops"] = res
        md += _markdown(res, machine)
        for shape, rows in res["shapes"].items():
            for name, r in rows.items():
                if r["max_rel_diff_vs_first"] > 1e-3:
                    print(f"WRONG: {name} at {shape} disagrees with the reference gradient", file=sys.stderr)
                    status = 1
    if args.suite in ("kernels", "models"):
        kres = run_kernels(rounds if not args.quick else 1, 3 if not args.quick else 1, args.quick,
                           not args.no_reference, args.suite)
        payload[args.suite] = kres
        if not md:
            md = f"Machine: {machine['cpu']}, {machine['cores']} cores, Python {machine['python']}, " \
                 f"numpy {machine['numpy']}, torch {machine['torch']}\n"
        md += _kernels_markdown(kres)
        if any(r["max_rel_diff"] > 1e-3 for rows in kres.values() for r in rows.values()):
            print(f"WRONG: a contestant disagrees with PyTorch on a {args.suite} workload", file=sys.stderr)
            status = 1
    print(md)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "report.md").write_text(md)
        (args.out / "results.json").write_text(json.dumps(payload, indent=1))
    return status


if __name__ == "__main__":
    raise SystemExit(main())
