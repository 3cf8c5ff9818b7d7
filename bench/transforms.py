"""Function transforms side by side: microgradx's jacrev / jacfwd / hessian against torch.func's.

- ``jacrev`` of f: R^100 -> R, f(x) = sum(sin(x * w) * x + tanh(x) * v):
  one evaluation and one reverse pass.
- ``jacfwd`` of g: R^1 -> R^100, g(t) = sin(t * a) * exp(-(t * b)) + t * t:
  one evaluation and one forward pass.
- ``hessian`` of f on R^10 (forward over reverse, both sides).

Every call starts from plain data (an ndarray / a tensor), as a user's does,
and the results are checked equal (float64) before timing. Target: within 3x
of torch.func.

Run alone with ``python -m bench transforms``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import numpy as np

import microgradx as mg

from .common import Report, fmt_ratio, fmt_time, interleaved

ROUNDS = 5
PER_ROUND = 40
TARGET = 3.0


def problems() -> dict[str, dict[str, Any]]:
    """Each case: the microgradx call, the torch.func call (None without torch) and their inputs."""
    rng = np.random.default_rng(0)
    w, v = rng.standard_normal(100), rng.standard_normal(100)
    a, b = np.linspace(0.5, 2.0, 100), np.linspace(0.1, 1.0, 100)
    x, x10, t = rng.standard_normal(100), rng.standard_normal(10), np.array([0.7])

    def f(x: mg.Tensor) -> mg.Tensor:
        n = x.shape[0]
        return ((x * w[:n]).sin() * x + x.tanh() * v[:n]).sum()

    def g(t: mg.Tensor) -> mg.Tensor:
        return (t * a).sin() * (-(t * b)).exp() + t * t

    cases: dict[str, dict[str, Any]] = {
        "jacrev, f: R^100 -> R": {"ours": lambda: mg.jacrev(f)(x)},
        "jacfwd, g: R -> R^100": {"ours": lambda: mg.jacfwd(g)(t)},
        "hessian, f: R^10 -> R": {"ours": lambda: mg.hessian(f)(x10)},
    }
    if importlib.util.find_spec("torch") is not None:
        import torch
        import torch.func as tf

        tw, tv, ta, tb = (torch.tensor(z) for z in (w, v, a, b))
        tx, tx10, tt = torch.tensor(x), torch.tensor(x10), torch.tensor(t)

        def tfn(x: Any) -> Any:
            n = x.shape[0]
            return ((x * tw[:n]).sin() * x + x.tanh() * tv[:n]).sum()

        def tgn(t: Any) -> Any:
            return (t * ta).sin() * (-(t * tb)).exp() + t * t

        cases["jacrev, f: R^100 -> R"]["torch"] = lambda: tf.jacrev(tfn)(tx)
        cases["jacfwd, g: R -> R^100"]["torch"] = lambda: tf.jacfwd(tgn)(tt)
        cases["hessian, f: R^10 -> R"]["torch"] = lambda: tf.hessian(tfn)(tx10)
    return cases


def _check(ours: Callable[[], Any], theirs: Callable[[], Any]) -> float:
    return float(np.max(np.abs(np.asarray(ours()) - theirs().numpy())))


def run(report: Report) -> None:
    """Time each transform against torch.func and add the table to ``report``."""
    cases = problems()
    section = report.section(
        f"Transforms: one Jacobian / Hessian from plain data, median of {ROUNDS * PER_ROUND} calls",
        ["transform", "microgradx", "torch.func", "microgradx / torch.func"])
    verdicts, notes = [], []
    for name, case in cases.items():
        fns = {"microgradx": case["ours"]}
        if "torch" in case:
            diff = _check(case["ours"], case["torch"])
            if not diff <= 1e-12:
                notes.append(f"CHECK FAILED: {name}: the results differ by {diff:.2e}")
            fns["torch.func"] = case["torch"]
        times = interleaved(fns, rounds=ROUNDS, per_round=PER_ROUND, warmup=5)
        ours = times["microgradx"]
        theirs = times.get("torch.func")
        ratio = ours.median / theirs.median if theirs else None
        section.add(name, f"{fmt_time(ours.median)} ({fmt_time(ours.min)})",
                    f"{fmt_time(theirs.median)} ({fmt_time(theirs.min)})" if theirs else "n/a",
                    f"{fmt_ratio(ratio)} ({fmt_ratio(ours.min / theirs.min)})" if theirs else "n/a")
        if ratio is not None and not name.startswith("hessian"):
            verdicts.append(f"{name}: {'met' if ratio <= TARGET else 'missed'} "
                            f"({fmt_ratio(ratio)} of torch.func's time, target <= {TARGET:g}x)")
        print(f"  {name}: " + ", ".join(f"{k} {fmt_time(t.median)}" for k, t in times.items()), flush=True)
    section.note("cells: median (min) time of one call, f evaluated inside it; ratios: of the medians "
                 "(of the minimums); below 1x microgradx is faster")
    section.note("forward mode derives each node's JVP from its VJP (microgradx/forward.py): for Tensors "
                 "one small backward pass per node, so jacfwd's cost grows with the graph's node count, "
                 "not with the 100 outputs")
    if not any("torch" in c for c in cases.values()):
        section.note("torch is not installed: microgradx alone")
    for v in verdicts:
        section.note(f"target {v}")
    for n in notes:
        section.note(n)
    if not notes and all("torch" in c for c in cases.values()):
        section.note("checked: every result equals torch.func's to 1e-12 (float64)")
    report.show(section)
