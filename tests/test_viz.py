"""Tests for microgradx.viz: graph pictures rendered with the real Graphviz."""

from __future__ import annotations

import math
import shutil
import xml.etree.ElementTree as ET

import graphviz
import numpy as np
import pytest

import microgradx as mg
from microgradx.viz import MAX_NODES_LIMIT, GraphvizNotFoundError, draw_dot, render_graph

SVG = "{http://www.w3.org/2000/svg}"

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")


def f4(x: float) -> str:
    return f"{x:.4g}"


def svg_nodes(svg: str) -> dict[str, ET.Element]:
    """Graphviz node groups of an SVG, by node name."""
    root = ET.fromstring(svg)
    return {
        g.find(SVG + "title").text: g
        for g in root.iter(SVG + "g")
        if g.get("class") == "node"
    }


def texts(group: ET.Element) -> list[str]:
    return [t.text for t in group.iter(SVG + "text")]


def all_texts(svg: str) -> list[str]:
    return [t for g in svg_nodes(svg).values() for t in texts(g)]


def node_svg(root: mg.Value, tmp_path, **kw) -> dict[str, ET.Element]:
    path = render_graph(root, tmp_path / "g.svg", **kw)
    return svg_nodes(path.read_text(encoding="utf-8"))


def chain(n: int) -> mg.Value:
    """A chain of exactly n Values: 0, 1, 2, ..., n-1."""
    v = mg.Value(0.0)
    for _ in range(n - 1):
        v = v + 1
    return v


# ---- what the nodes show ----------------------------------------------------

@needs_dot
def test_value_nodes_show_label_data_and_grad(tmp_path):
    x = mg.Value(2.0, label="x")
    h = x * 3
    y = h.tanh()
    y.backward()
    nodes = node_svg(y, tmp_path)

    t = math.tanh(6.0)
    x_texts = texts(nodes[str(id(x))])
    assert "x" in x_texts
    assert f"data {f4(2.0)}" in x_texts
    assert f"grad {f4(3 * (1 - t * t))}" in x_texts
    assert texts(nodes[str(id(h))]) == [f"data {f4(6.0)}", f"grad {f4(1 - t * t)}"]
    assert texts(nodes[str(id(y))]) == [f"data {f4(t)}", f"grad {f4(1.0)}"]


@needs_dot
def test_op_nodes_show_symbol_and_number_parameters(tmp_path):
    x = mg.Value(1.5, label="x")
    w = mg.Value(0.5, label="w")
    y = (x * 3) ** 2 + x.leaky_relu(0.25) + x ** w + x.tanh()
    nodes = node_svg(y, tmp_path)
    ops = {texts(g)[0] for name, g in nodes.items() if name.endswith("op")}
    assert {"* 3", "** 2", "leaky_relu 0.25", "**", "tanh", "+"} <= ops
    # the op sits between its input and its output
    out = x * 3
    src = draw_dot(out).source
    assert f'{id(x)} -> "{id(out)}op"' in src
    assert f'"{id(out)}op" -> {id(out)}' in src


@needs_dot
def test_nary_node_has_one_op_with_an_edge_per_input(tmp_path):
    xs = [mg.Value(float(i), label=f"x{i}") for i in range(4)]
    s = mg.sum(xs)
    nodes = node_svg(s, tmp_path)
    assert texts(nodes[f"{id(s)}op"]) == [mg.ops.OPS["sum"].symbol]
    src = draw_dot(s).source
    for x in xs:
        assert f'{id(x)} -> "{id(s)}op"' in src


@needs_dot
def test_second_order_grad_shows_its_number(tmp_path):
    x = mg.Value(2.0, label="x")
    (x ** 3).backward(create_graph=True)
    assert isinstance(x.grad, mg.Value)
    assert f"grad {f4(12.0)}" in texts(node_svg(x, tmp_path)[str(id(x))])


@needs_dot
def test_show_grad_false_hides_grads(tmp_path):
    x = mg.Value(2.0, label="x")
    y = x * x
    y.backward()
    shown = all_texts(render_graph(y, tmp_path / "g.svg", show_grad=False).read_text())
    assert f"data {f4(4.0)}" in shown
    assert not any(t.startswith("grad") for t in shown)


# ---- styles -----------------------------------------------------------------

def fill(group: ET.Element) -> str:
    return group.find(SVG + "polygon").get("fill")


@needs_dot
def test_leaves_parameters_and_intermediates_look_different(tmp_path):
    w = mg.Value(-1.5, label="w")
    b = mg.Value(0.5, label="b")
    y = 3 - w * b           # the 3 becomes an unlabelled constant leaf
    (const,) = [p for p in y.parents if p.label == "" and not p.parents]
    h = y.parents[1]
    nodes = node_svg(y, tmp_path)
    f_param, f_leaf, f_mid = fill(nodes[str(id(w))]), fill(nodes[str(id(const))]), fill(
        nodes[str(id(h))])
    assert fill(nodes[str(id(b))]) == f_param
    assert fill(nodes[str(id(y))]) == f_mid
    assert len({f_param, f_leaf, f_mid}) == 3
    op_group = nodes[f"{id(y)}op"]
    assert op_group.find(SVG + "ellipse") is not None


def red_texts(group: ET.Element) -> list[str]:
    return [t.text for t in group.iter(SVG + "text") if t.get("fill") == "red"]


@needs_dot
def test_nan_grad_is_red(tmp_path):
    x = mg.Value(-1.0, label="x")
    y = x.sqrt()
    y.backward()
    assert math.isnan(x.grad)
    ok = mg.Value(1.0, label="ok")
    z = y + ok
    nodes = node_svg(z, tmp_path)
    assert red_texts(nodes[str(id(x))]) == [f"grad {f4(math.nan)}"]
    assert red_texts(nodes[str(id(y))]) == [f"data {f4(math.nan)}"]
    assert red_texts(nodes[str(id(ok))]) == []
    border = nodes[str(id(x))].findall(SVG + "polygon")[-1].get("stroke")
    assert border == "red"
    assert nodes[str(id(ok))].findall(SVG + "polygon")[-1].get("stroke") != "red"


@needs_dot
def test_inf_grad_is_red(tmp_path):
    x = mg.Value(1.0, label="x")
    x.grad = -math.inf
    assert red_texts(node_svg(x, tmp_path)[str(id(x))]) == [f"grad {f4(-math.inf)}"]


# ---- big graphs ---------------------------------------------------------------

@needs_dot
def test_cut_graph_draws_nearest_nodes_and_a_note_with_the_exact_count(tmp_path):
    n, keep = 2345, 40
    y = chain(n)
    shown = all_texts(render_graph(y, tmp_path / "g.svg", max_nodes=keep).read_text())
    data = {t for t in shown if t.startswith("data")}
    assert data == {f"data {f4(float(k))}" for k in range(n - keep, n)}
    notes = [t for t in shown if "not drawn" in t]
    assert len(notes) == 1
    assert f"{n - keep:,} more nodes" in notes[0]
    assert f"max_nodes={keep}" in notes[0]


def test_count_is_of_distinct_nodes_not_paths():
    a = mg.Value(0.5)
    for _ in range(40):          # 2**40 paths, 81 distinct nodes
        a = a * a + 0.1
    src = draw_dot(a, max_nodes=10).source
    assert f"{81 - 10:,} more nodes not drawn" in src


def test_no_note_when_the_whole_graph_fits():
    y = chain(30)
    assert "not drawn" not in draw_dot(y, max_nodes=30).source
    assert f"{1:,} more nodes not drawn" in draw_dot(y, max_nodes=29).source


def test_max_nodes_over_the_limit_is_refused():
    y = chain(10)
    with pytest.raises(ValueError, match=str(MAX_NODES_LIMIT)):
        draw_dot(y, max_nodes=10**4)
    assert MAX_NODES_LIMIT < 10**4


def test_ten_thousand_nodes_are_cut_by_default():
    y = chain(10**4)
    src = draw_dot(y).source
    assert f"{10**4 - 500:,} more nodes not drawn (max_nodes=500)" in src
    assert src.count("<TABLE") == 500


@needs_dot
def test_long_chain_draws_cut_without_recursion(tmp_path):
    n = 10**5
    y = chain(n)
    path = render_graph(y, tmp_path / "long.svg", max_nodes=50)
    shown = all_texts(path.read_text())
    assert any(f"{n - 50:,} more nodes" in t for t in shown)
    assert f"data {f4(float(n - 1))}" in shown


# ---- files and formats --------------------------------------------------------

@needs_dot
@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".pdf", b"%PDF"),
                                           (".svg", b"<?xml")])
def test_formats_by_suffix(tmp_path, suffix, magic):
    x = mg.Value(2.0, label="x")
    path = render_graph(x * 2, str(tmp_path / "sub" / f"g{suffix}"))
    assert path.suffix == suffix
    assert path.read_bytes().startswith(magic)


def test_dot_file_is_the_source():
    x = mg.Value(2.0, label="x")
    y = x * 3
    dot = draw_dot(y, rankdir="TB")
    assert isinstance(dot, graphviz.Digraph)
    assert "rankdir=TB" in dot.source


def test_dot_suffix_writes_source(tmp_path):
    x = mg.Value(2.0, label="x")
    y = x * 3
    path = render_graph(y, tmp_path / "g.dot")
    assert path.read_text(encoding="utf-8") == draw_dot(y).source


@needs_dot
def test_jupyter_displays_inline():
    x = mg.Value(2.0, label="x")
    bundle = draw_dot(x * 3)._repr_mimebundle_()
    svg = bundle["image/svg+xml"]
    assert "* 3" in all_texts(svg)


def test_missing_dot_program_says_how_to_install(tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    x = mg.Value(2.0, label="x")
    y = x * 3
    with pytest.raises(GraphvizNotFoundError) as info:
        render_graph(y, tmp_path / "g.svg")
    msg = str(info.value)
    for hint in ("apt-get install graphviz", "brew install graphviz", "conda install graphviz",
                 "https://graphviz.org/download/", ".dot"):
        assert hint in msg
    assert isinstance(info.value, RuntimeError)
    assert not (tmp_path / "g.svg").exists()
    path = render_graph(y, tmp_path / "g.dot")
    assert f'"{id(y)}op"' in path.read_text(encoding="utf-8")


# ---- bad input ------------------------------------------------------------------

def test_bad_arguments():
    y = chain(3)
    with pytest.raises(TypeError, match="Value or mg.Tensor"):
        draw_dot([1.0, 2.0])
    with pytest.raises(ValueError, match="rankdir"):
        draw_dot(y, rankdir="XY")
    for bad in (0, -5):
        with pytest.raises(ValueError, match="at least 1"):
            draw_dot(y, max_nodes=bad)
    for bad in (2.5, True, "10"):
        with pytest.raises(TypeError, match="max_nodes"):
            draw_dot(y, max_nodes=bad)
    with pytest.raises(TypeError, match="show_grad"):
        draw_dot(y, show_grad="yes")


def test_bad_paths(tmp_path):
    y = chain(3)
    with pytest.raises(ValueError) as info:
        render_graph(y, tmp_path / "g.jpg")
    for suffix in (".svg", ".png", ".pdf", ".dot"):
        assert suffix in str(info.value)
    with pytest.raises(ValueError) as info:
        render_graph(y, tmp_path / "noext")
    assert "noext" in str(info.value)
    with pytest.raises(TypeError, match="path"):
        render_graph(y, 42)
    assert list(tmp_path.iterdir()) == []


# ---- tensors ----------------------------------------------------------------------

def preview(a: np.ndarray) -> str:
    flat = [f4(v) for v in a.ravel()[:3]]
    return "[" + ", ".join(flat) + (", …]" if a.size > 3 else "]")


@needs_dot
def test_tensor_nodes_show_shape_dtype_and_first_values(tmp_path):
    tensor = pytest.importorskip("microgradx.tensor")
    w_data = np.arange(6.0).reshape(3, 2) - 2.5
    W = tensor.Tensor(w_data, requires_grad=True, label="W")
    X = tensor.Tensor(np.ones((5, 3)), label="X")
    out = (X @ W).sum()
    out.backward()
    nodes = node_svg(out, tmp_path)
    w_texts = texts(nodes[str(id(W))])
    assert w_texts[0] == "W"
    assert f"{(3, 2)} {np.dtype(np.float64)}" in w_texts
    assert f"data {preview(w_data)}" in w_texts
    assert f"grad {preview(np.ones((5, 3)).T @ np.ones((5, 2)))}" in w_texts
    assert f"data {f4(float((np.ones((5, 3)) @ w_data).sum()))}" in texts(nodes[str(id(out))])
    assert fill(nodes[str(id(W))]) != fill(nodes[str(id(X))])
    assert texts(nodes[f"{id(out.parents[0])}op"]) == [mg.ops.OPS["matmul"].symbol]


@needs_dot
def test_tensor_float32_short_and_nan(tmp_path):
    tensor = pytest.importorskip("microgradx.tensor")
    v = tensor.Tensor(np.array([1.0, -1.0], dtype=np.float32), requires_grad=True, label="v")
    y = v.sqrt().sum()
    y.backward()
    vt = node_svg(y, tmp_path)[str(id(v))]
    assert f"{(2,)} {np.dtype(np.float32)}" in texts(vt)
    assert f"data {preview(np.array([1.0, -1.0]))}" in texts(vt)
    assert red_texts(vt) == [f"grad {preview(np.array([0.5, np.nan]))}"]


class FakeTensor(mg.autograd.Node):
    """A stand-in with the Tensor duck type: shape, dtype, ndarray data."""

    def __init__(self, data, requires_grad=False, label="", parents=()):
        self.data, self.grad, self.label = np.asarray(data), None, label
        self.requires_grad = requires_grad
        self._op = self._a = self._b = self._ctx = None
        self._gen = 0
        if parents:
            mg.autograd.link(self, tuple(parents), mg.ops.OPS["exp"], None)
        self.shape, self.dtype = self.data.shape, self.data.dtype


def test_tensor_duck_type_in_source():
    a = FakeTensor(np.arange(10.0), requires_grad=True, label="a")
    b = FakeTensor(np.exp(np.arange(10.0)), parents=(a,))
    a.grad = np.full(10, np.inf)
    src = draw_dot(b).source
    assert f"data {preview(np.arange(10.0))}" in src
    assert f"{(10,)} {np.dtype(np.float64)}" in src
    assert f'<FONT COLOR="red">grad {preview(np.full(10, np.inf))}</FONT>' in src
    assert "grad None" not in src            # b is not a leaf and kept no gradient: no grad cell
    b.grad = np.arange(10.0)                 # as retain_grad() leaves it
    assert f"grad {preview(np.arange(10.0))}" in draw_dot(b).source


# ---- parameter names, expanded fused nodes, legible PNGs ------------------------------------

def png_size(path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


@needs_dot
def test_params_name_a_neurons_weights_and_bias(tmp_path):
    n = mg.nn.Neuron(2, seed=0)
    x1, x2 = mg.Value(1.0, label="x1"), mg.Value(2.0, label="x2")
    y = n([x1, x2])
    y.backward()
    nodes = node_svg(y, tmp_path, params=n.named_parameters())
    for name, p in [("w0", n.w[0]), ("w1", n.w[1]), ("b", n.b)]:
        group = nodes[str(id(p))]
        assert texts(group)[0] == name and f"data {f4(p.data)}" in texts(group)
        assert fill(group) == mg.viz.STYLES["parameter"]["fill"]
    assert texts(nodes[str(id(x1))])[0] == "x1"
    assert texts(node_svg(y, tmp_path)[str(id(n.w[0]))])[0].startswith("data")   # without params: anonymous
    n.w[0].label = "mine"                                                      # a label of its own wins
    assert texts(node_svg(y, tmp_path, params=n.named_parameters())[str(id(n.w[0]))])[0] == "mine"


@needs_dot
def test_expand_draws_a_relu_neuron_as_products_a_sum_and_relu(tmp_path):
    n = mg.nn.Neuron(2, seed=1)
    n.b = mg.Value(0.25)
    x1, x2 = mg.Value(1.5, label="x1"), mg.Value(-0.5, label="x2")
    y = n([x1, x2])
    y.backward()
    parents_before = y.parents
    nodes = node_svg(y, tmp_path, params=n.named_parameters(), expand=True)
    w0, w1 = n.w[0].data, n.w[1].data
    z = w0 * 1.5 + w1 * -0.5 + 0.25
    gate = 1.0 if z > 0 else 0.0
    assert texts(nodes[f"{id(y)}p0"]) == ["w0*x1", f"data {f4(w0 * 1.5)}", f"grad {f4(gate)}"]
    assert texts(nodes[f"{id(y)}p1"]) == ["w1*x2", f"data {f4(w1 * -0.5)}", f"grad {f4(gate)}"]
    assert texts(nodes[f"{id(y)}z"]) == ["w·x + b", f"data {f4(z)}", f"grad {f4(gate)}"]
    assert texts(nodes[f"{id(y)}sumop"]) == ["+"] and texts(nodes[f"{id(y)}op"]) == ["relu"]
    assert texts(nodes[f"{id(y)}p0op"]) == ["*"]
    assert texts(nodes[str(id(y))]) == [f"data {f4(max(z, 0.0))}", "grad 1"]
    src = draw_dot(y, expand=True).source
    assert f'{id(x1)} -> "{id(y)}p0op"' in src and f'{id(n.b)} -> "{id(y)}sumop"' in src
    assert f'"{id(y)}p1" -> "{id(y)}sumop"' in src and f'"{id(y)}z" -> "{id(y)}op"' in src
    assert y.parents == parents_before and y.op == "dot_relu"       # drawing only


def test_expand_a_linear_layer_and_a_plain_dot():
    lin = mg.nn.Linear(3, 2)
    out = lin(mg.Tensor(np.ones((4, 3)), label="X"))
    src = draw_dot(out, expand=True).source
    assert f'"{id(out)}mmop" [label="@"' in src and f'"{id(out)}sumop" [label="+"' in src
    assert f"data {preview(np.ones((4, 3)) @ out.parents[1].data.T)}" in src
    ws = [mg.Value(2.0, label="w"), mg.Value(3.0, label="v")]
    d = mg.dot(ws, [mg.Value(4.0, label="x"), mg.Value(5.0, label="y")])
    src = draw_dot(d, expand=True).source
    assert "<B>w*x</B>" in src and "<B>v*y</B>" in src and "relu" not in src
    assert f'"{id(d)}sumop" -> {id(d)}' in src


@needs_dot
def test_png_of_a_2_16_16_1_mlp_is_cut_not_shrunk(tmp_path):
    model = mg.nn.MLP(2, [16, 16, 1], seed=0)
    out = model([0.5, -1.0])
    out.backward()
    path = render_graph(out, tmp_path / "mlp.png", params=model.named_parameters())
    w, h = png_size(path)
    assert max(w, h) <= mg.viz.PNG_MAX_PX
    assert min(w, h) > 800                   # not squeezed into a thumbnail
    small = mg.Value(2.0, label="x") * 3
    svg = render_graph(small, tmp_path / "s.svg").read_text()
    pw, ph = png_size(render_graph(small, tmp_path / "s.png"))
    root = ET.fromstring(svg)
    sw, sh = (float(root.get(k).rstrip("pt")) for k in ("width", "height"))
    assert abs(pw - sw * mg.viz.PNG_DPI / 72) <= 2 and abs(ph - sh * mg.viz.PNG_DPI / 72) <= 2


def test_render_writes_atomically_and_replaces(tmp_path):
    path = tmp_path / "g.dot"
    path.write_text("old")
    render_graph(mg.Value(1.0) * 2, path)
    assert path.read_text().startswith("digraph")
    assert [p.name for p in tmp_path.iterdir()] == ["g.dot"]


def test_expand_and_params_bad_arguments():
    y = mg.Value(1.0) * 2
    with pytest.raises(TypeError, match="expand"):
        draw_dot(y, expand="yes")
    with pytest.raises(TypeError, match="named_parameters"):
        draw_dot(y, params=42)


@needs_dot
def test_hostile_labels_are_escaped_in_graphviz_labels(tmp_path):
    bad = ['<img src=x onerror=alert(1)>', '</TD></TR></TABLE>> shape=box', '"quoted" & <b>bold</b>']
    x = mg.Value(1.0, label=bad[0])
    n = mg.nn.Neuron(1, seed=0)
    y = n([x])
    y.label = bad[1]
    src = draw_dot(y, params={bad[2]: n.w[0]}, expand=True).source
    for b in bad:
        assert b not in src
    svg = render_graph(y, tmp_path / "h.svg", params={bad[2]: n.w[0]}, expand=True).read_text()
    root = ET.fromstring(svg)                      # well-formed: nothing broke out of its label
    assert not [e for e in root.iter() if e.tag.endswith("img")]
    shown = [t.text for t in root.iter(SVG + "text")]
    assert bad[0] in shown and bad[1] in shown and bad[2] in shown


def test_tensor_intermediates_show_a_retained_grad_only():
    W = mg.Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True, label="W")
    h = mg.Tensor(np.ones((4, 3)), label="X") @ W
    h.label = "h"
    out = h.tanh().sum()
    if hasattr(h, "retain_grad"):
        h.retain_grad()
    out.backward()
    expected = 1 - np.tanh(np.ones((4, 3)) @ np.arange(6.0).reshape(3, 2)) ** 2
    if h.grad is None:                       # no retain_grad yet: set what it would keep
        assert "<B>h</B></TD><VR/><TD>(4, 2) float64</TD><VR/><TD>data" in draw_dot(out).source
        assert f"grad {preview(expected)}" not in draw_dot(out).source
        h.grad = expected
    src = draw_dot(out).source
    np.testing.assert_allclose(h.grad, expected, rtol=1e-12)
    assert f"grad {preview(expected)}" in src
    assert "grad None" not in src            # the other intermediates kept nothing and show nothing


# ---- in a notebook without Graphviz ------------------------------------------------

@pytest.fixture
def no_dot(tmp_path, monkeypatch):
    """A PATH on which there is no Graphviz 'dot' program."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert shutil.which("dot") is None


def test_notebook_without_graphviz_shows_how_to_install_it(no_dot):
    x = mg.Value(2.0, label="x")
    y = (x * 3).tanh()
    y.backward()
    dot = draw_dot(y)
    assert isinstance(dot, graphviz.Digraph)
    with pytest.raises(graphviz.ExecutableNotFound):      # what a plain Digraph shows: graphviz's error
        graphviz.Digraph(body=dot.body)._repr_mimebundle_()
    bundle = dot._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"}
    text = bundle["text/plain"]
    assert "cannot show this graph: the Graphviz 'dot' program is not on PATH" in text
    assert "apt-get install graphviz" in text and "render_graph(root, 'graph.dot')" in text
    assert "apt-get install graphviz" in bundle["text/html"] and "&#x27;dot&#x27;" in bundle["text/html"]
    assert dot.source.startswith("digraph") and "tanh" in dot.source      # the source is still there


def test_ipython_without_graphviz_displays_the_message(no_dot):
    formatters = pytest.importorskip("IPython.core.formatters")
    data, _ = formatters.DisplayFormatter().format(draw_dot(mg.Value(2.0) * 3))
    assert "apt-get install graphviz" in data["text/plain"]
