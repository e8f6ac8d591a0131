/* A C program against enas.h and libenas.so: the ABI contract as a C caller sees it.
 * Build and run: Tests/c/run.sh <directory holding libenas.so>
 * Checks versions, tensor create / shape / copy-out / free for every dtype, enas_gemm against a naive loop for every
 * transpose combination on awkward sizes, and misuse (NULL pointers, stale, double-freed and garbage handles, bad
 * shapes and dtypes, too-small buffers): each must return its status and name the function in enas_last_error().
 * Then architectures (both published cells, round trips, DOT), corpora from token buffers, a tiny search (events,
 * cancellation by callback, by request from another thread and before a run, derive, parameters, save/load, log)
 * and a fixed model (train, evaluate, parameters), each with its misuse cases, wrong-kind handles included. */
#define _POSIX_C_SOURCE 200809L /* mkstemp, truncate */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <unistd.h>

#include "enas.h"

static int passed = 0, failed = 0;

#define CHECK(cond, ...)                                                                                               \
    do {                                                                                                               \
        if (cond) {                                                                                                    \
            passed++;                                                                                                  \
        } else {                                                                                                       \
            failed++;                                                                                                  \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                                       \
            fprintf(stderr, __VA_ARGS__);                                                                              \
            fputc('\n', stderr);                                                                                       \
        }                                                                                                              \
    } while (0)

#define CHECK_OK(call)                                                                                                 \
    do {                                                                                                               \
        int32_t status_ = (call);                                                                                      \
        CHECK(status_ == ENAS_OK, "%s returned %d: %s", #call, (int)status_, enas_last_error());                      \
    } while (0)

/* The call failed with `expected`, and the last error names `function` and contains `fragment`. */
#define CHECK_ERROR(call, expected, function, fragment)                                                                \
    do {                                                                                                               \
        int32_t status_ = (call);                                                                                      \
        const char *message_ = enas_last_error();                                                                      \
        CHECK(status_ == (expected), "%s returned %d, expected %d (%s)", #call, (int)status_, (int)(expected),        \
              message_);                                                                                               \
        CHECK(strstr(message_, function) == message_, "%s: message '%s' does not start with '%s'", #call, message_,   \
              function);                                                                                               \
        CHECK(strstr(message_, fragment) != NULL, "%s: message '%s' does not mention '%s'", #call, message_,          \
              fragment);                                                                                               \
    } while (0)

/* xorshift64*: deterministic data without depending on the C library's rand(). */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static float random_float(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    uint64_t bits = rng_state * 0x2545F4914F6CDD1Dull;
    float unit = (float)(bits >> 40) / (float)(1u << 24); /* [0, 1) */
    float value = 2.0f * unit - 1.0f;
    return value == 0.0f ? 0.5f : value; /* non-zero, so a dropped term shows */
}

static void fill_random(float *x, size_t count) {
    for (size_t i = 0; i < count; i++) x[i] = random_float();
}

static enas_tensor *make_tensor(const float *data, int64_t rows, int64_t cols) {
    int64_t shape[2] = {rows, cols};
    enas_tensor *t = NULL;
    CHECK_OK(enas_tensor_create(data, ENAS_DTYPE_F32, shape, 2, &t));
    return t;
}

/* Copies a tensor's elements into a new malloc'd buffer of `expected` elements. */
static float *copy_out(const enas_tensor *t, size_t expected) {
    size_t needed = 0;
    CHECK_OK(enas_tensor_copy_out(t, NULL, 0, &needed));
    CHECK(needed == expected, "needed %zu, expected %zu", needed, expected);
    float *buf = malloc((needed ? needed : 1) * sizeof(float));
    CHECK_OK(enas_tensor_copy_out(t, buf, needed, &needed));
    return buf;
}

/* ---- Versions, messages, threads ---------------------------------------------------------------------------- */

static int fresh_thread_sees_empty_error(void *unused) {
    (void)unused;
    return strcmp(enas_last_error(), "") == 0 ? 0 : 1;
}

static void test_version(void) {
    CHECK(enas_abi_version() == ENAS_ABI_VERSION, "abi version %d", (int)enas_abi_version());
    CHECK(strlen(enas_version_string()) > 0, "empty version string");
    CHECK(strcmp(enas_last_error(), "") == 0, "last error before any failure: '%s'", enas_last_error());
    for (int32_t code = ENAS_OK; code <= ENAS_ERR_INTERNAL; code++) {
        CHECK(strncmp(enas_status_string(code), "ENAS_", 5) == 0, "status %d: %s", (int)code,
              enas_status_string(code));
    }
    CHECK(strstr(enas_status_string(ENAS_ERR_SHAPE), "ENAS_ERR_SHAPE") != NULL, "shape status string");
    CHECK(strcmp(enas_status_string(99), "unknown status") == 0, "unknown status string");
    CHECK(strcmp(enas_status_string(-1), "unknown status") == 0, "negative status string");

    int32_t original = 0, now = 0;
    CHECK_OK(enas_get_num_threads(&original));
    CHECK(original >= 1, "thread count %d", (int)original);
    CHECK_OK(enas_set_num_threads(1));
    CHECK_OK(enas_get_num_threads(&now));
    CHECK(now == 1, "thread count after set: %d", (int)now);
    CHECK_ERROR(enas_set_num_threads(0), ENAS_ERR_INVALID_ARGUMENT, "enas_set_num_threads", "n = 0");
    CHECK_ERROR(enas_set_num_threads(5000), ENAS_ERR_INVALID_ARGUMENT, "enas_set_num_threads", "n = 5000");
    CHECK_ERROR(enas_get_num_threads(NULL), ENAS_ERR_INVALID_ARGUMENT, "enas_get_num_threads", "out is NULL");
    CHECK_OK(enas_set_num_threads(original));

    /* A successful call leaves the message alone; another thread has its own (empty) slot. */
    CHECK_OK(enas_get_num_threads(&now));
    CHECK(strstr(enas_last_error(), "enas_get_num_threads") != NULL, "last error changed by a success");
    thrd_t thread;
    int result = -1;
    CHECK(thrd_create(&thread, fresh_thread_sees_empty_error, NULL) == thrd_success, "thrd_create");
    thrd_join(thread, &result);
    CHECK(result == 0, "a new thread saw another thread's last error");
}

/* ---- Tensors ------------------------------------------------------------------------------------------------ */

static void test_tensor_roundtrip(void) {
    const int64_t shape[3] = {2, 3, 4};
    float f32[24];
    uint8_t u8[24];
    int32_t i32[24];
    int64_t i64[24];
    for (int i = 0; i < 24; i++) {
        f32[i] = 0.25f * (float)i - 3.0f;
        u8[i] = (uint8_t)(200 + i);
        i32[i] = -1000 * i;
        i64[i] = (int64_t)i * 4096 - 7;
    }
    const void *sources[4] = {f32, u8, i32, i64};
    for (int32_t dtype = ENAS_DTYPE_F32; dtype <= ENAS_DTYPE_I64; dtype++) {
        enas_tensor *t = NULL;
        CHECK_OK(enas_tensor_create(sources[dtype], dtype, shape, 3, &t));
        int32_t ndim = -1;
        CHECK_OK(enas_tensor_ndim(t, &ndim));
        CHECK(ndim == 3, "dtype %d: ndim %d", (int)dtype, (int)ndim);
        int64_t got[8] = {0};
        CHECK_OK(enas_tensor_shape(t, NULL, 0, &ndim));
        CHECK(ndim == 3, "shape query ndim %d", (int)ndim);
        CHECK_OK(enas_tensor_shape(t, got, 8, &ndim));
        CHECK(got[0] == 2 && got[1] == 3 && got[2] == 4, "shape (%lld, %lld, %lld)", (long long)got[0],
              (long long)got[1], (long long)got[2]);
        float *values = copy_out(t, 24);
        int mismatches = 0;
        for (int i = 0; i < 24; i++) {
            float want = dtype == ENAS_DTYPE_F32  ? f32[i]
                         : dtype == ENAS_DTYPE_U8 ? (float)u8[i]
                         : dtype == ENAS_DTYPE_I32 ? (float)i32[i]
                                                   : (float)i64[i];
            if (values[i] != want) mismatches++;
        }
        CHECK(mismatches == 0, "dtype %d: %d elements differ after the round trip", (int)dtype, mismatches);
        free(values);
        CHECK_OK(enas_tensor_free(t));
    }

    /* A scalar (ndim 0, shape NULL) and an empty tensor (data NULL). */
    float scalar = 42.5f;
    enas_tensor *s = NULL;
    CHECK_OK(enas_tensor_create(&scalar, ENAS_DTYPE_F32, NULL, 0, &s));
    float *scalar_out = copy_out(s, 1);
    CHECK(scalar_out[0] == 42.5f, "scalar %f", (double)scalar_out[0]);
    free(scalar_out);
    CHECK_OK(enas_tensor_free(s));
    const int64_t empty_shape[2] = {0, 5};
    enas_tensor *e = NULL;
    CHECK_OK(enas_tensor_create(NULL, ENAS_DTYPE_F32, empty_shape, 2, &e));
    size_t needed = 99;
    CHECK_OK(enas_tensor_copy_out(e, NULL, 0, &needed));
    CHECK(needed == 0, "empty tensor needs %zu", needed);
    CHECK_OK(enas_tensor_free(e));
    CHECK_OK(enas_tensor_free(NULL));
}

/* ---- GEMM --------------------------------------------------------------------------------------------------- */

/* C = alpha·op(A)·op(B) + beta·C in double, row-major, with |op(A)|·|op(B)| for the tolerance. */
static void naive_gemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float *a,
                       const float *b, float beta, const float *c, double *out, double *magnitude) {
    for (int64_t i = 0; i < m; i++) {
        for (int64_t j = 0; j < n; j++) {
            double sum = 0, size = 0;
            for (int64_t p = 0; p < k; p++) {
                double x = trans_a ? a[p * m + i] : a[i * k + p];
                double y = trans_b ? b[j * k + p] : b[p * n + j];
                sum += x * y;
                size += fabs(x * y);
            }
            double old = beta == 0 ? 0.0 : beta * (double)c[i * n + j]; /* beta = 0 ignores c (may be NULL) */
            out[i * n + j] = alpha * sum + old;
            magnitude[i * n + j] = fabs(alpha) * size + fabs(old);
        }
    }
}

/* Runs enas_gemm on random data and returns the number of elements outside tolerance. */
static int gemm_case(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha, float beta) {
    size_t sa = (size_t)(m * k), sb = (size_t)(k * n), sc = (size_t)(m * n);
    float *a = malloc((sa ? sa : 1) * sizeof(float)), *b = malloc((sb ? sb : 1) * sizeof(float));
    float *c = malloc((sc ? sc : 1) * sizeof(float));
    double *want = malloc((sc ? sc : 1) * sizeof(double)), *size = malloc((sc ? sc : 1) * sizeof(double));
    fill_random(a, sa);
    fill_random(b, sb);
    fill_random(c, sc);
    naive_gemm(trans_a, trans_b, m, n, k, alpha, a, b, beta, c, want, size);
    enas_tensor *ta = make_tensor(a, trans_a ? k : m, trans_a ? m : k);
    enas_tensor *tb = make_tensor(b, trans_b ? n : k, trans_b ? k : n);
    enas_tensor *tc = make_tensor(c, m, n);
    CHECK_OK(enas_gemm(trans_a, trans_b, m, n, k, alpha, ta, tb, beta, tc));
    float *got = copy_out(tc, sc);
    int bad = 0;
    for (size_t i = 0; i < sc; i++) {
        if (!(fabs(got[i] - want[i]) <= 1e-5 * size[i] + 1e-6)) bad++;
    }
    free(got);
    CHECK_OK(enas_tensor_free(ta));
    CHECK_OK(enas_tensor_free(tb));
    CHECK_OK(enas_tensor_free(tc));
    free(a);
    free(b);
    free(c);
    free(want);
    free(size);
    return bad;
}

static void test_gemm(void) {
    const int64_t sizes[][3] = {{7, 33, 257}, {257, 7, 33}, {33, 257, 7}, {1, 1, 1}, {5, 3, 0}, {0, 4, 6}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        for (int trans = 0; trans < 4; trans++) {
            int ta = trans & 1, tb = (trans >> 1) & 1;
            int64_t m = sizes[s][0], n = sizes[s][1], k = sizes[s][2];
            int bad = gemm_case(ta, tb, m, n, k, 0.75f, -0.5f);
            CHECK(bad == 0, "gemm m=%lld n=%lld k=%lld trans_a=%d trans_b=%d alpha=.75 beta=-.5: %d wrong",
                  (long long)m, (long long)n, (long long)k, ta, tb, bad);
            bad = gemm_case(ta, tb, m, n, k, 1.0f, 0.0f);
            CHECK(bad == 0, "gemm m=%lld n=%lld k=%lld trans_a=%d trans_b=%d alpha=1 beta=0: %d wrong",
                  (long long)m, (long long)n, (long long)k, ta, tb, bad);
        }
    }

    /* c aliasing a: the product reads A's old values. */
    float x[9], want[9], size[9];
    double want_d[9], size_d[9];
    fill_random(x, 9);
    naive_gemm(0, 0, 3, 3, 3, 1.0f, x, x, 1.0f, x, want_d, size_d);
    for (int i = 0; i < 9; i++) {
        want[i] = (float)want_d[i];
        size[i] = (float)size_d[i];
    }
    enas_tensor *t = make_tensor(x, 3, 3);
    CHECK_OK(enas_gemm(false, false, 3, 3, 3, 1.0f, t, t, 1.0f, t));
    float *got = copy_out(t, 9);
    int bad = 0;
    for (int i = 0; i < 9; i++) bad += !(fabsf(got[i] - want[i]) <= 1e-5f * size[i] + 1e-6f);
    CHECK(bad == 0, "aliased gemm: %d wrong", bad);
    free(got);
    CHECK_OK(enas_tensor_free(t));

    /* enas_tensor_matmul. */
    float a[7 * 33], b[33 * 5];
    double mm_want[7 * 5], mm_size[7 * 5];
    fill_random(a, 7 * 33);
    fill_random(b, 33 * 5);
    naive_gemm(0, 0, 7, 5, 33, 1.0f, a, b, 0.0f, NULL, mm_want, mm_size);
    enas_tensor *ta = make_tensor(a, 7, 33), *tb = make_tensor(b, 33, 5), *tc = NULL;
    CHECK_OK(enas_tensor_matmul(ta, tb, &tc));
    int64_t shape[2] = {0, 0};
    int32_t ndim = 0;
    CHECK_OK(enas_tensor_shape(tc, shape, 2, &ndim));
    CHECK(ndim == 2 && shape[0] == 7 && shape[1] == 5, "matmul shape (%lld, %lld)", (long long)shape[0],
          (long long)shape[1]);
    got = copy_out(tc, 35);
    bad = 0;
    for (int i = 0; i < 35; i++) bad += !(fabs(got[i] - mm_want[i]) <= 1e-5 * mm_size[i] + 1e-6);
    CHECK(bad == 0, "matmul: %d wrong", bad);
    free(got);
    CHECK_OK(enas_tensor_free(ta));
    CHECK_OK(enas_tensor_free(tb));
    CHECK_OK(enas_tensor_free(tc));
}

/* ---- Misuse ------------------------------------------------------------------------------------------------- */

static void test_misuse(void) {
    float data[12];
    fill_random(data, 12);
    int64_t shape[2] = {3, 4};
    enas_tensor *t = NULL, *u = NULL;

    /* enas_tensor_create: every argument. */
    enas_tensor *out = (enas_tensor *)(uintptr_t)0x1234;
    CHECK_ERROR(enas_tensor_create(data, 7, shape, 2, &out), ENAS_ERR_INVALID_ARGUMENT, "enas_tensor_create",
                "dtype = 7");
    CHECK(out == NULL, "a failed create left *out = %p", (void *)out);
    CHECK_ERROR(enas_tensor_create(data, -1, shape, 2, &out), ENAS_ERR_INVALID_ARGUMENT, "enas_tensor_create",
                "dtype = -1");
    CHECK_ERROR(enas_tensor_create(data, ENAS_DTYPE_F32, shape, 2, NULL), ENAS_ERR_INVALID_ARGUMENT,
                "enas_tensor_create", "out is NULL");
    CHECK_ERROR(enas_tensor_create(NULL, ENAS_DTYPE_F32, shape, 2, &out), ENAS_ERR_INVALID_ARGUMENT,
                "enas_tensor_create", "data is NULL");
    CHECK_ERROR(enas_tensor_create(data, ENAS_DTYPE_F32, NULL, 2, &out), ENAS_ERR_INVALID_ARGUMENT,
                "enas_tensor_create", "shape is NULL");
    CHECK_ERROR(enas_tensor_create(data, ENAS_DTYPE_F32, shape, 9, &out), ENAS_ERR_INVALID_ARGUMENT,
                "enas_tensor_create", "ndim = 9");
    CHECK_ERROR(enas_tensor_create(data, ENAS_DTYPE_F32, shape, -1, &out), ENAS_ERR_INVALID_ARGUMENT,
                "enas_tensor_create", "ndim = -1");
    int64_t negative[2] = {4, -3};
    CHECK_ERROR(enas_tensor_create(data, ENAS_DTYPE_F32, negative, 2, &out), ENAS_ERR_SHAPE, "enas_tensor_create",
                "shape[1] = -3 is negative");
    int64_t overflowing[3] = {(int64_t)1 << 40, (int64_t)1 << 40, 2};
    CHECK_ERROR(enas_tensor_create(data, ENAS_DTYPE_F32, overflowing, 3, &out), ENAS_ERR_SHAPE,
                "enas_tensor_create", "64-bit");
    int64_t huge[1] = {(int64_t)1 << 40}; /* 4 TiB of float: more than any machine this runs on */
    CHECK_ERROR(enas_tensor_create(data, ENAS_DTYPE_F32, huge, 1, &out), ENAS_ERR_SHAPE, "enas_tensor_create",
                "shape (1099511627776) needs 4398046511104 bytes");

    /* Handles: NULL, garbage, stale, double free, never reused. */
    CHECK_OK(enas_tensor_create(data, ENAS_DTYPE_F32, shape, 2, &t));
    int32_t ndim = 0;
    CHECK_ERROR(enas_tensor_ndim(NULL, &ndim), ENAS_ERR_INVALID_HANDLE, "enas_tensor_ndim", "tensor is NULL");
    CHECK_ERROR(enas_tensor_ndim(t, NULL), ENAS_ERR_INVALID_ARGUMENT, "enas_tensor_ndim", "ndim_out is NULL");
    enas_tensor *garbage = (enas_tensor *)(uintptr_t)0xdeadbeef;
    CHECK_ERROR(enas_tensor_ndim(garbage, &ndim), ENAS_ERR_INVALID_HANDLE, "enas_tensor_ndim",
                "0xdeadbeef is not a live handle");
    CHECK_ERROR(enas_tensor_free(garbage), ENAS_ERR_INVALID_HANDLE, "enas_tensor_free", "0xdeadbeef");
    CHECK_OK(enas_tensor_free(t));
    CHECK_ERROR(enas_tensor_ndim(t, &ndim), ENAS_ERR_INVALID_HANDLE, "enas_tensor_ndim", "not a live handle");
    CHECK_ERROR(enas_tensor_free(t), ENAS_ERR_INVALID_HANDLE, "enas_tensor_free", "not a live handle");
    CHECK_OK(enas_tensor_create(data, ENAS_DTYPE_F32, shape, 2, &u));
    CHECK(u != t, "a freed handle was reused");
    CHECK_ERROR(enas_tensor_copy_out(t, NULL, 0, NULL), ENAS_ERR_INVALID_HANDLE, "enas_tensor_copy_out",
                "not a live handle");

    /* Two-call patterns. */
    float small[3];
    size_t needed = 0;
    CHECK_ERROR(enas_tensor_copy_out(u, small, 3, &needed), ENAS_ERR_INVALID_ARGUMENT, "enas_tensor_copy_out",
                "cap_elements = 3 is smaller than the tensor's 12 elements");
    CHECK(needed == 12, "needed %zu after a too-small buffer", needed);
    CHECK_ERROR(enas_tensor_copy_out(u, NULL, 5, &needed), ENAS_ERR_INVALID_ARGUMENT, "enas_tensor_copy_out",
                "buf is NULL with cap_elements = 5");
    CHECK_ERROR(enas_tensor_copy_out(u, NULL, 0, NULL), ENAS_ERR_INVALID_ARGUMENT, "enas_tensor_copy_out",
                "buf and needed are both NULL");
    int64_t dims[1];
    CHECK_ERROR(enas_tensor_shape(u, dims, 1, &ndim), ENAS_ERR_INVALID_ARGUMENT, "enas_tensor_shape",
                "cap = 1 is smaller than the tensor's ndim 2");
    CHECK(ndim == 2, "ndim %d after a too-small shape buffer", (int)ndim);
    CHECK_ERROR(enas_tensor_shape(u, dims, -1, &ndim), ENAS_ERR_INVALID_ARGUMENT, "enas_tensor_shape", "cap = -1");
    CHECK_ERROR(enas_tensor_shape(u, dims, 1, NULL), ENAS_ERR_INVALID_ARGUMENT, "enas_tensor_shape",
                "ndim_out is NULL");

    /* enas_gemm and enas_tensor_matmul: shapes, sizes, handles. u is (3, 4). */
    enas_tensor *c = NULL, *product = (enas_tensor *)(uintptr_t)0x1234;
    int64_t c_shape[2] = {3, 3};
    CHECK_OK(enas_tensor_create(data, ENAS_DTYPE_F32, c_shape, 2, &c));
    CHECK_ERROR(enas_gemm(false, false, 3, 3, 4, 1.0f, u, u, 0.0f, c), ENAS_ERR_SHAPE, "enas_gemm",
                "b (k, n) should be (4, 3), got a tensor of shape (3, 4)");
    CHECK_OK(enas_gemm(false, true, 3, 3, 4, 1.0f, u, u, 0.0f, c));
    CHECK_ERROR(enas_gemm(true, false, 3, 3, 4, 1.0f, u, u, 0.0f, c), ENAS_ERR_SHAPE, "enas_gemm",
                "a (k, m) with trans_a should be (4, 3)");
    CHECK_ERROR(enas_gemm(false, true, 3, 4, 4, 1.0f, u, u, 0.0f, c), ENAS_ERR_SHAPE, "enas_gemm",
                "should be (4, 4)");
    CHECK_ERROR(enas_gemm(false, true, -3, 3, 4, 1.0f, u, u, 0.0f, c), ENAS_ERR_INVALID_ARGUMENT, "enas_gemm",
                "m = -3 is negative");
    CHECK_ERROR(enas_gemm(false, true, 3, 3, 4, 1.0f, NULL, u, 0.0f, c), ENAS_ERR_INVALID_HANDLE, "enas_gemm",
                "a is NULL");
    CHECK_ERROR(enas_gemm(false, true, 3, 3, 4, 1.0f, u, t, 0.0f, c), ENAS_ERR_INVALID_HANDLE, "enas_gemm",
                "b = 0x");
    CHECK_ERROR(enas_gemm(false, true, 3, 3, 4, 1.0f, u, u, 0.0f, garbage), ENAS_ERR_INVALID_HANDLE, "enas_gemm",
                "c = 0xdeadbeef");
    CHECK_ERROR(enas_tensor_matmul(u, u, &product), ENAS_ERR_SHAPE, "enas_tensor_matmul", "do not chain");
    CHECK(product == NULL, "a failed matmul left *out = %p", (void *)product);
    CHECK_ERROR(enas_tensor_matmul(u, c, NULL), ENAS_ERR_INVALID_ARGUMENT, "enas_tensor_matmul", "out is NULL");
    float scalar = 1.0f;
    enas_tensor *s = NULL;
    CHECK_OK(enas_tensor_create(&scalar, ENAS_DTYPE_F32, NULL, 0, &s));
    CHECK_ERROR(enas_tensor_matmul(s, u, &product), ENAS_ERR_SHAPE, "enas_tensor_matmul", "a should be 2-D");
    CHECK_OK(enas_tensor_free(s));
    CHECK_OK(enas_tensor_free(c));
    CHECK_OK(enas_tensor_free(u));
}

/* ---- Architectures ------------------------------------------------------------------------------------------ */

static const char *ENAS_LM_CELL = "0 2 1 0 2 1 2 2 4 0 5 0 3 2 6 2";
static const char *PAPER_CELL = "0 0 0 1 1 2 1 2 0 2 0 5 1 1 0 6 1 8 1 8 1 8 1";

typedef int32_t (*text_fn)(const enas_arch *, char *, size_t, size_t *);

/* Runs a two-call text function on an architecture; returns a malloc'd string (NULL on failure). */
static char *arch_text(text_fn fn, const enas_arch *arch) {
    size_t needed = 0;
    if (fn(arch, NULL, 0, &needed) != ENAS_OK) return NULL;
    char *buf = malloc(needed);
    size_t again = 0;
    if (fn(arch, buf, needed, &again) != ENAS_OK || again != needed || strlen(buf) + 1 != needed) {
        free(buf);
        return NULL;
    }
    return buf;
}

static char *arch_string(const enas_arch *arch, const char *space) {
    size_t needed = 0;
    if (enas_arch_to_string(arch, space, NULL, 0, &needed) != ENAS_OK) return NULL;
    char *buf = malloc(needed);
    if (enas_arch_to_string(arch, space, buf, needed, &needed) != ENAS_OK) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* Parses `text` in `space`, checks the string and JSON round trips, and returns the handle. */
static enas_arch *parse_and_round_trip(const char *text, const char *space) {
    enas_arch *arch = NULL;
    CHECK_OK(enas_arch_parse(text, space, &arch));
    char *back = arch_string(arch, space);
    CHECK(back != NULL && strcmp(back, text) == 0, "%s round trip: '%s' became '%s'", space, text, back);
    char *json = arch_text(enas_arch_to_json, arch);
    CHECK(json != NULL && strstr(json, "\"first_activation\"") != NULL, "json: %s", json);
    enas_arch *again = NULL;
    CHECK_OK(enas_arch_from_json(json, &again));
    char *json_again = arch_text(enas_arch_to_json, again);
    CHECK(json_again != NULL && strcmp(json, json_again) == 0, "json round trip: %s vs %s", json, json_again);
    free(back);
    free(json);
    free(json_again);
    CHECK_OK(enas_arch_free(again));
    return arch;
}

static void test_architectures(void) {
    enas_arch *lm = parse_and_round_trip(ENAS_LM_CELL, "rnn");
    char *line = arch_text(enas_arch_describe, lm);
    CHECK(line != NULL && strstr(line, "all nodes") != NULL && strchr(line, '\n') == NULL, "describe: %s", line);
    free(line);
    char *dot = arch_text(enas_arch_to_dot, lm);
    CHECK(dot != NULL && strncmp(dot, "digraph", 7) == 0 && strstr(dot, "n8") != NULL, "dot: %s", dot);
    free(dot);
    /* The enas_lm cell in the first code's form: f0 = tanh (0) first, activation codes renumbered. */
    char *v1 = arch_string(lm, "rnn-v1");
    CHECK(v1 != NULL && strcmp(v1, "0 0 3 1 0 2 1 2 3 4 0 5 0 3 3 6 3") == 0, "rnn-v1 form: %s", v1);
    free(v1);

    enas_arch *paper = parse_and_round_trip(PAPER_CELL, "rnn-v1");
    line = arch_text(enas_arch_describe, paper);
    CHECK(line != NULL && strstr(line, "loose ends") != NULL, "describe: %s", line);
    free(line);

    /* A node-0 activation the enas_lm form cannot carry is an error, not a silent change. */
    enas_arch *relu_first = NULL;
    CHECK_OK(enas_arch_parse("1 0 0", "rnn-v1", &relu_first));
    size_t needed = 0;
    CHECK_ERROR(enas_arch_to_string(relu_first, "rnn", NULL, 0, &needed), ENAS_ERR_INVALID_ARGUMENT,
                "enas_arch_to_string", "tanh");
    CHECK_OK(enas_arch_free(relu_first));

    /* Misuse. */
    enas_arch *out = (enas_arch *)(uintptr_t)0x1234;
    CHECK_ERROR(enas_arch_parse(NULL, "rnn", &out), ENAS_ERR_INVALID_ARGUMENT, "enas_arch_parse", "text is NULL");
    CHECK(out == NULL, "a failed parse left *out = %p", (void *)out);
    CHECK_ERROR(enas_arch_parse(ENAS_LM_CELL, NULL, &out), ENAS_ERR_INVALID_ARGUMENT, "enas_arch_parse",
                "space is NULL");
    CHECK_ERROR(enas_arch_parse(ENAS_LM_CELL, "cnn", &out), ENAS_ERR_INVALID_ARGUMENT, "enas_arch_parse",
                "space = 'cnn' is not a known architecture form");
    CHECK_ERROR(enas_arch_parse(ENAS_LM_CELL, "rnn", NULL), ENAS_ERR_INVALID_ARGUMENT, "enas_arch_parse",
                "out is NULL");
    CHECK_ERROR(enas_arch_parse("0 2 1 x", "rnn", &out), ENAS_ERR_FORMAT, "enas_arch_parse", "'x'");
    CHECK_ERROR(enas_arch_parse("0 2 1", "rnn", &out), ENAS_ERR_FORMAT, "enas_arch_parse", "got 3");
    CHECK_ERROR(enas_arch_parse("", "rnn", &out), ENAS_ERR_FORMAT, "enas_arch_parse", "got 0");
    CHECK_ERROR(enas_arch_parse("0 2 2 0", "rnn", &out), ENAS_ERR_FORMAT, "enas_arch_parse", "node 2 reads node 2");
    CHECK_ERROR(enas_arch_parse("0 7", "rnn", &out), ENAS_ERR_FORMAT, "enas_arch_parse", "activation code 7");
    CHECK_ERROR(enas_arch_parse("0 \xff 1", "rnn", &out), ENAS_ERR_INVALID_ARGUMENT, "enas_arch_parse",
                "text is not valid UTF-8 (byte 0xff at offset 2)");
    CHECK_ERROR(enas_arch_from_json("{", &out), ENAS_ERR_FORMAT, "enas_arch_from_json", "not valid JSON");
    CHECK_ERROR(enas_arch_from_json("[1]", &out), ENAS_ERR_FORMAT, "enas_arch_from_json", "must be a JSON object");
    CHECK_ERROR(enas_arch_from_json("{\"first_activation\":\"tanh\",\"nodes\":[],\"output\":\"all_nodes\","
                                    "\"nodez\":1}",
                                    &out),
                ENAS_ERR_FORMAT, "enas_arch_from_json", "unknown key 'nodez'");
    CHECK_ERROR(enas_arch_from_json("{\"first_activation\":\"tanh\",\"nodes\":[{\"previous\":0,"
                                    "\"activation\":\"swish\"}],\"output\":\"all_nodes\"}",
                                    &out),
                ENAS_ERR_FORMAT, "enas_arch_from_json", "nodes.0.activation");
    CHECK_ERROR(enas_arch_from_json("{\"first_activation\":\"tanh\",\"nodes\":[{\"previous\":0,"
                                    "\"activation\":\"relu\"}]}",
                                    &out),
                ENAS_ERR_FORMAT, "enas_arch_from_json", "'output' is missing");
    CHECK_ERROR(enas_arch_from_json(NULL, &out), ENAS_ERR_INVALID_ARGUMENT, "enas_arch_from_json", "json is NULL");
    char small[4];
    needed = 0;
    CHECK_ERROR(enas_arch_to_string(lm, "rnn", small, sizeof small, &needed), ENAS_ERR_INVALID_ARGUMENT,
                "enas_arch_to_string", "cap = 4 is smaller than the 32 bytes needed");
    CHECK(needed == strlen(ENAS_LM_CELL) + 1, "needed %zu after a too-small buffer", needed);
    CHECK_ERROR(enas_arch_to_json(lm, NULL, 8, &needed), ENAS_ERR_INVALID_ARGUMENT, "enas_arch_to_json",
                "buf is NULL with cap = 8");
    CHECK_ERROR(enas_arch_to_dot(lm, NULL, 0, NULL), ENAS_ERR_INVALID_ARGUMENT, "enas_arch_to_dot",
                "buf and needed are both NULL");
    CHECK_ERROR(enas_arch_to_string(lm, "macro", NULL, 0, &needed), ENAS_ERR_INVALID_ARGUMENT, "enas_arch_to_string",
                "space = 'macro'");
    CHECK_ERROR(enas_arch_describe(NULL, NULL, 0, &needed), ENAS_ERR_INVALID_HANDLE, "enas_arch_describe",
                "arch is NULL");

    /* A tensor handle where an architecture is expected, and the reverse. */
    float one = 1.0f;
    enas_tensor *t = NULL;
    CHECK_OK(enas_tensor_create(&one, ENAS_DTYPE_F32, NULL, 0, &t));
    CHECK_ERROR(enas_arch_to_json((const enas_arch *)t, NULL, 0, &needed), ENAS_ERR_INVALID_HANDLE,
                "enas_arch_to_json", "is a tensor handle, not an arch");
    CHECK_ERROR(enas_arch_free((enas_arch *)t), ENAS_ERR_INVALID_HANDLE, "enas_arch_free", "not an arch");
    int32_t ndim = 0;
    CHECK_ERROR(enas_tensor_ndim((const enas_tensor *)lm, &ndim), ENAS_ERR_INVALID_HANDLE, "enas_tensor_ndim",
                "is an arch handle, not a tensor");
    CHECK_OK(enas_tensor_free(t));

    CHECK_OK(enas_arch_free(lm));
    CHECK_OK(enas_arch_free(paper));
    CHECK_ERROR(enas_arch_free(paper), ENAS_ERR_INVALID_HANDLE, "enas_arch_free", "not a live handle");
    CHECK_OK(enas_arch_free(NULL));
}

/* ---- Corpora ------------------------------------------------------------------------------------------------ */

#define VOCAB 10
#define N_TRAIN 400
#define N_VALID 120
#define N_TEST 120

/* A learnable synthetic stream: mostly a fixed cycle with a little noise. */
static void synthetic_tokens(int32_t *out, int64_t n, uint32_t seed) {
    uint32_t state = seed;
    for (int64_t i = 0; i < n; i++) {
        state = state * 1664525u + 1013904223u;
        out[i] = (state >> 28) == 0 ? (int32_t)((state >> 16) % VOCAB) : (int32_t)((i * 3) % VOCAB);
    }
}

static enas_corpus *make_corpus(uint32_t seed) {
    int32_t train[N_TRAIN], valid[N_VALID], test[N_TEST];
    synthetic_tokens(train, N_TRAIN, seed);
    synthetic_tokens(valid, N_VALID, seed + 1);
    synthetic_tokens(test, N_TEST, seed + 2);
    enas_corpus *corpus = NULL;
    CHECK_OK(enas_corpus_from_tokens(train, N_TRAIN, valid, N_VALID, test, N_TEST, ENAS_DTYPE_I32, VOCAB, &corpus));
    return corpus;
}

static void test_corpus(void) {
    enas_corpus *corpus = make_corpus(7);
    int64_t vocab = 0, n_train = 0, n_valid = 0, n_test = 0;
    CHECK_OK(enas_corpus_info(corpus, &vocab, &n_train, &n_valid, &n_test));
    CHECK(vocab == VOCAB && n_train == N_TRAIN && n_valid == N_VALID && n_test == N_TEST,
          "info %lld %lld %lld %lld", (long long)vocab, (long long)n_train, (long long)n_valid, (long long)n_test);

    int64_t wide[6] = {0, 1, 2, 3, 4, 5};
    enas_corpus *from_i64 = NULL;
    CHECK_OK(enas_corpus_from_tokens(wide, 6, wide, 3, wide + 3, 3, ENAS_DTYPE_I64, 6, &from_i64));
    CHECK_OK(enas_corpus_info(from_i64, &vocab, &n_train, &n_valid, &n_test));
    CHECK(vocab == 6 && n_train == 6 && n_valid == 3 && n_test == 3, "i64 corpus info");
    CHECK_OK(enas_corpus_free(from_i64));

    enas_corpus *head = NULL;
    CHECK_OK(enas_corpus_subset(corpus, 40, -1, 5, &head));
    CHECK_OK(enas_corpus_info(head, &vocab, &n_train, &n_valid, &n_test));
    CHECK(vocab == VOCAB && n_train == 40 && n_valid == N_VALID && n_test == 5, "subset info %lld %lld %lld",
          (long long)n_train, (long long)n_valid, (long long)n_test);
    CHECK_OK(enas_corpus_free(head));
    CHECK_ERROR(enas_corpus_subset(corpus, 1, -1, -1, &head), ENAS_ERR_INVALID_ARGUMENT, "enas_corpus_subset",
                "takes 2…");
    CHECK_ERROR(enas_corpus_subset(corpus, N_TRAIN + 1, -1, -1, &head), ENAS_ERR_INVALID_ARGUMENT, "enas_corpus_subset",
                "train tokens, got");
    CHECK_ERROR(enas_corpus_subset(corpus, -2, -1, -1, &head), ENAS_ERR_INVALID_ARGUMENT, "enas_corpus_subset",
                "n_train = -2");

    /* Misuse. */
    int32_t ids[4] = {0, 1, 2, 3};
    int32_t bad_ids[4] = {0, 1, 50, 3};
    enas_corpus *out = (enas_corpus *)(uintptr_t)0x1234;
    CHECK_ERROR(enas_corpus_from_tokens(ids, 4, ids, 4, ids, 4, ENAS_DTYPE_F32, 10, &out), ENAS_ERR_INVALID_ARGUMENT,
                "enas_corpus_from_tokens", "dtype = 0 is not a token type");
    CHECK(out == NULL, "a failed from_tokens left *out = %p", (void *)out);
    CHECK_ERROR(enas_corpus_from_tokens(ids, 4, ids, 4, ids, 4, 42, 10, &out), ENAS_ERR_INVALID_ARGUMENT,
                "enas_corpus_from_tokens", "dtype = 42");
    CHECK_ERROR(enas_corpus_from_tokens(ids, 4, ids, 4, ids, 4, ENAS_DTYPE_I32, 1, &out), ENAS_ERR_INVALID_ARGUMENT,
                "enas_corpus_from_tokens", "vocab_size = 1 is outside 2...16777216");
    CHECK_ERROR(enas_corpus_from_tokens(ids, 4, ids, 4, ids, 4, ENAS_DTYPE_I32, (int64_t)1 << 40, &out),
                ENAS_ERR_INVALID_ARGUMENT, "enas_corpus_from_tokens", "vocab_size = 1099511627776");
    CHECK_ERROR(enas_corpus_from_tokens(ids, -1, ids, 4, ids, 4, ENAS_DTYPE_I32, 10, &out), ENAS_ERR_INVALID_ARGUMENT,
                "enas_corpus_from_tokens", "n_train = -1 is negative");
    CHECK_ERROR(enas_corpus_from_tokens(ids, 4, NULL, 4, ids, 4, ENAS_DTYPE_I32, 10, &out), ENAS_ERR_INVALID_ARGUMENT,
                "enas_corpus_from_tokens", "valid is NULL with n_valid = 4");
    CHECK_ERROR(enas_corpus_from_tokens(ids, 4, ids, 4, ids, (int64_t)1 << 62, ENAS_DTYPE_I32, 10, &out),
                ENAS_ERR_SHAPE, "enas_corpus_from_tokens", "n_test");
    CHECK_ERROR(enas_corpus_from_tokens(ids, 4, bad_ids, 4, ids, 4, ENAS_DTYPE_I32, 10, &out),
                ENAS_ERR_INVALID_ARGUMENT, "enas_corpus_from_tokens", "valid[2] = 50 is outside 0..<10");
    CHECK_ERROR(enas_corpus_from_tokens(ids, 4, ids, 4, ids, 1, ENAS_DTYPE_I32, 10, &out), ENAS_ERR_INVALID_ARGUMENT,
                "enas_corpus_from_tokens", "test split has 1 tokens");
    CHECK_ERROR(enas_corpus_from_tokens(ids, 4, ids, 4, ids, 4, ENAS_DTYPE_I32, 10, NULL), ENAS_ERR_INVALID_ARGUMENT,
                "enas_corpus_from_tokens", "out is NULL");
    CHECK_ERROR(enas_corpus_load_ptb("/nonexistent/ptb", &out), ENAS_ERR_IO, "enas_corpus_load_ptb",
                "/nonexistent/ptb/ptb.train.txt");
    CHECK_ERROR(enas_corpus_load_ptb(NULL, &out), ENAS_ERR_INVALID_ARGUMENT, "enas_corpus_load_ptb",
                "directory is NULL");
    CHECK_ERROR(enas_corpus_info(corpus, &vocab, NULL, &n_valid, &n_test), ENAS_ERR_INVALID_ARGUMENT,
                "enas_corpus_info", "n_train is NULL");
    CHECK_ERROR(enas_corpus_info(NULL, &vocab, &n_train, &n_valid, &n_test), ENAS_ERR_INVALID_HANDLE,
                "enas_corpus_info", "corpus is NULL");
    CHECK_OK(enas_corpus_free(corpus));
    CHECK_ERROR(enas_corpus_info(corpus, &vocab, &n_train, &n_valid, &n_test), ENAS_ERR_INVALID_HANDLE,
                "enas_corpus_info", "not a live handle");
    CHECK_OK(enas_corpus_free(NULL));
}

/* ---- Searches ----------------------------------------------------------------------------------------------- */

static const char *TINY_SEARCH =
    "{\"epochs\":1,\"child\":{\"hidden_size\":8,\"node_count\":3},\"training\":{\"batch_size\":4,\"bptt\":5},"
    "\"windows_per_epoch\":3,\"controller_steps_per_epoch\":1,\"valid_batch_size\":2,\"derive_samples\":2,"
    "\"controller\":{\"hidden_size\":8},\"reinforce\":{\"samples_per_step\":2}}";

/* Two-call text of a search: state_json or history_json. malloc'd. */
static char *search_text(int32_t (*fn)(const enas_search *, char *, size_t, size_t *), const enas_search *search) {
    size_t needed = 0;
    if (fn(search, NULL, 0, &needed) != ENAS_OK) return NULL;
    char *buf = malloc(needed);
    if (fn(search, buf, needed, &needed) != ENAS_OK) {
        free(buf);
        return NULL;
    }
    return buf;
}

static int count_occurrences(const char *text, const char *needle) {
    int count = 0;
    for (const char *p = text; p && (p = strstr(p, needle)) != NULL; p += strlen(needle)) count++;
    return count;
}

typedef struct {
    int events;
    int stop_at;          /* return non-zero at this event (1-based); 0 = never */
    int cancel_thread_at; /* at this event, another thread calls enas_search_request_cancel */
    int bad_json;
    enas_search *search;
    int32_t reentrant_status;
    int state_ok;
} counter;

static int request_cancel_thread(void *search) {
    return enas_search_request_cancel((enas_search *)search) == ENAS_OK ? 0 : 1;
}

static int32_t count_events(const char *event_json, void *user) {
    counter *c = user;
    c->events++;
    if (event_json == NULL || event_json[0] != '{' || strstr(event_json, "\"phase\"") == NULL) c->bad_json++;
    if (c->search != NULL && c->events == 1) {
        /* Re-entering the running search is refused; reading its state is fine. */
        c->reentrant_status = enas_search_run(c->search, 1, NULL, NULL);
        char *state = search_text(enas_search_state_json, c->search);
        c->state_ok = state != NULL && strstr(state, "\"running\":true") != NULL;
        free(state);
    }
    if (c->cancel_thread_at != 0 && c->events == c->cancel_thread_at) {
        thrd_t thread;
        int result = -1;
        if (thrd_create(&thread, request_cancel_thread, c->search) == thrd_success) thrd_join(thread, &result);
        if (result != 0) c->bad_json++;
    }
    return c->stop_at != 0 && c->events == c->stop_at;
}

/* Copies parameter `name` of a search into a malloc'd buffer; *count gets its element count. */
static float *search_parameter(const enas_search *search, const char *name, size_t *count) {
    size_t needed = 0;
    CHECK_OK(enas_search_get_parameter(search, name, NULL, 0, &needed));
    float *values = malloc((needed ? needed : 1) * sizeof(float));
    CHECK_OK(enas_search_get_parameter(search, name, values, needed, &needed));
    *count = needed;
    return values;
}

static void test_search(void) {
    enas_corpus *corpus = make_corpus(11);
    enas_search *search = NULL;
    CHECK_OK(enas_search_create(TINY_SEARCH, corpus, &search));
    CHECK_OK(enas_corpus_free(corpus)); /* the search keeps its own reference */
    corpus = make_corpus(11);

    char *state = search_text(enas_search_state_json, search);
    CHECK(state != NULL && strstr(state, "\"epoch\":0") && strstr(state, "\"shared_weights_steps\":3") &&
              strstr(state, "\"controller_steps\":1") && strstr(state, "\"space\":\"rnn\"") &&
              strstr(state, "\"running\":false"),
          "state: %s", state);
    free(state);

    char log_path[] = "/tmp/enas_abi_smoke_XXXXXX";
    int fd = mkstemp(log_path);
    CHECK(fd >= 0, "mkstemp");
    close(fd);
    CHECK_OK(enas_search_set_log(search, log_path));

    /* One epoch = 3 phase-1 windows + 1 controller step = 4 events; re-entry from the callback is refused. */
    counter c = {0};
    c.search = search;
    CHECK_OK(enas_search_run(search, 1, count_events, &c));
    CHECK(c.events == 4 && c.bad_json == 0, "events %d, bad %d", c.events, c.bad_json);
    CHECK(c.reentrant_status == ENAS_ERR_INVALID_ARGUMENT, "re-entrant run returned %d", (int)c.reentrant_status);
    CHECK(c.state_ok, "state_json from the callback");
    char *history = search_text(enas_search_history_json, search);
    CHECK(history != NULL && history[0] == '[' && count_occurrences(history, "\"phase\"") == 4, "history: %s",
          history);
    free(history);
    CHECK_OK(enas_search_set_log(search, NULL));
    FILE *log = fopen(log_path, "r");
    int lines = 0;
    for (int ch; log && (ch = fgetc(log)) != EOF;) lines += ch == '\n';
    if (log) fclose(log);
    CHECK(lines == 4, "log has %d lines", lines);
    remove(log_path);

    /* Cancel from the callback at the second event: ENAS_ERR_CANCELLED, then resume. */
    counter stop = {0};
    stop.stop_at = 2;
    CHECK_ERROR(enas_search_run(search, 1, count_events, &stop), ENAS_ERR_CANCELLED, "enas_search_run", "stopped");
    CHECK(stop.events == 2, "cancelled run delivered %d events", stop.events);
    state = search_text(enas_search_state_json, search);
    CHECK(state != NULL && strstr(state, "\"epoch\":1") && strstr(state, "\"steps_done_in_epoch\":2"),
          "state after cancel: %s", state);
    free(state);
    counter resume = {0};
    CHECK_OK(enas_search_run(search, 1, count_events, &resume));
    CHECK(resume.events == 2, "resumed run delivered %d events", resume.events);

    /* A request from another thread during the run, and one made before a run. */
    counter threaded = {0};
    threaded.search = NULL;
    threaded.cancel_thread_at = 1;
    threaded.search = search;
    CHECK_ERROR(enas_search_run(search, 1, count_events, &threaded), ENAS_ERR_CANCELLED, "enas_search_run",
                "stopped");
    CHECK(threaded.events == 1, "a cross-thread cancel stopped after %d events", threaded.events);
    CHECK_OK(enas_search_request_cancel(search));
    CHECK_ERROR(enas_search_run(search, 1, NULL, NULL), ENAS_ERR_CANCELLED, "enas_search_run", "before the first step");
    CHECK_OK(enas_search_run(search, 0, NULL, NULL)); /* the request was consumed */
    CHECK_OK(enas_search_run(search, -1, NULL, NULL));

    /* Derive. */
    enas_arch *derived = NULL;
    double ppl = 0;
    CHECK_OK(enas_search_derive(search, 2, &derived, &ppl));
    CHECK(ppl > 1.0 && ppl < 1e6, "derived ppl %f", ppl);
    char *line = arch_text(enas_arch_describe, derived);
    CHECK(line != NULL && strstr(line, "output = mean") != NULL, "derived: %s", line);
    free(line);
    CHECK_OK(enas_arch_free(derived));
    CHECK_OK(enas_search_derive(search, 0, &derived, &ppl));
    CHECK_OK(enas_arch_free(derived));

    /* Parameters: names, shape, get, set, errors. */
    size_t needed = 0;
    CHECK_OK(enas_search_parameter_names_json(search, NULL, 0, &needed));
    char *names = malloc(needed);
    CHECK_OK(enas_search_parameter_names_json(search, names, needed, &needed));
    CHECK(strstr(names, "\"embedding.table\"") && strstr(names, "\"cell.w0\"") &&
              strstr(names, "\"controller.lstm.weight\""),
          "names: %s", names);
    free(names);
    int64_t shape[8] = {0};
    int32_t ndim = 0;
    CHECK_OK(enas_search_parameter_shape(search, "embedding.table", shape, 8, &ndim));
    CHECK(ndim == 2 && shape[0] == VOCAB && shape[1] == 8, "embedding shape (%lld, %lld)", (long long)shape[0],
          (long long)shape[1]);
    size_t count = 0;
    float *table = search_parameter(search, "embedding.table", &count);
    CHECK(count == VOCAB * 8, "embedding count %zu", count);
    for (size_t i = 0; i < count; i++) table[i] = 0.001f * (float)i;
    CHECK_OK(enas_search_set_parameter(search, "embedding.table", table, ENAS_DTYPE_F32, shape, 2));
    size_t count_again = 0;
    float *again = search_parameter(search, "embedding.table", &count_again);
    CHECK(count_again == count && memcmp(again, table, count * sizeof(float)) == 0, "set/get round trip");
    free(again);
    int64_t wrong[2] = {8, VOCAB};
    CHECK_ERROR(enas_search_set_parameter(search, "embedding.table", table, ENAS_DTYPE_F32, wrong, 2), ENAS_ERR_SHAPE,
                "enas_search_set_parameter", "has shape (10, 8), got shape (8, 10)");
    CHECK_ERROR(enas_search_set_parameter(search, "nope", table, ENAS_DTYPE_F32, shape, 2), ENAS_ERR_INVALID_ARGUMENT,
                "enas_search_set_parameter", "name = 'nope' is not a parameter");
    CHECK_ERROR(enas_search_set_parameter(search, "embedding.table", table, 9, shape, 2), ENAS_ERR_INVALID_ARGUMENT,
                "enas_search_set_parameter", "dtype = 9");
    CHECK_ERROR(enas_search_set_parameter(search, "embedding.table", NULL, ENAS_DTYPE_F32, shape, 2),
                ENAS_ERR_INVALID_ARGUMENT, "enas_search_set_parameter", "data is NULL");
    float small[3];
    CHECK_ERROR(enas_search_get_parameter(search, "embedding.table", small, 3, &needed), ENAS_ERR_INVALID_ARGUMENT,
                "enas_search_get_parameter", "cap_elements = 3 is smaller than the parameter's 80 elements");
    CHECK_ERROR(enas_search_parameter_shape(search, "embedding.table", shape, 1, &ndim), ENAS_ERR_INVALID_ARGUMENT,
                "enas_search_parameter_shape", "cap = 1 is smaller than the parameter's ndim 2");
    CHECK_ERROR(enas_search_parameter_shape(search, NULL, shape, 8, &ndim), ENAS_ERR_INVALID_ARGUMENT,
                "enas_search_parameter_shape", "name is NULL");

    /* Save, load, compare; a corpus with other tokens is refused. */
    char checkpoint[] = "/tmp/enas_abi_smoke_ckpt_XXXXXX";
    fd = mkstemp(checkpoint);
    CHECK(fd >= 0, "mkstemp");
    close(fd);
    CHECK_OK(enas_search_save(search, checkpoint));
    enas_search *loaded = NULL;
    CHECK_OK(enas_search_load(checkpoint, corpus, &loaded));
    float *restored = search_parameter(loaded, "embedding.table", &count_again);
    CHECK(count_again == count && memcmp(restored, table, count * sizeof(float)) == 0, "loaded parameters differ");
    free(restored);
    char *state_a = search_text(enas_search_state_json, search), *state_b = search_text(enas_search_state_json, loaded);
    CHECK(state_a && state_b && strcmp(state_a, state_b) == 0, "state after load:\n%s\n%s", state_a, state_b);
    free(state_a);
    free(state_b);
    CHECK_OK(enas_search_free(loaded));
    enas_corpus *other = make_corpus(99);
    enas_search *out = (enas_search *)(uintptr_t)0x1234;
    CHECK_ERROR(enas_search_load(checkpoint, other, &out), ENAS_ERR_INVALID_ARGUMENT, "enas_search_load",
                "other data");
    CHECK(out == NULL, "a failed load left *out = %p", (void *)out);
    CHECK_OK(enas_corpus_free(other));
    FILE *truncate_it = fopen(checkpoint, "r+b");
    if (truncate_it) {
        fseek(truncate_it, 0, SEEK_END);
        long size = ftell(truncate_it);
        fclose(truncate_it);
        CHECK(truncate(checkpoint, size / 2) == 0, "truncate");
    }
    CHECK_ERROR(enas_search_load(checkpoint, corpus, &out), ENAS_ERR_FORMAT, "enas_search_load", checkpoint);
    remove(checkpoint);
    CHECK_ERROR(enas_search_load("/nonexistent/search.ckpt", corpus, &out), ENAS_ERR_IO, "enas_search_load",
                "/nonexistent/search.ckpt");
    CHECK_ERROR(enas_search_save(search, "/dev/null/search.ckpt"), ENAS_ERR_IO, "enas_search_save",
                "/dev/null"); /* a folder that cannot exist: /dev/null is a file */
    free(table);

    /* Misuse: configs, arguments, wrong-kind and stale handles. */
    CHECK_ERROR(enas_search_create("{\"bogus\": 1}", corpus, &out), ENAS_ERR_INVALID_ARGUMENT, "enas_search_create",
                "unknown config key 'bogus'");
    CHECK_ERROR(enas_search_create("{\"child\": {\"hidden_sise\": 8}}", corpus, &out), ENAS_ERR_INVALID_ARGUMENT,
                "enas_search_create", "child.hidden_sise");
    CHECK_ERROR(enas_search_create("{\"preset\": \"tiny\"}", corpus, &out), ENAS_ERR_INVALID_ARGUMENT,
                "enas_search_create", "unknown preset 'tiny'");
    CHECK_ERROR(enas_search_create("{not json", corpus, &out), ENAS_ERR_FORMAT, "enas_search_create", "not valid JSON");
    CHECK_ERROR(enas_search_create(NULL, corpus, &out), ENAS_ERR_INVALID_ARGUMENT, "enas_search_create",
                "config_json is NULL");
    CHECK_ERROR(enas_search_create(TINY_SEARCH, NULL, &out), ENAS_ERR_INVALID_HANDLE, "enas_search_create",
                "corpus is NULL");
    CHECK_ERROR(enas_search_create(TINY_SEARCH, corpus, NULL), ENAS_ERR_INVALID_ARGUMENT, "enas_search_create",
                "out is NULL");
    CHECK_ERROR(enas_search_run(search, -2, NULL, NULL), ENAS_ERR_INVALID_ARGUMENT, "enas_search_run",
                "epochs = -2 is negative");
    CHECK_ERROR(enas_search_derive(search, -1, &derived, &ppl), ENAS_ERR_INVALID_ARGUMENT, "enas_search_derive",
                "samples = -1");
    CHECK_ERROR(enas_search_derive(search, 2, NULL, &ppl), ENAS_ERR_INVALID_ARGUMENT, "enas_search_derive",
                "out is NULL");
    CHECK_ERROR(enas_search_derive(search, 2, &derived, NULL), ENAS_ERR_INVALID_ARGUMENT, "enas_search_derive",
                "valid_metric is NULL");
    CHECK_ERROR(enas_search_set_log(search, ""), ENAS_ERR_INVALID_ARGUMENT, "enas_search_set_log", "path is empty");
    CHECK_ERROR(enas_search_state_json(search, NULL, 0, NULL), ENAS_ERR_INVALID_ARGUMENT, "enas_search_state_json",
                "buf and needed are both NULL");
    char tiny[2];
    CHECK_ERROR(enas_search_history_json(search, tiny, sizeof tiny, &needed), ENAS_ERR_INVALID_ARGUMENT,
                "enas_search_history_json", "cap = 2 is smaller");
    enas_arch *arch = NULL;
    CHECK_OK(enas_arch_parse(ENAS_LM_CELL, "rnn", &arch));
    CHECK_ERROR(enas_search_run((enas_search *)arch, 1, NULL, NULL), ENAS_ERR_INVALID_HANDLE, "enas_search_run",
                "search = 0x");
    CHECK_ERROR(enas_search_run((enas_search *)arch, 1, NULL, NULL), ENAS_ERR_INVALID_HANDLE, "enas_search_run",
                "is an arch handle, not a search");
    CHECK_ERROR(enas_search_create(TINY_SEARCH, (const enas_corpus *)arch, &out), ENAS_ERR_INVALID_HANDLE,
                "enas_search_create", "is an arch handle, not a corpus");
    CHECK_ERROR(enas_search_free((enas_search *)corpus), ENAS_ERR_INVALID_HANDLE, "enas_search_free",
                "is a corpus handle, not a search");
    CHECK_ERROR(enas_search_request_cancel((enas_search *)arch), ENAS_ERR_INVALID_HANDLE,
                "enas_search_request_cancel", "not a search");
    CHECK_OK(enas_arch_free(arch));
    CHECK_OK(enas_search_free(search));
    CHECK_ERROR(enas_search_state_json(search, NULL, 0, &needed), ENAS_ERR_INVALID_HANDLE, "enas_search_state_json",
                "not a live handle");
    CHECK_ERROR(enas_search_free(search), ENAS_ERR_INVALID_HANDLE, "enas_search_free", "not a live handle");
    CHECK_OK(enas_search_free(NULL));
    CHECK_OK(enas_corpus_free(corpus));
}

/* ---- Fixed models ------------------------------------------------------------------------------------------- */

static int32_t count_model_events(const char *event_json, void *user) {
    counter *c = user;
    c->events++;
    if (event_json == NULL || strstr(event_json, "\"loss\"") == NULL) c->bad_json++;
    return c->stop_at != 0 && c->events == c->stop_at;
}

static void test_model(void) {
    enas_corpus *corpus = make_corpus(5);
    enas_arch *arch = NULL;
    CHECK_OK(enas_arch_parse(ENAS_LM_CELL, "rnn", &arch));
    /* Without dropout and with lr 10, ten epochs learn the synthetic stream's cycle. */
    const char *config = "{\"epochs\":10,\"child\":{\"hidden_size\":8,\"embedding_dropout\":0,\"input_dropout\":0,"
                         "\"cell_input_dropout\":0,\"hidden_dropout\":0,\"output_dropout\":0},"
                         "\"training\":{\"batch_size\":4,\"bptt\":5,\"learning_rate\":{\"initial\":10}},"
                         "\"eval_batch_size\":2}";
    enas_model *model = NULL;
    CHECK_OK(enas_model_create(arch, config, corpus, &model));
    int64_t params = 0;
    CHECK_OK(enas_model_num_params(model, &params));
    /* embedding V·H + w0 (2H, 2H) + 8 nodes (H, 2H). */
    CHECK(params == VOCAB * 8 + 16 * 16 + 8 * 8 * 16, "num params %lld", (long long)params);

    double before = 0, after = 0;
    CHECK_OK(enas_model_evaluate(model, "valid", &before));
    counter c = {0};
    CHECK_OK(enas_model_train(model, -1, count_model_events, &c)); /* the config's 10 epochs */
    CHECK(c.events >= 100 && c.bad_json == 0, "model events %d, bad %d", c.events, c.bad_json);
    CHECK_OK(enas_model_evaluate(model, "valid", &after));
    CHECK(after < 0.8 * before, "valid ppl did not improve: %f → %f", before, after);
    counter none = {0};
    CHECK_OK(enas_model_train(model, -1, count_model_events, &none)); /* nothing left to train */
    CHECK(none.events == 0, "a finished model trained %d more windows", none.events);
    double test_ppl = 0;
    CHECK_OK(enas_model_evaluate(model, "test", &test_ppl));
    CHECK(test_ppl > 1.0 && test_ppl < VOCAB * 2.0, "test ppl %f", test_ppl);

    counter stop = {0};
    stop.stop_at = 3;
    CHECK_ERROR(enas_model_train(model, 1, count_model_events, &stop), ENAS_ERR_CANCELLED, "enas_model_train",
                "stopped");
    CHECK(stop.events == 3, "cancelled training delivered %d events", stop.events);
    CHECK_OK(enas_model_request_cancel(model));
    CHECK_ERROR(enas_model_train(model, 1, NULL, NULL), ENAS_ERR_CANCELLED, "enas_model_train", "before the first step");

    /* Parameters. */
    size_t needed = 0;
    CHECK_OK(enas_model_parameter_names_json(model, NULL, 0, &needed));
    char *names = malloc(needed);
    CHECK_OK(enas_model_parameter_names_json(model, names, needed, &needed));
    CHECK(strstr(names, "\"cell.node1.from0.sigmoid\"") && !strstr(names, "controller."), "model names: %s", names);
    free(names);
    int64_t shape[2] = {0};
    int32_t ndim = 0;
    CHECK_OK(enas_model_parameter_shape(model, "cell.w0", shape, 2, &ndim));
    CHECK(ndim == 2 && shape[0] == 16 && shape[1] == 16, "w0 shape");
    float w0[256];
    CHECK_OK(enas_model_get_parameter(model, "cell.w0", w0, 256, &needed));
    for (int i = 0; i < 256; i++) w0[i] = (float)i;
    CHECK_OK(enas_model_set_parameter(model, "cell.w0", w0, ENAS_DTYPE_F32, shape, 2));
    float back[256];
    CHECK_OK(enas_model_get_parameter(model, "cell.w0", back, 256, &needed));
    CHECK(needed == 256 && memcmp(w0, back, sizeof back) == 0, "model set/get round trip");
    int64_t flat[1] = {256};
    CHECK_ERROR(enas_model_set_parameter(model, "cell.w0", w0, ENAS_DTYPE_F32, flat, 1), ENAS_ERR_SHAPE,
                "enas_model_set_parameter", "has shape (16, 16), got shape (256)");
    CHECK_ERROR(enas_model_get_parameter(model, "cell.node1.from0.relu", back, 256, &needed),
                ENAS_ERR_INVALID_ARGUMENT, "enas_model_get_parameter", "name = 'cell.node1.from0.relu'");

    /* Misuse. */
    enas_model *out = (enas_model *)(uintptr_t)0x1234;
    CHECK_ERROR(enas_model_create(arch, "{\"epoch\": 1}", corpus, &out), ENAS_ERR_INVALID_ARGUMENT,
                "enas_model_create", "unknown config key 'epoch'");
    CHECK(out == NULL, "a failed model create left *out = %p", (void *)out);
    CHECK_ERROR(enas_model_create(arch, "[]", corpus, &out), ENAS_ERR_FORMAT, "enas_model_create", "object");
    CHECK_ERROR(enas_model_create((const enas_arch *)corpus, config, corpus, &out), ENAS_ERR_INVALID_HANDLE,
                "enas_model_create", "arch = 0x");
    CHECK_ERROR(enas_model_create(arch, config, (const enas_corpus *)arch, &out), ENAS_ERR_INVALID_HANDLE,
                "enas_model_create", "corpus = 0x");
    CHECK_ERROR(enas_model_create(arch, NULL, corpus, &out), ENAS_ERR_INVALID_ARGUMENT, "enas_model_create",
                "retrain_config_json is NULL");
    CHECK_ERROR(enas_model_evaluate(model, "validation", &after), ENAS_ERR_INVALID_ARGUMENT, "enas_model_evaluate",
                "split = 'validation'");
    CHECK_ERROR(enas_model_evaluate(model, "test", NULL), ENAS_ERR_INVALID_ARGUMENT, "enas_model_evaluate",
                "metric is NULL");
    CHECK_ERROR(enas_model_train(model, -5, NULL, NULL), ENAS_ERR_INVALID_ARGUMENT, "enas_model_train",
                "epochs = -5");
    CHECK_ERROR(enas_model_num_params(model, NULL), ENAS_ERR_INVALID_ARGUMENT, "enas_model_num_params",
                "out is NULL");
    CHECK_ERROR(enas_model_num_params((const enas_model *)arch, &params), ENAS_ERR_INVALID_HANDLE,
                "enas_model_num_params", "is an arch handle, not a model");
    CHECK_ERROR(enas_model_save(model, NULL), ENAS_ERR_INVALID_ARGUMENT, "enas_model_save", "path");
    CHECK_ERROR(enas_model_save(model, ""), ENAS_ERR_INVALID_ARGUMENT, "enas_model_save", "path is empty");
    {
        enas_model *loaded = NULL;
        enas_arch *model_arch = NULL;
        CHECK_ERROR(enas_model_load("/nonexistent/enas-model.ckpt", corpus, &loaded), ENAS_ERR_IO, "enas_model_load",
                    "cannot read");
        CHECK_ERROR(enas_model_load("/nonexistent/enas-model.ckpt", (const enas_corpus *)arch, &loaded),
                    ENAS_ERR_INVALID_HANDLE, "enas_model_load", "not a corpus");
        CHECK_ERROR(enas_model_architecture((const enas_model *)arch, &model_arch), ENAS_ERR_INVALID_HANDLE,
                    "enas_model_architecture", "is an arch handle, not a model");
        CHECK_OK(enas_model_architecture(model, &model_arch));
        CHECK_OK(enas_arch_free(model_arch));
    }
    CHECK_OK(enas_model_free(model));
    CHECK_ERROR(enas_model_free(model), ENAS_ERR_INVALID_HANDLE, "enas_model_free", "not a live handle");
    CHECK_OK(enas_model_free(NULL));
    CHECK_OK(enas_arch_free(arch));
    CHECK_OK(enas_corpus_free(corpus));
}

/* Reads a two-call text output into a malloc'd string (NULL on failure). */
static char *read_arch_text(int32_t (*fn)(const enas_arch *, char *, size_t, size_t *), const enas_arch *arch) {
    size_t needed = 0;
    if (fn(arch, NULL, 0, &needed) != ENAS_OK) return NULL;
    char *text = malloc(needed + 1);
    if (fn(arch, text, needed + 1, &needed) != ENAS_OK) { free(text); return NULL; }
    return text;
}

/* Image data from caller arrays (1×12×12, 3 classes), a tiny micro and macro search, derive, a CNN model trained,
 * evaluated, predicted, saved and loaded; CNN architectures parse, write and draw; misuse is reported. */
static void test_images(void) {
    enum { n_train = 64, n_test = 16, side = 12 };
    static uint8_t x_train[n_train * side * side], x_test[n_test * side * side];
    int32_t y_train[n_train], y_test[n_test];
    for (int i = 0; i < n_train * side * side; i++) x_train[i] = (uint8_t)(random_float() * 127 + 128);
    for (int i = 0; i < n_test * side * side; i++) x_test[i] = (uint8_t)(random_float() * 127 + 128);
    for (int i = 0; i < n_train; i++) y_train[i] = i % 3;
    for (int i = 0; i < n_test; i++) y_test[i] = i % 3;
    int64_t train_shape[4] = {n_train, 1, side, side}, test_shape[4] = {n_test, 1, side, side};
    enas_images *images = NULL;
    CHECK_OK(enas_images_from_arrays(x_train, train_shape, y_train, x_test, test_shape, y_test, ENAS_DTYPE_U8,
                                     ENAS_DTYPE_I32, 3, 16, &images));
    int64_t info[8] = {0};
    CHECK_OK(enas_images_info(images, info));
    CHECK(info[0] == 48 && info[1] == 16 && info[2] == 16 && info[3] == 1 && info[4] == side && info[6] == 3,
          "images info %lld %lld %lld %lld %lld %lld", (long long)info[0], (long long)info[1], (long long)info[2],
          (long long)info[3], (long long)info[4], (long long)info[6]);
    {
        enas_images *bad = NULL;
        y_train[5] = 3;
        CHECK_ERROR(enas_images_from_arrays(x_train, train_shape, y_train, x_test, test_shape, y_test, ENAS_DTYPE_U8,
                                            ENAS_DTYPE_I32, 3, 16, &bad),
                    ENAS_ERR_INVALID_ARGUMENT, "enas_images_from_arrays", "y_train[5] = 3");
        y_train[5] = 5 % 3;
        CHECK_ERROR(enas_images_from_arrays(x_train, train_shape, y_train, x_test, test_shape, y_test, ENAS_DTYPE_I64,
                                            ENAS_DTYPE_I32, 3, 16, &bad),
                    ENAS_ERR_INVALID_ARGUMENT, "enas_images_from_arrays", "not a pixel type");
        int64_t other[4] = {n_test, 1, side - 1, side + 1};
        CHECK_ERROR(enas_images_from_arrays(x_train, train_shape, y_train, x_test, other, y_test, ENAS_DTYPE_U8,
                                            ENAS_DTYPE_I32, 3, 16, &bad),
                    ENAS_ERR_SHAPE, "enas_images_from_arrays", "test split");
        enas_images *small = NULL;
        int64_t small_info[8] = {0};
        CHECK_OK(enas_images_subset(images, 10, -1, 4, &small));
        CHECK_OK(enas_images_info(small, small_info));
        CHECK(small_info[0] == 10 && small_info[1] == 16 && small_info[2] == 4 && small_info[6] == 3,
              "subset info %lld %lld %lld", (long long)small_info[0], (long long)small_info[1], (long long)small_info[2]);
        CHECK_OK(enas_images_free(small));
        CHECK_ERROR(enas_images_subset(images, 0, -1, -1, &bad), ENAS_ERR_INVALID_ARGUMENT, "enas_images_subset",
                    "n_train = 0");
        CHECK_ERROR(enas_images_subset(images, 49, -1, -1, &bad), ENAS_ERR_INVALID_ARGUMENT, "enas_images_subset",
                    "takes 1…48 train images, got 49");
        CHECK_ERROR(enas_images_subset(NULL, 1, 1, 1, &bad), ENAS_ERR_INVALID_HANDLE, "enas_images_subset", "images");
        CHECK(bad == NULL, "a failed subset leaves *out NULL");
        float test_pixels[n_test * side * side];
        int64_t test_labels[n_test];
        CHECK_OK(enas_images_read_split(images, "test", test_pixels, n_test * side * side, test_labels, n_test));
        CHECK(test_labels[4] == 4 % 3 && fabsf(test_pixels[7] - x_test[7] / 255.0f) < 1e-6f, "read_split values %f vs %d",
              (double)test_pixels[7], x_test[7]);
        CHECK_ERROR(enas_images_read_split(images, "test", test_pixels, n_test * side * side - 1, test_labels, n_test),
                    ENAS_ERR_SHAPE, "enas_images_read_split", "n_pixels must be");
        CHECK_ERROR(enas_images_read_split(images, "dev", test_pixels, 1, test_labels, 1), ENAS_ERR_INVALID_ARGUMENT,
                    "enas_images_read_split", "\"dev\"");
        CHECK_ERROR(enas_images_load_fashion_mnist("/nonexistent/fashion", 5000, &bad), ENAS_ERR_IO,
                    "enas_images_load_fashion_mnist", "/nonexistent/fashion");
        CHECK_ERROR(enas_images_load_cifar10(NULL, 5000, &bad), ENAS_ERR_INVALID_ARGUMENT, "enas_images_load_cifar10",
                    "directory is NULL");
        CHECK(bad == NULL, "a failed images call left *out set");
    }

    /* Architectures of the CNN spaces. */
    const char *micro = "0 2 0 0 0 4 0 1 0 4 1 1 1 0 0 1 0 2 1 1 1 0 1 0 0 3 0 2 1 1 3 1 1 0 0 4 0 3 1 1";
    enas_arch *cells = NULL, *macro = NULL, *wrong = NULL;
    CHECK_OK(enas_arch_parse(micro, "micro", &cells));
    CHECK_OK(enas_arch_parse("0 | 3 0 | 0 1 0", "macro", &macro));
    CHECK_ERROR(enas_arch_parse("0 3 0 0 1", "macro", &wrong), ENAS_ERR_FORMAT, "enas_arch_parse", "ends inside");
    CHECK_ERROR(enas_arch_parse("0 2 0", "mezzo", &wrong), ENAS_ERR_INVALID_ARGUMENT, "enas_arch_parse", "'mezzo'");
    char *space = read_arch_text(enas_arch_space, cells), *dot = read_arch_text(enas_arch_to_dot, cells);
    char *json = read_arch_text(enas_arch_to_json, macro);
    CHECK(space && strcmp(space, "micro") == 0, "space %s", space ? space : "(null)");
    CHECK(dot && strstr(dot, "cluster_normal") && strstr(dot, "cluster_reduce"), "micro dot %s", dot ? dot : "(null)");
    CHECK(json && strstr(json, "\"space\":\"macro\""), "macro json %s", json ? json : "(null)");
    if (json) {
        enas_arch *again = NULL;
        CHECK_OK(enas_arch_from_json(json, &again));
        char *text = NULL;
        size_t needed = 0;
        CHECK_OK(enas_arch_to_string(again, "macro", NULL, 0, &needed));
        text = malloc(needed + 1);
        CHECK_OK(enas_arch_to_string(again, "macro", text, needed + 1, &needed));
        CHECK(strcmp(text, "0 3 0 0 1 0") == 0, "macro round trip '%s'", text);
        free(text);
        CHECK_ERROR(enas_arch_to_string(again, "rnn", NULL, 0, &needed), ENAS_ERR_INVALID_ARGUMENT,
                    "enas_arch_to_string", "cannot write a macro");
        CHECK_OK(enas_arch_free(again));
    }
    CHECK_ERROR(enas_arch_from_json("{\"space\": \"micro\", \"normal\": [], \"reduce\": [], \"extra\": 1}", &wrong),
                ENAS_ERR_FORMAT, "enas_arch_from_json", "unknown key 'extra'");
    {
        size_t needed = 0;
        CHECK_OK(enas_arch_to_dot_cell(cells, "reduce", NULL, 0, &needed));
        CHECK_ERROR(enas_arch_to_dot_cell(macro, "normal", NULL, 0, &needed), ENAS_ERR_INVALID_ARGUMENT,
                    "enas_arch_to_dot_cell", "only micro");
    }
    free(space);
    free(dot);
    free(json);

    /* Searches of both spaces. */
    const char *configs[2] = {
        "{\"space\": \"micro\", \"layers\": 0, \"width\": 4, \"blocks\": 2, \"epochs\": 1, \"steps_per_epoch\": 3, "
        "\"controller_steps_per_epoch\": 2, \"training\": {\"batch_size\": 8}, \"reinforce\": {\"samples_per_step\": 2}, "
        "\"valid_batch_size\": 8, \"derive_samples\": 2}",
        "{\"space\": \"macro\", \"layers\": 2, \"width\": 4, \"epochs\": 1, \"steps_per_epoch\": 3, "
        "\"controller_steps_per_epoch\": 2, \"training\": {\"batch_size\": 8}, \"reinforce\": {\"samples_per_step\": 2}, "
        "\"valid_batch_size\": 8, \"derive_samples\": 2}"};
    enas_arch *derived = NULL;
    for (int k = 0; k < 2; k++) {
        enas_search *search = NULL;
        CHECK_OK(enas_search_create_images(configs[k], images, &search));
        CHECK_OK(enas_search_run(search, -1, NULL, NULL));
        double accuracy = -1;
        enas_arch *arch = NULL;
        CHECK_OK(enas_search_derive(search, 0, &arch, &accuracy));
        CHECK(accuracy >= 0 && accuracy <= 1, "derived validation accuracy %f", accuracy);
        char *kind = read_arch_text(enas_arch_space, arch);
        CHECK(kind && strcmp(kind, k == 0 ? "micro" : "macro") == 0, "derived space %s", kind ? kind : "(null)");
        free(kind);
        if (k == 0) derived = arch; else CHECK_OK(enas_arch_free(arch));
        CHECK_OK(enas_search_free(search));
    }
    {
        enas_search *search = NULL;
        enas_corpus *corpus = NULL;
        CHECK_ERROR(enas_search_create_images("{\"space\": \"micro\", \"widht\": 4}", images, &search),
                    ENAS_ERR_INVALID_ARGUMENT, "enas_search_create_images", "widht");
        CHECK_ERROR(enas_search_create_images("{}", (const enas_images *)cells, &search), ENAS_ERR_INVALID_HANDLE,
                    "enas_search_create_images", "not an images");
        int32_t tokens[64];
        for (int i = 0; i < 64; i++) tokens[i] = i % 5;
        CHECK_OK(enas_corpus_from_tokens(tokens, 64, tokens, 64, tokens, 64, ENAS_DTYPE_I32, 5, &corpus));
        CHECK_ERROR(enas_search_create("{\"space\": \"micro\"}", corpus, &search), ENAS_ERR_INVALID_ARGUMENT,
                    "enas_search_create", "enas_search_create_images");
        enas_model *model = NULL;
        CHECK_ERROR(enas_model_create(cells, "{}", corpus, &model), ENAS_ERR_INVALID_ARGUMENT, "enas_model_create",
                    "needs a recurrent cell");
        CHECK_OK(enas_corpus_free(corpus));
    }

    /* A CNN model: train, evaluate, predict, info, save, load. */
    enas_model *model = NULL;
    const char *retrain = "{\"epochs\": 1, \"layers\": 1, \"width\": 4, \"auxiliary_head\": false, "
                          "\"training\": {\"batch_size\": 8}}";
    CHECK_OK(enas_model_create_images(derived, retrain, images, &model));
    CHECK_OK(enas_model_train(model, -1, NULL, NULL));
    double test_accuracy = -1;
    CHECK_OK(enas_model_evaluate(model, "test", &test_accuracy));
    CHECK(test_accuracy >= 0 && test_accuracy <= 1, "test accuracy %f", test_accuracy);
    {
        size_t needed = 0;
        CHECK_OK(enas_model_predict(model, x_test, ENAS_DTYPE_U8, test_shape, NULL, 0, &needed));
        CHECK(needed == n_test * 3, "predict needs %zu", needed);
        float probabilities[n_test * 3];
        CHECK_OK(enas_model_predict(model, x_test, ENAS_DTYPE_U8, test_shape, probabilities, needed, &needed));
        float row = probabilities[0] + probabilities[1] + probabilities[2];
        CHECK(row > 0.999f && row < 1.001f, "probabilities sum to %f", row);
        int64_t other[4] = {n_test, 1, side, side - 1};
        CHECK_ERROR(enas_model_predict(model, x_test, ENAS_DTYPE_U8, other, probabilities, needed, &needed),
                    ENAS_ERR_SHAPE, "enas_model_predict", "the model takes 1×12×12");
        CHECK_ERROR(enas_model_predict(model, x_test, ENAS_DTYPE_U8, test_shape, probabilities, 3, &needed),
                    ENAS_ERR_INVALID_ARGUMENT, "enas_model_predict", "cap_elements = 3");
        char info_text[512];
        CHECK_OK(enas_model_info_json(model, info_text, sizeof info_text, &needed));
        CHECK(strstr(info_text, "\"metric\":\"accuracy\"") && strstr(info_text, "\"space\":\"micro\""), "info %s",
              info_text);
    }
    char path[] = "/tmp/enas-cnn-model-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    CHECK_OK(enas_model_save(model, path));
    enas_model *loaded = NULL;
    CHECK_OK(enas_model_load_images(path, images, &loaded));
    double again = -1;
    CHECK_OK(enas_model_evaluate(loaded, "test", &again));
    CHECK(again == test_accuracy, "a loaded model evaluates to %f, the saved one %f", again, test_accuracy);
    remove(path);
    CHECK_OK(enas_model_free(loaded));
    CHECK_OK(enas_model_free(model));
    CHECK_OK(enas_arch_free(derived));
    CHECK_OK(enas_arch_free(cells));
    CHECK_OK(enas_arch_free(macro));
    CHECK_OK(enas_images_free(images));
    CHECK_OK(enas_images_free(NULL));
}

int main(void) {
    test_version();
    test_tensor_roundtrip();
    test_gemm();
    test_misuse();
    test_architectures();
    test_corpus();
    test_search();
    test_model();
    test_images();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
