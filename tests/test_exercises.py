"""Tests for the exercise kit: every reference solution scores full marks, typical mistakes do not.

The reference solutions and mistakes live in tests/exercise_solutions.py (never in the package).
For each mistake the check that must fail first, and so the hint shown, is chosen by hand there.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

import microgradx as mg
from microgradx.cli import main as cli_main
from microgradx.exercises.core import band, grade_source

sys.path.insert(0, str(Path(__file__).resolve().parent))
from exercise_solutions import MISTAKES, SOLUTIONS  # noqa: E402

GROUPS = {
    "Derivatives": {"central_diff", "diff_error_order", "numerical_gradient"},
    "Engine": {"value_exp", "value_tanh", "value_pow", "value_div", "function_sigmoid", "function_tanh",
               "function_softmax_ce", "two_layer_net"},
    "Optimization": {"gradient_descent", "learning_rate", "momentum", "adagrad", "rmsprop", "adam", "amsgrad",
                     "swats", "minibatch_sgd"},
}
ALL = sorted(set().union(*GROUPS.values()))

# the --json record, written out by hand for graders (nbgrader / otter-grader / GitHub Classroom)
SCHEMA = {
    "type": "object",
    "required": ["exercise", "file", "score", "max_score", "passed", "tests"],
    "additionalProperties": False,
    "properties": {
        "exercise": {"type": "string"}, "file": {"type": "string"},
        "score": {"type": "integer", "minimum": 0}, "max_score": {"type": "integer", "minimum": 1},
        "passed": {"type": "boolean"},
        "tests": {"type": "array", "items": {
            "type": "object",
            "required": ["name", "points", "max_points", "passed", "message", "hint"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string"}, "points": {"type": "integer", "minimum": 0},
                "max_points": {"type": "integer", "minimum": 1}, "passed": {"type": "boolean"},
                "message": {"type": "string"}, "hint": {"type": "string"}}}},
    },
}

TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "integer": int}


def schema_errors(value, schema, where="$") -> list[str]:
    """The few JSON Schema keywords SCHEMA uses: type, required, properties, additionalProperties, items."""
    kind = TYPES[schema["type"]]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        return [f"{where}: expected {schema['type']}, got {type(value).__name__}"]
    errors = []
    if "minimum" in schema and value < schema["minimum"]:
        errors.append(f"{where}: {value} < {schema['minimum']}")
    if kind is dict:
        errors += [f"{where}: missing {k}" for k in schema.get("required", []) if k not in value]
        props = schema.get("properties", {})
        if schema.get("additionalProperties") is False:
            errors += [f"{where}: unexpected {k}" for k in value if k not in props]
        for k, sub in props.items():
            if k in value:
                errors += schema_errors(value[k], sub, f"{where}.{k}")
    if kind is list:
        for i, item in enumerate(value):
            errors += schema_errors(item, schema["items"], f"{where}[{i}]")
    return errors


def test_schema_checker_catches_bad_records():
    good = {"exercise": "a", "file": "a.py", "score": 1, "max_score": 2, "passed": False,
            "tests": [{"name": "c", "points": 1, "max_points": 1, "passed": True, "message": "", "hint": ""}]}
    assert schema_errors(good, SCHEMA) == []
    assert schema_errors({**good, "score": "1"}, SCHEMA) == ["$.score: expected integer, got str"]
    assert schema_errors({**good, "extra": 1}, SCHEMA) == ["$: unexpected extra"]
    bad_test = {**good, "tests": [{"name": "c"}]}
    assert "$.tests[0]: missing points" in schema_errors(bad_test, SCHEMA)


def grade(name: str, source: str):
    return grade_source(mg.exercises.get(name), source, f"{name}.py")


# ---- the catalogue ---------------------------------------------------------------------------

def test_at_least_fourteen_exercises_in_three_groups():
    exercises = mg.exercises.list()
    assert len(exercises) >= 14
    by_group = {g: {e.name for e in exercises if e.group == g} for g in GROUPS}
    assert by_group == GROUPS
    assert set(SOLUTIONS) == set(ALL) == set(MISTAKES)


@pytest.mark.parametrize("name", ALL)
def test_each_exercise_states_its_task_with_a_formula_and_has_at_most_three_hints(name):
    e = mg.exercises.get(name)
    assert ("=" in e.task or "<-" in e.task) and len(e.task.splitlines()) <= 8
    assert 1 <= len(e.hints) <= 3 and all(h.strip() for h in e.hints)
    template = e.template()
    compile(template, f"{name}.py", "exec")
    assert "TODO" in template and e.task.splitlines()[0] in template
    assert f'EXERCISE = "{name}"' in template


@pytest.mark.parametrize("name", ALL)
def test_the_untouched_template_scores_nothing(name):
    report = grade(name, mg.exercises.get(name).template())
    assert report.score == 0 and not report.passed
    assert all("TODO" in c.message or "not written yet" in c.message or "None" in c.message
               for c in report.checks)


# ---- reference solutions and typical mistakes -----------------------------------------------

@pytest.mark.parametrize("name", ALL)
def test_reference_solution_scores_full_marks(name):
    report = grade(name, SOLUTIONS[name])
    assert report.passed, str(report)
    assert report.score == report.max_score == len(report.checks)
    assert report.hint == "" and "well done" in str(report)


MISTAKE_CASES = [(name, *m) for name in ALL for m in MISTAKES[name]]


def test_at_least_three_mistakes_per_exercise():
    assert all(len(MISTAKES[name]) >= 3 for name in ALL)


@pytest.mark.parametrize(("name", "what", "old", "new", "first_failing"), MISTAKE_CASES,
                         ids=[f"{c[0]}: {c[1]}" for c in MISTAKE_CASES])
def test_typical_mistake_scores_less_and_gets_its_hint(name, what, old, new, first_failing):
    source = SOLUTIONS[name]
    assert source.count(old) >= 1
    report = grade(name, source.replace(old, new, 1))
    assert report.score < report.max_score
    failing = [c.name for c in report.checks if not c.passed]
    assert failing[0] == first_failing, str(report)
    check = next(c for c in mg.exercises.get(name).checks if c.name == first_failing)
    assert report.hint == check.hint and f"hint: {check.hint}" in str(report)
    for c in report.checks:
        assert c.points == (c.max_points if c.passed else 0) and c.message
        assert c.hint == (check.hint if c.name == first_failing else "")     # one hint revealed at a time


# ---- messages: the smallest failing input, expected vs got ---------------------------------------

def test_message_names_the_smallest_input_and_both_values():
    report = grade("central_diff", SOLUTIONS["central_diff"].replace("/ (2 * h)", "/ h"))
    msg = report.checks[0].message
    # shrunk to the first function (sin), x = 0, the largest step h = 0.01
    assert msg.startswith("for f='sin', x=0, h=0.01:")
    expected, got = math.sin(0.01) / 0.01, 2 * math.sin(0.01) / 0.01
    assert f"expected {expected:.8g}" in msg and f"got {got:.8g}" in msg
    assert "relative error 0.5: wrong" in msg


def test_gradient_messages_name_the_element_and_the_band():
    report = grade("numerical_gradient", SOLUTIONS["numerical_gradient"].replace(
        "for idx in np.ndindex(x.shape):", "for idx in [(0,) * x.ndim]:"))
    msg = report.checks[0].message
    assert "at element [1]" in msg and ": wrong)" in msg


def test_engine_messages_come_from_blame():
    source = SOLUTIONS["function_sigmoid"].replace("grad * y * (1 - y)", "y * (1 - y)")
    report = grade("function_sigmoid", source)
    chain = next(c for c in report.checks if c.name == "chain_rule")
    assert "gradcheck blames Sigmoid node" in chain.message and "upstream gradient" in chain.message


@pytest.mark.parametrize(("r", "expected"), [(0.0, "good"), (9e-8, "good"), (1e-7, "suspicious"),
                                              (1e-4, "suspicious"), (1.1e-4, "wrong"), (2.0, "wrong")])
def test_cs231n_bands(r, expected):
    assert band(r) == expected


def test_grades_are_reproducible():
    source = SOLUTIONS["adam"].replace("m_hat = m / (1 - b1 ** t)", "m_hat = m")
    first, second = grade("adam", source), grade("adam", source)
    assert first.to_json() == second.to_json()


# ---- broken student files: a message and zero, never a traceback -----------------------------------

@pytest.mark.parametrize(("source", "expected"), [
    ("def adam_step(p, g, state:\n    return p\n", "syntax error on line 1"),
    ("import numpy as np\nraise ValueError('boom')\n", "raised ValueError: boom (line 2)"),
    ("x = 1\n", "defines no adam_step"),
    ("def adam_step(p, g, state, **kw):\n    return {}['m']\n", "raised KeyError"),
    ("def adam_step(p, g, state, **kw):\n    return None\n", "returned None"),
    ("import sys\nsys.exit(3)\n", "calls exit() when it runs"),
    ("import sys\ndef adam_step(p, g, state, **kw):\n    sys.exit(0)\n", "called exit() during the check"),
])
def test_broken_files_get_a_clear_message_and_zero(source, expected):
    report = grade("adam", source)
    assert report.score == 0
    assert all(expected in c.message for c in report.checks), str(report)
    assert "Traceback" not in str(report)


def test_an_endless_loop_is_stopped_by_the_time_limit():
    source = "def central_diff(f, x, h=1e-4):\n    while True:\n        pass\n"
    report = grade_source(mg.exercises.get("central_diff"), source, "loop.py", time_limit=0.2)
    assert report.score == 0
    assert all("ran longer than 0.2 s" in c.message for c in report.checks)


def test_student_prints_do_not_reach_the_output(tmp_path, capsys, monkeypatch):
    path = tmp_path / "adam.py"
    path.write_text(SOLUTIONS["adam"].replace("    b1, b2 = betas\n", "    b1, b2 = betas\n    print('hi')\n")
                    + "print('loaded')\n")
    monkeypatch.chdir(tmp_path)
    assert cli_main(["exercise", "check", "adam", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["score"] == 3


# ---- Python API and command line -----------------------------------------------------------------

def test_python_api_start_and_check(tmp_path):
    path = mg.exercises.start("value_exp", tmp_path)
    assert path == tmp_path / "value_exp.py"
    assert mg.exercises.check(path).score == 0
    path.write_text(SOLUTIONS["value_exp"])
    assert mg.exercises.check("value_exp", directory=tmp_path).passed
    with pytest.raises(mg.exercises.ExerciseError, match="already exists"):
        mg.exercises.start("value_exp", tmp_path)
    assert path.read_text() == SOLUTIONS["value_exp"]          # not overwritten
    mg.exercises.start("value_exp", tmp_path, force=True)
    assert "TODO" in path.read_text()
    with pytest.raises(mg.exercises.ExerciseError, match="unknown exercise 'nope'; known: central_diff"):
        mg.exercises.get("nope")


def test_a_renamed_file_is_graded_by_its_exercise_line(tmp_path):
    path = tmp_path / "my_answer.py"
    path.write_text(SOLUTIONS["momentum"])
    report = mg.exercises.check(path)
    assert report.exercise == "momentum" and report.passed


def test_cli_list_shows_every_exercise_with_its_formula(capsys):
    assert cli_main(["exercise", "list"]) == 0
    out = capsys.readouterr().out
    for name in ALL:
        assert name in out
    for g in GROUPS:
        assert f"{g}:" in out
    assert "(f(x + h) - f(x - h)) / (2 h)" in out and "m_hat = m / (1 - b1^t)" in out


def test_cli_start_then_check_exit_codes(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli_main(["exercise", "start", "adagrad"]) == 0
    assert (tmp_path / "adagrad.py").is_file()
    assert cli_main(["exercise", "start", "adagrad"]) == 2              # refuses to overwrite
    err = capsys.readouterr().err
    assert "already exists" in err and "--force" in err and "Traceback" not in err
    assert cli_main(["exercise", "check", "adagrad"]) == 1              # graded, points missing
    assert "0/3 points" in capsys.readouterr().out
    (tmp_path / "adagrad.py").write_text(SOLUTIONS["adagrad"])
    assert cli_main(["exercise", "check", "adagrad"]) == 0              # full marks
    (tmp_path / "adagrad.py").write_text(SOLUTIONS["adagrad"].replace('np.sqrt(state["h"]) + eps',
                                                                        'np.sqrt(state["h"] + eps)'))
    assert cli_main(["exercise", "check", str(tmp_path / "adagrad.py")]) == 1
    assert "2/3 points" in capsys.readouterr().out
    sub = tmp_path / "sub"
    sub.mkdir()
    assert cli_main(["exercise", "start", "adagrad", str(sub)]) == 0
    assert (sub / "adagrad.py").is_file()


@pytest.mark.parametrize("argv", [["exercise", "check", "nope"], ["exercise", "check", "missing.py"],
                                  ["exercise", "start", "nope"], ["exercise", "check", "swats"],
                                  ["exercise", "start", "adam", "no/such/dir"]])
def test_cli_usage_errors_exit_2_with_one_line(argv, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli_main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("microgradx exercise: ") and len(err.strip().splitlines()) == 1


def test_cli_syntax_error_is_graded_zero_not_a_traceback(tmp_path, capsys):
    path = tmp_path / "rmsprop.py"
    path.write_text('EXERCISE = "rmsprop"\ndef rmsprop_step(p, g, state\n')
    assert cli_main(["exercise", "check", str(path)]) == 1
    captured = capsys.readouterr()
    assert "syntax error on line 2" in captured.out and "Traceback" not in captured.out + captured.err


@pytest.mark.parametrize("name", ["central_diff", "two_layer_net", "swats"])
def test_cli_json_validates_against_the_schema(name, tmp_path, capsys):
    path = tmp_path / f"{name}.py"
    path.write_text(SOLUTIONS[name].replace(MISTAKES[name][0][1], MISTAKES[name][0][2], 1))
    assert cli_main(["exercise", "check", str(path), "--json"]) == 1
    record = json.loads(capsys.readouterr().out)
    assert schema_errors(record, SCHEMA) == []
    assert record["exercise"] == name and not record["passed"]
    assert record["score"] == sum(t["points"] for t in record["tests"]) < record["max_score"]
    assert record["max_score"] == sum(t["max_points"] for t in record["tests"])
    assert [t["name"] for t in record["tests"]] == [c.name for c in mg.exercises.get(name).checks]
    failed = [t for t in record["tests"] if not t["passed"]]
    assert failed and all(t["points"] == 0 for t in failed)
    assert [t["hint"] for t in record["tests"] if t["hint"]] == [failed[0]["hint"]]


def test_the_package_schema_matches_the_one_graders_are_given():
    from microgradx.exercises import REPORT_SCHEMA
    stripped = {k: v for k, v in REPORT_SCHEMA.items() if k != "$schema"}
    assert stripped == SCHEMA


def test_without_hypothesis_the_kit_says_what_to_install(monkeypatch, capsys):
    for name in [m for m in sys.modules if m.startswith("microgradx.exercises.") and
                 m.rsplit(".", 1)[1] in ("registry", "derivatives", "engine", "optimization")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "hypothesis", None)
    with pytest.raises(mg.exercises.ExerciseError, match="pip install hypothesis"):
        mg.exercises.list()
    assert cli_main(["exercise", "list"]) == 2
    err = capsys.readouterr().err
    assert "pip install hypothesis" in err and "Traceback" not in err
