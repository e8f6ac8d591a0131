"""The friendly layer for tensors: numpy in, numpy out."""

import ctypes

import numpy as np

from . import _ffi
from ._handle import Handle
from .errors import check

# numpy dtype → enas.h ENAS_DTYPE_* code (the library stores every tensor as float32).
_DTYPE_CODES = {
    np.dtype(np.float32): _ffi.DTYPE_F32,
    np.dtype(np.uint8): _ffi.DTYPE_U8,
    np.dtype(np.int32): _ffi.DTYPE_I32,
    np.dtype(np.int64): _ffi.DTYPE_I64,
}


def _as_supported_array(array, function, argument):
    """``array`` as a C-contiguous, native-byte-order ndarray of a supported dtype, and its ENAS_DTYPE_* code."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{function}: {argument} must be a numpy.ndarray, got {type(array).__name__}")
    native = array.dtype.newbyteorder("=")
    code = _DTYPE_CODES.get(native)
    if code is None:
        raise TypeError(
            f"{function}: {argument} has dtype {array.dtype}, which enas does not take; use float32, uint8, int32 "
            f"or int64 (e.g. {argument}.astype(numpy.float32))"
        )
    # np.asarray keeps 0-d arrays 0-d (np.ascontiguousarray would make them 1-d).
    return np.asarray(array, dtype=native, order="C"), code


class Tensor(Handle):
    """A float32 array owned by libenas (an ``enas_tensor *``). Create one with ``Tensor.from_numpy``; read it back
    with ``numpy()``. Close it with ``close()`` or a ``with`` block (it is also freed when garbage-collected)."""

    _free = _ffi.enas_tensor_free
    _kind = "tensor"

    @classmethod
    def from_numpy(cls, array):
        """A tensor holding a copy of ``array`` (float32, uint8, int32 or int64; converted to float32)."""
        array, code = _as_supported_array(array, "enas.Tensor.from_numpy", "array")
        shape = (ctypes.c_int64 * max(1, array.ndim))(*array.shape)
        out = ctypes.c_void_p()
        check(_ffi.enas_tensor_create(array.ctypes.data, code, shape, array.ndim, ctypes.byref(out)))
        return cls(out.value)

    @property
    def ndim(self):
        ndim = ctypes.c_int32()
        check(_ffi.enas_tensor_ndim(self.handle, ctypes.byref(ndim)))
        return ndim.value

    @property
    def shape(self):
        """The dimensions, outermost first (a tuple, as numpy's)."""
        ndim = ctypes.c_int32()
        check(_ffi.enas_tensor_shape(self.handle, None, 0, ctypes.byref(ndim)))
        dims = (ctypes.c_int64 * max(1, ndim.value))()
        check(_ffi.enas_tensor_shape(self.handle, dims, ndim.value, ctypes.byref(ndim)))
        return tuple(dims[: ndim.value])

    def numpy(self):
        """A new float32 ndarray with the tensor's elements."""
        shape = self.shape
        result = np.empty(shape, dtype=np.float32)
        needed = ctypes.c_size_t()
        buffer = result.ctypes.data_as(ctypes.POINTER(ctypes.c_float)) if result.size else None
        check(_ffi.enas_tensor_copy_out(self.handle, buffer, result.size, ctypes.byref(needed)))
        return result

    def __array__(self, dtype=None, copy=None):
        array = self.numpy()
        return array if dtype is None else array.astype(dtype)

    def __repr__(self):
        if self.closed:
            return "enas.Tensor(closed)"
        return f"enas.Tensor(shape={self.shape})"
