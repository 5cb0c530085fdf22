"""``autograd_core.data``: datasets, loaders, shipped datasets, toy problems and augmentations
(the counterpart of ``torch.utils.data`` plus the course's data)."""

from . import datasets, transforms
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .loader import DataLoader, default_collate

__all__ = ["ConcatDataset", "DataLoader", "Dataset", "Subset", "TensorDataset", "datasets", "default_collate",
           "random_split", "transforms"]
