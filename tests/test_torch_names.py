"""PyTorch's names on Tensor: the same call on a microgradx Tensor and a torch float64 tensor
gives the same values and the same gradients; derivatives also against central differences.

Each case is one lambda written once and run on both libraries (that is the point of the names).
The gradient compared is that of L = sum(W * f(x)) for a fixed random W, so every entry of the
vector-Jacobian product matters. Central differences: step 1e-6, inputs drawn away from kinks
(clamp bounds, ties), tolerance 1e-6 (error of the estimate about 1e-9 here).
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import microgradx as mg

torch = pytest.importorskip("torch")
Tensor = mg.Tensor
SETTINGS = settings(max_examples=15, deadline=None)
SHAPES = hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4)


def _weights(shape, seed=1):
    return np.random.default_rng(seed).normal(size=shape)


def mg_run(f, *xs):
    """f on microgradx Tensors: (output data, [grad of each input]) of sum(W * f)."""
    ts = [Tensor(x, requires_grad=True) for x in xs]
    out = f(*ts)
    (out * _weights(out.shape)).sum().backward()
    return out.data, [t.grad for t in ts]


def torch_run(f, *xs):
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    out = f(*ts)
    (out * torch.tensor(_weights(tuple(out.shape)), dtype=out.dtype)).sum().backward()
    grads = [np.zeros(x.shape) if t.grad is None else t.grad.numpy() for t, x in zip(ts, xs)]
    return out.detach().numpy(), grads


def numeric_grads(f, *xs, h=1e-6):
    def loss(*arrays):
        with mg.no_grad():
            out = f(*(Tensor(a) for a in arrays))
        return float((out.data.astype(np.float64) * _weights(out.shape)).sum())

    grads = []
    for i, x in enumerate(xs):
        g = np.zeros_like(x)
        for j in np.ndindex(x.shape):
            xp, xm = x.copy(), x.copy()
            xp[j] += h
            xm[j] -= h
            args_p, args_m = list(xs), list(xs)
            args_p[i], args_m[i] = xp, xm
            g[j] = (loss(*args_p) - loss(*args_m)) / (2 * h)
        grads.append(g)
    return grads


def same_as_torch(f, *xs, numeric=True, rtol=1e-12, torch_f=None):
    """f's values and gradients equal torch's (and central differences when ``numeric``)."""
    out, grads = mg_run(f, *xs)
    t_out, t_grads = torch_run(torch_f or f, *xs)
    assert out.shape == t_out.shape
    np.testing.assert_allclose(out, t_out, rtol=rtol, atol=1e-14)
    for g, tg in zip(grads, t_grads):
        np.testing.assert_allclose(g, tg, rtol=1e-10, atol=1e-12)
    if numeric:
        for g, ng in zip(grads, numeric_grads(f, *xs)):
            np.testing.assert_allclose(g, ng, rtol=1e-6, atol=1e-6)
    return out


def _array(data, shape, lo=-2.0, hi=2.0):
    seed = data.draw(st.integers(0, 2**16))
    return np.random.default_rng(seed).uniform(lo, hi, size=shape)


def _dim(data, ndim, extra=0):
    return data.draw(st.integers(-ndim - extra, ndim - 1 + extra))


# ---- shapes ------------------------------------------------------------------------------------------

@SETTINGS
@given(st.data(), SHAPES)
def test_view_flatten_unsqueeze_squeeze(data, shape):
    x = _array(data, shape)
    nd = len(shape)
    same_as_torch(lambda t: t.view(-1), x)
    same_as_torch(lambda t: t.view(shape[0], -1), x)
    s, e = sorted((_dim(data, nd) % nd, _dim(data, nd) % nd))
    same_as_torch(lambda t: t.flatten(s, e), x)
    same_as_torch(lambda t: t.flatten(), x)
    d = _dim(data, nd + 1)
    same_as_torch(lambda t: t.unsqueeze(d), x)
    same_as_torch(lambda t: t.unsqueeze(d).squeeze(), x)
    same_as_torch(lambda t: t.unsqueeze(d).squeeze(d), x)
    k = _dim(data, nd)
    same_as_torch(lambda t: t.squeeze(k), x)        # a dim not of size 1 stays, as torch


@SETTINGS
@given(st.data(), SHAPES)
def test_permute_transpose_swapaxes_T(data, shape):
    x = _array(data, shape)
    nd = len(shape)
    perm = data.draw(st.permutations(range(nd)))
    same_as_torch(lambda t: t.permute(*perm), x)
    same_as_torch(lambda t: t.permute(tuple(perm)), x)
    a, b = _dim(data, nd), _dim(data, nd)
    same_as_torch(lambda t: t.transpose(a, b), x)
    same_as_torch(lambda t: t.swapaxes(a, b), x)
    same_as_torch(lambda t: t.T, x, torch_f=lambda t: t.permute(*reversed(range(nd))))
    if nd <= 2:
        same_as_torch(lambda t: t.t(), x)
        same_as_torch(lambda t: t.transpose(), x, torch_f=lambda t: t.t())


def test_squeeze_dims_tuple_and_zero_dim_flatten():
    x = np.arange(6.0).reshape(2, 1, 1, 3)
    same_as_torch(lambda t: t.squeeze((1, 2)), x)
    same_as_torch(lambda t: t.flatten(), np.array(2.5))
    same_as_torch(lambda t: t.t(), np.arange(3.0))


def test_shape_methods_refuse_bad_dims_clearly():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(IndexError, match=r"unsqueeze: dim 3 is out of range.*2 dims"):
        x.unsqueeze(3)
    with pytest.raises(IndexError, match=r"swapaxes: dim 2 is out of range"):
        x.swapaxes(0, 2)
    with pytest.raises(ValueError, match=r"swapaxes: dim -3 is out of range"):    # also a ValueError
        x.swapaxes(-3, 0)
    with pytest.raises(IndexError, match=r"squeeze: dim 5"):
        x.squeeze(5)
    with pytest.raises(ValueError, match=r"permute: got 1 dims.*all 2 dims"):
        x.permute(0)
    with pytest.raises(ValueError, match=r"permute: dims \(1, 1\) repeat"):
        x.permute(1, 1)
    with pytest.raises(ValueError, match=r"flatten: start_dim 1 comes after end_dim 0"):
        x.flatten(1, 0)
    with pytest.raises(ValueError, match=r"view: cannot reshape.*\(2, 3\).*\(4, -1\)"):
        x.view(4, -1)
    with pytest.raises(TypeError, match="a dim must be an int"):
        x.unsqueeze(1.0)


def test_transpose_is_torchs_and_points_numpy_style_calls_to_permute():
    x = Tensor(np.ones((2, 3, 4)))
    assert x.transpose(0, 2).shape == (4, 3, 2)          # torch: swap two dims
    for bad in [(), (2, 0, 1), ((2, 0, 1),), (1,)]:
        with pytest.raises(TypeError, match=r"swaps two dims.*permute\(2, 1, 0\)"):
            x.transpose(*bad)
    with pytest.raises(ValueError, match=r"t\(\) needs a tensor with at most 2 dims.*\(2, 3, 4\)"):
        x.t()
    assert Tensor(np.ones((2, 3))).transpose().shape == (3, 2)


# ---- reductions ----------------------------------------------------------------------------------------

REDUCTIONS = ["sum", "mean", "max", "min"]


@SETTINGS
@given(st.data(), SHAPES, st.sampled_from(REDUCTIONS), st.booleans())
def test_reductions_take_torchs_dim_and_keepdim(data, shape, name, keep):
    x = _array(data, shape)
    d = _dim(data, len(shape))
    if name in ("max", "min"):          # torch's max(dim) gives (values, indices); ours the values
        same_as_torch(lambda t: getattr(t, name)(dim=d, keepdim=keep), x,
                      torch_f=lambda t: getattr(t, "a" + name)(dim=d, keepdim=keep))
    else:
        same_as_torch(lambda t: getattr(t, name)(dim=d, keepdim=keep), x)
    a, b = (getattr(Tensor(x), name)(dim=d, keepdim=keep), getattr(Tensor(x), name)(axis=d, keepdims=keep))
    np.testing.assert_array_equal(a.data, b.data)
    same_as_torch(lambda t: t.softmax(dim=d), x)
    same_as_torch(lambda t: t.log_softmax(dim=d), x)


def test_both_spellings_at_once_are_a_type_error():
    x = Tensor(np.ones((2, 3)))
    for call in (lambda: x.sum(axis=0, dim=0), lambda: x.mean(keepdims=True, keepdim=True),
                 lambda: x.max(axis=1, dim=1), lambda: x.softmax(axis=0, dim=0),
                 lambda: x.argmax(dim=0, axis=0), lambda: x.norm(dim=0, axis=0),
                 lambda: x.var(dim=0, axis=0), lambda: x.std(keepdim=True, keepdims=True),
                 lambda: x.log_softmax(0, dim=0), lambda: x.min(0, dim=1)):
        with pytest.raises(TypeError, match="both"):
            call()
    with pytest.raises(TypeError, match="unbiased= and correction="):
        x.var(unbiased=True, correction=1)
    with pytest.raises(IndexError, match=r"sum: axis 2 is out of range"):
        x.sum(dim=2)


@SETTINGS
@given(st.data(), SHAPES, st.sampled_from([1, 2, 3, 0.5, 1.5, math.inf, -math.inf, "fro"]), st.booleans())
def test_norm(data, shape, p, keep):
    x = _array(data, shape)
    dim = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1))
    same_as_torch(lambda t: t.norm(p, dim=dim, keepdim=keep), x, numeric=p not in (0.5,), rtol=1e-11)


@pytest.mark.parametrize("p", [2, 3, 1.5, 0.5, 1, math.inf])
def test_norm_gradient_is_zero_at_a_zero_norm_as_torch(p):
    x = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 0.5]])
    out, (g,) = mg_run(lambda t: t.norm(p, dim=1), x)
    t_out, (tg,) = torch_run(lambda t: t.norm(p, dim=1), x)
    np.testing.assert_allclose(out, t_out, rtol=1e-13)
    assert np.all(np.isfinite(g)) and np.all(g[0] == 0)
    np.testing.assert_allclose(g, tg, rtol=1e-10, atol=1e-13)


@SETTINGS
@given(st.data(), st.integers(3, 4), st.integers(3, 4), st.booleans(),
       st.sampled_from([{}, {"unbiased": False}, {"unbiased": True}, {"correction": 0}, {"correction": 2}]))
def test_var_and_std(data, n, m, keep, how):
    x = _array(data, (n, m))
    dim = data.draw(st.none() | st.sampled_from([0, 1, -1]))
    for name in ("var", "std"):
        same_as_torch(lambda t, name=name: getattr(t, name)(dim=dim, keepdim=keep, **how), x, rtol=1e-11)


def test_std_of_a_constant_has_torchs_zero_gradient():
    x = np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]])
    out, (g,) = mg_run(lambda t: t.std(dim=1), x)
    t_out, (tg,) = torch_run(lambda t: t.std(dim=1), x)
    assert out[0] == 0 and np.all(g[0] == 0)
    np.testing.assert_allclose(g, tg, rtol=1e-10, atol=1e-13)
    one = Tensor([3.0]).var()
    assert math.isnan(one.item())                                    # 0 / 0, as torch (which also warns)


@SETTINGS
@given(st.data(), SHAPES, st.booleans())
def test_argmax_argmin_are_int64_tensors_that_index(data, shape, keep):
    x = np.random.default_rng(data.draw(st.integers(0, 99))).integers(-3, 3, size=shape).astype(float)  # ties
    d = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1))
    for name in ("argmax", "argmin"):
        got = getattr(Tensor(x, requires_grad=True), name)(dim=d, keepdim=keep)
        want = getattr(torch.tensor(x), name)(dim=d, keepdim=keep)
        assert got.dtype == np.int64 and not got.requires_grad and got.op == ""
        assert got.shape == tuple(want.shape)
        np.testing.assert_array_equal(got.data, want.numpy())          # first of tied entries, as torch
    flat = Tensor(x).argmax()
    assert Tensor(x).reshape(-1)[flat].item() == x.max()
    assert [10, 20, 30][Tensor([0.0, 9.0, 1.0]).argmax()] == 20         # __index__
    with pytest.raises(ValueError, match="empty"):
        Tensor(np.ones((0, 2))).argmax()


# ---- elementwise -------------------------------------------------------------------------------------

@SETTINGS
@given(st.data(), SHAPES)
def test_clamp_and_clip_away_from_the_bounds(data, shape):
    x = _array(data, shape)
    lo, hi = -0.7, 0.9
    x = np.where(np.abs(x - lo) < 1e-3, x + 0.01, x)
    x = np.where(np.abs(x - hi) < 1e-3, x + 0.01, x)
    same_as_torch(lambda t: t.clamp(lo, hi), x)
    same_as_torch(lambda t: t.clamp(min=lo), x)
    same_as_torch(lambda t: t.clamp(max=hi), x)
    same_as_torch(lambda t: t.clip(lo, hi), x)


def test_clamp_gradient_at_the_bounds_is_torchs():
    x = np.array([-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, np.nan])
    for lo, hi in [(-0.5, 1.0), (None, 0.5), (0.0, None), (1.0, 0.0)]:     # last: min > max gives max
        out, (g,) = mg_run(lambda t, lo=lo, hi=hi: t.clamp(lo, hi), x)
        t_out, (tg,) = torch_run(lambda t, lo=lo, hi=hi: t.clamp(lo, hi), x)
        np.testing.assert_array_equal(out, t_out)
        np.testing.assert_array_equal(g, tg)
    _, (g,) = mg_run(lambda t: t.clamp(-0.5, 1.0), x)
    assert g[1] != 0 and g[4] != 0 and g[0] == 0 and g[5] == 0     # both bounds included
    with pytest.raises(ValueError, match="give min, max or both"):
        Tensor(x).clamp()
    with pytest.raises(TypeError, match="min must be a number"):
        Tensor(x).clamp("0")


@SETTINGS
@given(st.data(), hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3))
def test_maximum_minimum_half_the_gradient_at_ties(data, shapes):
    rng = np.random.default_rng(data.draw(st.integers(0, 99)))
    a, b = (rng.integers(-2, 3, size=s).astype(float) for s in shapes.input_shapes)    # many ties
    for name in ("maximum", "minimum"):
        same_as_torch(lambda s, t, name=name: getattr(s, name)(t), a, b, numeric=False)
        same_as_torch(lambda s, t, name=name: getattr(mg, name)(s, t), a, b, numeric=False,
                      torch_f=lambda s, t, name=name: getattr(torch, name)(s, t))
    c, d = (rng.uniform(-2, 2, size=s) for s in shapes.input_shapes)                  # no ties
    same_as_torch(lambda s, t: s.maximum(t), c, d)
    same_as_torch(lambda s, t: mg.minimum(s, t), c, d, torch_f=torch.minimum)


def test_maximum_with_numbers_and_where():
    x = np.array([-1.0, 0.5, 2.0])
    same_as_torch(lambda t: mg.maximum(t, 0.5), x, numeric=False,
                  torch_f=lambda t: torch.maximum(t, torch.tensor(0.5, dtype=torch.float64)))
    same_as_torch(lambda t: mg.where(t > 0, t, t * t), x,
                  torch_f=lambda t: torch.where(t > 0, t, t * t))
    same_as_torch(lambda t: mg.where(t > 0, 1.0, t), x,
                  torch_f=lambda t: torch.where(t > 0, 1.0, t))
    same_as_torch(lambda t: t.masked_fill(t < 0, 3.0), x)
    with pytest.raises(TypeError, match="condition must be boolean"):
        mg.where(Tensor(x), Tensor(x), 0.0)
    with pytest.raises(ValueError, match=r"where: shapes \(2,\), \(3,\)"):
        mg.where(np.array([True, False]), Tensor(x), 0.0)


@SETTINGS
@given(st.data(), hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=3))
def test_where_broadcasts_and_routes_gradients(data, shapes):
    rng = np.random.default_rng(data.draw(st.integers(0, 99)))
    cs, as_, bs = shapes.input_shapes
    cond = rng.uniform(size=cs) > 0.5
    a, b = rng.normal(size=as_), rng.normal(size=bs)
    same_as_torch(lambda s, t: mg.where(cond, s, t), a, b,
                  torch_f=lambda s, t: torch.where(torch.tensor(cond), s, t))
    same_as_torch(lambda s, t: mg.where(Tensor(a) > 0, s, t), a, b,
                  torch_f=lambda s, t: torch.where(torch.tensor(a) > 0, s, t))


@SETTINGS
@given(st.data(), SHAPES)
def test_pow_matmul_clone_float_double(data, shape):
    x = _array(data, shape, 0.5, 2.0)
    same_as_torch(lambda t: t.pow(3), x)
    same_as_torch(lambda t: t.pow(0.5), x)
    same_as_torch(lambda t: t.clone() * t, x)
    w = _array(data, shape[-1:])
    same_as_torch(lambda t, v: t.matmul(v), x, w)
    out, (g,) = mg_run(lambda t: t.float() * 3, x)
    t_out, (tg,) = torch_run(lambda t: t.float() * 3, x)
    assert out.dtype == np.float32 and g.dtype == np.float64
    np.testing.assert_allclose(out, t_out, rtol=1e-6)
    np.testing.assert_allclose(g, tg, rtol=1e-6)
    back, (g2,) = mg_run(lambda t: t.float().double(), x)
    assert back.dtype == np.float64 and g2.dtype == np.float64


def test_clone_copies_and_keeps_the_graph_and_casts_differentiate_twice():
    x = Tensor([-0.0, 1.0, np.inf, np.nan], requires_grad=True)
    y = x.clone()
    assert y.data is not x.data and not np.shares_memory(y.data, x.data) and y.requires_grad
    np.testing.assert_array_equal(y.data, x.data)
    assert np.signbit(y.data[0])
    m = (Tensor([1.0, 2.0]) > 1.5).clone()
    assert m.dtype == bool and m.tolist() == [False, True]
    z = Tensor([1.0, 2.0], requires_grad=True)
    (gz,) = mg.grad((z.float() ** 3).sum(), [z], create_graph=True)
    assert gz.dtype == np.float64
    (g2,) = mg.grad(gz.sum(), [z])
    np.testing.assert_allclose(g2, 6 * z.data, rtol=1e-6)
    assert z.to(np.float64) is z
    with pytest.raises(TypeError, match="float32 or float64"):
        z.to(np.int64)


# ---- small things: tolist, dim, numel, size, requires_grad_, retain_grad ---------------------------------

def test_tolist_dim_numel_size():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    t = torch.arange(6.0, dtype=torch.float64).reshape(2, 3)
    assert x.tolist() == t.tolist() and x.dim() == t.dim() == 2 and x.numel() == t.numel() == 6
    assert x.size() == tuple(t.size()) and x.size(1) == t.size(1) == 3 and x.size(-2) == 2
    assert x.size == 6                                              # NumPy's .size still the count
    with pytest.raises(IndexError, match="out of range"):
        x.size(2)


def test_requires_grad_in_place_on_leaves_only():
    x = Tensor([1.0, 2.0])
    assert x.requires_grad_() is x and x.requires_grad
    assert x.requires_grad_(False) is x and not x.requires_grad
    x.requires_grad_()
    y = x * 2
    assert y.requires_grad_(True) is y                               # nothing to change, as torch
    with pytest.raises(RuntimeError, match=r"'mul'.*only leaves.*detach"):
        y.requires_grad_(False)
    with pytest.raises(TypeError, match="only float tensors"):
        (x > 1).requires_grad_()


def test_retain_grad_flag_and_errors():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    assert not h.retains_grad
    h.retain_grad()
    assert h.retains_grad and not x.retains_grad
    x.retain_grad()                                                  # a leaf keeps its grad anyway
    assert not x.retains_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).retain_grad()


def _retained(x_data, backward):
    x = Tensor(x_data, requires_grad=True)
    h = (x * 3).tanh()
    h.retain_grad()
    other = x * 2                                                    # not retained: no .grad
    backward((h * h * other).sum())
    return x, h, other


def _torch_retained(x_data):
    x = torch.tensor(x_data, dtype=torch.float64, requires_grad=True)
    h = (x * 3).tanh()
    h.retain_grad()
    (h * h * (x * 2)).sum().backward()
    return h.grad.numpy()


def test_retain_grad_keeps_an_intermediate_gradient_general_pass():
    xd = np.array([0.1, -0.4, 0.3])
    x, h, other = _retained(xd, lambda y: y.backward(create_graph=True))
    np.testing.assert_allclose(h.grad.data, _torch_retained(xd), rtol=1e-12)
    assert other.grad is None
    with mg.detect_anomaly():
        x, h, other = _retained(xd, lambda y: (y.backward(), y.backward()))
    np.testing.assert_allclose(h.grad, 2 * _torch_retained(xd), rtol=1e-12)    # accumulates, as torch
    assert other.grad is None


def test_retain_grad_keeps_an_intermediate_gradient_plain_pass():
    xd = np.array([0.1, -0.4, 0.3])
    x, h, other = _retained(xd, lambda y: y.backward())
    np.testing.assert_allclose(h.grad, _torch_retained(xd), rtol=1e-12)


# ---- comparisons, bool() ---------------------------------------------------------------------------------

@SETTINGS
@given(st.data(), hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3))
def test_comparisons_are_elementwise_bool_tensors(data, shapes):
    rng = np.random.default_rng(data.draw(st.integers(0, 99)))
    a, b = (rng.integers(-1, 2, size=s).astype(float) for s in shapes.input_shapes)
    ta, tb = Tensor(a, requires_grad=True), Tensor(b)
    for op in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"):
        want = getattr(torch.tensor(a), op)(torch.tensor(b)).numpy()
        for got in (getattr(ta, op)(tb), getattr(ta, op)(b)):
            assert isinstance(got, Tensor) and got.dtype == bool and not got.requires_grad
            np.testing.assert_array_equal(got.data, want)


def test_bool_masks_index_convert_and_reduce():
    x = Tensor([-1.0, 2.0, 0.0, 3.0], requires_grad=True)
    mask = x > 0
    np.testing.assert_array_equal(np.asarray(mask), [False, True, False, True])
    np.testing.assert_array_equal(x[mask].data, [2.0, 3.0])
    x[mask].sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0, 1.0])
    assert mask.sum().item() == 2 and isinstance(mask.sum().item(), int)
    assert (x == 2.0).any().item() is True and mask.all().item() is False
    assert (x[mask] > 0).all().item() is True
    assert ((x > 0) & (x < 3)).tolist() == [False, True, False, False]
    assert ((x > 2) | (x < 0)).tolist() == [True, False, False, True]
    assert (~mask).tolist() == [True, False, True, False] and ((x > 0) ^ (x > 2)).tolist()[1] is True
    assert mask.float().tolist() == [0.0, 1.0, 0.0, 1.0] and mask.float().dtype == np.float32
    with pytest.raises(TypeError, match="needs bool tensors"):
        x & mask


def test_bool_of_a_tensor_follows_torch():
    assert bool(Tensor([2.0]) > 1) is True and bool(Tensor(0.0)) is False
    with pytest.raises(RuntimeError, match=r"more than one value is ambiguous.*\.any\(\) or \.all\(\)"):
        bool(Tensor([1.0, 2.0]) > 0)
    with pytest.raises(RuntimeError, match="no values"):
        bool(Tensor(np.ones(0)))
    with pytest.raises(RuntimeError, match="ambiguous"):
        if Tensor([1.0, 2.0]) == Tensor([1.0, 2.0]):
            pass
    assert float(Tensor([[2.5]])) == 2.5 and int(Tensor([3.0])) == 3 and math.exp(Tensor(0.0)) == 1.0
    with pytest.raises(TypeError, match=r"drop its gradient.*\.item\(\)"):
        math.exp(Tensor(0.0, requires_grad=True))
    with pytest.raises(TypeError, match=r"int\(\) of a Tensor that requires grad"):
        int(Tensor(1.0, requires_grad=True))


def test_tensors_stay_hashable_by_identity():
    a, b = Tensor([1.0, 2.0]), Tensor([1.0, 2.0])
    assert len({a, b}) == 2 and {a: 1, b: 2}[b] == 2 and hash(a) != hash(b)
    assert (a == None) is False and (a != None) is True         # noqa: E711  (as torch)
    assert (a == "x") is False


# ---- NumPy functions on a Tensor ---------------------------------------------------------------------------

@pytest.mark.parametrize(("fn", "hint"), [
    (np.exp, r"t\.exp\(\)"), (np.log, r"t\.log\(\)"), (np.tanh, r"t\.tanh\(\)"), (np.abs, r"abs\(t\)"),
    (np.maximum, r"mg\.maximum"), (np.arctan, r"np\.arctan\(t\.data\)"),
])
def test_numpy_ufuncs_on_a_tensor_are_refused_with_what_to_call(fn, hint):
    t = Tensor([1.0, 2.0], requires_grad=True)
    args = (t, t) if fn is np.maximum else (t,)
    with pytest.raises(TypeError, match=r"drop its gradient.*" + hint):
        fn(*args)


def test_ndarray_operators_go_to_the_tensor():
    t = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    for out, want in [(np.ones(3) + t, [2, 3, 4]), (np.ones(3) * t, [1, 2, 3]), (np.ones(3) - t, [0, -1, -2]),
                      (np.full(3, 6.0) / t, [6, 3, 2]), (np.full(3, 2.0) ** t, [2, 4, 8]),
                      (np.float64(2.0) * t, [2, 4, 6])]:
        assert isinstance(out, Tensor) and out.requires_grad
        np.testing.assert_allclose(out.data, want)
    m = np.ones((2, 3)) @ t
    assert isinstance(m, Tensor) and m.tolist() == [6.0, 6.0]
    m.sum().backward()
    np.testing.assert_array_equal(t.grad, [2.0, 2.0, 2.0])
    lt = np.array([2.0, 2.0, 2.0]) < t
    assert isinstance(lt, Tensor) and lt.tolist() == [False, False, True]
    with pytest.raises(TypeError, match=r"requires grad.*detach"):
        np.asarray(t)
    np.testing.assert_array_equal(np.asarray(t.detach()), t.data)


# ---- manual_seed makes every implicit random draw reproducible -------------------------------------------

def test_manual_seed_reproduces_randn_rand_datasets_and_loader_order():
    def draw():
        loader = mg.data.DataLoader(np.arange(20.0)[:, None], batch_size=5, shuffle=True)
        return (mg.randn(3, 2).data, mg.rand(4).data, mg.randn_like(mg.zeros(2)).data,
                mg.data.make_moons(20)[0], mg.data.make_blobs(12)[0], mg.data.make_spiral(5)[0],
                np.concatenate([b for b in loader]), np.concatenate([b for b in loader]))

    mg.manual_seed(7)
    first = draw()
    mg.manual_seed(7)
    again = draw()
    mg.manual_seed(8)
    other = draw()
    for a, b, c in zip(first, again, other):
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)
    assert not np.array_equal(first[-2], first[-1])                  # each epoch a fresh order
    seeded = [mg.data.make_moons(20, seed=3)[0] for _ in range(2)]
    np.testing.assert_array_equal(*seeded)
