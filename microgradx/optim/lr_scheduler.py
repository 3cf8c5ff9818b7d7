"""Learning-rate schedules: each changes ``optimizer.lr`` once per ``step()``.

The numbers equal ``torch.optim.lr_scheduler``'s (the same recursions). An
optimizer here has one learning rate, so ``get_last_lr()`` is a one-item
list, as PyTorch's is for one parameter group.

>>> import microgradx as mg
>>> opt = mg.optim.SGD([mg.Value(0.0)], lr=1.0)
>>> sched = StepLR(opt, step_size=2, gamma=0.5)
>>> for _ in range(4):
...     sched.step()
>>> opt.lr
0.25
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from .optimizer import Optimizer, check_number

__all__ = [
    "LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR", "LinearWarmup",
    "ReduceLROnPlateau",
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


class LRScheduler:
    """Base of the epoch-counting schedules: ``step()`` moves to the next epoch.

    ``base_lr`` is the optimizer's lr when the scheduler was made; ``last_epoch``
    counts the ``step()`` calls.

    >>> import microgradx as mg
    >>> opt = mg.optim.SGD([mg.Value(0.0)], lr=0.1)
    >>> ExponentialLR(opt, gamma=0.5).get_last_lr()
    [0.1]
    """

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = _check_optimizer(optimizer, type(self).__name__)
        self.base_lr = optimizer.lr
        self.last_epoch = 0
        self._last_lr = [optimizer.lr]

    def _next_lr(self, lr: float) -> float:
        """The lr for epoch ``last_epoch`` (already advanced), from the current ``lr``."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and set the optimizer's lr.

        >>> import microgradx as mg
        >>> opt = mg.optim.SGD([mg.Value(0.0)], lr=1.0)
        >>> s = ExponentialLR(opt, gamma=0.5); s.step(); opt.lr
        0.5
        """
        self.last_epoch += 1
        self.optimizer.lr = self._next_lr(self.optimizer.lr)
        self._last_lr = [self.optimizer.lr]

    def _restart(self) -> None:
        """Go back to epoch 0 (lr = base_lr): used by LinearWarmup's hand-over."""
        self.last_epoch = 0
        self.optimizer.lr = self.base_lr
        self._last_lr = [self.base_lr]

    def get_last_lr(self) -> list[float]:
        """The lr set by the last ``step()`` (or at construction), as a one-item list.

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

    def _next_lr(self, lr: float) -> float:
        return lr * self.gamma if self.last_epoch % self.step_size == 0 else lr


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

    def _next_lr(self, lr: float) -> float:
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

    def _next_lr(self, lr: float) -> float:
        e, T, eta = self.last_epoch, self.T_max, self.eta_min
        if (e - 1 - T) % (2 * T) == 0:
            return lr + (self.base_lr - eta) * (1 - math.cos(math.pi / T)) / 2
        return (1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T)) * (
            lr - eta) + eta


class ReduceLROnPlateau:
    """Cut the lr by ``factor`` when a metric has stopped improving, as PyTorch's.

    ``step(metric)`` once per epoch. An epoch is *better* when the metric beats
    the best so far by ``threshold`` (relative: ``best * (1 - threshold)`` in
    "min" mode, ``best * (1 + threshold)`` in "max"; absolute: ``best -/+ threshold``).
    After more than ``patience`` epochs in a row without a better one,
    ``lr = max(lr * factor, min_lr)`` (only if that changes it by more than
    ``eps``), then ``cooldown`` epochs are ignored.

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
        min_lr: float = 0.0,
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
        self.min_lr = check_number("min_lr", min_lr, owner=owner)
        self.eps = check_number("eps", eps, owner=owner)
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [optimizer.lr]

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
            old = self.optimizer.lr
            new = max(old * self.factor, self.min_lr)
            if old - new > self.eps:
                self.optimizer.lr = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [self.optimizer.lr]

    def _restart(self) -> None:
        self.last_epoch = 0

    def get_last_lr(self) -> list[float]:
        """The lr after the last ``step()``, as a one-item list."""
        return list(self._last_lr)


class LinearWarmup(LRScheduler):
    """Ramp the lr up linearly, then hand over to another schedule.

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
        optimizer.lr = self.base_lr / self.warmup_steps
        self._last_lr = [optimizer.lr]

    def _next_lr(self, lr: float) -> float:
        e = self.last_epoch
        return self.base_lr * (e + 1) / self.warmup_steps if e < self.warmup_steps else self.base_lr

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
                self.optimizer.lr = self.base_lr
            return
        self.last_epoch += 1
        if isinstance(self.after, ReduceLROnPlateau):
            if metric is None:
                raise TypeError("LinearWarmup.step(): the ReduceLROnPlateau after the warm-up "
                                "needs the metric: step(metric)")
            self.after.step(metric)
        else:
            self.after.step()
        self._last_lr = [self.optimizer.lr]
