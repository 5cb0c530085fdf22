"""The contestants: engine, label, thread count. Each runs in its own worker process."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Contestant:
    key: str
    label: str
    engine: str  # ag, torch, numpy, mygrad, hips, tinygrad, micrograd
    threads: int = 0  # torch's intra-op threads (0: library default)
    backend: str = ""  # autograd_core kernel backend
    # autograd_core in a process that imported PyTorch first and ran a threaded op (its OpenMP pool started):
    # the "with torch loaded" row, for coexistence of the two thread pools in one process
    torch_first: bool = False


def all_contestants(threads: int = 2) -> dict[str, Contestant]:
    cs = [
        Contestant("ag", "autograd_core", "ag", backend="numba"),
        Contestant("ag-ref", "autograd_core (numpy kernels)", "ag", backend="reference"),
        Contestant("ag+torch", "autograd_core, torch loaded first", "ag", backend="numba", torch_first=True),
        Contestant("torch", f"torch ({threads} thread{'s' if threads != 1 else ''})", "torch", threads=threads),
        Contestant("torch1", "torch (1 thread)", "torch", threads=1),
        Contestant("numpy", "numpy floor (hand-written)", "numpy"),
        Contestant("mygrad", "MyGrad", "mygrad"),
        Contestant("hips", "HIPS autograd", "hips"),
        Contestant("tinygrad", "tinygrad", "tinygrad"),
        Contestant("micrograd", "micrograd", "micrograd"),
    ]
    out = {c.key: c for c in cs}
    if threads == 1:
        del out["torch1"]  # the primary contestant is already single-threaded
    return out


PRIMARY = "torch"  # ratios are to this contestant, measured in the same run
