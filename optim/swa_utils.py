"""(skeleton: torch.optim.swa_utils filled in by the nn-utilities work)."""

from __future__ import annotations
