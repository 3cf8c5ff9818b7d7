"""Tensor engines side by side: a training step of a small MLP.

Peers: hand-written NumPy forward and backward (the floor), PyTorch CPU,
DeZero 0.0.13 and microgradx Tensor (its nn layers and losses, and the same
net written with raw Tensor ops). Two nets: 784-256-10 (ReLU, softmax
cross-entropy, batch 128, random data) and 2-16-16-1 on 100 moons (ReLU,
hinge loss mean(relu(1 - y*score)), batch 100), each in float32 and float64.
A step is forward, loss, backward and an SGD update, all from the same
initial weights; the first steps are checked to give the same losses.

Run alone with ``python -m bench tensor``.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import microgradx as mg

from .common import Report, fmt_ratio, fmt_time, interleaved

LR = 0.01
WARMUP = 20
STEPS = 200
ROUNDS = 4
CHECK_STEPS = 3


@dataclass
class Task:
    """One net, loss and batch: ``sizes`` of the layers, ``loss`` 'ce' or 'hinge'."""

    name: str
    sizes: tuple[int, ...]
    loss: str
    x: np.ndarray
    y: np.ndarray          # class indices for 'ce', (n, 1) labels in {-1, +1} for 'hinge'
    weights: list[tuple[np.ndarray, np.ndarray]]


def make_task(name: str, dtype: Any) -> Task:
    """The data and the initial weights (He normal, zero bias) of one task in one dtype."""
    rng = np.random.default_rng(0)
    if name == "mnist":
        sizes, loss = (784, 256, 10), "ce"
        x = rng.standard_normal((128, 784)).astype(dtype)
        y = rng.integers(0, 10, 128)
    else:
        sizes, loss = (2, 16, 16, 1), "hinge"
        X, labels = mg.data.make_moons(100, noise=0.1, seed=0)
        x = X.astype(dtype)
        y = mg.data.to_pm1(labels).astype(dtype).reshape(-1, 1)
    weights = [
        ((rng.standard_normal((a, b)) * np.sqrt(2.0 / a)).astype(dtype), np.zeros(b, dtype))
        for a, b in zip(sizes, sizes[1:])
    ]
    label = "-".join(map(str, sizes)) + f" {np.dtype(dtype).name}"
    return Task(label, sizes, loss, x, y, weights)


def _copies(task: Task) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(W.copy(), b.copy()) for W, b in task.weights]


# Each peer makes (step, weights): step() runs one training step and returns the
# loss (a number or the engine's scalar); weights() gives the current arrays.
Peer = Callable[[Task], tuple[Callable[[], Any], Callable[[], list[np.ndarray]]]]


def numpy_peer(task: Task) -> tuple[Callable[[], Any], Callable[[], list[np.ndarray]]]:
    """Forward and backward written by hand with NumPy: the floor."""
    params = _copies(task)
    x, y, n = task.x, task.y, len(task.x)
    rows = np.arange(n)
    last = len(params) - 1
    dtype = x.dtype.type

    def step() -> Any:
        acts = [x]
        a = x
        for i, (W, b) in enumerate(params):
            z = a @ W
            z += b
            a = np.maximum(z, 0, out=z) if i < last else z
            acts.append(a)
        if task.loss == "ce":
            z = a - a.max(axis=1, keepdims=True)
            e = np.exp(z)
            s = e.sum(axis=1, keepdims=True)
            loss = -(z[rows, y] - np.log(s[:, 0])).mean()
            dz = e / s
            dz[rows, y] -= 1
            dz *= dtype(1.0 / n)
        else:
            margin = 1 - y * a
            loss = np.maximum(margin, 0).mean()
            dz = np.where(margin > 0, -y, 0).astype(x.dtype) * dtype(1.0 / n)
        for i in range(last, -1, -1):
            W, b = params[i]
            a_in = acts[i]
            dW = a_in.T @ dz
            db = dz.sum(axis=0)
            if i:
                dz = dz @ W.T
                dz *= a_in > 0
            dW *= LR                # the step owns its gradients: scale them in place
            db *= LR
            W -= dW
            b -= db
        return loss

    return step, lambda: [p for pair in params for p in pair]


def torch_peer(task: Task) -> tuple[Callable[[], Any], Callable[[], list[np.ndarray]]]:
    """PyTorch CPU (one thread, as NumPy's BLAS): leaf tensors, the same ops, an in-place SGD update."""
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(1)
    params = [torch.tensor(p, requires_grad=True) for pair in _copies(task) for p in pair]
    x = torch.from_numpy(task.x)
    y = torch.from_numpy(task.y)
    pairs = list(zip(params[::2], params[1::2]))
    last = len(pairs) - 1

    def step() -> Any:
        a = x
        for i, (W, b) in enumerate(pairs):
            a = a @ W + b
            if i < last:
                a = torch.relu(a)
        loss = F.cross_entropy(a, y) if task.loss == "ce" else torch.relu(1 - y * a).mean()
        loss.backward()
        with torch.no_grad():
            for p in params:
                p.add_(p.grad, alpha=-LR)
                p.grad = None
        return loss

    return step, lambda: [p.detach().numpy() for p in params]


def dezero_peer(task: Task) -> tuple[Callable[[], Any], Callable[[], list[np.ndarray]]]:
    """DeZero 0.0.13: Linear layers, F.relu, F.softmax_cross_entropy, optimizers.SGD."""
    np.int = int  # type: ignore[attr-defined]  # DeZero 0.0.13 still uses np.int
    import dezero
    import dezero.functions as F
    import dezero.layers as L
    from dezero.optimizers import SGD

    dtype = task.x.dtype
    model = dezero.Model()
    linears = []
    for i, (W, b) in enumerate(_copies(task)):
        layer = L.Linear(W.shape[1], in_size=W.shape[0], dtype=dtype)
        layer.W.data, layer.b.data = W, b
        setattr(model, f"l{i}", layer)
        linears.append(layer)
    opt = SGD(LR).setup(model)
    x, y = task.x, task.y
    one, inv_n = np.asarray(1, dtype), np.asarray(1.0 / len(x), dtype)
    last = len(linears) - 1

    def step() -> Any:
        a = x
        for i, layer in enumerate(linears):
            a = layer(a)
            if i < last:
                a = F.relu(a)
        if task.loss == "ce":
            loss = F.softmax_cross_entropy(a, y)
        else:
            loss = F.sum(F.relu(one - y * a)) * inv_n
        model.cleargrads()
        loss.backward()
        opt.update()
        return loss

    return step, lambda: [p.data for layer in linears for p in (layer.W, layer.b)]


def _sgd_step(params: list) -> None:
    """microgradx's SGD update, as the floor's: each gradient is an array of its own, scaled in place."""
    for p in params:
        g = p.grad
        g *= LR
        p.data -= g
        p.grad = None


def microgradx_nn_peer(task: Task) -> tuple[Callable[[], Any], Callable[[], list[np.ndarray]]]:
    """microgradx as a user writes it: nn.Sequential of nn.Linear (the hidden ones with
    activation="relu", one node each), nn.cross_entropy / nn.hinge_loss."""
    weights = _copies(task)
    layers = []
    for i, (W, b) in enumerate(weights):
        hidden = i < len(weights) - 1
        layer = mg.nn.Linear(W.shape[0], W.shape[1], dtype=W.dtype, activation="relu" if hidden else None)
        layer.weight.data, layer.bias.data = np.ascontiguousarray(W.T), b     # torch's layout: (out, in)
        layers.append(layer)
    net = mg.nn.Sequential(*layers)
    params = net.parameters()
    x = mg.Tensor(task.x)
    loss_fn = mg.nn.cross_entropy if task.loss == "ce" else mg.nn.hinge_loss
    y = task.y

    def step() -> Any:
        loss = loss_fn(net(x), y)
        loss.backward()
        _sgd_step(params)
        return loss

    return step, lambda: [p.data.T if p.ndim == 2 else p.data for p in params]


def microgradx_ops_peer(task: Task) -> tuple[Callable[[], Any], Callable[[], list[np.ndarray]]]:
    """microgradx Tensor ops written out: ``(x @ W1 + b1).relu() @ W2 + b2``, the loss by hand."""
    params = [mg.Tensor(p, requires_grad=True) for pair in _copies(task) for p in pair]
    pairs = list(zip(params[::2], params[1::2]))
    x = mg.Tensor(task.x)
    y = task.y
    rows = np.arange(len(task.x))
    last = len(pairs) - 1

    def step() -> Any:
        a = x
        for i, (W, b) in enumerate(pairs):
            a = a @ W + b
            if i < last:
                a = a.relu()
        if task.loss == "ce":
            loss = -(a.log_softmax(axis=1)[rows, y]).mean()
        else:
            loss = (1 - y * a).relu().mean()
        loss.backward()
        _sgd_step(params)
        return loss

    return step, lambda: [p.data for p in params]


def microgradx_reference_peer(task: Task) -> tuple[Callable[[], Any], Callable[[], list[np.ndarray]]]:
    """microgradx nn with every backward through the reference driver (mg.use_fast_paths(False))."""
    step, weights = microgradx_nn_peer(task)

    def reference_step() -> Any:
        with mg.use_fast_paths(False):
            return step()

    return reference_step, weights


PEERS: dict[str, tuple[Peer, str | None]] = {
    "NumPy by hand": (numpy_peer, None),
    "PyTorch": (torch_peer, "torch"),
    "DeZero": (dezero_peer, "dezero"),
    "microgradx nn": (microgradx_nn_peer, None),
    "microgradx ops": (microgradx_ops_peer, None),
    "microgradx nn, reference": (microgradx_reference_peer, None),
}


def _loss_value(loss: Any) -> float:
    data = getattr(loss, "data", loss)
    return float(np.asarray(data.detach().numpy() if hasattr(data, "detach") else data))


def check(task: Task, peers: dict[str, Peer]) -> list[str]:
    """Run a few steps with every peer from the same weights; disagreements, if any."""
    tol = 1e-9 if task.x.dtype == np.float64 else 2e-4
    ref_losses = ref_weights = None
    problems = []
    for name, make in peers.items():
        step, weights = make(task)
        losses = [_loss_value(step()) for _ in range(CHECK_STEPS)]
        ws = [np.asarray(w, dtype=np.float64) for w in weights()]
        if ref_losses is None:
            ref_losses, ref_weights = losses, ws
            continue
        dl = max(abs(a - b) / max(abs(b), 1e-12) for a, b in zip(losses, ref_losses))
        dw = max(float(np.max(np.abs(a - b))) for a, b in zip(ws, ref_weights))
        if dl > tol or dw > tol * 10:
            problems.append(f"{name} disagrees with NumPy on {task.name}: loss rel. diff {dl:.2g}, "
                            f"weights max diff {dw:.2g}")
    return problems


def _verdict(name: str, times: dict) -> str:
    """The float32 targets of one net, by medians, to two decimals."""
    ours = times["microgradx nn"].median
    parts = []
    if name == "mnist":
        r = ours / times["NumPy by hand"].median
        parts.append(f"{r:.2f}x the NumPy step (target <= 1.15x: {'met' if r <= 1.15 else 'MISSED'})")
    elif "PyTorch" in times:
        r = times["PyTorch"].median / ours
        parts.append(f"{r:.2f}x faster than PyTorch (target >= 2x: {'met' if r >= 2 else 'MISSED'})")
    if "DeZero" in times:
        r = times["DeZero"].median / ours
        parts.append(f"{r:.2f}x faster than DeZero")
    if "microgradx nn, reference" in times:
        r = times["microgradx nn, reference"].median / ours
        parts.append(f"with mg.use_fast_paths(False) {r:.2f}x the time (Tensors have no fast pass: "
                     "the same pass, a control of the noise)")
    net = "784-256-10" if name == "mnist" else "2-16-16-1"
    return f"{net} float32, microgradx nn: " + "; ".join(parts)


def run(report: Report) -> None:
    """Time every peer on every task and add the tables to ``report``."""
    peers = {name: make for name, (make, module) in PEERS.items()
             if module is None or importlib.util.find_spec(module) is not None}
    missing = [name for name in PEERS if name not in peers]
    blas = os.environ.get("OPENBLAS_NUM_THREADS")
    section = report.section(
        f"Tensor: one training step (forward, loss, backward, SGD), median of {STEPS} steps"
        + (f", NumPy's BLAS on {blas} thread{'s' if blas != '1' else ''}" if blas else ""),
        ["net, dtype", *peers, "microgradx nn / NumPy", "PyTorch / microgradx nn", "DeZero / microgradx nn"])
    problems: list[str] = []
    verdicts: list[str] = []
    for name in ("mnist", "moons"):
        for dtype in (np.float32, np.float64):
            task = make_task(name, dtype)
            problems += check(task, peers)
            steps = {peer: make(task)[0] for peer, make in peers.items()}
            times = interleaved(steps, rounds=ROUNDS, per_round=STEPS // ROUNDS, warmup=WARMUP)
            ours = times["microgradx nn"]
            cells = [f"{fmt_time(t.median)} ({fmt_time(t.min)})" for t in times.values()]
            floor = times["NumPy by hand"]
            ratios = [f"{fmt_ratio(ours.median / floor.median)} ({fmt_ratio(ours.min / floor.min)})"]
            for peer in ("PyTorch", "DeZero"):
                t = times.get(peer)
                ratios.append(f"{fmt_ratio(t.median / ours.median)} ({fmt_ratio(t.min / ours.min)})"
                              if t else "n/a")
            section.add(task.name, *cells, *ratios)
            if dtype is np.float32:
                verdicts.append(_verdict(name, times))
            print(f"  {task.name}: " + ", ".join(f"{p} {c}" for p, c in zip(times, cells)), flush=True)
    section.note("cells: median (min) time of one step; ratios: of the medians (of the minimums); "
                 "microgradx nn is mg.nn.Sequential of mg.nn.Linear (the hidden ones with "
                 "activation='relu') with mg.nn.cross_entropy or mg.nn.hinge_loss, microgradx ops "
                 "the same net written with raw Tensor ops")
    section.note("updates: NumPy by hand and microgradx scale their own gradient arrays in place "
                 "(p -= g after g *= lr); PyTorch uses p.add_(p.grad, alpha=-lr), DeZero its SGD")
    section.note("targets (float32, BLAS on one thread for every engine): 784-256-10 within 1.15x "
                 "of NumPy; 2-16-16-1 at least 2x faster than PyTorch")
    for v in verdicts:
        section.note(v)
    section.note(f"the peers are timed in turns ({ROUNDS} rounds of {STEPS // ROUNDS} steps each, "
                 f"after {WARMUP} warm-up steps) so a busy moment of the machine hits all alike")
    for p in problems:
        section.note(f"CHECK FAILED: {p}")
    if not problems:
        section.note(f"checked: every peer gives NumPy's losses and weights over {CHECK_STEPS} steps "
                     "from the same initial weights")
    for name in missing:
        section.note(f"{name} is not installed and was skipped (pip install -r bench/requirements.txt)")
    report.show(section)
