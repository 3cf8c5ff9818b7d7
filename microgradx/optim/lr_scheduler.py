"""Learning-rate schedules: each sets every param group's ``lr`` once per ``step()``.

The numbers equal ``torch.optim.lr_scheduler``'s (the same recursions), group
by group: ``get_last_lr()`` is one lr per param group, as PyTorch's.
``state_dict()`` / ``load_state_dict()`` save a schedule's position (not the
optimizer's: save that with the optimizer's own ``state_dict``).

>>> import microgradx as mg
>>> opt = mg.optim.SGD([mg.Value(0.0)], lr=1.0)
>>> sched = StepLR(opt, step_size=2, gamma=0.5)
>>> for _ in range(4):
...     sched.step()
>>> opt.lr
0.25
"""

from __future__ import annotations

import copy
import math
import numbers
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from .optimizer import Optimizer
from .options import check_number

__all__ = [
    "LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR",
    "OneCycleLR", "LinearWarmup", "ReduceLROnPlateau",
]


def _check_optimizer(optimizer: Any, owner: str) -> Optimizer:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"{owner} needs an mg.optim optimizer, got {type(optimizer).__name__}; "
            "e.g. StepLR(mg.optim.SGD(params, lr=0.1), step_size=10)"
        )
    return optimizer


def _check_count(name: str, value: Any, owner: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{owner}: {name} must be a positive integer, got {value!r}")
    return int(value)


def _per_group(name: str, value: Any, optimizer: Optimizer, owner: str) -> list[float]:
    """One number for every param group: a number for all, or a list with one per group."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{owner}: {name} has {len(value)} values but the optimizer has {n} "
                             "param groups; give one per group, or one number for all")
        return [check_number(name, v, owner=owner) for v in value]
    return [check_number(name, value, owner=owner)] * n


def _groups(scheduler: Any) -> list[dict[str, Any]]:
    groups = scheduler.optimizer.param_groups
    if len(groups) != len(scheduler._last_lr):
        raise ValueError(
            f"{type(scheduler).__name__}: the optimizer now has {len(groups)} param groups, but the "
            f"schedule was made for {len(scheduler._last_lr)}; make the scheduler after "
            "add_param_group()"
        )
    return groups


class _SavesState:
    """``state_dict()`` / ``load_state_dict()`` over the schedule's own attributes, as torch's."""

    _not_saved: tuple[str, ...] = ("optimizer",)

    def state_dict(self) -> dict[str, Any]:
        """The schedule's position and settings (a copy; the optimizer is not included).

        >>> import microgradx as mg
        >>> opt = mg.optim.SGD([mg.Value(0.0)], lr=1.0)
        >>> s = StepLR(opt, step_size=2); s.step(); s.state_dict()["last_epoch"]
        1
        """
        out = {k: copy.deepcopy(v) for k, v in vars(self).items() if k not in self._not_saved}
        after = getattr(self, "after", None)
        if after is not None:
            out["after"] = after.state_dict()
        return out

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Continue from what :meth:`state_dict` returned (same schedule class and settings).

        >>> import microgradx as mg
        >>> opt = mg.optim.SGD([mg.Value(0.0)], lr=1.0)
        >>> s = StepLR(opt, step_size=2); s.step(); saved = s.state_dict()
        >>> t = StepLR(opt, step_size=2); t.load_state_dict(saved); t.last_epoch
        1
        """
        owner = f"{type(self).__name__}.load_state_dict()"
        mine = {k for k in vars(self) if k not in self._not_saved}
        if getattr(self, "after", None) is not None:
            mine.add("after")
        if not isinstance(state_dict, dict) or set(state_dict) != mine:
            got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"{owner}: expected the keys {sorted(mine)} (a state_dict of this "
                             f"schedule), got {got}")
        if len(state_dict.get("_last_lr", [])) != len(self.optimizer.param_groups):
            raise ValueError(f"{owner}: the state_dict is for {len(state_dict['_last_lr'])} param "
                             f"groups, the optimizer has {len(self.optimizer.param_groups)}")
        rest = {k: copy.deepcopy(v) for k, v in state_dict.items() if k != "after"}
        if "after" in state_dict:
            self.after.load_state_dict(state_dict["after"])  # type: ignore[attr-defined]
        vars(self).update(rest)


class LRScheduler(_SavesState):
    """Base of the epoch-counting schedules: ``step()`` moves to the next epoch.

    ``base_lrs`` are the param groups' lrs when the scheduler was made
    (``base_lr`` the first); ``last_epoch`` counts the ``step()`` calls.

    >>> import microgradx as mg
    >>> opt = mg.optim.SGD([mg.Value(0.0)], lr=0.1)
    >>> ExponentialLR(opt, gamma=0.5).get_last_lr()
    [0.1]
    """

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = _check_optimizer(optimizer, type(self).__name__)
        self.base_lrs = [float(g["lr"]) for g in optimizer.param_groups]
        self.last_epoch = 0
        for k, g in enumerate(optimizer.param_groups):
            g["lr"] = self._first_lr(k)
        self._last_lr = [g["lr"] for g in optimizer.param_groups]

    @property
    def base_lr(self) -> float:
        """The first param group's lr when the scheduler was made."""
        return self.base_lrs[0]

    def _first_lr(self, k: int) -> float:
        """Group ``k``'s lr at epoch 0, set at construction (most schedules: its base lr)."""
        return self.base_lrs[k]

    def _next_lr(self, k: int, lr: float) -> float:
        """Group ``k``'s lr for epoch ``last_epoch`` (already advanced), from its current ``lr``."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and set each param group's lr.

        >>> import microgradx as mg
        >>> opt = mg.optim.SGD([mg.Value(0.0)], lr=1.0)
        >>> s = ExponentialLR(opt, gamma=0.5); s.step(); opt.lr
        0.5
        """
        groups = _groups(self)
        self.last_epoch += 1
        for k, g in enumerate(groups):
            g["lr"] = self._next_lr(k, g["lr"])
        self._last_lr = [g["lr"] for g in groups]

    def _restart(self) -> None:
        """Go back to epoch 0 (each lr its base): used by LinearWarmup's hand-over."""
        self.last_epoch = 0
        for k, g in enumerate(_groups(self)):
            g["lr"] = self._first_lr(k)
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The lrs set by the last ``step()`` (or at construction), one per param group.

        >>> import microgradx as mg
        >>> opt = mg.optim.SGD([mg.Value(0.0)], lr=0.3)
        >>> StepLR(opt, step_size=5).get_last_lr()
        [0.3]
        """
        return list(self._last_lr)


class StepLR(LRScheduler):
    """Multiply the lr by ``gamma`` every ``step_size`` epochs:
    ``lr_e = base_lr * gamma ** (e // step_size)``.

    >>> import microgradx as mg
    >>> opt = mg.optim.SGD([mg.Value(0.0)], lr=1.0)
    >>> s = StepLR(opt, step_size=1, gamma=0.1); s.step(); round(opt.lr, 12)
    0.1
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = _check_count("step_size", step_size, "StepLR")
        self.gamma = check_number("gamma", gamma, owner="StepLR")
        super().__init__(optimizer)

    def _next_lr(self, k: int, lr: float) -> float:
        return lr * self.gamma if self.last_epoch % self.step_size == 0 else lr


class MultiStepLR(LRScheduler):
    """Multiply the lr by ``gamma`` at each epoch in ``milestones`` (a milestone listed
    twice multiplies by ``gamma**2``), as ``torch.optim.lr_scheduler.MultiStepLR``.

    >>> import microgradx as mg
    >>> opt = mg.optim.SGD([mg.Value(0.0)], lr=1.0)
    >>> s = MultiStepLR(opt, milestones=[1, 3], gamma=0.5)
    >>> lrs = []
    >>> for _ in range(4):
    ...     s.step(); lrs.append(opt.lr)
    >>> lrs
    [0.5, 0.5, 0.25, 0.25]
    """

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1) -> None:
        owner = "MultiStepLR"
        if isinstance(milestones, (str, bytes)) or not isinstance(milestones, Iterable):
            raise TypeError(f"{owner}: milestones must be a list of epochs, got {milestones!r}")
        milestones = list(milestones)
        for m in milestones:
            if isinstance(m, bool) or not isinstance(m, numbers.Integral) or m < 0:
                raise ValueError(f"{owner}: milestones must be whole numbers >= 0, got {m!r}")
        self.milestones = dict(sorted(Counter(int(m) for m in milestones).items()))
        self.gamma = check_number("gamma", gamma, owner=owner)
        super().__init__(optimizer)

    def _first_lr(self, k: int) -> float:
        return self._next_lr(k, self.base_lrs[k])

    def _next_lr(self, k: int, lr: float) -> float:
        if self.last_epoch not in self.milestones:
            return lr
        return lr * self.gamma ** self.milestones[self.last_epoch]


class ExponentialLR(LRScheduler):
    """Multiply the lr by ``gamma`` every epoch: ``lr_e = base_lr * gamma ** e``.

    >>> import microgradx as mg
    >>> opt = mg.optim.SGD([mg.Value(0.0)], lr=2.0)
    >>> s = ExponentialLR(opt, gamma=0.5); s.step(); s.step(); opt.lr
    0.5
    """

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = check_number("gamma", gamma, owner="ExponentialLR")
        super().__init__(optimizer)

    def _next_lr(self, k: int, lr: float) -> float:
        return lr * self.gamma


class CosineAnnealingLR(LRScheduler):
    """Cosine from ``base_lr`` down to ``eta_min`` over ``T_max`` epochs (SGDR without
    restarts), computed with PyTorch's recursion, whose closed form for
    ``0 <= e <= T_max`` is ``eta_min + (base_lr - eta_min) * (1 + cos(pi e / T_max)) / 2``.
    Past ``T_max`` it rises again, as PyTorch's does.

    >>> import microgradx as mg
    >>> opt = mg.optim.SGD([mg.Value(0.0)], lr=1.0)
    >>> s = CosineAnnealingLR(opt, T_max=2)
    >>> s.step(); round(opt.lr, 12); s.step(); round(opt.lr, 12)
    0.5
    0.0
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = _check_count("T_max", T_max, "CosineAnnealingLR")
        self.eta_min = check_number("eta_min", eta_min, owner="CosineAnnealingLR")
        super().__init__(optimizer)

    def _next_lr(self, k: int, lr: float) -> float:
        e, T, eta = self.last_epoch, self.T_max, self.eta_min
        if (e - 1 - T) % (2 * T) == 0:
            return lr + (self.base_lrs[k] - eta) * (1 - math.cos(math.pi / T)) / 2
        return (1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T)) * (
            lr - eta) + eta


class LambdaLR(LRScheduler):
    """``lr = base_lr * lr_lambda(epoch)``; one function for all groups or one per group,
    as ``torch.optim.lr_scheduler.LambdaLR``. The lr at construction is ``lr_lambda(0)``
    times the base. ``state_dict()`` leaves the functions out (save how to make them).

    >>> import microgradx as mg
    >>> opt = mg.optim.SGD([mg.Value(0.0)], lr=2.0)
    >>> s = LambdaLR(opt, lambda e: 1 / (e + 1)); s.step(); opt.lr
    1.0
    """

    _not_saved = ("optimizer", "lr_lambdas")

    def __init__(self, optimizer: Optimizer,
                 lr_lambda: Callable[[int], float] | list[Callable[[int], float]]) -> None:
        owner = "LambdaLR"
        n = len(_check_optimizer(optimizer, owner).param_groups)
        lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * n
        if len(lambdas) != n:
            raise ValueError(f"{owner}: {len(lambdas)} lr_lambdas for {n} param groups; give one "
                             "function, or one per group")
        for f in lambdas:
            if not callable(f):
                raise TypeError(f"{owner}: lr_lambda must be a function epoch -> factor, got "
                                f"{type(f).__name__} {f!r}")
        self.lr_lambdas = lambdas
        super().__init__(optimizer)

    def _factor(self, k: int) -> float:
        factor = self.lr_lambdas[k](self.last_epoch)
        if isinstance(factor, bool) or not isinstance(factor, numbers.Real):
            raise TypeError(f"LambdaLR: lr_lambda({self.last_epoch}) for param group {k} returned "
                            f"{type(factor).__name__} {factor!r}; it must return a number")
        return factor

    def _first_lr(self, k: int) -> float:
        return self.base_lrs[k] * self._factor(k)

    def _next_lr(self, k: int, lr: float) -> float:
        return self.base_lrs[k] * self._factor(k)


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin, 2018), as ``torch.optim.lr_scheduler.OneCycleLR``.

    Step it after every batch, ``total_steps`` times (or ``epochs * steps_per_epoch``).
    Per param group the lr rises from ``max_lr / div_factor`` to ``max_lr`` over the
    first ``pct_start`` of the steps, then anneals (``anneal_strategy`` 'cos' or
    'linear') down to ``max_lr / div_factor / final_div_factor``; ``three_phase``
    adds torch's symmetric way back before the final anneal. With ``cycle_momentum``
    the momentum (SGD, RMSprop) or beta1 (Adam family) moves the opposite way,
    between ``max_momentum`` and ``base_momentum``. ``max_lr`` and the momenta
    take one number, or a list with one per group.

    >>> import microgradx as mg
    >>> opt = mg.optim.SGD([mg.Value(0.0)], lr=0.1, momentum=0.9)
    >>> s = OneCycleLR(opt, max_lr=1.0, total_steps=10)
    >>> round(opt.lr, 12), opt.param_groups[0]["momentum"]
    (0.04, 0.95)
    >>> for _ in range(2):
    ...     s.step()
    >>> round(opt.lr, 12), round(opt.param_groups[0]["momentum"], 12)
    (1.0, 0.85)
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
    ) -> None:
        owner = "OneCycleLR"
        _check_optimizer(optimizer, owner)
        if total_steps is not None:
            self.total_steps = _check_count("total_steps", total_steps, owner)
        elif epochs is not None and steps_per_epoch is not None:
            self.total_steps = (_check_count("epochs", epochs, owner)
                                * _check_count("steps_per_epoch", steps_per_epoch, owner))
        else:
            raise ValueError(f"{owner}: give total_steps, or epochs and steps_per_epoch")
        pct_start = check_number("pct_start", pct_start, owner=owner)
        if pct_start > 1:
            raise ValueError(f"{owner}: pct_start is a fraction of the steps in [0, 1], got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"{owner}: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        self.anneal_strategy = anneal_strategy
        self.three_phase = bool(three_phase)
        div_factor = check_number("div_factor", div_factor, owner=owner)
        final_div_factor = check_number("final_div_factor", final_div_factor, owner=owner)
        if div_factor == 0 or final_div_factor == 0:
            raise ValueError(f"{owner}: div_factor and final_div_factor divide the lr; they must be > 0")
        T = self.total_steps
        up = float(pct_start * T) - 1
        # (end step, start lr, end lr, start momentum, end momentum) of each phase
        self.phases = [(up, "initial", "max", "max", "base")]
        if self.three_phase:
            self.phases += [(float(2 * pct_start * T) - 2, "max", "initial", "base", "max"),
                            (T - 1, "initial", "min", "max", "max")]
        else:
            self.phases += [(T - 1, "max", "min", "base", "max")]
        self.max_lrs = _per_group("max_lr", max_lr, optimizer, owner)
        self.initial_lrs = [m / div_factor for m in self.max_lrs]
        self.min_lrs = [i / final_div_factor for i in self.initial_lrs]
        self.cycle_momentum = bool(cycle_momentum)
        self.use_beta1 = "betas" in optimizer.defaults
        if self.cycle_momentum and not (self.use_beta1 or "momentum" in optimizer.defaults):
            raise ValueError(f"{owner}: cycle_momentum needs an optimizer with momentum or betas; "
                             f"{type(optimizer).__name__} has neither (pass cycle_momentum=False)")
        self.max_momentums = _per_group("max_momentum", max_momentum, optimizer, owner)
        self.base_momentums = _per_group("base_momentum", base_momentum, optimizer, owner)
        super().__init__(optimizer)

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def _first_lr(self, k: int) -> float:
        return self._next_lr(k, self.base_lrs[k])

    def _next_lr(self, k: int, lr: float) -> float:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR: stepped {step} times, but total_steps is "
                             f"{self.total_steps}; make it with the number of batches you train for")
        lrs = {"initial": self.initial_lrs[k], "max": self.max_lrs[k], "min": self.min_lrs[k]}
        moms = {"max": self.max_momentums[k], "base": self.base_momentums[k]}
        i, start = 0, 0.0
        while step > self.phases[i][0] and i < len(self.phases) - 1:
            start = self.phases[i][0]
            i += 1
        end, lr0, lr1, m0, m1 = self.phases[i]
        if end == start:
            raise ValueError(f"OneCycleLR: phase {i + 1} of the cycle has no steps "
                             f"(total_steps={self.total_steps}); use more total_steps or "
                             "another pct_start")
        pct = (step - start) / (end - start)
        if self.cycle_momentum:
            group = self.optimizer.param_groups[k]
            momentum = self._anneal(moms[m0], moms[m1], pct)
            if self.use_beta1:
                group["betas"] = (momentum, *group["betas"][1:])
            else:
                group["momentum"] = momentum
        return self._anneal(lrs[lr0], lrs[lr1], pct)


class ReduceLROnPlateau(_SavesState):
    """Cut every group's lr by ``factor`` when a metric has stopped improving, as PyTorch's.

    ``step(metric)`` once per epoch. An epoch is *better* when the metric beats
    the best so far by ``threshold`` (relative: ``best * (1 - threshold)`` in
    "min" mode, ``best * (1 + threshold)`` in "max"; absolute: ``best -/+ threshold``).
    After more than ``patience`` epochs in a row without a better one, each
    group's ``lr = max(lr * factor, min_lr)`` (only if that changes it by more
    than ``eps``), then ``cooldown`` epochs are ignored. ``min_lr``: one number,
    or a list with one per param group.

    >>> import microgradx as mg
    >>> opt = mg.optim.SGD([mg.Value(0.0)], lr=1.0)
    >>> s = ReduceLROnPlateau(opt, patience=1, factor=0.5)
    >>> for loss in [3.0, 3.0, 3.0]:
    ...     s.step(loss)
    >>> opt.lr
    0.5
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | list[float] = 0.0,
        eps: float = 1e-8,
    ) -> None:
        owner = "ReduceLROnPlateau"
        self.optimizer = _check_optimizer(optimizer, owner)
        if mode not in ("min", "max"):
            raise ValueError(f"{owner}: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"{owner}: threshold_mode must be 'rel' or 'abs', got "
                             f"{threshold_mode!r}")
        self.factor = check_number("factor", factor, owner=owner)
        if self.factor >= 1.0:
            raise ValueError(f"{owner}: factor must be < 1.0 (it multiplies the lr), got {factor}")
        for name, value in (("patience", patience), ("cooldown", cooldown)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
                raise ValueError(f"{owner}: {name} must be an integer >= 0, got {value!r}")
        self.mode, self.threshold_mode = mode, threshold_mode
        self.patience, self.cooldown = int(patience), int(cooldown)
        self.threshold = check_number("threshold", threshold, owner=owner)
        self.min_lrs = _per_group("min_lr", min_lr, optimizer, owner)
        self.eps = check_number("eps", eps, owner=owner)
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [g["lr"] for g in optimizer.param_groups]

    def _is_better(self, a: float) -> bool:
        best, th = self.best, self.threshold
        if self.mode == "min":
            return a < best * (1.0 - th) if self.threshold_mode == "rel" else a < best - th
        return a > best * (th + 1.0) if self.threshold_mode == "rel" else a > best + th

    def step(self, metric: float) -> None:
        """Record this epoch's metric (e.g. the validation loss) and maybe cut the lr.

        >>> import microgradx as mg
        >>> opt = mg.optim.SGD([mg.Value(0.0)], lr=1.0)
        >>> s = ReduceLROnPlateau(opt, patience=0); s.step(1.0); s.step(2.0); opt.lr
        0.1
        """
        try:
            current = float(metric)
        except (TypeError, ValueError):
            raise TypeError(
                f"ReduceLROnPlateau.step() needs the metric as a number, got "
                f"{type(metric).__name__} {metric!r}"
            ) from None
        groups = _groups(self)
        self.last_epoch += 1
        if self._is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for g, min_lr in zip(groups, self.min_lrs):
                old = float(g["lr"])
                new = max(old * self.factor, min_lr)
                if old - new > self.eps:
                    g["lr"] = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [g["lr"] for g in groups]

    def _restart(self) -> None:
        self.last_epoch = 0

    def get_last_lr(self) -> list[float]:
        """The lrs after the last ``step()``, one per param group.

        >>> import microgradx as mg
        >>> ReduceLROnPlateau(mg.optim.SGD([mg.Value(0.0)], lr=0.5)).get_last_lr()
        [0.5]
        """
        return list(self._last_lr)


class LinearWarmup(LRScheduler):
    """Ramp each group's lr up linearly, then hand over to another schedule.

    For epoch ``e < warmup_steps``: ``lr = base_lr * (e + 1) / warmup_steps``
    (set at construction for e = 0). At ``e = warmup_steps`` the lr is
    ``base_lr`` and ``after`` (if given) restarts from its epoch 0; each later
    ``step()`` steps ``after``. This is PyTorch's
    ``SequentialLR([LinearLR(start_factor=1/W, total_iters=W-1), after], [W])``.
    With a ReduceLROnPlateau as ``after``, pass the metric: ``step(metric)``
    (ignored during the warm-up).

    >>> import microgradx as mg
    >>> opt = mg.optim.SGD([mg.Value(0.0)], lr=1.0)
    >>> w = LinearWarmup(opt, warmup_steps=4); opt.lr
    0.25
    >>> w.step(); opt.lr
    0.5
    """

    _not_saved = ("optimizer", "after")

    def __init__(
        self,
        optimizer: Optimizer,
        warmup_steps: int,
        after: LRScheduler | ReduceLROnPlateau | None = None,
    ) -> None:
        self.warmup_steps = _check_count("warmup_steps", warmup_steps, "LinearWarmup")
        if after is not None:
            if not isinstance(after, (LRScheduler, ReduceLROnPlateau)):
                raise TypeError(
                    f"LinearWarmup: after must be a scheduler, got {type(after).__name__}"
                )
            if after.optimizer is not optimizer:
                raise ValueError("LinearWarmup: after must schedule the same optimizer")
        self.after = after
        super().__init__(optimizer)

    def _first_lr(self, k: int) -> float:
        return self.base_lrs[k] / self.warmup_steps

    def _next_lr(self, k: int, lr: float) -> float:
        e, base = self.last_epoch, self.base_lrs[k]
        return base * (e + 1) / self.warmup_steps if e < self.warmup_steps else base

    def step(self, metric: float | None = None) -> None:  # type: ignore[override]
        """Advance one epoch: warm up, or step the ``after`` schedule.

        >>> import microgradx as mg
        >>> opt = mg.optim.SGD([mg.Value(0.0)], lr=1.0)
        >>> w = LinearWarmup(opt, 2, after=ExponentialLR(opt, gamma=0.5))
        >>> lrs = []
        >>> for _ in range(3):
        ...     w.step(); lrs.append(opt.lr)
        >>> lrs
        [1.0, 1.0, 0.5]
        """
        if self.after is None or self.last_epoch + 1 <= self.warmup_steps:
            super().step()
            if self.after is not None and self.last_epoch == self.warmup_steps:
                self.after._restart()
                for g, base in zip(self.optimizer.param_groups, self.base_lrs):
                    g["lr"] = base
                self._last_lr = list(self.base_lrs)
            return
        groups = _groups(self)
        self.last_epoch += 1
        if isinstance(self.after, ReduceLROnPlateau):
            if metric is None:
                raise TypeError("LinearWarmup.step(): the ReduceLROnPlateau after the warm-up "
                                "needs the metric: step(metric)")
            self.after.step(metric)
        else:
            self.after.step()
        self._last_lr = [g["lr"] for g in groups]
