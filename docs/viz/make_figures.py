"""Regenerate the figures in docs/viz: python docs/viz/make_figures.py (needs Graphviz's dot).

lenet_graph.png: the graph of a LeNet-5 loss on 2 images (params and module clusters);
lenet_backprop.html: its step-through backprop page; lenet_step_05.png: one frame of the backward pass.
"""

from pathlib import Path

import autograd_core as ag
from autograd_core import nn

HERE = Path(__file__).resolve().parent


def lenet() -> nn.Module:
    """LeNet-5 (course seed 001/003): conv 6@5x5, pool, conv 16@5x5, pool, 120-84-10."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))


def main() -> None:
    ag.manual_seed(0)
    model = lenet()
    x = ag.randn(2, 1, 32, 32)
    y = ag.tensor([3, 7])
    loss = nn.CrossEntropyLoss()(model(x), y)
    drawing = ag.viz.draw_graph(loss, params=model, show_saved=True, rankdir="TB")
    drawing.attr(dpi="110")
    (HERE / "lenet_graph.png").write_bytes(drawing.pipe(format="png"))
    tr = ag.viz.trace_backward(loss, params=model)
    tr.to_html(HERE / "lenet_backprop.html")
    frame = tr.frame(5, rankdir="TB")
    frame.attr(dpi="80")
    (HERE / "lenet_step_05.png").write_bytes(frame.pipe(format="png"))
    print(tr.explain(model[0].bias))
    for name in ("lenet_graph.png", "lenet_backprop.html", "lenet_step_05.png"):
        print("wrote", HERE / name)


if __name__ == "__main__":
    main()
