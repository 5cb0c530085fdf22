"""Op-table rows for conv1d/3d, pooling 1d/3d and adaptive, group/instance/RMS norm, dropout variants."""

from __future__ import annotations

import numpy as np  # noqa: F401
from op_db import Sample, _r, op  # noqa: F401

import autograd_core as ag  # noqa: F401
