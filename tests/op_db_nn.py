"""Op-table rows for nn.functional ops (activations, padding modes, interpolation, attention, ...)."""

from __future__ import annotations

import numpy as np  # noqa: F401
from op_db import Sample, _r, op  # noqa: F401

import autograd_core as ag  # noqa: F401
