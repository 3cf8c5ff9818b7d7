"""The flagship demo (micrograd's moons) trains to >= 98% and draws its pictures."""

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest

import microgradx as mg

ROOT = Path(__file__).resolve().parent.parent


def _load_demo():
    spec = importlib.util.spec_from_file_location("moons_demo", ROOT / "demos" / "moons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_moons_demo_reaches_98_percent_and_its_loss_falls():
    demo = _load_demo()
    model, X, y, history = demo.train(steps=100, verbose=False)
    with mg.no_grad():
        scores = np.array([model(list(x)).data for x in X])
    accuracy = np.mean((scores > 0) == (y > 0))
    assert accuracy >= 0.98
    assert history[-1][0] < history[0][0] / 10


def test_moons_loss_is_micrograds_svm_loss():
    demo = _load_demo()
    X, y01 = mg.data.make_moons(20, noise=0.1, seed=3)
    y = y01 * 2.0 - 1.0
    model = mg.nn.MLP(2, [4, 1], seed=0)
    loss, acc = demo.svm_loss(model, X, y)
    with mg.no_grad():
        s = np.array([model(list(x)).data for x in X])
    params = np.array([p.data for p in model.parameters()])
    expected = np.mean(np.maximum(0.0, 1 - y * s)) + 1e-4 * np.sum(params**2)
    assert loss.data == pytest.approx(expected, rel=1e-12)
    assert acc == pytest.approx(np.mean((s > 0) == (y > 0)))


def test_moons_demo_writes_the_boundary_and_the_neuron_graph(tmp_path):
    demo = _load_demo()
    model, X, y, _ = demo.train(steps=2, n=20, verbose=False)
    written = demo.draw(model, X, y, out_dir=tmp_path)
    names = {p.name for p in written}
    assert "moons.png" in names
    assert (tmp_path / "moons.png").stat().st_size > 1000
    if shutil.which("dot"):
        svg = (tmp_path / "neuron.svg").read_text()
        assert "w0" in svg and "x1" in svg and "out" in svg
    # the graph shows one backward pass where the neuron fires: d out/d w_i = x_i, d out/d b = 1
    neuron = model.layers[0].neurons[0]
    point = next(p for p in X if neuron(list(p)).data > 0)
    assert neuron.b.grad == 1.0
    assert [w.grad for w in neuron.w] == [float(v) for v in point]
