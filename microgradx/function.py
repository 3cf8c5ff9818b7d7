"""Function: user-defined ops with a hand-written backward (for exercises).

``forward(ctx, *inputs)`` runs without recording a graph; ``backward(ctx,
grad)`` returns one gradient per input. Write backward with mg operations
on the saved inputs and ``create_graph=True`` differentiates it again.

>>> import microgradx as mg
>>> class Cube(mg.Function):
...     @staticmethod
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return x ** 3
...     @staticmethod
...     def backward(ctx, grad):
...         (x,) = ctx.saved
...         return 3 * x ** 2 * grad
>>> x = mg.Value(2.0)
>>> Cube.apply(x).backward(); x.grad
12.0
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import ops
from .autograd import Node, no_grad
from .tensor import Tensor
from .tensor import _make as _make_tensor
from .value import Value
from .value import _make as _make_value

__all__ = ["Function", "Context"]


class Context:
    """What ``forward`` leaves for ``backward``: saved inputs and any attributes.

    >>> ctx = Context(); ctx.save_for_backward(1.0, 2.0); ctx.saved
    (1.0, 2.0)
    """

    def __init__(self) -> None:
        self.saved: tuple = ()

    def save_for_backward(self, *items: Any) -> None:
        """Keep ``items`` (usually the inputs) for ``backward``."""
        self.saved = items

    @property
    def saved_tensors(self) -> tuple:
        """PyTorch's name for ``saved``."""
        return self.saved


def _function_vjp(fn: type[Function]) -> Any:
    def vjp_all(g: Any, y: Any, *args: Any) -> tuple:
        ctx, n = args[-1], len(args) - 1
        raw = ops._is_raw(g)
        grads = fn.backward(ctx, g)
        if not isinstance(grads, tuple):
            grads = (grads,)
        if len(grads) != n:
            raise ValueError(
                f"{fn.__name__}.backward returned {len(grads)} gradient(s) for {n} input(s); "
                "return one per input of forward (None for an input with no gradient)"
            )
        return tuple(
            0.0 * ops.data_of(x) if gi is None else (ops.data_of(gi) if raw else gi)
            for gi, x in zip(grads, args[:-1])
        )

    return vjp_all


class Function:
    """Base class of a user-defined op; call it with ``MyOp.apply(*inputs)``.

    Subclasses define static ``forward(ctx, *inputs)`` and
    ``backward(ctx, grad)``. Inputs are all Values or all Tensors.
    """

    @staticmethod
    def forward(ctx: Context, *inputs: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError("define forward(ctx, *inputs) in your Function subclass")

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError("define backward(ctx, grad) in your Function subclass")

    @classmethod
    def apply(cls, *inputs: Any) -> Any:
        """Run ``forward`` and record one graph node whose VJP is ``backward``."""
        nodes = [x for x in inputs if isinstance(x, Node)]
        if not nodes:
            raise TypeError(f"{cls.__name__}.apply needs at least one Value or Tensor input")
        face = type(nodes[0])
        if any(type(x) is not face for x in nodes):
            raise TypeError(f"{cls.__name__}.apply: inputs must be all Values or all Tensors")
        lifted = tuple(x if isinstance(x, Node) else face(x) for x in inputs)
        ctx = Context()
        with no_grad():
            out = cls.forward(ctx, *lifted)
        if not isinstance(out, (Node, float, int, np.ndarray, np.generic)) or isinstance(out, bool):
            raise TypeError(
                f"{cls.__name__}.forward returned a {type(out).__name__}; return one "
                f"{face.__name__} (or a number / ndarray): one output per Function"
            )
        data = ops.data_of(out)
        op = cls.__dict__.get("_op")
        if op is None:
            op = ops.Op(cls.__name__, None, None, vjp_all=_function_vjp(cls))
            op.function = cls            # which Function a node of this op came from (gradcheck's blame)
            cls._op = op
        if face is Value:
            if isinstance(out, Tensor) or np.ndim(data) != 0:
                raise TypeError(
                    f"{cls.__name__}.forward returned a {type(out).__name__} for Value inputs; "
                    "return a Value or a number"
                )
            return _make_value(float(data), lifted, op, (ctx,))
        return _make_tensor(data, lifted, op, (ctx,))
