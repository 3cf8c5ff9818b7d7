"""Tests for mg.explore: the page's embedded data, its safety, its size, the command line."""

from __future__ import annotations

import html
import json
import math
import shutil
from html.parser import HTMLParser

import numpy as np
import pytest

import microgradx as mg
from microgradx import cli, ops
from microgradx.explore import MAX_NODES, RULES, SIZE_BUDGET, explore, local_rule

B = 6.8813735870195432
HOSTILE = ['</script><script>alert("x")</script>', '<img src=x onerror=alert(1)>', "a & b \u2028 <!--"]


class Page(HTMLParser):
    """Every start tag (with its attributes) and the text of every <script>."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self._in: dict | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in = dict(attrs)
            self.scripts.append((self._in, ""))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in = None

    def handle_data(self, data):
        if self._in is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)


def data_of(page: str) -> dict:
    found = [text for attrs, text in Page(page).scripts if attrs.get("type") == "application/json"]
    assert len(found) == 1
    return json.loads(found[0])


def labelled_neuron():
    """micrograd's neuron with every node labelled: (o, {label: node})."""
    x1, x2 = mg.Value(2.0, label="x1"), mg.Value(0.0, label="x2")
    w1, w2, b = mg.Value(-3.0, label="w1"), mg.Value(1.0, label="w2"), mg.Value(B, label="b")
    x1w1 = x1 * w1
    x2w2 = x2 * w2
    s = x1w1 + x2w2
    n = s + b
    o = n.tanh()
    for node, name in [(x1w1, "x1w1"), (x2w2, "x2w2"), (s, "s"), (n, "n"), (o, "o")]:
        node.label = name
    return o, {v.label: v for v in (x1, x2, w1, w2, b, x1w1, x2w2, s, n, o)}


def fan_out():
    """y = x*x + sin(x) + a*x: x feeds three nodes (four edges)."""
    x, a = mg.Value(1.3, label="x"), mg.Value(-0.7, label="a")
    xx = x * x
    sx = x.sin()
    ax = a * x
    t = xx + sx
    y = t + ax
    for node, name in [(xx, "xx"), (sx, "sx"), (ax, "ax"), (t, "t"), (y, "y")]:
        node.label = name
    return y, {v.label: v for v in (x, a, xx, sx, ax, t, y)}


def mlp_loss():
    """A 2-2-1 MLP's squared error on one sample, every node labelled."""
    model = mg.nn.MLP(2, [2, 1], seed=3)
    out = model([0.5, -1.5])
    loss = (out - 1.0) ** 2
    loss.label = "loss"
    return loss, model


@pytest.mark.parametrize("build", [labelled_neuron, fan_out])
def test_embedded_values_and_gradients_are_the_engines(build):
    y, nodes = build()
    d = data_of(explore(y).html)
    assert sorted(n["label"] for n in d["nodes"]) == sorted(nodes)
    for entry in d["nodes"]:
        node = nodes[entry["label"]]
        assert entry["value"] == node.data
        expected = 1.0 if node is y else mg.grad(y, [node])[0].data
        assert entry["grad"] == pytest.approx(expected, rel=1e-15)
    y.backward()
    for entry in d["nodes"]:
        if not nodes[entry["label"]].parents:                # leaves: equal to .grad after backward
            assert entry["grad"] == pytest.approx(nodes[entry["label"]].grad, rel=1e-15)


def test_neuron_numbers_as_in_the_lecture():
    o, nodes = labelled_neuron()
    d = data_of(explore(o).html)
    grad = {n["label"]: n["grad"] for n in d["nodes"]}
    assert grad == pytest.approx({"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5, "x1w1": 0.5,
                                  "x2w2": 0.5, "s": 0.5, "n": 0.5, "o": 1.0}, abs=1e-12)


@pytest.mark.parametrize("build", [labelled_neuron, fan_out, lambda: (mlp_loss()[0], None)])
def test_steps_are_the_chain_rule_in_a_topological_order(build):
    y, _ = build()
    d = data_of(explore(y).html)
    steps, nodes = d["steps"], d["nodes"]
    python = mg.backward_steps(y)
    assert len(steps) == len(python)
    for s, p in zip(steps, python):
        assert (s["up"], s["local"], s["contrib"]) == (p.upstream, p.local, p.contribution)
        assert s["index"] == p.index
        assert s["up"] * s["local"] == pytest.approx(s["contrib"], rel=1e-12, abs=1e-300)
        assert d["edges"][s["edge"]] == [s["input"], s["node"], s["index"]]
    # the contributions into each node add up to its gradient, and 'after' runs that sum
    for i, n in enumerate(nodes):
        into = [s for s in steps if s["input"] == i]
        if i == d["output"]:
            assert not into and n["grad"] == d["seed"] == 1.0
            continue
        assert math.fsum(s["contrib"] for s in into) == pytest.approx(n["grad"], rel=1e-12, abs=1e-300)
        assert into[-1]["after"] == pytest.approx(n["grad"], rel=1e-15, abs=1e-300)
        assert [s["k"] for s in into] == list(range(1, len(into) + 1))
        assert all(s["n"] == len(into) for s in into)
    # a node sends only once every contribution to it has arrived, with that total as upstream
    first_send = {}
    for k, s in enumerate(steps):
        first_send.setdefault(s["node"], k)
        assert s["up"] == pytest.approx(nodes[s["node"]]["grad"], rel=1e-12, abs=1e-300)
    for k, s in enumerate(steps):
        if s["input"] in first_send:
            assert k < first_send[s["input"]]
    # the forward steps compute each node after its inputs
    done = {i for i, n in enumerate(nodes) if not n["op"]}
    for i in d["forward"]:
        assert all(a in done for a, c, _ in d["edges"] if c == i)
        done.add(i)
    assert done == set(range(len(nodes)))


def test_fan_out_is_marked_on_the_second_contribution():
    y, nodes = fan_out()
    d = data_of(explore(y).html)
    x = next(i for i, n in enumerate(d["nodes"]) if n["label"] == "x")
    into_x = [s for s in d["steps"] if s["input"] == x]
    assert [s["k"] for s in into_x] == [1, 2, 3, 4] and {s["n"] for s in into_x} == {4}
    assert into_x[1]["before"] == into_x[0]["after"]
    assert into_x[1]["after"] == into_x[0]["after"] + into_x[1]["contrib"]


def test_rules_cover_every_op_of_the_op_table_and_user_functions():
    table_ops = {v.name for v in vars(ops).values() if isinstance(v, ops.Op)}
    assert table_ops <= set(RULES), table_ops - set(RULES)
    assert local_rule("tanh", 0, 1)[1] == "d tanh(n)/dn = 1 − tanh(n)²"
    assert local_rule("mul", 1, 2)[1] == "d(a·b)/db = a"
    assert [local_rule("dot", i, 5)[1][:9] for i in range(5)] == ["d(w·x + b"] * 5
    assert local_rule("dot", 1, 5)[1].endswith("= x\u1d62")
    assert local_rule("dot", 2, 5)[1].endswith("= w\u1d62")
    assert local_rule("dot", 4, 5)[1].endswith("/db = 1")

    class Cube(mg.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved
            return 3 * x ** 2 * g

    x = mg.Value(2.0, label="x")
    d = data_of(explore(Cube.apply(x)).html)
    assert "Cube.backward" in d["rules"]["Cube"]["formulas"][d["steps"][0]["rule"]]
    assert d["nodes"][0]["grad"] == 12.0
    # dot nodes of different lengths share one table: weights, inputs and bias each point at their rule
    w = [mg.Value(1.0), mg.Value(2.0)]
    xs = [mg.Value(3.0), mg.Value(4.0)]
    y = mg.dot(w, xs, bias=mg.Value(0.5)) + mg.dot(w[:1], xs[:1])
    d = data_of(explore(y).html)
    table = d["rules"]["dot"]["formulas"]
    kinds = [table[s["rule"]].split(" = ")[-1] for s in d["steps"] if d["nodes"][s["node"]]["op"] == "dot"]
    assert sorted(kinds) == sorted(["x\u1d62"] * 3 + ["w\u1d62"] * 3 + ["1"]) and len(table) == 3


def test_no_network_and_everything_inline():
    page = explore(labelled_neuron()[0]).html
    tags = Page(page).tags
    for tag, attrs in tags:
        for key in ("src", "href", "xlink:href", "action", "data"):
            assert key not in attrs, (tag, attrs)
    assert {t for t, _ in tags} <= {"html", "head", "meta", "title", "style", "body", "script"}
    assert "https://" not in page and "@import" not in page and "url(http" not in page
    assert "default-src 'none'" in page


def test_hostile_labels_cannot_inject_markup():
    x = mg.Value(1.0, label=HOSTILE[0])
    w = mg.Value(2.0, label=HOSTILE[1])
    y = (x * w).tanh()
    y.label = HOSTILE[2]
    page = explore(y, title=HOSTILE[1]).html
    parsed = Page(page)
    assert [t for t, _ in parsed.tags].count("script") == 2
    assert not [t for t, _ in parsed.tags if t == "img"]
    for bad in HOSTILE:
        assert bad not in page
    assert "\u2028" not in page and "<!--" not in page
    labels = {n["label"] for n in data_of(page)["nodes"]}
    assert set(HOSTILE) <= labels
    assert f"<title>{html.escape(HOSTILE[1])}</title>" in page


def test_same_input_same_bytes():
    a = explore(labelled_neuron()[0]).html
    b = explore(labelled_neuron()[0]).html
    assert a == b
    c = explore(mlp_loss()[0]).html
    assert c == explore(mlp_loss()[0]).html


def test_save_is_atomic_and_replaces(tmp_path):
    y = labelled_neuron()[0]
    path = tmp_path / "sub" / "e.html"
    page = explore(y, path)
    assert path.read_bytes() == page.html.encode("utf-8")
    path.write_text("old")
    page.save(path)
    assert path.read_text(encoding="utf-8") == page.html
    assert sorted(p.name for p in path.parent.iterdir()) == ["e.html"]
    with pytest.raises(ValueError, match=r"\.html"):
        page.save(tmp_path / "e.png")
    with pytest.raises(TypeError, match="path"):
        page.save(3)


def test_jupyter_shows_an_iframe_with_the_page():
    page = explore(labelled_neuron()[0])
    out = page._repr_html_()
    assert out.startswith('<iframe srcdoc="') and 'sandbox="allow-scripts"' in out
    srcdoc = out[len('<iframe srcdoc="'):out.index('" sandbox=')]
    assert '"' not in srcdoc and html.unescape(srcdoc) == page.html


def chain(n: int) -> mg.Value:
    """Exactly n Value nodes: x, then n-1 ops."""
    v = mg.Value(0.5, label="x")
    for i in range(n - 1):
        v = v.tanh() if i % 2 else v.sin()
    return v


@pytest.mark.parametrize("layout", ["auto", "generation"])
def test_500_nodes_are_cut_to_the_nearest_and_stay_under_budget(layout):
    y = chain(500)
    page = explore(y, layout=layout)
    size = len(page.html.encode("utf-8"))
    assert size < SIZE_BUDGET
    d = data_of(page.html)
    assert len(d["nodes"]) == MAX_NODES and d["left_out"] == 500 - MAX_NODES and d["total_nodes"] == 500
    assert d["nodes"][d["output"]]["value"] == y.data
    # the 300 drawn are the 300 nearest the output: the chain's last 300
    keep = set()
    v = y
    for _ in range(MAX_NODES):
        keep.add(v.data)
        v = v.parents[0] if v.parents else v
    assert {n["value"] for n in d["nodes"]} == keep


def test_a_wide_500_node_graph_with_fan_out_stays_under_budget():
    xs = [mg.Value(float(i) / 250, label=f"x{i}") for i in range(250)]
    y = mg.sum([x * xs[0] for x in xs[1:]])            # 500 nodes; x0 feeds 249 of them
    page = explore(y)
    assert len(page) < SIZE_BUDGET
    d = data_of(page.html)
    assert d["left_out"] == 500 - MAX_NODES


def test_layouts_place_every_box_inside_the_picture():
    for layout in ("auto", "generation"):
        d = data_of(explore(mlp_loss()[0], layout=layout).html)
        lay = d["layout"]
        w, h = lay["box"]
        assert len(lay["pos"]) == len(d["nodes"]) and len(lay["paths"]) == len(d["edges"])
        for x, y in lay["pos"]:
            assert w / 2 - 1 <= x <= lay["width"] - w / 2 + 1 and h / 2 - 1 <= y <= lay["height"] - h / 2 + 1
        boxes = {(round(x), round(y)) for x, y in lay["pos"]}
        assert len(boxes) == len(d["nodes"])                  # no two boxes on the same spot
        assert all(p.startswith("M") for p in lay["paths"])
    if shutil.which("dot"):
        assert data_of(explore(mlp_loss()[0]).html)["layout"]["engine"] == "graphviz"


def test_parameter_names_from_the_model():
    loss, model = mlp_loss()
    d = data_of(explore(loss, params=model.named_parameters()).html)
    names = {n["label"] for n in d["nodes"] if n["kind"] == "param"}
    assert names == {"L0.n0.w0", "L0.n0.w1", "L0.n0.b", "L0.n1.w0", "L0.n1.w1", "L0.n1.b",
                     "L1.n0.w0", "L1.n0.w1", "L1.n0.b"}
    with pytest.raises(TypeError, match="named_parameters"):
        explore(loss, params=[1, 2])


def test_tensor_graph():
    W = mg.Tensor(np.arange(6.0).reshape(3, 2) / 10, requires_grad=True, label="W")
    X = mg.Tensor(np.ones((4, 3)), label="X")
    y = (X @ W).tanh().sum()
    y.label = "y"
    d = data_of(explore(y).html)
    by = {n["label"]: n for n in d["nodes"]}
    (gw,) = mg.grad(y, [W])
    assert by["W"]["grad"]["shape"] == [3, 2]
    assert by["W"]["grad"]["head"] == gw.numpy().ravel().tolist()
    assert by["X"]["grad"] is None
    assert by["y"]["value"] == float(y.data)
    assert all(s["local"] is None for s in d["steps"])


def test_non_finite_numbers_are_strings_json_can_hold():
    x = mg.Value(0.0, label="x")
    y = x.log() * 0.0 + x.sqrt()
    d = data_of(explore(y).html)
    assert {n["label"]: n["value"] for n in d["nodes"]}["x"] == 0.0
    values = [n["value"] for n in d["nodes"]] + [n["grad"] for n in d["nodes"]]
    assert "-Infinity" in values and ("NaN" in values or "Infinity" in values)


def test_bad_arguments():
    with pytest.raises(TypeError, match="graph output"):
        explore(3.0)
    with pytest.raises(ValueError, match="max_nodes"):
        explore(mg.Value(1.0) * 2, max_nodes=0)
    with pytest.raises(ValueError, match="max_nodes"):
        explore(mg.Value(1.0) * 2, max_nodes=10**6)
    with pytest.raises(ValueError, match="layout"):
        explore(mg.Value(1.0) * 2, layout="circo")
    with pytest.raises(ValueError, match="requires_grad"):
        explore(mg.Tensor(np.ones(3)) * 2)
    with pytest.raises(ValueError, match=r"shape \(3,\).*y.sum\(\)"):
        explore(mg.Tensor(np.ones(3), requires_grad=True) * 2)


def test_command_line_writes_the_page(tmp_path, capsys):
    out = tmp_path / "explore.html"
    code = cli.main(["explore", "tanh(w*x + b)", "--at", "w=0.5,x=2,b=-1", "-o", str(out)])
    assert code == 0
    d = data_of(out.read_text(encoding="utf-8"))
    grads = {n["label"]: n["grad"] for n in d["nodes"] if not n["op"]}
    assert grads == {"w": 2.0, "x": 0.5, "b": 1.0}                      # tanh'(0) = 1
    printed = capsys.readouterr().out
    assert "df/dw = 2, df/dx = 0.5, df/db = 1" in printed and str(out) in printed


@pytest.mark.parametrize("argv, message", [
    (["explore", "tanh(w*x", "--at", "w=1,x=1"], "cannot parse"),
    (["explore", "w*x", "--at", "w=1"], "missing value for x"),
    (["explore", "__import__('os')", "--at", "x=1"], "unsupported"),
    (["explore", "w*x", "--at", "w=1,x=1", "-o", "page.txt"], ".html"),
])
def test_command_line_errors_are_one_line(tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_each_edge_runs_from_its_input_box_to_its_node_box():
    for layout in ("auto", "generation"):
        d = data_of(explore(mlp_loss()[0], layout=layout).html)
        lay = d["layout"]
        w, h = lay["box"]
        for (a, b, _), path in zip(d["edges"], lay["paths"]):
            nums = [float(v) for v in path.replace("M", " ").replace("C", " ").replace("L", " ")
                    .replace(",", " ").split()]
            (sx, sy), (ex, ey) = nums[:2], nums[-2:]
            (ax, ay), (bx, by) = lay["pos"][a], lay["pos"][b]
            assert abs(sx - ax) <= w / 2 + 2 and abs(sy - ay) <= h / 2 + 2, (layout, a, b)
            assert abs(ex - bx) <= w / 2 + 2 and abs(ey - by) <= h / 2 + 2, (layout, a, b)


def test_without_graphviz_the_page_lays_itself_out(monkeypatch):
    import importlib
    import subprocess

    explore_module = importlib.import_module("microgradx.explore")   # mg.explore is the function

    def timeout(*args, **kwargs):
        raise subprocess.TimeoutExpired(cmd="dot", timeout=explore_module.DOT_TIMEOUT)

    monkeypatch.setattr(explore_module.subprocess, "run", timeout)         # dot hangs: never wait for it
    d = data_of(explore(labelled_neuron()[0]).html)
    assert d["layout"]["engine"] == "generation"
    monkeypatch.setattr(explore_module.shutil, "which", lambda name: None)  # no dot at all
    assert data_of(explore(labelled_neuron()[0]).html)["layout"]["engine"] == "generation"
    with pytest.raises(mg.GraphvizNotFoundError, match="Graphviz"):
        explore(labelled_neuron()[0], layout="graphviz")


def test_a_cut_graph_keeps_contributions_from_nodes_left_out():
    a = mg.Value(0.3, label="a")
    c = a.sin().exp().tanh()               # a's long way to the output
    y = a * 2.0 + c
    for max_nodes in (4, 5, 300):              # nearest first: y, a*2, tanh, a, exp, sin
        d = data_of(explore(y, max_nodes=max_nodes).html)
        ia = next(i for i, n in enumerate(d["nodes"]) if n["label"] == "a")
        into = [s for s in d["steps"] if s["input"] == ia]
        (ga,) = mg.grad(y, [a])
        assert d["nodes"][ia]["grad"] == pytest.approx(ga.data, rel=1e-15)
        assert math.fsum(s["contrib"] for s in into) == pytest.approx(ga.data, rel=1e-12)
        assert into[-1]["after"] == pytest.approx(ga.data, rel=1e-12)
        cut = [s for s in into if s["node"] is None]
        assert len(cut) == (1 if max_nodes < 6 else 0)
        assert all(s["edge"] is None and s["op"] == "sin" for s in cut)
        tanh = next(n for n in d["nodes"] if n["op"] == "tanh")
        assert tanh.get("cut", False) is (max_nodes < 5)            # its input exp is left out
