"""The grad table made visible: record each step of a backward pass (course seed 004, ``grad_table``).

``trace_backward(loss)`` runs ``loss.backward()`` with a ``BackwardObserver`` attached. It records
the visit order, each node's complete incoming gradient, every contribution it adds to the table
(which op, which input, the local rule from the op's docstring, the numbers) and the final leaf
gradients. From that: ``explain(t)`` (the chain-rule sum behind t's gradient), ``frames()`` (one
drawing per step), ``save_frames``/``to_gif`` and ``to_html`` (one self-contained page; in Jupyter the
trace shows the same page inline, any number of times per notebook).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._engine import BackwardObserver, observe
from .._function import Function
from .._progress import progress
from .._tensor import Tensor
from ._dot import GraphvizError, to_digraph
from ._model import GraphModel, build, summary

MAX_PAGE_STEPS = 5000
RANKDIRS = ("TB", "LR", "BT", "RL")


def check_rankdir(rankdir: str, where: str) -> str:
    if rankdir not in RANKDIRS:
        raise ValueError(f"{where}: rankdir must be 'TB' (top to bottom), 'LR', 'BT' or 'RL', got {rankdir!r}")
    return rankdir


@dataclass
class Contribution:
    step: int
    op: str  # op node id
    op_label: str
    input_index: int
    target: str | None  # tensor node id (None if folded out of the drawing)
    grad: np.ndarray
    rule: str


@dataclass
class Step:
    k: int  # 1-based position in the backward pass
    op: str
    label: str
    rule: str
    incoming: list[np.ndarray]
    contributions: list[Contribution]


def _arr(g: Any) -> np.ndarray:
    return np.array(g._data if isinstance(g, Tensor) else g, copy=True)


def rule_for_input(rule: str, i: int, n_inputs: int) -> str:
    """The part of "ga = ...,  gb = ..." that gives input i, when the docstring lists one rule per input."""
    parts = [p.strip() for p in rule.split(",  ")]
    return parts[i] if len(parts) == n_inputs and n_inputs > 1 else rule


class BackwardTrace(BackwardObserver):
    """Everything one backward pass did, step by step (attach with ``ag.observe`` or use ``trace_backward``)."""

    def __init__(self, params: Any = None, max_nodes: int = 300, collapse: tuple[str, ...] = (),
                 rankdir: str = "TB") -> None:
        self.params, self.max_nodes, self.collapse = params, max_nodes, tuple(collapse)
        self.rankdir = check_rankdir(rankdir, "trace_backward")
        self.model: GraphModel | None = None
        self.steps: list[Step] = []
        self.leaf_grads: dict[str, np.ndarray] = {}
        self.root_ids: list[str] = []
        self.seeds: dict[str, np.ndarray] = {}

    # ------------------------------------------------------------------ observer
    def on_begin(self, order: list[Function], roots: list[Tensor]) -> None:
        # Built now, while every node still holds its inputs: backward frees them as it goes.
        self.model = build(list(roots), self.params, self.max_nodes, collapse=self.collapse)
        for t in self.model.tensors.values():  # copies: an optimiser step must not change the record
            if t.data is not None:
                t.data = np.array(t.data, copy=True)
            t.grad = None
        for r in roots:
            key = r if r.grad_fn is None else (r.grad_fn, r._out_idx)
            tid = self.model.key_of[key]
            self.root_ids.append(tid)
            self.seeds[tid] = np.ones(r.shape, dtype=r.dtype)

    def on_node(self, node: Function, grads: tuple) -> None:
        op = self.model.op_of.get(node) or self.model.group_of.get(node, "fold")
        label = self.model.ops[op].label if op in self.model.ops else type(node).__name__
        rule = self.model.ops[op].rule if op in self.model.ops else ""
        self.steps.append(Step(len(self.steps) + 1, op, label, rule, [_arr(g) for g in grads], []))

    def on_contribution(self, node: Function, input_index: int, target: Any, grad: Any) -> None:
        s = self.steps[-1]
        s.contributions.append(Contribution(s.k, s.op, s.label, input_index, self.model.key_of.get(target),
                                            _arr(grad), rule_for_input(s.rule, input_index, len(node.next_functions))))

    def on_leaf(self, tensor: Tensor, grad: Any) -> None:
        tid = self.model.key_of.get(tensor)
        if tid is not None:
            self.leaf_grads[tid] = _arr(grad)

    def set_seed(self, tid: str, g: np.ndarray) -> None:
        self.seeds[tid] = np.array(g, copy=True)

    # ------------------------------------------------------------------ the table
    def table_after(self, k: int) -> dict[str, np.ndarray]:
        """The grad table once steps 1..k have run: tensor id -> sum of the contributions so far."""
        table = {tid: g.copy() for tid, g in self.seeds.items()}
        for s in self.steps[:k]:
            for c in s.contributions:
                if c.target is not None:
                    table[c.target] = table[c.target] + c.grad if c.target in table else c.grad.copy()
        return table

    def tensor_id(self, t: Tensor) -> str:
        key = t if t.grad_fn is None else (t.grad_fn, t._out_idx)
        tid = self.model.key_of.get(key) if self.model else None
        if tid is None:
            raise KeyError("trace: this tensor is not part of the traced graph (or was folded out of it)")
        return tid

    def contributions(self, t: Tensor) -> list[Contribution]:
        """The terms summed into t's gradient, in the order backward added them."""
        tid = self.tensor_id(t)
        return [c for s in self.steps for c in s.contributions if c.target == tid]

    def explain(self, t: Tensor, precision: int = 4) -> str:
        """The chain-rule sum that produced t's gradient, with the numbers of each term."""
        tid = self.tensor_id(t)
        node = self.model.tensors[tid]
        name = node.name or f"tensor {tid}"
        root = self.model.tensors[self.root_ids[0]].name or "loss"
        terms = self.contributions(t)
        shape = "x".join(map(str, node.shape or ())) or "scalar"
        lines = [f"d{root}/d{name}  ({shape}) is the sum of {len(terms)} "
                 f"contribution{'s' if len(terms) != 1 else ''} in the grad table:"]
        if tid in self.seeds:
            lines.append(f"  seed: d{root}/d{root} = {summary(self.seeds[tid], precision)}")
        total = self.seeds.get(tid)
        for c in terms:
            lines.append(f"  step {c.step}: {c.op_label} -> its input {c.input_index}, rule {c.rule or '(see op)'}: "
                         f"{summary(c.grad, precision)}")
            total = c.grad if total is None else total + c.grad
        if total is None:
            lines.append("  (no contribution: the output does not depend on it)")
        else:
            lines.append(f"  total = {summary(total, precision)}")
            final = self.leaf_grads.get(tid)
            if final is not None and len(terms) and not np.allclose(final, total):
                lines.append(f"  after tensor hooks: {summary(final, precision)}")
        return "\n".join(lines)

    # ------------------------------------------------------------------ drawings
    def _state(self, k: int) -> dict:
        return {"visited": {s.op for s in self.steps[: k - 1]}, "current": self.steps[k - 1].op,
                "grads": self.table_after(k)}

    def frame(self, k: int, show_data: bool = True, rankdir: str | None = None, expand: bool = False) -> Any:
        """The drawing at step k (1..len(steps)): ops done so far, the current op, the table so far.
        Composite ops are one box (the current one while any of its ops runs) unless ``expand``."""
        if not 1 <= k <= len(self.steps):
            raise IndexError(f"frame: step {k} is out of range 1..{len(self.steps)}")
        rankdir = check_rankdir(rankdir or self.rankdir, "frame")
        s = self.steps[k - 1]
        return to_digraph(self.model, show_data=show_data, rankdir=rankdir, state=self._state(k),
                          title=f"backward step {k}/{len(self.steps)}: {s.label}   {s.rule}",
                          collapsed=() if expand else None)

    def frames(self, **kwargs: Any) -> list[Any]:
        """One drawing per backward step (keywords as ``frame``)."""
        return [self.frame(k, **kwargs) for k in range(1, len(self.steps) + 1)]

    def save_frames(self, directory: str | Path, fmt: str = "svg", **kwargs: Any) -> list[Path]:
        """Render every frame to directory/step_001.<fmt>, ... (needs Graphviz's dot; keywords as ``frame``)."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for k, d in enumerate(self.frames(**kwargs), 1):
            p = out / f"step_{k:03d}.{fmt}"
            p.write_bytes(d.pipe(format=fmt))
            paths.append(p)
        return paths

    def _drawing(self, rankdir: str, expand: bool = False) -> Any:
        """The layout the page and the GIF share: names, shapes and node ids, no values (those change per
        step and are shown next to it), ranks packed."""
        return to_digraph(self.model, show_data=False, show_grad=False, legend=False, rankdir=rankdir,
                          collapsed=() if expand else None, show_ids=True, compact=True)

    def to_gif(self, path: str | Path, seconds_per_step: float = 0.8, rankdir: str | None = None,
               max_width: int = 2000, expand: bool = False) -> Path:
        """An animated GIF, one frame per backward step: the graph is laid out and rendered once (Graphviz),
        then each frame marks the ops done, the current op and the grad-table entries so far on it, under
        a caption with the step, its rule and what it wrote (Pillow, which matplotlib brings). At most
        ``max_width`` pixels wide."""
        from PIL import Image

        images, _ = self._gif_frames(rankdir, max_width, expand)
        path = Path(path)
        pal = [im.quantize(colors=128, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE) for im in images]
        pal[0].save(path, save_all=True, append_images=pal[1:], duration=int(seconds_per_step * 1000), loop=0)
        return path

    def _gif_frames(self, rankdir: str | None = None, max_width: int = 2000,
                    expand: bool = False) -> tuple[list[Any], dict[str, tuple[float, ...]]]:
        """The GIF's frames (RGB images) and where each drawn node is on them (left, top, right, bottom)."""
        try:
            from PIL import Image, ImageDraw
        except ImportError:
            raise GraphvizError("to_gif needs Pillow (pip install pillow; matplotlib installs it)") from None
        if not self.steps:
            raise ValueError("to_gif: the trace has no backward steps to draw")
        rankdir = check_rankdir(rankdir or self.rankdir, "to_gif")
        d = self._drawing(rankdir, expand)
        boxes = _layout(d.pipe(format="json0", encoding="utf-8"))
        bb = boxes.pop("")
        width_pt = bb[2] + 8  # dot pads the picture by 4 points each side
        dpi = max(8.0, min(96.0, (max_width - 2) * 72.0 / width_pt))
        d.attr(dpi=f"{dpi:.2f}")
        base = Image.open(io.BytesIO(d.pipe(format="png"))).convert("RGB")
        if base.width > max_width:  # rounding in dot: never wider than promised
            base = base.resize((max_width, max(1, base.height * max_width // base.width)))
        sx, sy = base.width / width_pt, base.height / (bb[3] + 8)
        px = {nid: ((x - w / 2 + 4) * sx, (bb[3] - y - h / 2 + 4) * sy, (x + w / 2 + 4) * sx,
                    (bb[3] - y + h / 2 + 4) * sy) for nid, (x, y, w, h) in boxes.items()}
        collapsed = () if expand else {c.id for c in self.model.composites()}
        hidden = self.model.hidden(collapsed)
        font, line = _font(max(12, min(18, base.width // 60)))
        caption_h = 4 * line + 10
        width = min(max_width, max(base.width, 480))
        tables = self._running_tables()
        names = {t.id: t.name or t.id for t in self.model.tensors.values()}
        images = []
        steps = progress(enumerate(self.steps, 1), total=len(self.steps), desc="to_gif", unit="frame")
        for k, s in steps:
            visited = {hidden.get(x.op, x.op) for x in self.steps[: k - 1]}
            current = hidden.get(s.op, s.op)
            layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
            draw = ImageDraw.Draw(layer)
            for nid in visited - {current}:
                if nid in px:
                    _mark(draw, px[nid], nid, fill=(120, 200, 60, 90), outline=(77, 172, 38, 255), width=2)
            for tid in tables[k]:
                if tid in px and tid not in hidden:
                    _mark(draw, px[tid], tid, outline=(26, 152, 80, 255), width=3)
            for c in s.contributions:
                if c.target in px:
                    _mark(draw, px[c.target], c.target, outline=(230, 97, 1, 255), width=4)
            if current in px:
                _mark(draw, px[current], current, fill=(77, 172, 38, 120), outline=(0, 104, 55, 255), width=5)
            graph = Image.alpha_composite(base.convert("RGBA"), layer).convert("RGB")
            im = Image.new("RGB", (width, caption_h + graph.height), "white")
            im.paste(graph, ((width - graph.width) // 2, caption_h))
            cap = ImageDraw.Draw(im)
            where = f" (inside {self.model.composite_of_box(current).label})" if current != s.op else ""
            lines = [f"backward step {k}/{len(self.steps)}: {s.label}{where}", f"rule: {s.rule or '(see the op)'}"]
            writes = [f"{names.get(c.target, c.target)} [{c.target}] += {summary(c.grad, 3)}"
                      for c in s.contributions if c.target is not None]
            lines.append("grad table: " + ("; ".join(writes) if writes else "(nothing written)"))
            for i, text in enumerate(lines):
                cap.text((8, 5 + i * line), _fit(cap, text, font, width - 16), fill=(0, 0, 0), font=font)
            cap.line([(0, caption_h - 3), (width, caption_h - 3)], fill=(180, 180, 180), width=1)
            images.append(im)
        dx = (width - base.width) // 2
        return images, {k: (x0 + dx, y0 + caption_h, x1 + dx, y1 + caption_h) for k, (x0, y0, x1, y1) in px.items()}

    def _running_tables(self) -> list[dict[str, np.ndarray]]:
        """tables[k]: the grad table once steps 1..k have run (k = 0: the seeds), in one pass."""
        running = {tid: g.copy() for tid, g in self.seeds.items()}
        out = [dict(running)]
        for s in self.steps:
            for c in s.contributions:
                if c.target is not None:
                    running[c.target] = running[c.target] + c.grad if c.target in running else c.grad
            out.append(dict(running))
        return out

    def page_data(self, expand: bool = False) -> dict:
        """What the HTML page shows, as JSON-ready data."""
        m = self.model
        if len(self.steps) > MAX_PAGE_STEPS:
            raise ValueError(f"to_html: {len(self.steps):,} backward steps are too many for one page (at most "
                             f"{MAX_PAGE_STEPS:,}); trace a smaller graph, or a batch of one, or collapse modules")
        nodes = {}
        running = self._running_tables()
        final_table = running[-1]
        for t in m.tensors.values():
            final = self.leaf_grads.get(t.id)
            if final is None:
                final = final_table.get(t.id)
            nodes[t.id] = {"kind": t.kind, "name": t.name or "(intermediate)", "shape": list(t.shape or ()),
                           "dtype": t.dtype, "data": summary(t.data), "grad": summary(final),
                           "contributions": [{"step": c.step, "op": c.op_label, "input": c.input_index,
                                              "rule": c.rule, "value": summary(c.grad)}
                                             for s in self.steps for c in s.contributions if c.target == t.id]}
        for op in m.ops.values():
            nodes[op.id] = {"kind": "op", "name": op.label, "rule": op.rule}
        hidden = m.hidden({c.id for c in m.composites()})
        composites = {}
        for c in m.composites():
            inside = [o for o in m.ops if hidden.get(o) == c.box or m.within(m.ops[o].cluster, c.id)]
            composites[c.box] = {"cluster": c.id, "label": c.label, "members": inside}
            nodes[c.box] = {"kind": "composite", "name": c.label, "rule": "a composite of " + ", ".join(
                m.ops[o].label for o in inside), "members": inside}
        steps = [{"k": s.k, "op": s.op, "label": s.label, "rule": s.rule,
                  "incoming": [summary(g) for g in s.incoming],
                  "targets": [c.target for c in s.contributions if c.target is not None]} for s in self.steps]
        tables = [{tid: summary(g) for tid, g in running[0].items()}]
        for k, s in enumerate(self.steps, 1):  # only the entries a step wrote change
            tables.append({**tables[-1], **{c.target: summary(running[k][c.target]) for c in s.contributions
                                           if c.target is not None}})
        return {"nodes": nodes, "steps": steps, "tables": tables, "folded": m.folded, "roots": list(m.roots),
                "composites": composites, "boxOf": hidden, "view": "expanded" if expand or not composites
                else "collapsed"}

    def to_html(self, path: str | Path, title: str = "Backpropagation, step by step", rankdir: str | None = None,
                expand: bool = False) -> Path:
        """One self-contained HTML file (no network): the graph as SVG, fitted to the window, with zoom (wheel,
        buttons) and pan (drag); a slider and next/previous buttons (or the arrow keys) to step through
        backward; a panel that shows a clicked node's value, gradient and contributions. Composite ops are
        one box; a click on it (or the 'expand' button) draws their ops; ``expand=True`` starts that way."""
        path = Path(path)
        path.write_text(self._page(title, rankdir, expand, standalone=True), encoding="utf-8")
        return path

    def _page(self, title: str, rankdir: str | None, expand: bool, standalone: bool, height: int = 640) -> str:
        from ._html import page

        rankdir = check_rankdir(rankdir or self.rankdir, "to_html")
        data = self.page_data(expand)
        views = [("expanded", self._svg(rankdir, True))]
        if data["composites"]:
            views.insert(0, ("collapsed", self._svg(rankdir, False)))
        return page(title, views, json.dumps(data), standalone=standalone, height=height)

    def _svg(self, rankdir: str | None = None, expand: bool = False) -> str:
        """The page's base drawing (the page itself shows values and the table in its side panel)."""
        return self._drawing(rankdir or self.rankdir, expand).pipe(format="svg", encoding="utf-8")

    def _repr_html_(self) -> str:
        return self._page("Backpropagation, step by step", None, False, standalone=False)


def _layout(json0: str) -> dict[str, tuple[float, ...]]:
    """Node id -> (x, y, width, height) in points from dot's json0 output; '' -> the graph's bounding box."""
    doc = json.loads(json0)
    out: dict[str, tuple[float, ...]] = {"": tuple(float(v) for v in doc["bb"].split(","))}
    for o in doc.get("objects", []):
        if "pos" in o and "width" in o:
            x, y = (float(v) for v in o["pos"].split(",")[:2])
            out[o["name"]] = (x, y, float(o["width"]) * 72, float(o["height"]) * 72)
    return out


def _mark(draw: Any, box: tuple, nid: str, fill: Any = None, outline: Any = None, width: int = 2) -> None:
    """Highlight one node of the rendered graph: ellipses for ops, rectangles for tensors and boxes."""
    if nid.startswith("op"):
        draw.ellipse(box, fill=fill, outline=outline, width=width)
    else:
        draw.rectangle(box, fill=fill, outline=outline, width=width)


def _font(size: int) -> tuple[Any, int]:
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size), size + 5
    except TypeError:  # Pillow < 10.1: one bitmap size only
        return ImageFont.load_default(), 15


def _fit(draw: Any, text: str, font: Any, width: int) -> str:
    """text, cut with an ellipsis to fit in width pixels."""
    if draw.textlength(text, font=font) <= width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if draw.textlength(text[:mid] + "...", font=font) <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo] + "..."


def trace_backward(loss: Tensor, gradient: Any = None, *, params: Any = None, retain_graph: bool | None = None,
                   max_nodes: int = 300, collapse: tuple[str, ...] = (), rankdir: str = "TB") -> BackwardTrace:
    """Run ``loss.backward(gradient)`` and return the record of every step (the grad table algorithm).
    ``rankdir`` is the default direction of the trace's drawings and page ('TB': top to bottom)."""
    if not isinstance(loss, Tensor):
        raise TypeError(f"trace_backward: expected a Tensor, got {type(loss).__name__}")
    tr = BackwardTrace(params, max_nodes, collapse, rankdir)
    with observe(tr):
        loss.backward(gradient, retain_graph=retain_graph)
    if gradient is not None and tr.root_ids:
        tr.set_seed(tr.root_ids[0], np.asarray(gradient._data if isinstance(gradient, Tensor) else gradient))
    return tr
