"""The optimizer base: parameters, one vectorised step, state, zero_grad.

Parameters are split into *array groups*: all Value parameters together form
one flat float64 array (gathered with ``np.fromiter`` and written back with
one loop), and each Tensor is an array of its own. An optimizer writes its
update rule once, as :meth:`Optimizer._update` on one array group, and the
base class runs it on every group.

>>> import microgradx as mg
>>> w = mg.Value(1.0)
>>> opt = mg.optim.SGD([w], lr=0.1)
>>> (w * w).backward(); opt.step(); w.data
0.8
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..autograd import Node
from ..value import Value

__all__ = ["Optimizer"]


def check_number(name: str, value: Any, low: float = 0.0, owner: str = "optimizer") -> float:
    """``value`` as a float, or a ValueError/TypeError if it is not a number >= ``low``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not value >= low or math.isinf(value):
        raise ValueError(
            f"{owner}: invalid {name} {value!r}; it must be a finite number >= {low:g}"
        )
    return value


def check_betas(betas: Any, owner: str) -> tuple[float, float]:
    """``betas`` as a pair of floats in [0, 1), or a clear error."""
    try:
        b1, b2 = betas
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: betas must be a pair (beta1, beta2), got {betas!r}") from None
    out = []
    for i, b in enumerate((b1, b2)):
        b = check_number(f"beta{i + 1}", b, owner=owner)
        if not b < 1.0:
            raise ValueError(f"{owner}: invalid beta{i + 1} {b!r}; betas must lie in [0, 1)")
        out.append(b)
    return out[0], out[1]


def lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """start + weight * (end - start), rounded the way ``torch.lerp`` rounds."""
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


def _name(p: Node, index: int) -> str:
    return f"parameter {index} ({p.label!r})" if p.label else f"parameter {index}"


def _collect(params: Any, owner: str) -> list[Node]:
    if isinstance(params, Node):
        raise TypeError(
            f"{owner} needs an iterable of parameters, got a single {type(params).__name__}; "
            "wrap it in a list: [param]"
        )
    if hasattr(params, "parameters") and callable(params.parameters):
        raise TypeError(
            f"{owner} needs the parameters, not the {type(params).__name__} itself; "
            "pass model.parameters()"
        )
    if isinstance(params, (str, bytes, dict)) or not isinstance(params, Iterable):
        raise TypeError(
            f"{owner} needs an iterable of Values/Tensors, got {type(params).__name__}"
        )
    found = list(params)
    if not found:
        raise ValueError(
            f"{owner} got an empty parameter list (an empty model, or a generator such as "
            "model.parameters() that was already used up); pass list(model.parameters())"
        )
    seen: dict[int, int] = {}
    for i, p in enumerate(found):
        if not isinstance(p, Node):
            raise TypeError(
                f"{owner}: parameter {i} is a {type(p).__name__} ({p!r}); "
                "optimizers update mg.Value and mg.Tensor parameters only"
            )
        if p._op is not None:
            raise ValueError(
                f"{owner}: {_name(p, i)} was computed by an operation ({p.op!r}); "
                "optimizers update leaves (parameters you created), not results"
            )
        if id(p) in seen:
            raise ValueError(
                f"{owner}: {_name(p, i)} is the same object as parameter {seen[id(p)]}; "
                "pass each parameter once"
            )
        seen[id(p)] = i
    return found


class _Group:
    """One array group: every Value parameter (flat), or one Tensor."""

    __slots__ = ("params", "indices", "is_values", "state")

    def __init__(self, params: list[Node], indices: list[int], is_values: bool) -> None:
        self.params = params
        self.indices = indices
        self.is_values = is_values
        self.state: dict[str, Any] = {}

    def gather(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(data, grad) arrays, or None for a Tensor without a gradient yet."""
        if self.is_values:
            n = len(self.params)
            data = np.fromiter((p.data for p in self.params), float, n)
            grad = np.fromiter((getattr(p.grad, "data", p.grad) for p in self.params), float, n)
            return data, grad
        (t,) = self.params
        if t.grad is None:
            return None
        g = t.grad.data if isinstance(t.grad, Node) else t.grad
        data = np.asarray(t.data)
        g = np.asarray(g, dtype=data.dtype)
        if g.shape != data.shape:
            raise ValueError(
                f"{_name(t, self.indices[0])} has data of shape {data.shape} but a gradient "
                f"of shape {g.shape}; a gradient must have its parameter's shape"
            )
        return data, g

    def write(self, new: np.ndarray) -> None:
        if self.is_values:
            for p, d in zip(self.params, new.tolist()):
                p.data = d
        else:
            t = self.params[0]
            t.data = new.astype(np.asarray(t.data).dtype, copy=False)

    def first_bad(self, grad: np.ndarray) -> int:
        """Index (into all parameters) of the first parameter with a NaN/Inf gradient."""
        if self.is_values:
            return self.indices[int(np.flatnonzero(~np.isfinite(grad))[0])]
        return self.indices[0]


def _groups(params: list[Node]) -> list[_Group]:
    values = [(i, p) for i, p in enumerate(params) if isinstance(p, Value)]
    groups = []
    if values:
        groups.append(_Group([p for _, p in values], [i for i, _ in values], True))
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            groups.append(_Group([p], [i], False))
    return groups


class Optimizer:
    """Base of every optimizer: holds parameters, hyperparameters and state.

    Subclasses write their update rule once, in ``_update(p, g, state)``: ``p``
    and ``g`` are the data and gradient arrays of one group (all Value
    parameters as one flat array, or one Tensor), ``state`` that group's
    dict; it returns the new data and must not modify ``p`` or ``g`` in
    place. A Tensor whose ``grad`` is None is skipped, as in PyTorch.

    >>> import microgradx as mg
    >>> a, b = mg.Value(1.0, label="a"), mg.Value(2.0, label="b")
    >>> opt = mg.optim.SGD([a, b], lr=0.5)
    >>> (a * b).backward(); opt.step(); (a.data, b.data)
    (0.0, 1.5)
    >>> opt.zero_grad(); a.grad
    0.0
    """

    def __init__(self, params: Iterable[Node], hyperparams: dict[str, Any]) -> None:
        owner = type(self).__name__
        self.hyperparams: dict[str, Any] = dict(hyperparams)
        self.hyperparams["lr"] = check_number("lr", self.hyperparams["lr"], owner=owner)
        self.params: list[Node] = _collect(params, owner)
        self._groups = _groups(self.params)

    # ---- learning rate -----------------------------------------------------
    @property
    def lr(self) -> float:
        """The learning rate; schedulers read and write it.

        >>> import microgradx as mg
        >>> opt = mg.optim.Adam([mg.Value(0.0)]); opt.lr = 0.01; opt.lr
        0.01
        """
        return self.hyperparams["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        self.hyperparams["lr"] = check_number("lr", value, owner=type(self).__name__)

    # ---- the step ------------------------------------------------------------
    def step(self) -> None:
        """Update every parameter from its gradient.

        Raises ValueError, with no parameter changed, if any gradient is NaN or
        infinite.

        >>> import microgradx as mg
        >>> w = mg.Value(3.0); opt = mg.optim.SGD([w], lr=0.1)
        >>> w.grad = 1.0; opt.step(); w.data
        2.9
        """
        work = []
        for group in self._groups:
            arrays = group.gather()
            if arrays is not None:
                work.append((group, arrays[0], arrays[1]))
        for group, _, g in work:
            if not np.all(np.isfinite(g)):
                i = group.first_bad(g)
                raise ValueError(
                    f"{type(self).__name__}.step(): the gradient of {_name(self.params[i], i)} "
                    "is NaN or infinite; no parameter was changed. Find the op that made it "
                    "with mg.detect_anomaly(), or lower the learning rate / clip the gradients"
                )
        news = self._update_all([(g.state, p, d) for g, p, d in work])
        for (group, _, _), new in zip(work, news):
            group.write(new)

    def _update_all(self, work: list[tuple[dict, np.ndarray, np.ndarray]]) -> list[np.ndarray]:
        """New data for each (state, data, grad) group; SWATS overrides it."""
        return [self._update(p, g, state) for state, p, g in work]

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must define _update(p, g, state)")

    def zero_grad(self) -> None:
        """Reset gradients: a Value's to 0.0, a Tensor's to None (as PyTorch).

        >>> import microgradx as mg
        >>> w = mg.Value(1.0); w.grad = 5.0
        >>> mg.optim.SGD([w], lr=0.1).zero_grad(); w.grad
        0.0
        """
        for p in self.params:
            p.grad = 0.0 if isinstance(p, Value) else None

    # ---- state -----------------------------------------------------------------
    @property
    def state(self) -> dict[int, dict[str, Any]]:
        """Per-parameter state, keyed by the parameter's position (a copy).

        A Value's entries are floats, a Tensor's are arrays; step counts are
        ints. Parameters not stepped yet have no entry.

        >>> import microgradx as mg
        >>> w = mg.Value(1.0); opt = mg.optim.Adam([w]); w.grad = 2.0; opt.step()
        >>> opt.state[0]["step"], round(opt.state[0]["exp_avg"], 12)
        (1, 0.2)
        """
        out: dict[int, dict[str, Any]] = {}
        for group in self._groups:
            if not group.state:
                continue
            for j, i in enumerate(group.indices):
                entry = {}
                for key, val in group.state.items():
                    if isinstance(val, np.ndarray):
                        val = float(val[j]) if group.is_values else val.copy()
                    entry[key] = val
                out[i] = entry
        return dict(sorted(out.items()))

    def _global_state(self) -> dict[str, Any]:
        """State that belongs to the whole optimizer (SWATS's switch)."""
        return {}

    def _load_global_state(self, state: dict[str, Any]) -> None:
        pass

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume: plain dicts of numbers and arrays (no pickle).

        >>> import microgradx as mg
        >>> opt = mg.optim.SGD([mg.Value(1.0)], lr=0.1, momentum=0.9)
        >>> sorted(opt.state_dict())
        ['global', 'hyperparams', 'optimizer', 'state']
        """
        return {
            "optimizer": type(self).__name__,
            "hyperparams": dict(self.hyperparams),
            "state": self.state,
            "global": self._global_state(),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned, into an optimizer over equal parameters.

        >>> import microgradx as mg
        >>> w = mg.Value(1.0); opt = mg.optim.Adam([w]); w.grad = 1.0; opt.step()
        >>> fresh = mg.optim.Adam([w]); fresh.load_state_dict(opt.state_dict())
        >>> fresh.state[0]["step"]
        1
        """
        owner = type(self).__name__
        if not isinstance(state_dict, dict) or "state" not in state_dict:
            raise TypeError(f"{owner}.load_state_dict() needs a dict made by state_dict()")
        kind = state_dict.get("optimizer")
        if kind != owner:
            raise ValueError(f"this state_dict was saved by {kind}, not by {owner}")
        per_param = state_dict["state"]
        bad = [i for i in per_param if not (isinstance(i, int) and 0 <= i < len(self.params))]
        if bad:
            raise ValueError(
                f"{owner}.load_state_dict(): state for parameter(s) {bad} but this optimizer has "
                f"{len(self.params)} parameters; load into an optimizer over the same parameters"
            )
        groups = [self._group_state(group, per_param) for group in self._groups]
        hyper = dict(state_dict["hyperparams"])
        self._check_hyper_keys(hyper)
        self.hyperparams = hyper
        for group, state in zip(self._groups, groups):
            group.state = state
        self._load_global_state(dict(state_dict.get("global", {})))

    def _check_hyper_keys(self, hyper: dict[str, Any]) -> None:
        if set(hyper) != set(self.hyperparams):
            raise ValueError(
                f"{type(self).__name__}.load_state_dict(): hyperparameters {sorted(hyper)} do "
                f"not match {sorted(self.hyperparams)}"
            )

    def _group_state(self, group: _Group, per_param: dict[int, dict]) -> dict[str, Any]:
        entries = [per_param.get(i) for i in group.indices]
        if all(e is None for e in entries):
            return {}
        if any(e is None for e in entries):
            raise ValueError("state_dict has state for some Value parameters but not all")
        state: dict[str, Any] = {}
        if not group.is_values:
            shape = np.shape(group.params[0].data)
            for key, val in entries[0].items():
                if isinstance(val, np.ndarray):
                    if val.shape != shape:
                        raise ValueError(
                            f"state {key!r} of {_name(group.params[0], group.indices[0])} has "
                            f"shape {val.shape}, but the parameter has shape {shape}"
                        )
                    val = val.copy()
                state[key] = val
            return state
        for key, val in entries[0].items():
            column = [e[key] for e in entries]
            if isinstance(val, (float, np.floating)):
                state[key] = np.array(column, dtype=float)
            else:
                state[key] = val
        return state

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={v!r}" for k, v in self.hyperparams.items())
        return f"{type(self).__name__}({len(self.params)} parameters, {hyper})"
