"""The explorer page in a real headless Chromium (Debian's ``chromium``), driven with Playwright.

Skipped, with the reason, where Chromium or the playwright package is missing.
Set MICROGRADX_ARTIFACTS to a folder to keep the screenshots.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import microgradx as mg

CHROMIUM = os.environ.get("MICROGRADX_CHROMIUM", "/usr/bin/chromium")
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

B = 6.8813735870195432
HOSTILE = '</script><img src=x onerror="window.__pwned=1">'


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


@pytest.fixture
def open_page(browser, tmp_path):
    """Open a page file; fail the test on any page error, console error or request off the file."""
    opened = []

    def go(path: Path):
        page = browser.new_page(viewport={"width": 1400, "height": 820})
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                if m.type in ("error", "warning") else None)
        page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
        page.on("request", lambda r: None if r.url.startswith("file://")
                else problems.append(f"request {r.url}"))
        page.goto(path.as_uri())
        opened.append((page, problems))
        return page, problems

    yield go
    for page, problems in opened:
        assert problems == []
        page.close()


def keep(page, tmp_path: Path, name: str) -> Path:
    """A screenshot, in tmp_path and (when MICROGRADX_ARTIFACTS is set) copied there."""
    shot = tmp_path / name
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    folder = os.environ.get("MICROGRADX_ARTIFACTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(folder) / name)
    return shot


def neuron():
    x1, x2 = mg.Value(2.0, label="x1"), mg.Value(0.0, label="x2")
    w1, w2, b = mg.Value(-3.0, label="w1"), mg.Value(1.0, label="w2"), mg.Value(B, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1w1"
    x2w2 = x2 * w2
    x2w2.label = "x2w2"
    s = x1w1 + x2w2
    s.label = "s"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def number(page, selector: str) -> float:
    return float(page.locator(selector).text_content())


def current_label(page) -> str:
    nodes = page.locator("g.node.current")
    assert nodes.count() == 1
    return nodes.locator("text.lbl").text_content()


def shown_grad(page, label: str) -> str:
    box = page.locator("g.node").filter(has=page.locator(f'text.lbl:text-is("{label}")'))
    return box.locator("text.grd").text_content()


def test_stepping_shows_the_engines_numbers(open_page, tmp_path):
    y = neuron()
    path = mg.explore(y, tmp_path / "neuron.html").save(tmp_path / "neuron.html")
    page, _ = open_page(path)
    steps = mg.backward_steps(y)
    n_forward = 5
    total = n_forward + 1 + len(steps)
    assert page.locator("#mgx-count").text_content() == f"step 0 of {total}"
    assert page.locator("#mgx-slider").get_attribute("max") == str(total)
    for k in range(n_forward):            # the forward pass: each value appears when computed
        page.click("#mgx-next")
        assert page.locator("g.node text.val", has_text="value ?").count() == n_forward - 1 - k
    assert current_label(page) == "o"
    assert number(page, "#mgx-value") == pytest.approx(y.data, rel=1e-5)
    page.keyboard.press("ArrowRight")     # the seed
    assert current_label(page) == "o" and shown_grad(page, "o") == "grad 1"
    got: dict[str, float] = {}
    for k, s in enumerate(steps):
        if k % 2:
            page.keyboard.press("ArrowRight")
        else:
            page.click("#mgx-next")
        assert page.locator("#mgx-count").text_content() == f"step {n_forward + 2 + k} of {total}"
        assert current_label(page) == s.input.label
        assert page.locator("g.node.source text.lbl").text_content() == s.node.label
        assert number(page, "#mgx-up") == pytest.approx(s.upstream, rel=1e-5, abs=1e-12)
        assert number(page, "#mgx-local") == pytest.approx(s.local, rel=1e-5, abs=1e-12)
        assert number(page, "#mgx-contrib") == pytest.approx(s.contribution, rel=1e-5, abs=1e-12)
        got[s.input.label] = got.get(s.input.label, 0.0) + s.contribution
        assert number(page, "#mgx-after") == pytest.approx(got[s.input.label], rel=1e-5, abs=1e-12)
        assert float(shown_grad(page, s.input.label)[5:]) == pytest.approx(got[s.input.label], rel=1e-5)
        assert page.locator("path.edge.current").count() == 1
        row = page.locator("#mgx-trace tr.current td")
        assert row.nth(1).text_content() == s.input.label
    assert page.locator("#mgx-rule-words").text_content().startswith("mul:")
    keep(page, tmp_path, "explorer_neuron_end.png")
    page.click("#mgx-next")               # past the end: stays
    assert page.locator("#mgx-count").text_content() == f"step {total} of {total}"
    page.keyboard.press("ArrowLeft")
    assert page.locator("#mgx-count").text_content() == f"step {total - 1} of {total}"
    assert current_label(page) == steps[-2].input.label
    page.keyboard.press("Home")
    assert page.locator("#mgx-count").text_content() == f"step 0 of {total}"
    assert page.locator("g.node text.grd", has_text="grad —").count() == 10


def test_slider_and_the_tanh_rule(open_page, tmp_path):
    y = neuron()
    path = mg.explore(y, tmp_path / "n.html").save(tmp_path / "n.html")
    page, _ = open_page(path)
    page.locator("#mgx-slider").fill("7")          # forward 5, seed, then tanh's step
    assert page.locator("#mgx-count").text_content().startswith("step 7 ")
    assert current_label(page) == "n"
    assert page.locator("#mgx-formula").text_content() == "d tanh(n)/dn = 1 − tanh(n)²"
    assert number(page, "#mgx-local") == pytest.approx(1 - y.data ** 2, rel=1e-5)
    assert page.locator("#mgx-fanout").is_hidden()


def test_fan_out_is_said_on_the_page(open_page, tmp_path):
    x = mg.Value(3.0, label="x")
    y = x * x
    y.label = "y"
    page, _ = open_page(mg.explore(y).save(tmp_path / "f.html"))
    page.keyboard.press("End")
    text = page.locator("#mgx-fanout").text_content()
    assert "Fan-out" in text and "contribution 2 of 2" in text
    assert number(page, "#mgx-before") == 3.0 and number(page, "#mgx-after") == 6.0


def test_hostile_labels_stay_text(open_page, tmp_path):
    x = mg.Value(1.0, label=HOSTILE)
    y = (x * 2).tanh()
    page, problems = open_page(mg.explore(y, title=HOSTILE).save(tmp_path / "h.html"))
    page.keyboard.press("End")
    assert page.evaluate("window.__pwned === undefined")
    assert page.locator("img").count() == 0
    assert page.locator("h1").text_content() == HOSTILE
    assert HOSTILE in page.locator("#mgx-trace").text_content()


def test_a_cut_graph_says_how_many_nodes_were_left_out(open_page, tmp_path):
    v = mg.Value(0.5, label="x")
    for i in range(499):
        v = v.tanh() if i % 2 else v.sin()
    page, _ = open_page(mg.explore(v).save(tmp_path / "big.html"))
    assert "200 of 500 nodes left out" in page.locator("#mgx-cut").text_content()
    assert page.locator("g.node").count() == 300
    page.keyboard.press("End")
    assert page.locator("g.node.current").count() == 1
    keep(page, tmp_path, "explorer_cut.png")


def test_a_tensor_graph_shows_vector_jacobian_products(open_page, tmp_path):
    np = pytest.importorskip("numpy")
    W = mg.Tensor(np.arange(6.0).reshape(3, 2) / 10, requires_grad=True, label="W")
    y = (mg.Tensor(np.ones((4, 3)), label="X") @ W).tanh().sum()
    y.label = "y"
    page, _ = open_page(mg.explore(y).save(tmp_path / "t.html"))
    page.keyboard.press("End")
    last = mg.backward_steps(y)[-1]
    assert current_label(page) == last.input.label == "W"
    assert "vector-Jacobian product" in page.locator("#mgx-arith").text_content()
    shown = page.locator("#mgx-contrib").text_content()
    head = [float(v) for v in shown.split("]")[0].strip("[").split(", ")[:3]]
    assert head == pytest.approx(last.contribution.ravel()[:3].tolist(), rel=1e-5)
    assert shown.endswith("(3×2)")
    assert page.locator("#mgx-local").count() == 0


def test_a_relu_neuron_step_in_the_mlp_demo_page(open_page, tmp_path):
    model = mg.nn.MLP(2, [2, 1], seed=1)
    loss = (model([1.0, -2.0]) - 1.0) ** 2
    page, _ = open_page(mg.explore(loss, params=model.named_parameters()).save(tmp_path / "m.html"))
    steps = mg.backward_steps(loss)
    n_forward = sum(1 for n in mg.autograd.topological_order([loss]) if n.parents)
    k = next(i for i, s in enumerate(steps) if s.node.op == "dot_relu")
    page.locator("#mgx-slider").fill(str(n_forward + 2 + k))
    assert page.locator("#mgx-rule-words").text_content().startswith("dot_relu:")
    assert number(page, "#mgx-local") == pytest.approx(steps[k].local, rel=1e-5, abs=1e-12)
    assert number(page, "#mgx-contrib") == pytest.approx(steps[k].contribution, rel=1e-5, abs=1e-12)


def test_a_contribution_from_a_node_left_out_is_shown(open_page, tmp_path):
    a = mg.Value(0.3, label="a")
    y = a * 2.0 + a.sin().exp().tanh()
    y.label = "y"
    page, _ = open_page(mg.explore(y, max_nodes=4).save(tmp_path / "c.html"))
    texts = []
    for _ in range(int(page.locator("#mgx-slider").get_attribute("max"))):
        page.keyboard.press("ArrowRight")
        texts.append(page.locator("#mgx-what").text_content())
    assert any("a node left out of the picture (sin)" in t for t in texts)
    assert page.locator("path.cut-stub").count() == 1
    (ga,) = mg.grad(y, [a])
    assert float(shown_grad(page, "a")[5:]) == pytest.approx(ga.data, rel=1e-5)
