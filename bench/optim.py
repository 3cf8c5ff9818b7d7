"""One optimizer step side by side: microgradx.optim vs torch.optim (foreach=True).

Adam and SGD with momentum 0.9 over 10^4 Value parameters (PyTorch: 10^4
0-d tensors, and one tensor of 10^4 elements) and over one 10^6-element
Tensor (float32 and float64). Gradients are set once; only ``step()`` is timed.
The updates are checked against PyTorch's over a few steps first.

Run alone with ``python -m bench optim``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import numpy as np

import microgradx as mg

from .common import Report, fmt_ratio, fmt_time, interleaved

N_VALUES = 10_000
N_TENSOR = 1_000_000
CHECK_STEPS = 3
OPTIMIZERS: dict[str, tuple[str, dict[str, Any]]] = {
    "Adam": ("Adam", {"lr": 1e-3}),
    "SGD momentum": ("SGD", {"lr": 1e-2, "momentum": 0.9}),
}


def _arrays(n: int, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype)


def ours_values(opt: str, data: np.ndarray, grad: np.ndarray) -> tuple[Callable[[], Any], Callable]:
    """(step, current data) for microgradx over one Value per element."""
    cls, kw = OPTIMIZERS[opt]
    params = [mg.Value(float(d)) for d in data]
    for p, g in zip(params, grad.tolist()):
        p.grad = g
    o = getattr(mg.optim, cls)(params, **kw)
    return o.step, lambda: np.array([p.data for p in params])


def ours_tensor(opt: str, data: np.ndarray, grad: np.ndarray) -> tuple[Callable[[], Any], Callable]:
    """(step, current data) for microgradx over one Tensor."""
    cls, kw = OPTIMIZERS[opt]
    t = mg.Tensor(data.copy(), requires_grad=True)
    t.grad = grad.copy()
    o = getattr(mg.optim, cls)([t], **kw)
    return o.step, lambda: np.asarray(t.data)


def torch_scalars(opt: str, data: np.ndarray, grad: np.ndarray) -> tuple[Callable[[], Any], Callable]:
    """(step, current data) for torch.optim over one 0-d tensor per element."""
    import torch

    cls, kw = OPTIMIZERS[opt]
    params = [torch.tensor(d, dtype=torch.float64, requires_grad=True) for d in data.tolist()]
    for p, g in zip(params, grad.tolist()):
        p.grad = torch.tensor(g, dtype=p.dtype)
    o = getattr(torch.optim, cls)(params, foreach=True, **kw)
    return o.step, lambda: np.array([float(p) for p in params])


def torch_tensor(opt: str, data: np.ndarray, grad: np.ndarray) -> tuple[Callable[[], Any], Callable]:
    """(step, current data) for torch.optim over one tensor."""
    import torch

    cls, kw = OPTIMIZERS[opt]
    t = torch.tensor(data.copy(), requires_grad=True)
    t.grad = torch.tensor(grad.copy())
    o = getattr(torch.optim, cls)([t], foreach=True, **kw)
    return o.step, lambda: t.detach().numpy().copy()


Maker = Callable[[str, np.ndarray, np.ndarray], tuple[Callable[[], Any], Callable]]


def cases(have_torch: bool) -> list[tuple[str, int, Any, dict[str, Maker], int]]:
    """(label, size, dtype, contenders, timed steps per contender)."""
    value_peers: dict[str, Maker] = {"microgradx (Values)": ours_values}
    tensor_peers: dict[str, Maker] = {"microgradx (Tensor)": ours_tensor}
    if have_torch:
        value_peers["torch (0-d tensors)"] = torch_scalars
        value_peers["torch (one tensor)"] = torch_tensor
        tensor_peers["torch (one tensor)"] = torch_tensor
    return [
        (f"{N_VALUES:,} Value parameters, float64", N_VALUES, np.float64, value_peers, 40),
        (f"one Tensor of {N_TENSOR:,}, float32", N_TENSOR, np.float32, tensor_peers, 40),
        (f"one Tensor of {N_TENSOR:,}, float64", N_TENSOR, np.float64, tensor_peers, 40),
    ]


def run(report: Report) -> None:
    """Time each optimizer's step on each case; add the table to ``report``."""
    if importlib.util.find_spec("microgradx.optim") is None:
        print("microgradx.optim is not there yet: the optim group is skipped", flush=True)
        return
    have_torch = importlib.util.find_spec("torch") is not None
    if have_torch:
        import torch

        torch.set_num_threads(2)
    section = report.section("Optimizers: one step() (gradients already in place)",
                             ["parameters", "optimizer", "contender", "median", "min",
                              "torch / microgradx"])
    problems = []
    for label, n, dtype, peers, steps in cases(have_torch):
        data, grad = _arrays(n, dtype)
        for opt in OPTIMIZERS:
            finals = {}
            for name, make in peers.items():
                step, current = make(opt, data, grad)
                for _ in range(CHECK_STEPS):
                    step()
                finals[name] = current()
            ours = next(iter(finals.values()))
            tol = 1e-12 if dtype == np.float64 else 1e-6
            for name, final in finals.items():
                if not np.allclose(final, ours, rtol=tol, atol=tol):
                    problems.append(f"{opt} on {label}: {name} differs from microgradx by "
                                    f"{np.max(np.abs(final - ours)):.2g}")
            fns = {name: make(opt, data, grad)[0] for name, make in peers.items()}
            times = interleaved(fns, rounds=4, per_round=steps // 4, warmup=3)
            base = next(iter(times.values()))
            for name, t in times.items():
                ratio = "" if name.startswith("microgradx") else (
                    f"{fmt_ratio(t.median / base.median)} ({fmt_ratio(t.min / base.min)})")
                section.add(label, opt, name, fmt_time(t.median), fmt_time(t.min), ratio)
            print(f"  {label}, {opt}: " + ", ".join(f"{k} {fmt_time(t.median)}" for k, t in times.items()),
                  flush=True)
    section.note("torch.optim with foreach=True; torch / microgradx: ratio of the medians (of the "
                 "minimums); above 1 means microgradx is faster")
    for p in problems:
        section.note(f"CHECK FAILED: {p}")
    if not problems and have_torch:
        section.note(f"checked: after {CHECK_STEPS} steps every contender holds the same parameters")
    report.show(section)
