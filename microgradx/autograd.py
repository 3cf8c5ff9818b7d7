"""The reference engine: grad mode, the graph node, the topological order and backward.

A node records the op that made it (``_op``, an entry of :mod:`microgradx.ops`), its inputs (``_a``,
``_b``), the op's plain parameters (``_ctx``) and its generation (``_gen``: 0 for a leaf, else one more
than its deepest input). No closures, so a graph has no reference cycles. Backward is micrograd's loop::

    for node in topological_order(roots):          # outputs first
        g = grads.pop(node)                        # d(root)/d(node), complete now
        for parent, gp in zip(parents, vjps(node, g)):
            grads[parent] += gp                    # the chain rule, one edge
The gradients live in a dict of the pass, never on the nodes: an interrupted
pass leaves nothing behind, and threads share no pass state."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from operator import attrgetter
from typing import Any

import numpy as np

__all__ = ["Node", "parents_of", "link", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "topological_order", "backward", "grad", "backward_steps", "Step", "HOOKS"]


# HOOKS are filled from above at import (anomaly.py's checks, fast.py's pass); the core works without them.
class _Mode:
    """Grad mode, per thread as PyTorch's: a ContextVar, which each thread (and asyncio task) holds apart.
    ``state.get()`` is (record, grad, anomaly); record: 0 no graph, 1 record, 2 also check for NaN/Inf."""
    state = ContextVar("microgradx_grad_mode", default=(1, True, 0))
    grad, anomaly = property(lambda self: self.state.get()[1]), property(lambda self: self.state.get()[2])

    def set(self, grad: bool, anomaly: int) -> None:
        self.state.set(((2 if anomaly else 1) if grad else 0, grad, anomaly))


MODE = _Mode()
HOOKS: dict[str, Callable[..., Any] | None] = {"forward": None, "backward": None, "fast_pass": None}


def is_grad_enabled() -> bool:
    """True when new operations are recorded into a graph (in this thread).

    >>> is_grad_enabled()
    True"""
    return MODE.grad


class set_grad_enabled:  # noqa: N801 - PyTorch's name
    """Turn graph recording on or off in this thread: at once, or for a ``with`` block.

    >>> with set_grad_enabled(False):
    ...     is_grad_enabled()
    False"""

    def __init__(self, enabled: bool, _now: bool = True) -> None:
        self.enabled, self.before = bool(enabled), None
        if _now:
            self.__enter__()

    def __enter__(self) -> set_grad_enabled:
        if self.before is None:
            self.before = MODE.grad
            MODE.set(self.enabled, MODE.anomaly)
        return self

    def __exit__(self, *exc: Any) -> None:
        MODE.set(bool(self.before), MODE.anomaly)
        self.before = None

    def __call__(self, fn: Callable) -> Callable:        # as a decorator: fn runs in this mode
        def run(*args: Any, **kwargs: Any) -> Any:
            with type(self)(self.enabled, _now=False):
                return fn(*args, **kwargs)
        return run


def no_grad() -> set_grad_enabled:
    """A ``with`` block (or decorator) in which no graph is built, as ``torch.no_grad``.

    >>> with no_grad():
    ...     is_grad_enabled()
    False"""
    return set_grad_enabled(False, _now=False)


def enable_grad() -> set_grad_enabled:
    """A ``with`` block (or decorator) that records graphs again inside ``no_grad``.

    >>> with no_grad(), enable_grad():
    ...     is_grad_enabled()
    True"""
    return set_grad_enabled(True, _now=False)


class Node:
    """Base of Value and Tensor: data, grad, label and the recorded op. The faces say how a
    gradient is stored (``_store_grad``), fitted to the node (``_fit_grad``) and made a node (``_lift``).

    >>> import microgradx as mg
    >>> y = mg.Value(1.0) + 2; y.op, len(y.parents), y.is_leaf
    ('add', 1, False)"""

    __slots__ = ("data", "grad", "label", "_op", "_a", "_b", "_ctx", "_gen")
    requires_grad, _scalar_face = True, False

    op = property(lambda self: self._op.name if self._op else "", doc="The op that made it ('' for a leaf).")
    parents = property(lambda self: parents_of(self), doc="The nodes it was made from (() for a leaf).")
    is_leaf = property(lambda self: self._op is None, doc="True for a node made by the user, not by an op.")

    def backward(self, grad: Any = None, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(node) into ``.grad`` of every node below.

        >>> import microgradx as mg
        >>> x = mg.Value(2.0); (x ** 3).backward(); x.grad
        12.0"""
        backward([self], None if grad is None else [grad], create_graph=create_graph)


_GEN = attrgetter("_gen")


def parents_of(node: Node) -> tuple:
    """The nodes ``node`` was computed from, as a tuple (empty for a leaf).

    >>> import microgradx as mg
    >>> x = mg.Value(2.0); parents_of(x * 3) == (x,)
    True"""
    a, b = node._a, node._b
    if a is None:
        return ()
    if type(a) is tuple:
        if a and type(a[0]) is tuple:         # a dot node keeps (weights then any bias, inputs)
            wb, xs = a
            return wb + xs if len(wb) == len(xs) else wb[:-1] + xs + wb[-1:]
        return a
    return (a,) if b is None else (a, b)


def link(node: Node, prev: tuple, op: Any, ctx: tuple | None) -> None:
    """Record in ``node`` that ``op`` made it from the nodes ``prev`` (and parameters ``ctx``).

    >>> import microgradx as mg
    >>> x = mg.Value(2.0); y = mg.Value(6.0)
    >>> link(y, (x,), mg.ops.NEG, None); y.parents == (x,), y._gen
    (True, 1)"""
    node._op, node._ctx = op, ctx
    if len(prev) > 2 or op.vjp_all is not None:
        node._a, node._b = prev, None
    else:
        node._a, node._b = prev[0], (prev[1] if len(prev) == 2 else None)
    node._gen = max(map(_GEN, prev)) + 1 if prev else 0


def topological_order(roots: Iterable[Node]) -> list[Node]:
    """Every node reachable from ``roots``, each before the nodes it was made from: an input's
    generation is smaller than its node's, so highest generation first is such an order.

    >>> import microgradx as mg
    >>> x = mg.Value(1.0); z = x * 2 + 1
    >>> [n.op for n in topological_order([z])]
    ['add', 'mul', '']"""
    seen: dict[int, Node] = {}
    stack = list(roots)
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen[id(node)] = node
            stack.extend(parents_of(node))
    return sorted(seen.values(), key=_GEN, reverse=True)


def input_grads(node: Node, g: Any, graph: bool = False) -> list[Any]:
    """The chain rule at one node: the gradient each input gets from upstream ``g`` (None for an
    input that needs none), by the op's VJPs; with ``graph`` run on the nodes, so differentiable.

    >>> import microgradx as mg
    >>> a, b = mg.Value(3.0), mg.Value(4.0)
    >>> input_grads(a * b, 2.0)
    [8.0, 6.0]"""
    op, prev = node._op, parents_of(node)
    y, args = (node, list(prev)) if graph else (node.data, [p.data for p in prev])
    args.extend(node._ctx or ())
    if op.pre is not None:
        g = op.pre(g, y, *args)
    if op.vjp_all is not None:       # n-ary and user ops: results may be held elsewhere (upstream None)
        grads, up = op.vjp_all(g, y, *args), None
    else:
        grads, up = [vjp(g, y, *args) if p.requires_grad else None for p, vjp in zip(prev, op.vjps)], g
    return [p._fit_grad(gp, up) if p.requires_grad and gp is not None else None for p, gp in zip(prev, grads)]


def _seeds(roots: Sequence[Node], grads: Sequence[Any] | None, create_graph: bool) -> list[Any]:
    """The upstream gradient of each root (1 when not given), checked; a node under create_graph."""
    for r in roots:
        if not isinstance(r, Node):
            raise TypeError(f"backward() needs Value or Tensor outputs, got {type(r).__name__} {r!r}; "
                            "build it from mg.Value / mg.Tensor operations first")
    if grads is not None and len(grads) != len(roots):
        raise ValueError(f"backward: {len(grads)} gradient(s) for {len(roots)} output(s); give one each")
    given = [None] * len(roots) if grads is None else list(grads)
    seeds = [r._seed(g) for r, g in zip(roots, given)]
    if create_graph:          # a given node stays one, so the result is differentiable in it too
        return [g if isinstance(g, Node) else r._lift(s) for r, g, s in zip(roots, given, seeds)]
    return [s.data if isinstance(s, Node) else s for s in seeds]


def backward(roots: Sequence[Node], grads: Sequence[Any] | None = None, create_graph: bool = False,
             inputs: Sequence[Node] | None = None,
             on_step: Callable[[Node, Node, int, Any, Any], None] | None = None) -> list[Any] | None:
    """The backward driver: the chain rule over the graph, once per edge. ``grads``: the roots'
    upstream gradients (1 when omitted). Gradients are added to ``.grad`` (of Values, of leaf
    Tensors that require grad), or, given ``inputs``, returned for those with ``.grad`` left alone.
    ``on_step(node, input, index, upstream, contribution)`` sees every edge in order (the step hook).

    >>> import microgradx as mg
    >>> x = mg.Value(3.0)
    >>> backward([x * x], inputs=[x])
    [6.0]"""
    seeds = _seeds(roots, grads, create_graph)
    fast = HOOKS["fast_pass"]            # it may decline (and mg.use_fast_paths(False) makes it)
    if fast and not (create_graph or inputs is not None or on_step or MODE.anomaly) and fast(roots, seeds):
        return None
    found, pending = {id(n): None for n in inputs or ()}, {}     # by id(node): gradients so far
    for r, s in zip(roots, seeds):
        pending[id(r)] = s if id(r) not in pending else pending[id(r)] + s
    check = HOOKS["backward"] if MODE.anomaly else None
    with set_grad_enabled(create_graph), np.errstate(all="ignore"):
        for node in topological_order(roots):
            g = pending.pop(id(node), None)
            if g is None:
                continue
            if inputs is None:
                node._store_grad(g)
            elif id(node) in found:
                found[id(node)] = g
            if node._op is None:
                continue
            for i, (p, gp) in enumerate(zip(parents_of(node), input_grads(node, g, create_graph))):
                if gp is None:
                    continue
                if check is not None:
                    check(node, p, gp, g)
                if on_step is not None:
                    on_step(node, p, i, g, gp)
                pending[id(p)] = gp if id(p) not in pending else pending[id(p)] + gp
    return None if inputs is None else [found[id(n)] for n in inputs]


def grad(outputs: Node | Sequence[Node], inputs: Node | Sequence[Node], grad_outputs: Any = None,
         create_graph: bool = False, allow_unused: bool = False) -> tuple:
    """Gradients of ``outputs`` with respect to ``inputs``, like ``torch.autograd.grad``; ``.grad``
    is left alone. With ``create_graph=True`` the results are nodes that can be differentiated again.

    >>> import microgradx as mg
    >>> x = mg.Value(2.0)
    >>> gx, = mg.grad(x ** 3, [x], create_graph=True)
    >>> gx.data, mg.grad(gx, [x])[0].data
    (12.0, 12.0)"""
    outs = [outputs] if isinstance(outputs, Node) or not isinstance(outputs, Iterable) else list(outputs)
    ins = [inputs] if isinstance(inputs, Node) or not isinstance(inputs, Iterable) else list(inputs)
    for x in ins:
        if not isinstance(x, Node):
            raise TypeError(f"grad() inputs must be Values or Tensors, got {type(x).__name__}")
        if not x.requires_grad:
            raise ValueError(f"grad() input {x!r} does not require grad; create it with requires_grad=True")
    if grad_outputs is not None and not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = [grad_outputs]
    if grad_outputs is not None and len(grad_outputs) != len(outs):
        raise ValueError(f"grad(): {len(grad_outputs)} grad_outputs for {len(outs)} outputs; give one each")
    found = backward(outs, grad_outputs, create_graph=create_graph, inputs=ins) or []
    unused = [x for x, g in zip(ins, found) if g is None]
    if unused and not allow_unused:
        raise ValueError(f"input {unused[0]!r} was not used to compute the outputs; "
                         "pass allow_unused=True to get None for it")
    return tuple(None if g is None else x._lift(g, detached=not create_graph) for x, g in zip(ins, found))


Step = namedtuple("Step", "node input index upstream local contribution")
Step.__doc__ = """One step of the chain rule: ``node`` sends ``contribution`` = ``upstream`` x ``local`` to
``input`` (``node.parents[index]``); ``local``, d(node)/d(input), is None for Tensors (a Jacobian)."""


def backward_steps(output: Node, grad: Any = None) -> list[Step]:
    """Every step of the chain rule from ``output`` down, in the reference's order; ``.grad`` untouched.

    >>> import microgradx as mg
    >>> x = mg.Value(3.0, label="x"); y = x * x
    >>> [(s.node.op, s.input.label, s.upstream, s.local, s.contribution) for s in backward_steps(y)]
    [('mul', 'x', 1.0, 3.0, 3.0), ('mul', 'x', 1.0, 3.0, 3.0)]"""
    steps: list[Step] = []

    def record(node: Node, p: Node, i: int, g: Any, gp: Any) -> None:
        local = input_grads(node, 1.0)[i] if node._scalar_face else None
        steps.append(Step(node, p, i, g, local, gp))

    backward([output], None if grad is None else [grad], inputs=(), on_step=record)
    return steps
