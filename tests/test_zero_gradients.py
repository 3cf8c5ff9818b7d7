"""A gradient that is exactly zero is followed like any other, as PyTorch does (0 * inf is nan)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import microgradx as mg
from microgradx import Value, ops


class CountCalls:
    """Counts the calls of mul's two VJPs while it is active."""

    def __init__(self):
        self.calls = 0

    def __enter__(self):
        self.saved = ops.MUL.vjps

        def counted(vjp):
            def f(*args):
                self.calls += 1
                return vjp(*args)
            return f

        ops.MUL.vjps = tuple(counted(v) for v in self.saved)
        return self

    def __exit__(self, *exc):
        ops.MUL.vjps = self.saved


def test_the_graph_behind_a_dead_relu_is_visited_like_any_other():
    xs = [Value(float(i)) for i in range(1, 11)]
    w = Value(-1.0)
    behind = mg.sum([w * x for x in xs])              # ten muls, all behind the relu below
    z = behind.relu() * Value(3.0) + w * Value(5.0)
    assert behind.data < 0.0
    with CountCalls() as c:
        z.backward()
    assert c.calls == 24         # two VJPs for each of the twelve muls: a zero is a gradient too
    assert w.grad == 5.0 and all(x.grad == 0.0 for x in xs)
    assert behind.grad == 0.0


@pytest.mark.parametrize("fast", [True, False])
def test_a_singular_point_reached_only_by_zeros_gives_nan_as_torch(fast):
    torch = pytest.importorskip("torch")
    t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    (torch.relu(torch.tensor(-1.0, dtype=torch.float64)) * t.sqrt() + t * 2.0).backward()
    assert math.isnan(t.grad.item())                   # 0 * inf

    with mg.use_fast_paths(fast):
        x = Value(0.0)
        z = Value(-1.0).relu() * x.sqrt() + x * 2.0    # d sqrt(x)/dx is inf at 0, times a zero
        z.backward()
        assert math.isnan(x.grad)
        assert math.isnan(mg.grad(z, [x])[0].data)


def test_nonzero_gradients_still_carry_nan_and_inf():
    a, b = Value(3.0), Value(math.nan)
    c = Value(2.0)
    (c * 1.5 * a * b).backward()
    assert math.isnan(a.grad) and math.isnan(c.grad)

    x = Value(0.0)
    x.sqrt().backward()
    assert x.grad == math.inf


def test_a_gradient_that_cancels_to_zero_is_still_multiplied_by_the_local_derivative():
    torch = pytest.importorskip("torch")
    t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    ty = t.sqrt()
    (ty * 1.0 - ty * 1.0 + t * 4.0).backward()
    x = Value(0.0)
    y = x.sqrt()                                       # reached by +1 and -1: zero in total, times inf
    z = y * 1.0 - y * 1.0 + x * 4.0
    z.backward()
    assert math.isnan(x.grad) and math.isnan(t.grad.item())
    assert math.isnan(mg.grad(z, [x])[0].data)


def test_create_graph_follows_a_first_derivative_that_is_zero_at_the_point():
    x = Value(0.0)
    gx, = mg.grad(x * x * x, [x], create_graph=True)   # 3x^2 = 0 here
    ggx, = mg.grad(gx, [x], create_graph=True)         # 6x = 0 here
    gggx, = mg.grad(ggx, [x])                          # 6
    assert gx.data == 0.0 and ggx.data == 0.0 and gggx.data == 6.0


def test_a_leaf_reached_only_by_zeros_keeps_its_gradient():
    w = Value(1.5)
    w.grad = 0.25
    (Value(-2.0).relu() * w).backward()
    assert w.grad == 0.25


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 12))
def test_an_mlp_with_met_margins_matches_torch(seed, n):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    model = mg.nn.MLP(3, [5, 4, 1], seed=seed)
    X = rng.uniform(-2.0, 2.0, (n, 3))
    ys = rng.choice([-1.0, 1.0], n)
    inputs = [[Value(float(v)) for v in row] for row in X]
    scores = [model(x) for x in inputs]
    terms = [(1 + -y * s).relu() for y, s in zip(ys, scores)]
    loss = mg.sum(terms) * (1.0 / n)
    loss.backward()

    Ws = [torch.tensor([[w.data for w in nn.w] for nn in layer.neurons], dtype=torch.float64,
                       requires_grad=True) for layer in model.layers]
    bs = [torch.tensor([nn.b.data for nn in layer.neurons], dtype=torch.float64, requires_grad=True)
          for layer in model.layers]
    h = torch.tensor(X, dtype=torch.float64)
    for i, (W, b) in enumerate(zip(Ws, bs)):
        h = h @ W.T + b
        if i < len(Ws) - 1:
            h = torch.relu(h)
    tloss = torch.relu(1 - torch.tensor(ys) * h[:, 0]).mean()
    tloss.backward()

    assert math.isclose(loss.data, tloss.item(), rel_tol=1e-12, abs_tol=1e-15)
    for layer, W, b in zip(model.layers, Ws, bs):
        np.testing.assert_allclose([[w.grad for w in nn.w] for nn in layer.neurons], W.grad.numpy(),
                                   rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose([nn.b.grad for nn in layer.neurons], b.grad.numpy(),
                                   rtol=1e-10, atol=1e-12)
