"""Run under ``mpiexec -n 2``: every check of tests/test_distributed.py that needs ranks, in one MPI job.

Each check runs on every rank; a failure is recorded (not raised) so one job reports them all, and each rank
writes {check name: "ok" or the failure} to OUT_DIR/rank<r>.json. Reference values come from numpy (each
rank can rebuild every rank's data: it is drawn from a generator seeded by the rank number).
"""

from __future__ import annotations

import json
import re
import sys
import traceback
from datetime import timedelta
from pathlib import Path

import numpy as np
from autograd_core.nn import functional as F

import autograd_core as ag
import autograd_core.distributed as dist
from autograd_core import nn, optim
from autograd_core.data import DataLoader, DistributedSampler, TensorDataset

CHECKS = []
R = N = 0


def check(fn):
    CHECKS.append(fn)
    return fn


def data(rank: int, shape=(3, 4), dtype=np.float64) -> np.ndarray:
    """Rank ``rank``'s input: reproducible on every rank."""
    rng = np.random.default_rng(100 + rank)
    if np.dtype(dtype).kind in "iu":
        return rng.integers(1, 50, shape).astype(dtype)
    return rng.uniform(0.5, 2.0, shape).astype(dtype)


def every(shape=(3, 4), dtype=np.float64) -> np.ndarray:
    return np.stack([data(r, shape, dtype) for r in range(N)])


def raises(fn, exc, pattern: str) -> str:
    try:
        fn()
    except exc as e:
        if not re.search(pattern, str(e)):
            raise AssertionError(f"message {str(e)!r} does not match {pattern!r}") from None
        return str(e)
    raise AssertionError(f"no {exc.__name__} raised (expected one matching {pattern!r})")


def close(got, want, tol=1e-12) -> None:
    got, want = (v.detach().numpy() if isinstance(v, ag.Tensor) else np.asarray(v) for v in (got, want))
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


# ---------------------------------------------------------------------- collectives vs numpy
@check
def reduce_ops_float():
    ref = {"SUM": np.sum, "AVG": np.mean, "PRODUCT": np.prod, "MIN": np.min, "MAX": np.max}
    for dtype in (np.float64, np.float32):
        for name, f in ref.items():
            t = ag.tensor(data(R, dtype=dtype))
            assert dist.all_reduce(t, op=getattr(dist.ReduceOp, name)) is None
            assert t.dtype == ag.tensor(np.zeros(1, dtype)).dtype
            close(t, f(every(dtype=dtype), axis=0), 1e-6 if dtype == np.float32 else 1e-12)


@check
def reduce_ops_int_and_bool():
    for name, f in {"SUM": np.sum, "PRODUCT": np.prod, "MIN": np.min, "MAX": np.max, "BAND": np.bitwise_and.reduce,
                    "BOR": np.bitwise_or.reduce, "BXOR": np.bitwise_xor.reduce}.items():
        t = ag.tensor(data(R, dtype=np.int64))
        dist.all_reduce(t, op=getattr(dist.ReduceOp, name))
        np.testing.assert_array_equal(t.numpy(), f(every(dtype=np.int64), axis=0))
    b = ag.tensor(np.array([R == 0, True, False]))
    dist.all_reduce(b)  # a sum of bools is their OR
    np.testing.assert_array_equal(b.numpy(), [True, True, False])
    b = ag.tensor(np.array([R == 0, True, False]))
    dist.all_reduce(b, op=dist.ReduceOp.MIN)
    np.testing.assert_array_equal(b.numpy(), [False, True, False])


@check
def reduce_op_errors():
    raises(lambda: dist.all_reduce(ag.tensor(data(R, dtype=np.int64)), op=dist.ReduceOp.AVG), ValueError,
           r"all_reduce: ReduceOp.AVG is not defined for a int64 tensor")
    raises(lambda: dist.all_reduce(ag.ones(3), op=dist.ReduceOp.BAND), ValueError, r"BAND.*float32")
    raises(lambda: dist.all_reduce(ag.ones(3), op="sum"), TypeError, r"all_reduce: op must be a ReduceOp")
    raises(lambda: dist.all_reduce(np.ones(3)), TypeError, r"all_reduce: tensor must be an autograd_core.Tensor")


@check
def async_work():
    t = ag.tensor(data(R))
    work = dist.all_reduce(t, op=dist.ReduceOp.MAX, async_op=True)
    assert isinstance(work, dist.Work)
    assert work.wait() is True and work.is_completed() and work.is_success()
    close(t, every().max(0))
    assert work.result()[0] is t
    outs = [ag.zeros(3, 4, dtype=ag.float64) for _ in range(N)]
    work = dist.all_gather(outs, ag.tensor(data(R)), async_op=True)
    while not work.is_completed():
        pass
    for r in range(N):
        close(outs[r], data(r))


@check
def broadcast_from_rank1():
    t = ag.tensor(data(R))
    v = t._version
    dist.broadcast(t, src=1)
    close(t, data(1))
    assert t._version == v + (R != 1)  # the receivers' tensors were written
    # a non-contiguous target (a transposed view) is written through to its base
    base = ag.tensor(data(R, (4, 3)))
    view = base.t()
    dist.broadcast(view, src=1)
    close(base, data(1, (4, 3)))
    raises(lambda: dist.broadcast(ag.ones(2), src=N), ValueError, rf"broadcast: src={N} is not a rank of the group")
    raises(lambda: dist.broadcast(ag.ones(2)), ValueError, r"broadcast: Must specify src")


@check
def all_gather_variants():
    outs = [ag.zeros(3, 4, dtype=ag.float64) for _ in range(N)]
    dist.all_gather(outs, ag.tensor(data(R)))
    for r in range(N):
        close(outs[r], data(r))
    cat = ag.zeros(3 * N, 4, dtype=ag.float64)
    dist.all_gather_into_tensor(cat, ag.tensor(data(R)))
    close(cat, np.concatenate([data(r) for r in range(N)]))
    stacked = ag.zeros(N, 3, 4, dtype=ag.float64)
    dist.all_gather_into_tensor(stacked, ag.tensor(data(R)))
    close(stacked, every())
    raises(lambda: dist.all_gather([ag.zeros(3, 4, dtype=ag.float64)], ag.tensor(data(R))), ValueError,
           rf"all_gather: tensor_list has 1 tensors but the group has {N} ranks")
    raises(lambda: dist.all_gather([ag.zeros(3, 4) for _ in range(N)], ag.tensor(data(R))), ValueError,
           r"all_gather: tensor_list\[0\] is float32 \[3, 4\] but the tensor is float64 \[3, 4\]")
    raises(lambda: dist.all_gather_into_tensor(ag.zeros(5, dtype=ag.float64), ag.tensor(data(R))), ValueError,
           r"all_gather_into_tensor: the output tensor must hold world size")


@check
def reduce_scatter_variants():
    ins = [ag.tensor(data(R, (2, 3)) * (k + 1)) for k in range(N)]
    for op, f in ((dist.ReduceOp.SUM, np.sum), (dist.ReduceOp.AVG, np.mean), (dist.ReduceOp.MAX, np.max)):
        out = ag.zeros(2, 3, dtype=ag.float64)
        dist.reduce_scatter(out, ins, op=op)
        close(out, f(every((2, 3)) * (R + 1), axis=0))
    out = ag.zeros(2, 3, dtype=ag.float64)
    dist.reduce_scatter_tensor(out, ag.tensor(data(R, (2 * N, 3))))
    close(out, every((2 * N, 3)).sum(0)[2 * R:2 * R + 2])
    raises(lambda: dist.reduce_scatter(ag.zeros(2, 3, dtype=ag.float64), ins[:1]), ValueError,
           r"reduce_scatter: input_list has 1 tensors")


@check
def reduce_gather_scatter():
    t = ag.tensor(data(R))
    dist.reduce(t, dst=1, op=dist.ReduceOp.SUM)
    close(t, every().sum(0) if R == 1 else data(R))  # only the destination changes
    outs = [ag.zeros(3, 4, dtype=ag.float64) for _ in range(N)] if R == 0 else None
    dist.gather(ag.tensor(data(R)), outs, dst=0)
    if R == 0:
        for r in range(N):
            close(outs[r], data(r))
    t = ag.zeros(3, 4, dtype=ag.float64)
    dist.scatter(t, [ag.tensor(data(1) + r) for r in range(N)] if R == 1 else None, src=1)
    close(t, data(1) + R)
    if R == 1:
        raises(lambda: dist.gather(ag.ones(2), [ag.ones(2)] * N, dst=0), ValueError,
               r"gather: Argument ``gather_list`` must NOT be specified on non-destination ranks")
    else:
        raises(lambda: dist.gather(ag.ones(2), None, dst=0), ValueError,
               r"gather: Argument ``gather_list`` must be specified on destination rank")
    dist.barrier()


@check
def objects():
    got = [None] * N
    dist.all_gather_object(got, {"rank": R, "name": "x" * (R + 3)})
    assert got == [{"rank": r, "name": "x" * (r + 3)} for r in range(N)], got
    lst = [{"a": 1}, [1, 2, 3], "s"] if R == 1 else [None, None, None]
    dist.broadcast_object_list(lst, src=1)
    assert lst == [{"a": 1}, [1, 2, 3], "s"], lst
    raises(lambda: dist.all_gather_object([], 1), ValueError, r"all_gather_object: object_list must be a list of")


# ---------------------------------------------------------------------- in place, versions, autograd
@check
def versions_and_autograd():
    t = ag.tensor(data(R))
    v = t._version
    dist.all_reduce(t)
    assert t._version == v + 1
    # a leaf that requires grad is written (PyTorch allows it: collectives are not recorded)
    leaf = ag.tensor(data(R), requires_grad=True)
    dist.all_reduce(leaf)
    assert leaf.is_leaf and leaf.requires_grad and leaf.grad_fn is None
    close(leaf, every().sum(0))
    # a leaf's .grad, the usual target
    w = ag.tensor(data(R), requires_grad=True)
    (w * ag.tensor(data(R))).sum().backward()
    dist.all_reduce(w.grad, op=dist.ReduceOp.AVG)
    close(w.grad, every().mean(0))
    # a non-leaf keeps its history: the backward passes through as if the collective were not there
    a = ag.tensor(data(R), requires_grad=True)
    y = a * 2
    dist.all_reduce(y)
    assert y.grad_fn is not None
    y.sum().backward()
    close(a.grad, np.full((3, 4), 2.0))
    # a value saved for backward and then overwritten by a collective: the version check refuses the backward
    b = ag.tensor(data(R), requires_grad=True)
    e = b.exp()
    dist.all_reduce(e)
    raises(lambda: e.sum().backward(), RuntimeError, r"modified by an inplace operation")
    raises(lambda: dist.all_reduce(ag.ones(1).expand(3)), RuntimeError, r"all_reduce: the tensor .* is read-only")


# ---------------------------------------------------------------------- mismatches: an error on every rank
@check
def mismatched_shapes():
    msg = raises(lambda: dist.all_reduce(ag.zeros(3 + R)), RuntimeError,
                 r"Detected mismatch between collectives on ranks: rank 0 called all_reduce\(op=ReduceOp.SUM, "
                 r"tensor float32 \[3\]\); rank 1 called all_reduce\(op=ReduceOp.SUM, tensor float32 \[4\]\)")
    assert "same shape and dtype" in msg
    raises(lambda: dist.all_reduce(ag.zeros(3, dtype=[ag.float32, ag.float64][R])), RuntimeError,
           r"rank 0 called all_reduce\(op=ReduceOp.SUM, tensor float32 \[3\]\); rank 1 called all_reduce\(op=Red"
           r"uceOp.SUM, tensor float64 \[3\]\)")
    raises(lambda: dist.all_reduce(ag.zeros(3), op=[dist.ReduceOp.SUM, dist.ReduceOp.MAX][R]), RuntimeError,
           r"rank 1 called all_reduce\(op=ReduceOp.MAX")
    raises(lambda: dist.broadcast(ag.zeros(3), src=R), RuntimeError,
           r"rank 0 called broadcast\(src=0, tensor float32 \[3\]\); rank 1 called broadcast\(src=1")
    raises(lambda: dist.all_reduce(ag.zeros(3)) if R == 0 else dist.barrier(), RuntimeError,
           r"rank 0 called all_reduce\(op=ReduceOp.SUM, tensor float32 \[3\]\); rank 1 called barrier\(\)")
    t = ag.tensor(data(R))  # the group still works afterwards
    dist.all_reduce(t)
    close(t, every().sum(0))


# ---------------------------------------------------------------------- DistributedDataParallel
def make_model(seed: int) -> nn.Module:
    """A float64 MLP with a BatchNorm (run in eval mode: its running stats are buffers) and a registered
    buffer; the seed changes every value, so the ranks start different and DDP must copy rank 0's."""
    ag.manual_seed(seed)
    m = nn.Sequential(nn.Linear(6, 10), nn.BatchNorm1d(10), nn.Tanh(), nn.Linear(10, 3)).double()
    m[1].running_mean.copy_(ag.tensor(np.linspace(-0.2, 0.3, 10) + seed))
    m[1].running_var.copy_(ag.tensor(np.linspace(0.5, 1.5, 10) + seed))
    m.register_buffer("temperature", ag.tensor(np.array([1.25 + seed])))
    return m.eval()


def loss_of(m: nn.Module, net: nn.Module, x: np.ndarray, y: np.ndarray):
    return F.cross_entropy(net(ag.tensor(x)) / m.temperature, ag.tensor(y))


def batches(steps: int = 4, batch: int = 16):
    rng = np.random.default_rng(7)
    return rng.standard_normal((steps, batch, 6)), rng.integers(0, 3, (steps, batch))


def flat_params(m: nn.Module) -> np.ndarray:
    return np.concatenate([p.detach().numpy().ravel() for p in m.parameters()])


def same_on_every_rank(a: np.ndarray) -> None:
    got = [None] * N
    dist.all_gather_object(got, a)
    for r in range(1, N):
        np.testing.assert_array_equal(got[r], got[0])


@check
def ddp_matches_one_process():
    X, Y = batches()
    h = X.shape[1] // N
    for opt_cls, kw in ((optim.SGD, dict(lr=0.1, momentum=0.9)), (optim.Adam, dict(lr=0.01))):
        ref = make_model(0)
        ddp = nn.parallel.DistributedDataParallel(make_model(R), bucket_cap_mb=0.0005)  # several buckets
        assert len(ddp._reducer.buckets) > 1
        assert float(ddp.module.temperature) == 1.25 and float(ddp.module[1].running_mean[0]) == -0.2
        o_ref, o_ddp = opt_cls(ref.parameters(), **kw), opt_cls(ddp.parameters(), **kw)
        for k in range(len(X)):
            o_ref.zero_grad()
            loss_of(ref, ref, X[k], Y[k]).backward()
            o_ref.step()
            o_ddp.zero_grad()
            loss_of(ddp.module, ddp, X[k, R * h:(R + 1) * h], Y[k, R * h:(R + 1) * h]).backward()
            o_ddp.step()
        diff = np.abs(flat_params(ref) - flat_params(ddp.module)).max()
        assert diff <= 1e-6, f"{opt_cls.__name__}: max |difference| {diff}"
        same_on_every_rank(flat_params(ddp.module))


@check
def ddp_state_dict_and_forward():
    ddp = nn.parallel.DistributedDataParallel(make_model(R))
    keys = list(ddp.state_dict())
    assert keys[0] == "module.temperature" and "module.0.weight" in keys and "module.1.running_var" in keys, keys
    assert all(k.startswith("module.") for k in keys)
    x = ag.tensor(np.ones((2, 6)))
    close(ddp(x), ddp.module(x))
    ddp.module.load_state_dict(make_model(0).state_dict())
    # each forward first copies rank 0's buffers to every rank (forward_sync_buffers, on by default)
    ddp.module.temperature.fill_(1.0 + R)
    ddp(x)
    assert float(ddp.module.temperature) == 1.0
    local = nn.parallel.DistributedDataParallel(make_model(R), forward_sync_buffers=False)
    local.module.temperature.fill_(1.0 + R)
    local(x)
    assert float(local.module.temperature) == 1.0 + R
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        off = nn.parallel.DistributedDataParallel(make_model(R), broadcast_buffers=False)  # PyTorch's old switch
    assert any("`broadcast_buffers` is deprecated" in str(w.message) for w in caught)
    assert float(off.module.temperature) == 1.25 + R  # not even synced at wrap


@check
def ddp_no_sync_accumulates():
    X, Y = batches(3)
    h = X.shape[1] // N
    ref = make_model(0)
    for k in range(3):  # one process: the gradients of the three full batches, accumulated
        loss_of(ref, ref, X[k], Y[k]).backward()
    ddp = nn.parallel.DistributedDataParallel(make_model(R))
    part = slice(R * h, (R + 1) * h)
    with ddp.no_sync():
        for k in range(2):
            loss_of(ddp.module, ddp, X[k, part], Y[k, part]).backward()
    local = [None] * N
    dist.all_gather_object(local, ddp.module[0].weight.grad.numpy())
    assert np.abs(local[0] - local[1]).max() > 1e-3, "no_sync synchronised the gradients"
    loss_of(ddp.module, ddp, X[2, part], Y[2, part]).backward()  # synced: averages the accumulated .grad
    for p, q in zip(ref.parameters(), ddp.module.parameters()):
        close(q.grad, p.grad.numpy(), 1e-12)


class TwoHeads(nn.Module):
    """Two heads on one body; forward returns the first only, or both with ``both``."""

    def __init__(self):
        super().__init__()
        self.body, self.used, self.unused = nn.Linear(4, 4), nn.Linear(4, 2), nn.Linear(4, 2)

    def forward(self, x, both=False):
        z = self.body(x)
        return (self.used(z), self.unused(z)) if both else self.used(z)


@check
def ddp_find_unused_parameters():
    ag.manual_seed(0)
    ref = TwoHeads().double()
    ddp = nn.parallel.DistributedDataParallel(TwoHeads().double(), find_unused_parameters=True)
    ddp.module.load_state_dict(ref.state_dict())
    x = np.random.default_rng(3).standard_normal((8, 4))
    ref(ag.tensor(x)).square().mean().backward()
    for _ in range(2):  # twice: the reduction finished, the next forward does not complain
        ddp.zero_grad()
        ddp(ag.tensor(x[R * 4:(R + 1) * 4])).square().mean().backward()
    assert ddp.module.unused.weight.grad is None
    for name in ("body", "used"):
        for a, b in zip(getattr(ref, name).parameters(), getattr(ddp.module, name).parameters()):
            close(b.grad, a.grad.numpy())
    # without find_unused_parameters the reduction never finishes: the next forward says so, naming them
    ddp = nn.parallel.DistributedDataParallel(TwoHeads().double())
    ddp(ag.tensor(x[:4])).sum().backward()
    raises(lambda: ddp(ag.tensor(x[:4])), RuntimeError,
           r"Expected to have finished reduction in the prior iteration.*find_unused_parameters=True.*"
           r"rank \d: unused.weight, unused.bias")


@check
def ddp_errors():
    raises(lambda: nn.parallel.DistributedDataParallel(nn.Linear(3, 3 + R)), RuntimeError,
           r"DistributedDataParallel: the ranks hold different models; the first difference is tensor 0: "
           r"rank 0: weight: float32 \[3, 3\]; rank 1: weight: float32 \[4, 3\]")
    frozen = nn.Linear(2, 2).requires_grad_(False)
    raises(lambda: nn.parallel.DistributedDataParallel(frozen), RuntimeError,
           r"DistributedDataParallel is not needed when a module doesn't have any parameter that requires")
    raises(lambda: nn.parallel.DistributedDataParallel(nn.Linear(2, 2), device_ids=[0]), ValueError,
           r"device_ids and output_device arguments only work with")
    # two backward passes through one synced forward: the second reaches the body's parameters again
    ddp = nn.parallel.DistributedDataParallel(TwoHeads())
    a, b = ddp(ag.ones(1, 4), both=True)
    a.sum().backward(retain_graph=True)  # body and the first head: the reduction waits for the second head
    raises(lambda: b.sum().backward(), RuntimeError, r"Expected to mark a variable ready only once.*Parameter: body")


# ---------------------------------------------------------------------- DistributedSampler with the group
@check
def sampler_from_group():
    ds = TensorDataset(ag.arange(10))
    sampler = DistributedSampler(ds, shuffle=True, seed=5)
    assert sampler.num_replicas == N and sampler.rank == R and len(sampler) == 5
    seen = [None] * N
    dist.all_gather_object(seen, list(sampler))
    assert sorted(sum(seen, [])) == list(range(10)), seen
    got = [int(v) for (batch,) in DataLoader(ds, batch_size=2, sampler=sampler) for v in batch]
    assert got == seen[R], (got, seen[R])


def main(out_dir: str) -> None:
    global R, N
    dist.init_process_group("gloo", timeout=timedelta(seconds=30))  # 'gloo', as ported programs write
    R, N = dist.get_rank(), dist.get_world_size()
    assert N == 2, "run under mpiexec -n 2"
    results = {}
    for fn in CHECKS:
        try:
            fn()
            results[fn.__name__] = "ok"
        except Exception as e:  # noqa: BLE001 - recorded and reported by the test
            results[fn.__name__] = f"{type(e).__name__}: {e}\n{traceback.format_exc()}"
        dist.barrier()  # the ranks start each check together (a mismatch would show here)
    Path(out_dir, f"rank{R}.json").write_text(json.dumps(results))
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
