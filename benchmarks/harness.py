"""Running the timed suites: one worker process per contestant, round-robin rounds, correctness first.

Every contestant's first-step output and gradients are compared with the primary contestant's
(PyTorch); one that differs by more than 1e-3 (max relative difference) is reported as wrong and
not timed. The first call (JIT compile, cache load) is reported separately. Each timed sample is
preceded by ``WARM_S`` of untimed calls: a process that sat idle while another contestant ran is
several times slower for its next calls on these VMs (measured: a small conv2d 1.5 -> 8 ms).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from .contestants import PRIMARY, Contestant
from .registry import workloads

ROOT = Path(__file__).resolve().parents[1]
WARM_S = 0.15
TOLERANCE = 1e-3


class Worker:
    def __init__(self, c: Contestant, threads: int) -> None:
        self.c = c
        env = dict(os.environ)
        if c.engine == "ag" and threads:
            env.setdefault("NUMBA_NUM_THREADS", str(threads))
        self.proc = subprocess.Popen([sys.executable, "-m", "benchmarks._worker", c.key, str(threads)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=str(ROOT))

    def ask(self, cmd: str) -> str:
        if self.proc.poll() is not None:
            return f"error worker exited with code {self.proc.returncode}"
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        return line.strip() if line else f"error worker died (exit code {self.proc.poll()})"

    def check(self) -> list[np.ndarray] | str:
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "check.npz")
            r = self.ask(f"check {path}")
            if r != "ok":
                return r
            with np.load(path) as z:
                return [z[f"a{i}"] for i in range(len(z.files))]

    def close(self) -> None:
        try:
            self.ask("quit")
            self.proc.wait(timeout=30)
        except Exception:  # noqa: BLE001
            self.proc.kill()


def _rel_diff(got: list[np.ndarray], ref: list[np.ndarray]) -> float:
    if len(got) != len(ref):
        return float("inf")
    worst = 0.0
    for a, b in zip(got, ref):
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if a.shape != b.shape:
            return float("inf")
        worst = max(worst, float(np.max(np.abs(a - b)) / (np.max(np.abs(b)) + 1e-30)) if b.size else 0.0)
    return worst


def run_suite(suite: str, workers: dict[str, Worker], rounds: int, quick: bool, progress=None,
              only: str | None = None) -> dict:
    """{workload: {"per_op": n, contestant label: {samples, median_ms, ...} or {"skipped": reason}}}."""
    results: dict = {}
    for wl in workloads(suite, quick, only):
        rows: dict = {}
        live: dict[str, Worker] = {}
        for key, w in workers.items():
            r = w.ask(f"build {suite} {int(quick)} {wl.name}")
            if r == "ok":
                live[key] = w
            else:
                rows[w.c.label] = {"skipped": r.partition(" ")[2] if r.startswith("unsupported") else r}
        checks = {k: w.check() for k, w in live.items()}
        ref_key = PRIMARY if isinstance(checks.get(PRIMARY), list) else next(
            (k for k, v in checks.items() if isinstance(v, list)), None)
        for key, w in list(live.items()):
            got = checks[key]
            if not isinstance(got, list):
                rows[w.c.label] = {"skipped": got}
                del live[key]
                continue
            diff = _rel_diff(got, checks[ref_key]) if ref_key else float("nan")
            rows[w.c.label] = {"max_rel_diff": diff, "reference": workers[ref_key].c.label if ref_key else None,
                               "warmup_ms": float(w.ask("warm")), "samples": []}
            if not diff <= TOLERANCE:
                rows[w.c.label]["wrong"] = True
                del live[key]
        calls = 1 if quick else wl.calls
        for _ in range(rounds):  # round-robin: machine noise hits every contestant alike
            for w in live.values():
                r = w.ask(f"time {calls} {0.0 if quick else WARM_S}")
                try:
                    rows[w.c.label]["samples"].append(float(r) * 1e3)
                except ValueError:
                    rows[w.c.label]["error"] = r
            if progress is not None:
                progress.update(1)
        base_label = workers[PRIMARY].c.label if PRIMARY in workers else None
        base = rows.get(base_label, {}).get("samples") if base_label else None
        for r in rows.values():
            if r.get("samples"):
                r["median_ms"] = statistics.median(r["samples"])
                r["min_ms"], r["max_ms"] = min(r["samples"]), max(r["samples"])
                if wl.per_op:
                    r["median_us_per_op"] = r["median_ms"] * 1e3 / wl.per_op
                if base:
                    r["ratio_to_torch"] = r["median_ms"] / statistics.median(base)
        results[wl.name] = {"per_op": wl.per_op, "rows": rows}
    return results
