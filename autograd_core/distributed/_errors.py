"""The exceptions of ``autograd_core.distributed`` (PyTorch's names where it has them)."""

from __future__ import annotations

NOT_INITIALIZED = "Default process group has not been initialized, please make sure to call init_process_group."


class DistError(RuntimeError):
    """A collective failed (PyTorch's ``torch.distributed.DistError``)."""


class DistBackendError(DistError):
    """The communication layer failed: a timeout or a broken process group (PyTorch's name)."""


class NotInitializedError(RuntimeError, ValueError):
    """A collective or query before ``init_process_group``.

    PyTorch 2.13 raises ValueError here and older releases RuntimeError; this is both, so either
    ``except`` of a ported program catches it."""


def not_initialized(call: str) -> NotInitializedError:
    """The error for ``call`` made before ``init_process_group`` (PyTorch's text, prefixed by the call)."""
    return NotInitializedError(f"{call}: {NOT_INITIALIZED}")
