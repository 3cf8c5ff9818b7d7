"""Loss modules with torch.nn's names: each holds a ``reduction`` and calls the mg.nn loss function.

>>> import microgradx as mg
>>> loss_fn = MSELoss()
>>> loss_fn(mg.Tensor([1.0, 3.0]), [0.0, 0.0]).item()
5.0
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import losses
from .module import Module

__all__ = ["MSELoss", "CrossEntropyLoss", "BCELoss", "BCEWithLogitsLoss", "HingeLoss"]


class _Loss(Module):
    """A loss function with its ``reduction`` ("mean", "sum" or "none") fixed."""

    _fn: Callable[..., Any] = staticmethod(losses.mse_loss)

    def __init__(self, reduction: str = "mean") -> None:
        self.reduction = losses._check_reduction(reduction, type(self).__name__)

    def forward(self, input: Any, target: Any) -> Any:
        return type(self)._fn(input, target, reduction=self.reduction)

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """``mse_loss(input, target, reduction)``: squared errors, averaged by default.

    >>> MSELoss(reduction="sum")([1.0, 3.0], [0.0, 0.0]).item()
    10.0
    """

    _fn = staticmethod(losses.mse_loss)


class CrossEntropyLoss(_Loss):
    """``cross_entropy(logits, targets, reduction)``: (N, C) logits and N integer class indices.

    >>> import microgradx as mg
    >>> round(CrossEntropyLoss()(mg.Tensor([[0.0, 0.0]]), [1]).item(), 6)
    0.693147
    """

    _fn = staticmethod(losses.cross_entropy)


class BCELoss(_Loss):
    """``binary_cross_entropy(probs, targets, reduction)``: probabilities in (0, 1), targets in [0, 1].

    >>> round(BCELoss()([0.5], [1.0]).item(), 6)
    0.693147
    """

    _fn = staticmethod(losses.binary_cross_entropy)


class BCEWithLogitsLoss(_Loss):
    """``binary_cross_entropy_with_logits(logits, targets, reduction)``: stable for any logit.

    >>> BCEWithLogitsLoss()([1000.0, -1000.0], [1.0, 0.0]).item()
    0.0
    """

    _fn = staticmethod(losses.binary_cross_entropy_with_logits)


class HingeLoss(_Loss):
    """``hinge_loss(scores, labels, reduction)``: micrograd's SVM loss, labels in {-1, +1}.

    >>> HingeLoss()([2.0, 0.5], [1, 1]).item()
    0.25
    """

    _fn = staticmethod(losses.hinge_loss)
