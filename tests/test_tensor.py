"""Tensor, the ndarray face: every op's gradient, broadcasting, shapes, dtypes, bad input.

Gradients are checked against float64 central differences, element by
element, of L = sum(W * f(inputs)) for a fixed random W (so every entry of
the vector-Jacobian product matters, not only its sum). Step h = 1e-6 *
max(1, |x|); error of the estimate about h^2 |f'''| / 6 + eps |L| / h, below
1e-8 for the small, well-conditioned inputs drawn here, so 1e-6 relative /
1e-6 absolute is a safe tolerance that still catches any wrong formula.
"""

import re
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import microgradx as mg
from microgradx.tensor import linear  # mg.tensor is the factory function, as torch.tensor

Tensor, Value = mg.Tensor, mg.Value
RTOL = ATOL = 1e-6
SETTINGS = settings(max_examples=25, deadline=None)


def numeric_grad(f, arrays, i):
    """Central differences of f(*arrays) (a float) with respect to arrays[i]."""
    x = np.array(arrays[i], dtype=np.float64)
    out = np.zeros_like(x)
    for j in np.ndindex(x.shape):
        h = 1e-6 * max(1.0, abs(x[j]))
        args = list(arrays)
        xp, xm = x.copy(), x.copy()
        xp[j] += h
        xm[j] -= h
        args[i] = xp
        fp = f(*args)
        args[i] = xm
        out[j] = (fp - f(*args)) / (2 * h)
    return out


def check_grads(build, arrays, tensor_inputs=None, seed=0):
    """Backward of sum(W * build(*inputs)) equals central differences for every Tensor input.

    ``tensor_inputs``: indices of the inputs passed as Tensors (the others are
    passed as they are: ndarrays or numbers). Returns the output Tensor.
    """
    tensor_inputs = range(len(arrays)) if tensor_inputs is None else tensor_inputs
    wrap = lambda args: [Tensor(a, requires_grad=True) if k in tensor_inputs else a  # noqa: E731
                         for k, a in enumerate(args)]
    ins = wrap(arrays)
    out = build(*ins)
    assert isinstance(out, Tensor)
    W = np.random.default_rng(seed).normal(size=out.shape)
    (out * W).sum().backward()

    def loss(*args):
        with mg.no_grad():
            return float((build(*wrap(args)).data * W).sum())

    for k in tensor_inputs:
        want = numeric_grad(loss, arrays, k)
        assert ins[k].grad is not None and ins[k].grad.shape == np.shape(arrays[k])
        np.testing.assert_allclose(ins[k].grad, want, rtol=RTOL, atol=ATOL, err_msg=f"input {k}")
    return out


def away_from_zero(rng, shape, lo=0.2, hi=2.0):
    return rng.uniform(lo, hi, size=shape) * rng.choice([-1.0, 1.0], size=shape)


# ---- elementwise binary ops with broadcasting ---------------------------------------------

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
}


def _operands(name, rng, sa, sb):
    if name == "pow":
        return rng.uniform(0.3, 2.0, size=sa), rng.uniform(-2.0, 2.0, size=sb)
    if name == "div":
        return rng.normal(size=sa), away_from_zero(rng, sb)
    return rng.normal(size=sa), rng.normal(size=sb)


@pytest.mark.parametrize("name", BINARY)
@SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       seed=st.integers(0, 2**16))
def test_binary_ops_broadcast_and_sum_gradients_back(name, shapes, seed):
    f = BINARY[name]
    sa, sb = shapes.input_shapes
    a, b = _operands(name, np.random.default_rng(seed), sa, sb)
    out = check_grads(f, [a, b])
    assert out.shape == shapes.result_shape
    np.testing.assert_allclose(out.data, f(a, b), rtol=1e-15)


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize(("sa", "sb"), [((3, 1), (1, 4)), ((4,), (2, 3, 4)), ((2, 3, 4), (4,)),
                                        ((), (2, 3)), ((2, 1, 3), (4, 1))])
def test_binary_ops_with_ndarray_and_number_on_either_side(name, sa, sb):
    f = BINARY[name]
    a, b = _operands(name, np.random.default_rng(7), sa, sb)
    check_grads(f, [a, b], tensor_inputs=[0])          # Tensor (op) ndarray
    out = check_grads(f, [a, b], tensor_inputs=[1])    # ndarray (op) Tensor: Tensor wins
    assert isinstance(out, Tensor)
    number = 1.7
    check_grads(lambda t: f(t, number), [a])           # Tensor (op) number
    check_grads(lambda t: f(number, t), [b])           # number (op) Tensor (r-ops)


def test_reverse_ops_values():
    x = Tensor(np.array([0.5, 2.0]), requires_grad=True)
    for got, want in [(2 - x, 2 - x.data), (2 / x, 2 / x.data), (2**x, 2**x.data), (3 * x, 3 * x.data),
                      (1 + x, 1 + x.data), (np.ones(2) - x, 1 - x.data), (-x, -x.data), (abs(-x), x.data)]:
        assert isinstance(got, Tensor)
        np.testing.assert_array_equal(got.data, want)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_pow_at_base_zero_equals_torch():
    torch = pytest.importorskip("torch")
    a = np.array([0.0, 0.0, 0.0, 0.0, 2.0, -2.0, 0.0])
    b = np.array([0.0, 1.0, 2.0, 0.5, 0.0, 3.0, -1.0])
    x, e = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    (x**e).sum().backward()
    t, u = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    (t**u).sum().backward()
    np.testing.assert_array_equal(x.grad, t.grad.numpy())
    np.testing.assert_array_equal(e.grad, u.grad.numpy())
    z = Tensor(np.zeros(3), requires_grad=True)
    (z**0.0).sum().backward()
    np.testing.assert_array_equal(z.grad, np.zeros(3))


# ---- elementwise unary ops -------------------------------------------------------------------

UNARY = {
    "neg": (lambda t: -t, "normal"),
    "abs": (abs, "away"),
    "exp": (lambda t: t.exp(), "normal"),
    "log": (lambda t: t.log(), "positive"),
    "sqrt": (lambda t: t.sqrt(), "positive"),
    "tanh": (lambda t: t.tanh(), "normal"),
    "sigmoid": (lambda t: t.sigmoid(), "normal"),
    "relu": (lambda t: t.relu(), "away"),
    "leaky_relu": (lambda t: t.leaky_relu(0.2), "away"),
    "sin": (lambda t: t.sin(), "normal"),
    "cos": (lambda t: t.cos(), "normal"),
    "softplus": (lambda t: t.softplus(), "normal"),
}
REFERENCE = {
    "neg": np.negative, "abs": np.abs, "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "tanh": np.tanh,
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)), "relu": lambda x: np.maximum(x, 0),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x), "sin": np.sin, "cos": np.cos,
    "softplus": lambda x: np.log1p(np.exp(x)),
}


@pytest.mark.parametrize("name", UNARY)
@SETTINGS
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=3), seed=st.integers(0, 2**16))
def test_unary_ops(name, shape, seed):
    f, domain = UNARY[name]
    rng = np.random.default_rng(seed)
    x = {"normal": lambda: rng.normal(size=shape) * 2, "away": lambda: away_from_zero(rng, shape),
         "positive": lambda: rng.uniform(0.05, 3.0, size=shape)}[domain]()
    out = check_grads(f, [x])
    assert out.shape == shape and out.dtype == np.float64
    np.testing.assert_allclose(out.data, REFERENCE[name](x), rtol=1e-14, atol=1e-300)


def test_relu_and_abs_derivatives_at_zero_are_zero_leaky_gives_slope():
    x = Tensor(np.zeros(3), requires_grad=True)
    (x.relu() + abs(x) + x.leaky_relu(0.3)).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.3, 0.3, 0.3])


def test_saturated_unary_ops_stay_finite():
    x = Tensor(np.array([-50.0, 50.0]), requires_grad=True)
    e = np.exp(-50.0)
    s = x.sigmoid()
    sp = x.softplus()
    assert s.data[0] == pytest.approx(e / (1 + e), rel=1e-15) and s.data[1] == 1 / (1 + e)
    assert sp.data[1] == 50.0 + np.log1p(e) and sp.data[0] == pytest.approx(np.log1p(e), rel=1e-15)
    (s + sp + x.tanh()).sum().backward()
    assert np.all(np.isfinite(x.grad))
    assert x.grad[0] == pytest.approx(e / (1 + e) ** 2 + e / (1 + e), rel=1e-14)


# ---- matmul ---------------------------------------------------------------------------------------

MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((2, 2, 3), (3, 4)),
                 ((3,), (2, 3, 4)), ((2, 3, 4), (4,)), ((2, 1, 3, 4), (5, 4, 2)), ((1, 2, 3), (4, 3, 2))]


@pytest.mark.parametrize(("sa", "sb"), MATMUL_SHAPES)
def test_matmul_shapes_and_gradients(sa, sb):
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    out = check_grads(lambda x, y: x @ y, [a, b])
    np.testing.assert_allclose(out.data, a @ b, rtol=1e-14)
    check_grads(lambda x, y: x @ y, [a, b], tensor_inputs=[0])     # Tensor @ ndarray
    out = check_grads(lambda x, y: x @ y, [a, b], tensor_inputs=[1])   # ndarray @ Tensor
    assert isinstance(out, Tensor)


@SETTINGS
@given(batch=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3),
       n=st.integers(1, 3), k=st.integers(1, 3), m=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_matmul_generated_batch_broadcasting(batch, n, k, m, seed):
    rng = np.random.default_rng(seed)
    ba, bb = batch.input_shapes
    a, b = rng.normal(size=ba + (n, k)), rng.normal(size=bb + (k, m))
    out = check_grads(lambda x, y: x @ y, [a, b])
    assert out.shape == batch.result_shape + (n, m)


# ---- reductions ---------------------------------------------------------------------------------

def distinct(rng, shape):
    """Values at least 0.1 apart, so max/min are unique and differences stay on one side."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.1 + rng.uniform(0, 0.01, n)).reshape(shape) - 0.05 * n


@st.composite
def shape_and_axis(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))
    nd = len(shape)
    axis = draw(st.one_of(
        st.none(),
        st.integers(-nd, nd - 1),
        st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True).map(tuple),
    ))
    return shape, axis, draw(st.booleans())


REDUCTIONS = {
    "sum": (lambda t, ax, kd: t.sum(axis=ax, keepdims=kd), np.sum),
    "mean": (lambda t, ax, kd: t.mean(axis=ax, keepdims=kd), np.mean),
    "max": (lambda t, ax, kd: t.max(axis=ax, keepdims=kd), np.max),
    "min": (lambda t, ax, kd: t.min(axis=ax, keepdims=kd), np.min),
}


@pytest.mark.parametrize("name", REDUCTIONS)
@SETTINGS
@given(case=shape_and_axis(), seed=st.integers(0, 2**16))
def test_reductions_axis_none_int_tuple_keepdims(name, case, seed):
    shape, axis, keepdims = case
    f, ref = REDUCTIONS[name]
    x = distinct(np.random.default_rng(seed), shape)
    out = check_grads(lambda t: f(t, axis, keepdims), [x])
    want = ref(x, axis=axis, keepdims=keepdims)
    assert out.shape == np.shape(want)
    np.testing.assert_allclose(out.data, want, rtol=1e-14)


def test_max_min_ties_split_the_gradient_evenly():
    x = Tensor(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]]), requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0.5, 0.5], [0.5, 0.5, 0]])
    x.zero_grad()
    x.min().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0, 0], [0, 0, 1.0]])
    y = Tensor(np.full((2, 2), 4.0), requires_grad=True)
    y.max().backward()
    np.testing.assert_array_equal(y.grad, np.full((2, 2), 0.25))


def test_max_min_ties_equal_torch_amax_amin():
    torch = pytest.importorskip("torch")
    data = np.array([[1.0, 3.0, 3.0, -1.0], [2.0, 2.0, 2.0, 5.0], [0.0, -4.0, -4.0, 0.0]])
    for axis in (None, 0, 1, (0, 1)):
        x = Tensor(data, requires_grad=True)
        (x.max(axis=axis) * 2.0 + x.min(axis=axis)).sum().backward()
        t = torch.tensor(data, requires_grad=True)
        dims = tuple(range(2)) if axis is None else axis
        (t.amax(dim=dims) * 2.0 + t.amin(dim=dims)).sum().backward()
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-15)


def test_mean_of_everything_and_bad_axes():
    x = Tensor(np.ones((2, 5)), requires_grad=True)
    x.mean().backward()
    np.testing.assert_array_equal(x.grad, np.full((2, 5), 0.1))
    with pytest.raises(ValueError, match=r"axis 2 is out of range.*2 dims"):
        x.sum(axis=2)
    with pytest.raises(ValueError, match="empty"):
        Tensor(np.ones((0, 3))).max()


# ---- shapes and indexing -----------------------------------------------------------------------------

SHAPE_OPS = {
    "reshape": ((2, 3, 4), lambda t: t.reshape(4, 6)),
    "reshape_tuple_infer": ((2, 3, 4), lambda t: t.reshape((3, -1))),
    "transpose": ((2, 3), lambda t: t.transpose()),
    "transpose_two_dims": ((2, 3, 4), lambda t: t.transpose(0, 2), lambda a: a.swapaxes(0, 2)),
    "permute": ((2, 3, 4), lambda t: t.permute(1, 2, 0), lambda a: a.transpose(1, 2, 0)),
    "permute_tuple": ((2, 3, 4), lambda t: t.permute((2, 0, 1)), lambda a: a.transpose((2, 0, 1))),
    "T": ((2, 3), lambda t: t.T),
    "swapaxes": ((2, 3, 4), lambda t: t.swapaxes(0, 2)),
    "swapaxes_negative": ((2, 3, 4), lambda t: t.swapaxes(-1, -2)),
    "broadcast_to": ((3, 1), lambda t: t.broadcast_to((2, 3, 4))),
    "sum_to": ((2, 3, 4), lambda t: t.sum_to((3, 1))),
    "int": ((3, 4), lambda t: t[1]),
    "negative_int": ((3, 4), lambda t: t[-1]),
    "slices": ((3, 4), lambda t: t[:, 1:3]),
    "step_slice": ((5, 2), lambda t: t[::-2]),
    "ellipsis": ((2, 3, 4), lambda t: t[..., 0]),
    "newaxis": ((3,), lambda t: t[None, :]),
    "int_array_repeated": ((4, 2), lambda t: t[np.array([0, 0, 3, 0])]),
    "list_index": ((4,), lambda t: t[[1, 1, 2]]),
    "two_int_arrays": ((3, 4), lambda t: t[np.array([0, 2, 2]), np.array([1, 1, 3])]),
    "slice_and_array": ((3, 4), lambda t: t[1:, [0, 0, 3]]),
    "bool_mask": ((2, 3), lambda t: t[np.array([[True, False, True], [False, True, True]])]),
}


@pytest.mark.parametrize("name", SHAPE_OPS)
def test_shape_ops_and_indexing(name):
    shape, f, *numpy_f = SHAPE_OPS[name]     # numpy_f: NumPy's spelling, where PyTorch's differs
    x = np.random.default_rng(5).normal(size=shape)
    out = check_grads(f, [x])
    plain = (numpy_f or [f])[0](x) if name not in ("broadcast_to", "sum_to") else None
    if plain is not None:
        np.testing.assert_array_equal(out.data, plain)


def test_repeated_indices_accumulate():
    x = Tensor(np.arange(4.0), requires_grad=True)
    x[np.array([0, 0, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 1.0, 0.0])
    y = Tensor(np.ones((2, 2)), requires_grad=True)
    (y[[1, 1]] * np.array([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    np.testing.assert_array_equal(y.grad, [[0, 0], [4.0, 6.0]])


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_cat_and_stack(axis):
    rng = np.random.default_rng(11)
    sizes = [1, 3, 2]
    parts = [rng.normal(size=(2, 2, 2)[:axis % 3] + (n,) + (2, 2, 2)[axis % 3 + 1:]) for n in sizes]
    out = check_grads(lambda *ts: mg.cat(ts, axis=axis), parts)
    np.testing.assert_array_equal(out.data, np.concatenate(parts, axis=axis))
    same = [rng.normal(size=(2, 3)) for _ in range(3)]
    out = check_grads(lambda *ts: mg.stack(ts, axis=axis), same)
    np.testing.assert_array_equal(out.data, np.stack(same, axis=axis))
    out = check_grads(lambda a: mg.cat([a, np.ones((2, 3))], axis=axis % 2), [same[0]])  # constant part
    assert out.shape[axis % 2] == (4 if axis % 2 == 0 else 6)


def test_cat_stack_bad_input():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 3\)"):
        mg.cat([Tensor(np.ones((2, 3))), Tensor(np.ones((3, 3)))], axis=1)
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        mg.stack([Tensor(np.ones(2)), Tensor(np.ones(3))])
    with pytest.raises(ValueError, match="at least one"):
        mg.cat([])


# ---- softmax / log_softmax ---------------------------------------------------------------------------

@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("which", ["softmax", "log_softmax"])
def test_softmax_and_log_softmax(which, axis):
    x = np.random.default_rng(13).normal(size=(3, 4)) * 3
    out = check_grads(lambda t: getattr(t, which)(axis=axis), [x])
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    sm = e / e.sum(axis=axis, keepdims=True)
    np.testing.assert_allclose(out.data, sm if which == "softmax" else np.log(sm), rtol=1e-13, atol=1e-15)


def test_softmax_is_stable_for_huge_logits_and_equals_torch():
    data = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0]])
    w = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])
    x = Tensor(data, requires_grad=True)
    ls, sm = x.log_softmax(axis=1), x.softmax(axis=1)
    assert np.all(np.isfinite(ls.data)) and np.all(np.isfinite(sm.data))
    np.testing.assert_array_equal(ls.data[0], [0.0, -2000.0, -1000.0])
    (ls * w + sm * w).sum().backward()
    assert np.all(np.isfinite(x.grad))
    torch = pytest.importorskip("torch")
    t = torch.tensor(data, requires_grad=True)
    tw = torch.tensor(w)
    (t.log_softmax(dim=1) * tw + t.softmax(dim=1) * tw).sum().backward()
    np.testing.assert_allclose(ls.data, t.log_softmax(dim=1).detach().numpy(), rtol=1e-15)
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-13, atol=1e-300)


# ---- against PyTorch on composite expressions -------------------------------------------------------

def _composite(X, W1, b1, W2, y_idx, mask, lib):
    """One loss touching most ops; ``lib`` adapts the few names that differ from PyTorch."""
    h = (X @ W1 + b1).tanh()
    z = lib.cat([h, (h * h).sigmoid()], 1) @ W2
    picked = lib.log_softmax(z, 1)[np.arange(4), y_idx]
    extra = (abs(W1) + 1e-3).sqrt().sum() * 0.01 + lib.max(z, 1).mean()
    extra = extra + lib.sum_keep(W2**2, 0).mean() + (2.0 / (1.0 + b1.exp())).sum()
    masked = (h * mask).relu().sum() + lib.softplus(h.T[1:, ::2]).sum()
    masked = masked + lib.stack([b1, b1 * 2], 0).sin().sum()
    return -picked.mean() + extra + masked * 0.1 + h.reshape(-1).cos().mean() ** 2 - (b1 / 3.0) ** 3


def test_composite_expression_equals_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(17)
    arrays = dict(X=rng.normal(size=(4, 3)), W1=rng.normal(size=(3, 5)), b1=rng.normal(size=5),
                  W2=rng.normal(size=(10, 3)))
    y_idx, mask = np.array([0, 2, 1, 2]), (rng.uniform(size=(4, 5)) > 0.5).astype(float)
    ours = {k: Tensor(v, requires_grad=k != "X") for k, v in arrays.items()}
    mg_lib = SimpleNamespace(cat=mg.cat, stack=mg.stack, softplus=lambda t: t.softplus(),
                             log_softmax=lambda t, a: t.log_softmax(a), max=lambda t, a: t.max(a),
                             sum_keep=lambda t, a: t.sum(a, keepdims=True))
    loss = _composite(ours["X"], ours["W1"], ours["b1"], ours["W2"], y_idx, mask, mg_lib).sum()
    loss.backward()
    theirs = {k: torch.tensor(v, requires_grad=k != "X") for k, v in arrays.items()}
    torch_lib = SimpleNamespace(cat=torch.cat, stack=torch.stack, softplus=torch.nn.functional.softplus,
                                log_softmax=lambda t, a: t.log_softmax(dim=a), max=lambda t, a: t.amax(a),
                                sum_keep=lambda t, a: t.sum(a, keepdim=True))
    tloss = _composite(theirs["X"], theirs["W1"], theirs["b1"], theirs["W2"], torch.tensor(y_idx),
                       torch.tensor(mask), torch_lib).sum()
    tloss.backward()
    assert loss.item() == pytest.approx(tloss.item(), rel=1e-13)
    assert ours["X"].grad is None
    for k in ("W1", "b1", "W2"):
        np.testing.assert_allclose(ours[k].grad, theirs[k].grad.numpy(), rtol=1e-11, atol=1e-14, err_msg=k)


# ---- backward semantics, dtypes, defaults --------------------------------------------------------------

def test_backward_needs_grad_for_non_scalar_outputs():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    y = x * 2.0
    with pytest.raises(ValueError, match=r"shape \(2, 3\) needs grad="):
        y.backward()
    g = np.arange(6.0).reshape(2, 3)
    y.backward(g)
    np.testing.assert_array_equal(x.grad, 2 * g)
    y.backward(Tensor(g))
    np.testing.assert_array_equal(x.grad, 4 * g)
    with pytest.raises(ValueError, match=r"grad has shape \(3, 2\), output has \(2, 3\)"):
        y.backward(np.ones((3, 2)))
    z = Tensor(np.array([[2.0]]), requires_grad=True)
    (z * 3.0).backward()                     # one element: no grad= needed
    np.testing.assert_array_equal(z.grad, [[3.0]])


def test_second_backward_accumulates_and_zero_grad_resets():
    x = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    y = (x * x).sum()
    y.backward()
    first = x.grad.copy()
    np.testing.assert_array_equal(first, [2.0, -4.0])
    y.backward()
    np.testing.assert_array_equal(x.grad, 2 * first)
    x.zero_grad()
    assert x.grad is None


def test_dtypes_and_defaults():
    assert Tensor([1, 2, 3]).dtype == np.float64
    assert Tensor(np.arange(3, dtype=np.int32)).dtype == np.float64
    assert Tensor(np.ones(2, dtype=np.float32)).dtype == np.float32
    assert Tensor([1.0, 2.0], dtype=np.float32).dtype == np.float32
    t = Tensor(np.ones(2))
    assert t.requires_grad is False and t.grad is None and t.op == "" and t.parents == ()
    w = Tensor(np.ones((3, 2), dtype=np.float32), requires_grad=True)
    x = Tensor(np.ones((4, 3), dtype=np.float32))
    out = (x @ w * 2.0).relu()
    assert out.dtype == np.float32
    (out + np.ones(2)).sum().backward()            # float64 operand promotes the output, not the grad
    assert w.grad.dtype == np.float32 and w.grad.shape == (3, 2)
    np.testing.assert_array_equal(w.grad, np.full((3, 2), 8.0))
    assert x.grad is None                          # requires no grad: stays None


def test_graph_is_recorded_only_for_tensors_that_need_it():
    a, b = Tensor(np.ones(2)), Tensor(np.ones(2))
    c = a * b + 1.0
    assert c.requires_grad is False and c.parents == () and c.op == ""
    w = Tensor(np.ones(2), requires_grad=True)
    d = w * a
    assert d.requires_grad and d.op == "mul" and d.parents == (w, a)
    with mg.no_grad():
        e = w * a
    assert e.requires_grad is False and e.parents == ()


def test_attributes_conversions_and_comparisons():
    x = Tensor(np.arange(6.0).reshape(2, 3), label="x")
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and len(x) == 2
    n = x.numpy()
    n[0, 0] = 99.0
    assert x.data[0, 0] == 0.0                      # numpy() is a copy
    assert Tensor([[4.5]]).item() == 4.5
    with pytest.raises(ValueError, match=r"one-element.*\(2, 3\)"):
        x.item()
    assert "x" in repr(x) and "Tensor(" in repr(x)
    lt = x < 2.0                                    # elementwise, a bool Tensor (as PyTorch)
    assert isinstance(lt, Tensor) and lt.dtype == bool and lt.sum().item() == 2 and not lt.requires_grad


# ---- bad input ----------------------------------------------------------------------------------------

def test_shape_mismatch_messages_show_both_shapes():
    a, b = Tensor(np.ones((2, 3))), Tensor(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"\(2, 3\) @ \(4, 5\)"):
        a @ b
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(4, 5\)"):
        a + b
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(4,\)"):
        a * np.ones(4)
    with pytest.raises(ValueError, match=r"\(\).*scalar"):
        a @ Tensor(2.0)
    with pytest.raises(ValueError, match=r"shape \(2, 3\).*\(4, 4\)"):
        a.reshape(4, 4)
    with pytest.raises(ValueError, match="repeat a dim"):
        a.permute(0, 0)


@pytest.mark.parametrize("bad", [np.array(["a", "b"]), np.array([object(), 1], dtype=object), "abc",
                                 np.array([True, False]), [1 + 2j], {"a": 1}])
def test_non_numeric_arrays_are_type_errors(bad):
    with pytest.raises(TypeError, match=r"real numbers|numeric"):
        Tensor(bad)


def test_bad_operands_and_indices():
    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(TypeError, match="dtype <U1"):
        x + np.array(["a", "b", "c"])
    with pytest.raises(IndexError, match="float"):
        x[np.array([0.0, 1.0])]
    with pytest.raises(IndexError, match=r"shape \(3,\)"):
        x[5]


def test_backward_on_a_tensor_that_needs_no_grad():
    y = (Tensor(np.ones(2)) * 3.0).sum()
    with pytest.raises(ValueError, match="requires_grad=True"):
        y.backward()


def test_mixing_value_and_tensor_is_refused_both_ways():
    t, v = Tensor(np.ones(3)), Value(1.0)
    with pytest.raises(TypeError, match=r"mix a Tensor with a Value"):
        t + v
    with pytest.raises(TypeError, match=r"Value.*got Tensor"):
        v * t
    with pytest.raises(TypeError, match=r"Tensor got a Value"):
        Tensor(v)


# ---- linear: x @ W.T + b as one node (torch's F.linear) ---------------------------------------------

@pytest.mark.parametrize("x_shape", [(4, 3), (3,), (2, 4, 3)])
def test_linear_equals_matmul_plus_bias_in_value_and_gradient(x_shape):
    rng = np.random.default_rng(23)
    x, W, b = rng.normal(size=x_shape), rng.normal(size=(2, 3)), rng.normal(size=2)
    out = check_grads(linear, [x, W, b])
    assert out.op == "linear" and len(out.parents) == 3
    np.testing.assert_allclose(out.data, x @ W.T + b, rtol=1e-15)


def test_linear_second_derivatives():
    rng = np.random.default_rng(29)
    x = Tensor(rng.normal(size=(4, 3)), requires_grad=True)
    W = Tensor(rng.normal(size=(2, 3)), requires_grad=True)
    b = Tensor(rng.normal(size=2), requires_grad=True)
    assert mg.gradgradcheck(lambda x, W, b: (linear(x, W, b).tanh() ** 2).sum(), [x, W, b]).ok


def test_linear_keeps_float32_and_refuses_misfits_naming_shapes():
    W = Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    b = Tensor(np.zeros(2, np.float32), requires_grad=True)
    out = linear(Tensor(np.ones((4, 3), np.float32)), W, b)
    out.sum().backward()
    assert out.dtype == W.grad.dtype == b.grad.dtype == np.float32
    with pytest.raises(ValueError, match=r"\(4, 5\).*\(2, 3\)"):
        linear(Tensor(np.ones((4, 5))), W, b)
    with pytest.raises(ValueError, match=r"bias \(3,\)"):
        linear(Tensor(np.ones((4, 3))), W, Tensor(np.zeros(3, np.float32)))
    with pytest.raises(ValueError, match=r"float32 and bias \(2,\) float64"):
        linear(Tensor(np.ones((4, 3))), W, Tensor(np.zeros(2)))
    with pytest.raises(TypeError, match="ndarray, Tensor, Tensor"):
        linear(np.ones((4, 3)), W, b)
    for x in (Tensor(np.float32(1.0)), Tensor(np.ones(5, np.float32))):
        with pytest.raises(ValueError, match=re.escape(f"input of shape {x.shape} does not fit")):
            linear(x, W, b)
