"""Value, the scalar face: every op's derivative, graph behaviour, bad input.

Derivatives are checked against float64 central differences
(f(x+h) - f(x-h)) / 2h with h = 1e-6 * max(1, |x|) (h = 1e-6 * x on the
positive-only domains of log and sqrt, so that x - h stays in the domain).
Error of that estimate: truncation |f'''| h^2 / 6 (about 1e-12 relative on the
ranges drawn here) plus rounding about eps * |f| / h (about 2e-10 * |f|).
A tolerance of 1e-6 relative / 1e-6 absolute therefore leaves a margin of
three orders of magnitude and still catches any wrong formula (a wrong
derivative is off by O(1)).
"""

import functools
import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import microgradx as mg
from microgradx.autograd import topological_order

Value = mg.Value
RTOL = 1e-6
ATOL = 1e-6
SETTINGS = settings(max_examples=40, deadline=None)

floats = st.floats(-4.0, 4.0, allow_nan=False, allow_infinity=False)
positive_log = st.floats(-8.0, 2.0).map(lambda e: 10.0**e)   # 1e-8 .. 100, log-uniform


def step_for(x: float, positive: bool = False) -> float:
    return 1e-6 * x if positive else 1e-6 * max(1.0, abs(x))


def central(f, x: float, h: float) -> float:
    return (f(x + h) - f(x - h)) / (2.0 * h)


def close(a: float, b: float, rtol: float = RTOL, atol: float = ATOL) -> bool:
    return math.isclose(a, b, rel_tol=rtol, abs_tol=atol)


def check_partials(f, xs, positive=(), atol=ATOL):
    """Backward of f(*Values) equals central differences of f, input by input."""
    vs = [Value(x) for x in xs]
    out = f(*vs)
    out.backward()
    for i, x in enumerate(xs):
        def fi(t, i=i):
            return f(*[Value(t) if j == i else Value(xj) for j, xj in enumerate(xs)]).data

        num = central(fi, x, step_for(x, i in positive))
        assert close(vs[i].grad, num, atol=atol), (i, xs, vs[i].grad, num)


# ---- unary ops: forward against math, derivative against central differences ----------

def _sigmoid_ref(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


UNARY = {
    # name: (build from a Value, reference forward on a float, strategy, positive-only domain)
    "neg": (lambda v: -v, lambda x: -x, floats, False),
    "abs": (abs, abs, floats, False),
    "exp": (lambda v: v.exp(), math.exp, floats, False),
    "log": (lambda v: v.log(), math.log, positive_log, True),
    "sqrt": (lambda v: v.sqrt(), math.sqrt, positive_log, True),
    "tanh": (lambda v: v.tanh(), math.tanh, floats, False),
    "sigmoid": (lambda v: v.sigmoid(), _sigmoid_ref, floats, False),
    "relu": (lambda v: v.relu(), lambda x: max(x, 0.0), floats, False),
    "leaky_relu": (lambda v: v.leaky_relu(0.2), lambda x: x if x > 0 else 0.2 * x, floats, False),
    "sin": (lambda v: v.sin(), math.sin, floats, False),
    "cos": (lambda v: v.cos(), math.cos, floats, False),
    "softplus": (lambda v: v.softplus(), lambda x: math.log1p(math.exp(x)), floats, False),
    "square": (lambda v: v**2, lambda x: x * x, floats, False),
    "rsub": (lambda v: 2 - v, lambda x: 2 - x, floats, False),
    "radd": (lambda v: 1 + v, lambda x: 1 + x, floats, False),
    "rmul": (lambda v: 3 * v, lambda x: 3 * x, floats, False),
    "rtruediv": (lambda v: 2 / v, lambda x: 2 / x, floats.filter(lambda x: abs(x) > 0.1), False),
    "rpow": (lambda v: 2**v, lambda x: 2**x, floats, False),
}
KINKED = {"abs", "relu", "leaky_relu"}


@pytest.mark.parametrize("name", UNARY)
@SETTINGS
@given(data=st.data())
def test_unary_forward_and_derivative(name, data):
    build, ref, strategy, positive = UNARY[name]
    x = data.draw(strategy)
    if name in KINKED:
        assume(abs(x) > 1e-3)           # central differences straddle the kink otherwise
    v = Value(x)
    y = build(v)
    assert isinstance(y, Value)
    assert close(y.data, ref(x), rtol=1e-12, atol=1e-300)
    check_partials(build, [x], positive=(0,) if positive else ())


@SETTINGS
@given(x=floats, slope=st.floats(-1.0, 1.0))
def test_leaky_relu_slope_is_the_negative_side_derivative(x, slope):
    assume(abs(x) > 1e-3)
    v = Value(x)
    v.leaky_relu(slope).backward()
    assert v.grad == (1.0 if x > 0 else slope)


# ---- binary ops --------------------------------------------------------------------------

BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / b, lambda a, b: a / b),
}


@pytest.mark.parametrize("name", BINARY)
@SETTINGS
@given(a=floats, b=floats)
def test_binary_value_value(name, a, b):
    build, ref = BINARY[name]
    if name == "div":
        assume(abs(b) > 0.1)
    assert build(Value(a), Value(b)).data == ref(a, b)
    check_partials(build, [a, b])


@pytest.mark.parametrize("name", BINARY)
@SETTINGS
@given(a=floats, b=floats)
def test_binary_value_number_keeps_the_number_out_of_the_graph(name, a, b):
    build, ref = BINARY[name]
    if name == "div":
        assume(abs(b) > 0.1)
    y = build(Value(a), b)
    assert y.data == ref(a, b)
    assert len(y.parents) == 1 and y._ctx == (b,)
    check_partials(lambda v: build(v, b), [a])


@SETTINGS
@given(a=floats.filter(lambda t: abs(t) > 0.1), n=st.integers(-3, 4))
def test_pow_integer_exponent_any_sign_base(a, n):
    assert close((Value(a) ** n).data, a**n, rtol=1e-12)
    check_partials(lambda v: v**n, [a])


@SETTINGS
@given(a=st.floats(0.1, 4.0), p=st.floats(-3.0, 3.0))
def test_pow_float_exponent(a, p):
    assert close((Value(a) ** p).data, a**p, rtol=1e-12)
    check_partials(lambda v: v**p, [a])


@SETTINGS
@given(a=st.floats(0.1, 4.0), b=st.floats(-3.0, 3.0))
def test_pow_value_exponent_both_partials(a, b):
    y = Value(a) ** Value(b)
    assert close(y.data, a**b, rtol=1e-12)
    check_partials(lambda u, v: u**v, [a, b])


@SETTINGS
@given(xs=st.lists(floats, min_size=1, max_size=8))
def test_sum_is_one_node_with_unit_partials(xs):
    vs = [Value(x) for x in xs]
    s = mg.sum(vs)
    assert s.op == "sum" and s.parents == tuple(vs)
    assert close(s.data, math.fsum(xs), rtol=1e-15, atol=0.0)
    check_partials(lambda *v: mg.sum(v) * mg.sum(v), xs)


@SETTINGS
@given(pairs=st.lists(st.tuples(floats, floats), min_size=1, max_size=6))
def test_dot_is_one_node_with_swapped_partials(pairs):
    ws = [w for w, _ in pairs]
    xs = [x for _, x in pairs]
    n = len(pairs)
    d = mg.dot([Value(w) for w in ws], [Value(x) for x in xs])
    assert d.op == "dot" and len(d.parents) == 2 * n
    assert close(d.data, math.fsum(w * x for w, x in pairs), rtol=1e-15, atol=1e-300)
    check_partials(lambda *v: mg.dot(v[:n], v[n:]).tanh(), ws + xs)


@SETTINGS
@given(pairs=st.lists(st.tuples(floats, floats), min_size=1, max_size=6), b=floats)
def test_dot_with_a_bias_is_one_node(pairs, b):
    ws = [w for w, _ in pairs]
    xs = [x for _, x in pairs]
    n = len(pairs)
    d = mg.dot([Value(w) for w in ws], [Value(x) for x in xs], bias=Value(b))
    assert d.op == "dot" and len(d.parents) == 2 * n + 1
    assert close(d.data, math.fsum([w * x for w, x in pairs] + [b]), rtol=1e-15, atol=1e-300)
    check_partials(lambda *v: mg.dot(v[:n], v[n:2 * n], bias=v[-1]).tanh(), ws + xs + [b])
    assert mg.dot([Value(2.0)], [3.0], bias=1.0).data == 7.0      # a number bias is a constant


def test_sum_and_dot_accept_numbers_and_repeated_values():
    x = Value(3.0)
    s = mg.sum([x, x, 2.0])
    s.backward()
    assert s.data == 8.0 and x.grad == 2.0
    w = Value(-1.5)
    d = mg.dot([w, w], [w, 4.0])      # w*w + 4w
    d.backward()
    assert d.data == 2.25 - 6.0 and w.grad == 2 * -1.5 + 4.0


# ---- awkward points ------------------------------------------------------------------------

def test_relu_derivative_at_zero_is_zero():
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0


@pytest.mark.parametrize("x", [1e-8, 1e-12, 1e-300])
def test_log_and_sqrt_near_zero_are_relatively_exact(x):
    for build, deriv in ((lambda v: v.log(), lambda t: 1.0 / t),
                         (lambda v: v.sqrt(), lambda t: 0.5 / math.sqrt(t))):
        v = Value(x)
        build(v).backward()
        assert math.isfinite(v.grad)
        assert close(v.grad, deriv(x), rtol=1e-14, atol=0.0)
    check_partials(lambda v: v.log(), [x], positive=(0,))


def test_saturation_at_plus_minus_50():
    e = math.exp(-50.0)
    # sigmoid(-50) is tiny but representable: it must not underflow to 0.
    v = Value(-50.0)
    s = v.sigmoid()
    s.backward()
    assert close(s.data, e / (1.0 + e), rtol=1e-15, atol=0.0)
    assert close(v.grad, e / (1.0 + e) ** 2, rtol=1e-14, atol=0.0)
    # sigmoid(50) rounds to 1; its derivative e/(1+e)^2 ~ 2e-22 is below the
    # resolution of 1 - y, so only an absolute bound is possible (PyTorch gives 0 too).
    v = Value(50.0)
    s = v.sigmoid()
    s.backward()
    assert s.data == 1.0 / (1.0 + e)
    assert 0.0 <= v.grad <= 2e-22
    # softplus(x) = x + log1p(exp(-x)) for x > 0, log1p(exp(x)) for x < 0; derivative sigmoid.
    v = Value(50.0)
    sp = v.softplus()
    sp.backward()
    assert sp.data == 50.0 + math.log1p(e)
    assert v.grad == 1.0 / (1.0 + e)
    v = Value(-50.0)
    sp = v.softplus()
    sp.backward()
    assert close(sp.data, math.log1p(e), rtol=1e-15, atol=0.0)
    assert close(v.grad, e / (1.0 + e), rtol=1e-15, atol=0.0)
    # tanh saturates to exactly +-1; derivative 4e^-100/(1+e^-100)^2 ~ 1.5e-43.
    for x in (50.0, -50.0):
        v = Value(x)
        t = v.tanh()
        t.backward()
        assert t.data == math.copysign(1.0, x)
        assert 0.0 <= v.grad <= 2e-43
    # exp far out: finite where the float is finite
    v = Value(700.0)
    v.exp().backward()
    assert v.grad == math.exp(700.0)


# ---- against PyTorch -------------------------------------------------------------------------

def test_micrograd_sanity_check_against_torch():
    torch = pytest.importorskip("torch")
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    xmg, ymg = x, y

    x = torch.tensor([-4.0], dtype=torch.float64, requires_grad=True)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    assert ymg.data == y.item()
    assert xmg.grad == x.grad.item()


def _more_ops(a, b, relu):
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + relu(b + a)
    d += 3 * d + relu(b - a)
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return g


def test_micrograd_more_ops_against_torch():
    torch = pytest.importorskip("torch")
    a, b = Value(-4.0), Value(2.0)
    g = _more_ops(a, b, lambda v: v.relu())
    g.backward()
    at = torch.tensor([-4.0], dtype=torch.float64, requires_grad=True)
    bt = torch.tensor([2.0], dtype=torch.float64, requires_grad=True)
    gt = _more_ops(at, bt, torch.relu)
    gt.backward()
    assert close(g.data, gt.item(), rtol=1e-13, atol=0.0)
    assert close(a.grad, at.grad.item(), rtol=1e-13, atol=0.0)
    assert close(b.grad, bt.grad.item(), rtol=1e-13, atol=0.0)


def test_micrograd_readme_numbers_without_torch():
    a, b = Value(-4.0), Value(2.0)
    g = _more_ops(a, b, lambda v: v.relu())
    g.backward()
    assert f"{g.data:.4f}" == "24.7041"
    assert f"{a.grad:.4f}" == "138.8338"
    assert f"{b.grad:.4f}" == "645.5773"


TORCH_POINTS = {
    # name: (build from a Value, torch function path, its keyword arguments, points)
    "abs": (abs, "abs", {}, [0.0, -2.0, 3.0]),
    "relu": (lambda v: v.relu(), "relu", {}, [0.0, -1.0, 2.0]),
    "leaky_relu": (lambda v: v.leaky_relu(0.1), "nn.functional.leaky_relu", {"negative_slope": 0.1},
                   [0.0, -1.0, 2.0]),
    "sigmoid": (lambda v: v.sigmoid(), "sigmoid", {}, [-50.0, -3.0, 0.0, 3.0, 50.0]),
    "tanh": (lambda v: v.tanh(), "tanh", {}, [-50.0, -0.5, 0.0, 50.0]),
    # PyTorch's softplus switches to the identity above `threshold`; ours never does
    "softplus": (lambda v: v.softplus(), "nn.functional.softplus", {"threshold": 1e9},
                 [-50.0, -1.0, 0.0, 1.0, 50.0]),
    "log": (lambda v: v.log(), "log", {}, [1e-8, 0.5, 1e8]),
    "sqrt": (lambda v: v.sqrt(), "sqrt", {}, [1e-8, 2.0, 1e8]),
    "exp": (lambda v: v.exp(), "exp", {}, [-50.0, 0.0, 50.0]),
    "sin": (lambda v: v.sin(), "sin", {}, [-2.0, 0.0, 1.0]),
    "cos": (lambda v: v.cos(), "cos", {}, [-2.0, 0.0, 1.0]),
}


@pytest.mark.parametrize("name", TORCH_POINTS)
def test_unary_ops_equal_torch_at_awkward_points(name):
    torch = pytest.importorskip("torch")
    build, path, kwargs, points = TORCH_POINTS[name]
    tf = functools.reduce(getattr, path.split("."), torch)
    for x in points:
        v = Value(x)
        y = build(v)
        y.backward()
        t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        yt = tf(t, **kwargs)
        yt.backward()
        assert close(y.data, yt.item(), rtol=1e-14, atol=1e-300), (name, x)
        assert close(v.grad, t.grad.item(), rtol=1e-13, atol=1e-300), (name, x, v.grad, t.grad.item())


@pytest.mark.parametrize(("a", "b"), [(0.0, 0.0), (0.0, 1.0), (0.0, 2.0), (0.0, 0.5), (0.0, -1.0),
                                    (2.0, 0.0), (-2.0, 3.0)])
def test_pow_at_base_zero_equals_torch(a, b):
    torch = pytest.importorskip("torch")
    x, e, x2 = Value(a), Value(b), Value(a)
    (x**e).backward()
    (x2**b).backward()
    t = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    u = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    (t**u).backward()
    for ours, theirs in ((x.grad, t.grad.item()), (x2.grad, t.grad.item()), (e.grad, u.grad.item())):
        assert ours == theirs or (math.isnan(ours) and math.isnan(theirs)), (a, b, ours, theirs)
    assert (Value(0.0) ** 0).data == 1.0


# ---- graph behaviour ---------------------------------------------------------------------------

def test_fan_out_collects_both_contributions():
    a = Value(3.0)
    b = a * 2.0
    c = a + 5.0
    d = b * c                       # 2a(a+5): derivative 4a + 10
    d.backward()
    assert a.grad == 4 * 3.0 + 10
    assert b.grad == c.data and c.grad == b.data


def test_self_product_keeps_both_edges():
    a = Value(-1.5)
    y = a * a
    assert y.parents == (a, a)
    y.backward()
    assert a.grad == 2 * -1.5


def test_inplace_add_makes_a_new_node_and_grads_flow():
    x = Value(1.0)
    y = x
    y += 1
    assert y is not x and x.data == 1.0 and y.data == 2.0 and y.op == "add"
    acc = Value(0.0)
    xs = [Value(float(i)) for i in range(1, 4)]
    for v in xs:
        acc += v * v
    acc.backward()
    assert [v.grad for v in xs] == [2.0, 4.0, 6.0]


def test_second_backward_adds_the_same_amounts_again_everywhere():
    a, b = Value(0.7), Value(-1.2)
    c = a * b
    d = c.tanh() + c * a + b.exp()
    d.backward()
    nodes = topological_order([d])
    first = {id(n): n.grad for n in nodes}
    d.backward()
    for n in nodes:
        assert n.grad == 2 * first[id(n)], n    # exactly, intermediate nodes included
    assert d.grad == 2.0
    a.zero_grad()
    assert a.grad == 0.0


def test_no_grad_builds_nothing_and_restores_mode():
    x = Value(2.0)
    with mg.no_grad():
        assert not mg.is_grad_enabled()
        y = (x * 3).tanh() + x
        with mg.enable_grad():
            z = x * x
    assert mg.is_grad_enabled()
    assert y.parents == () and y.op == "" and y.data == math.tanh(6.0) + 2.0
    assert z.op == "mul"
    with pytest.raises(KeyError):
        with mg.no_grad():
            raise KeyError("boom")
    assert mg.is_grad_enabled()


def test_comparisons_compare_data_and_build_no_graph():
    a, b = Value(1.0), Value(2.0)
    for r in (a < b, b > a, a <= 1.0, b >= 2, a != b, a == a, a != Value(1.0)):
        assert r is True
    assert (a > b) is False and (a == 1.0) is False and (a == "1.0") is False   # == is identity
    assert a.parents == () and b.parents == ()


def test_conversions_repr_and_attributes():
    x = Value(2.5, label="x")
    assert float(x) == 2.5 and x.item() == 2.5 and type(x.item()) is float
    assert Value(3).data == 3.0 and type(Value(3).data) is float
    r = repr(x)
    assert "2.5" in r and "'x'" in r and r.startswith("Value(")
    y = x * 3
    assert y.op == "mul" and y.parents == (x,) and y._ctx == (3.0,)
    assert "mul" in repr(y)
    z = x + Value(1.0)
    assert z.op == "add" and len(z.parents) == 2 and z._ctx is None
    assert x.op == "" and x.parents == () and x.label == "x"
    assert (+x) is x


# ---- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize(("bad", "pattern"), [
    ("a", r"str 'a'"),
    (None, r"NoneType None"),
    ([1, 2], r"list \[1, 2\]"),
    (1 + 2j, r"complex number \(1\+2j\)"),
    (True, r"bool True"),
])
def test_value_rejects_non_real_input(bad, pattern):
    with pytest.raises(TypeError, match=pattern):
        Value(bad)


def test_bad_operands_are_named():
    x = Value(1.0)
    with pytest.raises(TypeError, match=r"str 'a'"):
        x + "a"
    with pytest.raises(TypeError, match=r"exponent.*str 'b'"):
        x ** "b"
    with pytest.raises(TypeError, match="slope"):
        x.leaky_relu("steep")


def test_backward_on_something_not_a_graph_output():
    with pytest.raises(TypeError, match=r"float 3\.0"):
        mg.Value.backward(3.0)
    with pytest.raises(TypeError, match=r"float 3\.0"):
        mg.autograd.backward([3.0])
    with pytest.raises(TypeError, match=r"backward\(grad\).*str"):
        Value(1.0).backward("x")


def test_sum_and_dot_bad_sizes():
    with pytest.raises(ValueError, match="at least one"):
        mg.sum([])
    with pytest.raises(ValueError, match="2 weights and 3 inputs"):
        mg.dot([Value(1.0)] * 2, [1.0, 2.0, 3.0])
