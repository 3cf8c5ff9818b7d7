"""Module with PyTorch's habits: forward, children/modules, apply, to(dtype), repr, train/eval."""

import numpy as np
import pytest

import microgradx as mg
from microgradx.nn import (
    MLP,
    Dropout,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    Module,
    ReLU,
    Sequential,
    Tanh,
)


class Net(Module):
    """A torch-style model: attributes in definition order, forward() defined."""

    def __init__(self):
        self.fc1 = Linear(2, 3, seed=0)
        self.act = ReLU()
        self.head = Sequential(Linear(3, 4, seed=1), Tanh(), Linear(4, 1, seed=2))
        self.scale = mg.Tensor(np.array([2.0]), requires_grad=True)

    def forward(self, x, shift=0.0):
        return self.head(self.act(self.fc1(x))) * self.scale + shift


def test_a_subclass_with_forward_is_callable_with_args_and_kwargs():
    net = Net()
    x = np.array([[0.5, -1.0], [2.0, 0.25]])
    h = np.maximum(x @ net.fc1.weight.data.T + net.fc1.bias.data, 0)
    h = np.tanh(h @ net.head[0].weight.data.T + net.head[0].bias.data)
    want = (h @ net.head[2].weight.data.T + net.head[2].bias.data) * 2.0 + 1.5
    np.testing.assert_allclose(net(x, shift=1.5).data, want, rtol=1e-14)
    np.testing.assert_array_equal(net(x).data, net.forward(x).data)


def test_a_module_without_forward_says_what_to_define():
    class Empty(Module):
        pass

    with pytest.raises(NotImplementedError, match=r"Empty has no forward\(\).*def forward"):
        Empty()(1.0)


def test_parameter_names_follow_definition_order_as_torch():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "fc1.weight", "fc1.bias", "head.0.weight", "head.0.bias", "head.2.weight", "head.2.bias", "scale"]
    seq = Sequential(Linear(2, 3), ReLU(), Linear(3, 1))
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_children_and_modules_in_order_each_once():
    net = Net()
    assert [n for n, _ in net.named_children()] == ["fc1", "act", "head"]
    assert list(net.children()) == [net.fc1, net.act, net.head]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "act", "head", "head.0", "head.1", "head.2"]
    assert [n for n, _ in net.named_modules(prefix="model")][:2] == ["model", "model.fc1"]
    shared = ReLU()
    twice = Sequential(shared, shared, Linear(2, 2))
    assert list(twice.modules()) == [twice, shared, twice[2]]
    assert list(twice.children()) == [shared, twice[2]]
    mlp = MLP(2, [3, 1], seed=0)
    assert [n for n, _ in mlp.named_children()] == ["layers.0", "layers.1"]
    assert len(list(mlp.modules())) == 1 + 2 + 3 + 1


def test_apply_visits_children_before_parents_and_returns_self():
    net = Net()
    seen = []
    assert net.apply(lambda m: seen.append(m)) is net
    assert seen == [net.fc1, net.act, net.head[0], net.head[1], net.head[2], net.head, net]

    def zero_linear(m):
        if isinstance(m, Linear):
            mg.nn.init.zeros_(m.weight)
            mg.nn.init.constant_(m.bias, 0.25)

    net.apply(zero_linear)
    for m in (net.fc1, net.head[0], net.head[2]):
        assert not m.weight.data.any() and np.all(m.bias.data == 0.25)


def test_to_float_double_cast_parameters_and_gradients():
    net = Sequential(Linear(3, 4, seed=0), ReLU(), Linear(4, 2, seed=1))
    before = [p.data.copy() for p in net.parameters()]
    net(np.ones((2, 3))).sum().backward()
    assert net.float() is net
    for p, b in zip(net.parameters(), before):
        assert p.dtype == np.float32 and p.grad.dtype == np.float32
        np.testing.assert_array_equal(p.data, b.astype(np.float32))
    out = net(np.ones((2, 3)))
    assert out.dtype == np.float32
    assert "dtype=float32" in repr(net[0])
    net.double()
    assert all(p.dtype == np.float64 for p in net.parameters())
    assert net.to("cpu") is net and net.to("float32")[0].weight.dtype == np.float32


def test_to_refuses_non_float_dtypes_and_float32_values():
    with pytest.raises(TypeError, match=r"np.float32 or np.float64, got <class 'numpy.int64'>"):
        Linear(2, 2).to(np.int64)
    with pytest.raises(TypeError, match="Value parameters are Python floats"):
        MLP(2, [1]).float()
    assert MLP(2, [1]).double().parameters()[0].data.__class__ is float


def test_repr_is_torch_nested_layout():
    net = Net()
    assert repr(net) == (
        "Net(\n"
        "  (fc1): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (act): ReLU()\n"
        "  (head): Sequential(\n"
        "    (0): Linear(in_features=3, out_features=4, bias=True)\n"
        "    (1): Tanh()\n"
        "    (2): Linear(in_features=4, out_features=1, bias=True)\n"
        "  )\n"
        ")"
    )
    assert repr(Sequential()) == "Sequential()"
    assert repr(Dropout(0.2)) == "Dropout(p=0.2)" and repr(Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert repr(LeakyReLU(0.1)) == "LeakyReLU(slope=0.1)" and repr(Identity()) == "Identity()"


def test_train_eval_reach_every_submodule():
    net = Sequential(Linear(2, 2), Sequential(Dropout(0.5), ReLU()))
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net.train(False)
    assert not net[1][0].training


def test_scalar_mlp_still_works_with_forward():
    mlp = MLP(2, [4, 1], seed=0)
    out = mlp([0.5, -1.0])
    assert isinstance(out, mg.Value)
    assert mlp.forward([0.5, -1.0]).data == out.data
    out.backward()
    assert any(p.grad != 0.0 for p in mlp.parameters())
