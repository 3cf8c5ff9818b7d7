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
from .optimizer import Optimizer
from .options import check_flag, check_number, lerp

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop exactly as ``torch.optim.RMSprop`` (the same options and defaults).

    With ``sq``, ``avg_g`` and ``buf`` starting at 0::

        g     = -grad if maximize else grad
        g     = g + weight_decay * p
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

    _options = {"lr": check_number, "alpha": check_number, "eps": check_number,
                "weight_decay": check_number, "momentum": check_number, "centered": check_flag,
                "maximize": check_flag}

    def __init__(
        self,
        params: Iterable[Node] | Iterable[dict[str, Any]],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, {
            "lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay,
            "momentum": momentum, "centered": centered, "maximize": maximize,
        })

    def _state_spec(self, options: dict[str, Any]) -> dict[str, str]:
        spec = {"step": "count", "square_avg": "array"}
        if options["momentum"] > 0:
            spec["momentum_buffer"] = "array"
        if options["centered"]:
            spec["grad_avg"] = "array"
        return spec

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any],
                options: dict[str, Any]) -> np.ndarray:
        alpha = options["alpha"]
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p)
        state["step"] += 1
        if options["weight_decay"] != 0:
            g = g + options["weight_decay"] * p
        sq = state["square_avg"] = state["square_avg"] * alpha + (1 - alpha) * (g * g)
        if options["centered"]:
            avg_g = state["grad_avg"] = lerp(state.get("grad_avg", np.zeros_like(p)), g, 1 - alpha)
            d = np.sqrt(sq - avg_g * avg_g)
        else:
            d = np.sqrt(sq)
        d = d + options["eps"]
        if options["momentum"] > 0:
            buf = state.get("momentum_buffer", np.zeros_like(p))
            buf = state["momentum_buffer"] = buf * options["momentum"] + g / d
            return p - options["lr"] * buf
        return p - options["lr"] * (g / d)
