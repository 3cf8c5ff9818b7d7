import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microgradx.data import (
    DataLoader,
    make_blobs,
    make_circles,
    make_moons,
    make_spiral,
    make_xor,
    to_pm1,
)

GENERATORS = {
    "moons": lambda seed: make_moons(60, noise=0.1, seed=seed),
    "circles": lambda seed: make_circles(60, noise=0.05, seed=seed),
    "spiral": lambda seed: make_spiral(20, classes=3, noise=0.2, seed=seed),
    "blobs": lambda seed: make_blobs(60, centers=3, std=1.0, seed=seed),
    "xor": lambda seed: make_xor(60, noise=0.1, seed=seed),
}


# --- generators: shapes, dtypes, seeds ---------------------------------------------------


@pytest.mark.parametrize("name", GENERATORS)
def test_shapes_and_dtypes(name):
    X, y = GENERATORS[name](0)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert X.ndim == 2 and X.shape[1] == 2 and y.shape == (X.shape[0],)
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("name", GENERATORS)
def test_same_seed_same_data_other_seed_other_data(name):
    X1, y1 = GENERATORS[name](7)
    X2, y2 = GENERATORS[name](7)
    X3, _ = GENERATORS[name](8)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


def test_seed_accepts_a_generator():
    X1, _ = make_moons(20, seed=np.random.default_rng(3))
    X2, _ = make_moons(20, seed=3)
    np.testing.assert_array_equal(X1, X2)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 300))
def test_two_class_label_balance(n):
    for make in (make_moons, make_circles):
        _, y = make(n, seed=0)
        assert np.bincount(y, minlength=2).tolist() == [n // 2, n - n // 2]
    if n >= 4:
        _, y = make_xor(n, seed=0)
        counts = np.bincount(y, minlength=2)
        assert counts.sum() == n and abs(int(counts[0]) - int(counts[1])) <= 1


def test_shuffle_false_keeps_classes_in_order_and_shuffle_mixes_them():
    _, y = make_moons(40, noise=0.0, shuffle=False)
    assert y.tolist() == [0] * 20 + [1] * 20
    _, y = make_moons(40, noise=0.0, seed=0)
    assert y.tolist() != sorted(y.tolist())


# --- generators: geometry ---------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 3, 10, 101])
def test_moons_without_noise_lie_on_their_half_circles(n):
    X, y = make_moons(n, noise=0.0, seed=1)
    outer, inner = X[y == 0], X[y == 1]
    np.testing.assert_allclose(outer[:, 0] ** 2 + outer[:, 1] ** 2, 1.0, atol=1e-12)
    assert np.all(outer[:, 1] >= -1e-12)
    np.testing.assert_allclose((inner[:, 0] - 1) ** 2 + (inner[:, 1] - 0.5) ** 2, 1.0, atol=1e-12)
    assert np.all(inner[:, 1] <= 0.5 + 1e-12)


def test_moons_without_noise_are_scikit_learns_points():
    n = 11
    t_out, t_in = np.linspace(0, math.pi, n // 2), np.linspace(0, math.pi, n - n // 2)
    expected_outer = np.c_[np.cos(t_out), np.sin(t_out)]
    expected_inner = np.c_[1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5]
    X, y = make_moons(n, noise=0.0, seed=0)
    np.testing.assert_allclose(np.sort(X[y == 0], axis=0), np.sort(expected_outer, axis=0))
    np.testing.assert_allclose(np.sort(X[y == 1], axis=0), np.sort(expected_inner, axis=0))


def test_moons_match_scikit_learn_when_installed():
    datasets = pytest.importorskip("sklearn.datasets")
    Xs, ys = datasets.make_moons(25, noise=None, shuffle=False)
    X, y = make_moons(25, noise=0.0, shuffle=False)
    np.testing.assert_allclose(X, Xs, atol=1e-15)
    np.testing.assert_array_equal(y, ys)


def test_moons_noise_has_the_asked_spread():
    X0, y0 = make_moons(4000, noise=0.0, seed=5)
    X, y = make_moons(4000, noise=0.3, seed=5)
    np.testing.assert_array_equal(y, y0)
    assert abs(np.std(X - X0) - 0.3) < 0.02


@pytest.mark.parametrize("factor", [0.0, 0.3, 0.8])
def test_circles_without_noise_have_radius_one_and_factor(factor):
    X, y = make_circles(41, noise=0.0, factor=factor, seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0, atol=1e-12)
    np.testing.assert_allclose(r[y == 1], factor, atol=1e-12)


def test_spiral_radii_are_the_linspace_in_unit_interval():
    X, y = make_spiral(50, classes=4, noise=0.5, seed=0)
    assert np.bincount(y).tolist() == [50] * 4
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.all((r >= 0) & (r <= 1 + 1e-12))
    for j in range(4):
        np.testing.assert_allclose(np.sort(r[y == j]), np.linspace(0, 1, 50), atol=1e-12)


def test_spiral_without_noise_has_the_cs231n_angles():
    n, k = 30, 3
    X, y = make_spiral(n, classes=k, noise=0.0, seed=0, shuffle=False)
    for j in range(k):
        t = np.linspace(j * 4, (j + 1) * 4, n)
        r = np.linspace(0, 1, n)
        np.testing.assert_allclose(X[y == j], np.c_[r * np.sin(t), r * np.cos(t)], atol=1e-12)


def test_xor_labels_follow_the_sign_rule_without_noise():
    X, y = make_xor(103, noise=0.0, seed=0)
    assert set(map(tuple, X.tolist())) == {(1.0, 1.0), (1.0, -1.0), (-1.0, -1.0), (-1.0, 1.0)}
    np.testing.assert_array_equal(y, (np.sign(X[:, 0]) != np.sign(X[:, 1])).astype(int))


def test_xor_noisy_labels_stay_with_their_cluster():
    X, y = make_xor(400, noise=0.1, seed=2)
    corner = np.sign(X)  # noise 0.1 never crosses an axis 10 std away
    np.testing.assert_array_equal(y, (corner[:, 0] != corner[:, 1]).astype(int))


def test_blobs_lie_near_their_given_centers():
    centers = np.array([[0.0, 0.0, 0.0], [5.0, -5.0, 2.0], [-4.0, 4.0, 9.0]])
    X, y = make_blobs(3000, centers=centers, std=0.5, seed=0)
    assert X.shape == (3000, 3)
    for j, c in enumerate(centers):
        pts = X[y == j]
        assert len(pts) == 1000
        np.testing.assert_allclose(pts.mean(axis=0), c, atol=0.1)
        assert abs((pts - c).std() - 0.5) < 0.05


def test_blobs_random_centers_split_evenly_in_the_asked_dimension():
    X, y = make_blobs(10, centers=4, std=0.0, seed=0, dim=5)
    assert X.shape == (10, 5)
    assert np.bincount(y).tolist() == [3, 3, 2, 2]
    for j in range(4):
        pts = X[y == j]
        assert np.all(pts == pts[0]) and np.all(np.abs(pts[0]) <= 10)


# --- to_pm1 ---------------------------------------------------------------------------------


def test_to_pm1_maps_zero_one_to_minus_plus_one():
    _, y = make_moons(20, seed=0)
    out = to_pm1(y)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, np.where(y == 1, 1.0, -1.0))
    assert to_pm1([True, False]).tolist() == [1.0, -1.0]


def test_to_pm1_rejects_other_labels():
    with pytest.raises(ValueError, match="0 and 1 only, got 2"):
        to_pm1([0, 1, 2])


# --- generators: bad input -----------------------------------------------------------------


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: make_moons(1), "n must be >= 2.*n=1"),
        (lambda: make_moons(10, noise=-0.1), "noise.*noise=-0.1"),
        (lambda: make_moons(10, noise=float("nan")), "noise.*nan"),
        (lambda: make_circles(1), "n must be >= 2"),
        (lambda: make_circles(10, factor=1.0), "factor=1.0"),
        (lambda: make_circles(10, factor=-0.5), "factor=-0.5"),
        (lambda: make_circles(10, noise=-1), "noise=-1"),
        (lambda: make_spiral(0), "n_per_class=0"),
        (lambda: make_spiral(10, classes=1), "classes=1"),
        (lambda: make_spiral(10, noise=-2.0), "noise=-2.0"),
        (lambda: make_blobs(2, centers=3), "n must be >= 3.*n=2"),
        (lambda: make_blobs(10, centers=0), "centers=0"),
        (lambda: make_blobs(10, std=-1.0), "std=-1.0"),
        (lambda: make_blobs(10, centers=2, dim=0), "dim=0"),
        (lambda: make_blobs(10, centers=[1.0, 2.0]), r"shape \(2,\)"),
        (lambda: make_blobs(10, centers=[[0.0, 0.0]], dim=3), "dim=3.*pass dim=2"),
        (lambda: make_blobs(10, centers=[[0.0, np.inf]]), "finite"),
        (lambda: make_xor(3), "n must be >= 4.*n=3"),
        (lambda: make_xor(10, noise=-0.5), "noise=-0.5"),
    ],
)
def test_generators_reject_bad_values(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: make_moons(10.0), "n must be an int"),
        (lambda: make_moons(True), "n must be an int"),
        (lambda: make_moons(10, noise="0.1"), "noise must be a number"),
        (lambda: make_circles(10, factor="half"), "factor must be a number"),
        (lambda: make_spiral(10, classes=2.5), "classes must be an int"),
    ],
)
def test_generators_reject_bad_types(call, match):
    with pytest.raises(TypeError, match=match):
        call()


def test_numpy_integers_are_accepted():
    X, _ = make_moons(np.int64(10), seed=0)
    assert X.shape == (10, 2)


# --- DataLoader -----------------------------------------------------------------------------


def _epoch(loader):
    batches = list(loader)
    xs = np.concatenate([xb for xb, _ in batches]) if batches else np.empty(0)
    ys = np.concatenate([yb for _, yb in batches]) if batches else np.empty(0)
    return batches, xs, ys


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(1, 120),
    batch_size=st.integers(1, 50),
    shuffle=st.booleans(),
    drop_last=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_dataloader_covers_every_sample_once_per_epoch(n, batch_size, shuffle, drop_last, seed):
    X = np.arange(n, dtype=np.float64).reshape(n, 1) * np.array([[1.0, -1.0]])
    y = np.arange(n) * 10
    if drop_last and batch_size > n:
        with pytest.raises(ValueError, match="no batch"):
            DataLoader(X, y, batch_size, shuffle, drop_last, seed)
        return
    loader = DataLoader(X, y, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last,
                        seed=seed)
    for _ in range(2):
        batches, xs, ys = _epoch(loader)
        assert len(batches) == len(loader)
        sizes = [len(xb) for xb, _ in batches]
        assert all(len(yb) == len(xb) for xb, yb in batches)
        assert all(s == batch_size for s in sizes[:-1]) and 1 <= sizes[-1] <= batch_size
        np.testing.assert_array_equal(ys, xs[:, 0] * 10)  # pairs stay together
        idx = xs[:, 0].astype(int)
        assert len(set(idx.tolist())) == len(idx)  # nothing twice
        if drop_last:
            assert len(idx) == n - n % batch_size
            assert len(loader) == n // batch_size
        else:
            assert sorted(idx.tolist()) == list(range(n))
            assert len(loader) == math.ceil(n / batch_size)
        if not shuffle:
            assert idx.tolist() == list(range(len(idx)))


def test_dataloader_is_reproducible_with_seed_and_differs_across_epochs():
    X = np.arange(50.0)[:, None]
    a = DataLoader(X, batch_size=8, shuffle=True, seed=4)
    b = DataLoader(X, batch_size=8, shuffle=True, seed=4)
    epochs_a = [np.concatenate(list(a)).ravel() for _ in range(3)]
    epochs_b = [np.concatenate(list(b)).ravel() for _ in range(3)]
    for ea, eb in zip(epochs_a, epochs_b, strict=True):
        np.testing.assert_array_equal(ea, eb)
    assert not np.array_equal(epochs_a[0], epochs_a[1])
    assert not np.array_equal(epochs_a[1], epochs_a[2])
    c = DataLoader(X, batch_size=8, shuffle=True, seed=5)
    assert not np.array_equal(np.concatenate(list(c)).ravel(), epochs_a[0])


def test_dataloader_order_is_drawn_at_iter_time():
    X = np.arange(30.0)
    a = DataLoader(X, batch_size=30, shuffle=True, seed=0)
    b = DataLoader(X, batch_size=30, shuffle=True, seed=0)
    first, second = iter(a), iter(a)
    late_second, late_first = next(second), next(first)  # consumed in the other order
    np.testing.assert_array_equal(late_first, next(iter(b)))
    np.testing.assert_array_equal(late_second, next(iter(b)))
    assert not np.array_equal(late_first, late_second)


def test_dataloader_without_y_yields_arrays():
    X = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    batches = list(DataLoader(X, batch_size=2))
    assert all(isinstance(b, np.ndarray) for b in batches)
    np.testing.assert_array_equal(np.concatenate(batches), np.asarray(X))


def test_dataloader_accepts_lists_and_returns_copies():
    X, y = [[0.0], [1.0], [2.0]], [0, 1, 0]
    loader = DataLoader(X, y, batch_size=3)
    (xb, yb), = list(loader)
    assert isinstance(xb, np.ndarray) and isinstance(yb, np.ndarray)
    np.testing.assert_array_equal(yb, y)
    xb[:] = 99.0
    assert loader.X.tolist() == X


def test_dataloader_works_on_generated_data():
    X, y = make_moons(100, seed=0)
    loader = DataLoader(X, y, batch_size=32, shuffle=True, seed=0)
    assert len(loader) == 4 and "batches=4" in repr(loader)
    _, xs, ys = _epoch(loader)
    assert sorted(map(tuple, xs.tolist())) == sorted(map(tuple, X.tolist()))
    assert np.bincount(ys).tolist() == np.bincount(y).tolist()


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(X=np.zeros((5, 2)), y=np.zeros(4)), ValueError, "X has 5 samples, y has 4"),
        (dict(X=np.zeros((5, 2)), y=3), ValueError, "y has a scalar"),
        (dict(X=np.zeros((0, 2))), ValueError, "X is empty"),
        (dict(X=[]), ValueError, "X is empty"),
        (dict(X=1.5), ValueError, "scalar"),
        (dict(X=np.zeros(5), batch_size=0), ValueError, "batch_size must be >= 1"),
        (dict(X=np.zeros(5), batch_size=-3), ValueError, "batch_size=-3"),
        (dict(X=np.zeros(5), batch_size=2.0), TypeError, "batch_size must be an int"),
        (dict(X=np.zeros(5), batch_size=None), TypeError, "batch_size must be an int"),
        (dict(X=np.zeros(5), batch_size=8, drop_last=True), ValueError, "no batch"),
    ],
)
def test_dataloader_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        DataLoader(**kwargs)
