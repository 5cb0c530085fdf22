"""``DataLoader``: batches from a dataset, with PyTorch's signature: samplers, batch samplers, collate functions,
worker processes (``num_workers``), ``persistent_workers``, ``prefetch_factor``, ``timeout``, ``worker_init_fn``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from .._creation import tensor
from .._tensor import Tensor
from . import _workers
from .dataset import Dataset, IterableDataset, TensorDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, as_rng


def default_collate(batch: list) -> Any:
    """Stack a list of samples: tensors/arrays/numbers -> one tensor; tuples and dicts element-wise."""
    first = batch[0]
    if isinstance(first, Tensor):
        return tensor(np.stack([b._data for b in batch]))
    if isinstance(first, (np.ndarray, np.generic, int, float, bool)):
        return tensor(np.stack([np.asarray(b) for b in batch]))
    if isinstance(first, dict):
        return {k: default_collate([b[k] for b in batch]) for k in first}
    if isinstance(first, (tuple, list)):
        if any(len(b) != len(first) for b in batch):
            raise RuntimeError("default_collate: each element in the batch should be of equal size")
        return type(first)(default_collate(list(col)) for col in zip(*batch)) if isinstance(first, tuple) else [
            default_collate(list(col)) for col in zip(*batch)]
    if isinstance(first, str):
        return list(batch)
    raise TypeError(f"default_collate: batch elements of type {type(first).__name__} cannot be stacked; pass a "
                    "collate_fn")


class DataLoader:
    """Iterate a dataset in batches, as ``torch.utils.data.DataLoader``.

    ``shuffle`` draws a new order each epoch from ``generator`` (an autograd_core or numpy Generator; or
    ``seed``, this project's shorthand; or the global generator of ``ag.manual_seed``). With
    ``num_workers > 0`` batches are fetched and collated in that many worker processes.
    """

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | Iterable | None = None, batch_sampler: Sampler | Iterable | None = None,
                 num_workers: int = 0, collate_fn: Callable[[list], Any] | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Callable[[int], None] | None = None,
                 multiprocessing_context: Any = None, generator: Any = None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "", in_order: bool = True,
                 seed: int | None = None) -> None:
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int)
                                       or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 "
                             "to enable multiprocessing, otherwise set prefetch_factor to None.")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but got "
                                 f"shuffle={shuffle}")
            if sampler is not None or batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler and batch_sampler "
                                 "options")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and "
                                 "drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")
        if generator is None and seed is not None:
            generator = np.random.default_rng(seed)
        if not self._iterable and sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.sampler, self.batch_sampler, self.generator = sampler, batch_sampler, generator
        self.num_workers, self.collate_fn, self.pin_memory, self.timeout = num_workers, collate_fn, pin_memory, timeout
        self.worker_init_fn, self.multiprocessing_context = worker_init_fn, multiprocessing_context
        self.prefetch_factor = prefetch_factor if num_workers > 0 and prefetch_factor is not None else (
            2 if num_workers > 0 else None)
        self.persistent_workers, self.pin_memory_device, self.in_order = persistent_workers, pin_memory_device, in_order
        self._pool: _workers.WorkerPool | None = None
        self._epoch = 0

    @property
    def shuffle(self) -> bool:
        return isinstance(self.sampler, RandomSampler)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None or (self._iterable and self.batch_size is not None)

    @property
    def _collate(self) -> Callable:
        if self.collate_fn is not None:
            return self.collate_fn
        return default_collate if self._auto_collation else _convert

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)  # a TypeError when the dataset has no __len__, as in PyTorch
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def _index_batches(self) -> Iterator[Any]:
        if self._iterable:
            return iter(())
        return iter(self.batch_sampler) if self.batch_sampler is not None else iter(self.sampler)

    def __iter__(self) -> Iterator[Any]:
        self._epoch += 1
        if self.num_workers == 0:
            return self._iter_here()
        if self._pool is None or not self.persistent_workers:
            base_seed = int(as_rng(self.generator).integers(0, 2**62))
            self._pool = _workers.WorkerPool(self, base_seed)
        pool = self._pool
        if not self.persistent_workers:
            self._pool = None
        return _workers.run_epoch(pool, self, self._index_batches(), self._epoch, self.persistent_workers)

    def _iter_here(self) -> Iterator[Any]:
        if self._iterable:
            it = iter(self.dataset)
            while True:
                try:
                    batch, it = _workers._fetch_batch(self.dataset, it, ("next",), self.batch_size, self.drop_last,
                                                      self._collate)
                except StopIteration:
                    return
                yield batch
            return
        fast = (isinstance(self.dataset, TensorDataset) and self.collate_fn is None
                and isinstance(self.batch_sampler, BatchSampler))
        for idx in self._index_batches():
            if fast:  # one fancy-index per tensor instead of a per-sample loop
                sel = np.asarray(idx, dtype=np.int64)
                yield tuple(tensor(t._data[sel]) for t in self.dataset.tensors)
            elif isinstance(idx, list):
                yield self._collate([self.dataset[i] for i in idx])
            else:
                yield self._collate(self.dataset[idx])

    def __del__(self) -> None:
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.close()


def _convert(sample: Any) -> Any:
    """Without auto-batching (batch_size=None), samples pass through with arrays turned into tensors."""
    if isinstance(sample, np.ndarray):
        return tensor(sample)
    if isinstance(sample, dict):
        return {k: _convert(v) for k, v in sample.items()}
    if isinstance(sample, tuple):
        return tuple(_convert(v) for v in sample)
    if isinstance(sample, list):
        return [_convert(v) for v in sample]
    return sample
