"""Function transforms with torch.func's names: jvp, vjp, jacfwd, jacrev, jacobian, hessian, hvp.

Each transform calls ``f`` once, on fresh inputs, and differentiates the graph
``f`` records: reverse mode with :func:`microgradx.grad`, forward mode with
:mod:`microgradx.forward` (tangents derived from the same op table).

What goes in and what comes out:

- A differentiated argument may be a number (it becomes a :class:`Value`), a
  list of numbers or Values (a list of Values: a vector), an ndarray or a
  :class:`Tensor` (a Tensor). ``f`` returns a Value, a list of Values or a
  Tensor; anything else is a TypeError.
- A Jacobian has shape ``out_shape + in_shape`` as in torch (a Value has
  shape ``()``, a list of n Values ``(n,)``).
- Given plain data (numbers, lists of numbers, ndarrays, Tensors that do not
  require grad), results are plain data: floats for shape ``()`` on the Value
  face, ndarrays otherwise. Given a Value or a Tensor that requires grad,
  results are Values / lists of Values / Tensors built with
  ``create_graph=True``: they can be differentiated again (``.backward()``,
  another transform), which is how ``hessian = jacfwd(jacrev(f))`` works.
  Inside ``f`` each argument is a new node (an identity of the given one), so
  a transform differentiates with respect to its own argument only, even
  where ``f`` also uses the outer node directly.

>>> import microgradx as mg
>>> mg.jacrev(lambda x: x ** 3)(2.0)
12.0
>>> mg.hessian(lambda x: (x * x * x).sum())(np.array([1.0, 2.0]))
array([[ 6.,  0.],
       [ 0., 12.]])
"""

from __future__ import annotations

import functools
import numbers
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .autograd import Node, enable_grad, grad, topological_order
from .forward import Linearization
from .tensor import Tensor, stack
from .value import Value

__all__ = ["jvp", "vjp", "jacfwd", "jacrev", "jacobian", "hessian", "hvp", "compare_modes", "ModeComparison"]


# ---- arguments and outputs ------------------------------------------------------------------

class _Arg:
    """One differentiated argument: what ``f`` is called with and the nodes behind it."""

    def __init__(self, call: Any, nodes: list, shape: tuple, kind: str) -> None:
        self.call, self.nodes, self.shape, self.kind = call, nodes, shape, kind

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=int))

    @property
    def dtype(self) -> np.dtype:
        return self.nodes[0].data.dtype if self.kind == "tensor" else np.dtype(np.float64)


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def _needs_graph(arg: Any) -> bool:
    """True for an argument whose results must stay differentiable (a Value, a Tensor that requires grad)."""
    if isinstance(arg, Value):
        return True
    if isinstance(arg, Tensor):
        return arg.requires_grad
    if isinstance(arg, list | tuple):
        return any(isinstance(a, Value) for a in arg)
    return False


def _wrap(arg: Any, graph: bool, what: str) -> _Arg:
    """A fresh node (or list of them) for ``arg``: an identity of a given node in graph mode."""
    if isinstance(arg, Value):
        v = arg * 1.0 if graph else Value(arg.data)
        return _Arg(v, [v], (), "value")
    if _is_number(arg):
        v = Value(float(arg))
        return _Arg(v, [v], (), "value")
    if isinstance(arg, list | tuple) and not isinstance(arg, np.ndarray):
        if not arg:
            raise ValueError(f"{what} is an empty list; give at least one number or Value")
        vs = [_wrap(a, graph, f"{what}[{i}]") for i, a in enumerate(arg)]
        if any(v.kind != "value" for v in vs):
            raise TypeError(f"{what}: a list argument must hold numbers or Values; "
                            "for arrays pass an ndarray")
        nodes = [v.nodes[0] for v in vs]
        return _Arg(nodes, nodes, (len(nodes),), "values")
    if isinstance(arg, Tensor):
        t = arg.reshape(arg.shape) if graph and arg.requires_grad else Tensor(arg.data, requires_grad=True)
        return _Arg(t, [t], t.shape, "tensor")
    if isinstance(arg, np.ndarray | np.generic):
        t = Tensor(np.asarray(arg), requires_grad=True)
        return _Arg(t, [t], t.shape, "tensor")
    raise TypeError(
        f"{what} must be a number, a list of numbers/Values, an ndarray or a Tensor, "
        f"got {type(arg).__name__}"
    )


class _Out:
    """What ``f`` returned, flattened: its nodes, shape and face."""

    def __init__(self, value: Any, name: str) -> None:
        self.value = value
        if isinstance(value, Tensor):
            self.nodes, self.shape, self.kind = [value], value.shape, "tensor"
        elif isinstance(value, Value):
            self.nodes, self.shape, self.kind = [value], (), "value"
        elif isinstance(value, list | tuple) and value:
            arr = np.empty(0, dtype=object)
            try:
                arr = np.array(value, dtype=object)
            except ValueError:
                pass
            if arr.size == 0 or not all(isinstance(v, Value) for v in arr.flat):
                raise TypeError(_bad_output(name, value))
            self.nodes, self.shape, self.kind = list(arr.flat), arr.shape, "values"
        else:
            raise TypeError(_bad_output(name, value))

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=int))

    @property
    def dtype(self) -> np.dtype:
        return self.nodes[0].data.dtype if self.kind == "tensor" else np.dtype(np.float64)


def _bad_output(name: str, value: Any) -> str:
    kind = type(value).__name__
    if isinstance(value, list | tuple) and value:
        kind = f"a {kind} of {', '.join(sorted({type(v).__name__ for v in value}))}"
    return (f"{name}: f must return a Value, a (nested) list of Values or a Tensor, got {kind}; "
            "build the result from the arguments with mg operations (stack several Tensors into one)")


def _evaluate(func: Callable[..., Any], call: Sequence[Any], name: str) -> tuple[list[_Out], bool]:
    """``f(*call)`` recorded, as a list of outputs, and whether ``f`` returned a tuple of several."""
    if not callable(func):
        raise TypeError(f"{name}: f must be a function, got {type(func).__name__}")
    with enable_grad():
        value = func(*call)
    if isinstance(value, tuple) and value:      # several outputs, as in torch; a list is one vector
        return [_Out(v, name) for v in value], True
    return [_Out(value, name)], False


def _as_tuple(x: Any, what: str, name: str) -> tuple:
    if not isinstance(x, tuple | list):
        raise TypeError(f"{name}: {what} must be a tuple (one entry per argument of f), got "
                        f"{type(x).__name__}; write ({what[:-1]},) for one argument")
    return tuple(x)


def _argnums(argnums: Any, nargs: int, name: str) -> tuple[tuple[int, ...], bool]:
    """The argument positions to differentiate, and whether one was given as an int."""
    single = isinstance(argnums, numbers.Integral) and not isinstance(argnums, bool)
    nums = (argnums,) if single else argnums
    if not isinstance(nums, tuple) or not nums or not all(
            isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in nums):
        raise TypeError(f"{name}: argnums must be an int or a non-empty tuple of ints, got {argnums!r}")
    out = []
    for a in nums:
        if not -nargs <= a < nargs:
            raise ValueError(f"{name}: argnums {a} is out of range for f called with {nargs} "
                             f"positional argument(s); use 0..{nargs - 1}")
        out.append(int(a) % nargs)
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: argnums {argnums!r} names the same argument twice")
    return tuple(out), single


# ---- tangents, cotangents and results -------------------------------------------------------

def _pieces(x: Any, like: _Arg | _Out, what: str, name: str) -> list:
    """``x`` split to match ``like``'s nodes (one float or array each), checked for shape and dtype."""
    if like.kind == "value":
        if isinstance(x, Value) or _is_number(x):
            return [x]
        if isinstance(x, np.ndarray) and x.shape == ():
            return [float(x)]
        raise ValueError(f"{name}: {what} must be one number (its primal/output is a Value), got "
                         f"{type(x).__name__} {np.shape(ops_data(x))}")
    if like.kind == "values":
        flat = x if isinstance(x, list | tuple) else None
        arr = np.array(x, dtype=object) if flat is not None else np.asarray(ops_data(x), dtype=object)
        if arr.shape != like.shape:
            raise ValueError(f"{name}: {what} has shape {arr.shape}, its primal/output has shape "
                             f"{like.shape}; give one number per Value")
        items = list(arr.flat)
        if not all(isinstance(v, Value) or _is_number(v) for v in items):
            raise TypeError(f"{name}: {what} must hold numbers or Values")
        return [v if isinstance(v, Value) else float(v) for v in items]
    dtype = like.dtype
    if isinstance(x, Tensor | np.ndarray):
        if x.shape != like.shape or x.dtype != dtype:
            raise ValueError(f"{name}: {what} has shape {x.shape} and dtype {x.dtype}, its primal/output "
                             f"has shape {like.shape} and dtype {dtype}; they must match")
        return [x]
    arr = np.asarray(x, dtype=dtype) if isinstance(x, list | tuple) or _is_number(x) else None
    if arr is None or arr.shape != like.shape:
        raise ValueError(f"{name}: {what} must be an array of shape {like.shape} and dtype {dtype}, got "
                         f"{type(x).__name__} of shape {np.shape(x)}")
    return [arr]


def ops_data(x: Any) -> Any:
    return x.data if isinstance(x, Node) else x


def _zero(kind: str, shape: tuple, dtype: Any, graph: bool) -> Any:
    if kind == "tensor":
        z = np.zeros(shape, dtype)
        return Tensor(z) if graph else z
    return Value(0.0) if graph else 0.0


def _present(items: list, like: _Arg | _Out, graph: bool) -> Any:
    """One result per node of ``like`` (None: zero) put back in ``like``'s form."""
    items = [_zero(like.kind, np.shape(like.nodes[i].data), like.dtype, graph) if t is None else t
             for i, t in enumerate(items)]
    if like.kind == "tensor":
        t = items[0]
        if graph:
            return t if isinstance(t, Tensor) else Tensor(np.asarray(t, like.dtype))
        return np.asarray(ops_data(t), like.dtype)
    if graph:
        vs = [t if isinstance(t, Value) else Value(float(t)) for t in items]
        return vs[0] if like.kind == "value" else _nest(vs, like.shape)
    nums = [float(ops_data(t)) for t in items]
    return nums[0] if like.kind == "value" else np.array(nums).reshape(like.shape)


def _nest(items: list, shape: tuple) -> Any:
    """A flat list of objects as nested lists of ``shape`` (the object itself for shape ())."""
    arr = np.empty(len(items), dtype=object)
    arr[:] = items
    return arr.reshape(shape).tolist()


def _jacobian(entries: list[list], out: _Out, arg: _Arg, graph: bool, by_row: bool) -> Any:
    """Assemble a Jacobian of shape ``out.shape + arg.shape``.

    ``entries[k]`` is row k (the gradient of output element k, per node of
    ``arg``) when ``by_row``, else column k (the tangent of each output node
    for input element k).
    """
    shape = out.shape + arg.shape
    m, n = out.size, arg.size
    tensor_out = out.kind == "tensor"
    if not graph:
        J = np.zeros((m, n), dtype=out.dtype if tensor_out else np.float64)
        for k, row in enumerate(entries):
            for i, e in enumerate(row):
                if e is None:
                    continue
                e = np.ravel(ops_data(e))
                if by_row:
                    J[k, i * len(e):(i + 1) * len(e)] = e
                else:
                    J[i * len(e):(i + 1) * len(e), k] = e
        return float(J[0, 0]) if shape == () and out.kind == "value" else J.reshape(shape)
    if tensor_out:
        if by_row:   # rows: one Tensor of arg's shape each
            rows = [_present([row[0]], arg, True) for row in entries]
            return stack(rows, axis=0).reshape(shape)
        cols = [_present([col[0]], out, True) for col in entries]
        return stack(cols, axis=-1).reshape(shape)
    cells = np.empty((m, n), dtype=object)
    for k, line in enumerate(entries):
        for i, e in enumerate(line):
            v = e if isinstance(e, Value) else Value(0.0 if e is None else float(e))
            if by_row:
                cells[k, i] = v
            else:
                cells[i, k] = v
    return _nest(list(cells.flat), shape)


# ---- the two passes ------------------------------------------------------------------------

def _reverse(outs: list[_Out], args: list[_Arg], graph: bool) -> tuple[list, int]:
    """One reverse pass per output element; returns ``jacs[output][arg]`` and the VJP applications made."""
    inputs = [node for a in args for node in a.nodes]
    jacs = []
    applications = 0
    for out in outs:
        rows: list[list] = []
        if out.kind == "tensor":
            (o,) = out.nodes
            reach = _op_count([o])
            for k in range(out.size):
                if not o.requires_grad:
                    rows.append([None] * len(inputs))
                    continue
                e = np.zeros(o.shape, o.dtype)
                e.flat[k] = 1
                rows.append(list(grad(o, inputs, grad_outputs=[e], create_graph=graph, allow_unused=True)))
                applications += reach
        else:
            for o in out.nodes:
                rows.append(list(grad(o, inputs, create_graph=graph, allow_unused=True)))
                applications += _op_count([o])
        per_arg, start = [], 0
        for a in args:
            part = [row[start:start + len(a.nodes)] for row in rows]
            per_arg.append(_jacobian(part, out, a, graph, by_row=True))
            start += len(a.nodes)
        jacs.append(per_arg)
    return jacs, applications


def _forward(outs: list[_Out], args: list[_Arg], graph: bool) -> tuple[list, int]:
    """One forward pass per input element; returns ``jacs[output][arg]`` and the JVP applications made."""
    lin = Linearization([o for out in outs for o in out.nodes], create_graph=graph)
    cols: list[list[list]] = [[[] for _ in args] for _ in outs]
    applications = 0
    for i, a in enumerate(args):
        for j in range(a.size):
            if a.kind == "tensor":
                e = np.zeros(a.shape, a.dtype)
                e.flat[j] = 1
                seeds = {id(a.nodes[0]): e}
            else:
                seeds = {id(a.nodes[j]): 1.0}
            tan = lin.push(seeds)
            applications += lin.applications
            for k, out in enumerate(outs):
                cols[k][i].append([tan.get(id(o)) for o in out.nodes])
    jacs = [[_jacobian(cols[k][i], out, a, graph, by_row=False) for i, a in enumerate(args)]
            for k, out in enumerate(outs)]
    return jacs, applications


def _op_count(roots: Sequence[Node]) -> int:
    return sum(1 for n in topological_order(roots) if n._op is not None)


def _prepare(args: Sequence[Any], argnums: Any, name: str) -> tuple[list, list[_Arg], bool, bool]:
    nums, single = _argnums(argnums, len(args), name)
    graph = any(_needs_graph(args[i]) for i in nums)
    call = list(args)
    wrapped = []
    for i in nums:
        w = _wrap(args[i], graph, f"{name}: argument {i}")
        call[i] = w.call
        wrapped.append(w)
    return call, wrapped, graph, single


def _recording(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` run with graph recording on: a transform works inside ``no_grad`` too (as torch.func)."""
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        with enable_grad():
            return fn(*args, **kwargs)

    return run


def _jac_transform(func: Callable[..., Any], argnums: Any, name: str, mode: Callable) -> Callable[..., Any]:
    if not callable(func):
        raise TypeError(f"{name}: f must be a function, got {type(func).__name__}")

    @_recording
    def jac(*args: Any) -> Any:
        call, wrapped, graph, single = _prepare(args, argnums, name)
        outs, several = _evaluate(func, call, name)
        jacs, _ = mode(outs, wrapped, graph)
        per_out = [j[0] if single else tuple(j) for j in jacs]
        return tuple(per_out) if several else per_out[0]

    jac.__name__ = f"{name}({getattr(func, '__name__', 'f')})"
    jac.__doc__ = f"The Jacobian of {getattr(func, '__name__', 'f')} by {name}."
    return jac


# ---- the transforms ------------------------------------------------------------------------

@_recording
def _seeded_call(func: Callable, primals: Any, tangents: Any, name: str) -> tuple:
    """What jvp and hvp share: the primals wrapped as nodes, the tangents as seeds by node
    id, and ``func`` evaluated once on them: (graph, args, seeds, outputs, several)."""
    prim = _as_tuple(primals, "primals", name)
    tans = _as_tuple(tangents, "tangents", name)
    if len(prim) != len(tans):
        raise ValueError(f"{name}: {len(prim)} primals but {len(tans)} tangents; give one tangent per primal")
    graph = any(_needs_graph(p) for p in prim) or any(_needs_graph(t) for t in tans)
    args = [_wrap(p, graph, f"{name}: primal {i}") for i, p in enumerate(prim)]
    seeds = {}
    for i, (a, t) in enumerate(zip(args, tans)):
        for node, piece in zip(a.nodes, _pieces(t, a, f"tangent {i}", name)):
            seeds[id(node)] = piece
    outs, several = _evaluate(func, [a.call for a in args], name)
    return graph, args, seeds, outs, several


def jvp(func: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """``(f(*primals), J·tangents)``: forward mode, as ``torch.func.jvp``.

    ``primals`` and ``tangents`` are tuples, one entry per argument of ``f``;
    each tangent has its primal's shape (and dtype, for arrays). One
    evaluation of ``f``, one forward pass.

    >>> import microgradx as mg
    >>> mg.jvp(lambda x, y: x * y, (3.0, 4.0), (1.0, 0.0))
    (12.0, 4.0)
    """
    graph, args, seeds, outs, several = _seeded_call(func, primals, tangents, "jvp")
    tan = Linearization([o for out in outs for o in out.nodes], create_graph=graph).push(seeds)
    values = [_present(out.nodes, out, graph) for out in outs]
    tangents_out = [_present([tan.get(id(o)) for o in out.nodes], out, graph) for out in outs]
    return (tuple(values), tuple(tangents_out)) if several else (values[0], tangents_out[0])


@_recording
def vjp(func: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[[Any], tuple]]:
    """``(f(*primals), vjp_fn)``: reverse mode, as ``torch.func.vjp``.

    ``vjp_fn(cotangent)`` (the cotangent has the output's shape) returns a
    tuple with one vector-Jacobian product per primal. It may be called
    many times.

    >>> import microgradx as mg
    >>> out, vjp_fn = mg.vjp(lambda x, y: x * y, 3.0, 4.0)
    >>> out, vjp_fn(1.0)
    (12.0, (4.0, 3.0))
    """
    if not primals:
        raise TypeError("vjp: give at least one primal: vjp(f, x, ...)")
    graph = any(_needs_graph(p) for p in primals)
    args = [_wrap(p, graph, f"vjp: primal {i}") for i, p in enumerate(primals)]
    outs, several = _evaluate(func, [a.call for a in args], "vjp")
    inputs = [node for a in args for node in a.nodes]

    @_recording
    def vjp_fn(cotangent: Any) -> tuple:
        if several:
            cot = _as_tuple(cotangent, "cotangents", "vjp_fn")
            if len(cot) != len(outs):
                raise ValueError(f"vjp_fn: f returned {len(outs)} outputs but got {len(cot)} cotangents")
        else:
            cot = (cotangent,)
        pairs = [(o, c) for out, ct in zip(outs, cot)
                 for o, c in zip(out.nodes, _pieces(ct, out, "cotangent", "vjp_fn"))]
        live = [(o, c) for o, c in pairs if not isinstance(o, Tensor) or o.requires_grad]
        if not live:
            grads: list = [None] * len(inputs)
        elif graph and any(isinstance(c, Node) for _, c in live):
            s = None
            for o, c in live:
                term = (o * c).sum() if isinstance(o, Tensor) else o * c
                s = term if s is None else s + term
            grads = list(grad(s, inputs, create_graph=True, allow_unused=True))
        else:
            grads = list(grad([o for o, _ in live], inputs, grad_outputs=[ops_data(c) for _, c in live],
                              create_graph=graph, allow_unused=True))
        result, start = [], 0
        for a in args:
            part = grads[start:start + len(a.nodes)]
            result.append(_present(part, a, graph))
            start += len(a.nodes)
        return tuple(result)

    values = [_present(out.nodes, out, graph) for out in outs]
    return (tuple(values) if several else values[0]), vjp_fn


def jacrev(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """The Jacobian by reverse mode (one pass per output element), as ``torch.func.jacrev``.

    Returns a function of ``f``'s arguments; with ``argnums`` a tuple it
    returns one Jacobian per named argument.

    >>> import microgradx as mg
    >>> mg.jacrev(lambda x: x.sin() * 2)(np.zeros(2))
    array([[2., 0.],
           [0., 2.]])
    """
    return _jac_transform(func, argnums, "jacrev", _reverse)


def jacfwd(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """The Jacobian by forward mode (one pass per input element), as ``torch.func.jacfwd``.

    ``f`` is evaluated once; each pass pushes one basis tangent through the
    recorded graph.

    >>> import microgradx as mg
    >>> mg.jacfwd(lambda x: [x * 2, x * x])(3.0)
    array([2., 6.])
    """
    return _jac_transform(func, argnums, "jacfwd", _forward)


def jacobian(func: Callable[..., Any], inputs: Any, strategy: str = "reverse-mode") -> Any:
    """The Jacobian of ``f`` at ``inputs``, as ``torch.autograd.functional.jacobian``.

    A tuple of inputs gives a tuple of Jacobians (one per input); a list is
    one vector input (of Values). ``strategy`` is "reverse-mode" or
    "forward-mode".

    >>> import microgradx as mg
    >>> mg.jacobian(lambda x, y: x * y, (3.0, 4.0))
    (4.0, 3.0)
    """
    modes = {"reverse-mode": jacrev, "forward-mode": jacfwd}
    if strategy not in modes:
        raise ValueError(f"jacobian: strategy must be 'reverse-mode' or 'forward-mode', got {strategy!r}")
    if isinstance(inputs, tuple):
        if not inputs:
            raise ValueError("jacobian: inputs is an empty tuple")
        return modes[strategy](func, tuple(range(len(inputs))))(*inputs)
    return modes[strategy](func)(inputs)


def hessian(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """The Hessian: ``jacfwd(jacrev(f, argnums), argnums)`` (forward over reverse), as ``torch.func.hessian``.

    >>> import microgradx as mg
    >>> mg.hessian(lambda x, y: x * x * y, argnums=(0, 1))(3.0, 2.0)
    ((4.0, 6.0), (6.0, 0.0))
    """
    return jacfwd(jacrev(func, argnums), argnums)


@_recording
def hvp(func: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, tuple]:
    """``(f(*primals), H·tangents)`` for a scalar ``f``, by forward over reverse.

    torch.func has no ``hvp`` (in torch 2.x); this follows
    ``torch.autograd.functional.hvp(func, inputs, v)`` with tuple inputs:
    the Hessian-vector product is a tuple, one entry per primal, each of its
    primal's shape. The gradient graph of ``f`` is built once
    (``create_graph``) and one forward pass pushes the tangents through it.

    >>> import microgradx as mg
    >>> mg.hvp(lambda x, y: x * x * y, (3.0, 2.0), (1.0, 0.0))
    (18.0, (4.0, 6.0))
    """
    graph, args, seeds, outs, several = _seeded_call(func, primals, tangents, "hvp")
    out = outs[0]
    if several or out.size != 1 or out.kind == "values" and out.shape != ():
        raise ValueError(f"hvp: f must return a single number (a Value or a one-element Tensor), "
                         f"got output of shape {out.shape}; reduce it first, e.g. .sum()")
    (o,) = out.nodes
    inputs = [node for a in args for node in a.nodes]
    if isinstance(o, Tensor) and not o.requires_grad:
        grads: list = [None] * len(inputs)
    else:
        grads = list(grad(o, inputs, create_graph=True, allow_unused=True))
    live = [g for g in grads if isinstance(g, Node)]
    tan = Linearization(live, create_graph=graph).push(seeds) if live else {}
    hv = [None if g is None else tan.get(id(g)) for g in grads]
    result, start = [], 0
    for a in args:
        result.append(_present(hv[start:start + len(a.nodes)], a, graph))
        start += len(a.nodes)
    return _present(out.nodes, out, graph), tuple(result)


# ---- forward and reverse, side by side -------------------------------------------------------

@dataclass(frozen=True)
class ModeComparison:
    """The full Jacobian of ``f`` at ``x`` by forward and by reverse mode, side by side.

    ``passes``: forward mode makes one pass per input element (``inputs``),
    reverse mode one per output element (``outputs``). ``ops``: primitive
    operations evaluated, counted as the op nodes of ``f``'s graph evaluated
    once (``evaluations``, both modes evaluate ``f`` once) plus, for every
    pass, one rule application per op node the pass reaches: a JVP for each
    node that depends on the seeded input (forward), a VJP for each node
    below the output element's root (reverse; the reference driver applies
    one there, Values skipping exact zeros aside). ``seconds``: wall time of
    each whole Jacobian (evaluation included). ``max_abs_diff``: the largest
    difference between the two Jacobians. ``jacobian``: reverse mode's.

    >>> import microgradx as mg
    >>> r = mg.compare_modes(lambda x: (x * x).sum(), np.ones(3))
    >>> r.evaluations, r.forward_ops, r.reverse_ops, r.jacobian
    (2, 8, 4, array([2., 2., 2.]))
    """

    inputs: int
    outputs: int
    evaluations: int
    forward_passes: int
    reverse_passes: int
    forward_ops: int
    reverse_ops: int
    forward_seconds: float
    reverse_seconds: float
    max_abs_diff: float
    jacobian: Any

    def __str__(self) -> str:
        rows = [
            ("passes", f"{self.forward_passes}", f"{self.reverse_passes}"),
            ("operations", f"{self.forward_ops}", f"{self.reverse_ops}"),
            ("seconds", f"{self.forward_seconds:.3g}", f"{self.reverse_seconds:.3g}"),
        ]
        lines = [f"Jacobian of f: {self.inputs} input(s) -> {self.outputs} output(s)",
                 f"{'':<12}{'forward':>12}{'reverse':>12}"]
        lines += [f"{name:<12}{a:>12}{b:>12}" for name, a, b in rows]
        lines.append(f"agreement: max |J_forward - J_reverse| = {self.max_abs_diff:.3g}")
        lines.append(f"operations = {self.evaluations} node evaluations of f + one JVP/VJP per node per pass")
        return "\n".join(lines)


@_recording
def compare_modes(func: Callable[..., Any], x: Any) -> ModeComparison:
    """The Jacobian of ``f`` at ``x`` by forward and by reverse mode: passes, operations, time, agreement.

    ``x`` is one argument (a number, a list of numbers, an ndarray or a
    Tensor; nodes are read as their data). See :class:`ModeComparison` for
    what is counted.

    >>> import microgradx as mg
    >>> r = mg.compare_modes(lambda x: x * x + x.sin(), 2.0)
    >>> r.forward_passes, r.reverse_passes, r.forward_ops, r.reverse_ops, r.max_abs_diff < 1e-15
    (1, 1, 6, 6, True)
    """
    x = _plain(x)
    results = {}
    for name, mode in (("forward", _forward), ("reverse", _reverse)):
        t0 = time.perf_counter()
        call, wrapped, graph, _ = _prepare((x,), 0, "compare_modes")
        outs, several = _evaluate(func, call, "compare_modes")
        if several:
            raise ValueError("compare_modes: f must return one output (a Value, a list of Values or "
                             f"a Tensor), got a tuple of {len(outs)}")
        ((jac,),), applications = mode(outs, wrapped, graph)
        seconds = time.perf_counter() - t0
        out = outs[0]
        evaluations = _op_count(out.nodes)
        results[name] = (jac, evaluations + applications, seconds, evaluations, wrapped[0].size, out.size)
    (jf, fops, fsec, evals, n, m), (jr, rops, rsec, _, _, _) = results["forward"], results["reverse"]
    diff = float(np.max(np.abs(np.asarray(jf) - np.asarray(jr)))) if np.size(jf) else 0.0
    return ModeComparison(n, m, evals, n, m, fops, rops, fsec, rsec, diff, jr)


def _plain(x: Any) -> Any:
    if isinstance(x, Value | Tensor):
        return x.data if isinstance(x, Value) else x.data.copy()
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    return x
