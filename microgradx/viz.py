"""Pictures of computation graphs, drawn with Graphviz.

Each Value or Tensor is a box (label, data, grad; tensors also shape, dtype
and their first few entries); each op is a small oval between its inputs and
its output, showing any number parameters it keeps (``* 3``, ``** 2``).
Leaves, parameters and intermediate results have their own colours, and a
NaN or infinite number is red. Big graphs are cut to the nodes nearest the
output, with a note that says how many were left out.

>>> import microgradx as mg
>>> x = mg.Value(2.0, label="x")
>>> dot = draw_dot((x * 3).tanh())
>>> "* 3" in dot.source
True
"""

from __future__ import annotations

import html
import math
import numbers
import os
import re
import shutil
from pathlib import Path
from typing import Any

import graphviz
import numpy as np

from .autograd import Node
from .ops import OPS

__all__ = ["draw_dot", "render_graph", "GraphvizNotFoundError", "MAX_NODES_LIMIT"]

MAX_NODES_LIMIT = 5000
"""The largest ``max_nodes`` accepted: beyond it Graphviz takes minutes to lay out."""

IMAGE_FORMATS = ("svg", "png", "pdf")
SUFFIXES = tuple("." + f for f in IMAGE_FORMATS) + (".dot",)
RANKDIRS = ("LR", "RL", "TB", "BT")
N_SHOWN = 3          # entries of a tensor shown in its box
N_CTX_SHOWN = 4      # number parameters of an op shown in its oval

# How each kind of node looks: fill, border and (for plain nodes) shape.
STYLES: dict[str, dict[str, str]] = {
    "leaf":         {"fill": "#eeeeee", "border": "#888888"},
    "parameter":    {"fill": "#cce0ff", "border": "#1f5fa8"},
    "intermediate": {"fill": "#ffffff", "border": "#333333"},
    "op":           {"fill": "#fff0c2", "border": "#a67c00", "shape": "ellipse"},
    "note":         {"fill": "#fff5f5", "border": "#aa0000", "shape": "note"},
}
BAD_COLOR = "red"          # NaN/Inf numbers and the border of their box
BAD_FILL = "#ffd9d9"


class GraphvizNotFoundError(RuntimeError):
    """The Graphviz ``dot`` program, needed to draw .svg/.png/.pdf, is not installed.

    >>> issubclass(GraphvizNotFoundError, RuntimeError)
    True
    """


def _install_message(path: Path) -> str:
    return (
        f"cannot draw {str(path)!r}: the Graphviz 'dot' program is not on PATH. "
        "Install Graphviz: 'apt-get install graphviz' (Debian/Ubuntu), "
        "'brew install graphviz' (macOS), 'conda install graphviz' (conda), "
        "or see https://graphviz.org/download/ . "
        "A .dot file (render_graph(root, 'graph.dot')) still writes without it."
    )


# ---- formatting ------------------------------------------------------------

def _fmt(x: Any) -> str:
    """A number, compactly: 4 significant digits for reals, ints in full."""
    if isinstance(x, Node):
        x = x.data
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, numbers.Integral):
        return str(int(x))
    if isinstance(x, numbers.Real):
        return f"{float(x):.4g}"
    return str(x)


def _finite(x: Any) -> bool:
    if isinstance(x, Node):
        x = x.data
    if isinstance(x, numbers.Real):
        return math.isfinite(x)
    try:
        return bool(np.isfinite(x).all())
    except TypeError:
        return True


def _is_tensor(node: Any) -> bool:
    return hasattr(node, "shape") and hasattr(node, "dtype") and isinstance(node.data, np.ndarray)


def _preview(a: Any) -> str:
    """The first few entries of an array: ``[1, 2, 3, …]``."""
    if isinstance(a, Node):
        a = a.data
    a = np.asarray(a)
    if a.ndim == 0:
        return _fmt(a.item())
    shown = ", ".join(_fmt(v) for v in a.ravel()[:N_SHOWN].tolist())
    return f"[{shown}, …]" if a.size > N_SHOWN else f"[{shown}]"


def _kind(node: Node) -> str:
    if node.parents:
        return "intermediate"
    if _is_tensor(node):
        return "parameter" if getattr(node, "requires_grad", False) else "leaf"
    return "parameter" if node.label else "leaf"


# ---- labels ----------------------------------------------------------------

def _cell(text: str, bad: bool = False, bold: bool = False) -> str:
    text = html.escape(text, quote=False).replace("\n", "<BR/>")
    if bold:
        text = f"<B>{text}</B>"
    if bad:
        return f'<TD BGCOLOR="{BAD_FILL}"><FONT COLOR="{BAD_COLOR}">{text}</FONT></TD>'
    return f"<TD>{text}</TD>"


def _node_label(node: Node, show_grad: bool) -> str:
    """An HTML-like Graphviz label: one table row of cells."""
    cells = []
    if node.label:
        cells.append(_cell(str(node.label), bold=True))
    tensor = _is_tensor(node)
    if tensor:
        cells.append(_cell(f"{tuple(node.shape)} {node.dtype}"))
        data = f"data {_preview(node.data)}"
    else:
        data = f"data {_fmt(node.data)}"
    bad = not _finite(node.data)
    cells.append(_cell(data, bad=bad))
    if show_grad:
        g = node.grad
        if g is None:
            cells.append(_cell("grad None"))
        else:
            g_bad = not _finite(g)
            bad = bad or g_bad
            cells.append(_cell(f"grad {_preview(g) if tensor else _fmt(g)}", bad=g_bad))
    style = STYLES[_kind(node)]
    border = BAD_COLOR if bad else style["border"]
    return (
        f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="4" '
        f'COLOR="{border}" BGCOLOR="{style["fill"]}"><TR>{"<VR/>".join(cells)}</TR></TABLE>>'
    )


def _ctx_numbers(ctx: Any) -> list[str]:
    """The number parameters an op keeps (``3`` in ``x * 3``), formatted."""
    if not isinstance(ctx, (tuple, list)):
        return []
    out = []
    for c in ctx:
        if isinstance(c, numbers.Number) and not isinstance(c, (bool, np.bool_)):
            out.append(_fmt(c))
        elif (isinstance(c, tuple) and 0 < len(c) <= N_CTX_SHOWN
              and all(isinstance(v, numbers.Integral) for v in c)):
            out.append(str(tuple(int(v) for v in c)))
    return out[:N_CTX_SHOWN]


def _op_label(node: Node) -> str:
    name = node.op or "?"
    op = OPS.get(name)
    symbol = op.symbol if op is not None else name
    return " ".join([symbol, *_ctx_numbers(node._ctx)])


# ---- parameter names -------------------------------------------------------

def short_name(name: str) -> str:
    """A parameter's dotted name, shortened for a picture: ``layers.0.neurons.1.w.0`` -> ``L0.n1.w0``.

    >>> short_name("layers.0.neurons.1.w.0"), short_name("w.1"), short_name("b")
    ('L0.n1.w0', 'w1', 'b')
    """
    name = re.sub(r"\.(\d+)", r"\1", name)
    return name.replace("layers", "L").replace("neurons", "n")


def param_names(params: Any) -> dict[int, str]:
    """``id(parameter) -> short name`` from ``model.named_parameters()``, a dict name -> parameter, or None.

    >>> import microgradx as mg
    >>> n = mg.nn.Neuron(2, seed=0)
    >>> sorted(param_names(n.named_parameters()).values())
    ['b', 'w0', 'w1']
    """
    if params is None:
        return {}
    if isinstance(params, dict):
        params = params.items()
    if hasattr(params, "named_parameters"):
        params = params.named_parameters()
    out: dict[int, str] = {}
    try:
        pairs = list(params)
    except TypeError:
        pairs = None
    if pairs is None or not all(isinstance(p, tuple) and len(p) == 2 for p in pairs):
        raise TypeError(
            "params must be model.named_parameters() (pairs of name and parameter) or a dict "
            f"name -> parameter, got {type(params).__name__}"
        )
    for name, p in pairs:
        if not isinstance(p, Node):
            raise TypeError(f"params: {name!r} is a {type(p).__name__}, not a mg.Value or mg.Tensor")
        out[id(p)] = short_name(str(name))
    return out


# ---- the graph -------------------------------------------------------------

def _nearest_first(root: Node) -> list[Node]:
    """Every node below root, once each, nearest first (iterative BFS)."""
    order = [root]
    seen = {id(root)}
    add, append = seen.add, order.append
    for node in order:          # the list grows while it is walked: a queue
        for p in node.parents:
            if id(p) not in seen:
                add(id(p))
                append(p)
    return order


def _check_args(root: Any, rankdir: Any, max_nodes: Any, show_grad: Any) -> None:
    if not isinstance(root, Node):
        raise TypeError(
            f"draw_dot needs a graph node (a mg.Value or mg.Tensor), got "
            f"{type(root).__name__} {root!r}"
        )
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, numbers.Integral):
        raise TypeError(f"max_nodes must be an int, got {type(max_nodes).__name__} {max_nodes!r}")
    if max_nodes < 1:
        raise ValueError(f"max_nodes must be at least 1, got {max_nodes}")
    if max_nodes > MAX_NODES_LIMIT:
        raise ValueError(
            f"max_nodes={max_nodes} is over the limit of {MAX_NODES_LIMIT}: Graphviz would "
            f"take minutes to lay out that many nodes and the picture would be unreadable. "
            f"Use max_nodes <= {MAX_NODES_LIMIT} (the picture is then cut, with a note), "
            "or draw a smaller part of the graph"
        )
    if not isinstance(show_grad, (bool, np.bool_)):
        raise TypeError(f"show_grad must be True or False, got {show_grad!r}")


def draw_dot(
    root: Node, rankdir: str = "LR", max_nodes: int = 500, show_grad: bool = True
) -> graphviz.Digraph:
    """The graph that computed ``root``, as a ``graphviz.Digraph``.

    Shows in Jupyter as is; ``render_graph`` writes it to a file. Only the
    ``max_nodes`` nodes nearest ``root`` are drawn (at most
    ``MAX_NODES_LIMIT``); a note says how many more there are.

    >>> import microgradx as mg
    >>> x = mg.Value(2.0, label="x")
    >>> y = x ** 2; y.backward()
    >>> src = draw_dot(y).source
    >>> "** 2" in src, "grad 4" in src
    (True, True)
    """
    _check_args(root, rankdir, max_nodes, show_grad)
    order = _nearest_first(root)
    drawn = order[:max_nodes]
    left_out = len(order) - len(drawn)
    drawn_ids = {id(n) for n in drawn}

    op_style = STYLES["op"]
    dot = graphviz.Digraph(
        graph_attr={"rankdir": rankdir},
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
        edge_attr={"arrowsize": "0.7"},
    )
    cut_ops = []
    for node in drawn:
        name = str(id(node))
        dot.node(name, label=_node_label(node, show_grad), shape="plain")
        if not node.parents:
            continue
        op_name = name + "op"
        dot.node(op_name, label=_op_label(node), shape=op_style["shape"], style="filled",
                 fillcolor=op_style["fill"], color=op_style["border"], fontsize="10",
                 margin="0.04,0.02", height="0.3")
        dot.edge(op_name, name)
        for p in node.parents:
            if id(p) in drawn_ids:
                dot.edge(str(id(p)), op_name)
        if not all(id(p) in drawn_ids for p in node.parents):
            cut_ops.append(op_name)
    if left_out:
        note = STYLES["note"]
        dot.node("not_drawn", label=f"… {left_out:,} more nodes not drawn (max_nodes={max_nodes})",
                 shape=note["shape"], style="filled", fillcolor=note["fill"],
                 color=note["border"], fontcolor=note["border"])
        for op_name in cut_ops:
            dot.edge("not_drawn", op_name, style="dashed", color=note["border"])
    return dot


def render_graph(
    root: Node,
    path: str | os.PathLike[str],
    *,
    rankdir: str = "LR",
    max_nodes: int = 500,
    show_grad: bool = True,
) -> Path:
    """Draw the graph of ``root`` to ``path``: .svg, .png or .pdf by suffix, or .dot.

    A .dot file is the Graphviz source and needs no Graphviz program; the
    images need ``dot`` (else :class:`GraphvizNotFoundError`). Keyword
    arguments are those of :func:`draw_dot`. Returns the path written.

    >>> import microgradx as mg, tempfile, os
    >>> x = mg.Value(2.0, label="x")
    >>> p = render_graph(x * 3, os.path.join(tempfile.mkdtemp(), "g.dot"))
    >>> p.suffix, p.read_text().startswith("digraph")
    ('.dot', True)
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or pathlib.Path, got {type(path).__name__} {path!r}")
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(
            f"cannot tell the picture format from {str(path)!r}: the file name must end in "
            f"one of {', '.join(SUFFIXES)}"
        )
    dot = draw_dot(root, rankdir=rankdir, max_nodes=max_nodes, show_grad=show_grad)
    if suffix == ".dot":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dot.source, encoding="utf-8")
        return path
    if shutil.which("dot") is None:
        raise GraphvizNotFoundError(_install_message(path))
    try:
        image = dot.pipe(format=suffix[1:])
    except graphviz.ExecutableNotFound as e:
        raise GraphvizNotFoundError(_install_message(path)) from e
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(image)
    return path
