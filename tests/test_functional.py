"""Function transforms (microgradx/functional.py) against torch.func on random programs over every op,
composition, input and output forms, errors, and compare_modes' counts worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _programs import MG, TENSOR_OPS, VALUE_OPS, points, programs, run, torch_ops
from hypothesis import given, settings

import microgradx as mg


def close(ours, ref, rtol=1e-10):
    ours, ref = np.asarray(ours, dtype=float), np.asarray(ref, dtype=float)
    assert ours.shape == ref.shape
    scale = max(1.0, float(np.max(np.abs(ref))) if ref.size else 1.0)
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=rtol * scale)


def pair(program, lib):
    """Value face: f(list of 3 Values) -> [last two registers] (a vector output) and -> last register."""
    vec = lambda xs: run(program, list(xs), lib)[-2:]              # noqa: E731
    scalar = lambda xs: run(program, list(xs), lib)[-1]            # noqa: E731
    return vec, scalar


def torch_pair(program):
    import torch

    T = torch_ops()
    vec = lambda x: torch.stack(run(program, [x[0], x[1], x[2]], T)[-2:])         # noqa: E731
    scalar = lambda x: run(program, [x[0], x[1], x[2]], T)[-1]                     # noqa: E731
    return vec, scalar


def tensor_fn(program, lib):
    return lambda a: run(program, [a, a * 0.7 - 0.2], lib)[-1]


# ---- equal to torch.func -------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(programs(VALUE_OPS, max_size=4), points((3,)), points((3,)))
def test_value_transforms_equal_torch_func(program, x, v):
    torch = pytest.importorskip("torch")
    tf = torch.func
    vec, scalar = pair(program, MG)
    tvec, tscalar = torch_pair(program)
    xt, vt = torch.tensor(x), torch.tensor(v)
    xs = x.tolist()
    close(mg.jacrev(vec)(xs), tf.jacrev(tvec)(xt))
    close(mg.jacfwd(vec)(xs), tf.jacfwd(tvec)(xt))
    close(mg.hessian(scalar)(xs), tf.hessian(tscalar)(xt))
    out, vjp_fn = mg.vjp(vec, xs)
    tout, tvjp = tf.vjp(tvec, xt)
    close(out, tout)
    (g,) = vjp_fn(v[:2])
    close(g, tvjp(vt[:2])[0])
    out, (hv,) = mg.hvp(scalar, (xs,), (v.tolist(),))
    tout, thv = torch.autograd.functional.hvp(tscalar, (xt,), (vt,))
    close(out, tout)
    close(hv, thv[0])


@settings(max_examples=30, deadline=None)
@given(programs(TENSOR_OPS, max_size=4), points((2, 3)), points((2, 3)))
def test_tensor_transforms_equal_torch_func(program, x, v):
    torch = pytest.importorskip("torch")
    tf = torch.func
    f, tfn = tensor_fn(program, MG), tensor_fn(program, torch_ops())
    xt, vt = torch.tensor(x), torch.tensor(v)
    J = mg.jacrev(f)(x)
    assert J.shape == (2, 3, 2, 3)
    close(J, tf.jacrev(tfn)(xt))
    close(mg.jacfwd(f)(x), tf.jacfwd(tfn)(xt))
    s, ts = (lambda a: f(a).sum()), (lambda a: tfn(a).sum())
    close(mg.hessian(s)(x), tf.hessian(ts)(xt))
    out, vjp_fn = mg.vjp(f, x)
    close(vjp_fn(v)[0], tf.vjp(tfn, xt)[1](vt)[0])
    out, (hv,) = mg.hvp(s, (x,), (v,))
    close(hv, torch.autograd.functional.hvp(ts, (xt,), (vt,))[1][0])


@settings(max_examples=15, deadline=None)
@given(programs(TENSOR_OPS, max_size=3), points((2, 3)))
def test_every_composition_of_two_gives_torchs_hessian(program, x):
    torch = pytest.importorskip("torch")
    s = lambda a: tensor_fn(program, MG)(a).sum()                 # noqa: E731
    ref = torch.func.hessian(lambda a: tensor_fn(program, torch_ops())(a).sum())(torch.tensor(x))
    for outer in (mg.jacfwd, mg.jacrev):
        for inner in (mg.jacfwd, mg.jacrev):
            close(outer(inner(s))(x), ref)


def test_argnums_tuple_and_several_outputs_follow_torch():
    torch = pytest.importorskip("torch")
    f = lambda x, y: (x * y.sin(), (x / y).exp().sum())                 # noqa: E731
    x, y = np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.7, -0.3])
    tx, ty = torch.tensor(x), torch.tensor(y)
    for ours, theirs in ((mg.jacrev, torch.func.jacrev), (mg.jacfwd, torch.func.jacfwd)):
        J = ours(f, argnums=(0, 1))(x, y)
        R = theirs(f, argnums=(0, 1))(tx, ty)
        for k in range(2):
            for i in range(2):
                close(J[k][i], R[k][i])
        close(ours(f, argnums=-1)(x, y)[1], theirs(f, argnums=1)(tx, ty)[1])
    out, tan = mg.jvp(f, (x, y), (np.ones(3), np.zeros(3)))
    ones, zeros = torch.ones(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64)
    tout, ttan = torch.func.jvp(f, (tx, ty), (ones, zeros))
    for a, b in zip(tan, ttan):
        close(a, b)
    H = mg.hessian(lambda x, y: x * x * y, argnums=(0, 1))(3.0, 2.0)
    assert H == ((4.0, 6.0), (6.0, 0.0))


def test_float32_stays_float32():
    x = np.array([1.0, 2.0], dtype=np.float32)
    assert mg.jacrev(lambda a: a * a)(x).dtype == np.float32
    _, t = mg.jvp(lambda a: a.exp(), (x,), (np.ones(2, np.float32),))
    assert t.dtype == np.float32


# ---- against central differences (no torch needed) ------------------------------------------

@settings(max_examples=20, deadline=None)
@given(programs(["tanh", "sin", "mul", "div", "log", "matmul", "softmax", "sum", "getitem"], max_size=4),
       points((2, 3)))
def test_jacobians_and_hessian_match_central_differences(program, x):
    f = tensor_fn(program, MG)
    h = 1e-6
    numeric = np.empty((2, 3, 2, 3))
    for j in range(6):
        e = np.zeros(6)
        e[j] = h
        e = e.reshape(2, 3)
        numeric[..., j // 3, j % 3] = (f(mg.Tensor(x + e)).data - f(mg.Tensor(x - e)).data) / (2 * h)
    tol = 1e-5 * max(1.0, np.abs(numeric).max())
    np.testing.assert_allclose(mg.jacfwd(f)(x), numeric, atol=tol)
    np.testing.assert_allclose(mg.jacrev(f)(x), numeric, atol=tol)
    s = lambda a: f(a).sum()                                      # noqa: E731
    grad_s = lambda a: mg.jacrev(s)(a)                            # noqa: E731
    H = mg.hessian(s)(x)
    for j in range(6):
        e = np.zeros(6)
        e[j] = 1e-5
        e = e.reshape(2, 3)
        col = (grad_s(x + e) - grad_s(x - e)) / 2e-5
        np.testing.assert_allclose(H[..., j // 3, j % 3], col, atol=1e-4 * max(1.0, np.abs(col).max()))


def test_value_hessian_of_rosenbrock_by_hand():
    f = lambda p: (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2     # noqa: E731
    x, y = -1.2, 1.0
    by_hand = [[2 - 400 * (y - x * x) + 800 * x * x, -400 * x], [-400 * x, 200.0]]
    np.testing.assert_allclose(mg.hessian(f)([x, y]), by_hand, rtol=1e-14)
    grad = [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)]
    np.testing.assert_allclose(mg.jacrev(f)([x, y]), grad, rtol=1e-14)


# ---- forms in and out ----------------------------------------------------------------------

def test_plain_inputs_give_plain_results():
    assert mg.jacrev(lambda x: x.sin())(0.0) == 1.0
    assert isinstance(mg.jacfwd(lambda x: x * 2)(1), float)
    J = mg.jacrev(lambda xs: [xs[0] * xs[1], xs[0] + 0.0])([2.0, 3.0])
    np.testing.assert_array_equal(J, [[3.0, 2.0], [1.0, 0.0]])
    out, t = mg.jvp(lambda xs: [xs[0] * xs[1], xs[1]], ([2.0, 3.0],), ([1.0, 0.0],))
    np.testing.assert_array_equal(out, [6.0, 3.0])
    np.testing.assert_array_equal(t, [3.0, 0.0])
    T = mg.Tensor([1.0, 2.0])                                   # no requires_grad: plain data out
    assert isinstance(mg.jacrev(lambda a: a * a)(T), np.ndarray)


def test_nodes_in_give_differentiable_nodes_out():
    x = mg.Value(2.0)
    d = mg.jacrev(lambda v: v ** 3)(x)
    assert isinstance(d, mg.Value) and d.data == 12.0
    d.backward()
    assert x.grad == 12.0                                       # d/dx 3x^2 = 6x
    X = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    J = mg.jacfwd(lambda a: a ** 3)(X)
    assert isinstance(J, mg.Tensor) and J.shape == (2, 2)
    J.sum().backward()
    np.testing.assert_allclose(X.grad, [6.0, 12.0])
    out, t = mg.jvp(lambda a: a.sin(), (X,), (np.array([1.0, 1.0]),))
    (g,) = mg.grad(t.sum(), [X])
    np.testing.assert_allclose(g.data, -np.sin([1.0, 2.0]))


def test_a_transform_differentiates_its_own_argument_only():
    x = mg.Value(3.0)
    # d/dy (x * y) at y = x is x; the x that f closes over is a constant to the inner transform
    inner = mg.jacrev(lambda y: x * y)(x)
    assert inner.data == 3.0
    (g,) = mg.grad(inner, [x])
    assert g.data == 1.0


def test_unused_inputs_and_constant_outputs_give_zeros():
    np.testing.assert_array_equal(mg.jacrev(lambda x, y: x * 2, argnums=(0, 1))(np.ones(2), np.ones(3))[1],
                                  np.zeros((2, 3)))
    np.testing.assert_array_equal(mg.jacfwd(lambda x: mg.Tensor(np.ones(2)))(np.ones(3)), np.zeros((2, 3)))
    assert mg.jacrev(lambda x: mg.Value(5.0))(1.0) == 0.0
    assert mg.hvp(lambda x: x * 3.0, (1.0,), (1.0,)) == (3.0, (0.0,))


def test_jacobian_picks_the_mode_and_reads_tuples_as_several_inputs():
    f = lambda x, y: x * y.exp()                                  # noqa: E731
    for strategy in ("reverse-mode", "forward-mode"):
        jx, jy = mg.jacobian(f, (2.0, 0.0), strategy=strategy)
        assert (jx, jy) == (1.0, 2.0)
    np.testing.assert_array_equal(mg.jacobian(lambda a: a * 3.0, np.ones(2)), 3.0 * np.eye(2))


def test_vjp_fn_can_be_called_again():
    out, vjp_fn = mg.vjp(lambda a: a * a, np.array([1.0, 2.0]))
    np.testing.assert_array_equal(vjp_fn(np.array([1.0, 0.0]))[0], [2.0, 0.0])
    np.testing.assert_array_equal(vjp_fn(np.array([0.0, 1.0]))[0], [0.0, 4.0])


# ---- errors --------------------------------------------------------------------------------

def test_f_must_return_values_or_tensors():
    for bad in (lambda x: 3.0, lambda x: "x", lambda x: [x, 1.0], lambda x: None):
        with pytest.raises(TypeError, match="f must return a Value"):
            mg.jacrev(bad)(1.0)
    with pytest.raises(TypeError, match="f must return a Value"):
        mg.jvp(lambda x: x.data, (np.ones(2),), (np.ones(2),))
    with pytest.raises(TypeError, match="f must be a function"):
        mg.jacfwd(3.0)


def test_tangents_must_match_their_primals():
    with pytest.raises(ValueError, match=r"tangent 0 has shape \(3,\) and dtype float64.*\(2,\)"):
        mg.jvp(lambda a: a * 2, (np.ones(2),), (np.ones(3),))
    with pytest.raises(ValueError, match="dtype float32.*float64"):
        mg.jvp(lambda a: a * 2, (np.ones(2),), (np.ones(2, np.float32),))
    with pytest.raises(ValueError, match="one number"):
        mg.jvp(lambda a: a * 2, (1.0,), (np.ones(2),))
    with pytest.raises(ValueError, match="one number per Value"):
        mg.jvp(lambda xs: xs[0] * 2, ([1.0, 2.0],), ([1.0],))
    with pytest.raises(ValueError, match="2 primals but 1 tangents"):
        mg.jvp(lambda a, b: a * b, (1.0, 2.0), (1.0,))
    with pytest.raises(TypeError, match="primals must be a tuple"):
        mg.jvp(lambda a: a, 1.0, (1.0,))
    _, vjp_fn = mg.vjp(lambda a: a * 2, np.ones(2))
    with pytest.raises(ValueError, match="cotangent has shape"):
        vjp_fn(np.ones(3))


def test_argnums_are_checked():
    f = lambda a, b: a * b                                        # noqa: E731
    with pytest.raises(ValueError, match="argnums 2 is out of range for f called with 2"):
        mg.jacrev(f, argnums=2)(1.0, 2.0)
    with pytest.raises(ValueError, match="names the same argument twice"):
        mg.jacfwd(f, argnums=(0, -2))(1.0, 2.0)
    with pytest.raises(TypeError, match="argnums must be an int"):
        mg.jacrev(f, argnums=[0])(1.0, 2.0)
    with pytest.raises(TypeError, match="argnums must be an int"):
        mg.jacrev(f, argnums=True)(1.0, 2.0)


def test_grad_like_calls_need_a_scalar_output_and_known_inputs():
    with pytest.raises(ValueError, match=r"single number.*shape \(3,\)"):
        mg.hvp(lambda a: a * 2, (np.ones(3),), (np.ones(3),))
    with pytest.raises(TypeError, match="must be a number, a list"):
        mg.jacrev(lambda a: a)("abc")
    with pytest.raises(ValueError, match="empty list"):
        mg.jacrev(lambda a: a)([])
    with pytest.raises(ValueError, match="strategy"):
        mg.jacobian(lambda a: a, 1.0, strategy="sideways")


# ---- compare_modes, counted by hand ----------------------------------------------------------

def test_compare_modes_counts_on_a_many_to_one_function():
    # f = x0*x1 + sin(x2): 3 op nodes. Forward: pass x0 reaches mul, add; x1 the same; x2 sin, add.
    # Reverse: one pass (one output) reaching all 3 nodes.
    r = mg.compare_modes(lambda x: x[0] * x[1] + x[2].sin(), [1.0, 2.0, 0.5])
    assert (r.inputs, r.outputs, r.evaluations) == (3, 1, 3)
    assert (r.forward_passes, r.reverse_passes) == (3, 1)
    assert (r.forward_ops, r.reverse_ops) == (3 + 6, 3 + 3)
    np.testing.assert_allclose(r.jacobian, [2.0, 1.0, math.cos(0.5)], rtol=1e-15)
    assert r.max_abs_diff <= 1e-15


def test_compare_modes_counts_on_a_one_to_many_function():
    # g = [x*x, exp(x)]: 2 op nodes. Forward: one pass reaching both.
    # Reverse: a pass per output, reaching one node each.
    r = mg.compare_modes(lambda x: [x * x, x.exp()], 1.5)
    assert (r.forward_passes, r.reverse_passes, r.forward_ops, r.reverse_ops) == (1, 2, 2 + 2, 2 + 2)
    np.testing.assert_allclose(r.jacobian, [3.0, math.exp(1.5)], rtol=1e-15)


def test_compare_modes_counts_on_tensors_and_prints_a_table():
    # (x * x).sum() over 4 elements: mul and sum, 2 nodes; every pass reaches both.
    r = mg.compare_modes(lambda x: (x * x).sum(), np.array([1.0, 2.0, 3.0, 4.0]))
    assert (r.forward_passes, r.reverse_passes, r.forward_ops, r.reverse_ops) == (4, 1, 2 + 8, 2 + 2)
    np.testing.assert_array_equal(r.jacobian, [2.0, 4.0, 6.0, 8.0])
    assert r.max_abs_diff == 0.0 and r.forward_seconds > 0 and r.reverse_seconds > 0
    text = str(r)
    assert "4 input(s) -> 1 output(s)" in text
    rows = [line.split() for line in text.splitlines()[2:4]]
    assert rows == [["passes", "4", "1"], ["operations", "10", "4"]]
    with pytest.raises(ValueError, match="one output"):
        mg.compare_modes(lambda x: (x, x), 1.0)


def test_transforms_record_inside_no_grad():
    with mg.no_grad():
        np.testing.assert_array_equal(mg.hessian(lambda a: (a * a * a).sum())(np.array([1.0, 2.0])),
                                      [[6.0, 0.0], [0.0, 12.0]])
        x = mg.Value(2.0)
        d = mg.jacfwd(lambda v: v ** 3)(x)
        assert mg.jvp(lambda v: v.sin(), (0.0,), (2.0,)) == (0.0, 2.0)
    (g,) = mg.grad(d, [x])
    assert d.data == 12.0 and g.data == 12.0
