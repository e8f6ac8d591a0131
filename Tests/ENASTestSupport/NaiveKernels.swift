import ENASCore

// Reference loops: the obvious, slow definition of each kernel, for checking the fast ones.

/// C = alpha·op(A)·op(B) + beta·C with triple loops in Double.
public func naiveGemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: [Float], lda: Int,
                      b: [Float], ldb: Int, beta: Float, c: [Float], ldc: Int) -> [Float] {
    var out = c
    for i in 0..<m {
        for j in 0..<n {
            var total = 0.0
            for p in 0..<k {
                let av = transA ? a[p * lda + i] : a[i * lda + p]
                let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                total += Double(av) * Double(bv)
            }
            out[i * ldc + j] = Float(Double(alpha) * total + (beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])))
        }
    }
    return out
}

/// The blocked GEMM path's exact arithmetic, one element at a time: per depth block (`gemmDepthStep`), a sum of fused
/// multiply-adds over p in order from zero, scaled by alpha, then C ← value + beta · C fused (beta for the first
/// block, 1 for the next). Any register tile that follows it gives these bits.
public func fusedBlockedGemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: [Float], lda: Int,
                             b: [Float], ldb: Int, beta: Float, c: [Float], ldc: Int) -> [Float] {
    var out = c
    let step = gemmDepthStep(k)
    for i in 0..<m {
        for j in 0..<n {
            var element = c[i * ldc + j]
            for blockStart in stride(from: 0, to: k, by: step) {
                var sum: Float = 0
                for p in blockStart..<min(k, blockStart + step) {
                    sum = sum.addingProduct(transA ? a[p * lda + i] : a[i * lda + p], transB ? b[j * ldb + p] : b[p * ldb + j])
                }
                let value = alpha == 1 ? sum : alpha * sum
                let blockBeta: Float = blockStart == 0 ? beta : 1
                element = blockBeta == 0 ? value : value.addingProduct(blockBeta, element)
            }
            out[i * ldc + j] = element
        }
    }
    return out
}

/// Direct convolution: x (N, C, H, W), w (O, C/groups, K, K); groups = C gives depthwise.
public func naiveConv2d(_ x: Tensor, _ w: Tensor, stride: Int, padding: Int, groups: Int = 1) -> Tensor {
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (o, k) = (w.shape[0], w.shape[2])
    let cPerGroup = c / groups, oPerGroup = o / groups
    let oh = (h + 2 * padding - k) / stride + 1, ow = (wd + 2 * padding - k) / stride + 1
    var y = Tensor(zeros: [n, o, oh, ow])
    for b in 0..<n { for oc in 0..<o { for oy in 0..<oh { for ox in 0..<ow {
        var total = 0.0
        let group = oc / oPerGroup
        for ci in 0..<cPerGroup { for ky in 0..<k { for kx in 0..<k {
            let iy = oy * stride - padding + ky, ix = ox * stride - padding + kx
            guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
            let channel = group * cPerGroup + ci
            total += Double(x.storage[((b * c + channel) * h + iy) * wd + ix]) * Double(w.storage[((oc * cPerGroup + ci) * k + ky) * k + kx])
        } } }
        y.storage[((b * o + oc) * oh + oy) * ow + ox] = Float(total)
    } } } }
    return y
}

/// Max or average (padding excluded) pooling by definition.
public func naivePool(_ x: Tensor, kernel: Int, stride: Int, padding: Int, max useMax: Bool) -> Tensor {
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let oh = (h + 2 * padding - kernel) / stride + 1, ow = (w + 2 * padding - kernel) / stride + 1
    var y = Tensor(zeros: [n, c, oh, ow])
    for p in 0..<(n * c) { for oy in 0..<oh { for ox in 0..<ow {
        var values: [Float] = []
        for ky in 0..<kernel { for kx in 0..<kernel {
            let iy = oy * stride - padding + ky, ix = ox * stride - padding + kx
            if iy >= 0, iy < h, ix >= 0, ix < w { values.append(x.storage[(p * h + iy) * w + ix]) }
        } }
        y.storage[(p * oh + oy) * ow + ox] = useMax ? values.max()! : values.reduce(0, +) / Float(values.count)
    } } }
    return y
}

/// Training-mode batch norm by definition (Double statistics).
public func naiveBatchNorm(_ x: Tensor, gamma: [Float], beta: [Float], epsilon: Float) -> Tensor {
    let (n, c, plane) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
    var y = x
    for ch in 0..<c {
        var values: [Double] = []
        for b in 0..<n { for i in 0..<plane { values.append(Double(x.storage[(b * c + ch) * plane + i])) } }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
        for b in 0..<n { for i in 0..<plane {
            let idx = (b * c + ch) * plane + i
            y.storage[idx] = Float((Double(x.storage[idx]) - mean) / (variance + Double(epsilon)).squareRoot()) * gamma[ch] + beta[ch]
        } }
    }
    return y
}

/// Largest |a − b| over two equal-length arrays.
public func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "length mismatch \(a.count) vs \(b.count)")
    // A NaN on either side is an infinite difference (Swift's max would quietly drop it).
    return zip(a, b).reduce(0) { worst, pair in
        let difference = abs(pair.0 - pair.1)
        return difference.isNaN ? .infinity : max(worst, difference)
    }
}
