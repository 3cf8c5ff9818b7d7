"""Scalar networks (Neuron, Layer, MLP) and the Module machinery they share."""

import math

import numpy as np
import pytest

import microgradx as mg
from microgradx.autograd import topological_order
from microgradx.nn import MLP, Layer, Neuron

Value = mg.Value


def layer_arrays(layer):
    """(W of shape (nout, nin), b of shape (nout,)) read from a Layer's Values."""
    W = np.array([[w.data for w in n.w] for n in layer.neurons])
    b = np.array([n.b.data for n in layer.neurons])
    return W, b


def numpy_forward(model, x):
    a = np.asarray(x, dtype=float)
    for i, layer in enumerate(model.layers):
        W, b = layer_arrays(layer)
        a = W @ a + b
        if i < len(model.layers) - 1:
            a = np.maximum(a, 0.0)
    return a


def test_mlp_call_on_numbers_equals_a_numpy_forward():
    model = MLP(2, [16, 16, 1], seed=0)
    for x in ([0.5, -1.0], [2.0, 3.0], [-1.5, 0.25]):
        out = model(x)
        assert isinstance(out, Value)
        assert math.isclose(out.data, numpy_forward(model, x)[0], rel_tol=1e-12, abs_tol=1e-12)


def test_mlp_call_on_values_sends_gradients_to_the_inputs():
    model = MLP(2, [16, 16, 1], seed=3)
    xs = [Value(0.5), Value(-1.0)]
    model(xs).backward()
    for i in range(2):
        def f(t, i=i):
            x = [0.5, -1.0]
            x[i] = t
            return numpy_forward(model, x)[0]

        h = 1e-6
        assert math.isclose(xs[i].grad, (f(xs[i].data + h) - f(xs[i].data - h)) / (2 * h),
                            rel_tol=1e-6, abs_tol=1e-8)


def test_several_outputs_come_back_as_a_list():
    out = MLP(3, [4, 2], seed=0)([1.0, 2.0, 3.0])
    assert isinstance(out, list) and len(out) == 2 and all(isinstance(o, Value) for o in out)
    single = Layer(3, 1, seed=0)([1.0, 2.0, 3.0])
    assert isinstance(single, Value)


def test_parameter_count_and_unique_names():
    model = MLP(2, [16, 16, 1])
    sizes = [2, 16, 16, 1]
    expected = sum((sizes[i] + 1) * sizes[i + 1] for i in range(3))
    assert expected == 337
    params = model.parameters()
    named = model.named_parameters()
    assert len(params) == 337 == len({id(p) for p in params})
    names = [n for n, _ in named]
    assert len(set(names)) == 337
    assert [p for _, p in named] == params
    assert names[0] == "layers.0.neurons.0.w.0" and names[2] == "layers.0.neurons.0.b"
    assert names[-1] == "layers.2.neurons.0.b"
    assert all(isinstance(p, Value) for p in params)


def test_zero_grad_resets_every_parameter():
    model = MLP(2, [4, 1], seed=1)
    loss = (model([1.0, -2.0]) - 3.0) ** 2
    loss.backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_a_neuron_is_one_dot_node():
    n = Neuron(5, seed=0)
    y = n([1.0, -2.0, 0.5, 3.0, -1.0])
    nodes = topological_order([y])
    ops = [node.op for node in nodes if node.op]
    assert ops == ["dot_relu"]
    assert len(nodes) == 1 + 5 + 5 + 1           # 1 op, 5 weights, 5 inputs, the bias
    assert nodes[0].parents[-1] is n.b
    linear = Neuron(5, nonlin=False, seed=0)([1.0] * 5)
    assert [node.op for node in topological_order([linear]) if node.op] == ["dot"]


# ---- initialisation ------------------------------------------------------------------------

FAN_IN, FAN_OUT = 200, 300      # 60000 weights: std estimates are good to ~0.3 %


def weights(init):
    W, b = layer_arrays(Layer(FAN_IN, FAN_OUT, init=init, seed=0))
    assert W.shape == (FAN_OUT, FAN_IN) and np.all(b == 0.0)
    return W.ravel()


def test_uniform_init_is_micrograds_u_minus1_1():
    w = weights("uniform")
    assert w.min() >= -1.0 and w.max() <= 1.0 and w.max() > 0.999 and w.min() < -0.999
    assert abs(w.mean()) < 0.01
    assert w.std() == pytest.approx(1 / math.sqrt(3), rel=0.02)


def test_xavier_init_bound_and_std():
    a = math.sqrt(6.0 / (FAN_IN + FAN_OUT))
    w = weights("xavier")
    assert np.abs(w).max() <= a and np.abs(w).max() > 0.99 * a
    assert abs(w.mean()) < 0.01 * a
    assert w.std() == pytest.approx(a / math.sqrt(3), rel=0.02)


def test_he_init_std():
    s = math.sqrt(2.0 / FAN_IN)
    w = weights("he")
    assert w.std() == pytest.approx(s, rel=0.02)
    assert abs(w.mean()) < 0.02 * s
    assert np.abs(w).max() > 3 * s                # normal tails, not a bounded uniform


def test_init_reaches_the_layers_of_an_mlp_and_seeds_reproduce():
    m = MLP(FAN_IN, [FAN_OUT, 1], init="he", seed=0)
    W, _ = layer_arrays(m.layers[0])
    assert W.std() == pytest.approx(math.sqrt(2.0 / FAN_IN), rel=0.02)
    a, b = MLP(2, [3, 1], seed=5), MLP(2, [3, 1], seed=5)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    c = MLP(2, [3, 1], seed=6)
    assert [p.data for p in a.parameters()] != [p.data for p in c.parameters()]
    n = Neuron(FAN_IN, init="xavier", seed=0)
    assert max(abs(w.data) for w in n.w) <= math.sqrt(6.0 / (FAN_IN + 1))


def test_unknown_init_is_refused_with_the_choices():
    for make in (lambda: MLP(2, [3], init="gaussian"), lambda: Neuron(2, init="gaussian"),
                 lambda: Layer(2, 3, init="gaussian")):
        with pytest.raises(ValueError, match=r"unknown init 'gaussian'.*uniform, xavier, he"):
            make()


# ---- state dicts and files -----------------------------------------------------------------

def test_state_dict_round_trip():
    a, b = MLP(2, [4, 1], seed=0), MLP(2, [4, 1], seed=1)
    x = [0.3, -0.7]
    assert a(x).data != b(x).data
    state = a.state_dict()
    assert list(state) == [n for n, _ in a.named_parameters()]
    assert all(isinstance(v, np.ndarray) and v.shape == () for v in state.values())
    b.load_state_dict(state)
    assert b(x).data == a(x).data
    state["layers.0.neurons.0.b"][...] = 100.0    # a copy: the model is not changed
    assert a.layers[0].neurons[0].b.data == 0.0
    assert all(type(p.data) is float for p in b.parameters())


def test_load_state_dict_names_what_is_wrong():
    m = MLP(2, [2, 1], seed=0)
    state = m.state_dict()
    del state["layers.1.neurons.0.b"]
    state["bogus"] = np.array(1.0)
    with pytest.raises(KeyError, match=r"missing \['layers\.1\.neurons\.0\.b'\], unexpected \['bogus'\]"):
        m.load_state_dict(state)
    state = m.state_dict()
    state["layers.0.neurons.0.w.1"] = np.ones(3)
    with pytest.raises(ValueError, match=r"'layers\.0\.neurons\.0\.w\.1' has shape \(3,\)"):
        m.load_state_dict(state)


def test_save_and_load_npz_without_pickle(tmp_path):
    a, b = MLP(2, [16, 16, 1], seed=0), MLP(2, [16, 16, 1], seed=1)
    path = tmp_path / "model.npz"
    a.save(path)
    with np.load(path, allow_pickle=False) as f:
        assert sorted(f.files) == sorted(n for n, _ in a.named_parameters())
        assert float(f["layers.0.neurons.3.w.1"]) == a.layers[0].neurons[3].w[1].data
    assert b.load(path) is b
    x = [1.5, -0.5]
    assert b(x).data == a(x).data
    evil = tmp_path / "evil.npz"
    np.savez(evil, **{name: np.array([object()], dtype=object) for name in a.state_dict()})
    with pytest.raises(ValueError, match="objects, not plain arrays") as e:
        b.load(evil)
    assert "pickle" not in str(e.value)


def test_train_eval_and_repr():
    m = MLP(2, [3, 1], seed=0)
    m.eval()
    assert not any(sub.training for sub in m.modules())
    m.train()
    assert all(sub.training for sub in m.modules())
    assert len(list(m.modules())) == 1 + 2 + 3 + 1
    assert repr(m).startswith("MLP of [") and "ReLUNeuron(2)" in repr(m) and "LinearNeuron(3)" in repr(m)


# ---- bad sizes and inputs ----------------------------------------------------------------------

@pytest.mark.parametrize(("make", "pattern"), [
    (lambda: MLP(0, [1]), r"nin must be a positive int, got 0"),
    (lambda: MLP(2.5, [1]), r"nin must be a positive int, got 2\.5"),
    (lambda: MLP(True, [1]), r"nin must be a positive int, got True"),
    (lambda: MLP(2, []), r"list of layer sizes.*\[\]"),
    (lambda: MLP(2, 3), r"list of layer sizes.*got 3"),
    (lambda: MLP(2, [16, 0]), r"nout must be a positive int, got 0"),
    (lambda: Neuron(-1), r"nin must be a positive int, got -1"),
    (lambda: Layer(2, 0), r"nout must be a positive int, got 0"),
])
def test_bad_sizes_are_refused(make, pattern):
    with pytest.raises(ValueError, match=pattern):
        make()


def test_wrong_number_of_inputs():
    with pytest.raises(ValueError, match="expects 2 inputs, got 3"):
        MLP(2, [3, 1], seed=0)([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="Layer expects 3 inputs, got 2"):
        Layer(3, 4, seed=0)([1.0, 2.0])
    with pytest.raises(ValueError, match="Neuron expects 3 inputs, got 1"):
        Neuron(3, seed=0)([1.0])
    with pytest.raises(TypeError, match="got str 'a'"):
        Layer(2, 2, seed=0)([1.0, "a"])


def test_a_layer_shares_its_inputs_between_neurons_and_matches_neuron_by_neuron():
    layer = Layer(3, 4, seed=1)
    x = [Value(0.5), Value(-1.0), Value(2.0)]
    outs = layer(x)
    for neuron, out in zip(layer.neurons, outs):
        alone = neuron(x)
        assert alone.data == out.data
        assert alone.op == "dot_relu" and all(a is b for a, b in zip(alone.parents[3:6], x))
    mg.sum(outs).backward()
    W, _ = layer_arrays(layer)
    live = np.array([o.data > 0 for o in outs], dtype=float)
    np.testing.assert_allclose([v.grad for v in x], live @ W, rtol=1e-12)
