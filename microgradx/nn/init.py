"""Weight initialisation: the layers' schemes, and torch.nn.init's in-place functions.

``init_weights`` draws a whole matrix by scheme name ("uniform" as micrograd,
"xavier", "he"). The functions ending in ``_`` (``xavier_uniform_``,
``kaiming_normal_``, ...) have torch.nn.init's names, arguments and formulas:
they fill a Tensor's data in place and return the Tensor. Fans follow
torch's layout, weight (out_features, in_features[, kernel...]): fan_in is
``shape[1] * receptive field``, fan_out ``shape[0] * receptive field``. Random
draws come from the package's source (``mg.manual_seed``) unless a
``generator`` is given.

>>> import microgradx as mg
>>> w = mg.Tensor(np.empty((3, 2)), requires_grad=True)
>>> _ = mg.manual_seed(0); kaiming_uniform_(w, nonlinearity="relu") is w
True
>>> bool((np.abs(w.data) <= np.sqrt(6 / 2)).all())
True
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from ..random import rng_for
from ..tensor import Tensor

__all__ = [
    "init_weights", "SCHEMES", "calculate_gain", "uniform_", "normal_", "zeros_", "ones_", "constant_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
]

SCHEMES = ("uniform", "xavier", "he")


def init_weights(shape: tuple[int, int], scheme: str, rng: np.random.Generator) -> np.ndarray:
    """Weights of shape (fan_in, fan_out) drawn by ``scheme``.

    uniform: U(-1, 1) as micrograd; xavier: U(-a, a), a = sqrt(6 / (fan_in + fan_out));
    he: N(0, 2 / fan_in) (for ReLU layers).

    >>> init_weights((3, 2), "he", np.random.default_rng(0)).shape
    (3, 2)
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
    """A NumPy Generator from a seed, a Generator, or None (the package's source, see mg.manual_seed).

    >>> bool(make_rng(0).integers(10) == make_rng(0).integers(10))
    True
    """
    return rng_for(seed)


# ---- torch.nn.init --------------------------------------------------------------------------

_LINEAR_GAIN = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for ``nonlinearity``, as ``torch.nn.init.calculate_gain``.

    linear, conv and sigmoid: 1; tanh: 5/3; relu: sqrt(2); leaky_relu:
    sqrt(2 / (1 + slope**2)) with slope ``param`` (default 0.01); selu: 3/4.

    >>> calculate_gain("relu") == math.sqrt(2), calculate_gain("tanh")
    (True, 1.6666666666666667)
    """
    if nonlinearity in _LINEAR_GAIN:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, bool) or not isinstance(param, numbers.Real):
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        else:
            slope = float(param)
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; choose one of "
                     f"{', '.join(_LINEAR_GAIN + ('tanh', 'relu', 'leaky_relu', 'selu'))}")


def _array(tensor: Any, fn: str) -> np.ndarray:
    """The float array to fill in place (a Tensor's data, or an ndarray)."""
    arr = tensor.data if isinstance(tensor, Tensor) else tensor
    if not isinstance(arr, np.ndarray) or arr.dtype.kind != "f":
        raise TypeError(f"init.{fn} fills a float Tensor (or ndarray) in place, got {type(tensor).__name__}"
                        + (f" of dtype {arr.dtype}" if isinstance(arr, np.ndarray) else ""))
    if not arr.flags.writeable:
        raise ValueError(f"init.{fn}: the array is read-only; give the Tensor an array of its own first")
    return arr


def _fill(tensor: Any, values: np.ndarray | float, fn: str) -> Any:
    arr = _array(tensor, fn)
    arr[...] = values
    return tensor


def _calculate_fan_in_and_fan_out(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of ``shape`` in torch's layout (out, in, *kernel).

    >>> _calculate_fan_in_and_fan_out((16, 3, 5, 5))
    (75, 400)
    """
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need a tensor of at least 2 dimensions, got shape {shape}; "
                         "for a bias use uniform_/normal_/zeros_")
    receptive = int(np.prod(shape[2:], dtype=np.int64)) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _fan(shape: tuple[int, ...], mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(shape)
    return fan_in if mode == "fan_in" else fan_out


def _real(x: Any, name: str, fn: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(x):
        raise ValueError(f"init.{fn}: {name} must be a finite number, got {x!r}")
    return float(x)


def uniform_(tensor: Any, a: float = 0.0, b: float = 1.0,
             generator: np.random.Generator | None = None) -> Any:
    """Fill with draws from U(a, b).

    >>> t = Tensor(np.empty(4)); bool(((uniform_(t, -2, 2).data >= -2) & (t.data < 2)).all())
    True
    """
    arr = _array(tensor, "uniform_")
    a, b = _real(a, "a", "uniform_"), _real(b, "b", "uniform_")
    if a > b:
        raise ValueError(f"init.uniform_: a ({a}) must not exceed b ({b})")
    return _fill(tensor, rng_for(generator).uniform(a, b, size=arr.shape), "uniform_")


def normal_(tensor: Any, mean: float = 0.0, std: float = 1.0,
            generator: np.random.Generator | None = None) -> Any:
    """Fill with draws from N(mean, std**2).

    >>> normal_(Tensor(np.empty((2, 3))), std=0.1).shape
    (2, 3)
    """
    arr = _array(tensor, "normal_")
    mean, std = _real(mean, "mean", "normal_"), _real(std, "std", "normal_")
    if std < 0:
        raise ValueError(f"init.normal_: std must be >= 0, got {std}")
    return _fill(tensor, rng_for(generator).normal(mean, std, size=arr.shape), "normal_")


def constant_(tensor: Any, val: float) -> Any:
    """Fill with ``val``.

    >>> constant_(Tensor(np.empty(2)), 0.5).data
    array([0.5, 0.5])
    """
    if isinstance(val, bool) or not isinstance(val, numbers.Real):
        raise ValueError(f"init.constant_: val must be a real number, got {val!r}")
    return _fill(tensor, float(val), "constant_")


def zeros_(tensor: Any) -> Any:
    """Fill with 0.

    >>> zeros_(Tensor(np.ones(2))).data
    array([0., 0.])
    """
    return _fill(tensor, 0.0, "zeros_")


def ones_(tensor: Any) -> Any:
    """Fill with 1.

    >>> ones_(Tensor(np.zeros(2))).data
    array([1., 1.])
    """
    return _fill(tensor, 1.0, "ones_")


def xavier_uniform_(tensor: Any, gain: float = 1.0, generator: np.random.Generator | None = None) -> Any:
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)).

    >>> w = xavier_uniform_(Tensor(np.empty((4, 2)))); bool((np.abs(w.data) <= 1).all())
    True
    """
    arr = _array(tensor, "xavier_uniform_")
    if not arr.size:
        return tensor
    fan_in, fan_out = _calculate_fan_in_and_fan_out(arr.shape)
    a = _real(gain, "gain", "xavier_uniform_") * math.sqrt(6.0 / (fan_in + fan_out))
    return _fill(tensor, rng_for(generator).uniform(-a, a, size=arr.shape), "xavier_uniform_")


def xavier_normal_(tensor: Any, gain: float = 1.0, generator: np.random.Generator | None = None) -> Any:
    """Glorot normal: N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out)).

    >>> xavier_normal_(Tensor(np.empty((4, 2)))).shape
    (4, 2)
    """
    arr = _array(tensor, "xavier_normal_")
    if not arr.size:
        return tensor
    fan_in, fan_out = _calculate_fan_in_and_fan_out(arr.shape)
    std = _real(gain, "gain", "xavier_normal_") * math.sqrt(2.0 / (fan_in + fan_out))
    return _fill(tensor, rng_for(generator).normal(0.0, std, size=arr.shape), "xavier_normal_")


def kaiming_uniform_(tensor: Any, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator: np.random.Generator | None = None) -> Any:
    """He uniform: U(-bound, bound), bound = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity, a).

    ``torch.nn.Linear``'s own init is ``kaiming_uniform_(w, a=math.sqrt(5))``.

    >>> w = kaiming_uniform_(Tensor(np.empty((2, 6))), nonlinearity="relu")
    >>> bool((np.abs(w.data) <= 1).all())
    True
    """
    arr = _array(tensor, "kaiming_uniform_")
    if not arr.size:
        return tensor
    fan = _fan(arr.shape, mode)
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return _fill(tensor, rng_for(generator).uniform(-bound, bound, size=arr.shape), "kaiming_uniform_")


def kaiming_normal_(tensor: Any, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator: np.random.Generator | None = None) -> Any:
    """He normal: N(0, std**2), std = gain / sqrt(fan), gain = calculate_gain(nonlinearity, a).

    >>> kaiming_normal_(Tensor(np.empty((3, 2))), mode="fan_out").shape
    (3, 2)
    """
    arr = _array(tensor, "kaiming_normal_")
    if not arr.size:
        return tensor
    fan = _fan(arr.shape, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return _fill(tensor, rng_for(generator).normal(0.0, std, size=arr.shape), "kaiming_normal_")
