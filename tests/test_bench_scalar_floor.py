"""The benchmark's pure-Python floor computes micrograd's step exactly as microgradx does."""

import math

import microgradx as mg
from bench.scalar import make_fine, make_floor, moons
from bench.scalar_floor import Bare


def test_floor_gives_the_same_loss_and_gradients_as_microgradx_on_the_moons_step():
    X, ys = moons()
    X, ys = X[:20], ys[:20]
    model = mg.nn.MLP(2, [16, 16, 1], seed=1)
    (ours, ours_params), (floor, floor_params) = make_fine(model, X, ys), make_floor(model, X, ys)
    results = []
    for build, params in ((ours, ours_params), (floor, floor_params)):
        loss = build()
        loss.backward()
        results.append((loss.data, [p.grad for p in params]))
    (ours_loss, ours_grads), (floor_loss, floor_grads) = results
    assert floor_loss == ours_loss
    assert len(floor_grads) == len(ours_grads) == 337
    assert any(g != 0.0 for g in ours_grads)
    for a, b in zip(floor_grads, ours_grads):
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)


def test_floor_derivatives_of_add_mul_relu_and_fan_out():
    x, y = Bare(3.0), Bare(-2.0)
    z = (x * y + x).relu() + (x * x).relu() * 2      # relu(-3) = 0 cuts the first branch
    z.backward()
    assert z.data == 18.0
    assert x.grad == 12.0 and y.grad == 0.0
