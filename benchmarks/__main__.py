"""The benchmark suite: ``python -m benchmarks [ops|kernels|models|scaling|startup|memory|all] [--quick]
[--only TEXT] [--contestants KEY ...] [--threads N] [--repeat N] [--out DIR] [--compare OLD.json]``.

Every contestant runs in its own worker process with its own thread environment; this process
only orchestrates (it never imports autograd_core, so its settings cannot leak into PyTorch's).
Results: a Markdown report, JSON with every sample, PNG plots; ``--compare`` diffs against an
earlier results.json. ``--quick`` runs every workload once with correctness checks on: a smoke test,
not a measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from . import report
from .contestants import PRIMARY, all_contestants
from .harness import ROOT, Worker, run_suite
from .registry import TIMED_SUITES, workloads

SUITES = ["ops", "kernels", "models", "scaling", "startup", "memory"]
TITLES = {"ops": "Per-op overhead (float32, time per op of a 100-op chain + backward)",
          "kernels": "Kernels and LeNet-5 written with F.* (float32, ms per call)",
          "models": "Training steps built from nn + optim (float32, ms per step)",
          "scaling": "Backward scaling with graph size (µs per op)"}


def _version(pkg: str) -> str | None:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return None


def machine() -> dict:
    import numpy as np

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            head = f.read(1 << 16).split("\n\n", 1)[0]  # the first processor's block
        fields = {k.strip(): v.strip() for k, v in (ln.split(":", 1) for ln in head.splitlines() if ":" in ln)}
        cpu = fields.get("model name", cpu)
        # virtual machines often name only the maker ("AMD EPYC"): family/model tell the generation apart, and
        # AVX-512 decides which BLAS kernels can run
        flags = set(fields.get("flags", "").split())
        cpu += (f" (family {fields.get('cpu family', '?')} model {fields.get('model', '?')}, "
                f"{'AVX-512' if 'avx512f' in flags else 'AVX2' if 'avx2' in flags else 'no AVX2'})")
    except OSError:
        pass
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{blas.get('name')} {blas.get('version', '')}".strip()
    except Exception:  # noqa: BLE001 - older numpy
        blas = "unknown"
    try:  # the kernels OpenBLAS runs (set by OPENBLAS_CORETYPE, else its own CPU detection)
        from threadpoolctl import threadpool_info

        cores = {i.get("architecture") for i in threadpool_info() if i.get("internal_api") == "openblas"}
        if cores:
            blas += f", {'/'.join(sorted(map(str, cores)))} kernels"
    except ImportError:
        if os.environ.get("OPENBLAS_CORETYPE"):
            blas += f", OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']}"
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__,
            "blas": blas, "numba": _version("numba"), "torch": _version("torch"),
            "engines": {k: _version(k) for k in ("mygrad", "autograd", "tinygrad", "micrograd")}}


def machine_slug(m: dict) -> str:
    """A directory name for the machine kind: the CPU model (with family/model and vector width) and cores."""
    text = f"{m['cpu']} {m['cores']} cores".lower()
    return "-".join(w for w in "".join(ch if ch.isalnum() else " " for ch in text).split())


def machine_line(m: dict) -> str:
    ag = m.get("autograd_core_worker", {})
    return (f"Machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, numpy {m['numpy']} ({m['blas']}), "
            f"numba {m['numba']} (threading layer {ag.get('numba_threading_layer', '?')}, "
            f"{ag.get('numba_threads', '?')} threads), torch {m['torch']}; autograd_core's worker: "
            f"{ag.get('threads_env', {})}")


def run_startup(repeat: int, quick: bool) -> dict:
    """import + first call of every kernel, in fresh processes: cold (empty numba cache) and warm.

    Warm means both caches a user has after the first run: numba's and Python's bytecode cache, so
    PYTHONDONTWRITEBYTECODE is dropped from the children's environment (with it set, every start
    recompiles autograd_core's ~50 modules: +0.1 s). ``--quick`` runs the warm case once against the
    normal numba cache (no cold compile)."""
    cold, warm = "autograd_core cold cache (compiles every kernel)", \
        "autograd_core warm cache (import + first call of every kernel)"
    probe = "of which scipy.linalg import after numpy (numba's BLAS probe; absent without scipy)"
    out: dict = {cold: [], warm: [], probe: [], "torch import + first conv2d": []}
    code_scipy = ("import numpy, time; t=time.perf_counter(); import scipy.linalg.cython_blas; "
                  "print(time.perf_counter()-t)")
    code_torch = ("import time; t=time.perf_counter(); import torch; torch.set_num_threads(2); "
                  "torch.nn.functional.conv2d(torch.zeros(1,1,4,4), torch.zeros(1,1,2,2)); "
                  "print(time.perf_counter()-t)")

    def startup(env: dict) -> float:
        r = subprocess.run([sys.executable, "-m", "benchmarks.startup", "--seconds"], env=env, cwd=str(ROOT),
                           capture_output=True, text=True, check=True)
        return float(r.stdout.strip().splitlines()[-1])

    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for _ in range(1 if quick else repeat):
        if quick:
            out[warm].append(startup(base))
        else:
            with tempfile.TemporaryDirectory() as d:
                env = dict(base, NUMBA_CACHE_DIR=d)
                out[cold].append(startup(env))
                out[warm].append(startup(env))
        r = subprocess.run([sys.executable, "-c", code_torch], capture_output=True, text=True, cwd=str(ROOT))
        if r.returncode == 0:
            out["torch import + first conv2d"].append(float(r.stdout.strip().splitlines()[-1]))
        # numba imports scipy.linalg (its BLAS probe) when its CPU target starts, if scipy is installed:
        # that part of the warm start is not ours, so it is measured on its own
        r = subprocess.run([sys.executable, "-c", code_scipy], capture_output=True, text=True, cwd=str(ROOT), env=base)
        if r.returncode == 0:
            out[probe].append(float(r.stdout.strip().splitlines()[-1]))
    return {k: v for k, v in out.items() if v}


def run_memory(keys: list[str], quick: bool) -> dict:
    steps = 2 if quick else 20
    cs = all_contestants()
    res: dict = {}
    for arch in ("mlp", "lenet"):
        rows = {}
        for key in keys:
            c = cs[key]
            if c.engine in ("tinygrad", "micrograd") or key in ("ag-ref", "torch1", "ag+torch"):
                continue  # no model adapter / same engine as another row
            r = subprocess.run([sys.executable, "-m", "benchmarks.memory", c.engine, arch, str(steps)],
                               capture_output=True, text=True, cwd=str(ROOT))
            try:
                rows[key if key == PRIMARY else c.label] = json.loads(r.stdout.strip().splitlines()[-1])
            except (ValueError, IndexError):
                rows[c.label] = {"error": (r.stderr.strip().splitlines() or ["no output"])[-1]}
        res["MLP 784-512-256-10 (batch 128)" if arch == "mlp" else "LeNet-5 (batch 64)"] = rows
    return res


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("suite", choices=SUITES + ["all"], nargs="?", default="all")
    p.add_argument("--quick", action="store_true", help="every workload once, correctness on, no timing claims")
    p.add_argument("--only", default=None, metavar="TEXT",
                   help="run only the workloads whose name contains TEXT (case-insensitive), e.g. batch_norm")
    p.add_argument("--contestants", nargs="+", default=None,
                   help=f"keys to run (default all that are installed): {', '.join(all_contestants())}")
    p.add_argument("--threads", type=int, default=2, help="threads of the primary PyTorch contestant and numba")
    p.add_argument("--repeat", "--rounds", type=int, default=7, dest="repeat", help="timed rounds per workload")
    p.add_argument("--no-reference", action="store_true", help="skip the numpy-reference-kernel contestant")
    p.add_argument("--out", type=Path, default=None, help="directory for report.md, results.json and the plots")
    p.add_argument("--machine-dir", action="store_true",
                   help="write into OUT/<machine>/ (a directory named after the CPU model and core count), so "
                        "results from different machine kinds sit side by side")
    p.add_argument("--compare", type=Path, default=None, help="an earlier results.json to diff against")
    args = p.parse_args(argv)
    suites = SUITES if args.suite == "all" else [args.suite]
    cs = all_contestants(args.threads)
    keys = args.contestants or list(cs)
    if args.no_reference and "ag-ref" in keys:
        keys.remove("ag-ref")
    unknown = [k for k in keys if k not in cs]
    if unknown:
        p.error(f"unknown contestant(s) {unknown}; choose from {list(cs)}")
    if PRIMARY not in keys:
        keys.insert(0, PRIMARY)  # ratios need PyTorch in the same run
    rounds = 1 if args.quick else args.repeat
    info = machine()
    payload: dict = {"machine": info, "args": {k: str(v) for k, v in vars(args).items()}}
    timed = [s for s in suites if s in TIMED_SUITES]
    if timed and args.only and not any(workloads(s, args.quick, args.only) for s in timed):
        p.error(f"--only {args.only!r} matches no workload of {', '.join(timed)}")
    workers: dict[str, Worker] = {}
    status = 0
    md = ""
    try:
        if timed:
            workers = {k: Worker(cs[k], args.threads) for k in keys}
            for k, w in workers.items():
                r = w.ask("info")
                payload.setdefault("contestants", {})[cs[k].label] = json.loads(r) if r.startswith("{") else r
                if k == "ag" and r.startswith("{"):
                    info["autograd_core_worker"] = json.loads(r)
        print(machine_line(info), flush=True)
        total = sum(len(workloads(s, args.quick, args.only)) for s in timed) * rounds
        try:
            from tqdm import tqdm

            bar = tqdm(total=total, desc="benchmarks", unit="round", file=sys.stderr, disable=total == 0)
        except ImportError:
            bar = None
        for s in timed:
            res = run_suite(s, workers, rounds, args.quick, bar, args.only)
            payload[s] = res
            md += report.suite_markdown(TITLES[s], res)
            for name, wl in res.items():
                for label, r in wl["rows"].items():
                    if r.get("wrong"):
                        print(f"WRONG: {label} disagrees with the reference on {name} "
                              f"(max rel diff {r['max_rel_diff']:.1e})", file=sys.stderr)
                        status = 1
        if bar is not None:
            bar.close()
    finally:
        for w in workers.values():
            w.close()
    if "startup" in suites:
        payload["startup"] = run_startup(3, args.quick)
        md += report.startup_markdown(payload["startup"])
    if "memory" in suites:
        payload["memory"] = run_memory(keys, args.quick)
        md += report.memory_markdown(payload["memory"])
    command = " ".join(argv if argv is not None else sys.argv[1:])
    md = f"{machine_line(info)}\n\nCommand: `python -m benchmarks {command}`\n{md}"
    if args.compare:
        md += report.compare(args.compare, {k: v for k, v in payload.items() if k in TIMED_SUITES})
    print(md)
    if args.out:
        if args.machine_dir:
            args.out = args.out / machine_slug(info)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "report.md").write_text(md)
        (args.out / "results.json").write_text(json.dumps(payload, indent=1))
        for f in report.plots(payload, args.out):
            print(f"plot: {args.out / f}", file=sys.stderr)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
