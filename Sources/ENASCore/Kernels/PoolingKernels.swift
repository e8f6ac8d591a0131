// Pooling kernels, NCHW: max (with an argmax cache for backward) and average excluding padding (the authors'
// `count_include_pad=False`). Geometry as in ConvolutionKernels.swift; planes run in parallel. Each plane is copied
// once into a padded, stride-phase-split buffer (`PaddedPlane`: −∞ padding for max, 0 for average), so every output
// row is K·K SIMD loads over the output width with no bounds checks.

/// y (N, C, OH, OW) = max over each window of x; argmax holds each winner's index within its input plane (the first
/// maximum in window order, row by row).
public func maxPoolForward(_ g: ConvGeometry, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                           argmax: UnsafeMutablePointer<Int32>) {
    let xBits = UInt(bitPattern: x), yBits = UInt(bitPattern: y), aBits = UInt(bitPattern: argmax)
    let layout = PaddedPlane(height: g.height, width: g.width, padding: g.padding, stride: g.stride)
    Parallel.forRanges(count: g.batch * g.channels, chunksPerThread: 4) { planes in
        let x = UnsafePointer<Float>(bitPattern: xBits)!, y = UnsafeMutablePointer<Float>(bitPattern: yBits)!
        let argmax = UnsafeMutablePointer<Int32>(bitPattern: aBits)!
        let padded = convScratch(floats: layout.count)
        for p in planes {
            layout.fill(padded, from: x + p * g.plane, height: g.height, width: g.width, padding: g.padding, value: -.infinity)
            maxPoolPlane(g, padded, layout, y: y + p * g.outPlane, argmax: argmax + p * g.outPlane)
        }
    }
}

@inline(__always)
private func maxPoolPlane(_ g: ConvGeometry, _ padded: UnsafePointer<Float>, _ layout: PaddedPlane,
                          y: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>) {
    typealias V = SIMD16<Float>
    typealias I = SIMD16<Int32>
    let (k, s, ow) = (g.kernel, g.stride, g.outWidth)
    let raw = UnsafeRawPointer(padded)
    let lanes = I(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) &* Int32(s)
    var ox = 0
    while ox < ow {
        for oy in 0..<g.outHeight {
            // The first tap wins until a later one is greater (whatever it holds: −∞ padding, NaN). Starting from
            // it, rather than testing "no winner yet" per tap, keeps every test a float compare: an Int32-vector
            // compare with a constant went lane by lane through the stack on AVX2 (8.5% of a W2 step).
            var best = raw.loadUnaligned(fromByteOffset: oy * s * layout.rowLength * 4 + ox * 4, as: V.self)
            var bestTap = I(repeating: 0)
            for ky in 0..<k {
                let row = (oy * s + ky) * layout.rowLength
                var column = 0, phase = 0    // (kx % S)·phaseLength + kx / S, without divisions
                for kx in 0..<k {
                    let v = raw.loadUnaligned(fromByteOffset: (row + column + ox) * 4, as: V.self)
                    phase += 1
                    if phase == s { phase = 0; column += 1 - (s - 1) * layout.phaseLength } else { column += layout.phaseLength }
                    let better = v .> best
                    best.replace(with: v, where: better)
                    bestTap.replace(with: I(repeating: Int32(ky * g.width + kx)), where: better)
                }
            }
            // Input index of the winner: (oy·S − Pad + ky)·W + (ox + lane)·S − Pad + kx.
            let base = Int32((oy * s - g.padding) * g.width + ox * s - g.padding)
            let index = bestTap &+ lanes &+ base
            // Whole vectors out (a lane-by-lane store went through the stack: 6% of a W2 step on AVX2).
            let count = min(16, ow - ox), out = oy * ow + ox
            if count == 16 {
                UnsafeMutableRawPointer(y + out).storeBytes(of: best, as: V.self)
                UnsafeMutableRawPointer(argmax + out).storeBytes(of: index, as: I.self)
            } else {
                storePartial(best, y + out, count)
                storePartial(index, argmax + out, count)
            }
        }
        ox += 16
    }
}

/// dx += dy routed to each window's winner. Planes in parallel (a winner lies in its own plane).
public func maxPoolBackward(_ g: ConvGeometry, dy: UnsafePointer<Float>, argmax: UnsafePointer<Int32>,
                            dx: UnsafeMutablePointer<Float>) {
    let dyBits = UInt(bitPattern: dy), aBits = UInt(bitPattern: argmax), dxBits = UInt(bitPattern: dx)
    Parallel.forRanges(count: g.batch * g.channels, minimumPerThread: 16, chunksPerThread: 4) { planes in
        let dy = UnsafePointer<Float>(bitPattern: dyBits)!, argmax = UnsafePointer<Int32>(bitPattern: aBits)!
        let dx = UnsafeMutablePointer<Float>(bitPattern: dxBits)!
        for p in planes {
            let dplane = dx + p * g.plane, winners = argmax + p * g.outPlane, grads = dy + p * g.outPlane
            // A window of −∞ only has no in-bounds winner that beats the padding: its gradient is dropped.
            for o in 0..<g.outPlane where winners[o] >= 0 && Int(winners[o]) < g.plane { dplane[Int(winners[o])] += grads[o] }
        }
    }
}

/// 1 / (in-bounds elements) of each output window (OH × OW).
func averageWeights(_ g: ConvGeometry) -> [Float] {
    func span(_ o: Int, _ size: Int) -> Int { min(size, o * g.stride - g.padding + g.kernel) - max(0, o * g.stride - g.padding) }
    var weights = [Float](repeating: 0, count: g.outPlane)
    for oy in 0..<g.outHeight {
        for ox in 0..<g.outWidth { weights[oy * g.outWidth + ox] = 1 / Float(span(oy, g.height) * span(ox, g.width)) }
    }
    return weights
}

/// y = mean over each window's in-bounds elements (padding excluded from the count): the window sum (zero
/// padding) times the precomputed 1/count.
public func avgPoolForward(_ g: ConvGeometry, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
    let xBits = UInt(bitPattern: x), yBits = UInt(bitPattern: y)
    let layout = PaddedPlane(height: g.height, width: g.width, padding: g.padding, stride: g.stride)
    let weights = averageWeights(g)
    let ones = [Float](repeating: 1, count: g.kernel * g.kernel)
    weights.withUnsafeBufferPointer { weights in ones.withUnsafeBufferPointer { ones in
        let wBits = UInt(bitPattern: weights.baseAddress!), oBits = UInt(bitPattern: ones.baseAddress!)
        Parallel.forRanges(count: g.batch * g.channels, chunksPerThread: 4) { planes in
            let x = UnsafePointer<Float>(bitPattern: xBits)!, y = UnsafeMutablePointer<Float>(bitPattern: yBits)!
            let weights = UnsafePointer<Float>(bitPattern: wBits)!, ones = UnsafePointer<Float>(bitPattern: oBits)!
            let padded = convScratch(floats: layout.count)
            for p in planes {
                let out = y + p * g.outPlane
                layout.fill(padded, from: x + p * g.plane, height: g.height, width: g.width, padding: g.padding)
                correlatePlane(padded, layout, kernel: g.kernel, taps: ones, outHeight: g.outHeight, outWidth: g.outWidth,
                               out: out, accumulate: false)
                zipElements(g.outPlane, out, weights, out) { $0 * $1 }
            }
        }
    } }
}

/// dx += dy spread evenly over each window's in-bounds elements: dy·(1/count) correlated with a K×K window of ones
/// (dy padded by K − 1 − Pad) at stride 1, scattered into a padded buffer at larger strides.
public func avgPoolBackward(_ g: ConvGeometry, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>) {
    let dyBits = UInt(bitPattern: dy), dxBits = UInt(bitPattern: dx)
    let weights = averageWeights(g)
    let layout = PaddedPlane(height: g.height, width: g.width, padding: g.padding, stride: g.stride)
    let transposedPadding = g.kernel - 1 - g.padding
    let byCorrelation = g.stride == 1 && transposedPadding >= 0
    let dyLayout = PaddedPlane(height: g.outHeight, width: g.outWidth, padding: max(0, transposedPadding), stride: 1)
    let ones = [Float](repeating: 1, count: g.kernel * g.kernel)
    weights.withUnsafeBufferPointer { weights in ones.withUnsafeBufferPointer { ones in
        let wBits = UInt(bitPattern: weights.baseAddress!), oBits = UInt(bitPattern: ones.baseAddress!)
        Parallel.forRanges(count: g.batch * g.channels, chunksPerThread: 4) { planes in
            let dy = UnsafePointer<Float>(bitPattern: dyBits)!, dx = UnsafeMutablePointer<Float>(bitPattern: dxBits)!
            let weights = UnsafePointer<Float>(bitPattern: wBits)!, ones = UnsafePointer<Float>(bitPattern: oBits)!
            let scratch = convScratch(floats: g.outPlane + max(layout.count, dyLayout.count))
            let scaled = scratch, work = scratch + g.outPlane
            for p in planes {
                zipElements(g.outPlane, dy + p * g.outPlane, weights, scaled) { $0 * $1 }
                let dplane = dx + p * g.plane
                if byCorrelation {
                    dyLayout.fill(work, from: scaled, height: g.outHeight, width: g.outWidth, padding: transposedPadding)
                    correlatePlane(work, dyLayout, kernel: g.kernel, taps: ones, outHeight: g.height, outWidth: g.width,
                                   out: dplane, accumulate: true)
                } else {
                    work.update(repeating: 0, count: layout.count)
                    for oy in 0..<g.outHeight {
                        for ky in 0..<g.kernel {
                            let row = work + (oy * g.stride + ky) * layout.rowLength
                            for kx in 0..<g.kernel {
                                axpy(g.outWidth, alpha: 1, scaled + oy * g.outWidth,
                                     row + (kx % g.stride) * layout.phaseLength + kx / g.stride)
                            }
                        }
                    }
                    layout.addInterior(of: work, into: dplane, height: g.height, width: g.width, padding: g.padding)
                }
            }
        }
    } }
}
