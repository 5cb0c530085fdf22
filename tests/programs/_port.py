"""Load a PyTorch program with only its imports changed: ``torch`` -> ``autograd_core`` in import statements.

This is the port a user makes (``import torch`` -> ``import autograd_core as torch``, ``import torch.nn as nn``
-> ``import autograd_core.nn as nn``, ``from torch.utils.data import X`` -> ``from autograd_core.utils.data
import X``); the program's body is not touched.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROGRAMS = sorted(p.stem for p in HERE.glob("*.py") if not p.name.startswith("_"))


def ported_source(src: str) -> str:
    """The source with every import of torch (or a torch submodule) pointed at autograd_core."""
    tree = ast.parse(src)
    lines = src.splitlines()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            parts = []
            for a in node.names:
                if a.name == "torch" or a.name.startswith("torch."):
                    new = "autograd_core" + a.name[len("torch"):]
                    if a.asname is None and "." in a.name:
                        raise ValueError(f"line {node.lineno}: 'import {a.name}' binds 'torch'; write "
                                         f"'import {a.name} as name' so the port only changes the import")
                    parts.append(f"{new} as {a.asname or 'torch'}")
                else:
                    parts.append(a.name + (f" as {a.asname}" if a.asname else ""))
            text = "import " + ", ".join(parts)
        elif isinstance(node, ast.ImportFrom) and node.module and (
                node.module == "torch" or node.module.startswith("torch.")):
            names = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in node.names)
            text = f"from autograd_core{node.module[len('torch'):]} import {names}"
        else:
            continue
        if node.end_lineno != node.lineno:
            raise ValueError(f"line {node.lineno}: keep each torch import on one line")
        indent = lines[node.lineno - 1][: node.col_offset]
        lines[node.lineno - 1] = indent + text
    return "\n".join(lines) + "\n"


def load(name: str, lib: str) -> types.ModuleType:
    """Program ``name`` as a module, for ``lib`` "torch" (unchanged) or "ag" (imports ported)."""
    path = HERE / f"{name}.py"
    src = path.read_text()
    if lib == "ag":
        src = ported_source(src)
    modname = f"_program_{lib}_{name}"
    spec = importlib.util.spec_from_loader(modname, loader=None, origin=str(path))
    mod = importlib.util.module_from_spec(spec)
    mod.__file__ = str(path)
    sys.modules[modname] = mod  # dataclasses and pickling (DataLoader workers) look modules up by name
    exec(compile(src, str(path), "exec"), mod.__dict__)
    return mod
