"""Numerical differentiation: tangent lines, and how the step h sets the error.

Left picture: y = 0.01x^2 + 0.1x with its tangent lines at x = 5 and x = 10,
whose slopes (0.2 and 0.3) come from central differences and agree with
autograd. Right picture: the error of forward and central differences of
exp at x = 1 against h, on log-log axes: forward falls like O(h) (slope 1),
central like O(h^2) (slope 2), until round-off makes both rise again for
tiny h. Writes demos/out/numerical_diff.png.

Run: python demos/numerical_diff.py
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

import microgradx as mg
from microgradx.gradcheck import numerical_diff
from microgradx.plot import pyplot, save_figure

HERE = Path(__file__).resolve().parent

OUT = HERE / "out"
FIT_RANGE = (1e-4, 1e-1)   # h where truncation error dominates round-off


def curve(x):
    """y = 0.01 x^2 + 0.1 x (works on floats and Values)."""
    return 0.01 * x**2 + 0.1 * x


def tangent_slopes(points: tuple[float, ...] = (5.0, 10.0)) -> dict[float, tuple[float, float]]:
    """Slope of ``curve`` at each point: (central difference, autograd)."""
    out = {}
    for p in points:
        x = mg.Value(p)
        curve(x).backward()
        out[p] = (numerical_diff(curve, p, h=1e-4, method="central"), x.grad)
    return out


def step_errors(hs: np.ndarray, x0: float = 1.0) -> dict[str, np.ndarray]:
    """|numeric - exact| of d/dx exp(x) at x0 for each h, per method."""
    exact = math.exp(x0)
    return {m: np.array([abs(numerical_diff(math.exp, x0, h=float(h), method=m) - exact) for h in hs])
            for m in ("forward", "central")}


def fitted_order(hs: np.ndarray, errors: np.ndarray, lo: float = FIT_RANGE[0],
                 hi: float = FIT_RANGE[1]) -> float:
    """Slope of log10(error) against log10(h) over lo <= h <= hi (the order of the method)."""
    keep = (hs >= lo * (1 - 1e-9)) & (hs <= hi * (1 + 1e-9)) & (errors > 0)
    if keep.sum() < 2:
        raise ValueError(f"need at least two step sizes in [{lo:g}, {hi:g}], got {int(keep.sum())}")
    return float(np.polyfit(np.log10(hs[keep]), np.log10(errors[keep]), 1)[0])


def draw(slopes: dict[float, tuple[float, float]], hs: np.ndarray, errors: dict[str, np.ndarray],
         out_dir: Path) -> Path:
    """Tangent lines (left) and error against h (right), saved as numerical_diff.png."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(13.5, 4.2))
    xs = np.linspace(0, 15, 200)
    left.plot(xs, curve(xs), color="k", label="y = 0.01x² + 0.1x")
    for (p, (slope, _)), color in zip(slopes.items(), ("tab:blue", "tab:orange")):
        left.plot(xs, curve(p) + slope * (xs - p), "--", color=color,
                  label=f"tangent at x={p:g}: slope {slope:.4g}")
        left.plot([p], [curve(p)], "o", color=color)
    left.set(xlabel="x", ylabel="y", title="Tangent lines from central differences", ylim=(-1, 5))
    left.legend(loc="upper left")
    for m, color in (("forward", "tab:red"), ("central", "tab:green")):
        right.loglog(hs, errors[m], "o-", color=color, ms=3,
                     label=f"{m}: error ~ h^{fitted_order(hs, errors[m]):.2f}, best {errors[m].min():.0e}")
    right.loglog(hs, hs * math.e / 2, ":", color="tab:red", label="O(h): e·h/2")
    right.loglog(hs, hs**2 * math.e / 6, ":", color="tab:green", label="O(h²): e·h²/6")
    right.axvspan(*FIT_RANGE, color="0.92", label="slopes fitted here")
    right.set(xlabel="step h", ylabel="|error| of d/dx exp(x) at x=1",
              title="Truncation error falls with h, round-off rises", ylim=(1e-13, 1))
    right.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0, fontsize=8)
    fig.tight_layout()
    return save_figure(fig, out_dir / "numerical_diff.png", crop=False)


def main(n_steps: int = 49, out_dir: Path = OUT) -> dict:
    """Run the demo with ``n_steps`` values of h from 1e-13 to 1e-1; print and return the numbers."""
    slopes = tangent_slopes()
    for p, (num, auto) in slopes.items():
        print(f"slope of y = 0.01x^2 + 0.1x at x={p:g}: central difference {num:.6f}, autograd {auto:.6f}")
    hs = np.logspace(-13, -1, n_steps)
    errors = step_errors(hs)
    orders = {m: fitted_order(hs, e) for m, e in errors.items()}
    best = {m: float(hs[np.argmin(e)]) for m, e in errors.items()}
    for m in errors:
        print(f"{m:>7} difference: error ~ h^{orders[m]:.2f} for h in [{FIT_RANGE[0]:g}, {FIT_RANGE[1]:g}];"
              f" smallest error {errors[m].min():.1e} at h = {best[m]:.0e}; at h = {hs[0]:.0e} round-off"
              f" makes it {errors[m][0]:.1e}")
    path = draw(slopes, hs, errors, Path(out_dir))
    print(f"wrote {path}")
    return {"slopes": slopes, "hs": hs, "errors": errors, "orders": orders, "best_h": best, "path": path}


if __name__ == "__main__":
    main()
