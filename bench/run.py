#!/usr/bin/env python3
"""Runs enas-bench and measures numpy on the same rows in the same run; prints one side-by-side table.

    swift build -c release --product enas-bench && python3 bench/run.py [BINARY] [options]

BINARY defaults to .build/release/enas-bench (relative to the repository root). This script builds nothing.
numpy is measured in a child process whose environment lacks OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (they can
force OpenBLAS's Haswell kernels, which halves its sgemm speed on AVX-512 machines) and the thread-count
variables (which would cap the 2-thread rows); the child reports which OpenBLAS kernel numpy loaded.
Thread counts for numpy's matmul are set with threadpoolctl (`python3 -m pip install threadpoolctl`).
Timing matches enas-bench: a warm-up call, samples of >= 50 ms each until --min-time seconds, the median sample.
Each row is measured by enas-bench and then by numpy right away, so both see the same machine load; on a shared,
noisy machine --repeat N alternates them N times per row and keeps each side's best.
--workloads [W1s,W1p,W4,W2,W2f,W3] also times enas-bench's workload rows (one full training step, ../shared/BENCH.md)
against PyTorch on CPU (the CNN rows in NCHW and channels-last, the faster kept) (bench/pytorch_reference.py in a child process; skipped with a note when torch is not importable) and
prints a second table with the ratio and BENCH.md's 2-thread goals.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Removed from the numpy child's environment (see the module docstring).
NUMPY_ENV_REMOVED = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                     "GOTO_NUM_THREADS", "OPENBLAS_VERBOSE"]


# ---------------------------------------------------------------------------------------------------------------
# Timing (shared by the numpy child and any future reference)

def measure(body, min_time):
    """Median seconds per call of body() after a warm-up call, and the number of calls timed."""
    body()
    start = time.perf_counter()
    body()
    once = max(time.perf_counter() - start, 1e-9)
    repeats = max(1, int(-(-0.05 // once)))
    samples = []
    deadline = time.perf_counter() + min_time
    while len(samples) < 5 or (time.perf_counter() < deadline and len(samples) < 1000):
        start = time.perf_counter()
        for _ in range(repeats):
            body()
        samples.append((time.perf_counter() - start) / repeats)
    samples.sort()
    return samples[len(samples) // 2], len(samples) * repeats


# ---------------------------------------------------------------------------------------------------------------
# numpy reference (runs in the child process)

def numpy_row(spec, threads, min_time):
    """Times numpy on one enas-bench row spec; returns a result dict like enas-bench's JSON."""
    import numpy as np
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    kind = spec["kind"]
    note = ""
    if kind == "gemm":
        m, n, k = spec["m"], spec["n"], spec["k"]
        # Stored as enas-bench stores them (row-major, transposed operands as (K, M) / (N, K)); numpy hands the
        # transposed views to sgemm with transpose flags, without copies.
        a = rng.standard_normal((k, m) if spec["trans_a"] else (m, k), dtype=np.float32)
        b = rng.standard_normal((n, k) if spec["trans_b"] else (k, n), dtype=np.float32)
        a = a.T if spec["trans_a"] else a
        b = b.T if spec["trans_b"] else b
        c = np.empty((m, n), dtype=np.float32)
        with threadpool_limits(limits=threads, user_api="blas"):
            seconds, calls = measure(lambda: np.matmul(a, b, out=c), min_time)
        return dict(value=2 * m * n * k / seconds / 1e9, unit="GFLOP/s", seconds=seconds, calls=calls, note=note)
    if kind == "elementwise":
        op, n = spec["op"], spec["n"]
        x = rng.standard_normal(n, dtype=np.float32)
        y = rng.standard_normal(n, dtype=np.float32)
        out = rng.standard_normal(n, dtype=np.float32)
        tmp = np.empty(n, dtype=np.float32)
        arrays = 2
        if op == "exp":
            body = lambda: np.exp(x, out=out)
        elif op == "tanh":
            body = lambda: np.tanh(x, out=out)
        elif op == "sigmoid":
            try:
                from scipy.special import expit
                body = lambda: expit(x, out=out)
                note = "scipy.special.expit"
            except ImportError:
                def body():
                    np.negative(x, out=out)
                    np.exp(out, out=out)
                    out += 1
                    np.reciprocal(out, out=out)
                note = "1/(1+exp(-x)), 4 passes (no scipy)"
        elif op == "relu":
            body = lambda: np.maximum(x, 0, out=out)
        elif op == "add":
            body, arrays = (lambda: np.add(x, y, out=out)), 3
        elif op == "mul":
            body, arrays = (lambda: np.multiply(x, y, out=out)), 3
        elif op == "axpy":
            def body():
                np.multiply(x, np.float32(1e-6), out=tmp)
                np.add(out, tmp, out=out)
            arrays, note = 3, "two passes (numpy has no fused axpy)"
        elif op == "sum":
            body, arrays = (lambda: x.sum()), 1
        else:
            raise ValueError(f"unknown elementwise op {op}")
        seconds, calls = measure(body, min_time)
        return dict(value=n / seconds / 1e6, unit="Melem/s", seconds=seconds, calls=calls,
                    gb_per_s=arrays * n * 4 / seconds / 1e9, note=note)
    if kind == "softmax_xent":
        rows, cols = spec["rows"], spec["cols"]
        logits = rng.standard_normal((rows, cols), dtype=np.float32)
        labels = rng.integers(0, cols, rows)
        probabilities = np.empty_like(logits)
        index = np.arange(rows)

        def body():
            # What a numpy user writes: stable softmax into a preallocated buffer, loss from the same pass.
            top = logits.max(axis=1, keepdims=True)
            np.subtract(logits, top, out=probabilities)
            np.exp(probabilities, out=probabilities)
            total = probabilities.sum(axis=1, keepdims=True)
            loss = float((top[:, 0] + np.log(total[:, 0]) - logits[index, labels]).sum())
            np.divide(probabilities, total, out=probabilities)
            return loss

        seconds, calls = measure(body, min_time)
        n = rows * cols
        return dict(value=n / seconds / 1e6, unit="Melem/s", seconds=seconds, calls=calls,
                    gb_per_s=2 * n * 4 / seconds / 1e9, note="single-threaded")
    raise ValueError(f"unknown row kind {kind}")


def numpy_child(min_time):
    """Child process: prints a header line, then answers each {"row", "threads", "spec"} line on stdin with one
    JSON result line."""
    import numpy as np
    from threadpoolctl import threadpool_info

    blas = [info for info in threadpool_info() if info.get("user_api") == "blas"]
    print(json.dumps({"numpy": np.__version__,
                      "blas": [{key: info.get(key) for key in ("internal_api", "version", "architecture",
                                                                "num_threads", "filepath")} for info in blas]}),
          flush=True)
    for line in sys.stdin:
        item = json.loads(line)
        result = numpy_row(item["spec"], item["threads"], min_time)
        result.update(row=item["row"], threads=item["threads"])
        print(json.dumps(result), flush=True)


# ---------------------------------------------------------------------------------------------------------------
# Workload references (W1s, W1p, W4 in ../shared/BENCH.md)
#
# enas-bench's workload rows (spec kind "workload", {"kind": "workload", "id": "W1s"}) are timed against PyTorch on
# CPU: bench/pytorch_reference.py builds the same networks (asserting BENCH.md's parameter counts) and runs in a
# child process (TorchChild) answering one row at a time. Without an importable torch, those rows print "-" as their
# reference and a note says why. BENCH.md's goals (2-thread throughput ratio ours / PyTorch) are checked in the table.

WORKLOAD_GOALS = {"W1s": 2.5, "W1p": 2.0, "W4": 5.0, "W2": 2.0, "W2f": 2.0, "W3": 1.5}
# W1p at 1 thread is ~5 s per step: fewer samples keep its rows within minutes.
WORKLOAD_MIN_SAMPLES = {"W1p": 3}


class TorchChild:
    """bench/pytorch_reference.py --child, without the variables in NUMPY_ENV_REMOVED (they would cap threads)."""

    def __init__(self):
        env = {key: value for key, value in os.environ.items() if key not in NUMPY_ENV_REMOVED}
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pytorch_reference.py")
        self.process = subprocess.Popen([sys.executable, script, "--child"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, env=env)
        self.header = json.loads(self.process.stdout.readline())

    def measure(self, row, threads, min_time, min_samples):
        self.process.stdin.write(json.dumps({"row": row["row"], "threads": threads, "min_time": min_time,
                                             "min_samples": min_samples}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            sys.exit("the PyTorch child process died")
        return json.loads(line)

    def close(self):
        self.process.stdin.close()
        self.process.wait()


def torch_available():
    """Whether `import torch` works in a child like TorchChild (a missing or broken install skips the reference)."""
    env = {key: value for key, value in os.environ.items() if key not in NUMPY_ENV_REMOVED}
    return subprocess.run([sys.executable, "-c", "import torch"], env=env, capture_output=True).returncode == 0


# ---------------------------------------------------------------------------------------------------------------
# Driver

def machine_description():
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open("/proc/cpuinfo") as f:
            if " avx512f" in f.read():
                model += " (AVX-512)"
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} logical cores, {platform.system()} {platform.release()}"


def list_rows(binary, args):
    command = [binary, "--list"]
    for text in args.filter:
        command += ["--filter", text]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in output.splitlines()]


def run_ours(binary, row, threads, args, min_time=None, min_samples=None):
    command = [binary, "--json", "--row", row["row"], "--threads", str(threads),
               "--min-time", str(min_time or args.min_time)]
    if min_samples:
        command += ["--min-samples", str(min_samples)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.splitlines()[0])


class NumpyChild:
    """The numpy reference process, without the variables in NUMPY_ENV_REMOVED; answers one row at a time."""

    def __init__(self, args):
        env = {key: value for key, value in os.environ.items() if key not in NUMPY_ENV_REMOVED}
        command = [sys.executable, os.path.abspath(__file__), "--numpy-child", "--min-time", str(args.min_time)]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        self.header = json.loads(self.process.stdout.readline())

    def measure(self, row, threads):
        self.process.stdin.write(json.dumps({"row": row["row"], "threads": threads, "spec": row["spec"]}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            sys.exit("the numpy child process died")
        return json.loads(line)

    def close(self):
        self.process.stdin.close()
        self.process.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary", nargs="?", default=os.path.join(REPO, ".build", "release", "enas-bench"))
    parser.add_argument("--min-time", type=float, default=1.0, help="seconds of timed samples per row (default 1)")
    parser.add_argument("--threads", default="1,2", help="thread counts for threaded rows (default 1,2)")
    parser.add_argument("--filter", action="append", default=[], help="only rows whose name contains TEXT")
    parser.add_argument("--repeat", type=int, default=1, help="measure each row N times, keep each side's best")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--save", metavar="PATH", help="also write all results as JSON to PATH")
    parser.add_argument("--workloads", nargs="?", const="W1s,W1p,W4,W2,W2f,W3", default=None, metavar="LIST",
                        help="also run the workload rows (default list W1s,W1p,W4,W2,W2f,W3) against PyTorch")
    parser.add_argument("--no-kernels", action="store_true", help="skip the kernel rows (with --workloads)")
    parser.add_argument("--workload-min-time", type=float, default=5.0,
                        help="seconds of timed steps per workload row and side (default 5)")
    parser.add_argument("--numpy-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.numpy_child:
        numpy_child(args.min_time)
        return
    try:
        import threadpoolctl  # noqa: F401
        import numpy  # noqa: F401
    except ImportError as error:
        sys.exit(f"bench/run.py needs numpy and threadpoolctl: python3 -m pip install numpy threadpoolctl ({error})")
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"{args.binary} not found: build it first (swift build -c release --product enas-bench)")

    started = datetime.datetime.now().astimezone()
    load_before = os.getloadavg()
    all_rows = list_rows(args.binary, args)
    # CNN kernel rows (kind cnn_kernel) have no numpy counterpart: run enas-bench alone for them.
    rows = [] if args.no_kernels else [row for row in all_rows if row["spec"]["kind"] not in ("workload", "cnn_kernel")]
    workload_rows = []
    if args.workloads:
        wanted = args.workloads.split(",")
        listed = {row["row"]: row for row in list_rows(args.binary, argparse.Namespace(filter=[]))}
        missing = [name for name in wanted if name not in listed]
        if missing:
            sys.exit(f"{args.binary} has no workload rows {missing}: rebuild it")
        workload_rows = [listed[name] for name in wanted]
    thread_counts = [int(t) for t in args.threads.split(",")]
    print(f"{args.binary}: {len(rows)} rows; numpy runs in a child process without {', '.join(NUMPY_ENV_REMOVED)}",
          file=sys.stderr, flush=True)
    child = NumpyChild(args)
    # Each row is measured by enas-bench and then by numpy right away, so both see the same machine load.
    # Higher is better for every unit, so "best" is the largest value.
    ours, reference = [], {}
    for row in rows:
        for threads in thread_counts if row["threaded"] else [1]:
            mine = theirs = None
            for _ in range(max(1, args.repeat)):
                candidate = run_ours(args.binary, row, threads, args)
                mine = candidate if mine is None or candidate["value"] > mine["value"] else mine
                candidate = child.measure(row, threads)
                theirs = candidate if theirs is None or candidate["value"] > theirs["value"] else theirs
            ours.append(mine)
            reference[(row["row"], threads)] = theirs
            print(f"  {row['row']:<26} {threads}T  ours {mine['value']:9.1f}  numpy {theirs['value']:9.1f} {mine['unit']}",
                  file=sys.stderr, flush=True)
    child.close()
    header = child.header

    # Workload rows: ours, then PyTorch right away (same machine load), alternating --repeat times; best of each.
    torch_child, torch_note = None, None
    workload_results = []
    if workload_rows:
        if torch_available():
            torch_child = TorchChild()
            h = torch_child.header
            torch_note = (f"PyTorch {h['torch']} on CPU (MKL {'yes' if h['mkl'] else 'no'}, oneDNN "
                          f"{'yes' if h['mkldnn'] else 'no'}), torch.set_num_threads per row")
        else:
            torch_note = "PyTorch rows skipped: torch is not importable (python3 -m pip install torch)"
        print(torch_note, file=sys.stderr, flush=True)
    for row in workload_rows:
        min_samples = WORKLOAD_MIN_SAMPLES.get(row["row"], 5)
        for threads in thread_counts:
            mine = theirs = None
            for _ in range(max(1, args.repeat)):
                candidate = run_ours(args.binary, row, threads, args, args.workload_min_time, min_samples)
                mine = candidate if mine is None or candidate["value"] > mine["value"] else mine
                if torch_child:
                    candidate = torch_child.measure(row, threads, args.workload_min_time, min_samples)
                    theirs = candidate if theirs is None or candidate["value"] > theirs["value"] else theirs
            workload_results.append((mine, theirs))
            print(f"  {row['row']:<26} {threads}T  ours {mine['value']:9.1f}  PyTorch "
                  f"{theirs['value'] if theirs else float('nan'):9.1f} {mine['unit']}", file=sys.stderr, flush=True)
    if torch_child:
        torch_child.close()
    load_after = os.getloadavg()

    kernels = ", ".join(f"{b['internal_api']} {b['version']} {b['architecture']} kernel (max {b['num_threads']} threads)"
                        for b in header["blas"]) or "no BLAS found by threadpoolctl"
    lines = [f"date: {started:%Y-%m-%d %H:%M %Z}",
             f"machine: {machine_description()}",
             f"load average (1/5/15 min): before {' '.join(f'{x:.2f}' for x in load_before)}, "
             f"after {' '.join(f'{x:.2f}' for x in load_after)}",
             f"numpy {header['numpy']}: {kernels}",
             "ours = enas-bench (ENASCore kernels), numpy = the same row in numpy; ratio = ours / numpy; "
             "median of timed samples" + (f", best of {args.repeat} alternating runs" if args.repeat > 1 else "")]
    table = []
    for row in ours:
        ref = reference.get((row["row"], row["threads"]))
        ratio = row["value"] / ref["value"] if ref and ref["value"] > 0 else None
        note = row["note"] + (f"; numpy: {ref['note']}" if ref and ref.get("note") else "")
        table.append((row["row"], str(row["threads"]), f"{row['value']:.1f}", f"{ref['value']:.1f}" if ref else "-",
                      row["unit"], f"{ratio:.2f}" if ratio else "-", note))
    headings = ("row", "threads", "ours", "numpy", "unit", "ratio", "what")
    print()
    for line in lines:
        print(line if not args.markdown else f"- {line}")
    print()
    if not table:
        pass
    elif args.markdown:
        print("| " + " | ".join(headings) + " |")
        print("|" + "|".join(["---", "--:", "--:", "--:", "---", "--:", "---"]) + "|")
        for cells in table:
            print("| " + " | ".join(cells) + " |")
    else:
        widths = [max(len(h), *(len(cells[i]) for cells in table)) if table else len(h) for i, h in enumerate(headings)]
        right = {1, 2, 3, 5}
        for cells in [headings] + table:
            print("  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))))
    if workload_results:
        print_workloads(workload_results, torch_note, ours, args)
    if args.save:
        with open(args.save, "w") as f:
            json.dump({"header": lines, "numpy": header, "ours": ours,
                       "numpy_rows": [reference[key] for key in sorted(reference)],
                       "workloads": [{"ours": mine, "pytorch": theirs} for mine, theirs in workload_results]},
                      f, indent=1)


def print_workloads(results, torch_note, kernel_rows, args):
    """The workload table: throughput ours vs PyTorch, step times, GFLOP/s, params, BENCH.md's goal (2 threads)."""
    def fmt(value, digits=1):
        return "-" if value is None else f"{value:.{digits}f}"

    def layouts(theirs):
        if not theirs or "layout" not in theirs:
            return "-"
        return f"NCHW {theirs['nchw_images_per_s']:.1f}, CL {theirs['channels_last_images_per_s']:.1f}"

    table = []
    for mine, theirs in results:
        ratio = mine["value"] / theirs["value"] if theirs and theirs["value"] > 0 else None
        goal = WORKLOAD_GOALS.get(mine["row"])
        verdict = "-"
        if goal and mine["threads"] == 2 and ratio is not None:
            verdict = f"≥ {goal:g}×: {'met' if ratio >= goal else 'not met'}"
        params = f"{mine['params']:,}" + ("" if not theirs or theirs["params"] == mine["params"]
                                          else f" (PyTorch {theirs['params']:,})")
        table.append((mine["row"], str(mine["threads"]), fmt(mine["value"]), fmt(theirs and theirs["value"]),
                      mine["unit"], fmt(ratio, 2), fmt(mine["step_ms"]), fmt(theirs and theirs["step_ms"]),
                      fmt(mine.get("gflops")), fmt(theirs and theirs.get("gflops")), params, layouts(theirs), verdict))
    headings = ("workload", "threads", "ours", "PyTorch", "unit", "ratio", "ours ms/step", "PyTorch ms/step",
                "ours GFLOP/s", "PyTorch GFLOP/s", "params", "PyTorch layouts (CNN)", "goal (2 threads)")
    print()
    print(f"- {torch_note}" if args.markdown else torch_note)
    print(("- " if args.markdown else "") + "workloads: one full training step (../shared/BENCH.md); ratio = ours / "
          f"PyTorch throughput (CNN rows: the faster of PyTorch's NCHW and channels-last runs, CL); median step of ≥ {args.workload_min_time:g} s of steps (W1p: ≥ "
          f"{WORKLOAD_MIN_SAMPLES['W1p']} steps)" + (f", best of {args.repeat} alternating runs" if args.repeat > 1 else ""))
    gemm = [r for r in kernel_rows if r["row"] == "gemm NN 2048x2048x2048" and r["threads"] == 2]
    w1p = [m for m, _ in results if m["row"] == "W1p" and m["threads"] == 2]
    if gemm and w1p:
        share = w1p[0]["gflops"] / gemm[0]["value"]
        print(("- " if args.markdown else "") + f"W1p at 2 threads: {w1p[0]['gflops']:.1f} GFLOP/s = {share:.0%} of our "
              f"2-thread sgemm 2048³ ({gemm[0]['value']:.1f} GFLOP/s); goal ≥ 70%: {'met' if share >= 0.7 else 'not met'}")
    print()
    if args.markdown:
        print("| " + " | ".join(headings) + " |")
        print("|" + "|".join(["---"] + ["--:"] * 3 + ["---"] + ["--:"] * 5 + ["--:", "---", "---"]) + "|")
        for cells in table:
            print("| " + " | ".join(cells) + " |")
    else:
        widths = [max(len(h), *(len(cells[i]) for cells in table)) for i, h in enumerate(headings)]
        for cells in [headings] + table:
            print("  ".join(c.ljust(w) if i in (0, 4, 11, 12) else c.rjust(w)
                            for i, (c, w) in enumerate(zip(cells, widths))))


if __name__ == "__main__":
    main()
