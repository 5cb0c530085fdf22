"""The import direction of the design: kernels <- autograd_core <- nn <- optim <- ml (checked on the source)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# where each top-level folder lives in the installed namespace
PACKAGES = {"kernels": "autograd_core.kernels", "autograd_core": "autograd_core", "nn": "autograd_core.nn",
            "optim": "autograd_core.optim", "ml": "autograd_core.ml"}


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT)
    parts = [PACKAGES[rel.parts[0]], *rel.with_suffix("").parts[1:]]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Absolute names of every module the file imports (relative imports resolved)."""
    mod = _module_name(path)
    package = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            out.add(name)
            out.update(f"{name}.{a.name}" for a in node.names)
    return out


def _violations(folder: str, forbidden: tuple[str, ...], skip: tuple[str, ...] = ()) -> list[str]:
    bad = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        if path.name in skip:
            continue
        for name in _imports(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    return bad


def test_kernels_import_nothing_from_the_engine():
    assert _violations("kernels", ("autograd_core.nn", "autograd_core.optim", "autograd_core.ops",
                                   "autograd_core._tensor", "autograd_core._function", "nn", "optim")) == []


def test_core_does_not_import_nn_or_optim():
    # demo.py is an application of the library (it trains a CNN with nn and optim)
    assert _violations("autograd_core", ("autograd_core.nn", "autograd_core.optim", "autograd_core.ml", "nn",
                                         "optim", "ml"), skip=("demo.py",)) == []


def test_nn_does_not_import_optim():
    assert _violations("nn", ("autograd_core.optim", "optim", "autograd_core.ml", "ml")) == []


def test_optim_does_not_import_ml():
    # ml (classical estimators) sits on top: it uses optim (Adam for kernel hyper-parameters), not the reverse
    assert _violations("optim", ("autograd_core.ml", "ml")) == []


def test_the_checker_sees_relative_imports():
    names = _imports(ROOT / "autograd_core" / "ops" / "conv.py")
    assert "autograd_core.kernels" in names and "autograd_core._function.Function" in names


def test_every_subpackage_is_listed_for_installation():
    # a package missing from [tool.setuptools] packages works in the editable install and vanishes from a wheel
    import tomllib

    root = Path(__file__).resolve().parents[1]
    cfg = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed, dirs = set(cfg["packages"]), cfg["package-dir"]
    found = set()
    for name, folder in dirs.items():
        for init in (root / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(root / folder)
            found.add(".".join([name, *rel.parts]) if rel.parts else name)
    assert found <= listed, f"add to pyproject.toml's packages: {sorted(found - listed)}"
