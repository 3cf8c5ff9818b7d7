"""Learning rate too small, about right, too large: gradient descent on f(x) = x**2 from x = 5.

One step is x <- x - lr * 2x = (1 - 2 lr) x. With lr = 0.01 each step keeps
98% of x: after 15 steps x is still near 3.7 (too slow). With lr = 0.3 it
keeps 40%: x is 5e-6 after 15 steps. With lr = 1.05 the factor is -1.1: x
jumps over the minimum to the other side and lands higher each time, 5 *
1.1**15 = 21 (divergence). Writes demos/out/learning_rates.png: each run
on the parabola (the black square is the start), and |x| against the step.

Run: python demos/learning_rates.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import microgradx as mg
from microgradx.plot import pyplot, save_figure

HERE = Path(__file__).resolve().parent

OUT = HERE / "out"

RATES = {"too small": 0.01, "about right": 0.3, "too large": 1.05}
COLORS = {"too small": "tab:blue", "about right": "tab:green", "too large": "tab:red"}


def descend(lr: float, x0: float = 5.0, steps: int = 15) -> np.ndarray:
    """x_0 .. x_steps of gradient descent on x**2 with learning rate lr."""
    x = mg.Value(x0, label="x")
    xs = [x.data]
    for _ in range(steps):
        x.zero_grad()
        (x ** 2).backward()
        x.data -= lr * x.grad
        xs.append(x.data)
    return np.array(xs)


def draw(runs: dict[str, np.ndarray], out: Path) -> Path:
    """The iterates on the parabola (left) and |x| per step on a log scale (right)."""
    plt = pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(10, 8))
    for ax, (name, xs) in zip(axes.flat, runs.items()):
        lim = max(6.0, float(np.abs(xs).max()) * 1.05)
        grid = np.linspace(-lim, lim, 400)
        ax.plot(grid, grid ** 2, color="0.6", linewidth=1)
        ax.plot(xs, xs ** 2, "o-", color=COLORS[name], markersize=3, linewidth=0.9)
        ax.plot(xs[0], xs[0] ** 2, "ks", markersize=5)
        ax.set_xlabel("x")
        ax.set_ylabel("f(x) = x²")
        ax.set_title(f"{name}: lr = {RATES[name]}, x after {len(xs) - 1} steps = {xs[-1]:.3g}")
    ax2 = axes.flat[3]
    for name, xs in runs.items():
        ax2.semilogy(np.abs(xs), "o-", color=COLORS[name], markersize=3,
                     label=f"lr={RATES[name]}: factor {1 - 2 * RATES[name]:+.2f}")
    ax2.set_xlabel("step")
    ax2.set_ylabel("|x| (log scale)")
    ax2.set_title("|x| changes by |1 − 2 lr| per step")
    ax2.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0, fontsize="small",
               title="lr: factor per step")
    fig.suptitle(f"gradient descent on f(x) = x² from x = {next(iter(runs.values()))[0]:g}")
    fig.tight_layout()
    return save_figure(fig, out)


def main(out_dir: Path = OUT, fast: bool = False) -> dict:
    """Run the three learning rates for 15 steps each (milliseconds, so ``fast`` changes nothing)."""
    x0, steps = 5.0, 15
    runs = {name: descend(lr, x0, steps) for name, lr in RATES.items()}
    print(f"gradient descent on x^2 from x = {x0}, {steps} steps")
    final = {}
    for name, xs in runs.items():
        final[name] = float(xs[-1])
        print(f"{name:>12} lr={RATES[name]:<5} x after {steps} steps: {xs[-1]: .3e} "
              f"(factor per step 1 - 2 lr = {1 - 2 * RATES[name]:+.2f})")
    out = draw(runs, Path(out_dir) / "learning_rates.png")
    print(f"wrote {out}")
    return {"x0": x0, "steps": steps, "rates": dict(RATES), "final": final,
            "paths": {k: v.tolist() for k, v in runs.items()}, "files": [out]}


if __name__ == "__main__":
    main()
