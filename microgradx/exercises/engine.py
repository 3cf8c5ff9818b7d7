"""Exercises on the engine: an op's local derivative, a Function's backward, a 2-layer net by hand.

The student's derivative is plugged into a graph as an ``mg.Function``, so a
wrong rule is found by ``gradcheck(..., blame=True)``, which names it.

>>> [e.name for e in EXERCISES][:4]
['value_exp', 'value_tanh', 'value_pow', 'value_div']
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import strategies as st

from ..function import Function
from ..gradcheck import gradcheck
from ..nn import cross_entropy
from ..tensor import Tensor
from ..value import Value
from .core import CheckFailed, Exercise, compare, property_check

GROUP = "Engine"


# ---- a Value op's local derivative -----------------------------------------------

def _student_op(name: str, forward: Callable[..., float], backward: Callable[..., Any]) -> type[Function]:
    """A Function whose forward is the true op and whose backward is the student's function."""
    def fwd(ctx: Any, *xs: Value) -> Value:
        out = Value(forward(*(x.data for x in xs)))
        ctx.save_for_backward(*(x.data for x in xs))
        ctx.out = out.data
        return out

    def bwd(ctx: Any, grad: float) -> Any:
        got = backward(*ctx.saved, ctx.out, grad)
        if isinstance(got, (list, tuple)):
            return tuple(float(g) for g in got)
        if got is None:
            raise CheckFailed(f"{name} returned None (did you forget a return?)")
        return float(got)

    return type(name, (Function,), {"forward": staticmethod(fwd), "backward": staticmethod(bwd)})


def _blame_message(res: Any) -> str:
    culprit = res.blame.culprit if res.blame is not None else None
    if culprit is not None:
        return f"gradcheck blames {culprit}"
    return str(res.worst)


def _keys(arity: int) -> tuple[str, ...]:
    """The names of an op's inputs in the generated examples: x, or a and b."""
    return ("x",) if arity == 1 else ("a", "b")


def _local(op: Callable[[types.ModuleType], type[Function]], exact: Callable[..., Any], arity: int = 1,
           upstream: float = 1.0) -> Callable[[types.ModuleType, dict], None]:
    def test(module: types.ModuleType, ex: dict) -> None:
        xs = [Value(ex[k]) for k in _keys(arity)]
        y = op(module).apply(*xs)
        (y * upstream).backward()
        for k, x, e in zip(_keys(arity), xs, exact(*(v.data for v in xs))):
            compare(e * upstream, x.grad, f"d(loss)/d{k} with upstream gradient {upstream:g}")
    return test


def _chain(op: Callable[[types.ModuleType], type[Function]], arity: int = 1) -> Callable:
    def test(module: types.ModuleType, ex: dict) -> None:
        xs = [Value(ex[k], label=k) for k in _keys(arity)]
        f = (lambda x: (op(module).apply(x * 1.5) * 2.5 + x).sin()) if arity == 1 else \
            (lambda x, b: (op(module).apply(x * 1.5, b) * 2.5 + x * b).sin())
        res = gradcheck(f, xs, raise_exception=False, blame=True)
        if not res.ok:
            raise CheckFailed(_blame_message(res))
    return test


def _value_exercise(name: str, title: str, task: str, stub: str, fn: str, forward: Callable[..., float],
                    exact: Callable[..., Any], arity: int, points: st.SearchStrategy, edge: st.SearchStrategy,
                    hints: tuple[str, str, str]) -> Exercise:
    def op(module: types.ModuleType) -> type[Function]:
        return _student_op(f"{name[6:]} (your {fn})", forward, getattr(module, fn))

    return Exercise(name, GROUP, title, task, stub, (
        property_check("local_derivative", f"{fn} gives the local derivative times an upstream gradient of 1",
                       hints[0], (fn,), points, _local(op, exact, arity)),
        property_check("chain_rule", f"{fn} multiplies by the upstream gradient (gradcheck in a graph)",
                       hints[1], (fn,), points, _chain(op, arity)),
        property_check("edge_values", f"{fn} is right at the edges (large inputs, other exponents/signs)",
                       hints[2], (fn,), edge, _local(op, exact, arity, upstream=-0.5)),
    ), imports="import math\n")


_x = st.integers(-12, 12).map(lambda v: v / 4)
_nonzero = st.integers(1, 12).flatmap(lambda v: st.sampled_from([v / 4, -v / 4]))

VALUE_EXP = _value_exercise(
    "value_exp", "the backward of exp",
    "As in micrograd's exercises: out = exp(x). Write exp_backward(x, out, grad) returning\n"
    "the gradient that reaches x:   dL/dx = dL/dout * dout/dx = grad * exp(x) = grad * out.",
    "def exp_backward(x, out, grad):\n"
    '    """x: the input, out = exp(x), grad = dL/dout; return dL/dx."""\n'
    '    raise NotImplementedError("TODO")\n',
    "exp_backward", math.exp, lambda x: (math.exp(x),), 1, st.fixed_dictionaries({"x": _x}),
    st.fixed_dictionaries({"x": st.integers(-40, 40).map(float)}),
    ("d/dx exp(x) = exp(x), which you already have: it is out.",
     "Chain rule: multiply the local derivative by grad, the gradient arriving from above.",
     "exp(x) is its own derivative at every x, large or negative: use out (or math.exp(x)), "
     "not a power rule."),
)

VALUE_TANH = _value_exercise(
    "value_tanh", "the backward of tanh",
    "out = tanh(x). Write tanh_backward(x, out, grad) returning dL/dx:\n"
    "    dL/dx = grad * (1 - tanh(x)^2) = grad * (1 - out^2)",
    "def tanh_backward(x, out, grad):\n"
    '    """x: the input, out = tanh(x), grad = dL/dout; return dL/dx."""\n'
    '    raise NotImplementedError("TODO")\n',
    "tanh_backward", math.tanh, lambda x: (1 - math.tanh(x) ** 2,), 1, st.fixed_dictionaries({"x": _x}),
    st.fixed_dictionaries({"x": st.integers(-40, 40).map(float)}),
    ("d/dx tanh(x) = 1 - tanh(x)^2: square out (the output), not x, and subtract it from 1.",
     "Chain rule: multiply the local derivative by grad, the gradient arriving from above.",
     "Where tanh saturates (|x| large) the derivative goes to 0: compute 1 - out**2, "
     "with the square on out alone."),
)


def _pow_exercise() -> Exercise:
    ns = st.sampled_from([2.0, 3.0, -1.0, 0.5])

    def op_for(n: float) -> Callable[[types.ModuleType], type[Function]]:
        def op(module: types.ModuleType) -> type[Function]:
            return _student_op("pow (your pow_backward)", lambda x: x ** n,
                               lambda x, out, grad: module.pow_backward(x, n, out, grad))
        return op

    def local(upstream: float) -> Callable[[types.ModuleType, dict], None]:
        def test(module: types.ModuleType, ex: dict) -> None:
            n = ex["n"]
            _local(op_for(n), lambda x: (n * x ** (n - 1),), 1, upstream)(module, ex)
        return test

    def chain(module: types.ModuleType, ex: dict) -> None:
        _chain(op_for(ex["n"]))(module, ex)

    pos = st.integers(1, 12).map(lambda v: v / 4)
    hints = ("Power rule: d/dx x^n = n * x^(n - 1); the exponent goes down by one.",
             "Chain rule: multiply the local derivative by grad, the gradient arriving from above.",
             "The power rule holds for every exponent: n = 0.5, -1, 3 ... use n * x ** (n - 1), not "
             "a formula for n = 2 only.")
    return Exercise("value_pow", GROUP, "the backward of a power with a constant exponent",
                    "out = x ** n for a number n. Write pow_backward(x, n, out, grad) returning dL/dx:\n"
                    "    dL/dx = grad * n * x^(n - 1)",
                    "def pow_backward(x, n, out, grad):\n"
                    '    """x: the input, n: the exponent (a number), out = x ** n; return dL/dx."""\n'
                    '    raise NotImplementedError("TODO")\n', (
                        property_check("local_derivative", "pow_backward gives n * x**(n-1) times grad = 1",
                                       hints[0], ("pow_backward",),
                                       st.fixed_dictionaries({"x": pos, "n": st.just(2.0)}), local(1.0)),
                        property_check("chain_rule", "pow_backward multiplies by the upstream gradient",
                                       hints[1], ("pow_backward",),
                                       st.fixed_dictionaries({"x": pos, "n": st.just(2.0)}), chain),
                        property_check("other_exponents", "pow_backward is right for n = 3, -1, 0.5",
                                       hints[2], ("pow_backward",),
                                       st.fixed_dictionaries({"x": pos, "n": ns}), local(-0.5)),
                    ), imports="import math\n")


VALUE_POW = _pow_exercise()

VALUE_DIV = _value_exercise(
    "value_div", "the backward of a division",
    "out = a / b. Write div_backward(a, b, out, grad) returning the pair (dL/da, dL/db):\n"
    "    dL/da = grad / b        dL/db = -grad * a / b^2",
    "def div_backward(a, b, out, grad):\n"
    '    """out = a / b, grad = dL/dout; return (dL/da, dL/db)."""\n'
    '    raise NotImplementedError("TODO")\n',
    "div_backward", lambda a, b: a / b, lambda a, b: (1 / b, -a / b ** 2), 2,
    st.fixed_dictionaries({"a": _x, "b": st.integers(2, 12).map(lambda v: v / 4)}),
    st.fixed_dictionaries({"a": _x, "b": _nonzero}),
    ("a / b = a * b^-1: d/da = 1/b and d/db = -a/b^2 (the minus sign and the square).",
     "Chain rule: both gradients are multiplied by grad, the gradient arriving from above.",
     "With a negative b, b^2 stays positive and the sign comes from -a: write -grad * a / b**2."),
)


# ---- a Function's backward -----------------------------------------------------------

def _function_checks(cls_name: str, exact: Callable[[np.ndarray], np.ndarray],
                     hints: tuple[str, str, str]) -> tuple:
    def local(module: types.ModuleType, ex: dict) -> None:
        cls = getattr(module, cls_name)
        x = Value(ex["x"], label="x")
        y = cls.apply(x)
        y.backward()
        compare(exact(np.array(ex["x"])), x.grad, f"{cls_name}.backward on a Value (upstream 1)")

    def chain(module: types.ModuleType, ex: dict) -> None:
        cls = getattr(module, cls_name)
        x = Value(ex["x"], label="x")
        res = gradcheck(lambda x: (cls.apply(x * 2) * 3 + x) ** 2, [x], raise_exception=False, blame=True)
        if not res.ok:
            raise CheckFailed(_blame_message(res))

    def tensors(module: types.ModuleType, ex: dict) -> None:
        cls = getattr(module, cls_name)
        data = np.asarray(ex["data"], dtype=float).reshape(ex["shape"])
        t = Tensor(data, requires_grad=True, label="x")
        w = np.arange(1.0, data.size + 1).reshape(data.shape) / data.size
        res = gradcheck(lambda t: (cls.apply(t) * Tensor(w)).sum(), [t], raise_exception=False, blame=True)
        if not res.ok:
            raise CheckFailed(_blame_message(res))

    xs = st.fixed_dictionaries({"x": _x})
    shapes = st.sampled_from([(3,), (2, 2), (2, 3)]).flatmap(lambda s: st.fixed_dictionaries({
        "shape": st.just(s),
        "data": st.lists(_x, min_size=math.prod(s), max_size=math.prod(s))}))
    return (
        property_check("local_derivative", f"{cls_name}.backward is right on a Value with upstream 1",
                       hints[0], (cls_name,), xs, local),
        property_check("chain_rule", f"{cls_name}.backward multiplies by grad (gradcheck, blame=True)",
                       hints[1], (cls_name,), xs, chain),
        property_check("tensors", f"{cls_name}.backward works elementwise on Tensors of any shape",
                       hints[2], (cls_name,), shapes, tensors, max_examples=15),
    )


def _sigmoid(x: np.ndarray) -> np.ndarray:
    s = 1 / (1 + np.exp(-x))
    return s * (1 - s)


FUNCTION_SIGMOID = Exercise(
    "function_sigmoid", GROUP, "a Function's backward: sigmoid",
    "Sigmoid(mg.Function): forward is given (y = 1 / (1 + e^-x), saved for backward).\n"
    "Write backward(ctx, grad) returning dL/dx, using the saved output y:\n"
    "    dL/dx = grad * y * (1 - y)\n"
    "It must work on Values and elementwise on Tensors (use * and -, not math functions).",
    "class Sigmoid(mg.Function):\n"
    "    @staticmethod\n"
    "    def forward(ctx, x):\n"
    "        y = x.sigmoid()               # a Value or a Tensor, like x\n"
    "        ctx.save_for_backward(y)\n"
    "        return y\n\n"
    "    @staticmethod\n"
    "    def backward(ctx, grad):\n"
    "        (y,) = ctx.saved\n"
    "        # TODO: return dL/dx, written with y and grad\n"
    '        raise NotImplementedError("TODO")\n',
    _function_checks("Sigmoid", _sigmoid, (
        "d/dx sigmoid(x) = y * (1 - y) with y the output: a minus sign, not a plus.",
        "Chain rule: multiply by grad, the gradient arriving from above.",
        "Use only arithmetic on y and grad (y * (1 - y) * grad): float() or math.* turn a Tensor "
        "into one number.")),
)

FUNCTION_TANH = Exercise(
    "function_tanh", GROUP, "a Function's backward: tanh",
    "Tanh(mg.Function): forward is given (y = tanh(x), saved for backward).\n"
    "Write backward(ctx, grad) returning dL/dx, using the saved output y:\n"
    "    dL/dx = grad * (1 - y^2)\n"
    "It must work on Values and elementwise on Tensors.",
    "class Tanh(mg.Function):\n"
    "    @staticmethod\n"
    "    def forward(ctx, x):\n"
    "        y = x.tanh()\n"
    "        ctx.save_for_backward(y)\n"
    "        return y\n\n"
    "    @staticmethod\n"
    "    def backward(ctx, grad):\n"
    "        (y,) = ctx.saved\n"
    "        # TODO: return dL/dx, written with y and grad\n"
    '        raise NotImplementedError("TODO")\n',
    _function_checks("Tanh", lambda x: 1 - np.tanh(x) ** 2, (
        "d/dx tanh(x) = 1 - y^2 with y the output: subtract the square of y from 1.",
        "Chain rule: multiply by grad, the gradient arriving from above.",
        "Use only arithmetic on y and grad ((1 - y * y) * grad): float() or math.* turn a Tensor "
        "into one number.")),
)


def _ce_case(ex: dict) -> tuple[np.ndarray, np.ndarray]:
    n, c = ex["n"], ex["c"]
    logits = np.asarray(ex["logits"][: n * c], dtype=float).reshape(n, c)
    t = np.eye(c)[np.asarray(ex["labels"][:n]) % c]
    return logits, t


def _ce_test(upstream: float) -> Callable[[types.ModuleType, dict], None]:
    def test(module: types.ModuleType, ex: dict) -> None:
        logits, t = _ce_case(ex)
        x = Tensor(logits, requires_grad=True, label="logits")
        res = gradcheck(lambda x: module.SoftmaxCrossEntropy.apply(x, Tensor(t)) * upstream, [x],
                        raise_exception=False, blame=True)
        if not res.ok:
            raise CheckFailed(_blame_message(res))
    return test


def _ce_cases(n: st.SearchStrategy) -> st.SearchStrategy:
    return st.fixed_dictionaries({
        "n": n, "c": st.integers(2, 4),
        "logits": st.lists(_x, min_size=16, max_size=16),
        "labels": st.lists(st.integers(0, 3), min_size=4, max_size=4)})


FUNCTION_SOFTMAX_CE = Exercise(
    "function_softmax_ce", GROUP, "a Function's backward: softmax with cross-entropy",
    "SoftmaxCrossEntropy(mg.Function): forward is given: for logits (N, C) and one-hot\n"
    "targets t (N, C), p = softmax(logits) row by row and L = -sum(t * log p) / N.\n"
    "Write backward(ctx, grad) returning (dL/dlogits, None):   dL/dlogits = grad * (p - t) / N\n"
    "(None: no gradient for the targets).",
    "class SoftmaxCrossEntropy(mg.Function):\n"
    "    @staticmethod\n"
    "    def forward(ctx, logits, targets):\n"
    "        z = logits.data - logits.data.max(axis=1, keepdims=True)\n"
    "        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))\n"
    "        n = logits.data.shape[0]\n"
    "        ctx.save_for_backward(np.exp(log_p), targets.data, n)\n"
    "        return mg.Tensor(-(targets.data * log_p).sum() / n)\n\n"
    "    @staticmethod\n"
    "    def backward(ctx, grad):\n"
    "        p, t, n = ctx.saved\n"
    "        # TODO: return (the gradient of the logits, None)\n"
    '        raise NotImplementedError("TODO")\n',
    (
        property_check("one_row", "backward is (p - t) for one example (N = 1)",
                       "The gradient of cross-entropy after softmax is p - t (the predicted "
                       "probabilities minus the targets), not t - p.", ("SoftmaxCrossEntropy",),
                       _ce_cases(st.just(1)), _ce_test(1.0), max_examples=15),
        property_check("batch_mean", "backward divides by the batch size N",
                       "The loss is a mean over the N examples: divide (p - t) by n.",
                       ("SoftmaxCrossEntropy",), _ce_cases(st.integers(2, 4)), _ce_test(1.0),
                       max_examples=15),
        property_check("chain_rule", "backward multiplies by grad (a loss scaled by 3)",
                       "Chain rule: multiply by grad, the gradient of whatever comes after the loss.",
                       ("SoftmaxCrossEntropy",), _ce_cases(st.integers(1, 3)), _ce_test(3.0),
                       max_examples=15),
    ),
)


# ---- a 2-layer net's gradients by hand (Deep Learning from Scratch, ch. 4-5) ------------

def _net_case(ex: dict) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(ex["seed"])
    n, d, h, c = ex["n"], ex["d"], ex["h"], 3
    return {"x": rng.standard_normal((n, d)), "t": np.eye(c)[rng.integers(0, c, n)],
            "W1": rng.standard_normal((d, h)), "b1": rng.standard_normal(h) * 0.5,
            "W2": rng.standard_normal((h, c)), "b2": rng.standard_normal(c) * 0.5}


_nets = st.fixed_dictionaries({"n": st.integers(1, 4), "d": st.integers(1, 3), "h": st.integers(1, 4),
                               "seed": st.integers(0, 50)})


def _affine(module: types.ModuleType, ex: dict) -> None:
    a = _net_case(ex)
    x, W = Tensor(a["x"], requires_grad=True), Tensor(a["W1"], requires_grad=True)
    b = Tensor(a["b1"], requires_grad=True)
    dout = np.random.default_rng(ex["seed"] + 1).standard_normal((a["x"].shape[0], a["W1"].shape[1]))
    ((x @ W + b) * Tensor(dout)).sum().backward()
    got = module.affine_backward(dout.copy(), a["x"].copy(), a["W1"].copy())
    if not isinstance(got, tuple) or len(got) != 3:
        raise CheckFailed(f"affine_backward must return (dx, dW, db), got {type(got).__name__}")
    for name, exp, g in zip(("dx", "dW", "db"), (x.grad, W.grad, b.grad), got):
        compare(exp, g, f"{name} of out = x @ W + b")


def _softmax_loss(module: types.ModuleType, ex: dict) -> None:
    a = _net_case(ex)
    scores = Tensor(a["x"] @ a["W1"] @ np.ones((a["W1"].shape[1], 3)), requires_grad=True)
    cross_entropy(scores, a["t"].argmax(axis=1)).backward()
    compare(scores.grad, module.softmax_with_loss_backward(scores.data.copy(), a["t"].copy()),
            "d(mean cross-entropy)/d(scores)")


def _whole_net(module: types.ModuleType, ex: dict) -> None:
    a = _net_case(ex)
    ps = {k: Tensor(a[k], requires_grad=True) for k in ("W1", "b1", "W2", "b2")}
    scores = (Tensor(a["x"]) @ ps["W1"] + ps["b1"]).relu() @ ps["W2"] + ps["b2"]
    cross_entropy(scores, a["t"].argmax(axis=1)).backward()
    got = module.gradients(a["x"].copy(), a["t"].copy(), *(a[k].copy() for k in ("W1", "b1", "W2", "b2")))
    if not isinstance(got, dict):
        raise CheckFailed(f"gradients must return a dict with W1, b1, W2, b2, got {type(got).__name__}")
    for k in ("W2", "b2", "W1", "b1"):
        if k not in got:
            raise CheckFailed(f"gradients returned no {k!r} (keys: {sorted(got)})")
        compare(ps[k].grad, got[k], f"the gradient of {k}")


TWO_LAYER_NET = Exercise(
    "two_layer_net", GROUP, "a 2-layer net's gradients by hand (NumPy)",
    "As in 'Deep Learning from Scratch' ch. 5: scores = relu(x @ W1 + b1) @ W2 + b2 and\n"
    "L = mean cross-entropy of softmax(scores) with one-hot targets t (N rows). Write:\n"
    "    affine_backward(dout, x, W) -> (dx, dW, db): dx = dout @ W.T, dW = x.T @ dout, db = sum over rows\n"
    "    softmax_with_loss_backward(scores, t) -> (softmax(scores) - t) / N\n"
    "    relu_backward(dout, x) -> dout where x > 0, else 0\n"
    "    gradients(x, t, W1, b1, W2, b2) -> {'W1': ..., 'b1': ..., 'W2': ..., 'b2': ...}",
    "def affine_backward(dout, x, W):\n"
    '    """out = x @ W + b; return (dx, dW, db)."""\n'
    '    raise NotImplementedError("TODO")\n\n\n'
    "def relu_backward(dout, x):\n"
    '    """out = max(x, 0); return dL/dx."""\n'
    '    raise NotImplementedError("TODO")\n\n\n'
    "def softmax_with_loss_backward(scores, t):\n"
    '    """L = mean over rows of -sum(t * log softmax(scores)); return dL/dscores."""\n'
    '    raise NotImplementedError("TODO")\n\n\n'
    "def gradients(x, t, W1, b1, W2, b2):\n"
    '    """The gradient of L for each parameter, as a dict."""\n'
    "    a1 = x @ W1 + b1\n"
    "    h = np.maximum(a1, 0)\n"
    "    scores = h @ W2 + b2\n"
    "    # TODO: go backwards: softmax_with_loss_backward, affine_backward, relu_backward, affine_backward\n"
    '    raise NotImplementedError("TODO")\n',
    (
        property_check("affine", "affine_backward gives dx, dW, db of x @ W + b",
                       "dx = dout @ W.T, dW = x.T @ dout, and db = dout.sum(axis=0): b was broadcast "
                       "over the N rows, so its gradient sums over them.", ("affine_backward",),
                       _nets, _affine, max_examples=20),
        property_check("softmax_with_loss", "softmax_with_loss_backward gives (softmax(scores) - t) / N",
                       "Softmax each row (subtract the row max first), subtract t, and divide by the "
                       "number of rows N.", ("softmax_with_loss_backward",), _nets, _softmax_loss,
                       max_examples=20),
        property_check("whole_net", "gradients matches autograd for every parameter",
                       "Backwards: dscores -> affine_backward(dscores, h, W2) -> relu_backward(dh, a1) "
                       "(the mask is a1 > 0, the forward input) -> affine_backward(da1, x, W1).",
                       ("gradients", "relu_backward"), _nets, _whole_net, max_examples=20),
    ),
)

EXERCISES = [VALUE_EXP, VALUE_TANH, VALUE_POW, VALUE_DIV, FUNCTION_SIGMOID, FUNCTION_TANH,
             FUNCTION_SOFTMAX_CE, TWO_LAYER_NET]
