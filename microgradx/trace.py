"""Evaluation traces: a computation as a table of primal values and adjoints.

The table of Baydin et al., "Automatic differentiation in machine learning:
a survey" (JMLR 2018): the inputs are ``v_{1-n} ... v_0``, each intermediate
result ``v_i`` gets one row with its op, its arguments, its value (primal) and
its adjoint ``v̄_i = d(output)/d(v_i)``. The adjoints are the engine's own: the
contributions of :func:`mg.backward_steps <microgradx.autograd.backward_steps>`
summed per node. A ``tangent`` column (forward mode) appears when tangents are
given as a dict node -> tangent.

>>> import microgradx as mg
>>> t = trace(lambda x1, x2: x1.log() + x1 * x2 - x2.sin(), x1=2.0, x2=5.0)
>>> [(r.name, round(r.value, 3)) for r in t.rows][-1], round(t.rows[0].adjoint, 3)
(('v5', 11.652), 5.5)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np

from .autograd import Node, backward_steps, topological_order
from .forward import forward_tangents
from .value import Value

__all__ = ["Trace", "TraceRow", "trace", "forward_order", "trace_name", "adjoints"]

# How a row's expression reads, per op: (plain text, LaTeX). {0}, {1} are the arguments.
_TEMPLATES: dict[str, tuple[str, str]] = {
    "add": ("{0} + {1}", "{0} + {1}"),
    "sub": ("{0} − {1}", "{0} - {1}"),
    "mul": ("{0} × {1}", "{0} \\times {1}"),
    "div": ("{0} / {1}", "{0} / {1}"),
    "pow": ("{0} ^ {1}", "{0}^{{{1}}}"),
    "neg": ("−{0}", "-{0}"),
    "log": ("ln {0}", "\\ln {0}"),
    "exp": ("exp {0}", "\\exp {0}"),
    "sin": ("sin {0}", "\\sin {0}"),
    "cos": ("cos {0}", "\\cos {0}"),
    "tanh": ("tanh {0}", "\\tanh {0}"),
    "sqrt": ("√{0}", "\\sqrt{{{0}}}"),
    "abs": ("|{0}|", "\\lvert {0} \\rvert"),
}
_SUBSCRIPTS = str.maketrans("-0123456789", "₋₀₁₂₃₄₅₆₇₈₉")
_LATEX_SPECIALS = str.maketrans({c: "\\" + c for c in "&%$#_{}"})


def trace_name(index: int, style: str = "text") -> str:
    """The name of row ``index``: ``v-1`` (text), ``v₋₁`` (unicode), ``v_{-1}`` (latex).

    >>> trace_name(-1), trace_name(-1, "unicode"), trace_name(-1, "latex")
    ('v-1', 'v₋₁', 'v_{-1}')
    """
    if style == "unicode":
        return "v" + str(index).translate(_SUBSCRIPTS)
    if style == "latex":
        return f"v_{{{index}}}"
    return f"v{index}"


def forward_order(root: Node) -> list[Node]:
    """Every node below ``root`` in the order a forward pass computes them.

    Leaves first (as a left-to-right walk meets them), then the results by
    depth (one more than their deepest input) and, within one depth, from left
    to right. This is the order of the survey's tables: f = ln x1 + x1 x2 - sin x2
    gives ln, ×, sin, +, −. Iterative: any depth works.

    >>> import microgradx as mg
    >>> x = mg.Value(2.0); y = mg.Value(5.0)
    >>> [n.op for n in forward_order(x.log() + x * y - y.sin())]
    ['', '', 'log', 'mul', 'sin', 'add', 'sub']
    """
    post: list[Node] = []
    depth: dict[int, int] = {}
    stack: list[tuple[Node, tuple, int]] = [(root, root.parents, 0)]
    seen = {id(root)}
    while stack:                      # depth-first, parents in order, each node after its parents
        node, parents, i = stack.pop()
        if i < len(parents):
            stack.append((node, parents, i + 1))
            p = parents[i]
            if id(p) not in seen:
                seen.add(id(p))
                stack.append((p, p.parents, 0))
        else:
            post.append(node)
            depth[id(node)] = 1 + max([depth[id(p)] for p in parents], default=-1)
    place = {id(n): i for i, n in enumerate(post)}
    leaves = [n for n in post if not n.parents]
    results = sorted((n for n in post if n.parents), key=lambda n: (depth[id(n)], place[id(n)]))
    return leaves + results


def adjoints(output: Node, steps: list | None = None) -> dict[int, Any]:
    """d(output)/d(node) for every node the backward pass reaches, by ``id(node)``.

    The sum of the contributions of :func:`backward_steps` (the engine's pass).

    >>> import microgradx as mg
    >>> x = mg.Value(3.0); y = x * x
    >>> adjoints(y)[id(x)]
    6.0
    """
    steps = backward_steps(output) if steps is None else steps
    seed = output._seed(None)
    got: dict[int, Any] = {id(output): seed.data if isinstance(seed, Node) else seed}
    for s in steps:
        k = id(s.input)
        got[k] = s.contribution if k not in got else got[k] + s.contribution
    return got


class TraceRow(NamedTuple):
    """One row of a trace: ``v_index = op(args) = value``, its adjoint and tangent."""

    index: int
    node: Node
    op: str
    args: tuple            # argument rows (int indices) and numbers the op keeps (floats)
    value: Any
    adjoint: Any           # None: no gradient reaches this node
    tangent: Any           # None unless tangents were given

    @property
    def name(self) -> str:
        """``v-1``, ``v0``, ``v1`` ...; the output too is a ``v``."""
        return trace_name(self.index)

    def expression(self, style: str = "text") -> str:
        """What the row computes: ``v-1 × v0`` (text/unicode) or ``v_{-1} \\times v_{0}`` (latex)."""
        if self.op == "":
            label = self.node.label
            if not label:
                return "input"
            return str(label).translate(_LATEX_SPECIALS) if style == "latex" else str(label)
        names = [trace_name(a, style) if isinstance(a, int) else _number(a) for a in self.args]
        template = _TEMPLATES.get(self.op)
        if template and len(names) == (2 if "{1}" in template[0] else 1):
            return template[1 if style == "latex" else 0].format(*names)
        op = self.op.replace("_", "\\_") if style == "latex" else self.op
        return f"{op}({', '.join(names)})"


def _number(x: Any) -> str:
    """A number for a table: 6 significant digits; an array as its shape and first entries."""
    if x is None:
        return "—"
    if isinstance(x, Node):
        x = x.data
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, numbers.Integral):
        return str(int(x))
    if isinstance(x, numbers.Real):
        return f"{float(x):.6g}"
    a = np.asarray(x)
    if a.ndim == 0:
        return _number(a.item())
    head = ", ".join(_number(v) for v in a.ravel()[:3].tolist())
    more = ", …" if a.size > 3 else ""
    return f"{'×'.join(map(str, a.shape))} [{head}{more}]"


class Trace:
    """The evaluation trace of the graph below ``output``, one :class:`TraceRow` per node.

    ``inputs``: the nodes to number first (``v_{1-n} ... v_0`` in this order);
    other leaves follow them. ``tangents``: a dict node -> tangent adds a
    ``tangent`` column (forward mode fills it). ``str(trace)`` is a text table;
    :meth:`to_markdown` and :meth:`to_latex` give the same table.

    >>> import microgradx as mg
    >>> x = mg.Value(2.0, label="x")
    >>> print(Trace(x * x + 1))
    v   op   expression  value  adjoint
    v0       x           2      4
    v1  mul  v0 × v0     4      1
    v2  add  v1 + 1      5      1
    """

    def __init__(self, output: Node, inputs: list[Node] | None = None,
                 tangents: Mapping[Node, Any] | None = None) -> None:
        if not isinstance(output, Node):
            raise TypeError(
                f"a trace needs a graph output (a mg.Value or mg.Tensor), "
                f"got {type(output).__name__} {output!r}"
            )
        if np.size(output.data) != 1:
            raise ValueError(f"a trace needs one output number; this output has shape "
                             f"{np.shape(output.data)}: reduce it first, e.g. mg.trace(y.sum())")
        order = forward_order(output)
        first = list(inputs or [])
        in_graph = {id(n) for n in order}
        for x in first:
            if id(x) not in in_graph:
                raise ValueError(f"input {x!r} is not used to compute the output; "
                                 "drop it from the trace inputs")
        given = {id(x) for x in first}
        leaves = first + [n for n in order if not n.parents and id(n) not in given]
        results = [n for n in order if n.parents]
        self.output = output
        steps = backward_steps(output) if output.requires_grad else []
        adj = adjoints(output, steps) if output.requires_grad else {}
        tan = {id(k): v for k, v in tangents.items()} if tangents is not None else None
        self.has_tangent = tan is not None
        number: dict[int, int] = {}
        rows: list[TraceRow] = []
        for i, n in enumerate(leaves):
            number[id(n)] = i + 1 - len(leaves)
        for i, n in enumerate(results):
            number[id(n)] = i + 1
        for n in leaves + results:
            args = tuple(number[id(p)] for p in n.parents)
            args += tuple(float(c) for c in (n._ctx or ()) if isinstance(c, numbers.Real)
                          and not isinstance(c, (bool, np.bool_)))
            rows.append(TraceRow(number[id(n)], n, n.op, args, n.data, adj.get(id(n)),
                                 None if tan is None else tan.get(id(n))))
        self.rows: list[TraceRow] = rows
        self.steps = steps

    def row_of(self, node: Node) -> TraceRow:
        """The row of ``node`` (KeyError if the node is not in the trace)."""
        for r in self.rows:
            if r.node is node:
                return r
        raise KeyError(f"{node!r} is not in this trace")

    def _table(self, style: str) -> tuple[list[str], list[list[str]]]:
        header = ["v", "op", "expression", "value"]
        if self.has_tangent:
            header.append("tangent")
        header.append("adjoint")
        body = []
        for r in self.rows:
            cells = [trace_name(r.index, style), r.op, r.expression(style), _number(r.value)]
            if self.has_tangent:
                cells.append(_number(r.tangent))
            cells.append(_number(r.adjoint))
            body.append(cells)
        return header, body

    def __str__(self) -> str:
        header, body = self._table("text")
        widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in [header, *body]]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Trace({len(self.rows)} rows, output {trace_name(self.rows[-1].index)})"

    def to_markdown(self) -> str:
        """The table in Markdown (GitHub's pipe tables); row names as ``v₋₁``.

        >>> import microgradx as mg
        >>> print(Trace(mg.Value(2.0) * 3).to_markdown().splitlines()[2])
        | v₀ |  | input | 2 | 3 |
        """
        header, body = self._table("unicode")
        header = [{"adjoint": "adjoint v̄", "tangent": "tangent v̇"}.get(h, h) for h in header]
        cells = [[c.replace("|", "\\|") for c in row] for row in body]
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in cells]
        return "\n".join(lines)

    def to_latex(self) -> str:
        """The table as a LaTeX ``tabular`` (row names and expressions in math mode).

        >>> import microgradx as mg
        >>> print(Trace(mg.Value(2.0) * 3).to_latex().splitlines()[4])
        $v_{1}$ & mul & $v_{0} \\times 3$ & $6$ & $1$ \\\\
        """
        header, body = self._table("latex")
        cols = "l" * len(header)
        head = {"v": "", "op": "op", "expression": "", "value": "value",
                "tangent": "$\\dot v_i$", "adjoint": "$\\bar v_i$"}
        lines = [f"\\begin{{tabular}}{{{cols}}}", " & ".join(head[h] for h in header) + " \\\\", "\\hline"]
        for row in body:
            cells = [f"${row[0]}$", row[1].replace("_", "\\_"), f"${row[2]}$" if row[1] else row[2],
                     *[f"${c}$" if c != "—" else c for c in row[3:]]]
            lines.append(" & ".join(cells) + " \\\\")
        lines.append("\\end{tabular}")
        return "\n".join(lines)


def _forward_tangents(output: Node, seeds: Mapping[Node, Any]) -> dict[Node, Any]:
    """Tangent of every node for the input tangents ``seeds``, from the engine's forward mode
    (a node the seeds do not reach has tangent 0)."""
    found = forward_tangents(output, seeds)
    return {n: found.get(id(n), 0.0 * np.asarray(n.data)) for n in topological_order([output])}


def trace(f: Callable[..., Any] | Node, *, tangent: Mapping[str, float] | None = None,
          **inputs: float) -> Trace:
    """The evaluation trace of ``f`` at ``inputs`` (or of an existing output ``f``).

    ``f(**Values)`` is called with one ``mg.Value`` per keyword, labelled by its
    name and numbered ``v_{1-n} ... v_0`` in keyword order. ``tangent``
    ({input name: tangent}) asks for a forward-mode column.

    >>> t = trace(lambda x1, x2: x1 * x2, x1=2.0, x2=5.0)
    >>> print(t)
    v    op   expression  value  adjoint
    v-1       x1          2      5
    v0        x2          5      2
    v1   mul  v-1 × v0    10     1
    """
    if isinstance(f, Node):
        if inputs:
            raise TypeError("trace(y) of an existing output takes no input values; "
                            "use trace(f, x1=..., ...) with a function to set them")
        if tangent is not None:
            raise TypeError("trace(y, tangent=...) needs the input names: call trace(f, x1=..., tangent=...)")
        return Trace(f)
    if not callable(f):
        raise TypeError("trace needs a function or a graph output (mg.Value/mg.Tensor), "
                        f"got {type(f).__name__}")
    if not inputs:
        raise TypeError("trace(f, ...) needs the input values as keywords, e.g. trace(f, x1=2.0, x2=5.0)")
    xs: dict[str, Node] = {}
    for name, v in inputs.items():
        if isinstance(v, Node):
            xs[name] = v
            continue
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real) or not math.isfinite(v):
            raise TypeError(f"trace input {name} must be a finite number, got {v!r}")
        xs[name] = Value(float(v), label=name)
    y = f(**xs)
    if not isinstance(y, Node):
        raise TypeError(f"trace: f returned {type(y).__name__} {y!r}, not a mg.Value or mg.Tensor "
                        "built from its inputs")
    used = {id(n) for n in topological_order([y])}
    named = [x for x in xs.values() if id(x) in used]
    tangents = None
    if tangent is not None:
        unknown = [k for k in tangent if k not in xs]
        if unknown:
            raise ValueError(f"tangent names {', '.join(unknown)} are not inputs; inputs are {', '.join(xs)}")
        tangents = _forward_tangents(y, {xs[k]: v for k, v in tangent.items()})
    return Trace(y, named, tangents)
