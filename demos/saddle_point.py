"""Plain gradient descent stalls at a saddle point; momentum and Adam escape.

f(x, y) = x**2 - y**2 has a saddle at (0, 0): a minimum along x, a maximum
along y. Starting at (1, 1e-6), a hair's breadth from the ridge y = 0, the
gradient along y is -2y: almost nothing. Plain gradient descent (lr 0.01)
slides down to the saddle and sits there, |y| only growing by 2% a step
(from 1e-6 to about 2e-5 in 150 steps). Momentum (0.9) compounds those tiny
pushes and Adam divides them by their own size, so both leave the saddle
(|y| > 1). Starting exactly on the ridge (y = 0) all three would stay,
since the gradient along y would be exactly zero. Writes
demos/out/saddle_point.png: the paths over the contours and |y| per step.

Run: python demos/saddle_point.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from microgradx import optim
from microgradx.plot import optimizer_paths, pyplot, save_figure

HERE = Path(__file__).resolve().parent

OUT = HERE / "out"

START = (1.0, 1e-6)
STEPS = 150
ESCAPED = 1.0   # |y| beyond this: off the saddle
OPTIMIZERS = {
    "gradient descent (lr 0.01)": lambda ps: optim.SGD(ps, lr=0.01),
    "momentum 0.9 (lr 0.01)": lambda ps: optim.SGD(ps, lr=0.01, momentum=0.9),
    "Adam (lr 0.01)": lambda ps: optim.Adam(ps, lr=0.01),
}
SHORT = dict(zip(OPTIMIZERS, ("gd", "momentum", "adam")))
# gradient descent runs along y = 0 under momentum's first steps: draw it wide and pale, the others on top
STYLES = {
    "gradient descent (lr 0.01)": {"color": "tab:blue", "linewidth": 6, "alpha": 0.45, "marker": "",
                                   "zorder": 2},
    "momentum 0.9 (lr 0.01)": {"color": "tab:orange", "linewidth": 1.5, "linestyle": "--", "marker": "o",
                               "markevery": 15, "zorder": 3},
    "Adam (lr 0.01)": {"color": "tab:green", "linewidth": 1.5, "linestyle": ":", "marker": "s",
                       "markevery": 15, "zorder": 3},
}


def verdict(y: float) -> str:
    """'escaped' when |y| is past the threshold, else 'stuck at the saddle'."""
    return "escaped" if abs(y) > ESCAPED else "stuck at the saddle"


def _style(line, name: str) -> None:
    for key, value in STYLES[name].items():
        getattr(line, f"set_{key}")(value)


def f(x, y):
    """x**2 - y**2: a saddle at the origin (two Values, Tensors or numbers)."""
    return x ** 2 - y ** 2


def draw(out: Path) -> tuple[Path, dict[str, np.ndarray]]:
    """Run the three optimizers; draw their paths (left) and |y| per step (right)."""
    plt = pyplot()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 5.8))
    _, paths = optimizer_paths(f, OPTIMIZERS, START, STEPS, ax=ax, bounds=(-1.5, 1.5, -1.0, 3.5))
    for line, name in zip(ax.get_lines(), paths):
        _style(line, name)
    ax.set_title("f = x² − y² from (1, 1e-6) (black star): saddle at (0, 0)")
    ax.axhline(0, color="0.5", linewidth=0.6, linestyle=":")
    ax.plot([0], [0], "o", color="k", markerfacecolor="none", markersize=12, label="the saddle (0, 0)")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.get_legend().remove()
    for name, pts in paths.items():
        y = pts[-1, 1]
        (line,) = ax2.semilogy(np.abs(pts[:, 1]), label=f"{name}: |y| = {abs(y):.1e}, {verdict(y)}")
        _style(line, name)
        line.set_linewidth(min(line.get_linewidth(), 4))
    ax2.axhline(ESCAPED, color="k", linewidth=0.8, linestyle="--", label=f"escaped: |y| > {ESCAPED:g}")
    ax2.set_xlabel("step")
    ax2.set_ylabel("|y| (distance from the ridge, log scale)")
    ax2.set_title(f"escaping the saddle: |y| after {STEPS} steps")
    handles, labels = ax2.get_legend_handles_labels()
    handles += ax.get_lines()[-1:]
    labels += ["the saddle (0, 0)"]
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize="small", bbox_to_anchor=(0.5, 0.0))
    fig.tight_layout(rect=(0, 0.14, 1, 1))
    return save_figure(fig, out), paths


def main(out_dir: Path = OUT, fast: bool = False) -> dict:
    """Run GD, momentum and Adam for 150 steps (milliseconds, so ``fast`` changes nothing)."""
    out, paths = draw(Path(out_dir) / "saddle_point.png")
    print(f"f = x^2 - y^2 from {START}, {STEPS} steps; 'escaped' means |y| > {ESCAPED}")
    result: dict = {"start": START, "steps": STEPS, "threshold": ESCAPED}
    for name, pts in paths.items():
        x, y = pts[-1]
        print(f"{name:>27}: ends at ({x: .3e}, {y: .3e}), |y| = {abs(y):.3e}: {verdict(y)}")
        result[f"{SHORT[name]}_end"] = (float(x), float(y))
    print(f"wrote {out}")
    result["files"] = [out]
    return result


if __name__ == "__main__":
    main()
