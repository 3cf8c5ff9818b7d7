"""PyTorch's top-level functions: tensors from data, filled, random or ranged; where, maximum, minimum.

Every tensor made here is float64 unless ``dtype`` says float32 (``mg.float32``):
microgradx tensors hold floats only, so ``arange`` of ints is float64 too,
where PyTorch would give int64. Random tensors draw from the package's one
random source, so ``mg.manual_seed(s)`` makes them reproducible.

>>> import microgradx as mg
>>> mg.zeros(2, 3).shape, mg.ones((2,), dtype=mg.float32).dtype, mg.arange(3).tolist()
((2, 3), dtype('float32'), [0.0, 1.0, 2.0])
>>> _ = mg.manual_seed(0); a = mg.randn(3)
>>> _ = mg.manual_seed(0); bool((a == mg.randn(3)).all())
True
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .random import generator
from .tensor import _FLOATS, Tensor, _constant, _where

__all__ = [
    "float32", "float64", "tensor", "zeros", "ones", "full", "randn", "rand", "arange", "eye",
    "zeros_like", "ones_like", "full_like", "rand_like", "randn_like", "where", "maximum", "minimum",
]

float32 = np.float32
float64 = np.float64


def _dtype(dtype: Any, what: str, default: Any = np.float64) -> np.dtype:
    if dtype is None:
        return np.dtype(default)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt not in _FLOATS:
        raise TypeError(f"{what}: microgradx tensors are float32 or float64, got dtype={dtype!r}; "
                        "use mg.float32 or mg.float64")
    return dt


def _size(size: tuple, what: str) -> tuple[int, ...]:
    """``(2, 3)`` from ``f(2, 3)``, ``f((2, 3))`` or ``f([2, 3])``; every entry an int >= 0."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for n in size:
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
            raise ValueError(f"{what}: a size is made of ints >= 0, e.g. {what}(2, 3), got {size!r}")
    return tuple(int(n) for n in size)


def _new(data: np.ndarray, requires_grad: bool) -> Tensor:
    return Tensor(data, requires_grad=requires_grad, dtype=data.dtype)


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A new leaf tensor holding a copy of ``data`` (numbers, nested lists, an ndarray or a Tensor).

    >>> w = tensor([[1, 2], [3, 4]], requires_grad=True)
    >>> w.dtype, w.requires_grad
    (dtype('float64'), True)
    """
    if isinstance(data, Tensor):
        data = data.data
    return Tensor(data, requires_grad=requires_grad, dtype=None if dtype is None else _dtype(dtype, "tensor"))


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros; ``zeros(2, 3)`` or ``zeros((2, 3))``.

    >>> zeros(2, 2).tolist()
    [[0.0, 0.0], [0.0, 0.0]]
    """
    return _new(np.zeros(_size(size, "zeros"), _dtype(dtype, "zeros")), requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones; ``ones(2, 3)`` or ``ones((2, 3))``.

    >>> ones(3).tolist()
    [1.0, 1.0, 1.0]
    """
    return _new(np.ones(_size(size, "ones"), _dtype(dtype, "ones")), requires_grad)


def full(size: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of shape ``size`` (a tuple, or an int for 1-D) filled with ``fill_value``.

    >>> full((2,), 7.5).tolist()
    [7.5, 7.5]
    """
    shape = _size((size,) if isinstance(size, numbers.Integral) else (tuple(size),), "full")
    if isinstance(fill_value, bool) or not isinstance(fill_value, numbers.Real):
        raise TypeError(f"full: fill_value must be a number, got {type(fill_value).__name__} {fill_value!r}")
    return _new(np.full(shape, fill_value, _dtype(dtype, "full")), requires_grad)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from the package's random source (see ``mg.manual_seed``).

    >>> randn(2, 3).shape
    (2, 3)
    """
    return _new(generator().standard_normal(_size(size, "randn"), dtype=_dtype(dtype, "randn")),
                requires_grad)


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) from the package's random source (see ``mg.manual_seed``).

    >>> bool(((rand(100) >= 0) & (rand(100) < 1)).all())
    True
    """
    return _new(generator().random(_size(size, "rand"), dtype=_dtype(dtype, "rand")), requires_grad)


def arange(start: float, end: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """``start, start + step, ...`` up to ``end`` (excluded); ``arange(n)`` is ``0 .. n-1``. Always float.

    >>> arange(1, 2, 0.25).tolist()
    [1.0, 1.25, 1.5, 1.75]
    """
    if end is None:
        start, end = 0, start
    for name, v in (("start", start), ("end", end), ("step", step)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not np.isfinite(v):
            raise ValueError(f"arange: {name} must be a finite number, got {v!r}")
    if step == 0:
        raise ValueError("arange: step must not be 0")
    if (end - start) * step < 0:
        raise ValueError(f"arange: step {step} moves away from end {end} (start {start}); "
                         "flip the sign of step")
    return _new(np.arange(start, end, step, dtype=_dtype(dtype, "arange")), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """An ``n`` by ``m`` (default ``n``) matrix with ones on the diagonal.

    >>> eye(2).tolist(), eye(1, 3).shape
    ([[1.0, 0.0], [0.0, 1.0]], (1, 3))
    """
    n, m = _size((n, n if m is None else m), "eye")
    return _new(np.eye(n, m, dtype=_dtype(dtype, "eye")), requires_grad)


def _like(t: Any, what: str, dtype: Any) -> tuple[tuple, np.dtype]:
    data = t.data if isinstance(t, Tensor) else np.asarray(t)
    own = data.dtype if data.dtype in _FLOATS else np.float64
    return data.shape, _dtype(dtype, what, own)


def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of ``t``'s shape and (float) dtype.

    >>> zeros_like(ones(2, dtype=float32)).dtype
    dtype('float32')
    """
    shape, dt = _like(t, "zeros_like", dtype)
    return _new(np.zeros(shape, dt), requires_grad)


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones of ``t``'s shape and (float) dtype.

    >>> ones_like(zeros(2)).tolist()
    [1.0, 1.0]
    """
    shape, dt = _like(t, "ones_like", dtype)
    return _new(np.ones(shape, dt), requires_grad)


def full_like(t: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """``fill_value`` in ``t``'s shape and (float) dtype.

    >>> full_like(zeros(2), 3.0).tolist()
    [3.0, 3.0]
    """
    shape, dt = _like(t, "full_like", dtype)
    return full(shape, fill_value, dt, requires_grad)


def randn_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples in ``t``'s shape and (float) dtype.

    >>> randn_like(zeros(2, 3)).shape
    (2, 3)
    """
    shape, dt = _like(t, "randn_like", dtype)
    return randn(shape, dtype=dt, requires_grad=requires_grad)


def rand_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) in ``t``'s shape and (float) dtype.

    >>> rand_like(zeros(4)).shape
    (4,)
    """
    shape, dt = _like(t, "rand_like", dtype)
    return rand(shape, dtype=dt, requires_grad=requires_grad)


def _operand(x: Any, other: Any) -> Tensor:
    """``x`` as a Tensor; a plain number takes the dtype of the other operand when it is a Tensor."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, numbers.Real) and not isinstance(x, bool) and isinstance(other, Tensor):
        return _constant(np.asarray(x, other.dtype))
    return Tensor(x) if not isinstance(x, np.ndarray) or x.dtype not in _FLOATS else _constant(x)


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """``input`` where ``condition`` is True, else ``other`` (all broadcast together).

    The gradient of each side is the upstream gradient where that side was
    taken, 0 elsewhere. ``condition`` is a bool Tensor (``x > 0``) or array.

    >>> x = Tensor([-1.0, 2.0], requires_grad=True)
    >>> y = where(x > 0, x, 0.0); y.sum().backward(); y.tolist(), x.grad.tolist()
    ([0.0, 2.0], [0.0, 1.0])
    """
    a = _operand(input, other)
    return _where(condition, a, _operand(other, a))


def maximum(input: Any, other: Any) -> Tensor:
    """The elementwise larger of two tensors; at ties each gets half the gradient (as PyTorch).

    >>> maximum(Tensor([1.0, 5.0]), Tensor([3.0, 2.0])).tolist()
    [3.0, 5.0]
    """
    a = _operand(input, other)
    return a.maximum(_operand(other, a))


def minimum(input: Any, other: Any) -> Tensor:
    """The elementwise smaller of two tensors; at ties each gets half the gradient (as PyTorch).

    >>> minimum(Tensor([1.0, 5.0]), 2.0).tolist()
    [1.0, 2.0]
    """
    a = _operand(input, other)
    return a.minimum(_operand(other, a))
