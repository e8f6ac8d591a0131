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

@Suite("GEMM against a naive triple loop")
struct GEMMKernelsTests {
    @Test(arguments: gemmCases)
    func matchesReference(_ c: GEMMCase) {
        var rng = RandomSource(seed: UInt64(c.m * 1_000_003 + c.n * 1009 + c.k))
        // Padded leading dimensions catch stride bugs.
        let lda = (c.transA ? c.m : c.k) + 3, ldb = (c.transB ? c.k : c.n) + 5, ldc = c.n + 2
        let a = randomTensor([(c.transA ? c.k : c.m) * lda], rng: &rng).storage
        let b = randomTensor([(c.transB ? c.n : c.k) * ldb], rng: &rng).storage
        let c0 = randomTensor([c.m * ldc], rng: &rng).storage
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

    @Test func sameResultWithOneAndTwoThreads() {
        var rng = RandomSource(seed: 3)
        let (m, n, k) = (256, 700, 130)   // above the 2^22 multiply-adds per thread that the split needs
        let a = randomTensor([m * k], rng: &rng).storage, b = randomTensor([k * n], rng: &rng).storage
        func run(_ threads: Int) -> [Float] {
            let saved = Parallel.threadCount
            defer { Parallel.threadCount = saved }
            Parallel.threadCount = threads
            var c = [Float](repeating: 0, count: m * n)
            gemm(transA: false, transB: false, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &c, ldc: n)
            return c
        }
        #expect(run(1) == run(2))
    }

    @Test func narrowPathSameResultWithOneAndTwoThreads() {
        var rng = RandomSource(seed: 4)
        let (m, n, k) = (40, 4100, 80)   // the narrow path, split over columns at 2 threads
        let a = randomTensor([m * k], rng: &rng).storage, b = randomTensor([k * n], rng: &rng).storage
        func run(_ threads: Int) -> [Float] {
            let saved = Parallel.threadCount
            defer { Parallel.threadCount = saved }
            Parallel.threadCount = threads
            var c = [Float](repeating: 0, count: m * n)
            gemm(transA: false, transB: false, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &c, ldc: n)
            return c
        }
        #expect(run(1) == run(2))
    }
}
