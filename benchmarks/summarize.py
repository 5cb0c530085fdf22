"""Median-of-runs table from several ``results.json`` files of the kernels or models suite.

``python -m benchmarks.summarize kernels run1/results.json run2/results.json run3/results.json``
prints a Markdown table: per workload, the median over runs of each contestant's median ms and of
the ratio to PyTorch, with every run's ratio.
"""

from __future__ import annotations

import json
import statistics
import sys


def table(suite: str, paths: list[str], contestant: str = "autograd_core", base: str = "torch (2 threads)") -> str:
    runs = [{name: wl["rows"] for name, wl in json.load(open(p))[suite].items()} for p in paths]
    lines = [f"| workload | {contestant} ms | {base} ms | ratio (median of {len(runs)} runs) | per-run ratios |",
             "|---|---|---|---|---|"]
    for name in runs[0]:
        ours = [r[name][contestant] for r in runs if "median_ms" in r[name][contestant]]
        if len(ours) < len(runs):
            lines.append(f"| {name} | WRONG in {len(runs) - len(ours)} run(s) | | | |")
            continue
        theirs = [r[name][base]["median_ms"] for r in runs]
        ratios = [o["ratio_to_torch"] for o in ours]
        lines.append(f"| {name} | {statistics.median(o['median_ms'] for o in ours):.2f} | "
                     f"{statistics.median(theirs):.2f} | {statistics.median(ratios):.2f}× | "
                     f"{', '.join(f'{x:.2f}' for x in ratios)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(sys.argv[1], sys.argv[2:]))
