"""``StackDataset`` and ``ChainDataset`` (PyTorch's ``torch.utils.data.dataset`` names)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from . import dataset as _dataset_module
from .dataset import Dataset, IterableDataset

__all__ = ["ChainDataset", "StackDataset"]


class StackDataset(Dataset):
    """Several datasets of one length side by side: sample i is ``(d1[i], d2[i], ...)`` for positional datasets,
    ``{"name": d[i], ...}`` for keyword ones (e.g. images and their labels kept in two datasets)."""

    def __init__(self, *args: Dataset, **kwargs: Dataset) -> None:
        if args and kwargs:
            raise ValueError("Supported either ``tuple``- (via ``args``) or``dict``- (via ``kwargs``) like "
                             "input/output, but both types are given.")
        if not args and not kwargs:
            raise ValueError("At least one dataset should be passed")
        parts = list(args) if args else list(kwargs.values())
        self._length = len(parts[0])
        if any(len(d) != self._length for d in parts):
            raise ValueError("Size mismatch between datasets")
        self.datasets: tuple | dict = args if args else kwargs

    def __getitem__(self, index: Any) -> Any:
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def _column(self, dataset: Dataset, indices: list) -> list:
        """One dataset's samples at ``indices``: its own batched ``__getitems__`` when it has one."""
        fetch = getattr(dataset, "__getitems__", None)
        if not callable(fetch):
            return [dataset[i] for i in indices]
        items = fetch(indices)
        if len(items) != len(indices):
            raise ValueError(f"Nested dataset's output size mismatch. Expected {len(indices)}, got {len(items)}")
        return list(items)

    def __getitems__(self, indices: list) -> list:
        """The samples at ``indices`` (what a DataLoader's batch fetch calls)."""
        if isinstance(self.datasets, dict):
            cols = {k: self._column(d, indices) for k, d in self.datasets.items()}
            return [{k: c[j] for k, c in cols.items()} for j in range(len(indices))]
        columns = [self._column(d, indices) for d in self.datasets]
        return [tuple(c[j] for c in columns) for j in range(len(indices))]

    def __len__(self) -> int:
        return self._length


class ChainDataset(IterableDataset):
    """Iterable datasets one after another (chained lazily, each as it is reached)."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        super().__init__()
        self.datasets = datasets

    def __iter__(self) -> Iterator[Any]:
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self) -> int:
        total = 0
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            total += len(d)
        return total


# PyTorch keeps both in torch.utils.data.dataset: they are set there too, from here, because dataset.py importing
# this module would make an import circle (this module subclasses dataset.py's classes)
_dataset_module.StackDataset = StackDataset  # type: ignore[attr-defined]
_dataset_module.ChainDataset = ChainDataset  # type: ignore[attr-defined]
