// Pooling kernels, NCHW: max (with an argmax cache for backward) and average excluding padding (the authors'
// `count_include_pad=False`). Geometry as in ConvolutionKernels.swift; planes run in parallel.

/// y (N, C, OH, OW) = max over each window of x; argmax holds each winner's index within its input plane.
public func maxPoolForward(_ g: ConvGeometry, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                           argmax: UnsafeMutablePointer<Int32>) {
    let xBits = UInt(bitPattern: x), yBits = UInt(bitPattern: y), aBits = UInt(bitPattern: argmax)
    Parallel.forRanges(count: g.batch * g.channels) { planes in
        let x = UnsafePointer<Float>(bitPattern: xBits)!, y = UnsafeMutablePointer<Float>(bitPattern: yBits)!
        let argmax = UnsafeMutablePointer<Int32>(bitPattern: aBits)!
        for p in planes {
            let src = x + p * g.height * g.width
            for oy in 0..<g.outHeight {
                for ox in 0..<g.outWidth {
                    var best = -Float.infinity, bestIndex = -1
                    for ky in 0..<g.kernel {
                        let iy = oy * g.stride - g.padding + ky
                        if iy < 0 || iy >= g.height { continue }
                        for kx in 0..<g.kernel {
                            let ix = ox * g.stride - g.padding + kx
                            if ix < 0 || ix >= g.width { continue }
                            let v = src[iy * g.width + ix]
                            if v > best || bestIndex < 0 { best = v; bestIndex = iy * g.width + ix }
                        }
                    }
                    y[p * g.outPlane + oy * g.outWidth + ox] = best
                    argmax[p * g.outPlane + oy * g.outWidth + ox] = Int32(bestIndex)
                }
            }
        }
    }
}

/// dx += dy routed to each window's winner.
public func maxPoolBackward(_ g: ConvGeometry, dy: UnsafePointer<Float>, argmax: UnsafePointer<Int32>,
                            dx: UnsafeMutablePointer<Float>) {
    for p in 0..<(g.batch * g.channels) {
        let dplane = dx + p * g.height * g.width
        for o in 0..<g.outPlane { dplane[Int(argmax[p * g.outPlane + o])] += dy[p * g.outPlane + o] }
    }
}

/// y = mean over each window's in-bounds elements (padding excluded from the count).
public func avgPoolForward(_ g: ConvGeometry, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
    let xBits = UInt(bitPattern: x), yBits = UInt(bitPattern: y)
    Parallel.forRanges(count: g.batch * g.channels) { planes in
        let x = UnsafePointer<Float>(bitPattern: xBits)!, y = UnsafeMutablePointer<Float>(bitPattern: yBits)!
        for p in planes {
            let src = x + p * g.height * g.width
            for oy in 0..<g.outHeight {
                let (y0, y1) = (max(0, oy * g.stride - g.padding), min(g.height, oy * g.stride - g.padding + g.kernel))
                for ox in 0..<g.outWidth {
                    let (x0, x1) = (max(0, ox * g.stride - g.padding), min(g.width, ox * g.stride - g.padding + g.kernel))
                    var total: Float = 0
                    for iy in y0..<y1 { for ix in x0..<x1 { total += src[iy * g.width + ix] } }
                    y[p * g.outPlane + oy * g.outWidth + ox] = total / Float((y1 - y0) * (x1 - x0))
                }
            }
        }
    }
}

/// dx += dy spread evenly over each window's in-bounds elements.
public func avgPoolBackward(_ g: ConvGeometry, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>) {
    let dyBits = UInt(bitPattern: dy), dxBits = UInt(bitPattern: dx)
    Parallel.forRanges(count: g.batch * g.channels) { planes in
        let dy = UnsafePointer<Float>(bitPattern: dyBits)!, dx = UnsafeMutablePointer<Float>(bitPattern: dxBits)!
        for p in planes {
            let dplane = dx + p * g.height * g.width
            for oy in 0..<g.outHeight {
                let (y0, y1) = (max(0, oy * g.stride - g.padding), min(g.height, oy * g.stride - g.padding + g.kernel))
                for ox in 0..<g.outWidth {
                    let (x0, x1) = (max(0, ox * g.stride - g.padding), min(g.width, ox * g.stride - g.padding + g.kernel))
                    let share = dy[p * g.outPlane + oy * g.outWidth + ox] / Float((y1 - y0) * (x1 - x0))
                    for iy in y0..<y1 { for ix in x0..<x1 { dplane[iy * g.width + ix] += share } }
                }
            }
        }
    }
}
