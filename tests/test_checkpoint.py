"""Model checkpoints: atomic saves under the given name, all-or-nothing loads, no pickle."""

import os

import numpy as np
import pytest

import microgradx as mg
from microgradx.checkpoint import CheckpointError
from microgradx.nn import MLP, Linear, ReLU, Sequential, Tanh


def net(seed: int) -> Sequential:
    return Sequential(Linear(3, 4, seed=seed), ReLU(), Linear(4, 2, seed=seed + 1))


def snapshot(model):
    return [np.array(p.data, copy=True) for p in model.parameters()]


def assert_unchanged(model, snap):
    for p, s in zip(model.parameters(), snap):
        np.testing.assert_array_equal(p.data, s)


def test_save_keeps_the_name_given_and_load_restores_outputs(tmp_path):
    a, b = net(0), net(10)
    path = tmp_path / "m.pt"
    a.save(path)
    assert sorted(os.listdir(tmp_path)) == ["m.pt"]
    assert b.load(path) is b
    x = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_array_equal(b(x).data, a(x).data)
    a.save(str(tmp_path / "model"))                   # no suffix is added either
    assert sorted(os.listdir(tmp_path)) == ["m.pt", "model"]


def test_a_save_killed_midway_leaves_the_old_checkpoint_intact(tmp_path, monkeypatch):
    old, new = net(0), net(10)
    path = tmp_path / "model.pt"
    old.save(path)
    before = path.read_bytes()

    def dies_midway(file, **arrays):
        file.write(b"PK\x03\x04 half a zip")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", dies_midway)
    with pytest.raises(KeyboardInterrupt):
        new.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.pt"]          # no temp file left behind
    fresh = net(20).load(path)
    for p, q in zip(fresh.parameters(), old.parameters()):
        np.testing.assert_array_equal(p.data, q.data)


@pytest.mark.parametrize("bad", [np.array(["abc"] * 2), np.array([1 + 2j, 3j]), np.array([None, 1.0])],
                         ids=["str", "complex", "object"])
def test_a_bad_last_entry_leaves_every_parameter_unchanged(bad):
    model = net(0)
    snap = snapshot(model)
    state = {k: v + 1.0 for k, v in net(5).state_dict().items()}
    state["2.bias"] = bad
    assert list(state)[-1] == "2.bias"
    with pytest.raises(TypeError, match=r"'2\.bias' holds .* real numbers only"):
        model.load_state_dict(state)
    assert_unchanged(model, snap)


def test_a_wrong_shape_or_name_anywhere_changes_nothing():
    model = net(0)
    snap = snapshot(model)
    state = {k: v + 1.0 for k, v in net(5).state_dict().items()}
    state["2.weight"] = np.ones((4, 2))                            # the transposed layout
    with pytest.raises(ValueError, match=r"'2\.weight' has shape \(4, 2\), the model expects \(2, 4\)"):
        model.load_state_dict(state)
    del state["2.weight"]
    with pytest.raises(KeyError, match=r"missing \['2\.weight'\]"):
        model.load_state_dict(state)
    assert_unchanged(model, snap)
    with pytest.raises(TypeError, match="dict of name -> array"):
        model.load_state_dict([("0.weight", 1.0)])


def test_load_state_dict_copies_and_converts_to_the_parameter_dtype():
    model = Linear(3, 2, dtype=np.float32)
    state = {"weight": np.arange(6, dtype=np.int64).reshape(2, 3), "bias": np.array([True, False])}
    model.load_state_dict(state)
    assert model.weight.dtype == np.float32
    np.testing.assert_array_equal(model.weight.data, np.arange(6).reshape(2, 3))
    state["weight"][0, 0] = 100
    assert model.weight.data[0, 0] == 0.0
    mlp = MLP(2, [1], seed=0)
    mlp.load_state_dict({k: np.float32(0.5) for k in mlp.state_dict()})
    assert all(type(p.data) is float and p.data == 0.5 for p in mlp.parameters())


def test_a_bad_file_in_a_checkpoint_changes_nothing(tmp_path):
    model = net(0)
    snap = snapshot(model)
    path = tmp_path / "bad.npz"
    state = net(5).state_dict()
    state["2.bias"] = np.array([1 + 1j, 2j])
    np.savez(path, **state)
    with pytest.raises(CheckpointError, match=r"'2\.bias' has dtype complex128"):
        model.load(path)
    assert_unchanged(model, snap)


def test_a_text_file_gets_a_clear_error_that_never_mentions_pickle(tmp_path):
    path = tmp_path / "notes.pt"
    path.write_text("weights: 1 2 3\n")
    model = net(0)
    snap = snapshot(model)
    with pytest.raises(CheckpointError, match="is not a microgradx checkpoint") as e:
        model.load(path)
    assert "pickle" not in str(e.value).lower()
    assert_unchanged(model, snap)
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        model.load(tmp_path / "missing.pt")


def test_object_arrays_are_refused_without_suggesting_pickle(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, **{k: np.array([object()], dtype=object) for k in net(0).state_dict()})
    with pytest.raises(CheckpointError) as e:
        net(0).load(path)
    assert "pickle" not in str(e.value).lower()


def test_a_torch_save_file_gets_a_clear_error(tmp_path):
    torch = pytest.importorskip("torch")
    tnet = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    path = tmp_path / "torch.pt"
    torch.save(tnet.state_dict(), path)
    model = net(0)
    snap = snapshot(model)
    with pytest.raises(CheckpointError, match=r"not a microgradx checkpoint.*v\.numpy\(\)") as e:
        model.load(path)
    assert "pickle" not in str(e.value).lower()
    assert_unchanged(model, snap)


def test_save_refuses_a_folder_that_does_not_exist(tmp_path):
    with pytest.raises(FileNotFoundError):
        net(0).save(tmp_path / "no" / "such" / "m.pt")


def test_scalar_and_tensor_models_round_trip_through_files(tmp_path):
    mlp, other = MLP(2, [3, 1], seed=0), MLP(2, [3, 1], seed=1)
    mlp.save(tmp_path / "mlp.ckpt")
    other.load(tmp_path / "mlp.ckpt")
    assert other([0.3, -0.2]).data == mlp([0.3, -0.2]).data
    t = Sequential(Linear(2, 3, seed=0), Tanh())
    t.save(tmp_path / "t.npz")
    u = Sequential(Linear(2, 3, seed=4), Tanh()).load(tmp_path / "t.npz")
    np.testing.assert_array_equal(u[0].weight.data, t[0].weight.data)
    assert isinstance(u, mg.nn.Module)


def test_strict_false_loads_the_names_both_sides_have_and_reports_the_rest():
    model = net(0)
    snap = snapshot(model)
    state = {"0.weight": np.ones((4, 3)), "extra.bias": np.zeros(2)}
    with pytest.raises(KeyError, match=r"missing \['0\.bias', '2\.weight', '2\.bias'\], unexpected \['extra"):
        model.load_state_dict(state)
    assert_unchanged(model, snap)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["0.bias", "2.weight", "2.bias"]
    assert result.unexpected_keys == ["extra.bias"]
    np.testing.assert_array_equal(model[0].weight.data, np.ones((4, 3)))
    for p, s in list(zip(model.parameters(), snap))[1:]:
        np.testing.assert_array_equal(p.data, s)
    state["0.weight"] = np.array([["abc"] * 3] * 4)
    with pytest.raises(TypeError, match="'0.weight' holds"):
        model.load_state_dict(state, strict=False)
    np.testing.assert_array_equal(model[0].weight.data, np.ones((4, 3)))
