"""enas.gemm / enas.matmul / Tensor round trips against numpy (float64 references, awkward sizes)."""

import itertools

import numpy as np
import pytest

import enas

SIZES = [(7, 33, 257), (257, 7, 33), (33, 257, 7), (1, 1, 1), (65, 129, 31), (5, 3, 0), (0, 4, 6), (4, 0, 6)]
SCALARS = [(1.0, 0.0), (0.75, -0.5), (-2.0, 1.0), (0.0, 0.5)]


def _operands(rng, m, n, k, trans_a, trans_b):
    a = rng.uniform(-1, 1, (k, m) if trans_a else (m, k)).astype(np.float32)
    b = rng.uniform(-1, 1, (n, k) if trans_b else (k, n)).astype(np.float32)
    c = rng.uniform(-1, 1, (m, n)).astype(np.float32)
    return a, b, c


def _check(got, a, b, c, trans_a, trans_b, alpha, beta):
    opa = (a.T if trans_a else a).astype(np.float64)
    opb = (b.T if trans_b else b).astype(np.float64)
    want = alpha * (opa @ opb) + (beta * c.astype(np.float64) if c is not None else 0.0)
    magnitude = abs(alpha) * (np.abs(opa) @ np.abs(opb)) + (abs(beta) * np.abs(c) if c is not None else 0.0)
    assert got.dtype == np.float32 and got.shape == want.shape
    assert np.all(np.abs(got - want) <= 1e-5 * magnitude + 1e-6)


@pytest.mark.parametrize("m,n,k", SIZES)
@pytest.mark.parametrize("trans_a,trans_b", list(itertools.product([False, True], repeat=2)))
@pytest.mark.parametrize("alpha,beta", SCALARS)
def test_gemm_matches_numpy(rng, m, n, k, trans_a, trans_b, alpha, beta):
    a, b, c = _operands(rng, m, n, k, trans_a, trans_b)
    c_before = c.copy()
    got = enas.gemm(a, b, trans_a=trans_a, trans_b=trans_b, alpha=alpha, beta=beta, c=c)
    _check(got, a, b, c, trans_a, trans_b, alpha, beta)
    assert np.array_equal(c, c_before), "enas.gemm must not modify c"


@pytest.mark.parametrize("trans_a,trans_b", list(itertools.product([False, True], repeat=2)))
def test_gemm_without_c(rng, trans_a, trans_b):
    a, b, _ = _operands(rng, 7, 33, 257, trans_a, trans_b)
    _check(enas.gemm(a, b, trans_a, trans_b, alpha=1.5), a, b, None, trans_a, trans_b, 1.5, 0.0)


def test_gemm_beta_zero_ignores_nan_in_c(rng):
    a, b, _ = _operands(rng, 3, 4, 5, False, False)
    c = np.full((3, 4), np.nan, dtype=np.float32)
    got = enas.gemm(a, b, beta=0.0, c=c)
    assert np.all(np.isfinite(got))


def test_gemm_converts_integer_inputs(rng):
    a = rng.integers(-5, 5, (6, 9)).astype(np.int64)
    b = rng.integers(0, 255, (9, 4)).astype(np.uint8)
    c = rng.integers(-3, 3, (6, 4)).astype(np.int32)
    got = enas.gemm(a, b, beta=1.0, c=c)
    assert np.array_equal(got, (a @ b.astype(np.int64) + c).astype(np.float32))


def test_gemm_accepts_views(rng):
    base = rng.uniform(-1, 1, (40, 60)).astype(np.float32)
    a = base[::2, 1::3]  # non-contiguous
    b = np.asfortranarray(rng.uniform(-1, 1, (20, 11)).astype(np.float32))
    _check(enas.gemm(a, b), a, b, None, False, False, 1.0, 0.0)


def test_gemm_same_result_for_any_thread_count(rng):
    a, b, _ = _operands(rng, 130, 70, 300, False, True)
    original = enas.get_num_threads()
    try:
        enas.set_num_threads(1)
        one = enas.gemm(a, b, trans_b=True)
        enas.set_num_threads(2)
        two = enas.gemm(a, b, trans_b=True)
    finally:
        enas.set_num_threads(original)
    _check(one, a, b, None, False, True, 1.0, 0.0)
    _check(two, a, b, None, False, True, 1.0, 0.0)


@pytest.mark.parametrize("m,n,k", [(7, 5, 33), (1, 300, 2), (0, 3, 4), (3, 4, 0)])
def test_matmul_matches_numpy(rng, m, n, k):
    a, b, _ = _operands(rng, m, n, k, False, False)
    _check(enas.matmul(a, b), a, b, None, False, False, 1.0, 0.0)


@pytest.mark.parametrize("dtype", [np.float32, np.uint8, np.int32, np.int64])
@pytest.mark.parametrize("shape", [(), (0,), (5,), (2, 3, 4), (1, 1, 1, 1, 1, 1, 1, 2)])
def test_tensor_round_trip(rng, dtype, shape):
    array = rng.integers(0, 200, shape).astype(dtype)
    with enas.Tensor.from_numpy(array) as tensor:
        assert tensor.shape == shape and tensor.ndim == len(shape)
        back = tensor.numpy()
    assert back.dtype == np.float32 and back.shape == shape
    assert np.array_equal(back, array.astype(np.float32))


def test_tensor_from_big_endian_and_views(rng):
    array = rng.uniform(-1, 1, (4, 6)).astype(">f4")
    with enas.Tensor.from_numpy(array) as tensor:
        assert np.array_equal(tensor.numpy(), array.astype(np.float32))
    view = np.arange(24, dtype=np.int32).reshape(4, 6).T
    with enas.Tensor.from_numpy(view) as tensor:
        assert np.array_equal(np.asarray(tensor), view.astype(np.float32))


def test_tensor_close_is_idempotent():
    tensor = enas.Tensor.from_numpy(np.ones(3, np.float32))
    assert "shape=(3,)" in repr(tensor)
    tensor.close()
    tensor.close()
    assert tensor.closed and repr(tensor) == "enas.Tensor(closed)"
