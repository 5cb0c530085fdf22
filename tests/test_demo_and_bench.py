"""The README's demo trains to a useful accuracy; the benchmark runs end to end (smoke, no timing claims)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_demo_learns_digits(capsys):
    pytest.importorskip("sklearn")
    from autograd_core import demo

    acc = demo.main(epochs=8)
    assert acc > 0.9
    assert "test accuracy" in capsys.readouterr().out


def test_benchmark_ops_quick_smoke(tmp_path):
    pytest.importorskip("torch")
    r = subprocess.run([sys.executable, "-m", "benchmarks", "ops", "--quick", "--out", str(tmp_path)],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "autograd_core" in r.stdout and "torch (2 threads)" in r.stdout
    assert (tmp_path / "results.json").exists() and (tmp_path / "report.md").exists()
