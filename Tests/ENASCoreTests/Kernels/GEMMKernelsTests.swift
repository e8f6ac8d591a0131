import ENASCore
import ENASTestSupport
import Testing

struct GEMMCase: Sendable, CustomStringConvertible {
    let m, n, k: Int
    let transA, transB: Bool
    var description: String { "\(m)x\(n)x\(k) \(transA ? "T" : "N")\(transB ? "T" : "N")" }
}

let gemmSizes = [(1, 1, 1), (7, 33, 257), (33, 7, 1), (257, 33, 7), (1, 257, 33), (64, 100, 300), (9, 513, 17), (130, 40, 400),
                 // the narrow path (op(B) untransposed, M, K ≤ 128, N ≥ 64): 1×1-convolution shapes and their edges
                 (20, 1024, 20), (11, 130, 1), (43, 200, 128), (128, 97, 77), (8, 64, 5), (81, 250, 80), (129, 64, 128),
                 (20, 63, 20),
                 // the narrow dot path (A · Bᵀ, M, N ≤ 128, K ≥ 64): 1×1-convolution weight gradients and their edges
                 (20, 20, 1024), (23, 41, 64), (7, 9, 100), (128, 5, 79), (6, 128, 257)]
let gemmCases = gemmSizes.flatMap { s in
    [(false, false), (false, true), (true, false), (true, true)].map { GEMMCase(m: s.0, n: s.1, k: s.2, transA: $0.0, transB: $0.1) }
}

/// Random op(A), op(B) and C of a product, with padded leading dimensions (padding catches stride bugs).
struct GEMMOperands {
    let lda, ldb, ldc: Int
    let a, b, c: [Float]
    init(m: Int, n: Int, k: Int, transA: Bool, transB: Bool, rng: inout RandomSource) {
        (lda, ldb, ldc) = ((transA ? m : k) + 3, (transB ? k : n) + 5, n + 2)
        a = randomTensor([(transA ? k : m) * lda], rng: &rng).storage
        b = randomTensor([(transB ? n : k) * ldb], rng: &rng).storage
        c = randomTensor([m * ldc], rng: &rng).storage
    }
}

@Suite("GEMM against a naive triple loop")
struct GEMMKernelsTests {
    @Test(arguments: gemmCases)
    func matchesReference(_ c: GEMMCase) {
        var rng = RandomSource(seed: UInt64(c.m * 1_000_003 + c.n * 1009 + c.k))
        let operands = GEMMOperands(m: c.m, n: c.n, k: c.k, transA: c.transA, transB: c.transB, rng: &rng)
        let (lda, ldb, ldc, a, b, c0) = (operands.lda, operands.ldb, operands.ldc, operands.a, operands.b, operands.c)
        for (alpha, beta) in [(Float(1), Float(0)), (Float(0.5), Float(-1.5))] {
            let expected = naiveGemm(transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k, alpha: alpha, a: a, lda: lda,
                                     b: b, ldb: ldb, beta: beta, c: c0, ldc: ldc)
            var out = c0
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in out.withUnsafeMutableBufferPointer { cp in
                gemm(transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k, alpha: alpha, a: ap.baseAddress!, lda: lda,
                     b: bp.baseAddress!, ldb: ldb, beta: beta, c: cp.baseAddress!, ldc: ldc)
            } } }
            let tolerance = 1e-5 * Float(c.k) + 1e-5
            #expect(maxAbsDifference(out, expected) <= tolerance, "alpha \(alpha) beta \(beta)")
        }
    }

    @Test func betaZeroIgnoresNaNInOutput() {
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [5, 6, 7, 8]
        var c = [Float](repeating: .nan, count: 4)
        gemm(transA: false, transB: false, m: 2, n: 2, k: 2, a: a, lda: 2, b: b, ldb: 2, beta: 0, c: &c, ldc: 2)
        #expect(c == [19, 22, 43, 50])
    }
}

// The narrow paths' shapes: every size up to 20, then both sides of the SIMD widths (16, 64), the recurrent cell's
// 48 and 96, and the 128 limit.
let narrowSizes = Array(1...20) + [31, 32, 33, 47, 48, 49, 63, 64, 65, 96, 127, 128]

/// gemm at 1 and 2 threads against `naiveGemm` on random non-zero inputs. Leading dimensions are padded and the
/// padding holds NaN, so a read past a row shows up in the result; with beta == 0, C starts as NaN, which must be
/// ignored. Returns a description of each mismatch (empty = pass).
func gemmMismatches(m: Int, n: Int, k: Int, transA: Bool, transB: Bool, rng: inout RandomSource) -> [String] {
    let lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 5, ldc = n + 2
    func padded(rows: Int, columns: Int, ld: Int) -> [Float] {
        var values = randomTensor([rows * ld], rng: &rng).storage
        for r in 0..<rows { for j in columns..<ld { values[r * ld + j] = .nan } }
        return values
    }
    let a = padded(rows: transA ? k : m, columns: transA ? m : k, ld: lda)
    let b = padded(rows: transB ? n : k, columns: transB ? k : n, ld: ldb)
    let c0 = randomTensor([m * ldc], rng: &rng).storage
    let shape = "\(m)x\(n)x\(k) \(transA ? "T" : "N")\(transB ? "T" : "N")"
    var failures: [String] = []
    for (alpha, beta) in [(Float(1), Float(0)), (Float(1), Float(1)), (Float(0.5), Float(-1.5))] {
        var start = c0
        if beta == 0 { for i in 0..<m { for j in 0..<n { start[i * ldc + j] = .nan } } }
        let expected = naiveGemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                                 b: b, ldb: ldb, beta: beta, c: start, ldc: ldc)
        let tolerance = 1e-5 * Float(k) + 1e-5
        var outputs: [[Float]] = []
        for threads in [1, 2] {
            var out = start
            Parallel.withThreadCount(threads) {
                a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in out.withUnsafeMutableBufferPointer { cp in
                    gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: ap.baseAddress!, lda: lda,
                         b: bp.baseAddress!, ldb: ldb, beta: beta, c: cp.baseAddress!, ldc: ldc)
                } } }
            }
            // Compared element by element (NaN never passes), the ldc padding included: it must stay untouched.
            let mismatches = out.indices.filter { index in
                let (got, want) = (out[index], expected[index])
                return want.isNaN ? !got.isNaN : !(abs(got - want) <= tolerance)
            }
            if let first = mismatches.first {
                failures.append("\(shape) alpha \(alpha) beta \(beta), \(threads) thread(s): \(mismatches.count) wrong, "
                                + "first C[\(first / ldc), \(first % ldc)] = \(out[first]), expected \(expected[first])")
            }
            outputs.append(out)
        }
        if !zip(outputs[0], outputs[1]).allSatisfy({ $0 == $1 || ($0.isNaN && $1.isNaN) }) {
            failures.append("\(shape) alpha \(alpha) beta \(beta): 1 and 2 threads differ")
        }
    }
    return failures
}

/// Products whose work is split at 2 threads (above `gemmMinimumWorkPerThread` per thread), with a ragged last range.
let gemmSplitCases = [
    // narrow path: columns split in 64-wide granules (1000 → 512 + 488, a 40-column edge strip in the second range)
    GEMMCase(m: 128, n: 1000, k: 128, transA: false, transB: false),
    GEMMCase(m: 128, n: 1000, k: 128, transA: true, transB: false),
    GEMMCase(m: 127, n: 1000, k: 127, transA: false, transB: false),
    GEMMCase(m: 33, n: 4100, k: 65, transA: true, transB: false),
    // narrow dot path: rows split in blocks of 4 (126 → 64 + 62, 20 → 12 + 8), depth tails of 12 and 4
    GEMMCase(m: 128, n: 128, k: 1024, transA: false, transB: true),
    GEMMCase(m: 126, n: 65, k: 1100, transA: false, transB: true),
    GEMMCase(m: 20, n: 128, k: 3300, transA: false, transB: true),
]

/// Thread counts are a process-wide setting, so the tests that change it run one at a time.
@Suite("GEMM narrow paths against a naive triple loop, at 1 and 2 threads", .serialized)
struct GEMMNarrowPathTests {
    /// op(B) untransposed, M, K ≤ 128, N ≥ 64 takes the narrow path; the other transposes and the smaller N run
    /// the same shapes through the blocked, few-rows and dot paths.
    @Test(arguments: narrowSizes)
    func narrowPathMatchesReference(m: Int) {
        var rng = RandomSource(seed: UInt64(m))
        var failures: [String] = []
        for k in narrowSizes { for n in [1, 3, 16, 63, 64, 65, 96, 200] {
            for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
                failures += gemmMismatches(m: m, n: n, k: k, transA: transA, transB: transB, rng: &rng)
            }
        } }
        #expect(failures.isEmpty, "\(failures.count) mismatches: \(failures.prefix(8).joined(separator: "; "))")
    }

    /// A · Bᵀ with M, N ≤ 128 and K ≥ 64 takes the narrow dot path (depth tails 0, 1, 15 and 8 at 64, 65, 79, 200).
    @Test(arguments: narrowSizes)
    func narrowDotPathMatchesReference(m: Int) {
        var rng = RandomSource(seed: 1000 + UInt64(m))
        var failures: [String] = []
        for n in narrowSizes { for k in [1, 3, 16, 63, 64, 65, 79, 96, 200] {
            failures += gemmMismatches(m: m, n: n, k: k, transA: false, transB: true, rng: &rng)
        } }
        #expect(failures.isEmpty, "\(failures.count) mismatches: \(failures.prefix(8).joined(separator: "; "))")
    }

    /// Σ_s A_s · B_sᵀ over strided sample blocks: against the naive sum on the narrow dot path (M, N ≤ 128, K ≥ 64,
    /// depth tails of 15 and 0) and off it (K < 64), at 1 and 2 threads; with one sample, exactly gemm's bits.
    @Test(arguments: [(20, 20, 64), (7, 13, 79), (40, 36, 256), (5, 9, 30)])
    func productsSummedOverSamplesMatchReference(m: Int, n: Int, k: Int) {
        var rng = RandomSource(seed: UInt64(m * 1000 + n * 10 + k))
        let samples = 5, lda = k + 3, ldb = k + 1, aStride = m * lda + 2, bStride = n * ldb + 5
        let a = randomTensor([samples * aStride], rng: &rng).storage, b = randomTensor([samples * bStride], rng: &rng).storage
        let start = randomTensor([m * n], rng: &rng).storage
        var expected = start
        for s in 0..<samples {
            expected = naiveGemm(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: Array(a[(s * aStride)...]),
                                 lda: lda, b: Array(b[(s * bStride)...]), ldb: ldb, beta: 1, c: expected, ldc: n)
        }
        for threads in [1, 2] {
            Parallel.withThreadCount(threads) {
                var c = start
                gemmSummedOverSamples(m: m, n: n, k: k, samples: samples, a: a, lda: lda, aSampleStride: aStride, b: b,
                                      ldb: ldb, bSampleStride: bStride, c: &c, ldc: n)
                #expect(maxAbsDifference(c, expected) < 1e-3, "\(threads) threads")
                var one = start, plain = start
                gemmSummedOverSamples(m: m, n: n, k: k, samples: 1, a: a, lda: lda, aSampleStride: aStride, b: b,
                                      ldb: ldb, bSampleStride: bStride, c: &one, ldc: n)
                gemm(transA: false, transB: true, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: 1, c: &plain, ldc: n)
                #expect(one == plain && one != start, "\(threads) threads")
            }
        }
    }

    @Test(arguments: gemmSplitCases)
    func splitProductsMatchReference(_ c: GEMMCase) {
        var rng = RandomSource(seed: UInt64(c.m * 7919 + c.n * 31 + c.k))
        let failures = gemmMismatches(m: c.m, n: c.n, k: c.k, transA: c.transA, transB: c.transB, rng: &rng)
        #expect(failures.isEmpty, "\(failures.joined(separator: "; "))")
    }

    // (256, 700, 130): above the 2^22 multiply-adds per thread that the blocked split needs;
    // (40, 4100, 80): the narrow path, split over columns at 2 threads.
    @Test(arguments: [(256, 700, 130, UInt64(3)), (40, 4100, 80, UInt64(4))])
    func sameResultWithOneAndTwoThreads(m: Int, n: Int, k: Int, seed: UInt64) {
        var rng = RandomSource(seed: seed)
        let a = randomTensor([m * k], rng: &rng).storage, b = randomTensor([k * n], rng: &rng).storage
        func run(_ threads: Int) -> [Float] {
            var c = [Float](repeating: 0, count: m * n)
            Parallel.withThreadCount(threads) {
                gemm(transA: false, transB: false, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &c, ldc: n)
            }
            return c
        }
        #expect(run(1) == run(2))
    }

    // The blocked path's bits are its documented arithmetic (`fusedBlockedGemm`) whatever the register tile (8 × 32
    // with AVX-512, 6 × 16 without) and thread count: edge tiles, several depth blocks (K > 384), alpha and beta.
    @Test(arguments: [(9, 513, 900), (130, 40, 400), (200, 150, 1000), (250, 300, 64)])
    func blockedPathBitsDoNotDependOnTheTile(m: Int, n: Int, k: Int) {
        var rng = RandomSource(seed: UInt64(m * 131 + n * 17 + k))
        for (transA, transB) in [(false, false), (false, true), (true, false), (true, true)] {
            #expect(gemmPacksB(transA: transA, transB: transB, m: m, n: n, k: k))
            let operands = GEMMOperands(m: m, n: n, k: k, transA: transA, transB: transB, rng: &rng)
            let (lda, ldb, ldc, a, b, c0) = (operands.lda, operands.ldb, operands.ldc, operands.a, operands.b, operands.c)
            for (alpha, beta) in [(Float(1), Float(0)), (Float(0.5), Float(-1.5))] {
                let expected = fusedBlockedGemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                                                b: b, ldb: ldb, beta: beta, c: c0, ldc: ldc)
                for threads in [1, 2] {
                    var out = c0
                    Parallel.withThreadCount(threads) {
                        gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                             beta: beta, c: &out, ldc: ldc)
                    }
                    #expect(out == expected, "\(transA ? "T" : "N")\(transB ? "T" : "N") alpha \(alpha) at \(threads) threads")
                }
            }
        }
    }

    // A right operand packed ahead gives the same bits as packing it in the product, on the panel-by-panel path
    // (M ≤ 128: the recurrent cell's 64-row products), the block path (M > 128), several depth blocks (K > 384),
    // a partial last panel and a second column block (N > 2048), split over rows or columns at 2 threads.
    @Test(arguments: [(64, 800, 400), (9, 130, 260), (200, 2100, 500), (300, 90, 800)])
    func prepackedRightOperandGivesTheSameBits(m: Int, n: Int, k: Int) {
        var rng = RandomSource(seed: UInt64(m * 31 + n * 7 + k))
        for (transA, transB) in [(false, false), (false, true), (true, false), (true, true)] {
            #expect(gemmPacksB(transA: transA, transB: transB, m: m, n: n, k: k))
            let operands = GEMMOperands(m: m, n: n, k: k, transA: transA, transB: transB, rng: &rng)
            let (lda, ldb, ldc, a, b, c0) = (operands.lda, operands.ldb, operands.ldc, operands.a, operands.b, operands.c)
            let packed = b.withUnsafeBufferPointer { PackedRightOperand(transB: transB, k: k, n: n, b: $0.baseAddress!, ldb: ldb) }
            for threads in [1, 2] {
                var plain = c0, prepacked = c0
                Parallel.withThreadCount(threads) {
                    gemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: 0.5, c: &plain, ldc: ldc)
                    gemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: 0.5, c: &prepacked,
                         ldc: ldc, packedB: packed)
                }
                #expect(plain == prepacked, "\(transA ? "T" : "N")\(transB ? "T" : "N") at \(threads) threads")
            }
        }
    }
}
