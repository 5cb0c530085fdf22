"""The learner's install and docs: `make demo` installs no torch, the licence, `make docs`' builder, the
README's first screen, the one-time compile line, and the optional progress bars."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
RIVALS = {"torch", "mygrad", "autograd", "micrograd", "tinygrad"}
# tbb: the runtime of numba's TBB threading layer (Linux x86-64), part of running the kernels, not a feature
DEMO_ALLOWED = {"numpy", "numba", "tbb", "scikit-learn", "graphviz", "tqdm", "matplotlib"}


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pyproject() -> dict:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        tomllib = pytest.importorskip("tomli")
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _install_set(extra: str, project: dict | None = None) -> set[str]:
    """Distribution names `pip install -e ".[extra]"` asks for: the dependencies plus the extra, self-references
    (``autograd_core[docs,bench]``) expanded."""
    from packaging.requirements import Requirement

    project = project or _pyproject()["project"]
    extras = project["optional-dependencies"]
    own = _canon(project["name"])
    names, todo, done = set(), [extra], set()
    for dep in project["dependencies"]:
        names.add(_canon(Requirement(dep).name))
    while todo:
        e = todo.pop()
        if e in done:
            continue
        done.add(e)
        assert e in extras, f"pyproject.toml: extra {e!r} is referenced but not defined"
        for dep in extras[e]:
            req = Requirement(dep)
            if _canon(req.name) == own:
                todo.extend(req.extras)
            else:
                names.add(_canon(req.name))
    return names


# ---------------------------------------------------------------------------------------------- install sets


def test_demo_install_set_has_no_torch_and_no_rival_engine():
    demo = _install_set("demo")
    assert not demo & RIVALS, f"the demo's install set pulls in {sorted(demo & RIVALS)}"
    assert demo <= DEMO_ALLOWED, f"the demo installs more than it needs: {sorted(demo - DEMO_ALLOWED)}"
    assert {"numpy", "numba", "scikit-learn", "graphviz"} <= demo


def test_bench_and_dev_sets_carry_torch_the_rivals_and_the_docs_tools():
    bench, dev, docs = _install_set("bench"), _install_set("dev"), _install_set("docs")
    assert RIVALS <= bench
    assert bench <= dev and docs <= dev
    assert {"nbconvert", "nbclient", "pytest", "hypothesis", "ruff"} <= dev
    assert not docs & RIVALS, "reading the course must not need torch"


def test_make_demo_installs_only_the_demo_extra(tmp_path):
    """What `make demo` would run, on a venv that does not exist yet (dry run: nothing is executed)."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    venv = tmp_path / "venv"
    # --no-print-directory: under a parent make (CI runs pytest from `make test`) make prints directory lines
    r = subprocess.run(["make", "--no-print-directory", "-n", "demo", f"VENV={venv}"], cwd=ROOT, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    installs = [ln for ln in r.stdout.splitlines() if "pip install" in ln and "--upgrade pip" not in ln]
    assert installs == [f'{venv}/bin/python -m pip install --quiet -e ".[demo]"'], r.stdout
    assert r.stdout.rstrip().endswith(f"{venv}/bin/python -m autograd_core.demo")
    for target, extra in (("test", "dev"), ("bench", "bench"), ("docs", "docs")):
        r = subprocess.run(["make", "--no-print-directory", "-n", target, f"VENV={venv}"], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and f'-e ".[{extra}]"' in r.stdout, (target, r.stdout, r.stderr)


def _dist_closure(names: set[str]) -> set[str]:
    """Installed distributions reachable from ``names`` through their requirements (no extras)."""
    from packaging.requirements import Requirement

    seen, todo = set(), list(names)
    while todo:
        n = _canon(todo.pop())
        if n in seen:
            continue
        seen.add(n)
        try:
            reqs = metadata.distribution(n).requires or []
        except metadata.PackageNotFoundError:
            continue
        for text in reqs:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return seen


_BLOCKING_DEMO = """
import importlib.abc, json, sys
BLOCKED = set(json.loads(sys.argv[1]))

class Block(importlib.abc.MetaPathFinder):  # as if those distributions were not installed
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (blocked: not in the demo's install set)")
        return None

sys.meta_path.insert(0, Block())
base = set(sys.modules)
from autograd_core import demo
acc, model = demo.cnn(epochs=1)
demo.visualise(model, out=sys.argv[2])
print(json.dumps(sorted({m.split(".")[0] for m in set(sys.modules) - base})))
"""


def test_the_demo_runs_with_only_its_install_set(tmp_path):
    """The demo (one epoch, then its drawings) with every installed distribution outside `.[demo]`'s closure
    made unimportable (torch, the rivals, matplotlib, pytest, ...): it must still run, and what it imports
    must be numpy, numba, scikit-learn and graphviz (and their dependencies), never torch."""
    pytest.importorskip("sklearn")
    pytest.importorskip("graphviz")
    allowed = _dist_closure(_install_set("demo")) | {"autograd-core"}
    owners = metadata.packages_distributions()
    blocked = sorted(m for m, ds in owners.items() if not {_canon(d) for d in ds} & allowed)
    assert "torch" in blocked or "torch" not in owners
    r = subprocess.run([sys.executable, "-c", _BLOCKING_DEMO, json.dumps(blocked), str(tmp_path)], cwd=tmp_path,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    imported = json.loads(r.stdout.strip().splitlines()[-1])
    dists = {_canon(d) for m in imported for d in owners.get(m, [])}
    assert not dists & RIVALS, f"the demo imported {sorted(dists & RIVALS)}"
    assert {"numpy", "numba", "scikit-learn", "graphviz"} <= dists
    assert (tmp_path / "cnn_graph.dot").is_file()


# ---------------------------------------------------------------------------------------------- licence


def test_license_file_and_the_spdx_string_agree():
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 The autograd_core developers" in text
    assert "THE SOFTWARE IS PROVIDED \"AS IS\"" in text
    data = _pyproject()
    project = data["project"]
    assert project["license"] == "MIT"  # an SPDX expression (PEP 639), not the old {text = ...} table
    assert "LICENSE" in project.get("license-files", [])
    assert not any(c.startswith("License ::") for c in project.get("classifiers", [])), \
        "PEP 639 forbids licence classifiers next to an SPDX expression"
    from packaging.requirements import Requirement

    (st,) = [Requirement(r) for r in data["build-system"]["requires"] if Requirement(r).name == "setuptools"]
    assert st.specifier.contains("77") and not st.specifier.contains("76"), \
        "setuptools reads SPDX license strings from 77 on"


# ---------------------------------------------------------------------------------------------- docs builder


def _builder():
    spec = importlib.util.spec_from_file_location("ag_docs_build", ROOT / "docs" / "build.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look the module up by name
    spec.loader.exec_module(mod)
    return mod


def test_docs_builder_renders_a_lesson_and_the_api_reference(tmp_path, capsys):
    pytest.importorskip("nbconvert")
    pytest.importorskip("nbclient")
    pytest.importorskip("matplotlib")
    build = _builder()
    out = tmp_path / "site"
    rc = build.main(["--only", "03_linear_regression", "--out", str(out), "--cache", str(tmp_path / "cache")])
    log = capsys.readouterr()
    assert rc == 0, log.err[-3000:]
    page = out / "notebooks" / "03_linear_regression.html"
    html = page.read_text()
    assert html.lstrip().lower().startswith("<!doctype html")
    assert "data:image/png;base64," in html  # the plots were made: the notebook was executed
    assert 'class="jp-OutputArea' in html and 'href="../index.html"' in html  # outputs, and the way back
    api = out / "api"
    core = (api / "autograd_core.html").read_text()
    assert 'id="ag.Tensor.backward"' in core and "ag.Tensor.backward(gradient" in core
    assert "Accumulate the gradient of this tensor" in core  # the docstring itself
    nn_page = (api / "nn.html").read_text()
    assert 'id="nn.Linear"' in nn_page and "y = x W^T + b" in nn_page
    for name in ("optim.html", "data.html", "index.html"):
        assert (api / name).is_file()
    assert 'id="optim.SGD"' in (api / "optim.html").read_text()
    assert 'id="data.DataLoader"' in (api / "data.html").read_text()
    index = (out / "index.html").read_text()
    assert 'href="notebooks/03_linear_regression.html"' in index and 'href="api/index.html"' in index


def test_docs_builder_caches_reuses_and_names_a_failing_cell(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("nbconvert")
    pytest.importorskip("nbclient")
    build = _builder()
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# A tiny lesson\n\n$y = x^2$, so $dy/dx = 2x$."),
        nbformat.v4.new_code_cell("import autograd_core as ag\nx = ag.tensor(3.0, requires_grad=True)\n"
                                  "(x * x).backward()\nprint('grad', x.grad.item())"),
    ])
    src = tmp_path / "tiny.ipynb"
    nbformat.write(nb, src)
    out, cache = tmp_path / "site", tmp_path / "cache"
    log: list[str] = []
    ((page, title),) = build.build_notebooks([src], out, cache=cache, log=log.append)
    assert title == "A tiny lesson" and page == out / "notebooks" / "tiny.html"
    assert "grad 6.0" in page.read_text() and any("executed in" in m for m in log)
    log.clear()
    build.build_notebooks([src], out, cache=cache, log=log.append)  # unchanged: not executed again
    assert any("cached" in m for m in log) and not any("executed in" in m for m in log)
    (done,) = cache.glob("tiny-*.ipynb")
    executed = tmp_path / "executed"  # `--executed DIR`: copies run elsewhere (e.g. by the tests), by file name
    executed.mkdir()
    shutil.copy(done, executed / "tiny.ipynb")
    log.clear()
    build.build_notebooks([src], tmp_path / "other", executed_dir=executed, cache=None, log=log.append)
    assert any("reusing" in m for m in log) and not any("executed in" in m for m in log)

    nb.cells[1].source = "print('before')\n1 / 0"
    nbformat.write(nb, src)  # changed cells: the cached copy no longer applies
    with pytest.raises(build.BuildError) as e:
        build.build_notebooks([src], out, cache=cache, log=log.append)
    assert "tiny.ipynb" in str(e.value) and "ZeroDivisionError" in str(e.value) and "1 / 0" in str(e.value)


def test_api_reference_helpers():
    build = _builder()
    assert build.doc_html("") == '<p class="nodoc">(no docstring)</p>'
    h = build.doc_html("Use ``x.grad`` <here>.\nSecond line.\n\n    code()\n    more()")
    assert "<code>x.grad</code>" in h and "&lt;here&gt;" in h and "Second line" in h
    assert "<pre>code()\nmore()</pre>" in h

    def f(a: int, b: str = "x") -> None:
        pass

    assert build.signature_text(f) == "(a: int, b: str = 'x') -> None"
    _, entries = build.document_module("autograd_core.optim", "optim")
    names = {e.name: e for e in entries}
    assert names["optim.SGD"].kind == "class" and "lr" in names["optim.SGD"].signature
    assert any(m.name == "optim.Optimizer.zero_grad" for m in names["optim.Optimizer"].members)
    seen: dict[int, str] = {}
    build.document_module("autograd_core", "ag", seen, "autograd_core.html")
    _, nn_entries = build.document_module("autograd_core.nn", "nn", seen, "nn.html")
    # a name already documented on an earlier page is an alias that links there
    param = {e.name: e for e in nn_entries}.get("nn.Parameter")
    assert param is not None and (param.kind == "class" or param.doc.endswith("#ag.Parameter"))


# ---------------------------------------------------------------------------------------------- README


def test_readme_first_screen_is_for_a_learner_and_its_example_runs():
    text = (ROOT / "README.md").read_text()
    first = "\n".join(text.splitlines()[:60])
    for needle in ("make demo", "make test", "notebooks/01_tensors_and_autodiff.ipynb"):
        assert needle in first, f"the README's first screen lacks {needle!r}"
    assert "## Porting a PyTorch program" in text and "## Tests" in text and "## Benchmarks" in text
    for doc in ("docs/guide.md", "docs/internals.md"):
        assert f"]({doc})" in text and (ROOT / doc).is_file()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    lines = [ln for ln in code.splitlines() if ln.strip()]
    assert len(lines) <= 10, f"the README's example has {len(lines)} lines"
    ns: dict = {}
    exec(compile(code, "README.md", "exec"), ns)  # noqa: S102 - our own README's example
    w, b = ns["model"].weight.detach().numpy(), ns["model"].bias.detach().numpy()
    assert np.allclose(w, [[2.0, -1.0, 0.5]], atol=1e-3) and np.allclose(b, [0.3], atol=1e-3)  # as it claims


# ---------------------------------------------------------------------------------------------- compile line

_KERNELS = (
    "import numpy as np\n"
    "from autograd_core.kernels import get\n"
    "get('erf')(np.zeros(3))\n"  # two different kernels: the line must still appear once
    "z = np.zeros(4, dtype=np.float32)\n"
    "get('sgd_step')(z, z, z.copy(), 0.1, 0.9, 0.0, 0.0, False, False, False)\n"
    "print('ok')\n"
)


def _run_kernels(env_update: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "NUMBA_DISABLE_JIT")}
    env.update(env_update)
    return subprocess.run([sys.executable, "-c", _KERNELS], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


def test_compile_line_is_printed_once_on_a_cold_cache_and_never_on_a_warm_one(tmp_path):
    from autograd_core.kernels._cache import COMPILE_NOTICE, UNCACHED_NOTICE

    assert "compiling kernels (first run only)..." in COMPILE_NOTICE
    cache = tmp_path / "numba-cache"
    cold = _run_kernels({"NUMBA_CACHE_DIR": str(cache)}, tmp_path)
    assert cold.returncode == 0 and cold.stdout.strip() == "ok", cold.stderr[-3000:]
    assert cold.stderr.count(COMPILE_NOTICE) == 1, cold.stderr
    warm = _run_kernels({"NUMBA_CACHE_DIR": str(cache)}, tmp_path)
    assert warm.returncode == 0 and warm.stdout.strip() == "ok", warm.stderr[-3000:]
    assert "compiling kernels" not in warm.stderr, warm.stderr

    # no writable cache folder (the cache "directory" is a file): it compiles every time, and says so
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    uncached = _run_kernels({"NUMBA_CACHE_DIR": str(blocker)}, tmp_path)
    assert uncached.returncode == 0 and uncached.stderr.count(UNCACHED_NOTICE) == 1, uncached.stderr
    assert COMPILE_NOTICE not in uncached.stderr

    nojit = _run_kernels({"NUMBA_DISABLE_JIT": "1", "NUMBA_CACHE_DIR": str(tmp_path / "unused")}, tmp_path)
    assert nojit.returncode == 0 and "compiling kernels" not in nojit.stderr, nojit.stderr


def test_compile_notice_prints_once_per_process(monkeypatch):
    from autograd_core.kernels import _cache

    monkeypatch.setitem(_cache._notice, "printed", False)
    buf = io.StringIO()
    assert _cache.compile_notice(True, buf) is True
    assert _cache.compile_notice(True, buf) is False and _cache.compile_notice(False, buf) is False
    assert buf.getvalue() == _cache.COMPILE_NOTICE + "\n"


# ---------------------------------------------------------------------------------------------- progress bars


def test_progress_is_off_without_a_terminal_or_without_tqdm(monkeypatch):
    from autograd_core._progress import progress

    items = range(3)
    assert progress(items, show=False) is items
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # not a terminal
    assert progress(items) is items
    monkeypatch.setitem(sys.modules, "tqdm", None)  # not installed: `from tqdm import tqdm` raises ImportError
    assert progress(items, show=True) is items


def test_bootstrap_and_hyperparameter_search_draw_a_bar_when_asked(monkeypatch):
    pytest.importorskip("tqdm")
    from autograd_core import ml

    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (20, 1))
    y = np.sin(3 * x[:, 0])
    ci = ml.bootstrap_ci(lambda: ml.KernelRidge(alpha=0.1, kernel="rbf", gamma=2.0), x, y, x[:3], n_boot=5,
                         progress=True)
    assert ci.predictions.shape == (5, 3)
    assert "bootstrap:" in err.getvalue() and "0/5 [" in err.getvalue()  # a tqdm bar over the 5 refits
    quiet = ml.bootstrap_ci(lambda: ml.KernelRidge(alpha=0.1, kernel="rbf", gamma=2.0), x, y, x[:3], n_boot=5,
                            progress=False)
    np.testing.assert_array_equal(quiet.predictions, ci.predictions)  # the bar changes nothing else
    err.seek(0)
    err.truncate()
    hist = ml.KernelRidge(alpha=0.1, kernel="rbf", gamma=2.0).fit_hyperparameters(x, y, x, y, steps=3,
                                                                                  progress=True)
    assert len(hist) == 3 and "fit_hyperparameters" in err.getvalue()
