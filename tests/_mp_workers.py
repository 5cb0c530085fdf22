"""Worker functions for tests/test_multiprocessing.py: spawned children import them from here by name.

Run as a script (``python tests/_mp_workers.py``) it is a whole program using spawn and shared tensors, so a
test can read everything it writes to stderr (resource-tracker warnings appear only when a program ends)."""

from __future__ import annotations

import os
import signal
import sys
import time

import numpy as np

import autograd_core as ag
import autograd_core.multiprocessing as mp
from autograd_core import nn, optim

W_TRUE = np.array([[1.5, -2.0, 0.5, 3.0]], dtype=np.float32)
B_TRUE = 0.7


def regression_data(n: int = 96) -> tuple[ag.Tensor, ag.Tensor]:
    """A noiseless linear-regression problem: y = x @ W_TRUE.T + B_TRUE."""
    x = np.random.default_rng(0).standard_normal((n, 4)).astype(np.float32)
    return ag.tensor(x), ag.tensor(x @ W_TRUE.T + B_TRUE)


def full_loss(model: nn.Module, x: ag.Tensor, y: ag.Tensor) -> float:
    with ag.no_grad():
        return float(nn.functional.mse_loss(model(x), y))


def train_shard(rank: int, nprocs: int, model: nn.Module, x: ag.Tensor, y: ag.Tensor, n_steps: int, lr: float,
                steps_done: ag.Tensor | None = None) -> None:
    """SGD on rows rank, rank + nprocs, ... of (x, y), updating ``model`` in place."""
    xs, ys = x[rank::nprocs], y[rank::nprocs]
    opt = optim.SGD(model.parameters(), lr=lr)
    for _ in range(n_steps):
        opt.zero_grad()
        nn.functional.mse_loss(model(xs), ys).backward()
        opt.step()
        if steps_done is not None:
            steps_done[rank] += 1  # a shared int64 counter per process


def hogwild(rank: int, nprocs: int, model: nn.Module, probe: nn.Parameter, steps_done: ag.Tensor, x: ag.Tensor,
            y: ag.Tensor, n_steps: int, lr: float, start: object) -> None:
    """One Hogwild! process: a known update of probe[rank], then SGD on its shard of the shared model."""
    start.wait(60)  # all processes train at once (otherwise the first may finish before the last starts)
    opt = optim.SGD([probe], lr=0.5)
    for _ in range(rank + 2):  # the gradient of -probe[rank] is -1 there, 0 elsewhere: each step adds 0.5
        opt.zero_grad()
        (-probe[rank]).backward()
        opt.step()
    train_shard(rank, nprocs, model, x, y, n_steps, lr, steps_done)


def write_entry(i: int, t: ag.Tensor, pids: ag.Tensor | None = None) -> None:
    """t[i] = 10 * (i + 1), in place; records the process id in pids[i]."""
    t[i] = 10.0 * (i + 1)
    if pids is not None:
        pids[i] = os.getpid()


def fail(i: int, how: str) -> None:
    """Process 1 (or 0 for 'exit' / 'signal') fails as ``how`` says; the others wait to be stopped."""
    if how == "raise" and i == 1:
        raise ValueError(f"worker {i} failed on purpose")
    if how == "exit" and i == 0:
        sys.exit(3)
    if how == "signal" and i == 0:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(30)


def noop(i: int) -> None:
    """Does nothing."""


def queue_child(inbox: object, outbox: object, done: object) -> None:
    """Add 1 to the tensor received, send back a tensor of its own, exit 0 iff the parent then wrote 5s into it."""
    t = inbox.get()
    t.add_(1)
    mine = ag.full((3,), 7.0).share_memory_()
    outbox.put(mine)
    done.wait(20)  # the parent maps `mine` before this process (its owner) unlinks it
    sys.exit(0 if mine.tolist() == [5.0, 5.0, 5.0] else 5)


_KEEP: list = []


def make_own_block(i: int, out: ag.Tensor, pids: ag.Tensor) -> None:
    """Create a shared block owned by this process and still alive at its exit; write into the parent's."""
    _KEEP.append(ag.ones(16).share_memory_())
    write_entry(i, out, pids)


def _main() -> None:
    out = ag.zeros(2).share_memory_()
    pids = ag.zeros(2, dtype=ag.int64).share_memory_()
    mp.spawn(make_own_block, args=(out, pids), nprocs=2)
    _KEEP.append(out)  # alive at exit: unlinked by the exit finalizer
    print(os.getpid(), *pids.tolist())
    print(*out.tolist())


if __name__ == "__main__":
    _main()
