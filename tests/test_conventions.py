"""Every op on both faces at awkward points: forward value, first and second derivative
equal PyTorch's float64 results, nan where PyTorch has nan (``nan == nan`` here)."""

import math
import warnings

import numpy as np
import pytest

import microgradx as mg

torch = pytest.importorskip("torch")

INF, NAN = math.inf, math.nan
POINTS = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 25.0, -25.0, 800.0, -800.0, INF, -INF, NAN]
# PyTorch takes a number exponent of 0.5 as sqrt (so (-inf) ** 0.5 is nan) but a tensor one
# as pow (inf): microgradx gives sqrt's answer for both, so that pair is left out.
PAIRS = [(a, b) for a in [0.0, 1.0, -1.0, 2.0, -2.0, 0.5, INF, -INF, NAN]
         for b in [0.0, 1.0, -1.0, 2.0, -2.0, 0.5, 3.0, INF, -INF, NAN] if (a, b) != (-INF, 0.5)]

UNARY = {
    "neg": (lambda x: -x, lambda t: -t),
    "abs": (abs, torch.abs),
    "exp": (lambda x: x.exp(), torch.exp),
    "log": (lambda x: x.log(), torch.log),
    "sqrt": (lambda x: x.sqrt(), torch.sqrt),
    "tanh": (lambda x: x.tanh(), torch.tanh),
    "sigmoid": (lambda x: x.sigmoid(), torch.sigmoid),
    "relu": (lambda x: x.relu(), torch.relu),
    "leaky_relu": (lambda x: x.leaky_relu(0.1), lambda t: torch.nn.functional.leaky_relu(t, 0.1)),
    "sin": (lambda x: x.sin(), torch.sin),
    "cos": (lambda x: x.cos(), torch.cos),
    "softplus": (lambda x: x.softplus(), torch.nn.functional.softplus),
    "square": (lambda x: x ** 2, lambda t: t ** 2),
    "pow0": (lambda x: x ** 0, lambda t: t ** 0),
    "pow_half": (lambda x: x ** 0.5, lambda t: t ** 0.5),
    "pow_neg": (lambda x: x ** -1, lambda t: t ** -1),
    "rpow0": (lambda x: 0.0 ** x, lambda t: 0.0 ** t),
    "rpow2": (lambda x: 2.0 ** x, lambda t: 2.0 ** t),
    "rdiv": (lambda x: 1.0 / x, lambda t: 1.0 / t),
    "self_pow": (lambda x: x ** x, lambda t: t ** t),
}
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / b, lambda a, b: a / b),
    "pow": (lambda a, b: a ** b, lambda a, b: a ** b),
}


def theirs(fn, *xs):
    """(value, first derivatives, second derivatives d/dx_i of sum of first) from PyTorch."""
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    y = fn(*ts)
    g1 = torch.autograd.grad(y, ts, create_graph=True, allow_unused=True)
    g1 = [torch.zeros((), dtype=torch.float64) if g is None else g for g in g1]
    total = sum(g1)
    g2 = torch.autograd.grad(total, ts, allow_unused=True) if total.requires_grad else [None] * len(ts)
    return y.item(), [g.item() for g in g1], [0.0 if g is None else g.item() for g in g2]


def ours(fn, face, *xs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)     # values are the point here
        nodes = [mg.Value(x) if face == "value" else mg.Tensor(np.float64(x), requires_grad=True) for x in xs]
        y = fn(*nodes)
        g1 = mg.grad(y, nodes, create_graph=True, allow_unused=True)
        g1 = [mg.Value(0.0) if g is None and face == "value" else
              mg.Tensor(np.float64(0.0)) if g is None else g for g in g1]
        total = g1[0] if len(g1) == 1 else g1[0] + g1[1]
        needs = total.requires_grad and total.parents != ()
        g2 = mg.grad(total, nodes, allow_unused=True) if needs else [None] * len(nodes)
        plain = [mg.Value(x) if face == "value" else mg.Tensor(np.float64(x), requires_grad=True) for x in xs]
        fn(*plain).backward()                               # the fast pass gives the same first derivative
    num = lambda v: float(np.asarray(v.data if isinstance(v, mg.autograd.Node) else v))    # noqa: E731
    return (num(y), [num(g) for g in g1], [0.0 if g is None else num(g) for g in g2],
            [num(p.grad) for p in plain])


def same(a, b):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def check(name, mine, torchs, at):
    y, g1, g2, plain = mine
    ty, tg1, tg2 = torchs
    assert same(y, ty), f"{name} at {at}: value {y} vs torch {ty}"
    for i, (a, b) in enumerate(zip(g1, tg1)):
        assert same(a, b), f"{name} at {at}: d/dx{i} {a} vs torch {b}"
    for i, (a, b) in enumerate(zip(plain, tg1)):
        assert same(a, b), f"{name} at {at}: backward() d/dx{i} {a} vs torch {b}"
    for i, (a, b) in enumerate(zip(g2, tg2)):
        assert same(a, b), f"{name} at {at}: second derivative d/dx{i} {a} vs torch {b}"


@pytest.mark.parametrize("face", ["value", "tensor"])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_ops_match_torch_at_awkward_points(name, face):
    fn, tfn = UNARY[name]
    for x in POINTS:
        check(name, ours(fn, face, x), theirs(tfn, x), x)


@pytest.mark.parametrize("face", ["value", "tensor"])
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_ops_match_torch_at_awkward_points(name, face):
    fn, tfn = BINARY[name]
    for a, b in PAIRS:
        check(name, ours(fn, face, a, b), theirs(tfn, a, b), (a, b))


@pytest.mark.parametrize("face", ["value", "tensor"])
def test_a_dead_relu_masks_an_infinite_or_nan_upstream_as_torch(face):
    for up in (INF, -INF, NAN):
        def fn(x, up=up):
            return x.relu() * up

        expected = theirs(lambda t, up=up: torch.relu(t) * up, -1.0)
        check("relu*" + str(up), ours(fn, face, -1.0), expected, -1.0)


@pytest.mark.parametrize("face", ["value", "tensor"])
def test_bce_with_logits_matches_torch_at_infinite_logits(face):
    logits = [INF, -INF, INF, -INF, 0.0, 50.0, -50.0, 800.0]
    labels = [0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0]
    tx = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    tl = torch.nn.functional.binary_cross_entropy_with_logits(tx, torch.tensor(labels, dtype=torch.float64),
                                                              reduction="none")
    tl.sum().backward()
    if face == "value":
        xs = [mg.Value(v) for v in logits]
        terms = mg.nn.binary_cross_entropy_with_logits(xs, labels, reduction="none")
        mg.sum(terms).backward()
        got, grads = [t.data for t in terms], [x.grad for x in xs]
    else:
        x = mg.Tensor(np.array(logits), requires_grad=True)
        out = mg.nn.binary_cross_entropy_with_logits(x, np.array(labels), reduction="none")
        out.sum().backward()
        got, grads = list(out.data), list(x.grad)
    for i, (a, b) in enumerate(zip(got, tl.detach().tolist())):
        assert same(a, b), f"loss at logit {logits[i]}, label {labels[i]}: {a} vs torch {b}"
    for i, (a, b) in enumerate(zip(grads, tx.grad.tolist())):
        assert same(a, b), f"gradient at logit {logits[i]}, label {labels[i]}: {a} vs torch {b}"
