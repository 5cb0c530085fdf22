"""The workloads of the kernels and models suites, by name (importable without autograd_core, so a
worker process can build PyTorch's side with PyTorch's own thread settings)."""

from __future__ import annotations

from collections.abc import Callable


def kernel_workloads(quick: bool) -> list[tuple[str, Callable]]:
    from . import workloads_kernels as wk

    out: list[tuple[str, Callable]] = []
    for shape in wk.CONV_SHAPES[:1] if quick else wk.CONV_SHAPES:
        n, c, h, w, k, ks, s, p = shape
        for part in ("forward", "backward"):
            out.append((f"conv2d {part} {n}x{c}x{h}x{w}->{k} k{ks} s{s} p{p}",
                        lambda e, sh=shape, pa=part: wk.make_conv(e, sh, pa)))
    for shape in wk.POOL_SHAPES[:1] if quick else wk.POOL_SHAPES:
        for part in ("forward", "backward"):
            out.append((f"max_pool2d 2x2 {part} {'x'.join(map(str, shape))}",
                        lambda e, sh=shape, pa=part: wk.make_pool(e, sh, pa)))
    for shape in wk.BN_SHAPES[:1] if quick else wk.BN_SHAPES:
        out.append((f"batch_norm train fwd+bwd {'x'.join(map(str, shape))}", lambda e, sh=shape: wk.make_bn(e, sh)))
    out.append(("LeNet-5 training step (batch 64)", lambda e: wk.make_lenet(e)))
    return out


def model_workloads(quick: bool) -> list[tuple[str, Callable]]:
    from . import workloads_models as wm

    return [("MLP 784-512-256-10 step, nn + optim.SGD(momentum) (batch 128)", lambda e: wm.make_model_step(e, "mlp")),
            ("LeNet-5 step, nn + optim.SGD(momentum) (batch 64)", lambda e: wm.make_model_step(e, "lenet"))]


def workloads(suite: str, quick: bool) -> list[tuple[str, Callable]]:
    return kernel_workloads(quick) if suite == "kernels" else model_workloads(quick)
