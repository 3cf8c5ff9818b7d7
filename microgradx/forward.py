"""Forward mode: tangents pushed through a recorded graph, derived from the VJPs of the op table.

No op has a hand-written forward-mode rule. Each node's Jacobian-vector
product comes from its vector-Jacobian products in :mod:`microgradx.ops`:

- A VJP ``vjp(g, y, *xs)`` is linear in ``g``: it is ``g ↦ Jᵀ g``. So an op's
  JVP ``J t`` is the transpose of its VJP, and the engine's own backward pass
  computes that transpose: with ``u`` a fresh Tensor leaf of the output's
  shape, ``r = vjp(u, y, *xs)`` recorded as a graph, ``J t = d<r, t>/du``
  (one :func:`microgradx.grad` call per node; every input's term goes into
  the one call). This is how Tensor nodes are done.
- For Values the Jacobian of a node with respect to each input is 1x1, so
  it is its own transpose: ``J_i = vjp_i(1, y, *xs)`` (the VJP at cotangent
  1, as :func:`microgradx.backward_steps` reads local derivatives) and
  ``J t = sum_i J_i t_i``. No second pass is needed.

An op with ``pre`` (a fused outer part) gets it applied to the cotangent first,
n-ary ops and user-defined :class:`microgradx.Function` nodes use ``vjp_all``,
exactly as the backward driver does. A :class:`Linearization` works out each
node's rule once (its locals, or its VJP graph in ``u``) and reuses it for
every tangent pushed through, so a Jacobian column costs one walk.

With ``create_graph=True`` the rules run on the graph nodes themselves and
the tangents come out as Values/Tensors that can be differentiated again
(this is how transforms nest, e.g. ``jacfwd(jacrev(f))``). For Tensor nodes
that means the per-node ``mg.grad`` call also walks the graph below the node,
so a push in that mode costs time quadratic in the graph's depth; without
``create_graph`` the rules run on detached copies of the data and each node
costs the same whatever lies below it.

>>> import microgradx as mg
>>> x = mg.Value(2.0); y = x * x + x.sin()
>>> t = forward_tangents(y, {x: 1.0})
>>> round(t[id(y)], 12) == round(2 * 2.0 + __import__("math").cos(2.0), 12)
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .autograd import Node, enable_grad, grad, topological_order
from .tensor import Tensor
from .value import Value

__all__ = ["Linearization", "forward_tangents"]


class Linearization:
    """A recorded graph ready for tangents: ``push({id(node): tangent})`` runs one forward-mode pass.

    Nodes are visited leaves first (the reverse of
    :func:`microgradx.autograd.topological_order`). A node gets a tangent when
    at least one of its inputs has one; inputs without a tangent are skipped
    (their term is zero). A node given a tangent in ``push`` keeps it.
    ``applications`` counts the JVP applications (nodes whose tangent was
    computed) of the last push.

    >>> import microgradx as mg
    >>> a = mg.Value(3.0); b = mg.Value(4.0); y = a * b
    >>> lin = Linearization([y])
    >>> lin.push({id(a): 1.0})[id(y)], lin.push({id(b): 1.0})[id(y)], lin.applications
    (4.0, 3.0, 1)
    """

    def __init__(self, outputs: Sequence[Node], create_graph: bool = False) -> None:
        for out in outputs:
            if not isinstance(out, Node):
                raise TypeError(f"forward mode needs Value or Tensor outputs, got {type(out).__name__}")
        self.outputs = list(outputs)
        self.create_graph = bool(create_graph)
        self.order = topological_order(self.outputs)[::-1]
        self.applications = 0
        self._rules: dict[int, Any] = {}

    def push(self, tangents: Mapping[int, Any]) -> dict[int, Any]:
        """The tangent of every node the seeds reach, keyed by ``id(node)`` (seeds included)."""
        tan = dict(tangents)
        count = 0
        with enable_grad():
            for node in self.order:
                if node._op is None or id(node) in tangents:
                    continue
                ts = [tan.get(id(p)) for p in node.parents]
                if all(t is None for t in ts):
                    continue
                tan[id(node)] = self._jvp(node, ts)
                count += 1
        self.applications = count
        return tan

    # ---- one node --------------------------------------------------------------------------
    def _args(self, node: Node) -> tuple[Any, list]:
        """``(y, args)`` as the VJPs of ``node`` take them: nodes in graph mode, else detached data."""
        prev = node.parents
        if self.create_graph:
            y, args = node, list(prev)
        elif node._scalar_face:
            y, args = node.data, [p.data for p in prev]
        else:                        # constant Tensors: the VJPs see what a create_graph backward sees
            y, args = node.detach(), [p.detach() for p in prev]
        if node._ctx is not None:
            args.extend(node._ctx)
        return y, args

    def _vjps(self, node: Node, g: Any) -> list:
        """Every input's VJP of ``node`` at cotangent ``g`` (after ``pre``, as the backward driver)."""
        y, args = self._args(node)
        op = node._op
        if op.pre is not None:
            g = op.pre(g, y, *args)
        if op.vjp_all is not None:
            return list(op.vjp_all(g, y, *args))
        return [vjp(g, y, *args) for vjp in op.vjps]

    def _jvp(self, node: Node, ts: list) -> Any:
        if node._scalar_face:
            return self._jvp_value(node, ts)
        return self._jvp_tensor(node, ts)

    def _jvp_value(self, node: Node, ts: list) -> Any:
        """sum_i J_i t_i, with J_i = vjp_i(1, y, *xs): a 1x1 Jacobian is its own transpose."""
        locs = self._rules.get(id(node))
        if locs is None:
            one = Value(1.0) if self.create_graph else 1.0     # a node, so user backwards build graphs too
            locs = self._rules[id(node)] = self._vjps(node, one)
        total = None
        for loc, t in zip(locs, ts):
            if t is not None:
                term = loc * t
                total = term if total is None else total + term
        return total

    def _jvp_tensor(self, node: Node, ts: list) -> Any:
        """J t = d<vjp(u), t>/du: the transpose of the VJP, by one backward pass over its graph in u."""
        rule = self._rules.get(id(node))
        if rule is None:
            data = node.data
            u = Tensor(np.ones(data.shape, data.dtype), requires_grad=True)
            rule = self._rules[id(node)] = (u, self._vjps(node, u))
        u, rs = rule
        used = [(r, t) for r, t in zip(rs, ts)
                if t is not None and isinstance(r, Tensor) and r.requires_grad]
        if not used:
            return self._zeros(node)
        if self.create_graph:
            s = None
            for r, t in used:
                term = (r * t).sum()
                s = term if s is None else s + term
            (tan,) = grad(s, [u], create_graph=True, allow_unused=True)
        else:
            outs = [r for r, _ in used]
            seeds = [np.broadcast_to(_raw(t), r.shape) for r, t in used]
            (tan,) = grad(outs, [u], grad_outputs=seeds, allow_unused=True)
            tan = None if tan is None else tan.data
        return self._zeros(node) if tan is None else tan

    def _zeros(self, node: Node) -> Any:
        z = np.zeros_like(node.data)
        return Tensor(z) if self.create_graph else z


def _raw(t: Any) -> Any:
    return t.data if isinstance(t, Node) else t


def forward_tangents(outputs: Node | Sequence[Node], tangents: Mapping[Node, Any],
                     create_graph: bool = False) -> dict[int, Any]:
    """Forward mode over an already recorded graph: the tangent of every node the seeds reach.

    ``tangents`` maps input nodes (any nodes of the graph) to their tangents:
    a float for a Value, an array of its shape for a Tensor. Returns
    ``{id(node): tangent}`` for the seeds and every node below ``outputs``
    that depends on them; a node missing from it has tangent zero. This is
    what a trace table calls to fill its tangent column (d node / d seed
    direction). ``create_graph=True`` returns tangents as graph nodes.

    >>> import microgradx as mg
    >>> x1 = mg.Value(2.0); x2 = mg.Value(5.0)
    >>> v = x1 * x2; y = v + x1
    >>> t = forward_tangents(y, {x1: 1.0})
    >>> t[id(v)], t[id(y)], id(x2) in t
    (5.0, 6.0, False)
    """
    outs = list(outputs) if isinstance(outputs, list | tuple) else [outputs]
    seeds = {}
    for node, t in tangents.items():
        if not isinstance(node, Node):
            raise TypeError(f"forward_tangents: keys must be Values or Tensors, got {type(node).__name__}")
        seeds[id(node)] = t
    return Linearization(outs, create_graph).push(seeds)
