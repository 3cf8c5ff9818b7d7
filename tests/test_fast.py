"""The fast Value pass (microgradx/fast.py) gives the reference driver's gradients on generated
graphs: fan-out, shared inputs, layers over batches, non-finite values. (Tensors have no fast
pass: tests/test_tensor_backward.py checks that they take the reference.)

Where both add the same terms in the same order the results are equal to the bit; the
pass may visit one generation's nodes in another order, so sums of several
contributions are compared to 1e-12 relative (nan equal to nan)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import microgradx as mg
from microgradx import fast


@pytest.fixture(autouse=True)
def fast_paths_on():
    """These tests are about the fast passes: on, even under MICROGRADX_REFERENCE=1."""
    with mg.use_fast_paths(True):
        yield

SPECIAL = st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, 2.0, math.inf, -math.inf, math.nan])
# Tiny nonzero leaves make terms like 1/x of 1e16 that cancel: the order of the additions
# then decides what is left of the rest, so such sums are equal only to about 1e-16 of 1/x.
FINITE = st.floats(-3.0, 3.0, allow_nan=False).filter(lambda v: v == 0.0 or abs(v) > 1e-3)
NUMBER = st.one_of(FINITE, FINITE, FINITE, SPECIAL)

V_BINARY = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b,
            lambda a, b: a ** b]
V_UNARY = [lambda a: a.tanh(), lambda a: a.relu(), lambda a: a.exp(), lambda a: a.log(),
           lambda a: a.sqrt(), lambda a: a.sigmoid(), lambda a: a.sin(), lambda a: a.cos(),
           lambda a: a.softplus(), lambda a: -a, lambda a: abs(a), lambda a: a.leaky_relu(0.1),
           lambda a: a * 3.0, lambda a: 2.0 - a, lambda a: a ** 2]


def same(a, b):
    """Equal, or within 1e-12 relative (1e-12 absolute where terms cancel to about 0)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return bool(np.all((np.isnan(a) & np.isnan(b)) | np.isclose(a, b, rtol=1e-12, atol=1e-12) | (a == b)))


def grads_both_ways(build, leaves):
    """.grad of ``leaves`` after backward() on the fast path and on the reference path."""
    out = []
    for enabled in (True, False):
        for leaf in leaves:
            leaf.zero_grad()
        with mg.use_fast_paths(enabled):
            build().backward()
        out.append([np.array(leaf.grad, dtype=float, copy=True) for leaf in leaves])
    return out


@st.composite
def value_programs(draw):
    n_leaves = draw(st.integers(1, 4))
    values = draw(st.lists(NUMBER, min_size=n_leaves, max_size=n_leaves))
    steps = draw(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 99), st.integers(0, 99),
                                    st.integers(0, 99)), min_size=1, max_size=25))
    return values, steps


def run_value_program(leaves, steps):
    nodes = list(leaves)
    for kind, i, j, k in steps:                     # operands drawn from all nodes so far: fan-out
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        if kind == 0:
            nodes.append(V_BINARY[k % len(V_BINARY)](a, b))
        elif kind == 1:
            nodes.append(V_UNARY[k % len(V_UNARY)](a))
        elif kind == 2:
            nodes.append(mg.sum(nodes[-1 - (k % 3):]))
        else:
            ws, xs = nodes[:2], [a, b]
            nodes.append(mg.dot(ws[:len(xs)] if len(ws) == 2 else [a, b], xs, bias=nodes[0],
                                activation="relu" if k % 2 else None))
    return mg.sum(nodes[len(leaves):])


@settings(max_examples=150, deadline=None)
@given(value_programs())
def test_value_graphs_fast_equals_reference(program):
    values, steps = program
    leaves = [mg.Value(v) for v in values]
    fast_g, ref_g = grads_both_ways(lambda: run_value_program(leaves, steps), leaves)
    for f, r in zip(fast_g, ref_g):
        assert same(f, r), (f, r)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 12), widths=st.lists(st.integers(1, 6), min_size=1,
                                                                              max_size=3),
       bad=st.sampled_from([None, math.inf, -math.inf, math.nan]))
def test_mlp_over_a_batch_fast_equals_reference(seed, n, widths, bad):
    """Layers called on many samples make the dot grid of the fast pass."""
    rng = np.random.default_rng(seed)
    model = mg.nn.MLP(3, widths + [1], seed=seed)
    X = rng.uniform(-2, 2, (n, 3))
    if bad is not None:
        X[rng.integers(n), rng.integers(3)] = bad
    inputs = [[mg.Value(float(v)) for v in row] for row in X]
    params = model.parameters() + [x for row in inputs for x in row]

    def loss():
        scores = [model(x) for x in inputs]
        terms = [(1 + -s * (1.0 if i % 2 else -1.0)).relu() for i, s in enumerate(scores)]
        return mg.sum(terms) * (1.0 / n)

    fast_g, ref_g = grads_both_ways(loss, params)
    for f, r in zip(fast_g, ref_g):
        assert same(f, r), (f, r)


def test_fast_paths_switch_by_block_function_and_environment(monkeypatch):
    seen = []
    real = fast._scalar_pass
    monkeypatch.setattr(fast, "_scalar_pass", lambda *a: seen.append(1) or real(*a))
    x = mg.Value(2.0)
    (x * x).backward()
    with mg.use_fast_paths(False):
        (x * x).backward()
    assert seen == [1] and x.grad == 8.0
    switch = mg.use_fast_paths(False)             # a call, not a block: off until switched back
    (x * x).backward()
    mg.use_fast_paths(True)
    assert seen == [1] and switch.before is True
    (x * x).backward()
    assert seen == [1, 1] and x.grad == 16.0


def test_microgradx_reference_in_the_environment_turns_fast_paths_off():
    import subprocess
    import sys
    code = ("import microgradx as mg, microgradx.fast as f; x = mg.Value(3.0); (x*x).backward(); "
            "print(f._ENABLED[0], x.grad)")
    for env, expected in (({"MICROGRADX_REFERENCE": "1"}, "False 6.0"), ({}, "True 6.0")):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={**__import__("os").environ, "MICROGRADX_REFERENCE": "", **env})
        assert out.stdout.split() == expected.split()
