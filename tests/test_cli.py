"""Tests for microgradx.cli: check, graph, and the demo/bench commands."""

from __future__ import annotations

import ast
import math
import shutil
import subprocess
import sys
import tempfile
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


# ---- no traceback, ever: one line and exit 2 ------------------------------------------------

def one_line_error(err: str, *pieces: str) -> None:
    """stderr is one line, no traceback, and names what went wrong."""
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    for piece in pieces:
        assert piece in err


def test_graph_where_the_formula_overflows_draws_nan(tmp_path, capsys):
    path = tmp_path / "g.dot"
    assert cli.main(["graph", "--at", "x=1000", "-o", str(path), "--", "sin(exp(x))"]) == 0
    out = capsys.readouterr()
    assert "Traceback" not in out.err and "= nan" in out.out    # sin(inf) is nan, as in NumPy and PyTorch
    assert "nan" in path.read_text()


def test_check_where_the_formula_overflows_says_f_is_nan(capsys):
    assert cli.main(["check", "cos(exp(x))", "--at", "x=1000"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "f is nan at x=1000" in err


def test_graph_to_a_folder_exits_2(tmp_path, capsys):
    folder = tmp_path / "pictures.dot"
    folder.mkdir()
    assert cli.main(["graph", "x * 2", "--at", "x=1", "-o", str(folder)]) == 2
    one_line_error(capsys.readouterr().err, f"cannot write {folder}: it is a folder")


def test_graph_below_a_file_exits_2(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    target = tmp_path / "notes.txt" / "g.dot"
    assert cli.main(["graph", "x * 2", "--at", "x=1", "-o", str(target)]) == 2
    one_line_error(capsys.readouterr().err, f"{tmp_path / 'notes.txt'} is a file, not a folder")


def test_graph_without_permission_exits_2(tmp_path, capsys, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(kwargs.get("dir", "")))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)     # root may write anywhere: simulate a read-only place
    assert cli.main(["graph", "x * 2", "--at", "x=1", "-o", str(tmp_path / "g.dot")]) == 2
    one_line_error(capsys.readouterr().err, "cannot write", "Permission denied", "choose another -o path")


def test_graph_into_a_missing_folder_makes_it(tmp_path, capsys):
    path = tmp_path / "new" / "sub" / "g.dot"
    assert cli.main(["graph", "x * 2", "--at", "x=1", "-o", str(path)]) == 0
    assert path.read_text().startswith("digraph")


@pytest.mark.parametrize("argv", [
    ["graph", "x * 2", "--at", "x=1", "-o", "g.jpeg"],
    ["graph", "x * 2", "--at", "x=1", "-o", "g"],
    ["check", "x ** y", "--at", "x=2,y=300"],
    ["check", "x ** 101", "--at", "x=1"],
    ["check", "x * y", "--at", "x=1,y=2", "--eps", "-1"],
    ["demo", "no_such_demo"],
])
def test_bad_input_is_one_line_and_exit_2(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == 2
    one_line_error(capsys.readouterr().err, f"microgradx {argv[0]}:")


@pytest.mark.parametrize("argv", [["check"], ["nope"], ["check", "x", "--eps", "abc"], [],
                                  ["graph", "x", "--rankdir", "XY"]])
def test_usage_errors_exit_2_without_traceback(argv, capsys):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "error:" in err


def test_an_unexpected_error_is_one_line_and_exit_2(capsys, monkeypatch):
    def broken(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "check_formula", broken)
    monkeypatch.delenv("MICROGRADX_TRACEBACK", raising=False)

    def multiline(*args):
        raise ValueError("first line\n  second line")

    monkeypatch.setattr(cli, "graph_formula", multiline)
    assert cli.main(["graph", "x", "--at", "x=1"]) == 2
    one_line_error(capsys.readouterr().err, "unexpected ValueError: first line second line")
    assert cli.main(["check", "x", "--at", "x=1"]) == 2
    one_line_error(capsys.readouterr().err, "microgradx check: unexpected RuntimeError: boom",
                   "MICROGRADX_TRACEBACK=1")
    monkeypatch.setenv("MICROGRADX_TRACEBACK", "1")
    with pytest.raises(RuntimeError, match="boom"):
        cli.main(["check", "x", "--at", "x=1"])


def test_ctrl_c_exits_130_with_a_short_line(capsys, monkeypatch):
    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "graph_formula", interrupted)
    assert cli.main(["graph", "x", "--at", "x=1"]) == 130
    one_line_error(capsys.readouterr().err, "microgradx graph: interrupted")


def test_a_closed_pipe_ends_quietly(capsys, monkeypatch):
    class ClosedPipe:
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert cli.main(["demo", "--list"]) == 1
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("argv", [
    ["check", "exp(x)", "--at", "x=800"],
    ["check", "x / y", "--at", "x=1,y=0"],
    ["check", "log(x) * x", "--at", "x=0"],
    ["graph", "exp(x) * exp(x)", "--at", "x=400", "-o", "g.dot"],
])
def test_no_runtime_warning_reaches_the_terminal(argv, capsys, tmp_path, monkeypatch, recwarn):
    monkeypatch.chdir(tmp_path)
    code = cli.main(argv)
    captured = capsys.readouterr()
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
    assert "Warning" not in captured.err
    if argv[0] == "check":
        assert code == 1
        assert "is inf" in captured.err or "is nan" in captured.err or "not finite" in captured.err
    else:
        assert code == 0 and "f = exp(x) * exp(x) = inf" in captured.out


def test_check_says_when_a_derivative_is_not_finite(capsys):
    assert cli.main(["check", "sqrt(x) + 1", "--at", "x=0"]) == 1
    err = capsys.readouterr().err
    one_line_error(err, "the derivative is not finite at x=0", "d/dx is inf (autograd)")


# ---- formulas that start with '-' ----------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["check", "-x**2", "--at", "x=1"],
    ["check", "--at", "x=1", "-x**2"],
    ["check", "--at=x=1", "-x**2", "--eps", "1e-6"],
    ["check", "--at", "x=1", "--", "-x**2"],
])
def test_a_formula_may_start_with_a_minus(argv, capsys):
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("f = -x**2 at x=1: -1")
    assert float(rows(out)["x"][1]) == -2.0


def test_a_graph_formula_may_start_with_a_minus_and_short_options_still_work(tmp_path, capsys):
    one, two = tmp_path / "one.dot", tmp_path / "two.dot"
    assert cli.main(["graph", "-x*3", "-o", str(one), "--at", "x=2"]) == 0
    assert cli.main(["graph", "-x*3", f"-o{two}", "--at", "x=2"]) == 0
    out = capsys.readouterr().out
    assert out.count("f = -x*3 = -6; df/dx = -3") == 2
    for path in (one, two):
        assert "<B>f</B></TD><VR/><TD>data -6</TD>" in path.read_text()


def test_the_exponent_limit_is_stated_in_help(capsys):
    for command in ("check", "graph"):
        assert cli.main([command, "--help"]) == 0
        help_text = " ".join(capsys.readouterr().out.split())
        assert f"An exponent of ** is at most {formula_module.MAX_EXPONENT:g} in size" in help_text
        assert "A formula may start with '-'" in help_text


# ---- check near a point without a derivative -----------------------------------------------

@pytest.mark.parametrize("text, at, op, code", [
    ("relu(x)", "x=1e-7", "relu", 1),
    ("relu(x)", "x=0", "relu", 1),
    ("abs(x)", "x=0", "abs", 0),
    ("abs(x - y) * 2", "x=1,y=1.0000005", "abs", 1),
])
def test_check_near_a_kink_says_the_derivatives_may_disagree(text, at, op, code, capsys):
    assert cli.main(["check", text, "--at", at]) == code
    out = capsys.readouterr().out
    assert (f"note: the point is within eps=1e-06 of a non-differentiable point of {op}" in out
            and "so numerical and analytic derivatives may disagree" in out)


def test_check_away_from_a_kink_has_no_note(capsys):
    assert cli.main(["check", "relu(x) + abs(x)", "--at", "x=1e-5"]) == 0
    assert "non-differentiable" not in capsys.readouterr().out


# ---- demos: installed or in a checkout ------------------------------------------------------

def test_demo_help_says_where_pictures_go(capsys):
    assert cli.main(["demo", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "demos/out/ in a source checkout" in help_text and f"{cli.DEMOS_OUT}/ in the current" in help_text
    assert "--out DIR" in help_text


def test_in_a_checkout_demos_write_to_demos_out():
    assert cli.demo_dir() == ROOT / "demos" and cli.default_out_dir() == ROOT / "demos" / "out"


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """The layout of an installed package: site-packages/microgradx/demos, no checkout around it."""
    site = tmp_path / "site-packages"
    shutil.copytree(ROOT / "demos", site / "microgradx" / "demos", ignore=shutil.ignore_patterns("out"))
    monkeypatch.setattr(cli, "PACKAGE", site / "microgradx")
    monkeypatch.setattr(cli, "CHECKOUT", site)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return site / "microgradx" / "demos"


def test_installed_demos_are_found_in_the_package_and_write_to_the_current_folder(installed, capsys):
    pytest.importorskip("matplotlib")
    assert cli.demo_dir() == installed
    assert cli.main(["demo", "--list"]) == 0
    assert capsys.readouterr().out.split() == sorted(p.stem for p in installed.glob("[!_]*.py"))
    assert cli.main(["demo", "gradient_descent"]) == 0
    out_dir = Path.cwd() / cli.DEMOS_OUT
    assert (out_dir / "gradient_descent.png").stat().st_size > 0
    assert f"pictures are in {out_dir}" in capsys.readouterr().out
    assert not (installed / "out").exists()


def test_demo_out_option(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert cli.main(["demo", "gradient_descent", "--out", str(tmp_path / "pics")]) == 0
    assert (tmp_path / "pics" / "gradient_descent.png").stat().st_size > 0
    assert f"pictures are in {tmp_path / 'pics'}" in capsys.readouterr().out


def test_every_demo_can_be_told_where_to_write():
    for name in cli.list_demos():
        tree = ast.parse((ROOT / "demos" / f"{name}.py").read_text())
        (main,) = [f for f in tree.body if isinstance(f, ast.FunctionDef) and f.name == "main"]
        assert "out_dir" in [a.arg for a in main.args.args + main.args.kwonlyargs], name


def test_a_demo_without_out_dir_is_refused_in_one_line(installed, capsys):
    (installed / "old_style.py").write_text("def main():\n    raise AssertionError('must not run')\n")
    assert cli.main(["demo", "old_style"]) == 2
    one_line_error(capsys.readouterr().err, "old_style cannot be told where to write", "main(out_dir=...)")


def test_demo_out_that_cannot_be_a_folder_exits_2(tmp_path, capsys):
    (tmp_path / "taken").write_text("a file")
    assert cli.main(["demo", "gradient_descent", "--out", str(tmp_path / "taken")]) == 2
    one_line_error(capsys.readouterr().err, "cannot write pictures to", "--out DIR")


def test_demo_without_matplotlib_says_what_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)      # import matplotlib now fails
    assert cli.main(["demo", "gradient_descent", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    one_line_error(err, "microgradx demo: gradient_descent needs a package", "pip install microgradx[plot]")


def test_bench_outside_a_checkout_says_so_in_one_line(installed, capsys):
    assert cli.main(["bench"]) == 2
    one_line_error(capsys.readouterr().err, "microgradx bench: the benchmarks need a source checkout")


# ---- through a real process ------------------------------------------------------------------

def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "microgradx", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def test_process_overflow_and_bad_paths_exit_2_without_traceback(tmp_path):
    proc = run("graph", "--at", "x=1000", "-o", str(tmp_path / "g.dot"), "--", "sin(exp(x))")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr and "Warning" not in proc.stderr
    proc = run("graph", "x", "--at", "x=1", "-o", str(tmp_path))
    assert proc.returncode == 2
    one_line_error(proc.stderr, "must end in one of")


def test_process_minus_formula_and_no_warnings(tmp_path):
    proc = run("check", "-x**2", "--at", "x=1")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("f = -x**2 at x=1: -1")
    proc = run("check", "exp(x)", "--at", "x=800")
    assert proc.returncode == 1 and "Warning" not in proc.stderr
    one_line_error(proc.stderr, "f is inf at x=800")
