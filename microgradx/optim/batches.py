"""Parameters checked, and grouped into *batches* an update rule runs on as arrays.

A batch is either several Value parameters of one param group with the same
kind of state (normally all of the group's Values: one flat float64 array,
gathered with ``np.fromiter`` and written back with one loop), or one Tensor.
Each batch keeps its state as arrays of its own shape; :func:`entries` splits
that into one entry per parameter and :func:`build` puts entries back into
batches, so the state can follow parameters into new groups.

>>> import microgradx as mg
>>> a, b = mg.Value(1.0), mg.Value(2.0)
>>> [len(batch.params) for batch in build([[a, b]], {})]
[2]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..autograd import Node
from ..value import Value

__all__ = ["Batch", "ParamList", "build", "entries", "collect", "describe"]


def _marks(name: str) -> Any:
    method = getattr(list, name)

    def changed(self: ParamList, *args: Any, **kwargs: Any) -> Any:
        self.changed = True
        return method(self, *args, **kwargs)

    changed.__name__ = name
    return changed


class ParamList(list):
    """A param group's ``"params"``: a list that notes when it is changed in place, so the
    optimizer regroups on the next step without comparing every parameter each step.

    >>> ps = ParamList([1, 2]); ps.changed
    False
    >>> ps.sort(key=lambda x: -x); ps, ps.changed
    ([2, 1], True)
    """

    __slots__ = ("changed",)

    def __init__(self, items: Iterable[Any] = ()) -> None:
        super().__init__(items)
        self.changed = False

    for _name in ("__setitem__", "__delitem__", "__iadd__", "__imul__", "append", "extend", "insert",
                  "pop", "remove", "clear", "sort", "reverse"):
        locals()[_name] = _marks(_name)
    del _name


def describe(p: Node, index: int) -> str:
    """``parameter 3 ('w')``: how error messages name a parameter.

    >>> import microgradx as mg
    >>> describe(mg.Value(1.0, label="w"), 3)
    "parameter 3 ('w')"
    """
    return f"parameter {index} ({p.label!r})" if p.label else f"parameter {index}"


def collect(params: Any, owner: str, start: int = 0) -> list[Node]:
    """``params`` as a checked list of leaf Values/Tensors (``start``: index of the first).

    >>> import microgradx as mg
    >>> len(collect((mg.Value(float(i)) for i in range(3)), "SGD"))
    3
    """
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
        raise TypeError(f"{owner} needs an iterable of Values/Tensors, got {type(params).__name__}")
    found = list(params)
    if not found:
        raise ValueError(
            f"{owner} got an empty parameter list (an empty model, or a generator such as "
            "model.parameters() that was already used up); pass list(model.parameters())"
        )
    seen: dict[int, int] = {}
    for i, p in enumerate(found, start):
        if not isinstance(p, Node):
            raise TypeError(
                f"{owner}: parameter {i} is a {type(p).__name__} ({p!r}); "
                "optimizers update mg.Value and mg.Tensor parameters only"
            )
        if p._op is not None:
            raise ValueError(
                f"{owner}: {describe(p, i)} was computed by an operation ({p.op!r}); "
                "optimizers update leaves (parameters you created), not results"
            )
        if id(p) in seen:
            raise ValueError(
                f"{owner}: {describe(p, i)} is the same object as parameter {seen[id(p)]}; "
                "pass each parameter once"
            )
        seen[id(p)] = i
    return found


class Batch:
    """Value parameters updated as one flat array, or one Tensor; with their state.

    >>> import microgradx as mg
    >>> a, b = mg.Value(1.0), mg.Value(2.0); a.grad, b.grad = 0.5, -1.0
    >>> data, grad = Batch([a, b], [0, 1], True).gather(); data.tolist(), grad.tolist()
    ([1.0, 2.0], [0.5, -1.0])
    """

    __slots__ = ("params", "indices", "is_values", "state", "group")

    def __init__(self, params: list[Node], indices: list[int], is_values: bool,
                 state: dict[str, Any] | None = None, group: int = 0) -> None:
        self.group = group
        self.params = params
        self.indices = indices
        self.is_values = is_values
        self.state: dict[str, Any] = state if state is not None else {}

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
                f"{describe(t, self.indices[0])} has data of shape {data.shape} but a gradient "
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


def entries(batches: Iterable[Batch]) -> dict[int, dict[str, Any]]:
    """Each stepped parameter's state (a copy), keyed by its index.

    A Value's arrays become floats, a Tensor's are copied; counts stay ints.

    >>> import microgradx as mg, numpy as np
    >>> batch = Batch([mg.Value(0.0), mg.Value(1.0)], [0, 1], True, {"step": 2, "m": np.array([0.5, 1.5])})
    >>> entries([batch])
    {0: {'step': 2, 'm': 0.5}, 1: {'step': 2, 'm': 1.5}}
    """
    out: dict[int, dict[str, Any]] = {}
    for batch in batches:
        if not batch.state:
            continue
        for j, i in enumerate(batch.indices):
            entry = {}
            for key, val in batch.state.items():
                if isinstance(val, np.ndarray):
                    val = float(val[j]) if batch.is_values else val.copy()
                entry[key] = val
            out[i] = entry
    return out


def _signature(entry: dict[str, Any] | None) -> tuple:
    """Values whose state has the same names and the same counts share one batch."""
    if not entry:
        return ()
    return tuple(sorted((k, None if isinstance(v, float) else v) for k, v in entry.items()))


def build(groups: list[list[Node]], state: dict[int, dict[str, Any]]) -> list[Batch]:
    """Batches for the parameters of each group (indices counted across the groups in order),
    holding ``state`` (index -> entry, as :func:`entries` makes; floats for Values).

    Batches come in the order of their first parameter; ``batch.group`` is the
    position of the batch's param group.
    """
    batches: list[Batch] = []
    index = 0
    for g, params in enumerate(groups):
        buckets: dict[tuple, list[tuple[int, Value]]] = {}
        tensors = []
        for p in params:
            if isinstance(p, Value):
                buckets.setdefault(_signature(state.get(index)), []).append((index, p))
            else:
                tensors.append((index, p))
            index += 1
        for members in buckets.values():
            first = state.get(members[0][0]) or {}
            merged = {key: (np.array([state[i][key] for i, _ in members], dtype=float)
                            if isinstance(val, float) else val)
                      for key, val in first.items()}
            batches.append(Batch([p for _, p in members], [i for i, _ in members], True, merged, g))
        for i, t in tensors:
            entry = state.get(i) or {}
            batches.append(Batch([t], [i], False, {
                k: v.copy() if isinstance(v, np.ndarray) else v for k, v in entry.items()}, g))
    batches.sort(key=lambda b: b.indices[0])
    return batches
