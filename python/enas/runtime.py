"""The library itself: versions and the kernels' thread count."""

import ctypes
import operator

from . import _ffi
from .errors import EnasError, Status, check


def abi_version():
    """The loaded library's ABI version (``enas_abi_version``); equals ``enas.ABI_VERSION`` after import."""
    return _ffi.enas_abi_version()


def version():
    """The loaded library's version string (``enas_version_string``)."""
    return _ffi.enas_version_string().decode()


def library_path():
    """The path of the libenas.so this process loaded."""
    return _ffi.library_path


def set_num_threads(n):
    """Sets how many threads libenas's kernels use (1 ≤ n ≤ 1024), for every thread of this process."""
    n = operator.index(n)
    if not -(2**31) <= n < 2**31:  # ctypes would silently truncate to int32
        raise EnasError(Status.INVALID_ARGUMENT, f"enas.set_num_threads: n = {n} does not fit in int32")
    check(_ffi.enas_set_num_threads(n))


def get_num_threads():
    """The number of threads libenas's kernels use."""
    out = ctypes.c_int32()
    check(_ffi.enas_get_num_threads(ctypes.byref(out)))
    return out.value
