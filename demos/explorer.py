"""The backprop explorer: step through the chain rule in a browser, one step at a time.

Writes two self-contained HTML pages (open them in any browser, no network
needed) with ``mg.explore``:

- demos/out/explorer_neuron.html: micrograd's neuron o = tanh(x1 w1 + x2 w2 + b)
  with x1 = 2, x2 = 0, w1 = -3, w2 = 1, b = 6.8813735870195432, as in
  Karpathy's lecture: do/dn = 1 - o**2 = 0.5, so x1 gets w1 * 0.5 = -1.5 and
  w1 gets x1 * 0.5 = 1;
- demos/out/explorer_mlp.html: the squared error of a 2-2-1 MLP on one
  sample, (MLP(x) - 1)**2, with its parameters named L0.n0.w0 ... L1.n0.b.

Press the right arrow to run the forward pass and then every chain-rule step
of the backward pass: each shows the op's local rule, the product upstream ×
local = contribution and the gradient gathered so far; every number comes from
the engine's own pass (``mg.backward_steps``). The evaluation trace of the
same graph (``mg.trace``) is printed too.

Run: python demos/explorer.py
"""

from __future__ import annotations

from pathlib import Path

import microgradx as mg

OUT = Path(__file__).resolve().parent / "out"
B = 6.8813735870195432
SAMPLE, TARGET = (1.0, -2.0), 1.0


def neuron() -> tuple[mg.Value, dict[str, mg.Value]]:
    """o = tanh(x1*w1 + x2*w2 + b), every node labelled; returns (o, the leaves by name)."""
    leaves = {
        "x1": mg.Value(2.0, label="x1"), "x2": mg.Value(0.0, label="x2"),
        "w1": mg.Value(-3.0, label="w1"), "w2": mg.Value(1.0, label="w2"),
        "b": mg.Value(B, label="b"),
    }
    x1w1 = leaves["x1"] * leaves["w1"]
    x1w1.label = "x1*w1"
    x2w2 = leaves["x2"] * leaves["w2"]
    x2w2.label = "x2*w2"
    s = x1w1 + x2w2
    s.label = "x1*w1 + x2*w2"
    n = s + leaves["b"]
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, leaves


def mlp_loss() -> tuple[mg.Value, mg.nn.MLP]:
    """(MLP(2, [2, 1])(SAMPLE) - TARGET)**2 with seeded weights; returns (loss, model)."""
    model = mg.nn.MLP(2, [2, 1], seed=1)
    x = [mg.Value(v, label=f"x{i + 1}") for i, v in enumerate(SAMPLE)]
    out = model(x)
    out.label = "out"
    loss = (out - TARGET) ** 2
    loss.label = "loss"
    return loss, model


def main(out_dir: Path = OUT, fast: bool = False) -> dict:
    """Write both pages (``fast`` changes nothing: the graphs are small)."""
    out_dir = Path(out_dir)
    o, leaves = neuron()
    print(mg.trace(o))
    grads = dict(zip(leaves, (g.data for g in mg.grad(o, list(leaves.values())))))
    print("gradients: " + ", ".join(f"do/d{k} = {v:.4g}" for k, v in grads.items()))
    title = "micrograd's neuron: o = tanh(x1·w1 + x2·w2 + b)"
    files = [mg.explore(o, title=title).save(out_dir / "explorer_neuron.html")]
    loss, model = mlp_loss()
    page = mg.explore(loss, title=f"a 2-2-1 MLP's squared error on x = {SAMPLE}, target {TARGET:g}",
                      params=model.named_parameters())
    files.append(page.save(out_dir / "explorer_mlp.html"))
    print(f"loss = {loss.data:.6g}; {len(page.data['steps'])} chain-rule steps")
    for f in files:
        print(f"wrote {f}")
    return {"o": o.data, "grads": grads, "loss": loss.data, "files": files,
            "steps": {"neuron": len(mg.backward_steps(o)), "mlp": len(page.data["steps"])}}


if __name__ == "__main__":
    main()
