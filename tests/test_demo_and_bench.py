"""The README's demo trains to a useful accuracy; the benchmark runs end to end (smoke, no timing claims)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_demo_cnn_reaches_97_percent_on_digits(capsys):
    """The README demo: the CNN from nn/optim/data, seeded, >= 97% test accuracy (about 2 s here)."""
    pytest.importorskip("sklearn")
    from autograd_core import demo

    acc, model = demo.cnn(epochs=8)
    assert acc >= 0.97
    out = capsys.readouterr().out
    assert "test accuracy" in out and "Conv2d(1, 16, kernel_size=(3, 3)" in out
    assert not model.training  # evaluated in eval mode (BatchNorm running stats)


def test_demo_from_scratch_mlp_learns_digits(capsys):
    pytest.importorskip("sklearn")
    from autograd_core import demo

    assert demo.scratch(epochs=8) > 0.9
    assert "test accuracy" in capsys.readouterr().out


def test_benchmark_ops_quick_smoke(tmp_path):
    pytest.importorskip("torch")
    r = subprocess.run([sys.executable, "-m", "benchmarks", "ops", "--quick", "--out", str(tmp_path)],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "autograd_core" in r.stdout and "torch (2 threads)" in r.stdout
    assert (tmp_path / "results.json").exists() and (tmp_path / "report.md").exists()


@pytest.mark.parametrize("suite,expect", [("models", "MLP 784-512-256-10"), ("kernels", "max_pool2d 2x2 forward")])
def test_benchmark_suite_quick_smoke(tmp_path, suite, expect):
    """The kernels and models suites end to end: every contestant builds (PyTorch in its worker process),
    agrees with PyTorch on the first step, and runs once."""
    pytest.importorskip("torch")
    r = subprocess.run([sys.executable, "-m", "benchmarks", suite, "--quick", "--no-reference", "--out",
                        str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert expect in r.stdout and "LeNet-5" in r.stdout and "WRONG" not in r.stdout
    import json

    res = json.loads((tmp_path / "results.json").read_text())[suite]
    assert all(row["autograd_core"]["max_rel_diff"] < 1e-3 for row in res.values())
