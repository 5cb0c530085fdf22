"""ag.viz: DOT text of small graphs, clusters, folding, traces (explain, frames), rendering, the HTML page."""

from __future__ import annotations

import os
import shutil
import time

import numpy as np
import pytest

import autograd_core as ag

graphviz = pytest.importorskip("graphviz")
HAVE_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason="Graphviz's dot is not installed (CI installs it)")


def _small():
    x = ag.tensor([1.0, 2.0], dtype=ag.float64, requires_grad=True)
    w = ag.tensor([[0.5, -1.0], [2.0, 0.25]], dtype=ag.float64, requires_grad=True)
    y = (w @ x).tanh().sum()
    return x, w, y


EXPECTED = """digraph autograd_core {
	graph [fontname=Helvetica label="" labelloc=t rankdir=LR]
	node [fontname=Helvetica fontsize=10]
	edge [arrowsize=0.6]
	t0 [label="{[2] float64 | data [-0.9051,  0.9866]}" fillcolor="#f7f7f7" shape=record style=filled]
	t1 [label="{[2] float64 | data [-1.5,  2.5]}" fillcolor="#f7f7f7" shape=record style=filled]
	t2 [label="{w [2x2] float64 | data [[ 0.5 , -1.  ], [ 2.  ,  0.25]]}" fillcolor="#92c5de" shape=record style=filled]
	t3 [label="{x [2] float64 | data [1., 2.]}" fillcolor="#92c5de" shape=record style=filled]
	t4 [label="{loss [scalar] float64 | data 0.0815}" fillcolor="#f4a582" shape=record style=filled]
	op0 [label=Sum fillcolor="#e0e0e0" shape=ellipse style=filled]
	op1 [label=Tanh fillcolor="#e0e0e0" shape=ellipse style=filled]
	op2 [label=Matmul fillcolor="#e0e0e0" shape=ellipse style=filled]
	op1 -> t0
	t0 -> op0
	op2 -> t1
	t1 -> op1
	t2 -> op2
	t3 -> op2
	op0 -> t4
}
"""


def test_dot_text_of_a_small_graph_exactly():
    x, w, y = _small()
    d = ag.viz.draw_graph(y, params={"x": x, "w": w}, legend=False)
    assert isinstance(d, graphviz.Digraph)
    assert d.source == EXPECTED


def test_saved_tensors_legend_and_gradients_after_backward():
    x, w, y = _small()
    y.backward(retain_graph=True)
    src = ag.viz.draw_graph(y, params={"x": x, "w": w}, show_saved=True).source
    # Matmul saves its inputs (red edges), Tanh its output (dashed 'saved' edge back, saved colour)
    assert 't2 -> op2 [color="#d6604d" penwidth=1.5]' in src
    assert 't0 -> op1 [label=saved color="#d6604d" constraint=false fontsize=8 style=dashed]' in src
    assert 't0 [label="{[2] float64 | data [-0.9051,  0.9866]}" fillcolor="#fddbc7"' in src
    assert f"grad {ag.viz._model.summary(x.grad.data)}" in src  # micrograd-style, next to its data
    assert "subgraph cluster_legend" in src and 'legend_saved [label="saved for backward"' in src


def test_drawing_after_backward_keeps_the_structure_and_says_what_was_freed():
    x = ag.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=ag.float64, requires_grad=True)
    a, b = x.split(1, 0)  # a multi-output op: one tensor node per output
    y = (a * b).sum()
    before = ag.viz.draw_graph(y, legend=False).source
    y.backward()
    after = ag.viz.draw_graph(y, legend=False).source
    assert before.count("->") == after.count("->") == 8
    assert "{(freed by backward: draw before it or pass retain_graph=True)}" in after
    assert "{[1x2] float64 | data [[1., 2.]]}" in before and "{[1x2] float64}" in after  # Split knows its shapes
    assert "grad [[3., 4.], [1., 2.]]" in after  # the leaf's gradient is there now


def test_record_label_characters_are_escaped():
    t = ag.tensor(np.arange(12.0), requires_grad=True)
    d = ag.viz.draw_graph((t * 2).sum(), params={"a{b|c}<d>": t})
    src = d.source
    assert r"a\{b\|c\}\<d\> [12] float64" in src
    assert "data min 0 / mean 5.5 / max 11" in src  # summaries above 9 elements
    if HAVE_DOT:  # dot accepts the escaped record and shows the name as written
        assert "a{b|c}&lt;d&gt; [12] float64" in d.pipe(format="svg", encoding="utf-8")


def test_module_calls_become_nested_labelled_clusters():
    nn = ag.nn
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Sequential(nn.Linear(4, 2), nn.ReLU()))
    out = model(ag.randn(5, 3)).sum()
    src = ag.viz.draw_graph(out, params=model).source
    assert 'label="0: Linear"' in src and 'label="1: Tanh"' in src and 'label="2: Sequential"' in src
    assert 'label="2.0: Linear"' in src and 'label=Sequential ' in src
    assert "0.weight [4x3] float32" in src and "2.0.bias [2] float32" in src
    # nesting: the inner Linear's cluster opens inside the inner Sequential's
    inner = src.index('label="2: Sequential"')
    assert inner < src.index('label="2.0: Linear"')
    flat = ag.viz.draw_graph(out, params=model, group_modules=False).source
    assert "subgraph cluster_0" not in flat


def test_module_clusters_collapse_into_one_node():
    nn = ag.nn
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Sequential(nn.Linear(4, 2), nn.ReLU()))
    out = model(ag.randn(5, 3)).sum()
    src = ag.viz.draw_graph(out, params=model, collapse=("2",), legend=False).source
    assert 'module0 [label="2: Sequential (2 ops, collapsed)" fillcolor="#e0e0e0" shape=box' in src
    assert "[label=Relu" not in src and 'label="2.0: Linear"' not in src
    assert "2.0.weight [2x4] float32" in src  # its parameters still point into the box
    tid = next(line.split()[0] for line in src.splitlines() if "2.0.weight" in line)
    assert f"{tid} -> module0" in src and "module0 -> t" in src  # in, and out to the loss
    tr = ag.viz.trace_backward(out, params=model, collapse=("2",))
    assert [s.op for s in tr.steps][1:3] == ["module0", "module0"]  # both ops of the block are one node
    with pytest.raises(ValueError, match=r"cannot collapse \['nope'\]"):
        ag.viz.draw_graph(out, params=model, collapse=("nope",))


def test_large_graphs_are_folded_and_say_so():
    x = ag.tensor([0.5], requires_grad=True)
    y = x
    for _ in range(500):
        y = (y * 0.999).tanh()
    d = ag.viz.draw_graph(y.sum(), max_nodes=40)
    src = d.source
    assert "961 ops folded (Mul x 481, Tanh x 480)" in src
    assert src.count("[label=Tanh") + src.count("[label=Mul") == 40 - 1  # the Sum op is one of the 40


def test_a_100000_deep_chain_draws_folded_within_budget():
    x = ag.tensor(0.1, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    t0 = time.perf_counter()
    d = ag.viz.draw_graph(y)
    elapsed = time.perf_counter() - t0
    assert "99,700 ops folded (Mul x 99,700)" in d.source
    assert elapsed < 30, elapsed  # no RecursionError, and bounded (about 1 s here)


def test_explain_sums_the_contributions_to_the_autodiff_gradient():
    x = ag.tensor([0.3, -0.7], dtype=ag.float64, requires_grad=True)
    w = ag.tensor([1.5, 2.0], dtype=ag.float64, requires_grad=True)
    h = x * w  # x is used twice: two contributions in the table
    loss = (h.tanh() + x.exp()).sum()
    tr = ag.viz.trace_backward(loss, params={"x": x, "w": w})
    terms = tr.contributions(x)
    assert len(terms) == 2
    np.testing.assert_allclose(sum(c.grad for c in terms), x.grad.data, rtol=1e-14)
    np.testing.assert_allclose(sum(c.grad for c in tr.contributions(w)), w.grad.data, rtol=1e-14)
    text = tr.explain(x)
    assert text.startswith("dloss/dx  (2) is the sum of 2 contributions in the grad table:")
    assert "Exp -> its input 0, rule gx = g * y:" in text
    assert "Mul -> its input 0, rule ga = g * b" in text
    assert f"total = {ag.viz._model.summary(x.grad.data)}" in text
    # a non-leaf tensor: the seed and the table entry of h
    hx = tr.contributions(h)
    np.testing.assert_allclose(hx[0].grad, 1 - np.tanh(h.data) ** 2, rtol=1e-14)
    assert "seed: dloss/dloss = 1" in tr.explain(loss)


def test_steps_follow_the_engine_order_and_frames_match_steps():
    x, w, y = _small()
    tr = ag.viz.trace_backward(y, params={"x": x, "w": w})
    assert [s.label for s in tr.steps] == ["Sum", "Tanh", "Matmul"]
    frames = tr.frames()
    assert len(frames) == len(tr.steps) == 3
    src = frames[1].source  # step 2: Sum done, Tanh running, its input's entry filled
    assert 'op0 [label=Sum fillcolor="#b8e186"' in src and 'op1 [label=Tanh fillcolor="#4dac26"' in src
    assert 'label="backward step 2/3: Tanh   gx = g * (1 - y**2)"' in src
    assert "grad table [0.1807, 0.0266]" in src  # dL/d(Wx) = 1 - tanh(Wx)^2, written at step 2
    assert "grad table [0.1807, 0.0266]" not in frames[0].source
    with pytest.raises(IndexError, match=r"step 4 is out of range 1\.\.3"):
        tr.frame(4)


def test_trace_copies_values_so_later_updates_do_not_change_it():
    x, w, y = _small()
    tr = ag.viz.trace_backward(y, params={"x": x, "w": w})
    with ag.no_grad():
        w -= 1.0
    assert "[[ 0.5 , -1.  ], [ 2.  ,  0.25]]" in tr.frame(1).source


def test_rendering_without_dot_raises_one_clear_error(monkeypatch, tmp_path):
    x, w, y = _small()
    d = ag.viz.draw_graph(y)
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot anywhere
    with pytest.raises(ag.viz.GraphvizError, match=r"needs Graphviz's `dot` program.*apt-get install graphviz"
                                                   r".*drawing\.source` is the DOT text"):
        d.pipe(format="svg")
    with pytest.raises(ag.viz.GraphvizError, match="apt-get install graphviz"):
        d.render(tmp_path / "g")
    assert d.source.startswith("digraph")  # building needs no dot


@needs_dot
def test_rendering_with_dot_svg_png_frames_gif_and_notebook_hooks(tmp_path):
    x, w, y = _small()
    d = ag.viz.draw_graph(y, params={"x": x, "w": w})
    assert "<svg" in d.pipe(format="svg", encoding="utf-8")
    assert d._repr_svg_().lstrip().startswith("<?xml") or "<svg" in d._repr_svg_()
    tr = ag.viz.trace_backward(y, params={"x": x, "w": w})
    paths = tr.save_frames(tmp_path / "frames")
    assert [p.name for p in paths] == ["step_001.svg", "step_002.svg", "step_003.svg"]
    pytest.importorskip("PIL")
    gif = tr.to_gif(tmp_path / "backprop.gif")
    from PIL import Image

    with Image.open(gif) as im:
        assert im.n_frames == 3
    assert "trace-data" in tr._repr_html_()


@needs_dot
def test_html_page_is_self_contained(tmp_path):
    x, w, y = _small()
    tr = ag.viz.trace_backward(y, params={"x": x, "w": w})
    page = tr.to_html(tmp_path / "p.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and '"steps"' in page
    assert "<script src" not in page and "<link" not in page and "https://" not in page  # no network


def _browser():
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("no chromium executable (CI installs Debian's chromium package)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    return sync_api, exe


@needs_dot
def test_html_page_in_a_headless_browser(tmp_path):
    sync_api, exe = _browser()
    nn = ag.nn
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    loss = model(ag.randn(6, 3)).pow(2).mean()
    tr = ag.viz.trace_backward(loss, params=model)
    path = tr.to_html(tmp_path / "backprop.html")
    n = len(tr.steps)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(path.as_uri())
        label = page.locator("#step-label")
        assert label.inner_text().startswith(f"step 0 of {n}: the grad table holds only the seed")
        page.click("#next")
        assert label.inner_text().startswith(f"step 1 of {n}: {tr.steps[0].label}")
        page.click("#next")
        step2 = tr.steps[1]
        assert label.inner_text().startswith(f"step 2 of {n}: {step2.label}")
        cls = page.evaluate(
            "id => [...document.querySelectorAll('g.node')].find(g => g.querySelector('title').textContent === id)"
            ".getAttribute('class')", step2.op)
        assert "current" in cls
        # click the first layer's weight: its value, final gradient and contributions are shown
        wid = tr.tensor_id(model[0].weight)
        page.evaluate("id => [...document.querySelectorAll('g.node')].find("
                      "g => g.querySelector('title').textContent === id).dispatchEvent(new MouseEvent('click'))", wid)
        details = page.locator("#details").inner_text()
        assert "0.weight" in details and "gradient (final):" in details
        assert ag.viz._model.summary(model[0].weight.grad.data)[:20] in details
        assert "contributions summed into it:" in details and "Linear, input 1" in details
        page.click("#last")
        assert label.inner_text().startswith(f"step {n} of {n}")
        shot = tmp_path / "backprop.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        out = os.environ.get("AG_VIZ_SCREENSHOT")
        if out:  # keep a copy for a person to look at
            shutil.copy(shot, out)
        browser.close()


def test_traces_of_long_chains_fold_and_the_page_refuses_clearly(tmp_path):
    z = ag.tensor(0.5, dtype=ag.float64, requires_grad=True)
    w = z
    for _ in range(6000):
        w = w * 1.0
    tr = ag.viz.trace_backward(w, max_nodes=50)
    assert len(tr.steps) == 6000 and tr.model.folded.startswith("5,950 ops folded")
    assert sum(s.op == "fold" for s in tr.steps) == 5950
    np.testing.assert_allclose(sum(c.grad for c in tr.contributions(z)), z.grad.data)
    with pytest.raises(ValueError, match="6,000 backward steps are too many for one page"):
        tr.to_html(tmp_path / "x.html")
