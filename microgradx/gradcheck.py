"""Numerical differentiation and gradient checking against autograd.

``numerical_diff`` and ``numerical_gradient`` estimate derivatives by finite
differences; ``gradcheck`` compares the gradients autograd computes with
central differences, element by element, for Values and Tensors (the full
Jacobian when the output is a Tensor); ``gradgradcheck`` does the same for
second derivatives and ``check_model`` for every parameter of a Module.

An element passes when ``|analytic - numeric| <= atol + rtol * |numeric|``
(the criterion of ``torch.autograd.gradcheck``). The relative error reported
is ``|analytic - numeric| / max(|analytic|, |numeric|, atol)``.

>>> import microgradx as mg
>>> x = mg.Value(0.5, label="x")
>>> gradcheck(lambda x: (x * 3).tanh(), [x]).ok
True
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from .autograd import Node, grad, no_grad
from .blame import BlameReport, find_culprit
from .tensor import Tensor
from .value import Value

__all__ = [
    "numerical_diff", "numerical_gradient", "gradcheck", "gradgradcheck", "check_model",
    "GradcheckError", "GradcheckResult", "InputReport", "Mismatch",
]

METHODS = ("central", "forward", "backward")


class GradcheckError(RuntimeError):
    """A gradient check failed; ``.result`` holds the full :class:`GradcheckResult`.

    >>> issubclass(GradcheckError, RuntimeError)
    True
    """

    def __init__(self, message: str, result: GradcheckResult) -> None:
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class Mismatch:
    """One checked element: where it is and how far autograd is from the numbers.

    ``input`` is the input's name (its label, a parameter name, or
    ``inputs[i]``), ``position`` its place in the inputs, ``index`` the element
    inside it, ``output`` the output element it was differentiated from.

    >>> Mismatch("x", 0, (), "out", (), 2.0, 2.0, 0.0, 0.0).where
    'x'
    """

    input: str
    position: int
    index: tuple
    output: str
    output_index: tuple
    analytic: float
    numeric: float
    abs_error: float
    rel_error: float

    @property
    def where(self) -> str:
        """The element as ``name[i, j]`` (just ``name`` for a scalar)."""
        return _element(self.input, self.index)

    def __str__(self) -> str:
        of = "" if self.output_index == () else f" of {_element(self.output, self.output_index)}"
        return (
            f"{self.where}{of}: analytic {self.analytic:.6g}, numeric {self.numeric:.6g}, "
            f"abs error {self.abs_error:.3g}, rel error {self.rel_error:.3g}"
        )


@dataclass
class InputReport:
    """The check of one input: its Jacobian both ways and its errors.

    ``analytic`` and ``numeric`` have shape ``(output elements, input
    elements)``: row k is d(output element k)/d(input), flattened; ``outputs``
    names the output element of each row.
    """

    name: str
    position: int
    shape: tuple
    analytic: np.ndarray
    numeric: np.ndarray
    outputs: list[tuple[str, tuple]]
    atol: float
    rtol: float

    def __post_init__(self) -> None:
        a, n = self.analytic, self.numeric
        self.abs_errors = np.abs(a - n)
        self.rel_errors = self.abs_errors / np.maximum(np.maximum(np.abs(a), np.abs(n)), self.atol or 1e-300)
        allowed = self.atol + self.rtol * np.abs(n)
        self.failed = np.isnan(self.abs_errors) | (self.abs_errors > allowed)
        over = np.nan_to_num(self.abs_errors / (allowed + 1e-300), nan=np.inf)
        self.worst_ratio = float(over.max()) if over.size else 0.0
        self.worst = self.element(*divmod(int(np.argmax(over)), a.shape[1])) if over.size else None

    @property
    def ok(self) -> bool:
        """True when every element of this input passes."""
        return not self.failed.any()

    @property
    def n_failed(self) -> int:
        """How many elements of this input's Jacobian are outside the tolerance."""
        return int(self.failed.sum())

    @property
    def max_abs_error(self) -> float:
        """The largest |analytic - numeric| (NaN if any is NaN)."""
        return _nanmax(self.abs_errors)

    @property
    def max_rel_error(self) -> float:
        """The largest relative error (NaN if any is NaN)."""
        return _nanmax(self.rel_errors)

    def element(self, row: int, col: int) -> Mismatch:
        """The comparison for output element ``row`` and input element ``col`` (flat)."""
        index = tuple(int(i) for i in np.unravel_index(col, self.shape)) if self.shape else ()
        out, out_index = self.outputs[row]
        return Mismatch(self.name, self.position, index, out, out_index, float(self.analytic[row, col]),
                        float(self.numeric[row, col]), float(self.abs_errors[row, col]),
                        float(self.rel_errors[row, col]))


@dataclass
class GradcheckResult:
    """What a check found: ``ok``, the largest errors, the ``worst`` element, per-input rows.

    ``str(result)`` is a readable table; :meth:`element_table` lists every element.

    >>> import microgradx as mg
    >>> res = gradcheck(lambda a: a * a, [mg.Value(3.0, label="a")])
    >>> res.ok, res.worst.where, round(res.worst.analytic, 6)
    (True, 'a', 6.0)
    """

    kind: str
    ok: bool
    max_abs_error: float
    max_rel_error: float
    worst: Mismatch | None
    inputs: list[InputReport] = field(default_factory=list)
    atol: float = 1e-5
    rtol: float = 1e-3
    eps: float = 1e-6
    blame: BlameReport | None = None

    @property
    def n_failed(self) -> int:
        """How many checked elements are outside the tolerance."""
        return sum(r.n_failed for r in self.inputs)

    @property
    def n_checked(self) -> int:
        """How many (output, input) element pairs were compared."""
        return sum(r.analytic.size for r in self.inputs)

    def summary(self) -> str:
        """One line: passed or failed, how many elements, the criterion."""
        verdict = "OK" if self.ok else f"FAILED ({self.n_failed} of {self.n_checked} elements)"
        return (
            f"{self.kind} {verdict}: max abs error {self.max_abs_error:.3g}, max rel error "
            f"{self.max_rel_error:.3g}; pass if |analytic - numeric| <= {self.atol:g} + "
            f"{self.rtol:g} * |numeric| (eps={self.eps:g})"
        )

    def table(self) -> str:
        """One row per input: shape, errors, worst element, status."""
        head = ("input", "shape", "max abs err", "max rel err", "worst element", "analytic", "numeric",
                "status")
        rows = [
            (r.name, str(r.shape), f"{r.max_abs_error:.3g}", f"{r.max_rel_error:.3g}",
             *((_element("", r.worst.index) or "-", f"{r.worst.analytic:.6g}", f"{r.worst.numeric:.6g}")
               if r.worst
               else ("-", "-", "-")),
             "ok" if r.ok else f"FAIL ({r.n_failed})")
            for r in self.inputs
        ]
        return _format_table(head, rows)

    def element_table(self, limit: int = 50, only_failed: bool = False) -> str:
        """One row per compared element (the first ``limit``; only failing ones if asked)."""
        head = ("element", "output", "analytic", "numeric", "abs err", "rel err", "status")
        rows: list[tuple[str, ...]] = []
        shown = 0
        for r in self.inputs:
            for row, col in np.ndindex(r.analytic.shape):
                if only_failed and not r.failed[row, col]:
                    continue
                shown += 1
                if len(rows) < limit:
                    m = r.element(row, col)
                    rows.append((m.where, _element(m.output, m.output_index), f"{m.analytic:.6g}",
                                 f"{m.numeric:.6g}", f"{m.abs_error:.3g}", f"{m.rel_error:.3g}",
                                 "FAIL" if r.failed[row, col] else "ok"))
        more = shown - len(rows)
        return _format_table(head, rows) + (f"\n... and {more} more" if more > 0 else "")

    def __str__(self) -> str:
        worst = "" if self.worst is None else f"\nworst: {self.worst}"
        blame = "" if self.blame is None else f"\n{self.blame}"
        return f"{self.summary()}\n{self.table()}{worst}{blame}"


def _format_table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(head, *rows)]
    lines = [head, *rows]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(line, widths)).rstrip() for line in lines)


# ---- finite differences ------------------------------------------------------

def _number(y: Any, what: str) -> float:
    """One float from a number, a Value or a one-element array/Tensor."""
    if isinstance(y, Value):
        return float(y.data)
    if isinstance(y, (bool, np.bool_)):
        raise TypeError(f"{what} returned a bool {y!r}; it must return a number")
    if isinstance(y, numbers.Real):
        return float(y)
    arr = np.asarray(y.data if isinstance(y, Tensor) else y)
    if arr.dtype.kind not in "iuf" or arr.size != 1:
        raise ValueError(
            f"{what} must return one number, got {type(y).__name__} with shape {arr.shape}; "
            "reduce it to a scalar (e.g. .sum())"
        )
    return float(arr.reshape(()))


def _check_step(h: Any, name: str) -> float:
    if isinstance(h, bool) or not isinstance(h, numbers.Real) or not math.isfinite(h) or h <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {h!r}; try {name}=1e-6")
    return float(h)


def _check_method(method: Any) -> str:
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    return method


def _difference(f: Callable[[float], Any], x: float, h: float, method: str, what: str) -> float:
    if method == "central":
        return (_number(f(x + h), what) - _number(f(x - h), what)) / (2 * h)
    if method == "forward":
        return (_number(f(x + h), what) - _number(f(x), what)) / h
    return (_number(f(x), what) - _number(f(x - h), what)) / h


def numerical_diff(f: Callable[[float], Any], x: float, h: float = 1e-4, method: str = "central") -> float:
    """The derivative of a scalar function at ``x`` by finite differences.

    ``central`` is (f(x+h) - f(x-h)) / 2h, error O(h^2); ``forward`` and
    ``backward`` are one-sided, error O(h).

    >>> round(numerical_diff(lambda x: 0.01 * x**2 + 0.1 * x, 5.0), 8)
    0.2
    """
    if not callable(f):
        raise TypeError(f"f must be a function of one number, got {type(f).__name__}")
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"x must be a real number, got {type(x).__name__} {x!r}")
    return _difference(f, float(x), _check_step(h, "h"), _check_method(method), "f")


def numerical_gradient(f: Callable[[Any], Any], x: Any, h: float = 1e-5, method: str = "central") -> Any:
    """The gradient of ``f(x) -> number`` by perturbing one element of ``x`` at a time.

    ``x`` is a float ndarray (perturbed in place and restored), a Tensor, a
    Value, or a list of Values (their ``.data`` is perturbed); ``f`` receives
    ``x`` itself. Returns an ndarray of ``x``'s shape (a float for one Value).

    >>> numerical_gradient(lambda v: v[0] ** 2 + v[1] ** 2, np.array([3.0, 4.0])).round(6)
    array([6., 8.])
    """
    if not callable(f):
        raise TypeError(f"f must be a function of x, got {type(f).__name__}")
    h, method = _check_step(h, "h"), _check_method(method)
    if isinstance(x, Value):
        return float(numerical_gradient(lambda vs: f(vs[0]), [x], h, method)[0])
    if isinstance(x, (list, tuple)) and x and all(isinstance(v, Value) for v in x):
        out = np.empty(len(x))
        for i, v in enumerate(x):
            old = v.data
            try:
                out[i] = _difference(partial(_set_and_call, f, x, v), old, h, method, "f")
            finally:
                v.data = old
        return out
    if isinstance(x, Tensor):
        original = x.data
        x.data = _float_array(original, "x").copy()
        try:
            return numerical_gradient(lambda _: f(x), x.data, h, method)
        finally:
            x.data = original
    if not isinstance(x, np.ndarray):
        if isinstance(x, (list, tuple)) and any(isinstance(v, Node) for v in x):
            raise TypeError("x mixes Values with other things; pass a list of Values only")
        try:
            x = np.array(x, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(
                f"x must be a float array, a Tensor, a Value or a list of Values, got "
                f"{type(x).__name__} {x!r:.40}"
            ) from None
    _float_array(x, "x")
    grad_out = np.empty(x.shape)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        try:
            grad_out[idx] = _difference(partial(_set_and_call, f, x, idx), float(old), h, method, "f")
        finally:
            x[idx] = old
    return grad_out


def _set_and_call(f: Callable[[Any], Any], x: Any, where: Any, t: float) -> Any:
    if isinstance(where, Value):
        where.data = t
    else:
        x[where] = t
    return f(x)


def _float_array(a: Any, what: str) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype.kind != "f":
        raise TypeError(
            f"{what} has dtype {a.dtype}; finite differences need a float array "
            f"(an integer array cannot hold x + h): convert it with np.asarray({what}, float)"
        )
    return a


# ---- gradcheck ---------------------------------------------------------------------

def _validate_inputs(inputs: Any, what: str = "inputs") -> list[Node]:
    if isinstance(inputs, Node):
        inputs = [inputs]
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(
            f"{what} must be a list of Values/Tensors, got {type(inputs).__name__}; "
            "e.g. gradcheck(f, [mg.Value(1.0), mg.Tensor(arr, requires_grad=True)])"
        )
    if not inputs:
        raise ValueError(f"{what} is empty: pass the Values/Tensors to check")
    seen: dict[int, int] = {}
    for i, x in enumerate(inputs):
        if isinstance(x, np.ndarray) and x.dtype.kind in "biu":
            raise TypeError(
                f"{what}[{i}] is an integer array (dtype {x.dtype}); finite differences need floats: "
                "pass mg.Tensor(np.asarray(x, float), requires_grad=True)"
            )
        if not isinstance(x, Node):
            raise TypeError(
                f"{what}[{i}] is a {type(x).__name__} ({x!r:.40}), not a Value or Tensor; "
                "wrap numbers in mg.Value(...) and arrays in mg.Tensor(..., requires_grad=True)"
            )
        kind = np.asarray(x.data).dtype.kind
        if kind != "f":
            raise TypeError(
                f"{what}[{i}] holds {np.asarray(x.data).dtype} data; finite differences need floats "
                "(float64 is best)"
            )
        if id(x) in seen:
            raise ValueError(f"{what}[{seen[id(x)]}] and {what}[{i}] are the same node; pass it once")
        seen[id(x)] = i
    return list(inputs)


def _check_tolerances(eps: Any, atol: Any, rtol: Any) -> None:
    _check_step(eps, "eps")
    for name, v in (("atol", atol), ("rtol", rtol)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not v >= 0 or not math.isfinite(v):
            raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")


def _warn_float32(inputs: Sequence[Node], names: Sequence[str], fn: str) -> None:
    low = [n for x, n in zip(inputs, names) if np.asarray(x.data).dtype != np.float64]
    if low:
        warnings.warn(
            f"{fn}: {', '.join(low)} {'is' if len(low) == 1 else 'are'} not float64; finite "
            "differences in float32 are unreliable (round-off swamps the step). Use float64 "
            "inputs (mg.Tensor(x, dtype=np.float64)) for the check.",
            UserWarning,
            stacklevel=3,
        )


def _names(inputs: Sequence[Node]) -> list[str]:
    labels = [x.label or f"inputs[{i}]" for i, x in enumerate(inputs)]
    return [f"{n} (inputs[{i}])" if labels.count(n) > 1 else n for i, n in enumerate(labels)]


def _output(out: Any, what: str) -> Node:
    if isinstance(out, Node):
        return out
    if isinstance(out, (list, tuple)):
        raise TypeError(
            f"{what} returned a {type(out).__name__} of {len(out)} items; return one Value "
            "(e.g. mg.sum(values)) or one Tensor (e.g. mg.stack(tensors))"
        )
    raise TypeError(
        f"{what} returned a {type(out).__name__} ({out!r:.40}), not a Value or Tensor; build the "
        "result from the inputs with mg operations (a plain number has no graph to check)"
    )


class _State:
    """The data and grad of nodes, kept to put them back exactly."""

    def __init__(self, nodes: Sequence[Node]) -> None:
        self.saved = [(x, x.data, _copy(x.data), x.grad, _copy(x.grad)) for x in nodes]

    def restore(self) -> None:
        for x, data, data_copy, g, g_copy in self.saved:
            x.data, x.grad = data, g
            for now, before in ((data, data_copy), (g, g_copy)):
                if isinstance(now, np.ndarray) and not np.array_equal(now, before, equal_nan=True):
                    now[...] = before


def _copy(a: Any) -> Any:
    return a.copy() if isinstance(a, np.ndarray) else a


def _flat_data(node: Node) -> np.ndarray:
    return np.asarray(node.data, dtype=np.float64).reshape(-1)


def _analytic(outputs: Sequence[Node], inputs: Sequence[Node]) -> list[np.ndarray]:
    """Jacobian rows by vector-Jacobian products, one output element at a time."""
    n_out = sum(np.size(o.data) for o in outputs)
    jac = [np.zeros((n_out, np.size(x.data))) for x in inputs]
    row = 0
    for out in outputs:
        size = np.size(out.data)
        if isinstance(out, Tensor) and not out.requires_grad:
            row += size                  # a constant: its rows stay zero
            continue
        for k in range(size):
            seed = None
            if isinstance(out, Tensor):
                seed = [np.zeros(out.shape, dtype=out.dtype)]
                seed[0].reshape(-1)[k] = 1.0
            for j, g in enumerate(grad(out, inputs, grad_outputs=seed, allow_unused=True)):
                if g is not None:
                    jac[j][row] = np.asarray(g.data, dtype=np.float64).reshape(-1)
            row += 1
    return jac


def _numeric(evaluate: Callable[[], np.ndarray], inputs: Sequence[Node], n_out: int, eps: float,
             names: Sequence[str]) -> list[np.ndarray]:
    """Jacobian columns by central differences, one input element at a time."""
    jac = []
    for x, name in zip(inputs, names):
        original = x.data
        is_value = isinstance(x, Value)
        work = np.array(original, dtype=np.asarray(original).dtype)
        flat = work.reshape(-1)
        cols = np.zeros((n_out, flat.size))
        try:
            if not is_value:
                x.data = work
            for j in range(flat.size):
                old = flat[j]
                flat[j] = old + eps
                up = float(flat[j])
                if is_value:
                    x.data = up
                f_up = evaluate()
                flat[j] = old - eps
                down = float(flat[j])
                if is_value:
                    x.data = down
                f_down = evaluate()
                flat[j] = old
                if up == down:
                    raise ValueError(
                        f"eps={eps:g} is below the resolution of {work.dtype} at {name}={old!r}; "
                        "use float64 inputs or a larger eps"
                    )
                cols[:, j] = (f_up - f_down) / (up - down)
        finally:
            x.data = original
        jac.append(cols)
    return jac


def _compare(kind: str, inputs: Sequence[Node], names: Sequence[str], outputs: Sequence[Node],
             out_names: Sequence[str], evaluate: Callable[[], np.ndarray], eps: float, atol: float,
             rtol: float, raise_exception: bool, blame_from: Node | None = None) -> GradcheckResult:
    analytic = _analytic(outputs, inputs)
    numeric = _numeric(evaluate, inputs, analytic[0].shape[0], eps, names)
    rows = [(name, idx) for name, o in zip(out_names, outputs) for idx in np.ndindex(np.shape(o.data))]
    reports = [InputReport(name, pos, np.shape(x.data), a, n, rows, atol, rtol)
               for pos, (x, name, a, n) in enumerate(zip(inputs, names, analytic, numeric))]
    worst = max(reports, key=lambda r: r.worst_ratio).worst
    result = GradcheckResult(
        kind=kind, ok=all(r.ok for r in reports),
        max_abs_error=_nanmax(np.array([r.max_abs_error for r in reports])),
        max_rel_error=_nanmax(np.array([r.max_rel_error for r in reports])),
        worst=worst, inputs=reports, atol=atol, rtol=rtol, eps=eps,
    )
    if not result.ok and blame_from is not None:
        result.blame = find_culprit(blame_from, eps=eps, atol=atol, rtol=rtol)
    if not result.ok and raise_exception:
        assert worst is not None
        guilty = result.blame.culprit if result.blame is not None else None
        of = "" if worst.output_index == () else f" of output {_element(worst.output, worst.output_index)}"
        raise GradcheckError(
            (f"{kind} blames the {guilty.where}: its own rule is wrong.\n" if guilty else "") +
            f"{kind} failed at input {worst.input!r} (position {worst.position}), element "
            f"{worst.where}{of}: analytic {worst.analytic:.6g} vs numeric {worst.numeric:.6g}, "
            f"abs error {worst.abs_error:.3g}, rel error {worst.rel_error:.3g} "
            f"(allowed {atol + rtol * abs(worst.numeric):.3g}).\n{result}",
            result,
        )
    return result


def _nanmax(a: np.ndarray) -> float:
    if a.size == 0:
        return 0.0
    return math.nan if np.isnan(a).any() else float(a.max())


def _element(name: str, index: tuple) -> str:
    return name if index == () else f"{name}[{', '.join(str(i) for i in index)}]"


def _checked(inputs: Sequence[Node], names: Sequence[str], fn: str) -> tuple[list[Node], list[str]]:
    pairs = [(x, n) for x, n in zip(inputs, names) if x.requires_grad]
    if not pairs:
        raise ValueError(
            f"{fn}: no input requires grad; create the Tensors to check with requires_grad=True"
        )
    return [x for x, _ in pairs], [n for _, n in pairs]


def _prepare(f: Callable[..., Any], inputs: Sequence[Node], eps: float, atol: float, rtol: float,
             who: str) -> tuple[list[Node], list[Node], list[str], _State]:
    """Validate the arguments of a check; returns (inputs, checked, their names, saved state)."""
    if not callable(f):
        raise TypeError(f"f must be a function of the inputs, got {type(f).__name__}")
    inputs = _validate_inputs(inputs)
    _check_tolerances(eps, atol, rtol)
    names = _names(inputs)
    _warn_float32(inputs, names, who)
    checked, checked_names = _checked(inputs, names, who)
    return inputs, checked, checked_names, _State(inputs)


def gradcheck(f: Callable[..., Any], inputs: Sequence[Node], eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, blame: bool = False) -> GradcheckResult:
    """Compare autograd's gradients of ``f(*inputs)`` with central differences.

    ``f`` returns a Value or a Tensor (any shape: then every row of the
    Jacobian is checked). Tensors with ``requires_grad=False`` are constants
    and not checked. Inputs are left as they were (data and grad). On failure
    raises :class:`GradcheckError` naming the input, element, both values and
    errors, unless ``raise_exception=False``.

    With ``blame=True`` a failed check also checks each op's own rule
    (see :mod:`microgradx.blame`) and ``result.blame`` names the first op,
    nearest the inputs, whose backward disagrees with its forward.

    >>> import microgradx as mg
    >>> w = mg.Tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True, label="w")
    >>> print(gradcheck(lambda w: (w @ w).tanh(), [w]).ok)
    True
    """
    inputs, checked, checked_names, state = _prepare(f, inputs, eps, atol, rtol, "gradcheck")
    try:
        out = _output(f(*inputs), "f")
        shape = np.shape(out.data)

        def evaluate() -> np.ndarray:
            with no_grad():
                y = _output(f(*inputs), "f")
            if np.shape(y.data) != shape:
                raise ValueError(f"f returned shape {np.shape(y.data)} after returning {shape}")
            return _flat_data(y)

        return _compare("gradcheck", checked, checked_names, [out], [out.label or "out"], evaluate,
                        float(eps), float(atol), float(rtol), raise_exception, out if blame else None)
    finally:
        state.restore()


def gradgradcheck(f: Callable[..., Any], inputs: Sequence[Node], eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, raise_exception: bool = True, seed: int = 0) -> GradcheckResult:
    """Check second derivatives: differentiate autograd's first gradient again.

    The first gradients ``g_i = d(v . f)/d(input_i)`` (``v`` a fixed random
    weighting of a Tensor output, 1 for a scalar) are built with
    ``create_graph=True``; their Jacobian is compared, element by element,
    with central differences of the first gradients themselves.

    >>> import microgradx as mg
    >>> x = mg.Value(0.3, label="x")
    >>> gradgradcheck(lambda x: x.sin() * x.exp(), [x]).ok
    True
    """
    inputs, checked, checked_names, state = _prepare(f, inputs, eps, atol, rtol, "gradgradcheck")
    try:
        out = _output(f(*inputs), "f")
        weights = None
        if isinstance(out, Tensor) and out.data.size != 1:
            weights = [np.random.default_rng(seed).standard_normal(out.shape).astype(out.dtype)]

        def first(create_graph: bool) -> tuple:
            y = _output(f(*inputs), "f")
            if isinstance(y, Tensor) and not y.requires_grad:
                return (None,) * len(checked)
            return grad(y, checked, grad_outputs=weights, create_graph=create_graph, allow_unused=True)

        gs = first(True)

        def evaluate() -> np.ndarray:
            parts = [np.zeros(np.size(x.data)) if g is None else _flat_data(g)
                     for g, x in zip(first(False), checked)]
            return np.concatenate(parts)

        outs = [_zero_like(x) if g is None else g for g, x in zip(gs, checked)]
        return _compare("gradgradcheck", checked, checked_names, outs,
                        [f"d/d {n}" for n in checked_names], evaluate, float(eps), float(atol),
                        float(rtol), raise_exception)
    finally:
        state.restore()


def _zero_like(x: Node) -> Node:
    """The first gradient of an unused input: a constant zero of the input's shape."""
    return Value(0.0) if isinstance(x, Value) else Tensor(np.zeros(np.shape(x.data)))


def check_model(model: Any, loss_fn: Callable[[], Any], eps: float = 1e-6, atol: float = 1e-5,
                rtol: float = 1e-3, raise_exception: bool = True, blame: bool = False) -> GradcheckResult:
    """Check the gradient of ``loss_fn()`` for every parameter of ``model``, by name.

    ``loss_fn`` takes no arguments and builds the loss from the model (a
    Value or a one-element Tensor). Parameters and their grads are restored.
    ``blame=True`` names the op whose own rule is wrong, as in :func:`gradcheck`.

    >>> import microgradx as mg
    >>> model = mg.nn.MLP(2, [3, 1], seed=0)
    >>> res = check_model(model, lambda: (model([0.5, -1.0]) - 1.0) ** 2)
    >>> res.ok, res.inputs[0].name
    (True, 'layers.0.neurons.0.w.0')
    """
    if not hasattr(model, "named_parameters"):
        raise TypeError(f"model must be an mg.nn.Module, got {type(model).__name__}")
    if not callable(loss_fn):
        raise TypeError(
            f"loss_fn must be a function with no arguments that returns the loss, got "
            f"{type(loss_fn).__name__}"
        )
    named = list(model.named_parameters())
    if not named:
        raise ValueError(f"{type(model).__name__} has no parameters to check")
    _check_tolerances(eps, atol, rtol)
    names = [n for n, _ in named]
    params = _validate_inputs([p for _, p in named], "parameters")
    _warn_float32(params, names, "check_model")
    checked, checked_names = _checked(params, names, "check_model")
    state = _State(params)
    try:
        out = _output(loss_fn(), "loss_fn")
        shape = np.shape(out.data)

        def evaluate() -> np.ndarray:
            with no_grad():
                y = _output(loss_fn(), "loss_fn")
            if np.shape(y.data) != shape:
                raise ValueError(f"loss_fn returned shape {np.shape(y.data)} after returning {shape}")
            return _flat_data(y)

        return _compare("check_model", checked, checked_names, [out], ["loss"], evaluate,
                        float(eps), float(atol), float(rtol), raise_exception, out if blame else None)
    finally:
        state.restore()
