"""The exercise kit: exercises that grade themselves.

``list()`` gives every exercise (name, group, title, task); ``start(name,
directory)`` writes its template, a .py file with TODOs; ``check(name_or_path)``
grades a student's file and returns a :class:`Report` (score, one result per
check, the hint of the first failing check). From the shell:
``microgradx exercise list|start|check``.

Checks are hypothesis properties (derandomized: the same file always gets the
same grade and the same smallest failing input). The kit needs ``hypothesis``
when it checks (``pip install microgradx[exercises]``).

Exit codes of ``microgradx exercise check``: 0 full marks, 1 graded with
points missing (including a file that does not run), 2 a usage error
(unknown exercise, no such file).

>>> import microgradx as mg
>>> len(mg.exercises.list()) >= 14
True
>>> mg.exercises.get("central_diff").group
'Derivatives'
"""

from __future__ import annotations

import builtins
import re
from pathlib import Path

from .core import REPORT_SCHEMA, Check, CheckResult, Exercise, Report, grade_file, grade_source

__all__ = ["list", "get", "start", "check", "catalog", "Exercise", "Check", "CheckResult", "Report",
           "REPORT_SCHEMA", "ExerciseError", "grade_source", "grade_file"]


def catalog() -> dict[str, Exercise]:
    """Every exercise by name (loaded on first use: the checks need hypothesis).

    >>> "adam" in catalog()
    True
    """
    try:
        from .registry import EXERCISES
    except ImportError as err:
        if "hypothesis" not in str(err):
            raise
        raise ExerciseError(
            "the exercise kit checks answers with hypothesis, which is not installed: "
            "pip install hypothesis (or microgradx[exercises])"
        ) from err
    return EXERCISES


class ExerciseError(ValueError):
    """A request the kit cannot follow: an unknown exercise, a missing file, a file in the way.

    >>> issubclass(ExerciseError, ValueError)
    True
    """


def list() -> builtins.list[Exercise]:  # noqa: A001 - the kit's verb, as in `microgradx exercise list`
    """Every exercise, in teaching order (Derivatives, Engine, Optimization).

    >>> [e.name for e in list()][:2]
    ['central_diff', 'diff_error_order']
    """
    return builtins.list(catalog().values())


def get(name: str) -> Exercise:
    """The exercise called ``name``; :class:`ExerciseError` names the known ones otherwise.

    >>> get("adam").title
    'Adam'
    """
    known = catalog()
    if name not in known:
        raise ExerciseError(f"unknown exercise {name!r}; known: {', '.join(known)}")
    return known[name]


def start(name: str, directory: str | Path = ".", force: bool = False) -> Path:
    """Write exercise ``name``'s template to ``directory/name.py`` and return its path.

    Refuses (:class:`ExerciseError`) to overwrite an existing file unless ``force``.

    >>> import tempfile
    >>> p = start("central_diff", tempfile.mkdtemp()); p.name, "TODO" in p.read_text()
    ('central_diff.py', True)
    """
    exercise = get(name)
    folder = Path(directory)
    if not folder.is_dir():
        raise ExerciseError(f"{folder} is not a directory; create it first or pick another")
    path = folder / f"{exercise.name}.py"
    if path.exists() and not force:
        raise ExerciseError(f"{path} already exists; keep your work, or pass --force (force=True) "
                            "to start over")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(exercise.template(), encoding="utf-8")
    tmp.replace(path)
    return path


_MARKER = re.compile(r"""^EXERCISE\s*=\s*["'](\w+)["']""", re.MULTILINE)


def _exercise_of(path: Path) -> Exercise:
    text = path.read_text(encoding="utf-8", errors="replace")
    found = _MARKER.search(text)
    name = found.group(1) if found else path.stem
    known = catalog()
    if name not in known:
        raise ExerciseError(f"{path} does not say which exercise it answers (no EXERCISE = \"...\" line "
                            f"and its name is not an exercise); known: {', '.join(known)}")
    return known[name]


def check(name_or_path: str | Path, directory: str | Path = ".") -> Report:
    """Grade a student's file: a path to a .py file, or an exercise name (then ``directory/NAME.py``).

    The exercise is the file's ``EXERCISE = "..."`` line (written by
    :func:`start`), else the file's name.

    >>> import tempfile
    >>> p = start("central_diff", tempfile.mkdtemp())
    >>> r = check(p); r.score, r.max_score
    (0, 3)
    """
    text = str(name_or_path)
    known = catalog()
    if text in known and not text.endswith(".py"):
        path = Path(directory) / f"{text}.py"
        if not path.is_file():
            raise ExerciseError(f"no {path} to check; start it with: microgradx exercise start {text}")
    else:
        path = Path(text)
        if not path.is_file():
            hint = "" if path.suffix == ".py" else f"; or an exercise name: {', '.join(known)}"
            raise ExerciseError(f"no file {path} to check{hint}")
    return grade_file(_exercise_of(path), path)
