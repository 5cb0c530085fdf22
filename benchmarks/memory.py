"""Peak memory of training steps, each contestant in a fresh process.

``python -m benchmarks.memory ENGINE ARCH STEPS`` prints JSON: resident memory after imports and model
set-up, the process's peak resident memory (VmHWM) after STEPS training steps - what a user's process
needs, the figure compared with PyTorch's - and their difference (what the steps added: activations,
gradients, optimiser state, and one-time allocations such as BLAS thread buffers).
"""

from __future__ import annotations

import json
import sys


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # kB
    raise RuntimeError(f"no {field} in /proc/self/status")


def main() -> None:
    engine, arch, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if engine == "ag":
        import autograd_core  # noqa: F401 - thread settings first
    if engine == "torch":
        import torch

        torch.set_num_threads(2)
    from .engines import Unsupported
    from .workloads_models import make_model_step

    try:
        step, _ = make_model_step(engine, arch)
    except Unsupported as e:
        print(json.dumps({"skipped": str(e)}))
        return
    setup = _status_mb("VmRSS")
    for _ in range(steps):
        step()
    peak = _status_mb("VmHWM")  # the process's peak resident memory
    print(json.dumps({"setup_mb": setup, "peak_mb": peak, "training_mb": peak - setup}))

if __name__ == "__main__":
    main()
