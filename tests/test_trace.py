"""Tests for mg.trace: evaluation traces against hand-computed tables."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import microgradx as mg
from microgradx.trace import Trace, forward_order

B = 6.8813735870195432   # micrograd's neuron: n = 0.8814, o = tanh(n) = 0.7071


def survey(x1, x2):
    """Baydin et al. (JMLR 2018), Table 2: f(x1, x2) = ln(x1) + x1 x2 - sin(x2)."""
    return x1.log() + x1 * x2 - x2.sin()


def neuron(x1, w1, x2, w2, b):
    return (x1 * w1 + x2 * w2 + b).tanh()


def test_survey_table_primal_values_and_adjoints():
    t = mg.trace(survey, x1=2.0, x2=5.0)
    got = [(r.name, r.op, r.args) for r in t.rows]
    assert got == [("v-1", "", ()), ("v0", "", ()), ("v1", "log", (-1,)), ("v2", "mul", (-1, 0)),
                   ("v3", "sin", (0,)), ("v4", "add", (1, 2)), ("v5", "sub", (4, 3))]
    primal = [2.0, 5.0, math.log(2.0), 10.0, math.sin(5.0), math.log(2.0) + 10.0,
              math.log(2.0) + 10.0 - math.sin(5.0)]
    assert [r.value for r in t.rows] == pytest.approx(primal, rel=1e-15)
    # the survey's printed values, to its three decimals
    assert [round(r.value, 3) for r in t.rows] == [2.0, 5.0, 0.693, 10.0, -0.959, 10.693, 11.652]
    # adjoints by hand: v5bar = 1, v4bar = 1, v3bar = -1, v2bar = v1bar = 1,
    # x2bar = v2bar * x1 + v3bar * cos(x2), x1bar = v1bar / x1 + v2bar * x2
    adjoint = [1 / 2.0 + 5.0, 2.0 - math.cos(5.0), 1.0, 1.0, -1.0, 1.0, 1.0]
    assert [r.adjoint for r in t.rows] == pytest.approx(adjoint, rel=1e-15)
    assert round(t.rows[0].adjoint, 3) == 5.5 and round(t.rows[1].adjoint, 3) == 1.716


def test_survey_table_prints_as_text():
    text = str(mg.trace(survey, x1=2.0, x2=5.0))
    lines = text.splitlines()
    assert lines[0].split() == ["v", "op", "expression", "value", "adjoint"]
    assert lines[1].split() == ["v-1", "x1", "2", "5.5"]
    assert lines[3].split() == ["v1", "log", "ln", "v-1", "0.693147", "1"]
    assert lines[4].split() == ["v2", "mul", "v-1", "×", "v0", "10", "1"]
    assert lines[7].split() == ["v5", "sub", "v4", "−", "v3", "11.6521", "1"]
    assert len(lines) == 8


def test_neuron_table_as_in_karpathys_lecture():
    t = mg.trace(neuron, x1=2.0, w1=-3.0, x2=0.0, w2=1.0, b=B)
    rows = {r.name: r for r in t.rows}
    assert [r.name for r in t.rows] == ["v-4", "v-3", "v-2", "v-1", "v0", "v1", "v2", "v3", "v4", "v5"]
    assert [r.node.label for r in t.rows[:5]] == ["x1", "w1", "x2", "w2", "b"]
    assert rows["v1"].value == -6.0 and rows["v2"].value == 0.0 and rows["v3"].value == -6.0
    assert rows["v4"].value == pytest.approx(0.8814, abs=1e-4)
    assert rows["v5"].value == pytest.approx(0.7071, abs=1e-4)
    grads = {r.node.label: r.adjoint for r in t.rows[:5]}
    assert grads == pytest.approx({"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5}, abs=1e-12)
    assert rows["v4"].adjoint == pytest.approx(0.5, abs=1e-12)      # do/dn = 1 - o**2
    assert rows["v5"].adjoint == 1.0


def test_trace_of_an_existing_output_matches_mg_grad_for_every_node():
    x1, x2 = mg.Value(2.0, label="x1"), mg.Value(5.0, label="x2")
    y = survey(x1, x2)
    t = mg.trace(y)
    assert [r.value for r in t.rows] == [r.value for r in mg.trace(survey, x1=2.0, x2=5.0).rows]
    for r in t.rows:
        if r.node is y:
            assert r.adjoint == 1.0
        else:
            (g,) = mg.grad(y, [r.node])
            assert r.adjoint == pytest.approx(g.data, rel=1e-15)
    assert x1.grad == 0.0 and x2.grad == 0.0          # .grad is left alone


def test_markdown_and_latex():
    t = mg.trace(survey, x1=2.0, x2=5.0)
    md = t.to_markdown().splitlines()
    assert md[0] == "| v | op | expression | value | adjoint v̄ |"
    assert md[1] == "|---|---|---|---|---|"
    assert md[2] == "| v₋₁ |  | x1 | 2 | 5.5 |"
    assert md[5] == "| v₂ | mul | v₋₁ × v₀ | 10 | 1 |"
    assert len(md) == 2 + 7
    tex = t.to_latex().splitlines()
    assert tex[0] == "\\begin{tabular}{lllll}" and tex[-1] == "\\end{tabular}"
    assert "$v_{1}$ & log & $\\ln v_{-1}$ & $0.693147$ & $1$ \\\\" in tex
    assert "$v_{3}$ & sin & $\\sin v_{0}$ & $-0.958924$ & $-1$ \\\\" in tex
    assert "$v_{2}$ & mul & $v_{-1} \\times v_{0}$ & $10$ & $1$ \\\\" in tex


def test_latex_escapes_labels_and_markdown_escapes_pipes():
    x = mg.Value(2.0, label="a_b|c&d")
    t = mg.Trace(x * x)
    assert "a\\_b|c\\&d" in t.to_latex()
    assert "a_b\\|c&d" in t.to_markdown()


def test_tangent_column_by_dict_of_nodes():
    x1, x2 = mg.Value(2.0, label="x1"), mg.Value(5.0, label="x2")
    y = survey(x1, x2)
    # tangents for x1dot = 1, x2dot = 0, worked out by hand as in the survey's Table 2
    nodes = {r.name: r.node for r in mg.trace(y).rows}
    by_hand = {"v-1": 1.0, "v0": 0.0, "v1": 0.5, "v2": 5.0, "v3": 0.0, "v4": 5.5, "v5": 5.5}
    t = Trace(y, tangents={nodes[k]: v for k, v in by_hand.items()})
    assert [r.tangent for r in t.rows] == [by_hand[r.name] for r in t.rows]
    lines = str(t).splitlines()
    assert lines[0].split() == ["v", "op", "expression", "value", "tangent", "adjoint"]
    assert lines[-1].split()[-2:] == ["5.5", "1"]
    assert "tangent v̇" in t.to_markdown() and "\\dot v_i" in t.to_latex()


def test_tangent_column_from_forward_mode_is_the_surveys_table():
    t = mg.trace(survey, x1=2.0, x2=5.0, tangent={"x1": 1.0})
    by_hand = {"v-1": 1.0, "v0": 0.0, "v1": 0.5, "v2": 5.0, "v3": 0.0, "v4": 5.5, "v5": 5.5}
    assert {r.name: float(r.tangent) for r in t.rows} == pytest.approx(by_hand, abs=1e-15)
    t2 = mg.trace(survey, x1=2.0, x2=5.0, tangent={"x2": 1.0})       # the other column: d/dx2
    assert float(t2.rows[-1].tangent) == pytest.approx(2.0 - math.cos(5.0), abs=1e-15)
    with pytest.raises(ValueError, match="x3"):
        mg.trace(survey, x1=2.0, x2=5.0, tangent={"x3": 1.0})


def test_constants_are_numbered_after_the_named_inputs():
    t = mg.trace(lambda x: x * 3 + (2.0 - x), x=1.5)
    leaves = [(r.name, r.node.label, r.value) for r in t.rows if r.op == ""]
    assert leaves == [("v-1", "x", 1.5), ("v0", "", 2.0)]
    assert t.rows[3].expression() == "v0 − v-1"
    assert t.rows[-1].value == 1.5 * 3 + 0.5
    mul = next(r for r in t.rows if r.op == "mul")
    assert mul.args[-1] == 3.0 and mul.expression().endswith("× 3")


def test_tensor_trace_adjoints_are_the_tensor_gradients():
    W = mg.Tensor(np.arange(6.0).reshape(3, 2) / 10, requires_grad=True, label="W")
    X = mg.Tensor(np.ones((4, 3)), label="X")
    y = (X @ W).tanh().sum()
    t = mg.trace(y)
    (gw,) = mg.grad(y, [W])
    row = t.row_of(W)
    np.testing.assert_allclose(row.adjoint, gw.numpy(), rtol=1e-15)
    assert t.row_of(X).adjoint is None                   # a constant: no gradient reaches it
    assert "3×2 [0, 0.1, 0.2, …]" in str(t)


def test_bad_input():
    with pytest.raises(TypeError, match="function or a graph output"):
        mg.trace(3.0)
    with pytest.raises(TypeError, match="keywords"):
        mg.trace(survey)
    with pytest.raises(TypeError, match="finite number"):
        mg.trace(survey, x1=float("nan"), x2=1.0)
    with pytest.raises(TypeError, match="not a mg.Value"):
        mg.trace(lambda x: 3.0, x=1.0)
    with pytest.raises(TypeError, match="no input values"):
        mg.trace(mg.Value(1.0) * 2, x=1.0)
    with pytest.raises(TypeError, match="graph output"):
        Trace("y")
    with pytest.raises(ValueError, match=r"shape \(2, 2\)"):
        mg.trace(mg.Tensor(np.ones((2, 2)), requires_grad=True) * 2)
    with pytest.raises(ValueError, match="not used"):
        Trace(mg.Value(1.0) * 2, inputs=[mg.Value(3.0)])


UNARY = ["exp", "tanh", "sin", "cos", "sigmoid", "softplus"]


@st.composite
def programs(draw):
    """A random straight-line program over two inputs: (op, i, j) triples."""
    n = draw(st.integers(1, 8))
    prog = []
    for k in range(n):
        kind = draw(st.sampled_from(["add", "mul", "sub"] + UNARY))
        i = draw(st.integers(0, k + 1))
        j = draw(st.integers(0, k + 1))
        prog.append((kind, i, j))
    return prog


def run(prog, a, b):
    vals = [a, b]
    for kind, i, j in prog:
        x, y = vals[i], vals[j]
        vals.append(x + y if kind == "add" else x * y if kind == "mul" else x - y if kind == "sub"
                    else getattr(x, kind)())
    return vals[-1]


@settings(max_examples=40, deadline=None)
@given(programs(), st.floats(-1.5, 1.5), st.floats(-1.5, 1.5))
def test_any_program_rows_come_in_forward_order_with_the_engines_adjoints(prog, a, b):
    t = mg.trace(lambda a, b: run(prog, a, b), a=a, b=b)
    for r in t.rows:
        assert all(arg < r.index for arg in r.args if isinstance(arg, int))
    ins = [r.node for r in t.rows if r.op == ""]
    grads = mg.grad(t.output, ins, allow_unused=True)
    for node, g in zip(ins, grads):
        assert t.row_of(node).adjoint == pytest.approx(g.data, rel=1e-12, abs=1e-300)
    assert forward_order(t.output)[-1] is t.output
