// Matrix products on tensor handles, validated here and computed by ENASCore's one `gemm` entry point.
// m, n, k = rows of op(A) and C, columns of op(B) and C, the shared inner dimension.
import ENASCore

/// Checks that `tensor` is the 2-D matrix `expected`; `role` describes it in the message (e.g. "a (m, k)").
private func expectMatrix(_ tensor: Tensor, _ expected: [Int], _ role: String) throws {
    guard tensor.shape == expected else {
        throw ABIError.shape(
            "\(role) should be \(Shape.describe(expected)), got a tensor of shape \(Shape.describe(tensor.shape))")
    }
}

/// C = alpha · op(A) · op(B) + beta · C for validated shapes. `a` and `b` are values, so when `c` is the same object
/// as either, writing C copies its storage first and the product reads the old values.
private func multiply(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: Tensor, b: Tensor, beta: Float,
    into c: TensorObject
) {
    guard m > 0, n > 0 else { return }
    c.tensor.withMutablePointer { cp in
        guard k > 0 else {
            // An empty inner dimension: op(A)·op(B) is zero, so C = beta · C (beta = 0 writes zeros, NaN-safe).
            for i in 0..<(m * n) { cp[i] = beta == 0 ? 0 : beta * cp[i] }
            return
        }
        a.withPointer { ap in
            b.withPointer { bp in
                gemm(
                    transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                    a: ap, lda: transA ? m : k, b: bp, ldb: transB ? k : n, beta: beta, c: cp, ldc: n)
            }
        }
    }
}

/// `int32_t enas_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
///                    const enas_tensor *a, const enas_tensor *b, float beta, enas_tensor *c)`
@_cdecl("enas_gemm")
public func enas_gemm(
    _ transA: Bool, _ transB: Bool, _ m: Int64, _ n: Int64, _ k: Int64, _ alpha: Float,
    _ a: OpaquePointer?, _ b: OpaquePointer?, _ beta: Float, _ c: OpaquePointer?
) -> Int32 {
    abiCall("enas_gemm") {
        let registry = HandleRegistry.shared
        let aTensor = try registry.lookup(a, as: TensorObject.self, argument: "a").tensor
        let bTensor = try registry.lookup(b, as: TensorObject.self, argument: "b").tensor
        let cObject = try registry.lookup(c, as: TensorObject.self, argument: "c")
        for (name, value) in [("m", m), ("n", n), ("k", k)] where value < 0 {
            throw ABIError.invalidArgument("\(name) = \(value) is negative")
        }
        let (m, n, k) = (Int(m), Int(n), Int(k))
        try expectMatrix(aTensor, transA ? [k, m] : [m, k], transA ? "a (k, m) with trans_a" : "a (m, k)")
        try expectMatrix(bTensor, transB ? [n, k] : [k, n], transB ? "b (n, k) with trans_b" : "b (k, n)")
        try expectMatrix(cObject.tensor, [m, n], "c (m, n)")
        multiply(
            transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: aTensor, b: bTensor, beta: beta,
            into: cObject)
    }
}

/// `int32_t enas_tensor_matmul(const enas_tensor *a, const enas_tensor *b, enas_tensor **out)`
@_cdecl("enas_tensor_matmul")
public func enas_tensor_matmul(
    _ a: OpaquePointer?, _ b: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    abiCall("enas_tensor_matmul") {
        let out = try required(out, "out")
        out.pointee = nil
        let registry = HandleRegistry.shared
        let aTensor = try registry.lookup(a, as: TensorObject.self, argument: "a").tensor
        let bTensor = try registry.lookup(b, as: TensorObject.self, argument: "b").tensor
        let (aShape, bShape) = (aTensor.shape, bTensor.shape)
        guard aShape.count == 2 else { throw ABIError.shape("a should be 2-D (m, k), got shape \(Shape.describe(aShape))") }
        guard bShape.count == 2 else { throw ABIError.shape("b should be 2-D (k, n), got shape \(Shape.describe(bShape))") }
        let (m, k, n) = (aShape[0], aShape[1], bShape[1])
        guard bShape[0] == k else {
            throw ABIError.shape(
                "a \(Shape.describe(aShape)) and b \(Shape.describe(bShape)) do not chain: a has \(k) columns, b has \(bShape[0]) rows"
            )
        }
        // The result's size is bounded by memory like any created tensor.
        var shape = [Int64(m), Int64(n)]
        let (dims, _) = try readShape(&shape, ndim: 2, elementSize: MemoryLayout<Float>.stride, argument: "result")
        let result = TensorObject(Tensor(zeros: dims))
        multiply(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: aTensor, b: bTensor, beta: 0, into: result)
        out.pointee = HandleRegistry.shared.register(result)
    }
}
