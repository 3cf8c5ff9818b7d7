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


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


@pytest.fixture(scope="module")
def tls(torch):
    return torch.optim.lr_scheduler


def pair(lr: float = 0.1):
    """Our SGD and torch's SGD over one parameter, both at ``lr``."""
    import torch

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
def test_step_lr_matches_torch(step_size, gamma, tls):
    opt, topt = pair(0.2)
    got, want = sequences(sch.StepLR(opt, step_size, gamma), opt,
                          tls.StepLR(topt, step_size, gamma), topt, 25)
    np.testing.assert_allclose(got, want, rtol=1e-13)
    assert got[step_size] == pytest.approx(0.2 * gamma) and got[step_size - 1] == 0.2


def test_step_lr_default_gamma_is_torch_default(tls):
    opt, topt = pair(1.0)
    got, want = sequences(sch.StepLR(opt, 2), opt, tls.StepLR(topt, 2), topt, 6)
    np.testing.assert_allclose(got, want, rtol=1e-13)


@pytest.mark.parametrize("gamma", [0.9, 0.5, 1.0])
def test_exponential_lr_matches_torch(gamma, tls):
    opt, topt = pair(0.3)
    got, want = sequences(sch.ExponentialLR(opt, gamma), opt,
                          tls.ExponentialLR(topt, gamma), topt, 30)
    np.testing.assert_allclose(got, want, rtol=1e-13)


@pytest.mark.parametrize("T_max,eta_min,steps", [(10, 0.0, 10), (10, 0.01, 35), (7, 0.0, 30),
                                                 (1, 0.0, 5), (100, 1e-4, 100)])
def test_cosine_annealing_matches_torch(T_max, eta_min, steps, tls):
    opt, topt = pair(0.5)
    got, want = sequences(sch.CosineAnnealingLR(opt, T_max, eta_min), opt,
                          tls.CosineAnnealingLR(topt, T_max, eta_min), topt, steps)
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-14)
    closed = [eta_min + (0.5 - eta_min) * (1 + math.cos(math.pi * e / T_max)) / 2
              for e in range(min(steps, T_max) + 1)]
    np.testing.assert_allclose(got[:len(closed)], closed, rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("W", [2, 5])
def test_linear_warmup_alone_matches_torch_linear_lr(W, tls):
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
def test_linear_warmup_then_after_matches_torch_sequential(after, tls):
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
                                         cooldown, factor, min_lr, tls):
    opt, topt = pair(1.0)
    kw = dict(mode=mode, factor=factor, patience=patience, threshold=threshold,
              threshold_mode=threshold_mode, cooldown=cooldown, min_lr=min_lr)
    got, want = sequences(sch.ReduceLROnPlateau(opt, **kw), opt,
                          tls.ReduceLROnPlateau(topt, **kw), topt, len(metrics), metrics)
    np.testing.assert_allclose(got, want, rtol=1e-13)


def test_reduce_on_plateau_defaults_equal_torch(tls):
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


def test_a_torch_optimizer_is_refused(torch):
    with pytest.raises(TypeError, match="mg.optim optimizer"):
        sch.StepLR(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1), 3)


def test_bad_scheduler_input():
    opt = optim.SGD([mg.Value(0.0)], lr=1.0)
    other = optim.SGD([mg.Value(0.0)], lr=1.0)
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


# ---- per param group: the new schedules, and the old ones over several groups -----------------
def group_pair(torch, lrs, kind: str = "sgd"):
    """Our optimizer and torch's, one Value / 0-d tensor per group, group k at lrs[k]."""
    ours_groups = [{"params": [mg.Value(1.0)], "lr": lr} for lr in lrs]
    theirs_groups = [{"params": [torch.zeros((), requires_grad=True)], "lr": lr} for lr in lrs]
    if kind == "adam":
        return optim.Adam(ours_groups, lr=1.0), torch.optim.Adam(theirs_groups, lr=1.0)
    return (optim.SGD(ours_groups, lr=1.0, momentum=0.9),
            torch.optim.SGD(theirs_groups, lr=1.0, momentum=0.9))


def momenta(opt) -> list[float]:
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


def group_sequences(ours_sched, opt, theirs_sched, topt, steps: int, metrics=None):
    """Per step (construction first): every group's lr and momentum, ours and torch's."""
    def snap(o, s):
        return [g["lr"] for g in o.param_groups] + momenta(o), list(s.get_last_lr())

    got, want = [snap(opt, ours_sched)], [snap(topt, theirs_sched)]
    for k in range(steps):
        topt.step()
        ours_sched.step(*(() if metrics is None else (metrics[k],)))
        theirs_sched.step(*(() if metrics is None else (metrics[k],)))
        got.append(snap(opt, ours_sched))
        want.append(snap(topt, theirs_sched))
    for (values, last), (tvalues, tlast) in zip(got, want):
        np.testing.assert_allclose(values, tvalues, rtol=1e-9, atol=1e-15)
        np.testing.assert_allclose(last, tlast, rtol=1e-9, atol=1e-15)
        assert last == values[:len(last)]
    return got


GROUP_LRS = st.lists(st.sampled_from([0.1, 0.5, 1.0, 0.03]), min_size=1, max_size=3)
LAMBDAS = {
    "power": lambda a: (lambda e: a ** e),
    "inverse": lambda a: (lambda e: 1.0 / (1.0 + a * e)),
    "steps": lambda a: (lambda e: a ** (e // 3)),
    "warm": lambda a: (lambda e: min(1.0, (e + 1) * a)),
}


@settings(max_examples=30, deadline=None)
@given(lrs=GROUP_LRS, kinds=st.lists(st.sampled_from(sorted(LAMBDAS)), min_size=3, max_size=3),
       a=st.floats(0.05, 0.95), one=st.booleans(), steps=st.integers(1, 25))
def test_lambda_lr_matches_torch(torch, lrs, kinds, a, one, steps):
    fns = [LAMBDAS[k](a) for k in kinds[:len(lrs)]]
    fn = fns[0] if one else fns
    opt, topt = group_pair(torch, lrs)
    got = group_sequences(sch.LambdaLR(opt, fn), opt, torch.optim.lr_scheduler.LambdaLR(topt, fn), topt,
                          steps)
    assert got[1][0][0] == pytest.approx(lrs[0] * fns[0](1), rel=1e-15)


@settings(max_examples=30, deadline=None)
@given(lrs=GROUP_LRS, milestones=st.lists(st.integers(0, 20), max_size=5),
       gamma=st.sampled_from([0.1, 0.5, 0.9]), steps=st.integers(1, 25))
def test_multistep_lr_matches_torch(torch, lrs, milestones, gamma, steps):
    opt, topt = group_pair(torch, lrs)
    got = group_sequences(sch.MultiStepLR(opt, milestones, gamma), opt,
                          torch.optim.lr_scheduler.MultiStepLR(topt, milestones, gamma), topt, steps)
    for e, (values, _) in enumerate(got):
        passed = sum(1 for m in milestones if m <= e)
        assert values[0] == pytest.approx(lrs[0] * gamma ** passed, rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(["sgd", "adam"]),
    lrs=GROUP_LRS,
    max_lr=st.sampled_from([1.0, 0.1, "per group"]),
    total_steps=st.integers(2, 40),
    pct_start=st.floats(0.0, 1.0),
    anneal_strategy=st.sampled_from(["cos", "linear"]),
    cycle_momentum=st.booleans(),
    momenta=st.sampled_from([(0.85, 0.95), (0.8, 0.9), ([0.7, 0.8, 0.6], 0.99)]),
    div_factor=st.sampled_from([25.0, 10.0]),
    final_div_factor=st.sampled_from([1e4, 100.0]),
    three_phase=st.booleans(),
)
def test_one_cycle_lr_matches_torch(torch, kind, lrs, max_lr, total_steps, pct_start, anneal_strategy,
                                    cycle_momentum, momenta, div_factor, final_div_factor, three_phase):
    base_m, max_m = momenta
    if isinstance(base_m, list):
        base_m = base_m[:len(lrs)]
    kw = dict(max_lr=[0.5 * (k + 1) for k in range(len(lrs))] if max_lr == "per group" else max_lr,
              total_steps=total_steps, pct_start=pct_start, anneal_strategy=anneal_strategy,
              cycle_momentum=cycle_momentum, base_momentum=base_m, max_momentum=max_m,
              div_factor=div_factor, final_div_factor=final_div_factor, three_phase=three_phase)
    opt, topt = group_pair(torch, lrs, kind)
    try:
        theirs = torch.optim.lr_scheduler.OneCycleLR(topt, **kw)
        for _ in range(total_steps):
            topt.step()
            theirs.step()
    except ZeroDivisionError:   # torch divides by a phase of no steps; here that is a clear ValueError
        with pytest.raises(ValueError, match="has no steps"):
            ours = sch.OneCycleLR(opt, **kw)
            for _ in range(total_steps):
                ours.step()
        return
    opt, topt = group_pair(torch, lrs, kind)
    got = group_sequences(sch.OneCycleLR(opt, **kw), opt, torch.optim.lr_scheduler.OneCycleLR(topt, **kw),
                          topt, total_steps)
    n = len(lrs)
    first_max = kw["max_lr"][0] if isinstance(kw["max_lr"], list) else kw["max_lr"]
    ends = [pct_start * total_steps - 1] + ([2 * pct_start * total_steps - 2] if three_phase else [])
    if ends[0] > 0:     # step 0 starts the warm-up: max_lr / div_factor, at the top momentum
        assert got[0][0][0] == pytest.approx(first_max / div_factor, rel=1e-12)
        if cycle_momentum:
            assert got[0][0][n] == max_m
    if ends[-1] < total_steps - 1:      # the last step used ends the anneal at the minimum
        assert got[total_steps - 1][0][0] == pytest.approx(first_max / div_factor / final_div_factor,
                                                           rel=1e-9)


def test_step_and_cosine_and_plateau_set_every_group(torch):
    tls = torch.optim.lr_scheduler
    for ours_make, theirs_make, metrics in [
        (lambda o: sch.StepLR(o, 3, 0.5), lambda o: tls.StepLR(o, 3, 0.5), None),
        (lambda o: sch.CosineAnnealingLR(o, 8, 0.01), lambda o: tls.CosineAnnealingLR(o, 8, 0.01), None),
        (lambda o: sch.ExponentialLR(o, 0.8), lambda o: tls.ExponentialLR(o, 0.8), None),
        (lambda o: sch.ReduceLROnPlateau(o, patience=1, min_lr=[0.05, 0.2, 0.0]),
         lambda o: tls.ReduceLROnPlateau(o, patience=1, min_lr=[0.05, 0.2, 0.0]), [1.0] * 20),
        (lambda o: sch.LinearWarmup(o, 4), lambda o: tls.LinearLR(o, 0.25, total_iters=3), None),
    ]:
        opt, topt = group_pair(torch, [0.1, 0.5, 1.0])
        got = group_sequences(ours_make(opt), opt, theirs_make(topt), topt, 20, metrics)
        assert len({tuple(v[:3]) for v, _ in got}) > 1


# ---- by hand, and state_dicts (no torch) ----------------------------------------------------------
def test_multistep_lr_by_hand_with_a_repeated_milestone():
    opt = optim.SGD([{"params": [mg.Value(0.0)]}, {"params": [mg.Value(0.0)], "lr": 2.0}], lr=1.0)
    s = sch.MultiStepLR(opt, milestones=[2, 4, 4], gamma=0.5)
    seen = [s.get_last_lr()]
    for _ in range(5):
        s.step()
        seen.append(s.get_last_lr())
    assert seen == [[1.0, 2.0], [1.0, 2.0], [0.5, 1.0], [0.5, 1.0], [0.125, 0.25], [0.125, 0.25]]


def test_lambda_lr_one_function_per_group_by_hand():
    opt = optim.SGD([{"params": [mg.Value(0.0)]}, {"params": [mg.Value(0.0)], "lr": 3.0}], lr=1.0)
    s = sch.LambdaLR(opt, [lambda e: 0.5 ** e, lambda e: e + 1])
    s.step()
    s.step()
    assert s.get_last_lr() == [0.25, 9.0] and s.last_epoch == 2
    with pytest.raises(ValueError, match="1 lr_lambdas for 2 param groups"):
        sch.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(TypeError, match="must return a number"):
        sch.LambdaLR(opt, lambda e: "fast")


def test_one_cycle_by_hand():
    # 10 steps, pct_start 0.3: up from 1/25 to 1 over steps 0..2, then cosine down to 1/25/1e4 at 9
    opt = optim.Adam([mg.Value(0.0)], lr=0.1, betas=(0.5, 0.99))
    s = sch.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    lrs, beta1 = [opt.lr], [opt.param_groups[0]["betas"]]
    for _ in range(10):
        s.step()
        lrs.append(opt.lr)
        beta1.append(opt.param_groups[0]["betas"])
    assert lrs[0] == pytest.approx(0.04, rel=1e-12) and lrs[1] == pytest.approx(0.52, rel=1e-12)
    assert lrs[2] == 1.0 and lrs[9] == pytest.approx(0.04 / 1e4, rel=1e-9)
    mid = 4e-6 + (1.0 - 4e-6) / 2 * (1 + math.cos(math.pi * 3 / 7))      # step 5 of the way down
    assert lrs[5] == pytest.approx(mid, rel=1e-12)
    assert beta1[0] == (0.95, 0.99) and beta1[2] == (0.85, 0.99) and beta1[9][0] == pytest.approx(0.95)
    with pytest.raises(ValueError, match="total_steps is 10"):
        s.step()
    with pytest.raises(ValueError, match="neither"):
        sch.OneCycleLR(optim.Adagrad([mg.Value(0.0)]), max_lr=1.0, total_steps=10)
    with pytest.raises(ValueError, match="total_steps, or epochs and steps_per_epoch"):
        sch.OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ValueError, match="2 values but the optimizer has 1"):
        sch.OneCycleLR(opt, max_lr=[1.0, 2.0], total_steps=10)
    assert sch.OneCycleLR(opt, max_lr=1.0, epochs=3, steps_per_epoch=4).total_steps == 12


@pytest.mark.parametrize("make", [
    lambda o: sch.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=20, three_phase=True),
    lambda o: sch.CosineAnnealingLR(o, T_max=6, eta_min=0.01),
    lambda o: sch.MultiStepLR(o, [3, 5, 5], gamma=0.5),
    lambda o: sch.LinearWarmup(o, 3, after=sch.StepLR(o, 2, 0.5)),
    lambda o: sch.ReduceLROnPlateau(o, patience=0, factor=0.5),
], ids=["one-cycle", "cosine", "multistep", "warmup", "plateau"])
def test_scheduler_state_dict_resumes_the_same_sequence(make):
    def fresh():
        opt = optim.Adam([{"params": [mg.Value(1.0)]}, {"params": [mg.Value(2.0)], "lr": 0.3}], lr=0.1)
        return opt, make(opt)

    def advance(opt, s, n, start):
        out = []
        for k in range(start, start + n):
            s.step(*((float(k % 3),) if isinstance(s, sch.ReduceLROnPlateau) else ()))
            out.append([g["lr"] for g in opt.param_groups] + momenta(opt))
        return out

    opt, s = fresh()
    straight = advance(opt, s, 12, 0)
    opt, s = fresh()
    advance(opt, s, 5, 0)
    saved_opt, saved_sched = opt.state_dict(), s.state_dict()
    opt2, s2 = fresh()
    opt2.load_state_dict(saved_opt)
    s2.load_state_dict(saved_sched)
    resumed = advance(opt2, s2, 7, 5)
    assert resumed == straight[5:]
    with pytest.raises(ValueError, match="expected the keys"):
        sch.ExponentialLR(opt2, 0.5).load_state_dict(saved_sched)


def test_a_group_added_after_the_scheduler_is_named():
    opt = optim.SGD([mg.Value(0.0)], lr=1.0)
    s = sch.StepLR(opt, 2)
    opt.add_param_group({"params": [mg.Value(1.0)]})
    with pytest.raises(ValueError, match="now has 2 param groups.*made for 1"):
        s.step()
