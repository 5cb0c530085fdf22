"""The main demo: a small CNN trained on scikit-learn's digits with ``nn``, ``optim`` and ``data``.

Run with ``python -m autograd_core.demo`` (``make demo`` sets everything up first);
``python -m autograd_core.demo --scratch`` trains an MLP written with raw tensors and a
hand-written SGD step instead, so every line of the training loop is visible.
(This module is an application of the library: it is the one place in the package that
imports ``nn`` and ``optim``.)
"""

from __future__ import annotations

import sys
import time

import numpy as np

import autograd_core as ag


def load_digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    try:
        from sklearn.datasets import load_digits as _load
    except ImportError as e:  # pragma: no cover - exercised only without the extra
        raise SystemExit("the demo needs scikit-learn: pip install 'autograd_core[datasets]'") from e
    d = _load()  # 1797 8x8 images shipped inside scikit-learn: no download
    x = (d.data / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(x))
    split = int(0.8 * len(x))
    return x[idx[:split]], y[idx[:split]], x[idx[split:]], y[idx[split:]]


def scratch(epochs: int = 15, hidden: int = 64, lr: float = 0.5, batch: int = 64) -> float:
    """MLP 64-hidden-10 with raw tensors and a hand-written SGD step."""
    ag.manual_seed(0)
    xtr, ytr, xte, yte = load_digits()
    # He-style initialisation for the ReLU layer, small for the output layer.
    w1 = (ag.randn(64, hidden) * (2 / 64) ** 0.5).requires_grad_()
    b1 = ag.zeros(hidden, requires_grad=True)
    w2 = (ag.randn(hidden, 10) * (1 / hidden) ** 0.5).requires_grad_()
    b2 = ag.zeros(10, requires_grad=True)
    params = [w1, b1, w2, b2]

    def forward(x: ag.Tensor) -> ag.Tensor:
        return (x @ w1 + b1).relu() @ w2 + b2

    def cross_entropy(logits: ag.Tensor, y: np.ndarray) -> ag.Tensor:
        logp = logits.log_softmax(dim=1)
        return -logp[np.arange(len(y)), y].mean()

    print(f"digits: {len(xtr)} train / {len(xte)} test images, MLP 64-{hidden}-10, SGD lr={lr}")
    rng = np.random.default_rng(1)
    t0 = time.perf_counter()
    acc = 0.0
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(xtr))
        total = 0.0
        for i in range(0, len(order), batch):
            idx = order[i:i + batch]
            loss = cross_entropy(forward(ag.tensor(xtr[idx])), ytr[idx])
            for p in params:
                p.grad = None
            loss.backward()
            with ag.no_grad():
                for p in params:
                    p -= lr * p.grad
            total += loss.item() * len(idx)
        with ag.no_grad():
            pred = forward(ag.tensor(xte)).argmax(dim=1).numpy()
        acc = float((pred == yte).mean())
        print(f"epoch {epoch:2d}  train loss {total / len(xtr):.4f}  test accuracy {acc:.3f}")
    print(f"trained in {time.perf_counter() - t0:.1f} s")
    return acc


def cnn(epochs: int = 8, lr: float = 0.05, batch: int = 64, seed: int = 0) -> tuple[float, object]:
    """Conv(1->16, 3x3) BN ReLU pool, Conv(16->32) ReLU pool, 128-64-10 on 8x8 digits; SGD + momentum.

    Returns (test accuracy, model).
    """
    from autograd_core import nn, optim
    from autograd_core.data import DataLoader, TensorDataset, datasets, random_split

    ag.manual_seed(seed)
    ds = datasets.load_digits(images=True)  # (1797, 1, 8, 8), shipped inside scikit-learn
    train, test = random_split(ds, [0.8, 0.2], seed=seed)
    xtr, ytr = ds[train.indices]
    xte, yte = ds[test.indices]
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 2 * 2, 64), nn.ReLU(), nn.Linear(64, 10),
    )
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(xtr, ytr), batch_size=batch, shuffle=True, seed=seed)
    print(f"digits: {len(xtr)} train / {len(xte)} test 8x8 images\n{model}")
    t0 = time.perf_counter()
    acc = 0.0
    for epoch in range(1, epochs + 1):
        model.train()
        total = 0.0
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(yb)
        model.eval()
        with ag.no_grad():
            acc = (model(xte).argmax(1) == yte).float().mean().item()
        print(f"epoch {epoch:2d}  train loss {total / len(xtr):.4f}  test accuracy {acc:.3f}")
    print(f"trained in {time.perf_counter() - t0:.1f} s")
    return acc, model


def visualise(model: object, out: str = "demo_output", n: int = 4, seed: int = 0) -> list[str]:
    """Backprop of the trained model's loss on ``n`` digits: the graph drawing and the step-through page."""
    from pathlib import Path

    from autograd_core import nn, viz
    from autograd_core.data import datasets

    ds = datasets.load_digits(images=True)
    xb, yb = ds[np.arange(seed, seed + n)]
    model.eval()  # type: ignore[attr-defined]
    loss = nn.CrossEntropyLoss()(model(xb), yb)  # type: ignore[operator]
    drawing = viz.draw_graph(loss, params=model, show_saved=True)
    tr = viz.trace_backward(loss, params=model)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "cnn_graph.dot"]
    written[0].write_text(drawing.source)
    try:
        (folder / "cnn_graph.svg").write_bytes(drawing.pipe(format="svg"))
        written += [folder / "cnn_graph.svg", tr.to_html(folder / "cnn_backprop.html")]
    except viz.GraphvizError as e:  # the DOT text is still there
        print(f"(no drawing rendered: {str(e).split('. ')[0]})")
    print(f"backward of the loss on {n} digits: {len(tr.steps)} steps; first layer's weight gradient:")
    print("\n".join(tr.explain(model[0].weight).splitlines()[:3]))  # type: ignore[index]
    for p in written:
        print(f"wrote {p}")
    return [str(p) for p in written]


def main(epochs: int | None = None) -> float:
    if "--scratch" in sys.argv[1:]:
        return scratch() if epochs is None else scratch(epochs=epochs)
    acc, model = cnn() if epochs is None else cnn(epochs=epochs)
    if "--no-viz" not in sys.argv[1:]:
        from autograd_core.viz import GraphvizError

        try:
            visualise(model)
        except GraphvizError as e:  # the Python graphviz package is an optional extra
            print(f"(skipping the drawings: {e})")
    return acc


if __name__ == "__main__":
    main()
