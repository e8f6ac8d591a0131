"""Every bad input raises (EnasError with its status and a message naming the function and value, or TypeError for
arrays enas does not take) and the interpreter survives: in this process, and in a fresh one that runs every case
and must exit 0."""

import ctypes
import os

import numpy as np
import pytest

import enas
from enas import _ffi
from enas.errors import EnasError, Status, check
from conftest import run_python

INVALID_ARGUMENT, INVALID_HANDLE, SHAPE = Status.INVALID_ARGUMENT, Status.INVALID_HANDLE, Status.SHAPE


def _create(data, dtype, shape, ndim=None, out=True):
    """Raw enas_tensor_create; returns the handle value."""
    dims = None if shape is None else (ctypes.c_int64 * max(1, len(shape)))(*shape)
    handle = ctypes.c_void_p()
    check(_ffi.enas_tensor_create(data, dtype, dims, len(shape) if ndim is None else ndim,
                                  ctypes.byref(handle) if out else None))
    return handle.value


def _floats(count):
    return np.arange(count, dtype=np.float32)


def _stale_handle():
    """A handle value whose tensor was freed."""
    tensor = enas.Tensor.from_numpy(_floats(4))
    value = tensor.handle
    tensor.close()
    return value


def _ndim(handle):
    ndim = ctypes.c_int32()
    check(_ffi.enas_tensor_ndim(handle, ctypes.byref(ndim)))


def _double_free():
    value = _ffi_create_and_free()
    check(_ffi.enas_tensor_free(value))


def _ffi_create_and_free():
    data = _floats(4)
    value = _create(data.ctypes.data, _ffi.DTYPE_F32, [4])
    check(_ffi.enas_tensor_free(value))
    return value


def _copy_out_too_small():
    with enas.Tensor.from_numpy(_floats(6).reshape(2, 3)) as tensor:
        buffer = (ctypes.c_float * 2)()
        needed = ctypes.c_size_t()
        try:
            check(_ffi.enas_tensor_copy_out(tensor.handle, buffer, 2, ctypes.byref(needed)))
        finally:
            assert needed.value == 6  # the two-call pattern reports the size even on failure


def _shape_cap_too_small():
    with enas.Tensor.from_numpy(_floats(6).reshape(2, 3)) as tensor:
        dims, ndim = (ctypes.c_int64 * 1)(), ctypes.c_int32()
        check(_ffi.enas_tensor_shape(tensor.handle, dims, 1, ctypes.byref(ndim)))


def _raw_gemm(m, n, k, a_shape, b_shape, c_shape):
    tensors = [enas.Tensor.from_numpy(np.ones(s, np.float32)) for s in (a_shape, b_shape, c_shape)]
    try:
        check(_ffi.enas_gemm(False, False, m, n, k, 1.0, *(t.handle for t in tensors[:2]), 0.0, tensors[2].handle))
    finally:
        for t in tensors:
            t.close()


def _closed_tensor_use():
    tensor = enas.Tensor.from_numpy(_floats(3))
    tensor.close()
    tensor.numpy()


def _get_threads_null():
    check(_ffi.enas_get_num_threads(None))


ones = np.ones((3, 4), np.float32)
data = _floats(16)

# (id, call, exception type, status or None, fragment the message must contain)
CASES = [
    ("float64 array", lambda: enas.Tensor.from_numpy(np.zeros(3)), TypeError, None, "dtype float64"),
    ("complex array", lambda: enas.Tensor.from_numpy(np.zeros(3, np.complex64)), TypeError, None, "complex64"),
    ("not an array", lambda: enas.Tensor.from_numpy([1.0, 2.0]), TypeError, None, "must be a numpy.ndarray"),
    ("ndim 9", lambda: enas.Tensor.from_numpy(np.zeros((1,) * 9, np.float32)), EnasError, INVALID_ARGUMENT,
     "enas_tensor_create: ndim = 9 is outside 0...8"),
    ("negative ndim", lambda: _create(data.ctypes.data, 0, [2], ndim=-1), EnasError, INVALID_ARGUMENT,
     "enas_tensor_create: ndim = -1"),
    ("unknown dtype", lambda: _create(data.ctypes.data, 9, [4]), EnasError, INVALID_ARGUMENT,
     "enas_tensor_create: dtype = 9 is not an ENAS_DTYPE_* code"),
    ("NULL out", lambda: _create(data.ctypes.data, 0, [4], out=False), EnasError, INVALID_ARGUMENT,
     "enas_tensor_create: out is NULL"),
    ("NULL data", lambda: _create(None, 0, [3]), EnasError, INVALID_ARGUMENT, "enas_tensor_create: data is NULL"),
    ("NULL shape", lambda: _create(data.ctypes.data, 0, None, ndim=2), EnasError, INVALID_ARGUMENT,
     "enas_tensor_create: shape is NULL with ndim = 2"),
    ("negative dimension", lambda: _create(data.ctypes.data, 0, [4, -3]), EnasError, SHAPE,
     "enas_tensor_create: shape[1] = -3 is negative"),
    ("overflowing shape", lambda: _create(data.ctypes.data, 0, [2**40, 2**40, 2]), EnasError, SHAPE,
     "more elements than a 64-bit size can count"),
    ("more than memory", lambda: _create(data.ctypes.data, 0, [2**40]), EnasError, SHAPE,
     "needs 4398046511104 bytes"),
    ("NULL handle", lambda: _ndim(None), EnasError, INVALID_HANDLE, "enas_tensor_ndim: tensor is NULL"),
    ("garbage handle", lambda: _ndim(0xDEADBEEF), EnasError, INVALID_HANDLE,
     "enas_tensor_ndim: tensor = 0xdeadbeef is not a live handle"),
    ("stale handle", lambda: _ndim(_stale_handle()), EnasError, INVALID_HANDLE, "is not a live handle"),
    ("double free", _double_free, EnasError, INVALID_HANDLE, "enas_tensor_free: tensor = 0x"),
    ("garbage free", lambda: check(_ffi.enas_tensor_free(0xDEADBEEF)), EnasError, INVALID_HANDLE,
     "enas_tensor_free: tensor = 0xdeadbeef"),
    ("closed tensor", _closed_tensor_use, EnasError, INVALID_HANDLE, "enas.Tensor: the tensor is closed"),
    ("copy-out buffer too small", _copy_out_too_small, EnasError, INVALID_ARGUMENT,
     "enas_tensor_copy_out: cap_elements = 2 is smaller than the tensor's 6 elements"),
    ("shape buffer too small", _shape_cap_too_small, EnasError, INVALID_ARGUMENT,
     "enas_tensor_shape: cap = 1 is smaller than the tensor's ndim 2"),
    ("gemm inner mismatch", lambda: enas.gemm(ones, ones), EnasError, SHAPE,
     "enas_gemm: b (k, n) should be (4, 4), got a tensor of shape (3, 4)"),
    ("gemm wrong c", lambda: enas.gemm(ones, ones, trans_b=True, c=ones), EnasError, SHAPE,
     "enas_gemm: c (m, n) should be (3, 3)"),
    ("gemm 3-D operand", lambda: enas.gemm(np.ones((2, 3, 4), np.float32), ones), EnasError, SHAPE,
     "enas.gemm: a should be a 2-D array"),
    ("gemm float64", lambda: enas.gemm(np.ones((3, 4)), ones.T), TypeError, None, "dtype float64"),
    ("gemm negative m", lambda: _raw_gemm(-1, 4, 4, (4, 4), (4, 4), (4, 4)), EnasError, INVALID_ARGUMENT,
     "enas_gemm: m = -1 is negative"),
    ("gemm stale operand", lambda: check(_ffi.enas_gemm(False, False, 1, 1, 1, 1.0, _stale_handle(),
                                                        _stale_handle(), 0.0, None)),
     EnasError, INVALID_HANDLE, "enas_gemm: a = 0x"),
    ("matmul mismatch", lambda: enas.matmul(ones, ones), EnasError, SHAPE, "enas_tensor_matmul: a (3, 4) and b"),
    ("zero threads", lambda: enas.set_num_threads(0), EnasError, INVALID_ARGUMENT,
     "enas_set_num_threads: n = 0 is outside 1...1024"),
    ("too many threads", lambda: enas.set_num_threads(2**40), EnasError, INVALID_ARGUMENT, "does not fit in int32"),
    ("NULL thread out", _get_threads_null, EnasError, INVALID_ARGUMENT, "enas_get_num_threads: out is NULL"),
]


def run_case(call, exception, status, fragment):
    with pytest.raises(exception) as caught:
        call()
    if status is not None:
        assert caught.value.code == status
        assert isinstance(caught.value.code, Status)
    assert fragment in str(caught.value)


@pytest.mark.parametrize("name,call,exception,status,fragment", CASES, ids=[c[0] for c in CASES])
def test_bad_input_raises(name, call, exception, status, fragment):
    run_case(call, exception, status, fragment)


def test_library_still_works_after_errors():
    for _, call, exception, _, _ in CASES:
        with pytest.raises(exception):
            call()
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    assert np.array_equal(enas.gemm(a, a, trans_b=True), a @ a.T)


def _all_cases():
    """This file's cases and those of the search, model and architecture APIs."""
    from test_model import MODEL_CASES
    from test_search import SEARCH_CASES

    return CASES + SEARCH_CASES + MODEL_CASES


def test_interpreter_survives_every_case():
    code = (
        "import test_errors as t\n"
        "cases = t._all_cases()\n"
        "for case in cases:\n"
        "    t.run_case(*case[1:])\n"
        "print('survived', len(cases))\n"
    )
    tests_dir = os.path.dirname(os.path.abspath(__file__))
    result = run_python(code, PYTHONPATH=os.pathsep.join([tests_dir, os.path.dirname(tests_dir)]))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"survived {len(_all_cases())}"


def test_error_text_and_code():
    error = EnasError(3, "enas_gemm: bad")
    assert error.code is Status.SHAPE and error.message == "enas_gemm: bad"
    assert str(error) == "[SHAPE] enas_gemm: bad"
    assert EnasError(99, "x").code == 99
