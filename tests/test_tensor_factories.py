"""mg.tensor, zeros/ones/full, randn/rand, arange, eye, *_like, dtypes: torch's names and values
(always float: float64 unless float32 is asked for); bad sizes and dtypes get clear errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import microgradx as mg

torch = pytest.importorskip("torch")
SETTINGS = settings(max_examples=20, deadline=None)
SIZES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
DTYPES = [(None, np.float64, torch.float64), (mg.float64, np.float64, torch.float64),
          (mg.float32, np.float32, torch.float32)]


def same(t, want, dtype):
    assert isinstance(t, mg.Tensor) and t.dtype == dtype and t.shape == tuple(want.shape)
    np.testing.assert_array_equal(t.data, want.numpy())


@SETTINGS
@given(SIZES, st.sampled_from(DTYPES), st.booleans(), st.floats(-5, 5))
def test_filled_tensors_match_torch(size, dtypes, rg, fill):
    ours, np_dt, torch_dt = dtypes
    for name in ("zeros", "ones"):
        want = getattr(torch, name)(size, dtype=torch_dt)
        for t in (getattr(mg, name)(*size, dtype=ours, requires_grad=rg), getattr(mg, name)(size, dtype=ours),
                  getattr(mg, name)(list(size), dtype=ours)):
            same(t, want, np_dt)
        assert getattr(mg, name)(*size, dtype=ours, requires_grad=rg).requires_grad is rg
        like = getattr(mg, name + "_like")(mg.full(size, fill, dtype=ours))
        same(like, want, np_dt)
    same(mg.full(size, fill, dtype=ours), torch.full(size, fill, dtype=torch_dt), np_dt)
    same(mg.full_like(np.zeros(size), fill, dtype=ours), torch.full(size, fill, dtype=torch_dt), np_dt)


def test_eye_arange_match_torch_in_float64():
    for args in [(3,), (2, 4), (4, 2), (0,)]:
        same(mg.eye(*args), torch.eye(*args, dtype=torch.float64), np.float64)
    for args in [(5,), (2, 7), (1, 2, 0.25), (3, -2, -1), (0.5, 3.0, 0.7), (0,)]:
        same(mg.arange(*args), torch.arange(*args, dtype=torch.float64), np.float64)
    assert mg.arange(4).dtype == np.float64                  # torch: int64; microgradx tensors are float
    assert mg.arange(4, dtype=mg.float32).dtype == np.float32
    assert mg.eye(2, requires_grad=True).requires_grad


def test_tensor_copies_its_data_and_takes_dtype_and_requires_grad():
    src = np.array([[1.0, 2.0]])
    t = mg.tensor(src, requires_grad=True)
    src[0, 0] = 9.0
    assert t.tolist() == [[1.0, 2.0]] and t.requires_grad and t.op == ""
    assert mg.tensor([1, 2]).dtype == np.float64 and mg.tensor(3).shape == ()
    assert mg.tensor([1, 2], dtype=mg.float32).dtype == np.float32
    u = mg.tensor(t)                                          # a new leaf, sharing nothing
    assert u is not t and not u.requires_grad and not np.shares_memory(u.data, t.data)
    assert mg.tensor(src).dtype == torch.tensor(src).numpy().dtype


def test_random_tensors_draw_from_the_package_source():
    mg.manual_seed(11)
    a, b = mg.randn(2, 3), mg.rand((4,), dtype=mg.float32)
    rng = np.random.default_rng(11)
    np.testing.assert_array_equal(a.data, rng.standard_normal((2, 3)))
    np.testing.assert_array_equal(b.data, rng.random((4,), dtype=np.float32))
    assert a.dtype == np.float64 and b.dtype == np.float32 and not a.requires_grad
    assert mg.randn(3, requires_grad=True).requires_grad
    like = mg.rand_like(mg.zeros(2, 2, dtype=mg.float32))
    assert like.shape == (2, 2) and like.dtype == np.float32 and ((like >= 0) & (like < 1)).all().item()
    assert mg.randn_like(np.zeros((0, 3))).shape == (0, 3)


def test_dtype_names_read_like_torch():
    assert mg.float32 is np.float32 and mg.float64 is np.float64
    assert mg.Tensor([1.0], dtype=mg.float32).dtype == mg.float32
    assert mg.zeros(1).dtype == mg.float64


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: mg.zeros(-1, 2), ValueError, r"ints >= 0.*zeros\(2, 3\)"),
    (lambda: mg.ones(2.5), ValueError, "ints >= 0"),
    (lambda: mg.randn(True), ValueError, "ints >= 0"),
    (lambda: mg.zeros(2, dtype=np.int64), TypeError, r"float32 or float64.*mg\.float32"),
    (lambda: mg.tensor([1.0], dtype="int32"), TypeError, "float32 or float64"),
    (lambda: mg.full((2,), "x"), TypeError, "fill_value must be a number"),
    (lambda: mg.arange(0, 3, 0), ValueError, "step must not be 0"),
    (lambda: mg.arange(0, 3, -1), ValueError, "flip the sign of step"),
    (lambda: mg.arange(float("nan")), ValueError, "finite number"),
    (lambda: mg.eye(-2), ValueError, "ints >= 0"),
])
def test_bad_sizes_and_dtypes_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()
