// Reductions: sums, row softmax, the fused softmax–cross-entropy, and embedding gather/scatter-add.
// R = rows, V = columns (vocabulary or classes), E = embedding width.

/// Σ x[i] over n floats (SIMD partial sums, then a fixed-order horizontal sum: deterministic).
public func sumElements(_ n: Int, _ x: UnsafePointer<Float>) -> Float {
    var acc = FloatVector()
    var i = 0
    let rx = UnsafeRawPointer(x)
    while i + 16 <= n { acc += rx.loadUnaligned(fromByteOffset: i * 4, as: FloatVector.self); i += 16 }
    var total = horizontalSum(acc)
    while i < n { total += x[i]; i += 1 }
    return total
}

/// Σ x[i]·y[i] over n floats.
public func dotElements(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Float {
    var acc = FloatVector()
    var i = 0
    let rx = UnsafeRawPointer(x), ry = UnsafeRawPointer(y)
    while i + 16 <= n {
        acc = acc.addingProduct(rx.loadUnaligned(fromByteOffset: i * 4, as: FloatVector.self),
                                ry.loadUnaligned(fromByteOffset: i * 4, as: FloatVector.self))
        i += 16
    }
    var total = horizontalSum(acc)
    while i < n { total += x[i] * y[i]; i += 1 }
    return total
}

/// max x[i] over n > 0 floats.
public func maxElement(_ n: Int, _ x: UnsafePointer<Float>) -> Float {
    var best = -Float.infinity
    var i = 0
    if n >= 16 {
        var acc = FloatVector(repeating: -.infinity)
        let rx = UnsafeRawPointer(x)
        // Masked selects, not `pointwiseMax` and `max()`, which compile to per-lane loops through the stack on
        // AVX2 (13% of a W1s step, in the softmax's row maxima).
        while i + 16 <= n {
            let v = rx.loadUnaligned(fromByteOffset: i * 4, as: FloatVector.self)
            acc = acc.replacing(with: v, where: v .> acc)
            i += 16
        }
        let eight = acc.lowHalf.replacing(with: acc.highHalf, where: acc.highHalf .> acc.lowHalf)
        let four = eight.lowHalf.replacing(with: eight.highHalf, where: eight.highHalf .> eight.lowHalf)
        let two = four.lowHalf.replacing(with: four.highHalf, where: four.highHalf .> four.lowHalf)
        best = max(two[0], two[1])
    }
    while i < n { best = max(best, x[i]); i += 1 }
    return best
}

/// Row softmax in place over a (rows, cols) matrix; returns nothing, rows are independent.
public func softmaxRows(rows: Int, cols: Int, _ x: UnsafeMutablePointer<Float>) {
    for r in 0..<rows { _ = softmaxRow(cols, UnsafePointer(x + r * cols), x + r * cols) }
}

/// out = softmax(row) over `cols` floats (out may alias row); returns log Σ exp(row), the row's log-normalizer.
@inline(__always)
func softmaxRow(_ cols: Int, _ row: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>) -> Double {
    let m = maxElement(cols, row)
    let shift = FloatVector(repeating: m)
    mapElements(cols, row, out) { exp($0 - shift) }
    let total = sumElements(cols, out)
    let inv = 1 / total
    mapElements(cols, out, out) { $0 * inv }
    return Double(m) + Double(logf(total))
}

/// Fused softmax–cross-entropy. logits (R, V), labels R ints in 0..<V. Writes probabilities (R, V) and returns
/// Σ_r −log p[r, label_r] (the caller scales). Rows are split across threads in fixed chunks.
public func softmaxCrossEntropy(rows: Int, cols: Int, logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                                probabilities: UnsafeMutablePointer<Float>) -> Double {
    // At most 64 fixed chunks (the partial sums' order, hence the result, does not depend on the thread count).
    let rowsPerChunk = max(1, (rows + 63) / 64)
    let chunks = (rows + rowsPerChunk - 1) / rowsPerChunk
    var partial = [Double](repeating: 0, count: chunks)
    let lBits = UInt(bitPattern: logits), pBits = UInt(bitPattern: probabilities), yBits = UInt(bitPattern: labels)
    partial.withUnsafeMutableBufferPointer { partialBuffer in
        let sBits = UInt(bitPattern: partialBuffer.baseAddress!)
        Parallel.forEach(chunks: chunks) { chunk in
            let logits = UnsafePointer<Float>(bitPattern: lBits)!, probs = UnsafeMutablePointer<Float>(bitPattern: pBits)!
            let labels = UnsafePointer<Int32>(bitPattern: yBits)!, sums = UnsafeMutablePointer<Double>(bitPattern: sBits)!
            var loss = 0.0
            for r in (chunk * rowsPerChunk)..<min(rows, (chunk + 1) * rowsPerChunk) {
                let row = logits + r * cols
                loss += softmaxRow(cols, row, probs + r * cols) - Double(row[Int(labels[r])])
            }
            sums[chunk] = loss
        }
    }
    return partial.reduce(0, +)
}

/// out[r, :] = table[ids[r], :] for R ids; table is (V, E).
public func embeddingGather(ids: UnsafePointer<Int32>, count: Int, table: UnsafePointer<Float>, width: Int,
                            out: UnsafeMutablePointer<Float>) {
    for r in 0..<count { (out + r * width).update(from: table + Int(ids[r]) * width, count: width) }
}

/// tableGrad[ids[r], :] += grad[r, :] (sequential: repeated ids accumulate in a fixed order).
public func embeddingScatterAdd(ids: UnsafePointer<Int32>, count: Int, grad: UnsafePointer<Float>, width: Int,
                                tableGrad: UnsafeMutablePointer<Float>) {
    for r in 0..<count { axpy(width, alpha: 1, grad + r * width, tableGrad + Int(ids[r]) * width) }
}

#if canImport(Glibc)
import Glibc
#endif
