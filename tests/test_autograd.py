"""The graph core: depth, memory, mg.grad, create_graph and higher derivatives.

Second derivatives are checked against central differences of the *first*
derivative (itself computed by the engine): h = 1e-5 * max(1, |x|), error
about h^2 |f''''| / 6 + eps |f'| / h, i.e. below 1e-9 on the ranges used, so
a tolerance of 1e-6 (relative and absolute) is safe yet catches any wrong
formula.
"""

import gc
import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import microgradx as mg
from microgradx.autograd import topological_order

Value, Tensor = mg.Value, mg.Tensor
RTOL = ATOL = 1e-6


def central(f, x, h):
    return (f(x + h) - f(x - h)) / (2.0 * h)


# ---- depth and memory ------------------------------------------------------------------

def test_million_node_chain_backward_without_recursion():
    n, a = 10**6, 1.0000001
    x = Value(1.0)
    y = x
    for _ in range(n):
        y = y * a + 1e-7
    y.backward()
    # dy/dx is the product of the n factors
    assert math.isclose(x.grad, a**n, rel_tol=1e-9)


def test_long_tensor_chain_backward():
    n, a = 10**5, 1.0000001
    x = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    y = x
    for _ in range(n):
        y = y * a + 1e-7
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.full(2, a**n), rtol=1e-10)


def test_topological_order_lists_each_node_once_before_its_inputs():
    x = Value(1.5)
    y = x
    for _ in range(5000):
        y = (y * 0.5 + x).tanh()
    order = topological_order([y])
    assert order[0] is y and order[-1] is x
    assert len({id(n) for n in order}) == len(order) == 3 * 5000 + 1
    position = {id(n): i for i, n in enumerate(order)}
    assert all(position[id(p)] > position[id(n)] for n in order for p in n.parents)
    y.backward()                                 # the order left no marks behind
    assert x.grad != 0.0


def test_generation_is_one_more_than_the_deepest_input():
    x, w = Value(1.0), Value(2.0)
    deep = ((x * 2).exp() + 1).tanh()            # generation 4
    assert (x._gen, deep._gen) == (0, 4)
    assert (deep * w)._gen == 5 and (w + deep)._gen == 5
    assert mg.dot([w, x], [deep, x])._gen == 5 and mg.sum([x, w, deep])._gen == 5
    with mg.no_grad():
        assert (deep * w)._gen == 0              # no graph: a leaf


def test_input_used_at_very_different_depths_gets_its_whole_gradient():
    # x feeds the output directly and through a 2000-node chain: its gradient
    # is complete only if the chain is processed before x is.
    for build in (lambda x, y: y + x, lambda x, y: mg.sum([x, y, x]), lambda x, y: mg.dot([x], [y])):
        x = Value(0.7)
        y = x
        for _ in range(1000):
            y = y * 0.999 + 0.001
        build(x, y).backward()
        numeric = central(lambda v, build=build: _eval(build, v), 0.7, 1e-6)
        assert math.isclose(x.grad, numeric, rel_tol=1e-7)


def _eval(build, v):
    x = Value(v)
    y = x
    for _ in range(1000):
        y = y * 0.999 + 0.001
    return build(x, y).data


def test_backward_that_fails_midway_leaves_the_graph_usable():
    class Boom(mg.Function):
        fail = True

        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            if Boom.fail:
                raise ArithmeticError("boom")
            return grad * 2

    x = Value(3.0)
    y = (Boom.apply(x * x) + (x * 3).exp()) * x   # Boom fails first of its generation's two nodes
    with pytest.raises(ArithmeticError, match="boom"):
        y.backward()
    Boom.fail = False
    x.grad = 0.0
    y.backward()
    assert math.isclose(x.grad, (4 * 3.0 + 3 * math.exp(9.0)) * 3.0 + 2 * 9.0 + math.exp(9.0),
                        rel_tol=1e-12)


def _traced(build):
    """Memory still held after building (and back-propagating) a graph and dropping it.

    CPython keeps up to 2000 freed tuples of each small size on free lists, which
    tracemalloc still counts as allocated: a bounded ~0.2 MB, whatever the graph size.
    So "freed" means: what is left is a small fraction of what the graph took.
    """
    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        keep = build()
        peak = tracemalloc.get_traced_memory()[0]
        del keep
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
        gc.enable()
    return peak - base, after - base


def test_big_scalar_graph_is_freed_by_reference_counting_alone():
    def build():
        x = Value(1.0)
        y = x
        for i in range(30000):
            y = (y * 1.0000001 + x).relu() + i    # ~10^5 nodes, fan-out to x
        y.backward()
        return y

    grown, left = _traced(build)
    assert grown > 5_000_000                     # the graph really was big
    assert left < 0.03 * grown                   # and nearly all of it went with `del`


def test_big_tensor_graph_is_freed_by_reference_counting_alone():
    def build():
        w = Tensor(np.ones(100), requires_grad=True)
        y = w
        for _ in range(5000):
            y = (y * 0.5 + w).tanh()
        y.sum().backward()
        return y

    grown, left = _traced(build)
    assert grown > 10_000_000
    assert left < 0.03 * grown


# ---- mg.grad ----------------------------------------------------------------------------

def test_grad_returns_gradients_and_leaves_grad_alone():
    x, w = Value(0.5), Value(-2.0)
    h = w * x
    y = h.tanh() * x
    gx, gw = mg.grad(y, [x, w])
    t = math.tanh(-1.0)
    assert math.isclose(gx.data, (1 - t * t) * -2.0 * 0.5 + t, rel_tol=1e-14)
    assert math.isclose(gw.data, (1 - t * t) * 0.5 * 0.5, rel_tol=1e-14)
    assert gx.parents == () and gw.parents == ()
    assert x.grad == 0.0 and w.grad == 0.0 and h.grad == 0.0 and y.grad == 0.0

    X = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (gX,) = mg.grad((X * X).sum(), [X])
    assert isinstance(gX, Tensor) and gX.parents == ()
    np.testing.assert_array_equal(gX.data, [2.0, 4.0])
    assert X.grad is None


def test_grad_single_node_arguments_grad_outputs_and_several_outputs():
    x = Value(3.0)
    (g,) = mg.grad(x * x, x)
    assert g.data == 6.0
    (g,) = mg.grad(x * x, [x], grad_outputs=[0.5])
    assert g.data == 3.0
    (g,) = mg.grad([x * x, x * 4.0], [x])
    assert g.data == 10.0
    y = x * 2.0
    (g,) = mg.grad(y * y, [y])                     # with respect to an intermediate node
    assert g.data == 12.0
    X = Tensor(np.ones((2, 2)), requires_grad=True)
    (g,) = mg.grad(X * 3.0, [X], grad_outputs=np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(g.data, [[3.0, 6.0], [9.0, 12.0]])


def test_grad_allow_unused():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    with pytest.raises(ValueError, match=r"label='b'.*allow_unused=True"):
        mg.grad(a * 2.0, [a, b])
    ga, gb = mg.grad(a * 2.0, [a, b], allow_unused=True)
    assert ga.data == 2.0 and gb is None
    X = Tensor(np.ones(2), requires_grad=True)
    Y = Tensor(np.ones(2), requires_grad=True)
    gX, gY = mg.grad((X * 2.0).sum(), [X, Y], allow_unused=True)
    assert gY is None and np.array_equal(gX.data, [2.0, 2.0])


def test_grad_bad_inputs():
    x = Value(1.0)
    with pytest.raises(TypeError, match="float"):
        mg.grad(x * x, [1.0])
    with pytest.raises(TypeError, match="backward"):
        mg.grad(3.0, [x])
    w, c = Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(2))
    with pytest.raises(ValueError, match=r"does not require grad.*requires_grad=True"):
        mg.grad((w * c).sum(), [c])


def test_create_graph_results_are_differentiable_nodes():
    x = Value(0.3)
    (g,) = mg.grad(x**3, [x], create_graph=True)
    assert isinstance(g, Value) and g.parents != ()
    (g2,) = mg.grad(g, [x], create_graph=True)
    (g3,) = mg.grad(g2, [x])
    assert math.isclose(g.data, 3 * 0.09, rel_tol=1e-14)
    assert math.isclose(g2.data, 6 * 0.3, rel_tol=1e-14)
    assert g3.data == 6.0
    assert x.grad == 0.0


CLOSED_FORMS = {
    "tanh": (lambda v: v.tanh(), lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2)),
    "sigmoid": (lambda v: v.sigmoid(),
                lambda x: (s := 1 / (1 + math.exp(-x))) * (1 - s) * (1 - 2 * s)),
    "cube": (lambda v: v**3, lambda x: 6 * x),
}


@pytest.mark.parametrize("name", CLOSED_FORMS)
@settings(max_examples=25, deadline=None)
@given(x=st.floats(-3.0, 3.0))
def test_second_derivative_closed_forms_value_and_tensor(name, x):
    f, d2 = CLOSED_FORMS[name]
    v = Value(x)
    (g,) = mg.grad(f(v), [v], create_graph=True)
    (g2,) = mg.grad(g, [v])
    assert math.isclose(g2.data, d2(x), rel_tol=1e-12, abs_tol=1e-12)
    xs = np.array([x, -x / 2, 0.25])
    t = Tensor(xs, requires_grad=True)
    (g,) = mg.grad(f(t).sum(), [t], create_graph=True)
    (g2,) = mg.grad(g.sum(), [t])
    np.testing.assert_allclose(g2.data, [d2(z) for z in xs], rtol=1e-12, atol=1e-12)


def test_backward_create_graph_makes_grad_a_node():
    x = Value(1.5)
    (x**3).backward(create_graph=True)
    g = x.grad
    assert isinstance(g, Value) and g.data == 3 * 1.5**2
    x.zero_grad()
    g.backward()
    assert x.grad == 6 * 1.5

    t = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    (t**3).sum().backward(create_graph=True)
    g = t.grad
    assert isinstance(g, Tensor)
    np.testing.assert_allclose(g.data, [3.0, 12.0])
    t.zero_grad()
    g.sum().backward()
    np.testing.assert_allclose(t.grad, [6.0, -12.0])


# ---- every op's second derivative against differences of its first ---------------------------

UNARY = {
    "neg": (lambda v: -v, (-3, 3)),
    "abs": (abs, (0.1, 3)),
    "exp": (lambda v: v.exp(), (-3, 3)),
    "log": (lambda v: v.log(), (0.2, 5)),
    "sqrt": (lambda v: v.sqrt(), (0.2, 5)),
    "tanh": (lambda v: v.tanh(), (-3, 3)),
    "sigmoid": (lambda v: v.sigmoid(), (-3, 3)),
    "relu": (lambda v: v.relu(), (0.1, 3)),
    "leaky_relu": (lambda v: v.leaky_relu(0.3), (-3, -0.1)),
    "sin": (lambda v: v.sin(), (-3, 3)),
    "cos": (lambda v: v.cos(), (-3, 3)),
    "softplus": (lambda v: v.softplus(), (-3, 3)),
    "pow_number": (lambda v: v**2.5, (0.2, 3)),
    "rpow": (lambda v: 2.0**v, (-3, 3)),
    "rdiv": (lambda v: 2.0 / v, (0.2, 3)),
    "rsub": (lambda v: 2.0 - v * v, (-3, 3)),
    "self_pow": (lambda v: v**v, (0.2, 3)),
}


def _value_first(f, x):
    v = Value(x)
    return mg.grad(f(v), [v])[0].data


def _value_second(f, x):
    v = Value(x)
    (g,) = mg.grad(f(v), [v], create_graph=True)
    (g2,) = mg.grad(g, [v], allow_unused=True)
    return 0.0 if g2 is None else g2.data


def _tensor_first(f, xs):
    t = Tensor(xs, requires_grad=True)
    return mg.grad(f(t).sum(), [t])[0].data


def _tensor_second(f, xs):
    t = Tensor(xs, requires_grad=True)
    (g,) = mg.grad(f(t).sum(), [t], create_graph=True)
    if not g.requires_grad:           # the derivative is a constant: nothing to differentiate
        return np.zeros_like(xs)
    (g2,) = mg.grad(g.sum(), [t], allow_unused=True)   # elementwise: the Hessian's diagonal
    return np.zeros_like(xs) if g2 is None else g2.data


@pytest.mark.parametrize("name", UNARY)
def test_second_derivative_of_every_unary_op(name):
    f, (lo, hi) = UNARY[name]
    xs = np.linspace(lo, hi, 7)
    h = 1e-5
    want = np.array([central(lambda t: _value_first(f, t), x, h * max(1, abs(x))) for x in xs])
    got = np.array([_value_second(f, x) for x in xs])
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(_tensor_second(f, xs), want, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(_tensor_first(f, xs), [_value_first(f, x) for x in xs], rtol=1e-14)


BINARY = {
    "add": lambda a, b: (a + b) * a,
    "sub": lambda a, b: (a - b) * b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
    "dot": lambda a, b: mg.dot([a, b], [b, a]) if isinstance(a, Value) else (a * b + b * a),
}


@pytest.mark.parametrize("name", BINARY)
def test_hessian_of_binary_ops_value_and_tensor(name):
    f = BINARY[name]
    a0, b0, h = 1.3, 0.7, 1e-5

    def grad_at(a, b):
        va, vb = Value(a), Value(b)
        return np.array([g.data for g in mg.grad(f(va, vb), [va, vb])])

    want = np.array([
        (grad_at(a0 + h, b0) - grad_at(a0 - h, b0)) / (2 * h),
        (grad_at(a0, b0 + h) - grad_at(a0, b0 - h)) / (2 * h),
    ])                                                # want[i, j] = d2f / dx_i dx_j
    va, vb = Value(a0), Value(b0)
    ga, gb = mg.grad(f(va, vb), [va, vb], create_graph=True)
    rows = []
    for g in (ga, gb):
        pair = mg.grad(g, [va, vb], allow_unused=True)
        rows.append([0.0 if p is None else p.data for p in pair])
    np.testing.assert_allclose(np.array(rows).T, want, rtol=RTOL, atol=ATOL)

    ta, tb = Tensor(np.array([a0]), requires_grad=True), Tensor(np.array([b0]), requires_grad=True)
    ga, gb = mg.grad(f(ta, tb).sum(), [ta, tb], create_graph=True)
    rows = []
    for g in (ga, gb):
        pair = mg.grad(g.sum(), [ta, tb], allow_unused=True) if g.requires_grad else (None, None)
        rows.append([0.0 if p is None else p.data[0] for p in pair])
    np.testing.assert_allclose(np.array(rows).T, want, rtol=RTOL, atol=ATOL)


# ---- Hessian-vector products of tensor functions ----------------------------------------

def _mlp_loss(params, X, Y):
    W1, b1, W2, b2 = params
    out = (X @ W1 + b1).tanh() @ W2 + b2
    return ((out - Y) ** 2).mean()


def _hvp_check(loss_fn, arrays, seed=0, h=1e-5):
    """H v by double backward equals central differences of the gradient along v."""
    rng = np.random.default_rng(seed)
    vs = [rng.normal(size=a.shape) for a in arrays]
    params = [Tensor(a, requires_grad=True) for a in arrays]
    grads = mg.grad(loss_fn(params), params, create_graph=True)
    gv = (grads[0] * vs[0]).sum()
    for g, v in zip(grads[1:], vs[1:]):
        gv = gv + (g * v).sum()
    hv = mg.grad(gv, params, allow_unused=True)

    def grad_at(shift):
        ps = [Tensor(a + shift * v, requires_grad=True) for a, v in zip(arrays, vs)]
        return [g.data for g in mg.grad(loss_fn(ps), ps)]

    plus, minus = grad_at(h), grad_at(-h)
    for k, (p, m) in enumerate(zip(plus, minus)):
        got = np.zeros_like(p) if hv[k] is None else hv[k].data
        np.testing.assert_allclose(got, (p - m) / (2 * h), rtol=RTOL, atol=ATOL, err_msg=f"input {k}")
    return [None if x is None else x.data for x in hv], vs


def test_hessian_vector_product_of_a_small_mlp():
    rng = np.random.default_rng(1)
    X, Y = Tensor(rng.normal(size=(6, 3))), Tensor(rng.normal(size=(6, 1)))
    arrays = [rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(4, 1)), rng.normal(size=1)]
    hv, vs = _hvp_check(lambda p: _mlp_loss(p, X, Y), arrays)

    torch = pytest.importorskip("torch")
    tp = tuple(torch.tensor(a) for a in arrays)
    tX, tY = torch.tensor(X.data), torch.tensor(Y.data)
    _, thv = torch.autograd.functional.hvp(lambda *p: _mlp_loss(p, tX, tY), tp,
                                           tuple(torch.tensor(v) for v in vs))
    for ours, theirs in zip(hv, thv):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-10, atol=1e-12)


TENSOR_FUNCS = {
    "cross_entropy": lambda p: -(p[0] @ p[1]).log_softmax(axis=1)[np.arange(4), [0, 2, 1, 2]].mean(),
    "softmax": lambda p: ((p[0] @ p[1]).softmax(axis=0) ** 2).sum(),
    "max_min": lambda p: (p[0] @ p[1]).max(axis=1).tanh().sum() + (p[0] ** 2).min(axis=0).sum(),
    "cat_stack": lambda p: (mg.cat([p[0], p[1].T], axis=1) ** 3).sum()
    + mg.stack([p[0][:, 0], p[0][:, 1]], axis=1).exp().sum(),
    "shapes": lambda p: ((p[0].reshape(2, 6) * p[1].T.reshape(2, 6).sin()).swapaxes(0, 1) ** 2).mean(),
    "broadcast_div": lambda p: (p[0][:, :1] / (p[1].sum(axis=0, keepdims=True).exp() + 1.0)).sum(),
    "batched_matmul": lambda p: (p[0].reshape(2, 2, 3) @ p[1]).sigmoid().softplus().sum(),
    "sqrt_abs_relu": lambda p: ((p[0] * p[0] + 1.0).sqrt() + abs(p[1]).sum() * p[0].relu()).sum(),
}


@pytest.mark.parametrize("name", TENSOR_FUNCS)
def test_hessian_vector_products_through_tensor_ops(name):
    rng = np.random.default_rng(2)
    arrays = [rng.normal(size=(4, 3)), rng.normal(size=(3, 4))]
    _hvp_check(TENSOR_FUNCS[name], arrays)


def test_a_value_given_as_grad_is_a_constant_without_create_graph():
    x = mg.Value(3.0)
    (x * x).backward(grad=mg.Value(2.0))
    assert type(x.grad) is float and x.grad == 2.0 * 2 * 3.0
    y = mg.Value(3.0)
    seed = mg.Value(2.0)
    (y * y).backward(grad=seed, create_graph=True)
    assert isinstance(y.grad, mg.Value) and y.grad.data == 12.0
