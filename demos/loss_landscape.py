"""The loss landscape around a trained network (Li et al. 2018).

A small tensor MLP (2-16-16-1, ReLU, binary cross-entropy) is trained briefly on the
two moons with Adam. Its millions-of-dimensions loss surface cannot be
drawn, but a 2-D slice can: L(a, b) = loss(theta + a d1 + b d2) for two
random directions d1, d2, each normalised filter by filter (every neuron's
incoming weights scaled to the norm of that neuron's trained weights), so
the picture does not depend on the arbitrary scale of each layer
(``mg.plot.loss_landscape``). The trained weights sit at the centre (0, 0),
in a basin. Writes demos/out/loss_landscape.png (contours and surface).

Run: python demos/loss_landscape.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import microgradx as mg
from microgradx import optim
from microgradx.nn.layers import Linear, ReLU, Sequential
from microgradx.nn.losses import binary_cross_entropy_with_logits
from microgradx.plot import loss_landscape, save_figure

OUT = Path(__file__).resolve().parent / "out"


def loss_fn(net: Sequential, X: np.ndarray, y: np.ndarray) -> mg.Tensor:
    """Binary cross-entropy of the network's logits (labels 0/1)."""
    return binary_cross_entropy_with_logits(net(X)[:, 0], y)


def train(steps: int = 200, seed: int = 0) -> tuple[Sequential, np.ndarray, np.ndarray, list[float]]:
    """A 2-16-16-1 network trained with Adam on 100 moons points; returns (net, X, y, losses)."""
    X, y01 = mg.data.make_moons(100, noise=0.1, seed=seed)
    y = y01.astype(float)
    net = Sequential(Linear(2, 16, seed=seed), ReLU(), Linear(16, 16, seed=seed + 1), ReLU(),
                     Linear(16, 1, seed=seed + 2))
    opt = optim.Adam(net.parameters(), lr=0.01)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(net, X, y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return net, X, y, losses


def main(out_dir: Path = OUT, fast: bool = False) -> dict:
    """Train (fast: 60 steps), draw the landscape (fast: a 9 x 9 grid, else 31 x 31)."""
    steps, grid = (60, 9) if fast else (200, 31)
    net, X, y, losses = train(steps)
    with mg.no_grad():
        trained = loss_fn(net, X, y).item()
    out = Path(out_dir) / "loss_landscape.png"
    fig, L = loss_landscape(net, loss_fn, X, y, steps=grid, span=1.0, seed=0)
    centre = float(L[grid // 2, grid // 2])
    rim = float(np.mean(np.r_[L[0], L[-1], L[1:-1, 0], L[1:-1, -1]]))
    fig.suptitle(f"around a trained 2-16-16-1 net (loss {trained:.4f}): lowest {L.min():.4f}, "
                 f"highest {L.max():.3f}, mean on the rim {rim:.3f}", y=1.04)
    save_figure(fig, out)
    print(f"trained a 2-16-16-1 net for {steps} Adam steps: loss {losses[0]:.3f} -> {trained:.4f}")
    print(f"loss on a {grid} x {grid} grid over [-1, 1]^2 in two filter-normalised directions:")
    print(f"  centre (the trained weights) {centre:.4f}, lowest {L.min():.4f}, "
          f"highest {L.max():.3f}, mean on the rim {rim:.3f}")
    print(f"wrote {out}")
    return {"train_steps": steps, "grid": grid, "trained_loss": trained, "centre_loss": centre,
            "min_loss": float(L.min()), "max_loss": float(L.max()), "rim_mean": rim, "files": [out]}


if __name__ == "__main__":
    main()
