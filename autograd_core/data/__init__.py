"""``autograd_core.data``: datasets, loaders, samplers, shipped datasets, toy problems and augmentations
(the counterpart of ``torch.utils.data``, also reachable as ``autograd_core.utils.data``, plus the course's data)."""

from . import datasets, distributed, transforms
from ._datasets_more import ChainDataset, StackDataset
from ._workers import WorkerInfo, get_worker_info
from .dataset import ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, random_split
from .distributed import DistributedSampler
from .loader import DataLoader, default_collate
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "DistributedSampler",
           "IterableDataset", "RandomSampler", "Sampler", "SequentialSampler", "StackDataset", "Subset",
           "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler", "WorkerInfo",
           "datasets", "default_collate", "distributed", "get_worker_info", "random_split", "transforms"]
