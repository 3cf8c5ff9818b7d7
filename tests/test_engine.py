"""The engine's promises that are not one op: grad mode per thread, passes that leave
nothing behind when interrupted, the line budgets that keep it readable, no import cycle."""

import ast
import asyncio
import math
import pathlib
import threading

import numpy as np
import pytest

import microgradx as mg
from microgradx import autograd, fast, ops

PACKAGE = pathlib.Path(mg.__file__).parent


# ---- threads ------------------------------------------------------------------------------

def run_threads(*targets):
    errors = []

    def guard(fn):
        def run():
            try:
                fn()
            except BaseException as e:       # noqa: BLE001 - reported in the main thread
                errors.append(e)
        return run

    threads = [threading.Thread(target=guard(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors


def test_no_grad_in_one_thread_leaves_another_recording():
    inside, done = threading.Barrier(2), threading.Barrier(2)
    recorded = []

    def quiet():
        with mg.no_grad():
            inside.wait()
            done.wait()

    def train():
        inside.wait()                        # the other thread is inside no_grad now
        for _ in range(200):
            x = mg.Value(1.5)
            recorded.append((x * x).parents == (x, x))
        done.wait()

    run_threads(quiet, train)
    assert len(recorded) == 200 and all(recorded)


def test_interleaved_no_grad_blocks_leave_recording_on_everywhere():
    step = [threading.Barrier(2) for _ in range(3)]

    def a():
        with mg.no_grad():
            step[0].wait()                   # both inside
            step[1].wait()
        step[2].wait()                       # a left first, then b

    def b():
        step[0].wait()
        with mg.no_grad():
            step[1].wait()
        step[2].wait()

    run_threads(a, b)
    assert mg.is_grad_enabled()
    x = mg.Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0


def test_a_thread_started_inside_no_grad_records_as_a_new_thread_does():
    recorded = []

    def train():
        x = mg.Value(2.0)
        recorded.append(((x * x).parents == (x, x), mg.is_grad_enabled()))

    with mg.no_grad():                        # as PyTorch: grad mode is not handed to new threads
        run_threads(train)
        assert not mg.is_grad_enabled()
    assert recorded == [(True, True)]


def test_asyncio_tasks_each_keep_their_own_grad_mode_across_awaits():
    seen = {}

    async def quiet(started, resumed):
        with mg.no_grad():
            started.set()
            await resumed.wait()              # the other task builds a graph meanwhile
            seen["quiet"] = (mg.Value(1.0) * 2).is_leaf

    async def train(started, resumed):
        await started.wait()
        x = mg.Value(3.0)
        seen["train"] = (x * x).parents == (x, x)
        resumed.set()

    async def main():
        started, resumed = asyncio.Event(), asyncio.Event()
        await asyncio.gather(quiet(started, resumed), train(started, resumed))

    asyncio.run(main())
    assert seen == {"quiet": True, "train": True}
    assert mg.is_grad_enabled()


def test_anomaly_mode_is_per_thread():
    inside, done = threading.Barrier(2), threading.Barrier(2)
    results = []

    def checking():
        with mg.detect_anomaly():
            inside.wait()
            with pytest.raises(mg.AnomalyError):
                mg.Value(-1.0).log()
            done.wait()

    def plain():
        inside.wait()
        results.append(mg.Value(-1.0).log().data)      # nan, no error in this thread
        done.wait()

    run_threads(checking, plain)
    assert math.isnan(results[0])


@pytest.mark.parametrize("face", ["value", "tensor"])
def test_threads_backward_separate_graphs_as_one_after_the_other(face):
    def work(seed):
        rng = np.random.default_rng(seed)
        if face == "value":
            model = mg.nn.MLP(2, [4, 1], seed=seed)
            X = [[mg.Value(float(v)) for v in row] for row in rng.normal(size=(6, 2))]
            loss = mg.sum([(1 + -s).relu() for s in (model(x) for x in X)])
            params = model.parameters()
        else:
            params = [mg.Tensor(rng.normal(size=s), requires_grad=True) for s in ((2, 4), (4,), (4, 1))]
            W, b, V = params
            loss = (((mg.Tensor(rng.normal(size=(6, 2))) @ W + b).tanh() @ V) ** 2).mean()
        loss.backward()
        return [np.array(p.grad, dtype=float) for p in params]

    alone = {s: work(s) for s in range(4)}
    together = {s: [] for s in range(4)}

    def run(s):
        def go():
            for _ in range(5):
                together[s].append(work(s))
        return go

    run_threads(*(run(s) for s in range(4)))
    for s, results in together.items():
        assert len(results) == 5
        for got in results:
            for g, r in zip(got, alone[s]):
                np.testing.assert_array_equal(g, r)


def test_threads_sharing_leaves_get_exact_gradients_through_grad():
    """The documented rule: backward() into shared leaves races on .grad (as any Python float
    would); mg.grad returns each thread's gradients and touches no .grad."""
    w = mg.Value(0.5)
    got = []

    def go(k):
        def run():
            for i in range(200):
                x = float(k * 200 + i)
                (g,) = mg.grad((w * x).tanh(), [w])
                got.append((x, g.data))
        return run

    run_threads(*(go(k) for k in range(3)))
    assert len(got) == 600 and w.grad == 0.0
    for x, g in got:
        assert g == (1 - math.tanh(0.5 * x) ** 2) * x


# ---- interrupts -------------------------------------------------------------------------

class Once:
    """A VJP that raises ``exc`` the first time it is called, then does its job."""

    def __init__(self, vjp, exc):
        self.vjp, self.exc, self.fired = vjp, exc, False

    def __call__(self, *args):
        if not self.fired:
            self.fired = True
            raise self.exc
        return self.vjp(*args)


@pytest.mark.parametrize("exc", [KeyboardInterrupt(), RuntimeError("boom")])
@pytest.mark.parametrize("how", ["backward", "reference", "grad", "create_graph"])
def test_an_interrupted_pass_leaves_nothing_behind(monkeypatch, exc, how):
    x, w = mg.Value(0.7), mg.Value(-1.3)
    y = (w * x).tanh() * x + w
    monkeypatch.setattr(ops.TANH, "vjps", (Once(ops.TANH.vjps[0], exc),))

    def run():
        if how == "grad":
            return [g.data for g in mg.grad(y, [x, w])]
        if how == "create_graph":
            return [g.data for g in mg.grad(y, [x, w], create_graph=True)]
        x.grad = w.grad = 0.0
        with mg.use_fast_paths(how == "backward"):
            y.backward()
        return [x.grad, w.grad]

    with pytest.raises(type(exc)):
        run()
    assert mg.is_grad_enabled()
    t = math.tanh(-1.3 * 0.7)
    expected = [(1 - t * t) * -1.3 * 0.7 + t, (1 - t * t) * 0.7 * 0.7 + 1.0]
    assert run() == pytest.approx(expected, rel=1e-15)
    z = w * 3                                    # a new graph on the same leaves
    w.grad = 0.0
    z.backward()
    assert w.grad == 3.0 and mg.grad(z, [w])[0].data == 3.0


def test_an_interrupted_ordering_leaves_nothing_behind(monkeypatch):
    w = mg.Value(2.0)
    y = w * 3 + w
    real = autograd.parents_of
    calls = []

    def flaky(node):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(node)

    monkeypatch.setattr(autograd, "parents_of", flaky)
    with pytest.raises(KeyboardInterrupt):
        mg.grad(y, [w])
    monkeypatch.setattr(autograd, "parents_of", real)
    assert mg.grad(y, [w])[0].data == 4.0
    (w * 3).backward()
    assert w.grad == 3.0


def test_an_exception_inside_no_grad_or_a_forward_restores_grad_mode():
    with pytest.raises(ZeroDivisionError):
        with mg.no_grad():
            raise ZeroDivisionError
    assert mg.is_grad_enabled()

    class Bad(mg.Function):
        @staticmethod
        def forward(ctx, x):
            raise KeyboardInterrupt

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(KeyboardInterrupt):
        Bad.apply(mg.Value(1.0))
    assert mg.is_grad_enabled() and (mg.Value(1.0) * 2).parents != ()


def test_an_interrupted_dot_grid_leaves_nothing_behind(monkeypatch):
    model = mg.nn.MLP(3, [8, 8, 1], seed=1)
    X = [[mg.Value(float(v)) for v in row] for row in np.random.default_rng(1).normal(size=(20, 3))]
    loss = mg.sum([model(x) for x in X])
    real = fast._dot_grid
    monkeypatch.setattr(fast, "_dot_grid", Once(real, KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt), mg.use_fast_paths(True):
        loss.backward()
    model.zero_grad()
    loss.backward()
    after = [p.grad for p in model.parameters()]
    model.zero_grad()
    with mg.use_fast_paths(False):
        loss.backward()
    assert after == pytest.approx([p.grad for p in model.parameters()], rel=1e-12, abs=1e-12)


# ---- bad input ---------------------------------------------------------------------------

def test_grad_with_fewer_grad_outputs_than_outputs_says_so():
    x = mg.Value(1.0)
    with pytest.raises(ValueError, match="1 grad_outputs for 2 outputs"):
        mg.grad([x * 2, x * 3], [x], grad_outputs=[1.0])


def test_a_function_forward_that_returns_a_list_is_refused():
    class Listy(mg.Function):
        @staticmethod
        def forward(ctx, x):
            return [x, x]

        @staticmethod
        def backward(ctx, g):
            return g

    for x in (mg.Value(1.0), mg.Tensor([1.0], requires_grad=True)):
        with pytest.raises(TypeError, match="Listy.forward returned a list"):
            Listy.apply(x)


def test_math_functions_on_a_computed_value_warn_that_the_gradient_is_dropped():
    x = mg.Value(0.5)
    with pytest.warns(UserWarning, match="drops its gradient"):
        math.exp(x * 2)
    assert math.exp(x.item()) == math.exp(0.5)


def test_a_tensor_grad_output_is_differentiable_under_create_graph():
    torch = pytest.importorskip("torch")
    w = mg.Tensor(np.array([0.3, -0.2]), requires_grad=True)
    v = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (gw,) = mg.grad(w.tanh(), [w], grad_outputs=[v], create_graph=True)
    (dv,) = mg.grad((gw * w).sum(), [v])
    tw = torch.tensor([0.3, -0.2], dtype=torch.float64, requires_grad=True)
    tv = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    (tg,) = torch.autograd.grad(tw.tanh(), [tw], grad_outputs=[tv], create_graph=True)
    (tdv,) = torch.autograd.grad((tg * tw).sum(), [tv])
    np.testing.assert_allclose(dv.data, tdv.numpy(), rtol=1e-14)


# ---- readable: line budgets and no import cycle --------------------------------------------

def code_lines(fn_node, source_lines):
    """Lines of a function's body that are code (no docstring, comments or blank lines)."""
    body = fn_node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    lines = source_lines[body[0].lineno - 1:fn_node.end_lineno]
    return [ln for ln in lines if ln.strip() and not ln.strip().startswith("#")]


def test_the_reference_engine_fits_its_line_budgets():
    text = (PACKAGE / "autograd.py").read_text()
    assert len(text.splitlines()) <= 300
    value = (PACKAGE / "value.py").read_text()
    tree = ast.parse(value)
    methods = {f.name: f for c in tree.body if isinstance(c, ast.ClassDef) and c.name == "Value"
               for f in c.body if isinstance(f, ast.FunctionDef)}
    for name in ("__add__", "__mul__"):
        assert len(code_lines(methods[name], value.splitlines())) <= 3, name
    for path in ("autograd.py", "value.py", "tensor.py", "ops.py", "fast.py"):
        for node in ast.walk(ast.parse((PACKAGE / path).read_text())):
            if isinstance(node, ast.FunctionDef):
                assert node.end_lineno - node.lineno + 1 <= 50, f"{path}: {node.name}"


def test_the_package_has_no_import_cycle():
    graph = {}
    for path in PACKAGE.rglob("*.py"):
        mod = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        pkg = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = pkg.rsplit(".", node.level - 1)[0] if node.level > 1 else pkg
                target = f"{base}.{node.module}" if node.module else base
                deps.add(target)
        graph[mod] = deps
    def visit(mod, path):
        if mod in path:
            raise AssertionError(" -> ".join(path[path.index(mod):] + [mod]))
        for dep in graph.get(mod, ()):
            if dep != mod and not (mod.startswith(dep + ".") or dep == "microgradx"):
                visit(dep, path + [mod])
    for mod in ("microgradx.autograd", "microgradx.ops", "microgradx.value", "microgradx.tensor",
                "microgradx.fast", "microgradx.anomaly", "microgradx.function"):
        visit(mod, [])
