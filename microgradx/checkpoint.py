"""Safe ``.npz`` files: written atomically, read all-or-nothing, never pickled.

``save_arrays`` writes to a temporary file in the same folder and moves it
into place with ``os.replace``, so an interrupted save (disk full, Ctrl-C)
leaves the previous file as it was. The name given is the name written: no
``.npz`` is appended. ``load_arrays`` reads every entry before returning and
refuses anything that is not an npz of plain real-number arrays.

>>> import os, tempfile, numpy as np
>>> path = os.path.join(tempfile.mkdtemp(), "model.pt")
>>> save_arrays(path, {"w": np.arange(3.0)})
>>> load_arrays(path)["w"].tolist()
[0.0, 1.0, 2.0]
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["CheckpointError", "save_arrays", "load_arrays"]


class CheckpointError(ValueError):
    """A file is not a checkpoint microgradx can read (or could not be written)."""


def save_arrays(path: str | os.PathLike, arrays: Mapping[str, Any]) -> None:
    """Write ``arrays`` (name -> real-number array) to ``path`` as an ``.npz``, atomically.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "opt.npz"); save_arrays(p, {"step": np.array(3)})
    >>> sorted(load_arrays(p))
    ['step']
    """
    path = os.fspath(path)
    clean = {}
    for name, value in arrays.items():
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            raise CheckpointError(f"save: entry {name!r} has dtype {arr.dtype}; only real numbers are saved")
        clean[str(name)] = arr
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **clean)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_arrays(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Every entry of the ``.npz`` at ``path``, checked to be real-number arrays.

    Raises :class:`CheckpointError` (never advice to unpickle) for anything else.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "x.npz"); save_arrays(p, {"a": np.ones(2)})
    >>> load_arrays(p)["a"].shape
    (2,)
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no checkpoint at {path!r}")
    if not zipfile.is_zipfile(path):
        raise CheckpointError(f"{path!r} is not a microgradx checkpoint (an .npz of arrays written by save)")
    out: dict[str, np.ndarray] = {}
    try:
        with np.load(path, allow_pickle=False) as f:
            for name in f.files:
                entry = f[name]
                if not isinstance(entry, np.ndarray):     # a zip member that is not an .npy
                    raise CheckpointError(
                        f"{path!r} is not a microgradx checkpoint: its entry {name!r} is not an array "
                        "(a torch.save file? load it in torch and pass {k: v.numpy() for k, v in "
                        "sd.items()} to load_state_dict)"
                    )
                out[name] = entry
    except (ValueError, OSError, zipfile.BadZipFile, EOFError, KeyError) as e:
        reason = "it holds objects, not plain arrays" if "pickle" in str(e).lower() else str(e)
        raise CheckpointError(f"{path!r} cannot be read as a checkpoint: {reason}") from None
    for name, arr in out.items():
        if arr.dtype.kind not in "biuf":
            raise CheckpointError(
                f"{path!r}: entry {name!r} has dtype {arr.dtype}; a checkpoint holds real numbers only"
            )
    return out
