"""The README's code runs as printed (the tour, the PyTorch section, the optimizer lines)."""

import pathlib
import re

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent


def blocks():
    return re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)


def test_the_tour_runs_and_computes_what_its_comments_say(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(compile(blocks()[0], "README tour", "exec"), scope)
    mg, x, W = scope["mg"], scope["x"], scope["W"]
    h = 1e-6
    f = lambda v: (np.tanh(v * 3 + 1) ** 2 / v - np.log(np.exp(v)))      # noqa: E731 - y of the tour
    assert abs(x.grad - (f(2.0 + h) - f(2.0 - h)) / (2 * h)) < 1e-6
    np.testing.assert_allclose(scope["H"], np.diag(6 * np.array([1.0, 2.0])), rtol=1e-12)
    assert W.grad.shape == W.shape and (tmp_path / "graph.svg").exists()
    assert scope["hist"].loss[-1] < scope["hist"].loss[0]
    assert isinstance(mg.randn(2), mg.Tensor)
