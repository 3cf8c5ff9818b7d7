"""Shared helpers of the benchmarks: timing, gc control, tables, the report.

>>> t = time_calls(lambda: None, repeats=3, warmup=1)
>>> t.n, t.min <= t.median
(3, True)
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Timing", "time_calls", "interleaved", "gc_mode", "fmt_time", "fmt_ratio", "fmt_bytes",
    "Section", "Report",
]


@dataclass(frozen=True)
class Timing:
    """Median and minimum of ``n`` timed calls, in seconds.

    >>> Timing.of([3.0, 1.0, 2.0])
    Timing(median=2.0, min=1.0, n=3)
    """

    median: float
    min: float
    n: int

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Timing:
        """The timing of a list of measured durations."""
        return cls(statistics.median(seconds), min(seconds), len(seconds))


@contextmanager
def gc_mode(enabled: bool) -> Iterator[None]:
    """Run a block with Python's automatic cyclic gc on or off, collecting on both sides.

    >>> with gc_mode(False):
    ...     gc.isenabled()
    False
    """
    was = gc.isenabled()
    gc.collect()
    if enabled:
        gc.enable()
    else:
        gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
        else:
            gc.disable()
        gc.collect()


def time_calls(fn: Callable[[], Any], repeats: int, warmup: int = 1, gc_on: bool = True,
               setup: Callable[[], Any] | None = None) -> Timing:
    """Time ``repeats`` calls of ``fn`` after ``warmup`` untimed ones (``setup`` runs untimed first).

    >>> time_calls(lambda: sum(range(10)), repeats=5).n
    5
    """
    seconds = []
    with gc_mode(gc_on):
        for i in range(warmup + repeats):
            if setup is not None:
                setup()
            t0 = time.perf_counter()
            fn()
            dt = time.perf_counter() - t0
            if i >= warmup:
                seconds.append(dt)
    return Timing.of(seconds)


def interleaved(fns: dict[str, Callable[[], Any]], rounds: int, per_round: int | dict[str, int],
                warmup: int = 1, gc_on: bool = True) -> dict[str, Timing]:
    """Time several functions in turns: ``rounds`` times, ``per_round`` calls of each in a row.

    Taking turns spreads a busy moment of the machine over every contender.
    ``per_round`` may give a count per contender (fewer calls of a slow one).
    With ``gc_on=False`` the calls are timed with the automatic collector off
    and the cyclic garbage of each turn is collected after it, untimed: a
    contender's calls run back to back as in a training loop, and none runs
    in a heap swollen by another's (micrograd leaves ~40 MB of cycles a step).

    >>> ts = interleaved({"a": lambda: None, "b": lambda: None}, rounds=2, per_round=3)
    >>> sorted(ts), ts["a"].n
    (['a', 'b'], 6)
    """
    seconds: dict[str, list[float]] = {name: [] for name in fns}
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    clock = time.perf_counter
    with gc_mode(gc_on):
        for _ in range(rounds):
            for name, fn in fns.items():
                record = seconds[name].append
                count = per_round[name] if isinstance(per_round, dict) else per_round
                for _ in range(count):
                    t0 = clock()
                    fn()
                    record(clock() - t0)
                if not gc_on:
                    gc.collect()
    return {name: Timing.of(s) for name, s in seconds.items()}


def fmt_time(seconds: float) -> str:
    """A duration with a unit that keeps three significant digits.

    >>> fmt_time(0.00123), fmt_time(2.5)
    ('1.23 ms', '2.50 s')
    """
    seconds = float(f"{seconds:.3g}")
    unit, scale = next(((u, s) for u, s in (("s", 1.0), ("ms", 1e-3)) if seconds >= s), ("µs", 1e-6))
    return f"{seconds / scale:#.3g}".rstrip(".") + " " + unit


def fmt_ratio(x: float) -> str:
    """A speed ratio such as ``3.4x``.

    >>> fmt_ratio(3.14159), fmt_ratio(0.063), fmt_ratio(12.4)
    ('3.1x', '0.06x', '12x')
    """
    return f"{x:.2f}x" if x < 1 else f"{x:.1f}x" if x < 10 else f"{x:.0f}x"


def fmt_bytes(n: float) -> str:
    """A byte count, in B, KiB or MiB.

    >>> fmt_bytes(2048)
    '2.0 KiB'
    """
    for unit, scale in (("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n:.0f} B"


@dataclass
class Section:
    """One titled results table with notes below it."""

    title: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *cells: Any) -> None:
        """Append a row (cells are turned into strings)."""
        self.rows.append([str(c) for c in cells])

    def note(self, text: str) -> None:
        """Append a line printed under the table."""
        self.notes.append(text)

    def markdown(self) -> str:
        """The section as Markdown: a heading, a table, the notes."""
        lines = [f"### {self.title}", ""]
        if self.rows:
            lines.append("| " + " | ".join(self.header) + " |")
            lines.append("|" + "|".join(" --- " for _ in self.header) + "|")
            lines += ["| " + " | ".join(r) + " |" for r in self.rows]
            lines.append("")
        lines += [f"- {n}" for n in self.notes]
        return "\n".join(lines).rstrip() + "\n"


@dataclass
class Report:
    """All sections of one run, printed as they finish and written as Markdown."""

    header: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)

    def section(self, title: str, header: Sequence[str]) -> Section:
        """Start a new section (printed when :meth:`done` is called on it)."""
        s = Section(title, list(header))
        self.sections.append(s)
        return s

    def show(self, section: Section) -> None:
        """Print a finished section."""
        print(section.markdown(), flush=True)

    def markdown(self) -> str:
        """The whole report."""
        return "\n".join(self.header) + "\n\n" + "\n".join(s.markdown() for s in self.sections)
