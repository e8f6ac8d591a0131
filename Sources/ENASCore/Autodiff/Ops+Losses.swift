// The fused softmax–cross-entropy: one op from logits to a scalar, so the (R, V) probabilities are computed once
// and reused by backward (dlogits = (p − onehot) · scale).

/// scale · Σ_r −log softmax(logits)[r, labels[r]]. logits (R, V); labels R ints in 0..<V. `scale` is 1/R for the
/// mean (the default) or 1/batch for the recurrent search's "summed over time, averaged over batch" loss.
public func softmaxCrossEntropy(_ logits: Variable, labels: [Int32], scale: Float? = nil) throws -> Variable {
    try ensureShape(logits.shape.count == 2 && logits.shape[0] == labels.count,
                    "[softmaxCrossEntropy] logits \(Shape.describe(logits.shape)) need one label per row, got \(labels.count)")
    let rows = logits.shape[0], cols = logits.shape[1]
    if let bad = labels.first(where: { $0 < 0 || Int($0) >= cols }) {
        throw ENASError.invalidArgument("[softmaxCrossEntropy] label \(bad) is outside 0..<\(cols)")
    }
    let factor = scale ?? 1 / Float(max(rows, 1))
    var total = 0.0
    let probabilities = logits.value.withPointer { lp in labels.withUnsafeBufferPointer { yp in
        Tensor(uninitializedShape: logits.shape) {
            total = softmaxCrossEntropy(rows: rows, cols: cols, logits: lp, labels: yp.baseAddress!, probabilities: $0)
        }
    } }
    let loss = Tensor(scalar: Float(total) * factor)
    return record(loss, parents: [logits]) { g in
        // d = (p − onehot(label)) · s, written straight into a fresh gradient buffer: PTB's logits are 90 MB, and a
        // copy of the probabilities plus a second scaling pass cost 3% of a retraining step.
        let s = g.scalar * factor, sv = FloatVector(repeating: s)
        probabilities.withPointer { pp in
            logits.writeOrAccumulateGrad { grad, overwrite in
                if overwrite {
                    mapElements(rows * cols, pp, grad) { $0 * sv }
                    for r in 0..<rows { let i = r * cols + Int(labels[r]); grad[i] = (pp[i] - 1) * s }
                } else {
                    for r in 0..<rows {
                        zipElements(cols, pp + r * cols, UnsafePointer(grad + r * cols), grad + r * cols) { p, acc in acc + p * sv }
                        let i = r * cols + Int(labels[r]); grad[i] += -s    // acc + (p − 1)·s as acc + p·s − s
                    }
                }
            }
        }
    }
}

/// Σ_r KL(softmax(logits[r]) ‖ target) over rows: logits (R, C), target C probabilities (> 0, summing to 1).
/// The macro controller's skip penalty pulls each skip probability toward ρ with rows [0, z] and target [1 − ρ, ρ].
public func klDivergenceToTarget(_ logits: Variable, target: [Float]) throws -> Variable {
    try ensureShape(logits.shape.count == 2 && logits.shape[1] == target.count,
                    "[kl] logits \(Shape.describe(logits.shape)) need one target probability per column, got \(target.count)")
    try ensureArgument(target.allSatisfy { $0 > 0 } && abs(target.reduce(0, +) - 1) < 1e-4, "[kl] target \(target) must be positive and sum to 1")
    let (rows, cols) = (logits.shape[0], logits.shape[1])
    var q = logits.value
    q.withMutablePointer { softmaxRows(rows: rows, cols: cols, $0) }
    var rowKL = [Float](repeating: 0, count: rows)
    for r in 0..<rows {
        for c in 0..<cols {
            let p = max(q.storage[r * cols + c], 1e-30)
            rowKL[r] += p * (logf(p) - logf(target[c]))
        }
    }
    return record(Tensor(scalar: rowKL.reduce(0, +)), parents: [logits]) { g in
        var d = Tensor(zeros: logits.shape)
        for r in 0..<rows {
            for c in 0..<cols {
                let p = max(q.storage[r * cols + c], 1e-30)
                d.storage[r * cols + c] = g.scalar * p * (logf(p) - logf(target[c]) - rowKL[r])
            }
        }
        logits.accumulateGrad(d)
    }
}

#if canImport(Glibc)
import Glibc
#endif
