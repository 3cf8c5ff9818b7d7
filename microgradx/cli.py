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
import importlib.util
import inspect
import math
import os
import subprocess
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .exercises import cli as exercise_cli
from .explore import add_explore_command, run_explore_command
from .formula import FUNCTIONS, MAX_EXPONENT, NON_DIFFERENTIABLE, Formula, parse_at, parse_formula
from .gradcheck import _format_table, gradcheck
from .value import Value
from .viz import GraphvizNotFoundError, render_graph

__all__ = ["main", "demo_dir", "list_demos", "run_demos", "check_formula", "graph_formula", "DEMOS_OUT"]

PACKAGE = Path(__file__).resolve().parent
CHECKOUT = PACKAGE.parent
DEMOS_OUT = "microgradx-demos-out"
"""Where an installed package's demos put their pictures: this folder of the current directory."""


def _one_line(error: object) -> str:
    """An error's message on one line, however many lines it had."""
    return " ".join(str(error).split())


def demo_dir() -> Path:
    """The demos: shipped inside the installed package (microgradx/demos), else a checkout's demos/.

    >>> demo_dir().name
    'demos'
    """
    shipped = PACKAGE / "demos"
    return shipped if shipped.is_dir() else CHECKOUT / "demos"


def _in_checkout(demos: Path) -> bool:
    return demos == CHECKOUT / "demos" and (CHECKOUT / "pyproject.toml").is_file()


def default_out_dir() -> Path:
    """Where demos write pictures unless told: demos/out in a checkout, else ./microgradx-demos-out.

    >>> default_out_dir().name in ("out", DEMOS_OUT)
    True
    """
    demos = demo_dir()
    return demos / "out" if _in_checkout(demos) else Path.cwd() / DEMOS_OUT


def list_demos() -> list[str]:
    """Names of the runnable demos (demos/*.py).

    >>> "optimizer_race" in list_demos()
    True
    """
    d = demo_dir()
    return sorted(p.stem for p in d.glob("*.py") if not p.stem.startswith("_")) if d.is_dir() else []


class _DemoError(Exception):
    """A demo file that the command cannot run (no ``main(out_dir=...)``)."""


def _run_demo(name: str, out_dir: Path) -> None:
    """Load demos/<name>.py as a module and call its ``main(out_dir=...)``."""
    path = demo_dir() / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"microgradx_demo_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        main = getattr(module, "main", None)
        if not callable(main) or "out_dir" not in inspect.signature(main).parameters:
            raise _DemoError(f"{name} cannot be told where to write: demos/{name}.py needs a "
                             "main(out_dir=...)")
        main(out_dir=out_dir)
    finally:
        sys.modules.pop(spec.name, None)


def run_demos(names: Sequence[str], out: str | os.PathLike[str] | None = None) -> int:
    """Run demos by name ('all' or none: every one), pictures to ``out``; return the exit code.

    >>> run_demos(["no_such_demo"])  # doctest: +ELLIPSIS
    2
    """
    known = list_demos()
    if not known:
        print(f"microgradx demo: no demos found in {demo_dir()}: reinstall microgradx, or run from a "
              "source checkout", file=sys.stderr)
        return 2
    if not names or list(names) == ["all"]:
        names = known
    unknown = [n for n in names if n not in known]
    if unknown:
        print(f"microgradx demo: unknown demo(s) {', '.join(unknown)}; known: {', '.join(known)}",
              file=sys.stderr)
        return 2
    out_dir = Path(out) if out is not None else default_out_dir()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        print(f"microgradx demo: cannot write pictures to {out_dir}: {e.strerror or e}; "
              "choose a folder you can write with --out DIR", file=sys.stderr)
        return 2
    if not out_dir.is_dir() or not os.access(out_dir, os.W_OK):
        print(f"microgradx demo: cannot write pictures to {out_dir}; choose a folder you can write "
              "with --out DIR", file=sys.stderr)
        return 2
    for name in names:
        print(f"== demo {name} ==", flush=True)
        try:
            _run_demo(name, out_dir)
        except ImportError as e:
            print(f"microgradx demo: {name} needs a package that is not installed: {_one_line(e)}",
                  file=sys.stderr)
            return 2
        except _DemoError as e:
            print(f"microgradx demo: {_one_line(e)}", file=sys.stderr)
            return 2
    print(f"pictures are in {out_dir}")
    return 0


def _run_bench(args: Sequence[str]) -> int:
    if not ((CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "bench" / "__main__.py").is_file()):
        print("microgradx bench: the benchmarks need a source checkout (bench/ is not installed); "
              "clone the repository and run 'make bench' there", file=sys.stderr)
        return 2
    return subprocess.call([sys.executable, "-m", "bench", *args], cwd=str(CHECKOUT))


def _formula_and_point(text: str, at: str, command: str) -> tuple[Formula, dict[str, float]] | None:
    """Parse and check a formula and its --at point; print why not and return None."""
    try:
        formula = parse_formula(text)
        return formula, formula.bind(parse_at(at))
    except (ValueError, TypeError) as e:
        print(f"microgradx {command}: {_one_line(e)}", file=sys.stderr)
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
        print(f"microgradx check: {_one_line(e)}", file=sys.stderr)
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
    for name, call in formula.kinks_near(point, eps):
        print(f"note: the point is within eps={eps:g} of a non-differentiable point of {name} "
              f"(in {call}: {name} has no derivative at {NON_DIFFERENTIABLE[name]:g}), so numerical and "
              "analytic derivatives may disagree")
    if not math.isfinite(value):
        print(f"microgradx check: f is {value} at {where} (it overflows or leaves its domain there); "
              "pick a point where the formula is defined", file=sys.stderr)
        return 1
    not_finite = [f"d/d{r.name} is {r.analytic[0, 0]:g} (autograd), {r.numeric[0, 0]:g} (numerical)"
                  for r in res.inputs
                  if not (math.isfinite(r.analytic[0, 0]) and math.isfinite(r.numeric[0, 0]))]
    if not_finite:
        print(f"microgradx check: the derivative is not finite at {where}: {'; '.join(not_finite)}; "
              "pick a point where the formula is differentiable", file=sys.stderr)
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
    try:
        out, xs = formula.build(point)
    except (ValueError, TypeError) as e:
        print(f"microgradx graph: {_one_line(e)}", file=sys.stderr)
        return 2
    if not out.label:
        out.label = "f"
    out.backward()
    grads = ", ".join(f"df/d{n} = {x.grad:.6g}" for n, x in xs.items())
    print(f"f = {formula.text} = {out.data:.6g}; {grads}")
    try:
        path = render_graph(out, output, rankdir=rankdir)
    except GraphvizNotFoundError as e:
        print(f"microgradx graph: {_one_line(e)}", file=sys.stderr)
        return 1
    except (ValueError, TypeError) as e:
        print(f"microgradx graph: {_one_line(e)}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"microgradx graph: cannot write {output}: {_why_not_writable(Path(output), e)}; "
              "choose another -o path", file=sys.stderr)
        return 2
    print(f"wrote {path}")
    return 0


FORMULA_HELP = (
    f"A formula uses numbers, variables, + - * / **, unary -, and the functions {', '.join(FUNCTIONS)} "
    f"(one argument each). An exponent of ** is at most {MAX_EXPONENT:g} in size. A formula may start "
    "with '-': microgradx check '-x**2' --at x=1."
)
DEMO_HELP = (
    "Pictures go to demos/out/ in a source checkout; when microgradx is installed (pip install), to "
    f"{DEMOS_OUT}/ in the current directory. --out DIR writes them to DIR instead."
)


def _why_not_writable(path: Path, error: OSError) -> str:
    """The reason a file cannot be written, in words (a file in the way of its folder, say)."""
    for folder in path.absolute().parents:
        if folder.exists():
            if not folder.is_dir():
                return f"{folder} is a file, not a folder"
            break
    if path.is_dir():
        return "it is a folder"
    return error.strerror or str(error)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``microgradx`` command.

    >>> build_parser().parse_args(["check", "x*y", "--at", "x=1,y=2"]).at
    'x=1,y=2'
    """
    parser = argparse.ArgumentParser(prog="microgradx", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run a demo (or all) and say where its pictures went",
                          description="Run demos by name; 'all' or no name runs every one.", epilog=DEMO_HELP)
    demo.add_argument("names", nargs="*", help="demo names; 'all' or nothing runs every demo")
    demo.add_argument("--list", action="store_true", help="list the demos")
    demo.add_argument("--out", metavar="DIR", default=None,
                      help=f"folder for the pictures (default: demos/out in a checkout, else ./{DEMOS_OUT})")
    at_help = "the point: name=value pairs separated by commas, e.g. x=1,y=2"
    check = sub.add_parser("check", help="compare autograd with numerical gradients of a formula",
                           epilog=FORMULA_HELP)
    check.add_argument("formula", help="e.g. 'x**2 * sin(y)'")
    check.add_argument("--at", default="", help=at_help)
    check.add_argument("--eps", type=float, default=1e-6, help="finite-difference step (default 1e-6)")
    check.add_argument("--atol", type=float, default=1e-5, help="absolute tolerance (default 1e-5)")
    check.add_argument("--rtol", type=float, default=1e-3, help="relative tolerance (default 1e-3)")
    graph = sub.add_parser("graph", help="draw the graph of a formula, with its gradients",
                           epilog=FORMULA_HELP)
    graph.add_argument("formula", help="e.g. 'tanh(w*x + b)'")
    graph.add_argument("--at", default="", help=at_help)
    graph.add_argument("-o", "--output", default="graph.svg",
                       help="picture to write: .svg .png .pdf, or .dot (default graph.svg)")
    graph.add_argument("--rankdir", default="LR", choices=["LR", "RL", "TB", "BT"], help="layout direction")
    add_explore_command(sub, at_help, FORMULA_HELP)
    exercise_cli.add_parser(sub)
    bench = sub.add_parser("bench", help="run the benchmarks in bench/ (from a source checkout)")
    bench.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def _subcommand(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices.get(name)
    return None


def _formula_last(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """Move a formula that starts with '-' (argparse would take it for an option) after a '--'.

    >>> _formula_last(build_parser(), ["check", "-x**2", "--at", "x=1"])
    ['check', '--at', 'x=1', '--', '-x**2']
    """
    sub = _subcommand(parser, argv[0]) if argv else None
    if sub is None or "--" in argv or not any(a.dest == "formula" for a in sub._actions):
        return argv
    options = {s: a.nargs != 0 for a in sub._actions for s in a.option_strings}   # option -> takes a value
    i = 1
    while i < len(argv):
        token = argv[i]
        if token.startswith("--"):
            name = token.split("=", 1)[0]
            matches = [o for o in options if o.startswith(name) and o.startswith("--")]
            i += 2 if "=" not in token and len(matches) == 1 and options[matches[0]] else 1
        elif token in options:
            i += 2 if options[token] else 1
        elif token.startswith("-") and len(token) > 1 and _is_formula(token, options):
            return [*argv[:i], *argv[i + 1:], "--", token]
        else:
            i += 1
    return argv


def _is_formula(token: str, options: dict[str, bool]) -> bool:
    """A token like '-x**2' is a formula; '-ofile.svg' (a short option with its value) is not."""
    if not any(token.startswith(o) for o in options if not o.startswith("--")):
        return True
    try:
        parse_formula(token)
    except (ValueError, TypeError):
        return False
    return True


def _main(argv: list[str]) -> int:
    if argv[:1] == ["bench"] and argv[1:2] not in (["-h"], ["--help"]):
        return _run_bench(argv[1:])      # its options belong to bench/, not to this parser
    parser = build_parser()
    args = parser.parse_args(_formula_last(parser, argv))
    if args.command == "demo":
        if args.list:
            print("\n".join(list_demos()))
            return 0
        return run_demos(args.names, args.out)
    if args.command == "check":
        return check_formula(args.formula, args.at, args.eps, args.atol, args.rtol)
    if args.command == "graph":
        return graph_formula(args.formula, args.at, args.output, args.rankdir)
    if args.command == "explore":
        return run_explore_command(args)
    if args.command == "exercise":
        return exercise_cli.run(args)
    if args.command == "bench":
        return _run_bench(args.rest)
    return 2


def _silence_stdout() -> None:
    """Send what is left of stdout to /dev/null, so Python's exit flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``microgradx`` command; returns the exit code.

    Never shows a traceback: a command that fails prints one line and returns 2,
    Ctrl-C returns 130, and numerical warnings (overflow ...) stay quiet: the
    results show inf or nan instead. ``MICROGRADX_TRACEBACK=1`` re-raises
    unexpected errors, for debugging microgradx itself.

    >>> main(["check", "x.y", "--at", "x=1"])
    2
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    command = f"microgradx {argv[0]}" if argv and not argv[0].startswith("-") else "microgradx"
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            return _main(argv)
    except SystemExit as e:             # argparse: --help, or a usage error it has already printed
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    except KeyboardInterrupt:
        print(f"{command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:             # the reader went away (| head): nothing more to say
        _silence_stdout()
        return 1
    except Exception as e:
        if os.environ.get("MICROGRADX_TRACEBACK"):
            raise
        print(f"{command}: unexpected {type(e).__name__}: {_one_line(e)} (a bug? set "
              "MICROGRADX_TRACEBACK=1 to see where, and report it)", file=sys.stderr)
        return 2
