"""Devices as PyTorch names them: ``device``, ``cuda``, ``backends`` and ``accelerator``, all answering "CPU only".

PyTorch programs select a device on their first lines (``torch.device("cuda" if torch.cuda.is_available()
else "cpu")``) and move every tensor and module with ``.to(device)``. Here the CPU is the only device, so
those lines run unchanged and pick it, and asking for any other device is a clear RuntimeError.
"""

from __future__ import annotations

import types
from typing import Any

_TYPES = ("cpu", "cuda", "mps", "xpu", "meta", "xla", "hip", "mtia", "hpu")


class device:  # noqa: N801  (PyTorch's name)
    """A device name: ``device("cpu")``, ``device("cuda", 0)``, ``device("cuda:1")``; only "cpu" holds tensors."""

    __slots__ = ("type", "index")

    def __init__(self, type: Any, index: int | None = None) -> None:  # noqa: A002  (PyTorch's keyword)
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool):  # device(0) is cuda:0 in PyTorch
            type, index = "cuda", type  # noqa: A001
        if not isinstance(type, str):
            raise TypeError(f"device(): expected a string or device, got {builtin_type(type).__name__}")
        name, _, idx = type.partition(":")
        if name not in _TYPES or (idx and not idx.isdigit()):
            raise RuntimeError(f"Expected one of {', '.join(_TYPES)} device type at start of device string: {type}")
        if idx:
            if index is not None:
                raise RuntimeError(f"device(): index given twice, in {type!r} and as {index}")
            index = int(idx)
        if index is not None and int(index) < 0:
            raise RuntimeError(f"Device index must not be negative, got {index}")
        self.type, self.index = name, None if index is None else int(index)

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        idx = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{idx})"

    def __eq__(self, other: object) -> bool:
        # a string is never equal to a device, as in PyTorch (compare str(d) == "cpu" or d.type == "cpu")
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __enter__(self) -> device:
        check_device(self, "with device")
        return self

    def __exit__(self, *exc: Any) -> None:
        return None


builtin_type = type
CPU = device("cpu")


def check_device(dev: Any, where: str) -> None:
    """Raise unless ``dev`` is None or the CPU (``"cpu"``, ``"cpu:0"``, ``device("cpu")``)."""
    if dev is None:
        return
    d = dev if isinstance(dev, device) else device(dev)
    if d.type != "cpu" or d.index not in (None, 0):
        raise RuntimeError(
            f"{where}: device {str(d)!r} is not available: autograd_core runs on the CPU only "
            f"(torch.cuda.is_available() is False here; select the device with "
            f"device = 'cuda' if torch.cuda.is_available() else 'cpu')")


def factory_kwargs(device: Any = None, dtype: Any = None, where: str = "") -> dict:
    """Check a layer's ``device=`` and pass its ``dtype=`` on (PyTorch's factory_kwargs)."""
    check_device(device, where or "factory")
    return {"dtype": dtype}


def _no_cuda(what: str) -> Any:
    def fn(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"torch.cuda.{what}: no CUDA device is available (autograd_core runs on the CPU only)")

    return fn


def _nothing(*args: Any, **kwargs: Any) -> None:
    return None


# torch.cuda: queries answer "no device"; seeding and synchronising are harmless no-ops, as in a CPU build of
# PyTorch; anything that needs a device raises.
cuda = types.ModuleType("autograd_core.cuda", "CUDA is never available: the CPU is autograd_core's only device.")
cuda.is_available = lambda: False
cuda.device_count = lambda: 0
cuda.is_initialized = lambda: False
cuda.manual_seed = _nothing
cuda.manual_seed_all = _nothing
cuda.synchronize = _nothing
cuda.empty_cache = _nothing
cuda.current_device = _no_cuda("current_device")
cuda.get_device_name = _no_cuda("get_device_name")
cuda.set_device = _no_cuda("set_device")
cuda.device = _no_cuda("device")

def _cuda_amp() -> types.ModuleType:
    from . import amp

    m = types.ModuleType("autograd_core.cuda.amp", "torch.cuda.amp's names over autograd_core.amp (CPU no-ops).")
    m.autocast = amp.autocast
    m.GradScaler = amp.GradScaler
    return m


cuda.amp = _cuda_amp()

mps = types.ModuleType("autograd_core.mps", "Apple's MPS is never available here.")
mps.is_available = lambda: False
mps.manual_seed = _nothing
mps.synchronize = _nothing

# torch.backends.*: flags that programs set (cudnn.benchmark = True) are kept and change nothing.
backends = types.ModuleType("autograd_core.backends", "Backend flags, kept for compatibility; the CPU ignores them.")
backends.cudnn = types.SimpleNamespace(enabled=True, benchmark=False, deterministic=False, allow_tf32=True,
                                       is_available=lambda: False, version=lambda: None)
backends.mps = types.SimpleNamespace(is_available=lambda: False, is_built=lambda: False)
backends.cuda = types.SimpleNamespace(is_built=lambda: False,
                                      matmul=types.SimpleNamespace(allow_tf32=False))
backends.mkldnn = types.SimpleNamespace(enabled=True, is_available=lambda: False)
backends.openmp = types.SimpleNamespace(is_available=lambda: True)

accelerator = types.ModuleType("autograd_core.accelerator", "No accelerator: the CPU is the only device.")
accelerator.is_available = lambda: False
accelerator.current_accelerator = lambda check_available=False: None
accelerator.device_count = lambda: 0
