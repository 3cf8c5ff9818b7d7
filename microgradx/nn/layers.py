"""Tensor layers: Linear, Sequential, activations, Identity, Flatten, Dropout, (Log)Softmax.

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
from ..random import rng_for
from ..tensor import Tensor, _linear, _linear_op
from . import functional as F
from .init import init_weights
from .module import Module

__all__ = ["Linear", "Sequential", "ReLU", "Tanh", "Sigmoid", "LeakyReLU", "Identity", "Flatten", "Dropout",
           "Softmax", "LogSoftmax"]

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
    """Affine map ``x @ weight.T + bias`` as ``torch.nn.Linear``: weight of shape (out_features, in_features).

    ``init``: "he" (default, for ReLU nets), "xavier" or "uniform" (micrograd's
    U(-1, 1)); the bias starts at zero; for torch's own init use ``mg.nn.init``
    (e.g. ``init.kaiming_uniform_(layer.weight, a=math.sqrt(5))``).
    ``dtype``: np.float64 or np.float32. ``activation="relu"``: relu of the
    affine map, computed in the same graph node (``Linear(2, 16,
    activation="relu")`` is ``Linear(2, 16)`` then ``ReLU()`` in one node
    instead of two). The weight layout is torch's, so ``state_dict()`` loads
    into ``torch.nn.Linear`` as it is.

    >>> layer = Linear(3, 2, seed=0)
    >>> layer.weight.shape, layer.bias.shape
    ((2, 3), (2,))
    >>> layer(np.ones((4, 3))).shape
    (4, 2)
    >>> Linear(3, 2, activation="relu")(np.ones((4, 3))).op
    'linear_relu'
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, init: str = "he",
                 seed: int | np.random.Generator | None = None, dtype: Any = np.float64,
                 activation: str | None = None) -> None:
        self.in_features = _check_size(in_features, "in_features")
        self.out_features = _check_size(out_features, "out_features")
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
        # drawn as (in, out) so a seed gives the same numbers as before, then stored as torch's (out, in)
        w = init_weights((self.in_features, self.out_features), init, rng_for(seed)).T
        self.weight = Tensor(np.ascontiguousarray(w, dtype=dt), requires_grad=True, label="weight")
        self.bias = (Tensor(np.zeros(self.out_features, dt), requires_grad=True, label="bias")
                     if bias else None)

    def forward(self, x: Any) -> Tensor:
        if type(x) is not Tensor:
            x = _as_input(x, self.weight.dtype)
            if not isinstance(x, Tensor):
                raise TypeError(f"{self!r} needs a Tensor or an array, got {type(x).__name__}; "
                                "for Values use mg.nn.MLP")
        try:
            if self.bias is not None:
                return _linear(x, self.weight, self.bias, _linear_op(self.activation))
            out = x @ self.weight.T
        except ValueError:
            shape = x.data.shape
            if shape and shape[-1] == self.in_features:
                raise
            raise ValueError(
                f"{self!r} expects inputs whose last dimension is {self.in_features}, got shape {x.shape} "
                f"(weight has shape {self.weight.shape}); reshape the input to (batch, {self.in_features})"
            ) from None
        return out if self.activation is None else out.relu()

    def extra_repr(self) -> str:
        extra = "" if self.weight.dtype == np.float64 else f", dtype={self.weight.dtype}"
        if self.activation is not None:
            extra += f", activation={self.activation!r}"
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}{extra}")


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

    def forward(self, x: Any) -> Any:
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


class _Activation(Module):
    """An elementwise function applied by name to a Tensor (or a Value)."""

    _method = ""

    def forward(self, x: Any) -> Node:
        return getattr(_as_input(x), self._method)()


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

    def forward(self, x: Any) -> Node:
        return _as_input(x).leaky_relu(self.slope)

    def extra_repr(self) -> str:
        return f"slope={self.slope}"


class Identity(Module):
    """Returns its input unchanged (a placeholder, as ``torch.nn.Identity``; arguments are ignored).

    >>> x = np.ones(3); Identity(54, unused="x")(x) is x
    True
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def forward(self, x: Any) -> Any:
        return x


class Flatten(Module):
    """Merge dimensions ``start_dim`` .. ``end_dim`` (inclusive) into one, as ``torch.nn.Flatten``.

    The default keeps the batch dimension: (N, C, H, W) becomes (N, C*H*W).

    >>> Flatten()(np.ones((2, 3, 4))).shape
    (2, 12)
    >>> Flatten(0, 1)(np.ones((2, 3, 4))).shape
    (6, 4)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        for name, d in (("start_dim", start_dim), ("end_dim", end_dim)):
            if isinstance(d, bool) or not isinstance(d, numbers.Integral):
                raise TypeError(f"Flatten {name} must be an int, got {d!r}")
        self.start_dim, self.end_dim = int(start_dim), int(end_dim)

    def forward(self, x: Any) -> Tensor:
        t = _as_input(x)
        if not isinstance(t, Tensor):
            raise TypeError(f"Flatten needs a Tensor or an array, got {type(t).__name__}")
        shape = t.shape
        n = max(len(shape), 1)
        start, end = self.start_dim, self.end_dim
        if not (-n <= start < n and -n <= end < n):
            raise ValueError(f"Flatten(start_dim={start}, end_dim={end}) does not fit an input of shape "
                             f"{shape} ({len(shape)} dims); dims must lie in [{-n}, {n - 1}]")
        start, end = start % n, end % n
        if start > end:
            raise ValueError(f"Flatten: start_dim {self.start_dim} comes after end_dim {self.end_dim} "
                             f"for an input of shape {shape}")
        if not shape:
            return t.reshape((1,))
        merged = int(np.prod(shape[start:end + 1], dtype=np.int64))
        return t.reshape(shape[:start] + (merged,) + shape[end + 1:])

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """During training, zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    In eval mode (``model.eval()``) it passes the input through unchanged, as
    ``torch.nn.Dropout``. The mask comes from the package's random source, so
    ``mg.manual_seed(s)`` makes it reproducible.

    >>> d = Dropout(0.5)
    >>> d.eval()(np.ones(4)).data
    array([1., 1., 1., 1.])
    >>> Dropout(1.0)(np.ones(3)).data
    array([0., 0., 0.])
    """

    def __init__(self, p: float = 0.5) -> None:
        self.p = F._check_p(p)

    def forward(self, x: Any) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Softmax(Module):
    """Softmax along ``dim``, as ``torch.nn.Softmax(dim)``.

    >>> Softmax(dim=1)(np.zeros((1, 4))).data
    array([[0.25, 0.25, 0.25, 0.25]])
    """

    def __init__(self, dim: int) -> None:
        if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
            raise TypeError(f"Softmax dim must be an int, got {dim!r}")
        self.dim = int(dim)

    def forward(self, x: Any) -> Tensor:
        return F.softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log(softmax) along ``dim`` in one stable node, as ``torch.nn.LogSoftmax(dim)``.

    >>> np.exp(LogSoftmax(dim=0)(np.zeros(2)).data)
    array([0.5, 0.5])
    """

    def forward(self, x: Any) -> Tensor:
        return F.log_softmax(x, self.dim)
