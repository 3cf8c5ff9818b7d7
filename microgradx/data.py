"""Toy datasets for classification and a mini-batch ``DataLoader``.

Every generator returns ``(X, y)``: ``X`` a float64 array of shape ``(n, d)``,
``y`` int64 class indices of shape ``(n,)``. Each takes ``seed`` (an int, a
``np.random.Generator`` or None) and draws everything from
``np.random.default_rng(seed)``, so the same seed gives the same data; with
``seed=None`` from the package's random source, which ``mg.manual_seed``
seeds (as ``torch.manual_seed`` does).

>>> X, y = make_moons(100, noise=0.1, seed=0)
>>> X.shape, y.shape, sorted(set(y.tolist()))
((100, 2), (100,), [0, 1])
>>> sum(len(yb) for _, yb in DataLoader(X, y, batch_size=32))
100
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .random import generator, rng_for

__all__ = [
    "make_moons", "make_circles", "make_spiral", "make_blobs", "make_xor", "to_pm1",
    "DataLoader",
]

Seed = int | np.random.Generator | None


def _check_int(name: str, value: Any, minimum: int, why: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {value!r} ({type(value).__name__})")
    if value < minimum:
        reason = f" ({why})" if why else ""
        raise ValueError(f"{name} must be >= {minimum}{reason}, got {name}={value}")
    return int(value)


def _check_noise(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r} ({type(value).__name__})")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {name}={value!r}")
    return number


def _finish(
    X: np.ndarray, y: np.ndarray, noise: float, rng: np.random.Generator, shuffle: bool
) -> tuple[np.ndarray, np.ndarray]:
    if shuffle:
        order = rng.permutation(len(y))
        X, y = X[order], y[order]
    if noise > 0:
        X = X + rng.normal(scale=noise, size=X.shape)
    return np.ascontiguousarray(X, dtype=np.float64), y.astype(np.int64)


def make_moons(
    n: int = 100, noise: float = 0.1, seed: Seed = None, *, shuffle: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, built as scikit-learn's ``make_moons``.

    Class 0 (``n // 2`` points) lies on ``(cos t, sin t)``, class 1 (the rest)
    on ``(1 - cos t, 0.5 - sin t)``, with ``t = linspace(0, pi)``; then
    Gaussian noise of standard deviation ``noise`` is added to every coordinate.

    >>> X, y = make_moons(6, noise=0.0, seed=0, shuffle=False)
    >>> X[0].tolist(), y.tolist()
    ([1.0, 0.0], [0, 0, 0, 1, 1, 1])
    """
    n = _check_int("n", n, 2, "one point per moon")
    noise = _check_noise("noise", noise)
    rng = rng_for(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0.0, np.pi, n_out)
    t_in = np.linspace(0.0, np.pi, n_in)
    X = np.concatenate([
        np.column_stack([np.cos(t_out), np.sin(t_out)]),
        np.column_stack([1.0 - np.cos(t_in), 1.0 - np.sin(t_in) - 0.5]),
    ])
    y = np.repeat([0, 1], [n_out, n_in])
    return _finish(X, y, noise, rng, shuffle)


def make_circles(
    n: int = 100,
    noise: float = 0.05,
    factor: float = 0.5,
    seed: Seed = None,
    *,
    shuffle: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """A large circle (class 0, radius 1) around a small one (class 1, radius ``factor``).

    As scikit-learn's ``make_circles``: ``n // 2`` points evenly spaced on the
    outer circle, the rest on the inner one, then Gaussian ``noise``.

    >>> X, y = make_circles(8, noise=0.0, factor=0.5, seed=0)
    >>> sorted({round(float(r), 6) for r in (X ** 2).sum(axis=1) ** 0.5})
    [0.5, 1.0]
    """
    n = _check_int("n", n, 2, "one point per circle")
    noise = _check_noise("noise", noise)
    if isinstance(factor, bool) or not isinstance(factor, numbers.Real):
        raise TypeError(f"factor must be a number, got {factor!r} ({type(factor).__name__})")
    factor = float(factor)
    if not 0.0 <= factor < 1.0:
        raise ValueError(
            f"factor is the inner radius over the outer one and must be in [0, 1), "
            f"got factor={factor!r}"
        )
    rng = rng_for(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0.0, 2.0 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0.0, 2.0 * np.pi, n_in, endpoint=False)
    X = np.concatenate([
        np.column_stack([np.cos(t_out), np.sin(t_out)]),
        factor * np.column_stack([np.cos(t_in), np.sin(t_in)]),
    ])
    y = np.repeat([0, 1], [n_out, n_in])
    return _finish(X, y, noise, rng, shuffle)


def make_spiral(
    n_per_class: int = 100,
    classes: int = 3,
    noise: float = 0.2,
    seed: Seed = None,
    *,
    shuffle: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """The CS231n spiral: ``classes`` arms, ``n_per_class`` points each.

    Arm ``j`` has radius ``r = linspace(0, 1)`` and angle
    ``t = linspace(4j, 4(j+1)) + noise * randn``; a point is
    ``(r sin t, r cos t)``. The noise moves points along their circle, so
    every radius stays in ``[0, 1]``.

    >>> X, y = make_spiral(50, classes=3, seed=0)
    >>> X.shape, np.bincount(y).tolist()
    ((150, 2), [50, 50, 50])
    """
    n_per_class = _check_int("n_per_class", n_per_class, 1)
    classes = _check_int("classes", classes, 2)
    noise = _check_noise("noise", noise)
    rng = rng_for(seed)
    r = np.tile(np.linspace(0.0, 1.0, n_per_class), classes)
    t = np.concatenate([np.linspace(j * 4.0, (j + 1) * 4.0, n_per_class) for j in range(classes)])
    t = t + noise * rng.standard_normal(t.shape)
    X = np.column_stack([r * np.sin(t), r * np.cos(t)])
    y = np.repeat(np.arange(classes), n_per_class)
    return _finish(X, y, 0.0, rng, shuffle)


def make_blobs(
    n: int = 100,
    centers: int | Sequence[Sequence[float]] | np.ndarray = 3,
    std: float = 1.0,
    seed: Seed = None,
    dim: int | None = None,
    *,
    shuffle: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic Gaussian blobs, one class per center.

    ``centers`` is a count (centers are then drawn uniformly in
    ``[-10, 10]^dim``, ``dim`` defaulting to 2) or an array of shape
    ``(k, d)`` (``dim``, if given, must equal ``d``). The ``n`` points are
    split as evenly as possible, the first ``n % k`` centers getting one more.

    >>> X, y = make_blobs(90, centers=[[0, 0], [5, 5], [0, 5]], std=0.1, seed=0)
    >>> np.round(X[y == 1].mean(axis=0)).tolist()
    [5.0, 5.0]
    """
    std = _check_noise("std", std)
    rng = rng_for(seed)
    if isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        k = _check_int("centers", centers, 1)
        d = 2 if dim is None else _check_int("dim", dim, 1)
        means = rng.uniform(-10.0, 10.0, size=(k, d))
    else:
        means = np.asarray(centers, dtype=np.float64)
        if means.ndim != 2 or means.shape[0] == 0 or means.shape[1] == 0:
            raise ValueError(
                f"centers must be an int or an array of shape (k, dim) with k, dim >= 1, "
                f"got shape {means.shape}"
            )
        if not np.all(np.isfinite(means)):
            raise ValueError("centers must be finite numbers, got NaN or inf")
        k, d = means.shape
        if dim is not None and _check_int("dim", dim, 1) != d:
            raise ValueError(
                f"dim={dim} does not match centers of shape {means.shape}; "
                f"pass dim={d} or leave dim out"
            )
    n = _check_int("n", n, k, f"one point per center, {k} centers")
    counts = np.full(k, n // k)
    counts[: n % k] += 1
    y = np.repeat(np.arange(k), counts)
    return _finish(means[y], y, std, rng, shuffle)


def make_xor(
    n: int = 100, noise: float = 0.1, seed: Seed = None, *, shuffle: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Four Gaussian clusters at ``(±1, ±1)``; label 1 where the signs differ.

    A cluster's label is the xor of its center's signs, so ``(1, 1)`` and
    ``(-1, -1)`` are class 0, ``(1, -1)`` and ``(-1, 1)`` class 1. Large
    ``noise`` pushes points across the axes: their labels stay those of
    their cluster.

    >>> X, y = make_xor(8, noise=0.0, seed=0)
    >>> bool(np.all(y == (X[:, 0] * X[:, 1] < 0)))
    True
    """
    n = _check_int("n", n, 4, "one point per cluster")
    noise = _check_noise("noise", noise)
    rng = rng_for(seed)
    corners = np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, -1.0], [-1.0, 1.0]])
    counts = np.full(4, n // 4)
    counts[: n % 4] += 1
    cluster = np.repeat(np.arange(4), counts)
    X = corners[cluster]
    y = (X[:, 0] * X[:, 1] < 0).astype(np.int64)
    return _finish(X, y, noise, rng, shuffle)


def to_pm1(y: Sequence[int] | np.ndarray) -> np.ndarray:
    """Map labels ``{0, 1}`` to ``{-1.0, +1.0}`` (float64), as hinge losses want.

    >>> to_pm1([0, 1, 1]).tolist()
    [-1.0, 1.0, 1.0]
    """
    labels = np.asarray(y)
    bad = ~np.isin(labels, (0, 1))
    if np.any(bad):
        raise ValueError(
            f"to_pm1 expects labels 0 and 1 only, got {labels[bad].flat[0].item()!r}; "
            f"for more classes use integer targets with cross_entropy"
        )
    return labels.astype(np.float64) * 2.0 - 1.0


class DataLoader:
    """Mini-batches ``(xb, yb)`` over ``X`` and ``y`` (or ``xb`` alone if ``y`` is None).

    One pass over the loader is one epoch, covering every sample once (the
    last, smaller batch is dropped when ``drop_last``). With ``shuffle``,
    every new ``iter()`` draws a fresh order from one generator seeded here,
    so the sequence of epochs is the same for the same ``seed``; with
    ``seed=None`` from the package's random source at that moment (see
    ``mg.manual_seed``). ``len()``
    is the number of batches in an epoch. Batches are copies: changing one
    leaves ``X`` as it was.

    >>> loader = DataLoader([[0.0], [1.0], [2.0]], [0, 1, 0], batch_size=2)
    >>> len(loader), [yb.tolist() for _, yb in loader]
    (2, [[0, 1], [0]])
    """

    def __init__(
        self,
        X: Any,
        y: Any = None,
        batch_size: int = 32,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: Seed = None,
    ) -> None:
        self.X = np.asarray(X)
        if self.X.ndim == 0:
            raise ValueError(
                f"X must be an array of samples (first axis = samples), got a scalar {X!r}"
            )
        if len(self.X) == 0:
            raise ValueError(f"X is empty (shape {self.X.shape}); a DataLoader needs samples")
        self.y = None if y is None else np.asarray(y)
        if self.y is not None and (self.y.ndim == 0 or len(self.y) != len(self.X)):
            n_y = "a scalar" if self.y.ndim == 0 else f"{len(self.y)} labels"
            raise ValueError(
                f"X and y must have the same length: X has {len(self.X)} samples, y has {n_y}"
            )
        self.batch_size = _check_int("batch_size", batch_size, 1)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        if self.drop_last and self.batch_size > len(self.X):
            raise ValueError(
                f"drop_last=True with batch_size={self.batch_size} > {len(self.X)} samples "
                f"leaves no batch at all; lower batch_size or set drop_last=False"
            )
        self._rng = None if seed is None else np.random.default_rng(seed)

    @property
    def n_samples(self) -> int:
        """Number of samples in the dataset (not in one epoch, see ``drop_last``)."""
        return len(self.X)

    def __len__(self) -> int:
        if self.drop_last:
            return self.n_samples // self.batch_size
        return -(-self.n_samples // self.batch_size)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray] | np.ndarray]:
        # The order is drawn here, not on the first next(), so epochs follow iter() calls.
        n = self.n_samples
        if self.shuffle:
            order = (generator() if self._rng is None else self._rng).permutation(n)
        else:
            order = np.arange(n)
        return self._batches(order)

    def _batches(self, order: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray] | np.ndarray]:
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            idx = order[start : start + self.batch_size]
            if self.y is None:
                yield self.X[idx]
            else:
                yield self.X[idx], self.y[idx]

    def __repr__(self) -> str:
        return (
            f"DataLoader(n_samples={self.n_samples}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last}, batches={len(self)})"
        )
