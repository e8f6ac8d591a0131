// Matrix products through the one GEMM. Shapes: x (R, I), w (I, O) → (R, O); weights are stored (in, out).

/// op(a) · op(b) for rank-2 a, b; `transposeA`/`transposeB` read the operand transposed.
/// `packs`: reuse B packed for the products of this scope (`PackedWeightCache`), forward and in A's gradient.
public func matmul(_ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false,
                   packs: PackedWeightCache? = nil) throws -> Variable {
    try ensureShape(a.shape.count == 2 && b.shape.count == 2,
                    "[matmul] needs matrices, got \(Shape.describe(a.shape)) and \(Shape.describe(b.shape))")
    let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
    let (k2, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
    try ensureShape(k == k2, "[matmul] inner dimensions differ: \(Shape.describe(a.shape))\(transposeA ? "ᵀ" : "") · \(Shape.describe(b.shape))\(transposeB ? "ᵀ" : "")")
    let lda = a.shape[1], ldb = b.shape[1]
    let out = a.value.withPointer { ap in b.value.withPointer { bp in
        let packedB = transposeA ? nil : packs?.packed(b, transB: transposeB, rowsOfA: m)
        return makeTensor([m, n]) {
            gemm(transA: transposeA, transB: transposeB, m: m, n: n, k: k, a: ap, lda: lda, b: bp, ldb: ldb, c: $0, ldc: n,
                 packedB: packedB)
        }
    } }
    return record(out, parents: [a, b]) { g in
        g.withPointer { gp in
            if a.requiresGrad {
                // dA = g · op(B)ᵀ (or its transpose when A was read transposed).
                b.value.withPointer { bp in a.accumulateGrad { da in
                    if transposeA {
                        gemm(transA: transposeB, transB: true, m: k, n: m, k: n, a: bp, lda: ldb, b: gp, ldb: n, beta: 1, c: da, ldc: m)
                    } else {
                        gemm(transA: false, transB: !transposeB, m: m, n: k, k: n, a: gp, lda: n, b: bp, ldb: ldb, beta: 1, c: da, ldc: k,
                             packedB: packs?.packed(b, transB: !transposeB, rowsOfA: m))
                    }
                } }
            }
            if b.requiresGrad && !transposeA && !transposeB, let batch = packs?.gradientBatch(for: b),
               batch.collect(input: a.value, gradient: g) {
                // dB = Aᵀ · g, summed with the scope's other products of B (`WeightGradientBatch`).
            } else if b.requiresGrad {
                // dB = op(A)ᵀ · g (or its transpose when B was read transposed).
                a.value.withPointer { ap in b.accumulateGrad { db in
                    if transposeB {
                        gemm(transA: true, transB: transposeA, m: n, n: k, k: m, a: gp, lda: n, b: ap, ldb: lda, beta: 1, c: db, ldc: k)
                    } else {
                        gemm(transA: !transposeA, transB: false, m: k, n: n, k: m, a: ap, lda: lda, b: gp, ldb: n, beta: 1, c: db, ldc: n)
                    }
                } }
            }
        }
    }
}

/// x · w + b: a fully connected layer in one op. x (R, I), w (I, O), b (O) or nil.
public func linear(_ x: Variable, _ w: Variable, _ b: Variable?) throws -> Variable {
    let product = try matmul(x, w)
    guard let b else { return product }
    return try addBias(product, b)
}

/// Right operands packed once for every product that reads them in one scope: a recurrent window reads each cell
/// weight at every time step, forward (W) and in the gradient of its input (Wᵀ), and packing it anew for each of
/// those 64-row products was ~10% of a PTB retraining step. Build one per forward pass — it lives as long as the
/// tape's closures that captured it — and do not change the weights while it lives (the optimizer steps after the
/// backward pass). Results are bit-identical to unpacked products. The same scope sums each leaf weight's gradient
/// over its products in a few deep products (`WeightGradientBatch`), which rounds differently from per-product sums.
public final class PackedWeightCache {
    private struct Key: Hashable {
        let variable: ObjectIdentifier
        let transposed: Bool
    }
    /// The variable is held so that its identity cannot be reused by another while the cache lives.
    private var entries: [Key: (variable: Variable, packed: PackedRightOperand)] = [:]
    private var gradientBatches: [ObjectIdentifier: WeightGradientBatch] = [:]

    public init() {}

    /// op(w) packed as `gemm`'s right operand with `transB`, or nil when a product with `rowsOfA` rows would not
    /// pack it (then packing ahead would be wasted).
    func packed(_ w: Variable, transB: Bool, rowsOfA m: Int) -> PackedRightOperand? {
        let (k, n) = transB ? (w.shape[1], w.shape[0]) : (w.shape[0], w.shape[1])
        guard gemmPacksB(transA: false, transB: transB, m: m, n: n, k: k) else { return nil }
        let key = Key(variable: ObjectIdentifier(w), transposed: transB)
        if let hit = entries[key] { return hit.packed }
        let packed = w.value.withPointer { PackedRightOperand(transB: transB, k: k, n: n, b: $0, ldb: w.shape[1]) }
        entries[key] = (w, packed)
        return packed
    }

    /// The batch that sums leaf `w`'s gradient over this scope's products (nil for an op result, whose gradient
    /// must be complete before its own backward closure runs).
    func gradientBatch(for w: Variable) -> WeightGradientBatch? {
        guard w.backwardFunction == nil else { return nil }
        if let batch = gradientBatches[ObjectIdentifier(w)] { return batch }
        let batch = WeightGradientBatch(weight: w)
        gradientBatches[ObjectIdentifier(w)] = batch
        return batch
    }
}
