"""Checks for optimizer options (lr, betas, flags, ...), each with a clear error.

An optimizer class lists its options as ``name -> check``; a check takes
``(name, value, owner)`` and returns the value as stored (a float, a bool,
a pair of floats) or raises a TypeError/ValueError naming what is wrong.

>>> check_number("lr", 1, owner="SGD")
1.0
>>> check_betas("betas", [0.9, 0.99], owner="Adam")
(0.9, 0.99)
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["check_number", "check_flag", "check_betas", "check_unknown", "lerp", "Check"]

Check = Callable[[str, Any, str], Any]


def check_number(name: str, value: Any, owner: str = "optimizer", low: float = 0.0) -> float:
    """``value`` as a float, or a ValueError/TypeError if it is not a finite number >= ``low``.

    >>> check_number("eps", 1e-8, owner="Adam")
    1e-08
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not value >= low or math.isinf(value):
        raise ValueError(f"{owner}: invalid {name} {value!r}; it must be a finite number >= {low:g}")
    return value


def check_flag(name: str, value: Any, owner: str = "optimizer") -> bool:
    """``value`` as a bool (True/False, or 1/0), or a TypeError.

    >>> check_flag("nesterov", 1, owner="SGD")
    True
    """
    if isinstance(value, (bool, np.bool_)) or (isinstance(value, numbers.Integral) and value in (0, 1)):
        return bool(value)
    raise TypeError(f"{owner}: {name} must be True or False, got {type(value).__name__} {value!r}")


def check_betas(name: str, value: Any, owner: str = "optimizer") -> tuple[float, float]:
    """``value`` as a pair of floats in [0, 1), or a clear error.

    >>> check_betas("betas", (0.5, 0.9), owner="Adam")
    (0.5, 0.9)
    """
    try:
        b1, b2 = value
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: {name} must be a pair (beta1, beta2), got {value!r}") from None
    out = []
    for i, b in enumerate((b1, b2)):
        b = check_number(f"beta{i + 1}", b, owner=owner)
        if not b < 1.0:
            raise ValueError(f"{owner}: invalid beta{i + 1} {b!r}; {name} must lie in [0, 1)")
        out.append(b)
    return out[0], out[1]


def check_unknown(keys: Any, known: Any, owner: str) -> None:
    """Refuse a param-group key that looks like a misspelt option (other keys are kept, as torch).

    >>> check_unknown(["params", "name"], ["lr", "momentum"], "SGD")
    >>> check_unknown(["momentun"], ["lr", "momentum"], "SGD")
    Traceback (most recent call last):
    ...
    ValueError: SGD: unknown option 'momentun'; did you mean 'momentum'?
    """
    known = list(known)
    for key in keys:
        if key == "params" or key in known or not isinstance(key, str):
            continue
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
        if close:
            raise ValueError(f"{owner}: unknown option {key!r}; did you mean {close[0]!r}?")


def lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """start + weight * (end - start), rounded the way ``torch.lerp`` rounds.

    >>> float(lerp(np.array(0.0), np.array(10.0), 0.25))
    2.5
    """
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)
