"""The backprop explorer: one self-contained HTML page that steps through the chain rule.

``explore(y)`` draws the graph below ``y`` (laid out by Graphviz when its
``dot`` program is installed, by generation otherwise) and lets a reader walk
the forward pass and then every chain-rule step of the backward pass with
◀ ▶, a slider or the arrow keys. Each step shows the op's local rule in words
and symbols (:data:`RULES`), the arithmetic ``upstream × local =
contribution`` and the gradient gathered so far; a second contribution to the
same input (fan-out) is pointed out. Beside the graph is the evaluation trace
(:mod:`microgradx.trace`) with the current row marked.

Every number on the page comes from the engine's own pass
(:func:`mg.backward_steps <microgradx.autograd.backward_steps>`), embedded as
JSON; the page's script only shows them. Everything is inline (CSS, script,
SVG): no network. The same graph gives the same bytes. Graphs above
``max_nodes`` (300) are cut to the nodes nearest the output with a note, as
``draw_dot`` does. Measured: a 500-node chain gives 0.14 MB, a 500-node sum
with fan-out 0.20 MB, the 2-16-16-1 MLP on one sample 0.22 MB; every page
stays under :data:`SIZE_BUDGET` (1.5 MB; tested). The whole graph is walked
once (a 100,000-node chain takes seconds, not minutes).

>>> import microgradx as mg
>>> x = mg.Value(2.0, label="x")
>>> page = explore((x * 3).tanh())
>>> page.html.startswith("<!DOCTYPE html>"), "mgx-data" in page.html
(True, True)
"""

from __future__ import annotations

import argparse
import html
import json
import math
import numbers
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from .autograd import Node, grad, topological_order
from .explore_page import PAGE_SCRIPT, PAGE_STYLE
from .trace import Trace, trace_name
from .viz import _nearest_first, param_names

__all__ = ["explore", "Explorer", "RULES", "local_rule", "SIZE_BUDGET", "MAX_NODES", "explore_formula",
           "page_data", "render_page", "add_explore_command", "run_explore_command"]

MAX_NODES = 300
"""Default node limit of a page: beyond it the nodes nearest the output are drawn."""
SIZE_BUDGET = 1_500_000
"""Bytes a page stays under, whatever the graph (tested with 500 nodes and more)."""
N_HEAD = 6             # entries of a tensor embedded in the page
LABEL_CHARS = 80       # longest label embedded
BOX_W, BOX_H = 150, 62  # node boxes, in px
DOT_TIMEOUT = 30.0     # seconds Graphviz may take before the page falls back to its own layout

# ---- the local rules -----------------------------------------------------------

_DOT = ("d(w·x + b)/dwᵢ = xᵢ", "d(w·x + b)/dxᵢ = wᵢ", "d(w·x + b)/db = 1")
_DOT_RELU = ("d relu(w·x + b)/dwᵢ = [w·x + b > 0]·xᵢ", "d relu(w·x + b)/dxᵢ = [w·x + b > 0]·wᵢ",
             "d relu(w·x + b)/db = [w·x + b > 0]")

RULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "add": ("a sum passes the gradient to each term unchanged", ("d(a + b)/da = 1", "d(a + b)/db = 1")),
    "sub": ("a difference passes the gradient to a and its negative to b",
            ("d(a − b)/da = 1", "d(a − b)/db = −1")),
    "mul": ("each factor's local derivative is the other factor", ("d(a·b)/da = b", "d(a·b)/db = a")),
    "div": ("the quotient rule, one input at a time", ("d(a/b)/da = 1/b", "d(a/b)/db = −a/b²")),
    "pow": ("the power rule for the base; for the exponent, the power times ln of the base",
            ("d(aᵇ)/da = b·aᵇ⁻¹", "d(aᵇ)/db = aᵇ·ln a")),
    "neg": ("negation flips the sign of the gradient", ("d(−a)/da = −1",)),
    "abs": ("the slope of |a| is the sign of a", ("d|a|/da = sign(a)",)),
    "exp": ("exp is its own derivative", ("d exp(a)/da = exp(a)",)),
    "log": ("the slope of ln is one over its input", ("d ln(a)/da = 1/a",)),
    "sqrt": ("the slope of √a is one over twice the root", ("d √a/da = 1/(2√a)",)),
    "tanh": ("tanh squashes; its slope is 1 minus its output squared", ("d tanh(n)/dn = 1 − tanh(n)²",)),
    "sigmoid": ("the slope of σ is σ times one minus σ", ("d σ(a)/da = σ(a)·(1 − σ(a))",)),
    "relu": ("relu lets the gradient through where its input is positive, else stops it",
             ("d relu(a)/da = 1 if a > 0 else 0",)),
    "leaky_relu": ("like relu, but a negative input still passes slope × the gradient",
                   ("d leaky_relu(a)/da = 1 if a > 0 else slope",)),
    "sin": ("the slope of sin is cos", ("d sin(a)/da = cos(a)",)),
    "cos": ("the slope of cos is minus sin", ("d cos(a)/da = −sin(a)",)),
    "softplus": ("the slope of softplus is the sigmoid", ("d softplus(a)/da = σ(a)",)),
    "sum": ("a sum of many terms passes the gradient to each term unchanged", ("d(Σ xⱼ)/dxᵢ = 1",)),
    "dot": ("a neuron w·x + b in one node: each weight gets its input, each input its weight", _DOT),
    "dot_relu": ("relu(w·x + b) in one node: relu's gate, then the dot product's rule", _DOT_RELU),
    "matmul": ("a matrix product: the gradient times the other factor, transposed",
               ("d(A@B)/dA: G @ Bᵀ", "d(A@B)/dB: Aᵀ @ G")),
    "linear": ("x @ w + b in one node: matmul's rule, and the bias gets the gradient summed over rows",
               ("d(x@w + b)/dx: G @ wᵀ", "d(x@w + b)/dw: xᵀ @ G", "d(x@w + b)/db: Σ_rows G")),
    "linear_relu": ("relu(x @ w + b) in one node: relu's gate on G, then linear's rule",
                    ("G' = G·[y > 0]; d/dx: G' @ wᵀ", "G' = G·[y > 0]; d/dw: xᵀ @ G'",
                     "G' = G·[y > 0]; d/db: Σ_rows G'")),
    "sum_axis": ("a sum over axes copies the gradient back to every summed entry",
                 ("d(Σ x)/dxᵢ = 1: G broadcast to x's shape",)),
    "max": ("only the largest entries get the gradient (split evenly between ties)",
            ("d max(x)/dxᵢ = [xᵢ is the max] / (number of maxima)",)),
    "min": ("only the smallest entries get the gradient (split evenly between ties)",
            ("d min(x)/dxᵢ = [xᵢ is the min] / (number of minima)",)),
    "reshape": ("a reshape moves no numbers: the gradient is reshaped back", ("G reshaped to x's shape",)),
    "transpose": ("a transpose moves entries: the gradient is transposed back",
                  ("G with the axes put back",)),
    "getitem": ("picking entries: the gradient goes back to the picked places, zeros elsewhere",
                ("G scattered into zeros of x's shape",)),
    "scatter": ("placing entries: each placed entry takes its gradient back", ("G at the placed index",)),
    "broadcast_to": ("a broadcast copies entries: the copies' gradients add up", ("G summed to x's shape",)),
    "sum_to": ("a sum to a shape: the gradient is copied back", ("G broadcast to x's shape",)),
    "softmax": ("softmax: y times (the gradient minus its y-weighted mean)", ("d softmax: y·(G − Σ G·y)",)),
    "log_softmax": ("log-softmax: the gradient minus softmax times its sum", ("G − softmax(x)·Σ G",)),
    "nll": ("negative log-likelihood: −1/n at each row's target entry", ("d nll/d logpᵢₜ = −1/n",)),
    "hinge": ("hinge loss: −t/n where the margin 1 − t·s is positive, else 0",
              ("d hinge/ds = −t/n where t·s < 1", "d hinge/dt = −s/n where t·s < 1")),
    "cat": ("concatenation: each input gets its slice of the gradient", ("G sliced back to input i",)),
    "stack": ("stacking: each input gets its layer of the gradient", ("G[i] along the stacked axis",)),
    "keep": ("a mask: the gradient passes where the mask holds, else 0", ("d keep(a)/da = [mask]",)),
    "where": ("a choice: each side gets the gradient where it was chosen",
              ("d/da = [cond]", "d/db = [not cond]")),
    "clamp": ("clamping passes the gradient inside [min, max] (bounds included), else stops it",
              ("d clamp(a)/da = [min ≤ a ≤ max]",)),
    "maximum": ("the larger input gets the gradient (half each at a tie)",
                ("d max(a, b)/da = [a > b] + ½[a = b]", "d max(a, b)/db = [b > a] + ½[a = b]")),
    "minimum": ("the smaller input gets the gradient (half each at a tie)",
                ("d min(a, b)/da = [a < b] + ½[a = b]", "d min(a, b)/db = [b < a] + ½[a = b]")),
    "norm": ("a p-norm: each entry's share is |x|^(p−1)·sign(x) / ‖x‖^(p−1)",
             ("d‖x‖ₚ/dxᵢ = sign(xᵢ)·|xᵢ|ᵖ⁻¹ / ‖x‖ₚᵖ⁻¹",)),
    "cast": ("a change of dtype: the gradient is cast back", ("G in x's dtype",)),
}

USER_FUNCTION_RULE = "a user-defined op (mg.Function): its backward() gives the rule"


def local_rule(op: str, index: int, n_inputs: int) -> tuple[str, str]:
    """(words, formula) of d(op)/d(input ``index``) for a node with ``n_inputs`` inputs.

    An op outside the table (a user's ``mg.Function``) gets a generic text.

    >>> local_rule("dot", 4, 5)[1]
    'd(w·x + b)/db = 1'
    >>> local_rule("Cube", 0, 1)[1]
    'd Cube(…)/dx₁: from Cube.backward'
    """
    if op not in RULES:
        sub = str(index + 1).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
        return USER_FUNCTION_RULE, f"d {op}(…)/dx{sub}: from {op}.backward"
    words, formulas = RULES[op]
    if op in ("dot", "dot_relu"):
        n = n_inputs // 2
        return words, formulas[0 if index < n else 1 if index < 2 * n else 2]
    return words, formulas[min(index, len(formulas) - 1)]


# ---- numbers as JSON -------------------------------------------------------------

def _num(x: Any) -> Any:
    """A float as JSON takes it (NaN and infinities as strings); an array as shape + first entries."""
    if x is None:
        return None
    if isinstance(x, Node):
        x = x.data
    if isinstance(x, np.ndarray) and x.ndim == 0:
        x = x.item()
    if isinstance(x, (numbers.Real, np.generic)) and not isinstance(x, np.ndarray):
        v = float(x)
        if math.isfinite(v):
            return v
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    a = np.asarray(x)
    head = [_num(v) for v in a.ravel()[:N_HEAD].tolist()]
    return {"shape": list(a.shape), "size": int(a.size), "head": head}


def _label(node: Node, names: dict[int, str]) -> str:
    text = str(node.label) if node.label else names.get(id(node), "")
    return text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1] + "…"


# ---- layout ----------------------------------------------------------------------

def _dot_layout(n: int, edges: list[list[int]]) -> dict | None:
    """Positions by Graphviz (``dot -Tjson``): node centres and edge splines, in px; None without dot."""
    exe = shutil.which("dot")
    if exe is None:
        return None
    w, h = BOX_W / 72, BOX_H / 72
    lines = ["digraph G {", "rankdir=LR; nodesep=0.22; ranksep=0.45;",
             f'node [shape=box, fixedsize=true, width={w:.4f}, height={h:.4f}, label=""];']
    lines += [f"n{i};" for i in range(n)]
    lines += [f"n{a} -> n{b};" for a, b, _ in edges]
    lines.append("}")
    try:
        run = subprocess.run([exe, "-Tjson"], input="\n".join(lines).encode(), capture_output=True,
                             timeout=DOT_TIMEOUT, check=True)
        out = json.loads(run.stdout)
        x0, y0, x1, y1 = (float(v) for v in out["bb"].split(","))
        pos: list[tuple[float, float]] = [(0.0, 0.0)] * n
        ours: dict[int, int] = {}                 # Graphviz's object number -> our node index
        for obj in out.get("objects", []):
            name = obj.get("name", "")
            if name.startswith("n") and name[1:].isdigit():
                x, y = (float(v) for v in obj["pos"].split(","))
                pos[int(name[1:])] = (x - x0, y1 - y)
                ours[obj["_gvid"]] = int(name[1:])
        waiting: dict[tuple[int, int], list[str]] = {}   # Graphviz sorts its edges: match them by ends
        for e in out.get("edges", []):
            ends = (ours[e["tail"]], ours[e["head"]])
            waiting.setdefault(ends, []).append(_spline_path(e["pos"], x0, y1))
        paths = [waiting[(a, b)].pop(0) for a, b, _ in edges]
    except (OSError, subprocess.SubprocessError, ValueError, KeyError, TypeError, IndexError):
        return None
    return {"engine": "graphviz", "width": round(x1 - x0, 1), "height": round(y1 - y0, 1),
            "pos": [[round(x, 1), round(y, 1)] for x, y in pos], "paths": paths}


def _spline_path(spec: str, x0: float, y1: float) -> str:
    """An SVG path from a Graphviz edge ``pos`` ("e,x,y p0 p1 p2 p3 ..."), ending at the arrow tip."""
    end = None
    pts = []
    for part in spec.split():
        bits = part.split(",")
        if bits[0] == "e":
            end = (float(bits[1]), float(bits[2]))
        elif bits[0] != "s":
            pts.append((float(bits[0]), float(bits[1])))
    xy = [(round(x - x0, 1), round(y1 - y, 1)) for x, y in pts]
    d = f"M{xy[0][0]:g},{xy[0][1]:g}"
    for i in range(1, len(xy) - 2, 3):
        d += "C" + " ".join(f"{x:g},{y:g}" for x, y in xy[i:i + 3])
    if end is not None:
        d += f"L{round(end[0] - x0, 1):g},{round(y1 - end[1], 1):g}"
    return d


def _generation_layout(nodes: list[Node], edges: list[list[int]], out_index: int) -> dict:
    """Positions without Graphviz: a column per distance from the output, rows in forward order."""
    n = len(nodes)
    dist = [0] * n
    children: list[list[int]] = [[] for _ in range(n)]
    for a, b, _ in edges:
        children[a].append(b)
    rank = {id(node): i for i, node in enumerate(nodes)}
    for node in topological_order([nodes[out_index]]):     # outputs first: every user before its inputs
        i = rank.get(id(node))
        if i is not None and children[i]:
            dist[i] = 1 + max(dist[c] for c in children[i])
    top = max(dist)
    columns: list[list[int]] = [[] for _ in range(top + 1)]
    for i in range(n):
        columns[top - dist[i]].append(i)
    gap_x, gap_y, pad = 60, 18, 10
    pos = [[0.0, 0.0]] * n
    for c, col in enumerate(columns):
        for r, i in enumerate(col):
            pos[i] = [pad + c * (BOX_W + gap_x) + BOX_W / 2, pad + r * (BOX_H + gap_y) + BOX_H / 2]
    paths = []
    for a, b, _ in edges:
        (ax, ay), (bx, by) = pos[a], pos[b]
        sx, tx = ax + BOX_W / 2, bx - BOX_W / 2
        mx = (sx + tx) / 2
        paths.append(f"M{sx:g},{ay:g}C{mx:g},{ay:g} {mx:g},{by:g} {tx:g},{by:g}")
    height = pad * 2 + max(len(col) for col in columns) * (BOX_H + gap_y) - gap_y
    return {"engine": "generation", "width": pad * 2 + len(columns) * (BOX_W + gap_x) - gap_x,
            "height": height, "pos": pos, "paths": paths}


# ---- the page's data -------------------------------------------------------------

def page_data(y: Node, title: str = "", max_nodes: int = MAX_NODES, params: Any = None,
              layout: str = "auto") -> dict:
    """Everything the page shows, as JSON-ready data (the numbers from ``mg.backward_steps``).

    >>> import microgradx as mg
    >>> x = mg.Value(3.0, label="x")
    >>> d = page_data(x * x)
    >>> [n["grad"] for n in d["nodes"]], [s["contrib"] for s in d["steps"]]
    ([6.0, 1.0], [3.0, 3.0])
    """
    _check(y, max_nodes, layout)
    names = param_names(params)
    near = _nearest_first(y)
    drawn = {id(n) for n in near[:max_nodes]}
    full = Trace(y)
    rows = [r for r in full.rows if id(r.node) in drawn]
    nodes = [r.node for r in rows]
    idx = {id(n): i for i, n in enumerate(nodes)}
    edges: list[list[int]] = []
    edge_of: dict[tuple[int, int, int], int] = {}
    for c, node in enumerate(nodes):
        for j, p in enumerate(node.parents):
            if id(p) in idx:
                edge_of[(idx[id(p)], c, j)] = len(edges)
                edges.append([idx[id(p)], c, j])
    got: dict[int, Any] = {}
    count: dict[int, int] = {}
    steps = []
    rules: dict[str, Any] = {}
    for s in full.steps:
        if id(s.input) not in idx:
            continue
        a, c = idx[id(s.input)], idx.get(id(s.node))     # c None: a node left out of a cut graph
        before = got.get(a)
        after = s.contribution if before is None else before + s.contribution
        got[a] = after
        count[a] = count.get(a, 0) + 1
        step = {"node": c, "input": a, "edge": None if c is None else edge_of[(a, c, s.index)],
                "index": s.index, "rule": _rule_index(rules, s.node.op, s.index, len(s.node.parents)),
                "up": _num(s.upstream), "local": _num(s.local), "contrib": _num(s.contribution),
                "before": _num(0.0 if before is None else before), "after": _num(after), "k": count[a]}
        if c is None:
            step["op"] = s.node.op
        steps.append(step)
    for st in steps:
        st["n"] = count[st["input"]]
    out_i = idx[id(y)]
    pos = None if layout == "generation" else _dot_layout(len(nodes), edges)
    geo = pos if pos is not None else _generation_layout(nodes, edges, out_i)
    node_rows = []
    for i, (r, node) in enumerate(zip(rows, nodes)):
        kind = "output" if i == out_i else ("param" if id(node) in names else "input") if not node.parents \
            else "result"
        entry = {"name": trace_name(r.index, "unicode"), "label": _label(node, names), "op": node.op,
                 "kind": kind, "expr": r.expression("unicode") if node.parents else "",
                 "value": _num(r.value), "grad": _num(r.adjoint)}
        if any(id(p) not in idx for p in node.parents):
            entry["cut"] = True                     # some inputs were left out of the picture
        node_rows.append(entry)
    return {
        "title": title or (f"d {_label(y, names) or 'output'}: the chain rule, step by step"),
        "nodes": node_rows, "edges": edges, "steps": steps, "rules": rules,
        "forward": [i for i, node in enumerate(nodes) if node.parents],
        "output": out_i, "seed": _num(_seed_of(y)),
        "total_nodes": len(near), "left_out": len(near) - len(nodes), "max_nodes": max_nodes,
        "layout": {"engine": geo["engine"], "width": geo["width"], "height": geo["height"],
                   "box": [BOX_W, BOX_H], "pos": geo["pos"], "paths": geo["paths"]},
    }


def _rule_index(rules: dict[str, Any], op: str, index: int, n_inputs: int) -> int:
    """File the local rule of (op, input ``index``) in ``rules`` (each text once); return its number."""
    words, formula = local_rule(op, index, n_inputs)
    entry = rules.setdefault(op, {"words": words, "formulas": []})
    if formula not in entry["formulas"]:
        entry["formulas"].append(formula)
    return entry["formulas"].index(formula)


def _seed_of(y: Node) -> Any:
    """The gradient the backward pass starts from: d y/d y (1 for a Value)."""
    seed = y._seed(None)
    return seed.data if isinstance(seed, Node) else seed


def _check(y: Any, max_nodes: Any, layout: Any) -> None:
    if not isinstance(y, Node):
        raise TypeError(f"explore needs a graph output (a mg.Value or mg.Tensor), "
                        f"got {type(y).__name__} {y!r}")
    if not y.requires_grad:
        raise ValueError("explore: this output depends on nothing that requires grad, so there is no "
                         "backward pass to show; create parameters with requires_grad=True")
    if np.size(y.data) != 1:
        raise ValueError(f"explore: the output has shape {np.shape(y.data)}; the chain rule starts from one "
                         "number, so reduce it first, e.g. explore(y.sum())")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, numbers.Integral) or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int, got {max_nodes!r}")
    if max_nodes > 2000:
        raise ValueError(f"max_nodes={max_nodes} is over 2000: the page would be slow and huge; "
                         "use a smaller max_nodes (the rest is cut with a note)")
    if layout not in ("auto", "graphviz", "generation"):
        raise ValueError(f"layout must be 'auto', 'graphviz' or 'generation', got {layout!r}")


# ---- the page ----------------------------------------------------------------------

def _json_for_script(data: Any) -> str:
    """JSON safe inside a <script> element: no '<', '>' or '&' (a label cannot close the element)."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_page(data: dict) -> str:
    """The HTML page for ``page_data``'s result: inline style, inline script, the data as JSON.

    >>> import microgradx as mg
    >>> page = render_page(page_data(mg.Value(2.0, label="</script>") * 3))
    >>> "</script>" in page.split('id="mgx-data">')[1].split("</script>")[0], page.count("<script")
    (False, 2)
    """
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
        f"<title>{html.escape(data['title'])}</title>\n<style>{PAGE_STYLE}</style>\n</head>\n<body>\n"
        f"<script type=\"application/json\" id=\"mgx-data\">{_json_for_script(data)}</script>\n"
        f"<script>{PAGE_SCRIPT}</script>\n</body>\n</html>\n"
    )


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class Explorer:
    """A backprop explorer page: shows inline in Jupyter, ``.save(path)`` writes it.

    >>> import microgradx as mg, os, tempfile
    >>> x = mg.Value(2.0, label="x")
    >>> page = explore(x * x)
    >>> p = page.save(os.path.join(tempfile.mkdtemp(), "e.html"))
    >>> p.read_text(encoding="utf-8") == page.html
    True
    """

    def __init__(self, page: str, data: dict) -> None:
        self.html = page
        self.data = data

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to ``path`` atomically (a temporary file, then a rename); returns the path."""
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or pathlib.Path, got {type(path).__name__} {path!r}")
        path = Path(path)
        if path.suffix.lower() not in (".html", ".htm"):
            raise ValueError(f"the explorer is an HTML page: give a path ending in .html, got {str(path)!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".html", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(self.html.encode("utf-8"))
            os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" sandbox="allow-scripts" '
                'style="width:100%;height:680px;border:1px solid #ddd"></iframe>')

    def __len__(self) -> int:
        return len(self.html.encode("utf-8"))

    def __repr__(self) -> str:
        d = self.data
        return (f"Explorer({len(d['nodes'])} nodes, {len(d['steps'])} backward steps, "
                f"{len(self)} bytes)")


def explore(y: Node, path: str | os.PathLike[str] | None = None, *, title: str = "",
            max_nodes: int = MAX_NODES, params: Any = None, layout: str = "auto") -> Explorer:
    """The backprop explorer of the graph below ``y``; written to ``path`` when one is given.

    ``params``: ``model.named_parameters()`` (or a dict name -> parameter) names
    the parameters on the page. ``layout``: "auto" (Graphviz if installed),
    "graphviz" or "generation". Graphs above ``max_nodes`` nodes are cut to the
    part nearest ``y``, with a note. ``.grad`` is left alone.

    >>> import microgradx as mg
    >>> w = mg.Value(0.5, label="w"); x = mg.Value(2.0, label="x")
    >>> e = explore((w * x).tanh())
    >>> len(e.data["steps"]), e.data["nodes"][0]["label"]
    (3, 'w')
    """
    if layout == "graphviz" and shutil.which("dot") is None:
        from .viz import GraphvizNotFoundError
        raise GraphvizNotFoundError("explore(layout='graphviz') needs the Graphviz 'dot' program; install "
                                    "Graphviz or use layout='auto' (its own layout without dot)")
    data = page_data(y, title=title, max_nodes=max_nodes, params=params, layout=layout)
    page = Explorer(render_page(data), data)
    if path is not None:
        page.save(path)
    return page


# ---- command line ------------------------------------------------------------------

def add_explore_command(sub: Any, at_help: str, note: str) -> None:
    """Register ``microgradx explore`` in the command's subparsers.

    >>> parser = argparse.ArgumentParser(); sub = parser.add_subparsers(dest="command")
    >>> add_explore_command(sub, "x=1,y=2", "")
    >>> parser.parse_args(["explore", "x*y", "--at", "x=1,y=2"]).output
    'explore.html'
    """
    p = sub.add_parser("explore", help="write the backprop explorer (an HTML page) of a formula", epilog=note)
    p.add_argument("formula", help="e.g. 'tanh(w*x + b)'")
    p.add_argument("--at", default="", help=at_help)
    p.add_argument("-o", "--output", default="explore.html", help="page to write (default explore.html)")


def explore_formula(text: str, at: str, output: str = "explore.html") -> int:
    """Write the explorer of a formula at a point; return the exit code (2: bad formula, point or path).

    >>> import os, tempfile
    >>> explore_formula("x * y", "x=2,y=3", os.path.join(tempfile.mkdtemp(), "e.html"))  # doctest: +ELLIPSIS
    f = x * y = 6; df/dx = 3, df/dy = 2
    wrote ...e.html (... bytes, 2 backward steps)
    0
    """
    from .formula import parse_at, parse_formula
    try:
        formula = parse_formula(text)
        out, xs = formula.build(parse_at(at))
        if not out.label:
            out.label = "f"
        page = explore(out, title=f"f = {formula.text}")
        steps = page.data["steps"]
        found = grad(out, list(xs.values()), allow_unused=True) if out.parents else [None] * len(xs)
        grads = {n: 0.0 if g is None else float(g.data) for n, g in zip(xs, found)}
        path = page.save(output)
    except (ValueError, TypeError, OSError) as e:
        print(f"microgradx explore: {e}", file=sys.stderr)
        return 2
    print(f"f = {formula.text} = {out.data:.6g}; "
          + ", ".join(f"df/d{n} = {g:.6g}" for n, g in grads.items()))
    print(f"wrote {path} ({len(page):,} bytes, {len(steps)} backward steps)")
    return 0


def run_explore_command(args: argparse.Namespace) -> int:
    """Run ``microgradx explore`` with parsed arguments; returns the exit code.

    >>> import os, tempfile
    >>> ns = argparse.Namespace(formula="x**2", at="x=3", output=os.path.join(tempfile.mkdtemp(), "e.html"))
    >>> run_explore_command(ns)  # doctest: +ELLIPSIS
    f = x**2 = 9; df/dx = 6
    wrote ...
    0
    """
    return explore_formula(args.formula, args.at, args.output)


