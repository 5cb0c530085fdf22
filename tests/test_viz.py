"""ag.viz: DOT text of small graphs, clusters, composites, names, folding, traces (explain, frames), rendering,
the GIF and the HTML page's markup (tests/test_viz_browser.py drives the page in a real browser)."""

from __future__ import annotations

import json
import re
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
	graph [fontname=Helvetica label="" labelloc=t rankdir=TB]
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
    assert "agv-data" in tr._repr_html_()


@needs_dot
def test_html_page_is_self_contained(tmp_path):
    x, w, y = _small()
    tr = ag.viz.trace_backward(y, params={"x": x, "w": w})
    page = tr.to_html(tmp_path / "p.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and '"steps"' in page
    assert "<script src" not in page and "<link" not in page and "https://" not in page  # no network


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


# ---------------------------------------------------------------------- issue 20: the readable viewer
def _cnn():
    """The demo's small CNN (make demo): conv-BN-ReLU-pool, conv-ReLU-pool, 128-64-10 on 8x8 digits."""
    nn = ag.nn
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 2 * 2, 64), nn.ReLU(), nn.Linear(64, 10))


@ag.viz.composite("softmax")
def _softmax(x):
    e = x.exp()
    return e / e.sum()


def _named():
    x = ag.tensor([1.0, 2.0, 3.0], dtype=ag.float64, requires_grad=True)
    x.name = "x"
    z = x * 2.0
    z.name = "z"
    p = _softmax(z)
    p.label = "p"  # micrograd's spelling works too
    loss = (p * ag.tensor([0.0, 1.0, 0.0], dtype=ag.float64)).sum()
    return x, z, p, loss


def test_tensor_names_are_drawn_and_params_names_come_first():
    x, z, p, loss = _named()
    src = ag.viz.draw_graph(loss, legend=False).source
    assert "{x [3] float64" in src and "{z [3] float64" in src and "{p [3] float64" in src
    loss.name = "L"
    assert "{L [scalar] float64" in ag.viz.draw_graph(loss, legend=False).source
    src = ag.viz.draw_graph(loss, params={"inputs": x}, legend=False).source
    assert "{inputs [3] float64" in src and "{x [3]" not in src
    tr = ag.viz.trace_backward(loss)
    assert tr.explain(z).startswith("dL/dz  (3) is the sum of 1 contribution")
    assert tr.page_data()["nodes"][tr.tensor_id(z)]["name"] == "z"


def test_composite_calls_are_one_box_and_expand_into_a_labelled_cluster():
    x, z, p, loss = _named()
    src = ag.viz.draw_graph(loss, legend=False).source
    assert 'composite0 [label="softmax  (3 ops)" color="#762a83" fillcolor="#e7d4e8" shape=box' in src
    assert "label=Exp" not in src and "label=Div" not in src and "subgraph cluster" not in src
    ids = {line.split()[0]: line for line in src.splitlines() if "[label=" in line}
    pid = next(k for k, v in ids.items() if "{p [3]" in v)
    zid = next(k for k, v in ids.items() if "{z [3]" in v)
    assert f"{zid} -> composite0" in src and f"composite0 -> {pid}" in src  # its input in, its output out
    full = ag.viz.draw_graph(loss, legend=False, expand=True).source
    lines = full.splitlines()
    start = next(i for i, line in enumerate(lines) if "subgraph cluster_0" in line)
    body = "\n".join(lines[start: next(i for i in range(start, len(lines)) if lines[i] == "\t}")])
    assert "label=softmax" in body and body.count("shape=ellipse") == 3  # Exp, Sum, Div inside
    assert "label=Exp" in body and "{p [3]" not in body  # the output is drawn outside, below the box
    # a trace keeps the primitives as steps; a frame shows the box as the current op while one of them runs
    tr = ag.viz.trace_backward(loss)
    inside = [s.k for s in tr.steps if s.label in ("Div", "Sum", "Exp") and s.k > 2]
    src = tr.frame(inside[0]).source
    assert 'composite0 [label="softmax  (3 ops)" color="#762a83" fillcolor="#4dac26"' in src
    step = tr.steps[inside[0] - 1]
    assert f'{step.op} [label={step.label} fillcolor="#4dac26"' in tr.frame(inside[0], expand=True).source
    data = tr.page_data()
    assert set(data["composites"]["composite0"]["members"]) == {
        s.op for s in tr.steps if s.label in ("Div", "Exp") or (s.label == "Sum" and s.k > 1)}
    assert all(data["boxOf"][m] == "composite0" for m in data["composites"]["composite0"]["members"])
    with pytest.raises(TypeError, match="non-empty string"):
        ag.viz.composite("")


def test_composites_record_nothing_without_grad_and_nested_ones_draw_once():
    with ag.no_grad():
        out = _softmax(ag.tensor([1.0, 2.0]))
    assert out.grad_fn is None

    @ag.viz.composite("outer")
    def outer(v):
        return _softmax(v * 3.0)

    v = ag.tensor([0.5, 1.5], requires_grad=True)
    src = ag.viz.draw_graph(outer(v).sum(), legend=False).source
    assert 'label="outer  (4 ops)"' in src and "softmax" not in src  # the outermost call is the box
    full = ag.viz.draw_graph(outer(v).sum(), legend=False, expand=True).source
    assert "label=outer" in full and "label=softmax" in full  # nested clusters when expanded
    assert full.index("label=outer") < full.index("label=softmax")
    same = ag.viz.composite("same")(_softmax)  # the same ops as the inner one: one cluster, not two
    full = ag.viz.draw_graph(same(v).sum(), legend=False, expand=True).source
    assert full.count("subgraph cluster") == 1


def test_a_parameter_free_module_call_is_a_composite_and_params_takes_a_list_of_modules():
    nn = ag.nn
    ag.manual_seed(0)
    model, crit = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3)), nn.CrossEntropyLoss()
    loss = crit(model(ag.randn(5, 3)), ag.tensor([0, 1, 2, 0, 1]))
    src = ag.viz.draw_graph(loss, params=[model, crit], legend=False).source
    assert re.search(r'composite0 \[label="CrossEntropyLoss  \(\d+ ops\)"', src)
    assert "LogSoftmax" not in src and 'label="1: Tanh"' in src  # Tanh: one op, a plain cluster
    assert "0.weight [4x3] float32" in src
    assert 'label="LogSoftmax(dim=1)"' in ag.viz.draw_graph(loss, params=[model, crit], expand=True).source
    # without the module in params, the box is F.cross_entropy's own (nn marks it composite)
    alone = ag.viz.draw_graph(loss, params=model).source
    assert re.search(r'composite0 \[label="cross_entropy  \(\d+ ops\)"', alone) and "CrossEntropyLoss" not in alone


def test_drawings_run_top_to_bottom_and_rankdir_is_checked_everywhere(tmp_path):
    x, w, y = _small()
    assert "rankdir=TB" in ag.viz.draw_graph(y).source
    assert "rankdir=LR" in ag.viz.draw_graph(y, rankdir="LR").source
    tr = ag.viz.trace_backward(y, params={"x": x, "w": w})
    assert "rankdir=TB" in tr.frame(1).source and "rankdir=BT" in tr.frame(1, rankdir="BT").source
    lr = ag.viz.trace_backward(_small()[2], rankdir="LR")
    assert "rankdir=LR" in lr.frame(1).source
    for call in (lambda: ag.viz.draw_graph(y, rankdir="up"), lambda: tr.frame(1, rankdir="up"),
                 lambda: ag.viz.trace_backward(_small()[2], rankdir="up"),
                 lambda: tr.to_html(tmp_path / "x.html", rankdir="up"), lambda: tr.to_gif(tmp_path / "x.gif",
                                                                                          rankdir="up")):
        with pytest.raises(ValueError, match=r"rankdir must be 'TB' \(top to bottom\), 'LR', 'BT' or 'RL', got 'up'"):
            call()


@needs_dot
def test_to_gif_of_a_small_cnn_is_fast_and_at_most_2000_px_wide(tmp_path):
    pytest.importorskip("PIL")
    from PIL import Image

    nn = ag.nn
    ag.manual_seed(0)
    model = _cnn()
    loss = nn.CrossEntropyLoss()(model(ag.randn(8, 1, 8, 8)), ag.tensor([0, 1, 2, 3, 4, 5, 6, 7]))
    tr = ag.viz.trace_backward(loss, params=model)
    t0 = time.perf_counter()
    gif = tr.to_gif(tmp_path / "cnn.gif")
    elapsed = time.perf_counter() - t0
    assert elapsed < 5, elapsed  # the issue: 41 s, and 14,017 px wide (about 1.5 s here)
    with Image.open(gif) as im:
        assert im.n_frames == len(tr.steps) and im.width <= 2000, (im.n_frames, im.size)
        frames = []
        for k in (0, 1, len(tr.steps) - 1):
            im.seek(k)
            frames.append(np.asarray(im.convert("RGB")))
    assert not np.array_equal(frames[0], frames[1]) and not np.array_equal(frames[1], frames[2])
    wide = tr.to_gif(tmp_path / "narrow.gif", max_width=600, rankdir="LR")
    with Image.open(wide) as im:
        assert im.width <= 600


@needs_dot
def test_to_gif_marks_the_current_op_on_the_one_layout(tmp_path):
    pytest.importorskip("PIL")
    x, w, y = _small()
    tr = ag.viz.trace_backward(y, params={"x": x, "w": w})
    images, where = tr._gif_frames()
    assert len(images) == 3 and len({im.size for im in images}) == 1  # one layout for every frame

    def colour(k, node):
        x0, y0, x1, y1 = where[node]
        return np.asarray(images[k - 1].convert("RGB")).astype(int)[int((y0 + y1) / 2), int((x0 + x1) / 2)]

    r, g, b = colour(2, "op1")  # step 2: Tanh (op1) is the current op, drawn green
    assert g > r + 40 and g > b + 40, (r, g, b)
    assert tuple(colour(1, "op1")) != (r, g, b) and tuple(colour(3, "op1")) != (r, g, b)  # before / after


@needs_dot
def test_page_markup_is_scoped_so_several_traces_share_a_document(tmp_path):
    x, w, y = _small()
    tr = ag.viz.trace_backward(y, params={"x": x, "w": w})
    one, two = tr._repr_html_(), tr._repr_html_()
    uid1 = re.search(r'<div class="agv" id="(agv-[0-9a-f]+)"', one).group(1)
    uid2 = re.search(r'<div class="agv" id="(agv-[0-9a-f]+)"', two).group(1)
    assert uid1 != uid2
    script = one[one.rindex("<script>"):]
    assert script.startswith("<script>\n(function (uid) {") and f'}})("{uid1}");' in script
    assert "const DATA" not in one and "getElementById('" not in script  # nothing global, no fixed ids
    ids = re.findall(r'\bid="([^"]+)"', one)
    assert ids[0] == uid1 and all(i.startswith(uid1) for i in ids)
    assert "<body" not in one and "body {" not in one  # no styles for the notebook's own page
    assert all(line.startswith(".agv") or not line.strip() or line.startswith("  ")
               for line in ag.viz._html.CSS.splitlines())
    data = json.loads(re.search(r'class="agv-data">(.*?)</script>', one, re.S).group(1))
    assert data["view"] == "expanded" and data["roots"] == tr.root_ids
    # the drawing carries the ids the panel uses
    assert f"{tr.root_ids[0]} · loss" in one and "op0 · Sum" in one
    page = tr.to_html(tmp_path / "p.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and 'class="agv agv-standalone"' in page
