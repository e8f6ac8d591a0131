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
 *   - Strings passed in are NUL-terminated UTF-8 (invalid UTF-8 is ENAS_ERR_INVALID_ARGUMENT). Text outputs use the
 *     two-call pattern with `char *buf, size_t cap, size_t *needed`: *needed counts the bytes INCLUDING the
 *     terminating NUL; pass buf = NULL, cap = 0 to learn it, then call again with cap ≥ *needed.
 *   - Configurations cross as strict JSON objects with snake_case keys; an unknown key is an error that names it.
 *
 * Thread safety: the library may be called from any thread. A handle must be used by one thread at a time (the
 * caller serializes calls on the same handle, including its free). Creating, freeing and looking up different handles
 * from different threads concurrently is safe. enas_last_error() is per thread. enas_set_num_threads() affects
 * every thread and should not be called while another thread is inside a computation. Exceptions to the
 * one-thread-per-handle rule: enas_search_request_cancel, enas_model_request_cancel and enas_search_state_json may
 * be called from any thread at any time, also while another thread is inside enas_search_run / enas_model_train.
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
#define ENAS_ABI_VERSION 3

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

/* An immutable, validated architecture of one space: a recurrent cell ("rnn"), a macro or a micro CNN. */
typedef struct enas_arch enas_arch;

/* An immutable language-modelling corpus: train/valid/test token streams over one vocabulary. */
typedef struct enas_corpus enas_corpus;

/* Immutable image data: train/validation/test splits (N×C×H×W), class count, normalization and augmentation. */
typedef struct enas_images enas_images;

/* A neural architecture search in progress: shared weights ω, controller θ, optimizer and random state. */
typedef struct enas_search enas_search;

/* One fixed architecture trained from scratch (retraining), with its own weights. */
typedef struct enas_model enas_model;

/* ---- Events ------------------------------------------------------------------------------------------------- */

/* Called after every step of enas_search_run / enas_model_train on the calling thread, with one JSON object (valid
 * only during the call; copy it to keep it) and the caller's `user` pointer. Return 0 to continue; any other value
 * asks the run to stop at this step boundary, which then returns ENAS_ERR_CANCELLED with the state consistent (a
 * later run resumes where it stopped). A stop asked at the run's very last step ends it normally (ENAS_OK).
 * The callback may call the read-only functions of the running handle (state, history, parameters), its save and
 * request_cancel; run, derive, set_log and set_parameter on the same handle return ENAS_ERR_INVALID_ARGUMENT.
 * The event is one compact JSON object with sorted keys. Its keys (absent when not applicable): phase
 * ("shared_weights", "controller"; "retrain" for enas_model_train), epoch, step, steps (the phase's length; for
 * enas_model_train the step and total of this call), loss (training cross-entropy, nats/token or per image), ppl
 * (recurrent), acc (CNN: the minibatch's training accuracy in phase 1, the samples' mean validation accuracy in
 * phase 2 and derive), reward, baseline,
 * entropy, lr, architecture (one-line form), seconds (since the run began), eta_seconds, threads. NaN or infinite
 * values are written as null. */
typedef int32_t (*enas_event_fn)(const char *event_json, void *user);

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

/* ---- Architectures ------------------------------------------------------------------------------------------ */
/* Recurrent cells (DESIGN.md §2). Two integer-string forms, named by `space`:
 *   "rnn"     google-research enas_lm's `p1 f1 … pN fN` (f: 0 tanh, 1 ReLU, 2 sigmoid, 3 identity); node 0 is tanh
 *             and the output averages all nodes, e.g. the published cell "0 2 1 0 2 1 2 2 4 0 5 0 3 2 6 2".
 *   "rnn-v1"  melodyguan/enas's `f0 p1 f1 … pN fN` (f: 0 tanh, 1 ReLU, 2 identity, 3 sigmoid); the output averages the
 *             loose ends, e.g. the paper's PTB cell "0 0 0 1 1 2 1 2 0 2 0 5 1 1 0 6 1 8 1 8 1 8 1".
 * The JSON form carries everything: {"first_activation": "tanh", "nodes": [{"previous": 0, "activation": "relu"},
 * …], "output": "all_nodes" | "loose_ends"}, activations "tanh", "relu", "identity", "sigmoid".
 * CNN architectures (DESIGN §2):
 *   "macro"   per layer i: op then i skip bits (ops 0 conv3x3, 1 sep_conv3x3, 2 conv5x5, 3 sep_conv5x5,
 *             4 avg_pool3x3, 5 max_pool3x3); L(L+1)/2 integers.
 *   "micro"   the normal cell then the reduction cell, per block `idx1 op1 idx2 op2` (idx 0 = cell k-2, 1 = cell
 *             k-1, ≥ 2 = earlier block; ops 0 sep_conv3x3, 1 sep_conv5x5, 2 avg_pool3x3, 3 max_pool3x3, 4 identity).
 * Their JSON: {"space": "macro", "layers": [{"operation": "conv3x3", "skips": [true, …]}, …]} or {"space": "micro",
 * "normal": [{"inputs": [0, 1], "operations": ["sep_conv3x3", "identity"]}, …], "reduce": […]}. */

/* Parses `text` (integers separated by spaces, commas, tabs, newlines or '|') in the form `space` ("rnn", "rnn-v1",
 * "macro" or "micro").
 * An unknown space is ENAS_ERR_INVALID_ARGUMENT; a malformed string (not integers, wrong count, an activation code
 * out of range, a node reading itself or a later node) is ENAS_ERR_FORMAT. Free with enas_arch_free. */
int32_t enas_arch_parse(const char *text, const char *space, enas_arch **out);

/* Reads the JSON form. Invalid JSON, unknown or missing keys and invalid values are ENAS_ERR_FORMAT. */
int32_t enas_arch_from_json(const char *json, enas_arch **out);

/* Two-call pattern: the integer string of the architecture in the form `space` (a CNN architecture only in its own
 * space's form; another is ENAS_ERR_INVALID_ARGUMENT). The "rnn" form cannot express a
 * node-0 activation other than tanh: that is ENAS_ERR_INVALID_ARGUMENT, never a silent change. Neither string
 * carries the output mode (see enas_arch_describe / enas_arch_to_json). */
int32_t enas_arch_to_string(const enas_arch *arch, const char *space, char *buf, size_t cap, size_t *needed);

/* Two-call pattern: the JSON form (keys sorted, no whitespace). */
int32_t enas_arch_to_json(const enas_arch *arch, char *buf, size_t cap, size_t *needed);

/* Two-call pattern: a Graphviz DOT digraph (`dot -Tsvg`): the recurrent cell, the macro network, or both micro
 * cells as two clusters. */
int32_t enas_arch_to_dot(const enas_arch *arch, char *buf, size_t cap, size_t *needed);

/* Two-call pattern: one micro cell ("normal" or "reduce") as its own digraph; other spaces are
 * ENAS_ERR_INVALID_ARGUMENT. */
int32_t enas_arch_to_dot_cell(const enas_arch *arch, const char *cell, char *buf, size_t cap, size_t *needed);

/* Two-call pattern: the architecture's space: "rnn", "macro" or "micro". */
int32_t enas_arch_space(const enas_arch *arch, char *buf, size_t cap, size_t *needed);

/* Two-call pattern: one line, e.g. "0:tanh 1←0:sigmoid 2←1:tanh … | output = mean(all nodes 1, 2, …)". */
int32_t enas_arch_describe(const enas_arch *arch, char *buf, size_t cap, size_t *needed);

/* Frees an architecture. NULL is a no-op (ENAS_OK); a stale or already freed handle is ENAS_ERR_INVALID_HANDLE. */
int32_t enas_arch_free(enas_arch *arch);

/* ---- Corpora ------------------------------------------------------------------------------------------------- */

/* Loads Mikolov's Penn Treebank files ptb.train.txt, ptb.valid.txt and ptb.test.txt from `directory` (one <eos>
 * per line; vocabulary from the training split). A missing file is ENAS_ERR_IO; nothing is written there. */
int32_t enas_corpus_load_ptb(const char *directory, enas_corpus **out);

/* A corpus from the caller's token id streams of element type `dtype` (ENAS_DTYPE_I32 or ENAS_DTYPE_I64 only):
 * train[0..n_train), valid[0..n_valid), test[0..n_test). Every id must lie in 0 ≤ id < vocab_size, with
 * 2 ≤ vocab_size ≤ 2^24; each split needs at least 2 tokens (and enough for the batch sizes of the configs used
 * with it). Counts must be ≥ 0; a pointer may be NULL only when its count is 0. The tokens are copied. */
int32_t enas_corpus_from_tokens(const void *train, int64_t n_train, const void *valid, int64_t n_valid,
                                const void *test, int64_t n_test, int32_t dtype, int64_t vocab_size,
                                enas_corpus **out);

/* Writes the vocabulary size and the length (tokens) of each split. Every pointer must be non-NULL. */
int32_t enas_corpus_info(const enas_corpus *corpus, int64_t *vocab_size, int64_t *n_train, int64_t *n_valid,
                         int64_t *n_test);

/* A new corpus holding the first n_train, n_valid and n_test tokens of `corpus`' splits (-1: the whole split) over
 * the same vocabulary: quick runs at a small budget. Each count must be -1 or 2 … the split's length
 * (ENAS_ERR_INVALID_ARGUMENT otherwise). */
int32_t enas_corpus_subset(const enas_corpus *corpus, int64_t n_train, int64_t n_valid, int64_t n_test,
                           enas_corpus **out);

/* Frees a corpus. Searches and models created from it keep their own reference: it may be freed right after. */
int32_t enas_corpus_free(enas_corpus *corpus);

/* ---- Image data ---------------------------------------------------------------------------------------------- */

/* Fashion-MNIST (1×28×28, 10 classes) from the gzip'd IDX files in `directory` (NULL: Debian's package location
 * /usr/share/datasets/fashion-mnist); the last `validation_count` training images form the validation split.
 * Augmentation of training batches: 2-pixel pad + crop and horizontal flip. A missing file is ENAS_ERR_IO; a
 * truncated one or a wrong magic number ENAS_ERR_FORMAT. */
int32_t enas_images_load_fashion_mnist(const char *directory, int64_t validation_count, enas_images **out);

/* CIFAR-10 binary batches (data_batch_1..5.bin, test_batch.bin) in `directory`; the last `validation_count`
 * training images validate (the authors' 5,000). Augmentation: 4-pixel pad + crop and horizontal flip. */
int32_t enas_images_load_cifar10(const char *directory, int64_t validation_count, enas_images **out);

/* Image data from the caller's arrays (copied): pixels x_* of shape *_shape[4] = (N, C, H, W) and element type
 * `dtype` (ENAS_DTYPE_U8: 0…255, read as value/255; ENAS_DTYPE_F32: used as given, finite), labels y_* (N values of
 * `label_dtype`, ENAS_DTYPE_I32 or ENAS_DTYPE_I64) in 0 ≤ y < n_classes. Any size and class count (≥ 2); train and
 * test must share C, H and W. The last `validation_count` training images validate. No augmentation. */
int32_t enas_images_from_arrays(const void *x_train, const int64_t *train_shape, const void *y_train,
                                const void *x_test, const int64_t *test_shape, const void *y_test, int32_t dtype,
                                int32_t label_dtype, int64_t n_classes, int64_t validation_count, enas_images **out);

/* Writes info[0..8): n_train, n_valid, n_test, channels, height, width, n_classes, augmentation flags (bit 0: pad +
 * crop, bit 1: horizontal flip). */
int32_t enas_images_info(const enas_images *images, int64_t *info);

/* Copies the split "train", "valid" or "test" out: `pixels` receives its N × C × H × W values as float32 on the
 * scale the library computes with (uint8 sources as value/255, before normalization), `labels` its N labels.
 * n_pixels and n_labels must equal N × C × H × W and N (enas_images_info gives them; ENAS_ERR_SHAPE otherwise). */
int32_t enas_images_read_split(const enas_images *images, const char *split, float *pixels, int64_t n_pixels,
                               int64_t *labels, int64_t n_labels);

/* A new image data set holding the first n_train, n_valid and n_test images of `images`' splits (-1: the whole
 * split), with the same augmentation and the normalization of the smaller training split: quick runs at a small
 * budget. Each count must be -1 or 1 … the split's size (ENAS_ERR_INVALID_ARGUMENT otherwise). */
int32_t enas_images_subset(const enas_images *images, int64_t n_train, int64_t n_valid, int64_t n_test,
                           enas_images **out);

/* Frees image data. Searches and models created from it keep their own reference. */
int32_t enas_images_free(enas_images *images);

/* ---- Searches (recurrent cells over a corpus; macro and micro CNNs over images) ------------------------------- */

/* Creates a search over `corpus` from a strict JSON config: {} for the defaults (the "paper" preset), or
 * {"preset": "enas_lm", ...} and any field overrides, e.g. {"seed": 7, "epochs": 1, "child": {"hidden_size": 8,
 * "node_count": 3}, "training": {"batch_size": 4, "bptt": 5}, "windows_per_epoch": 3, "strategy": "random"}.
 * An unknown key or a value outside its domain is ENAS_ERR_INVALID_ARGUMENT naming it; text that is not a JSON
 * object is ENAS_ERR_FORMAT. A non-zero "threads" sets the process-wide thread count. */
int32_t enas_search_create(const char *config_json, const enas_corpus *corpus, enas_search **out);

/* Creates a CNN search over `images` from a strict JSON config: {"space": "micro"} (the default space) or
 * {"space": "macro"} laid over that space's "paper" preset, plus any overrides, e.g. {"space": "micro", "layers": 1,
 * "width": 16, "blocks": 3, "epochs": 10, "training": {"batch_size": 32}, "controller_steps_per_epoch": 10}.
 * Errors as enas_search_create. */
int32_t enas_search_create_images(const char *config_json, const enas_images *images, enas_search **out);

/* Restores a search saved by enas_search_save. `corpus` must hold the same tokens it was searching
 * (ENAS_ERR_INVALID_ARGUMENT otherwise); a missing file is ENAS_ERR_IO, a truncated or foreign one ENAS_ERR_FORMAT. */
int32_t enas_search_load(const char *path, const enas_corpus *corpus, enas_search **out);

/* Restores a CNN search saved by enas_search_save; `images` must be the data it was searching (checked). */
int32_t enas_search_load_images(const char *path, const enas_images *images, enas_search **out);

/* Writes the whole search state (ω, θ, optimizer moments, baseline, random streams, data cursors, epoch/phase/step,
 * config, history) to `path` atomically (temporary file, fsync, rename). A search resumed from it continues exactly
 * as one that never stopped (same thread count). May be called from the run's event callback. */
int32_t enas_search_save(const enas_search *search, const char *path);

/* Appends one JSON object per step to the file at `path` from now on (the file is created or truncated, with its
 * folder); NULL stops logging. */
int32_t enas_search_set_log(enas_search *search, const char *path);

/* Runs `epochs` more search epochs (each is phase 1, ω on training windows, then phase 2, θ by REINFORCE); -1 runs
 * the config's remaining epochs (its "epochs" minus those done). Calls `callback` (may be NULL) after every step.
 * Returns ENAS_ERR_CANCELLED when the callback returned non-zero or enas_search_request_cancel was called; the
 * search then stops at that step boundary with its state consistent, and calling run again resumes it. Returns
 * ENAS_ERR_NUMERIC when too many children in a row had a non-finite loss. */
int32_t enas_search_run(enas_search *search, int32_t epochs, enas_event_fn callback, void *user);

/* Asks a run of this search to stop at its next step boundary (ENAS_ERR_CANCELLED). Thread-safe: may be called from
 * any thread, also while another thread is inside enas_search_run (for callers without a callback, e.g. a watchdog
 * or a UI thread). A request stays pending until it stops a run: one made while no run is in progress (or during a
 * run's last step, which then ends normally) makes the next run return ENAS_ERR_CANCELLED before its first step. */
int32_t enas_search_request_cancel(enas_search *search);

/* Two-call pattern: the search's log records so far as a JSON array (one object per step, as the events, plus the
 * derive samples with phase "derive"). */
int32_t enas_search_history_json(const enas_search *search, char *buf, size_t cap, size_t *needed);

/* Two-call pattern: a JSON object with the progress and set-up: space, strategy, epoch (completed epochs), epochs
 * (configured), phase, step, shared_weights_steps and controller_steps (per epoch), steps_done_in_epoch,
 * history_length, non_finite_in_a_row, shared_parameter_count, controller_parameter_count, threads, running,
 * log_path and config (the full config). Thread-safe: during a run it is the snapshot of the last step boundary. */
int32_t enas_search_state_json(const enas_search *search, char *buf, size_t cap, size_t *needed);

/* Derives an architecture: samples `samples` architectures from the controller (uniformly for the "random" strategy;
 * 0 uses the config's derive_samples), scores each on the same validation minibatch and returns the best as a new
 * handle in *out and its score in *valid_metric: validation perplexity (rnn, lowest kept) or validation accuracy
 * (macro/micro, highest kept) — a search metric, not a final one. */
int32_t enas_search_derive(enas_search *search, int32_t samples, enas_arch **out, double *valid_metric);

/* Two-call pattern: the names of the search's parameters as a sorted JSON array of strings: the shared weights ω
 * and the controller's θ (names starting with "controller."). docs/parameters.md gives their shapes and layouts. */
int32_t enas_search_parameter_names_json(const enas_search *search, char *buf, size_t cap, size_t *needed);

/* The shape of parameter `name`, as enas_tensor_shape: *ndim_out always, shape[0..ndim) when shape is not NULL. An
 * unknown name is ENAS_ERR_INVALID_ARGUMENT. */
int32_t enas_search_parameter_shape(const enas_search *search, const char *name, int64_t *shape, int32_t cap,
                                    int32_t *ndim_out);

/* Two-call pattern, as enas_tensor_copy_out: copies parameter `name` (row-major float32) to buf[0..count). */
int32_t enas_search_get_parameter(const enas_search *search, const char *name, float *buf, size_t cap_elements,
                                  size_t *needed);

/* Replaces parameter `name` with the array `data` of element type `dtype` (converted to float32) and shape
 * shape[0..ndim), which must equal the parameter's (ENAS_ERR_SHAPE otherwise, with nothing changed). Optimizer
 * state is kept. */
int32_t enas_search_set_parameter(enas_search *search, const char *name, const void *data, int32_t dtype,
                                  const int64_t *shape, int32_t ndim);

/* Frees a search. NULL is a no-op (ENAS_OK); a stale or already freed handle is ENAS_ERR_INVALID_HANDLE. */
int32_t enas_search_free(enas_search *search);

/* ---- Fixed models (retraining one architecture) -------------------------------------------------------------- */

/* Creates a model of `arch` with fresh weights, to be trained on `corpus`, from a strict JSON retrain config ({} for
 * the defaults; keys seed, threads, epochs, child, training, eval_batch_size, averaging_start_epoch: evaluate with
 * the running mean of the weights from that epoch on, −1 off). Its child.node_count is taken from the architecture.
 * Its metrics are final metrics, not search metrics. */
int32_t enas_model_create(const enas_arch *arch, const char *retrain_config_json, const enas_corpus *corpus,
                          enas_model **out);

/* Creates a CNN (fixed mode: exactly the operations `arch` names) with fresh weights, to be trained on `images`, from
 * a strict JSON retrain config laid over the "paper" preset of the architecture's space (keys seed, threads,
 * epochs, layers, width, auxiliary_head, auxiliary_weight, regularization {drop_path_keep, head_dropout}, training
 * {batch_size, learning_rate, momentum, weight_decay, gradient_clip, augment, cutout}, eval_batch_size). */
int32_t enas_model_create_images(const enas_arch *arch, const char *retrain_config_json, const enas_images *images,
                                 enas_model **out);

/* Saves the model's whole training state (weights, data cursor, hidden state, random streams, config) atomically
 * to `path` (a temporary file, fsync, rename). Allowed inside the model's own event callback. */
int32_t enas_model_save(const enas_model *model, const char *path);

/* Restores a model saved by enas_model_save; `corpus` must hold the same tokens (checked). Training continues
 * bit-identically to a run that never stopped. A truncated or foreign file is ENAS_ERR_FORMAT. */
int32_t enas_model_load(const char *path, const enas_corpus *corpus, enas_model **out);

/* Restores a CNN model saved by enas_model_save (weights, BN running statistics, momentum, data order, random
 * streams); `images` must be the data it trained on (checked). */
int32_t enas_model_load_images(const char *path, const enas_images *images, enas_model **out);

/* A new architecture handle holding the model's architecture (free it with enas_arch_free). */
int32_t enas_model_architecture(const enas_model *model, enas_arch **out);

/* Writes the number of scalars in the model's parameters (a CNN's auxiliary head included). */
int32_t enas_model_num_params(const enas_model *model, int64_t *out);

/* Two-call pattern: a JSON object: space, num_params, num_params_without_auxiliary, epoch (completed), epochs
 * (configured), metric ("perplexity" or "accuracy"), and for CNNs input_shape [C, H, W] and classes. */
int32_t enas_model_info_json(const enas_model *model, char *buf, size_t cap, size_t *needed);

/* Two-call pattern for CNN models: class probabilities (row-major N × classes float32) of the N images `images` of
 * shape shape[4] = (N, C, H, W) and element type `dtype` (ENAS_DTYPE_U8 or ENAS_DTYPE_F32, the same pixel scale as
 * the training data), in evaluation mode. *needed = N × classes. A recurrent model is ENAS_ERR_INVALID_ARGUMENT; a
 * C, H or W other than the model's is ENAS_ERR_SHAPE. */
int32_t enas_model_predict(enas_model *model, const void *images, int32_t dtype, const int64_t *shape,
                           float *probabilities, size_t cap_elements, size_t *needed);

/* Trains `epochs` more passes over the training split (-1: the config's remaining epochs), calling `callback` (may
 * be NULL) after every window. Cancellation as enas_search_run. */
int32_t enas_model_train(enas_model *model, int32_t epochs, enas_event_fn callback, void *user);

/* Asks a training run to stop at its next window boundary; thread-safe, as enas_search_request_cancel. */
int32_t enas_model_request_cancel(enas_model *model);

/* Writes the model's final metric on the whole split "train", "valid" or "test" (evaluation mode) to *metric:
 * perplexity for a recurrent model, top-1 accuracy for a CNN. */
int32_t enas_model_evaluate(enas_model *model, const char *split, double *metric);

/* Parameter access, as the enas_search_* functions of the same names. */
int32_t enas_model_parameter_names_json(const enas_model *model, char *buf, size_t cap, size_t *needed);
int32_t enas_model_parameter_shape(const enas_model *model, const char *name, int64_t *shape, int32_t cap,
                                   int32_t *ndim_out);
int32_t enas_model_get_parameter(const enas_model *model, const char *name, float *buf, size_t cap_elements,
                                 size_t *needed);
int32_t enas_model_set_parameter(enas_model *model, const char *name, const void *data, int32_t dtype,
                                 const int64_t *shape, int32_t ndim);

/* Frees a model. NULL is a no-op (ENAS_OK); a stale or already freed handle is ENAS_ERR_INVALID_HANDLE. */
int32_t enas_model_free(enas_model *model);

#ifdef __cplusplus
}
#endif

#endif /* ENAS_H */
