"""Command line: ``python -m benchmarks ops [--rounds N] [--out DIR] [--quick]``."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
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
    p.add_argument("suite", choices=["ops"], nargs="?", default="ops")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--calls", type=int, default=50, help="chain runs per round and contestant")
    p.add_argument("--quick", action="store_true", help="one short round (smoke test, no timing claims)")
    p.add_argument("--out", type=Path, default=None, help="directory for report.md and results.json")
    args = p.parse_args(argv)
    rounds, calls = (1, 2) if args.quick else (args.rounds, args.calls)
    machine = _machine()
    res = run_ops(rounds, calls)
    md = _markdown(res, machine)
    print(md)
    for shape, rows in res["shapes"].items():
        for name, r in rows.items():
            if r["max_rel_diff_vs_first"] > 1e-3:
                print(f"WRONG: {name} at {shape} disagrees with the reference gradient", file=sys.stderr)
                return 1
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "report.md").write_text(md)
        (args.out / "results.json").write_text(json.dumps({"machine": machine, "ops": res}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
