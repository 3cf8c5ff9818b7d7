"""Weight initialisation schemes: "uniform" (micrograd), "xavier", "he".

>>> import numpy as np
>>> w = init_weights((3, 2), "he", np.random.default_rng(0))
>>> w.shape
(3, 2)
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["init_weights", "SCHEMES"]

SCHEMES = ("uniform", "xavier", "he")


def init_weights(shape: tuple[int, int], scheme: str, rng: np.random.Generator) -> np.ndarray:
    """Weights of shape (fan_in, fan_out) drawn by ``scheme``.

    uniform: U(-1, 1) as micrograd; xavier: U(-a, a), a = sqrt(6 / (fan_in + fan_out));
    he: N(0, 2 / fan_in) (for ReLU layers).
    """
    fan_in, fan_out = shape
    if scheme == "uniform":
        return rng.uniform(-1.0, 1.0, size=shape)
    if scheme == "xavier":
        a = math.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-a, a, size=shape)
    if scheme == "he":
        return rng.normal(0.0, math.sqrt(2.0 / fan_in), size=shape)
    raise ValueError(f"unknown init {scheme!r}; choose one of {', '.join(SCHEMES)}")


def make_rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """A NumPy Generator from a seed, a Generator, or None (fresh entropy)."""
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
