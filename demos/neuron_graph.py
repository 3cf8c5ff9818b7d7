"""The computation graph of one neuron, with every value and gradient.

o = tanh(x1 w1 + x2 w2 + b) with x1 = 2, x2 = 0, w1 = -3, w2 = 1 and
b = 6.8813735870195432 (so that o = tanh(0.8814) = 0.7071), the neuron from
micrograd's lecture. backward() fills in every gradient: do/dn = 1 - o**2 =
0.5, and then each weight's gradient is its input times 0.5, each input's is
its weight times 0.5. Writes demos/out/neuron_graph.svg with Graphviz; if
the Graphviz ``dot`` program is missing it says how to install it and
writes the graph source, demos/out/neuron_graph.dot, instead.

Run: python demos/neuron_graph.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import microgradx as mg

OUT = Path(__file__).resolve().parent / "out"


def neuron() -> tuple[mg.Value, dict[str, mg.Value]]:
    """Build o = tanh(x1*w1 + x2*w2 + b), run backward; returns (o, the leaves by name)."""
    leaves = {
        "x1": mg.Value(2.0, label="x1"), "x2": mg.Value(0.0, label="x2"),
        "w1": mg.Value(-3.0, label="w1"), "w2": mg.Value(1.0, label="w2"),
        "b": mg.Value(6.8813735870195432, label="b"),
    }
    x1w1 = leaves["x1"] * leaves["w1"]
    x1w1.label = "x1*w1"
    x2w2 = leaves["x2"] * leaves["w2"]
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + leaves["b"]
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o, leaves


def main(out_dir: Path = OUT, fast: bool = False) -> dict:
    """Build, differentiate and draw the neuron (``fast`` changes nothing: it is one neuron)."""
    o, leaves = neuron()
    print(f"o = tanh(x1*w1 + x2*w2 + b) = {o.data:.4f}")
    print("gradients: " + ", ".join(f"d o/d {k} = {v.grad:.4f}" for k, v in leaves.items()))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        path = mg.render_graph(o, out_dir / "neuron_graph.svg")
    except mg.GraphvizNotFoundError as err:
        print(err, file=sys.stderr)
        path = mg.render_graph(o, out_dir / "neuron_graph.dot")
    print(f"wrote {path}")
    return {"o": o.data, "grads": {k: v.grad for k, v in leaves.items()}, "files": [path]}


if __name__ == "__main__":
    main()
