"""The module graph: no import circles, and the layers import one way (kernels < core < nn < optim).

An edge A -> B is any ``import`` / ``from ... import`` statement in A that names module B, wherever it
stands (a lazy import inside a function is still a dependency, it only runs later); ``from pkg import
name`` is an edge to ``pkg.name`` when that is a module, else to ``pkg``. Importing ``pkg.mod`` runs
``pkg/__init__`` too, but that implicit parent import is not counted. ``importlib.import_module``
calls with a computed name are not import statements and are not seen.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# Folder -> package name, as pyproject.toml's [tool.setuptools.package-dir] maps them (checked below);
# benchmarks is a top-level package of the repository, run as ``python -m benchmarks``.
ROOTS: dict[str, str] = {
    "autograd_core": "autograd_core",
    "nn": "autograd_core.nn",
    "optim": "autograd_core.optim",
    "kernels": "autograd_core.kernels",
    "ml": "autograd_core.ml",
    "benchmarks": "benchmarks",
}

Graph = dict[str, dict[str, int]]  # module -> {imported module: line of its first import statement}


# ---------------------------------------------------------------------- building the graph


def discover(repo: Path = REPO) -> dict[str, tuple[Path, bool]]:
    """Every module of the packages in ROOTS: dotted name -> (file, whether it is a package __init__)."""
    found: dict[str, tuple[Path, bool]] = {}
    for folder, package in ROOTS.items():
        for path in sorted((repo / folder).rglob("*.py")):
            parts = path.relative_to(repo / folder).with_suffix("").parts
            is_package = parts[-1] == "__init__"
            name = ".".join((package, *(parts[:-1] if is_package else parts)))
            found[name] = (path, is_package)
    return found


def _known_prefix(dotted: str, modules: Mapping[str, object]) -> str | None:
    """The longest leading part of ``dotted`` that is one of our modules (None for numpy, torch, ...)."""
    parts = dotted.split(".")
    for n in range(len(parts), 0, -1):
        candidate = ".".join(parts[:n])
        if candidate in modules:
            return candidate
    return None


def imports_of(name: str, is_package: bool, tree: ast.AST, modules: Mapping[str, object]) -> dict[str, int]:
    """The modules among ``modules`` that module ``name`` imports, with the line of the first such import."""
    package = name if is_package else name.rpartition(".")[0]
    out: dict[str, int] = {}

    def add(target: str | None, line: int) -> None:
        # a self-edge (a package __init__ importing a name of its own) is no dependency on another module
        if target is not None and target != name:
            out.setdefault(target, line)

    for node in ast.walk(tree):  # ast.walk enters function bodies: lazy imports count
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(_known_prefix(alias.name, modules), node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                add(sub if sub in modules else _known_prefix(base, modules), node.lineno)
    return out


def build_graph(sources: Mapping[str, tuple[bool, str]]) -> Graph:
    """The import graph of ``sources`` (module name -> (is a package __init__, source text))."""
    return {name: imports_of(name, is_pkg, ast.parse(text), sources) for name, (is_pkg, text) in sources.items()}


@cache
def _project() -> tuple[dict[str, tuple[Path, bool]], Graph]:
    modules = discover()
    sources = {name: (is_pkg, path.read_text(encoding="utf-8")) for name, (path, is_pkg) in modules.items()}
    return modules, build_graph(sources)


# ---------------------------------------------------------------------- finding the circles


def import_cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components that hold a cycle (size > 1, or a self-loop), each sorted.

    Tarjan's algorithm with an explicit stack: an import chain deeper than the recursion limit is fine.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    work: list[tuple[str, Iterable[str]]] = []  # the DFS path: (node, its successors not yet scanned)

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        work.append((node, iter(graph.get(node, ()))))

    for root in graph:
        if root in index:
            continue
        visit(root)
        while work:
            node, successors = work[-1]
            for nxt in successors:  # resumes where this node's scan stopped
                if nxt not in index:
                    visit(nxt)
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1 or node in graph.get(node, ()):
                        cycles.append(sorted(component))
    return sorted(cycles)


def _describe(cycle: list[str], graph: Graph, modules: Mapping[str, tuple[Path, bool]]) -> str:
    """One circle: its modules, then each import statement that keeps it closed (file:line)."""
    lines = ["  circle: " + " <-> ".join(cycle)]
    for src in cycle:
        path = modules[src][0].relative_to(REPO)
        for dst, line in sorted(graph[src].items()):
            if dst in cycle:
                lines.append(f"    {path}:{line}  {src} -> {dst}")
    return "\n".join(lines)


# ---------------------------------------------------------------------- the finder can fail


def test_cycle_finder_reports_known_cycles_of_a_synthetic_graph() -> None:
    graph = {"a": ["b"], "b": ["c", "d"], "c": ["a"], "d": ["e"], "e": ["d"], "f": ["f"], "g": ["a", "h"], "h": []}
    assert import_cycles(graph) == [["a", "b", "c"], ["d", "e"], ["f"]]
    assert import_cycles({"a": ["b"], "b": ["c"], "c": []}) == []


def test_cycle_finder_is_iterative_on_a_chain_deeper_than_the_recursion_limit() -> None:
    n = 3 * sys.getrecursionlimit()
    ring = {f"m{i}": [f"m{(i + 1) % n}"] for i in range(n)}
    assert [len(c) for c in import_cycles(ring)] == [n]
    ring["m0"] = []  # cut the ring: a chain, no cycle
    assert import_cycles(ring) == []


def test_edges_of_a_synthetic_package_count_lazy_relative_and_from_imports() -> None:
    sources = {
        "pkg": (True, "from . import sub\nfrom .mod import thing\n"),
        "pkg.mod": (False, "import numpy\n\ndef f():\n    from .sub import helper\n    return helper\n"),
        "pkg.sub": (True, "from .. import mod\n"),
        "pkg.sub.leaf": (False, "import pkg.mod as m\nfrom pkg.sub import not_a_module\nfrom . import leaf\n"),
    }
    graph = build_graph(sources)
    assert {k: set(v) for k, v in graph.items()} == {
        "pkg": {"pkg.sub", "pkg.mod"},
        "pkg.mod": {"pkg.sub"},  # the lazy import inside f()
        "pkg.sub": {"pkg.mod"},  # from .. import mod, relative to the package pkg.sub
        "pkg.sub.leaf": {"pkg.mod", "pkg.sub"},  # the self-import is dropped
    }
    assert graph["pkg.mod"]["pkg.sub"] == 4
    assert import_cycles(graph) == [["pkg.mod", "pkg.sub"]]


def test_roots_match_pyproject_package_dir() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    package_dir = config["tool"]["setuptools"]["package-dir"]
    assert {pkg: folder for folder, pkg in ROOTS.items() if pkg != "benchmarks"} == package_dir


def test_project_graph_sees_known_edges() -> None:
    # guards against a graph that is empty, or blind to lazy imports, and so passes vacuously
    modules, graph = _project()
    assert len(modules) > 100
    assert "autograd_core.ops.linalg" in graph["autograd_core.linalg"]
    assert "autograd_core.kernels" in graph["autograd_core.ops.conv"]
    assert "benchmarks.engines" in graph["benchmarks._worker"]  # imported inside a function there


# ---------------------------------------------------------------------- the project


def test_no_import_circles() -> None:
    modules, graph = _project()
    cycles = import_cycles(graph)
    report = "\n".join(_describe(c, graph, modules) for c in cycles)
    assert not cycles, f"{len(cycles)} import circle(s); make the imports point one way:\n{report}"


def _violations(sources: Iterable[str], forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()) -> list[str]:
    """Imports from ``sources`` of a module in (or under) ``forbidden`` and not in (or under) ``allowed``."""

    def under(mod: str, roots: tuple[str, ...]) -> bool:
        return any(mod == r or mod.startswith(r + ".") for r in roots)

    modules, graph = _project()
    return [f"{modules[src][0].relative_to(REPO)}:{line}  {src} -> {dst}"
            for src in sorted(sources) for dst, line in sorted(graph[src].items())
            if under(dst, forbidden) and not under(dst, allowed)]


def test_kernels_import_no_other_autograd_core_module() -> None:
    # the kernels are plain numpy/numba: the core calls them, never the other way round
    modules, _ = _project()
    kernels = [m for m in modules if m == "autograd_core.kernels" or m.startswith("autograd_core.kernels.")]
    bad = _violations(kernels, ("autograd_core",), allowed=("autograd_core.kernels",))
    assert not bad, "kernels/ imports the rest of autograd_core:\n" + "\n".join(bad)


# Applications of the library that live in the autograd_core folder but sit above nn and optim: demo.py
# trains a CNN with them and says so in its docstring ("the one place in the package that imports nn and
# optim"). Anything added here is a decision about the layering, not a fix.
APPLICATIONS = ("autograd_core.demo",)


def test_core_never_imports_nn_or_optim() -> None:
    # the core (autograd_core/*.py, ops, data, viz) is what nn and optim are built on
    modules, _ = _project()
    core = [m for m, (path, _) in modules.items()
            if path.is_relative_to(REPO / "autograd_core") and m not in APPLICATIONS]
    assert {"autograd_core.linalg", "autograd_core.ops.linalg", "autograd_core.data", "autograd_core.viz"} <= set(core)
    bad = _violations(core, ("autograd_core.nn", "autograd_core.optim"))
    assert not bad, "the core imports nn or optim:\n" + "\n".join(bad)


def test_applications_exempt_from_the_core_layering_still_need_it() -> None:
    # an exemption that no longer applies is dropped, so it cannot quietly cover a new import later
    stale = [m for m in APPLICATIONS if not _violations([m], ("autograd_core.nn", "autograd_core.optim"))]
    assert not stale, f"these no longer import nn or optim: remove them from APPLICATIONS: {stale}"


def test_nn_never_imports_optim() -> None:
    modules, _ = _project()
    nn = [m for m in modules if m == "autograd_core.nn" or m.startswith("autograd_core.nn.")]
    bad = _violations(nn, ("autograd_core.optim",))
    assert not bad, "nn imports optim (optimizers act on nn's parameters, not the reverse):\n" + "\n".join(bad)
