"""The machinery of the exercise kit: exercises, checks, grading a student's file, reports.

A check is a property over inputs hypothesis generates (derandomized, so a
grade is reproducible): :func:`property_check` searches for an input on which
the student's code disagrees with the expected answer and shrinks it to the
smallest one, which the message then shows together with what was expected
and what came back. A check is worth ``points``; the score is the sum over
passed checks. Each check carries one hint (so an exercise has at most three),
and a report reveals one of them: that of the first failing check, in the
text and in that check's JSON record (the other records' hints are empty).
It is stateless: the same file always gets the same hint, and fixing one
mistake reveals the next hint.

>>> ex = Exercise("demo", "Derivatives", "Square", "Write square(x) = x * x.",
...               "def square(x):\\n    return None  # TODO\\n",
...               (equal_check("square", "square(3.0) is 9", "Multiply x by itself.", ("square",),
...                            lambda m: (m.square(3.0), 9.0)),))
>>> grade_source(ex, "def square(x):\\n    return x * x\\n").score
1
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import math
import re
import signal
import threading
import traceback
import types
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "Exercise", "Check", "CheckResult", "Report", "CheckFailed", "grade_source", "grade_file",
    "property_check", "equal_check", "rel_error", "band", "compare", "describe", "TIME_LIMIT",
    "REPORT_SCHEMA",
]

TIME_LIMIT = 30.0   # seconds per check: generous, only there to stop an endless loop


class CheckFailed(Exception):
    """Raised by a check's test with a message saying what was expected and what came back.

    >>> str(CheckFailed("expected 2, got 3"))
    'expected 2, got 3'
    """


class _TimeUp(BaseException):
    """The student's code ran past the time limit (a BaseException: no `except Exception` swallows it)."""


@dataclass(frozen=True)
class Check:
    """One graded property: ``run(module)`` returns None (passed) or the failure message.

    ``needs`` names the functions/classes the student's file must define.

    >>> Check("ok", 1, "always passes", "", (), lambda m: None).run(None) is None
    True
    """

    name: str
    points: int
    describe: str
    hint: str
    needs: tuple[str, ...]
    run: Callable[[types.ModuleType], str | None]


@dataclass(frozen=True)
class Exercise:
    """One exercise: its group, title, task (a few lines with the formula), template body and checks.

    >>> ex = Exercise("e", "Derivatives", "t", "Write f(x) = x.", "def f(x):\\n    pass  # TODO\\n", ())
    >>> 'EXERCISE = "e"' in ex.template(), ex.max_score
    (True, 0)
    """

    name: str
    group: str
    title: str
    task: str
    body: str
    checks: tuple[Check, ...]
    imports: str = "import numpy as np\n\nimport microgradx as mg\n"

    @property
    def max_score(self) -> int:
        """The points of all checks together."""
        return sum(c.points for c in self.checks)

    @property
    def hints(self) -> list[str]:
        """The hints, one per check, in check order."""
        return [c.hint for c in self.checks]

    def template(self) -> str:
        """The file a student starts from: the task in the docstring, then stubs with TODOs."""
        task = "\n".join(("    " + line) if line else "" for line in self.task.splitlines())
        return (
            f'"""Exercise {self.name} ({self.group}): {self.title}.\n\n{task}\n\n'
            f"Fill in every TODO, then grade your work with:\n\n"
            f"    microgradx exercise check {self.name}\n"
            f'"""\n\n{self.imports}\n'
            f'EXERCISE = "{self.name}"   # tells the checker which exercise this is\n\n\n'
            f"{self.body}"
        )


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: points earned of ``max_points``, the message, and its hint if revealed.

    >>> CheckResult("c", 0, 1, False, "expected 1, got 2", "look again").to_json()["points"]
    0
    """

    name: str
    points: int
    max_points: int
    passed: bool
    message: str
    hint: str

    def to_json(self) -> dict[str, Any]:
        """The record of this check in ``--json`` output."""
        return {"name": self.name, "points": self.points, "max_points": self.max_points,
                "passed": self.passed, "message": self.message, "hint": self.hint}


@dataclass
class Report:
    """A graded file: one :class:`CheckResult` per check, the score, and the hint to show.

    ``hint`` is the hint of the first failing check ('' when everything passed).

    >>> r = Report("e", "e.py", [CheckResult("a", 1, 1, True, "ok", ""),
    ...                          CheckResult("b", 0, 1, False, "no", "hint b")])
    >>> r.score, r.max_score, r.passed, r.hint
    (1, 2, False, 'hint b')
    """

    exercise: str
    file: str
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def score(self) -> int:
        """Points earned."""
        return sum(c.points for c in self.checks)

    @property
    def max_score(self) -> int:
        """Points available."""
        return sum(c.max_points for c in self.checks)

    @property
    def passed(self) -> bool:
        """True when every check passed (full marks)."""
        return all(c.passed for c in self.checks)

    @property
    def hint(self) -> str:
        """The hint of the first failing check, or ''."""
        return next((c.hint for c in self.checks if not c.passed), "")

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` record: exercise, file, score, max_score, passed and one record per check."""
        return {"exercise": self.exercise, "file": self.file, "score": self.score,
                "max_score": self.max_score, "passed": self.passed,
                "tests": [c.to_json() for c in self.checks]}

    def __str__(self) -> str:
        lines = [f"exercise {self.exercise} ({self.file}): {self.score}/{self.max_score} points"]
        for c in self.checks:
            mark = "PASS" if c.passed else "FAIL"
            lines.append(f"  [{mark}] {c.name} ({c.points}/{c.max_points}): {c.message}")
        if self.passed:
            lines.append("all checks pass: well done")
        elif self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)


# The --json output, as a JSON Schema (draft 2020-12), written out so graders can validate it.
REPORT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["exercise", "file", "score", "max_score", "passed", "tests"],
    "additionalProperties": False,
    "properties": {
        "exercise": {"type": "string"},
        "file": {"type": "string"},
        "score": {"type": "integer", "minimum": 0},
        "max_score": {"type": "integer", "minimum": 1},
        "passed": {"type": "boolean"},
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "points", "max_points", "passed", "message", "hint"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string"},
                    "points": {"type": "integer", "minimum": 0},
                    "max_points": {"type": "integer", "minimum": 1},
                    "passed": {"type": "boolean"},
                    "message": {"type": "string"},
                    "hint": {"type": "string"},
                },
            },
        },
    },
}


# ---- comparing numbers ----------------------------------------------------------

def rel_error(a: Any, b: Any) -> float:
    """CS231n's relative error |a - b| / max(|a|, |b|), elementwise maximum (0 when both are 0).

    >>> rel_error(1.0, 1.001) < 1e-3
    True
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    den = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-300)
    err = np.where((a == b), 0.0, np.abs(a - b) / den)
    return float(np.max(err)) if err.size else 0.0


def band(r: float) -> str:
    """CS231n's bands for a relative error: good (< 1e-7), suspicious (<= 1e-4), wrong.

    >>> band(1e-9), band(1e-5), band(0.1)
    ('good', 'suspicious', 'wrong')
    """
    if r < 1e-7:
        return "good"
    return "suspicious" if r <= 1e-4 else "wrong"


def describe(x: Any) -> str:
    """A short readable form of an input or result (arrays rounded, dicts as name=value).

    >>> describe({"x": 1.5, "h": 1e-4})
    'x=1.5, h=0.0001'
    """
    if isinstance(x, dict):
        return ", ".join(f"{k}=({describe(v)})" if isinstance(v, dict) else f"{k}={describe(v)}"
                         for k, v in x.items())
    if isinstance(x, np.ndarray):
        return np.array2string(x, precision=6, separator=", ", threshold=20)
    if isinstance(x, float):
        return f"{x:.10g}"
    if isinstance(x, (list, tuple)) and x and isinstance(x[0], np.ndarray):
        return "[" + ", ".join(describe(v) for v in x) + "]"
    return repr(x)


def compare(expected: Any, got: Any, what: str, tol: float = 1e-4, atol: float = 1e-12) -> None:
    """Raise :class:`CheckFailed` unless ``got`` matches ``expected`` (shape, then relative error <= tol).

    Elements closer than ``atol`` pass whatever their relative error (both
    near 0, where a relative error means nothing). The message names the
    worst element and the relative error's band.

    >>> try:
    ...     compare(np.array([1.0, 2.0]), np.array([1.0, 2.5]), "the gradient")
    ... except CheckFailed as e:
    ...     print(e)
    the gradient: expected 2 at element [1], got 2.5 (relative error 0.2: wrong)
    """
    exp = np.asarray(expected, dtype=float)
    if got is None:
        raise CheckFailed(f"{what}: expected {describe(expected)}, got None (did you forget a return?)")
    try:
        g = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed(f"{what}: expected a number/array like {describe(expected)}, got "
                          f"{type(got).__name__} {got!r:.60}") from None
    if g.shape != exp.shape:
        raise CheckFailed(f"{what}: expected shape {exp.shape}, got shape {g.shape} "
                          f"(expected {describe(exp)}, got {describe(g)})")
    if not np.all(np.isfinite(g)) and np.all(np.isfinite(exp)):
        raise CheckFailed(f"{what}: expected {describe(exp)}, got {describe(g)} (not finite)")
    den = np.maximum(np.maximum(np.abs(exp), np.abs(g)), 1e-300)
    errs = np.where(exp == g, 0.0, np.abs(exp - g) / den)
    errs = np.where(np.abs(exp - g) <= atol, 0.0, errs)
    worst = int(np.argmax(errs)) if errs.size else 0
    r = float(errs.reshape(-1)[worst]) if errs.size else 0.0
    if r > tol or math.isnan(r):
        at = "" if exp.ndim == 0 else f" at element {[int(i) for i in np.unravel_index(worst, exp.shape)]}"
        e_val, g_val = exp.reshape(-1)[worst], g.reshape(-1)[worst]
        raise CheckFailed(f"{what}: expected {e_val:.8g}{at}, got {g_val:.8g} "
                          f"(relative error {r:.3g}: {band(r)})")


# ---- running the student's code --------------------------------------------------

@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Stop the block after ``seconds`` with :class:`_TimeUp` (main thread on Unix; elsewhere no limit)."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable or seconds <= 0:
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise _TimeUp()

    old = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _where(err: BaseException, filename: str) -> str:
    lines = [f.lineno for f in traceback.extract_tb(err.__traceback__) if f.filename == filename]
    return f" (line {lines[-1]})" if lines else ""


def explain(err: BaseException, filename: str = "<student>") -> str:
    """One line for an exception raised by the student's code, with its line in their file.

    >>> explain(ValueError("bad"))
    'raised ValueError: bad'
    """
    if isinstance(err, NotImplementedError):
        return f"not written yet: raises NotImplementedError{_where(err, filename)} (a TODO is left)"
    text = str(err).splitlines()[0] if str(err) else ""
    return f"raised {type(err).__name__}{': ' + text if text else ''}{_where(err, filename)}"


def load_source(source: str, filename: str) -> tuple[types.ModuleType | None, str]:
    """Run a student's file as a fresh module; returns (module, '') or (None, why it could not load).

    >>> load_source("x = (", "a.py")[1]
    "your file has a syntax error on line 1: '(' was never closed"
    """
    try:
        code = compile(source, filename, "exec")
    except SyntaxError as e:
        return None, f"your file has a syntax error on line {e.lineno}: {e.msg}"
    except ValueError as e:
        return None, f"your file could not be read as Python: {e}"
    module = types.ModuleType("student_" + re.sub(r"\W", "_", Path(filename).stem))
    module.__file__ = filename
    try:
        with contextlib.redirect_stdout(io.StringIO()), _time_limit(TIME_LIMIT):
            exec(code, module.__dict__)
    except _TimeUp:
        return None, f"running your file took longer than {TIME_LIMIT:g} s (an endless loop at top level?)"
    except SystemExit:
        return None, "your file calls exit() when it runs: remove that call (the checker imports your file)"
    except Exception as e:
        return None, f"running your file {explain(e, filename)}"
    return module, ""


def _run_check(check: Check, module: types.ModuleType | None, load_error: str,
               time_limit: float) -> CheckResult:
    def result(passed: bool, message: str, hint: str = check.hint) -> CheckResult:
        return CheckResult(check.name, check.points if passed else 0, check.points, passed, message,
                           "" if passed else hint)

    if module is None:
        return result(False, load_error, "Fix this first: the checks need a file that runs.")
    missing = [n for n in check.needs if not callable(getattr(module, n, None))]
    if missing:
        return result(False, f"your file defines no {', '.join(missing)}: keep the names from the template",
                      "Start again from the template (microgradx exercise start NAME --force) if a name "
                      "got lost.")
    try:
        with contextlib.redirect_stdout(io.StringIO()), _time_limit(time_limit):
            message = check.run(module)
    except _TimeUp:
        return result(False, f"your code ran longer than {time_limit:g} s on this check (an endless loop?)")
    except SystemExit:
        return result(False, "your code called exit() during the check: return a value instead")
    except CheckFailed as e:
        message = str(e)
    except Exception as e:
        message = explain(e, getattr(module, "__file__", ""))
    return result(message is None, check.describe if message is None else message)


def grade_source(exercise: Exercise, source: str, filename: str = "<student>",
                 time_limit: float = TIME_LIMIT) -> Report:
    """Grade the text of a student's file against every check of ``exercise`` (see the module example)."""
    module, error = load_source(source, filename)
    results = [_run_check(c, module, error, time_limit) for c in exercise.checks]
    first = next((i for i, r in enumerate(results) if not r.passed), None)
    results = [r if i == first else dataclasses.replace(r, hint="") for i, r in enumerate(results)]
    return Report(exercise.name, filename, results)


def grade_file(exercise: Exercise, path: Path, time_limit: float = TIME_LIMIT) -> Report:
    """Grade a student's file (see :func:`grade_source`).

    >>> import tempfile
    >>> ex = Exercise("sq", "Derivatives", "t", "Write sq(x) = x * x.", "", (equal_check(
    ...     "three", "sq(3) = 9", "multiply", ("sq",), lambda m: (m.sq(3.0), 9.0)),))
    >>> path = Path(tempfile.mkdtemp()) / "sq.py"
    >>> _ = path.write_text("def sq(x):\\n    return x + x\\n")
    >>> grade_file(ex, path).checks[0].message
    'sq(3) = 9: expected 9, got 6 (relative error 0.333: wrong)'
    """
    return grade_source(exercise, Path(path).read_text(encoding="utf-8"), str(path), time_limit)


# ---- building checks --------------------------------------------------------------

def equal_check(name: str, what: str, hint: str, needs: Sequence[str],
                got_expected: Callable[[types.ModuleType], tuple[Any, Any]], points: int = 1,
                tol: float = 1e-4, atol: float = 1e-12) -> Check:
    """A check without generated inputs: ``got_expected(module)`` returns (got, expected).

    >>> import types
    >>> c = equal_check("pi", "PI is pi", "3.14159...", (), lambda m: (m.PI, 3.141592653589793))
    >>> c.run(types.SimpleNamespace(PI=3.0))
    Traceback (most recent call last):
    ...
    microgradx.exercises.core.CheckFailed: PI is pi: expected 3.1415927, got 3 (relative error 0.0451: wrong)
    """
    def run(module: types.ModuleType) -> str | None:
        got, expected = got_expected(module)
        compare(expected, got, what, tol, atol)
        return None

    return Check(name, points, what, hint, tuple(needs), run)


def property_check(name: str, what: str, hint: str, needs: Sequence[str], strategy: Any,
                   test: Callable[[types.ModuleType, Any], None], points: int = 1,
                   max_examples: int = 30) -> Check:
    """A property over generated inputs: the smallest input where ``test`` fails is reported.

    ``test(module, example)`` raises :class:`CheckFailed` (or anything else)
    when the student's code is wrong for ``example``. The search is
    derandomized, so the same file always gets the same example.

    >>> import types
    >>> from hypothesis import strategies as st
    >>> def test(m, x):
    ...     compare(abs(x), m.absolute(x), "absolute(x)")
    >>> c = property_check("abs", "absolute is abs", "mind the sign", ("absolute",),
    ...                    st.integers(-100, 100), test)
    >>> c.run(types.SimpleNamespace(absolute=lambda x: x))
    'for -1: absolute(x): expected 1, got -1 (relative error 2: wrong)'
    """
    def run(module: types.ModuleType) -> str | None:
        from hypothesis import HealthCheck, Phase, find, settings
        from hypothesis.errors import NoSuchExample

        def fails(example: Any) -> bool:
            try:
                test(module, example)
            except CheckFailed:
                return True
            except Exception:
                return True
            return False

        config = settings(max_examples=max_examples, derandomize=True, database=None, deadline=None,
                          suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
                          phases=[Phase.generate, Phase.shrink])
        try:
            example = find(strategy, fails, settings=config)
        except NoSuchExample:
            return None
        try:
            test(module, example)
        except CheckFailed as e:
            return f"for {describe(example)}: {e}"
        except Exception as e:
            return f"for {describe(example)}: your code {explain(e, getattr(module, '__file__', ''))}"
        return f"for {describe(example)}: fails only sometimes (does your code keep state between calls?)"

    return Check(name, points, what, hint, tuple(needs), run)
