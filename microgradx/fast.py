"""The fast Value pass: the reference's chain rule, with less Python per node.

It computes exactly what :func:`microgradx.autograd.backward` computes, for the
common case only: Value roots, no ``create_graph``, no ``inputs``, no anomaly
checks, no step hook. Anything else, or ``mg.use_fast_paths(False)`` /
``MICROGRADX_REFERENCE=1``, goes through the reference. The pass is plugged
into the core in one place, at the end of this module; the core works without
it. ``tests/test_fast.py`` checks it equal to the reference over generated graphs.

Speed shortcuts, each measured in ``bench/`` (``bench/README.md``): nodes are
taken generation by generation (the reference sorts them), add's and mul's
rules are applied inline where the table names them (``ops.passes``,
``ops.times_b``/``ops.times_a``), and the dot nodes of one layer over many
samples go through two matrix products (``ops.DOT.vjp_batch``). Tensors have no
fast pass: one saved less than the issue's 1.3x on every Tensor workload of
``bench/`` (1.0-1.2x), so every Tensor backward runs the reference.

>>> import microgradx as mg
>>> x = mg.Value(3.0); (x * x).backward(); x.grad
6.0
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from operator import attrgetter, itemgetter
from typing import Any

import numpy as np

from . import autograd
from .autograd import Node, parents_of
from .ops import passes, times_a, times_b

__all__ = ["backward_fast", "use_fast_paths", "DOT_BATCH_EDGES"]

_ENABLED = [os.environ.get("MICROGRADX_REFERENCE", "") in ("", "0")]

# Below this many graph edges, a generation's dot nodes go one by one (NumPy's
# fixed cost per call is larger than the Python it saves).
DOT_BATCH_EDGES = 256
_FIRST, _SECOND, _INPUTS, _OP = itemgetter(0), itemgetter(1), attrgetter("_a"), attrgetter("_op")


class use_fast_paths:  # noqa: N801 - reads as a function
    """Let backward take the passes here (the default), or send every backward through
    the reference driver: at once, or for a ``with`` block. ``MICROGRADX_REFERENCE=1``
    in the environment starts with them off.

    >>> import microgradx as mg
    >>> with mg.use_fast_paths(False):
    ...     x = mg.Value(2.0); (x * x).backward()
    >>> x.grad
    4.0
    """

    def __init__(self, enabled: bool = True) -> None:
        self.before = _ENABLED[0]
        _ENABLED[0] = bool(enabled)

    def __enter__(self) -> use_fast_paths:
        return self

    def __exit__(self, *exc: Any) -> None:
        _ENABLED[0] = self.before


def backward_fast(roots: Sequence[Node], seeds: Sequence[Any]) -> bool:
    """Run the Value pass; False (nothing done) when switched off or a root is a Tensor.

    >>> import microgradx as mg
    >>> x = mg.Value(2.0); backward_fast([x * x], [1.0]), x.grad
    (True, 4.0)
    """
    if not _ENABLED[0] or not all(r._scalar_face for r in roots):
        return False
    with np.errstate(all="ignore"):
        _scalar_pass(roots, seeds)
    return True


def _send(p: Node, gp: Any, heads: list) -> None:
    """Value pass: a leaf adds ``gp`` to its ``.grad`` at once; an op node gathers it in ``_g``,
    filed under its generation (chained through ``_next``) when first met."""
    if p._op is None:
        p.grad += gp
    elif p._g is None:
        p._g = gp
        p._next = heads[p._gen]
        heads[p._gen] = p
    else:
        p._g += gp


def _scalar_pass(roots: Sequence[Node], seeds: Sequence[Any]) -> None:
    """Values: generation by generation, highest first. The pass keeps its state in the op
    nodes' ``_g`` and ``_next`` and clears it as it goes, or on failure; leaves take their
    share at once, so graphs that share only leaves share no pass state. Nodes of one
    generation never feed each other, so its dot nodes can wait and go together."""
    heads: list[Any] = [None] * (max(r._gen for r in roots) + 1)
    try:
        for r, s in zip(roots, seeds):
            _send(r, s, heads)
        gen = len(heads)
        while gen:
            gen, dots = _chain(gen, heads)
            if dots:
                _dot_generation(dots, heads)
    except BaseException:
        _clear(heads)
        raise


def _chain(gen: int, heads: list) -> tuple[int, list[tuple[Node, Any]]]:
    """The generations below ``gen``, each a chain of nodes that add their gradient to ``.grad`` and send
    a share to each input (:func:`_send` written out for one and two inputs: it runs once per edge).
    Stops after generation 0 or after one that met dot nodes: returns that generation and them."""
    dots, node = [], None                   # the dot nodes met; the node the pass is at (for _clear)
    try:
        while gen and not dots:
            gen -= 1
            node, heads[gen] = heads[gen], None
            while node is not None:
                g, node._g = node._g, None
                node.grad += g
                a, b, op = node._a, node._b, node._op
                if b is not None:
                    va, vb = op.vjps
                    if va is times_b and vb is times_a:
                        ga, gb = g * b.data, g * a.data
                    elif va is passes:
                        ga, gb = g, g if vb is passes else vb(g, node.data, a.data, b.data)
                    else:
                        ga, gb = va(g, node.data, a.data, b.data), vb(g, node.data, a.data, b.data)
                    if b._op is None:
                        b.grad += gb
                    elif b._g is None:
                        b._g, b._next, heads[b._gen] = gb, heads[b._gen], b
                    else:
                        b._g += gb
                elif type(a) is tuple:     # n-ary: a dot node waits for its generation's others
                    dots.append((node, g)) if a and type(a[0]) is tuple else _send_all(node, g, heads)
                    node._next, node = None, node._next
                    continue
                else:
                    va, ctx = op.vjps[0], node._ctx
                    if va is passes:
                        ga = g
                    elif va is times_b and ctx is not None:      # times a number: it is in ctx
                        ga = g * ctx[0]
                    else:
                        ga = va(g, node.data, a.data) if ctx is None else va(g, node.data, a.data, *ctx)
                if a._op is None:
                    a.grad += ga
                elif a._g is None:
                    a._g, a._next, heads[a._gen] = ga, heads[a._gen], a
                else:
                    a._g += ga
                node._next, node = None, node._next
    except BaseException:
        _clear([node])
        raise
    return gen, dots


def _clear(heads: list) -> None:
    """After a failure: clear the pass's state from every node still chained in ``heads``."""
    for rest in heads:
        while rest is not None:
            rest._g = None
            rest._next, rest = None, rest._next


def _send_all(node: Node, g: Any, heads: list) -> None:
    """Any other Value node: its inputs' shares by the reference's rule at one node."""
    for p, gp in zip(parents_of(node), autograd.input_grads(node, g)):
        _send(p, gp, heads)


def _dot_generation(dots: list[tuple[Node, Any]], heads: list) -> None:
    """The dot nodes of one generation (with their gradients). A layer called on many samples
    makes a grid: row r an input tuple (a sample), column c a weight tuple (a neuron), node
    (r, c) ``W[c] . X[r]``. Nodes of one op and one pair of lengths that fill their grid
    exactly (each cell once) go through ``op.vjp_batch``: two matrix products. Anything else
    goes node by node. Mixed kinds are split into groups of one kind first."""
    nodes = list(map(_FIRST, dots))
    pairs = list(map(_INPUTS, nodes))
    kinds = list(zip(map(_OP, nodes), map(len, map(_FIRST, pairs)), map(len, map(_SECOND, pairs))))
    if kinds.count(kinds[0]) == len(kinds):
        _dot_group(dots, pairs, heads)
        return
    groups: dict[tuple, list] = {}
    for kind, item in zip(kinds, dots):
        groups.setdefault(kind, []).append(item)
    for group in groups.values():
        _dot_group(group, list(map(_INPUTS, map(_FIRST, group))), heads)


def _dot_cells(pairs: list[tuple]) -> tuple:
    """(row tuples, column tuples, each node's row, each node's column) of dot nodes' ``(wb, xs)``
    pairs. Tuples are told apart by identity and numbered in the order first met."""
    sides = []
    for tuples in (list(map(_FIRST, pairs)), list(map(_SECOND, pairs))):
        ids = list(map(id, tuples))
        unique = dict(zip(ids, tuples))                 # one entry per tuple, in the order first met
        number = dict(zip(unique, range(len(unique))))
        sides.append((list(unique.values()), list(map(number.__getitem__, ids))))
    (col_tuples, ci), (row_tuples, ri) = sides
    return row_tuples, col_tuples, ri, ci


def _dot_group(dots: list[tuple[Node, Any]], pairs: list[tuple], heads: list) -> None:
    """Dot nodes of one kind (their input pairs ``pairs``): by their grid when they fill it, else
    node by node."""
    row_tuples, col_tuples, ri, ci = _dot_cells(pairs)
    op = dots[0][0]._op
    n_r, n_c, nw, nx = len(row_tuples), len(col_tuples), len(col_tuples[0]), len(row_tuples[0])
    flat = np.array(ri) * n_c + np.array(ci)
    if (len(dots) != n_r * n_c or nw - nx not in (0, 1) or len(dots) * (nw + nx) < DOT_BATCH_EDGES
            or len(np.unique(flat)) != len(dots)):
        for node, g in dots:
            _send_all(node, g, heads)
        return
    G = np.empty(n_r * n_c)
    G[flat] = list(map(_SECOND, dots))
    if op.pre is not None:
        Y = np.empty(n_r * n_c)
        Y[flat] = [node.data for node, _ in dots]
        G = op.pre(G, Y)
    _dot_grid(G.reshape(n_r, n_c), col_tuples, row_tuples, op, heads)


def _dot_grid(G: np.ndarray, col_tuples: list, row_tuples: list, op: Any, heads: list) -> None:
    """Backward through a full grid of dot nodes by ``op.vjp_batch`` (see above)."""
    nw, nx = len(col_tuples[0]), len(row_tuples[0])
    W = np.array([[w.data for w in wb] for wb in col_tuples])
    X = np.ones_like(W, shape=(len(row_tuples), nw))
    X[:, :nx] = [[x.data for x in xs] for xs in row_tuples]
    dW, dX = op.vjp_batch(G, W, X)
    for wb, gw in zip(col_tuples, dW.tolist()):
        for p, gp in zip(wb, gw):
            _send(p, gp, heads)
    for xs, gx in zip(row_tuples, dX.tolist()):
        for p, gp in zip(xs, gx):          # a bias's column of dX (its partner 1.0) is left out
            _send(p, gp, heads)


autograd.HOOKS["fast_pass"] = backward_fast
