"""Where gradient descent ends depends on where it starts: f(x) = x**4 - 3 x**2 + x.

f has two minima: the global one near x = -1.30 (f = -3.51) and a local one
near x = 1.13 (f = -1.07), with a hump between them near x = 0.17. Gradient
descent (lr 0.01, 300 steps) started at x = -2 rolls into the global minimum;
started at x = 2 it rolls into the local one and stays there, since the
gradient is zero at the bottom of either. Writes demos/out/local_minima.png.

Run: python demos/local_minima.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import microgradx as mg
from microgradx.plot import pyplot, save_figure

HERE = Path(__file__).resolve().parent

OUT = HERE / "out"
STARTS = {"start at x = -2": -2.0, "start at x = 2": 2.0}


def f(x):
    """x**4 - 3 x**2 + x: two minima of different depth (Values or numbers)."""
    return x ** 4 - 3 * x ** 2 + x


def descend(x0: float, lr: float = 0.01, steps: int = 300) -> np.ndarray:
    """x_0 .. x_steps of gradient descent on f."""
    x = mg.Value(x0, label="x")
    xs = [x.data]
    for _ in range(steps):
        x.zero_grad()
        f(x).backward()
        x.data -= lr * x.grad
        xs.append(x.data)
    return np.array(xs)


def draw(runs: dict[str, np.ndarray], out: Path) -> Path:
    """The curve and each run's points on it; the end points are stars."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(9.5, 4.5))
    grid = np.linspace(-2.1, 2.1, 400)
    ax.plot(grid, f(grid), color="0.5", linewidth=1.2, label="f(x) = x⁴ − 3x² + x")
    for (name, xs), color in zip(runs.items(), ("tab:green", "tab:red")):
        ax.plot(xs, f(xs), "o", color=color, markersize=3, alpha=0.6, label=name)
        ax.plot(xs[-1], f(xs[-1]), "*", color=color, markersize=16, markeredgecolor="k",
                label=f"ends at x = {xs[-1]:.3f}, f = {f(xs[-1]):.3f}")
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    ax.set_title("gradient descent: the start picks the minimum")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0, fontsize="small")
    return save_figure(fig, out)


def main(out_dir: Path = OUT, fast: bool = False) -> dict:
    """Run both starts (milliseconds, so ``fast`` changes nothing) and draw them."""
    lr, steps = 0.01, 300
    runs = {name: descend(x0, lr, steps) for name, x0 in STARTS.items()}
    print(f"gradient descent on x^4 - 3x^2 + x, lr {lr}, {steps} steps")
    ends = {}
    for name, xs in runs.items():
        ends[name] = (float(xs[-1]), float(f(xs[-1])))
        print(f"{name}: ends at x = {xs[-1]:.6f}, f = {f(xs[-1]):.6f}")
    (left, f_left), (right, f_right) = ends.values()
    kind = "global" if f_left < f_right else "local"
    print(f"x = -2 found the {kind} minimum; x = 2 found the "
          f"{'local' if kind == 'global' else 'global'} one (f higher by {abs(f_right - f_left):.3f})")
    out = draw(runs, Path(out_dir) / "local_minima.png")
    print(f"wrote {out}")
    return {"lr": lr, "steps": steps, "end_left": left, "f_left": f_left,
            "end_right": right, "f_right": f_right, "files": [out]}


if __name__ == "__main__":
    main()
