"""micrograd's demo, on microgradx: an MLP learns the two moons.

Two-moons, 100 points, MLP(2, [16, 16, 1]), SVM max-margin loss
mean(relu(1 - y * score)) + 1e-4 * sum(p * p), full batch, 100 SGD steps
with lr = 1.0 - 0.9 * k / 100. Writes the decision boundary to
demos/out/moons.png and the graph of one neuron to demos/out/neuron.svg.

Run: python demos/moons.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import microgradx as mg
from microgradx.plot import pyplot, save_figure

HERE = Path(__file__).resolve().parent

OUT = HERE / "out"


def svm_loss(model: mg.nn.MLP, X: np.ndarray, y: np.ndarray, alpha: float = 1e-4):
    """micrograd's loss: hinge on the margin plus L2; returns (loss, accuracy)."""
    scores = [model(list(x)) for x in X]
    data_loss = mg.sum([(1 - yi * s).relu() for yi, s in zip(y.tolist(), scores)]) * (1.0 / len(y))
    reg_loss = alpha * mg.dot(model.parameters(), model.parameters())
    accuracy = float(np.mean([(yi > 0) == (s.data > 0) for yi, s in zip(y, scores)]))
    return data_loss + reg_loss, accuracy


def train(steps: int = 100, n: int = 100, seed: int = 1337, verbose: bool = True):
    """Train as micrograd's demo does; returns (model, X, y, history of (loss, acc))."""
    X, y01 = mg.data.make_moons(n, noise=0.1, seed=seed)
    y = y01 * 2.0 - 1.0
    model = mg.nn.MLP(2, [16, 16, 1], seed=seed)
    history = []
    for k in range(steps):
        loss, acc = svm_loss(model, X, y)
        model.zero_grad()
        loss.backward()
        lr = 1.0 - 0.9 * k / steps
        for p in model.parameters():
            p.data -= lr * p.grad
        history.append((loss.data, acc))
        if verbose and (k % 10 == 0 or k == steps - 1):
            print(f"step {k:3d} loss {loss.data:.4f}, accuracy {acc * 100:.0f}%")
    return model, X, y, history


def draw(model: mg.nn.MLP, X: np.ndarray, y: np.ndarray, out_dir: Path = OUT) -> list[Path]:
    """Write the decision boundary (and, with Graphviz, one neuron's graph)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    plt = pyplot()
    h = 0.05
    xx, yy = np.meshgrid(np.arange(X[:, 0].min() - 1, X[:, 0].max() + 1, h),
                         np.arange(X[:, 1].min() - 1, X[:, 1].max() + 1, h))
    with mg.no_grad():
        Z = np.array([model(list(p)).data for p in np.c_[xx.ravel(), yy.ravel()]]) > 0
    with mg.no_grad():
        accuracy = float(np.mean([(model(list(p)).data > 0) == (t > 0) for p, t in zip(X, y)]))
    fig, ax = plt.subplots(figsize=(6.8, 4))
    ax.contourf(xx, yy, Z.reshape(xx.shape), cmap=plt.cm.Spectral, alpha=0.8)
    for label, marker, color in ((-1, "o", plt.cm.Spectral(0.0)), (1, "s", plt.cm.Spectral(1.0))):
        pts = X[y == label]
        ax.scatter(pts[:, 0], pts[:, 1], s=30, marker=marker, color=color, edgecolors="k",
                   label=f"class {label:+d} ({len(pts)} points)")
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    ax.set_title(f"MLP(2, [16, 16, 1]) on two moons: {accuracy:.0%} right")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0, fontsize="small")
    fig.tight_layout()
    written.append(save_figure(fig, out_dir / "moons.png", crop=False))
    if hasattr(mg, "render_graph"):
        neuron = model.layers[0].neurons[0]
        for i, w in enumerate(neuron.w):
            w.label = f"w{i}"
        neuron.b.label = "b"
        point = next((p for p in X if neuron(list(p)).data > 0), X[0])   # a point where it fires
        x = [mg.Value(float(v), label=f"x{i}") for i, v in enumerate(point)]
        act = neuron(x)
        act.label = "out"
        neuron.zero_grad()                  # show this one pass's gradients, not training's
        act.backward()
        try:
            written.append(mg.render_graph(act, out_dir / "neuron.svg"))
        except mg.GraphvizNotFoundError as e:
            print(e, file=sys.stderr)
    return written


def main(steps: int = 100, out_dir: Path = OUT) -> float:
    model, X, y, history = train(steps)
    for path in draw(model, X, y, Path(out_dir)):
        print(f"wrote {path}")
    return history[-1][1]


if __name__ == "__main__":
    main()
