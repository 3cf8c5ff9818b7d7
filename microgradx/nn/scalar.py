"""Scalar networks of Values, with micrograd's signatures.

Each neuron is one node: ``dot_relu`` (relu of ``w . x + b``) for a hidden
neuron, ``dot`` for a linear one; not 2n binary nodes.

>>> import microgradx as mg
>>> model = mg.nn.MLP(2, [4, 1], seed=0)
>>> isinstance(model([0.5, -1.0]), mg.Value)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..ops import DOT, DOT_RELU
from ..value import Value, _dot_node, values
from .init import init_weights, make_rng
from .module import Module

__all__ = ["Neuron", "Layer", "MLP"]


class Neuron(Module):
    """One unit: ``act(w . x + b)`` with act relu (``nonlin=True``) or identity.

    ``w`` is a tuple of Values: change a weight's ``.data``, or assign a new
    sequence to ``w`` (or a new Value to ``b``); items cannot be replaced in place.

    >>> n = Neuron(2, seed=0); n.b.data
    0.0
    >>> n.w = [Value(1.0), Value(2.0)]; n([3.0, 4.0]).data
    11.0
    """

    def __init__(self, nin: int, nonlin: bool = True, init: str = "uniform",
                 seed: int | np.random.Generator | None = None,
                 _w: Sequence[float] | None = None) -> None:
        _check_size(nin, "nin")
        w = _w if _w is not None else init_weights((nin, 1), init, make_rng(seed))[:, 0]
        self.w = tuple(Value(float(x)) for x in w)
        self.b = Value(0.0)
        self.nonlin = nonlin

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("w", "b"):
            if name == "w":
                value = tuple(value)
            for p in value if name == "w" else (value,):
                if type(p) is not Value:
                    raise TypeError(
                        f"Neuron.{name} takes mg.Value objects, got {type(p).__name__} {p!r}; "
                        "wrap numbers as mg.Value(x)"
                    )
        super().__setattr__(name, value)
        if name in ("w", "b") and "w" in self.__dict__ and "b" in self.__dict__:
            # one (*w, b) tuple for every call: the dot nodes of all samples then share
            # it, which lets the backward pass take them together
            self._wb = (*self.w, self.b)
            self._wb_gen = max([p._gen for p in self._wb])

    def forward(self, x: Sequence[Any]) -> Value:
        xs = values(x)
        if len(xs) != len(self.w):
            raise ValueError(f"Neuron expects {len(self.w)} inputs, got {len(xs)}")
        return _dot_node(self._wb, self._wb_gen, xs, [v.data for v in xs] + [1.0],
                         max([v._gen for v in xs]), DOT_RELU if self.nonlin else DOT)

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons reading the same inputs; one output returns a Value, else a list."""

    def __init__(self, nin: int, nout: int, nonlin: bool = True, init: str = "uniform",
                 seed: int | np.random.Generator | None = None) -> None:
        _check_size(nout, "nout")
        rng = make_rng(seed)
        w = init_weights((nin, nout), init, rng)
        self.neurons = [Neuron(nin, nonlin, _w=w[:, j]) for j in range(nout)]

    def forward(self, x: Sequence[Any]) -> Value | list[Value]:
        xs = values(x)
        nin = len(self.neurons[0].w)
        if len(xs) != nin:
            raise ValueError(f"Layer expects {nin} inputs, got {len(xs)}")
        xs_data = [v.data for v in xs]
        xs_data.append(1.0)              # the bias's partner
        xs_gen = max([v._gen for v in xs])
        out = []
        for n in self.neurons:
            wb = n._wb
            if len(wb) != len(xs_data):
                raise ValueError(
                    f"Layer expects {nin} inputs, but one of its neurons has {len(wb) - 1} weights; "
                    "give every neuron the same number of weights"
                )
            out.append(_dot_node(wb, n._wb_gen, xs, xs_data, xs_gen, DOT_RELU if n.nonlin else DOT))
        return out[0] if len(out) == 1 else out

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Multi-layer perceptron: relu hidden layers, a linear last layer.

    ``MLP(2, [16, 16, 1])`` is micrograd's moons model; call it on a list of
    numbers or Values. ``init``: "uniform" (micrograd's U(-1, 1)), "xavier", "he".
    """

    def __init__(self, nin: int, nouts: Sequence[int], init: str = "uniform",
                 seed: int | np.random.Generator | None = None) -> None:
        _check_size(nin, "nin")
        if isinstance(nouts, int) or not len(nouts):
            raise ValueError(f"MLP needs a list of layer sizes, e.g. [16, 16, 1]; got {nouts!r}")
        rng = make_rng(seed)
        sizes = [nin, *nouts]
        self.layers = [
            Layer(sizes[i], sizes[i + 1], nonlin=i != len(nouts) - 1, init=init, seed=rng)
            for i in range(len(nouts))
        ]

    def forward(self, x: Sequence[Any]) -> Value | list[Value]:
        for layer in self.layers:
            x = layer(x)
            if isinstance(x, Value):
                x = [x]
        return x[0] if len(x) == 1 else x

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"


def _check_size(n: Any, name: str) -> None:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"{name} must be a positive int, got {n!r}")
