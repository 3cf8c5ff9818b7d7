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
from .optimizer import Optimizer
from .options import check_flag, check_number

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad exactly as ``torch.optim.Adagrad`` (the same options, defaults and order).

    At step t (from 1), with ``sum`` starting at ``initial_accumulator_value``::

        g   = -grad if maximize else grad
        g   = g + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        sum = sum + g * g
        p   = p - clr * g / (sqrt(sum) + eps)

    A param group's own ``initial_accumulator_value`` starts its parameters'
    sums (torch.optim.Adagrad fills every sum from the constructor's value).

    >>> import microgradx as mg
    >>> w = mg.Value(0.0); opt = Adagrad([w], lr=1.0, eps=0.0)
    >>> w.grad = 2.0; opt.step(); w.data
    -1.0
    """

    _options = {"lr": check_number, "lr_decay": check_number, "weight_decay": check_number,
                "initial_accumulator_value": check_number, "eps": check_number,
                "maximize": check_flag}

    def __init__(
        self,
        params: Iterable[Node] | Iterable[dict[str, Any]],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, {
            "lr": lr, "lr_decay": lr_decay, "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value, "eps": eps, "maximize": maximize,
        })

    def _state_spec(self, options: dict[str, Any]) -> dict[str, str]:
        return {"step": "count", "sum": "array"}

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any],
                options: dict[str, Any]) -> np.ndarray:
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(p, options["initial_accumulator_value"])
        state["step"] += 1
        if options["weight_decay"] != 0:
            g = g + options["weight_decay"] * p
        clr = options["lr"] / (1 + (state["step"] - 1) * options["lr_decay"])
        state["sum"] = state["sum"] + g * g
        return p - clr * (g / (np.sqrt(state["sum"]) + options["eps"]))
