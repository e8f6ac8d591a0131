import ENASCore
import ENASTestSupport
import Foundation
import Testing

@Suite("Elementwise and reduction kernels against scalar definitions")
struct ElementwiseKernelsTests {
    func apply(_ n: Int, _ values: [Float], _ f: (FloatVector) -> FloatVector) -> [Float] {
        var out = [Float](repeating: 0, count: n)
        values.withUnsafeBufferPointer { x in out.withUnsafeMutableBufferPointer { mapElements(n, x.baseAddress!, $0.baseAddress!, f) } }
        return out
    }

    @Test(arguments: [1, 7, 33, 257])
    func transcendentalsMatchLibm(_ n: Int) {
        var rng = RandomSource(seed: UInt64(n))
        let x = (0..<n).map { _ in rng.uniform(-12, 12) }
        let e = apply(n, x) { exp($0) }, t = apply(n, x) { tanh($0) }, s = apply(n, x) { sigmoid($0) }
        for i in 0..<n {
            #expect(abs(e[i] - Foundation.exp(x[i])) <= 2e-6 * Foundation.exp(x[i]))
            #expect(abs(t[i] - Foundation.tanh(x[i])) <= 2e-6)
            #expect(abs(s[i] - 1 / (1 + Foundation.exp(-x[i]))) <= 2e-6)
        }
    }

    @Test func expSaturatesInsteadOfOverflowing() {
        let out = apply(3, [-200, 200, 0]) { exp($0) }
        #expect(out[0] >= 0 && out[0] < 1e-37 && out[1].isFinite && out[2] == 1)
    }

    @Test(arguments: [1, 7, 33, 257])
    func reductionsMatchScalarLoops(_ n: Int) {
        var rng = RandomSource(seed: UInt64(100 + n))
        let x = randomTensor([n], rng: &rng).storage, y = randomTensor([n], rng: &rng).storage
        let sum = x.withUnsafeBufferPointer { sumElements(n, $0.baseAddress!) }
        let dot = x.withUnsafeBufferPointer { a in y.withUnsafeBufferPointer { dotElements(n, a.baseAddress!, $0.baseAddress!) } }
        let maximum = x.withUnsafeBufferPointer { maxElement(n, $0.baseAddress!) }
        #expect(abs(sum - x.reduce(0, +)) <= 1e-5 * Float(n))
        #expect(abs(dot - zip(x, y).map(*).reduce(0, +)) <= 1e-5 * Float(n))
        #expect(maximum == x.max()!)
    }

    @Test(arguments: [(1, 1), (3, 7), (5, 33), (2, 257), (350, 11), (67, 5)])
    func softmaxCrossEntropyMatchesDefinition(_ shape: (Int, Int)) {
        let (rows, cols) = shape
        var rng = RandomSource(seed: UInt64(rows * 31 + cols))
        let logits = randomTensor([rows * cols], rng: &rng, low: 0.1, high: 5).storage
        let labels = (0..<rows).map { _ in Int32(rng.int(below: cols)) }
        var probs = [Float](repeating: 0, count: rows * cols)
        let loss = softmaxCrossEntropy(rows: rows, cols: cols, logits: logits, labels: labels, probabilities: &probs)
        var expected = 0.0
        for r in 0..<rows {
            let row = logits[(r * cols)..<((r + 1) * cols)].map(Double.init)
            let z = row.map { Foundation.exp($0) }.reduce(0, +)
            expected -= Foundation.log(Foundation.exp(row[Int(labels[r])]) / z)
            for c in 0..<cols { #expect(abs(Double(probs[r * cols + c]) - Foundation.exp(row[c]) / z) < 1e-6) }
        }
        #expect(abs(loss - expected) < 1e-4 * Double(rows))
    }
}
