"""The pure-Python floor of step (a): the least any Python engine can do for micrograd's graph.

``Bare`` keeps only what a reverse pass over micrograd's fine-grained graph
needs: one slotted object per ``+``, ``*`` or relu holding its value, its
gradient, its op and inputs, and its generation; the three derivatives are
written inline in the one backward loop, which (as microgradx's does) follows
every edge, zeros included, as the chain rule does. No labels, no checks, no
other ops, no grad mode, no Tensor face. It is to the scalar step what the hand-written NumPy step is to the
Tensor step: a floor to compare against, not an engine to use.
"""

from __future__ import annotations

from typing import Any

_new = object.__new__
_ADD, _MUL, _RELU = 1, 2, 3


class Bare:
    """A scalar node of the floor engine: ``Bare(2.0) * 3`` records a mul."""

    __slots__ = ("data", "grad", "_op", "_a", "_b", "_g", "_gen", "_next")

    def __init__(self, data: float) -> None:
        self.data = data
        self.grad = 0.0
        self._op = 0
        self._a = self._b = self._g = None
        self._gen = 0

    def __add__(self, other: Any) -> Bare:
        if type(other) is not Bare:
            other = Bare(other)
        v = _new(Bare)
        v.data = self.data + other.data
        v.grad = 0.0
        v._op = _ADD
        v._a = self
        v._b = other
        v._g = None
        ga, gb = self._gen, other._gen
        v._gen = (ga if ga > gb else gb) + 1
        return v

    __radd__ = __add__

    def __mul__(self, other: Any) -> Bare:
        if type(other) is not Bare:
            other = Bare(other)
        v = _new(Bare)
        v.data = self.data * other.data
        v.grad = 0.0
        v._op = _MUL
        v._a = self
        v._b = other
        v._g = None
        ga, gb = self._gen, other._gen
        v._gen = (ga if ga > gb else gb) + 1
        return v

    __rmul__ = __mul__

    def relu(self) -> Bare:
        v = _new(Bare)
        d = self.data
        v.data = d if d > 0.0 else 0.0
        v.grad = 0.0
        v._op = _RELU
        v._a = self
        v._b = None
        v._g = None
        v._gen = self._gen + 1
        return v

    def backward(self) -> None:
        """Reverse pass, highest generation first, each node's inputs filed as they are met."""
        heads: list[Any] = [None] * (self._gen + 1)
        self._g = 1.0
        self._next = None
        heads[self._gen] = self
        for gen in range(self._gen, -1, -1):
            node = heads[gen]
            while node is not None:
                g = node._g
                node._g = None
                node.grad += g
                op = node._op
                if op:
                    a = node._a
                    b = node._b
                    if op == _ADD:
                        ga = gb = g
                    elif op == _MUL:
                        ga = g * b.data
                        gb = g * a.data
                    else:
                        ga = g if node.data > 0.0 else 0.0
                    if a._g is None:
                        a._g = ga
                        a._next = heads[a._gen]
                        heads[a._gen] = a
                    else:
                        a._g += ga
                    if b is not None:
                        if b._g is None:
                            b._g = gb
                            b._next = heads[b._gen]
                            heads[b._gen] = b
                        else:
                            b._g += gb
                node._next, node = None, node._next
