"""mg.Function: user-defined ops with a hand-written backward, on Value and Tensor."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import microgradx as mg

Value, Tensor = mg.Value, mg.Tensor


class Cube(mg.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return 3 * x**2 * grad


class ScaledMul(mg.Function):
    """x * y * k with the constant k kept on ctx; no gradient for y (returns None)."""

    @staticmethod
    def forward(ctx, x, y, k=2.0):
        ctx.save_for_backward(x, y)
        ctx.k = k
        return x * y * k

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return grad * y * ctx.k, None, None


@settings(max_examples=30, deadline=None)
@given(x=st.floats(-5.0, 5.0))
def test_cube_on_value_matches_the_analytic_derivative(x):
    v = Value(x)
    y = Cube.apply(v)
    assert y.data == x**3
    assert y.op == "Cube" and y.parents == (v,)
    y.backward()
    assert math.isclose(v.grad, 3 * x * x, rel_tol=1e-15, abs_tol=1e-300)


def test_cube_on_tensor_matches_the_analytic_derivative():
    data = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -0.25]])
    t = Tensor(data, requires_grad=True)
    y = Cube.apply(t)
    assert isinstance(y, Tensor) and y.shape == data.shape and y.op == "Cube"
    np.testing.assert_array_equal(y.data, data**3)
    w = np.arange(6.0).reshape(2, 3)
    (y * w).sum().backward()
    np.testing.assert_allclose(t.grad, 3 * data**2 * w, rtol=1e-15)


def test_function_inside_a_bigger_graph_equals_the_builtin_ops():
    x, w = Value(0.8), Value(-1.3)
    (Cube.apply(x * w) + x).tanh().backward()
    x2, w2 = Value(0.8), Value(-1.3)
    ((x2 * w2) ** 3 + x2).tanh().backward()
    assert math.isclose(x.grad, x2.grad, rel_tol=1e-14)
    assert math.isclose(w.grad, w2.grad, rel_tol=1e-14)


def test_forward_runs_without_recording_a_graph():
    seen = []

    class Spy(mg.Function):
        @staticmethod
        def forward(ctx, x):
            seen.append(mg.is_grad_enabled())
            inner = x * 2.0
            seen.append(inner.parents)
            return inner

        @staticmethod
        def backward(ctx, grad):
            return grad * 2.0

    x = Value(1.0)
    y = Spy.apply(x)
    assert seen == [False, ()]
    assert y.parents == (x,) and mg.is_grad_enabled()


def test_create_graph_through_a_function_gives_second_derivatives():
    x = Value(1.7)
    (g,) = mg.grad(Cube.apply(x), [x], create_graph=True)
    assert isinstance(g, Value) and math.isclose(g.data, 3 * 1.7**2, rel_tol=1e-15)
    (g2,) = mg.grad(g, [x])
    assert math.isclose(g2.data, 6 * 1.7, rel_tol=1e-15)

    x = Value(-0.6)
    Cube.apply(x).backward(create_graph=True)
    g = x.grad
    x.zero_grad()
    g.backward()
    assert math.isclose(x.grad, 6 * -0.6, rel_tol=1e-15)

    data = np.array([1.0, -2.0, 0.5])
    t = Tensor(data, requires_grad=True)
    (g,) = mg.grad(Cube.apply(t).sum(), [t], create_graph=True)
    (g2,) = mg.grad(g.sum(), [t])
    np.testing.assert_allclose(g2.data, 6 * data, rtol=1e-15)


def test_several_inputs_none_gradients_numbers_and_ctx_attributes():
    x, y = Value(3.0), Value(-2.0)
    out = ScaledMul.apply(x, y, 0.5)
    assert out.data == -3.0 and len(out.parents) == 3
    out.backward()
    assert x.grad == -2.0 * 0.5 and y.grad == 0.0
    tx, ty = Tensor(np.array([1.0, 2.0]), requires_grad=True), Tensor(np.array([4.0, 5.0]))
    ScaledMul.apply(tx, ty, 2.0).sum().backward()
    np.testing.assert_array_equal(tx.grad, [8.0, 10.0])
    assert ty.grad is None


def test_each_function_class_is_its_own_op():
    class Square(mg.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved
            return 2 * x * grad

    x = Value(3.0)
    a, b = Square.apply(x), Cube.apply(x)
    assert (a.op, b.op) == ("Square", "Cube")
    (a + b).backward()
    assert x.grad == 2 * 3.0 + 3 * 9.0


def test_wrong_number_of_gradients_is_a_clear_error():
    class Forgetful(mg.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, grad):
            return grad

    with pytest.raises(ValueError, match=r"Forgetful\.backward returned 1 gradient\(s\) for 2 input\(s\)"):
        Forgetful.apply(Value(1.0), Value(2.0)).backward()
    t = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="one per input"):
        Forgetful.apply(t, Tensor(np.ones(2))).sum().backward()


def test_bad_apply_arguments():
    with pytest.raises(TypeError, match=r"Cube\.apply needs at least one Value or Tensor"):
        Cube.apply(3.0)
    with pytest.raises(TypeError, match="all Values or all Tensors"):
        ScaledMul.apply(Value(1.0), Tensor(np.ones(2)))

    class Widen(mg.Function):
        @staticmethod
        def forward(ctx, x):
            return Tensor(np.ones(2))

        @staticmethod
        def backward(ctx, grad):
            return grad

    with pytest.raises(TypeError, match="returned a Tensor for Value inputs"):
        Widen.apply(Value(1.0))
