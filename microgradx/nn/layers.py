"""Tensor layers: Linear, Sequential and activation modules.

Layers take a Tensor (or an ndarray / nested list, wrapped as a Tensor that
needs no gradient) and return a Tensor.

>>> import numpy as np, microgradx as mg
>>> net = Sequential(Linear(2, 16, seed=0), ReLU(), Linear(16, 1, seed=1))
>>> net(np.ones((5, 2))).shape
(5, 1)
>>> [name for name, _ in net.named_parameters()]
['0.weight', '0.bias', '2.weight', '2.bias']
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..autograd import Node
from ..tensor import Tensor, _linear, _linear_op
from .init import init_weights, make_rng
from .module import Module

__all__ = ["Linear", "Sequential", "ReLU", "Tanh", "Sigmoid", "LeakyReLU"]

_FLOATS = (np.dtype(np.float64), np.dtype(np.float32))


def _as_input(x: Any, dtype: np.dtype | None = None) -> Node:
    """A Tensor or Value passes through; anything else becomes a constant Tensor."""
    if isinstance(x, Node):
        return x
    if isinstance(x, (list, tuple)) and any(isinstance(e, Node) for e in x):
        raise TypeError("tensor layers take a Tensor or an array, got a list holding Values/Tensors; "
                        "use mg.stack for Tensors or mg.nn.MLP for Values")
    return Tensor(x, dtype=dtype)


def _check_size(n: Any, name: str) -> int:
    if not isinstance(n, (int, np.integer)) or isinstance(n, (bool, np.bool_)) or n < 1:
        raise ValueError(f"{name} must be a positive int, got {n!r}")
    return int(n)


class Linear(Module):
    """Affine map ``x @ weight + bias`` with weight of shape (nin, nout).

    ``init``: "he" (default, for ReLU nets), "xavier" or "uniform" (micrograd's
    U(-1, 1)); the bias starts at zero. ``dtype``: np.float64 or np.float32.
    ``activation="relu"``: relu of the affine map, computed in the same graph
    node (``Linear(2, 16, activation="relu")`` is ``Linear(2, 16)`` then
    ``ReLU()`` in one node instead of two).

    >>> layer = Linear(3, 2, seed=0)
    >>> layer.weight.shape, layer.bias.shape
    ((3, 2), (2,))
    >>> layer(np.ones((4, 3))).shape
    (4, 2)
    >>> Linear(3, 2, activation="relu")(np.ones((4, 3))).op
    'linear_relu'
    """

    def __init__(self, nin: int, nout: int, bias: bool = True, init: str = "he",
                 seed: int | np.random.Generator | None = None, dtype: Any = np.float64,
                 activation: str | None = None) -> None:
        self.nin = _check_size(nin, "nin")
        self.nout = _check_size(nout, "nout")
        if activation not in (None, "relu"):
            raise ValueError(f"Linear activation must be None or 'relu', got {activation!r}; "
                             "for other functions add a layer after it, e.g. Tanh()")
        self.activation = activation
        try:
            dt = np.dtype(dtype)
        except TypeError:
            dt = None
        if dt is None or dt not in _FLOATS:
            raise TypeError(f"Linear dtype must be np.float64 or np.float32, got {dtype!r}")
        w = init_weights((self.nin, self.nout), init, make_rng(seed))
        self.weight = Tensor(w.astype(dt), requires_grad=True, label="weight")
        self.bias = Tensor(np.zeros(self.nout, dt), requires_grad=True, label="bias") if bias else None

    def __call__(self, x: Any) -> Tensor:
        if type(x) is not Tensor:
            x = _as_input(x, self.weight.dtype)
            if not isinstance(x, Tensor):
                raise TypeError(f"{self!r} needs a Tensor or an array, got {type(x).__name__}; "
                                "for Values use mg.nn.MLP")
        try:
            if self.bias is not None:
                return _linear(x, self.weight, self.bias, _linear_op(self.activation))
            out = x @ self.weight
        except ValueError:
            shape = x.data.shape
            if shape and shape[-1] == self.nin:
                raise
            raise ValueError(
                f"{self!r} expects inputs whose last dimension is {self.nin}, got shape {x.shape} "
                f"(weight has shape {self.weight.shape}); reshape the input to (batch, {self.nin})"
            ) from None
        return out if self.activation is None else out.relu()

    def __repr__(self) -> str:
        extra = "" if self.weight.dtype == np.float64 else f", dtype={self.weight.dtype}"
        if self.activation is not None:
            extra += f", activation={self.activation!r}"
        return f"Linear({self.nin}, {self.nout}, bias={self.bias is not None}{extra})"


class Sequential(Module):
    """Layers applied one after another; indexable, iterable, with ``len``.

    Layer ``i`` is stored as the attribute named ``"i"``, so parameter names
    read ``"0.weight"``, ``"2.bias"`` (as in PyTorch). A slice gives a new
    Sequential that shares the layers.

    >>> net = Sequential(Linear(2, 4, seed=0), Tanh())
    >>> len(net), net[1]
    (2, Tanh())
    """

    def __init__(self, *layers: Callable[[Any], Any]) -> None:
        for i, layer in enumerate(layers):
            if not callable(layer):
                raise TypeError(f"Sequential: layer {i} is a {type(layer).__name__}, not a callable "
                                "layer; pass modules such as Linear(2, 4) or ReLU()")
            setattr(self, str(i), layer)
        self._len = len(layers)

    def __call__(self, x: Any) -> Any:
        for i in range(self._len):
            x = getattr(self, str(i))(x)
        return x

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[Any]:
        return (getattr(self, str(i)) for i in range(self._len))

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return Sequential(*list(self)[index])
        if not isinstance(index, numbers.Integral) or isinstance(index, bool):
            raise TypeError(f"Sequential indices are ints or slices, got {type(index).__name__}")
        if not -self._len <= index < self._len:
            raise IndexError(f"Sequential index {index} is out of range for {self._len} layers")
        return getattr(self, str(int(index) % self._len))

    def __repr__(self) -> str:
        if not self._len:
            return "Sequential()"
        lines = [f"  ({i}): " + repr(layer).replace("\n", "\n  ") for i, layer in enumerate(self)]
        return "Sequential(\n" + "\n".join(lines) + "\n)"


class _Activation(Module):
    """An elementwise function applied by name to a Tensor (or a Value)."""

    _method = ""

    def __call__(self, x: Any) -> Node:
        return getattr(_as_input(x), self._method)()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ReLU(_Activation):
    """max(x, 0) elementwise.

    >>> ReLU()(np.array([-1.0, 2.0])).data
    array([0., 2.])
    """

    _method = "relu"


class Tanh(_Activation):
    """Hyperbolic tangent elementwise.

    >>> Tanh()(np.array([0.0])).data
    array([0.])
    """

    _method = "tanh"


class Sigmoid(_Activation):
    """Logistic sigmoid 1 / (1 + e**-x) elementwise, stable for any input.

    >>> Sigmoid()(np.array([0.0])).data
    array([0.5])
    """

    _method = "sigmoid"


class LeakyReLU(_Activation):
    """x for x > 0, else ``slope * x``.

    >>> LeakyReLU(0.1)(np.array([-2.0, 3.0])).data
    array([-0.2,  3. ])
    """

    def __init__(self, slope: float = 0.01) -> None:
        if isinstance(slope, bool) or not isinstance(slope, numbers.Real):
            raise TypeError(f"LeakyReLU slope must be a real number, got {slope!r}")
        self.slope = float(slope)

    def __call__(self, x: Any) -> Node:
        return _as_input(x).leaky_relu(self.slope)

    def __repr__(self) -> str:
        return f"LeakyReLU(slope={self.slope})"
