"""Value: the scalar face of the engine (micrograd-compatible).

>>> import microgradx as mg
>>> x = mg.Value(2.0, label="x")
>>> y = (x * 3 + 1).tanh() ** 2 / x
>>> y.backward()
>>> round(x.grad, 6)
-0.249989
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from . import ops
from .autograd import HOOKS, MODE, Node

__all__ = ["Value", "sum", "dot"]

_new = object.__new__
_ADD, _MUL = ops.ADD, ops.MUL
_DOT = ops.DOT
_MODE = MODE.state


def _check_number(data: Any, what: str = "Value") -> float:
    if isinstance(data, Value):
        return data.data
    if isinstance(data, (bool, np.bool_)) or not isinstance(data, numbers.Real):
        if isinstance(data, numbers.Complex) and not isinstance(data, (bool, np.bool_)):
            raise TypeError(f"{what} needs a real number, got the complex number {data!r}")
        raise TypeError(
            f"{what} needs a real number (int or float), got {type(data).__name__} {data!r}; "
            "for arrays use mg.Tensor"
        )
    return float(data)


def _node(data: float, op: ops.Op | None = None, a: Any = None, b: Any = None,
          ctx: tuple | None = None, gen: int = 0) -> Value:
    """A leaf or an n-ary node (ops of one or two inputs: :func:`_apply`); a leaf when ``op`` is None
    or no graph is recorded.

    >>> _node(2.0).is_leaf
    True
    """
    v = _new(Value)
    v.data, v.grad, v.label, v._g = data, 0.0, "", None
    record = _MODE.get()[0] if op is not None else 0
    if not record:
        v._op = v._a = v._b = v._ctx = None
        v._gen = 0
        return v
    v._op, v._a, v._b, v._ctx, v._gen = op, a, b, ctx, gen
    if record == 2:
        HOOKS["forward"](v)
    return v


def _apply(op: ops.Op, x: Value, other: Any = None, params: tuple = ()) -> Value:
    """The node of ``op`` on ``x`` and ``other``: a Value (a binary node), a number (saved
    with the node, in ``_ctx``, before any ``params``) or None (a unary op). As
    :func:`_node`, written out: every arithmetic op of every Value graph passes here.

    >>> _apply(ops.MUL, Value(3.0), 4).data
    12.0
    """
    v = _new(Value)
    v.grad, v.label, v._g = 0.0, "", None
    if type(other) is Value:
        if op is _MUL:            # + and * written out (speed only): they make most nodes of a net
            v.data = x.data * other.data
        elif op is _ADD:
            v.data = x.data + other.data
        else:
            v.data = op.scalar(x.data, other.data, *params)
        v._b, v._ctx = other, params or None
        gen = x._gen if x._gen > other._gen else other._gen
    elif other is None:
        v.data = op.scalar(x.data, *params) if params else op.scalar(x.data)
        v._b, v._ctx = None, params or None
        gen = x._gen
    else:                         # a number operand (the common ones written without a call)
        c = other if type(other) is float else _number(other)
        v.data = op.scalar(x.data, c, *params) if params else op.scalar(x.data, c)
        v._b, v._ctx = None, ((c, *params) if params else (c,))
        gen = x._gen
    record = _MODE.get()[0]
    if record:
        v._op, v._a, v._gen = op, x, gen + 1
        if record == 2:
            HOOKS["forward"](v)
    else:
        v._op = v._a = v._b = v._ctx = None
        v._gen = 0
    return v


def _make(data: float, prev: tuple, op: ops.Op, ctx: tuple | None = None) -> Value:
    """A node of any number of inputs (n-ary ops, user Functions), ``data`` computed."""
    return _node(data, op, tuple(prev), None, ctx, max([p._gen for p in prev]) + 1)


def _leaf(data: float) -> Value:
    return _node(data)


def _number(x: Any) -> float:
    if type(x) is float:
        return x
    return _check_number(x, "an operand of a Value")


def _lift(x: Any) -> Value:
    """A Value for x: x itself if it is one, else a constant leaf."""
    if type(x) is Value:
        return x
    if type(x) is float:
        return _leaf(x)
    return _leaf(_check_number(x, "an operand of a Value"))


class Value(Node):
    """One number that records the operations applied to it.

    ``.grad`` is a float (a Value after ``backward(create_graph=True)``);
    gradients accumulate across ``backward()`` calls — reset with
    ``zero_grad()``. Comparisons compare ``.data`` and build no graph.

    >>> a = Value(2.0); b = Value(-3.0)
    >>> c = a * b + b ** 2
    >>> c.backward(); (a.grad, b.grad)
    (-3.0, -4.0)
    """

    __slots__ = ("_g", "_next")    # the fast pass's state while it runs (microgradx/fast.py)
    _scalar_face = True

    def __init__(self, data: Any, _children: tuple = (), _op: str = "", label: str = "") -> None:
        self.data = _check_number(data)
        self.grad = 0.0
        self.label = label
        self._op = self._a = self._b = self._ctx = self._g = None
        self._gen = 0
        if _children:
            raise ValueError("Value(...) makes a leaf; build graphs with operations")

    # ---- arithmetic: each op one line, its node built by _apply ----------------
    def __add__(self, other: Any) -> Value:
        return _apply(ops.ADD, self, other)

    def __mul__(self, other: Any) -> Value:
        return _apply(ops.MUL, self, other)

    def __sub__(self, other: Any) -> Value:
        return _apply(ops.SUB, self, other)

    def __truediv__(self, other: Any) -> Value:
        return _apply(ops.DIV, self, other)

    def __pow__(self, other: Any) -> Value:
        exponent = other if type(other) is Value else _check_number(other, "the exponent of **")
        return _apply(ops.POW, self, exponent)

    __radd__ = __add__
    __rmul__ = __mul__

    def __rsub__(self, other: Any) -> Value:
        return _lift(other) - self

    def __rtruediv__(self, other: Any) -> Value:
        return _lift(other) / self

    def __rpow__(self, other: Any) -> Value:
        return _lift(other) ** self

    def __neg__(self) -> Value:
        return _apply(ops.NEG, self)

    def __abs__(self) -> Value:
        return _apply(ops.ABS, self)

    def __pos__(self) -> Value:
        return self

    def exp(self) -> Value:
        """e**x.

        >>> Value(0.0).exp().data
        1.0
        """
        return _apply(ops.EXP, self)

    def log(self) -> Value:
        """Natural log; -inf at 0 and nan below (as NumPy).

        >>> Value(1.0).log().data
        0.0
        """
        return _apply(ops.LOG, self)

    def sqrt(self) -> Value:
        """Square root.

        >>> Value(9.0).sqrt().data
        3.0
        """
        return _apply(ops.SQRT, self)

    def tanh(self) -> Value:
        """Hyperbolic tangent.

        >>> Value(0.0).tanh().data
        0.0
        """
        return _apply(ops.TANH, self)

    def sigmoid(self) -> Value:
        """1 / (1 + e**-x), stable for any x.

        >>> Value(0.0).sigmoid().data
        0.5
        """
        return _apply(ops.SIGMOID, self)

    def relu(self) -> Value:
        """max(x, 0); its derivative at exactly 0 is taken as 0 (as PyTorch).

        >>> Value(-2.0).relu().data
        0.0
        """
        return _apply(ops.RELU, self)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """x for x > 0, else slope * x.

        >>> Value(-2.0).leaky_relu(0.1).data
        -0.2
        """
        return _apply(ops.LEAKY_RELU, self, None, (_check_number(slope, "leaky_relu slope"),))

    def sin(self) -> Value:
        """Sine.

        >>> Value(0.0).sin().data
        0.0
        """
        return _apply(ops.SIN, self)

    def cos(self) -> Value:
        """Cosine.

        >>> Value(0.0).cos().data
        1.0
        """
        return _apply(ops.COS, self)

    def softplus(self) -> Value:
        """log(1 + e**x), stable for any x.

        >>> round(Value(0.0).softplus().data, 4)
        0.6931
        """
        return _apply(ops.SOFTPLUS, self)

    # ---- plain-number behaviour (no graph) ---------------------------------
    def __lt__(self, other: Any) -> bool:
        return self.data < _check_number(other)

    def __le__(self, other: Any) -> bool:
        return self.data <= _check_number(other)

    def __gt__(self, other: Any) -> bool:
        return self.data > _check_number(other)

    def __ge__(self, other: Any) -> bool:
        return self.data >= _check_number(other)

    # == is identity (object's), as micrograd: parameters work in lists, sets and dicts.
    __hash__ = object.__hash__

    def __float__(self) -> float:
        if self._op is not None:        # the graph ends here: say so, as PyTorch does
            warnings.warn("float(v) (and math.exp(v) etc.) of a Value computed by ops drops its "
                          "gradient; use the Value's own ops (v.exp()) to stay in the graph, or v.item() "
                          "for a plain number", UserWarning, stacklevel=2)
        return float(self.data)

    def __bool__(self) -> bool:
        return bool(self.data)

    def item(self) -> float:
        """The number as a Python float.

        >>> Value(2).item()
        2.0
        """
        return float(self.data)

    def zero_grad(self) -> None:
        """Set ``grad`` back to 0 (gradients accumulate otherwise)."""
        self.grad = 0.0

    def detach(self) -> Value:
        """A new leaf with the same data and no history."""
        return _lift(float(self.data))

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        op = f", op={self._op.name!r}" if self._op is not None else ""
        return f"Value(data={self.data:.6g}, grad={_fmt(self.grad)}{op}{label})"

    # ---- hooks used by the graph core ---------------------------------------
    def _keep(self, mask: Any) -> Value:      # ops.keep on a graph node (a zero still flows back)
        return _apply(ops.KEEP, self, None, (bool(mask),))

    def _seed(self, grad: Any) -> Any:
        if grad is None:
            return 1.0
        if isinstance(grad, Value):
            return grad
        return _check_number(grad, "backward(grad)")

    def _lift(self, g: Any, detached: bool = False) -> Value:
        return g.detach() if detached and isinstance(g, Value) else _lift(g)

    def _fit_grad(self, g: Any, upstream: Any) -> Any:
        return g

    def _store_grad(self, g: Any) -> None:
        self.grad = self.grad + g


def _fmt(g: Any) -> str:
    return f"{g:.6g}" if isinstance(g, float) else repr(g)


def sum(values: Iterable[Any]) -> Value:  # noqa: A001 - mirrors mg.sum in the design
    """The sum of many Values as one graph node (not n-1 additions).

    >>> xs = [Value(1.0), Value(2.0), Value(3.0)]
    >>> s = sum(xs); s.backward(); s.data, xs[0].grad
    (6.0, 1.0)
    """
    vs = tuple(v if type(v) is Value else _lift(v) for v in values)
    if not vs:
        raise ValueError("mg.sum() needs at least one value")
    return _make(_exact_sum([v.data for v in vs]), vs, ops.SUM)


def _exact_sum(terms: list[float]) -> float:
    """The correctly rounded sum (``math.fsum``); where fsum refuses (inf - inf,
    an overflow on the way) the sum that + gives: nan or an infinity."""
    try:
        return math.fsum(terms)
    except (ValueError, OverflowError):
        total = 0.0
        for t in terms:
            total += t
        return total


def dot(ws: Sequence[Any], xs: Sequence[Any], bias: Any = None, activation: str | None = None) -> Value:
    """sum(w_i * x_i) (+ bias) as one graph node: a whole neuron's weighted input.

    ``activation="relu"`` makes the node a whole relu neuron (``dot_relu``).

    >>> w = [Value(1.0), Value(2.0)]
    >>> d = dot(w, [3.0, 4.0]); d.backward(); d.data, w[1].grad
    (11.0, 4.0)
    >>> dot(w, [3.0, 4.0], bias=0.5).data, dot(w, [-3.0, 1.0], activation="relu").data
    (11.5, 0.0)
    """
    if activation is None:
        op = ops.DOT
    elif isinstance(activation, str) and activation == "relu":
        op = ops.DOT_RELU
    else:
        raise ValueError(f"mg.dot: activation must be None or 'relu', got {activation!r}")
    ws = values(ws)
    xs = values(xs)
    if len(ws) != len(xs):
        raise ValueError(f"mg.dot needs equal lengths, got {len(ws)} weights and {len(xs)} inputs")
    if not ws:
        raise ValueError("mg.dot() needs at least one pair")
    xs_data = [x.data for x in xs]
    if bias is not None:
        ws = (*ws, bias if type(bias) is Value else _lift(bias))
        xs_data.append(1.0)
    return _dot_node(ws, max([w._gen for w in ws]), xs, xs_data, max([x._gen for x in xs]), op)


def values(items: Iterable[Any]) -> tuple:
    """``items`` as a tuple of Values, numbers made into constant leaves.

    >>> [v.data for v in values([1, Value(2.0)])]
    [1.0, 2.0]
    """
    vs = tuple(items)
    for v in vs:
        if type(v) is not Value:
            return tuple(v if type(v) is Value else _lift(v) for v in vs)
    return vs


def _dot_node(wb: tuple, wb_gen: int, xs: tuple, xs_data: list, xs_gen: int, op: ops.Op = ops.DOT) -> Value:
    """The dot node of weights ``wb`` and inputs ``xs`` (tuples of Values), given
    what a layer's neurons share: the inputs' data and each side's largest
    generation. A bias is the last of ``wb``, one longer than ``xs``; its
    partner in ``xs_data`` is a 1.0. ``op`` is ``ops.DOT`` or ``ops.DOT_RELU``
    (a whole relu neuron).

    The node keeps ``(wb, xs)`` as they are, so the dot nodes of a layer hold
    the same two tuples: the backward pass can take them as one matrix product.

    >>> xs = (Value(3.0), Value(4.0))
    >>> _dot_node((Value(1.0), Value(2.0), Value(0.5)), 0, xs, [3.0, 4.0, 1.0], 0).data
    11.5
    >>> _dot_node((Value(-1.0), Value(0.0)), 0, xs, [3.0, 4.0], 0, ops.DOT_RELU).data
    0.0
    """
    terms = [w.data * x for w, x in zip(wb, xs_data)]
    try:
        data = math.fsum(terms)         # _exact_sum written out: a layer makes one dot node per neuron
    except (ValueError, OverflowError):
        data = _exact_sum(terms)
    if op is not _DOT and data <= 0.0:                    # relu's forward, nan kept
        data = 0.0
    return _node(data, op, (wb, xs), None, None, (wb_gen if wb_gen > xs_gen else xs_gen) + 1)
