"""``python -m bench [scalar|tensor|optim|transforms ...]``: run benchmark groups, print and save the results.

With no group named, every group runs, each in a fresh Python process: a
group's timings must not depend on the heap an earlier group left behind
(micrograd's steps grow it by gigabytes, after which DeZero's large temporary
arrays come cheaper). The results are printed as they come and written to
``bench/out/results.md`` at the end.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import numpy as np

from .common import Report

GROUPS = ("scalar", "tensor", "optim", "transforms")
OUT = Path(__file__).resolve().parent / "out" / "results.md"


def _version(dist: str) -> str:
    # read from the package metadata: importing torch here would slow the gc-on timings
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_note(groups: Sequence[str]) -> list[str]:
    """The header of the results: what ran, on what, with which versions."""
    peers = ", ".join(f"{m} {_version(m)}" for m in ("micrograd", "torch", "dezero"))
    return [
        "# microgradx benchmark results",
        "",
        f"Command: `python -m bench{' ' + ' '.join(groups) if set(groups) != set(GROUPS) else ''}`  ",
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, "
        f"NumPy {np.__version__}; microgradx {_version('microgradx')}; peers: {peers}  ",
        "Times are the median (and min) of repeated runs in one process; lower is better.  ",
        f"Load average (1 min) when the run started: {os.getloadavg()[0]:.1f}  ",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen groups (all by default) and write ``bench/out/results.md``."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("groups", nargs="*", metavar="GROUP",
                        help=f"groups to run: {', '.join(GROUPS)} (default: all)")
    parser.add_argument("--sections-to", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    unknown = [g for g in args.groups if g not in GROUPS]
    if unknown:
        parser.error(f"unknown group(s) {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
    groups = [g for g in GROUPS if g in args.groups] if args.groups else list(GROUPS)
    if args.sections_to:                  # one group, run for a parent process
        report = Report()
        _run_group(groups[0], report)
        Path(args.sections_to).write_text("\n".join(s.markdown() for s in report.sections), encoding="utf-8")
        return 0
    report = Report(header=machine_note(groups))
    print("\n".join(report.header) + "\n", flush=True)
    t0 = time.perf_counter()
    parts = []
    for group in groups:
        if len(groups) == 1:
            _run_group(group, report)
            parts.append("\n".join(s.markdown() for s in report.sections))
            continue
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"{group}.md"
            subprocess.run([sys.executable, "-m", "bench", group, "--sections-to", str(path)],
                           cwd=Path(__file__).resolve().parent.parent, check=True)
            parts.append(path.read_text(encoding="utf-8"))
    report.header.append(f"Load average (1 min) when it ended: {os.getloadavg()[0]:.1f} "
                         "(near 0 on an idle machine; above 1, other work shared the 2 cores)")
    if len(groups) > 1:
        report.header.append("Each group ran in a fresh Python process.")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(report.header) + "\n\n" + "\n".join(parts), encoding="utf-8")
    print(f"[all: {time.perf_counter() - t0:.0f} s] results written to bench/out/results.md")
    return 0


def _run_group(group: str, report: Report) -> None:
    g0 = time.perf_counter()
    print(f"## {group}\n", flush=True)
    importlib.import_module(f".{group}", __package__).run(report)
    print(f"[{group}: {time.perf_counter() - g0:.0f} s]\n", flush=True)


if __name__ == "__main__":
    sys.exit(main())
