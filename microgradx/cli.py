"""Command line: ``microgradx demo|graph|check|bench``.

``check`` compares autograd with central differences for a formula and
exits 0 when they agree within tolerance, 1 when not; ``graph`` draws a
formula's graph with its gradients. A formula is parsed against a whitelist
(see :mod:`microgradx.formula`) and a rejected one exits with 2 unevaluated.

>>> main(["check", "x**2 * sin(y)", "--at", "x=1,y=2"])  # doctest: +ELLIPSIS
f = x**2 * sin(y) at x=1, y=2: 0.909297
variable  value  autograd       numerical      abs error  rel error  status
x         1      1.818594854    1.818594854    ...ok
y         2      -0.4161468365  -0.4161468365  ...ok
gradcheck OK: ...
0
"""

from __future__ import annotations

import argparse
import math
import runpy
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from .exercises import cli as exercise_cli
from .formula import Formula, parse_at, parse_formula
from .gradcheck import _format_table, gradcheck
from .value import Value
from .viz import GraphvizNotFoundError, render_graph

__all__ = ["main", "demo_dir", "list_demos", "check_formula", "graph_formula"]


def demo_dir() -> Path:
    """The demos/ folder of a source checkout (beside the package)."""
    return Path(__file__).resolve().parent.parent / "demos"


def list_demos() -> list[str]:
    """Names of the runnable demos (demos/*.py)."""
    d = demo_dir()
    return sorted(p.stem for p in d.glob("*.py") if not p.stem.startswith("_")) if d.is_dir() else []


def _run_demos(names: Sequence[str]) -> int:
    known = list_demos()
    if not known:
        print("no demos/ folder found: the demos ship with the source checkout", file=sys.stderr)
        return 2
    if not names or list(names) == ["all"]:
        names = known
    unknown = [n for n in names if n not in known]
    if unknown:
        print(f"unknown demo(s) {', '.join(unknown)}; known: {', '.join(known)}", file=sys.stderr)
        return 2
    for name in names:
        print(f"== demo {name} ==", flush=True)
        runpy.run_path(str(demo_dir() / f"{name}.py"), run_name="__main__")
    print(f"pictures are in {demo_dir() / 'out'}")
    return 0


def _run_bench(args: Sequence[str]) -> int:
    return subprocess.call([sys.executable, "-m", "bench", *args],
                           cwd=str(Path(__file__).resolve().parent.parent))


def _formula_and_point(text: str, at: str, command: str) -> tuple[Formula, dict[str, float]] | None:
    """Parse and check a formula and its --at point; print why not and return None."""
    try:
        formula = parse_formula(text)
        return formula, formula.bind(parse_at(at))
    except (ValueError, TypeError) as e:
        print(f"microgradx {command}: {e}", file=sys.stderr)
        return None


def check_formula(text: str, at: str, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3) -> int:
    """Print autograd vs numerical gradients of a formula at a point; return the exit code.

    0: they agree within ``atol + rtol * |numeric|``; 1: they do not (or the
    formula is not finite there); 2: the formula, point or tolerances are invalid.

    >>> check_formula("x * y", "x=2,y=3")  # doctest: +ELLIPSIS
    f = x * y at x=2, y=3: 6
    ...
    0
    """
    parsed = _formula_and_point(text, at, "check")
    if parsed is None:
        return 2
    formula, point = parsed
    names = list(point)
    xs = [Value(point[n], label=n) for n in names]

    def f(*vs: Value) -> Value:
        out = formula.evaluate(dict(zip(names, vs)))
        return out if isinstance(out, Value) else Value(out)

    try:
        res = gradcheck(f, xs, eps=eps, atol=atol, rtol=rtol, raise_exception=False)
    except (ValueError, TypeError) as e:
        print(f"microgradx check: {e}", file=sys.stderr)
        return 2
    value = f(*xs).data
    where = ", ".join(f"{n}={point[n]:g}" for n in names)
    print(f"f = {formula.text} at {where}: {value:.6g}")
    rows = [(r.name, f"{point[r.name]:g}", f"{r.analytic[0, 0]:.10g}", f"{r.numeric[0, 0]:.10g}",
             f"{r.abs_errors[0, 0]:.3g}", f"{r.rel_errors[0, 0]:.3g}", "ok" if r.ok else "FAIL")
            for r in res.inputs]
    print(_format_table(("variable", "value", "autograd", "numerical", "abs error", "rel error", "status"),
                        rows))
    print(res.summary())
    if not math.isfinite(value):
        print(f"microgradx check: f is {value} at {where}; pick a point where the formula is defined",
              file=sys.stderr)
        return 1
    return 0 if res.ok else 1


def graph_formula(text: str, at: str, output: str = "graph.svg", rankdir: str = "LR") -> int:
    """Draw the graph of a formula at a point, after backward so grads show; return the exit code.

    >>> import os, tempfile
    >>> graph_formula("tanh(w*x + b)", "w=2,x=1,b=0", os.path.join(tempfile.mkdtemp(), "g.dot"))
    ... # doctest: +ELLIPSIS
    f = tanh(w*x + b) = 0.964028; df/dw = 0.0706508, df/dx = 0.141302, df/db = 0.0706508
    wrote ...g.dot
    0
    """
    parsed = _formula_and_point(text, at, "graph")
    if parsed is None:
        return 2
    formula, point = parsed
    out, xs = formula.build(point)
    if not out.label:
        out.label = "f"
    out.backward()
    grads = ", ".join(f"df/d{n} = {x.grad:.6g}" for n, x in xs.items())
    print(f"f = {formula.text} = {out.data:.6g}; {grads}")
    try:
        path = render_graph(out, output, rankdir=rankdir)
    except GraphvizNotFoundError as e:
        print(f"microgradx graph: {e}", file=sys.stderr)
        return 1
    except (ValueError, TypeError) as e:
        print(f"microgradx graph: {e}", file=sys.stderr)
        return 2
    print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``microgradx`` command."""
    parser = argparse.ArgumentParser(prog="microgradx", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run a demo (or all) and say where its pictures went")
    demo.add_argument("names", nargs="*", help="demo names; 'all' or nothing runs every demo")
    demo.add_argument("--list", action="store_true", help="list the demos")
    at_help = "the point: name=value pairs separated by commas, e.g. x=1,y=2"
    note = "A formula that starts with '-' goes after '--': microgradx check --at x=1 -- '-x**2'"
    check = sub.add_parser("check", help="compare autograd with numerical gradients of a formula",
                           epilog=note)
    check.add_argument("formula", help="e.g. 'x**2 * sin(y)'")
    check.add_argument("--at", default="", help=at_help)
    check.add_argument("--eps", type=float, default=1e-6, help="finite-difference step (default 1e-6)")
    check.add_argument("--atol", type=float, default=1e-5, help="absolute tolerance (default 1e-5)")
    check.add_argument("--rtol", type=float, default=1e-3, help="relative tolerance (default 1e-3)")
    graph = sub.add_parser("graph", help="draw the graph of a formula, with its gradients", epilog=note)
    graph.add_argument("formula", help="e.g. 'tanh(w*x + b)'")
    graph.add_argument("--at", default="", help=at_help)
    graph.add_argument("-o", "--output", default="graph.svg",
                       help="picture to write: .svg .png .pdf, or .dot (default graph.svg)")
    graph.add_argument("--rankdir", default="LR", choices=["LR", "RL", "TB", "BT"], help="layout direction")
    exercise_cli.add_parser(sub)
    bench = sub.add_parser("bench", help="run the benchmarks in bench/")
    bench.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``microgradx`` command; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"] and argv[1:2] not in (["-h"], ["--help"]):
        return _run_bench(argv[1:])      # its options belong to bench/, not to this parser
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        if args.list:
            print("\n".join(list_demos()))
            return 0
        return _run_demos(args.names)
    if args.command == "check":
        return check_formula(args.formula, args.at, args.eps, args.atol, args.rtol)
    if args.command == "graph":
        return graph_formula(args.formula, args.at, args.output, args.rankdir)
    if args.command == "exercise":
        return exercise_cli.run(args)
    if args.command == "bench":
        return _run_bench(args.rest)
    return 2
