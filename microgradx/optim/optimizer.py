"""The optimizer base: param groups as in torch.optim, one vectorised step, state.

``Optimizer(params, defaults)`` takes an iterable of parameters or a list of
param groups ``{"params": [...], "lr": ..., <options>}``; a group's missing
options come from ``defaults``. ``opt.param_groups`` is that list of dicts,
and editing it (``group["lr"] = 0.01``, ``add_param_group``) acts on the next
step. Inside, each group's Value parameters are updated as one flat array and
each Tensor as an array of its own (see ``batches.py``), so an optimizer
writes its rule once, in ``_update``, on arrays.

>>> import microgradx as mg
>>> w, b = mg.Value(1.0), mg.Value(1.0)
>>> opt = mg.optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1)
>>> w.grad = b.grad = 1.0; opt.step(); (w.data, b.data)
(0.9, 0.5)
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterable
from types import MappingProxyType
from typing import Any

import numpy as np

from ..autograd import Node, enable_grad
from ..value import Value
from . import batches as bt
from .options import Check, check_betas, check_flag, check_number, check_unknown, lerp

__all__ = ["Optimizer", "check_number", "check_betas", "check_flag", "lerp"]


class StateView(dict):
    """``opt.state``: per-parameter state keyed by position, also readable by the parameter.

    >>> import microgradx as mg
    >>> w = mg.Value(1.0); opt = mg.optim.SGD([w], lr=0.1, momentum=0.9)
    >>> w.grad = 2.0; opt.step(); opt.state[0] == opt.state[w]
    True
    """

    def __init__(self, entries: dict[int, dict[str, Any]], params: list[Node]) -> None:
        super().__init__(entries)
        self._where = {id(p): i for i, p in enumerate(params)}

    def _key(self, key: Any) -> Any:
        return self._where.get(id(key), -1) if isinstance(key, Node) else key

    def __getitem__(self, key: Any) -> dict[str, Any]:
        return super().__getitem__(self._key(key))

    def __contains__(self, key: Any) -> bool:
        return super().__contains__(self._key(key))

    def get(self, key: Any, default: Any = None) -> Any:
        return super().get(self._key(key), default)


class Optimizer:
    """Base of every optimizer: param groups, state, ``step``, ``zero_grad``, ``state_dict``.

    A subclass lists its options in ``_options`` (name -> check) and writes its
    rule once, in ``_update(p, g, state, options)``: ``p`` and ``g`` are the data
    and gradient arrays of one batch (a group's Values as one flat array, or one
    Tensor; ``g`` already negated under ``maximize``), ``state`` that batch's
    dict and ``options`` its group's checked options. It returns the new data
    and must not modify ``p`` or ``g`` in place. A Tensor whose ``grad`` is None
    is skipped, as in PyTorch.

    >>> import microgradx as mg
    >>> a, b = mg.Value(1.0, label="a"), mg.Value(2.0, label="b")
    >>> opt = mg.optim.SGD([a, b], lr=0.5)
    >>> (a * b).backward(); opt.step(); (a.data, b.data)
    (0.0, 1.5)
    >>> opt.zero_grad(); a.grad
    0.0
    """

    _options: dict[str, Check] = {"lr": check_number}

    def __init__(self, params: Iterable[Node] | Iterable[dict[str, Any]], defaults: dict[str, Any]) -> None:
        self.defaults: dict[str, Any] = self._check_options(dict(defaults), type(self).__name__)
        self.param_groups: list[dict[str, Any]] = []
        self._batches: list[bt.Batch] = []
        self._seen: list[bt.ParamList] = []
        self._checked: list[tuple[tuple, dict[str, Any]]] = []
        for group in self._split(params):
            self.add_param_group(group)

    # ---- param groups --------------------------------------------------------------
    def _split(self, params: Any) -> list[dict[str, Any]]:
        if isinstance(params, dict):
            raise TypeError(f"{type(self).__name__}: put a param group in a list: "
                            "[{'params': [...], 'lr': ...}]")
        if isinstance(params, Node):
            bt.collect(params, type(self).__name__)  # refused: a single parameter, not a list
        if isinstance(params, Iterable) and not isinstance(params, (str, bytes)) \
                and not hasattr(params, "parameters"):
            params = list(params)
            if params and isinstance(params[0], dict):
                return params
        return [{"params": params}]

    def _check_options(self, options: dict[str, Any], owner: str) -> dict[str, Any]:
        """Every option of this class, checked (a clear error for a missing or bad one)."""
        out = {}
        for name, check in self._options.items():
            if name not in options:
                raise ValueError(f"{owner}: the param group has no {name!r}; every group needs "
                                 f"{', '.join(self._options)} (missing ones come from the defaults)")
            out[name] = check(name, options[name], owner)
        self._check_together(out, owner)
        return out

    def _check_together(self, options: dict[str, Any], owner: str) -> None:
        """Checks that involve several options (SGD's Nesterov)."""

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with options of their own (the others from ``defaults``).

        >>> import microgradx as mg
        >>> opt = mg.optim.Adam([mg.Value(0.0)], lr=0.1)
        >>> opt.add_param_group({"params": [mg.Value(1.0)], "lr": 0.01})
        >>> [g["lr"] for g in opt.param_groups]
        [0.1, 0.01]
        """
        owner = f"{type(self).__name__} (param group {len(self.param_groups)})"
        if not isinstance(param_group, dict):
            raise TypeError(f"{owner}: a param group is a dict {{'params': [...], ...}}, "
                            f"got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{owner}: a param group needs 'params', the list of its parameters; "
                             f"got the keys {sorted(map(str, param_group))}")
        params = param_group["params"]
        if isinstance(params, Node):
            params = [params]
        if isinstance(params, (set, frozenset)):
            raise TypeError(f"{owner}: params is a set, which has no order; pass a list")
        start = sum(len(g["params"]) for g in self.param_groups)
        found = bt.collect(params, owner, start)
        self._refuse_shared(found, self.param_groups, start)
        check_unknown(param_group, self._options, owner)
        options = {**self.defaults, **{k: v for k, v in param_group.items() if k != "params"}}
        checked = self._check_options(options, owner)
        self.param_groups.append({"params": found, **options, **checked})
        self._regroup()

    @staticmethod
    def _refuse_shared(found: list[Node], groups: list[dict[str, Any]], start: int) -> None:
        where = {id(p): (k, i) for k, g in enumerate(groups) for i, p in enumerate(g["params"])}
        for j, p in enumerate(found, start):
            if id(p) in where:
                k, _ = where[id(p)]
                raise ValueError(
                    f"{bt.describe(p, j)} is already in param group {k}; a parameter can be in "
                    "one param group only (remove it from one of them)"
                )

    def _regroup(self) -> None:
        """Rebuild the batches after the groups' parameters changed; state follows each parameter."""
        owner = {i: p for b in self._batches for i, p in zip(b.indices, b.params)}
        by_id = {id(owner[i]): e for i, e in bt.entries(self._batches).items()}
        groups = []
        start = 0
        for k, g in enumerate(self.param_groups):
            found = bt.collect(g.get("params", []), f"{type(self).__name__} (param group {k})", start)
            self._refuse_shared(found, [{"params": ps} for ps in groups], start)
            groups.append(found)
            start += len(found)
        self._seen = [bt.ParamList(found) for found in groups]
        for g, params in zip(self.param_groups, self._seen):
            g["params"] = params
        flat = [p for params in groups for p in params]
        state = {i: by_id[id(p)] for i, p in enumerate(flat) if id(p) in by_id}
        self._batches = bt.build(groups, state)
        self._checked = [((), {}) for _ in groups]

    def _sync(self) -> None:
        """Notice parameters added to, removed from or replaced in a group since the last step."""
        groups, seen = self.param_groups, self._seen
        if len(groups) == len(seen):
            for g, s in zip(groups, seen):
                if g.get("params") is not s or s.changed:
                    break
            else:
                return
        self._regroup()

    def _group_options(self, k: int) -> dict[str, Any]:
        """Group ``k``'s options, checked again only when one of them was replaced."""
        group = self.param_groups[k]
        current = tuple(map(group.get, self._options))
        key, checked = self._checked[k]
        try:
            same = current == key
        except (TypeError, ValueError):   # an array put in as an option: checked (and refused) below
            same = False
        if not same:
            checked = self._check_options(group, f"{type(self).__name__} (param group {k})")
            self._checked[k] = (current, checked)
        return checked

    @property
    def params(self) -> list[Node]:
        """Every parameter, group after group (the order of ``state_dict``'s indices).

        >>> import microgradx as mg
        >>> len(mg.optim.SGD([mg.Value(0.0), mg.Value(1.0)], lr=0.1).params)
        2
        """
        return [p for g in self.param_groups for p in g["params"]]

    @property
    def hyperparams(self) -> MappingProxyType[str, Any]:
        """The first param group's options, read-only (edit ``param_groups`` to change them).

        >>> import microgradx as mg
        >>> mg.optim.SGD([mg.Value(0.0)], lr=0.1).hyperparams["momentum"]
        0.0
        """
        return MappingProxyType({k: v for k, v in self.param_groups[0].items() if k != "params"})

    # ---- learning rate -------------------------------------------------------------
    @property
    def lr(self) -> float:
        """The first param group's learning rate; setting it sets every group's.

        For one lr per group use ``[g["lr"] for g in opt.param_groups]``.

        >>> import microgradx as mg
        >>> opt = mg.optim.Adam([mg.Value(0.0)]); opt.lr = 0.01; opt.lr
        0.01
        """
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        value = check_number("lr", value, owner=type(self).__name__)
        for g in self.param_groups:
            g["lr"] = value

    # ---- the step --------------------------------------------------------------------
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter from its gradient; return ``closure()`` if one is given.

        ``closure`` (as in torch) recomputes the loss and its gradients; it is
        called with gradients enabled before the update. Raises ValueError,
        with no parameter changed, if any gradient is NaN or infinite.

        >>> import microgradx as mg
        >>> w = mg.Value(3.0); opt = mg.optim.SGD([w], lr=0.1)
        >>> w.grad = 1.0; opt.step(); w.data
        2.9
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._sync()
        options = [self._group_options(k) for k in range(len(self.param_groups))]
        work = []
        for batch in self._batches:
            arrays = batch.gather()
            if arrays is not None:
                work.append((batch, arrays[0], arrays[1]))
        for batch, _, g in work:
            if not np.isfinite(g).all():
                i = batch.first_bad(g)
                raise ValueError(
                    f"{type(self).__name__}.step(): the gradient of {bt.describe(self.params[i], i)} "
                    "is NaN or infinite; no parameter was changed. Find the op that made it "
                    "with mg.detect_anomaly(), or lower the learning rate / clip the gradients"
                )
        news = self._update_all([
            (b.state, p, -g if options[b.group].get("maximize") else g, options[b.group])
            for b, p, g in work
        ])
        for (batch, _, _), new in zip(work, news):
            batch.write(new)
        return loss

    def _update_all(self, work: list[tuple[dict, np.ndarray, np.ndarray, dict]]) -> list[np.ndarray]:
        """New data for each (state, data, grad, options) batch; SWATS overrides it."""
        return [self._update(p, g, state, options) for state, p, g, options in work]

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any],
                options: dict[str, Any]) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must define _update(p, g, state, options)")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset gradients: a Value's to 0.0, a Tensor's to None (or zeros, ``set_to_none=False``).

        >>> import microgradx as mg
        >>> w = mg.Value(1.0); w.grad = 5.0
        >>> mg.optim.SGD([w], lr=0.1).zero_grad(); w.grad
        0.0
        """
        for p in self.params:
            if isinstance(p, Value):
                p.grad = 0.0
            else:
                p.grad = None if set_to_none else np.zeros_like(np.asarray(p.data))

    # ---- state -----------------------------------------------------------------------
    @property
    def state(self) -> StateView:
        """Per-parameter state (a copy), keyed by the parameter's position, or by the parameter.

        A Value's entries are floats, a Tensor's are arrays; step counts are
        ints. Parameters not stepped yet have no entry.

        >>> import microgradx as mg
        >>> w = mg.Value(1.0); opt = mg.optim.Adam([w]); w.grad = 2.0; opt.step()
        >>> opt.state[0]["step"], round(opt.state[w]["exp_avg"], 12)
        (1, 0.2)
        """
        self._sync()
        return StateView(dict(sorted(bt.entries(self._batches).items())), self.params)

    def _state_spec(self, options: dict[str, Any]) -> dict[str, str]:
        """The state entries a parameter has once stepped: name -> "count" | "array"
        ("array?": may be missing). ``load_state_dict`` checks against it."""
        return {}

    def _global_state(self) -> dict[str, Any]:
        """State that belongs to the whole optimizer (SWATS's switch)."""
        return {}

    def _check_global_state(self, state: Any, owner: str) -> dict[str, Any]:
        return {}

    def _load_global_state(self, state: dict[str, Any]) -> None:
        pass

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume, in torch.optim's layout (plain numbers and arrays).

        ``{"state": {index: {name: value}}, "param_groups": [{options..., "params":
        [indices]}], "optimizer": class name}``; indices count the parameters
        group after group. The dict is a copy.

        >>> import microgradx as mg
        >>> opt = mg.optim.SGD([mg.Value(1.0)], lr=0.1, momentum=0.9)
        >>> sd = opt.state_dict(); sd["param_groups"][0]["params"], sd["optimizer"]
        ([0], 'SGD')
        """
        self._sync()
        groups, start = [], 0
        for g in self.param_groups:
            n = len(g["params"])
            options = copy.deepcopy({k: v for k, v in g.items() if k != "params"})
            groups.append({**options, "params": list(range(start, start + n))})
            start += n
        out: dict[str, Any] = {
            "state": dict(sorted(bt.entries(self._batches).items())),
            "param_groups": groups,
            "optimizer": type(self).__name__,
        }
        glob = self._global_state()
        if glob:
            out["global"] = glob
        return out

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned, into an optimizer over equal parameters.

        Everything is checked first (the optimizer class, the number of groups and
        of parameters in each, the options, each state entry's names and shapes);
        on any mismatch a ValueError/TypeError says what, and nothing changes.

        >>> import microgradx as mg
        >>> w = mg.Value(1.0); opt = mg.optim.Adam([w]); w.grad = 1.0; opt.step()
        >>> fresh = mg.optim.Adam([w]); fresh.load_state_dict(opt.state_dict())
        >>> fresh.state[0]["step"]
        1
        """
        from .state_dict import check_state_dict

        self._sync()
        groups, state, glob = check_state_dict(self, state_dict)
        self.param_groups = [{"params": old["params"], **new}
                             for old, new in zip(self.param_groups, groups)]
        self._batches = []
        self._regroup()
        self._batches = bt.build([list(ps) for ps in self._seen], state)
        self._load_global_state(glob)

    def save(self, path: str | os.PathLike) -> None:
        """Write :meth:`state_dict` to ``path`` as an ``.npz`` of arrays (atomic, no pickle).

        The name given is the name written. :meth:`load` reads it back.

        >>> import os, tempfile, microgradx as mg
        >>> w = mg.Value(1.0); opt = mg.optim.Adam([w]); w.grad = 1.0; opt.step()
        >>> path = os.path.join(tempfile.mkdtemp(), "adam.npz"); opt.save(path)
        >>> fresh = mg.optim.Adam([w]); fresh.load(path); fresh.state[0]["step"]
        1
        """
        from ..checkpoint import save_arrays
        from .state_dict import to_arrays

        save_arrays(path, to_arrays(self.state_dict()))

    def load(self, path: str | os.PathLike) -> None:
        """Read a file written by :meth:`save`; all-or-nothing, as :meth:`load_state_dict`.

        >>> import os, tempfile, microgradx as mg
        >>> opt = mg.optim.SGD([mg.Value(1.0)], lr=0.5)
        >>> path = os.path.join(tempfile.mkdtemp(), "sgd.npz"); opt.save(path)
        >>> opt.lr = 0.1; opt.load(path); opt.lr
        0.5
        """
        from ..checkpoint import load_arrays
        from .state_dict import from_arrays

        self.load_state_dict(from_arrays(load_arrays(path), os.fspath(path)))

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for k, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {k}  ({len(g['params'])} parameters)")
            lines += [f"    {name}: {val!r}" for name, val in g.items() if name != "params"]
        return "\n".join(lines + [")"])
