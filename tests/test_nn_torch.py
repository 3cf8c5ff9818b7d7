"""A model moves between microgradx and PyTorch through its state_dict, both ways, unchanged."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import microgradx as mg
from microgradx.nn import Linear, Module, ReLU, Sequential, Tanh

torch = pytest.importorskip("torch")

widths = st.integers(1, 6)
SETTINGS = settings(max_examples=15, deadline=None)


def mg_net(a, b, c, d, seed):
    net = Sequential(Linear(a, b), ReLU(), Linear(b, c), Tanh(), Linear(c, d))
    rng = np.random.default_rng(seed)
    for p in net.parameters():
        p.data = rng.normal(size=p.shape)          # biases too, so a swapped bias would show
    return net


def torch_net(a, b, c, d):
    return torch.nn.Sequential(torch.nn.Linear(a, b), torch.nn.ReLU(), torch.nn.Linear(b, c),
                               torch.nn.Tanh(), torch.nn.Linear(c, d)).double()


@SETTINGS
@given(a=widths, b=widths, c=widths, d=widths, n=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_a_microgradx_state_dict_loads_into_torch_with_the_same_outputs_and_gradients(a, b, c, d, n, seed):
    net = mg_net(a, b, c, d, seed)
    sd = net.state_dict()
    tnet = torch_net(a, b, c, d)
    tnet.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})     # strict: same names
    x = np.random.default_rng(seed + 1).normal(size=(n, a))
    out = net(x)
    tout = tnet(torch.from_numpy(x))
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    (out ** 2).sum().backward()
    (tout ** 2).sum().backward()
    theirs = dict(tnet.named_parameters())
    for name, p in net.named_parameters():
        np.testing.assert_allclose(p.grad, theirs[name].grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


@SETTINGS
@given(a=widths, b=widths, c=widths, d=widths, n=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_a_torch_state_dict_loads_into_microgradx_with_the_same_outputs(a, b, c, d, n, seed):
    torch.manual_seed(seed)
    tnet = torch_net(a, b, c, d)
    net = mg_net(a, b, c, d, seed)
    net.load_state_dict({k: v.numpy() for k, v in tnet.state_dict().items()})
    x = np.random.default_rng(seed).normal(size=(n, a))
    with torch.no_grad():
        want = tnet(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(net(x).data, want, rtol=1e-12, atol=1e-12)
    other = mg_net(a, b, c, d, seed + 1)
    assert repr(other.load_state_dict(tnet.state_dict())) == "<All keys matched successfully>"  # as torch
    np.testing.assert_allclose(other(x).data, want, rtol=1e-12, atol=1e-12)
    assert list(net.state_dict()) == list(tnet.state_dict())


def test_a_saved_checkpoint_opens_in_torch_via_numpy(tmp_path):
    net = mg_net(3, 5, 4, 2, seed=0)
    path = tmp_path / "model.pt"
    net.save(path)
    with np.load(path, allow_pickle=False) as f:
        tnet = torch_net(3, 5, 4, 2)
        tnet.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    x = np.random.default_rng(0).normal(size=(4, 3))
    np.testing.assert_allclose(net(x).data, tnet(torch.from_numpy(x)).detach().numpy(), rtol=1e-12)


def test_a_custom_module_names_its_parameters_as_torch_does():
    class Ours(Module):
        def __init__(self):
            self.encoder = Sequential(Linear(4, 8), ReLU())
            self.head = Linear(8, 3, bias=False)

        def forward(self, x):
            return self.head(self.encoder(x))

    class Theirs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU())
            self.head = torch.nn.Linear(8, 3, bias=False)

        def forward(self, x):
            return self.head(self.encoder(x))

    ours, theirs = Ours(), Theirs().double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert {k: v.shape for k, v in ours.state_dict().items()} == {
        k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(1).normal(size=(2, 4))
    np.testing.assert_allclose(ours(x).data, theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-12)
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]


def test_float32_models_move_too():
    net = Sequential(Linear(3, 2, dtype=np.float32))
    tnet = torch.nn.Sequential(torch.nn.Linear(3, 2))
    tnet.load_state_dict({k: torch.from_numpy(v) for k, v in net.state_dict().items()})
    assert tnet[0].weight.dtype == torch.float32
    x = np.ones((1, 3), np.float32)
    np.testing.assert_allclose(net(x).data, tnet(torch.from_numpy(x)).detach().numpy(), rtol=1e-6)
    assert isinstance(net(x), mg.Tensor)
