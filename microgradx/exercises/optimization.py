"""Exercises on optimization: gradient descent, learning rates, update rules, a mini-batch loop.

Each update rule is checked against microgradx's own optimizer (``mg.optim``)
on generated parameters and gradient sequences.

>>> [e.name for e in EXERCISES][:2]
['gradient_descent', 'learning_rate']
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import strategies as st

from .. import optim
from ..tensor import Tensor
from .core import CheckFailed, Exercise, compare, equal_check, property_check

GROUP = "Optimization"


def _quadratic_gd(x0: np.ndarray, c: np.ndarray, lr: float, steps: int) -> np.ndarray:
    """Gradient descent on sum(c * x**2), in closed form: each step multiplies x by (1 - 2 lr c)."""
    return x0 * (1 - 2 * lr * c) ** steps


def _gd_general(module: types.ModuleType, ex: dict) -> None:
    x0, c = np.array(ex["x0"], dtype=float), np.array(ex["c"], dtype=float)
    got = module.gradient_descent(lambda x: 2 * c * x, x0.copy(), lr=ex["lr"], step_num=ex["steps"])
    compare(_quadratic_gd(x0, c, ex["lr"], ex["steps"]), got,
            f"x after {ex['steps']} steps on sum(c * x**2)", tol=1e-9)


def _gd_keeps_input(module: types.ModuleType) -> tuple:
    x0 = np.array([-3.0, 4.0])
    module.gradient_descent(lambda x: 2 * x, x0, lr=0.1, step_num=3)
    return x0, np.array([-3.0, 4.0])


_gd_cases = st.fixed_dictionaries({
    "x0": st.lists(st.integers(-4, 4).map(float), min_size=2, max_size=2),
    "c": st.lists(st.integers(1, 3).map(float), min_size=2, max_size=2),
    "lr": st.sampled_from([0.01, 0.05, 0.1, 0.2]), "steps": st.integers(0, 30)})

GRADIENT_DESCENT = Exercise(
    "gradient_descent", GROUP, "gradient descent",
    "Write gradient_descent(grad_f, init_x, lr=0.1, step_num=100): repeat step_num times\n"
    "    x <- x - lr * grad_f(x)\n"
    "and return x. On f(x) = x0^2 + x1^2 from (-3, 4) it should end near (0, 0).\n"
    "Do not change init_x itself (work on a copy).",
    "def gradient_descent(grad_f, init_x, lr=0.1, step_num=100):\n"
    '    """Minimise f by stepping against its gradient grad_f(x)."""\n'
    "    x = np.array(init_x, dtype=float)\n"
    "    # TODO: step_num steps of x <- x - lr * grad_f(x)\n"
    '    raise NotImplementedError("TODO")\n'
    "    return x\n",
    (
        equal_check("textbook", "from (-3, 4) with lr 0.1, 100 steps end at (-3, 4) * 0.8^100",
                    "Step against the gradient: x = x - lr * grad_f(x) (a minus: descent).",
                    ("gradient_descent",),
                    lambda m: (m.gradient_descent(lambda x: 2 * x, np.array([-3.0, 4.0]), lr=0.1,
                                                  step_num=100), np.array([-3.0, 4.0]) * 0.8 ** 100),
                    tol=1e-9),
        property_check("steps_and_rate", "exactly step_num steps with the given lr, on any quadratic",
                       "Loop exactly step_num times (range(step_num)) and use the lr you are given.",
                       ("gradient_descent",), _gd_cases, _gd_general),
        equal_check("keeps_init_x", "init_x is left unchanged",
                    "x = init_x makes x the same array: x -= ... then changes init_x. Start from a "
                    "copy: x = np.array(init_x, dtype=float).", ("gradient_descent",), _gd_keeps_input,
                    tol=0.0),
    ),
)


def _final_point(module: types.ModuleType, ex: dict) -> None:
    got = module.final_point(ex["lr"], ex["steps"])
    compare(_quadratic_gd(np.array([-3.0, 4.0]), np.ones(2), ex["lr"], ex["steps"]), got,
            f"the point after {ex['steps']} steps with lr={ex['lr']}", tol=1e-9)


def _diverges(module: types.ModuleType, ex: dict) -> None:
    got = module.diverges(ex["lr"], ex["steps"])
    expected = abs(1 - 2 * ex["lr"]) > 1
    if got is not expected and got != expected:
        raise CheckFailed(f"diverges(lr={ex['lr']}, steps={ex['steps']}): expected {expected}, got {got!r}")


def _threshold(module: types.ModuleType) -> tuple:
    if not hasattr(module, "DIVERGES_ABOVE"):
        raise CheckFailed("your file defines no DIVERGES_ABOVE: keep the name from the template")
    if module.DIVERGES_ABOVE is None:
        raise CheckFailed("DIVERGES_ABOVE is still None (a TODO is left): set it to the boundary lr")
    return module.DIVERGES_ABOVE, 1.0


_lrs = st.sampled_from([1e-4, 1e-3, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 1.1, 1.2, 1.5])

LEARNING_RATE = Exercise(
    "learning_rate", GROUP, "the learning-rate experiment",
    "Gradient descent on f(x) = x0^2 + x1^2 from (-3, 4): the gradient is 2x.\n"
    "    final_point(lr, steps): the point after `steps` steps of x <- x - lr * 2x\n"
    "    diverges(lr, steps): True when that point is farther from (0, 0) than the start\n"
    "    DIVERGES_ABOVE: the learning rate above which it diverges (each step multiplies x by 1 - 2 lr)\n"
    "Try lr = 10 (too large: it diverges) and lr = 1e-10 (too small: it barely moves).",
    "def final_point(lr, steps=100):\n"
    '    """x after `steps` steps of gradient descent on x0^2 + x1^2 from (-3, 4)."""\n'
    '    raise NotImplementedError("TODO")\n\n\n'
    "def diverges(lr, steps=100):\n"
    '    """True when the final point is farther from the minimum than the start."""\n'
    '    raise NotImplementedError("TODO")\n\n\n'
    "DIVERGES_ABOVE = None   # TODO: the smallest lr that makes |1 - 2 lr| > 1 ... its boundary\n",
    (
        property_check("final_point", "final_point matches (-3, 4) * (1 - 2 lr)^steps",
                       "The gradient of x0^2 + x1^2 is 2x; each step is x = x - lr * 2 * x, starting "
                       "from np.array([-3.0, 4.0]).", ("final_point",),
                       st.fixed_dictionaries({"lr": _lrs, "steps": st.integers(0, 20)}), _final_point),
        property_check("diverges", "diverges says True exactly when |1 - 2 lr| > 1",
                       "Compare distances to the minimum: np.linalg.norm(final) > np.linalg.norm(start). "
                       "Do not wait for an overflow: a few steps of a diverging run are still finite.",
                       ("diverges",), st.fixed_dictionaries({"lr": _lrs, "steps": st.integers(1, 20)}),
                       _diverges),
        equal_check("threshold", "DIVERGES_ABOVE is the boundary lr = 1",
                    "x is multiplied by (1 - 2 lr) each step: it grows when |1 - 2 lr| > 1, that is "
                    "for lr > 1.", (), _threshold, tol=1e-3),
    ),
)


# ---- update rules against mg.optim ------------------------------------------------------

def _reference(cls: type, hyper: dict, p0: np.ndarray, grads: list[np.ndarray]) -> list[np.ndarray]:
    p = Tensor(p0.copy(), requires_grad=True)
    opt = cls([p], **hyper)
    out = []
    for g in grads:
        p.grad = g.copy()
        opt.step()
        out.append(p.data.copy())
    return out


def _rule_test(fn: str, cls: type, fixed: dict) -> Callable[[types.ModuleType, dict], None]:
    def test(module: types.ModuleType, ex: dict) -> None:
        hyper = {**fixed, **ex["hyper"]}
        p0 = np.asarray(ex["p0"], dtype=float)
        grads = [np.asarray(g, dtype=float) for g in ex["grads"]]
        expected = _reference(cls, hyper, p0, grads)
        step = getattr(module, fn)
        p, state, before = p0.copy(), {}, p0
        for k, (g, e) in enumerate(zip(grads, expected), start=1):
            new = step(p.copy(), g.copy(), state, **hyper)
            if new is None:
                raise CheckFailed(f"{fn} returned None at step {k}: return the new parameter")
            compare(e - before, np.asarray(new) - p, f"the update at step {k} (new p - old p)", tol=1e-4)
            p, before = np.asarray(new, dtype=float), e
    return test


_vals = st.integers(-8, 8).map(lambda v: v / 4)


def _cases(n_steps: tuple[int, int], hyper: st.SearchStrategy, grads: st.SearchStrategy | None = None
           ) -> st.SearchStrategy:
    grads = grads or st.lists(_vals, min_size=2, max_size=2)
    return st.fixed_dictionaries({
        "p0": st.lists(_vals, min_size=2, max_size=2),
        "grads": st.lists(grads, min_size=n_steps[0], max_size=n_steps[1]),
        "hyper": hyper})


def _rule_exercise(name: str, title: str, fn: str, cls: type, fixed: dict, task: str, stub: str,
                   hypers: tuple[st.SearchStrategy, st.SearchStrategy], hints: tuple[str, str, str],
                   third: Any = None) -> Exercise:
    test = _rule_test(fn, cls, fixed)
    third = third or property_check(
        "hyperparameters", f"{fn} uses its hyperparameters where the formula puts them (large eps too)",
        hints[2], (fn,), _cases((1, 3), hypers[1]), test, max_examples=25)
    return Exercise(name, GROUP, title, task, stub, (
        property_check("first_step", f"the first {fn} from an empty state equals mg.optim.{cls.__name__}",
                       hints[0], (fn,), _cases((1, 1), hypers[0]), test, max_examples=25),
        property_check("several_steps", f"a run of {fn} calls (state carried over) equals mg.optim",
                       hints[1], (fn,), _cases((2, 5), hypers[0]), test, max_examples=25),
        third,
    ))


def _stub(fn: str, args: str, doc: str) -> str:
    return (f"def {fn}(p, g, state, {args}):\n"
            f'    """{doc}\n\n'
            "    p: the parameter (array), g: its gradient, state: a dict you keep between calls\n"
            "    (empty at the first step). Return the new parameter.\n"
            '    """\n'
            '    raise NotImplementedError("TODO")\n')


_lr = st.sampled_from([0.01, 0.1, 0.5])

MOMENTUM = _rule_exercise(
    "momentum", "momentum (SGD with a velocity)", "momentum_step", optim.SGD, {},
    "Write momentum_step(p, g, state, lr, momentum): PyTorch's SGD with momentum mu,\n"
    "    v <- mu * v + g        (v = g at the first step)\n"
    "    p <- p - lr * v\n"
    "('Deep Learning from Scratch' writes v <- mu v - lr g; p <- p + v: the same steps.)",
    _stub("momentum_step", "lr=0.01, momentum=0.9", "One step of SGD with momentum."),
    (st.fixed_dictionaries({"lr": _lr, "momentum": st.sampled_from([0.5, 0.9])}),
     st.fixed_dictionaries({"lr": _lr, "momentum": st.sampled_from([0.0, 0.3, 0.99])})),
    ("The step goes against the velocity: p - lr * v, and at the first step v is just g "
     "(no 1 - mu factor).",
     "Keep v in state between calls (state['v'] = v) and update it with v = mu * v + g each step.",
     "Use the momentum you are given (mu = 0 is plain SGD, mu = 0.99 keeps almost all of v)."),
)

ADAGRAD = _rule_exercise(
    "adagrad", "Adagrad", "adagrad_step", optim.Adagrad, {},
    "Write adagrad_step(p, g, state, lr, eps): PyTorch's Adagrad,\n"
    "    h <- h + g * g          (h starts at 0)\n"
    "    p <- p - lr * g / (sqrt(h) + eps)",
    _stub("adagrad_step", "lr=0.01, eps=1e-10", "One step of Adagrad."),
    (st.fixed_dictionaries({"lr": _lr}),
     st.fixed_dictionaries({"lr": _lr, "eps": st.sampled_from([0.1, 1.0, 3.0])})),
    ("Divide by the square root of the accumulated squares: g / (np.sqrt(h) + eps).",
     "h accumulates: h = h + g * g over all steps so far (keep it in state), not just this step's g*g.",
     "eps goes outside the square root: np.sqrt(h) + eps, not np.sqrt(h + eps)."),
)

RMSPROP = _rule_exercise(
    "rmsprop", "RMSProp", "rmsprop_step", optim.RMSprop, {},
    "Write rmsprop_step(p, g, state, lr, alpha, eps): PyTorch's RMSprop,\n"
    "    s <- alpha * s + (1 - alpha) * g * g      (s starts at 0)\n"
    "    p <- p - lr * g / (sqrt(s) + eps)",
    _stub("rmsprop_step", "lr=0.01, alpha=0.99, eps=1e-8", "One step of RMSProp."),
    (st.fixed_dictionaries({"lr": _lr, "alpha": st.sampled_from([0.9, 0.99])}),
     st.fixed_dictionaries({"lr": _lr, "alpha": st.sampled_from([0.5, 0.9]),
                            "eps": st.sampled_from([0.1, 1.0])})),
    ("The new squares get weight (1 - alpha) and the old average weight alpha: "
     "s = alpha * s + (1 - alpha) * g * g.",
     "s is a moving average kept in state between steps; it starts at zeros.",
     "eps goes outside the square root: np.sqrt(s) + eps."),
)


def _adam_hyper(eps: st.SearchStrategy) -> st.SearchStrategy:
    return st.fixed_dictionaries({"lr": _lr, "betas": st.sampled_from([(0.9, 0.999), (0.5, 0.9)]),
                                  "eps": eps})


ADAM = _rule_exercise(
    "adam", "Adam", "adam_step", optim.Adam, {},
    "Write adam_step(p, g, state, lr, betas, eps): Adam (Kingma & Ba) at step t = 1, 2, ...\n"
    "    m <- b1 m + (1 - b1) g;   v <- b2 v + (1 - b2) g^2\n"
    "    m_hat = m / (1 - b1^t);   v_hat = v / (1 - b2^t)       (bias correction)\n"
    "    p <- p - lr * m_hat / (sqrt(v_hat) + eps)",
    _stub("adam_step", "lr=0.001, betas=(0.9, 0.999), eps=1e-8", "One step of Adam."),
    (_adam_hyper(st.just(1e-8)), _adam_hyper(st.sampled_from([0.1, 1.0]))),
    ("Bias correction: divide m by (1 - b1**t) and v by (1 - b2**t); without it the first "
     "steps are far too small or too large.",
     "Count the steps in state (t = state.get('t', 0) + 1) and keep m and v there too.",
     "eps goes outside the square root of v_hat: np.sqrt(v_hat) + eps."),
)


def _falling_grads() -> st.SearchStrategy:
    """Gradients that shrink, so that v falls and AMSGrad's running maximum matters."""
    return st.lists(st.integers(1, 8).map(lambda v: v / 2), min_size=2, max_size=2)


def _amsgrad_drop() -> Any:
    test = _rule_test("amsgrad_step", optim.AMSGrad, {})
    cases = st.fixed_dictionaries({
        "p0": st.lists(_vals, min_size=2, max_size=2),
        "grads": st.tuples(_falling_grads(), st.just([0.1, -0.1]), st.just([0.05, 0.05])).map(list),
        "hyper": st.fixed_dictionaries({"lr": _lr, "betas": st.just((0.5, 0.6)), "eps": st.just(1e-8)})})
    return property_check("running_max", "when gradients shrink, amsgrad_step divides by the largest v",
                          "Keep v_max = np.maximum(v_max, v) in state and use v_max (bias-corrected "
                          "with 1 - b2**t) in the denominator, not v.", ("amsgrad_step",), cases, test)


AMSGRAD = _rule_exercise(
    "amsgrad", "AMSGrad", "amsgrad_step", optim.AMSGrad, {},
    "Write amsgrad_step(p, g, state, lr, betas, eps): Adam whose denominator never shrinks\n"
    "(PyTorch's Adam(amsgrad=True)):\n"
    "    m, v as in Adam;   v_max <- max(v_max, v)     (elementwise, v_max starts at 0)\n"
    "    p <- p - lr / (1 - b1^t) * m / (sqrt(v_max / (1 - b2^t)) + eps)",
    _stub("amsgrad_step", "lr=0.001, betas=(0.9, 0.999), eps=1e-8", "One step of AMSGrad."),
    (_adam_hyper(st.just(1e-8)), _adam_hyper(st.sampled_from([0.1, 1.0]))),
    ("As in Adam, bias-correct: m / (1 - b1**t) and v_max / (1 - b2**t).",
     "Keep t, m, v and v_max in state between calls; the denominator uses v_max, the largest v so far "
     "(v_max = np.maximum(v_max, v)), not v.",
     "Keep v_max = np.maximum(v_max, v) and divide by its square root."),
    third=_amsgrad_drop(),
)


def _swats_switch() -> Any:
    test = _rule_test("swats_step", optim.SWATS, {})
    cases = st.fixed_dictionaries({
        "p0": st.lists(_vals, min_size=2, max_size=2),
        "grads": st.lists(st.integers(1, 4).map(float), min_size=2, max_size=2).map(lambda g: [g] * 6),
        "hyper": st.fixed_dictionaries({"lr": _lr, "betas": st.just((0.9, 0.999)), "eps": st.just(1e-9)})})
    return property_check("switch_to_sgd", "with a constant gradient it switches to SGD, as mg.optim.SWATS",
                          "gamma = (s . s) / (-(s . g)) is positive; switch when k > 1 and "
                          "|lam / (1 - b2**k) - gamma| < eps, then step p = p - (1 - b1) * sgd_lr * v "
                          "with v = b1 * v + g (v = g at the first SGD step).", ("swats_step",), cases, test)


SWATS = _rule_exercise(
    "swats", "SWATS (Adam, then SGD)", "swats_step", optim.SWATS, {},
    "Write swats_step(p, g, state, lr, betas, eps) as Keskar & Socher (2017), Algorithm 1.\n"
    "Adam phase, step k = 1, 2, ... (m, a, lam start at 0):\n"
    "    m <- b1 m + (1-b1) g;  a <- b2 a + (1-b2) g^2\n"
    "    s = -lr * sqrt(1 - b2^k) / (1 - b1^k) * m / (sqrt(a) + eps);   p <- p + s\n"
    "    if s.g != 0: gamma = (s.s) / (-s.g);  lam <- b2 lam + (1-b2) gamma\n"
    "        if k > 1 and |lam / (1 - b2^k) - gamma| < eps: switch, sgd_lr = lam / (1 - b2^k)\n"
    "SGD phase (after the switch):  v <- b1 v + g (v = g first);  p <- p - (1 - b1) sgd_lr v",
    _stub("swats_step", "lr=0.001, betas=(0.9, 0.999), eps=1e-9", "One step of SWATS."),
    (_adam_hyper(st.just(1e-9)), _adam_hyper(st.just(1e-9))),
    ("The Adam phase step is s = -lr * sqrt(1 - b2**k) / (1 - b1**k) * m / (sqrt(a) + eps): "
     "mind both bias corrections.",
     "Keep k, m, a and lam in state between calls; gamma = (s . s) / (-(s . g)) is positive, lam "
     "averages it with weight 1 - b2, and after the switch p = p - (1 - b1) * sgd_lr * v.",
     ""),
    third=_swats_switch(),
)


# ---- a mini-batch SGD loop -----------------------------------------------------------------

def _minibatch_reference(X: np.ndarray, y: np.ndarray, w0: np.ndarray, lr: float, batch_size: int,
                         epochs: int) -> np.ndarray:
    w = Tensor(w0.copy(), requires_grad=True)
    opt = optim.SGD([w], lr=lr)
    for _ in range(epochs):
        for i in range(0, len(y), batch_size):
            xb, yb = Tensor(X[i:i + batch_size]), Tensor(y[i:i + batch_size])
            opt.zero_grad()
            ((xb @ w - yb) ** 2).mean().backward()
            opt.step()
    return w.data


def _minibatch_case(ex: dict) -> tuple:
    rng = np.random.default_rng(ex["seed"])
    X = rng.standard_normal((ex["n"], 2))
    y = X @ np.array([1.5, -2.0]) + 0.1 * rng.standard_normal(ex["n"])
    return X, y, np.zeros(2)


def _minibatch(module: types.ModuleType, ex: dict) -> None:
    X, y, w0 = _minibatch_case(ex)
    expected = _minibatch_reference(X, y, w0, ex["lr"], ex["batch_size"], ex["epochs"])
    got = module.minibatch_sgd(X.copy(), y.copy(), w0.copy(), ex["lr"], ex["batch_size"], ex["epochs"])
    compare(expected, got, f"w after {ex['epochs']} epoch(s) with batch_size {ex['batch_size']}", tol=1e-6)


def _mb_cases(n: st.SearchStrategy, batch: Callable[[int], st.SearchStrategy]) -> st.SearchStrategy:
    return n.flatmap(lambda k: st.fixed_dictionaries({
        "n": st.just(k), "batch_size": batch(k), "epochs": st.integers(1, 3),
        "lr": st.sampled_from([0.01, 0.1]), "seed": st.integers(0, 20)}))


def _keeps_w(module: types.ModuleType) -> tuple:
    X, y, _ = _minibatch_case({"seed": 0, "n": 4})
    w0 = np.array([0.5, 0.5])
    module.minibatch_sgd(X, y, w0, 0.1, 2, 1)
    return w0, np.array([0.5, 0.5])


MINIBATCH_SGD = Exercise(
    "minibatch_sgd", GROUP, "a mini-batch SGD loop",
    "Linear regression y ~ X @ w with loss L = mean((X_b @ w - y_b)^2) on each batch.\n"
    "Write minibatch_sgd(X, y, w, lr, batch_size, epochs): for each epoch, take the rows in\n"
    "order in batches of batch_size (the last batch may be smaller; no shuffling), and step\n"
    "    w <- w - lr * (2 / B) * X_b.T @ (X_b @ w - y_b)       (B = rows in this batch)\n"
    "Return w (a new array: leave the w passed in unchanged).",
    "def minibatch_sgd(X, y, w, lr, batch_size, epochs):\n"
    '    """Mini-batch SGD on the mean squared error of X @ w against y."""\n'
    "    w = np.array(w, dtype=float)\n"
    "    # TODO: for each epoch, for each batch start i in range(0, len(y), batch_size): one step\n"
    '    raise NotImplementedError("TODO")\n'
    "    return w\n",
    (
        property_check("full_batch", "with one batch per epoch, the steps equal autograd + mg.optim.SGD",
                       "The gradient of mean((Xw - y)^2) is (2 / B) * X.T @ (X @ w - y): mind the 2 and "
                       "step against it.", ("minibatch_sgd",),
                       _mb_cases(st.integers(2, 6), lambda k: st.just(k)), _minibatch, max_examples=20),
        property_check("batches", "mini-batches in order, the last one smaller, each a mean over its rows",
                       "Slice X[i:i + batch_size] for i in range(0, n, batch_size) and divide by the "
                       "rows the batch really has (len(y_b)), not by batch_size.", ("minibatch_sgd",),
                       _mb_cases(st.integers(3, 9), lambda k: st.integers(2, max(2, k - 1))), _minibatch,
                       max_examples=20),
        equal_check("keeps_w", "the w passed in is left unchanged",
                    "Work on a copy: w = np.array(w, dtype=float) and w = w - ... (not w -= on the input).",
                    ("minibatch_sgd",), _keeps_w, tol=0.0),
    ),
)


EXERCISES = [GRADIENT_DESCENT, LEARNING_RATE, MOMENTUM, ADAGRAD, RMSPROP, ADAM, AMSGRAD, SWATS,
             MINIBATCH_SGD]
