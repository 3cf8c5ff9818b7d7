"""Tests for microgradx.formula: the whitelist parser, evaluation into a graph, --at specs."""

from __future__ import annotations

import ast
import builtins
import inspect
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import microgradx as mg
from microgradx import formula as formula_module
from microgradx.formula import (
    FUNCTIONS,
    MAX_EXPONENT,
    MAX_LENGTH,
    NON_DIFFERENTIABLE,
    Formula,
    parse_at,
    parse_formula,
)
from microgradx.gradcheck import gradcheck


def sigmoid(x: float) -> float:
    return 0.5 * (1.0 + math.tanh(0.5 * x))


def softplus(x: float) -> float:
    return float(np.logaddexp(0.0, x))


# ---- parsing and evaluating ---------------------------------------------------------

def test_variables_in_order_of_first_appearance():
    assert parse_formula("tanh(w*x + b)").variables == ("w", "x", "b")
    assert parse_formula("y * x + x ** y").variables == ("y", "x")
    assert parse_formula("3 * 4").variables == ()


@pytest.mark.parametrize("text, env, expected", [
    ("x**2 * sin(y)", {"x": 1.0, "y": 2.0}, math.sin(2.0)),
    ("tanh(w*x + b)", {"w": 2.0, "x": 1.0, "b": 0.0}, math.tanh(2.0)),
    ("-x + +y - 3 / x", {"x": 1.5, "y": 2.0}, -1.5 + 2.0 - 2.0),
    ("2 ** x ** 2", {"x": 1.5}, 2 ** (1.5**2)),
    ("exp(1) * log(x) + sqrt(y)", {"x": 2.0, "y": 9.0}, math.e * math.log(2.0) + 3.0),
    ("relu(x) + relu(-x) + abs(-y)", {"x": -0.5, "y": 2.0}, 0.5 + 2.0),
    ("sigmoid(x) * softplus(y) + cos(x)", {"x": 0.3, "y": -1.2},
     sigmoid(0.3) * softplus(-1.2) + math.cos(0.3)),
    ("1e-3 * x + 2.5e2", {"x": 4.0}, 250.004),
])
def test_evaluate_on_numbers_and_values(text, env, expected):
    f = parse_formula(text)
    assert f.evaluate(env) == pytest.approx(expected, rel=1e-12)
    out = f.evaluate({k: mg.Value(v) for k, v in env.items()})
    assert isinstance(out, mg.Value) and out.data == pytest.approx(expected, rel=1e-12)


def test_build_labels_the_variables_and_backward_gives_the_gradient():
    out, xs = parse_formula("x**2 * sin(y)").build({"x": 1.0, "y": 2.0})
    assert {n: v.label for n, v in xs.items()} == {"x": "x", "y": "y"}
    out.backward()
    assert xs["x"].grad == pytest.approx(2 * math.sin(2.0), rel=1e-12)
    assert xs["y"].grad == pytest.approx(math.cos(2.0), rel=1e-12)
    leaves = [n for n in mg.autograd.topological_order([out]) if not n.parents]
    assert sorted(n.label for n in leaves) == ["x", "y"]          # numbers are not leaves


def test_a_repeated_variable_is_one_value():
    out, xs = parse_formula("x * x + x").build({"x": 3.0})
    out.backward()
    assert xs["x"].grad == pytest.approx(7.0)


def test_numbers_are_kept_with_the_op():
    out, xs = parse_formula("x * 3").build({"x": 2.0})
    assert out.op == "mul" and out.parents == (xs["x"],) and out._ctx == (3.0,)


def test_evaluate_with_tensors_and_gradcheck_the_jacobian():
    f = parse_formula("tanh(w * x + b) * exp(-x)")
    w = mg.Tensor([0.5, -1.0, 2.0], requires_grad=True, label="w")
    x = mg.Tensor([1.0, 0.3, -0.7], requires_grad=True, label="x")
    b = mg.Tensor([0.1, 0.2, 0.3], requires_grad=True, label="b")
    res = gradcheck(lambda w, x, b: f.evaluate({"w": w, "x": x, "b": b}), [w, x, b])
    assert res.ok and res.inputs[0].analytic.shape == (3, 3)


def test_gradients_match_torch_for_every_function():
    torch = pytest.importorskip("torch")
    text = ("tanh(w*x + b) + exp(x)/sqrt(w) - log(softplus(b)) + sigmoid(x)*relu(w) "
            "+ abs(b - 1)**1.5 + cos(x)**2 * sin(w) - x**w")
    point = {"w": 1.7, "x": 0.4, "b": -0.6}
    out, xs = parse_formula(text).build(point)
    out.backward()
    w, x, b = (torch.tensor(point[k], dtype=torch.float64, requires_grad=True) for k in "wxb")
    F = torch.nn.functional
    ref = (torch.tanh(w * x + b) + torch.exp(x) / torch.sqrt(w) - torch.log(F.softplus(b))
           + torch.sigmoid(x) * torch.relu(w) + torch.abs(b - 1) ** 1.5 + torch.cos(x) ** 2 * torch.sin(w)
           - x**w)
    ref.backward()
    assert out.data == pytest.approx(ref.item(), rel=1e-12)
    for name, t in zip("wxb", (w, x, b)):
        assert xs[name].grad == pytest.approx(t.grad.item(), rel=1e-10)


# generated formulas: text and a reference function built side by side from the grammar
LEAVES = st.sampled_from([("x", lambda e: e["x"]), ("y", lambda e: e["y"]), ("2", lambda e: 2.0),
                          ("0.5", lambda e: 0.5), ("3.25", lambda e: 3.25)])
UNARY = {"exp": np.exp, "tanh": np.tanh, "sin": np.sin, "cos": np.cos, "abs": np.abs,
         "relu": lambda v: np.maximum(v, 0.0), "sigmoid": lambda v: 0.5 * (1 + np.tanh(0.5 * v)),
         "softplus": lambda v: np.logaddexp(0.0, v), "log": np.log, "sqrt": np.sqrt}
BINARY = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}


def _extend(children):
    unary = st.builds(lambda name, c: (f"{name}({c[0]})", lambda e, g=UNARY[name], f=c[1]: g(f(e))),
                      st.sampled_from(sorted(UNARY)), children)
    binary = st.builds(lambda op, a, b: (f"({a[0]} {op} {b[0]})",
                                         lambda e, g=BINARY[op], fa=a[1], fb=b[1]: g(fa(e), fb(e))),
                       st.sampled_from(sorted(BINARY)), children, children)
    power = st.builds(lambda a, k: (f"({a[0]}) ** {k}", lambda e, fa=a[1], k=k: np.power(fa(e), k)),
                      children, st.sampled_from([2, 3, 0.5, -1]))
    negate = st.builds(lambda a: (f"-({a[0]})", lambda e, fa=a[1]: -fa(e)), children)
    return unary | binary | power | negate


FORMULAS = st.recursive(LEAVES, _extend, max_leaves=6)


@settings(max_examples=80, deadline=None)
@given(FORMULAS, st.floats(-2, 2), st.floats(-2, 2))
def test_generated_formulas_evaluate_like_the_reference(expr, x, y):
    text, ref = expr
    f = parse_formula(text)
    with np.errstate(all="ignore"):
        expected = float(ref({"x": np.float64(x), "y": np.float64(y)}))
    got = f.evaluate({"x": mg.Value(x), "y": mg.Value(y)}) if f.variables else f.evaluate({})
    got = got.data if isinstance(got, mg.Value) else got
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_no_eval_or_exec_anywhere_in_the_module():
    tree = ast.parse(inspect.getsource(formula_module))
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert not called & {"eval", "exec", "compile", "__import__"}


def test_works_with_eval_and_exec_unavailable(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec must never be called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    out, _ = parse_formula("x**2 * sin(y)").build({"x": 1.0, "y": 2.0})
    assert out.data == pytest.approx(math.sin(2.0))


# ---- rejections ---------------------------------------------------------------------------

REJECTED = [
    ("__import__('os')", "unknown function '__import__'"),
    ("__import__('os').system('ls')", "attribute access \"__import__('os').system\""),
    ("x.__class__", "attribute access 'x.__class__'"),
    ("x.real + 1", "attribute access 'x.real'"),
    ("lambda: 1", "lambda 'lambda: 1'"),
    ("(lambda x: x)(2)", "call of 'lambda x: x'"),
    ("x[0]", "subscript 'x[0]'"),
    ("[x for x in y]", "comprehension '[x for x in y]'"),
    ("sum(i for i in x)", "unknown function 'sum'"),
    ("exp(x=1)", "keyword argument in 'exp(x=1)'"),
    ("exp(x, y)", "exp() with 2 arguments"),
    ("exp()", "exp() with 0 arguments"),
    ("exp(*x)", "starred argument in 'exp(*x)'"),
    ("'abc' * x", "string 'abc'"),
    ("x * True", "constant True"),
    ("x ** 101", "exponent '101' = 101"),
    ("x ** -200", "exponent '-200' = -200"),
    ("x ** 1e7", "= 1e+07 (at most 100 in size)"),
    ("x ** (2e6 / 1e4)", "= 200 (at most 100 in size)"),
    ("x ** (2 ** 101)", "exponent '101' is 101 in size"),
    ("2 ** 2 ** 2 ** 2 ** 2", "exponent '2 ** 2 ** 2 ** 2' = 65536"),
    ("x ** (10 * 11)", "exponent '10 * 11' = 110"),
    ("x // 2", "operator '//'"),
    ("x % 2", "operator '%'"),
    ("x @ y", "operator '@'"),
    ("~x", "operator '~'"),
    ("not x", "operator 'not'"),
    ("x < y", "comparison 'x < y'"),
    ("x and y", "boolean operator 'x and y'"),
    ("x if y else 1", "conditional expression"),
    ("(x, y)", "tuple '(x, y)'"),
    ("foo(x)", "unknown function 'foo'"),
    ("exp + x", "'exp' without an argument"),
    ("_secret * 2", "name '_secret'"),
    ("x := 3", "cannot parse formula"),
    ("1e999 * x", "too large to be a float"),
    ("x +", "cannot parse formula 'x +'"),
    ("", "the formula is empty"),
    ("x" + " + x" * 200, f"the limit is {MAX_LENGTH}"),
    ("-" * 250 + "x", "nested more than 200 levels"),
    ("f'{x}'", "f-string"),
]


@pytest.mark.parametrize("text, piece", REJECTED)
def test_rejected_formulas_name_the_piece(text, piece, monkeypatch):
    calls = []
    monkeypatch.setattr(formula_module, "Formula", lambda *a: calls.append(a))
    with pytest.raises(ValueError) as info:
        parse_formula(text)
    assert piece in str(info.value)
    assert not calls                              # no Formula was made from it


@pytest.mark.parametrize("text", [t for t, _ in REJECTED if "**" not in t])
def test_rejected_formulas_are_never_evaluated(text, monkeypatch):
    calls = []
    monkeypatch.setattr(formula_module, "_evaluate", lambda *a: calls.append(a))
    with pytest.raises(ValueError):
        parse_formula(text)
    assert calls == []


def test_accepted_edge_cases():
    assert parse_formula("x ** 100").evaluate({"x": 1.01}) == pytest.approx(1.01**100)
    assert parse_formula("x ** -100").variables == ("x",)
    assert parse_formula("x ** y ** 2").variables == ("x", "y")     # variable exponents are fine
    assert parse_formula("x" + " + x" * 120).evaluate({"x": 1.0}) == 121.0
    assert parse_formula("(-8) ** (1/3) * x").evaluate({"x": 1.0}) != parse_formula("x").evaluate({"x": 0})


def test_one_exponent_limit_for_numbers_and_variables():
    assert MAX_EXPONENT == 100 and "at most :data:`MAX_EXPONENT` (100)" in formula_module.__doc__
    assert parse_formula("x ** (2e6 / 1e5)").evaluate({"x": 1.1}) == pytest.approx(1.1 ** 20)
    f = parse_formula("x ** y")
    assert f.evaluate({"x": 2.0, "y": 100.0}) == 2.0 ** 100
    assert f.evaluate({"x": 2.0, "y": -100.0}) == 2.0 ** -100
    for y in (100.5, -101.0):
        with pytest.raises(ValueError, match=f"exponent 'y' is {abs(y):g} in size.*at most 100 in size"):
            f.evaluate({"x": 2.0, "y": y})
        with pytest.raises(ValueError, match="at most 100 in size"):
            f.evaluate({"x": mg.Value(2.0), "y": mg.Value(y)})
        with pytest.raises(ValueError, match="at most 100 in size"):
            parse_formula(f"x ** ({y})")
    with pytest.raises(ValueError, match="exponent 'y' is 300 in size"):
        f.evaluate({"x": mg.Tensor([1.0, 2.0]), "y": mg.Tensor([3.0, -300.0])})


@pytest.mark.parametrize("text, at", [("sin(exp(x))", {"x": 1000.0}), ("cos(x * 1e308 * 10)", {"x": 1.0})])
def test_sin_and_cos_of_an_overflow_are_nan_as_in_numpy(text, at):
    out, _ = parse_formula(text).build(at)
    assert math.isnan(out.data)


def test_overflow_gives_inf_not_an_error():
    out, _ = parse_formula("exp(x) * x ** 2").build({"x": 1000.0})
    assert out.data == math.inf


@pytest.mark.parametrize("text, at, eps, expected", [
    ("relu(x)", {"x": 1e-7}, 1e-6, [("relu", "relu(x)")]),
    ("relu(x)", {"x": -9e-7}, 1e-6, [("relu", "relu(x)")]),
    ("relu(x)", {"x": 2e-6}, 1e-6, []),
    ("abs(x)", {"x": 0.0}, 1e-6, [("abs", "abs(x)")]),
    ("abs(x - y) + relu(y)", {"x": 1.0, "y": 1.0 + 5e-7}, 1e-6, [("abs", "abs(x - y)")]),
    ("abs(2 * x - 1)", {"x": 0.5 + 4e-7}, 1e-6, [("abs", "abs(2 * x - 1)")]),   # the argument moves 2 eps
    ("abs(2 * x - 1)", {"x": 0.5 + 4e-7}, 1e-7, []),
    ("sqrt(x) + log(y)", {"x": 5e-7, "y": 1e-7}, 1e-6, [("sqrt", "sqrt(x)"), ("log", "log(y)")]),
    ("tanh(x) * sin(x)", {"x": 0.0}, 1e-6, []),
])
def test_kinks_near_finds_calls_that_a_central_difference_straddles(text, at, eps, expected):
    assert parse_formula(text).kinks_near(at, eps) == expected


def test_non_differentiable_points_are_where_the_functions_have_no_derivative():
    assert set(NON_DIFFERENTIABLE) <= set(FUNCTIONS)
    for name, x0 in NON_DIFFERENTIABLE.items():
        f = parse_formula(f"{name}(x)")
        left, right = (f.evaluate({"x": x0 + s * 1e-9}) for s in (-1.0, 1.0))
        middle = f.evaluate({"x": x0})
        one_sided = [(middle - left) / 1e-9, (right - middle) / 1e-9]
        assert not (math.isclose(*one_sided, rel_tol=1e-3)), name   # the slopes differ, or one is nan


def test_formula_must_be_text():
    with pytest.raises(TypeError, match="a formula is a str, got int"):
        parse_formula(3)


def test_whitelist_is_the_documented_one():
    assert set(FUNCTIONS) == {"exp", "log", "sqrt", "tanh", "sigmoid", "relu", "sin", "cos", "softplus",
                              "abs"}
    for name in FUNCTIONS:
        assert isinstance(parse_formula(f"{name}(x)"), Formula)


# ---- --at specs and binding -----------------------------------------------------------------

@pytest.mark.parametrize("spec, expected", [
    ("x=1,y=2", {"x": 1.0, "y": 2.0}),
    (" w = 2 , x=-1.5e-1, b=0 ", {"w": 2.0, "x": -0.15, "b": 0.0}),
    ("theta1=3", {"theta1": 3.0}),
    ("", {}),
])
def test_parse_at(spec, expected):
    got = parse_at(spec)
    assert got == expected and list(got) == list(expected)


@pytest.mark.parametrize("spec, match", [
    ("x", "bad entry 'x' in --at: write name=value"),
    ("x=", "bad value '' for x"),
    ("x=abc", "bad value 'abc' for x in --at: not a number"),
    ("1x=2", "bad variable name '1x'"),
    ("_x=2", "bad variable name '_x'"),
    ("exp=2", "bad variable name 'exp'"),
    ("x=1,,y=2", "empty entry in --at"),
    ("x=1,", "empty entry in --at"),
    ("x=1,x=2", "x is given twice"),
    ("x=nan", "must be finite"),
    ("x=inf", "must be finite"),
])
def test_parse_at_errors(spec, match):
    with pytest.raises(ValueError, match=match):
        parse_at(spec)


def test_parse_at_needs_text():
    with pytest.raises(TypeError, match="--at is a str"):
        parse_at({"x": 1})


def test_bind_reports_missing_and_unknown_variables():
    f = parse_formula("x**2 * sin(y)")
    assert f.bind({"y": 2, "x": 1}) == {"x": 1.0, "y": 2.0}
    with pytest.raises(ValueError, match="missing value for y.*--at x=1.0,y=1.0"):
        f.bind({"x": 1.0})
    with pytest.raises(ValueError, match="unknown variable z: 'x\\*\\*2 \\* sin\\(y\\)' uses only x, y"):
        f.bind({"x": 1.0, "y": 2.0, "z": 3.0})
    with pytest.raises(ValueError, match="has no variables"):
        parse_formula("2 * 3").bind({})
    with pytest.raises(ValueError, match="no value for x"):
        f.evaluate({"y": 1.0})
