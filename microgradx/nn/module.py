"""Module: the base of every layer and model.

Parameters are found by walking attributes (and lists/tuples/dicts of them),
so a subclass only assigns them. Saving uses ``.npz`` files, never pickle.

>>> import microgradx as mg
>>> m = mg.nn.MLP(2, [3, 1])
>>> len(m.parameters())
13
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..autograd import Node
from ..tensor import Tensor
from ..value import Value

__all__ = ["Module"]


class Module:
    """Base class: parameters(), named_parameters(), zero_grad(), train/eval, state dicts.

    >>> class Scale(Module):
    ...     def __init__(self):
    ...         self.w = Value(2.0, label="w")
    ...     def __call__(self, x):
    ...         return self.w * x
    >>> [name for name, _ in Scale().named_parameters()]
    ['w']
    """

    training: bool = True

    def named_parameters(self, prefix: str = "") -> list[tuple[str, Node]]:
        """(dotted name, parameter) pairs, in definition order, each parameter once."""
        out: list[tuple[str, Node]] = []
        seen: set[int] = set()
        for name, p in _walk(vars(self), prefix):
            if id(p) not in seen:
                seen.add(id(p))
                out.append((name, p))
        return out

    def parameters(self) -> list[Node]:
        """Every trainable Value/Tensor of this module and its submodules."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Reset every parameter's gradient (0.0 for Values, None for Tensors)."""
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode: bool = True) -> Module:
        """Set training mode here and in every submodule."""
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> Module:
        """Set evaluation mode (``train(False)``)."""
        return self.train(False)

    def modules(self) -> Iterator[Module]:
        """This module and every submodule below it."""
        stack: list[Any] = [self]
        while stack:
            m = stack.pop()
            if isinstance(m, Module):
                yield m
                stack.extend(reversed(list(vars(m).values())))
            elif isinstance(m, (list, tuple)):
                stack.extend(reversed(m))
            elif isinstance(m, dict):
                stack.extend(reversed(list(m.values())))

    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameter name -> a copy of its data (a float64 0-d array for a Value)."""
        return {name: np.array(p.data) for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Copy data into the parameters; names and shapes must match exactly."""
        params = dict(self.named_parameters())
        missing = sorted(set(params) - set(state))
        extra = sorted(set(state) - set(params))
        if missing or extra:
            raise KeyError(f"load_state_dict: missing {missing}, unexpected {extra}")
        for name, p in params.items():
            arr = np.asarray(state[name])
            if arr.shape != np.shape(p.data):
                raise ValueError(
                    f"load_state_dict: {name!r} has shape {arr.shape}, the model expects "
                    f"{np.shape(p.data)}"
                )
        for name, p in params.items():
            if isinstance(p, Value):
                p.data = float(state[name])
            else:
                p.data = np.array(state[name], dtype=p.data.dtype)

    def save(self, path: str | os.PathLike) -> None:
        """Write the state dict to a ``.npz`` file (no pickle)."""
        np.savez(path, **self.state_dict())

    def load(self, path: str | os.PathLike) -> Module:
        """Read a ``.npz`` file written by :meth:`save` (pickle is refused)."""
        with np.load(path, allow_pickle=False) as f:
            self.load_state_dict({k: f[k] for k in f.files})
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _walk(obj: Any, prefix: str) -> Iterator[tuple[str, Node]]:
    """Iterative walk over attributes, lists and dicts, yielding parameters."""
    stack: list[tuple[str, Any]] = [(prefix, obj)]
    while stack:
        name, x = stack.pop()
        if isinstance(x, Value) or (isinstance(x, Tensor) and x.requires_grad):
            yield name, x
        elif isinstance(x, Module):
            stack.append((name, vars(x)))
        elif isinstance(x, dict):
            items = [(k, v) for k, v in x.items() if not (isinstance(k, str) and k.startswith("_"))]
            stack.extend((f"{name}.{k}" if name else str(k), v) for k, v in reversed(items))
        elif isinstance(x, (list, tuple)):
            stack.extend((f"{name}.{i}" if name else str(i), v) for i, v in reversed(list(enumerate(x))))
