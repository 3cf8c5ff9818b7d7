"""Gradient clipping by total norm, as ``torch.nn.utils.clip_grad_norm_``.

>>> import microgradx as mg
>>> a, b = mg.Value(0.0), mg.Value(0.0)
>>> a.grad, b.grad = 3.0, 4.0
>>> clip_grad_norm([a, b], max_norm=1.0)
5.0
>>> round(a.grad, 6), round(b.grad, 6)
(0.6, 0.8)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

import numpy as np

from ..autograd import Node
from ..value import Value

__all__ = ["clip_grad_norm"]


def _grad_array(p: Node) -> np.ndarray | None:
    g = p.grad
    if g is None:
        return None
    if isinstance(g, Node):
        g = g.data
    return np.asarray(g)


def clip_grad_norm(
    params: Iterable[Node] | Node,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    """Scale all gradients together so their total norm is at most ``max_norm``.

    The total norm is the ``norm_type``-norm of all gradient entries together
    (``float('inf')`` for the largest absolute entry). When it exceeds
    ``max_norm`` every gradient is multiplied by ``max_norm / (total + 1e-6)``;
    new arrays are assigned, none is changed in place. Tensors without a
    gradient are skipped. Returns the total norm before clipping.

    >>> import microgradx as mg
    >>> w = mg.Value(0.0); w.grad = -10.0
    >>> clip_grad_norm([w], max_norm=2.0), round(w.grad, 4)
    (10.0, -2.0)
    """
    ps = [params] if isinstance(params, Node) else list(params)
    for i, p in enumerate(ps):
        if not isinstance(p, Node):
            raise TypeError(
                f"clip_grad_norm: parameter {i} is a {type(p).__name__}, not a Value or Tensor"
            )
    for name, value in (("max_norm", max_norm), ("norm_type", norm_type)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
            raise TypeError(f"clip_grad_norm: {name} must be a number, got {value!r}")
    if max_norm < 0:
        raise ValueError(f"clip_grad_norm: max_norm must be >= 0, got {max_norm}")
    if norm_type <= 0:
        raise ValueError(f"clip_grad_norm: norm_type must be > 0 (or inf), got {norm_type}")
    values = [p for p in ps if isinstance(p, Value)]
    tensors = [p for p in ps if not isinstance(p, Value) and p.grad is not None]
    grads = [np.fromiter((getattr(p.grad, "data", p.grad) for p in values), float, len(values))]
    grads += [g for g in (_grad_array(t) for t in tensors) if g is not None]
    p = float(norm_type)
    if math.isinf(p):
        total = max((float(np.max(np.abs(g))) for g in grads if g.size), default=0.0)
    else:
        norms = np.array([np.sum(np.abs(g.astype(float)) ** p) ** (1 / p) for g in grads])
        total = float(np.sum(norms**p) ** (1 / p))
    if error_if_nonfinite and not math.isfinite(total):
        raise ValueError(
            f"clip_grad_norm: the total {norm_type}-norm of the gradients is {total}; "
            "some gradient is NaN or infinite (pass error_if_nonfinite=False to skip this check)"
        )
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for v in values:
            v.grad = v.grad * coef
        for t in tensors:
            g = _grad_array(t)
            t.grad = (g * coef).astype(g.dtype, copy=False)
    return total
