"""Adam and its variants AdamW (decoupled weight decay) and AMSGrad.

>>> import microgradx as mg
>>> w = mg.Value(1.0); opt = Adam([w], lr=0.1)
>>> w.grad = 123.0; opt.step(); round(w.data, 6)   # the first step has size lr
0.9
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..autograd import Node
from .optimizer import Optimizer, check_betas, check_number, lerp

__all__ = ["Adam", "AdamW", "AMSGrad"]


def adam_hyperparams(owner: str, lr: float, betas: Any, eps: float,
                     weight_decay: float) -> dict[str, Any]:
    """The hyperparameters Adam, RAdam and SWATS share, checked (``lr`` by the base class).

    >>> adam_hyperparams("Adam", 0.1, (0.9, 0.99), 1e-8, 0)["betas"]
    (0.9, 0.99)
    """
    return {
        "lr": lr,
        "betas": check_betas(betas, owner),
        "eps": check_number("eps", eps, owner=owner),
        "weight_decay": check_number("weight_decay", weight_decay, owner=owner),
    }


def adam_moments(p: np.ndarray, g: np.ndarray, state: dict[str, Any], h: dict[str, Any],
                 decoupled: bool) -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
    """One step of the moments Adam and RAdam share; returns (p, t, m, v).

    Weight decay is added to the gradient (L2) or, ``decoupled``, applied to
    ``p`` first (AdamW); then m = EMA of g (beta1), v = EMA of g*g (beta2).
    """
    lr, (beta1, beta2), wd = h["lr"], h["betas"], h["weight_decay"]
    if not state:
        state["step"] = 0
        state["exp_avg"] = np.zeros_like(p)
        state["exp_avg_sq"] = np.zeros_like(p)
    state["step"] += 1
    if wd != 0:
        if decoupled:
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
    m = state["exp_avg"] = lerp(state["exp_avg"], g, 1 - beta1)
    v = state["exp_avg_sq"] = state["exp_avg_sq"] * beta2 + (1 - beta2) * (g * g)
    return p, state["step"], m, v


class Adam(Optimizer):
    """Adam exactly as ``torch.optim.Adam`` (Kingma & Ba, 2015).

    At step t (from 1), with ``m``, ``v`` (and ``v_max``) starting at 0::

        g     = grad + weight_decay * p      (AdamW instead: p = p * (1 - lr * weight_decay))
        m     = beta1 * m + (1 - beta1) * g
        v     = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v)                (amsgrad; then v_max replaces v below)
        p     = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    >>> import microgradx as mg
    >>> w = mg.Value(0.0); opt = Adam([w], lr=0.5)
    >>> w.grad = -2.0; opt.step(); round(w.data, 6)
    0.5
    """

    _decoupled = False

    def __init__(
        self,
        params: Iterable[Node],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ) -> None:
        hyper = adam_hyperparams(type(self).__name__, lr, betas, eps, weight_decay)
        super().__init__(params, {**hyper, "amsgrad": bool(amsgrad)})

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> np.ndarray:
        h = self.hyperparams
        lr, (beta1, beta2) = h["lr"], h["betas"]
        p, t, m, v = adam_moments(p, g, state, h, self._decoupled)
        if h["amsgrad"]:
            if "max_exp_avg_sq" not in state:
                state["max_exp_avg_sq"] = np.zeros_like(p)
            v = state["max_exp_avg_sq"] = np.maximum(state["max_exp_avg_sq"], v)
        step_size = lr / (1 - beta1**t)
        denom = np.sqrt(v) / (1 - beta2**t) ** 0.5 + h["eps"]
        return p - step_size * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay, exactly as ``torch.optim.AdamW``
    (Loshchilov & Hutter, 2019): ``p = p * (1 - lr * weight_decay)`` first, then
    the Adam step of :class:`Adam` on the plain gradient.

    >>> import microgradx as mg
    >>> w = mg.Value(1.0); opt = AdamW([w], lr=0.1, weight_decay=0.5)
    >>> w.grad = 0.0; opt.step(); round(w.data, 6)   # only the decay acts
    0.95
    """

    _decoupled = True

    def __init__(
        self,
        params: Iterable[Node],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


class AMSGrad(Adam):
    """Adam with ``amsgrad=True`` (Reddi et al., 2018), as ``torch.optim.Adam(amsgrad=True)``:
    the running maximum is taken over the raw second moment ``v``, then
    bias-corrected like ``v`` in :class:`Adam`.

    >>> import microgradx as mg
    >>> w = mg.Value(0.0); opt = AMSGrad([w], lr=0.1)
    >>> w.grad = 1.0; opt.step(); round(w.data, 6)
    -0.1
    """

    def __init__(
        self,
        params: Iterable[Node],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad=True)
