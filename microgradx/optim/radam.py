"""RAdam: Adam with its early, high-variance steps rectified (Liu et al., 2019).

>>> import microgradx as mg
>>> w = mg.Value(1.0); opt = RAdam([w], lr=0.1)
>>> w.grad = 2.0; opt.step(); round(w.data, 6)   # early steps are momentum SGD
0.8
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..autograd import Node
from .adam import ADAM_OPTIONS, adam_moments
from .optimizer import Optimizer
from .options import check_flag

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """RAdam exactly as ``torch.optim.RAdam`` (the same options and defaults).

    At step t (from 1), with ``m``, ``v`` starting at 0::

        g      = -grad if maximize else grad
        g      = g + weight_decay * p   (decoupled: p = p * (1 - lr * weight_decay))
        m      = beta1 * m + (1 - beta1) * g
        v      = beta2 * v + (1 - beta2) * g * g
        m_hat  = m / (1 - beta1**t)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t  = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
        if rho_t > 5:
            r  = sqrt((rho_t - 4) (rho_t - 2) rho_inf / ((rho_inf - 4) (rho_inf - 2) rho_t))
            p  = p - lr * m_hat * r * sqrt(1 - beta2**t) / (sqrt(v) + eps)
        else:
            p  = p - lr * m_hat

    With the default beta2 = 0.999 the first rectified step is t = 6.

    >>> import microgradx as mg
    >>> w = mg.Value(0.0); opt = RAdam([w], lr=0.5)
    >>> w.grad = 1.0; opt.step(); w.data
    -0.5
    """

    _options = {**ADAM_OPTIONS, "decoupled_weight_decay": check_flag, "maximize": check_flag}

    def __init__(
        self,
        params: Iterable[Node] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, {
            "lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
            "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
        })

    def _state_spec(self, options: dict[str, Any]) -> dict[str, str]:
        return {"step": "count", "exp_avg": "array", "exp_avg_sq": "array"}

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any],
                options: dict[str, Any]) -> np.ndarray:
        lr, (beta1, beta2) = options["lr"], options["betas"]
        p, t, m, v = adam_moments(p, g, state, options, options["decoupled_weight_decay"])
        bias2 = 1 - beta2**t
        m_hat = m / (1 - beta1**t)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * (beta2**t) / bias2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive = bias2**0.5 / (np.sqrt(v) + options["eps"])
            return p - m_hat * lr * adaptive * rect
        return p - m_hat * lr
