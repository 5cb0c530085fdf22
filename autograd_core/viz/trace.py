"""The grad table made visible: record each step of a backward pass (course seed 004, ``grad_table``).

``trace_backward(loss)`` runs ``loss.backward()`` with a ``BackwardObserver`` attached. It records
the visit order, each node's complete incoming gradient, every contribution it adds to the table
(which op, which input, the local rule from the op's docstring, the numbers) and the final leaf
gradients. From that: ``explain(t)`` (the chain-rule sum behind t's gradient), ``frames()`` (one
drawing per step), ``save_frames``/``to_gif`` and ``to_html`` (one self-contained page).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._engine import BackwardObserver, observe
from .._function import Function
from .._tensor import Tensor
from ._dot import GraphvizError, to_digraph
from ._model import GraphModel, build, summary

MAX_PAGE_STEPS = 5000


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

    def __init__(self, params: Any = None, max_nodes: int = 300, collapse: tuple[str, ...] = ()) -> None:
        self.params, self.max_nodes, self.collapse = params, max_nodes, tuple(collapse)
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
    def frame(self, k: int, show_data: bool = True, rankdir: str = "LR") -> Any:
        """The drawing at step k (1..len(steps)): ops done so far, the current op, the table so far."""
        if not 1 <= k <= len(self.steps):
            raise IndexError(f"frame: step {k} is out of range 1..{len(self.steps)}")
        state = {"visited": {s.op for s in self.steps[: k - 1]}, "current": self.steps[k - 1].op,
                 "grads": self.table_after(k)}
        s = self.steps[k - 1]
        return to_digraph(self.model, show_data=show_data, rankdir=rankdir, state=state,
                          title=f"backward step {k}/{len(self.steps)}: {s.label}   {s.rule}")

    def frames(self, **kwargs: Any) -> list[Any]:
        """One drawing per backward step."""
        return [self.frame(k, **kwargs) for k in range(1, len(self.steps) + 1)]

    def save_frames(self, directory: str | Path, fmt: str = "svg") -> list[Path]:
        """Render every frame to directory/step_001.<fmt>, ... (needs Graphviz's dot)."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for k, d in enumerate(self.frames(), 1):
            p = out / f"step_{k:03d}.{fmt}"
            p.write_bytes(d.pipe(format=fmt))
            paths.append(p)
        return paths

    def to_gif(self, path: str | Path, seconds_per_step: float = 0.8) -> Path:
        """An animated GIF of the frames (dot renders PNGs; Pillow, which matplotlib brings, assembles them)."""
        import io

        try:
            from PIL import Image
        except ImportError:
            raise GraphvizError("to_gif needs Pillow (pip install pillow; matplotlib installs it)") from None
        images = [Image.open(io.BytesIO(d.pipe(format="png"))).convert("RGB") for d in self.frames()]
        w = max(i.width for i in images)
        h = max(i.height for i in images)
        canvas = []
        for im in images:  # frames differ in size as labels fill in: pad onto one canvas
            c = Image.new("RGB", (w, h), "white")
            c.paste(im, (0, 0))
            canvas.append(c)
        path = Path(path)
        canvas[0].save(path, save_all=True, append_images=canvas[1:], duration=int(seconds_per_step * 1000), loop=0)
        return path

    def page_data(self) -> dict:
        """What the HTML page shows, as JSON-ready data."""
        m = self.model
        if len(self.steps) > MAX_PAGE_STEPS:
            raise ValueError(f"to_html: {len(self.steps):,} backward steps are too many for one page (at most "
                             f"{MAX_PAGE_STEPS:,}); trace a smaller graph, or a batch of one, or collapse modules")
        nodes = {}
        final_table = self.table_after(len(self.steps))
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
        steps = [{"k": s.k, "op": s.op, "label": s.label, "rule": s.rule,
                  "incoming": [summary(g) for g in s.incoming],
                  "targets": [c.target for c in s.contributions if c.target is not None]} for s in self.steps]
        tables, running = [], {tid: g.copy() for tid, g in self.seeds.items()}
        tables.append({tid: summary(g) for tid, g in running.items()})
        for s in self.steps:  # one pass (table_after(k) for every k would be quadratic)
            for c in s.contributions:
                if c.target is not None:
                    running[c.target] = running[c.target] + c.grad if c.target in running else c.grad
            tables.append({**tables[-1], **{c.target: summary(running[c.target]) for c in s.contributions
                                           if c.target is not None}})
        return {"nodes": nodes, "steps": steps, "tables": tables, "folded": m.folded}

    def to_html(self, path: str | Path, title: str = "Backpropagation, step by step") -> Path:
        """One self-contained HTML file (no network): the graph as SVG, a slider and next/previous buttons
        to step through backward, and a panel that shows a clicked node's value, gradient and contributions."""
        from ._html import page

        path = Path(path)
        path.write_text(page(title, self._svg(), json.dumps(self.page_data())), encoding="utf-8")
        return path

    def _svg(self) -> str:
        """The page's base drawing (the page itself shows values and the table in its side panel)."""
        return to_digraph(self.model, show_data=False, show_grad=False, legend=False).pipe(
            format="svg", encoding="utf-8")

    def _repr_html_(self) -> str:
        from ._html import page

        return page("Backpropagation, step by step", self._svg(), json.dumps(self.page_data()), standalone=False)


def trace_backward(loss: Tensor, gradient: Any = None, *, params: Any = None, retain_graph: bool | None = None,
                   max_nodes: int = 300, collapse: tuple[str, ...] = ()) -> BackwardTrace:
    """Run ``loss.backward(gradient)`` and return the record of every step (the grad table algorithm)."""
    if not isinstance(loss, Tensor):
        raise TypeError(f"trace_backward: expected a Tensor, got {type(loss).__name__}")
    tr = BackwardTrace(params, max_nodes, collapse)
    with observe(tr):
        loss.backward(gradient, retain_graph=retain_graph)
    if gradient is not None and tr.root_ids:
        tr.set_seed(tr.root_ids[0], np.asarray(gradient._data if isinstance(gradient, Tensor) else gradient))
    return tr
