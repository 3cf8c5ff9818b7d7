"""Optimizers: equal to torch.optim step for step, on Value and Tensor parameters."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import microgradx as mg
import microgradx.optim as optim

torch = pytest.importorskip("torch")

STEPS = 200

# ---- the shared problem -------------------------------------------------------
# f(x) = 0.5 * sum(A (x - C)^2) + 0.1 * sum(sin(3 x)) + 0.025 * (sum x)^2, gradient by hand.
RNG = np.random.default_rng(7)
A = RNG.uniform(0.5, 3.0, 10)
C = RNG.uniform(-1.0, 1.0, 10)
X0 = RNG.uniform(-2.0, 2.0, 10)


def grad_f(x: np.ndarray) -> np.ndarray:
    n = x.size
    return A[:n] * (x - C[:n]) + 0.3 * np.cos(3 * x) + 0.05 * x.sum()


# (id, our optimizer, torch optimizer); each gets the parameter list. The learning rates keep
# RMSprop out of the regime where a constant-rate adaptive method oscillates chaotically around
# the minimum: there one-ulp rounding differences (torch's fused kernels) grow exponentially.
CONFIGS = [
    ("sgd", lambda p: optim.SGD(p, lr=0.05),
     lambda p: torch.optim.SGD(p, lr=0.05, foreach=False)),
    ("sgd-momentum", lambda p: optim.SGD(p, lr=0.02, momentum=0.9),
     lambda p: torch.optim.SGD(p, lr=0.02, momentum=0.9, foreach=False)),
    ("sgd-dampening", lambda p: optim.SGD(p, lr=0.02, momentum=0.8, dampening=0.3),
     lambda p: torch.optim.SGD(p, lr=0.02, momentum=0.8, dampening=0.3, foreach=False)),
    ("sgd-nesterov", lambda p: optim.SGD(p, lr=0.02, momentum=0.9, nesterov=True),
     lambda p: torch.optim.SGD(p, lr=0.02, momentum=0.9, nesterov=True, foreach=False)),
    ("sgd-weight-decay", lambda p: optim.SGD(p, lr=0.03, momentum=0.5, weight_decay=0.1),
     lambda p: torch.optim.SGD(p, lr=0.03, momentum=0.5, weight_decay=0.1, foreach=False)),
    ("adagrad", lambda p: optim.Adagrad(p, lr=0.1),
     lambda p: torch.optim.Adagrad(p, lr=0.1, foreach=False)),
    ("adagrad-decay-init",
     lambda p: optim.Adagrad(p, lr=0.2, lr_decay=0.01, initial_accumulator_value=0.5,
                             weight_decay=0.05),
     lambda p: torch.optim.Adagrad(p, lr=0.2, lr_decay=0.01, initial_accumulator_value=0.5,
                                   weight_decay=0.05, foreach=False)),
    ("rmsprop", lambda p: optim.RMSprop(p, lr=0.004),
     lambda p: torch.optim.RMSprop(p, lr=0.004, foreach=False)),
    ("rmsprop-centered", lambda p: optim.RMSprop(p, lr=0.003, centered=True),
     lambda p: torch.optim.RMSprop(p, lr=0.003, centered=True, foreach=False)),
    ("rmsprop-momentum", lambda p: optim.RMSprop(p, lr=0.005, momentum=0.8),
     lambda p: torch.optim.RMSprop(p, lr=0.005, momentum=0.8, foreach=False)),
    ("rmsprop-all",
     lambda p: optim.RMSprop(p, lr=0.002, alpha=0.98, momentum=0.5, centered=True,
                             weight_decay=0.1),
     lambda p: torch.optim.RMSprop(p, lr=0.002, alpha=0.98, momentum=0.5, centered=True,
                                   weight_decay=0.1, foreach=False)),
    ("adam", lambda p: optim.Adam(p, lr=0.05),
     lambda p: torch.optim.Adam(p, lr=0.05, foreach=False)),
    ("adam-weight-decay", lambda p: optim.Adam(p, lr=0.05, betas=(0.8, 0.99), weight_decay=0.1),
     lambda p: torch.optim.Adam(p, lr=0.05, betas=(0.8, 0.99), weight_decay=0.1,
                                foreach=False)),
    ("amsgrad", lambda p: optim.AMSGrad(p, lr=0.05),
     lambda p: torch.optim.Adam(p, lr=0.05, amsgrad=True, foreach=False)),
    ("adam-amsgrad-flag", lambda p: optim.Adam(p, lr=0.05, amsgrad=True, weight_decay=0.05),
     lambda p: torch.optim.Adam(p, lr=0.05, amsgrad=True, weight_decay=0.05, foreach=False)),
    ("adamw", lambda p: optim.AdamW(p, lr=0.05, weight_decay=0.1),
     lambda p: torch.optim.AdamW(p, lr=0.05, weight_decay=0.1, foreach=False)),
    ("adamw-amsgrad", lambda p: optim.AdamW(p, lr=0.05, amsgrad=True),
     lambda p: torch.optim.AdamW(p, lr=0.05, amsgrad=True, foreach=False)),
    ("radam", lambda p: optim.RAdam(p, lr=0.05),
     lambda p: torch.optim.RAdam(p, lr=0.05, foreach=False)),
    ("radam-weight-decay", lambda p: optim.RAdam(p, lr=0.05, weight_decay=0.1),
     lambda p: torch.optim.RAdam(p, lr=0.05, weight_decay=0.1, foreach=False)),
    ("radam-decoupled",
     lambda p: optim.RAdam(p, lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
     lambda p: torch.optim.RAdam(p, lr=0.05, weight_decay=0.1, decoupled_weight_decay=True,
                                 foreach=False)),
]
IDS = [c[0] for c in CONFIGS]


def _tensor_cls():
    return pytest.importorskip("microgradx.tensor").Tensor


# ---- flat views of a parameter list ----------------------------------------------
def flat(params: list) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(p.data, dtype=float)) for p in params])


def set_grads(params: list, g: np.ndarray) -> None:
    i = 0
    for p in params:
        if isinstance(p, mg.Value):
            p.grad = float(g[i])
            i += 1
        else:
            n = p.data.size
            p.grad = g[i:i + n].reshape(p.data.shape).astype(p.data.dtype)
            i += n


def torch_like(params: list) -> list:
    return [torch.tensor(np.array(p.data, dtype=np.float64), dtype=torch.float64,
                         requires_grad=True) for p in params]


def torch_flat(tparams: list) -> np.ndarray:
    return np.concatenate([t.detach().numpy().ravel() for t in tparams])


def torch_set_grads(tparams: list, g: np.ndarray) -> None:
    i = 0
    for t in tparams:
        n = t.numel()
        t.grad = torch.tensor(g[i:i + n].reshape(tuple(t.shape)), dtype=torch.float64)
        i += n


def run_both(params: list, ours, theirs, steps: int = STEPS) -> tuple[np.ndarray, np.ndarray]:
    tparams = torch_like(params)
    opt, topt = ours(params), theirs(tparams)
    for _ in range(steps):
        set_grads(params, grad_f(flat(params)))
        opt.step()
        torch_set_grads(tparams, grad_f(torch_flat(tparams)))
        topt.step()
    return flat(params), torch_flat(tparams)


def value_params(n: int = 6) -> list:
    return [mg.Value(float(x), label=f"v{i}") for i, x in enumerate(X0[:n])]


def mixed_params() -> list:
    Tensor = _tensor_cls()
    v = [mg.Value(float(x)) for x in X0[6:]]
    W = Tensor(X0[:6].reshape(3, 2).copy(), requires_grad=True, label="W")
    return [v[0], W, v[1], v[2], v[3]]


# ---- equality with torch.optim ------------------------------------------------------
@pytest.mark.parametrize("name,ours,theirs", CONFIGS, ids=IDS)
def test_value_params_match_torch(name, ours, theirs):
    params = value_params()
    got, want = run_both(params, ours, theirs)
    assert not np.allclose(want, X0[:6], atol=1e-3), "the problem must move the parameters"
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)
    assert all(type(p.data) is float for p in params)


@pytest.mark.parametrize("name,ours,theirs", CONFIGS, ids=IDS)
def test_tensor_and_value_params_match_torch(name, ours, theirs):
    params = mixed_params()
    W = params[1]
    got, want = run_both(params, ours, theirs)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)
    assert W.data.shape == (3, 2) and W.data.dtype == np.float64


def test_float32_tensor_keeps_its_dtype_and_follows_torch():
    Tensor = _tensor_cls()
    W = Tensor(X0[:6].reshape(3, 2).astype(np.float32), requires_grad=True)
    tw = torch.tensor(W.data.copy(), requires_grad=True)
    opt, topt = optim.Adam([W], lr=0.05), torch.optim.Adam([tw], lr=0.05, foreach=False)
    for _ in range(50):
        g = grad_f(W.data.ravel().astype(float)).reshape(3, 2).astype(np.float32)
        W.grad, tw.grad = g, torch.from_numpy(g.copy())
        opt.step()
        topt.step()
    assert W.data.dtype == np.float32
    assert opt.state[0]["exp_avg"].dtype == np.float32
    np.testing.assert_allclose(W.data, tw.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_tensor_without_grad_is_skipped_like_torch():
    Tensor = _tensor_cls()
    W = Tensor(np.ones((2, 2)), requires_grad=True)
    v = mg.Value(1.0)
    tw, tv = torch.ones(2, 2, dtype=torch.float64, requires_grad=True), torch.tensor(
        1.0, dtype=torch.float64, requires_grad=True)
    opt = optim.Adam([W, v], lr=0.1)
    topt = torch.optim.Adam([tw, tv], lr=0.1, foreach=False)
    for _ in range(3):
        v.grad, tv.grad = 2.0, torch.tensor(2.0, dtype=torch.float64)
        opt.step()
        topt.step()
    np.testing.assert_array_equal(W.data, np.ones((2, 2)))
    assert 0 not in opt.state and len(topt.state[tw]) == 0
    assert v.data == pytest.approx(tv.item(), rel=1e-14) and v.data < 1.0


def test_step_assigns_new_arrays_and_never_writes_into_grads_or_data():
    Tensor = _tensor_cls()
    W = Tensor(np.ones((2, 3)), requires_grad=True)
    old_data = W.data
    shared = np.full((2, 3), 0.5)
    W.grad = shared
    optim.SGD([W], lr=0.1, momentum=0.9, weight_decay=0.1).step()
    np.testing.assert_array_equal(shared, np.full((2, 3), 0.5))
    np.testing.assert_array_equal(old_data, np.ones((2, 3)))
    np.testing.assert_allclose(W.data, 1.0 - 0.1 * (0.5 + 0.1 * 1.0))


def test_values_group_is_written_back_to_the_same_objects_in_order():
    vs = [mg.Value(float(i)) for i in range(5)]
    ids = [id(v) for v in vs]
    for i, v in enumerate(vs):
        v.grad = float(i + 1)
    opt = optim.SGD(vs, lr=0.5)
    opt.step()
    assert [id(v) for v in opt.params] == ids
    assert [v.data for v in vs] == [i - 0.5 * (i + 1) for i in range(5)]


def test_zero_grad_resets_values_to_zero_and_tensors_to_none():
    Tensor = _tensor_cls()
    W = Tensor(np.ones(3), requires_grad=True)
    v = mg.Value(2.0)
    (mg.Value(3.0) * v).backward()
    W.grad = np.ones(3)
    opt = optim.SGD([v, W], lr=0.1)
    opt.zero_grad()
    assert v.grad == 0.0 and isinstance(v.grad, float)
    assert W.grad is None


def test_lr_property_reads_writes_and_drives_the_step():
    w = mg.Value(1.0)
    opt = optim.SGD([w], lr=0.1)
    assert opt.lr == 0.1
    opt.lr = 0.5
    w.grad = 1.0
    opt.step()
    assert w.data == 0.5
    with pytest.raises(ValueError, match="lr"):
        opt.lr = -1.0
    assert opt.lr == 0.5


def test_value_grad_that_is_a_value_counts_as_its_number():
    w = mg.Value(2.0)
    (w * w * w).backward(create_graph=True)
    assert isinstance(w.grad, mg.Value)
    optim.SGD([w], lr=0.01).step()
    assert w.data == pytest.approx(2.0 - 0.01 * 12.0)


def test_state_is_per_parameter():
    Tensor = _tensor_cls()
    W = Tensor(np.zeros((2, 2)), requires_grad=True)
    vs = [mg.Value(0.0), mg.Value(0.0)]
    opt = optim.Adam([vs[0], W, vs[1]], lr=0.1)
    vs[0].grad, vs[1].grad, W.grad = 1.0, -2.0, np.full((2, 2), 3.0)
    opt.step()
    state = opt.state
    assert sorted(state) == [0, 1, 2]
    assert state[0]["step"] == state[1]["step"] == state[2]["step"] == 1
    assert state[0]["exp_avg"] == pytest.approx(0.1) and state[2]["exp_avg"] == pytest.approx(-0.2)
    np.testing.assert_allclose(state[1]["exp_avg_sq"], np.full((2, 2), 0.001 * 9.0))


def test_defaults_equal_torch():
    pairs = [(optim.SGD, torch.optim.SGD), (optim.Adagrad, torch.optim.Adagrad),
             (optim.RMSprop, torch.optim.RMSprop), (optim.Adam, torch.optim.Adam),
             (optim.AdamW, torch.optim.AdamW), (optim.RAdam, torch.optim.RAdam)]
    for ours, theirs in pairs:
        sig = inspect.signature(theirs.__init__).parameters
        for name, p in inspect.signature(ours.__init__).parameters.items():
            if name in ("self", "params"):
                continue
            assert name in sig, (ours.__name__, name)
            assert p.default == sig[name].default, (ours.__name__, name)


def test_amsgrad_is_adam_with_amsgrad():
    assert issubclass(optim.AMSGrad, optim.Adam)
    opt = optim.AMSGrad([mg.Value(0.0)])
    assert opt.hyperparams["amsgrad"] is True and opt.lr == 1e-3


def test_radam_first_rectified_step_is_six():
    # Before t = 6 RAdam is momentum SGD on the bias-corrected first moment: with a constant
    # gradient g that is exactly lr * g per step; at t = 6 the adaptive, rectified step starts.
    g, lr = 4.0, 0.01
    w = mg.Value(0.0)
    opt = optim.RAdam([w], lr=lr)
    moves = []
    for _ in range(6):
        before = w.data
        w.grad = g
        opt.step()
        moves.append(before - w.data)
    np.testing.assert_allclose(moves[:5], lr * g, rtol=1e-12)
    rho_inf = 2 / (1 - 0.999) - 1
    rho6 = rho_inf - 2 * 6 * 0.999**6 / (1 - 0.999**6)
    rect = math.sqrt((rho6 - 4) * (rho6 - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho6))
    assert rho6 > 5 > rho_inf - 2 * 5 * 0.999**5 / (1 - 0.999**5)
    # v_6 = (1 - beta2**6) g^2, so the adaptive factor is sqrt(1 - beta2**6) / (sqrt(v_6) + eps)
    adaptive = 1 / (abs(g) + 1e-8 / math.sqrt(1 - 0.999**6))
    assert moves[5] == pytest.approx(lr * rect * g * adaptive, rel=1e-12)


# ---- state_dict -------------------------------------------------------------------
ROUND_TRIP = [c for c in CONFIGS if c[0] != "sgd"] + [
    ("swats", lambda p: optim.SWATS(p, lr=0.05), None)]


def _plain(obj) -> bool:
    if isinstance(obj, dict):
        return all(isinstance(k, (str, int)) and _plain(v) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return all(_plain(v) for v in obj)
    return obj is None or isinstance(obj, (bool, int, float, str, np.ndarray))


@pytest.mark.parametrize("name,ours", [(c[0], c[1]) for c in ROUND_TRIP],
                         ids=[c[0] for c in ROUND_TRIP])
def test_state_dict_round_trip_continues_identically(name, ours):
    tensors = name.startswith(("adam", "rmsprop"))
    make = mixed_params if tensors else value_params
    straight = make()
    opt = ours(straight)
    for _ in range(60):
        set_grads(straight, grad_f(flat(straight)))
        opt.step()

    resumed, fresh_only = make(), make()
    first = ours(resumed)
    for _ in range(30):
        set_grads(resumed, grad_f(flat(resumed)))
        first.step()
    sd = first.state_dict()
    assert _plain(sd)
    for p, q in zip(fresh_only, resumed):
        p.data = q.data.copy() if isinstance(q.data, np.ndarray) else q.data
    second, no_state = ours(resumed), ours(fresh_only)
    second.load_state_dict(sd)
    for _ in range(30):
        for params, o in ((resumed, second), (fresh_only, no_state)):
            set_grads(params, grad_f(flat(params)))
            o.step()
    np.testing.assert_array_equal(flat(resumed), flat(straight))
    assert not np.allclose(flat(fresh_only), flat(straight), rtol=1e-9, atol=0)


def test_state_dict_is_a_copy():
    w = mg.Value(1.0)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    w.grad = 1.0
    opt.step()
    sd = opt.state_dict()
    sd["state"][0]["momentum_buffer"] = 99.0
    sd["param_groups"][0]["lr"] = 7.0
    sd["param_groups"][0]["params"].append(5)
    assert opt.state[0]["momentum_buffer"] == 1.0 and opt.lr == 0.1
    assert opt.state_dict()["param_groups"][0]["params"] == [0]


def test_load_state_dict_rejects_a_mismatch():
    a, b = mg.Value(1.0), mg.Value(2.0)
    adam = optim.Adam([a, b])
    a.grad = b.grad = 1.0
    adam.step()
    with pytest.raises(ValueError, match="Adam, not by SGD"):
        optim.SGD([a, b], lr=0.1).load_state_dict(adam.state_dict())
    with pytest.raises(ValueError, match="1 parameters"):
        optim.Adam([a]).load_state_dict(adam.state_dict())
    with pytest.raises(TypeError, match="state_dict"):
        optim.Adam([a]).load_state_dict({"lr": 0.1})
    Tensor = _tensor_cls()
    W = Tensor(np.zeros((2, 2)), requires_grad=True)
    W.grad = np.ones((2, 2))
    tadam = optim.Adam([W])
    tadam.step()
    with pytest.raises(ValueError, match="shape"):
        optim.Adam([Tensor(np.zeros(3), requires_grad=True)]).load_state_dict(tadam.state_dict())


# ---- bad input ----------------------------------------------------------------------
ALL = [optim.SGD, optim.Adagrad, optim.RMSprop, optim.Adam, optim.AdamW, optim.AMSGrad,
       optim.RAdam, optim.SWATS]


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_empty_or_consumed_parameters_are_refused(cls):
    with pytest.raises(ValueError, match="empty parameter list"):
        cls([], lr=0.1)
    gen = (v for v in [mg.Value(1.0)])
    list(gen)
    with pytest.raises(ValueError, match="used up"):
        cls(gen, lr=0.1)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_negative_hyperparameters_are_refused(cls):
    names = [n for n in ("lr", "eps", "momentum", "weight_decay")
             if n in inspect.signature(cls.__init__).parameters]
    assert "lr" in names and "weight_decay" in names
    for name in names:
        with pytest.raises(ValueError, match=f"{name} -0.5"):
            cls([mg.Value(1.0)], **{name: -0.5})
    with pytest.raises(ValueError, match="lr nan"):
        cls([mg.Value(1.0)], lr=float("nan"))
    with pytest.raises(TypeError, match="lr must be a number"):
        cls([mg.Value(1.0)], lr="0.1")


@pytest.mark.parametrize("cls", [optim.Adam, optim.AdamW, optim.AMSGrad, optim.RAdam,
                                 optim.SWATS], ids=lambda c: c.__name__)
@pytest.mark.parametrize("betas", [(1.0, 0.999), (0.9, 1.0), (-0.1, 0.9), (0.9, 1.5)])
def test_betas_outside_unit_interval_are_refused(cls, betas):
    with pytest.raises(ValueError, match="beta"):
        cls([mg.Value(1.0)], betas=betas)


def test_betas_must_be_a_pair():
    with pytest.raises(TypeError, match="pair"):
        optim.Adam([mg.Value(1.0)], betas=0.9)


def test_duplicated_parameter_is_refused():
    w = mg.Value(1.0, label="w")
    with pytest.raises(ValueError, match=r"parameter 2 \('w'\) is the same object as parameter 0"):
        optim.Adam([w, mg.Value(2.0), w])
    Tensor = _tensor_cls()
    W = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="same object"):
        optim.SGD([W, W], lr=0.1)


def test_non_parameters_are_refused():
    with pytest.raises(TypeError, match="parameter 1 is a float"):
        optim.SGD([mg.Value(1.0), 2.0], lr=0.1)
    with pytest.raises(TypeError, match="wrap it in a list"):
        optim.SGD(mg.Value(1.0), lr=0.1)
    with pytest.raises(ValueError, match="computed by an operation"):
        optim.SGD([mg.Value(1.0) * 2], lr=0.1)
    model = mg.nn.MLP(2, [3, 1])
    with pytest.raises(TypeError, match=r"model.parameters\(\)"):
        optim.Adam(model)
    assert len(optim.Adam(model.parameters()).params) == len(list(model.parameters()))


@pytest.mark.parametrize("kw", [{"nesterov": True},
                                {"nesterov": True, "momentum": 0.9, "dampening": 0.1}])
def test_nesterov_needs_momentum_and_no_dampening(kw):
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([mg.Value(1.0)], lr=0.1, **kw)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_nonfinite_gradient_names_the_parameter_and_changes_nothing(cls, bad):
    vs = [mg.Value(1.0), mg.Value(2.0, label="bias"), mg.Value(3.0)]
    opt = cls(vs, lr=0.1)
    for v in vs:
        v.grad = 1.0
    opt.step()
    before, state = [v.data for v in vs], opt.state_dict()
    vs[0].grad, vs[1].grad = 1.0, bad
    with pytest.raises(ValueError, match=r"parameter 1 \('bias'\) is NaN or infinite"):
        opt.step()
    assert [v.data for v in vs] == before
    after = opt.state_dict()
    assert after.get("global") == state.get("global")
    for i in state["state"]:
        for key, val in state["state"][i].items():
            assert after["state"][i][key] == val


def test_nonfinite_tensor_gradient_names_its_index_and_changes_nothing():
    Tensor = _tensor_cls()
    v = mg.Value(1.0)
    W = Tensor(np.ones((2, 2)), requires_grad=True)
    opt = optim.Adam([v, W], lr=0.1)
    v.grad = 1.0
    W.grad = np.array([[0.0, 1.0], [np.nan, 2.0]])
    with pytest.raises(ValueError, match=r"parameter 1 is NaN or infinite"):
        opt.step()
    assert v.data == 1.0 and opt.state == {}
    np.testing.assert_array_equal(W.data, np.ones((2, 2)))


def test_tensor_gradient_of_the_wrong_shape_is_refused():
    Tensor = _tensor_cls()
    W = Tensor(np.ones((2, 2)), requires_grad=True, label="W")
    W.grad = np.ones(3)
    with pytest.raises(ValueError, match=r"\(2, 2\).*\(3,\)"):
        optim.SGD([W], lr=0.1).step()


# ---- get ---------------------------------------------------------------------------
@pytest.mark.parametrize("name,cls,expect", [
    ("sgd", optim.SGD, {"lr": 0.01, "momentum": 0.0, "nesterov": False}),
    ("momentum", optim.SGD, {"lr": 0.01, "momentum": 0.9, "nesterov": False}),
    ("nesterov", optim.SGD, {"lr": 0.01, "momentum": 0.9, "nesterov": True}),
    ("adagrad", optim.Adagrad, {"lr": 0.01, "eps": 1e-10}),
    ("rmsprop", optim.RMSprop, {"lr": 0.01, "alpha": 0.99}),
    ("adam", optim.Adam, {"lr": 1e-3, "betas": (0.9, 0.999), "amsgrad": False}),
    ("adamw", optim.AdamW, {"lr": 1e-3, "weight_decay": 1e-2}),
    ("amsgrad", optim.AMSGrad, {"lr": 1e-3, "amsgrad": True}),
    ("radam", optim.RAdam, {"lr": 1e-3}),
    ("swats", optim.SWATS, {"lr": 1e-3, "eps": 1e-9}),
])
def test_get_by_name(name, cls, expect):
    opt = optim.get(name, [mg.Value(0.0)])
    assert type(opt) is cls
    for key, val in expect.items():
        assert opt.hyperparams[key] == val, key
    assert optim.get(name.upper(), [mg.Value(0.0)], lr=0.5).lr == 0.5


def test_get_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="known names: sgd, momentum, nesterov, adagrad"):
        optim.get("adamax", [mg.Value(0.0)])
    with pytest.raises(TypeError, match="'adam'"):
        optim.get("adam", [mg.Value(0.0)], momentum=0.9)


# ---- clip_grad_norm -------------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(-50, 50), min_size=6, max_size=6),
    st.lists(st.floats(-50, 50), min_size=3, max_size=3),
    st.sampled_from([2.0, 1.0, 3.0, float("inf")]),
    st.floats(0.1, 100.0),
)
def test_clip_grad_norm_matches_torch(tensor_grads, value_grads, norm_type, max_norm):
    Tensor = _tensor_cls()
    W = Tensor(np.zeros((2, 3)), requires_grad=True)
    vs = [mg.Value(0.0) for _ in value_grads]
    shared = np.array(tensor_grads).reshape(2, 3)
    W.grad = shared
    for v, g in zip(vs, value_grads):
        v.grad = g
    tw = torch.zeros(2, 3, dtype=torch.float64, requires_grad=True)
    tv = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    tw.grad = torch.tensor(shared.copy())
    tv.grad = torch.tensor(value_grads, dtype=torch.float64)
    total = optim.clip_grad_norm([W, *vs], max_norm, norm_type)
    want = torch.nn.utils.clip_grad_norm_([tw, tv], max_norm, norm_type, foreach=False)
    assert isinstance(total, float)
    assert total == pytest.approx(want.item(), rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(W.grad, tw.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose([v.grad for v in vs], tv.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(shared, np.array(tensor_grads).reshape(2, 3))


def test_clip_grad_norm_leaves_small_gradients_alone():
    Tensor = _tensor_cls()
    W = Tensor(np.zeros(2), requires_grad=True)
    g = np.array([0.3, 0.4])
    W.grad = g
    skipped = Tensor(np.zeros(2), requires_grad=True)
    assert optim.clip_grad_norm([W, skipped], max_norm=1.0) == pytest.approx(0.5)
    assert W.grad is g and skipped.grad is None
    assert optim.clip_grad_norm(W, max_norm=0.25) == pytest.approx(0.5)
    np.testing.assert_allclose(W.grad, g * 0.25 / (0.5 + 1e-6))


def test_clip_grad_norm_bad_input():
    w = mg.Value(0.0)
    with pytest.raises(ValueError, match="max_norm"):
        optim.clip_grad_norm([w], max_norm=-1.0)
    with pytest.raises(ValueError, match="norm_type"):
        optim.clip_grad_norm([w], max_norm=1.0, norm_type=0)
    with pytest.raises(TypeError, match="parameter 0 is a float"):
        optim.clip_grad_norm([1.0], max_norm=1.0)
    w.grad = float("nan")
    with pytest.raises(ValueError, match="NaN or infinite"):
        optim.clip_grad_norm([w], max_norm=1.0, error_if_nonfinite=True)


# ---- SWATS ---------------------------------------------------------------------------
def swats_by_hand(grad_fn, x0, steps, lr, b1=0.9, b2=0.999, eps=1e-9):
    """Algorithm 1 of Keskar & Socher (2017) written out in plain Python floats.

    Returns the iterates after each step, the step at which it switched, the learned
    rate Lambda and the gaps |Lambda_k - gamma_k| of the Adam phase.
    """
    x = list(x0)
    n = len(x)
    m, a, v = [0.0] * n, [0.0] * n, [0.0] * n
    lam, phase, rate, switch, gaps, path = 0.0, "adam", None, None, [], []
    for k in range(1, steps + 1):
        g = list(grad_fn(np.array(x), k))
        if phase == "sgd":
            v = [b1 * vi + gi for vi, gi in zip(v, g)]
            x = [xi - (1 - b1) * rate * vi for xi, vi in zip(x, v)]
            path.append(x)
            continue
        m = [b1 * mi + (1 - b1) * gi for mi, gi in zip(m, g)]
        a = [b2 * ai + (1 - b2) * gi * gi for ai, gi in zip(a, g)]
        p = [-lr * math.sqrt(1 - b2**k) / (1 - b1**k) * mi / (math.sqrt(ai) + eps)
             for mi, ai in zip(m, a)]
        x = [xi + pi for xi, pi in zip(x, p)]
        path.append(x)
        pg = sum(pi * gi for pi, gi in zip(p, g))
        if pg != 0:
            gamma = sum(pi * pi for pi in p) / -pg
            lam = b2 * lam + (1 - b2) * gamma
            gaps.append(abs(lam / (1 - b2**k) - gamma))
            if k > 1 and gaps[-1] < eps:
                phase, rate, switch, v = "sgd", lam / (1 - b2**k), k, [0.0] * n
    return np.array(path), switch, rate, gaps


def run_swats(grad_fn, x0, steps, lr, params=None):
    params = params or [mg.Value(float(x)) for x in x0]
    opt = optim.SWATS(params, lr=lr)
    path = []
    for k in range(1, steps + 1):
        set_grads(params, grad_fn(flat(params), k))
        opt.step()
        path.append(flat(params))
    return np.array(path), opt


def test_swats_switches_when_the_projected_rate_settles():
    # f(x) = x1 + 2 x2 + 0.5 (e^x1 + e^x2): Adam walks down the slope, the exponential part dies
    # out, the gradient settles at (1, 2), and Adam's step at -lr (1, 1). The implied SGD rate
    # gamma_k = s.s / (-s.g) settles at 2 lr / 3, and its running mean catches up with it.
    def grad(x, k):
        return np.array([1.0, 2.0]) + 0.5 * np.exp(x)

    steps, lr = 15700, 0.05
    ours, opt = run_swats(grad, [0.0, 0.0], steps, lr)
    want, switch, rate, _ = swats_by_hand(grad, [0.0, 0.0], steps, lr)
    assert switch is not None and 1000 < switch < steps - 20
    assert opt.switched and opt.switch_step == switch
    assert opt.sgd_lr == pytest.approx(rate, rel=1e-12)
    assert opt.sgd_lr == pytest.approx(2 * lr / 3, rel=1e-6)
    np.testing.assert_allclose(ours, want, rtol=1e-11, atol=1e-12)
    # after the switch each step is SGD with momentum beta1 at the learned rate:
    # v = 0.9 v + g, x = x - 0.1 * rate * v, v starting from 0 at the switch
    x, v = want[switch - 1].copy(), np.zeros(2)
    for k in range(switch + 1, steps + 1):
        v = 0.9 * v + grad(x, k)
        x = x - 0.1 * rate * v
        np.testing.assert_allclose(ours[k - 1], x, rtol=1e-11)


def test_swats_constant_gradient_switches_at_step_two_not_one():
    # A constant gradient makes every gamma_k equal (up to eps effects), so the criterion holds
    # from the start; at k = 1 it holds trivially (Lambda_1 = gamma_1), which is why the paper
    # asks for k > 1.
    def grad(x, k):
        return np.array([1.0, -4.0, 0.5])

    lr = 0.01
    path, opt = run_swats(grad, [0.0, 0.0, 0.0], 6, lr)
    assert opt.switch_step == 2
    # s_1 = -lr * sign(g) (up to eps), so gamma = 3 lr^2 / (lr * 5.5) = 3 lr / 5.5, one global rate
    assert opt.sgd_lr == pytest.approx(3 * lr / 5.5, rel=1e-6)
    want, switch, rate, _ = swats_by_hand(grad, [0.0, 0.0, 0.0], 6, lr)
    assert switch == 2 and opt.sgd_lr == pytest.approx(rate, rel=1e-12)
    np.testing.assert_allclose(path, want, rtol=1e-12)


def test_swats_never_switches_when_the_rate_keeps_running_away():
    # A linear loss whose weight halves every step: L_k(x) = 0.5**k (x1 + 2 x2). The gradient
    # shrinks like 0.5**k, but Adam's first moment remembers the early, larger gradients
    # (decaying like beta1**k) and sqrt of its second moment decays only like beta2**(k/2).
    # So gamma_k = s.s / (-s.g) ~ (beta1 / (0.5 sqrt(beta2)))**k grows about 1.8x per step,
    # and Lambda_k, a weighted mean of the earlier, smaller gammas, trails it by a growing
    # margin: |Lambda_k - gamma_k| < eps never holds.
    def grad(x, k):
        return 0.5**k * np.array([1.0, 2.0])

    steps = 300
    path, opt = run_swats(grad, [0.0, 0.0], steps, 0.01)
    want, switch, _, gaps = swats_by_hand(grad, [0.0, 0.0], steps, 0.01)
    assert switch is None and min(gaps[1:]) > 1e-3
    assert all(b > a for a, b in zip(gaps[1:], gaps[2:]))
    assert not opt.switched and opt.sgd_lr is None and opt.switch_step is None
    np.testing.assert_allclose(path, want, rtol=1e-11)


def test_swats_learned_rate_is_global_over_all_parameters():
    # One Tensor and three Values behave exactly as nine Values in one flat vector, and the
    # learned rate is one number for all of them: with a constant gradient c, Adam's first step
    # is -lr * sign(c), so gamma = 9 lr^2 / (lr * sum|c|) (a per-parameter rate would instead be
    # lr / |c_i| for each coordinate).
    Tensor = _tensor_cls()
    c = np.array([1.0, -2.0, 0.5, 3.0, -1.0, 0.25, 2.0, -0.5, 1.5])

    def grad(x, k):
        return c

    W = Tensor(np.zeros((2, 3)), requires_grad=True)
    mixed = [mg.Value(0.0), W, mg.Value(0.0), mg.Value(0.0)]
    path_m, opt_m = run_swats(grad, None, 20, 0.01, params=mixed)
    path_v, opt_v = run_swats(grad, np.zeros(9), 20, 0.01)
    assert opt_m.switch_step == opt_v.switch_step == 2
    assert opt_m.sgd_lr == pytest.approx(opt_v.sgd_lr, rel=1e-12)
    assert opt_m.sgd_lr == pytest.approx(9 * 0.01 / np.abs(c).sum(), rel=1e-6)
    np.testing.assert_allclose(path_m, path_v, rtol=1e-12, atol=1e-15)


def test_swats_state_dict_round_trip_after_the_switch():
    c = np.array([1.0, -2.0, 0.5])

    def grad(x, k):   # constant for the first two steps, so it switches at step 2
        return c if k <= 2 else c + 0.1 * x

    straight, opt = run_swats(grad, np.zeros(3), 12, 0.01)
    params = [mg.Value(0.0) for _ in c]
    first = optim.SWATS(params, lr=0.01)
    for k in range(1, 7):
        set_grads(params, grad(flat(params), k))
        first.step()
    assert first.switched
    second = optim.SWATS(params, lr=0.01)
    second.load_state_dict(first.state_dict())
    assert second.switched and second.sgd_lr == first.sgd_lr
    for k in range(7, 13):
        set_grads(params, grad(flat(params), k))
        second.step()
    np.testing.assert_array_equal(flat(params), straight[-1])
