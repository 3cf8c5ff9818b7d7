"""Nine optimizers race across Rosenbrock's valley and Beale's plateau.

SGD, SGD with momentum, Nesterov, Adagrad, RMSprop, Adam, AMSGrad, RAdam and
SWATS (all from ``mg.optim``, each with one learning rate used on both
functions) start from the same point and take the same number of steps:

- Rosenbrock (1 - x)**2 + 100 (y - x**2)**2 from (-1.5, 2): a curved, narrow
  valley with the minimum 0 at (1, 1). Plain SGD must keep lr small for the
  steep walls and then crawls along the flat valley floor.
- Beale (1.5 - x + xy)**2 + (2.25 - x + xy**2)**2 + (2.625 - x + xy**3)**2
  from (1, 1.5): flat plateaus and steep ridges, minimum 0 at (3, 0.5).

RAdam's first few steps, before it trusts its variance estimate, are plain
momentum steps on the raw gradient: the long early jumps on Rosenbrock.
SWATS switches from Adam to SGD only once its estimate of an SGD rate
settles; the demo prints whether it did.

Writes demos/out/race_rosenbrock.png and race_beale.png (paths over
contours) and race_loss.png (loss against step, log scale), and prints each
optimizer's final loss.

Run: python demos/optimizer_race.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from microgradx import optim
from microgradx.plot import optimizer_paths, pyplot, save_figure, surface

HERE = Path(__file__).resolve().parent

OUT = HERE / "out"

# one look per racer, so a path drawn over another stays visible (Adam and SWATS
# share a path until SWATS switches: Adam is drawn wide and pale, SWATS dashed on top)
STYLES = {
    "SGD": {"color": "tab:blue", "linestyle": "-", "marker": "o"},
    "momentum": {"color": "tab:orange", "linestyle": "--", "marker": "s"},
    "Nesterov": {"color": "tab:green", "linestyle": ":", "marker": "^"},
    "Adagrad": {"color": "tab:red", "linestyle": "-", "marker": "v"},
    "RMSprop": {"color": "tab:purple", "linestyle": "--", "marker": "D"},
    "Adam": {"color": "tab:brown", "linestyle": "-", "marker": "", "linewidth": 5, "alpha": 0.45},
    "AMSGrad": {"color": "tab:pink", "linestyle": "-.", "marker": "P"},
    "RAdam": {"color": "tab:gray", "linestyle": ":", "marker": "X"},
    "SWATS": {"color": "black", "linestyle": (0, (4, 2)), "marker": "x", "linewidth": 1.3, "zorder": 4},
}

# name -> (mg.optim.get name, learning rate)
RACERS = {
    "SGD": ("sgd", 1e-3),
    "momentum": ("momentum", 1e-3),
    "Nesterov": ("nesterov", 1e-3),
    "Adagrad": ("adagrad", 1.0),
    "RMSprop": ("rmsprop", 1e-2),
    "Adam": ("adam", 0.1),
    "AMSGrad": ("amsgrad", 0.1),
    "RAdam": ("radam", 1e-2),
    "SWATS": ("swats", 0.1),
}


def rosenbrock(p):
    """(1 - x)**2 + 100 (y - x**2)**2 of p = (x, y): minimum 0 at (1, 1)."""
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def beale(p):
    """Beale's function of p = (x, y): minimum 0 at (3, 0.5)."""
    x, y = p[0], p[1]
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2 + (2.625 - x + x * y ** 3) ** 2


PROBLEMS = {
    "rosenbrock": {"f": rosenbrock, "start": (-1.5, 2.0), "minimum": (1.0, 1.0),
                   "bounds": (-2.0, 2.0, -1.0, 3.0)},
    "beale": {"f": beale, "start": (1.0, 1.5), "minimum": (3.0, 0.5),
              "bounds": (-0.5, 4.0, -1.5, 2.0)},
}


def factories(switches: dict | None = None) -> dict:
    """name -> factory(params) -> optimizer; SWATS's instance is kept in ``switches``."""
    out = {}
    for name, (key, lr) in RACERS.items():
        def make(ps, key=key, lr=lr, name=name):
            opt = optim.get(key, ps, lr=lr)
            if switches is not None:
                switches[name] = opt
            return opt
        out[name] = make
    return out


def style(line, name: str, steps: int) -> None:
    """Give a drawn path or curve its racer's look; markers every tenth of the run."""
    look = dict(STYLES[name])
    line.set_markevery(max(1, steps // 10))
    line.set_markersize(6)
    line.set_linewidth(look.pop("linewidth", 1.4))
    for key, value in look.items():
        getattr(line, f"set_{key}")(value)


def legend_label(name: str, final: float, made: dict) -> str:
    """'Adam (lr 0.1): 9.43e-03', and whether SWATS switched."""
    label = f"{name} (lr {RACERS[name][1]:g}): {final:.2e}"
    if name == "SWATS":
        swats = made["SWATS"]
        label += (f", SGD from step {swats.switch_step}" if swats.switched else " (= Adam: no switch)")
    return label


def race(problem: str, steps: int, out_dir: Path) -> tuple[dict[str, np.ndarray], dict, Path]:
    """Run every racer on one problem; returns (paths, optimizers, picture)."""
    plt = pyplot()
    spec = PROBLEMS[problem]
    made: dict = {}
    fig, ax = plt.subplots(figsize=(10, 6))
    _, paths = optimizer_paths(spec["f"], factories(made), spec["start"], steps, ax=ax,
                               bounds=spec["bounds"])
    for line, name in zip(ax.get_lines(), paths):
        style(line, name, steps)
        line.set_label(legend_label(name, float(surface(spec["f"], *paths[name][-1:].T)[0]), made))
    ax.plot(*spec["minimum"], "r*", markersize=16, markeredgecolor="k", label=f"minimum {spec['minimum']}",
            zorder=6)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(f"{problem}: {steps} steps from {spec['start']} (black star); final loss in the legend")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0,
              title="optimizer: final loss")
    return paths, made, save_figure(fig, Path(out_dir) / f"race_{problem}.png")


def draw_losses(losses: dict[str, dict[str, np.ndarray]], out: Path) -> Path:
    """Loss against step for every racer, one panel per problem; the legend below the panels."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(losses), figsize=(6 * len(losses), 5))
    for ax, (problem, per) in zip(np.atleast_1d(axes), losses.items()):
        for name, curve in per.items():
            (line,) = ax.semilogy(np.maximum(curve, 1e-30), label=name)
            style(line, name, len(curve) - 1)
        ax.set_xlabel("step")
        ax.set_ylabel("loss (log scale)")
        low = min(np.nan_to_num(c[-1], nan=np.inf) for c in per.values())
        best = " = ".join(n for n, c in per.items() if c[-1] <= low * (1 + 1e-9))
        ax.set_title(f"{problem}: best final loss {low:.2e} ({best})")
    handles, labels = np.atleast_1d(axes)[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels) // 2 + 1, fontsize="small",
               bbox_to_anchor=(0.5, 0.0))
    fig.suptitle("loss against step, every optimizer from the same start")
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return save_figure(fig, out)


def main(out_dir: Path = OUT, fast: bool = False) -> dict:
    """Race on both problems (fast: 150 steps instead of 500); print the final losses."""
    steps = 150 if fast else 500
    out_dir = Path(out_dir)
    files, losses, result = [], {}, {"steps": steps, "start_loss": {}, "final": {}}
    for problem, spec in PROBLEMS.items():
        paths, made, path = race(problem, steps, out_dir)
        files.append(path)
        start_loss = float(spec["f"](np.array(spec["start"])))
        losses[problem] = {name: surface(spec["f"], pts[:, 0], pts[:, 1]) for name, pts in paths.items()}
        final = {name: float(curve[-1]) for name, curve in losses[problem].items()}
        result["start_loss"][problem] = start_loss
        result["final"][problem] = final
        print(f"{problem}: start {spec['start']} (loss {start_loss:g}), {steps} steps, "
              f"minimum 0 at {spec['minimum']}")
        for name, loss in sorted(final.items(), key=lambda kv: np.nan_to_num(kv[1], nan=np.inf)):
            x, y = paths[name][-1]
            print(f"  {name:>9} (lr {RACERS[name][1]:g}): final loss {loss:.3e} at ({x:.3f}, {y:.3f})")
        swats = made["SWATS"]
        print("  SWATS " + (f"switched to SGD at step {swats.switch_step} (lr {swats.sgd_lr:.3g})"
                            if swats.switched else "stayed with Adam the whole way"))
    files.append(draw_losses(losses, out_dir / "race_loss.png"))
    for f in files:
        print(f"wrote {f}")
    result["files"] = files
    return result


if __name__ == "__main__":
    main()
