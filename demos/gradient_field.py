"""The gradient field of f(x0, x1) = x0**2 + x1**2, computed by autograd.

At every point of a grid, microgradx builds the graph of f from two Values
and ``mg.grad`` returns the gradient. The arrows (a quiver plot over f's
contours) point uphill, straight away from the minimum at the origin, and
grow with the distance: the gradient is (2 x0, 2 x1). The demo prints how far
autograd is from that formula (it should be exactly 0). Writes
demos/out/gradient_field.png.

Run: python demos/gradient_field.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import microgradx as mg
from microgradx.plot import pyplot, save_figure

HERE = Path(__file__).resolve().parent

OUT = HERE / "out"


def f(x0, x1):
    """The bowl x0**2 + x1**2 (Values, Tensors or numbers)."""
    return x0 ** 2 + x1 ** 2


def gradient_grid(n: int = 15, lim: float = 3.0) -> tuple[np.ndarray, ...]:
    """(X0, X1, G0, G1): an n x n grid on [-lim, lim]^2 and f's gradient there, by autograd."""
    X0, X1 = np.meshgrid(np.linspace(-lim, lim, n), np.linspace(-lim, lim, n))
    G0, G1 = np.empty_like(X0), np.empty_like(X1)
    for idx in np.ndindex(X0.shape):
        a, b = mg.Value(X0[idx]), mg.Value(X1[idx])
        ga, gb = mg.grad(f(a, b), [a, b])
        G0[idx], G1[idx] = ga, gb
    return X0, X1, G0, G1


def draw(X0: np.ndarray, X1: np.ndarray, G0: np.ndarray, G1: np.ndarray, path: Path) -> Path:
    """Contours of f with the gradient arrows on top."""
    plt = pyplot()
    lim = float(np.abs(X0).max())
    xx, yy = np.meshgrid(np.linspace(-lim, lim, 200), np.linspace(-lim, lim, 200))
    fig, ax = plt.subplots(figsize=(5.5, 5))
    cs = ax.contourf(xx, yy, f(xx, yy), levels=20, cmap="Blues", alpha=0.7)
    fig.colorbar(cs, ax=ax, label="f(x0, x1)")
    ax.quiver(X0, X1, G0, G1, color="tab:red", angles="xy")
    ax.plot([0], [0], "k*", markersize=12)
    ax.set_aspect("equal")
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    error = max(np.abs(G0 - 2 * X0).max(), np.abs(G1 - 2 * X1).max())
    ax.set_title(f"∇(x0² + x1²) by autograd at {X0.size} points\n"
                 f"largest difference from (2 x0, 2 x1): {error:.1e}")
    return save_figure(fig, path)


def main(out_dir: Path = OUT, fast: bool = False) -> dict:
    """Compute the field, compare it with (2 x0, 2 x1), draw it; returns the printed numbers."""
    n = 7 if fast else 15
    X0, X1, G0, G1 = gradient_grid(n)
    error = float(max(np.abs(G0 - 2 * X0).max(), np.abs(G1 - 2 * X1).max()))
    print(f"gradient of x0^2 + x1^2 at {n * n} grid points, by autograd")
    print(f"largest difference from the formula (2 x0, 2 x1): {error:.1e}")
    i, j = n - 1, n - 1
    print(f"at ({X0[i, j]:g}, {X1[i, j]:g}) the gradient is ({G0[i, j]:g}, {G1[i, j]:g})")
    path = draw(X0, X1, G0, G1, Path(out_dir) / "gradient_field.png")
    print(f"wrote {path}")
    return {"points": n * n, "max_error": error, "files": [path]}


if __name__ == "__main__":
    main()
