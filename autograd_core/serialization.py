"""``ag.save`` / ``ag.load``: checkpoints without pickle.

A checkpoint is an ``.npz`` archive: every array (tensor data) is its own ``.npy`` member, and the
structure around them - nested dicts (string or integer keys, order kept), lists, tuples,
numbers, strings, booleans, None - is JSON in a member named ``__autograd_core__``. Paths ending
in ``.safetensors`` use the safetensors format instead (flat ``{name: tensor}`` dicts only), which
PyTorch reads and writes with ``safetensors.torch``.

Loading never executes anything from the file and never trusts it: every size, offset, shape and
dtype it declares is checked against the file's real length before an array is allocated, and
every malformed file raises ``CheckpointError`` (a ``RuntimeError``) saying what is wrong.
Saving writes a private temporary file in the target directory and renames it over the target,
so an interrupted or failed save leaves the old checkpoint (and nothing else) behind.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import tempfile
import zipfile
from collections.abc import Callable
from typing import IO, Any

import numpy as np
from numpy.lib import format as npy_format

from ._tensor import Tensor

_META = "__autograd_core__"
_FORMAT = "autograd_core.checkpoint"
_VERSION = 1
_CHUNK = 1 << 24  # arrays are read in 16 MiB pieces: no second full-size copy of the data
_PICKLE_HINT = "files that need pickle (torch.save, np.save of objects) are refused"
# safetensors dtype names -> numpy; BF16 and the F8 types have no numpy equivalent
_ST_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
              "I16": np.int16, "I8": np.int8, "U64": np.uint64, "U32": np.uint32, "U16": np.uint16, "U8": np.uint8,
              "BOOL": np.bool_, "C64": np.complex64}


class CheckpointError(RuntimeError):
    """A file that is not a valid autograd_core checkpoint (corrupt, foreign, or pickle-bearing)."""


# ---------------------------------------------------------------------------------------------- saving
def _encode(obj: Any, arrays: dict, path: str) -> Any:
    if isinstance(obj, Tensor):
        key = f"t{len(arrays)}"
        arrays[key] = obj._data
        return {"__tensor__": key, "requires_grad": bool(obj.requires_grad)}
    if isinstance(obj, np.ndarray):
        if obj.dtype.hasobject:
            raise TypeError(f"save: object arrays cannot be saved without pickle (at {path or 'the root'})")
        key = f"a{len(arrays)}"
        arrays[key] = obj
        return {"__ndarray__": key}
    if isinstance(obj, np.generic):
        obj = obj.item()
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return obj if np.isfinite(obj) else {"__float__": repr(obj)}
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"save: dict keys must be str or int, got {type(k).__name__} at {path or 'the root'}")
            items.append([k, _encode(v, arrays, f"{path}[{k!r}]")])
        return {"__dict__": items}
    if isinstance(obj, (list, tuple)):
        enc = [_encode(v, arrays, f"{path}[{i}]") for i, v in enumerate(obj)]
        return enc if isinstance(obj, list) else {"__tuple__": enc}
    raise TypeError(
        f"save: cannot store a {type(obj).__name__} (at {path or 'the root'}) without pickle; checkpoints hold "
        "tensors, arrays, numbers, strings, None and dicts/lists/tuples of them (e.g. model.state_dict())"
    )


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


def save(obj: Any, f: str | os.PathLike) -> None:
    """Write ``obj`` (a state dict, an optimiser state dict, or nested containers of tensors) to ``f``.

    The file is replaced atomically (a symlink at ``f`` is replaced, not written through)."""
    path = os.fspath(f)
    if path.endswith(".safetensors"):
        return _save_safetensors(obj, path)
    arrays: dict[str, np.ndarray] = {}
    meta = {"format": _FORMAT, "version": _VERSION, "root": _encode(obj, arrays, "")}  # validate before writing
    blob = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    _write_atomically(path, lambda fh: np.savez(fh, **{_META: blob}, **arrays))
    return None


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
def load(f: str | os.PathLike) -> Any:
    """Read a checkpoint written by ``save`` (or a ``.safetensors`` file); never unpickles anything."""
    path = os.fspath(f)
    size = os.path.getsize(path)  # a missing file raises FileNotFoundError, as open() would
    if size == 0:
        raise CheckpointError(f"load: {path} is empty (0 bytes), not a checkpoint (was its save interrupted?)")
    if path.endswith(".safetensors"):
        return _load_safetensors(path, size)
    with open(path, "rb") as fh:
        magic = fh.read(6)
    if magic == b"\x93NUMPY":
        raise CheckpointError(f"load: {path} is a single .npy array, not an autograd_core checkpoint; read it with "
                              "numpy.load(path, allow_pickle=False), or write checkpoints with ag.save")
    try:
        with zipfile.ZipFile(path) as zf:
            reader = _NpzReader(zf, path, size)
            meta = reader.meta()
            return _decode(meta["root"], reader, "")
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError, RecursionError) as e:
        # not a zip, a truncated or corrupted one (bad CRC, short member), an unknown compression...
        raise CheckpointError(f"load: {path} is not a readable autograd_core checkpoint ({type(e).__name__}: "
                              f"{e}); {_PICKLE_HINT}") from None


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


def _decode(obj: Any, reader: _NpzReader, where: str) -> Any:
    from ._creation import as_tensor

    here = where or "the root"
    if isinstance(obj, list):
        return [_decode(v, reader, f"{where}[{i}]") for i, v in enumerate(obj)]
    if not isinstance(obj, dict):
        return obj
    if "__tensor__" in obj:
        t = as_tensor(reader.array(obj["__tensor__"], f"the tensor at {here}"))
        if obj.get("requires_grad", False) is True:
            if t.dtype.kind not in "fc":
                raise reader._fail(f"the tensor at {here}", f"requires grad but has dtype {t.dtype}")
            t.requires_grad_(True)
        return t
    if "__ndarray__" in obj:
        return reader.array(obj["__ndarray__"], f"the array at {here}")
    if "__tuple__" in obj and isinstance(obj["__tuple__"], list):
        return tuple(_decode(v, reader, f"{where}[{i}]") for i, v in enumerate(obj["__tuple__"]))
    if "__float__" in obj and obj["__float__"] in ("inf", "-inf", "nan"):
        return float(obj["__float__"])
    items = obj.get("__dict__")
    if isinstance(items, list) and all(isinstance(kv, list) and len(kv) == 2 and isinstance(kv[0], (str, int))
                                       and not isinstance(kv[0], bool) for kv in items):
        return {k: _decode(v, reader, f"{where}[{k!r}]") for k, v in items}
    raise reader._fail(f"the entry at {here}", f"is not a valid structure entry (keys {sorted(map(str, obj))})")


def _load_safetensors(path: str, size: int) -> dict:
    """Read a safetensors file (8-byte little-endian header length, JSON header, then the tensors' bytes).

    Parsed here rather than by the safetensors package so that every declared dtype, shape and offset is
    checked against the file's length first and an error names the tensor; numpy is all it needs."""
    from ._creation import as_tensor

    def bad(problem: str) -> CheckpointError:
        return CheckpointError(f"load: {path} is not a valid safetensors file: {problem}")

    with open(path, "rb") as fh:
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
        for name, dtype, shape, begin, _ in entries:
            fh.seek(8 + n + begin)
            arr = np.fromfile(fh, dtype=dtype.newbyteorder("<"), count=math.prod(shape)).reshape(shape)
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
