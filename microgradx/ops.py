"""Primitive ops: each forward and its vector-Jacobian products, written once.

Every entry of the table is an :class:`Op`: a forward for Python floats
(``scalar``), a forward for NumPy arrays (``array``) and one VJP per input.
A VJP ``vjp(g, y, *xs)`` maps the upstream gradient ``g``, the output ``y``
and the inputs ``xs`` (then any parameters saved with the node) to the
gradient of one input. VJPs use only arithmetic and the helpers below, so the
same line runs on raw numbers (a plain backward pass) and on graph nodes
(``create_graph=True``, which is how second derivatives are built).

>>> MUL.vjps[0](2.0, 12.0, 3.0, 4.0)   # d(a*b)/da * g = b * g
8.0
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["Op", "OPS"]

OPS: dict[str, Op] = {}


class Op:
    """One primitive: forward for scalars and arrays, and its VJPs.

    ``vjps`` holds one function per input; an n-ary op (``sum``, ``dot``,
    ``cat``) instead gives ``vjp_all`` returning a tuple with one gradient
    per input.

    >>> OPS["exp"].scalar(0.0)
    1.0
    """

    __slots__ = ("name", "scalar", "array", "vjps", "vjp_all", "symbol")

    def __init__(
        self,
        name: str,
        scalar: Callable[..., Any] | None,
        array: Callable[..., Any] | None,
        vjps: tuple[Callable[..., Any], ...] = (),
        vjp_all: Callable[..., Any] | None = None,
        symbol: str = "",
    ) -> None:
        self.name = name
        self.scalar = scalar
        self.array = array
        self.vjps = vjps
        self.vjp_all = vjp_all
        self.symbol = symbol or name
        OPS[name] = self

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


# ---- helpers that run on raw numbers and on graph nodes alike -------------

def _is_raw(x: Any) -> bool:
    return isinstance(x, (float, int, np.ndarray, np.generic))


def _dispatch(name: str, scalar_fn: Callable, array_fn: Callable) -> Callable:
    def f(x: Any) -> Any:
        if type(x) is float:
            return scalar_fn(x)
        if _is_raw(x):
            return array_fn(x)
        return getattr(x, name)()

    f.__name__ = name
    return f


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _log(x: float) -> float:
    if x > 0.0:
        return math.log(x)
    return -math.inf if x == 0.0 else math.nan


def _sqrt(x: float) -> float:
    return math.sqrt(x) if x >= 0.0 else math.nan


def _sigmoid(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _sigmoid_array(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


def _softplus(x: float) -> float:
    return math.log1p(math.exp(-abs(x))) + (x if x > 0.0 else 0.0)


def _softplus_array(x: np.ndarray) -> np.ndarray:
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


def _div(a: float, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(np.float64(a) / np.float64(b))


def _pow(a: float, b: float) -> float:
    try:
        r = a**b
    except (ZeroDivisionError, OverflowError):
        r = None
    if type(r) is float:
        return r
    with np.errstate(all="ignore"):
        return float(np.power(np.float64(a), np.float64(b)))


def _array_pow(a: np.ndarray, b: Any) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.power(a, b)


def _array_div(a: np.ndarray, b: Any) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.true_divide(a, b)


def _array_log(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(x)


def _array_sqrt(x: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.sqrt(x)


exp = _dispatch("exp", _exp, np.exp)
log = _dispatch("log", _log, _array_log)
sin = _dispatch("sin", math.sin, np.sin)
cos = _dispatch("cos", math.cos, np.cos)
sigmoid = _dispatch("sigmoid", _sigmoid, _sigmoid_array)


def sign(x: Any) -> Any:
    """+1, 0 or -1 elementwise, as data (never part of a graph)."""
    return (x > 0) * 1.0 - (x < 0)


def step(x: Any, slope: float = 0.0) -> Any:
    """1 where x > 0, else ``slope`` (the derivative of (leaky) relu)."""
    return (x > 0) * (1.0 - slope) + slope


# ---- elementwise binary ----------------------------------------------------

ADD = Op("add", operator.add, operator.add, (lambda g, y, a, b: g, lambda g, y, a, b: g), symbol="+")
SUB = Op("sub", operator.sub, operator.sub, (lambda g, y, a, b: g, lambda g, y, a, b: -g), symbol="-")
MUL = Op("mul", operator.mul, operator.mul,
         (lambda g, y, a, b: g * b, lambda g, y, a, b: g * a), symbol="*")
DIV = Op("div", _div, _array_div,
         (lambda g, y, a, b: g / b, lambda g, y, a, b: -g * y / b), symbol="/")
POW = Op("pow", _pow, _array_pow,
         (lambda g, y, a, b: g * b * a ** (b - 1), lambda g, y, a, b: g * y * log(a)), symbol="**")

# ---- elementwise unary -----------------------------------------------------

NEG = Op("neg", operator.neg, operator.neg, (lambda g, y, x: -g,), symbol="-")
ABS = Op("abs", abs, np.abs, (lambda g, y, x: g * sign(x),))
EXP = Op("exp", _exp, np.exp, (lambda g, y, x: g * y,))
LOG = Op("log", _log, _array_log, (lambda g, y, x: g / x,))
SQRT = Op("sqrt", _sqrt, _array_sqrt, (lambda g, y, x: g * 0.5 / y,))
TANH = Op("tanh", math.tanh, np.tanh, (lambda g, y, x: g * (1 - y * y),))
SIGMOID = Op("sigmoid", _sigmoid, _sigmoid_array, (lambda g, y, x: g * y * (1 - y),))
RELU = Op("relu", lambda x: x if x > 0.0 else 0.0, lambda x: np.maximum(x, 0),
          (lambda g, y, x: g * step(x),))
LEAKY_RELU = Op("leaky_relu", lambda x, s: x if x > 0.0 else s * x,
                lambda x, s: np.where(x > 0, x, s * x),
                (lambda g, y, x, s: g * step(x, s),))
SIN = Op("sin", math.sin, np.sin, (lambda g, y, x: g * cos(x),))
COS = Op("cos", math.cos, np.cos, (lambda g, y, x: -g * sin(x),))
SOFTPLUS = Op("softplus", _softplus, _softplus_array, (lambda g, y, x: g * sigmoid(x),))

# ---- n-ary (scalar face): one node for a whole sum or dot product ----------

SUM = Op("sum", None, None, vjp_all=lambda g, y, *xs: (g,) * len(xs), symbol="Σ")


def _dot_vjp(g: Any, y: Any, *wx: Any) -> tuple:
    n = len(wx) // 2
    ws, xs = wx[:n], wx[n:]
    return tuple([g * x for x in xs] + [g * w for w in ws])


DOT = Op("dot", None, None, vjp_all=_dot_vjp, symbol="·")
