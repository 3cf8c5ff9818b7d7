"""Forward mode (microgradx/forward.py): tangents derived from the op table, against torch.func.jvp
and central differences, on random programs over every op of both faces."""

from __future__ import annotations

import numpy as np
import pytest
from _programs import BINARY, MG, TENSOR_OPS, UNARY, VALUE_OPS, points, programs, run, torch_ops
from hypothesis import given, settings

import microgradx as mg
from microgradx.forward import Linearization, forward_tangents
from microgradx.tensor import linear

SMOOTH = ["neg", "exp", "log", "sqrt", "tanh", "sigmoid", "sin", "cos", "softplus"] + BINARY


def close(ours, ref, rtol=1e-10):
    ours, ref = np.asarray(ours, dtype=float), np.asarray(ref, dtype=float)
    scale = max(1.0, float(np.max(np.abs(ref))) if ref.size else 1.0)
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=rtol * scale)


def value_fn(program):
    """The program on a list of Values; its last register is the output."""
    return lambda xs: run(program, xs, MG)[-1]


def torch_value_fn(program):
    T = torch_ops()
    return lambda x: run(program, [x[i] for i in range(len(x))], T)[-1]


# ---- against torch.func.jvp ------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(programs(VALUE_OPS), points((3,)), points((3,)))
def test_value_programs_jvp_equals_torch(program, x, t):
    torch = pytest.importorskip("torch")
    xs = [mg.Value(float(v)) for v in x]
    y = value_fn(program)(xs)
    tan = forward_tangents(y, dict(zip(xs, t.tolist())))
    ref_y, ref_t = torch.func.jvp(torch_value_fn(program), (torch.tensor(x),), (torch.tensor(t),))
    close(y.data, ref_y.item())
    close(tan.get(id(y), 0.0), ref_t.item())
    out, out_t = mg.jvp(value_fn(program), (x.tolist(),), (t.tolist(),))
    close(out, ref_y.item())
    close(out_t, ref_t.item())


@settings(max_examples=60, deadline=None)
@given(programs(TENSOR_OPS), points((2, 3)), points((2, 3)))
def test_tensor_programs_jvp_equals_torch(program, x, t):
    torch = pytest.importorskip("torch")
    fn = lambda a: run(program, [a, a * 0.7 - 0.2], MG)[-1]            # noqa: E731
    T = torch_ops()
    ref_y, ref_t = torch.func.jvp(lambda a: run(program, [a, a * 0.7 - 0.2], T)[-1],
                                  (torch.tensor(x),), (torch.tensor(t),))
    y, yt = mg.jvp(fn, (x,), (t,))
    assert isinstance(y, np.ndarray) and isinstance(yt, np.ndarray) and yt.shape == (2, 3)
    close(y, ref_y.numpy())
    close(yt, ref_t.numpy())


@settings(max_examples=25, deadline=None)
@given(programs(TENSOR_OPS), points((2, 3)), points((2, 3)))
def test_tangents_as_graph_nodes_have_the_same_values(program, x, t):
    X = mg.Tensor(x, requires_grad=True)
    y = run(program, [X, X * 0.7 - 0.2], MG)[-1]
    raw = forward_tangents(y, {X: t})
    graph = forward_tangents(y, {X: t}, create_graph=True)
    assert isinstance(graph[id(y)], mg.Tensor)
    close(graph[id(y)].data, raw[id(y)])


# ---- against central differences (no torch needed) --------------------------------------------

@settings(max_examples=40, deadline=None)
@given(programs(SMOOTH + ["nsum", "dot", "cube"]), points((3,)), points((3,)))
def test_value_jvp_equals_central_differences(program, x, t):
    f = value_fn(program)
    _, yt = mg.jvp(f, (x.tolist(),), (t.tolist(),))
    h = 1e-6
    plus = f([mg.Value(float(v)) for v in x + h * t]).data
    minus = f([mg.Value(float(v)) for v in x - h * t]).data
    numeric = (plus - minus) / (2 * h)
    assert yt == pytest.approx(numeric, rel=1e-5, abs=1e-5 * max(1.0, abs(numeric)))


@settings(max_examples=40, deadline=None)
@given(programs(SMOOTH + ["bcast_add", "bcast_div", "matmul", "matmul2", "sum", "mean", "reshape_t",
                          "softmax", "log_softmax", "getitem", "cat", "stack"]),
       points((2, 3)), points((2, 3)))
def test_tensor_jvp_equals_central_differences(program, x, t):
    f = lambda a: run(program, [a, a * 0.7 - 0.2], MG)[-1]            # noqa: E731
    _, yt = mg.jvp(f, (x,), (t,))
    h = 1e-6
    numeric = (f(mg.Tensor(x + h * t)).data - f(mg.Tensor(x - h * t)).data) / (2 * h)
    np.testing.assert_allclose(yt, numeric, rtol=1e-5, atol=1e-5 * max(1.0, np.abs(numeric).max()))


# ---- the walk itself --------------------------------------------------------------------------

def test_each_op_of_the_table_by_hand():
    x = mg.Value(0.5)
    cases = {
        "exp": (x.exp(), np.exp(0.5)), "log": (x.log(), 1 / 0.5), "sqrt": (x.sqrt(), 0.5 / np.sqrt(0.5)),
        "tanh": (x.tanh(), 1 - np.tanh(0.5) ** 2), "sin": (x.sin(), np.cos(0.5)),
        "cos": (x.cos(), -np.sin(0.5)),
        "sigmoid": (x.sigmoid(), np.exp(-0.5) / (1 + np.exp(-0.5)) ** 2),
        "softplus": (x.softplus(), 1 / (1 + np.exp(-0.5))), "pow": (x ** 3, 3 * 0.25),
        "rpow": (2 ** x, 2 ** 0.5 * np.log(2)), "rdiv": (1 / x, -1 / 0.25),
        "leaky": ((-x).leaky_relu(0.1), -0.1),
    }
    for name, (y, dy) in cases.items():
        assert forward_tangents(y, {x: 2.0})[id(y)] == pytest.approx(2 * dy, rel=1e-14), name


def test_inputs_without_tangent_are_skipped_and_counted_nodes_are_those_reached():
    a, b, c = mg.Value(2.0), mg.Value(3.0), mg.Value(5.0)
    ab = a * b
    bc = (b * c).sin()
    y = ab + bc
    lin = Linearization([y])
    tan = lin.push({id(a): 1.0})
    assert tan[id(ab)] == 3.0 and tan[id(y)] == 3.0
    assert id(bc) not in tan and id(b) not in tan
    assert lin.applications == 2                       # ab and y; b*c and its sin never see a tangent
    tan = lin.push({id(b): 1.0})
    assert tan[id(y)] == pytest.approx(2.0 + np.cos(15.0) * 5.0, rel=1e-14)
    assert lin.applications == 4


def test_a_seeded_node_keeps_its_tangent():
    x = mg.Value(1.0)
    h = x * 3.0
    y = h * h
    tan = forward_tangents(y, {h: 1.0, x: 100.0})
    assert tan[id(h)] == 1.0 and tan[id(y)] == 2 * 3.0


def test_n_ary_and_fused_nodes_use_vjp_all_and_pre():
    w = [mg.Value(1.0), mg.Value(-2.0)]
    x = [mg.Value(3.0), mg.Value(0.5)]
    live = mg.dot(w, x, bias=mg.Value(0.25), activation="relu")       # 3 - 1 + 0.25 > 0
    dead = mg.dot(w, [mg.Value(-3.0), mg.Value(0.5)], activation="relu")
    t = forward_tangents(live, {w[0]: 1.0, x[1]: 2.0})
    assert t[id(live)] == 3.0 + (-2.0) * 2.0
    assert forward_tangents(dead, {w[0]: 1.0})[id(dead)] == 0.0
    X = mg.Tensor(np.array([[1.0, -1.0]]), requires_grad=True)
    W = mg.Tensor(np.array([[2.0, 1.0], [1.0, 3.0]]))
    y = linear(X, W, mg.Tensor(np.zeros(2)), activation="relu")   # [1, -2] -> relu -> [1, 0]
    np.testing.assert_array_equal(forward_tangents(y, {X: np.array([[1.0, 0.0]])})[id(y)], [[2.0, 0.0]])


def test_user_defined_function_nodes_on_both_faces():
    from _programs import Cube

    x = mg.Value(2.0)
    y = Cube.apply(x)
    assert forward_tangents(y, {x: 1.0})[id(y)] == 12.0
    X = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    Y = Cube.apply(X)
    np.testing.assert_array_equal(forward_tangents(Y, {X: np.array([1.0, 1.0])})[id(Y)], [3.0, 12.0])


def test_deep_chain_needs_no_recursion():
    x = mg.Value(0.5)
    y = x
    for _ in range(20_000):
        y = y * 1.0
    assert forward_tangents(y, {x: 1.0})[id(y)] == 1.0


def test_bad_arguments_are_refused_with_a_message():
    x = mg.Value(1.0)
    with pytest.raises(TypeError, match="keys must be Values or Tensors"):
        forward_tangents(x * 2, {"x": 1.0})
    with pytest.raises(TypeError, match="Value or Tensor outputs"):
        forward_tangents(3.0, {x: 1.0})


def test_unary_ops_all_appear_in_the_programs():
    assert set(UNARY) <= set(VALUE_OPS) and set(UNARY) <= set(TENSOR_OPS)
