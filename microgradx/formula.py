"""Formulas typed by a person, such as ``"x**2 * sin(y)"``, parsed safely into a graph.

A formula is parsed with ``ast.parse(mode="eval")`` and every node is checked
against a whitelist before anything runs: numbers, variable names,
``+ - * / **``, unary ``-``/``+`` and one-argument calls of :data:`FUNCTIONS`.
Anything else (attributes, subscripts, lambdas, strings, keywords, text
longer than :data:`MAX_LENGTH`) is a ``ValueError`` naming the piece.
Nothing is ever passed to ``eval`` or ``exec``: the graph is built by walking
the checked tree with ``mg.Value`` variables.

One limit holds for ``**``: an exponent is at most :data:`MAX_EXPONENT` (100)
in size. An exponent made of numbers only (``x ** 101``, ``2 ** 2 ** 3``) is
checked when the formula is parsed; one that uses variables (``x ** y``) when
the formula is evaluated at a point. Where a function overflows or leaves its
domain the result is ``inf`` or ``nan``, as in NumPy; the few math functions
that raise instead (``sin`` of ``inf``) give a ``ValueError`` naming the call.

>>> f = parse_formula("tanh(w*x + b)")
>>> f.variables
('w', 'x', 'b')
>>> out, xs = f.build(parse_at("w=2,x=1,b=0"))
>>> round(out.data, 6), xs["w"].label
(0.964028, 'w')
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from . import ops
from .autograd import Node
from .value import Value

__all__ = ["Formula", "parse_formula", "parse_at", "FUNCTIONS", "MAX_LENGTH", "MAX_EXPONENT",
           "NON_DIFFERENTIABLE"]

FUNCTIONS = ("exp", "log", "sqrt", "tanh", "sigmoid", "relu", "sin", "cos", "softplus", "abs")
"""The functions a formula may call, each with one argument."""

NON_DIFFERENTIABLE = {"relu": 0.0, "abs": 0.0, "sqrt": 0.0, "log": 0.0}
"""The functions of :data:`FUNCTIONS` with a point where they have no derivative: the argument there
(the kinks of relu and abs, the ends of the domains of sqrt and log)."""

MAX_LENGTH = 500
MAX_DEPTH = 200
MAX_EXPONENT = 100.0
"""The largest size of an exponent of ``**``, for numbers and variables alike."""

_BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.FloorDiv: "//",
            ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>", ast.BitOr: "|",
            ast.BitAnd: "&", ast.BitXor: "^", ast.Invert: "~", ast.Not: "not"}
_KINDS = {
    ast.Attribute: "attribute access", ast.Subscript: "subscript", ast.Lambda: "lambda",
    ast.ListComp: "comprehension", ast.SetComp: "comprehension", ast.DictComp: "comprehension",
    ast.GeneratorExp: "comprehension", ast.Compare: "comparison", ast.BoolOp: "boolean operator",
    ast.IfExp: "conditional expression", ast.List: "list", ast.Tuple: "tuple", ast.Set: "set",
    ast.Dict: "dict", ast.NamedExpr: "assignment (:=)", ast.Starred: "starred argument",
    ast.JoinedStr: "f-string", ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield",
    ast.Slice: "slice",
}
_ALLOWED = (f"numbers, variable names, + - * / **, unary -, and one-argument calls of "
            f"{', '.join(FUNCTIONS)}")


def _piece(node: ast.AST) -> str:
    text = ast.unparse(node)
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _reject(what: str, node: ast.AST | None = None) -> ValueError:
    where = f" (column {node.col_offset + 1})" if node is not None and hasattr(node, "col_offset") else ""
    return ValueError(f"unsupported in a formula: {what}{where}; formulas may use {_ALLOWED}")


def _check_node(node: ast.AST) -> None:
    """Reject ``node`` unless it is one of the whitelisted kinds (children are checked apart)."""
    if isinstance(node, ast.Expression):
        return
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            raise _reject(f"operator {_SYMBOLS.get(type(node.op), type(node.op).__name__)!r}", node)
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise _reject(f"operator {_SYMBOLS.get(type(node.op), type(node.op).__name__)!r}", node)
    elif isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            kind = "string" if isinstance(v, (str, bytes)) else "constant"
            raise _reject(f"{kind} {v!r:.40}", node)
        try:
            finite = math.isfinite(float(v))
        except OverflowError:
            finite = False
        if not finite:
            raise _reject(f"number {_piece(node)} (too large to be a float)", node)
    elif isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            raise _reject(f"{node.id!r} without an argument (it is a function: write {node.id}(x))", node)
        if node.id.startswith("_"):
            raise _reject(f"name {node.id!r} (names may not start with '_')", node)
    elif isinstance(node, ast.Call):
        _check_call(node)
    elif isinstance(node, (ast.Load, ast.operator, ast.unaryop)):
        return
    else:
        kind = _KINDS.get(type(node), type(node).__name__)
        raise _reject(f"{kind} {_piece(node)}", node)


def _check_call(node: ast.Call) -> None:
    if isinstance(node.func, ast.Attribute):
        raise _reject(f"attribute access {_piece(node.func)}", node)
    if not isinstance(node.func, ast.Name):
        raise _reject(f"call of {_piece(node.func)} (only {', '.join(FUNCTIONS)} can be called)", node)
    name = node.func.id
    if name not in FUNCTIONS:
        raise _reject(f"unknown function {name!r} (known: {', '.join(FUNCTIONS)})", node)
    if node.keywords:
        raise _reject(f"keyword argument in {_piece(node)}", node)
    if any(isinstance(a, ast.Starred) for a in node.args):
        raise _reject(f"starred argument in {_piece(node)}", node)
    if len(node.args) != 1:
        raise _reject(f"{name}() with {len(node.args)} arguments in {_piece(node)} (it takes one)", node)


def _check_exponent(node: ast.BinOp) -> None:
    """An exponent made of numbers only is computed now and held to :data:`MAX_EXPONENT`."""
    if any(isinstance(sub, ast.Name) for sub in ast.walk(node.right)):
        return                                          # checked by _evaluate, at a point
    with np.errstate(all="ignore"):
        value = _evaluate(node.right, {})
    if not math.isfinite(value) or abs(value) > MAX_EXPONENT:
        raise _reject(f"exponent {_piece(node.right)} = {value:g} (at most {MAX_EXPONENT:g} in size)", node)


class Formula:
    """A checked formula: its text, its variables and a way to build its graph.

    >>> f = parse_formula("x**2 * sin(y)")
    >>> f.variables, round(f.evaluate({"x": 1.0, "y": 2.0}), 6)
    (('x', 'y'), 0.909297)
    """

    def __init__(self, text: str, tree: ast.Expression) -> None:
        self.text = text
        self.tree = tree
        seen: dict[str, None] = {}
        for node in _preorder(tree):
            if isinstance(node, ast.Name):
                seen.setdefault(node.id, None)
        self.variables: tuple[str, ...] = tuple(seen)

    def evaluate(self, env: Mapping[str, Any]) -> Any:
        """The formula with each variable replaced by ``env[name]`` (numbers, Values or Tensors)."""
        missing = [v for v in self.variables if v not in env]
        if missing:
            raise ValueError(f"no value for {', '.join(missing)} in formula {self.text!r}")
        return _evaluate(self.tree.body, env)

    def bind(self, at: Mapping[str, float]) -> dict[str, float]:
        """Check that ``at`` gives every variable and nothing else; return it in variable order."""
        missing = [v for v in self.variables if v not in at]
        unknown = [k for k in at if k not in self.variables]
        if not self.variables:
            raise ValueError(f"formula {self.text!r} has no variables to differentiate; use e.g. x * 2")
        if missing:
            example = ",".join(f"{v}=1.0" for v in self.variables)
            raise ValueError(
                f"missing value for {', '.join(missing)}: give every variable of {self.text!r} a "
                f"value, e.g. --at {example}"
            )
        if unknown:
            raise ValueError(
                f"unknown variable {', '.join(unknown)}: {self.text!r} uses only "
                f"{', '.join(self.variables)}"
            )
        return {v: float(at[v]) for v in self.variables}

    def build(self, at: Mapping[str, float]) -> tuple[Value, dict[str, Value]]:
        """The graph of the formula at ``at``: (output Value, {name: variable Value labelled name})."""
        xs = {name: Value(v, label=name) for name, v in self.bind(at).items()}
        out = self.evaluate(xs)
        if not isinstance(out, Node):   # a formula whose variables cancel out of the graph
            out = Value(out)
        return out, xs

    def kinks_near(self, at: Mapping[str, float], eps: float) -> list[tuple[str, str]]:
        """The calls that reach a point of :data:`NON_DIFFERENTIABLE` within ``eps`` of ``at``.

        Each variable is moved by ``-eps`` and ``+eps`` in turn, as a central
        difference does; a call is listed, as (function, call text), when its
        argument lands on the function's non-differentiable point or on both
        sides of it. There numerical and analytic derivatives may disagree.

        >>> parse_formula("relu(x) + abs(y - 1)").kinks_near({"x": 1e-7, "y": 2.0}, eps=1e-6)
        [('relu', 'relu(x)')]
        """
        point = self.bind(at)
        shifted = [point] + [{**point, name: point[name] + step} for name in point for step in (-eps, eps)]
        found = []
        for node in _preorder(self.tree):
            if not (isinstance(node, ast.Call) and node.func.id in NON_DIFFERENTIABLE):  # type: ignore
                continue
            name = node.func.id  # type: ignore[attr-defined]
            args = []
            for env in shifted:
                try:
                    with np.errstate(all="ignore"):
                        args.append(float(_evaluate(node.args[0], env)))
                except (ValueError, ArithmeticError):
                    continue
            args = [a for a in args if not math.isnan(a)]
            if args and min(args) <= NON_DIFFERENTIABLE[name] <= max(args):
                found.append((name, ast.unparse(node)))
        return found

    def __repr__(self) -> str:
        return f"Formula({self.text!r})"


def _children(node: ast.AST) -> list[ast.AST]:
    """The sub-expressions of ``node`` (a call's function name is not one)."""
    if isinstance(node, ast.Call):
        return [*node.args, *node.keywords]
    return list(ast.iter_child_nodes(node))


def _preorder(tree: ast.AST) -> list[ast.AST]:
    """Nodes in source order (left to right), without recursion."""
    out, stack = [], [tree]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(_children(node)))
    return out


def parse_formula(text: str) -> Formula:
    """Parse and check ``text``; raise ValueError naming any unsupported piece.

    >>> parse_formula("__import__('os')")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unsupported in a formula: unknown function '__import__' (known: exp, ...
    """
    if not isinstance(text, str):
        raise TypeError(f"a formula is a str, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"formula is {len(text)} characters long; the limit is {MAX_LENGTH}")
    if not text.strip():
        raise ValueError("the formula is empty; write one like 'x**2 * sin(y)'")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError) as e:
        msg = getattr(e, "msg", None) or str(e)
        raise ValueError(f"cannot parse formula {text!r}: {msg}") from None
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ValueError(f"formula is nested more than {MAX_DEPTH} levels deep; simplify it")
        _check_node(node)
        stack.extend((child, depth + 1) for child in reversed(_children(node)))
    for node in _preorder(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            _check_exponent(node)
    return Formula(text, tree)


def _evaluate(node: ast.AST, env: Mapping[str, Any]) -> Any:
    """Walk a checked tree: numbers stay floats, variables come from ``env``."""
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.UnaryOp):
        x = _evaluate(node.operand, env)
        return _apply(node, "-", (lambda v: -v), x) if isinstance(node.op, ast.USub) else x
    if isinstance(node, ast.BinOp):
        a, b = _evaluate(node.left, env), _evaluate(node.right, env)
        op = ops.OPS[_BINARY[type(node.op)]]
        if op.name == "pow":
            _check_power(node, b)
        if isinstance(a, float) and isinstance(b, float):
            return _apply(node, op.symbol, op.scalar, a, b)
        if isinstance(a, Node):
            method = {"add": a.__add__, "sub": a.__sub__, "mul": a.__mul__, "div": a.__truediv__,
                      "pow": a.__pow__}[op.name]
            return _apply(node, op.symbol, method, b)
        return _apply(node, op.symbol, _reflected, op.name, a, b)
    if isinstance(node, ast.Call):
        name = node.func.id  # type: ignore[attr-defined]
        x = _evaluate(node.args[0], env)
        if isinstance(x, float):
            return _apply(node, name, ops.OPS[name].scalar, x)
        return _apply(node, name, abs if name == "abs" else (lambda v: getattr(v, name)()), x)
    raise _reject(type(node).__name__, node)  # pragma: no cover - the check rejects it first


def _shown(x: Any) -> str:
    """A number (or a Value's number) for a message; arrays by their shape."""
    data = x.data if isinstance(x, Node) else x
    if isinstance(data, np.ndarray) and data.ndim:
        return f"an array of shape {data.shape}"
    try:
        return f"{float(data):g}"
    except (TypeError, ValueError):
        return type(data).__name__


def _apply(node: ast.AST, what: str, fn: Any, *args: Any) -> Any:
    """``fn(*args)``; an error on the way names the piece of the formula and its inputs."""
    try:
        return fn(*args)
    except (ArithmeticError, ValueError) as e:
        inputs = [a for a in args if not isinstance(a, str)]
        call = (f"{what}({_shown(inputs[0])})" if len(inputs) == 1
                else f" {what} ".join(_shown(a) for a in inputs))
        raise ValueError(f"cannot evaluate {_piece(node)} here: {call} fails ({e}); "
                         f"pick a point where it is defined") from None


def _check_power(node: ast.BinOp, exponent: Any) -> None:
    """Hold an exponent met while evaluating (numbers, Values or Tensors) to :data:`MAX_EXPONENT`."""
    data = exponent.data if isinstance(exponent, Node) else exponent
    size = float(np.nanmax(np.abs(np.asarray(data, dtype=float)), initial=0.0))
    if size > MAX_EXPONENT:
        raise ValueError(f"exponent {_piece(node.right)} is {size:g} in size, over the limit: exponents "
                         f"of ** are at most {MAX_EXPONENT:g} in size")


def _reflected(name: str, a: float, b: Any) -> Any:
    return {"add": b.__radd__, "sub": b.__rsub__, "mul": b.__rmul__, "div": b.__rtruediv__,
            "pow": b.__rpow__}[name](a)


def parse_at(spec: str) -> dict[str, float]:
    """Parse ``"x=1,y=2.5"`` into ``{"x": 1.0, "y": 2.5}`` with clear errors.

    >>> parse_at("x=1, y=-2.5e-1")
    {'x': 1.0, 'y': -0.25}
    """
    if not isinstance(spec, str):
        raise TypeError(f"--at is a str like 'x=1,y=2', got {type(spec).__name__}")
    out: dict[str, float] = {}
    if not spec.strip():
        return out
    for item in spec.split(","):
        item = item.strip()
        if not item:
            raise ValueError(f"empty entry in --at {spec!r}: write name=value pairs separated by commas")
        name, eq, text = (s.strip() for s in item.partition("="))
        if not eq:
            raise ValueError(f"bad entry {item!r} in --at: write name=value, e.g. x=1.5")
        if not name.isidentifier() or name.startswith("_") or name in FUNCTIONS:
            raise ValueError(f"bad variable name {name!r} in --at {spec!r}: use names like x, w1, bias")
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"bad value {text!r} for {name} in --at: not a number") from None
        if not math.isfinite(value):
            raise ValueError(f"value of {name} in --at must be finite, got {text!r}")
        if name in out:
            raise ValueError(f"{name} is given twice in --at {spec!r}")
        out[name] = value
    return out
