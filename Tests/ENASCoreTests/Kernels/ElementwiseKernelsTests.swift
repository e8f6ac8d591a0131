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

    // Every length around the vector width, in place (out aliasing an input, as axpy and the optimizers use it)
    // and out of place: each value is the same bits as the same input gets in the body of a long buffer, so a
    // tail (a partial vector for n < 16, the overlapping last 16 floats above) neither depends on its position nor
    // applies f twice to values the body already wrote.
    @Test(arguments: Array(1...40) + [47, 48, 49, 63, 65])
    func tailsGiveTheBodysBitsInPlace(_ n: Int) {
        var rng = RandomSource(seed: UInt64(500 + n))
        let x = randomTensor([n], rng: &rng).storage, y = randomTensor([n], rng: &rng).storage
        let z = randomTensor([n], rng: &rng).storage
        // The reference: each lane alone at the start of a 16-float buffer.
        func lanewise(_ f: (FloatVector, FloatVector, FloatVector) -> FloatVector) -> [Float] {
            (0..<n).map { f(FloatVector(repeating: x[$0]), FloatVector(repeating: y[$0]), FloatVector(repeating: z[$0]))[0] }
        }
        var mapped = x, zipped = y, zipped3 = z, axpyOut = y
        mapped.withUnsafeMutableBufferPointer { mapElements(n, $0.baseAddress!, $0.baseAddress!) { tanh($0) * 3 + 1 } }
        x.withUnsafeBufferPointer { xp in zipped.withUnsafeMutableBufferPointer {
            zipElements(n, xp.baseAddress!, $0.baseAddress!, $0.baseAddress!) { a, b in b.addingProduct(a, 0.75) + 1 }
        } }
        x.withUnsafeBufferPointer { xp in y.withUnsafeBufferPointer { yp in zipped3.withUnsafeMutableBufferPointer {
            zip3Elements(n, xp.baseAddress!, yp.baseAddress!, $0.baseAddress!, $0.baseAddress!) { a, b, c in c + a * b - 0.5 }
        } } }
        x.withUnsafeBufferPointer { xp in axpyOut.withUnsafeMutableBufferPointer { axpy(n, alpha: -2, xp.baseAddress!, $0.baseAddress!) } }
        #expect(mapped == lanewise { a, _, _ in tanh(a) * 3 + 1 })
        #expect(zipped == lanewise { a, b, _ in b.addingProduct(a, 0.75) + 1 })
        #expect(zipped3 == lanewise { a, b, c in c + a * b - 0.5 })
        #expect(axpyOut == lanewise { a, b, _ in b.addingProduct(FloatVector(repeating: -2), a) })
    }

    // Whole-batch passes split over threads in 1,024-float chunks give the serial pass's bits, at any thread count
    // and for a length that leaves a partial last chunk and a tail.
    @Test(arguments: [1, 2, 3])
    func parallelPassesGiveTheSerialBits(_ threads: Int) {
        let n = 3 * 65_536 + 1_037
        var rng = RandomSource(seed: 77)
        let x = randomTensor([n], rng: &rng).storage, y = randomTensor([n], rng: &rng).storage
        let z = randomTensor([n], rng: &rng).storage
        var serial = ([Float](repeating: 0, count: n), [Float](repeating: 0, count: n), z)
        var split = serial
        x.withUnsafeBufferPointer { xp in y.withUnsafeBufferPointer { yp in
            let (xb, yb) = (xp.baseAddress!, yp.baseAddress!)
            serial.0.withUnsafeMutableBufferPointer { mapElements(n, xb, $0.baseAddress!) { tanh($0) * 2 } }
            serial.1.withUnsafeMutableBufferPointer { zipElements(n, xb, yb, $0.baseAddress!) { a, b in a.addingProduct(b, 3) } }
            serial.2.withUnsafeMutableBufferPointer { zip3Elements(n, xb, yb, $0.baseAddress!, $0.baseAddress!) { a, b, c in c - a * b } }
            Parallel.withThreadCount(threads) {
                split.0.withUnsafeMutableBufferPointer { parallelMapElements(n, xb, $0.baseAddress!) { tanh($0) * 2 } }
                split.1.withUnsafeMutableBufferPointer { parallelZipElements(n, xb, yb, $0.baseAddress!) { a, b in a.addingProduct(b, 3) } }
                split.2.withUnsafeMutableBufferPointer {
                    parallelZip3Elements(n, xb, yb, $0.baseAddress!, $0.baseAddress!) { a, b, c in c - a * b }
                }
            }
        } }
        #expect(split.0 == serial.0 && split.1 == serial.1 && split.2 == serial.2)
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

@Suite("Activation and embedding kernels against scalar definitions")
struct ActivationAndEmbeddingKernelsTests {
    @Test(arguments: [1, 7, 33, 257])
    func activationsForwardAndBackwardMatchDefinitions(_ n: Int) {
        var rng = RandomSource(seed: UInt64(300 + n))
        let x = randomTensor([n], rng: &rng, low: 0.05, high: 4).storage
        let dy = randomTensor([n], rng: &rng).storage
        for f in Activation.allCases {
            var y = [Float](repeating: 0, count: n), dx = [Float](repeating: 0, count: n)
            x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { mapElements(n, xp.baseAddress!, $0.baseAddress!) { f.forward($0) } } }
            y.withUnsafeBufferPointer { yp in dy.withUnsafeBufferPointer { gp in dx.withUnsafeMutableBufferPointer {
                zipElements(n, yp.baseAddress!, gp.baseAddress!, $0.baseAddress!) { f.backward(y: $0, dy: $1) }
            } } }
            for i in 0..<n {
                let (value, slope): (Float, Float) = switch f {
                case .tanh: (Foundation.tanh(x[i]), 1 - Foundation.tanh(x[i]) * Foundation.tanh(x[i]))
                case .relu: (max(0, x[i]), x[i] > 0 ? 1 : 0)
                case .identity: (x[i], 1)
                case .sigmoid: (1 / (1 + Foundation.exp(-x[i])), 1 / (1 + Foundation.exp(-x[i])) * (1 - 1 / (1 + Foundation.exp(-x[i]))))
                }
                #expect(abs(y[i] - value) <= 2e-6, "\(f) forward at \(x[i])")
                #expect(abs(dx[i] - slope * dy[i]) <= 2e-6, "\(f) backward at \(x[i])")
            }
        }
    }

    @Test func embeddingGatherAndScatterAddMatchLoops() {
        var rng = RandomSource(seed: 31)
        let (vocabulary, width) = (9, 33)
        let table = randomTensor([vocabulary * width], rng: &rng).storage
        let ids: [Int32] = [4, 0, 8, 4, 4, 1, 7]
        var rows = [Float](repeating: 0, count: ids.count * width)
        embeddingGather(ids: ids, count: ids.count, table: table, width: width, out: &rows)
        for (r, id) in ids.enumerated() { #expect(Array(rows[(r * width)..<((r + 1) * width)]) == Array(table[(Int(id) * width)..<((Int(id) + 1) * width)])) }
        let grad = randomTensor([ids.count * width], rng: &rng).storage
        var tableGrad = [Float](repeating: 0, count: vocabulary * width)
        embeddingScatterAdd(ids: ids, count: ids.count, grad: grad, width: width, tableGrad: &tableGrad)
        var expected = [Float](repeating: 0, count: vocabulary * width)
        for (r, id) in ids.enumerated() { for c in 0..<width { expected[Int(id) * width + c] += grad[r * width + c] } }
        #expect(maxAbsDifference(tableGrad, expected) < 1e-6)
    }
}
