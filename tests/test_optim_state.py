"""Optimizer state: torch's state_dict layout, all-or-nothing loading, save/load files."""

from __future__ import annotations

import copy
import os

import numpy as np
import pytest

import microgradx as mg
import microgradx.optim as optim
from microgradx.checkpoint import CheckpointError


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


# ---- a small problem over two groups: Values and Tensors -----------------------------------------
def make_params() -> list[list]:
    return [[mg.Value(0.5, label="a"), mg.Tensor(np.array([[1.0, -1.0], [0.5, 2.0]]), requires_grad=True)],
            [mg.Value(-1.5, label="b"), mg.Value(0.25), mg.Tensor(np.array([0.3, -0.7, 1.1]),
                                                                  requires_grad=True)]]


def flat(groups: list[list]) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(p.data, dtype=float)) for g in groups for p in g])


def grad_of(x: np.ndarray) -> np.ndarray:
    return 1.5 * x + np.sin(3 * x) + 0.1 * x.sum()


def set_grads(groups: list[list]) -> None:
    g = grad_of(flat(groups))
    i = 0
    for p in (p for gr in groups for p in gr):
        if isinstance(p, mg.Value):
            p.grad = float(g[i])
            i += 1
        else:
            n = p.data.size
            p.grad = g[i:i + n].reshape(p.data.shape)
            i += n


def run(opt, groups, steps: int) -> None:
    for _ in range(steps):
        set_grads(groups)
        opt.step()


MAKERS = {
    "SGD": lambda gs: optim.SGD([{"params": gs[0]}, {"params": gs[1], "lr": 0.02, "nesterov": True}],
                                lr=0.05, momentum=0.9),
    "Adagrad": lambda gs: optim.Adagrad([{"params": gs[0]}, {"params": gs[1], "lr_decay": 0.01}], lr=0.1),
    "RMSprop": lambda gs: optim.RMSprop([{"params": gs[0], "centered": True}, {"params": gs[1]}],
                                        lr=0.01, momentum=0.5),
    "Adam": lambda gs: optim.Adam([{"params": gs[0], "amsgrad": True}, {"params": gs[1], "maximize": False}],
                                  lr=0.05, weight_decay=0.1),
    "AdamW": lambda gs: optim.AdamW([{"params": gs[0]}, {"params": gs[1], "weight_decay": 0.3}], lr=0.05),
    "AMSGrad": lambda gs: optim.AMSGrad([{"params": gs[0]}, {"params": gs[1]}], lr=0.05),
    "RAdam": lambda gs: optim.RAdam([{"params": gs[0]}, {"params": gs[1], "betas": (0.8, 0.9)}], lr=0.05),
    "SWATS": lambda gs: optim.SWATS([{"params": gs[0]}, {"params": gs[1], "lr": 0.01}], lr=0.05),
}


def test_state_dict_has_torchs_layout():
    groups = make_params()
    opt = MAKERS["Adam"](groups)
    run(opt, groups, 2)
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups", "optimizer"} and sd["optimizer"] == "Adam"
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2, 3, 4]]
    assert sd["param_groups"][0]["amsgrad"] is True and sd["param_groups"][1]["amsgrad"] is False
    assert set(sd["param_groups"][1]) == {"params", "lr", "betas", "eps", "weight_decay", "amsgrad",
                                          "maximize", "decoupled_weight_decay"}
    assert sorted(sd["state"]) == [0, 1, 2, 3, 4]
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert set(sd["state"][2]) == {"step", "exp_avg", "exp_avg_sq"}
    assert sd["state"][2]["step"] == 2 and isinstance(sd["state"][3]["exp_avg"], float)
    assert sd["state"][1]["exp_avg"].shape == (2, 2) and sd["state"][4]["exp_avg_sq"].shape == (3,)


@pytest.mark.parametrize("name", list(MAKERS))
@pytest.mark.parametrize("via", ["state_dict", "file"])
def test_round_trip_mid_training_continues_like_an_uninterrupted_run(name, via, tmp_path):
    straight = make_params()
    run(MAKERS[name](straight), straight, 14)

    groups = make_params()
    first = MAKERS[name](groups)
    run(first, groups, 7)
    path = tmp_path / "opt.npz"
    if via == "file":
        first.save(path)
        assert os.path.exists(path) and not any(p.name.startswith(".tmp") for p in tmp_path.iterdir())
    sd = first.state_dict()
    second = MAKERS[name](groups)
    second.param_groups[0]["lr"] = 123.0                     # loading restores the options too
    if via == "file":
        second.load(path)
    else:
        second.load_state_dict(copy.deepcopy(sd))
    assert second.param_groups[0]["lr"] == first.param_groups[0]["lr"]
    run(second, groups, 7)
    np.testing.assert_array_equal(flat(groups), flat(straight))

    fresh = make_params()
    for p, q in zip((p for g in fresh for p in g), (q for g in groups for q in g)):
        p.data = q.data
    no_state = MAKERS[name](fresh)
    run(no_state, fresh, 1)
    assert not np.array_equal(flat(fresh), flat(straight)), "the state must matter"


def _adam_after_steps():
    groups = make_params()
    opt = MAKERS["Adam"](groups)
    run(opt, groups, 3)
    return groups, opt


@pytest.mark.parametrize("spoil,message", [
    (lambda sd: sd["state"][4].__setitem__("exp_avg", np.zeros(4)), r"exp_avg.*shape \(3,\)"),
    (lambda sd: sd["state"][3].pop("exp_avg_sq"), r"missing \['exp_avg_sq'\]"),
    (lambda sd: sd["state"][1].__setitem__("momentum", np.zeros((2, 2))), r"unknown \['momentum'\]"),
    (lambda sd: sd["state"][2].__setitem__("step", 2.5), "whole number"),
    (lambda sd: sd["state"].__setitem__(9, {}), r"parameter\(s\) \[9\]"),
    (lambda sd: sd["param_groups"][1].__setitem__("lr", -0.1), r"param group 1.*invalid lr"),
    (lambda sd: sd["param_groups"][1].pop("betas"), r"param group 1 has no 'betas'"),
    (lambda sd: sd["param_groups"][1]["params"].pop(), "2 parameters in the state_dict but 3"),
    (lambda sd: sd["param_groups"].pop(), "1 param groups, this optimizer has 2"),
    (lambda sd: sd.pop("state"), "needs a dict made by state_dict"),
])
def test_a_bad_entry_is_refused_and_changes_nothing(spoil, message):
    groups, opt = _adam_after_steps()
    good = opt.state_dict()
    bad = copy.deepcopy(good)
    spoil(bad)
    opt.param_groups[0]["lr"] = 0.07
    before = opt.state_dict()
    data = flat(groups)
    with pytest.raises((ValueError, TypeError), match=message):
        opt.load_state_dict(bad)
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for i in before["state"]:
        for key, val in before["state"][i].items():
            np.testing.assert_array_equal(after["state"][i][key], val)
    np.testing.assert_array_equal(flat(groups), data)


def test_a_bad_file_is_refused_and_changes_nothing(tmp_path):
    groups, opt = _adam_after_steps()
    sd = opt.state_dict()
    sd["state"][1]["exp_avg"] = np.zeros(3)
    from microgradx.checkpoint import save_arrays
    from microgradx.optim.state_dict import to_arrays

    save_arrays(tmp_path / "bad.npz", to_arrays(sd))
    before = opt.state_dict()
    with pytest.raises(ValueError, match=r"exp_avg.*\(2, 2\)"):
        opt.load(tmp_path / "bad.npz")
    assert opt.state_dict()["state"][1]["exp_avg"].tolist() == before["state"][1]["exp_avg"].tolist()


def test_another_optimizers_state_dict_is_refused():
    groups, adam = _adam_after_steps()
    sgd = optim.SGD([{"params": g} for g in groups], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="saved by Adam, not by SGD"):
        sgd.load_state_dict(adam.state_dict())
    unnamed = adam.state_dict()
    del unnamed["optimizer"]
    with pytest.raises(ValueError, match="has no 'momentum'.*another optimizer"):
        sgd.load_state_dict(unnamed)
    with pytest.raises(ValueError, match="saved by Adam, not by AdamW"):
        optim.AdamW([{"params": g} for g in groups]).load_state_dict(adam.state_dict())
    assert sgd.state == {}


def test_an_interrupted_save_leaves_the_old_file(tmp_path, monkeypatch):
    groups, opt = _adam_after_steps()
    path = tmp_path / "adam.ckpt"
    opt.save(path)
    old = path.read_bytes()
    run(opt, groups, 2)

    def savez_then_fail(f, **arrays):
        f.write(b"PK\x03\x04 half a file")
        raise OSError("No space left on device")

    monkeypatch.setattr(np, "savez", savez_then_fail)
    with pytest.raises(OSError, match="No space left"):
        opt.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["adam.ckpt"]
    restored = MAKERS["Adam"](groups)
    restored.load(path)
    assert restored.state[0]["step"] == 3


def test_a_models_file_is_not_an_optimizers(tmp_path):
    from microgradx.checkpoint import save_arrays

    save_arrays(tmp_path / "model.npz", {"0.weight": np.ones((2, 2))})
    opt = optim.SGD([mg.Value(0.0)], lr=0.1)
    with pytest.raises(CheckpointError, match="not an optimizer's state"):
        opt.load(tmp_path / "model.npz")
    sd = optim.SGD([mg.Value(0.0)], lr=0.1).state_dict()
    from microgradx.optim.state_dict import to_arrays

    arrays = to_arrays(sd)
    arrays["param_groups/0/lr#complex"] = np.ones(1)
    save_arrays(tmp_path / "odd.npz", arrays)
    with pytest.raises(CheckpointError, match="lr#complex"):
        opt.load(tmp_path / "odd.npz")
    with pytest.raises(FileNotFoundError):
        opt.load(tmp_path / "missing.npz")


def test_flattening_keeps_every_kind_of_value():
    from microgradx.optim.state_dict import from_arrays, to_arrays

    sd = {"state": {0: {"step": 3, "buf": np.arange(6.0).reshape(2, 3), "m": 0.5}},
          "param_groups": [{"lr": 0.1, "betas": (0.9, 0.99), "nesterov": True, "name": "head",
                            "params": [0], "note": None}],
          "optimizer": "Adam", "global": {"switched": False, "sgd_lr": None, "k": 7}}
    back = from_arrays(to_arrays(sd))
    np.testing.assert_array_equal(back["state"][0].pop("buf"), sd["state"][0].pop("buf"))
    assert back == sd
    assert type(back["param_groups"][0]["betas"]) is tuple and type(back["state"][0]["step"]) is int
    with pytest.raises(CheckpointError, match="holds numbers"):
        to_arrays({"state": {}, "param_groups": [{"params": [0], "f": print}]})


def test_swats_global_state_round_trips_and_is_checked():
    groups = make_params()
    opt = MAKERS["SWATS"](groups)
    run(opt, groups, 3)
    sd = opt.state_dict()
    assert sd["global"]["k"] == 3 and sd["global"]["switched"] is False
    bad = copy.deepcopy(sd)
    bad["global"]["switched"] = True
    with pytest.raises(ValueError, match="sgd_lr and switch_step"):
        MAKERS["SWATS"](groups).load_state_dict(bad)


# ---- across the two libraries --------------------------------------------------------------------
def _torch_groups(torch, groups):
    return [[torch.tensor(np.array(p.data, dtype=float), dtype=torch.float64, requires_grad=True)
             for p in g] for g in groups]


def _torch_run(torch, topt, tgroups, steps):
    for _ in range(steps):
        g = grad_of(np.concatenate([t.detach().numpy().ravel() for gr in tgroups for t in gr]))
        i = 0
        for t in (t for gr in tgroups for t in gr):
            n = t.numel()
            t.grad = torch.tensor(g[i:i + n].reshape(tuple(t.shape)), dtype=torch.float64)
            i += n
        topt.step()


TORCH_PAIRS = {
    "SGD": dict(lr=0.05, momentum=0.9, weight_decay=0.1),
    "Adam": dict(lr=0.05, amsgrad=True, maximize=False),
    "RMSprop": dict(lr=0.01, momentum=0.5, centered=True),
    "RAdam": dict(lr=0.05, decoupled_weight_decay=True, weight_decay=0.1),
}


@pytest.mark.parametrize("name", list(TORCH_PAIRS))
def test_state_dicts_move_between_torch_and_microgradx(torch, name):
    kw = TORCH_PAIRS[name]
    ours_groups = make_params()
    tgroups = _torch_groups(torch, ours_groups)
    topt = getattr(torch.optim, name)([{"params": tgroups[0]}, {"params": tgroups[1], "lr": 0.02}],
                                      foreach=False, **kw)
    _torch_run(torch, topt, tgroups, 6)
    for p, t in zip((p for g in ours_groups for p in g), (t for g in tgroups for t in g)):
        p.data = float(t.item()) if isinstance(p, mg.Value) else t.detach().numpy().copy()
    opt = getattr(optim, name)([{"params": ours_groups[0]}, {"params": ours_groups[1]}], **kw)
    opt.load_state_dict(topt.state_dict())                  # torch -> microgradx
    assert opt.param_groups[1]["lr"] == 0.02
    run(opt, ours_groups, 4)
    _torch_run(torch, topt, tgroups, 4)
    want = np.concatenate([t.detach().numpy().ravel() for g in tgroups for t in g])
    np.testing.assert_allclose(flat(ours_groups), want, rtol=1e-12, atol=1e-14)

    sd = opt.state_dict()                                   # microgradx -> torch
    as_torch = {"state": {i: {k: torch.tensor(np.asarray(v, dtype=float)) for k, v in e.items()}
                          for i, e in sd["state"].items()},
                "param_groups": sd["param_groups"]}
    tgroups2 = _torch_groups(torch, ours_groups)
    topt2 = getattr(torch.optim, name)([{"params": tgroups2[0]}, {"params": tgroups2[1]}],
                                       foreach=False, **kw)
    topt2.load_state_dict(as_torch)
    run(opt, ours_groups, 4)
    _torch_run(torch, topt2, tgroups2, 4)
    want = np.concatenate([t.detach().numpy().ravel() for g in tgroups2 for t in g])
    np.testing.assert_allclose(flat(ours_groups), want, rtol=1e-12, atol=1e-14)
