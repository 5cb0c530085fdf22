"""``autograd_core.nn.parallel``: DistributedDataParallel (gradients averaged over the ranks of an MPI job,
see ``autograd_core.distributed``) and DataParallel (a pass-through on CPUs), PyTorch's names."""

from .data_parallel import DataParallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]
