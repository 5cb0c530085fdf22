"""``torch.utils.data.dataloader`` path: ``from autograd_core.utils.data.dataloader import default_collate``."""

from .loader import DataLoader, default_collate

__all__ = ["DataLoader", "default_collate"]
