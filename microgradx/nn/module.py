"""Module: the base of every layer and model, with PyTorch's names.

A subclass assigns its parameters (Values, or Tensors with
``requires_grad=True``) and its submodules as attributes, and defines
``forward``; calling the module calls ``forward``. Parameters are found by
walking attributes in definition order (and lists/tuples/dicts of them), so
names read as in PyTorch: ``"0.weight"``, ``"body.2.bias"``. Attributes whose
names start with ``_`` are private and never walked. Checkpoints are ``.npz``
files written atomically and read all-or-nothing, never pickled.

>>> import microgradx as mg
>>> m = mg.nn.MLP(2, [3, 1])
>>> len(m.parameters())
13
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from ..autograd import Node
from ..checkpoint import load_arrays, save_arrays
from ..tensor import Tensor
from ..value import Value

__all__ = ["Module", "IncompatibleKeys"]

_DTYPES = {"float64": np.dtype(np.float64), "double": np.dtype(np.float64),
           "float32": np.dtype(np.float32), "float": np.dtype(np.float32)}


class IncompatibleKeys(NamedTuple):
    """What :meth:`Module.load_state_dict` returns: the names it did not find on either side (as torch).

    >>> IncompatibleKeys([], [])
    <All keys matched successfully>
    """

    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"IncompatibleKeys(missing_keys={self.missing_keys}, unexpected_keys={self.unexpected_keys})"


class Module:
    """Base class: forward(), parameters(), children/modules, train/eval, to(dtype), state dicts.

    >>> class Scale(Module):
    ...     def __init__(self):
    ...         self.w = Value(2.0, label="w")
    ...     def forward(self, x):
    ...         return self.w * x
    >>> m = Scale()
    >>> m(3.0).data, [name for name, _ in m.named_parameters()]
    (6.0, ['w'])
    """

    training: bool = True

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """What the module computes; subclasses define it (calling the module calls it)."""
        raise NotImplementedError(
            f"{type(self).__name__} has no forward(); define `def forward(self, x): ...` in the subclass"
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ---- parameters ----------------------------------------------------------------

    def named_parameters(self, prefix: str = "") -> list[tuple[str, Node]]:
        """(dotted name, parameter) pairs, in definition order, each parameter once.

        >>> from microgradx.nn import Linear, ReLU, Sequential
        >>> [n for n, _ in Sequential(Linear(2, 3), ReLU(), Linear(3, 1)).named_parameters()]
        ['0.weight', '0.bias', '2.weight', '2.bias']
        """
        out: list[tuple[str, Node]] = []
        seen: set[int] = set()
        for name, p in _walk(vars(self), prefix):
            if id(p) not in seen:
                seen.add(id(p))
                out.append((name, p))
        return out

    def parameters(self) -> list[Node]:
        """Every trainable Value/Tensor of this module and its submodules.

        >>> from microgradx.nn import Linear
        >>> [p.shape for p in Linear(3, 2).parameters()]
        [(2, 3), (2,)]
        """
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Reset every parameter's gradient (0.0 for Values, None for Tensors).

        >>> m = Module(); m.zero_grad()
        """
        for p in self.parameters():
            p.zero_grad()

    # ---- submodules ----------------------------------------------------------------

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) of each direct submodule, in definition order.

        A module kept in a list, tuple or dict attribute is named ``"attr.key"``
        (e.g. ``"layers.0"``), as its parameters are.

        >>> from microgradx.nn import Linear, ReLU, Sequential
        >>> [name for name, _ in Sequential(Linear(2, 3), ReLU()).named_children()]
        ['0', '1']
        """
        seen: set[int] = set()
        stack: list[tuple[str, Any]] = [("", vars(self))]
        while stack:
            name, x = stack.pop()
            if isinstance(x, Module):
                if id(x) not in seen:
                    seen.add(id(x))
                    yield name, x
            elif isinstance(x, dict):
                items = [(k, v) for k, v in x.items() if not (isinstance(k, str) and k.startswith("_"))]
                stack.extend((f"{name}.{k}" if name else str(k), v) for k, v in reversed(items))
            elif isinstance(x, (list, tuple)):
                stack.extend((f"{name}.{i}" if name else str(i), v) for i, v in reversed(list(enumerate(x))))

    def children(self) -> Iterator[Module]:
        """Each direct submodule, in definition order.

        >>> from microgradx.nn import Linear, ReLU, Sequential
        >>> list(Sequential(Linear(2, 3), ReLU()).children())[1]
        ReLU()
        """
        for _, m in self.named_children():
            yield m

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module (named ``prefix``) and every submodule, each once,
        parents before their children.

        >>> from microgradx.nn import Linear, Sequential
        >>> [name for name, _ in Sequential(Linear(2, 3), Sequential(Linear(3, 1))).named_modules()]
        ['', '0', '1', '1.0']
        """
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            yield name, m
            kids = [(f"{name}.{k}" if name else k, c) for k, c in m.named_children()]
            stack.extend(reversed(kids))

    def modules(self) -> Iterator[Module]:
        """This module and every submodule below it, each once, parents first.

        >>> from microgradx.nn import Linear, ReLU, Sequential
        >>> [type(m).__name__ for m in Sequential(Linear(2, 3), ReLU()).modules()]
        ['Sequential', 'Linear', 'ReLU']
        """
        for _, m in self.named_modules():
            yield m

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every submodule and then on this module (children first, as torch); returns self.

        >>> from microgradx.nn import Linear, Sequential, init
        >>> def zero(m):
        ...     if isinstance(m, Linear):
        ...         init.zeros_(m.weight)
        >>> float(Sequential(Linear(2, 3)).apply(zero)[0].weight.data.sum())
        0.0
        """
        order: list[Module] = []          # pre-order, last child first: reversed, it is post-order
        seen: set[int] = set()
        stack: list[Module] = [self]
        while stack:
            m = stack.pop()
            if id(m) not in seen:
                seen.add(id(m))
                order.append(m)
                stack.extend(m.children())
        for m in reversed(order):
            fn(m)
        return self

    # ---- modes and dtypes ------------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Set training mode here and in every submodule (Dropout drops only in training).

        >>> Module().train().training
        True
        """
        for m in self.modules():
            m.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode (``train(False)``).

        >>> Module().eval().training
        False
        """
        return self.train(False)

    def to(self, dtype: Any) -> Module:
        """Cast every Tensor parameter (and its gradient) to ``dtype``, np.float32 or np.float64.

        ``"cpu"`` is accepted and changes nothing (there is no other device).
        Value parameters are Python floats and stay float64.

        >>> from microgradx.nn import Linear
        >>> Linear(2, 3).to(np.float32).weight.dtype
        dtype('float32')
        """
        if isinstance(dtype, str) and dtype == "cpu":
            return self
        dt = _float_dtype(dtype)
        params = self.parameters()
        if dt != np.float64 and any(isinstance(p, Value) for p in params):
            raise TypeError(f"{type(self).__name__}.to({dtype!r}): Value parameters are Python floats "
                            "(float64) and cannot change dtype; use Tensor layers for float32")
        for p in params:
            if isinstance(p, Tensor) and p.data.dtype != dt:
                p.data = p.data.astype(dt)
                if p.grad is not None:
                    p.grad = np.asarray(p.grad).astype(dt)
        return self

    def double(self) -> Module:
        """``to(np.float64)``.

        >>> from microgradx.nn import Linear
        >>> Linear(2, 3, dtype=np.float32).double().weight.dtype
        dtype('float64')
        """
        return self.to(np.float64)

    def float(self) -> Module:
        """``to(np.float32)``.

        >>> from microgradx.nn import Linear
        >>> Linear(2, 3).float().bias.dtype
        dtype('float32')
        """
        return self.to(np.float32)

    # ---- state dicts and files ---------------------------------------------------------

    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameter name -> a copy of its data (a float64 0-d array for a Value).

        >>> from microgradx.nn import Linear
        >>> {k: v.shape for k, v in Linear(3, 2).state_dict().items()}
        {'weight': (2, 3), 'bias': (2,)}
        """
        return {name: np.array(p.data) for name, p in self.named_parameters()}

    def load_state_dict(self, state: Any, strict: bool = True) -> IncompatibleKeys:
        """Copy ``state`` (name -> array, e.g. another model's ``state_dict()``) into the parameters.

        Every entry is checked first (names, shapes, real-number dtype); if any
        is wrong nothing is changed. Arrays with ``__array__`` (such as torch
        tensors from ``torch_model.state_dict()``) are accepted too. With
        ``strict=False`` names missing on either side are skipped, and, as in
        torch, the result lists them.

        >>> from microgradx.nn import Linear
        >>> a, b = Linear(3, 2, seed=0), Linear(3, 2, seed=1)
        >>> b.load_state_dict(a.state_dict())
        <All keys matched successfully>
        >>> bool((b.weight.data == a.weight.data).all())
        True
        >>> Linear(3, 2).load_state_dict({"weight": a.weight.data}, strict=False)
        IncompatibleKeys(missing_keys=['bias'], unexpected_keys=[])
        """
        if not hasattr(state, "keys") or not hasattr(state, "__getitem__"):
            raise TypeError(f"load_state_dict needs a dict of name -> array, got {type(state).__name__}")
        params = dict(self.named_parameters())
        names = [str(k) for k in state.keys()]
        missing = [n for n in params if n not in names]
        extra = [n for n in names if n not in params]
        if strict and (missing or extra):
            raise KeyError(f"load_state_dict: missing {missing}, unexpected {extra}; the state must name "
                           f"exactly this model's parameters {list(params)}")
        arrays: dict[str, np.ndarray] = {}
        for key in state.keys():
            name = str(key)
            if name not in params:
                continue
            arr = _as_real_array(state[key], name)
            expected = np.shape(params[name].data)
            if arr.shape != expected:
                raise ValueError(f"load_state_dict: {name!r} has shape {arr.shape}, the model expects "
                                 f"{expected}")
            arrays[name] = arr
        for name, arr in arrays.items():
            p = params[name]
            if isinstance(p, Value):
                p.data = float(arr)
            else:
                p.data = np.array(arr, dtype=p.data.dtype)
        return IncompatibleKeys(missing, extra)

    def save(self, path: str | os.PathLike) -> None:
        """Write the state dict to ``path`` as an ``.npz`` (no pickle), under exactly that name.

        Atomic: a temporary file is moved into place, so an interrupted save
        leaves any earlier file at ``path`` as it was.

        >>> import os, tempfile
        >>> from microgradx.nn import Linear
        >>> path = os.path.join(tempfile.mkdtemp(), "model.pt")
        >>> Linear(3, 2).save(path); os.path.basename(path), os.path.exists(path)
        ('model.pt', True)
        """
        save_arrays(path, self.state_dict())

    def load(self, path: str | os.PathLike) -> Module:
        """Read a file written by :meth:`save` into this model (all entries checked first); returns self.

        >>> import os, tempfile
        >>> from microgradx.nn import Linear
        >>> path = os.path.join(tempfile.mkdtemp(), "model.pt"); a = Linear(3, 2, seed=0); a.save(path)
        >>> bool((Linear(3, 2, seed=1).load(path).weight.data == a.weight.data).all())
        True
        """
        self.load_state_dict(load_arrays(path))
        return self

    # ---- printing --------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The text inside this module's own parentheses (its settings); '' by default.

        >>> Module().extra_repr()
        ''
        """
        return ""

    def __repr__(self) -> str:
        kids = list(self.named_children())
        extra = self.extra_repr()
        if not kids:
            return f"{type(self).__name__}({extra})"
        lines = [extra] if extra else []
        lines += [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in kids]
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


def _float_dtype(dtype: Any) -> np.dtype:
    if isinstance(dtype, str) and dtype in _DTYPES:
        return _DTYPES[dtype]
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt not in (np.float64, np.float32):
        raise TypeError(f"to(): dtype must be np.float32 or np.float64, got {dtype!r}")
    return dt


def _as_real_array(value: Any, name: str) -> np.ndarray:
    """``value`` as an ndarray of real numbers, or a TypeError naming the entry."""
    if isinstance(value, Node):
        value = value.data
    try:
        arr = np.asarray(value)
    except Exception as e:   # e.g. a torch tensor that requires grad
        raise TypeError(f"load_state_dict: {name!r} cannot be read as an array ({e}); "
                        "pass NumPy arrays, e.g. {k: v.detach().numpy() for k, v in sd.items()}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"load_state_dict: {name!r} holds {arr.dtype} data ({value!r:.40}); "
                        "parameters take real numbers only")
    return arr


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
