"""(skeleton: nn.utils.prune filled in by the nn-utilities work)."""

from __future__ import annotations
