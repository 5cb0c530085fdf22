"""Complete PyTorch-style training programs (tests/programs/), run unchanged under torch and, with only their
imports changed, under autograd_core: both must run to the end and their losses must fall alike.

Each program's ``main()`` returns (losses, metrics). The two libraries draw different random numbers, so
the check is statistical, not bitwise: each library's loss falls from its start by the program's expected
factor, and the two final losses (mean of the last quarter of steps) agree within the program's tolerance.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "programs"))
from _port import PROGRAMS, load, ported_source  # noqa: E402

torch = pytest.importorskip("torch")


def _run(name: str, lib: str) -> tuple[list[float], dict, dict]:
    mod = load(name, lib)
    losses, metrics = mod.main()
    losses = [float(v) for v in losses]
    assert losses and all(np.isfinite(losses)), f"{name} under {lib}: non-finite losses {losses[:5]}..."
    return losses, metrics, getattr(mod, "EXPECT", {})


def _tail(losses: list[float]) -> float:
    return float(np.mean(losses[-max(1, len(losses) // 4):]))


def _head(losses: list[float]) -> float:
    return float(np.mean(losses[: max(1, len(losses) // 4)]))


def test_the_port_changes_only_import_lines():
    src = ("import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader\nx = torch.ones(1)\n"
           "import numpy as np\nfrom torch import optim\n")
    out = ported_source(src).splitlines()
    assert out == ["import autograd_core as torch", "import autograd_core.nn as nn",
                   "from autograd_core.utils.data import DataLoader", "x = torch.ones(1)", "import numpy as np",
                   "from autograd_core import optim"]
    with pytest.raises(ValueError, match="binds 'torch'"):
        ported_source("import torch.nn\n")


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_trains_alike_under_both_libraries(name):
    ours, ours_m, expect = _run(name, "ag")
    theirs, theirs_m, _ = _run(name, "torch")
    fall, tol = expect.get("fall", 0.8), expect.get("tol", 0.5)
    for lib, ls in (("autograd_core", ours), ("torch", theirs)):
        assert _tail(ls) < fall * _head(ls), f"{name}: {lib}'s loss did not fall: {_head(ls):.4g} -> {_tail(ls):.4g}"
    a, b = _tail(ours), _tail(theirs)
    assert abs(a - b) <= tol * max(abs(b), expect.get("floor", 1e-3)), (
        f"{name}: final loss {a:.4g} (autograd_core) vs {b:.4g} (torch)")
    for key, (lo, hi) in expect.get("metrics", {}).items():
        for lib, m in (("autograd_core", ours_m), ("torch", theirs_m)):
            assert lo <= m[key] <= hi, f"{name}: {lib}'s {key} = {m[key]} not in [{lo}, {hi}]"
