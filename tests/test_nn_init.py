"""mg.nn.init: torch.nn.init's in-place functions, their fans, gains and distributions.

Distributions are checked statistically on large tensors with fixed seeds; the fans and
gains against torch's own helpers.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import microgradx as mg
from microgradx.nn import init
from microgradx.nn.init import _calculate_fan_in_and_fan_out

NONLINEARITIES = [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
                  ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 1), ("selu", None)]


def big(shape=(300, 200), dtype=np.float64):
    return mg.Tensor(np.full(shape, np.nan, dtype), requires_grad=True)


@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(1, 6), min_size=2, max_size=5).map(tuple))
def test_fans_equal_torchs(shape):
    torch = pytest.importorskip("torch")
    assert _calculate_fan_in_and_fan_out(shape) == torch.nn.init._calculate_fan_in_and_fan_out(
        torch.empty(shape))


@pytest.mark.parametrize("name, param", NONLINEARITIES)
def test_calculate_gain_equals_torchs(name, param):
    torch = pytest.importorskip("torch")
    assert init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param),
                                                             rel=1e-15)


def test_calculate_gain_known_values_and_errors():
    assert init.calculate_gain("relu") == math.sqrt(2.0)
    assert init.calculate_gain("tanh") == 5.0 / 3
    assert init.calculate_gain("leaky_relu", 0.0) == math.sqrt(2.0)
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="negative_slope 'x'"):
        init.calculate_gain("leaky_relu", "x")


def test_uniform_and_normal_fill_in_place_with_the_asked_distribution():
    mg.manual_seed(0)
    t = big()
    arr = t.data
    assert init.uniform_(t, -2.0, 3.0) is t and t.data is arr
    assert t.data.min() >= -2.0 and t.data.max() < 3.0
    assert t.data.min() < -1.99 and t.data.max() > 2.99
    assert t.data.mean() == pytest.approx(0.5, abs=0.02)
    assert t.data.std() == pytest.approx(5 / math.sqrt(12), rel=0.01)
    init.normal_(t, mean=1.0, std=0.5)
    assert t.data.mean() == pytest.approx(1.0, abs=0.01)
    assert t.data.std() == pytest.approx(0.5, rel=0.01)
    assert t.requires_grad and t.op == ""


def test_constant_zeros_ones():
    t = big((3, 2), np.float32)
    assert init.constant_(t, 0.25).data.tolist() == [[0.25] * 2] * 3 and t.dtype == np.float32
    assert not init.zeros_(t).data.any()
    assert np.all(init.ones_(t).data == 1.0)
    arr = np.zeros(4)
    assert init.ones_(arr) is arr and arr.tolist() == [1.0] * 4


@pytest.mark.parametrize("shape", [(300, 200), (64, 16, 3, 3)])
@pytest.mark.parametrize("gain", [1.0, 5.0 / 3])
def test_xavier_uniform_and_normal_follow_torchs_formula(shape, gain):
    torch = pytest.importorskip("torch")
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    mg.manual_seed(1)
    w = init.xavier_uniform_(big(shape), gain=gain).data
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert w.std() == pytest.approx(std, rel=0.02) and abs(w.mean()) < 0.02 * std
    w = init.xavier_normal_(big(shape), gain=gain).data
    assert w.std() == pytest.approx(std, rel=0.02) and abs(w.mean()) < 0.02 * std


@pytest.mark.parametrize("shape", [(300, 200), (64, 16, 3, 3)])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("nonlinearity, a", [("relu", 0.0), ("leaky_relu", math.sqrt(5)), ("tanh", 0.0)])
def test_kaiming_uniform_and_normal_follow_torchs_formula(shape, mode, nonlinearity, a):
    torch = pytest.importorskip("torch")
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    fan = fan_in if mode == "fan_in" else fan_out
    std = torch.nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    mg.manual_seed(2)
    w = init.kaiming_uniform_(big(shape), a=a, mode=mode, nonlinearity=nonlinearity).data
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert w.std() == pytest.approx(std, rel=0.02)
    w = init.kaiming_normal_(big(shape), a=a, mode=mode, nonlinearity=nonlinearity).data
    assert w.std() == pytest.approx(std, rel=0.02) and abs(w.mean()) < 0.02 * std


def test_torch_linear_default_init_reproduced_with_kaiming_uniform():
    layer = mg.nn.Linear(250, 300)
    init.kaiming_uniform_(layer.weight, a=math.sqrt(5))
    w = layer.weight.data
    assert np.abs(w).max() <= 1 / math.sqrt(250) and np.abs(w).max() > 0.99 / math.sqrt(250)


def test_draws_come_from_the_package_generator_or_the_one_given():
    fns = [lambda t, **kw: init.uniform_(t, **kw), lambda t, **kw: init.normal_(t, **kw),
           init.xavier_uniform_, init.xavier_normal_, init.kaiming_uniform_, init.kaiming_normal_]
    for fn in fns:
        mg.manual_seed(7)
        a = fn(big((4, 3))).data.copy()
        mg.manual_seed(7)
        b = fn(big((4, 3))).data.copy()
        c = fn(big((4, 3))).data.copy()
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(b, c)
        d = fn(big((4, 3)), generator=np.random.default_rng(3)).data
        e = fn(big((4, 3)), generator=np.random.default_rng(3)).data
        np.testing.assert_array_equal(d, e)


def test_float32_stays_float32_and_empty_tensors_are_left_alone():
    t = big((50, 40), np.float32)
    init.kaiming_normal_(t)
    assert t.dtype == np.float32 and np.isfinite(t.data).all()
    empty = mg.Tensor(np.zeros((0, 3)), requires_grad=True)
    assert init.xavier_uniform_(empty) is empty and init.kaiming_normal_(empty).shape == (0, 3)


def test_bad_arguments_get_clear_errors():
    with pytest.raises(ValueError, match=r"at least 2 dimensions, got shape \(5,\)"):
        init.xavier_uniform_(mg.Tensor(np.zeros(5)))
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out', got 'fan_avg'"):
        init.kaiming_uniform_(big((3, 2)), mode="fan_avg")
    with pytest.raises(TypeError, match="float Tensor.*dtype int64"):
        init.normal_(np.zeros(3, dtype=np.int64))
    with pytest.raises(TypeError, match="got Value"):
        init.zeros_(mg.Value(1.0))
    with pytest.raises(ValueError, match=r"a \(2.0\) must not exceed b \(1.0\)"):
        init.uniform_(big((2, 2)), 2.0, 1.0)
    with pytest.raises(ValueError, match="std must be >= 0"):
        init.normal_(big((2, 2)), std=-1.0)
    with pytest.raises(ValueError, match="val must be a real number"):
        init.constant_(big((2, 2)), "1")
    assert np.isinf(init.constant_(big((2, 2)), math.inf).data).all()     # as torch: any number
    with pytest.raises(ValueError, match="mean must be a finite number"):
        init.normal_(big((2, 2)), mean=math.nan)
