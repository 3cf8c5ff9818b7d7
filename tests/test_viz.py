"""Tests for microgradx.viz in a notebook: draw_dot's Jupyter display, with and without Graphviz."""

from __future__ import annotations

import shutil

import graphviz
import pytest

import microgradx as mg


def graph() -> mg.Value:
    x = mg.Value(2.0, label="x")
    y = (x * 3).tanh()
    y.backward()
    return y


@pytest.fixture
def no_dot(tmp_path, monkeypatch):
    """A PATH on which there is no Graphviz 'dot' program."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert shutil.which("dot") is None


def test_without_graphviz_the_notebook_shows_how_to_install_it(no_dot):
    dot = mg.draw_dot(graph())
    assert isinstance(dot, graphviz.Digraph)
    with pytest.raises(graphviz.ExecutableNotFound):      # what a plain Digraph shows: graphviz's error
        graphviz.Digraph(body=dot.body)._repr_mimebundle_()
    bundle = dot._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"}
    text = bundle["text/plain"]
    assert "Graphviz 'dot' program is not on PATH" in text and "apt-get install graphviz" in text
    assert "render_graph(root, 'graph.dot')" in text
    assert "apt-get install graphviz" in bundle["text/html"] and "&#x27;dot&#x27;" in bundle["text/html"]
    assert dot.source.startswith("digraph") and "tanh" in dot.source      # the source is still there


def test_without_graphviz_ipython_displays_the_message(no_dot):
    formatters = pytest.importorskip("IPython.core.formatters")
    data, _ = formatters.DisplayFormatter().format(mg.draw_dot(graph()))
    assert "apt-get install graphviz" in data["text/plain"]


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")
def test_with_graphviz_the_notebook_shows_the_picture():
    bundle = mg.draw_dot(graph())._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"]
    assert "<svg" in bundle["image/svg+xml"] and "tanh" in bundle["image/svg+xml"]
