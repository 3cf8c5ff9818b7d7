"""``mg.nn.functional`` (import it as ``F``): torch.nn.functional's names over microgradx's ops.

Activations, ``linear`` and ``dropout`` work on Tensors (arrays and nested
lists become constant Tensors; the activations also take Values). The losses
are mg.nn's own, re-exported.

>>> import numpy as np, microgradx as mg
>>> import microgradx.nn.functional as F
>>> x = mg.Tensor([[-1.0, 2.0]])
>>> F.relu(x).data
array([[0., 2.]])
>>> W = mg.Tensor([[1.0, 1.0]], requires_grad=True)
>>> F.linear(x, W, mg.Tensor([0.5], requires_grad=True)).data
array([[1.5]])
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..autograd import Node
from ..random import generator
from ..tensor import Tensor, _linear, _linear_op
from .losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    l2,
    mse_loss,
)

__all__ = [
    "relu", "tanh", "sigmoid", "leaky_relu", "softplus", "softmax", "log_softmax", "linear", "dropout",
    "mse_loss", "cross_entropy", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "hinge_loss", "l2",
]


def _input(x: Any, dtype: Any = None) -> Node:
    """A Tensor or Value passes through; an array or nested list becomes a constant Tensor."""
    if isinstance(x, Node):
        return x
    if isinstance(x, (list, tuple)) and any(isinstance(e, Node) for e in x):
        raise TypeError("nn.functional takes a Tensor or an array, got a list holding Values/Tensors; "
                        "use mg.stack for Tensors, or call the function on each Value")
    return Tensor(x, dtype=dtype)


def _tensor(x: Any, fn: str) -> Tensor:
    t = _input(x)
    if not isinstance(t, Tensor):
        raise TypeError(f"F.{fn} works on Tensors, got a {type(t).__name__}; wrap the data in mg.Tensor")
    return t


def relu(x: Any) -> Node:
    """max(x, 0) elementwise.

    >>> relu(np.array([-1.0, 3.0])).data
    array([0., 3.])
    """
    return _input(x).relu()


def tanh(x: Any) -> Node:
    """Hyperbolic tangent elementwise.

    >>> tanh(np.array([0.0])).data
    array([0.])
    """
    return _input(x).tanh()


def sigmoid(x: Any) -> Node:
    """Logistic sigmoid elementwise, stable for any input.

    >>> sigmoid(np.array([0.0])).data
    array([0.5])
    """
    return _input(x).sigmoid()


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Node:
    """x for x > 0, else ``negative_slope * x`` (torch's name for the slope).

    >>> leaky_relu(np.array([-2.0, 3.0]), 0.1).data
    array([-0.2,  3. ])
    """
    if isinstance(negative_slope, bool) or not isinstance(negative_slope, numbers.Real):
        raise TypeError(f"leaky_relu: negative_slope must be a real number, got {negative_slope!r}")
    return _input(x).leaky_relu(float(negative_slope))


def softplus(x: Any) -> Node:
    """log(1 + e**x) elementwise, stable for any input.

    >>> round(float(softplus(np.array([0.0])).data[0]), 6)
    0.693147
    """
    return _input(x).softplus()


def softmax(x: Any, dim: int) -> Tensor:
    """Softmax along ``dim`` (stable: the maximum is subtracted first).

    >>> softmax(np.array([[0.0, 0.0]]), dim=1).data
    array([[0.5, 0.5]])
    """
    return _tensor(x, "softmax").softmax(axis=dim)


def log_softmax(x: Any, dim: int) -> Tensor:
    """log(softmax(x)) along ``dim``, computed stably in one node.

    >>> np.exp(log_softmax(np.array([[0.0, 0.0]]), dim=1).data)
    array([[0.5, 0.5]])
    """
    return _tensor(x, "log_softmax").log_softmax(axis=dim)


def linear(x: Any, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``x @ weight.T + bias`` as torch's ``F.linear``: weight (out_features, in_features).

    With a bias this is one graph node (``microgradx.tensor.linear``).

    >>> linear(np.ones((4, 3)), Tensor(np.ones((2, 3)))).shape
    (4, 2)
    """
    if not isinstance(weight, Tensor) or not (bias is None or isinstance(bias, Tensor)):
        raise TypeError(f"F.linear: weight and bias must be Tensors, got {type(weight).__name__} and "
                        f"{type(bias).__name__}; wrap arrays in mg.Tensor")
    x = _tensor(x if isinstance(x, Node) else Tensor(x, dtype=weight.dtype), "linear")
    if bias is None:
        if weight.ndim != 2 or not x.ndim or x.shape[-1] != weight.shape[1]:
            raise ValueError(f"linear: input of shape {x.shape} does not fit weight of shape {weight.shape} "
                             "(weight is (out_features, in_features), as torch's)")
        return x @ weight.T
    return _linear(x, weight, bias, _linear_op(None))


def dropout(x: Any, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` (inverted dropout).

    Off (``training=False``) or with ``p=0`` the input comes back unchanged;
    ``p=1`` gives zeros. The mask is drawn from the package's random source
    (``mg.manual_seed`` makes it reproducible).

    >>> x = np.ones((2, 4))
    >>> dropout(x, 0.5, training=False).data.tolist() == x.tolist()
    True
    >>> sorted(set(dropout(x, 0.5).data.ravel().tolist())) in ([0.0, 2.0], [0.0], [2.0])
    True
    """
    p = _check_p(p)
    t = _tensor(x, "dropout")
    if not training or p == 0.0:
        return t
    keep = generator().random(t.shape) >= p
    dt = t.dtype if t.dtype.kind == "f" else np.dtype(np.float64)
    scale = np.zeros((), dt) if p == 1.0 else np.asarray(1.0 / (1.0 - p), dt)
    return t * (keep * scale).astype(dt, copy=False)


def _check_p(p: Any) -> float:
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"dropout probability has to be a number between 0 and 1, got {p!r}")
    return float(p)

