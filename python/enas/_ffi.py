"""The raw layer: loads libenas.so and declares its functions 1:1 (enas.h's C prototype above each).

Search order (DESIGN.md §6): ``$ENAS_LIBRARY_PATH`` (the full path of the file), else ``libenas.so`` beside this
package, else the repository's ``.build/release/libenas.so`` (``python/enas/../../.build/release``). Inside enas-repl
the REPL sets ``ENAS_LIBRARY_PATH`` to the library it already loaded, so glibc hands back that same copy.
"""

import ctypes
import os
from ctypes import POINTER, c_bool, c_char_p, c_float, c_int32, c_int64, c_size_t, c_void_p

# enas.h: #define ENAS_ABI_VERSION 1 — the ABI these declarations describe.
ABI_VERSION = 1

# enas.h: ENAS_MAX_NDIM
MAX_NDIM = 8

# enas.h: ENAS_DTYPE_*
DTYPE_F32 = 0
DTYPE_U8 = 1
DTYPE_I32 = 2
DTYPE_I64 = 3

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def candidate_paths():
    """The paths the loader tries, in order: [(path, where it came from)]."""
    override = os.environ.get("ENAS_LIBRARY_PATH")
    if override:
        # An explicit path is the only candidate: silently falling back would load a different build.
        return [(override, "$ENAS_LIBRARY_PATH")]
    return [
        (os.path.join(_PACKAGE_DIR, "libenas.so"), "beside the enas package"),
        (os.path.normpath(os.path.join(_PACKAGE_DIR, "..", "..", ".build", "release", "libenas.so")),
         "the repository's .build/release"),
    ]


def _load():
    tried = []
    for path, origin in candidate_paths():
        if not os.path.isfile(path):
            tried.append(f"{path} ({origin}): no such file")
            continue
        try:
            return ctypes.CDLL(path), path
        except OSError as error:
            tried.append(f"{path} ({origin}): {error}")
    raise ImportError(
        "enas: cannot load libenas.so; tried:\n  " + "\n  ".join(tried)
        + "\nBuild it with `swift build -c release --product enas` or set ENAS_LIBRARY_PATH to the file."
    )


lib, library_path = _load()


def _declare(name, restype, *argtypes):
    function = getattr(lib, name)
    function.restype = restype
    function.argtypes = list(argtypes)
    return function


# ---- Version, messages, threads -----------------------------------------------------------------------------------

# int32_t enas_abi_version(void);
enas_abi_version = _declare("enas_abi_version", c_int32)

# const char *enas_version_string(void);
enas_version_string = _declare("enas_version_string", c_char_p)

# const char *enas_status_string(int32_t status);
enas_status_string = _declare("enas_status_string", c_char_p, c_int32)

# const char *enas_last_error(void);
enas_last_error = _declare("enas_last_error", c_char_p)

# int32_t enas_set_num_threads(int32_t n);
enas_set_num_threads = _declare("enas_set_num_threads", c_int32, c_int32)

# int32_t enas_get_num_threads(int32_t *out);
enas_get_num_threads = _declare("enas_get_num_threads", c_int32, POINTER(c_int32))

# ---- Tensors ------------------------------------------------------------------------------------------------------

# int32_t enas_tensor_create(const void *data, int32_t dtype, const int64_t *shape, int32_t ndim, enas_tensor **out);
enas_tensor_create = _declare(
    "enas_tensor_create", c_int32, c_void_p, c_int32, POINTER(c_int64), c_int32, POINTER(c_void_p))

# int32_t enas_tensor_ndim(const enas_tensor *tensor, int32_t *ndim_out);
enas_tensor_ndim = _declare("enas_tensor_ndim", c_int32, c_void_p, POINTER(c_int32))

# int32_t enas_tensor_shape(const enas_tensor *tensor, int64_t *shape, int32_t cap, int32_t *ndim_out);
enas_tensor_shape = _declare("enas_tensor_shape", c_int32, c_void_p, POINTER(c_int64), c_int32, POINTER(c_int32))

# int32_t enas_tensor_copy_out(const enas_tensor *tensor, float *buf, size_t cap_elements, size_t *needed);
enas_tensor_copy_out = _declare(
    "enas_tensor_copy_out", c_int32, c_void_p, POINTER(c_float), c_size_t, POINTER(c_size_t))

# int32_t enas_tensor_free(enas_tensor *tensor);
enas_tensor_free = _declare("enas_tensor_free", c_int32, c_void_p)

# ---- Matrix products ----------------------------------------------------------------------------------------------

# int32_t enas_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const enas_tensor *a,
#                   const enas_tensor *b, float beta, enas_tensor *c);
enas_gemm = _declare(
    "enas_gemm", c_int32, c_bool, c_bool, c_int64, c_int64, c_int64, c_float, c_void_p, c_void_p, c_float, c_void_p)

# int32_t enas_tensor_matmul(const enas_tensor *a, const enas_tensor *b, enas_tensor **out);
enas_tensor_matmul = _declare("enas_tensor_matmul", c_int32, c_void_p, c_void_p, POINTER(c_void_p))
