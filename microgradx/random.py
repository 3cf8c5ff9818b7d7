"""One random source for the whole package, seeded by :func:`manual_seed`.

Every random choice microgradx makes without an explicit ``seed`` (weight
init, toy datasets, DataLoader shuffling, dropout, ``mg.randn``) draws from
:func:`generator`, so ``mg.manual_seed(s)`` makes a run reproducible, as
``torch.manual_seed`` does.

>>> import microgradx as mg
>>> _ = mg.manual_seed(0); a = generator().random()
>>> _ = mg.manual_seed(0); a == generator().random()
True
"""

from __future__ import annotations

import numpy as np

__all__ = ["manual_seed", "generator", "rng_for"]

_GEN = [np.random.default_rng()]


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the package's random source; returns the new generator.

    >>> bool(manual_seed(3).integers(0, 10) == manual_seed(3).integers(0, 10))
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"manual_seed needs a non-negative int, got {seed!r}")
    _GEN[0] = np.random.default_rng(int(seed))
    return _GEN[0]


def generator() -> np.random.Generator:
    """The package's current random generator (see :func:`manual_seed`).

    >>> isinstance(generator(), np.random.Generator)
    True
    """
    return _GEN[0]


def rng_for(seed: int | np.random.Generator | None) -> np.random.Generator:
    """A generator for ``seed``: the package's own when None, else ``default_rng(seed)``.

    >>> rng_for(None) is generator(), bool(rng_for(1).integers(9) == rng_for(1).integers(9))
    (True, True)
    """
    return _GEN[0] if seed is None else np.random.default_rng(seed)
