"""Fused tensor ops of the table (hinge, linear_relu): values and gradients against
PyTorch (float64) and central differences, both backward passes, second derivatives."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import microgradx as mg
from microgradx import ops
from microgradx.tensor import _hinge, linear

SETTINGS = settings(max_examples=30, deadline=None)


@st.composite
def scores_and_labels(draw):
    """Scores and real-valued labels of one shape, every margin 1 - t*s away from the kink."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, max_side=5))
    s = draw(hnp.arrays(np.float64, shape, elements=st.floats(-3, 3)))
    t = draw(hnp.arrays(np.float64, shape, elements=st.floats(-2, 2)))
    assume(np.all(np.abs(1 - t * s) > 1e-4))
    return s, t


def _torch_hinge(s, t, grad_t):
    torch = pytest.importorskip("torch")
    ts = torch.tensor(s, requires_grad=True)
    tt = torch.tensor(t, requires_grad=grad_t)
    loss = torch.nn.functional.margin_ranking_loss(ts, torch.zeros_like(ts), tt, margin=1.0)
    loss.backward()
    return loss.item(), ts.grad.numpy(), tt.grad.numpy() if grad_t else None


@SETTINGS
@given(st_=scores_and_labels(), grad_t=st.booleans())
def test_hinge_matches_torch_margin_ranking_loss(st_, grad_t):
    s, t = st_
    val, gs, gt = _torch_hinge(s, t, grad_t)
    S = mg.Tensor(s, requires_grad=True)
    T = mg.Tensor(t, requires_grad=True) if grad_t else t
    loss = _hinge(S, T)
    assert loss.op == "hinge" and loss.shape == ()
    loss.backward()
    assert loss.item() == pytest.approx(val, rel=1e-12, abs=1e-15)
    np.testing.assert_allclose(S.grad, gs, rtol=1e-12, atol=1e-15)
    if grad_t:
        np.testing.assert_allclose(T.grad, gt, rtol=1e-12, atol=1e-15)
    else:
        assert [n for n in mg.autograd.topological_order([loss]) if n.is_leaf] == [S]


@SETTINGS
@given(st_=scores_and_labels())
def test_hinge_gradients_equal_central_differences(st_):
    s, t = st_
    S, T = mg.Tensor(s, requires_grad=True), mg.Tensor(t, requires_grad=True)
    _hinge(S, T).backward()
    num_s = mg.numerical_gradient(lambda a: _hinge(mg.Tensor(a), t).item(), s.copy(), h=1e-6)
    num_t = mg.numerical_gradient(lambda a: _hinge(mg.Tensor(s), a).item(), t.copy(), h=1e-6)
    np.testing.assert_allclose(S.grad, num_s, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(T.grad, num_t, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_hinge_lean_pass_equals_general_pass_keeps_dtype_and_accumulates(dtype):
    rng = np.random.default_rng(0)
    S = mg.Tensor(rng.normal(size=(6, 1)).astype(dtype), requires_grad=True)
    T = mg.Tensor(np.sign(rng.normal(size=(6, 1))).astype(dtype), requires_grad=True)
    loss = _hinge(S * 2.0, T)
    general = mg.grad(loss, [S, T])
    loss.backward()
    first = S.grad
    loss.backward()
    for leaf, g in zip((S, T), general):
        assert leaf.grad.dtype == dtype and g.dtype == dtype
        np.testing.assert_array_equal(leaf.grad, 2 * g.data)
    assert loss.dtype == dtype
    assert first is not S.grad and not np.shares_memory(first, S.grad)


def test_hinge_broadcasts_a_number_label_and_sums_gradients_back():
    S = mg.Tensor([[0.5, 2.0], [-1.0, 0.25]], requires_grad=True)
    loss = _hinge(S, 1.0)                 # margins 0.5, -1, 2, 0.75
    assert loss.item() == pytest.approx((0.5 + 2.0 + 0.75) / 4)
    loss.backward()
    np.testing.assert_array_equal(S.grad, [[-0.25, 0.0], [-0.25, -0.25]])
    b = mg.Tensor([0.5], requires_grad=True)
    _hinge(b, np.array([1.0, -1.0, 3.0])).backward()     # b broadcast: margins 0.5, 1.5, -0.5
    np.testing.assert_allclose(b.grad, [(-1.0 + 1.0 + 0.0) / 3])
    b.grad = None
    _hinge(b, np.array([1.0, 1.0, 3.0])).backward()
    np.testing.assert_allclose(b.grad, [-2.0 / 3])


def test_hinge_derivative_is_zero_at_the_kink_as_relu():
    S = mg.Tensor([1.0, -1.0], requires_grad=True)
    _hinge(S, np.array([1.0, -1.0])).backward()          # both margins exactly 0
    np.testing.assert_array_equal(S.grad, [0.0, 0.0])


def test_hinge_second_derivatives_through_create_graph():
    S = mg.Tensor([0.5, -2.0, 3.0, 0.25, 1.5], requires_grad=True)
    T = mg.Tensor([1.0, -1.0, 1.0, 2.0, -0.5], requires_grad=True)     # margins 0.5, -1, -2, 0.5, 1.75
    assert mg.gradgradcheck(lambda s, t: _hinge(s * s, t), [S, T]).ok
    gs, = mg.grad(_hinge(S, T), [S], create_graph=True)
    gst, = mg.grad(gs.sum(), [T])
    active = (1 - T.data * S.data) > 0
    assert active.any() and not active.all()
    np.testing.assert_allclose(gst.data, -active.astype(float) / 5, rtol=1e-15)


def test_hinge_refuses_shapes_that_do_not_broadcast():
    with pytest.raises(ValueError, match=r"hinge: shapes \(3,\) and \(2,\)"):
        _hinge(mg.Tensor(np.ones(3)), np.ones(2))


def test_hinge_vjp_on_raw_arrays_is_a_new_array():
    s, t = np.array([0.5, 2.0]), np.array([1.0, 1.0])
    g = np.array(1.0)
    y = ops.HINGE.array(s, t)
    for k in range(2):
        gp = ops.HINGE.vjps[k](g, y, s, t)
        assert not any(np.shares_memory(gp, a) for a in (g, y, s, t))


# ---- linear_relu: linear's rules after relu's, written once each ------------------

@st.composite
def linear_inputs(draw):
    n, nin, nout = (draw(st.integers(1, 4)) for _ in range(3))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    x, w, b = rng.normal(size=(n, nin)), rng.normal(size=(nout, nin)), rng.normal(size=nout)
    assume(np.all(np.abs(x @ w.T + b) > 1e-6))          # away from relu's kink
    return x, w, b, rng.normal(size=(n, nout))


@SETTINGS
@given(xwbr=linear_inputs())
def test_linear_relu_matches_torch(xwbr):
    torch = pytest.importorskip("torch")
    x, w, b, r = xwbr
    X, W, B = (mg.Tensor(a, requires_grad=True) for a in (x, w, b))
    out = linear(X, W, B, activation="relu")
    assert out.op == "linear_relu" and len(mg.autograd.topological_order([out])) == 4
    (out * r).sum().backward()
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    tout = torch.relu(torch.nn.functional.linear(tx, tw, tb))
    (tout * torch.tensor(r)).sum().backward()
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    for ours, ref in ((X, tx), (W, tw), (B, tb)):
        np.testing.assert_allclose(ours.grad, ref.grad.numpy(), rtol=1e-12, atol=1e-12)


@SETTINGS
@given(xwbr=linear_inputs())
def test_linear_relu_gradients_equal_central_differences(xwbr):
    x, w, b, r = xwbr
    X, W, B = (mg.Tensor(a, requires_grad=True) for a in (x, w, b))
    (linear(X, W, B, activation="relu") * r).sum().backward()
    f = {
        "x": lambda a: float(np.sum(np.maximum(a @ w.T + b, 0) * r)),
        "w": lambda a: float(np.sum(np.maximum(x @ a.T + b, 0) * r)),
        "b": lambda a: float(np.sum(np.maximum(x @ w.T + a, 0) * r)),
    }
    for name, t in (("x", X), ("w", W), ("b", B)):
        num = mg.numerical_gradient(f[name], t.data.copy(), h=1e-6)
        np.testing.assert_allclose(t.grad, num, rtol=1e-5, atol=1e-7, err_msg=name)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_linear_relu_is_linear_then_relu_in_both_passes_and_accumulates(dtype):
    rng = np.random.default_rng(2)
    x = mg.Tensor(rng.normal(size=(5, 3)).astype(dtype), requires_grad=True)
    w = mg.Tensor(rng.normal(size=(4, 3)).astype(dtype), requires_grad=True)
    b = mg.Tensor(rng.normal(size=4).astype(dtype), requires_grad=True)
    r = rng.normal(size=(5, 4)).astype(dtype)
    fused = (linear(x, w, b, activation="relu") * r).sum()
    split = (linear(x, w, b).relu() * r).sum()
    np.testing.assert_array_equal(fused.data, split.data)
    want = mg.grad(split, [x, w, b])
    general = mg.grad(fused, [x, w, b])                  # gradients returned
    fused.backward()                                      # gradients into .grad
    first = [t.grad for t in (x, w, b)]
    fused.backward()
    for t, g_split, g_general, g1 in zip((x, w, b), want, general, first):
        assert t.grad.dtype == dtype and g_general.dtype == dtype
        np.testing.assert_array_equal(g_general.data, g_split.data)
        np.testing.assert_array_equal(g1, g_split.data)
        np.testing.assert_array_equal(t.grad, 2 * g_split.data)
        assert not np.shares_memory(g1, t.grad)


def test_linear_relu_second_derivatives_through_create_graph():
    rng = np.random.default_rng(3)
    x = mg.Tensor(rng.normal(size=(4, 3)), requires_grad=True)
    w = mg.Tensor(rng.normal(size=(2, 3)), requires_grad=True)
    b = mg.Tensor(np.array([0.3, -0.2]), requires_grad=True)
    assert mg.gradgradcheck(lambda x, w, b: (linear(x, w, b, activation="relu") ** 2).sum(), [x, w, b]).ok
    gw, = mg.grad((linear(x, w, b, activation="relu") ** 2).sum(), [w], create_graph=True)
    split, = mg.grad((linear(x, w, b).relu() ** 2).sum(), [w], create_graph=True)
    np.testing.assert_array_equal(mg.grad(gw.sum(), [x])[0].data, mg.grad(split.sum(), [x])[0].data)


def test_linear_refuses_an_unknown_activation():
    x, w, b = mg.Tensor(np.ones((2, 3))), mg.Tensor(np.ones((2, 3))), mg.Tensor(np.zeros(2))
    with pytest.raises(ValueError, match="activation must be None or 'relu', got 'tanh'"):
        linear(x, w, b, activation="tanh")
    with pytest.raises(ValueError, match=r"got \['relu'\]"):
        linear(x, w, b, activation=["relu"])


def test_linear_relu_forward_works_in_place_on_its_own_product_only():
    x, w = np.ones((2, 3)), np.full((2, 3), -1.0)
    b = np.array([5.0, 1.0])
    out = ops.LINEAR_RELU.array(x, w, b)
    np.testing.assert_array_equal(out, [[2.0, 0.0], [2.0, 0.0]])
    assert not any(np.shares_memory(out, a) for a in (x, w, b))
    np.testing.assert_array_equal(b, [5.0, 1.0])


def test_linear_relu_under_detect_anomaly_takes_the_general_pass_with_the_same_grads():
    rng = np.random.default_rng(4)
    x = mg.Tensor(rng.normal(size=(5, 3)))
    w = mg.Tensor(rng.normal(size=(4, 3)), requires_grad=True)
    b = mg.Tensor(rng.normal(size=4), requires_grad=True)
    linear(x, w, b, activation="relu").sum().backward()
    lean = (w.grad, b.grad)
    w.grad = b.grad = None
    with mg.detect_anomaly():
        linear(x, w, b, activation="relu").sum().backward()
    np.testing.assert_array_equal(w.grad, lean[0])
    np.testing.assert_array_equal(b.grad, lean[1])
    assert (lean[1] < 5).any()      # relu cut some rows of some units: the mask was applied


# ---- the plain pass's short paths through the VJP helpers -----------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("other", ["t", "s"])
def test_hinge_vjp_on_raw_arrays_equals_its_node_path(dtype, other):
    rng = np.random.default_rng(5)
    s = (3 * rng.normal(size=(7, 1))).astype(dtype)
    t = np.sign(rng.normal(size=(7, 1))).astype(dtype)
    g = np.array(3.0, dtype)
    raw = ops._hinge_vjp(g, s, t, t if other == "t" else s)
    S = mg.Tensor(s)                        # a node: the helper reads it through data_of
    via_node = ops._hinge_vjp(g, S, t, t if other == "t" else S)
    assert type(raw) is np.ndarray and raw.dtype == dtype
    np.testing.assert_array_equal(raw, via_node if other == "t" else via_node.data)
    active = t * s < 1
    assert active.any() and not active.all()
    want = np.where(active, -(t if other == "t" else s) * 3.0 / 7, 0.0)
    np.testing.assert_allclose(raw, want, rtol=1e-6 if dtype == np.float32 else 1e-15)


def test_hinge_vjp_on_raw_arrays_takes_a_numpy_scalar_upstream():
    s, t = np.array([0.5, 2.0, -1.0]), np.array([1.0, 1.0, 1.0])
    gp = ops._hinge_vjp(np.float64(2.0), s, t, t)      # as from `2 * loss` upstream
    np.testing.assert_array_equal(gp, [-2.0 / 3, 0.0, -2.0 / 3])


@pytest.mark.parametrize("g_shape", [(4, 2), (2,), (3, 4, 2)])
def test_linear_bias_vjp_is_sum_to_the_bias_shape(g_shape):
    g = np.random.default_rng(6).normal(size=g_shape)
    b = np.zeros(2)
    got = ops._linear_gbias(g, None, None, None, b)
    np.testing.assert_array_equal(got, ops._sum_to_array(g, b.shape))
    np.testing.assert_allclose(got, g.reshape(-1, 2).sum(axis=0), rtol=1e-14)
    G = mg.Tensor(g)                          # create_graph: a node in, a node out
    node = ops._linear_gbias(G, None, None, None, b)
    assert isinstance(node, mg.Tensor)
    np.testing.assert_array_equal(node.data, got)


@pytest.mark.parametrize(("sa", "sb"), [((3, 4), (4, 2)), ((2, 3, 4), (4, 2)), ((3, 4), (2, 4, 5)),
                                        ((4,), (4, 2)), ((3, 4), (4,)), ((2, 3, 4), (2, 4, 5))])
def test_matmul_vjps_equal_the_swapped_axes_products_on_arrays_and_nodes(sa, sb):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    y = a @ b
    g = rng.normal(size=y.shape)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    (ta @ tb).backward(torch.tensor(g))
    ga, gb = ops._matmul_ga(g, y, a, b), ops._matmul_gb(g, y, a, b)
    np.testing.assert_allclose(ops._sum_to_array(ga, a.shape), ta.grad.numpy(), rtol=1e-13)
    np.testing.assert_allclose(ops._sum_to_array(gb, b.shape), tb.grad.numpy(), rtol=1e-13)
    if a.ndim > 1 and b.ndim > 1:
        np.testing.assert_array_equal(ga, g @ np.swapaxes(b, -1, -2))
        np.testing.assert_array_equal(gb, np.swapaxes(a, -1, -2) @ g)
    G, A, B = mg.Tensor(g), mg.Tensor(a), mg.Tensor(b)   # create_graph: nodes in, nodes out
    np.testing.assert_array_equal(ops._matmul_ga(G, None, A, B).data, ga)
    np.testing.assert_array_equal(ops._matmul_gb(G, None, A, B).data, gb)


def test_hinge_with_an_integer_label_array_equals_float_labels():
    S1 = mg.Tensor([[0.5], [-2.0], [0.25]], requires_grad=True)
    S2 = mg.Tensor(S1.data.copy(), requires_grad=True)
    t = np.array([[1], [-1], [-1]])
    l1, l2 = _hinge(S1, t), _hinge(S2, t.astype(float))
    assert l1.item() == l2.item() == pytest.approx((0.5 + 0.0 + 1.25) / 3)
    l1.backward()
    l2.backward()
    np.testing.assert_array_equal(S1.grad, S2.grad)
    assert l2._ctx[0] is not None and l2.parents == (S2,)
