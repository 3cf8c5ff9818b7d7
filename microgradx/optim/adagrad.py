"""Adagrad: per-coordinate step sizes from the sum of squared gradients.

>>> import microgradx as mg
>>> w = mg.Value(1.0); opt = Adagrad([w], lr=0.5)
>>> w.grad = 3.0; opt.step(); round(w.data, 10)
0.5
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..autograd import Node
from .optimizer import Optimizer, check_number

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad exactly as ``torch.optim.Adagrad``.

    At step t (from 1), with ``sum`` starting at ``initial_accumulator_value``::

        g   = grad + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        sum = sum + g * g
        p   = p - clr * g / (sqrt(sum) + eps)

    >>> import microgradx as mg
    >>> w = mg.Value(0.0); opt = Adagrad([w], lr=1.0, eps=0.0)
    >>> w.grad = 2.0; opt.step(); w.data
    -1.0
    """

    def __init__(
        self,
        params: Iterable[Node],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        eps: float = 1e-10,
        initial_accumulator_value: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, {
            "lr": lr,
            "lr_decay": check_number("lr_decay", lr_decay, owner="Adagrad"),
            "eps": check_number("eps", eps, owner="Adagrad"),
            "initial_accumulator_value": check_number(
                "initial_accumulator_value", initial_accumulator_value, owner="Adagrad"),
            "weight_decay": check_number("weight_decay", weight_decay, owner="Adagrad"),
        })

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> np.ndarray:
        h = self.hyperparams
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(p, h["initial_accumulator_value"])
        state["step"] += 1
        if h["weight_decay"] != 0:
            g = g + h["weight_decay"] * p
        clr = h["lr"] / (1 + (state["step"] - 1) * h["lr_decay"])
        state["sum"] = state["sum"] + g * g
        return p - clr * (g / (np.sqrt(state["sum"]) + h["eps"]))
