"""A 2x3 weight net with softmax + cross-entropy: autograd beside the numerical gradient.

As in "Deep Learning from Scratch" ch. 4: input x = (0.6, 0.9), one-hot
target t = (0, 0, 1), loss = cross_entropy(softmax(x W)). The gradient of
the loss with respect to W comes once from backward() and once from
mg.numerical_gradient (central differences, one element at a time); the two
tables agree to about 1e-10. Writes demos/out/simple_net.png (both
gradients as heat maps, and their difference).

Run: python demos/simple_net.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import microgradx as mg
from microgradx.plot import pyplot, save_figure

HERE = Path(__file__).resolve().parent

OUT = HERE / "out"

X = np.array([0.6, 0.9])
TARGET = 2   # the one-hot target (0, 0, 1)


def loss_of(W: mg.Tensor) -> mg.Tensor:
    """Cross-entropy of softmax(x W) against the target class."""
    return -(mg.Tensor(X) @ W).log_softmax(axis=0)[TARGET]


def gradients(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(W, autograd gradient, numerical gradient) for a random W."""
    W0 = np.random.default_rng(seed).standard_normal((2, 3))
    W = mg.Tensor(W0.copy(), requires_grad=True, label="W")
    loss_of(W).backward()

    def f(w: np.ndarray) -> float:
        return loss_of(mg.Tensor(w)).item()

    return W0, W.grad, mg.numerical_gradient(f, W0.copy())


def draw(auto: np.ndarray, numeric: np.ndarray, out: Path) -> Path:
    """The two gradients side by side and their difference."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    for ax, data, title in ((axes[0], auto, "autograd"), (axes[1], numeric, "numerical"),
                            (axes[2], auto - numeric, "difference")):
        im = ax.imshow(data, cmap="coolwarm")
        ax.set_title(title)
        ax.set_xticks(range(3))
        ax.set_yticks(range(2))
        ax.set_xlabel("output class j")
        ax.set_ylabel("input i")
        fig.colorbar(im, ax=ax, shrink=0.8)
        if title != "difference":
            for (i, j), v in np.ndenumerate(data):
                ax.text(j, i, f"{v:.4f}", ha="center", va="center", fontsize="small")
    fig.suptitle(f"dL/dW[i, j]: autograd vs central differences, largest difference "
                 f"{np.abs(auto - numeric).max():.1e}")
    fig.tight_layout()
    return save_figure(fig, out / "simple_net.png", crop=False)


def main(out_dir: Path = OUT, fast: bool = False) -> dict:
    """Print both gradients and their largest difference; write the picture."""
    W, auto, numeric = gradients()
    np.set_printoptions(precision=8, suppress=True)
    print("W =\n", W)
    print("dL/dW by autograd =\n", auto)
    print("dL/dW by central differences =\n", numeric)
    diff = float(np.abs(auto - numeric).max())
    print(f"largest difference: {diff:.2e}")
    path = draw(auto, numeric, Path(out_dir))
    print(f"wrote {path}")
    return {"W": W, "autograd": auto, "numerical": numeric, "max_difference": diff, "files": [path]}


if __name__ == "__main__":
    main()
