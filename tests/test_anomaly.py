"""Anomaly mode: the first op that makes NaN/Inf is named, in the forward or the backward pass."""

import math

import numpy as np
import pytest

import microgradx as mg

Value, Tensor = mg.Value, mg.Tensor


def test_log_of_negative_is_caught_in_the_forward_pass():
    x = Value(-1.0, label="x")
    with mg.detect_anomaly():
        with pytest.raises(mg.AnomalyError) as info:
            x.log()
    msg = str(info.value)
    assert msg.startswith("forward pass: op 'log' made nan from finite inputs")
    assert "x=-1.0" in msg
    assert isinstance(info.value, FloatingPointError)


def test_zero_times_inf_names_both_inputs():
    with mg.detect_anomaly():
        with pytest.raises(mg.AnomalyError, match=r"(?s)forward pass: op 'mul' made nan.*0\.0, inf"):
            Value(0.0) * Value(math.inf)
        with pytest.raises(mg.AnomalyError, match=r"(?s)forward pass: op 'mul' made nan.*0\.0, inf"):
            Value(0.0) * math.inf


def test_the_message_tells_a_fresh_anomaly_from_an_inherited_one():
    with mg.detect_anomaly():
        with pytest.raises(mg.AnomalyError, match="from finite inputs"):
            Value(800.0).exp()
        with pytest.raises(mg.AnomalyError, match="an input was already bad"):
            Value(math.inf) - Value(math.inf)
        with pytest.raises(mg.AnomalyError, match="an input was already bad"):
            Value(0.0) * math.inf


def test_sqrt_at_zero_is_caught_in_the_backward_pass():
    x = Value(0.0, label="x")
    with mg.detect_anomaly():
        y = x.sqrt()                      # forward is fine: sqrt(0) = 0
        assert y.data == 0.0
        with pytest.raises(mg.AnomalyError) as info:
            (y * 2.0).backward()
    msg = str(info.value)
    assert msg.startswith("backward pass: the gradient of op 'sqrt'")
    assert "x=0.0" in msg and "is inf" in msg and "upstream gradient: 2.0" in msg


def test_outside_anomaly_mode_nan_and_inf_propagate_silently():
    assert math.isnan(Value(-1.0).log().data)
    assert math.isnan((Value(0.0) * math.inf).data)
    assert Value(0.0).log().data == -math.inf
    x = Value(0.0)
    x.sqrt().backward()
    assert x.grad == math.inf
    z = Value(0.0)
    (1.0 / z).backward()
    assert z.grad == -math.inf


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_tensors_in_and_out_of_anomaly_mode():
    t = Tensor(np.array([1.0, -1.0, 2.0]), requires_grad=True, label="t")
    with mg.detect_anomaly():
        with pytest.raises(mg.AnomalyError, match=r"(?s)forward pass: op 'log' made nan.*-1\."):
            t.log()
        s = Tensor(np.array([4.0, 0.0]), requires_grad=True)
        with pytest.raises(mg.AnomalyError) as info:
            s.sqrt().sum().backward()
    msg = str(info.value)
    assert msg.startswith("backward pass: the gradient of op 'sqrt'") and "is inf" in msg
    assert "upstream gradient: array([1., 1.])" in msg
    big = Tensor(np.zeros(50), requires_grad=True)
    with mg.detect_anomaly(), pytest.raises(mg.AnomalyError, match=r"array of shape \(50,\)"):
        big.sqrt().sum().backward()
    # outside: NumPy semantics, no exception
    assert np.isnan(t.log().data[1])
    s.zero_grad()
    s.sqrt().sum().backward()
    assert s.grad[0] == 0.25 and s.grad[1] == np.inf


def test_mode_is_restored_after_an_error_and_nests():
    with pytest.raises(mg.AnomalyError):
        with mg.detect_anomaly():
            Value(-1.0).log()
    assert math.isnan(Value(-1.0).log().data)       # no error any more
    with mg.detect_anomaly():
        with mg.detect_anomaly():
            pass
        with pytest.raises(mg.AnomalyError):          # still on after the inner block
            Value(-2.0).sqrt()
    with mg.detect_anomaly(), mg.no_grad():
        assert math.isnan(Value(-1.0).log().data)      # no graph, nothing checked
    assert mg.is_grad_enabled()


def test_finite_graphs_pass_unchanged_in_anomaly_mode():
    x = Value(0.5)
    with mg.detect_anomaly():
        y = (x * 3.0).tanh().exp() / (x + 1.0)
        y.backward()
    x2 = Value(0.5)
    ((x2 * 3.0).tanh().exp() / (x2 + 1.0)).backward()
    assert y.data == ((Value(0.5) * 3.0).tanh().exp() / 1.5).data
    assert x.grad == x2.grad
