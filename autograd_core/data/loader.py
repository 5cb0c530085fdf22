"""``DataLoader``: batches from a dataset, with shuffling, drop_last and a collate function."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .._creation import generator, tensor
from .._tensor import Tensor
from .dataset import Dataset, TensorDataset


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
    """Iterate a dataset in batches. ``shuffle`` draws a new order each epoch from ``generator``
    (or ``seed``, or the global generator of ``ag.manual_seed``)."""

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool = False, drop_last: bool = False,
                 collate_fn: Callable[[list], Any] | None = None, generator: np.random.Generator | None = None,
                 seed: int | None = None) -> None:
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        self.dataset, self.batch_size, self.shuffle, self.drop_last = dataset, batch_size, shuffle, drop_last
        self.collate_fn = collate_fn
        self.generator = generator if generator is not None else (
            np.random.default_rng(seed) if seed is not None else None)

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _order(self) -> np.ndarray:
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        return (self.generator if self.generator is not None else generator()).permutation(n)

    def __iter__(self) -> Iterator[Any]:
        order = self._order()
        if self.batch_size is None:
            for i in order:
                yield self.dataset[int(i)]
            return
        fast = isinstance(self.dataset, TensorDataset) and self.collate_fn is None
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            if self.drop_last and len(idx) < self.batch_size:
                return
            if fast:  # one fancy-index per tensor instead of a per-sample loop
                yield tuple(tensor(t._data[idx]) for t in self.dataset.tensors)
            else:
                samples = [self.dataset[int(i)] for i in idx]
                yield (self.collate_fn or default_collate)(samples)
