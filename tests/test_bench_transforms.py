"""The transforms benchmark times the same computation on both sides: its cases agree with torch.func."""

from __future__ import annotations

import numpy as np
import pytest

from bench.transforms import problems


def test_every_case_equals_torch_func():
    pytest.importorskip("torch")
    cases = problems()
    shapes = {"jacrev, f: R^100 -> R": (100,), "jacfwd, g: R -> R^100": (100, 1),
              "hessian, f: R^10 -> R": (10, 10)}
    assert set(cases) == set(shapes)
    for name, case in cases.items():
        ours, theirs = np.asarray(case["ours"]()), case["torch"]().numpy()
        assert ours.shape == shapes[name]
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
