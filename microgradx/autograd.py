"""The graph core shared by :class:`Value` and :class:`Tensor`.

A node records its inputs (``_a`` and ``_b``), the primitive that made it
(``_op``, an entry of :mod:`microgradx.ops`), any parameters of that primitive
(``_ctx``) and its generation (``_gen``: 0 for a leaf, else one more than its
deepest input). Nothing else: no closures, so a graph holds no reference
cycles and is freed by reference counting alone when its output goes.

Every input of a node has a smaller generation than the node, so visiting
nodes from the highest generation down is a topological order: a node is
reached only after every node made from it. That is the one order here; it
needs no recursion (any depth works) and no separate sorting pass, because
the backward pass files each input under its generation as it meets it.
One backward driver, one grad mode switch and one way to build higher
derivatives (``create_graph``).

Zeros. For Values (without ``create_graph``) a gradient that is exactly zero
goes no further: a node that only zeros reach is not visited, so the part of
a graph behind a dead relu or a met hinge margin costs nothing. Sums are
unchanged (x + 0 == x); the one difference from following every edge is at a
singular point reached only by zeros, where the chain rule would compute
0 * inf: PyTorch gives nan there, this gives 0 (the gradient the other paths
give). Tensors and ``create_graph`` follow every edge, so second derivatives
see a first derivative that happens to be 0 at the point.

>>> import microgradx as mg
>>> x = mg.Value(3.0)
>>> (x * x).backward()
>>> x.grad
6.0
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from operator import attrgetter
from typing import Any, NamedTuple

import numpy as np

from .ops import passes, times_a, times_b

__all__ = [
    "Node", "parents_of", "link", "unlink", "no_grad", "enable_grad", "is_grad_enabled", "set_grad_enabled",
    "grad", "topological_order", "backward", "backward_steps", "Step",
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
    gradient becomes a node for ``create_graph`` (``_lift``). The inputs of a
    unary or binary op are ``_a`` and ``_b`` (``_b`` None for unary); an
    op with more inputs (or with ``vjp_all``) keeps the tuple of all its
    inputs in ``_a``. Two slots instead of a tuple: one object less per node to
    allocate, free and have the cyclic garbage collector walk. ``_g`` and
    ``_next`` are used only during a backward pass (the gradient gathered so
    far, and the next node of the same generation waiting its turn).
    """

    __slots__ = ("data", "grad", "label", "_op", "_a", "_b", "_ctx", "_g", "_gen", "_next")
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
        return parents_of(self)

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
        if grad is None and not create_graph and not _anomaly_depth[0] and isinstance(self, Node):
            _plain_pass([self], [self._seed(None)], self._scalar_face)   # without backward()'s bookkeeping
            return
        backward([self], None if grad is None else [grad], create_graph=create_graph)


_GEN = attrgetter("_gen")
_DATA = attrgetter("data")


def parents_of(node: Node) -> tuple:
    """The nodes ``node`` was computed from, as a tuple (empty for a leaf).

    >>> import microgradx as mg
    >>> x = mg.Value(2.0); parents_of(x * 3) == (x,)
    True
    """
    a = node._a
    if a is None:
        return ()
    if type(a) is tuple:
        if type(a[0]) is tuple:          # a dot node: (weights then any bias, inputs)
            wb, xs = a
            return wb + xs if len(wb) == len(xs) else wb[:-1] + xs + wb[-1:]
        return a
    b = node._b
    return (a,) if b is None else (a, b)


def link(node: Node, prev: tuple, op: Any, ctx: tuple | None) -> None:
    """Record in ``node`` that ``op`` made it from the nodes ``prev`` (and parameters ``ctx``).

    >>> import microgradx as mg
    >>> x = mg.Value(2.0); y = mg.Value(6.0)
    >>> link(y, (x,), mg.ops.NEG, None); y.parents == (x,), y._gen
    (True, 1)
    """
    node._op = op
    node._ctx = ctx
    if len(prev) > 2 or op.vjp_all is not None:
        node._a, node._b = prev, None
        node._gen = max(map(_GEN, prev)) + 1
    elif len(prev) == 2:
        a, b = prev
        node._a, node._b = a, b
        node._gen = (a._gen if a._gen > b._gen else b._gen) + 1
    else:
        (a,) = prev
        node._a, node._b = a, None
        node._gen = a._gen + 1


def unlink(node: Node) -> None:
    """Make ``node`` a leaf: no op, no inputs, generation 0.

    >>> import microgradx as mg
    >>> y = mg.Value(2.0) * 3; unlink(y); y.parents, y.op, y._gen
    ((), '', 0)
    """
    node._op = node._a = node._b = node._ctx = None
    node._gen = 0


def _heads(roots: Sequence[Node]) -> list[Any]:
    """``heads[gen]``: the node of generation ``gen`` filed last, or None.

    The nodes of one generation are chained through ``_next`` (a node filed
    sets ``_next`` to the head before it), so filing allocates nothing.
    """
    return [None] * (max(map(_GEN, roots)) + 1)


def _order(roots: Sequence[Node]) -> list[Node]:
    """Reachable nodes, outputs first; marks each by setting ``_g`` to 0.

    Nodes are filed by generation as they are first met and taken from the
    highest generation down. ``_g`` doubles as the met mark: it is None
    outside a backward pass, so no visited set is needed.
    """
    heads = _heads(roots)
    for r in roots:
        if r._g is None:
            r._g = 0.0
            r._next = heads[r._gen]
            heads[r._gen] = r
    order: list[Node] = []
    for gen in range(len(heads) - 1, -1, -1):
        node = heads[gen]
        while node is not None:
            order.append(node)
            for p in parents_of(node):
                if p._g is None:
                    p._g = 0.0
                    p._next = heads[p._gen]
                    heads[p._gen] = p
            node._next, node = None, node._next
    return order


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
    else:                                # a Value given as grad= is a constant here
        seeds = [s.data if isinstance(s, Node) else s for s in seeds]
    plain = not create_graph and inputs is None and not _anomaly_depth[0]
    faces = {r._scalar_face for r in roots}
    if plain and len(faces) == 1:
        _plain_pass(roots, seeds, True in faces)
        return None
    order = _order(roots)
    try:
        for r, s in zip(roots, seeds):
            r._g = s if type(r._g) is float and r._g == 0.0 else r._g + s
        with set_grad_enabled(create_graph):
            return _backward_general(order, create_graph, inputs)
    finally:
        for n in order:
            n._g = None


def _plain_pass(roots: Sequence[Node], seeds: Sequence[Any], scalar_face: bool) -> None:
    """The lean pass of one face (no create_graph, inputs or anomaly checks), recording nothing."""
    before = MODE[0]
    MODE[0] = 0
    try:
        (_backward_scalar if scalar_face else _backward_tensor)(roots, seeds)
    finally:
        MODE[0] = before


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
        if op is None or isinstance(g, float) and g == 0.0:     # a Value's zero goes no further
            continue
        prev = parents_of(node)
        if create_graph:
            y, args = node, list(prev)
        else:
            y, args = node.data, [p.data for p in prev]
        if node._ctx is not None:
            args.extend(node._ctx)
        if op.pre is not None:
            g = op.pre(g, y, *args)
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


def _backward_tensor(roots: Sequence[Node], seeds: Sequence[Any]) -> None:
    """The plain (raw-array) pass for Tensors: gradients are kept on leaves only.

    Ordered as the scalar pass (:func:`_backward_scalar`): each node is taken
    from its generation's chain, and an input met for the first time is filed
    under its generation. Between op nodes a gradient passes as it is, unless
    its shape or dtype differ from its input's (then ``_fit_grad`` sums it back
    and casts it). A gradient for a leaf goes straight into its ``.grad``
    (``_add_grad``), so leaves need no turn of their own.
    """
    heads = _heads(roots)
    for r, s in zip(roots, seeds):
        _file_tensor(r, s, heads)
    node = None
    try:
        for gen in range(len(heads) - 1, -1, -1):
            node = heads[gen]
            heads[gen] = None
            while node is not None:
                g = node._g
                node._g = None
                op = node._op
                if op is None:
                    node._store_grad(g)          # a root that is a leaf
                    node._next, node = None, node._next
                    continue
                a = node._a
                b = node._b
                if type(a) is tuple:
                    prev = a
                    args = [p.data for p in a]
                elif b is None:
                    prev = (a,)
                    args = [a.data]
                else:
                    prev = (a, b)
                    args = [a.data, b.data]
                if node._ctx is not None:
                    args.extend(node._ctx)
                y = node.data
                if op.pre is not None:
                    g = op.pre(g, y, *args)
                gya = (g, y, *args)              # what every VJP of this node is called with
                if op.vjp_all is not None:
                    for p, gp in zip(prev, op.vjp_all(g, y, *args)):
                        if p.requires_grad:
                            if p._op is None:
                                p._add_grad(gp, None)
                            else:
                                _file_tensor(p, p._fit_grad(gp, None), heads)
                    node._next, node = None, node._next
                    continue
                for p, vjp, x in zip(prev, op.vjps, args):
                    if not p.requires_grad:
                        continue
                    gp = vjp(*gya)
                    if p._op is None:
                        p._add_grad(gp, g)
                        continue
                    if gp.shape != x.shape or gp.dtype != x.dtype:
                        gp = p._fit_grad(gp, g)
                    old = p._g
                    if old is None:
                        p._g = gp
                        p._next = heads[p._gen]
                        heads[p._gen] = p
                    else:
                        p._g = old + gp
                node._next, node = None, node._next
    except BaseException:
        _unfile(node, heads)
        raise


def _file_tensor(p: Node, gp: Any, heads: list) -> None:
    """Add an array gradient into ``p._g`` (a new array: ``gp`` may be shared), filing ``p`` when new."""
    old = p._g
    if old is None:
        p._g = gp
        p._next = heads[p._gen]
        heads[p._gen] = p
    else:
        p._g = old + gp


def _unfile(node: Node | None, heads: list) -> None:
    """After a pass that failed: clear the chain being worked on (from ``node``), then those waiting."""
    for rest in [node, *heads]:
        while rest is not None:
            rest._g = None
            rest._next, rest = None, rest._next


def _accumulate(p: Node, gp: Any) -> None:
    old = p._g
    p._g = gp if type(old) is float and old == 0.0 else old + gp


def _backward_scalar(roots: Sequence[Node], seeds: Sequence[Any]) -> None:
    """The plain (raw-number) pass for Values: ordering and chain rule in one loop.

    Each node is taken from its generation's chain, adds its gradient to
    ``.grad`` and sends one share to each input. An input met for the first
    time is filed under its generation, which is lower than every node that
    uses it, so its gradient is complete by the time its chain is reached.
    ``_g`` holds the gradient gathered in this pass (None: not met yet).
    Dot nodes wait until the rest of their generation is done and then go
    together (:func:`_dot_generation`): nodes of one generation never feed
    each other, so the order within a generation is free.

    Two rules of the table are applied without a call: ``passes`` (the
    gradient goes on as it is) and mul's pair ``times_b``/``times_a`` (the
    gradient times the other factor).

    A share that is exactly zero is not sent, and a node whose gradient sums
    to exactly zero sends nothing: the part of a graph below a dead relu or a
    met margin is never visited (see the module's note on zeros).
    """
    heads = _heads(roots)
    _send(roots, seeds, heads)
    node = None
    dots: list[Node] = []
    dot_grads: list[Any] = []
    try:
        for gen in range(len(heads) - 1, -1, -1):
            node = heads[gen]
            heads[gen] = None
            while node is not None:
                g = node._g
                node._g = None
                node.grad += g
                op = node._op
                if op is None or g == 0.0:       # a leaf, or a zero that cancelled out
                    node._next, node = None, node._next
                    continue
                a = node._a
                b = node._b
                if b is not None:
                    va, vb = op.vjps
                    if va is passes:
                        ga = g
                        gb = g if vb is passes else vb(g, node.data, a.data, b.data)
                    elif va is times_b and vb is times_a:
                        ga = g * b.data
                        gb = g * a.data
                    else:
                        y = node.data
                        ad = a.data
                        bd = b.data
                        ga = va(g, y, ad, bd)
                        gb = vb(g, y, ad, bd)
                    if ga == 0.0:                # an exact zero is not sent
                        pass
                    elif a._g is None:
                        a._g = ga
                        a._next = heads[a._gen]
                        heads[a._gen] = a
                    else:
                        a._g += ga
                    if gb == 0.0:
                        pass
                    elif b._g is None:
                        b._g = gb
                        b._next = heads[b._gen]
                        heads[b._gen] = b
                    else:
                        b._g += gb
                elif type(a) is not tuple:
                    va = op.vjps[0]
                    ctx = node._ctx
                    if va is passes:
                        ga = g
                    elif ctx is None:
                        ga = va(g, node.data, a.data)
                    else:
                        ga = va(g, node.data, a.data, *ctx)
                    if ga == 0.0:
                        pass
                    elif a._g is None:
                        a._g = ga
                        a._next = heads[a._gen]
                        heads[a._gen] = a
                    else:
                        a._g += ga
                elif type(a[0]) is tuple:
                    dots.append(node)
                    dot_grads.append(g)
                else:
                    _send_all(node, g, heads)
                node._next, node = None, node._next
            if dots:
                _dot_generation(dots, dot_grads, heads)
                dots.clear()
                dot_grads.clear()
    except BaseException:
        _unfile(node, heads)
        raise


def _send_all(node: Node, g: Any, heads: list) -> None:
    """The n-ary step of the scalar pass: each input of ``node`` gets its share of ``g``."""
    prev = parents_of(node)
    op = node._op
    args = [p.data for p in prev]
    if node._ctx is not None:
        args.extend(node._ctx)
    if op.pre is not None:
        g = op.pre(g, node.data, *args)
    if op.vjp_all is not None:
        grads = op.vjp_all(g, node.data, *args)
    else:
        grads = [vjp(g, node.data, *args) for vjp in op.vjps]
    _send(prev, grads, heads)


def _send(prev: Iterable[Node], grads: Iterable[Any], heads: list) -> None:
    """Add each gradient into its node's ``_g``, filing a node met for the first time.

    An exact zero is not sent, so a node that only zeros reach is never visited."""
    for p, gp in zip(prev, grads):
        if gp == 0.0:
            continue
        if p._g is None:
            p._g = gp
            p._next = heads[p._gen]
            heads[p._gen] = p
        else:
            p._g += gp


# Below this many graph edges, a generation's dot nodes go one by one (NumPy's
# fixed cost per call is larger than the Python it saves).
DOT_BATCH_EDGES = 256


def _dot_generation(dots: list[Node], grads: list[Any], heads: list) -> None:
    """The dot nodes of one generation, with upstream gradients ``grads``.

    A layer called on many samples makes a grid of dot nodes: row r an input
    tuple (one sample), column c a weight tuple (one neuron), and node (r, c)
    is ``W[c] . X[r]`` (its relu too, for ``dot_relu``). Where nodes of one op
    and equal lengths fill such a grid exactly (each pair once), the op's
    ``vjp_batch`` gives every gradient by two matrix products, and each weight
    and input receives one sum instead of one share per node. Anything else
    goes node by node.
    """
    cells = _dot_cells(dots)
    if cells is None:
        for node, g in zip(dots, grads):
            _send_all(node, g, heads)
        return
    row_tuples, col_tuples, col_ops, ri, ci = cells
    r_all = np.array(ri)
    c_all = np.array(ci)
    op_ids: dict[Any, int] = {}
    col_op = np.array([op_ids.setdefault(op, len(op_ids)) for op in col_ops])
    row_len = np.array([len(xs) for xs in row_tuples])
    col_len = np.array([len(wb) for wb in col_tuples])
    col_kind = col_op * (col_len.max() + 1) + col_len
    kind_of = col_kind[c_all] * (row_len.max() + 1) + row_len[r_all]    # (op, len(wb), len(xs))
    kinds = np.unique(kind_of)
    for kind in kinds:
        sel = np.flatnonzero(kind_of == kind) if len(kinds) > 1 else np.arange(len(dots))
        r, c = r_all[sel], c_all[sel]
        if len(kinds) > 1:
            used_r, r = np.unique(r, return_inverse=True)
            used_c, c = np.unique(c, return_inverse=True)
        else:
            used_r, used_c = range(len(row_tuples)), range(len(col_tuples))
        some_rows = [row_tuples[i] for i in used_r]
        some_cols = [col_tuples[i] for i in used_c]
        nw, nx = len(some_cols[0]), len(some_rows[0])
        cells = r * len(some_cols) + c
        picked = sel.tolist()
        if (
            len(sel) * (nw + nx) >= DOT_BATCH_EDGES and nw - nx in (0, 1)
            and len(sel) == len(some_rows) * len(some_cols)
            and np.bincount(cells, minlength=len(sel)).min() == 1
        ):
            op = col_ops[used_c[0]]
            G = np.empty(len(sel))
            G[cells] = [grads[i] for i in picked]
            if op.pre is not None:
                Y = np.empty(len(sel))
                Y[cells] = [dots[i].data for i in picked]
                with np.errstate(all="ignore"):
                    G = op.pre(G, Y)
            _dot_grid(G.reshape(len(some_rows), len(some_cols)), some_cols, some_rows, op, heads)
        else:
            for i in picked:
                _send_all(dots[i], grads[i], heads)


def _dot_cells(dots: list[Node]) -> tuple | None:
    """Where each dot node sits: (row tuples, column tuples, each column's op,
    each node's row, each node's column); None if a column holds two ops."""
    rows: dict[int, int] = {}
    cols: dict[int, int] = {}
    row_tuples: list[tuple] = []
    col_tuples: list[tuple] = []
    col_ops: list[Any] = []
    ri = []
    ci = []
    for node in dots:
        wb, xs = node._a
        r = rows.get(id(xs))
        if r is None:
            r = rows[id(xs)] = len(row_tuples)
            row_tuples.append(xs)
        c = cols.get(id(wb))
        if c is None:
            c = cols[id(wb)] = len(col_tuples)
            col_tuples.append(wb)
            col_ops.append(node._op)
        elif col_ops[c] is not node._op:
            return None
        ri.append(r)
        ci.append(c)
    return row_tuples, col_tuples, col_ops, ri, ci


def _dot_grid(G: np.ndarray, col_tuples: list[tuple], row_tuples: list[tuple], op: Any, heads: list) -> None:
    """Backward through a full grid of dot nodes (see above) by ``op.vjp_batch``."""
    W = np.array([[w.data for w in wb] for wb in col_tuples])
    X = np.ones_like(W, shape=(len(row_tuples), W.shape[1]))
    X[:, :len(row_tuples[0])] = [[x.data for x in xs] for xs in row_tuples]
    with np.errstate(all="ignore"):       # inf and nan as the float pass gives them, without warnings
        dW, dX = op.vjp_batch(G, W, X)
    for wb, gw in zip(col_tuples, dW.tolist()):
        _send(wb, gw, heads)
    for xs, gx in zip(row_tuples, dX.tolist()):
        _send(xs, gx, heads)              # a bias's column of dX (its partner 1.0) is left out


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


class Step(NamedTuple):
    """One step of the chain rule: ``node``'s gradient sent to its input ``input``.

    ``upstream`` is d(output)/d(node); ``local`` is d(node)/d(input) (a float for
    Values, None for Tensors, whose local derivative is a Jacobian);
    ``contribution`` is what this step adds to d(output)/d(input) (for Tensors,
    already summed to the input's shape). ``index`` is the input's position
    among ``node.parents``.
    """

    node: Node
    input: Node
    index: int
    upstream: Any
    local: Any
    contribution: Any


def backward_steps(output: Node, grad: Any = None) -> list[Step]:
    """Every step of the chain rule from ``output`` down, in the order backward takes them.

    Nodes come outputs first (a topological order), each node's inputs in
    the order of ``node.parents``. Leaves ``.grad`` untouched.

    >>> import microgradx as mg
    >>> x = mg.Value(3.0, label="x"); y = x * x
    >>> [(s.node.op, s.input.label, s.upstream, s.local, s.contribution) for s in backward_steps(y)]
    [('mul', 'x', 1.0, 3.0, 3.0), ('mul', 'x', 1.0, 3.0, 3.0)]
    """
    _check_root(output)
    seed = output._seed(grad)
    seed = seed.data if isinstance(seed, Node) else seed
    got: dict[int, Any] = {id(output): seed}
    steps: list[Step] = []
    with set_grad_enabled(False), np.errstate(all="ignore"):
        for node in topological_order([output]):
            g = got.get(id(node))
            if node._op is None or g is None:
                continue
            op, prev = node._op, parents_of(node)
            args = [p.data for p in prev] + list(node._ctx or ())
            gp = g if op.pre is None else op.pre(g, node.data, *args)
            one = 1.0 if op.pre is None else op.pre(1.0, node.data, *args)
            if op.vjp_all is not None:
                shares = op.vjp_all(gp, node.data, *args)
                locals_ = op.vjp_all(one, node.data, *args) if node._scalar_face else [None] * len(prev)
            else:
                shares = [vjp(gp, node.data, *args) for vjp in op.vjps]
                locals_ = [vjp(one, node.data, *args) for vjp in op.vjps] if node._scalar_face \
                    else [None] * len(prev)
            for i, (p, c, loc) in enumerate(zip(prev, shares, locals_)):
                if not p.requires_grad:
                    continue
                c = p._fit_grad(c, None)
                steps.append(Step(node, p, i, g, loc, c))
                got[id(p)] = c if id(p) not in got else got[id(p)] + c
    return steps
