"""Scalar engines side by side: micrograd 0.1.0, microgradx Value, PyTorch 0-d tensors.

The moons training step of micrograd's demo (MLP(2, [16, 16, 1]), SVM loss
mean(relu(1 - y*score)) + 1e-4 * sum(p*p), full batch of 100, backward, SGD),
the memory each graph node takes, a 10^5-step chain, and the deepest chain
each engine can differentiate.

Run alone with ``python -m bench scalar``.
"""

from __future__ import annotations

import gc
import importlib.util
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import microgradx as mg
from microgradx.autograd import topological_order

from .common import Report, Timing, fmt_bytes, fmt_ratio, fmt_time, interleaved, time_calls
from .scalar_floor import Bare

SEED = 0
LR = 0.05
ALPHA = 1e-4
CHAIN = 100_000
DEPTHS = (10**2, 10**3, 10**4, 10**5, 10**6)
DEPTH_TIME_LIMIT = 60.0
ROUNDS = 5
ROOT = Path(__file__).resolve().parent.parent


def moons() -> tuple[list[list[float]], list[float]]:
    """The 100 moons points as lists of floats, labels in {-1, +1}."""
    X, y = mg.data.make_moons(100, noise=0.1, seed=SEED)
    return [[float(a), float(b)] for a, b in X], [float(v) for v in mg.data.to_pm1(y)]


# ---- the three ways to build one step's graph ---------------------------------
def fine_forward(layers: list, x: list) -> Any:
    """micrograd's neuron, ``sum((wi*xi ...), b)``: 2n binary nodes per neuron."""
    for layer in layers:
        out = []
        for w, b, nonlin in layer:
            act = sum((wi * xi for wi, xi in zip(w, x)), b)
            out.append(act.relu() if nonlin else act)
        x = out
    return x[0]


def svm_loss_binary(scores: list, ys: list[float], params: list) -> Any:
    """micrograd demo's loss, every sum a chain of binary adds."""
    losses = [(1 + -yi * si).relu() for yi, si in zip(ys, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in params)
    return data_loss + reg_loss


def make_micrograd(model: mg.nn.MLP, X: list, ys: list) -> tuple[Callable[[], Any], list]:
    """micrograd's own MLP with our model's initial weights; returns (build, params)."""
    from micrograd.engine import Value as MValue
    from micrograd.nn import MLP as MMLP

    m = MMLP(2, [16, 16, 1])
    for ours, theirs in zip(model.layers, m.layers):
        for n_ours, n_theirs in zip(ours.neurons, theirs.neurons):
            for w_ours, w_theirs in zip(n_ours.w, n_theirs.w):
                w_theirs.data = w_ours.data
            n_theirs.b.data = n_ours.b.data
    params = m.parameters()

    def build() -> Any:
        inputs = [list(map(MValue, row)) for row in X]
        scores = list(map(m, inputs))
        return svm_loss_binary(scores, ys, params)

    return build, params


def make_fine(model: mg.nn.MLP, X: list, ys: list) -> tuple[Callable[[], Any], list]:
    """microgradx Values in micrograd's fine-grained graph (binary nodes only)."""
    layers = [[(n.w, n.b, n.nonlin) for n in layer.neurons] for layer in model.layers]
    params = model.parameters()
    Value = mg.Value

    def build() -> Any:
        inputs = [[Value(a), Value(b)] for a, b in X]
        scores = [fine_forward(layers, x) for x in inputs]
        return svm_loss_binary(scores, ys, params)

    return build, params


def make_nary(model: mg.nn.MLP, X: list, ys: list) -> tuple[Callable[[], Any], list]:
    """microgradx's own MLP (a neuron is one dot node), mg.sum and mg.dot in the loss."""
    params = model.parameters()
    Value = mg.Value

    def build() -> Any:
        inputs = [[Value(a), Value(b)] for a, b in X]
        scores = [model(x) for x in inputs]
        losses = [(1 + -yi * si).relu() for yi, si in zip(ys, scores)]
        return mg.sum(losses) * (1.0 / len(losses)) + ALPHA * mg.dot(params, params)

    return build, params


def make_floor(model: mg.nn.MLP, X: list, ys: list) -> tuple[Callable[[], Any], list]:
    """The pure-Python floor (:mod:`bench.scalar_floor`) on micrograd's graph, with our model's weights."""
    layers = [[([Bare(w.data) for w in n.w], Bare(n.b.data), n.nonlin) for n in layer.neurons]
              for layer in model.layers]
    params = [p for layer in layers for w, b, _ in layer for p in (*w, b)]

    def build() -> Any:
        inputs = [[Bare(a), Bare(b)] for a, b in X]
        scores = [fine_forward(layers, x) for x in inputs]
        return svm_loss_binary(scores, ys, params)

    return build, params


def make_step(build: Callable[[], Any], params: list) -> Callable[[], Any]:
    """One training step: build the loss, zero grads, backward, SGD update.

    Every call starts from the weights ``params`` hold when the step is made:
    the update is undone at the end, so every engine is timed on the same
    step (the same margins met, the same relus dead) however many steps it
    is timed for.
    """
    start = [p.data for p in params]

    def step() -> Any:
        loss = build()
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
        for p, d in zip(params, start):
            p.data = d
        return loss.data

    return step


def count_micrograd(root: Any) -> int:
    """Nodes of a micrograd graph, walking ``_prev`` without recursion."""
    seen = {id(root)}
    stack = [root]
    while stack:
        for p in stack.pop()._prev:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return len(seen)


def graph_memory(build: Callable[[], Any], count: Callable[[Any], int]) -> tuple[int, int]:
    """(bytes allocated while building one forward graph, its node count)."""
    with_gc = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        root = build()
        used = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        return used, count(root)
    finally:
        if with_gc:
            gc.enable()
        gc.collect()


def _count_ours(root: Any) -> int:
    return len(topological_order([root]))


# ---- chains -----------------------------------------------------------------------
def chain_ours(n: int) -> float:
    """Build ``y = y*1.0001 + 0.0001`` n times on a Value and backpropagate."""
    x = mg.Value(1.0)
    y = x
    for _ in range(n):
        y = y * 1.0001 + 0.0001
    y.backward()
    return x.grad


def chain_torch(n: int) -> float:
    """The same chain on a 0-d float64 PyTorch tensor."""
    import torch

    x = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    y = x
    for _ in range(n):
        y = y * 1.0001 + 0.0001
    y.backward()
    return float(x.grad)


def chain_micrograd(n: int) -> float:
    """The same chain on micrograd's Value."""
    from micrograd.engine import Value as MValue

    x = MValue(1.0)
    y = x
    for _ in range(n):
        y = y * 1.0001 + 0.0001
    y.backward()
    return float(x.grad)


def deepest(engine: str) -> tuple[str, str]:
    """Run bench.deep for one engine in a subprocess; (largest depth that worked, what stopped it)."""
    budget = DEPTH_TIME_LIMIT * len(DEPTHS) + 60
    proc = subprocess.Popen([sys.executable, "-m", "bench.deep", engine], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=budget)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        err = f"killed after {budget:.0f} s"
    best, why = "none", ""
    for line in out.splitlines():
        parts = line.split(maxsplit=2)
        if len(parts) >= 2 and parts[1] == "ok":
            best = f"{int(parts[0]):,} ({fmt_time(float(parts[2]))})"
        elif len(parts) >= 2 and parts[1] == "fail":
            why = f"{int(parts[0]):,}: {parts[2] if len(parts) > 2 else ''}"
    if not why and proc.returncode not in (0, None):
        last = (err.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
        why = f"crashed (exit code {proc.returncode}): {last}"
    return best, why or "all depths worked"


def _installed(module: str) -> bool:
    # find_spec does not import: importing torch here would add ~150k objects that
    # Python's cyclic gc then walks in every full collection of the steps timed below
    return importlib.util.find_spec(module) is not None


# ---- the group --------------------------------------------------------------------
def on_reference(step: Callable[[], Any]) -> Callable[[], Any]:
    """``step`` with every backward through the reference driver (mg.use_fast_paths(False))."""
    def run() -> Any:
        with mg.use_fast_paths(False):
            return step()
    return run


def run(report: Report) -> None:
    """Run every scalar benchmark and add its sections to ``report``."""
    X, ys = moons()
    have_mg0 = _installed("micrograd")
    have_torch = _installed("torch")

    # one set of initial weights for every engine, checked to give the same loss and grads
    model = mg.nn.MLP(2, [16, 16, 1], seed=SEED)
    fine_build, params = make_fine(model, X, ys)
    nary_build, _ = make_nary(model, X, ys)
    builds: dict[str, tuple[Callable[[], Any], list]] = {}
    if have_mg0:
        builds["micrograd 0.1.0"] = make_micrograd(model, X, ys)
    builds["microgradx (a) binary nodes"] = (fine_build, params)
    builds["microgradx (b) n-ary nodes"] = (nary_build, params)
    floor_name = "pure-Python floor of (a)"
    floor = {floor_name: make_floor(model, X, ys)}
    check = report.section("Scalar: do the engines compute the same step?",
                           ["engine", "loss", "max |grad - grad of (b)|"])
    reference = None
    for name, (build, ps) in reversed({**builds, **floor}.items()):
        for p in ps:
            p.grad = 0.0
        loss = build()
        loss.backward()
        grads = [float(p.grad) for p in ps]
        reference = grads if reference is None else reference
        check.add(name, f"{loss.data:.12g}", f"{max(abs(a - b) for a, b in zip(grads, reference)):.2g}")
        del loss
    for p in params:
        p.grad = 0.0
    report.show(check)

    # node counts and memory per node
    mem = report.section("Scalar: memory of one forward graph (moons, 100 points)",
                         ["engine", "nodes", "bytes", "bytes / node"])
    per_node: dict[str, float] = {}
    counters = {"micrograd 0.1.0": count_micrograd}
    for name, (build, _) in builds.items():
        used, nodes = graph_memory(build, counters.get(name, _count_ours))
        per_node[name] = used / nodes
        mem.add(name, f"{nodes:,}", fmt_bytes(used), f"{used / nodes:.0f}")
    if have_mg0:
        ratio = per_node["microgradx (a) binary nodes"] / per_node["micrograd 0.1.0"]
        mem.note(f"(a) bytes/node are {ratio:.2f} of micrograd's (target <= 0.33: "
                 f"{'met' if ratio <= 1 / 3 else 'MISSED'})")
    report.show(mem)

    # the training step, gc on and off
    steps = report.section(
        "Scalar: moons training step (MLP 2-16-16-1, SVM loss + L2, full batch 100, SGD)",
        ["engine", "gc", "median", "min", "steps", "vs micrograd gc off"])
    # gc off: the engines take turns, each turn's garbage collected after it, untimed;
    # gc on: one engine at a time, so none pays for collecting another's cycles
    plan = {"micrograd 0.1.0": (2, 5), "microgradx (a) binary nodes": (3, 20),
            "microgradx (b) n-ary nodes": (5, 50), floor_name: (3, 20),
            "microgradx (a), reference driver": (3, 20), "microgradx (b), reference driver": (3, 20)}
    timed = {**builds, **floor, "microgradx (a), reference driver": (fine_build, params),
             "microgradx (b), reference driver": (nary_build, params)}
    step_of = {name: make_step(build, ps) if "reference" not in name else on_reference(make_step(build, ps))
               for name, (build, ps) in timed.items()}
    times: dict[tuple[str, bool], Timing] = {}
    for name in timed:
        warmup, repeats = plan[name]
        times[name, True] = time_calls(step_of[name], repeats, warmup, gc_on=True)
    off = interleaved(step_of,
                      rounds=ROUNDS, per_round={name: -(-plan[name][1] // ROUNDS) for name in timed},
                      warmup=1, gc_on=False)
    times.update({(name, False): t for name, t in off.items()})
    base = times.get(("micrograd 0.1.0", False))
    for (name, gc_on), t in sorted(times.items(), key=lambda kv: (list(timed).index(kv[0][0]),
                                                                   not kv[0][1])):
        ratio = fmt_ratio(base.median / t.median) if base else "n/a"
        steps.add(name, "on" if gc_on else "off", fmt_time(t.median), fmt_time(t.min), t.n, ratio)
    if base:
        base_on = times["micrograd 0.1.0", True]
        for label, target in (("microgradx (a) binary nodes", 2.5), ("microgradx (b) n-ary nodes", 10),
                              ("microgradx (a), reference driver", None),
                              ("microgradx (b), reference driver", None)):
            off = base.median / times[label, False].median
            off_min = base.min / times[label, False].min
            cross = base.median / times[label, True].median
            both_on = base_on.median / times[label, True].median
            met = "met" if target and off >= target else "MISSED"
            verdict = f"target >= {target}x: {met}" if target else "no target"
            steps.note(f"{label}: {off:.1f}x faster than micrograd, both with gc off, by medians "
                       f"({off_min:.1f}x by minimums); {verdict}. "
                       f"With gc on for both: {both_on:.1f}x; ours with gc on against micrograd's "
                       f"gc-off figure: {cross:.1f}x")
        floor_off = base.median / times[floor_name, False].median
        ours_vs_floor = times["microgradx (a) binary nodes", False].median / times[floor_name, False].median
        steps.note(f"{floor_name}: {floor_off:.1f}x faster than micrograd with gc off "
                   f"({base.min / times[floor_name, False].min:.1f}x by minimums); microgradx (a) takes "
                   f"{ours_vs_floor:.2f}x its time. The floor (bench/scalar_floor.py) is the least a "
                   "pure-Python engine does for this graph: one slotted object per op, the three "
                   "derivatives inline, every edge followed, nothing else")
        gc_share = 1 - times["micrograd 0.1.0", False].median / times["micrograd 0.1.0", True].median
        steps.note(f"micrograd spends {gc_share:.0%} of a gc-on step in the cyclic collector "
                   "(its closures make every node a reference cycle)")
    else:
        steps.note("micrograd is not installed: pip install -r bench/requirements.txt")
    report.show(steps)

    # the 10^5 chain
    chain = report.section(f"Scalar: a {CHAIN:,}-step chain y = y*1.0001 + 0.0001, built and backpropagated",
                           ["engine", "gc", "median", "min", "runs", "vs PyTorch"])
    rows = [("microgradx Value", True, lambda: chain_ours(CHAIN), 5),
            ("microgradx Value", False, lambda: chain_ours(CHAIN), 5),
            ("microgradx Value, reference driver", True, on_reference(lambda: chain_ours(CHAIN)), 3)]
    if have_torch:
        rows.append(("PyTorch 0-d float64", True, lambda: chain_torch(CHAIN), 3))
    ctimes = {}
    for name, gc_on, fn, repeats in rows:
        ctimes[name, gc_on] = time_calls(fn, repeats, warmup=1, gc_on=gc_on)
    torch_t = ctimes.get(("PyTorch 0-d float64", True))
    for (name, gc_on), t in ctimes.items():
        ratio = fmt_ratio(torch_t.median / t.median) if torch_t else "n/a"
        chain.add(name, "on" if gc_on else "off", fmt_time(t.median), fmt_time(t.min), t.n, ratio)
    if torch_t:
        r = torch_t.median / ctimes["microgradx Value", True].median
        chain.note(f"microgradx (gc on) is {r:.1f}x faster than PyTorch; target >= 5x: "
                   f"{'met' if r >= 5 else 'MISSED'}")
    report.show(chain)

    # the deepest chain
    deep = report.section("Scalar: the deepest chain each engine can backpropagate",
                          ["engine", "largest depth that worked (its time)", "what stopped it"])
    engines = ["microgradx"] + (["micrograd"] if have_mg0 else []) + (["torch"] if have_torch else [])
    for engine in engines:
        t0 = time.perf_counter()
        best, why = deepest(engine)
        deep.add(engine, best, why)
        print(f"  deep chain {engine}: {best}; {why} [{time.perf_counter() - t0:.0f} s]", flush=True)
    deep.note(f"depths tried: {', '.join(f'{d:,}' for d in DEPTHS)}, each engine in its own "
              f"subprocess, {DEPTH_TIME_LIMIT:.0f} s limit per depth")
    report.show(deep)
