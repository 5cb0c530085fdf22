"""``DistributedDataParallel``: data-parallel training over the ranks of an MPI job (PyTorch's signature).

Each rank runs the same model on its part of the batch; after backward every parameter's ``.grad`` holds the
average of the ranks' gradients, so any optimiser then takes the same step on every rank. See ``_reducer`` for
how gradients are bucketed and reduced.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import Any

from autograd_core import _grad_mode
from autograd_core._tensor import bump_version
from autograd_core.distributed import _check, _group, _internal

from ..module import Module
from ._reducer import _FIRST_BUCKET_BYTES, Reducer

__all__ = ["DistributedDataParallel"]

_MB = 1024 * 1024


class DistributedDataParallel(Module):
    """Wrap ``module`` so that backward averages its gradients over the process group's ranks.

    At wrap: every rank must hold the same parameter and buffer names, shapes and dtypes (checked: a clear
    error, not a hang) and takes rank 0's values. Each forward first copies rank 0's buffers to every rank
    (``forward_sync_buffers``, default True; the deprecated ``broadcast_buffers=False`` turns that and the
    buffers' sync at wrap off). ``no_sync()``: backward passes of forwards run inside it only accumulate
    locally; the next synced backward averages the accumulated ``.grad``. ``find_unused_parameters``: find the
    parameters a forward did not use (by walking its graph) so their reduction does not wait for them.
    ``state_dict()`` keys carry the ``module.`` prefix, as PyTorch's. CPU only: ``device_ids`` and
    ``output_device`` must be None. Limits: the hooks also run in ``autograd.grad`` calls that reach the
    parameters after a synced forward (call those inside ``no_sync()``); ``create_graph`` backward passes are
    reduced as values (no graph through the average); ``gradient_as_bucket_view`` and ``static_graph`` are
    accepted and change nothing.
    """

    def __init__(self, module: Module, device_ids: Any = None, output_device: Any = None, dim: int = 0,
                 broadcast_buffers: bool | None = None, init_sync: bool = True, process_group: Any = None,
                 bucket_cap_mb: float | None = None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False, static_graph: bool = False,
                 delay_all_reduce_named_params: Any = None, param_to_hook_all_reduce: Any = None,
                 mixed_precision: Any = None, device_mesh: Any = None, skip_all_reduce_unused_params: bool = False,
                 bucket_cap_mb_list: list[int] | None = None, batched_grad_copy: bool = False,
                 forward_sync_buffers: bool | None = None) -> None:
        super().__init__()
        call = "DistributedDataParallel"
        if not isinstance(module, Module):
            raise TypeError(f"{call}: module must be an nn.Module, got {type(module).__name__}")
        pg = _group.resolve(process_group, call)
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any parameter that "
                               "requires a gradient.")
        if device_ids is not None or output_device is not None:
            raise ValueError("DistributedDataParallel device_ids and output_device arguments only work with "
                             "single-device/multiple-device GPU modules or CPU modules, but got device_ids "
                             f"{device_ids}, output_device {output_device}, and module parameters "
                             "{device(type='cpu')}. Here every module is on the CPU: leave both None.")
        if mixed_precision is not None or device_mesh is not None:
            raise NotImplementedError(f"{call}: mixed_precision and device_mesh are not supported here")
        self.module = module
        self.process_group = pg
        self.device_ids = self.output_device = None
        self.dim = dim
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view, self.static_graph = gradient_as_bucket_view, static_graph
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self.forward_sync_buffers, init_buffers = _buffer_flags(broadcast_buffers, forward_sync_buffers)
        self.broadcast_buffers = self.forward_sync_buffers
        buffers = [(n, b) for n, b in module.named_buffers() if b is not None]
        self._buffers_synced = [b for _, b in buffers]
        if init_sync:
            synced = named + (buffers if init_buffers else [])
            _check.check_same(pg, call, [f"{n}: {t._data.dtype.name} {list(t.shape)}" for n, t in synced])
            self._from_rank0([t for _, t in synced], call)
        cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * _MB)
        if bucket_cap_mb_list:
            cap = int(max(bucket_cap_mb_list) * _MB)
        first = _FIRST_BUCKET_BYTES if bucket_cap_mb is None and not bucket_cap_mb_list else cap
        self.bucket_bytes_cap = cap
        self._reducer = Reducer(pg, [p for _, p in named], [n for n, _ in named], cap, first, find_unused_parameters)

    def _from_rank0(self, tensors: list, call: str) -> None:
        _internal.broadcast_arrays(self.process_group, [t._data for t in tensors], 0, call)
        if self.process_group.rank() != 0:
            for t in tensors:
                bump_version(t)

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        """The wrapped module's forward, after syncing buffers; arms the gradient reduction for its backward."""
        sync = _grad_mode.is_grad_enabled() and self.require_backward_grad_sync
        if sync:
            self._reducer.check_finished()  # the previous iteration's reduction must have completed
        self._reducer.disarm()
        if self.forward_sync_buffers and self.require_forward_param_sync and self._buffers_synced:
            self._from_rank0(self._buffers_synced, "DistributedDataParallel forward (buffer sync)")
        out = self.module(*inputs, **kwargs)
        if sync:
            self._reducer.prepare(out)
        return out

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Forwards run inside skip the reduction: their backward passes only accumulate ``.grad`` locally."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old


def _buffer_flags(broadcast_buffers: bool | None, forward_sync_buffers: bool | None) -> tuple[bool, bool]:
    """(sync buffers at each forward, sync buffers at wrap), PyTorch 2.13's rules and warnings."""
    if broadcast_buffers is not None:
        if forward_sync_buffers is not None:
            warnings.warn("Both `broadcast_buffers` and `forward_sync_buffers` were specified. `broadcast_buffers` "
                          "is deprecated and its value is ignored when `forward_sync_buffers` is provided.",
                          FutureWarning, stacklevel=3)
        else:
            warnings.warn("`broadcast_buffers` is deprecated. Use `forward_sync_buffers` instead. IMPORTANT: unlike "
                          "`broadcast_buffers=False`, `forward_sync_buffers=False` still syncs buffers at init.",
                          FutureWarning, stacklevel=3)
    if forward_sync_buffers is not None:
        return bool(forward_sync_buffers), True
    flag = True if broadcast_buffers is None else bool(broadcast_buffers)
    return flag, flag
