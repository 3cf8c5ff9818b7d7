"""Loss functions for Tensors and for lists of Values.

Every loss is a mean over the samples by default (``reduction="sum"`` adds
them up, ``reduction="none"`` gives one loss per sample, as in PyTorch).
Tensor inputs give a 0-d Tensor;
a Value or a list of Values (the scalar MLP's outputs) gives one Value whose
graph ends in a single ``mg.sum`` node. Targets are plain numbers/arrays
(or Tensors/Values, which then also receive gradients).

>>> import numpy as np, microgradx as mg
>>> pred = mg.Tensor([0.5, 2.0], requires_grad=True)
>>> float(mse_loss(pred, [1.0, 2.0]).data)
0.125
>>> scores = [mg.Value(0.5), mg.Value(-2.0)]
>>> hinge_loss(scores, [1, -1]).data
0.25
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..autograd import Node
from ..tensor import Tensor, _constant, _hinge, _nll
from ..value import Value, dot
from ..value import sum as vsum

__all__ = [
    "mse_loss", "hinge_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "cross_entropy", "l2", "accuracy",
]


# ---- input handling ----------------------------------------------------------

def _is_scalar_face(x: Any) -> bool:
    return isinstance(x, Value) or (isinstance(x, (list, tuple)) and any(isinstance(e, Value) for e in x))


def _to_tensor(x: Any, loss: str, what: str, dtype: Any = None) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if isinstance(x, Node) or (isinstance(x, (list, tuple)) and any(isinstance(e, Node) for e in x)):
        raise TypeError(f"{loss}: {what} mix Tensors and Values; use Tensors on both sides, "
                        "or lists of Values (scalar MLP outputs) with plain-number targets")
    try:
        return Tensor(x, dtype=dtype)
    except TypeError as e:
        raise TypeError(f"{loss}: {what} must be numbers or a numeric array: {e}") from None


def _tensor_pair(pred: Any, target: Any, loss: str) -> tuple[Tensor, Tensor]:
    """Predictions and targets as Tensors of one shape (targets in the predictions' dtype).

    Shapes equal up to size-1 axes, e.g. (N, 1) and (N,), are paired element
    by element; any other mismatch is an error rather than a silent broadcast.
    """
    p = _to_tensor(pred, loss, "predictions")
    pd = p.data
    if type(target) is np.ndarray and target.shape == pd.shape and target.dtype == pd.dtype and pd.size:
        return p, _constant(target)     # already what a target must be: held, not copied
    t = _to_tensor(target, loss, "targets", dtype=None if isinstance(target, Tensor) else p.dtype)
    if t.shape != p.shape:
        if _squeezed(t.shape) != _squeezed(p.shape):
            raise ValueError(
                f"{loss}: predictions have shape {p.shape} but targets have shape {t.shape}; "
                "they must hold one target per prediction (reshape one of them)"
            )
        t = t.reshape(p.shape)
    if p.size == 0:
        raise ValueError(f"{loss}: got no predictions (shape {p.shape})")
    return p, t


def _squeezed(shape: tuple) -> tuple:
    return tuple(d for d in shape if d != 1)


def _value_pairs(pred: Any, target: Any, loss: str) -> tuple[list[Value], list[Any]]:
    """Predictions as Values and targets as floats (or Values), equal in number."""
    preds = [pred] if isinstance(pred, Value) else list(pred)
    for i, p in enumerate(preds):
        if not isinstance(p, Value):
            if isinstance(p, (bool, np.bool_)) or not isinstance(p, numbers.Real):
                raise TypeError(f"{loss}: prediction {i} is a {type(p).__name__}; "
                                "a list of predictions holds Values or numbers")
            preds[i] = Value(float(p))
    if isinstance(target, Node) and not isinstance(target, Value):
        raise TypeError(f"{loss}: Value predictions need number or Value targets, not a Tensor; "
                        "pass target.data")
    if isinstance(target, (Value, numbers.Real)):
        targets: list[Any] = [target]
    elif isinstance(target, np.ndarray):
        targets = target.reshape(-1).tolist()
    else:
        targets = list(target)
    for i, t in enumerate(targets):
        if isinstance(t, (bool, np.bool_)) or not isinstance(t, (Value, numbers.Real)):
            raise TypeError(f"{loss}: target {i} is {t!r}; targets must be numbers (or Values)")
        targets[i] = t if isinstance(t, Value) else float(t)
    if len(preds) != len(targets):
        raise ValueError(f"{loss}: {len(preds)} predictions but {len(targets)} targets; "
                         "give one target per prediction")
    if not preds:
        raise ValueError(f"{loss}: got no predictions")
    return preds, targets


def _data(x: Any) -> np.ndarray:
    if isinstance(x, Node):
        return np.asarray(x.data, dtype=float)
    return np.asarray([t.data if isinstance(t, Value) else t for t in x], dtype=float)


def _check_labels(y: np.ndarray, loss: str, allowed: str) -> None:
    if allowed == "pm1":
        bad = np.abs(y) != 1
        hint = "labels must be -1 or +1 (turn 0/1 labels into -1/+1 with 2 * y - 1)"
    else:
        bad = ~((y >= 0) & (y <= 1))
        hint = "targets must lie in [0, 1] (class 1 has target 1, class 0 has target 0)"
    if bad.any():
        raise ValueError(f"{loss}: {hint}; got {np.unique(y[bad])[:5].tolist()}")


_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction: Any, loss: str) -> str:
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        raise ValueError(f"{loss}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    return reduction


def _reduce(per: Tensor, reduction: str) -> Tensor:
    return per.mean() if reduction == "mean" else per.sum() if reduction == "sum" else per


def _reduce_values(terms: list[Value], reduction: str) -> Value | list[Value]:
    """One ``mg.sum`` node over the terms (divided by their number for the mean), or the terms."""
    if reduction == "none":
        return terms
    total = vsum(terms)
    return total / len(terms) if reduction == "mean" else total


# ---- losses ------------------------------------------------------------------

def mse_loss(pred: Any, target: Any, reduction: str = "mean") -> Any:
    """Mean squared error ``mean((pred - target) ** 2)`` (``reduction``: "mean", "sum" or "none").

    >>> mse_loss(Tensor([1.0, 3.0]), [0.0, 0.0]).item()
    5.0
    >>> mse_loss(Tensor([1.0, 3.0]), [0.0, 0.0], reduction="none").data
    array([1., 9.])
    """
    reduction = _check_reduction(reduction, "mse_loss")
    if _is_scalar_face(pred):
        ps, ts = _value_pairs(pred, target, "mse_loss")
        return _reduce_values([(p - t) ** 2 for p, t in zip(ps, ts)], reduction)
    p, t = _tensor_pair(pred, target, "mse_loss")
    return _reduce((p - t) ** 2, reduction)


def hinge_loss(scores: Any, y: Any, reduction: str = "mean") -> Any:
    """SVM hinge loss ``mean(relu(1 - y * score))`` with labels y in {-1, +1} (micrograd's loss).

    Tensors give one ``hinge`` node (PyTorch's ``margin_ranking_loss`` against
    zero with margin 1); Values give one ``mg.sum`` node over the samples.

    >>> hinge_loss(Tensor([2.0, 0.5]), [1, 1]).item()
    0.25
    >>> hinge_loss(Tensor([2.0, 0.5]), [1, 1], reduction="sum").item()
    0.5
    """
    reduction = _check_reduction(reduction, "hinge_loss")
    if _is_scalar_face(scores):
        ss, ys = _value_pairs(scores, y, "hinge_loss")
        _check_labels(_data(ys), "hinge_loss", "pm1")
        return _reduce_values([(s * -t + 1).relu() for s, t in zip(ss, ys)], reduction)
    s, t = _tensor_pair(scores, y, "hinge_loss")
    _check_labels(t.data, "hinge_loss", "pm1")
    if reduction == "mean":
        return _hinge(s, t if t.requires_grad else t.data)
    return _reduce((1 - t * s).relu(), reduction)


def binary_cross_entropy(probs: Any, y: Any, reduction: str = "mean") -> Any:
    """``-mean(y log p + (1 - y) log(1 - p))`` for probabilities p and targets y in [0, 1].

    No clipping: p must lie strictly inside (0, 1) (p of exactly 0 or 1 gives
    inf or nan). For raw scores use :func:`binary_cross_entropy_with_logits`,
    which is stable for any logit.

    >>> round(binary_cross_entropy(Tensor([0.5]), [1.0]).item(), 6)
    0.693147
    """
    name = "binary_cross_entropy"
    reduction = _check_reduction(reduction, name)
    if _is_scalar_face(probs):
        ps, ts = _value_pairs(probs, y, name)
        _check_probs(_data(ps), name)
        _check_labels(_data(ts), name, "01")
        return _reduce_values([_bce_term(p, t) for p, t in zip(ps, ts)], reduction)
    p, t = _tensor_pair(probs, y, name)
    _check_probs(p.data, name)
    _check_labels(t.data, name, "01")
    if reduction == "mean":
        return -(t * p.log() + (1 - t) * (1 - p).log()).mean()
    return _reduce(-(t * p.log() + (1 - t) * (1 - p).log()), reduction)


def _bce_term(p: Value, t: Any) -> Value:
    if isinstance(t, float) and t == 1.0:
        return -p.log()
    if isinstance(t, float) and t == 0.0:
        return -(1 - p).log()
    return -(p.log() * t + (1 - p).log() * (1 - t))


def _check_probs(p: np.ndarray, loss: str) -> None:
    bad = p[~((p >= 0) & (p <= 1))]
    if bad.size:
        raise ValueError(
            f"{loss}: probabilities must lie in (0, 1), got {np.unique(bad)[:5].tolist()}; "
            "for raw scores use binary_cross_entropy_with_logits"
        )


def binary_cross_entropy_with_logits(logits: Any, y: Any, reduction: str = "mean") -> Any:
    """BCE of ``sigmoid(logits)``, computed stably as ``mean(softplus(x) - y x)``.

    Finite for logits of any size (e.g. +-1000), where sigmoid-then-log is not.

    >>> binary_cross_entropy_with_logits(Tensor([1000.0, -1000.0]), [1.0, 0.0]).item()
    0.0
    """
    name = "binary_cross_entropy_with_logits"
    reduction = _check_reduction(reduction, name)
    if _is_scalar_face(logits):
        xs, ts = _value_pairs(logits, y, name)
        _check_labels(_data(ts), name, "01")
        terms = [x * (1.0 - t) + (-x).softplus() for x, t in zip(xs, ts)]
        return _reduce_values(terms, reduction)
    x, t = _tensor_pair(logits, y, name)
    _check_labels(t.data, name, "01")
    return _reduce(x * (1 - t) + (-x).softplus(), reduction)     # PyTorch's form: its inf and nan too


def cross_entropy(logits: Any, targets: Any, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy: ``-mean(log_softmax(logits)[i, targets[i]])``.

    ``logits``: (N, C) Tensor; ``targets``: N integer class indices in
    [0, C) (a list, an int ndarray, or a Tensor holding whole numbers).
    Stable for logits of any size.

    >>> round(cross_entropy(Tensor([[0.0, 0.0]]), [1]).item(), 6)
    0.693147
    >>> cross_entropy(Tensor([[0.0, 0.0], [0.0, 0.0]]), [1, 0], reduction="none").shape
    (2,)
    """
    reduction = _check_reduction(reduction, "cross_entropy")
    if _is_scalar_face(logits):
        raise TypeError("cross_entropy works on an (N, C) Tensor of logits, not on Values; "
                        "use mg.Tensor, or hinge_loss / binary_cross_entropy_with_logits for Values")
    x = _to_tensor(logits, "cross_entropy", "logits")
    if x.ndim != 2:
        raise ValueError(f"cross_entropy: logits must have shape (N, C), got shape {x.shape}; "
                         "for a single sample use logits.reshape(1, -1)")
    n, c = x.shape
    if n == 0 or c == 0:
        raise ValueError(f"cross_entropy: logits of shape {x.shape} hold no samples or no classes")
    idx = _class_indices(targets, n, c)
    if reduction == "mean":
        return _nll(x.log_softmax(axis=1), idx)
    return _reduce(-x.log_softmax(axis=1)[np.arange(n), idx], reduction)


def _class_indices(targets: Any, n: int, c: int) -> np.ndarray:
    if isinstance(targets, Tensor):
        t = targets.data
        if not np.all(np.isfinite(t)) or np.any(t != np.round(t)):
            raise TypeError(f"cross_entropy: targets must be whole class indices, got values "
                            f"{np.unique(t[t != np.round(t)])[:5].tolist()}")
    elif isinstance(targets, Node):
        raise TypeError("cross_entropy: targets must be class indices (ints), not a Value")
    else:
        t = np.asarray(targets)
        if t.dtype.kind not in "iu":
            raise TypeError(
                f"cross_entropy: targets must be integer class indices, got dtype {t.dtype}; "
                "convert with np.asarray(targets, dtype=int) (one-hot or probability targets "
                "are not supported)"
            )
    if t.shape != (n,):
        raise ValueError(f"cross_entropy: targets have shape {t.shape}, logits have shape {(n, c)}; "
                         f"give one class index per row, shape ({n},)")
    bad = (t < 0) | (t >= c)
    if bad.any():
        raise ValueError(f"cross_entropy: targets must be class indices in [0, {c}) for {c} classes, "
                         f"got {np.unique(t[bad])[:5].astype(int).tolist()}")
    return t.astype(np.intp, copy=False)


def l2(params: Iterable[Any]) -> Tensor | Value:
    """L2 penalty ``sum(p * p)`` over parameters (all Values, or all Tensors).

    Values give one ``mg.dot`` node; add ``alpha * l2(model.parameters())`` to a loss.

    >>> l2([Value(3.0), Value(4.0)]).data
    25.0
    """
    ps = list(params)
    if not ps:
        raise ValueError("l2: got no parameters")
    for i, p in enumerate(ps):
        if not isinstance(p, (Value, Tensor)):
            raise TypeError(f"l2: parameter {i} is a {type(p).__name__}; pass Values or Tensors "
                            "(e.g. model.parameters())")
    kinds = {type(p) for p in ps}
    if len(kinds) > 1:
        raise TypeError("l2: parameters mix Values and Tensors; take l2 of each kind separately")
    if isinstance(ps[0], Value):
        return dot(ps, ps)
    total = (ps[0] * ps[0]).sum()
    for p in ps[1:]:
        total = total + (p * p).sum()
    return total


def accuracy(scores: Any, y: Any, threshold: float = 0.0) -> float:
    """Fraction of correct predictions, a float in [0, 1] (builds no graph).

    (N, C) scores with C > 1: the class is the argmax, y holds class indices.
    Otherwise binary: predicted positive when score > ``threshold``, and a
    label counts as positive when y > 0, so {-1, +1} and {0, 1} labels both
    work (use ``threshold=0.5`` for probabilities).

    >>> accuracy([Value(2.0), Value(-1.0)], [1, 1])
    0.5
    >>> accuracy(Tensor([[0.1, 0.9], [0.8, 0.2]]), [1, 0])
    1.0
    """
    s = _data(scores) if isinstance(scores, (Node, list, tuple)) else np.asarray(scores, dtype=float)
    t = _data(y) if isinstance(y, (Node, list, tuple)) else np.asarray(y, dtype=float)
    if s.size == 0:
        raise ValueError(f"accuracy: got no predictions (scores of shape {s.shape})")
    if s.ndim == 2 and s.shape[1] > 1:
        if t.shape != (s.shape[0],):
            raise ValueError(f"accuracy: scores have shape {s.shape}, labels have shape {t.shape}; "
                             f"give one class index per row, shape ({s.shape[0]},)")
        return float(np.mean(np.argmax(s, axis=1) == t))
    s, t = s.reshape(-1), t.reshape(-1)
    if s.shape != t.shape:
        raise ValueError(f"accuracy: {s.size} scores but {t.size} labels")
    return float(np.mean((s > threshold) == (t > 0)))
