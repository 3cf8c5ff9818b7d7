"""The wheel: built from a clean copy of the checkout, it holds the package, the demos and the LICENSE,
builds without a license deprecation warning, and works unpacked outside the checkout."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
JUNK = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "out", "__pycache__",
                              ".pytest_cache", ".hypothesis", ".ruff_cache")


def setuptools_version() -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in importlib.metadata.version("setuptools").split(".")[:2])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return (0,)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> tuple[Path, str]:
    """(the wheel built from a copy of the checkout, everything the build printed)."""
    if setuptools_version() < (77,):
        pytest.skip("building the wheel needs setuptools>=77 here: pip install 'setuptools>=77'")
    tmp = tmp_path_factory.mktemp("wheel")
    src, dist = tmp / "src", tmp / "dist"
    shutil.copytree(ROOT, src, ignore=JUNK)       # a clean tree: no stale build/ can slip into the wheel
    code = "import sys; from setuptools import build_meta; print(build_meta.build_wheel(sys.argv[1]))"
    proc = subprocess.run([sys.executable, "-W", "default", "-c", code, str(dist)], cwd=src,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return dist / proc.stdout.strip().splitlines()[-1], proc.stdout + proc.stderr


def test_wheel_ships_the_package_the_demos_and_the_license(wheel):
    path, _ = wheel
    names = set(zipfile.ZipFile(path).namelist())
    demos = sorted(p.name for p in (ROOT / "demos").glob("*.py"))
    assert demos and {f"microgradx/demos/{d}" for d in demos} <= names
    assert "microgradx/demos/README.md" in names
    assert not [n for n in names if "/out/" in n or n.startswith(("demos/", "tests/", "bench/"))]
    packages = [p.parent.relative_to(ROOT).as_posix() for p in (ROOT / "microgradx").rglob("__init__.py")]
    missing = sorted(p for p in packages if f"{p}/__init__.py" not in names)
    assert not missing, f"add {missing} to [tool.setuptools] packages in pyproject.toml"
    modules = [p.relative_to(ROOT).as_posix() for p in (ROOT / "microgradx").rglob("*.py")]
    assert set(modules) <= names
    dist_info = "microgradx-0.1.0.dist-info"
    assert f"{dist_info}/licenses/LICENSE" in names
    with zipfile.ZipFile(path) as z:
        assert z.read(f"{dist_info}/licenses/LICENSE") == (ROOT / "LICENSE").read_bytes()
        metadata = z.read(f"{dist_info}/METADATA").decode()
        entry_points = z.read(f"{dist_info}/entry_points.txt").decode()
    assert "License-Expression: MIT" in metadata.splitlines() and "License-File: LICENSE" in metadata
    assert not [line for line in metadata.splitlines() if line.startswith("Classifier: License")]
    assert "microgradx = microgradx.cli:main" in entry_points


def test_build_prints_no_license_deprecation(wheel):
    _, log = wheel
    lowered = log.lower()
    assert "running bdist_wheel" in lowered                 # the log is the build's own
    assert not [line for line in lowered.splitlines() if "license" in line and "deprecat" in line], log


def test_license_is_mit_for_the_contributors():
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "microgradx contributors" in text
    assert "Permission is hereby granted, free of charge" in text
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'license = "MIT"' in pyproject and 'license-files = ["LICENSE"]' in pyproject
    assert 'requires = ["setuptools>=77"]' in pyproject


@pytest.fixture(scope="module")
def unpacked(wheel, tmp_path_factory) -> tuple[Path, Path]:
    """(the wheel unpacked as site-packages would hold it, an empty working folder)."""
    site = tmp_path_factory.mktemp("site-packages")
    zipfile.ZipFile(wheel[0]).extractall(site)
    work = tmp_path_factory.mktemp("work")
    return site, work


def run_installed(unpacked: tuple[Path, Path], *args: str) -> subprocess.CompletedProcess:
    site, work = unpacked
    env = {**os.environ, "PYTHONPATH": str(site), "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-m", "microgradx", *args], cwd=work, env=env,
                          capture_output=True, text=True, timeout=300)


def test_installed_package_lists_its_demos_outside_the_checkout(unpacked):
    proc = run_installed(unpacked, "demo", "--list")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == sorted(p.stem for p in (ROOT / "demos").glob("[!_]*.py"))
    proc = run_installed(unpacked, "bench")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "microgradx bench: the benchmarks need a source checkout (bench/ is not installed); clone the "
        "repository and run 'make bench' there"]


def test_installed_demo_writes_to_the_current_folder(unpacked):
    pytest.importorskip("matplotlib")
    site, work = unpacked
    proc = run_installed(unpacked, "demo", "gradient_descent")
    assert proc.returncode == 0, proc.stderr
    picture = work / "microgradx-demos-out" / "gradient_descent.png"
    assert picture.stat().st_size > 0
    assert f"pictures are in {work / 'microgradx-demos-out'}" in proc.stdout
    assert not (site / "microgradx" / "demos" / "out").exists()


def make_plan(target: str, tmp_path: Path) -> str:
    """The commands `make TARGET` would run on a fresh machine (a venv that does not exist yet)."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    proc = subprocess.run(["make", "-n", target, f"VENV={tmp_path / 'venv'}"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_make_demo_installs_only_what_the_demos_need(tmp_path):
    plan = make_plan("demo", tmp_path)
    installs = [line for line in plan.splitlines() if "pip install" in line]
    assert any('-e ".[plot]"' in line for line in installs)
    assert not [line for line in installs if "torch" in line or "dev" in line]
    assert "microgradx demo all" in plan


def test_make_test_installs_dev_plot_and_torch(tmp_path):
    plan = make_plan("test", tmp_path)
    assert '-e ".[dev,plot]"' in plan
    assert "torch==2.13.0 || echo" in plan and "PyTorch cross-checks will be skipped" in plan
    assert "ruff check ." in plan and "-m pytest" in plan


def test_readme_points_to_the_design_in_the_repository():
    assert "[docs/DESIGN.md](docs/DESIGN.md)" in (ROOT / "README.md").read_text()
    design = (ROOT / "docs" / "DESIGN.md").read_text()
    assert design.startswith("# microgradx") and "## Public API (contract)" in design
