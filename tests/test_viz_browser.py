"""ag.viz's HTML page in a real browser (playwright + Debian's chromium): stepping, clicking, zoom and pan,
composite boxes, LeNet-5 readable at 1280x800, and two traces in one JupyterLab-like document (also after a
cell is run again). Screenshots go to $ARTIFACTS_DIR/viz (or pytest's tmp dir) for a person to look at."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import autograd_core as ag

pytest.importorskip("graphviz")
if shutil.which("dot") is None:
    pytest.skip("Graphviz's dot is not installed (CI installs it)", allow_module_level=True)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip("no chromium executable (CI installs Debian's chromium package)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed "
                                                             "(.ci/run installs it: pip install playwright)")
nn = ag.nn


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def artefacts(tmp_path):
    out = Path(os.environ["ARTIFACTS_DIR"]) / "viz" if os.environ.get("ARTIFACTS_DIR") else tmp_path / "shots"
    out.mkdir(parents=True, exist_ok=True)
    return out


def _open(browser, url_or_html, width=1280, height=800):
    page = browser.new_page(viewport={"width": width, "height": height})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    if url_or_html.startswith("file:"):
        page.goto(url_or_html)
    else:
        page.set_content(url_or_html)
    page.wait_for_timeout(100)
    return page, errors


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))


def _lenet_trace():
    ag.manual_seed(0)
    model, crit = lenet(), nn.CrossEntropyLoss()
    loss = crit(model(ag.randn(2, 1, 32, 32)), ag.tensor([3, 7]))
    return ag.viz.trace_backward(loss, params=[model, crit]), model


def _mlp_trace():
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    loss = model(ag.randn(6, 3)).pow(2).mean()
    return ag.viz.trace_backward(loss, params=model), model


# what the page shows, measured in the page (the widget `w`, its visible view `v`, its pane `p`)
MEASURE = """w => {
  const v = [...w.querySelectorAll('.agv-view')].find(e => !e.hidden);
  const p = w.querySelector('.agv-pane').getBoundingClientRect();
  const inPane = r => r.bottom > p.top && r.top < p.bottom && r.right > p.left && r.left < p.right;
  const labels = [...v.querySelectorAll('g.node text')].map(t => t.getBoundingClientRect()).filter(inPane);
  const g = v.querySelector('g.graph').getBoundingClientRect();
  const ix = Math.max(0, Math.min(g.right, innerWidth) - Math.max(g.left, 0))
    * Math.max(0, Math.min(g.bottom, innerHeight) - Math.max(g.top, 0));
  return {view: v.getAttribute('data-view'), labels: labels.length,
          minLabel: Math.min(...labels.map(r => r.height)), filled: ix / (innerWidth * innerHeight),
          graph: [g.left, g.top, g.right, g.bottom], pane: [p.left, p.top, p.right, p.bottom]};
}"""


def _node_rect(page, widget, node_id):
    return page.evaluate("""([w, id]) => {
      const v = [...w.querySelectorAll('.agv-view')].find(e => !e.hidden);
      const g = [...v.querySelectorAll('g.node')].find(g => g.querySelector('title').textContent === id);
      if (!g) return null;
      const r = g.getBoundingClientRect();
      return {x: r.left + r.width / 2, y: r.top + r.height / 2, cls: g.getAttribute('class'),
              text: [...g.querySelectorAll('text')].map(t => t.textContent).join(' ')};
    }""", [widget, node_id])


def test_lenet_page_is_readable_at_1280x800(browser, tmp_path, artefacts):
    tr, model = _lenet_trace()
    path = tr.to_html(tmp_path / "lenet.html")
    page, errors = _open(browser, path.as_uri())
    w = page.query_selector(".agv")
    m = page.evaluate(MEASURE, w)
    page.screenshot(path=str(artefacts / "lenet_1280x800.png"))
    assert m["view"] == "collapsed" and m["labels"] >= 8
    assert m["minLabel"] >= 9, m  # the issue: about 2 px before
    assert m["filled"] >= 1 / 3, m  # the issue: 4 % of the screen before
    # the ids the panel uses are written on the nodes; the loss is one labelled composite box
    root = _node_rect(page, w, tr.root_ids[0])
    assert root["text"].startswith(f"{tr.root_ids[0]} · loss")
    box = _node_rect(page, w, "composite0")
    assert box is not None and "CrossEntropyLoss" in box["text"] and "(7 ops)" in box["text"]
    wid = tr.tensor_id(model[0].weight)
    assert page.evaluate("([w, id]) => w.querySelector('svg').textContent.includes(id + ' · 0.weight')", [w, wid])
    # every drawn op, tensor and box has its data in the panel (the page's ids and the drawing's agree)
    ids = page.evaluate("w => [...w.querySelectorAll('g.node title')].map(t => t.textContent)", w)
    data = tr.page_data()
    assert ids and all(i in data["nodes"] for i in ids)
    assert errors == []
    page.close()


def test_stepping_clicking_and_the_panel(browser, tmp_path, artefacts):
    tr, model = _mlp_trace()
    path = tr.to_html(tmp_path / "mlp.html")
    page, errors = _open(browser, path.as_uri(), 1400, 900)
    w = page.query_selector(".agv")
    n = len(tr.steps)
    label = page.locator(".agv-step-label")
    assert label.inner_text().startswith(f"step 0 of {n}: the grad table holds only the seed")
    page.click(".agv-next")
    assert label.inner_text().startswith(f"step 1 of {n}: {tr.steps[0].label}")
    page.click(".agv-next")
    assert label.inner_text().startswith(f"step 2 of {n}: {tr.steps[1].label}")
    assert "agv-current" in _node_rect(page, w, tr.steps[1].op)["cls"]
    assert "agv-visited" in _node_rect(page, w, tr.steps[0].op)["cls"]
    # a real click on the first layer's weight: value, final gradient and its contributions
    wid = tr.tensor_id(model[0].weight)
    r = _node_rect(page, w, wid)
    page.mouse.click(r["x"], r["y"])
    details = page.locator(".agv-details").inner_text()
    assert "0.weight" in details and f"({wid}, param)" in details and "gradient (final):" in details
    assert ag.viz._model.summary(model[0].weight.grad.data)[:20] in details
    assert "contributions summed into it:" in details and "Linear, input 1" in details
    # keys step the focused widget
    page.keyboard.press("ArrowRight")
    assert label.inner_text().startswith(f"step 3 of {n}")
    page.click(".agv-last")
    assert label.inner_text().startswith(f"step {n} of {n}")
    page.screenshot(path=str(artefacts / "mlp_last_step.png"))
    assert errors == []
    page.close()


def test_wheel_zooms_about_the_pointer_drag_pans_and_fit_shows_everything(browser, tmp_path, artefacts):
    tr, _ = _lenet_trace()
    path = tr.to_html(tmp_path / "lenet.html")
    page, errors = _open(browser, path.as_uri())
    w = page.query_selector(".agv")
    state = lambda: page.evaluate("w => w.agv.state()", w)  # noqa: E731
    s0 = state()["scale"]
    target = tr.root_ids[0]
    r0 = _node_rect(page, w, target)
    page.mouse.move(r0["x"], r0["y"])
    page.mouse.wheel(0, -400)  # zoom in about the pointer: the node under it stays there
    page.wait_for_timeout(100)
    r1 = _node_rect(page, w, target)
    assert state()["scale"] > 1.5 * s0
    assert abs(r1["x"] - r0["x"]) < 3 and abs(r1["y"] - r0["y"]) < 3
    page.mouse.wheel(0, 400)
    page.wait_for_timeout(100)
    assert abs(state()["scale"] - s0) < 0.05 * s0
    # drag: the drawing follows the pointer, and letting go is not a click on a node
    r0 = _node_rect(page, w, target)
    page.mouse.move(r0["x"], r0["y"])
    page.mouse.down()
    page.mouse.move(r0["x"] + 60, r0["y"] - 120, steps=6)
    page.mouse.up()
    r1 = _node_rect(page, w, target)
    assert abs(r1["x"] - r0["x"] - 60) < 2 and abs(r1["y"] - r0["y"] + 120) < 2
    assert page.locator(".agv-details").inner_text() == "-"
    page.click(".agv-zoom-in")
    assert state()["scale"] > s0
    page.click(".agv-fit")  # the whole graph inside the pane
    m = page.evaluate(MEASURE, w)
    gl, gt, gr, gb = m["graph"]
    pl, pt, pr, pb = m["pane"]
    assert pl - 1 <= gl and gr <= pr + 1 and pt - 1 <= gt and gb <= pb + 1, m
    assert max(gr - gl, gb - gt) > 0.9 * min(pr - pl, pb - pt)  # and as big as fits
    page.screenshot(path=str(artefacts / "lenet_fit.png"))
    page.click(".agv-fit-width")
    m = page.evaluate(MEASURE, w)
    assert m["graph"][2] - m["graph"][0] > 0.9 * (m["pane"][2] - m["pane"][0])
    assert errors == []
    page.close()


def test_composite_box_expands_into_its_ops_and_collapses_back(browser, tmp_path, artefacts):
    tr, _ = _lenet_trace()
    page, errors = _open(browser, tr.to_html(tmp_path / "lenet.html").as_uri())
    w = page.query_selector(".agv")
    page.click(".agv-next")  # step 1 runs the loss's last op (Div): inside the box, so the box is current
    box = _node_rect(page, w, "composite0")
    assert "agv-current" in box["cls"]
    assert "(inside CrossEntropyLoss)" in page.locator(".agv-step-label").inner_text()
    page.mouse.click(box["x"], box["y"])  # a click on the box draws its ops, in a cluster named as the box
    assert page.evaluate("w => w.agv.state().view", w) == "expanded"
    first = tr.steps[0].op
    op = _node_rect(page, w, first)
    assert op is not None and "agv-current" in op["cls"] and _node_rect(page, w, "composite0") is None
    members = page.evaluate("""w => {
      const v = [...w.querySelectorAll('.agv-view')].find(e => !e.hidden);
      const c = [...v.querySelectorAll('g.cluster')].find(c => c.querySelector('text')
        && c.querySelector('text').textContent.includes('CrossEntropyLoss'));
      if (!c) return null;
      const r = c.getBoundingClientRect();
      return [...v.querySelectorAll('g.node')].filter(g => g.querySelector('ellipse')).filter(g => {
        const q = g.getBoundingClientRect();
        return q.left >= r.left && q.right <= r.right && q.top >= r.top && q.bottom <= r.bottom;
      }).map(g => g.querySelector('title').textContent);
    }""", w)
    assert members is not None and len(members) == 7 and first in members
    assert "composite0" in page.locator(".agv-details").inner_text() or \
        "CrossEntropyLoss" in page.locator(".agv-details").inner_text()
    m = page.evaluate(MEASURE, w)
    assert m["minLabel"] >= 9
    page.screenshot(path=str(artefacts / "lenet_expanded.png"))
    page.click(".agv-expand")  # and back to one box
    assert page.evaluate("w => w.agv.state().view", w) == "collapsed"
    assert "agv-current" in _node_rect(page, w, "composite0")["cls"]
    assert errors == []
    page.close()
    page, errors = _open(browser, tr.to_html(tmp_path / "open.html", expand=True).as_uri())
    w = page.query_selector(".agv")
    assert page.evaluate("w => w.agv.state().view", w) == "expanded"
    assert _node_rect(page, w, "composite0") is None and _node_rect(page, w, tr.steps[0].op) is not None
    assert page.evaluate(MEASURE, w)["view"] == "expanded" and errors == []
    page.close()


# JupyterLab puts an output's HTML into a detached node with innerHTML, re-creates each <script> so that it
# runs, and attaches the node to the output area; re-running a cell replaces that node. Every output shares
# the document (and its global scope) with all the others.
JUPYTERLAB = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>body { margin: 0; font-size: 13px; }
.jp-Cell { margin: 8px 24px; } .jp-OutputArea { border-left: 3px solid #ddd; padding-left: 6px; }</style></head>
<body><div class="jp-Notebook"><div class="jp-Cell"><pre>tr1 = ag.viz.trace_backward(loss1); tr1</pre>
<div class="jp-OutputArea" id="out1"></div></div><div class="jp-Cell"><pre>tr2 = ag.viz.trace_backward(loss2); tr2</pre>
<div class="jp-OutputArea" id="out2"></div></div></div></body></html>"""
RENDER = """([area, html]) => {
  const host = document.createElement('div');
  host.className = 'jp-RenderedHTMLCommon';
  host.innerHTML = html;
  for (const old of host.querySelectorAll('script')) {
    const s = document.createElement('script');
    for (const a of old.attributes) s.setAttribute(a.name, a.value);
    s.textContent = old.textContent;
    old.parentNode.replaceChild(s, old);
  }
  document.getElementById(area).replaceChildren(host);
}"""


def test_two_traces_in_one_jupyterlab_document_and_a_rerun(browser, artefacts):
    tr1, _ = _mlp_trace()
    tr2, _ = _lenet_trace()
    page, errors = _open(browser, JUPYTERLAB, 1280, 1500)
    page.evaluate(RENDER, ["out1", tr1._repr_html_()])
    page.evaluate(RENDER, ["out2", tr2._repr_html_()])
    page.wait_for_timeout(200)
    widgets = page.query_selector_all(".agv")
    assert len(widgets) == 2
    a, b = widgets
    la, lb = a.query_selector(".agv-step-label"), b.query_selector(".agv-step-label")
    n1, n2 = len(tr1.steps), len(tr2.steps)
    a.query_selector(".agv-next").click()
    a.query_selector(".agv-next").click()
    b.query_selector(".agv-next").click()
    assert la.inner_text().startswith(f"step 2 of {n1}") and lb.inner_text().startswith(f"step 1 of {n2}")
    # each widget's drawing is its own: highlighting in one leaves the other alone
    assert "agv-current" in _node_rect(page, a, tr1.steps[1].op)["cls"]
    assert "agv-current" in _node_rect(page, b, "composite0")["cls"]
    # keys go to the widget that has the focus only
    b.query_selector(".agv-pane").click(position={"x": 5, "y": 5})
    page.keyboard.press("ArrowRight")
    assert la.inner_text().startswith(f"step 2 of {n1}") and lb.inner_text().startswith(f"step 2 of {n2}")
    # in a notebook the wheel scrolls the notebook, until the widget has been clicked
    r = _node_rect(page, a, tr1.root_ids[0])
    page.mouse.move(r["x"], r["y"])
    s0 = page.evaluate("w => w.agv.state().scale", a)
    page.mouse.wheel(0, -300)
    page.wait_for_timeout(100)
    assert page.evaluate("w => w.agv.state().scale", a) == s0
    page.mouse.click(r["x"], r["y"])
    page.mouse.wheel(0, -300)
    page.wait_for_timeout(100)
    assert page.evaluate("w => w.agv.state().scale", a) > 1.3 * s0
    page.click(".agv-fit")  # the first widget's fit button
    # ids inside the two SVGs do not collide
    ids = page.evaluate("() => [...document.querySelectorAll('[id]')].map(e => e.id)")
    assert len(ids) == len(set(ids))
    for w in (a, b):
        m = page.evaluate(MEASURE, w)
        assert m["minLabel"] >= 9 and m["labels"] > 3, m
    page.screenshot(path=str(artefacts / "jupyterlab_two_traces.png"), full_page=True)
    # run the first cell again: a new output replaces the old one, and both widgets still work
    page.evaluate(RENDER, ["out1", tr1._repr_html_()])
    page.wait_for_timeout(200)
    a = page.query_selector("#out1 .agv")
    a.query_selector(".agv-next").click()
    assert a.query_selector(".agv-step-label").inner_text().startswith(f"step 1 of {n1}")
    b.query_selector(".agv-last").click()
    assert lb.inner_text().startswith(f"step {n2} of {n2}")
    assert len(page.query_selector_all(".agv")) == 2
    assert errors == []  # before: "Identifier 'DATA' has already been declared", and dead buttons
    page.close()
