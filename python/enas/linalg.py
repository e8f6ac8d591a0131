"""Matrix products through libenas's GEMM: numpy in, numpy out."""

import ctypes

import numpy as np

from . import _ffi
from .errors import EnasError, Status, check
from .tensor import Tensor, _as_supported_array


def _matrix_dims(array, argument, transposed):
    """(rows, cols) of op(array) for a 2-D array."""
    if array.ndim != 2:
        raise EnasError(Status.SHAPE, f"enas.gemm: {argument} should be a 2-D array, got shape {array.shape}")
    rows, cols = array.shape
    return (cols, rows) if transposed else (rows, cols)


def gemm(a, b, trans_a=False, trans_b=False, alpha=1.0, beta=0.0, c=None):
    """``alpha · op(a) · op(b) + beta · c`` as a new float32 array, computed by libenas (``enas_gemm``).

    op(x) is x, or x.T when its ``trans_`` flag is set: op(a) is (m, k), op(b) is (k, n), c (m, n) or None (zeros).
    Arrays may be float32, uint8, int32 or int64; ``c`` is not modified.
    """
    a, _ = _as_supported_array(a, "enas.gemm", "a")
    b, _ = _as_supported_array(b, "enas.gemm", "b")
    m, k = _matrix_dims(a, "a", trans_a)
    n = _matrix_dims(b, "b", trans_b)[1]
    if c is None:
        c = np.zeros((m, n), dtype=np.float32)
    with Tensor.from_numpy(a) as ta, Tensor.from_numpy(b) as tb, Tensor.from_numpy(c) as tc:
        check(_ffi.enas_gemm(bool(trans_a), bool(trans_b), m, n, k, float(alpha), ta.handle, tb.handle,
                             float(beta), tc.handle))
        return tc.numpy()


def matmul(a, b):
    """``a @ b`` for 2-D arrays (m, k) and (k, n) as a new float32 array (``enas_tensor_matmul``)."""
    with Tensor.from_numpy(a) as ta, Tensor.from_numpy(b) as tb:
        out = ctypes.c_void_p()
        check(_ffi.enas_tensor_matmul(ta.handle, tb.handle, ctypes.byref(out)))
        with Tensor(out.value) as product:
            return product.numpy()
