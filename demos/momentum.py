"""Momentum rolls through a shallow local minimum that plain gradient descent stops in.

f(x) = x**4 - 4 x**2 + x has a shallow minimum near x = 1.35 (f = -2.62) and
a deeper one near x = -1.47 (f = -5.44), with a hump near x = 0.13 between.
From x = 2.5 plain gradient descent (lr 0.01) stops in the first dip it
meets, the shallow one. SGD with momentum 0.9 (same lr) builds up speed on
the way down, coasts over the hump and settles in the deep minimum. Writes
demos/out/momentum.png: both runs on the curve and x against the step.

Run: python demos/momentum.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import microgradx as mg
from microgradx import optim
from microgradx.plot import pyplot, save_figure

HERE = Path(__file__).resolve().parent

OUT = HERE / "out"

X0, LR, MOMENTUM, STEPS = 2.5, 0.01, 0.9, 250
RUNS = {
    "gradient descent": {},
    f"momentum {MOMENTUM}": {"momentum": MOMENTUM},
}


def f(x):
    """x**4 - 4 x**2 + x: a shallow minimum at x > 0, a deep one at x < 0."""
    return x ** 4 - 4 * x ** 2 + x


def run(steps: int = STEPS, **sgd: float) -> np.ndarray:
    """x_0 .. x_steps of mg.optim.SGD(lr=LR, **sgd) on f, from X0."""
    x = mg.Value(X0, label="x")
    opt = optim.SGD([x], lr=LR, **sgd)
    xs = [x.data]
    for _ in range(steps):
        opt.zero_grad()
        f(x).backward()
        opt.step()
        xs.append(x.data)
    return np.array(xs)


def draw(runs: dict[str, np.ndarray], out: Path) -> Path:
    """The runs on the curve (left) and x per step (right)."""
    plt = pyplot()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    grid = np.linspace(-2.2, 2.6, 400)
    ax.plot(grid, f(grid), color="0.5", linewidth=1.2)
    for (name, xs), color in zip(runs.items(), ("tab:red", "tab:blue")):
        ax.plot(xs, f(xs), "o", color=color, markersize=2.5, alpha=0.5, label=name)
        ax.plot(xs[-1], f(xs[-1]), "*", color=color, markersize=16, markeredgecolor="k")
        ax2.plot(xs, color=color, label=f"{name}: ends at x = {xs[-1]:.3f}, f = {f(xs[-1]):.2f}")
    ax.set_ylim(-6.5, 20)
    ax.set_xlabel("x")
    ax.set_ylabel("f(x) = x⁴ − 4x² + x")
    ax.set_title(f"from x = {X0}, lr {LR}")
    ax.legend(loc="upper center", fontsize="small")
    ax2.set_xlabel("step")
    ax2.set_ylabel("x")
    ax2.set_title("gradient descent stops in the first dip")
    ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize="small")
    fig.tight_layout()
    return save_figure(fig, out)


def main(out_dir: Path = OUT, fast: bool = False) -> dict:
    """Run both (milliseconds, so ``fast`` changes nothing), print the end points, draw."""
    runs = {name: run(STEPS, **kw) for name, kw in RUNS.items()}
    print(f"f(x) = x^4 - 4x^2 + x from x = {X0}, lr {LR}, {STEPS} steps")
    ends = {}
    for name, xs in runs.items():
        ends[name] = float(xs[-1])
        print(f"{name:>17}: ends at x = {xs[-1]: .6f}, f = {f(xs[-1]):.4f}")
    gd, mom = ends.values()
    print(f"gradient descent stopped in the {'shallow' if f(gd) > f(mom) else 'deep'} minimum, "
          f"momentum reached the {'deep' if f(mom) < f(gd) else 'shallow'} one")
    out = draw(runs, Path(out_dir) / "momentum.png")
    print(f"wrote {out}")
    return {"x0": X0, "lr": LR, "momentum": MOMENTUM, "steps": STEPS, "gd_end": gd,
            "momentum_end": mom, "files": [out]}


if __name__ == "__main__":
    main()
