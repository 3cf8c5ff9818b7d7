"""Learning-rate schedules: the same lr sequences as torch.optim.lr_scheduler."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import microgradx as mg
import microgradx.optim as optim
from microgradx.optim import lr_scheduler as sch

torch = pytest.importorskip("torch")
tls = torch.optim.lr_scheduler


def pair(lr: float = 0.1):
    """Our SGD and torch's SGD over one parameter, both at ``lr``."""
    ours = optim.SGD([mg.Value(1.0)], lr=lr)
    theirs = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    return ours, theirs


def sequences(ours_sched, opt, theirs_sched, topt, steps: int, metrics=None):
    """lr after construction and after each step, ours and torch's."""
    got, want = [opt.lr], [topt.param_groups[0]["lr"]]
    got_last, want_last = [ours_sched.get_last_lr()], [theirs_sched.get_last_lr()]
    for k in range(steps):
        topt.step()
        if metrics is None:
            ours_sched.step()
            theirs_sched.step()
        else:
            ours_sched.step(metrics[k])
            theirs_sched.step(metrics[k])
        got.append(opt.lr)
        want.append(topt.param_groups[0]["lr"])
        got_last.append(ours_sched.get_last_lr())
        want_last.append(theirs_sched.get_last_lr())
    assert [g[0] for g in got_last] == got
    assert all(len(g) == 1 for g in got_last)
    np.testing.assert_allclose(np.array(got_last)[:, 0], np.array(want_last, dtype=float)[:, 0],
                               rtol=1e-12, atol=1e-15)
    return np.array(got), np.array(want)


@pytest.mark.parametrize("step_size,gamma", [(3, 0.5), (1, 0.9), (7, 0.1)])
def test_step_lr_matches_torch(step_size, gamma):
    opt, topt = pair(0.2)
    got, want = sequences(sch.StepLR(opt, step_size, gamma), opt,
                          tls.StepLR(topt, step_size, gamma), topt, 25)
    np.testing.assert_allclose(got, want, rtol=1e-13)
    assert got[step_size] == pytest.approx(0.2 * gamma) and got[step_size - 1] == 0.2


def test_step_lr_default_gamma_is_torch_default():
    opt, topt = pair(1.0)
    got, want = sequences(sch.StepLR(opt, 2), opt, tls.StepLR(topt, 2), topt, 6)
    np.testing.assert_allclose(got, want, rtol=1e-13)


@pytest.mark.parametrize("gamma", [0.9, 0.5, 1.0])
def test_exponential_lr_matches_torch(gamma):
    opt, topt = pair(0.3)
    got, want = sequences(sch.ExponentialLR(opt, gamma), opt,
                          tls.ExponentialLR(topt, gamma), topt, 30)
    np.testing.assert_allclose(got, want, rtol=1e-13)


@pytest.mark.parametrize("T_max,eta_min,steps", [(10, 0.0, 10), (10, 0.01, 35), (7, 0.0, 30),
                                                 (1, 0.0, 5), (100, 1e-4, 100)])
def test_cosine_annealing_matches_torch(T_max, eta_min, steps):
    opt, topt = pair(0.5)
    got, want = sequences(sch.CosineAnnealingLR(opt, T_max, eta_min), opt,
                          tls.CosineAnnealingLR(topt, T_max, eta_min), topt, steps)
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-14)
    closed = [eta_min + (0.5 - eta_min) * (1 + math.cos(math.pi * e / T_max)) / 2
              for e in range(min(steps, T_max) + 1)]
    np.testing.assert_allclose(got[:len(closed)], closed, rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("W", [2, 5])
def test_linear_warmup_alone_matches_torch_linear_lr(W):
    opt, topt = pair(0.4)
    got, want = sequences(sch.LinearWarmup(opt, W), opt,
                          tls.LinearLR(topt, start_factor=1 / W, total_iters=W - 1), topt, 12)
    np.testing.assert_allclose(got, want, rtol=1e-13)
    np.testing.assert_allclose(got[:W], [0.4 * (t + 1) / W for t in range(W)], rtol=1e-13)


def test_linear_warmup_of_one_step_is_the_base_lr():
    opt = optim.SGD([mg.Value(0.0)], lr=0.4)
    warm = sch.LinearWarmup(opt, 1, after=sch.ExponentialLR(opt, 0.5))
    lrs = [opt.lr]
    for _ in range(3):
        warm.step()
        lrs.append(opt.lr)
    assert lrs == [0.4, 0.4, 0.2, 0.1]


@pytest.mark.parametrize("after", ["cosine", "step", "exp"])
def test_linear_warmup_then_after_matches_torch_sequential(after):
    W = 4
    opt, topt = pair(0.3)
    make = {
        "cosine": (lambda o: sch.CosineAnnealingLR(o, T_max=10, eta_min=0.01),
                   lambda o: tls.CosineAnnealingLR(o, T_max=10, eta_min=0.01)),
        "step": (lambda o: sch.StepLR(o, 3, 0.5), lambda o: tls.StepLR(o, 3, 0.5)),
        "exp": (lambda o: sch.ExponentialLR(o, 0.8), lambda o: tls.ExponentialLR(o, 0.8)),
    }[after]
    ours = sch.LinearWarmup(opt, W, after=make[0](opt))
    theirs = tls.SequentialLR(
        topt, [tls.LinearLR(topt, start_factor=1 / W, total_iters=W - 1), make[1](topt)],
        milestones=[W])
    got, want = sequences(ours, opt, theirs, topt, 25)
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-14)
    assert got[W] == pytest.approx(0.3)


def test_linear_warmup_then_plateau_needs_the_metric():
    opt = optim.SGD([mg.Value(0.0)], lr=1.0)
    warm = sch.LinearWarmup(opt, 2, after=sch.ReduceLROnPlateau(opt, patience=0))
    warm.step()
    warm.step()
    assert opt.lr == 1.0
    with pytest.raises(TypeError, match="metric"):
        warm.step()
    warm.step(5.0)
    warm.step(6.0)
    assert opt.lr == pytest.approx(0.1)


@settings(max_examples=40, deadline=None)
@given(
    metrics=st.lists(st.floats(0.0, 10.0), min_size=1, max_size=40),
    mode=st.sampled_from(["min", "max"]),
    threshold_mode=st.sampled_from(["rel", "abs"]),
    threshold=st.sampled_from([0.0, 1e-4, 0.1]),
    patience=st.integers(0, 3),
    cooldown=st.integers(0, 2),
    factor=st.sampled_from([0.1, 0.5]),
    min_lr=st.sampled_from([0.0, 0.01]),
)
def test_reduce_on_plateau_matches_torch(metrics, mode, threshold_mode, threshold, patience,
                                         cooldown, factor, min_lr):
    opt, topt = pair(1.0)
    kw = dict(mode=mode, factor=factor, patience=patience, threshold=threshold,
              threshold_mode=threshold_mode, cooldown=cooldown, min_lr=min_lr)
    got, want = sequences(sch.ReduceLROnPlateau(opt, **kw), opt,
                          tls.ReduceLROnPlateau(topt, **kw), topt, len(metrics), metrics)
    np.testing.assert_allclose(got, want, rtol=1e-13)


def test_reduce_on_plateau_defaults_equal_torch():
    import inspect

    ours = inspect.signature(sch.ReduceLROnPlateau.__init__).parameters
    theirs = inspect.signature(tls.ReduceLROnPlateau.__init__).parameters
    for name, p in ours.items():
        if name not in ("self", "optimizer"):
            assert p.default == theirs[name].default, name


def test_plateau_cuts_after_patience_bad_epochs():
    opt = optim.SGD([mg.Value(0.0)], lr=1.0)
    s = sch.ReduceLROnPlateau(opt, patience=2, factor=0.5)
    for loss in [1.0, 1.0, 1.0]:
        s.step(loss)
    assert opt.lr == 1.0
    s.step(1.0)
    assert opt.lr == 0.5


def test_scheduled_lr_drives_the_optimizer_step():
    w = mg.Value(0.0)
    opt = optim.SGD([w], lr=1.0)
    s = sch.StepLR(opt, step_size=1, gamma=0.5)
    moves = []
    for _ in range(3):
        w.grad = -1.0
        before = w.data
        opt.step()
        moves.append(w.data - before)
        s.step()
    assert moves == [1.0, 0.5, 0.25]


def test_bad_scheduler_input():
    opt = optim.SGD([mg.Value(0.0)], lr=1.0)
    other = optim.SGD([mg.Value(0.0)], lr=1.0)
    with pytest.raises(TypeError, match="mg.optim optimizer"):
        sch.StepLR(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1), 3)
    with pytest.raises(ValueError, match="step_size must be a positive integer"):
        sch.StepLR(opt, 0)
    with pytest.raises(ValueError, match="step_size"):
        sch.StepLR(opt, 2.5)
    with pytest.raises(ValueError, match="gamma"):
        sch.ExponentialLR(opt, -0.5)
    with pytest.raises(ValueError, match="T_max"):
        sch.CosineAnnealingLR(opt, -3)
    with pytest.raises(ValueError, match="warmup_steps"):
        sch.LinearWarmup(opt, 0)
    with pytest.raises(TypeError, match="after must be a scheduler"):
        sch.LinearWarmup(opt, 3, after="cosine")
    with pytest.raises(ValueError, match="same optimizer"):
        sch.LinearWarmup(opt, 3, after=sch.ExponentialLR(other, 0.9))
    with pytest.raises(ValueError, match="factor must be < 1.0"):
        sch.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode must be 'min' or 'max'"):
        sch.ReduceLROnPlateau(opt, mode="lowest")
    with pytest.raises(ValueError, match="threshold_mode"):
        sch.ReduceLROnPlateau(opt, threshold_mode="relative")
    with pytest.raises(ValueError, match="patience"):
        sch.ReduceLROnPlateau(opt, patience=-1)
    with pytest.raises(TypeError, match="metric as a number"):
        sch.ReduceLROnPlateau(opt).step("low")
    assert opt.lr == 1.0
