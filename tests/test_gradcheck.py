"""Tests for microgradx.gradcheck: finite differences, gradcheck, gradgradcheck, check_model.

The buggy ops below are mg.Function subclasses with a deliberately wrong
backward. The element gradcheck must point at is worked out here from the
closed-form derivatives and the pass criterion, never from gradcheck itself.
"""

from __future__ import annotations

import importlib.util
import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import microgradx as mg
from microgradx.gradcheck import (
    GradcheckError,
    GradcheckResult,
    check_model,
    gradcheck,
    gradgradcheck,
    numerical_diff,
    numerical_gradient,
)

ATOL, RTOL = 1e-5, 1e-3
DEMOS = Path(__file__).resolve().parent.parent / "demos"


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def tensor(data, label: str = "", requires_grad: bool = True) -> mg.Tensor:
    return mg.Tensor(np.asarray(data, dtype=float), requires_grad=requires_grad, label=label)


def expected_worst(candidates: dict[str, tuple[np.ndarray, np.ndarray]]) -> tuple[str, tuple]:
    """(input name, element index) with the largest |a - n| / (atol + rtol |n|), from closed forms."""
    best, where = -1.0, None
    for name, (analytic, numeric) in candidates.items():
        ratio = np.abs(analytic - numeric) / (ATOL + RTOL * np.abs(numeric))
        k = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
        if ratio[k] > best:
            best, where = float(ratio[k]), (name, tuple(int(i) for i in k))
    assert where is not None
    return where


def assert_pinpoints(f, inputs, name: str, position: int, index: tuple, analytic: float, numeric: float):
    """gradcheck fails, and both `worst` and the error message name this element and its values."""
    with pytest.raises(GradcheckError) as info:
        gradcheck(f, inputs)
    res = info.value.result
    w = res.worst
    assert not res.ok
    assert (w.input, w.position, w.index) == (name, position, index)
    assert w.analytic == pytest.approx(analytic, rel=1e-6, abs=1e-9)
    assert w.numeric == pytest.approx(numeric, rel=1e-5, abs=1e-7)
    assert w.abs_error == pytest.approx(abs(analytic - numeric), rel=1e-4, abs=1e-7)
    msg = str(info.value)
    where = name if index == () else f"{name}[{', '.join(map(str, index))}]"
    assert f"input {name!r} (position {position}), element {where}" in msg
    assert f"analytic {w.analytic:.6g}" in msg and f"numeric {w.numeric:.6g}" in msg
    assert f"abs error {w.abs_error:.3g}" in msg and f"rel error {w.rel_error:.3g}" in msg
    return res


# ---- buggy user-defined ops (the exercises gradcheck must catch) -------------------

class Mul(mg.Function):
    """a * b, saving both inputs: the right forward that the buggy ops below build on."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b


class Cube(mg.Function):
    """x ** 3, saving x: the right forward that the buggy ops below build on."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3


class MulSignBug(Mul):
    """a * b; the gradient for b has the wrong sign."""

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        return b * g, -(a * g)


class CubeMissingFactor(Cube):
    """x ** 3 with the factor 3 of its derivative forgotten."""

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        return x**2 * g


class AddBiasMeanBug(mg.Function):
    """x + b with b broadcast over rows; b's gradient averages the rows instead of summing."""

    @staticmethod
    def forward(ctx, x, b):
        return x + b

    @staticmethod
    def backward(ctx, g):
        return g, g.mean(axis=0)


class ExpIgnoresGrad(mg.Function):
    """exp(x); the backward returns exp(x) without multiplying by the incoming gradient."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.exp()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        return x.exp()


class MulSwapped(Mul):
    """a * b; each input receives the other's gradient."""

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        return a * g, b * g


class CubeDetachedBackward(Cube):
    """x ** 3 with a right first derivative built from raw data: no second derivative."""

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        return 3 * x.data**2 * g


class ScaleOff(mg.Function):
    """x * 1 whose backward is off by a relative ``delta`` (set on the class)."""

    delta = 0.0

    @staticmethod
    def forward(ctx, x):
        return x * 1.0

    @staticmethod
    def backward(ctx, g):
        return g * (1.0 + ScaleOff.delta)


class SquareSignBug(mg.Function):
    """p ** 2 with a sign error in the backward (to corrupt one parameter's gradient)."""

    @staticmethod
    def forward(ctx, p):
        ctx.save_for_backward(p)
        return p * p

    @staticmethod
    def backward(ctx, g):
        (p,) = ctx.saved
        return -2 * p * g


class GainMeanBug(mg.Function):
    """h * gain with gain of shape (features,); gain's gradient averages over the batch."""

    @staticmethod
    def forward(ctx, h, gain):
        ctx.save_for_backward(h, gain)
        return h * gain

    @staticmethod
    def backward(ctx, g):
        h, gain = ctx.saved
        return g * gain, (g * h).mean(axis=0)


# ---- numerical_diff ----------------------------------------------------------------

@pytest.mark.parametrize("method", ["central", "forward", "backward"])
@pytest.mark.parametrize("f, df, x", [
    (math.exp, math.exp, 1.0),
    (math.sin, math.cos, 0.7),
    (lambda x: x**3 - 2 * x, lambda x: 3 * x**2 - 2, -1.3),
])
def test_numerical_diff_matches_the_derivative(method, f, df, x):
    h = 1e-5 if method == "central" else 1e-7
    assert numerical_diff(f, x, h=h, method=method) == pytest.approx(df(x), rel=1e-5)


def test_numerical_diff_tangent_slopes_of_the_quadratic():
    f = lambda x: 0.01 * x**2 + 0.1 * x
    assert numerical_diff(f, 5.0) == pytest.approx(0.2, abs=1e-9)
    assert numerical_diff(f, 10.0) == pytest.approx(0.3, abs=1e-9)


def test_numerical_diff_forward_and_backward_are_one_sided():
    # for x**2 the one-sided errors are exactly +h and -h
    f = lambda x: x * x
    assert numerical_diff(f, 2.0, h=0.5, method="forward") == pytest.approx(4.5)
    assert numerical_diff(f, 2.0, h=0.5, method="backward") == pytest.approx(3.5)
    assert numerical_diff(f, 2.0, h=0.5, method="central") == pytest.approx(4.0)


def test_numerical_diff_accepts_functions_returning_values_and_tensors():
    assert numerical_diff(lambda x: mg.Value(x) ** 2, 3.0) == pytest.approx(6.0)
    assert numerical_diff(lambda x: mg.Tensor([x * x]), 3.0) == pytest.approx(6.0)


def fitted_slope(method: str, f=math.exp, df=math.exp, x0: float = 1.0) -> float:
    hs = np.logspace(-4, -1, 10)
    errors = [abs(numerical_diff(f, x0, h=float(h), method=method) - df(x0)) for h in hs]
    return float(np.polyfit(np.log10(hs), np.log10(errors), 1)[0])


@pytest.mark.parametrize("f, df, x0", [(math.exp, math.exp, 1.0), (math.sin, math.cos, 0.5),
                                       (math.tanh, lambda x: 1 - math.tanh(x) ** 2, 0.4)])
def test_forward_error_is_order_h_and_central_order_h_squared(f, df, x0):
    assert fitted_slope("forward", f, df, x0) == pytest.approx(1.0, abs=0.1)
    assert fitted_slope("backward", f, df, x0) == pytest.approx(1.0, abs=0.1)
    assert fitted_slope("central", f, df, x0) == pytest.approx(2.0, abs=0.1)


@pytest.mark.parametrize("kwargs, match", [
    ({"h": 0.0}, "h must be a positive"),
    ({"h": -1e-3}, "h must be a positive"),
    ({"h": float("nan")}, "h must be a positive"),
    ({"method": "sideways"}, "method must be one of central, forward, backward"),
])
def test_numerical_diff_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        numerical_diff(math.sin, 1.0, **kwargs)


def test_numerical_diff_bad_x_and_f():
    with pytest.raises(TypeError, match="x must be a real number"):
        numerical_diff(math.sin, "1.0")
    with pytest.raises(TypeError, match="f must be a function"):
        numerical_diff(3.0, 1.0)
    with pytest.raises(ValueError, match="must return one number.*shape \\(2,\\)"):
        numerical_diff(lambda x: np.array([x, x]), 1.0)


# ---- numerical_gradient ---------------------------------------------------------------

def test_numerical_gradient_of_sum_of_squares():
    g = numerical_gradient(lambda v: v[0] ** 2 + v[1] ** 2, np.array([3.0, 4.0]))
    np.testing.assert_allclose(g, [6.0, 8.0], atol=1e-6)


def test_numerical_gradient_perturbs_one_element_at_a_time_and_restores():
    x = np.array([1.0, -2.0, 0.5])
    before = x.copy()
    seen = []

    def f(v):
        assert v is x
        seen.append(int(np.sum(v != before)))
        return float(np.sum(v**3))

    g = numerical_gradient(f, x)
    assert seen == [1] * 6                      # two evaluations per element, one element moved
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(g, 3 * before**2, rtol=1e-8)


@settings(max_examples=25, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=3),
                  elements=st.floats(-2, 2, allow_nan=False)))
def test_numerical_gradient_matches_analytic_on_any_shape(x):
    before = x.copy()
    g = numerical_gradient(lambda a: float(np.sum(np.sin(a) * a)), x)
    np.testing.assert_allclose(g, np.cos(before) * before + np.sin(before), atol=1e-8)
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_of_values_perturbs_data():
    xs = [mg.Value(1.5), mg.Value(-0.5)]
    g = numerical_gradient(lambda vs: (vs[0] * vs[1]).tanh(), xs)
    t = math.tanh(1.5 * -0.5)
    np.testing.assert_allclose(g, [(1 - t * t) * -0.5, (1 - t * t) * 1.5], rtol=1e-8)
    assert [v.data for v in xs] == [1.5, -0.5]
    assert numerical_gradient(lambda v: v * v, mg.Value(3.0)) == pytest.approx(6.0)


def test_numerical_gradient_of_a_tensor_keeps_its_data():
    x = tensor([[1.0, 2.0], [3.0, 4.0]])
    data = x.data
    g = numerical_gradient(lambda t: (t * t).sum(), x)
    np.testing.assert_allclose(g, 2 * data, rtol=1e-8)
    assert x.data is data and data.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_numerical_gradient_bad_input():
    with pytest.raises(TypeError, match="dtype int64.*float array"):
        numerical_gradient(lambda v: float(v.sum()), np.array([1, 2], dtype=np.int64))
    with pytest.raises(ValueError, match="one number.*shape \\(2,\\)"):
        numerical_gradient(lambda v: v * 2, np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="h must be a positive"):
        numerical_gradient(lambda v: float(v.sum()), np.array([1.0]), h=0)
    with pytest.raises(TypeError, match="x must be a float array.*got str"):
        numerical_gradient(lambda v: 0.0, "abc")
    with pytest.raises(TypeError, match="x mixes Values with other things"):
        numerical_gradient(lambda v: 0.0, [mg.Value(1.0), 2.0])
    assert numerical_gradient(lambda v: float(v @ v), [1.0, 2.0]) == pytest.approx([2.0, 4.0])


# ---- gradcheck passes for every built-in op -------------------------------------------

VALUE_CASES = {
    "add": (lambda a, b: a + b, (0.7, -1.3)),
    "add number": (lambda a, b: 2.5 + a + b * 1.0, (0.7, -1.3)),
    "sub": (lambda a, b: a - b - 3, (0.7, -1.3)),
    "rsub": (lambda a, b: 3 - a * b, (0.7, -1.3)),
    "mul": (lambda a, b: a * b * 1.5, (0.7, -1.3)),
    "div": (lambda a, b: a / b, (0.7, -1.3)),
    "rdiv": (lambda a, b: 2 / a + b / 4, (0.7, -1.3)),
    "pow number": (lambda a, b: a**3 + b**-2, (0.7, -1.3)),
    "pow value": (lambda a, b: a**b, (0.7, -1.3)),
    "rpow": (lambda a, b: 2.0**a * 1.5**b, (0.7, -1.3)),
    "neg": (lambda a, b: -a * b, (0.7, -1.3)),
    "abs": (lambda a, b: abs(a) + abs(b), (0.7, -1.3)),
    "exp": (lambda a, b: a.exp() + b.exp(), (0.7, -1.3)),
    "log": (lambda a, b: a.log() * b, (0.7, -1.3)),
    "sqrt": (lambda a, b: a.sqrt() + (b * b).sqrt(), (0.7, -1.3)),
    "tanh": (lambda a, b: (a * b).tanh(), (0.7, -1.3)),
    "sigmoid": (lambda a, b: a.sigmoid() * b.sigmoid(), (0.7, -1.3)),
    "relu": (lambda a, b: a.relu() + b.relu() + (a - b).relu(), (0.7, -1.3)),
    "leaky_relu": (lambda a, b: a.leaky_relu(0.1) + b.leaky_relu(0.1), (0.7, -1.3)),
    "sin": (lambda a, b: a.sin() * b, (0.7, -1.3)),
    "cos": (lambda a, b: a.cos() + b.cos(), (0.7, -1.3)),
    "softplus": (lambda a, b: a.softplus() + b.softplus(), (0.7, -1.3)),
    "sum": (lambda a, b: mg.sum([a, b, a * b, 2.0]), (0.7, -1.3)),
    "dot": (lambda a, b: mg.dot([a, b, a], [b, 3.0, a]), (0.7, -1.3)),
}


@pytest.mark.parametrize("name", sorted(VALUE_CASES))
def test_gradcheck_passes_every_value_op(name):
    f, point = VALUE_CASES[name]
    inputs = [mg.Value(v, label=l) for v, l in zip(point, "ab")]
    res = gradcheck(f, inputs)
    assert res.ok and res.max_abs_error < 1e-7
    assert [r.name for r in res.inputs] == ["a", "b"]


@settings(max_examples=30, deadline=None)
@given(st.floats(0.2, 3.0), st.floats(-3.0, 3.0), st.sampled_from(sorted(VALUE_CASES)))
def test_gradcheck_passes_value_ops_at_generated_points(a, b, name):
    f, _ = VALUE_CASES[name]
    if name in ("abs", "relu", "leaky_relu", "sqrt") and (abs(b) < 1e-3 or abs(a - b) < 1e-3):
        return                                   # kinks (sqrt(b*b) = |b|): no derivative to check
    if name == "div" or name == "rdiv" or name == "pow number":
        b = b if abs(b) > 0.2 else 0.5
    assert gradcheck(f, [mg.Value(a), mg.Value(b)]).ok


R = rng(1)
A34 = R.uniform(0.5, 2.0, (3, 4))
B34 = R.standard_normal((3, 4))
B4 = R.standard_normal(4)
M45 = R.standard_normal((4, 5))
DISTINCT = R.permutation(12).reshape(3, 4) * 0.37 - 2.0   # no ties for max/min

TENSOR_CASES = {
    "add broadcast": (lambda a, b: a + b, (A34, B4)),
    "sub broadcast": (lambda a, b: b - a, (A34, B4)),
    "mul": (lambda a, b: a * b, (A34, B34)),
    "div": (lambda a, b: b / a, (A34, B34)),
    "pow number": (lambda a: a**2.5, (A34,)),
    "pow tensor": (lambda a, b: a**b, (A34, B34)),
    "r-ops": (lambda a: 2.0 - a + 3.0 / a + 1.5**a, (A34,)),
    "neg abs": (lambda a, b: -a * abs(b), (A34, B34)),
    "exp log sqrt": (lambda a: a.exp() + a.log() + a.sqrt(), (A34,)),
    "tanh sigmoid": (lambda b: b.tanh() * b.sigmoid(), (B34,)),
    "relu leaky_relu": (lambda b: b.relu() + b.leaky_relu(0.2), (B34,)),
    "sin cos softplus": (lambda b: b.sin() + b.cos() * b.softplus(), (B34,)),
    "matmul": (lambda b, m: b @ m, (B34, M45)),
    "matmul vector": (lambda b, v: b @ v, (B34, B4)),
    "sum axis": (lambda b: b.sum(axis=0) + b.sum(axis=1, keepdims=True).sum(), (B34,)),
    "mean": (lambda b: b.mean(axis=1) * b.mean(), (B34,)),
    "max min": (lambda d: d.max(axis=1) + d.min(axis=0).sum() + d.max(), (DISTINCT,)),
    "softmax": (lambda b: b.softmax(axis=1), (B34,)),
    "log_softmax": (lambda b: b.log_softmax(axis=0), (B34,)),
    "reshape transpose": (lambda b: b.reshape(4, 3).T * b + b.transpose().swapaxes(0, 1) ** 2, (B34,)),
    "getitem": (lambda b: b[1:, ::2] * b[np.array([0, 2]), 1:3], (B34,)),
    "cat stack": (lambda a, b: mg.cat([a, b], axis=1) + mg.stack([a, b]).sum(axis=0).sum(), (A34, B34)),
    "broadcast_to sum_to": (lambda v: v.broadcast_to((3, 4)) * v.broadcast_to((3, 4)).sum_to((1, 4)),
                            (B4,)),
}


@pytest.mark.parametrize("name", sorted(TENSOR_CASES))
def test_gradcheck_passes_every_tensor_op_over_the_full_jacobian(name):
    f, arrays = TENSOR_CASES[name]
    inputs = [tensor(a, label=f"t{i}") for i, a in enumerate(arrays)]
    out = f(*inputs)
    res = gradcheck(f, inputs)
    assert res.ok
    assert res.max_abs_error < 1e-6
    for r, x in zip(res.inputs, inputs):
        assert r.analytic.shape == (out.data.size, x.data.size)   # one row per output element


def test_a_nan_gradient_fails_and_shows_in_the_largest_errors():
    x, y = mg.Value(1.0, label="x"), mg.Value(0.0, label="y")
    res = gradcheck(lambda x, y: x * x + (y * y).sqrt(), [x, y], raise_exception=False)
    assert not res.ok and res.worst.input == "y" and math.isnan(res.worst.analytic)
    assert math.isnan(res.max_abs_error) and math.isnan(res.max_rel_error)
    assert res.inputs[0].ok


def test_constant_tensors_are_not_checked():
    c = tensor([1.0, 2.0], label="c", requires_grad=False)
    x = tensor([0.5, -0.5], label="x")
    res = gradcheck(lambda c, x: (c * x).tanh(), [c, x])
    assert [r.name for r in res.inputs] == ["x"]
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(lambda c: c * 2, [c])


def test_output_that_does_not_depend_on_the_inputs_has_zero_jacobian():
    x = tensor([0.5, -0.5], label="x")
    res = gradcheck(lambda x: mg.Tensor([1.0, 2.0, 3.0]), [x])
    assert res.ok and np.all(res.inputs[0].analytic == 0) and res.inputs[0].analytic.shape == (3, 2)


# ---- gradcheck pinpoints wrong backwards ----------------------------------------------

def test_sign_error_is_pinpointed():
    a0, b0, w = rng(2).standard_normal(4), rng(3).standard_normal(4), rng(4).uniform(0.5, 2, 4)
    a, b = tensor(a0, "a"), tensor(b0, "b")
    f = lambda a, b: (MulSignBug.apply(a, b) * w).sum()
    name, idx = expected_worst({"b": (-w * a0, w * a0)})
    res = assert_pinpoints(f, [a, b], "b", 1, idx, -w[idx] * a0[idx], w[idx] * a0[idx])
    assert idx == (int(np.argmax(np.abs(w * a0))),)
    assert res.inputs[0].ok and not res.inputs[1].ok          # a's gradient is right


def test_missing_factor_is_pinpointed_for_a_value_and_a_tensor():
    x = mg.Value(1.3, label="x")
    assert_pinpoints(lambda x: CubeMissingFactor.apply(x), [x], "x", 0, (), 1.3**2, 3 * 1.3**2)
    x0 = np.array([0.5, -1.7, 1.1, 0.2])
    t = tensor(x0, "t")
    res = assert_pinpoints(lambda t: CubeMissingFactor.apply(t), [t], "t", 0,
                           expected_worst({"t": (x0**2, 3 * x0**2)})[1], 1.7**2, 3 * 1.7**2)
    assert res.worst.index == (1,) and res.worst.output_index == (1,)
    assert res.n_failed == 4                                    # the diagonal; zeros elsewhere agree


def test_wrong_broadcast_reduction_is_pinpointed():
    x0, b0 = rng(5).standard_normal((3, 4)), rng(6).standard_normal(4)
    w = rng(7).standard_normal((3, 4))
    x, b = tensor(x0, "x"), tensor(b0, "bias")
    f = lambda x, b: (AddBiasMeanBug.apply(x, b) * w).sum()
    true_db, bug_db = w.sum(axis=0), w.mean(axis=0)
    _, idx = expected_worst({"bias": (bug_db, true_db)})
    res = assert_pinpoints(f, [x, b], "bias", 1, idx, bug_db[idx], true_db[idx])
    assert res.inputs[0].ok
    # the same bug seen through the full Jacobian of the unreduced output
    jac = gradcheck(lambda x, b: AddBiasMeanBug.apply(x, b), [x, b], raise_exception=False)
    assert jac.inputs[0].ok and not jac.inputs[1].ok and jac.worst.input == "bias"


def test_backward_that_ignores_the_incoming_grad_is_pinpointed():
    x0, w = np.array([0.3, -0.4, 0.9, 0.1]), np.array([2.0, -1.0, 0.5, 3.0])
    x = tensor(x0, "x")
    f = lambda x: (ExpIgnoresGrad.apply(x) * w).sum()
    _, idx = expected_worst({"x": (np.exp(x0), w * np.exp(x0))})
    assert_pinpoints(f, [x], "x", 0, idx, math.exp(x0[idx]), w[idx] * math.exp(x0[idx]))
    v = mg.Value(0.25, label="v")
    assert_pinpoints(lambda v: ExpIgnoresGrad.apply(v) * 3, [v], "v", 0, (), math.exp(0.25),
                     3 * math.exp(0.25))


def test_grad_written_to_the_wrong_input_is_pinpointed():
    a0, b0 = np.array([1.0, 2.0, -0.5]), np.array([4.0, -3.0, 0.25])
    w = np.array([1.0, -2.0, 0.5])
    a, b = tensor(a0, "a"), tensor(b0, "b")
    f = lambda a, b: (MulSwapped.apply(a, b) * w).sum()
    name, idx = expected_worst({"a": (w * a0, w * b0), "b": (w * b0, w * a0)})
    pos = "ab".index(name)
    analytic = (w * a0 if name == "a" else w * b0)[idx]
    numeric = (w * b0 if name == "a" else w * a0)[idx]
    res = assert_pinpoints(f, [a, b], name, pos, idx, analytic, numeric)
    assert not res.inputs[0].ok and not res.inputs[1].ok        # both inputs are wrong
    assert "FAIL" in str(res).split("\n")[2] and "FAIL" in str(res).split("\n")[3]


def test_unlabelled_inputs_are_named_by_position():
    x = mg.Value(1.3)
    with pytest.raises(GradcheckError, match=re.escape("input 'inputs[1]' (position 1)")):
        gradcheck(lambda c, x: c * CubeMissingFactor.apply(x), [mg.Value(2.0), x])


def test_pass_criterion_is_atol_plus_rtol_times_numeric():
    x = mg.Value(0.4, label="x")        # d(x * 1)/dx = 1: allowed error 1e-5 + 1e-3 * 1
    try:
        ScaleOff.delta = 1.0e-3
        assert gradcheck(lambda x: ScaleOff.apply(x), [x]).ok
        ScaleOff.delta = 1.02e-3
        res = gradcheck(lambda x: ScaleOff.apply(x), [x], raise_exception=False)
        assert not res.ok and res.worst.abs_error == pytest.approx(1.02e-3, rel=1e-4)
        assert gradcheck(lambda x: ScaleOff.apply(x), [x], rtol=2e-3).ok
        assert not gradcheck(lambda x: ScaleOff.apply(x), [x], atol=0, rtol=1e-3 * 0.99,
                             raise_exception=False).ok
    finally:
        ScaleOff.delta = 0.0


def test_result_reports_a_readable_table():
    a, b = tensor([1.0, 2.0], "a"), tensor([0.5, -1.5], "b")
    res = gradcheck(lambda a, b: (MulSignBug.apply(a, b)).sum(), [a, b], raise_exception=False)
    assert isinstance(res, GradcheckResult) and not res.ok
    text = str(res)
    lines = text.splitlines()
    assert lines[0].startswith("gradcheck FAILED (2 of 4 elements)")
    assert lines[1].split()[:2] == ["input", "shape"]
    assert lines[2].split()[0] == "a" and lines[2].split()[-1] == "ok"
    assert lines[3].split()[0] == "b" and "FAIL (2)" in lines[3]
    assert lines[-1].startswith("worst: b[1]")
    table = res.element_table(only_failed=True).splitlines()
    assert [row.split()[0] for row in table[1:]] == ["b[0]", "b[1]"]
    assert res.max_abs_error == pytest.approx(2 * 2.0, rel=1e-6)


# ---- inputs are left as they were --------------------------------------------------------

def snapshot(nodes):
    return [(n.data, np.array(n.data, copy=True), n.grad,
             None if n.grad is None else np.array(n.grad, copy=True)) for n in nodes]


def assert_unchanged(nodes, snap):
    for n, (data, data_copy, g, g_copy) in zip(nodes, snap):
        assert n.data is data or (isinstance(data, float) and n.data == data)
        np.testing.assert_array_equal(n.data, data_copy)
        assert n.grad is g or (isinstance(g, float) and n.grad == g)
        if g_copy is not None:
            np.testing.assert_array_equal(n.grad, g_copy)


@pytest.mark.parametrize("check", [gradcheck, gradgradcheck])
def test_value_inputs_are_left_exactly_as_they_were(check):
    v, w = mg.Value(0.8, label="v"), mg.Value(-0.3, label="w")
    v.grad = 7.0
    snap = snapshot([v, w])
    assert check(lambda v, w: (v * w).tanh() * v.exp(), [v, w]).ok
    assert_unchanged([v, w], snap)
    with pytest.raises(GradcheckError):
        check(lambda v, w: CubeDetachedBackward.apply(v) * CubeMissingFactor.apply(w), [v, w])
    assert_unchanged([v, w], snap)


@pytest.mark.parametrize("check", [gradcheck, gradgradcheck])
def test_tensor_inputs_are_left_exactly_as_they_were(check):
    t = tensor([[0.3, -1.2], [2.0, 0.5]], "t")
    t.grad = np.full((2, 2), 9.0)
    u = tensor([1.0, -1.0], "u")           # grad None stays None
    snap = snapshot([t, u])
    assert check(lambda t, u: (t @ u).tanh() * (t.sum() + u).sin(), [t, u]).ok
    assert_unchanged([t, u], snap)
    assert u.grad is None
    with pytest.raises(GradcheckError):
        check(lambda t, u: CubeDetachedBackward.apply(t) * CubeMissingFactor.apply(u), [t, u])
    assert_unchanged([t, u], snap)


def test_inputs_are_restored_when_f_raises_midway():
    x = tensor([1.0, 2.0], "x")
    x.grad = np.array([5.0, 6.0])
    snap = snapshot([x])
    calls = []

    def f(x):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("boom")
        return (x * x).sum()

    with pytest.raises(RuntimeError, match="boom"):
        gradcheck(f, [x])
    assert_unchanged([x], snap)


# ---- bad input ---------------------------------------------------------------------------

def test_float32_inputs_warn():
    x = mg.Tensor(np.array([0.5, 1.0], dtype=np.float32), requires_grad=True, label="x32")
    with pytest.warns(UserWarning, match="x32 is not float64.*unreliable.*float64"):
        gradcheck(lambda x: (x * x).sum(), [x], eps=1e-2, atol=1e-2, rtol=1e-2)


def test_no_warning_for_float64(recwarn):
    gradcheck(lambda x: x * x, [mg.Value(1.0)])
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


@pytest.mark.parametrize("f, match", [
    (lambda x: [x, x], "returned a list of 2 items.*one Value"),
    (lambda x: (x, x * 2), "returned a tuple of 2 items"),
    (lambda x: 3.0, "returned a float.*not a Value or Tensor"),
    (lambda x: np.array([1.0]), "returned a ndarray.*not a Value or Tensor"),
])
def test_f_must_return_one_value_or_tensor(f, match):
    with pytest.raises(TypeError, match=match):
        gradcheck(f, [mg.Value(1.0)])


@pytest.mark.parametrize("inputs, error, match", [
    ([mg.Value(1.0), 2.0], TypeError, re.escape("inputs[1] is a float (2.0), not a Value or Tensor")),
    ([np.array([1.0, 2.0])], TypeError, "inputs\\[0\\] is a ndarray.*mg.Tensor"),
    ([np.array([1, 2])], TypeError, "inputs\\[0\\] is an integer array \\(dtype int64\\)"),
    (3.0, TypeError, "inputs must be a list of Values/Tensors, got float"),
    ([], ValueError, "inputs is empty"),
])
def test_inputs_must_be_values_or_tensors(inputs, error, match):
    with pytest.raises(error, match=match):
        gradcheck(lambda *xs: xs[0], inputs)


def test_integer_tensor_data_is_rejected():
    t = tensor([1.0, 2.0], "t")
    t.data = np.array([1, 2])
    with pytest.raises(TypeError, match="inputs\\[0\\] holds int64 data"):
        gradcheck(lambda t: t.sum(), [t])


def test_same_input_twice_is_rejected():
    x = mg.Value(1.0)
    with pytest.raises(ValueError, match="inputs\\[0\\] and inputs\\[1\\] are the same node"):
        gradcheck(lambda a, b: a * b, [x, x])


@pytest.mark.parametrize("kwargs, match", [
    ({"eps": 0.0}, "eps must be a positive"), ({"eps": -1e-6}, "eps must be a positive"),
    ({"atol": -1.0}, "atol must be a finite number >= 0"), ({"rtol": float("nan")}, "rtol must be"),
])
def test_bad_tolerances(kwargs, match):
    for check in (gradcheck, gradgradcheck):
        with pytest.raises(ValueError, match=match):
            check(lambda x: x * x, [mg.Value(1.0)], **kwargs)


def test_f_must_be_callable():
    with pytest.raises(TypeError, match="f must be a function"):
        gradcheck("x**2", [mg.Value(1.0)])


# ---- gradgradcheck --------------------------------------------------------------------------

@pytest.mark.parametrize("f, arrays", [
    (lambda a, b: (a * b).tanh().sum() + (a / b).sigmoid().sum(), (A34, B34)),
    (lambda b: b.softplus() * b.sin(), (B34,)),
    (lambda b, m: (b @ m).tanh(), (B34, M45)),
    (lambda b: b.softmax(axis=1), (B34,)),
    (lambda a: a.log() * a.sqrt() + a.exp(), (A34,)),
])
def test_gradgradcheck_passes_for_tensor_ops(f, arrays):
    inputs = [tensor(a, f"t{i}") for i, a in enumerate(arrays)]
    res = gradgradcheck(f, inputs)
    assert res.ok and res.kind == "gradgradcheck"
    assert sum(r.analytic.shape[0] for r in res.inputs[:1]) == sum(x.data.size for x in inputs)


def test_gradgradcheck_passes_for_values():
    a, b = mg.Value(0.7, label="a"), mg.Value(-1.3, label="b")
    assert gradgradcheck(lambda a, b: (a * b).tanh() * a.exp() + b**3 / a, [a, b]).ok


def test_gradgradcheck_catches_a_backward_that_is_not_differentiable():
    x = mg.Value(1.5, label="x")
    assert gradcheck(lambda x: CubeDetachedBackward.apply(x), [x]).ok    # first order is right
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(lambda x: CubeDetachedBackward.apply(x), [x])
    w = info.value.result.worst
    assert (w.input, w.index, w.output) == ("x", (), "d/d x")
    assert w.analytic == pytest.approx(0.0) and w.numeric == pytest.approx(6 * 1.5, rel=1e-5)
    assert "gradgradcheck failed at input 'x'" in str(info.value)


def test_gradgradcheck_unused_input_has_zero_second_derivative():
    a, b = tensor([0.5, 1.0], "a"), tensor([2.0, 3.0], "b")
    res = gradgradcheck(lambda a, b: (a * a).sum() + b.sum(), [a, b])
    assert res.ok
    np.testing.assert_allclose(res.inputs[0].analytic[:2], 2 * np.eye(2))   # d/da of 2a
    assert np.all(res.inputs[1].analytic == 0)


def test_gradgradcheck_matches_torch_hessian():
    torch = pytest.importorskip("torch")
    x0 = np.array([0.3, -0.8, 1.2])
    x = tensor(x0, "x")
    res = gradgradcheck(lambda x: (x.tanh() * x.exp()).sum() * x.sin().sum(), [x])
    h = torch.autograd.functional.hessian(
        lambda t: (t.tanh() * t.exp()).sum() * t.sin().sum(), torch.tensor(x0))
    np.testing.assert_allclose(res.inputs[0].analytic, h.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(res.inputs[0].numeric, h.numpy(), rtol=1e-6, atol=1e-8)


def test_jacobian_matches_torch():
    torch = pytest.importorskip("torch")
    b0, m0 = rng(8).standard_normal((2, 3)), rng(9).standard_normal((3, 4))
    b, m = tensor(b0, "b"), tensor(m0, "m")
    res = gradcheck(lambda b, m: (b @ m).log_softmax(axis=1) * (b @ m).sigmoid(), [b, m])
    jb, jm = torch.autograd.functional.jacobian(
        lambda b, m: (b @ m).log_softmax(dim=1) * (b @ m).sigmoid(),
        (torch.tensor(b0), torch.tensor(m0)))
    np.testing.assert_allclose(res.inputs[0].analytic, jb.reshape(8, 6).numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(res.inputs[1].analytic, jm.reshape(8, 12).numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(res.inputs[1].numeric, jm.reshape(8, 12).numpy(), rtol=1e-6, atol=1e-8)


# ---- check_model ------------------------------------------------------------------------------

def mlp_and_loss(corrupt: str | None = None):
    model = mg.nn.MLP(2, [3, 1], seed=0)
    params = dict(model.named_parameters())
    X, y = [[0.5, -1.0], [1.5, 0.3], [-0.7, 0.8]], [1.0, -1.0, 0.5]

    def loss_fn():
        loss = mg.sum([(model(x) - t) ** 2 for x, t in zip(X, y)])
        if corrupt is not None:
            loss = loss + SquareSignBug.apply(params[corrupt]) * 0.5
        return loss

    return model, loss_fn


def test_check_model_passes_for_a_value_mlp():
    model, loss_fn = mlp_and_loss()
    res = check_model(model, loss_fn)
    assert res.ok and res.kind == "check_model"
    assert [r.name for r in res.inputs] == [n for n, _ in model.named_parameters()]
    assert all(r.name in str(res) for r in res.inputs)


def test_check_model_names_the_one_corrupted_parameter():
    name = "layers.0.neurons.1.w.0"
    model, loss_fn = mlp_and_loss(corrupt=name)
    p = dict(model.named_parameters())[name]
    p.grad = 0.25
    snap = snapshot(model.parameters())
    with pytest.raises(GradcheckError) as info:
        check_model(model, loss_fn)
    res = info.value.result
    assert res.worst.input == name
    assert [r.name for r in res.inputs if not r.ok] == [name]
    # the bug flips the sign of d(0.5 p^2)/dp = p: analytic and numeric differ by 2p
    assert res.worst.numeric - res.worst.analytic == pytest.approx(2 * p.data, rel=1e-5)
    msg = str(info.value)
    assert f"check_model failed at input {name!r}" in msg
    assert all(r.name in msg for r in res.inputs)              # per-parameter table in the message
    assert_unchanged(model.parameters(), snap)


class GainNet(mg.nn.Module):
    """Linear -> tanh -> per-feature gain (through a Function) -> Linear."""

    def __init__(self, gain_op: type[mg.Function] | None = None):
        self.l1 = mg.nn.Linear(3, 4, seed=1)
        self.gain = mg.Tensor(np.array([0.5, 1.5, -1.0, 2.0]), requires_grad=True)
        self.l2 = mg.nn.Linear(4, 2, seed=2)
        self.gain_op = gain_op

    def __call__(self, x):
        h = self.l1(x).tanh()
        h = self.gain_op.apply(h, self.gain) if self.gain_op else h * self.gain
        return self.l2(h)


def test_check_model_on_a_tensor_network():
    x = rng(10).standard_normal((5, 3))
    good = GainNet()
    res = check_model(good, lambda: (good(x) ** 2).mean())
    assert res.ok and [r.name for r in res.inputs] == ["l1.weight", "l1.bias", "gain", "l2.weight",
                                                        "l2.bias"]
    bad = GainNet(GainMeanBug)
    bad.l2.weight.grad = np.ones((2, 4))
    snap = snapshot(bad.parameters())
    res = check_model(bad, lambda: (bad(x) ** 2).mean(), raise_exception=False)
    assert not res.ok and res.worst.input == "gain"
    assert [r.name for r in res.inputs if not r.ok] == ["gain"]
    assert "gain" in res.table().splitlines()[3] and "FAIL" in res.table().splitlines()[3]
    assert_unchanged(bad.parameters(), snap)


def test_check_model_bad_input():
    model, loss_fn = mlp_and_loss()
    with pytest.raises(TypeError, match="model must be an mg.nn.Module"):
        check_model([1.0], loss_fn)
    with pytest.raises(TypeError, match="loss_fn must be a function with no arguments"):
        check_model(model, 3.0)
    with pytest.raises(TypeError, match="loss_fn returned a list"):
        check_model(model, lambda: [model([0.0, 1.0])])
    with pytest.raises(ValueError, match="has no parameters"):
        check_model(mg.nn.Module(), loss_fn)


# ---- demos ---------------------------------------------------------------------------------

def load_demo(name: str):
    pytest.importorskip("matplotlib")
    spec = importlib.util.spec_from_file_location(f"demo_{name}", DEMOS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_numerical_diff_demo(tmp_path, capsys):
    demo = load_demo("numerical_diff")
    out = demo.main(n_steps=13, out_dir=tmp_path)
    assert out["slopes"][5.0][0] == pytest.approx(0.2, abs=1e-9)
    assert out["slopes"][10.0][0] == pytest.approx(0.3, abs=1e-9)
    assert out["slopes"][5.0][1] == pytest.approx(0.2) and out["slopes"][10.0][1] == pytest.approx(0.3)
    assert out["orders"]["forward"] == pytest.approx(1.0, abs=0.1)
    assert out["orders"]["central"] == pytest.approx(2.0, abs=0.1)
    for m in ("forward", "central"):                      # round-off: tiny h is worse than the best h
        assert out["errors"][m][0] > 1e3 * out["errors"][m].min()
    assert out["best_h"]["central"] > out["best_h"]["forward"]
    assert out["path"].is_file() and out["path"].stat().st_size > 10_000
    text = capsys.readouterr().out
    assert "at x=5: central difference 0.200000" in text and "at x=10: central difference 0.300000" in text
    assert f"error ~ h^{out['orders']['central']:.2f}" in text


def test_exercise_custom_op_demo(tmp_path, capsys):
    demo = load_demo("exercise_custom_op")
    out = demo.main(n=6, out_dir=tmp_path)
    x0 = out["x"].data
    wrong, fixed = out["wrong"], out["fixed"]
    assert not wrong.ok and fixed.ok
    student, true = 1 / (1 + x0) ** 2, 1 / (1 + np.abs(x0)) ** 2
    _, idx = expected_worst({"x": (student, true)})
    assert wrong.worst.input == "x" and wrong.worst.index == idx and wrong.worst.output_index == idx
    failed_diag = np.diag(wrong.inputs[0].failed)
    np.testing.assert_array_equal(failed_diag, x0 < 0)           # wrong exactly where x < 0
    assert wrong.n_failed == int(np.sum(x0 < 0))
    assert out["path"].is_file()
    text = capsys.readouterr().out
    assert f"gradcheck pinpoints {wrong.worst}" in text and "gradcheck OK" in text


# ---- blame=True: the op whose own rule is wrong ----------------------------------------------

class LeakySig(mg.Function):
    """sigmoid with a wrong backward: y * (1 + y) instead of y * (1 - y)."""

    @staticmethod
    def forward(ctx, x):
        y = x.sigmoid()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        return grad * y * (1 + y)


class GoodSig(mg.Function):
    @staticmethod
    def forward(ctx, x):
        y = x.sigmoid()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        return grad * y * (1 - y)


def _sig(z: float) -> float:
    return 1 / (1 + math.exp(-z))


@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_blame_names_the_wrong_function_wherever_it_sits_in_a_value_graph(where):
    x, w = mg.Value(0.4, label="x"), mg.Value(-1.3, label="w")
    graphs = {
        "start": lambda x, w: ((LeakySig.apply(x) * w).tanh() + x * x).exp(),
        "middle": lambda x, w: ((LeakySig.apply(x * w) + x).tanh() * 2).exp(),
        "end": lambda x, w: LeakySig.apply((x * w).tanh() + x),
    }
    with pytest.raises(GradcheckError) as info:
        gradcheck(graphs[where], [x, w], blame=True)
    res = info.value.result
    assert res.blame is not None and res.blame.culprit is not None
    culprit = res.blame.culprit
    assert culprit.op == "LeakySig"
    assert len(res.blame.wrong) == 1            # nodes downstream of it are not blamed
    assert "blames the LeakySig node" in str(info.value)
    # its input, from the closed form of each composite
    z = {"start": 0.4, "middle": 0.4 * -1.3, "end": math.tanh(0.4 * -1.3) + 0.4}[where]
    assert culprit.inputs[0].endswith(f"= {z:.6g}")
    if where == "end":                          # upstream 1: the rule itself, both ways
        y = _sig(z)
        assert culprit.analytic == pytest.approx(y * (1 + y), rel=1e-9)
        assert culprit.numeric == pytest.approx(y * (1 - y), rel=1e-5)


def test_blame_two_wrong_rules_names_the_one_nearest_the_inputs():
    x = mg.Value(0.3, label="x")
    res = gradcheck(lambda x: LeakySig.apply(LeakySig.apply(x * 2) * 3), [x], blame=True,
                    raise_exception=False)
    assert not res.ok
    assert [c.op for c in res.blame.wrong] == ["LeakySig", "LeakySig"]
    assert res.blame.culprit.inputs[0] == "the mul result = 0.6"


@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_blame_in_a_tensor_network(where):
    r = rng(3)
    X = tensor(r.standard_normal((4, 3)), "X")
    W = tensor(r.standard_normal((3, 2)), "W")
    graphs = {
        "start": lambda X, W: (LeakySig.apply(X) @ W).tanh().sum(),
        "middle": lambda X, W: (LeakySig.apply(X @ W) * 2.0).relu().sum(),
        "end": lambda X, W: LeakySig.apply((X @ W).tanh()),
    }
    res = gradcheck(graphs[where], [X, W], blame=True, raise_exception=False)
    assert not res.ok
    culprit = res.blame.culprit
    assert culprit.op == "LeakySig" and len(res.blame.wrong) == 1
    shape = (4, 3) if where == "start" else (4, 2)
    assert culprit.inputs[0].endswith(f"shape {shape}")
    assert culprit.upstream is None and len(culprit.element) == 2


def test_blame_passes_correct_graphs_and_blames_nothing():
    x, w = mg.Value(0.4, label="x"), mg.Value(-1.3, label="w")
    res = gradcheck(lambda x, w: ((GoodSig.apply(x * w) + x).tanh() * w / (x + 2)).exp(), [x, w], blame=True)
    assert res.ok and res.blame is None
    X = tensor(rng(4).standard_normal((3, 2)), "X")
    V = tensor(np.ones((2, 2)), "V")
    report = mg.blame.find_culprit((GoodSig.apply(X).exp() @ V).log_softmax(1).sum())
    assert report.culprit is None and report.wrong == [] and report.checked >= 4


def test_blame_tolerates_relu_and_abs_at_their_kink_and_says_so():
    x = mg.Value(0.0, label="x")
    report = mg.blame.find_culprit(x.relu() * 3 + abs(x) + x * 2)
    assert report.culprit is None
    assert any("relu node" in n and "kink" in n for n in report.notes)
    t = tensor([0.0, 1.5, -2.0], "t")
    report = mg.blame.find_culprit((t.relu() * tensor([1.0, 2.0, 3.0])).sum())
    assert report.culprit is None and any("element [0]" in n and "kink" in n for n in report.notes)


def test_blame_still_names_a_wrong_function_next_to_a_kink():
    x = tensor([0.0, 0.7, -0.4], "x")
    report = mg.blame.find_culprit(LeakySig.apply(x.relu() + x).sum())
    assert report.culprit is not None and report.culprit.op == "LeakySig"


def test_check_model_blame_names_the_wrong_function():
    class Net(mg.nn.Module):
        def __init__(self):
            self.w = tensor([[0.5, -1.0], [2.0, 0.3]], "w")

        def __call__(self, x):
            return LeakySig.apply(x @ self.w).sum()

    net = Net()
    with pytest.raises(GradcheckError) as info:
        check_model(net, lambda: net(mg.Tensor(np.array([[1.0, -2.0]]))), blame=True)
    assert info.value.result.blame.culprit.op == "LeakySig"
    assert check_model(net, lambda: net(mg.Tensor(np.array([[1.0, -2.0]]))), blame=False,
                       raise_exception=False).blame is None
