"""The README's demo trains to a useful accuracy; the benchmark runs end to end (smoke, no timing claims)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_demo_cnn_reaches_97_percent_on_digits(capsys, tmp_path):
    """The README demo: the CNN from nn/optim/data, seeded, >= 97% test accuracy (about 2 s here),
    then the drawing and the backprop page of its loss."""
    pytest.importorskip("sklearn")
    from autograd_core import demo

    acc, model = demo.cnn(epochs=8)
    assert acc >= 0.97
    out = capsys.readouterr().out
    assert "test accuracy" in out and "Conv2d(1, 16, kernel_size=(3, 3)" in out
    assert not model.training  # evaluated in eval mode (BatchNorm running stats)
    pytest.importorskip("graphviz")
    paths = demo.visualise(model, out=str(tmp_path))
    out = capsys.readouterr().out
    assert "dloss/d0.weight  (16x1x3x3) is the sum of 1 contribution" in out
    assert Path(paths[0]).read_text().startswith("digraph")
    if shutil.which("dot"):
        assert [Path(p).name for p in paths] == ["cnn_graph.dot", "cnn_graph.svg", "cnn_backprop.html"]
        assert f"wrote {paths[2]}" in out


def test_demo_from_scratch_mlp_learns_digits(capsys):
    pytest.importorskip("sklearn")
    from autograd_core import demo

    assert demo.scratch(epochs=8) > 0.9
    assert "test accuracy" in capsys.readouterr().out


def test_benchmark_all_quick_smoke(tmp_path):
    """``python -m benchmarks all --quick``: every suite and workload once, every installed contestant in
    its worker process, correctness checks on (no timing claims). Keeps the suite from rotting."""
    pytest.importorskip("torch")
    r = subprocess.run([sys.executable, "-m", "benchmarks", "all", "--quick", "--out", str(tmp_path)],
                       cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.startswith("Machine: ") and "WRONG" not in r.stdout
    import json

    res = json.loads((tmp_path / "results.json").read_text())
    for suite in ("ops", "kernels", "models", "scaling"):
        rows = [wl["rows"] for wl in res[suite].values()]
        assert rows and all(r["autograd_core"]["max_rel_diff"] < 1e-3 for r in rows), suite
        assert all("median_ms" in r["autograd_core"] and "median_ms" in r["torch (2 threads)"] for r in rows)
    assert res["startup"] and res["memory"]["MLP 784-512-256-10 (batch 128)"]["torch"]["peak_mb"] > 0
    for f in ("report.md", "ratios_kernels.png", "scaling.png"):
        assert (tmp_path / f).exists(), f
    cmp = subprocess.run([sys.executable, "-m", "benchmarks", "ops", "--quick", "--contestants", "ag", "--compare",
                          str(tmp_path / "results.json")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert cmp.returncode == 0 and "### Compared with" in cmp.stdout and "autograd_core" in cmp.stdout


def test_benchmark_only_filters_workloads_and_rejects_no_match():
    """``--only TEXT`` runs only the workloads whose name contains TEXT; a pattern matching nothing is an error."""
    pytest.importorskip("torch")
    r = subprocess.run([sys.executable, "-m", "benchmarks", "kernels", "--quick", "--only", "BATCH_NORM",
                        "--contestants", "ag"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    rows = [ln for ln in r.stdout.splitlines() if ln.startswith("| ") and not ln.startswith("| workload")]
    assert rows and all(ln.startswith("| batch_norm train") for ln in rows), r.stdout  # no conv, pool or LeNet rows
    bad = subprocess.run([sys.executable, "-m", "benchmarks", "kernels", "--quick", "--only", "no-such-workload"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "--only 'no-such-workload' matches no workload of kernels" in bad.stderr


def test_threading_layer_benchmark_runs_each_configuration_in_its_own_process():
    """``python -m benchmarks.layers``: a forced layer is the one numba uses; autograd_core's own pick is TBB
    when pip's tbb is installed (numba's omp otherwise)."""
    from autograd_core import _threads

    r = subprocess.run([sys.executable, "-m", "benchmarks.layers", "--quick", "--rounds", "1", "--layers", "auto",
                        "workqueue", "--first", "nothing", "numpy"], cwd=ROOT, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    rows = [[c.strip() for c in ln.strip("|").split("|")] for ln in r.stdout.splitlines()
            if ln.startswith(("| auto", "| workqueue"))]
    assert len(rows) == 4, r.stdout
    tbb = any(os.path.exists(p) for p in _threads.tbb_candidates()) and sys.platform.startswith("linux")
    assert {row[2] for row in rows if row[0] == "auto"} == {"tbb" if tbb else "omp"}, r.stdout
    assert {row[2] for row in rows if row[0] == "workqueue"} == {"workqueue"}, r.stdout
    assert all(float(v) > 0 for row in rows for v in row[3:6]), r.stdout
