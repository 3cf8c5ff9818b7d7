"""mg.nn.functional, the new layers (Identity, Flatten, Dropout, Softmax, LogSoftmax) and the
loss modules: values and gradients against PyTorch (float64), dropout statistically."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import microgradx as mg
import microgradx.nn.functional as F
from microgradx.nn import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    Dropout,
    Flatten,
    HingeLoss,
    Identity,
    Linear,
    LogSoftmax,
    MSELoss,
    ReLU,
    Sequential,
    Softmax,
)

SETTINGS = settings(max_examples=20, deadline=None)
finite = st.floats(-20, 20, allow_nan=False).filter(lambda v: abs(v) > 1e-6)


def arrays(min_dims=1, max_dims=3):
    return hnp.arrays(np.float64, hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, max_side=4),
                      elements=finite)


def run_both(fn_mg, fn_torch, x, seed=0):
    """Value and input gradient of fn(x) weighted by a random r, in microgradx and in torch."""
    torch = pytest.importorskip("torch")
    xt = mg.Tensor(x, requires_grad=True)
    out = fn_mg(xt)
    r = np.random.default_rng(seed).normal(size=out.shape)
    (out * r).sum().backward()
    tx = torch.tensor(x, requires_grad=True)
    tout = fn_torch(torch, tx)
    (tout * torch.tensor(r)).sum().backward()
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(xt.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-14)


ELEMENTWISE = {
    "relu": (F.relu, lambda t, x: t.nn.functional.relu(x)),
    "tanh": (F.tanh, lambda t, x: t.tanh(x)),
    "sigmoid": (F.sigmoid, lambda t, x: t.sigmoid(x)),
    "leaky_relu": (lambda x: F.leaky_relu(x, negative_slope=0.2),
                   lambda t, x: t.nn.functional.leaky_relu(x, negative_slope=0.2)),
    "softplus": (F.softplus, lambda t, x: t.nn.functional.softplus(x)),
}


@pytest.mark.parametrize("name", ELEMENTWISE)
@SETTINGS
@given(x=arrays())
def test_elementwise_functions_match_torch(name, x):
    ours, ref = ELEMENTWISE[name]
    run_both(ours, ref, x)


@SETTINGS
@given(x=arrays(), data=st.data())
def test_softmax_and_log_softmax_match_torch_along_any_dim(x, data):
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    run_both(lambda t: F.softmax(t, dim), lambda tc, t: tc.softmax(t, dim), x)
    run_both(lambda t: F.log_softmax(t, dim=dim), lambda tc, t: tc.log_softmax(t, dim), x)
    run_both(Softmax(dim), lambda tc, t: tc.nn.Softmax(dim)(t), x)
    run_both(LogSoftmax(dim=dim), lambda tc, t: tc.nn.LogSoftmax(dim)(t), x)


@SETTINGS
@given(n=st.integers(1, 4), nin=st.integers(1, 4), nout=st.integers(1, 4), bias=st.booleans(),
       seed=st.integers(0, 2**16))
def test_F_linear_matches_torch_with_and_without_bias(n, nin, nout, bias, seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    x, w, b = rng.normal(size=(n, nin)), rng.normal(size=(nout, nin)), rng.normal(size=nout)
    W, B = mg.Tensor(w, requires_grad=True), mg.Tensor(b, requires_grad=True)
    tw, tb = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
    run_both(lambda t: F.linear(t, W, B if bias else None),
             lambda tc, t: tc.nn.functional.linear(t, tw, tb if bias else None), x, seed)
    np.testing.assert_allclose(W.grad, tw.grad.numpy(), rtol=1e-10, atol=1e-14)
    if bias:
        np.testing.assert_allclose(B.grad, tb.grad.numpy(), rtol=1e-10, atol=1e-14)
    assert F.linear(x, W, B).op == "linear"


def test_F_linear_refuses_misfits_and_non_tensors():
    W = mg.Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"\(4, 2\) does not fit weight of shape \(2, 3\)"):
        F.linear(np.ones((4, 2)), W)
    with pytest.raises(ValueError, match=r"\(4, 2\) does not fit weight of shape \(2, 3\)"):
        F.linear(np.ones((4, 2)), W, mg.Tensor(np.zeros(2)))
    with pytest.raises(TypeError, match="weight and bias must be Tensors"):
        F.linear(np.ones((4, 3)), np.ones((2, 3)))
    with pytest.raises(TypeError, match="Tensors"):
        F.softmax(mg.Value(1.0), dim=0)


# ---- dropout -----------------------------------------------------------------------------

@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_zeroes_a_fraction_p_and_scales_the_rest_by_one_over_one_minus_p(p):
    mg.manual_seed(0)
    x = mg.Tensor(np.random.default_rng(1).uniform(1, 2, size=(200, 500)), requires_grad=True)
    out = F.dropout(x, p)
    kept = out.data != 0
    assert kept.mean() == pytest.approx(1 - p, abs=0.01)
    np.testing.assert_allclose(out.data[kept], x.data[kept] / (1 - p), rtol=1e-15)
    out.sum().backward()
    np.testing.assert_allclose(x.grad, kept / (1 - p), rtol=1e-15)
    assert out.data.mean() == pytest.approx(x.data.mean(), rel=0.02)     # the expectation is kept


def test_dropout_scale_matches_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = set(torch.nn.functional.dropout(torch.ones(1000, dtype=torch.float64), 0.25).tolist())
    ours = set(F.dropout(np.ones(1000), 0.25).data.tolist())
    assert ours == theirs == {0.0, 1 / 0.75}


def test_dropout_eval_p0_p1_and_reproducibility():
    x = mg.Tensor(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True)
    d = Dropout(0.5)
    assert d.training and d.eval()(x) is x
    assert F.dropout(x, 0.5, training=False) is x and F.dropout(x, 0.0) is x
    zero = F.dropout(x, 1.0)
    assert not zero.data.any()
    zero.sum().backward()
    assert not x.grad.any()
    d.train()
    mg.manual_seed(3)
    a = d(x).data
    mg.manual_seed(3)
    b = d(x).data
    np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(d(x).data, a) for _ in range(5))
    x32 = mg.Tensor(np.ones(8, np.float32))
    assert F.dropout(x32, 0.3).dtype == np.float32


@pytest.mark.parametrize("p", [-0.1, 1.5, math.nan, "0.5", True, None])
def test_dropout_probability_is_validated(p):
    with pytest.raises(ValueError, match="dropout probability has to be a number between 0 and 1"):
        Dropout(p)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(np.ones(3), p)


def test_dropout_in_a_network_follows_train_and_eval():
    net = Sequential(Linear(4, 50, seed=0), ReLU(), Dropout(0.5), Linear(50, 1, seed=1))
    x = np.ones((3, 4))
    net.eval()
    np.testing.assert_array_equal(net(x).data, net(x).data)
    net.train()
    mg.manual_seed(1)
    assert not np.array_equal(net(x).data, net(x).data)


# ---- Flatten and Identity ---------------------------------------------------------------------

@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, max_side=3), data=st.data())
def test_flatten_matches_torch(shape, data):
    pytest.importorskip("torch")
    n = len(shape)
    start = data.draw(st.integers(-n, n - 1))
    end = data.draw(st.integers(-n, n - 1))
    x = np.random.default_rng(0).normal(size=shape)
    if start % n > end % n:
        with pytest.raises(ValueError, match="comes after end_dim"):
            Flatten(start, end)(x)
        return
    run_both(Flatten(start, end), lambda t, tx: t.nn.Flatten(start, end)(tx), x)


def test_flatten_default_keeps_the_batch_and_refuses_bad_dims():
    assert Flatten()(np.ones((5, 2, 3, 4))).shape == (5, 24)
    assert Flatten()(np.ones((5, 0, 3))).shape == (5, 0)
    with pytest.raises(ValueError, match=r"does not fit an input of shape \(5,\)"):
        Flatten()(np.ones(5))
    with pytest.raises(TypeError, match="start_dim must be an int"):
        Flatten(1.5)


def test_identity_returns_its_input():
    x = mg.Tensor(np.ones(2))
    assert Identity()(x) is x and Identity(3, k=4).parameters() == []


# ---- loss modules --------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@SETTINGS
@given(n=st.integers(1, 5), c=st.integers(2, 4), seed=st.integers(0, 2**16))
def test_loss_modules_match_torch(reduction, n, c, seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=3, size=(n, c))
    cls = rng.integers(0, c, n)
    probs = rng.uniform(0.05, 0.95, size=(n, 1))
    soft = rng.uniform(0, 1, size=(n, 1))
    cases = [
        (MSELoss, torch.nn.MSELoss, logits, rng.normal(size=(n, c))),
        (CrossEntropyLoss, torch.nn.CrossEntropyLoss, logits, cls),
        (BCELoss, torch.nn.BCELoss, probs, soft),
        (BCEWithLogitsLoss, torch.nn.BCEWithLogitsLoss, logits[:, :1], soft),
    ]
    for ours, theirs, pred, target in cases:
        p = mg.Tensor(pred, requires_grad=True)
        out = ours(reduction=reduction)(p, target)
        tp = torch.tensor(pred, requires_grad=True)
        tout = theirs(reduction=reduction)(tp, torch.tensor(target))
        assert out.shape == tuple(tout.shape), ours
        np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12, atol=1e-14)
        r = rng.normal(size=out.shape)
        (out * r).sum().backward()
        (tout * torch.tensor(r)).sum().backward()
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_hinge_loss_module_and_value_reductions():
    s, y = np.array([2.0, 0.5, -1.0]), np.array([1.0, 1.0, 1.0])
    per = np.maximum(0, 1 - y * s)
    assert HingeLoss()(s, y).item() == pytest.approx(per.mean(), rel=1e-15)
    assert HingeLoss(reduction="sum")(s, y).item() == pytest.approx(per.sum(), rel=1e-15)
    np.testing.assert_allclose(HingeLoss(reduction="none")(s, y).data, per, rtol=1e-15)
    vals = [mg.Value(v) for v in s]
    terms = mg.nn.hinge_loss(vals, y, reduction="none")
    assert [t.data for t in terms] == pytest.approx(per.tolist(), rel=1e-15)
    total = MSELoss(reduction="sum")(vals, [0.0, 0.0, 0.0])
    assert isinstance(total, mg.Value) and total.data == pytest.approx(float((s ** 2).sum()), rel=1e-15)
    total.backward()
    assert [v.grad for v in vals] == pytest.approx((2 * s).tolist(), rel=1e-15)


def test_reduction_is_validated():
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        MSELoss(reduction="avg")
    with pytest.raises(ValueError, match="cross_entropy: reduction must be"):
        F.cross_entropy(mg.Tensor(np.zeros((2, 2))), [0, 1], reduction=None)
    assert repr(CrossEntropyLoss()) == "CrossEntropyLoss()"
    assert repr(MSELoss(reduction="sum")) == "MSELoss(reduction='sum')"
