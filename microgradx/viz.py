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
import tempfile
from pathlib import Path
from typing import Any

import graphviz
import numpy as np

from .autograd import Node
from .ops import OPS

__all__ = ["draw_dot", "render_graph", "GraphvizNotFoundError", "MAX_NODES_LIMIT", "param_names"]

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


def _install_message(path: Path | str) -> str:
    what = f"draw {str(path)!r}" if isinstance(path, Path) else path
    return (
        f"cannot {what}: the Graphviz 'dot' program is not on PATH. "
        "Install Graphviz: 'apt-get install graphviz' (Debian/Ubuntu), "
        "'brew install graphviz' (macOS), 'conda install graphviz' (conda), "
        "or see https://graphviz.org/download/ . "
        "A .dot file (render_graph(root, 'graph.dot')) still writes without it."
    )


class _Digraph(graphviz.Digraph):
    """A ``graphviz.Digraph`` that, shown in Jupyter without Graphviz, shows how to install it.

    Jupyter shows a Digraph by running ``dot``; where it is missing, graphviz
    raises ``ExecutableNotFound`` from inside the display machinery. This one
    shows :func:`_install_message` instead, as text (and as HTML in a notebook).
    """

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict[str, Any]:
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except graphviz.ExecutableNotFound:
            message = _install_message("show this graph")
            box = ('<pre style="white-space: pre-wrap; border: 1px solid #aa0000; background: #fff5f5; '
                   'padding: 0.5em">')
            return {"text/plain": message, "text/html": f"{box}{html.escape(message)}</pre>"}


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


EXPANDABLE = ("dot", "dot_relu", "linear", "linear_relu")
"""Fused ops that ``expand=True`` draws as their parts (products, a sum, relu)."""
PNG_DPI = 96
PNG_MAX_PX = 8000
"""Longest side of a PNG, in pixels: beyond it the picture is cut (never shrunk) so its text stays legible."""
PNG_SURE_FITS = 150
"""Boxes and ovals that fit within PNG_MAX_PX even in one column: below this no layout is measured."""


def _node_label(node: Node, show_grad: bool, name: str = "") -> str:
    """An HTML-like Graphviz label: one table row of cells (label or parameter name, data, grad)."""
    cells = []
    title = str(node.label) if node.label else name
    if title:
        cells.append(_cell(title, bold=True))
    tensor = _is_tensor(node)
    if tensor:
        cells.append(_cell(f"{tuple(node.shape)} {node.dtype}"))
        data = f"data {_preview(node.data)}"
    else:
        data = f"data {_fmt(node.data)}"
    bad = not _finite(node.data)
    cells.append(_cell(data, bad=bad))
    g = node.grad
    # a Tensor that is not a leaf keeps a gradient only when it was retained: show it then, else nothing
    if show_grad and not (tensor and g is None and (node.parents or not node.requires_grad)):
        if g is None:
            cells.append(_cell("grad None"))
        else:
            g_bad = not _finite(g)
            bad = bad or g_bad
            cells.append(_cell(f"grad {_preview(g) if tensor else _fmt(g)}", bad=g_bad))
    kind = "parameter" if name and not node.parents else _kind(node)
    style = STYLES[kind]
    border = BAD_COLOR if bad else style["border"]
    return (
        f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="4" '
        f'COLOR="{border}" BGCOLOR="{style["fill"]}"><TR>{"<VR/>".join(cells)}</TR></TABLE>>'
    )


def _part_label(title: str, data: Any, grad: Any, show_grad: bool) -> str:
    """The label of a box drawn for a part of a fused node (it is no node of the graph)."""
    cells = [_cell(title, bold=True)] if title else []
    tensor = isinstance(data, np.ndarray) and data.ndim > 0
    if tensor:
        cells.append(_cell(f"{tuple(data.shape)} {data.dtype}"))
    cells.append(_cell(f"data {_preview(data) if tensor else _fmt(data)}", bad=not _finite(data)))
    if show_grad and grad is not None:
        cells.append(_cell(f"grad {_preview(grad) if tensor else _fmt(grad)}", bad=not _finite(grad)))
    style = STYLES["intermediate"]
    return (
        f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="4" STYLE="dashed" '
        f'COLOR="{style["border"]}" BGCOLOR="{style["fill"]}"><TR>{"<VR/>".join(cells)}</TR></TABLE>>'
    )


def _check_args(root: Any, rankdir: Any, max_nodes: Any, show_grad: Any, expand: Any = False) -> None:
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
    if not isinstance(expand, (bool, np.bool_)):
        raise TypeError(f"expand must be True or False, got {expand!r}")


class _Drawing:
    """The Digraph being built: node and op boxes in the package's styles."""

    def __init__(self, rankdir: str, show_grad: bool, names: dict[int, str]) -> None:
        self.show_grad = show_grad
        self.names = names
        self.dot = _Digraph(
            graph_attr={"rankdir": rankdir, "ranksep": "0.3", "nodesep": "0.12"},
            node_attr={"fontname": "Helvetica", "fontsize": "11"},
            edge_attr={"arrowsize": "0.7"},
        )

    def box(self, node: Node) -> str:
        name = str(id(node))
        self.dot.node(name, label=_node_label(node, self.show_grad, self.names.get(id(node), "")),
                      shape="plain")
        return name

    def part(self, name: str, title: str, data: Any, grad: Any) -> str:
        self.dot.node(name, label=_part_label(title, data, grad, self.show_grad), shape="plain")
        return name

    def op(self, name: str, label: str) -> str:
        style = STYLES["op"]
        self.dot.node(name, label=label, shape=style["shape"], style="filled", fillcolor=style["fill"],
                      color=style["border"], fontsize="10", margin="0.04,0.02", height="0.3")
        return name

    def title(self, node: Node) -> str:
        return str(node.label) if node.label else self.names.get(id(node), "")


def _relu_gate(node: Node) -> Any:
    """d relu/d z at the node's output, as data (1 where the output is positive)."""
    return (np.asarray(node.data) > 0).astype(float) if _is_tensor(node) else float(node.data > 0)


def _expand_node(d: _Drawing, node: Node, drawn_ids: set) -> list[str]:
    """Draw a fused node as micrograd would: products, a sum, relu. Returns the inner op names
    that wait for inputs (for the cut note). Drawing only: the graph is not changed."""
    name = str(id(node))
    parents = node.parents
    relu = node.op in ("dot_relu", "linear_relu")
    g = node.grad
    g_sum = None if g is None else (g * _relu_gate(node) if relu else g)
    inner: list[str] = []
    if node.op in ("dot", "dot_relu"):
        n = len(parents) // 2
        ws, xs, bias = parents[:n], parents[n:2 * n], parents[2 * n:]
        terms = []
        for i, (w, x) in enumerate(zip(ws, xs)):
            wt, xt = d.title(w), d.title(x)
            title = f"{wt}*{xt}" if wt and xt else ""
            prod = d.part(f"{name}p{i}", title, w.data * x.data, g_sum)
            mul = d.op(f"{name}p{i}op", OPS["mul"].symbol)
            d.dot.edge(mul, prod)
            for p in (w, x):
                if id(p) in drawn_ids:
                    d.dot.edge(str(id(p)), mul)
            inner.append(mul)
            terms.append((prod, w.data * x.data))
        z = math.fsum(t for _, t in terms) + (bias[0].data if bias else 0.0)
        sources = [t for t, _ in terms]
    else:
        x, w, b = parents
        xw = np.matmul(x.data, np.swapaxes(w.data, -1, -2))      # weight (out, in), as torch
        xw_name = d.part(f"{name}mm", "", xw, g_sum)
        mm = d.op(f"{name}mmop", OPS["matmul"].symbol)
        d.dot.edge(mm, xw_name)
        for p in (x, w):
            if id(p) in drawn_ids:
                d.dot.edge(str(id(p)), mm)
        inner.append(mm)
        bias = (b,)
        z = xw + b.data
        sources = [xw_name]
    add = d.op(f"{name}sumop", OPS["add"].symbol)
    for src in sources:
        d.dot.edge(src, add)
    if bias and id(bias[0]) in drawn_ids:
        d.dot.edge(str(id(bias[0])), add)
    inner.append(add)
    if relu:
        zt = "w·x + b" if node.op == "dot_relu" else "x@Wᵀ + b"
        z_name = d.part(f"{name}z", zt, z, g_sum)
        d.dot.edge(add, z_name)
        d.dot.edge(z_name, d.op(name + "op", OPS["relu"].symbol))
        d.dot.edge(name + "op", name)
    else:
        d.dot.edge(add, name)
    return inner


def draw_dot(
    root: Node, rankdir: str = "LR", max_nodes: int = 500, show_grad: bool = True,
    params: Any = None, expand: bool = False,
) -> graphviz.Digraph:
    """The graph that computed ``root``, as a ``graphviz.Digraph``.

    Shows in Jupyter as is (without the Graphviz ``dot`` program, as the
    message that says how to install it); ``render_graph`` writes it to a file. Only the
    ``max_nodes`` nodes nearest ``root`` are drawn (at most
    ``MAX_NODES_LIMIT``); a note says how many more there are.

    ``params``: ``model.named_parameters()`` (or a dict name -> parameter)
    names the parameters that have no label of their own (a Neuron's
    ``w0``, ``w1``, ``b``). ``expand=True`` draws each fused node (``dot``,
    ``dot_relu``, ``linear``, ``linear_relu``) as its parts, ``w·x + b`` as
    micrograd draws it: one product per weight, a sum, then relu, with their
    data (and gradients when known). Only the picture changes, not the graph.
    A Tensor that is not a leaf shows its ``.grad`` when it was retained.

    >>> import microgradx as mg
    >>> x = mg.Value(2.0, label="x")
    >>> y = x ** 2; y.backward()
    >>> src = draw_dot(y).source
    >>> "** 2" in src, "grad 4" in src
    (True, True)
    >>> n = mg.nn.Neuron(2, seed=0)
    >>> src = draw_dot(n([1.0, 2.0]), params=n.named_parameters(), expand=True).source
    >>> "<B>w0</B>" in src, src.count('label="*"'), "relu" in src
    (True, 2, True)
    """
    _check_args(root, rankdir, max_nodes, show_grad, expand)
    names = param_names(params)
    order = _nearest_first(root)
    drawn = order[:max_nodes]
    left_out = len(order) - len(drawn)
    drawn_ids = {id(n) for n in drawn}
    d = _Drawing(rankdir, show_grad, names)
    cut_ops = []
    for node in drawn:
        name = d.box(node)
        if not node.parents:
            continue
        complete = all(id(p) in drawn_ids for p in node.parents)
        if expand and node.op in EXPANDABLE:
            inner = _expand_node(d, node, drawn_ids)
            if not complete:
                cut_ops.extend(inner)
            continue
        op_name = d.op(name + "op", _op_label(node))
        d.dot.edge(op_name, name)
        for p in node.parents:
            if id(p) in drawn_ids:
                d.dot.edge(str(id(p)), op_name)
        if not complete:
            cut_ops.append(op_name)
    if left_out:
        note = STYLES["note"]
        d.dot.node("not_drawn", label=f"… {left_out:,} more nodes not drawn (max_nodes={max_nodes})",
                   shape=note["shape"], style="filled", fillcolor=note["fill"],
                   color=note["border"], fontcolor=note["border"])
        for op_name in cut_ops:
            d.dot.edge("not_drawn", op_name, style="dashed", color=note["border"])
    return d.dot


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _png_extent(dot: graphviz.Digraph) -> float:
    """The longest side of the laid-out picture at PNG_DPI, in pixels (from ``dot -Tplain``)."""
    first = dot.pipe(format="plain").split(b"\n", 1)[0].split()
    return max(float(first[2]), float(first[3])) * PNG_DPI


def render_graph(
    root: Node,
    path: str | os.PathLike[str],
    *,
    rankdir: str = "LR",
    max_nodes: int = 500,
    show_grad: bool = True,
    params: Any = None,
    expand: bool = False,
) -> Path:
    """Draw the graph of ``root`` to ``path``: .svg, .png or .pdf by suffix, or .dot.

    A .dot file is the Graphviz source and needs no Graphviz program; the
    images need ``dot`` (else :class:`GraphvizNotFoundError`). Keyword
    arguments are those of :func:`draw_dot`. A PNG is drawn at 96 dpi and
    never shrunk: when its longest side would pass ``PNG_MAX_PX`` pixels, fewer
    nodes are drawn (with the note) until it fits. The file is written
    atomically. Returns the path written.

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
    kw = {"rankdir": rankdir, "show_grad": show_grad, "params": params, "expand": expand}
    dot = draw_dot(root, max_nodes=max_nodes, **kw)
    if suffix == ".dot":
        _write_atomically(path, dot.source.encode("utf-8"))
        return path
    if shutil.which("dot") is None:
        raise GraphvizNotFoundError(_install_message(path))
    try:
        if suffix == ".png":
            dot.graph_attr["dpi"] = str(PNG_DPI)
            for _ in range(8):                         # cut, never shrink, until it fits
                if sum(1 for line in dot.body if "[label=" in line) <= PNG_SURE_FITS:
                    break
                extent = _png_extent(dot)
                if extent <= PNG_MAX_PX or max_nodes <= 1:
                    break
                max_nodes = max(1, min(max_nodes - 1, int(max_nodes * PNG_MAX_PX / extent * 0.9),
                                       len(_nearest_first(root)) - 1))
                dot = draw_dot(root, max_nodes=max_nodes, **kw)
                dot.graph_attr["dpi"] = str(PNG_DPI)
        image = dot.pipe(format=suffix[1:])
    except graphviz.ExecutableNotFound as e:
        raise GraphvizNotFoundError(_install_message(path)) from e
    _write_atomically(path, image)
    return path
