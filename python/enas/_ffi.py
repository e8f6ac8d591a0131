"""The raw layer: loads libenas.so and declares its functions 1:1 (enas.h's C prototype above each).

Search order (DESIGN.md §6): ``$ENAS_LIBRARY_PATH`` (the full path of the file), else ``libenas.so`` beside this
package, else the repository's ``.build/release/libenas.so`` (``python/enas/../../.build/release``). Inside enas-repl
the REPL sets ``ENAS_LIBRARY_PATH`` to the library it already loaded, so glibc hands back that same copy.
"""

import ctypes
import os
from ctypes import POINTER, c_bool, c_char, c_char_p, c_double, c_float, c_int32, c_int64, c_size_t, c_void_p

# enas.h: #define ENAS_ABI_VERSION 2 — the ABI these declarations describe.
ABI_VERSION = 3

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
    try:
        function = getattr(lib, name)
    except AttributeError:
        # A library from another build (older or newer): say so rather than fail on one symbol.
        try:
            found = f"ABI version {lib.enas_abi_version()}"
        except AttributeError:
            found = "no enas_abi_version"
        raise ImportError(f"enas: {library_path} lacks {name} ({found}; this package expects ABI version "
                          f"{ABI_VERSION}): rebuild the library or reinstall the package from the same checkout") from None
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

# ---- Events -------------------------------------------------------------------------------------------------------

# typedef int32_t (*enas_event_fn)(const char *event_json, void *user);
EVENT_FN = ctypes.CFUNCTYPE(c_int32, c_char_p, c_void_p)

_TEXT_OUT = (POINTER(c_char), c_size_t, POINTER(c_size_t))  # char *buf, size_t cap, size_t *needed
_HANDLE_OUT = POINTER(c_void_p)

# ---- Architectures ------------------------------------------------------------------------------------------------

# int32_t enas_arch_parse(const char *text, const char *space, enas_arch **out);
enas_arch_parse = _declare("enas_arch_parse", c_int32, c_char_p, c_char_p, _HANDLE_OUT)

# int32_t enas_arch_from_json(const char *json, enas_arch **out);
enas_arch_from_json = _declare("enas_arch_from_json", c_int32, c_char_p, _HANDLE_OUT)

# int32_t enas_arch_to_string(const enas_arch *arch, const char *space, char *buf, size_t cap, size_t *needed);
enas_arch_to_string = _declare("enas_arch_to_string", c_int32, c_void_p, c_char_p, *_TEXT_OUT)

# int32_t enas_arch_to_json(const enas_arch *arch, char *buf, size_t cap, size_t *needed);
enas_arch_to_json = _declare("enas_arch_to_json", c_int32, c_void_p, *_TEXT_OUT)

# int32_t enas_arch_to_dot(const enas_arch *arch, char *buf, size_t cap, size_t *needed);
enas_arch_to_dot = _declare("enas_arch_to_dot", c_int32, c_void_p, *_TEXT_OUT)

# int32_t enas_arch_describe(const enas_arch *arch, char *buf, size_t cap, size_t *needed);
enas_arch_describe = _declare("enas_arch_describe", c_int32, c_void_p, *_TEXT_OUT)

# int32_t enas_arch_to_dot_cell(const enas_arch *arch, const char *cell, char *buf, size_t cap, size_t *needed);
enas_arch_to_dot_cell = _declare("enas_arch_to_dot_cell", c_int32, c_void_p, c_char_p, *_TEXT_OUT)

# int32_t enas_arch_space(const enas_arch *arch, char *buf, size_t cap, size_t *needed);
enas_arch_space = _declare("enas_arch_space", c_int32, c_void_p, *_TEXT_OUT)

# int32_t enas_arch_free(enas_arch *arch);
enas_arch_free = _declare("enas_arch_free", c_int32, c_void_p)

# ---- Corpora ------------------------------------------------------------------------------------------------------

# int32_t enas_corpus_load_ptb(const char *directory, enas_corpus **out);
enas_corpus_load_ptb = _declare("enas_corpus_load_ptb", c_int32, c_char_p, _HANDLE_OUT)

# int32_t enas_corpus_from_tokens(const void *train, int64_t n_train, const void *valid, int64_t n_valid,
#                                 const void *test, int64_t n_test, int32_t dtype, int64_t vocab_size,
#                                 enas_corpus **out);
enas_corpus_from_tokens = _declare(
    "enas_corpus_from_tokens", c_int32, c_void_p, c_int64, c_void_p, c_int64, c_void_p, c_int64, c_int32, c_int64,
    _HANDLE_OUT)

# int32_t enas_corpus_info(const enas_corpus *corpus, int64_t *vocab_size, int64_t *n_train, int64_t *n_valid,
#                          int64_t *n_test);
enas_corpus_info = _declare(
    "enas_corpus_info", c_int32, c_void_p, POINTER(c_int64), POINTER(c_int64), POINTER(c_int64), POINTER(c_int64))

# int32_t enas_corpus_subset(const enas_corpus *corpus, int64_t n_train, int64_t n_valid, int64_t n_test,
#                            enas_corpus **out);
enas_corpus_subset = _declare("enas_corpus_subset", c_int32, c_void_p, c_int64, c_int64, c_int64, POINTER(c_void_p))

# int32_t enas_corpus_free(enas_corpus *corpus);
enas_corpus_free = _declare("enas_corpus_free", c_int32, c_void_p)

# ---- Searches -----------------------------------------------------------------------------------------------------

# int32_t enas_images_load_fashion_mnist(const char *directory, int64_t validation_count, enas_images **out);
enas_images_load_fashion_mnist = _declare("enas_images_load_fashion_mnist", c_int32, c_char_p, c_int64, _HANDLE_OUT)

# int32_t enas_images_load_cifar10(const char *directory, int64_t validation_count, enas_images **out);
enas_images_load_cifar10 = _declare("enas_images_load_cifar10", c_int32, c_char_p, c_int64, _HANDLE_OUT)

# int32_t enas_images_from_arrays(const void *x_train, const int64_t *train_shape, const void *y_train,
#                                 const void *x_test, const int64_t *test_shape, const void *y_test, int32_t dtype,
#                                 int32_t label_dtype, int64_t n_classes, int64_t validation_count, enas_images **out);
enas_images_from_arrays = _declare(
    "enas_images_from_arrays", c_int32, c_void_p, POINTER(c_int64), c_void_p, c_void_p, POINTER(c_int64), c_void_p,
    c_int32, c_int32, c_int64, c_int64, _HANDLE_OUT)

# int32_t enas_images_info(const enas_images *images, int64_t *info);
enas_images_info = _declare("enas_images_info", c_int32, c_void_p, POINTER(c_int64))

# int32_t enas_images_subset(const enas_images *images, int64_t n_train, int64_t n_valid, int64_t n_test,
#                            enas_images **out);
enas_images_subset = _declare("enas_images_subset", c_int32, c_void_p, c_int64, c_int64, c_int64, POINTER(c_void_p))

# int32_t enas_images_read_split(const enas_images *images, const char *split, float *pixels, int64_t n_pixels,
#                                int64_t *labels, int64_t n_labels);
enas_images_read_split = _declare("enas_images_read_split", c_int32, c_void_p, c_char_p, POINTER(c_float), c_int64,
                                  POINTER(c_int64), c_int64)

# int32_t enas_images_free(enas_images *images);
enas_images_free = _declare("enas_images_free", c_int32, c_void_p)

# int32_t enas_search_create(const char *config_json, const enas_corpus *corpus, enas_search **out);
enas_search_create = _declare("enas_search_create", c_int32, c_char_p, c_void_p, _HANDLE_OUT)

# int32_t enas_search_load(const char *path, const enas_corpus *corpus, enas_search **out);
enas_search_load = _declare("enas_search_load", c_int32, c_char_p, c_void_p, _HANDLE_OUT)

# int32_t enas_search_create_images(const char *config_json, const enas_images *images, enas_search **out);
enas_search_create_images = _declare("enas_search_create_images", c_int32, c_char_p, c_void_p, _HANDLE_OUT)

# int32_t enas_search_load_images(const char *path, const enas_images *images, enas_search **out);
enas_search_load_images = _declare("enas_search_load_images", c_int32, c_char_p, c_void_p, _HANDLE_OUT)

# int32_t enas_search_save(const enas_search *search, const char *path);
enas_search_save = _declare("enas_search_save", c_int32, c_void_p, c_char_p)

# int32_t enas_search_set_log(enas_search *search, const char *path);
enas_search_set_log = _declare("enas_search_set_log", c_int32, c_void_p, c_char_p)

# int32_t enas_search_run(enas_search *search, int32_t epochs, enas_event_fn callback, void *user);
enas_search_run = _declare("enas_search_run", c_int32, c_void_p, c_int32, EVENT_FN, c_void_p)

# int32_t enas_search_request_cancel(enas_search *search);
enas_search_request_cancel = _declare("enas_search_request_cancel", c_int32, c_void_p)

# int32_t enas_search_history_json(const enas_search *search, char *buf, size_t cap, size_t *needed);
enas_search_history_json = _declare("enas_search_history_json", c_int32, c_void_p, *_TEXT_OUT)

# int32_t enas_search_state_json(const enas_search *search, char *buf, size_t cap, size_t *needed);
enas_search_state_json = _declare("enas_search_state_json", c_int32, c_void_p, *_TEXT_OUT)

# int32_t enas_search_derive(enas_search *search, int32_t samples, enas_arch **out, double *valid_ppl);
enas_search_derive = _declare("enas_search_derive", c_int32, c_void_p, c_int32, _HANDLE_OUT, POINTER(c_double))

# int32_t enas_search_parameter_names_json(const enas_search *search, char *buf, size_t cap, size_t *needed);
enas_search_parameter_names_json = _declare("enas_search_parameter_names_json", c_int32, c_void_p, *_TEXT_OUT)

# int32_t enas_search_parameter_shape(const enas_search *search, const char *name, int64_t *shape, int32_t cap,
#                                     int32_t *ndim_out);
enas_search_parameter_shape = _declare(
    "enas_search_parameter_shape", c_int32, c_void_p, c_char_p, POINTER(c_int64), c_int32, POINTER(c_int32))

# int32_t enas_search_get_parameter(const enas_search *search, const char *name, float *buf, size_t cap_elements,
#                                   size_t *needed);
enas_search_get_parameter = _declare(
    "enas_search_get_parameter", c_int32, c_void_p, c_char_p, POINTER(c_float), c_size_t, POINTER(c_size_t))

# int32_t enas_search_set_parameter(enas_search *search, const char *name, const void *data, int32_t dtype,
#                                   const int64_t *shape, int32_t ndim);
enas_search_set_parameter = _declare(
    "enas_search_set_parameter", c_int32, c_void_p, c_char_p, c_void_p, c_int32, POINTER(c_int64), c_int32)

# int32_t enas_search_free(enas_search *search);
enas_search_free = _declare("enas_search_free", c_int32, c_void_p)

# ---- Fixed models -------------------------------------------------------------------------------------------------

# int32_t enas_model_create(const enas_arch *arch, const char *retrain_config_json, const enas_corpus *corpus,
#                           enas_model **out);
enas_model_create = _declare("enas_model_create", c_int32, c_void_p, c_char_p, c_void_p, _HANDLE_OUT)

# int32_t enas_model_create_images(const enas_arch *arch, const char *retrain_config_json, const enas_images *images,
#                                  enas_model **out);
enas_model_create_images = _declare("enas_model_create_images", c_int32, c_void_p, c_char_p, c_void_p, _HANDLE_OUT)

# int32_t enas_model_load_images(const char *path, const enas_images *images, enas_model **out);
enas_model_load_images = _declare("enas_model_load_images", c_int32, c_char_p, c_void_p, _HANDLE_OUT)

# int32_t enas_model_info_json(const enas_model *model, char *buf, size_t cap, size_t *needed);
enas_model_info_json = _declare("enas_model_info_json", c_int32, c_void_p, *_TEXT_OUT)

# int32_t enas_model_predict(enas_model *model, const void *images, int32_t dtype, const int64_t *shape,
#                            float *probabilities, size_t cap_elements, size_t *needed);
enas_model_predict = _declare(
    "enas_model_predict", c_int32, c_void_p, c_void_p, c_int32, POINTER(c_int64), POINTER(c_float), c_size_t,
    POINTER(c_size_t))

# int32_t enas_model_save(const enas_model *model, const char *path);
enas_model_save = _declare("enas_model_save", c_int32, c_void_p, c_char_p)

# int32_t enas_model_load(const char *path, const enas_corpus *corpus, enas_model **out);
enas_model_load = _declare("enas_model_load", c_int32, c_char_p, c_void_p, _HANDLE_OUT)

# int32_t enas_model_architecture(const enas_model *model, enas_arch **out);
enas_model_architecture = _declare("enas_model_architecture", c_int32, c_void_p, _HANDLE_OUT)

# int32_t enas_model_num_params(const enas_model *model, int64_t *out);
enas_model_num_params = _declare("enas_model_num_params", c_int32, c_void_p, POINTER(c_int64))

# int32_t enas_model_train(enas_model *model, int32_t epochs, enas_event_fn callback, void *user);
enas_model_train = _declare("enas_model_train", c_int32, c_void_p, c_int32, EVENT_FN, c_void_p)

# int32_t enas_model_request_cancel(enas_model *model);
enas_model_request_cancel = _declare("enas_model_request_cancel", c_int32, c_void_p)

# int32_t enas_model_evaluate(enas_model *model, const char *split, double *metric);
enas_model_evaluate = _declare("enas_model_evaluate", c_int32, c_void_p, c_char_p, POINTER(c_double))

# int32_t enas_model_parameter_names_json(const enas_model *model, char *buf, size_t cap, size_t *needed);
enas_model_parameter_names_json = _declare("enas_model_parameter_names_json", c_int32, c_void_p, *_TEXT_OUT)

# int32_t enas_model_parameter_shape(const enas_model *model, const char *name, int64_t *shape, int32_t cap,
#                                    int32_t *ndim_out);
enas_model_parameter_shape = _declare(
    "enas_model_parameter_shape", c_int32, c_void_p, c_char_p, POINTER(c_int64), c_int32, POINTER(c_int32))

# int32_t enas_model_get_parameter(const enas_model *model, const char *name, float *buf, size_t cap_elements,
#                                  size_t *needed);
enas_model_get_parameter = _declare(
    "enas_model_get_parameter", c_int32, c_void_p, c_char_p, POINTER(c_float), c_size_t, POINTER(c_size_t))

# int32_t enas_model_set_parameter(enas_model *model, const char *name, const void *data, int32_t dtype,
#                                  const int64_t *shape, int32_t ndim);
enas_model_set_parameter = _declare(
    "enas_model_set_parameter", c_int32, c_void_p, c_char_p, c_void_p, c_int32, POINTER(c_int64), c_int32)

# int32_t enas_model_free(enas_model *model);
enas_model_free = _declare("enas_model_free", c_int32, c_void_p)
