"""``microgradx exercise list|start|check``: the exercise kit from the shell.

Exit codes: 0 full marks (or list/start done), 1 graded with points missing,
2 a usage error (unknown exercise, no such file, a file in the way): one
line, never a traceback.

>>> import tempfile
>>> main(["start", "central_diff", tempfile.mkdtemp()])  # doctest: +ELLIPSIS
wrote ...central_diff.py: fill in the TODOs, then run: microgradx exercise check central_diff
0
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Sequence

from . import ExerciseError, catalog, check, start

__all__ = ["add_parser", "run", "main"]


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``exercise`` subcommand (with list, start, check) to a subparsers object.

    >>> parser = argparse.ArgumentParser(prog="microgradx")
    >>> _ = add_parser(parser.add_subparsers(dest="command"))
    >>> parser.parse_args(["exercise", "check", "adam", "--json"]).json
    True
    """
    parser = sub.add_parser("exercise", help="exercises that grade themselves: list, start, check",
                            description="Exercises that grade themselves. Exit codes of check: 0 full "
                                        "marks, 1 points missing, 2 usage error.")
    verbs = parser.add_subparsers(dest="verb", required=True)
    verbs.add_parser("list", help="list the exercises, with their tasks")
    s = verbs.add_parser("start", help="write an exercise's template (a .py file with TODOs)")
    s.add_argument("name", help="the exercise (see: microgradx exercise list)")
    s.add_argument("directory", nargs="?", default=".", help="where to write NAME.py (default: here)")
    s.add_argument("--force", action="store_true", help="overwrite an existing NAME.py")
    c = verbs.add_parser("check", help="grade your file: NAME (looks for NAME.py here) or a path")
    c.add_argument("target", help="an exercise name or the path of your .py file")
    c.add_argument("--json", action="store_true", help="one JSON record: per check name, points, "
                                                        "passed, message, hint; and the total")
    return parser


def _list() -> int:
    group = None
    for e in catalog().values():
        if e.group != group:
            group = e.group
            print(f"\n{group}:" if group != "Derivatives" else f"{group}:")
        print(f"  {e.name:<22} {e.title}  ({e.max_score} points)")
        print(textwrap.indent(e.task, " " * 26))
    return 0


def run(args: argparse.Namespace) -> int:
    """Run a parsed ``exercise`` command; returns the exit code.

    >>> run(argparse.Namespace(verb="check", target="no_such_exercise", json=False))
    2
    """
    try:
        if args.verb == "list":
            return _list()
        if args.verb == "start":
            path = start(args.name, args.directory, force=args.force)
            print(f"wrote {path}: fill in the TODOs, then run: microgradx exercise check {args.name}")
            return 0
        report = check(args.target)
    except (ExerciseError, OSError) as e:
        print(f"microgradx exercise: {e}", file=sys.stderr)
        return 2
    print(json.dumps(report.to_json(), indent=2) if args.json else report)
    return 0 if report.passed else 1


def main(argv: Sequence[str] | None = None) -> int:
    """``microgradx exercise ...`` on its own (argv without the word 'exercise')."""
    parser = argparse.ArgumentParser(prog="microgradx")
    add_parser(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(["exercise", *(sys.argv[1:] if argv is None else argv)]))
