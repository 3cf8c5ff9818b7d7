"""Tests for microgradx.plot: what each picture contains, the data it returns, bad inputs."""

from __future__ import annotations

import os
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import microgradx as mg
from microgradx import optim
from microgradx.nn.layers import Linear, ReLU, Sequential
from microgradx.nn.losses import hinge_loss
from microgradx.plot import (
    decision_boundary,
    filter_normalize,
    loss_curve,
    loss_landscape,
    optimizer_paths,
    random_directions,
    surface,
)

matplotlib = pytest.importorskip("matplotlib")
plt = pytest.importorskip("matplotlib.pyplot")
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def contour_sets(ax) -> list[ContourSet]:
    return [c for c in ax.collections if isinstance(c, ContourSet)]


def written(path) -> bool:
    return path.is_file() and path.stat().st_size > 0


# ---- matplotlib, lazily --------------------------------------------------------

def test_missing_matplotlib_says_how_to_install(monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install microgradx\[plot\]"):
        loss_curve([1.0, 0.5])


def test_headless_uses_agg(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "MPLBACKEND")}
    code = ("import microgradx.plot as p, matplotlib; p.loss_curve([1.0, 0.5]); "
            "print(matplotlib.get_backend().lower())")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         cwd=tmp_path, timeout=120, check=True)
    assert out.stdout.strip().endswith("agg")


# ---- loss_curve ------------------------------------------------------------------

def test_loss_curve_of_a_list_draws_it_and_saves(tmp_path):
    losses = [3.0, 2.0, 1.5, 1.2]
    fig = loss_curve(losses, path=tmp_path / "sub" / "loss.png")
    (ax,) = fig.axes
    (line,) = ax.lines
    np.testing.assert_array_equal(line.get_ydata(), losses)
    np.testing.assert_array_equal(line.get_xdata(), np.arange(4))
    assert ax.get_yscale() == "linear"
    assert written(tmp_path / "sub" / "loss.png")


@pytest.mark.parametrize("history", [
    {"loss": [1.0, 0.5, 0.25], "accuracy": [0.5, 0.75, 1.0]},
    SimpleNamespace(loss=[1.0, 0.5, 0.25], accuracy=[0.5, 0.75, 1.0]),
])
def test_loss_curve_puts_accuracy_on_a_second_axis(history, tmp_path):
    fig = loss_curve(history, path=tmp_path / "h.svg")
    loss_ax, acc_ax = fig.axes
    np.testing.assert_array_equal(loss_ax.lines[0].get_ydata(), [1.0, 0.5, 0.25])
    np.testing.assert_array_equal(acc_ax.lines[0].get_ydata(), [0.5, 0.75, 1.0])
    assert acc_ax.get_ylabel() == "accuracy"
    assert (tmp_path / "h.svg").read_text().lstrip().startswith("<?xml")


def test_loss_curve_without_accuracy_has_one_axis():
    fig = loss_curve(SimpleNamespace(loss=[1.0, 0.5], accuracy=[]))
    assert len(fig.axes) == 1


def test_loss_curve_of_a_fit_history_is_per_epoch_and_skips_a_nan_accuracy():
    from microgradx.train import History

    fig = loss_curve(History(loss=[0.5, 0.25], accuracy=[0.75, 1.0], lr=[0.1, 0.1]))
    assert len(fig.axes) == 2 and fig.axes[0].get_xlabel() == "epoch"
    regression = loss_curve(History(loss=[0.5, 0.25], accuracy=[np.nan, np.nan], lr=[0.1, 0.1]))
    assert len(regression.axes) == 1
    assert loss_curve([1.0, 0.5]).axes[0].get_xlabel() == "step"
    assert loss_curve([1.0, 0.5], xlabel="update").axes[0].get_xlabel() == "update"


def test_loss_curve_of_named_curves_draws_one_line_each_with_a_legend():
    fig = loss_curve({"sgd": [1.0, 0.9, 0.8], "adam": [1.0, 0.4]})
    (ax,) = fig.axes
    assert [line.get_label() for line in ax.lines] == ["sgd", "adam"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["sgd", "adam"]


def test_loss_curve_goes_log_when_the_loss_spans_decades():
    assert loss_curve([1e3, 1.0, 1e-3]).axes[0].get_yscale() == "log"
    assert loss_curve([1e3, 1.0, 1e-3], logy=False).axes[0].get_yscale() == "linear"


def test_loss_curve_draws_on_a_given_axes():
    fig, (a, b) = plt.subplots(1, 2)
    assert loss_curve([1.0, 0.5], ax=b) is fig
    assert len(a.lines) == 0 and len(b.lines) == 1


def test_loss_curve_accepts_value_entries():
    fig = loss_curve([mg.Value(2.0), mg.Value(1.0)])
    np.testing.assert_array_equal(fig.axes[0].lines[0].get_ydata(), [2.0, 1.0])


@pytest.mark.parametrize("history, err, match", [
    ([], ValueError, "empty"),
    ({}, ValueError, "empty dict"),
    ("loss", TypeError, "list of numbers"),
    (5, TypeError, "history must be"),
    ([[1.0, 2.0], [3.0, 4.0]], ValueError, r"shape \(2, 2\)"),
    (["a", "b"], TypeError, "list of numbers"),
    ({"loss": [1.0], "accuracy": ["x"]}, TypeError, "accuracy"),
    ({"sgd": [1.0], "adam": []}, ValueError, "adam"),
])
def test_loss_curve_rejects_bad_histories(history, err, match):
    with pytest.raises(err, match=match):
        loss_curve(history)


def test_bad_path_and_ax_are_named(tmp_path):
    with pytest.raises(ValueError, match="no suffix"):
        loss_curve([1.0], path=tmp_path / "loss")
    with pytest.raises(TypeError, match="matplotlib Axes"):
        loss_curve([1.0], ax="left")


# ---- decision_boundary --------------------------------------------------------------

def moons():
    X, y = mg.data.make_moons(30, noise=0.1, seed=3)
    return X, y


def test_decision_boundary_of_a_scalar_mlp_has_regions_and_points(tmp_path):
    X, y = moons()
    fig = decision_boundary(mg.nn.MLP(2, [8, 1], seed=0), X, y, h=0.1, path=tmp_path / "db.png")
    (ax,) = fig.axes
    assert len(contour_sets(ax)) == 1
    (points,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    np.testing.assert_allclose(points.get_offsets(), X)
    assert written(tmp_path / "db.png")


def twins(seed: int = 0):
    """A Value MLP and a tensor network with the same weights."""
    mlp = mg.nn.MLP(2, [5, 1], seed=seed)
    net = Sequential(Linear(2, 5), ReLU(), Linear(5, 1))
    for layer, lin in zip(mlp.layers, (net[0], net[2])):
        lin.weight.data = np.array([[w.data for w in n.w] for n in layer.neurons])
        lin.bias.data = np.array([n.b.data for n in layer.neurons])
    return mlp, net


def test_scalar_and_tensor_networks_with_equal_weights_draw_equal_regions():
    X, y = moons()
    mlp, net = twins()
    a = contour_sets(decision_boundary(mlp, X, y, h=0.1).axes[0])[0]
    b = contour_sets(decision_boundary(net, X, y, h=0.1).axes[0])[0]
    assert len(a.allsegs) == len(b.allsegs) == 2
    for sa, sb in zip(a.allsegs, b.allsegs):
        assert len(sa) == len(sb)
        for pa, pb in zip(sa, sb):
            np.testing.assert_allclose(pa, pb)
    assert sum(len(s) for s in a.allsegs[1]) > 0   # the network predicts class 1 somewhere


def test_a_plain_function_on_tensors_splits_the_plane_where_its_score_changes_sign():
    X = np.array([[-1.0, 0.0], [1.0, 0.5], [0.5, -1.0], [-0.5, 1.0]])
    y = np.array([0, 1, 1, 0])
    h = 0.05
    cs = contour_sets(decision_boundary(lambda T: T[:, 0], X, y, h=h).axes[0])[0]
    class0 = np.concatenate(cs.allsegs[0])
    class1 = np.concatenate(cs.allsegs[1])
    assert class0[:, 0].max() <= h and class1[:, 0].min() >= -h


def test_several_outputs_are_classes_by_argmax():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]])
    y = np.array([0, 1, 2])
    W = mg.Tensor(np.array([[1.0, 0.0, -1.0], [0.0, 1.0, 0.0]]))
    cs = contour_sets(decision_boundary(lambda T: T @ W, X, y, h=0.1).axes[0])[0]
    assert len(cs.allsegs) == 3
    assert all(len(seg) > 0 for seg in cs.allsegs)


@pytest.mark.parametrize("X, y, h, err, match", [
    (np.ones((4, 3)), [0, 1, 0, 1], 0.1, ValueError, r"\(N, 2\).*\(4, 3\)"),
    (np.ones((4, 2)), [0, 1, 0], 0.1, ValueError, "4 points but y has 3"),
    (np.ones((4, 2)), [0, 1, 0, 1], 0.0, ValueError, "h must be"),
    (np.ones((4, 2)), [0, 1, 0, 1], "0.1", TypeError, "h must be a number"),
    (np.ones((4, 2)), [0, 1, 0, 1], 1e-4, ValueError, "larger h"),
    ([[np.nan, 0.0]], [0], 0.1, ValueError, "NaN"),
])
def test_decision_boundary_rejects_bad_inputs(X, y, h, err, match):
    with pytest.raises(err, match=match):
        decision_boundary(mg.nn.MLP(2, [1], seed=0), X, y, h=h)


def test_decision_boundary_names_a_model_that_returns_no_score():
    with pytest.raises(TypeError, match="must return a Value"):
        decision_boundary(lambda p: "yes", np.ones((2, 2)), [0, 1], h=0.5)


# ---- optimizer_paths ----------------------------------------------------------------

def bowl(p):
    return p[0] ** 2 + p[1] ** 2


def test_sgd_paths_follow_the_formula_and_the_picture_has_one_line_each(tmp_path):
    opts = {"slow": lambda ps: optim.SGD(ps, lr=0.05), "fast": lambda ps: optim.SGD(ps, lr=0.2)}
    fig, paths = optimizer_paths(bowl, opts, start=(-3.0, 4.0), steps=10, path=tmp_path / "p.png")
    k = np.arange(11)[:, None]
    for name, lr in (("slow", 0.05), ("fast", 0.2)):
        assert paths[name].shape == (11, 2)
        np.testing.assert_allclose(paths[name], np.array([-3.0, 4.0]) * (1 - 2 * lr) ** k, rtol=1e-12)
    (ax,) = fig.axes
    assert [line.get_label() for line in ax.lines] == ["slow", "fast"]
    assert len(contour_sets(ax)) == 1
    assert written(tmp_path / "p.png")


def test_a_function_of_two_values_gives_the_same_paths_as_of_one_tensor():
    opts = {"adam": lambda ps: optim.Adam(ps, lr=0.1),
            "momentum": lambda ps: optim.SGD(ps, lr=0.01, momentum=0.9)}
    _, a = optimizer_paths(lambda p: (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2, opts, (-1.5, 2.0), 30)
    _, b = optimizer_paths(lambda x, y: (1 - x) ** 2 + 100 * (y - x ** 2) ** 2, opts, (-1.5, 2.0), 30)
    for name in opts:
        np.testing.assert_allclose(a[name], b[name], rtol=1e-12)


def test_adam_path_on_rosenbrock_matches_pytorch():
    torch = pytest.importorskip("torch")
    _, paths = optimizer_paths(lambda p: (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2,
                               {"adam": lambda ps: optim.Adam(ps, lr=0.05)}, (-1.5, 2.0), 40)
    p = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], lr=0.05)
    ref = [p.detach().numpy().copy()]
    for _ in range(40):
        opt.zero_grad()
        ((1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2).backward()
        opt.step()
        ref.append(p.detach().numpy().copy())
    np.testing.assert_allclose(paths["adam"], np.array(ref), rtol=1e-10, atol=1e-12)


def test_a_diverging_path_stops_with_nan_and_does_not_stretch_the_picture():
    opts = {"calm": lambda ps: optim.SGD(ps, lr=0.01), "wild": lambda ps: optim.SGD(ps, lr=5.0)}
    fig, paths = optimizer_paths(lambda p: p[0] ** 4 + p[1] ** 4, opts, (1.0, 1.0), 20)
    wild = paths["wild"]
    assert np.isnan(wild[-1]).all() and np.isfinite(wild[1]).all()
    assert np.all(np.isfinite(paths["calm"]))
    lo, hi = fig.axes[0].get_xlim()
    assert -10 < lo and hi < 10


def test_given_bounds_are_the_axes_limits():
    fig, _ = optimizer_paths(bowl, {"sgd": lambda ps: optim.SGD(ps, lr=0.1)}, (1.0, 1.0), 3,
                             bounds=(-2, 3, -1, 4))
    ax = fig.axes[0]
    assert ax.get_xlim() == (-2.0, 3.0) and ax.get_ylim() == (-1.0, 4.0)


@pytest.mark.parametrize("kwargs, err, match", [
    ({"optimizers": {}}, TypeError, "non-empty dict"),
    ({"optimizers": {"sgd": "sgd"}}, TypeError, r"optimizers\['sgd'\] must be a factory"),
    ({"optimizers": {"bad": lambda ps: ps}}, TypeError, r"optimizers\['bad'\] returned list"),
    ({"start": (1.0, 2.0, 3.0)}, ValueError, "start must be a finite point"),
    ({"start": (np.inf, 0.0)}, ValueError, "start must be a finite point"),
    ({"steps": 0}, ValueError, "steps must be at least 1"),
    ({"steps": 2.5}, TypeError, "steps must be an int"),
    ({"bounds": (1, 0, 0, 1)}, ValueError, "xmin < xmax"),
    ({"bounds": (0, 1)}, ValueError, "bounds must be"),
    ({"f": lambda p: p * 2}, ValueError, "scalar"),
    ({"f": 3}, TypeError, "f must be a function"),
])
def test_optimizer_paths_rejects_bad_inputs(kwargs, err, match):
    args = {"f": bowl, "optimizers": {"sgd": lambda ps: optim.SGD(ps, lr=0.1)}, "start": (1.0, 1.0),
            "steps": 2}
    args.update(kwargs)
    with pytest.raises(err, match=match):
        optimizer_paths(**args)


@pytest.mark.parametrize("f", [
    lambda p: (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2,  # elementwise: one vectorised call
    lambda p: (p * p).sum(),                                    # sums everything: point by point
    lambda p: p[0] * p.sum() - p[0] * p[1],                     # right shape, wrong values: caught
    lambda x, y: mg.sum([x * x, y * y]),                        # Values only
])
def test_surface_is_f_at_every_grid_point(f):
    xx, yy = np.meshgrid(np.linspace(-2, 2, 7), np.linspace(-1, 3, 5))
    if f.__code__.co_argcount == 2:
        truth = [[f(mg.Value(a), mg.Value(b)).data for a, b in zip(r, s)] for r, s in zip(xx, yy)]
    else:
        truth = [[f(mg.Tensor([a, b])).item() for a, b in zip(r, s)] for r, s in zip(xx, yy)]
    np.testing.assert_allclose(surface(f, xx, yy), truth, rtol=1e-12)


# ---- filter normalisation and loss_landscape -------------------------------------------

@settings(max_examples=40, deadline=None)
@given(st.data())
def test_filter_normalize_gives_each_filter_its_weights_norm(data):
    shape = data.draw(hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=5))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    floats = st.floats(-10, 10, allow_nan=False).filter(lambda v: abs(v) > 1e-3)
    d = data.draw(hnp.arrays(np.float64, shape, elements=floats))
    # weights near 1e-160 would make squares underflow inside np.linalg.norm itself
    weights = st.floats(-10, 10).filter(lambda v: v == 0 or abs(v) > 1e-100)
    w = data.draw(hnp.arrays(np.float64, shape, elements=weights))
    out = filter_normalize(d, w, axis=axis)
    for i in range(shape[axis]):
        di, wi, oi = (np.take(a, i, axis=axis) for a in (d, w, out))
        assert np.linalg.norm(oi) == pytest.approx(np.linalg.norm(wi), rel=1e-12, abs=1e-12)
        if np.linalg.norm(wi) > 0:   # only the length changes, not the direction
            np.testing.assert_allclose(oi / np.linalg.norm(oi), di / np.linalg.norm(di),
                                       rtol=1e-9, atol=1e-12)


def test_filter_normalize_of_a_vector_is_one_filter_and_zero_stays_zero():
    out = filter_normalize([3.0, 4.0], [0.0, 10.0])
    np.testing.assert_allclose(out, [6.0, 8.0])
    np.testing.assert_array_equal(filter_normalize(np.zeros((2, 2)), np.ones((2, 2))), np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"shape \(2,\).*shape \(3,\)"):
        filter_normalize([1.0, 2.0], [1.0, 2.0, 3.0])


def test_directions_of_a_scalar_mlp_are_normalised_per_neuron_with_zero_biases():
    mlp = mg.nn.MLP(3, [4, 2], seed=1)
    params = mlp.parameters()
    index = {id(p): i for i, p in enumerate(params)}
    d1, d2 = random_directions(mlp, 2, seed=5)
    assert len(d1) == len(params)
    for d in (d1, d2):
        for layer in mlp.layers:
            for n in layer.neurons:
                dw = np.array([d[index[id(w)]] for w in n.w])
                assert np.linalg.norm(dw) == pytest.approx(np.linalg.norm([w.data for w in n.w]), rel=1e-12)
                assert d[index[id(n.b)]] == 0.0
    assert not np.allclose(np.array(d1, dtype=float), np.array(d2, dtype=float))


def test_directions_of_a_tensor_network_are_normalised_per_output_unit():
    net = Sequential(Linear(3, 4, seed=0), ReLU(), Linear(4, 2, seed=1))
    (d,) = random_directions(net, 1, seed=0)
    (again,) = random_directions(net, 1, seed=0)
    for p, dp, ap in zip(net.parameters(), d, again):
        assert dp.shape == p.shape
        np.testing.assert_array_equal(dp, ap)
        if p.ndim == 2:
            # one row per output unit (torch's (out, in) layout)
            np.testing.assert_allclose(np.linalg.norm(dp, axis=1), np.linalg.norm(p.data, axis=1), rtol=1e-12)
        else:
            np.testing.assert_array_equal(dp, 0.0)


def hinge(net, X, y):
    return hinge_loss(net(X)[:, 0], y)


def test_loss_landscape_grid_is_the_loss_along_the_directions_and_weights_come_back(tmp_path):
    X, y01 = moons()
    y = 2.0 * y01 - 1
    net = Sequential(Linear(2, 6, seed=0), ReLU(), Linear(6, 1, seed=1))
    before = [p.data.copy() for p in net.parameters()]
    fig, L = loss_landscape(net, hinge, X, y, steps=5, span=0.5, seed=3, path=tmp_path / "l.png")
    assert L.shape == (5, 5)
    for p, b in zip(net.parameters(), before):
        np.testing.assert_array_equal(p.data, b)
    with mg.no_grad():
        assert L[2, 2] == pytest.approx(hinge(net, X, y).item(), rel=1e-12)
    d1, d2 = random_directions(net, 2, seed=3)
    coords = np.linspace(-0.5, 0.5, 5)
    for i, j in [(0, 4), (1, 3), (4, 0)]:
        moved = Sequential(Linear(2, 6), ReLU(), Linear(6, 1))
        for q, p, u, v in zip(moved.parameters(), net.parameters(), d1, d2):
            q.data = p.data + coords[j] * u + coords[i] * v
        with mg.no_grad():
            assert L[i, j] == pytest.approx(hinge(moved, X, y).item(), rel=1e-12)
    assert len(contour_sets(fig.axes[0])) == 2               # filled contours and lines
    assert any(ax.name == "3d" for ax in fig.axes)
    assert written(tmp_path / "l.png")


def test_loss_landscape_of_a_scalar_mlp():
    X, y01 = moons()
    mlp = mg.nn.MLP(2, [3, 1], seed=0)
    loss = lambda m, X, y: mg.sum([(1 - float(t) * m(list(x))).relu() for x, t in zip(X, 2 * y - 1)]) / len(X)
    before = [p.data for p in mlp.parameters()]
    _, L = loss_landscape(mlp, loss, X, y01, steps=3)
    assert [p.data for p in mlp.parameters()] == before
    with mg.no_grad():
        assert L[1, 1] == pytest.approx(loss(mlp, X, y01).data, rel=1e-12)
    assert np.all(np.isfinite(L)) and L.max() > L[1, 1]


def test_loss_landscape_restores_the_weights_when_the_loss_fails():
    X, y01 = moons()
    net = Sequential(Linear(2, 3, seed=0))
    before = [p.data.copy() for p in net.parameters()]
    calls = []

    def flaky(m, X, y):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("boom")
        return m(X).sum()

    with pytest.raises(RuntimeError, match="boom"):
        loss_landscape(net, flaky, X, y01, steps=3)
    for p, b in zip(net.parameters(), before):
        np.testing.assert_array_equal(p.data, b)


@pytest.mark.parametrize("kwargs, err, match", [
    ({"steps": 1}, ValueError, "steps must be at least 2"),
    ({"span": 0.0}, ValueError, "span must be"),
    ({"span": np.nan}, ValueError, "span must be"),
    ({"loss_fn": "mse"}, TypeError, "loss_fn must be a function"),
    ({"loss_fn": lambda m, X, y: m(X)}, ValueError, "must return a scalar"),
    ({"loss_fn": lambda m, X, y: "low"}, TypeError, "loss_fn must return"),
    ({"model": lambda x: x}, TypeError, r"\.parameters\(\)"),
    ({"model": Sequential(ReLU())}, ValueError, "no parameters"),
])
def test_loss_landscape_rejects_bad_inputs(kwargs, err, match):
    X, y01 = moons()
    args = {"model": Sequential(Linear(2, 1, seed=0)), "loss_fn": lambda m, X, y: m(X).sum(),
            "X": X, "y": y01, "steps": 3}
    args.update(kwargs)
    with pytest.raises(err, match=match):
        loss_landscape(**args)
