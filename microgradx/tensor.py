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
from typing import Any

import numpy as np

from . import ops
from .autograd import HOOKS, MODE, Node, link

__all__ = ["Tensor", "cat", "stack", "linear"]

_new = object.__new__
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
    t.grad, t.label = None, ""
    record = MODE.record if op is not None else 0
    if record and any(p.requires_grad for p in prev):
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


def _normalize_axis(axis: Any, ndim: int, op: str) -> tuple | None:
    if axis is None:
        return None
    if type(axis) is int and -ndim <= axis < max(ndim, 1):    # the common case, without ABC checks
        return (axis % max(ndim, 1),)
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    out = []
    for a in axes:
        if not isinstance(a, numbers.Integral) or not -ndim <= a < max(ndim, 1):
            raise ValueError(f"{op}: axis {a!r} is out of range for a tensor with {ndim} dims")
        out.append(int(a) % max(ndim, 1))
    return tuple(sorted(set(out)))


class Tensor(Node):
    """An ndarray that records the operations applied to it.

    ``requires_grad`` defaults to False (inputs); set it for parameters.

    >>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x * x).sum().backward(); x.grad
    array([2., 4., 6.])
    """

    __slots__ = ("requires_grad",)
    _retains_grad = False       # a non-leaf that keeps its .grad (retain_grad())
    __array_priority__ = 1000   # ndarray (op) Tensor defers to Tensor's r-ops

    def __init__(self, data: Any, requires_grad: bool = False, label: str = "",
                 dtype: Any = None) -> None:
        self.data = _as_array(data, dtype)
        self.grad = None
        self.label = label
        self.requires_grad = bool(requires_grad)
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
        """Number of elements."""
        return self.data.size

    @property
    def T(self) -> Tensor:
        """The transpose (axes reversed)."""
        return self.transpose()

    def __len__(self) -> int:
        return len(self.data)

    def numpy(self) -> np.ndarray:
        """The data as an ndarray (a copy, safe to modify)."""
        return self.data.copy()

    def item(self) -> float:
        """The value of a one-element tensor as a float."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a one-element tensor, got shape {self.shape}")
        return float(self.data.reshape(()))

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

    # ---- comparisons give plain boolean arrays (no graph) -----------------
    def __lt__(self, other: Any) -> np.ndarray:
        return self.data < ops.data_of(other)

    def __le__(self, other: Any) -> np.ndarray:
        return self.data <= ops.data_of(other)

    def __gt__(self, other: Any) -> np.ndarray:
        return self.data > ops.data_of(other)

    def __ge__(self, other: Any) -> np.ndarray:
        return self.data >= ops.data_of(other)

    __hash__ = object.__hash__

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
        ax = _normalize_axis(axis, self.ndim, op.name)
        if self.size == 0 and op in (ops.MAX, ops.MIN):
            raise ValueError(f"{op.name}() of an empty tensor (shape {self.shape}) has no value")
        return _make(op.array(self.data, ax, bool(keepdims)), (self,), op, (ax, bool(keepdims)))

    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (all axes when None).

        >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).sum(axis=0).data
        array([4., 6.])
        """
        return self._reduce(ops.SUM_AXIS, axis, keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis`` (all axes when None)."""
        ax = _normalize_axis(axis, self.ndim, "mean")
        count = self.size if ax is None else int(np.prod([self.shape[a] for a in ax]))
        return self.sum(ax, keepdims) * (1.0 / max(count, 1))

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Largest entry over ``axis``; tied maxima share the gradient equally.

        >>> x = Tensor([1.0, 3.0, 3.0], requires_grad=True)
        >>> x.max().backward(); x.grad
        array([0. , 0.5, 0.5])
        """
        return self._reduce(ops.MAX, axis, keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Smallest entry over ``axis``; tied minima share the gradient equally."""
        return self._reduce(ops.MIN, axis, keepdims)

    def softmax(self, axis: int = -1) -> Tensor:
        """exp(x) / sum(exp(x)) along ``axis``, computed stably."""
        (ax,) = _normalize_axis(axis, self.ndim, "softmax") or (0,)
        return self._unary(ops.SOFTMAX, ax)

    def log_softmax(self, axis: int = -1) -> Tensor:
        """log(softmax(x)) along ``axis``, stable for logits of any size."""
        (ax,) = _normalize_axis(axis, self.ndim, "log_softmax") or (0,)
        return self._unary(ops.LOG_SOFTMAX, ax)

    # ---- shapes and indexing -------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        """Same data in a new shape (``-1`` infers one dimension)."""
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        try:
            out = self.data.reshape(shape)
        except (ValueError, TypeError):
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {self.shape} ({self.size} elements) "
                f"into {shape}"
            ) from None
        return _make(out, (self,), ops.RESHAPE, (out.shape,))

    def transpose(self, *axes: Any) -> Tensor:
        """Permute axes (reverse them when none are given)."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        axes = tuple(range(self.ndim))[::-1] if not axes else axes
        if sorted(int(a) % max(self.ndim, 1) for a in axes) != list(range(self.ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation of {self.ndim} dims")
        axes = tuple(int(a) % self.ndim for a in axes)
        return _make(self.data.transpose(axes), (self,), ops.TRANSPOSE, (axes,))

    def swapaxes(self, a: int, b: int) -> Tensor:
        """Exchange two axes."""
        axes = list(range(self.ndim))
        axes[a], axes[b] = axes[b], axes[a]
        return self.transpose(tuple(axes))

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

    def _add_grad(self, g: Any, upstream: Any) -> None:
        """Add ``g``, the raw gradient a VJP gave this leaf, to ``.grad``.

        The common case, a new array of the leaf's shape and dtype, is kept as
        it is; anything else is fitted (``_fit_grad``) first.
        """
        data = self.data
        if (g is upstream or upstream is None or type(g) is not np.ndarray or g.base is not None
                or g.shape != data.shape or g.dtype != data.dtype):
            g = np.asarray(self._fit_grad(g, upstream))
        old = self.grad
        if old is not None:
            g = old + g
            if type(g) is not np.ndarray:
                g = np.asarray(g)        # a NumPy scalar, from 0-d arithmetic
        self.grad = g

    def _store_grad(self, g: Any) -> None:
        if self._op is not None and not self._retains_grad:
            return
        if self.grad is not None:
            g = self.grad + g
        if type(g) is not np.ndarray and not isinstance(g, Tensor):
            g = np.asarray(g)            # a NumPy scalar, from 0-d arithmetic
        self.grad = g


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
