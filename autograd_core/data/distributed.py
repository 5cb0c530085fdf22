"""``DistributedSampler``: each rank of a data-parallel job loads its own share of the dataset (PyTorch's
``torch.utils.data.distributed.DistributedSampler``).

With ``shuffle=False`` the indices are exactly PyTorch's for the same arguments. With ``shuffle=True`` every
rank draws the same permutation from ``seed + epoch`` and takes its share of it, as PyTorch does, but the
permutation comes from autograd_core's generator (numpy's PCG64), not PyTorch's Mersenne Twister: the order
is deterministic per (seed, epoch) and identical on every rank, but not PyTorch's order.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

# absolute: this file is also reached as autograd_core.utils.data.distributed (torch.utils.data's path)
from autograd_core._creation import Generator, randperm

from .sampler import Sampler

__all__ = ["DistributedSampler"]


def _from_group(what: str) -> int:
    import autograd_core.distributed as dist

    if not dist.is_available():
        raise RuntimeError("Requires distributed package to be available (pip install 'autograd_core[distributed]'), "
                           f"or pass {what}= explicitly")
    return dist.get_world_size() if what == "num_replicas" else dist.get_rank()


class DistributedSampler(Sampler):
    """The indices of rank ``rank`` out of ``num_replicas`` (defaults: the process group's), ``num_samples``
    of them: every ``num_replicas``-th index from ``rank`` of the (shuffled) index list, padded by repeating
    its start to a multiple of ``num_replicas`` (or, with ``drop_last``, cut to one). Call ``set_epoch(e)``
    before each epoch for a new shuffle."""

    def __init__(self, dataset: Any, num_replicas: int | None = None, rank: int | None = None, shuffle: bool = True,
                 seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None:
            num_replicas = _from_group("num_replicas")
        if rank is None:
            rank = _from_group("rank")
        if not isinstance(num_replicas, int) or num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be a positive integer, got {num_replicas!r}")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.epoch, self.shuffle, self.seed, self.drop_last = 0, shuffle, seed, drop_last
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)  # the largest even share
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            order = randperm(n, generator=Generator().manual_seed(self.seed + self.epoch)).tolist()
        else:
            order = list(range(n))
        if self.drop_last:
            order = order[:self.total_size]
        elif self.total_size > n and n:
            # pad by repeating the list from its start (several times over when the dataset is tiny)
            order = (order * math.ceil(self.total_size / n))[:self.total_size]
        return iter(order[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use ``epoch`` in the next shuffle (seed + epoch), so every epoch has its own order."""
        self.epoch = epoch
