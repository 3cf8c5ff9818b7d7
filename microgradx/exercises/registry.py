"""Every exercise, by name, in teaching order (importing this needs hypothesis: the checks use it).

>>> list(EXERCISES)[:3]
['central_diff', 'diff_error_order', 'numerical_gradient']
"""

from __future__ import annotations

from .core import Exercise
from .derivatives import EXERCISES as _DERIVATIVES
from .engine import EXERCISES as _ENGINE
from .optimization import EXERCISES as _OPTIMIZATION

__all__ = ["EXERCISES", "GROUPS"]

EXERCISES: dict[str, Exercise] = {e.name: e for e in (*_DERIVATIVES, *_ENGINE, *_OPTIMIZATION)}
GROUPS = ("Derivatives", "Engine", "Optimization")
