"""fit(): the training loop for Value and Tensor models, a progress bar, a History.

``fit`` takes a model, arrays ``X`` and ``y``, a loss and an optimizer (each
by name or as an object) and runs mini-batch epochs. Every epoch adds one
entry to each list of the returned :class:`History`: the mean loss, the
accuracy and the learning rate of that epoch.

>>> import microgradx as mg
>>> from microgradx.train import fit
>>> X, y = mg.data.make_moons(40, noise=0.1, seed=0)
>>> model = mg.nn.MLP(2, [8, 1], seed=0)
>>> hist = fit(model, X, y, loss="hinge", optimizer="adam", lr=0.05, epochs=3,
...            batch_size=20, progress=False, seed=0)
>>> hist.epochs, len(hist.loss), hist.lr
(3, 3, [0.05, 0.05, 0.05])
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import nn
from .autograd import Node
from .data import DataLoader
from .optim import OPTIMIZERS, Optimizer
from .optim import get as get_optimizer
from .optim.lr_scheduler import LinearWarmup, ReduceLROnPlateau
from .tensor import Tensor
from .value import Value
from .value import sum as vsum

__all__ = ["fit", "History", "LOSSES"]

LOSSES = ("hinge", "mse", "bce", "cross_entropy")
_ALIASES = {"svm": "hinge", "bce_with_logits": "bce", "ce": "cross_entropy",
            "binary_cross_entropy": "bce", "cross-entropy": "cross_entropy"}

Callback = Callable[[int, "History"], Any]


@dataclass(repr=False)
class History:
    """What :func:`fit` recorded: one entry per finished epoch in each list.

    ``loss``: the epoch's mean training loss (batch losses weighted by batch
    size, the ``l2`` penalty included); ``accuracy``: the fraction of the
    epoch's samples the model got right in the forward passes of that epoch
    (``nan`` when the task is not a classification, e.g. ``mse`` on real
    targets); ``lr``: the learning rate used during the epoch.
    ``stopped_early`` is True when a callback stopped training.

    >>> h = History(loss=[0.5, 0.25], accuracy=[0.75, 1.0], lr=[0.1, 0.1])
    >>> h.epochs, h
    (2, History(epochs=2, loss=0.2500, accuracy=100.0%, lr=0.1))
    >>> h.as_dict()["loss"]
    [0.5, 0.25]
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    stopped_early: bool = False

    @property
    def epochs(self) -> int:
        """The number of finished epochs.

        >>> History(loss=[1.0], accuracy=[0.5], lr=[0.1]).epochs
        1
        """
        return len(self.loss)

    def as_dict(self) -> dict[str, list[float]]:
        """Copies of the three lists, keyed "loss", "accuracy", "lr".

        >>> History().as_dict()
        {'loss': [], 'accuracy': [], 'lr': []}
        """
        return {"loss": list(self.loss), "accuracy": list(self.accuracy), "lr": list(self.lr)}

    def __repr__(self) -> str:
        if not self.loss:
            return "History(epochs=0)"
        acc = self.accuracy[-1]
        parts = [f"epochs={self.epochs}", f"loss={self.loss[-1]:.4f}"]
        if not math.isnan(acc):
            parts.append(f"accuracy={acc:.1%}")
        parts.append(f"lr={self.lr[-1]:.4g}")
        if self.stopped_early:
            parts.append("stopped_early=True")
        return f"History({', '.join(parts)})"


# ---- the loss: targets, per-sample Value loss, batch Tensor loss, accuracy ----------------------

def _labels_in(y: np.ndarray, allowed: tuple[float, ...]) -> bool:
    return y.ndim == 1 and bool(np.all(np.isin(y, allowed)))


class _Loss:
    """A named loss (or a user callable) seen from both model kinds."""

    def __init__(self, spec: str | Callable[..., Any], y: np.ndarray) -> None:
        self.fn: Callable[..., Any] | None = None
        if callable(spec) and not isinstance(spec, str):
            self.name, self.fn = getattr(spec, "__name__", "custom"), spec
            self.targets, self.threshold = y, 0.0
            self.binary, self.indices = self._classify(y)
            return
        if not isinstance(spec, str):
            raise TypeError(f"loss must be a name ({', '.join(LOSSES)}) or a callable "
                            f"loss(scores, y), got {type(spec).__name__}")
        key = spec.lower().strip()
        key = _ALIASES.get(key, key)
        if key not in LOSSES:
            raise ValueError(f"unknown loss {spec!r}; known names: {', '.join(LOSSES)}, "
                             "or pass a callable loss(scores, y)")
        self.name = key
        self.targets, self.threshold = getattr(self, f"_targets_{key}")(y)
        self.binary, self.indices = self._classify(y)

    # binary: labels are two classes, compared with ``score > threshold`` when
    # there is one score per sample; indices: labels are classes 0..C-1, compared
    # with the argmax when there are several scores. Neither: no accuracy.
    def _classify(self, y: np.ndarray) -> tuple[bool, bool]:
        binary = _labels_in(y, (0, 1)) or _labels_in(y, (-1, 1))
        indices = y.ndim == 1 and bool(np.all(y >= 0)) and bool(np.all(y == np.round(y)))
        return binary, indices

    def _targets_hinge(self, y: np.ndarray) -> tuple[np.ndarray, float]:
        if _labels_in(y, (-1, 1)):
            return y.astype(np.float64), 0.0
        if _labels_in(y, (0, 1)):
            return y.astype(np.float64) * 2.0 - 1.0, 0.0
        raise ValueError(f'loss="hinge" needs binary labels 0/1 or -1/+1 in a 1-D y, got '
                         f"{_show_labels(y)}; for more classes use loss=\"cross_entropy\"")

    def _targets_bce(self, y: np.ndarray) -> tuple[np.ndarray, float]:
        if _labels_in(y, (0, 1)):
            return y.astype(np.float64), 0.0
        if _labels_in(y, (-1, 1)):
            return (y.astype(np.float64) + 1.0) / 2.0, 0.0
        raise ValueError(f'loss="bce" needs binary labels 0/1 (or -1/+1) in a 1-D y, got '
                         f"{_show_labels(y)}; for more classes use loss=\"cross_entropy\"")

    def _targets_cross_entropy(self, y: np.ndarray) -> tuple[np.ndarray, float]:
        if y.ndim != 1:
            raise ValueError(f'loss="cross_entropy" needs a 1-D y of class indices, got shape {y.shape}')
        if not np.all(np.isfinite(y)) or np.any(y != np.round(y)) or np.any(y < 0):
            raise ValueError(f'loss="cross_entropy" needs integer class indices 0..C-1, got '
                             f"{_show_labels(y)}")
        return y.astype(np.int64), 0.0

    def _targets_mse(self, y: np.ndarray) -> tuple[np.ndarray, float]:
        return y.astype(np.float64), 0.5 if _labels_in(y, (0, 1)) else 0.0

    # ---- per-sample losses of a Value model ---------------------------------------------------
    def value_batch(self, outs: list[Any], t: np.ndarray, n_out: int) -> Value:
        """The mean loss over one batch of a Value model's outputs."""
        if self.fn is not None:
            return self.fn(outs, t)
        if self.name in ("hinge", "bce") and n_out != 1:
            raise ValueError(f'loss="{self.name}" needs one score per sample, but the model gives '
                             f'{n_out}; end the model with 1 output or use loss="cross_entropy"')
        if self.name == "cross_entropy":
            self._check_classes(n_out)
            terms = [_value_cross_entropy(o, k) for o, k in zip(outs, t.tolist())]
            return vsum(terms) * (1.0 / len(terms))
        flat = outs if n_out == 1 else [v for o in outs for v in o]
        return _NAMED[self.name](flat, t.reshape(-1))

    # ---- batch loss of a Tensor model ---------------------------------------------------------
    def tensor_batch(self, out: Tensor, t: np.ndarray) -> Tensor:
        """The loss of one batch of a Tensor model's outputs."""
        if self.fn is not None:
            return self.fn(out, t)
        n_out = _n_outputs(out.shape)
        if self.name in ("hinge", "bce") and n_out != 1:
            raise ValueError(f'loss="{self.name}" needs one score per sample, but the model gives '
                             f'outputs of shape {out.shape}; end it with Linear(..., 1) or use '
                             'loss="cross_entropy"')
        if self.name == "cross_entropy":
            self._check_classes(n_out)
            return nn.cross_entropy(out, t)
        return _NAMED[self.name](out, t)

    def _check_classes(self, n_out: int) -> None:
        if n_out < 2:
            raise ValueError('loss="cross_entropy" needs one logit per class (at least 2 outputs), '
                             f"but the model gives {n_out}; use loss=\"bce\" for one logit")
        top = int(self.targets.max())
        if top >= n_out:
            raise ValueError(f'loss="cross_entropy": class index {top} in y, but the model '
                             f"gives only {n_out} logits (classes 0..{n_out - 1})")

    def correct(self, scores: np.ndarray, t: np.ndarray) -> int | None:
        """How many samples the scores classify right (None: no accuracy for this task)."""
        if scores.ndim == 1 and self.binary:
            return int(np.sum((scores > self.threshold) == (t > self.threshold)))
        if scores.ndim == 2 and self.indices and scores.shape[1] > 1:
            return int(np.sum(np.argmax(scores, axis=1) == t))
        return None


_NAMED: dict[str, Callable[[Any, Any], Any]] = {
    "hinge": nn.hinge_loss, "bce": nn.binary_cross_entropy_with_logits, "mse": nn.mse_loss,
}


def _value_cross_entropy(logits: list[Value], k: int) -> Value:
    m = max(v.data for v in logits)
    return vsum([(v - m).exp() for v in logits]).log() + m - logits[k]


def _show_labels(y: np.ndarray) -> str:
    vals = np.unique(y)
    shown = ", ".join(f"{v:g}" for v in vals[:6].tolist()) + (", ..." if len(vals) > 6 else "")
    return f"values {{{shown}}} (shape {y.shape})"


def _n_outputs(shape: tuple) -> int:
    return 1 if len(shape) < 2 else int(np.prod(shape[1:]))


# ---- the model: its kind, one batch forward --------------------------------------------------

def _model_kind(model: Any) -> tuple[str, list[Node]]:
    if not callable(model):
        raise TypeError(f"model must be callable (a Module such as mg.nn.MLP), got {type(model).__name__}")
    get_params = getattr(model, "parameters", None)
    if not callable(get_params):
        raise TypeError(f"model {type(model).__name__} has no parameters() method; fit trains "
                        "mg.nn modules (mg.nn.MLP, mg.nn.Sequential, or your own mg.nn.Module)")
    params = list(get_params())
    if not params:
        raise ValueError(f"model {type(model).__name__} has no parameters to train; give it "
                         "layers with weights (Tensors need requires_grad=True)")
    n_values = sum(isinstance(p, Value) for p in params)
    if n_values == len(params):
        return "value", params
    if n_values == 0 and all(isinstance(p, Tensor) for p in params):
        return "tensor", params
    kinds = sorted({type(p).__name__ for p in params})
    raise TypeError(f"model parameters must be all Values or all Tensors, got {', '.join(kinds)}")


def _value_forward(model: Any, xb: np.ndarray) -> tuple[list[Any], np.ndarray, int]:
    """Outputs (one Value, or a list of Values, per sample), their data, outputs per sample."""
    outs = [model(row) for row in xb.tolist()]
    first = outs[0]
    if isinstance(first, Value):
        if not all(isinstance(o, Value) for o in outs):
            raise TypeError("the model returned a Value for some samples and not for others")
        return outs, np.array([o.data for o in outs]), 1
    if isinstance(first, (list, tuple)) and first and all(isinstance(v, Value) for v in first):
        outs = [list(o) for o in outs]
        return outs, np.array([[v.data for v in o] for o in outs]), len(first)
    raise TypeError(f"a Value model must return a Value or a list of Values per sample, got "
                    f"{type(first).__name__}")


def _tensor_scores(out: Any) -> np.ndarray:
    data = np.asarray(out.data, dtype=np.float64)
    return data.reshape(len(data)) if data.ndim == 2 and data.shape[1] == 1 else data


def _as_float(loss: Any, where: str) -> float:
    if isinstance(loss, Value):
        return loss.data
    if isinstance(loss, Tensor) and loss.data.size == 1:
        return float(loss.data)
    if isinstance(loss, Tensor):
        raise ValueError(f"the loss must be a scalar, got a Tensor of shape {loss.shape} ({where}); "
                         "reduce it, e.g. with .mean()")
    raise TypeError(f"the loss must be a Value or a Tensor, got {type(loss).__name__} ({where})")


# ---- optimizer and scheduler -----------------------------------------------------------------

def _make_optimizer(optimizer: Any, params: list[Node], lr: float | None) -> Any:
    if isinstance(optimizer, str):
        key = optimizer.lower().strip()
        if key not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {optimizer!r}; known names: {', '.join(OPTIMIZERS)}")
        return get_optimizer(key, params, **({} if lr is None else {"lr": lr}))
    if not (callable(getattr(optimizer, "step", None)) and callable(getattr(optimizer, "zero_grad", None))):
        raise TypeError(f"optimizer must be a name ({', '.join(OPTIMIZERS)}) or an optimizer object "
                        f"with step() and zero_grad(), got {type(optimizer).__name__}")
    if lr is not None:
        raise ValueError("lr= is for an optimizer given by name; this optimizer object has its own lr "
                         "(set optimizer.lr, or pass optimizer='adam', lr=...)")
    own = getattr(optimizer, "params", None)
    if isinstance(own, list) and not {id(p) for p in own} & {id(p) for p in params}:
        raise ValueError("the optimizer updates none of the model's parameters; make it with "
                         "model.parameters() of this model")
    return optimizer


def _make_scheduler(lr_scheduler: Any, opt: Any) -> Any:
    if lr_scheduler is None:
        return None
    sched = lr_scheduler
    if not callable(getattr(sched, "step", None)):
        if not callable(sched):
            raise TypeError(f"lr_scheduler must be a scheduler (with step()) or a factory "
                            f"lambda opt: StepLR(opt, ...), got {type(sched).__name__}")
        sched = sched(opt)
        if not callable(getattr(sched, "step", None)):
            raise TypeError(f"the lr_scheduler factory returned {type(sched).__name__}, "
                            "not a scheduler with step()")
    if getattr(sched, "optimizer", opt) is not opt:
        raise ValueError("lr_scheduler schedules another optimizer than the one fit uses; pass "
                         "a factory such as lambda opt: StepLR(opt, step_size=10), or the "
                         "optimizer object the scheduler was made for")
    return sched


def _wants_metric(sched: Any) -> bool:
    return isinstance(sched, ReduceLROnPlateau) or (
        isinstance(sched, LinearWarmup) and isinstance(sched.after, ReduceLROnPlateau))


# ---- progress -----------------------------------------------------------------------------

def _line(epoch: int, epochs: int, loss: float, acc: float, lr: float) -> str:
    acc_part = "" if math.isnan(acc) else f" acc {acc * 100:.1f}%"
    return f"epoch {epoch}/{epochs} loss {loss:.4f}{acc_part} lr {lr:.4g}"


class _Progress:
    """A tqdm bar on a terminal, plain lines otherwise, or nothing."""

    def __init__(self, enabled: bool, epochs: int) -> None:
        self.enabled, self.epochs, self.bar = enabled, epochs, None
        if enabled and _isatty(sys.stdout):
            try:
                from tqdm import tqdm
            except ImportError:
                return
            self.bar = tqdm(total=epochs, desc="fit", unit="epoch", file=sys.stdout, leave=True)

    def update(self, epoch: int, loss: float, acc: float, lr: float) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            print(_line(epoch, self.epochs, loss, acc, lr), flush=True)
            return
        post = {"loss": f"{loss:.4f}"}
        if not math.isnan(acc):
            post["acc"] = f"{acc * 100:.1f}%"
        post["lr"] = f"{lr:.4g}"
        self.bar.set_postfix(post, refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


# ---- checks -----------------------------------------------------------------------------------

def _check_count(name: str, value: Any, hint: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {name}={value}; {hint}")
    return int(value)


def _check_data(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    try:
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y)
    except (TypeError, ValueError) as err:
        raise TypeError(f"X and y must be numeric arrays: {err}") from None
    if X.ndim != 2:
        hint = "; for one feature use X.reshape(-1, 1)" if X.ndim == 1 else ""
        raise ValueError(f"X must be a 2-D array (samples, features), got shape {X.shape}{hint}")
    if y.ndim == 0 or len(y) != len(X):
        n_y = "a scalar" if y.ndim == 0 else f"{len(y)} labels"
        raise ValueError(f"X and y must have the same length: X has {len(X)} samples, y has {n_y}")
    if len(X) == 0:
        raise ValueError("X and y are empty; fit needs at least one sample")
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or infinite values; clean or impute them first")
    if y.dtype.kind not in "biuf":
        raise TypeError(f"y must hold numbers (labels or targets), got dtype {y.dtype}")
    return X, y


# ---- the loop ---------------------------------------------------------------------------------

def fit(
    model: Any,
    X: Any,
    y: Any,
    loss: str | Callable[..., Any] = "hinge",
    optimizer: str | Optimizer | Any = "adam",
    epochs: int = 50,
    batch_size: int | None = 32,
    lr_scheduler: Any = None,
    progress: bool = True,
    callbacks: Sequence[Callback] | None = None,
    *,
    lr: float | None = None,
    l2: float = 0.0,
    shuffle: bool = True,
    seed: int | np.random.Generator | None = None,
) -> History:
    """Train ``model`` on ``(X, y)`` for ``epochs`` passes of mini-batches; return a History.

    Model kinds (told apart by the parameters):

    - a **Value model** (``mg.nn.MLP``, or any Module whose parameters are
      Values) is called once per sample on a list of floats; it returns one
      Value (one score) or a list of Values (one per class). The batch loss
      is the mean of the per-sample losses, summed with one ``mg.sum`` node.
    - a **Tensor model** (parameters are Tensors, e.g. ``mg.nn.Sequential``
      of ``Linear`` layers) is called once per batch on ``mg.Tensor(xb)`` and
      returns ``(batch, outputs)`` scores.

    ``loss`` by name, with labels ``y`` as written:

    - ``"hinge"``: micrograd's SVM loss ``mean(relu(1 - y * score))``; y 0/1 is
      mapped to -1/+1 (-1/+1 is kept).
    - ``"bce"``: binary cross-entropy on the logit ``score``; y 0/1 (or -1/+1).
    - ``"cross_entropy"``: softmax cross-entropy on one logit per class;
      y holds integer classes 0..C-1.
    - ``"mse"``: mean squared error between outputs and y (any real targets).

    or a callable ``loss(scores, yb) -> scalar Value/Tensor``, where ``scores``
    is the list of per-sample outputs (Value model) or the output Tensor
    (Tensor model) and ``yb`` the batch's labels as given. ``l2`` adds
    ``l2 * sum(p**2)`` over all parameters (micrograd uses 1e-4).

    ``optimizer``: a name for ``mg.optim.get`` (keyword ``lr=`` overrides its
    default learning rate) or an optimizer object over this model's parameters
    (then leave ``lr`` out). ``batch_size=None`` trains on the full batch;
    batches are drawn by ``mg.data.DataLoader(shuffle=shuffle, seed=seed)``.

    ``lr_scheduler``: a scheduler over the optimizer object, or a factory
    ``lambda opt: StepLR(opt, step_size=10)``; it is stepped once after every
    epoch (``ReduceLROnPlateau`` with the epoch's loss). ``History.lr[e]`` is
    the rate used during epoch ``e``, read before that step.

    Accuracy comes from the scores of each epoch's forward passes: for one
    score per sample, class 1 when ``score > 0`` (hinge, bce, a callable),
    or ``> 0.5`` for mse on 0/1 labels; for several scores, the argmax.
    Tasks with no classes (mse on real targets) record ``nan``.

    ``callbacks``: callables ``cb(epoch, history)`` run after each epoch
    (``epoch`` counts finished epochs from 1); one returning True stops
    training (``history.stopped_early`` is then True).

    ``progress=True`` shows a tqdm bar with loss / accuracy / lr when tqdm is
    installed and stdout is a terminal, else prints one line per epoch,
    ``epoch 3/50 loss 0.1234 acc 97.0% lr 0.001``; ``progress=False`` prints
    nothing.

    >>> import microgradx as mg
    >>> from microgradx.train import fit
    >>> X, y = mg.data.make_moons(30, noise=0.1, seed=0)
    >>> net = mg.nn.MLP(2, [8, 1], seed=0)
    >>> hist = fit(net, X, y, "hinge", "sgd", epochs=2, batch_size=None, lr=0.1, seed=0)
    ... # doctest: +ELLIPSIS
    epoch 1/2 loss ... acc ...% lr 0.1
    epoch 2/2 loss ... acc ...% lr 0.1
    """
    X, y = _check_data(X, y)
    epochs = _check_count("epochs", epochs, "train for at least one epoch")
    if batch_size is not None:
        batch_size = _check_count("batch_size", batch_size, "or pass batch_size=None for the full batch")
    if lr is not None and (isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not lr > 0):
        raise ValueError(f"lr must be a number > 0, got {lr!r}")
    if isinstance(l2, bool) or not isinstance(l2, numbers.Real) or not (0 <= l2 < math.inf):
        raise ValueError(f"l2 must be a finite number >= 0 (the weight of the L2 penalty), got {l2!r}")
    cbs = list(callbacks or [])
    for i, cb in enumerate(cbs):
        if not callable(cb):
            raise TypeError(f"callbacks[{i}] is a {type(cb).__name__}, not a callable cb(epoch, history)")

    kind, params = _model_kind(model)
    spec = _Loss(loss, y)
    opt = _make_optimizer(optimizer, params, lr)
    sched = _make_scheduler(lr_scheduler, opt)
    loader = DataLoader(X, np.arange(len(X)), batch_size=batch_size or len(X), shuffle=shuffle, seed=seed)
    if callable(getattr(model, "train", None)):
        model.train()

    history = History()
    bar = _Progress(bool(progress), epochs)
    try:
        for epoch in range(1, epochs + 1):
            epoch_lr = float(opt.lr)
            total, right, seen, scored = 0.0, 0, 0, True
            for xb, idx in loader:
                t, yb = spec.targets[idx], y[idx]
                if kind == "value":
                    outs, scores, n_out = _value_forward(model, xb)
                    batch_loss = spec.value_batch(outs, t if spec.fn is None else yb, n_out)
                else:
                    out = model(Tensor(xb, dtype=params[0].dtype))
                    if not isinstance(out, Tensor):
                        raise TypeError(f"a Tensor model must return a Tensor, got {type(out).__name__}")
                    scores = _tensor_scores(out)
                    batch_loss = spec.tensor_batch(out, t if spec.fn is None else yb)
                if l2:
                    batch_loss = batch_loss + nn.l2(params) * float(l2)
                value = _as_float(batch_loss, f"epoch {epoch}")
                if not math.isfinite(value):
                    raise ValueError(f"the loss became {value} in epoch {epoch} (lr {epoch_lr:g}); "
                                     "lower the learning rate, or find the op with mg.detect_anomaly()")
                opt.zero_grad()
                batch_loss.backward()
                opt.step()
                total += value * len(idx)
                seen += len(idx)
                got = spec.correct(scores, t)
                scored = scored and got is not None
                right += got or 0
            history.loss.append(total / seen)
            history.accuracy.append(right / seen if scored else math.nan)
            history.lr.append(epoch_lr)
            if sched is not None:
                if _wants_metric(sched):
                    sched.step(history.loss[-1])
                else:
                    sched.step()
            bar.update(epoch, history.loss[-1], history.accuracy[-1], epoch_lr)
            results = [cb(epoch, history) for cb in cbs]
            if any(r is True or r is np.True_ for r in results):
                history.stopped_early = True
                break
    finally:
        bar.close()
    return history
