"""Kernel sweeps: conv2d, conv_transpose2d, max_pool2d, avg_pool2d and batch_norm against PyTorch.

Every configuration of a small grid (batch 0-3, spatial sizes 1-5, channels 1-3, strides 1-2, paddings
0-2 per side, dilations 1-2, groups 1-2, output_padding, ceil_mode, count_include_pad, BatchNorm's
modes) is run through our op and torch's, float64 and float32: forward values, shapes and dtypes, then
the gradients of every input with a random upstream gradient. Where torch raises we must raise an
exception of the same built-in type. A configuration's data come from its own seed (sweep seed, op,
index), so each failure prints a reproducer that reruns alone.

numba fixes its thread count when the process starts, so each thread count runs in its own subprocess
with NUMBA_NUM_THREADS set (numba.set_num_threads can only lower the count a process started with, and
a machine with one core starts with one). CI runs a fixed-seed sample of each grid; the whole grid:

    AG_SWEEP_FULL=1 .venv/bin/python -m pytest -p no:xdist tests/test_kernel_sweeps.py -s
    NUMBA_NUM_THREADS=2 AG_SWEEP_FULL=1 .venv/bin/python tests/test_kernel_sweeps.py   # one thread count
    .venv/bin/python tests/test_kernel_sweeps.py --one conv2d 1234                     # one configuration
"""

from __future__ import annotations

import builtins
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import autograd_core.nn.functional as F
import numpy as np
import pytest

import autograd_core as ag

ROOT = Path(__file__).resolve().parents[1]
SEED = int(os.environ.get("AG_SWEEP_SEED", "0"))
FULL = os.environ.get("AG_SWEEP_FULL", "") not in ("", "0")
# configurations per op in the CI sample (3,000 in all), each run in float64 and float32: about 7 s per
# thread count on an idle 2-core machine, torch's import and the numba cache load included
SAMPLE = int(os.environ.get("AG_SWEEP_SAMPLE", "600"))
TOL = {"float64": 1e-10, "float32": 1e-4}  # rtol; atol is the same times max(1, max |reference|)

_PAD = [(ph, pw) for ph in range(3) for pw in range(3)]
_STRIDE = [(sh, sw) for sh in (1, 2) for sw in (1, 2)]
_DIL = [(dh, dw) for dh in (1, 2) for dw in (1, 2)]
_KS = [(kh, kw) for kh in (1, 2, 3) for kw in (1, 2, 3)]
_HW = [(h, w) for h in (1, 2, 3, 5) for w in (1, 2, 3, 5)]
_POOL_PAD = [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2)]  # 2 exceeds half of every kernel here: torch raises

# Each grid is a product of geometry axes, every combination of which the full sweep runs. The batch
# and channel counts (and conv's bias) are drawn per configuration from its seed, out of DRAWS: every
# one of them meets many geometries without multiplying the grid (batch >= 2 and channels >= 2 are
# where the conv2d bug dropped image 0; batch 0 is the empty batch).
GRIDS = {
    "conv2d": {"hw": _HW, "k": _KS, "stride": _STRIDE, "padding": _PAD + ["same", "valid"], "dilation": _DIL},
    "conv_transpose2d": {
        "hw": [(h, w) for h in (1, 2, 3) for w in (1, 2, 3)], "k": _KS, "stride": _STRIDE,
        "padding": [(0, 0), (1, 0), (0, 1), (1, 1), (2, 0), (0, 2), (2, 2)],
        "output_padding": [(0, 0), (1, 0), (0, 1), (1, 1)], "dilation": _DIL,
    },
    "max_pool2d": {"hw": _HW, "k": _KS, "stride": _STRIDE + [None], "padding": _POOL_PAD, "dilation": _DIL,
                   "ceil_mode": [False, True]},
    "avg_pool2d": {"hw": _HW, "k": _KS, "stride": _STRIDE + [None], "padding": _POOL_PAD, "ceil_mode": [False, True],
                   "count_include_pad": [True, False], "divisor_override": [None, 3]},
    "batch_norm": {
        "n": [0, 1, 2, 3], "c": [0, 1, 3], "spatial": [(), (1,), (4,), (1, 1), (2, 3), (5, 2)],
        "training": [True, False], "affine": ["both", "weight", "none"], "running": [True, False],
        "momentum": [0.1, 0.5],
    },
}
_CONV_DRAWS = [(1, 1, 1, 1), (2, 1, 2, 1), (3, 2, 3, 1), (2, 3, 1, 1), (2, 2, 2, 2), (3, 2, 2, 2), (0, 2, 3, 1)]
DRAWS = {  # (N, C_in, C_out, groups) for convolutions, (N, C) for pooling
    "conv2d": _CONV_DRAWS, "conv_transpose2d": _CONV_DRAWS,
    "max_pool2d": [(1, 1), (2, 3), (3, 2), (2, 1), (0, 2)], "avg_pool2d": [(1, 1), (2, 3), (3, 2), (2, 1), (0, 2)],
}


def grid_size(op: str) -> int:
    return int(np.prod([len(v) for v in GRIDS[op].values()]))


def config(op: str, index: int) -> dict:
    """The index-th configuration of op's grid (mixed-radix decoding of the product, last axis fastest)."""
    out = {}
    for name, values in reversed(list(GRIDS[op].items())):
        index, r = divmod(index, len(values))
        out[name] = values[r]
    return dict(reversed(list(out.items())))


# ---------------------------------------------------------------------- one configuration, both libraries
def _case(op: str, cfg: dict, rng: np.random.Generator) -> tuple[dict, dict]:
    """(input arrays by argument name, other keyword arguments) for one configuration."""
    if op in ("conv2d", "conv_transpose2d"):
        n, c, k, g = DRAWS[op][rng.integers(len(DRAWS[op]))]
        (h, w), (kh, kw) = cfg["hw"], cfg["k"]
        wshape = (k, c // g, kh, kw) if op == "conv2d" else (c, k // g, kh, kw)
        arrays = {"input": rng.standard_normal((n, c, h, w)), "weight": rng.standard_normal(wshape)}
        if rng.random() < 0.5:
            arrays["bias"] = rng.standard_normal(k)
        kw_ = {"stride": cfg["stride"], "padding": cfg["padding"], "dilation": cfg["dilation"], "groups": g}
        if op == "conv_transpose2d":
            kw_["output_padding"] = cfg["output_padding"]
        return arrays, kw_
    if op in ("max_pool2d", "avg_pool2d"):
        (n, c), (h, w) = DRAWS[op][rng.integers(len(DRAWS[op]))], cfg["hw"]
        kw_ = {k: v for k, v in cfg.items() if k not in ("hw", "k")}
        kw_["kernel_size"] = cfg["k"]
        if op == "max_pool2d":
            kw_["return_indices"] = True
        return {"input": rng.standard_normal((n, c, h, w))}, kw_
    n, c = cfg["n"], cfg["c"]
    arrays = {"input": rng.standard_normal((n, c) + cfg["spatial"]) * 2 + 0.5}
    if cfg["affine"] != "none":
        arrays["weight"] = rng.uniform(0.5, 1.5, c)
    if cfg["affine"] == "both":
        arrays["bias"] = rng.standard_normal(c)
    if cfg["running"]:
        arrays["running_mean"] = rng.standard_normal(c)
        arrays["running_var"] = rng.uniform(0.5, 2.0, c)
    return arrays, {"training": cfg["training"], "momentum": cfg["momentum"], "eps": 1e-5}


_NO_GRAD = ("running_mean", "running_var")  # buffers: compared after the call, never differentiated


def _call(lib: str, op: str, arrays: dict, kw: dict, dtype: str) -> tuple:
    """-> (leaf tensors by name, outputs tuple) or (leaves, exception)."""
    if lib == "torch":
        import torch

        leaves = {k: torch.tensor(v.astype(dtype), requires_grad=k not in _NO_GRAD) for k, v in arrays.items()}
        fn = getattr(torch.nn.functional, op)
    else:
        leaves = {k: ag.tensor(v.astype(dtype), requires_grad=k not in _NO_GRAD) for k, v in arrays.items()}
        fn = getattr(F, op)
    args = dict(leaves)
    if op == "batch_norm":  # positional in both: input, running_mean, running_var
        pos = [args.pop("input"), args.pop("running_mean", None), args.pop("running_var", None)]
    else:
        pos = [args.pop("input"), args.pop("weight")] if "weight" in args else [args.pop("input")]
    try:
        out = fn(*pos, **args, **kw)
    except Exception as e:  # noqa: BLE001 - compared with torch's exception below
        return leaves, e
    return leaves, out if isinstance(out, tuple) else (out,)


def _builtin_type(e: BaseException) -> type:
    """The first built-in exception class in e's MRO (torch raises e.g. subclasses of RuntimeError)."""
    return next(t for t in type(e).__mro__ if getattr(builtins, t.__name__, None) is t)


def _close(name: str, ours: np.ndarray, ref: np.ndarray, dtype: str, scale: float = 1.0) -> str | None:
    if ours.shape != ref.shape:
        return f"{name}: shape {list(ours.shape)} != torch's {list(ref.shape)}"
    if ours.dtype != ref.dtype:
        return f"{name}: dtype {ours.dtype} != torch's {ref.dtype}"
    if ours.dtype.kind != "f":  # max-pool indices: exact
        return None if np.array_equal(ours, ref) else f"{name}: {ours.ravel().tolist()} != {ref.ravel().tolist()}"
    fin = np.isfinite(ref)
    if not np.array_equal(fin, np.isfinite(ours)) or not np.array_equal(ours[~fin], ref[~fin]):
        return f"{name}: non-finite values differ: {ours.ravel().tolist()} vs torch's {ref.ravel().tolist()}"
    rtol = TOL[dtype]
    scale = max(scale, float(np.abs(ref[fin]).max(initial=0.0)))
    err = np.abs(ours[fin].astype(np.float64) - ref[fin]) - rtol * np.abs(ref[fin])
    if err.size and err.max() > rtol * scale:
        i = int(np.argmax(err))
        return (f"{name}: max error {err.max() + rtol * abs(ref[fin][i]):.3g} at flat {i} "
                f"(ours {ours[fin][i]!r}, torch {ref[fin][i]!r}); ours {ours.ravel()[:8].tolist()} "
                f"torch {ref.ravel()[:8].tolist()}")
    return None


def _torch_grads(op: str, leaves: dict, outs: tuple, gy: np.ndarray, hw: int) -> dict:
    """Torch's input gradients. Max pooling windows made only of padding carry an index past the plane,
    which torch's backward writes to without a bounds check (heap corruption seen in torch 2.13): for
    such outputs the gradient is the scatter of gy into the in-range indices, the semantics torch means."""
    import torch

    if op == "max_pool2d" and outs[1].numel() and int(outs[1].max()) >= hw:
        idx, n, c = outs[1].numpy(), outs[1].shape[0], outs[1].shape[1]
        gx = np.zeros((n, c, hw + 1), dtype=gy.dtype)
        safe = np.minimum(idx, hw).reshape(n, c, -1)
        for b, ch in itertools.product(range(n), range(c)):
            np.add.at(gx[b, ch], safe[b, ch], gy[b, ch].ravel())
        return {"input": gx[:, :, :hw].reshape(leaves["input"].shape)}
    outs[0].backward(torch.tensor(gy))
    return {k: t.grad.numpy() for k, t in leaves.items() if t.requires_grad and t.grad is not None}


def torch_quirk(op: str, t_out: object, a_out: object) -> str | None:
    """A known inconsistency inside torch 2.13 itself, where we follow its documented rule: the reason, else None.

    conv_transpose2d: torch's reference kernel (float64, and float32 for a batch of one) refuses an
    output with fewer than one row or column ("Output size is too small"), while its oneDNN path (float32,
    larger batches) returns an empty output instead. We refuse it in every case."""
    if (op == "conv_transpose2d" and isinstance(a_out, RuntimeError) and "Output size is too small" in str(a_out)
            and not isinstance(t_out, Exception) and 0 in tuple(t_out[0].shape[2:])):
        return "torch's oneDNN conv_transpose2d returns a zero-size output its reference kernel refuses"
    return None


QUIRK = "torch quirk: "  # prefix of check()'s answer for a torch_quirk configuration: counted, not a failure


def _grad_scale(op: str, name: str, arrays: dict, kw: dict, gy: np.ndarray) -> float:
    """The size of a gradient's rounding errors, where it exceeds the gradient itself. BatchNorm's input
    gradient, gamma invstd / M (M g - sum g - xhat sum g xhat), cancels to about |g| invstd eps (two
    values per channel: to exactly 0), so both libraries return noise of that size; elsewhere 1."""
    if op != "batch_norm" or name != "input" or not kw["training"] or not gy.size:
        return 1.0
    x = arrays["input"]
    axes = (0,) + tuple(range(2, x.ndim))
    invstd = 1.0 / np.sqrt(x.var(axis=axes) + kw["eps"])
    return max(1.0, float(np.abs(gy).max() * invstd.max() * np.abs(arrays.get("weight", 1.0)).max()))


def check(op: str, index: int, dtype: str, seed: int = SEED) -> str | None:
    """None when our op matches torch's for this configuration, else what differs."""
    cfg = config(op, index)
    rng = np.random.default_rng([seed, list(GRIDS).index(op), index])
    arrays, kw = _case(op, cfg, rng)
    t_leaves, t_out = _call("torch", op, arrays, kw, dtype)
    a_leaves, a_out = _call("ag", op, arrays, kw, dtype)
    t_err, a_err = isinstance(t_out, Exception), isinstance(a_out, Exception)
    quirk = torch_quirk(op, t_out, a_out)
    if quirk:
        return QUIRK + quirk
    if t_err or a_err:
        if t_err and a_err and isinstance(a_out, _builtin_type(t_out)):
            return None
        return (f"torch: {type(t_out).__name__ + ': ' + str(t_out)[:200] if t_err else 'ok'}; "
                f"ours: {type(a_out).__name__ + ': ' + str(a_out)[:200] if a_err else 'ok'}")
    for i, (a, t) in enumerate(zip(a_out, t_out)):
        bad = _close(f"output {i}", a.detach().numpy(), t.detach().numpy(), dtype)
        if bad:
            return bad
    for k in _NO_GRAD:
        if k in arrays:
            bad = _close(k, a_leaves[k].numpy(), t_leaves[k].numpy(), dtype)
            if bad:
                return bad
    gy = rng.standard_normal(tuple(t_out[0].shape)).astype(dtype)
    hw = arrays["input"].shape[-2] * arrays["input"].shape[-1] if op == "max_pool2d" else 0
    want = _torch_grads(op, t_leaves, t_out, gy, hw)
    a_out[0].backward(ag.tensor(gy))
    for k, ref in want.items():
        got = a_leaves[k].grad
        if got is None:
            return f"grad {k}: None, torch's has shape {list(ref.shape)}"
        bad = _close(f"grad {k}", got.numpy(), ref, dtype, _grad_scale(op, k, arrays, kw, gy))
        if bad:
            return bad
    return None


def reproducer(op: str, index: int, dtype: str, seed: int) -> str:
    cfg = config(op, index)
    arrays, kw = _case(op, cfg, np.random.default_rng([seed, list(GRIDS).index(op), index]))
    shapes = ", ".join(f"{k}={list(v.shape)}" for k, v in arrays.items())
    return (f"{op}({shapes}, {', '.join(f'{k}={v!r}' for k, v in kw.items())}) {dtype} [config {cfg}] -- rerun: "
            f"AG_SWEEP_SEED={seed} python tests/test_kernel_sweeps.py --one {op} {index}")


def indices(op: str, full: bool, seed: int) -> np.ndarray:
    size = grid_size(op)
    if full or SAMPLE >= size:
        return np.arange(size)
    return np.sort(np.random.default_rng([seed, 99, list(GRIDS).index(op)]).choice(size, SAMPLE, replace=False))


def sweep(full: bool = FULL, seed: int = SEED, ops: list | None = None) -> dict:
    import numba
    import torch

    torch.set_num_threads(1)  # torch is the oracle here; its threads would only compete with numba's
    summary: dict = {"threads": numba.get_num_threads(), "full": full, "seed": seed, "ops": {}, "failures": []}
    for op in ops or list(GRIDS):
        tried = bad = quirks = 0
        for i in indices(op, full, seed):
            for dtype in ("float64", "float32"):
                tried += 1
                why = check(op, int(i), dtype, seed)
                if why and why.startswith(QUIRK):
                    quirks += 1
                elif why:
                    bad += 1
                    if len(summary["failures"]) < 30:
                        summary["failures"].append(f"{reproducer(op, int(i), dtype, seed)}\n    {why}")
        summary["ops"][op] = {"tried": tried, "mismatches": bad, "torch_quirks": quirks}
    return summary


# ---------------------------------------------------------------------- pytest entry points
@pytest.mark.parametrize("threads", [1, 2])
def test_kernel_sweep_matches_torch(threads):
    pytest.importorskip("torch")
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
    r = subprocess.run([sys.executable, str(Path(__file__)), "--json"], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=3600 if FULL else 600)
    lines = r.stdout.strip().splitlines()
    assert r.returncode in (0, 1) and lines, r.stdout[-3000:] + r.stderr[-3000:]
    summary = json.loads(lines[-1])
    assert summary["threads"] == threads
    print(json.dumps(summary["ops"]))  # the counts, shown with -s
    assert all(v["tried"] > 0 for v in summary["ops"].values())
    assert not summary["failures"], "\n".join(summary["failures"])


def test_grid_decoding_covers_every_axis():
    # config() is a bijection onto the product, so the full sweep really is exhaustive
    for op, axes in GRIDS.items():
        size = grid_size(op)
        assert config(op, 0) == {k: v[0] for k, v in axes.items()}
        assert config(op, size - 1) == {k: v[-1] for k, v in axes.items()}
        assert len({json.dumps(config(op, i), sort_keys=True) for i in range(0, size, max(1, size // 500))}) > 1
    assert config("conv2d", 1)["dilation"] == (1, 2)  # the last axis varies fastest


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        op, index = sys.argv[2], int(sys.argv[3])
        for dtype in ("float64", "float32"):
            print(reproducer(op, index, dtype, SEED), "->", check(op, index, dtype) or "ok")
        sys.exit(0)
    result = sweep()
    if "--json" not in sys.argv:
        print("\n".join(result["failures"]))
    print(json.dumps(result))
    sys.exit(1 if result["failures"] else 0)
