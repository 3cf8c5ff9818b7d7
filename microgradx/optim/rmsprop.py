"""RMSprop: steps scaled by a running root-mean-square of the gradients.

>>> import microgradx as mg
>>> w = mg.Value(1.0); opt = RMSprop([w], lr=0.01, alpha=0.0, eps=0.0)
>>> w.grad = 5.0; opt.step(); round(w.data, 10)
0.99
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..autograd import Node
from .optimizer import Optimizer, check_number, lerp

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop exactly as ``torch.optim.RMSprop``.

    With ``sq``, ``avg_g`` and ``buf`` starting at 0::

        g     = grad + weight_decay * p
        sq    = alpha * sq + (1 - alpha) * g * g
        avg_g = alpha * avg_g + (1 - alpha) * g                   (centered only)
        d     = sqrt(sq - avg_g ** 2) if centered else sqrt(sq)
        d     = d + eps
        buf   = momentum * buf + g / d;  p = p - lr * buf         (momentum > 0)
        p     = p - lr * g / d                                    (momentum = 0)

    >>> import microgradx as mg
    >>> w = mg.Value(0.0); opt = RMSprop([w], lr=0.1, alpha=0.75, eps=0.0)
    >>> w.grad = 3.0; opt.step(); round(w.data, 10)
    -0.2
    """

    def __init__(
        self,
        params: Iterable[Node],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        super().__init__(params, {
            "lr": lr,
            "alpha": check_number("alpha", alpha, owner="RMSprop"),
            "eps": check_number("eps", eps, owner="RMSprop"),
            "weight_decay": check_number("weight_decay", weight_decay, owner="RMSprop"),
            "momentum": check_number("momentum", momentum, owner="RMSprop"),
            "centered": bool(centered),
        })

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> np.ndarray:
        h = self.hyperparams
        alpha = h["alpha"]
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p)
            if h["momentum"] > 0:
                state["momentum_buffer"] = np.zeros_like(p)
            if h["centered"]:
                state["grad_avg"] = np.zeros_like(p)
        state["step"] += 1
        if h["weight_decay"] != 0:
            g = g + h["weight_decay"] * p
        sq = state["square_avg"] = state["square_avg"] * alpha + (1 - alpha) * (g * g)
        if h["centered"]:
            avg_g = state["grad_avg"] = lerp(state["grad_avg"], g, 1 - alpha)
            d = np.sqrt(sq - avg_g * avg_g)
        else:
            d = np.sqrt(sq)
        d = d + h["eps"]
        if h["momentum"] > 0:
            buf = state["momentum_buffer"] = state["momentum_buffer"] * h["momentum"] + g / d
            return p - h["lr"] * buf
        return p - h["lr"] * (g / d)
