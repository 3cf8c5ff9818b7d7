"""Forward mode against reverse mode, and Newton's method with a Hessian from the two together.

A full Jacobian takes one forward-mode pass per input and one reverse-mode
pass per output. ``mg.compare_modes`` computes it both ways and counts:

- f(x) = sum(sin(x) * x): n inputs -> 1 output. Forward mode needs n
  passes, reverse mode one (this is why training uses reverse mode).
- g(t) = sin(t * a) * exp(-t * b): 1 input -> m outputs. Forward mode needs
  one pass, reverse mode m.

for n, m in 1, 10, 100, 1000: passes, primitive operations and seconds
against the size, log-log.

Then Newton's method on Rosenbrock's (1 - x)**2 + 100 (y - x**2)**2 from
(-1.2, 1): each step solves H d = -grad with ``mg.jacrev`` for the gradient
and ``mg.hessian`` (= jacfwd(jacrev(f)): forward over reverse) for H. It
reaches the minimum (1, 1) in a handful of steps, where gradient descent
crawls along the valley for thousands.

Writes demos/out/modes.png (passes and time against size) and
demos/out/modes_newton.png (the Newton path over the contours).

Run: python demos/modes.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import microgradx as mg
from microgradx.plot import pyplot, save_figure

HERE = Path(__file__).resolve().parent

OUT = HERE / "out"
SIZES = (1, 10, 100, 1000)


def many_to_one(x: mg.Tensor) -> mg.Tensor:
    """f: R^n -> R."""
    return (x.sin() * x).sum()


def one_to_many(m: int):
    """g: R -> R^m, t -> sin(t a) * exp(-t b) with fixed a, b of length m."""
    a = np.linspace(0.5, 2.0, m)
    b = np.linspace(0.1, 1.0, m)
    return lambda t: (t * a).sin() * (-(t * b)).exp()


def race(sizes: tuple[int, ...]) -> dict[str, dict[str, list]]:
    """compare_modes on f (n = size) and g (m = size): passes, operations and seconds of each mode."""
    rows: dict[str, dict[str, list]] = {"f": {}, "g": {}}
    for size in sizes:
        runs = {"f": mg.compare_modes(many_to_one, np.linspace(-1.0, 1.0, size)),
                "g": mg.compare_modes(one_to_many(size), np.array([0.7]))}
        for name, r in runs.items():
            for key in ("forward_passes", "reverse_passes", "forward_ops", "reverse_ops",
                        "forward_seconds", "reverse_seconds", "max_abs_diff"):
                rows[name].setdefault(key, []).append(getattr(r, key))
    return rows


def rosenbrock(p: list) -> mg.Value:
    """(1 - x)**2 + 100 (y - x**2)**2: minimum 0 at (1, 1)."""
    x, y = p
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def newton(start: tuple[float, float] = (-1.2, 1.0), steps: int = 8) -> np.ndarray:
    """The Newton iterates p <- p - H(p)^-1 grad(p), gradient by jacrev, Hessian by hessian."""
    grad_f, hess_f = mg.jacrev(rosenbrock), mg.hessian(rosenbrock)
    path = [np.array(start, dtype=float)]
    for _ in range(steps):
        p = path[-1].tolist()
        path.append(path[-1] - np.linalg.solve(hess_f(p), grad_f(p)))
    return np.array(path)


def draw_race(sizes: tuple[int, ...], rows: dict, out: Path) -> Path:
    """Passes and seconds against n (for f) and m (for g), log-log, both modes."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    styles = {("f", "forward"): ("C0", "o-"), ("f", "reverse"): ("C1", "s-"),
              ("g", "forward"): ("C0", "o--"), ("g", "reverse"): ("C1", "s--")}
    labels = {"f": "f: R^n -> R", "g": "g: R -> R^m"}
    for ax, key, ylabel in ((axes[0], "passes", "passes (Jacobian-vector or vector-Jacobian)"),
                            (axes[1], "seconds", "seconds for the full Jacobian")):
        for (fn, mode), (color, style) in styles.items():
            hollow = {"markerfacecolor": "none", "markersize": 9} if fn == "g" else {"markersize": 5}
            ax.plot(sizes, rows[fn][f"{mode}_{key}"], style, color=color,
                    label=f"{labels[fn]}, {mode} mode", **hollow)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("n (inputs of f) or m (outputs of g)")
        ax.set_ylabel(ylabel)
    axes[0].set_title("Passes: forward = inputs, reverse = outputs")
    axes[1].set_title("Time follows the passes")
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=4, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return save_figure(fig, out / "modes.png", crop=False)


def draw_newton(path: np.ndarray, out: Path) -> Path:
    """The Newton iterates over Rosenbrock's contours."""
    plt = pyplot()
    xs, ys = np.linspace(-2.0, 2.0, 300), np.linspace(-3.6, 3.0, 300)
    X, Y = np.meshgrid(xs, ys)
    Z = (1 - X) ** 2 + 100 * (Y - X ** 2) ** 2
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.contour(X, Y, Z, levels=np.logspace(-1, 3.5, 20), cmap="viridis", linewidths=0.8)
    ax.plot(path[:, 0], path[:, 1], "o-", color="C3", label="Newton (mg.hessian, mg.jacrev)")
    ax.plot([1.0], [1.0], "*", color="k", markersize=14, label="minimum (1, 1)")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title("Newton's method on Rosenbrock from (-1.2, 1)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, frameon=False)
    fig.tight_layout()
    return save_figure(fig, out / "modes_newton.png", crop=False)


def main(out_dir: Path = OUT, fast: bool = False) -> dict:
    """Print the race and the Newton iterates, draw both; returns the numbers."""
    sizes = SIZES[:3] if fast else SIZES
    rows = race(sizes)
    print(f"{'size (n for f, m for g)':<28}" + "".join(f"{s:>10}" for s in sizes))
    for fn, label in (("f", "f: R^n -> R"), ("g", "g: R -> R^m")):
        for key in ("forward_passes", "reverse_passes", "forward_ops", "reverse_ops",
                    "forward_seconds", "reverse_seconds"):
            cells = (f"{v:>10.2e}" if key.endswith("seconds") else f"{v:>10}" for v in rows[fn][key])
            print(f"{label + ' ' + key.replace('_', ' '):<28}" + "".join(cells))
    worst = max(max(rows[fn]["max_abs_diff"]) for fn in rows)
    print(f"largest difference between the two modes' Jacobians: {worst:.1e}")
    path = newton()
    for k, p in enumerate(path):
        value = (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2
        print(f"newton step {k}: (x, y) = ({p[0]: .12f}, {p[1]: .12f})   f = {value:.3e}")
    files = [draw_race(sizes, rows, Path(out_dir)), draw_newton(path, Path(out_dir))]
    for f in files:
        print(f"wrote {f}")
    return {"sizes": list(sizes), "f": rows["f"], "g": rows["g"], "max_abs_diff": worst,
            "newton": path, "files": files}


if __name__ == "__main__":
    main()
