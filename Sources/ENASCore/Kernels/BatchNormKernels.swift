// Batch normalization over (N, H, W) per channel, NCHW. M = N·H·W elements per channel.

/// Training forward: per-channel batch mean and biased variance, xhat = (x − mean)·invStd, y = γ·xhat + β.
/// Writes xhat (N, C, H, W) and invStd (C) for backward, and the batch mean/variance (C).
public func batchNormTrainingForward(
    batch: Int, channels: Int, plane: Int, epsilon: Float,
    x: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
    y: UnsafeMutablePointer<Float>, xhat: UnsafeMutablePointer<Float>, invStd: UnsafeMutablePointer<Float>,
    mean: UnsafeMutablePointer<Float>, variance: UnsafeMutablePointer<Float>
) {
    let bits = (UInt(bitPattern: x), UInt(bitPattern: gamma), UInt(bitPattern: beta), UInt(bitPattern: y),
                UInt(bitPattern: xhat), UInt(bitPattern: invStd), UInt(bitPattern: mean), UInt(bitPattern: variance))
    Parallel.forRanges(count: channels) { range in
        let x = UnsafePointer<Float>(bitPattern: bits.0)!, gamma = UnsafePointer<Float>(bitPattern: bits.1)!
        let beta = UnsafePointer<Float>(bitPattern: bits.2)!, y = UnsafeMutablePointer<Float>(bitPattern: bits.3)!
        let xhat = UnsafeMutablePointer<Float>(bitPattern: bits.4)!, invStd = UnsafeMutablePointer<Float>(bitPattern: bits.5)!
        let mean = UnsafeMutablePointer<Float>(bitPattern: bits.6)!, variance = UnsafeMutablePointer<Float>(bitPattern: bits.7)!
        let count = Float(batch * plane)
        for c in range {
            var total: Float = 0
            for n in 0..<batch { total += sumElements(plane, x + (n * channels + c) * plane) }
            let mu = total / count
            var squares: Float = 0
            let shift = FloatVector(repeating: mu)
            for n in 0..<batch {
                let base = (n * channels + c) * plane
                mapElements(plane, x + base, xhat + base) { $0 - shift }
                squares += dotElements(plane, xhat + base, xhat + base)
            }
            let v = squares / count
            let inv = 1 / (v + epsilon).squareRoot()
            mean[c] = mu; variance[c] = v; invStd[c] = inv
            let g = FloatVector(repeating: gamma[c]), b = FloatVector(repeating: beta[c]), s = FloatVector(repeating: inv)
            for n in 0..<batch {
                let base = (n * channels + c) * plane
                mapElements(plane, xhat + base, xhat + base) { $0 * s }
                mapElements(plane, xhat + base, y + base) { b.addingProduct($0, g) }
            }
        }
    }
}

/// Inference forward with running statistics: y = γ·(x − mean)/√(var + ε) + β.
public func batchNormInferenceForward(
    batch: Int, channels: Int, plane: Int, epsilon: Float, x: UnsafePointer<Float>, gamma: UnsafePointer<Float>,
    beta: UnsafePointer<Float>, mean: UnsafePointer<Float>, variance: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
) {
    for c in 0..<channels {
        let scale = gamma[c] / (variance[c] + epsilon).squareRoot()
        let s = FloatVector(repeating: scale), b = FloatVector(repeating: beta[c] - mean[c] * scale)
        for n in 0..<batch {
            let base = (n * channels + c) * plane
            mapElements(plane, x + base, y + base) { b.addingProduct($0, s) }
        }
    }
}

/// Training backward: dx += invStd/M · (M·dxhat − Σdxhat − xhat·Σ(dxhat·xhat)) with dxhat = γ·dy;
/// dγ += Σ dy·xhat, dβ += Σ dy.
public func batchNormBackward(
    batch: Int, channels: Int, plane: Int, dy: UnsafePointer<Float>, xhat: UnsafePointer<Float>,
    gamma: UnsafePointer<Float>, invStd: UnsafePointer<Float>,
    dx: UnsafeMutablePointer<Float>?, dgamma: UnsafeMutablePointer<Float>?, dbeta: UnsafeMutablePointer<Float>?
) {
    let bits = (UInt(bitPattern: dy), UInt(bitPattern: xhat), UInt(bitPattern: gamma), UInt(bitPattern: invStd),
                dx.map { UInt(bitPattern: $0) } ?? 0, dgamma.map { UInt(bitPattern: $0) } ?? 0,
                dbeta.map { UInt(bitPattern: $0) } ?? 0)
    Parallel.forRanges(count: channels) { range in
        let dy = UnsafePointer<Float>(bitPattern: bits.0)!, xhat = UnsafePointer<Float>(bitPattern: bits.1)!
        let gamma = UnsafePointer<Float>(bitPattern: bits.2)!, invStd = UnsafePointer<Float>(bitPattern: bits.3)!
        let dx = UnsafeMutablePointer<Float>(bitPattern: bits.4), dgamma = UnsafeMutablePointer<Float>(bitPattern: bits.5)
        let dbeta = UnsafeMutablePointer<Float>(bitPattern: bits.6)
        let count = Float(batch * plane)
        for c in range {
            var sumDy: Float = 0, sumDyXhat: Float = 0
            for n in 0..<batch {
                let base = (n * channels + c) * plane
                sumDy += sumElements(plane, dy + base)
                sumDyXhat += dotElements(plane, dy + base, xhat + base)
            }
            dgamma?[c] += sumDyXhat
            dbeta?[c] += sumDy
            guard let dx else { continue }
            let k = gamma[c] * invStd[c] / count
            let a = FloatVector(repeating: k * count), b = FloatVector(repeating: -k * sumDy)
            let d = FloatVector(repeating: -k * sumDyXhat)
            for n in 0..<batch {
                let base = (n * channels + c) * plane
                zip3Elements(plane, dy + base, xhat + base, UnsafePointer(dx + base), dx + base) { g, h, acc in
                    acc + a * g + b + d * h
                }
            }
        }
    }
}
