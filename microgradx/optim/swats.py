"""SWATS: start with Adam, switch to SGD once Adam's implied SGD rate settles.

Keskar & Socher (2017), "Improving Generalization Performance by Switching
from Adam to SGD", Algorithm 1.

>>> import microgradx as mg
>>> w = mg.Value(5.0); opt = SWATS([w], lr=0.1)
>>> for _ in range(3):
...     w.grad = 1.0; opt.step()       # a constant gradient: the rate settles at once
>>> opt.switched, round(opt.sgd_lr, 6)
(True, 0.1)
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..autograd import Node
from .adam import ADAM_OPTIONS
from .optimizer import Optimizer
from .options import check_number

__all__ = ["SWATS"]


class SWATS(Optimizer):
    """Adam until a switch, then SGD with momentum at a learned rate (Keskar & Socher, 2017).

    Adam phase, at step k (from 1), with ``m``, ``a``, ``lam`` starting at 0::

        g     = grad + weight_decay * p
        m     = beta1 * m + (1 - beta1) * g
        a     = beta2 * a + (1 - beta2) * g * g
        s     = -lr * sqrt(1 - beta2**k) / (1 - beta1**k) * m / (sqrt(a) + eps)
        p     = p + s
        if s . g != 0:
            gamma = (s . s) / (-s . g)             # the SGD rate whose step projects onto s
            lam   = beta2 * lam + (1 - beta2) * gamma
            if k > 1 and |lam / (1 - beta2**k) - gamma| < eps:
                switch; sgd_lr = lam / (1 - beta2**k); v = 0

    SGD phase (the paper's lines 6-7: momentum beta1, learned rate ``sgd_lr``)::

        v = beta1 * v + g
        p = p - (1 - beta1) * sgd_lr * v

    The learned rate is **global**: the dot products ``s . s`` and ``s . g``
    run over all parameters together, as one flat vector, so there is one
    ``gamma``, one ``sgd_lr`` and one switch for the whole model. ``eps``
    (default 1e-9, the paper's value) is both Adam's denominator term and
    the switching tolerance, as in the paper. After the switch, ``lr`` (and
    so any scheduler) no longer acts; ``sgd_lr`` is the rate in use.

    Param groups may have their own ``lr`` and ``weight_decay`` (the Adam phase);
    ``betas`` and ``eps`` drive the one switch, so every group has the same.

    Attributes: ``switched`` (bool), ``sgd_lr`` (float, None before the switch),
    ``switch_step`` (the step k at which it switched, or None).

    >>> import microgradx as mg
    >>> w = mg.Value(0.0); opt = SWATS([w], lr=0.1)
    >>> w.grad = 1.0; opt.step(); round(w.data, 6), opt.switched
    (-0.1, False)
    """

    _options = dict(ADAM_OPTIONS)

    def __init__(
        self,
        params: Iterable[Node] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-9,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay})
        self._shared([self._group_options(k) for k in range(len(self.param_groups))])
        self.switched = False
        self.sgd_lr: float | None = None
        self.switch_step: int | None = None
        self._k = 0
        self._lam = 0.0

    def _shared(self, options: list[dict[str, Any]]) -> tuple[tuple[float, float], float]:
        """The betas and eps of every group: one value each, since the switch is global."""
        found = {(o["betas"], o["eps"]) for o in options}
        if len(found) > 1:
            raise ValueError(
                f"SWATS: every param group needs the same betas and eps (they drive the one, "
                f"global switch to SGD), got {sorted(found)}; give the groups different lr or "
                "weight_decay instead"
            )
        return next(iter(found))

    def _update_all(self, work: list[tuple[dict, np.ndarray, np.ndarray, dict]]) -> list[np.ndarray]:
        if not work:
            return []
        (beta1, beta2), eps = self._shared([o for *_, o in work])
        work = [(state, p, g + o["weight_decay"] * p if o["weight_decay"] != 0 else g, o)
                for state, p, g, o in work]
        if self.switched:
            return [self._sgd(p, g, state, beta1) for state, p, g, _ in work]
        self._k += 1
        k = self._k
        steps = []
        for state, p, g, o in work:
            scale = -o["lr"] * (1 - beta2**k) ** 0.5 / (1 - beta1**k)
            if not state:
                state["exp_avg"] = np.zeros_like(p)
                state["exp_avg_sq"] = np.zeros_like(p)
            m = state["exp_avg"] = beta1 * state["exp_avg"] + (1 - beta1) * g
            a = state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1 - beta2) * (g * g)
            steps.append(scale * m / (np.sqrt(a) + eps))
        ss = sum(float(np.dot(s.ravel(), s.ravel())) for s in steps)
        sg = sum(float(np.dot(s.ravel(), g.ravel())) for s, (_, _, g, _) in zip(steps, work))
        if sg != 0:
            gamma = ss / -sg
            self._lam = beta2 * self._lam + (1 - beta2) * gamma
            rate = self._lam / (1 - beta2**k)
            if k > 1 and abs(rate - gamma) < eps:
                self.switched, self.sgd_lr, self.switch_step = True, rate, k
        return [p + s for s, (_, p, _, _) in zip(steps, work)]

    def _state_spec(self, options: dict[str, Any]) -> dict[str, str]:
        return {"exp_avg": "array", "exp_avg_sq": "array", "momentum_buffer": "array?"}

    def _sgd(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any], beta1: float) -> np.ndarray:
        buf = state.get("momentum_buffer")
        buf = g.copy() if buf is None else beta1 * buf + g
        state["momentum_buffer"] = buf
        assert self.sgd_lr is not None
        return p - (1 - beta1) * self.sgd_lr * buf

    def _global_state(self) -> dict[str, Any]:
        return {
            "k": self._k, "lam": self._lam, "switched": self.switched,
            "sgd_lr": self.sgd_lr, "switch_step": self.switch_step,
        }

    def _check_global_state(self, state: Any, owner: str) -> dict[str, Any]:
        names = ["k", "lam", "switched", "sgd_lr", "switch_step"]
        if not isinstance(state, dict) or sorted(state) != sorted(names):
            got = sorted(state) if isinstance(state, dict) else state
            raise ValueError(f"{owner}: a SWATS state_dict has 'global': {{{', '.join(names)}}}; "
                             f"got {got!r}")
        k, step = state["k"], state["switch_step"]
        for name, n in (("k", k), ("switch_step", step)):
            if n is not None and (isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0):
                raise ValueError(f"{owner}: global {name!r} must be a whole number >= 0, got {n!r}")
        switched = state["switched"]
        if not isinstance(switched, (bool, np.bool_)):
            raise ValueError(f"{owner}: global 'switched' must be True or False, got {switched!r}")
        lam = check_number("lam", state["lam"], owner=owner, low=-np.inf)
        rate = state["sgd_lr"]
        if bool(switched) != (rate is not None) or bool(switched) != (step is not None):
            raise ValueError(f"{owner}: after the switch sgd_lr and switch_step are numbers, before "
                             f"it None; got switched={switched}, sgd_lr={rate!r}, switch_step={step!r}")
        return {"k": int(k), "lam": lam, "switched": bool(switched),
                "sgd_lr": None if rate is None else check_number("sgd_lr", rate, owner=owner,
                                                                 low=-np.inf),
                "switch_step": None if step is None else int(step)}

    def _load_global_state(self, state: dict[str, Any]) -> None:
        self._k, self._lam, self.switched = state["k"], state["lam"], state["switched"]
        self.sgd_lr, self.switch_step = state["sgd_lr"], state["switch_step"]
