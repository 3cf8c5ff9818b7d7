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
from .optimizer import Optimizer
from .options import check_betas, check_flag, check_number, lerp

__all__ = ["Adam", "AdamW", "AMSGrad", "ADAM_OPTIONS", "adam_moments"]

# The options Adam, AdamW, AMSGrad, RAdam and SWATS share.
ADAM_OPTIONS = {"lr": check_number, "betas": check_betas, "eps": check_number,
                "weight_decay": check_number}


def adam_moments(p: np.ndarray, g: np.ndarray, state: dict[str, Any], options: dict[str, Any],
                 decoupled: bool) -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
    """One step of the moments Adam and RAdam share; returns (p, t, m, v).

    Weight decay is added to the gradient (L2) or, ``decoupled``, applied to
    ``p`` first (AdamW); then m = EMA of g (beta1), v = EMA of g*g (beta2).

    >>> import numpy as np
    >>> state = {}; opts = {"lr": 0.1, "betas": (0.5, 0.5), "weight_decay": 0.0}
    >>> p, t, m, v = adam_moments(np.zeros(1), np.ones(1), state, opts, False)
    >>> t, m.tolist(), v.tolist()
    (1, [0.5], [0.5])
    """
    lr, (beta1, beta2), wd = options["lr"], options["betas"], options["weight_decay"]
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
    """Adam exactly as ``torch.optim.Adam`` (Kingma & Ba, 2015), with torch's options and defaults.

    At step t (from 1), with ``m``, ``v`` (and ``v_max``) starting at 0::

        g     = -grad if maximize else grad
        g     = g + weight_decay * p     (decoupled_weight_decay: p = p * (1 - lr * weight_decay))
        m     = beta1 * m + (1 - beta1) * g
        v     = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v)                (amsgrad; then v_max replaces v below)
        p     = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    ``Adam(decoupled_weight_decay=True)`` is :class:`AdamW`'s rule.

    >>> import microgradx as mg
    >>> w = mg.Value(0.0); opt = Adam([w], lr=0.5)
    >>> w.grad = -2.0; opt.step(); round(w.data, 6)
    0.5
    """

    _options = {**ADAM_OPTIONS, "amsgrad": check_flag, "maximize": check_flag,
                "decoupled_weight_decay": check_flag}

    def __init__(
        self,
        params: Iterable[Node] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        super().__init__(params, {
            "lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad,
            "maximize": maximize, "decoupled_weight_decay": decoupled_weight_decay,
        })

    def _state_spec(self, options: dict[str, Any]) -> dict[str, str]:
        spec = {"step": "count", "exp_avg": "array", "exp_avg_sq": "array"}
        if options["amsgrad"]:
            spec["max_exp_avg_sq"] = "array"
        return spec

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any],
                options: dict[str, Any]) -> np.ndarray:
        lr, (beta1, beta2) = options["lr"], options["betas"]
        p, t, m, v = adam_moments(p, g, state, options, options["decoupled_weight_decay"])
        if options["amsgrad"]:
            if "max_exp_avg_sq" not in state:
                state["max_exp_avg_sq"] = np.zeros_like(p)
            v = state["max_exp_avg_sq"] = np.maximum(state["max_exp_avg_sq"], v)
        step_size = lr / (1 - beta1**t)
        denom = np.sqrt(v) / (1 - beta2**t) ** 0.5 + options["eps"]
        return p - step_size * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay, exactly as ``torch.optim.AdamW``
    (Loshchilov & Hutter, 2019): ``p = p * (1 - lr * weight_decay)`` first, then
    the Adam step of :class:`Adam` on the plain gradient. The same as
    ``Adam(decoupled_weight_decay=True)``, with weight_decay 1e-2 by default.

    >>> import microgradx as mg
    >>> w = mg.Value(1.0); opt = AdamW([w], lr=0.1, weight_decay=0.5)
    >>> w.grad = 0.0; opt.step(); round(w.data, 6)   # only the decay acts
    0.95
    """

    def __init__(
        self,
        params: Iterable[Node] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)


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
        params: Iterable[Node] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad=True)
