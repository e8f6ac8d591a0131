/* A C program against enas.h and libenas.so: the ABI contract as a C caller sees it.
 * Build and run: Tests/c/run.sh <directory holding libenas.so>
 * Checks versions, tensor create / shape / copy-out / free for every dtype, enas_gemm against a naive loop for every
 * transpose combination on awkward sizes, and misuse (NULL pointers, stale, double-freed and garbage handles, bad
 * shapes and dtypes, too-small buffers): each must return its status and name the function in enas_last_error(). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

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

int main(void) {
    test_version();
    test_tensor_roundtrip();
    test_gemm();
    test_misuse();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
