"""Build the documentation: the course's notebooks executed and rendered to HTML, and the API reference.

    python docs/build.py                          # every lesson in notebooks/ + the API reference (`make docs`)
    python docs/build.py --only 01 --only 05      # the notebooks whose file name contains 01 or 05
    python docs/build.py --solutions              # the notebooks/solutions/ twins too
    python docs/build.py --api-only               # just the API reference
    python docs/build.py --executed DIR           # reuse executed copies DIR/<name>.ipynb when their cells match

Writes ``docs/notebooks/<name>.html`` (each notebook run top to bottom in a fresh kernel by nbclient, then
rendered by nbconvert, outputs and plots included, so it reads without running anything),
``docs/api/<module>.html`` (the public names of autograd_core, nn, optim, data and their submodules, with
signatures and docstrings, read with ``inspect``) and ``docs/index.html`` linking them all.

Executing is the slow part, so an executed notebook is kept in ``build/docs-cache/`` under a digest of its
cells and of the library's sources: a rebuild re-executes only the notebooks (or library) that changed.
A cell that raises fails the build, naming the notebook and the cell.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import html
import importlib
import inspect
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
NOTEBOOKS = ROOT / "notebooks"
CACHE = ROOT / "build" / "docs-cache"
LIBRARY = ("autograd_core", "nn", "optim", "kernels", "ml")  # folders whose sources the outputs depend on

# (module, the prefix names are shown with, page file): the public API of the four packages and the
# submodules a learner reaches for
API_PAGES = [
    ("autograd_core", "ag", "autograd_core"),
    ("autograd_core.linalg", "ag.linalg", "linalg"),
    ("autograd_core.functional", "ag.functional", "functional"),
    ("autograd_core.nn", "nn", "nn"),
    ("autograd_core.nn.functional", "nn.functional", "nn.functional"),
    ("autograd_core.nn.init", "nn.init", "nn.init"),
    ("autograd_core.nn.utils", "nn.utils", "nn.utils"),
    ("autograd_core.optim", "optim", "optim"),
    ("autograd_core.optim.lr_scheduler", "optim.lr_scheduler", "optim.lr_scheduler"),
    ("autograd_core.data", "data", "data"),
    ("autograd_core.data.datasets", "data.datasets", "data.datasets"),
    ("autograd_core.data.transforms", "data.transforms", "data.transforms"),
]

NAV_CSS = """
nav.top { background: #24313d; color: #dfe6ec; padding: .5em 1.2em;
          font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }
nav.top a { color: #fff; margin-right: 1.1em; text-decoration: none; }
nav.top a:hover { text-decoration: underline; }
"""
CSS = NAV_CSS + """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1d2329; }
main { max-width: 62em; margin: 0 auto; padding: 1em 1.5em 4em; }
h1 { font-size: 1.7em; } h2 { border-bottom: 1px solid #d5dce2; padding-bottom: .2em; margin-top: 2em; }
code, pre { font: 13px/1.45 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
pre { background: #f4f6f8; padding: .6em .8em; overflow-x: auto; border-radius: 4px; }
.api { margin: 1.2em 0; padding-left: .8em; border-left: 3px solid #d5dce2; }
.api.cls { border-left-color: #5b8bb5; }
.sig { font-weight: 600; word-break: break-word; }
.kind { color: #6b7680; font-size: .85em; margin-right: .4em; }
.member { margin: .8em 0 .8em 1.2em; }
.nodoc { color: #8a949c; font-style: italic; }
.toc a { margin-right: .7em; white-space: nowrap; }
a.anchor { color: inherit; text-decoration: none; }
"""


# ------------------------------------------------------------------------------------------------ notebooks


def lesson_paths(only: Iterable[str] = (), solutions: bool = False) -> list[Path]:
    """The notebooks to build, in course order (lessons first, then their solutions if asked for)."""
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    if solutions:
        paths += sorted((NOTEBOOKS / "solutions").glob("*.ipynb"))
    only = list(only)
    if only:
        paths = [p for p in paths if any(o in p.name for o in only)]
    return paths


def _cells_key(nb: Any) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source) for c in nb.cells]


def library_digest(root: Path = ROOT) -> str:
    """sha256 over the library's Python sources (what an executed notebook's outputs depend on)."""
    h = hashlib.sha256()
    for folder in LIBRARY:
        for path in sorted((root / folder).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            data = path.read_bytes()
            h.update(f"{path.relative_to(root)}:{len(data)}:".encode())
            h.update(data)
    return h.hexdigest()


def notebook_digest(nb: Any, lib: str) -> str:
    """Key of one executed notebook: its cells (types and sources) and the library digest."""
    text = json.dumps(_cells_key(nb), ensure_ascii=False) + lib
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _errors(nb: Any) -> list[str]:
    out = []
    for i, cell in enumerate(nb.cells):
        for o in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if o.get("output_type") == "error":
                out.append(f"cell {i}: {o.get('ename')}: {o.get('evalue')}")
    return out


def _executed(nb: Any) -> bool:
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    return bool(code) and all(c.get("execution_count") is not None for c in code)


def reuse_executed(nb: Any, folder: Path | None, name: str) -> Any | None:
    """An executed copy ``folder/name`` of ``nb`` (same cells, every code cell run, no error), or None."""
    if folder is None:
        return None
    import nbformat

    path = folder / name
    if not path.is_file():
        return None
    try:
        done = nbformat.read(path, as_version=4)
    except Exception:  # a half-written or foreign file: execute instead
        return None
    if _cells_key(done) != _cells_key(nb) or not _executed(done) or _errors(done):
        return None
    return done


_warmed = {"done": False}


def warm_kernels(log: Callable[[str], None] = print) -> None:
    """Compile (or load) the numba kernels once, in a separate process, before the first notebook runs.

    So the one-time compile happens (and says so) in the build's log, not inside a lesson's rendered output,
    and the lessons' timings are those of a warm cache."""
    if _warmed["done"]:
        return
    _warmed["done"] = True
    import subprocess

    r = subprocess.run([sys.executable, "-c", "from autograd_core import kernels; kernels.warmup()"], cwd=ROOT)
    if r.returncode != 0:
        log("  (kernels.warmup() failed; the notebooks will compile what they use)")


class BuildError(RuntimeError):
    """A notebook could not be executed (the message names it and the failing cell)."""


def execute(nb: Any, name: str, timeout: int = 300) -> Any:
    """Run ``nb`` top to bottom in a fresh python3 kernel, in a scratch folder; BuildError on a failing cell."""
    import nbclient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
    from traitlets.config import Config

    nb = copy.deepcopy(nb)
    with tempfile.TemporaryDirectory(prefix="ag-docs-") as work:
        # local sockets rather than TCP on localhost: nothing to listen on, and no kernel warning about it
        config = Config()
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = os.path.join(work, "kernel")
        # the client owns its kernel manager, so it shuts the kernel down after the last cell
        client = nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3", config=config,
                                         resources={"metadata": {"path": work}})
        try:
            client.execute()
        except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
            raise BuildError(f"{name}: a cell failed while building the docs:\n{e}") from None
    return nb


def executed_notebook(path: Path, lib: str, executed_dir: Path | None = None, cache: Path | None = CACHE,
                      timeout: int = 300, log: Callable[[str], None] = print) -> Any:
    """``path`` with outputs: reused from ``executed_dir``, else from ``cache``, else executed (and cached)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    done = reuse_executed(nb, executed_dir, path.name)
    if done is not None:
        log(f"  {path.name}: reusing the executed copy in {executed_dir}")
        return done
    key = f"{path.stem}-{notebook_digest(nb, lib)}.ipynb"
    if cache is not None:
        done = reuse_executed(nb, cache, key)
        if done is not None:
            log(f"  {path.name}: unchanged since its last build (cached)")
            return done
    warm_kernels(log)
    t0 = time.perf_counter()
    done = execute(nb, path.name, timeout)
    log(f"  {path.name}: executed in {time.perf_counter() - t0:.0f} s")
    if cache is not None:
        try:
            cache.mkdir(parents=True, exist_ok=True)
            for old in cache.glob(f"{path.stem}-*.ipynb"):  # one cached version per notebook
                old.unlink(missing_ok=True)
            tmp = cache / (key + ".tmp")
            nbformat.write(done, tmp)
            os.replace(tmp, cache / key)
        except OSError as e:
            log(f"  (could not cache {path.name}: {e})")
    return done


def notebook_title(nb: Any, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def _nav(links: list[tuple[str, str]]) -> str:
    return '<nav class="top">' + "".join(f'<a href="{html.escape(h)}">{html.escape(t)}</a>' for t, h in links) \
        + "</nav>"


def render_notebook(nb: Any, title: str, nav: list[tuple[str, str]]) -> str:
    """One self-contained HTML page of an executed notebook (nbconvert's lab template), with a navigation bar."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    bar = f"<style>{NAV_CSS}</style>" + _nav(nav)
    m = re.search(r"<body[^>]*>", body)
    if m is None:
        return bar + body
    return body[:m.end()] + "\n" + bar + body[m.end():]


def _page_of(out: Path, path: Path) -> Path:
    """Where ``path``'s page goes: ``out/notebooks/`` mirrors ``notebooks/`` (a notebook elsewhere: at its top)."""
    sub = path.parent.relative_to(NOTEBOOKS) if path.parent.is_relative_to(NOTEBOOKS) else Path()
    return out / "notebooks" / sub / f"{path.stem}.html"


def build_notebooks(paths: list[Path], out: Path, executed_dir: Path | None = None, cache: Path | None = CACHE,
                    timeout: int = 300, log: Callable[[str], None] = print) -> list[tuple[Path, str]]:
    """Execute and render ``paths`` into ``out/notebooks/``; returns (page, title) per notebook.

    A notebook that fails does not stop the others; BuildError at the end names every one that failed."""
    lib = library_digest()
    pages, failed = [], []
    for i, path in enumerate(paths):
        try:
            nb = executed_notebook(path, lib, executed_dir, cache, timeout, log)
        except BuildError as e:
            failed.append(str(e))
            log(f"  {path.name}: FAILED (see the end of the output)")
            continue
        page = _page_of(out, path)
        page.parent.mkdir(parents=True, exist_ok=True)
        up = os.path.relpath(out, page.parent)
        nav = [("autograd_core docs", f"{up}/index.html"), ("API reference", f"{up}/api/index.html")]
        if i > 0:
            nav.append(("← previous", os.path.relpath(_page_of(out, paths[i - 1]), page.parent)))
        if i + 1 < len(paths):
            nav.append(("next →", os.path.relpath(_page_of(out, paths[i + 1]), page.parent)))
        title = notebook_title(nb, path.stem)
        page.write_text(render_notebook(nb, title, nav), encoding="utf-8")
        pages.append((page, title))
        log(f"wrote {page.relative_to(ROOT) if page.is_relative_to(ROOT) else page}")
    if failed:
        raise BuildError(f"{len(failed)} of {len(paths)} notebooks failed:\n\n" + "\n\n".join(failed))
    return pages


# ------------------------------------------------------------------------------------------------ API reference


@dataclass
class Entry:
    """One documented name: a function, a class (with its members), a constant or an alias."""

    kind: str  # "function", "class", "property", "attribute", "constant", "alias"
    name: str  # the name as shown, e.g. "ag.Tensor.backward"
    signature: str = ""
    doc: str = ""
    members: list[Entry] = field(default_factory=list)
    bases: list[str] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return self.name


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_QUOTED_ANNOTATION = re.compile(r"(: |-> )'([^']*)'")


def signature_text(obj: Any, drop_first: bool = False) -> str | None:
    """``(a, b=1) -> T`` for a callable (annotations unquoted, no memory addresses); None when unknown."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    if drop_first:
        params = list(sig.parameters.values())
        if params and params[0].kind in (params[0].POSITIONAL_ONLY, params[0].POSITIONAL_OR_KEYWORD):
            sig = sig.replace(parameters=params[1:])
    text = _QUOTED_ANNOTATION.sub(r"\1\2", str(sig))
    return _ADDRESS.sub("", text)


def _doc(obj: Any) -> str:
    doc = obj.__doc__ if isinstance(getattr(obj, "__doc__", None), str) else None
    return inspect.cleandoc(doc) if doc else ""


def _member_doc(cls: type, name: str, raw: Any) -> str:
    """A member's docstring, else the one of the method it overrides (``forward``, ``step``, ...)."""
    own = _doc(raw.fget if isinstance(raw, property) and raw.fget else getattr(raw, "__func__", raw))
    if own:
        return own
    for base in cls.__mro__[1:]:
        if name in base.__dict__:
            inherited = base.__dict__[name]
            doc = _doc(inherited.fget if isinstance(inherited, property) and inherited.fget
                       else getattr(inherited, "__func__", inherited))
            if doc:
                return doc
    return ""


def _is_ours(obj: Any) -> bool:
    mod = getattr(obj, "__module__", None) or ""
    return mod.split(".")[0] == "autograd_core"


def public_names(module: Any) -> list[str]:
    """``__all__`` when the module declares it, else the public names defined in the module itself."""
    names = getattr(module, "__all__", None)
    if names is None:
        own = module.__name__
        names = [n for n in dir(module) if not n.startswith("_")
                 and (getattr(getattr(module, n), "__module__", None) or "").startswith(own)
                 and not inspect.ismodule(getattr(module, n))]
    return sorted(dict.fromkeys(names), key=lambda n: (n.lower(), n))


def _class_members(cls: type, prefix: str) -> list[Entry]:
    """The public members a class defines itself (inherited ones are documented with their base)."""
    out = []
    for name in sorted(cls.__dict__, key=lambda n: (n.lower(), n)):
        if name.startswith("_"):
            continue
        raw = cls.__dict__[name]
        full = f"{prefix}.{name}"
        doc = _member_doc(cls, name, raw)
        if isinstance(raw, property):
            out.append(Entry("property", full, doc=doc))
        elif isinstance(raw, staticmethod):
            out.append(Entry("function", full, signature_text(raw.__func__) or "(...)", doc))
        elif isinstance(raw, classmethod):
            out.append(Entry("function", full, signature_text(raw.__func__, drop_first=True) or "(...)", doc))
        elif inspect.isfunction(raw):
            out.append(Entry("function", full, signature_text(raw, drop_first=True) or "(...)", doc))
        elif inspect.isclass(raw):
            continue  # nested helper classes
        elif callable(raw) or inspect.ismethoddescriptor(raw) or inspect.isdatadescriptor(raw):
            sig = signature_text(raw, drop_first=inspect.isfunction(getattr(raw, "__func__", None)))
            if not doc and not callable(raw):
                continue  # slots and other bare descriptors
            out.append(Entry("function" if callable(raw) else "attribute", full, sig or "", doc))
    return out


def document_module(modname: str, prefix: str, seen: dict[int, str] | None = None,
                    href: str = "") -> tuple[str, list[Entry]]:
    """(module docstring, one Entry per public name) of ``modname``, names shown as ``prefix.name``.

    ``seen`` maps the id of each object documented so far (on this page or an earlier one) to its link; a
    name for an object already there becomes an alias linking to it. ``href`` is this page's file name."""
    module = importlib.import_module(modname)
    seen = {} if seen is None else seen
    entries = []
    for name in public_names(module):
        try:
            obj = getattr(module, name)
        except AttributeError:
            continue
        full = f"{prefix}.{name}"
        if inspect.ismodule(obj):
            continue
        first = seen.get(id(obj))
        if first is not None and (inspect.isclass(obj) or callable(obj)):
            entries.append(Entry("alias", full, doc=first))
            continue
        if inspect.isclass(obj):
            seen[id(obj)] = f"{href}#{full}"
            bases = [b.__qualname__ for b in obj.__bases__ if b is not object]
            sig = signature_text(obj) if _is_ours(obj) else None
            sig = sig[:-len(" -> None")] if sig and sig.endswith(" -> None") else sig
            entries.append(Entry("class", full, sig or "", _doc(obj), _class_members(obj, full), bases))
        elif callable(obj):
            seen[id(obj)] = f"{href}#{full}"
            entries.append(Entry("function", full, signature_text(obj) or "(...)", _doc(obj)))
        else:
            text = _ADDRESS.sub("", repr(obj))
            entries.append(Entry("constant", full, doc=text if len(text) <= 120 else text[:117] + "..."))
    return _doc(module), entries


_INLINE = re.compile(r"``([^`]+)``|`([^`]+)`")
_BREAK_BEFORE = re.compile(r"([-*•] |\d+[.)] |[A-Za-z_][\w.]*\s*(\([^)]*\))?\s*:\s)")


def doc_html(text: str) -> str:
    """A docstring as HTML: paragraphs, indented or ``>>>`` blocks as code, ``literals`` as <code>."""
    if not text:
        return '<p class="nodoc">(no docstring)</p>'
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.strip():
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    parts = []
    for block in blocks:
        if not block:
            continue
        if all(ln.startswith(("    ", "\t", ">>>", "...")) for ln in block):
            parts.append("<pre>" + html.escape(inspect.cleandoc("\n".join(block))) + "</pre>")
            continue
        # source line breaks are reflowed, except before list items and "key: value" style lines
        lines = [html.escape(ln.strip()) for ln in block]
        joined = lines[0]
        for ln in lines[1:]:
            joined += ("<br>\n" if _BREAK_BEFORE.match(ln) else " ") + ln
        parts.append("<p>" + _INLINE.sub(lambda m: f"<code>{m.group(1) or m.group(2)}</code>", joined) + "</p>")
    return "\n".join(parts)


def _entry_html(e: Entry, level: int = 0) -> str:
    name = html.escape(e.name)
    anchor = html.escape(e.anchor, quote=True)
    if e.kind == "alias":  # e.doc is the link "page.html#name" of the documented object
        page, _, target = e.doc.partition("#")
        return (f'<div class="api member" id="{anchor}"><span class="kind">alias</span>'
                f'<code class="sig">{name}</code> = <a href="{html.escape(e.doc, quote=True)}">'
                f"<code>{html.escape(target)}</code></a></div>")
    if e.kind == "constant":
        return (f'<div class="api member" id="{anchor}"><span class="kind">constant</span>'
                f'<code class="sig">{name}</code> = <code>{html.escape(e.doc)}</code></div>')
    cls = "api cls" if e.kind == "class" else ("api" if level == 0 else "member")
    head = (f'<div class="{cls}" id="{anchor}"><div><span class="kind">{e.kind}</span>'
            f'<a class="anchor" href="#{anchor}"><code class="sig">{name}{html.escape(e.signature)}</code></a></div>')
    bases = f'<p class="kind">bases: {", ".join(html.escape(b) for b in e.bases)}</p>' if e.bases else ""
    members = "".join(_entry_html(m, level + 1) for m in e.members)
    return head + bases + doc_html(e.doc) + members + "</div>"


def _page(title: str, body: str, nav: list[tuple[str, str]]) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"
            f"{_nav(nav)}<main>{body}</main></body></html>\n")


def build_api(out: Path, pages: list[tuple[str, str, str]] | None = None,
              log: Callable[[str], None] = print) -> list[Path]:
    """``out/api/<page>.html`` per module and ``out/api/index.html``; returns the files written."""
    pages = API_PAGES if pages is None else pages
    folder = out / "api"
    folder.mkdir(parents=True, exist_ok=True)
    nav = [("autograd_core docs", "../index.html"), ("API reference", "index.html")]
    written, rows, undocumented = [], [], 0
    seen: dict[int, str] = {}
    for modname, prefix, fname in pages:
        try:
            mod_doc, entries = document_module(modname, prefix, seen, f"{fname}.html")
        except ImportError as e:
            log(f"  (skipping {modname}: {e})")
            continue
        everything = [x for e in entries for x in (e, *e.members)]
        missing = [e.name for e in everything if e.kind in ("function", "class", "property") and not e.doc]
        undocumented += len(missing)
        toc = " ".join(f'<a href="#{html.escape(e.anchor, quote=True)}">{html.escape(e.name.rsplit(".", 1)[-1])}</a>'
                       for e in entries)
        body = (f"<h1><code>{html.escape(prefix)}</code> <small>({html.escape(modname)})</small></h1>"
                + doc_html(mod_doc) + f'<p class="toc">{toc}</p>' + "".join(_entry_html(e) for e in entries))
        path = folder / f"{fname}.html"
        path.write_text(_page(f"{prefix}: API reference", body, nav), encoding="utf-8")
        written.append(path)
        first = (mod_doc.splitlines() or [""])[0]
        rows.append(f'<li><a href="{html.escape(fname)}.html"><code>{html.escape(prefix)}</code></a> '
                    f"({len(entries)} names) {doc_html(first)[3:-4] if first else ''}</li>")
    body = ("<h1>API reference</h1><p>Generated from the docstrings by <code>docs/build.py</code>. Names follow "
            "PyTorch's; <code>ag</code> is <code>import autograd_core as ag</code>.</p><ul>" + "".join(rows)
            + "</ul>")
    index = folder / "index.html"
    index.write_text(_page("API reference", body, nav), encoding="utf-8")
    written.append(index)
    log(f"wrote {len(written)} API pages under {folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder}"
        f" ({undocumented} public functions, classes and properties have no docstring yet)")
    return written


def built_lessons(out: Path) -> list[tuple[Path, str]]:
    """(page, title) of every notebook whose page exists under ``out/notebooks/``, in course order."""
    import nbformat

    found = []
    for path in lesson_paths(solutions=True):
        page = _page_of(out, path)
        if page.is_file():
            found.append((page, notebook_title(nbformat.read(path, as_version=4), path.stem)))
    return found


def build_index(out: Path) -> Path:
    """``out/index.html``: the lessons built so far in course order, the API reference and the guides."""
    pages = built_lessons(out)
    lessons = "".join(f'<li><a href="{html.escape(os.path.relpath(p, out))}">{html.escape(t)}</a></li>'
                      for p, t in pages if p.parent.name != "solutions")
    solutions = "".join(f'<li><a href="{html.escape(os.path.relpath(p, out))}">{html.escape(t)}</a></li>'
                        for p, t in pages if p.parent.name == "solutions")
    guides = "".join(f'<li><a href="{g}">{g}</a></li>' for g in sorted(p.name for p in out.glob("*.md")))
    guides += "".join(f'<li><a href="{html.escape(os.path.relpath(p, out))}">{html.escape(p.name)}</a> '
                      "(a backprop page made by <code>ag.viz</code>)</li>" for p in sorted(out.glob("viz/*.html")))
    body = ("<h1>autograd_core</h1><p>A reverse-mode autodiff engine with PyTorch's API, and a course that "
            "builds it up lesson by lesson. The lessons below were executed when these pages were built: read "
            "them here, or open <code>notebooks/</code> in Jupyter to run and change them.</p>"
            f"<h2>The course</h2><ul>{lessons or '<li>(not built yet: run <code>make docs</code>)</li>'}</ul>"
            + (f"<h2>Solutions</h2><ul>{solutions}</ul>" if solutions else "")
            + '<h2>Reference</h2><ul><li><a href="api/index.html">API reference</a> (from the docstrings)</li>'
            f"{guides}</ul>")
    path = out / "index.html"
    path.write_text(_page("autograd_core documentation", body, [("autograd_core docs", "index.html"),
                                                               ("API reference", "api/index.html")]),
                    encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", action="append", default=[], metavar="TEXT",
                    help="build only the notebooks whose file name contains TEXT (repeatable)")
    ap.add_argument("--solutions", action="store_true", help="also build notebooks/solutions/")
    ap.add_argument("--api-only", action="store_true", help="build the API reference only")
    ap.add_argument("--no-api", action="store_true", help="skip the API reference")
    ap.add_argument("--executed", type=Path, metavar="DIR",
                    help="reuse DIR/<name>.ipynb, executed elsewhere (e.g. by the tests), when its cells match")
    ap.add_argument("--cache", type=Path, default=CACHE, metavar="DIR",
                    help="where executed notebooks are kept between builds (default build/docs-cache/)")
    ap.add_argument("--no-cache", action="store_true", help="execute every notebook; read and write no cache")
    ap.add_argument("--timeout", type=int, default=300, help="seconds one cell may run (default 300)")
    ap.add_argument("--out", type=Path, default=DOCS, help="output folder (default docs/)")
    args = ap.parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    if not args.api_only:
        paths = lesson_paths(args.only, args.solutions)
        if not paths:
            print(f"docs/build.py: no notebook matches {args.only}", file=sys.stderr)
            return 2
        print(f"executing and rendering {len(paths)} notebooks", flush=True)
        try:
            build_notebooks(paths, out, args.executed, None if args.no_cache else args.cache, args.timeout,
                            log=lambda m: print(m, flush=True))
        except BuildError as e:
            build_index(out)
            print(f"docs/build.py: {e}", file=sys.stderr)
            return 1
    if not args.no_api:
        build_api(out)
    print(f"wrote {build_index(out)}")
    print(f"docs built in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
