"""Tensor backward: ``loss.backward()`` (gradients into ``.grad``) against ``mg.grad``.

Both run the reference driver (Tensors have no fast pass: see
``microgradx/fast.py``). They must give the same gradients, in the
parameters' dtype, summed back over broadcasting, and every leaf's ``.grad``
must be an array of its own: no other array that the user or the graph holds
may share its memory.
"""

import itertools

import numpy as np
import pytest

import microgradx as mg
from microgradx import autograd, fast, ops
from microgradx.tensor import linear

Tensor = mg.Tensor


def _params(rng, dtype=np.float64):
    shapes = dict(W=(3, 4), b=(4,), c=(1, 4), s=(), v=(4,))
    return {k: Tensor(rng.normal(size=shp).astype(dtype), requires_grad=True, label=k)
            for k, shp in shapes.items()}


def _graph(p, x):
    """A loss touching broadcasting, pass-through ops (add, reshape, transpose, getitem,
    cat) and a parameter used several times."""
    h = linear(x, p["W"].T, p["b"]).relu() + p["c"] + (x @ p["W"] + p["b"])   # (5, 4) + (1, 4)
    z = (h * p["s"] - p["v"]).tanh()                        # 0-d and (4,) broadcast
    parts = mg.cat([z[:2], z[2:] * p["b"]], axis=0)
    t = parts.T.reshape(-1)[::2]
    return (t * t).sum() + (p["W"] @ p["v"]).softplus().mean() + (p["b"] + p["v"]).sum() * p["s"]


CASES = [np.float64, np.float32]


@pytest.mark.parametrize("dtype", CASES)
def test_backward_equals_grad(dtype):
    rng = np.random.default_rng(0)
    p = _params(rng, dtype)
    x = Tensor(rng.normal(size=(5, 3)).astype(dtype))
    loss = _graph(p, x)
    general = mg.grad(loss, list(p.values()))        # gradients returned, .grad untouched
    loss.backward()                                   # gradients stored in .grad
    for (name, t), g in zip(p.items(), general):
        assert t.grad.dtype == dtype and t.grad.shape == t.shape, name
        np.testing.assert_array_equal(t.grad, g.data, err_msg=name)


def test_plain_tensor_backward_takes_the_reference_even_with_fast_paths_on(monkeypatch):
    p = _params(np.random.default_rng(1))
    x = Tensor(np.ones((5, 3)))
    ordered = []
    real = autograd.topological_order
    monkeypatch.setattr(autograd, "topological_order", lambda roots: ordered.append(1) or real(roots))
    monkeypatch.setattr(fast, "_scalar_pass", lambda *a: pytest.fail("the Value pass ran on Tensors"))
    with mg.use_fast_paths(True):
        _graph(p, x).backward()
    assert ordered == [1] and all(t.grad is not None for t in p.values())


def test_backward_grads_equal_central_differences():
    rng = np.random.default_rng(2)
    p = _params(rng)
    x = Tensor(rng.normal(size=(5, 3)))
    _graph(p, x).backward()
    arrays = {k: v.data for k, v in p.items()}
    for name, t in p.items():

        def f(a, name=name):
            with mg.no_grad():
                ps = {k: Tensor(a if k == name else v) for k, v in arrays.items()}
                return float(_graph(ps, x).data)

        want = mg.numerical_gradient(f, t.data.copy())
        np.testing.assert_allclose(t.grad, want, rtol=1e-6, atol=1e-7, err_msg=name)


def test_broadcast_gradients_are_summed_back_to_each_shape():
    a = Tensor(np.ones((2, 1, 3)), requires_grad=True)
    b = Tensor(np.full(3, 2.0), requires_grad=True)
    c = Tensor(np.array(3.0), requires_grad=True)
    d = Tensor(np.ones((4, 1)), requires_grad=True)
    (a * b * c + d).sum().backward()          # result (2, 4, 3)
    np.testing.assert_array_equal(a.grad, np.full((2, 1, 3), 4 * 2.0 * 3.0))
    np.testing.assert_array_equal(b.grad, np.full(3, 2 * 4 * 3.0))
    np.testing.assert_array_equal(c.grad, 2 * 4 * 3 * 2.0)
    np.testing.assert_array_equal(d.grad, np.full((4, 1), 2 * 3.0))
    assert type(c.grad) is np.ndarray and c.grad.shape == ()


def test_float32_parameters_keep_float32_grads_next_to_float64_constants():
    w = Tensor(np.ones(3, np.float32), requires_grad=True)
    b = Tensor(np.ones((), np.float32), requires_grad=True)
    (w * np.array([1.0, 2.0, 3.0]) + b).sum().backward()    # the product is float64
    assert w.grad.dtype == np.float32 and b.grad.dtype == np.float32
    np.testing.assert_array_equal(w.grad, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(b.grad, 3.0)


def test_grads_accumulate_across_backward_calls_without_touching_the_old_array():
    rng = np.random.default_rng(3)
    p = _params(rng)
    x = Tensor(rng.normal(size=(5, 3)))
    _graph(p, x).backward()
    first = {k: t.grad for k, t in p.items()}
    kept = {k: g.copy() for k, g in first.items()}
    _graph(p, x).backward()
    for k, t in p.items():
        np.testing.assert_allclose(t.grad, 2 * kept[k], rtol=1e-15, err_msg=k)
        np.testing.assert_array_equal(first[k], kept[k], err_msg=k)   # a new array, not += in place
        assert type(t.grad) is np.ndarray


def test_zero_dim_leaf_grad_stays_an_array_after_accumulating():
    s = Tensor(np.array(2.0), requires_grad=True)
    for _ in range(2):
        (s * s * 1.5).backward()
    assert type(s.grad) is np.ndarray and s.grad.shape == ()
    assert s.grad == 12.0


def _arrays_reachable(root):
    return [n.data for n in autograd.topological_order([root])]


ALIAS_CASES = {
    "add": lambda a, b: a + b,                                  # g passed to both inputs
    "add_chain": lambda a, b: (a + b) * 2.0 + a,
    "sub": lambda a, b: a - b,
    "reshape": lambda a, b: a.reshape(-1) + b.reshape(-1),      # views of g
    "transpose": lambda a, b: a.T + b.T,
    "getitem": lambda a, b: a[:, 1] + b[:, 1],
    "cat": lambda a, b: mg.cat([a, b], axis=0),                # views of one g
    "stack": lambda a, b: mg.stack([a, b]),
    "broadcast": lambda a, b: a.broadcast_to((2, 2, 3)) + b,
    "sum_to": lambda a, b: (a.broadcast_to((4, 2, 3)) + b).sum_to((2, 3)),
    "linear": lambda a, b: linear(a, b, b[:, 0]),
    "linear_relu": lambda a, b: linear(a, b, b[:, 0], activation="relu"),
}


@pytest.mark.parametrize("name", ALIAS_CASES)
def test_leaf_grads_share_memory_with_nothing(name):
    rng = np.random.default_rng(4)
    a = Tensor(rng.normal(size=(2, 3)), requires_grad=True)
    b = Tensor(rng.normal(size=(2, 3)), requires_grad=True)
    out = ALIAS_CASES[name](a, b)
    seed = rng.normal(size=out.shape)
    held = _arrays_reachable(out) + [seed]
    out.backward(seed)
    for x, y in itertools.combinations([a.grad, b.grad], 2):
        assert not np.shares_memory(x, y)
    for g in (a.grad, b.grad):
        assert g.flags.writeable and g.base is None
        assert not any(np.shares_memory(g, h) for h in held)
    before = b.grad.copy()
    a.grad += 100.0                       # the user may change a grad in place ...
    np.testing.assert_array_equal(b.grad, before)   # ... without touching another


@pytest.mark.parametrize("n", [3, 10_000])          # a filled array, then a broadcast view
def test_gradient_of_a_sum_is_a_writeable_array_of_its_own(n):
    a = Tensor(np.arange(float(n)), requires_grad=True)
    a.sum().backward()
    assert a.grad.flags.writeable and a.grad.flags.owndata and a.grad.strides == (8,)
    np.testing.assert_array_equal(a.grad, np.ones(n))
    (a * 2.0).mean().backward()
    np.testing.assert_allclose(a.grad, 1 + 2.0 / n, rtol=1e-15)


def test_root_leaf_grad_is_a_copy_of_the_given_grad():
    a = Tensor(np.ones(3), requires_grad=True)
    g = np.array([1.0, 2.0, 3.0])
    a.backward(g)
    assert not np.shares_memory(a.grad, g)
    g[0] = 99.0
    np.testing.assert_array_equal(a.grad, [1.0, 2.0, 3.0])


def test_function_backward_returning_held_arrays_gives_copies():
    class PassThrough(mg.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x + y

        @staticmethod
        def backward(ctx, grad):
            x, _ = ctx.saved
            return grad, x.data            # the upstream array and an input's own data

    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.full(3, 2.0), requires_grad=True)
    out = PassThrough.apply(a, b)
    seed = np.array([1.0, 2.0, 3.0])
    out.backward(seed)
    np.testing.assert_array_equal(a.grad, seed)
    np.testing.assert_array_equal(b.grad, a.data)
    for g in (a.grad, b.grad):
        assert not any(np.shares_memory(g, h) for h in (seed, a.data, b.data, out.data))


# ---- the invariant Tensor._fit_grad relies on --------------------------------------------------

CTX = {
    "leaky_relu": (0.1,), "sum_axis": ((1,), False), "max": (None, False), "min": ((0,), True),
    "reshape": ((4, 3),), "transpose": ((1, 0),), "getitem": ((slice(None), 1),),
    "scatter": ((3, 5), (slice(None), slice(1, 5))), "broadcast_to": ((2, 3, 4),),
    "sum_to": ((1, 4),), "softmax": (1,), "log_softmax": (1,), "nll": (np.array([0, 3, 3]),),
    "keep": (np.array([[True, False, True, False]] * 3),),
    "clamp": (0.8, 1.5), "cast": (np.dtype(np.float32),), "norm": (3.0, (1,), False),
}


def _vjp_cases():
    """(case name, op, inputs, ctx) for every table op with an array forward."""
    rng = np.random.default_rng(5)
    m = rng.uniform(0.5, 2.0, size=(3, 4))
    n = rng.uniform(0.5, 2.0, size=(3, 4))
    cases = []
    for name, op in ops.OPS.items():
        if op.array is None or op.vjp_all is not None:
            continue
        if name == "matmul":
            cases.append((name, op, (m, n.T), ()))
        elif name in ("linear", "linear_relu"):
            cases.append((name, op, (m, n, rng.normal(size=3)), ()))
        elif name == "where":
            cases.append((name, op, (m, n), (m > n,)))
        elif len(op.vjps) == 2:
            cases.append((name, op, (m, n), ()))
            cases.append((name + " number", op, (m,), (1.5,)))
        else:
            cases.append((name, op, (m,), CTX.get(name, ())))
    return cases


@pytest.mark.parametrize(("name", "op", "inputs", "ctx"), _vjp_cases(), ids=[c[0] for c in _vjp_cases()])
def test_table_vjps_return_a_new_array_a_view_or_the_upstream_gradient(name, op, inputs, ctx):
    """A VJP result is the upstream ``g`` itself, a view (``base`` set), or an array
    sharing memory with nothing the VJP was given: ``Tensor._fit_grad`` copies only
    the first two before keeping a result as a leaf's ``.grad``."""
    y = op.array(*inputs, *ctx)
    g = np.random.default_rng(6).normal(size=np.shape(y))
    given = [g, y, *inputs, *(c for c in ctx if isinstance(c, np.ndarray))]
    if op.pre is not None:
        g = op.pre(g, y, *inputs, *ctx)
        assert not any(np.shares_memory(g, a) for a in given)
    for k in range(len(inputs)):
        gp = op.vjps[k](g, y, *inputs, *ctx)
        assert np.shape(gp) == np.shape(inputs[k]) or name in ("add", "sub", "mul", "div", "pow")
        if gp is g or getattr(gp, "base", None) is not None:
            continue
        assert not any(np.shares_memory(gp, a) for a in given), (name, k)


def test_sum_to_refuses_shapes_it_cannot_reach():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 2\)"):
        Tensor(np.ones((2, 3))).sum_to((3, 2))


def test_a_backward_that_fails_midway_leaves_no_marks_and_can_run_again(monkeypatch):
    rng = np.random.default_rng(3)
    p = _params(rng)
    x = Tensor(rng.normal(size=(5, 3)))
    loss = _graph(p, x)
    tanh_vjp = ops.TANH.vjps

    def fail(*args):
        raise RuntimeError("a VJP failed")

    monkeypatch.setattr(ops.TANH, "vjps", (fail,))
    with pytest.raises(RuntimeError, match="a VJP failed"):
        loss.backward()                               # fails with nodes still filed in lower generations
    monkeypatch.setattr(ops.TANH, "vjps", tanh_vjp)
    for t in p.values():
        t.grad = None
    general = mg.grad(loss, list(p.values()))
    loss.backward()
    for (name, t), g in zip(p.items(), general):
        np.testing.assert_array_equal(t.grad, g.data, err_msg=name)


def test_a_tensor_reached_twice_from_one_root_and_given_as_two_roots_sums_both():
    w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    h = w * 3.0
    autograd.backward([h.sum(), h.sum(), (h * h).sum()])
    np.testing.assert_allclose(w.grad, 3.0 + 3.0 + 2 * 9.0 * w.data)
