"""Every timed workload, by suite. Importable without autograd_core or torch: a worker process
builds only its own contestant's side."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Workload:
    name: str
    make: Callable  # make(engine) -> (step, check); raises engines.Unsupported
    calls: int = 3  # calls per timed sample
    per_op: int = 0  # >0: also report microseconds per op (time per call / per_op)
    kernels: bool = False  # runs kernels: the numpy-reference-kernel contestant applies


def _ops(quick: bool) -> list[Workload]:
    from . import workloads_ops as wo

    return [Workload(f"per-op overhead ({n},{n}): chain of {wo.N_OPS} ops + backward",
                     lambda e, n=n: wo.make_chain(e, n), calls=50, per_op=wo.N_OPS)
            for n in ((4,) if quick else (4, 32))]


def _kernels(quick: bool) -> list[Workload]:
    from . import workloads_kernels as wk

    out = []
    for shape in wk.CONV_SHAPES[:1] if quick else wk.CONV_SHAPES:
        n, c, h, w, k, ks, s, p = shape
        for part in ("forward", "backward"):
            out.append(Workload(f"conv2d {part} {n}x{c}x{h}x{w}->{k} k{ks} s{s} p{p}",
                                lambda e, sh=shape, pa=part: wk.make_conv(e, sh, pa), kernels=True))
    for shape in wk.POOL_SHAPES[:1] if quick else wk.POOL_SHAPES:
        for part in ("forward", "backward"):
            out.append(Workload(f"max_pool2d 2x2 {part} {'x'.join(map(str, shape))}",
                                lambda e, sh=shape, pa=part: wk.make_pool(e, sh, pa), kernels=True))
    for shape in wk.BN_SHAPES[:1] if quick else wk.BN_SHAPES:
        out.append(Workload(f"batch_norm train fwd+bwd {'x'.join(map(str, shape))}",
                            lambda e, sh=shape: wk.make_bn(e, sh), kernels=True))
    out.append(Workload("LeNet-5 training step (batch 64)", lambda e: wk.make_lenet(e), kernels=True))
    return out


def _models(quick: bool) -> list[Workload]:
    from . import workloads_models as wm

    return [Workload("MLP 784-512-256-10 step, nn + optim.SGD(momentum) (batch 128)",
                     lambda e: wm.make_model_step(e, "mlp"), calls=5),
            Workload("LeNet-5 step, nn + optim.SGD(momentum) (batch 64)", lambda e: wm.make_model_step(e, "lenet"),
                     kernels=True),
            Workload("LSTM LM step: embedding-2xLSTM(256)-linear, SGD (35x20 tokens)",
                     lambda e: wm.make_seq_step(e, "lstm_lm", {"steps": 8, "hidden": 64} if quick else None)),
            Workload("Transformer encoder LM step: 2 layers d128 h4, causal mask, SGD (16x32 tokens)",
                     lambda e: wm.make_seq_step(e, "transformer", {"batch": 4} if quick else None))]


SCALING_SIZES = (100, 1_000, 10_000, 100_000)


def _scaling(quick: bool) -> list[Workload]:
    from . import workloads_ops as wo

    return [Workload(f"backward scaling: chain of {n} ops", lambda e, n=n: wo.make_scaling(e, n),
                     calls=max(1, 3000 // n), per_op=n)
            for n in (SCALING_SIZES[:2] if quick else SCALING_SIZES)]


TIMED_SUITES = {"ops": _ops, "kernels": _kernels, "models": _models, "scaling": _scaling}


def workloads(suite: str, quick: bool, only: str | None = None) -> list[Workload]:
    """The suite's workloads; ``only`` keeps those whose name contains it (case-insensitive)."""
    ws = TIMED_SUITES[suite](quick)
    return ws if not only else [w for w in ws if only.lower() in w.name.lower()]


def find(suite: str, quick: bool, name: str) -> Workload:
    for w in workloads(suite, quick):
        if w.name == name:
            return w
    raise KeyError(f"no workload {name!r} in suite {suite!r}")
