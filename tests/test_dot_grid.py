"""The scalar pass's dot grid: a layer's dot nodes of one generation as two matrix products.

``.backward()`` on Values defers the dot nodes of a generation and, where they
fill a grid (row = a sample's input tuple, column = a neuron's weight tuple),
takes their gradients from ``ops.DOT.vjp_batch``. Every result here is checked
against the general pass (``mg.grad``), which never uses the grid, or against
PyTorch; a spy on ``fast._dot_grid`` tells whether the grid was taken.

Tolerance: the grid sums the same products as the node-by-node pass in another
order, so results agree to a few ulps of the largest term; 1e-12 relative, with
an absolute floor of 1e-12 times the largest gradient for sums that cancel.
"""

import itertools
import math
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import microgradx as mg
from microgradx import fast, ops
from microgradx.autograd import topological_order
from microgradx.nn import MLP, Layer, Neuron

Value = mg.Value
NODE_BY_NODE = 10**9         # a DOT_BATCH_EDGES no grid reaches
SEEDS = st.integers(0, 2**32 - 1)


@pytest.fixture(autouse=True)
def fast_paths_on():
    """These tests are about the fast pass's grid: on, even under MICROGRADX_REFERENCE=1."""
    with mg.use_fast_paths(True):
        yield


# ---- helpers -----------------------------------------------------------------------------

@contextmanager
def grid_spy(edges=None):
    """Record every ``_dot_grid`` call as (G.shape, column tuples, row tuples).

    ``edges``, when given, replaces ``DOT_BATCH_EDGES`` inside the block.
    """
    calls = []
    real = fast._dot_grid

    def spy(G, col_tuples, row_tuples, op, *rest):
        calls.append((G.shape, list(col_tuples), list(row_tuples)))
        return real(G, col_tuples, row_tuples, op, *rest)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fast, "_dot_grid", spy)
        if edges is not None:
            mp.setattr(fast, "DOT_BATCH_EDGES", edges)
        yield calls


def plain_grads(loss, nodes, edges=None):
    """``.grad`` of ``nodes`` after one ``loss.backward()`` from zero, and the grid calls made."""
    for n in nodes:
        n.zero_grad()
    with grid_spy(edges) as calls:
        loss.backward()
    return np.array([n.grad for n in nodes]), calls


def general_grads(loss, nodes):
    """The same gradients from the general pass (``mg.grad``), which has no grid path."""
    return np.array([g.data for g in mg.grad(loss, nodes)])


def assert_close(actual, expected):
    scale = max(1.0, float(np.max(np.abs(expected))))
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12 * scale)


def assert_same_floats(actual, expected):
    """nan where nan, the same infinities, finite values close."""
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    np.testing.assert_array_equal(np.isinf(actual), np.isinf(expected))
    inf = np.isinf(expected)
    np.testing.assert_array_equal(actual[inf], expected[inf])
    finite = np.isfinite(expected)
    assert_close(actual[finite], expected[finite])


def random_mlp(seed, nin=3, sizes=(8, 8, 1)):
    """An MLP whose biases are random too, so the bias column of the grid matters."""
    model = MLP(nin, list(sizes), seed=seed)
    rng = np.random.default_rng(seed + 1000)
    for layer in model.layers:
        for n in layer.neurons:
            n.b.data = float(rng.uniform(-0.5, 0.5))
    return model


def random_layer(nin, nout, seed, nonlin=True):
    layer = Layer(nin, nout, nonlin=nonlin, seed=seed)
    rng = np.random.default_rng(seed + 1000)
    for n in layer.neurons:
        n.b.data = float(rng.uniform(-0.5, 0.5))
    return layer


def samples(rng, n, nin):
    """``n`` samples of ``nin`` input Values each, as lists."""
    return [[Value(float(x)) for x in row] for row in rng.uniform(-2.0, 2.0, (n, nin))]


def as_list(out):
    return out if isinstance(out, list) else [out]


def weighted_sum(outs, rng):
    """A loss with a different upstream gradient for every output."""
    return mg.sum([o * float(c) for o, c in zip(outs, rng.uniform(-2.0, 2.0, len(outs)))])


def flat(rows):
    return [v for row in rows for v in row]


def wb_tuples(*layers):
    return [n._wb for layer in layers for n in layer.neurons]


def same_objects(a, b):
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


# ---- the op table's batch rule --------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(rows=st.integers(1, 6), cols=st.integers(1, 6), n=st.integers(1, 5), bias=st.booleans(), seed=SEEDS)
def test_vjp_batch_equals_vjp_all_summed_over_the_grid(rows, cols, n, bias, seed):
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(cols, n + bias))
    X = rng.normal(size=(rows, n))
    if bias:
        X = np.hstack([X, np.ones((rows, 1))])       # a bias's partner is 1.0
    G = rng.normal(size=(rows, cols))

    dW, dX = ops.DOT.vjp_batch(G, W, X)

    w_terms = [[[] for _ in range(n + bias)] for _ in range(cols)]
    x_terms = [[[] for _ in range(n)] for _ in range(rows)]
    for r in range(rows):
        for c in range(cols):
            args = [*W[c, :n], *X[r, :n], *W[c, n:]]   # w..., x..., b: the node's parents
            grads = ops.DOT.vjp_all(G[r, c], float(W[c] @ X[r]), *args)
            assert len(grads) == len(args)
            for i in range(n):
                w_terms[c][i].append(grads[i])
                x_terms[r][i].append(grads[n + i])
            if bias:
                w_terms[c][n].append(grads[2 * n])
    want_W = np.array([[math.fsum(t) for t in col] for col in w_terms])
    want_X = np.array([[math.fsum(t) for t in row] for row in x_terms])

    assert dW.shape == (cols, n + bias) and dX.shape == (rows, n + bias)
    # each entry to 1e-12 of the sum of its terms' sizes (cancellation can make the sum tiny)
    assert np.all(np.abs(dW - want_W) <= 1e-12 * (np.abs(G).T @ np.abs(X)))
    assert np.all(np.abs(dX[:, :n] - want_X) <= 1e-12 * (np.abs(G) @ np.abs(W))[:, :n])


# ---- an MLP on many samples -----------------------------------------------------------

def mlp_case(seed=0, n=40):
    model = random_mlp(seed)
    inputs = samples(np.random.default_rng(seed + 1), n, 3)
    loss = mg.sum([model(x) ** 2 for x in inputs])
    return model, inputs, loss


def test_mlp_backward_takes_the_grid_and_matches_the_general_pass():
    model, inputs, loss = mlp_case()
    nodes = model.parameters() + flat(inputs)

    got, calls = plain_grads(loss, nodes)

    # one grid per layer: 40 samples by the layer's width, its columns the neurons' (*w, b)
    assert sorted(shape for shape, _, _ in calls) == [(40, 1), (40, 8), (40, 8)]
    by_cols = {tuple(sorted(map(id, wb_tuples(layer)))): layer for layer in model.layers}
    for _, cols, rows in calls:
        key = tuple(sorted(map(id, cols)))
        assert key in by_cols
        assert {len(xs) for xs in rows} == {len(by_cols[key].neurons[0].w)}
    assert_close(got, general_grads(loss, nodes))


def test_mlp_grid_and_node_by_node_give_the_same_grads():
    model, inputs, loss = mlp_case(seed=4)
    nodes = model.parameters() + flat(inputs)
    grid, grid_calls = plain_grads(loss, nodes)
    single, single_calls = plain_grads(loss, nodes, edges=NODE_BY_NODE)
    assert len(grid_calls) == 3 and single_calls == []
    assert_close(grid, single)


def test_mlp_grid_grads_match_torch():
    torch = pytest.importorskip("torch")
    model, inputs, loss = mlp_case(seed=2)
    loss.backward()

    x = torch.tensor([[v.data for v in row] for row in inputs], dtype=torch.float64, requires_grad=True)
    Ws = [torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64,
                       requires_grad=True) for layer in model.layers]
    bs = [torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64, requires_grad=True)
          for layer in model.layers]
    h = x
    for i, (W, b) in enumerate(zip(Ws, bs)):
        h = h @ W.T + b
        if i < len(Ws) - 1:
            h = torch.relu(h)
    (h ** 2).sum().backward()

    assert math.isclose(loss.data, (h ** 2).sum().item(), rel_tol=1e-12)
    for layer, W, b in zip(model.layers, Ws, bs):
        assert_close(np.array([[w.grad for w in n.w] for n in layer.neurons]), W.grad.numpy())
        assert_close(np.array([n.b.grad for n in layer.neurons]), b.grad.numpy())
    assert_close(np.array([[v.grad for v in row] for row in inputs]), x.grad.numpy())


# ---- tiny grids, forced through the batch path ----------------------------------------

@settings(max_examples=40, deadline=None)
@given(nin=st.integers(1, 4), widths=st.lists(st.integers(1, 4), min_size=1, max_size=3),
       n=st.integers(1, 6), seed=SEEDS)
def test_tiny_grids_take_the_batch_path_and_match_the_general_pass(nin, widths, n, seed):
    rng = np.random.default_rng(seed)
    model = MLP(nin, widths, seed=rng)
    # positive weights and inputs: no relu is dead, so no zero gradient stops a
    # layer's grid short (the pass does not send zeros)
    for p in model.parameters():
        p.data = float(rng.uniform(0.1, 1.5))
    inputs = [[Value(float(x)) for x in row] for row in rng.uniform(0.1, 2.0, (n, nin))]
    outs = [o for x in inputs for o in as_list(model(x))]
    # a shuffled loss meets the last layer's cells out of row order
    loss = weighted_sum([outs[i] for i in rng.permutation(len(outs))], rng)
    nodes = model.parameters() + flat(inputs)

    got, calls = plain_grads(loss, nodes, edges=0)

    assert sorted(shape for shape, _, _ in calls) == sorted((n, w) for w in widths)
    assert_close(got, general_grads(loss, nodes))


@pytest.mark.parametrize("extra, used", [(0, True), (1, False)])
def test_a_grid_is_taken_from_exactly_dot_batch_edges_edges(extra, used):
    rng = np.random.default_rng(17)
    layer = random_layer(3, 4, seed=17)
    xs = samples(rng, 5, 3)
    loss = weighted_sum([o for x in xs for o in layer(x)], rng)
    edges = 5 * 4 * ((3 + 1) + 3)        # nodes times (weights and bias + inputs)
    nodes = layer.parameters() + flat(xs)
    got, calls = plain_grads(loss, nodes, edges=edges + extra)
    assert len(calls) == int(used)
    assert_close(got, general_grads(loss, nodes))


# ---- what is not a grid ---------------------------------------------------------------

def check_against_general(loss, nodes, edges=0):
    got, calls = plain_grads(loss, nodes, edges)
    assert_close(got, general_grads(loss, nodes))
    return calls


def test_a_neuron_called_on_only_some_samples_is_not_a_grid():
    rng = np.random.default_rng(0)
    layer = random_layer(3, 4, seed=0)
    extra = Neuron(3, seed=1)
    extra.b = Value(0.25)
    xs = [tuple(x) for x in samples(rng, 6, 3)]
    outs = [o for x in xs for o in layer(x)] + [extra(x) for x in xs[:3]]   # extra misses 3 rows
    loss = weighted_sum(outs, rng)
    calls = check_against_general(loss, layer.parameters() + extra.parameters() + flat(xs))
    assert calls == []


def test_a_repeated_cell_with_a_missing_one_is_not_a_grid():
    # four nodes on a 2 x 2 grid, but cell (x0, n0) twice and (x1, n0) never:
    # the count alone would pass for a full grid
    rng = np.random.default_rng(1)
    n0, n1 = Neuron(2, seed=2), Neuron(2, seed=3)
    x0, x1 = (Value(0.5), Value(-1.5)), (Value(1.25), Value(0.75))
    a, b = n0(x0), n0(x0)
    assert a._a[1] is b._a[1] is x0                           # the same row, twice
    loss = weighted_sum([a, b, n1(x0), n1(x1)], rng)
    calls = check_against_general(loss, n0.parameters() + n1.parameters() + [*x0, *x1])
    assert calls == []


def test_a_grid_met_out_of_row_order_puts_each_gradient_in_its_cell():
    rng = np.random.default_rng(16)
    layer = random_layer(3, 8, seed=16, nonlin=False)
    xs = samples(rng, 40, 3)
    outs = [o for x in xs for o in layer(x)]
    loss = weighted_sum([outs[i] for i in rng.permutation(len(outs))], rng)
    calls = check_against_general(loss, layer.parameters() + flat(xs), edges=None)
    assert [shape for shape, _, _ in calls] == [(40, 8)]


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_three_cells_of_a_two_by_two_grid_are_not_a_grid_in_any_order(order):
    # in some orders the three cells get the indices 0, 1, 2 and only the missing
    # fourth shows that the grid is not full
    rng = np.random.default_rng(9)
    n0, n1 = Neuron(2, seed=4), Neuron(2, seed=5)
    x0, x1 = (Value(0.5), Value(-1.5)), (Value(1.25), Value(0.75))
    cells = [(n0, x0), (n1, x0), (n0, x1)]
    loss = weighted_sum([cells[i][0](cells[i][1]) for i in order], rng)
    calls = check_against_general(loss, n0.parameters() + n1.parameters() + [*x0, *x1])
    assert calls == []


def test_a_layer_plus_one_neuron_called_again_on_a_sample_is_not_a_grid():
    rng = np.random.default_rng(2)
    layer = random_layer(3, 4, seed=5)
    xs = [tuple(x) for x in samples(rng, 5, 3)]
    outs = [o for x in xs for o in layer(x)] + [layer.neurons[0](xs[0])]
    loss = weighted_sum(outs, rng)
    calls = check_against_general(loss, layer.parameters() + flat(xs))
    assert calls == []


def test_two_layers_of_different_input_sizes_in_one_generation_are_two_grids():
    rng = np.random.default_rng(3)
    la, lb = random_layer(3, 4, seed=6), random_layer(5, 2, seed=7)
    xa, xb = samples(rng, 30, 3), samples(rng, 30, 5)
    loss = weighted_sum([o for x in xa for o in la(x)] + [o for x in xb for o in lb(x)], rng)
    calls = check_against_general(loss, la.parameters() + lb.parameters() + flat(xa) + flat(xb),
                                  edges=None)
    assert sorted(shape for shape, _, _ in calls) == [(30, 2), (30, 4)]
    for _, cols, rows in calls:
        assert len({len(wb) for wb in cols}) == 1 and len({len(xs) for xs in rows}) == 1


def test_two_layers_of_different_widths_on_the_same_input_tuples_are_one_grid():
    rng = np.random.default_rng(4)
    la, lb = random_layer(3, 4, seed=8), random_layer(3, 2, seed=9)
    xs = [tuple(x) for x in samples(rng, 5, 3)]
    loss = weighted_sum([o for x in xs for o in la(x) + lb(x)], rng)
    calls = check_against_general(loss, la.parameters() + lb.parameters() + flat(xs))
    assert [shape for shape, _, _ in calls] == [(5, 6)]
    assert same_objects(sorted(calls[0][1], key=id), sorted(wb_tuples(la, lb), key=id))


def test_two_layers_each_making_their_own_input_tuples_are_not_a_grid():
    # given lists, each layer call makes a new row tuple: 10 rows, 6 columns, 30 nodes
    rng = np.random.default_rng(5)
    la, lb = random_layer(3, 4, seed=10), random_layer(3, 2, seed=11)
    xs = samples(rng, 5, 3)
    loss = weighted_sum([o for x in xs for o in la(x) + lb(x)], rng)
    calls = check_against_general(loss, la.parameters() + lb.parameters() + flat(xs))
    assert calls == []


def test_a_full_grid_next_to_a_broken_one_in_the_same_generation():
    rng = np.random.default_rng(6)
    la, lb = random_layer(3, 4, seed=12), random_layer(5, 2, seed=13)
    xa, xb = [tuple(x) for x in samples(rng, 4, 3)], [tuple(x) for x in samples(rng, 4, 5)]
    outs = [o for x in xa for o in la(x)] + [o for x in xb for o in lb(x)] + [lb.neurons[1](xb[2])]
    loss = weighted_sum(outs, rng)
    calls = check_against_general(loss, la.parameters() + lb.parameters() + flat(xa) + flat(xb))
    assert [shape for shape, _, _ in calls] == [(4, 4)]
    assert same_objects(sorted(calls[0][1], key=id), sorted(wb_tuples(la), key=id))


@pytest.mark.parametrize("edges", [None, 0, NODE_BY_NODE])
def test_moons_loss_with_a_dot_regularizer_in_the_first_layers_generation(edges):
    rng = np.random.default_rng(7)
    model = random_mlp(7, nin=2, sizes=(16, 16, 1))
    params = model.parameters()
    X = rng.uniform(-2.0, 2.0, (30, 2))
    ys = rng.choice([-1.0, 1.0], 30)
    inputs = [[Value(float(a)), Value(float(b))] for a, b in X]
    scores = [model(x) for x in inputs]
    losses = [(1 + -y * s).relu() for y, s in zip(ys, scores)]
    reg = mg.dot(params, params)
    loss = mg.sum(losses) * (1.0 / len(losses)) + 1e-4 * reg
    first_layer_dot = model.layers[0](inputs[0])[0]
    assert first_layer_dot.op == "dot_relu" and reg._gen == first_layer_dot._gen   # two kinds, one generation

    calls = check_against_general(loss, params + flat(inputs), edges)

    for _, cols, rows in calls:
        assert len({len(wb) for wb in cols}) == 1 and len({len(xs) for xs in rows}) == 1
    if edges is None:
        # the layers' grids, one row per sample (a met margin sends its zero on,
        # as the chain rule does); the regularizer (674 edges) may go alone as a 1 x 1 grid
        shapes = sorted(shape for shape, _, _ in calls if shape != (1, 1))
        assert shapes == [(len(losses), 1), (len(losses), 16), (len(losses), 16)] and len(calls) <= 4
    if edges == NODE_BY_NODE:
        assert calls == []


# ---- non-finite values ----------------------------------------------------------------

@pytest.mark.parametrize("where", ["input", "weight"])
def test_non_finite_values_in_a_grid_give_the_general_pass_grads(where):
    rng = np.random.default_rng(8)
    layer = random_layer(3, 6, seed=8)
    xs = samples(rng, 50, 3)
    if where == "input":
        xs[3][0].data, xs[10][1].data, xs[20][2].data = math.inf, -math.inf, math.nan
    else:
        n = layer.neurons
        n[2].w[1].data, n[4].w[0].data, n[5].b.data = math.inf, -math.inf, math.nan
    outs = [o for x in xs for o in layer(x)]
    # positive weights: relu outputs are >= 0 or +inf, so the loss's sum meets no inf - inf
    loss = mg.sum([o * float(c) for o, c in zip(outs, rng.uniform(0.5, 2.0, len(outs)))])
    nodes = layer.parameters() + flat(xs)

    got, calls = plain_grads(loss, nodes)
    want = general_grads(loss, nodes)

    assert [shape for shape, _, _ in calls] == [(50, 6)]
    assert np.isnan(want).any() and np.isinf(want).any() and np.isfinite(want).any()
    assert_same_floats(got, want)
    assert_same_floats(plain_grads(loss, nodes, edges=NODE_BY_NODE)[0], want)


def test_dot_of_opposite_infinities_is_nan_as_mul_and_add_give():
    inf = Value(math.inf)
    w = (Value(1.0), Value(-1.0))
    chain = w[0] * inf + w[1] * inf
    assert math.isnan(chain.data)
    assert math.isnan(mg.dot(w, (inf, inf)).data)


def test_an_mlp_on_an_infinite_input_gives_the_general_pass_grads():
    # the second layer meets +inf and -inf products in one dot node
    model = random_mlp(9)
    inputs = samples(np.random.default_rng(10), 40, 3)
    inputs[0][0].data = math.inf
    loss = mg.sum([model(x) ** 2 for x in inputs])
    nodes = model.parameters() + flat(inputs)
    got, calls = plain_grads(loss, nodes)
    assert len(calls) == 3
    assert_same_floats(got, general_grads(loss, nodes))


# ---- accumulation ---------------------------------------------------------------------

def test_two_backward_calls_double_every_grad_and_dot_nodes_keep_theirs():
    model, inputs, loss = mlp_case(seed=11)
    dots = [n for n in topological_order([loss]) if n.op in ("dot", "dot_relu")]
    assert len(dots) == 40 * 17
    nodes = model.parameters() + flat(inputs) + dots

    once, calls = plain_grads(loss, nodes)
    loss.backward()
    twice = np.array([n.grad for n in nodes])

    assert len(calls) == 3
    np.testing.assert_array_equal(twice, 2 * once)
    assert np.count_nonzero(once[-len(dots):]) > len(dots) // 4
    assert_close(once, general_grads(loss, nodes))


# ---- a backward that raises midway ----------------------------------------------------

def _boom(*args):
    raise RuntimeError("boom")


@pytest.mark.parametrize("target", ["relu", "relu_grid", "grid", "node_by_node"])
def test_a_backward_that_raises_leaves_no_pass_state_and_the_next_one_works(target):
    model, inputs, _ = mlp_case(seed=12)
    sides = []
    for z in (inputs[0][0], inputs[1][1]):
        for _ in range(2):
            z = z + 1.0
        sides.append(z.relu())           # in the generation of the last layer's dot nodes
    outs = [model(x) for x in inputs]
    assert sides[0]._gen == sides[1]._gen == outs[0]._gen and outs[0].op == "dot"
    assert outs[0]._a[1][0].op == "dot_relu"                 # the hidden layers' neurons
    loss = mg.sum([o ** 2 for o in outs] + sides)
    graph = topological_order([loss])
    nodes = model.parameters() + flat(inputs)

    with pytest.MonkeyPatch.context() as mp:
        if target == "relu":                  # the side relus, in the chain before the deferred dots
            mp.setattr(ops.RELU, "vjps", (_boom,))
        elif target == "relu_grid":           # dot_relu's relu rule, applied to a whole grid
            mp.setattr(ops.DOT_RELU, "pre", _boom)
        elif target == "grid":
            mp.setattr(ops.DOT, "vjp_batch", _boom)
        else:
            mp.setattr(ops.DOT, "vjp_all", _boom)
            mp.setattr(fast, "DOT_BATCH_EDGES", NODE_BY_NODE)
        with pytest.raises(RuntimeError, match="boom"):
            loss.backward()

    assert mg.is_grad_enabled()
    for n in graph:
        n.zero_grad()
    got, calls = plain_grads(loss, nodes)
    assert len(calls) == 3
    assert_close(got, general_grads(loss, nodes))


# ---- Neuron.w and Neuron.b ------------------------------------------------------------

def test_assigning_w_rebuilds_the_weights_used_by_forward_and_backward():
    n = Neuron(2, seed=0)
    old = n.w
    new = [Value(1.5), Value(-0.5)]
    n.w = new
    assert type(n.w) is tuple and same_objects(n.w, new)
    out = n([3.0, 4.0])
    assert out.data == 1.5 * 3.0 - 0.5 * 4.0 + n.b.data
    out.backward()
    assert (new[0].grad, new[1].grad, n.b.grad) == (3.0, 4.0, 1.0)
    assert [w.grad for w in old] == [0.0, 0.0]


def test_assigning_w_in_a_layer_is_used_by_the_layers_grid():
    rng = np.random.default_rng(13)
    layer = random_layer(3, 4, seed=14)
    old = layer.neurons[1].w
    layer.neurons[1].w = [Value(0.3), Value(-0.7), Value(1.1)]
    xs = samples(rng, 6, 3)
    loss = weighted_sum([o for x in xs for o in layer(x)], rng)
    nodes = layer.parameters() + flat(xs)
    got, calls = plain_grads(loss, nodes, edges=0)
    assert len(calls) == 1 and any(c is layer.neurons[1]._wb for c in calls[0][1])
    assert_close(got, general_grads(loss, nodes))
    assert any(w.grad != 0.0 for w in layer.neurons[1].w)
    assert [w.grad for w in old] == [0.0, 0.0, 0.0]


def test_w_items_cannot_be_replaced_in_place():
    n = Neuron(2, seed=0)
    with pytest.raises(TypeError):
        n.w[0] = Value(1.0)


@pytest.mark.parametrize("name, value", [("w", [1.0, 2.0]), ("b", 3.0)])
def test_numbers_as_weights_or_bias_raise_a_type_error_naming_the_type(name, value):
    n = Neuron(2, seed=0)
    with pytest.raises(TypeError, match=r"float.*mg\.Value"):
        setattr(n, name, value)


@pytest.mark.parametrize("name, value", [("w", [1.0, 2.0]), ("b", 3.0)])
def test_a_refused_assignment_leaves_the_neuron_as_it_was(name, value):
    n = Neuron(2, seed=0)
    before = getattr(n, name)
    params = n.parameters()
    with pytest.raises(TypeError):
        setattr(n, name, value)
    assert getattr(n, name) is before
    assert same_objects(n.parameters(), params)


def test_a_new_bias_value_is_used_by_the_next_call():
    n = Neuron(2, seed=0)
    n.w = [Value(1.0), Value(2.0)]
    old_b = n.b
    n.b = Value(3.0)
    out = n([1.0, 1.0])
    assert out.data == 1.0 + 2.0 + 3.0
    out.backward()
    assert n.b.grad == 1.0 and old_b.grad == 0.0


def test_state_dict_and_parameters_still_see_w_and_b():
    n = Neuron(2, seed=0)
    n.w = [Value(0.1), Value(0.2)]
    n.b = Value(0.3)
    assert [name for name, _ in n.named_parameters()] == ["w.0", "w.1", "b"]
    assert same_objects(n.parameters(), [*n.w, n.b])
    state = n.state_dict()
    assert {k: float(v) for k, v in state.items()} == {"w.0": 0.1, "w.1": 0.2, "b": 0.3}

    n.load_state_dict({"w.0": 1.0, "w.1": -1.0, "b": 0.5})
    assert n([2.0, 1.0]).data == 2.0 - 1.0 + 0.5

    model = MLP(3, [8, 8, 1], seed=0)
    names = [name for name, _ in model.named_parameters()]
    assert len(names) == 3 * 8 + 8 + 8 * 8 + 8 + 8 + 1 and not any("_wb" in s for s in names)
    assert "layers.1.neurons.7.w.7" in names and "layers.2.neurons.0.b" in names


def test_a_layer_refuses_a_neuron_given_weights_of_another_length():
    layer = Layer(2, 3, seed=0)
    layer.neurons[1].w = [Value(1.0), Value(1.0), Value(1.0)]
    with pytest.raises(ValueError):
        layer([1.0, 2.0])


# ---- parents of a dot node ------------------------------------------------------------

def test_dot_parents_are_weights_then_inputs_then_bias():
    ws = [Value(1.0), Value(2.0), Value(-1.0)]
    xs = [Value(3.0), Value(4.0), Value(0.5)]
    b = Value(0.25)
    d = mg.dot(ws, xs)
    db = mg.dot(ws, xs, bias=b)
    assert d.op == db.op == "dot"
    assert same_objects(d.parents, ws + xs)
    assert same_objects(db.parents, ws + xs + [b])
    assert d.data == 1.0 * 3.0 + 2.0 * 4.0 - 1.0 * 0.5
    assert db.data == d.data + 0.25
    number_bias = mg.dot(ws, xs, bias=0.75).parents
    assert same_objects(number_bias[:6], ws + xs) and number_bias[6].data == 0.75
    assert {id(n) for n in topological_order([db])} == {id(n) for n in [db, *ws, *xs, b]}


def test_a_layers_dot_parents_are_the_neurons_weights_the_inputs_and_the_bias():
    x = (Value(0.5), Value(-2.0))
    for nonlin in (False, True):
        layer = random_layer(2, 3, seed=15, nonlin=nonlin)
        for out, n in zip(layer(x), layer.neurons):
            assert out.op == ("dot_relu" if nonlin else "dot")      # a neuron is one node
            assert same_objects(out.parents, [*n.w, *x, n.b])
            z = math.fsum([n.w[0].data * 0.5, n.w[1].data * -2.0, n.b.data])
            assert out.data == (max(z, 0.0) if nonlin else z)


# ---- dot_relu: a hidden neuron as one node ---------------------------------------------

@settings(max_examples=40, deadline=None)
@given(seed=SEEDS)
def test_a_relu_neuron_is_relu_of_its_dot_and_its_grads_equal_central_differences(seed):
    rng = np.random.default_rng(seed)
    n = Neuron(3, seed=int(rng.integers(1000)))
    n.b.data = float(rng.uniform(-1.0, 1.0))
    x = [Value(float(v)) for v in rng.uniform(-2.0, 2.0, 3)]
    out = n(x)
    z = mg.dot(n.w, x, bias=n.b)
    assert out.op == "dot_relu" and out.data == max(z.data, 0.0)
    if abs(z.data) < 1e-4:
        return                                       # relu's kink: no central difference there
    leaves = [*n.w, *x, n.b]
    out.backward()
    expected = mg.numerical_gradient(lambda _: n(x).data, leaves, h=1e-6)
    np.testing.assert_allclose([v.grad for v in leaves], expected, rtol=1e-6, atol=1e-8)


def test_second_derivatives_through_relu_neurons_equal_differences_of_the_first():
    # loss = sum of squared outputs of a small relu layer: its Hessian in w is 2 * sum of
    # x x^T over the neurons that fire, which create_graph must give through dot_relu
    rng = np.random.default_rng(21)
    layer = random_layer(3, 4, seed=21)
    x = [Value(float(v)) for v in rng.uniform(-2.0, 2.0, 3)]
    params = layer.parameters()

    def first_grads():
        loss = mg.sum([o * o for o in layer(x)])
        return mg.grad(loss, params, create_graph=True)

    grads = first_grads()
    v = rng.normal(size=len(params))
    hvp = mg.grad(mg.sum([g * float(c) for g, c in zip(grads, v)]), params, allow_unused=True)
    hvp = np.array([0.0 if h is None else h.data for h in hvp])
    eps = 1e-6
    for p, c in zip(params, v):
        p.data += eps * c
    up = np.array([g.data for g in first_grads()])
    for p, c in zip(params, v):
        p.data -= 2 * eps * c
    down = np.array([g.data for g in first_grads()])
    for p, c in zip(params, v):
        p.data += eps * c
    np.testing.assert_allclose(hvp, (up - down) / (2 * eps), rtol=1e-6, atol=1e-6)
    assert np.count_nonzero(hvp) > 0


def test_relu_neurons_under_detect_anomaly_give_the_plain_pass_grads():
    model, inputs, loss = mlp_case(seed=22, n=12)
    nodes = model.parameters() + flat(inputs)
    plain, calls = plain_grads(loss, nodes, edges=0)
    assert len(calls) == 3
    for n in nodes:
        n.zero_grad()
    with mg.detect_anomaly():
        loss2 = mg.sum([model(x) ** 2 for x in inputs])
        assert {n.op for n in topological_order([loss2])} >= {"dot_relu", "dot"}
        loss2.backward()
    assert_close(np.array([n.grad for n in nodes]), plain)


def test_mg_dot_with_relu_is_one_node_equal_to_relu_of_the_dot():
    ws = [Value(1.0), Value(-2.0)]
    for xs, fires in (([3.0, 1.0], True), ([-3.0, 1.0], False)):
        x = [Value(v) for v in xs]
        fused = mg.dot(ws, x, bias=0.5, activation="relu")
        apart = mg.dot(ws, x, bias=0.5).relu()
        assert fused.op == "dot_relu" and fused.data == apart.data
        assert (fused.data > 0) == fires
        assert [g.data for g in mg.grad(fused, ws + x)] == [g.data for g in mg.grad(apart, ws + x)]
    with pytest.raises(ValueError, match="activation must be None or 'relu', got 'tanh'"):
        mg.dot(ws, [1.0, 2.0], activation="tanh")
