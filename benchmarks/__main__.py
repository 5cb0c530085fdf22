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


def _kernel_workloads(quick: bool) -> list[tuple[str, Callable]]:
    from . import workloads_kernels as wk

    out: list[tuple[str, Callable]] = []
    for shape in wk.CONV_SHAPES[:1] if quick else wk.CONV_SHAPES:
        n, c, h, w, k, ks, s, p = shape
        for part in ("forward", "backward"):
            out.append((f"conv2d {part} {n}x{c}x{h}x{w}->{k} k{ks} s{s} p{p}",
                        lambda e, sh=shape, pa=part: wk.make_conv(e, sh, pa)))
    for shape in wk.POOL_SHAPES[:1] if quick else wk.POOL_SHAPES:
        for part in ("forward", "backward"):
            out.append((f"max_pool2d 2x2 {part} {'x'.join(map(str, shape))}",
                        lambda e, sh=shape, pa=part: wk.make_pool(e, sh, pa)))
    for shape in wk.BN_SHAPES[:1] if quick else wk.BN_SHAPES:
        out.append((f"batch_norm train fwd+bwd {'x'.join(map(str, shape))}", lambda e, sh=shape: wk.make_bn(e, sh)))
    out.append(("LeNet-5 training step (batch 64)", lambda e: wk.make_lenet(e)))
    return out


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


def run_kernels(rounds: int, calls: int, quick: bool, with_reference: bool) -> dict:
    import torch

    torch.set_num_threads(2)
    contestants = {"autograd_core": lambda mk: _with_backend(mk, "ag", "numba")}
    if with_reference:
        contestants["autograd_core (numpy kernels)"] = lambda mk: _with_backend(mk, "ag", "reference")
    contestants["torch (2 threads)"] = lambda mk: mk("torch")
    results = {}
    for name, make in _kernel_workloads(quick):
        built = {c: f(make) for c, f in contestants.items()}
        ref = [np.asarray(a, dtype=np.float64) for a in built["torch (2 threads)"][1]()]
        rows = {}
        for c, (step, check) in built.items():
            got = [np.asarray(a, dtype=np.float64) for a in check()]
            diff = max(float(np.max(np.abs(a - b)) / (np.max(np.abs(b)) + 1e-30)) for a, b in zip(got, ref))
            t0 = time.perf_counter()
            step()  # warm-up (JIT compile or cache load), reported separately
            rows[c] = {"warmup_ms": (time.perf_counter() - t0) * 1e3, "max_rel_diff": diff, "samples": []}
        for _ in range(rounds):
            for c, (step, _check) in built.items():
                if rows[c]["max_rel_diff"] <= 1e-3:
                    rows[c]["samples"].append(_time_per_call(step, calls) * 1e3)
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
    p.add_argument("suite", choices=["ops", "kernels"], nargs="?", default="ops")
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
    if args.suite == "kernels":
        kres = run_kernels(rounds if not args.quick else 1, 3 if not args.quick else 1, args.quick,
                           not args.no_reference)
        payload["kernels"] = kres
        if not md:
            md = f"Machine: {machine['cpu']}, {machine['cores']} cores, Python {machine['python']}, " \
                 f"numpy {machine['numpy']}, torch {machine['torch']}\n"
        md += _kernels_markdown(kres)
        if any(r["max_rel_diff"] > 1e-3 for rows in kres.values() for r in rows.values()):
            print("WRONG: a contestant disagrees with PyTorch on a kernel workload", file=sys.stderr)
            status = 1
    print(md)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "report.md").write_text(md)
        (args.out / "results.json").write_text(json.dumps(payload, indent=1))
    return status


if __name__ == "__main__":
    raise SystemExit(main())
