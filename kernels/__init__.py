"""``autograd_core.kernels``: numba kernels with numpy twins (built in the kernels issue)."""
