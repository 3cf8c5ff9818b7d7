"""Tensor layers: Linear, Sequential, activations — against PyTorch and central differences."""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import microgradx as mg
from microgradx.nn.layers import LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Tanh
from microgradx.nn.losses import mse_loss
from microgradx.nn.module import Module
from microgradx.tensor import linear

SETTINGS = settings(max_examples=25, deadline=None)
dims = st.integers(1, 4)


def central_diff(f, arr):
    """d f / d arr by central differences (on a copy: ``arr`` is left alone)."""
    return mg.numerical_gradient(f, arr.copy(), h=1e-6)


# ---- Linear ------------------------------------------------------------------

@SETTINGS
@given(n=dims, nin=dims, nout=dims, seed=st.integers(0, 2**16))
def test_linear_matches_torch_in_value_and_gradient(n, nin, nout, seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    layer = Linear(nin, nout, seed=seed)
    layer.bias.data = rng.normal(size=nout)
    x = mg.Tensor(rng.normal(size=(n, nin)), requires_grad=True)
    r = rng.normal(size=(n, nout))
    out = layer(x)
    (out * r).sum().backward()

    W = torch.tensor(layer.weight.data, requires_grad=True)
    b = torch.tensor(layer.bias.data, requires_grad=True)
    tx = torch.tensor(x.data, requires_grad=True)
    tout = torch.nn.functional.linear(tx, W, b)
    (tout * torch.tensor(r)).sum().backward()

    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.weight.grad, W.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.bias.grad, b.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-12)


@SETTINGS
@given(n=dims, nin=dims, nout=dims, seed=st.integers(0, 2**16))
def test_linear_weight_gradient_equals_central_differences(n, nin, nout, seed):
    rng = np.random.default_rng(seed)
    layer = Linear(nin, nout, init="xavier", seed=seed)
    x = rng.normal(size=(n, nin))
    r = rng.normal(size=(n, nout))
    (layer(x).tanh() * r).sum().backward()

    def f(w):
        return float(np.sum(np.tanh(x @ w.T + layer.bias.data) * r))

    np.testing.assert_allclose(layer.weight.grad, central_diff(f, layer.weight.data), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(layer.bias.grad, np.sum((1 - np.tanh(x @ layer.weight.data.T) ** 2) * r, 0),
                               rtol=1e-10)


def test_linear_parameters_shapes_labels_and_bias_option():
    layer = Linear(3, 2, seed=0)
    assert layer.weight.shape == (2, 3) and layer.bias.shape == (2,)
    assert layer.weight.requires_grad and layer.bias.requires_grad
    assert (layer.weight.label, layer.bias.label) == ("weight", "bias")
    assert np.all(layer.bias.data == 0)
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    no_bias = Linear(3, 2, bias=False, seed=0)
    assert no_bias.parameters() == [no_bias.weight]
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(no_bias(x).data, x @ no_bias.weight.data.T)


def test_linear_accepts_batched_and_single_inputs():
    layer = Linear(3, 2, seed=0)
    layer.bias.data = np.array([1.0, -1.0])
    x = np.random.default_rng(1).normal(size=(4, 5, 3))
    np.testing.assert_allclose(layer(x).data, x @ layer.weight.data.T + layer.bias.data)
    assert layer(x[0, 0]).shape == (2,)
    assert layer([1.0, 2.0, 3.0]).shape == (2,)


def test_linear_he_init_statistics_on_a_large_layer():
    nin, nout = 500, 400
    w = Linear(nin, nout, seed=0).weight.data
    assert abs(w.mean()) < 0.01 * math.sqrt(2 / nin)
    assert w.std() == pytest.approx(math.sqrt(2 / nin), rel=0.02)


def test_linear_xavier_and_uniform_init_bounds():
    nin, nout = 300, 500
    bound = math.sqrt(6 / (nin + nout))
    w = Linear(nin, nout, init="xavier", seed=0).weight.data
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    u = Linear(nin, nout, init="uniform", seed=0).weight.data
    assert np.abs(u).max() <= 1.0 and np.abs(u).max() > 0.99
    assert u.std() == pytest.approx(1 / math.sqrt(3), rel=0.02)


def test_linear_seed_makes_weights_reproducible():
    a, b, c = Linear(4, 3, seed=7), Linear(4, 3, seed=7), Linear(4, 3, seed=8)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert not np.array_equal(a.weight.data, c.weight.data)


def test_linear_float32_stays_float32_through_forward_and_backward():
    layer = Linear(3, 2, seed=0, dtype=np.float32)
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    x = mg.Tensor(np.ones((4, 3), np.float32))
    out = layer(x)
    assert out.dtype == np.float32
    loss = mse_loss(out, np.zeros((4, 2), np.float32))
    assert loss.dtype == np.float32
    loss.backward()
    assert layer.weight.grad.shape == (2, 3) and layer.weight.grad.dtype == np.float32
    assert layer.bias.grad.shape == (2,) and layer.bias.grad.dtype == np.float32
    # a float64 ndarray input is cast to the layer's dtype
    assert layer(np.ones((1, 3))).dtype == np.float32
    assert "float32" in repr(layer)


def test_linear_rejects_mismatched_input_naming_both_shapes():
    layer = Linear(3, 2)
    with pytest.raises(ValueError, match=r"\(5, 4\)") as e:
        layer(np.ones((5, 4)))
    assert "(2, 3)" in str(e.value) and "3" in str(e.value)
    with pytest.raises(ValueError, match=r"\(\)"):
        layer(mg.Tensor(1.0))
    with pytest.raises(TypeError, match="MLP"):
        layer(mg.Value(1.0))
    with pytest.raises(TypeError, match="list"):
        layer([mg.Value(1.0), mg.Value(2.0), mg.Value(3.0)])


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("activation", [None, "relu"])
def test_linear_names_itself_when_the_input_does_not_fit(bias, activation):
    layer = Linear(3, 2, bias=bias, activation=activation)
    for x in (np.ones((5, 4)), mg.Tensor(np.ones(2)), mg.Tensor(1.0)):
        with pytest.raises(ValueError, match=r"Linear\(in_features=3, out_features=2.*"
                                             r"expects inputs whose last dimension is 3"):
            layer(x)
    assert layer(np.ones((5, 3))).shape == (5, 2)


def test_linear_refuses_a_weight_or_activation_changed_to_something_wrong():
    layer = Linear(3, 2)
    layer.bias.data = np.zeros(5)
    with pytest.raises(ValueError, match=r"weight \(2, 3\) float64 and bias \(5,\) float64"):
        layer(np.ones((4, 3)))
    layer.bias.data = np.zeros(2)
    layer.activation = "tanh"
    with pytest.raises(ValueError, match="activation must be None or 'relu', got 'tanh'"):
        layer(np.ones((4, 3)))


@pytest.mark.parametrize("bias", [True, False])
def test_linear_relu_option_equals_linear_then_relu(bias):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(6, 3))
    fused = Linear(3, 4, bias=bias, seed=1, activation="relu")
    plain = Linear(3, 4, bias=bias, seed=1)
    if bias:
        fused.bias.data = plain.bias.data = rng.normal(size=4)
    out_f, out_p = fused(x), ReLU()(plain(x))
    assert out_f.op == ("linear_relu" if bias else "relu")
    np.testing.assert_array_equal(out_f.data, out_p.data)
    r = rng.normal(size=(6, 4))
    (out_f * r).sum().backward()
    (out_p * r).sum().backward()
    for pf, pp in zip(fused.parameters(), plain.parameters()):
        np.testing.assert_array_equal(pf.grad, pp.grad)
    assert repr(fused) == f"Linear(in_features=3, out_features=4, bias={bias}, activation='relu')"


def test_linear_rejects_an_unknown_activation():
    with pytest.raises(ValueError, match="None or 'relu', got 'tanh'.*Tanh()"):
        Linear(2, 2, activation="tanh")


@pytest.mark.parametrize("nin, nout", [(0, 2), (-1, 2), (2, 0), (2.5, 2), (True, 2), ("3", 2)])
def test_linear_rejects_bad_sizes(nin, nout):
    with pytest.raises(ValueError, match="positive int"):
        Linear(nin, nout)


def test_linear_rejects_bad_dtype_and_init():
    with pytest.raises(TypeError, match="float64 or np.float32"):
        Linear(2, 2, dtype=np.int64)
    with pytest.raises(TypeError, match="float64 or np.float32"):
        Linear(2, 2, dtype="banana")
    with pytest.raises(ValueError, match="unknown init 'normal'"):
        Linear(2, 2, init="normal")


# ---- activations -------------------------------------------------------------

ACTS = [
    (ReLU(), lambda t, x: t.relu(x)),
    (Tanh(), lambda t, x: t.tanh(x)),
    (Sigmoid(), lambda t, x: t.sigmoid(x)),
    (LeakyReLU(0.2), lambda t, x: t.nn.functional.leaky_relu(x, 0.2)),
    (LeakyReLU(), lambda t, x: t.nn.functional.leaky_relu(x)),
]


@pytest.mark.parametrize("act, ref", ACTS, ids=[repr(a) for a, _ in ACTS])
@settings(max_examples=15, deadline=None)
@given(x=st.lists(st.floats(-30, 30), min_size=1, max_size=6))
def test_activation_matches_torch(act, ref, x):
    torch = pytest.importorskip("torch")
    assume(all(abs(v) > 1e-9 for v in x))
    xt = mg.Tensor(x, requires_grad=True)
    out = act(xt)
    out.sum().backward()
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    tout = ref(torch, tx)
    tout.sum().backward()
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(xt.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("act", [a for a, _ in ACTS], ids=[repr(a) for a, _ in ACTS])
def test_activation_accepts_arrays_and_values(act):
    x = np.array([-1.5, 0.5, 2.0])
    out = act(x)
    assert isinstance(out, mg.Tensor) and not out.requires_grad
    v = mg.Value(-1.5)
    y = act(v)
    assert isinstance(y, mg.Value) and y.data == pytest.approx(out.data[0])
    y.backward()
    h = 1e-6
    num = (act(mg.Value(-1.5 + h)).data - act(mg.Value(-1.5 - h)).data) / (2 * h)
    assert v.grad == pytest.approx(num, rel=1e-6, abs=1e-9)


def test_activation_reprs_and_bad_slope():
    assert [repr(a) for a in (ReLU(), Tanh(), Sigmoid(), LeakyReLU(0.1))] == [
        "ReLU()", "Tanh()", "Sigmoid()", "LeakyReLU(slope=0.1)"]
    assert ReLU().parameters() == []
    with pytest.raises(TypeError, match="slope"):
        LeakyReLU("0.1")


# ---- Sequential --------------------------------------------------------------

def test_sequential_names_indexing_len_and_iteration():
    l0, l2 = Linear(2, 16, seed=0), Linear(16, 1, seed=1)
    act = ReLU()
    net = Sequential(l0, act, l2)
    assert len(net) == 3 and list(net) == [l0, act, l2]
    assert net[0] is l0 and net[1] is act and net[-1] is l2
    assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert net.parameters() == [l0.weight, l0.bias, l2.weight, l2.bias]
    assert list(net.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    head = net[:2]
    assert isinstance(head, Sequential) and len(head) == 2 and head[0] is l0
    with pytest.raises(IndexError, match="out of range for 3 layers"):
        net[3]
    with pytest.raises(TypeError, match="ints or slices"):
        net["0"]


def test_sequential_nested_names_repr_and_modules():
    inner = Sequential(Linear(3, 1))
    net = Sequential(Linear(2, 3), Tanh(), inner)
    assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias", "2.0.weight", "2.0.bias"]

    class Holder(Module):
        def __init__(self):
            self.body = net

    assert [n for n, _ in Holder().named_parameters()][:2] == ["body.0.weight", "body.0.bias"]
    text = repr(net)
    assert text.startswith("Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n"
                           "  (1): Tanh()")
    assert "    (0): Linear(in_features=3, out_features=1, bias=True)" in text
    net.eval()
    assert not inner.training and not net[0].training
    assert sum(isinstance(m, Module) for m in net.modules()) == 5


def test_sequential_save_load_roundtrip(tmp_path):
    net = Sequential(Linear(2, 4, seed=0), ReLU(), Linear(4, 1, seed=1))
    path = tmp_path / "net.npz"
    net.save(path)
    other = Sequential(Linear(2, 4, seed=5), ReLU(), Linear(4, 1, seed=6)).load(path)
    x = np.random.default_rng(0).normal(size=(3, 2))
    np.testing.assert_array_equal(other(x).data, net(x).data)


def test_sequential_matches_torch_sequential():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    net = Sequential(Linear(3, 5, seed=0), Tanh(), Linear(5, 4, seed=1), LeakyReLU(0.1), Linear(4, 2, seed=2))
    for p in net.parameters():
        p.data = rng.normal(size=p.shape)
    tnet = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 4),
                               torch.nn.LeakyReLU(0.1), torch.nn.Linear(4, 2)).double()
    with torch.no_grad():
        for i in (0, 2, 4):
            tnet[i].weight.copy_(torch.tensor(net[i].weight.data))
            tnet[i].bias.copy_(torch.tensor(net[i].bias.data))
    x = rng.normal(size=(6, 3))
    out = net(x)
    (out ** 2).sum().backward()
    tout = tnet(torch.tensor(x))
    (tout ** 2).sum().backward()
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12)
    for i in (0, 2, 4):
        np.testing.assert_allclose(net[i].weight.grad, tnet[i].weight.grad.numpy(), rtol=1e-10)
        np.testing.assert_allclose(net[i].bias.grad, tnet[i].bias.grad.numpy(), rtol=1e-10)


def test_sequential_rejects_non_callable_layers():
    with pytest.raises(TypeError, match="layer 1 is a int"):
        Sequential(ReLU(), 3)


def test_sequential_mlp_trains_with_hand_written_sgd():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(64, 2))
    y = (X[:, :1] * X[:, 1:]) + 0.5 * X[:, :1]   # a smooth nonlinear target, shape (64, 1)
    net = Sequential(Linear(2, 16, seed=0), ReLU(), Linear(16, 1, seed=1))
    first = None
    for _ in range(300):
        loss = mse_loss(net(X), y)
        first = loss.item() if first is None else first
        net.zero_grad()
        loss.backward()
        for p in net.parameters():
            p.data -= 0.1 * p.grad
    final = mse_loss(net(X), y).item()
    assert final < first / 10


@pytest.mark.parametrize("x_shape", [(3,), (5, 3), (2, 4, 3)])
@pytest.mark.parametrize("activation", [None, "relu"])
def test_linear_derivatives_of_first_and_second_order_for_any_batch_shape(x_shape, activation):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    layer = Linear(3, 2, seed=0, activation=activation)
    layer.bias.data = rng.normal(size=2)
    x = mg.Tensor(rng.normal(size=x_shape), requires_grad=True)

    def f(x, w, b):
        return (linear(x, w, b, activation=activation).tanh() ** 2).sum()

    assert mg.gradgradcheck(f, [x, layer.weight, layer.bias]).ok
    (layer(x).tanh() ** 2).sum().backward()
    tx, tw, tb = (torch.tensor(a.data, requires_grad=True) for a in (x, layer.weight, layer.bias))
    tout = torch.nn.functional.linear(tx, tw, tb)
    tout = torch.relu(tout) if activation else tout
    (tout.tanh() ** 2).sum().backward()
    for ours, ref in ((x, tx), (layer.weight, tw), (layer.bias, tb)):
        np.testing.assert_allclose(ours.grad, ref.grad.numpy(), rtol=1e-12, atol=1e-14)
