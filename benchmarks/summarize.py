"""Median-of-runs tables from several ``results.json`` files (``python -m benchmarks ... --out DIR``).

``python -m benchmarks.summarize run1/results.json run2/results.json run3/results.json`` prints, per
timed suite, each workload's autograd_core and PyTorch medians (median over runs of each run's median),
the ratio's median with every run's ratio, and the other contestants' median ratios; then start-up and
peak memory over the runs.
"""

from __future__ import annotations

import json
import statistics
import sys

AG, TORCH = "autograd_core", "torch (2 threads)"


def _unit(wl: dict, r: dict) -> str:
    return f"{r['median_us_per_op']:.2f} µs/op" if wl["per_op"] else f"{r['median_ms']:.2f} ms"


def summarize(paths: list[str]) -> str:
    runs = [json.load(open(p)) for p in paths]
    out = [f"Medians over {len(runs)} runs ({', '.join(paths)})."]
    for suite in ("ops", "kernels", "models", "scaling"):
        if not all(suite in r for r in runs):
            continue
        head = f"| workload | {AG} | {TORCH} | ratio | per-run ratios | other contestants (ratio) |"
        out += ["", f"### {suite}", "", head, "|---|---|---|---|---|---|"]
        for name, wl in runs[0][suite].items():
            per = [r[suite][name] for r in runs]
            if not all("ratio_to_torch" in p["rows"].get(AG, {}) for p in per):
                out.append(f"| {name} | not timed in every run | | | | |")
                continue
            ratios = [p["rows"][AG]["ratio_to_torch"] for p in per]
            mid = sorted(per, key=lambda p: p["rows"][AG]["ratio_to_torch"])[len(per) // 2]
            others = []
            for label in wl["rows"]:
                rs = [p["rows"].get(label, {}).get("ratio_to_torch") for p in per]
                if label not in (AG, TORCH) and all(x is not None for x in rs):
                    others.append(f"{label} {statistics.median(rs):.2f}×")
            out.append(f"| {name} | {_unit(wl, mid['rows'][AG])} | {_unit(wl, mid['rows'][TORCH])} | "
                       f"**{statistics.median(ratios):.2f}×** | {', '.join(f'{x:.2f}' for x in ratios)} | "
                       f"{'; '.join(others)} |")
    if all("startup" in r for r in runs):
        out += ["", "### start-up (s, every run)", ""]
        for k in runs[0]["startup"]:
            vals = [v for r in runs for v in r["startup"].get(k, [])]
            out.append(f"* {k}: median {statistics.median(vals):.2f} (range {min(vals):.2f}–{max(vals):.2f})")
    if all("memory" in r for r in runs):
        out += ["", "### peak RSS of 20 training steps (MB, median over runs; ratio to torch)", ""]
        for model, rows in runs[0]["memory"].items():
            base = statistics.median(r["memory"][model]["torch"]["peak_mb"] for r in runs)
            parts = []
            for label in rows:
                vals = [r["memory"][model].get(label, {}).get("peak_mb") for r in runs]
                if all(v is not None for v in vals):
                    m = statistics.median(vals)
                    parts.append(f"{label} {m:.0f} ({m / base:.2f}×)")
            out.append(f"* {model}: " + "; ".join(parts))
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(summarize(sys.argv[1:]))
