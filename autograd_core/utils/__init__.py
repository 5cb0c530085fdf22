"""``torch.utils`` paths: ``autograd_core.utils.data`` is ``autograd_core.data``."""

from __future__ import annotations

import sys

from .. import data

# `from autograd_core.utils.data import DataLoader` and `import autograd_core.utils.data` both resolve here.
sys.modules[__name__ + ".data"] = data
# and its submodules under torch.utils.data's names (dataloader, dataset, sampler, distributed)
from ..data import dataloader, dataset, distributed, sampler  # noqa: E402

for _sub in (dataloader, dataset, distributed, sampler):
    sys.modules[f"{__name__}.data.{_sub.__name__.rsplit('.', 1)[-1]}"] = _sub

from . import checkpoint  # noqa: E402  (torch.utils.checkpoint)

__all__ = ["checkpoint", "data"]
