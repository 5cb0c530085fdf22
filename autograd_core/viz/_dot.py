"""GraphModel -> graphviz.Digraph: record labels (escaped), colours by kind, module clusters, legend.

Only the Python ``graphviz`` package is needed to build the drawing (its DOT text is ``.source``);
the ``dot`` program is needed only to render it, and its absence raises one ``GraphvizError`` that
says how to install it and how to get the text instead.
"""

from __future__ import annotations

from typing import Any

from ._model import Cluster, GraphModel, TensorNode, summary

COLORS = {  # fill colour per tensor kind (and ops), shown in the legend
    "output": "#f4a582", "param": "#92c5de", "leaf": "#d1e5f0", "saved": "#fddbc7",
    "intermediate": "#f7f7f7", "op": "#e0e0e0", "visited": "#b8e186", "current": "#4dac26",
    "composite": "#e7d4e8",
}
LEGEND = [("output", "output / loss (the root)"), ("param", "parameter"), ("leaf", "input / leaf"),
          ("saved", "saved for backward"), ("intermediate", "intermediate"), ("op", "op")]

INSTALL_HINT = (
    "Rendering a drawing needs Graphviz's `dot` program, which was not found on PATH. Install it with "
    "`apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS) or `conda install graphviz`. "
    "Building the drawing does not need it: `drawing.source` is the DOT text (paste it into any Graphviz viewer, "
    "e.g. https://dreampuf.github.io/GraphvizOnline) and `drawing.save('graph.dot')` writes it to a file."
)


class GraphvizError(RuntimeError):
    """The ``dot`` executable is missing (or the Python ``graphviz`` package is)."""


def import_graphviz() -> Any:
    try:
        import graphviz
    except ImportError:
        raise GraphvizError("ag.viz needs the Python package `graphviz` (pip install graphviz, or the project's "
                            "`viz` extra: pip install 'autograd_core[viz]')") from None
    return graphviz


_DRAWING = None


def drawing_class() -> type:
    """A graphviz.Digraph whose rendering turns a missing ``dot`` into one clear GraphvizError."""
    global _DRAWING
    if _DRAWING is not None:
        return _DRAWING
    graphviz = import_graphviz()

    class Drawing(graphviz.Digraph):
        def pipe(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().pipe(*args, **kwargs)
            except graphviz.ExecutableNotFound:
                raise GraphvizError(INSTALL_HINT) from None

        def render(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().render(*args, **kwargs)
            except graphviz.ExecutableNotFound:
                raise GraphvizError(INSTALL_HINT) from None

        def _repr_image_svg_xml(self) -> str:  # Jupyter: graphviz's own inline SVG hook
            return self.pipe(format="svg", encoding="utf-8")

        def _repr_svg_(self) -> str:
            return self._repr_image_svg_xml()

    _DRAWING = Drawing
    return Drawing


def esc(s: str) -> str:
    """Escape record-label metacharacters so user text (names, values) cannot break the label."""
    out = s.replace("\\", "\\\\")
    for ch in '{}|<>"':
        out = out.replace(ch, "\\" + ch)
    return out


def tensor_label(t: TensorNode, show_data: bool, show_grad: bool, grad: Any = None, grad_title: str = "grad",
                 show_id: bool = False, short: bool = False) -> str:
    """The record label: name, shape, dtype, then data and gradient. ``show_id`` starts it with the node id;
    ``short`` leaves out the dtype when it is the default float32."""
    head = esc(t.name) if t.name else ""
    if show_id:
        head = f"{t.id} · {head}".strip()
    if t.shape is None:
        fields = [f"{head} (freed by backward: draw before it or pass retain_graph=True)".strip()]
    else:
        shape = "x".join(str(s) for s in t.shape) if t.shape else "scalar"
        dtype = "" if short and t.dtype == "float32" else t.dtype
        fields = [f"{head} {esc('[' + shape + ']')} {dtype}".strip()]
    if show_data and t.data is not None:
        fields.append("data " + esc(summary(t.data)))
    g = t.grad if grad is None else grad
    if show_grad and g is not None:
        fields.append(f"{grad_title} " + esc(summary(g)))
    return "{" + " | ".join(fields) + "}"


def composite_label(c: Cluster, show_id: bool = False) -> str:
    text = f"{c.label}  ({c.n_ops} ops)"
    return f"{c.box} · {text}" if show_id else text


def to_digraph(g: GraphModel, *, show_data: bool = True, show_grad: bool = True, rankdir: str = "TB",
               legend: bool = True, state: dict | None = None, title: str = "", collapsed: Any = None,
               show_ids: bool = False, compact: bool = False) -> Any:
    """``state`` (for backward frames): {'visited': set of op ids, 'current': op id, 'grads': {tensor id: array}}.
    ``collapsed``: the ids of the composite clusters drawn as one box (None: all of them; ``()``: none, each
    composite is then a labelled cluster around its ops). ``show_ids`` writes each node's id on it (the HTML
    page's panel names nodes by id); ``compact`` packs the ranks closer (the page and the GIF)."""
    if collapsed is None:
        collapsed = {c.id for c in g.composites()}
    hidden = g.hidden(collapsed)
    graph_attr = {"rankdir": rankdir, "fontname": "Helvetica", "label": esc(title) if title else "", "labelloc": "t"}
    node_attr = {"fontname": "Helvetica", "fontsize": "10"}
    if compact:
        graph_attr.update(ranksep="0.25", nodesep="0.2")
        node_attr.update(height="0.3", margin="0.06,0.03")
    dg = drawing_class()(name="autograd_core", graph_attr=graph_attr, node_attr=node_attr,
                         edge_attr={"arrowsize": "0.6"})
    visited = {hidden.get(o, o) for o in state["visited"]} if state else set()
    current = hidden.get(state.get("current"), state.get("current")) if state else None
    grads = state["grads"] if state else None
    members: dict[Any, list[tuple[str, dict]]] = {}

    for t in g.tensors.values():
        if t.id in hidden:
            continue
        grad = grads.get(t.id) if grads is not None else None
        attrs = {"shape": "record", "style": "filled", "fillcolor": COLORS[t.kind],
                 "label": tensor_label(t, show_data, show_grad if grads is None else False, show_id=show_ids,
                                       short=compact)}
        if grads is not None and grad is not None:
            attrs["label"] = tensor_label(t, show_data, True, grad, "grad table", show_id=show_ids, short=compact)
        members.setdefault(t.cluster, []).append((t.id, attrs))
    for op in g.ops.values():
        if op.id in hidden:
            continue
        fill = COLORS["current"] if op.id == current else COLORS["visited"] if op.id in visited else COLORS["op"]
        shape = "box" if op.name in ("Folded", "Collapsed") else "ellipse"
        label = f"{op.id} · {op.label}" if show_ids and op.name != "Folded" else op.label
        attrs = {"shape": shape, "style": "filled", "fillcolor": fill, "label": label}
        members.setdefault(op.cluster, []).append((op.id, attrs))
    boxes = set()
    for c in g.composites():
        if c.id in collapsed and g.box_of(c.parent, collapsed) is None:
            boxes.add(c.box)
            fill = COLORS["current"] if c.box == current else COLORS["visited"] if c.box in visited else \
                COLORS["composite"]
            members.setdefault(c.parent, []).append((c.box, {
                "shape": "box", "style": "rounded,filled,bold", "color": "#762a83", "fillcolor": fill,
                "label": composite_label(c, show_ids)}))

    def emit(graph: Any, cluster_id: Any) -> None:
        for nid, attrs in members.get(cluster_id, []):
            graph.node(nid, **attrs)
        for c in g.clusters.values():
            if c.parent == cluster_id and g.box_of(c.id, collapsed) is None and _has_members(c.id, g, members):
                with graph.subgraph(name=c.id) as sub:
                    if c.composite:  # expanded: a filled box around its ops, named as the function
                        sub.attr(label=esc(f"{c.box} · {c.label}" if show_ids else c.label), style="rounded,filled",
                                 color="#762a83", fillcolor="#f6f0f8", fontname="Helvetica")
                    else:
                        sub.attr(label=esc(c.label), style="rounded,dashed", color="#888888", fontname="Helvetica")
                    emit(sub, c.id)

    emit(dg, None)
    seen = set()
    for a, b, style in g.edges:
        a, b = hidden.get(a, a), hidden.get(b, b)
        if a == b or (a, b) in seen:
            continue
        seen.add((a, b))
        if style == "saved":
            dg.edge(a, b, color="#d6604d", penwidth="1.5")
        elif style == "saved_output":
            dg.edge(a, b, style="dashed", color="#d6604d", label="saved", fontsize="8", constraint="false")
        else:
            dg.edge(a, b)
    if legend:
        with dg.subgraph(name="cluster_legend") as lg:
            lg.attr(label="legend", style="rounded", color="#bbbbbb", fontname="Helvetica")
            for kind, text in LEGEND:
                lg.node(f"legend_{kind}", label=text, shape="ellipse" if kind == "op" else "box", style="filled",
                        fillcolor=COLORS[kind], fontsize="9")
            if boxes:
                lg.node("legend_composite", label="composite op (expand=True draws its ops)", shape="box",
                        style="rounded,filled,bold", color="#762a83", fillcolor=COLORS["composite"], fontsize="9")
            if state is not None:
                lg.node("legend_visited", label="backward: done", shape="ellipse", style="filled",
                        fillcolor=COLORS["visited"], fontsize="9")
                lg.node("legend_current", label="backward: this step", shape="ellipse", style="filled",
                        fillcolor=COLORS["current"], fontsize="9")
    return dg


def _has_members(cid: str, g: GraphModel, members: dict) -> bool:
    if members.get(cid):
        return True
    return any(c.parent == cid and _has_members(c.id, g, members) for c in g.clusters.values())
