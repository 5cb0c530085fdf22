"""The self-contained backprop page: inline SVG + JSON + a little JavaScript, no network."""

from __future__ import annotations

import html

CSS = """
body { font-family: Helvetica, Arial, sans-serif; margin: 0; display: flex; height: 100vh; }
#graph { flex: 3; overflow: auto; border-right: 1px solid #ccc; padding: 8px; }
#graph svg { max-width: 100%; height: auto; }
#side { flex: 1; min-width: 320px; padding: 12px; overflow: auto; font-size: 14px; }
#controls { margin-bottom: 10px; }
#controls button { font-size: 14px; margin-right: 4px; }
#slider { width: 100%; }
pre { white-space: pre-wrap; background: #f6f6f6; padding: 6px; font-size: 12px; }
.node { cursor: pointer; }
.node.visited ellipse { fill: #b8e186; }
.node.current ellipse { fill: #4dac26; }
.node.filled polygon { stroke: #1a9850; stroke-width: 3px; }
.node.selected polygon, .node.selected ellipse { stroke: #d6604d; stroke-width: 4px; }
"""

JS = """
const DATA = JSON.parse(document.getElementById('trace-data').textContent);
const N = DATA.steps.length;
const byTitle = {};
document.querySelectorAll('#graph g.node').forEach(g => {
  const t = g.querySelector('title');
  if (t) { byTitle[t.textContent] = g; g.addEventListener('click', () => select(t.textContent)); }
});
let step = 0, selected = null;
const slider = document.getElementById('slider');
slider.max = N;
function esc(s) { return String(s).replace(/[&<>]/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;'}[c])); }
function show(k) {
  step = Math.max(0, Math.min(N, k));
  slider.value = step;
  Object.values(byTitle).forEach(g => g.classList.remove('visited', 'current', 'filled'));
  DATA.steps.slice(0, Math.max(0, step - 1)).forEach(s => byTitle[s.op] && byTitle[s.op].classList.add('visited'));
  const table = DATA.tables[step];
  Object.keys(table).forEach(id => byTitle[id] && byTitle[id].classList.add('filled'));
  let txt;
  if (step === 0) {
    txt = 'step 0 of ' + N + ': the grad table holds only the seed d(output)/d(output) = 1';
  } else {
    const s = DATA.steps[step - 1];
    if (byTitle[s.op]) byTitle[s.op].classList.add('current');
    txt = 'step ' + step + ' of ' + N + ': ' + s.label + (s.rule ? '  |  ' + s.rule : '');
  }
  document.getElementById('step-label').textContent = txt;
  const rows = Object.keys(table).map(
    id => esc((DATA.nodes[id] || {}).name || id) + ' [' + id + ']: ' + esc(table[id]));
  document.getElementById('table').innerHTML = rows.join('<br>');
  if (selected) select(selected);
}
function select(id) {
  if (selected && byTitle[selected]) byTitle[selected].classList.remove('selected');
  selected = id;
  if (byTitle[id]) byTitle[id].classList.add('selected');
  const n = DATA.nodes[id] || {};
  let h = '<b>' + esc(n.name || id) + '</b> <small>(' + esc(id) + ', ' + esc(n.kind || '') + ')</small><br>';
  if (n.kind === 'op') {
    h += 'backward rule: <code>' + esc(n.rule || '') + '</code>';
  } else {
    h += 'shape [' + (n.shape || []).join(', ') + '] ' + esc(n.dtype || '') + '<br>';
    h += 'value: <pre>' + esc(n.data || '(not recorded)') + '</pre>';
    h += 'gradient (final): <pre>' + esc(n.grad || '(none)') + '</pre>';
    const now = DATA.tables[step][id];
    h += 'grad table at step ' + step + ': <pre>' + esc(now === undefined ? '(empty)' : now) + '</pre>';
    h += 'contributions summed into it:<ul>' + (n.contributions || []).map(c =>
      '<li>step ' + c.step + ': ' + esc(c.op) + ', input ' + c.input + ' (' + esc(c.rule) + '): ' + esc(c.value)
      + '</li>').join('') + '</ul>';
  }
  document.getElementById('details').innerHTML = h;
}
document.getElementById('prev').onclick = () => show(step - 1);
document.getElementById('next').onclick = () => show(step + 1);
document.getElementById('first').onclick = () => show(0);
document.getElementById('last').onclick = () => show(N);
slider.oninput = () => show(parseInt(slider.value, 10));
document.addEventListener('keydown', e => {
  if (e.key === 'ArrowRight') show(step + 1);
  if (e.key === 'ArrowLeft') show(step - 1);
});
show(0);
"""


def page(title: str, svg: str, data_json: str, standalone: bool = True) -> str:
    # the SVG from dot starts with an XML prolog and DOCTYPE: keep only the <svg> element for inlining
    svg = svg[svg.find("<svg"):]
    data_json = data_json.replace("</", "<\\/")  # cannot close the <script> early
    body = f"""
<div id="graph">{svg}</div>
<div id="side">
  <h3>{html.escape(title)}</h3>
  <div id="controls">
    <button id="first">|&lt;</button><button id="prev">&lt; previous</button>
    <button id="next">next &gt;</button><button id="last">&gt;|</button>
    <input id="slider" type="range" min="0" value="0">
  </div>
  <div id="step-label"></div>
  <h4>grad table</h4><div id="table"></div>
  <h4>selected node <small>(click one)</small></h4><div id="details">-</div>
</div>
<script type="application/json" id="trace-data">{data_json}</script>
<script>{JS}</script>"""
    if not standalone:
        return f"<div style='display:flex;height:600px'><style>{CSS}</style>{body}</div>"
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title><style>{CSS}</style></head>
<body>{body}
</body></html>
"""
