"""``autograd_core.kernels``: hot loops as pure ndarray -> ndarray functions.

Every kernel has a numba implementation and a plain-numpy reference twin with the same
signature. ``use("numba" | "reference")`` (or the environment variable
``AUTOGRAD_CORE_KERNELS``) picks which one the ops call; ``warmup()`` compiles (or loads from
the cache) every numba kernel. This package never imports the rest of autograd_core.
"""

from __future__ import annotations

from ._backend import backend, get, use, warmup

__all__ = ["backend", "get", "use", "warmup"]
