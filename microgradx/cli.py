"""Command line: ``microgradx demo [NAME]`` (more commands: graph, check, bench).

>>> main(["demo", "--list"])  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import runpy
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main", "demo_dir", "list_demos"]


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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``microgradx`` command."""
    parser = argparse.ArgumentParser(prog="microgradx", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run a demo (or all) and say where its pictures went")
    demo.add_argument("names", nargs="*", help="demo names; 'all' or nothing runs every demo")
    demo.add_argument("--list", action="store_true", help="list the demos")
    bench = sub.add_parser("bench", help="run the benchmarks in bench/")
    bench.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``microgradx`` command; returns the exit code."""
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        if args.list:
            print("\n".join(list_demos()))
            return 0
        return _run_demos(args.names)
    if args.command == "bench":
        return _run_bench(args.rest)
    return 2
