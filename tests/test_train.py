"""Tests for microgradx.train: fit() on Value and Tensor models, History, progress output."""

from __future__ import annotations

import io
import math
import re
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import microgradx as mg
from microgradx.optim.lr_scheduler import ReduceLROnPlateau, StepLR
from microgradx.train import History, fit

LINE = re.compile(r"^epoch (\d+)/(\d+) loss (-?\d+\.\d{4})(?: acc (\d+\.\d)%)? lr (\S+)$")


def small_data(kind: str, n: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    if kind == "binary":
        y = np.arange(n) % 2
    elif kind == "classes":
        y = np.arange(n) % 3
    else:
        y = rng.normal(size=n)
    return X, y


def value_weights(model: mg.nn.MLP) -> tuple[np.ndarray, np.ndarray]:
    """(W of shape (nin, nout), b of shape (nout,)) of a one-layer MLP."""
    neurons = model.layers[0].neurons
    W = np.array([[w.data for w in n.w] for n in neurons]).T
    return W, np.array([n.b.data for n in neurons])


def accuracy_of(scores: np.ndarray, y: np.ndarray, threshold: float = 0.0) -> float:
    if scores.ndim == 2 and scores.shape[1] > 1:
        return float(np.mean(scores.argmax(axis=1) == y))
    return float(np.mean((scores.reshape(-1) > threshold) == (y > threshold)))


# ---- it learns -------------------------------------------------------------------------------

def test_value_mlp_learns_moons_with_adam() -> None:
    X, y = mg.data.make_moons(100, noise=0.1, seed=0)
    model = mg.nn.MLP(2, [16, 16, 1], seed=0)
    hist = fit(model, X, y, loss="hinge", optimizer="adam", lr=0.02, epochs=30, batch_size=20,
               seed=0, progress=False)
    with mg.no_grad():
        scores = np.array([model(list(x)).data for x in X])
    assert accuracy_of(scores, y) >= 0.97
    assert hist.accuracy[-1] >= 0.97
    assert hist.loss[-1] < hist.loss[0] / 5
    assert hist.epochs == len(hist.loss) == len(hist.accuracy) == len(hist.lr) == 30


def test_tensor_net_learns_three_class_spiral() -> None:
    X, y = mg.data.make_spiral(100, classes=3, noise=0.2, seed=0)
    net = mg.nn.Sequential(mg.nn.Linear(2, 64, seed=0), mg.nn.ReLU(), mg.nn.Linear(64, 3, seed=1))
    hist = fit(net, X, y, loss="cross_entropy", optimizer="adam", lr=0.01, epochs=100,
               batch_size=32, seed=0, progress=False)
    with mg.no_grad():
        logits = net(mg.Tensor(X)).data
    assert accuracy_of(logits, y) >= 0.95
    assert hist.accuracy[-1] >= 0.95
    assert hist.epochs == len(hist.loss) == len(hist.accuracy) == len(hist.lr) == 100


# ---- the numbers it records equal PyTorch's ----------------------------------------------------

def torch_loss(torch, name: str, s, y: np.ndarray):
    F = torch.nn.functional
    if name == "hinge":
        return torch.relu(1 - torch.tensor(2.0 * y - 1) * s[:, 0]).mean()
    if name == "bce":
        return F.binary_cross_entropy_with_logits(s[:, 0], torch.tensor(y, dtype=torch.float64))
    if name == "mse":
        return F.mse_loss(s[:, 0], torch.tensor(y, dtype=torch.float64))
    return F.cross_entropy(s, torch.tensor(y))


CASES = [("hinge", "binary", 1), ("bce", "binary", 1), ("mse", "real", 1), ("cross_entropy", "classes", 3)]


@pytest.mark.parametrize("model_kind", ["value", "tensor"])
@pytest.mark.parametrize("name,labels,nout", CASES)
def test_loss_step_and_accuracy_match_torch(model_kind: str, name: str, labels: str, nout: int) -> None:
    torch = pytest.importorskip("torch")
    X, y = small_data(labels)
    if model_kind == "value":
        model = mg.nn.MLP(2, [nout], seed=3)
        W0, b0 = value_weights(model)
    else:
        model = mg.nn.Linear(2, nout, seed=3)
        W0, b0 = model.weight.data.T.copy(), model.bias.data.copy()   # torch's (out, in) -> (in, out)
    l2 = 1e-2
    hist = fit(model, X, y, loss=name, optimizer="sgd", lr=0.1, epochs=1, batch_size=None,
               shuffle=False, progress=False, l2=l2)

    W = torch.tensor(W0, requires_grad=True)
    b = torch.tensor(b0, requires_grad=True)
    s = torch.tensor(X) @ W + b
    loss = torch_loss(torch, name, s, y) + l2 * ((W * W).sum() + (b * b).sum())
    loss.backward()
    W1, b1 = value_weights(model) if model_kind == "value" else (model.weight.data.T, model.bias.data)

    assert hist.loss[0] == pytest.approx(loss.item(), rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(W1, (W - 0.1 * W.grad).detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b1, (b - 0.1 * b.grad).detach().numpy(), rtol=1e-10, atol=1e-12)
    if labels == "real":
        assert math.isnan(hist.accuracy[0])
    else:
        assert hist.accuracy[0] == accuracy_of(s.detach().numpy(), y)


@settings(max_examples=25, deadline=None)
@given(batch_size=st.integers(1, 13), seed=st.integers(0, 2**16))
def test_epoch_loss_is_the_sample_mean_whatever_the_batches(batch_size: int, seed: int) -> None:
    # lr = 0 keeps the weights, so every batching of one epoch sees the same model
    X, y = small_data("binary", n=13, seed=seed)
    net = mg.nn.Linear(2, 1, seed=seed)
    scores = X @ net.weight.data[0] + net.bias.data[0]
    expected = np.mean(np.maximum(0.0, 1.0 - (2.0 * y - 1.0) * scores))
    hist = fit(net, X, y, loss="hinge", optimizer=mg.optim.SGD(net.parameters(), lr=0.0), epochs=2,
               batch_size=batch_size, seed=seed, progress=False)
    assert hist.loss == pytest.approx([expected] * 2, rel=1e-12, abs=1e-12)
    assert hist.accuracy == [accuracy_of(scores, y)] * 2


def test_pm1_labels_train_like_01_labels_for_hinge_and_bce() -> None:
    X, y = small_data("binary")
    for name in ("hinge", "bce"):
        runs = []
        for labels in (y, 2 * y - 1):
            model = mg.nn.MLP(2, [4, 1], seed=0)
            runs.append(fit(model, X, labels, loss=name, optimizer="adam", lr=0.05, epochs=3,
                            batch_size=4, seed=1, progress=False))
        assert runs[0].loss == runs[1].loss
        assert runs[0].accuracy == runs[1].accuracy


@pytest.mark.parametrize("model_kind", ["value", "tensor"])
def test_callable_loss_gets_the_outputs_and_the_raw_labels(model_kind: str) -> None:
    X, y = small_data("binary")
    seen = []

    def my_mse(scores, yb):
        seen.append((type(scores), yb.copy()))
        return mg.nn.mse_loss(scores, yb)

    runs = []
    for loss in (my_mse, "mse"):
        model = mg.nn.MLP(2, [4, 1], seed=0) if model_kind == "value" else mg.nn.Linear(2, 1, seed=0)
        runs.append(fit(model, X, y, loss=loss, optimizer="adam", lr=0.05, epochs=2, batch_size=5,
                        seed=2, progress=False))
    assert runs[0].loss == runs[1].loss
    assert seen[0][0] is (list if model_kind == "value" else mg.Tensor)
    assert set(np.concatenate([yb for _, yb in seen[:3]]).tolist()) <= {0, 1}
    assert sum(len(yb) for _, yb in seen) == 2 * len(y)


def test_mse_on_01_labels_counts_a_score_above_half_as_class_1() -> None:
    X, y = small_data("binary")
    net = mg.nn.Linear(2, 1, seed=4)
    scores = X @ net.weight.data[0] + net.bias.data[0]
    hist = fit(net, X, y, loss="mse", optimizer=mg.optim.SGD(net.parameters(), lr=0.0), epochs=1,
               progress=False)
    assert hist.accuracy[0] == float(np.mean((scores > 0.5) == (y == 1)))


# ---- schedules, callbacks, History --------------------------------------------------------

def test_lr_follows_a_step_schedule_from_a_factory() -> None:
    X, y = small_data("binary")
    hist = fit(mg.nn.MLP(2, [4, 1], seed=0), X, y, optimizer="sgd", lr=0.1, epochs=8, batch_size=6,
               lr_scheduler=lambda opt: StepLR(opt, step_size=3, gamma=0.5), progress=False)
    assert hist.lr == pytest.approx([0.1 * 0.5 ** (e // 3) for e in range(8)], rel=1e-15)


def test_lr_scheduler_object_over_an_optimizer_object() -> None:
    X, y = small_data("classes")
    net = mg.nn.Linear(2, 3, seed=0)
    opt = mg.optim.Adam(net.parameters(), lr=0.01)
    sched = StepLR(opt, step_size=2, gamma=0.1)
    hist = fit(net, X, y, loss="cross_entropy", optimizer=opt, lr_scheduler=sched, epochs=5,
               progress=False)
    assert hist.lr == pytest.approx([0.01, 0.01, 0.001, 0.001, 0.0001], rel=1e-12)
    assert opt.lr == pytest.approx(0.01 * 0.1 ** 2, rel=1e-12)


def test_reduce_on_plateau_is_stepped_with_each_epoch_loss() -> None:
    metrics = []

    class Spy(ReduceLROnPlateau):
        def step(self, metric: float) -> None:
            metrics.append(metric)
            super().step(metric)

    X, y = small_data("binary")
    hist = fit(mg.nn.MLP(2, [4, 1], seed=0), X, y, optimizer="adam", lr=0.01, epochs=4,
               lr_scheduler=lambda opt: Spy(opt, patience=0), progress=False)
    assert metrics == hist.loss


def test_a_callback_returning_true_stops_training() -> None:
    X, y = small_data("binary")
    calls = []

    def watch(epoch: int, history: History) -> None:
        calls.append((epoch, history.epochs, history.loss[-1]))

    stop_at_3 = lambda epoch, history: np.int64(epoch) == 3  # a NumPy True stops too
    hist = fit(mg.nn.MLP(2, [4, 1], seed=0), X, y, epochs=50, callbacks=[stop_at_3, watch],
               progress=False)
    assert hist.epochs == 3 and hist.stopped_early
    assert calls == [(e, e, hist.loss[e - 1]) for e in (1, 2, 3)]
    full = fit(mg.nn.MLP(2, [4, 1], seed=0), X, y, epochs=4, callbacks=[watch], progress=False)
    assert full.epochs == 4 and not full.stopped_early


def test_history_repr_and_as_dict() -> None:
    h = History(loss=[0.5, 0.125], accuracy=[0.5, 0.75], lr=[0.1, 0.05])
    text = repr(h)
    assert "\n" not in text and len(text) < 100
    assert "epochs=2" in text and "0.1250" in text and "75.0%" in text and "0.05" in text
    d = h.as_dict()
    assert d == {"loss": [0.5, 0.125], "accuracy": [0.5, 0.75], "lr": [0.1, 0.05]}
    d["loss"].append(9.0)
    assert h.loss == [0.5, 0.125] and h.epochs == 2
    assert repr(History()) == "History(epochs=0)"
    assert "accuracy" not in repr(History(loss=[1.0], accuracy=[math.nan], lr=[0.1]))


# ---- progress output -----------------------------------------------------------------------

def parse_lines(text: str) -> list[re.Match]:
    lines = text.strip().splitlines()
    matches = [LINE.match(line) for line in lines]
    assert all(matches), lines
    return matches


def test_plain_progress_line_per_epoch_when_not_a_terminal(capsys: pytest.CaptureFixture) -> None:
    X, y = small_data("binary")
    hist = fit(mg.nn.MLP(2, [4, 1], seed=0), X, y, lr=0.05, epochs=3, batch_size=5, progress=True)
    out = capsys.readouterr().out
    matches = parse_lines(out)
    assert len(matches) == 3
    for e, m in enumerate(matches):
        assert (int(m[1]), int(m[2])) == (e + 1, 3)
        assert float(m[3]) == pytest.approx(hist.loss[e], abs=5e-5)
        assert float(m[4]) == pytest.approx(100 * hist.accuracy[e], abs=0.05)
        assert float(m[5]) == 0.05
    assert out.splitlines()[0].startswith("epoch 1/3 loss ")


def test_plain_progress_leaves_out_accuracy_for_regression(capsys: pytest.CaptureFixture) -> None:
    X, y = small_data("real")
    fit(mg.nn.Linear(2, 1, seed=0), X, y, loss="mse", optimizer="sgd", epochs=2, progress=True)
    matches = parse_lines(capsys.readouterr().out)
    assert len(matches) == 2 and all(m[4] is None for m in matches)


def test_progress_false_prints_nothing(capsys: pytest.CaptureFixture) -> None:
    X, y = small_data("binary")
    fit(mg.nn.MLP(2, [4, 1], seed=0), X, y, epochs=3, progress=False)
    assert capsys.readouterr() == ("", "")


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_tqdm_bar_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("tqdm")
    term = FakeTerminal()
    monkeypatch.setattr(sys, "stdout", term)
    X, y = small_data("binary")
    fit(mg.nn.MLP(2, [4, 1], seed=0), X, y, epochs=3, progress=True)
    text = term.getvalue()
    assert "3/3" in text and "loss=" in text and "acc=" in text
    assert not re.search(r"^epoch \d", text, re.M)


def test_plain_lines_on_a_terminal_without_tqdm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)
    term = FakeTerminal()
    monkeypatch.setattr(sys, "stdout", term)
    X, y = small_data("binary")
    fit(mg.nn.MLP(2, [4, 1], seed=0), X, y, epochs=2, progress=True)
    assert len(parse_lines(term.getvalue())) == 2


# ---- bad input -----------------------------------------------------------------------------

def test_length_mismatch_names_both_lengths() -> None:
    X, y = small_data("binary")
    with pytest.raises(ValueError, match=r"12 samples.*11 labels"):
        fit(mg.nn.MLP(2, [4, 1]), X, y[:11], progress=False)


def test_unknown_loss_and_optimizer_list_the_known_names() -> None:
    X, y = small_data("binary")
    with pytest.raises(ValueError, match=r"'hingee'.*hinge, mse, bce, cross_entropy"):
        fit(mg.nn.MLP(2, [4, 1]), X, y, loss="hingee", progress=False)
    with pytest.raises(ValueError, match=r"'adamm'.*sgd.*adam.*swats"):
        fit(mg.nn.MLP(2, [4, 1]), X, y, optimizer="adamm", progress=False)
    with pytest.raises(TypeError, match="loss must be a name"):
        fit(mg.nn.MLP(2, [4, 1]), X, y, loss=3, progress=False)
    with pytest.raises(TypeError, match="optimizer must be a name"):
        fit(mg.nn.MLP(2, [4, 1]), X, y, optimizer=object(), progress=False)


@pytest.mark.parametrize("epochs,error", [(0, ValueError), (-2, ValueError), (2.5, TypeError)])
def test_bad_epochs(epochs: object, error: type) -> None:
    X, y = small_data("binary")
    with pytest.raises(error, match="epochs"):
        fit(mg.nn.MLP(2, [4, 1]), X, y, epochs=epochs, progress=False)


def test_bad_batch_size_lr_and_l2() -> None:
    X, y = small_data("binary")
    with pytest.raises(ValueError, match="batch_size=0"):
        fit(mg.nn.MLP(2, [4, 1]), X, y, batch_size=0, progress=False)
    with pytest.raises(ValueError, match="lr must be a number > 0"):
        fit(mg.nn.MLP(2, [4, 1]), X, y, lr=-0.1, progress=False)
    with pytest.raises(ValueError, match="l2 must be"):
        fit(mg.nn.MLP(2, [4, 1]), X, y, l2=-1.0, progress=False)


def test_models_without_parameters() -> None:
    X, y = small_data("binary")
    with pytest.raises(ValueError, match="no parameters to train"):
        fit(mg.nn.Sequential(mg.nn.ReLU()), X, y, progress=False)
    with pytest.raises(TypeError, match="no parameters\\(\\) method"):
        fit(lambda x: x, X, y, progress=False)


def test_bad_data_shapes_and_labels() -> None:
    X, y = small_data("binary")
    with pytest.raises(ValueError, match=r"2-D.*reshape\(-1, 1\)"):
        fit(mg.nn.MLP(1, [4, 1]), X[:, 0], y, progress=False)
    with pytest.raises(ValueError, match="NaN"):
        fit(mg.nn.MLP(2, [4, 1]), np.where(X > 1, np.nan, X), y, progress=False)
    Xc, yc = small_data("classes")
    with pytest.raises(ValueError, match=r'hinge.*values \{0, 1, 2\}.*cross_entropy'):
        fit(mg.nn.MLP(2, [4, 1]), Xc, yc, loss="hinge", progress=False)
    with pytest.raises(ValueError, match="class index 2 in y.*only 2 logits"):
        fit(mg.nn.Linear(2, 2), Xc, yc, loss="cross_entropy", progress=False)
    with pytest.raises(ValueError, match="one score per sample.*gives 3"):
        fit(mg.nn.MLP(2, [3]), X, y, loss="bce", progress=False)
    with pytest.raises(ValueError, match="at least 2 outputs"):
        fit(mg.nn.MLP(2, [4, 1]), Xc, yc, loss="cross_entropy", progress=False)


def test_optimizer_and_scheduler_mismatches() -> None:
    X, y = small_data("binary")
    model, other = mg.nn.MLP(2, [4, 1]), mg.nn.MLP(2, [4, 1])
    opt = mg.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="lr= is for an optimizer given by name"):
        fit(model, X, y, optimizer=opt, lr=0.5, progress=False)
    with pytest.raises(ValueError, match="none of the model's parameters"):
        fit(other, X, y, optimizer=opt, progress=False)
    with pytest.raises(ValueError, match="another optimizer"):
        fit(model, X, y, optimizer="adam", lr_scheduler=StepLR(opt, step_size=2), progress=False)
    with pytest.raises(TypeError, match="lr_scheduler must be"):
        fit(model, X, y, lr_scheduler=0.5, progress=False)
    with pytest.raises(TypeError, match=r"callbacks\[1\]"):
        fit(model, X, y, callbacks=[lambda e, h: None, "stop"], progress=False)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_diverging_loss_is_reported_with_its_epoch() -> None:
    X, y = small_data("real")
    with pytest.raises(ValueError, match=r"loss became (inf|nan) in epoch \d+ \(lr 10\); lower the"):
        fit(mg.nn.Linear(2, 1, seed=0), X * 1e3, y, loss="mse", optimizer="sgd", lr=10.0, epochs=50,
            batch_size=None, progress=False)


def test_a_callable_loss_must_give_a_scalar_node() -> None:
    X, y = small_data("binary")
    with pytest.raises(ValueError, match=r"scalar, got a Tensor of shape \(12, 1\).*\.mean\(\)"):
        fit(mg.nn.Linear(2, 1), X, y, loss=lambda s, yb: s, batch_size=None, progress=False)
    with pytest.raises(TypeError, match="Value or a Tensor, got float"):
        fit(mg.nn.MLP(2, [4, 1]), X, y, loss=lambda s, yb: 1.0, progress=False)


def test_fit_trains_a_dropout_network_in_train_mode_with_a_loss_module() -> None:
    X, y = small_data("classes", n=30)

    def run() -> tuple[mg.nn.Sequential, History]:
        mg.manual_seed(0)
        net = mg.nn.Sequential(mg.nn.Linear(2, 32, seed=0), mg.nn.ReLU(), mg.nn.Dropout(0.3),
                               mg.nn.Linear(32, 3, seed=1))
        net.eval()
        return net, fit(net, X, y, loss=mg.nn.CrossEntropyLoss(), optimizer="adam", lr=0.05, epochs=25,
                        batch_size=10, seed=0, progress=False)

    net, hist = run()
    assert net[2].training                                    # fit switched the dropout on
    assert hist.loss[-1] < hist.loss[0] / 2
    assert run()[1].loss == hist.loss                          # mg.manual_seed fixes the masks
    net.eval()
    full = mg.nn.functional.cross_entropy(net(X), y).item()
    assert full == pytest.approx(mg.nn.functional.cross_entropy(net(X), y).item(), rel=0)
