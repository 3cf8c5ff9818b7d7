"""Find the op whose own derivative rule is wrong: the engine behind ``gradcheck(..., blame=True)``.

Each node of a graph is checked on its own: the engine's step hook
(:func:`microgradx.backward_steps`) gives the vector-Jacobian product the
node's rule sends to each input for the upstream gradient it really gets;
the numeric side re-runs just that node's forward (the op's ``scalar`` /
``array`` function with its saved parameters, or a Function's ``forward``)
with one input element moved by +-eps. Nodes are checked leaves-up, so the
first failure named is the op nearest the inputs; since every node is
compared with its own upstream gradient, nodes downstream of a wrong rule
are not blamed for it.

Near a kink (relu at 0, abs at 0, max at a tie) the two one-sided slopes
differ; there an analytic value between them (a subgradient) is accepted
and the element is listed in ``notes`` instead of blamed.

>>> import microgradx as mg
>>> class Twice(mg.Function):          # d(2x)/dx is 2, not 3
...     @staticmethod
...     def forward(ctx, x):
...         return x * 2
...     @staticmethod
...     def backward(ctx, g):
...         return g * 3
>>> x = mg.Value(0.5, label="x")
>>> report = find_culprit(Twice.apply(x.tanh()) + 1)
>>> report.culprit.op, report.culprit.analytic, round(report.culprit.numeric, 6)
('Twice', 3.0, 2.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import ops
from .autograd import Node, backward_steps, no_grad, topological_order
from .function import Context, Function
from .tensor import Tensor
from .value import Value

__all__ = ["Culprit", "BlameReport", "find_culprit", "forward_of"]


@dataclass(frozen=True)
class Culprit:
    """A node whose own rule disagrees with its forward, for one of its inputs.

    ``op`` is the op name (or the Function class), ``inputs`` describes each
    input (label, value or shape), ``input_index`` says which input's gradient
    is wrong, ``element`` the worst element of it; ``analytic`` is what the
    rule sent, ``numeric`` the central difference of the node's forward.

    >>> Culprit("exp", "y", ("x = 1",), 0, (), 1.0, 2.7183, 1.7183, 0.63).where
    "exp node 'y', input 0 (x = 1)"
    """

    op: str
    label: str
    inputs: tuple[str, ...]
    input_index: int
    element: tuple
    analytic: float
    numeric: float
    abs_error: float
    rel_error: float
    upstream: float | None = None

    @property
    def where(self) -> str:
        """The node and the input, in words."""
        node = f"{self.op} node" + (f" {self.label!r}" if self.label else "")
        return f"{node}, input {self.input_index} ({self.inputs[self.input_index]})"

    def __str__(self) -> str:
        at = "" if self.element == () else f" element {list(self.element)}"
        up = "" if self.upstream is None else f" for an upstream gradient of {self.upstream:.6g}"
        return (f"{self.where}{at}{up}: its backward gives {self.analytic:.6g}, its forward says "
                f"{self.numeric:.6g} (abs error {self.abs_error:.3g}, rel error {self.rel_error:.3g}); "
                f"inputs: {', '.join(self.inputs)}")


@dataclass
class BlameReport:
    """Every node checked on its own: the ``culprit`` (first wrong rule, leaves-up) or None.

    ``wrong`` lists every node whose rule failed, in the order checked;
    ``notes`` says what was tolerated or could not be checked (kinks, ops
    without a forward).

    >>> BlameReport(checked=3).culprit is None
    True
    """

    checked: int = 0
    wrong: list[Culprit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def culprit(self) -> Culprit | None:
        """The first node (nearest the inputs) whose own rule is wrong."""
        return self.wrong[0] if self.wrong else None

    def __str__(self) -> str:
        head = (f"blame: {self.culprit}" if self.culprit else
                f"blame: each of the {self.checked} ops' own rules agrees with its forward")
        return "\n".join([head, *(f"  note: {n}" for n in self.notes)])


def _nary_forward(name: str) -> Callable[..., Any] | None:
    """Forwards of the n-ary ops whose table entry has none (their nodes are built in value/tensor)."""
    def dot(*wxb: Any) -> Any:
        n = len(wxb) // 2
        return math.fsum([w * x for w, x in zip(wxb[:n], wxb[n:2 * n])] + list(wxb[2 * n:]))

    table: dict[str, Callable[..., Any]] = {
        "sum": lambda *xs: math.fsum(xs),
        "dot": dot,
        "dot_relu": lambda *wxb: max(dot(*wxb), 0.0),
        "cat": lambda *a: np.concatenate(a[:-2], axis=a[-2]),
        "stack": lambda *a: np.stack(a[:-2], axis=a[-2]),
    }
    return table.get(name)


def _function_class(op: ops.Op) -> type[Function] | None:
    """The Function subclass a node's op was made for, or None for a primitive op."""
    found = getattr(op, "function", None)
    if isinstance(found, type) and issubclass(found, Function):
        return found
    for cell in getattr(op.vjp_all, "__closure__", None) or ():
        c = cell.cell_contents
        if isinstance(c, type) and issubclass(c, Function):
            return c
    todo = list(Function.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls.__dict__.get("_op") is op:
            return cls
        todo.extend(cls.__subclasses__())
    return None


def forward_of(node: Node) -> tuple[str, Callable[..., Any]] | None:
    """(name, forward) of the op that made ``node``: forward maps raw input data to raw output data.

    The forward takes the parents' data then the node's saved parameters,
    as the op's VJPs do. None for a leaf or an op with no known forward.

    >>> import microgradx as mg
    >>> name, f = forward_of(mg.Value(2.0).exp()); name, round(f(0.0), 3)
    ('exp', 1.0)
    """
    op = node._op
    if op is None:
        return None
    cls = _function_class(op)
    if cls is not None:
        face = Value if node._scalar_face else Tensor
        n_inputs = len(node.parents)         # what follows them in args is the node's saved context

        def run(*args: Any) -> Any:
            with no_grad():
                out = cls.forward(Context(), *(face(a) for a in args[:n_inputs]))
            return ops.data_of(out)

        return cls.__name__, run
    fn = op.scalar if node._scalar_face else op.array
    fn = fn or _nary_forward(op.name)
    return None if fn is None else (op.name, fn)


def _describe(p: Node, k: int) -> str:
    name = p.label or (f"the {p.op} result" if p.op else f"unlabelled input {k}")
    if isinstance(p.data, np.ndarray) and p.data.ndim > 0:
        return f"{name}: shape {p.data.shape}"
    return f"{name} = {float(p.data):.6g}"


def _dot(u: Any, y: Any) -> float:
    return float(np.sum(np.asarray(u, dtype=np.float64) * np.asarray(y, dtype=np.float64)))


def _numeric(fn: Callable[..., Any], args: list, i: int, u: Any, eps: float) -> tuple[np.ndarray, ...]:
    """Central, forward and backward differences of <u, fn(args)> w.r.t. each element of args[i]."""
    x = args[i]
    base = np.array(x, dtype=np.float64)
    flat = base.reshape(-1)
    central, fwd, bwd = (np.empty(flat.size) for _ in range(3))
    f0 = _dot(u, fn(*args))

    def at(j: int, t: float) -> float:
        moved = flat.copy()
        moved[j] = t
        moved_x = float(moved[0]) if not isinstance(x, np.ndarray) else moved.reshape(base.shape).astype(
            x.dtype if x.dtype.kind == "f" else np.float64)
        return _dot(u, fn(*args[:i], moved_x, *args[i + 1:]))

    for j in range(flat.size):
        up, down = at(j, flat[j] + eps), at(j, flat[j] - eps)
        central[j], fwd[j], bwd[j] = (up - down) / (2 * eps), (up - f0) / eps, (f0 - down) / eps
    return central, fwd, bwd


def find_culprit(output: Node, grad: Any = None, eps: float = 1e-6, atol: float = 1e-5,
                 rtol: float = 1e-3) -> BlameReport:
    """Check every node's own rule below ``output``, leaves-up; report the first wrong one.

    ``grad`` seeds a non-scalar Tensor output (default: a fixed pseudo-random
    array, so that no rule hides behind a zero or symmetric seed).

    >>> import microgradx as mg
    >>> x = mg.Value(0.3, label="x")
    >>> r = find_culprit((x * 2).tanh()); r.culprit is None, r.checked
    (True, 2)
    """
    if grad is None and isinstance(output, Tensor) and np.size(output.data) != 1:
        grad = np.random.default_rng(0).standard_normal(output.shape).astype(output.dtype)
    by_node: dict[int, list] = {}
    for s in backward_steps(output, grad):
        by_node.setdefault(id(s.node), []).append(s)
    report = BlameReport()
    with np.errstate(all="ignore"):
        for node in reversed(topological_order([output])):
            steps = by_node.get(id(node))
            if not steps:
                continue
            known = forward_of(node)
            if known is None:
                report.notes.append(f"{node.op} node {node.label!r}: no forward to re-run; not checked")
                continue
            name, fn = known
            report.checked += 1
            parents = node.parents
            args = [p.data for p in parents] + list(node._ctx or ())
            described = tuple(_describe(p, k) for k, p in enumerate(parents))
            for s in steps:
                wrong = _check_step(name, node, fn, args, s, described, eps, atol, rtol, report.notes)
                if wrong is not None:
                    report.wrong.append(wrong)
                    break
    return report


def _check_step(name: str, node: Node, fn: Callable[..., Any], args: list, step: Any,
                described: tuple[str, ...], eps: float, atol: float, rtol: float,
                notes: list[str]) -> Culprit | None:
    central, fwd, bwd = _numeric(fn, args, step.index, step.upstream, eps)
    analytic = np.asarray(ops.data_of(step.contribution), dtype=np.float64).reshape(-1)
    if analytic.size == 1 and central.size != 1:
        analytic = np.broadcast_to(analytic, central.shape)
    err = np.abs(analytic - central)
    bad = np.isnan(err) | (err > atol + rtol * np.abs(central))
    lo, hi = np.minimum(fwd, bwd), np.maximum(fwd, bwd)
    kink = (hi - lo) > atol + rtol * np.abs(central) + 1e3 * eps * (1 + np.abs(central))
    between = (analytic >= lo - atol - rtol * np.abs(lo)) & (analytic <= hi + atol + rtol * np.abs(hi))
    tolerated = bad & kink & between
    label = f"{name} node" + (f" {node.label!r}" if node.label else "")
    shape = np.shape(args[step.index])
    for j in np.flatnonzero(tolerated):
        el = tuple(int(i) for i in np.unravel_index(j, shape)) if shape else ()
        notes.append(f"{label}, input {step.index}{' element ' + str(list(el)) if el else ''}: within "
                     f"eps={eps:g} of a kink (one-sided slopes {bwd[j]:.6g} and {fwd[j]:.6g}); "
                     f"analytic {analytic[j]:.6g} lies between them, not blamed")
    bad &= ~tolerated
    if not bad.any():
        return None
    ratio = np.where(bad, np.nan_to_num(err / (atol + rtol * np.abs(central)), nan=np.inf), -1.0)
    j = int(np.argmax(ratio))
    el = tuple(int(i) for i in np.unravel_index(j, shape)) if shape else ()
    rel = err[j] / max(abs(analytic[j]), abs(central[j]), atol or 1e-300)
    up = float(step.upstream) if np.size(step.upstream) == 1 else None
    return Culprit(name, node.label, described, step.index, el, float(analytic[j]), float(central[j]),
                   float(err[j]), float(rel), up)
