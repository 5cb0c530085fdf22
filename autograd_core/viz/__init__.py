"""``ag.viz``: drawings of the graph and of the backward pass.

    import autograd_core as ag
    d = ag.viz.draw_graph(loss, params=model)     # a graphviz.Digraph: d.source is DOT, d.render() a file
    tr = ag.viz.trace_backward(loss, params=model)  # runs loss.backward() and records every step
    print(tr.explain(model.fc.weight))              # the chain-rule sum behind one gradient, with numbers
    tr.to_html("backprop.html")                     # one self-contained page: step through backprop
    tr                                              # in Jupyter: the same page, inline (any number of them)

Drawings run top to bottom (``rankdir="LR"`` for left to right, on every function). A tensor's own name
(``t.name = "z"``, or micrograd's ``t.label = "z"``) is shown; so are the names ``params`` gives. Functions
marked ``@ag.viz.composite("softmax")``, and module calls without parameters of their own that record
several ops (``nn.CrossEntropyLoss``), are drawn as one box (``expand=True``, or a click in the page, draws
their ops).

Building a drawing needs only the Python ``graphviz`` package; rendering needs Graphviz's ``dot``
(a missing one raises ``GraphvizError`` with install instructions).
"""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from ._composite import composite
from ._dot import GraphvizError, to_digraph
from ._model import build
from .trace import BackwardTrace, check_rankdir, trace_backward

__all__ = ["BackwardTrace", "GraphvizError", "composite", "draw_graph", "trace_backward"]


def _roots(root: Any) -> list[Tensor]:
    roots = list(root) if isinstance(root, (list, tuple)) else [root]
    for r in roots:
        if not isinstance(r, Tensor):
            raise TypeError(f"draw_graph: expected a Tensor (or a list of them), got {type(r).__name__}")
    return roots


def draw_graph(root: Any, *, params: Any = None, show_data: bool = True, show_grad: bool = True,
               show_saved: bool = False, rankdir: str = "TB", max_nodes: int = 300, group_modules: bool = True,
               collapse: tuple[str, ...] = (), legend: bool = True, expand: bool = False,
               show_ids: bool = False) -> Any:
    """The graph that produced ``root`` as a ``graphviz.Digraph``.

    params: an nn.Module (parameter names, and one cluster per submodule call), a dict name -> tensor (or
    Module), (name, tensor) pairs, or a list of Modules (``[model, criterion]``). Tensors show name (from
    params, else ``t.name``), shape, dtype and their values and gradient (a min/mean/max summary above 9
    elements); ops show their non-default arguments. show_saved marks the tensors each op saved for
    backward. ``collapse=("features",)`` draws each named submodule's ops as one box. Composite calls
    (``ag.viz.composite``, parameter-free modules such as a loss) are one box each; ``expand=True`` draws
    their ops inside a labelled cluster instead. ``show_ids`` writes node ids (``t3``, ``op2``). Past
    ``max_nodes`` ops the middle of the graph is folded into one node that says what it holds. Values of
    intermediate tensors are only known until backward frees the graph (draw before backward, pass
    ``retain_graph=True``, or use ``trace_backward``)."""
    check_rankdir(rankdir, "draw_graph")
    if max_nodes < 2:
        raise ValueError(f"draw_graph: max_nodes must be at least 2, got {max_nodes}")
    model = build(_roots(root), params, max_nodes, group_modules=group_modules, show_saved=show_saved,
                  collapse=tuple(collapse))
    return to_digraph(model, show_data=show_data, show_grad=show_grad, rankdir=rankdir, legend=legend,
                      title=model.folded, collapsed=() if expand else None, show_ids=show_ids)
