"""Tests for microgradx.cli: check, graph, and the demo/bench commands."""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from microgradx import cli
from microgradx import formula as formula_module

ROOT = Path(__file__).resolve().parent.parent


def rows(stdout: str) -> dict[str, list[str]]:
    """The check table as {variable: [value, autograd, numerical, abs, rel, status]}."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:1] == ["variable"])
    out = {}
    for line in lines[start + 1:]:
        parts = line.split()
        if len(parts) != 7:
            break
        out[parts[0]] = parts[1:]
    return out


# ---- check ----------------------------------------------------------------------------

def test_check_prints_autograd_and_numerical_gradients(capsys):
    code = cli.main(["check", "x**2 * sin(y)", "--at", "x=1,y=2"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith(f"f = x**2 * sin(y) at x=1, y=2: {math.sin(2.0):.6g}")
    table = rows(out)
    assert list(table) == ["x", "y"]
    exact = {"x": 2 * math.sin(2.0), "y": math.cos(2.0)}
    for name, (_, auto, num, abs_err, _, status) in table.items():
        assert float(auto) == pytest.approx(exact[name], rel=1e-9)
        assert float(num) == pytest.approx(exact[name], rel=1e-6)
        assert float(abs_err) < 1e-7 and status == "ok"
    assert "gradcheck OK" in out


@pytest.mark.parametrize("text, at", [("relu(x)", "x=0"), ("relu(x) * y + x", "x=0,y=2")])
def test_check_exits_1_when_autograd_and_numbers_disagree(text, at, capsys):
    # at a kink the one-sided derivative autograd picks differs from the central difference
    assert cli.main(["check", text, "--at", at]) == 1
    out = capsys.readouterr().out
    assert rows(out)["x"][-1] == "FAIL" and "gradcheck FAILED" in out


def test_check_exits_1_where_the_formula_is_not_defined(capsys):
    assert cli.main(["check", "log(x)", "--at", "x=-1"]) == 1
    err = capsys.readouterr().err
    assert "f is nan at x=-1" in err


def test_check_tolerances_are_used(capsys):
    # relu at 0: |0 - 0.5| passes only when atol covers it
    assert cli.main(["check", "relu(x)", "--at", "x=0", "--atol", "0.6"]) == 0
    assert cli.main(["check", "x*y", "--at", "x=1,y=2", "--eps", "0"]) == 2
    assert "eps must be a positive" in capsys.readouterr().err


@pytest.mark.parametrize("text, piece", [
    ("__import__('os').system('touch {marker}')", "attribute access"),
    ("__import__('os')", "unknown function '__import__'"),
    ("x.__class__.__bases__", "attribute access 'x.__class__.__bases__'"),
    ("(lambda: __import__('os').system('touch {marker}'))()", "lambda"),
    ("lambda x: x", "lambda 'lambda x: x'"),
    ("open('{marker}', 'w')", "unknown function 'open'"),
])
@pytest.mark.parametrize("command", ["check", "graph"])
def test_rejected_formulas_exit_2_unevaluated(text, piece, command, tmp_path, capsys, monkeypatch):
    marker = tmp_path / "pwned"
    calls = []
    monkeypatch.setattr(formula_module, "_evaluate", lambda *a: calls.append(a))
    monkeypatch.setattr(cli, "gradcheck", lambda *a, **k: calls.append(a))
    monkeypatch.setattr(cli, "render_graph", lambda *a, **k: calls.append(a))
    argv = [command, text.format(marker=marker), "--at", "x=1"]
    if command == "graph":
        argv += ["-o", str(tmp_path / "g.dot")]
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert piece in captured.err and f"microgradx {command}:" in captured.err
    assert captured.out == ""
    assert calls == [] and not marker.exists() and not (tmp_path / "g.dot").exists()


@pytest.mark.parametrize("at, message", [
    ("x=1", "missing value for y"),
    ("", "missing value for x, y"),
    ("x=1,y=2,z=3", "unknown variable z"),
    ("x=1,y", "bad entry 'y' in --at"),
    ("x=1,y=two", "bad value 'two' for y"),
])
def test_bad_at_specs_exit_2(at, message, capsys):
    assert cli.main(["check", "x * y", "--at", at]) == 2
    assert message in capsys.readouterr().err


# ---- graph ------------------------------------------------------------------------------

def test_graph_writes_a_dot_file_with_labels_and_grads(tmp_path, capsys):
    path = tmp_path / "g.dot"
    assert cli.main(["graph", "tanh(w*x + b)", "--at", "w=2,x=1,b=0", "-o", str(path)]) == 0
    out = capsys.readouterr().out
    t = math.tanh(2.0)
    dw, dx, db = (1 - t * t) * 1.0, (1 - t * t) * 2.0, 1 - t * t
    assert f"df/dw = {dw:.6g}, df/dx = {dx:.6g}, df/db = {db:.6g}" in out
    assert f"wrote {path}" in out
    source = path.read_text()
    assert source.startswith("digraph")
    for label in ("w", "x", "b", "f"):                 # variables and output are named in the picture
        assert f"<B>{label}</B>" in source
    for g in (dw, dx, db):                              # backward ran: grads are drawn
        assert f"grad {g:.4g}" in source


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")
def test_graph_writes_an_svg(tmp_path, capsys):
    path = tmp_path / "sub" / "g.svg"
    assert cli.main(["graph", "x**2 * sin(y)", "--at", "x=1,y=2", "-o", str(path)]) == 0
    svg = path.read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert f"wrote {path}" in capsys.readouterr().out


def test_graph_without_graphviz_says_how_to_install(tmp_path, capsys, monkeypatch):
    import microgradx.viz as viz

    monkeypatch.setattr(viz.shutil, "which", lambda name: None)
    assert cli.main(["graph", "x * 2", "--at", "x=1", "-o", str(tmp_path / "g.svg")]) == 1
    err = capsys.readouterr().err
    assert "Graphviz" in err and ".dot" in err


def test_graph_bad_output_suffix_exits_2(tmp_path, capsys):
    assert cli.main(["graph", "x * 2", "--at", "x=1", "-o", str(tmp_path / "g.jpeg")]) == 2
    assert "must end in one of" in capsys.readouterr().err


# ---- the other commands keep working -------------------------------------------------------

def test_demo_list_includes_the_new_demos(capsys):
    assert cli.main(["demo", "--list"]) == 0
    names = capsys.readouterr().out.split()
    assert {"numerical_diff", "exercise_custom_op"} <= set(names)


def test_unknown_demo_exits_2(capsys):
    assert cli.main(["demo", "no_such_demo"]) == 2
    assert "unknown demo(s) no_such_demo" in capsys.readouterr().err


def test_bench_passes_its_arguments_on(monkeypatch):
    seen = []
    monkeypatch.setattr(cli.subprocess, "call", lambda args, cwd: seen.append(args) or 0)
    assert cli.main(["bench", "--quick"]) == 0
    assert seen[0][1:] == ["-m", "bench", "--quick"]


def test_python_dash_m_entry_point():
    proc = subprocess.run([sys.executable, "-m", "microgradx", "check", "x * y", "--at", "x=2,y=3"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "f = x * y at x=2, y=3: 6" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "microgradx", "check", "x.y", "--at", "x=1"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2 and "attribute access 'x.y'" in proc.stderr
