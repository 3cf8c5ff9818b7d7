"""Param groups, maximize and decoupled weight decay: as torch.optim, and by hand."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import microgradx as mg
import microgradx.optim as optim


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


# ---- two param groups, each with Values and a Tensor ------------------------------------------
SHAPES = [[(), (), (), (2, 3)], [(), (), (4,)]]   # () is a Value
SIZES = [int(np.prod(s)) for g in SHAPES for s in g]


def make_params(x0: np.ndarray) -> list[list]:
    groups, i = [], 0
    for shapes in SHAPES:
        ps = []
        for s in shapes:
            n = int(np.prod(s))
            chunk = x0[i:i + n]
            ps.append(mg.Value(float(chunk[0])) if s == () else
                      mg.Tensor(chunk.reshape(s).copy(), requires_grad=True))
            i += n
        groups.append(ps)
    return groups


def torch_params(torch, x0: np.ndarray) -> list[list]:
    groups, i = [], 0
    for shapes in SHAPES:
        ps = []
        for s in shapes:
            n = int(np.prod(s))
            ps.append(torch.tensor(x0[i:i + n].reshape(s).copy(), dtype=torch.float64, requires_grad=True))
            i += n
        groups.append(ps)
    return groups


def flat(ps: list) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(p.data, dtype=float)) for p in ps])


def set_grads(ps: list, g: np.ndarray) -> None:
    i = 0
    for p in ps:
        if isinstance(p, mg.Value):
            p.grad = float(g[i])
            i += 1
        else:
            n = p.data.size
            p.grad = g[i:i + n].reshape(p.data.shape).copy()
            i += n


def torch_flat(ps: list) -> np.ndarray:
    return np.concatenate([t.detach().numpy().ravel() for t in ps])


def torch_set_grads(torch, ps: list, g: np.ndarray) -> None:
    i = 0
    for t in ps:
        n = t.numel()
        t.grad = torch.tensor(g[i:i + n].reshape(tuple(t.shape)), dtype=torch.float64)
        i += n


def momentum_options(d: dict) -> dict:
    """Expand the drawn '_mom' into SGD's momentum, dampening and nesterov (always valid)."""
    d = dict(d)
    if "_mom" in d:
        d["momentum"], d["dampening"], d["nesterov"] = d.pop("_mom")
    return d


LR = st.sampled_from([0.01, 0.05, 0.2])
FLAG = st.booleans()
WD = st.sampled_from([0.0, 0.1])
BETAS = st.sampled_from([(0.9, 0.999), (0.8, 0.9), (0.5, 0.6)])
EPS = st.sampled_from([1e-8, 1e-3])
OPTIONS = {
    "SGD": {"lr": LR, "_mom": st.sampled_from([(0.0, 0.0, False), (0.9, 0.0, False), (0.9, 0.0, True),
                                               (0.5, 0.3, False)]),
            "weight_decay": WD, "maximize": FLAG},
    "Adagrad": {"lr": LR, "lr_decay": st.sampled_from([0.0, 0.05]), "weight_decay": WD,
                "initial_accumulator_value": st.sampled_from([0.0, 0.3]),
                "eps": st.sampled_from([1e-10, 1e-3]), "maximize": FLAG},
    "RMSprop": {"lr": LR, "alpha": st.sampled_from([0.99, 0.9]), "eps": EPS, "weight_decay": WD,
                "momentum": st.sampled_from([0.0, 0.5]), "centered": FLAG, "maximize": FLAG},
    "Adam": {"lr": LR, "betas": BETAS, "eps": EPS, "weight_decay": WD, "amsgrad": FLAG,
             "maximize": FLAG, "decoupled_weight_decay": FLAG},
    "AdamW": {"lr": LR, "betas": BETAS, "eps": EPS, "weight_decay": WD, "amsgrad": FLAG,
              "maximize": FLAG},
    "RAdam": {"lr": LR, "betas": BETAS, "eps": EPS, "weight_decay": WD,
              "decoupled_weight_decay": FLAG, "maximize": FLAG},
}
GRADS = st.lists(st.floats(-10, 10, allow_subnormal=False), min_size=sum(SIZES), max_size=sum(SIZES))


# torch.optim.Adagrad fills its state when it is made, from the constructor's
# initial_accumulator_value, and ignores a param group's own; here a group's own is used
# (test_adagrad_initial_accumulator_value_per_group), so the comparison leaves it to the defaults.
TORCH_IGNORES_IN_GROUPS = {"Adagrad": {"initial_accumulator_value"}}


def options(name: str, group: bool = False) -> st.SearchStrategy:
    skip = TORCH_IGNORES_IN_GROUPS.get(name, set()) if group else set()
    optional = {k: v for k, v in OPTIONS[name].items() if k not in skip}
    return st.fixed_dictionaries({}, optional=optional).map(momentum_options)


@pytest.mark.parametrize("name", list(OPTIONS))
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_param_groups_with_their_own_options_follow_torch(torch, name, data):
    defaults = data.draw(options(name), label="defaults")
    overrides = [data.draw(options(name, group=True), label=f"group {k}") for k in range(len(SHAPES))]
    steps = data.draw(st.lists(GRADS, min_size=1, max_size=7), label="gradients")
    x0 = np.random.default_rng(len(steps)).uniform(-2, 2, sum(SIZES))
    ours_groups, theirs_groups = make_params(x0), torch_params(torch, x0)
    opt = getattr(optim, name)([{"params": ps, **o} for ps, o in zip(ours_groups, overrides)], **defaults)
    topt = getattr(torch.optim, name)([{"params": ps, **o} for ps, o in zip(theirs_groups, overrides)],
                                      foreach=False, **defaults)
    ours = [p for g in ours_groups for p in g]
    theirs = [p for g in theirs_groups for p in g]
    for g in steps:
        grad = np.array(g)
        set_grads(ours, grad)
        torch_set_grads(torch, theirs, grad)
        opt.step()
        topt.step()
        np.testing.assert_allclose(flat(ours), torch_flat(theirs), rtol=1e-9, atol=1e-12)
    for mine, its in zip(opt.param_groups, topt.param_groups):
        for key in OPTIONS[name]:
            if key != "_mom":
                assert mine[key] == its[key], key


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "RAdam"])
def test_every_torch_option_is_here_with_its_default(torch, name):
    implementation_only = {"foreach", "fused", "capturable", "differentiable"}
    ours = inspect.signature(getattr(optim, name).__init__).parameters
    theirs = inspect.signature(getattr(torch.optim, name).__init__).parameters
    for key, p in theirs.items():
        if key in ("self", "params") or key in implementation_only:
            continue
        assert key in ours, key
        assert ours[key].default == p.default, key
    tdefaults = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)]).defaults
    mine = getattr(optim, name)([mg.Value(0.0)]).defaults
    assert mine == {k: v for k, v in tdefaults.items() if k not in implementation_only}


@pytest.mark.parametrize("name", ["SGD", "Adagrad"])
def test_positional_options_in_torchs_order(torch, name):
    ours = [k for k, p in inspect.signature(getattr(optim, name).__init__).parameters.items()
            if p.kind is p.POSITIONAL_OR_KEYWORD]
    theirs = [k for k, p in inspect.signature(getattr(torch.optim, name).__init__).parameters.items()
              if p.kind is p.POSITIONAL_OR_KEYWORD and k != "foreach"]
    assert ours == theirs


def test_adam_decoupled_weight_decay_is_adamw(torch):
    x0 = np.linspace(-1, 1, sum(SIZES))
    rng = np.random.default_rng(3)
    a, w, t = make_params(x0), make_params(x0), torch_params(torch, x0)
    adam = optim.Adam([p for g in a for p in g], lr=0.05, weight_decay=0.2, decoupled_weight_decay=True)
    adamw = optim.AdamW([p for g in w for p in g], lr=0.05, weight_decay=0.2)
    tadam = torch.optim.Adam([p for g in t for p in g], lr=0.05, weight_decay=0.2,
                             decoupled_weight_decay=True, foreach=False)
    for _ in range(8):
        g = rng.normal(size=sum(SIZES))
        for ps, o in ((a, adam), (w, adamw)):
            set_grads([p for gr in ps for p in gr], g)
            o.step()
        torch_set_grads(torch, [p for gr in t for p in gr], g)
        tadam.step()
    fa, fw = flat([p for g in a for p in g]), flat([p for g in w for p in g])
    np.testing.assert_array_equal(fa, fw)
    np.testing.assert_allclose(fa, torch_flat([p for g in t for p in g]), rtol=1e-12, atol=1e-14)


# ---- by hand (no torch) --------------------------------------------------------------------------
def test_two_groups_step_with_their_own_lr_and_momentum():
    a, b = mg.Value(1.0), mg.Value(1.0)
    W = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = optim.SGD([{"params": [a, W]}, {"params": [b], "lr": 0.5, "momentum": 0.5}], lr=0.1)
    for _ in range(2):
        a.grad, b.grad, W.grad = 1.0, 1.0, np.array([2.0, -2.0])
        opt.step()
    assert a.data == pytest.approx(1.0 - 0.1 - 0.1, rel=1e-15)
    np.testing.assert_allclose(W.data, [1.0 - 0.4, 2.0 + 0.4], rtol=1e-15)
    # b: buf = 1, then 0.5 * 1 + 1 = 1.5; steps of 0.5 * 1 and 0.5 * 1.5
    assert b.data == pytest.approx(1.0 - 0.5 - 0.75, rel=1e-15)
    assert opt.param_groups[0]["momentum"] == 0.0 and opt.param_groups[1]["momentum"] == 0.5
    assert opt.param_groups[1]["nesterov"] is False and opt.defaults["lr"] == 0.1


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adagrad, optim.RMSprop, optim.Adam, optim.AdamW,
                                 optim.RAdam])
def test_maximize_climbs_as_the_mirror_of_minimize(cls):
    up, down = mg.Value(0.5), mg.Value(0.5)
    climb, descend = cls([up], lr=0.1, maximize=True), cls([down], lr=0.1)
    for k in range(5):
        up.grad, down.grad = 1.0 + k, -(1.0 + k)
        climb.step()
        descend.step()
    assert up.data > 0.5
    assert up.data == down.data


def test_adagrad_initial_accumulator_value_per_group():
    a, b = mg.Value(0.0), mg.Value(0.0)
    opt = optim.Adagrad([{"params": [a]}, {"params": [b], "initial_accumulator_value": 3.0}],
                        lr=1.0, eps=0.0)
    a.grad = b.grad = 1.0
    opt.step()
    assert (a.data, b.data) == (-1.0, -0.5)     # lr * g / sqrt(init + g * g)
    assert opt.state[b]["sum"] == 4.0


def test_maximize_sgd_by_hand():
    w = mg.Value(1.0)
    opt = optim.SGD([w], lr=0.25, maximize=True)
    w.grad = 2.0
    opt.step()
    assert w.data == 1.5


def test_adam_decoupled_first_step_by_hand():
    w = mg.Value(2.0)
    opt = optim.Adam([w], lr=0.1, weight_decay=0.5, decoupled_weight_decay=True)
    w.grad = 3.0
    opt.step()
    # p * (1 - lr * wd), then a first Adam step of size lr (m_hat / sqrt(v_hat) = 1, eps aside)
    assert w.data == pytest.approx(2.0 * (1 - 0.05) - 0.1, rel=1e-9)


def test_editing_a_groups_lr_acts_on_the_next_step():
    w, b = mg.Value(0.0), mg.Value(0.0)
    opt = optim.SGD([{"params": [w]}, {"params": [b]}], lr=1.0)
    opt.param_groups[1]["lr"] = 0.25
    w.grad = b.grad = -1.0
    opt.step()
    assert (w.data, b.data) == (1.0, 0.25)
    opt.lr = 0.5                       # opt.lr sets every group
    assert [g["lr"] for g in opt.param_groups] == [0.5, 0.5] and opt.lr == 0.5
    opt.param_groups[0]["lr"] = -1.0
    with pytest.raises(ValueError, match=r"param group 0.*invalid lr -1.0"):
        opt.step()
    assert (w.data, b.data) == (1.0, 0.25)


def test_add_param_group_uses_the_defaults_and_keeps_state_of_the_others():
    a, b = mg.Value(1.0), mg.Value(1.0)
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    a.grad = 1.0
    opt.step()
    opt.add_param_group({"params": [b], "lr": 0.2})
    assert opt.param_groups[1]["momentum"] == 0.9 and opt.param_groups[1]["lr"] == 0.2
    a.grad = b.grad = 1.0
    opt.step()
    assert a.data == pytest.approx(1.0 - 0.1 - 0.1 * 1.9, rel=1e-15)
    assert b.data == pytest.approx(1.0 - 0.2, rel=1e-15)
    assert opt.state[1]["momentum_buffer"] == 1.0 and opt.state[a]["momentum_buffer"] == 1.9


def test_parameters_added_to_a_group_in_place_are_stepped_and_keep_their_state():
    a, b = mg.Value(0.0), mg.Value(0.0)
    opt = optim.Adam([a], lr=0.1)
    a.grad = 1.0
    opt.step()
    opt.param_groups[0]["params"].insert(0, b)      # torch lets you; the next step sees it
    a.grad = b.grad = 1.0
    opt.step()
    assert opt.state[a]["step"] == 2 and opt.state[b]["step"] == 1
    assert sorted(opt.state) == [0, 1] and b.data == pytest.approx(-0.1, rel=1e-7)
    c = mg.Value(5.0)
    opt.param_groups[0]["params"][0] = c             # replaced in place: b leaves, c comes in
    b.grad = c.grad = a.grad = 1.0
    before_b = b.data
    opt.step()
    assert b.data == before_b and c.data < 5.0 and opt.state[c]["step"] == 1 and b not in opt.state
    opt.param_groups[0]["params"] = [a]              # a new list works too
    opt.step()
    assert opt.params == [a] and opt.state[a]["step"] == 4 and c not in opt.state


def test_a_parameter_in_two_groups_is_refused():
    w = mg.Value(1.0, label="w")
    with pytest.raises(ValueError, match=r"parameter 1 \('w'\) is already in param group 0"):
        optim.Adam([{"params": [w]}, {"params": [w], "lr": 0.1}])
    opt = optim.Adam([w])
    with pytest.raises(ValueError, match="already in param group 0"):
        opt.add_param_group({"params": [w]})
    assert len(opt.param_groups) == 1
    opt.param_groups[0]["params"].append(w)
    w.grad = 1.0
    with pytest.raises(ValueError, match="same object"):
        opt.step()


def test_bad_param_groups_say_what_is_wrong():
    w = mg.Value(1.0)
    with pytest.raises(TypeError, match="in a list"):
        optim.SGD({"params": [w]}, lr=0.1)
    with pytest.raises(ValueError, match="needs 'params'"):
        optim.SGD([{"lr": 0.1}], lr=0.1)
    with pytest.raises(ValueError, match="did you mean 'momentum'"):
        optim.SGD([{"params": [w], "momentun": 0.9}], lr=0.1)
    with pytest.raises(ValueError, match=r"param group 1.*invalid momentum -1.0"):
        optim.SGD([{"params": [w]}, {"params": [mg.Value(0.0)], "momentum": -1}], lr=0.1)
    with pytest.raises(TypeError, match="set, which has no order"):
        optim.SGD([{"params": {w}}], lr=0.1)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([{"params": [w], "nesterov": True}], lr=0.1)
    opt = optim.SGD([{"params": [w], "name": "head"}], lr=0.1)   # other keys are kept, as torch
    assert opt.param_groups[0]["name"] == "head"


def test_get_by_name_takes_param_groups():
    a, b = mg.Value(1.0), mg.Value(1.0)
    opt = optim.get("momentum", [{"params": [a]}, {"params": [b], "lr": 0.5}])
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.5]
    assert [g["momentum"] for g in opt.param_groups] == [0.9, 0.9]
    a.grad = b.grad = 1.0
    opt.step()
    assert (a.data, b.data) == (pytest.approx(0.99, rel=1e-15), 0.5)


def test_step_returns_the_closures_loss():
    w = mg.Value(3.0)
    opt = optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = w * w
        loss.backward()
        return loss

    with mg.no_grad():
        loss = opt.step(closure)
    assert loss.data == 9.0 and w.data == pytest.approx(3.0 - 0.6, rel=1e-15)


def test_zero_grad_set_to_none_false_gives_zeros():
    W = mg.Tensor(np.ones(3), requires_grad=True)
    W.grad = np.ones(3)
    optim.SGD([W], lr=0.1).zero_grad(set_to_none=False)
    np.testing.assert_array_equal(W.grad, np.zeros(3))


def test_swats_groups_share_betas_and_eps():
    a, b = mg.Value(1.0), mg.Value(1.0)
    with pytest.raises(ValueError, match="same betas and eps"):
        optim.SWATS([{"params": [a]}, {"params": [b], "betas": (0.5, 0.9)}])
    opt = optim.SWATS([{"params": [a]}, {"params": [b], "lr": 0.01}], lr=0.1)
    a.grad = b.grad = 1.0
    opt.step()
    assert (a.data, b.data) == (pytest.approx(0.9, rel=1e-6), pytest.approx(0.99, rel=1e-6))


def test_repr_lists_each_group_and_hyperparams_cannot_be_written_by_mistake():
    opt = optim.SGD([{"params": [mg.Value(0.0)]}, {"params": [mg.Value(0.0), mg.Value(1.0)], "lr": 0.5}],
                    lr=0.1)
    text = repr(opt)
    assert "Parameter Group 0  (1 parameters)" in text and "Parameter Group 1  (2 parameters)" in text
    assert "    lr: 0.5" in text
    assert opt.hyperparams["lr"] == 0.1
    with pytest.raises(TypeError):
        opt.hyperparams["lr"] = 1.0       # the old spelling; param_groups[k]["lr"] is the way now
