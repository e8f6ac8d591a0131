"""enas: Efficient Neural Architecture Search — Python bindings to libenas.so (numpy in, numpy out).

All computation runs in the Swift core behind libenas.so; this package converts arrays, owns handles and raises
``enas.EnasError`` for every failing call.
"""

import os

# numpy bundles OpenBLAS, whose idle worker threads spin and steal the cores our kernels run on. The thread count is
# read when numpy loads, so set it first; an explicit setting by the user wins (DESIGN.md §9).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from . import _ffi  # noqa: E402  (after the environment is set)

if _ffi.enas_abi_version() != _ffi.ABI_VERSION:
    raise ImportError(
        f"enas: {_ffi.library_path} has ABI version {_ffi.enas_abi_version()}, but this package expects "
        f"{_ffi.ABI_VERSION}; rebuild the library or reinstall the package from the same checkout"
    )

from .errors import EnasError, Status  # noqa: E402
from .linalg import gemm, matmul  # noqa: E402
from .runtime import abi_version, get_num_threads, library_path, set_num_threads, version  # noqa: E402
from .tensor import Tensor  # noqa: E402

ABI_VERSION = _ffi.ABI_VERSION
__version__ = "0.1.0"

__all__ = [
    "ABI_VERSION",
    "EnasError",
    "Status",
    "Tensor",
    "abi_version",
    "gemm",
    "get_num_threads",
    "library_path",
    "matmul",
    "set_num_threads",
    "version",
]
