"""Every notebook runs top to bottom (seeded, offline) and is committed without outputs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
SOLUTIONS = sorted((Path(__file__).resolve().parents[1] / "notebooks" / "solutions").glob("*.ipynb"))
# notebooks rewritten as lessons (issue: teach the course): each has a solutions twin
LESSONS = [nb for nb in NOTEBOOKS if any(s.name == nb.stem + "_solutions.ipynb" for s in SOLUTIONS)]


def test_there_are_notebooks_and_the_readme_lists_them():
    assert NOTEBOOKS
    readme = (NOTEBOOKS[0].parent / "README.md").read_text()
    for nb in NOTEBOOKS:
        assert nb.name in readme, f"notebooks/README.md does not list {nb.name}"


@pytest.mark.parametrize("path", NOTEBOOKS + SOLUTIONS, ids=[p.stem for p in NOTEBOOKS + SOLUTIONS])
def test_notebook_is_committed_without_outputs(path):
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: strip the outputs"


@pytest.mark.parametrize("path", NOTEBOOKS + SOLUTIONS, ids=[p.stem for p in NOTEBOOKS + SOLUTIONS])
def test_notebook_runs_top_to_bottom_in_under_a_minute(path, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("matplotlib")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    t0 = time.perf_counter()
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    elapsed = time.perf_counter() - t0
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    assert elapsed < 90, f"{path.name} took {elapsed:.0f} s (budget: a minute on 2 cores, with margin for CI noise)"

    if path in SOLUTIONS:  # each checker ends in an assert there: the model answers pass their checkers
        text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
        assert "not yet" not in text, f"{path.name}: a checker rejected a model answer"


def _prose_words(nb) -> int:
    import re

    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
    text = re.sub(r"\$[^$]*\$", " ", text)  # words of prose, not of formulas
    return len(re.findall(r"[A-Za-z][A-Za-z'\-]*", text))


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_has_prose_and_checked_exercises(path):
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(path, as_version=4)
    assert _prose_words(nb) >= 1200, f"{path.name}: {_prose_words(nb)} words of prose (a lesson has >= 1,200)"
    cells = nb.cells
    heads = [i for i, c in enumerate(cells) if c.cell_type == "markdown"
             and any(line.startswith("## Exercise") for line in c.source.splitlines())]
    assert len(heads) >= 3, f"{path.name}: {len(heads)} exercises (a lesson has >= 3)"
    for i in heads:  # each exercise is followed, before the next heading, by a checker cell
        nxt = next((j for j in heads if j > i), len(cells))
        assert any(c.cell_type == "code" and "check_" in c.source for c in cells[i:nxt]), \
            f"{path.name}: the exercise at cell {i} has no checker cell"
