"""Anomaly mode: name the first op that makes a NaN or an infinity.

>>> import microgradx as mg
>>> x = mg.Value(-1.0)
>>> with mg.detect_anomaly():
...     try:
...         x.log()
...     except mg.AnomalyError as e:
...         print(str(e).splitlines()[0])
forward pass: op 'log' made nan from finite inputs
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from .autograd import HOOKS, MODE, parents_of

__all__ = ["AnomalyError", "detect_anomaly", "check_forward", "check_backward"]


class AnomalyError(FloatingPointError):
    """A NaN or infinity appeared inside ``detect_anomaly()``."""


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Check every op's output (forward) and every gradient (backward) for NaN/Inf.

    Slower; use it to find where a NaN comes from, then turn it off. Per thread,
    as grad mode is.
    """
    MODE.set(MODE.grad, MODE.anomaly + 1)
    try:
        yield
    finally:
        MODE.set(MODE.grad, MODE.anomaly - 1)


def _bad(x: Any) -> str:
    arr = np.asarray(getattr(x, "data", x) if not isinstance(x, np.ndarray) else x, dtype=float)
    if np.isnan(arr).any():
        return "nan"
    if np.isinf(arr).any():
        return "inf"
    return ""


def _show(x: Any) -> str:
    data = x if isinstance(x, (np.ndarray, np.generic)) else getattr(x, "data", x)
    if isinstance(data, np.ndarray) and data.size > 6:
        return f"array of shape {data.shape} (min {np.nanmin(data):.4g}, max {np.nanmax(data):.4g})"
    label = getattr(x, "label", "")
    return f"{label + '=' if label else ''}{data!r}"


def check_forward(node: Any) -> None:
    """Raise AnomalyError if ``node``'s data holds NaN/Inf (called on each new node)."""
    kind = _bad(node.data)
    if not kind:
        return
    parents = parents_of(node)
    ins = [_show(p) for p in parents] + [_show(c) for c in (node._ctx or ()) if not hasattr(c, "saved")]
    consts = [c for c in (node._ctx or ()) if isinstance(c, (float, np.ndarray))]
    inputs_ok = not any(_bad(p.data) for p in parents) and not any(_bad(c) for c in consts)
    origin = "from finite inputs" if inputs_ok else "(an input was already bad)"
    raise AnomalyError(
        f"forward pass: op '{node.op}' made {kind} {origin}\n"
        f"  inputs: {', '.join(ins)}\n"
        "  check the domain of the op (log/sqrt of <= 0, division by 0, overflow of exp)"
    )


def check_backward(node: Any, parent: Any, grad: Any, upstream: Any = None) -> None:
    """Raise AnomalyError if the gradient ``node``'s op sends to ``parent`` is NaN/Inf."""
    kind = _bad(grad)
    if not kind:
        return
    ins = ", ".join(_show(p) for p in parents_of(node))
    raise AnomalyError(
        f"backward pass: the gradient of op '{node.op}' for its input {_show(parent)} is {kind}\n"
        f"  op inputs: {ins}; upstream gradient: {_show(upstream)}\n"
        "  the derivative is not finite here (e.g. sqrt or log at 0, or an overflow)"
    )


HOOKS["forward"] = check_forward
HOOKS["backward"] = check_backward
