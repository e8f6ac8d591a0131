// Batch normalization over (N, H, W) per channel, NCHW. M = N·H·W elements per channel.
// Training keeps no normalized copy of x: forward reads x twice (mean, then the centered sum of squares) and writes
// y once; backward recomputes x̂ = (x − mean)·invStd on the fly from x (which the graph holds anyway), reading
// x and dy twice and writing dx once. Channels run in parallel; each channel's sums run in a fixed order.

/// Training forward: per-channel batch mean and biased variance, y = γ·(x − mean)·invStd + β.
/// Writes y (N, C, H, W), and mean, variance and invStd = 1/√(variance + ε) (C) for backward and running averages.
public func batchNormTrainingForward(
    batch: Int, channels: Int, plane: Int, epsilon: Float,
    x: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
    y: UnsafeMutablePointer<Float>, invStd: UnsafeMutablePointer<Float>,
    mean: UnsafeMutablePointer<Float>, variance: UnsafeMutablePointer<Float>
) {
    let bits = (UInt(bitPattern: x), UInt(bitPattern: gamma), UInt(bitPattern: beta), UInt(bitPattern: y),
                UInt(bitPattern: invStd), UInt(bitPattern: mean), UInt(bitPattern: variance))
    Parallel.forRanges(count: channels, chunksPerThread: 4) { range in
        let x = UnsafePointer<Float>(bitPattern: bits.0)!, gamma = UnsafePointer<Float>(bitPattern: bits.1)!
        let beta = UnsafePointer<Float>(bitPattern: bits.2)!, y = UnsafeMutablePointer<Float>(bitPattern: bits.3)!
        let invStd = UnsafeMutablePointer<Float>(bitPattern: bits.4)!
        let mean = UnsafeMutablePointer<Float>(bitPattern: bits.5)!, variance = UnsafeMutablePointer<Float>(bitPattern: bits.6)!
        let count = Float(batch * plane)
        for c in range {
            var total: Float = 0
            for n in 0..<batch { total += sumElements(plane, x + (n * channels + c) * plane) }
            let mu = total / count
            var squares: Float = 0
            for n in 0..<batch { squares += centeredSquares(plane, x + (n * channels + c) * plane, mean: mu) }
            let v = squares / count
            let inv = 1 / (v + epsilon).squareRoot()
            mean[c] = mu; variance[c] = v; invStd[c] = inv
            // y = x·(γ·invStd) + (β − mean·γ·invStd)
            let scale = gamma[c] * inv
            let s = FloatVector(repeating: scale), b = FloatVector(repeating: beta[c] - mu * scale)
            for n in 0..<batch {
                let base = (n * channels + c) * plane
                mapElements(plane, x + base, y + base) { b.addingProduct($0, s) }
            }
        }
    }
}

/// Σ (x[i] − mean)² over n floats.
@inline(__always)
func centeredSquares(_ n: Int, _ x: UnsafePointer<Float>, mean: Float) -> Float {
    let m = FloatVector(repeating: mean)
    var acc = FloatVector()
    var i = 0
    let rx = UnsafeRawPointer(x)
    while i + 16 <= n {
        let d = rx.loadUnaligned(fromByteOffset: i * 4, as: FloatVector.self) - m
        acc = acc.addingProduct(d, d)
        i += 16
    }
    var total = horizontalSum(acc)
    while i < n { let d = x[i] - mean; total += d * d; i += 1 }
    return total
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

/// Training backward with x̂ = (x − mean)·invStd recomputed from x:
/// dx += invStd/M · (M·dx̂ − Σdx̂ − x̂·Σ(dx̂·x̂)) with dx̂ = γ·dy (dx = … when `overwriteDX`: dx is then written
/// whole and its previous contents never read); dγ += Σ dy·x̂, dβ += Σ dy.
public func batchNormBackward(
    batch: Int, channels: Int, plane: Int, dy: UnsafePointer<Float>, x: UnsafePointer<Float>, mean: UnsafePointer<Float>,
    gamma: UnsafePointer<Float>, invStd: UnsafePointer<Float>,
    dx: UnsafeMutablePointer<Float>?, dgamma: UnsafeMutablePointer<Float>?, dbeta: UnsafeMutablePointer<Float>?,
    overwriteDX: Bool = false
) {
    let bits = (UInt(bitPattern: dy), UInt(bitPattern: x), UInt(bitPattern: mean), UInt(bitPattern: gamma),
                UInt(bitPattern: invStd), dx.map { UInt(bitPattern: $0) } ?? 0, dgamma.map { UInt(bitPattern: $0) } ?? 0,
                dbeta.map { UInt(bitPattern: $0) } ?? 0)
    Parallel.forRanges(count: channels, chunksPerThread: 4) { range in
        let dy = UnsafePointer<Float>(bitPattern: bits.0)!, x = UnsafePointer<Float>(bitPattern: bits.1)!
        let mean = UnsafePointer<Float>(bitPattern: bits.2)!, gamma = UnsafePointer<Float>(bitPattern: bits.3)!
        let invStd = UnsafePointer<Float>(bitPattern: bits.4)!
        let dx = UnsafeMutablePointer<Float>(bitPattern: bits.5), dgamma = UnsafeMutablePointer<Float>(bitPattern: bits.6)
        let dbeta = UnsafeMutablePointer<Float>(bitPattern: bits.7)
        let count = Float(batch * plane)
        for c in range {
            // Σ dy and Σ dy·(x − mean), then Σ dy·x̂ = invStd · Σ dy·(x − mean).
            let m = FloatVector(repeating: mean[c])
            var sumDy: Float = 0, sumDyCentered: Float = 0
            for n in 0..<batch {
                let base = (n * channels + c) * plane
                var accDy = FloatVector(), accDyX = FloatVector()
                var i = 0
                let rdy = UnsafeRawPointer(dy + base), rx = UnsafeRawPointer(x + base)
                while i + 16 <= plane {
                    let g = rdy.loadUnaligned(fromByteOffset: i * 4, as: FloatVector.self)
                    accDy += g
                    accDyX = accDyX.addingProduct(g, rx.loadUnaligned(fromByteOffset: i * 4, as: FloatVector.self) - m)
                    i += 16
                }
                var partialDy = horizontalSum(accDy), partialDyX = horizontalSum(accDyX)
                while i < plane { partialDy += dy[base + i]; partialDyX += dy[base + i] * (x[base + i] - mean[c]); i += 1 }
                sumDy += partialDy
                sumDyCentered += partialDyX
            }
            let inv = invStd[c]
            let sumDyXhat = sumDyCentered * inv
            dgamma?[c] += sumDyXhat
            dbeta?[c] += sumDy
            guard let dx else { continue }
            // dx = k·M·dy − k·Σdy − k·Σ(dy·x̂)·x̂ with k = γ·invStd/M and x̂ = (x − mean)·invStd.
            let k = gamma[c] * inv / count
            let a = FloatVector(repeating: k * count), b = FloatVector(repeating: -k * sumDy)
            let d = FloatVector(repeating: -k * sumDyXhat * inv)
            for n in 0..<batch {
                let base = (n * channels + c) * plane
                if overwriteDX {
                    zipElements(plane, dy + base, x + base, dx + base) { g, xv in a * g + b + d * (xv - m) }
                } else {
                    zip3Elements(plane, dy + base, x + base, UnsafePointer(dx + base), dx + base) { g, xv, acc in
                        acc + a * g + b + d * (xv - m)
                    }
                }
            }
        }
    }
}
