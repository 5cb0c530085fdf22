"""autograd_core: a reverse-mode autodiff engine over a dynamic tensor graph, on numpy.

    import autograd_core as ag
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    x.grad  # tensor([2., 4.])
"""

from __future__ import annotations

from . import _threads  # first: sets thread defaults before numpy/numba load

if _threads.NEEDS_BLAS_RESTART:  # numpy came first: its OpenBLAS takes the thread timeout now (see _blas.py)
    from . import _blas

    _threads.after_blas_restart(_blas.apply_thread_timeout())
from . import _malloc  # noqa: F401, E402  (keeps freed step memory in the process)
from . import (
    _methods,  # noqa: F401  (assembles the Tensor class from the op families' declarations)
    autograd,
)
from ._device import accelerator, backends, cuda, device, mps
from ._anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from ._creation import (
    DTYPE_ALIASES,
    arange,
    as_tensor,
    asarray,
    bool_,
    complex64,
    complex128,
    empty,
    empty_like,
    eye,
    float16,
    float32,
    float64,
    from_numpy,
    full,
    Generator,
    full_like,
    generator,
    get_rng_state,
    initial_seed,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    linspace,
    logspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    seed,
    set_default_dtype,
    set_rng_state,
    tensor,
    tril_indices,
    triu_indices,
    uint8,
    zeros,
    zeros_like,
)
from .amp import autocast, is_autocast_enabled
from ._runtime import (
    Size,
    are_deterministic_algorithms_enabled,
    compile,
    finfo,
    get_default_device,
    iinfo,
    is_complex,
    set_default_device,
    get_float32_matmul_precision,
    get_num_interop_threads,
    get_num_threads,
    inference_mode,
    is_inference_mode_enabled,
    set_float32_matmul_precision,
    set_num_interop_threads,
    set_num_threads,
    set_printoptions,
    use_deterministic_algorithms,
)
from ._engine import BackwardObserver, backward, grad, observe, topological_order
from ._function import Function
from ._grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from ._tensor import Tensor
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .serialization import CheckpointError, load, save
from . import functional, linalg
from ._einsum import einsum
from .linalg import det, diag, diag_embed, logdet, outer, slogdet, trace
from .linalg import _diagonal as diagonal
from .linalg import inv as inverse
# Each op family declares its public functions in __all__ (and its Tensor methods in METHODS, bound by
# _methods): a new op is added in its family file alone.
from .ops.activation import *  # noqa: F403
from .ops.arithmetic import *  # noqa: F403
from .ops.compare import *  # noqa: F403
from .ops.contraction import *  # noqa: F403
from .ops.indexing import *  # noqa: F403
from .ops.legacy import *  # noqa: F403
from .ops.matmul import *  # noqa: F403
from .ops.reduction import *  # noqa: F403
from .ops.shape import *  # noqa: F403
from .ops.sorting import *  # noqa: F403
from .ops.scatter import *  # noqa: F403
from .ops.padding import *  # noqa: F403
from .ops.resample import *  # noqa: F403
from .ops.softmax import *  # noqa: F403
from .ops.special import *  # noqa: F403
from .ops.statistics import *  # noqa: F403
from .ops.surface import *  # noqa: F403
from .ops.unary import *  # noqa: F403
from .sparse import *  # noqa: F403
from ._inplace_functions import *  # noqa: F403
from ._toplevel_aliases import *  # noqa: F403
from .ops.scatter_more import *  # noqa: F403
from ._linalg_toplevel import *  # noqa: F403

globals().update(DTYPE_ALIASES)  # ag.float, ag.long, ag.bool, ... (PyTorch's dtype aliases)
dtype = type(float32)

__version__ = "0.1.0"

# torch's top-level forms of ops implemented in nn (torch.layer_norm, torch.embedding, torch.kl_div ...) are
# listed here and resolved on first use by __getattr__ below, as PyTorch lists them in torch.__all__.
from . import _toplevel_aliases  # noqa: E402

_LAZY_FUNCTIONS = _toplevel_aliases.LAZY

__all__ = [n for n in dir() if not n.startswith("_")] + list(_LAZY_FUNCTIONS)

# Subpackages built on top of the core (nn, optim, ...) load on first use, as ``torch.nn`` is
# reachable after ``import torch``; importing them here eagerly would point imports the wrong way.
_LAZY = ("nn", "optim", "data", "kernels", "ml", "viz", "distributions", "utils", "testing", "amp",
         "distributed", "multiprocessing", "onnx", "special", "func")


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    if name in _LAZY_FUNCTIONS:
        fn = _toplevel_aliases.resolve(name)
        globals()[name] = fn  # later lookups find it without coming here
        return fn
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    # the lazily resolved names too, so completion and introspection tools see them
    return sorted(set(globals()) | set(_LAZY) | set(_LAZY_FUNCTIONS))
