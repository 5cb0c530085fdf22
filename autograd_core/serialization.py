"""``ag.save`` / ``ag.load``: checkpoints without pickle, with PyTorch's signatures.

A checkpoint is an ``.npz`` archive: every array (tensor data) is its own ``.npy`` member, and the
structure around them is JSON in a member named ``__autograd_core__``. The structure may hold dicts
(``OrderedDict`` stays one; keys str, int, float, bool, None or tuples of them), lists, tuples, sets,
numbers (complex too), strings, bytes, booleans, None, slices, dtypes, devices, ``Size``, sparse COO
tensors, and - recorded by module and name, never as code - enum members, named tuples, plain objects
(their ``__dict__`` / ``__getstate__``, e.g. ``argparse.Namespace``, dataclasses) and references to
classes or functions. Paths ending in ``.safetensors`` use the safetensors format instead (flat
``{name: tensor}`` dicts only), which PyTorch reads and writes with ``safetensors.torch``. ``f`` is a
path or an open binary file object (``io.BytesIO`` too).

Loading never unpickles and never trusts the file: every size, offset, shape and dtype it declares is
checked against the file's real length before an array is allocated, and every malformed file raises
``CheckpointError`` (a ``RuntimeError``) saying what is wrong. PyTorch pickle checkpoints
(``torch.save``) are refused, also with ``weights_only=False``, with the one-line conversion to do in
PyTorch. ``weights_only=True`` (the default, as in PyTorch >= 2.6) rebuilds an object recorded by name
only when its class is allow-listed with ``add_safe_globals`` / ``safe_globals`` (PyTorch's API);
``weights_only=False`` imports any class the file names - for files you trust, as in PyTorch - but
still runs no pickle. ``map_location`` accepts PyTorch's forms ('cpu', devices, dicts, callables);
any device but the CPU is refused. ``save(model)`` of a whole ``nn.Module`` is refused with the
``state_dict()`` way to do it. Saving to a path writes a private temporary file in the target
directory and renames it over the target, so an interrupted or failed save leaves the old
checkpoint (and nothing else) behind.
"""

from __future__ import annotations

import base64
import contextlib
import enum
import importlib
import io
import json
import math
import os
import sys
import tempfile
import types
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

import numpy as np
from numpy.lib import format as npy_format

from ._device import device as _device
from ._runtime import Size
from ._tensor import Tensor
from .sparse import SparseTensor, layout

_META = "__autograd_core__"
_FORMAT = "autograd_core.checkpoint"
_VERSION = 2  # 2: OrderedDict, sets, complex, bytes, slices, dtypes, devices, Size, sparse, objects by name
_CHUNK = 1 << 24  # arrays are read in 16 MiB pieces: no second full-size copy of the data
_PICKLE_HINT = "files that need pickle (torch.save, np.save of objects) are refused"
# safetensors dtype names -> numpy; BF16 and the F8 types have no numpy equivalent
_ST_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
              "I16": np.int16, "I8": np.int8, "U64": np.uint64, "U32": np.uint32, "U16": np.uint16, "U8": np.uint8,
              "BOOL": np.bool_, "C64": np.complex64}


class CheckpointError(RuntimeError):
    """A file that is not a valid autograd_core checkpoint (corrupt, foreign, or pickle-bearing)."""


# ------------------------------------------------------------------------------------ safe globals (PyTorch's API)
# Classes and functions a weights_only load may rebuild or return, by "module.qualname"
_SAFE_GLOBALS: dict[str, Any] = {}


def _global_name(obj: Any) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


def add_safe_globals(safe_globals: Iterable[Any]) -> None:
    """Allow-list classes / functions (or ``(obj, "module.name")`` pairs) that ``load(weights_only=True)`` may
    rebuild from a checkpoint, as ``torch.serialization.add_safe_globals``. Only for classes you trust."""
    for g in safe_globals:
        if isinstance(g, tuple):
            if len(g) != 2 or not isinstance(g[1], str):
                raise TypeError("add_safe_globals: expected a class/function or an (obj, 'module.name') pair, got "
                                f"{g!r}")
            _SAFE_GLOBALS[g[1]] = g[0]
        elif isinstance(g, (type, types.FunctionType, types.BuiltinFunctionType)):
            _SAFE_GLOBALS[_global_name(g)] = g
        else:
            raise TypeError(f"add_safe_globals: expected classes or functions, got a {type(g).__name__} ({g!r})")


def get_safe_globals() -> list[Any]:
    """The allow-listed classes and functions (``add_safe_globals``)."""
    return [g if name == _global_name(g) else (g, name) for name, g in _SAFE_GLOBALS.items()]


def clear_safe_globals() -> None:
    """Forget every ``add_safe_globals`` entry."""
    _SAFE_GLOBALS.clear()


class safe_globals:  # noqa: N801 - PyTorch's name
    """``with safe_globals([Config]): ag.load(f)``: allow-list classes for the duration of the block."""

    def __init__(self, safe_globals: Iterable[Any]) -> None:
        self.safe_globals = list(safe_globals)

    def __enter__(self) -> None:
        self._saved = dict(_SAFE_GLOBALS)
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc: Any) -> None:
        _SAFE_GLOBALS.clear()
        _SAFE_GLOBALS.update(self._saved)


# ---------------------------------------------------------------------------------------------- saving
def _whole_object_refusal(obj: Any, where: str) -> str | None:
    """Why a model, optimiser or scheduler object is refused (their code cannot be stored), or None."""
    nn, optim = sys.modules.get("autograd_core.nn"), sys.modules.get("autograd_core.optim")
    name = type(obj).__name__
    if nn is not None and isinstance(obj, nn.Module):
        return (f"save: cannot save a whole nn.Module ({name}, at {where}): autograd_core saves without pickle, so a "
                "model's code is never put in a checkpoint. Save its parameters and buffers with "
                "ag.save(model.state_dict(), f) and restore them into a model your code builds with "
                "model.load_state_dict(ag.load(f))")
    if optim is not None and isinstance(obj, optim.Optimizer):
        return (f"save: cannot save an optimizer object ({name}, at {where}); save optimizer.state_dict() and "
                "restore it with optimizer.load_state_dict(ag.load(f)) on an optimizer built over the same parameters")
    if optim is not None and isinstance(obj, optim.lr_scheduler.LRScheduler):
        return (f"save: cannot save a scheduler object ({name}, at {where}); save scheduler.state_dict() and restore "
                "it with scheduler.load_state_dict(...)")
    return None


class _Encoder:
    """Builds the JSON structure of ``obj``; arrays go to ``self.arrays`` (one ``.npy`` member each)."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.active: set[int] = set()  # containers on the current path: a reference cycle is an error

    def array(self, prefix: str, arr: np.ndarray) -> str:
        key = f"{prefix}{len(self.arrays)}"
        self.arrays[key] = arr
        return key

    def key(self, k: Any, path: str) -> Any:
        if k is None or isinstance(k, (bool, str)) or (type(k) is int):
            return k
        if type(k) is float and math.isfinite(k):
            return k
        if type(k) is tuple:
            return {"__tuple__": [self.key(v, path) for v in k]}
        raise TypeError(f"save: dict keys must be str, int, float, bool, None or tuples of them; got "
                        f"{type(k).__name__} at {path or 'the root'}")

    def encode(self, obj: Any, path: str) -> Any:
        where = path or "the root"
        if isinstance(obj, Tensor):
            return {"__tensor__": self.array("t", obj._data), "requires_grad": bool(obj.requires_grad)}
        if isinstance(obj, SparseTensor):
            return {"__sparse_coo__": {"indices": self.array("a", obj._idx), "values": self.encode(obj._vals, path),
                                       "size": list(obj.shape), "coalesced": bool(obj.is_coalesced())}}
        if isinstance(obj, np.ndarray):
            if obj.dtype.hasobject:
                raise TypeError(f"save: object arrays cannot be saved without pickle (at {where})")
            if obj.dtype.kind not in "biufc":
                raise TypeError(f"save: arrays of dtype {obj.dtype} cannot be saved (at {where}); tensors' dtypes only")
            return {"__ndarray__": self.array("a", obj)}
        if isinstance(obj, np.generic):
            obj = obj.item()
        if obj is None or type(obj) in (bool, int, str):
            return obj
        if type(obj) is float:
            return obj if math.isfinite(obj) else {"__float__": repr(obj)}
        if type(obj) is complex:
            return {"__complex__": [self.encode(obj.real, path), self.encode(obj.imag, path)]}
        if type(obj) in (bytes, bytearray):
            return {"__bytes__": base64.b64encode(obj).decode("ascii"), "mutable": type(obj) is bytearray}
        if isinstance(obj, np.dtype):
            return {"__dtype__": obj.str if obj.byteorder not in "=|" else obj.name}
        if isinstance(obj, _device):
            return {"__device__": str(obj)}
        if type(obj) is Size:
            return {"__size__": [int(s) for s in obj]}
        if type(obj) is slice:
            return {"__slice__": [self.encode(v, f"{path}.{n}") for n, v in
                                  (("start", obj.start), ("stop", obj.stop), ("step", obj.step))]}
        if isinstance(obj, layout):
            return {"__layout__": obj.name}
        refusal = _whole_object_refusal(obj, where)
        if refusal:
            raise TypeError(refusal)
        if isinstance(obj, enum.Enum):
            cls = type(obj)
            return {"__object__": self._importable(cls, where), "enum": self.encode(obj.value, path)}
        if id(obj) in self.active:
            raise TypeError(f"save: a reference cycle at {where} (an object contains itself) cannot be saved")
        self.active.add(id(obj))
        try:
            return self._container_or_object(obj, path, where)
        finally:
            self.active.discard(id(obj))

    def _container_or_object(self, obj: Any, path: str, where: str) -> Any:
        t = type(obj)
        if t is dict or t is OrderedDict:
            items = [[self.key(k, path), self.encode(v, f"{path}[{k!r}]")] for k, v in obj.items()]
            return {"__odict__" if t is OrderedDict else "__dict__": items}
        if t is list:
            return [self.encode(v, f"{path}[{i}]") for i, v in enumerate(obj)]
        if t is tuple:
            return {"__tuple__": [self.encode(v, f"{path}[{i}]") for i, v in enumerate(obj)]}
        if t in (set, frozenset):
            return {"__set__": [self.encode(v, f"{path}{{...}}") for v in obj], "frozen": t is frozenset}
        if isinstance(obj, tuple) and hasattr(t, "_fields"):  # a named tuple
            return {"__object__": self._importable(t, where),
                    "fields": [self.encode(v, f"{path}.{n}") for n, v in zip(t._fields, obj)]}
        if isinstance(obj, (dict, list, tuple, set, frozenset)):
            base = next(b for b in (dict, list, tuple, set, frozenset) if isinstance(obj, b)).__name__
            raise TypeError(f"save: cannot store a {t.__name__} (a {base} subclass, at {where}) exactly without "
                            f"pickle; convert it with {base}(...) first")
        if isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType)):
            return {"__global__": self._importable(obj, where)}
        return self._plain_object(obj, path, where)

    def _importable(self, obj: Any, where: str) -> list[str]:
        mod, qual = getattr(obj, "__module__", None), getattr(obj, "__qualname__", "")
        if not mod or "<" in qual:  # a lambda, or a class or function defined inside a function
            raise TypeError(f"save: cannot store {qual or repr(obj)} (at {where}): it is not importable by name "
                            "(defined inside a function, or a lambda); define it at module level")
        return [mod, qual]

    def _plain_object(self, obj: Any, path: str, where: str) -> Any:
        cls = type(obj)
        hint = ("checkpoints hold tensors, arrays, numbers, strings, None, containers of them (e.g. "
                "model.state_dict()) and plain objects recorded by class name")
        if (cls.__module__ == "builtins" or isinstance(obj, (types.ModuleType, int, float, complex, str, bytes))
                or cls.__reduce_ex__ is not object.__reduce_ex__ or cls.__reduce__ is not object.__reduce__
                or hasattr(cls, "__getnewargs_ex__") or hasattr(cls, "__getnewargs__")):
            raise TypeError(f"save: cannot store a {cls.__name__} (at {where}) without pickle; {hint}")
        state = obj.__getstate__() if hasattr(obj, "__getstate__") else getattr(obj, "__dict__", None)
        return {"__object__": self._importable(cls, where), "state": self.encode(state, f"{path}.__dict__")}


def _encode(obj: Any, arrays: dict, path: str) -> Any:
    enc = _Encoder()
    root = enc.encode(obj, path)
    arrays.update(enc.arrays)
    return root


def _write_atomically(path: str, write: Callable[[IO[bytes]], None]) -> None:
    """Write through a fresh temporary file in the target's directory, then rename it over ``path``.

    mkstemp creates a new file (O_EXCL) with a random name, so a symlink or file planted at a predictable
    name such as ``path + '.tmp'`` is never written through; the rename is atomic, so readers see the old
    checkpoint or the new one, never half of one; on any failure the temporary file is removed.
    """
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())  # the data is on disk before the rename makes it the checkpoint
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 -> the permissions a plain open() would have given
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _is_file(f: Any) -> bool:
    return hasattr(f, "write") or hasattr(f, "read")


def save(obj: Any, f: str | os.PathLike | IO[bytes], pickle_module: Any = None, pickle_protocol: int = 2,
         _use_new_zipfile_serialization: bool = True, _disable_byteorder_record: bool = False) -> None:
    """Write ``obj`` (a state dict, an optimiser state dict, or nested containers of tensors) to ``f``.

    ``f`` is a path (replaced atomically: a symlink at ``f`` is replaced, not written through; ``.safetensors``
    selects that format) or a binary file object open for writing. ``pickle_module`` / ``pickle_protocol`` are
    accepted for PyTorch's signature and unused: nothing is pickled."""
    if _is_file(f):
        if isinstance(f, io.TextIOBase):
            raise TypeError("save: the file object is open in text mode; open it in binary mode ('wb')")
        arrays: dict[str, np.ndarray] = {}
        meta = {"format": _FORMAT, "version": _VERSION, "root": _encode(obj, arrays, "")}
        np.savez(f, **{_META: _meta_blob(meta)}, **arrays)
        return None
    path = os.fspath(f)
    if path.endswith(".safetensors"):
        return _save_safetensors(obj, path)
    arrays = {}
    meta = {"format": _FORMAT, "version": _VERSION, "root": _encode(obj, arrays, "")}  # validate before writing
    blob = _meta_blob(meta)
    _write_atomically(path, lambda fh: np.savez(fh, **{_META: blob}, **arrays))
    return None


def _meta_blob(meta: dict) -> np.ndarray:
    return np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)


def _save_safetensors(obj: Any, path: str) -> None:
    try:
        from safetensors.numpy import save as to_bytes
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("save: .safetensors files need the safetensors package (pip install safetensors)") from None
    if not isinstance(obj, dict) or not all(isinstance(k, str) and isinstance(v, (Tensor, np.ndarray))
                                            for k, v in obj.items()):
        raise TypeError("save: a .safetensors file holds a flat {str: tensor} dict (a model's state_dict); use "
                        ".npz for nested data such as optimiser state")
    arrays = {}
    for k, v in obj.items():
        a = v._data if isinstance(v, Tensor) else v
        if np.dtype(a.dtype).newbyteorder("=") not in [np.dtype(t) for t in _ST_DTYPES.values()]:
            raise TypeError(f"save: {k!r} has dtype {a.dtype}, which safetensors cannot store; supported: "
                            f"{', '.join(np.dtype(t).name for t in _ST_DTYPES.values())} (or use .npz)")
        # not np.ascontiguousarray: it turns a 0-d array into shape [1] (BatchNorm's num_batches_tracked
        # would no longer load into a model, ours or PyTorch's)
        arrays[k] = a if a.flags.c_contiguous else a.copy(order="C")
    data = to_bytes(arrays)
    _write_atomically(path, lambda fh: fh.write(data))


# --------------------------------------------------------------------------------------------- loading
def _map_location(map_location: Any) -> Callable[[Tensor], Tensor] | None:
    """Check ``map_location`` (PyTorch's forms); what is left to do per tensor (a callable's), or None."""
    def to_cpu_only(target: Any, what: str) -> None:
        try:
            d = target if isinstance(target, _device) else _device(target)
        except (TypeError, RuntimeError) as e:
            raise RuntimeError(f"load: map_location {what}: {e}") from None
        if d.type == "cuda":
            raise RuntimeError("Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is "
                               "False. If you are running on a CPU-only machine, please use torch.load with "
                               "map_location=torch.device('cpu') to map your storages to the CPU. (autograd_core "
                               "runs on the CPU only.)")
        if d.type != "cpu" or d.index not in (None, 0):
            raise RuntimeError(f"Attempting to deserialize object on device {str(d)!r}, but autograd_core runs on the "
                               "CPU only; use map_location='cpu' (or leave it out)")

    if map_location is None:
        return None
    if isinstance(map_location, (str, _device)):
        to_cpu_only(map_location, repr(map_location))
        return None
    if isinstance(map_location, dict):
        # every tensor was saved on the CPU: only the entry for 'cpu' applies
        for k, v in map_location.items():
            if str(k if isinstance(k, _device) else _device(k)) in ("cpu", "cpu:0"):
                to_cpu_only(v, f"{{{k!r}: {v!r}}}")
        return None
    if callable(map_location):
        def apply(t: Tensor) -> Tensor:
            res = map_location(t, "cpu")  # PyTorch's (storage, location) call
            if res is None:
                return t
            if not isinstance(res, Tensor):
                raise TypeError(f"load: map_location returned a {type(res).__name__}; it must return the tensor it "
                                "was given (or another tensor, or None)")
            return res

        return apply
    raise TypeError(f"load: map_location should be a str, a device, a dict or a callable, got "
                    f"{type(map_location).__name__} ({map_location!r})")


@contextlib.contextmanager
def _opened(f: Any, what: str) -> Iterator[tuple[IO[bytes], int, str]]:
    """(binary file positioned at the checkpoint's first byte = offset 0, its size, its name for messages)."""
    if _is_file(f):
        if isinstance(f, io.TextIOBase):
            raise TypeError(f"{what}: the file object is open in text mode; open it in binary mode ('rb')")
        name = str(getattr(f, "name", "the file object"))
        seekable = getattr(f, "seekable", lambda: False)()
        if seekable and f.tell() == 0:
            size = f.seek(0, os.SEEK_END)
            f.seek(0)
            yield f, size, name
        else:  # a stream, or a file positioned after other data: its remaining bytes are the checkpoint
            data = f.read()
            yield io.BytesIO(data), len(data), name
        return
    path = os.fspath(f)
    size = os.path.getsize(path)  # a missing file raises FileNotFoundError, as open() would
    with open(path, "rb") as fh:
        yield fh, size, path


def _looks_like_safetensors(head: bytes, size: int) -> bool:
    return len(head) >= 9 and int.from_bytes(head[:8], "little") <= size - 8 and head[8:9] == b"{"


def load(f: str | os.PathLike | IO[bytes], map_location: Any = None, pickle_module: Any = None, *,
         weights_only: bool | None = None, mmap: bool | None = None, **pickle_load_args: Any) -> Any:
    """Read a checkpoint written by ``save`` (or a ``.safetensors`` file); never unpickles anything.

    ``weights_only`` (default True) rebuilds objects recorded by class name only for allow-listed classes
    (``add_safe_globals``); False imports any class the file names (files you trust). ``map_location``: 'cpu',
    a device, a dict or a callable ``(tensor, 'cpu') -> tensor``; other devices are refused. ``mmap`` and
    ``pickle_module`` are accepted for PyTorch's signature (the arrays are read, nothing is unpickled)."""
    per_tensor = _map_location(map_location)
    strict = weights_only is None or bool(weights_only)
    with _opened(f, "load") as (fh, size, name):
        if size == 0:
            raise CheckpointError(f"load: {name} is empty (0 bytes), not a checkpoint (was its save interrupted?)")
        head = fh.read(16)
        fh.seek(0)
        is_path = not _is_file(f)
        if (is_path and name.endswith(".safetensors")) or (not is_path and _looks_like_safetensors(head, size)):
            out = _load_safetensors(fh, size, name)
            return {k: per_tensor(v) for k, v in out.items()} if per_tensor else out
        if head[:6] == b"\x93NUMPY":
            raise CheckpointError(f"load: {name} is a single .npy array, not an autograd_core checkpoint; read it "
                                  "with numpy.load(path, allow_pickle=False), or write checkpoints with ag.save")
        if head[:1] == b"\x80" and 2 <= head[1] <= 5:
            raise CheckpointError(f"load: {name} is not a readable autograd_core checkpoint: it is a Python pickle, "
                                  "which autograd_core never loads (unpickling can run arbitrary code), also not with "
                                  f"weights_only=False; {_PICKLE_HINT}")
        try:
            with zipfile.ZipFile(fh) as zf:
                reader = _NpzReader(zf, name, size)
                meta = reader.meta()
                return _Decoder(reader, strict, per_tensor).decode(meta["root"], "")
        except CheckpointError:
            raise
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError,
                RecursionError) as e:
            # not a zip, a truncated or corrupted one (bad CRC, short member), an unknown compression...
            raise CheckpointError(f"load: {name} is not a readable autograd_core checkpoint ({type(e).__name__}: "
                                  f"{e}); {_PICKLE_HINT}") from None


def get_unsafe_globals_in_checkpoint(f: str | os.PathLike | IO[bytes]) -> list[str]:
    """The "module.name" of every class or function the checkpoint records that is not allow-listed
    (what ``load(f)`` with weights_only=True would refuse), as ``torch.serialization``'s function."""
    with _opened(f, "get_unsafe_globals_in_checkpoint") as (fh, size, name):
        try:
            with zipfile.ZipFile(fh) as zf:
                meta = _NpzReader(zf, name, size).meta()
        except (zipfile.BadZipFile, EOFError, ValueError) as e:
            raise CheckpointError(f"{name} is not a readable autograd_core checkpoint ({type(e).__name__}: {e})") \
                from None
    found: list[str] = []
    stack = [meta["root"]]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            ref = node.get("__object__", node.get("__global__"))
            if isinstance(ref, list) and len(ref) == 2 and all(isinstance(p, str) for p in ref):
                full = f"{ref[0]}.{ref[1]}"
                if full not in _SAFE_GLOBALS and full not in found:
                    found.append(full)
            stack.extend(node.values())
    return sorted(found)


class _NpzReader:
    """Reads the ``.npy`` members of a checkpoint archive, each checked before its array is allocated."""

    def __init__(self, zf: zipfile.ZipFile, path: str, size: int) -> None:
        self.zf, self.path, self.size = zf, path, size
        self.infos = {i.filename: i for i in zf.infolist()}
        self.used: set[str] = set()

    def _fail(self, what: str, problem: str) -> CheckpointError:
        return CheckpointError(f"load: {self.path} is corrupt: {what} {problem}")

    def meta(self) -> dict:
        if _META + ".npy" not in self.infos:
            names = [n.removesuffix(".npy") for n in self.infos]
            if any(n.endswith("data.pkl") for n in self.infos):
                raise CheckpointError(
                    f"load: {self.path} is not an autograd_core checkpoint: it is a PyTorch checkpoint (torch.save), "
                    "whose data.pkl is a pickle, which autograd_core never loads (unpickling can run arbitrary code), "
                    "also not with weights_only=False. Convert it once in PyTorch: from safetensors.torch import "
                    "save_file; save_file(torch.load(path), 'model.safetensors'), then ag.load('model.safetensors')")
            raise CheckpointError(f"load: {self.path} is not an autograd_core checkpoint (no {_META} entry; members: "
                                  f"{', '.join(names[:5])}{'...' if len(names) > 5 else ''}); {_PICKLE_HINT}")
        raw = self.array(_META, "its metadata")
        if raw.dtype != np.uint8 or raw.ndim != 1:
            raise self._fail("its metadata", f"is a {raw.dtype} array of shape {list(raw.shape)}, not JSON bytes")
        try:
            meta = json.loads(raw.tobytes().decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as e:
            raise self._fail("its metadata", f"is not valid JSON ({type(e).__name__}: {e})") from None
        if not isinstance(meta, dict):
            raise self._fail("its metadata", f"is a JSON {type(meta).__name__}, not an object")
        if meta.get("format") != _FORMAT:
            raise CheckpointError(f"load: {self.path} has format {meta.get('format')!r}, expected {_FORMAT!r}")
        version = meta.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise self._fail("its metadata", f"has an invalid format version {version!r}")
        if version > _VERSION:
            raise CheckpointError(f"load: {self.path} was written by a newer version (format version {version} > "
                                  f"{_VERSION})")
        if "root" not in meta:
            raise self._fail("its metadata", "has no 'root' entry")
        return meta

    def array(self, key: Any, what: str) -> np.ndarray:
        """The array stored as member ``key``; each member may be used once (ag.save never shares one)."""
        info = self.infos.get(f"{key}.npy") if isinstance(key, str) else None
        if info is None or key in self.used:
            raise self._fail(what, f"refers to stored data {key!r}, which is missing")
        self.used.add(key)
        if info.flag_bits & 0x1:
            raise self._fail(what, "is marked as encrypted (ag.save never encrypts)")
        if info.compress_type != zipfile.ZIP_STORED:
            raise CheckpointError(f"load: {self.path}: {what} is compressed; ag.save writes uncompressed archives, "
                                  "and a compressed member can expand far beyond the file's size, so it is refused")
        end = info.header_offset + info.compress_size
        if info.header_offset < 0 or info.file_size != info.compress_size or end > self.size:
            raise self._fail(what, f"declares {info.file_size} bytes ending at byte {end}, but the file has only "
                             f"{self.size} bytes (truncated?)")
        with self.zf.open(info) as fh:
            try:
                version = npy_format.read_magic(fh)
                if version == (1, 0):
                    shape, fortran, dtype = npy_format.read_array_header_1_0(fh)
                elif version == (2, 0):
                    shape, fortran, dtype = npy_format.read_array_header_2_0(fh)
                else:
                    raise ValueError(f"unsupported .npy format version {version}")
            except ValueError as e:
                raise self._fail(what, f"has a malformed array header ({e})") from None
            if dtype.hasobject or dtype.kind not in "biufc":
                raise self._fail(what, f"has dtype {dtype}, which is not a tensor dtype; {_PICKLE_HINT}")
            if any(s < 0 for s in shape):
                raise self._fail(what, f"declares a negative shape {list(shape)}")
            want = math.prod(shape) * dtype.itemsize
            have = info.file_size - fh.tell()
            if want != have:
                raise self._fail(what, f"declares shape {list(shape)} of {dtype} ({want} bytes), but its data "
                                 f"holds {have} bytes")
            arr = np.empty(shape[::-1] if fortran else shape, dtype=dtype)
            buf = arr.reshape(-1).view(np.uint8)
            pos = 0
            while pos < want:  # checked sizes: memory stays within the file's own size
                chunk = fh.read(min(_CHUNK, want - pos))
                if not chunk:
                    raise self._fail(what, f"ends after {pos} of its {want} bytes (truncated)")
                buf[pos:pos + len(chunk)] = np.frombuffer(chunk, dtype=np.uint8)
                pos += len(chunk)
            fh.read(1)  # reaching the member's end makes zipfile check its CRC
        arr = arr.T if fortran else arr
        return arr if dtype.isnative else arr.astype(dtype.newbyteorder("="))


class _Decoder:
    """Rebuilds the saved structure; classes recorded by name only when allowed (``weights_only``)."""

    def __init__(self, reader: _NpzReader, weights_only: bool, per_tensor: Callable[[Tensor], Tensor] | None) -> None:
        self.reader, self.weights_only, self.per_tensor = reader, weights_only, per_tensor

    def fail(self, where: str, problem: str) -> CheckpointError:
        return self.reader._fail(f"the entry at {where or 'the root'}", problem)

    def key(self, k: Any, where: str) -> Any:
        if k is None or isinstance(k, (str, int, float)):
            return k
        if isinstance(k, dict) and isinstance(k.get("__tuple__"), list):
            return tuple(self.key(v, where) for v in k["__tuple__"])
        raise self.fail(where, f"has an invalid dict key {k!r}"[:200])

    def decode(self, obj: Any, where: str) -> Any:
        from ._creation import as_tensor

        here = where or "the root"
        if isinstance(obj, list):
            return [self.decode(v, f"{where}[{i}]") for i, v in enumerate(obj)]
        if not isinstance(obj, dict):
            return obj
        reader = self.reader
        if "__tensor__" in obj:
            t = as_tensor(reader.array(obj["__tensor__"], f"the tensor at {here}"))
            if obj.get("requires_grad", False) is True:
                if t.dtype.kind not in "fc":
                    raise reader._fail(f"the tensor at {here}", f"requires grad but has dtype {t.dtype}")
                t.requires_grad_(True)
            return self.per_tensor(t) if self.per_tensor is not None else t
        if "__ndarray__" in obj:
            return reader.array(obj["__ndarray__"], f"the array at {here}")
        for tag in ("__dict__", "__odict__"):
            items = obj.get(tag)
            if isinstance(items, list) and all(isinstance(kv, list) and len(kv) == 2 for kv in items):
                out = {} if tag == "__dict__" else OrderedDict()
                for k, v in items:
                    key = self.key(k, where)
                    out[key] = self.decode(v, f"{where}[{key!r}]")
                return out
        if "__tuple__" in obj and isinstance(obj["__tuple__"], list):
            return tuple(self.decode(v, f"{where}[{i}]") for i, v in enumerate(obj["__tuple__"]))
        if "__float__" in obj and obj["__float__"] in ("inf", "-inf", "nan"):
            return float(obj["__float__"])
        if "__object__" in obj or "__global__" in obj:
            return self.named(obj, where)
        return self.other(obj, where)

    def other(self, obj: dict, where: str) -> Any:
        here = where or "the root"
        try:
            if "__complex__" in obj:
                re, im = (self.decode(v, where) for v in obj["__complex__"])
                return complex(float(re), float(im))
            if "__bytes__" in obj:
                raw = base64.b64decode(obj["__bytes__"], validate=True)
                return bytearray(raw) if obj.get("mutable") is True else raw
            if "__set__" in obj and isinstance(obj["__set__"], list):
                items = [self.decode(v, f"{where}{{...}}") for v in obj["__set__"]]
                return frozenset(items) if obj.get("frozen") is True else set(items)
            if "__slice__" in obj and isinstance(obj["__slice__"], list) and len(obj["__slice__"]) == 3:
                return slice(*(self.decode(v, where) for v in obj["__slice__"]))
            if "__dtype__" in obj and isinstance(obj["__dtype__"], str):
                dt = np.dtype(obj["__dtype__"])
                if dt.kind not in "biufc":
                    raise ValueError(f"{dt} is not a tensor dtype")
                return dt
            if "__device__" in obj and isinstance(obj["__device__"], str):
                return _device(obj["__device__"])
            if "__size__" in obj and isinstance(obj["__size__"], list):
                return Size(int(s) for s in obj["__size__"])
            if "__layout__" in obj:
                from . import sparse

                lay = getattr(sparse, str(obj["__layout__"]), None)
                if not isinstance(lay, layout):
                    raise ValueError(f"unknown layout {obj['__layout__']!r}")
                return lay
            if "__sparse_coo__" in obj and isinstance(obj["__sparse_coo__"], dict):
                from .sparse import sparse_coo_tensor

                spec = obj["__sparse_coo__"]
                idx = self.reader.array(spec["indices"], f"the sparse indices at {here}")
                vals = self.decode(spec["values"], f"{where}.values")
                return sparse_coo_tensor(idx, vals, tuple(spec["size"]), is_coalesced=spec.get("coalesced") is True)
        except CheckpointError:
            raise
        except (TypeError, ValueError, KeyError, RuntimeError, OverflowError) as e:
            raise self.fail(where, f"could not be rebuilt ({type(e).__name__}: {e})") from None
        raise self.fail(where, f"is not a valid structure entry (keys {sorted(map(str, obj))})")

    def resolve(self, ref: Any, where: str) -> Any:
        if not (isinstance(ref, list) and len(ref) == 2 and all(isinstance(p, str) and p for p in ref)):
            raise self.fail(where, f"names a class or function as {ref!r}, not as [module, qualified name]"[:200])
        mod, qual = ref
        full = f"{mod}.{qual}"
        if full in _SAFE_GLOBALS:
            return _SAFE_GLOBALS[full]
        if self.weights_only:
            raise CheckpointError(
                f"Weights only load failed: load: {self.reader.path} records {full} (at {where or 'the root'}), which "
                f"was not an allowed global by default. Please use "
                f"`autograd_core.serialization.add_safe_globals([{full}])` or the "
                f"`autograd_core.serialization.safe_globals([{full}])` context manager to allowlist this global if you "
                "trust this class/function, or load with weights_only=False if you trust the file (it then imports "
                f"{mod}; nothing is ever unpickled)")
        try:
            target: Any = importlib.import_module(mod)
            for part in qual.split("."):
                target = getattr(target, part)
        except (ImportError, AttributeError) as e:
            raise self.fail(where, f"names {full}, which cannot be imported ({type(e).__name__}: {e})") from None
        return target

    def named(self, obj: dict, where: str) -> Any:
        if "__global__" in obj:
            return self.resolve(obj["__global__"], where)
        cls = self.resolve(obj["__object__"], where)
        full = ".".join(obj["__object__"])
        if not isinstance(cls, type):
            raise self.fail(where, f"names {full}, which is not a class")
        try:
            if "enum" in obj:
                if not issubclass(cls, enum.Enum):
                    raise TypeError(f"{full} is not an Enum")
                return cls(self.decode(obj["enum"], where))
            if "fields" in obj and isinstance(obj["fields"], list):
                if not (issubclass(cls, tuple) and hasattr(cls, "_fields")):
                    raise TypeError(f"{full} is not a named tuple")
                return cls(*(self.decode(v, f"{where}[{i}]") for i, v in enumerate(obj["fields"])))
            if "state" in obj:
                state = self.decode(obj["state"], f"{where}.__dict__")
                new = cls.__new__(cls)
                if hasattr(new, "__setstate__"):
                    new.__setstate__(state)
                    return new
                slots = None
                if isinstance(state, tuple) and len(state) == 2:  # (__dict__ or None, {slot: value})
                    state, slots = state
                if state:
                    new.__dict__.update(state)
                for k, v in (slots or {}).items():
                    object.__setattr__(new, k, v)
                return new
        except CheckpointError:
            raise
        except Exception as e:  # the class's own code refused the saved state
            raise self.fail(where, f"could not be rebuilt as {full} ({type(e).__name__}: {e})") from None
        raise self.fail(where, f"is not a valid structure entry (keys {sorted(map(str, obj))})")


def _load_safetensors(fh: IO[bytes], size: int, path: str) -> dict:
    """Read a safetensors file (8-byte little-endian header length, JSON header, then the tensors' bytes).

    Parsed here rather than by the safetensors package so that every declared dtype, shape and offset is
    checked against the file's length first and an error names the tensor; numpy is all it needs."""
    from ._creation import as_tensor

    def bad(problem: str) -> CheckpointError:
        return CheckpointError(f"load: {path} is not a valid safetensors file: {problem}")

    if size < 8:
        raise bad(f"it has {size} bytes, fewer than the 8-byte header length field")
    n = int.from_bytes(fh.read(8), "little")
    if n > size - 8:
        raise bad(f"its header length field says {n} bytes but only {size - 8} bytes follow (truncated, or "
                  "not a safetensors file)")
    try:
        header = json.loads(fh.read(n).decode("utf-8"), object_pairs_hook=_unique_keys)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise bad(f"its header is not valid JSON ({type(e).__name__}: {e})") from None
    if not isinstance(header, dict):
        raise bad(f"its header is a JSON {type(header).__name__}, not an object")
    header.pop("__metadata__", None)  # free-form strings, not tensors
    data_len = size - 8 - n
    entries = [(name, *_check_entry(name, spec, data_len, bad)) for name, spec in header.items()]
    end, prev = 0, None
    for name, _, _, begin, stop in sorted(entries, key=lambda e: (e[3], e[4])):
        if begin != end:  # the format stores the tensors back to back: a gap or an overlap is corruption
            where = f"the previous tensor {prev!r} ends" if prev else "the data starts"
            raise bad(f"tensor {name!r} starts at byte {begin} of the data but {where} at byte {end} "
                      f"({'overlapping' if begin < end else 'leaving a gap'})")
        end, prev = stop, name
    if end != data_len:
        raise bad(f"its tensors cover {end} bytes of data but {data_len} bytes follow the header")
    out = {}
    for name, dtype, shape, begin, stop in entries:
        fh.seek(8 + n + begin)
        arr = np.empty(shape, dtype=dtype.newbyteorder("<"))
        buf = memoryview(arr.reshape(-1).view(np.uint8))
        pos = 0
        while pos < stop - begin:  # readinto: works on files and BytesIO alike, no second copy
            got = fh.readinto(buf[pos:pos + _CHUNK])
            if not got:
                raise bad(f"tensor {name!r} ends after {pos} of its {stop - begin} bytes (truncated)")
            pos += got
        # the format is little-endian: reinterpret on such a machine (a '<f4' array is not
        # reported as plain float32), byte-swap on a big-endian one
        out[name] = as_tensor(arr.view(dtype) if sys.byteorder == "little" else arr.astype(dtype))
    return out


def _unique_keys(pairs: list) -> dict:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise ValueError(f"duplicate key {dup!r}")
    return dict(pairs)


def _check_entry(name: str, spec: Any, data_len: int, bad: Callable[[str], CheckpointError]) -> tuple:
    """(dtype, shape, begin, end) of one header entry, after checking it against the data's length."""
    if not isinstance(spec, dict) or not {"dtype", "shape", "data_offsets"} <= set(spec):
        raise bad(f"tensor {name!r} needs 'dtype', 'shape' and 'data_offsets', got {spec!r}"[:300])
    code, shape, offsets = spec["dtype"], spec["shape"], spec["data_offsets"]
    if code not in _ST_DTYPES:
        hint = " (no numpy equivalent: convert it to float32 before saving)" if code in ("BF16", "F8_E4M3",
                                                                                         "F8_E5M2") else ""
        raise bad(f"tensor {name!r} has dtype {code!r}{hint}; supported: {', '.join(_ST_DTYPES)}")

    def ints(v: Any) -> bool:
        return isinstance(v, list) and all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in v)

    if not ints(shape):
        raise bad(f"tensor {name!r} has an invalid shape {shape!r} (a list of non-negative integers)")
    if not ints(offsets) or len(offsets) != 2 or offsets[0] > offsets[1] or offsets[1] > data_len:
        raise bad(f"tensor {name!r} has data_offsets {offsets!r} outside the {data_len} bytes of data that follow "
                  "the header (truncated?)")
    dtype = np.dtype(_ST_DTYPES[code])
    want = math.prod(shape) * dtype.itemsize
    if offsets[1] - offsets[0] != want:
        raise bad(f"tensor {name!r} declares shape {shape} of {code} ({want} bytes) but its data_offsets "
                  f"{offsets} hold {offsets[1] - offsets[0]} bytes")
    return dtype, tuple(shape), offsets[0], offsets[1]
