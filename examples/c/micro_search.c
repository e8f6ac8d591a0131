/*
 * micro_search.c — the library's main job from C: ENAS searches micro-CNN cells on Fashion-MNIST, derives the best
 * cells, retrains them from scratch and reports their test accuracy, all through enas.h.
 *
 * Build (from the repository root, after `swift build -c release`):
 *   cc -std=c11 -I Sources/CENAS/include examples/c/micro_search.c -L .build/release -lenas \
 *      -Wl,-rpath,$PWD/.build/release -lm -o micro_search
 * Run:
 *   ./micro_search --tiny                  # a few seconds: the whole pipeline on 256 images
 *   ./micro_search --epochs 3 --out runs/c_example
 *   dot -Tsvg runs/c_example/cells.dot > cells.svg
 * Writes OUT/search.jsonl (one JSON object per step), OUT/search.ckpt (resumable search) and OUT/cells.dot.
 * Ctrl-C stops at the next step boundary (the search is saved first); a second Ctrl-C kills the program.
 */
#define _POSIX_C_SOURCE 200809L /* mkdir, sigaction */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "enas.h"

#define PATH_CAP 4096

struct options {
    const char *data_dir; /* NULL: Debian's dataset-fashion-mnist location */
    const char *out_dir;
    long train, valid, test; /* subset sizes; -1 keeps a whole split */
    long epochs, steps_per_epoch, controller_steps, derive_samples, batch_size, valid_batch_size;
    long width, layers, blocks;
    long retrain_epochs, retrain_batch_size;
    long every; /* a progress line every `every` steps */
};

static void usage(FILE *to) {
    fputs("usage: micro_search [--data DIR] [--out DIR] [--train N] [--epochs N] [--retrain-epochs N]\n"
          "                    [--width N] [--layers N] [--every N] [--tiny]\n"
          "  --data DIR          Fashion-MNIST's .gz files (default: /usr/share/datasets/fashion-mnist)\n"
          "  --out DIR           log, checkpoint and cells.dot (default: runs/c_example)\n"
          "  --train N           training images used (default 5000)\n"
          "  --epochs N          search epochs (default 3)\n"
          "  --retrain-epochs N  epochs retraining the derived cells (default 3)\n"
          "  --width N           channels of the first stage, even (default 16)\n"
          "  --layers N          normal cells per stage (default 1)\n"
          "  --every N           a progress line every N steps (default 10)\n"
          "  --tiny              a few-second run (flags after it still apply)\n",
          to);
}

/* The tiny configuration the tests run: every stage of the pipeline, a few steps each. */
static void make_tiny(struct options *o) {
    o->train = 256, o->valid = 128, o->test = 256;
    o->epochs = 1, o->steps_per_epoch = 4, o->controller_steps = 2, o->derive_samples = 3;
    o->batch_size = 64, o->valid_batch_size = 64;
    o->width = 4, o->layers = 0, o->blocks = 2;
    o->retrain_epochs = 1, o->retrain_batch_size = 32;
    o->every = 2;
}

/* Reads the integer after flag argv[*i] into *value; false (after a message) when it is missing or malformed. */
static bool read_count(int argc, char **argv, int *i, long minimum, long *value) {
    if (*i + 1 >= argc) {
        fprintf(stderr, "micro_search: %s needs a value\n", argv[*i]);
        return false;
    }
    char *end;
    errno = 0;
    long v = strtol(argv[*i + 1], &end, 10);
    if (errno != 0 || end == argv[*i + 1] || *end != '\0' || v < minimum) {
        fprintf(stderr, "micro_search: %s expects an integer ≥ %ld, got '%s'\n", argv[*i], minimum, argv[*i + 1]);
        return false;
    }
    *value = v;
    *i += 1;
    return true;
}

/* 0: run; 1: --help; 2: a usage error. */
static int parse_options(int argc, char **argv, struct options *o) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool ok = true;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) return 1;
        else if (strcmp(a, "--tiny") == 0) make_tiny(o);
        else if (strcmp(a, "--data") == 0 && i + 1 < argc) o->data_dir = argv[++i];
        else if (strcmp(a, "--out") == 0 && i + 1 < argc) o->out_dir = argv[++i];
        else if (strcmp(a, "--train") == 0) ok = read_count(argc, argv, &i, 1, &o->train);
        else if (strcmp(a, "--epochs") == 0) ok = read_count(argc, argv, &i, 1, &o->epochs);
        else if (strcmp(a, "--retrain-epochs") == 0) ok = read_count(argc, argv, &i, 1, &o->retrain_epochs);
        else if (strcmp(a, "--width") == 0) ok = read_count(argc, argv, &i, 2, &o->width);
        else if (strcmp(a, "--layers") == 0) ok = read_count(argc, argv, &i, 0, &o->layers);
        else if (strcmp(a, "--every") == 0) ok = read_count(argc, argv, &i, 1, &o->every);
        else {
            fprintf(stderr, "micro_search: unknown flag or missing value: %s\n", a);
            ok = false;
        }
        if (!ok) return 2;
    }
    return 0;
}

/* Reports a failed call as "micro_search: <function>: <message>". `call` is the function's name or the text of the
 * call; enas_last_error() usually starts with the name already, which is then not repeated. */
static bool succeeded(int32_t status, const char *call) {
    if (status == ENAS_OK) return true;
    fflush(stdout); /* progress lines first, when both go to one file */
    int name_length = (int)strcspn(call, "(");
    const char *message = enas_last_error();
    if (strncmp(message, call, (size_t)name_length) == 0 && message[name_length] == ':')
        fprintf(stderr, "micro_search: %s\n", message);
    else
        fprintf(stderr, "micro_search: %.*s: %s\n", name_length, call, message);
    return false;
}

/* Every library call goes through CALL: on failure it reports and jumps to main's single cleanup path. */
#define CALL(call)                                                                                                     \
    do {                                                                                                               \
        if (!succeeded((call), #call)) goto done;                                                                      \
    } while (0)

/* ---- Text outputs: the header's two-call pattern, once ---------------------------------------------------------- */

typedef int32_t (*arch_text_fn)(const enas_arch *arch, char *buf, size_t cap, size_t *needed);

/* The text `fn` writes for `arch` as a malloc'd string (free it), or NULL after reporting the failure. The first
 * call learns the size (the NUL included), the second fills the buffer. */
static char *arch_text(arch_text_fn fn, const char *function, const enas_arch *arch) {
    size_t needed = 0;
    if (!succeeded(fn(arch, NULL, 0, &needed), function)) return NULL;
    char *text = malloc(needed);
    if (text == NULL) {
        fprintf(stderr, "micro_search: out of memory (%zu bytes for %s)\n", needed, function);
        return NULL;
    }
    if (!succeeded(fn(arch, text, needed, &needed), function)) {
        free(text);
        return NULL;
    }
    return text;
}

/* enas_arch_to_string in the authors' micro integer form, shaped like the other text functions. */
static int32_t micro_integers(const enas_arch *arch, char *buf, size_t cap, size_t *needed) {
    return enas_arch_to_string(arch, "micro", buf, cap, needed);
}

/* ---- Progress and cancellation ---------------------------------------------------------------------------------- */

/* Set by Ctrl-C; the event callback turns it into a stop at the next step boundary. */
static volatile sig_atomic_t stop_requested = 0;

static void on_interrupt(int signal_number) {
    (void)signal_number;
    stop_requested = 1;
}

struct progress {
    const char *stage; /* "search" or "retrain" */
    long epochs;       /* of this stage, for "epoch e/E" */
    long every;
};

/* The value after "key": in a compact event object (keys sorted, no spaces), or NULL when the key is absent. The
 * character before the quote must be '{' or ',', so a key-like text inside a string value never matches. */
static const char *event_value(const char *json, const char *key) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    for (const char *at = strstr(json, pattern); at != NULL; at = strstr(at + 1, pattern))
        if (at > json && (at[-1] == '{' || at[-1] == ',')) return at + strlen(pattern);
    return NULL;
}

/* A numeric event field; -1 when absent or null (a NaN loss is written as null). */
static double event_number(const char *json, const char *key) {
    const char *value = event_value(json, key);
    return value == NULL || strncmp(value, "null", 4) == 0 ? -1 : strtod(value, NULL);
}

/* "1h02m", "3m12s" or "42s". */
static void format_duration(double seconds, char *buf, size_t cap) {
    long s = seconds < 0 ? 0 : (long)(seconds + 0.5);
    if (s >= 3600) snprintf(buf, cap, "%ldh%02ldm", s / 3600, s / 60 % 60);
    else if (s >= 60) snprintf(buf, cap, "%ldm%02lds", s / 60, s % 60);
    else snprintf(buf, cap, "%lds", s);
}

/* enas_event_fn: one line every `every` steps and at the end of each phase; non-zero asks the run to stop. */
static int32_t on_event(const char *event_json, void *user) {
    const struct progress *p = user;
    long step = (long)event_number(event_json, "step") + 1; /* events count from 0 */
    long steps = (long)event_number(event_json, "steps");
    if (step % p->every == 0 || step == steps) {
        const char *phase = event_value(event_json, "phase");
        bool controller = phase != NULL && strncmp(phase, "\"controller\"", 12) == 0;
        double loss = event_number(event_json, "loss"), acc = event_number(event_json, "acc");
        char eta[16];
        format_duration(event_number(event_json, "eta_seconds"), eta, sizeof eta);
        printf("%-7s epoch %ld/%ld  ", p->stage, (long)event_number(event_json, "epoch") + 1, p->epochs);
        if (strcmp(p->stage, "search") == 0) printf("%-10s ", controller ? "controller" : "weights");
        printf("step %4ld/%-4ld", step, steps);
        /* Phase 1 reports the minibatch's training loss and accuracy, phase 2 the children's validation accuracy. */
        if (loss >= 0) printf("  loss %6.3f", loss);
        if (acc >= 0) printf("  %s acc %5.1f%%", controller ? "valid" : "train", 100 * acc);
        printf("  ETA %s\n", eta);
        fflush(stdout);
    }
    return stop_requested;
}

/* ---- Files ------------------------------------------------------------------------------------------------------ */

/* mkdir -p: creates `path` and its missing parents. */
static bool make_directories(const char *path) {
    char partial[PATH_CAP];
    if (snprintf(partial, sizeof partial, "%s", path) >= (int)sizeof partial) return false;
    for (char *slash = strchr(partial + 1, '/');; slash = strchr(slash + 1, '/')) {
        if (slash != NULL) *slash = '\0';
        if (mkdir(partial, 0777) != 0 && errno != EEXIST) {
            fprintf(stderr, "micro_search: cannot create %s: %s\n", partial, strerror(errno));
            return false;
        }
        if (slash == NULL) return true;
        *slash = '/';
    }
}

static bool join_path(char *buf, const char *dir, const char *name) {
    if (snprintf(buf, PATH_CAP, "%s/%s", dir, name) < PATH_CAP) return true;
    fprintf(stderr, "micro_search: path too long: %s/%s\n", dir, name);
    return false;
}

static bool write_text_file(const char *path, const char *text) {
    FILE *file = fopen(path, "w");
    bool written = file != NULL && fputs(text, file) >= 0;
    if (file != NULL && fclose(file) != 0) written = false;
    if (!written) fprintf(stderr, "micro_search: cannot write %s: %s\n", path, strerror(errno));
    return written;
}

/* ---- The pipeline ----------------------------------------------------------------------------------------------- */

int main(int argc, char **argv) {
    struct options o = {
        .data_dir = NULL, .out_dir = "runs/c_example", .train = 5000, .valid = 1000, .test = -1,
        .epochs = 3, .steps_per_epoch = 0 /* one pass over the training subset */, .controller_steps = 10,
        .derive_samples = 20, .batch_size = 64, .valid_batch_size = 128, .width = 16, .layers = 1, .blocks = 3,
        .retrain_epochs = 3, .retrain_batch_size = 64, .every = 10,
    };
    int parsed = parse_options(argc, argv, &o);
    if (parsed != 0) {
        usage(parsed == 1 ? stdout : stderr);
        return parsed == 1 ? 0 : 2;
    }
    if (enas_abi_version() != ENAS_ABI_VERSION) {
        fprintf(stderr, "micro_search: libenas.so has ABI %d, enas.h describes %d\n", enas_abi_version(),
                ENAS_ABI_VERSION);
        return 1;
    }

    int exit_code = 1;
    enas_images *all = NULL, *images = NULL;
    enas_search *search = NULL;
    enas_arch *cells = NULL;
    enas_model *model = NULL;
    char *description = NULL, *integers = NULL, *dot = NULL;
    char log_path[PATH_CAP], checkpoint_path[PATH_CAP], dot_path[PATH_CAP];
    char config[1024]; /* either JSON config: under 500 bytes with any flag values */
    struct progress search_progress = {"search", o.epochs, o.every};
    struct progress retrain_progress = {"retrain", o.retrain_epochs, o.every};
    int32_t threads = 0, status;
    int64_t info[8], params = 0;
    double valid_acc = 0, test_acc = 0;
    /* SA_RESETHAND: a second Ctrl-C kills at once. SA_RESTART: the library's reads and writes never see EINTR. */
    struct sigaction interrupt = {.sa_handler = on_interrupt, .sa_flags = SA_RESETHAND | SA_RESTART};
    sigemptyset(&interrupt.sa_mask);
    sigaction(SIGINT, &interrupt, NULL);

    if (!make_directories(o.out_dir) || !join_path(log_path, o.out_dir, "search.jsonl") ||
        !join_path(checkpoint_path, o.out_dir, "search.ckpt") || !join_path(dot_path, o.out_dir, "cells.dot"))
        goto done;
    CALL(enas_get_num_threads(&threads));
    printf("enas %s, %d threads\n", enas_version_string(), (int)threads);

    /* The last 5,000 training images validate (rewards and derive); the test split is only used after retraining. */
    CALL(enas_images_load_fashion_mnist(o.data_dir, 5000, &all));
    CALL(enas_images_subset(all, o.train, o.valid, o.test, &images));
    CALL(enas_images_free(all)); /* the subset holds its own copy */
    all = NULL;
    CALL(enas_images_info(images, info));
    printf("Fashion-MNIST: %lld train, %lld valid, %lld test images of %lldx%lldx%lld, %lld classes\n",
           (long long)info[0], (long long)info[1], (long long)info[2], (long long)info[3], (long long)info[4],
           (long long)info[5], (long long)info[6]);

    /* Search: phase 1 trains the shared weights ω on children the controller samples, phase 2 trains the controller
     * by REINFORCE on the children's validation accuracy. Unset keys keep the paper's micro preset. */
    snprintf(config, sizeof config,
             "{\"space\": \"micro\", \"seed\": 1, \"epochs\": %ld, \"layers\": %ld, \"width\": %ld, \"blocks\": %ld, "
             "\"training\": {\"batch_size\": %ld}, \"steps_per_epoch\": %ld, \"controller_steps_per_epoch\": %ld, "
             "\"valid_batch_size\": %ld, \"derive_samples\": %ld}",
             o.epochs, o.layers, o.width, o.blocks, o.batch_size, o.steps_per_epoch, o.controller_steps,
             o.valid_batch_size, o.derive_samples);
    CALL(enas_search_create_images(config, images, &search));
    CALL(enas_search_set_log(search, log_path));
    printf("search: %s\n", config);
    status = enas_search_run(search, -1, on_event, &search_progress);
    if (status == ENAS_ERR_CANCELLED) {
        CALL(enas_search_save(search, checkpoint_path));
        printf("stopped; search saved to %s (enas_search_load_images resumes it)\n", checkpoint_path);
        exit_code = 130;
        goto done;
    }
    if (!succeeded(status, "enas_search_run")) goto done;

    /* Derive: the best of derive_samples controller samples on one validation minibatch (a search metric only). */
    CALL(enas_search_derive(search, 0, &cells, &valid_acc));
    if ((description = arch_text(enas_arch_describe, "enas_arch_describe", cells)) == NULL ||
        (integers = arch_text(micro_integers, "enas_arch_to_string", cells)) == NULL ||
        (dot = arch_text(enas_arch_to_dot, "enas_arch_to_dot", cells)) == NULL)
        goto done;
    printf("derived cells (valid acc %.1f%% on one minibatch):\n  %s\n  micro integers: %s\n", 100 * valid_acc,
           description, integers);
    if (!write_text_file(dot_path, dot)) goto done;
    CALL(enas_search_save(search, checkpoint_path));
    printf("wrote %s (dot -Tsvg), %s and %s\n", dot_path, checkpoint_path, log_path);

    /* Retrain the derived cells from scratch at the search's size. The auxiliary head and the paper's cutout 16 are
     * meant for deep CIFAR-10 networks; on a few cells of 28x28 images they only slow learning down. */
    snprintf(config, sizeof config,
             "{\"seed\": 1, \"epochs\": %ld, \"layers\": %ld, \"width\": %ld, \"auxiliary_head\": false, "
             "\"training\": {\"batch_size\": %ld, \"cutout\": 0}}",
             o.retrain_epochs, o.layers, o.width, o.retrain_batch_size);
    CALL(enas_model_create_images(cells, config, images, &model));
    CALL(enas_model_num_params(model, &params));
    printf("retrain: %s\n", config);
    status = enas_model_train(model, -1, on_event, &retrain_progress);
    if (status == ENAS_ERR_CANCELLED) {
        printf("stopped during retraining\n");
        exit_code = 130;
        goto done;
    }
    if (!succeeded(status, "enas_model_train")) goto done;
    CALL(enas_model_evaluate(model, "test", &test_acc));
    printf("test accuracy: %.2f%% (%lld parameters, %lld test images)\n", 100 * test_acc, (long long)params,
           (long long)info[2]);
    exit_code = 0;

done:
    /* The free functions accept NULL, so this one path serves every exit. */
    free(description);
    free(integers);
    free(dot);
    if (!succeeded(enas_model_free(model), "enas_model_free")) exit_code = 1;
    if (!succeeded(enas_arch_free(cells), "enas_arch_free")) exit_code = 1;
    if (!succeeded(enas_search_free(search), "enas_search_free")) exit_code = 1;
    if (!succeeded(enas_images_free(images), "enas_images_free")) exit_code = 1;
    if (!succeeded(enas_images_free(all), "enas_images_free")) exit_code = 1;
    return exit_code;
}
