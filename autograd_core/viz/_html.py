"""The self-contained backprop page: inline SVG + JSON + a little JavaScript, no network.

Every page or notebook output is one ``<div class="agv" id="agv-...">`` with a fresh id: its CSS is
scoped to ``.agv``, its script runs inside a function and finds its own elements under that div, and the
ids inside its SVGs carry the same prefix. So any number of traces live in one document (a notebook with
several trace cells, a cell run again, an nbconvert export) without a global name or id in common.

The graph view fits the drawing to its pane at a size where labels stay readable (about 11 px), zooms
with the wheel or the +/- buttons (about the pointer), pans by dragging, and 'fit' shows the whole graph.
Composite ops are drawn in two layouts (one box each / their ops in a labelled cluster); the page
switches between them.
"""

from __future__ import annotations

import html
import re
import uuid

CSS = """
.agv { font-family: Helvetica, Arial, sans-serif; display: flex; width: 100%; height: 640px; color: #222;
  background: #fff; border: 1px solid #ccc; box-sizing: border-box; position: relative; outline: none;
  text-align: left; line-height: 1.3; }
.agv * { box-sizing: border-box; }
.agv.agv-standalone { height: 100vh; border: 0; }
.agv .agv-main { flex: 1 1 auto; min-width: 0; display: flex; flex-direction: column;
  border-right: 1px solid #ccc; }
.agv .agv-toolbar { flex: none; padding: 4px 6px; border-bottom: 1px solid #ddd; background: #fafafa;
  font-size: 13px; white-space: nowrap; overflow: hidden; }
.agv .agv-toolbar button, .agv .agv-controls button { font-size: 13px; margin: 0 3px 0 0; padding: 2px 7px;
  cursor: pointer; }
.agv .agv-hint { color: #777; margin-left: 8px; }
.agv .agv-pane { flex: 1 1 auto; position: relative; overflow: hidden; cursor: grab; touch-action: none;
  user-select: none; -webkit-user-select: none; }
.agv .agv-pane.agv-dragging { cursor: grabbing; }
.agv .agv-view { position: absolute; left: 0; top: 0; right: 0; bottom: 0; }
.agv .agv-view[hidden] { display: none; }
.agv .agv-view svg { width: 100%; height: 100%; display: block; }
.agv .agv-side { flex: 0 0 340px; padding: 10px 12px; overflow: auto; font-size: 14px; }
.agv .agv-side h3 { margin: 0 0 8px 0; font-size: 16px; }
.agv .agv-side h4 { margin: 12px 0 4px 0; font-size: 14px; }
.agv .agv-controls { margin-bottom: 8px; }
.agv .agv-slider { width: 100%; margin-top: 6px; }
.agv .agv-table { font-size: 12px; font-family: Menlo, Consolas, monospace; }
.agv pre { white-space: pre-wrap; background: #f6f6f6; padding: 6px; font-size: 12px; margin: 2px 0; }
.agv .agv-legend span { display: inline-block; padding: 0 5px; margin: 0 3px 3px 0; border: 1px solid #999;
  border-radius: 3px; font-size: 11px; }
.agv .node { cursor: pointer; }
.agv .cluster.agv-composite { cursor: pointer; }
.agv .node.agv-visited ellipse, .agv .node.agv-visited path { fill: #b8e186; }
.agv .node.agv-current ellipse, .agv .node.agv-current path { fill: #4dac26; }
.agv .node.agv-filled polygon { stroke: #1a9850; stroke-width: 3px; }
.agv .node.agv-written polygon { stroke: #e66101; stroke-width: 4px; }
.agv .node.agv-selected polygon, .agv .node.agv-selected ellipse, .agv .node.agv-selected path {
  stroke: #d6604d; stroke-width: 4px; }
"""

JS = r"""
(function (uid) {
  "use strict";
  var me = document.currentScript;
  var root = (me && me.parentNode && me.parentNode.closest && me.parentNode.closest('.agv'))
    || document.getElementById(uid);
  if (!root || root.agv) return;
  var D = JSON.parse(root.querySelector('script.agv-data').textContent);
  var N = D.steps.length, READ = 1.0, MAXS = 2.0;  // READ: px per pt at which 10 pt labels stay readable (10 px)
  function q(sel) { return root.querySelector(sel); }
  function esc(s) { return String(s).replace(/[&<>"]/g, function (c) {
    return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c]; }); }
  var pane = q('.agv-pane'), views = {}, view = null, step = 0, selected = null;
  root.querySelectorAll('.agv-view').forEach(function (el) {
    var svg = el.querySelector('svg'), vb = svg.viewBox.baseVal;
    var v = {name: el.getAttribute('data-view'), el: el, svg: svg, w: vb.width, h: vb.height, s: 1, tx: 0,
             ty: 0, placed: false, nodes: {}, clusters: {}};
    el.querySelectorAll('g.node').forEach(function (g) {
      var t = g.querySelector('title');
      if (!t) return;
      var id = t.textContent;
      v.nodes[id] = g;
      g.addEventListener('click', function (e) { if (!moved) { e.stopPropagation(); clickNode(id); } });
    });
    el.querySelectorAll('g.cluster').forEach(function (g) {
      var t = g.querySelector('title');
      if (!t) return;
      var cid = t.textContent, box = null;
      Object.keys(D.composites).forEach(function (b) { if (D.composites[b].cluster === cid) box = b; });
      v.clusters[cid] = g;
      if (box === null) return;
      g.classList.add('agv-composite');
      var label = g.querySelector('text');
      if (label) label.addEventListener('click', function (e) {
        if (!moved) { e.stopPropagation(); setView('collapsed', box); select(box); } });
    });
    views[v.name] = v;
  });
  view = views[D.view] || views.expanded;
  Object.keys(views).forEach(function (name) { views[name].el.hidden = views[name] !== view; });
  function vis(id) { return view.name === 'collapsed' && D.boxOf[id] ? D.boxOf[id] : id; }
  function paneSize() { return {w: pane.clientWidth, h: pane.clientHeight}; }
  function apply(v) {
    var p = paneSize();
    if (!p.w || !p.h) return;
    v.svg.setAttribute('viewBox', [-v.tx / v.s, -v.ty / v.s, p.w / v.s, p.h / v.s].join(' '));
  }
  function fit(v) {  // the whole graph
    v = v || view;
    var p = paneSize();
    v.s = Math.min(p.w / v.w, p.h / v.h) * 0.97;
    v.tx = (p.w - v.w * v.s) / 2; v.ty = (p.h - v.h * v.s) / 2;
    apply(v);
  }
  function fitWidth(v) {  // as wide as the pane, capped so that small graphs are not blown up
    v = v || view;
    var p = paneSize();
    v.s = Math.min(p.w * 0.97 / v.w, MAXS);
    v.tx = (p.w - v.w * v.s) / 2;
    v.ty = Math.min(10, p.h - v.h * v.s);
    apply(v);
  }
  function initial(v) {  // fit, unless that makes labels too small to read: then readable, on the focus
    var p = paneSize();
    if (!p.w || !p.h) return false;
    var whole = Math.min(p.w / v.w, p.h / v.h) * 0.97;
    if (whole >= READ) { fit(v); }
    else {
      v.s = Math.max(READ, Math.min(p.w * 0.97 / v.w, MAXS));
      v.tx = (p.w - v.w * v.s) / 2; v.ty = 10;
      apply(v);
      follow(v, true);
    }
    v.placed = true;
    return true;
  }
  function zoomAt(f, x, y) {
    var s = Math.max(0.02, Math.min(20, view.s * f));
    view.tx = x - (x - view.tx) * s / view.s; view.ty = y - (y - view.ty) * s / view.s; view.s = s;
    apply(view);
  }
  function zoom(f) { var p = paneSize(); zoomAt(f, p.w / 2, p.h / 2); }
  function clamp(v) {  // a graph bigger than the pane covers it (no empty half); a smaller one stays inside
    var p = paneSize(), w = v.w * v.s, h = v.h * v.s, m = 12;
    v.tx = w > p.w ? Math.min(m, Math.max(p.w - w - m, v.tx)) : Math.max(0, Math.min(p.w - w, v.tx));
    v.ty = h > p.h ? Math.min(m, Math.max(p.h - h - m, v.ty)) : Math.max(0, Math.min(p.h - h, v.ty));
  }
  function center(v, g) {  // pan so that element g is in the middle of the pane
    var pr = pane.getBoundingClientRect(), r = g.getBoundingClientRect();
    v.tx += pr.left + pr.width / 2 - (r.left + r.width / 2);
    v.ty += pr.top + pr.height / 2 - (r.top + r.height / 2);
    clamp(v);
    apply(v);
  }
  function focusId() {
    if (step > 0) return vis(D.steps[step - 1].op);
    return D.roots.length ? vis(D.roots[0]) : null;
  }
  function follow(v, force) {  // keep the node of the current step in view
    var id = focusId(), g = id && v.nodes[id];
    if (!g) return;
    var pr = pane.getBoundingClientRect(), r = g.getBoundingClientRect(), m = 30;
    if (force || r.left < pr.left + m || r.right > pr.right - m || r.top < pr.top + m || r.bottom > pr.bottom - m)
      center(v, g);
  }
  function setView(name, focus) {
    if (!views[name] || views[name] === view) return;
    view.el.hidden = true;
    view = views[name];
    view.el.hidden = false;
    if (!view.placed) initial(view);
    var b = q('.agv-expand');
    if (b) b.textContent = name === 'collapsed' ? 'expand composites' : 'collapse composites';
    show(step);
    var g = focus && (view.nodes[focus] || view.clusters[focus]);
    if (g) center(view, g);
  }
  function clickNode(id) {
    if (D.composites[id] && view.name === 'collapsed') {  // a composite box: draw its ops
      setView('expanded', D.composites[id].cluster);
    }
    select(id);
  }
  function show(k) {
    step = Math.max(0, Math.min(N, k));
    q('.agv-slider').value = step;
    var nodes = view.nodes;
    Object.keys(nodes).forEach(function (id) {
      nodes[id].classList.remove('agv-visited', 'agv-current', 'agv-filled', 'agv-written');
    });
    D.steps.slice(0, Math.max(0, step - 1)).forEach(function (s) {
      var g = nodes[vis(s.op)]; if (g) g.classList.add('agv-visited'); });
    var table = D.tables[step];
    Object.keys(table).forEach(function (id) { var g = nodes[id]; if (g) g.classList.add('agv-filled'); });
    var txt;
    if (step === 0) {
      txt = 'step 0 of ' + N + ': the grad table holds only the seed d(output)/d(output) = 1';
    } else {
      var s = D.steps[step - 1], at = vis(s.op);
      if (nodes[at]) { nodes[at].classList.remove('agv-visited'); nodes[at].classList.add('agv-current'); }
      s.targets.forEach(function (id) { var g = nodes[id]; if (g) g.classList.add('agv-written'); });
      txt = 'step ' + step + ' of ' + N + ': ' + s.label + (at !== s.op ? ' (inside ' + D.nodes[at].name + ')' : '')
        + (s.rule ? '  |  ' + s.rule : '');
    }
    q('.agv-step-label').textContent = txt;
    q('.agv-table').innerHTML = Object.keys(table).map(function (id) {
      return esc((D.nodes[id] || {}).name || id) + ' [' + esc(id) + ']: ' + esc(table[id]); }).join('<br>');
    if (view.placed) follow(view, false);
    if (selected) select(selected);
  }
  function select(id) {
    Object.keys(views).forEach(function (name) {
      var v = views[name], old = selected && v.nodes[selected];
      if (old) old.classList.remove('agv-selected');
      var g = v.nodes[id]; if (g) g.classList.add('agv-selected');
    });
    selected = id;
    var n = D.nodes[id] || {};
    var h = '<b>' + esc(n.name || id) + '</b> <small>(' + esc(id) + ', ' + esc(n.kind || '') + ')</small><br>';
    if (n.kind === 'op') {
      h += 'backward rule: <code>' + esc(n.rule || '') + '</code>';
      var box = D.boxOf[id];
      if (box) h += '<br>inside the composite ' + esc(D.nodes[box].name) + ' [' + esc(box) + ']';
    } else if (n.kind === 'composite') {
      h += esc(n.rule) + '<br>ops: ' + n.members.map(esc).join(', ');
      h += '<br><small>expand composites to see them, collapse to see one box</small>';
    } else {
      h += 'shape [' + (n.shape || []).join(', ') + '] ' + esc(n.dtype || '') + '<br>';
      h += 'value: <pre>' + esc(n.data || '(not recorded)') + '</pre>';
      h += 'gradient (final): <pre>' + esc(n.grad || '(none)') + '</pre>';
      var now = D.tables[step][id];
      h += 'grad table at step ' + step + ': <pre>' + esc(now === undefined ? '(empty)' : now) + '</pre>';
      h += 'contributions summed into it:<ul>' + (n.contributions || []).map(function (c) {
        return '<li>step ' + c.step + ': ' + esc(c.op) + ', input ' + c.input + ' (' + esc(c.rule) + '): '
          + esc(c.value) + '</li>'; }).join('') + '</ul>';
    }
    q('.agv-details').innerHTML = h;
  }
  // ---- pan (drag) and zoom (wheel); a drag is not a click
  var drag = null, moved = false;
  pane.addEventListener('pointerdown', function (e) {
    if (e.button !== 0) return;
    drag = {x: e.clientX, y: e.clientY, tx: view.tx, ty: view.ty}; moved = false;
  });
  function onMove(e) {
    if (!root.isConnected) { window.removeEventListener('pointermove', onMove);
      window.removeEventListener('pointerup', onUp); return; }
    if (!drag) return;
    var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (!moved && Math.abs(dx) + Math.abs(dy) > 4) { moved = true; pane.classList.add('agv-dragging'); }
    if (moved) { view.tx = drag.tx + dx; view.ty = drag.ty + dy; apply(view); }
  }
  function onUp() { drag = null; pane.classList.remove('agv-dragging'); }
  window.addEventListener('pointermove', onMove);
  window.addEventListener('pointerup', onUp);
  // in a notebook the wheel scrolls the notebook until the widget is clicked (or with ctrl held)
  var embedded = !root.classList.contains('agv-standalone');
  pane.addEventListener('wheel', function (e) {
    if (embedded && !e.ctrlKey && !root.contains(document.activeElement)) return;
    e.preventDefault();
    var r = pane.getBoundingClientRect(), d = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
    zoomAt(Math.exp(-d * 0.0015), e.clientX - r.left, e.clientY - r.top);
  }, {passive: false});
  // ---- controls (scoped to this widget; keys only while it has the focus)
  function on(sel, f) { var b = q(sel); if (b) b.addEventListener('click', function () { f(); }); }
  on('.agv-fit', function () { fit(); });
  on('.agv-fit-width', function () { fitWidth(); });
  on('.agv-zoom-in', function () { zoom(1.25); });
  on('.agv-zoom-out', function () { zoom(0.8); });
  on('.agv-expand', function () { setView(view.name === 'collapsed' ? 'expanded' : 'collapsed', focusId()); });
  on('.agv-first', function () { show(0); });
  on('.agv-prev', function () { show(step - 1); });
  on('.agv-next', function () { show(step + 1); });
  on('.agv-last', function () { show(N); });
  var slider = q('.agv-slider');
  slider.max = N;
  slider.addEventListener('input', function () { show(parseInt(slider.value, 10)); });
  root.addEventListener('keydown', function (e) {
    if (e.target && e.target.tagName === 'INPUT') return;
    var k = e.key, done = true;
    if (k === 'ArrowRight') show(step + 1); else if (k === 'ArrowLeft') show(step - 1);
    else if (k === 'Home') show(0); else if (k === 'End') show(N);
    else if (k === 'f') fit(); else if (k === '+' || k === '=') zoom(1.25); else if (k === '-') zoom(0.8);
    else done = false;
    if (done) e.preventDefault();
  });
  if (window.ResizeObserver) {
    new ResizeObserver(function () { if (!view.placed) { if (initial(view)) show(step); } else apply(view); })
      .observe(pane);
  }
  root.agv = {show: show, select: select, fit: fit, fitWidth: fitWidth, zoom: zoom, setView: setView,
              state: function () { return {step: step, view: view.name, scale: view.s}; }};
  show(0);
  if (initial(view)) show(0);
})(UID);
"""


def _inline_svg(svg: str, uid: str, name: str, hidden: bool) -> str:
    """dot's SVG made embeddable: no XML prolog, ids prefixed with the widget's id, sized by the page."""
    svg = svg[svg.find("<svg"):]
    svg = re.sub(r'\bid="', f'id="{uid}-{name}-', svg)
    svg = re.sub(r"<svg\b[^>]*?>", lambda m: re.sub(r'\s(width|height)="[^"]*"', "", m.group(0)), svg, count=1)
    return (f'<div class="agv-view" data-view="{name}"{" hidden" if hidden else ""}>'
            + svg.replace("<svg", '<svg preserveAspectRatio="xMinYMin meet"', 1) + "</div>")


LEGEND = [("#f4a582", "output"), ("#92c5de", "parameter"), ("#d1e5f0", "input"), ("#e0e0e0", "op"),
          ("#e7d4e8", "composite"), ("#b8e186", "done"), ("#4dac26", "this step")]


def page(title: str, views: list[tuple[str, str]], data_json: str, standalone: bool = True,
         height: int = 640) -> str:
    """The widget: ``views`` are (name, SVG) pairs ('collapsed' and/or 'expanded'), the first one shown."""
    uid = "agv-" + uuid.uuid4().hex[:12]
    data_json = data_json.replace("</", "<\\/")  # cannot close the <script> early
    svgs = "".join(_inline_svg(svg, uid, name, k > 0) for k, (name, svg) in enumerate(views))
    expand = '<button class="agv-expand">expand composites</button>' if len(views) > 1 else ""
    legend = "".join(f'<span style="background:{c}">{t}</span>' for c, t in LEGEND)
    style = "" if standalone else f' style="height:{int(height)}px"'
    hint = "wheel: zoom, drag: pan, click: details" if standalone else \
        "click, then wheel: zoom; drag: pan; click a node: details"
    widget = f"""<div class="agv{' agv-standalone' if standalone else ''}" id="{uid}" tabindex="0"{style}>
<style>{CSS}</style>
<div class="agv-main">
  <div class="agv-toolbar"><button class="agv-fit" title="show the whole graph (f)">fit</button><button
    class="agv-fit-width" title="as wide as the pane">fit width</button><button class="agv-zoom-in"
    title="zoom in (+)">+</button><button class="agv-zoom-out" title="zoom out (-)">&minus;</button>{expand}<span
    class="agv-hint">{hint}</span></div>
  <div class="agv-pane">{svgs}</div>
</div>
<div class="agv-side">
  <h3>{html.escape(title)}</h3>
  <div class="agv-controls">
    <button class="agv-first">|&lt;</button><button class="agv-prev">&lt; previous</button><button
    class="agv-next">next &gt;</button><button class="agv-last">&gt;|</button>
    <input class="agv-slider" type="range" min="0" value="0">
  </div>
  <div class="agv-step-label"></div>
  <div class="agv-legend">{legend}</div>
  <h4>grad table</h4><div class="agv-table"></div>
  <h4>selected node <small>(click one)</small></h4><div class="agv-details">-</div>
</div>
<script type="application/json" class="agv-data">{data_json}</script>
<script>{JS.replace("(UID)", f'("{uid}")')}</script>
</div>"""
    if not standalone:
        return widget
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>html, body {{ margin: 0; padding: 0; height: 100%; overflow: hidden; }}</style></head>
<body>{widget}
</body></html>
"""
