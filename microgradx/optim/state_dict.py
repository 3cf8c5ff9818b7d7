"""An optimizer's state_dict: checked before it is loaded, and flattened into arrays for a file.

:func:`check_state_dict` checks a whole state_dict against an optimizer and
returns what to install, or raises without touching the optimizer.
:func:`to_arrays` / :func:`from_arrays` turn a state_dict into a flat
``name -> array`` dict and back, for ``microgradx.checkpoint``'s ``.npz``
files (numbers only, never pickle). A name is ``state/3/exp_avg#array``:
the path in the state_dict, then the kind of the value.

>>> sd = {"state": {0: {"step": 2}}, "param_groups": [{"lr": 0.1, "params": [0]}]}
>>> sorted(to_arrays(sd))
['format#int', 'param_groups/0/lr#float', 'param_groups/0/params#list', 'state/0/step#int']
>>> from_arrays(to_arrays(sd)) == sd
True
"""

from __future__ import annotations

import copy
import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

from ..checkpoint import CheckpointError
from ..value import Value
from .batches import describe

if TYPE_CHECKING:
    from .optimizer import Optimizer

__all__ = ["check_state_dict", "to_arrays", "from_arrays"]

FORMAT = 1


# ---- checking --------------------------------------------------------------------------------
def _count(value: Any) -> int | None:
    """A step count as an int (from an int, an integral float or a 0-d array), else None."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if not isinstance(value, numbers.Real):
        try:
            arr = np.asarray(value)
        except Exception:  # noqa: BLE001 - anything that is not an array is refused below
            return None
        if arr.shape != () or arr.dtype.kind not in "iuf":
            return None
        value = arr.item()
    if float(value) != int(value) or value < 0:
        return None
    return int(value)


def _array(value: Any, param: Any) -> Any:
    """A state array for ``param`` (a float for a Value), or None if it does not fit."""
    try:
        arr = np.asarray(value)
    except Exception:  # noqa: BLE001
        return None
    if arr.dtype.kind not in "iuf":
        return None
    if isinstance(param, Value):
        return float(arr.reshape(())) if arr.size == 1 else None
    data = np.asarray(param.data)
    if arr.shape != data.shape:
        return None
    return arr.astype(data.dtype, copy=True)


def _check_entry(opt: Optimizer, entry: Any, param: Any, index: int, options: dict[str, Any],
                 owner: str) -> dict[str, Any]:
    name = describe(param, index)
    if not isinstance(entry, dict):
        raise TypeError(f"{owner}: the state of {name} is a {type(entry).__name__}, not a dict")
    spec = opt._state_spec(options)
    required = {k for k, kind in spec.items() if not kind.endswith("?")}
    missing, extra = sorted(required - set(entry)), sorted(set(entry) - set(spec))
    if entry and (missing or extra):
        raise ValueError(
            f"{owner}: the state of {name} has {sorted(map(str, entry))}; {type(opt).__name__} "
            f"with these options keeps {sorted(required)}"
            + (f" (missing {missing})" if missing else "") + (f" (unknown {extra})" if extra else "")
        )
    out = {}
    for key, value in entry.items():
        if spec[key] == "count":
            n = _count(value)
            if n is None:
                raise ValueError(f"{owner}: state {key!r} of {name} must be a whole number >= 0, "
                                 f"got {value!r}")
            out[key] = n
        else:
            arr = _array(value, param)
            if arr is None:
                want = "one number" if isinstance(param, Value) else \
                    f"a real array of shape {np.shape(param.data)}"
                got = np.shape(value) if hasattr(value, "shape") else type(value).__name__
                raise ValueError(f"{owner}: state {key!r} of {name} must be {want} (the "
                                 f"parameter's shape), got {got}")
            out[key] = arr
    return out


def check_state_dict(opt: Optimizer, sd: Any) -> tuple[list[dict], dict[int, dict], dict]:
    """(options of each group, state by parameter index, global state) to install, all checked.

    >>> import microgradx as mg
    >>> opt = mg.optim.SGD([mg.Value(0.0)], lr=0.1)
    >>> check_state_dict(opt, opt.state_dict())[0][0]["lr"]
    0.1
    """
    cls = type(opt).__name__
    owner = f"{cls}.load_state_dict()"
    if not isinstance(sd, dict) or "state" not in sd or "param_groups" not in sd:
        got = sorted(map(str, sd)) if isinstance(sd, dict) else type(sd).__name__
        raise TypeError(f"{owner} needs a dict made by state_dict(), with 'state' and "
                        f"'param_groups'; got {got}")
    kind = sd.get("optimizer")
    if kind is not None and kind != cls:
        raise ValueError(f"this state_dict was saved by {kind}, not by {cls}; load it into a "
                         f"{kind} over the same parameters")
    saved_groups = sd["param_groups"]
    if not isinstance(saved_groups, (list, tuple)) or not all(isinstance(g, dict) for g in saved_groups):
        raise TypeError(f"{owner}: 'param_groups' must be a list of dicts")
    if len(saved_groups) != len(opt.param_groups):
        raise ValueError(f"{owner}: the state_dict has {len(saved_groups)} param groups, this "
                         f"optimizer has {len(opt.param_groups)}; make the optimizer with the same groups")
    where: dict[Any, int] = {}
    groups, group_of = [], []
    start = 0
    for k, (saved, ours) in enumerate(zip(saved_groups, opt.param_groups)):
        ids = saved.get("params")
        n = len(ours["params"])
        if not isinstance(ids, (list, tuple)) or len(ids) != n:
            have = len(ids) if isinstance(ids, (list, tuple)) else repr(ids)
            raise ValueError(f"{owner}: param group {k} has {have} parameters in the state_dict "
                             f"but {n} parameters here; load into an optimizer over the same parameters")
        for j, sid in enumerate(ids):
            if isinstance(sid, bool) or not isinstance(sid, numbers.Integral) or sid in where:
                raise ValueError(f"{owner}: param group {k} lists parameter index {sid!r} "
                                 "twice or as a non-integer")
            where[sid] = start + j
        missing = [name for name in opt._options if name not in saved]
        if missing:
            hint = "" if kind is not None else " (is it the state_dict of another optimizer?)"
            raise ValueError(f"{owner}: param group {k} has no {', '.join(map(repr, missing))}"
                             f"{hint}; {cls} needs the options {', '.join(opt._options)}")
        checked = opt._check_options(saved, f"{owner}: param group {k}")
        extra = {key: copy.deepcopy(v) for key, v in saved.items() if key not in checked and key != "params"}
        groups.append({**extra, **checked})
        group_of += [k] * n
        start += n
    per_param = sd["state"]
    if not isinstance(per_param, dict):
        raise TypeError(f"{owner}: 'state' must be a dict (parameter index -> dict)")
    unknown = [i for i in per_param if i not in where]
    if unknown:
        raise ValueError(f"{owner}: state for parameter(s) {unknown} but the param groups list "
                         f"{len(where)} parameters ({sorted(where)[:8]}...); load into an "
                         "optimizer over the same parameters")
    params = opt.params
    state = {}
    for sid, entry in per_param.items():
        i = where[sid]
        checked_entry = _check_entry(opt, entry, params[i], i, groups[group_of[i]], owner)
        if checked_entry:
            state[i] = checked_entry
    glob = opt._check_global_state(sd.get("global"), owner)
    return groups, state, glob


# ---- flattening for a file -------------------------------------------------------------------
def _encode(name: str, value: Any) -> tuple[str, np.ndarray]:
    if value is None:
        return "none", np.zeros(0)
    if isinstance(value, (bool, np.bool_)):
        return "bool", np.array(bool(value))
    if isinstance(value, numbers.Integral):
        return "int", np.array(int(value), dtype=np.int64)
    if isinstance(value, numbers.Real):
        return "float", np.array(float(value))
    if isinstance(value, str):
        return "str", np.frombuffer(value.encode("utf-8"), dtype=np.uint8).copy()
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return "array", value
    if isinstance(value, (list, tuple)):
        arr = np.array(value) if value else np.zeros(0)
        if arr.ndim == 1 and arr.dtype.kind in "biuf":
            return ("tuple" if isinstance(value, tuple) else "list"), arr
    raise CheckpointError(f"save: {name} is a {type(value).__name__} ({value!r:.60}); an optimizer "
                          "file holds numbers, flags, strings and arrays only")


def _decode(kind: str, arr: np.ndarray) -> Any:
    if kind == "none":
        return None
    if kind == "str":
        return arr.astype(np.uint8).tobytes().decode("utf-8")
    if kind == "array":
        return arr
    if kind in ("tuple", "list"):
        items = arr.tolist()
        return tuple(items) if kind == "tuple" else items
    value = arr.item()
    return {"bool": bool, "int": int, "float": float}[kind](value)


def to_arrays(sd: dict[str, Any]) -> dict[str, np.ndarray]:
    """A state_dict as ``name#kind -> array``, for ``checkpoint.save_arrays``.

    >>> sorted(to_arrays({"state": {}, "param_groups": [], "optimizer": "SGD"}))
    ['format#int', 'optimizer#str']
    """
    out: dict[str, np.ndarray] = {"format#int": np.array(FORMAT)}

    def put(path: str, value: Any) -> None:
        if "#" in path:
            raise CheckpointError(f"save: the name {path!r} holds '#', which the file format reserves")
        kind, arr = _encode(path, value)
        out[f"{path}#{kind}"] = arr

    for i, entry in sd["state"].items():
        for key, value in entry.items():
            put(f"state/{i}/{key}", value)
    for k, group in enumerate(sd["param_groups"]):
        for key, value in group.items():
            if "/" in str(key):
                raise CheckpointError(f"save: param group {k} has the key {key!r}; '/' is reserved")
            put(f"param_groups/{k}/{key}", value)
    for key in ("optimizer",):
        if key in sd:
            put(key, sd[key])
    for key, value in sd.get("global", {}).items():
        put(f"global/{key}", value)
    return out


def from_arrays(arrays: dict[str, np.ndarray], source: str = "the file") -> dict[str, Any]:
    """The state_dict that :func:`to_arrays` flattened (a CheckpointError if it is not one).

    >>> from_arrays(to_arrays({"state": {}, "param_groups": [{"lr": 0.5, "params": [0]}]}))
    {'state': {}, 'param_groups': [{'lr': 0.5, 'params': [0]}]}
    """
    if "format#int" not in arrays or not any(k.startswith("param_groups/") for k in arrays):
        raise CheckpointError(f"{source} is not an optimizer's state (written by opt.save()); "
                              "a model's file loads with model.load()")
    sd: dict[str, Any] = {"state": {}, "param_groups": []}
    groups: dict[int, dict[str, Any]] = {}
    glob: dict[str, Any] = {}
    kinds = ("none", "bool", "int", "float", "str", "array", "tuple", "list")
    for name, arr in arrays.items():
        path, _, kind = name.rpartition("#")
        parts = path.split("/")
        try:
            if kind not in kinds:
                raise ValueError(kind)
            value = _decode(kind, arr)
            if parts[0] == "state" and len(parts) == 3:
                sd["state"].setdefault(int(parts[1]), {})[parts[2]] = value
            elif parts[0] == "param_groups" and len(parts) == 3:
                groups.setdefault(int(parts[1]), {})[parts[2]] = value
            elif parts[0] == "global" and len(parts) == 2:
                glob[parts[1]] = value
            elif path == "optimizer":
                sd["optimizer"] = value
            elif path != "format":
                raise ValueError(path)
        except (ValueError, UnicodeDecodeError, KeyError):
            raise CheckpointError(f"{source}: the entry {name!r} is not part of an optimizer's "
                                  "state as opt.save() writes it") from None
    if sorted(groups) != list(range(len(groups))):
        raise CheckpointError(f"{source}: param groups {sorted(groups)} are not numbered 0, 1, ...")
    sd["param_groups"] = [groups[k] for k in range(len(groups))]
    sd["state"] = dict(sorted(sd["state"].items()))
    if glob:
        sd["global"] = glob
    return sd
