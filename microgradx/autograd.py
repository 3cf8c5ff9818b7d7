"""The graph core shared by :class:`Value` and :class:`Tensor`.

A node records its inputs (``_prev``), the primitive that made it (``_op``,
an entry of :mod:`microgradx.ops`) and any parameters of that primitive
(``_ctx``). Nothing else: no closures, so a graph holds no reference cycles
and is freed by reference counting alone when its output goes.

One topological sort (iterative, any depth), one backward driver, one grad
mode switch and one way to build higher derivatives (``create_graph``).

>>> import microgradx as mg
>>> x = mg.Value(3.0)
>>> (x * x).backward()
>>> x.grad
6.0
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

__all__ = [
    "Node", "no_grad", "enable_grad", "is_grad_enabled", "set_grad_enabled",
    "grad", "topological_order", "backward",
]

# MODE[0]: 0 = no graph is recorded, 1 = graphs are recorded,
# 2 = recorded and checked for NaN/Inf (anomaly mode). A list so that the
# hot paths read one item instead of calling a function.
MODE = [1]
_anomaly_depth = [0]


def is_grad_enabled() -> bool:
    """True when new operations are recorded into a graph.

    >>> is_grad_enabled()
    True
    """
    return MODE[0] > 0


def _set_mode(enabled: bool) -> None:
    MODE[0] = (2 if _anomaly_depth[0] else 1) if enabled else 0


@contextmanager
def set_grad_enabled(enabled: bool) -> Iterator[None]:
    """Turn graph recording on or off inside a ``with`` block.

    >>> with set_grad_enabled(False):
    ...     is_grad_enabled()
    False
    """
    before = MODE[0]
    _set_mode(enabled)
    try:
        yield
    finally:
        MODE[0] = before


def no_grad() -> Any:
    """Context manager in which no graph is built (like ``torch.no_grad``).

    >>> import microgradx as mg
    >>> x = mg.Value(2.0)
    >>> with mg.no_grad():
    ...     y = x * 3
    >>> y.parents
    ()
    """
    return set_grad_enabled(False)


def enable_grad() -> Any:
    """Context manager that records graphs again inside ``no_grad``.

    >>> with no_grad():
    ...     with enable_grad():
    ...         is_grad_enabled()
    True
    """
    return set_grad_enabled(True)


class Node:
    """Base of Value and Tensor: data, grad, label and the recorded op.

    Subclasses say how gradients are stored (``_store_grad``) and how a raw
    gradient becomes a node for ``create_graph`` (``_lift``).
    """

    __slots__ = ("data", "grad", "label", "_prev", "_op", "_ctx", "_g")
    requires_grad = True
    _scalar_face = False

    @property
    def op(self) -> str:
        """Name of the op that made this node ('' for a leaf).

        >>> import microgradx as mg
        >>> (mg.Value(1.0) + 2).op
        'add'
        """
        return self._op.name if self._op is not None else ""

    @property
    def parents(self) -> tuple:
        """The nodes this one was computed from (empty for a leaf).

        >>> import microgradx as mg
        >>> a = mg.Value(1.0); len((a * a).parents)
        2
        """
        return self._prev

    @property
    def is_leaf(self) -> bool:
        """True for a node made by the user rather than by an op."""
        return self._op is None

    def backward(self, grad: Any = None, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(node) into ``.grad`` of every node below.

        >>> import microgradx as mg
        >>> x = mg.Value(2.0); (x ** 3).backward(); x.grad
        12.0
        """
        backward([self], None if grad is None else [grad], create_graph=create_graph)


_EXIT = object()   # stack marker: the node below it has all its inputs ordered


def _order(roots: Sequence[Node]) -> list[Node]:
    """Reachable nodes, outputs first; marks each by setting ``_g`` to 0.

    Iterative depth-first search (any depth). ``_g`` doubles as the visited
    mark: it is None outside a backward pass, so no visited set is needed.
    """
    post: list[Node] = []
    stack: list[Any] = list(roots)
    pop, push, emit = stack.pop, stack.append, post.append
    while stack:
        node = pop()
        if node is _EXIT:
            emit(pop())
            continue
        if node._g is not None:
            continue
        node._g = 0.0
        push(node)
        push(_EXIT)
        for p in node._prev:
            if p._g is None:
                push(p)
    post.reverse()
    return post


def topological_order(roots: Sequence[Node]) -> list[Node]:
    """Every node reachable from ``roots``, each before the nodes it was made from.

    >>> import microgradx as mg
    >>> x = mg.Value(1.0); y = x * 2; z = y + 1
    >>> [n.op for n in topological_order([z])]
    ['add', 'mul', '']
    """
    order = _order(roots)
    for n in order:
        n._g = None
    return order


def _check_root(root: Any) -> None:
    if not isinstance(root, Node):
        raise TypeError(
            f"backward() needs a Value or Tensor output, got {type(root).__name__} "
            f"{root!r}; build it from mg.Value / mg.Tensor operations first"
        )


def backward(
    roots: Sequence[Node],
    grads: Sequence[Any] | None = None,
    create_graph: bool = False,
    inputs: Sequence[Node] | None = None,
) -> list[Any] | None:
    """The backward driver: the chain rule over the graph, once per node.

    ``roots`` are outputs, ``grads`` their upstream gradients (1 when
    omitted). Without ``inputs`` the gradients are accumulated into ``.grad``
    (of every Value, of leaf Tensors that require grad); with ``inputs`` they
    are returned for those nodes and ``.grad`` is left alone.

    >>> import microgradx as mg
    >>> x = mg.Value(3.0)
    >>> backward([x * x], inputs=[x])
    [6.0]
    """
    for r in roots:
        _check_root(r)
    seeds = [r._seed(None if grads is None else grads[i]) for i, r in enumerate(roots)]
    if create_graph:
        seeds = [r._lift(s) for r, s in zip(roots, seeds)]
    order = _order(roots)
    try:
        for r, s in zip(roots, seeds):
            r._g = s if type(r._g) is float and r._g == 0.0 else r._g + s
        with set_grad_enabled(create_graph):
            fast = not create_graph and inputs is None and not _anomaly_depth[0]
            if fast and roots[0]._scalar_face:
                _backward_scalar(order)
                return None
            if fast and not any(r._scalar_face for r in roots):
                _backward_tensor(order)
                return None
            return _backward_general(order, create_graph, inputs)
    finally:
        for n in order:
            n._g = None


def _backward_general(order: list[Node], create_graph: bool, inputs: Sequence[Node] | None):
    want = None if inputs is None else {id(n): i for i, n in enumerate(inputs)}
    check = None
    if _anomaly_depth[0]:
        from .anomaly import check_backward as check
    found: list[Any] = [None] * (0 if inputs is None else len(inputs))
    for node in order:
        g = node._g
        if type(g) is float and g == 0.0 and not node._scalar_face:
            continue                     # no gradient reached this tensor
        if want is None:
            node._store_grad(g)
        elif id(node) in want:
            found[want[id(node)]] = g
        op = node._op
        if op is None:
            continue
        prev = node._prev
        if create_graph:
            y, args = node, list(prev)
        else:
            y, args = node.data, [p.data for p in prev]
        if node._ctx is not None:
            args.extend(node._ctx)
        if op.vjp_all is not None:
            pgrads = op.vjp_all(g, y, *args)
            upstream = None
        else:
            pgrads = [vjp(g, y, *args) if p.requires_grad else None for p, vjp in zip(prev, op.vjps)]
            upstream = g
        for p, gp in zip(prev, pgrads):
            if p.requires_grad:
                if check is not None:
                    check(node, p, gp)
                _accumulate(p, p._fit_grad(gp, upstream))
    return None if inputs is None else found


def _backward_tensor(order: list[Node]) -> None:
    """The plain (raw-array) pass for Tensors: gradients are kept on leaves only.

    A gradient is fitted (``_fit_grad``: summed back to the input's shape, cast
    to its dtype, copied if a leaf would share it) only when it goes to a leaf
    or its shape or dtype differ; between op nodes it passes as it is.
    """
    for node in order:
        g = node._g
        if type(g) is float:
            continue                     # no gradient reached this tensor
        node._g = None                   # let the array go as soon as it is used
        op = node._op
        if op is None:
            node._store_grad(g)
            continue
        prev = node._prev
        y = node.data
        args = [p.data for p in prev]
        if node._ctx is not None:
            args.extend(node._ctx)
        if op.vjp_all is not None:
            for p, gp in zip(prev, op.vjp_all(g, y, *args)):
                if p.requires_grad:
                    _accumulate(p, p._fit_grad(gp, None))
            continue
        for p, vjp, x in zip(prev, op.vjps, args):
            if p.requires_grad:
                gp = vjp(g, y, *args)
                if p._op is None or gp.shape != x.shape or gp.dtype != x.dtype:
                    gp = p._fit_grad(gp, g)
                _accumulate(p, gp)


def _accumulate(p: Node, gp: Any) -> None:
    old = p._g
    p._g = gp if type(old) is float and old == 0.0 else old + gp


def _backward_scalar(order: list[Node]) -> None:
    """The plain (raw-number) pass for Values, with the loop kept tight."""
    for node in order:
        g = node._g
        node.grad += g
        op = node._op
        if op is None:
            continue
        prev = node._prev
        y = node.data
        if op.vjp_all is not None:
            args = [p.data for p in prev]
            if node._ctx is not None:
                args.extend(node._ctx)
            for p, gp in zip(prev, op.vjp_all(g, y, *args)):
                p._g += gp
        elif len(prev) == 2:
            a, b = prev
            va, vb = op.vjps
            ad = a.data
            bd = b.data
            a._g += va(g, y, ad, bd)
            b._g += vb(g, y, ad, bd)
        else:
            (a,) = prev
            if node._ctx is None:
                a._g += op.vjps[0](g, y, a.data)
            else:
                a._g += op.vjps[0](g, y, a.data, *node._ctx)


def grad(
    outputs: Node | Sequence[Node],
    inputs: Node | Sequence[Node],
    grad_outputs: Any = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple:
    """Gradients of ``outputs`` with respect to ``inputs``, like ``torch.autograd.grad``.

    Leaves ``.grad`` untouched. With ``create_graph=True`` the results are
    Values/Tensors in a graph of their own, so they can be differentiated again.

    >>> import microgradx as mg
    >>> x = mg.Value(2.0)
    >>> gx, = mg.grad(x ** 3, [x], create_graph=True)
    >>> gx.data, mg.grad(gx, [x])[0].data
    (12.0, 12.0)
    """
    outs = [outputs] if isinstance(outputs, Node) or not isinstance(outputs, Iterable) else list(outputs)
    ins = [inputs] if isinstance(inputs, Node) or not isinstance(inputs, Iterable) else list(inputs)
    for x in ins:
        if not isinstance(x, Node):
            raise TypeError(f"grad() inputs must be Values or Tensors, got {type(x).__name__}")
        if not x.requires_grad:
            raise ValueError(f"grad() input {x!r} does not require grad; create it with requires_grad=True")
    if grad_outputs is not None and not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = [grad_outputs]
    found = backward(outs, grad_outputs, create_graph=create_graph, inputs=ins)
    assert found is not None
    result = []
    for x, g in zip(ins, found):
        if g is None:
            if not allow_unused:
                raise ValueError(
                    f"input {x!r} was not used to compute the outputs; "
                    "pass allow_unused=True to get None for it"
                )
            result.append(None)
        else:
            result.append(g if create_graph else x._lift(g, detached=True))
    return tuple(result)


def leaves(root: Node) -> Iterable[Node]:
    """The leaf nodes below ``root`` (inputs and parameters), in graph order."""
    return [n for n in topological_order([root]) if n._op is None]
