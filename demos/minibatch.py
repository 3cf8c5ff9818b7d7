"""Full-batch vs mini-batch vs one-sample SGD, on the two moons.

The same small tensor network (2-16-16-1, ReLU, hinge loss) starts from the
same weights three times and trains with plain SGD at the same learning
rate for the same number of epochs (passes over the data); only the batch
size differs:

- full batch (all 100 points): one exact, smooth step per epoch;
- mini-batches of 16: 7 noisier steps per epoch;
- one sample at a time: 100 very noisy steps per epoch.

The loss on the whole data set is recorded after every step and drawn
against epochs: per pass over the data, the smaller batches get much
further, at the price of a jagged curve. Writes demos/out/minibatch.png.

Run: python demos/minibatch.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import microgradx as mg
from microgradx import optim
from microgradx.nn.layers import Linear, ReLU, Sequential
from microgradx.nn.losses import hinge_loss
from microgradx.plot import pyplot, save_figure

HERE = Path(__file__).resolve().parent

OUT = HERE / "out"
LR = 0.05


def make_net(seed: int = 0) -> Sequential:
    """The 2-16-16-1 ReLU network; the same seed gives the same starting weights."""
    return Sequential(Linear(2, 16, seed=seed), ReLU(), Linear(16, 16, seed=seed + 1), ReLU(),
                      Linear(16, 1, seed=seed + 2))


def full_loss(net: Sequential, X: np.ndarray, y: np.ndarray) -> float:
    """Hinge loss on all of X (no graph)."""
    with mg.no_grad():
        return hinge_loss(net(X)[:, 0], y).item()


def train(X: np.ndarray, y: np.ndarray, batch_size: int, epochs: int, lr: float = LR,
          seed: int = 0) -> np.ndarray:
    """SGD with the given batch size; the whole-data loss before training and after every step."""
    net = make_net(seed)
    opt = optim.SGD(net.parameters(), lr=lr)
    loader = mg.data.DataLoader(X, y, batch_size=batch_size, shuffle=True, seed=seed)
    losses = [full_loss(net, X, y)]
    for _ in range(epochs):
        for xb, yb in loader:
            opt.zero_grad()
            hinge_loss(net(xb)[:, 0], yb).backward()
            opt.step()
            losses.append(full_loss(net, X, y))
    return np.array(losses)


def draw(runs: dict[str, np.ndarray], epochs: int, out: Path) -> Path:
    """Whole-data loss against epochs, one line per batch size."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for (name, losses), width in zip(runs.items(), (2.0, 1.2, 0.6)):
        per_epoch = (len(losses) - 1) // epochs
        ax.plot(np.linspace(0, epochs, len(losses)), losses, linewidth=width,
                label=f"{name}, {per_epoch} steps/epoch: {losses[0]:.3f} → {losses[-1]:.3f}")
    ax.set_xlabel("epoch (passes over the data)")
    ax.set_ylabel("hinge loss on all points")
    ax.set_title(f"SGD, lr {LR}: same epochs, different batch sizes")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0, title="loss: start → end")
    return save_figure(fig, out)


def main(out_dir: Path = OUT, fast: bool = False) -> dict:
    """Train three ways (fast: 4 epochs instead of 20), print the losses, draw the curves."""
    n, epochs = 100, 4 if fast else 20
    X, y01 = mg.data.make_moons(n, noise=0.1, seed=0)
    y = 2.0 * y01 - 1.0
    sizes = {"full batch": n, "mini-batch 16": 16, "one sample": 1}
    runs = {name: train(X, y, bs, epochs) for name, bs in sizes.items()}
    print(f"two moons, {n} points; SGD lr {LR}, {epochs} epochs, same starting weights")
    result: dict = {"epochs": epochs, "n": n, "steps_per_epoch": {}, "start_loss": {}, "final_loss": {}}
    for name, losses in runs.items():
        per_epoch = (len(losses) - 1) // epochs
        result["steps_per_epoch"][name] = per_epoch
        result["start_loss"][name] = float(losses[0])
        result["final_loss"][name] = float(losses[-1])
        print(f"{name:>14}: {per_epoch:3d} steps per epoch, loss {losses[0]:.3f} -> {losses[-1]:.3f}")
    out = draw(runs, epochs, Path(out_dir) / "minibatch.png")
    print(f"wrote {out}")
    result["files"] = [out]
    result["curves"] = {k: v.tolist() for k, v in runs.items()}
    return result


if __name__ == "__main__":
    main()
