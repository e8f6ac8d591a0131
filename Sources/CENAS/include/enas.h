/*
 * enas.h — the C ABI of libenas.so (Efficient Neural Architecture Search in Swift).
 *
 * Conventions (DESIGN.md §5, STYLE.md §3):
 *   - Names are enas_<object>_<verb>; constants are ENAS_<NAME>.
 *   - Every function except enas_abi_version, enas_version_string, enas_status_string and enas_last_error returns
 *     an int32_t status: ENAS_OK or one of the ENAS_ERR_* codes below. Nothing is reported by aborting the process.
 *   - On failure, enas_last_error() returns a message that names the function, the argument and its value, e.g.
 *     "enas_tensor_create: shape[1] = -3 is negative".
 *   - Objects are opaque handles. A handle is a never-reused id, not an address: a stale handle (used after its free),
 *     a double free, a garbage value or a handle of another kind returns ENAS_ERR_INVALID_HANDLE. A NULL handle is
 *     ENAS_ERR_INVALID_HANDLE too, except in the free functions, where NULL is a no-op returning ENAS_OK.
 *   - Constructors write the new handle through their last parameter (`**out`); inputs come first, outputs last.
 *     Each create has exactly one matching free.
 *   - The caller owns what it passes: inputs are copied during the call and no caller pointer is kept afterwards.
 *     Arrays are contiguous and row-major, described by a dtype code, `const int64_t *shape` and `int32_t ndim`.
 *   - Variable-size outputs use the two-call pattern: pass NULL/0 to learn the size, then call again with a buffer.
 *
 * Thread safety: the library may be called from any thread. A handle must be used by one thread at a time (the
 * caller serializes calls on the same handle, including its free). Creating, freeing and looking up different handles
 * from different threads concurrently is safe. enas_last_error() is per thread. enas_set_num_threads() affects
 * every thread and should not be called while another thread is inside a computation.
 */
#ifndef ENAS_H
#define ENAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version this header describes. Compare with enas_abi_version() at start-up: a mismatch means the header
 * and the loaded library disagree. A changed signature gets a new name (_v2); enums only grow at the end. */
#define ENAS_ABI_VERSION 1

/* ---- Status codes (append-only) ---------------------------------------------------------------------------- */
#define ENAS_OK 0
#define ENAS_ERR_INVALID_ARGUMENT 1 /* an argument outside its domain: NULL pointer, bad count, unknown code */
#define ENAS_ERR_INVALID_HANDLE 2   /* NULL, stale, double-freed, garbage or wrong-kind handle */
#define ENAS_ERR_SHAPE 3            /* shapes that do not fit together, negative or overflowing dimensions */
#define ENAS_ERR_IO 4               /* a file that cannot be opened, read or written */
#define ENAS_ERR_FORMAT 5           /* a corrupt, truncated or foreign file or string */
#define ENAS_ERR_NUMERIC 6          /* a NaN or infinite loss */
#define ENAS_ERR_CANCELLED 7        /* the caller asked to stop */
#define ENAS_ERR_INTERNAL 8         /* a bug in the library: please report it with enas_last_error() */

/* ---- Element types of arrays crossing the ABI (append-only) ------------------------------------------------- */
#define ENAS_DTYPE_F32 0 /* float */
#define ENAS_DTYPE_U8 1  /* uint8_t */
#define ENAS_DTYPE_I32 2 /* int32_t */
#define ENAS_DTYPE_I64 3 /* int64_t */

/* The largest ndim an array may have. */
#define ENAS_MAX_NDIM 8

/* ---- Opaque handles ------------------------------------------------------------------------------------------ */

/* A dense float32 array owned by the library. */
typedef struct enas_tensor enas_tensor;

/* ---- Version, messages, threads ------------------------------------------------------------------------------ */

/* The library's ABI version; equals ENAS_ABI_VERSION of the header it was built with. */
int32_t enas_abi_version(void);

/* The library's version, e.g. "0.1.0". A static string: do not free. */
const char *enas_version_string(void);

/* A short static description of a status code ("ENAS_ERR_SHAPE: ..."); unknown codes give "unknown status". */
const char *enas_status_string(int32_t status);

/* The message of the most recent failing call on this thread, or "" if none failed yet. Owned by the library and
 * valid until the next failing call on this thread. A successful call leaves it unchanged. */
const char *enas_last_error(void);

/* Sets how many threads the kernels split work over: 1 ≤ n ≤ 1024. The default is $ENAS_NUM_THREADS, else the
 * number of online cores. Results are deterministic for a given thread count. */
int32_t enas_set_num_threads(int32_t n);

/* Writes the current thread count to *out. */
int32_t enas_get_num_threads(int32_t *out);

/* ---- Tensors ------------------------------------------------------------------------------------------------- */

/* Creates a float32 tensor of shape shape[0..ndim) from the contiguous row-major array `data` of element type
 * `dtype` (ENAS_DTYPE_*), converting each element to float (int32/int64 values beyond 2^24 are rounded).
 * 0 ≤ ndim ≤ ENAS_MAX_NDIM; ndim 0 is a scalar (shape may be NULL). Dimensions must be ≥ 0; data may be NULL only
 * when the tensor has no elements. The data is copied: the caller may free it on return.
 * On failure *out is set to NULL. Free the tensor with enas_tensor_free. */
int32_t enas_tensor_create(const void *data, int32_t dtype, const int64_t *shape, int32_t ndim, enas_tensor **out);

/* Writes the tensor's number of dimensions to *ndim_out. */
int32_t enas_tensor_ndim(const enas_tensor *tensor, int32_t *ndim_out);

/* Two-call pattern: writes the tensor's ndim to *ndim_out and, when `shape` is not NULL, its dimensions to
 * shape[0..ndim). Pass shape = NULL, cap = 0 to learn ndim only. cap < ndim with a non-NULL shape is
 * ENAS_ERR_INVALID_ARGUMENT (*ndim_out is still written). */
int32_t enas_tensor_shape(const enas_tensor *tensor, int64_t *shape, int32_t cap, int32_t *ndim_out);

/* Two-call pattern: writes the element count to *needed (when needed is not NULL) and, when buf is not NULL, copies
 * the elements (row-major float32) to buf[0..count). Pass buf = NULL, cap_elements = 0 to learn the count.
 * cap_elements smaller than the count with a non-NULL buf is ENAS_ERR_INVALID_ARGUMENT (*needed is still written). */
int32_t enas_tensor_copy_out(const enas_tensor *tensor, float *buf, size_t cap_elements, size_t *needed);

/* Frees a tensor. NULL is a no-op (ENAS_OK); a stale or already freed handle is ENAS_ERR_INVALID_HANDLE. */
int32_t enas_tensor_free(enas_tensor *tensor);

/* ---- Matrix products ----------------------------------------------------------------------------------------- */

/* C = alpha · op(A) · op(B) + beta · C on 2-D tensors, where op(X) is X or its transpose.
 *   a: (m, k), or (k, m) when trans_a      b: (k, n), or (n, k) when trans_b      c: (m, n), updated in place
 * m, n, k ≥ 0 must match the tensors' shapes exactly (ENAS_ERR_SHAPE otherwise). With beta = 0 the previous
 * contents of c are ignored (NaN-safe). c may be the same tensor as a or b: the product reads the old values. */
int32_t enas_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const enas_tensor *a,
                  const enas_tensor *b, float beta, enas_tensor *c);

/* Creates the matrix product of a (m, k) and b (k, n) as a new (m, n) tensor written to *out (NULL on failure).
 * Free it with enas_tensor_free. */
int32_t enas_tensor_matmul(const enas_tensor *a, const enas_tensor *b, enas_tensor **out);

#ifdef __cplusplus
}
#endif

#endif /* ENAS_H */
