"""DataLoader worker processes (``num_workers > 0``): each fetches and collates whole batches.

The main process hands out tasks round-robin over the workers and yields results in task order, so a
loader with workers gives the batches, in the order, a loader without them gives (for an iterable dataset,
PyTorch's round-robin interleaving of the workers' streams). Workers are forked where the platform allows
(PyTorch's default on Linux), so the dataset is not pickled; results come back pickled through a queue.
A worker that dies or a task that exceeds ``timeout`` is an error in the main process, never a hang.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import random
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .._creation import manual_seed

_POLL_S = 2.0  # how often a waiting main process checks that its workers are alive


@dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker: its id, the worker count, its seed and dataset copy."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


_INFO: list[WorkerInfo | None] = [None]


def get_worker_info() -> WorkerInfo | None:
    """The current worker's ``WorkerInfo``, or None in the main process."""
    return _INFO[0]


def _fetch_batch(dataset: Any, it: Any, task: tuple, batch_size: int | None, drop_last: bool,
                 collate: Callable) -> tuple[Any, Any]:
    """One task's result (and the iterator, for iterable datasets); StopIteration when a stream ends."""
    kind = task[0]
    if kind == "idx":
        idx = task[2]
        if isinstance(idx, list):
            return collate([dataset[i] for i in idx]), it
        return collate(dataset[idx]), it
    if it is None:
        it = iter(dataset)
    if batch_size is None:
        return collate(next(it)), it
    items = []
    for _ in range(batch_size):
        try:
            items.append(next(it))
        except StopIteration:
            break
    if not items or (drop_last and len(items) < batch_size):
        raise StopIteration
    return collate(items), it


def _worker_loop(dataset: Any, tasks: Any, results: Any, collate: Callable, worker_id: int, num_workers: int,
                 seed: int, init_fn: Callable | None, batch_size: int | None, drop_last: bool) -> None:
    random.seed(seed)
    manual_seed(seed)
    _INFO[0] = WorkerInfo(worker_id, num_workers, seed, dataset)
    try:
        if init_fn is not None:
            init_fn(worker_id)
    except Exception as e:  # noqa: BLE001 - reported to the main process, which raises it
        results.put(("err", -1, _pack(e, worker_id)))
        return
    it, epoch = None, None
    while True:
        task = tasks.get()
        if task is None:
            return
        if task[0] == "next" and task[3] != epoch:  # a new epoch of an iterable dataset: restart its stream
            it, epoch = None, task[3]
        try:
            out, it = _fetch_batch(dataset, it, task, batch_size, drop_last, collate)
            results.put(("ok", task[1], out))
        except StopIteration:
            results.put(("end", task[1], worker_id))
        except Exception as e:  # noqa: BLE001 - reported to the main process, which raises it
            results.put(("err", task[1], _pack(e, worker_id)))


def _pack(e: BaseException, worker_id: int) -> tuple:
    text = f"Caught {type(e).__name__} in DataLoader worker process {worker_id}.\nOriginal " + \
        "".join(traceback.format_exception(e))
    return type(e), text


def _unpack(payload: tuple) -> BaseException:
    cls, text = payload
    try:
        return cls(text)
    except Exception:  # noqa: BLE001 - an exception class that cannot take a message
        return RuntimeError(text)


class WorkerPool:
    """``num_workers`` processes, their task queues and the shared result queue."""

    def __init__(self, loader: Any, base_seed: int) -> None:
        ctx = loader.multiprocessing_context
        if ctx is None:
            ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        elif isinstance(ctx, str):
            ctx = mp.get_context(ctx)
        self.results = ctx.Queue()
        self.tasks = [ctx.Queue() for _ in range(loader.num_workers)]
        self.procs = []
        collate = loader._collate
        bs = loader.batch_size if loader._iterable else None
        for w in range(loader.num_workers):
            p = ctx.Process(target=_worker_loop, daemon=True, args=(
                loader.dataset, self.tasks[w], self.results, collate, w, loader.num_workers, base_seed + w,
                loader.worker_init_fn, bs, loader.drop_last))
            p.start()
            self.procs.append(p)
        self.timeout = loader.timeout

    def get(self) -> tuple:
        waited = 0.0
        while True:
            wait = _POLL_S if not self.timeout else min(_POLL_S, self.timeout - waited)
            try:
                return self.results.get(timeout=max(wait, 0.01))
            except queue.Empty:
                waited += wait
                dead = [p.pid for p in self.procs if not p.is_alive()]
                if dead:
                    self.close()
                    raise RuntimeError(f"DataLoader worker (pid(s) {', '.join(map(str, dead))}) exited "
                                       "unexpectedly") from None
                if self.timeout and waited >= self.timeout:
                    self.close()
                    raise RuntimeError(f"DataLoader timed out after {self.timeout} seconds") from None

    def close(self) -> None:
        for q in self.tasks:
            try:
                q.put(None)
            except (OSError, ValueError):
                pass
        for p in self.procs:
            p.join(timeout=1.0)
            if p.is_alive():
                p.terminate()
        self.procs = []


def run_epoch(pool: WorkerPool, loader: Any, batches: Iterator[Any], epoch: int, persistent: bool) -> Iterator[Any]:
    """Yield one epoch's batches from the pool, in task order, keeping ``prefetch_factor`` tasks per worker."""
    n = len(pool.tasks)
    live = list(range(n))
    pending: dict[int, int] = {}  # task id -> worker
    done: dict[int, tuple] = {}
    next_task = next_yield = 0
    exhausted = False
    per_worker = loader.prefetch_factor or 2
    rr = 0
    try:
        while True:
            while not exhausted and len(pending) < per_worker * max(len(live), 1) and live:
                w = live[rr % len(live)]
                rr += 1
                if loader._iterable:
                    task = ("next", next_task, None, epoch)
                else:
                    try:
                        task = ("idx", next_task, next(batches), epoch)
                    except StopIteration:
                        exhausted = True
                        break
                pool.tasks[w].put(task)
                pending[next_task] = w
                next_task += 1
            if next_yield == next_task and (exhausted or not live):
                return
            while next_yield not in done:
                kind, tid, payload = pool.get()
                if kind == "err":
                    raise _unpack(payload)
                done[tid] = (kind, payload)
            kind, payload = done.pop(next_yield)
            w = pending.pop(next_yield)
            next_yield += 1
            if kind == "end":
                if w in live:
                    live.remove(w)
                continue
            yield payload
    finally:
        if not persistent:
            pool.close()
        elif pending:  # an epoch left early: drain what is in flight so the next epoch starts clean
            for _ in range(len(pending) - len(done)):
                pool.get()

