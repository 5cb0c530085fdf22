"""Op-table rows for scaled_dot_product_attention and the attention/recurrent layers' functional forms."""

from __future__ import annotations

import numpy as np  # noqa: F401
from op_db import Sample, _r, op  # noqa: F401

import autograd_core as ag  # noqa: F401
