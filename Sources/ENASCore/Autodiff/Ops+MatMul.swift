// Matrix products through the one GEMM. Shapes: x (R, I), w (I, O) → (R, O); weights are stored (in, out).

/// op(a) · op(b) for rank-2 a, b; `transposeA`/`transposeB` read the operand transposed.
public func matmul(_ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false) throws -> Variable {
    try ensureShape(a.shape.count == 2 && b.shape.count == 2,
                    "[matmul] needs matrices, got \(Shape.describe(a.shape)) and \(Shape.describe(b.shape))")
    let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
    let (k2, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
    try ensureShape(k == k2, "[matmul] inner dimensions differ: \(Shape.describe(a.shape))\(transposeA ? "ᵀ" : "") · \(Shape.describe(b.shape))\(transposeB ? "ᵀ" : "")")
    let lda = a.shape[1], ldb = b.shape[1]
    let out = a.value.withPointer { ap in b.value.withPointer { bp in
        makeTensor([m, n]) { gemm(transA: transposeA, transB: transposeB, m: m, n: n, k: k, a: ap, lda: lda, b: bp, ldb: ldb, c: $0, ldc: n) }
    } }
    return record(out, parents: [a, b]) { g in
        g.withPointer { gp in
            if a.requiresGrad {
                // dA = g · op(B)ᵀ (or its transpose when A was read transposed).
                b.value.withPointer { bp in a.accumulateGrad { da in
                    if transposeA {
                        gemm(transA: transposeB, transB: true, m: k, n: m, k: n, a: bp, lda: ldb, b: gp, ldb: n, beta: 1, c: da, ldc: m)
                    } else {
                        gemm(transA: false, transB: !transposeB, m: m, n: k, k: n, a: gp, lda: n, b: bp, ldb: ldb, beta: 1, c: da, ldc: k)
                    }
                } }
            }
            if b.requiresGrad {
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
