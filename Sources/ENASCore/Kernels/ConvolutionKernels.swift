// Convolution kernels, NCHW. N = batch, C = input channels, O = output channels, (H, W) input size,
// (OH, OW) output size, P = OH·OW, K = kernel size, S = stride, Pad = zero padding on each side.
// Dense convolution is im2col + the one GEMM; depthwise convolution is direct (its arithmetic is too thin for GEMM).

/// Geometry of one 2-D convolution or pooling window.
public struct ConvGeometry: Equatable, Sendable {
    public var batch, channels, height, width: Int
    public var kernel, stride, padding: Int
    public var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
    public var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
    public var outPlane: Int { outHeight * outWidth }
    public init(batch: Int, channels: Int, height: Int, width: Int, kernel: Int, stride: Int, padding: Int) {
        (self.batch, self.channels, self.height, self.width) = (batch, channels, height, width)
        (self.kernel, self.stride, self.padding) = (kernel, stride, padding)
    }
}

/// cols (C·K·K, N·P) from x (N, C, H, W); padding reads as zero.
public func im2col(_ g: ConvGeometry, x: UnsafePointer<Float>, cols: UnsafeMutablePointer<Float>) {
    let columns = g.batch * g.outPlane
    let xBits = UInt(bitPattern: x), cBits = UInt(bitPattern: cols)
    Parallel.forRanges(count: g.channels * g.kernel * g.kernel, minimumPerThread: 4) { rows in
        let x = UnsafePointer<Float>(bitPattern: xBits)!, cols = UnsafeMutablePointer<Float>(bitPattern: cBits)!
        for row in rows {
            let c = row / (g.kernel * g.kernel), ky = (row / g.kernel) % g.kernel, kx = row % g.kernel
            for n in 0..<g.batch {
                let plane = x + (n * g.channels + c) * g.height * g.width
                var out = cols + row * columns + n * g.outPlane
                for oy in 0..<g.outHeight {
                    let iy = oy * g.stride - g.padding + ky
                    if iy < 0 || iy >= g.height { out.update(repeating: 0, count: g.outWidth); out += g.outWidth; continue }
                    let src = plane + iy * g.width
                    if g.stride == 1 {
                        // Contiguous run: the valid columns are a slice of the input row.
                        let first = max(0, g.padding - kx), last = min(g.outWidth, g.width + g.padding - kx)
                        if first > 0 { out.update(repeating: 0, count: first) }
                        if last > first { (out + first).update(from: src + first - g.padding + kx, count: last - first) }
                        if last < g.outWidth { (out + max(last, 0)).update(repeating: 0, count: g.outWidth - max(last, 0)) }
                    } else {
                        for ox in 0..<g.outWidth {
                            let ix = ox * g.stride - g.padding + kx
                            out[ox] = ix >= 0 && ix < g.width ? src[ix] : 0
                        }
                    }
                    out += g.outWidth
                }
            }
        }
    }
}

/// dx (N, C, H, W) += col2im(dcols (C·K·K, N·P)). Parallel over channels so no two threads write one plane.
public func col2imAccumulate(_ g: ConvGeometry, cols: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>) {
    let columns = g.batch * g.outPlane
    let cBits = UInt(bitPattern: cols), dBits = UInt(bitPattern: dx)
    Parallel.forRanges(count: g.channels) { channels in
        let cols = UnsafePointer<Float>(bitPattern: cBits)!, dx = UnsafeMutablePointer<Float>(bitPattern: dBits)!
        for c in channels {
            for ky in 0..<g.kernel {
                for kx in 0..<g.kernel {
                    let row = (c * g.kernel + ky) * g.kernel + kx
                    for n in 0..<g.batch {
                        let plane = dx + (n * g.channels + c) * g.height * g.width
                        let src = cols + row * columns + n * g.outPlane
                        for oy in 0..<g.outHeight {
                            let iy = oy * g.stride - g.padding + ky
                            if iy < 0 || iy >= g.height { continue }
                            let dst = plane + iy * g.width
                            for ox in 0..<g.outWidth {
                                let ix = ox * g.stride - g.padding + kx
                                if ix >= 0 && ix < g.width { dst[ix] += src[oy * g.outWidth + ox] }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// (N, O, P) ← (O, N·P): the GEMM's output layout back to NCHW, optionally accumulating.
public func channelMajorToBatchMajor(batch: Int, channels: Int, plane: Int, _ src: UnsafePointer<Float>,
                                     _ dst: UnsafeMutablePointer<Float>) {
    for o in 0..<channels {
        for n in 0..<batch { (dst + (n * channels + o) * plane).update(from: src + (o * batch + n) * plane, count: plane) }
    }
}

/// (O, N·P) ← (N, O, P).
public func batchMajorToChannelMajor(batch: Int, channels: Int, plane: Int, _ src: UnsafePointer<Float>,
                                     _ dst: UnsafeMutablePointer<Float>) {
    for o in 0..<channels {
        for n in 0..<batch { (dst + (o * batch + n) * plane).update(from: src + (n * channels + o) * plane, count: plane) }
    }
}

/// Depthwise convolution: y (N, C, OH, OW) = x (N, C, H, W) ⋆ w (C, 1, K, K), one filter per channel.
public func depthwiseConvForward(_ g: ConvGeometry, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                                 y: UnsafeMutablePointer<Float>) {
    let xBits = UInt(bitPattern: x), wBits = UInt(bitPattern: w), yBits = UInt(bitPattern: y)
    Parallel.forRanges(count: g.batch * g.channels) { planes in
        let x = UnsafePointer<Float>(bitPattern: xBits)!, w = UnsafePointer<Float>(bitPattern: wBits)!
        let y = UnsafeMutablePointer<Float>(bitPattern: yBits)!
        for p in planes {
            let c = p % g.channels
            let src = x + p * g.height * g.width, out = y + p * g.outPlane, filter = w + c * g.kernel * g.kernel
            out.update(repeating: 0, count: g.outPlane)
            for ky in 0..<g.kernel {
                for kx in 0..<g.kernel {
                    let weight = filter[ky * g.kernel + kx]
                    let (oxFirst, oxLast) = validOutputRange(g, offset: kx, size: g.width, outSize: g.outWidth)
                    for oy in 0..<g.outHeight {
                        let iy = oy * g.stride - g.padding + ky
                        if iy < 0 || iy >= g.height { continue }
                        let row = src + iy * g.width, dst = out + oy * g.outWidth
                        if g.stride == 1 {
                            let count = oxLast - oxFirst
                            if count > 0 {
                                axpy(count, alpha: weight, row + oxFirst - g.padding + kx, dst + oxFirst)
                            }
                        } else {
                            for ox in oxFirst..<max(oxFirst, oxLast) { dst[ox] += weight * row[ox * g.stride - g.padding + kx] }
                        }
                    }
                }
            }
        }
    }
}

/// Backward of depthwise convolution: dx += ∂L/∂x and dw += ∂L/∂w from dy (N, C, OH, OW).
/// Parallel over channels (each owns its filter's gradient and its input planes).
public func depthwiseConvBackward(_ g: ConvGeometry, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                                  dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?) {
    let xBits = UInt(bitPattern: x), wBits = UInt(bitPattern: w), dyBits = UInt(bitPattern: dy)
    let dxBits = dx.map { UInt(bitPattern: $0) } ?? 0, dwBits = dw.map { UInt(bitPattern: $0) } ?? 0
    Parallel.forRanges(count: g.channels) { channels in
        let x = UnsafePointer<Float>(bitPattern: xBits)!, w = UnsafePointer<Float>(bitPattern: wBits)!
        let dy = UnsafePointer<Float>(bitPattern: dyBits)!
        let dx = UnsafeMutablePointer<Float>(bitPattern: dxBits), dw = UnsafeMutablePointer<Float>(bitPattern: dwBits)
        for c in channels {
            for n in 0..<g.batch {
                let p = n * g.channels + c
                let src = x + p * g.height * g.width, grad = dy + p * g.outPlane
                let dsrc = dx.map { $0 + p * g.height * g.width }
                for ky in 0..<g.kernel {
                    for kx in 0..<g.kernel {
                        let tap = c * g.kernel * g.kernel + ky * g.kernel + kx
                        let weight = w[tap]
                        let (oxFirst, oxLast) = validOutputRange(g, offset: kx, size: g.width, outSize: g.outWidth)
                        guard oxLast > oxFirst else { continue }
                        var wGrad: Float = 0
                        for oy in 0..<g.outHeight {
                            let iy = oy * g.stride - g.padding + ky
                            if iy < 0 || iy >= g.height { continue }
                            let row = src + iy * g.width, gRow = grad + oy * g.outWidth
                            if g.stride == 1 {
                                let count = oxLast - oxFirst, offset = oxFirst - g.padding + kx
                                if dw != nil { wGrad += dotElements(count, row + offset, gRow + oxFirst) }
                                if let dsrc { axpy(count, alpha: weight, gRow + oxFirst, dsrc + iy * g.width + offset) }
                            } else {
                                for ox in oxFirst..<oxLast {
                                    let ix = ox * g.stride - g.padding + kx
                                    wGrad += row[ix] * gRow[ox]
                                    if let dsrc { dsrc[iy * g.width + ix] += weight * gRow[ox] }
                                }
                            }
                        }
                        if let dw { dw[tap] += wGrad }
                    }
                }
            }
        }
    }
}

/// The output columns ox whose input column ox·S − Pad + offset lies inside [0, size).
@inline(__always)
func validOutputRange(_ g: ConvGeometry, offset: Int, size: Int, outSize: Int) -> (Int, Int) {
    // ox·S ≥ Pad − offset  and  ox·S ≤ size − 1 + Pad − offset
    let low = g.padding - offset
    let first = low <= 0 ? 0 : (low + g.stride - 1) / g.stride
    let high = size - 1 + g.padding - offset
    let last = high < 0 ? 0 : min(outSize, high / g.stride + 1)
    return (min(first, outSize), last)
}
