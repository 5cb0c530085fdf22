"""Tensors in shared memory: ``share_memory_``, ``is_shared`` and the handles multiprocessing pickles.

``share_memory_`` copies a tensor's values into a named POSIX shared-memory block (``/dev/shm/agc_<pid>_<hex>``
on Linux) and points the tensor - and its base and live views, which alias the same memory - at it, in
place: same Tensor objects, values and version counters. ``fork``-ed children inherit the mapping; for
everything multiprocessing pickles (``spawn`` arguments, ``Queue``, ``Pipe``, ``Pool``) a reduction
registered with ``ForkingPickler`` sends a shared tensor as a handle (block name, byte offset, shape,
strides, dtype), and the receiver maps the same block, so writes on either side are seen on the other.
A plain ``pickle.dumps`` still sends the values (PyTorch's behaviour too).

Lifetime: the creating process owns a block and unlinks its name when its last array dies or when it exits
(multiprocessing's exit finalizers, which run in child processes too); receivers only map it. A mapped
block stays valid after the unlink, so a receiver must have opened it by then: keep the tensor alive in the
sender until the receiver has it. Owned names are also registered with multiprocessing's resource tracker,
which removes them should the owner die without running its finalizers.

Not followed by the move: tensors made earlier with ``.data`` / ``.detach()`` of a tensor that is then shared
keep the old private memory (they are not tracked as views).
"""

from __future__ import annotations

import errno
import mmap
import os
import secrets
import weakref
from multiprocessing import resource_tracker, util
from multiprocessing.reduction import ForkingPickler
from typing import Any

import numpy as np
from numpy.lib.array_utils import byte_bounds

from ._tensor import Tensor, _pickle_state, _rebuild_tensor

try:
    import _posixshmem
except ImportError:  # Windows: no shm_open
    _posixshmem = None

PREFIX = "agc_"  # every block this package makes is named PREFIX + "<creator pid>_<random hex>"


class _Block:
    """What this process knows of one mapped block (kept while the mmap lives)."""

    __slots__ = ("name", "size", "addr", "owner_pid")

    def __init__(self, name: str, size: int, addr: int, owner_pid: int | None) -> None:
        self.name, self.size, self.addr, self.owner_pid = name, size, addr, owner_pid


_blocks: weakref.WeakKeyDictionary[mmap.mmap, _Block] = weakref.WeakKeyDictionary()
_by_name: weakref.WeakValueDictionary[str, mmap.mmap] = weakref.WeakValueDictionary()


def _address(a: np.ndarray) -> int:
    return int(a.__array_interface__["data"][0])


def _require_posix(what: str) -> None:
    if _posixshmem is None:
        raise RuntimeError(f"{what}: shared memory needs POSIX shm_open, which this platform lacks; use "
                           "threads, or pass the values (pickling a tensor that is not shared copies it)")


def _map(name: str, size: int, owner_pid: int | None, fd: int) -> mmap.mmap:
    try:
        mm = mmap.mmap(fd, size)
    finally:
        os.close(fd)
    _blocks[mm] = _Block(name, size, _address(np.frombuffer(mm, np.uint8, count=1)), owner_pid)
    _by_name[name] = mm
    return mm


def _release(name: str, owner_pid: int) -> None:
    # runs when the owner's mmap dies or at the owner's exit; a fork()-ed copy of the owner does nothing
    if os.getpid() != owner_pid:
        return
    try:
        _posixshmem.shm_unlink("/" + name)
    except FileNotFoundError:
        pass
    resource_tracker.unregister("/" + name, "shared_memory")


def create(nbytes: int, what: str = "share_memory_") -> mmap.mmap:
    """A new block of at least ``nbytes`` bytes, owned (and eventually unlinked) by this process."""
    _require_posix(what)
    size, pid = max(int(nbytes), 1), os.getpid()
    name = f"{PREFIX}{pid}_{secrets.token_hex(8)}"
    fd = _posixshmem.shm_open("/" + name, os.O_CREAT | os.O_EXCL | os.O_RDWR, mode=0o600)
    try:
        if hasattr(os, "posix_fallocate"):
            os.posix_fallocate(fd, 0, size)  # reserve the pages now: a full /dev/shm is an error here, not a SIGBUS
        else:
            os.ftruncate(fd, size)
    except OSError as e:
        os.close(fd)
        _posixshmem.shm_unlink("/" + name)
        if e.errno in (errno.ENOSPC, errno.ENOMEM):
            raise RuntimeError(f"{what}: no room for {size} bytes of shared memory (/dev/shm is full or too small); "
                               "free some, or enlarge it (e.g. docker run --shm-size=2g)") from e
        raise
    resource_tracker.register("/" + name, "shared_memory")
    mm = _map(name, size, pid, fd)
    # exitpriority < 0: at exit, runs after multiprocessing has joined this process's children
    util.Finalize(mm, _release, args=(name, pid), exitpriority=-10)
    return mm


def attach(name: str, size: int, what: str = "unpickling a shared tensor") -> mmap.mmap:
    """Map the block ``name`` made by another process (or reuse this process's mapping of it)."""
    mm = _by_name.get(name)
    if mm is not None:
        return mm
    _require_posix(what)
    try:
        fd = _posixshmem.shm_open("/" + name, os.O_RDWR, mode=0o600)
    except FileNotFoundError:
        pid = name[len(PREFIX):].split("_")[0]
        raise RuntimeError(
            f"{what}: shared memory block {name!r} no longer exists: the process that made it (pid {pid}) released "
            "it, or exited, before this one opened it; keep the tensor alive in the sending process until the "
            "receiver has it") from None
    return _map(name, size, None, fd)


def block_of(arr: np.ndarray) -> tuple[mmap.mmap, _Block] | None:
    """The shared block ``arr``'s memory lies in, or None when it is private memory."""
    b: Any = arr
    while isinstance(b, np.ndarray):
        b = b.base
    if isinstance(b, memoryview):
        b = b.obj
    if isinstance(b, mmap.mmap):
        info = _blocks.get(b)
        if info is not None:
            return b, info
    return None


def is_shared(t: Tensor) -> bool:
    """Whether ``t``'s values live in shared memory."""
    return block_of(t._data) is not None


def _inside(a: np.ndarray, lo: int, hi: int) -> bool:
    a_lo, a_hi = byte_bounds(a)
    return lo <= a_lo and a_hi <= hi


def share_(t: Tensor) -> Tensor:
    """Move ``t``'s values (with its base and live views, which alias them) into a new shared block, in place."""
    if block_of(t._data) is not None:
        return t
    root = t._base if t._base is not None else t
    lo, hi = byte_bounds(root._data)
    group = [root] + [v for r in (root._views or ()) if (v := r()) is not None and v._base is root]
    group = [m for m in group if _inside(m._data, lo, hi) and block_of(m._data) is None]
    if not any(m is t for m in group):  # t's memory is no longer its base's (``t.data = ...``): it moves alone
        group = [t]
        lo, hi = byte_bounds(t._data)
    mm = create(hi - lo)
    register_all()  # every Tensor class defined by now, for a Parameter made over this memory later on
    for m in group:
        old = m._data
        new = np.ndarray(old.shape, old.dtype, buffer=mm, offset=_address(old) - lo, strides=old.strides)
        np.copyto(new, old)
        new.flags.writeable = old.flags.writeable
        Tensor._data.__set__(m, new)  # the slot itself: subclasses may wrap the attribute
    return t


# ---------------------------------------------------------------------- pickling between processes
_NONLEAF = ("Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd does not support "
            "crossing process boundaries.  If you just want to transfer the data, call detach() on the tensor "
            "before serializing (e.g., putting it on the queue).")


def _reduce_for_process(t: Tensor) -> tuple:
    if t.grad_fn is not None and t._rg:
        raise RuntimeError(_NONLEAF)
    found = block_of(t._data)
    if found is None:
        return t.__reduce_ex__(4)  # private memory: the values, as plain pickle sends them
    mm, info = found
    a = t._data
    return _rebuild_shared, (type(t), info.name, info.size, _address(a) - info.addr, a.shape, a.strides, a.dtype,
                             a.flags.writeable, t._rg, _pickle_state(t))


def _rebuild_shared(cls: type, name: str, size: int, offset: int, shape: tuple, strides: tuple, dtype: np.dtype,
                    writeable: bool, requires_grad: bool, state: dict | None) -> Tensor:
    """Unpickle a shared tensor sent by handle: map its block and view it."""
    register_all()
    arr = np.ndarray(shape, dtype, buffer=attach(name, size), offset=offset, strides=strides)
    arr.flags.writeable = writeable
    return _rebuild_tensor(cls, arr, requires_grad, state)


_registered: set[type] = set()


def register_type(cls: type) -> None:
    """Make multiprocessing send tensors of exactly ``cls`` by handle when shared (its pickler looks up exact types)."""
    if cls not in _registered:
        _registered.add(cls)
        ForkingPickler.register(cls, _reduce_for_process)


def register_all() -> None:
    """``register_type`` for Tensor and every subclass defined so far (nn.Parameter...); cheap to repeat."""
    todo = [Tensor]
    while todo:
        cls = todo.pop()
        register_type(cls)
        todo.extend(cls.__subclasses__())


register_all()
