"""``torch.utils`` paths: ``autograd_core.utils.data`` is ``autograd_core.data``."""

from __future__ import annotations

import sys

from .. import data

# `from autograd_core.utils.data import DataLoader` and `import autograd_core.utils.data` both resolve here.
sys.modules[__name__ + ".data"] = data

__all__ = ["data"]
