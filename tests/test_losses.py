"""Losses: values and gradients against PyTorch (float64) and central differences."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import microgradx as mg
from microgradx.nn.losses import (
    accuracy,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    l2,
    mse_loss,
)

SETTINGS = settings(max_examples=25, deadline=None)
finite = st.floats(-5, 5)
probs = st.floats(0.01, 0.99)
unit = st.floats(0.0, 1.0)
pm1 = st.sampled_from([-1.0, 1.0])


def vec(elements, n):
    return hnp.arrays(np.float64, (n,), elements=elements)


def central_diff(f, arr):
    """d f / d arr by central differences (on a copy: ``arr`` is left alone)."""
    return mg.numerical_gradient(f, arr.copy(), h=1e-6)


def ours_and_grad(loss_fn, x, y):
    t = mg.Tensor(x, requires_grad=True)
    loss = loss_fn(t, y)
    loss.backward()
    return loss.item(), t.grad


def torch_and_grad(torch_fn, x, y):
    torch = pytest.importorskip("torch")
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    loss = torch_fn(torch, t, torch.tensor(y, dtype=torch.float64))
    loss.backward()
    return loss.item(), t.grad.numpy()


def scalar_face(loss_fn, x, y):
    """The same loss through the Value path: value and gradients as floats."""
    vs = [mg.Value(float(v)) for v in x]
    loss = loss_fn(vs, list(y))
    loss.backward()
    return loss.data, np.array([v.grad for v in vs]), loss


TORCH = {
    "mse": (mse_loss, lambda t, p, y: t.nn.functional.mse_loss(p, y)),
    "hinge": (hinge_loss, lambda t, s, y: t.relu(1 - y * s).mean()),
    "bce": (binary_cross_entropy, lambda t, p, y: t.nn.functional.binary_cross_entropy(p, y)),
    "bce_logits": (binary_cross_entropy_with_logits,
                   lambda t, x, y: t.nn.functional.binary_cross_entropy_with_logits(x, y)),
}


def pairs(kind):
    """(predictions, targets) of one length, with values in each loss's domain."""
    pred = {"mse": finite, "hinge": finite, "bce": probs, "bce_logits": finite}[kind]
    targ = {"mse": finite, "hinge": pm1, "bce": unit, "bce_logits": unit}[kind]
    return st.integers(1, 6).flatmap(lambda n: st.tuples(vec(pred, n), vec(targ, n)))


def _check_against_torch(kind, xy):
    ours, ref = TORCH[kind]
    x, y = xy
    if kind == "hinge":
        assume(np.all(np.abs(1 - x * y) > 1e-6))      # away from the kink
    val, grad = ours_and_grad(ours, x, y)
    tval, tgrad = torch_and_grad(ref, x, y)
    assert val == pytest.approx(tval, rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(grad, tgrad, rtol=1e-10, atol=1e-14)
    sval, sgrad, _ = scalar_face(ours, x, y)
    assert sval == pytest.approx(tval, rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(sgrad, tgrad, rtol=1e-10, atol=1e-14)


@SETTINGS
@given(xy=pairs("mse"))
def test_mse_matches_torch(xy):
    _check_against_torch("mse", xy)


@SETTINGS
@given(xy=pairs("hinge"))
def test_hinge_matches_torch(xy):
    _check_against_torch("hinge", xy)


@SETTINGS
@given(xy=pairs("bce"))
def test_bce_matches_torch(xy):
    _check_against_torch("bce", xy)


@SETTINGS
@given(xy=pairs("bce_logits"))
def test_bce_with_logits_matches_torch(xy):
    _check_against_torch("bce_logits", xy)


@pytest.mark.parametrize("kind", list(TORCH))
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_tensor_losses_equal_central_differences(kind, data):
    x, y = data.draw(pairs(kind))
    if kind == "hinge":
        assume(np.all(np.abs(1 - x * y) > 1e-3))
    loss_fn = TORCH[kind][0]
    _, grad = ours_and_grad(loss_fn, x, y)
    num = central_diff(lambda a: loss_fn(mg.Tensor(a), y).item(), x)
    np.testing.assert_allclose(grad, num, rtol=1e-5, atol=1e-8)


def test_mse_gradient_reaches_a_target_tensor_too():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    p, y = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    tp, ty = mg.Tensor(p, requires_grad=True), mg.Tensor(y, requires_grad=True)
    mse_loss(tp, ty).backward()
    rp = torch.tensor(p, requires_grad=True)
    ry = torch.tensor(y, requires_grad=True)
    torch.nn.functional.mse_loss(rp, ry).backward()
    np.testing.assert_allclose(tp.grad, rp.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ty.grad, ry.grad.numpy(), rtol=1e-12)


def test_hinge_gradient_reaches_a_label_tensor_and_constant_labels_stay_out_of_the_graph():
    s = mg.Tensor(np.array([0.5, -2.0, 3.0]), requires_grad=True)
    y = mg.Tensor(np.array([1.0, -1.0, -1.0]), requires_grad=True)
    hinge_loss(s, y).backward()           # mean(relu(1 - y s)): margins 0.5, -1, 4
    np.testing.assert_array_equal(s.grad, np.array([-1.0, 0.0, 1.0]) / 3)
    np.testing.assert_array_equal(y.grad, np.array([-0.5, 0.0, -3.0]) / 3)
    loss = hinge_loss(s, [1, -1, -1])
    assert loss.op == "hinge" and [n for n in mg.autograd.topological_order([loss]) if n.is_leaf] == [s]


@pytest.mark.parametrize("kind", list(TORCH))
def test_value_losses_end_in_one_sum_node(kind):
    x, y = ([0.3, 0.6, 0.2], [1.0, -1.0, 1.0]) if kind == "hinge" else ([0.3, 0.6, 0.2], [1.0, 0.0, 1.0])
    _, _, loss = scalar_face(TORCH[kind][0], x, y)
    assert isinstance(loss, mg.Value)
    assert loss.op == "div" and loss._ctx == (3.0,)
    (total,) = loss.parents
    assert total.op == "sum" and len(total.parents) == 3


def test_value_loss_accepts_one_value_and_ndarray_targets():
    s = mg.Value(0.25)
    loss = hinge_loss(s, 1)
    loss.backward()
    assert loss.data == pytest.approx(0.75) and s.grad == pytest.approx(-1.0)
    scores = [mg.Value(2.0), mg.Value(-0.5)]
    assert hinge_loss(scores, np.array([[1.0], [-1.0]])).data == pytest.approx(0.25)
    assert mse_loss(scores, np.array([2.0, 0.5])).data == pytest.approx(0.5)


def test_column_predictions_pair_with_flat_targets():
    pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    p, y = rng.normal(size=(5, 1)), rng.normal(size=5)
    val, grad = ours_and_grad(mse_loss, p, y)
    tval, tgrad = torch_and_grad(lambda t, a, b: t.nn.functional.mse_loss(a, b.reshape(5, 1)), p, y)
    assert val == pytest.approx(tval, rel=1e-12)
    np.testing.assert_allclose(grad, tgrad, rtol=1e-12)


# ---- cross entropy -------------------------------------------------------------

@st.composite
def logits_and_targets(draw, scale=5.0):
    n, c = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    x = draw(hnp.arrays(np.float64, (n, c), elements=st.floats(-scale, scale)))
    y = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    return x, y


@SETTINGS
@given(xy=logits_and_targets())
def test_cross_entropy_matches_torch(xy):
    x, y = xy
    torch = pytest.importorskip("torch")
    val, grad = ours_and_grad(cross_entropy, x, y)
    t = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(t, torch.tensor(y))
    ref.backward()
    assert val == pytest.approx(ref.item(), rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(grad, t.grad.numpy(), rtol=1e-10, atol=1e-14)


@settings(max_examples=15, deadline=None)
@given(xy=logits_and_targets())
def test_cross_entropy_equals_central_differences(xy):
    x, y = xy
    _, grad = ours_and_grad(cross_entropy, x, y)
    num = central_diff(lambda a: cross_entropy(mg.Tensor(a), y).item(), x)
    np.testing.assert_allclose(grad, num, rtol=1e-5, atol=1e-8)


def test_cross_entropy_is_log_softmax_then_one_nll_node_and_has_second_derivatives():
    x = mg.Tensor(np.random.default_rng(3).normal(size=(4, 3)), requires_grad=True)
    loss = cross_entropy(x, [0, 2, 2, 1])
    assert loss.op == "nll" and loss.parents[0].op == "log_softmax"
    assert mg.gradgradcheck(lambda t: cross_entropy(t * t, [0, 2, 2, 1]), [x]).ok


def test_cross_entropy_and_bce_with_logits_are_stable_at_1000():
    torch = pytest.importorskip("torch")
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0], [0.0, 0.0, -1000.0]])
    y = np.array([1, 2, 2])
    val, grad = ours_and_grad(cross_entropy, x, y)
    t = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(t, torch.tensor(y))
    ref.backward()
    assert np.isfinite(val) and np.all(np.isfinite(grad))
    assert val == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(grad, t.grad.numpy(), rtol=1e-12, atol=1e-300)

    z, lab = np.array([1000.0, -1000.0, 1000.0, -1000.0]), np.array([1.0, 0.0, 0.0, 1.0])
    ours, ref_fn = TORCH["bce_logits"]
    val, grad = ours_and_grad(ours, z, lab)
    tval, tgrad = torch_and_grad(ref_fn, z, lab)
    assert np.isfinite(val) and val == pytest.approx(tval, rel=1e-12)
    np.testing.assert_allclose(grad, tgrad, rtol=1e-12)
    sval, sgrad, _ = scalar_face(ours, z, lab)
    assert sval == pytest.approx(tval, rel=1e-12)
    np.testing.assert_allclose(sgrad, tgrad, rtol=1e-12)


def test_cross_entropy_takes_lists_and_tensors_of_whole_numbers():
    x = np.random.default_rng(2).normal(size=(3, 4))
    a = cross_entropy(mg.Tensor(x), np.array([0, 3, 1])).item()
    assert cross_entropy(mg.Tensor(x), [0, 3, 1]).item() == a
    assert cross_entropy(mg.Tensor(x), mg.Tensor([0, 3, 1])).item() == a
    assert cross_entropy(x, np.array([0, 3, 1], dtype=np.uint8)).item() == a


@pytest.mark.parametrize("targets, err, pattern", [
    ([0, 4, 1], ValueError, r"\[0, 4\).*\[4\]"),
    ([0, -1, 1], ValueError, r"\[-1\]"),
    ([0, 1], ValueError, r"shape \(2,\).*\(3, 4\)"),
    ([[0], [1], [2]], ValueError, r"shape \(3, 1\)"),
    (np.array([0.0, 1.0, 2.0]), TypeError, "dtype float64.*astype|dtype float64.*dtype=int"),
    ([True, False, True], TypeError, "dtype bool"),
    (mg.Tensor([0.0, 1.5, 2.0]), TypeError, r"whole class indices.*1\.5"),
    (mg.Value(1.0), TypeError, "not a Value"),
])
def test_cross_entropy_rejects_bad_targets(targets, err, pattern):
    with pytest.raises(err, match=pattern):
        cross_entropy(mg.Tensor(np.zeros((3, 4))), targets)


def test_cross_entropy_rejects_bad_logits():
    with pytest.raises(ValueError, match=r"shape \(4,\).*reshape\(1, -1\)"):
        cross_entropy(mg.Tensor(np.zeros(4)), [1])
    with pytest.raises(ValueError, match="no samples"):
        cross_entropy(mg.Tensor(np.zeros((0, 3))), np.zeros(0, dtype=int))
    with pytest.raises(TypeError, match="not on Values"):
        cross_entropy([mg.Value(1.0), mg.Value(2.0)], [0, 1])


# ---- l2 and accuracy -----------------------------------------------------------

def test_l2_of_values_is_one_dot_node_with_gradient_2p():
    ps = [mg.Value(v) for v in (3.0, -4.0, 0.5)]
    pen = l2(ps)
    assert pen.op == "dot" and pen.data == pytest.approx(9 + 16 + 0.25)
    pen.backward()
    assert [p.grad for p in ps] == pytest.approx([6.0, -8.0, 1.0])


def test_l2_of_tensors_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    arrays = [rng.normal(size=(3, 2)), rng.normal(size=4)]
    ts = [mg.Tensor(a, requires_grad=True) for a in arrays]
    pen = 1e-2 * l2(ts)
    pen.backward()
    rs = [torch.tensor(a, requires_grad=True) for a in arrays]
    ref = 1e-2 * sum((r * r).sum() for r in rs)
    ref.backward()
    assert pen.item() == pytest.approx(ref.item(), rel=1e-12)
    for t, r in zip(ts, rs):
        np.testing.assert_allclose(t.grad, r.grad.numpy(), rtol=1e-12)


def test_l2_rejects_bad_parameters():
    with pytest.raises(ValueError, match="no parameters"):
        l2([])
    with pytest.raises(TypeError, match="mix Values and Tensors"):
        l2([mg.Value(1.0), mg.Tensor([1.0], requires_grad=True)])
    with pytest.raises(TypeError, match="parameter 1 is a float"):
        l2([mg.Value(1.0), 2.0])


def test_accuracy_binary_and_multiclass_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    s = rng.normal(size=40)
    y01 = (rng.uniform(size=40) < 0.5).astype(float)
    expect = ((torch.tensor(s) > 0).double() == torch.tensor(y01)).double().mean().item()
    assert accuracy(s, y01) == pytest.approx(expect)
    assert accuracy([mg.Value(v) for v in s], 2 * y01 - 1) == pytest.approx(expect)
    assert accuracy(mg.Tensor(s.reshape(-1, 1)), y01) == pytest.approx(expect)
    p = 1 / (1 + np.exp(-s))
    assert accuracy(p, y01, threshold=0.5) == pytest.approx(expect)
    logits = rng.normal(size=(30, 4))
    labels = rng.integers(0, 4, size=30)
    expect = (torch.tensor(logits).argmax(1) == torch.tensor(labels)).double().mean().item()
    assert accuracy(mg.Tensor(logits), labels) == pytest.approx(expect)


def test_accuracy_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="3 scores but 2 labels"):
        accuracy([0.1, 0.2, 0.3], [1, 1])
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3,\)"):
        accuracy(np.zeros((2, 3)), [0, 1, 2])
    with pytest.raises(ValueError, match="no predictions"):
        accuracy([], [])


# ---- dtypes and bad inputs -----------------------------------------------------

@pytest.mark.parametrize("kind", list(TORCH))
def test_float32_predictions_give_float32_loss_and_grad(kind):
    x = np.array([0.2, 0.7, 0.4], np.float32)
    y = np.array([1.0, -1.0, 1.0]) if kind == "hinge" else np.array([1.0, 0.0, 1.0])
    t = mg.Tensor(x, requires_grad=True)
    loss = TORCH[kind][0](t, y)
    loss.backward()
    assert loss.dtype == np.float32 and t.grad.dtype == np.float32
    logits = mg.Tensor(np.zeros((2, 3), np.float32), requires_grad=True)
    ce = cross_entropy(logits, [0, 2])
    ce.backward()
    assert ce.dtype == np.float32 and logits.grad.dtype == np.float32


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"shape \(4, 2\).*shape \(4,\)"):
        mse_loss(mg.Tensor(np.zeros((4, 2))), np.zeros(4))
    with pytest.raises(ValueError, match="3 predictions but 2 targets"):
        mse_loss([mg.Value(1.0)] * 3, [1.0, 2.0])
    with pytest.raises(ValueError, match="no predictions"):
        mse_loss(mg.Tensor(np.zeros(0)), np.zeros(0))


def test_labels_outside_each_losss_domain_are_refused():
    with pytest.raises(ValueError, match=r"-1 or \+1.*2 \* y - 1.*\[0\.0\]"):
        hinge_loss(mg.Tensor([0.5, 1.0]), [0, 1])
    with pytest.raises(ValueError, match=r"-1 or \+1"):
        hinge_loss([mg.Value(0.5)], [0])
    with pytest.raises(ValueError, match=r"\[0, 1\].*\[2\.0\]"):
        binary_cross_entropy_with_logits(mg.Tensor([0.5]), [2.0])
    with pytest.raises(ValueError, match=r"\(0, 1\).*\[2\.5\].*with_logits"):
        binary_cross_entropy(mg.Tensor([0.5, 2.5]), [1.0, 1.0])
    with pytest.raises(ValueError, match=r"\(0, 1\).*\[-0\.5\]"):
        binary_cross_entropy([mg.Value(-0.5)], [1.0])


def test_mixing_faces_or_non_numbers_is_a_type_error():
    with pytest.raises(TypeError, match="Tensors and Values"):
        mse_loss(mg.Tensor([1.0]), [mg.Value(1.0)])
    with pytest.raises(TypeError, match="not a Tensor"):
        mse_loss([mg.Value(1.0)], mg.Tensor([1.0]))
    with pytest.raises(TypeError, match="target 0 is 'a'"):
        mse_loss([mg.Value(1.0)], ["a"])
    with pytest.raises(TypeError, match="prediction 1 is a str"):
        mse_loss([mg.Value(1.0), "x"], [1.0, 2.0])
    with pytest.raises(TypeError, match="mse_loss: targets must be numbers"):
        mse_loss(mg.Tensor([1.0]), ["a"])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_target_array_of_the_predictions_shape_and_dtype_is_held_as_it_is(dtype):
    p = mg.Tensor(np.array([[0.5], [-2.0], [0.25]], dtype), requires_grad=True)
    y = np.array([[1.0], [-1.0], [-1.0]], dtype)
    loss = hinge_loss(p, y)
    assert loss._ctx[0] is y                       # held, not copied
    assert loss.item() == hinge_loss(p, y.tolist()).item() == pytest.approx((0.5 + 1.25) / 3)
    assert mse_loss(p, y).item() == mse_loss(p, y.ravel()).item()
    for fn in (hinge_loss, mse_loss):
        with pytest.raises(ValueError, match="no predictions"):
            fn(mg.Tensor(np.zeros((0, 1), dtype)), np.zeros((0, 1), dtype))
