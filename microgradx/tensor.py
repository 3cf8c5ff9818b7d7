"""Tensor: the NumPy face of the engine, on the same graph core as Value.

Elementwise ops broadcast as NumPy does; the gradient of a broadcast input
is summed back to the input's own shape. Gradients are kept on leaf tensors
that require grad, in the tensor's own dtype.

>>> import numpy as np, microgradx as mg
>>> W = mg.Tensor(np.ones((3, 2)), requires_grad=True)
>>> X = mg.Tensor(np.arange(6.0).reshape(2, 3))
>>> (X @ W).relu().sum().backward()
>>> W.grad
array([[3., 3.],
       [5., 5.],
       [7., 7.]])
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from operator import attrgetter
from typing import Any

import numpy as np

from . import ops
from .autograd import HOOKS, MODE, Node, link

__all__ = ["Tensor", "cat", "stack", "linear"]

_new = object.__new__
_MODE, _REQUIRES_GRAD = MODE.state, attrgetter("requires_grad")
_FLOATS = (np.dtype(np.float64), np.dtype(np.float32))


def _as_array(data: Any, dtype: Any = None, what: str = "Tensor") -> np.ndarray:
    """Validate and convert user data: real numbers only, float64 by default."""
    if isinstance(data, Node):
        raise TypeError(f"{what} got a {type(data).__name__}; use its .data, or .detach()")
    try:
        arr = np.array(data, dtype=dtype) if dtype is not None else np.array(data)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{what} needs numbers or a numeric array, got {type(data).__name__}: {e}") from None
    if arr.dtype in _FLOATS and dtype is None:
        return arr
    if arr.dtype.kind in "biuf" and arr.dtype.kind != "b" or (dtype is not None and arr.dtype in _FLOATS):
        if arr.dtype not in _FLOATS:
            arr = arr.astype(np.float64)
        return arr
    raise TypeError(
        f"{what} needs real numbers, got an array of dtype {arr.dtype} "
        f"(from {type(data).__name__}); convert it to float first, e.g. np.asarray(x, float)"
    )


def _make(data: Any, prev: tuple = (), op: ops.Op | None = None, ctx: tuple | None = None) -> Tensor:
    """The one place a Tensor is built: a node when ``op`` is given, an input of it
    requires grad and a graph is recorded; else a constant leaf.

    >>> _make(np.ones(2)).requires_grad
    False
    """
    t = _new(Tensor)
    t.data = data if type(data) is np.ndarray else np.asarray(data)
    t.grad, t.label, t._retains_grad = None, "", False
    record = _MODE.get()[0] if op is not None else 0
    if record and any(map(_REQUIRES_GRAD, prev)):
        t.requires_grad = True
        link(t, prev, op, ctx)
        if record == 2:
            HOOKS["forward"](t)
        return t
    t.requires_grad = False
    t._op = t._a = t._b = t._ctx = None
    t._gen = 0
    return t


def _constant(x: Any) -> Tensor:
    return _make(x)


def _operand(x: Any, op: ops.Op) -> Any:
    """A number or ndarray operand of a Tensor op, validated."""
    if isinstance(x, (float, int)) and not isinstance(x, bool):
        return x
    if isinstance(x, np.ndarray) and x.dtype in _FLOATS:
        return x
    if isinstance(x, Node):
        raise TypeError(
            f"{op.name}: cannot mix a Tensor with a {type(x).__name__}; "
            "use Tensors on both sides (mg.Tensor(value.data))"
        )
    return _as_array(x, what=f"{op.name} operand")


class _DimError(IndexError, ValueError):
    """A dim out of range: an IndexError as in PyTorch, and a ValueError as NumPy's AxisError."""


def _normalize_axis(axis: Any, ndim: int, op: str) -> tuple | None:
    if axis is None:
        return None
    if type(axis) is int and -ndim <= axis < max(ndim, 1):    # the common case, without ABC checks
        return (axis % max(ndim, 1),)
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    out = []
    for a in axes:
        if not isinstance(a, numbers.Integral) or not -ndim <= a < max(ndim, 1):
            raise _DimError(f"{op}: axis {a!r} is out of range for a tensor with {ndim} dims "
                            f"(use {-max(ndim, 1)} to {max(ndim, 1) - 1})")
        out.append(int(a) % max(ndim, 1))
    return tuple(sorted(set(out)))


def _aliases(op: str, axis: Any, dim: Any, keepdims: Any, keepdim: Any) -> tuple[Any, bool]:
    """``axis``/``keepdims`` (NumPy's spelling) or ``dim``/``keepdim`` (PyTorch's), not both."""
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{op}() got both dim={dim!r} and axis={axis!r}; they are the same, give one")
        axis = dim
    if keepdim is not None:
        if keepdims is not None:
            raise TypeError(f"{op}() got both keepdim= and keepdims=; they are the same, give one")
        keepdims = keepdim
    return axis, bool(keepdims)


class _Size(int):
    """A tensor's number of elements (NumPy's ``.size``); called, its shape (PyTorch's ``.size()``)."""

    def __call__(self, dim: int | None = None) -> Any:
        if dim is None:
            return self.shape
        (d,) = _normalize_axis(dim, len(self.shape), "size")
        return self.shape[d]


class Tensor(Node):
    """An ndarray that records the operations applied to it.

    ``requires_grad`` defaults to False (inputs); set it for parameters.

    >>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x * x).sum().backward(); x.grad
    array([2., 4., 6.])
    """

    __slots__ = ("requires_grad", "_retains_grad")     # _retains_grad: a non-leaf keeps its .grad
    __array_priority__ = 1000   # ndarray (op) Tensor defers to Tensor's r-ops

    def __init__(self, data: Any, requires_grad: bool = False, label: str = "",
                 dtype: Any = None) -> None:
        self.data = _as_array(data, dtype)
        self.grad = None
        self.label = label
        self.requires_grad = bool(requires_grad)
        self._retains_grad = False
        self._op = self._a = self._b = self._ctx = None
        self._gen = 0

    # ---- properties ------------------------------------------------------
    @property
    def shape(self) -> tuple:
        """The array's shape.

        >>> Tensor([[1.0, 2.0]]).shape
        (1, 2)
        """
        return self.data.shape

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        """float64 (default) or float32."""
        return self.data.dtype

    @property
    def size(self) -> int:
        """Number of elements as NumPy's ``.size``; called, the shape as PyTorch's ``.size()``.

        >>> x = Tensor(np.ones((2, 3)))
        >>> x.size, x.size(), x.size(1), x.size(-1)
        (6, (2, 3), 3, 3)
        """
        n = _Size(self.data.size)
        n.shape = self.data.shape
        return n

    @property
    def T(self) -> Tensor:
        """The transpose (axes reversed).

        >>> Tensor(np.ones((2, 3, 4))).T.shape
        (4, 3, 2)
        """
        return self.permute(tuple(range(self.ndim))[::-1])

    def __len__(self) -> int:
        return len(self.data)

    def numpy(self) -> np.ndarray:
        """The data as an ndarray (a copy, safe to modify)."""
        return self.data.copy()

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number (a bool for a bool tensor).

        >>> Tensor([[2.5]]).item(), (Tensor([1.0]) > 0).item()
        (2.5, True)
        """
        if self.data.size != 1:
            raise ValueError(f"item() needs a one-element tensor, got shape {self.shape}")
        return self.data.reshape(()).item()

    def detach(self) -> Tensor:
        """The same data as a new leaf with no history (no copy)."""
        return _constant(self.data)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (``grad = None``)."""
        self.grad = None

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", threshold=20)
        extra = ", requires_grad=True" if self.requires_grad else ""
        if self._op is not None:
            extra += f", op={self._op.name!r}"
        if self.label:
            extra += f", label={self.label!r}"
        return f"Tensor({body}{extra})"

    # ---- elementwise arithmetic -------------------------------------------
    def _binary(self, other: Any, op: ops.Op) -> Tensor:
        if type(other) is Tensor:
            prev, args, ctx = (self, other), (self.data, other.data), None
        else:
            c = _operand(other, op)
            prev, args, ctx = (self,), (self.data, c), (c,)
        try:
            out = op.array(*args)
        except ValueError:
            shapes = " and ".join(str(np.shape(a)) for a in args)
            raise ValueError(
                f"{op.name}: shapes {shapes} cannot be broadcast together; "
                "make trailing dimensions equal or 1 (reshape one side)"
            ) from None
        return _make(out, prev, op, ctx)

    def _rbinary(self, other: Any, op: ops.Op) -> Tensor:
        return _constant(np.asarray(_operand(other, op), dtype=self.dtype))._binary(self, op)

    def __add__(self, other: Any) -> Tensor:
        return self._binary(other, ops.ADD)

    def __sub__(self, other: Any) -> Tensor:
        return self._binary(other, ops.SUB)

    def __mul__(self, other: Any) -> Tensor:
        return self._binary(other, ops.MUL)

    def __truediv__(self, other: Any) -> Tensor:
        return self._binary(other, ops.DIV)

    def __pow__(self, other: Any) -> Tensor:
        return self._binary(other, ops.POW)

    __radd__ = __add__
    __rmul__ = __mul__

    def __rsub__(self, other: Any) -> Tensor:
        return self._rbinary(other, ops.SUB)

    def __rtruediv__(self, other: Any) -> Tensor:
        return self._rbinary(other, ops.DIV)

    def __rpow__(self, other: Any) -> Tensor:
        return self._rbinary(other, ops.POW)

    def __matmul__(self, other: Any) -> Tensor:
        other = other if type(other) is Tensor else _constant(_operand(other, ops.MATMUL))
        if self.ndim == 0 or other.ndim == 0:
            raise ValueError(
                f"matmul: both operands need at least 1 dimension, got shapes {self.shape} "
                f"@ {other.shape}; use * to scale by a scalar"
            )
        try:
            out = np.matmul(self.data, other.data)
        except ValueError:
            k1 = self.shape[-1]
            k2 = other.shape[-2] if other.ndim > 1 else other.shape[0]
            raise ValueError(
                f"matmul: shapes {self.shape} @ {other.shape} do not fit: the inner dimensions "
                f"{k1} and {k2} must be equal (and batch dimensions broadcastable)"
            ) from None
        return _make(out, (self, other), ops.MATMUL)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _constant(_operand(other, ops.MATMUL)) @ self

    def __neg__(self) -> Tensor:
        return self._unary(ops.NEG)

    def __abs__(self) -> Tensor:
        return self._unary(ops.ABS)

    # ---- comparisons: elementwise, a bool Tensor that requires no grad (as PyTorch) ----
    def _compare(self, other: Any, fn: Any) -> Any:
        if isinstance(other, Tensor):
            other = other.data
        elif isinstance(other, Node) or other is None or isinstance(other, (str, bytes, dict, set)):
            return NotImplemented        # == / != fall back to identity, < > raise TypeError
        try:
            return _constant(np.asarray(fn(self.data, other)))
        except ValueError:
            raise ValueError(
                f"{fn.__name__}: shapes {self.shape} and {np.shape(other)} cannot be broadcast together"
            ) from None

    def __eq__(self, other: Any) -> Any:
        return self._compare(other, np.equal)

    def __ne__(self, other: Any) -> Any:
        return self._compare(other, np.not_equal)

    def __lt__(self, other: Any) -> Any:
        return self._compare(other, np.less)

    def __le__(self, other: Any) -> Any:
        return self._compare(other, np.less_equal)

    def __gt__(self, other: Any) -> Any:
        return self._compare(other, np.greater)

    def __ge__(self, other: Any) -> Any:
        return self._compare(other, np.greater_equal)

    __hash__ = object.__hash__           # by identity: tensors work in sets and as dict keys

    def __bool__(self) -> bool:
        if self.data.size != 1:
            what = "no values" if self.data.size == 0 else "more than one value"
            raise RuntimeError(f"Boolean value of Tensor with {what} is ambiguous (shape {self.shape}); "
                               "use .any() or .all()")
        return bool(self.data.reshape(()))

    def __float__(self) -> float:
        return float(self._number("float"))

    def __int__(self) -> int:
        return int(self._number("int"))

    def _number(self, what: str) -> Any:
        if self.requires_grad:           # math.exp(t), float(t): never a silent end of the graph
            raise TypeError(f"{what}() of a Tensor that requires grad would drop its gradient; use "
                            ".item() for the number, or Tensor methods (t.exp(), ...) to stay in the graph")
        return self.item()

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError(f"only one-element integer tensors can be used as an index, got "
                            f"shape {self.shape} dtype {self.dtype}")
        return int(self.item())

    # ---- elementwise functions ----------------------------------------------
    def _unary(self, op: ops.Op, *ctx: Any) -> Tensor:
        return _make(op.array(self.data, *ctx), (self,), op, ctx or None)

    def exp(self) -> Tensor:
        """e**x elementwise."""
        return self._unary(ops.EXP)

    def log(self) -> Tensor:
        """Natural log elementwise (-inf at 0, nan below, as NumPy)."""
        return self._unary(ops.LOG)

    def sqrt(self) -> Tensor:
        """Square root elementwise."""
        return self._unary(ops.SQRT)

    def tanh(self) -> Tensor:
        """Hyperbolic tangent elementwise."""
        return self._unary(ops.TANH)

    def sigmoid(self) -> Tensor:
        """Logistic sigmoid, stable for any input."""
        return self._unary(ops.SIGMOID)

    def relu(self) -> Tensor:
        """max(x, 0); derivative 0 at exactly 0 (as PyTorch)."""
        return self._unary(ops.RELU)

    def leaky_relu(self, slope: float = 0.01) -> Tensor:
        """x for x > 0, else slope * x."""
        return self._unary(ops.LEAKY_RELU, float(slope))

    def sin(self) -> Tensor:
        """Sine elementwise."""
        return self._unary(ops.SIN)

    def cos(self) -> Tensor:
        """Cosine elementwise."""
        return self._unary(ops.COS)

    def softplus(self) -> Tensor:
        """log(1 + e**x), stable for any input."""
        return self._unary(ops.SOFTPLUS)

    # ---- reductions ----------------------------------------------------------
    def _reduce(self, op: ops.Op, axis: Any, keepdims: bool) -> Tensor:
        ax = _normalize_axis(axis, self.ndim, op.symbol)
        if self.data.size == 0 and op in (ops.MAX, ops.MIN):
            raise ValueError(f"{op.name}() of an empty tensor (shape {self.shape}) has no value")
        return _make(op.array(self.data, ax, bool(keepdims)), (self,), op, (ax, bool(keepdims)))

    # Each reduction takes NumPy's axis=/keepdims= or PyTorch's dim=/keepdim= (the same thing).
    def sum(self, axis: Any = None, keepdims: bool | None = None, *, dim: Any = None,
            keepdim: bool | None = None) -> Tensor:
        """Sum over ``axis`` (all axes when None).

        >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).sum(axis=0).data
        array([4., 6.])
        >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).sum(dim=1, keepdim=True).data
        array([[3.],
               [7.]])
        """
        if dim is not None or keepdim is not None:
            axis, keepdims = _aliases("sum", axis, dim, keepdims, keepdim)
        return self._reduce(ops.SUM_AXIS, axis, keepdims)

    def mean(self, axis: Any = None, keepdims: bool | None = None, *, dim: Any = None,
             keepdim: bool | None = None) -> Tensor:
        """Mean over ``axis`` (all axes when None).

        >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).mean(dim=0).data
        array([2., 3.])
        """
        if dim is not None or keepdim is not None:
            axis, keepdims = _aliases("mean", axis, dim, keepdims, keepdim)
        ax = _normalize_axis(axis, self.ndim, "mean")
        count = self.data.size if ax is None else int(np.prod([self.shape[a] for a in ax]))
        return self.sum(ax, keepdims) * (1.0 / max(count, 1))

    def max(self, axis: Any = None, keepdims: bool | None = None, *, dim: Any = None,
            keepdim: bool | None = None) -> Tensor:
        """Largest entry over ``axis``; tied maxima share the gradient equally.

        Unlike PyTorch's ``max(dim=...)`` this gives the values only; the
        indices are ``argmax(dim)``.

        >>> x = Tensor([1.0, 3.0, 3.0], requires_grad=True)
        >>> x.max().backward(); x.grad
        array([0. , 0.5, 0.5])
        """
        if dim is not None or keepdim is not None:
            axis, keepdims = _aliases("max", axis, dim, keepdims, keepdim)
        return self._reduce(ops.MAX, axis, keepdims)

    def min(self, axis: Any = None, keepdims: bool | None = None, *, dim: Any = None,
            keepdim: bool | None = None) -> Tensor:
        """Smallest entry over ``axis``; tied minima share the gradient equally (values only, see max).

        >>> Tensor([[1.0, 5.0], [3.0, 4.0]]).min(dim=1).data
        array([1., 3.])
        """
        if dim is not None or keepdim is not None:
            axis, keepdims = _aliases("min", axis, dim, keepdims, keepdim)
        return self._reduce(ops.MIN, axis, keepdims)

    def softmax(self, axis: int | None = None, *, dim: int | None = None) -> Tensor:
        """exp(x) / sum(exp(x)) along ``axis`` (default the last), computed stably.

        >>> Tensor([0.0, 0.0]).softmax(dim=0).data
        array([0.5, 0.5])
        """
        if dim is not None:
            axis, _ = _aliases("softmax", axis, dim, None, None)
        (ax,) = _normalize_axis(-1 if axis is None else axis, self.ndim, "softmax") or (0,)
        return self._unary(ops.SOFTMAX, ax)

    def log_softmax(self, axis: int | None = None, *, dim: int | None = None) -> Tensor:
        """log(softmax(x)) along ``axis`` (default the last), stable for logits of any size.

        >>> Tensor([0.0, 0.0]).log_softmax(dim=-1).exp().data
        array([0.5, 0.5])
        """
        if dim is not None:
            axis, _ = _aliases("log_softmax", axis, dim, None, None)
        (ax,) = _normalize_axis(-1 if axis is None else axis, self.ndim, "log_softmax") or (0,)
        return self._unary(ops.LOG_SOFTMAX, ax)

    # ---- shapes and indexing -------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        """Same data in a new shape (``-1`` infers one dimension).

        >>> Tensor(np.ones((2, 3))).reshape(3, -1).shape
        (3, 2)
        """
        return self._reshape(shape, "reshape")

    def _reshape(self, shape: tuple, name: str) -> Tensor:
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        try:
            out = self.data.reshape(shape)
        except (ValueError, TypeError):
            raise ValueError(
                f"{name}: cannot reshape a tensor of shape {self.shape} ({self.data.size} elements) "
                f"into {shape}"
            ) from None
        return _make(out, (self,), ops.RESHAPE, (out.shape,))

    def transpose(self, *dims: Any) -> Tensor:
        """Swap two dims, as PyTorch's ``transpose(dim0, dim1)``; with none, a 2-D tensor's ``.T``.

        For a full reordering of dims (NumPy's ``transpose(axes)``) use :meth:`permute`.

        >>> Tensor(np.ones((2, 3, 4))).transpose(0, 2).shape
        (4, 3, 2)
        >>> Tensor(np.ones((2, 3))).transpose().shape
        (3, 2)
        """
        if not dims and self.ndim <= 2:
            return self.T
        if len(dims) != 2 or not all(isinstance(d, numbers.Integral) for d in dims):
            got = "no dims" if not dims else f"{dims}"
            raise TypeError(
                f"transpose(dim0, dim1) swaps two dims (as PyTorch), got {got} for a tensor of "
                f"shape {self.shape}; to reorder all dims use permute(...), "
                f"e.g. permute{tuple(range(self.ndim))[::-1]}"
            )
        return self.swapaxes(*dims)

    def swapaxes(self, a: int, b: int) -> Tensor:
        """Exchange two axes (the same as ``transpose(a, b)``).

        >>> Tensor(np.ones((2, 3, 4))).swapaxes(-1, 0).shape
        (4, 3, 2)
        """
        axes = list(range(self.ndim))
        a, b = (_one_dim(d, self.ndim, "swapaxes") for d in (a, b))
        axes[a], axes[b] = axes[b], axes[a]
        return self.permute(tuple(axes))

    def broadcast_to(self, shape: tuple) -> Tensor:
        """Repeat along size-1 / new leading axes to ``shape``."""
        shape = tuple(shape)
        return _make(np.broadcast_to(self.data, shape), (self,), ops.BROADCAST_TO, (shape,))

    def sum_to(self, shape: tuple) -> Tensor:
        """Sum the broadcast axes away so the result has ``shape``."""
        shape = tuple(shape)
        if self.shape == shape:
            return self
        return _make(ops._sum_to_array(self.data, shape), (self,), ops.SUM_TO, (shape,))

    def _scatter(self, shape: tuple, index: Any) -> Tensor:
        return _make(ops._scatter_array(self.data, shape, index), (self,), ops.SCATTER,
                     (shape, index))

    def __getitem__(self, index: Any) -> Tensor:
        index = _clean_index(index)
        try:
            out = self.data[index]
        except IndexError as e:
            raise IndexError(f"getitem: index {index!r} does not fit shape {self.shape}: {e}") from None
        return _make(out, (self,), ops.GETITEM, (index,))

    # ---- hooks used by the graph core ----------------------------------------
    def _keep(self, mask: Any) -> Tensor:     # ops.keep on a graph node
        return _make(ops.KEEP.array(self.data, mask), (self,), ops.KEEP, (mask,))

    def _seed(self, grad: Any) -> Any:
        if not self.requires_grad:
            raise ValueError(
                "backward(): this tensor does not require grad and depends on nothing that "
                "does; create parameters with mg.Tensor(..., requires_grad=True)"
            )
        if grad is None:
            if self.data.size != 1:
                raise ValueError(
                    f"backward() on a tensor of shape {self.shape} needs grad= of that shape "
                    "(the upstream gradient); or reduce it to a scalar first, e.g. out.sum()"
                )
            one = np.empty(self.data.shape, self.data.dtype)
            one[...] = 1                 # np.ones is two Python calls more
            return one
        if isinstance(grad, Tensor):
            grad = grad.data
        g = _as_array(grad, self.dtype, "backward(grad)")
        if g.shape != self.shape:
            raise ValueError(f"backward(grad): grad has shape {g.shape}, output has {self.shape}")
        return g

    def _lift(self, g: Any, detached: bool = False) -> Tensor:
        if isinstance(g, Tensor):
            return g.detach() if detached else g
        return _constant(np.asarray(g))

    def _fit_grad(self, g: Any, upstream: Any) -> Any:
        """``g`` as this tensor's gradient: summed to its shape, in its dtype.

        A leaf keeps its gradient as ``.grad``, so it gets an array nobody else
        holds. A VJP of the op table returns a new array, a view, or
        ``upstream`` (the gradient it was given) itself; only the last two are
        copied. ``upstream`` None: results of n-ary and user-defined VJPs, which
        may return any array, are always copied.
        """
        data = self.data
        if g.shape != data.shape:
            g = ops.sum_to(g, data.shape)
        if isinstance(g, Tensor):
            return g
        if g.dtype != data.dtype:
            return g.astype(data.dtype)
        if self._op is None and (upstream is None or g is upstream or g.base is not None):
            return np.array(g)
        return g

    def _store_grad(self, g: Any) -> None:
        if self._op is not None:
            if not self._retains_grad:     # see retain_grad()
                return
            if type(g) is np.ndarray:
                g = np.array(g)          # the pass goes on using g: .grad gets its own copy
        if self.grad is not None:
            g = self.grad + g
        if type(g) is not np.ndarray and not isinstance(g, Tensor):
            g = np.asarray(g)            # a NumPy scalar, from 0-d arithmetic
        self.grad = g

    # ---- PyTorch's names ---------------------------------------------------------------------
    def view(self, *shape: Any) -> Tensor:
        """Same data in a new shape, as PyTorch's ``view`` (here always possible: :meth:`reshape`).

        >>> Tensor(np.arange(6.0)).view(2, 3).shape
        (2, 3)
        """
        return self._reshape(shape, "view")

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge dims ``start_dim`` to ``end_dim`` (inclusive) into one.

        >>> Tensor(np.ones((2, 3, 4))).flatten(1).shape
        (2, 12)
        """
        if self.ndim == 0:
            return self.reshape(1)
        s, e = (_one_dim(d, self.ndim, "flatten") for d in (start_dim, end_dim))
        if s > e:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                             f"for a tensor of shape {self.shape}")
        return self.reshape(self.shape[:s] + (int(np.prod(self.shape[s:e + 1])),) + self.shape[e + 1:])

    def unsqueeze(self, dim: int) -> Tensor:
        """Insert a dim of size 1 at ``dim`` (``-1``: at the end).

        >>> Tensor(np.ones((2, 3))).unsqueeze(1).shape, Tensor(np.ones((2, 3))).unsqueeze(-1).shape
        ((2, 1, 3), (2, 3, 1))
        """
        d = _one_dim(dim, self.ndim + 1, "unsqueeze", self.ndim)
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def squeeze(self, dim: int | tuple | None = None) -> Tensor:
        """Remove dims of size 1: all of them, or those among ``dim`` (others are kept, as PyTorch).

        >>> Tensor(np.ones((2, 1, 3, 1))).squeeze().shape, Tensor(np.ones((2, 1, 3))).squeeze(0).shape
        ((2, 3), (2, 1, 3))
        """
        if dim is None:
            picked = range(self.ndim)
        else:
            dims = dim if isinstance(dim, (tuple, list)) else (dim,)
            picked = {_one_dim(d, self.ndim, "squeeze") for d in dims} if self.ndim else set()
        drop = {d for d in picked if self.shape[d] == 1}
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if i not in drop))

    def permute(self, *dims: Any) -> Tensor:
        """Reorder all dims: output dim ``i`` is input dim ``dims[i]`` (NumPy's ``transpose(axes)``).

        >>> Tensor(np.ones((2, 3, 4))).permute(2, 0, 1).shape
        (4, 2, 3)
        """
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        if len(dims) != self.ndim:
            raise ValueError(f"permute: got {len(dims)} dims {dims} for a tensor of shape {self.shape}; "
                             f"give an order of all {self.ndim} dims")
        axes = tuple(_one_dim(d, self.ndim, "permute") for d in dims)
        if len(set(axes)) != len(axes):
            raise ValueError(f"permute: dims {dims} repeat a dim; give each of the {self.ndim} dims once")
        return _make(self.data.transpose(axes), (self,), ops.TRANSPOSE, (axes,))

    def t(self) -> Tensor:
        """The transpose of a tensor with at most 2 dims (0-D and 1-D come back as they are).

        >>> Tensor(np.ones((2, 3))).t().shape
        (3, 2)
        """
        if self.ndim > 2:
            raise ValueError(f"t() needs a tensor with at most 2 dims, got shape {self.shape}; "
                             f"use transpose(dim0, dim1) or permute(...)")
        return self.T

    def _arg(self, fn: Any, name: str, axis: Any, keepdims: bool) -> Tensor:
        if self.data.size == 0:
            raise ValueError(f"{name}() of an empty tensor (shape {self.shape}) has no value")
        if axis is None:
            out = fn(self.data.reshape(-1))
            return _constant(np.asarray(out).reshape((1,) * self.ndim if keepdims else ()))
        if not isinstance(axis, numbers.Integral):
            raise TypeError(f"{name}: dim must be an int or None, got {axis!r}")
        (ax,) = _normalize_axis(axis, self.ndim, name)
        out = fn(self.data.reshape(self.shape or (1,)), axis=ax, keepdims=keepdims)
        return _constant(np.asarray(out, np.int64))

    def argmax(self, dim: int | None = None, keepdim: bool | None = None, *, axis: int | None = None,
               keepdims: bool | None = None) -> Tensor:
        """Index of the largest entry (of the flattened tensor when ``dim`` is None), an int64
        Tensor that requires no grad; it can index.

        >>> x = Tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
        >>> x.argmax().item(), x.argmax(dim=1).tolist()
        (3, [1, 0])
        """
        axis, keepdims = _aliases("argmax", dim, axis, keepdim, keepdims)
        return self._arg(np.argmax, "argmax", axis, keepdims)

    def argmin(self, dim: int | None = None, keepdim: bool | None = None, *, axis: int | None = None,
               keepdims: bool | None = None) -> Tensor:
        """Index of the smallest entry, as :meth:`argmax`.

        >>> Tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]]).argmin(1).tolist()
        [0, 1]
        """
        axis, keepdims = _aliases("argmin", dim, axis, keepdim, keepdims)
        return self._arg(np.argmin, "argmin", axis, keepdims)

    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:
        """Limit entries to ``[min, max]``; the gradient is 1 inside, both ends included (as
        PyTorch), 0 outside. ``min > max`` gives ``max`` everywhere, as PyTorch.

        >>> x = Tensor([-2.0, 0.0, 1.0, 3.0], requires_grad=True)
        >>> y = x.clamp(0.0, 1.0); y.sum().backward(); y.data, x.grad
        (array([0., 0., 1., 1.]), array([0., 1., 1., 0.]))
        """
        if min is None and max is None:
            raise ValueError("clamp: give min, max or both (both are None)")
        for name, b in (("min", min), ("max", max)):
            if b is not None and (isinstance(b, bool) or not isinstance(b, numbers.Real)):
                raise TypeError(f"clamp: {name} must be a number or None, got {type(b).__name__} {b!r}")
        lo = None if min is None else float(min)
        hi = None if max is None else float(max)
        return self._unary(ops.CLAMP, lo, hi)

    def clip(self, min: float | None = None, max: float | None = None) -> Tensor:
        """The same as :meth:`clamp` (PyTorch's alias).

        >>> Tensor([-2.0, 3.0]).clip(max=1.0).data
        array([-2.,  1.])
        """
        return self.clamp(min, max)

    def maximum(self, other: Any) -> Tensor:
        """Elementwise larger of two; at ties each side gets half the gradient (as PyTorch).

        >>> a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> a.maximum(Tensor([2.0, 2.0, 2.0])).sum().backward(); a.grad
        array([0. , 0.5, 1. ])
        """
        return self._binary(other, ops.MAXIMUM)

    def minimum(self, other: Any) -> Tensor:
        """Elementwise smaller of two; at ties each side gets half the gradient (as PyTorch).

        >>> Tensor([1.0, 3.0]).minimum(2.0).data
        array([1., 2.])
        """
        return self._binary(other, ops.MINIMUM)

    def pow(self, exponent: Any) -> Tensor:
        """``self ** exponent``.

        >>> Tensor([2.0, 3.0]).pow(2).data
        array([4., 9.])
        """
        return self ** exponent

    def matmul(self, other: Any) -> Tensor:
        """``self @ other``.

        >>> Tensor(np.ones((2, 3))).matmul(Tensor(np.ones(3))).data
        array([3., 3.])
        """
        return self @ other

    def tolist(self) -> Any:
        """The data as (nested) Python lists of numbers.

        >>> Tensor([[1.0, 2.0]]).tolist()
        [[1.0, 2.0]]
        """
        return self.data.tolist()

    def to(self, dtype: Any) -> Tensor:
        """The tensor in ``dtype`` (float32 or float64), itself if already so. The cast is part of
        the graph: the gradient comes back in the input's dtype.

        >>> x = Tensor([1.0, 2.0], requires_grad=True)
        >>> y = x.to(np.float32); y.sum().backward(); y.dtype, x.grad.dtype
        (dtype('float32'), dtype('float64'))
        """
        try:
            dt = np.dtype(dtype)
        except TypeError:
            dt = None
        if dt not in _FLOATS:
            raise TypeError(f"to: microgradx tensors are float32 or float64, got dtype {dtype!r}; "
                            f"use mg.float32 or mg.float64")
        if dt == self.data.dtype:
            return self
        return self._unary(ops.CAST, dt)

    def float(self) -> Tensor:
        """The tensor in float32 (in the graph), as PyTorch's ``float()``; bool masks become 0.0/1.0.

        >>> (Tensor([-1.0, 2.0]) > 0).float().tolist()
        [0.0, 1.0]
        """
        return self.to(np.float32)

    def double(self) -> Tensor:
        """The tensor in float64 (in the graph), as PyTorch's ``double()``.

        >>> Tensor([1.0], dtype=np.float32).double().dtype
        dtype('float64')
        """
        return self.to(np.float64)

    def dim(self) -> int:
        """Number of dims (``ndim``).

        >>> Tensor(np.ones((2, 3))).dim()
        2
        """
        return self.data.ndim

    def numel(self) -> int:
        """Number of elements.

        >>> Tensor(np.ones((2, 3))).numel()
        6
        """
        return self.data.size

    def clone(self) -> Tensor:
        """A copy of the data that stays in the graph: gradients flow back to ``self``.

        >>> x = Tensor([1.0, 2.0], requires_grad=True)
        >>> y = x.clone(); (y * y).sum().backward(); x.grad, y.data is x.data
        (array([2., 4.]), False)
        """
        if self.data.dtype not in _FLOATS:
            return _constant(self.data.copy())
        return self * 1.0                 # exact for every float, -0.0 and nan included

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place and return the tensor (leaves only, as PyTorch).

        >>> Tensor([1.0]).requires_grad_().requires_grad
        True
        """
        flag = bool(requires_grad)
        if self._op is not None:
            if flag:
                return self               # already requires grad: nothing to change
            raise RuntimeError(
                f"requires_grad_(False) on a tensor made by the op {self._op.name!r}: only leaves can "
                "change it; use .detach() for a copy of it without history"
            )
        if flag and self.data.dtype not in _FLOATS:
            raise TypeError(f"requires_grad_: only float tensors can require grad, this one is {self.dtype}")
        self.requires_grad = flag
        return self

    def retain_grad(self) -> None:
        """Keep this intermediate tensor's gradient in ``.grad`` after backward (leaves keep theirs anyway).

        >>> x = Tensor([1.0, 2.0], requires_grad=True)
        >>> h = x * 3; h.retain_grad(); h.retains_grad
        True
        """
        if not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad: it gets no gradient; "
                               "make its inputs require grad first")
        if self._op is not None:
            self._retains_grad = True

    @property
    def retains_grad(self) -> bool:
        """True when :meth:`retain_grad` was called on this (non-leaf) tensor.

        >>> Tensor([1.0], requires_grad=True).retains_grad
        False
        """
        return bool(getattr(self, "_retains_grad", False))

    def norm(self, p: Any = 2, dim: Any = None, keepdim: bool | None = None, *, axis: Any = None,
             keepdims: bool | None = None) -> Tensor:
        """The vector p-norm over ``dim`` (all entries when None): p any number > 0, ``inf``,
        ``-inf`` or ``"fro"`` (= 2). At a zero norm the gradient is 0, as PyTorch.

        >>> Tensor([3.0, -4.0]).norm().item(), Tensor([3.0, -4.0]).norm(1).item()
        (5.0, 7.0)
        """
        axis, keepdims = _aliases("norm", dim, axis, keepdim, keepdims)
        p = 2 if isinstance(p, str) and p == "fro" else p
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or np.isnan(p) or p <= 0 and p != -np.inf:
            raise ValueError(f"norm: p must be a number > 0, inf, -inf or 'fro', got {p!r}")
        ax = _normalize_axis(axis, self.ndim, "norm")
        if p == 1:
            return abs(self).sum(ax, keepdims)
        if p == np.inf:
            return abs(self).max(ax, keepdims)
        if p == -np.inf:
            return abs(self).min(ax, keepdims)
        p = float(p)
        return _make(ops.NORM.array(self.data, p, ax, keepdims), (self,), ops.NORM, (p, ax, keepdims))

    def var(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool | None = None, *,
            correction: float | None = None, axis: Any = None, keepdims: bool | None = None) -> Tensor:
        """Variance over ``dim`` (all entries when None): ``sum((x - mean)**2) / (n - correction)``.

        ``correction=1`` by default (PyTorch's; ``unbiased=False`` is ``correction=0``).

        >>> Tensor([1.0, 2.0, 3.0, 4.0]).var().item(), Tensor([1.0, 2.0, 3.0, 4.0]).var(correction=0).item()
        (1.6666666666666667, 1.25)
        """
        axis, keepdims, c = self._var_args("var", dim, unbiased, keepdim, correction, axis, keepdims)
        ax = _normalize_axis(axis, self.ndim, "var")
        d = self - self.mean(ax, True)
        return (d * d).sum(ax, keepdims) / float(self._count(ax) - c)

    def std(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool | None = None, *,
            correction: float | None = None, axis: Any = None, keepdims: bool | None = None) -> Tensor:
        """Standard deviation, the square root of :meth:`var` (same arguments). Where it is 0
        the gradient is 0, as PyTorch.

        >>> Tensor([1.0, 3.0]).std().item()
        1.4142135623730951
        """
        axis, keepdims, c = self._var_args("std", dim, unbiased, keepdim, correction, axis, keepdims)
        ax = _normalize_axis(axis, self.ndim, "std")
        d = self - self.mean(ax, True)
        return d.norm(2, ax, keepdims) / float(np.sqrt(self._count(ax) - c))

    def _var_args(self, name: str, dim: Any, unbiased: Any, keepdim: Any, correction: Any, axis: Any,
                  keepdims: Any) -> tuple:
        axis, keepdims = _aliases(name, dim, axis, keepdim, keepdims)
        if unbiased is not None and correction is not None:
            raise TypeError(f"{name}() got both unbiased= and correction=; give one "
                            f"(unbiased=False is correction=0)")
        c = 1.0 if correction is None and unbiased is None else (
            float(correction) if correction is not None else float(bool(unbiased)))
        return axis, keepdims, c

    def _count(self, ax: tuple | None) -> int:
        return self.data.size if ax is None else int(np.prod([self.shape[a] for a in ax]))

    def all(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """True where every entry (over ``dim``, or all) is nonzero, a bool Tensor.

        >>> x = Tensor([1.0, -2.0, 3.0]); (x > 0).all().item(), (x > 0).any().item()
        (False, True)
        """
        ax = _normalize_axis(dim, self.ndim, "all")
        return _constant(np.asarray(np.all(self.data, axis=ax, keepdims=bool(keepdim))))

    def any(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """True where some entry (over ``dim``, or all) is nonzero, a bool Tensor.

        >>> (Tensor([[0.0, 1.0], [0.0, 0.0]]) != 0).any(dim=1).tolist()
        [True, False]
        """
        ax = _normalize_axis(dim, self.ndim, "any")
        return _constant(np.asarray(np.any(self.data, axis=ax, keepdims=bool(keepdim))))

    def _logical(self, other: Any, fn: Any) -> Tensor:
        if isinstance(other, Tensor):
            other = other.data
        if self.data.dtype != bool or np.asarray(other).dtype != bool:
            raise TypeError(f"{fn.__name__} (& | ^) needs bool tensors (masks such as x > 0), got "
                            f"{self.dtype} and {np.asarray(other).dtype}")
        return _constant(np.asarray(fn(self.data, other)))

    def __and__(self, other: Any) -> Tensor:
        """Elementwise and of two masks, as PyTorch's ``&``.

        >>> x = Tensor([0.5, 2.0, -1.0]); ((x > 0) & (x < 1)).tolist()
        [True, False, False]
        """
        return self._logical(other, np.logical_and)

    def __or__(self, other: Any) -> Tensor:
        return self._logical(other, np.logical_or)

    def __xor__(self, other: Any) -> Tensor:
        return self._logical(other, np.logical_xor)

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def __invert__(self) -> Tensor:
        """Elementwise not of a mask, as PyTorch's ``~``.

        >>> (~(Tensor([1.0, -1.0]) > 0)).tolist()
        [False, True]
        """
        if self.data.dtype != bool:
            raise TypeError(f"~ needs a bool tensor (a mask such as x > 0), got {self.dtype}")
        return _constant(~self.data)

    def masked_fill(self, mask: Any, value: float) -> Tensor:
        """``value`` where ``mask`` is True, the tensor's entries elsewhere (gradient: 0 where filled).

        >>> x = Tensor([1.0, -2.0, 3.0]); x.masked_fill(x < 0, 0.0).tolist()
        [1.0, 0.0, 3.0]
        """
        return _where(mask, _constant(np.asarray(value, self.dtype)), self, "masked_fill")

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if self.requires_grad:
            raise TypeError(
                "NumPy was given a Tensor that requires grad: it would drop the gradient; "
                "pass t.detach() or t.data (or t.numpy(), a copy) if the graph-free array is meant"
            )
        return self.data if dtype is None else self.data.astype(dtype, copy=False)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        pair = _OPERATOR_UFUNCS.get(ufunc.__name__)
        if pair is not None and method == "__call__" and not kwargs and len(inputs) == 2:
            a, b = inputs                # ndarray (op) Tensor: the Tensor's operator, reflected
            return getattr(a, pair[0])(b) if isinstance(a, Tensor) else getattr(b, pair[1])(a)
        name = ufunc.__name__
        hint = _UFUNC_METHODS.get(name)
        instead = (f"call {hint} instead" if hint else
                   f"use t.data for a graph-free array (np.{name}(t.data)) if no gradient is wanted")
        raise TypeError(f"np.{name} on a Tensor would drop its gradient: {instead}")


def _clean_index(index: Any) -> Any:
    if isinstance(index, tuple):
        return tuple(_clean_index(i) for i in index)
    if isinstance(index, Tensor):
        index = index.data
    if isinstance(index, list):
        index = np.asarray(index)
    if isinstance(index, np.ndarray) and index.dtype.kind == "f":
        raise IndexError(f"getitem: float array index (dtype {index.dtype}); use integers")
    return index


def cat(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis.

    >>> cat([Tensor([1.0]), Tensor([2.0, 3.0])]).data
    array([1., 2., 3.])
    """
    ts = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
    if not ts:
        raise ValueError("cat() needs at least one tensor")
    ax = _normalize_axis(axis, ts[0].ndim, "cat")[0]
    try:
        out = np.concatenate([t.data for t in ts], axis=ax)
    except ValueError:
        raise ValueError(
            f"cat: shapes {[t.shape for t in ts]} must match except along axis {axis}"
        ) from None
    return _make(out, ts, ops.CAT, (ax, tuple(t.shape[ax] for t in ts)))


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join same-shape tensors along a new axis.

    >>> stack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])]).shape
    (2, 2)
    """
    ts = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
    if not ts:
        raise ValueError("stack() needs at least one tensor")
    if len({t.shape for t in ts}) != 1:
        raise ValueError(f"stack: all shapes must be equal, got {[t.shape for t in ts]}")
    ax = _normalize_axis(axis, ts[0].ndim + 1, "stack")[0]
    return _make(np.stack([t.data for t in ts], axis=ax), ts, ops.STACK, (ax, len(ts)))


def linear(x: Tensor, weight: Tensor, bias: Tensor, activation: str | None = None) -> Tensor:
    """``x @ weight.T + bias`` as one graph node: torch's ``F.linear``, what a Linear layer computes.

    ``weight`` has shape (nout, nin) as in ``torch.nn.Linear``, ``bias`` shape
    (nout,) and weight's dtype; ``x`` has shape (..., nin). One node instead of
    three, the weight is read through a transposed view (never copied), and
    the bias is added to the new product in place. ``activation="relu"``
    applies relu in the same node (``linear_relu``), in place.

    >>> W = Tensor(np.ones((2, 3)), requires_grad=True); b = Tensor([0.5, -3.5])
    >>> linear(Tensor(np.ones((4, 3))), W, b).data[0]
    array([ 3.5, -0.5])
    >>> linear(Tensor(np.ones((4, 3))), W, b, activation="relu").data[0]
    array([3.5, 0. ])
    """
    op = _linear_op(activation)
    if not (isinstance(x, Tensor) and isinstance(weight, Tensor) and isinstance(bias, Tensor)):
        kinds = ", ".join(type(a).__name__ for a in (x, weight, bias))
        raise TypeError(f"linear(x, weight, bias) takes three Tensors, got {kinds}; wrap arrays in mg.Tensor")
    return _linear(x, weight, bias, op)


def _linear_op(activation: str | None) -> ops.Op:
    """The op of :func:`linear` for ``activation`` None or "relu" (ValueError for anything else).

    >>> _linear_op("relu").name
    'linear_relu'
    """
    if activation is None:
        return ops.LINEAR
    if isinstance(activation, str) and activation == "relu":
        return ops.LINEAR_RELU
    raise ValueError(f"linear: activation must be None or 'relu', got {activation!r}")


def _linear(x: Tensor, weight: Tensor, bias: Tensor, op: ops.Op) -> Tensor:
    """:func:`linear` once the arguments are known to be Tensors and ``op`` its op.

    Checks weight and bias; an input that does not fit the weight is found by
    the product itself, which refuses it (and then gets the message here).
    """
    xd, wd, bd = x.data, weight.data, bias.data
    if wd.ndim != 2 or bd.shape != wd.shape[:1] or bd.dtype != wd.dtype:
        raise ValueError(
            f"linear: weight must have shape (nout, nin) and bias shape (nout,) in weight's dtype, "
            f"got weight {wd.shape} {wd.dtype} and bias {bd.shape} {bd.dtype}"
        )
    try:
        out = op.array(xd, wd, bd)
    except ValueError:
        raise ValueError(
            f"linear: input of shape {xd.shape} does not fit weight of shape {wd.shape}: "
            f"its last dimension must be {wd.shape[1]} (weight is (nout, nin), as torch's)"
        ) from None
    return _make(out, (x, weight, bias), op)


def _nll(lp: Tensor, idx: np.ndarray) -> Tensor:
    """``-mean(lp[i, idx[i]])``: the negative log-likelihood of (N, C) log-probabilities, one node.

    For nn.cross_entropy, which checks the shapes and the class indices.
    """
    return _make(ops.NLL.array(lp.data, idx), (lp,), ops.NLL, (idx,))


def _hinge(s: Tensor, t: Tensor | np.ndarray) -> Tensor:
    """``mean(relu(1 - t * s))``, the SVM hinge loss of scores ``s`` and labels ``t``, one node.

    For nn.hinge_loss, which checks the shapes and the labels. A constant ``t``
    (an ndarray) stays out of the graph.
    """
    sd = s.data
    if type(t) is np.ndarray and t.shape == sd.shape and t.dtype in _FLOATS:   # nothing to check
        return _make(ops._hinge_array(sd, t), (s,), ops.HINGE, (t,))
    return s._binary(t, ops.HINGE)


_OPERATOR_UFUNCS = {
    "add": ("__add__", "__radd__"), "subtract": ("__sub__", "__rsub__"),
    "multiply": ("__mul__", "__rmul__"), "divide": ("__truediv__", "__rtruediv__"),
    "power": ("__pow__", "__rpow__"), "matmul": ("__matmul__", "__rmatmul__"),
    "less": ("__lt__", "__gt__"), "less_equal": ("__le__", "__ge__"),
    "greater": ("__gt__", "__lt__"), "greater_equal": ("__ge__", "__le__"),
    "equal": ("__eq__", "__eq__"), "not_equal": ("__ne__", "__ne__"),
    "bitwise_and": ("__and__", "__rand__"), "bitwise_or": ("__or__", "__ror__"),
    "bitwise_xor": ("__xor__", "__rxor__"),
}
_UFUNC_METHODS = {
    "exp": "t.exp()", "log": "t.log()", "sqrt": "t.sqrt()", "tanh": "t.tanh()", "sin": "t.sin()",
    "cos": "t.cos()", "absolute": "abs(t)", "negative": "-t", "maximum": "mg.maximum(a, b)",
    "minimum": "mg.minimum(a, b)", "clip": "t.clamp(min, max)", "square": "t * t or t.pow(2)",
    "reciprocal": "1 / t", "positive": "t", "logical_and": "a & b", "logical_or": "a | b",
    "logical_not": "~t", "bitwise_and": "a & b", "bitwise_or": "a | b", "invert": "~t",
}


def _one_dim(d: Any, ndim: int, op: str, tensor_ndim: int | None = None) -> int:
    """One dim index in ``[-ndim, ndim)`` as a non-negative int (an IndexError otherwise, as PyTorch)."""
    if isinstance(d, bool) or not isinstance(d, numbers.Integral):
        raise TypeError(f"{op}: a dim must be an int, got {type(d).__name__} {d!r}")
    if not -max(ndim, 1) <= d < max(ndim, 1):
        shown = ndim if tensor_ndim is None else tensor_ndim
        raise _DimError(f"{op}: dim {d} is out of range for a tensor with {shown} dims "
                        f"(use {-max(ndim, 1)} to {max(ndim, 1) - 1})")
    return int(d) % max(ndim, 1)


def _where(cond: Any, a: Tensor, b: Tensor, name: str = "where") -> Tensor:
    """``a`` where ``cond`` is True, else ``b`` (broadcast together); gradients go to the side taken."""
    c = cond.data if isinstance(cond, Tensor) else np.asarray(cond)
    if c.dtype != bool:
        raise TypeError(f"{name}: the condition must be boolean (e.g. x > 0), got dtype {c.dtype}")
    try:
        out = np.where(c, a.data, b.data)
    except ValueError:
        raise ValueError(f"{name}: shapes {c.shape}, {a.shape} and {b.shape} cannot be broadcast "
                         "together") from None
    return _make(out, (a, b), ops.WHERE, (c,))
