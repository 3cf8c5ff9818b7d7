"""Newton's method with second derivatives from autograd: f(x) = x**4 - 2 x**2 from x = 2.

Each step is x <- x - f'(x) / f''(x). Both derivatives come from the engine:
f' with ``mg.grad(f, [x], create_graph=True)``, f'' by differentiating f'
again. f has minima at x = +-1; from x = 2 Newton reaches x = 1 in a handful
of steps, its error squaring each time (quadratic convergence). Gradient
descent with lr 0.01 is shown beside it. Writes demos/out/newton.png.

Run: python demos/newton.py
"""

from __future__ import annotations

from pathlib import Path

import microgradx as mg
from microgradx.plot import pyplot, save_figure

HERE = Path(__file__).resolve().parent

OUT = HERE / "out"


def f(x: mg.Value) -> mg.Value:
    """x**4 - 2 x**2: minima at -1 and 1, a maximum at 0."""
    return x**4 - 2 * x**2


def newton(x0: float = 2.0, steps: int = 7) -> list[float]:
    """The Newton iterates x_0 .. x_steps, derivatives by autograd."""
    xs = [x0]
    for _ in range(steps):
        x = mg.Value(xs[-1])
        (g,) = mg.grad(f(x), [x], create_graph=True)   # f'(x) as a graph
        (h,) = mg.grad(g, [x])                          # f''(x)
        xs.append(xs[-1] - g.data / h.data)
    return xs


def gradient_descent(x0: float = 2.0, steps: int = 7, lr: float = 0.01) -> list[float]:
    """Plain gradient descent from the same start, for comparison."""
    xs = [x0]
    for _ in range(steps):
        x = mg.Value(xs[-1])
        f(x).backward()
        xs.append(xs[-1] - lr * x.grad)
    return xs


def draw(xs: list[float], gd: list[float], out: Path) -> Path:
    """f with the Newton and gradient-descent iterates."""
    import numpy as np

    plt = pyplot()
    grid = np.linspace(-2.2, 2.2, 400)
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    ax.plot(grid, grid**4 - 2 * grid**2, color="0.3", label="f(x) = x^4 - 2x^2")
    for pts, style, name in ((xs, "o-", "Newton"), (gd, "s--", "gradient descent, lr 0.01")):
        ys = [p**4 - 2 * p**2 for p in pts]
        ax.plot(pts, ys, style, label=name, markersize=5)
    ax.set_ylim(-1.5, 9)
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0, fontsize="small")
    ax.set_title(f"{len(xs) - 1} steps from x = {xs[0]:g}: Newton |x − 1| = {abs(xs[-1] - 1):.1e}, "
                 f"gradient descent {abs(gd[-1] - 1):.2f}", fontsize="medium")
    fig.suptitle("Newton's method, f' and f'' by autograd")
    fig.tight_layout()
    return save_figure(fig, out / "newton.png", crop=False)


def main(out_dir: Path = OUT, fast: bool = False) -> dict:
    """Print each Newton iterate and write the picture; returns the iterates."""
    xs = newton()
    gd = gradient_descent()
    for k, x in enumerate(xs):
        print(f"newton step {k}: x = {x:.15f}   error |x - 1| = {abs(x - 1):.3e}")
    print(f"gradient descent after {len(gd) - 1} steps: x = {gd[-1]:.6f}")
    path = draw(xs, gd, Path(out_dir))
    print(f"wrote {path}")
    return {"newton": xs, "gradient_descent": gd, "files": [path]}


if __name__ == "__main__":
    main()
