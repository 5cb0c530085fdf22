"""The gradient reducer of DistributedDataParallel: parameters in buckets, a hook per parameter, one
non-blocking all-reduce per bucket, and the averaged gradients written back at the end of backward.

How it meets the engine: the engine hands a leaf its gradient at the end of backward, leaf by leaf (run the
leaf's hooks, then ``.grad += g``), so each parameter's hook sees its gradient of this backward, ``g``. The hook
copies ``(.grad + g) / world_size`` (the gradient the leaf is about to hold, pre-divided) into the parameter's
slot in its bucket; when a bucket is complete it is all-reduced without blocking (MPI Iallreduce), strictly in
bucket order so that every rank issues the same collectives in the same order whatever order its leaves come
in. The hook of the last parameter waits for every bucket and writes the averages into the ``.grad`` of the
others (whose own accumulation already ran) and hands the engine its own average in place of ``g``.

Because the engine runs leaf hooks only after the whole graph has been processed, the reductions overlap the
delivery of the remaining leaves' gradients, not the backward of the layers (PyTorch's reducer hooks into each
AccumulateGrad node as the backward runs). Buckets follow the reverse order of ``parameters()`` and are not
rebuilt from the observed order (PyTorch rebuilds them after the first iteration). With
``find_unused_parameters``, a rank whose forward used no parameter at all gets no hook call, so it never
joins the reduction (the others then time out).
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from autograd_core._tensor import Tensor, _make, bump_version
from autograd_core.distributed import _internal

_FIRST_BUCKET_BYTES = 1024 * 1024  # PyTorch's dist._DEFAULT_FIRST_BUCKET_BYTES

_UNFINISHED = (
    "Expected to have finished reduction in the prior iteration before starting a new one. This error indicates "
    "that your module has parameters that were not used in producing loss. You can enable unused parameter "
    "detection by passing the keyword argument `find_unused_parameters=True` to "
    "`autograd_core.nn.parallel.DistributedDataParallel`, and by making sure all `forward` function outputs "
    "participate in calculating loss. Parameters which did not receive grad for rank {rank}: {names}")

_TWICE = (
    "Expected to mark a variable ready only once. This error is caused by one of the following reasons: 1) Use of "
    "a module parameter outside the `forward` function (or a second backward through the same forward, e.g. "
    "with retain_graph=True): call the DDP module's forward once per backward, or run the extra backward "
    "inside `ddp.no_sync()`; 2) Reused parameters in multiple reentrant backward passes. Parameter: {name}")


class _Bucket:
    __slots__ = ("members", "buf", "pending", "work")

    def __init__(self, members: list[int], dtype: np.dtype, numel: int) -> None:
        self.members, self.buf, self.pending, self.work = members, np.zeros(numel, dtype=dtype), 0, None


def _buckets(params: list[Tensor], first_cap: int, cap: int) -> tuple[list[_Bucket], list[tuple[int, int, int]]]:
    """Parameters (in reverse order, one dtype per bucket) packed into buckets of up to ``cap`` bytes (the
    first up to ``first_cap``); the slot (bucket, offset, size) of each parameter."""
    open_: dict[np.dtype, list[int]] = {}
    groups: list[tuple[np.dtype, list[int]]] = []
    filled: dict[np.dtype, int] = {}
    for i in reversed(range(len(params))):
        dt = params[i]._data.dtype
        members = open_.get(dt)
        limit = first_cap if not groups else cap
        if members is None or (filled[dt] and filled[dt] + params[i]._data.nbytes > limit):
            members = open_[dt] = []
            groups.append((dt, members))
            filled[dt] = 0
        members.append(i)
        filled[dt] += params[i]._data.nbytes
    slots: list[tuple[int, int, int]] = [(0, 0, 0)] * len(params)
    out = []
    for b, (dt, members) in enumerate(groups):
        at = 0
        for i in members:
            slots[i] = (b, at, params[i]._data.size)
            at += params[i]._data.size
        out.append(_Bucket(members, dt, at))
    return out, slots


def _hook(ref: weakref.ref, i: int) -> Any:
    def ddp_grad_hook(grad: Tensor) -> Tensor | None:
        reducer = ref()
        if reducer is None or not reducer.armed:
            return None  # outside a synced iteration (no_sync, autograd.grad, or the DDP is gone): local grads
        return reducer.ready(i, grad)

    return ddp_grad_hook


class Reducer:
    """Averages the gradients of ``params`` over the ranks of ``pg`` after each armed backward."""

    def __init__(self, pg: Any, params: list[Tensor], names: list[str], bucket_cap: int, first_cap: int,
                 find_unused: bool) -> None:
        self.pg, self.params, self.names, self.find_unused = pg, params, names, find_unused
        self.buckets, self.slots = _buckets(params, first_cap, bucket_cap)
        self.armed = False
        self.is_ready = np.zeros(len(params), dtype=bool)
        self.n_ready = self.next_bucket = 0
        self.used: np.ndarray | None = None  # find_unused: 1 for the parameters this rank's forward used
        self.used_work: Any = None
        ref = weakref.ref(self)
        handles = [p.register_hook(_hook(ref, i)) for i, p in enumerate(params)]
        weakref.finalize(self, lambda: [h.remove() for h in handles])

    # ------------------------------------------------------------------ forward
    def check_finished(self) -> None:
        """A reduction begun in the previous backward but never completed (a parameter got no gradient) is an
        error, as in PyTorch."""
        if self.n_ready:
            missing = [self.names[i] for i in np.flatnonzero(~self.is_ready)]
            raise RuntimeError(_UNFINISHED.format(rank=self.pg.rank(), names=", ".join(missing)))

    def prepare(self, outputs: Any) -> None:
        """Arm the hooks for the backward of this forward (``outputs``: to find the unused parameters)."""
        self.check_finished()
        self.is_ready[:] = False
        self.next_bucket = 0
        for b in self.buckets:
            b.pending, b.work = len(b.members), None
        self.used = _used(outputs, self.params) if self.find_unused else None
        self.used_work = None
        self.armed = True

    def disarm(self) -> None:
        self.armed = False

    # ------------------------------------------------------------------ backward
    def ready(self, i: int, grad: Tensor) -> Tensor | None:
        """Parameter ``i``'s gradient of this backward is ``grad``: put it in its bucket."""
        if self.is_ready[i]:
            raise RuntimeError(_TWICE.format(name=self.names[i]))
        if self.n_ready == 0 and self.used is not None:
            self._mark_unused()
        p, (b, at, size) = self.params[i], self.slots[i]
        slot = self.buckets[b].buf[at:at + size]
        g = grad._data.reshape(-1)
        if p._grad is not None:
            np.add(p._grad._data.reshape(-1), g, out=slot)  # the gradient the leaf is about to hold
        else:
            slot[...] = g
        self._mark(i)
        if self.n_ready < len(self.params):
            return None
        self._finish(skip=i)
        p._grad = None
        return _make(slot.reshape(p.shape).copy(), None, False)  # the engine makes it this leaf's .grad

    def _mark_unused(self) -> None:
        """The parameters this rank's forward did not use are ready at once: their current .grad (or zeros)."""
        assert self.used is not None
        if self.pg.size() > 1:
            self.used_work = _internal.allreduce_sum_start(self.pg, self.used, "DistributedDataParallel backward")
        for i in np.flatnonzero(self.used == 0):
            p, (b, at, size) = self.params[i], self.slots[i]
            slot = self.buckets[b].buf[at:at + size]
            slot[...] = 0 if p._grad is None else p._grad._data.reshape(-1)
            self._mark(int(i))

    def _mark(self, i: int) -> None:
        self.is_ready[i] = True
        self.n_ready += 1
        b = self.buckets[self.slots[i][0]]
        b.pending -= 1
        # launch in bucket order only: the ranks must issue their collectives in one order
        while self.next_bucket < len(self.buckets) and self.buckets[self.next_bucket].pending == 0:
            nb = self.buckets[self.next_bucket]
            if self.pg.size() > 1:
                nb.work = _internal.allreduce_sum_start(self.pg, nb.buf, "DistributedDataParallel backward")
            self.next_bucket += 1

    def _finish(self, skip: int) -> None:
        """Wait for every bucket; .grad = the average over ranks, for every parameter but ``skip``."""
        n = self.pg.size()
        for b in self.buckets:
            if b.work is not None:
                b.work.wait()
            if n > 1:
                np.multiply(b.buf, 1.0 / n, out=b.buf, casting="unsafe")
        if self.used_work is not None:
            self.used_work.wait()
        for j, p in enumerate(self.params):
            if j == skip or (self.used is not None and self.used[j] == 0):
                continue  # skip: handed to the engine; used 0 on every rank: nobody has a gradient for it
            b, at, size = self.slots[j]
            avg = self.buckets[b].buf[at:at + size].reshape(p.shape)
            if p._grad is None:
                p._grad = _make(avg.copy(), None, False)
            else:
                np.copyto(p._grad._data, avg)
                bump_version(p._grad)
        self.armed = False
        self.n_ready = 0


def _used(outputs: Any, params: list[Tensor]) -> np.ndarray:
    """1 for each parameter that the autograd graph of ``outputs`` reaches, else 0 (float64, to be summed)."""
    stack, seen, leaves = [], set(), set()
    todo = [outputs]
    while todo:
        o = todo.pop()
        if isinstance(o, Tensor):
            if o.grad_fn is not None:
                stack.append(o.grad_fn)
            else:
                leaves.add(id(o))
        elif isinstance(o, (list, tuple)):
            todo.extend(o)
        elif isinstance(o, dict):
            todo.extend(o.values())
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for child, _ in node.next_functions:
            if isinstance(child, Tensor):
                leaves.add(id(child))
            elif child is not None and child not in seen:
                stack.append(child)
    return np.array([1.0 if id(p) in leaves else 0.0 for p in params])
