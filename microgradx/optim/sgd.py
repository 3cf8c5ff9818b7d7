"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay.

>>> import microgradx as mg
>>> w = mg.Value(1.0); opt = SGD([w], lr=0.1, momentum=0.9)
>>> w.grad = 1.0; opt.step(); opt.step(); round(w.data, 10)
0.71
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..autograd import Node
from .optimizer import Optimizer
from .options import check_flag, check_number

__all__ = ["SGD"]


class SGD(Optimizer):
    """SGD exactly as ``torch.optim.SGD`` (the same options, defaults and order).

    With weight decay ``wd``, momentum ``mu``, dampening ``tau``::

        g   = -grad if maximize else grad
        g   = g + wd * p
        buf = g                          (first step)
        buf = mu * buf + (1 - tau) * g   (later steps)
        g   = g + mu * buf  if nesterov  else  buf      (when mu != 0)
        p   = p - lr * g

    >>> import microgradx as mg
    >>> w = mg.Value(2.0); opt = SGD([w], lr=0.25)
    >>> w.grad = 4.0; opt.step(); w.data
    1.0
    """

    _options = {"lr": check_number, "momentum": check_number, "dampening": check_number,
                "weight_decay": check_number, "nesterov": check_flag, "maximize": check_flag}

    def __init__(
        self,
        params: Iterable[Node] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, {
            "lr": lr, "momentum": momentum, "dampening": dampening,
            "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
        })

    def _check_together(self, options: dict[str, Any], owner: str) -> None:
        if options["nesterov"] and (options["momentum"] <= 0 or options["dampening"] != 0):
            raise ValueError(
                f"{owner}: Nesterov momentum needs momentum > 0 and dampening = 0, got "
                f"momentum={options['momentum']}, dampening={options['dampening']}"
            )

    def _state_spec(self, options: dict[str, Any]) -> dict[str, str]:
        return {"momentum_buffer": "array"} if options["momentum"] != 0 else {}

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any],
                options: dict[str, Any]) -> np.ndarray:
        if options["weight_decay"] != 0:
            g = g + options["weight_decay"] * p
        mu = options["momentum"]
        if mu != 0:
            buf = state.get("momentum_buffer")
            buf = g.copy() if buf is None else buf * mu + (1 - options["dampening"]) * g
            state["momentum_buffer"] = buf
            g = g + mu * buf if options["nesterov"] else buf
        return p - options["lr"] * g
