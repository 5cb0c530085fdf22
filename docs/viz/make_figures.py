"""Regenerate the figures in docs/viz: python docs/viz/make_figures.py (needs Graphviz's dot).

lenet_graph.png: the graph of a LeNet-5 loss on 2 images (parameter names, module clusters, the loss as one
composite box), top to bottom; lenet_backprop.html: its step-through backprop page; lenet_step_05.png: one
frame of the backward pass; backprop_page.png: the page at 1280x800 at step 5 (needs playwright and chromium,
skipped with a message without them).
"""

import shutil
from pathlib import Path

import autograd_core as ag
from autograd_core import nn

HERE = Path(__file__).resolve().parent


def lenet() -> nn.Module:
    """LeNet-5 (course seed 001/003): conv 6@5x5, pool, conv 16@5x5, pool, 120-84-10."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))


def screenshot(page: Path, out: Path, steps: int = 5) -> bool:
    """The page as a reader sees it at 1280x800, after ``steps`` clicks on 'next'."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        exe = None
    if exe is None:
        print("(no backprop_page.png: it needs playwright and chromium)")
        return False
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        tab = browser.new_page(viewport={"width": 1280, "height": 800})
        tab.goto(page.as_uri())
        for _ in range(steps):
            tab.click(".agv-next")
        tab.screenshot(path=str(out))
        browser.close()
    return True


def main() -> None:
    ag.manual_seed(0)
    model = lenet()
    criterion = nn.CrossEntropyLoss()
    x = ag.randn(2, 1, 32, 32)
    y = ag.tensor([3, 7])
    loss = criterion(model(x), y)
    params = [model, criterion]  # the loss module too: its call is drawn as one box
    drawing = ag.viz.draw_graph(loss, params=params, show_saved=True)
    drawing.attr(dpi="90")
    (HERE / "lenet_graph.png").write_bytes(drawing.pipe(format="png"))
    tr = ag.viz.trace_backward(loss, params=params)
    tr.to_html(HERE / "lenet_backprop.html")
    frame = tr.frame(5)
    frame.attr(dpi="70")
    (HERE / "lenet_step_05.png").write_bytes(frame.pipe(format="png"))
    print(tr.explain(model[0].bias))
    written = ["lenet_graph.png", "lenet_backprop.html", "lenet_step_05.png"]
    if screenshot(HERE / "lenet_backprop.html", HERE / "backprop_page.png"):
        written.append("backprop_page.png")
    for name in written:
        print("wrote", HERE / name)


if __name__ == "__main__":
    main()
