"""Markdown tables, PNG plots and run-to-run comparison for the benchmark results."""

from __future__ import annotations

import json
from pathlib import Path


def _fmt_ratio(r: dict) -> str:
    return f"{r['ratio_to_torch']:.2f}×" if "ratio_to_torch" in r else "–"


def suite_markdown(title: str, res: dict) -> str:
    lines = ["", f"### {title}", "",
             "| workload | contestant | median | min–max | ratio to torch | first call ms | max rel diff |",
             "|---|---|---|---|---|---|---|"]
    notes: dict = {}
    for name, wl in res.items():
        per_op = wl["per_op"]
        for label, r in wl["rows"].items():
            if "skipped" in r:
                notes.setdefault((label, r["skipped"]), []).append(name)
                continue
            if r.get("wrong"):
                lines.append(f"| {name} | {label} | WRONG (not timed) | | | | {r['max_rel_diff']:.1e} |")
                continue
            if "median_ms" not in r:
                lines.append(f"| {name} | {label} | failed: {r.get('error', '?')} | | | | |")
                continue
            if per_op:
                med = f"{r['median_us_per_op']:.2f} µs/op"
                span = f"{r['min_ms'] * 1e3 / per_op:.2f}–{r['max_ms'] * 1e3 / per_op:.2f}"
            else:
                med, span = f"{r['median_ms']:.2f} ms", f"{r['min_ms']:.2f}–{r['max_ms']:.2f}"
            lines.append(f"| {name} | {label} | {med} | {span} | {_fmt_ratio(r)} | {r['warmup_ms']:.0f} | "
                         f"{r['max_rel_diff']:.1e} |")
    if notes:
        lines += ["", "Skipped:", ""]
        for (label, why), names in sorted(notes.items()):
            where = "every workload" if len(names) == len(res) else "; ".join(names)
            lines.append(f"* {label} — {why} ({where})")
    return "\n".join(lines) + "\n"


def memory_markdown(res: dict) -> str:
    lines = ["", "### Peak memory of 20 training steps (fresh process per contestant)", "",
             "| model | contestant | RSS after set-up MB | peak RSS MB | added by the steps MB | peak ratio to torch |",
             "|---|---|---|---|---|---|"]
    notes = []
    for model, rows in res.items():
        base = rows.get("torch", {}).get("peak_mb")
        for label, r in rows.items():
            if "skipped" in r or "error" in r:
                notes.append(f"* {model}: {label} skipped — {r.get('skipped') or r.get('error')}")
                continue
            ratio = f"{r['peak_mb'] / base:.2f}×" if base else "–"
            lines.append(f"| {model} | {label} | {r['setup_mb']:.0f} | {r['peak_mb']:.0f} | {r['training_mb']:.1f} | "
                         f"{ratio} |")
    if notes:
        lines += ["", "Skipped:", ""] + notes
    return "\n".join(lines) + "\n"


def startup_markdown(res: dict) -> str:
    lines = ["", "### Start-up (fresh processes)", "", "| what | seconds (each run) |", "|---|---|"]
    for k, v in res.items():
        lines.append(f"| {k} | {', '.join(f'{x:.2f}' for x in v)} |")
    return "\n".join(lines) + "\n"


def plots(payload: dict, out: Path) -> list[str]:
    """Ratio bars per timed suite and the graph-size scaling plot; returns the files written."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    written = []
    for suite in ("ops", "kernels", "models"):
        res = payload.get(suite)
        if not res:
            continue
        names = list(res)
        labels = sorted({lab for wl in res.values() for lab, r in wl["rows"].items() if "ratio_to_torch" in r})
        fig, ax = plt.subplots(figsize=(9, 0.45 * len(names) * max(1, len(labels)) / 2 + 1.5))
        h = 0.8 / max(1, len(labels))
        for j, lab in enumerate(labels):
            ys = [i + j * h for i in range(len(names))]
            xs = [res[n]["rows"].get(lab, {}).get("ratio_to_torch", 0) for n in names]
            ax.barh(ys, xs, height=h, label=lab)
        ax.axvline(1.0, color="k", lw=0.8)
        ax.set_yticks([i + 0.4 - h / 2 for i in range(len(names))], [n[:48] for n in names], fontsize=7)
        ax.set_xscale("log")
        ax.set_xlabel("time relative to PyTorch (2 threads), log scale; < 1 is faster")
        ax.legend(fontsize=7)
        fig.tight_layout()
        path = out / f"ratios_{suite}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path.name)
    res = payload.get("scaling")
    if res:
        fig, ax = plt.subplots(figsize=(6, 4))
        labels = sorted({lab for wl in res.values() for lab, r in wl["rows"].items() if "median_ms" in r})
        for lab in labels:
            pts = [(wl["per_op"], wl["rows"][lab]["median_us_per_op"]) for wl in res.values()
                   if "median_us_per_op" in wl["rows"].get(lab, {})]
            ax.plot(*zip(*pts), marker="o", label=lab)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("ops in the chain")
        ax.set_ylabel("µs per op (forward + backward)")
        ax.set_title("backward pass scaling with graph size")
        ax.legend()
        fig.tight_layout()
        path = out / "scaling.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path.name)
    return written


def compare(old_path: Path, new: dict, threshold: float = 0.05) -> str:
    """What got faster or slower between an earlier results.json and this run (median ms per workload)."""
    old = json.loads(Path(old_path).read_text())
    lines = ["", f"### Compared with {old_path}", "", "| suite | workload | contestant | before | now | change |",
             "|---|---|---|---|---|---|"]
    for suite, res in new.items():
        if suite not in old or not isinstance(res, dict):
            continue
        for name, wl in res.items():
            rows_old = old[suite].get(name, {}).get("rows", {}) if isinstance(old[suite].get(name), dict) else {}
            for label, r in wl.get("rows", {}).items() if isinstance(wl, dict) else []:
                o = rows_old.get(label, {})
                if "median_ms" in r and "median_ms" in o:
                    change = r["median_ms"] / o["median_ms"] - 1
                    tag = "faster" if change < -threshold else ("slower" if change > threshold else "same")
                    lines.append(f"| {suite} | {name} | {label} | {o['median_ms']:.3f} ms | {r['median_ms']:.3f} ms "
                                 f"| {change * 100:+.1f}% ({tag}) |")
    return "\n".join(lines) + "\n"
