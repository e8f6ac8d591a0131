// enas-bench: times ENASCore's kernels in a release build and prints a table (or JSON lines with --json).
// The numpy/PyTorch reference rows come from bench/run.py, which runs this binary and measures the same rows.
//
// Usage: enas-bench [--json] [--threads 1,2] [--filter TEXT]... [--row NAME]... [--min-time SECONDS] [--min-samples N] [--list]
//
// Each row: a warm-up call, then timed samples (each sample repeats the call enough to last ≥ ~50 ms) until
// --min-time seconds have passed and at least 5 samples exist; the row reports the median sample.
// M, N, K: GEMM sizes (C is M×N, the inner dimension is K); n: elements of an elementwise kernel.
import ENASCore
import Foundation

// MARK: - Options

struct Options {
    var json = false
    var list = false
    var threads = [1, 2]
    var filters: [String] = []
    var names: [String] = []
    var minTime = 1.0
    /// Fewest timed samples per row (a workload row's sample is ≥ 1 training step).
    var minSamples = 5
}

func usage() -> Never {
    FileHandle.standardError.write(Data("""
        usage: enas-bench [--json] [--threads 1,2] [--filter TEXT]... [--row NAME]... [--min-time SECONDS] [--list]
          --json        one JSON object per row on stdout (for bench/run.py)
          --threads     thread counts to run multi-threaded rows at (default 1,2)
          --filter      run only rows whose name contains TEXT (repeatable; any match)
          --row         run only the row named exactly NAME (repeatable)
          --min-time    seconds of timed samples per row (default 1.0)
          --min-samples fewest timed samples per row (default 5; W1p at 1 thread is ~5 s per sample)
          --list        print the row specifications as JSON lines without timing them

        """.utf8))
    exit(2)
}

func parseOptions() -> Options {
    var options = Options()
    var arguments = CommandLine.arguments.dropFirst()
    while let flag = arguments.popFirst() {
        switch flag {
        case "--json": options.json = true
        case "--list": options.list = true
        case "--threads":
            guard let text = arguments.popFirst() else { usage() }
            let counts = text.split(separator: ",").compactMap { Int($0) }
            guard !counts.isEmpty, counts.allSatisfy({ $0 > 0 }) else { usage() }
            options.threads = counts
        case "--filter":
            guard let text = arguments.popFirst() else { usage() }
            options.filters.append(text)
        case "--row":
            guard let text = arguments.popFirst() else { usage() }
            options.names.append(text)
        case "--min-time":
            guard let text = arguments.popFirst(), let seconds = Double(text), seconds > 0 else { usage() }
            options.minTime = seconds
        case "--min-samples":
            guard let text = arguments.popFirst(), let n = Int(text), n >= 1 else { usage() }
            options.minSamples = n
        default: usage()
        }
    }
    return options
}

// MARK: - Rows

/// What one row measures; `spec` is what bench/run.py needs to time the same thing in numpy.
enum Workload {
    /// C = op(A)·op(B), C is (m, n), inner dimension k.
    case gemm(m: Int, n: Int, k: Int, transA: Bool, transB: Bool)
    /// A unary (`exp`, `tanh`, `sigmoid`, `relu`), binary (`add`, `mul`, `axpy`) or reduction (`sum`) over n floats.
    case elementwise(op: String, n: Int)
    /// Fused softmax–cross-entropy over a (rows, cols) logits matrix.
    case softmaxCrossEntropy(rows: Int, cols: Int)
    /// A CNN kernel on a W2/W3 shape, forward or forward + backward (`op`: see `runConvolutionKernel`); enas-bench
    /// only (bench/run.py has no numpy reference for it).
    case convolution(op: String, batch: Int, channels: Int, outChannels: Int, size: Int, kernel: Int, stride: Int)
    /// One full training step of a BENCH.md workload (`W1s`, `W1p`, `W4`, `W2`, `W2f`, `W3`).
    case training(id: String)
}

struct Row {
    let name: String
    let note: String
    let workload: Workload
    /// Whether the kernel splits work over threads (single-threaded kernels run once, at 1 thread).
    var threaded: Bool {
        switch workload {
        case .gemm, .softmaxCrossEntropy, .training, .convolution: true
        case .elementwise: false
        }
    }
}

/// `ops`: "NN", "NT", "TN" or "TT" (which operands are read transposed).
func gemmRow(_ m: Int, _ n: Int, _ k: Int, _ ops: String, _ note: String) -> Row {
    let transA = ops.first == "T", transB = ops.last == "T"
    return Row(name: "gemm \(transA ? "T" : "N")\(transB ? "T" : "N") \(m)x\(n)x\(k)", note: note,
        workload: .gemm(m: m, n: n, k: k, transA: transA, transB: transB))
}

/// Elementwise rows run over 2^20 floats (4 MiB per array: past L2, in L3 here), between W1s's (B·T) × H
/// activations (0.29 M floats) and its logits (11.2 M).
let elementCount = 1 << 20

let rows: [Row] = [
    gemmRow(512, 512, 512, "NN", "square"),
    gemmRow(1024, 1024, 1024, "NN", "square"),
    gemmRow(2048, 2048, 2048, "NN", "square"),
    // W1s (B 32, T 35, H 256, V 10,000): node 0 [x, h]·W0, its backward dX = g·W0ᵀ and dW0 = [x, h]ᵀ·g,
    // a node's s·Wi, then the tied softmax: logits = h·Eᵀ, dh = g·E, dE = gᵀ·h.
    gemmRow(32, 512, 512, "NN", "W1s node 0 forward"),
    gemmRow(32, 512, 512, "NT", "W1s node 0 dX"),
    gemmRow(512, 512, 32, "TN", "W1s node 0 dW"),
    gemmRow(32, 512, 256, "NN", "W1s node i forward"),
    gemmRow(1120, 10000, 256, "NT", "W1s logits"),
    gemmRow(1120, 256, 10000, "NN", "W1s logits dX"),
    gemmRow(10000, 256, 1120, "TN", "W1s embedding dW"),
    // W1p (B 64, H 1000): node 0 and its weight gradient.
    gemmRow(64, 2000, 2000, "NN", "W1p node 0 forward"),
    gemmRow(2000, 2000, 64, "TN", "W1p node 0 dW"),
    gemmRow(64, 2000, 1000, "NN", "W1p node i forward"),
    gemmRow(64, 1000, 2000, "NT", "W1p node i dX"),
    gemmRow(2240, 10000, 1000, "NT", "W1p logits"),
    Row(name: "exp", note: "out = exp(x)", workload: .elementwise(op: "exp", n: elementCount)),
    Row(name: "tanh", note: "out = tanh(x)", workload: .elementwise(op: "tanh", n: elementCount)),
    Row(name: "sigmoid", note: "out = σ(x)", workload: .elementwise(op: "sigmoid", n: elementCount)),
    Row(name: "relu", note: "out = max(x, 0)", workload: .elementwise(op: "relu", n: elementCount)),
    Row(name: "add", note: "out = x + y", workload: .elementwise(op: "add", n: elementCount)),
    Row(name: "mul", note: "out = x · y", workload: .elementwise(op: "mul", n: elementCount)),
    Row(name: "axpy", note: "y += a · x", workload: .elementwise(op: "axpy", n: elementCount)),
    Row(name: "sum", note: "Σ x", workload: .elementwise(op: "sum", n: elementCount)),
    Row(name: "softmax-xent 1120x10000", note: "W1s loss: probabilities + Σ −log p",
        workload: .softmaxCrossEntropy(rows: 1120, cols: 10000)),
    // The CNN workloads' kernels on their shapes (B 32; W2's C 20 at 32×32, W3's F 36).
    convRow("depthwise", 32, 20, 20, 32, 5, 1, "W2 sep 5x5 depthwise, forward"),
    convRow("depthwise+grad", 32, 20, 20, 32, 5, 1, "W2 sep 5x5 depthwise, forward + backward"),
    convRow("depthwise+grad", 32, 40, 40, 16, 3, 2, "W2f reduction sep 3x3 depthwise stride 2, forward + backward"),
    convRow("conv", 32, 20, 20, 32, 1, 1, "W2 pointwise 1x1, forward"),
    convRow("conv+grad", 32, 20, 20, 32, 1, 1, "W2 pointwise 1x1, forward + backward"),
    convRow("conv+grad", 32, 36, 36, 32, 5, 1, "W3 conv 5x5, forward + backward"),
    convRow("conv+grad", 32, 36, 36, 32, 3, 1, "W3 conv 3x3, forward + backward"),
    convRow("maxpool+grad", 32, 20, 20, 32, 3, 1, "W2 max pool 3x3, forward + backward"),
    convRow("avgpool+grad", 32, 20, 20, 32, 3, 1, "W2 avg pool 3x3, forward + backward"),
    convRow("batchnorm+grad", 32, 20, 20, 32, 1, 1, "W2 batch norm, forward + backward"),
    // The workload rows of ../shared/BENCH.md: one full training step each (bench/run.py times PyTorch on the same).
    Row(name: "W1s", note: "recurrent cell H 256, B 32, T 35: SGD step; tokens/s", workload: .training(id: "W1s")),
    Row(name: "W1p", note: "recurrent cell H 1000, B 64, T 35: SGD step; tokens/s", workload: .training(id: "W1p")),
    Row(name: "W4", note: "controller (recurrent space): sample + REINFORCE Adam step; architectures/s",
        workload: .training(id: "W4")),
    Row(name: "W2", note: "micro CNN child, search mode, C 20, 6+2 cells, B 32: SGD step; images/s",
        workload: .training(id: "W2")),
    Row(name: "W2f", note: "micro CNN, fixed (retrain) mode, C 20, 6+2 cells, B 32: SGD step; images/s",
        workload: .training(id: "W2f")),
    Row(name: "W3", note: "macro CNN child, search mode, 12 layers, F 36, B 32: SGD step; images/s",
        workload: .training(id: "W3")),
]

func convRow(_ op: String, _ batch: Int, _ channels: Int, _ outChannels: Int, _ size: Int, _ kernel: Int, _ stride: Int,
             _ note: String) -> Row {
    let shape = op.hasPrefix("conv") ? "\(channels)->\(outChannels) " : "\(channels) "
    return Row(name: "\(op) \(kernel)x\(kernel)/\(stride) \(batch)x\(shape)\(size)x\(size)", note: note,
               workload: .convolution(op: op, batch: batch, channels: channels, outChannels: outChannels, size: size,
                                      kernel: kernel, stride: stride))
}

/// Times one CNN op through the autodiff layer (as a network calls it): forward, or forward + backward of Σ y ⊙ r.
func runConvolutionKernel(op: String, batch: Int, channels: Int, outChannels: Int, size: Int, kernel: Int, stride: Int,
                          minTime: Double) throws -> Result {
    var rng = RandomSource(seed: 10)
    let x = Variable(Tensor(shape: [batch, channels, size, size]) { rng.normal() }, requiresGrad: true)
    let weightShape = op.hasPrefix("depthwise") ? [channels, 1, kernel, kernel] : [outChannels, channels, kernel, kernel]
    let w = Variable(Tensor(shape: weightShape) { rng.normal() }, requiresGrad: true)
    let gamma = Variable(Tensor(zeros: [channels], value: 1), requiresGrad: true)
    let beta = Variable(Tensor(zeros: [channels]), requiresGrad: true)
    let backward = op.hasSuffix("+grad")
    func forward() throws -> Variable {
        switch op.split(separator: "+").first! {
        case "depthwise": try depthwiseConv2d(x, w, stride: stride, padding: kernel / 2)
        case "conv": try conv2d(x, w, stride: stride, padding: kernel / 2)
        case "maxpool": try maxPool2d(x, kernel: kernel, stride: stride, padding: kernel / 2)
        case "avgpool": try avgPool2d(x, kernel: kernel, stride: stride, padding: kernel / 2)
        case "batchnorm": try batchNorm(x, gamma: gamma, beta: beta).output
        default: throw ENASError.invalidArgument("unknown convolution row op \(op)")
        }
    }
    let r = Tensor(shape: try forward().shape) { rng.normal() }
    let (seconds, calls) = measure(minTime: minTime) {
        do {
            let y = try forward()
            if backward {
                try sumAll(try multiply(y, mask: r)).backward()
                for v in [x, w, gamma, beta] { v.zeroGrad() }
            }
        } catch { fatalError("[\(op)] \(error)") }
    }
    return Result(seconds: seconds, calls: calls, value: Double(batch) / seconds, unit: "images/s", bandwidth: nil)
}

// MARK: - Timing

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

/// Median seconds per call of `body` (after one warm-up call), and the number of calls timed.
func measure(minTime: Double, minSamples: Int = 5, _ body: () -> Void) -> (seconds: Double, calls: Int) {
    body()
    var start = now()
    body()
    let once = max(now() - start, 1e-9)
    let repeats = max(1, Int((0.05 / once).rounded(.up)))
    var samples: [Double] = []
    let deadline = now() + minTime
    while samples.count < minSamples || (now() < deadline && samples.count < 1000) {
        start = now()
        for _ in 0..<repeats { body() }
        samples.append((now() - start) / Double(repeats))
    }
    samples.sort()
    return (samples[samples.count / 2], samples.count * repeats)
}

func randomBuffer(_ count: Int, seed: UInt64) -> UnsafeMutablePointer<Float> {
    var rng = RandomSource(seed: seed)
    let buffer = UnsafeMutablePointer<Float>.allocate(capacity: count)
    for i in 0..<count { buffer[i] = rng.normal() }
    return buffer
}

struct Result {
    let seconds: Double
    let calls: Int
    let value: Double
    let unit: String
    /// GB/s over the bytes the kernel must read and write (elementwise rows), else nil.
    let bandwidth: Double?
    /// Extra fields for the JSON line (workload rows: step time, GFLOP/s, parameter count).
    var extra: [String: Any] = [:]
}

func run(_ workload: Workload, minTime: Double, minSamples: Int) -> Result {
    switch workload {
    case let .convolution(op, batch, channels, outChannels, size, kernel, stride):
        do {
            return try runConvolutionKernel(op: op, batch: batch, channels: channels, outChannels: outChannels, size: size,
                                            kernel: kernel, stride: stride, minTime: minTime)
        } catch { fatalError("[\(op)] \(error)") }
    case let .training(id):
        do { return try runTraining(id, minTime: minTime, minSamples: minSamples) } catch {
            fatalError("[\(id)] \(error)")
        }
    case let .gemm(m, n, k, transA, transB):
        let a = randomBuffer(m * k, seed: 1), b = randomBuffer(k * n, seed: 2), c = randomBuffer(m * n, seed: 3)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        let (seconds, calls) = measure(minTime: minTime) {
            gemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: transA ? m : k, b: b, ldb: transB ? k : n,
                 c: c, ldc: n)
        }
        return Result(seconds: seconds, calls: calls, value: 2 * Double(m * n * k) / seconds / 1e9, unit: "GFLOP/s",
                      bandwidth: nil)
    case let .elementwise(op, n):
        let x = randomBuffer(n, seed: 4), y = randomBuffer(n, seed: 5), out = randomBuffer(n, seed: 6)
        defer { x.deallocate(); y.deallocate(); out.deallocate() }
        var sink: Float = 0
        let (body, arrays): (() -> Void, Int) = switch op {
        case "exp": ({ mapElements(n, x, out) { exp($0) } }, 2)
        case "tanh": ({ mapElements(n, x, out) { tanh($0) } }, 2)
        case "sigmoid": ({ mapElements(n, x, out) { sigmoid($0) } }, 2)
        case "relu": ({ mapElements(n, x, out) { $0.replacing(with: 0, where: $0 .< 0) } }, 2)
        case "add": ({ zipElements(n, x, y, out) { $0 + $1 } }, 3)
        case "mul": ({ zipElements(n, x, y, out) { $0 * $1 } }, 3)
        // y += 1e-6 · x keeps y finite however many calls the timing makes.
        case "axpy": ({ axpy(n, alpha: 1e-6, x, out) }, 3)
        case "sum": ({ sink += sumElements(n, x) }, 1)
        default: fatalError("unknown elementwise op \(op)")
        }
        let (seconds, calls) = measure(minTime: minTime, body)
        if sink.isNaN { print("") }    // keeps the sum from being optimized away
        return Result(seconds: seconds, calls: calls, value: Double(n) / seconds / 1e6, unit: "Melem/s",
                      bandwidth: Double(arrays * n * 4) / seconds / 1e9)
    case let .softmaxCrossEntropy(rowCount, cols):
        let logits = randomBuffer(rowCount * cols, seed: 7), probabilities = randomBuffer(rowCount * cols, seed: 8)
        defer { logits.deallocate(); probabilities.deallocate() }
        var rng = RandomSource(seed: 9)
        let labels = (0..<rowCount).map { _ in Int32(rng.int(below: cols)) }
        var sink = 0.0
        let (seconds, calls) = labels.withUnsafeBufferPointer { labels in
            measure(minTime: minTime) {
                sink += softmaxCrossEntropy(rows: rowCount, cols: cols, logits: logits, labels: labels.baseAddress!,
                                            probabilities: probabilities)
            }
        }
        if sink.isNaN { print("") }
        let n = rowCount * cols
        return Result(seconds: seconds, calls: calls, value: Double(n) / seconds / 1e6, unit: "Melem/s",
                      bandwidth: Double(2 * n * 4) / seconds / 1e9)
    }
}

// MARK: - Output

func specJSON(_ workload: Workload) -> [String: Any] {
    switch workload {
    case let .gemm(m, n, k, transA, transB):
        ["kind": "gemm", "m": m, "n": n, "k": k, "trans_a": transA, "trans_b": transB]
    case let .elementwise(op, n): ["kind": "elementwise", "op": op, "n": n]
    case let .softmaxCrossEntropy(rows, cols): ["kind": "softmax_xent", "rows": rows, "cols": cols]
    case let .training(id): ["kind": "workload", "id": id]
    case let .convolution(op, batch, channels, outChannels, size, kernel, stride):
        ["kind": "cnn_kernel", "op": op, "batch": batch, "channels": channels, "out_channels": outChannels, "size": size,
         "kernel": kernel, "stride": stride]
    }
}

func jsonLine(_ object: [String: Any]) -> String {
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
}

/// Writes one line to stdout unbuffered, so a reader of a pipe sees each row as it finishes.
func emit(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
    let padding = String(repeating: " ", count: max(0, width - text.count))
    return right ? padding + text : text + padding
}

let options = parseOptions()
let selected = rows.filter { row in
    (options.filters.isEmpty || options.filters.contains { row.name.contains($0) })
        && (options.names.isEmpty || options.names.contains(row.name))
}
if options.list {
    for row in selected { emit(jsonLine(["row": row.name, "note": row.note, "threaded": row.threaded, "spec": specJSON(row.workload)])) }
    exit(0)
}
if !options.json {
    emit("enas-bench: \(ProcessInfo.processInfo.activeProcessorCount) cores online, median of timed samples, ≥ \(options.minTime) s per row")
    emit(pad("row", 26) + pad("threads", 8, right: true) + pad("value", 12, right: true) + "  unit     "
          + pad("GB/s", 8, right: true) + pad("ms/call", 10, right: true) + "  note")
}
for row in selected {
    for threads in row.threaded ? options.threads : [1] {
        Parallel.threadCount = threads
        let result = run(row.workload, minTime: options.minTime, minSamples: options.minSamples)
        if options.json {
            var object: [String: Any] = ["row": row.name, "note": row.note, "threads": threads, "value": result.value,
                                         "unit": result.unit, "seconds": result.seconds, "calls": result.calls,
                                         "spec": specJSON(row.workload)]
            if let bandwidth = result.bandwidth { object["gb_per_s"] = bandwidth }
            object.merge(result.extra) { _, new in new }
            emit(jsonLine(object))
        } else {
            emit(pad(row.name, 26) + pad("\(threads)", 8, right: true) + pad(String(format: "%.1f", result.value), 12, right: true)
                  + "  " + pad(result.unit, 9) + pad(result.bandwidth.map { String(format: "%.1f", $0) } ?? "", 8, right: true)
                  + pad(String(format: "%.3f", result.seconds * 1e3), 10, right: true) + "  " + row.note
                  + (result.extra["gflops"].map { String(format: " (%.1f GFLOP/s)", $0 as! Double) } ?? ""))
        }
    }
}
