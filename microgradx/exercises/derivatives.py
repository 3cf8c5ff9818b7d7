"""Exercises on derivatives by finite differences: central differences, the order of the error, gradients.

>>> [e.name for e in EXERCISES]
['central_diff', 'diff_error_order', 'numerical_gradient']
"""

from __future__ import annotations

import math
import types

import numpy as np
from hypothesis import strategies as st

from .core import CheckFailed, Exercise, compare, equal_check, property_check

GROUP = "Derivatives"

# smooth test functions with known derivatives: (name, f, f')
FUNCS = {
    "sin": (math.sin, math.cos),
    "exp": (math.exp, math.exp),
    "x**3": (lambda x: x ** 3, lambda x: 3 * x ** 2),
    "tanh": (math.tanh, lambda x: 1 - math.tanh(x) ** 2),
}

_xs = st.floats(-2.0, 2.0, allow_nan=False).map(lambda v: round(v, 3))
_hs = st.sampled_from([1e-2, 1e-3, 1e-4])


def _central(module: types.ModuleType, ex: dict) -> None:
    f = FUNCS[ex["f"]][0]
    x, h = ex["x"], ex["h"]
    expected = (f(x + h) - f(x - h)) / (2 * h)
    compare(expected, module.central_diff(f, x, h), f"central_diff({ex['f']}, x, h)", tol=1e-9)


def _central_default(module: types.ModuleType) -> tuple:
    calls: list[float] = []

    def f(x: float) -> float:
        calls.append(x)
        return x * x

    module.central_diff(f, 1.0)
    return sorted(calls), [1.0 - 1e-4, 1.0 + 1e-4]


def _close_to_true(module: types.ModuleType, ex: dict) -> None:
    f, df = FUNCS[ex["f"]]
    got = module.central_diff(f, ex["x"], 1e-4)
    compare(df(ex["x"]), got, f"central_diff({ex['f']}, x) against the exact derivative", tol=1e-6, atol=1e-7)


CENTRAL_DIFF = Exercise(
    "central_diff", GROUP, "the central difference",
    "Write central_diff(f, x, h=1e-4): the derivative of f at x by central differences,\n"
    "    f'(x) ~ (f(x + h) - f(x - h)) / (2 h)          (error O(h^2))\n"
    "It must match the exact derivative of smooth functions to a relative error < 1e-6.",
    "def central_diff(f, x, h=1e-4):\n"
    '    """(f(x + h) - f(x - h)) / (2 h)."""\n'
    "    # TODO: evaluate f on both sides of x and divide by the distance between the points\n"
    '    raise NotImplementedError("TODO")\n',
    (
        property_check("formula", "central_diff equals (f(x+h) - f(x-h)) / (2h) for any f, x, h",
                       "The two points are x + h and x - h, 2h apart: divide by 2 * h, and mind the "
                       "parentheses around 2 * h.", ("central_diff",),
                       st.fixed_dictionaries({"f": st.sampled_from(list(FUNCS)), "x": _xs, "h": _hs}),
                       _central),
        equal_check("default_step", "without h, central_diff uses h = 1e-4 (it evaluates f at x -+ 1e-4)",
                    "Give h a default value: def central_diff(f, x, h=1e-4). A tiny h like 1e-50 "
                    "rounds x + h back to x (rounding error); a big one is inaccurate.", ("central_diff",),
                    _central_default, tol=1e-12),
        property_check("accuracy", "central_diff agrees with the exact derivative (rel. error < 1e-6)",
                       "A forward difference (f(x+h) - f(x)) / h has an O(h) error; the central one "
                       "cancels it: use both f(x + h) and f(x - h).", ("central_diff",),
                       st.fixed_dictionaries({"f": st.sampled_from(list(FUNCS)), "x": _xs}), _close_to_true),
    ),
)


def _forward(module: types.ModuleType, ex: dict) -> None:
    f = FUNCS[ex["f"]][0]
    x, h = ex["x"], ex["h"]
    compare((f(x + h) - f(x)) / h, module.forward_diff(f, x, h), f"forward_diff({ex['f']}, x, h)", tol=1e-9)


def _order_of(module: types.ModuleType, ex: dict, method: str, expected: int) -> None:
    f, df = FUNCS[ex["f"]]
    x = ex["x"]
    got = module.error_order(f, df, x, method)
    if got is None or not isinstance(got, (int, float, np.floating)) or abs(got - expected) > 0.3:
        raise CheckFailed(f"error_order(..., {method!r}): expected about {expected} "
                          f"(error shrinks like h^{expected}), got {got!r}")


def _orders(module: types.ModuleType, ex: dict) -> None:
    _order_of(module, ex, "forward", 1)
    _order_of(module, ex, "central", 2)


def _nonzero_curvature(ex: dict) -> bool:
    f, x = ex["f"], ex["x"]
    flat_at_0 = f in ("sin", "tanh", "x**3") and abs(x) < 0.2
    return not (flat_at_0 or (f == "sin" and abs(abs(x) - math.pi / 2) < 0.2))


DIFF_ERROR_ORDER = Exercise(
    "diff_error_order", GROUP, "forward vs central differences: the order of the error",
    "Write forward_diff(f, x, h) = (f(x + h) - f(x)) / h, and error_order(f, df, x, method)\n"
    "that measures how the error |approx - df(x)| shrinks when h is divided by 10:\n"
    "    order p = log10( err(h) / err(h / 10) )    with h = 1e-2\n"
    "for method 'forward' (use forward_diff) and 'central' ((f(x+h) - f(x-h)) / 2h).\n"
    "Expect p ~ 1 for forward differences and p ~ 2 for central ones.",
    "def forward_diff(f, x, h):\n"
    '    """(f(x + h) - f(x)) / h."""\n'
    '    raise NotImplementedError("TODO")\n\n\n'
    "def error_order(f, df, x, method):\n"
    '    """log10(err(h) / err(h / 10)) for h = 1e-2; method is "forward" or "central"."""\n'
    "    # TODO: compute the error of the method at h = 1e-2 and at h = 1e-3 against df(x)\n"
    '    raise NotImplementedError("TODO")\n',
    (
        property_check("forward_diff", "forward_diff equals (f(x+h) - f(x)) / h",
                       "A forward difference looks one step ahead only: (f(x + h) - f(x)) / h.",
                       ("forward_diff",),
                       st.fixed_dictionaries({"f": st.sampled_from(list(FUNCS)), "x": _xs, "h": _hs}),
                       _forward),
        property_check("orders", "error_order gives about 1 for forward and 2 for central differences",
                       "The error of forward differences is about C*h, of central ones C*h^2: the "
                       "order is log10 of err(h) / err(h/10), with errors as absolute values.",
                       ("error_order",),
                       st.fixed_dictionaries({"f": st.sampled_from(list(FUNCS)), "x": _xs})
                       .filter(_nonzero_curvature), _orders, max_examples=20),
        equal_check("central_is_better", "at h = 1e-2 the central error on exp at 1 is ~100x smaller",
                    "Compare |approx - exact| for both methods on exp at x = 1: central differences "
                    "are about 2 orders more accurate at h = 1e-2.", ("error_order",),
                    lambda m: (m.error_order(math.exp, math.exp, 1.0, "central")
                               - m.error_order(math.exp, math.exp, 1.0, "forward"), 1.0), tol=0.3),
    ),
)


def _gradient_case(ex: dict) -> tuple:
    a = np.asarray(ex["a"], dtype=float).reshape(ex["shape"])
    x = np.asarray(ex["x"], dtype=float).reshape(ex["shape"])
    return a, x


def _grad_quadratic(module: types.ModuleType, ex: dict) -> None:
    a, x = _gradient_case(ex)
    got = module.numerical_gradient(lambda v: float(np.sum(a * v ** 2 + np.sin(v))), x.copy())
    compare(2 * a * x + np.cos(x), got, "numerical_gradient of sum(a*x**2 + sin(x))", tol=1e-6)


def _grad_restores(module: types.ModuleType, ex: dict) -> None:
    a, x = _gradient_case(ex)
    work = x.copy()
    module.numerical_gradient(lambda v: float(np.sum(a * v ** 2)), work)
    if not np.array_equal(work, x):
        raise CheckFailed(f"x changed: it was {x.tolist()}, after numerical_gradient it is {work.tolist()} "
                          "(put each element back after perturbing it)")


_shapes = st.sampled_from([(2,), (3,), (2, 2), (2, 3)])
_grad_cases = _shapes.flatmap(lambda s: st.fixed_dictionaries({
    "shape": st.just(s),
    "a": st.lists(st.integers(-3, 3), min_size=math.prod(s), max_size=math.prod(s)),
    "x": st.lists(st.integers(-4, 4).map(lambda v: v / 2), min_size=math.prod(s), max_size=math.prod(s)),
}))

NUMERICAL_GRADIENT = Exercise(
    "numerical_gradient", GROUP, "the numerical gradient of a function of an array",
    "Write numerical_gradient(f, x): the gradient of f(x) -> float at the float array x\n"
    "(any shape, e.g. 2-D), by central differences one element at a time, h = 1e-4:\n"
    "    grad[i] = (f(x with x[i] + h) - f(x with x[i] - h)) / (2 h)\n"
    "Put x[i] back after each element: x must be unchanged when you return.\n"
    "E.g. for f(x) = x0^2 + x1^2 at (3, 4) the gradient is (6, 8).",
    "def numerical_gradient(f, x, h=1e-4):\n"
    '    """d f / d x[i] for each element i of x (an array of any shape)."""\n'
    "    grad = np.zeros_like(x)\n"
    "    # TODO: for each index (np.ndindex(x.shape)), move x[index] by +h and -h, call f, restore x[index]\n"
    '    raise NotImplementedError("TODO")\n'
    "    return grad\n",
    (
        property_check("gradient", "numerical_gradient matches the exact gradient of sum(a*x**2 + sin x)",
                       "Perturb one element at a time: x[idx] = old + h, f(x), x[idx] = old - h, f(x), "
                       "then grad[idx] = (f_plus - f_minus) / (2 * h).", ("numerical_gradient",),
                       _grad_cases, _grad_quadratic, max_examples=25),
        property_check("restores_x", "numerical_gradient leaves x as it was",
                       "Save old = x[idx] before perturbing and set x[idx] = old when done with that "
                       "element (not x[idx] - h: that leaves a round-off error).", ("numerical_gradient",),
                       _grad_cases, _grad_restores, max_examples=25),
        equal_check("textbook", "the gradient of x0^2 + x1^2 at (3, 4) is (6, 8)",
                    "For a 1-D x this is the same loop: np.ndindex works for every shape.",
                    ("numerical_gradient",),
                    lambda m: (m.numerical_gradient(lambda v: float(v[0] ** 2 + v[1] ** 2),
                                                    np.array([3.0, 4.0])), np.array([6.0, 8.0])), tol=1e-6),
    ),
)

EXERCISES = [CENTRAL_DIFF, DIFF_ERROR_ORDER, NUMERICAL_GRADIENT]
