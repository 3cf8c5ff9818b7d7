"""Gradient descent on f(x0, x1) = x0**2 + x1**2 from (-3, 4), lr 0.1, 100 steps.

Each step is x <- x - lr * grad f(x), with the gradient from backward().
Here grad f = 2 x, so one step multiplies x by 1 - 2 lr = 0.8: the distance
to the minimum (0, 0) shrinks from 5 by 0.8 each step, to 5 * 0.8**100 =
1e-9 after 100 steps. Writes demos/out/gradient_descent.png: the path over
f's contours, and the distance to the minimum against the step (a straight
line on a log scale).

Run: python demos/gradient_descent.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import microgradx as mg
from microgradx.plot import pyplot, save_figure

HERE = Path(__file__).resolve().parent

OUT = HERE / "out"


def descend(start: tuple[float, float] = (-3.0, 4.0), lr: float = 0.1, steps: int = 100) -> np.ndarray:
    """The points visited by gradient descent on x0**2 + x1**2, shape (steps + 1, 2)."""
    x = mg.Tensor(np.array(start, dtype=float), requires_grad=True, label="x")
    path = [x.data.copy()]
    for _ in range(steps):
        x.zero_grad()
        loss = (x ** 2).sum()
        loss.backward()
        x.data = x.data - lr * x.grad
        path.append(x.data.copy())
    return np.array(path)


def draw(path: np.ndarray, out: Path) -> Path:
    """The path over contours, and the distance to the minimum per step."""
    plt = pyplot()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.5))
    xx, yy = np.meshgrid(np.linspace(-5, 5, 200), np.linspace(-5, 5, 200))
    ax.contour(xx, yy, xx ** 2 + yy ** 2, levels=15, cmap="viridis", linewidths=0.7)
    distance = np.linalg.norm(path, axis=1)
    ax.plot(path[:, 0], path[:, 1], "o-", color="tab:red", markersize=3,
            label=f"gradient descent, {len(path) - 1} steps")
    ax.plot([0], [0], "k*", markersize=12, label="minimum (0, 0)")
    ax.set_aspect("equal")
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    ax.set_title("f = x0² + x1²: x ← x − 0.1 ∇f(x), from (−3, 4)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2, fontsize="small")
    ax2.semilogy(distance, color="tab:red", label="distance")
    ax2.annotate(f"after {len(path) - 1} steps: {distance[-1]:.3e}", xy=(len(path) - 1, distance[-1]),
                 xytext=(0.35, 0.12), textcoords="axes fraction", arrowprops={"arrowstyle": "->"})
    ax2.set_xlabel("step")
    ax2.set_ylabel("distance to the minimum (log scale)")
    ax2.set_title("each step multiplies the distance by 0.8")
    fig.tight_layout()
    return save_figure(fig, out)


def main(out_dir: Path = OUT, fast: bool = False) -> dict:
    """Run the 100 steps (they take milliseconds, so ``fast`` changes nothing) and draw them."""
    start, lr, steps = (-3.0, 4.0), 0.1, 100
    path = descend(start, lr, steps)
    end = path[-1]
    distance = float(np.linalg.norm(end))
    print(f"gradient descent on x0^2 + x1^2 from {start}, lr {lr}, {steps} steps")
    print(f"end point ({end[0]:.3e}, {end[1]:.3e}), distance to the minimum (0, 0): {distance:.3e}")
    print(f"(theory: 5 * (1 - 2 * lr) ** steps = {5 * (1 - 2 * lr) ** steps:.3e})")
    out = draw(path, Path(out_dir) / "gradient_descent.png")
    print(f"wrote {out}")
    return {"start": start, "lr": lr, "steps": steps, "end": (float(end[0]), float(end[1])),
            "distance": distance, "files": [out]}


if __name__ == "__main__":
    main()
