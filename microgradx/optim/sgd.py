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
from .optimizer import Optimizer, check_number

__all__ = ["SGD"]


class SGD(Optimizer):
    """SGD exactly as ``torch.optim.SGD``.

    With weight decay ``wd``, momentum ``mu``, dampening ``tau``::

        g   = grad + wd * p
        buf = g                          (first step)
        buf = mu * buf + (1 - tau) * g   (later steps)
        g   = g + mu * buf  if nesterov  else  buf      (when mu != 0)
        p   = p - lr * g

    >>> import microgradx as mg
    >>> w = mg.Value(2.0); opt = SGD([w], lr=0.25)
    >>> w.grad = 4.0; opt.step(); w.data
    1.0
    """

    def __init__(
        self,
        params: Iterable[Node],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        momentum = check_number("momentum", momentum, owner="SGD")
        dampening = check_number("dampening", dampening, owner="SGD")
        weight_decay = check_number("weight_decay", weight_decay, owner="SGD")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                f"SGD: Nesterov momentum needs momentum > 0 and dampening = 0, got "
                f"momentum={momentum}, dampening={dampening}"
            )
        super().__init__(params, {
            "lr": lr, "momentum": momentum, "dampening": dampening,
            "nesterov": bool(nesterov), "weight_decay": weight_decay,
        })

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> np.ndarray:
        h = self.hyperparams
        if h["weight_decay"] != 0:
            g = g + h["weight_decay"] * p
        mu = h["momentum"]
        if mu != 0:
            buf = state.get("momentum_buffer")
            buf = g.copy() if buf is None else buf * mu + (1 - h["dampening"]) * g
            state["momentum_buffer"] = buf
            g = g + mu * buf if h["nesterov"] else buf
        return p - h["lr"] * g
