"""Tests for the demo gallery: each demo runs headless, writes its pictures, and its claims hold."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import math
import re
import shutil
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from microgradx import cli  # noqa: E402
from microgradx.plot import optimizer_paths  # noqa: E402

DEMOS = Path(__file__).resolve().parent.parent / "demos"
GALLERY = [
    "gradient_field", "gradient_descent", "learning_rates", "local_minima", "saddle_point",
    "momentum", "optimizer_race", "minibatch", "loss_landscape", "neuron_graph",
    "newton", "simple_net", "explorer", "modes",
]
_modules: dict[str, ModuleType] = {}
FIGURES: dict[str, dict] = {}     # picture file name -> what was on the figure when it was saved


def _inside(points: np.ndarray, box) -> np.ndarray:
    x, y = points[:, 0], points[:, 1]
    return (x >= box.x0) & (x <= box.x1) & (y >= box.y0) & (y <= box.y1)


def _drawn_points(ax) -> np.ndarray:
    """Display coordinates of every line vertex and scatter point drawn inside the axes."""
    parts = [ax.transData.transform(np.asarray(line.get_xydata(), float)) for line in ax.get_lines()
             if len(line.get_xydata())]
    parts += [c.get_offset_transform().transform(np.asarray(c.get_offsets(), float)) for c in ax.collections
              if type(c).__name__ == "PathCollection" and len(c.get_offsets())]
    if not parts:
        return np.zeros((0, 2))
    pts = np.concatenate(parts)
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    return pts[_inside(pts, ax.get_window_extent())]


def describe_figure(fig) -> dict:
    """Titles, axis labels, every text and legend entry, and how many data points each legend covers."""
    fig.canvas.draw()
    axes = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    legends = [ax.get_legend() for ax in axes if ax.get_legend() is not None] + list(fig.legends)
    covered = sum(int(_inside(_drawn_points(ax), leg.get_window_extent()).sum())
                  for leg in legends for ax in axes)
    texts = [fig._suptitle.get_text() if fig._suptitle else ""]
    texts += [t.get_text() for ax in axes for t in (ax.title, *ax.texts)]
    texts += [t.get_text() for leg in legends for t in leg.get_texts()]
    series = [len([ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]) for ax in axes]
    return {"suptitle": texts[0], "titles": [ax.get_title() for ax in axes],
            "xlabels": [ax.get_xlabel() for ax in axes], "ylabels": [ax.get_ylabel() for ax in axes],
            "legends": len(legends), "labelled_series": max(series, default=0), "covered": covered,
            "text": "\n".join(texts)}


def demo(name: str) -> ModuleType:
    """demos/<name>.py as a module (loaded once)."""
    if name not in _modules:
        spec = importlib.util.spec_from_file_location(f"demo_{name}", DEMOS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _modules[name] = module
    return _modules[name]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[dict, str, Path]]:
    """Every gallery demo run once, small: name -> (returned numbers, printed text, out dir)."""
    from matplotlib.figure import Figure

    savefig = Figure.savefig

    def recording_savefig(fig, fname, *args, **kwargs):
        FIGURES[Path(fname).name] = describe_figure(fig)
        return savefig(fig, fname, *args, **kwargs)

    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Figure, "savefig", recording_savefig)
        for name in GALLERY:
            out_dir = tmp_path_factory.mktemp(name)
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                result = demo(name).main(out_dir=out_dir, fast=True)
            out[name] = (result, buf.getvalue(), out_dir)
    return out


# ---- every demo -------------------------------------------------------------------------

@pytest.mark.parametrize("name", GALLERY)
def test_demo_runs_headless_and_writes_its_pictures(runs, name):
    result, printed, out_dir = runs[name]
    files = [Path(f) for f in result["files"]]
    assert files
    for f in files:
        assert f.parent == out_dir and f.suffix in (".png", ".svg", ".dot", ".html")
        assert f.stat().st_size > 0
        assert f"wrote {f}" in printed
    assert sorted(out_dir.iterdir()) == sorted(files)


def assert_fit_for_a_lecture(picture: str, fig: dict) -> None:
    assert fig["suptitle"] or all(fig["titles"]), f"{picture}: an axes without a title"
    assert all(fig["xlabels"]) and all(fig["ylabels"]), f"{picture}: an axis without a label"
    if fig["labelled_series"] >= 2:
        assert fig["legends"] >= 1, f"{picture}: several labelled series and no legend"
    assert fig["covered"] == 0, f"{picture}: the legend covers {fig['covered']} data points"


@pytest.mark.parametrize("name", GALLERY)
def test_each_picture_has_a_title_axis_labels_and_a_legend_clear_of_the_data(runs, name):
    pictures = [Path(f).name for f in runs[name][0]["files"] if Path(f).suffix == ".png"]
    assert all(p in FIGURES for p in pictures)
    for picture in pictures:
        assert_fit_for_a_lecture(picture, FIGURES[picture])


def test_the_gradcheck_demos_pictures_are_fit_for_a_lecture(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    seen: dict[str, dict] = {}
    savefig = Figure.savefig

    def recording_savefig(fig, fname, *args, **kwargs):
        seen[Path(fname).name] = describe_figure(fig)
        return savefig(fig, fname, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", recording_savefig)
    with contextlib.redirect_stdout(io.StringIO()):
        diff = demo("numerical_diff").main(n_steps=13, out_dir=tmp_path)
        custom = demo("exercise_custom_op").main(out_dir=tmp_path)
    assert set(seen) == {"numerical_diff.png", "exercise_custom_op.png"}
    for picture, fig in seen.items():
        assert_fit_for_a_lecture(picture, fig)
    for m, order in diff["orders"].items():
        assert f"{m}: error ~ h^{order:.2f}" in seen["numerical_diff.png"]["text"]
    worst = custom["wrong"].worst
    assert f"worst {worst.where}: {worst.analytic:.3g} vs {worst.numeric:.3g}" in \
        seen["exercise_custom_op.png"]["text"]


def test_pictures_without_legends_would_be_caught():
    plt = pytest.importorskip("matplotlib.pyplot")
    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [0, 1, 2], label="a")
    ax.plot([0, 1, 2], [2, 1, 0], label="b")
    ax.legend(loc="center")
    described = describe_figure(fig)
    plt.close(fig)
    assert described["titles"] == [""] and described["xlabels"] == [""]
    assert described["labelled_series"] == 2 and described["covered"] >= 1


def test_the_numbers_each_demo_prints_are_on_its_picture(runs):
    result = runs["optimizer_race"][0]
    for problem, final in result["final"].items():
        text = FIGURES[f"race_{problem}.png"]["text"]
        for name, loss in final.items():
            assert f"{name} (lr " in text and f"{loss:.2e}" in text
        assert "SWATS" in text and ("no switch" in text or "SGD from step" in text)
    saddle = runs["saddle_point"][0]
    text = FIGURES["saddle_point.png"]["text"]
    for short, verdict in (("gd", "stuck at the saddle"), ("momentum", "escaped"), ("adam", "escaped")):
        assert f"|y| = {abs(saddle[f'{short}_end'][1]):.1e}, {verdict}" in text
    gd = runs["gradient_descent"][0]
    assert f"{gd['distance']:.3e}" in FIGURES["gradient_descent.png"]["text"]
    rates = runs["learning_rates"][0]
    for name, x in rates["final"].items():
        assert f"{name}: lr = {rates['rates'][name]}, x after {rates['steps']} steps = {x:.3g}" in \
            FIGURES["learning_rates.png"]["text"]
    minima = runs["local_minima"][0]
    ends = f"ends at x = {minima['end_left']:.3f}, f = {minima['f_left']:.3f}"
    assert ends in FIGURES["local_minima.png"]["text"]
    mom = runs["momentum"][0]
    assert f"ends at x = {mom['momentum_end']:.3f}" in FIGURES["momentum.png"]["text"]
    assert f"{runs['simple_net'][0]['max_difference']:.1e}" in FIGURES["simple_net.png"]["text"]
    rim = runs["loss_landscape"][0]["rim_mean"]
    assert f"mean on the rim {rim:.3f}" in FIGURES["loss_landscape.png"]["text"]
    assert "largest difference from (2 x0, 2 x1): 0.0e+00" in FIGURES["gradient_field.png"]["text"]
    batches = runs["minibatch"][0]
    for name, steps in batches["steps_per_epoch"].items():
        line = (f"{name}, {steps} steps/epoch: {batches['start_loss'][name]:.3f} → "
                f"{batches['final_loss'][name]:.3f}")
        assert line in FIGURES["minibatch.png"]["text"]
    newton = runs["newton"][0]
    assert f"gradient descent {abs(newton['gradient_descent'][-1] - 1):.2f}" in FIGURES["newton.png"]["text"]


def test_overlapping_paths_stay_visible(runs):
    race = demo("optimizer_race")
    adam, swats = race.STYLES["Adam"], race.STYLES["SWATS"]
    # SWATS follows Adam's path until it switches: Adam wide and pale beneath, SWATS dashed on top
    assert adam["linewidth"] > 2 * swats["linewidth"] and adam["alpha"] < 1
    assert swats["linestyle"] != adam["linestyle"] and swats.get("zorder", 2) > adam.get("zorder", 2)
    looks = {(s["color"], str(s["linestyle"]), s["marker"]) for s in race.STYLES.values()}
    assert len(looks) == len(race.RACERS)
    saddle = demo("saddle_point").STYLES
    gd, mom = saddle["gradient descent (lr 0.01)"], saddle["momentum 0.9 (lr 0.01)"]
    assert gd["linewidth"] > 2 * mom["linewidth"] and gd["alpha"] < 1 and mom["zorder"] > gd["zorder"]


@pytest.mark.parametrize("name", GALLERY)
def test_demo_has_a_docstring_and_is_listed(name):
    module = demo(name)
    assert module.__doc__ and f"demos/{name}.py" in module.__doc__
    assert name in cli.list_demos()
    assert (DEMOS / f"{name}.py").read_text().rstrip().endswith('if __name__ == "__main__":\n    main()')


def test_readme_lists_every_demo_and_links_their_pictures(runs):
    readme = (DEMOS / "README.md").read_text()
    for name in cli.list_demos():
        assert f"[`{name}.py`]({name}.py)" in readme, f"{name}.py missing from demos/README.md"
    written = {Path(f).name for result, _, _ in runs.values() for f in result["files"]}
    written.discard("neuron_graph.dot")
    written.add("neuron_graph.svg")
    linked = set(re.findall(r"\(out/([\w.]+)\)", readme))
    assert written <= linked
    for other in ("moons.png", "numerical_diff.png", "exercise_custom_op.png"):
        assert other in linked


# ---- the numbers each demo states ---------------------------------------------------------

def test_gradient_field_is_exactly_two_x(runs):
    result, printed, _ = runs["gradient_field"]
    assert result["max_error"] == 0.0 and result["points"] == 49
    X0, X1, G0, G1 = demo("gradient_field").gradient_grid(5, lim=2.0)
    np.testing.assert_array_equal(G0, 2 * X0)
    np.testing.assert_array_equal(G1, 2 * X1)
    assert "largest difference from the formula (2 x0, 2 x1): 0.0e+00" in printed


def test_gradient_descent_ends_within_1e_8_of_the_minimum(runs):
    result, printed, _ = runs["gradient_descent"]
    end = np.array(result["end"])
    assert result["start"] == (-3.0, 4.0) and result["lr"] == 0.1 and result["steps"] == 100
    assert np.linalg.norm(end) < 1e-8
    np.testing.assert_allclose(end, np.array([-3.0, 4.0]) * 0.8 ** 100, rtol=1e-9)
    assert f"{result['distance']:.3e}" in printed


def test_learning_rates_too_small_right_too_large(runs):
    result, printed, _ = runs["learning_rates"]
    x0, steps, final = result["x0"], result["steps"], result["final"]
    for name, lr in result["rates"].items():
        assert final[name] == pytest.approx(x0 * (1 - 2 * lr) ** steps, rel=1e-10)
    assert abs(final["too small"]) > 1.0                  # still far away
    assert abs(final["about right"]) < 1e-4
    too_large = np.array(result["paths"]["too large"])
    assert abs(final["too large"]) > x0                   # diverged ...
    assert np.all(np.sign(too_large[1:]) == -np.sign(too_large[:-1]))   # ... bouncing side to side
    assert np.all(np.abs(too_large[1:]) > np.abs(too_large[:-1]))


def minima(coeffs: list[float]) -> list[float]:
    """The minima of the polynomial whose derivative has ``coeffs``, by f''(x) > 0."""
    roots = np.roots(coeffs).real
    second = np.polyder(np.poly1d(coeffs))
    return sorted(float(r) for r in roots if second(r) > 0)


def test_local_minima_left_start_finds_the_global_one(runs):
    result, _, _ = runs["local_minima"]
    f = lambda x: x ** 4 - 3 * x ** 2 + x
    left, right = minima([4.0, 0.0, -6.0, 1.0])            # f'(x) = 4x^3 - 6x + 1
    assert f(left) < f(right)                              # left is the global minimum
    assert result["end_left"] == pytest.approx(left, abs=1e-6)
    assert result["end_right"] == pytest.approx(right, abs=1e-6)
    assert result["f_left"] < result["f_right"]


def test_saddle_gd_stays_while_momentum_and_adam_escape(runs):
    result, printed, _ = runs["saddle_point"]
    gd_x, gd_y = result["gd_end"]
    assert abs(gd_y) < 1e-3 and abs(gd_x) < 0.1            # sitting at the saddle (0, 0)
    for name in ("momentum", "adam"):
        assert abs(result[f"{name}_end"][1]) > result["threshold"] >= 1.0
    verdicts = [line.rsplit(": ", 1)[-1] for line in printed.splitlines() if "ends at" in line]
    assert verdicts == ["stuck at the saddle", "escaped", "escaped"]


def test_saddle_exactly_on_the_ridge_nobody_moves_off_it():
    saddle = demo("saddle_point")
    _, paths = optimizer_paths(saddle.f, saddle.OPTIMIZERS, (1.0, 0.0), 50)
    for pts in paths.values():
        np.testing.assert_array_equal(pts[:, 1], 0.0)


def test_momentum_passes_the_shallow_minimum_where_gd_stops(runs):
    result, printed, _ = runs["momentum"]
    f = lambda x: x ** 4 - 4 * x ** 2 + x
    deep, shallow = minima([4.0, 0.0, -8.0, 1.0])          # f'(x) = 4x^3 - 8x + 1
    assert f(deep) < f(shallow) and deep < 0 < shallow < result["x0"]
    assert result["gd_end"] == pytest.approx(shallow, abs=1e-6)
    assert result["momentum_end"] == pytest.approx(deep, abs=1e-4)
    assert "gradient descent stopped in the shallow minimum, momentum reached the deep one" in printed


def test_race_every_optimizer_lowers_both_losses(runs):
    result, printed, _ = runs["optimizer_race"]
    race = demo("optimizer_race")
    assert result["start_loss"]["rosenbrock"] == (1 + 1.5) ** 2 + 100 * (2 - 1.5 ** 2) ** 2
    assert result["start_loss"]["beale"] == pytest.approx(
        (1.5 - 1 + 1.5) ** 2 + (2.25 - 1 + 2.25) ** 2 + (2.625 - 1 + 1.5 ** 3) ** 2)
    for problem, final in result["final"].items():
        assert set(final) == set(race.RACERS)
        for name, loss in final.items():
            assert math.isfinite(loss) and loss < result["start_loss"][problem], (problem, name)
            assert f"{name:>9} (lr {race.RACERS[name][1]:g}): final loss {loss:.3e}" in printed


def test_race_functions_have_their_minimum_zero_where_stated():
    race = demo("optimizer_race")
    for spec in race.PROBLEMS.values():
        assert spec["f"](np.array(spec["minimum"])) == 0.0


def test_minibatch_smaller_batches_get_further_per_epoch(runs):
    result, _, _ = runs["minibatch"]
    n, epochs = result["n"], result["epochs"]
    assert result["steps_per_epoch"] == {"full batch": 1, "mini-batch 16": math.ceil(n / 16), "one sample": n}
    for name, curve in result["curves"].items():
        assert len(curve) == epochs * result["steps_per_epoch"][name] + 1
        assert result["final_loss"][name] < result["start_loss"][name]
    assert len(set(result["start_loss"].values())) == 1      # the same starting weights
    final = result["final_loss"]
    assert final["one sample"] < final["full batch"] and final["mini-batch 16"] < final["full batch"]


def test_loss_landscape_centre_is_the_trained_network(runs):
    result, _, _ = runs["loss_landscape"]
    assert result["centre_loss"] == pytest.approx(result["trained_loss"], rel=1e-12)
    assert result["min_loss"] <= result["centre_loss"] < result["rim_mean"] <= result["max_loss"]


def test_neuron_graph_values_and_gradients(runs):
    result, _, _ = runs["neuron_graph"]
    x1, x2, w1, w2, b = 2.0, 0.0, -3.0, 1.0, 6.8813735870195432
    o = math.tanh(x1 * w1 + x2 * w2 + b)
    assert result["o"] == pytest.approx(o, rel=1e-12) and o == pytest.approx(math.sqrt(0.5))
    dn = 1 - o ** 2
    expected = {"x1": w1 * dn, "x2": w2 * dn, "w1": x1 * dn, "w2": x2 * dn, "b": dn}
    assert result["grads"] == pytest.approx(expected, rel=1e-12)
    (path,) = result["files"]
    if shutil.which("dot"):
        assert path.suffix == ".svg" and "<svg" in path.read_text()
        assert all(label in path.read_text() for label in ("x1", "w1", "x2*w2", "tanh"))


def test_neuron_graph_without_graphviz_writes_the_dot_source(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    result = demo("neuron_graph").main(out_dir=tmp_path, fast=True)
    (path,) = result["files"]
    assert path.suffix == ".dot" and path.read_text().startswith("digraph")
    assert "Graphviz" in capsys.readouterr().err
    assert not (tmp_path / "neuron_graph.svg").exists()


# ---- newton: second derivatives by autograd ---------------------------------------------

def test_newton_iterates_are_x_minus_fprime_over_fsecond(runs):
    xs = runs["newton"][0]["newton"]
    assert xs[0] == 2.0
    for a, b in zip(xs, xs[1:]):
        by_hand = a - (4 * a**3 - 4 * a) / (12 * a**2 - 4)   # f' / f'' of x^4 - 2x^2
        assert b == pytest.approx(by_hand, rel=1e-14)
    assert abs(xs[-1] - 1.0) < 1e-12


def test_newton_converges_quadratically_and_beats_gradient_descent(runs):
    result = runs["newton"][0]
    errors = [abs(x - 1.0) for x in result["newton"]]
    # near the root the error squares: e_{k+1} ~ C e_k^2, C = f'''(1) / (2 f''(1)) = 24 / 16
    for e0, e1 in zip(errors[3:5], errors[4:6]):
        assert e1 == pytest.approx(1.5 * e0**2, rel=0.1)
    assert abs(result["gradient_descent"][-1] - 1.0) > 100 * errors[-2]


# ---- simple_net: autograd beside the numerical gradient ---------------------------------

def test_simple_net_gradient_is_softmax_minus_target_times_input(runs):
    result = runs["simple_net"][0]
    W, auto = result["W"], result["autograd"]
    x = np.array([0.6, 0.9])
    z = x @ W
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    by_hand = np.outer(x, p - np.array([0.0, 0.0, 1.0]))
    np.testing.assert_allclose(auto, by_hand, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(result["numerical"], by_hand, rtol=1e-7, atol=1e-9)
    assert result["max_difference"] < 1e-8


def test_explorer_pages_hold_the_lectures_numbers(runs):
    result, printed, out_dir = runs["explorer"]
    lecture = {"x1": -1.5, "x2": 0.5, "w1": 1.0, "w2": 0.0, "b": 0.5}
    assert result["grads"] == pytest.approx(lecture, abs=1e-12)
    assert result["o"] == pytest.approx(math.sqrt(0.5), abs=1e-12)
    assert "do/dx1 = -1.5, do/dx2 = 0.5, do/dw1 = 1, do/dw2 = 0, do/db = 0.5" in printed
    assert "v5   tanh  tanh v4     0.707107  1" in printed
    loss, model = demo("explorer").mlp_loss()          # the same seeded model, differentiated here
    loss.backward()
    page = (out_dir / "explorer_mlp.html").read_text(encoding="utf-8")
    data = json.loads(page.split('id="mgx-data">', 1)[1].split("</script>", 1)[0])
    shown = {n["label"]: n["grad"] for n in data["nodes"] if n["kind"] == "param"}
    expected = {re.sub(r"layers\.(\d)\.neurons\.(\d)\.(w\.)?", r"L\1.n\2.\3", name).replace("w.", "w"): p.grad
                for name, p in model.named_parameters()}
    assert shown == pytest.approx(expected, rel=1e-15) and len(shown) == 9
    assert result["loss"] == loss.data
    assert result["steps"] == {"neuron": 9, "mlp": len(data["steps"])}


# ---- modes: forward vs reverse mode, and Newton with mg.hessian ------------------------------

def test_modes_forward_passes_count_inputs_and_reverse_passes_count_outputs(runs):
    result, printed, _ = runs["modes"]
    sizes = result["sizes"]
    assert sizes == [1, 10, 100]
    f, g = result["f"], result["g"]
    assert f["forward_passes"] == sizes and f["reverse_passes"] == [1] * len(sizes)
    assert g["forward_passes"] == [1] * len(sizes) and g["reverse_passes"] == sizes
    # f = sum(sin(x) * x) is 3 op nodes (sin, mul, sum) and every pass reaches all 3;
    # g = sin(t a) * exp(-(t b)) is 6 (mul, sin, mul, neg, exp, mul), every pass reaching all 6
    assert f["forward_ops"] == [3 + 3 * n for n in sizes] and f["reverse_ops"] == [6] * len(sizes)
    assert g["forward_ops"] == [12] * len(sizes) and g["reverse_ops"] == [6 + 6 * m for m in sizes]
    assert result["max_abs_diff"] < 1e-14
    assert f"{result['max_abs_diff']:.1e}" in printed


def test_modes_newton_reaches_the_rosenbrock_minimum(runs):
    path = np.asarray(runs["modes"][0]["newton"])
    np.testing.assert_array_equal(path[0], [-1.2, 1.0])
    np.testing.assert_allclose(path[-1], [1.0, 1.0], rtol=0, atol=1e-12)
    x, y = path[0]                         # the first step by the hand-written gradient and Hessian
    grad = np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])
    hess = np.array([[2 - 400 * (y - x * x) + 800 * x * x, -400 * x], [-400 * x, 200.0]])
    np.testing.assert_allclose(path[1], path[0] - np.linalg.solve(hess, grad), rtol=1e-12)
    assert np.linalg.norm(path[5] - 1.0) < 1e-4 < np.linalg.norm(path[3] - 1.0)
