"""``ag.save`` / ``ag.load``: checkpoints without pickle.

A checkpoint is an ``.npz`` archive: every array (tensor data) is its own ``.npy`` member, and the
structure around them - nested dicts (string or integer keys, order kept), lists, tuples,
numbers, strings, booleans, None - is JSON in a member named ``__autograd_core__``. Loading uses
``numpy.load(allow_pickle=False)`` and ``json``: nothing in the file is ever executed. Paths ending
in ``.safetensors`` use the safetensors format instead (flat ``{name: tensor}`` dicts only), which
PyTorch reads and writes with ``safetensors.torch``.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from typing import Any

import numpy as np

from ._tensor import Tensor

_META = "__autograd_core__"
_FORMAT = "autograd_core.checkpoint"
_VERSION = 1


class CheckpointError(RuntimeError):
    """A file that is not a valid autograd_core checkpoint (corrupt, foreign, or pickle-bearing)."""


def _encode(obj: Any, arrays: dict, path: str) -> Any:
    if isinstance(obj, Tensor):
        key = f"t{len(arrays)}"
        arrays[key] = obj.data
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


def _decode(obj: Any, arrays: Any) -> Any:
    from ._creation import tensor

    if isinstance(obj, list):
        return [_decode(v, arrays) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__tensor__" in obj:
        return tensor(np.array(arrays[obj["__tensor__"]]), requires_grad=obj.get("requires_grad", False))
    if "__ndarray__" in obj:
        return np.array(arrays[obj["__ndarray__"]])
    if "__tuple__" in obj:
        return tuple(_decode(v, arrays) for v in obj["__tuple__"])
    if "__float__" in obj:
        return float(obj["__float__"])
    if "__dict__" in obj:
        return {k: _decode(v, arrays) for k, v in obj["__dict__"]}
    raise ValueError(f"unknown entry {sorted(obj)}")


def save(obj: Any, f: str | os.PathLike) -> None:
    """Write ``obj`` (a state dict, an optimiser state dict, or nested containers of tensors) to ``f``."""
    path = os.fspath(f)
    if path.endswith(".safetensors"):
        return _save_safetensors(obj, path)
    arrays: dict[str, np.ndarray] = {}
    meta = {"format": _FORMAT, "version": _VERSION, "root": _encode(obj, arrays, "")}  # validate before writing
    blob = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **{_META: blob}, **arrays)
    tmp = path + ".tmp"
    with open(tmp, "wb") as fh:  # write then rename: an interrupted save never leaves half a checkpoint
        fh.write(buf.getvalue())
    os.replace(tmp, path)
    return None


def load(f: str | os.PathLike) -> Any:
    """Read a checkpoint written by ``save`` (or a ``.safetensors`` file); never unpickles anything."""
    path = os.fspath(f)
    if path.endswith(".safetensors"):
        return _load_safetensors(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            if _META not in z.files:
                raise CheckpointError(f"load: {path} is not an autograd_core checkpoint (no {_META} entry; members: "
                                      f"{', '.join(z.files[:5])}{'...' if len(z.files) > 5 else ''})")
            meta = json.loads(bytes(z[_META]).decode("utf-8"))
            if meta.get("format") != _FORMAT:
                raise CheckpointError(f"load: {path} has format {meta.get('format')!r}, expected {_FORMAT!r}")
            if meta.get("version", 0) > _VERSION:
                raise CheckpointError(f"load: {path} was written by a newer version (format version "
                                      f"{meta['version']} > {_VERSION})")
            arrays = {k: z[k] for k in z.files if k != _META}
    except CheckpointError:
        raise
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, ValueError, KeyError, OSError, UnicodeDecodeError, EOFError) as e:
        raise CheckpointError(f"load: {path} is not a readable autograd_core checkpoint ({type(e).__name__}: {e}); "
                              "files that need pickle (torch.save, np.save of objects) are refused") from None
    try:
        return _decode(meta["root"], arrays)
    except (KeyError, ValueError, TypeError) as e:
        raise CheckpointError(f"load: {path} is corrupt: its structure refers to missing data ({e})") from None


def _save_safetensors(obj: Any, path: str) -> None:
    try:
        from safetensors.numpy import save_file
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("save: .safetensors files need the safetensors package (pip install safetensors)") from None
    if not isinstance(obj, dict) or not all(isinstance(k, str) and isinstance(v, (Tensor, np.ndarray))
                                            for k, v in obj.items()):
        raise TypeError("save: a .safetensors file holds a flat {str: tensor} dict (a model's state_dict); use "
                        ".npz for nested data such as optimiser state")
    save_file({k: np.ascontiguousarray(v.data if isinstance(v, Tensor) else v) for k, v in obj.items()}, path)


def _load_safetensors(path: str) -> dict:
    try:
        from safetensors import SafetensorError
        from safetensors.numpy import load_file
    except ImportError:  # pragma: no cover
        raise ImportError("load: .safetensors files need the safetensors package (pip install safetensors)") from None
    from ._creation import tensor

    try:
        raw = load_file(path)
    except (SafetensorError, OSError, ValueError) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise CheckpointError(f"load: {path} is not a valid safetensors file ({e})") from None
    return {k: tensor(v) for k, v in raw.items()}
