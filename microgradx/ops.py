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
    per input. ``vjp_batch``, when given, is the same rule for many nodes of
    the op at once, on arrays (the plain scalar pass uses it for ``dot``).
    An op made of two (``linear_relu``) may give ``pre``: the rule of its
    outer part, ``pre(g, y, *xs)``, applied once to the upstream gradient
    before the ``vjps`` of its inner part.

    >>> OPS["exp"].scalar(0.0)
    1.0
    """

    __slots__ = ("name", "scalar", "array", "vjps", "vjp_all", "vjp_batch", "symbol", "pre", "function")

    def __init__(
        self,
        name: str,
        scalar: Callable[..., Any] | None,
        array: Callable[..., Any] | None,
        vjps: tuple[Callable[..., Any], ...] = (),
        vjp_all: Callable[..., Any] | None = None,
        symbol: str = "",
        vjp_batch: Callable[..., Any] | None = None,
        pre: Callable[..., Any] | None = None,
    ) -> None:
        self.name = name
        self.scalar = scalar
        self.array = array
        self.vjps = vjps
        self.vjp_all = vjp_all
        self.vjp_batch = vjp_batch
        self.symbol = symbol or name
        self.pre = pre
        self.function = None         # the mg.Function class of a user-defined op
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


SOFTPLUS_THRESHOLD = 20.0    # above it softplus(x) is x, exactly: PyTorch's default


def _softplus(x: float) -> float:
    return x if x > SOFTPLUS_THRESHOLD else math.log1p(math.exp(x))


def _softplus_array(x: np.ndarray) -> np.ndarray:
    return np.where(x > SOFTPLUS_THRESHOLD, x, np.log1p(np.exp(np.minimum(x, SOFTPLUS_THRESHOLD))))


def _div(a: float, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(np.float64(a) / np.float64(b))


def _pow(a: float, b: float) -> float:
    if b == 0.5 or b == -0.5:            # sqrt and 1/sqrt, as NumPy and PyTorch take these exponents
        r = _sqrt(a)
        return r if b > 0 else _div(1.0, r)
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
        if type(b) is float and b == -0.5:      # 1/sqrt, as PyTorch takes this exponent
            return np.true_divide(1.0, np.sqrt(a))
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


def div(a: Any, b: Any) -> Any:
    """a / b with IEEE results (inf/nan) for Python floats too, as NumPy gives."""
    try:
        return a / b
    except ZeroDivisionError:
        return _div(float(a), float(b))


def power(a: Any, b: Any) -> Any:
    """a ** b on raw numbers (IEEE results: inf/nan, never an exception) and on graph nodes."""
    if not (_is_raw(a) and _is_raw(b)):
        return a**b
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return _array_pow(a, b)
    return _pow(float(a), float(b))


def _sin(x: float) -> float:
    try:
        return math.sin(x)
    except ValueError:                   # sin(inf) is nan, as in NumPy and PyTorch
        return math.nan


def _cos(x: float) -> float:
    try:
        return math.cos(x)
    except ValueError:
        return math.nan


exp = _dispatch("exp", _exp, np.exp)
log = _dispatch("log", _log, _array_log)
sin = _dispatch("sin", _sin, np.sin)
cos = _dispatch("cos", _cos, np.cos)
sigmoid = _dispatch("sigmoid", _sigmoid, _sigmoid_array)


def data_of(x: Any) -> Any:
    """The raw number/array behind ``x`` (x itself when it is raw)."""
    return x if _is_raw(x) else x.data


def sign(x: Any) -> Any:
    """+1, 0 or -1 elementwise, as data (never part of a graph)."""
    x = data_of(x)
    if isinstance(x, np.ndarray):
        return (x > 0).astype(x.dtype) - (x < 0)      # 0 at nan, as torch.sgn (np.sign gives nan)
    return (x > 0) - (x < 0) + 0.0


def step(x: Any, slope: float = 0.0) -> Any:
    """1 where x > 0, else ``slope``: the derivative of (leaky) relu, as data."""
    if type(x) is float:
        return 1.0 if x > 0.0 else slope
    if slope == 0.0 and type(x) is np.ndarray:
        return x > 0
    raw = _is_raw(x)
    x = data_of(x)
    if isinstance(x, np.ndarray):
        if slope == 0.0:   # a bool mask multiplies fastest; a graph node needs floats
            return x > 0 if raw else (x > 0).astype(x.dtype)
        return np.where(x > 0, 1.0, slope).astype(x.dtype)
    return 1.0 if x > 0 else slope


def not_le0(x: Any) -> Any:
    """Where relu passes its gradient: not (x <= 0), so x > 0 or nan (PyTorch's threshold rule)."""
    x = data_of(x)
    return np.logical_not(x <= 0) if isinstance(x, np.ndarray) else not x <= 0.0


def _relu_vjp(g: Any, y: Any, x: Any) -> Any:
    """relu's rule: ``g`` where not x <= 0, else 0, as :func:`keep` of :func:`not_le0`.

    >>> _relu_vjp(np.array([np.inf, 2.0]), None, np.array([-1.0, np.nan])).tolist()
    [0.0, 2.0]
    """
    if type(g) is np.ndarray and type(x) is np.ndarray and g.shape == x.shape and np.isfinite(g).all():
        return np.multiply(g, np.logical_not(x <= 0), dtype=g.dtype)      # keep's product, written out
    return keep(not_le0(x), g)


def keep(mask: Any, g: Any) -> Any:
    """``g`` where ``mask`` holds, else 0: a select, not a product, so an inf or nan in ``g``
    stays out where masked (as PyTorch's ``where``). Runs on raw numbers and graph nodes.

    >>> keep(False, math.inf), keep(np.array([True, False]), np.array([2.0, math.nan])).tolist()
    (0.0, [2.0, 0.0])
    """
    if type(g) is float or type(g) is int:
        return g if mask else 0.0
    if not _is_raw(g):
        return g._keep(mask)
    if np.isfinite(g).all():       # a product gives the same numbers here, at a sixth of np.where's cost
        return np.multiply(g, mask, dtype=np.result_type(g))
    return np.where(mask, g, np.zeros((), np.result_type(g)))


def choose(mask: Any, a: Any, b: Any) -> Any:
    """``a`` where ``mask`` holds, else ``b`` (a select, as :func:`keep`), on raw numbers and nodes."""
    if _is_raw(a) and _is_raw(b):
        return (a if mask else b) if not isinstance(mask, np.ndarray) else np.where(mask, a, b)
    return keep(mask, a) + keep(np.logical_not(mask), b)


def _node_method(name: str, raw_fn: Callable) -> Callable:
    def f(x: Any, *args: Any) -> Any:
        if type(x) is np.ndarray or _is_raw(x):
            return raw_fn(x, *args)
        return getattr(x, name)(*args)

    f.__name__ = name
    return f


def _sum_to_array(x: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum the axes NumPy broadcasting added or stretched, giving a new array of ``shape``."""
    if type(x) is not np.ndarray:
        x = np.asarray(x)
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    if lead == 1 and x.shape[1:] == shape:      # a bias: one leading axis added
        return np.add.reduce(x, 0)
    stretched = tuple(i + lead for i, n in enumerate(shape) if n == 1 and x.shape[i + lead] != 1)
    if stretched:
        x = x.sum(axis=stretched, keepdims=True)
    if lead > 0:
        x = x.sum(axis=tuple(range(lead)))
    if x.shape != shape:
        raise ValueError(f"sum_to: a gradient of shape {x.shape} cannot be summed to shape {shape}")
    return x


def _scatter_array(g: np.ndarray, shape: tuple, index: Any) -> np.ndarray:
    out = np.zeros(shape, dtype=np.asarray(g).dtype)
    np.add.at(out, index, g)
    return out


def _kept_shape(shape: tuple, axis: tuple | None) -> tuple:
    if axis is None:
        return (1,) * len(shape)
    return tuple(1 if i in axis else n for i, n in enumerate(shape))


def _expand(g: Any, shape: tuple, axis: tuple | None, keepdims: bool) -> Any:
    """Put back the axes a reduction removed, so ``g`` broadcasts against its input."""
    return g if keepdims or axis is None else g.reshape(_kept_shape(shape, axis))


_SMALL = 4096   # elements: below this a filled array beats np.broadcast_to's ~2 µs setup


def _broadcast_array(x: Any, shape: tuple) -> np.ndarray:
    """x repeated to ``shape``: a new filled array when small, else np.broadcast_to's
    read-only view (which saves a pass over memory)."""
    if math.prod(shape) > _SMALL:
        return np.broadcast_to(x, shape)
    out = np.empty(shape, dtype=np.result_type(x))
    out[...] = x
    return out


broadcast_to = _node_method("broadcast_to", _broadcast_array)
sum_to = _node_method("sum_to", _sum_to_array)
scatter = _node_method("_scatter", _scatter_array)
permute = _node_method("permute", np.transpose)
cast = _node_method("to", lambda x, dtype: x.astype(dtype))
masked_fill = _node_method("masked_fill", lambda x, mask, value: np.where(mask, value, x))


# ---- elementwise binary ----------------------------------------------------

def passes(g: Any, y: Any, *xs: Any) -> Any:
    """The identity VJP: the input's gradient is the output's (as for ``a`` in ``a + b``).

    The scalar pass sees this function in the table and skips calling it.

    >>> passes(2.0, 7.0, 3.0, 4.0)
    2.0
    """
    return g


def times_b(g: Any, y: Any, a: Any, b: Any) -> Any:
    """The VJP of ``a`` in ``a * b``: the gradient times the other factor.

    With :func:`times_a`, mul's rule. The scalar pass sees the pair in the
    table and multiplies instead of making the two calls.

    >>> times_b(2.0, 12.0, 3.0, 4.0)
    8.0
    """
    return g * b


def times_a(g: Any, y: Any, a: Any, b: Any) -> Any:
    """The VJP of ``b`` in ``a * b``: the gradient times the other factor.

    >>> times_a(2.0, 12.0, 3.0, 4.0)
    6.0
    """
    return g * a


ADD = Op("add", operator.add, operator.add, (passes, passes), symbol="+")
SUB = Op("sub", operator.sub, operator.sub, (passes, lambda g, y, a, b: -g), symbol="-")
MUL = Op("mul", operator.mul, operator.mul, (times_b, times_a), symbol="*")
DIV = Op("div", _div, _array_div,
         (lambda g, y, a, b: div(g, b), lambda g, y, a, b: div(-g * y, b)), symbol="/")


def _pow_vjp_base(g: Any, y: Any, a: Any, b: Any) -> Any:
    """g * b * a**(b-1), and 0 where b == 0 (a**0 is constant, even at a = 0): PyTorch's
    ``where(b == 0, 0, g * b * a**(b-1))``, so the whole product is masked. A number
    exponent of 0 gives a constant zero, as PyTorch's ``x ** 0``."""
    if type(b) in (float, int) and b == 0:
        d = data_of(a)
        return np.zeros_like(d) if isinstance(d, np.ndarray) else 0.0
    return keep(np.not_equal(data_of(b), 0), g * b * power(a, b - 1))


def _pow_vjp_exponent(g: Any, y: Any, a: Any, b: Any) -> Any:
    """g * (a**b * log(a)), the local part 0 where a == 0 and b >= 0 (a**b is 0 or 1 there),
    as PyTorch's ``g * where(a == 0 & b >= 0, 0, y * log(a))``."""
    ad, bd = data_of(a), data_of(b)
    return g * keep(np.logical_not(np.equal(ad, 0) & np.greater_equal(bd, 0)), y * log(a))


POW = Op("pow", _pow, _array_pow, (_pow_vjp_base, _pow_vjp_exponent), symbol="**")

# ---- elementwise unary -----------------------------------------------------

NEG = Op("neg", operator.neg, operator.neg, (lambda g, y, x: -g,), symbol="-")
ABS = Op("abs", abs, np.abs, (lambda g, y, x: g * sign(x),))
EXP = Op("exp", _exp, np.exp, (lambda g, y, x: g * y,))
LOG = Op("log", _log, _array_log, (lambda g, y, x: div(g, x),))
SQRT = Op("sqrt", _sqrt, _array_sqrt, (lambda g, y, x: div(g * 0.5, y),))
TANH = Op("tanh", math.tanh, np.tanh, (lambda g, y, x: g * (1 - y * y),))
SIGMOID = Op("sigmoid", _sigmoid, _sigmoid_array, (lambda g, y, x: g * y * (1 - y),))
RELU = Op("relu", lambda x: 0.0 if x <= 0.0 else x, lambda x: np.maximum(x, 0), (_relu_vjp,))
LEAKY_RELU = Op("leaky_relu", lambda x, s: x if x > 0.0 else s * x,
                lambda x, s: np.where(x > 0, x, s * x),
                (lambda g, y, x, s: g * step(x, s),))
SIN = Op("sin", _sin, np.sin, (lambda g, y, x: g * cos(x),))
COS = Op("cos", _cos, np.cos, (lambda g, y, x: -g * sin(x),))
SOFTPLUS = Op("softplus", _softplus, _softplus_array,
              (lambda g, y, x: choose(data_of(x) > SOFTPLUS_THRESHOLD, g, g * sigmoid(x)),))

# ---- n-ary (scalar face): one node for a whole sum or dot product ----------

SUM = Op("sum", None, None, vjp_all=lambda g, y, *xs: (g,) * len(xs), symbol="Σ")


def _dot_vjp(g: Any, y: Any, *wxb: Any) -> list:
    """Inputs w1..wn, x1..xn and, when their count is odd, a bias b."""
    n = len(wxb) // 2
    grads = [g * x for x in wxb[n:2 * n]] + [g * w for w in wxb[:n]]
    if len(wxb) % 2:
        grads.append(g)
    return grads


def _dot_vjp_batch(G: np.ndarray, W: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``_dot_vjp`` for a grid of dot nodes: node (r, c) is ``W[c] . X[r]``.

    ``G[r, c]`` is that node's upstream gradient; returns the gradients of
    the rows of ``W`` and of ``X``: the same products g*x and g*w, summed by
    matrix products instead of one at a time.

    >>> dw, dx = _dot_vjp_batch(np.array([[2.0]]), np.array([[3.0, 4.0]]), np.array([[5.0, 6.0]]))
    >>> dw.tolist(), dx.tolist(), _dot_vjp(2.0, None, 3.0, 4.0, 5.0, 6.0)
    ([[10.0, 12.0]], [[6.0, 8.0]], [10.0, 12.0, 6.0, 8.0])
    """
    return G.T @ X, G @ W


DOT = Op("dot", None, None, vjp_all=_dot_vjp, vjp_batch=_dot_vjp_batch, symbol="·")
# a relu neuron in one node: dot's rules after relu's, read at the output (y > 0 exactly where the dot is)
DOT_RELU = Op("dot_relu", None, None, vjp_all=_dot_vjp, vjp_batch=_dot_vjp_batch,
              symbol="relu(·)", pre=lambda g, y, *wxb: RELU.vjps[0](g, y, y))


# ---- tensor face: shapes, reductions, matmul, indexing ----------------------

def _mT(x: Any) -> Any:
    return x.swapaxes(-1, -2)


def _col(x: Any) -> Any:      # (..., n) -> (..., n, 1)
    return x.reshape(x.shape + (1,))


def _row(x: Any) -> Any:      # (..., n) -> (..., 1, n)
    return x.reshape(x.shape[:-1] + (1, x.shape[-1]))


def _matmul_ga(g: Any, y: Any, a: Any, b: Any, *bias: Any) -> Any:
    """Gradient of ``a`` in ``a @ b``."""
    if b.ndim == 2 and a.ndim != 1:       # the common case first: .T is _mT for 2 dims
        return g @ b.T
    if b.ndim == 1:
        return g * b if a.ndim == 1 else _col(g) * b
    if a.ndim == 1:
        return (b * _row(g)).sum(-1)
    return g @ _mT(b)


def _matmul_gb(g: Any, y: Any, a: Any, b: Any, *bias: Any) -> Any:
    """Gradient of ``b`` in ``a @ b``."""
    if a.ndim == 2 and b.ndim != 1:
        return a.T @ g
    if b.ndim == 1:
        return g * a if a.ndim == 1 else _col(g) * a
    if a.ndim == 1:
        return _col(a) * _row(g)
    return _mT(a) @ g


def _max_vjp(g: Any, y: Any, x: Any, axis: tuple | None, keepdims: bool) -> Any:
    """Gradient of max/min: split evenly between tied extremes."""
    xd, yd = data_of(x), data_of(y)
    hit = xd == _expand(yd, xd.shape, axis, keepdims)
    share = hit / hit.sum(axis=axis, keepdims=True)
    return _expand(g, xd.shape, axis, keepdims) * share.astype(xd.dtype, copy=False)


# The reductions are the ufuncs' own: ndarray.max/.sum go through a Python wrapper each.
def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - np.maximum.reduce(x, axis=axis, keepdims=True))
    return e / np.add.reduce(e, axis=axis, keepdims=True)


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    z = x - np.maximum.reduce(x, axis=axis, keepdims=True)
    return z - np.log(np.add.reduce(np.exp(z), axis=axis, keepdims=True))


def _nll_array(lp: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return -(lp[np.arange(len(idx)), idx].sum() * (1.0 / len(idx)))


def _nll_vjp(g: Any, y: Any, lp: Any, idx: np.ndarray) -> Any:
    """``-g / n`` at each row's target entry, 0 elsewhere."""
    scale = g * (-1.0 / len(idx))
    x = data_of(lp)
    out = np.zeros(x.shape, x.dtype)
    rows = np.arange(len(idx))
    if _is_raw(scale):
        out[rows, idx] = scale
        return out
    out[rows, idx] = 1
    return out * scale


def _hinge_array(s: np.ndarray, t: Any) -> np.ndarray:
    margin = 1 - t * s
    return np.maximum(margin, 0).sum() * (1.0 / margin.size)


def _hinge_vjp(g: Any, s: Any, t: Any, other: Any) -> Any:
    """``g * -other / n`` where the margin ``1 - t*s`` is positive (``t*s < 1``), else 0;
    ``other`` is t for the gradient of s, s for that of t. The mask is data, as relu's
    derivative is."""
    if type(s) is np.ndarray and type(t) is np.ndarray:    # a plain pass: g is raw too
        ts = t * s
        out = np.multiply(other, ts < 1, dtype=ts.dtype)
        out *= g * (-1.0 / ts.size)
        return out
    ts = data_of(t) * data_of(s)
    active = ts < 1
    scale = g * (-1.0 / ts.size)
    if _is_raw(other) and _is_raw(g):
        out = np.multiply(other, active, dtype=ts.dtype)
        out *= scale
        return out
    return other * active.astype(ts.dtype) * scale


def _cat_vjp(g: Any, y: Any, *args: Any) -> tuple:
    axis, sizes = args[-2], args[-1]
    cuts = np.cumsum((0,) + tuple(sizes))
    lead = (slice(None),) * axis
    return tuple(g[lead + (slice(int(a), int(b)),)] for a, b in zip(cuts[:-1], cuts[1:]))


def _stack_vjp(g: Any, y: Any, *args: Any) -> tuple:
    axis, n = args[-2], args[-1]
    lead = (slice(None),) * axis
    return tuple(g[lead + (i,)] for i in range(n))


# linear is torch's F.linear(x, weight, bias): weight has shape (nout, nin), the layout
# of torch.nn.Linear, and is read through a transposed view (no copy).
def _linear_array(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.matmul(x, w.T)
    out += b                  # the product is new: add the bias in place
    return out


def _linear_relu_array(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = _linear_array(x, w, b)
    return np.maximum(out, 0, out=out)


def _linear_gx(g: Any, y: Any, x: Any, w: Any, b: Any) -> Any:
    """Gradient of ``x`` in linear's ``x @ w.T + b``: ``g @ w``.

    >>> _linear_gx(np.ones((4, 2)), None, None, np.arange(6.0).reshape(2, 3), None)[0]
    array([3., 5., 7.])
    """
    return g @ w


def _linear_gw(g: Any, y: Any, x: Any, w: Any, b: Any) -> Any:
    """Gradient of ``w`` in linear's ``x @ w.T + b``: ``g.T @ x``, summed over every batch axis.

    >>> _linear_gw(np.ones((4, 2)), None, np.ones((4, 3)), None, None)
    array([[4., 4., 4.],
           [4., 4., 4.]])
    """
    if x.ndim == 2:
        return g.T @ x
    if x.ndim == 1:
        return _col(g) * x
    return g.reshape((-1, g.shape[-1])).T @ x.reshape((-1, x.shape[-1]))


def _linear_gbias(g: Any, y: Any, x: Any, w: Any, b: Any) -> Any:
    """Gradient of ``b`` in linear's ``x @ w.T + b``: ``g`` summed to ``b``'s shape.

    >>> _linear_gbias(np.ones((4, 2)), None, None, None, np.zeros(2))
    array([4., 4.])
    """
    if type(g) is np.ndarray and g.ndim == 2:    # a batch of rows: sum_to's bias case, directly
        return np.add.reduce(g, 0)
    return sum_to(g, b.shape)


MATMUL = Op("matmul", None, np.matmul, (_matmul_ga, _matmul_gb), symbol="@")
LINEAR = Op("linear", None, _linear_array, (_linear_gx, _linear_gw, _linear_gbias))
# relu's rule read at the output: y = relu(z) is > 0 exactly where z is
LINEAR_RELU = Op("linear_relu", None, _linear_relu_array, LINEAR.vjps,
                 pre=lambda g, y, x, w, b: RELU.vjps[0](g, y, y))
SUM_AXIS = Op("sum_axis", None, lambda x, axis, keepdims: x.sum(axis=axis, keepdims=keepdims),
              (lambda g, y, x, axis, keepdims: broadcast_to(_expand(g, x.shape, axis, keepdims),
                                                            x.shape),), symbol="sum")
MAX = Op("max", None, lambda x, axis, keepdims: x.max(axis=axis, keepdims=keepdims), (_max_vjp,))
MIN = Op("min", None, lambda x, axis, keepdims: x.min(axis=axis, keepdims=keepdims), (_max_vjp,))
RESHAPE = Op("reshape", None, lambda x, shape: x.reshape(shape),
             (lambda g, y, x, shape: g.reshape(x.shape),))
TRANSPOSE = Op("transpose", None, lambda x, axes: x.transpose(axes),
               (lambda g, y, x, axes: permute(g, tuple(np.argsort(axes))),))
GETITEM = Op("getitem", None, lambda x, index: x[index],
             (lambda g, y, x, index: scatter(g, x.shape, index),), symbol="[]")
SCATTER = Op("scatter", None, _scatter_array, (lambda g, y, x, shape, index: g[index],))
BROADCAST_TO = Op("broadcast_to", None, np.broadcast_to,
                  (lambda g, y, x, shape: sum_to(g, x.shape),))
SUM_TO = Op("sum_to", None, _sum_to_array, (lambda g, y, x, shape: broadcast_to(g, x.shape),))
SOFTMAX = Op("softmax", None, _softmax,
             (lambda g, y, x, axis: y * (g - (g * y).sum(axis=axis, keepdims=True)),))
LOG_SOFTMAX = Op("log_softmax", None, _log_softmax,
                 (lambda g, y, x, axis: g - exp(y) * g.sum(axis=axis, keepdims=True),))
NLL = Op("nll", None, _nll_array, (_nll_vjp,))
HINGE = Op("hinge", None, _hinge_array,
            (lambda g, y, s, t: _hinge_vjp(g, s, t, t), lambda g, y, s, t: _hinge_vjp(g, s, t, s)))
KEEP = Op("keep", lambda x, mask: x if mask else 0.0, lambda x, mask: keep(mask, x),
          (lambda g, y, x, mask: keep(mask, g),))
CAT = Op("cat", None, None, vjp_all=_cat_vjp)
STACK = Op("stack", None, None, vjp_all=_stack_vjp)


# ---- tensor face: PyTorch's clamp, maximum/minimum, where, cast, vector norm --------------

def _clamp_vjp(g: Any, y: Any, x: Any, lo: Any, hi: Any) -> Any:
    """``g`` where ``lo <= x <= hi`` (both ends included, as PyTorch), else 0 (nan x: 0)."""
    xd = data_of(x)
    inside = np.ones(xd.shape, bool)
    if lo is not None:
        inside &= xd >= lo
    if hi is not None:
        inside &= xd <= hi
    return masked_fill(g, ~inside, 0.0)


def _extreme_vjp(g: Any, a: Any, b: Any, loses: Callable) -> Any:
    """Gradient of one input of maximum/minimum: ``g``, halved at ties, 0 where it ``loses``."""
    ad, bd = data_of(a), data_of(b)
    half = np.where(ad == bd, 0.5, 1.0).astype(np.result_type(data_of(g)), copy=False)
    return masked_fill(g * half, loses(ad, bd), 0.0)


def _norm_array(x: np.ndarray, p: float, axis: tuple | None, keepdims: bool) -> np.ndarray:
    if p == 2:
        return np.sqrt(np.add.reduce(x * x, axis=axis, keepdims=keepdims))
    return np.add.reduce(np.abs(x) ** p, axis=axis, keepdims=keepdims) ** (1.0 / p)


def _norm_vjp(g: Any, y: Any, x: Any, p: float, axis: tuple | None, keepdims: bool) -> Any:
    """PyTorch's rule: ``sign(x) |x|^(p-1) g / y^(p-1)``, and 0 where the norm ``y`` is 0."""
    xd = data_of(x)
    ye, ge = _expand(y, xd.shape, axis, keepdims), _expand(g, xd.shape, axis, keepdims)
    zero = data_of(ye) == 0
    scale = masked_fill(div(ge, masked_fill(ye, zero, 1.0) ** (p - 1)), zero, 0.0)
    if p == 2:
        return x * scale
    at0 = xd == 0
    return sign(xd) * masked_fill(masked_fill(abs(x), at0, 1.0) ** (p - 1), at0, 0.0) * scale


CLAMP = Op("clamp", None, lambda x, lo, hi: np.clip(x, lo, hi), (_clamp_vjp,))
MAXIMUM = Op("maximum", None, np.maximum,
             (lambda g, y, a, b: _extreme_vjp(g, a, b, np.less),
              lambda g, y, a, b: _extreme_vjp(g, a, b, np.greater)))
MINIMUM = Op("minimum", None, np.minimum,
             (lambda g, y, a, b: _extreme_vjp(g, a, b, np.greater),
              lambda g, y, a, b: _extreme_vjp(g, a, b, np.less)))
WHERE = Op("where", None, lambda a, b, cond: np.where(cond, a, b),
           (lambda g, y, a, b, cond: masked_fill(g, ~cond, 0.0),
            lambda g, y, a, b, cond: masked_fill(g, cond, 0.0)))
CAST = Op("cast", None, lambda x, dtype: x.astype(dtype), (lambda g, y, x, dtype: cast(g, x.dtype),))
NORM = Op("norm", None, _norm_array, (_norm_vjp,))
